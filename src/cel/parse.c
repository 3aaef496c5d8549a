/* CEL parser: a Pratt parser over the lexer's tokens producing AST nodes with byte positions. Macros are expanded as
 * calls are built. Errors are collected (parsing goes on past bad tokens and reserved words) and formatted for humans
 * as "ERROR: <input>:LINE:COL: msg" plus the source line and a caret. Nesting is bounded by max_depth. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

#define MAX_ERRORS 8

typedef struct st_parser_t {
    sg_cel_lexer_t lx;
    sg_cel_token_t tok;
    sg_arena_t *arena;
    const char *src;
    size_t len;
    size_t max_depth;
    int depth;
    int disable_macros;
    int fatal; /* stop parsing: a syntax error or a limit */
    int limit; /* the fatal error was a limit */
    int nerrors;
    struct {
        uint32_t pos;
        const char *msg;
    } errors[MAX_ERRORS];
} parser_t;

static void error_at(parser_t *p, uint32_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void error_at(parser_t *p, uint32_t pos, const char *fmt, ...)
{
    if (p->nerrors >= MAX_ERRORS)
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* one message per position is enough */
    for (int i = 0; i < p->nerrors; i++)
        if (p->errors[i].pos == pos)
            return;
    p->errors[p->nerrors].pos = pos;
    p->errors[p->nerrors].msg = sg_arena_strndup(p->arena, buf, strlen(buf));
    p->nerrors++;
}

static const char *tok_text(parser_t *p, const sg_cel_token_t *t, char *buf, size_t n)
{
    if (t->type == T_EOF)
        return "<EOF>";
    size_t l = t->end > t->pos ? t->end - t->pos : 0;
    if (l > n - 1)
        l = n - 1;
    memcpy(buf, p->src + t->pos, l);
    buf[l] = 0;
    return buf;
}

static void advance(parser_t *p)
{
    for (;;) {
        sg_cel__lex(&p->lx, &p->tok);
        if (p->tok.type != T_ERROR)
            return;
        error_at(p, p->tok.pos, "Syntax error: %s", p->tok.msg);
        if (p->lx.pos >= p->lx.len) {
            p->tok.type = T_EOF;
            p->tok.pos = (uint32_t)p->lx.len;
            p->fatal = 1;
            return;
        }
    }
}

static void syntax_error(parser_t *p, const char *expecting)
{
    if (p->fatal)
        return;
    char buf[64];
    const char *txt = tok_text(p, &p->tok, buf, sizeof(buf));
    if (expecting != NULL)
        error_at(p, p->tok.pos, "Syntax error: mismatched input '%s' expecting %s", txt, expecting);
    else
        error_at(p, p->tok.pos, "Syntax error: extraneous input '%s'", txt);
    p->fatal = 1;
}

static int expect(parser_t *p, sg_cel_tok_t t, const char *what)
{
    if (p->tok.type != t) {
        syntax_error(p, what);
        return 0;
    }
    advance(p);
    return 1;
}

/* ---- node builders ---- */

sg_cel_node_t *sg_cel__node(sg_arena_t *a, sg_cel_node_kind_t kind, uint32_t pos)
{
    sg_cel_node_t *n = sg_arena_calloc(a, 1, sizeof(*n));
    if (n != NULL) {
        n->ev = sg_cel__eval_node;
        n->kind = (uint8_t)kind;
        n->pos = pos;
    }
    return n;
}

sg_cel_node_t *sg_cel__ident(sg_arena_t *a, const char *name, uint32_t pos)
{
    sg_cel_node_t *n = sg_cel__node(a, N_IDENT, pos);
    if (n != NULL) {
        n->u.ident.name = name;
        n->u.ident.len = (uint32_t)strlen(name);
        n->u.ident.slot = -1;
    }
    return n;
}

sg_cel_node_t *sg_cel__lit_bool(sg_arena_t *a, int b, uint32_t pos)
{
    sg_cel_node_t *n = sg_cel__node(a, N_LIT, pos);
    if (n != NULL)
        n->u.lit = sg_cel__bool(b);
    return n;
}

sg_cel_node_t *sg_cel__call(sg_arena_t *a, sg_cel_op_t op, const char *name, uint32_t pos, int nargs, ...)
{
    sg_cel_node_t *n = sg_cel__node(a, N_CALL, pos);
    sg_cel_node_t **args = sg_arena_calloc(a, (size_t)(nargs > 0 ? nargs : 1), sizeof(*args));
    if (n == NULL || args == NULL)
        return NULL;
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++) {
        args[i] = va_arg(ap, sg_cel_node_t *);
        if (args[i] == NULL)
            n = NULL;
    }
    va_end(ap);
    if (n == NULL)
        return NULL;
    n->op = (uint8_t)op;
    n->u.call.name = name;
    n->u.call.args = args;
    n->u.call.nargs = (uint32_t)nargs;
    return n;
}

/* ---- grammar ---- */

static sg_cel_node_t *parse_expr(parser_t *p);

static int enter(parser_t *p)
{
    if (p->fatal)
        return 0;
    if ((size_t)++p->depth > p->max_depth) {
        if (!p->limit)
            error_at(p, p->tok.pos, "expression nested too deeply (limit %zu)", p->max_depth);
        p->fatal = p->limit = 1;
        return 0;
    }
    return 1;
}

static void leave(parser_t *p)
{
    p->depth--;
}

static const struct {
    sg_cel_tok_t tok;
    int prec;
    sg_cel_op_t op;
    const char *name;
} binops[] = {
    {T_OR, 1, OP_OR, "_||_"},    {T_AND, 2, OP_AND, "_&&_"},    {T_EQ, 3, OP_EQ, "_==_"},    {T_NE, 3, OP_NE, "_!=_"},
    {T_LT, 3, OP_LT, "_<_"},     {T_LE, 3, OP_LE, "_<=_"},      {T_GT, 3, OP_GT, "_>_"},     {T_GE, 3, OP_GE, "_>=_"},
    {T_IN, 3, OP_IN, "@in"},     {T_PLUS, 4, OP_ADD, "_+_"},    {T_MINUS, 4, OP_SUB, "_-_"}, {T_STAR, 5, OP_MUL, "_*_"},
    {T_SLASH, 5, OP_DIV, "_/_"}, {T_PERCENT, 5, OP_MOD, "_%_"},
};

static int binop_index(sg_cel_tok_t t)
{
    for (size_t i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
        if (binops[i].tok == t)
            return (int)i;
    return -1;
}

static char *ident_name(parser_t *p, const sg_cel_token_t *t)
{
    return sg_arena_strndup(p->arena, t->s, t->len);
}

/* Arguments up to ')' (the '(' is consumed). */
static int parse_args(parser_t *p, sg_cel_node_t ***out, uint32_t *n, sg_cel_node_t *first)
{
    uint32_t cap = 4, cnt = 0;
    sg_cel_node_t **v = sg_arena_alloc(p->arena, cap * sizeof(*v));
    if (v == NULL)
        return 0;
    if (first != NULL)
        v[cnt++] = first;
    if (p->tok.type != T_RPAREN) {
        for (;;) {
            sg_cel_node_t *e = parse_expr(p);
            if (e == NULL)
                return 0;
            if (cnt == cap) {
                sg_cel_node_t **nv = sg_arena_alloc(p->arena, cap * 2 * sizeof(*v));
                if (nv == NULL)
                    return 0;
                memcpy(nv, v, cap * sizeof(*v));
                v = nv;
                cap *= 2;
            }
            v[cnt++] = e;
            if (p->tok.type == T_COMMA) {
                advance(p);
                continue;
            }
            break;
        }
    }
    if (!expect(p, T_RPAREN, "{')', ','}"))
        return 0;
    *out = v;
    *n = cnt;
    return 1;
}

static sg_cel_node_t *make_call(parser_t *p, const char *name, sg_cel_node_t *target, sg_cel_node_t **args,
                                uint32_t nargs, uint32_t pos)
{
    if (!p->disable_macros) {
        sg_cel_node_t *m = NULL;
        const char *msg = NULL;
        uint32_t epos = pos;
        sg_cel_node_t **margs = target != NULL ? args + 1 : args;
        uint32_t mn = target != NULL ? nargs - 1 : nargs;
        if (sg_cel__expand_macro(&m, &msg, &epos, p->arena, name, target, margs, mn, pos)) {
            if (msg != NULL) {
                error_at(p, epos, "%s", msg);
                p->fatal = 1;
                return NULL;
            }
            return m;
        }
    }
    sg_cel_node_t *n = sg_cel__node(p->arena, N_CALL, pos);
    if (n == NULL)
        return NULL;
    n->op = OP_FN;
    n->receiver = target != NULL;
    n->u.call.name = name;
    n->u.call.args = args;
    n->u.call.nargs = nargs;
    return n;
}

/* Struct literal `Name{field: value, ...}`; the '{' is current. */
/* The entries of a map or message literal, grown by doubling in the parse arena. */
typedef struct st_entries_t {
    sg_cel_node_t **keys, **vals;
    uint8_t *opt;
    uint32_t n, cap;
} entries_t;

static int entries_init(sg_arena_t *a, entries_t *e)
{
    e->n = 0;
    e->cap = 8;
    e->keys = sg_arena_alloc(a, e->cap * sizeof(*e->keys));
    e->vals = sg_arena_alloc(a, e->cap * sizeof(*e->vals));
    e->opt = sg_arena_calloc(a, e->cap, 1);
    return e->keys != NULL && e->vals != NULL && e->opt != NULL;
}

static int entries_push(sg_arena_t *a, entries_t *e, sg_cel_node_t *k, sg_cel_node_t *v, int optional)
{
    if (e->n == e->cap) {
        entries_t g = {sg_arena_alloc(a, e->cap * 2 * sizeof(*e->keys)),
                       sg_arena_alloc(a, e->cap * 2 * sizeof(*e->vals)), sg_arena_calloc(a, e->cap * 2, 1), e->n,
                       e->cap * 2};
        if (g.keys == NULL || g.vals == NULL || g.opt == NULL)
            return 0;
        memcpy(g.keys, e->keys, e->n * sizeof(*e->keys));
        memcpy(g.vals, e->vals, e->n * sizeof(*e->vals));
        memcpy(g.opt, e->opt, e->n);
        *e = g;
    }
    e->keys[e->n] = k;
    e->vals[e->n] = v;
    e->opt[e->n] = (uint8_t)optional;
    e->n++;
    return 1;
}

static sg_cel_node_t *parse_struct(parser_t *p, const char *type_name, uint32_t pos)
{
    advance(p);
    sg_cel_node_t *n = sg_cel__node(p->arena, N_STRUCT, pos);
    entries_t e;
    if (n == NULL || !entries_init(p->arena, &e))
        return NULL;
    while (p->tok.type != T_RBRACE) {
        int optional = 0;
        if (p->tok.type == T_QUESTION) {
            optional = 1;
            advance(p);
        }
        if (p->tok.type != T_IDENT && p->tok.type != T_RESERVED && p->tok.type != T_QIDENT && p->tok.type != T_IN &&
            p->tok.type != T_TRUE && p->tok.type != T_FALSE && p->tok.type != T_NULL) {
            syntax_error(p, "IDENTIFIER");
            return NULL;
        }
        sg_cel_node_t *k = sg_cel__node(p->arena, N_LIT, p->tok.pos);
        if (k == NULL)
            return NULL;
        char *fname = p->tok.type == T_QIDENT
                          ? ident_name(p, &p->tok)
                          : sg_arena_strndup(p->arena, p->src + p->tok.pos, p->tok.end - p->tok.pos);
        k->u.lit = sg_cel_string(fname, strlen(fname));
        advance(p);
        if (!expect(p, T_COLON, "':'"))
            return NULL;
        sg_cel_node_t *v = parse_expr(p);
        if (v == NULL)
            return NULL;
        if (!entries_push(p->arena, &e, k, v, optional))
            return NULL;
        if (p->tok.type == T_COMMA) {
            advance(p);
            continue;
        }
        break;
    }
    if (!expect(p, T_RBRACE, "'}'"))
        return NULL;
    n->u.map.keys = e.keys;
    n->u.map.values = e.vals;
    n->u.map.optional = e.opt;
    n->u.map.n = e.n;
    n->u.map.type_name = type_name;
    return n;
}

static sg_cel_node_t *parse_list(parser_t *p)
{
    uint32_t pos = p->tok.pos;
    advance(p);
    sg_cel_node_t *n = sg_cel__node(p->arena, N_LIST, pos);
    uint32_t cap = 8, cnt = 0;
    sg_cel_node_t **items = sg_arena_alloc(p->arena, cap * sizeof(*items));
    uint8_t *opt = sg_arena_calloc(p->arena, cap, 1);
    if (n == NULL || items == NULL || opt == NULL)
        return NULL;
    while (p->tok.type != T_RBRACKET) {
        int optional = 0;
        if (p->tok.type == T_QUESTION) {
            optional = 1;
            advance(p);
        }
        sg_cel_node_t *e = parse_expr(p);
        if (e == NULL)
            return NULL;
        if (cnt == cap) {
            sg_cel_node_t **ni = sg_arena_alloc(p->arena, cap * 2 * sizeof(*items));
            uint8_t *no = sg_arena_calloc(p->arena, cap * 2, 1);
            if (ni == NULL || no == NULL)
                return NULL;
            memcpy(ni, items, cap * sizeof(*items));
            memcpy(no, opt, cap);
            items = ni, opt = no, cap *= 2;
        }
        items[cnt] = e;
        opt[cnt] = (uint8_t)optional;
        cnt++;
        if (p->tok.type == T_COMMA) {
            advance(p);
            continue;
        }
        break;
    }
    if (!expect(p, T_RBRACKET, "{']', ','}"))
        return NULL;
    n->u.list.items = items;
    n->u.list.optional = opt;
    n->u.list.n = cnt;
    return n;
}

static sg_cel_node_t *parse_map(parser_t *p)
{
    uint32_t pos = p->tok.pos;
    advance(p);
    sg_cel_node_t *n = sg_cel__node(p->arena, N_MAP, pos);
    entries_t e;
    if (n == NULL || !entries_init(p->arena, &e))
        return NULL;
    while (p->tok.type != T_RBRACE) {
        int optional = 0;
        if (p->tok.type == T_QUESTION) {
            optional = 1;
            advance(p);
        }
        sg_cel_node_t *k = parse_expr(p);
        if (k == NULL || !expect(p, T_COLON, "':'"))
            return NULL;
        sg_cel_node_t *v = parse_expr(p);
        if (v == NULL)
            return NULL;
        if (!entries_push(p->arena, &e, k, v, optional))
            return NULL;
        if (p->tok.type == T_COMMA) {
            advance(p);
            continue;
        }
        break;
    }
    if (!expect(p, T_RBRACE, "{'}', ','}"))
        return NULL;
    n->u.map.keys = e.keys;
    n->u.map.values = e.vals;
    n->u.map.optional = e.opt;
    n->u.map.n = e.n;
    return n;
}

/* Dotted name of an identifier/select chain ("a.b.c"), or NULL when the chain holds anything else. */
static char *qualified_name(parser_t *p, const sg_cel_node_t *n)
{
    if (n->kind == N_IDENT)
        return sg_arena_printf(p->arena, "%s%s", (n->flags & NF_ROOT) ? "." : "", n->u.ident.name);
    if (n->kind == N_SELECT && !(n->flags & (NF_TEST | NF_OPTIONAL))) {
        char *base = qualified_name(p, n->u.sel.operand);
        return base == NULL ? NULL : sg_arena_printf(p->arena, "%s.%s", base, n->u.sel.field);
    }
    return NULL;
}

static sg_cel_node_t *parse_primary(parser_t *p)
{
    sg_cel_token_t t = p->tok;
    sg_cel_node_t *n = NULL;
    switch (t.type) {
    case T_INT:
        if (t.v.u > (uint64_t)INT64_MAX) {
            error_at(p, t.pos, "invalid int literal");
            p->fatal = 1;
            return NULL;
        }
        n = sg_cel__node(p->arena, N_LIT, t.pos);
        if (n != NULL)
            n->u.lit = sg_cel__int((int64_t)t.v.u);
        advance(p);
        return n;
    case T_UINT:
        n = sg_cel__node(p->arena, N_LIT, t.pos);
        if (n != NULL)
            n->u.lit = sg_cel_uint(t.v.u);
        advance(p);
        return n;
    case T_DOUBLE:
        n = sg_cel__node(p->arena, N_LIT, t.pos);
        if (n != NULL)
            n->u.lit = sg_cel_double(t.v.d);
        advance(p);
        return n;
    case T_STRING:
    case T_BYTES:
        n = sg_cel__node(p->arena, N_LIT, t.pos);
        if (n != NULL)
            n->u.lit = t.type == T_STRING ? sg_cel_string(t.s, t.len) : sg_cel_bytes(t.s, t.len);
        advance(p);
        return n;
    case T_TRUE:
    case T_FALSE:
        advance(p);
        return sg_cel__lit_bool(p->arena, t.type == T_TRUE, t.pos);
    case T_NULL:
        advance(p);
        n = sg_cel__node(p->arena, N_LIT, t.pos);
        if (n != NULL)
            n->u.lit = sg_cel_null();
        return n;
    case T_LPAREN: {
        advance(p);
        n = parse_expr(p);
        if (n == NULL || !expect(p, T_RPAREN, "')'"))
            return NULL;
        return n;
    }
    case T_LBRACKET:
        return parse_list(p);
    case T_LBRACE:
        return parse_map(p);
    case T_DOT:
    case T_IDENT:
    case T_RESERVED: {
        int root = 0;
        if (t.type == T_DOT) {
            root = 1;
            advance(p);
            t = p->tok;
            if (t.type != T_IDENT && t.type != T_RESERVED) {
                syntax_error(p, "IDENTIFIER");
                return NULL;
            }
        }
        if (t.type == T_RESERVED)
            error_at(p, t.pos, "reserved identifier: %.*s", (int)t.len, t.s);
        char *name = ident_name(p, &t);
        if (name == NULL)
            return NULL;
        advance(p);
        if (p->tok.type == T_LPAREN) {
            advance(p);
            sg_cel_node_t **args = NULL;
            uint32_t nargs = 0;
            if (!parse_args(p, &args, &nargs, NULL))
                return NULL;
            return make_call(p, root ? sg_arena_printf(p->arena, ".%s", name) : name, NULL, args, nargs, t.pos);
        }
        n = sg_cel__ident(p->arena, name, t.pos);
        if (n != NULL && root)
            n->flags |= NF_ROOT;
        return n;
    }
    case T_EOF:
        syntax_error(p, "an expression");
        return NULL;
    default:
        syntax_error(p, NULL);
        return NULL;
    }
}

static sg_cel_node_t *parse_member(parser_t *p, sg_cel_node_t *n)
{
    int d0 = p->depth;
    if (n == NULL)
        n = parse_primary(p);
    while (n != NULL && !p->fatal) {
        uint32_t pos = p->tok.pos;
        /* every selection, call and index adds a level the evaluator recurses through */
        if ((p->tok.type == T_DOT || p->tok.type == T_LBRACKET || p->tok.type == T_LBRACE) && !enter(p))
            return NULL;
        if (p->tok.type == T_DOT) {
            advance(p);
            int optional = 0;
            if (p->tok.type == T_QUESTION) {
                optional = 1;
                advance(p);
            }
            sg_cel_token_t f = p->tok;
            if (f.type != T_IDENT && f.type != T_RESERVED && f.type != T_QIDENT && f.type != T_IN && f.type != T_TRUE &&
                f.type != T_FALSE && f.type != T_NULL) {
                syntax_error(p, "IDENTIFIER");
                return NULL;
            }
            char *fname =
                f.type == T_QIDENT ? ident_name(p, &f) : sg_arena_strndup(p->arena, p->src + f.pos, f.end - f.pos);
            if (fname == NULL)
                return NULL;
            advance(p);
            if (p->tok.type == T_LPAREN && !optional && f.type != T_QIDENT) {
                advance(p);
                sg_cel_node_t **args = NULL;
                uint32_t nargs = 0;
                if (!parse_args(p, &args, &nargs, n))
                    return NULL;
                n = make_call(p, fname, n, args, nargs, f.pos);
                continue;
            }
            sg_cel_node_t *s = sg_cel__node(p->arena, N_SELECT, pos);
            if (s == NULL)
                return NULL;
            s->u.sel.operand = n;
            s->u.sel.field = fname;
            s->u.sel.flen = (uint32_t)strlen(fname);
            s->u.sel.qual = -1;
            if (optional)
                s->flags |= NF_OPTIONAL;
            n = s;
        } else if (p->tok.type == T_LBRACKET) {
            advance(p);
            int optional = 0;
            if (p->tok.type == T_QUESTION) {
                optional = 1;
                advance(p);
            }
            sg_cel_node_t *idx = parse_expr(p);
            if (idx == NULL || !expect(p, T_RBRACKET, "']'"))
                return NULL;
            n = sg_cel__call(p->arena, optional ? OP_OPT_INDEX : OP_INDEX, optional ? "_[?_]" : "_[_]", pos, 2, n, idx);
        } else if (p->tok.type == T_LBRACE && (n->kind == N_IDENT || n->kind == N_SELECT)) {
            char *tn = qualified_name(p, n);
            if (tn == NULL)
                break;
            n = parse_struct(p, tn, pos);
        } else {
            break;
        }
    }
    p->depth = d0;
    return n;
}

static sg_cel_node_t *parse_unary(parser_t *p)
{
    uint32_t pos = p->tok.pos;
    if (p->tok.type == T_NOT || p->tok.type == T_MINUS) {
        sg_cel_tok_t op = p->tok.type;
        int count = 0;
        while (p->tok.type == op) {
            count++;
            advance(p);
        }
        if (op == T_MINUS && (p->tok.type == T_INT || p->tok.type == T_DOUBLE)) {
            /* The last minus belongs to the literal: -9223372036854775808 is a valid int. */
            sg_cel_token_t t = p->tok;
            sg_cel_node_t *lit = sg_cel__node(p->arena, N_LIT, pos);
            if (lit == NULL)
                return NULL;
            if (t.type == T_INT) {
                if (t.v.u > (uint64_t)INT64_MAX + 1) {
                    error_at(p, t.pos, "invalid int literal");
                    p->fatal = 1;
                    return NULL;
                }
                lit->u.lit = sg_cel__int(t.v.u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)t.v.u);
            } else {
                lit->u.lit = sg_cel_double(-t.v.d);
            }
            advance(p);
            sg_cel_node_t *m = parse_member(p, lit);
            if (m == NULL)
                return NULL;
            count--;
            if (count % 2 == 1)
                m = sg_cel__call(p->arena, OP_NEG, "-_", pos, 1, m);
            return m;
        }
        if (!enter(p))
            return NULL;
        sg_cel_node_t *m = parse_member(p, NULL);
        leave(p);
        if (m == NULL)
            return NULL;
        if (count % 2 == 1)
            m = op == T_NOT ? sg_cel__call(p->arena, OP_NOT, "!_", pos, 1, m)
                            : sg_cel__call(p->arena, OP_NEG, "-_", pos, 1, m);
        return m;
    }
    return parse_member(p, NULL);
}

/* Builds a balanced tree for a run of the same logical operator so long chains stay shallow. */
static sg_cel_node_t *balance(parser_t *p, sg_cel_op_t op, const char *name, sg_cel_node_t **terms, uint32_t *pos,
                              uint32_t lo, uint32_t hi)
{
    if (lo == hi)
        return terms[lo];
    uint32_t mid = (lo + hi + 1) / 2;
    sg_cel_node_t *l = balance(p, op, name, terms, pos, lo, mid - 1);
    sg_cel_node_t *r = balance(p, op, name, terms, pos, mid, hi);
    return sg_cel__call(p->arena, op, name, pos[mid], 2, l, r);
}

static sg_cel_node_t *parse_binary(parser_t *p, int min_prec)
{
    int d0 = p->depth;
    sg_cel_node_t *left = parse_unary(p);
    while (left != NULL && !p->fatal) {
        int bi = binop_index(p->tok.type);
        if (bi < 0 || binops[bi].prec < min_prec)
            break;
        int prec = binops[bi].prec;
        if (binops[bi].op == OP_AND || binops[bi].op == OP_OR) {
            sg_cel_node_t *terms[1024];
            uint32_t poss[1024];
            uint32_t cnt = 0;
            terms[cnt++] = left;
            while (p->tok.type == binops[bi].tok && !p->fatal) {
                if (cnt == 1024) {
                    error_at(p, p->tok.pos, "too many operands of '%s'", binops[bi].name);
                    p->fatal = p->limit = 1;
                    return NULL;
                }
                poss[cnt] = p->tok.pos;
                advance(p);
                sg_cel_node_t *r = parse_binary(p, prec + 1);
                if (r == NULL)
                    return NULL;
                terms[cnt++] = r;
            }
            left = balance(p, binops[bi].op, binops[bi].name, terms, poss, 0, cnt - 1);
            continue;
        }
        uint32_t pos = p->tok.pos;
        advance(p);
        sg_cel_node_t *right = parse_binary(p, prec + 1);
        if (right == NULL)
            return NULL;
        if (binops[bi].op == OP_IN)
            left = sg_cel__call(p->arena, OP_IN, "@in", pos, 2, left, right);
        else
            left = sg_cel__call(p->arena, binops[bi].op, binops[bi].name, pos, 2, left, right);
        /* a left-deep chain grows one level per operator */
        if (!enter(p))
            return NULL;
    }
    p->depth = d0;
    return left;
}

static sg_cel_node_t *parse_expr(parser_t *p)
{
    if (!enter(p))
        return NULL;
    int depth0 = p->depth;
    sg_cel_node_t *cond = parse_binary(p, 1);
    p->depth = depth0;
    if (cond != NULL && p->tok.type == T_QUESTION && !p->fatal) {
        uint32_t pos = p->tok.pos;
        advance(p);
        sg_cel_node_t *a = parse_binary(p, 1);
        p->depth = depth0;
        if (a == NULL || !expect(p, T_COLON, "':'")) {
            leave(p);
            return NULL;
        }
        sg_cel_node_t *b = parse_expr(p);
        if (b == NULL) {
            leave(p);
            return NULL;
        }
        cond = sg_cel__call(p->arena, OP_COND, "_?_:_", pos, 3, cond, a, b);
    }
    leave(p);
    return cond;
}

/* ---- error formatting ---- */

static void position(const char *src, size_t len, uint32_t pos, int *line, int *col, size_t *line_start)
{
    int l = 1, c = 1;
    size_t ls = 0;
    for (size_t i = 0; i < pos && i < len;) {
        if (src[i] == '\n') {
            l++;
            c = 1;
            i++;
            ls = i;
            continue;
        }
        uint32_t cp;
        int n = sg_cel__utf8_decode(src + i, len - i, &cp);
        i += (size_t)(n > 0 ? n : 1);
        c++;
    }
    *line = l;
    *col = c;
    *line_start = ls;
}

static void format_errors(parser_t *p, sg_error_t *err, int code)
{
    sg_buf_t b = SG_BUF_INIT;
    int first_line = 0, first_col = 0;
    /* order by position */
    for (int i = 1; i < p->nerrors; i++)
        for (int j = i; j > 0 && p->errors[j].pos < p->errors[j - 1].pos; j--) {
            __typeof__(p->errors[0]) tmp = p->errors[j];
            p->errors[j] = p->errors[j - 1];
            p->errors[j - 1] = tmp;
        }
    for (int i = 0; i < p->nerrors; i++) {
        int line, col;
        size_t ls;
        position(p->src, p->len, p->errors[i].pos, &line, &col, &ls);
        if (i == 0)
            first_line = line, first_col = col;
        size_t le = ls;
        while (le < p->len && p->src[le] != '\n')
            le++;
        if (i > 0)
            sg_buf_putc(&b, '\n');
        sg_buf_printf(&b, "ERROR: <input>:%d:%d: %s\n | %.*s\n | ", line, col,
                      p->errors[i].msg != NULL ? p->errors[i].msg : "out of memory", (int)(le - ls), p->src + ls);
        for (int k = 1; k < col; k++)
            sg_buf_putc(&b, '.');
        sg_buf_putc(&b, '^');
    }
    sg_error_setloc(err, code, "<input>", first_line, first_col, "%s", b.base != NULL ? b.base : "parse error");
    sg_buf_dispose(&b);
}

int sg_cel__error_at(sg_error_t *err, int code, const char *src, size_t len, uint32_t pos, const char *msg)
{
    parser_t p;
    memset(&p, 0, sizeof(p));
    p.src = src;
    p.len = len;
    p.nerrors = 1;
    p.errors[0].pos = pos;
    p.errors[0].msg = msg;
    format_errors(&p, err, code);
    return code;
}

int sg_cel__parse(sg_cel_node_t **out, sg_arena_t *arena, const char *src, size_t len, const sg_cel_parse_opts_t *o,
                  sg_error_t *err)
{
    parser_t p;
    memset(&p, 0, sizeof(p));
    p.lx.src = src;
    p.lx.len = len;
    p.lx.arena = arena;
    p.arena = arena;
    p.src = src;
    p.len = len;
    p.max_depth = o->max_depth;
    p.disable_macros = o->disable_macros;
    advance(&p);
    sg_cel_node_t *root = parse_expr(&p);
    if (root != NULL && !p.fatal && p.tok.type != T_EOF) {
        char buf[64];
        error_at(&p, p.tok.pos, "Syntax error: extraneous input '%s' expecting <EOF>",
                 tok_text(&p, &p.tok, buf, sizeof(buf)));
    }
    if (root == NULL && p.nerrors == 0)
        error_at(&p, 0, "out of memory");
    if (p.nerrors > 0) {
        format_errors(&p, err, p.limit ? SG_ELIMIT : SG_EINVALID);
        return p.limit ? SG_ELIMIT : SG_EINVALID;
    }
    *out = root;
    return SG_OK;
}
