/* The strings extension as Kubernetes enables it: charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace,
 * split, substring, trim, join, reverse and strings.quote. Indexes count Unicode code points, as in cel-go. */
#include <stdio.h>

#include "std.h"

static void bad(sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_node_t *call, const sg_cel_value_t *a, int n)
{
    sg_cel__err_overload(c, out, call->u.call.name, a, n);
}

/* Byte offset of code point `cp` (cp may equal the count: the end). -1 when past the end. */
static int64_t byte_at(const sg_cel_value_t *s, int64_t cp)
{
    if (cp < 0)
        return -1;
    int64_t k = 0;
    for (uint32_t i = 0; i < s->len; i++) {
        if (((unsigned char)s->u.s[i] & 0xC0) != 0x80) {
            if (k == cp)
                return i;
            k++;
        }
    }
    return k == cp ? (int64_t)s->len : -1;
}

static int64_t cp_index(const sg_cel_value_t *s, size_t byte)
{
    return (int64_t)sg_cel__utf8_count(s->u.s, byte);
}

SG_CEL_FN(sg_cel__fn_char_at)
{
    if (a[0].kind != SG_CEL_STRING || a[1].kind != SG_CEL_INT)
        return bad(c, out, call, a, n);
    int64_t b = byte_at(&a[0], a[1].u.i);
    if (b < 0)
        return sg_cel__err(c, out, "index out of range: %lld", (long long)a[1].u.i);
    if ((uint32_t)b == a[0].len) {
        *out = sg_cel_string("", 0);
        return;
    }
    uint32_t cp;
    int l = sg_cel__utf8_decode(a[0].u.s + b, a[0].len - (size_t)b, &cp);
    *out = sg_cel_string(a[0].u.s + b, (size_t)l);
}

SG_CEL_FN(sg_cel__fn_index_of)
{
    if (a[0].kind == SG_CEL_LIST && n == 2)
        return sg_cel__fn_list_index_of(c, out, a, n, call);
    if (a[0].kind != SG_CEL_STRING || a[1].kind != SG_CEL_STRING || (n == 3 && a[2].kind != SG_CEL_INT))
        return bad(c, out, call, a, n);
    int64_t off = n == 3 ? a[2].u.i : 0;
    int64_t b = byte_at(&a[0], off);
    if (b < 0)
        return sg_cel__err(c, out, "index out of range: %lld", (long long)off);
    if (sg_cel__spend(c, a[0].len / 10, out))
        return;
    if (a[1].len == 0) {
        *out = sg_cel__int(off);
        return;
    }
    const char *hay = a[0].u.s + b;
    const char *f = memmem(hay, a[0].len - (size_t)b, a[1].u.s, a[1].len);
    *out = sg_cel__int(f == NULL ? -1 : cp_index(&a[0], (size_t)(f - a[0].u.s)));
}

SG_CEL_FN(sg_cel__fn_last_index_of)
{
    if (a[0].kind == SG_CEL_LIST && n == 2)
        return sg_cel__fn_list_last_index_of(c, out, a, n, call);
    if (a[0].kind != SG_CEL_STRING || a[1].kind != SG_CEL_STRING || (n == 3 && a[2].kind != SG_CEL_INT))
        return bad(c, out, call, a, n);
    int64_t total = (int64_t)sg_cel__utf8_count(a[0].u.s, a[0].len);
    int64_t off = n == 3 ? a[2].u.i : total;
    if (off < 0 || off > total)
        return sg_cel__err(c, out, "index out of range: %lld", (long long)off);
    if (sg_cel__spend(c, a[0].len / 10, out))
        return;
    if (a[1].len == 0) {
        *out = sg_cel__int(off);
        return;
    }
    /* the match may start at or before code point `off` */
    int64_t b = byte_at(&a[0], off);
    int64_t start = b;
    if (start + (int64_t)a[1].len > (int64_t)a[0].len)
        start = (int64_t)a[0].len - (int64_t)a[1].len;
    for (int64_t i = start; i >= 0; i--) {
        if (((unsigned char)a[0].u.s[i] & 0xC0) == 0x80)
            continue;
        if (memcmp(a[0].u.s + i, a[1].u.s, a[1].len) == 0) {
            *out = sg_cel__int(cp_index(&a[0], (size_t)i));
            return;
        }
    }
    *out = sg_cel__int(-1);
}

static void map_ascii(sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_value_t *s, int upper)
{
    char *p = sg_arena_alloc(c->arena, s->len + 1);
    if (p == NULL)
        return sg_cel__err_nomem(out);
    for (uint32_t i = 0; i < s->len; i++) {
        char ch = s->u.s[i];
        if (upper && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 32);
        else if (!upper && ch >= 'A' && ch <= 'Z')
            ch = (char)(ch + 32);
        p[i] = ch;
    }
    p[s->len] = 0;
    if (sg_cel__spend(c, s->len / 10, out))
        return;
    *out = sg_cel_string(p, s->len);
}

SG_CEL_FN(sg_cel__fn_lower_ascii)
{
    if (a[0].kind != SG_CEL_STRING)
        return bad(c, out, call, a, n);
    map_ascii(c, out, &a[0], 0);
}

SG_CEL_FN(sg_cel__fn_upper_ascii)
{
    if (a[0].kind != SG_CEL_STRING)
        return bad(c, out, call, a, n);
    map_ascii(c, out, &a[0], 1);
}

static int grow(sg_cel_ctx_t *c, char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 1;
    if (need > UINT32_MAX)
        return 0;
    size_t nc = *cap * 2 > need ? *cap * 2 : need;
    char *nb = sg_arena_alloc(c->arena, nc);
    if (nb == NULL)
        return 0;
    if (*cap)
        memcpy(nb, *buf, *cap);
    *buf = nb;
    *cap = nc;
    return 1;
}

SG_CEL_FN(sg_cel__fn_replace)
{
    if (a[0].kind != SG_CEL_STRING || a[1].kind != SG_CEL_STRING || a[2].kind != SG_CEL_STRING ||
        (n == 4 && a[3].kind != SG_CEL_INT))
        return bad(c, out, call, a, n);
    int64_t limit = n == 4 ? a[3].u.i : -1;
    const sg_cel_value_t *s = &a[0], *old = &a[1], *nw = &a[2];
    /* the result can be far larger than the input ('' matches between every character): pay for it first */
    uint64_t hits = old->len ? s->len / old->len : (uint64_t)s->len + 1;
    if (limit >= 0 && (uint64_t)limit < hits)
        hits = (uint64_t)limit;
    if (sg_cel__spend(c, (s->len + hits * nw->len) / 10, out))
        return;
    size_t cap = s->len + 16, o = 0;
    char *buf = sg_arena_alloc(c->arena, cap);
    if (buf == NULL)
        return sg_cel__err_nomem(out);
    size_t i = 0;
    int64_t done = 0;
    if (sg_cel__spend(c, s->len / 10, out))
        return;
    while (i <= s->len) {
        int match = (limit < 0 || done < limit) &&
                    (old->len == 0 || (i + old->len <= s->len && memcmp(s->u.s + i, old->u.s, old->len) == 0));
        if (match) {
            if (!grow(c, &buf, &cap, o + nw->len + 1))
                return sg_cel__err(c, out, "replace: result too large");
            memcpy(buf + o, nw->u.s, nw->len);
            o += nw->len;
            done++;
            if (old->len > 0) {
                i += old->len;
                continue;
            }
        }
        if (i == s->len)
            break;
        /* copy one code point */
        uint32_t cp;
        int l = sg_cel__utf8_decode(s->u.s + i, s->len - i, &cp);
        if (!grow(c, &buf, &cap, o + (size_t)l + 1))
            return sg_cel__err(c, out, "replace: result too large");
        memcpy(buf + o, s->u.s + i, (size_t)l);
        o += (size_t)l;
        i += (size_t)l;
    }
    buf[o] = 0;
    *out = sg_cel_string(buf, o);
}

SG_CEL_FN(sg_cel__fn_split)
{
    if (a[0].kind != SG_CEL_STRING || a[1].kind != SG_CEL_STRING || (n == 3 && a[2].kind != SG_CEL_INT))
        return bad(c, out, call, a, n);
    int64_t limit = n == 3 ? a[2].u.i : -1;
    const sg_cel_value_t *s = &a[0], *sep = &a[1];
    sg_cel_list_t *l = sg_cel__list_new(c->arena, 4);
    if (l == NULL)
        return sg_cel__err_nomem(out);
    if (sg_cel__spend(c, s->len / 10, out))
        return;
    if (limit == 0)
        goto done;
    size_t i = 0, start = 0;
    if (sep->len == 0) {
        while (i < s->len) {
            uint32_t cp;
            int cl = sg_cel__utf8_decode(s->u.s + i, s->len - i, &cp);
            sg_cel_value_t part;
            if (limit > 0 && (int64_t)l->len == limit - 1)
                part = sg_cel_string(s->u.s + i, s->len - i), cl = (int)(s->len - i);
            else
                part = sg_cel_string(s->u.s + i, (size_t)cl);
            if (sg_cel__list_push(c->arena, l, &part) < 0)
                return sg_cel__err_nomem(out);
            i += (size_t)cl;
        }
        goto done;
    }
    while (limit < 0 || (int64_t)l->len < limit - 1) {
        const char *f = s->len - start >= sep->len ? memmem(s->u.s + start, s->len - start, sep->u.s, sep->len) : NULL;
        if (f == NULL)
            break;
        sg_cel_value_t part = sg_cel_string(s->u.s + start, (size_t)(f - s->u.s) - start);
        if (sg_cel__list_push(c->arena, l, &part) < 0)
            return sg_cel__err_nomem(out);
        start = (size_t)(f - s->u.s) + sep->len;
    }
    {
        sg_cel_value_t part = sg_cel_string(s->u.s + start, s->len - start);
        if (sg_cel__list_push(c->arena, l, &part) < 0)
            return sg_cel__err_nomem(out);
    }
done:
    *out = sg_cel__v(SG_CEL_LIST);
    out->u.list = l;
}

SG_CEL_FN(sg_cel__fn_substring)
{
    if (a[0].kind != SG_CEL_STRING || a[1].kind != SG_CEL_INT || (n == 3 && a[2].kind != SG_CEL_INT))
        return bad(c, out, call, a, n);
    /* only the prefix up to `end` is walked: substring(0, 0) of a long string costs nothing */
    int64_t st = a[1].u.i;
    int64_t bs = byte_at(&a[0], st);
    if (bs < 0)
        return sg_cel__err(c, out, "index out of range: %lld", (long long)st);
    int64_t bend = (int64_t)a[0].len;
    if (n == 3) {
        int64_t en = a[2].u.i;
        bend = byte_at(&a[0], en);
        if (bend < 0)
            return sg_cel__err(c, out, "index out of range: %lld", (long long)en);
        if (st > en)
            return sg_cel__err(c, out, "invalid substring range. start: %lld, end: %lld", (long long)st, (long long)en);
    }
    *out = sg_cel_string(a[0].u.s + bs, (size_t)(bend - bs));
}

static int is_space(uint32_t cp)
{
    return cp == '\t' || cp == '\n' || cp == '\v' || cp == '\f' || cp == '\r' || cp == ' ' || cp == 0x85 ||
           cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

SG_CEL_FN(sg_cel__fn_trim)
{
    if (a[0].kind != SG_CEL_STRING)
        return bad(c, out, call, a, n);
    const char *s = a[0].u.s;
    size_t b = 0, e = a[0].len;
    while (b < e) {
        uint32_t cp;
        int l = sg_cel__utf8_decode(s + b, e - b, &cp);
        if (!is_space(cp))
            break;
        b += (size_t)l;
    }
    while (e > b) {
        size_t k = e - 1;
        while (k > b && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        uint32_t cp;
        sg_cel__utf8_decode(s + k, e - k, &cp);
        if (!is_space(cp))
            break;
        e = k;
    }
    *out = sg_cel_string(s + b, e - b);
}

SG_CEL_FN(sg_cel__fn_join)
{
    if (a[0].kind != SG_CEL_LIST || (n == 2 && a[1].kind != SG_CEL_STRING))
        return bad(c, out, call, a, n);
    const char *sep = n == 2 ? a[1].u.s : "";
    size_t seplen = n == 2 ? a[1].len : 0;
    uint32_t cnt = sg_cel__list_len(&a[0]);
    size_t total = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        sg_cel_value_t v;
        sg_cel__list_get(&a[0], i, &v);
        if (v.kind != SG_CEL_STRING)
            return sg_cel__err(c, out, "join: list element %u is %s, not string", i, sg_cel__type_of(&v));
        total += v.len + (i ? seplen : 0);
    }
    if (total > UINT32_MAX)
        return sg_cel__err(c, out, "join: result too large");
    if (sg_cel__spend(c, total / 10, out))
        return;
    char *buf = sg_arena_alloc(c->arena, total + 1);
    if (buf == NULL)
        return sg_cel__err_nomem(out);
    size_t o = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        sg_cel_value_t v;
        sg_cel__list_get(&a[0], i, &v);
        if (i && seplen) {
            memcpy(buf + o, sep, seplen);
            o += seplen;
        }
        if (v.len)
            memcpy(buf + o, v.u.s, v.len);
        o += v.len;
    }
    buf[o] = 0;
    *out = sg_cel_string(buf, o);
}

SG_CEL_FN(sg_cel__fn_reverse)
{
    if (a[0].kind != SG_CEL_STRING)
        return bad(c, out, call, a, n);
    char *buf = sg_arena_alloc(c->arena, a[0].len + 1);
    if (buf == NULL)
        return sg_cel__err_nomem(out);
    size_t o = a[0].len;
    for (size_t i = 0; i < a[0].len;) {
        uint32_t cp;
        int l = sg_cel__utf8_decode(a[0].u.s + i, a[0].len - i, &cp);
        o -= (size_t)l;
        memcpy(buf + o, a[0].u.s + i, (size_t)l);
        i += (size_t)l;
    }
    buf[a[0].len] = 0;
    *out = sg_cel_string(buf, a[0].len);
}

SG_CEL_FN(sg_cel__fn_quote)
{
    if (a[0].kind != SG_CEL_STRING)
        return bad(c, out, call, a, n);
    size_t cap = (size_t)a[0].len * 2 + 3, o = 0;
    char *buf = sg_arena_alloc(c->arena, cap);
    if (buf == NULL)
        return sg_cel__err_nomem(out);
    buf[o++] = '"';
    for (size_t i = 0; i < a[0].len;) {
        char ch = a[0].u.s[i];
        const char *esc = NULL;
        switch (ch) {
        case '\a':
            esc = "\\a";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\v':
            esc = "\\v";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '"':
            esc = "\\\"";
            break;
        default:
            break;
        }
        if (esc != NULL) {
            if (!grow(c, &buf, &cap, o + 3))
                return sg_cel__err_nomem(out);
            memcpy(buf + o, esc, 2);
            o += 2;
            i++;
            continue;
        }
        uint32_t cp;
        int l = sg_cel__utf8_decode(a[0].u.s + i, a[0].len - i, &cp);
        if (!grow(c, &buf, &cap, o + (size_t)l + 2))
            return sg_cel__err_nomem(out);
        memcpy(buf + o, a[0].u.s + i, (size_t)l);
        o += (size_t)l;
        i += (size_t)l;
    }
    if (!grow(c, &buf, &cap, o + 2))
        return sg_cel__err_nomem(out);
    buf[o++] = '"';
    buf[o] = 0;
    *out = sg_cel_string(buf, o);
}
