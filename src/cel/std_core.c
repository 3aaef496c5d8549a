/* Core library: size, type, dyn, the type conversions (int, uint, double, string, bytes, bool) with CEL's range
 * checks, and the string predicates contains/startsWith/endsWith. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "std.h"

#define ARGS sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_value_t *a, int n, const sg_cel_node_t *call

static void bad(sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_node_t *call, const sg_cel_value_t *a, int n)
{
    sg_cel__err_overload(c, out, call->u.call.name, a, n);
}

void sg_cel__fn_size(ARGS)
{
    switch (a[0].kind) {
    case SG_CEL_STRING:
        *out = sg_cel__int((int64_t)sg_cel__utf8_count(a[0].u.s, a[0].len));
        return;
    case SG_CEL_BYTES:
        *out = sg_cel__int(a[0].len);
        return;
    case SG_CEL_LIST:
        *out = sg_cel__int(sg_cel__list_len(&a[0]));
        return;
    case SG_CEL_MAP:
        *out = sg_cel__int(sg_cel__map_len(&a[0]));
        return;
    default:
        bad(c, out, call, a, n);
    }
}

void sg_cel__fn_type(ARGS)
{
    *out = sg_cel__type_value(a[0].kind == SG_CEL_TYPE ? "type" : sg_cel__type_of(&a[0]));
}

void sg_cel__fn_dyn(ARGS)
{
    *out = a[0];
}

/* NUL-terminated copy of a string argument for strto*; NULL when too long or out of memory. */
static char *cstr(sg_cel_ctx_t *c, const sg_cel_value_t *v)
{
    return sg_arena_strndup(c->arena, v->u.s, v->len);
}

static int parse_int(const char *s, int64_t *out)
{
    if (*s == 0 || (s[0] == '+' && s[1] == 0) || (s[0] == '-' && s[1] == 0))
        return 0;
    for (const char *p = (*s == '-' || *s == '+') ? s + 1 : s; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno != 0)
        return -1;
    *out = v;
    return 1;
}

static int parse_uint(const char *s, uint64_t *out)
{
    if (*s == 0)
        return 0;
    const char *p = *s == '+' ? s + 1 : s;
    if (*p == 0)
        return 0;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return 0;
    errno = 0;
    unsigned long long v = strtoull(p, NULL, 10);
    if (errno != 0)
        return -1;
    *out = v;
    return 1;
}

void sg_cel__fn_int(ARGS)
{
    const sg_cel_value_t *v = &a[0];
    switch (v->kind) {
    case SG_CEL_INT:
        *out = *v;
        return;
    case SG_CEL_UINT:
        if (v->u.u > (uint64_t)INT64_MAX)
            return sg_cel__err(c, out, "range error: uint %llu does not fit in int", (unsigned long long)v->u.u);
        *out = sg_cel__int((int64_t)v->u.u);
        return;
    case SG_CEL_DOUBLE:
        if (isnan(v->u.d) || v->u.d <= -9223372036854775808.0 || v->u.d >= 9223372036854775807.0)
            return sg_cel__err(c, out, "range error: double %g does not fit in int", v->u.d);
        *out = sg_cel__int((int64_t)v->u.d);
        return;
    case SG_CEL_STRING: {
        char *s = cstr(c, v);
        int64_t r;
        if (s == NULL)
            return sg_cel__err_nomem(out);
        int ok = parse_int(s, &r);
        if (ok <= 0)
            return sg_cel__err(c, out, ok < 0 ? "range error: '%s' does not fit in int" : "cannot convert '%s' to int",
                               s);
        *out = sg_cel__int(r);
        return;
    }
    case SG_CEL_TIMESTAMP:
        *out = sg_cel__int(v->u.i);
        return;
    case SG_CEL_DURATION:
        *out = sg_cel__int(v->u.i * 1000000000LL + ((int32_t)v->len));
        return;
    default:
        bad(c, out, call, a, n);
    }
}

void sg_cel__fn_uint(ARGS)
{
    const sg_cel_value_t *v = &a[0];
    switch (v->kind) {
    case SG_CEL_UINT:
        *out = *v;
        return;
    case SG_CEL_INT:
        if (v->u.i < 0)
            return sg_cel__err(c, out, "range error: int %lld does not fit in uint", (long long)v->u.i);
        *out = sg_cel_uint((uint64_t)v->u.i);
        return;
    case SG_CEL_DOUBLE:
        if (isnan(v->u.d) || v->u.d < 0 || v->u.d >= 18446744073709551616.0)
            return sg_cel__err(c, out, "range error: double %g does not fit in uint", v->u.d);
        *out = sg_cel_uint((uint64_t)v->u.d);
        return;
    case SG_CEL_STRING: {
        char *s = cstr(c, v);
        uint64_t r;
        if (s == NULL)
            return sg_cel__err_nomem(out);
        int ok = parse_uint(s, &r);
        if (ok <= 0)
            return sg_cel__err(c, out,
                               ok < 0 ? "range error: '%s' does not fit in uint" : "cannot convert '%s' to uint", s);
        *out = sg_cel_uint(r);
        return;
    }
    default:
        bad(c, out, call, a, n);
    }
}

void sg_cel__fn_double(ARGS)
{
    const sg_cel_value_t *v = &a[0];
    switch (v->kind) {
    case SG_CEL_DOUBLE:
        *out = *v;
        return;
    case SG_CEL_INT:
        *out = sg_cel_double((double)v->u.i);
        return;
    case SG_CEL_UINT:
        *out = sg_cel_double((double)v->u.u);
        return;
    case SG_CEL_STRING: {
        char *s = cstr(c, v);
        if (s == NULL)
            return sg_cel__err_nomem(out);
        char *end;
        errno = 0;
        double d = *s && !(s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? strtod(s, &end) : 0;
        if (*s == 0 || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) || *end != 0 || (s[0] == ' '))
            return sg_cel__err(c, out, "cannot convert '%s' to double", s);
        if (errno == ERANGE && fabs(d) > 1)
            return sg_cel__err(c, out, "range error: '%s' does not fit in double", s);
        *out = sg_cel_double(d);
        return;
    }
    default:
        bad(c, out, call, a, n);
    }
}

static void dup_string(sg_cel_ctx_t *c, sg_cel_value_t *out, const char *s, size_t len)
{
    char *p = sg_arena_strndup(c->arena, s, len);
    if (p == NULL)
        return sg_cel__err_nomem(out);
    *out = sg_cel_string(p, len);
}

void sg_cel__fn_string(ARGS)
{
    const sg_cel_value_t *v = &a[0];
    char buf[64];
    switch (v->kind) {
    case SG_CEL_STRING:
        *out = *v;
        return;
    case SG_CEL_INT:
        snprintf(buf, sizeof(buf), "%lld", (long long)v->u.i);
        return dup_string(c, out, buf, strlen(buf));
    case SG_CEL_UINT:
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v->u.u);
        return dup_string(c, out, buf, strlen(buf));
    case SG_CEL_DOUBLE:
        sg_cel__format_double(buf, sizeof(buf), v->u.d);
        return dup_string(c, out, buf, strlen(buf));
    case SG_CEL_BOOL:
        *out = v->u.b ? sg_cel_string("true", 4) : sg_cel_string("false", 5);
        return;
    case SG_CEL_BYTES:
        if (!sg_cel__utf8_valid(v->u.s, v->len))
            return sg_cel__err(c, out, "invalid UTF-8 in bytes, cannot convert to string");
        *out = sg_cel_string(v->u.s, v->len);
        return;
    case SG_CEL_TIMESTAMP:
        sg_cel__format_timestamp(buf, sizeof(buf), v->u.i, ((int32_t)v->len));
        return dup_string(c, out, buf, strlen(buf));
    case SG_CEL_DURATION:
        sg_cel__format_duration(buf, sizeof(buf), v->u.i, ((int32_t)v->len));
        return dup_string(c, out, buf, strlen(buf));
    case SG_CEL_TYPE:
        *out = sg_cel_string(v->u.s, v->len);
        return;
    default:
        bad(c, out, call, a, n);
    }
}

void sg_cel__fn_bytes(ARGS)
{
    const sg_cel_value_t *v = &a[0];
    if (v->kind == SG_CEL_BYTES) {
        *out = *v;
        return;
    }
    if (v->kind == SG_CEL_STRING) {
        *out = sg_cel_bytes(v->u.s, v->len);
        return;
    }
    bad(c, out, call, a, n);
}

void sg_cel__fn_bool(ARGS)
{
    const sg_cel_value_t *v = &a[0];
    if (v->kind == SG_CEL_BOOL) {
        *out = *v;
        return;
    }
    if (v->kind == SG_CEL_STRING) {
        static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
        static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
        for (size_t i = 0; i < 6; i++) {
            if (strlen(t[i]) == v->len && memcmp(t[i], v->u.s, v->len) == 0) {
                *out = sg_cel__bool(1);
                return;
            }
            if (strlen(f[i]) == v->len && memcmp(f[i], v->u.s, v->len) == 0) {
                *out = sg_cel__bool(0);
                return;
            }
        }
        return sg_cel__err(c, out, "cannot convert '%.*s' to bool", (int)(v->len > 100 ? 100 : v->len), v->u.s);
    }
    bad(c, out, call, a, n);
}

static int str_args(const sg_cel_value_t *a, int n)
{
    return n == 2 && a[0].kind == SG_CEL_STRING && a[1].kind == SG_CEL_STRING;
}

void sg_cel__fn_contains(ARGS)
{
    if (!str_args(a, n))
        return bad(c, out, call, a, n);
    if (sg_cel__spend(c, a[0].len / 10, out))
        return;
    *out =
        sg_cel__bool(a[1].len == 0 || (a[1].len <= a[0].len && memmem(a[0].u.s, a[0].len, a[1].u.s, a[1].len) != NULL));
}

void sg_cel__fn_starts_with(ARGS)
{
    if (!str_args(a, n))
        return bad(c, out, call, a, n);
    *out = sg_cel__bool(a[1].len <= a[0].len && memcmp(a[0].u.s, a[1].u.s, a[1].len) == 0);
}

void sg_cel__fn_ends_with(ARGS)
{
    if (!str_args(a, n))
        return bad(c, out, call, a, n);
    *out = sg_cel__bool(a[1].len <= a[0].len && memcmp(a[0].u.s + a[0].len - a[1].len, a[1].u.s, a[1].len) == 0);
}
