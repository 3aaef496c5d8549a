/* CEL lexer: one token at a time with byte offsets; decodes number and string literals (every escape form, raw,
 * triple-quoted and bytes literals) so the parser only builds nodes. */
#include <errno.h>
#include <stdlib.h>

#include <storygate/utf8.h>

#include "internal.h"

static int is_ident_start(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static int is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static void fail(sg_cel_token_t *t, size_t pos, const char *msg)
{
    t->type = T_ERROR;
    t->pos = (uint32_t)pos;
    t->msg = msg;
}

static void skip_space(sg_cel_lexer_t *lx)
{
    while (lx->pos < lx->len) {
        char ch = lx->src[lx->pos];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f') {
            lx->pos++;
        } else if (ch == '/' && lx->pos + 1 < lx->len && lx->src[lx->pos + 1] == '/') {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
                lx->pos++;
        } else {
            break;
        }
    }
}

static void lex_number(sg_cel_lexer_t *lx, sg_cel_token_t *t)
{
    const char *s = lx->src;
    size_t p = lx->pos, start = p;
    int is_float = 0;
    if (s[p] == '0' && p + 1 < lx->len && (s[p + 1] == 'x' || s[p + 1] == 'X')) {
        p += 2;
        size_t ds = p;
        while (p < lx->len && sg_hex_digit((unsigned char)s[p]) >= 0)
            p++;
        if (p == ds)
            return fail(t, start, "invalid hexadecimal literal");
        char tmp[40];
        if (p - ds > 16)
            return fail(t, start, "integer literal out of range");
        memcpy(tmp, s + ds, p - ds);
        tmp[p - ds] = 0;
        uint64_t u = strtoull(tmp, NULL, 16);
        if (p < lx->len && (s[p] == 'u' || s[p] == 'U')) {
            t->type = T_UINT;
            t->v.u = u;
            p++;
        } else {
            t->type = T_INT;
            t->v.u = u; /* range checked by the parser, which knows about a leading minus */
        }
        lx->pos = p;
        t->end = (uint32_t)p;
        return;
    }
    while (p < lx->len && is_digit((unsigned char)s[p]))
        p++;
    if (p + 1 < lx->len && s[p] == '.' && is_digit((unsigned char)s[p + 1])) {
        is_float = 1;
        p++;
        while (p < lx->len && is_digit((unsigned char)s[p]))
            p++;
    }
    if (p < lx->len && (s[p] == 'e' || s[p] == 'E')) {
        size_t q = p + 1;
        if (q < lx->len && (s[q] == '+' || s[q] == '-'))
            q++;
        if (q < lx->len && is_digit((unsigned char)s[q])) {
            while (q < lx->len && is_digit((unsigned char)s[q]))
                q++;
            p = q;
            is_float = 1;
        }
    }
    size_t n = p - start;
    char buf[512];
    if (n >= sizeof(buf))
        return fail(t, start, "numeric literal too long");
    memcpy(buf, s + start, n);
    buf[n] = 0;
    if (is_float) {
        errno = 0;
        t->type = T_DOUBLE;
        t->v.d = strtod(buf, NULL);
        if (errno == ERANGE && (t->v.d > 1 || t->v.d < -1))
            return fail(t, start, "double literal out of range");
    } else {
        errno = 0;
        uint64_t u = strtoull(buf, NULL, 10);
        if (errno == ERANGE)
            return fail(t, start, "integer literal out of range");
        if (p < lx->len && (s[p] == 'u' || s[p] == 'U')) {
            t->type = T_UINT;
            p++;
        } else {
            t->type = T_INT;
        }
        t->v.u = u;
    }
    lx->pos = p;
    t->end = (uint32_t)p;
}

/* Decodes a quoted literal starting at lx->pos (after any r/b prefix, at the quote). */
static void lex_string(sg_cel_lexer_t *lx, sg_cel_token_t *t, size_t start, int raw, int bytes)
{
    const char *s = lx->src;
    size_t p = lx->pos;
    char q = s[p];
    int triple = p + 2 < lx->len && s[p + 1] == q && s[p + 2] == q;
    p += triple ? 3 : 1;
    /* The decoded form is never longer than the source text. */
    char *out = sg_arena_alloc(lx->arena, lx->len - p + 1);
    if (out == NULL)
        return fail(t, start, "out of memory");
    size_t o = 0;
    for (;;) {
        if (p >= lx->len)
            return fail(t, start, "unterminated string literal");
        unsigned char ch = (unsigned char)s[p];
        if (ch == (unsigned char)q) {
            if (!triple) {
                p++;
                break;
            }
            if (p + 2 < lx->len && s[p + 1] == q && s[p + 2] == q) {
                p += 3;
                break;
            }
        }
        if (!triple && (ch == '\n' || ch == '\r'))
            return fail(t, start, "newline in string literal");
        if (ch != '\\' || raw) {
            out[o++] = (char)ch;
            p++;
            continue;
        }
        if (p + 1 >= lx->len)
            return fail(t, start, "unterminated string literal");
        char e = s[p + 1];
        p += 2;
        switch (e) {
        case 'a':
            out[o++] = '\a';
            break;
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'v':
            out[o++] = '\v';
            break;
        case '\\':
            out[o++] = '\\';
            break;
        case '?':
            out[o++] = '?';
            break;
        case '"':
            out[o++] = '"';
            break;
        case '\'':
            out[o++] = '\'';
            break;
        case '`':
            out[o++] = '`';
            break;
        case 'x':
        case 'X':
        case 'u':
        case 'U': {
            int nd = (e == 'x' || e == 'X') ? 2 : e == 'u' ? 4 : 8;
            uint32_t cp = 0;
            for (int i = 0; i < nd; i++) {
                int h = p + i < lx->len ? sg_hex_digit((unsigned char)s[p + i]) : -1;
                if (h < 0)
                    return fail(t, p - 2, "invalid escape sequence");
                cp = cp * 16 + (uint32_t)h;
            }
            p += (size_t)nd;
            if (bytes && nd == 2) {
                out[o++] = (char)cp;
            } else {
                if (bytes && nd > 2)
                    return fail(t, p - 2 - (size_t)nd, "unicode escape in bytes literal");
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                    return fail(t, p - 2 - (size_t)nd, "invalid unicode code point in escape");
                o += (size_t)sg_cel__utf8_encode(out + o, cp);
            }
            break;
        }
        case '0':
        case '1':
        case '2':
        case '3': {
            uint32_t cp = (uint32_t)(e - '0');
            for (int i = 0; i < 2; i++) {
                if (p >= lx->len || s[p] < '0' || s[p] > '7')
                    return fail(t, p, "invalid octal escape");
                cp = cp * 8 + (uint32_t)(s[p] - '0');
                p++;
            }
            if (bytes)
                out[o++] = (char)cp;
            else
                o += (size_t)sg_cel__utf8_encode(out + o, cp);
            break;
        }
        default:
            return fail(t, p - 2, "invalid escape sequence");
        }
    }
    if (!bytes && !sg_cel__utf8_valid(out, o))
        return fail(t, start, "invalid UTF-8 in string literal");
    out[o] = 0;
    t->type = bytes ? T_BYTES : T_STRING;
    t->s = out;
    t->len = (uint32_t)o;
    lx->pos = p;
    t->end = (uint32_t)p;
}

static const struct {
    const char *word;
    sg_cel_tok_t tok;
} keywords[] = {
    {"true", T_TRUE},          {"false", T_FALSE},     {"null", T_NULL},         {"in", T_IN},
    {"as", T_RESERVED},        {"break", T_RESERVED},  {"const", T_RESERVED},    {"continue", T_RESERVED},
    {"else", T_RESERVED},      {"for", T_RESERVED},    {"function", T_RESERVED}, {"if", T_RESERVED},
    {"import", T_RESERVED},    {"let", T_RESERVED},    {"loop", T_RESERVED},     {"package", T_RESERVED},
    {"namespace", T_RESERVED}, {"return", T_RESERVED}, {"var", T_RESERVED},      {"void", T_RESERVED},
    {"while", T_RESERVED},
};

static void lex_one(sg_cel_lexer_t *lx, sg_cel_token_t *t);

void sg_cel__lex(sg_cel_lexer_t *lx, sg_cel_token_t *t)
{
    lex_one(lx, t);
    /* A malformed literal ends lexing: what follows it cannot be tokenised reliably. */
    if (t->type == T_ERROR && lx->pos <= t->pos)
        lx->pos = lx->len;
}

static void lex_one(sg_cel_lexer_t *lx, sg_cel_token_t *t)
{
    memset(t, 0, sizeof(*t));
    skip_space(lx);
    const char *s = lx->src;
    size_t p = lx->pos;
    t->pos = (uint32_t)p;
    if (p >= lx->len) {
        t->type = T_EOF;
        t->end = (uint32_t)p;
        return;
    }
    unsigned char ch = (unsigned char)s[p];
    unsigned char nx = p + 1 < lx->len ? (unsigned char)s[p + 1] : 0;
    /* string prefixes: r, b, rb, br (any case) */
    if (ch == 'r' || ch == 'R' || ch == 'b' || ch == 'B') {
        int raw = 0, bytes = 0;
        size_t q = p;
        for (int i = 0; i < 2 && q < lx->len; i++) {
            char c2 = s[q];
            if ((c2 == 'r' || c2 == 'R') && !raw)
                raw = 1, q++;
            else if ((c2 == 'b' || c2 == 'B') && !bytes)
                bytes = 1, q++;
            else
                break;
        }
        if (q < lx->len && (s[q] == '"' || s[q] == '\'')) {
            lx->pos = q;
            return lex_string(lx, t, p, raw, bytes);
        }
    }
    if (is_ident_start(ch)) {
        size_t q = p;
        while (q < lx->len && (is_ident_start((unsigned char)s[q]) || is_digit((unsigned char)s[q])))
            q++;
        t->type = T_IDENT;
        t->s = s + p;
        t->len = (uint32_t)(q - p);
        for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
            if (strlen(keywords[i].word) == t->len && memcmp(keywords[i].word, s + p, t->len) == 0)
                t->type = keywords[i].tok;
        lx->pos = q;
        t->end = (uint32_t)q;
        return;
    }
    if (is_digit(ch) || (ch == '.' && is_digit(nx)))
        return lex_number(lx, t);
    if (ch == '"' || ch == '\'')
        return lex_string(lx, t, p, 0, 0);
    if (ch == '`') {
        size_t q = p + 1;
        while (q < lx->len && s[q] != '`') {
            unsigned char c2 = (unsigned char)s[q];
            if (!(is_ident_start(c2) || is_digit(c2) || c2 == '.' || c2 == '-' || c2 == '/' || c2 == ' ' || c2 == '~'))
                return fail(t, q, "invalid character in quoted identifier");
            q++;
        }
        if (q >= lx->len || q == p + 1)
            return fail(t, p, "unterminated or empty quoted identifier");
        t->type = T_QIDENT;
        t->s = s + p + 1;
        t->len = (uint32_t)(q - p - 1);
        lx->pos = q + 1;
        t->end = (uint32_t)(q + 1);
        return;
    }
    sg_cel_tok_t ty = T_ERROR;
    size_t n = 1;
    switch (ch) {
    case '(':
        ty = T_LPAREN;
        break;
    case ')':
        ty = T_RPAREN;
        break;
    case '[':
        ty = T_LBRACKET;
        break;
    case ']':
        ty = T_RBRACKET;
        break;
    case '{':
        ty = T_LBRACE;
        break;
    case '}':
        ty = T_RBRACE;
        break;
    case '.':
        ty = T_DOT;
        break;
    case ',':
        ty = T_COMMA;
        break;
    case ':':
        ty = T_COLON;
        break;
    case '?':
        ty = T_QUESTION;
        break;
    case '+':
        ty = T_PLUS;
        break;
    case '-':
        ty = T_MINUS;
        break;
    case '*':
        ty = T_STAR;
        break;
    case '/':
        ty = T_SLASH;
        break;
    case '%':
        ty = T_PERCENT;
        break;
    case '|':
        if (nx == '|')
            ty = T_OR, n = 2;
        break;
    case '&':
        if (nx == '&')
            ty = T_AND, n = 2;
        break;
    case '!':
        if (nx == '=')
            ty = T_NE, n = 2;
        else
            ty = T_NOT;
        break;
    case '=':
        if (nx == '=')
            ty = T_EQ, n = 2;
        break;
    case '<':
        if (nx == '=')
            ty = T_LE, n = 2;
        else
            ty = T_LT;
        break;
    case '>':
        if (nx == '=')
            ty = T_GE, n = 2;
        else
            ty = T_GT;
        break;
    default:
        break;
    }
    if (ty == T_ERROR) {
        static const char *const msg = "token recognition error";
        fail(t, p, msg);
        /* skip the whole (possibly multi-byte) character so the parser can go on */
        uint32_t cp;
        int cl = sg_cel__utf8_decode(s + p, lx->len - p, &cp);
        lx->pos = p + (size_t)(cl > 0 ? cl : 1);
        t->end = (uint32_t)lx->pos;
        return;
    }
    t->type = ty;
    lx->pos = p + n;
    t->end = (uint32_t)lx->pos;
}
