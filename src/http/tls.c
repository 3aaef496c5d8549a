/* TLS contexts: TLS 1.2+ with AEAD ciphers only and ALPN, built from the certificate files and swapped whole when
 * they change. Each loop thread holds one reference and refreshes it on the next accept after a reload, so a rotation
 * never disturbs established connections and never blocks an event loop on file reads. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <storygate/log.h>

#include "internal.h"

/* TLS 1.2 suites: forward secrecy (ECDHE) and AEAD (GCM, ChaCha20-Poly1305) only. TLS 1.3 suites are all AEAD. */
static const char tls12_ciphers[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

static const h2o_iovec_t http1_only_alpn[] = {{H2O_STRLIT("http/1.1")}, {NULL}};

static void openssl_reason(char *buf, size_t size)
{
    unsigned long e = ERR_peek_last_error();
    if (e == 0)
        snprintf(buf, size, "unknown error");
    else
        ERR_error_string_n(e, buf, size);
    ERR_clear_error();
}

static int readable(const char *what, const char *path, sg_error_t *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return sg_error_set(err, SG_EIO, "cannot read %s \"%s\": %s", what, path, strerror(errno));
    fclose(f);
    return SG_OK;
}

static int cfg_index = -1;
static pthread_once_t cfg_index_once = PTHREAD_ONCE_INIT;

static void make_cfg_index(void)
{
    cfg_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* 1 when `name` is the subject CN of `x` or (wildcards in the certificate not honoured) one of its SAN DNS names. */
static int cert_has_name(X509 *x, const char *name, size_t len)
{
    if (X509_check_host(x, name, len, X509_CHECK_FLAG_NO_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1)
        return 1;
    X509_NAME *subject = X509_get_subject_name(x);
    for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
        ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
        if ((size_t)ASN1_STRING_length(cn) == len && memcmp(ASN1_STRING_get0_data(cn), name, len) == 0)
            return 1;
    }
    return 0;
}

/* tls.clientAllowedNames: after the chain verified, the client's own certificate must carry one of the names. */
static int verify_client_name(int ok, X509_STORE_CTX *store)
{
    if (!ok || X509_STORE_CTX_get_error_depth(store) != 0)
        return ok;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    const sg_config_t *cfg = ssl != NULL ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), cfg_index) : NULL;
    X509 *x = X509_STORE_CTX_get_current_cert(store);
    if (cfg == NULL || cfg->tls.client_allowed_names == NULL)
        return 1;
    for (const char *p = cfg->tls.client_allowed_names; *p != '\0';) {
        size_t n = strcspn(p, ",");
        if (x != NULL && cert_has_name(x, p, n))
            return 1;
        p += n + (p[n] == ',');
    }
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

int sg_http__tls_build(SSL_CTX **out, const sg_config_t *cfg, sg_error_t *err)
{
    char why[256];
    int rc;
    *out = NULL;
    if ((rc = readable("TLS certificate", cfg->tls.cert_file, err)) < 0 ||
        (rc = readable("TLS key", cfg->tls.key_file, err)) < 0 ||
        (cfg->tls.client_ca_file != NULL && (rc = readable("client CA", cfg->tls.client_ca_file, err)) < 0))
        return rc;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        return sg_error_set(err, SG_ENOMEM, "cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ctx, cfg->tls.min_version == 0x0304 ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 || SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
        openssl_reason(why, sizeof(why));
        rc = sg_error_set(err, SG_EINVALID, "cannot configure TLS ciphers: %s", why);
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls.cert_file) != 1) {
        openssl_reason(why, sizeof(why));
        rc = sg_error_set(err, SG_EINVALID, "cannot load TLS certificate \"%s\": %s", cfg->tls.cert_file, why);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls.key_file, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            rc = sg_error_set(err, SG_EINVALID, "TLS key \"%s\" does not match certificate \"%s\"", cfg->tls.key_file,
                              cfg->tls.cert_file);
            goto fail;
        }
        openssl_reason(why, sizeof(why));
        rc = sg_error_set(err, SG_EINVALID, "cannot load TLS key \"%s\": %s", cfg->tls.key_file, why);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        rc = sg_error_set(err, SG_EINVALID, "TLS key \"%s\" does not match certificate \"%s\"", cfg->tls.key_file,
                          cfg->tls.cert_file);
        goto fail;
    }
    if (cfg->tls.client_ca_file != NULL) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->tls.client_ca_file);
        if (names == NULL || SSL_CTX_load_verify_locations(ctx, cfg->tls.client_ca_file, NULL) != 1) {
            if (names != NULL)
                sk_X509_NAME_pop_free(names, X509_NAME_free);
            openssl_reason(why, sizeof(why));
            rc = sg_error_set(err, SG_EINVALID, "cannot load client CA \"%s\": %s", cfg->tls.client_ca_file, why);
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        pthread_once(&cfg_index_once, make_cfg_index);
        if (cfg->tls.client_allowed_names != NULL &&
            (cfg_index < 0 || !SSL_CTX_set_ex_data(ctx, cfg_index, (void *)cfg))) {
            rc = sg_error_set(err, SG_ENOMEM, "cannot configure tls.clientAllowedNames");
            goto fail;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                           cfg->tls.client_allowed_names != NULL ? verify_client_name : NULL);
    }
    static const unsigned char sid_ctx[] = "storygate";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
    h2o_ssl_register_alpn_protocols(ctx, cfg->http.http2 ? h2o_alpn_protocols : http1_only_alpn);
    *out = ctx;
    return SG_OK;
fail:
    SSL_CTX_free(ctx);
    return rc;
}

/* notAfter of the context's certificate in seconds since the epoch, or 0. */
static double not_after(SSL_CTX *ctx)
{
    X509 *x = SSL_CTX_get0_certificate(ctx);
    struct tm tm;
    if (x == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
        return 0;
    return (double)timegm(&tm);
}

void sg_http__tls_serial(SSL_CTX *ctx, char *serial, size_t size)
{
    X509 *x = SSL_CTX_get0_certificate(ctx);
    serial[0] = '\0';
    if (x == NULL)
        return;
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
    if (hex != NULL)
        snprintf(serial, size, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
}

static void stat_files(const sg_config_t *cfg, struct stat *cert, struct stat *key, struct stat *ca)
{
    memset(cert, 0, sizeof(*cert));
    memset(key, 0, sizeof(*key));
    memset(ca, 0, sizeof(*ca));
    stat(cfg->tls.cert_file, cert);
    stat(cfg->tls.key_file, key);
    if (cfg->tls.client_ca_file != NULL)
        stat(cfg->tls.client_ca_file, ca);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int install(sg_http_server_t *s, sg_error_t *err)
{
    SSL_CTX *ctx;
    struct stat cert, key, ca;
    stat_files(s->config, &cert, &key, &ca);
    sg_series_inc(s->cert_reads);
    int rc = sg_http__tls_build(&ctx, s->config, err);
    pthread_mutex_lock(&s->tls.lock);
    s->tls.seen.cert = cert;
    s->tls.seen.key = key;
    s->tls.seen.ca = ca;
    s->tls.seen.ok = rc == 0;
    SSL_CTX *old = NULL;
    if (rc == 0) {
        old = s->tls.current;
        s->tls.current = ctx;
        atomic_fetch_add(&s->tls.generation, 1);
    }
    pthread_mutex_unlock(&s->tls.lock);
    if (rc < 0) {
        sg_series_inc(s->cert_read_errors);
        return rc;
    }
    sg_series_set(s->cert_expiry, not_after(ctx));
    SSL_CTX_free(old);
    if (old != NULL) { /* the first load is reported by the "listening" line */
        char serial[128];
        sg_http__tls_serial(ctx, serial, sizeof(serial));
        sg_log_info("reloaded TLS certificate", "certFile", SG_LOG_STR, s->config->tls.cert_file, "serial", SG_LOG_STR,
                    serial, NULL);
    }
    return SG_OK;
}

int sg_http__tls_init(sg_http_server_t *s, sg_error_t *err)
{
    pthread_mutex_init(&s->tls.lock, NULL);
    atomic_init(&s->tls.generation, 1);
    return install(s, err);
}

int sg_http_server_reload_tls(sg_http_server_t *s, sg_error_t *err)
{
    return install(s, err);
}

void sg_http__tls_poll(sg_http_server_t *s)
{
    struct stat cert, key, ca;
    stat_files(s->config, &cert, &key, &ca);
    pthread_mutex_lock(&s->tls.lock);
    int changed =
        !same_file(&cert, &s->tls.seen.cert) || !same_file(&key, &s->tls.seen.key) || !same_file(&ca, &s->tls.seen.ca);
    /* A failed attempt is retried every tick: a rotation that writes the key after the certificate fails once. */
    int retry = !s->tls.seen.ok;
    pthread_mutex_unlock(&s->tls.lock);
    if (!changed && !retry)
        return;
    sg_error_t err = SG_ERROR_INIT;
    if (install(s, &err) < 0) {
        if (changed)
            sg_log_warn("TLS certificate reload failed; keeping the previous one", "error", SG_LOG_ERR, &err, NULL);
    }
}

SSL_CTX *sg_http__tls_for_thread(sg_http_server_t *s, sg_http_thread_t *thr)
{
    unsigned gen = atomic_load_explicit(&s->tls.generation, memory_order_acquire);
    if (gen != thr->ssl_generation) {
        pthread_mutex_lock(&s->tls.lock);
        SSL_CTX *cur = s->tls.current;
        SSL_CTX_up_ref(cur);
        thr->ssl_generation = atomic_load(&s->tls.generation);
        pthread_mutex_unlock(&s->tls.lock);
        SSL_CTX_free(thr->ssl_ctx);
        thr->ssl_ctx = cur;
    }
    return thr->ssl_ctx;
}

void sg_http__tls_dispose(sg_http_server_t *s)
{
    SSL_CTX_free(s->tls.current);
    s->tls.current = NULL;
    pthread_mutex_destroy(&s->tls.lock);
}
