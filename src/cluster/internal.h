/* Private parts of cluster mode: the cluster object and the leadership controller that runs the reconciler only
 * while this replica holds the Lease. */
#ifndef STORYGATE_CLUSTER_INTERNAL_H
#define STORYGATE_CLUSTER_INTERNAL_H

#include <pthread.h>

#include <storygate/cluster.h>
#include <storygate/kube.h>
#include <storygate/reconcile.h>
#include <storygate/refs.h>

/* Passes that find a hinted trigger missing before the key is dropped: backoff 0.2 s doubling, about 6 s in all. */
#define SG_CLUSTER__NOTFOUND_RETRIES 5

struct st_sg_cluster_t {
    const sg_config_t *cfg;
    sg_http_server_t *server;
    sg_kube_client_t *client;
    sg_store_t *store;
    sg_refs_holder_t *refs;
    sg_refs_feed_t *feed;
    sg_admission_t *adm;
    sg_reconciler_opts_t ropts;
    sg_kube_lease_t *lease; /* set (atomically) once the elector runs; NULL with leader election off */
    char *lease_ns;
    /* leadership: `mu` guards everything below */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_t thread;
    int thread_started;
    int want;             /* the lease callbacks' latest word: 1 = lead */
    unsigned term;        /* incremented on every on_started_leading */
    int stopping;         /* sg_cluster_stop: the controller exits */
    sg_reconciler_t *rec; /* the running reconciler, NULL while not leading */
};

/** Starts the controller thread that creates and starts a reconciler whenever `want` is set. */
int sg_cluster__leader_start(sg_cluster_t *c, sg_error_t *err);
/** Lease callbacks (ctx = the cluster). */
void sg_cluster__on_started_leading(void *ctx);
void sg_cluster__on_stopped_leading(void *ctx);
/** Stops the controller thread and the reconciler if one runs. */
void sg_cluster__leader_stop(sg_cluster_t *c);
/** The reconciler's may_work gate: 1 while the Lease is held and renewed within renewDeadline (monotonic clock), so a
 * replica resuming from a stall (SIGSTOP, a long GC-like pause, a partition) starts no decision before its lease thread
 * notices the loss. */
int sg_cluster__may_work(void *ctx);
/** The admission accept hook: queues the trigger on the running reconciler, if any. Non-blocking. */
void sg_cluster__on_accept(void *ctx, const sg_admission_request_t *req);

#endif
