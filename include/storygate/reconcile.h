/* The StoryTrigger reconciler (spec §4, §5, §8): a deduplicating work queue with per-item backoff, worker threads
 * that decide each accepted trigger (Created / Reused / Rejected), create the deterministic StoryRun, offload large
 * inputs to content-addressed files, and write the status. It is the only writer of trigger status and StoryRuns. */
#ifndef STORYGATE_RECONCILE_H
#define STORYGATE_RECONCILE_H

#include <stddef.h>

#include <storygate/admission.h>
#include <storygate/error.h>
#include <storygate/metrics.h>
#include <storygate/refs.h>
#include <storygate/store.h>

typedef struct st_sg_reconciler_t sg_reconciler_t;

/* Reasons storygate writes beyond the Go operator's (§8). */
#define SG_RECONCILE_REASON_NAME_COLLISION "StoryRunNameCollision"
#define SG_RECONCILE_REASON_INPUT_TOO_LARGE "InputTooLarge"
#define SG_RECONCILE_REASON_PENDING "Pending"

/* StoryRun annotations of §4.5. */
#define SG_RECONCILE_ANN_REQUEST_NAME "storyrun.bubustack.io/trigger-request-name"
#define SG_RECONCILE_ANN_REQUEST_UID "storyrun.bubustack.io/trigger-request-uid"
#define SG_RECONCILE_ANN_TOKEN "storyrun.bubustack.io/trigger-token"
#define SG_RECONCILE_ANN_INPUT_HASH "storyrun.bubustack.io/trigger-input-hash"

typedef struct st_sg_reconciler_opts_t {
    sg_store_t *store;                       /* required; borrowed, must outlive the reconciler */
    sg_metrics_t *metrics;                   /* NULL = the default registry */
    sg_refs_policy_t cross_namespace_policy; /* references.cross-namespace-policy (default deny) */
    long max_inline_inputs_size;             /* storyrun.max-inline-inputs-size; <= 0 = 1024 */
    const char *storage_path;                /* file storage base directory for offloads; NULL/"" = disabled */
    const char *storage_input_prefix;        /* object key prefix; NULL = "inputs" */
    size_t workers;       /* concurrent reconciles (never two on one key); 0 = two per CPU with a store whose writes are
                           * asynchronous (workers then never wait for a commit), else 64 (each waits for its writes) */
    size_t queue_max;     /* keys held at most; 0 = 1000000 (overflow triggers a resync) */
    double backoff_base;  /* seconds; 0 = 0.2 */
    double backoff_max;   /* seconds; 0 = 60 */
    int no_pending;       /* 1 = do not write decision Pending when a trigger is first seen */
    int notfound_retries; /* passes that find the trigger missing are retried (with backoff) this many times before
                           * the key is dropped: an admission hint can arrive before the apiserver stored the object.
                           * 0 = drop at once (embedded mode, where the store write precedes the hint) */
    int (*may_work)(void *ctx); /* asked before each item; 0 drops it (a replica that just lost leadership must not
                                 * start another decision); NULL = always */
    void *may_work_ctx;
} sg_reconciler_opts_t;

#define SG_RECONCILER_OPTS_INIT                                                                                        \
    {                                                                                                                  \
        NULL, NULL, SG_REFS_POLICY_DENY, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL, NULL                                   \
    }

/** Creates a stopped reconciler. Strings in `opts` are copied. `*out` belongs to the caller (sg_reconciler_free).
 * SG_EINVALID (no store) or SG_ENOMEM. */
int sg_reconciler_new(sg_reconciler_t **out, const sg_reconciler_opts_t *opts, sg_error_t *err);

/** Subscribes to the store (StoryTrigger changes enqueue; a Story appearing re-decides triggers rejected with
 * StoryNotFound for it), enqueues every undecided trigger, and starts the workers. Call once. */
int sg_reconciler_start(sg_reconciler_t *r, sg_error_t *err);

/** Queues trigger ns/name for a decision (deduplicated). Thread-safe, never blocks on I/O; usable from the
 * admission accept hint and from store subscribers. SG_ELIMIT when the queue is full (a resync follows). */
int sg_reconciler_enqueue(sg_reconciler_t *r, const char *ns, const char *name);

/** sg_reconciler_enqueue for a trigger accepted at wall-clock time `accepted` (seconds since the epoch, sub-second):
 * the accepted-to-decided latency is then measured from that instant rather than from status.acceptedAt's second. */
int sg_reconciler_enqueue_accepted(sg_reconciler_t *r, const char *ns, const char *name, double accepted);

/** The write tag (sg_store_write_opts_t.origin) of a creator that hands its new triggers over with
 * sg_reconciler_enqueue_accepted itself: the reconciler then ignores the store's event for that write, so the trigger
 * is decided with its precise acceptance time rather than picked up first from the event without it. */
const void *sg_reconciler_handover_origin(const sg_reconciler_t *r);

/** The Pending status (spec §8.5) of a trigger accepted now, built in `arena`, with the acceptance time in
 * *accepted; NULL when Pending is not written (opts.no_pending) or out of memory. Lets a creator store it with the
 * trigger so the reconciler need not write it separately. Thread-safe. */
sg_json_t *sg_reconciler_pending_status(const sg_reconciler_t *r, sg_arena_t *arena, int64_t generation,
                                        double *accepted);

/** An sg_admission_accept_fn: with `ctx` = the reconciler, queues the accepted trigger (request namespace/name).
 * Set it as sg_admission_opts_t.on_accept. Thread-safe, non-blocking. */
void sg_reconciler_admission_hint(void *ctx, const sg_admission_request_t *req);

/** Stops taking work, lets every worker finish (and commit) its current item, joins them and unsubscribes.
 * Idempotent. */
void sg_reconciler_stop(sg_reconciler_t *r);

/** Stops if needed and frees. NULL is accepted. */
void sg_reconciler_free(sg_reconciler_t *r);

/** Runs the decision procedure for one trigger on the calling thread (what a worker does for one key). Returns 0
 * when the pass finished (decided, skipped or gone), or the error that would make a worker retry. For tests and
 * tools; do not call concurrently for the same key while workers run. */
int sg_reconciler_reconcile(sg_reconciler_t *r, const char *ns, const char *name, sg_error_t *err);

/** Waits until the queue is empty, no worker is busy and no retry is scheduled sooner than `horizon_ms` from now,
 * or until `timeout_ms` passes. Returns 1 when idle. For tests and orderly shutdown. */
int sg_reconciler_wait_idle(sg_reconciler_t *r, int horizon_ms, int timeout_ms);

#endif
