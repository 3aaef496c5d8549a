/* The two encoders: a compact one that keeps member order and number text, and Go's json.Marshal of an interface{}
 * value byte for byte (sorted keys, shortest floats, HTML-safe escaping) that input hashes are computed over. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char hexdig[] = "0123456789abcdef";

/* Per ASCII byte: 0 = written as is, 1 = escaped by both encoders, 2 = escaped by the Go encoder only (HTML).
 * Bytes >= 0x80 are 3: the Go encoder checks them for U+2028, U+2029 and invalid UTF-8. */
/* clang-format off */
static const uint8_t escape_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};
/* clang-format on */

/* Writes the escape of ASCII byte c at dst; returns its length. */
static size_t put_escape(char *dst, unsigned char c)
{
    char e = 0;
    switch (c) {
    case '"':
        e = '"';
        break;
    case '\\':
        e = '\\';
        break;
    case '\b':
        e = 'b';
        break;
    case '\f':
        e = 'f';
        break;
    case '\n':
        e = 'n';
        break;
    case '\r':
        e = 'r';
        break;
    case '\t':
        e = 't';
        break;
    }
    dst[0] = '\\';
    if (e != 0) {
        dst[1] = e;
        return 2;
    }
    memcpy(dst + 1, "u00", 3);
    dst[4] = hexdig[c >> 4];
    dst[5] = hexdig[c & 15];
    return 6;
}

/* One byte, without a call when the buffer has room (the encoders write many). */
static inline void put1(sg_buf_t *out, char c)
{
    if (out->len + 1 < out->cap && !out->oom) {
        out->base[out->len++] = c;
        out->base[out->len] = '\0';
    } else {
        sg_buf_putc(out, c);
    }
}

/* Room for the worst case (every byte escaped as six) plus the quotes; NULL when out of memory. */
static char *reserve_string(sg_buf_t *out, size_t len)
{
    if (len <= (SIZE_MAX - 2) / 6 && !out->oom && out->cap - out->len > len * 6 + 2)
        return out->base + out->len;
    if (len > (SIZE_MAX - 2) / 6 || sg_buf_reserve(out, len * 6 + 2) != SG_OK) {
        out->oom = 1;
        return NULL;
    }
    return out->base + out->len;
}

int sg_json_write_string(sg_buf_t *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    char *dst = reserve_string(out, len), *w = dst;
    if (dst == NULL)
        return SG_ENOMEM;
    *w++ = '"';
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && (escape_class[p[i]] & 1) == 0)
            i++;
        memcpy(w, s + start, i - start);
        w += i - start;
        if (i < len && escape_class[p[i]] == 1)
            w += put_escape(w, p[i++]);
        else if (i < len) /* class 3 bytes: kept */
            *w++ = (char)p[i++];
    }
    *w++ = '"';
    out->len += (size_t)(w - dst);
    out->base[out->len] = '\0';
    return SG_OK;
}

/* Go's appendString with escapeHTML. */
static void write_go_string(sg_buf_t *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    char *dst = reserve_string(out, len), *w = dst;
    if (dst == NULL)
        return;
    *w++ = '"';
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && escape_class[p[i]] == 0)
            i++;
        memcpy(w, s + start, i - start);
        w += i - start;
        if (i == len)
            break;
        if (escape_class[p[i]] != 3) {
            w += put_escape(w, p[i++]);
            continue;
        }
        uint32_t cp;
        size_t n = sg_json__utf8_decode(p + i, len - i, &cp);
        if (n == 1) {
            memcpy(w, "\\ufffd", 6);
            w += 6;
        } else if (cp == 0x2028 || cp == 0x2029) {
            memcpy(w, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
            w += 6;
        } else {
            memcpy(w, s + i, n);
            w += n;
        }
        i += n;
    }
    *w++ = '"';
    out->len += (size_t)(w - dst);
    out->base[out->len] = '\0';
}

static void encode_compact(sg_buf_t *out, const sg_json_t *v)
{
    switch (v->type) {
    case SG_JSON_NULL:
        sg_buf_append(out, "null", 4);
        break;
    case SG_JSON_BOOL:
        sg_buf_puts(out, v->u.boolean ? "true" : "false");
        break;
    case SG_JSON_NUMBER:
        if (v->u.number.text != NULL)
            sg_buf_append(out, v->u.number.text, v->u.number.text_len);
        else
            sg_json_write_go_number(out, v->u.number.value);
        break;
    case SG_JSON_STRING:
        sg_json_write_string(out, v->u.string.ptr, v->u.string.len);
        break;
    case SG_JSON_ARRAY:
        put1(out, '[');
        for (size_t i = 0; i < v->u.array.len; i++) {
            if (i > 0)
                put1(out, ',');
            encode_compact(out, v->u.array.items[i]);
        }
        put1(out, ']');
        break;
    case SG_JSON_OBJECT:
        put1(out, '{');
        for (size_t i = 0; i < v->u.object.len; i++) {
            const sg_json_member_t *m = &v->u.object.members[i];
            if (i > 0)
                put1(out, ',');
            sg_json_write_string(out, m->key, m->key_len);
            put1(out, ':');
            encode_compact(out, m->value);
        }
        put1(out, '}');
        break;
    }
}

int sg_json_encode(sg_buf_t *out, const sg_json_t *v)
{
    if (v == NULL)
        sg_buf_append(out, "null", 4);
    else
        encode_compact(out, v);
    return out->oom ? SG_ENOMEM : SG_OK;
}

static int cmp_members(const void *a, const void *b)
{
    const sg_json_member_t *x = *(const sg_json_member_t *const *)a, *y = *(const sg_json_member_t *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

#define LOCAL_SORT 32

static void encode_go(sg_buf_t *out, const sg_json_t *v)
{
    switch (v->type) {
    case SG_JSON_NUMBER:
        sg_json__write_go_number_lexeme(out, v->u.number.value, v->u.number.text, v->u.number.text_len);
        break;
    case SG_JSON_STRING:
        write_go_string(out, v->u.string.ptr, v->u.string.len);
        break;
    case SG_JSON_ARRAY:
        put1(out, '[');
        for (size_t i = 0; i < v->u.array.len; i++) {
            if (i > 0)
                put1(out, ',');
            encode_go(out, v->u.array.items[i]);
        }
        put1(out, ']');
        break;
    case SG_JSON_OBJECT: {
        size_t n = v->u.object.len;
        const sg_json_member_t *local[LOCAL_SORT];
        const sg_json_member_t **order = n <= LOCAL_SORT ? local : malloc(n * sizeof(*order));
        if (order == NULL) {
            out->oom = 1;
            return;
        }
        for (size_t i = 0; i < n; i++)
            order[i] = &v->u.object.members[i];
        if (n > 16) {
            qsort(order, n, sizeof(*order), cmp_members);
        } else { /* small objects are the common case: insertion sort without qsort's overhead */
            for (size_t i = 1; i < n; i++) {
                const sg_json_member_t *m = order[i];
                size_t j = i;
                while (j > 0 && cmp_members(&order[j - 1], &m) > 0) {
                    order[j] = order[j - 1];
                    j--;
                }
                order[j] = m;
            }
        }
        put1(out, '{');
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                put1(out, ',');
            write_go_string(out, order[i]->key, order[i]->key_len);
            put1(out, ':');
            encode_go(out, order[i]->value);
        }
        put1(out, '}');
        if (order != local)
            free(order);
        break;
    }
    default:
        encode_compact(out, v);
        break;
    }
}

int sg_json_encode_go(sg_buf_t *out, const sg_json_t *v)
{
    if (v == NULL)
        sg_buf_append(out, "null", 4);
    else
        encode_go(out, v);
    return out->oom ? SG_ENOMEM : SG_OK;
}
