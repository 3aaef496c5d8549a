/* The config key table, defaults, and conversion of a text value into a typed field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define OFF(field) offsetof(sg_config_t, field)

static const char *const cross_ns_names[] = {"deny", "grant", "allow", NULL};
static const char *const store_names[] = {"embedded", "kube", NULL};
static const char *const log_format_names[] = {"json", NULL};

const sg_config__key_t sg_config__keys[] = {
    {"listen", SG_CONFIG__ADDR, OFF(listen), 0, 0, NULL, 1},
    {"tls.certFile", SG_CONFIG__STRING, OFF(tls.cert_file), 0, 0, NULL, 1},
    {"tls.keyFile", SG_CONFIG__STRING, OFF(tls.key_file), 0, 0, NULL, 1},
    {"tls.clientCAFile", SG_CONFIG__STRING, OFF(tls.client_ca_file), 0, 0, NULL, 0},
    {"tls.clientAllowedNames", SG_CONFIG__LIST, OFF(tls.client_allowed_names), 0, 0, NULL, 0},
    {"tls.minVersion", SG_CONFIG__TLSVER, OFF(tls.min_version), 0, 0, NULL, 0},
    {"metrics.listen", SG_CONFIG__ADDR, OFF(metrics.listen), 0, 0, NULL, 0},
    {"log.level", SG_CONFIG__LOGLEVEL, OFF(log.level), 0, 0, NULL, 0},
    {"log.format", SG_CONFIG__STRING, OFF(log.format), 0, 0, log_format_names, 0},
    {"http.threads", SG_CONFIG__UINT, OFF(http.threads), 0, 1024, NULL, 0},
    {"http.maxBodyBytes", SG_CONFIG__SIZE, OFF(http.max_body_bytes), 1024, 1024ull * 1024 * 1024, NULL, 0},
    {"http.idleTimeoutSeconds", SG_CONFIG__UINT, OFF(http.idle_timeout_seconds), 1, 86400, NULL, 0},
    {"http.handshakeTimeoutSeconds", SG_CONFIG__UINT, OFF(http.handshake_timeout_seconds), 1, 3600, NULL, 0},
    {"http.requestTimeoutSeconds", SG_CONFIG__UINT, OFF(http.request_timeout_seconds), 1, 3600, NULL, 0},
    {"http.http2MaxResetsPerSecond", SG_CONFIG__UINT, OFF(http.http2_max_resets_per_second), 1, 1000000, NULL, 0},
    {"http.maxConnections", SG_CONFIG__UINT, OFF(http.max_connections), 1, 1000000, NULL, 0},
    {"http.shutdownDelaySeconds", SG_CONFIG__UINT, OFF(http.shutdown_delay_seconds), 0, 3600, NULL, 0},
    {"http.shutdownTimeoutSeconds", SG_CONFIG__UINT, OFF(http.shutdown_timeout_seconds), 0, 3600, NULL, 0},
    {"http.http2", SG_CONFIG__BOOL, OFF(http.http2), 0, 0, NULL, 0},
    {"admission.maxJSONDepth", SG_CONFIG__UINT, OFF(admission.max_json_depth), 1, 10000, NULL, 0},
    {"admission.crossNamespacePolicy", SG_CONFIG__ENUM, OFF(admission.cross_namespace_policy), 0, 0, cross_ns_names, 0},
    {"admission.webhookPathValidate", SG_CONFIG__URLPATH, OFF(admission.webhook_path_validate), 0, 0, NULL, 0},
    {"admission.webhookPathMutate", SG_CONFIG__URLPATH, OFF(admission.webhook_path_mutate), 0, 0, NULL, 0},
    {"admission.maxInlineInputsSize", SG_CONFIG__SIZE, OFF(admission.max_inline_inputs_size), 1, 1024ull * 1024 * 1024,
     NULL, 0},
    {"dataDir", SG_CONFIG__STRING, OFF(data_dir), 0, 0, NULL, 0},
    {"store", SG_CONFIG__ENUM, OFF(store), 0, 0, store_names, 0},
    {"api.tokenFile", SG_CONFIG__STRING, OFF(api.token_file), 0, 0, NULL, 0},
    {"api.manifestsDir", SG_CONFIG__STRING, OFF(api.manifests_dir), 0, 0, NULL, 0},
    {"api.workers", SG_CONFIG__UINT, OFF(api.workers), 1, 1024, NULL, 0},
    {"api.maxQueuedRequests", SG_CONFIG__UINT, OFF(api.max_queued_requests), 1, 1000000, NULL, 0},
    {"storage.basePath", SG_CONFIG__STRING, OFF(storage.base_path), 0, 0, NULL, 0},
    {"policies.dir", SG_CONFIG__STRING, OFF(policies.dir), 0, 0, NULL, 0},
    {"schema.enabled", SG_CONFIG__BOOL, OFF(schema.enabled), 0, 0, NULL, 0},
    {"schema.crdDir", SG_CONFIG__STRING, OFF(schema.crd_dir), 0, 0, NULL, 0},
    {"kube.kubeconfig", SG_CONFIG__STRING, OFF(kube.kubeconfig), 0, 0, NULL, 0},
    {"kube.context", SG_CONFIG__STRING, OFF(kube.context), 0, 0, NULL, 0},
    {"leaderElection.enabled", SG_CONFIG__BOOL, OFF(leader_election.enabled), 0, 0, NULL, 0},
    {"leaderElection.namespace", SG_CONFIG__STRING, OFF(leader_election.namespace_), 0, 0, NULL, 0},
    {"leaderElection.name", SG_CONFIG__STRING, OFF(leader_election.name), 0, 0, NULL, 0},
    {"leaderElection.leaseDurationSeconds", SG_CONFIG__UINT, OFF(leader_election.lease_duration_seconds), 2, 3600, NULL,
     0},
    {"leaderElection.renewDeadlineSeconds", SG_CONFIG__UINT, OFF(leader_election.renew_deadline_seconds), 1, 3600, NULL,
     0},
    {"leaderElection.retryPeriodSeconds", SG_CONFIG__UINT, OFF(leader_election.retry_period_seconds), 1, 3600, NULL, 0},
    {"reconcile.workers", SG_CONFIG__UINT, OFF(reconcile.workers), 1, 1024, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, 0},
};

void sg_config_init(sg_config_t *c)
{
    memset(c, 0, sizeof(*c));
    c->listen = "127.0.0.1:8443";
    c->tls.min_version = 0x0303;
    c->log.level = SG_LOG_INFO;
    c->log.format = "json";
    c->http.threads = 0;
    c->http.max_body_bytes = 7340032;
    c->http.idle_timeout_seconds = 90;
    c->http.handshake_timeout_seconds = 10;
    c->http.request_timeout_seconds = 30;
    c->http.http2_max_resets_per_second = 100;
    c->http.max_connections = 4096;
    c->http.shutdown_delay_seconds = 0;
    c->http.shutdown_timeout_seconds = 25;
    c->http.http2 = 1;
    c->admission.max_json_depth = 128;
    c->admission.cross_namespace_policy = SG_CROSS_NS_DENY;
    c->admission.webhook_path_validate = "/validate";
    c->admission.webhook_path_mutate = "/mutate";
    c->admission.max_inline_inputs_size = 1024;
    c->data_dir = "var/storygate";
    c->store = SG_STORE_EMBEDDED;
    c->api.workers = 32;
    c->api.max_queued_requests = 4096;
    c->schema.enabled = 1;
    c->leader_election.enabled = -1;
    c->leader_election.name = "storygate-leader";
    c->leader_election.lease_duration_seconds = 15;
    c->leader_election.renew_deadline_seconds = 10;
    c->leader_election.retry_period_seconds = 2;
    sg_arena_init(&c->_arena, 4096);
}

void sg_config_dispose(sg_config_t *c)
{
    if (c == NULL)
        return;
    sg_arena_dispose(&c->_arena);
    memset(c, 0, sizeof(*c));
}

const sg_config__key_t *sg_config__find(const char *name, size_t len)
{
    for (const sg_config__key_t *k = sg_config__keys; k->name != NULL; k++)
        if (strlen(k->name) == len && memcmp(k->name, name, len) == 0)
            return k;
    return NULL;
}

int sg_config__is_section(const char *prefix, size_t len)
{
    for (const sg_config__key_t *k = sg_config__keys; k->name != NULL; k++)
        if (strlen(k->name) > len && memcmp(k->name, prefix, len) == 0 && k->name[len] == '.')
            return 1;
    return 0;
}

const char *const *sg_config_keys(void)
{
    static const char *names[sizeof(sg_config__keys) / sizeof(sg_config__keys[0])];
    if (names[0] == NULL)
        for (size_t i = 0; sg_config__keys[i].name != NULL; i++)
            names[i] = sg_config__keys[i].name;
    return names;
}

static int parse_ull(const char *text, unsigned long long *out)
{
    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int why(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return SG_EINVALID;
}

static void join_names(char *buf, size_t size, const char *const *names)
{
    buf[0] = '\0';
    for (size_t i = 0; names[i] != NULL; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
    }
}

/* "a, b,c" -> "a,b,c"; every item non-empty and without blanks. Empty text clears the list. */
static int assign_list(sg_config_t *c, const char **field, const char *text, char *why_buf, size_t why_size)
{
    size_t len = strlen(text);
    if (len > 4096)
        return why(why_buf, why_size, "is too long (limit 4096 bytes)");
    if (strspn(text, " ") == len) {
        *field = NULL;
        return SG_OK;
    }
    char *out = sg_arena_alloc(&c->_arena, len + 1), *o = out;
    if (out == NULL)
        return why(why_buf, why_size, "out of memory");
    for (const char *p = text;;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, ",");
        size_t item = n;
        while (item > 0 && p[item - 1] == ' ')
            item--;
        if (item == 0 || memchr(p, ' ', item) != NULL || memchr(p, '\t', item) != NULL)
            return why(why_buf, why_size, "must be a list of names without blanks");
        if (o != out)
            *o++ = ',';
        memcpy(o, p, item);
        o += item;
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    *o = '\0';
    *field = out;
    return SG_OK;
}

int sg_config__assign(sg_config_t *c, const sg_config__key_t *k, const char *text, char *why_buf, size_t why_size)
{
    char *field = (char *)c + k->offset;
    unsigned long long v;
    switch (k->kind) {
    case SG_CONFIG__STRING:
    case SG_CONFIG__ADDR:
    case SG_CONFIG__URLPATH: {
        if (text[0] == '\0') {
            if (k->required || k->names != NULL || k->kind == SG_CONFIG__URLPATH)
                return why(why_buf, why_size, "must not be empty");
            *(const char **)field = NULL;
            return SG_OK;
        }
        if (strlen(text) > 4096)
            return why(why_buf, why_size, "is too long (limit 4096 bytes)");
        if (k->names != NULL) {
            size_t i;
            for (i = 0; k->names[i] != NULL && strcmp(k->names[i], text) != 0; i++)
                ;
            if (k->names[i] == NULL) {
                char list[256];
                join_names(list, sizeof(list), k->names);
                return why(why_buf, why_size, "must be one of: %s", list);
            }
        }
        if (k->kind == SG_CONFIG__ADDR) {
            char host[256];
            uint16_t port;
            sg_error_t e = SG_ERROR_INIT;
            if (sg_config_parse_addr(text, host, sizeof(host), &port, &e) < 0)
                return why(why_buf, why_size, "%s", e.message);
        }
        if (k->kind == SG_CONFIG__URLPATH && (text[0] != '/' || strpbrk(text, " ?#\t\r\n") != NULL))
            return why(why_buf, why_size, "must be a URL path starting with \"/\"");
        char *copy = sg_arena_strndup(&c->_arena, text, strlen(text));
        if (copy == NULL)
            return why(why_buf, why_size, "out of memory");
        *(const char **)field = copy;
        return SG_OK;
    }
    case SG_CONFIG__UINT:
    case SG_CONFIG__SIZE:
        if (parse_ull(text, &v) < 0 || v < k->min || v > k->max)
            return why(why_buf, why_size, "must be an integer from %llu to %llu", k->min, k->max);
        if (k->kind == SG_CONFIG__UINT)
            *(unsigned *)field = (unsigned)v;
        else
            *(size_t *)field = (size_t)v;
        return SG_OK;
    case SG_CONFIG__BOOL:
        if (strcmp(text, "true") == 0)
            *(int *)field = 1;
        else if (strcmp(text, "false") == 0)
            *(int *)field = 0;
        else
            return why(why_buf, why_size, "must be true or false");
        return SG_OK;
    case SG_CONFIG__ENUM:
        for (int i = 0; k->names[i] != NULL; i++)
            if (strcmp(k->names[i], text) == 0) {
                *(int *)field = i;
                return SG_OK;
            }
        {
            char list[256];
            join_names(list, sizeof(list), k->names);
            return why(why_buf, why_size, "must be one of: %s", list);
        }
    case SG_CONFIG__LOGLEVEL: {
        static const struct {
            const char *name;
            sg_log_level_t level;
        } levels[] = {{"debug", SG_LOG_DEBUG}, {"info", SG_LOG_INFO}, {"warn", SG_LOG_WARN}, {"error", SG_LOG_ERROR}};
        for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
            if (strcasecmp(levels[i].name, text) == 0) {
                *(sg_log_level_t *)field = levels[i].level;
                return SG_OK;
            }
        return why(why_buf, why_size, "must be one of: debug, info, warn, error");
    }
    case SG_CONFIG__LIST:
        return assign_list(c, (const char **)field, text, why_buf, why_size);
    case SG_CONFIG__TLSVER:
        if (strcmp(text, "1.2") == 0 || strcmp(text, "VersionTLS12") == 0)
            *(int *)field = 0x0303;
        else if (strcmp(text, "1.3") == 0 || strcmp(text, "VersionTLS13") == 0)
            *(int *)field = 0x0304;
        else
            return why(why_buf, why_size, "must be \"1.2\" or \"1.3\"");
        return SG_OK;
    }
    return why(why_buf, why_size, "unsupported key");
}
