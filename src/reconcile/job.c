/* One key's pass from a worker to its durable decision: the job a worker runs, finished either by the worker or,
 * when the pass ends in a queued decision write, by that write's completion on the store's thread. Workers therefore
 * never wait for an fsync, and the number of jobs alive is bounded (max_jobs) so a stalled disk cannot make them
 * pile up without limit. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storygate/log.h>

#include "internal.h"

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

sg_reconcile__job_t *sg_reconcile__job_new(sg_reconciler_t *r, char *key)
{
    size_t n = strlen(key);
    sg_reconcile__job_t *job = malloc(sizeof(*job) + n + 1);
    const char *slash = strchr(key, '/');
    if (job == NULL || slash == NULL) {
        free(job);
        free(key);
        return NULL;
    }
    memset(job, 0, sizeof(*job));
    char *split = (char *)(job + 1);
    memcpy(split, key, n + 1);
    split[slash - key] = '\0';
    job->r = r;
    job->key = key;
    job->ns = split;
    job->name = split + (slash - key) + 1;
    job->t0 = mono();
    pthread_mutex_lock(&r->jobs_mu);
    while (r->jobs >= r->max_jobs)
        pthread_cond_wait(&r->jobs_cond, &r->jobs_mu);
    r->jobs++;
    pthread_mutex_unlock(&r->jobs_mu);
    return job;
}

void sg_reconcile__record(sg_reconciler_t *r, const char *ns, const char *name, const char *decision,
                          const char *reason, double accepted)
{
    if (strcmp(decision, SG_RECONCILE_REASON_PENDING) == 0)
        return;
    sg_series_inc(sg_metric_with4(r->m.decisions, decision, reason, NULL, NULL));
    if (accepted > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
        sg_series_observe(r->m.latency, now > accepted ? now - accepted : 0);
    }
    sg_log_debug("trigger decided", "namespace", SG_LOG_STR, ns, "name", SG_LOG_STR, name, "decision", SG_LOG_STR,
                 decision, "reason", SG_LOG_STR, reason, NULL);
}

void sg_reconcile__job_finish(sg_reconcile__job_t *job, int rc, int gone, const sg_error_t *err)
{
    sg_reconciler_t *r = job->r;
    const char *key = job->key;
    sg_series_observe(r->m.time, mono() - job->t0);
    if (rc == SG_OK && gone && r->opts.notfound_retries > 0 &&
        sg_rq__add_backoff_upto(r->queue, key, r->opts.notfound_retries) == SG_OK) {
        /* not stored yet (a hint ahead of the apiserver's write): look again after a backoff step */
        sg_series_inc(r->m.requeue_after);
    } else if (rc == SG_OK) {
        sg_rq__forget(r->queue, key);
        sg_series_inc(r->m.success);
    } else if (rc == SG_RECONCILE__AGAIN) {
        sg_series_inc(r->m.requeue);
        sg_rq__add(r->queue, key); /* runs once this pass is marked done below */
    } else {
        sg_series_inc(r->m.error);
        sg_series_inc(r->m.errors);
        sg_log_warn("reconcile failed; retrying with backoff", "trigger", SG_LOG_STR, key, "error", SG_LOG_ERR, err,
                    NULL);
        sg_rq__add_backoff(r->queue, key);
    }
    sg_rq__done(r->queue, key);
    free(job->key);
    free(job);
    pthread_mutex_lock(&r->jobs_mu);
    r->jobs--;
    pthread_cond_broadcast(&r->jobs_cond);
    pthread_mutex_unlock(&r->jobs_mu);
}

void sg_reconcile__written(void *ctx, int rc, const sg_error_t *err, const char *json, size_t len)
{
    (void)json;
    (void)len;
    sg_reconcile__job_t *job = ctx;
    if (rc == SG_OK) {
        sg_reconcile__record(job->r, job->ns, job->name, job->decision, job->reason, job->decided_from);
    } else if (rc == SG_ENOTFOUND) {
        rc = SG_OK; /* the trigger was deleted meanwhile (a group's StoryRun was not created): nothing to decide */
    } else if (rc == SG_ECONFLICT) {
        /* the StoryRun appeared since the pass looked (another trigger of the same identity, or a replica): the next
         * pass finds it and decides Reused, recovered or StoryRunConflict */
        rc = SG_RECONCILE__AGAIN;
    }
    sg_reconcile__job_finish(job, rc, 0, err);
}
