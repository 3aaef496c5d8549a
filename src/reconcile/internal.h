/* Private parts of the reconciler: the work queue, status building, input offload and the decision procedure. */
#ifndef STORYGATE_RECONCILE_INTERNAL_H
#define STORYGATE_RECONCILE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <storygate/admission.h>
#include <storygate/identity.h>
#include <storygate/reconcile.h>

#define SG_RECONCILE__CONTROLLER "runs-storytrigger"
#define SG_RECONCILE__PENDING_MESSAGE "StoryTrigger accepted; waiting for a decision"

/* --- work queue (queue.c) --- */

typedef struct st_sg_rq_t sg_rq_t;

typedef struct st_sg_rq_metrics_t {
    sg_series_t *depth, *adds, *retries, *queue_duration, *work_duration;
} sg_rq_metrics_t;

/** A queue of keys: deduplicated while waiting, never handed to two workers at once (a key added while it is being
 * processed waits until done), per-key exponential backoff, at most `max` keys. */
sg_rq_t *sg_rq__new(size_t max, double backoff_base, double backoff_max, const sg_rq_metrics_t *m);
void sg_rq__free(sg_rq_t *q);
/** Adds `key` now. SG_ELIMIT when the queue is full (the overflow flag is set). */
int sg_rq__add(sg_rq_t *q, const char *key);
/** sg_rq__add, remembering when the key's object was accepted (wall clock; the earliest of several adds wins). */
int sg_rq__add_accepted(sg_rq_t *q, const char *key, double accepted);
/** Adds `key` after `delay` seconds. */
int sg_rq__add_after(sg_rq_t *q, const char *key, double delay);
/** Adds `key` after its next backoff step (base * 2^(failures-1), capped) and counts a retry. */
int sg_rq__add_backoff(sg_rq_t *q, const char *key);
/** As sg_rq__add_backoff while `key` has failed fewer than `max` times; SG_ELIMIT (nothing queued) after that. */
int sg_rq__add_backoff_upto(sg_rq_t *q, const char *key, int max);
/** Resets `key`'s failure count. */
void sg_rq__forget(sg_rq_t *q, const char *key);
/** Blocks for the next key; returns a heap copy (free it) or NULL after shutdown. */
char *sg_rq__get(sg_rq_t *q);
/** sg_rq__get, also giving the acceptance time of sg_rq__add_accepted (0 when no add gave one). */
char *sg_rq__get_accepted(sg_rq_t *q, double *accepted);
/** Marks `key` processed; re-queues it if it was added meanwhile. */
void sg_rq__done(sg_rq_t *q, const char *key);
/** Wakes every get() with NULL; later adds are ignored. */
void sg_rq__shutdown(sg_rq_t *q);
/** See sg_reconciler_wait_idle. */
int sg_rq__wait_idle(sg_rq_t *q, int horizon_ms, int timeout_ms);
/** Returns and clears the overflow flag. */
int sg_rq__take_overflow(sg_rq_t *q);
/** Keys currently queued (not delayed, not processing). */
size_t sg_rq__len(sg_rq_t *q);

/* --- status texts (status.c) --- */

/** A copy of s[0..len) cut to at most `max` code points (invalid UTF-8 bytes become U+FFFD), ending in "…" when
 * cut. Arena memory; NULL when out of memory. */
char *sg_reconcile__truncate(sg_arena_t *arena, const char *s, size_t len, size_t max);

typedef struct st_sg_reconcile__decision_t {
    const char *decision; /* Pending, Created, Reused, Rejected */
    const char *reason;
    const char *message;
    const char *run_name; /* storyRunRef for Created/Reused */
    const char *run_namespace;
    const char *run_uid;
} sg_reconcile__decision_t;

/** The status object after `d` (§4.4): a copy of `old` (may be NULL) with acceptedAt (if unset), completedAt (not for
 * Pending), observedGeneration, decision, reason, message, storyRunRef and the Ready/Progressing/Degraded
 * conditions with lastTransitionTime kept when a condition's status is unchanged. `now` is RFC 3339. NULL on OOM. */
sg_json_t *sg_reconcile__status(sg_arena_t *arena, const sg_json_t *old, int64_t generation,
                                const sg_reconcile__decision_t *d, const char *now);

/* --- offload (offload.c) --- */

typedef struct st_sg_offload_cfg_t {
    const char *base;   /* absolute base directory, NULL = storage disabled */
    const char *prefix; /* "inputs" */
    size_t max_inline;
} sg_offload_cfg_t;

/** Outcome classes of sg_reconcile__offload. */
enum { SG_OFFLOAD_TRANSIENT = 0, SG_OFFLOAD_PERMANENT = 1 };

/** Dehydrates Go-decoded `inputs` for StoryRun `run_name` (§5, with content-addressed write-once file names). Sets
 * `*out` to the value the StoryRun carries (the original when nothing moved). With `dry_run` no file is written (the
 * keys are still computed, for comparing with an existing StoryRun). On failure returns an error with the message
 * and `*permanent` saying whether retrying can help. */
int sg_reconcile__offload(const sg_json_t **out, sg_arena_t *arena, const sg_json_t *inputs, const char *run_name,
                          const sg_offload_cfg_t *cfg, int dry_run, int *permanent, sg_error_t *err);

/* --- the reconciler object (reconciler.c) and the decision procedure (decide.c) --- */

typedef struct st_sg_reconcile__nf_t sg_reconcile__nf_t; /* triggers rejected StoryNotFound, by Story */

struct st_sg_reconciler_t {
    sg_reconciler_opts_t opts;
    char *storage_path;
    char *storage_prefix;
    sg_offload_cfg_t offload;
    sg_rq_t *queue;
    pthread_mutex_t jobs_mu; /* jobs alive (a worker's, or awaiting their decision write), at most max_jobs */
    pthread_cond_t jobs_cond;
    size_t jobs, max_jobs;
    pthread_t *threads;
    size_t nthreads;
    int started, stopped, subscribed;
    pthread_mutex_t nf_mu;
    sg_reconcile__nf_t *nf;
    struct {
        sg_series_t *success, *error, *requeue, *requeue_after;
        sg_series_t *errors, *time, *active, *max_concurrent;
        sg_metric_t *decisions;
        sg_series_t *latency;
    } m;
};

/* --- one key's pass, from a worker to its durable decision (job.c) --- */

/* A worker's pass over one key. When the pass ends in an asynchronous decision write, the job belongs to that
 * write's completion (sg_reconcile__written), which finishes the key; otherwise the worker finishes it. */
typedef struct st_sg_reconcile__job_t {
    sg_reconciler_t *r;
    char *key;             /* "ns/name", owned */
    const char *ns, *name; /* split copies, in the same allocation as key */
    double t0;             /* monotonic start of the pass */
    char decision[16];     /* the decision being written, for metrics */
    char reason[48];
    double decided_from; /* acceptance time the decision latency is measured from (0 = unknown) */
} sg_reconcile__job_t;

/** A job for `key` (taken over: freed with the job). NULL when out of memory (key is then freed). */
sg_reconcile__job_t *sg_reconcile__job_new(sg_reconciler_t *r, char *key);
/** Ends the job's pass with `rc` (SG_OK, SG_RECONCILE__AGAIN or an error to retry with backoff): metrics, the
 * queue's bookkeeping for its key, and the job freed. `gone` says the trigger was not in the store. */
void sg_reconcile__job_finish(sg_reconcile__job_t *job, int rc, int gone, const sg_error_t *err);
/** Completion of a job's decision write (a sg_store_done_cb): records the decision and finishes the job. */
void sg_reconcile__written(void *ctx, int rc, const sg_error_t *err, const char *json, size_t len);
/** Metrics and debug log of a decision written for ns/name; `accepted` 0 when unknown. */
void sg_reconcile__record(sg_reconciler_t *r, const char *ns, const char *name, const char *decision,
                          const char *reason, double accepted);

/** Remembers that trigger `key` was rejected because Story `story_key` ("ns/name") is missing. */
void sg_reconcile__nf_add(sg_reconciler_t *r, const char *story_key, const char *key);
/** Enqueues and forgets every trigger waiting for Story `story_key`. */
void sg_reconcile__nf_fire(sg_reconciler_t *r, const char *story_key);

/* Outcomes of a pass besides SG_OK and errors. */
enum {
    SG_RECONCILE__DEFERRED = 1, /* the decision write is queued; its completion finishes the job */
    SG_RECONCILE__AGAIN = 2,    /* run the pass again now (what it read changed under it) */
};

/** One pass of §4.2 for trigger ns/name. Returns SG_OK (decided/skipped/gone), a negative code to retry, or, with a
 * `job`, SG_RECONCILE__DEFERRED: the decision write was queued and the job (with ns/name, which may point into it)
 * must not be touched again. Without a job every write is awaited. `*gone` (may be NULL) is set to 1 when the
 * trigger was not in the store. */
int sg_reconcile__decide(sg_reconciler_t *r, const char *ns, const char *name, double accepted,
                         sg_reconcile__job_t *job, int *gone, sg_error_t *err);

/** Current time as RFC 3339 UTC seconds, and as seconds since the epoch. */
void sg_reconcile__now(char out[32], double *epoch);

#endif
