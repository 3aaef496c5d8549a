/* Runs the reconciler only while this replica leads.
 *
 * DESIGN. The Lease callbacks only record what they learned; a controller thread creates and starts a fresh
 * reconciler whenever leadership is wanted and none runs, so its start (a list of every trigger) never delays a Lease
 * renewal. Losing the Lease stops the reconciler at once on the lease thread: the queue closes, each worker finishes
 * the item it holds, and only then does the elector become a candidate again, so a replica never reconciles beside
 * the next leader beyond one in-flight item (renewDeadline < leaseDuration leaves room for it). A reconciler is never
 * reused across terms: each term starts from a resync of the apiserver's state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storygate/log.h>

#include "internal.h"

static void stop_reconciler(sg_reconciler_t *r, const char *why)
{
    if (r == NULL)
        return;
    sg_reconciler_stop(r);
    sg_reconciler_free(r);
    sg_log_info("cluster: reconciler stopped", "reason", SG_LOG_STR, why, NULL);
}

static void wait_ms(sg_cluster_t *c, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&c->cond, &c->mu, &ts);
}

static void *controller(void *ud)
{
    sg_cluster_t *c = ud;
    pthread_mutex_lock(&c->mu);
    while (!c->stopping) {
        if (!c->want || c->rec != NULL) {
            pthread_cond_wait(&c->cond, &c->mu);
            continue;
        }
        unsigned term = c->term;
        pthread_mutex_unlock(&c->mu);
        sg_reconciler_t *r = NULL;
        sg_error_t err = SG_ERROR_INIT;
        int rc = sg_reconciler_new(&r, &c->ropts, &err);
        if (rc == SG_OK)
            rc = sg_reconciler_start(r, &err);
        if (rc != SG_OK) {
            sg_log_error("cluster: cannot start the reconciler; retrying", "error", SG_LOG_ERR, &err, NULL);
            sg_reconciler_free(r);
            pthread_mutex_lock(&c->mu);
            if (!c->stopping)
                wait_ms(c, 1000);
            continue;
        }
        pthread_mutex_lock(&c->mu);
        if (c->want && c->term == term && !c->stopping) {
            c->rec = r;
            pthread_cond_broadcast(&c->cond);
            sg_log_info("cluster: reconciling as leader", "lease", SG_LOG_STR, c->cfg->leader_election.name, NULL);
        } else {
            /* leadership ended (or changed hands and came back) while starting */
            pthread_mutex_unlock(&c->mu);
            stop_reconciler(r, "leadership ended while starting");
            pthread_mutex_lock(&c->mu);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int sg_cluster__leader_start(sg_cluster_t *c, sg_error_t *err)
{
    if (pthread_create(&c->thread, NULL, controller, c) != 0)
        return sg_error_set(err, SG_EIO, "cannot start the leadership thread: %s", strerror(errno));
    c->thread_started = 1;
    return SG_OK;
}

void sg_cluster__on_started_leading(void *ctx)
{
    sg_cluster_t *c = ctx;
    pthread_mutex_lock(&c->mu);
    c->want = 1;
    c->term++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
}

void sg_cluster__on_stopped_leading(void *ctx)
{
    sg_cluster_t *c = ctx;
    pthread_mutex_lock(&c->mu);
    c->want = 0;
    sg_reconciler_t *r = c->rec;
    c->rec = NULL;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
    stop_reconciler(r, "lost the lease");
}

void sg_cluster__leader_stop(sg_cluster_t *c)
{
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    c->want = 0;
    sg_reconciler_t *r = c->rec;
    c->rec = NULL;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
    /* before the Lease is handed back, so the next leader never overlaps with these workers */
    stop_reconciler(r, "shutdown");
    if (c->thread_started)
        pthread_join(c->thread, NULL);
    c->thread_started = 0;
}

void sg_cluster__on_accept(void *ctx, const sg_admission_request_t *req)
{
    sg_cluster_t *c = ctx;
    pthread_mutex_lock(&c->mu);
    if (c->rec != NULL)
        sg_reconciler_admission_hint(c->rec, req);
    pthread_mutex_unlock(&c->mu);
}

int sg_cluster__may_work(void *ctx)
{
    sg_cluster_t *c = ctx;
    sg_kube_lease_t *l = __atomic_load_n(&c->lease, __ATOMIC_ACQUIRE);
    /* NULL: election off, or the elector's first callback came before sg_kube_lease_start returned */
    return l == NULL || sg_kube_lease_is_leader(l);
}

int sg_cluster_is_leader(sg_cluster_t *c)
{
    if (c == NULL)
        return 0;
    pthread_mutex_lock(&c->mu);
    int leading = c->rec != NULL;
    pthread_mutex_unlock(&c->mu);
    return leading;
}

int sg_cluster_wait_leader(sg_cluster_t *c, int leading, int timeout_ms)
{
    for (int waited = 0;; waited += 10) {
        if (sg_cluster_is_leader(c) == leading)
            return 1;
        if (waited >= timeout_ms)
            return 0;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}
