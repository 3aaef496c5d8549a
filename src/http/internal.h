/* Private parts of the http module: server and per-thread state, the route table, TLS context holder. */
#ifndef STORYGATE_HTTP_INTERNAL_H
#define STORYGATE_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include <storygate/http.h>

#define SG_HTTP__MAX_ROUTES 64
#define SG_HTTP__MAX_THREADS 1024

typedef struct st_sg_http__route_t {
    const char *method; /* NULL = any */
    size_t method_len;
    char *path;
    size_t path_len;
    int flags;
    sg_http_handler_cb cb;
    void *data;
} sg_http__route_t;

/* The current TLS context, swapped whole on reload. Loop threads keep their own reference and refresh it when
 * `generation` moves, so a reload never touches a context a connection is using (SSL_new takes its own reference). */
typedef struct st_sg_http__tls_t {
    pthread_mutex_t lock;
    SSL_CTX *current;
    atomic_uint generation;
    struct {
        struct stat cert, key, ca;
        int ok;
    } seen; /* file identities of the last load attempt, for change polling */
    int warned;
} sg_http__tls_t;

/* Per-connection guard state, owned by the socket (freed by its on_close callback). `orig_read` is h2o's HTTP/2 read
 * callback once the frame tap is installed in front of it. */
typedef struct st_sg_http__conn_t {
    sg_http_thread_t *thread;
    h2o_socket_cb orig_read;
    uint64_t window_start; /* loop time (ms) at which the current one-second reset window began */
    uint64_t last_request; /* loop time (ms) of the accept, the last HTTP/2 request or the last sweep seeing a stream */
    uint32_t resets;       /* RST_STREAM frames received in that window */
    uint8_t flooded;       /* over the reset budget: requests are refused until the connection closes */
} sg_http__conn_t;

/* Webhook metrics of one route, looked up once. */
typedef struct st_sg_http__webhook_t {
    sg_http_server_t *server;
    sg_admission_webhook_t kind;
    const char *label; /* the route path */
    sg_series_t *in_flight;
    sg_series_t *latency;
    sg_series_t *code_200;
    sg_series_t *code_500;
} sg_http__webhook_t;

typedef struct st_sg_http__outcome_cache_t {
    const sg_http__webhook_t *webhook;
    const char *operation;
    int allowed;
    const char *reason;
    sg_series_t *series;
} sg_http__outcome_cache_t;

struct st_sg_http_thread_t {
    h2o_context_t ctx; /* first: handlers find their thread from req->conn->ctx */
    sg_http_server_t *server;
    size_t index;
    pthread_t tid;
    h2o_evloop_t *loop;
    h2o_accept_ctx_t accept_ctx;
    h2o_accept_ctx_t metrics_accept_ctx;
    h2o_socket_t *listener;
    h2o_socket_t *metrics_listener;
    int listen_fd;
    int metrics_fd;
    uint64_t last_reject_log, last_flood_log, last_timeout_log; /* loop times (ms) of rate-limited warnings */
    h2o_timeout_t sweep_timeout; /* once a second: HTTP/2 request deadlines, reset-budget taps */
    h2o_timeout_entry_t sweep_entry;
    h2o_multithread_receiver_t control;
    SSL_CTX *ssl_ctx;
    unsigned ssl_generation;
    atomic_int exit;
    sg_arena_t arena;
    sg_buf_t buf;
    sg_http__outcome_cache_t outcomes[32];
    size_t noutcomes;
};

struct st_sg_http_server_t {
    const sg_config_t *config;
    sg_metrics_t *metrics;
    sg_admission_t *admission;
    h2o_globalconf_t globalconf;
    h2o_hostconf_t *hostconf;
    h2o_hostconf_t *metrics_hosts[2]; /* a distinct list so requests can tell which listener they came in on */
    sg_http__route_t routes[SG_HTTP__MAX_ROUTES];
    size_t nroutes;
    sg_http__webhook_t webhooks[4];
    sg_http__tls_t tls;
    sg_http_thread_t *threads;
    size_t nthreads;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    uint16_t port;
    uint16_t metrics_port;
    atomic_int started_threads;
    atomic_int ready;
    atomic_int stop_requested;
    atomic_long connections;
    atomic_long in_flight;
    struct {
        sg_http_reload_cb cb;
        void *data;
    } reload_hooks[8], shutdown_hooks[8];
    size_t nreload_hooks, nshutdown_hooks;
    sg_metric_t *admission_requests; /* storygate_admission_requests_total */
    sg_metric_t *webhook_requests;   /* controller_runtime_webhook_requests_total */
    sg_series_t *cert_reads, *cert_read_errors, *cert_expiry, *connections_gauge;
    sg_series_t *rejected_limit, *rejected_reset_flood, *request_timeouts;
};

/** Builds an SSL_CTX from the configured files (TLS >= min version, AEAD ciphers, ALPN). */
int sg_http__tls_build(SSL_CTX **out, const sg_config_t *cfg, sg_error_t *err);
/** Loads the first context into `s->tls`; fails when the files are unusable. */
int sg_http__tls_init(sg_http_server_t *s, sg_error_t *err);
/** Reloads if the files changed since the last attempt (called every second off the loops). */
void sg_http__tls_poll(sg_http_server_t *s);
/** The hex serial number of the context's certificate ("" when none). */
void sg_http__tls_serial(SSL_CTX *ctx, char *serial, size_t size);
/** Drops the holder's reference. */
void sg_http__tls_dispose(sg_http_server_t *s);
/** The context new connections on `thr` should use (refreshing the thread's reference after a reload). */
SSL_CTX *sg_http__tls_for_thread(sg_http_server_t *s, sg_http_thread_t *thr);

/** Tracks a freshly accepted socket: counts it, applies http.maxConnections (closing it and returning 0 when over the
 * limit) and attaches its guard state. Returns 1 when the socket may be handed to h2o. */
int sg_http__guard_accept(sg_http_thread_t *thr, h2o_socket_t *sock, int limited);
/** Installs the HTTP/2 frame tap on the connection of `req` if it is not there yet; returns 1 when the connection is
 * over its reset budget and the request must be refused. Called for HTTP/2 requests only. */
int sg_http__guard_h2_request(h2o_req_t *req);
/** Starts the once-a-second sweep on a loop thread. */
void sg_http__guard_start(sg_http_thread_t *thr);
/** Stops the sweep (before the loop exits). */
void sg_http__guard_stop(sg_http_thread_t *thr);
/** Counts RST_STREAM frames among the complete HTTP/2 frames at the start of `p`. Exposed for tests. */
uint32_t sg_http__count_resets(const uint8_t *p, size_t len);

/** Registers the built-in routes and webhook metrics. */
int sg_http__builtin_routes(sg_http_server_t *s, sg_error_t *err);
/** The h2o handler that dispatches through the route table. */
int sg_http__dispatch(h2o_handler_t *self, h2o_req_t *req);

#endif
