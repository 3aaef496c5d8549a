/* Private parts of the policy module: the compiled form of a StoryTriggerPolicy set. */
#ifndef STORYGATE_POLICY_INTERNAL_H
#define STORYGATE_POLICY_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include <storygate/cel.h>
#include <storygate/policy.h>

enum { ACT_DENY = 1, ACT_WARN = 2, ACT_AUDIT = 4 };
enum { OP_CREATE = 1, OP_UPDATE = 2, OP_DELETE = 4, OP_CONNECT = 8, OP_ALL = 15 };
enum { SEL_IN, SEL_NOT_IN, SEL_EXISTS, SEL_DOES_NOT_EXIST };

/* A compiled expression with the variables it reads (indexes into the policy's variables). `whole` is set when it
 * uses `variables` other than as `variables.<name>` (size(variables), variables['x'], ...): `vars` then lists every
 * variable visible to it and it gets a map of exactly those rather than the policy's shared one. */
typedef struct st_sg_policy_expr_t {
    sg_cel_program_t *program;
    const char *source;
    uint16_t *vars;
    size_t nvars;
    int whole;
} sg_policy_expr_t;

typedef struct st_sg_policy_requirement_t {
    const char *key;
    int op;
    const char **values;
    size_t nvalues;
} sg_policy_requirement_t;

/* A Kubernetes label selector; `set` = 0 matches everything. */
typedef struct st_sg_policy_selector_t {
    int set;
    sg_policy_requirement_t *reqs; /* matchLabels become In requirements */
    size_t nreqs;
} sg_policy_selector_t;

typedef struct st_sg_policy_named_t {
    const char *name;
    sg_cel_value_t key; /* the name as a CEL string: the variable's key in the `variables` map */
    sg_policy_expr_t expr;
} sg_policy_named_t;

typedef struct st_sg_policy_validation_t {
    sg_policy_expr_t expr;
    const char *message;       /* NULL = "failed expression: <src>" */
    sg_policy_expr_t msg_expr; /* program NULL when absent */
    const char *reason;        /* "Invalid" default */
    int code;                  /* HTTP code for `reason` */
    sg_series_t *series[3];    /* evaluations_total{result=pass|fail|error} */
} sg_policy_validation_t;

typedef struct st_sg_policy_annotation_def_t {
    const char *key; /* "<policy>.<key>" */
    sg_policy_expr_t expr;
} sg_policy_annotation_def_t;

typedef struct st_sg_policy_t {
    const char *name;
    int fail_closed; /* failurePolicy Fail */
    unsigned actions;
    unsigned operations;
    const char **namespaces; /* NULL = any */
    size_t nnamespaces;
    const char **resource_names; /* NULL = any */
    size_t nresource_names;
    sg_policy_selector_t namespace_selector, object_selector;
    sg_policy_named_t *conditions;
    size_t nconditions;
    sg_policy_named_t *variables;
    size_t nvariables;
    sg_policy_validation_t *validations;
    size_t nvalidations;
    sg_policy_annotation_def_t *annotations;
    size_t nannotations;
    sg_series_t *condition_error_series;
} sg_policy_t;

struct st_sg_policy_set_t {
    atomic_long refs;
    sg_arena_t arena;
    sg_policy_t *policies;
    size_t npolicies, cap;
    sg_cel_program_t **programs;
    size_t nprograms, capprograms;
    sg_series_t *duration; /* storygate_policy_evaluation_seconds or NULL */
};

/* compile.c */
int sg_policy__compile_doc(sg_policy_set_t *s, const sg_json_t *doc, const char *file, sg_buf_t *diag, int *nerrors);
sg_policy_set_t *sg_policy__set_new(void);
/* metrics binding (engine.c): fills the series pointers of a set not yet shared */
void sg_policy__bind_metrics(sg_policy_set_t *s, sg_metrics_t *m);
/* celenv.c: a type-checking environment declaring object, oldObject, request and `variables` (an object type without
 * fields yet, *variables, to which compile.c adds each variable with the type it checked to) */
#define SG_POLICY_OBJECT_KIND "StoryTrigger"
int sg_policy__env_new(sg_cel_env_t **out, sg_cel_type_t **variables, sg_error_t *err);
/* match.c */
int sg_policy__matches(const sg_policy_t *p, const sg_policy_input_t *in, unsigned op);
unsigned sg_policy__op_bit(const char *op);

#endif
