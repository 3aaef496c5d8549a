/* Hot-path updates: lock-free. Doubles live as their bit patterns in 64-bit atomics and change by CAS; counter
 * increments by whole numbers go to a separate integer so the common inc() is one fetch_add. */
#include <math.h>
#include <string.h>

#include "internal.h"

/* Integral counter increments below this are exact both as uint64 and when added back into a double. */
#define EXACT_INT_MAX 9007199254740992.0 /* 2^53 */

static inline double from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

static inline uint64_t to_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static void add_double(_Atomic uint64_t *p, double v)
{
    uint64_t old = atomic_load_explicit(p, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(p, &old, to_bits(from_bits(old) + v), memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

void sg_series_add(sg_series_t *s, double v)
{
    if (s == NULL)
        return;
    switch (s->family->type) {
    case SG_METRIC_COUNTER:
        if (!(v >= 0)) /* counters only go up; NaN is refused too */
            return;
        if (v < EXACT_INT_MAX && v == floor(v))
            atomic_fetch_add_explicit(&s->ival, (uint64_t)v, memory_order_relaxed);
        else
            add_double(&s->bits, v);
        break;
    case SG_METRIC_GAUGE:
        add_double(&s->bits, v);
        break;
    default:
        break;
    }
}

void sg_series_inc(sg_series_t *s)
{
    if (s == NULL)
        return;
    if (s->family->type == SG_METRIC_COUNTER)
        atomic_fetch_add_explicit(&s->ival, 1, memory_order_relaxed);
    else if (s->family->type == SG_METRIC_GAUGE)
        add_double(&s->bits, 1);
}

void sg_series_dec(sg_series_t *s)
{
    if (s != NULL && s->family->type == SG_METRIC_GAUGE)
        add_double(&s->bits, -1);
}

void sg_series_set(sg_series_t *s, double v)
{
    if (s != NULL && s->family->type == SG_METRIC_GAUGE)
        atomic_store_explicit(&s->bits, to_bits(v), memory_order_relaxed);
}

void sg_metrics__series_store(sg_series_t *s, double v)
{
    if (s == NULL)
        return;
    atomic_store_explicit(&s->ival, 0, memory_order_relaxed);
    atomic_store_explicit(&s->bits, to_bits(v), memory_order_relaxed);
}

void sg_series_observe(sg_series_t *s, double v)
{
    if (s == NULL || s->family->type != SG_METRIC_HISTOGRAM)
        return;
    const double *b = s->family->buckets;
    /* First bound >= v: an observation equal to a bound belongs to that bucket. NaN lands in +Inf. */
    size_t lo = 0, hi = s->family->nbuckets;
    if (isnan(v)) {
        lo = hi;
    } else {
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (b[mid] >= v)
                hi = mid;
            else
                lo = mid + 1;
        }
    }
    atomic_fetch_add_explicit(&s->counts[lo], 1, memory_order_relaxed);
    add_double(&s->bits, v);
}

double sg_series_value(const sg_series_t *s)
{
    if (s == NULL)
        return 0;
    sg_series_t *m = (sg_series_t *)s; /* atomics are read-only here; C11 loads need non-const */
    switch (s->family->type) {
    case SG_METRIC_COUNTER:
        return from_bits(atomic_load_explicit(&m->bits, memory_order_relaxed)) +
               (double)atomic_load_explicit(&m->ival, memory_order_relaxed);
    case SG_METRIC_GAUGE:
        return from_bits(atomic_load_explicit(&m->bits, memory_order_relaxed));
    case SG_METRIC_HISTOGRAM: {
        uint64_t n = 0;
        for (size_t i = 0; i <= s->family->nbuckets; i++)
            n += atomic_load_explicit(&m->counts[i], memory_order_relaxed);
        return (double)n;
    }
    }
    return 0;
}
