/* Field errors as apimachinery prints them: "<path>: <Type>[: <bad value>][: <detail>]", values in Go's %q / %v or
 * JSON, and the aggregate "Kind.group \"name\" is invalid: [a, b]" of one object with repeated messages dropped. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/gostr.h>

#include "internal.h"

static const char *type_string(sg_field_error_type_t t)
{
    switch (t) {
    case SG_FIELD_REQUIRED:
        return "Required value";
    case SG_FIELD_INVALID:
    case SG_FIELD_TYPE_INVALID:
        return "Invalid value";
    case SG_FIELD_NOT_SUPPORTED:
        return "Unsupported value";
    case SG_FIELD_TOO_LONG:
        return "Too long";
    case SG_FIELD_TOO_MANY:
        return "Too many";
    case SG_FIELD_DUPLICATE:
        return "Duplicate value";
    case SG_FIELD_FORBIDDEN:
        return "Forbidden";
    case SG_FIELD_INTERNAL:
        return "Internal error";
    case SG_FIELD_UNKNOWN:
    default:
        return "Unknown field";
    }
}

int sg_schema__is_int(const sg_json_t *v, int64_t *out)
{
    if (v == NULL || v->type != SG_JSON_NUMBER)
        return 0;
    double d = v->u.number.value;
    if (v->u.number.text != NULL) {
        /* the apiserver's decoder: an integer literal that fits int64 stays an integer */
        const char *t = v->u.number.text;
        size_t n = v->u.number.text_len;
        if (memchr(t, '.', n) == NULL && memchr(t, 'e', n) == NULL && memchr(t, 'E', n) == NULL) {
            char buf[32];
            if (n >= sizeof(buf))
                return 0;
            memcpy(buf, t, n);
            buf[n] = '\0';
            errno = 0;
            char *end;
            long long ll = strtoll(buf, &end, 10);
            if (errno != 0 || *end != '\0')
                return 0;
            if (out != NULL)
                *out = ll;
            return 1;
        }
        return 0;
    }
    if (floor(d) != d || fabs(d) > 9.2e18)
        return 0;
    if (out != NULL)
        *out = (int64_t)d;
    return 1;
}

int sg_schema__go_float(sg_buf_t *out, double v)
{
    if (isnan(v))
        return sg_buf_puts(out, "NaN");
    if (isinf(v))
        return sg_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    if (v == 0)
        return sg_buf_puts(out, signbit(v) ? "-0" : "0");
    char buf[64];
    int prec;
    /* the shortest digit string that reads back as the same float64 */
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    char *e = strchr(buf, 'e');
    int exp = atoi(e + 1);
    char digits[32];
    size_t nd = 0;
    for (const char *p = buf; p < e; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    if (v < 0)
        sg_buf_putc(out, '-');
    if (exp < -4 || exp >= 6) {
        sg_buf_putc(out, digits[0]);
        if (nd > 1) {
            sg_buf_putc(out, '.');
            sg_buf_append(out, digits + 1, nd - 1);
        }
        return sg_buf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
    }
    if (exp < 0) {
        sg_buf_puts(out, "0.");
        for (int i = -1; i > exp; i--)
            sg_buf_putc(out, '0');
        return sg_buf_append(out, digits, nd);
    }
    for (int i = 0; i <= exp; i++)
        sg_buf_putc(out, (size_t)i < nd ? digits[i] : '0');
    if ((size_t)exp + 1 < nd) {
        sg_buf_putc(out, '.');
        sg_buf_append(out, digits + exp + 1, nd - (size_t)exp - 1);
    }
    return out->oom ? SG_ENOMEM : SG_OK;
}

int sg_schema__bad_value(sg_buf_t *out, const sg_json_t *v)
{
    int64_t i;
    if (v == NULL || v->type == SG_JSON_NULL)
        return sg_buf_puts(out, "null");
    switch (v->type) {
    case SG_JSON_STRING:
        return sg_go_quote(out, v->u.string.ptr, v->u.string.len);
    case SG_JSON_BOOL:
        return sg_buf_puts(out, v->u.boolean ? "true" : "false");
    case SG_JSON_NUMBER:
        if (sg_schema__is_int(v, &i))
            return sg_buf_printf(out, "%lld", (long long)i);
        return sg_schema__go_float(out, v->u.number.value);
    default:
        return sg_json_encode_go(out, v);
    }
}

static int push(sg_schema_run_t *r, sg_field_error_type_t type, const char *field, const char *message)
{
    sg_field_errors_t *e = r->errors;
    if (e->len == e->_cap) {
        size_t nc = e->_cap ? e->_cap * 2 : 8;
        sg_field_error_t *ni = sg_arena_alloc(r->arena, nc * sizeof(*ni));
        if (ni == NULL)
            return SG_ENOMEM;
        if (e->len)
            memcpy(ni, e->items, e->len * sizeof(*ni));
        e->items = ni;
        e->_cap = nc;
    }
    e->items[e->len].type = type;
    e->items[e->len].field = field;
    e->items[e->len].message = message;
    e->len++;
    return SG_OK;
}

int sg_schema__add_raw(sg_schema_run_t *r, sg_field_error_type_t type, const char *field, const char *body)
{
    const char *f = field[0] != '\0' ? field : "<nil>";
    char *fcopy = sg_arena_strndup(r->arena, f, strlen(f));
    char *msg = sg_arena_printf(r->arena, "%s: %s", f, body);
    if (fcopy == NULL || msg == NULL || push(r, type, fcopy, msg) < 0) {
        r->nomem = 1;
        return SG_ENOMEM;
    }
    return SG_OK;
}

int sg_schema__add(sg_schema_run_t *r, sg_field_error_type_t type, const char *field, const sg_json_t *value,
                   int omit_value, const char *detail)
{
    sg_buf_t b = SG_BUF_INIT;
    sg_buf_puts(&b, type_string(type));
    switch (type) {
    case SG_FIELD_INVALID:
    case SG_FIELD_TYPE_INVALID:
    case SG_FIELD_NOT_SUPPORTED:
    case SG_FIELD_DUPLICATE:
    case SG_FIELD_TOO_MANY:
        if (!omit_value) {
            sg_buf_puts(&b, ": ");
            sg_schema__bad_value(&b, value);
        }
        break;
    default:
        break;
    }
    if (detail != NULL && detail[0] != '\0') {
        sg_buf_puts(&b, ": ");
        sg_buf_puts(&b, detail);
    }
    int rc = b.oom ? SG_ENOMEM : sg_schema__add_raw(r, type, field, b.base);
    sg_buf_dispose(&b);
    if (rc < 0)
        r->nomem = 1;
    return rc;
}

int sg_schema_errors_format(sg_buf_t *out, const char *qualified_kind, const char *name,
                            const sg_field_errors_t *errors, int skip_unknown)
{
    sg_buf_puts(out, qualified_kind);
    sg_buf_putc(out, ' ');
    sg_go_quote(out, name != NULL ? name : "", name != NULL ? strlen(name) : 0);
    sg_buf_puts(out, " is invalid");
    size_t shown = 0, first = 0;
    size_t start = out->len;
    for (size_t i = 0; i < errors->len; i++) {
        const sg_field_error_t *e = &errors->items[i];
        if (skip_unknown && e->type == SG_FIELD_UNKNOWN)
            continue;
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = (!skip_unknown || errors->items[j].type != SG_FIELD_UNKNOWN) &&
                  strcmp(errors->items[j].message, e->message) == 0;
        if (dup)
            continue;
        if (shown == 0) {
            sg_buf_puts(out, ": ");
            first = out->len;
        } else {
            sg_buf_puts(out, ", ");
        }
        sg_buf_puts(out, e->message);
        shown++;
    }
    if (shown > 1 && !out->oom) {
        /* several errors are bracketed: insert '[' before the first and close the list */
        sg_buf_putc(out, ']');
        if (!out->oom && sg_buf_reserve(out, 1) == SG_OK) {
            memmove(out->base + first + 1, out->base + first, out->len - first + 1);
            out->base[first] = '[';
            out->len++;
        }
    }
    (void)start;
    return out->oom ? SG_ENOMEM : SG_OK;
}
