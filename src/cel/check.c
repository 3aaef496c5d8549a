/* The type checker's walk over a compiled program, after cel-go's checker: identifiers from the environment and the
 * comprehension scopes, selections through object, map and optional types, calls resolved against the overload table
 * (a call is typed by the union of the overloads its argument types admit), literals joined to their most general
 * element type, macros typed from their range. Errors are collected (checking goes on with the error type, which
 * behaves as dyn) and reported in the compiler's format. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

static const char *const container = "";

static void error_at(sg_cel_checker_t *c, uint32_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void error_at(sg_cel_checker_t *c, uint32_t pos, const char *fmt, ...)
{
    if (c->nerrors >= SG_CEL_CHECK_MAX_ERRORS)
        return;
    for (int i = 0; i < c->nerrors; i++)
        if (c->errors[i].pos == pos)
            return; /* one message per position, as for syntax errors */
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char *m = sg_arena_strndup(c->a, buf, strlen(buf));
    if (m == NULL) {
        c->nomem = 1;
        return;
    }
    c->errors[c->nerrors].pos = pos;
    c->errors[c->nerrors].msg = m;
    c->nerrors++;
}

static const sg_cel_type_t *dyn(void)
{
    return sg_cel_type_prim(SG_CEL_T_DYN);
}

static const sg_cel_type_t *err_type(void)
{
    return sg_cel_type_prim(SG_CEL_T_ERROR);
}

/* cel-go's rendering of a type in messages: free type variables print as dyn. */
static const char *show(sg_cel_checker_t *c, const sg_cel_type_t *t)
{
    sg_buf_t b = SG_BUF_INIT;
    sg_cel_type_format(&b, sg_cel__subst(c, t, 1));
    const char *s = b.base != NULL ? sg_arena_strndup(c->a, b.base, b.len) : NULL;
    sg_buf_dispose(&b);
    return s != NULL ? s : "?";
}

static void add_ref(sg_cel_checker_t *c, const char *name, const char *field, int declared, uint32_t pos)
{
    for (size_t i = 0; i < c->nrefs; i++)
        if (strcmp(c->refs[i].name, name) == 0 &&
            (c->refs[i].field == field ||
             (c->refs[i].field != NULL && field != NULL && strcmp(c->refs[i].field, field) == 0)))
            return;
    if (c->nrefs == SG_CEL_CHECK_MAX_REFS)
        return;
    c->refs[c->nrefs++] = (sg_cel_ref_t){name, field, declared, pos};
}

/* The type denoted by a type name used as a value (`int`, `list`, ...), or NULL. */
static const sg_cel_type_t *type_name_type(sg_cel_checker_t *c, const char *name)
{
    static const struct {
        const char *name;
        sg_cel_type_kind_t kind;
    } names[] = {
        {"int", SG_CEL_T_INT},
        {"uint", SG_CEL_T_UINT},
        {"double", SG_CEL_T_DOUBLE},
        {"bool", SG_CEL_T_BOOL},
        {"string", SG_CEL_T_STRING},
        {"bytes", SG_CEL_T_BYTES},
        {"null_type", SG_CEL_T_NULL},
        {"type", SG_CEL_T_TYPE},
        {"google.protobuf.Timestamp", SG_CEL_T_TIMESTAMP},
        {"google.protobuf.Duration", SG_CEL_T_DURATION},
        {"list", SG_CEL_T_LIST},
        {"map", SG_CEL_T_MAP},
        {"optional_type", SG_CEL_T_OPTIONAL},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i].name, name) != 0)
            continue;
        const sg_cel_type_t *t;
        switch (names[i].kind) {
        case SG_CEL_T_LIST:
        case SG_CEL_T_OPTIONAL:
            t = sg_cel__tmk(c, names[i].kind, dyn(), NULL);
            break;
        case SG_CEL_T_MAP:
            t = sg_cel__tmk(c, SG_CEL_T_MAP, dyn(), dyn());
            break;
        default:
            t = sg_cel_type_prim(names[i].kind);
        }
        return sg_cel__tmk(c, SG_CEL_T_TYPE, t, NULL);
    }
    return NULL;
}

static const sg_cel_type_t *local(sg_cel_checker_t *c, const char *name)
{
    for (int i = c->nscope - 1; i >= 0; i--)
        if (strcmp(c->scope[i].name, name) == 0)
            return c->scope[i].type;
    return NULL;
}

static void push(sg_cel_checker_t *c, const char *name, const sg_cel_type_t *t)
{
    if (c->nscope == SG_CEL_CHECK_MAX_SCOPE) {
        c->too_complex = 1;
        return;
    }
    c->scope[c->nscope].name = name;
    c->scope[c->nscope].type = t;
    c->nscope++;
}

/* A free identifier: declared variable, type name, or an error. `field` is what is selected right after it. */
static const sg_cel_type_t *check_ident(sg_cel_checker_t *c, const sg_cel_node_t *n, const char *field)
{
    const char *name = n->u.ident.name;
    if (!(n->flags & NF_ROOT)) {
        const sg_cel_type_t *t = local(c, name);
        if (t != NULL)
            return t;
    }
    const sg_cel_type_t *t = sg_cel__env_lookup(c->env, name);
    if (t != NULL) {
        add_ref(c, name, field, 1, n->pos);
        return t;
    }
    if ((t = type_name_type(c, name)) != NULL)
        return t;
    add_ref(c, name, field, 0, n->pos);
    error_at(c, n->pos, "undeclared reference to '%s' (in container '%s')", name, container);
    return err_type();
}

static const sg_cel_type_t *unwrap_optional(const sg_cel_type_t *t, int *is_opt)
{
    *is_opt = t->kind == SG_CEL_T_OPTIONAL;
    return *is_opt ? t->p[0] : t;
}

/* Selection of field `s` from a value of type `t` (cel-go's checkSelectField), has() and `.?` included. */
static const sg_cel_type_t *select_type(sg_cel_checker_t *c, const sg_cel_node_t *s, const sg_cel_type_t *t)
{
    int is_opt;
    const char *field = s->u.sel.field;
    const sg_cel_type_t *target = unwrap_optional(sg_cel__subst(c, t, 0), &is_opt);
    const sg_cel_type_t *r;
    switch (target->kind) {
    case SG_CEL_T_MAP:
        r = target->p[1];
        break;
    case SG_CEL_T_OBJECT: {
        r = NULL;
        for (uint32_t i = 0; i < target->nfields && r == NULL; i++)
            if (strcmp(target->fields[i].name, field) == 0)
                r = target->fields[i].type;
        if (r == NULL && target->open)
            r = dyn();
        if (r == NULL) {
            error_at(c, s->pos, "undefined field '%s'", field);
            r = err_type();
        }
        break;
    }
    case SG_CEL_T_PARAM:
        sg_cel__assignable(c, dyn(), target);
        r = dyn();
        break;
    default:
        if (target->kind != SG_CEL_T_DYN && target->kind != SG_CEL_T_ERROR)
            error_at(c, s->pos, "type '%s' does not support field selection", show(c, target));
        r = dyn();
    }
    if (s->flags & NF_TEST)
        return sg_cel_type_prim(SG_CEL_T_BOOL);
    if (is_opt || (s->flags & NF_OPTIONAL))
        return sg_cel__tmk(c, SG_CEL_T_OPTIONAL, r, NULL);
    return r;
}

static const sg_cel_type_t *check(sg_cel_checker_t *c, const sg_cel_node_t *n);

/* A qualified name a.b.c declared as such (or a type name such as google.protobuf.Timestamp). */
static const sg_cel_type_t *qualified(sg_cel_checker_t *c, const sg_cel_node_t *s, const char *root, const char *field)
{
    if (s->u.sel.qual < 0 || (s->flags & NF_TEST) || (uint32_t)s->u.sel.qual >= c->p->nglobals)
        return NULL;
    const char *q = c->p->globals[s->u.sel.qual];
    const sg_cel_type_t *t = sg_cel__env_lookup(c->env, q);
    if (t != NULL) {
        add_ref(c, root, field, 1, s->pos);
        return t;
    }
    return type_name_type(c, q);
}

static const sg_cel_type_t *check_path(sg_cel_checker_t *c, const sg_cel_node_t *n)
{
    const sg_cel_node_t *root = n->u.path.root;
    sg_cel_node_t *const *sels = n->u.path.sels;
    uint32_t cnt = n->u.path.n, start = 0;
    const sg_cel_type_t *t = NULL;
    const char *first = cnt > 0 ? sels[0]->u.sel.field : NULL;
    if (root->kind == N_IDENT && ((root->flags & NF_ROOT) || local(c, root->u.ident.name) == NULL)) {
        /* the longest declared qualified name wins, as in cel-go */
        for (uint32_t i = cnt; i-- > 0 && t == NULL;)
            if ((t = qualified(c, sels[i], root->u.ident.name, first)) != NULL)
                start = i + 1;
    }
    if (t == NULL)
        t = root->kind == N_IDENT ? check_ident(c, root, first) : check(c, root);
    for (uint32_t i = start; i < cnt; i++)
        t = select_type(c, sels[i], t);
    return t;
}

/* Resolves a call against the overloads of `name` (cel-go's resolveOverload). */
static const sg_cel_type_t *resolve(sg_cel_checker_t *c, const char *name, int receiver, uint32_t pos,
                                    const sg_cel_type_t **args, uint32_t nargs)
{
    size_t ns;
    const sg_cel_sig_t *sigs = sg_cel__sigs(name, &ns);
    if (sigs == NULL) {
        error_at(c, pos, "undeclared reference to '%s' (in container '%s')", name, container);
        return err_type();
    }
    const sg_cel_type_t *result = NULL;
    for (size_t k = 0; k < ns; k++) {
        const sg_cel_sig_t *sig = &sigs[k];
        if (sig->receiver != receiver || sig->nparams != nargs)
            continue;
        const sg_cel_type_t *vars[26] = {0};
        const sg_cel_type_t *params[SG_CEL_SIG_MAX_PARAMS];
        for (uint32_t i = 0; i < nargs; i++)
            params[i] = sg_cel__instantiate(c, sig->params[i], vars);
        const sg_cel_type_t *rt = sg_cel__instantiate(c, sig->result, vars);
        uint32_t mark = c->ntrail;
        int ok = 1;
        for (uint32_t i = 0; i < nargs && ok; i++)
            ok = sg_cel__assignable(c, args[i], params[i]);
        if (!ok) {
            sg_cel__undo(c, mark);
            continue;
        }
        rt = sg_cel__subst(c, rt, 0);
        if (result == NULL)
            result = rt;
        else if (result->kind != SG_CEL_T_DYN && !sg_cel__exact(rt, result, 0))
            result = dyn();
    }
    if (result != NULL)
        return result;
    sg_buf_t b = SG_BUF_INIT;
    for (uint32_t i = 0; i < nargs; i++) {
        if (i == 0 && receiver) {
            sg_buf_puts(&b, show(c, args[0]));
            sg_buf_puts(&b, ".(");
            continue;
        }
        if (i == 0)
            sg_buf_putc(&b, '(');
        else if (!(i == 1 && receiver))
            sg_buf_puts(&b, ", ");
        sg_buf_puts(&b, show(c, args[i]));
    }
    if (nargs == 0)
        sg_buf_putc(&b, '(');
    sg_buf_putc(&b, ')');
    error_at(c, pos, "found no matching overload for '%s' applied to '%s'", name, b.base != NULL ? b.base : "()");
    sg_buf_dispose(&b);
    return err_type();
}

static void assert_type(sg_cel_checker_t *c, const sg_cel_type_t *want, const sg_cel_type_t *got, uint32_t pos)
{
    if (!sg_cel__assignable(c, want, got))
        error_at(c, pos, "expected type '%s' but found '%s'", show(c, want), show(c, got));
}

/* Joins element types of a literal: the most general when assignable, dyn otherwise (cel-go's default of
 * heterogeneous aggregate literals). */
static const sg_cel_type_t *join(sg_cel_checker_t *c, const sg_cel_type_t *prev, const sg_cel_type_t *cur)
{
    if (prev == NULL)
        return cur;
    if (sg_cel__assignable(c, prev, cur))
        return sg_cel__most_general(prev, cur);
    return dyn();
}

static const sg_cel_type_t *value_type(sg_cel_checker_t *c, const sg_cel_value_t *v, int depth)
{
    switch (v->kind) {
    case SG_CEL_NULL:
        return sg_cel_type_prim(SG_CEL_T_NULL);
    case SG_CEL_BOOL:
        return sg_cel_type_prim(SG_CEL_T_BOOL);
    case SG_CEL_INT:
        return sg_cel_type_prim(SG_CEL_T_INT);
    case SG_CEL_UINT:
        return sg_cel_type_prim(SG_CEL_T_UINT);
    case SG_CEL_DOUBLE:
        return sg_cel_type_prim(SG_CEL_T_DOUBLE);
    case SG_CEL_STRING:
        return sg_cel_type_prim(SG_CEL_T_STRING);
    case SG_CEL_BYTES:
        return sg_cel_type_prim(SG_CEL_T_BYTES);
    case SG_CEL_TIMESTAMP:
        return sg_cel_type_prim(SG_CEL_T_TIMESTAMP);
    case SG_CEL_DURATION:
        return sg_cel_type_prim(SG_CEL_T_DURATION);
    case SG_CEL_LIST: {
        /* a list literal of constants folded by the compiler */
        const sg_cel_type_t *elem = NULL;
        uint32_t len = sg_cel__list_len(v);
        for (uint32_t i = 0; i < len && depth < 64; i++) {
            sg_cel_value_t x;
            sg_cel__list_get(v, i, &x);
            elem = join(c, elem, value_type(c, &x, depth + 1));
        }
        return sg_cel__tmk(c, SG_CEL_T_LIST, elem != NULL ? elem : sg_cel__fresh(c), NULL);
    }
    case SG_CEL_MAP:
        return sg_cel__tmk(c, SG_CEL_T_MAP, dyn(), dyn());
    case SG_CEL_TYPE:
        return sg_cel__tmk(c, SG_CEL_T_TYPE, dyn(), NULL);
    case SG_CEL_OPTIONAL:
        return sg_cel__tmk(c, SG_CEL_T_OPTIONAL, dyn(), NULL);
    default:
        return err_type();
    }
}

/* An element of a list or map literal marked `?`: its value must be optional, and the element is what it holds. */
static const sg_cel_type_t *optional_element(sg_cel_checker_t *c, const sg_cel_type_t *t, uint32_t pos)
{
    int is_opt;
    const sg_cel_type_t *inner = unwrap_optional(sg_cel__subst(c, t, 0), &is_opt);
    if (!is_opt && inner->kind != SG_CEL_T_DYN && inner->kind != SG_CEL_T_ERROR)
        error_at(c, pos, "expected type '%s' but found '%s'", show(c, sg_cel__tmk(c, SG_CEL_T_OPTIONAL, inner, NULL)),
                 show(c, inner));
    return inner;
}

static const sg_cel_type_t *check_list(sg_cel_checker_t *c, const sg_cel_node_t *n)
{
    const sg_cel_type_t *elem = NULL;
    for (uint32_t i = 0; i < n->u.list.n; i++) {
        const sg_cel_node_t *item = n->u.list.items[i];
        const sg_cel_type_t *t = check(c, item);
        if (n->u.list.optional != NULL && n->u.list.optional[i])
            t = optional_element(c, t, item->pos);
        elem = join(c, elem, t);
    }
    return sg_cel__tmk(c, SG_CEL_T_LIST, elem != NULL ? elem : sg_cel__fresh(c), NULL);
}

static const sg_cel_type_t *check_map(sg_cel_checker_t *c, const sg_cel_node_t *n)
{
    const sg_cel_type_t *kt = NULL, *vt = NULL;
    for (uint32_t i = 0; i < n->u.map.n; i++) {
        kt = join(c, kt, check(c, n->u.map.keys[i]));
        const sg_cel_type_t *t = check(c, n->u.map.values[i]);
        if (n->u.map.optional != NULL && n->u.map.optional[i])
            t = optional_element(c, t, n->u.map.values[i]->pos);
        vt = join(c, vt, t);
    }
    if (kt == NULL) {
        kt = sg_cel__fresh(c);
        vt = sg_cel__fresh(c);
    }
    return sg_cel__tmk(c, SG_CEL_T_MAP, kt, vt);
}

/* The accumulator steps of macro expansions, typed as the calls cel-go's macros expand to. */
static const sg_cel_type_t *check_accu_op(sg_cel_checker_t *c, const sg_cel_node_t *n)
{
    const sg_cel_type_t *a[3] = {NULL, NULL, NULL};
    for (uint32_t i = 0; i < n->u.call.nargs && i < 3; i++)
        a[i] = check(c, n->u.call.args[i]);
    uint32_t mark = c->ntrail;
    switch (n->op) {
    case OP_APPEND: {
        const sg_cel_type_t *want = sg_cel__tmk(c, SG_CEL_T_LIST, sg_cel__fresh(c), NULL);
        const sg_cel_type_t *got = sg_cel__tmk(c, SG_CEL_T_LIST, a[1], NULL);
        if (sg_cel__assignable(c, a[0], want) && sg_cel__assignable(c, got, want))
            return sg_cel__subst(c, want, 0);
        sg_cel__undo(c, mark);
        const sg_cel_type_t *args[2] = {a[0], got};
        return resolve(c, "_+_", 0, n->pos, args, 2);
    }
    case OP_MAP_INSERT:
    case OP_MAP_MERGE: {
        const sg_cel_type_t *want = sg_cel__tmk(c, SG_CEL_T_MAP, sg_cel__fresh(c), sg_cel__fresh(c));
        int ok = sg_cel__assignable(c, a[0], want);
        if (ok && n->op == OP_MAP_INSERT)
            ok = sg_cel__assignable(c, a[1], want->p[0]) && sg_cel__assignable(c, a[2], want->p[1]);
        else if (ok)
            ok = sg_cel__assignable(c, a[1], want);
        if (ok)
            return sg_cel__subst(c, want, 0);
        sg_cel__undo(c, mark);
        sg_buf_t b = SG_BUF_INIT;
        for (uint32_t i = 0; i < n->u.call.nargs && i < 3; i++)
            sg_buf_printf(&b, "%s%s", i ? ", " : "", show(c, a[i]));
        error_at(c, n->pos, "found no matching overload for 'cel.@mapInsert' applied to '(%s)'",
                 b.base != NULL ? b.base : "");
        sg_buf_dispose(&b);
        return err_type();
    }
    case OP_COUNT_IF:
        if (sg_cel__assignable(c, sg_cel_type_prim(SG_CEL_T_BOOL), a[1]))
            return sg_cel_type_prim(SG_CEL_T_INT);
        error_at(c, n->pos, "found no matching overload for '_?_:_' applied to '(%s, int, int)'", show(c, a[1]));
        return err_type();
    default:
        return err_type();
    }
}

static const sg_cel_type_t *check_call(sg_cel_checker_t *c, const sg_cel_node_t *n)
{
    switch (n->op) {
    case OP_APPEND:
    case OP_MAP_INSERT:
    case OP_MAP_MERGE:
    case OP_COUNT_IF:
        return check_accu_op(c, n);
    default:
        break;
    }
    uint32_t nargs = n->u.call.nargs;
    const sg_cel_type_t *args[8];
    if (nargs > 8) {
        c->too_complex = 1;
        return err_type();
    }
    for (uint32_t i = 0; i < nargs; i++)
        args[i] = check(c, n->u.call.args[i]);
    int receiver = n->op == OP_FN || n->op >= OP_OPT_OR ? n->receiver : 0;
    return resolve(c, n->u.call.name, receiver && nargs > 0, n->pos, args, nargs);
}

static const sg_cel_type_t *check_compr(sg_cel_checker_t *c, const sg_cel_node_t *n)
{
    int base = c->nscope;
    if (n->u.compr.range == NULL) {
        /* cel.bind(name, init, result) */
        push(c, n->u.compr.accu_name, check(c, n->u.compr.init));
        const sg_cel_type_t *t = check(c, n->u.compr.result);
        c->nscope = base;
        return t;
    }
    const sg_cel_type_t *range = sg_cel__subst(c, check(c, n->u.compr.range), 0);
    const sg_cel_type_t *accu = check(c, n->u.compr.init);
    const sg_cel_type_t *v1, *v2;
    int two = n->u.compr.iter2_name != NULL;
    switch (range->kind) {
    case SG_CEL_T_LIST:
        v1 = two ? sg_cel_type_prim(SG_CEL_T_INT) : range->p[0];
        v2 = range->p[0];
        break;
    case SG_CEL_T_MAP:
        v1 = range->p[0];
        v2 = range->p[1];
        break;
    case SG_CEL_T_OBJECT:
        v1 = sg_cel_type_prim(SG_CEL_T_STRING);
        v2 = dyn();
        break;
    case SG_CEL_T_DYN:
    case SG_CEL_T_ERROR:
    case SG_CEL_T_PARAM:
        sg_cel__assignable(c, dyn(), range);
        v1 = v2 = dyn();
        break;
    default:
        error_at(c, n->u.compr.range->pos,
                 "expression of type '%s' cannot be range of a comprehension (must be list, map, or dynamic)",
                 show(c, range));
        v1 = v2 = err_type();
    }
    push(c, n->u.compr.accu_name, accu);
    push(c, n->u.compr.iter_name, v1);
    if (two)
        push(c, n->u.compr.iter2_name, v2);
    assert_type(c, sg_cel_type_prim(SG_CEL_T_BOOL), check(c, n->u.compr.cond), n->u.compr.cond->pos);
    assert_type(c, accu, check(c, n->u.compr.step), n->u.compr.step->pos);
    /* the result sees the accumulator only */
    c->nscope = base + 1;
    const sg_cel_type_t *t = check(c, n->u.compr.result);
    c->nscope = base;
    return sg_cel__subst(c, t, 0);
}

static const sg_cel_type_t *check(sg_cel_checker_t *c, const sg_cel_node_t *n)
{
    if (n == NULL)
        return err_type();
    if (++c->depth > SG_CEL_CHECK_MAX_DEPTH) {
        c->too_complex = 1;
        c->depth--;
        return err_type();
    }
    const sg_cel_type_t *t;
    switch (n->kind) {
    case N_LIT:
        t = value_type(c, &n->u.lit, 0);
        break;
    case N_IDENT:
        t = check_ident(c, n, NULL);
        break;
    case N_SELECT: {
        const sg_cel_node_t *op = n->u.sel.operand;
        t = NULL;
        if (op->kind == N_IDENT && ((op->flags & NF_ROOT) || local(c, op->u.ident.name) == NULL))
            t = qualified(c, n, op->u.ident.name, n->u.sel.field);
        if (t == NULL) {
            t = op->kind == N_IDENT ? check_ident(c, op, n->u.sel.field) : check(c, op);
            t = select_type(c, n, t);
        }
        break;
    }
    case N_PATH:
        t = check_path(c, n);
        break;
    case N_CALL:
        t = check_call(c, n);
        break;
    case N_LIST:
        t = check_list(c, n);
        break;
    case N_MAP:
        t = check_map(c, n);
        break;
    case N_STRUCT:
        for (uint32_t i = 0; i < n->u.map.n; i++)
            check(c, n->u.map.values[i]);
        error_at(c, n->pos, "undeclared reference to '%s' (in container '%s')", n->u.map.type_name, container);
        t = err_type();
        break;
    case N_COMPR:
        t = check_compr(c, n);
        break;
    default:
        t = err_type();
    }
    c->depth--;
    return t;
}

/* ---- results ---- */

/* A copy of `t` (bindings applied, free variables as dyn) in the environment, which outlives the check. */
static const sg_cel_type_t *keep(sg_cel_env_t *env, const sg_cel_type_t *t, int depth)
{
    if (t == NULL || depth > 64)
        return sg_cel_type_prim(SG_CEL_T_DYN);
    switch (t->kind) {
    case SG_CEL_T_LIST:
    case SG_CEL_T_OPTIONAL:
    case SG_CEL_T_TYPE:
    case SG_CEL_T_MAP: {
        const sg_cel_type_t *p0 = t->p[0] != NULL ? keep(env, t->p[0], depth + 1) : NULL;
        const sg_cel_type_t *p1 = t->p[1] != NULL ? keep(env, t->p[1], depth + 1) : NULL;
        if (p0 == NULL && t->p[0] != NULL)
            return NULL;
        return sg_cel__type_new(&env->arena, (sg_cel_type_kind_t)t->kind, p0, p1);
    }
    case SG_CEL_T_PARAM:
    case SG_CEL_T_ERROR:
        return sg_cel_type_prim(SG_CEL_T_DYN);
    default:
        /* primitives are static; objects belong to an environment already */
        return t;
    }
}

static int report(sg_cel_checker_t *c, sg_error_t *err)
{
    /* in source order, each formatted by the compiler's routine */
    for (int i = 1; i < c->nerrors; i++)
        for (int j = i; j > 0 && c->errors[j].pos < c->errors[j - 1].pos; j--) {
            __typeof__(c->errors[0]) tmp = c->errors[j];
            c->errors[j] = c->errors[j - 1];
            c->errors[j - 1] = tmp;
        }
    sg_buf_t b = SG_BUF_INIT;
    int line = 0, col = 0;
    for (int i = 0; i < c->nerrors; i++) {
        sg_error_t one = SG_ERROR_INIT;
        sg_cel__error_at(&one, SG_EINVALID, c->p->source, c->p->source_len, c->errors[i].pos, c->errors[i].msg);
        if (i == 0) {
            line = one.line;
            col = one.column;
        } else {
            sg_buf_putc(&b, '\n');
        }
        sg_buf_puts(&b, one.message);
    }
    sg_error_setloc(err, SG_EINVALID, "<input>", line, col, "%s", b.base != NULL ? b.base : "type error");
    sg_buf_dispose(&b);
    return SG_EINVALID;
}

int sg_cel_check(sg_cel_check_result_t *out, sg_cel_env_t *env, const sg_cel_program_t *p, sg_error_t *err)
{
    out->type = sg_cel_type_prim(SG_CEL_T_DYN);
    out->refs = NULL;
    out->nrefs = 0;
    sg_arena_t scratch;
    sg_arena_init(&scratch, 8192);
    sg_cel_checker_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        sg_arena_dispose(&scratch);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    c->env = env;
    c->p = p;
    c->a = &scratch;
    const sg_cel_type_t *t = sg_cel__subst(c, check(c, p->root), 1);
    int rc = SG_OK;
    if (c->nrefs) {
        out->refs = sg_arena_alloc(&env->arena, c->nrefs * sizeof(*out->refs));
        if (out->refs == NULL)
            c->nomem = 1;
        for (size_t i = 0; out->refs != NULL && i < c->nrefs; i++) {
            out->refs[i] = c->refs[i];
            out->refs[i].name = sg_arena_strndup(&env->arena, c->refs[i].name, strlen(c->refs[i].name));
            if (c->refs[i].field != NULL)
                out->refs[i].field = sg_arena_strndup(&env->arena, c->refs[i].field, strlen(c->refs[i].field));
            if (out->refs[i].name == NULL || (c->refs[i].field != NULL && out->refs[i].field == NULL))
                c->nomem = 1;
        }
        if (!c->nomem)
            out->nrefs = c->nrefs;
    }
    if (c->nomem) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
    } else if (c->too_complex) {
        rc = sg_error_set(err, SG_ELIMIT, "expression too complex to type-check");
    } else if (c->nerrors > 0) {
        rc = report(c, err);
    } else {
        const sg_cel_type_t *kept = keep(env, t, 0);
        if (kept == NULL)
            rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        else
            out->type = kept;
    }
    free(c);
    sg_arena_dispose(&scratch);
    return rc;
}
