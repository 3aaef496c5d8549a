/* Operators: arithmetic with CEL's overflow and division errors, concatenation, timestamp/duration arithmetic,
 * heterogeneous equality, ordering and membership. */
#include <math.h>

#include "internal.h"

#define NS_PER_S 1000000000LL
/* Durations have int64 nanosecond range, as in the Go and C++ implementations. */
#define MAX_DUR_NS_SEC 9223372036LL

static const char *op_name(int op)
{
    switch (op) {
    case OP_ADD:
        return "_+_";
    case OP_SUB:
        return "_-_";
    case OP_MUL:
        return "_*_";
    case OP_DIV:
        return "_/_";
    case OP_MOD:
        return "_%_";
    case OP_LT:
        return "_<_";
    case OP_LE:
        return "_<=_";
    case OP_GT:
        return "_>_";
    case OP_GE:
        return "_>=_";
    case OP_IN:
        return "@in";
    case OP_NEG:
        return "-_";
    case OP_NOT:
        return "!_";
    default:
        return "operator";
    }
}

static void no_overload(sg_cel_ctx_t *c, int op, sg_cel_value_t *out, const sg_cel_value_t *a, const sg_cel_value_t *b)
{
    sg_cel_value_t args[2] = {*a, b != NULL ? *b : *a};
    sg_cel__err_overload(c, out, op_name(op), args, b != NULL ? 2 : 1);
}

static void overflow(sg_cel_ctx_t *c, sg_cel_value_t *out)
{
    sg_cel__err(c, out, "integer overflow");
}

static int ts_valid(int64_t sec)
{
    return sec >= SG_CEL_MIN_TS_SEC && sec <= SG_CEL_MAX_TS_SEC;
}

static int dur_valid(int64_t sec, int32_t nsec)
{
    if (sec > MAX_DUR_NS_SEC || sec < -MAX_DUR_NS_SEC - 1)
        return 0;
    if (sec == MAX_DUR_NS_SEC && nsec > 854775807)
        return 0;
    if (sec == -MAX_DUR_NS_SEC - 1 && nsec < 145224192)
        return 0;
    return 1;
}

/* Adds two (sec, nsec) pairs, normalising nsec into [0, 1e9). */
static int add_time(int64_t as, int32_t an, int64_t bs, int32_t bn, int64_t *rs, int32_t *rn)
{
    int64_t s;
    if (__builtin_add_overflow(as, bs, &s))
        return 0;
    int64_t n = (int64_t)an + bn;
    if (n >= NS_PER_S) {
        n -= NS_PER_S;
        if (__builtin_add_overflow(s, 1, &s))
            return 0;
    } else if (n < 0) {
        n += NS_PER_S;
        if (__builtin_sub_overflow(s, 1, &s))
            return 0;
    }
    *rs = s;
    *rn = (int32_t)n;
    return 1;
}

static void make_time(sg_cel_ctx_t *c, sg_cel_value_t *out, int kind, int ok, int64_t s, int32_t n)
{
    if (!ok || (kind == SG_CEL_TIMESTAMP ? !ts_valid(s) : !dur_valid(s, n))) {
        sg_cel__err(c, out, kind == SG_CEL_TIMESTAMP ? "timestamp out of range" : "duration out of range");
        return;
    }
    *out = sg_cel__v((uint8_t)kind);
    out->u.i = s;
    out->len = (uint32_t)n;
}

static void concat(sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_value_t *a, const sg_cel_value_t *b)
{
    uint64_t len = (uint64_t)a->len + b->len;
    if (len > UINT32_MAX)
        return sg_cel__err(c, out, "string too long");
    if (sg_cel__spend(c, len / 10, out))
        return;
    char *s = sg_arena_alloc(c->arena, (size_t)len + 1);
    if (s == NULL)
        return sg_cel__err_nomem(out);
    if (a->len)
        memcpy(s, a->u.s, a->len);
    if (b->len)
        memcpy(s + a->len, b->u.s, b->len);
    s[len] = 0;
    *out = sg_cel__v(a->kind);
    out->u.s = s;
    out->len = (uint32_t)len;
}

static void list_concat(sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_value_t *a, const sg_cel_value_t *b)
{
    uint32_t na = sg_cel__list_len(a), nb = sg_cel__list_len(b);
    if (nb == 0) {
        *out = *a;
        return;
    }
    if (na == 0) {
        *out = *b;
        return;
    }
    if ((uint64_t)na + nb > (1u << 28))
        return sg_cel__err(c, out, "list too long");
    if (sg_cel__spend(c, (na + nb) / 10, out))
        return;
    sg_cel_list_t *l = sg_cel__list_new(c->arena, na + nb);
    if (l == NULL)
        return sg_cel__err_nomem(out);
    for (uint32_t i = 0; i < na; i++)
        sg_cel__list_get(a, i, &l->items[i]);
    for (uint32_t i = 0; i < nb; i++)
        sg_cel__list_get(b, i, &l->items[na + i]);
    l->len = na + nb;
    *out = sg_cel__v(SG_CEL_LIST);
    out->u.list = l;
}

static void arith(sg_cel_ctx_t *c, int op, sg_cel_value_t *out, const sg_cel_value_t *a, const sg_cel_value_t *b)
{
    int ka = a->kind, kb = b->kind;
    if (ka == SG_CEL_INT && kb == SG_CEL_INT) {
        int64_t x = a->u.i, y = b->u.i, r = 0;
        switch (op) {
        case OP_ADD:
            if (__builtin_add_overflow(x, y, &r))
                return overflow(c, out);
            break;
        case OP_SUB:
            if (__builtin_sub_overflow(x, y, &r))
                return overflow(c, out);
            break;
        case OP_MUL:
            if (__builtin_mul_overflow(x, y, &r))
                return overflow(c, out);
            break;
        case OP_DIV:
            if (y == 0)
                return sg_cel__err(c, out, "division by zero");
            if (x == INT64_MIN && y == -1)
                return overflow(c, out);
            r = x / y;
            break;
        case OP_MOD:
            if (y == 0)
                return sg_cel__err(c, out, "modulus by zero");
            if (x == INT64_MIN && y == -1)
                return overflow(c, out);
            r = x % y;
            break;
        }
        *out = sg_cel__int(r);
        return;
    }
    if (ka == SG_CEL_UINT && kb == SG_CEL_UINT) {
        uint64_t x = a->u.u, y = b->u.u, r = 0;
        switch (op) {
        case OP_ADD:
            if (__builtin_add_overflow(x, y, &r))
                return overflow(c, out);
            break;
        case OP_SUB:
            if (__builtin_sub_overflow(x, y, &r))
                return overflow(c, out);
            break;
        case OP_MUL:
            if (__builtin_mul_overflow(x, y, &r))
                return overflow(c, out);
            break;
        case OP_DIV:
            if (y == 0)
                return sg_cel__err(c, out, "division by zero");
            r = x / y;
            break;
        case OP_MOD:
            if (y == 0)
                return sg_cel__err(c, out, "modulus by zero");
            r = x % y;
            break;
        }
        *out = sg_cel_uint(r);
        return;
    }
    if (ka == SG_CEL_DOUBLE && kb == SG_CEL_DOUBLE && op != OP_MOD) {
        double x = a->u.d, y = b->u.d;
        *out = sg_cel_double(op == OP_ADD ? x + y : op == OP_SUB ? x - y : op == OP_MUL ? x * y : x / y);
        return;
    }
    if (op == OP_ADD && ka == kb && (ka == SG_CEL_STRING || ka == SG_CEL_BYTES))
        return concat(c, out, a, b);
    if (op == OP_ADD && ka == SG_CEL_LIST && kb == SG_CEL_LIST)
        return list_concat(c, out, a, b);
    if (op == OP_ADD || op == OP_SUB) {
        int64_t s = 0;
        int32_t n = 0;
        int sign = op == OP_ADD ? 1 : -1;
        if (ka == SG_CEL_TIMESTAMP && kb == SG_CEL_DURATION) {
            int ok = sign > 0 ? add_time(a->u.i, ((int32_t)a->len), b->u.i, ((int32_t)b->len), &s, &n)
                              : add_time(a->u.i, ((int32_t)a->len), -b->u.i, -((int32_t)b->len), &s, &n);
            return make_time(c, out, SG_CEL_TIMESTAMP, ok, s, n);
        }
        if (op == OP_ADD && ka == SG_CEL_DURATION && kb == SG_CEL_TIMESTAMP) {
            int ok = add_time(a->u.i, ((int32_t)a->len), b->u.i, ((int32_t)b->len), &s, &n);
            return make_time(c, out, SG_CEL_TIMESTAMP, ok, s, n);
        }
        if (ka == SG_CEL_DURATION && kb == SG_CEL_DURATION) {
            int ok = sign > 0 ? add_time(a->u.i, ((int32_t)a->len), b->u.i, ((int32_t)b->len), &s, &n)
                              : add_time(a->u.i, ((int32_t)a->len), -b->u.i, -((int32_t)b->len), &s, &n);
            return make_time(c, out, SG_CEL_DURATION, ok, s, n);
        }
        if (op == OP_SUB && ka == SG_CEL_TIMESTAMP && kb == SG_CEL_TIMESTAMP) {
            int ok = add_time(a->u.i, ((int32_t)a->len), -b->u.i, -((int32_t)b->len), &s, &n);
            return make_time(c, out, SG_CEL_DURATION, ok, s, n);
        }
    }
    no_overload(c, op, out, a, b);
}

static void in_op(sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_value_t *x, const sg_cel_value_t *coll)
{
    if (coll->kind == SG_CEL_LIST) {
        uint32_t n = sg_cel__list_len(coll);
        if (sg_cel__spend(c, n, out))
            return;
        for (uint32_t i = 0; i < n; i++) {
            sg_cel_value_t v;
            sg_cel__list_get(coll, i, &v);
            if (sg_cel__equal(&v, x, 0)) {
                *out = sg_cel__bool(1);
                return;
            }
        }
        *out = sg_cel__bool(0);
        return;
    }
    if (coll->kind == SG_CEL_MAP) {
        sg_cel_value_t v;
        int r = sg_cel__map_find(c, coll, x, &v);
        if (r < 0) {
            *out = v;
            return;
        }
        *out = sg_cel__bool(r);
        return;
    }
    no_overload(c, OP_IN, out, x, coll);
}

void sg_cel__binop(sg_cel_ctx_t *c, int op, sg_cel_value_t *out, const sg_cel_value_t *a, const sg_cel_value_t *b)
{
    switch (op) {
    case OP_EQ:
    case OP_NE: {
        int eq = sg_cel__equal(a, b, 0);
        *out = sg_cel__bool(op == OP_EQ ? eq : !eq);
        return;
    }
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: {
        int r = sg_cel__compare(a, b);
        if (r == -2)
            return no_overload(c, op, out, a, b);
        if (r == 2) {
            *out = sg_cel__bool(0);
            return;
        }
        int v = op == OP_LT ? r < 0 : op == OP_LE ? r <= 0 : op == OP_GT ? r > 0 : r >= 0;
        *out = sg_cel__bool(v);
        return;
    }
    case OP_IN:
        return in_op(c, out, a, b);
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
        return arith(c, op, out, a, b);
    default:
        sg_cel__err(c, out, "internal error: unknown operator");
    }
}

void sg_cel__unop(sg_cel_ctx_t *c, int op, sg_cel_value_t *out, const sg_cel_value_t *a)
{
    if (op == OP_NOT) {
        if (a->kind != SG_CEL_BOOL)
            return no_overload(c, op, out, a, NULL);
        *out = sg_cel__bool(!a->u.b);
        return;
    }
    switch (a->kind) {
    case SG_CEL_INT:
        if (a->u.i == INT64_MIN)
            return overflow(c, out);
        *out = sg_cel__int(-a->u.i);
        return;
    case SG_CEL_DOUBLE:
        *out = sg_cel_double(-a->u.d);
        return;
    case SG_CEL_DURATION: {
        int64_t s = 0;
        int32_t n = 0;
        int ok = add_time(0, 0, -a->u.i, -((int32_t)a->len), &s, &n);
        return make_time(c, out, SG_CEL_DURATION, ok, s, n);
    }
    default:
        return no_overload(c, op, out, a, NULL);
    }
}
