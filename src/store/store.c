/* The store interface: kind tables (names, groups, scope), dispatch to the backend's vtable, list storage, and
 * Kubernetes-style errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "internal.h"

static const struct {
    const char *kind, *group, *api_version, *plural;
    int namespaced;
} kinds[SG_KIND__COUNT] = {
    [SG_KIND_STORY] = {"Story", "bubustack.io", "bubustack.io/v1alpha1", "stories", 1},
    [SG_KIND_REFERENCEGRANT] = {"ReferenceGrant", "policy.bubustack.io", "policy.bubustack.io/v1alpha1",
                                "referencegrants", 1},
    [SG_KIND_STORYTRIGGER] = {"StoryTrigger", "runs.bubustack.io", "runs.bubustack.io/v1alpha1", "storytriggers", 1},
    [SG_KIND_STORYRUN] = {"StoryRun", "runs.bubustack.io", "runs.bubustack.io/v1alpha1", "storyruns", 1},
    [SG_KIND_NAMESPACE] = {"Namespace", "", "v1", "namespaces", 0},
};

int sg_store_kind_namespaced(sg_store_kind_t kind)
{
    return (unsigned)kind < SG_KIND__COUNT ? kinds[kind].namespaced : 1;
}

int sg_store_check_scope(const char **out, sg_store_kind_t kind, const char *ns, sg_error_t *err)
{
    if ((unsigned)kind >= SG_KIND__COUNT)
        return sg_error_set(err, SG_EINVALID, "unknown kind %d", (int)kind);
    if (kinds[kind].namespaced) {
        *out = ns;
        return sg_store_check_name("namespace", ns, err);
    }
    if (ns != NULL && ns[0] != '\0')
        return sg_error_set(err, SG_EINVALID, "%s are cluster-scoped: no namespace may be given", kinds[kind].plural);
    *out = "";
    return SG_OK;
}

const char *sg_store_kind_name(sg_store_kind_t kind)
{
    return (unsigned)kind < SG_KIND__COUNT ? kinds[kind].kind : "";
}

const char *sg_store_kind_api_version(sg_store_kind_t kind)
{
    return (unsigned)kind < SG_KIND__COUNT ? kinds[kind].api_version : "";
}

const char *sg_store_kind_group(sg_store_kind_t kind)
{
    return (unsigned)kind < SG_KIND__COUNT ? kinds[kind].group : "";
}

const char *sg_store_kind_plural(sg_store_kind_t kind)
{
    return (unsigned)kind < SG_KIND__COUNT ? kinds[kind].plural : "";
}

int sg_store_kind_parse(sg_store_kind_t *out, const char *name)
{
    for (int i = 0; name != NULL && i < SG_KIND__COUNT; i++) {
        if (strcmp(name, kinds[i].kind) == 0 || strcmp(name, kinds[i].plural) == 0) {
            *out = (sg_store_kind_t)i;
            return SG_OK;
        }
    }
    return SG_ENOTFOUND;
}

/* "storyruns.runs.bubustack.io", or just "namespaces" for the core group, as the apiserver names resources. */
static const char *qualified(char *buf, size_t cap, sg_store_kind_t kind)
{
    if (kinds[kind].group[0] == '\0')
        return kinds[kind].plural;
    snprintf(buf, cap, "%s.%s", kinds[kind].plural, kinds[kind].group);
    return buf;
}

int sg_store__err_notfound(sg_error_t *err, sg_store_kind_t kind, const char *name)
{
    char q[128];
    return sg_error_set(err, SG_ENOTFOUND, "%s \"%s\" not found", qualified(q, sizeof(q), kind), name);
}

int sg_store__err_exists(sg_error_t *err, sg_store_kind_t kind, const char *name)
{
    char q[128];
    return sg_error_set(err, SG_ECONFLICT, "%s \"%s\" already exists", qualified(q, sizeof(q), kind), name);
}

int sg_store__err_conflict(sg_error_t *err, sg_store_kind_t kind, const char *name)
{
    char q[128];
    return sg_error_set(err, SG_ECONFLICT,
                        "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please apply "
                        "your changes to the latest version and try again",
                        qualified(q, sizeof(q), kind), name);
}

int sg_store_check_name(const char *what, const char *s, sg_error_t *err)
{
    if (s == NULL || s[0] == '\0')
        return sg_error_set(err, SG_EINVALID, "%s is required", what);
    size_t n = strlen(s);
    if (n > SG_STORE_NAME_MAX)
        return sg_error_set(err, SG_EINVALID, "%s is longer than %d bytes", what, SG_STORE_NAME_MAX);
    if (memchr(s, '/', n) != NULL)
        return sg_error_set(err, SG_EINVALID, "%s must not contain '/'", what);
    return SG_OK;
}

int sg_store__uuid(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return SG_EIO;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return SG_OK;
}

void sg_store__now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sg_store_list_init(sg_store_list_t *l)
{
    memset(l, 0, sizeof(*l));
    sg_buf_init(&l->_data);
}

void sg_store_list_dispose(sg_store_list_t *l)
{
    if (l == NULL)
        return;
    free(l->items);
    sg_buf_dispose(&l->_data);
    memset(l, 0, sizeof(*l));
}

int sg_store_list_push(sg_store_list_t *l, const char *json, size_t len, uint64_t rv)
{
    if (l->len == l->_cap) {
        size_t cap = l->_cap ? l->_cap * 2 : 16;
        sg_store_item_t *items = realloc(l->items, cap * sizeof(*items));
        if (items == NULL)
            return SG_ENOMEM;
        l->items = items;
        l->_cap = cap;
    }
    /* Offsets for now: the storage may move until sg_store_list_finish. */
    l->items[l->len].json = (const char *)(uintptr_t)l->_data.len;
    l->items[l->len].len = len;
    l->items[l->len].resource_version = rv;
    if (sg_buf_append(&l->_data, json, len) != 0 || sg_buf_putc(&l->_data, '\0') != 0)
        return SG_ENOMEM;
    l->len++;
    return SG_OK;
}

void sg_store_list_finish(sg_store_list_t *l)
{
    for (size_t i = 0; i < l->len; i++)
        l->items[i].json = l->_data.base + (uintptr_t)l->items[i].json;
}

void sg_store_close(sg_store_t *s)
{
    if (s != NULL)
        s->ops->close(s);
}

int sg_store_get(sg_store_t *s, sg_buf_t *out, uint64_t *rv, sg_store_kind_t kind, const char *ns, const char *name,
                 sg_error_t *err)
{
    return s->ops->get(s, out, rv, kind, ns, name, err);
}

int sg_store_create(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *json, size_t len,
                    const sg_store_write_opts_t *opts, sg_error_t *err)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
    sg_json_t *obj = NULL;
    int rc = sg_json_parse(&obj, &arena, json, len, &popts, err);
    if (rc == SG_OK)
        rc = sg_store_create_json(s, out, kind, ns, obj, opts, err);
    sg_arena_dispose(&arena);
    return rc;
}

/* A backend without asynchronous writes completes them on the caller's thread: a failure is returned (nothing was
 * written), a success goes to the completion. */
static int sync_done(const sg_store_write_opts_t *opts, int rc, sg_buf_t *res)
{
    if (rc == SG_OK) {
        sg_error_t none = SG_ERROR_INIT;
        opts->done(opts->done_ctx, rc, &none, res->base != NULL ? res->base : "", res->len);
    }
    sg_buf_dispose(res);
    return rc;
}

int sg_store_create_json(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                         const sg_store_write_opts_t *opts, sg_error_t *err)
{
    if (opts == NULL || opts->done == NULL || s->ops->async_writes)
        return s->ops->create(s, out, kind, ns, obj, opts, err);
    sg_store_write_opts_t sync = *opts;
    sync.done = NULL;
    sg_buf_t res = SG_BUF_INIT;
    return sync_done(opts, s->ops->create(s, &res, kind, ns, obj, &sync, err), &res);
}

int sg_store_update_json(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                         const sg_store_write_opts_t *opts, sg_error_t *err)
{
    return s->ops->update(s, out, kind, ns, obj, opts, err);
}

int sg_store_update_status(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                           const sg_json_t *status, const sg_store_write_opts_t *opts, sg_error_t *err)
{
    if (opts == NULL || opts->done == NULL || s->ops->async_writes)
        return s->ops->update_status(s, out, kind, ns, name, status, opts, err);
    sg_store_write_opts_t sync = *opts;
    sync.done = NULL;
    sg_buf_t res = SG_BUF_INIT;
    return sync_done(opts, s->ops->update_status(s, &res, kind, ns, name, status, &sync, err), &res);
}

int sg_store_delete(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                    const sg_store_write_opts_t *opts, sg_error_t *err)
{
    return s->ops->remove(s, out, kind, ns, name, opts, err);
}

int sg_store_list(sg_store_t *s, sg_store_list_t *out, sg_store_kind_t kind, const char *ns,
                  const sg_store_list_opts_t *opts, sg_error_t *err)
{
    return s->ops->list(s, out, kind, ns, opts, err);
}

int sg_store_apply(sg_store_t *s, sg_store_op_t *ops, size_t n, const sg_store_write_opts_t *opts, size_t *failed,
                   sg_error_t *err)
{
    if (s->ops->apply == NULL)
        return sg_error_set(err, SG_EUNSUPPORTED, "this store cannot apply writes atomically");
    if (opts == NULL || opts->done == NULL || s->ops->async_writes)
        return s->ops->apply(s, ops, n, opts, failed, err);
    sg_store_write_opts_t sync = *opts;
    sync.done = NULL;
    sg_buf_t res = SG_BUF_INIT;
    return sync_done(opts, s->ops->apply(s, ops, n, &sync, failed, err), &res);
}

int sg_store_new_uid(char out[37])
{
    return sg_store__uuid(out);
}

int sg_store_async_writes(const sg_store_t *s)
{
    return s->ops->async_writes;
}

uint64_t sg_store_resource_version(sg_store_t *s)
{
    return s->ops->resource_version(s);
}

int sg_store_watch_open(sg_store_t *s, sg_store_watch_t **out, uint64_t from_rv, unsigned kind_mask, const char *ns,
                        sg_error_t *err)
{
    return s->ops->watch_open(s, out, from_rv, kind_mask, ns, err);
}

int sg_store_watch_next(sg_store_watch_t *w, sg_store_event_t *ev, int timeout_ms, sg_error_t *err)
{
    return w->store->ops->watch_next(w, ev, timeout_ms, err);
}

void sg_store_watch_close(sg_store_watch_t *w)
{
    if (w != NULL)
        w->store->ops->watch_close(w);
}

int sg_store_subscribe(sg_store_t *s, sg_store_subscriber_cb cb, void *ctx, sg_error_t *err)
{
    return s->ops->subscribe(s, cb, ctx, err);
}

void sg_store_unsubscribe(sg_store_t *s, sg_store_subscriber_cb cb, void *ctx)
{
    s->ops->unsubscribe(s, cb, ctx);
}
