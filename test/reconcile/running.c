/* The running reconciler: Pending first, store-driven enqueue, StoryNotFound re-decided when the Story appears,
 * startup resync, concurrency (one StoryRun per identity), cross-namespace grants. */
#include <pthread.h>

#include "helpers.h"

extern fx_t fx;

TestSuite(reconcile_running, .fini = fx_close, .timeout = 60);

typedef struct {
    pthread_mutex_t mu;
    char decisions[16][32];
    char accepted[16][32];
    int completed[16];
    int n;
} capture_t;

static void on_event(void *ctx, const sg_store_event_t *ev)
{
    capture_t *c = ctx;
    if (ev->kind != SG_KIND_STORYTRIGGER || ev->type != SG_STORE_MODIFIED)
        return;
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *o = NULL;
    sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
    sg_json_parse(&o, &a, ev->json, ev->len, &po, NULL);
    pthread_mutex_lock(&c->mu);
    if (c->n < 16) {
        snprintf(c->decisions[c->n], 32, "%s", jstr(o, "status.decision") ? jstr(o, "status.decision") : "");
        snprintf(c->accepted[c->n], 32, "%s", jstr(o, "status.acceptedAt") ? jstr(o, "status.acceptedAt") : "");
        c->completed[c->n] = jstr(o, "status.completedAt") != NULL;
        c->n++;
    }
    pthread_mutex_unlock(&c->mu);
    sg_arena_dispose(&a);
}

Test(reconcile_running, pending_with_accepted_at_is_written_first)
{
    fx_open(NULL);
    capture_t c = {.mu = PTHREAD_MUTEX_INITIALIZER};
    sg_store_subscribe(fx.store, on_event, &c, NULL);
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "p"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    sg_store_unsubscribe(fx.store, on_event, &c);
    cr_assert_eq(c.n, 2);
    cr_assert_str_eq(c.decisions[0], "Pending");
    cr_assert_neq(c.accepted[0][0], '\0');
    cr_assert(!c.completed[0]);
    cr_assert_str_eq(c.decisions[1], "Created");
    cr_assert_str_eq(c.accepted[1], c.accepted[0]);
    cr_assert(c.completed[1]);
}

static int decided_as(const char *ns, const char *name, const char *decision, const char *reason)
{
    sg_json_t *t = get_obj(SG_KIND_STORYTRIGGER, ns, name);
    return t != NULL && jstr(t, "status.decision") && strcmp(jstr(t, "status.decision"), decision) == 0 &&
           (reason == NULL || strcmp(jstr(t, "status.reason"), reason) == 0);
}

Test(reconcile_running, story_not_found_is_redecided_when_the_story_appears)
{
    fx_open(NULL);
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    trig_t t = {.ns = "default", .story = "late", .submission = "x"};
    const char *name = put_trigger(&t);
    cr_assert(sg_reconciler_wait_idle(fx.rec, 1000, 20000));
    cr_assert(decided_as("default", name, "Rejected", "StoryNotFound"));
    put_story("default", "late", NULL);
    cr_assert(sg_reconciler_wait_idle(fx.rec, 1000, 20000));
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Created", "StoryRunCreated", NULL);
    /* conditions moved: Degraded True -> False */
    cr_assert_str_eq(jstr(condition(tr, "Degraded"), "status"), "False");
}

Test(reconcile_running, startup_resync_decides_undecided_triggers_only)
{
    fx_open(NULL);
    put_story("default", "s", NULL);
    trig_t a = {.ns = "default", .story = "s", .submission = "a"};
    trig_t b = {.ns = "ns2", .story = "s", .story_ns = "default", .submission = "b"};
    trig_t c = {.ns = "default", .story = "s", .submission = "c"};
    const char *na = put_trigger(&a), *nb = put_trigger(&b), *nc = put_trigger(&c);
    /* c was decided by an earlier process: untouched */
    sg_arena_t ar;
    sg_arena_init(&ar, 0);
    sg_json_t *st = NULL;
    sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
    const char *sj = "{\"decision\":\"Rejected\",\"reason\":\"Custom\",\"observedGeneration\":1}";
    sg_json_parse(&st, &ar, sj, strlen(sj), &po, NULL);
    cr_assert_eq(sg_store_update_status(fx.store, NULL, SG_KIND_STORYTRIGGER, "default", nc, st, NULL, NULL), SG_OK);
    sg_arena_dispose(&ar);
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    cr_assert(sg_reconciler_wait_idle(fx.rec, 1000, 20000));
    cr_assert(decided_as("default", na, "Created", NULL));
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "ns2", nb), "Rejected", "ValidationFailed",
                    "cross-namespace StoryRef references are not allowed");
    cr_assert(decided_as("default", nc, "Rejected", "Custom"));
}

typedef struct {
    const char *ns, *name;
    int rc;
} worker_arg_t;

static void *hammer(void *p)
{
    worker_arg_t *w = p;
    sg_error_t err = SG_ERROR_INIT;
    w->rc = sg_reconciler_reconcile(fx.rec, w->ns, w->name, &err);
    sg_reconciler_enqueue(fx.rec, w->ns, w->name);
    return NULL;
}

Test(reconcile_running, concurrent_passes_for_one_identity_create_one_storyrun)
{
    fx_open(NULL);
    put_story("default", "s", NULL);
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    trig_t t = {.ns = "default",
                .story = "s",
                .mode = "token",
                .key = "same",
                .submission = "same",
                .inputs = "{\"n\":1}",
                .input_hash = "auto"};
    const char *name = put_trigger(&t);
    /* identical re-creates are AlreadyExists */
    const char *j = "{\"metadata\":{\"name\":\"x\"}}";
    (void)j;
    enum { N = 100 };
    pthread_t th[N];
    worker_arg_t args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (worker_arg_t){"default", name, 0};
        pthread_create(&th[i], NULL, hammer, &args[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(args[i].rc, SG_OK);
    }
    cr_assert(sg_reconciler_wait_idle(fx.rec, 1000, 20000));
    sg_store_list_t l;
    sg_store_list_init(&l);
    cr_assert_eq(sg_store_list(fx.store, &l, SG_KIND_STORYRUN, NULL, NULL, NULL), SG_OK);
    cr_assert_eq(l.len, 1);
    sg_store_list_dispose(&l);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Created", "StoryRunCreated", NULL);
}

Test(reconcile_running, many_triggers_are_all_decided)
{
    fx_open(NULL);
    put_story("default", "s", NULL);
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    char sub[32];
    const char *names[300];
    for (int i = 0; i < 300; i++) {
        snprintf(sub, sizeof(sub), "sub-%d", i);
        trig_t t = {.ns = "default", .story = "s", .submission = sub, .inputs = "{\"i\":1}"};
        names[i] = put_trigger(&t);
    }
    cr_assert(sg_reconciler_wait_idle(fx.rec, 1000, 30000));
    for (int i = 0; i < 300; i++)
        cr_assert(decided_as("default", names[i], "Created", "StoryRunCreated"), "%s", names[i]);
    sg_store_list_t l;
    sg_store_list_init(&l);
    sg_store_list(fx.store, &l, SG_KIND_STORYRUN, "default", NULL, NULL);
    cr_assert_eq(l.len, 300);
    sg_store_list_dispose(&l);
}

Test(reconcile_running, grant_policy_follows_reference_grants)
{
    sg_reconciler_opts_t o = SG_RECONCILER_OPTS_INIT;
    o.cross_namespace_policy = SG_REFS_POLICY_GRANT;
    fx_open(&o);
    put_story("shared", "s", NULL);
    trig_t t = {.ns = "team", .story = "s", .story_ns = "shared", .submission = "g1"};
    const char *name = put_trigger(&t);
    reconcile("team", name);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "team", name), "Rejected", "ValidationFailed",
                    "cross-namespace StoryRef reference to shared/s is not permitted (no ReferenceGrant)");
    const char *g = "{\"metadata\":{\"name\":\"g\"},\"spec\":{\"from\":[{\"group\":\"runs.bubustack.io\","
                    "\"kind\":\"StoryTrigger\",\"namespace\":\"team\"}],\"to\":[{\"group\":\"bubustack.io\","
                    "\"kind\":\"Story\"}]}}";
    cr_assert_eq(sg_store_create(fx.store, NULL, SG_KIND_REFERENCEGRANT, "shared", g, strlen(g), NULL, NULL), SG_OK);
    trig_t t2 = {.ns = "team", .story = "s", .story_ns = "shared", .submission = "g2"};
    name = put_trigger(&t2);
    reconcile("team", name);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "team", name);
    assert_decision(tr, "Created", "StoryRunCreated", NULL);
    /* the StoryRun lives in the trigger's namespace and keeps the story namespace in its storyRef */
    sg_json_t *sr = get_obj(SG_KIND_STORYRUN, "team", jstr(tr, "status.storyRunRef.name"));
    cr_assert_str_eq(jstr(sr, "spec.storyRef.namespace"), "shared");
}

Test(reconcile_running, allow_policy_permits_cross_namespace)
{
    sg_reconciler_opts_t o = SG_RECONCILER_OPTS_INIT;
    o.cross_namespace_policy = SG_REFS_POLICY_ALLOW;
    fx_open(&o);
    put_story("shared", "s", NULL);
    trig_t t = {.ns = "team", .story = "s", .story_ns = "shared", .submission = "a1"};
    const char *name = put_trigger(&t);
    reconcile("team", name);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "team", name), "Created", "StoryRunCreated", NULL);
}

Test(reconcile_running, stop_is_idempotent_and_enqueue_after_stop_is_ignored)
{
    fx_open(NULL);
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    sg_reconciler_stop(fx.rec);
    sg_reconciler_stop(fx.rec);
    cr_assert_eq(sg_reconciler_enqueue(fx.rec, "default", "x"), SG_OK);
    cr_assert_eq(sg_reconciler_enqueue(fx.rec, "", "x"), SG_EINVALID);
}

Test(reconcile_running, queue_overflow_is_recovered_by_a_resync)
{
    sg_reconciler_opts_t o = SG_RECONCILER_OPTS_INIT;
    o.queue_max = 2;
    o.workers = 2;
    fx_open(&o);
    put_story("default", "s", NULL);
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    const char *names[20];
    char sub[32];
    for (int i = 0; i < 20; i++) {
        snprintf(sub, sizeof(sub), "o-%d", i);
        trig_t t = {.ns = "default", .story = "s", .submission = sub};
        names[i] = put_trigger(&t);
    }
    cr_assert(sg_reconciler_wait_idle(fx.rec, 1000, 30000));
    /* a last nudge: keys dropped after the final resync are caught by the next one */
    for (int round = 0; round < 20; round++) {
        int all = 1;
        for (int i = 0; i < 20; i++)
            all = all && decided_as("default", names[i], "Created", NULL);
        if (all)
            break;
        sg_reconciler_enqueue(fx.rec, "default", "nudge");
        sg_reconciler_wait_idle(fx.rec, 1000, 30000);
    }
    for (int i = 0; i < 20; i++)
        cr_assert(decided_as("default", names[i], "Created", NULL), "%s", names[i]);
}

Test(reconcile_running, admission_hint_queues_the_trigger)
{
    fx_open(NULL);
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "hint"};
    const char *name = put_trigger(&t); /* before start: no subscription saw it */
    sg_admission_request_t req;
    memset(&req, 0, sizeof(req));
    req.name = sg_span_cstr(name);
    req.namespace_ = sg_span_cstr("default");
    sg_reconciler_admission_hint(fx.rec, &req);
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    cr_assert(sg_reconciler_wait_idle(fx.rec, 1000, 20000));
    cr_assert(decided_as("default", name, "Created", "StoryRunCreated"));
}
