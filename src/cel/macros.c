/* Macro expansion: has(), the comprehension macros (all, exists, exists_one, map, filter and the two-variable forms
 * all, exists, existsOne, transformList, transformMap, transformMapEntry) and cel.bind, rewritten at parse time into
 * select-tests and comprehension nodes as the CEL specification describes. */
#include "internal.h"

typedef enum { M_ALL, M_EXISTS, M_EXISTS_ONE, M_MAP, M_FILTER, M_TLIST, M_TMAP, M_TMAPENTRY } kind_t;

static sg_cel_node_t *accu(sg_arena_t *a, uint32_t pos)
{
    return sg_cel__ident(a, SG_CEL_ACCU_NAME, pos);
}

static const char *simple_name(const sg_cel_node_t *n)
{
    if (n == NULL || n->kind != N_IDENT || (n->flags & NF_ROOT))
        return NULL;
    return n->u.ident.name;
}

static sg_cel_node_t *empty_list(sg_arena_t *a, uint32_t pos)
{
    sg_cel_node_t *n = sg_cel__node(a, N_LIST, pos);
    if (n != NULL) {
        n->u.list.items = NULL;
        n->u.list.n = 0;
    }
    return n;
}

static sg_cel_node_t *empty_map(sg_arena_t *a, uint32_t pos)
{
    sg_cel_node_t *n = sg_cel__node(a, N_MAP, pos);
    if (n != NULL)
        n->u.map.n = 0;
    return n;
}

static sg_cel_node_t *int_lit(sg_arena_t *a, int64_t v, uint32_t pos)
{
    sg_cel_node_t *n = sg_cel__node(a, N_LIT, pos);
    if (n != NULL)
        n->u.lit = sg_cel__int(v);
    return n;
}

static sg_cel_node_t *compr(sg_arena_t *a, uint32_t pos, sg_cel_node_t *range, const char *iter, const char *iter2,
                            const char *accu_name, sg_cel_node_t *init, sg_cel_node_t *cond, sg_cel_node_t *step,
                            sg_cel_node_t *result)
{
    sg_cel_node_t *n = sg_cel__node(a, N_COMPR, pos);
    if (n == NULL || init == NULL || cond == NULL || step == NULL || result == NULL)
        return NULL;
    n->u.compr.range = range;
    n->u.compr.iter_name = iter;
    n->u.compr.iter2_name = iter2;
    n->u.compr.accu_name = accu_name;
    n->u.compr.init = init;
    n->u.compr.cond = cond;
    n->u.compr.step = step;
    n->u.compr.result = result;
    n->u.compr.iter = n->u.compr.iter2 = n->u.compr.accu = -1;
    return n;
}

static int expand(sg_cel_node_t **out, const char **errmsg, uint32_t *errpos, sg_arena_t *a, kind_t k,
                  sg_cel_node_t *target, sg_cel_node_t **args, uint32_t nargs, int two_vars, uint32_t pos)
{
    const char *v1 = simple_name(args[0]);
    const char *v2 = two_vars ? simple_name(args[1]) : NULL;
    if (v1 == NULL || (two_vars && v2 == NULL)) {
        *errmsg = "argument must be a simple name";
        *errpos = (v1 == NULL ? args[0] : args[1])->pos;
        return 1;
    }
    if (strcmp(v1, SG_CEL_ACCU_NAME) == 0 || (v2 != NULL && strcmp(v2, SG_CEL_ACCU_NAME) == 0) ||
        (v2 != NULL && strcmp(v1, v2) == 0)) {
        *errmsg = two_vars && v2 != NULL && strcmp(v1, v2) == 0 ? "duplicate variable name"
                                                                : "iteration variable overwrites accumulator variable";
        *errpos = args[0]->pos;
        return 1;
    }
    int nv = two_vars ? 2 : 1;
    sg_cel_node_t *pred = NULL, *fn = NULL;
    if ((uint32_t)nv + 2 == nargs) {
        pred = args[nv];
        fn = args[nv + 1];
    } else if (k == M_MAP || k == M_TLIST || k == M_TMAP || k == M_TMAPENTRY) {
        fn = args[nv];
    } else {
        pred = args[nv];
    }
    sg_cel_node_t *init, *cond, *step, *result;
    switch (k) {
    case M_ALL:
        init = sg_cel__lit_bool(a, 1, pos);
        cond = sg_cel__call(a, OP_NOT_STRICTLY_FALSE, "@not_strictly_false", pos, 1, accu(a, pos));
        step = sg_cel__call(a, OP_AND, "_&&_", pos, 2, accu(a, pos), pred);
        result = accu(a, pos);
        break;
    case M_EXISTS:
        init = sg_cel__lit_bool(a, 0, pos);
        cond = sg_cel__call(a, OP_NOT_STRICTLY_FALSE, "@not_strictly_false", pos, 1,
                            sg_cel__call(a, OP_NOT, "!_", pos, 1, accu(a, pos)));
        step = sg_cel__call(a, OP_OR, "_||_", pos, 2, accu(a, pos), pred);
        result = accu(a, pos);
        break;
    case M_EXISTS_ONE:
        init = int_lit(a, 0, pos);
        cond = sg_cel__lit_bool(a, 1, pos);
        step = sg_cel__call(a, OP_COUNT_IF, "@count_if", pos, 2, accu(a, pos), pred);
        result = sg_cel__call(a, OP_EQ, "_==_", pos, 2, accu(a, pos), int_lit(a, 1, pos));
        break;
    case M_MAP:
    case M_TLIST:
        init = empty_list(a, pos);
        cond = sg_cel__lit_bool(a, 1, pos);
        step = sg_cel__call(a, OP_APPEND, "@append", pos, 2, accu(a, pos), fn);
        if (pred != NULL)
            step = sg_cel__call(a, OP_COND, "_?_:_", pos, 3, pred, step, accu(a, pos));
        result = accu(a, pos);
        break;
    case M_FILTER:
        init = empty_list(a, pos);
        cond = sg_cel__lit_bool(a, 1, pos);
        step = sg_cel__call(a, OP_COND, "_?_:_", pos, 3, pred,
                            sg_cel__call(a, OP_APPEND, "@append", pos, 2, accu(a, pos), sg_cel__ident(a, v1, pos)),
                            accu(a, pos));
        result = accu(a, pos);
        break;
    case M_TMAP:
    case M_TMAPENTRY:
        init = empty_map(a, pos);
        cond = sg_cel__lit_bool(a, 1, pos);
        if (k == M_TMAP)
            step = sg_cel__call(a, OP_MAP_INSERT, "@map_insert", pos, 3, accu(a, pos), sg_cel__ident(a, v1, pos), fn);
        else
            step = sg_cel__call(a, OP_MAP_MERGE, "@map_merge", pos, 2, accu(a, pos), fn);
        if (pred != NULL)
            step = sg_cel__call(a, OP_COND, "_?_:_", pos, 3, pred, step, accu(a, pos));
        result = accu(a, pos);
        break;
    default:
        return 0;
    }
    *out = compr(a, pos, target, v1, v2, SG_CEL_ACCU_NAME, init, cond, step, result);
    if (*out == NULL) {
        *errmsg = "out of memory";
    } else if (k == M_ALL || k == M_EXISTS) {
        /* the expansion stays for its meaning; the evaluator runs the predicate directly */
        (*out)->u.compr.pred = pred;
        (*out)->u.compr.quantifier = k == M_ALL ? 1 : 2;
    }
    return 1;
}

int sg_cel__expand_macro(sg_cel_node_t **out, const char **errmsg, uint32_t *errpos, sg_arena_t *a, const char *name,
                         sg_cel_node_t *target, sg_cel_node_t **args, uint32_t nargs, uint32_t pos)
{
    *errmsg = NULL;
    if (target == NULL) {
        if (strcmp(name, "has") == 0 && nargs == 1) {
            sg_cel_node_t *s = args[0];
            if (s->kind != N_SELECT || (s->flags & (NF_TEST | NF_OPTIONAL))) {
                *errmsg = "invalid argument to has() macro";
                *errpos = s->pos;
                return 1;
            }
            sg_cel_node_t *n = sg_cel__node(a, N_SELECT, s->pos);
            if (n == NULL) {
                *errmsg = "out of memory";
                return 1;
            }
            *n = *s;
            n->flags |= NF_TEST;
            *out = n;
            return 1;
        }
        return 0;
    }
    /* cel.bind(var, init, expr) */
    if (strcmp(name, "bind") == 0 && nargs == 3 && target->kind == N_IDENT && !(target->flags & NF_ROOT) &&
        strcmp(target->u.ident.name, "cel") == 0) {
        const char *v = simple_name(args[0]);
        if (v == NULL) {
            *errmsg = "cel.bind() variable name must be a simple identifier";
            *errpos = args[0]->pos;
            return 1;
        }
        *out =
            compr(a, pos, NULL, NULL, NULL, v, args[1], sg_cel__lit_bool(a, 0, pos), sg_cel__ident(a, v, pos), args[2]);
        if (*out == NULL)
            *errmsg = "out of memory";
        return 1;
    }
    static const struct {
        const char *name;
        kind_t kind;
        uint32_t nargs;
        int two;
    } table[] = {
        {"all", M_ALL, 2, 0},
        {"all", M_ALL, 3, 1},
        {"exists", M_EXISTS, 2, 0},
        {"exists", M_EXISTS, 3, 1},
        {"exists_one", M_EXISTS_ONE, 2, 0},
        {"existsOne", M_EXISTS_ONE, 2, 0},
        {"existsOne", M_EXISTS_ONE, 3, 1},
        {"exists_one", M_EXISTS_ONE, 3, 1},
        {"map", M_MAP, 2, 0},
        {"map", M_MAP, 3, 0},
        {"filter", M_FILTER, 2, 0},
        {"transformList", M_TLIST, 3, 1},
        {"transformList", M_TLIST, 4, 1},
        {"transformMap", M_TMAP, 3, 1},
        {"transformMap", M_TMAP, 4, 1},
        {"transformMapEntry", M_TMAPENTRY, 3, 1},
        {"transformMapEntry", M_TMAPENTRY, 4, 1},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].nargs == nargs && strcmp(table[i].name, name) == 0)
            return expand(out, errmsg, errpos, a, table[i].kind, target, args, nargs, table[i].two, pos);
    return 0;
}
