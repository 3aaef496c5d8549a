/* Private parts of the schema module: the compiled schema tree and the helpers shared by loading, structural checks,
 * CEL rules and error formatting. */
#ifndef STORYGATE_SCHEMA_INTERNAL_H
#define STORYGATE_SCHEMA_INTERNAL_H

#include <stdint.h>

#include <storygate/cel.h>
#include <storygate/schema.h>

/* JSON types of openAPIV3Schema `type`. */
enum {
    T_OBJECT = 1 << 0,
    T_ARRAY = 1 << 1,
    T_STRING = 1 << 2,
    T_INTEGER = 1 << 3,
    T_NUMBER = 1 << 4,
    T_BOOLEAN = 1 << 5,
};

enum { LIST_ATOMIC = 0, LIST_SET, LIST_MAP };

typedef struct st_sg_schema_node_t sg_schema_node_t;

typedef struct st_sg_schema_prop_t {
    const char *name;
    size_t name_len;
    sg_schema_node_t *node;
} sg_schema_prop_t;

typedef struct st_sg_schema_rule_t {
    sg_cel_program_t *program;
    sg_cel_program_t *message_expression; /* NULL when absent */
    const char *rule;                     /* trimmed source, for default messages */
    const char *message;                  /* trimmed message or NULL */
    const char *field_path;               /* normalized (no leading '.') or NULL */
    sg_field_error_type_t reason;
    int uses_old_self;
    int optional_old_self;
} sg_schema_rule_t;

struct st_sg_schema_node_t {
    unsigned types;        /* T_* bits; 0 = any */
    const char *type_name; /* as written ("object"), "" when absent */
    int nullable, preserve_unknown, int_or_string, embedded_resource;
    int is_metadata; /* metadata of a resource root: ObjectMeta fields */
    int64_t max_length, min_length, max_items, min_items, max_props, min_props; /* -1 = unset */
    int has_minimum, has_maximum, exclusive_minimum, exclusive_maximum, unique_items;
    double minimum, maximum, multiple_of;
    const char *pattern;
    void *regex; /* pcre2_code */
    const char *format;
    const sg_json_t *enum_values; /* array or NULL */
    const char **required;
    size_t nrequired;
    sg_schema_prop_t *props;
    size_t nprops;
    int has_props;
    sg_schema_node_t *additional; /* additionalProperties schema */
    int additional_set;           /* additionalProperties given (true or a schema) */
    int additional_false;
    sg_schema_node_t *items;
    int list_type;
    const char **map_keys;
    size_t nmap_keys;
    sg_schema_rule_t *rules;
    size_t nrules;
    int has_rules_below; /* this node or a descendant has rules */
};

typedef struct st_sg_schema_kind_t {
    const char *group, *kind, *plural, *version, *qualified;
    int storage;
    sg_schema_node_t *root;
} sg_schema_kind_t;

struct st_sg_schema_set_t {
    sg_arena_t arena; /* YAML trees, nodes, strings */
    sg_schema_kind_t *kinds;
    size_t nkinds, capkinds;
    sg_cel_program_t **programs;
    size_t nprograms, capprograms;
    void **regexes;
    size_t nregexes, capregexes;
    void *match_ctx; /* pcre2_match_context with backtracking limits, shared read-only */
};

/* One validation run. */
typedef struct st_sg_schema_run_t {
    sg_arena_t *arena;
    sg_field_errors_t *errors;
    sg_buf_t path;
    uint64_t budget; /* remaining CEL cost */
    int out_of_budget;
    int nomem;
    void *match_ctx;  /* the set's, only read */
    void *match_data; /* pcre2_match_data from the arena, made on the first pattern */
} sg_schema_run_t;

/* load.c: the kind entry for `kind` and `api_version` (NULL = the storage version). */
const sg_schema_kind_t *sg_schema__find(const sg_schema_set_t *s, const char *kind, const char *api_version);
/* generated from schemas/ by cmake/embed_texts.cmake */
extern const char *const sg_schema__builtin_names[];
extern const char *const sg_schema__builtin_texts[];

/* errors.c */
int sg_schema__add(sg_schema_run_t *r, sg_field_error_type_t type, const char *field, const sg_json_t *value,
                   int omit_value, const char *detail);
int sg_schema__add_raw(sg_schema_run_t *r, sg_field_error_type_t type, const char *field, const char *body);
/** Appends Go's %v of a float64 (strconv.FormatFloat(f, 'g', -1, 64)). */
int sg_schema__go_float(sg_buf_t *out, double v);
/** Appends a JSON value as the apiserver prints a BadValue (%q strings, %v numbers and bools, JSON otherwise). */
int sg_schema__bad_value(sg_buf_t *out, const sg_json_t *v);
/** 1 when the number is integral and fits int64 (how apiserver's decoder makes it an int64). */
int sg_schema__is_int(const sg_json_t *v, int64_t *out);

/* structural.c */
void sg_schema__check(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v);
/* rules.c */
void sg_schema__rules(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v, const sg_json_t *old);
/* celtype.c: the CEL type of values at node `n` (objects named after `name`), built in `env`; NULL when out of memory
 */
const sg_cel_type_t *sg_schema__cel_type(sg_cel_env_t *env, const sg_schema_node_t *n, const char *name);
/* format.c */
int sg_schema__valid_format(const char *format, const char *s, size_t len);
/* path helpers (structural.c) */
size_t sg_schema__path_child(sg_buf_t *p, const char *name, size_t len);
size_t sg_schema__path_index(sg_buf_t *p, size_t i);
size_t sg_schema__path_key(sg_buf_t *p, const char *key, size_t len);
void sg_schema__path_restore(sg_buf_t *p, size_t mark);

#endif
