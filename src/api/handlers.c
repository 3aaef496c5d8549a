/* The REST handlers: authentication, path and query parsing and discovery answered on the event loop; everything
 * that reads or writes the store packed into a job for the worker pool (see rest.c) and answered when it returns. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "runtime.h"

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "Status";
    }
}

/* Request counts by method and status; the family lives in the process-wide registry (atomic pointer, set once). */
static _Atomic(sg_metric_t *) requests_metric;
static _Atomic(sg_series_t *) watches_gauge;

void sg_api__metrics_init(sg_metrics_t *m)
{
    static const char *const labels[] = {"method", "code", NULL};
    atomic_store(&requests_metric,
                 sg_metrics_register(m, SG_METRIC_COUNTER, "storygate_api_requests_total",
                                     "Embedded API requests by method and HTTP status code.", labels, NULL, 0));
    sg_metric_t *g = sg_metrics_register(m, SG_METRIC_GAUGE, "storygate_api_watches",
                                         "Open watch streams of the embedded API.", NULL, NULL, 0);
    atomic_store(&watches_gauge, sg_metric_with(g, NULL));
}

void sg_api__metrics_watch(int delta)
{
    sg_series_add(atomic_load(&watches_gauge), (double)delta);
}

void sg_api__count(h2o_req_t *req, int status)
{
    sg_metric_t *m = atomic_load(&requests_metric);
    if (m == NULL)
        return;
    static const char *const methods[] = {"GET", "HEAD", "POST", "DELETE"};
    const char *method = "other";
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (h2o_memis(req->method.base, req->method.len, methods[i], strlen(methods[i])))
            method = methods[i];
    char code[16];
    snprintf(code, sizeof(code), "%d", status);
    sg_series_inc(sg_metric_with4(m, method, code, NULL, NULL));
}

void sg_api__send(h2o_req_t *req, int status, const char *body, size_t len, int retry_after)
{
    sg_api__count(req, status);
    static h2o_generator_t generator = {NULL, NULL};
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache, private"));
    if (retry_after > 0) {
        char *v = h2o_mem_alloc_pool(&req->pool, 16);
        int n = snprintf(v, 16, "%d", retry_after);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, v, (size_t)n);
    }
    h2o_start_response(req, &generator);
    if (h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")) || len == 0) {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    h2o_iovec_t buf = h2o_strdup(&req->pool, body, len);
    h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

void sg_api__send_status(h2o_req_t *req, int code, const char *reason, const char *message, const char *name,
                         const sg_api__resource_t *res)
{
    sg_buf_t b = SG_BUF_INIT;
    sg_api__status_write(&b, code, reason, message, name, res);
    sg_api__send(req, code, b.base != NULL ? b.base : "", b.len, code == 429 ? 1 : 0);
    sg_buf_dispose(&b);
}

static int method_of(h2o_req_t *req)
{
    h2o_iovec_t m = req->method;
    if (h2o_memis(m.base, m.len, H2O_STRLIT("GET")) || h2o_memis(m.base, m.len, H2O_STRLIT("HEAD")))
        return SG_API__GET;
    if (h2o_memis(m.base, m.len, H2O_STRLIT("POST")))
        return SG_API__POST;
    if (h2o_memis(m.base, m.len, H2O_STRLIT("DELETE")))
        return SG_API__DELETE;
    return SG_API__OTHER;
}

static h2o_iovec_t header(h2o_req_t *req, const h2o_token_t *token)
{
    ssize_t i = h2o_find_header(&req->headers, token, -1);
    return i < 0 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
}

static int answer_discovery(h2o_req_t *req, const sg_api__path_t *path, sg_buf_t *b)
{
    switch (path->type) {
    case SG_API__PATH_VERSION:
        sg_api__discovery_version(b);
        break;
    case SG_API__PATH_CORE:
        sg_api__discovery_core(b);
        break;
    case SG_API__PATH_CORE_V1:
        sg_api__discovery_core_v1(b);
        break;
    case SG_API__PATH_GROUPS:
        sg_api__discovery_groups(b);
        break;
    case SG_API__PATH_GROUP:
        sg_api__discovery_group(b, path->group);
        break;
    default:
        sg_api__discovery_resources(b, path->group);
        break;
    }
    sg_api__send(req, 200, b->base, b->len, 0);
    return 0;
}

static char *heap_dup(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static int on_api(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    sg_api_t *api = data;
    int method = method_of(req);
    sg_error_t err = SG_ERROR_INIT;

    if (api->ntokens != 0) {
        h2o_iovec_t auth = header(req, H2O_TOKEN_AUTHORIZATION);
        int rc =
            sg_api__tokens_check(api->tokens, api->tokens_ro, api->ntokens, auth.base, auth.len, method != SG_API__GET);
        if (rc == 401) {
            sg_api__send_status(req, 401, NULL, "Unauthorized", NULL, NULL);
            return 0;
        }
        if (rc == 403) {
            sg_api__send_status(req, 403, NULL, "forbidden: this token is read-only", NULL, NULL);
            return 0;
        }
    }

    sg_api__path_t path;
    int rc = sg_api__path_parse(&path, req->path_normalized.base, req->path_normalized.len, &err);
    if (rc == SG_ENOTFOUND) {
        sg_api__send_status(req, 404, NULL, "the server could not find the requested resource", NULL, NULL);
        return 0;
    }
    if (rc < 0) {
        sg_api__send_status(req, 400, NULL, err.message, NULL, NULL);
        return 0;
    }
    if (path.res == NULL) {
        if (method != SG_API__GET) {
            sg_api__send_status(req, 405, NULL, "the server does not allow this method on the requested resource", NULL,
                                NULL);
            return 0;
        }
        return answer_discovery(req, &path, sg_http_thread_buf(thr));
    }

    sg_api__query_t query;
    const char *q = "";
    size_t qlen = 0;
    if (req->query_at != SIZE_MAX) {
        q = req->path.base + req->query_at + 1;
        qlen = req->path.len - req->query_at - 1;
    }
    if (sg_api__query_parse(&query, q, qlen, sg_http_thread_arena(thr), &err) < 0) {
        sg_api__send_status(req, 400, NULL, err.message, NULL, NULL);
        return 0;
    }
    h2o_iovec_t accept = header(req, H2O_TOKEN_ACCEPT);
    int table = sg_api__accept_table(accept.base, accept.len);

    int allowed = 0;
    if (path.type == SG_API__PATH_COLLECTION)
        allowed = method == SG_API__GET ||
                  (method == SG_API__POST && path.res->writable && (path.ns[0] != '\0' || !path.res->namespaced));
    else
        allowed = method == SG_API__GET || (method == SG_API__DELETE && !path.status && path.res->writable);
    if (!allowed) {
        sg_api__send_status(
            req, 405, "MethodNotAllowed",
            method == SG_API__POST && path.ns[0] == '\0' && path.res->namespaced
                ? "the server does not allow this method on the requested resource: create needs a namespace"
                : "the server does not allow this method on the requested resource",
            NULL, path.res);
        return 0;
    }
    /* selectors are checked here so a typo fails fast with 400 */
    sg_store_selector_t *sel = NULL;
    if (sg_store_selector_parse(&sel, path.res->kind, query.label_selector, query.field_selector, &err) < 0) {
        sg_api__send_status(req, 400, NULL, err.message, NULL, path.res);
        return 0;
    }
    sg_store_selector_free(sel);

    sg_api__loop_t *loop = sg_api__loop_get(api, req->conn->ctx);
    if (loop == NULL) {
        sg_api__send_status(req, 500, NULL, "out of memory", NULL, NULL);
        return 0;
    }
    if (query.watch) {
        if (path.type != SG_API__PATH_COLLECTION) {
            sg_api__send_status(req, 400, NULL, "watch is supported on collections (use fieldSelector=metadata.name=X)",
                                NULL, path.res);
            return 0;
        }
        return sg_api__watch_start(api, loop, req, &path, &query, table);
    }

    if (method == SG_API__POST) {
        h2o_iovec_t ct = header(req, H2O_TOKEN_CONTENT_TYPE);
        if (ct.len < 16 || strncasecmp(ct.base, "application/json", 16) != 0) {
            sg_api__send_status(req, 415, NULL, "the body of the request must be application/json", NULL, path.res);
            return 0;
        }
        if (req->entity.base == NULL || req->entity.len == 0) {
            sg_api__send_status(req, 400, NULL, "the body of the request is empty", NULL, path.res);
            return 0;
        }
        if (req->entity.len >= api->max_body) {
            char msg[96];
            snprintf(msg, sizeof(msg), "request entity is too large; limit is %zu bytes", api->max_body);
            sg_api__send_status(req, 413, NULL, msg, NULL, path.res);
            return 0;
        }
    }
    sg_api__job_t *job = sg_api__job_new(api, loop, req);
    if (job == NULL) {
        sg_api__send_status(req, 500, NULL, "out of memory", NULL, NULL);
        return 0;
    }
    job->method = method;
    job->path = path;
    job->query = query;
    job->table = table;
    job->label_selector = heap_dup(query.label_selector);
    job->field_selector = heap_dup(query.field_selector);
    job->query.label_selector = job->query.field_selector = NULL; /* arena memory; the heap copies above are used */
    job->run = sg_api__job_run_rest;
    if (method == SG_API__POST) {
        if ((job->body = malloc(req->entity.len + 1)) == NULL) {
            sg_api__send_status(req, 500, NULL, "out of memory", NULL, NULL);
            return 0;
        }
        memcpy(job->body, req->entity.base, req->entity.len);
        job->body[req->entity.len] = '\0';
        job->body_len = req->entity.len;
    }
    return sg_api__job_submit(job);
}

static int on_openapi(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    sg_api_t *api = data;
    h2o_iovec_t p = req->path_normalized;
    sg_buf_t *b = sg_http_thread_buf(thr);
    if (api->ntokens != 0) {
        h2o_iovec_t auth = header(req, H2O_TOKEN_AUTHORIZATION);
        if (sg_api__tokens_check(api->tokens, api->tokens_ro, api->ntokens, auth.base, auth.len, 0) != 0) {
            sg_api__send_status(req, 401, NULL, "Unauthorized", NULL, NULL);
            return 0;
        }
    }
    if (h2o_memis(p.base, p.len, H2O_STRLIT("/openapi/v3"))) {
        sg_api__openapi_root(b);
        sg_api__send(req, 200, b->base, b->len, 0);
        return 0;
    }
    static const char prefix[] = "/openapi/v3/apis/";
    if (p.len > sizeof(prefix) - 1 && memcmp(p.base, prefix, sizeof(prefix) - 1) == 0) {
        sg_api__path_t path;
        char tmp[300];
        int n =
            snprintf(tmp, sizeof(tmp), "/apis/%.*s", (int)(p.len - (sizeof(prefix) - 1)), p.base + sizeof(prefix) - 1);
        if (n > 0 && (size_t)n < sizeof(tmp) && sg_api__path_parse(&path, tmp, (size_t)n, NULL) == SG_OK &&
            path.type == SG_API__PATH_GROUP_VERSION) {
            sg_api__openapi_group(b, path.group);
            sg_api__send(req, 200, b->base, b->len, 0);
            return 0;
        }
    }
    /* the core group (kubectl reads it before `create -f` of a Namespace) */
    if (h2o_memis(p.base, p.len, H2O_STRLIT("/openapi/v3/api/v1"))) {
        sg_api__openapi_group(b, "");
        sg_api__send(req, 200, b->base, b->len, 0);
        return 0;
    }
    /* no OpenAPI v2: clients fall back to v3 or to no schema */
    sg_api__send_status(req, 404, NULL, "the server could not find the requested resource", NULL, NULL);
    return 0;
}

int sg_api__routes_add(sg_api_t *api, sg_error_t *err)
{
    int rc;
    if ((rc = sg_http_route_add(api->server, NULL, "/openapi", SG_HTTP_PREFIX, on_openapi, api)) < 0 ||
        (rc = sg_http_route_add(api->server, NULL, "/version", SG_HTTP_EXACT, on_api, api)) < 0 ||
        (rc = sg_http_route_add(api->server, NULL, "/api", SG_HTTP_PREFIX, on_api, api)) < 0)
        return sg_error_set(err, rc, "cannot register the API routes: %s", sg_error_name(rc));
    return SG_OK;
}
