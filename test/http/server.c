/* http module: TLS context policy, listener errors, the route table and an in-process request over TLS. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <storygate/http.h>
#include <storygate/log.h>

#include "../../src/http/internal.h"

/* Sanitizer builds: h2o keeps each loop and context until process exit (see test/integration/lsan-h2o.supp). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libh2o-evloop\n";
}

static char certs[256];
static char cert_path[300], key_path[300], ca_path[300], cakey_path[300];
static sg_config_t cfg;

static void setup(void)
{
    snprintf(certs, sizeof(certs), "/tmp/sg-test-http-%d", (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "%s/certs/gen-certs.sh %s >/dev/null 2>&1", SG_SOURCE_DIR, certs);
    cr_assert_eq(system(cmd), 0, "gen-certs.sh failed");
    snprintf(cert_path, sizeof(cert_path), "%s/tls.crt", certs);
    snprintf(key_path, sizeof(key_path), "%s/tls.key", certs);
    snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", certs);
    snprintf(cakey_path, sizeof(cakey_path), "%s/ca.key", certs);
    sg_config_init(&cfg);
    sg_config_set(&cfg, "tls.certFile", cert_path, NULL);
    sg_config_set(&cfg, "tls.keyFile", key_path, NULL);
    sg_config_set(&cfg, "listen", "127.0.0.1:0", NULL);
    sg_config_set(&cfg, "http.threads", "2", NULL);
    sg_log_set_level(SG_LOG_ERROR);
}

static void teardown(void)
{
    sg_config_dispose(&cfg);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", certs);
    if (system(cmd) != 0)
        cr_log_warn("cannot remove %s", certs);
}

TestSuite(http_tls, .init = setup, .fini = teardown);

Test(http_tls, context_allows_tls12_and_aead_suites_only)
{
    SSL_CTX *ctx;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_http__tls_build(&ctx, &cfg, &err), 0, "%s", err.message);
    cr_assert_eq(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    STACK_OF(SSL_CIPHER) *ciphers = SSL_CTX_get_ciphers(ctx);
    cr_assert_gt(sk_SSL_CIPHER_num(ciphers), 0);
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(ciphers, i);
        const char *name = SSL_CIPHER_get_name(c);
        cr_assert(SSL_CIPHER_is_aead(c), "%s is not AEAD", name);
        if (strncmp(name, "TLS_", 4) != 0)
            cr_assert(strncmp(name, "ECDHE-", 6) == 0, "%s lacks forward secrecy", name);
    }
    SSL_CTX_free(ctx);
}

Test(http_tls, min_version_13_is_honoured)
{
    SSL_CTX *ctx;
    cr_assert_eq(sg_config_set(&cfg, "tls.minVersion", "1.3", NULL), 0);
    cr_assert_eq(sg_http__tls_build(&ctx, &cfg, NULL), 0);
    cr_assert_eq(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
    SSL_CTX_free(ctx);
}

Test(http_tls, missing_certificate_is_reported_with_its_path)
{
    SSL_CTX *ctx;
    sg_error_t err = SG_ERROR_INIT;
    sg_config_set(&cfg, "tls.certFile", "/nonexistent/tls.crt", NULL);
    cr_assert_eq(sg_http__tls_build(&ctx, &cfg, &err), SG_EIO);
    cr_assert_str_eq(err.message, "cannot read TLS certificate \"/nonexistent/tls.crt\": No such file or directory");
    cr_assert_null(ctx);
}

Test(http_tls, mismatched_key_is_refused)
{
    SSL_CTX *ctx;
    sg_error_t err = SG_ERROR_INIT;
    sg_config_set(&cfg, "tls.keyFile", cakey_path, NULL);
    cr_assert_eq(sg_http__tls_build(&ctx, &cfg, &err), SG_EINVALID);
    cr_assert(strstr(err.message, "does not match certificate") != NULL, "%s", err.message);
}

Test(http_tls, client_ca_requires_client_certificates)
{
    SSL_CTX *ctx;
    sg_error_t err = SG_ERROR_INIT;
    sg_config_set(&cfg, "tls.clientCAFile", ca_path, NULL);
    cr_assert_eq(sg_http__tls_build(&ctx, &cfg, &err), 0, "%s", err.message);
    cr_assert_eq(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    cr_assert_null(SSL_CTX_get_verify_callback(ctx), "no name check without tls.clientAllowedNames");
    SSL_CTX_free(ctx);
}

Test(http_tls, client_allowed_names_add_a_name_check)
{
    SSL_CTX *ctx;
    sg_error_t err = SG_ERROR_INIT;
    sg_config_set(&cfg, "tls.clientCAFile", ca_path, NULL);
    cr_assert_eq(sg_config_set(&cfg, "tls.clientAllowedNames", " kube-apiserver , b.example", &err), 0, "%s",
                 err.message);
    cr_assert_str_eq(cfg.tls.client_allowed_names, "kube-apiserver,b.example");
    cr_assert_eq(sg_http__tls_build(&ctx, &cfg, &err), 0, "%s", err.message);
    cr_assert_not_null(SSL_CTX_get_verify_callback(ctx));
    SSL_CTX_free(ctx);
}

Test(http_tls, missing_client_ca_is_reported_with_its_path)
{
    SSL_CTX *ctx;
    sg_error_t err = SG_ERROR_INIT;
    sg_config_set(&cfg, "tls.clientCAFile", "/nonexistent/ca.crt", NULL);
    cr_assert_eq(sg_http__tls_build(&ctx, &cfg, &err), SG_EIO);
    cr_assert_str_eq(err.message, "cannot read client CA \"/nonexistent/ca.crt\": No such file or directory");
}

TestSuite(http_server, .init = setup, .fini = teardown);

static int noop(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    return 0;
}

Test(http_server, route_table_is_bounded)
{
    sg_http_server_t *s;
    sg_error_t err = SG_ERROR_INIT;
    sg_metrics_t *m = sg_metrics_new();
    cr_assert_eq(sg_http_server_new(&s, &cfg, m, &err), 0, "%s", err.message);
    int rc = 0, added = 0;
    while ((rc = sg_http_route_add(s, "GET", "/x", SG_HTTP_EXACT, noop, NULL)) == 0)
        added++;
    cr_assert_eq(rc, SG_ELIMIT);
    cr_assert_gt(added, 10);
    sg_http_server_free(s);
    sg_metrics_free(m);
}

Test(http_server, a_taken_port_is_reported)
{
    sg_http_server_t *a, *b;
    sg_error_t err = SG_ERROR_INIT;
    sg_metrics_t *ma = sg_metrics_new(), *mb = sg_metrics_new();
    cr_assert_eq(sg_http_server_new(&a, &cfg, ma, &err), 0, "%s", err.message);
    cr_assert_eq(sg_http_server_listen(a, &err), 0, "%s", err.message);
    uint16_t port = sg_http_server_port(a);
    cr_assert_neq(port, 0);
    char addr[32];
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)port);
    sg_config_set(&cfg, "listen", addr, NULL);
    cr_assert_eq(sg_http_server_new(&b, &cfg, mb, &err), 0, "%s", err.message);
    cr_assert_eq(sg_http_server_listen(b, &err), SG_EIO);
    char want[80];
    snprintf(want, sizeof(want), "listen %s: Address already in use", addr);
    cr_assert_str_eq(err.message, want);
    sg_http_server_free(b);
    sg_http_server_free(a);
    sg_metrics_free(mb);
    sg_metrics_free(ma);
}

static void *run_server(void *arg)
{
    sg_error_t err = SG_ERROR_INIT;
    return (void *)(intptr_t)sg_http_server_run(arg, &err);
}

static int custom(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    sg_buf_printf(sg_http_thread_buf(thr), "custom %s %.*s", (const char *)data, (int)req->path_normalized.len,
                  req->path_normalized.base);
    sg_http_send(req, 200, "text/plain", sg_http_thread_buf(thr)->base, sg_http_thread_buf(thr)->len);
    return 0;
}

static atomic_int reloads;

static void on_reload(void *data)
{
    atomic_fetch_add(&reloads, 1);
}

static atomic_int shutdowns, ready_at_shutdown = -1;

static void on_shutdown(void *data)
{
    atomic_store(&ready_at_shutdown, sg_http_server_ready(data));
    atomic_fetch_add(&shutdowns, 1);
}

/* One HTTP/1.1 request over TLS; returns the response text (malloc'd). */
static char *fetch(uint16_t port, const char *request)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    cr_assert_eq(SSL_CTX_load_verify_locations(ctx, ca_path, NULL), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    cr_assert_eq(SSL_connect(ssl), 1, "handshake failed");
    cr_assert_eq(SSL_write(ssl, request, (int)strlen(request)), (int)strlen(request));
    size_t cap = 65536, len = 0;
    char *out = malloc(cap);
    int n;
    while (len + 1 < cap && (n = SSL_read(ssl, out + len, (int)(cap - 1 - len))) > 0)
        len += (size_t)n;
    out[len] = '\0';
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
    return out;
}

Test(http_server, serves_builtin_and_added_routes_then_shuts_down)
{
    sg_http_server_t *s;
    sg_error_t err = SG_ERROR_INIT;
    sg_metrics_t *m = sg_metrics_new();
    cr_assert_eq(sg_http_server_new(&s, &cfg, m, &err), 0, "%s", err.message);
    cr_assert_eq(sg_http_route_add(s, "GET", "/apis/", SG_HTTP_PREFIX, custom, "api"), 0);
    cr_assert_eq(sg_http_server_on_reload(s, on_reload, NULL), 0);
    cr_assert_eq(sg_http_server_on_shutdown(s, on_shutdown, s), 0);
    cr_assert_eq(sg_http_server_listen(s, &err), 0, "%s", err.message);
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, NULL); /* so the server thread's sigtimedwait takes it */
    pthread_t tid;
    cr_assert_eq(pthread_create(&tid, NULL, run_server, s), 0);
    for (int i = 0; i < 500 && !sg_http_server_ready(s); i++)
        usleep(10000);
    cr_assert(sg_http_server_ready(s));
    uint16_t port = sg_http_server_port(s);

    char *r = fetch(port, "GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    cr_assert(strncmp(r, "HTTP/1.1 200", 12) == 0, "%s", r);
    cr_assert(strcasestr(r, "\r\ncontent-length: 3\r\n") != NULL, "%s", r);
    free(r);
    r = fetch(port, "GET /apis/runs.bubustack.io/v1alpha1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    cr_assert(strstr(r, "\r\n\r\ncustom api /apis/runs.bubustack.io/v1alpha1") != NULL, "%s", r);
    free(r);
    r = fetch(port, "POST /apis/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    cr_assert(strncmp(r, "HTTP/1.1 405", 12) == 0, "%s", r);
    free(r);
    r = fetch(port, "GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    cr_assert(strncmp(r, "HTTP/1.1 404", 12) == 0, "%s", r);
    free(r);
    r = fetch(port, "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
    cr_assert(strncmp(r, "HTTP/1.1 503", 12) == 0, "no admission engine: %s", r);
    free(r);

    kill(getpid(), SIGHUP);
    for (int i = 0; i < 300 && atomic_load(&reloads) == 0; i++)
        usleep(10000);
    cr_assert_eq(atomic_load(&reloads), 1, "SIGHUP runs the reload hooks");

    sg_http_server_shutdown(s);
    cr_assert_not(sg_http_server_ready(s));
    void *rc;
    pthread_join(tid, &rc);
    cr_assert_eq((intptr_t)rc, 0);
    cr_assert_eq(atomic_load(&shutdowns), 1, "the shutdown hook runs once");
    cr_assert_eq(atomic_load(&ready_at_shutdown), 0, "and after /readyz turned false");
    sg_http_server_free(s);
    sg_metrics_free(m);
}
