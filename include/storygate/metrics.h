/* Prometheus metrics: counter, gauge and histogram families with labels, lock-free updates, text format 0.0.4. */
#ifndef STORYGATE_METRICS_H
#define STORYGATE_METRICS_H

#include <stddef.h>

#include <storygate/buf.h>

typedef struct st_sg_metrics_t sg_metrics_t;      /* a registry */
typedef struct st_sg_metric_family_t sg_metric_t; /* one metric name with its label names */
typedef struct st_sg_series_t sg_series_t; /* one label combination; pointers stay valid for the registry's life */

/* Bounds on what label values (which may come from requests) can cost. A family refuses new series past
 * SG_METRICS_SERIES_MAX (sg_metric_with returns NULL, and updates on NULL are ignored); longer label values are cut
 * to SG_METRICS_LABEL_MAX bytes and invalid UTF-8 in them becomes U+FFFD. */
#define SG_METRICS_LABELS_MAX 16
#define SG_METRICS_LABEL_MAX 1024
#define SG_METRICS_SERIES_MAX 10000

typedef enum en_sg_metric_type_t {
    SG_METRIC_COUNTER,
    SG_METRIC_GAUGE,
    SG_METRIC_HISTOGRAM,
} sg_metric_type_t;

/** The process-wide registry (created on first use, never freed). Thread-safe. */
sg_metrics_t *sg_metrics_default(void);
/** A new empty registry, for tests. Free with sg_metrics_free. */
sg_metrics_t *sg_metrics_new(void);
/** Frees a registry from sg_metrics_new; NULL is accepted. */
void sg_metrics_free(sg_metrics_t *r);

/** Registers (or returns the already registered) family `name`. `label_names` is NULL-terminated (NULL = no labels).
 * For histograms `buckets` are the ascending upper bounds without +Inf; ignored otherwise. Strings are copied.
 * Returns NULL if `name` exists with another type, labels or buckets, or if a name is invalid, a label name repeats
 * or is reserved (`le` on histograms, `__*`), or buckets are not finite and strictly ascending. Counter names should
 * end in `_total` (promtool lints it). A family without labels gets its one series at registration. Thread-safe. */
sg_metric_t *sg_metrics_register(sg_metrics_t *r, sg_metric_type_t type, const char *name, const char *help,
                                 const char *const *label_names, const double *buckets, size_t nbuckets);
/** The series for `label_values` (NULL-terminated, one per label name; NULL for none), created at 0 on first use.
 * The pointer is stable: cache it on hot paths. Thread-safe; NULL on allocation failure. */
sg_series_t *sg_metric_with(sg_metric_t *m, const char *const *label_values);
/** Convenience: sg_metric_with for up to 4 label values given as arguments (pass only as many as the family has). */
sg_series_t *sg_metric_with4(sg_metric_t *m, const char *v0, const char *v1, const char *v2, const char *v3);

/** Adds `v` (>= 0 for counters). Lock-free; NULL series is ignored. */
void sg_series_add(sg_series_t *s, double v);
/** Adds 1. */
void sg_series_inc(sg_series_t *s);
/** Subtracts 1 (gauges). */
void sg_series_dec(sg_series_t *s);
/** Sets a gauge. */
void sg_series_set(sg_series_t *s, double v);
/** Records one observation in a histogram. Lock-free. */
void sg_series_observe(sg_series_t *s, double v);
/** Current value of a counter or gauge, or the sample count of a histogram (for tests and /readyz). */
double sg_series_value(const sg_series_t *s);

/** Renders every family in Prometheus text format 0.0.4 (HELP, TYPE, samples; histograms with _bucket/_sum/_count).
 * Families in registration order, series in creation order. Returns 0 or SG_ENOMEM. Thread-safe. */
int sg_metrics_render(sg_metrics_t *r, sg_buf_t *out);
/** Registers process_cpu_seconds_total, process_{open,max}_fds, process_{virtual,resident}_memory_bytes,
 * process_start_time_seconds (read from /proc/self at render time) and storygate_build_info{version=SG_VERSION} 1.
 * Idempotent; thread-safe. */
void sg_metrics_register_process(sg_metrics_t *r);

/* Standard bucket sets. */
extern const double sg_metrics_buckets_webhook[12];   /* 1e-08 ... 1000, x10 (controller-runtime) */
extern const double sg_metrics_buckets_reconcile[40]; /* controller-runtime reconcile_time_seconds */

#endif
