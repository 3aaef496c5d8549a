/* The reconciler's bounded wait for a hinted trigger that is not stored yet (cluster mode's admission hint runs
 * before the apiserver persists the object). The trigger is written tagged with the reconciler as origin, so its own
 * store subscription ignores it and only the hint's retries can decide it. */
#include <ftw.h>

#include <storygate/reconcile.h>

#include "helpers.h"

static char dir[] = "/tmp/sg-cluster-hint-XXXXXX";
static sg_store_t *store;
static sg_metrics_t *metrics;

static void setup(void)
{
    sg_log_set_level(SG_LOG_ERROR);
    cr_assert_not_null(mkdtemp(dir));
    metrics = sg_metrics_new();
    sg_store_lmdb_opts_t so = SG_STORE_LMDB_OPTS_INIT;
    so.path = dir;
    so.map_size = 64u << 20;
    so.metrics = metrics;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_open_lmdb(&store, &so, &err), SG_OK, "%s", err.message);
    put_story(store, "demo", "s1");
}

static void teardown(void)
{
    sg_store_close(store);
    sg_metrics_free(metrics);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(cluster_hint, .init = setup, .fini = teardown, .timeout = 60);

static sg_reconciler_t *reconciler(int retries)
{
    sg_reconciler_opts_t ro = SG_RECONCILER_OPTS_INIT;
    ro.store = store;
    ro.metrics = metrics;
    ro.workers = 2;
    ro.backoff_base = 0.05;
    ro.notfound_retries = retries;
    sg_reconciler_t *r = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_reconciler_new(&r, &ro, &err), SG_OK, "%s", err.message);
    cr_assert_eq(sg_reconciler_start(r, &err), SG_OK, "%s", err.message);
    return r;
}

static void name_of(char name[SG_IDENTITY_NAME_MAX + 1], const char *submission)
{
    sg_identity_trigger_name(name, sg_span_cstr("demo"), sg_span_cstr("s1"), sg_span_cstr(""),
                             sg_span_cstr(submission));
}

Test(cluster_hint, a_hint_ahead_of_the_stored_trigger_is_decided_once_it_appears)
{
    sg_reconciler_t *r = reconciler(5);
    char name[SG_IDENTITY_NAME_MAX + 1];
    name_of(name, "early");
    cr_assert_eq(sg_reconciler_enqueue(r, "demo", name), SG_OK);
    sleep_ms(120); /* at least one pass finds nothing */
    put_trigger(store, "demo", "s1", "early", name, r);
    WAIT_FOR(decided_created(store, "demo", name), 10000);
    cr_assert(decided_created(store, "demo", name), "the retried hint did not decide the trigger");
    sg_reconciler_free(r);
}

Test(cluster_hint, without_retries_a_hint_for_a_missing_trigger_is_dropped)
{
    sg_reconciler_t *r = reconciler(0);
    char name[SG_IDENTITY_NAME_MAX + 1];
    name_of(name, "dropped");
    cr_assert_eq(sg_reconciler_enqueue(r, "demo", name), SG_OK);
    cr_assert(sg_reconciler_wait_idle(r, 60000, 10000));
    put_trigger(store, "demo", "s1", "dropped", name, r);
    cr_assert(sg_reconciler_wait_idle(r, 60000, 10000));
    char d[32];
    cr_assert_str_eq(decision_of(store, "demo", name, d, sizeof(d)), "");
    sg_reconciler_free(r);
}

Test(cluster_hint, the_wait_is_bounded)
{
    sg_reconciler_t *r = reconciler(3);
    char name[SG_IDENTITY_NAME_MAX + 1];
    name_of(name, "never");
    cr_assert_eq(sg_reconciler_enqueue(r, "demo", name), SG_OK);
    /* 3 retries at 0.05, 0.1 and 0.2 s: the key leaves the queue for good instead of waiting forever */
    cr_assert(sg_reconciler_wait_idle(r, 60000, 10000), "the hint never stopped retrying");
    put_trigger(store, "demo", "s1", "never", name, r);
    cr_assert(sg_reconciler_wait_idle(r, 60000, 10000));
    char d[32];
    cr_assert_str_eq(decision_of(store, "demo", name, d, sizeof(d)), "", "a dropped hint came back");
    sg_reconciler_free(r);
}

static int allowed;

static int gate(void *ctx)
{
    return *(int *)ctx;
}

Test(cluster_hint, a_closed_gate_starts_no_decision)
{
    sg_reconciler_opts_t ro = SG_RECONCILER_OPTS_INIT;
    ro.store = store;
    ro.metrics = metrics;
    ro.workers = 2;
    ro.may_work = gate;
    ro.may_work_ctx = &allowed;
    allowed = 0;
    sg_reconciler_t *r = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_reconciler_new(&r, &ro, &err), SG_OK, "%s", err.message);
    cr_assert_eq(sg_reconciler_start(r, &err), SG_OK, "%s", err.message);
    char name[SG_IDENTITY_NAME_MAX + 1];
    put_trigger(store, "demo", "s1", "gated", name, NULL); /* the subscription enqueues it */
    cr_assert(sg_reconciler_wait_idle(r, 60000, 10000));
    char d[32];
    cr_assert_str_eq(decision_of(store, "demo", name, d, sizeof(d)), "", "decided while the gate was closed");
    __atomic_store_n(&allowed, 1, __ATOMIC_SEQ_CST);
    cr_assert_eq(sg_reconciler_enqueue(r, "demo", name), SG_OK);
    WAIT_FOR(decided_created(store, "demo", name), 10000);
    cr_assert(decided_created(store, "demo", name), "an open gate did not let the decision through");
    sg_reconciler_free(r);
}
