/* The REST client on libcurl: one easy handle per request taken from a small pool (handles keep their TLS
 * connections alive between requests), bearer tokens re-read from their file when it rotates, and retries with
 * jittered exponential backoff on 429, 5xx and connection failures. Every call blocks: callers are worker threads. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <storygate/log.h>

#include "internal.h"

#define POOL_MAX 16

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static void global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* With CURLOPT_NOSIGNAL libcurl leaves SIGPIPE alone, and OpenSSL writes with write(2): a peer closing a TLS
     * connection mid-write must be an error return, not the death of the process. */
    signal(SIGPIPE, SIG_IGN);
}

void sg_kube_response_init(sg_kube_response_t *r)
{
    memset(r, 0, sizeof(*r));
    sg_buf_init(&r->body);
    r->retry_after = -1;
}

void sg_kube_response_dispose(sg_kube_response_t *r)
{
    if (r != NULL)
        sg_buf_dispose(&r->body);
}

static char *host_of(const char *server)
{
    const char *p = strstr(server, "://");
    p = p != NULL ? p + 3 : server;
    size_t n = strcspn(p, "/?");
    return strndup(p, n);
}

int sg_kube_client_new(sg_kube_client_t **out, const sg_kube_config_t *cfg, const sg_kube_client_opts_t *opts,
                       sg_error_t *err)
{
    static const sg_kube_client_opts_t defaults = SG_KUBE_CLIENT_OPTS_INIT;
    if (opts == NULL)
        opts = &defaults;
    *out = NULL;
    if (cfg == NULL || cfg->server == NULL || cfg->server[0] == '\0')
        return sg_error_set(err, SG_EINVALID, "kube client: no apiserver address");
    if (strncmp(cfg->server, "https://", 8) != 0 && strncmp(cfg->server, "http://", 7) != 0)
        return sg_error_set(err, SG_EINVALID, "kube client: server \"%s\" must start with https://", cfg->server);
    pthread_once(&global_once, global_init);
    sg_kube_client_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    pthread_mutex_init(&c->pool_mu, NULL);
    pthread_mutex_init(&c->token.mu, NULL);
    int oom = 0;
#define COPY_STR(f)                                                                                                    \
    if (cfg->f != NULL && (c->cfg.f = strdup(cfg->f)) == NULL)                                                         \
        oom = 1;
#define COPY_MEM(f)                                                                                                    \
    if (cfg->f != NULL) {                                                                                              \
        if ((c->cfg.f = malloc(cfg->f##_len + 1)) == NULL)                                                             \
            oom = 1;                                                                                                   \
        else {                                                                                                         \
            memcpy(c->cfg.f, cfg->f, cfg->f##_len);                                                                    \
            c->cfg.f[cfg->f##_len] = '\0';                                                                             \
            c->cfg.f##_len = cfg->f##_len;                                                                             \
        }                                                                                                              \
    }
    COPY_STR(server)
    COPY_STR(namespace_)
    COPY_STR(token)
    COPY_STR(token_file)
    COPY_STR(ca_file)
    COPY_STR(cert_file)
    COPY_STR(key_file)
    COPY_MEM(ca_data)
    COPY_MEM(cert_data)
    COPY_MEM(key_data)
#undef COPY_STR
#undef COPY_MEM
    c->cfg.insecure_skip_verify = cfg->insecure_skip_verify;
    if (c->cfg.namespace_ == NULL)
        c->cfg.namespace_ = strdup("default");
    c->host = host_of(cfg->server);
    if (opts->user_agent != NULL)
        c->user_agent = strdup(opts->user_agent);
    else if (asprintf(&c->user_agent, "storygate/%s", SG_VERSION) < 0)
        c->user_agent = NULL;
    if (oom || c->cfg.namespace_ == NULL || c->host == NULL || c->user_agent == NULL) {
        sg_kube_client_free(c);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
    c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 5;
    c->backoff_base_ms = opts->backoff_base_ms > 0 ? opts->backoff_base_ms : 200;
    c->backoff_max_ms = opts->backoff_max_ms > 0 ? opts->backoff_max_ms : 10000;
    static const char *const labels[] = {"code", "method", "host", NULL};
    c->requests = sg_metrics_register(
        opts->metrics != NULL ? opts->metrics : sg_metrics_default(), SG_METRIC_COUNTER, "rest_client_requests_total",
        "Number of HTTP requests, partitioned by status code, method, and host.", labels, NULL, 0);
    *out = c;
    return SG_OK;
}

void sg_kube_client_free(sg_kube_client_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->pool_len; i++)
        curl_easy_cleanup(c->pool[i]);
    free(c->pool);
    if (c->token.value != NULL)
        OPENSSL_cleanse(c->token.value, strlen(c->token.value));
    free(c->token.value);
    pthread_mutex_destroy(&c->token.mu);
    pthread_mutex_destroy(&c->pool_mu);
    sg_kube_config_dispose(&c->cfg);
    free(c->host);
    free(c->user_agent);
    free(c);
}

const char *sg_kube_client_namespace(const sg_kube_client_t *c)
{
    return c->cfg.namespace_;
}

int sg_kube__token_get(sg_kube_client_t *c, sg_buf_t *out, sg_error_t *err)
{
    sg_buf_reset(out);
    if (c->cfg.token_file == NULL)
        return sg_buf_puts(out, c->cfg.token != NULL ? c->cfg.token : "") == 0 ? SG_OK : SG_ENOMEM;
    int rc = SG_OK;
    pthread_mutex_lock(&c->token.mu);
    struct stat st;
    /* stat follows the ..data symlink kubelet swaps on rotation, so a new token shows as a new inode or mtime. */
    if (stat(c->cfg.token_file, &st) == 0 &&
        (c->token.value == NULL || st.st_ino != c->token.ino || st.st_dev != c->token.dev ||
         st.st_size != c->token.size || st.st_mtim.tv_sec != c->token.mtime.tv_sec ||
         st.st_mtim.tv_nsec != c->token.mtime.tv_nsec)) {
        char *v = NULL;
        size_t n;
        if ((rc = sg_kube__read_file(&v, &n, c->cfg.token_file, SG_KUBE__FILE_MAX, err)) == SG_OK) {
            while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r' || v[n - 1] == ' '))
                v[--n] = '\0';
            if (c->token.value != NULL)
                OPENSSL_cleanse(c->token.value, strlen(c->token.value));
            free(c->token.value);
            c->token.value = v;
            c->token.ino = st.st_ino;
            c->token.dev = st.st_dev;
            c->token.size = st.st_size;
            c->token.mtime = st.st_mtim;
        }
    }
    if (c->token.value != NULL) {
        rc = sg_buf_puts(out, c->token.value) == 0 ? SG_OK : SG_ENOMEM;
    } else if (rc == SG_OK) {
        rc = sg_error_set(err, SG_EIO, "%s: cannot read the token file", c->cfg.token_file);
    }
    pthread_mutex_unlock(&c->token.mu);
    return rc;
}

static CURL *pool_take(sg_kube_client_t *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_mu);
    if (c->pool_len > 0)
        h = c->pool[--c->pool_len];
    pthread_mutex_unlock(&c->pool_mu);
    return h != NULL ? h : curl_easy_init();
}

static void pool_give(sg_kube_client_t *c, CURL *h)
{
    if (h == NULL)
        return;
    curl_easy_reset(h);
    pthread_mutex_lock(&c->pool_mu);
    if (c->pool_len == c->pool_cap && c->pool_cap < POOL_MAX) {
        size_t cap = c->pool_cap ? c->pool_cap * 2 : 4;
        void **p = realloc(c->pool, cap * sizeof(*p));
        if (p != NULL) {
            c->pool = p;
            c->pool_cap = cap;
        }
    }
    if (c->pool_len < c->pool_cap) {
        c->pool[c->pool_len++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_mu);
    if (h != NULL)
        curl_easy_cleanup(h);
}

/* State of one transfer, shared by the curl callbacks. */
typedef struct st_xfer_t {
    CURL *h;
    sg_kube_response_t *resp;
    size_t max_body;
    int too_big;
    /* streaming */
    sg_kube_line_cb line_cb;
    void *line_ctx;
    size_t max_line;
    sg_buf_t line;
    int stopped;
    int line_too_long;
} xfer_t;

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    xfer_t *x = ud;
    size_t len = size * n;
    if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        char tmp[32];
        size_t m = len - 12 < sizeof(tmp) - 1 ? len - 12 : sizeof(tmp) - 1;
        memcpy(tmp, data + 12, m);
        tmp[m] = '\0';
        char *end;
        long v = strtol(tmp, &end, 10);
        /* Only the delta-seconds form; an HTTP date falls back to our own backoff. */
        if (end != tmp && v >= 0)
            x->resp->retry_after = v > 3600 ? 3600 : (int)v;
    } else if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        x->resp->retry_after = -1; /* a new response (after a redirect or 100-continue) */
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    xfer_t *x = ud;
    size_t len = size * n;
    if (x->resp->body.len + len > x->max_body) {
        x->too_big = 1;
        return 0;
    }
    return sg_buf_append(&x->resp->body, data, len) == 0 ? len : 0;
}

static size_t on_stream(char *data, size_t size, size_t n, void *ud)
{
    xfer_t *x = ud;
    size_t len = size * n;
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200)
        return on_body(data, size, n, ud);
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t take = nl != NULL ? (size_t)(nl - (data + i)) : len - i;
        if (x->line.len + take > x->max_line) {
            x->line_too_long = 1;
            return 0;
        }
        if (sg_buf_append(&x->line, data + i, take) != 0)
            return 0;
        i += take;
        if (nl == NULL)
            break;
        i++;
        if (x->line.len > 0 && x->line_cb(x->line_ctx, x->line.base, x->line.len) != 0) {
            x->stopped = 1;
            return 0;
        }
        sg_buf_reset(&x->line);
    }
    return len;
}

/* Common options of every transfer. `auth` is the header list (owned by the caller). */
static int setup(sg_kube_client_t *c, CURL *h, const char *path, struct curl_slist **hdrs, const char *content_type,
                 sg_error_t *err)
{
    sg_buf_t url = SG_BUF_INIT, tok = SG_BUF_INIT;
    int rc = sg_kube__token_get(c, &tok, err);
    if (rc != SG_OK)
        goto cleanup;
    if (sg_buf_puts(&url, c->cfg.server) != 0 || sg_buf_puts(&url, path) != 0) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto cleanup;
    }
    curl_easy_setopt(h, CURLOPT_URL, url.base);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (c->cfg.insecure_skip_verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (c->cfg.ca_data != NULL) {
        struct curl_blob b = {c->cfg.ca_data, c->cfg.ca_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
    } else if (c->cfg.ca_file != NULL) {
        curl_easy_setopt(h, CURLOPT_CAINFO, c->cfg.ca_file);
    }
    if (c->cfg.cert_data != NULL) {
        struct curl_blob b = {c->cfg.cert_data, c->cfg.cert_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (c->cfg.cert_file != NULL) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->cfg.cert_file);
    }
    if (c->cfg.key_data != NULL) {
        struct curl_blob b = {c->cfg.key_data, c->cfg.key_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (c->cfg.key_file != NULL) {
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->cfg.key_file);
    }
    *hdrs = curl_slist_append(*hdrs, "Accept: application/json");
    if (content_type != NULL) {
        sg_buf_t ct = SG_BUF_INIT;
        sg_buf_printf(&ct, "Content-Type: %s", content_type);
        *hdrs = curl_slist_append(*hdrs, ct.base);
        sg_buf_dispose(&ct);
    }
    if (tok.len > 0) {
        sg_buf_t auth = SG_BUF_INIT;
        sg_buf_printf(&auth, "Authorization: Bearer %s", tok.base);
        *hdrs = curl_slist_append(*hdrs, auth.base);
        OPENSSL_cleanse(auth.base, auth.len);
        sg_buf_dispose(&auth);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
cleanup:
    if (tok.base != NULL)
        OPENSSL_cleanse(tok.base, tok.len);
    sg_buf_dispose(&tok);
    sg_buf_dispose(&url);
    return rc;
}

static void count(sg_kube_client_t *c, const char *method, long status)
{
    char code[24];
    if (status > 0)
        snprintf(code, sizeof(code), "%ld", status);
    else
        strcpy(code, "<error>");
    sg_series_inc(sg_metric_with4(c->requests, code, method, c->host, NULL));
}

static void free_slist(struct curl_slist *l)
{
    /* The Authorization value is a credential: wipe it before the list is freed. */
    for (struct curl_slist *p = l; p != NULL; p = p->next)
        if (p->data != NULL)
            OPENSSL_cleanse(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

int sg_kube_request(sg_kube_client_t *c, sg_kube_response_t *resp, const char *method, const char *path,
                    const char *body, size_t body_len, const char *content_type, const sg_kube_request_opts_t *opts,
                    sg_error_t *err)
{
    int timeout = opts != NULL && opts->timeout_ms > 0 ? opts->timeout_ms : c->timeout_ms;
    int attempts = opts != NULL && opts->max_attempts > 0 ? opts->max_attempts : c->max_attempts;
    int is_post = strcmp(method, "POST") == 0;
    int rc = SG_EUNAVAILABLE;
    char cerr[CURL_ERROR_SIZE];
    resp->attempts = 0;
    for (int attempt = 0; attempt < attempts; attempt++) {
        sg_buf_reset(&resp->body);
        resp->status = 0;
        resp->retry_after = -1;
        resp->attempts++;
        CURL *h = pool_take(c);
        if (h == NULL)
            return sg_error_set(err, SG_ENOMEM, "kube client: cannot create a curl handle");
        struct curl_slist *hdrs = NULL;
        xfer_t x = {.h = h, .resp = resp, .max_body = SG_KUBE__BODY_MAX};
        if ((rc = setup(c, h, path, &hdrs, body != NULL ? content_type : NULL, err)) != SG_OK) {
            free_slist(hdrs);
            pool_give(c, h);
            return rc;
        }
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (body != NULL) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        }
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
        cerr[0] = '\0';
        CURLcode cc = curl_easy_perform(h);
        int retry = 0, delay = sg_kube__backoff_ms(c->backoff_base_ms, c->backoff_max_ms, attempt);
        if (cc == CURLE_OK) {
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
            count(c, method, resp->status);
            long s = resp->status;
            retry = s == 429 || s == 503 || (!is_post && s >= 500 && s != 501);
            if (retry && resp->retry_after >= 0)
                delay = resp->retry_after * 1000 < c->backoff_max_ms ? resp->retry_after * 1000 : c->backoff_max_ms;
            rc = SG_OK;
        } else {
            count(c, method, 0);
            if (x.too_big) {
                rc = sg_error_set(err, SG_ELIMIT, "kube %s %s: response larger than %zu bytes", method, path,
                                  x.max_body);
            } else {
                int refused = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST;
                int transient = refused || cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SEND_ERROR ||
                                cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE ||
                                cc == CURLE_SSL_CONNECT_ERROR;
                retry = transient && (!is_post || refused);
                rc = sg_error_set(err, transient ? SG_EUNAVAILABLE : SG_EIO, "kube %s %s: %s", method, path,
                                  cerr[0] != '\0' ? cerr : curl_easy_strerror(cc));
            }
        }
        free_slist(hdrs);
        pool_give(c, h);
        if (!retry || attempt + 1 >= attempts)
            break;
        sg_log_debug("kube request retry", "method", SG_LOG_STR, method, "path", SG_LOG_STR, path, "status", SG_LOG_INT,
                     (int)resp->status, "delay_ms", SG_LOG_INT, delay, NULL);
        sg_kube__sleep(delay, NULL);
    }
    return rc;
}

static int stream_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c2, curl_off_t d)
{
    const volatile int *stop = ud;
    return stop != NULL && *stop ? 1 : 0;
}

int sg_kube_stream(sg_kube_client_t *c, sg_kube_response_t *resp, const char *path, sg_kube_line_cb cb, void *ctx,
                   const volatile int *stop, size_t max_line, sg_error_t *err)
{
    sg_buf_reset(&resp->body);
    resp->status = 0;
    resp->retry_after = -1;
    resp->attempts = 1;
    CURL *h = curl_easy_init();
    CURLM *m = curl_multi_init();
    if (h == NULL || m == NULL) {
        curl_easy_cleanup(h);
        curl_multi_cleanup(m);
        return sg_error_set(err, SG_ENOMEM, "kube client: cannot create a curl handle");
    }
    struct curl_slist *hdrs = NULL;
    xfer_t x = {.h = h,
                .resp = resp,
                .max_body = 1u << 20,
                .line_cb = cb,
                .line_ctx = ctx,
                .max_line = max_line > 0 ? max_line : (16u << 20)};
    sg_buf_init(&x.line);
    char cerr[CURL_ERROR_SIZE];
    cerr[0] = '\0';
    int rc = setup(c, h, path, &hdrs, NULL, err);
    if (rc != SG_OK)
        goto cleanup;
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, stream_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)stop);
    curl_multi_add_handle(m, h);
    /* A private multi handle so the wait can be bounded and `*stop` noticed promptly even on a silent stream. */
    int running = 1;
    CURLcode cc = CURLE_OK;
    while (running) {
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            cc = CURLE_FAILED_INIT;
            break;
        }
        if (!running)
            break;
        if (stop != NULL && *stop) {
            x.stopped = 1;
            break;
        }
        curl_multi_poll(m, NULL, 0, 200, NULL);
    }
    int left;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &left)) != NULL)
        if (msg->msg == CURLMSG_DONE)
            cc = msg->data.result;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    count(c, "GET", resp->status); /* client-go counts watches as GET */
    curl_multi_remove_handle(m, h);
    if (x.stopped) {
        rc = SG_OK;
    } else if (x.line_too_long) {
        rc = sg_error_set(err, SG_ELIMIT, "kube watch %s: event larger than %zu bytes", path, x.max_line);
    } else if (cc != CURLE_OK && resp->status == 0) {
        rc = sg_error_set(err, SG_EUNAVAILABLE, "kube watch %s: %s", path,
                          cerr[0] != '\0' ? cerr : curl_easy_strerror(cc));
    } else if (cc != CURLE_OK && resp->status == 200) {
        /* The stream broke mid-way: the caller resumes from its last resourceVersion. */
        rc = sg_error_set(err, SG_EUNAVAILABLE, "kube watch %s: %s", path,
                          cerr[0] != '\0' ? cerr : curl_easy_strerror(cc));
    }
cleanup:
    free_slist(hdrs);
    sg_buf_dispose(&x.line);
    curl_easy_cleanup(h);
    curl_multi_cleanup(m);
    return rc;
}
