/* Built-in routes: the admission webhooks (with controller-runtime's webhook metrics), health probes and /metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storygate/log.h>

#include "internal.h"

#define CONTROLLER_RUNTIME_VALIDATE_PATH "/validate-runs-bubustack-io-v1alpha1-storytrigger"
#define CONTROLLER_RUNTIME_MUTATE_PATH "/mutate-runs-bubustack-io-v1alpha1-storytrigger"

static const char *code_label(int status, char *buf, size_t size)
{
    switch (status) {
    case 200:
        return "200";
    case 400:
        return "400";
    case 413:
        return "413";
    case 500:
        return "500";
    case 503:
        return "503";
    default:
        snprintf(buf, size, "%d", status);
        return buf;
    }
}

/* storygate_admission_requests_total series are cached per thread, keyed by label values copied to the heap (outcome
 * strings may live in the request arena); the cache is small and bounded, misses fall back to the registry lookup. */
static sg_series_t *outcome_series(sg_http_thread_t *thr, const sg_http__webhook_t *w, const char *op, int allowed,
                                   const char *reason)
{
    for (size_t i = 0; i < thr->noutcomes; i++) {
        sg_http__outcome_cache_t *c = &thr->outcomes[i];
        if (c->webhook == w && c->allowed == allowed && strcmp(c->operation, op) == 0 && strcmp(c->reason, reason) == 0)
            return c->series;
    }
    sg_series_t *series =
        sg_metric_with4(thr->server->admission_requests, w->label, op, allowed ? "true" : "false", reason);
    if (series == NULL || thr->noutcomes >= sizeof(thr->outcomes) / sizeof(thr->outcomes[0]))
        return series;
    sg_http__outcome_cache_t *c = &thr->outcomes[thr->noutcomes];
    c->operation = strdup(op);
    c->reason = strdup(reason);
    if (c->operation == NULL || c->reason == NULL) {
        free((char *)c->operation);
        free((char *)c->reason);
        return series;
    }
    c->webhook = w;
    c->allowed = allowed;
    c->series = series;
    thr->noutcomes++;
    return series;
}

static int on_webhook(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    sg_http__webhook_t *w = data;
    sg_http_server_t *s = thr->server;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sg_series_inc(w->in_flight);

    const char *content_type = "";
    ssize_t hi = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (hi != -1) {
        h2o_iovec_t v = req->headers.entries[hi].value;
        const char *ct = sg_arena_strndup(&thr->arena, v.base, v.len);
        if (ct != NULL)
            content_type = ct;
    }
    const char *body = req->entity.base != NULL ? req->entity.base : "";
    size_t len = req->entity.base != NULL ? req->entity.len : 0;

    sg_admission_outcome_t outcome;
    memset(&outcome, 0, sizeof(outcome));
    outcome.operation = "";
    outcome.reason = "";
    int status = 200, code = 200; /* HTTP status; the code label of controller_runtime_webhook_requests_total */
    size_t limit = s->config->http.max_body_bytes;
    if (len >= limit) {
        /* controller-runtime answers an oversized body inside an AdmissionReview with HTTP 200, not with 413. */
        char msg[96];
        snprintf(msg, sizeof(msg), "request entity is too large; limit is %zu bytes", limit);
        sg_admission_write_error(&thr->buf, 413, msg);
        outcome.reason = "too_large";
    } else if (s->admission == NULL) {
        sg_buf_puts(&thr->buf, "{\"error\":\"admission is not available\"}\n");
        status = code = 503;
        outcome.reason = "unavailable";
    } else {
        int rc = sg_admission_handle(s->admission, w->kind, content_type, body, len, &thr->arena, &thr->buf, &outcome);
        /* A decoded review is always HTTP 200 with the verdict inside; a body that is not an AdmissionReview at all
         * gets the 400 admission chose, so the apiserver logs the transport error instead of a fake verdict. */
        if (rc >= 0 && outcome.http_status != 0)
            status = code = outcome.http_status;
        if (rc < 0 || thr->buf.oom) {
            sg_buf_reset(&thr->buf);
            thr->buf.oom = 0;
            sg_admission_write_error(&thr->buf, 500, "internal error");
            status = code = 500;
            outcome.reason = "internal";
        }
        if (outcome.operation == NULL)
            outcome.operation = "";
        if (outcome.reason == NULL)
            outcome.reason = "";
    }
    sg_http_send(req, status, "application/json", thr->buf.base != NULL ? thr->buf.base : "", thr->buf.len);

    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    sg_series_observe(w->latency, secs);
    sg_series_dec(w->in_flight);
    if (code == 200)
        sg_series_inc(w->code_200);
    else if (code == 500)
        sg_series_inc(w->code_500);
    else {
        char buf[16];
        sg_series_inc(sg_metric_with4(s->webhook_requests, w->label, code_label(code, buf, sizeof(buf)), NULL, NULL));
    }
    sg_series_inc(outcome_series(thr, w, outcome.operation, outcome.allowed != 0, outcome.reason));

    if (sg_log_enabled(SG_LOG_DEBUG))
        sg_log_debug("admission", "webhook", SG_LOG_STR, w->label, "operation", SG_LOG_STR, outcome.operation,
                     "allowed", SG_LOG_BOOL, outcome.allowed, "reason", SG_LOG_STR, outcome.reason, "uid", SG_LOG_STR,
                     outcome.uid, "name", SG_LOG_STR, outcome.name, "namespace", SG_LOG_STR, outcome.namespace_,
                     "status", SG_LOG_INT, status, "seconds", SG_LOG_DBL, secs, NULL);
    return 0;
}

static int on_live(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    static const char ok[] = "ok\n";
    sg_http_send(req, 200, "text/plain; charset=utf-8", ok, sizeof(ok) - 1);
    return 0;
}

static int on_ready(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    static const char ok[] = "ok\n", not_ready[] = "not ready\n";
    if (sg_http_server_ready(thr->server))
        sg_http_send(req, 200, "text/plain; charset=utf-8", ok, sizeof(ok) - 1);
    else
        sg_http_send(req, 503, "text/plain; charset=utf-8", not_ready, sizeof(not_ready) - 1);
    return 0;
}

static int on_metrics(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    sg_http_server_t *s = thr->server;
    sg_series_set(s->connections_gauge, (double)atomic_load(&s->connections));
    if (sg_metrics_render(s->metrics, &thr->buf) < 0 || thr->buf.oom) {
        static const char body[] = "cannot render metrics\n";
        sg_http_send(req, 500, "text/plain; charset=utf-8", body, sizeof(body) - 1);
        return 0;
    }
    sg_http_send(req, 200, "text/plain; version=0.0.4; charset=utf-8", thr->buf.base, thr->buf.len);
    return 0;
}

static int add_webhook(sg_http_server_t *s, size_t slot, const char *path, sg_admission_webhook_t kind, sg_error_t *err)
{
    static const char *const webhook_label[] = {"webhook", NULL};
    sg_http__webhook_t *w = &s->webhooks[slot];
    w->server = s;
    w->kind = kind;
    w->label = path;
    sg_metric_t *in_flight =
        sg_metrics_register(s->metrics, SG_METRIC_GAUGE, "controller_runtime_webhook_requests_in_flight",
                            "Current number of admission requests being served.", webhook_label, NULL, 0);
    sg_metric_t *latency = sg_metrics_register(
        s->metrics, SG_METRIC_HISTOGRAM, "controller_runtime_webhook_latency_seconds",
        "Histogram of the latency of processing admission requests", webhook_label, sg_metrics_buckets_webhook, 12);
    if (in_flight == NULL || latency == NULL || s->webhook_requests == NULL)
        return sg_error_set(err, SG_EINVALID, "cannot register webhook metrics");
    w->in_flight = sg_metric_with4(in_flight, path, NULL, NULL, NULL);
    w->latency = sg_metric_with4(latency, path, NULL, NULL, NULL);
    w->code_200 = sg_metric_with4(s->webhook_requests, path, "200", NULL, NULL);
    w->code_500 = sg_metric_with4(s->webhook_requests, path, "500", NULL, NULL);
    if (sg_http_route_add(s, NULL, path, SG_HTTP_EXACT, on_webhook, w) < 0)
        return sg_error_set(err, SG_ENOMEM, "cannot add route %s", path);
    return SG_OK;
}

int sg_http__builtin_routes(sg_http_server_t *s, sg_error_t *err)
{
    static const char *const code_labels[] = {"webhook", "code", NULL};
    static const char *const outcome_labels[] = {"webhook", "operation", "allowed", "reason", NULL};
    const sg_config_t *c = s->config;
    int rc;
    s->webhook_requests =
        sg_metrics_register(s->metrics, SG_METRIC_COUNTER, "controller_runtime_webhook_requests_total",
                            "Total number of admission requests by HTTP status code.", code_labels, NULL, 0);
    s->admission_requests =
        sg_metrics_register(s->metrics, SG_METRIC_COUNTER, "storygate_admission_requests_total",
                            "Admission reviews answered, by operation, verdict and reason.", outcome_labels, NULL, 0);
    sg_metric_t *reads = sg_metrics_register(s->metrics, SG_METRIC_COUNTER, "certwatcher_read_certificate_total",
                                             "Total number of certificate reads", NULL, NULL, 0);
    sg_metric_t *read_errors =
        sg_metrics_register(s->metrics, SG_METRIC_COUNTER, "certwatcher_read_certificate_errors_total",
                            "Total number of certificate read errors", NULL, NULL, 0);
    /* C handlers cannot panic; the family exists at 0 for dashboards written against controller-runtime. */
    sg_metric_t *panics = sg_metrics_register(s->metrics, SG_METRIC_COUNTER, "controller_runtime_webhook_panics_total",
                                              "Total number of webhook panics", NULL, NULL, 0);
    sg_metric_t *conns = sg_metrics_register(s->metrics, SG_METRIC_GAUGE, "storygate_http_connections",
                                             "Client connections currently open.", NULL, NULL, 0);
    static const char *const reason_label[] = {"reason", NULL};
    sg_metric_t *rejected =
        sg_metrics_register(s->metrics, SG_METRIC_COUNTER, "storygate_http_rejected_connections_total",
                            "Connections closed by a guard: over http.maxConnections, or HTTP/2 stream-reset flooding.",
                            reason_label, NULL, 0);
    sg_metric_t *timeouts = sg_metrics_register(
        s->metrics, SG_METRIC_COUNTER, "storygate_http_request_timeouts_total",
        "HTTP/2 streams reset because their request did not arrive within http.requestTimeoutSeconds.", NULL, NULL, 0);
    sg_metric_t *expiry =
        sg_metrics_register(s->metrics, SG_METRIC_GAUGE, "storygate_tls_certificate_expiry_timestamp_seconds",
                            "notAfter of the serving certificate in use, in seconds since the epoch.", NULL, NULL, 0);
    if (s->admission_requests == NULL || reads == NULL || read_errors == NULL || conns == NULL || panics == NULL ||
        rejected == NULL || timeouts == NULL || expiry == NULL || sg_metric_with(panics, NULL) == NULL)
        return sg_error_set(err, SG_EINVALID, "cannot register http metrics");
    s->cert_reads = sg_metric_with(reads, NULL);
    s->cert_read_errors = sg_metric_with(read_errors, NULL);
    s->cert_expiry = sg_metric_with(expiry, NULL);
    s->connections_gauge = sg_metric_with(conns, NULL);
    s->rejected_limit = sg_metric_with4(rejected, "max_connections", NULL, NULL, NULL);
    s->rejected_reset_flood = sg_metric_with4(rejected, "http2_reset_flood", NULL, NULL, NULL);
    s->request_timeouts = sg_metric_with(timeouts, NULL);

    size_t slot = 0;
    if ((rc = add_webhook(s, slot++, c->admission.webhook_path_validate, SG_ADMISSION_VALIDATE, err)) < 0 ||
        (rc = add_webhook(s, slot++, c->admission.webhook_path_mutate, SG_ADMISSION_MUTATE, err)) < 0)
        return rc;
    if (strcmp(c->admission.webhook_path_validate, CONTROLLER_RUNTIME_VALIDATE_PATH) != 0 &&
        strcmp(c->admission.webhook_path_mutate, CONTROLLER_RUNTIME_VALIDATE_PATH) != 0 &&
        (rc = add_webhook(s, slot++, CONTROLLER_RUNTIME_VALIDATE_PATH, SG_ADMISSION_VALIDATE, err)) < 0)
        return rc;
    if (strcmp(c->admission.webhook_path_validate, CONTROLLER_RUNTIME_MUTATE_PATH) != 0 &&
        strcmp(c->admission.webhook_path_mutate, CONTROLLER_RUNTIME_MUTATE_PATH) != 0 &&
        (rc = add_webhook(s, slot++, CONTROLLER_RUNTIME_MUTATE_PATH, SG_ADMISSION_MUTATE, err)) < 0)
        return rc;

    const int both = SG_HTTP_EXACT | SG_HTTP_ON_METRICS;
    if (sg_http_route_add(s, NULL, "/healthz", both, on_live, NULL) < 0 ||
        sg_http_route_add(s, NULL, "/livez", both, on_live, NULL) < 0 ||
        sg_http_route_add(s, NULL, "/readyz", both, on_ready, NULL) < 0 ||
        sg_http_route_add(s, NULL, "/metrics", both, on_metrics, NULL) < 0)
        return sg_error_set(err, SG_ENOMEM, "cannot add routes");
    return SG_OK;
}
