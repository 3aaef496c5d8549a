/* The HTTPS server: h2o event loops (one per thread, SO_REUSEPORT), TLS with hot certificate reload, a route table,
 * the admission webhooks, health and metrics endpoints, and graceful shutdown on SIGTERM. */
#ifndef STORYGATE_HTTP_H
#define STORYGATE_HTTP_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0 /* libh2o-evloop: h2o's own event loop */
#endif
#include <h2o.h>
#include <stddef.h>
#include <stdint.h>

#include <storygate/admission.h>
#include <storygate/arena.h>
#include <storygate/buf.h>
#include <storygate/config.h>
#include <storygate/error.h>
#include <storygate/metrics.h>

typedef struct st_sg_http_server_t sg_http_server_t;
typedef struct st_sg_http_thread_t sg_http_thread_t;

/* Route flags. */
enum {
    SG_HTTP_EXACT = 0,        /* the path must equal the route's path */
    SG_HTTP_PREFIX = 1,       /* the path starts with the route's path (e.g. "/apis/") */
    SG_HTTP_ON_METRICS = 2,   /* also served on the plain-HTTP metrics listener */
    SG_HTTP_ONLY_METRICS = 4, /* served only on the metrics listener */
};

/** A route handler, called on an event-loop thread once the whole body is in `req->entity`. It must answer (e.g. with
 * sg_http_send) or start an asynchronous response before returning 0, and must never block. The thread's arena and
 * buffer (sg_http_thread_arena/_buf) are reset before each call and may be used until the handler returns; anything
 * needed later must live in `req->pool`. */
typedef int (*sg_http_handler_cb)(h2o_req_t *req, sg_http_thread_t *thr, void *data);

/** Creates a server for `cfg` (borrowed; must outlive the server) and loads the TLS certificate and key, failing with
 * SG_EIO / SG_EINVALID and a one-line message when they cannot be used. Registers the built-in routes (webhooks,
 * /healthz, /livez, /readyz, /metrics) and the webhook metrics in `metrics` (NULL = sg_metrics_default()). */
int sg_http_server_new(sg_http_server_t **out, const sg_config_t *cfg, sg_metrics_t *metrics, sg_error_t *err);
/** Frees a server that is not running. NULL is accepted. */
void sg_http_server_free(sg_http_server_t *s);
/** Sets the admission engine used by the webhook routes (borrowed; NULL = webhooks answer 503). Call before start. */
void sg_http_server_set_admission(sg_http_server_t *s, sg_admission_t *adm);
/** Adds a route (before sg_http_server_listen). `method` NULL matches every method. Routes are tried in the order they
 * were added; the built-in routes come first. `path` is copied. Returns 0, SG_ELIMIT when the table is full, or
 * SG_ENOMEM. Not thread-safe. */
int sg_http_route_add(sg_http_server_t *s, const char *method, const char *path, int flags, sg_http_handler_cb cb,
                      void *data);
/** Binds the listeners (the HTTPS one once per thread with SO_REUSEPORT, and metrics.listen if set). Fails with SG_EIO
 * and "listen ADDR: Address already in use" when the port is taken. */
int sg_http_server_listen(sg_http_server_t *s, sg_error_t *err);
/** The bound HTTPS port (useful with port 0), or 0 before listen. */
uint16_t sg_http_server_port(const sg_http_server_t *s);
/** The bound metrics port, or 0. */
uint16_t sg_http_server_metrics_port(const sg_http_server_t *s);
/** Starts the event-loop threads and runs on the calling thread until shutdown: SIGTERM/SIGINT make /readyz fail, keep
 * the listeners open for http.shutdownDelaySeconds, close them, drain in-flight requests (bounded by
 * http.shutdownTimeoutSeconds), run the shutdown hooks and return 0; SIGHUP reloads the
 * certificate. Certificate files are also polled every second and reloaded when they change. Blocks the signals in
 * the calling thread. */
int sg_http_server_run(sg_http_server_t *s, sg_error_t *err);
/** Asks a running server to shut down as SIGTERM does. Thread-safe and async-signal-safe. */
void sg_http_server_shutdown(sg_http_server_t *s);
/** Called on the control thread on SIGHUP, after the certificate reload (policies and other files reload here). It may
 * block briefly but must not touch loop-thread state. */
typedef void (*sg_http_reload_cb)(void *data);
/** Registers a SIGHUP hook (before sg_http_server_run). Returns 0 or SG_ELIMIT (8 hooks at most). Not thread-safe. */
int sg_http_server_on_reload(sg_http_server_t *s, sg_http_reload_cb cb, void *data);
/** Called once on the control thread during shutdown, after the listeners closed and in-flight requests drained (or
 * http.shutdownTimeoutSeconds passed), before the event loops stop; hooks run in registration order and may block
 * briefly (e.g. to stop a background thread). */
typedef void (*sg_http_shutdown_cb)(void *data);
/** Registers a shutdown hook (before sg_http_server_run). Returns 0 or SG_ELIMIT (8 hooks at most). Not thread-safe. */
int sg_http_server_on_shutdown(sg_http_server_t *s, sg_http_shutdown_cb cb, void *data);
/** Rebuilds the TLS context from the configured files now; existing connections keep theirs. On failure the old
 * context stays. Thread-safe (not on an event-loop thread: it reads files). */
int sg_http_server_reload_tls(sg_http_server_t *s, sg_error_t *err);
/** 1 while the listeners are up and no shutdown was requested. Thread-safe. */
int sg_http_server_ready(const sg_http_server_t *s);

/** The per-thread arena, reset before each handler call. Borrowed; only for the calling loop thread. */
sg_arena_t *sg_http_thread_arena(sg_http_thread_t *thr);
/** The per-thread response buffer, reset before each handler call. Borrowed; only for the calling loop thread. */
sg_buf_t *sg_http_thread_buf(sg_http_thread_t *thr);
/** The server a loop thread belongs to. Borrowed. */
sg_http_server_t *sg_http_thread_server(sg_http_thread_t *thr);

/** Sends a complete response: `status`, Content-Type `content_type`, Content-Length and `body` (copied into the
 * request pool). Call once per request from its loop thread. */
void sg_http_send(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len);

#endif
