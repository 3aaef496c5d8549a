/* Watches through the kube store: cursors survive broken streams, report 410 Gone as SG_ELIMIT, and subscribers
 * relist after 410 so that no change is lost. */
#include <criterion/criterion.h>
#include <pthread.h>

#include "helpers.h"

static kube_fx_t fx;

static void setup(void)
{
    kube_fx_open(&fx, NULL);
}

static void teardown(void)
{
    kube_fx_close(&fx);
}

TestSuite(kube_watch, .init = setup, .fini = teardown, .timeout = 120);

static void create(sg_store_kind_t kind, const char *ns, const char *name)
{
    char j[128];
    snprintf(j, sizeof(j), "{\"metadata\":{\"name\":\"%s\"}}", name);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(fx.st, NULL, kind, ns, j, strlen(j), NULL, &err), SG_OK, "%s", err.message);
}

static void next_is(sg_store_watch_t *w, sg_store_event_type_t type, const char *name)
{
    sg_store_event_t ev;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_store_watch_next(w, &ev, 10000, &err);
    cr_assert_eq(rc, SG_OK, "waiting for %s: %s", name, err.message);
    cr_assert_eq(ev.type, type, "%s: type %d", name, ev.type);
    cr_assert_str_eq(ev.name, name);
}

Test(kube_watch, from_zero_starts_with_the_current_objects)
{
    create(SG_KIND_STORY, "default", "a");
    sg_store_watch_t *w = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_watch_open(fx.st, &w, 0, SG_KIND_MASK(SG_KIND_STORY), NULL, &err), SG_OK, "%s", err.message);
    next_is(w, SG_STORE_ADDED, "a");
    create(SG_KIND_STORY, "default", "b");
    next_is(w, SG_STORE_ADDED, "b");
    sg_store_watch_close(w);
}

Test(kube_watch, a_broken_stream_resumes_without_loss_or_repeats)
{
    uint64_t from = fakeapi_rv(fx.api);
    sg_store_watch_t *w = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_watch_open(fx.st, &w, from, SG_KIND_MASK(SG_KIND_STORYRUN), "default", &err), SG_OK);
    create(SG_KIND_STORYRUN, "default", "r1");
    next_is(w, SG_STORE_ADDED, "r1");
    WAIT_FOR(fakeapi_open_watches(fx.api) == 1, 5000);
    fakeapi_drop_watches(fx.api);
    create(SG_KIND_STORYRUN, "default", "r2");
    create(SG_KIND_STORYRUN, "default", "r3");
    next_is(w, SG_STORE_ADDED, "r2");
    next_is(w, SG_STORE_ADDED, "r3");
    sg_store_event_t ev;
    cr_assert_eq(sg_store_watch_next(w, &ev, 300, &err), SG_EUNAVAILABLE, "no repeats");
    cr_assert_geq(fakeapi_count(fx.api, "WATCH", "/storyruns"), 2, "it reconnected");
    sg_store_watch_close(w);
}

Test(kube_watch, several_kinds_in_one_cursor)
{
    uint64_t from = fakeapi_rv(fx.api);
    sg_store_watch_t *w = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_watch_open(fx.st, &w, from, SG_KIND_MASK(SG_KIND_STORY) | SG_KIND_MASK(SG_KIND_STORYRUN),
                                     "default", &err),
                 SG_OK);
    create(SG_KIND_STORY, "default", "s");
    next_is(w, SG_STORE_ADDED, "s");
    create(SG_KIND_STORYRUN, "default", "r");
    next_is(w, SG_STORE_ADDED, "r");
    create(SG_KIND_STORYTRIGGER, "default", "t");
    sg_store_event_t ev;
    cr_assert_eq(sg_store_watch_next(w, &ev, 300, &err), SG_EUNAVAILABLE, "unwatched kinds are not seen");
    sg_store_watch_close(w);
}

Test(kube_watch, a_compacted_resource_version_is_too_old)
{
    uint64_t from = fakeapi_rv(fx.api);
    create(SG_KIND_STORY, "default", "a");
    fakeapi_compact(fx.api);
    sg_store_watch_t *w = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_watch_open(fx.st, &w, from, SG_KIND_MASK(SG_KIND_STORY), NULL, &err), SG_OK);
    sg_store_event_t ev;
    cr_assert_eq(sg_store_watch_next(w, &ev, 10000, &err), SG_ELIMIT);
    cr_assert(strstr(err.message, "too old resource version") != NULL, "%s", err.message);
    sg_store_watch_close(w);
}

Test(kube_watch, bookmarks_advance_the_resume_point)
{
    uint64_t from = fakeapi_rv(fx.api);
    sg_store_watch_t *w = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_watch_open(fx.st, &w, from, SG_KIND_MASK(SG_KIND_STORY), NULL, &err), SG_OK);
    /* Writes to another kind move the resourceVersion; the Story watch only learns of it through bookmarks. */
    for (int i = 0; i < 5; i++) {
        char n[8];
        snprintf(n, sizeof(n), "r%d", i);
        create(SG_KIND_STORYRUN, "default", n);
    }
    sleep_ms(1500); /* bookmarks come every second */
    fakeapi_compact(fx.api);
    fakeapi_drop_watches(fx.api);
    create(SG_KIND_STORY, "default", "after");
    sg_store_event_t ev;
    cr_assert_eq(sg_store_watch_next(w, &ev, 10000, &err), SG_OK,
                 "resumed past the compaction point thanks to the bookmark: %s", err.message);
    cr_assert_str_eq(ev.name, "after");
    sg_store_watch_close(w);
}

Test(kube_watch, a_cursor_that_falls_behind_reports_too_old)
{
    sg_store_kube_opts_t o = SG_STORE_KUBE_OPTS_INIT;
    o.client = fx.client;
    o.max_queue = 3;
    sg_store_t *small = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_open_kube(&small, &o, &err), SG_OK);
    sg_store_watch_t *w = NULL;
    cr_assert_eq(sg_store_watch_open(small, &w, fakeapi_rv(fx.api), SG_KIND_MASK(SG_KIND_STORY), NULL, &err), SG_OK);
    for (int i = 0; i < 6; i++) {
        char n[8];
        snprintf(n, sizeof(n), "s%d", i);
        create(SG_KIND_STORY, "default", n);
    }
    sleep_ms(500);
    sg_store_event_t ev;
    int rc, got = 0;
    while ((rc = sg_store_watch_next(w, &ev, 5000, &err)) == SG_OK)
        got++;
    cr_assert_eq(got, 3, "the buffered events are delivered first");
    cr_assert_eq(rc, SG_ELIMIT, "%s", err.message);
    sg_store_watch_close(w);
    sg_store_close(small);
}

typedef struct {
    pthread_mutex_t mu;
    char log[4096];
} sublog_t;

static void on_change(void *ctx, const sg_store_event_t *ev)
{
    sublog_t *s = ctx;
    static const char *t[] = {"", "ADDED", "MODIFIED", "DELETED"};
    pthread_mutex_lock(&s->mu);
    char one[128];
    snprintf(one, sizeof(one), "%s %s/%s;", t[ev->type], sg_store_kind_name(ev->kind), ev->name);
    strncat(s->log, one, sizeof(s->log) - strlen(s->log) - 1);
    pthread_mutex_unlock(&s->mu);
}

static int log_has(sublog_t *s, const char *needle)
{
    pthread_mutex_lock(&s->mu);
    int r = strstr(s->log, needle) != NULL;
    pthread_mutex_unlock(&s->mu);
    return r;
}

Test(kube_watch, subscribers_relist_after_gone_and_see_what_they_missed)
{
    create(SG_KIND_STORYTRIGGER, "default", "keep");
    create(SG_KIND_STORYTRIGGER, "default", "gone");
    create(SG_KIND_STORYTRIGGER, "default", "changed");
    sublog_t s = {PTHREAD_MUTEX_INITIALIZER, ""};
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_subscribe(fx.st, on_change, &s, &err), SG_OK, "%s", err.message);
    create(SG_KIND_STORYTRIGGER, "default", "live");
    WAIT_FOR(log_has(&s, "ADDED StoryTrigger/live;"), 10000);
    cr_assert(log_has(&s, "ADDED StoryTrigger/live;"), "%s", s.log);
    cr_assert(!log_has(&s, "keep"), "objects that existed before subscribing are not events: %s", s.log);

    /* Break the stream, change things while it is down, and expire the history. */
    fakeapi_inject(fx.api, "WATCH", 500, -1, 1000);
    fakeapi_drop_watches(fx.api);
    sleep_ms(200);
    cr_assert_eq(sg_store_delete(fx.st, NULL, SG_KIND_STORYTRIGGER, "default", "gone", NULL, &err), SG_OK);
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *status = NULL;
    sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
    cr_assert_eq(sg_json_parse(&status, &a, "{\"d\":1}", 7, &po, NULL), SG_OK);
    cr_assert_eq(sg_store_update_status(fx.st, NULL, SG_KIND_STORYTRIGGER, "default", "changed", status, NULL, &err),
                 SG_OK);
    create(SG_KIND_STORYTRIGGER, "default", "new");
    fakeapi_compact(fx.api);
    fakeapi_clear_injections(fx.api);
    WAIT_FOR(log_has(&s, "ADDED StoryTrigger/new;"), 15000);
    WAIT_FOR(log_has(&s, "DELETED StoryTrigger/gone;") && log_has(&s, "MODIFIED StoryTrigger/changed;"), 5000);
    cr_assert(log_has(&s, "DELETED StoryTrigger/gone;"), "%s", s.log);
    cr_assert(log_has(&s, "MODIFIED StoryTrigger/changed;"), "%s", s.log);
    cr_assert(log_has(&s, "ADDED StoryTrigger/new;"), "%s", s.log);
    cr_assert(!log_has(&s, "keep"), "unchanged objects make no event on relist: %s", s.log);
    cr_assert(!log_has(&s, "ADDED StoryTrigger/live;ADDED StoryTrigger/live"), "no repeats: %s", s.log);
    sg_store_unsubscribe(fx.st, on_change, &s);
    sg_arena_dispose(&a);
}

Test(kube_watch, subscribers_start_without_namespaces_when_rbac_forbids_them)
{
    const char *ns = "{\"metadata\":{\"name\":\"team-a\",\"labels\":{\"env\":\"prod\"}}}";
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(fx.st, NULL, SG_KIND_NAMESPACE, NULL, ns, strlen(ns), NULL, &err), SG_OK, "%s",
                 err.message);
    fakeapi_forbid(fx.api, "/api/v1/namespaces");
    sublog_t s = {PTHREAD_MUTEX_INITIALIZER, ""};
    cr_assert_eq(sg_store_subscribe(fx.st, on_change, &s, &err), SG_OK, "namespaces are optional: %s", err.message);
    create(SG_KIND_STORYTRIGGER, "default", "live");
    WAIT_FOR(log_has(&s, "ADDED StoryTrigger/live;"), 10000);
    cr_assert(log_has(&s, "ADDED StoryTrigger/live;"), "the other kinds run: %s", s.log);
    cr_assert(!log_has(&s, "Namespace/team-a"), "%s", s.log);
    /* once the role allows namespaces, the background relist delivers what exists */
    fakeapi_forbid(fx.api, NULL);
    WAIT_FOR(log_has(&s, "ADDED Namespace/team-a;"), 15000);
    cr_assert(log_has(&s, "ADDED Namespace/team-a;"), "%s", s.log);
    sg_store_unsubscribe(fx.st, on_change, &s);
}
