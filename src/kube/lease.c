/* Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics.
 *
 * DESIGN: a candidate reads the Lease; it may take it when it is free (no holder), when it holds it already, or when
 * the record has not changed for leaseDurationSeconds as measured on this process's monotonic clock since it was last
 * seen changing (so clock skew between replicas does not matter). Every write carries the resourceVersion that was
 * read, so of two candidates racing for an expired lease exactly one wins and the other gets 409. A leader renews
 * every retryPeriod and gives up leadership, calling on_stopped_leading, as soon as renewDeadline has passed since
 * its last successful renewal; renewDeadline < leaseDuration means it stops acting before anyone else may take over.
 * A clean stop hands the lease back (empty holder, duration 1 s), as ReleaseOnCancel does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <storygate/log.h>

#include "internal.h"

struct st_sg_kube_lease_t {
    sg_kube_client_t *client;
    char *ns, *name, *identity;
    int lease_ms, renew_ms, retry_ms, release_on_stop;
    sg_kube_lease_callbacks_t cb;
    sg_series_t *status; /* leader_election_master_status{name} */
    pthread_t thread;
    volatile int stop;
    int leading;        /* atomic */
    int64_t last_renew; /* atomic; monotonic ms of the last successful renewal */
    /* what was last observed, for expiry on our own clock */
    char *observed_holder;
    char *observed_renew;
    int64_t observed_at;
    int observed_duration_s;
    sg_buf_t path;
};

/* MicroTime: RFC 3339 with microseconds, UTC. */
static void micro_now(char out[64])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 64, "%s.%06ldZ", base, (long)(ts.tv_nsec / 1000) % 1000000);
}

static int str_changed(char **slot, const char *v)
{
    if ((*slot == NULL && v == NULL) || (*slot != NULL && v != NULL && strcmp(*slot, v) == 0))
        return 0;
    free(*slot);
    *slot = v != NULL ? strdup(v) : NULL;
    return 1;
}

/* Notes the record read; returns 1 when it changed since last time. */
static int observe(sg_kube_lease_t *l, const char *holder, const char *renew, int duration_s)
{
    int changed = str_changed(&l->observed_renew, renew);
    const char *old = l->observed_holder;
    int holder_changed = (old == NULL) != (holder == NULL) || (old != NULL && strcmp(old, holder) != 0);
    if (holder_changed) {
        str_changed(&l->observed_holder, holder);
        if (l->cb.on_new_leader != NULL && holder != NULL && holder[0] != '\0')
            l->cb.on_new_leader(l->cb.ctx, holder);
    }
    changed |= holder_changed;
    if (changed || duration_s != l->observed_duration_s) {
        l->observed_at = sg_kube__now_ms();
        l->observed_duration_s = duration_s;
    }
    return changed;
}

static int write_lease(sg_kube_lease_t *l, const char *method, const char *path, const char *holder, int duration_s,
                       const char *acquire, const char *renew, long transitions, const char *rv, int timeout_ms,
                       sg_kube_response_t *resp, sg_error_t *err)
{
    sg_buf_t body = SG_BUF_INIT;
    sg_buf_puts(&body, "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":");
    sg_json_write_string(&body, l->name, strlen(l->name));
    sg_buf_puts(&body, ",\"namespace\":");
    sg_json_write_string(&body, l->ns, strlen(l->ns));
    if (rv != NULL) {
        sg_buf_puts(&body, ",\"resourceVersion\":");
        sg_json_write_string(&body, rv, strlen(rv));
    }
    sg_buf_puts(&body, "},\"spec\":{\"holderIdentity\":");
    sg_json_write_string(&body, holder, strlen(holder));
    sg_buf_printf(&body,
                  ",\"leaseDurationSeconds\":%d,\"acquireTime\":\"%s\",\"renewTime\":\"%s\",\"leaseTransitions\":%ld}}",
                  duration_s, acquire, renew, transitions);
    if (body.oom) {
        sg_buf_dispose(&body);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    sg_kube_request_opts_t ro = {timeout_ms, 1};
    int rc = sg_kube_request(l->client, resp, method, path, body.base, body.len, "application/json", &ro, err);
    sg_buf_dispose(&body);
    return rc == SG_OK ? sg_kube_status_error(resp, err) : rc;
}

/* One tryAcquireOrRenew. Returns SG_OK when this elector holds the lease afterwards. */
static int try_acquire_or_renew(sg_kube_lease_t *l, int timeout_ms, sg_error_t *err)
{
    char now[64];
    micro_now(now);
    int duration_s = (l->lease_ms + 999) / 1000;
    sg_kube_response_t resp;
    sg_kube_response_init(&resp);
    sg_kube_request_opts_t ro = {timeout_ms, 1};
    sg_buf_t coll = SG_BUF_INIT;
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    int rc = sg_kube_request(l->client, &resp, "GET", l->path.base, NULL, 0, NULL, &ro, err);
    if (rc == SG_OK)
        rc = sg_kube_status_error(&resp, err);
    if (rc == SG_ENOTFOUND) {
        sg_buf_printf(&coll, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", l->ns);
        rc = write_lease(l, "POST", coll.base, l->identity, duration_s, now, now, 0, NULL, timeout_ms, &resp, err);
        if (rc == SG_OK)
            observe(l, l->identity, now, duration_s);
        goto cleanup;
    }
    if (rc != SG_OK)
        goto cleanup;
    sg_json_t *lease = NULL;
    sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
    popts.max_depth = 64;
    if ((rc = sg_json_parse(&lease, &arena, resp.body.base, resp.body.len, &popts, err)) != SG_OK)
        goto cleanup;
    const char *holder = sg_json_string(sg_json_path(lease, "spec.holderIdentity"), NULL);
    const char *renew = sg_json_string(sg_json_path(lease, "spec.renewTime"), NULL);
    const char *acquire = sg_json_string(sg_json_path(lease, "spec.acquireTime"), NULL);
    const char *rv = sg_json_string(sg_json_path(lease, "metadata.resourceVersion"), NULL);
    const sg_json_t *dur = sg_json_path(lease, "spec.leaseDurationSeconds");
    const sg_json_t *tr = sg_json_path(lease, "spec.leaseTransitions");
    int rec_s = dur != NULL && dur->type == SG_JSON_NUMBER && dur->u.number.value > 0 && dur->u.number.value < 1e6
                    ? (int)dur->u.number.value
                    : duration_s;
    long transitions = tr != NULL && tr->type == SG_JSON_NUMBER && tr->u.number.value >= 0 && tr->u.number.value < 1e15
                           ? (long)tr->u.number.value
                           : 0;
    observe(l, holder, renew, rec_s);
    int mine = holder != NULL && strcmp(holder, l->identity) == 0;
    int held = holder != NULL && holder[0] != '\0';
    if (held && !mine && sg_kube__now_ms() < l->observed_at + (int64_t)rec_s * 1000) {
        rc = sg_error_set(err, SG_ECONFLICT, "lease %s/%s is held by %s", l->ns, l->name, holder);
        goto cleanup;
    }
    if (!mine) {
        transitions++;
        acquire = now;
    } else if (acquire == NULL) {
        acquire = now;
    }
    rc = write_lease(l, "PUT", l->path.base, l->identity, duration_s, acquire, now, transitions, rv, timeout_ms, &resp,
                     err);
    if (rc == SG_OK)
        observe(l, l->identity, now, duration_s);
cleanup:
    sg_arena_dispose(&arena);
    sg_buf_dispose(&coll);
    sg_kube_response_dispose(&resp);
    return rc;
}

static void set_leading(sg_kube_lease_t *l, int on)
{
    __atomic_store_n(&l->leading, on, __ATOMIC_SEQ_CST);
    sg_series_set(l->status, on ? 1 : 0);
}

/* Hands the lease back if we still hold it. */
static void release(sg_kube_lease_t *l)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_kube_response_t resp;
    sg_kube_response_init(&resp);
    sg_kube_request_opts_t ro = {l->renew_ms, 1};
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    int rc = sg_kube_request(l->client, &resp, "GET", l->path.base, NULL, 0, NULL, &ro, &err);
    if (rc == SG_OK)
        rc = sg_kube_status_error(&resp, &err);
    sg_json_t *lease = NULL;
    sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
    if (rc == SG_OK && (rc = sg_json_parse(&lease, &arena, resp.body.base, resp.body.len, &popts, &err)) == SG_OK &&
        sg_json_string_eq(sg_json_path(lease, "spec.holderIdentity"), l->identity)) {
        char now[64];
        micro_now(now);
        const sg_json_t *tr = sg_json_path(lease, "spec.leaseTransitions");
        long transitions =
            tr != NULL && tr->type == SG_JSON_NUMBER && tr->u.number.value >= 0 && tr->u.number.value < 1e15
                ? (long)tr->u.number.value
                : 0;
        const char *rv = sg_json_string(sg_json_path(lease, "metadata.resourceVersion"), NULL);
        char *rvc = rv != NULL ? strdup(rv) : NULL;
        rc = write_lease(l, "PUT", l->path.base, "", 1, now, now, transitions, rvc, l->renew_ms, &resp, &err);
        free(rvc);
    }
    if (rc != SG_OK)
        sg_log_warn("leader election: could not release the lease", "lease", SG_LOG_STR, l->name, "error", SG_LOG_ERR,
                    &err, NULL);
    sg_arena_dispose(&arena);
    sg_kube_response_dispose(&resp);
}

static void *lease_main(void *ud)
{
    sg_kube_lease_t *l = ud;
    while (!l->stop) {
        /* Candidate: try every retryPeriod plus up to 120 % jitter (client-go's JitterUntil, factor 1.2). */
        sg_error_t err = SG_ERROR_INIT;
        if (try_acquire_or_renew(l, l->renew_ms, &err) != SG_OK) {
            if (err.code != SG_ECONFLICT)
                sg_log_debug("leader election: acquire failed", "lease", SG_LOG_STR, l->name, "error", SG_LOG_ERR, &err,
                             NULL);
            unsigned r = 0;
            if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
                r = 0;
            sg_kube__sleep(l->retry_ms + (int)((int64_t)l->retry_ms * 12 * (r % 1000) / 10000), &l->stop);
            continue;
        }
        if (l->stop) {
            /* Acquired while stopping: hand it straight back. */
            if (l->release_on_stop)
                release(l);
            break;
        }
        __atomic_store_n(&l->last_renew, sg_kube__now_ms(), __ATOMIC_SEQ_CST);
        set_leading(l, 1);
        sg_log_info("leader election: acquired the lease", "lease", SG_LOG_STR, l->name, "identity", SG_LOG_STR,
                    l->identity, NULL);
        if (l->cb.on_started_leading != NULL)
            l->cb.on_started_leading(l->cb.ctx);
        /* Leader: renew until renewDeadline passes without success. */
        while (!l->stop) {
            int64_t deadline = __atomic_load_n(&l->last_renew, __ATOMIC_SEQ_CST) + l->renew_ms;
            int64_t left = deadline - sg_kube__now_ms();
            sg_kube__sleep((int)(left < l->retry_ms ? (left > 0 ? left : 0) : l->retry_ms), &l->stop);
            if (l->stop)
                break;
            left = deadline - sg_kube__now_ms();
            if (left <= 0)
                break;
            err = (sg_error_t)SG_ERROR_INIT;
            if (try_acquire_or_renew(l, (int)left, &err) == SG_OK && sg_kube__now_ms() < deadline)
                __atomic_store_n(&l->last_renew, sg_kube__now_ms(), __ATOMIC_SEQ_CST);
            else if (err.code != SG_OK)
                sg_log_warn("leader election: renew failed", "lease", SG_LOG_STR, l->name, "error", SG_LOG_ERR, &err,
                            NULL);
        }
        int clean = l->stop;
        set_leading(l, 0);
        if (clean && l->release_on_stop)
            release(l);
        if (!clean)
            sg_log_warn("leader election: lost the lease", "lease", SG_LOG_STR, l->name, NULL);
        if (l->cb.on_stopped_leading != NULL)
            l->cb.on_stopped_leading(l->cb.ctx);
    }
    return NULL;
}

int sg_kube_lease_start(sg_kube_lease_t **out, const sg_kube_lease_opts_t *opts, sg_error_t *err)
{
    *out = NULL;
    if (opts == NULL || opts->client == NULL)
        return sg_error_set(err, SG_EINVALID, "leader election: a client is required");
    int lease_ms = opts->lease_duration_ms > 0 ? opts->lease_duration_ms : 15000;
    int renew_ms = opts->renew_deadline_ms > 0 ? opts->renew_deadline_ms : 10000;
    int retry_ms = opts->retry_period_ms > 0 ? opts->retry_period_ms : 2000;
    if (renew_ms >= lease_ms)
        return sg_error_set(err, SG_EINVALID, "leader election: renew deadline must be less than the lease duration");
    if (retry_ms >= renew_ms)
        return sg_error_set(err, SG_EINVALID, "leader election: retry period must be less than the renew deadline");
    sg_kube_lease_t *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    l->client = opts->client;
    l->lease_ms = lease_ms;
    l->renew_ms = renew_ms;
    l->retry_ms = retry_ms;
    l->release_on_stop = opts->release_on_stop;
    l->cb = opts->callbacks;
    sg_buf_init(&l->path);
    l->ns = strdup(opts->namespace_ != NULL ? opts->namespace_ : sg_kube_client_namespace(opts->client));
    l->name = strdup(opts->name != NULL ? opts->name : "storygate-leader");
    if (opts->identity != NULL) {
        l->identity = strdup(opts->identity);
    } else {
        char host[256] = "storygate";
        const char *pod = getenv("POD_NAME");
        if (pod != NULL && pod[0] != '\0')
            snprintf(host, sizeof(host), "%s", pod);
        else if (gethostname(host, sizeof(host)) != 0)
            strcpy(host, "storygate");
        host[sizeof(host) - 1] = '\0';
        unsigned char rnd[8];
        if (RAND_bytes(rnd, sizeof(rnd)) != 1)
            memset(rnd, 0, sizeof(rnd));
        if (asprintf(&l->identity, "%s_%02x%02x%02x%02x%02x%02x%02x%02x", host, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
                     rnd[5], rnd[6], rnd[7]) < 0)
            l->identity = NULL;
    }
    int rc = SG_OK;
    if (l->ns == NULL || l->name == NULL || l->identity == NULL) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto fail;
    }
    if (l->ns[0] == '\0' || strchr(l->ns, '/') != NULL || l->name[0] == '\0' || strchr(l->name, '/') != NULL) {
        rc = sg_error_set(err, SG_EINVALID, "leader election: invalid lease namespace or name");
        goto fail;
    }
    sg_buf_printf(&l->path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s", l->ns, l->name);
    static const char *const labels[] = {"name", NULL};
    sg_metric_t *m = sg_metrics_register(opts->metrics != NULL ? opts->metrics : sg_metrics_default(), SG_METRIC_GAUGE,
                                         "leader_election_master_status",
                                         "Gauge of if the reporting system is master of the relevant lease, 0 "
                                         "indicates backup, 1 indicates master. 'name' is the string used to "
                                         "identify the lease.",
                                         labels, NULL, 0);
    l->status = sg_metric_with4(m, l->name, NULL, NULL, NULL);
    sg_series_set(l->status, 0);
    if (pthread_create(&l->thread, NULL, lease_main, l) != 0) {
        rc = sg_error_set(err, SG_EIO, "leader election: cannot start a thread: %s", strerror(errno));
        goto fail;
    }
    *out = l;
    return SG_OK;
fail:
    free(l->ns);
    free(l->name);
    free(l->identity);
    sg_buf_dispose(&l->path);
    free(l);
    return rc;
}

int sg_kube_lease_is_leader(sg_kube_lease_t *l)
{
    if (!__atomic_load_n(&l->leading, __ATOMIC_SEQ_CST))
        return 0;
    return sg_kube__now_ms() < __atomic_load_n(&l->last_renew, __ATOMIC_SEQ_CST) + l->renew_ms;
}

const char *sg_kube_lease_identity(const sg_kube_lease_t *l)
{
    return l->identity;
}

void sg_kube_lease_stop(sg_kube_lease_t *l)
{
    if (l == NULL)
        return;
    l->stop = 1;
    pthread_join(l->thread, NULL);
    free(l->ns);
    free(l->name);
    free(l->identity);
    free(l->observed_holder);
    free(l->observed_renew);
    sg_buf_dispose(&l->path);
    free(l);
}
