/* Workers queue their decision writes instead of waiting for them: what the store finds at commit time decides what
 * happens next (a StoryRun created in between makes the pass run again; a write that fails is retried). */
#include "proxy.h"

extern fx_t fx;

/* The store with its atomic groups disturbable just before they are queued. */
typedef struct {
    proxy_store_t base;
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
        cr_assert_eq(sg_store_create_json(p->base.inner, NULL, ops[0].kind, ops[0].ns, ops[0].obj, NULL, NULL), SG_OK);
    }
    if (p->fail_commits > 0 && o != NULL && o->done != NULL) {
        p->fail_commits--;
        sg_error_t e = SG_ERROR_INIT;
        sg_error_set(&e, SG_EIO, "injected commit failure");
        o->done(o->done_ctx, SG_EIO, &e, "", 0);
        return SG_OK;
    }
    return proxy_apply(s, ops, n, o, failed, err);
}

static void setup(void)
{
    fx_open(NULL);
    memset(&px, 0, sizeof(px));
    proxy_init(&px.base, &proxy_ops);
    proxy_ops.apply = p_apply;
    proxy_reconciler(&px.base.super, 4);
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

/* One trigger, decided by the running reconciler; returns its name once the reconciler is idle. */
static const char *decide_one(const char *submission)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = submission, .inputs = "{\"n\":1}"};
    const char *name = put_trigger(&t);
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    cr_assert(sg_reconciler_wait_idle(fx.rec, 2000, 20000));
    return name;
}

Test(reconcile_deferred, a_storyrun_created_before_the_commit_makes_the_pass_run_again)
{
    px.create_first = 1;
    const char *name = decide_one("raced");
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
    px.fail_commits = 2;
    const char *name = decide_one("flaky");
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
