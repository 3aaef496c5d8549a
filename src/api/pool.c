/* The worker pool that runs blocking store calls (group-committed writes wait for fsync) away from the event loops.
 * A bounded FIFO: a full queue means the store is saturated and the request gets 429 with Retry-After. Each job comes
 * back to the loop it started on through that loop's h2o_multithread receiver. */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static __thread sg_arena_t *worker_arena;
static __thread int worker_deferred; /* the running job's completion was handed to another thread */

sg_arena_t *sg_api__worker_arena(void)
{
    return worker_arena;
}

static void *worker_main(void *arg)
{
    sg_api__pool_t *p = arg;
    sg_arena_t arena;
    sg_arena_init(&arena, 64 * 1024);
    worker_arena = &arena;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->head == NULL && !p->stopping)
            pthread_cond_wait(&p->cond, &p->mu);
        sg_api__job_t *job = p->head;
        if (job == NULL) { /* stopping and drained */
            pthread_mutex_unlock(&p->mu);
            break;
        }
        p->head = job->next;
        if (p->head == NULL)
            p->tail = NULL;
        p->len--;
        pthread_mutex_unlock(&p->mu);
        sg_arena_reset(&arena);
        worker_deferred = 0;
        job->run(job);
        if (worker_deferred)
            continue; /* the job may already be finished and freed */
        job->hdr.type = SG_API__MSG_JOB;
        h2o_multithread_send_message(&job->loop->receiver, &job->hdr.super);
    }
    worker_arena = NULL;
    sg_arena_dispose(&arena);
    return NULL;
}

int sg_api__pool_start(sg_api__pool_t *p, size_t n, size_t max_queue, sg_error_t *err)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->max = max_queue;
    p->threads = calloc(n, sizeof(*p->threads));
    if (p->threads == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            sg_api__pool_stop(p);
            return sg_error_set(err, SG_EIO, "cannot start API worker thread");
        }
        p->nthreads++;
    }
    return SG_OK;
}

int sg_api__pool_submit(sg_api__pool_t *p, sg_api__job_t *job)
{
    pthread_mutex_lock(&p->mu);
    if (p->stopping || p->len + p->deferred >= p->max) {
        pthread_mutex_unlock(&p->mu);
        return SG_ELIMIT;
    }
    job->next = NULL;
    if (p->tail != NULL)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    p->len++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
    return SG_OK;
}

void sg_api__pool_defer(sg_api__pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    p->deferred++;
    pthread_mutex_unlock(&p->mu);
    worker_deferred = 1;
}

void sg_api__pool_complete(sg_api__pool_t *p, sg_api__job_t *job)
{
    job->hdr.type = SG_API__MSG_JOB;
    h2o_multithread_send_message(&job->loop->receiver, &job->hdr.super);
    pthread_mutex_lock(&p->mu);
    if (--p->deferred == 0 && p->stopping)
        pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
}

void sg_api__pool_stop(sg_api__pool_t *p)
{
    if (p->threads == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    /* completions still owed by the store arrive from its writer: wait for them so no request is left unanswered */
    pthread_mutex_lock(&p->mu);
    while (p->deferred > 0)
        pthread_cond_wait(&p->cond, &p->mu);
    pthread_mutex_unlock(&p->mu);
    free(p->threads);
    p->threads = NULL;
    p->nthreads = 0;
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->mu);
}
