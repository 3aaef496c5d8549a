/* The tree-walking evaluator: values are 24-byte structs passed by pointer, temporaries live in the per-evaluation
 * arena, variables were resolved to slots at compile time. && and || absorb errors in either order, the ternary and
 * comprehensions are lazy, everything else is strict (the first error argument wins). Comprehensions check the cost
 * budget on every iteration so no expression can run away. */
#include <math.h>
#include <stdio.h>

#include "internal.h"

#define MAX_CALL_ARGS 8

static const char *const cost_msg = "operation cancelled: actual cost limit exceeded";

static int over_budget(sg_cel_ctx_t *c, sg_cel_value_t *out)
{
    if (c->cost <= c->limit)
        return 0;
    sg_cel__err_static(out, cost_msg);
    out->rep = SG_CEL_ERR_COST;
    return 1;
}

static int dotted_vars(sg_cel_ctx_t *c);

__attribute__((noinline)) static const sg_cel_value_t *resolve_global(sg_cel_ctx_t *c, int32_t g)
{
    if (g < 64 && (c->resolved >> g) & 1)
        return c->globals[g];
    const sg_cel_program_t *p = c->p;
    const sg_cel_value_t *v = NULL;
    const char *name = p->globals[g];
    if (p->global_dotted[g] && !dotted_vars(c)) {
        /* dotted candidates ("a.b" for a.b) can only be bound when some variable name has a dot */
    } else {
        const char *seen = atomic_load_explicit(&p->global_name_cache[g], memory_order_relaxed);
        uint32_t at = atomic_load_explicit(&p->global_index_cache[g], memory_order_relaxed);
        if (seen != NULL && at < c->nvars && c->vars[at].name == seen) {
            v = &c->vars[at].value;
        } else {
            for (size_t i = 0; i < c->nvars; i++)
                if (c->vars[i].name[0] == name[0] && strcmp(c->vars[i].name, name) == 0) {
                    v = &c->vars[i].value;
                    atomic_store_explicit(&p->global_name_cache[g], c->vars[i].name, memory_order_relaxed);
                    atomic_store_explicit(&p->global_index_cache[g], (uint32_t)i, memory_order_relaxed);
                    break;
                }
        }
    }
    if (g < 64) {
        c->globals[g] = v;
        c->resolved |= 1ull << g;
    }
    return v;
}

static const char *const type_names[] = {
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "optional_type",
};

__attribute__((noinline)) static void eval_ident(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    SG_CEL_CHARGE(c, 1);
    if (n->flags & NF_LOCAL) {
        *out = c->locals[n->u.ident.slot];
        return;
    }
    const sg_cel_value_t *g = n->u.ident.slot >= 0 ? resolve_global(c, n->u.ident.slot) : NULL;
    if (g != NULL) {
        *out = *g;
        return;
    }
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(type_names[i], n->u.ident.name) == 0) {
            *out = sg_cel__type_value(type_names[i]);
            return;
        }
    sg_cel__err(c, out, "no such attribute: '%s' is not bound", n->u.ident.name);
}

static void select_field(sg_cel_ctx_t *c, const sg_cel_node_t *n, const sg_cel_value_t *v, sg_cel_value_t *out)
{
    int test = n->flags & NF_TEST;
    if (v->kind == SG_CEL_MAP && v->rep == SG_CEL_REP_JSON) {
        _Atomic uint32_t *hint = (_Atomic uint32_t *)&n->u.sel.hint;
        uint32_t h = atomic_load_explicit(hint, memory_order_relaxed);
        int i = sg_cel__json_find(v->u.json, n->u.sel.field, n->u.sel.flen, h);
        if (i >= 0 && (uint32_t)i != h)
            atomic_store_explicit(hint, (uint32_t)i, memory_order_relaxed);
        if (test)
            *out = sg_cel_bool(i >= 0);
        else if (i >= 0)
            *out = sg_cel__from_json(v->u.json->u.object.members[i].value);
        else
            sg_cel__err(c, out, "no such key: '%s'", n->u.sel.field);
        return;
    }
    if (v->kind == SG_CEL_MAP) {
        int found = sg_cel__map_find_str(v, n->u.sel.field, n->u.sel.flen, test ? NULL : out);
        if (test)
            *out = sg_cel_bool(found);
        else if (!found)
            sg_cel__err(c, out, "no such key: '%s'", n->u.sel.field);
        return;
    }
    if (test)
        sg_cel__err(c, out, "invalid type for field selection: has() applied to %s", sg_cel__type_of(v));
    else
        sg_cel__err(c, out, "type '%s' does not support field selection ('.%s')", sg_cel__type_of(v), n->u.sel.field);
}

void sg_cel__optional(sg_cel_ctx_t *c, const sg_cel_value_t *v, sg_cel_value_t *out)
{
    sg_cel_value_t *box = v != NULL ? sg_arena_alloc(c->arena, sizeof(*box)) : NULL;
    if (v != NULL && box == NULL)
        return sg_cel__err_nomem(out);
    if (box != NULL)
        *box = *v;
    *out = sg_cel__v(SG_CEL_OPTIONAL);
    out->u.opt = box;
}

/* Applies selection node `n` to an already evaluated operand `v` (which may alias `out`). */
static inline void apply_select(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t v, sg_cel_value_t *out)
{
    if (v.kind == SG_CEL_MAP && v.rep == SG_CEL_REP_JSON && !(n->flags & (NF_TEST | NF_OPTIONAL))) {
        /* hot path: the member sits where it was last time */
        const sg_json_t *j = v.u.json;
        uint32_t h = atomic_load_explicit((_Atomic uint32_t *)&n->u.sel.hint, memory_order_relaxed);
        if (h < j->u.object.len) {
            const sg_json_member_t *m = &j->u.object.members[h];
            if (m->key_len == n->u.sel.flen && sg_cel__key_eq(m->key, n->u.sel.field, n->u.sel.flen)) {
                *out = sg_cel__from_json(m->value);
                return;
            }
        }
    }
    if (v.kind == SG_CEL_ERROR) {
        *out = v;
        return;
    }
    if (v.kind == SG_CEL_OPTIONAL) {
        /* selection on an optional chains: none stays none, a present value is selected optionally */
        if (v.u.opt == NULL) {
            *out = v;
            return;
        }
        v = *v.u.opt;
        if (v.kind == SG_CEL_MAP) {
            sg_cel_value_t f;
            if (sg_cel__map_find_str(&v, n->u.sel.field, n->u.sel.flen, &f))
                return sg_cel__optional(c, &f, out);
            return sg_cel__optional(c, NULL, out);
        }
        return select_field(c, n, &v, out);
    }
    if ((n->flags & NF_OPTIONAL) && v.kind == SG_CEL_MAP) {
        sg_cel_value_t f;
        if (sg_cel__map_find_str(&v, n->u.sel.field, n->u.sel.flen, &f))
            return sg_cel__optional(c, &f, out);
        return sg_cel__optional(c, NULL, out);
    }
    select_field(c, n, &v, out);
}

static int dotted_vars(sg_cel_ctx_t *c)
{
    if (c->dotted_vars < 0) {
        c->dotted_vars = 0;
        for (size_t i = 0; i < c->nvars; i++)
            if (strchr(c->vars[i].name, '.') != NULL)
                c->dotted_vars = 1;
    }
    return c->dotted_vars;
}

__attribute__((noinline)) static void eval_select(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    SG_CEL_CHARGE(c, 1);
    if (n->u.sel.qual >= 0 && dotted_vars(c)) {
        const sg_cel_value_t *g = resolve_global(c, n->u.sel.qual);
        if (g != NULL) {
            *out = (n->flags & NF_TEST) ? sg_cel_bool(1) : *g;
            return;
        }
    }
    sg_cel_value_t v;
    sg_cel__eval(c, n->u.sel.operand, &v);
    apply_select(c, n, v, out);
}

/* A chain of selections a.b.c.d evaluated in a loop rather than by recursion. */
static void eval_path(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    uint32_t cnt = n->u.path.n, start = 0;
    sg_cel_node_t *const *sels = n->u.path.sels;
    sg_cel_value_t v;
    int32_t memo = -1;
    SG_CEL_CHARGE(c, cnt);
    if (n->u.path.memo >= 0 && !(n->u.path.qualified && dotted_vars(c))) {
        memo = n->u.path.memo;
        if (c->memo_valid & (1u << memo)) {
            v = c->memo[memo];
            start = n->u.path.memo_len;
            memo = -1;
            goto walk;
        }
    }
    if (n->u.path.qualified && dotted_vars(c)) {
        /* the longest bound dotted name wins */
        for (uint32_t k = cnt; k-- > 0;) {
            if (sels[k]->u.sel.qual < 0)
                continue;
            const sg_cel_value_t *g = resolve_global(c, sels[k]->u.sel.qual);
            if (g == NULL)
                continue;
            if (k == cnt - 1) {
                *out = (sels[k]->flags & NF_TEST) ? sg_cel_bool(1) : *g;
                return;
            }
            v = *g;
            start = k + 1;
            goto walk;
        }
    }
    {
        const sg_cel_node_t *root = n->u.path.root;
        const sg_cel_value_t *g;
        if (root->kind == N_IDENT && !(root->flags & NF_LOCAL) && root->u.ident.slot >= 0 &&
            (g = resolve_global(c, root->u.ident.slot)) != NULL) {
            SG_CEL_CHARGE(c, 1);
            v = *g;
        } else {
            sg_cel__eval(c, root, &v);
        }
    }
walk:
    for (uint32_t i = start; i < cnt; i++) {
        if (memo >= 0 && i == n->u.path.memo_len) {
            c->memo[memo] = v;
            c->memo_valid |= 1u << memo;
        }
        apply_select(c, sels[i], v, &v);
    }
    if (memo >= 0 && cnt == n->u.path.memo_len) {
        c->memo[memo] = v;
        c->memo_valid |= 1u << memo;
    }
    *out = v;
}

/* Index of a list by an int, uint or integral double; 0 with *out an error otherwise. */
static int list_index(sg_cel_ctx_t *c, const sg_cel_value_t *l, const sg_cel_value_t *k, uint32_t *idx,
                      sg_cel_value_t *out)
{
    int64_t i;
    if (k->kind == SG_CEL_INT) {
        i = k->u.i;
    } else if (k->kind == SG_CEL_UINT) {
        i = k->u.u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)k->u.u;
    } else if (k->kind == SG_CEL_DOUBLE && k->u.d == floor(k->u.d) && fabs(k->u.d) < 9.2e18) {
        i = (int64_t)k->u.d;
    } else {
        const sg_cel_value_t args[2] = {*l, *k};
        sg_cel__err_overload(c, out, "_[_]", args, 2);
        return 0;
    }
    uint32_t n = sg_cel__list_len(l);
    if (i < 0 || (uint64_t)i >= n) {
        sg_cel__err(c, out, "index out of bounds: %lld", (long long)i);
        return -1;
    }
    *idx = (uint32_t)i;
    return 1;
}

__attribute__((noinline)) static void do_index(sg_cel_ctx_t *c, const sg_cel_value_t *t, const sg_cel_value_t *k,
                                               int optional, sg_cel_value_t *out)
{
    if (t->kind == SG_CEL_OPTIONAL) {
        if (t->u.opt == NULL) {
            *out = *t;
            return;
        }
        return do_index(c, t->u.opt, k, 1, out);
    }
    if (t->kind == SG_CEL_LIST) {
        uint32_t i;
        int r = list_index(c, t, k, &i, out);
        if (r == 1) {
            sg_cel_value_t v;
            sg_cel__list_get(t, i, &v);
            if (optional)
                return sg_cel__optional(c, &v, out);
            *out = v;
        } else if (r == -1 && optional) {
            sg_cel__optional(c, NULL, out);
        }
        return;
    }
    if (t->kind == SG_CEL_MAP) {
        sg_cel_value_t v;
        int r = sg_cel__map_find(c, t, k, &v);
        if (r < 0) {
            *out = v;
            return;
        }
        if (optional)
            return sg_cel__optional(c, r ? &v : NULL, out);
        if (r) {
            *out = v;
            return;
        }
        char buf[64];
        if (k->kind == SG_CEL_STRING)
            sg_cel__err(c, out, "no such key: '%.*s'", (int)(k->len > 200 ? 200 : k->len), k->u.s);
        else if (k->kind == SG_CEL_INT)
            sg_cel__err(c, out, "no such key: %lld", (long long)k->u.i);
        else if (k->kind == SG_CEL_UINT)
            sg_cel__err(c, out, "no such key: %lluu", (unsigned long long)k->u.u);
        else {
            snprintf(buf, sizeof(buf), "%s", k->kind == SG_CEL_BOOL ? (k->u.b ? "true" : "false") : "value");
            sg_cel__err(c, out, "no such key: %s", buf);
        }
        return;
    }
    const sg_cel_value_t args[2] = {*t, *k};
    sg_cel__err_overload(c, out, optional ? "_[?_]" : "_[_]", args, 2);
}

__attribute__((noinline)) static void eval_logic(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    /* AND: false wins over errors, OR: true wins; otherwise the first error. Order does not matter. */
    int is_and = n->op == OP_AND;
    sg_cel_value_t a, b;
    sg_cel__eval(c, n->u.call.args[0], &a);
    if (a.kind == SG_CEL_BOOL && a.u.b != is_and) {
        *out = a;
        return;
    }
    sg_cel__eval(c, n->u.call.args[1], &b);
    if (b.kind == SG_CEL_BOOL && b.u.b != is_and) {
        *out = b;
        return;
    }
    if (a.kind == SG_CEL_BOOL && b.kind == SG_CEL_BOOL) {
        *out = a;
        return;
    }
    if (a.kind == SG_CEL_ERROR) {
        *out = a;
        return;
    }
    if (b.kind == SG_CEL_ERROR) {
        *out = b;
        return;
    }
    const sg_cel_value_t args[2] = {a, b};
    sg_cel__err_overload(c, out, is_and ? "_&&_" : "_||_", args, 2);
}

__attribute__((noinline)) static void eval_list(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    sg_cel_list_t *l = sg_cel__list_new(c->arena, n->u.list.n);
    if (l == NULL)
        return sg_cel__err_nomem(out);
    for (uint32_t i = 0; i < n->u.list.n; i++) {
        sg_cel_value_t v;
        sg_cel__eval(c, n->u.list.items[i], &v);
        if (v.kind == SG_CEL_ERROR) {
            *out = v;
            return;
        }
        if (n->u.list.optional != NULL && n->u.list.optional[i]) {
            if (v.kind != SG_CEL_OPTIONAL) {
                sg_cel__err_overload(c, out, "optional list element", &v, 1);
                return;
            }
            if (v.u.opt == NULL)
                continue;
            v = *v.u.opt;
        }
        l->items[l->len++] = v;
    }
    *out = sg_cel__v(SG_CEL_LIST);
    out->u.list = l;
}

__attribute__((noinline)) static void eval_map(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    sg_cel_map_t *m = sg_cel__map_new(c->arena, n->u.map.n);
    if (m == NULL)
        return sg_cel__err_nomem(out);
    for (uint32_t i = 0; i < n->u.map.n; i++) {
        sg_cel_value_t k, v;
        sg_cel__eval(c, n->u.map.keys[i], &k);
        if (k.kind == SG_CEL_ERROR) {
            *out = k;
            return;
        }
        sg_cel__eval(c, n->u.map.values[i], &v);
        if (v.kind == SG_CEL_ERROR) {
            *out = v;
            return;
        }
        if (n->u.map.optional != NULL && n->u.map.optional[i]) {
            if (v.kind != SG_CEL_OPTIONAL) {
                sg_cel__err_overload(c, out, "optional map entry", &v, 1);
                return;
            }
            if (v.u.opt == NULL)
                continue;
            v = *v.u.opt;
        }
        int r = sg_cel__map_put(c->arena, m, &k, &v);
        if (r == 1)
            return sg_cel__err(c, out, "Failed with repeated key");
        if (r == -1)
            return sg_cel__err(c, out, "unsupported key type: %s", sg_cel__type_of(&k));
        if (r == -2)
            return sg_cel__err_nomem(out);
    }
    *out = sg_cel__v(SG_CEL_MAP);
    out->u.map = m;
}

__attribute__((noinline)) static void eval_compr(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    sg_cel_value_t *accu = &c->locals[n->u.compr.accu];
    if (n->u.compr.range == NULL) {
        /* cel.bind */
        sg_cel__eval(c, n->u.compr.init, accu);
        sg_cel__eval(c, n->u.compr.result, out);
        return;
    }
    sg_cel_value_t r;
    sg_cel__eval(c, n->u.compr.range, &r);
    if (r.kind == SG_CEL_ERROR) {
        *out = r;
        return;
    }
    if (r.kind != SG_CEL_LIST && r.kind != SG_CEL_MAP) {
        sg_cel__err(c, out, "expression of type '%s' cannot be the range of a comprehension", sg_cel__type_of(&r));
        return;
    }
    int is_list = r.kind == SG_CEL_LIST;
    uint32_t len = is_list ? sg_cel__list_len(&r) : sg_cel__map_len(&r);
    int32_t iter = n->u.compr.iter, iter2 = n->u.compr.iter2;
    if (n->u.compr.quantifier) {
        /* all/exists without the accumulator: the deciding value (false for all, true for exists) wins over errors,
         * otherwise the first error, otherwise the neutral value */
        int decide = n->u.compr.quantifier == 2;
        sg_cel_value_t first_err;
        first_err.kind = SG_CEL_NULL;
        for (uint32_t i = 0; i < len; i++) {
            SG_CEL_CHARGE(c, 1);
            if (over_budget(c, out))
                return;
            if (is_list) {
                if (iter2 >= 0) {
                    c->locals[iter] = sg_cel_int(i);
                    sg_cel__list_get(&r, i, &c->locals[iter2]);
                } else {
                    sg_cel__list_get(&r, i, &c->locals[iter]);
                }
            } else {
                sg_cel__map_entry(&r, i, &c->locals[iter], iter2 >= 0 ? &c->locals[iter2] : NULL);
            }
            sg_cel_value_t v;
            sg_cel__eval(c, n->u.compr.pred, &v);
            if (v.kind == SG_CEL_BOOL) {
                if (v.u.b == decide) {
                    *out = v;
                    return;
                }
            } else if (first_err.kind != SG_CEL_ERROR) {
                if (v.kind == SG_CEL_ERROR)
                    first_err = v;
                else
                    sg_cel__err_overload(c, &first_err, decide ? "_||_" : "_&&_", &v, 1);
            }
        }
        *out = first_err.kind == SG_CEL_ERROR ? first_err : sg_cel_bool(!decide);
        return;
    }
    sg_cel__eval(c, n->u.compr.init, accu);
    for (uint32_t i = 0; i < len; i++) {
        SG_CEL_CHARGE(c, 1);
        if (over_budget(c, out))
            return;
        if (is_list) {
            if (iter2 >= 0) {
                c->locals[iter] = sg_cel_int(i);
                sg_cel__list_get(&r, i, &c->locals[iter2]);
            } else {
                sg_cel__list_get(&r, i, &c->locals[iter]);
            }
        } else {
            sg_cel__map_entry(&r, i, &c->locals[iter], iter2 >= 0 ? &c->locals[iter2] : NULL);
        }
        sg_cel_value_t cond;
        sg_cel__eval(c, n->u.compr.cond, &cond);
        if (cond.kind == SG_CEL_BOOL && !cond.u.b)
            break;
        sg_cel_value_t next;
        sg_cel__eval(c, n->u.compr.step, &next);
        *accu = next;
    }
    if (over_budget(c, out))
        return;
    sg_cel__eval(c, n->u.compr.result, out);
}

/* Comprehension helpers (macro expansions only). */
__attribute__((noinline)) static void eval_accu_op(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    sg_cel_value_t acc, x;
    sg_cel__eval(c, n->u.call.args[0], &acc);
    if (acc.kind == SG_CEL_ERROR) {
        *out = acc;
        return;
    }
    sg_cel__eval(c, n->u.call.args[1], &x);
    if (x.kind == SG_CEL_ERROR) {
        *out = x;
        return;
    }
    switch (n->op) {
    case OP_COUNT_IF:
        if (x.kind != SG_CEL_BOOL)
            return sg_cel__err_overload(c, out, "exists_one", &x, 1);
        *out = sg_cel_int(acc.u.i + (x.u.b ? 1 : 0));
        return;
    case OP_APPEND:
        if (sg_cel__list_push(c->arena, (sg_cel_list_t *)acc.u.list, &x) < 0)
            return sg_cel__err_nomem(out);
        *out = acc;
        return;
    case OP_MAP_INSERT: {
        sg_cel_value_t v;
        sg_cel__eval(c, n->u.call.args[2], &v);
        if (v.kind == SG_CEL_ERROR) {
            *out = v;
            return;
        }
        int r = sg_cel__map_put(c->arena, (sg_cel_map_t *)acc.u.map, &x, &v);
        if (r == 1)
            return sg_cel__err(c, out, "Failed with repeated key");
        if (r < 0)
            return r == -1 ? sg_cel__err(c, out, "unsupported key type: %s", sg_cel__type_of(&x))
                           : sg_cel__err_nomem(out);
        *out = acc;
        return;
    }
    case OP_MAP_MERGE: {
        if (x.kind != SG_CEL_MAP)
            return sg_cel__err(c, out, "transformMapEntry: the transform must produce a map, got %s",
                               sg_cel__type_of(&x));
        uint32_t m = sg_cel__map_len(&x);
        for (uint32_t i = 0; i < m; i++) {
            sg_cel_value_t k, v;
            sg_cel__map_entry(&x, i, &k, &v);
            int r = sg_cel__map_put(c->arena, (sg_cel_map_t *)acc.u.map, &k, &v);
            if (r == 1)
                return sg_cel__err(c, out, "insert failed: key already exists");
            if (r < 0)
                return sg_cel__err_nomem(out);
        }
        *out = acc;
        return;
    }
    default:
        sg_cel__err(c, out, "internal error: bad accumulator operation");
    }
}

__attribute__((noinline)) static void eval_call(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    switch (n->op) {
    case OP_AND:
    case OP_OR:
        return eval_logic(c, n, out);
    case OP_COND: {
        sg_cel_value_t cond;
        sg_cel__eval(c, n->u.call.args[0], &cond);
        if (cond.kind == SG_CEL_BOOL)
            return sg_cel__eval(c, n->u.call.args[cond.u.b ? 1 : 2], out);
        if (cond.kind == SG_CEL_ERROR) {
            *out = cond;
            return;
        }
        return sg_cel__err_overload(c, out, "_?_:_", &cond, 1);
    }
    case OP_NOT_STRICTLY_FALSE: {
        sg_cel_value_t v;
        sg_cel__eval(c, n->u.call.args[0], &v);
        *out = sg_cel_bool(v.kind == SG_CEL_BOOL ? v.u.b : 1);
        return;
    }
    case OP_APPEND:
    case OP_MAP_INSERT:
    case OP_MAP_MERGE:
    case OP_COUNT_IF:
        return eval_accu_op(c, n, out);
    case OP_OPT_OR:
    case OP_OPT_OR_VALUE: {
        sg_cel_value_t o;
        sg_cel__eval(c, n->u.call.args[0], &o);
        if (o.kind == SG_CEL_ERROR) {
            *out = o;
            return;
        }
        if (o.kind != SG_CEL_OPTIONAL)
            return sg_cel__err_overload(c, out, n->op == OP_OPT_OR ? "or" : "orValue", &o, 1);
        if (o.u.opt != NULL) {
            *out = n->op == OP_OPT_OR ? o : *o.u.opt;
            return;
        }
        sg_cel_value_t alt;
        sg_cel__eval(c, n->u.call.args[1], &alt);
        if (n->op == OP_OPT_OR && alt.kind != SG_CEL_OPTIONAL && alt.kind != SG_CEL_ERROR)
            return sg_cel__err_overload(c, out, "or", &alt, 1);
        *out = alt;
        return;
    }
    default:
        break;
    }
    SG_CEL_CHARGE(c, 1);
    sg_cel_value_t args[MAX_CALL_ARGS];
    uint32_t na = n->u.call.nargs;
    for (uint32_t i = 0; i < na; i++) {
        const sg_cel_node_t *a = n->u.call.args[i];
        if (a->kind == N_LIT) {
            args[i] = a->u.lit;
        } else if (a->kind == N_IDENT && (a->flags & NF_LOCAL)) {
            SG_CEL_CHARGE(c, 1);
            args[i] = c->locals[a->u.ident.slot];
        } else if (a->kind == N_PATH) {
            eval_path(c, a, &args[i]);
        } else {
            sg_cel__eval(c, a, &args[i]);
        }
        if (args[i].kind == SG_CEL_ERROR) {
            *out = args[i];
            return;
        }
    }
    switch (n->op) {
    case OP_NOT:
    case OP_NEG:
        return sg_cel__unop(c, n->op, out, &args[0]);
    case OP_INDEX:
    case OP_OPT_INDEX:
        return do_index(c, &args[0], &args[1], n->op == OP_OPT_INDEX, out);
    case OP_FN: {
        const sg_cel_func_t *f = n->u.call.fn;
        if (f == NULL)
            return sg_cel__err(c, out, "no such function: '%s'", n->u.call.name);
        if (na < f->min_args || na > f->max_args)
            return sg_cel__err_overload(c, out, f->name, args, (int)na);
        f->impl(c, out, args, (int)na, n);
        return;
    }
    default:
        return sg_cel__binop(c, n->op, out, &args[0], &args[1]);
    }
}

void sg_cel__eval(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    switch (n->kind) {
    case N_LIT:
        *out = n->u.lit;
        return;
    case N_IDENT:
        return eval_ident(c, n, out);
    case N_SELECT:
        return eval_select(c, n, out);
    case N_PATH:
        return eval_path(c, n, out);
    case N_CALL:
        return eval_call(c, n, out);
    case N_LIST:
        SG_CEL_CHARGE(c, 1);
        return eval_list(c, n, out);
    case N_MAP:
        SG_CEL_CHARGE(c, 1);
        return eval_map(c, n, out);
    case N_STRUCT:
        return sg_cel__err(c, out, "unknown type '%s': message construction is not supported", n->u.map.type_name);
    case N_COMPR:
        return eval_compr(c, n, out);
    default:
        return sg_cel__err(c, out, "internal error: bad node");
    }
}

int sg_cel_eval_ex(sg_cel_value_t *out, uint64_t *cost, const sg_cel_program_t *p, const sg_cel_var_t *vars,
                   size_t nvars, uint64_t cost_limit, sg_arena_t *scratch, sg_error_t *err)
{
    sg_cel_ctx_t c;
    c.p = p;
    c.arena = scratch;
    c.cost = 0;
    c.limit = cost_limit ? cost_limit : p->cost_limit;
    c.depth = 0;
    /* Small programs keep their slots on the stack; larger ones borrow the arena. */
    sg_cel_value_t locals_buf[16];
    const sg_cel_value_t *globals_buf[64];
    c.locals = p->nlocals <= 16 ? locals_buf : sg_arena_alloc(scratch, p->nlocals * sizeof(sg_cel_value_t));
    c.globals = globals_buf; /* free variables past the 64th are looked up on every use */
    if (c.locals == NULL || c.globals == NULL) {
        sg_cel__err_nomem(out);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    c.vars = vars;
    c.nvars = nvars;
    c.dotted_vars = -1;
    c.regex_md = NULL;
    sg_cel_value_t memo_buf[SG_CEL_MAX_MEMOS];
    c.memo = memo_buf;
    c.memo_valid = 0;
    c.resolved = 0;
    sg_cel__eval(&c, p->root, out);
    if (out->kind != SG_CEL_ERROR && c.cost > c.limit) {
        sg_cel__err_static(out, cost_msg);
        out->rep = SG_CEL_ERR_COST;
    }
    if (cost != NULL)
        *cost = c.cost;
    if (out->kind == SG_CEL_ERROR) {
        int code = out->rep == SG_CEL_ERR_COST ? SG_ELIMIT : out->rep == SG_CEL_ERR_NOMEM ? SG_ENOMEM : SG_EINVALID;
        return sg_error_set(err, code, "%.*s", (int)out->len, out->u.s);
    }
    return SG_OK;
}

int sg_cel_eval(sg_cel_value_t *out, const sg_cel_program_t *p, const sg_cel_var_t *vars, size_t nvars,
                sg_arena_t *scratch, sg_error_t *err)
{
    return sg_cel_eval_ex(out, NULL, p, vars, nvars, 0, scratch, err);
}
