/* The reconciler's work queue, modelled on client-go's rate-limited workqueue: a FIFO of keys with a dirty set (a
 * key queued twice runs once), a processing set (a key is never handed to two workers; one added while processing
 * runs again after done), per-key exponential backoff in a min-heap of delayed keys, and a size bound. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define NO_HEAP ((size_t)-1)

typedef struct st_rq_entry_t {
    char *key;
    unsigned hash;
    int dirty, processing;
    int failures;
    double added_at;   /* monotonic time of the add that made it dirty */
    double accepted;   /* wall-clock time its object was accepted, when an add said so (0 = unknown) */
    double started_at; /* monotonic time get() handed it out */
    double ready_at;   /* when delayed */
    size_t heap_idx;
    struct st_rq_entry_t *hnext; /* hash chain */
    struct st_rq_entry_t *qnext; /* FIFO */
} rq_entry_t;

struct st_sg_rq_t {
    pthread_mutex_t mu;
    pthread_cond_t cond;      /* a key is ready (or its delay changed), or shutdown: one worker is woken per change */
    pthread_cond_t idle_cond; /* state changes for wait_idle */
    int idle_waiters;
    rq_entry_t **buckets;
    size_t nbuckets, nentries, max;
    rq_entry_t *head, *tail;
    size_t qlen, nprocessing;
    rq_entry_t **heap;
    size_t heap_len, heap_cap;
    double base, cap;
    int shutdown, overflow;
    sg_rq_metrics_t m;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned hash_str(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

sg_rq_t *sg_rq__new(size_t max, double backoff_base, double backoff_max, const sg_rq_metrics_t *m)
{
    sg_rq_t *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    q->nbuckets = 1024;
    if ((q->buckets = calloc(q->nbuckets, sizeof(*q->buckets))) == NULL) {
        free(q);
        return NULL;
    }
    q->max = max;
    q->base = backoff_base;
    q->cap = backoff_max;
    if (m != NULL)
        q->m = *m;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_cond_init(&q->idle_cond, &ca);
    pthread_condattr_destroy(&ca);
    return q;
}

void sg_rq__free(sg_rq_t *q)
{
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->nbuckets; i++) {
        for (rq_entry_t *e = q->buckets[i], *n; e != NULL; e = n) {
            n = e->hnext;
            free(e->key);
            free(e);
        }
    }
    free(q->buckets);
    free(q->heap);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cond);
    pthread_cond_destroy(&q->idle_cond);
    free(q);
}

static rq_entry_t *find(sg_rq_t *q, const char *key, unsigned h)
{
    for (rq_entry_t *e = q->buckets[h & (q->nbuckets - 1)]; e != NULL; e = e->hnext)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void grow(sg_rq_t *q)
{
    size_t nb = q->nbuckets * 2;
    rq_entry_t **b = calloc(nb, sizeof(*b));
    if (b == NULL)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < q->nbuckets; i++) {
        for (rq_entry_t *e = q->buckets[i], *n; e != NULL; e = n) {
            n = e->hnext;
            e->hnext = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(q->buckets);
    q->buckets = b;
    q->nbuckets = nb;
}

/* Finds or creates the entry; NULL when full or out of memory. */
static rq_entry_t *entry(sg_rq_t *q, const char *key)
{
    unsigned h = hash_str(key);
    rq_entry_t *e = find(q, key, h);
    if (e != NULL)
        return e;
    if (q->max != 0 && q->nentries >= q->max) {
        q->overflow = 1;
        return NULL;
    }
    if ((e = calloc(1, sizeof(*e))) == NULL || (e->key = strdup(key)) == NULL) {
        free(e);
        q->overflow = 1;
        return NULL;
    }
    e->hash = h;
    e->heap_idx = NO_HEAP;
    e->hnext = q->buckets[h & (q->nbuckets - 1)];
    q->buckets[h & (q->nbuckets - 1)] = e;
    if (++q->nentries > q->nbuckets)
        grow(q);
    return e;
}

static void release_if_idle(sg_rq_t *q, rq_entry_t *e)
{
    if (e->dirty || e->processing || e->failures > 0 || e->heap_idx != NO_HEAP)
        return;
    rq_entry_t **pp = &q->buckets[e->hash & (q->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    q->nentries--;
    free(e->key);
    free(e);
}

static void push_fifo(sg_rq_t *q, rq_entry_t *e)
{
    e->qnext = NULL;
    if (q->tail != NULL)
        q->tail->qnext = e;
    else
        q->head = e;
    q->tail = e;
    q->qlen++;
    sg_series_set(q->m.depth, (double)q->qlen);
    pthread_cond_signal(&q->cond); /* one key, one worker: a broadcast would wake every idle worker to fight for it */
}

static void make_dirty(sg_rq_t *q, rq_entry_t *e)
{
    if (e->dirty)
        return;
    e->dirty = 1;
    e->added_at = mono();
    sg_series_inc(q->m.adds);
    if (!e->processing)
        push_fifo(q, e);
}

/* --- delayed keys: a binary min-heap on ready_at --- */

static void heap_swap(sg_rq_t *q, size_t i, size_t j)
{
    rq_entry_t *t = q->heap[i];
    q->heap[i] = q->heap[j];
    q->heap[j] = t;
    q->heap[i]->heap_idx = i;
    q->heap[j]->heap_idx = j;
}

static void heap_up(sg_rq_t *q, size_t i)
{
    while (i > 0 && q->heap[(i - 1) / 2]->ready_at > q->heap[i]->ready_at) {
        heap_swap(q, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(sg_rq_t *q, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->heap_len && q->heap[l]->ready_at < q->heap[m]->ready_at)
            m = l;
        if (r < q->heap_len && q->heap[r]->ready_at < q->heap[m]->ready_at)
            m = r;
        if (m == i)
            return;
        heap_swap(q, i, m);
        i = m;
    }
}

static void heap_remove(sg_rq_t *q, rq_entry_t *e)
{
    size_t i = e->heap_idx, last = q->heap_len - 1;
    if (i != last)
        heap_swap(q, i, last);
    q->heap_len--;
    e->heap_idx = NO_HEAP;
    if (i < q->heap_len) {
        heap_up(q, i);
        heap_down(q, i);
    }
}

static int schedule(sg_rq_t *q, rq_entry_t *e, double delay)
{
    double at = mono() + delay;
    if (e->heap_idx != NO_HEAP) {
        if (at < e->ready_at) {
            e->ready_at = at;
            heap_up(q, e->heap_idx);
        }
        return SG_OK;
    }
    if (q->heap_len == q->heap_cap) {
        size_t cap = q->heap_cap ? q->heap_cap * 2 : 64;
        rq_entry_t **h = realloc(q->heap, cap * sizeof(*h));
        if (h == NULL)
            return SG_ENOMEM;
        q->heap = h;
        q->heap_cap = cap;
    }
    e->ready_at = at;
    e->heap_idx = q->heap_len;
    q->heap[q->heap_len++] = e;
    heap_up(q, e->heap_idx);
    pthread_cond_signal(&q->cond); /* a sleeping worker recomputes its deadline */
    return SG_OK;
}

/* Moves due delayed keys to the FIFO. */
static void fire_due(sg_rq_t *q)
{
    double now = mono();
    while (q->heap_len > 0 && q->heap[0]->ready_at <= now) {
        rq_entry_t *e = q->heap[0];
        heap_remove(q, e);
        make_dirty(q, e);
    }
}

int sg_rq__add_accepted(sg_rq_t *q, const char *key, double accepted)
{
    pthread_mutex_lock(&q->mu);
    int rc = SG_OK;
    if (!q->shutdown) {
        rq_entry_t *e = entry(q, key);
        if (e == NULL) {
            rc = SG_ELIMIT;
        } else {
            if (accepted > 0 && (e->accepted == 0 || accepted < e->accepted))
                e->accepted = accepted;
            make_dirty(q, e);
        }
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int sg_rq__add(sg_rq_t *q, const char *key)
{
    return sg_rq__add_accepted(q, key, 0);
}

int sg_rq__add_after(sg_rq_t *q, const char *key, double delay)
{
    if (delay <= 0)
        return sg_rq__add(q, key);
    pthread_mutex_lock(&q->mu);
    int rc = SG_OK;
    if (!q->shutdown) {
        rq_entry_t *e = entry(q, key);
        rc = e == NULL ? SG_ELIMIT : schedule(q, e, delay);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int sg_rq__add_backoff(sg_rq_t *q, const char *key)
{
    return sg_rq__add_backoff_upto(q, key, 0);
}

int sg_rq__add_backoff_upto(sg_rq_t *q, const char *key, int max)
{
    pthread_mutex_lock(&q->mu);
    int rc = SG_OK;
    if (!q->shutdown) {
        rq_entry_t *e = max > 0 ? find(q, key, hash_str(key)) : NULL;
        if (max > 0 && e != NULL && e->failures >= max) {
            rc = SG_ELIMIT;
        } else if ((e = entry(q, key)) == NULL) {
            rc = SG_ELIMIT;
        } else {
            if (e->failures < 64)
                e->failures++;
            double d = q->base * ldexp(1.0, e->failures - 1);
            sg_series_inc(q->m.retries);
            rc = schedule(q, e, d > q->cap ? q->cap : d);
        }
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void sg_rq__forget(sg_rq_t *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    rq_entry_t *e = find(q, key, hash_str(key));
    if (e != NULL) {
        e->failures = 0;
        release_if_idle(q, e);
    }
    pthread_mutex_unlock(&q->mu);
}

static void abs_deadline(struct timespec *ts, double at)
{
    ts->tv_sec = (time_t)at;
    ts->tv_nsec = (long)((at - (double)ts->tv_sec) * 1e9);
}

char *sg_rq__get(sg_rq_t *q)
{
    return sg_rq__get_accepted(q, NULL);
}

char *sg_rq__get_accepted(sg_rq_t *q, double *accepted)
{
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->shutdown) {
            pthread_mutex_unlock(&q->mu);
            return NULL;
        }
        fire_due(q);
        if (q->head != NULL)
            break;
        if (q->heap_len > 0) {
            struct timespec ts;
            abs_deadline(&ts, q->heap[0]->ready_at);
            pthread_cond_timedwait(&q->cond, &q->mu, &ts);
        } else {
            pthread_cond_wait(&q->cond, &q->mu);
        }
    }
    rq_entry_t *e = q->head;
    q->head = e->qnext;
    if (q->head == NULL)
        q->tail = NULL;
    else
        pthread_cond_signal(&q->cond); /* more ready keys (several may have come due at once): pass the baton */
    q->qlen--;
    sg_series_set(q->m.depth, (double)q->qlen);
    e->dirty = 0;
    e->processing = 1;
    q->nprocessing++;
    e->started_at = mono();
    sg_series_observe(q->m.queue_duration, e->started_at - e->added_at);
    if (accepted != NULL)
        *accepted = e->accepted;
    e->accepted = 0;
    char *key = strdup(e->key);
    pthread_mutex_unlock(&q->mu);
    return key;
}

void sg_rq__done(sg_rq_t *q, const char *key)
{
    pthread_mutex_lock(&q->mu);
    rq_entry_t *e = find(q, key, hash_str(key));
    if (e != NULL && e->processing) {
        e->processing = 0;
        q->nprocessing--;
        sg_series_observe(q->m.work_duration, mono() - e->started_at);
        if (e->dirty && !q->shutdown)
            push_fifo(q, e);
        else
            release_if_idle(q, e);
    }
    if (q->idle_waiters > 0)
        pthread_cond_broadcast(&q->idle_cond);
    pthread_mutex_unlock(&q->mu);
}

void sg_rq__shutdown(sg_rq_t *q)
{
    pthread_mutex_lock(&q->mu);
    q->shutdown = 1;
    pthread_cond_broadcast(&q->cond);
    pthread_cond_broadcast(&q->idle_cond);
    pthread_mutex_unlock(&q->mu);
}

int sg_rq__wait_idle(sg_rq_t *q, int horizon_ms, int timeout_ms)
{
    double end = mono() + timeout_ms / 1000.0;
    pthread_mutex_lock(&q->mu);
    int idle = 0;
    for (;;) {
        double now = mono();
        idle = q->head == NULL && q->nprocessing == 0 &&
               (q->heap_len == 0 || q->heap[0]->ready_at > now + horizon_ms / 1000.0);
        if (idle || now >= end)
            break;
        struct timespec ts;
        double at = now + 0.01 < end ? now + 0.01 : end;
        abs_deadline(&ts, at);
        q->idle_waiters++;
        pthread_cond_timedwait(&q->idle_cond, &q->mu, &ts);
        q->idle_waiters--;
    }
    pthread_mutex_unlock(&q->mu);
    return idle;
}

int sg_rq__take_overflow(sg_rq_t *q)
{
    pthread_mutex_lock(&q->mu);
    int o = q->overflow;
    q->overflow = 0;
    pthread_mutex_unlock(&q->mu);
    return o;
}

size_t sg_rq__len(sg_rq_t *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->qlen;
    pthread_mutex_unlock(&q->mu);
    return n;
}
