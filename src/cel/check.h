/* Private state of one type-checking run, shared by the walk (check.c) and unification (check_unify.c). */
#ifndef STORYGATE_CEL_CHECK_H
#define STORYGATE_CEL_CHECK_H

#include "internal.h"

#define SG_CEL_CHECK_MAX_VARS 100000
#define SG_CEL_CHECK_MAX_ERRORS 8
#define SG_CEL_CHECK_MAX_REFS 256
#define SG_CEL_CHECK_MAX_SCOPE 1024
#define SG_CEL_CHECK_MAX_DEPTH 2000

typedef struct st_sg_cel_trail_t {
    uint32_t id;
    const sg_cel_type_t *old;
} sg_cel_trail_t;

typedef struct st_sg_cel_checker_t {
    sg_cel_env_t *env;
    const sg_cel_program_t *p;
    sg_arena_t *a; /* scratch: types made while checking */
    /* type variable bindings, undone along the trail when an overload does not apply */
    const sg_cel_type_t **subs;
    uint32_t nvars, capvars;
    sg_cel_trail_t *trail;
    uint32_t ntrail, captrail;
    /* comprehension variables in scope, innermost last */
    struct {
        const char *name;
        const sg_cel_type_t *type;
    } scope[SG_CEL_CHECK_MAX_SCOPE];
    int nscope;
    struct {
        uint32_t pos;
        char *msg;
    } errors[SG_CEL_CHECK_MAX_ERRORS];
    int nerrors;
    sg_cel_ref_t refs[SG_CEL_CHECK_MAX_REFS];
    size_t nrefs;
    int depth;
    int nomem, too_complex;
} sg_cel_checker_t;

const sg_cel_type_t *sg_cel__find(sg_cel_checker_t *c, const sg_cel_type_t *t);
void sg_cel__undo(sg_cel_checker_t *c, uint32_t mark);
/** A new unbound type variable. */
const sg_cel_type_t *sg_cel__fresh(sg_cel_checker_t *c);
/** A type with parameters in the scratch arena (dyn and c->nomem set when out of memory). */
const sg_cel_type_t *sg_cel__tmk(sg_cel_checker_t *c, sg_cel_type_kind_t kind, const sg_cel_type_t *p0,
                                 const sg_cel_type_t *p1);
int sg_cel__exact(const sg_cel_type_t *a, const sg_cel_type_t *b, int depth);
const sg_cel_type_t *sg_cel__most_general(const sg_cel_type_t *a, const sg_cel_type_t *b);
/** cel-go's isAssignable: binds type variables on success, leaves the bindings unchanged on failure. */
int sg_cel__assignable(sg_cel_checker_t *c, const sg_cel_type_t *t1, const sg_cel_type_t *t2);
/** `t` with bound variables replaced (and free ones by dyn when `to_dyn`). */
const sg_cel_type_t *sg_cel__subst(sg_cel_checker_t *c, const sg_cel_type_t *t, int to_dyn);
const sg_cel_type_t *sg_cel__instantiate(sg_cel_checker_t *c, const sg_cel_type_t *t, const sg_cel_type_t **vars);

#endif
