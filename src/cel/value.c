/* CEL values: constructors, the lazy JSON view (objects as maps, arrays as lists, read on access), UTF-8 helpers,
 * heterogeneous equality and ordering across int/uint/double, and error values. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

sg_cel_value_t sg_cel_null(void)
{
    return sg_cel__v(SG_CEL_NULL);
}

sg_cel_value_t sg_cel_bool(int b)
{
    return sg_cel__mk(SG_CEL_BOOL, 0, 0, b != 0);
}

sg_cel_value_t sg_cel_int(int64_t i)
{
    return sg_cel__mk(SG_CEL_INT, 0, 0, (uint64_t)i);
}

sg_cel_value_t sg_cel_uint(uint64_t u)
{
    return sg_cel__mk(SG_CEL_UINT, 0, 0, u);
}

sg_cel_value_t sg_cel_double(double d)
{
    sg_cel_value_t v;
    v.hdr = SG_CEL_HDR(SG_CEL_DOUBLE, 0, 0);
    v.u.d = d;
    return v;
}

sg_cel_value_t sg_cel_string(const char *s, size_t len)
{
    return sg_cel__mk(SG_CEL_STRING, 0, (uint32_t)len, (uint64_t)(uintptr_t)s);
}

sg_cel_value_t sg_cel_bytes(const void *s, size_t len)
{
    return sg_cel__mk(SG_CEL_BYTES, 0, (uint32_t)len, (uint64_t)(uintptr_t)s);
}

sg_cel_value_t sg_cel__type_value(const char *name)
{
    sg_cel_value_t v = sg_cel__v(SG_CEL_TYPE);
    v.u.s = name;
    v.len = (uint32_t)strlen(name);
    return v;
}

void sg_cel__err_static(sg_cel_value_t *out, const char *msg)
{
    *out = sg_cel__v(SG_CEL_ERROR);
    out->u.s = msg;
    out->len = (uint32_t)strlen(msg);
}

void sg_cel__err_cost(sg_cel_value_t *out)
{
    sg_cel__err_static(out, "operation cancelled: actual cost limit exceeded");
    out->rep = SG_CEL_ERR_COST;
}

void sg_cel__err_nomem(sg_cel_value_t *out)
{
    sg_cel__err_static(out, "out of memory");
    out->rep = SG_CEL_ERR_NOMEM;
}

void sg_cel__err(sg_cel_ctx_t *c, sg_cel_value_t *out, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    char *m = c != NULL ? sg_arena_strndup(c->arena, buf, (size_t)n) : NULL;
    if (m == NULL)
        return sg_cel__err_nomem(out);
    *out = sg_cel__v(SG_CEL_ERROR);
    out->u.s = m;
    out->len = (uint32_t)n;
}

void sg_cel__err_overload(sg_cel_ctx_t *c, sg_cel_value_t *out, const char *fn, const sg_cel_value_t *args, int n)
{
    char types[256];
    size_t o = 0;
    types[0] = 0;
    for (int i = 0; i < n && o < sizeof(types) - 1; i++)
        o += (size_t)snprintf(types + o, sizeof(types) - o, "%s%s", i ? ", " : "", sg_cel__type_of(&args[i]));
    sg_cel__err(c, out, "no such overload: %s(%s)", fn, types);
}

const char *sg_cel__type_of(const sg_cel_value_t *v)
{
    switch (v->kind) {
    case SG_CEL_NULL:
        return "null_type";
    case SG_CEL_BOOL:
        return "bool";
    case SG_CEL_INT:
        return "int";
    case SG_CEL_UINT:
        return "uint";
    case SG_CEL_DOUBLE:
        return "double";
    case SG_CEL_STRING:
        return "string";
    case SG_CEL_BYTES:
        return "bytes";
    case SG_CEL_LIST:
        return "list";
    case SG_CEL_MAP:
        return "map";
    case SG_CEL_TYPE:
        return "type";
    case SG_CEL_TIMESTAMP:
        return "google.protobuf.Timestamp";
    case SG_CEL_DURATION:
        return "google.protobuf.Duration";
    case SG_CEL_OPTIONAL:
        return "optional_type";
    default:
        return "*error*";
    }
}

const char *sg_cel_type_name(const sg_cel_value_t *v)
{
    return sg_cel__type_of(v);
}

/* ---- UTF-8 ---- */

int sg_cel__utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    int n = u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC0 ? 2 : 1;
    if (n == 1 || (size_t)n > len) {
        *cp = 0xFFFD;
        return 1;
    }
    uint32_t c = u[0] & (0xFF >> (n + 1));
    for (int i = 1; i < n; i++)
        c = (c << 6) | (u[i] & 0x3F);
    *cp = c;
    return n;
}

int sg_cel__utf8_encode(char *out, uint32_t cp)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int sg_cel__utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = u[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int n;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0)
            n = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            n = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            n = 4, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        if (i + (size_t)n > len)
            return 0;
        for (int k = 1; k < n; k++) {
            if ((u[i + (size_t)k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (u[i + (size_t)k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += (size_t)n;
    }
    return 1;
}

size_t sg_cel__utf8_count(const char *s, size_t len)
{
    /* ASCII first: one OR per word (the last word overlapping) tells whether every byte is a code point */
    if (len >= 8) {
        uint64_t hi = 0, w;
        for (size_t k = 0; k + 8 <= len; k += 8) {
            memcpy(&w, s + k, 8);
            hi |= w;
        }
        memcpy(&w, s + len - 8, 8);
        if (((hi | w) & 0x8080808080808080ULL) == 0)
            return len;
    }
    size_t n = 0, i = 0;
    /* eight bytes at a time: a continuation byte has bit 7 set and bit 6 clear */
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t cont = (w & ~(w << 1) & 0x8080808080808080ULL) >> 7;
        n += 8 - (size_t)((cont * 0x0101010101010101ULL) >> 56);
    }
    for (; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* ---- JSON view ---- */

static int json_number_is_int(const sg_json_t *j, int64_t *out)
{
    const char *t = j->u.number.text;
    if (t != NULL) {
        size_t n = j->u.number.text_len;
        if (n == 0 || n > 20)
            return 0;
        for (size_t i = 0; i < n; i++)
            if (t[i] == '.' || t[i] == 'e' || t[i] == 'E')
                return 0;
        char buf[24];
        memcpy(buf, t, n);
        buf[n] = 0;
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (errno != 0 || *end != 0)
            return 0;
        *out = v;
        return 1;
    }
    double d = j->u.number.value;
    if (d == floor(d) && fabs(d) < 9007199254740992.0) {
        *out = (int64_t)d;
        return 1;
    }
    return 0;
}

sg_cel_value_t sg_cel__from_json_slow(const sg_json_t *j)
{
    sg_cel_value_t v = sg_cel__v(SG_CEL_NULL);
    if (j == NULL)
        return v;
    switch (j->type) {
    case SG_JSON_NULL:
        break;
    case SG_JSON_BOOL:
        v = sg_cel__bool(j->u.boolean);
        break;
    case SG_JSON_NUMBER: {
        int64_t i;
        if (json_number_is_int(j, &i))
            v = sg_cel__int(i);
        else
            v = sg_cel_double(j->u.number.value);
        break;
    }
    case SG_JSON_STRING:
        v = sg_cel_string(j->u.string.ptr, j->u.string.len);
        break;
    case SG_JSON_ARRAY:
        v = sg_cel__mk(SG_CEL_LIST, SG_CEL_REP_JSON, 0, (uint64_t)(uintptr_t)j);
        break;
    case SG_JSON_OBJECT:
        v = sg_cel__mk(SG_CEL_MAP, SG_CEL_REP_JSON, 0, (uint64_t)(uintptr_t)j);
        break;
    }
    return v;
}

/* ---- lists and maps ---- */

#define key_eq sg_cel__key_eq

int sg_cel__json_find(const sg_json_t *j, const char *k, size_t klen, uint32_t hint)
{
    size_t n = j->u.object.len;
    const sg_json_member_t *mem = j->u.object.members;
    if (hint < n && mem[hint].key_len == klen && key_eq(mem[hint].key, k, klen))
        return (int)hint;
    for (size_t i = 0; i < n; i++)
        if (mem[i].key_len == klen && key_eq(mem[i].key, k, klen))
            return (int)i;
    return -1;
}

int sg_cel__map_find_str(const sg_cel_value_t *m, const char *k, size_t klen, sg_cel_value_t *out)
{
    if (m->rep == SG_CEL_REP_JSON) {
        const sg_json_t *j = m->u.json;
        for (size_t i = 0; i < j->u.object.len; i++) {
            const sg_json_member_t *mem = &j->u.object.members[i];
            /* length and first byte first: most candidates fail there without a call */
            if (mem->key_len == klen && key_eq(mem->key, k, klen)) {
                if (out != NULL)
                    *out = sg_cel__from_json(mem->value);
                return 1;
            }
        }
        return 0;
    }
    const sg_cel_map_t *mp = m->u.map;
    for (uint32_t i = 0; i < mp->len; i++) {
        const sg_cel_value_t *key = &mp->keys[i];
        if (key->kind == SG_CEL_STRING && key->len == klen && key_eq(key->u.s, k, klen)) {
            if (out != NULL)
                *out = mp->values[i];
            return 1;
        }
    }
    return 0;
}

/* Key equality: keys are int, uint, bool or string; ints and uints with the same value are the same key. */
static int key_equal(const sg_cel_value_t *a, const sg_cel_value_t *b)
{
    if (a->kind == b->kind) {
        switch (a->kind) {
        case SG_CEL_STRING:
            return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
        case SG_CEL_INT:
            return a->u.i == b->u.i;
        case SG_CEL_UINT:
            return a->u.u == b->u.u;
        case SG_CEL_BOOL:
            return a->u.b == b->u.b;
        default:
            return 0;
        }
    }
    if (a->kind == SG_CEL_INT && b->kind == SG_CEL_UINT)
        return a->u.i >= 0 && (uint64_t)a->u.i == b->u.u;
    if (a->kind == SG_CEL_UINT && b->kind == SG_CEL_INT)
        return b->u.i >= 0 && (uint64_t)b->u.i == a->u.u;
    return 0;
}

int sg_cel__map_find(sg_cel_ctx_t *c, const sg_cel_value_t *m, const sg_cel_value_t *key, sg_cel_value_t *out)
{
    sg_cel_value_t k = *key;
    switch (k.kind) {
    case SG_CEL_STRING:
        return sg_cel__map_find_str(m, k.u.s, k.len, out);
    case SG_CEL_INT:
    case SG_CEL_UINT:
    case SG_CEL_BOOL:
        break;
    case SG_CEL_DOUBLE: {
        double d = k.u.d;
        if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
            k = sg_cel__int((int64_t)d);
        else if (d == floor(d) && d >= 0 && d < 18446744073709551616.0)
            k = sg_cel_uint((uint64_t)d);
        else
            return 0;
        break;
    }
    default:
        sg_cel__err(c, out, "unsupported key type: %s", sg_cel__type_of(&k));
        return -1;
    }
    if (m->rep == SG_CEL_REP_JSON)
        return 0;
    const sg_cel_map_t *mp = m->u.map;
    for (uint32_t i = 0; i < mp->len; i++)
        if (key_equal(&mp->keys[i], &k)) {
            if (out != NULL)
                *out = mp->values[i];
            return 1;
        }
    return 0;
}

sg_cel_list_t *sg_cel__list_new(sg_arena_t *a, uint32_t cap)
{
    sg_cel_list_t *l = sg_arena_alloc(a, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->len = 0;
    l->cap = cap;
    l->items = NULL;
    if (cap > 0 && (l->items = sg_arena_alloc(a, cap * sizeof(sg_cel_value_t))) == NULL)
        return NULL;
    return l;
}

int sg_cel__list_push(sg_arena_t *a, sg_cel_list_t *l, const sg_cel_value_t *v)
{
    if (l->len == l->cap) {
        if (l->cap >= (1u << 28))
            return SG_ENOMEM;
        uint32_t nc = l->cap ? l->cap * 2 : 4;
        sg_cel_value_t *ni = sg_arena_alloc(a, nc * sizeof(*ni));
        if (ni == NULL)
            return SG_ENOMEM;
        if (l->len)
            memcpy(ni, l->items, l->len * sizeof(*ni));
        l->items = ni;
        l->cap = nc;
    }
    l->items[l->len++] = *v;
    return SG_OK;
}

sg_cel_map_t *sg_cel__map_new(sg_arena_t *a, uint32_t cap)
{
    sg_cel_map_t *m = sg_arena_alloc(a, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->len = 0;
    m->cap = cap;
    m->keys = m->values = NULL;
    if (cap > 0) {
        m->keys = sg_arena_alloc(a, cap * sizeof(sg_cel_value_t));
        m->values = sg_arena_alloc(a, cap * sizeof(sg_cel_value_t));
        if (m->keys == NULL || m->values == NULL)
            return NULL;
    }
    return m;
}

int sg_cel__map_put(sg_arena_t *a, sg_cel_map_t *m, const sg_cel_value_t *k, const sg_cel_value_t *v)
{
    if (k->kind != SG_CEL_STRING && k->kind != SG_CEL_INT && k->kind != SG_CEL_UINT && k->kind != SG_CEL_BOOL)
        return -1;
    for (uint32_t i = 0; i < m->len; i++)
        if (key_equal(&m->keys[i], k))
            return 1;
    if (m->len == m->cap) {
        if (m->cap >= (1u << 27))
            return -2;
        uint32_t nc = m->cap ? m->cap * 2 : 4;
        sg_cel_value_t *nk = sg_arena_alloc(a, nc * sizeof(*nk));
        sg_cel_value_t *nv = sg_arena_alloc(a, nc * sizeof(*nv));
        if (nk == NULL || nv == NULL)
            return -2;
        if (m->len) {
            memcpy(nk, m->keys, m->len * sizeof(*nk));
            memcpy(nv, m->values, m->len * sizeof(*nv));
        }
        m->keys = nk;
        m->values = nv;
        m->cap = nc;
    }
    m->keys[m->len] = *k;
    m->values[m->len] = *v;
    m->len++;
    return 0;
}

sg_cel_value_t sg_cel_list(sg_arena_t *arena, const sg_cel_value_t *items, size_t n)
{
    sg_cel_value_t v = sg_cel__v(SG_CEL_LIST);
    sg_cel_list_t *l = n <= UINT32_MAX / 2 ? sg_cel__list_new(arena, (uint32_t)n) : NULL;
    if (l == NULL) {
        sg_cel__err_nomem(&v);
        return v;
    }
    if (n)
        memcpy(l->items, items, n * sizeof(*items));
    l->len = (uint32_t)n;
    v.u.list = l;
    return v;
}

sg_cel_value_t sg_cel_map(sg_arena_t *arena, const sg_cel_value_t *keys, const sg_cel_value_t *values, size_t n)
{
    sg_cel_value_t v = sg_cel__v(SG_CEL_MAP);
    sg_cel_map_t *m = n <= UINT32_MAX / 4 ? sg_cel__map_new(arena, (uint32_t)n) : NULL;
    if (m == NULL) {
        sg_cel__err_nomem(&v);
        return v;
    }
    for (size_t i = 0; i < n; i++) {
        int r = sg_cel__map_put(arena, m, &keys[i], &values[i]);
        if (r == 1) {
            sg_cel__err_static(&v, "Failed with repeated key");
            return v;
        }
        if (r == -1) {
            sg_cel__err_static(&v, "unsupported key type");
            return v;
        }
        if (r == -2) {
            sg_cel__err_nomem(&v);
            return v;
        }
    }
    v.u.map = m;
    return v;
}

/* ---- equality and ordering ---- */

static int cmp_double(double x, double y)
{
    if (isnan(x) || isnan(y))
        return 2;
    return x < y ? -1 : x > y;
}

/* As cel-go: out-of-range doubles order outside every int, otherwise the int is compared as a double. */
static int cmp_int_double(int64_t i, double d)
{
    if (isnan(d))
        return 2;
    if (d < -9223372036854775808.0)
        return 1;
    if (d > 9223372036854775808.0)
        return -1;
    return cmp_double((double)i, d);
}

static int cmp_uint_double(uint64_t u, double d)
{
    if (isnan(d))
        return 2;
    if (d < 0)
        return 1;
    if (d > 18446744073709551616.0)
        return -1;
    return cmp_double((double)u, d);
}

static int cmp_num(const sg_cel_value_t *a, const sg_cel_value_t *b)
{
    switch (a->kind * 16 + b->kind) {
    case SG_CEL_INT * 16 + SG_CEL_INT:
        return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    case SG_CEL_UINT * 16 + SG_CEL_UINT:
        return a->u.u < b->u.u ? -1 : a->u.u > b->u.u;
    case SG_CEL_DOUBLE * 16 + SG_CEL_DOUBLE:
        if (isnan(a->u.d) || isnan(b->u.d))
            return 2;
        return a->u.d < b->u.d ? -1 : a->u.d > b->u.d;
    case SG_CEL_INT * 16 + SG_CEL_UINT:
        if (a->u.i < 0)
            return -1;
        return (uint64_t)a->u.i < b->u.u ? -1 : (uint64_t)a->u.i > b->u.u;
    case SG_CEL_UINT * 16 + SG_CEL_INT:
        if (b->u.i < 0)
            return 1;
        return a->u.u < (uint64_t)b->u.i ? -1 : a->u.u > (uint64_t)b->u.i;
    case SG_CEL_INT * 16 + SG_CEL_DOUBLE:
        return cmp_int_double(a->u.i, b->u.d);
    case SG_CEL_DOUBLE * 16 + SG_CEL_INT: {
        int r = cmp_int_double(b->u.i, a->u.d);
        return r == 2 ? 2 : -r;
    }
    case SG_CEL_UINT * 16 + SG_CEL_DOUBLE:
        return cmp_uint_double(a->u.u, b->u.d);
    case SG_CEL_DOUBLE * 16 + SG_CEL_UINT: {
        int r = cmp_uint_double(b->u.u, a->u.d);
        return r == 2 ? 2 : -r;
    }
    default:
        return -2;
    }
}

static int is_num(int k)
{
    return k == SG_CEL_INT || k == SG_CEL_UINT || k == SG_CEL_DOUBLE;
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int r = n ? memcmp(a, b, n) : 0;
    if (r != 0)
        return r < 0 ? -1 : 1;
    return al < bl ? -1 : al > bl;
}

int sg_cel__compare(const sg_cel_value_t *a, const sg_cel_value_t *b)
{
    if (is_num(a->kind) && is_num(b->kind))
        return cmp_num(a, b);
    if (a->kind != b->kind)
        return -2;
    switch (a->kind) {
    case SG_CEL_STRING:
    case SG_CEL_BYTES:
        return cmp_bytes(a->u.s, a->len, b->u.s, b->len);
    case SG_CEL_BOOL:
        return a->u.b < b->u.b ? -1 : a->u.b > b->u.b;
    case SG_CEL_TIMESTAMP:
    case SG_CEL_DURATION:
        if (a->u.i != b->u.i)
            return a->u.i < b->u.i ? -1 : 1;
        return ((int32_t)a->len) < ((int32_t)b->len) ? -1 : ((int32_t)a->len) > ((int32_t)b->len);
    default:
        return -2;
    }
}

int sg_cel__equal(const sg_cel_value_t *a, const sg_cel_value_t *b, int depth)
{
    if (depth > 1000)
        return 0;
    if (is_num(a->kind) && is_num(b->kind))
        return cmp_num(a, b) == 0;
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case SG_CEL_NULL:
        return 1;
    case SG_CEL_BOOL:
        return a->u.b == b->u.b;
    case SG_CEL_STRING:
    case SG_CEL_BYTES:
        return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
    case SG_CEL_TYPE:
        return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
    case SG_CEL_TIMESTAMP:
    case SG_CEL_DURATION:
        return a->u.i == b->u.i && ((int32_t)a->len) == ((int32_t)b->len);
    case SG_CEL_OPTIONAL:
        if (a->u.opt == NULL || b->u.opt == NULL)
            return a->u.opt == b->u.opt;
        return sg_cel__equal(a->u.opt, b->u.opt, depth + 1);
    case SG_CEL_LIST: {
        uint32_t n = sg_cel__list_len(a);
        if (n != sg_cel__list_len(b))
            return 0;
        for (uint32_t i = 0; i < n; i++) {
            sg_cel_value_t x, y;
            sg_cel__list_get(a, i, &x);
            sg_cel__list_get(b, i, &y);
            if (!sg_cel__equal(&x, &y, depth + 1))
                return 0;
        }
        return 1;
    }
    case SG_CEL_MAP: {
        uint32_t n = sg_cel__map_len(a);
        if (n != sg_cel__map_len(b))
            return 0;
        for (uint32_t i = 0; i < n; i++) {
            sg_cel_value_t k, x, y;
            sg_cel__map_entry(a, i, &k, &x);
            if (sg_cel__map_find(NULL, b, &k, &y) != 1)
                return 0;
            if (!sg_cel__equal(&x, &y, depth + 1))
                return 0;
        }
        return 1;
    }
    default:
        return 0;
    }
}

int sg_cel_value_equal(const sg_cel_value_t *a, const sg_cel_value_t *b)
{
    return sg_cel__equal(a, b, 0);
}

sg_cel_value_t sg_cel_value_from_json(const sg_json_t *j)
{
    return j == NULL ? sg_cel_null() : sg_cel__from_json(j);
}
