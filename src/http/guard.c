/* Connection guards: the http.maxConnections limit, the HTTP/2 stream-reset budget (CVE-2023-44487, "rapid reset")
 * and the HTTP/2 request deadline, none of which h2o 2.2.5 enforces by itself.
 *
 * DESIGN. Every accepted socket carries a small sg_http__conn_t (its on_close callback frees it and decrements the
 * connection count). h2o 2.2.5 processes RST_STREAM without any accounting, so a client can open and cancel streams
 * endlessly: a cancelled stream no longer counts against SETTINGS_MAX_CONCURRENT_STREAMS, and the responses it leaves
 * behind pile up in the connection's write buffer. To see those frames we put a tap in front of h2o's HTTP/2 read
 * callback: it walks the frame headers of the decrypted input (complete frames only; h2o consumes whole frames, so the
 * buffer always starts on a frame boundary) and counts RST_STREAM frames per one-second window. Over
 * http.http2MaxResetsPerSecond the connection is marked: its requests are refused without running a handler, and it
 * is closed with GOAWAY(ENHANCE_YOUR_CALM) on its next read or the next sweep. The tap is installed at the first
 * request of a connection and by a once-a-second sweep per loop thread; the sweep also resets HTTP/2 streams whose
 * request (headers and body) has been arriving for longer than http.requestTimeoutSeconds, because h2o's idle timer is
 * restarted by any byte (a PING or one byte of body) and so never cuts a slow sender; for the same reason it closes
 * connections that have had no stream open and no request for http.idleTimeoutSeconds however much they PING.
 * HTTP/1.1 needs no sweep: h2o's request timer there runs from the start of a request until its body is complete. */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <storygate/log.h>

#include "internal.h"

#include <h2o/http2.h>
#include <h2o/http2_internal.h>

#define SWEEP_MS 1000
#define LOG_EVERY_MS 10000
#define SWEEP_BATCH 64

static void on_socket_close(void *data)
{
    sg_http__conn_t *c = data;
    atomic_fetch_sub_explicit(&c->thread->server->connections, 1, memory_order_relaxed);
    free(c);
}

/* The guard state of a socket we accepted, or NULL. */
static sg_http__conn_t *guard_of(h2o_socket_t *sock)
{
    return sock != NULL && sock->on_close.cb == on_socket_close ? sock->on_close.data : NULL;
}

/* One warning per kind per LOG_EVERY_MS per thread, so a flood cannot flood the log too. */
static int may_log(sg_http_thread_t *thr, uint64_t *last)
{
    uint64_t now = h2o_now(thr->loop);
    if (*last != 0 && now - *last < LOG_EVERY_MS)
        return 0;
    *last = now;
    return 1;
}

int sg_http__guard_accept(sg_http_thread_t *thr, h2o_socket_t *sock, int limited)
{
    sg_http_server_t *s = thr->server;
    long open = atomic_fetch_add_explicit(&s->connections, 1, memory_order_relaxed);
    sg_http__conn_t *c = NULL;
    if (limited && open >= (long)s->config->http.max_connections) {
        sg_series_inc(s->rejected_limit);
        if (may_log(thr, &thr->last_reject_log))
            sg_log_warn("connection limit reached; closing new connections", "maxConnections", SG_LOG_INT,
                        (int)s->config->http.max_connections, NULL);
    } else {
        c = calloc(1, sizeof(*c));
    }
    if (c == NULL) {
        atomic_fetch_sub_explicit(&s->connections, 1, memory_order_relaxed);
        h2o_socket_close(sock);
        return 0;
    }
    c->thread = thr;
    c->last_request = h2o_now(thr->loop);
    sock->on_close.cb = on_socket_close;
    sock->on_close.data = c;
    return 1;
}

uint32_t sg_http__count_resets(const uint8_t *p, size_t len)
{
    uint32_t resets = 0;
    size_t off = 0;
    while (len - off >= H2O_HTTP2_FRAME_HEADER_SIZE) {
        size_t flen = ((size_t)p[off] << 16) | ((size_t)p[off + 1] << 8) | p[off + 2];
        if (flen > len - off - H2O_HTTP2_FRAME_HEADER_SIZE)
            break;
        if (p[off + 3] == H2O_HTTP2_FRAME_TYPE_RST_STREAM)
            resets++;
        off += H2O_HTTP2_FRAME_HEADER_SIZE + flen;
    }
    return resets;
}

/* Adds the RST_STREAM frames now in the socket's input to the current window; marks the connection when over. */
static void charge(sg_http__conn_t *c, h2o_socket_t *sock)
{
    sg_http_thread_t *thr = c->thread;
    if (c->flooded || sock->input == NULL || sock->input->size == 0)
        return;
    uint32_t n = sg_http__count_resets((const uint8_t *)sock->input->bytes, sock->input->size);
    if (n == 0)
        return;
    uint64_t now = h2o_now(thr->loop);
    if (now - c->window_start >= 1000) {
        c->window_start = now;
        c->resets = 0;
    }
    c->resets += n;
    if (c->resets <= thr->server->config->http.http2_max_resets_per_second)
        return;
    c->flooded = 1;
    sg_series_inc(thr->server->rejected_reset_flood);
    if (may_log(thr, &thr->last_flood_log))
        sg_log_warn("closing an HTTP/2 connection that resets too many streams", "resetsPerSecond", SG_LOG_INT,
                    (int)c->resets, "limit", SG_LOG_INT, (int)thr->server->config->http.http2_max_resets_per_second,
                    NULL);
}

/* Queues GOAWAY and closes the connection through h2o's read-error path, which flushes pending frames first. Only for
 * tapped connections (c->orig_read set). */
static void close_h2(h2o_socket_t *sock, int errnum, const char *why)
{
    sg_http__conn_t *c = sock->on_close.data;
    h2o_http2_conn_t *conn = sock->data;
    if (conn->state < H2O_HTTP2_CONN_STATE_HALF_CLOSED) {
        h2o_http2_encode_goaway_frame(&conn->_write.buf, conn->pull_stream_ids.max_open, errnum,
                                      h2o_iovec_init(why, strlen(why)));
        h2o_http2_conn_request_write(conn);
        conn->state = H2O_HTTP2_CONN_STATE_HALF_CLOSED; /* h2o opens no more streams */
    }
    c->orig_read(sock, why);
}

static void on_h2_read(h2o_socket_t *sock, const char *err)
{
    sg_http__conn_t *c = sock->on_close.data;
    if (err == NULL)
        charge(c, sock);
    if (err == NULL && c->flooded)
        close_h2(sock, H2O_HTTP2_ERROR_ENHANCE_YOUR_CALM, "too many stream resets");
    else
        c->orig_read(sock, err);
}

/* Puts the tap in front of h2o's read callback (again, if h2o restarted reading with its own). */
static void install_tap(sg_http__conn_t *c, h2o_socket_t *sock)
{
    if (sock->_cb.read == NULL || sock->_cb.read == on_h2_read)
        return;
    c->orig_read = sock->_cb.read;
    sock->_cb.read = on_h2_read;
}

int sg_http__guard_h2_request(h2o_req_t *req)
{
    h2o_http2_conn_t *conn = (h2o_http2_conn_t *)req->conn;
    sg_http__conn_t *c = guard_of(conn->sock);
    if (c == NULL)
        return 0;
    if (conn->sock->_cb.read != on_h2_read) {
        install_tap(c, conn->sock);
        /* The input still holds the frame being handled and everything after it that h2o is about to process. */
        charge(c, conn->sock);
    }
    c->last_request = h2o_now(c->thread->loop);
    return c->flooded;
}

/* The stream table is read through a layout copy (khash.h beside this file); if it ever stops matching the library,
 * the deadline check is skipped instead of reading garbage. */
static int streams_look_sane(sg_http_thread_t *thr, h2o_http2_conn_t *conn)
{
    const khash_t(h2o_http2_stream_t) *h = conn->streams;
    int ok = h != NULL && h->size <= h->n_buckets && h->n_buckets <= (1u << 20) &&
             (h->n_buckets & (h->n_buckets - 1)) == 0 && (h->n_buckets == 0 || (h->flags != NULL && h->vals != NULL));
    for (khint_t i = 0; ok && i < h->n_buckets; i++)
        if (kh_exist(h, i))
            ok = h->vals[i] != NULL && h->vals[i]->stream_id == h->keys[i];
    if (!ok && may_log(thr, &thr->last_timeout_log))
        sg_log_error("unexpected h2o stream table layout; HTTP/2 request deadlines are not enforced", NULL);
    return ok;
}

static int64_t elapsed_ms(const struct timeval *from, const struct timeval *to)
{
    return ((int64_t)to->tv_sec - from->tv_sec) * 1000 + ((int64_t)to->tv_usec - from->tv_usec) / 1000;
}

typedef struct st_expired_t {
    h2o_http2_conn_t *conn;
    uint32_t stream_id;
} expired_t;

static void on_sweep(h2o_timeout_entry_t *entry)
{
    sg_http_thread_t *thr = H2O_STRUCT_FROM_MEMBER(sg_http_thread_t, sweep_entry, entry);
    sg_http_server_t *s = thr->server;
    struct timeval now = *h2o_get_timestamp(&thr->ctx, NULL, NULL);
    unsigned limit = s->config->http.request_timeout_seconds;
    int64_t limit_ms = (int64_t)limit * 1000;
    expired_t expired[SWEEP_BATCH];
    h2o_socket_t *flooded[SWEEP_BATCH], *idle[SWEEP_BATCH];
    size_t nexpired = 0, nflooded = 0, nidle = 0;
    uint64_t now_ms = h2o_now(thr->loop), idle_ms = (uint64_t)s->config->http.idle_timeout_seconds * 1000;

    for (h2o_linklist_t *node = thr->ctx.http2._conns.next; node != &thr->ctx.http2._conns; node = node->next) {
        h2o_http2_conn_t *conn = H2O_STRUCT_FROM_MEMBER(h2o_http2_conn_t, _conns, node);
        sg_http__conn_t *c = guard_of(conn->sock);
        if (c == NULL || conn->state >= H2O_HTTP2_CONN_STATE_IS_CLOSING)
            continue;
        install_tap(c, conn->sock);
        if (c->flooded) {
            if (nflooded < SWEEP_BATCH && conn->sock->_cb.read == on_h2_read)
                flooded[nflooded++] = conn->sock;
            continue;
        }
        /* h2o restarts its idle timer on every frame, PINGs included; without a request for idleTimeoutSeconds and
         * with no stream open, the connection is idle whatever the client sends. */
        if (conn->num_streams.pull.open != 0) {
            c->last_request = now_ms; /* a long response (a watch) is activity too */
        } else if (now_ms - c->last_request >= idle_ms) {
            if (nidle < SWEEP_BATCH && conn->sock->_cb.read == on_h2_read)
                idle[nidle++] = conn->sock;
            continue;
        }
        /* Streams still receiving: open ones minus those already answering. */
        if (conn->num_streams.pull.open <= conn->num_streams.pull.half_closed || !streams_look_sane(thr, conn))
            continue;
        for (khint_t i = 0; i < kh_end(conn->streams) && nexpired < SWEEP_BATCH; i++) {
            if (!kh_exist(conn->streams, i))
                continue;
            h2o_http2_stream_t *stream = kh_val(conn->streams, i);
            if ((stream->state == H2O_HTTP2_STREAM_STATE_RECV_HEADERS ||
                 stream->state == H2O_HTTP2_STREAM_STATE_RECV_BODY) &&
                elapsed_ms(&stream->req.timestamps.request_begin_at, &now) >= limit_ms) {
                expired[nexpired].conn = conn;
                expired[nexpired].stream_id = stream->stream_id;
                nexpired++;
            }
        }
    }
    /* Resetting a stream may start queued requests, so streams are looked up again rather than kept as pointers. */
    for (size_t i = 0; i < nexpired; i++) {
        h2o_http2_conn_t *conn = expired[i].conn;
        h2o_http2_stream_t *stream = h2o_http2_conn_get_stream(conn, expired[i].stream_id);
        if (stream == NULL || conn->state >= H2O_HTTP2_CONN_STATE_IS_CLOSING ||
            (stream->state != H2O_HTTP2_STREAM_STATE_RECV_HEADERS && stream->state != H2O_HTTP2_STREAM_STATE_RECV_BODY))
            continue;
        h2o_http2_encode_rst_stream_frame(&conn->_write.buf, stream->stream_id, -H2O_HTTP2_ERROR_CANCEL);
        h2o_http2_conn_request_write(conn);
        h2o_http2_stream_reset(conn, stream);
        sg_series_inc(s->request_timeouts);
        if (may_log(thr, &thr->last_timeout_log))
            sg_log_warn("reset an HTTP/2 request that did not arrive in time", "requestTimeoutSeconds", SG_LOG_INT,
                        (int)limit, NULL);
    }
    for (size_t i = 0; i < nflooded; i++)
        close_h2(flooded[i], H2O_HTTP2_ERROR_ENHANCE_YOUR_CALM, "too many stream resets");
    for (size_t i = 0; i < nidle; i++)
        close_h2(idle[i], H2O_HTTP2_ERROR_NONE, "idle timeout");
    h2o_timeout_link(thr->loop, &thr->sweep_timeout, &thr->sweep_entry);
}

void sg_http__guard_start(sg_http_thread_t *thr)
{
    h2o_timeout_init(thr->loop, &thr->sweep_timeout, SWEEP_MS);
    thr->sweep_entry.cb = on_sweep;
    h2o_timeout_link(thr->loop, &thr->sweep_timeout, &thr->sweep_entry);
}

void sg_http__guard_stop(sg_http_thread_t *thr)
{
    if (h2o_timeout_is_linked(&thr->sweep_entry))
        h2o_timeout_unlink(&thr->sweep_entry);
}
