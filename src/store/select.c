/* Label selectors (=, ==, !=, exists, !exists, in, notin) and field selectors (=, ==, != on the fields each kind
 * makes selectable) as Kubernetes list and watch calls accept them, with the apiserver's error messages. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SELECTOR_MAX_BYTES 4096
#define SELECTOR_MAX_REQS 64
#define SELECTOR_MAX_VALUES 64

typedef enum { OP_EQ, OP_NEQ, OP_EXISTS, OP_NEXISTS, OP_IN, OP_NOTIN } op_t;

typedef struct {
    int field; /* 0 = label, 1 = field path */
    op_t op;
    char *key;
    char **values;
    size_t nvalues;
} req_t;

struct st_sg_store_selector_t {
    req_t reqs[SELECTOR_MAX_REQS];
    size_t n;
};

void sg_store_selector_free(sg_store_selector_t *sel)
{
    if (sel == NULL)
        return;
    for (size_t i = 0; i < sel->n; i++) {
        free(sel->reqs[i].key);
        for (size_t j = 0; j < sel->reqs[i].nvalues; j++)
            free(sel->reqs[i].values[j]);
        free(sel->reqs[i].values);
    }
    free(sel);
}

static char *dup_trim(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

static int add_value(req_t *r, const char *s, size_t n)
{
    if (r->nvalues == SELECTOR_MAX_VALUES)
        return SG_ELIMIT;
    char **v = realloc(r->values, (r->nvalues + 1) * sizeof(*v));
    if (v == NULL)
        return SG_ENOMEM;
    r->values = v;
    if ((v[r->nvalues] = dup_trim(s, n)) == NULL)
        return SG_ENOMEM;
    r->nvalues++;
    return SG_OK;
}

/* [A-Za-z0-9._-]{0,63}, alphanumeric at both ends: a label value, or the name part of a key. */
static int valid_name(const char *v, size_t n)
{
    if (n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)v[i]) && (i == 0 || i == n - 1 || (v[i] != '-' && v[i] != '_' && v[i] != '.')))
            return 0;
    return 1;
}

/* A label key: [prefix/]name, prefix at most 253 bytes, name non-empty. */
static int valid_key(const char *k)
{
    const char *slash = strchr(k, '/');
    const char *name = slash != NULL ? slash + 1 : k;
    if (slash != NULL && (slash == k || slash - k > 253))
        return 0;
    return *name != '\0' && valid_name(name, strlen(name));
}

static int valid_value(const char *v)
{
    return valid_name(v, strlen(v));
}

/* The fields a kind's CRD makes selectable, plus metadata.name and metadata.namespace everywhere. */
static int field_supported(sg_store_kind_t kind, const char *f)
{
    if (strcmp(f, "metadata.name") == 0 || strcmp(f, "metadata.namespace") == 0)
        return 1;
    if (kind == SG_KIND_STORYRUN && (strcmp(f, "spec.storyRef.name") == 0 || strcmp(f, "status.phase") == 0))
        return 1;
    if (kind == SG_KIND_STORYTRIGGER && (strcmp(f, "spec.storyRef.name") == 0 || strcmp(f, "status.decision") == 0))
        return 1;
    if (kind == SG_KIND_NAMESPACE && strcmp(f, "status.phase") == 0)
        return 1;
    return 0;
}

/* Parses one requirement s[0..n) into r. */
static int parse_req(req_t *r, sg_store_kind_t kind, int field, const char *s, size_t n, sg_error_t *err)
{
    r->field = field;
    const char *end = s + n, *p;
    while (s < end && isspace((unsigned char)*s))
        s++;
    if (!field && s < end && *s == '!') {
        r->op = OP_NEXISTS;
        r->key = dup_trim(s + 1, (size_t)(end - s - 1));
        goto check;
    }
    for (p = s; p < end; p++) {
        if (*p == '=' || *p == '!')
            break;
        if (!field && isspace((unsigned char)*p)) {
            const char *q = p;
            while (q < end && isspace((unsigned char)*q))
                q++;
            int in = (size_t)(end - q) >= 2 && strncmp(q, "in", 2) == 0;
            int notin = (size_t)(end - q) >= 5 && strncmp(q, "notin", 5) == 0;
            if (!in && !notin)
                continue;
            r->op = in ? OP_IN : OP_NOTIN;
            r->key = dup_trim(s, (size_t)(p - s));
            q += in ? 2 : 5;
            while (q < end && isspace((unsigned char)*q))
                q++;
            if (q == end || *q != '(' || end[-1] != ')')
                goto bad;
            q++;
            const char *stop = end - 1;
            while (q <= stop) {
                const char *c = memchr(q, ',', (size_t)(stop - q));
                if (c == NULL)
                    c = stop;
                int rc = add_value(r, q, (size_t)(c - q));
                if (rc != SG_OK)
                    return sg_error_set(err, SG_EINVALID, "too many values in a selector requirement");
                q = c + 1;
            }
            goto check;
        }
    }
    if (p == end) {
        if (field)
            return sg_error_set(err, SG_EINVALID, "invalid selector: '%.*s'; can't understand '%.*s'", (int)n, end - n,
                                (int)n, end - n);
        r->op = OP_EXISTS;
        r->key = dup_trim(s, (size_t)(end - s));
        goto check;
    }
    r->key = dup_trim(s, (size_t)(p - s));
    if (*p == '!') {
        if (p + 1 >= end || p[1] != '=')
            goto bad;
        r->op = OP_NEQ;
        p += 2;
    } else {
        r->op = OP_EQ;
        p += (p + 1 < end && p[1] == '=') ? 2 : 1;
    }
    if (add_value(r, p, (size_t)(end - p)) != SG_OK)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
check:
    if (r->key == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    if (field)
        return field_supported(kind, r->key)
                   ? SG_OK
                   : sg_error_set(err, SG_EINVALID, "field label not supported: %.200s", r->key);
    if (!valid_key(r->key))
        return sg_error_set(err, SG_EINVALID, "unable to parse requirement: invalid label key \"%.200s\"", r->key);
    for (size_t i = 0; i < r->nvalues; i++)
        if (!valid_value(r->values[i]))
            return sg_error_set(err, SG_EINVALID, "unable to parse requirement: invalid label value: \"%.200s\"",
                                r->values[i]);
    return SG_OK;
bad:
    return sg_error_set(err, SG_EINVALID, "unable to parse requirement: %.*s", (int)n, end - n);
}

static int parse_list(sg_store_selector_t *sel, sg_store_kind_t kind, int field, const char *s, sg_error_t *err)
{
    size_t len = strlen(s);
    if (len > SELECTOR_MAX_BYTES)
        return sg_error_set(err, SG_EINVALID, "selector is longer than %d bytes", SELECTOR_MAX_BYTES);
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *q = p;
        int depth = 0;
        while (q < end && (depth > 0 || *q != ',')) {
            if (*q == '(')
                depth++;
            else if (*q == ')')
                depth--;
            q++;
        }
        int blank = 1;
        for (const char *c = p; c < q; c++)
            blank = blank && isspace((unsigned char)*c);
        if (!blank) {
            if (sel->n == SELECTOR_MAX_REQS)
                return sg_error_set(err, SG_EINVALID, "too many selector requirements (more than %d)",
                                    SELECTOR_MAX_REQS);
            int rc = parse_req(&sel->reqs[sel->n++], kind, field, p, (size_t)(q - p), err);
            if (rc != SG_OK)
                return rc;
        }
        p = q + 1;
    }
    return SG_OK;
}

int sg_store_selector_parse(sg_store_selector_t **out, sg_store_kind_t kind, const char *labels, const char *fields,
                            sg_error_t *err)
{
    *out = NULL;
    if ((labels == NULL || *labels == '\0') && (fields == NULL || *fields == '\0'))
        return SG_OK;
    sg_store_selector_t *sel = calloc(1, sizeof(*sel));
    if (sel == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    int rc = SG_OK;
    if (labels != NULL && (rc = parse_list(sel, kind, 0, labels, err)) != SG_OK)
        goto fail;
    if (fields != NULL && (rc = parse_list(sel, kind, 1, fields, err)) != SG_OK)
        goto fail;
    if (sel->n == 0) { /* only blanks: nothing is selected on */
        sg_store_selector_free(sel);
        return SG_OK;
    }
    *out = sel;
    return SG_OK;
fail:
    sg_store_selector_free(sel);
    return rc;
}

static int has_value(const req_t *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0)
            return 1;
    return 0;
}

static int match_req(const req_t *r, const char *v /* NULL = absent */)
{
    switch (r->op) {
    case OP_EQ:
    case OP_IN:
        return v != NULL && has_value(r, v);
    case OP_NEQ:
    case OP_NOTIN:
        return v == NULL || !has_value(r, v);
    case OP_EXISTS:
        return v != NULL;
    case OP_NEXISTS:
        return v == NULL;
    }
    return 0;
}

int sg_store_selector_match(const sg_store_selector_t *sel, const sg_json_t *obj)
{
    if (sel == NULL)
        return 1;
    const sg_json_t *labels = sg_json_path(obj, "metadata.labels");
    for (size_t i = 0; i < sel->n; i++) {
        const req_t *r = &sel->reqs[i];
        const sg_json_t *v = r->field ? sg_json_path(obj, r->key) : sg_json_get(labels, r->key);
        const char *s = sg_json_string(v, NULL);
        if (r->field && s == NULL)
            s = ""; /* an absent field compares as the empty string */
        if (!match_req(r, s))
            return 0;
    }
    return 1;
}

int sg_store__selector_match_key(const sg_store_selector_t *sel, const char *ns, const char *name, int *match)
{
    *match = 1;
    if (sel == NULL)
        return 1;
    for (size_t i = 0; i < sel->n; i++) {
        const req_t *r = &sel->reqs[i];
        if (!r->field)
            return 0;
        const char *v;
        if (strcmp(r->key, "metadata.name") == 0)
            v = name;
        else if (strcmp(r->key, "metadata.namespace") == 0)
            v = ns;
        else
            return 0;
        if (!match_req(r, v))
            *match = 0;
    }
    return 1;
}
