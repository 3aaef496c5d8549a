/* The tree-walking evaluator: each node is evaluated by the routine the compiler chose for its shape (the generic
 * one dispatches on kind), values are 16-byte structs, temporaries live in the per-evaluation arena, variables were
 * resolved to slots at compile time. && and || absorb errors in either order, the ternary and comprehensions are lazy,
 * everything else is strict (the first error argument wins). Comprehensions check the cost budget on every iteration
 * so no expression can run away. */
#include <math.h>
#include <stdio.h>

#include "internal.h"

#define MAX_CALL_ARGS 8

/* Evaluates node `n` with the routine the compiler chose for it. */
#define EV(c, n, out) ((n)->ev((c), (n), (out)))

static const char *const cost_msg = "operation cancelled: actual cost limit exceeded";

static int over_budget(sg_cel_ctx_t *c, sg_cel_value_t *out)
{
    if (c->cost <= c->limit)
        return 0;
    sg_cel__err_static(out, cost_msg);
    out->rep = SG_CEL_ERR_COST;
    return 1;
}

static inline int dotted_vars(sg_cel_ctx_t *c);

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
            *out = sg_cel__bool(i >= 0);
        else if (i >= 0)
            *out = sg_cel__from_json(v->u.json->u.object.members[i].value);
        else
            sg_cel__err(c, out, "no such key: '%s'", n->u.sel.field);
        return;
    }
    if (v->kind == SG_CEL_MAP) {
        int found = sg_cel__map_find_str(v, n->u.sel.field, n->u.sel.flen, test ? NULL : out);
        if (test)
            *out = sg_cel__bool(found);
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

__attribute__((noinline)) static int scan_dotted_vars(sg_cel_ctx_t *c)
{
    int d = 0;
    for (size_t i = 0; i < c->nvars && !d; i++) {
        const char *name = c->vars[i].name;
        sg_cel__atomic_str_t *seen = (sg_cel__atomic_str_t *)&c->p->plain_names[i & 3];
        if (atomic_load_explicit(seen, memory_order_relaxed) == name)
            continue;
        if (strchr(name, '.') != NULL)
            d = 1;
        else
            atomic_store_explicit(seen, name, memory_order_relaxed);
    }
    c->dotted_vars = d;
    return d;
}

static inline int dotted_vars(sg_cel_ctx_t *c)
{
    if (c->dotted_vars >= 0)
        return c->dotted_vars;
    /* one variable seen before: the common case, decided without a call */
    if (c->nvars == 1 &&
        atomic_load_explicit((sg_cel__atomic_str_t *)&c->p->plain_names[0], memory_order_relaxed) == c->vars[0].name)
        return c->dotted_vars = 0;
    return scan_dotted_vars(c);
}

__attribute__((noinline)) static void eval_select(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    SG_CEL_CHARGE(c, 1);
    if (n->u.sel.qual >= 0 && dotted_vars(c)) {
        const sg_cel_value_t *g = resolve_global(c, n->u.sel.qual);
        if (g != NULL) {
            *out = (n->flags & NF_TEST) ? sg_cel__bool(1) : *g;
            return;
        }
    }
    sg_cel_value_t v;
    EV(c, n->u.sel.operand, &v);
    apply_select(c, n, v, out);
}

/* The selections [i, end) the JSON walk could not take (see walk). */
__attribute__((noinline)) static sg_cel_value_t walk_rest(sg_cel_ctx_t *c, sg_cel_node_t *const *sels, uint32_t i,
                                                          uint32_t end, sg_cel_value_t v)
{
    for (; i < end; i++)
        apply_select(c, sels[i], v, &v);
    return v;
}

/* Applies selections [i, end) to v. Over JSON objects the walk goes member to member without building a value per
 * hop; anything else (a missing field, a non-object, native maps, optionals, errors) takes apply_select from there.
 * Values travel by value so that, inlined, the walk keeps them in registers. */
__attribute__((always_inline)) static inline sg_cel_value_t walk(sg_cel_ctx_t *c, sg_cel_node_t *const *sels,
                                                                 uint32_t i, uint32_t end, sg_cel_value_t v)
{
    if (i < end && v.kind == SG_CEL_MAP && v.rep == SG_CEL_REP_JSON) {
        const sg_json_t *j = v.u.json;
        for (;;) {
            const sg_cel_node_t *s = sels[i];
            const char *field = s->u.sel.field;
            uint32_t flen = s->u.sel.flen;
            const sg_json_member_t *mem = j->u.object.members;
            _Atomic uint32_t *hint = (_Atomic uint32_t *)&s->u.sel.hint;
            uint32_t h = atomic_load_explicit(hint, memory_order_relaxed);
            const sg_json_member_t *m;
            if (h < j->u.object.len && mem[h].key_len == flen && sg_cel__key_eq(mem[h].key, field, flen)) {
                m = &mem[h];
            } else {
                int k = sg_cel__json_find(j, field, flen, h);
                if (k < 0) {
                    if (s->flags & NF_TEST)
                        return sg_cel__bool(0);
                    break; /* the generic path reports the missing key */
                }
                atomic_store_explicit(hint, (uint32_t)k, memory_order_relaxed);
                m = &mem[k];
            }
            const sg_json_t *x = m->value;
            if (++i == end) /* only the last selection can be a has() test */
                return (s->flags & NF_TEST) ? sg_cel__bool(1) : sg_cel__from_json(x);
            if (x->type != SG_JSON_OBJECT)
                return walk_rest(c, sels, i, end, sg_cel__from_json(x));
            j = x;
        }
        v = sg_cel__mk(SG_CEL_MAP, SG_CEL_REP_JSON, 0, (uint64_t)(uintptr_t)j);
    }
    return i < end ? walk_rest(c, sels, i, end, v) : v;
}

/* resolve_global with its common cases inline: resolved already, or a plain name found where it was last time. With
 * a single variable its address does not depend on the cached index, which keeps that load off the path to the
 * value. */
static inline const sg_cel_value_t *global(sg_cel_ctx_t *c, int32_t g)
{
    if (g >= 64)
        return resolve_global(c, g);
    if ((c->resolved >> g) & 1)
        return c->globals[g];
    const sg_cel_program_t *p = c->p;
    if (!p->global_dotted[g]) {
        const char *seen = atomic_load_explicit(&p->global_name_cache[g], memory_order_relaxed);
        const sg_cel_value_t *v = NULL;
        if (c->nvars == 1) {
            if (seen != NULL && c->vars[0].name == seen)
                v = &c->vars[0].value;
        } else {
            uint32_t at = atomic_load_explicit(&p->global_index_cache[g], memory_order_relaxed);
            if (seen != NULL && at < c->nvars && c->vars[at].name == seen)
                v = &c->vars[at].value;
        }
        if (v != NULL) {
            c->globals[g] = v;
            c->resolved |= 1ull << g;
            return v;
        }
    }
    return resolve_global(c, g);
}

/* A chain of selections a.b.c.d evaluated in a loop rather than by recursion. */
static void eval_path(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    uint32_t cnt = n->u.path.n, start = 0;
    sg_cel_node_t *const *sels = n->u.path.sels;
    sg_cel_value_t v;
    int32_t memo = -1;
    uint32_t charge = cnt;
    int qualified = n->u.path.qualified && dotted_vars(c);
    if (n->u.path.memo >= 0 && !qualified) {
        memo = n->u.path.memo;
        int seen = (c->memo_seen >> memo) & 1;
        c->memo_seen |= 1u << memo;
        if (c->memo_valid & (1u << memo)) {
            SG_CEL_CHARGE(c, cnt + !seen);
            v = c->memo[memo];
            start = n->u.path.memo_len;
            memo = -1;
            goto walk;
        }
        if (seen)
            charge--; /* the variable was paid for with the shared prefix; its evaluation below charges it again */
    }
    SG_CEL_CHARGE(c, charge);
    if (qualified) {
        /* the longest bound dotted name wins */
        for (uint32_t k = cnt; k-- > 0;) {
            if (sels[k]->u.sel.qual < 0)
                continue;
            const sg_cel_value_t *g = resolve_global(c, sels[k]->u.sel.qual);
            if (g == NULL)
                continue;
            if (k == cnt - 1) {
                *out = (sels[k]->flags & NF_TEST) ? sg_cel__bool(1) : *g;
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
            (g = global(c, root->u.ident.slot)) != NULL) {
            SG_CEL_CHARGE(c, 1);
            v = *g;
        } else {
            EV(c, root, &v);
        }
    }
walk:
    /* one call site, so the walk is inlined: up to the shared prefix (recorded), then the rest */
    for (uint32_t stop = memo >= 0 ? n->u.path.memo_len : cnt;;) {
        v = walk(c, sels, start, stop, v);
        if (memo >= 0) {
            c->memo[memo] = v;
            c->memo_valid |= 1u << memo;
            memo = -1;
        }
        if (stop == cnt)
            break;
        start = stop;
        stop = cnt;
    }
    *out = v;
}

/* eval_path as a value, for the unusual cases of gpath. */
__attribute__((noinline)) static sg_cel_value_t gpath_slow(sg_cel_ctx_t *c, const sg_cel_node_t *n)
{
    sg_cel_value_t v;
    eval_path(c, n, &v);
    return v;
}

/* A path sharing a prefix whose value is not cached yet: starts from a shorter shared prefix when another path
 * recorded it (or from the variable, recording that prefix on the way), records its own prefix when it has two
 * selections or more (one is not worth it), then walks the rest. */
__attribute__((noinline)) static sg_cel_value_t gpath_record(sg_cel_ctx_t *c, const sg_cel_node_t *n)
{
    sg_cel_node_t *const *sels = n->u.path.sels;
    uint32_t cnt = n->u.path.n, start = 0, m = n->u.path.memo_len;
    int32_t memo = n->u.path.memo, m2 = n->u.path.memo2;
    sg_cel_value_t v;
    if (m2 >= 0 && (c->memo_valid >> m2) & 1) {
        v = c->memo[m2];
        start = n->u.path.memo2_len;
    } else {
        const sg_cel_value_t *g = global(c, n->u.path.gslot);
        if (g == NULL)
            return gpath_slow(c, n);
        v = *g;
    }
    SG_CEL_CHARGE(c, cnt + !((c->memo_seen >> memo) & 1));
    c->memo_seen |= 1u << memo;
    if (start == 0 && m2 >= 0) {
        start = n->u.path.memo2_len;
        v = walk(c, sels, 0, start, v);
        c->memo[m2] = v;
        c->memo_valid |= 1u << m2;
    }
    if (m >= 2) {
        v = walk(c, sels, start, m, v);
        c->memo[memo] = v;
        c->memo_valid |= 1u << memo;
        start = m;
    }
    return walk(c, sels, start, cnt, v);
}

/* A path from a free variable: from the cached shared prefix or the variable's value, then one walk. The first
 * evaluation of a shared prefix goes to gpath_record, anything unusual (dotted variable names in play, an unbound
 * variable) to eval_path. Costs are eval_path's. Inlined where a path is an operand. */
__attribute__((always_inline)) static inline sg_cel_value_t gpath(sg_cel_ctx_t *c, const sg_cel_node_t *n)
{
    const sg_cel_value_t *g;
    if (n->u.path.qualified && dotted_vars(c))
        return gpath_slow(c, n);
    uint32_t cnt = n->u.path.n, start = 0;
    int32_t memo = n->u.path.memo;
    sg_cel_value_t v;
    if (memo >= 0 && (c->memo_valid >> memo) & 1) {
        SG_CEL_CHARGE(c, cnt + !((c->memo_seen >> memo) & 1));
        c->memo_seen |= 1u << memo;
        v = c->memo[memo];
        start = n->u.path.memo_len;
    } else {
        if (memo >= 0 && n->u.path.memo_len >= 2)
            return gpath_record(c, n);
        if ((g = global(c, n->u.path.gslot)) == NULL)
            return gpath_slow(c, n);
        uint32_t root = 1;
        if (memo >= 0) {
            /* a one-selection shared prefix is not cached, but costs as if it were */
            root = !((c->memo_seen >> memo) & 1);
            c->memo_seen |= 1u << memo;
        }
        SG_CEL_CHARGE(c, cnt + root);
        v = *g;
    }
    return walk(c, n->u.path.sels, start, cnt, v);
}

static void ev_gpath(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    *out = gpath(c, n);
}

/* A path from a comprehension variable (e.x.y inside all/exists/map): never shared, never qualified. */
static void ev_lpath(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    uint32_t cnt = n->u.path.n;
    SG_CEL_CHARGE(c, cnt + 1);
    *out = walk(c, n->u.path.sels, 0, cnt, c->locals[n->u.path.root->u.ident.slot]);
}

/* Index of a list by an int, uint or integral double; 0 with *out an error otherwise. */
/* Binds element `i` of a comprehension's range: the value (lists, one variable), index and value (lists, two),
 * or key and value (maps; the value only with two variables). */
static inline void bind_element(sg_cel_ctx_t *c, const sg_cel_value_t *r, int is_list, uint32_t i, int32_t iter,
                                int32_t iter2)
{
    if (is_list) {
        if (iter2 >= 0) {
            c->locals[iter] = sg_cel__int(i);
            sg_cel__list_get(r, i, &c->locals[iter2]);
        } else {
            sg_cel__list_get(r, i, &c->locals[iter]);
        }
    } else {
        sg_cel__map_entry(r, i, &c->locals[iter], iter2 >= 0 ? &c->locals[iter2] : NULL);
    }
}

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
    EV(c, n->u.call.args[0], &a);
    if (a.kind == SG_CEL_BOOL && a.u.b != is_and) {
        *out = a;
        return;
    }
    EV(c, n->u.call.args[1], &b);
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
        EV(c, n->u.list.items[i], &v);
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
        EV(c, n->u.map.keys[i], &k);
        if (k.kind == SG_CEL_ERROR) {
            *out = k;
            return;
        }
        EV(c, n->u.map.values[i], &v);
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
        EV(c, n->u.compr.init, accu);
        EV(c, n->u.compr.result, out);
        return;
    }
    sg_cel_value_t r;
    EV(c, n->u.compr.range, &r);
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
        const sg_cel_node_t *pred = n->u.compr.pred;
        if (is_list && iter2 < 0 && r.rep == SG_CEL_REP_JSON) {
            /* the common shape, x.all(e, p) over a JSON array: elements straight into the slot */
            sg_json_t *const *items = r.u.json->u.array.items;
            sg_cel_value_t *slot = &c->locals[iter];
            for (uint32_t i = 0; i < len; i++) {
                SG_CEL_CHARGE(c, 1);
                if (over_budget(c, out))
                    return;
                *slot = sg_cel__from_json(items[i]);
                sg_cel_value_t v;
                EV(c, pred, &v);
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
            *out = first_err.kind == SG_CEL_ERROR ? first_err : sg_cel__bool(!decide);
            return;
        }
        for (uint32_t i = 0; i < len; i++) {
            SG_CEL_CHARGE(c, 1);
            if (over_budget(c, out))
                return;
            bind_element(c, &r, is_list, i, iter, iter2);
            sg_cel_value_t v;
            EV(c, n->u.compr.pred, &v);
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
        *out = first_err.kind == SG_CEL_ERROR ? first_err : sg_cel__bool(!decide);
        return;
    }
    EV(c, n->u.compr.init, accu);
    for (uint32_t i = 0; i < len; i++) {
        SG_CEL_CHARGE(c, 1);
        if (over_budget(c, out))
            return;
        bind_element(c, &r, is_list, i, iter, iter2);
        sg_cel_value_t cond;
        EV(c, n->u.compr.cond, &cond);
        if (cond.kind == SG_CEL_BOOL && !cond.u.b)
            break;
        sg_cel_value_t next;
        EV(c, n->u.compr.step, &next);
        *accu = next;
    }
    if (over_budget(c, out))
        return;
    EV(c, n->u.compr.result, out);
}

/* Comprehension helpers (macro expansions only). */
__attribute__((noinline)) static void eval_accu_op(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    sg_cel_value_t acc, x;
    EV(c, n->u.call.args[0], &acc);
    if (acc.kind == SG_CEL_ERROR) {
        *out = acc;
        return;
    }
    EV(c, n->u.call.args[1], &x);
    if (x.kind == SG_CEL_ERROR) {
        *out = x;
        return;
    }
    switch (n->op) {
    case OP_COUNT_IF:
        if (x.kind != SG_CEL_BOOL)
            return sg_cel__err_overload(c, out, "exists_one", &x, 1);
        *out = sg_cel__int(acc.u.i + (x.u.b ? 1 : 0));
        return;
    case OP_APPEND:
        if (sg_cel__list_push(c->arena, (sg_cel_list_t *)acc.u.list, &x) < 0)
            return sg_cel__err_nomem(out);
        *out = acc;
        return;
    case OP_MAP_INSERT: {
        sg_cel_value_t v;
        EV(c, n->u.call.args[2], &v);
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
        EV(c, n->u.call.args[0], &cond);
        if (cond.kind == SG_CEL_BOOL)
            return EV(c, n->u.call.args[cond.u.b ? 1 : 2], out);
        if (cond.kind == SG_CEL_ERROR) {
            *out = cond;
            return;
        }
        return sg_cel__err_overload(c, out, "_?_:_", &cond, 1);
    }
    case OP_NOT_STRICTLY_FALSE: {
        sg_cel_value_t v;
        EV(c, n->u.call.args[0], &v);
        *out = sg_cel__bool(v.kind == SG_CEL_BOOL ? v.u.b : 1);
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
        EV(c, n->u.call.args[0], &o);
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
        EV(c, n->u.call.args[1], &alt);
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
        } else {
            EV(c, a, &args[i]);
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
    case OP_SIZE:
    case OP_STARTS_WITH:
    case OP_ENDS_WITH:
    case OP_CONTAINS:
        return n->u.call.fn->impl(c, out, args, (int)na, n);
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

void sg_cel__eval_node(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
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

void sg_cel__eval(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    EV(c, n, out);
}

/* ---- evaluators for common node shapes (see sg_cel__specialise) ---- */

static void ev_lit(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    (void)c;
    *out = n->u.lit;
}

static void ev_local(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    SG_CEL_CHARGE(c, 1);
    *out = c->locals[n->u.ident.slot];
}

/* An operand of a strict operator: constants are copied without a call. */
static inline void operand(sg_cel_ctx_t *c, const sg_cel_node_t *a, sg_cel_value_t *v)
{
    if (a->kind == N_LIT) {
        *v = a->u.lit;
    } else if (a->ev == ev_local) {
        SG_CEL_CHARGE(c, 1);
        *v = c->locals[a->u.ident.slot];
    } else if (a->ev == ev_gpath) {
        *v = gpath(c, a);
    } else {
        EV(c, a, v);
    }
}

/* The receiver of a call, with a path from a variable walked inline (no call, the value stays in registers). */
static inline sg_cel_value_t receiver(sg_cel_ctx_t *c, const sg_cel_node_t *a)
{
    if (a->ev == ev_gpath)
        return gpath(c, a);
    sg_cel_value_t v;
    EV(c, a, &v);
    return v;
}

/* Comparisons, membership and arithmetic: both operands, fast paths for the usual types, else sg_cel__binop. */
static void ev_binary(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    SG_CEL_CHARGE(c, 1);
    sg_cel_value_t x, y;
    operand(c, n->u.call.args[0], &x);
    if (x.kind == SG_CEL_ERROR) {
        *out = x;
        return;
    }
    operand(c, n->u.call.args[1], &y);
    if (y.kind == SG_CEL_ERROR) {
        *out = y;
        return;
    }
    switch (n->op) {
    case OP_EQ:
    case OP_NE:
        if (x.kind == y.kind && (x.kind == SG_CEL_STRING || x.kind == SG_CEL_INT || x.kind == SG_CEL_BOOL)) {
            int eq = x.kind == SG_CEL_STRING ? x.len == y.len && sg_cel__key_eq(x.u.s, y.u.s, x.len) : x.u.i == y.u.i;
            *out = sg_cel__bool(eq == (n->op == OP_EQ));
            return;
        }
        break;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        if (x.kind == SG_CEL_INT && y.kind == SG_CEL_INT) {
            int64_t a = x.u.i, b = y.u.i;
            int r = n->op == OP_LT ? a < b : n->op == OP_LE ? a <= b : n->op == OP_GT ? a > b : a >= b;
            *out = sg_cel__bool(r);
            return;
        }
        break;
    case OP_IN:
        if (x.kind == SG_CEL_STRING && y.kind == SG_CEL_LIST && y.rep == SG_CEL_REP_NATIVE) {
            const sg_cel_list_t *l = y.u.list;
            if (sg_cel__spend(c, l->len, out))
                return;
            int found = 0;
            for (uint32_t i = 0; i < l->len && !found; i++) {
                const sg_cel_value_t *e = &l->items[i];
                found = e->kind == SG_CEL_STRING && e->len == x.len && sg_cel__key_eq(e->u.s, x.u.s, x.len);
            }
            *out = sg_cel__bool(found);
            return;
        }
        break;
    default:
        break;
    }
    sg_cel__binop(c, n->op, out, &x, &y);
}

/* A comparison with a constant int or string on the right (x < 64, k == 'team'). */
static void ev_cmp_lit(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    SG_CEL_CHARGE(c, 1);
    sg_cel_value_t x;
    operand(c, n->u.call.args[0], &x);
    const sg_cel_value_t *y = &n->u.call.args[1]->u.lit;
    int op = n->op;
    if (x.kind == y->kind) {
        if (x.kind == SG_CEL_INT) {
            int64_t a = x.u.i, b = y->u.i;
            int r = op == OP_EQ   ? a == b
                    : op == OP_NE ? a != b
                    : op == OP_LT ? a < b
                    : op == OP_LE ? a <= b
                    : op == OP_GT ? a > b
                                  : a >= b;
            *out = sg_cel__bool(r);
            return;
        }
        if (op == OP_EQ || op == OP_NE) {
            int eq = x.len == y->len && sg_cel__key_eq(x.u.s, y->u.s, x.len);
            *out = sg_cel__bool(eq == (op == OP_EQ));
            return;
        }
    }
    if (x.kind == SG_CEL_ERROR) {
        *out = x;
        return;
    }
    sg_cel__binop(c, op, out, &x, y);
}

static void ev_not(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    SG_CEL_CHARGE(c, 1);
    sg_cel_value_t x;
    operand(c, n->u.call.args[0], &x);
    if (x.kind == SG_CEL_BOOL)
        *out = sg_cel__bool(!x.u.b);
    else if (x.kind == SG_CEL_ERROR)
        *out = x;
    else
        sg_cel__unop(c, OP_NOT, out, &x);
}

/* size, startsWith, endsWith and contains (bound by the compiler, argument counts checked there). */
static void ev_lib(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    SG_CEL_CHARGE(c, 1);
    sg_cel_value_t args[2];
    uint32_t na = n->u.call.nargs;
    operand(c, n->u.call.args[0], &args[0]);
    if (args[0].kind == SG_CEL_ERROR) {
        *out = args[0];
        return;
    }
    if (na == 2) {
        operand(c, n->u.call.args[1], &args[1]);
        if (args[1].kind == SG_CEL_ERROR) {
            *out = args[1];
            return;
        }
    }
    const sg_cel_value_t *x = &args[0], *y = &args[1];
    switch (n->op) {
    case OP_SIZE:
        if (x->kind == SG_CEL_STRING) {
            *out = sg_cel__int((int64_t)sg_cel__utf8_len(x->u.s, x->len));
            return;
        }
        if (x->kind == SG_CEL_LIST) {
            *out = sg_cel__int(sg_cel__list_len(x));
            return;
        }
        if (x->kind == SG_CEL_MAP) {
            *out = sg_cel__int(sg_cel__map_len(x));
            return;
        }
        break;
    case OP_STARTS_WITH:
        if (x->kind == SG_CEL_STRING && y->kind == SG_CEL_STRING) {
            *out = sg_cel__bool(y->len <= x->len && sg_cel__key_eq(x->u.s, y->u.s, y->len));
            return;
        }
        break;
    case OP_ENDS_WITH:
        if (x->kind == SG_CEL_STRING && y->kind == SG_CEL_STRING) {
            *out = sg_cel__bool(y->len <= x->len && sg_cel__key_eq(x->u.s + x->len - y->len, y->u.s, y->len));
            return;
        }
        break;
    default:
        break;
    }
    n->u.call.fn->impl(c, out, args, (int)na, n);
}

/* startsWith/endsWith with a constant string: the receiver and a comparison. */
static void ev_affix_lit(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    SG_CEL_CHARGE(c, 1);
    sg_cel_value_t x = receiver(c, n->u.call.args[0]);
    const sg_cel_value_t *y = &n->u.call.args[1]->u.lit;
    if (x.kind == SG_CEL_STRING) {
        int r = 0;
        if (y->len <= x.len)
            r = sg_cel__key_eq(n->op == OP_STARTS_WITH ? x.u.s : x.u.s + (x.len - y->len), y->u.s, y->len);
        *out = sg_cel__bool(r);
        return;
    }
    if (x.kind == SG_CEL_ERROR) {
        *out = x;
        return;
    }
    const sg_cel_value_t args[2] = {x, *y};
    n->u.call.fn->impl(c, out, args, 2, n);
}

static void ev_cond(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out)
{
    sg_cel_value_t cond;
    EV(c, n->u.call.args[0], &cond);
    if (cond.kind == SG_CEL_BOOL) {
        const sg_cel_node_t *b = n->u.call.args[cond.u.b ? 1 : 2];
        EV(c, b, out);
        return;
    }
    if (cond.kind == SG_CEL_ERROR) {
        *out = cond;
        return;
    }
    sg_cel__err_overload(c, out, "_?_:_", &cond, 1);
}

static sg_cel_ev_t choose(const sg_cel_node_t *n)
{
    switch (n->kind) {
    case N_LIT:
        return ev_lit;
    case N_IDENT:
        return (n->flags & NF_LOCAL) ? ev_local : eval_ident;
    case N_SELECT:
        return eval_select;
    case N_PATH: {
        const sg_cel_node_t *r = n->u.path.root;
        if (r->kind == N_IDENT && !(r->flags & NF_LOCAL) && r->u.ident.slot >= 0 && n->u.path.gslot >= 0)
            return ev_gpath;
        if (r->kind == N_IDENT && (r->flags & NF_LOCAL) && n->u.path.memo < 0 && !n->u.path.qualified)
            return ev_lpath;
        return eval_path;
    }
    case N_COMPR:
        return eval_compr;
    case N_CALL:
        switch (n->op) {
        case OP_AND:
        case OP_OR:
            return eval_logic;
        case OP_COND:
            return n->u.call.nargs == 3 ? ev_cond : sg_cel__eval_node;
        case OP_NOT:
            return n->u.call.nargs == 1 ? ev_not : sg_cel__eval_node;
        case OP_EQ:
        case OP_NE:
        case OP_LT:
        case OP_LE:
        case OP_GT:
        case OP_GE:
            if (n->u.call.nargs == 2 && n->u.call.args[1]->kind == N_LIT &&
                (n->u.call.args[1]->u.lit.kind == SG_CEL_INT || n->u.call.args[1]->u.lit.kind == SG_CEL_STRING))
                return ev_cmp_lit;
            return n->u.call.nargs == 2 ? ev_binary : sg_cel__eval_node;
        case OP_IN:
        case OP_ADD:
        case OP_SUB:
        case OP_MUL:
        case OP_DIV:
        case OP_MOD:
            return n->u.call.nargs == 2 ? ev_binary : sg_cel__eval_node;
        case OP_STARTS_WITH:
        case OP_ENDS_WITH:
            if (n->u.call.nargs == 2 && n->u.call.fn != NULL && n->u.call.args[1]->kind == N_LIT &&
                n->u.call.args[1]->u.lit.kind == SG_CEL_STRING)
                return ev_affix_lit;
            return n->u.call.nargs == 2 && n->u.call.fn != NULL ? ev_lib : sg_cel__eval_node;
        case OP_SIZE:
        case OP_CONTAINS:
            return n->u.call.nargs <= 2 && n->u.call.fn != NULL ? ev_lib : sg_cel__eval_node;
        default:
            return sg_cel__eval_node;
        }
    default:
        return sg_cel__eval_node;
    }
}

void sg_cel__specialise(sg_cel_node_t *n, int depth)
{
    if (n == NULL || depth > 100000)
        return;
    n->ev = choose(n);
    switch (n->kind) {
    case N_SELECT:
        sg_cel__specialise(n->u.sel.operand, depth + 1);
        return;
    case N_PATH:
        sg_cel__specialise(n->u.path.root, depth + 1);
        return;
    case N_CALL:
        for (uint32_t i = 0; i < n->u.call.nargs; i++)
            sg_cel__specialise(n->u.call.args[i], depth + 1);
        return;
    case N_LIST:
        for (uint32_t i = 0; i < n->u.list.n; i++)
            sg_cel__specialise(n->u.list.items[i], depth + 1);
        return;
    case N_MAP:
    case N_STRUCT:
        for (uint32_t i = 0; i < n->u.map.n; i++) {
            sg_cel__specialise(n->u.map.keys[i], depth + 1);
            sg_cel__specialise(n->u.map.values[i], depth + 1);
        }
        return;
    case N_COMPR:
        sg_cel__specialise(n->u.compr.range, depth + 1);
        sg_cel__specialise(n->u.compr.init, depth + 1);
        sg_cel__specialise(n->u.compr.cond, depth + 1);
        sg_cel__specialise(n->u.compr.step, depth + 1);
        sg_cel__specialise(n->u.compr.result, depth + 1);
        sg_cel__specialise(n->u.compr.pred, depth + 1);
        return;
    default:
        return;
    }
}

__attribute__((always_inline)) static inline int run(sg_cel_value_t *out, uint64_t *cost, const sg_cel_program_t *p,
                                                     const sg_cel_var_t *vars, size_t nvars, uint64_t cost_limit,
                                                     sg_arena_t *scratch, sg_error_t *err)
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
    if (c.locals == NULL) {
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
    c.memo_seen = 0;
    c.resolved = 0;
    EV(&c, p->root, out);
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

int sg_cel_eval_ex(sg_cel_value_t *out, uint64_t *cost, const sg_cel_program_t *p, const sg_cel_var_t *vars,
                   size_t nvars, uint64_t cost_limit, sg_arena_t *scratch, sg_error_t *err)
{
    return run(out, cost, p, vars, nvars, cost_limit, scratch, err);
}

int sg_cel_eval(sg_cel_value_t *out, const sg_cel_program_t *p, const sg_cel_var_t *vars, size_t nvars,
                sg_arena_t *scratch, sg_error_t *err)
{
    return run(out, NULL, p, vars, nvars, 0, scratch, err);
}
