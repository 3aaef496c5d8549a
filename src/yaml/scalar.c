/* YAML 1.2 core-schema typing of scalars, and lexeme normalisation so every number keeps a JSON-valid text. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include <storygate/error.h>

#include "internal.h"

static int eq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static int is_null(const char *s, size_t len)
{
    return len == 0 || eq(s, len, "~") || eq(s, len, "null") || eq(s, len, "Null") || eq(s, len, "NULL");
}

static int is_bool(const char *s, size_t len, int *v)
{
    if (eq(s, len, "true") || eq(s, len, "True") || eq(s, len, "TRUE"))
        return *v = 1, 1;
    if (eq(s, len, "false") || eq(s, len, "False") || eq(s, len, "FALSE"))
        return *v = 0, 1;
    return 0;
}

static int all_digits(const char *s, size_t len, int base)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = base == 8    ? (c >= '0' && c <= '7')
                 : base == 16 ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
                              : (c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

static double to_double(const char *s, size_t len)
{
    char small[64];
    char *tmp = len < sizeof(small) ? small : malloc(len + 1);
    if (tmp == NULL)
        return NAN;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    double v = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    return v;
}

/* [-+]?[0-9]+ as a JSON integer lexeme: sign '+' and leading zeros dropped (a substring of the source when possible).
 */
static int resolve_int10(sg_yaml__scalar_t *out, const char *s, size_t len)
{
    size_t i = (len > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (!all_digits(s + i, len - i, 10))
        return 0;
    out->type = SG_JSON_NUMBER;
    out->number = to_double(s, len);
    size_t j = i;
    while (j + 1 < len && s[j] == '0')
        j++;
    if (s[0] != '-' || (len - j == 1 && s[j] == '0')) {
        out->text = s + j;
        out->text_len = len - j;
    } else if (j == i) {
        out->text = s;
        out->text_len = len;
    } else {
        int n = snprintf(out->_textbuf, sizeof(out->_textbuf), "-%.*s", (int)(len - j), s + j);
        if (n < 0 || (size_t)n >= sizeof(out->_textbuf))
            n = snprintf(out->_textbuf, sizeof(out->_textbuf), "%.17g", out->number);
        out->text = out->_textbuf;
        out->text_len = (size_t)n;
    }
    return 1;
}

static int resolve_prefixed(sg_yaml__scalar_t *out, const char *s, size_t len, char marker, int base)
{
    if (len < 3 || s[0] != '0' || s[1] != marker || !all_digits(s + 2, len - 2, base))
        return 0;
    char tmp[80];
    if (len >= sizeof(tmp))
        return 0;
    memcpy(tmp, s + 2, len - 2);
    tmp[len - 2] = '\0';
    errno = 0;
    unsigned long long v = strtoull(tmp, NULL, base);
    if (errno == ERANGE)
        return 0;
    out->type = SG_JSON_NUMBER;
    out->number = (double)v;
    out->text_len = (size_t)snprintf(out->_textbuf, sizeof(out->_textbuf), "%llu", v);
    out->text = out->_textbuf;
    return 1;
}

/* 1 when s[i..len) is empty or one whole exponent, [eE][-+]?[0-9]+: the tail both number grammars share. */
static int rest_is_exponent(const char *s, size_t len, size_t i)
{
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t e = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, e++;
        if (e == 0)
            return 0;
    }
    return i == len;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int is_float(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    size_t int_digits = 0, frac_digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, int_digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, frac_digits++;
        if (int_digits == 0 && frac_digits == 0)
            return 0;
    } else if (int_digits == 0) {
        return 0;
    }
    return rest_is_exponent(s, len, i);
}

/* JSON: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
static int is_json_number(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && s[i] == '-')
        i++;
    if (i >= len)
        return 0;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t f = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, f++;
        if (f == 0)
            return 0;
    }
    return rest_is_exponent(s, len, i);
}

static int resolve_float(sg_yaml__scalar_t *out, const char *s, size_t len)
{
    size_t i = (len > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    const char *rest = s + i;
    size_t rlen = len - i;
    if (eq(rest, rlen, ".inf") || eq(rest, rlen, ".Inf") || eq(rest, rlen, ".INF")) {
        out->type = SG_JSON_NUMBER;
        out->number = s[0] == '-' ? -INFINITY : INFINITY;
        out->text = NULL;
        return 1;
    }
    if (i == 0 && (eq(s, len, ".nan") || eq(s, len, ".NaN") || eq(s, len, ".NAN"))) {
        out->type = SG_JSON_NUMBER;
        out->number = NAN;
        out->text = NULL;
        return 1;
    }
    if (!is_float(s, len))
        return 0;
    out->type = SG_JSON_NUMBER;
    out->number = to_double(s, len);
    if (is_json_number(s, len)) {
        out->text = NULL; /* the source text is already a JSON lexeme */
        return 1;
    }
    if (!isfinite(out->number)) {
        out->text = NULL;
        return 1;
    }
    out->text_len = (size_t)snprintf(out->_textbuf, sizeof(out->_textbuf), "%.17g", out->number);
    out->text = out->_textbuf;
    return 1;
}

void sg_yaml__resolve_plain(sg_yaml__scalar_t *out, const char *s, size_t len)
{
    memset(out, 0, offsetof(sg_yaml__scalar_t, _textbuf));
    out->type = SG_JSON_STRING;
    if (is_null(s, len)) {
        out->type = SG_JSON_NULL;
        return;
    }
    if (is_bool(s, len, &out->boolean)) {
        out->type = SG_JSON_BOOL;
        return;
    }
    if (len == 0)
        return;
    char c = s[0];
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.'))
        return;
    if (resolve_prefixed(out, s, len, 'o', 8) || resolve_prefixed(out, s, len, 'x', 16) || resolve_int10(out, s, len) ||
        resolve_float(out, s, len))
        return;
    memset(out, 0, offsetof(sg_yaml__scalar_t, _textbuf));
    out->type = SG_JSON_STRING;
}

int sg_yaml__resolve_tagged(sg_yaml__scalar_t *out, const char *tag, const char *s, size_t len)
{
    memset(out, 0, offsetof(sg_yaml__scalar_t, _textbuf));
    if (strcmp(tag, YAML_STR_TAG) == 0) {
        out->type = SG_JSON_STRING;
        return 0;
    }
    sg_yaml__scalar_t plain;
    sg_yaml__resolve_plain(&plain, s, len);
    if (strcmp(tag, YAML_NULL_TAG) == 0) {
        if (plain.type != SG_JSON_NULL)
            return SG_EINVALID;
    } else if (strcmp(tag, YAML_BOOL_TAG) == 0) {
        if (plain.type != SG_JSON_BOOL)
            return SG_EINVALID;
    } else if (strcmp(tag, YAML_INT_TAG) == 0) {
        if (plain.type != SG_JSON_NUMBER || plain.number != floor(plain.number))
            return SG_EINVALID;
    } else if (strcmp(tag, YAML_FLOAT_TAG) == 0) {
        if (plain.type != SG_JSON_NUMBER)
            return SG_EINVALID;
    } else {
        return SG_EUNSUPPORTED;
    }
    *out = plain;
    if (plain.text == plain._textbuf)
        out->text = out->_textbuf;
    return 0;
}
