/* Leader election on a Lease through the fake apiserver: acquire, renew, release on stop, hand-over when the leader
 * stops renewing, and never two leaders at once (checked on a log of leadership transitions). */
#include <criterion/criterion.h>
#include <pthread.h>

#include "helpers.h"

static fakeapi_t *api;
static sg_metrics_t *reg;

/* The transition log shared by every elector of a test, in the order the callbacks ran. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int who;
    int started;
} transitions[256];
static int ntransitions;
static int leaders_now, max_leaders;

static void setup(void)
{
    quiet_logs();
    api = fakeapi_start();
    cr_assert_not_null(api);
    reg = sg_metrics_new();
    ntransitions = leaders_now = max_leaders = 0;
}

static void teardown(void)
{
    fakeapi_stop(api);
    sg_metrics_free(reg);
}

TestSuite(kube_lease, .init = setup, .fini = teardown, .timeout = 120);

static void record(int who, int started)
{
    pthread_mutex_lock(&log_mu);
    if (ntransitions < 256) {
        transitions[ntransitions].who = who;
        transitions[ntransitions].started = started;
        ntransitions++;
    }
    leaders_now += started ? 1 : -1;
    if (leaders_now > max_leaders)
        max_leaders = leaders_now;
    pthread_mutex_unlock(&log_mu);
}

static void started_a(void *ctx)
{
    (void)ctx;
    record(0, 1);
}
static void stopped_a(void *ctx)
{
    (void)ctx;
    record(0, 0);
}
static void started_b(void *ctx)
{
    (void)ctx;
    record(1, 1);
}
static void stopped_b(void *ctx)
{
    (void)ctx;
    record(1, 0);
}

static int count_transitions(int who, int started)
{
    pthread_mutex_lock(&log_mu);
    int n = 0;
    for (int i = 0; i < ntransitions; i++)
        n += transitions[i].who == who && transitions[i].started == started;
    pthread_mutex_unlock(&log_mu);
    return n;
}

static sg_kube_lease_t *elector_d(sg_kube_client_t *c, int who, const char *identity, int lease_ms, int renew_ms)
{
    sg_kube_lease_opts_t o = SG_KUBE_LEASE_OPTS_INIT;
    o.client = c;
    o.name = "storygate-leader";
    o.identity = identity;
    o.lease_duration_ms = lease_ms;
    o.renew_deadline_ms = renew_ms;
    o.retry_period_ms = 300;
    o.metrics = reg;
    o.callbacks.on_started_leading = who == 0 ? started_a : started_b;
    o.callbacks.on_stopped_leading = who == 0 ? stopped_a : stopped_b;
    sg_kube_lease_t *l = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_lease_start(&l, &o, &err), SG_OK, "%s", err.message);
    return l;
}

static sg_kube_lease_t *elector(sg_kube_client_t *c, int who, const char *identity)
{
    return elector_d(c, who, identity, 2000, 1500);
}

/* Reads the Lease object into `a`. */
static sg_json_t *read_lease(sg_kube_client_t *c, sg_arena_t *a)
{
    sg_kube_response_t r;
    sg_kube_response_init(&r);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_request(c, &r, "GET",
                                 "/apis/coordination.k8s.io/v1/namespaces/default/leases/storygate-leader", NULL, 0,
                                 NULL, NULL, &err),
                 SG_OK);
    cr_assert_eq(r.status, 200, "%s", r.body.base);
    sg_json_t *v = NULL;
    sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
    char *copy = sg_arena_strndup(a, r.body.base, r.body.len);
    cr_assert_eq(sg_json_parse(&v, a, copy, r.body.len, &po, NULL), SG_OK);
    sg_kube_response_dispose(&r);
    return v;
}

static double metric(void)
{
    sg_buf_t out = SG_BUF_INIT;
    sg_metrics_render(reg, &out);
    const char *p = strstr(out.base, "leader_election_master_status{name=\"storygate-leader\"} ");
    double v = p != NULL ? strtod(p + strlen("leader_election_master_status{name=\"storygate-leader\"} "), NULL) : -1;
    sg_buf_dispose(&out);
    return v;
}

Test(kube_lease, acquires_renews_and_releases_on_stop)
{
    sg_kube_client_t *c = client_for(api, NULL, reg);
    sg_kube_lease_t *a = elector(c, 0, "pod-a_1");
    WAIT_FOR(sg_kube_lease_is_leader(a), 5000);
    cr_assert(sg_kube_lease_is_leader(a));
    cr_assert_eq(count_transitions(0, 1), 1);
    cr_assert_eq(metric(), 1);
    sg_arena_t ar;
    sg_arena_init(&ar, 0);
    sg_json_t *l1 = read_lease(c, &ar);
    cr_assert(sg_json_string_eq(sg_json_path(l1, "spec.holderIdentity"), "pod-a_1"));
    cr_assert_eq(sg_json_path(l1, "spec.leaseDurationSeconds")->u.number.value, 2);
    const char *renew1 = sg_json_string(sg_json_path(l1, "spec.renewTime"), NULL);
    cr_assert(renew1 != NULL && strlen(renew1) == 27 && renew1[26] == 'Z', "MicroTime: %s", renew1);
    const char *acq1 = sg_json_string(sg_json_path(l1, "spec.acquireTime"), NULL);
    /* Renewal moves renewTime and keeps acquireTime. */
    WAIT_FOR(!sg_json_string_eq(sg_json_path(read_lease(c, &ar), "spec.renewTime"), renew1), 5000);
    sg_json_t *l2 = read_lease(c, &ar);
    cr_assert(!sg_json_string_eq(sg_json_path(l2, "spec.renewTime"), renew1));
    cr_assert(sg_json_string_eq(sg_json_path(l2, "spec.acquireTime"), acq1));
    cr_assert(sg_kube_lease_is_leader(a));

    sg_kube_lease_stop(a);
    cr_assert_eq(count_transitions(0, 0), 1, "on_stopped_leading ran on stop");
    cr_assert_eq(metric(), 0);
    sg_json_t *l3 = read_lease(c, &ar);
    cr_assert(sg_json_string_eq(sg_json_path(l3, "spec.holderIdentity"), ""), "released");
    cr_assert_eq(sg_json_path(l3, "spec.leaseDurationSeconds")->u.number.value, 1);
    sg_arena_dispose(&ar);
    sg_kube_client_free(c);
}

Test(kube_lease, a_released_lease_is_taken_over_at_once)
{
    sg_kube_client_t *c = client_for(api, NULL, reg);
    /* A long lease: a takeover within a few seconds can only come from the release. */
    sg_kube_lease_t *a = elector_d(c, 0, "pod-a", 30000, 20000);
    WAIT_FOR(sg_kube_lease_is_leader(a), 5000);
    cr_assert(sg_kube_lease_is_leader(a));
    sg_kube_lease_t *b = elector_d(c, 1, "pod-b", 30000, 20000);
    sleep_ms(700);
    cr_assert(!sg_kube_lease_is_leader(b), "the lease is held");
    sg_kube_lease_stop(a);
    WAIT_FOR(sg_kube_lease_is_leader(b), 5000);
    cr_assert(sg_kube_lease_is_leader(b), "an empty holder is free: no need to wait for expiry");
    sg_arena_t ar;
    sg_arena_init(&ar, 0);
    sg_json_t *l = read_lease(c, &ar);
    cr_assert(sg_json_string_eq(sg_json_path(l, "spec.holderIdentity"), "pod-b"));
    cr_assert_eq(sg_json_path(l, "spec.leaseTransitions")->u.number.value, 1);
    sg_kube_lease_stop(b);
    cr_assert_eq(max_leaders, 1, "never two leaders");
    sg_arena_dispose(&ar);
    sg_kube_client_free(c);
}

Test(kube_lease, a_leader_that_cannot_renew_steps_down_before_another_takes_over)
{
    fakeapi_allow_token(api, "token-a");
    fakeapi_allow_token(api, "token-b");
    sg_kube_client_t *ca = client_for(api, "token-a", reg), *cb = client_for(api, "token-b", reg);
    sg_kube_lease_t *a = elector(ca, 0, "pod-a");
    WAIT_FOR(sg_kube_lease_is_leader(a), 5000);
    cr_assert(sg_kube_lease_is_leader(a));
    sg_kube_lease_t *b = elector(cb, 1, "pod-b");
    sleep_ms(500);
    /* A's credentials stop working: it can neither renew nor release. */
    fakeapi_deny_token(api, "token-a");
    WAIT_FOR(count_transitions(1, 1) == 1, 10000);
    cr_assert_eq(count_transitions(1, 1), 1, "B took over");
    cr_assert_eq(count_transitions(0, 0), 1, "A stepped down");
    cr_assert(!sg_kube_lease_is_leader(a));
    cr_assert(sg_kube_lease_is_leader(b));
    pthread_mutex_lock(&log_mu);
    cr_assert_eq(ntransitions, 3);
    cr_assert(transitions[0].who == 0 && transitions[0].started);
    cr_assert(transitions[1].who == 0 && !transitions[1].started, "A stopped before B started");
    cr_assert(transitions[2].who == 1 && transitions[2].started);
    pthread_mutex_unlock(&log_mu);
    cr_assert_eq(max_leaders, 1);
    sg_kube_lease_stop(a);
    sg_kube_lease_stop(b);
    sg_kube_client_free(ca);
    sg_kube_client_free(cb);
}

Test(kube_lease, racing_candidates_elect_exactly_one)
{
    sg_kube_client_t *c = client_for(api, NULL, reg);
    sg_kube_lease_t *a = elector(c, 0, "pod-a"), *b = elector(c, 1, "pod-b");
    WAIT_FOR(sg_kube_lease_is_leader(a) || sg_kube_lease_is_leader(b), 5000);
    sleep_ms(1000);
    cr_assert_eq(sg_kube_lease_is_leader(a) + sg_kube_lease_is_leader(b), 1);
    cr_assert_eq(max_leaders, 1);
    sg_kube_lease_stop(a);
    sg_kube_lease_stop(b);
    cr_assert_eq(max_leaders, 1);
    sg_kube_client_free(c);
}

Test(kube_lease, inconsistent_durations_are_refused)
{
    sg_kube_client_t *c = client_for(api, NULL, reg);
    sg_kube_lease_opts_t o = SG_KUBE_LEASE_OPTS_INIT;
    o.client = c;
    o.lease_duration_ms = 1000;
    o.renew_deadline_ms = 1000;
    sg_kube_lease_t *l = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_lease_start(&l, &o, &err), SG_EINVALID);
    cr_assert_null(l);
    o.renew_deadline_ms = 500;
    o.retry_period_ms = 600;
    cr_assert_eq(sg_kube_lease_start(&l, &o, &err), SG_EINVALID);
    sg_kube_client_free(c);
}

Test(kube_lease, default_identity_is_the_pod_name_with_a_suffix)
{
    setenv("POD_NAME", "storygate-7d9f", 1);
    sg_kube_client_t *c = client_for(api, NULL, reg);
    sg_kube_lease_opts_t o = SG_KUBE_LEASE_OPTS_INIT;
    o.client = c;
    o.metrics = reg;
    sg_kube_lease_t *l = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_lease_start(&l, &o, &err), SG_OK);
    const char *id = sg_kube_lease_identity(l);
    cr_assert(strncmp(id, "storygate-7d9f_", 15) == 0 && strlen(id) == 31, "%s", id);
    sg_kube_lease_stop(l);
    sg_kube_client_free(c);
}
