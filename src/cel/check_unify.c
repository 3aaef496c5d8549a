/* Type unification for the checker, after cel-go's checker/types.go: type variables bound in a substitution table
 * (with a trail so that a failed overload leaves no binding behind), assignability with dyn as the wildcard, the most
 * general of two types, and substitution. Objects stand in for map(string, dyn) where a map is expected. */
#include "check.h"

#define MAX_DEPTH 64

static int is_dyn_or_err(const sg_cel_type_t *t)
{
    return t->kind == SG_CEL_T_DYN || t->kind == SG_CEL_T_ERROR;
}

const sg_cel_type_t *sg_cel__find(sg_cel_checker_t *c, const sg_cel_type_t *t)
{
    if (t->kind != SG_CEL_T_PARAM || t->sig || t->id >= c->nvars)
        return NULL;
    return c->subs[t->id];
}

static int bind(sg_cel_checker_t *c, const sg_cel_type_t *var, const sg_cel_type_t *t)
{
    if (c->ntrail == c->captrail) {
        uint32_t nc = c->captrail ? c->captrail * 2 : 64;
        sg_cel_trail_t *nt = sg_arena_alloc(c->a, nc * sizeof(*nt));
        if (nt == NULL) {
            c->nomem = 1;
            return 0;
        }
        if (c->ntrail)
            memcpy(nt, c->trail, c->ntrail * sizeof(*nt));
        c->trail = nt;
        c->captrail = nc;
    }
    c->trail[c->ntrail].id = var->id;
    c->trail[c->ntrail].old = c->subs[var->id];
    c->ntrail++;
    c->subs[var->id] = t;
    return 1;
}

void sg_cel__undo(sg_cel_checker_t *c, uint32_t mark)
{
    while (c->ntrail > mark) {
        c->ntrail--;
        c->subs[c->trail[c->ntrail].id] = c->trail[c->ntrail].old;
    }
}

const sg_cel_type_t *sg_cel__fresh(sg_cel_checker_t *c)
{
    if (c->nvars >= SG_CEL_CHECK_MAX_VARS) {
        c->too_complex = 1;
        return sg_cel_type_prim(SG_CEL_T_DYN);
    }
    if (c->nvars == c->capvars) {
        uint32_t nc = c->capvars ? c->capvars * 2 : 64;
        const sg_cel_type_t **ns = sg_arena_alloc(c->a, nc * sizeof(*ns));
        if (ns == NULL) {
            c->nomem = 1;
            return sg_cel_type_prim(SG_CEL_T_DYN);
        }
        if (c->nvars)
            memcpy(ns, c->subs, c->nvars * sizeof(*ns));
        c->subs = ns;
        c->capvars = nc;
    }
    sg_cel_type_t *t = sg_arena_calloc(c->a, 1, sizeof(*t));
    if (t == NULL) {
        c->nomem = 1;
        return sg_cel_type_prim(SG_CEL_T_DYN);
    }
    t->kind = SG_CEL_T_PARAM;
    t->id = c->nvars;
    c->subs[c->nvars++] = NULL;
    return t;
}

const sg_cel_type_t *sg_cel__tmk(sg_cel_checker_t *c, sg_cel_type_kind_t kind, const sg_cel_type_t *p0,
                                 const sg_cel_type_t *p1)
{
    const sg_cel_type_t *t = sg_cel__type_new(c->a, kind, p0, p1);
    if (t == NULL) {
        c->nomem = 1;
        return sg_cel_type_prim(SG_CEL_T_DYN);
    }
    return t;
}

int sg_cel__exact(const sg_cel_type_t *a, const sg_cel_type_t *b, int depth)
{
    if (a == b)
        return 1;
    if (a == NULL || b == NULL || a->kind != b->kind || depth > MAX_DEPTH)
        return 0;
    switch (a->kind) {
    case SG_CEL_T_PARAM:
        return a->sig == b->sig && a->id == b->id;
    case SG_CEL_T_LIST:
    case SG_CEL_T_OPTIONAL:
    case SG_CEL_T_TYPE:
        return sg_cel__exact(a->p[0], b->p[0], depth + 1);
    case SG_CEL_T_MAP:
        return sg_cel__exact(a->p[0], b->p[0], depth + 1) && sg_cel__exact(a->p[1], b->p[1], depth + 1);
    case SG_CEL_T_OBJECT:
        return 0;
    default:
        return 1;
    }
}

/* 1 when type variable `v` does not occur in `t` (under the current bindings). */
static int not_referenced_in(sg_cel_checker_t *c, const sg_cel_type_t *v, const sg_cel_type_t *t, int depth)
{
    if (t == NULL || depth > MAX_DEPTH)
        return 1;
    if (sg_cel__exact(v, t, 0))
        return 0;
    switch (t->kind) {
    case SG_CEL_T_PARAM: {
        const sg_cel_type_t *s = sg_cel__find(c, t);
        return s == NULL ? 1 : not_referenced_in(c, v, s, depth + 1);
    }
    case SG_CEL_T_LIST:
    case SG_CEL_T_OPTIONAL:
    case SG_CEL_T_TYPE:
        return not_referenced_in(c, v, t->p[0], depth + 1);
    case SG_CEL_T_MAP:
        return not_referenced_in(c, v, t->p[0], depth + 1) && not_referenced_in(c, v, t->p[1], depth + 1);
    default:
        return 1;
    }
}

static int is_less_specific(const sg_cel_type_t *a, const sg_cel_type_t *b, int depth)
{
    if (a->kind == SG_CEL_T_DYN || a->kind == SG_CEL_T_PARAM)
        return 1;
    if (b->kind == SG_CEL_T_DYN || b->kind == SG_CEL_T_PARAM)
        return 0;
    if (a->kind != b->kind || depth > MAX_DEPTH)
        return 0;
    switch (a->kind) {
    case SG_CEL_T_LIST:
    case SG_CEL_T_OPTIONAL:
        return is_less_specific(a->p[0], b->p[0], depth + 1);
    case SG_CEL_T_MAP:
        return is_less_specific(a->p[0], b->p[0], depth + 1) && is_less_specific(a->p[1], b->p[1], depth + 1);
    case SG_CEL_T_TYPE:
        return 1;
    default:
        return sg_cel__exact(a, b, 0);
    }
}

const sg_cel_type_t *sg_cel__most_general(const sg_cel_type_t *a, const sg_cel_type_t *b)
{
    /* null joins a nullable type as that type ([optional.of(1), null] is a list of optionals) */
    if (a->kind == SG_CEL_T_NULL && b->kind != SG_CEL_T_PARAM)
        return b;
    if (b->kind == SG_CEL_T_NULL && a->kind != SG_CEL_T_PARAM)
        return a;
    return is_less_specific(a, b, 0) ? a : b;
}

static int internal_assignable(sg_cel_checker_t *c, const sg_cel_type_t *t1, const sg_cel_type_t *t2, int depth);

/* Whether `t1` may stand for type variable `t2`; binds it when it is free. *has: t2 had a binding. */
static int valid_substitution(sg_cel_checker_t *c, const sg_cel_type_t *t1, const sg_cel_type_t *t2, int *has,
                              int depth)
{
    *has = 0;
    if (t1->kind == t2->kind && sg_cel__exact(t1, t2, 0)) {
        *has = 1;
        return 1;
    }
    const sg_cel_type_t *sub = sg_cel__find(c, t2);
    if (sub != NULL) {
        *has = 1;
        if (t1->kind == sub->kind && sg_cel__exact(t1, sub, 0))
            return 1;
        if (internal_assignable(c, t1, sub, depth + 1)) {
            const sg_cel_type_t *nw = sg_cel__most_general(t1, sub);
            if (not_referenced_in(c, t2, nw, 0))
                bind(c, t2, nw);
            return 1;
        }
        return 0;
    }
    if (not_referenced_in(c, t2, t1, 0)) {
        bind(c, t2, t1);
        return 1;
    }
    return 0;
}

static int nullable(const sg_cel_type_t *t)
{
    switch (t->kind) {
    case SG_CEL_T_NULL:
    case SG_CEL_T_OBJECT:
    case SG_CEL_T_OPTIONAL:
    case SG_CEL_T_DURATION:
    case SG_CEL_T_TIMESTAMP:
        return 1;
    default:
        return 0;
    }
}

/* An object used as a map: string keys, values of any type. */
static int object_as_map(sg_cel_checker_t *c, const sg_cel_type_t *map, int depth)
{
    return internal_assignable(c, sg_cel_type_prim(SG_CEL_T_STRING), map->p[0], depth + 1) &&
           internal_assignable(c, sg_cel_type_prim(SG_CEL_T_DYN), map->p[1], depth + 1);
}

static int internal_assignable(sg_cel_checker_t *c, const sg_cel_type_t *t1, const sg_cel_type_t *t2, int depth)
{
    if (depth > MAX_DEPTH)
        return 0;
    if (t2->kind == SG_CEL_T_PARAM) {
        int has;
        if (valid_substitution(c, t1, t2, &has, depth))
            return 1;
        if (has)
            return 0;
    }
    if (t1->kind == SG_CEL_T_PARAM) {
        int has;
        return valid_substitution(c, t2, t1, &has, depth);
    }
    if (is_dyn_or_err(t1) || is_dyn_or_err(t2))
        return 1;
    if (t1->kind == SG_CEL_T_NULL)
        return nullable(t2);
    if (t2->kind == SG_CEL_T_NULL)
        return nullable(t1);
    switch (t1->kind) {
    case SG_CEL_T_OBJECT:
        if (t2->kind == SG_CEL_T_MAP)
            return object_as_map(c, t2, depth);
        return t1 == t2;
    case SG_CEL_T_TYPE:
        return t2->kind == SG_CEL_T_TYPE;
    case SG_CEL_T_LIST:
    case SG_CEL_T_OPTIONAL:
        return t1->kind == t2->kind && internal_assignable(c, t1->p[0], t2->p[0], depth + 1);
    case SG_CEL_T_MAP:
        if (t2->kind == SG_CEL_T_OBJECT)
            return object_as_map(c, t1, depth);
        return t2->kind == SG_CEL_T_MAP && internal_assignable(c, t1->p[0], t2->p[0], depth + 1) &&
               internal_assignable(c, t1->p[1], t2->p[1], depth + 1);
    default:
        return t1->kind == t2->kind;
    }
}

int sg_cel__assignable(sg_cel_checker_t *c, const sg_cel_type_t *t1, const sg_cel_type_t *t2)
{
    uint32_t mark = c->ntrail;
    if (internal_assignable(c, t1, t2, 0))
        return 1;
    sg_cel__undo(c, mark);
    return 0;
}

static const sg_cel_type_t *subst(sg_cel_checker_t *c, const sg_cel_type_t *t, int to_dyn, int depth)
{
    if (t == NULL || depth > MAX_DEPTH)
        return sg_cel_type_prim(SG_CEL_T_DYN);
    const sg_cel_type_t *s = sg_cel__find(c, t);
    if (s != NULL)
        return subst(c, s, to_dyn, depth + 1);
    switch (t->kind) {
    case SG_CEL_T_PARAM:
        return to_dyn ? sg_cel_type_prim(SG_CEL_T_DYN) : t;
    case SG_CEL_T_LIST:
    case SG_CEL_T_OPTIONAL:
    case SG_CEL_T_TYPE: {
        if (t->p[0] == NULL)
            return t;
        const sg_cel_type_t *p0 = subst(c, t->p[0], to_dyn, depth + 1);
        return p0 == t->p[0] ? t : sg_cel__tmk(c, (sg_cel_type_kind_t)t->kind, p0, NULL);
    }
    case SG_CEL_T_MAP: {
        const sg_cel_type_t *p0 = subst(c, t->p[0], to_dyn, depth + 1);
        const sg_cel_type_t *p1 = subst(c, t->p[1], to_dyn, depth + 1);
        return p0 == t->p[0] && p1 == t->p[1] ? t : sg_cel__tmk(c, SG_CEL_T_MAP, p0, p1);
    }
    default:
        return t;
    }
}

const sg_cel_type_t *sg_cel__subst(sg_cel_checker_t *c, const sg_cel_type_t *t, int to_dyn)
{
    return subst(c, t, to_dyn, 0);
}

/* Copies the signature type `t` with its type parameters replaced by the variables in `vars` (made on first use). */
const sg_cel_type_t *sg_cel__instantiate(sg_cel_checker_t *c, const sg_cel_type_t *t, const sg_cel_type_t **vars)
{
    switch (t->kind) {
    case SG_CEL_T_PARAM:
        if (!t->sig || t->id >= 26)
            return t;
        if (vars[t->id] == NULL)
            vars[t->id] = sg_cel__fresh(c);
        return vars[t->id];
    case SG_CEL_T_LIST:
    case SG_CEL_T_OPTIONAL:
    case SG_CEL_T_TYPE:
        if (t->p[0] == NULL)
            return t;
        return sg_cel__tmk(c, (sg_cel_type_kind_t)t->kind, sg_cel__instantiate(c, t->p[0], vars), NULL);
    case SG_CEL_T_MAP:
        return sg_cel__tmk(c, SG_CEL_T_MAP, sg_cel__instantiate(c, t->p[0], vars),
                           sg_cel__instantiate(c, t->p[1], vars));
    default:
        return t;
    }
}
