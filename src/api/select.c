/* Label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors (=, ==, != on the fields each kind
 * allows), parsed once per request or watch and matched against parsed objects. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_REQS 64
#define MAX_VALUES 64

typedef enum en_op_t { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOT_EXISTS } op_t;

typedef struct st_req_t {
    int field; /* 1 = field selector */
    op_t op;
    char *key;
    char **values;
    size_t nvalues;
} req_t;

struct st_sg_api__selector_t {
    req_t reqs[MAX_REQS];
    size_t n;
};

void sg_api__selector_free(sg_api__selector_t *sel)
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
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* A label key: [prefix/]name with name <= 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
static int valid_key(const char *k)
{
    const char *slash = strchr(k, '/');
    const char *name = slash != NULL ? slash + 1 : k;
    size_t n = strlen(name);
    if (slash != NULL && (slash == k || slash - k > 253))
        return 0;
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || i == n - 1 || (c != '-' && c != '_' && c != '.')))
            return 0;
    }
    return 1;
}

static int valid_value(const char *v)
{
    size_t n = strlen(v);
    if (n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || i == n - 1 || (c != '-' && c != '_' && c != '.')))
            return 0;
    }
    return 1;
}

static int add_value(req_t *r, const char *s, size_t n)
{
    if (r->nvalues == MAX_VALUES)
        return SG_ELIMIT;
    char **nv = realloc(r->values, (r->nvalues + 1) * sizeof(*nv));
    if (nv == NULL)
        return SG_ENOMEM;
    r->values = nv;
    if ((r->values[r->nvalues] = dup_trim(s, n)) == NULL)
        return SG_ENOMEM;
    r->nvalues++;
    return SG_OK;
}

static int field_supported(sg_store_kind_t kind, const char *f)
{
    if (strcmp(f, "metadata.name") == 0 || strcmp(f, "metadata.namespace") == 0)
        return 1;
    if (kind == SG_KIND_STORYRUN && (strcmp(f, "spec.storyRef.name") == 0 || strcmp(f, "status.phase") == 0))
        return 1;
    if (kind == SG_KIND_STORYTRIGGER && (strcmp(f, "spec.storyRef.name") == 0 || strcmp(f, "status.decision") == 0))
        return 1;
    return 0;
}

/* Parses one requirement s[0..n). */
static int parse_req(req_t *r, sg_store_kind_t kind, int field, const char *s, size_t n, sg_error_t *err)
{
    char *text = dup_trim(s, n);
    int rc = SG_OK;
    if (text == NULL)
        return SG_ENOMEM;
    r->field = field;
    const char *ops[] = {"!=", "==", "="};
    char *at = NULL;
    size_t oplen = 0;
    op_t op = OP_EQ;
    for (size_t i = 0; i < 3 && at == NULL; i++) {
        if ((at = strstr(text, ops[i])) != NULL) {
            oplen = strlen(ops[i]);
            op = i == 0 ? OP_NE : OP_EQ;
        }
    }
    if (at != NULL) {
        r->op = op;
        r->key = dup_trim(text, (size_t)(at - text));
        if (r->key == NULL || (rc = add_value(r, at + oplen, strlen(at + oplen))) < 0)
            goto done;
    } else if (field) {
        rc = sg_error_set(err, SG_EINVALID, "invalid selector: '%.200s'; can't understand '%.200s'", text, text);
        goto done;
    } else {
        char *sp = strpbrk(text, " \t");
        char *paren = strchr(text, '(');
        if (paren != NULL && sp != NULL && sp < paren) {
            char *word = sp;
            while (*word == ' ' || *word == '\t')
                word++;
            if (strncmp(word, "in", 2) == 0 && (word[2] == ' ' || word[2] == '('))
                r->op = OP_IN;
            else if (strncmp(word, "notin", 5) == 0 && (word[5] == ' ' || word[5] == '('))
                r->op = OP_NOTIN;
            else {
                rc = sg_error_set(err, SG_EINVALID, "unable to parse requirement: %.200s", text);
                goto done;
            }
            char *close = strrchr(text, ')');
            if (close == NULL || close < paren || close[1] != '\0') {
                rc = sg_error_set(err, SG_EINVALID, "unable to parse requirement: %.200s", text);
                goto done;
            }
            r->key = dup_trim(text, (size_t)(sp - text));
            if (r->key == NULL) {
                rc = SG_ENOMEM;
                goto done;
            }
            const char *v = paren + 1;
            while (v <= close) {
                const char *e = v;
                while (e < close && *e != ',')
                    e++;
                if ((rc = add_value(r, v, (size_t)(e - v))) < 0)
                    goto done;
                v = e + 1;
            }
        } else if (text[0] == '!') {
            r->op = OP_NOT_EXISTS;
            r->key = dup_trim(text + 1, strlen(text + 1));
        } else {
            r->op = OP_EXISTS;
            r->key = dup_trim(text, strlen(text));
        }
    }
    if (r->key == NULL) {
        rc = SG_ENOMEM;
        goto done;
    }
    if (field) {
        if (!field_supported(kind, r->key))
            rc = sg_error_set(err, SG_EINVALID, "field label not supported: %.200s", r->key);
        goto done;
    }
    if (!valid_key(r->key)) {
        rc = sg_error_set(err, SG_EINVALID, "unable to parse requirement: invalid label key \"%.200s\"", r->key);
        goto done;
    }
    for (size_t i = 0; i < r->nvalues; i++)
        if (!valid_value(r->values[i])) {
            rc = sg_error_set(err, SG_EINVALID, "unable to parse requirement: invalid label value: \"%.200s\"",
                              r->values[i]);
            goto done;
        }
done:
    free(text);
    if (rc == SG_ELIMIT)
        rc = sg_error_set(err, SG_EINVALID, "too many values in a selector requirement");
    return rc;
}

static int parse_list(sg_api__selector_t *sel, sg_store_kind_t kind, int field, const char *s, sg_error_t *err)
{
    size_t i = 0, n = strlen(s);
    while (i < n) {
        size_t j = i;
        int depth = 0;
        while (j < n && (s[j] != ',' || depth > 0)) {
            if (s[j] == '(')
                depth++;
            else if (s[j] == ')' && depth > 0)
                depth--;
            j++;
        }
        size_t a = i, b = j;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        if (a == b)
            return sg_error_set(err, SG_EINVALID, "invalid selector: empty requirement in \"%.200s\"", s);
        if (sel->n == MAX_REQS)
            return sg_error_set(err, SG_EINVALID, "too many selector requirements");
        req_t *r = &sel->reqs[sel->n++];
        int rc = parse_req(r, kind, field, s + a, b - a, err);
        if (rc < 0)
            return rc;
        i = j + 1;
    }
    return SG_OK;
}

int sg_api__selector_parse(sg_api__selector_t **out, sg_store_kind_t kind, const char *labels, const char *fields,
                           sg_error_t *err)
{
    *out = NULL;
    if ((labels == NULL || labels[0] == '\0') && (fields == NULL || fields[0] == '\0'))
        return SG_OK;
    sg_api__selector_t *sel = calloc(1, sizeof(*sel));
    if (sel == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    int rc = SG_OK;
    if (labels != NULL && (rc = parse_list(sel, kind, 0, labels, err)) < 0)
        goto fail;
    if (fields != NULL && (rc = parse_list(sel, kind, 1, fields, err)) < 0)
        goto fail;
    if (sel->n == 0) {
        sg_api__selector_free(sel);
        return SG_OK;
    }
    *out = sel;
    return SG_OK;
fail:
    sg_api__selector_free(sel);
    return rc;
}

static int has_value(const req_t *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0)
            return 1;
    return 0;
}

int sg_api__selector_match(const sg_api__selector_t *sel, const sg_json_t *obj)
{
    if (sel == NULL)
        return 1;
    const sg_json_t *labels = sg_json_path(obj, "metadata.labels");
    for (size_t i = 0; i < sel->n; i++) {
        const req_t *r = &sel->reqs[i];
        const char *v;
        if (r->field) {
            v = sg_json_string(sg_json_path(obj, r->key), NULL);
            if (v == NULL)
                v = ""; /* absent fields compare as empty, as the apiserver's field sets do */
        } else {
            v = sg_json_string(sg_json_get(labels, r->key), NULL);
        }
        int ok;
        switch (r->op) {
        case OP_EQ:
            ok = v != NULL && strcmp(v, r->values[0]) == 0;
            break;
        case OP_NE:
            ok = v == NULL || strcmp(v, r->values[0]) != 0;
            break;
        case OP_IN:
            ok = v != NULL && has_value(r, v);
            break;
        case OP_NOTIN:
            ok = v == NULL || !has_value(r, v);
            break;
        case OP_EXISTS:
            ok = v != NULL;
            break;
        default:
            ok = v == NULL;
            break;
        }
        if (!ok)
            return 0;
    }
    return 1;
}
