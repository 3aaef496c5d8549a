/* Server lifecycle: h2o configuration, listeners (one SO_REUSEPORT socket per loop thread), accepting (the guards in
 * guard.c bound the connection count), and the control thread that handles signals, certificate polling and graceful
 * shutdown.
 *
 * DESIGN. Each loop thread owns an h2o context, its listening socket and a reference to the current TLS context; it
 * never blocks. The thread that calls sg_http_server_run becomes the control thread: it waits for signals with
 * sigtimedwait (so no handler code runs in signal context), polls the certificate files once a second, and on SIGTERM
 * marks the server unready, waits http.shutdownDelaySeconds, asks every loop to close its listener and to send GOAWAY
 * (HTTP/1.1 responses then carry "Connection: close"), waits for the in-flight requests to finish, runs the shutdown
 * hooks and asks the loops to exit. Loops learn about these steps from atomic flags and an empty h2o_multithread
 * message that wakes them. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <storygate/log.h>

#include "internal.h"

#define TICK_MS 200
#define DRAIN_GRACE_MS 1000

/* ---- accepting -------------------------------------------------------------------------------------------- */

static void accept_some(sg_http_thread_t *thr, h2o_socket_t *listener, h2o_accept_ctx_t *actx, int limited)
{
    /* A bounded batch per wake-up keeps one busy listener from starving the connections of this loop. */
    for (int i = 0; i < 16; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            return;
        if (!sg_http__guard_accept(thr, sock, limited))
            continue;
        if (limited)
            actx->ssl_ctx = sg_http__tls_for_thread(thr->server, thr);
        h2o_accept(actx, sock);
    }
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    sg_http_thread_t *thr = listener->data;
    if (err == NULL)
        accept_some(thr, listener, &thr->accept_ctx, 1);
}

static void on_accept_metrics(h2o_socket_t *listener, const char *err)
{
    sg_http_thread_t *thr = listener->data;
    if (err == NULL)
        accept_some(thr, listener, &thr->metrics_accept_ctx, 0);
}

/* ---- loop threads ----------------------------------------------------------------------------------------- */

static void on_control(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    /* Wake-ups only carry no payload; the flags are read in the loop. */
    (void)receiver;
    (void)messages;
}

static void stop_accepting(sg_http_thread_t *thr)
{
    if (thr->listener == NULL)
        return;
    h2o_socket_read_stop(thr->listener);
    h2o_socket_close(thr->listener);
    thr->listener = NULL;
    h2o_context_request_shutdown(&thr->ctx);
}

static void *thread_main(void *arg)
{
    sg_http_thread_t *thr = arg;
    sg_http_server_t *s = thr->server;
    thr->loop = h2o_evloop_create();
    h2o_context_init(&thr->ctx, thr->loop, &s->globalconf);
    h2o_multithread_register_receiver(thr->ctx.queue, &thr->control, on_control);
    sg_http__guard_start(thr);

    thr->accept_ctx.ctx = &thr->ctx;
    thr->accept_ctx.hosts = s->globalconf.hosts;
    thr->listener = h2o_evloop_socket_create(thr->loop, thr->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    thr->listen_fd = -1; /* owned by the socket now */
    thr->listener->data = thr;
    h2o_socket_read_start(thr->listener, on_accept);
    if (thr->metrics_fd >= 0) {
        thr->metrics_accept_ctx.ctx = &thr->ctx;
        thr->metrics_accept_ctx.hosts = s->metrics_hosts;
        thr->metrics_listener = h2o_evloop_socket_create(thr->loop, thr->metrics_fd, H2O_SOCKET_FLAG_DONT_READ);
        thr->metrics_fd = -1;
        thr->metrics_listener->data = thr;
        h2o_socket_read_start(thr->metrics_listener, on_accept_metrics);
    }
    atomic_fetch_add(&s->started_threads, 1);

    while (atomic_load(&thr->exit) == 0) {
        h2o_evloop_run(thr->loop, INT32_MAX);
        if (atomic_load(&s->stop_requested) >= 2)
            stop_accepting(thr);
    }
    stop_accepting(thr);
    sg_http__guard_stop(thr);
    if (thr->metrics_listener != NULL) {
        h2o_socket_read_stop(thr->metrics_listener);
        h2o_socket_close(thr->metrics_listener);
        thr->metrics_listener = NULL;
    }
    h2o_evloop_run(thr->loop, 0); /* completes the deferred socket closes */
    /* The loop and its context stay allocated: h2o 2.2 cannot dispose a context whose timers still hold entries, and
     * connections cut at exit may reference it. Process exit reclaims them. */
    return NULL;
}

static void wake_all(sg_http_server_t *s)
{
    for (size_t i = 0; i < s->nthreads; i++)
        if (s->threads[i].ctx.queue != NULL)
            h2o_multithread_send_message(&s->threads[i].control, NULL);
}

/* ---- listeners -------------------------------------------------------------------------------------------- */

static int resolve(const char *addr, struct sockaddr_storage *ss, socklen_t *len, sg_error_t *err)
{
    char host[256], port[8];
    uint16_t p;
    int rc;
    if ((rc = sg_config_parse_addr(addr, host, sizeof(host), &p, err)) < 0)
        return rc;
    snprintf(port, sizeof(port), "%u", (unsigned)p);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host[0] != '\0' ? host : "0.0.0.0", port, &hints, &res);
    if (gai != 0 || res == NULL)
        return sg_error_set(err, SG_EINVALID, "listen %s: %s", addr, gai_strerror(gai));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return SG_OK;
}

static int open_listener(int *out, const char *name, const struct sockaddr_storage *ss, socklen_t len, int reuseport,
                         sg_error_t *err)
{
    int one = 1;
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return sg_error_set(err, SG_EIO, "listen %s: %s", name, strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
        goto fail;
    if (ss->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, SOMAXCONN) != 0)
        goto fail;
    *out = fd;
    return SG_OK;
fail : {
    int e = errno;
    close(fd);
    return sg_error_set(err, SG_EIO, "listen %s: %s", name, strerror(e));
}
}

static uint16_t bound_port(int fd, struct sockaddr_storage *ss)
{
    socklen_t len = sizeof(*ss);
    if (getsockname(fd, (struct sockaddr *)ss, &len) != 0)
        return 0;
    return ntohs(ss->ss_family == AF_INET6 ? ((struct sockaddr_in6 *)ss)->sin6_port
                                           : ((struct sockaddr_in *)ss)->sin_port);
}

int sg_http_server_listen(sg_http_server_t *s, sg_error_t *err)
{
    const sg_config_t *c = s->config;
    int rc;
    if ((rc = resolve(c->listen, &s->addr, &s->addrlen, err)) < 0)
        return rc;
    uint16_t want = ntohs(s->addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&s->addr)->sin6_port
                                                        : ((struct sockaddr_in *)&s->addr)->sin_port);
    if (want != 0) {
        /* SO_REUSEPORT would let us share a port with another instance of ourselves; bind once without it first so a
         * taken port is reported instead of silently splitting traffic. */
        int probe;
        if ((rc = open_listener(&probe, c->listen, &s->addr, s->addrlen, 0, err)) < 0)
            return rc;
        close(probe);
    }
    for (size_t i = 0; i < s->nthreads; i++) {
        if ((rc = open_listener(&s->threads[i].listen_fd, c->listen, &s->addr, s->addrlen, 1, err)) < 0)
            return rc;
        if (i == 0) {
            s->port = bound_port(s->threads[0].listen_fd, &s->addr);
            s->addrlen = s->addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        }
    }
    if (c->metrics.listen != NULL) {
        struct sockaddr_storage mss;
        socklen_t mlen;
        if ((rc = resolve(c->metrics.listen, &mss, &mlen, err)) < 0 ||
            (rc = open_listener(&s->threads[0].metrics_fd, c->metrics.listen, &mss, mlen, 0, err)) < 0)
            return rc;
        s->metrics_port = bound_port(s->threads[0].metrics_fd, &mss);
    }
    return SG_OK;
}

uint16_t sg_http_server_port(const sg_http_server_t *s)
{
    return s->port;
}

uint16_t sg_http_server_metrics_port(const sg_http_server_t *s)
{
    return s->metrics_port;
}

/* ---- lifecycle -------------------------------------------------------------------------------------------- */

int sg_http_server_new(sg_http_server_t **out, const sg_config_t *cfg, sg_metrics_t *metrics, sg_error_t *err)
{
    int rc;
    *out = NULL;
    sg_http_server_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    s->config = cfg;
    s->metrics = metrics != NULL ? metrics : sg_metrics_default();
    long n = cfg->http.threads != 0 ? (long)cfg->http.threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > SG_HTTP__MAX_THREADS)
        n = SG_HTTP__MAX_THREADS;
    s->nthreads = (size_t)n;
    s->threads = calloc(s->nthreads, sizeof(*s->threads));
    if (s->threads == NULL) {
        free(s);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->nthreads; i++) {
        sg_http_thread_t *thr = &s->threads[i];
        thr->server = s;
        thr->index = i;
        thr->listen_fd = thr->metrics_fd = -1;
        sg_arena_init(&thr->arena, 64 * 1024);
        /* A review's tree is a small multiple of its body; this bounds one request's memory whatever the input. */
        thr->arena.limit =
            cfg->http.max_body_bytes * 16 > 64u * 1024 * 1024 ? cfg->http.max_body_bytes * 16 : 64u * 1024 * 1024;
        sg_buf_init(&thr->buf);
    }

    h2o_config_init(&s->globalconf);
    s->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("storygate"));
    /* h2o refuses larger bodies with 413 before buffering them; a body of exactly the limit reaches the webhook, which
     * answers as controller-runtime does. */
    s->globalconf.max_request_entity_size = cfg->http.max_body_bytes;
    s->globalconf.handshake_timeout = (uint64_t)cfg->http.handshake_timeout_seconds * 1000;
    /* h2o 2.2 has one HTTP/1.1 timer for keep-alive idle time and for the arrival of a request's headers and body. */
    unsigned req_timeout = cfg->http.request_timeout_seconds < cfg->http.idle_timeout_seconds
                               ? cfg->http.request_timeout_seconds
                               : cfg->http.idle_timeout_seconds;
    s->globalconf.http1.req_timeout = (uint64_t)req_timeout * 1000;
    s->globalconf.http2.idle_timeout = (uint64_t)cfg->http.idle_timeout_seconds * 1000;
    s->globalconf.http2.graceful_shutdown_timeout = (uint64_t)cfg->http.shutdown_timeout_seconds * 1000;
    s->hostconf = h2o_config_register_host(&s->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(s->hostconf, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(pathconf, sizeof(*handler));
    handler->on_req = sg_http__dispatch;
    s->metrics_hosts[0] = s->hostconf;
    s->metrics_hosts[1] = NULL;

    if ((rc = sg_http__builtin_routes(s, err)) < 0 || (rc = sg_http__tls_init(s, err)) < 0) {
        sg_http_server_free(s);
        return rc;
    }
    *out = s;
    return SG_OK;
}

void sg_http_server_set_admission(sg_http_server_t *s, sg_admission_t *adm)
{
    s->admission = adm;
}

int sg_http_server_on_reload(sg_http_server_t *s, sg_http_reload_cb cb, void *data)
{
    if (s->nreload_hooks >= sizeof(s->reload_hooks) / sizeof(s->reload_hooks[0]))
        return SG_ELIMIT;
    s->reload_hooks[s->nreload_hooks].cb = cb;
    s->reload_hooks[s->nreload_hooks].data = data;
    s->nreload_hooks++;
    return SG_OK;
}

int sg_http_server_on_shutdown(sg_http_server_t *s, sg_http_shutdown_cb cb, void *data)
{
    if (s->nshutdown_hooks >= sizeof(s->shutdown_hooks) / sizeof(s->shutdown_hooks[0]))
        return SG_ELIMIT;
    s->shutdown_hooks[s->nshutdown_hooks].cb = cb;
    s->shutdown_hooks[s->nshutdown_hooks].data = data;
    s->nshutdown_hooks++;
    return SG_OK;
}

int sg_http_server_ready(const sg_http_server_t *s)
{
    return atomic_load(&s->ready) != 0 && atomic_load(&s->stop_requested) == 0;
}

void sg_http_server_shutdown(sg_http_server_t *s)
{
    int expected = 0;
    atomic_compare_exchange_strong(&s->stop_requested, &expected, 1);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits up to `ms` for a signal in `set`; returns it, or 0 on timeout. */
static int wait_signal(const sigset_t *set, unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    int sig = sigtimedwait(set, NULL, &ts);
    return sig > 0 ? sig : 0;
}

static void handle_signal(sg_http_server_t *s, int sig)
{
    if (sig == SIGHUP) {
        sg_error_t e = SG_ERROR_INIT;
        if (sg_http_server_reload_tls(s, &e) < 0)
            sg_log_warn("SIGHUP: TLS reload failed; keeping the previous certificate", "error", SG_LOG_ERR, &e, NULL);
        for (size_t i = 0; i < s->nreload_hooks; i++)
            s->reload_hooks[i].cb(s->reload_hooks[i].data);
    } else if (sig == SIGTERM || sig == SIGINT) {
        sg_log_info("shutdown requested", "signal", SG_LOG_STR, sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
        sg_http_server_shutdown(s);
    }
}

static void drain(sg_http_server_t *s, const sigset_t *set)
{
    const sg_config_t *c = s->config;
    uint64_t until = now_ms() + (uint64_t)c->http.shutdown_delay_seconds * 1000;
    while (now_ms() < until) {
        int sig = wait_signal(set, TICK_MS);
        if (sig == SIGTERM || sig == SIGINT)
            break; /* a second signal skips the delay */
    }
    atomic_store(&s->stop_requested, 2);
    wake_all(s);
    uint64_t start = now_ms(), deadline = start + (uint64_t)c->http.shutdown_timeout_seconds * 1000;
    uint64_t grace =
        start + (DRAIN_GRACE_MS < c->http.shutdown_timeout_seconds * 1000 ? DRAIN_GRACE_MS
                                                                          : c->http.shutdown_timeout_seconds * 1000);
    for (;;) {
        uint64_t now = now_ms();
        long conns = atomic_load(&s->connections), busy = atomic_load(&s->in_flight);
        if (conns == 0 || (busy == 0 && now >= grace))
            break;
        if (now >= deadline) {
            sg_log_warn("shutdown timeout reached with requests in flight", "inFlight", SG_LOG_I64, (long long)busy,
                        "connections", SG_LOG_I64, (long long)conns, NULL);
            break;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

int sg_http_server_run(sg_http_server_t *s, sg_error_t *err)
{
    for (size_t i = 0; i < s->nthreads; i++)
        if (s->threads[i].listen_fd < 0)
            return sg_error_set(err, SG_EINVALID, "sg_http_server_listen must succeed before sg_http_server_run");
    signal(SIGPIPE, SIG_IGN);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, &old); /* loop threads inherit the mask; only this thread takes the signals */

    size_t started = 0;
    int rc = SG_OK;
    for (; started < s->nthreads; started++) {
        int e = pthread_create(&s->threads[started].tid, NULL, thread_main, &s->threads[started]);
        if (e != 0) {
            rc = sg_error_set(err, SG_EIO, "cannot start thread: %s", strerror(e));
            break;
        }
    }
    while ((size_t)atomic_load(&s->started_threads) < started) { /* even on failure: wake_all needs their queues */
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    if (rc == 0) {
        atomic_store(&s->ready, 1);
        char serial[128];
        pthread_mutex_lock(&s->tls.lock);
        sg_http__tls_serial(s->tls.current, serial, sizeof(serial));
        pthread_mutex_unlock(&s->tls.lock);
        sg_log_info("listening", "listen", SG_LOG_STR, s->config->listen, "port", SG_LOG_INT, (int)s->port, "threads",
                    SG_LOG_INT, (int)s->nthreads, "metricsListen", SG_LOG_STR, s->config->metrics.listen, "metricsPort",
                    SG_LOG_INT, (int)s->metrics_port, "http2", SG_LOG_BOOL, s->config->http.http2, "certSerial",
                    SG_LOG_STR, serial, NULL);
        uint64_t next_poll = now_ms() + 1000;
        while (atomic_load(&s->stop_requested) == 0) {
            int sig = wait_signal(&set, TICK_MS);
            if (sig != 0)
                handle_signal(s, sig);
            if (now_ms() >= next_poll) {
                sg_http__tls_poll(s);
                next_poll = now_ms() + 1000;
            }
        }
        sg_log_info("draining", "inFlight", SG_LOG_I64, (long long)atomic_load(&s->in_flight), "connections",
                    SG_LOG_I64, (long long)atomic_load(&s->connections), NULL);
        drain(s, &set);
        for (size_t i = 0; i < s->nshutdown_hooks; i++)
            s->shutdown_hooks[i].cb(s->shutdown_hooks[i].data);
    }
    atomic_store(&s->ready, 0);
    atomic_store(&s->stop_requested, 2);
    for (size_t i = 0; i < started; i++)
        atomic_store(&s->threads[i].exit, 1);
    wake_all(s);
    for (size_t i = 0; i < started; i++)
        pthread_join(s->threads[i].tid, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        sg_log_info("stopped", NULL);
    return rc;
}

void sg_http_server_free(sg_http_server_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nthreads; i++) {
        sg_http_thread_t *thr = &s->threads[i];
        if (thr->listen_fd >= 0)
            close(thr->listen_fd);
        if (thr->metrics_fd >= 0)
            close(thr->metrics_fd);
        SSL_CTX_free(thr->ssl_ctx);
        sg_arena_dispose(&thr->arena);
        sg_buf_dispose(&thr->buf);
        for (size_t j = 0; j < thr->noutcomes; j++) {
            free((char *)thr->outcomes[j].operation);
            free((char *)thr->outcomes[j].reason);
        }
        /* h2o contexts and loops are left to process exit: connections may still reference them. */
    }
    int never_ran = 1;
    for (size_t i = 0; i < s->nthreads; i++)
        never_ran &= s->threads[i].loop == NULL;
    if (never_ran) /* running loops' contexts keep pointing into the configuration */
        h2o_config_dispose(&s->globalconf);
    for (size_t i = 0; i < s->nroutes; i++)
        free(s->routes[i].path);
    if (s->tls.current != NULL)
        sg_http__tls_dispose(s);
    free(s->threads);
    free(s);
}
