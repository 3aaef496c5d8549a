/* Tests for histogram bucket placement. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/metrics.h>

/* The cumulative count rendered for bucket `le`. */
static double bucket(const char *text, const char *le)
{
    char key[64];
    snprintf(key, sizeof(key), "le=\"%s\"} ", le);
    const char *p = strstr(text, key);
    cr_assert_not_null(p, "no bucket %s", le);
    return strtod(p + strlen(key), NULL);
}

Test(metrics_histogram, observation_equal_to_bound_goes_in_that_bucket)
{
    sg_metrics_t *r = sg_metrics_new();
    static const double b[] = {0.1, 1, 10};
    sg_series_t *s = sg_metric_with(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h", "H.", NULL, b, 3), NULL);
    double obs[] = {0.1, 1, 10, nextafter(0.1, 1), nextafter(1, 0), nextafter(10, 100), -5, 0};
    for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
        sg_series_observe(s, obs[i]);
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(sg_metrics_render(r, &out), 0);
    /* <= 0.1: 0.1, -5, 0; <= 1: + 1, nextafter(0.1), nextafter(1, 0); <= 10: + 10; +Inf: + nextafter(10). */
    cr_assert_eq(bucket(out.base, "0.1"), 3);
    cr_assert_eq(bucket(out.base, "1"), 6);
    cr_assert_eq(bucket(out.base, "10"), 7);
    cr_assert_eq(bucket(out.base, "+Inf"), 8);
    cr_assert_eq(sg_series_value(s), 8);
    sg_buf_dispose(&out);
    sg_metrics_free(r);
}

Test(metrics_histogram, every_webhook_bound_is_inclusive)
{
    sg_metrics_t *r = sg_metrics_new();
    sg_series_t *s = sg_metric_with(
        sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h", "H.", NULL, sg_metrics_buckets_webhook, 12), NULL);
    for (size_t i = 0; i < 12; i++)
        sg_series_observe(s, sg_metrics_buckets_webhook[i]);
    sg_buf_t out = SG_BUF_INIT;
    sg_metrics_render(r, &out);
    const char *les[] = {"1e-08", "1e-07", "1e-06", "1e-05", "0.0001", "0.001",
                         "0.01",  "0.1",   "1",     "10",    "100",    "1000"};
    for (size_t i = 0; i < 12; i++)
        cr_assert_eq(bucket(out.base, les[i]), (double)(i + 1), "bucket %s", les[i]);
    cr_assert_eq(bucket(out.base, "+Inf"), 12);
    sg_buf_dispose(&out);
    sg_metrics_free(r);
}

Test(metrics_histogram, nan_and_infinity_land_in_inf_bucket)
{
    sg_metrics_t *r = sg_metrics_new();
    static const double b[] = {1};
    sg_series_t *s = sg_metric_with(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h", "H.", NULL, b, 1), NULL);
    sg_series_observe(s, NAN);
    sg_series_observe(s, INFINITY);
    sg_series_observe(s, -INFINITY);
    sg_buf_t out = SG_BUF_INIT;
    sg_metrics_render(r, &out);
    cr_assert_eq(bucket(out.base, "1"), 1);
    cr_assert_eq(bucket(out.base, "+Inf"), 3);
    cr_assert_not_null(strstr(out.base, "h_sum NaN\n"));
    sg_buf_dispose(&out);
    sg_metrics_free(r);
}

Test(metrics_histogram, histogram_without_buckets_has_only_inf)
{
    sg_metrics_t *r = sg_metrics_new();
    sg_series_t *s = sg_metric_with(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h", "H.", NULL, NULL, 0), NULL);
    sg_series_observe(s, 2.5);
    sg_buf_t out = SG_BUF_INIT;
    sg_metrics_render(r, &out);
    cr_assert_str_eq(out.base, "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 2.5\nh_count 1\n");
    sg_buf_dispose(&out);
    sg_metrics_free(r);
}
