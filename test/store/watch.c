/* Store watch: cursors from a resourceVersion, filters, resume after reopen, compaction ("too old"), subscribers. */
#include <criterion/criterion.h>
#include <pthread.h>

#include "helpers.h"

static char *dir;
static sg_store_t *st;
static sg_metrics_t *reg;

static void setup(void)
{
    st = fixture_open(&dir, &reg);
}

static void teardown(void)
{
    fixture_close(st, reg, dir);
}

TestSuite(store_watch, .init = setup, .fini = teardown);

static void mk(sg_store_kind_t kind, const char *ns, const char *name)
{
    char j[256];
    snprintf(j, sizeof(j), "{\"metadata\":{\"name\":\"%s\"},\"spec\":{}}", name);
    cr_assert_eq(sg_store_create(st, NULL, kind, ns, j, strlen(j), NULL, NULL), SG_OK);
}

Test(store_watch, delivers_added_modified_deleted_in_order)
{
    mk(SG_KIND_STORY, "a", "s0");
    sg_store_watch_t *w;
    cr_assert_eq(sg_store_watch_open(st, &w, 1, SG_KIND_MASK_ALL, NULL, NULL), SG_OK);
    mk(SG_KIND_STORY, "a", "s1");
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_store_update_status(st, NULL, SG_KIND_STORY, "a", "s1", parse(&arena, "{\"x\":1}"), NULL, NULL);
    sg_store_delete(st, NULL, SG_KIND_STORY, "a", "s1", NULL, NULL);
    sg_store_event_t ev;
    sg_error_t err = SG_ERROR_INIT;
    static const sg_store_event_type_t want[] = {SG_STORE_ADDED, SG_STORE_MODIFIED, SG_STORE_DELETED};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(sg_store_watch_next(w, &ev, 1000, &err), SG_OK, "%s", err.message);
        cr_assert_eq(ev.type, want[i]);
        cr_assert_eq(ev.resource_version, (uint64_t)i + 2);
        cr_assert_str_eq(ev.namespace_, "a");
        cr_assert_str_eq(ev.name, "s1");
        sg_json_t *o = parse(&arena, ev.json);
        char rv[24];
        snprintf(rv, sizeof(rv), "%d", i + 2);
        cr_assert(sg_json_string_eq(sg_json_path(o, "metadata.resourceVersion"), rv));
    }
    cr_assert_eq(sg_store_watch_next(w, &ev, 0, &err), SG_EUNAVAILABLE);
    sg_store_watch_close(w);
    sg_arena_dispose(&arena);
}

Test(store_watch, filters_by_kind_and_namespace)
{
    sg_store_watch_t *w;
    cr_assert_eq(sg_store_watch_open(st, &w, 0, SG_KIND_MASK(SG_KIND_STORYTRIGGER), "b", NULL), SG_OK);
    mk(SG_KIND_STORY, "b", "x");
    mk(SG_KIND_STORYTRIGGER, "a", "x");
    mk(SG_KIND_STORYTRIGGER, "b", "y");
    sg_store_event_t ev;
    cr_assert_eq(sg_store_watch_next(w, &ev, 1000, NULL), SG_OK);
    cr_assert_eq(ev.kind, SG_KIND_STORYTRIGGER);
    cr_assert_str_eq(ev.name, "y");
    cr_assert_eq(ev.resource_version, 3);
    cr_assert_eq(sg_store_watch_next(w, &ev, 10, NULL), SG_EUNAVAILABLE);
    sg_store_watch_close(w);
}

Test(store_watch, resumes_after_reopen)
{
    for (int i = 0; i < 5; i++) {
        char n[24];
        snprintf(n, sizeof(n), "s%d", i);
        mk(SG_KIND_STORY, "a", n);
    }
    sg_store_close(st);
    st = open_store(dir, reg);
    sg_store_watch_t *w;
    cr_assert_eq(sg_store_watch_open(st, &w, 3, SG_KIND_MASK_ALL, NULL, NULL), SG_OK);
    sg_store_event_t ev;
    cr_assert_eq(sg_store_watch_next(w, &ev, 0, NULL), SG_OK);
    cr_assert_eq(ev.resource_version, 4);
    cr_assert_str_eq(ev.name, "s3");
    cr_assert_eq(sg_store_watch_next(w, &ev, 0, NULL), SG_OK);
    cr_assert_eq(ev.resource_version, 5);
    cr_assert_eq(sg_store_watch_next(w, &ev, 0, NULL), SG_EUNAVAILABLE);
    sg_store_watch_close(w);
}

Test(store_watch, compacted_versions_are_too_old)
{
    sg_store_close(st);
    sg_store_lmdb_opts_t o = SG_STORE_LMDB_OPTS_INIT;
    o.path = dir;
    o.max_events = 3;
    o.metrics = reg;
    cr_assert_eq(sg_store_open_lmdb(&st, &o, NULL), SG_OK);
    sg_store_watch_t *w0;
    cr_assert_eq(sg_store_watch_open(st, &w0, 0, SG_KIND_MASK_ALL, NULL, NULL), SG_OK);
    for (int i = 0; i < 6; i++) {
        char n[24];
        snprintf(n, sizeof(n), "s%d", i);
        mk(SG_KIND_STORY, "a", n);
    }
    sg_error_t err = SG_ERROR_INIT;
    sg_store_watch_t *w;
    cr_assert_eq(sg_store_watch_open(st, &w, 1, SG_KIND_MASK_ALL, NULL, &err), SG_ELIMIT);
    cr_assert(strstr(err.message, "too old resource version") != NULL);
    sg_store_event_t ev;
    /* a cursor that fell behind learns it on its next read */
    cr_assert_eq(sg_store_watch_next(w0, &ev, 0, &err), SG_ELIMIT);
    sg_store_watch_close(w0);
    cr_assert_eq(sg_store_watch_open(st, &w, 3, SG_KIND_MASK_ALL, NULL, &err), SG_OK);
    cr_assert_eq(sg_store_watch_next(w, &ev, 0, NULL), SG_OK);
    cr_assert_eq(ev.resource_version, 4);
    sg_store_watch_close(w);
}

typedef struct {
    pthread_mutex_t mu;
    int n;
    uint64_t last_rv;
    int ordered;
    const void *origin;
} sub_t;

static void on_event(void *ctx, const sg_store_event_t *ev)
{
    sub_t *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->n++;
    if (ev->resource_version <= s->last_rv)
        s->ordered = 0;
    s->last_rv = ev->resource_version;
    s->origin = ev->origin;
    pthread_mutex_unlock(&s->mu);
}

Test(store_watch, subscribers_see_every_commit_before_the_ack)
{
    sub_t sub = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 1, NULL};
    cr_assert_eq(sg_store_subscribe(st, on_event, &sub, NULL), SG_OK);
    mk(SG_KIND_STORY, "a", "x");
    cr_assert_eq(sub.n, 1);
    static int tag;
    sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
    o.origin = &tag;
    cr_assert_eq(sg_store_delete(st, NULL, SG_KIND_STORY, "a", "x", &o, NULL), SG_OK);
    cr_assert_eq(sub.n, 2);
    cr_assert_eq(sub.origin, &tag);
    cr_assert(sub.ordered);
    sg_store_unsubscribe(st, on_event, &sub);
    mk(SG_KIND_STORY, "a", "y");
    cr_assert_eq(sub.n, 2);
}

static void *late_writer(void *arg)
{
    usleep(50000);
    mk(SG_KIND_STORY, "a", (const char *)arg);
    return NULL;
}

Test(store_watch, blocking_next_wakes_on_commit)
{
    sg_store_watch_t *w;
    cr_assert_eq(sg_store_watch_open(st, &w, 0, SG_KIND_MASK_ALL, NULL, NULL), SG_OK);
    pthread_t t;
    pthread_create(&t, NULL, late_writer, "late");
    sg_store_event_t ev;
    cr_assert_eq(sg_store_watch_next(w, &ev, -1, NULL), SG_OK);
    cr_assert_str_eq(ev.name, "late");
    pthread_join(t, NULL);
    sg_store_watch_close(w);
}
