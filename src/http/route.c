/* The route table: one h2o handler on "/" matches method and path against an ordered list, so later modules (the
 * embedded API under /apis/, discovery) plug in with sg_http_route_add instead of touching h2o configuration. */
#include <string.h>

#include "internal.h"

int sg_http_route_add(sg_http_server_t *s, const char *method, const char *path, int flags, sg_http_handler_cb cb,
                      void *data)
{
    if (s->nroutes >= SG_HTTP__MAX_ROUTES)
        return SG_ELIMIT;
    sg_http__route_t *r = &s->routes[s->nroutes];
    memset(r, 0, sizeof(*r));
    r->path = strdup(path);
    if (r->path == NULL)
        return SG_ENOMEM;
    r->path_len = strlen(path);
    r->method = method;
    r->method_len = method != NULL ? strlen(method) : 0;
    r->flags = flags;
    r->cb = cb;
    r->data = data;
    s->nroutes++;
    return SG_OK;
}

/* Counts requests until their pool is released, i.e. until the response is written or the peer is gone. */
static void on_request_done(void *p)
{
    sg_http_server_t *s = *(sg_http_server_t **)p;
    atomic_fetch_sub_explicit(&s->in_flight, 1, memory_order_relaxed);
}

int sg_http__dispatch(h2o_handler_t *self, h2o_req_t *req)
{
    sg_http_thread_t *thr = (sg_http_thread_t *)req->conn->ctx;
    sg_http_server_t *s = thr->server;
    int on_metrics = req->conn->hosts == s->metrics_hosts;
    h2o_iovec_t path = req->path_normalized;
    int path_matched = 0;

    if (req->version >= 0x200 && sg_http__guard_h2_request(req)) {
        /* Over the stream-reset budget: answer without running a handler; the connection is closed shortly. */
        static const char body[] = "{\"error\":\"too many stream resets\"}\n";
        sg_http_send(req, 429, "application/json", body, sizeof(body) - 1);
        return 0;
    }

    for (size_t i = 0; i < s->nroutes; i++) {
        const sg_http__route_t *r = &s->routes[i];
        if (on_metrics ? !(r->flags & (SG_HTTP_ON_METRICS | SG_HTTP_ONLY_METRICS)) : (r->flags & SG_HTTP_ONLY_METRICS))
            continue;
        if (r->flags & SG_HTTP_PREFIX) {
            if (path.len < r->path_len || memcmp(path.base, r->path, r->path_len) != 0)
                continue;
        } else if (!h2o_memis(path.base, path.len, r->path, r->path_len)) {
            continue;
        }
        path_matched = 1;
        if (r->method != NULL && !h2o_memis(req->method.base, req->method.len, r->method, r->method_len))
            continue;
        sg_http_server_t **track = h2o_mem_alloc_shared(&req->pool, sizeof(*track), on_request_done);
        *track = s;
        atomic_fetch_add_explicit(&s->in_flight, 1, memory_order_relaxed);
        sg_arena_reset(&thr->arena);
        sg_buf_reset(&thr->buf);
        return r->cb(req, thr, r->data);
    }
    if (path_matched) {
        static const char body[] = "{\"error\":\"method not allowed\"}\n";
        sg_http_send(req, 405, "application/json", body, sizeof(body) - 1);
    } else {
        static const char body[] = "{\"error\":\"not found\"}\n";
        sg_http_send(req, 404, "application/json", body, sizeof(body) - 1);
    }
    return 0;
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

void sg_http_send(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len)
{
    static h2o_generator_t generator = {NULL, NULL};
    req->res.status = status;
    req->res.reason = reason_phrase(status);
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    h2o_start_response(req, &generator);
    if (h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")) || len == 0) {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    h2o_iovec_t buf = h2o_strdup(&req->pool, body, len);
    h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

sg_arena_t *sg_http_thread_arena(sg_http_thread_t *thr)
{
    return &thr->arena;
}

sg_buf_t *sg_http_thread_buf(sg_http_thread_t *thr)
{
    return &thr->buf;
}

sg_http_server_t *sg_http_thread_server(sg_http_thread_t *thr)
{
    return thr->server;
}
