/* Values to and from cel.expr.Value in proto3 JSON form (the conformance suite's format), and a human rendering
 * for the CLI and error messages. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define MAX_DEPTH 200

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(sg_buf_t *b, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        sg_buf_append(b, q, 4);
    }
}

static int b64val(char ch)
{
    const char *p = ch ? strchr(b64, ch) : NULL;
    if (p != NULL)
        return (int)(p - b64);
    if (ch == '-')
        return 62;
    if (ch == '_')
        return 63;
    return -1;
}

static int decode_base64(sg_arena_t *a, const char *s, size_t n, char **out, size_t *outlen)
{
    char *buf = sg_arena_alloc(a, n / 4 * 3 + 4);
    if (buf == NULL)
        return SG_ENOMEM;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=')
            break;
        int v = b64val(s[i]);
        if (v < 0)
            return SG_EINVALID;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (char)((acc >> bits) & 0xFF);
        }
    }
    *out = buf;
    *outlen = o;
    return SG_OK;
}

static void put_json_string(sg_buf_t *b, const char *s, size_t n)
{
    sg_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '"':
            sg_buf_puts(b, "\\\"");
            break;
        case '\\':
            sg_buf_puts(b, "\\\\");
            break;
        case '\n':
            sg_buf_puts(b, "\\n");
            break;
        case '\r':
            sg_buf_puts(b, "\\r");
            break;
        case '\t':
            sg_buf_puts(b, "\\t");
            break;
        default:
            if (ch < 0x20 || ch == 0x7f)
                sg_buf_printf(b, "\\u%04x", ch);
            else
                sg_buf_putc(b, (char)ch);
        }
    }
    sg_buf_putc(b, '"');
}

static void put_double(sg_buf_t *b, double d)
{
    if (isnan(d)) {
        sg_buf_puts(b, "\"NaN\"");
        return;
    }
    if (isinf(d)) {
        sg_buf_puts(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    sg_buf_puts(b, buf);
}

static void write_value(sg_buf_t *b, const sg_cel_value_t *v, int depth)
{
    char tmp[64];
    if (depth > MAX_DEPTH) {
        sg_buf_puts(b, "{\"error\":\"value nested too deeply\"}");
        return;
    }
    switch (v->kind) {
    case SG_CEL_NULL:
        sg_buf_puts(b, "{\"nullValue\":null}");
        break;
    case SG_CEL_BOOL:
        sg_buf_puts(b, v->u.b ? "{\"boolValue\":true}" : "{\"boolValue\":false}");
        break;
    case SG_CEL_INT:
        sg_buf_printf(b, "{\"int64Value\":\"%lld\"}", (long long)v->u.i);
        break;
    case SG_CEL_UINT:
        sg_buf_printf(b, "{\"uint64Value\":\"%llu\"}", (unsigned long long)v->u.u);
        break;
    case SG_CEL_DOUBLE:
        sg_buf_puts(b, "{\"doubleValue\":");
        put_double(b, v->u.d);
        sg_buf_putc(b, '}');
        break;
    case SG_CEL_STRING:
        sg_buf_puts(b, "{\"stringValue\":");
        put_json_string(b, v->u.s, v->len);
        sg_buf_putc(b, '}');
        break;
    case SG_CEL_BYTES:
        sg_buf_puts(b, "{\"bytesValue\":\"");
        put_base64(b, (const unsigned char *)v->u.s, v->len);
        sg_buf_puts(b, "\"}");
        break;
    case SG_CEL_TYPE:
        sg_buf_puts(b, "{\"typeValue\":");
        put_json_string(b, v->u.s, v->len);
        sg_buf_putc(b, '}');
        break;
    case SG_CEL_TIMESTAMP:
    case SG_CEL_DURATION:
        if (v->kind == SG_CEL_TIMESTAMP)
            sg_cel__format_timestamp(tmp, sizeof(tmp), v->u.i, ((int32_t)v->len));
        else
            sg_cel__format_duration(tmp, sizeof(tmp), v->u.i, ((int32_t)v->len));
        sg_buf_printf(b, "{\"objectValue\":{\"@type\":\"type.googleapis.com/google.protobuf.%s\",\"value\":\"%s\"}}",
                      v->kind == SG_CEL_TIMESTAMP ? "Timestamp" : "Duration", tmp);
        break;
    case SG_CEL_LIST: {
        sg_buf_puts(b, "{\"listValue\":{\"values\":[");
        uint32_t n = sg_cel__list_len(v);
        for (uint32_t i = 0; i < n; i++) {
            sg_cel_value_t x;
            sg_cel__list_get(v, i, &x);
            if (i)
                sg_buf_putc(b, ',');
            write_value(b, &x, depth + 1);
        }
        sg_buf_puts(b, "]}}");
        break;
    }
    case SG_CEL_MAP: {
        sg_buf_puts(b, "{\"mapValue\":{\"entries\":[");
        uint32_t n = sg_cel__map_len(v);
        for (uint32_t i = 0; i < n; i++) {
            sg_cel_value_t k, x;
            sg_cel__map_entry(v, i, &k, &x);
            sg_buf_puts(b, i ? ",{\"key\":" : "{\"key\":");
            write_value(b, &k, depth + 1);
            sg_buf_puts(b, ",\"value\":");
            write_value(b, &x, depth + 1);
            sg_buf_putc(b, '}');
        }
        sg_buf_puts(b, "]}}");
        break;
    }
    case SG_CEL_OPTIONAL:
        sg_buf_puts(b, "{\"optionalValue\":");
        if (v->u.opt == NULL)
            sg_buf_puts(b, "null");
        else
            write_value(b, v->u.opt, depth + 1);
        sg_buf_putc(b, '}');
        break;
    default:
        sg_buf_puts(b, "{\"error\":");
        put_json_string(b, v->u.s, v->len);
        sg_buf_putc(b, '}');
    }
}

int sg_cel_value_write_proto_json(sg_buf_t *out, const sg_cel_value_t *v)
{
    write_value(out, v, 0);
    return out->oom ? SG_ENOMEM : SG_OK;
}

/* ---- reading ---- */

static const sg_json_t *member(const sg_json_t *o, const char *key)
{
    if (o == NULL || o->type != SG_JSON_OBJECT)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < o->u.object.len; i++)
        if (o->u.object.members[i].key_len == kl && memcmp(o->u.object.members[i].key, key, kl) == 0)
            return o->u.object.members[i].value;
    return NULL;
}

static int from_json(sg_cel_value_t *out, sg_arena_t *a, const sg_json_t *j, sg_error_t *err, int depth);

static int number_text(const sg_json_t *v, char *buf, size_t n)
{
    if (v->type == SG_JSON_STRING) {
        if (v->u.string.len >= n)
            return 0;
        memcpy(buf, v->u.string.ptr, v->u.string.len);
        buf[v->u.string.len] = 0;
        return 1;
    }
    if (v->type == SG_JSON_NUMBER) {
        if (v->u.number.text != NULL && v->u.number.text_len < n) {
            memcpy(buf, v->u.number.text, v->u.number.text_len);
            buf[v->u.number.text_len] = 0;
        } else {
            snprintf(buf, n, "%.17g", v->u.number.value);
        }
        return 1;
    }
    return 0;
}

static int from_json(sg_cel_value_t *out, sg_arena_t *a, const sg_json_t *j, sg_error_t *err, int depth)
{
    if (depth > MAX_DEPTH)
        return sg_error_set(err, SG_ELIMIT, "value nested too deeply");
    if (j == NULL || j->type != SG_JSON_OBJECT || j->u.object.len != 1)
        return sg_error_set(err, SG_EINVALID, "a Value must be an object with exactly one member");
    const char *k = j->u.object.members[0].key;
    const sg_json_t *v = j->u.object.members[0].value;
    char buf[64];
    if (strcmp(k, "nullValue") == 0) {
        *out = sg_cel_null();
    } else if (strcmp(k, "boolValue") == 0) {
        if (v->type != SG_JSON_BOOL)
            return sg_error_set(err, SG_EINVALID, "boolValue must be a boolean");
        *out = sg_cel__bool(v->u.boolean);
    } else if (strcmp(k, "int64Value") == 0 || strcmp(k, "uint64Value") == 0) {
        char *end;
        if (!number_text(v, buf, sizeof(buf)))
            return sg_error_set(err, SG_EINVALID, "%s must be a decimal string", k);
        errno = 0;
        if (k[0] == 'i') {
            long long x = strtoll(buf, &end, 10);
            if (errno || *end)
                return sg_error_set(err, SG_EINVALID, "bad int64Value '%s'", buf);
            *out = sg_cel__int(x);
        } else {
            unsigned long long x = strtoull(buf, &end, 10);
            if (errno || *end || buf[0] == '-')
                return sg_error_set(err, SG_EINVALID, "bad uint64Value '%s'", buf);
            *out = sg_cel_uint(x);
        }
    } else if (strcmp(k, "doubleValue") == 0) {
        if (v->type == SG_JSON_NUMBER) {
            *out = sg_cel_double(v->u.number.value);
        } else if (v->type == SG_JSON_STRING) {
            const char *s = v->u.string.ptr;
            if (strcmp(s, "NaN") == 0)
                *out = sg_cel_double(NAN);
            else if (strcmp(s, "Infinity") == 0)
                *out = sg_cel_double(INFINITY);
            else if (strcmp(s, "-Infinity") == 0)
                *out = sg_cel_double(-INFINITY);
            else {
                char *end;
                double d = strtod(s, &end);
                if (*end || !*s)
                    return sg_error_set(err, SG_EINVALID, "bad doubleValue '%s'", s);
                *out = sg_cel_double(d);
            }
        } else {
            return sg_error_set(err, SG_EINVALID, "doubleValue must be a number");
        }
    } else if (strcmp(k, "stringValue") == 0) {
        if (v->type != SG_JSON_STRING)
            return sg_error_set(err, SG_EINVALID, "stringValue must be a string");
        *out = sg_cel_string(v->u.string.ptr, v->u.string.len);
    } else if (strcmp(k, "bytesValue") == 0) {
        char *d;
        size_t dl;
        if (v->type != SG_JSON_STRING || decode_base64(a, v->u.string.ptr, v->u.string.len, &d, &dl) < 0)
            return sg_error_set(err, SG_EINVALID, "bytesValue must be base64");
        *out = sg_cel_bytes(d, dl);
    } else if (strcmp(k, "typeValue") == 0) {
        if (v->type != SG_JSON_STRING)
            return sg_error_set(err, SG_EINVALID, "typeValue must be a string");
        *out = sg_cel__type_value(sg_arena_strndup(a, v->u.string.ptr, v->u.string.len));
    } else if (strcmp(k, "listValue") == 0) {
        const sg_json_t *vals = member(v, "values");
        size_t n = vals != NULL && vals->type == SG_JSON_ARRAY ? vals->u.array.len : 0;
        sg_cel_list_t *l = sg_cel__list_new(a, (uint32_t)n);
        if (l == NULL)
            return sg_error_set(err, SG_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            int rc = from_json(&l->items[i], a, vals->u.array.items[i], err, depth + 1);
            if (rc < 0)
                return rc;
        }
        l->len = (uint32_t)n;
        *out = sg_cel__v(SG_CEL_LIST);
        out->u.list = l;
    } else if (strcmp(k, "mapValue") == 0) {
        const sg_json_t *ents = member(v, "entries");
        size_t n = ents != NULL && ents->type == SG_JSON_ARRAY ? ents->u.array.len : 0;
        sg_cel_map_t *m = sg_cel__map_new(a, (uint32_t)n);
        if (m == NULL)
            return sg_error_set(err, SG_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            sg_cel_value_t key, val;
            int rc = from_json(&key, a, member(ents->u.array.items[i], "key"), err, depth + 1);
            if (rc < 0)
                return rc;
            rc = from_json(&val, a, member(ents->u.array.items[i], "value"), err, depth + 1);
            if (rc < 0)
                return rc;
            rc = sg_cel__map_put(a, m, &key, &val);
            if (rc == 1)
                return sg_error_set(err, SG_EINVALID, "repeated map key");
            if (rc < 0)
                return sg_error_set(err, SG_EINVALID, "invalid map key");
        }
        *out = sg_cel__v(SG_CEL_MAP);
        out->u.map = m;
    } else if (strcmp(k, "objectValue") == 0) {
        const sg_json_t *t = member(v, "@type"), *val = member(v, "value");
        const char *tn = t != NULL && t->type == SG_JSON_STRING ? t->u.string.ptr : "";
        int64_t s;
        int32_t ns;
        if (val != NULL && val->type == SG_JSON_STRING &&
            strcmp(tn, "type.googleapis.com/google.protobuf.Timestamp") == 0 &&
            sg_cel__parse_timestamp(val->u.string.ptr, val->u.string.len, &s, &ns)) {
            *out = sg_cel__v(SG_CEL_TIMESTAMP);
        } else if (val != NULL && val->type == SG_JSON_STRING &&
                   strcmp(tn, "type.googleapis.com/google.protobuf.Duration") == 0 &&
                   sg_cel__parse_duration(val->u.string.ptr, val->u.string.len, &s, &ns)) {
            *out = sg_cel__v(SG_CEL_DURATION);
        } else {
            return sg_error_set(err, SG_EUNSUPPORTED, "unsupported objectValue type '%s'", tn);
        }
        out->u.i = s;
        out->len = (uint32_t)ns;
    } else {
        return sg_error_set(err, SG_EUNSUPPORTED, "unsupported Value kind '%s'", k);
    }
    return SG_OK;
}

int sg_cel_value_from_proto_json(sg_cel_value_t *out, sg_arena_t *arena, const sg_json_t *j, sg_error_t *err)
{
    return from_json(out, arena, j, err, 0);
}

/* ---- human rendering ---- */

static void fmt_value(sg_buf_t *b, const sg_cel_value_t *v, int depth)
{
    char tmp[64];
    if (depth > MAX_DEPTH) {
        sg_buf_puts(b, "...");
        return;
    }
    switch (v->kind) {
    case SG_CEL_NULL:
        sg_buf_puts(b, "null");
        break;
    case SG_CEL_BOOL:
        sg_buf_puts(b, v->u.b ? "true" : "false");
        break;
    case SG_CEL_INT:
        sg_buf_printf(b, "%lld", (long long)v->u.i);
        break;
    case SG_CEL_UINT:
        sg_buf_printf(b, "%lluu", (unsigned long long)v->u.u);
        break;
    case SG_CEL_DOUBLE:
        sg_cel__format_double(tmp, sizeof(tmp), v->u.d);
        sg_buf_puts(b, tmp);
        if (isfinite(v->u.d) && strpbrk(tmp, ".e") == NULL)
            sg_buf_puts(b, ".0");
        break;
    case SG_CEL_STRING:
        put_json_string(b, v->u.s, v->len);
        break;
    case SG_CEL_BYTES:
        sg_buf_puts(b, "b\"");
        for (uint32_t i = 0; i < v->len; i++) {
            unsigned char ch = (unsigned char)v->u.s[i];
            if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
                sg_buf_putc(b, (char)ch);
            else
                sg_buf_printf(b, "\\x%02x", ch);
        }
        sg_buf_putc(b, '"');
        break;
    case SG_CEL_TYPE:
        sg_buf_append(b, v->u.s, v->len);
        break;
    case SG_CEL_TIMESTAMP:
        sg_cel__format_timestamp(tmp, sizeof(tmp), v->u.i, ((int32_t)v->len));
        sg_buf_printf(b, "timestamp(\"%s\")", tmp);
        break;
    case SG_CEL_DURATION:
        sg_cel__format_duration(tmp, sizeof(tmp), v->u.i, ((int32_t)v->len));
        sg_buf_printf(b, "duration(\"%s\")", tmp);
        break;
    case SG_CEL_LIST: {
        sg_buf_putc(b, '[');
        uint32_t n = sg_cel__list_len(v);
        for (uint32_t i = 0; i < n; i++) {
            sg_cel_value_t x;
            sg_cel__list_get(v, i, &x);
            if (i)
                sg_buf_puts(b, ", ");
            fmt_value(b, &x, depth + 1);
        }
        sg_buf_putc(b, ']');
        break;
    }
    case SG_CEL_MAP: {
        sg_buf_putc(b, '{');
        uint32_t n = sg_cel__map_len(v);
        for (uint32_t i = 0; i < n; i++) {
            sg_cel_value_t k, x;
            sg_cel__map_entry(v, i, &k, &x);
            if (i)
                sg_buf_puts(b, ", ");
            fmt_value(b, &k, depth + 1);
            sg_buf_puts(b, ": ");
            fmt_value(b, &x, depth + 1);
        }
        sg_buf_putc(b, '}');
        break;
    }
    case SG_CEL_OPTIONAL:
        if (v->u.opt == NULL) {
            sg_buf_puts(b, "optional.none()");
        } else {
            sg_buf_puts(b, "optional.of(");
            fmt_value(b, v->u.opt, depth + 1);
            sg_buf_putc(b, ')');
        }
        break;
    default:
        sg_buf_puts(b, "error: ");
        sg_buf_append(b, v->u.s, v->len);
    }
}

int sg_cel_value_format(sg_buf_t *out, const sg_cel_value_t *v)
{
    fmt_value(out, v, 0);
    return out->oom ? SG_ENOMEM : SG_OK;
}
