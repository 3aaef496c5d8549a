/* The kube store backend: the store interface as REST calls on the apiserver. Objects come back as the apiserver's
 * own compact JSON bytes.
 *
 * DESIGN: the apiserver owns resourceVersions, uids and generations, so every write is one request whose response is
 * the stored object. Writes without a caller precondition (expected_rv 0) read the object first and send its
 * resourceVersion, retrying on 409 Conflict a few times: custom resources refuse unconditional updates, and this is
 * the GET-then-write loop client-go's RetryOnConflict performs. Status is written with PUT on the /status subresource
 * (not a merge patch): the store interface replaces the whole status, and the precondition keeps a concurrent writer
 * from being overwritten silently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/log.h>

#include "internal.h"

static sg_kube__store_t *ks(sg_store_t *s)
{
    return (sg_kube__store_t *)s;
}

void sg_kube__store_saw_rv(sg_kube__store_t *s, uint64_t rv)
{
    uint64_t cur = __atomic_load_n(&s->rv, __ATOMIC_RELAXED);
    while (rv > cur && !__atomic_compare_exchange_n(&s->rv, &cur, rv, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

static int check_kind(sg_store_kind_t kind, sg_error_t *err)
{
    return (unsigned)kind < SG_KIND__COUNT ? SG_OK : sg_error_set(err, SG_EINVALID, "unknown kind %d", (int)kind);
}

int sg_kube_collection_path(sg_buf_t *out, sg_store_kind_t kind, const char *ns)
{
    if ((unsigned)kind >= SG_KIND__COUNT)
        return SG_EINVALID;
    /* the core group lives under /api, the others under /apis */
    const char *root = sg_store_kind_group(kind)[0] == '\0' ? "api" : "apis";
    if (sg_buf_printf(out, "/%s/%s/", root, sg_store_kind_api_version(kind)) != 0)
        return SG_ENOMEM;
    if (ns != NULL && ns[0] != '\0' && sg_store_kind_namespaced(kind)) {
        if (sg_buf_puts(out, "namespaces/") != 0 || sg_kube__query_escape(out, ns) != SG_OK ||
            sg_buf_putc(out, '/') != 0)
            return SG_ENOMEM;
    }
    return sg_buf_puts(out, sg_store_kind_plural(kind)) == 0 ? SG_OK : SG_ENOMEM;
}

static int item_path(sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name, const char *sub)
{
    if (sg_kube_collection_path(out, kind, ns) != SG_OK || sg_buf_putc(out, '/') != 0 ||
        sg_kube__query_escape(out, name) != SG_OK)
        return SG_ENOMEM;
    if (sub != NULL && (sg_buf_putc(out, '/') != 0 || sg_buf_puts(out, sub) != 0))
        return SG_ENOMEM;
    return SG_OK;
}

static int parse_obj(sg_json_t **out, sg_arena_t *arena, const sg_buf_t *body, sg_error_t *err)
{
    sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
    popts.max_depth = 1000;
    int rc = sg_json_parse(out, arena, body->base, body->len, &popts, err);
    if (rc != SG_OK)
        return sg_error_wrap(err, "kube: malformed response");
    if ((*out)->type != SG_JSON_OBJECT)
        return sg_error_set(err, SG_EIO, "kube: response is not an object");
    return SG_OK;
}

/* Copies a successful response to `out` and notes its resourceVersion. */
static int deliver(sg_kube__store_t *s, sg_buf_t *out, uint64_t *rv_out, const sg_kube_response_t *resp,
                   sg_error_t *err)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_json_t *obj = NULL;
    int rc = parse_obj(&obj, &arena, &resp->body, err);
    if (rc == SG_OK) {
        uint64_t rv = sg_kube__parse_rv(sg_json_path(obj, "metadata.resourceVersion"));
        sg_kube__store_saw_rv(s, rv);
        if (rv_out != NULL)
            *rv_out = rv;
        if (out != NULL) {
            sg_buf_reset(out);
            rc = sg_kube__append_trimmed(out, resp->body.base, resp->body.len);
        }
    }
    sg_arena_dispose(&arena);
    return rc;
}

static int call(sg_kube__store_t *s, sg_kube_response_t *resp, const char *method, const sg_buf_t *path,
                const sg_buf_t *body, sg_error_t *err)
{
    if (path->oom || (body != NULL && body->oom))
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    int rc = sg_kube_request(s->client, resp, method, path->base, body != NULL ? body->base : NULL,
                             body != NULL ? body->len : 0, "application/json", NULL, err);
    if (rc != SG_OK)
        return rc;
    return sg_kube_status_error(resp, err);
}

static int k_get(sg_store_t *store, sg_buf_t *out, uint64_t *rv, sg_store_kind_t kind, const char *ns, const char *name,
                 sg_error_t *err)
{
    sg_kube__store_t *s = ks(store);
    int rc;
    if ((rc = check_kind(kind, err)) != SG_OK || (rc = sg_store_check_scope(&ns, kind, ns, err)) != SG_OK ||
        (rc = sg_store_check_name("name", name, err)) != SG_OK)
        return rc;
    sg_buf_t path = SG_BUF_INIT;
    sg_kube_response_t resp;
    sg_kube_response_init(&resp);
    item_path(&path, kind, ns, name, NULL);
    if ((rc = call(s, &resp, "GET", &path, NULL, err)) == SG_OK)
        rc = deliver(s, out, rv, &resp, err);
    sg_kube_response_dispose(&resp);
    sg_buf_dispose(&path);
    return rc;
}

/* A copy of `obj` with apiVersion, kind and metadata.namespace set, ready to send. */
static int prepare(sg_json_t **out, sg_json_t **meta_out, sg_arena_t *arena, sg_store_kind_t kind, const char *ns,
                   const sg_json_t *obj, sg_error_t *err)
{
    if (obj == NULL || obj->type != SG_JSON_OBJECT)
        return sg_error_set(err, SG_EINVALID, "object must be a JSON object");
    sg_json_t *o = sg_json_clone(arena, obj);
    if (o == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    sg_json_t *meta = sg_json_get(o, "metadata");
    if (meta == NULL || meta->type != SG_JSON_OBJECT) {
        if (meta != NULL)
            return sg_error_setloc(err, SG_EINVALID, "metadata", 0, 0, "metadata must be an object");
        if ((meta = sg_json_new_object(arena)) == NULL || sg_json_object_set(arena, o, "metadata", meta) != 0)
            return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    const char *ons = sg_json_string(sg_json_get(meta, "namespace"), NULL);
    int namespaced = sg_store_kind_namespaced(kind);
    if (namespaced && ons != NULL && ons[0] != '\0' && strcmp(ons, ns) != 0)
        return sg_error_setloc(err, SG_EINVALID, "metadata.namespace", 0, 0,
                               "metadata.namespace \"%s\" does not match the namespace \"%s\" of the request", ons, ns);
    const char *av = sg_store_kind_api_version(kind), *k = sg_store_kind_name(kind);
    if (!namespaced)
        sg_json_object_remove(meta, "namespace");
    if (sg_json_object_set(arena, o, "apiVersion", sg_json_new_string(arena, av, strlen(av))) != 0 ||
        sg_json_object_set(arena, o, "kind", sg_json_new_string(arena, k, strlen(k))) != 0 ||
        (namespaced && sg_json_object_set(arena, meta, "namespace", sg_json_new_string(arena, ns, strlen(ns))) != 0))
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    *out = o;
    *meta_out = meta;
    return SG_OK;
}

static int set_rv(sg_arena_t *arena, sg_json_t *meta, uint64_t rv)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)rv);
    return sg_json_object_set(arena, meta, "resourceVersion", sg_json_new_string(arena, tmp, (size_t)n));
}

static int k_create(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                    const sg_store_write_opts_t *opts, sg_error_t *err)
{
    sg_kube__store_t *s = ks(store);
    int rc;
    if ((rc = check_kind(kind, err)) != SG_OK || (rc = sg_store_check_scope(&ns, kind, ns, err)) != SG_OK)
        return rc;
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_buf_t path = SG_BUF_INIT, body = SG_BUF_INIT;
    sg_kube_response_t resp;
    sg_kube_response_init(&resp);
    sg_json_t *o, *meta;
    if ((rc = prepare(&o, &meta, &arena, kind, ns, obj, err)) != SG_OK)
        goto cleanup;
    /* The apiserver assigns these and refuses a resourceVersion on create. */
    sg_json_object_remove(meta, "resourceVersion");
    sg_json_object_remove(meta, "uid");
    sg_json_object_remove(meta, "creationTimestamp");
    sg_json_object_remove(meta, "generation");
    if (sg_json_encode(&body, o) != 0 || sg_kube_collection_path(&path, kind, ns) != SG_OK) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto cleanup;
    }
    if ((rc = call(s, &resp, "POST", &path, &body, err)) == SG_OK)
        rc = deliver(s, out, NULL, &resp, err);
cleanup:
    sg_kube_response_dispose(&resp);
    sg_buf_dispose(&path);
    sg_buf_dispose(&body);
    sg_arena_dispose(&arena);
    return rc;
}

/* Sets `key` to `v`, or removes it when `v` is NULL. */
static int set_or_remove(sg_arena_t *arena, sg_json_t *obj, const char *key, sg_json_t *v)
{
    if (v == NULL) {
        sg_json_object_remove(obj, key);
        return SG_OK;
    }
    return sg_json_object_set(arena, obj, key, v) == 0 ? SG_OK : SG_ENOMEM;
}

/* GET-modify-PUT with conflict retries (see DESIGN). `status` is only used when `sub` is "status". */
static int write_loop(sg_kube__store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                      const sg_json_t *obj, const sg_json_t *status, const char *sub, const sg_store_write_opts_t *opts,
                      sg_error_t *err)
{
    uint64_t expected = opts != NULL ? opts->expected_rv : 0;
    int tries = expected != 0 ? 1 : s->status_retries, rc = SG_OK;
    sg_buf_t path = SG_BUF_INIT, gpath = SG_BUF_INIT, body = SG_BUF_INIT;
    sg_kube_response_t resp;
    sg_kube_response_init(&resp);
    item_path(&path, kind, ns, name, sub);
    item_path(&gpath, kind, ns, name, NULL);
    for (int attempt = 0; attempt < tries; attempt++) {
        sg_arena_t arena;
        sg_arena_init(&arena, 0);
        sg_json_t *cur = NULL, *o, *meta;
        if ((rc = call(s, &resp, "GET", &gpath, NULL, err)) != SG_OK ||
            (rc = parse_obj(&cur, &arena, &resp.body, err)) != SG_OK) {
            sg_arena_dispose(&arena);
            break;
        }
        uint64_t cur_rv = sg_kube__parse_rv(sg_json_path(cur, "metadata.resourceVersion"));
        if (sub == NULL) {
            /* Keep the current status: PUT on the main resource replaces it where there is no subresource. */
            if ((rc = prepare(&o, &meta, &arena, kind, ns, obj, err)) == SG_OK) {
                if (set_or_remove(&arena, o, "status", sg_json_get(cur, "status")) != SG_OK)
                    rc = SG_ENOMEM;
            }
        } else {
            o = cur;
            meta = sg_json_get(cur, "metadata");
            sg_json_t *st = status != NULL ? sg_json_clone(&arena, status) : NULL;
            if ((status != NULL && st == NULL) || set_or_remove(&arena, o, "status", st) != SG_OK)
                rc = SG_ENOMEM;
            if (rc == SG_OK && (meta == NULL || meta->type != SG_JSON_OBJECT))
                rc = sg_error_set(err, SG_EIO, "kube: %s \"%s\" came back without metadata", sg_store_kind_name(kind),
                                  name);
        }
        if (rc == SG_OK && set_rv(&arena, meta, expected != 0 ? expected : cur_rv) != 0)
            rc = SG_ENOMEM;
        sg_buf_reset(&body);
        if (rc == SG_OK && sg_json_encode(&body, o) != 0)
            rc = SG_ENOMEM;
        sg_arena_dispose(&arena);
        if (rc == SG_ENOMEM) {
            rc = sg_error_set(err, SG_ENOMEM, "out of memory");
            break;
        }
        if (rc != SG_OK)
            break;
        rc = call(s, &resp, "PUT", &path, &body, err);
        if (rc == SG_OK) {
            rc = deliver(s, out, NULL, &resp, err);
            break;
        }
        if (rc != SG_ECONFLICT || attempt + 1 >= tries)
            break;
        sg_log_debug("kube store: conflict, retrying", "name", SG_LOG_STR, name, "attempt", SG_LOG_INT, attempt + 1,
                     NULL);
        sg_kube__sleep(s->status_retry_delay_ms, NULL);
    }
    sg_kube_response_dispose(&resp);
    sg_buf_dispose(&path);
    sg_buf_dispose(&gpath);
    sg_buf_dispose(&body);
    return rc;
}

static int k_update(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                    const sg_store_write_opts_t *opts, sg_error_t *err)
{
    int rc;
    if ((rc = check_kind(kind, err)) != SG_OK || (rc = sg_store_check_scope(&ns, kind, ns, err)) != SG_OK)
        return rc;
    const char *name = sg_json_string(sg_json_path(obj, "metadata.name"), NULL);
    if ((rc = sg_store_check_name("metadata.name", name, err)) != SG_OK)
        return rc;
    return write_loop(ks(store), out, kind, ns, name, obj, NULL, NULL, opts, err);
}

static int k_update_status(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                           const sg_json_t *status, const sg_store_write_opts_t *opts, sg_error_t *err)
{
    int rc;
    if ((rc = check_kind(kind, err)) != SG_OK || (rc = sg_store_check_scope(&ns, kind, ns, err)) != SG_OK ||
        (rc = sg_store_check_name("name", name, err)) != SG_OK)
        return rc;
    return write_loop(ks(store), out, kind, ns, name, NULL, status, "status", opts, err);
}

static int k_remove(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                    const sg_store_write_opts_t *opts, sg_error_t *err)
{
    sg_kube__store_t *s = ks(store);
    int rc;
    if ((rc = check_kind(kind, err)) != SG_OK || (rc = sg_store_check_scope(&ns, kind, ns, err)) != SG_OK ||
        (rc = sg_store_check_name("name", name, err)) != SG_OK)
        return rc;
    sg_buf_t path = SG_BUF_INIT, body = SG_BUF_INIT, before = SG_BUF_INIT;
    sg_kube_response_t resp;
    sg_kube_response_init(&resp);
    item_path(&path, kind, ns, name, NULL);
    /* An apiserver may answer a delete with a Status instead of the object: keep the last state read beforehand. */
    if (out != NULL && (rc = k_get(store, &before, NULL, kind, ns, name, err)) != SG_OK)
        goto cleanup;
    uint64_t expected = opts != NULL ? opts->expected_rv : 0;
    if (expected != 0)
        sg_buf_printf(
            &body,
            "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{\"resourceVersion\":\"%llu\"}}",
            (unsigned long long)expected);
    if ((rc = call(s, &resp, "DELETE", &path, expected != 0 ? &body : NULL, err)) != SG_OK)
        goto cleanup;
    if (resp.body.len > 0 && strstr(resp.body.base, "\"kind\":\"Status\"") == NULL) {
        rc = deliver(s, out, NULL, &resp, err);
    } else if (out != NULL) {
        sg_buf_reset(out);
        rc = sg_buf_append(out, before.base, before.len) == 0 ? SG_OK : SG_ENOMEM;
    }
cleanup:
    sg_kube_response_dispose(&resp);
    sg_buf_dispose(&path);
    sg_buf_dispose(&body);
    sg_buf_dispose(&before);
    return rc;
}

#define LIST_PAGE 500
#define LIST_MAX_PAGES 100000

int sg_kube__store_list(sg_kube__store_t *s, sg_store_list_t *out, sg_store_kind_t kind, const char *ns,
                        const sg_store_list_opts_t *opts, sg_error_t *err)
{
    const char *labels = opts != NULL ? opts->label_selector : NULL;
    const char *fields = opts != NULL ? opts->field_selector : NULL;
    size_t limit = opts != NULL ? opts->limit : 0;
    sg_buf_t path = SG_BUF_INIT, cont = SG_BUF_INIT;
    sg_kube_response_t resp;
    sg_kube_response_init(&resp);
    int rc = SG_OK;
    free(out->items);
    sg_buf_dispose(&out->_data);
    sg_store_list_init(out);
    for (int page = 0; page < LIST_MAX_PAGES; page++) {
        sg_buf_reset(&path);
        sg_kube_collection_path(&path, kind, ns);
        char sep = '?';
        if (labels != NULL && labels[0] != '\0') {
            sg_buf_printf(&path, "%clabelSelector=", sep);
            sg_kube__query_escape(&path, labels);
            sep = '&';
        }
        if (fields != NULL && fields[0] != '\0') {
            sg_buf_printf(&path, "%cfieldSelector=", sep);
            sg_kube__query_escape(&path, fields);
            sep = '&';
        }
        sg_buf_printf(&path, "%climit=%zu", sep, limit > 0 ? limit - out->len : (size_t)LIST_PAGE);
        if (cont.len > 0) {
            sg_buf_puts(&path, "&continue=");
            sg_kube__query_escape(&path, cont.base);
        }
        if ((rc = call(s, &resp, "GET", &path, NULL, err)) != SG_OK) {
            if (rc == SG_ELIMIT && cont.len > 0) {
                /* The continue token expired (410): the pages so far are from an old snapshot; start over. */
                sg_buf_reset(&cont);
                free(out->items);
                sg_buf_dispose(&out->_data);
                sg_store_list_init(out);
                continue;
            }
            break;
        }
        sg_arena_t arena;
        sg_arena_init(&arena, 0);
        sg_json_t *lst = NULL;
        if ((rc = parse_obj(&lst, &arena, &resp.body, err)) != SG_OK) {
            sg_arena_dispose(&arena);
            break;
        }
        if (page == 0 || out->resource_version == 0)
            out->resource_version = sg_kube__parse_rv(sg_json_path(lst, "metadata.resourceVersion"));
        const sg_json_t *items = sg_json_get(lst, "items");
        for (size_t i = 0; items != NULL && items->type == SG_JSON_ARRAY && i < items->u.array.len; i++) {
            const sg_json_t *it = items->u.array.items[i];
            if (it->raw == NULL || it->type != SG_JSON_OBJECT)
                continue;
            uint64_t rv = sg_kube__parse_rv(sg_json_path(it, "metadata.resourceVersion"));
            if ((rc = sg_store_list_push(out, it->raw, it->raw_len, rv)) != SG_OK)
                break;
        }
        sg_buf_reset(&cont);
        const char *c = sg_json_string(sg_json_path(lst, "metadata.continue"), NULL);
        if (c != NULL)
            sg_buf_puts(&cont, c);
        sg_arena_dispose(&arena);
        if (rc != SG_OK) {
            rc = sg_error_set(err, SG_ENOMEM, "out of memory");
            break;
        }
        if (cont.len == 0 || (limit > 0 && out->len >= limit))
            break;
    }
    sg_store_list_finish(out);
    sg_kube__store_saw_rv(s, out->resource_version);
    sg_kube_response_dispose(&resp);
    sg_buf_dispose(&path);
    sg_buf_dispose(&cont);
    return rc;
}

static int k_list(sg_store_t *store, sg_store_list_t *out, sg_store_kind_t kind, const char *ns,
                  const sg_store_list_opts_t *opts, sg_error_t *err)
{
    if (check_kind(kind, err) != SG_OK)
        return SG_EINVALID;
    if (ns != NULL && ns[0] != '\0' && sg_store_kind_namespaced(kind)) {
        int rc = sg_store_check_name("namespace", ns, err);
        if (rc != SG_OK)
            return rc;
    }
    return sg_kube__store_list(ks(store), out, kind, ns, opts, err);
}

static uint64_t k_resource_version(sg_store_t *store)
{
    return __atomic_load_n(&ks(store)->rv, __ATOMIC_RELAXED);
}

static void k_close(sg_store_t *store)
{
    sg_kube__store_t *s = ks(store);
    sg_kube__informer_stop(s);
    pthread_mutex_destroy(&s->sub_mu);
    pthread_mutex_destroy(&s->informer_mu);
    free(s->subs);
    free(s->watch_ns);
    free(s);
}

static const sg_store_ops_t kube_ops = {
    .get = k_get,
    .create = k_create,
    .update = k_update,
    .update_status = k_update_status,
    .remove = k_remove,
    .list = k_list,
    .resource_version = k_resource_version,
    .watch_open = sg_kube__watch_open,
    .watch_next = sg_kube__watch_next,
    .watch_close = sg_kube__watch_close,
    .subscribe = sg_kube__subscribe,
    .unsubscribe = sg_kube__unsubscribe,
    .close = k_close,
};

int sg_store_open_kube(sg_store_t **out, const sg_store_kube_opts_t *opts, sg_error_t *err)
{
    *out = NULL;
    if (opts == NULL || opts->client == NULL)
        return sg_error_set(err, SG_EINVALID, "kube store: a client is required");
    sg_kube__store_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    s->super.ops = &kube_ops;
    s->client = opts->client;
    s->status_retries = opts->status_retries > 0 ? opts->status_retries : 5;
    s->status_retry_delay_ms = opts->status_retry_delay_ms > 0 ? opts->status_retry_delay_ms : 10;
    s->watch_timeout_s =
        opts->watch_timeout_s > 0 ? (opts->watch_timeout_s < 3600 ? opts->watch_timeout_s : 3600) : 300;
    s->max_queue = opts->max_queue > 0 ? opts->max_queue : 100000;
    if (opts->watch_namespace != NULL && opts->watch_namespace[0] != '\0' &&
        (s->watch_ns = strdup(opts->watch_namespace)) == NULL) {
        free(s);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s->sub_mu, NULL);
    pthread_mutex_init(&s->informer_mu, NULL);
    *out = &s->super;
    return SG_OK;
}
