/* Workers queue their decision writes instead of waiting for them: what the store finds at commit time decides what
 * happens next (a StoryRun created in between makes the pass run again; a write that fails is retried). */
#include "helpers.h"

extern fx_t fx;

/* A pass-through store whose atomic groups can be disturbed just before they are queued. */
typedef struct {
    sg_store_t super;
    sg_store_t *inner;
    int create_first; /* groups before which their StoryRun is created by "someone else" */
    int fail_commits; /* groups that fail at commit time (completion with an I/O error) */
    int groups;
} proxy_t;

static proxy_t px;
static sg_store_ops_t proxy_ops;

static int p_apply(sg_store_t *s, sg_store_op_t *ops, size_t n, const sg_store_write_opts_t *o, size_t *failed,
                   sg_error_t *err)
{
    proxy_t *p = (proxy_t *)s;
    p->groups++;
    if (p->create_first > 0 && n > 0 && ops[0].type == SG_STORE_OP_CREATE) {
        p->create_first--;
        /* another replica got there between the pass's look-up and its write */
        cr_assert_eq(sg_store_create_json(p->inner, NULL, ops[0].kind, ops[0].ns, ops[0].obj, NULL, NULL), SG_OK);
    }
    if (p->fail_commits > 0 && o != NULL && o->done != NULL) {
        p->fail_commits--;
        sg_error_t e = SG_ERROR_INIT;
        sg_error_set(&e, SG_EIO, "injected commit failure");
        o->done(o->done_ctx, SG_EIO, &e, "", 0);
        return SG_OK;
    }
    return sg_store_apply(p->inner, ops, n, o, failed, err);
}

static int p_get(sg_store_t *s, sg_buf_t *out, uint64_t *rv, sg_store_kind_t k, const char *ns, const char *n,
                 sg_error_t *err)
{
    return sg_store_get(((proxy_t *)s)->inner, out, rv, k, ns, n, err);
}

static int p_create(sg_store_t *s, sg_buf_t *out, sg_store_kind_t k, const char *ns, const sg_json_t *obj,
                    const sg_store_write_opts_t *o, sg_error_t *err)
{
    return sg_store_create_json(((proxy_t *)s)->inner, out, k, ns, obj, o, err);
}

static int p_status(sg_store_t *s, sg_buf_t *out, sg_store_kind_t k, const char *ns, const char *n, const sg_json_t *st,
                    const sg_store_write_opts_t *o, sg_error_t *err)
{
    return sg_store_update_status(((proxy_t *)s)->inner, out, k, ns, n, st, o, err);
}

static int p_list(sg_store_t *s, sg_store_list_t *out, sg_store_kind_t k, const char *ns, const sg_store_list_opts_t *o,
                  sg_error_t *err)
{
    return sg_store_list(((proxy_t *)s)->inner, out, k, ns, o, err);
}

static int p_subscribe(sg_store_t *s, sg_store_subscriber_cb cb, void *ctx, sg_error_t *err)
{
    return sg_store_subscribe(((proxy_t *)s)->inner, cb, ctx, err);
}

static void p_unsubscribe(sg_store_t *s, sg_store_subscriber_cb cb, void *ctx)
{
    sg_store_unsubscribe(((proxy_t *)s)->inner, cb, ctx);
}

static void setup(void)
{
    fx_open(NULL);
    proxy_ops = *fx.store->ops;
    proxy_ops.apply = p_apply;
    proxy_ops.get = p_get;
    proxy_ops.create = p_create;
    proxy_ops.update_status = p_status;
    proxy_ops.list = p_list;
    proxy_ops.subscribe = p_subscribe;
    proxy_ops.unsubscribe = p_unsubscribe;
    memset(&px, 0, sizeof(px));
    px.super.ops = &proxy_ops;
    px.inner = fx.store;
    sg_reconciler_free(fx.rec);
    sg_reconciler_opts_t ro = SG_RECONCILER_OPTS_INIT;
    ro.store = &px.super;
    ro.metrics = fx.metrics;
    ro.workers = 4;
    ro.backoff_base = 0.01;
    cr_assert_eq(sg_reconciler_new(&fx.rec, &ro, NULL), SG_OK);
}

TestSuite(reconcile_deferred, .init = setup, .fini = fx_close, .timeout = 60);

static double metric(const char *series)
{
    sg_buf_t b = SG_BUF_INIT;
    sg_metrics_render(fx.metrics, &b);
    double v = -1;
    const char *at = b.base != NULL ? strstr(b.base, series) : NULL;
    if (at != NULL)
        v = strtod(at + strlen(series), NULL);
    sg_buf_dispose(&b);
    return v;
}

Test(reconcile_deferred, a_storyrun_created_before_the_commit_makes_the_pass_run_again)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "raced", .inputs = "{\"n\":1}"};
    const char *name = put_trigger(&t);
    px.create_first = 1;
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    cr_assert(sg_reconciler_wait_idle(fx.rec, 1000, 20000));
    /* the StoryRun the other writer made carries this trigger's request annotations: recovered, not duplicated */
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Created", "StoryRunCreated", NULL);
    cr_assert(strncmp(jstr(tr, "status.message"), "recovered previously created StoryRun ", 38) == 0, "%s",
              jstr(tr, "status.message"));
    cr_assert_eq(px.groups, 1, "the second pass found the StoryRun and wrote only the status");
    cr_assert_eq(metric("controller_runtime_reconcile_total{controller=\"runs-storytrigger\",result=\"requeue\"} "), 1);
    sg_store_list_t l;
    sg_store_list_init(&l);
    cr_assert_eq(sg_store_list(fx.store, &l, SG_KIND_STORYRUN, "default", NULL, NULL), SG_OK);
    cr_assert_eq(l.len, 1);
    sg_store_list_dispose(&l);
}

Test(reconcile_deferred, a_decision_write_failing_at_commit_is_retried)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "flaky", .inputs = "{\"n\":2}"};
    const char *name = put_trigger(&t);
    px.fail_commits = 2;
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    cr_assert(sg_reconciler_wait_idle(fx.rec, 2000, 20000));
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Created", "StoryRunCreated", NULL);
    cr_assert_eq(px.groups, 3);
    cr_assert_eq(metric("controller_runtime_reconcile_errors_total{controller=\"runs-storytrigger\"} "), 2);
    cr_assert_eq(metric("storygate_trigger_decisions_total{decision=\"Created\",reason=\"StoryRunCreated\"} "), 1);
}

Test(reconcile_deferred, stop_waits_for_queued_decisions)
{
    put_story("default", "s", NULL);
    enum { N = 300 };
    const char *names[N];
    char sub[32];
    for (int i = 0; i < N; i++) {
        snprintf(sub, sizeof(sub), "stop-%d", i);
        trig_t t = {.ns = "default", .story = "s", .submission = sub};
        names[i] = put_trigger(&t);
    }
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    sg_reconciler_stop(fx.rec); /* at once: workers are mid-way, decision writes queued */
    /* every decision that reached the store was completed (counted) before stop returned, and none arrives later */
    double counted = metric("storygate_trigger_decisions_total{decision=\"Created\",reason=\"StoryRunCreated\"} ");
    int decided = 0;
    for (int i = 0; i < N; i++) {
        const char *d = jstr(get_obj(SG_KIND_STORYTRIGGER, "default", names[i]), "status.decision");
        decided += d != NULL && strcmp(d, "Created") == 0;
    }
    cr_assert_eq(counted < 0 ? 0 : counted, decided);
}
