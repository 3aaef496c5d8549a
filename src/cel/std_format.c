/* string.format(list): the strings extension's printf-like formatting. Clauses: %s (any value, lists and maps
 * rendered recursively with map keys sorted), %d, %f and %e (optional .precision), %b, %o, %x, %X (ints, and for hex
 * strings and bytes too), %% for a literal percent sign. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "std.h"

#define MAX_DEPTH 100

static void put_special(sg_buf_t *b, double d)
{
    sg_buf_puts(b, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
}

static int fmt_string(sg_cel_ctx_t *c, sg_buf_t *b, const sg_cel_value_t *v, int depth, const char **why);

typedef struct {
    sg_buf_t text;
    sg_cel_value_t key;
    sg_cel_value_t val;
} entry_t;

static int cmp_entry(const void *x, const void *y)
{
    const entry_t *a = x, *b = y;
    size_t n = a->text.len < b->text.len ? a->text.len : b->text.len;
    int r = n ? memcmp(a->text.base, b->text.base, n) : 0;
    return r != 0 ? r : (a->text.len > b->text.len) - (a->text.len < b->text.len);
}

static int fmt_string(sg_cel_ctx_t *c, sg_buf_t *b, const sg_cel_value_t *v, int depth, const char **why)
{
    char tmp[64];
    if (depth > MAX_DEPTH) {
        *why = "value nested too deeply";
        return -1;
    }
    switch (v->kind) {
    case SG_CEL_STRING:
    case SG_CEL_BYTES:
    case SG_CEL_TYPE:
        sg_buf_append(b, v->u.s, v->len);
        return 0;
    case SG_CEL_NULL:
        sg_buf_puts(b, "null");
        return 0;
    case SG_CEL_BOOL:
        sg_buf_puts(b, v->u.b ? "true" : "false");
        return 0;
    case SG_CEL_INT:
        sg_buf_printf(b, "%lld", (long long)v->u.i);
        return 0;
    case SG_CEL_UINT:
        sg_buf_printf(b, "%llu", (unsigned long long)v->u.u);
        return 0;
    case SG_CEL_DOUBLE:
        if (!isfinite(v->u.d)) {
            put_special(b, v->u.d);
            return 0;
        }
        sg_cel__format_double(tmp, sizeof(tmp), v->u.d);
        sg_buf_puts(b, tmp);
        return 0;
    case SG_CEL_TIMESTAMP:
        sg_cel__format_timestamp(tmp, sizeof(tmp), v->u.i, ((int32_t)v->len));
        sg_buf_puts(b, tmp);
        return 0;
    case SG_CEL_DURATION:
        sg_cel__format_duration(tmp, sizeof(tmp), v->u.i, ((int32_t)v->len));
        sg_buf_puts(b, tmp);
        return 0;
    case SG_CEL_LIST: {
        uint32_t n = sg_cel__list_len(v);
        sg_buf_putc(b, '[');
        for (uint32_t i = 0; i < n; i++) {
            sg_cel_value_t x;
            sg_cel__list_get(v, i, &x);
            if (i)
                sg_buf_puts(b, ", ");
            if (fmt_string(c, b, &x, depth + 1, why) < 0)
                return -1;
        }
        sg_buf_putc(b, ']');
        return 0;
    }
    case SG_CEL_MAP: {
        uint32_t n = sg_cel__map_len(v);
        entry_t *e = sg_arena_calloc(c->arena, n ? n : 1, sizeof(*e));
        if (e == NULL) {
            *why = "out of memory";
            return -1;
        }
        int rc = 0;
        for (uint32_t i = 0; i < n && rc == 0; i++) {
            sg_cel__map_entry(v, i, &e[i].key, &e[i].val);
            rc = fmt_string(c, &e[i].text, &e[i].key, depth + 1, why);
        }
        if (rc == 0)
            qsort(e, n, sizeof(*e), cmp_entry);
        sg_buf_putc(b, '{');
        for (uint32_t i = 0; i < n && rc == 0; i++) {
            if (i)
                sg_buf_puts(b, ", ");
            sg_buf_append(b, e[i].text.base, e[i].text.len);
            sg_buf_puts(b, ": ");
            rc = fmt_string(c, b, &e[i].val, depth + 1, why);
        }
        for (uint32_t i = 0; i < n; i++)
            sg_buf_dispose(&e[i].text);
        sg_buf_putc(b, '}');
        return rc;
    }
    default:
        *why = "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, "
               "and timestamps";
        return -1;
    }
}

static void put_radix(sg_buf_t *b, uint64_t u, int neg, int base, int upper)
{
    char tmp[70];
    int o = 0;
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[o++] = dig[u % (uint64_t)base];
        u /= (uint64_t)base;
    } while (u);
    if (neg)
        sg_buf_putc(b, '-');
    while (o > 0)
        sg_buf_putc(b, tmp[--o]);
}

static int integer_of(const sg_cel_value_t *v, uint64_t *u, int *neg)
{
    if (v->kind == SG_CEL_INT) {
        *neg = v->u.i < 0;
        *u = *neg ? (uint64_t)0 - (uint64_t)v->u.i : (uint64_t)v->u.i;
        return 1;
    }
    if (v->kind == SG_CEL_UINT) {
        *neg = 0;
        *u = v->u.u;
        return 1;
    }
    return 0;
}

SG_CEL_FN(sg_cel__fn_format)
{
    if (a[0].kind != SG_CEL_STRING || a[1].kind != SG_CEL_LIST)
        return sg_cel__err_overload(c, out, "format", a, n);
    const char *f = a[0].u.s;
    size_t flen = a[0].len;
    uint32_t nargs = sg_cel__list_len(&a[1]), next = 0;
    sg_buf_t b = SG_BUF_INIT;
    const char *why = NULL;
    char msg[256];
    msg[0] = 0;
    for (size_t i = 0; i < flen && why == NULL && msg[0] == 0; i++) {
        if (f[i] != '%') {
            sg_buf_putc(&b, f[i]);
            continue;
        }
        if (++i >= flen) {
            snprintf(msg, sizeof(msg), "could not parse formatting clause: unexpected end of string");
            break;
        }
        if (f[i] == '%') {
            sg_buf_putc(&b, '%');
            continue;
        }
        int prec = -1;
        if (f[i] == '.') {
            prec = 0;
            i++;
            while (i < flen && f[i] >= '0' && f[i] <= '9' && prec < 1000)
                prec = prec * 10 + (f[i++] - '0');
            if (i >= flen) {
                snprintf(msg, sizeof(msg), "could not parse formatting clause: unexpected end of string");
                break;
            }
        }
        char verb = f[i];
        if (strchr("sdfeboxX", verb) == NULL) {
            snprintf(msg, sizeof(msg), "could not parse formatting clause: unrecognized formatting clause \"%c\"",
                     verb);
            break;
        }
        if (next >= nargs) {
            snprintf(msg, sizeof(msg), "index %u out of range", next);
            break;
        }
        sg_cel_value_t v;
        sg_cel__list_get(&a[1], next++, &v);
        uint64_t u;
        int neg;
        switch (verb) {
        case 's':
            if (fmt_string(c, &b, &v, 0, &why) < 0)
                break;
            break;
        case 'd':
            if (integer_of(&v, &u, &neg))
                put_radix(&b, u, neg, 10, 0);
            else if (v.kind == SG_CEL_DOUBLE && !isfinite(v.u.d))
                put_special(&b, v.u.d);
            else
                snprintf(msg, sizeof(msg),
                         "error during formatting: decimal clause can only be used on integers, was given %s",
                         sg_cel__type_of(&v));
            break;
        case 'f':
        case 'e':
            if (v.kind != SG_CEL_DOUBLE) {
                snprintf(msg, sizeof(msg),
                         "error during formatting: %s clause can only be used on doubles, was given %s",
                         verb == 'f' ? "fixed-point" : "scientific", sg_cel__type_of(&v));
            } else if (!isfinite(v.u.d)) {
                put_special(&b, v.u.d);
            } else {
                sg_buf_printf(&b, verb == 'f' ? "%.*f" : "%.*e", prec < 0 ? 6 : prec, v.u.d);
            }
            break;
        case 'b':
            if (v.kind == SG_CEL_BOOL)
                sg_buf_putc(&b, v.u.b ? '1' : '0');
            else if (integer_of(&v, &u, &neg))
                put_radix(&b, u, neg, 2, 0);
            else
                snprintf(msg, sizeof(msg),
                         "error during formatting: only integers and bools can be formatted as binary, was given %s",
                         sg_cel__type_of(&v));
            break;
        case 'o':
            if (integer_of(&v, &u, &neg))
                put_radix(&b, u, neg, 8, 0);
            else
                snprintf(msg, sizeof(msg),
                         "error during formatting: octal clause can only be used on integers, was given %s",
                         sg_cel__type_of(&v));
            break;
        default: /* x X */
            if (integer_of(&v, &u, &neg)) {
                put_radix(&b, u, neg, 16, verb == 'X');
            } else if (v.kind == SG_CEL_STRING || v.kind == SG_CEL_BYTES) {
                for (uint32_t k = 0; k < v.len; k++)
                    sg_buf_printf(&b, verb == 'X' ? "%02X" : "%02x", (unsigned char)v.u.s[k]);
            } else {
                snprintf(msg, sizeof(msg),
                         "error during formatting: only integers, byte buffers, and strings can be formatted as hex, "
                         "was given %s",
                         sg_cel__type_of(&v));
            }
            break;
        }
    }
    SG_CEL_CHARGE(c, b.len / 10);
    if (why != NULL)
        sg_cel__err(c, out, "error during formatting: %s", why);
    else if (msg[0])
        sg_cel__err(c, out, "%s", msg);
    else if (b.oom || b.len > UINT32_MAX)
        sg_cel__err_nomem(out);
    else {
        char *s = sg_arena_strndup(c->arena, b.base != NULL ? b.base : "", b.len);
        if (s == NULL)
            sg_cel__err_nomem(out);
        else
            *out = sg_cel_string(s, b.len);
    }
    sg_buf_dispose(&b);
}
