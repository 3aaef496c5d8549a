/* Private to the metrics module: registry, family and series layouts, and the Go-compatible number formatter. */
#ifndef STORYGATE_METRICS_INTERNAL_H
#define STORYGATE_METRICS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <storygate/metrics.h>

#define SG_METRICS__CACHELINE 64

/* One label combination. Everything but the atomics is immutable once the series is published on its family's list,
 * so renderers walk the list without a lock. */
struct st_sg_series_t {
    _Atomic uint64_t bits;    /* counter/gauge value or histogram sum: a double's bits, updated by CAS */
    _Atomic uint64_t ival;    /* counters: integral increments, added without a CAS loop */
    _Atomic uint64_t *counts; /* histograms: per-bucket (not cumulative) counts, nbuckets + 1 with +Inf last */
    sg_metric_t *family;
    _Atomic(sg_series_t *) next; /* creation order */
    sg_series_t *hnext;          /* hash chain, under the family lock */
    uint64_t hash;
    char **values; /* one per label name */
};

struct st_sg_metric_family_t {
    sg_metrics_t *registry;
    sg_metric_type_t type;
    char *name;
    char *help;
    size_t nlabels;
    char **labels;
    size_t nbuckets;
    double *buckets;
    pthread_mutex_t lock; /* guards series creation and the hash table */
    _Atomic(sg_series_t *) head;
    sg_series_t *tail;
    sg_series_t **table;
    size_t table_size;
    size_t nseries;
    _Atomic(sg_metric_t *) next; /* registration order */
};

struct st_sg_metrics_t {
    pthread_mutex_t lock; /* guards registration */
    _Atomic(sg_metric_t *) head;
    sg_metric_t *tail;
    _Atomic int process; /* process metrics registered; set with release after the proc_* pointers */
    sg_series_t *proc_cpu, *proc_rss, *proc_vsize, *proc_fds, *proc_max_fds, *proc_start;
};

/** Writes `v` as Go's strconv.FormatFloat(v, 'g', -1, 64) after client_golang's special cases (0, 1, -1, NaN, +Inf,
 * -Inf); returns the length. `out` needs 32 bytes. */
size_t sg_metrics__format_double(char *out, double v);
/** Sets any series (counters too), used for values collected at render time. */
void sg_metrics__series_store(sg_series_t *s, double v);
/** Refreshes the process_* series from /proc/self. */
void sg_metrics__collect_process(sg_metrics_t *r);

#endif
