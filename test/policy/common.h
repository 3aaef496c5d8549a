/* Helpers shared by the policy tests: compiling policies from YAML text and evaluating them on JSON objects. */
#ifndef SG_TEST_POLICY_COMMON_H
#define SG_TEST_POLICY_COMMON_H

#include <storygate/policy.h>

/** A set compiled from YAML text (asserts success). */
sg_policy_set_t *pt_compile(const char *yaml);
/** Compiles YAML text expecting failure; returns the diagnostics (static buffer). */
const char *pt_compile_errors(const char *yaml);
/** Parses JSON into the test arena (asserts success). */
sg_json_t *pt_json(const char *text);
/** Evaluates `s` for `op` on `obj` (and `old`) in namespace `ns`. */
void pt_eval(sg_policy_result_t *res, const sg_policy_set_t *s, const char *op, const char *ns, const char *obj,
             const char *old);
/** The test arena (reset by the fixtures). */
sg_arena_t *pt_arena(void);
void pt_setup(void);
void pt_teardown(void);

#endif
