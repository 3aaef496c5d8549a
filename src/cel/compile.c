/* Compilation: parse, then one pass that resolves identifiers to comprehension slots or free-variable indexes,
 * binds calls to library functions (namespaced names such as optional.of and sets.contains included) and
 * precompiles constant regular expressions. The resulting program is never written again. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "std.h"

#define MAX_SCOPE 1024

typedef struct st_resolver_t {
    sg_cel_program_t *p;
    const char *names[MAX_SCOPE];
    int n;
    uint32_t cap_globals;
    sg_error_t *err;
    int code;
} resolver_t;

static int fail(resolver_t *r, uint32_t pos, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(resolver_t *r, uint32_t pos, int code, const char *fmt, ...)
{
    char buf[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    r->code = code;
    return sg_cel__error_at(r->err, code, r->p->source, r->p->source_len, pos, buf);
}

static int global_index(resolver_t *r, const char *name)
{
    sg_cel_program_t *p = r->p;
    for (uint32_t i = 0; i < p->nglobals; i++)
        if (strcmp(p->globals[i], name) == 0)
            return (int)i;
    if (p->nglobals == r->cap_globals) {
        uint32_t nc = r->cap_globals ? r->cap_globals * 2 : 8;
        const char **ng = sg_arena_alloc(&p->arena, nc * sizeof(*ng));
        uint8_t *nd = sg_arena_alloc(&p->arena, nc);
        if (ng == NULL || nd == NULL)
            return -1;
        if (p->nglobals) {
            memcpy(ng, p->globals, p->nglobals * sizeof(*ng));
            memcpy(nd, p->global_dotted, p->nglobals);
        }
        p->globals = ng;
        p->global_dotted = nd;
        r->cap_globals = nc;
    }
    p->globals[p->nglobals] = name;
    p->global_dotted[p->nglobals] = strchr(name, '.') != NULL;
    return (int)p->nglobals++;
}

static int local_slot(resolver_t *r, const char *name)
{
    for (int i = r->n - 1; i >= 0; i--)
        if (r->names[i] != NULL && strcmp(r->names[i], name) == 0)
            return i;
    return -1;
}

static int push(resolver_t *r, const char *name, uint32_t pos)
{
    if (r->n >= MAX_SCOPE)
        return fail(r, pos, SG_ELIMIT, "too many nested comprehension variables");
    r->names[r->n] = name;
    int slot = r->n++;
    if ((uint32_t)r->n > r->p->nlocals)
        r->p->nlocals = (uint32_t)r->n;
    return slot;
}

/* "a.b.c" for a chain of selects over a free identifier; NULL otherwise. */
static char *qualified(resolver_t *r, const sg_cel_node_t *n)
{
    if (n->kind == N_IDENT) {
        if (!(n->flags & NF_ROOT) && local_slot(r, n->u.ident.name) >= 0)
            return NULL;
        return sg_arena_strndup(&r->p->arena, n->u.ident.name, n->u.ident.len);
    }
    if (n->kind == N_SELECT && !(n->flags & (NF_TEST | NF_OPTIONAL))) {
        char *base = qualified(r, n->u.sel.operand);
        return base == NULL ? NULL : sg_arena_printf(&r->p->arena, "%s.%s", base, n->u.sel.field);
    }
    return NULL;
}

static int resolve(resolver_t *r, sg_cel_node_t *n);

static int resolve_call(resolver_t *r, sg_cel_node_t *n)
{
    if (n->op != OP_FN) {
        for (uint32_t i = 0; i < n->u.call.nargs; i++)
            if (resolve(r, n->u.call.args[i]) < 0)
                return r->code;
        return SG_OK;
    }
    /* namespaced function: `ns.fn(args)` parses as a receiver call on the identifier `ns` */
    if (n->receiver && n->u.call.nargs >= 1) {
        char *q = qualified(r, n->u.call.args[0]);
        if (q != NULL) {
            char *full = sg_arena_printf(&r->p->arena, "%s.%s", q, n->u.call.name);
            if (full != NULL && sg_cel__lookup_func(full, 0) != NULL) {
                n->receiver = 0;
                n->u.call.name = full;
                n->u.call.args++;
                n->u.call.nargs--;
            }
        }
    }
    for (uint32_t i = 0; i < n->u.call.nargs; i++)
        if (resolve(r, n->u.call.args[i]) < 0)
            return r->code;
    if (n->u.call.nargs > 8)
        return fail(r, n->pos, SG_EINVALID, "too many arguments in call to '%s'", n->u.call.name);
    if (n->receiver && n->u.call.nargs == 2 && strcmp(n->u.call.name, "or") == 0) {
        n->op = OP_OPT_OR;
        return SG_OK;
    }
    if (n->receiver && n->u.call.nargs == 2 && strcmp(n->u.call.name, "orValue") == 0) {
        n->op = OP_OPT_OR_VALUE;
        return SG_OK;
    }
    const sg_cel_func_t *f = sg_cel__lookup_func(n->u.call.name, n->receiver);
    /* unknown functions are errors when called, as in the specification's unchecked evaluation */
    n->u.call.fn = f;
    if (f == NULL)
        return SG_OK;
    /* calls the evaluator runs inline for their usual argument types */
    if (f->impl == sg_cel__fn_size && n->u.call.nargs == 1)
        n->op = OP_SIZE;
    else if (f->impl == sg_cel__fn_starts_with && n->u.call.nargs == 2)
        n->op = OP_STARTS_WITH;
    else if (f->impl == sg_cel__fn_ends_with && n->u.call.nargs == 2)
        n->op = OP_ENDS_WITH;
    else if (f->impl == sg_cel__fn_contains && n->u.call.nargs == 2)
        n->op = OP_CONTAINS;
    if (strcmp(f->name, "matches") == 0 && n->u.call.nargs == 2 && n->u.call.args[1]->kind == N_LIT &&
        n->u.call.args[1]->u.lit.kind == SG_CEL_STRING) {
        const sg_cel_value_t *pat = &n->u.call.args[1]->u.lit;
        const char *msg = NULL;
        void *re = sg_cel__regex_compile(pat->u.s, pat->len, &msg, &r->p->arena);
        if (re == NULL)
            return fail(r, n->u.call.args[1]->pos, SG_EINVALID, "invalid regular expression: %s",
                        msg != NULL ? msg : "?");
        sg_cel_program_t *p = r->p;
        void **nr = sg_arena_alloc(&p->arena, (p->nregexes + 1) * sizeof(*nr));
        if (nr == NULL) {
            sg_cel__regex_free(re);
            return fail(r, n->pos, SG_ENOMEM, "out of memory");
        }
        if (p->nregexes)
            memcpy(nr, p->regexes, p->nregexes * sizeof(*nr));
        nr[p->nregexes++] = re;
        p->regexes = nr;
        n->u.call.aux = re;
    }
    return SG_OK;
}

/* A non-empty list literal of constants becomes a constant (empty ones are comprehension accumulators, which grow in
 * place, so they must stay fresh per evaluation). */
static int fold_list(resolver_t *r, sg_cel_node_t *n)
{
    uint32_t cnt = n->u.list.n;
    if (cnt == 0)
        return SG_OK;
    for (uint32_t i = 0; i < cnt; i++)
        if (n->u.list.items[i]->kind != N_LIT || (n->u.list.optional != NULL && n->u.list.optional[i]) ||
            n->u.list.items[i]->u.lit.kind == SG_CEL_ERROR)
            return SG_OK;
    sg_cel_value_t *items = sg_arena_alloc(&r->p->arena, cnt * sizeof(*items));
    if (items == NULL)
        return fail(r, n->pos, SG_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < cnt; i++)
        items[i] = n->u.list.items[i]->u.lit;
    sg_cel_value_t v = sg_cel_list(&r->p->arena, items, cnt);
    if (v.kind == SG_CEL_ERROR)
        return fail(r, n->pos, SG_ENOMEM, "out of memory");
    n->kind = N_LIT;
    n->u.lit = v;
    return SG_OK;
}

/* Turns a resolved chain of plain selections over an identifier (x.a, x.a.b, has(x.a.b)) into one N_PATH node. */
static int make_path(resolver_t *r, sg_cel_node_t *n)
{
    uint32_t cnt = 0, inner = 0;
    const sg_cel_node_t *k = n;
    while (k->kind == N_SELECT && !(k->flags & NF_OPTIONAL) && (k == n || !(k->flags & NF_TEST))) {
        cnt++;
        k = k->u.sel.operand;
    }
    /* operands are resolved first, so an inner chain may already be a path: extend it */
    if (k->kind == N_PATH)
        inner = k->u.path.n;
    else if (cnt < 1 || k->kind != N_IDENT)
        return SG_OK;
    sg_cel_node_t **sels = sg_arena_alloc(&r->p->arena, (cnt + inner) * sizeof(*sels));
    sg_cel_node_t *copy = sg_arena_alloc(&r->p->arena, sizeof(*copy));
    if (sels == NULL || copy == NULL)
        return fail(r, n->pos, SG_ENOMEM, "out of memory");
    memcpy(copy, n, sizeof(*copy));
    int qualified = 0;
    sg_cel_node_t *s = copy;
    for (uint32_t i = cnt; i-- > 0;) {
        sels[inner + i] = s;
        qualified |= s->u.sel.qual >= 0;
        s = s->u.sel.operand;
    }
    if (inner) {
        memcpy(sels, s->u.path.sels, inner * sizeof(*sels));
        qualified |= s->u.path.qualified;
        s = s->u.path.root;
    }
    n->kind = N_PATH;
    n->u.path.root = s;
    n->u.path.sels = sels;
    n->u.path.n = cnt + inner;
    n->u.path.qualified = qualified;
    n->u.path.memo = -1;
    n->u.path.memo2 = -1;
    n->u.path.gslot = (s->kind == N_IDENT && !(s->flags & NF_LOCAL)) ? s->u.ident.slot : -1;
    return SG_OK;
}

/* ---- shared path prefixes ---- */

typedef struct st_paths_t {
    sg_cel_node_t *items[256];
    uint32_t n;
} paths_t;

static void collect_paths(sg_cel_node_t *n, paths_t *ps, int depth)
{
    if (n == NULL || depth > 10000)
        return;
    switch (n->kind) {
    case N_PATH:
        /* single selections take no part, so that their cost stays that of a plain selection */
        if (n->u.path.root->kind == N_IDENT && !(n->u.path.root->flags & NF_LOCAL) && n->u.path.n >= 2 && ps->n < 256)
            ps->items[ps->n++] = n;
        return;
    case N_SELECT:
        collect_paths(n->u.sel.operand, ps, depth + 1);
        return;
    case N_CALL:
        for (uint32_t i = 0; i < n->u.call.nargs; i++)
            collect_paths(n->u.call.args[i], ps, depth + 1);
        return;
    case N_LIST:
        for (uint32_t i = 0; i < n->u.list.n; i++)
            collect_paths(n->u.list.items[i], ps, depth + 1);
        return;
    case N_MAP:
    case N_STRUCT:
        for (uint32_t i = 0; i < n->u.map.n; i++) {
            collect_paths(n->u.map.keys[i], ps, depth + 1);
            collect_paths(n->u.map.values[i], ps, depth + 1);
        }
        return;
    case N_COMPR:
        collect_paths(n->u.compr.range, ps, depth + 1);
        collect_paths(n->u.compr.init, ps, depth + 1);
        collect_paths(n->u.compr.cond, ps, depth + 1);
        collect_paths(n->u.compr.step, ps, depth + 1);
        collect_paths(n->u.compr.result, ps, depth + 1);
        return;
    default:
        return;
    }
}

/* Selections two paths share from their common root (value steps only: a has() test is not a value). */
static uint32_t common_prefix(const sg_cel_node_t *a, const sg_cel_node_t *b)
{
    if (a->u.path.root->u.ident.slot != b->u.path.root->u.ident.slot)
        return 0;
    uint32_t k = 0;
    while (k < a->u.path.n && k < b->u.path.n) {
        const sg_cel_node_t *x = a->u.path.sels[k], *y = b->u.path.sels[k];
        if ((x->flags | y->flags) & NF_TEST || x->u.sel.flen != y->u.sel.flen ||
            memcmp(x->u.sel.field, y->u.sel.field, x->u.sel.flen) != 0)
            break;
        k++;
    }
    return k;
}

/* Rules often reach into the same object several times (object.spec.x.a, object.spec.x.b): the longest prefix a
 * path shares with another is computed once per evaluation and reused. */
static void share_prefixes(sg_cel_program_t *p)
{
    paths_t *ps = calloc(1, sizeof(*ps));
    if (ps == NULL)
        return;
    collect_paths(p->root, ps, 0);
    struct {
        const sg_cel_node_t *path;
        uint32_t len;
    } memos[SG_CEL_MAX_MEMOS];
    uint32_t nm = 0;
    for (uint32_t i = 0; i < ps->n; i++) {
        uint32_t best = 0;
        for (uint32_t j = 0; j < ps->n; j++) {
            if (i == j)
                continue;
            uint32_t c = common_prefix(ps->items[i], ps->items[j]);
            if (c > best)
                best = c;
        }
        if (best == 0)
            continue;
        int id = -1;
        for (uint32_t m = 0; m < nm && id < 0; m++)
            if (memos[m].len == best && common_prefix(memos[m].path, ps->items[i]) >= best)
                id = (int)m;
        if (id < 0 && nm < SG_CEL_MAX_MEMOS) {
            memos[nm].path = ps->items[i];
            memos[nm].len = best;
            id = (int)nm++;
        }
        if (id >= 0) {
            ps->items[i]->u.path.memo = id;
            ps->items[i]->u.path.memo_len = best;
        }
    }
    /* a path also records (and may start from) the longest shorter shared prefix on its way: a.b.c.x and a.b.c.y
     * share a.b.c, a.b.z shares only a.b with them, and whichever runs first records a.b for the rest. (Costs stay
     * those of the primary prefix alone: see memo_seen.) */
    for (uint32_t i = 0; i < ps->n; i++) {
        sg_cel_node_t *pi = ps->items[i];
        if (pi->u.path.memo < 0)
            continue;
        for (uint32_t m = 0; m < nm; m++) {
            uint32_t len = memos[m].len;
            if (len >= 2 && len < pi->u.path.memo_len && (pi->u.path.memo2 < 0 || len > pi->u.path.memo2_len) &&
                common_prefix(memos[m].path, pi) >= len) {
                pi->u.path.memo2 = (int32_t)m;
                pi->u.path.memo2_len = len;
            }
        }
    }
    p->nmemos = nm;
    free(ps);
}

static int resolve(resolver_t *r, sg_cel_node_t *n)
{
    switch (n->kind) {
    case N_LIT:
        return SG_OK;
    case N_IDENT: {
        int slot = (n->flags & NF_ROOT) ? -1 : local_slot(r, n->u.ident.name);
        if (slot >= 0) {
            n->flags |= NF_LOCAL;
            n->u.ident.slot = slot;
            return SG_OK;
        }
        int g = global_index(r, n->u.ident.name);
        if (g < 0)
            return fail(r, n->pos, SG_ENOMEM, "out of memory");
        n->u.ident.slot = g;
        return SG_OK;
    }
    case N_SELECT: {
        char *q = qualified(r, n);
        if (q != NULL) {
            int g = global_index(r, q);
            if (g < 0)
                return fail(r, n->pos, SG_ENOMEM, "out of memory");
            n->u.sel.qual = g;
        }
        if (resolve(r, n->u.sel.operand) < 0)
            return r->code;
        return make_path(r, n);
    }
    case N_CALL:
        return resolve_call(r, n);
    case N_LIST:
        for (uint32_t i = 0; i < n->u.list.n; i++)
            if (resolve(r, n->u.list.items[i]) < 0)
                return r->code;
        return fold_list(r, n);
    case N_MAP:
    case N_STRUCT:
        for (uint32_t i = 0; i < n->u.map.n; i++)
            if (resolve(r, n->u.map.keys[i]) < 0 || resolve(r, n->u.map.values[i]) < 0)
                return r->code;
        return SG_OK;
    case N_COMPR: {
        if (n->u.compr.range == NULL) {
            if (resolve(r, n->u.compr.init) < 0)
                return r->code;
            int s = push(r, n->u.compr.accu_name, n->pos);
            if (s < 0)
                return s;
            n->u.compr.accu = s;
            if (resolve(r, n->u.compr.result) < 0)
                return r->code;
            r->n--;
            return SG_OK;
        }
        if (resolve(r, n->u.compr.range) < 0 || resolve(r, n->u.compr.init) < 0)
            return r->code;
        int base = r->n;
        int a = push(r, n->u.compr.accu_name, n->pos);
        if (a < 0)
            return a;
        n->u.compr.accu = a;
        int i1 = push(r, n->u.compr.iter_name, n->pos);
        if (i1 < 0)
            return i1;
        n->u.compr.iter = i1;
        if (n->u.compr.iter2_name != NULL) {
            int i2 = push(r, n->u.compr.iter2_name, n->pos);
            if (i2 < 0)
                return i2;
            n->u.compr.iter2 = i2;
        }
        if (resolve(r, n->u.compr.cond) < 0 || resolve(r, n->u.compr.step) < 0)
            return r->code;
        /* the predicate is shared with the step, so it is resolved already */
        /* the result sees the accumulator only */
        r->n = base + 1;
        if (resolve(r, n->u.compr.result) < 0)
            return r->code;
        r->n = base;
        return SG_OK;
    }
    default:
        return SG_OK;
    }
}

int sg_cel_compile(sg_cel_program_t **out, const char *src, size_t len, const sg_cel_options_t *opts, sg_error_t *err)
{
    sg_cel_options_t defaults = SG_CEL_OPTIONS_INIT;
    if (opts == NULL)
        opts = &defaults;
    size_t max_bytes = opts->max_expr_bytes ? opts->max_expr_bytes : 100000;
    *out = NULL;
    if (len > max_bytes)
        return sg_error_set(err, SG_ELIMIT, "expression is %zu bytes, limit is %zu", len, max_bytes);
    if (!sg_cel__utf8_valid(src, len))
        return sg_error_set(err, SG_EINVALID, "expression is not valid UTF-8");
    sg_cel_program_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    sg_arena_init(&p->arena, 8192);
    p->cost_limit = opts->cost_limit ? opts->cost_limit : SG_CEL_DEFAULT_COST_LIMIT;
    p->source = sg_arena_strndup(&p->arena, src, len);
    p->source_len = len;
    if (p->source == NULL) {
        sg_cel_program_free(p);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    p->match_ctx = sg_cel__regex_match_context();
    if (p->match_ctx == NULL) {
        sg_cel_program_free(p);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    sg_cel_parse_opts_t po = {opts->max_depth ? opts->max_depth : SG_CEL_DEFAULT_MAX_DEPTH, opts->disable_macros};
    int rc = sg_cel__parse(&p->root, &p->arena, p->source, len, &po, err);
    if (rc < 0) {
        sg_cel_program_free(p);
        return rc;
    }
    resolver_t *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        sg_cel_program_free(p);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    r->p = p;
    r->err = err;
    rc = resolve(r, p->root);
    free(r);
    if (rc < 0) {
        sg_cel_program_free(p);
        return rc;
    }
    share_prefixes(p);
    sg_cel__specialise(p->root, 0);
    p->global_name_cache = sg_arena_calloc(&p->arena, p->nglobals ? p->nglobals : 1, sizeof(*p->global_name_cache));
    p->global_index_cache = sg_arena_calloc(&p->arena, p->nglobals ? p->nglobals : 1, sizeof(*p->global_index_cache));
    if (p->global_name_cache == NULL || p->global_index_cache == NULL) {
        sg_cel_program_free(p);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    *out = p;
    return SG_OK;
}

void sg_cel_program_free(sg_cel_program_t *p)
{
    if (p == NULL)
        return;
    for (uint32_t i = 0; i < p->nregexes; i++)
        sg_cel__regex_free(p->regexes[i]);
    sg_cel__regex_free_match_context(p->match_ctx);
    sg_arena_dispose(&p->arena);
    free(p);
}

const char *sg_cel_program_source(const sg_cel_program_t *p)
{
    return p->source;
}
