/* Checks a full rendered registry, process metrics included, with promtool's own linter. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <storygate/metrics.h>

static void populate(sg_metrics_t *r)
{
    static const char *const wh[] = {"webhook", "code", NULL};
    static const char *const w1[] = {"webhook", NULL};
    static const char *const ctl[] = {"controller", NULL};
    static const char *const res[] = {"controller", "result", NULL};
    const char *path = "/validate-runs-bubustack-io-v1alpha1-storytrigger";
    sg_metric_t *req = sg_metrics_register(r, SG_METRIC_COUNTER, "controller_runtime_webhook_requests_total",
                                           "Total number of admission requests by HTTP status code.", wh, NULL, 0);
    sg_series_add(sg_metric_with4(req, path, "200", NULL, NULL), 12);
    sg_metric_with4(req, path, "500", NULL, NULL);
    sg_series_set(
        sg_metric_with4(sg_metrics_register(r, SG_METRIC_GAUGE, "controller_runtime_webhook_requests_in_flight",
                                            "Current number of admission requests being served.", w1, NULL, 0),
                        path, NULL, NULL, NULL),
        2);
    sg_series_t *lat =
        sg_metric_with4(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "controller_runtime_webhook_latency_seconds",
                                            "Histogram of the latency of processing admission requests", w1,
                                            sg_metrics_buckets_webhook, 12),
                        path, NULL, NULL, NULL);
    sg_series_observe(lat, 0.0003);
    sg_series_observe(lat, 0.02);
    sg_metric_t *rt = sg_metrics_register(r, SG_METRIC_COUNTER, "controller_runtime_reconcile_total",
                                          "Total number of reconciliations per controller", res, NULL, 0);
    const char *results[] = {"success", "error", "requeue", "requeue_after"};
    for (int i = 0; i < 4; i++)
        sg_metric_with4(rt, "runs-storytrigger", results[i], NULL, NULL);
    sg_series_observe(
        sg_metric_with4(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "controller_runtime_reconcile_time_seconds",
                                            "Length of time per reconciliation per controller", ctl,
                                            sg_metrics_buckets_reconcile, 40),
                        "runs-storytrigger", NULL, NULL, NULL),
        0.42);
    static const char *const odd[] = {"v", NULL};
    sg_series_inc(sg_metric_with4(sg_metrics_register(r, SG_METRIC_COUNTER, "storygate_escape_test_total",
                                                      "Help with \\ and\nnewline.", odd, NULL, 0),
                                  "a\"b\\c\nd\xff", NULL, NULL, NULL));
    sg_metrics_register_process(r);
    sg_metrics_register_process(r); /* idempotent */
}

Test(metrics_promtool, rendered_registry_passes_promtool_check_metrics)
{
    if (access("/usr/bin/promtool", X_OK) != 0)
        cr_skip_test("promtool not installed");
    sg_metrics_t *r = sg_metrics_new();
    populate(r);
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(sg_metrics_render(r, &out), 0);
    cr_assert_not_null(strstr(out.base, "\nprocess_cpu_seconds_total "));
    cr_assert_not_null(strstr(out.base, "\nprocess_resident_memory_bytes "));
    cr_assert_not_null(strstr(out.base, "\nprocess_virtual_memory_bytes "));
    cr_assert_not_null(strstr(out.base, "\nprocess_open_fds "));
    cr_assert_not_null(strstr(out.base, "\nprocess_max_fds "));
    cr_assert_not_null(strstr(out.base, "\nprocess_start_time_seconds "));
    cr_assert_not_null(strstr(out.base, "\nstorygate_build_info{version=\"" SG_VERSION "\"} 1\n"));
    /* The same family appears once even after two register_process calls. */
    cr_assert_eq(strstr(strstr(out.base, "# TYPE process_open_fds") + 1, "# TYPE process_open_fds"), NULL);

    char dir[] = "/tmp/sg-metrics-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char file[64], report[64], cmd[256];
    snprintf(file, sizeof(file), "%s/metrics.prom", dir);
    snprintf(report, sizeof(report), "%s/report.txt", dir);
    FILE *fp = fopen(file, "w");
    cr_assert_not_null(fp);
    cr_assert_eq(fwrite(out.base, 1, out.len, fp), out.len);
    fclose(fp);
    snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics < %s > %s 2>&1", file, report);
    int status = system(cmd);
    char problems[4096] = "";
    fp = fopen(report, "r");
    cr_assert_not_null(fp);
    size_t n = fread(problems, 1, sizeof(problems) - 1, fp);
    problems[n] = '\0';
    fclose(fp);
    unlink(file);
    unlink(report);
    rmdir(dir);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "promtool failed: %s\n---\n%s", problems, out.base);
    cr_assert_str_eq(problems, "", "promtool problems: %s", problems);
    sg_buf_dispose(&out);
    sg_metrics_free(r);
}

Test(metrics_promtool, process_values_are_plausible)
{
    sg_metrics_t *r = sg_metrics_new();
    sg_metrics_register_process(r);
    sg_buf_t out = SG_BUF_INIT;
    sg_metrics_render(r, &out);
    const char *p = strstr(out.base, "\nprocess_resident_memory_bytes ");
    cr_assert_not_null(p);
    cr_assert_gt(strtod(p + strlen("\nprocess_resident_memory_bytes "), NULL), 4096);
    p = strstr(out.base, "\nprocess_open_fds ");
    cr_assert_geq(strtod(p + strlen("\nprocess_open_fds "), NULL), 3);
    p = strstr(out.base, "\nprocess_start_time_seconds ");
    cr_assert_gt(strtod(p + strlen("\nprocess_start_time_seconds "), NULL), 1.5e9);
    sg_buf_dispose(&out);
    sg_metrics_free(r);
}
