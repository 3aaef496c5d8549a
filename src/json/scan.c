/* The syntax check that runs before the tree is built: a transcription of Go's encoding/json scanner (checkValid),
 * so acceptance, depth limit and error text match Go byte for byte; STRICT adds UTF-8 validation and human messages
 * with line, column and the JSON Pointer of the innermost open container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { PARSE_OBJECT_KEY, PARSE_OBJECT_VALUE, PARSE_ARRAY_VALUE };

/* Why a byte was refused; each has Go's wording and a STRICT wording. */
typedef enum en_ctx_t {
    CTX_BEGIN_VALUE,
    CTX_BEGIN_KEY,
    CTX_AFTER_KEY,
    CTX_AFTER_PAIR,
    CTX_AFTER_ELEMENT,
    CTX_AFTER_TOP,
    CTX_IN_STRING,
    CTX_IN_ESCAPE,
    CTX_IN_HEX,
    CTX_IN_NUMBER,
    CTX_AFTER_DOT,
    CTX_IN_EXPONENT,
    CTX_LITERAL, /* followed by the literal and expected letter */
    CTX_DEPTH,
} ctx_t;

static const char *const go_context[] = {
    "looking for beginning of value",
    "looking for beginning of object key string",
    "after object key",
    "after object key:value pair",
    "after array element",
    "after top-level value",
    "in string literal",
    "in string escape code",
    "in \\u hexadecimal character escape",
    "in numeric literal",
    "after decimal point in numeric literal",
    "in exponent of numeric literal",
    "in literal",
    "exceeded max depth",
};

typedef struct st_scanner_t scanner_t;
typedef int (*step_fn)(scanner_t *, unsigned char);

#define SCAN_OK 0
#define SCAN_ERROR (-1)
#define LOCAL_DEPTH 64

struct st_scanner_t {
    step_fn step;
    int end_top;
    int failed;
    /* the refusal, filled by fail() */
    ctx_t ctx;
    unsigned char bad;
    const char *literal;
    char expect;
    /* the parse-state stack: kind, and for objects the offset of the current key, for arrays the element index */
    uint8_t *ps;
    uint32_t *aux;
    size_t depth;
    size_t cap;
    uint8_t local_ps[LOCAL_DEPTH];
    uint32_t local_aux[LOCAL_DEPTH];
    size_t max_depth;
    size_t max_string;
    int alloc_failed;
    /* offset of the byte being stepped and of the current string's opening quote */
    size_t off;
    size_t str_start;
    int string_too_long;
};

static int fail(scanner_t *s, unsigned char c, ctx_t ctx);
static int state_begin_value(scanner_t *s, unsigned char c);
static int state_begin_string(scanner_t *s, unsigned char c);
static int state_begin_string_or_empty(scanner_t *s, unsigned char c);
static int state_end_value(scanner_t *s, unsigned char c);
static int state_end_top(scanner_t *s, unsigned char c);
static int state_in_string(scanner_t *s, unsigned char c);
static int state_in_string_esc(scanner_t *s, unsigned char c);
static int state_esc_u(scanner_t *s, unsigned char c);
static int state_esc_u1(scanner_t *s, unsigned char c);
static int state_esc_u12(scanner_t *s, unsigned char c);
static int state_esc_u123(scanner_t *s, unsigned char c);
static int state_neg(scanner_t *s, unsigned char c);
static int state_1(scanner_t *s, unsigned char c);
static int state_0(scanner_t *s, unsigned char c);
static int state_dot(scanner_t *s, unsigned char c);
static int state_dot0(scanner_t *s, unsigned char c);
static int state_e(scanner_t *s, unsigned char c);
static int state_esign(scanner_t *s, unsigned char c);
static int state_e0(scanner_t *s, unsigned char c);
static int state_t(scanner_t *s, unsigned char c);
static int state_tr(scanner_t *s, unsigned char c);
static int state_tru(scanner_t *s, unsigned char c);
static int state_f(scanner_t *s, unsigned char c);
static int state_fa(scanner_t *s, unsigned char c);
static int state_fal(scanner_t *s, unsigned char c);
static int state_fals(scanner_t *s, unsigned char c);
static int state_n(scanner_t *s, unsigned char c);
static int state_nu(scanner_t *s, unsigned char c);
static int state_nul(scanner_t *s, unsigned char c);
static int state_error(scanner_t *s, unsigned char c);

static inline int is_space(unsigned char c)
{
    return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

static inline int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int fail(scanner_t *s, unsigned char c, ctx_t ctx)
{
    s->step = state_error;
    s->failed = 1;
    s->ctx = ctx;
    s->bad = c;
    return SCAN_ERROR;
}

static int fail_literal(scanner_t *s, unsigned char c, const char *literal, char expect)
{
    s->literal = literal;
    s->expect = expect;
    return fail(s, c, CTX_LITERAL);
}

static int push(scanner_t *s, unsigned char c, uint8_t kind)
{
    if (s->depth == s->cap) {
        size_t ncap = s->cap * 2;
        uint8_t *nps = malloc(ncap);
        uint32_t *naux = malloc(ncap * sizeof(uint32_t));
        if (nps == NULL || naux == NULL) {
            free(nps);
            free(naux);
            s->alloc_failed = 1;
            return fail(s, c, CTX_DEPTH);
        }
        memcpy(nps, s->ps, s->depth);
        memcpy(naux, s->aux, s->depth * sizeof(uint32_t));
        if (s->ps != s->local_ps) {
            free(s->ps);
            free(s->aux);
        }
        s->ps = nps;
        s->aux = naux;
        s->cap = ncap;
    }
    s->ps[s->depth] = kind;
    s->aux[s->depth] = 0;
    s->depth++;
    if (s->depth <= s->max_depth)
        return SCAN_OK;
    return fail(s, c, CTX_DEPTH);
}

static void pop(scanner_t *s)
{
    s->depth--;
    if (s->depth == 0) {
        s->step = state_end_top;
        s->end_top = 1;
    } else {
        s->step = state_end_value;
    }
}

static int state_begin_value_or_empty(scanner_t *s, unsigned char c)
{
    if (is_space(c))
        return SCAN_OK;
    if (c == ']')
        return state_end_value(s, c);
    return state_begin_value(s, c);
}

static int begin_string(scanner_t *s)
{
    s->str_start = s->off;
    s->step = state_in_string;
    return SCAN_OK;
}

static int state_begin_value(scanner_t *s, unsigned char c)
{
    if (is_space(c))
        return SCAN_OK;
    switch (c) {
    case '{':
        s->step = state_begin_string_or_empty;
        return push(s, c, PARSE_OBJECT_KEY);
    case '[':
        s->step = state_begin_value_or_empty;
        return push(s, c, PARSE_ARRAY_VALUE);
    case '"':
        return begin_string(s);
    case '-':
        s->step = state_neg;
        return SCAN_OK;
    case '0':
        s->step = state_0;
        return SCAN_OK;
    case 't':
        s->step = state_t;
        return SCAN_OK;
    case 'f':
        s->step = state_f;
        return SCAN_OK;
    case 'n':
        s->step = state_n;
        return SCAN_OK;
    default:
        if (c >= '1' && c <= '9') {
            s->step = state_1;
            return SCAN_OK;
        }
        return fail(s, c, CTX_BEGIN_VALUE);
    }
}

static int state_begin_string_or_empty(scanner_t *s, unsigned char c)
{
    if (is_space(c))
        return SCAN_OK;
    if (c == '}') {
        s->ps[s->depth - 1] = PARSE_OBJECT_VALUE;
        return state_end_value(s, c);
    }
    return state_begin_string(s, c);
}

static int state_begin_string(scanner_t *s, unsigned char c)
{
    if (is_space(c))
        return SCAN_OK;
    if (c == '"') {
        s->aux[s->depth - 1] = (uint32_t)s->off;
        return begin_string(s);
    }
    return fail(s, c, CTX_BEGIN_KEY);
}

static int state_end_value(scanner_t *s, unsigned char c)
{
    size_t n = s->depth;
    if (n == 0) {
        s->step = state_end_top;
        s->end_top = 1;
        return state_end_top(s, c);
    }
    if (is_space(c)) {
        s->step = state_end_value;
        return SCAN_OK;
    }
    switch (s->ps[n - 1]) {
    case PARSE_OBJECT_KEY:
        if (c == ':') {
            s->ps[n - 1] = PARSE_OBJECT_VALUE;
            s->step = state_begin_value;
            return SCAN_OK;
        }
        return fail(s, c, CTX_AFTER_KEY);
    case PARSE_OBJECT_VALUE:
        if (c == ',') {
            s->ps[n - 1] = PARSE_OBJECT_KEY;
            s->step = state_begin_string;
            return SCAN_OK;
        }
        if (c == '}') {
            pop(s);
            return SCAN_OK;
        }
        return fail(s, c, CTX_AFTER_PAIR);
    default:
        if (c == ',') {
            s->aux[n - 1]++;
            s->step = state_begin_value;
            return SCAN_OK;
        }
        if (c == ']') {
            pop(s);
            return SCAN_OK;
        }
        return fail(s, c, CTX_AFTER_ELEMENT);
    }
}

static int state_end_top(scanner_t *s, unsigned char c)
{
    if (!is_space(c))
        return fail(s, c, CTX_AFTER_TOP);
    return SCAN_OK;
}

static int state_in_string(scanner_t *s, unsigned char c)
{
    if (c == '"') {
        if (s->max_string != 0 && s->off - s->str_start - 1 > s->max_string) {
            s->string_too_long = 1;
            return fail(s, c, CTX_IN_STRING);
        }
        s->step = state_end_value;
        return SCAN_OK;
    }
    if (c == '\\') {
        s->step = state_in_string_esc;
        return SCAN_OK;
    }
    if (c < 0x20)
        return fail(s, c, CTX_IN_STRING);
    return SCAN_OK;
}

static int state_in_string_esc(scanner_t *s, unsigned char c)
{
    switch (c) {
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case '\\':
    case '/':
    case '"':
        s->step = state_in_string;
        return SCAN_OK;
    case 'u':
        s->step = state_esc_u;
        return SCAN_OK;
    }
    return fail(s, c, CTX_IN_ESCAPE);
}

#define HEX_STATE(name, next)                                                                                          \
    static int name(scanner_t *s, unsigned char c)                                                                     \
    {                                                                                                                  \
        if (is_hex(c)) {                                                                                               \
            s->step = next;                                                                                            \
            return SCAN_OK;                                                                                            \
        }                                                                                                              \
        return fail(s, c, CTX_IN_HEX);                                                                                 \
    }
HEX_STATE(state_esc_u, state_esc_u1)
HEX_STATE(state_esc_u1, state_esc_u12)
HEX_STATE(state_esc_u12, state_esc_u123)
HEX_STATE(state_esc_u123, state_in_string)

static int state_neg(scanner_t *s, unsigned char c)
{
    if (c == '0') {
        s->step = state_0;
        return SCAN_OK;
    }
    if (c >= '1' && c <= '9') {
        s->step = state_1;
        return SCAN_OK;
    }
    return fail(s, c, CTX_IN_NUMBER);
}

static int state_1(scanner_t *s, unsigned char c)
{
    if (is_digit(c)) {
        s->step = state_1;
        return SCAN_OK;
    }
    return state_0(s, c);
}

static int state_0(scanner_t *s, unsigned char c)
{
    if (c == '.') {
        s->step = state_dot;
        return SCAN_OK;
    }
    if (c == 'e' || c == 'E') {
        s->step = state_e;
        return SCAN_OK;
    }
    return state_end_value(s, c);
}

static int state_dot(scanner_t *s, unsigned char c)
{
    if (is_digit(c)) {
        s->step = state_dot0;
        return SCAN_OK;
    }
    return fail(s, c, CTX_AFTER_DOT);
}

static int state_dot0(scanner_t *s, unsigned char c)
{
    if (is_digit(c))
        return SCAN_OK;
    if (c == 'e' || c == 'E') {
        s->step = state_e;
        return SCAN_OK;
    }
    return state_end_value(s, c);
}

static int state_e(scanner_t *s, unsigned char c)
{
    if (c == '+' || c == '-') {
        s->step = state_esign;
        return SCAN_OK;
    }
    return state_esign(s, c);
}

static int state_esign(scanner_t *s, unsigned char c)
{
    if (is_digit(c)) {
        s->step = state_e0;
        return SCAN_OK;
    }
    return fail(s, c, CTX_IN_EXPONENT);
}

static int state_e0(scanner_t *s, unsigned char c)
{
    if (is_digit(c))
        return SCAN_OK;
    return state_end_value(s, c);
}

#define LITERAL_STATE(name, want, next, lit)                                                                           \
    static int name(scanner_t *s, unsigned char c)                                                                     \
    {                                                                                                                  \
        if (c == (want)) {                                                                                             \
            s->step = next;                                                                                            \
            return SCAN_OK;                                                                                            \
        }                                                                                                              \
        return fail_literal(s, c, lit, want);                                                                          \
    }
LITERAL_STATE(state_t, 'r', state_tr, "true")
LITERAL_STATE(state_tr, 'u', state_tru, "true")
LITERAL_STATE(state_tru, 'e', state_end_value, "true")
LITERAL_STATE(state_f, 'a', state_fa, "false")
LITERAL_STATE(state_fa, 'l', state_fal, "false")
LITERAL_STATE(state_fal, 's', state_fals, "false")
LITERAL_STATE(state_fals, 'e', state_end_value, "false")
LITERAL_STATE(state_n, 'u', state_nu, "null")
LITERAL_STATE(state_nu, 'l', state_nul, "null")
LITERAL_STATE(state_nul, 'l', state_end_value, "null")

static int state_error(scanner_t *s, unsigned char c)
{
    return SCAN_ERROR;
}

static const char *strict_expectation(ctx_t ctx)
{
    switch (ctx) {
    case CTX_BEGIN_VALUE:
        return ", expecting a value";
    case CTX_BEGIN_KEY:
        return ", expecting an object key string";
    case CTX_AFTER_KEY:
        return " after object key, expecting ':'";
    case CTX_AFTER_PAIR:
        return " after object member, expecting ',' or '}'";
    case CTX_AFTER_ELEMENT:
        return " after array element, expecting ',' or ']'";
    case CTX_AFTER_TOP:
        return " after the top-level value";
    case CTX_IN_NUMBER:
        return " in number, expecting a digit";
    case CTX_AFTER_DOT:
        return " after decimal point in number, expecting a digit";
    case CTX_IN_EXPONENT:
        return " in exponent of number, expecting a digit";
    default:
        return "";
    }
}

/* The JSON Pointer of the innermost open container: the current key or index of every enclosing level. */
static void build_path(const scanner_t *s, const char *buf, size_t len, char *path, size_t cap)
{
    path[0] = '\0';
    for (size_t k = 0; k + 1 < s->depth; k++) {
        if (s->ps[k] == PARSE_ARRAY_VALUE) {
            char num[16];
            int n = snprintf(num, sizeof(num), "%u", (unsigned)s->aux[k]);
            sg_json__path_append(path, cap, num, (size_t)n);
            continue;
        }
        /* the key token: from its quote to the closing quote (already validated) */
        size_t start = s->aux[k], end = start + 1;
        while (end < len && buf[end] != '"')
            end += buf[end] == '\\' ? 2 : 1;
        if (end >= len)
            break;
        sg_arena_t tmp;
        sg_arena_init(&tmp, 0);
        size_t klen = 0;
        char *key = sg_json__unquote(&tmp, buf + start, end + 1 - start, 0, &klen);
        if (key != NULL)
            sg_json__path_append(path, cap, key, klen);
        sg_arena_dispose(&tmp);
    }
}

static int report(const scanner_t *s, const char *buf, size_t len, size_t offset, int at_eof,
                  const sg_json__scan_opts_t *opts, sg_error_t *err)
{
    char path[SG_ERROR_PATH_MAX], ch[32], reason[256];
    int code = SG_EINVALID;
    build_path(s, buf, len, path, sizeof(path));
    if (s->alloc_failed)
        return sg_error_set(err, SG_ENOMEM, "out of memory while parsing JSON");
    if (s->ctx == CTX_DEPTH)
        code = SG_ELIMIT;
    if (s->string_too_long) {
        snprintf(reason, sizeof(reason), "string longer than %zu bytes", s->max_string);
        return sg_json__error_at(err, SG_ELIMIT, buf, len, s->str_start, path, reason);
    }
    if (opts->dialect == SG_JSON_GO) {
        int line, column;
        sg_json__position(buf, len, offset, &line, &column);
        if (!s->failed)
            return sg_error_setloc(err, SG_EINVALID, path, line, column, "unexpected end of JSON input");
        sg_json__go_quote_char(ch, sizeof(ch), s->bad);
        if (s->ctx == CTX_LITERAL)
            return sg_error_setloc(err, code, path, line, column, "invalid character %s in literal %s (expecting '%c')",
                                   ch, s->literal, s->expect);
        return sg_error_setloc(err, code, path, line, column, "invalid character %s %s", ch, go_context[s->ctx]);
    }
    if (at_eof)
        return sg_json__error_at(err, SG_EINVALID, buf, len, len, path, "premature end of input");
    sg_json__describe_byte(ch, sizeof(ch), s->bad);
    switch (s->ctx) {
    case CTX_DEPTH:
        snprintf(reason, sizeof(reason), "nesting deeper than %zu levels", s->max_depth);
        break;
    case CTX_IN_STRING:
        snprintf(reason, sizeof(reason), "unescaped control %s in string", ch);
        break;
    case CTX_IN_ESCAPE:
        snprintf(reason, sizeof(reason), "invalid escape sequence in string: unexpected %s after '\\'", ch);
        break;
    case CTX_IN_HEX:
        snprintf(reason, sizeof(reason), "invalid \\u escape in string: unexpected %s, expecting a hex digit", ch);
        break;
    case CTX_LITERAL:
        snprintf(reason, sizeof(reason), "unexpected %s in literal %s, expecting '%c'", ch, s->literal, s->expect);
        break;
    default:
        snprintf(reason, sizeof(reason), "unexpected %s%s", ch, strict_expectation(s->ctx));
        break;
    }
    return sg_json__error_at(err, code, buf, len, offset, path, reason);
}

/* Inside a string: 0 = ordinary byte, 1 = ends the fast path ('"', '\\', control), 2 = starts a UTF-8 sequence. */
/* clang-format off */
static const uint8_t string_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};
/* clang-format on */

int sg_json__scan(const char *buf, size_t len, const sg_json__scan_opts_t *opts, sg_error_t *err)
{
    scanner_t s;
    memset(&s, 0, sizeof(s));
    s.step = state_begin_value;
    s.ps = s.local_ps;
    s.aux = s.local_aux;
    s.cap = LOCAL_DEPTH;
    s.max_depth = opts->max_depth;
    s.max_string = opts->max_string;
    const unsigned char *p = (const unsigned char *)buf;
    int strict = opts->dialect == SG_JSON_STRICT, rc = SG_OK;
    size_t i = 0;

    while (i < len) {
        if (s.step == state_in_string) {
            /* the common case, without a call per byte */
            for (;;) {
                const unsigned char *q = p + i, *end = p + len;
                while (q < end && string_class[*q] == 0)
                    q++;
                i = (size_t)(q - p);
                if (i == len || string_class[p[i]] == 1)
                    break;
                if (!strict) { /* GO: any byte >= 0x80 is taken here and replaced later */
                    i++;
                    continue;
                }
                uint32_t cp;
                size_t n = sg_json__utf8_decode(p + i, len - i, &cp);
                if (n == 1) {
                    char path[SG_ERROR_PATH_MAX];
                    build_path(&s, buf, len, path, sizeof(path));
                    rc = sg_json__error_at(err, SG_EINVALID, buf, len, i, path, "invalid UTF-8 in string");
                    goto cleanup;
                }
                i += n;
            }
            if (i == len)
                break;
        }
        s.off = i;
        if (s.step(&s, p[i]) != SCAN_OK) {
            rc = report(&s, buf, len, i, 0, opts, err);
            goto cleanup;
        }
        i++;
    }
    if (!s.end_top) {
        s.off = len;
        s.step(&s, ' ');
        if (!s.end_top) {
            s.failed = s.failed && opts->dialect == SG_JSON_GO;
            rc = report(&s, buf, len, len, 1, opts, err);
        }
    }
cleanup:
    if (s.ps != s.local_ps) {
        free(s.ps);
        free(s.aux);
    }
    return rc;
}
