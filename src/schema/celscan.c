/* A lexical scan of CEL source for its free identifiers. The CEL engine compiles without a type checker, so the
 * variables an expression refers to are found here: comprehension and cel.bind variables, literals, type names and
 * function names are left out, and `root.field` is reported with its first selected field. */
#include <stdlib.h>
#include <string.h>

#include <storygate/schema.h>

enum { K_IDENT, K_DOT, K_LPAREN, K_COMMA, K_OTHER };

typedef struct st_tok_t {
    int kind;
    size_t off, len;
} tok_t;

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Skips a string literal starting at the quote `s[i]`; raw strings have no escapes. Returns the index after it. */
static size_t skip_string(const char *s, size_t len, size_t i, int raw)
{
    char q = s[i];
    int triple = i + 2 < len && s[i + 1] == q && s[i + 2] == q;
    i += triple ? 3 : 1;
    while (i < len) {
        if (!raw && s[i] == '\\') {
            i += 2;
            continue;
        }
        if (s[i] == q) {
            if (!triple)
                return i + 1;
            if (i + 2 < len && s[i + 1] == q && s[i + 2] == q)
                return i + 3;
        }
        if (!triple && s[i] == '\n')
            return i;
        i++;
    }
    return len;
}

static size_t tokenize(const char *s, size_t len, tok_t *toks, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len && n < max) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            i++;
        } else if (c == '/' && i + 1 < len && s[i + 1] == '/') {
            while (i < len && s[i] != '\n')
                i++;
        } else if (c == '"' || c == '\'') {
            size_t e = skip_string(s, len, i, 0);
            toks[n++] = (tok_t){K_OTHER, i, e - i};
            i = e;
        } else if (is_alpha(c)) {
            size_t start = i;
            while (i < len && (is_alpha(s[i]) || is_digit(s[i])))
                i++;
            size_t wl = i - start;
            /* string prefixes: r"", b"", rb"", br"" (any case) */
            if (i < len && (s[i] == '"' || s[i] == '\'') && wl <= 2) {
                int raw = 0, ok = 1;
                for (size_t k = start; k < i; k++) {
                    char p = s[k];
                    if (p == 'r' || p == 'R')
                        raw = 1;
                    else if (p != 'b' && p != 'B')
                        ok = 0;
                }
                if (ok) {
                    size_t e = skip_string(s, len, i, raw);
                    toks[n++] = (tok_t){K_OTHER, start, e - start};
                    i = e;
                    continue;
                }
            }
            toks[n++] = (tok_t){K_IDENT, start, wl};
        } else if (is_digit(c) || (c == '.' && i + 1 < len && is_digit(s[i + 1]))) {
            size_t start = i;
            if (c == '0' && i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
                i += 2;
                while (i < len && (is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
                    i++;
            } else {
                while (i < len && is_digit(s[i]))
                    i++;
                if (i + 1 < len && s[i] == '.' && is_digit(s[i + 1])) {
                    i++;
                    while (i < len && is_digit(s[i]))
                        i++;
                }
                if (i < len && (s[i] == 'e' || s[i] == 'E')) {
                    i++;
                    if (i < len && (s[i] == '+' || s[i] == '-'))
                        i++;
                    while (i < len && is_digit(s[i]))
                        i++;
                }
            }
            if (i < len && (s[i] == 'u' || s[i] == 'U'))
                i++;
            toks[n++] = (tok_t){K_OTHER, start, i - start};
        } else if (c == '`') {
            size_t start = i++;
            while (i < len && s[i] != '`')
                i++;
            if (i < len)
                i++;
            toks[n++] = (tok_t){K_OTHER, start, i - start};
        } else {
            int k = c == '.' ? K_DOT : c == '(' ? K_LPAREN : c == ',' ? K_COMMA : K_OTHER;
            toks[n++] = (tok_t){k, i, 1};
            i++;
        }
    }
    return n;
}

static int word_in(const char *s, size_t len, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
            return 1;
    return 0;
}

static const char *const literals[] = {
    "true",   "false", "null", "in",  "int",       "uint", "double", "bool",
    "string", "bytes", "list", "map", "null_type", "type", "dyn",    NULL,
};
static const char *const namespaces[] = {"optional", "math",  "strings", "sets", "base64",
                                         "cel",      "lists", "google",  NULL};
static const char *const macros_one[] = {"all",    "exists", "exists_one",    "existsOne",    "map",
                                         "filter", "sortBy", "transformList", "transformMap", "transformMapEntry",
                                         "bind",   NULL};
static const char *const macros_two[] = {"all",           "exists",       "exists_one",        "existsOne",
                                         "transformList", "transformMap", "transformMapEntry", NULL};

int sg_schema_cel_scan(const char *src, size_t len, sg_schema_ident_cb cb, void *ctx)
{
    if (len > 1000000)
        return -1;
    size_t max = len + 1;
    tok_t *t = malloc(max * sizeof(*t));
    char *bound = calloc(max, 1);
    if (t == NULL || bound == NULL) {
        free(t);
        free(bound);
        return -1;
    }
    size_t n = tokenize(src, len, t, max);
    /* comprehension variables: `.macro(x, ...` and `.macro(k, v, ...` */
    for (size_t i = 1; i + 3 < n; i++) {
        if (t[i].kind != K_IDENT || t[i - 1].kind != K_DOT || t[i + 1].kind != K_LPAREN || t[i + 2].kind != K_IDENT ||
            t[i + 3].kind != K_COMMA || !word_in(src + t[i].off, t[i].len, macros_one))
            continue;
        bound[i + 2] = 1;
        if (i + 5 < n && t[i + 4].kind == K_IDENT && t[i + 5].kind == K_COMMA &&
            word_in(src + t[i].off, t[i].len, macros_two))
            bound[i + 4] = 1;
    }
    /* distinct bound names, so each identifier is compared with few of them */
    size_t *bl = malloc(max * sizeof(*bl)), nb = 0;
    if (bl == NULL) {
        free(t);
        free(bound);
        return -1;
    }
    for (size_t j = 0; j < n; j++) {
        if (!bound[j])
            continue;
        int seen = 0;
        for (size_t k = 0; k < nb && !seen; k++)
            seen = t[bl[k]].len == t[j].len && memcmp(src + t[bl[k]].off, src + t[j].off, t[j].len) == 0;
        if (!seen && nb < 256)
            bl[nb++] = j;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (t[i].kind != K_IDENT || bound[i])
            continue;
        if (i > 0 && t[i - 1].kind == K_DOT)
            continue;
        if (i + 1 < n && t[i + 1].kind == K_LPAREN)
            continue;
        const char *w = src + t[i].off;
        if (word_in(w, t[i].len, literals))
            continue;
        if (i + 3 < n && t[i + 1].kind == K_DOT && t[i + 2].kind == K_IDENT && t[i + 3].kind == K_LPAREN &&
            word_in(w, t[i].len, namespaces))
            continue;
        int is_bound = 0;
        for (size_t j = 0; j < nb && !is_bound; j++)
            is_bound = t[bl[j]].len == t[i].len && memcmp(src + t[bl[j]].off, w, t[i].len) == 0;
        if (is_bound)
            continue;
        const char *f = NULL;
        size_t fl = 0;
        if (i + 2 < n && t[i + 1].kind == K_DOT && t[i + 2].kind == K_IDENT &&
            !(i + 3 < n && t[i + 3].kind == K_LPAREN)) { /* a method call selects no field */
            f = src + t[i + 2].off;
            fl = t[i + 2].len;
        }
        rc = cb(ctx, w, t[i].len, f, fl, t[i].off);
    }
    free(bl);
    free(t);
    free(bound);
    return rc;
}
