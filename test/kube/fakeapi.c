/* The apiserver test double: HTTP/1.1 over OpenSSL on blocking sockets, a thread per connection, all state under one
 * mutex. It follows the documented API semantics the client relies on (see fakeapi.h), not an implementation. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <storygate/json.h>
#include <storygate/utf8.h>

#include "fakeapi.h"

#define MAX_CONNS 64
#define MAX_HEADER 65536
#define MAX_BODY (8u << 20)
#define MAX_LOG 100000

typedef struct {
    const char *group, *version, *plural, *kind; /* group "" = the core group, under /api */
    int status_sub;                              /* has the status subresource and is a custom resource */
    int cluster;                                 /* cluster-scoped: no namespace in paths or objects */
} res_t;

static const res_t resources[] = {
    {"bubustack.io", "v1alpha1", "stories", "Story", 1, 0},
    {"policy.bubustack.io", "v1alpha1", "referencegrants", "ReferenceGrant", 1, 0},
    {"runs.bubustack.io", "v1alpha1", "storytriggers", "StoryTrigger", 1, 0},
    {"runs.bubustack.io", "v1alpha1", "storyruns", "StoryRun", 1, 0},
    {"coordination.k8s.io", "v1", "leases", "Lease", 0, 0},
    {"", "v1", "namespaces", "Namespace", 0, 1},
};
#define NRES (sizeof(resources) / sizeof(resources[0]))

typedef struct {
    int res;
    char ns[256], name[256];
    uint64_t rv;
    char *json;
} obj_t;

typedef struct {
    int res;
    uint64_t rv;
    char type[10];
    char ns[256];
    char *json;
} event_t;

typedef struct {
    char method[8];
    char path[512];
} logent_t;

typedef struct {
    char method[8];
    int status, retry_after, count;
} inject_t;

typedef struct conn {
    fakeapi_t *f;
    int fd;
    SSL *ssl;
    pthread_t thread;
    int used, done;
} conn_t;

struct st_fakeapi_t {
    int lfd;
    char url[64];
    SSL_CTX *ctx;
    char *ca_pem;
    size_t ca_len;
    pthread_t accept_thread;
    volatile int stop;
    conn_t conns[MAX_CONNS];
    pthread_mutex_t mu;
    pthread_cond_t cond;
    uint64_t rv, compacted;
    obj_t *objs;
    size_t nobjs, capobjs;
    event_t *events;
    size_t nevents, capevents;
    char **tokens;
    size_t ntokens;
    int any_token;
    char last_auth[512];
    inject_t injects[8];
    size_t ninjects;
    int conflicts;
    char forbidden[128]; /* "" = nothing */
    int drop_gen;
    int open_watches;
    logent_t *log;
    size_t nlog;
};

/* ---------- TLS material ---------- */

static EVP_PKEY *make_key(void)
{
    return EVP_EC_gen("P-256");
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, int server)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    unsigned char serial[8];
    RAND_bytes(serial, sizeof(serial));
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    const char *exts[][2] = {
        {"basicConstraints", server ? "critical,CA:TRUE" : "critical,CA:FALSE"},
        {"subjectAltName", server ? "IP:127.0.0.1,DNS:localhost" : "DNS:client"},
        {"keyUsage", server ? "critical,digitalSignature,keyCertSign" : "critical,digitalSignature"},
        {"extendedKeyUsage", server ? "serverAuth" : "clientAuth"},
    };
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        X509_EXTENSION *e = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
        if (e != NULL) {
            X509_add_ext(x, e, -1);
            X509_EXTENSION_free(e);
        }
    }
    X509_sign(x, key, EVP_sha256());
    return x;
}

static char *pem_of(int (*w)(BIO *, void *), void *obj, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    w(b, obj);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *out = malloc((size_t)n + 1);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
    BIO_free(b);
    return out;
}

static int w_cert(BIO *b, void *x)
{
    return PEM_write_bio_X509(b, x);
}

static int w_key(BIO *b, void *k)
{
    return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

int fakeapi_client_cert(char **cert_pem, char **key_pem, const char *cn)
{
    EVP_PKEY *k = make_key();
    X509 *x = make_cert(k, cn, 0);
    *cert_pem = pem_of(w_cert, x, NULL);
    *key_pem = pem_of(w_key, k, NULL);
    X509_free(x);
    EVP_PKEY_free(k);
    return 0;
}

static int accept_any(int ok, X509_STORE_CTX *ctx)
{
    (void)ok, (void)ctx;
    return 1;
}

/* ---------- I/O ---------- */

static int tls_write(conn_t *c, const char *p, size_t n)
{
    while (n > 0) {
        int w = SSL_write(c->ssl, p, n > 1 << 20 ? 1 << 20 : (int)n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads into buf; waits in slices so that stop is noticed. 0 on EOF/error/stop. */
static int tls_read(conn_t *c, char *buf, size_t cap)
{
    for (;;) {
        if (c->f->stop)
            return 0;
        if (SSL_pending(c->ssl) == 0) {
            struct pollfd p = {c->fd, POLLIN, 0};
            int r = poll(&p, 1, 100);
            if (r == 0)
                continue;
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return 0;
        }
        int n = SSL_read(c->ssl, buf, (int)cap);
        if (n > 0)
            return n;
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ)
            continue;
        return 0;
    }
}

typedef struct {
    char method[16];
    char path[4096];  /* decoded path without query */
    char query[4096]; /* raw query */
    char auth[1024];
    int expect100;
    char *body;
    size_t body_len;
} req_t;

static void url_decode(char *dst, size_t cap, const char *s, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++) {
        if (s[i] == '%' && i + 2 < n && sg_hex_digit(s[i + 1]) >= 0 && sg_hex_digit(s[i + 2]) >= 0) {
            dst[j++] = (char)(sg_hex_digit(s[i + 1]) * 16 + sg_hex_digit(s[i + 2]));
            i += 2;
        } else if (s[i] == '+') {
            dst[j++] = ' ';
        } else {
            dst[j++] = s[i];
        }
    }
    dst[j] = '\0';
}

/* The decoded value of query parameter `key`, or NULL. */
static const char *qparam(const req_t *r, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    const char *p = r->query;
    while (*p != '\0') {
        const char *amp = strchr(p, '&');
        size_t n = amp != NULL ? (size_t)(amp - p) : strlen(p);
        if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            url_decode(out, cap, p + kl + 1, n - kl - 1);
            return out;
        }
        p += n;
        if (*p == '&')
            p++;
    }
    return NULL;
}

/* Reads one request; 0 when the connection should close. `buf` keeps pipelined leftovers. */
static int read_request(conn_t *c, req_t *r, char *buf, size_t *have)
{
    memset(r, 0, sizeof(*r));
    char *end;
    while ((end = memmem(buf, *have, "\r\n\r\n", 4)) == NULL) {
        if (*have >= MAX_HEADER)
            return 0;
        int n = tls_read(c, buf + *have, MAX_HEADER - *have);
        if (n <= 0)
            return 0;
        *have += (size_t)n;
    }
    size_t hlen = (size_t)(end - buf) + 4;
    buf[hlen - 2] = '\0';
    char *line = buf, *nl = strstr(line, "\r\n");
    *nl = '\0';
    char target[8192];
    if (sscanf(line, "%15s %8191s", r->method, target) != 2)
        return 0;
    char *q = strchr(target, '?');
    if (q != NULL) {
        snprintf(r->query, sizeof(r->query), "%s", q + 1);
        *q = '\0';
    }
    url_decode(r->path, sizeof(r->path), target, strlen(target));
    size_t clen = 0;
    for (line = nl + 2; *line != '\0'; line = nl + 2) {
        nl = strstr(line, "\r\n");
        if (nl == NULL)
            nl = line + strlen(line);
        char save = *nl;
        *nl = '\0';
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            clen = strtoul(line + 15, NULL, 10);
        else if (strncasecmp(line, "Authorization:", 14) == 0)
            snprintf(r->auth, sizeof(r->auth), "%s", line + 14 + strspn(line + 14, " "));
        else if (strncasecmp(line, "Expect:", 7) == 0 && strcasestr(line, "100-continue") != NULL)
            r->expect100 = 1;
        *nl = save;
        if (save == '\0')
            break;
    }
    if (clen > MAX_BODY)
        return 0;
    if (r->expect100 && *have - hlen < clen && tls_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
        return 0;
    r->body = malloc(clen + 1);
    size_t got = *have - hlen < clen ? *have - hlen : clen;
    memcpy(r->body, buf + hlen, got);
    size_t rest = *have - hlen - got;
    memmove(buf, buf + hlen + got, rest);
    *have = rest;
    while (got < clen) {
        int n = tls_read(c, r->body + got, clen - got);
        if (n <= 0) {
            free(r->body);
            r->body = NULL;
            return 0;
        }
        got += (size_t)n;
    }
    r->body[clen] = '\0';
    r->body_len = clen;
    return 1;
}

static const char *reason_phrase(int s)
{
    switch (s) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 422:
        return "Unprocessable Entity";
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

static int respond(conn_t *c, int status, const char *body, size_t len, int retry_after)
{
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s%s%s", status,
                     reason_phrase(status), len, retry_after >= 0 ? "Retry-After: " : "", "", "");
    if (retry_after >= 0)
        n += snprintf(head + n, sizeof(head) - (size_t)n, "%d\r\n", retry_after);
    n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
    /* One TLS record for head and body: the response is not split across segments. */
    sg_buf_t b = SG_BUF_INIT;
    sg_buf_append(&b, head, (size_t)n);
    sg_buf_append(&b, body, len);
    int rc = tls_write(c, b.base, b.len);
    sg_buf_dispose(&b);
    return rc;
}

static int respond_status(conn_t *c, int code, const char *reason, const char *msg, int retry_after)
{
    sg_buf_t b = SG_BUF_INIT;
    sg_buf_puts(&b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":");
    sg_json_write_string(&b, msg, strlen(msg));
    sg_buf_printf(&b, ",\"reason\":\"%s\",\"code\":%d}\n", reason, code);
    int rc = respond(c, code, b.base, b.len, retry_after);
    sg_buf_dispose(&b);
    return rc;
}

/* ---------- objects ---------- */

static obj_t *find_obj(fakeapi_t *f, int res, const char *ns, const char *name)
{
    for (size_t i = 0; i < f->nobjs; i++)
        if (f->objs[i].res == res && strcmp(f->objs[i].ns, ns) == 0 && strcmp(f->objs[i].name, name) == 0)
            return &f->objs[i];
    return NULL;
}

static void add_event(fakeapi_t *f, int res, const char *type, const char *ns, const char *json, uint64_t rv)
{
    if (f->nevents == f->capevents) {
        f->capevents = f->capevents ? f->capevents * 2 : 64;
        f->events = realloc(f->events, f->capevents * sizeof(*f->events));
    }
    event_t *e = &f->events[f->nevents++];
    e->res = res;
    e->rv = rv;
    snprintf(e->type, sizeof(e->type), "%s", type);
    snprintf(e->ns, sizeof(e->ns), "%s", ns);
    e->json = strdup(json);
    pthread_cond_broadcast(&f->cond);
}

static void set_str(sg_arena_t *a, sg_json_t *o, const char *k, const char *v)
{
    sg_json_object_set(a, o, k, sg_json_new_string(a, v, strlen(v)));
}

static void set_rv(sg_arena_t *a, sg_json_t *meta, uint64_t rv)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)rv);
    set_str(a, meta, "resourceVersion", tmp);
}

static char *encode(const sg_json_t *v)
{
    sg_buf_t b = SG_BUF_INIT;
    sg_json_encode(&b, v);
    size_t n;
    return sg_buf_detach(&b, &n);
}

static sg_json_t *parse(sg_arena_t *a, const char *s, size_t n)
{
    sg_json_t *v = NULL;
    sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
    return sg_json_parse(&v, a, s, n, &o, NULL) == SG_OK ? v : NULL;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
            return 0;
    }
    return s[0] != '-' && s[0] != '.' && s[n - 1] != '-' && s[n - 1] != '.';
}

/* label selector: a=b, a==b, a!=b, a, !a (comma-separated) */
static int match_labels(const sg_json_t *obj, const char *sel)
{
    if (sel == NULL || sel[0] == '\0')
        return 1;
    const sg_json_t *labels = sg_json_path(obj, "metadata.labels");
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", sel);
    for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        char *ne = strstr(t, "!="), *eq = strchr(t, '=');
        if (ne != NULL) {
            *ne = '\0';
            const sg_json_t *v = sg_json_get(labels, t);
            if (v != NULL && sg_json_string_eq(v, ne + 2))
                return 0;
        } else if (eq != NULL) {
            *eq = '\0';
            const char *want = eq[1] == '=' ? eq + 2 : eq + 1;
            if (!sg_json_string_eq(sg_json_get(labels, t), want))
                return 0;
        } else if (t[0] == '!') {
            if (sg_json_get(labels, t + 1) != NULL)
                return 0;
        } else if (sg_json_get(labels, t) == NULL) {
            return 0;
        }
    }
    return 1;
}

static int match_fields(const sg_json_t *obj, const char *sel)
{
    if (sel == NULL || sel[0] == '\0')
        return 1;
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s", sel);
    for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        char *ne = strstr(t, "!="), *eq = strchr(t, '=');
        int neg = ne != NULL;
        char *val;
        if (ne != NULL) {
            *ne = '\0';
            val = ne + 2;
        } else if (eq != NULL) {
            *eq = '\0';
            val = eq[1] == '=' ? eq + 2 : eq + 1;
        } else {
            return 0;
        }
        const sg_json_t *v = sg_json_path(obj, t);
        const char *s = sg_json_string(v, NULL);
        int same = strcmp(s != NULL ? s : "", val) == 0;
        if (same == neg)
            return 0;
    }
    return 1;
}

static int obj_cmp(const void *a, const void *b)
{
    const obj_t *x = *(obj_t *const *)a, *y = *(obj_t *const *)b;
    int c = strcmp(x->ns, y->ns);
    return c != 0 ? c : strcmp(x->name, y->name);
}

static void fmt_resource(char *out, size_t cap, const res_t *r)
{
    if (r->group[0] == '\0')
        snprintf(out, cap, "%s", r->plural);
    else
        snprintf(out, cap, "%s.%s", r->plural, r->group);
}

/* "group/version", or "v1" for the core group. */
static const char *api_version(char *out, size_t cap, const res_t *r)
{
    if (r->group[0] == '\0')
        snprintf(out, cap, "%s", r->version);
    else
        snprintf(out, cap, "%s/%s", r->group, r->version);
    return out;
}

/* What the apiserver adds to every Namespace: the name label and the Active phase. */
static void namespace_defaults(sg_arena_t *a, sg_json_t *o, const char *name)
{
    sg_json_t *meta = sg_json_get(o, "metadata"), *labels = sg_json_get(meta, "labels");
    if (labels == NULL || labels->type != SG_JSON_OBJECT) {
        labels = sg_json_new_object(a);
        sg_json_object_set(a, meta, "labels", labels);
    }
    set_str(a, labels, "kubernetes.io/metadata.name", name);
    sg_json_t *st = sg_json_new_object(a);
    set_str(a, st, "phase", "Active");
    sg_json_object_set(a, o, "status", st);
}

/* ---------- handlers (called with f->mu held) ---------- */

static int h_create(conn_t *c, int res, const char *ns, const req_t *r)
{
    fakeapi_t *f = c->f;
    const res_t *R = &resources[res];
    sg_arena_t a;
    sg_arena_init(&a, 0);
    int rc;
    char msg[1024], rname[128];
    fmt_resource(rname, sizeof(rname), R);
    sg_json_t *o = parse(&a, r->body, r->body_len);
    if (o == NULL || o->type != SG_JSON_OBJECT) {
        rc = respond_status(c, 400, "BadRequest", "the body of the request was in an unknown format", -1);
        goto done;
    }
    sg_json_t *meta = sg_json_get(o, "metadata");
    if (meta == NULL || meta->type != SG_JSON_OBJECT) {
        meta = sg_json_new_object(&a);
        sg_json_object_set(&a, o, "metadata", meta);
    }
    const char *kind = sg_json_string(sg_json_get(o, "kind"), NULL);
    if (kind != NULL && strcmp(kind, R->kind) != 0) {
        rc = respond_status(c, 400, "BadRequest", "the kind of the object does not match the resource", -1);
        goto done;
    }
    const char *ons = sg_json_string(sg_json_get(meta, "namespace"), NULL);
    if (R->cluster)
        sg_json_object_remove(meta, "namespace");
    else if (ons != NULL && ons[0] != '\0' && strcmp(ons, ns) != 0) {
        rc =
            respond_status(c, 400, "BadRequest",
                           "the namespace of the provided object does not match the namespace sent on the request", -1);
        goto done;
    }
    char name[256];
    const char *n = sg_json_string(sg_json_get(meta, "name"), NULL);
    const char *gen = sg_json_string(sg_json_get(meta, "generateName"), NULL);
    if ((n == NULL || n[0] == '\0') && gen != NULL && gen[0] != '\0') {
        static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
        unsigned char rnd[5];
        RAND_bytes(rnd, 5);
        snprintf(name, sizeof(name), "%.200s%c%c%c%c%c", gen, alnum[rnd[0] % 27], alnum[rnd[1] % 27],
                 alnum[rnd[2] % 27], alnum[rnd[3] % 27], alnum[rnd[4] % 27]);
    } else if (n != NULL && n[0] != '\0') {
        snprintf(name, sizeof(name), "%s", n);
    } else {
        snprintf(msg, sizeof(msg),
                 "%s \"\" is invalid: metadata.name: Required value: name or generateName is required", R->kind);
        rc = respond_status(c, 422, "Invalid", msg, -1);
        goto done;
    }
    if (!valid_name(name)) {
        snprintf(msg, sizeof(msg),
                 "%s \"%s\" is invalid: metadata.name: Invalid value: \"%s\": a lowercase RFC 1123 subdomain must "
                 "consist of lower case alphanumeric characters, '-' or '.'",
                 R->kind, name, name);
        rc = respond_status(c, 422, "Invalid", msg, -1);
        goto done;
    }
    if (find_obj(f, res, ns, name) != NULL) {
        snprintf(msg, sizeof(msg), "%s \"%s\" already exists", rname, name);
        rc = respond_status(c, 409, "AlreadyExists", msg, -1);
        goto done;
    }
    char av[128], uid[40], ts[32];
    set_str(&a, o, "apiVersion", api_version(av, sizeof(av), R));
    set_str(&a, o, "kind", R->kind);
    set_str(&a, meta, "name", name);
    if (!R->cluster)
        set_str(&a, meta, "namespace", ns);
    if (strcmp(R->kind, "Namespace") == 0)
        namespace_defaults(&a, o, name);
    unsigned char u[16];
    RAND_bytes(u, 16);
    snprintf(uid, sizeof(uid), "%02x%02x%02x%02x-%02x%02x-4%x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
             u[3], u[4], u[5], u[6] & 15, u[7], (u[8] & 0x3f) | 0x80, u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    set_str(&a, meta, "uid", uid);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    set_str(&a, meta, "creationTimestamp", ts);
    if (R->status_sub) {
        sg_json_object_set(&a, meta, "generation", sg_json_new_int(&a, 1));
        sg_json_object_remove(o, "status");
    }
    uint64_t rv = ++f->rv;
    set_rv(&a, meta, rv);
    if (f->nobjs == f->capobjs) {
        f->capobjs = f->capobjs ? f->capobjs * 2 : 64;
        f->objs = realloc(f->objs, f->capobjs * sizeof(*f->objs));
    }
    obj_t *ob = &f->objs[f->nobjs++];
    ob->res = res;
    snprintf(ob->ns, sizeof(ob->ns), "%s", ns);
    snprintf(ob->name, sizeof(ob->name), "%s", name);
    ob->rv = rv;
    ob->json = encode(o);
    add_event(f, res, "ADDED", ns, ob->json, rv);
    sg_buf_t b = SG_BUF_INIT;
    sg_buf_printf(&b, "%s\n", ob->json);
    rc = respond(c, 201, b.base, b.len, -1);
    sg_buf_dispose(&b);
done:
    sg_arena_dispose(&a);
    return rc;
}

static void not_found(conn_t *c, const res_t *R, const char *name, int *rc)
{
    char msg[600], rname[128];
    fmt_resource(rname, sizeof(rname), R);
    snprintf(msg, sizeof(msg), "%s \"%s\" not found", rname, name);
    *rc = respond_status(c, 404, "NotFound", msg, -1);
}

static void conflict(conn_t *c, const res_t *R, const char *name, const char *why, int *rc)
{
    char msg[900], rname[128];
    fmt_resource(rname, sizeof(rname), R);
    snprintf(msg, sizeof(msg), "Operation cannot be fulfilled on %s \"%s\": %s", rname, name, why);
    *rc = respond_status(c, 409, "Conflict", msg, -1);
}

/* Simulates another writer touching the object (bumps its resourceVersion). */
static void bump(fakeapi_t *f, obj_t *ob)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *o = parse(&a, ob->json, strlen(ob->json));
    sg_json_t *meta = sg_json_get(o, "metadata");
    sg_json_t *ann = sg_json_get(meta, "annotations");
    if (ann == NULL) {
        ann = sg_json_new_object(&a);
        sg_json_object_set(&a, meta, "annotations", ann);
    }
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)(f->rv + 1));
    set_str(&a, ann, "fakeapi/bumped", tmp);
    ob->rv = ++f->rv;
    set_rv(&a, meta, ob->rv);
    free(ob->json);
    ob->json = encode(o);
    add_event(f, ob->res, "MODIFIED", ob->ns, ob->json, ob->rv);
    sg_arena_dispose(&a);
}

static int h_update(conn_t *c, int res, const char *ns, const char *name, int status, const req_t *r)
{
    fakeapi_t *f = c->f;
    const res_t *R = &resources[res];
    sg_arena_t a;
    sg_arena_init(&a, 0);
    int rc = 0;
    obj_t *ob = find_obj(f, res, ns, name);
    sg_json_t *o = parse(&a, r->body, r->body_len);
    if (o == NULL || o->type != SG_JSON_OBJECT) {
        rc = respond_status(c, 400, "BadRequest", "the body of the request was in an unknown format", -1);
        goto done;
    }
    const char *bname = sg_json_string(sg_json_path(o, "metadata.name"), NULL);
    if (bname == NULL || strcmp(bname, name) != 0) {
        rc = respond_status(c, 400, "BadRequest", "the name of the object does not match the name on the URL", -1);
        goto done;
    }
    if (ob == NULL) {
        not_found(c, R, name, &rc);
        goto done;
    }
    if (f->conflicts > 0) {
        f->conflicts--;
        bump(f, ob);
    }
    const char *rvs = sg_json_string(sg_json_path(o, "metadata.resourceVersion"), NULL);
    if ((rvs == NULL || rvs[0] == '\0') && R->status_sub) {
        char msg[600];
        snprintf(msg, sizeof(msg),
                 "%s \"%s\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update",
                 R->kind, name);
        rc = respond_status(c, 422, "Invalid", msg, -1);
        goto done;
    }
    if (rvs != NULL && rvs[0] != '\0' && strtoull(rvs, NULL, 10) != ob->rv) {
        conflict(c, R, name,
                 "the object has been modified; please apply your changes to the latest version and try again", &rc);
        goto done;
    }
    sg_json_t *old = parse(&a, ob->json, strlen(ob->json));
    sg_json_t *nw;
    if (status) {
        nw = old;
        sg_json_t *st = sg_json_get(o, "status");
        if (st != NULL)
            sg_json_object_set(&a, nw, "status", st);
        else
            sg_json_object_remove(nw, "status");
    } else {
        nw = o;
        sg_json_t *meta = sg_json_get(nw, "metadata"), *ometa = sg_json_get(old, "metadata");
        char av[128];
        set_str(&a, nw, "apiVersion", api_version(av, sizeof(av), R));
        set_str(&a, nw, "kind", R->kind);
        if (R->cluster)
            sg_json_object_remove(meta, "namespace");
        else
            set_str(&a, meta, "namespace", ns);
        sg_json_object_set(&a, meta, "uid", sg_json_get(ometa, "uid"));
        sg_json_object_set(&a, meta, "creationTimestamp", sg_json_get(ometa, "creationTimestamp"));
        if (R->status_sub) {
            sg_json_t *st = sg_json_get(old, "status");
            if (st != NULL)
                sg_json_object_set(&a, nw, "status", st);
            else
                sg_json_object_remove(nw, "status");
            const sg_json_t *g = sg_json_get(ometa, "generation");
            int64_t gen = g != NULL ? (int64_t)g->u.number.value : 1;
            const sg_json_t *os = sg_json_get(old, "spec"), *ns2 = sg_json_get(nw, "spec");
            int same = (os == NULL && ns2 == NULL) || (os != NULL && ns2 != NULL && sg_json_equal(os, ns2));
            sg_json_object_set(&a, meta, "generation", sg_json_new_int(&a, same ? gen : gen + 1));
        }
    }
    /* A write that changes nothing keeps the resourceVersion and makes no event. */
    set_rv(&a, sg_json_get(nw, "metadata"), ob->rv);
    sg_json_t *cmp = parse(&a, ob->json, strlen(ob->json));
    if (!sg_json_equal(cmp, nw)) {
        ob->rv = ++f->rv;
        set_rv(&a, sg_json_get(nw, "metadata"), ob->rv);
        free(ob->json);
        ob->json = encode(nw);
        add_event(f, res, "MODIFIED", ns, ob->json, ob->rv);
    }
    sg_buf_t b = SG_BUF_INIT;
    sg_buf_printf(&b, "%s\n", ob->json);
    rc = respond(c, 200, b.base, b.len, -1);
    sg_buf_dispose(&b);
done:
    sg_arena_dispose(&a);
    return rc;
}

static int h_delete(conn_t *c, int res, const char *ns, const char *name, const req_t *r)
{
    fakeapi_t *f = c->f;
    const res_t *R = &resources[res];
    int rc = 0;
    obj_t *ob = find_obj(f, res, ns, name);
    if (ob == NULL) {
        not_found(c, R, name, &rc);
        return rc;
    }
    sg_arena_t a;
    sg_arena_init(&a, 0);
    if (r->body_len > 0) {
        sg_json_t *opts = parse(&a, r->body, r->body_len);
        const char *want = sg_json_string(sg_json_path(opts, "preconditions.resourceVersion"), NULL);
        if (want != NULL && strtoull(want, NULL, 10) != ob->rv) {
            char why[200];
            snprintf(why, sizeof(why),
                     "Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in "
                     "object meta: %llu",
                     want, (unsigned long long)ob->rv);
            conflict(c, R, name, why, &rc);
            sg_arena_dispose(&a);
            return rc;
        }
    }
    sg_json_t *o = parse(&a, ob->json, strlen(ob->json));
    uint64_t rv = ++f->rv;
    set_rv(&a, sg_json_get(o, "metadata"), rv);
    char *last = encode(o);
    add_event(f, res, "DELETED", ns, last, rv);
    free(ob->json);
    *ob = f->objs[--f->nobjs];
    sg_buf_t b = SG_BUF_INIT;
    sg_buf_printf(&b, "%s\n", last);
    rc = respond(c, 200, b.base, b.len, -1);
    sg_buf_dispose(&b);
    free(last);
    sg_arena_dispose(&a);
    return rc;
}

static int h_list(conn_t *c, int res, const char *ns, const req_t *r)
{
    fakeapi_t *f = c->f;
    const res_t *R = &resources[res];
    char lsel[1024], fsel[1024], lim[32], cont[64];
    const char *ls = qparam(r, "labelSelector", lsel, sizeof(lsel));
    const char *fs = qparam(r, "fieldSelector", fsel, sizeof(fsel));
    size_t limit = qparam(r, "limit", lim, sizeof(lim)) != NULL ? strtoul(lim, NULL, 10) : 0;
    size_t skip = qparam(r, "continue", cont, sizeof(cont)) != NULL ? strtoul(cont, NULL, 10) : 0;
    obj_t **sel = malloc((f->nobjs + 1) * sizeof(*sel));
    size_t n = 0;
    sg_arena_t a;
    sg_arena_init(&a, 0);
    for (size_t i = 0; i < f->nobjs; i++) {
        obj_t *ob = &f->objs[i];
        if (ob->res != res || (ns != NULL && strcmp(ob->ns, ns) != 0))
            continue;
        sg_json_t *o = parse(&a, ob->json, strlen(ob->json));
        if (match_labels(o, ls) && match_fields(o, fs))
            sel[n++] = ob;
    }
    qsort(sel, n, sizeof(*sel), obj_cmp);
    sg_buf_t b = SG_BUF_INIT;
    char av[128];
    sg_buf_printf(&b, "{\"apiVersion\":\"%s\",\"kind\":\"%sList\",\"metadata\":{\"resourceVersion\":\"%llu\"",
                  api_version(av, sizeof(av), R), R->kind, (unsigned long long)f->rv);
    size_t end = limit > 0 && skip + limit < n ? skip + limit : n;
    if (end < n)
        sg_buf_printf(&b, ",\"continue\":\"%zu\"", end);
    sg_buf_puts(&b, "},\"items\":[");
    for (size_t i = skip; i < end; i++)
        sg_buf_printf(&b, "%s%s", i > skip ? "," : "", sel[i]->json);
    sg_buf_puts(&b, "]}\n");
    int rc = respond(c, 200, b.base, b.len, -1);
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
    free(sel);
    return rc;
}

static int chunk(conn_t *c, const char *s, size_t n)
{
    sg_buf_t b = SG_BUF_INIT;
    sg_buf_printf(&b, "%zx\r\n", n);
    sg_buf_append(&b, s, n);
    sg_buf_append(&b, "\r\n", 2);
    int rc = tls_write(c, b.base, b.len);
    sg_buf_dispose(&b);
    return rc;
}

static int send_event(conn_t *c, const char *type, const char *json)
{
    sg_buf_t b = SG_BUF_INIT;
    sg_buf_printf(&b, "{\"type\":\"%s\",\"object\":%s}\n", type, json);
    int rc = chunk(c, b.base, b.len);
    sg_buf_dispose(&b);
    return rc;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Returns -1 to close the connection (stream broken or ended). Entered and left with f->mu held. */
static int h_watch(conn_t *c, int res, const char *ns, const req_t *r)
{
    fakeapi_t *f = c->f;
    const res_t *R = &resources[res];
    char tmp[64], lsel[1024], fsel[1024];
    const char *rvs = qparam(r, "resourceVersion", tmp, sizeof(tmp));
    uint64_t from = rvs != NULL ? strtoull(rvs, NULL, 10) : 0;
    char tos[32];
    int timeout = qparam(r, "timeoutSeconds", tos, sizeof(tos)) != NULL ? atoi(tos) : 1800;
    char bm[16];
    int bookmarks = qparam(r, "allowWatchBookmarks", bm, sizeof(bm)) != NULL && strcmp(bm, "true") == 0;
    const char *ls = qparam(r, "labelSelector", lsel, sizeof(lsel));
    const char *fs = qparam(r, "fieldSelector", fsel, sizeof(fsel));
    const char *head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    if (tls_write(c, head, strlen(head)) != 0)
        return -1;
    if (from != 0 && from < f->compacted) {
        char buf[512];
        snprintf(buf, sizeof(buf),
                 "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"too "
                 "old resource version: %llu (%llu)\",\"reason\":\"Expired\",\"code\":410}",
                 (unsigned long long)from, (unsigned long long)f->compacted);
        send_event(c, "ERROR", buf);
        tls_write(c, "0\r\n\r\n", 5);
        return 0;
    }
    sg_arena_t a;
    sg_arena_init(&a, 0);
    uint64_t pos = from;
    if (from == 0) {
        for (size_t i = 0; i < f->nobjs; i++) {
            obj_t *ob = &f->objs[i];
            if (ob->res != res || (ns != NULL && strcmp(ob->ns, ns) != 0))
                continue;
            sg_json_t *o = parse(&a, ob->json, strlen(ob->json));
            if (match_labels(o, ls) && match_fields(o, fs) && send_event(c, "ADDED", ob->json) != 0) {
                sg_arena_dispose(&a);
                return -1;
            }
        }
        pos = f->rv;
    }
    int gen = f->drop_gen, rc = 0;
    int64_t end = mono_ms() + (int64_t)timeout * 1000, last_bm = mono_ms();
    f->open_watches++;
    while (!f->stop) {
        for (size_t i = 0; i < f->nevents; i++) {
            event_t *e = &f->events[i];
            if (e->rv <= pos || e->res != res || (ns != NULL && strcmp(e->ns, ns) != 0))
                continue;
            sg_arena_reset(&a);
            sg_json_t *o = parse(&a, e->json, strlen(e->json));
            if (match_labels(o, ls) && match_fields(o, fs) && send_event(c, e->type, e->json) != 0) {
                rc = -1;
                goto out;
            }
        }
        if (f->nevents > 0 && f->events[f->nevents - 1].rv > pos)
            pos = f->events[f->nevents - 1].rv;
        if (f->rv > pos && f->nevents == 0)
            pos = f->rv;
        if (gen != f->drop_gen) {
            rc = -1; /* broken mid-stream: no terminating chunk */
            goto out;
        }
        int64_t now = mono_ms();
        if (now >= end) {
            tls_write(c, "0\r\n\r\n", 5);
            goto out;
        }
        if (bookmarks && now - last_bm >= 1000) {
            char buf[256], av[128];
            snprintf(buf, sizeof(buf),
                     "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%llu\"}}", R->kind,
                     api_version(av, sizeof(av), R), (unsigned long long)pos);
            if (send_event(c, "BOOKMARK", buf) != 0) {
                rc = -1;
                goto out;
            }
            last_bm = now;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&f->cond, &f->mu, &ts);
    }
    rc = -1;
out:
    f->open_watches--;
    sg_arena_dispose(&a);
    return rc;
}

/* Splits /apis/{g}/{v}/[namespaces/{ns}/]{plural}[/{name}[/status]], and the core group's cluster-scoped
 * /api/v1/{plural}[/{name}]. */
static int route(const char *path, int *res, char *ns, char *name, int *status)
{
    char parts[8][256];
    int n = 0;
    const char *p = path;
    if (*p == '/')
        p++;
    while (*p != '\0' && n < 8) {
        size_t len = strcspn(p, "/");
        if (len >= 256)
            return -1;
        memcpy(parts[n], p, len);
        parts[n][len] = '\0';
        n++;
        p += len;
        if (*p == '/')
            p++;
    }
    ns[0] = name[0] = '\0';
    *status = 0;
    *res = -1;
    if (*p == '\0' && n >= 3 && n <= 4 && strcmp(parts[0], "api") == 0) {
        for (size_t k = 0; k < NRES; k++)
            if (resources[k].cluster && resources[k].group[0] == '\0' && strcmp(resources[k].version, parts[1]) == 0 &&
                strcmp(resources[k].plural, parts[2]) == 0)
                *res = (int)k;
        if (*res < 0)
            return -1;
        if (n == 4)
            snprintf(name, 256, "%s", parts[3]);
        return 0;
    }
    if (*p != '\0' || n < 4 || strcmp(parts[0], "apis") != 0)
        return -1;
    int i = 3;
    if (strcmp(parts[3], "namespaces") == 0 && n >= 6) {
        snprintf(ns, 256, "%s", parts[4]);
        i = 5;
    }
    for (size_t k = 0; k < NRES; k++)
        if (!resources[k].cluster && strcmp(resources[k].group, parts[1]) == 0 &&
            strcmp(resources[k].version, parts[2]) == 0 && strcmp(resources[k].plural, parts[i]) == 0)
            *res = (int)k;
    if (*res < 0)
        return -1;
    if (n > i + 1)
        snprintf(name, 256, "%s", parts[i + 1]);
    if (n > i + 2) {
        if (strcmp(parts[i + 2], "status") != 0 || n > i + 3)
            return -1;
        *status = 1;
    }
    return 0;
}

static int authorized(fakeapi_t *f, conn_t *c, const req_t *r)
{
    X509 *peer = SSL_get1_peer_certificate(c->ssl);
    if (peer != NULL) {
        char cn[256] = "";
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
        snprintf(f->last_auth, sizeof(f->last_auth), "cn:%s", cn);
        X509_free(peer);
        return 1;
    }
    const char *tok = strncmp(r->auth, "Bearer ", 7) == 0 ? r->auth + 7 : "";
    snprintf(f->last_auth, sizeof(f->last_auth), "%s", tok);
    if (!f->any_token)
        return 1;
    for (size_t i = 0; i < f->ntokens; i++)
        if (f->tokens[i] != NULL && strcmp(f->tokens[i], tok) == 0)
            return 1;
    return 0;
}

/* Serves one request; returns -1 to close the connection. */
static int serve(conn_t *c, const req_t *r)
{
    fakeapi_t *f = c->f;
    int rc = 0;
    pthread_mutex_lock(&f->mu);
    if (f->nlog < MAX_LOG) {
        logent_t *l = &f->log[f->nlog++];
        snprintf(l->method, sizeof(l->method), "%.7s", r->method);
        snprintf(l->path, sizeof(l->path), "%.511s", r->path);
    }
    char watchq[16];
    int watch = strcmp(r->method, "GET") == 0 && qparam(r, "watch", watchq, sizeof(watchq)) != NULL &&
                (strcmp(watchq, "true") == 0 || strcmp(watchq, "1") == 0);
    if (watch && f->nlog <= MAX_LOG)
        snprintf(f->log[f->nlog - 1].method, sizeof(f->log[0].method), "WATCH");
    if (!authorized(f, c, r)) {
        rc = respond_status(c, 401, "Unauthorized", "Unauthorized", -1);
        goto done;
    }
    if (f->forbidden[0] != '\0' && strstr(r->path, f->forbidden) != NULL) {
        rc = respond_status(c, 403, "Forbidden", "forbidden by the test", -1);
        goto done;
    }
    for (size_t i = 0; i < f->ninjects; i++) {
        inject_t *in = &f->injects[i];
        if (in->count > 0 && (in->method[0] == '\0' || strcmp(in->method, watch ? "WATCH" : r->method) == 0)) {
            in->count--;
            char msg[64];
            snprintf(msg, sizeof(msg), "injected failure %d", in->status);
            rc = respond_status(c, in->status, in->status == 429 ? "TooManyRequests" : "InternalError", msg,
                                in->retry_after);
            goto done;
        }
    }
    int res, status;
    char ns[256], name[256];
    if (route(r->path, &res, ns, name, &status) != 0) {
        rc = respond_status(c, 404, "NotFound", "the server could not find the requested resource", -1);
        goto done;
    }
    const char *nsp = ns[0] != '\0' ? ns : NULL;
    int scoped = nsp != NULL || resources[res].cluster; /* the path names an object's scope */
    if (watch && name[0] == '\0') {
        rc = h_watch(c, res, nsp, r);
        goto done;
    }
    if (strcmp(r->method, "GET") == 0 && name[0] == '\0') {
        rc = h_list(c, res, nsp, r);
    } else if (strcmp(r->method, "GET") == 0 && scoped) {
        obj_t *ob = find_obj(f, res, ns, name);
        if (ob == NULL) {
            not_found(c, &resources[res], name, &rc);
        } else {
            sg_buf_t b = SG_BUF_INIT;
            sg_buf_printf(&b, "%s\n", ob->json);
            rc = respond(c, 200, b.base, b.len, -1);
            sg_buf_dispose(&b);
        }
    } else if (strcmp(r->method, "POST") == 0 && scoped && name[0] == '\0') {
        rc = h_create(c, res, ns, r);
    } else if (strcmp(r->method, "PUT") == 0 && scoped && name[0] != '\0' && (!status || resources[res].status_sub)) {
        rc = h_update(c, res, ns, name, status, r);
    } else if (strcmp(r->method, "DELETE") == 0 && scoped && name[0] != '\0' && !status) {
        rc = h_delete(c, res, ns, name, r);
    } else {
        rc = respond_status(c, 405, "MethodNotAllowed",
                            "the server does not allow this method on the requested resource", -1);
    }
done:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static void *conn_main(void *ud)
{
    conn_t *c = ud;
    char *buf = malloc(MAX_HEADER + 1);
    size_t have = 0;
    if (SSL_accept(c->ssl) == 1) {
        req_t r;
        while (!c->f->stop && read_request(c, &r, buf, &have)) {
            int rc = serve(c, &r);
            free(r.body);
            if (rc != 0)
                break;
        }
    }
    free(buf);
    SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    close(c->fd);
    __atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *accept_main(void *ud)
{
    fakeapi_t *f = ud;
    while (!f->stop) {
        struct pollfd p = {f->lfd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn_t *slot = NULL;
        for (int i = 0; i < MAX_CONNS; i++) {
            conn_t *c = &f->conns[i];
            if (c->used && __atomic_load_n(&c->done, __ATOMIC_SEQ_CST)) {
                pthread_join(c->thread, NULL);
                c->used = 0;
            }
            if (!c->used && slot == NULL)
                slot = c;
        }
        if (slot == NULL) {
            close(fd);
            continue;
        }
        slot->f = f;
        slot->fd = fd;
        slot->ssl = SSL_new(f->ctx);
        SSL_set_fd(slot->ssl, fd);
        slot->done = 0;
        slot->used = 1;
        if (pthread_create(&slot->thread, NULL, conn_main, slot) != 0) {
            SSL_free(slot->ssl);
            close(fd);
            slot->used = 0;
        }
    }
    return NULL;
}

fakeapi_t *fakeapi_start(void)
{
    /* A client hanging up mid-response must not kill the test process. */
    signal(SIGPIPE, SIG_IGN);
    fakeapi_t *f = calloc(1, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->log = calloc(MAX_LOG, sizeof(*f->log));
    f->rv = 100;
    EVP_PKEY *key = make_key();
    X509 *cert = make_cert(key, "fakeapi", 1);
    f->ca_pem = pem_of(w_cert, cert, &f->ca_len);
    f->ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(f->ctx, cert);
    SSL_CTX_use_PrivateKey(f->ctx, key);
    SSL_CTX_set_verify(f->ctx, SSL_VERIFY_PEER, accept_any);
    X509_free(cert);
    EVP_PKEY_free(key);
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    if (bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(f->lfd, 64) != 0 ||
        getsockname(f->lfd, (struct sockaddr *)&sa, &sl) != 0) {
        close(f->lfd);
        SSL_CTX_free(f->ctx);
        free(f->ca_pem);
        free(f->log);
        free(f);
        return NULL;
    }
    snprintf(f->url, sizeof(f->url), "https://127.0.0.1:%d", ntohs(sa.sin_port));
    pthread_create(&f->accept_thread, NULL, accept_main, f);
    return f;
}

void fakeapi_stop(fakeapi_t *f)
{
    if (f == NULL)
        return;
    f->stop = 1;
    pthread_mutex_lock(&f->mu);
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->accept_thread, NULL);
    for (int i = 0; i < MAX_CONNS; i++)
        if (f->conns[i].used)
            pthread_join(f->conns[i].thread, NULL);
    close(f->lfd);
    SSL_CTX_free(f->ctx);
    for (size_t i = 0; i < f->nobjs; i++)
        free(f->objs[i].json);
    for (size_t i = 0; i < f->nevents; i++)
        free(f->events[i].json);
    for (size_t i = 0; i < f->ntokens; i++)
        free(f->tokens[i]);
    free(f->tokens);
    free(f->objs);
    free(f->events);
    free(f->log);
    free(f->ca_pem);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cond);
    free(f);
}

const char *fakeapi_url(fakeapi_t *f)
{
    return f->url;
}

const char *fakeapi_ca_pem(fakeapi_t *f, size_t *len)
{
    if (len != NULL)
        *len = f->ca_len;
    return f->ca_pem;
}

void fakeapi_allow_token(fakeapi_t *f, const char *token)
{
    pthread_mutex_lock(&f->mu);
    f->tokens = realloc(f->tokens, (f->ntokens + 1) * sizeof(*f->tokens));
    f->tokens[f->ntokens++] = strdup(token);
    f->any_token = 1;
    pthread_mutex_unlock(&f->mu);
}

void fakeapi_deny_token(fakeapi_t *f, const char *token)
{
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->ntokens; i++)
        if (f->tokens[i] != NULL && strcmp(f->tokens[i], token) == 0) {
            free(f->tokens[i]);
            f->tokens[i] = NULL;
        }
    pthread_mutex_unlock(&f->mu);
}

void fakeapi_last_auth(fakeapi_t *f, char *out, size_t cap)
{
    pthread_mutex_lock(&f->mu);
    snprintf(out, cap, "%s", f->last_auth);
    pthread_mutex_unlock(&f->mu);
}

void fakeapi_inject(fakeapi_t *f, const char *method, int status, int retry_after, int count)
{
    pthread_mutex_lock(&f->mu);
    inject_t *in = NULL;
    for (size_t i = 0; i < f->ninjects && in == NULL; i++)
        if (f->injects[i].count == 0)
            in = &f->injects[i];
    if (in == NULL && f->ninjects < sizeof(f->injects) / sizeof(f->injects[0]))
        in = &f->injects[f->ninjects++];
    if (in != NULL) {
        snprintf(in->method, sizeof(in->method), "%s", method != NULL ? method : "");
        in->status = status;
        in->retry_after = retry_after;
        in->count = count;
    }
    pthread_mutex_unlock(&f->mu);
}

void fakeapi_forbid(fakeapi_t *f, const char *needle)
{
    pthread_mutex_lock(&f->mu);
    snprintf(f->forbidden, sizeof(f->forbidden), "%s", needle != NULL ? needle : "");
    pthread_mutex_unlock(&f->mu);
}

void fakeapi_clear_injections(fakeapi_t *f)
{
    pthread_mutex_lock(&f->mu);
    f->ninjects = 0;
    pthread_mutex_unlock(&f->mu);
}

void fakeapi_inject_conflicts(fakeapi_t *f, int count)
{
    pthread_mutex_lock(&f->mu);
    f->conflicts = count;
    pthread_mutex_unlock(&f->mu);
}

void fakeapi_compact(fakeapi_t *f)
{
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nevents; i++)
        free(f->events[i].json);
    f->nevents = 0;
    f->compacted = f->rv;
    pthread_mutex_unlock(&f->mu);
}

void fakeapi_drop_watches(fakeapi_t *f)
{
    pthread_mutex_lock(&f->mu);
    f->drop_gen++;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
}

int fakeapi_count(fakeapi_t *f, const char *method, const char *needle)
{
    int n = 0;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nlog; i++)
        if ((method == NULL || strcmp(f->log[i].method, method) == 0) &&
            (needle == NULL || strstr(f->log[i].path, needle) != NULL))
            n++;
    pthread_mutex_unlock(&f->mu);
    return n;
}

int fakeapi_open_watches(fakeapi_t *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->open_watches;
    pthread_mutex_unlock(&f->mu);
    return n;
}

uint64_t fakeapi_rv(fakeapi_t *f)
{
    pthread_mutex_lock(&f->mu);
    uint64_t rv = f->rv;
    pthread_mutex_unlock(&f->mu);
    return rv;
}
