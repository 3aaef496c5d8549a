/* Tests that concurrent updates and series creation lose nothing. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <storygate/metrics.h>

#define THREADS 8
#define ITERS 100000

static sg_metric_t *g_counter, *g_gauge, *g_hist, *g_labelled;
static sg_series_t *c_s, *g_s, *h_s;

static void *hammer(void *arg)
{
    long id = (long)arg;
    char v[8];
    snprintf(v, sizeof(v), "%ld", id % 4);
    for (int i = 0; i < ITERS; i++) {
        sg_series_inc(c_s);
        sg_series_add(c_s, 0.5);
        sg_series_inc(g_s);
        sg_series_add(g_s, 0.25);
        sg_series_dec(g_s);
        sg_series_observe(h_s, (i % 3) * 0.5);
        /* Lookups race with creation of other label values. */
        if (i % 100 == 0)
            sg_series_inc(sg_metric_with4(g_labelled, v, NULL, NULL, NULL));
    }
    return NULL;
}

static void *renderer(void *arg)
{
    sg_metrics_t *r = arg;
    for (int i = 0; i < 50; i++) {
        sg_buf_t b = SG_BUF_INIT;
        cr_assert_eq(sg_metrics_render(r, &b), 0);
        sg_buf_dispose(&b);
    }
    return NULL;
}

Test(metrics_concurrency, parallel_updates_give_exact_totals)
{
    sg_metrics_t *r = sg_metrics_new();
    static const double b[] = {0, 0.5, 1};
    static const char *const lbl[] = {"k", NULL};
    g_counter = sg_metrics_register(r, SG_METRIC_COUNTER, "c_total", "C.", NULL, NULL, 0);
    g_gauge = sg_metrics_register(r, SG_METRIC_GAUGE, "g", "G.", NULL, NULL, 0);
    g_hist = sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h", "H.", NULL, b, 3);
    g_labelled = sg_metrics_register(r, SG_METRIC_COUNTER, "l_total", "L.", lbl, NULL, 0);
    c_s = sg_metric_with(g_counter, NULL);
    g_s = sg_metric_with(g_gauge, NULL);
    h_s = sg_metric_with(g_hist, NULL);
    pthread_t t[THREADS + 1];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, hammer, (void *)i);
    pthread_create(&t[THREADS], NULL, renderer, r);
    for (int i = 0; i <= THREADS; i++)
        pthread_join(t[i], NULL);
    /* Sums of 0.5 and 0.25 are exact in binary, so totals must match exactly. */
    cr_assert_eq(sg_series_value(c_s), 1.5 * THREADS * ITERS);
    cr_assert_eq(sg_series_value(g_s), 0.25 * THREADS * ITERS);
    cr_assert_eq(sg_series_value(h_s), (double)THREADS * ITERS);
    double total = 0;
    for (int k = 0; k < 4; k++) {
        char v[8];
        snprintf(v, sizeof(v), "%d", k);
        total += sg_series_value(sg_metric_with4(g_labelled, v, NULL, NULL, NULL));
    }
    cr_assert_eq(total, THREADS * (ITERS / 100));
    sg_buf_t out = SG_BUF_INIT;
    sg_metrics_render(r, &out);
    /* i % 3 cycles 0, 0.5, 1: ceil(ITERS/3) zeros per thread. */
    long zeros = THREADS * ((ITERS + 2) / 3), halves = THREADS * ((ITERS + 1) / 3);
    char want[128];
    snprintf(want, sizeof(want), "h_bucket{le=\"0\"} %ld\nh_bucket{le=\"0.5\"} %ld\n", zeros, zeros + halves);
    cr_assert_not_null(strstr(out.base, want), "%s", out.base);
    sg_buf_dispose(&out);
    sg_metrics_free(r);
}
