/* CRD structural schemas: openAPIV3Schema checks and x-kubernetes-validations CEL rules, compiled once from CRD
 * manifests and applied to objects with the apiserver's error messages (field.ErrorList formatting). */
#ifndef STORYGATE_SCHEMA_H
#define STORYGATE_SCHEMA_H

#include <stddef.h>

#include <storygate/admission.h>
#include <storygate/arena.h>
#include <storygate/buf.h>
#include <storygate/cel.h>
#include <storygate/error.h>
#include <storygate/json.h>

typedef struct st_sg_schema_set_t sg_schema_set_t;

/* field.ErrorType of apimachinery, plus UNKNOWN for fields the schema does not declare (the apiserver prunes them or,
 * with strict field validation, rejects them). */
typedef enum en_sg_field_error_type_t {
    SG_FIELD_REQUIRED,      /* "Required value" */
    SG_FIELD_INVALID,       /* "Invalid value" */
    SG_FIELD_TYPE_INVALID,  /* "Invalid value" (wrong JSON type or format) */
    SG_FIELD_NOT_SUPPORTED, /* "Unsupported value" (enum) */
    SG_FIELD_TOO_LONG,      /* "Too long" */
    SG_FIELD_TOO_MANY,      /* "Too many" */
    SG_FIELD_DUPLICATE,     /* "Duplicate value" */
    SG_FIELD_FORBIDDEN,     /* "Forbidden" */
    SG_FIELD_INTERNAL,      /* "Internal error" */
    SG_FIELD_UNKNOWN,       /* "Unknown field" */
} sg_field_error_type_t;

/* One field error; strings live in the arena given to sg_schema_validate. `message` is the whole Error() text
 * ("spec.storyRef: Required value"). */
typedef struct st_sg_field_error_t {
    sg_field_error_type_t type;
    const char *field;
    const char *message;
} sg_field_error_t;

/* The errors of one object in the apiserver's order (schema errors, then CEL rule errors). */
typedef struct st_sg_field_errors_t {
    sg_field_error_t *items;
    size_t len, _cap;
} sg_field_errors_t;

#define SG_FIELD_ERRORS_INIT                                                                                           \
    {                                                                                                                  \
        NULL, 0, 0                                                                                                     \
    }

/* Kubernetes CEL limits for CRD rules. */
#define SG_SCHEMA_PER_CALL_COST_LIMIT 1000000ull
#define SG_SCHEMA_RUNTIME_COST_BUDGET 10000000ull
#define SG_SCHEMA_MAX_MESSAGE_EXPRESSION_BYTES 5120

/** A new empty set. Returns 0 or SG_ENOMEM; `*out` belongs to the caller (sg_schema_set_free). */
int sg_schema_set_new(sg_schema_set_t **out, sg_error_t *err);
/** Frees a set. NULL is accepted. */
void sg_schema_set_free(sg_schema_set_t *s);
/** Adds every CustomResourceDefinition of a YAML stream (other documents are ignored). Patterns and CEL rules are
 * compiled here; a bad one fails with SG_EINVALID and "file:line:column: message". Not thread-safe (load before use).
 */
int sg_schema_set_load_yaml(sg_schema_set_t *s, const char *buf, size_t len, const char *filename, sg_error_t *err);
/** sg_schema_set_load_yaml on a file. SG_EIO when it cannot be read. */
int sg_schema_set_load_file(sg_schema_set_t *s, const char *path, sg_error_t *err);
/** Loads every *.yaml / *.yml file of `dir` in name order. SG_ENOTFOUND when none holds a CRD. */
int sg_schema_set_load_dir(sg_schema_set_t *s, const char *dir, sg_error_t *err);
/** Loads the CRDs built into the binary (copies of schemas/: StoryTrigger, StoryRun, Story, ReferenceGrant). */
int sg_schema_set_load_builtin(sg_schema_set_t *s, sg_error_t *err);
/** Number of kinds loaded. Thread-safe once loading is over. */
size_t sg_schema_set_count(const sg_schema_set_t *s);
/** The qualified kind ("StoryTrigger.runs.bubustack.io") for `kind` ("StoryTrigger" or "storytriggers" or already
 * qualified), or NULL when not loaded. Borrowed. Thread-safe. */
const char *sg_schema_set_qualified_kind(const sg_schema_set_t *s, const char *kind);

/** Validates `obj` (and, on UPDATE, `old_obj` for transition rules; NULL on CREATE) against the schema of `kind` (as
 * for sg_schema_set_qualified_kind; the version is taken from obj.apiVersion, else the storage version). Appends every
 * error to `errors` (memory from `arena`). Returns 0 (look at errors->len), SG_ENOTFOUND for an unknown kind or
 * version, or SG_ENOMEM. Evaluation memory comes from `arena` too. Thread-safe on a loaded set. */
int sg_schema_validate(const sg_schema_set_t *s, const char *kind, const sg_json_t *obj, const sg_json_t *old_obj,
                       sg_arena_t *arena, sg_field_errors_t *errors, sg_error_t *err);

/** Appends the apiserver's message for an invalid object: `Kind.group "name" is invalid: [a, b]` (one error without
 * brackets, repeated messages once). Errors of type UNKNOWN are left out when `skip_unknown` is set. Returns 0 or
 * SG_ENOMEM. */
int sg_schema_errors_format(sg_buf_t *out, const char *qualified_kind, const char *name,
                            const sg_field_errors_t *errors, int skip_unknown);

/* What the admission validator does with fields the schema does not declare. */
typedef enum en_sg_schema_unknown_t {
    SG_SCHEMA_UNKNOWN_WARN = 0, /* a warning `unknown field "spec.x"` (the apiserver's default) */
    SG_SCHEMA_UNKNOWN_DENY,     /* an error like the others (strict field validation) */
    SG_SCHEMA_UNKNOWN_IGNORE,
} sg_schema_unknown_t;

/* The admission validator: one per server, read-only while serving. */
typedef struct st_sg_schema_validator_t {
    const sg_schema_set_t *set; /* borrowed */
    sg_schema_unknown_t unknown_fields;
} sg_schema_validator_t;

/** An sg_admission_validator_fn (ctx = sg_schema_validator_t *): validates the StoryTrigger of CREATE/UPDATE and
 * denies with status code 422, reason "Invalid" and the apiserver's message. Thread-safe. */
int sg_schema_admission_validate(void *ctx, const sg_admission_request_t *req, sg_admission_verdict_t *v);

/** The CEL type of objects of `kind` (as for sg_schema_set_qualified_kind; the storage version), built in `env` from
 * the structural schema: properties are object fields (others are rejected by the checker unless the schema preserves
 * unknown fields), additionalProperties maps, items lists, metadata ObjectMeta. NULL for an unknown kind or when out
 * of memory. Thread-safe on a loaded set (the environment is used by one thread). */
const sg_cel_type_t *sg_schema_set_cel_type(const sg_schema_set_t *s, const char *kind, sg_cel_env_t *env);

#endif
