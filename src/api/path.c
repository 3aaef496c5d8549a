/* Request paths and query parameters of the Kubernetes REST shape: /apis/<group>/<version>[/namespaces/<ns>]/<plural>
 * [/<name>[/status]], the core group's cluster-scoped /api/v1/<plural>[/<name>], discovery paths, and the list/watch
 * parameters. Pure functions over bytes, bounded by SG_API__NAME_MAX per segment. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <storygate/utf8.h>

#include "internal.h"

typedef struct st_seg_t {
    const char *p;
    size_t n;
} seg_t;

#define MAX_SEGS 9

static int seg_is(seg_t s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* A DNS-1123 subdomain (names) or label (namespaces, max 63). */
static int valid_name(seg_t s, size_t max, int dots)
{
    if (s.n == 0 || s.n > max)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (alnum)
            continue;
        if (i == 0 || i == s.n - 1 || !(c == '-' || (dots && c == '.')))
            return 0;
    }
    return 1;
}

static const char *known_group(seg_t s)
{
    for (size_t i = 0; i < SG_KIND__COUNT; i++)
        if (sg_api__resources[i].group[0] != '\0' && seg_is(s, sg_api__resources[i].group))
            return sg_api__resources[i].group;
    return NULL;
}

/* /api/v1/<plural>[/<name>]: only cluster-scoped core resources are served (no namespaced core ones). */
static int parse_core(sg_api__path_t *out, const seg_t *segs, size_t n, sg_error_t *err)
{
    out->res = sg_api__resource_find("", 0, segs[1].p, segs[1].n, segs[2].p, segs[2].n);
    if (out->res == NULL || out->res->namespaced || n > 4)
        return sg_error_set(err, SG_ENOTFOUND, "the server could not find the requested resource");
    if (n == 3) {
        out->type = SG_API__PATH_COLLECTION;
        return SG_OK;
    }
    /* Namespace names are DNS labels */
    if (!valid_name(segs[3], 63, 0))
        return sg_error_set(err, SG_EINVALID, "invalid name \"%.*s\"", (int)(segs[3].n > 64 ? 64 : segs[3].n),
                            segs[3].p);
    memcpy(out->name, segs[3].p, segs[3].n);
    out->name[segs[3].n] = '\0';
    out->type = SG_API__PATH_OBJECT;
    return SG_OK;
}

int sg_api__path_parse(sg_api__path_t *out, const char *path, size_t len, sg_error_t *err)
{
    seg_t segs[MAX_SEGS];
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    if (len == 0 || path[0] != '/')
        return sg_error_set(err, SG_ENOTFOUND, "not found");
    size_t i = 1;
    while (i < len) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        if (j > i) {
            if (n == MAX_SEGS)
                return sg_error_set(err, SG_ENOTFOUND, "not found");
            segs[n++] = (seg_t){path + i, j - i};
        } else if (j < len) {
            return sg_error_set(err, SG_ENOTFOUND, "not found"); /* "//" */
        }
        i = j + 1;
    }
    if (n == 1 && seg_is(segs[0], "version")) {
        out->type = SG_API__PATH_VERSION;
        return SG_OK;
    }
    if (n >= 1 && seg_is(segs[0], "api")) {
        if (n == 1)
            out->type = SG_API__PATH_CORE;
        else if (n == 2 && seg_is(segs[1], "v1"))
            out->type = SG_API__PATH_CORE_V1;
        else if (n >= 3 && seg_is(segs[1], "v1"))
            return parse_core(out, segs, n, err);
        else
            return sg_error_set(err, SG_ENOTFOUND, "the server could not find the requested resource");
        return SG_OK;
    }
    if (n == 0 || !seg_is(segs[0], "apis"))
        return sg_error_set(err, SG_ENOTFOUND, "the server could not find the requested resource");
    if (n == 1) {
        out->type = SG_API__PATH_GROUPS;
        return SG_OK;
    }
    if ((out->group = known_group(segs[1])) == NULL)
        return sg_error_set(err, SG_ENOTFOUND, "the server could not find the requested resource");
    if (n == 2) {
        out->type = SG_API__PATH_GROUP;
        return SG_OK;
    }
    if (!seg_is(segs[2], "v1alpha1"))
        return sg_error_set(err, SG_ENOTFOUND, "the server could not find the requested resource");
    if (n == 3) {
        out->type = SG_API__PATH_GROUP_VERSION;
        return SG_OK;
    }
    size_t k = 3;
    if (seg_is(segs[3], "namespaces") && n >= 6) {
        if (!valid_name(segs[4], 63, 0))
            return sg_error_set(err, SG_EINVALID, "invalid namespace \"%.*s\"", (int)(segs[4].n > 64 ? 64 : segs[4].n),
                                segs[4].p);
        memcpy(out->ns, segs[4].p, segs[4].n);
        out->ns[segs[4].n] = '\0';
        k = 5;
    }
    out->res = sg_api__resource_find(segs[1].p, segs[1].n, segs[2].p, segs[2].n, segs[k].p, segs[k].n);
    if (out->res == NULL || !out->res->namespaced)
        return sg_error_set(err, SG_ENOTFOUND, "the server could not find the requested resource");
    k++;
    if (k == n) {
        out->type = SG_API__PATH_COLLECTION;
        return SG_OK;
    }
    if (out->ns[0] == '\0') /* objects are namespaced */
        return sg_error_set(err, SG_ENOTFOUND, "the server could not find the requested resource");
    if (!valid_name(segs[k], SG_API__NAME_MAX, 1))
        return sg_error_set(err, SG_EINVALID, "invalid name \"%.*s\"", (int)(segs[k].n > 64 ? 64 : segs[k].n),
                            segs[k].p);
    memcpy(out->name, segs[k].p, segs[k].n);
    out->name[segs[k].n] = '\0';
    out->type = SG_API__PATH_OBJECT;
    k++;
    if (k == n)
        return SG_OK;
    if (k + 1 == n && seg_is(segs[k], "status") && out->res->has_status) {
        out->status = 1;
        return SG_OK;
    }
    return sg_error_set(err, SG_ENOTFOUND, "the server could not find the requested resource");
}

/* URL-decodes s[0..n) into arena memory; NULL on a bad escape (with *bad set) or allocation failure. */
static char *url_decode(const char *s, size_t n, sg_arena_t *arena, int *bad)
{
    char *out = sg_arena_alloc(arena, n + 1);
    size_t o = 0;
    *bad = 0;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int h, l;
            if (i + 2 >= n || (h = sg_hex_digit(s[i + 1])) < 0 || (l = sg_hex_digit(s[i + 2])) < 0) {
                *bad = 1;
                return NULL;
            }
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    if (strlen(out) != o) { /* an encoded NUL */
        *bad = 1;
        return NULL;
    }
    return out;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int truthy(const char *v)
{
    return strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "True") == 0;
}

int sg_api__query_parse(sg_api__query_t *out, const char *q, size_t len, sg_arena_t *arena, sg_error_t *err)
{
    memset(out, 0, sizeof(*out));
    out->include_object = 1;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && q[j] != '&')
            j++;
        size_t eq = i;
        while (eq < j && q[eq] != '=')
            eq++;
        int bad_key = 0, bad_val = 0;
        char *key = url_decode(q + i, eq - i, arena, &bad_key);
        char *val = url_decode(q + (eq < j ? eq + 1 : j), eq < j ? j - eq - 1 : 0, arena, &bad_val);
        if (key == NULL || val == NULL)
            return bad_key || bad_val ? sg_error_set(err, SG_EINVALID, "malformed query string")
                                      : sg_error_set(err, SG_ENOMEM, "out of memory");
        uint64_t num;
        if (strcmp(key, "watch") == 0) {
            out->watch = truthy(val);
        } else if (strcmp(key, "resourceVersion") == 0) {
            if (val[0] != '\0') {
                if (parse_u64(val, &num) < 0)
                    return sg_error_set(err, SG_EINVALID, "invalid resourceVersion \"%.64s\"", val);
                out->has_rv = 1;
                out->resource_version = num;
            }
        } else if (strcmp(key, "labelSelector") == 0) {
            out->label_selector = val;
        } else if (strcmp(key, "fieldSelector") == 0) {
            out->field_selector = val;
        } else if (strcmp(key, "limit") == 0) {
            if (parse_u64(val, &num) < 0)
                return sg_error_set(err, SG_EINVALID, "invalid limit \"%.64s\"", val);
            out->limit = num > 1000000 ? 1000000 : (size_t)num;
        } else if (strcmp(key, "timeoutSeconds") == 0) {
            if (parse_u64(val, &num) < 0)
                return sg_error_set(err, SG_EINVALID, "invalid timeoutSeconds \"%.64s\"", val);
            out->timeout_seconds = num > 86400 ? 86400 : (long)num;
        } else if (strcmp(key, "dryRun") == 0) {
            out->dry_run = strcmp(val, "All") == 0;
            if (!out->dry_run && val[0] != '\0')
                return sg_error_set(err, SG_EINVALID, "unsupported dryRun value \"%.64s\"", val);
        } else if (strcmp(key, "fieldValidation") == 0) {
            out->strict_fields = strcmp(val, "Strict") == 0;
        } else if (strcmp(key, "includeObject") == 0) {
            out->include_object = strcmp(val, "None") == 0 ? 0 : strcmp(val, "Object") == 0 ? 2 : 1;
        }
        i = j + 1;
    }
    return SG_OK;
}

int sg_api__accept_table(const char *accept, size_t len)
{
    /* "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" : any media range naming as=Table in
     * meta.k8s.io (v1 or v1beta1) */
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && accept[j] != ',')
            j++;
        int as_table = 0, meta = 0;
        size_t k = i;
        while (k < j) {
            size_t e = k;
            while (e < j && accept[e] != ';')
                e++;
            const char *p = accept + k;
            size_t n = e - k;
            while (n > 0 && *p == ' ')
                p++, n--;
            if (n == 8 && memcmp(p, "as=Table", 8) == 0)
                as_table = 1;
            if (n == 13 && memcmp(p, "g=meta.k8s.io", 13) == 0)
                meta = 1;
            k = e + 1;
        }
        if (as_table && meta)
            return 1;
        i = j + 1;
    }
    return 0;
}
