/* Cluster mode against the in-process apiserver double: only the Lease holder reconciles, leadership passes on a
 * clean stop, and with leader election off the reconciler runs at once. */
#include "helpers.h"

static fakeapi_t *api;
static char dir[] = "/tmp/sg-cluster-test-XXXXXX";
static char *kubeconfig;
static sg_config_t cfg;

static void setup(void)
{
    sg_log_set_level(SG_LOG_ERROR);
    cr_assert_not_null(mkdtemp(dir));
    api = fakeapi_start();
    cr_assert_not_null(api);
    kubeconfig = kubeconfig_for(api, dir);
    cluster_config(&cfg, kubeconfig);
}

static void teardown(void)
{
    sg_config_dispose(&cfg);
    fakeapi_stop(api);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
    free(kubeconfig);
}

TestSuite(cluster_leader, .init = setup, .fini = teardown, .timeout = 90);

static sg_cluster_t *start(void)
{
    sg_cluster_t *c = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_cluster_start(&c, &cfg, NULL, NULL, &err), SG_OK, "%s", err.message);
    return c;
}

Test(cluster_leader, only_the_lease_holder_reconciles_and_a_clean_stop_hands_over)
{
    sg_cluster_t *a = start();
    cr_assert(sg_cluster_wait_leader(a, 1, 10000), "the first replica never led");
    sg_cluster_t *b = start();
    sleep_ms(1500); /* more than a candidate period: b has tried and found the Lease held */
    cr_assert_not(sg_cluster_is_leader(b), "two replicas lead at once");

    sg_store_t *s = sg_cluster_store(a);
    char t1[SG_IDENTITY_NAME_MAX + 1], t2[SG_IDENTITY_NAME_MAX + 1];
    put_story(s, "demo", "s1");
    put_trigger(s, "demo", "s1", "one", t1, NULL);
    WAIT_FOR(decided_created(s, "demo", t1), 10000);
    cr_assert(decided_created(s, "demo", t1), "the leader did not decide");

    sg_cluster_stop(a); /* releases the Lease: b need not wait for it to expire */
    cr_assert(sg_cluster_wait_leader(b, 1, 10000), "the second replica never took over");
    s = sg_cluster_store(b);
    put_trigger(s, "demo", "s1", "two", t2, NULL);
    WAIT_FOR(decided_created(s, "demo", t2), 10000);
    cr_assert(decided_created(s, "demo", t2), "the new leader did not decide");
    sg_store_list_t l;
    sg_store_list_init(&l);
    cr_assert_eq(sg_store_list(s, &l, SG_KIND_STORYRUN, "demo", NULL, NULL), SG_OK);
    cr_assert_eq(l.len, 2, "one StoryRun per trigger, got %zu", l.len);
    sg_store_list_dispose(&l);
    sg_cluster_stop(b);
}

Test(cluster_leader, with_election_off_the_reconciler_runs_at_once_and_no_lease_is_used)
{
    set_key(&cfg, "leaderElection.enabled", "false");
    sg_cluster_t *c = start();
    cr_assert(sg_cluster_wait_leader(c, 1, 5000));
    char t[SG_IDENTITY_NAME_MAX + 1];
    put_story(sg_cluster_store(c), "demo", "s1");
    put_trigger(sg_cluster_store(c), "demo", "s1", "x", t, NULL);
    WAIT_FOR(decided_created(sg_cluster_store(c), "demo", t), 10000);
    cr_assert(decided_created(sg_cluster_store(c), "demo", t));
    sg_cluster_stop(c);
    cr_assert_eq(fakeapi_count(api, NULL, "/leases"), 0);
}

Test(cluster_leader, the_lease_lives_in_the_configured_namespace_and_name)
{
    set_key(&cfg, "leaderElection.namespace", "elsewhere");
    set_key(&cfg, "leaderElection.name", "my-lease");
    sg_cluster_t *c = start();
    cr_assert(sg_cluster_wait_leader(c, 1, 10000));
    cr_assert_gt(fakeapi_count(api, "PUT", "/namespaces/elsewhere/leases/my-lease") +
                     fakeapi_count(api, "POST", "/namespaces/elsewhere/leases"),
                 0);
    sg_cluster_stop(c);
}

Test(cluster_leader, an_unreadable_kubeconfig_fails_start_with_a_message)
{
    set_key(&cfg, "kube.kubeconfig", "/nonexistent/kubeconfig");
    sg_cluster_t *c = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_lt(sg_cluster_start(&c, &cfg, NULL, NULL, &err), 0);
    cr_assert_null(c);
    cr_assert_not_null(strstr(err.message, "/nonexistent/kubeconfig"), "message: %s", err.message);
}
