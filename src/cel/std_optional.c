/* Optional values: optional.of, optional.none, optional.ofNonZeroValue, hasValue and value (or/orValue are lazy and
 * live in the evaluator; ?. and [?] in selection and indexing). */
#include "std.h"

SG_CEL_FN(sg_cel__fn_optional_of)
{
    sg_cel__optional(c, &a[0], out);
}

SG_CEL_FN(sg_cel__fn_optional_none)
{
    sg_cel__optional(c, NULL, out);
}

static int is_zero(const sg_cel_value_t *v)
{
    switch (v->kind) {
    case SG_CEL_NULL:
        return 1;
    case SG_CEL_BOOL:
        return !v->u.b;
    case SG_CEL_INT:
        return v->u.i == 0;
    case SG_CEL_UINT:
        return v->u.u == 0;
    case SG_CEL_DOUBLE:
        return v->u.d == 0;
    case SG_CEL_STRING:
    case SG_CEL_BYTES:
        return v->len == 0;
    case SG_CEL_LIST:
        return sg_cel__list_len(v) == 0;
    case SG_CEL_MAP:
        return sg_cel__map_len(v) == 0;
    case SG_CEL_TIMESTAMP:
    case SG_CEL_DURATION:
        return v->u.i == 0 && ((int32_t)v->len) == 0;
    case SG_CEL_OPTIONAL:
        return v->u.opt == NULL;
    default:
        return 0;
    }
}

SG_CEL_FN(sg_cel__fn_optional_of_non_zero)
{
    sg_cel__optional(c, is_zero(&a[0]) ? NULL : &a[0], out);
}

SG_CEL_FN(sg_cel__fn_has_value)
{
    if (a[0].kind != SG_CEL_OPTIONAL)
        return sg_cel__err_overload(c, out, "hasValue", a, n);
    *out = sg_cel__bool(a[0].u.opt != NULL);
}

SG_CEL_FN(sg_cel__fn_value)
{
    if (a[0].kind != SG_CEL_OPTIONAL)
        return sg_cel__err_overload(c, out, "value", a, n);
    if (a[0].u.opt == NULL)
        return sg_cel__err(c, out, "optional.none() dereference");
    *out = *a[0].u.opt;
}
