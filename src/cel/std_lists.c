/* Kubernetes list and set helpers: isSorted, sum, min, max, indexOf, lastIndexOf on lists, and sets.contains,
 * sets.equivalent, sets.intersects. Elements compare with CEL equality and ordering. */
#include "std.h"

static void bad(sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_node_t *call, const sg_cel_value_t *a, int n)
{
    sg_cel__err_overload(c, out, call->u.call.name, a, n);
}

SG_CEL_FN(sg_cel__fn_is_sorted)
{
    if (a[0].kind != SG_CEL_LIST)
        return bad(c, out, call, a, n);
    uint32_t len = sg_cel__list_len(&a[0]);
    if (sg_cel__spend(c, len, out))
        return;
    for (uint32_t i = 1; i < len; i++) {
        sg_cel_value_t x, y;
        sg_cel__list_get(&a[0], i - 1, &x);
        sg_cel__list_get(&a[0], i, &y);
        int r = sg_cel__compare(&x, &y);
        if (r == -2) {
            const sg_cel_value_t args[2] = {x, y};
            return sg_cel__err_overload(c, out, "isSorted", args, 2);
        }
        if (r == 1) {
            *out = sg_cel__bool(0);
            return;
        }
    }
    *out = sg_cel__bool(1);
}

SG_CEL_FN(sg_cel__fn_sum)
{
    if (a[0].kind != SG_CEL_LIST)
        return bad(c, out, call, a, n);
    uint32_t len = sg_cel__list_len(&a[0]);
    if (sg_cel__spend(c, len, out))
        return;
    if (len == 0) {
        *out = sg_cel__int(0);
        return;
    }
    sg_cel__list_get(&a[0], 0, out);
    if (out->kind != SG_CEL_INT && out->kind != SG_CEL_UINT && out->kind != SG_CEL_DOUBLE &&
        out->kind != SG_CEL_DURATION)
        return sg_cel__err_overload(c, out, "sum", out, 1);
    for (uint32_t i = 1; i < len; i++) {
        sg_cel_value_t x, r;
        sg_cel__list_get(&a[0], i, &x);
        sg_cel__binop(c, OP_ADD, &r, out, &x);
        *out = r;
        if (r.kind == SG_CEL_ERROR)
            return;
    }
}

static void extreme(sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_value_t *l, int want, const char *name)
{
    uint32_t len = sg_cel__list_len(l);
    if (sg_cel__spend(c, len, out))
        return;
    if (len == 0)
        return sg_cel__err(c, out, "%s called on an empty list", name);
    sg_cel__list_get(l, 0, out);
    for (uint32_t i = 1; i < len; i++) {
        sg_cel_value_t x;
        sg_cel__list_get(l, i, &x);
        int r = sg_cel__compare(&x, out);
        if (r == -2) {
            const sg_cel_value_t args[2] = {*out, x};
            return sg_cel__err_overload(c, out, name, args, 2);
        }
        if (r == want)
            *out = x;
    }
    if (len == 1 && sg_cel__compare(out, out) == -2)
        return sg_cel__err_overload(c, out, name, out, 1);
}

SG_CEL_FN(sg_cel__fn_min)
{
    if (a[0].kind != SG_CEL_LIST)
        return bad(c, out, call, a, n);
    extreme(c, out, &a[0], -1, "min");
}

SG_CEL_FN(sg_cel__fn_max)
{
    if (a[0].kind != SG_CEL_LIST)
        return bad(c, out, call, a, n);
    extreme(c, out, &a[0], 1, "max");
}

SG_CEL_FN(sg_cel__fn_list_index_of)
{
    uint32_t len = sg_cel__list_len(&a[0]);
    if (sg_cel__spend(c, len, out))
        return;
    for (uint32_t i = 0; i < len; i++) {
        sg_cel_value_t x;
        sg_cel__list_get(&a[0], i, &x);
        if (sg_cel__equal(&x, &a[1], 0)) {
            *out = sg_cel__int(i);
            return;
        }
    }
    *out = sg_cel__int(-1);
}

SG_CEL_FN(sg_cel__fn_list_last_index_of)
{
    uint32_t len = sg_cel__list_len(&a[0]);
    if (sg_cel__spend(c, len, out))
        return;
    for (uint32_t i = len; i > 0; i--) {
        sg_cel_value_t x;
        sg_cel__list_get(&a[0], i - 1, &x);
        if (sg_cel__equal(&x, &a[1], 0)) {
            *out = sg_cel__int(i - 1);
            return;
        }
    }
    *out = sg_cel__int(-1);
}

static int list_has(const sg_cel_value_t *l, const sg_cel_value_t *x)
{
    uint32_t len = sg_cel__list_len(l);
    for (uint32_t i = 0; i < len; i++) {
        sg_cel_value_t y;
        sg_cel__list_get(l, i, &y);
        if (sg_cel__equal(&y, x, 0))
            return 1;
    }
    return 0;
}

/* every element of b is in a */
static int contains_all(sg_cel_ctx_t *c, const sg_cel_value_t *a, const sg_cel_value_t *b)
{
    uint32_t len = sg_cel__list_len(b);
    for (uint32_t i = 0; i < len; i++) {
        sg_cel_value_t x;
        sg_cel__list_get(b, i, &x);
        if (!list_has(a, &x))
            return 0;
    }
    return 1;
}

SG_CEL_FN(sg_cel__fn_sets_contains)
{
    if (a[0].kind != SG_CEL_LIST || a[1].kind != SG_CEL_LIST)
        return bad(c, out, call, a, n);
    if (sg_cel__spend(c, (uint64_t)sg_cel__list_len(&a[0]) * sg_cel__list_len(&a[1]), out))
        return;
    *out = sg_cel__bool(contains_all(c, &a[0], &a[1]));
}

SG_CEL_FN(sg_cel__fn_sets_equivalent)
{
    if (a[0].kind != SG_CEL_LIST || a[1].kind != SG_CEL_LIST)
        return bad(c, out, call, a, n);
    if (sg_cel__spend(c, 2 * (uint64_t)sg_cel__list_len(&a[0]) * sg_cel__list_len(&a[1]), out))
        return;
    *out = sg_cel__bool(contains_all(c, &a[0], &a[1]) && contains_all(c, &a[1], &a[0]));
}

SG_CEL_FN(sg_cel__fn_sets_intersects)
{
    if (a[0].kind != SG_CEL_LIST || a[1].kind != SG_CEL_LIST)
        return bad(c, out, call, a, n);
    uint32_t len = sg_cel__list_len(&a[1]);
    if (sg_cel__spend(c, (uint64_t)len * sg_cel__list_len(&a[0]), out))
        return;
    for (uint32_t i = 0; i < len; i++) {
        sg_cel_value_t x;
        sg_cel__list_get(&a[1], i, &x);
        if (list_has(&a[0], &x)) {
            *out = sg_cel__bool(1);
            return;
        }
    }
    *out = sg_cel__bool(0);
}
