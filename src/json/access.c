/* Reading values: member lookup, dotted paths, RFC 6901 JSON Pointers, string accessors and type names. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

sg_json_t *sg_json_getn(const sg_json_t *obj, const char *key, size_t key_len)
{
    if (obj == NULL || obj->type != SG_JSON_OBJECT || key == NULL)
        return NULL;
    const sg_json_member_t *m = obj->u.object.members;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (m[i].key_len == key_len && (key_len == 0 || (m[i].key[0] == key[0] && memcmp(m[i].key, key, key_len) == 0)))
            return m[i].value;
    return NULL;
}

sg_json_t *sg_json_get(const sg_json_t *obj, const char *key)
{
    if (key == NULL)
        return NULL;
    return sg_json_getn(obj, key, strlen(key));
}

sg_json_t *sg_json_path(const sg_json_t *root, const char *dotted)
{
    if (root == NULL || dotted == NULL)
        return NULL;
    const sg_json_t *cur = root;
    const char *p = dotted;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
        cur = sg_json_getn(cur, p, n);
        if (cur == NULL || dot == NULL)
            return (sg_json_t *)cur;
        p = dot + 1;
    }
}

/* One reference token decoded (~1 -> '/', ~0 -> '~') into `out` (cap >= n); -1 on a bad escape. */
static long pointer_token(const char *s, size_t n, char *out, size_t cap)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '~') {
            if (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1'))
                return -1;
            c = s[++i] == '0' ? '~' : '/';
        }
        if (w >= cap)
            return -1;
        out[w++] = c;
    }
    return (long)w;
}

static sg_json_t *array_index(const sg_json_t *arr, const char *tok, size_t n)
{
    if (n == 0 || n > 19 || (n > 1 && tok[0] == '0'))
        return NULL;
    size_t idx = 0;
    for (size_t i = 0; i < n; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return NULL;
        idx = idx * 10 + (size_t)(tok[i] - '0');
    }
    return idx < arr->u.array.len ? arr->u.array.items[idx] : NULL;
}

sg_json_t *sg_json_pointer(const sg_json_t *root, const char *pointer)
{
    if (root == NULL || pointer == NULL)
        return NULL;
    if (*pointer == '\0')
        return (sg_json_t *)root;
    if (*pointer != '/')
        return NULL;
    const sg_json_t *cur = root;
    const char *p = pointer + 1;
    char local[256];
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        if (cur->type == SG_JSON_OBJECT) {
            const char *tok = p;
            long len = (long)n;
            char *heap = NULL;
            if (memchr(p, '~', n) != NULL) {
                char *dst = local;
                if (n > sizeof(local) && (dst = heap = malloc(n)) == NULL)
                    return NULL;
                len = pointer_token(p, n, dst, n > sizeof(local) ? n : sizeof(local));
                tok = dst;
            }
            cur = len < 0 ? NULL : sg_json_getn(cur, tok, (size_t)len);
            free(heap);
        } else if (cur->type == SG_JSON_ARRAY) {
            cur = array_index(cur, p, n);
        } else {
            return NULL;
        }
        if (cur == NULL || slash == NULL)
            return (sg_json_t *)cur;
        p = slash + 1;
    }
}

int sg_json_pointer_escape(sg_buf_t *out, const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '~' && s[i] != '/')
            continue;
        sg_buf_append(out, s + start, i - start);
        sg_buf_append(out, s[i] == '~' ? "~0" : "~1", 2);
        start = i + 1;
    }
    sg_buf_append(out, s + start, len - start);
    return out->oom ? SG_ENOMEM : SG_OK;
}

const char *sg_json_string(const sg_json_t *v, size_t *len)
{
    if (v == NULL || v->type != SG_JSON_STRING)
        return NULL;
    if (len != NULL)
        *len = v->u.string.len;
    return v->u.string.ptr;
}

int sg_json_string_eq(const sg_json_t *v, const char *s)
{
    if (v == NULL || v->type != SG_JSON_STRING || s == NULL)
        return 0;
    size_t n = strlen(s);
    return v->u.string.len == n && memcmp(v->u.string.ptr, s, n) == 0;
}

const char *sg_json_type_name(sg_json_type_t t)
{
    switch (t) {
    case SG_JSON_NULL:
        return "null";
    case SG_JSON_BOOL:
        return "boolean";
    case SG_JSON_NUMBER:
        return "number";
    case SG_JSON_STRING:
        return "string";
    case SG_JSON_ARRAY:
        return "array";
    case SG_JSON_OBJECT:
        return "object";
    }
    return "unknown";
}
