/* Tests for the text exposition: exact output for each metric type, labels, escaping and number formatting. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/metrics.h>

#include "../common/table.h"

static char *render(sg_metrics_t *r)
{
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_metrics_render(r, &b), 0);
    size_t len;
    char *s = b.base != NULL ? sg_buf_detach(&b, &len) : strdup("");
    return s;
}

Test(metrics_render, counter_and_gauge_with_labels_exact_text)
{
    sg_metrics_t *r = sg_metrics_new();
    static const char *const lbl[] = {"webhook", "code", NULL};
    sg_metric_t *c = sg_metrics_register(r, SG_METRIC_COUNTER, "controller_runtime_webhook_requests_total",
                                         "Total number of admission requests by HTTP status code.", lbl, NULL, 0);
    sg_metric_t *g = sg_metrics_register(r, SG_METRIC_GAUGE, "controller_runtime_webhook_requests_in_flight",
                                         "Current number of admission requests being served.", lbl, NULL, 0);
    sg_metric_t *p = sg_metrics_register(r, SG_METRIC_COUNTER, "controller_runtime_webhook_panics_total",
                                         "Total number of webhook panics", NULL, NULL, 0);
    cr_assert(c && g && p);
    const char *path = "/validate-runs-bubustack-io-v1alpha1-storytrigger";
    sg_series_t *ok = sg_metric_with4(c, path, "200", NULL, NULL);
    sg_metric_with4(c, path, "500", NULL, NULL);
    sg_series_add(ok, 3);
    sg_series_inc(ok);
    sg_series_t *inflight = sg_metric_with4(g, path, "x", NULL, NULL);
    sg_series_inc(inflight);
    sg_series_inc(inflight);
    sg_series_dec(inflight);
    sg_series_add(inflight, 0.25);
    char *out = render(r);
    cr_assert_str_eq(out,
                     "# HELP controller_runtime_webhook_requests_total Total number of admission requests by HTTP "
                     "status code.\n"
                     "# TYPE controller_runtime_webhook_requests_total counter\n"
                     "controller_runtime_webhook_requests_total{webhook=\"/validate-runs-bubustack-io-v1alpha1-"
                     "storytrigger\",code=\"200\"} 4\n"
                     "controller_runtime_webhook_requests_total{webhook=\"/validate-runs-bubustack-io-v1alpha1-"
                     "storytrigger\",code=\"500\"} 0\n"
                     "# HELP controller_runtime_webhook_requests_in_flight Current number of admission requests "
                     "being served.\n"
                     "# TYPE controller_runtime_webhook_requests_in_flight gauge\n"
                     "controller_runtime_webhook_requests_in_flight{webhook=\"/validate-runs-bubustack-io-v1alpha1-"
                     "storytrigger\",code=\"x\"} 1.25\n"
                     "# HELP controller_runtime_webhook_panics_total Total number of webhook panics\n"
                     "# TYPE controller_runtime_webhook_panics_total counter\n"
                     "controller_runtime_webhook_panics_total 0\n");
    free(out);
    sg_metrics_free(r);
}

Test(metrics_render, histogram_is_cumulative_with_inf_sum_and_count)
{
    sg_metrics_t *r = sg_metrics_new();
    static const char *const lbl[] = {"controller", NULL};
    static const double b[] = {0.005, 0.5, 1, 10};
    sg_metric_t *h =
        sg_metrics_register(r, SG_METRIC_HISTOGRAM, "reconcile_time_seconds", "Reconcile time.", lbl, b, 4);
    sg_series_t *s = sg_metric_with4(h, "runs-storytrigger", NULL, NULL, NULL);
    sg_series_observe(s, 0.001);
    sg_series_observe(s, 0.25);
    sg_series_observe(s, 0.75);
    sg_series_observe(s, 1);
    sg_series_observe(s, 100);
    char *out = render(r);
    cr_assert_str_eq(out, "# HELP reconcile_time_seconds Reconcile time.\n"
                          "# TYPE reconcile_time_seconds histogram\n"
                          "reconcile_time_seconds_bucket{controller=\"runs-storytrigger\",le=\"0.005\"} 1\n"
                          "reconcile_time_seconds_bucket{controller=\"runs-storytrigger\",le=\"0.5\"} 2\n"
                          "reconcile_time_seconds_bucket{controller=\"runs-storytrigger\",le=\"1\"} 4\n"
                          "reconcile_time_seconds_bucket{controller=\"runs-storytrigger\",le=\"10\"} 4\n"
                          "reconcile_time_seconds_bucket{controller=\"runs-storytrigger\",le=\"+Inf\"} 5\n"
                          "reconcile_time_seconds_sum{controller=\"runs-storytrigger\"} 102.001\n"
                          "reconcile_time_seconds_count{controller=\"runs-storytrigger\"} 5\n");
    cr_assert_eq(sg_series_value(s), 5);
    free(out);
    sg_metrics_free(r);
}

Test(metrics_render, unlabelled_histogram_has_only_le_label)
{
    sg_metrics_t *r = sg_metrics_new();
    static const double b[] = {1};
    sg_metric_t *h = sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h_seconds", "H.", NULL, b, 1);
    cr_assert_not_null(h);
    char *out = render(r);
    cr_assert_str_eq(out, "# HELP h_seconds H.\n"
                          "# TYPE h_seconds histogram\n"
                          "h_seconds_bucket{le=\"1\"} 0\n"
                          "h_seconds_bucket{le=\"+Inf\"} 0\n"
                          "h_seconds_sum 0\n"
                          "h_seconds_count 0\n");
    free(out);
    sg_metrics_free(r);
}

Test(metrics_render, webhook_buckets_format_like_client_golang)
{
    sg_metrics_t *r = sg_metrics_new();
    sg_metric_t *h =
        sg_metrics_register(r, SG_METRIC_HISTOGRAM, "lat_seconds", "L.", NULL, sg_metrics_buckets_webhook, 12);
    cr_assert_not_null(h);
    char *out = render(r);
    const char *want[] = {"1e-08", "1e-07", "1e-06", "1e-05", "0.0001", "0.001", "0.01",
                          "0.1",   "1",     "10",    "100",   "1000",   "+Inf"};
    const char *p = out;
    for (size_t i = 0; i < 13; i++) {
        char line[64];
        snprintf(line, sizeof(line), "lat_seconds_bucket{le=\"%s\"} 0\n", want[i]);
        const char *at = strstr(p, line);
        cr_assert_not_null(at, "missing %s in order", line);
        p = at + strlen(line);
    }
    free(out);
    sg_metrics_free(r);
}

Test(metrics_render, reconcile_buckets_match_controller_runtime)
{
    const char *want = "0.005 0.01 0.025 0.05 0.1 0.15 0.2 0.25 0.3 0.35 0.4 0.45 0.5 0.6 0.7 0.8 0.9 1 1.25 1.5 "
                       "1.75 2 2.5 3 3.5 4 4.5 5 6 7 8 9 10 15 20 25 30 40 50 60 +Inf ";
    sg_metrics_t *r = sg_metrics_new();
    sg_metrics_register(r, SG_METRIC_HISTOGRAM, "rt_seconds", "R.", NULL, sg_metrics_buckets_reconcile, 40);
    char *out = render(r);
    sg_buf_t les = SG_BUF_INIT;
    for (const char *p = out; (p = strstr(p, "le=\"")) != NULL; p += 4) {
        const char *q = strchr(p + 4, '"');
        sg_buf_append(&les, p + 4, (size_t)(q - p - 4));
        sg_buf_putc(&les, ' ');
    }
    cr_assert_str_eq(les.base, want);
    sg_buf_dispose(&les);
    free(out);
    sg_metrics_free(r);
}

Test(metrics_render, label_values_and_help_are_escaped)
{
    sg_metrics_t *r = sg_metrics_new();
    static const char *const lbl[] = {"a", "b", NULL};
    sg_metric_t *c =
        sg_metrics_register(r, SG_METRIC_COUNTER, "esc_total", "Back\\slash and\nnewline \"quoted\".", lbl, NULL, 0);
    sg_series_inc(sg_metric_with4(c, "q\"uo\\te\nnl", "", NULL, NULL));
    sg_series_inc(sg_metric_with4(c,
                                  "bad\xff"
                                  "utf8",
                                  "\xc3\xa9t\xc3\xa9", NULL, NULL));
    char *out = render(r);
    cr_assert_str_eq(out, "# HELP esc_total Back\\\\slash and\\nnewline \"quoted\".\n"
                          "# TYPE esc_total counter\n"
                          "esc_total{a=\"q\\\"uo\\\\te\\nnl\",b=\"\"} 1\n"
                          "esc_total{a=\"bad\xef\xbf\xbdutf8\",b=\"\xc3\xa9t\xc3\xa9\"} 1\n");
    free(out);
    sg_metrics_free(r);
}

Test(metrics_render, labelled_family_without_series_is_omitted)
{
    sg_metrics_t *r = sg_metrics_new();
    static const char *const lbl[] = {"k", NULL};
    sg_metrics_register(r, SG_METRIC_COUNTER, "empty_total", "E.", lbl, NULL, 0);
    sg_metrics_register(r, SG_METRIC_GAUGE, "g", "G.", NULL, NULL, 0);
    char *out = render(r);
    cr_assert_str_eq(out, "# HELP g G.\n# TYPE g gauge\ng 0\n");
    free(out);
    sg_metrics_free(r);
}

Test(metrics_render, sample_values_format_like_go)
{
    size_t n;
    th_row_t *rows = th_table_raw("float_cases.txt", &n);
    int cases = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(rows[i].nfields, 2, "bad case line %d", rows[i].lineno);
        const char *line = rows[i].field[0], *text = rows[i].field[1];
        sg_metrics_t *r = sg_metrics_new();
        sg_series_t *s = sg_metric_with(sg_metrics_register(r, SG_METRIC_GAUGE, "v", "V.", NULL, NULL, 0), NULL);
        sg_series_set(s, strtod(line, NULL));
        char *out = render(r);
        char want[128];
        snprintf(want, sizeof(want), "# HELP v V.\n# TYPE v gauge\nv %s\n", text);
        cr_assert_str_eq(out, want, "value %s", line);
        free(out);
        sg_metrics_free(r);
        cases++;
    }
    th_table_free(rows, n);
    cr_assert_gt(cases, 25);
}

Test(metrics_render, label_values_are_bounded)
{
    sg_metrics_t *r = sg_metrics_new();
    static const char *const lbl[] = {"k", NULL};
    sg_metric_t *c = sg_metrics_register(r, SG_METRIC_COUNTER, "long_total", "L.", lbl, NULL, 0);
    char *big = malloc(5000);
    memset(big, 'x', 4999);
    big[4999] = '\0';
    sg_series_t *a = sg_metric_with4(c, big, NULL, NULL, NULL);
    big[3000] = 'y'; /* differs only past the cut: the same series */
    cr_assert_eq(sg_metric_with4(c, big, NULL, NULL, NULL), a);
    char *out = render(r);
    const char *v = strstr(out, "k=\"") + 3;
    cr_assert_eq(strchr(v, '"') - v, SG_METRICS_LABEL_MAX);
    free(out);
    free(big);
    sg_metrics_free(r);
}
