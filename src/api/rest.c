/* The blocking half of each REST call, run on a pool thread: create (schema, then for StoryTriggers the webhooks'
 * mutate + validate path, then a durable store write and a reconciler hint), get, list with selectors (JSON or
 * Table) and delete. The response body is built here; the loop only sends it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runtime.h"

#define WEBHOOK_NAME "vstorytrigger-v1alpha1.kb.io"

static void fail(sg_api__job_t *job, int code, const char *reason, const char *message, const char *name)
{
    sg_buf_reset(&job->out);
    job->status = code;
    sg_api__status_write(&job->out, code, reason, message, name, job->path.res);
}

static void fail_store(sg_api__job_t *job, int rc, const sg_error_t *err, const char *name)
{
    sg_buf_reset(&job->out);
    job->status = sg_api__status_for_error(&job->out, rc, err, job->path.res, name);
}

static int64_t now_seconds(void)
{
    return (int64_t)time(NULL);
}

static int parse(sg_json_t **out, const char *json, size_t len, sg_arena_t *arena, sg_error_t *err)
{
    sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
    o.max_depth = 128;
    return sg_json_parse(out, arena, json, len, &o, err);
}

/* A single object as JSON or as a one-row Table. */
static void write_object(sg_api__job_t *job, const char *json, size_t len, sg_arena_t *arena)
{
    if (job->table) {
        sg_json_t *obj = NULL;
        if (parse(&obj, json, len, arena, NULL) == SG_OK) {
            const sg_json_t *items[1] = {obj};
            sg_api__table_write(&job->out, job->path.res, items, 1, sg_store_resource_version(job->api->store),
                                job->query.include_object, 1, now_seconds());
            return;
        }
    }
    sg_buf_append(&job->out, json, len);
}

static void do_get(sg_api__job_t *job, sg_arena_t *arena)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_buf_t b = SG_BUF_INIT;
    int rc = sg_store_get(job->api->store, &b, NULL, job->path.res->kind, job->path.ns, job->path.name, &err);
    if (rc < 0) {
        fail_store(job, rc, &err, job->path.name);
    } else {
        job->status = 200;
        write_object(job, b.base, b.len, arena);
    }
    sg_buf_dispose(&b);
}

static void do_delete(sg_api__job_t *job, sg_arena_t *arena)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_buf_t b = SG_BUF_INIT;
    sg_store_write_opts_t wo = SG_STORE_WRITE_OPTS_INIT;
    int rc = sg_store_delete(job->api->store, &b, job->path.res->kind, job->path.ns, job->path.name, &wo, &err);
    if (rc < 0) {
        fail_store(job, rc, &err, job->path.name);
    } else {
        job->status = 200;
        write_object(job, b.base, b.len, arena);
    }
    sg_buf_dispose(&b);
}

static void do_list(sg_api__job_t *job, sg_arena_t *arena)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_store_selector_t *sel = NULL;
    sg_store_list_t list;
    sg_store_list_init(&list);
    int rc = sg_store_selector_parse(&sel, job->path.res->kind, job->label_selector, job->field_selector, &err);
    if (rc < 0) {
        fail(job, 400, NULL, err.message, NULL);
        return;
    }
    sg_store_list_opts_t lo = SG_STORE_LIST_OPTS_INIT;
    rc = sg_store_list(job->api->store, &list, job->path.res->kind, job->path.ns[0] ? job->path.ns : NULL, &lo, &err);
    if (rc < 0) {
        fail_store(job, rc, &err, NULL);
        goto done;
    }
    /* `limit` without continue tokens would silently hide objects from kubectl (it pages with limit=500), so the
     * whole list is returned, as an apiserver serving from its watch cache may do */
    size_t limit = 0;
    const sg_json_t **objs = NULL;
    size_t n = 0;
    if (job->table || sel != NULL) {
        objs = sg_arena_calloc(arena, list.len + 1, sizeof(*objs));
        if (objs == NULL) {
            fail(job, 500, NULL, "out of memory", NULL);
            goto done;
        }
    }
    job->status = 200;
    if (!job->table)
        sg_api__list_begin(&job->out, job->path.res, list.resource_version);
    for (size_t i = 0; i < list.len && (limit == 0 || n < limit); i++) {
        sg_json_t *obj = NULL;
        if (objs != NULL) {
            if (parse(&obj, list.items[i].json, list.items[i].len, arena, NULL) < 0 ||
                !sg_store_selector_match(sel, obj))
                continue;
            objs[n] = obj;
        }
        if (!job->table) {
            if (n > 0)
                sg_buf_putc(&job->out, ',');
            sg_buf_append(&job->out, list.items[i].json, list.items[i].len);
        }
        n++;
    }
    if (job->table)
        sg_api__table_write(&job->out, job->path.res, objs, n, list.resource_version, job->query.include_object, 1,
                            now_seconds());
    else
        sg_api__list_end(&job->out);
    if (job->out.oom)
        fail(job, 500, NULL, "out of memory", NULL);
done:
    sg_store_selector_free(sel);
    sg_store_list_dispose(&list);
}

/* Fills apiVersion/kind, checks they and the namespace agree with the path, and drops what the server assigns. */
static int prepare_object(sg_api__job_t *job, sg_json_t *obj, sg_arena_t *arena)
{
    const sg_api__resource_t *res = job->path.res;
    const char *api_version = res->api_version;
    if (obj->type != SG_JSON_OBJECT) {
        fail(job, 400, NULL, "the body must be a JSON object", NULL);
        return -1;
    }
    const sg_json_t *av = sg_json_get(obj, "apiVersion"), *kind = sg_json_get(obj, "kind");
    if ((av != NULL && !sg_json_string_eq(av, api_version)) ||
        (kind != NULL && !sg_json_string_eq(kind, res->kind_name))) {
        char msg[256];
        snprintf(msg, sizeof(msg), "the API version and kind in the body must be %s, %s", api_version, res->kind_name);
        fail(job, 400, NULL, msg, NULL);
        return -1;
    }
    sg_json_t *md = sg_json_get(obj, "metadata");
    if (md == NULL || md->type != SG_JSON_OBJECT) {
        fail(job, 422, NULL, "metadata: Required value", NULL);
        return -1;
    }
    const sg_json_t *ns = sg_json_get(md, "namespace");
    if (res->namespaced && ns != NULL && ns->type != SG_JSON_NULL && !sg_json_string_eq(ns, job->path.ns)) {
        fail(job, 400, NULL, "the namespace of the provided object does not match the namespace sent on the request",
             NULL);
        return -1;
    }
    sg_json_t *v;
    if (!res->namespaced) /* as the apiserver does for cluster-scoped objects */
        sg_json_object_remove(md, "namespace");
    if ((res->namespaced && ((v = sg_json_new_string(arena, job->path.ns, strlen(job->path.ns))) == NULL ||
                             sg_json_object_set(arena, md, "namespace", v) < 0)) ||
        (v = sg_json_new_string(arena, api_version, strlen(api_version))) == NULL ||
        sg_json_object_set(arena, obj, "apiVersion", v) < 0 ||
        (v = sg_json_new_string(arena, res->kind_name, strlen(res->kind_name))) == NULL ||
        sg_json_object_set(arena, obj, "kind", v) < 0) {
        fail(job, 500, NULL, "out of memory", NULL);
        return -1;
    }
    static const char *const assigned[] = {
        "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "managedFields"};
    for (size_t i = 0; i < sizeof(assigned) / sizeof(assigned[0]); i++)
        sg_json_object_remove(md, assigned[i]);
    if (res->has_status)
        sg_json_object_remove(obj, "status"); /* status is a subresource: ignored on create */
    if (res->kind == SG_KIND_NAMESPACE && sg_api__namespace_defaults(obj, arena) < 0) {
        fail(job, 500, NULL, "out of memory", NULL);
        return -1;
    }
    return 0;
}

static int check_schema(sg_api__job_t *job, const sg_json_t *obj, sg_arena_t *arena)
{
    if (job->api->schema == NULL)
        return 0;
    sg_field_errors_t errors = SG_FIELD_ERRORS_INIT;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_schema_validate(job->api->schema, job->path.res->kind_name, obj, NULL, arena, &errors, &err);
    if (rc == SG_ENOTFOUND)
        return 0;
    if (rc < 0) {
        fail(job, 500, NULL, err.message[0] ? err.message : "schema validation failed", NULL);
        return -1;
    }
    size_t hard = 0, unknown = 0;
    for (size_t i = 0; i < errors.len; i++) {
        hard += errors.items[i].type != SG_FIELD_UNKNOWN;
        unknown += errors.items[i].type == SG_FIELD_UNKNOWN;
    }
    const char *name = sg_json_string(sg_json_path(obj, "metadata.name"), NULL);
    if (hard == 0 && unknown != 0 && job->query.strict_fields) {
        /* what the apiserver's strict decoder answers (kubectl sends fieldValidation=Strict by default) */
        const char *k = job->path.res->kind_name;
        sg_buf_t msg = SG_BUF_INIT;
        sg_buf_printf(&msg, "%s in version \"%s\" cannot be handled as a %s: strict decoding error: ", k,
                      job->path.res->version, k);
        size_t shown = 0;
        for (size_t i = 0; i < errors.len; i++)
            if (errors.items[i].type == SG_FIELD_UNKNOWN)
                sg_buf_printf(&msg, "%sunknown field \"%s\"", shown++ ? ", " : "", errors.items[i].field);
        fail(job, 400, NULL, msg.base != NULL ? msg.base : "unknown fields", name);
        sg_buf_dispose(&msg);
        return -1;
    }
    if (hard == 0)
        return 0;
    const char *qk = sg_schema_set_qualified_kind(job->api->schema, job->path.res->kind_name);
    sg_buf_t msg = SG_BUF_INIT;
    sg_schema_errors_format(&msg, qk != NULL ? qk : job->path.res->kind_name, name != NULL ? name : "", &errors, 1);
    fail(job, 422, "Invalid", msg.base != NULL ? msg.base : "invalid object", name);
    sg_buf_dispose(&msg);
    return -1;
}

static int admit_trigger(sg_api__job_t *job, sg_json_t *obj, sg_arena_t *arena)
{
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, arena);
    int rc = sg_admission_review_create(job->api->adm, obj, job->query.dry_run, &v, arena);
    if (rc < 0) {
        fail(job, 500, NULL, "out of memory", NULL);
        return -1;
    }
    for (size_t i = 0; i < v.nwarnings && i < 16; i++) {
        /* header-safe: quotes and control bytes would break the header value */
        for (const char *c = v.warnings[i]; *c != '\0' && c - v.warnings[i] < 512; c++)
            sg_buf_putc(&job->warnings, (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) ? '\'' : *c);
        sg_buf_putc(&job->warnings, '\0');
    }
    if (v.allowed)
        return 0;
    const char *name = sg_json_string(sg_json_path(obj, "metadata.name"), NULL);
    sg_buf_t msg = SG_BUF_INIT;
    int code = v.code != 0 ? v.code : 403;
    if (code == 403)
        sg_buf_printf(&msg, "admission webhook \"%s\" denied the request: %s", WEBHOOK_NAME, v.message);
    else
        sg_buf_puts(&msg, v.message != NULL ? v.message : "denied");
    fail(job, code, v.status_reason, msg.base != NULL ? msg.base : "denied", name);
    sg_buf_dispose(&msg);
    return -1;
}

static void created_failed(sg_api__job_t *job, int rc, const sg_error_t *err)
{
    const char *name = job->created[0] != '\0' ? job->created : NULL;
    if (rc == SG_EINVALID)
        fail(job, 422, "Invalid", err->message, name);
    else
        fail_store(job, rc, err, name);
}

/* Whether this create hands its new StoryTrigger to the reconciler itself (created_hint) rather than leaving it to
 * the store's event. */
static int hands_over(const sg_api__job_t *job)
{
    return job->path.res->kind == SG_KIND_STORYTRIGGER && job->api->reconciler != NULL && job->created[0] != '\0';
}

static void created_hint(sg_api__job_t *job)
{
    if (hands_over(job))
        sg_reconciler_enqueue_accepted(job->api->reconciler, job->path.ns, job->created, job->accepted);
}

/* A response that ran out of memory while being written becomes a bare 500. */
static void check_oom(sg_api__job_t *job)
{
    if (job->out.oom) {
        sg_buf_dispose(&job->out);
        job->status = 500;
    }
}

/* Completion of an asynchronous create, on the store's writer thread: copies only, nothing slow. */
static void on_created(void *ctx, int rc, const sg_error_t *err, const char *json, size_t len)
{
    sg_api__job_t *job = ctx;
    if (rc < 0) {
        created_failed(job, rc, err);
    } else {
        job->status = 201;
        sg_buf_append(&job->out, json, len);
        created_hint(job);
    }
    check_oom(job);
    sg_api__pool_complete(&job->api->pool, job);
}

/* Returns 1 when the store answers the create later (on_created): the job then belongs to that completion and may be
 * freed before this returns. */
static int do_create(sg_api__job_t *job, sg_arena_t *arena)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_json_t *obj = NULL;
    int rc = parse(&obj, job->body, job->body_len, arena, &err);
    if (rc < 0) {
        fail(job, 400, NULL, err.message, NULL);
        return 0;
    }
    if (prepare_object(job, obj, arena) < 0 || check_schema(job, obj, arena) < 0)
        return 0;
    const sg_json_t *name_node = sg_json_path(obj, "metadata.name");
    const char *name = sg_json_string(name_node, NULL);
    if (job->path.res->kind == SG_KIND_STORYTRIGGER && admit_trigger(job, obj, arena) < 0)
        return 0;
    if ((name == NULL || name[0] == '\0') && sg_json_path(obj, "metadata.generateName") == NULL) {
        fail(job, 422, "Invalid", "metadata.name: Required value: name or generateName is required", NULL);
        return 0;
    }
    if (job->path.res->kind == SG_KIND_STORYTRIGGER && job->api->reconciler != NULL) {
        /* §8.5 at admission: stored with the trigger, so the reconciler's only write is the decision */
        sg_json_t *st = sg_reconciler_pending_status(job->api->reconciler, arena, 1, &job->accepted);
        if (st != NULL && sg_json_object_set(arena, obj, "status", st) != SG_OK) {
            fail(job, 500, NULL, "out of memory", name);
            return 0;
        }
    }
    if (job->query.dry_run) {
        job->status = 201;
        sg_json_encode(&job->out, obj);
        return 0;
    }
    snprintf(job->created, sizeof(job->created), "%s", name != NULL ? name : "");
    sg_buf_t b = SG_BUF_INIT;
    sg_store_write_opts_t wo = SG_STORE_WRITE_OPTS_INIT;
    if (hands_over(job))
        wo.origin = sg_reconciler_handover_origin(job->api->reconciler);
    if (!job->table) {
        /* The durable commit is awaited by the store, not by this thread: a pool thread per pending create would
         * cap creates at threads / commit latency. */
        wo.done = on_created;
        wo.done_ctx = job;
        sg_api__pool_defer(&job->api->pool);
    }
    rc = sg_store_create_json(job->api->store, &b, job->path.res->kind, job->path.res->namespaced ? job->path.ns : NULL,
                              obj, &wo, &err);
    if (wo.done != NULL) { /* b stays empty: the completion carries the stored object */
        if (rc < 0)        /* nothing was queued, so no completion will come: finish it here */
            on_created(job, rc, &err, "", 0);
        return 1;
    }
    if (rc < 0) {
        created_failed(job, rc, &err);
    } else {
        job->status = 201;
        write_object(job, b.base, b.len, arena);
        created_hint(job);
    }
    sg_buf_dispose(&b);
    return 0;
}

void sg_api__job_run_rest(sg_api__job_t *job)
{
    sg_arena_t *arena = sg_api__worker_arena();
    if (job->method == SG_API__POST) {
        if (do_create(job, arena))
            return;
    } else if (job->method == SG_API__DELETE)
        do_delete(job, arena);
    else if (job->path.type == SG_API__PATH_OBJECT)
        do_get(job, arena);
    else
        do_list(job, arena);
    check_oom(job);
}
