/* Reading settings from a YAML file, the environment and single key=value overrides; cross-field validation. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/yaml.h>

#include "internal.h"

extern char **environ;

#define MAX_CONFIG_BYTES (1024 * 1024)

typedef struct st_walk_t {
    sg_config_t *c;
    const char *filename;
    sg_error_t *err;
} walk_t;

static int at(walk_t *w, uint32_t line, uint32_t col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int at(walk_t *w, uint32_t line, uint32_t col, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sg_error_setloc(w->err, SG_EINVALID, w->filename, (int)line, (int)col, "%s:%u:%u: %s", w->filename, line,
                           col, msg);
}

/* The text a scalar node stands for, checked against the kind of key it sets. */
static int node_text(const sg_config__key_t *k, const sg_json_t *v, char *buf, size_t size, const char **text)
{
    switch (v->type) {
    case SG_JSON_STRING:
        if (k->kind == SG_CONFIG__UINT || k->kind == SG_CONFIG__SIZE || k->kind == SG_CONFIG__BOOL)
            return -1;
        *text = v->u.string.ptr;
        return 0;
    case SG_JSON_NUMBER:
        if (k->kind == SG_CONFIG__UINT || k->kind == SG_CONFIG__SIZE || k->kind == SG_CONFIG__TLSVER) {
            snprintf(buf, size, "%.*s", (int)v->u.number.text_len, v->u.number.text);
            *text = buf;
            return 0;
        }
        return -1;
    case SG_JSON_BOOL:
        if (k->kind != SG_CONFIG__BOOL)
            return -1;
        *text = v->u.boolean ? "true" : "false";
        return 0;
    default:
        return -1;
    }
}

/* A sequence of strings as the comma-separated text sg_config__assign reads for list keys. */
static int join_items(const sg_json_t *v, char *buf, size_t size, const char **text)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < v->u.array.len; i++) {
        const sg_json_t *item = v->u.array.items[i];
        if (item->type != SG_JSON_STRING || memchr(item->u.string.ptr, ',', item->u.string.len) != NULL ||
            used + item->u.string.len + 2 > size)
            return -1;
        if (i > 0)
            buf[used++] = ',';
        memcpy(buf + used, item->u.string.ptr, item->u.string.len);
        used += item->u.string.len;
        buf[used] = '\0';
    }
    *text = buf;
    return 0;
}

static const char *expected(const sg_config__key_t *k)
{
    switch (k->kind) {
    case SG_CONFIG__UINT:
    case SG_CONFIG__SIZE:
        return "an integer";
    case SG_CONFIG__BOOL:
        return "true or false";
    case SG_CONFIG__TLSVER:
        return "a TLS version";
    default:
        return "a string";
    }
}

static int walk(walk_t *w, const sg_json_t *obj, const char *prefix)
{
    for (size_t i = 0; i < obj->u.object.len; i++) {
        const sg_json_member_t *m = &obj->u.object.members[i];
        uint32_t kl, kc;
        sg_yaml_key_position(m, &kl, &kc);
        char name[256];
        int n = snprintf(name, sizeof(name), "%s%s%.*s", prefix, prefix[0] ? "." : "", (int)m->key_len, m->key);
        if (n < 0 || (size_t)n >= sizeof(name) || memchr(m->key, '.', m->key_len) != NULL || m->key_len == 0)
            return at(w, kl, kc, "unknown key \"%.*s\"", (int)(m->key_len > 100 ? 100 : m->key_len), m->key);
        const sg_json_t *v = m->value;
        const sg_config__key_t *k = sg_config__find(name, (size_t)n);
        if (k != NULL) {
            if (v->type == SG_JSON_NULL)
                continue; /* "key:" with no value keeps the default */
            char numbuf[64], why[512], list[4100];
            const char *text;
            if (k->kind == SG_CONFIG__LIST && v->type == SG_JSON_ARRAY) {
                if (join_items(v, list, sizeof(list), &text) < 0)
                    return at(w, v->line, v->column, "%s: expected a sequence of names (at most 4096 bytes)", name);
            } else if (node_text(k, v, numbuf, sizeof(numbuf), &text) < 0)
                return at(w, v->line, v->column, "%s: expected %s, got %s", name, expected(k),
                          v->type == SG_JSON_OBJECT   ? "a mapping"
                          : v->type == SG_JSON_ARRAY  ? "a sequence"
                          : v->type == SG_JSON_NUMBER ? "a number"
                          : v->type == SG_JSON_BOOL   ? "a boolean"
                                                      : "a string");
            if (sg_config__assign(w->c, k, text, why, sizeof(why)) < 0)
                return at(w, v->line, v->column, "%s: %s", name, why);
            continue;
        }
        if (sg_config__is_section(name, (size_t)n)) {
            if (v->type == SG_JSON_NULL)
                continue;
            if (v->type != SG_JSON_OBJECT)
                return at(w, v->line, v->column, "%s: expected a mapping", name);
            int rc = walk(w, v, name);
            if (rc < 0)
                return rc;
            continue;
        }
        return at(w, kl, kc, "unknown key \"%s\"", name);
    }
    return SG_OK;
}

static int load_docs(sg_config_t *c, sg_json_t **docs, size_t ndocs, const char *filename, sg_error_t *err)
{
    if (ndocs > 1)
        return sg_error_setloc(err, SG_EINVALID, filename, (int)docs[1]->line, (int)docs[1]->column,
                               "%s:%u:%u: expected one YAML document", filename, docs[1]->line, docs[1]->column);
    if (ndocs == 0 || docs[0]->type == SG_JSON_NULL)
        return SG_OK;
    if (docs[0]->type != SG_JSON_OBJECT)
        return sg_error_setloc(err, SG_EINVALID, filename, (int)docs[0]->line, (int)docs[0]->column,
                               "%s:%u:%u: expected a mapping at the top level", filename, docs[0]->line,
                               docs[0]->column);
    walk_t w = {c, filename, err};
    int rc = walk(&w, docs[0], "");
    if (rc == 0) {
        const char *src = sg_arena_strndup(&c->_arena, filename, strlen(filename));
        c->source = src;
    }
    return rc;
}

int sg_config_load_yaml(sg_config_t *c, const char *buf, size_t len, const char *filename, sg_error_t *err)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t **docs;
    size_t ndocs;
    sg_yaml_opts_t opts = SG_YAML_OPTS_INIT;
    opts.max_bytes = MAX_CONFIG_BYTES;
    opts.max_depth = 16;
    int rc = sg_yaml_parse_opts(&docs, &ndocs, &a, buf, len, filename, &opts, err);
    if (rc == 0)
        rc = load_docs(c, docs, ndocs, filename, err);
    sg_arena_dispose(&a);
    return rc;
}

int sg_config_load_file(sg_config_t *c, const char *path, sg_error_t *err)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t **docs;
    size_t ndocs;
    sg_yaml_opts_t opts = SG_YAML_OPTS_INIT;
    opts.max_bytes = MAX_CONFIG_BYTES;
    opts.max_depth = 16;
    int rc = sg_yaml_load_file(&docs, &ndocs, &a, path, &opts, err);
    if (rc == 0)
        rc = load_docs(c, docs, ndocs, path, err);
    sg_arena_dispose(&a);
    return rc;
}

int sg_config_set(sg_config_t *c, const char *key, const char *value, sg_error_t *err)
{
    const sg_config__key_t *k = sg_config__find(key, strlen(key));
    if (k == NULL)
        return sg_error_set(err, SG_EINVALID, "unknown config key \"%s\"", key);
    char why[512];
    if (sg_config__assign(c, k, value, why, sizeof(why)) < 0)
        return sg_error_set(err, SG_EINVALID, "invalid value \"%.200s\" for %s: %s", value, key, why);
    return SG_OK;
}

/* "http.maxBodyBytes" -> "STORYGATE_HTTP_MAX_BODY_BYTES", "admission.maxJSONDepth" -> "..._MAX_JSON_DEPTH". */
static void env_name(char *out, size_t size, const char *key)
{
    size_t o = (size_t)snprintf(out, size, "STORYGATE_");
    for (size_t i = 0; key[i] != '\0' && o + 2 < size; i++) {
        char ch = key[i];
        if (ch == '.') {
            out[o++] = '_';
            continue;
        }
        if (isupper((unsigned char)ch) && i > 0 && key[i - 1] != '.') {
            int prev_lower = islower((unsigned char)key[i - 1]) || isdigit((unsigned char)key[i - 1]);
            int next_lower = islower((unsigned char)key[i + 1]);
            if (prev_lower || (isupper((unsigned char)key[i - 1]) && next_lower))
                out[o++] = '_';
        }
        out[o++] = (char)toupper((unsigned char)ch);
    }
    out[o] = '\0';
}

int sg_config_apply_env(sg_config_t *c, char *const *envp, sg_error_t *err)
{
    if (envp == NULL)
        envp = environ;
    for (const sg_config__key_t *k = sg_config__keys; k->name != NULL; k++) {
        char name[128];
        env_name(name, sizeof(name), k->name);
        size_t nlen = strlen(name);
        for (char *const *e = envp; *e != NULL; e++) {
            if (strncmp(*e, name, nlen) != 0 || (*e)[nlen] != '=')
                continue;
            char why[512];
            if (sg_config__assign(c, k, *e + nlen + 1, why, sizeof(why)) < 0)
                return sg_error_set(err, SG_EINVALID, "%s: %s", name, why);
        }
    }
    return SG_OK;
}

int sg_config_parse_addr(const char *addr, char *host, size_t host_size, uint16_t *port, sg_error_t *err)
{
    const char *colon, *h = addr;
    size_t hlen;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (close == NULL || close[1] != ':')
            return sg_error_set(err, SG_EINVALID, "address \"%.200s\" must be HOST:PORT", addr);
        h = addr + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)) != NULL)
            return sg_error_set(err, SG_EINVALID, "address \"%.200s\" must be HOST:PORT", addr);
        hlen = (size_t)(colon - addr);
    }
    const char *p = colon + 1;
    char *end;
    long v = strtol(p, &end, 10);
    if (*p < '0' || *p > '9' || *end != '\0' || v < 0 || v > 65535)
        return sg_error_set(err, SG_EINVALID, "address \"%.200s\" has an invalid port", addr);
    if (hlen + 1 > host_size)
        return sg_error_set(err, SG_EINVALID, "address \"%.200s\" has a host name that is too long", addr);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)v;
    return SG_OK;
}

int sg_config_validate(const sg_config_t *c, sg_error_t *err)
{
    for (const sg_config__key_t *k = sg_config__keys; k->name != NULL; k++) {
        if (!k->required)
            continue;
        const char *v = *(const char *const *)((const char *)c + k->offset);
        if (v == NULL || v[0] == '\0')
            return sg_error_set(err, SG_EINVALID, "%s is required", k->name);
    }
    size_t llen = strlen(c->listen);
    int port0 = llen >= 2 && strcmp(c->listen + llen - 2, ":0") == 0;
    if (c->metrics.listen != NULL && !port0 && strcmp(c->metrics.listen, c->listen) == 0)
        return sg_error_set(err, SG_EINVALID, "metrics.listen must differ from listen (%s)", c->listen);
    if (c->leader_election.renew_deadline_seconds >= c->leader_election.lease_duration_seconds ||
        c->leader_election.retry_period_seconds >= c->leader_election.renew_deadline_seconds)
        return sg_error_set(err, SG_EINVALID,
                            "leaderElection: retryPeriodSeconds < renewDeadlineSeconds < leaseDurationSeconds is "
                            "required (got %u, %u, %u)",
                            c->leader_election.retry_period_seconds, c->leader_election.renew_deadline_seconds,
                            c->leader_election.lease_duration_seconds);
    if (strcmp(c->admission.webhook_path_validate, c->admission.webhook_path_mutate) == 0)
        return sg_error_set(err, SG_EINVALID,
                            "admission.webhookPathValidate and admission.webhookPathMutate must differ");
    return SG_OK;
}
