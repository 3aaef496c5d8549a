/* Keeps a holder's snapshot (Stories, ReferenceGrants and Namespace labels, read by admission) current from any store:
 * built from a list at start, then every committed change of those kinds clones the current snapshot (entries are
 * shared, so this is cheap), applies the change and publishes the copy. Readers never see a snapshot change under
 * them, and admission never reads the store. */
#include <pthread.h>
#include <stdlib.h>

#include <storygate/log.h>
#include <storygate/refs.h>

struct st_sg_refs_feed_t {
    sg_refs_holder_t *holder;
    sg_store_t *store;
    pthread_mutex_t mu; /* one publisher at a time: the initial list, then each change */
    int subscribed;
};

static int apply(sg_refs_snapshot_t *snap, sg_store_kind_t kind, sg_store_event_type_t type, const char *ns,
                 const char *name, const char *json, size_t len)
{
    if (type == SG_STORE_DELETED) {
        if (kind == SG_KIND_STORY)
            sg_refs_snapshot_remove_story(snap, sg_span_cstr(ns), sg_span_cstr(name));
        else if (kind == SG_KIND_NAMESPACE)
            sg_refs_snapshot_remove_namespace(snap, sg_span_cstr(name));
        else
            sg_refs_snapshot_remove_grant(snap, sg_span_cstr(ns), sg_span_cstr(name));
        return SG_OK;
    }
    sg_arena_t arena;
    sg_arena_init(&arena, 4096);
    sg_json_t *obj = NULL;
    sg_error_t err = SG_ERROR_INIT;
    sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
    int rc = sg_json_parse(&obj, &arena, json, len, &o, &err);
    if (rc == SG_OK)
        rc = kind == SG_KIND_STORY       ? sg_refs_snapshot_put_story_json(snap, obj, &err)
             : kind == SG_KIND_NAMESPACE ? sg_refs_snapshot_put_namespace_json(snap, obj, &err)
                                         : sg_refs_snapshot_put_grant_json(snap, obj, &err);
    if (rc < 0)
        sg_log_warn("cannot index object for admission", "kind", SG_LOG_STR, sg_store_kind_name(kind), "namespace",
                    SG_LOG_STR, ns, "name", SG_LOG_STR, name, "error", SG_LOG_ERR, &err, NULL);
    sg_arena_dispose(&arena);
    return rc;
}

static void on_change(void *ctx, const sg_store_event_t *ev)
{
    sg_refs_feed_t *f = ctx;
    if (ev->kind != SG_KIND_STORY && ev->kind != SG_KIND_REFERENCEGRANT && ev->kind != SG_KIND_NAMESPACE)
        return;
    pthread_mutex_lock(&f->mu);
    sg_refs_snapshot_t *cur = sg_refs_holder_acquire(f->holder);
    if (cur != NULL) {
        sg_refs_snapshot_t *next = sg_refs_snapshot_clone(cur);
        if (next != NULL) {
            apply(next, ev->kind, ev->type, ev->namespace_, ev->name, ev->json, ev->len);
            sg_refs_holder_publish(f->holder, next);
        } else {
            sg_log_error("out of memory updating the admission snapshot", NULL);
        }
        sg_refs_snapshot_release(cur);
    }
    pthread_mutex_unlock(&f->mu);
}

int sg_refs_feed_start(sg_refs_feed_t **out, sg_refs_holder_t *holder, sg_store_t *store, sg_error_t *err)
{
    *out = NULL;
    sg_refs_feed_t *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    f->holder = holder;
    f->store = store;
    pthread_mutex_init(&f->mu, NULL);
    sg_refs_snapshot_t *snap = NULL;
    int rc = sg_store_subscribe(store, on_change, f, err);
    if (rc < 0)
        goto fail;
    f->subscribed = 1;
    if ((snap = sg_refs_snapshot_new()) == NULL) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto fail;
    }
    static const sg_store_kind_t kinds[] = {SG_KIND_STORY, SG_KIND_REFERENCEGRANT, SG_KIND_NAMESPACE};
    /* Changes committed while listing wait on `mu` and are applied, in order, to the published list: subscribing
     * first means none is missed, and replaying one the list already shows converges to the same state. */
    pthread_mutex_lock(&f->mu);
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && rc == SG_OK; k++) {
        sg_store_list_t list;
        sg_store_list_init(&list);
        sg_store_list_opts_t lo = SG_STORE_LIST_OPTS_INIT;
        rc = sg_store_list(store, &list, kinds[k], NULL, &lo, err);
        if (rc < 0 && kinds[k] == SG_KIND_NAMESPACE) {
            /* best effort (see refs.h): policies then see only the implicit kubernetes.io/metadata.name label */
            sg_log_warn("cannot list namespaces; namespaceSelector sees only kubernetes.io/metadata.name", "error",
                        SG_LOG_ERR, err, NULL);
            sg_error_clear(err);
            rc = SG_OK;
        }
        for (size_t i = 0; rc == SG_OK && i < list.len; i++)
            if (apply(snap, kinds[k], SG_STORE_ADDED, "", "", list.items[i].json, list.items[i].len) == SG_ENOMEM)
                rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        sg_store_list_dispose(&list);
    }
    if (rc == SG_OK) {
        sg_refs_snapshot_set_synced(snap, 1);
        sg_refs_holder_publish(holder, snap);
        snap = NULL;
    }
    pthread_mutex_unlock(&f->mu);
    if (rc < 0)
        goto fail;
    *out = f;
    return SG_OK;
fail:
    sg_refs_snapshot_release(snap);
    sg_refs_feed_stop(f);
    return rc;
}

void sg_refs_feed_stop(sg_refs_feed_t *f)
{
    if (f == NULL)
        return;
    if (f->subscribed)
        sg_store_unsubscribe(f->store, on_change, f);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
