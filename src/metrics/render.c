/* Prometheus text exposition format 0.0.4, byte-compatible with client_golang's expfmt: the same escaping, the same
 * float formatting (strconv 'g', shortest), histograms as cumulative _bucket lines with le last, then _sum, _count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/error.h>

#include "internal.h"

size_t sg_metrics__format_double(char *out, double v)
{
    const char *fixed = NULL;
    if (v == 0)
        fixed = "0"; /* also -0, as client_golang writes it */
    else if (v == 1)
        fixed = "1";
    else if (v == -1)
        fixed = "-1";
    else if (isnan(v))
        fixed = "NaN";
    else if (isinf(v))
        fixed = v > 0 ? "+Inf" : "-Inf";
    if (fixed != NULL) {
        size_t n = strlen(fixed);
        memcpy(out, fixed, n + 1);
        return n;
    }
    /* Shortest digits that read back as v: the correctly rounded p-digit form for the smallest p that round-trips. */
    char e[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(e, sizeof(e), "%.*e", p - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    const char *q = e;
    int neg = *q == '-';
    if (neg)
        q++;
    char digs[24];
    int nd = 0;
    for (; *q != '\0' && *q != 'e'; q++)
        if (*q != '.' && nd < (int)sizeof(digs))
            digs[nd++] = *q;
    int exp = *q == 'e' ? atoi(q + 1) : 0;
    while (nd > 1 && digs[nd - 1] == '0')
        nd--;
    char *o = out;
    if (neg)
        *o++ = '-';
    /* Go's 'g' with shortest precision switches to exponent form below 1e-4 and from 1e6 (a fixed 6, not the
     * digit count as in C's %g). */
    if (exp < -4 || exp >= 6) {
        *o++ = digs[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digs + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        o += sprintf(o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else {
        int dp = exp + 1; /* digits before the point */
        if (dp <= 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -dp; i++)
                *o++ = '0';
            memcpy(o, digs, (size_t)nd);
            o += nd;
        } else {
            for (int i = 0; i < dp; i++)
                *o++ = i < nd ? digs[i] : '0';
            if (nd > dp) {
                *o++ = '.';
                memcpy(o, digs + dp, (size_t)(nd - dp));
                o += nd - dp;
            }
        }
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* Escapes backslash and newline, and the double quote inside label values. */
static void put_escaped(sg_buf_t *b, const char *s, int quote)
{
    const char *run = s;
    for (; *s != '\0'; s++) {
        const char *rep = NULL;
        if (*s == '\\')
            rep = "\\\\";
        else if (*s == '\n')
            rep = "\\n";
        else if (quote && *s == '"')
            rep = "\\\"";
        if (rep != NULL) {
            sg_buf_append(b, run, (size_t)(s - run));
            sg_buf_append(b, rep, 2);
            run = s + 1;
        }
    }
    sg_buf_append(b, run, (size_t)(s - run));
}

static void put_double(sg_buf_t *b, double v)
{
    char num[40];
    size_t n = sg_metrics__format_double(num, v);
    sg_buf_append(b, num, n);
}

/* One sample line: name+suffix, the series' labels plus an optional trailing le, the value. */
static void put_sample(sg_buf_t *b, const sg_metric_t *m, const char *suffix, const sg_series_t *s, const double *le,
                       double v)
{
    sg_buf_puts(b, m->name);
    sg_buf_puts(b, suffix);
    if (m->nlabels > 0 || le != NULL) {
        char sep = '{';
        for (size_t i = 0; i < m->nlabels; i++) {
            sg_buf_putc(b, sep);
            sg_buf_puts(b, m->labels[i]);
            sg_buf_append(b, "=\"", 2);
            put_escaped(b, s->values[i], 1);
            sg_buf_putc(b, '"');
            sep = ',';
        }
        if (le != NULL) {
            sg_buf_putc(b, sep);
            sg_buf_append(b, "le=\"", 4);
            put_double(b, *le);
            sg_buf_putc(b, '"');
        }
        sg_buf_putc(b, '}');
    }
    sg_buf_putc(b, ' ');
    put_double(b, v);
    sg_buf_putc(b, '\n');
}

static void put_histogram(sg_buf_t *b, const sg_metric_t *m, sg_series_t *s)
{
    uint64_t cum = 0;
    for (size_t i = 0; i < m->nbuckets; i++) {
        cum += atomic_load_explicit(&s->counts[i], memory_order_relaxed);
        put_sample(b, m, "_bucket", s, &m->buckets[i], (double)cum);
    }
    cum += atomic_load_explicit(&s->counts[m->nbuckets], memory_order_relaxed);
    double inf = INFINITY;
    put_sample(b, m, "_bucket", s, &inf, (double)cum);
    uint64_t bits = atomic_load_explicit(&s->bits, memory_order_relaxed);
    double sum;
    memcpy(&sum, &bits, sizeof(sum));
    put_sample(b, m, "_sum", s, NULL, sum);
    /* The count is the +Inf bucket, so the two always agree even while observations race with rendering. */
    put_sample(b, m, "_count", s, NULL, (double)cum);
}

static const char *type_name(sg_metric_type_t t)
{
    switch (t) {
    case SG_METRIC_COUNTER:
        return "counter";
    case SG_METRIC_GAUGE:
        return "gauge";
    case SG_METRIC_HISTOGRAM:
        return "histogram";
    }
    return "untyped";
}

int sg_metrics_render(sg_metrics_t *r, sg_buf_t *out)
{
    if (r == NULL)
        return SG_OK;
    if (atomic_load_explicit(&r->process, memory_order_acquire))
        sg_metrics__collect_process(r);
    for (sg_metric_t *m = atomic_load_explicit(&r->head, memory_order_acquire); m != NULL;
         m = atomic_load_explicit(&m->next, memory_order_acquire)) {
        sg_series_t *s = atomic_load_explicit(&m->head, memory_order_acquire);
        if (s == NULL)
            continue; /* a labelled family with no series yet is left out, as client_golang's Gather does */
        sg_buf_append(out, "# HELP ", 7);
        sg_buf_puts(out, m->name);
        sg_buf_putc(out, ' ');
        put_escaped(out, m->help, 0);
        sg_buf_append(out, "\n# TYPE ", 8);
        sg_buf_puts(out, m->name);
        sg_buf_putc(out, ' ');
        sg_buf_puts(out, type_name(m->type));
        sg_buf_putc(out, '\n');
        for (; s != NULL; s = atomic_load_explicit(&s->next, memory_order_acquire)) {
            if (m->type == SG_METRIC_HISTOGRAM)
                put_histogram(out, m, s);
            else
                put_sample(out, m, "", s, NULL, sg_series_value(s));
        }
    }
    return out->oom ? SG_ENOMEM : SG_OK;
}
