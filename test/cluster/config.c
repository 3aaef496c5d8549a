/* The cluster-mode settings: defaults, parsing from YAML, and the ordering rule of the leader election timings. */
#include "helpers.h"

Test(cluster_config, defaults_follow_client_go)
{
    sg_config_t c;
    sg_config_init(&c);
    cr_assert_eq(c.leader_election.enabled, -1, "on by default when store is kube");
    cr_assert_str_eq(c.leader_election.name, "storygate-leader");
    cr_assert_eq(c.leader_election.lease_duration_seconds, 15);
    cr_assert_eq(c.leader_election.renew_deadline_seconds, 10);
    cr_assert_eq(c.leader_election.retry_period_seconds, 2);
    cr_assert_null(c.kube.kubeconfig);
    cr_assert_eq(c.reconcile.workers, 0);
    sg_config_dispose(&c);
}

Test(cluster_config, keys_are_read_from_yaml)
{
    static const char y[] = "store: kube\n"
                            "kube:\n  kubeconfig: /k/config\n  context: dev\n"
                            "leaderElection:\n  enabled: false\n  namespace: ops\n  name: gate\n"
                            "  leaseDurationSeconds: 30\n  renewDeadlineSeconds: 20\n  retryPeriodSeconds: 5\n"
                            "reconcile:\n  workers: 8\n";
    sg_config_t c;
    sg_config_init(&c);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_load_yaml(&c, y, sizeof(y) - 1, "c.yaml", &err), SG_OK, "%s", err.message);
    cr_assert_eq(c.store, SG_STORE_KUBE);
    cr_assert_str_eq(c.kube.kubeconfig, "/k/config");
    cr_assert_str_eq(c.kube.context, "dev");
    cr_assert_eq(c.leader_election.enabled, 0);
    cr_assert_str_eq(c.leader_election.namespace_, "ops");
    cr_assert_str_eq(c.leader_election.name, "gate");
    cr_assert_eq(c.leader_election.lease_duration_seconds, 30);
    cr_assert_eq(c.leader_election.renew_deadline_seconds, 20);
    cr_assert_eq(c.leader_election.retry_period_seconds, 5);
    cr_assert_eq(c.reconcile.workers, 8);
    sg_config_dispose(&c);
}

Test(cluster_config, timings_out_of_order_are_refused)
{
    static const char *const cases[][3] = {{"10", "10", "2"}, {"15", "20", "2"}, {"15", "10", "10"}, {"3", "2", "2"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sg_config_t c;
        sg_config_init(&c);
        set_key(&c, "tls.certFile", "a.crt");
        set_key(&c, "tls.keyFile", "a.key");
        set_key(&c, "leaderElection.leaseDurationSeconds", cases[i][0]);
        set_key(&c, "leaderElection.renewDeadlineSeconds", cases[i][1]);
        set_key(&c, "leaderElection.retryPeriodSeconds", cases[i][2]);
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(sg_config_validate(&c, &err), SG_EINVALID, "case %zu accepted", i);
        cr_assert_not_null(strstr(err.message, "retryPeriodSeconds < renewDeadlineSeconds < leaseDurationSeconds"),
                           "%s", err.message);
        sg_config_dispose(&c);
    }
}

Test(cluster_config, a_zero_retry_period_is_refused_with_the_key_name)
{
    sg_config_t c;
    sg_config_init(&c);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_set(&c, "leaderElection.retryPeriodSeconds", "0", &err), SG_EINVALID);
    cr_assert_not_null(strstr(err.message, "leaderElection.retryPeriodSeconds"), "%s", err.message);
    sg_config_dispose(&c);
}
