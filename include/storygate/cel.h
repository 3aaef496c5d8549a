/* The Common Expression Language engine: compile an expression once into an immutable program, evaluate it many times
 * (concurrently) over variables bound to JSON trees or to values built in code. */
#ifndef STORYGATE_CEL_H
#define STORYGATE_CEL_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/arena.h>
#include <storygate/buf.h>
#include <storygate/error.h>
#include <storygate/json.h>

typedef struct st_sg_cel_program_t sg_cel_program_t;
typedef struct st_sg_cel_list_t sg_cel_list_t;
typedef struct st_sg_cel_map_t sg_cel_map_t;
typedef struct st_sg_cel_value_t sg_cel_value_t;

typedef enum en_sg_cel_kind_t {
    SG_CEL_NULL = 0,
    SG_CEL_BOOL,
    SG_CEL_INT,
    SG_CEL_UINT,
    SG_CEL_DOUBLE,
    SG_CEL_STRING,
    SG_CEL_BYTES,
    SG_CEL_LIST,
    SG_CEL_MAP,
    SG_CEL_TYPE,
    SG_CEL_TIMESTAMP,
    SG_CEL_DURATION,
    SG_CEL_OPTIONAL,
    SG_CEL_ERROR,
} sg_cel_kind_t;

/* How a list or map is stored: natively, or as a borrowed JSON array/object read lazily. */
enum { SG_CEL_REP_NATIVE = 0, SG_CEL_REP_JSON = 1 };

/* Error classes carried by error values in `rep`. */
enum { SG_CEL_ERR_EVAL = 0, SG_CEL_ERR_COST = 1, SG_CEL_ERR_NOMEM = 2 };

/* A value: 16 bytes, passed by value. Strings, bytes, type names and error messages are `u.s[0..len)` (strings are
 * valid UTF-8; not necessarily NUL-terminated). Lists and maps point at native storage or at a borrowed JSON node;
 * either way what they reference must outlive the value (the JSON tree, or the evaluation's arena). Timestamps and
 * durations keep seconds in `u.i` and nanoseconds (0..999999999, negative for negative durations) in `len`.
 * The header is one 64-bit word so values are built with whole-word stores. */
struct st_sg_cel_value_t {
    union {
        struct {
            uint8_t kind; /* sg_cel_kind_t */
            uint8_t rep;  /* SG_CEL_REP_* for lists and maps, SG_CEL_ERR_* for errors */
            uint16_t _reserved;
            uint32_t len;
        };
        uint64_t hdr;
    };
    union {
        int64_t b;
        int64_t i;
        uint64_t u;
        double d;
        const char *s;
        const sg_cel_list_t *list;
        const sg_cel_map_t *map;
        const sg_json_t *json;
        const sg_cel_value_t *opt; /* optional: NULL = none */
    } u;
};

#define SG_CEL_HDR(kind, rep, len) ((uint64_t)(kind) | ((uint64_t)(rep) << 8) | ((uint64_t)(len) << 32))

struct st_sg_cel_list_t {
    uint32_t len;
    uint32_t cap;
    sg_cel_value_t *items;
};

struct st_sg_cel_map_t {
    uint32_t len;
    uint32_t cap;
    sg_cel_value_t *keys;
    sg_cel_value_t *values;
};

/* A named variable for one evaluation. */
typedef struct st_sg_cel_var_t {
    const char *name;
    sg_cel_value_t value;
} sg_cel_var_t;

typedef struct st_sg_cel_options_t {
    size_t max_expr_bytes; /* longest accepted source; 0 = 100000 */
    size_t max_depth;      /* nesting of expressions; 0 = 64 */
    uint64_t cost_limit;   /* runtime cost budget per evaluation; 0 = 1000000 */
    int disable_macros;    /* 1: has/all/exists/map/filter/... are plain (undeclared) calls */
} sg_cel_options_t;

#define SG_CEL_OPTIONS_INIT                                                                                            \
    {                                                                                                                  \
        0, 0, 0, 0                                                                                                     \
    }
#define SG_CEL_DEFAULT_MAX_DEPTH 64
#define SG_CEL_DEFAULT_COST_LIMIT 1000000

/** Parses and compiles `src[0..len)`. On failure returns SG_EINVALID (syntax; `err->message` holds every error found,
 * each as "ERROR: <input>:LINE:COL: msg" followed by the source line and a caret line) or SG_ELIMIT (size/depth),
 * with err->line/column of the first error. The program (caller owns it; sg_cel_program_free) is immutable:
 * evaluating it from several threads at once is safe. Constant regular expressions are compiled here. */
int sg_cel_compile(sg_cel_program_t **out, const char *src, size_t len, const sg_cel_options_t *opts, sg_error_t *err);
/** Frees a program. NULL is accepted. */
void sg_cel_program_free(sg_cel_program_t *p);
/** The source text the program was compiled from (borrowed, NUL-terminated). */
const char *sg_cel_program_source(const sg_cel_program_t *p);

/** Evaluates `p` with `vars` bound (names not bound are errors when used). Temporary and result memory comes from
 * `scratch` (the caller resets it between evaluations; nothing is malloc'd once its first chunk exists). `*out` gets
 * the result; when it is an error value the return is SG_EINVALID (SG_ELIMIT when the cost budget ran out) and
 * `err` (may be NULL) gets the message. Thread-safe on a shared program with one scratch arena per thread. */
int sg_cel_eval(sg_cel_value_t *out, const sg_cel_program_t *p, const sg_cel_var_t *vars, size_t nvars,
                sg_arena_t *scratch, sg_error_t *err);
/** Like sg_cel_eval with a cost budget other than the program's (0 = the program's); `*cost` (may be NULL) gets the
 * cost actually spent. */
int sg_cel_eval_ex(sg_cel_value_t *out, uint64_t *cost, const sg_cel_program_t *p, const sg_cel_var_t *vars,
                   size_t nvars, uint64_t cost_limit, sg_arena_t *scratch, sg_error_t *err);

/** Wraps a JSON node as a value without copying: objects become maps, arrays lists, integral numbers written without
 * fraction or exponent (and within int64) ints, other numbers doubles. The tree must outlive the value. */
sg_cel_value_t sg_cel_value_from_json(const sg_json_t *j);
/** A value from cel.expr.Value proto3 JSON ({"int64Value":"1"}, {"listValue":{...}}, ...), built in `arena`.
 * Returns SG_OK, SG_EINVALID (with message) or SG_ENOMEM. */
int sg_cel_value_from_proto_json(sg_cel_value_t *out, sg_arena_t *arena, const sg_json_t *j, sg_error_t *err);
/** Appends `v` as cel.expr.Value proto3 JSON. Error values are written as {"error":"message"}. Returns 0/SG_ENOMEM. */
int sg_cel_value_write_proto_json(sg_buf_t *out, const sg_cel_value_t *v);
/** Appends a human-readable CEL-like rendering of `v` (e.g. `[1, "a", {true: 2u}]`). Returns 0 or SG_ENOMEM. */
int sg_cel_value_format(sg_buf_t *out, const sg_cel_value_t *v);
/** The CEL type name of a value ("int", "map", "google.protobuf.Timestamp", ...). Static string. */
const char *sg_cel_type_name(const sg_cel_value_t *v);

/** Simple constructors (no allocation; strings are borrowed). */
sg_cel_value_t sg_cel_null(void);
sg_cel_value_t sg_cel_bool(int b);
sg_cel_value_t sg_cel_int(int64_t i);
sg_cel_value_t sg_cel_uint(uint64_t u);
sg_cel_value_t sg_cel_double(double d);
sg_cel_value_t sg_cel_string(const char *s, size_t len);
sg_cel_value_t sg_cel_bytes(const void *s, size_t len);
/** A list of `n` items copied into `arena`; kind SG_CEL_ERROR (out of memory) on failure. */
sg_cel_value_t sg_cel_list(sg_arena_t *arena, const sg_cel_value_t *items, size_t n);
/** A map of `n` entries copied into `arena`; an error value on repeated or invalid keys or when out of memory. */
sg_cel_value_t sg_cel_map(sg_arena_t *arena, const sg_cel_value_t *keys, const sg_cel_value_t *values, size_t n);
/** 1 when `a` equals `b` under CEL equality (numbers compare across int/uint/double). */
int sg_cel_value_equal(const sg_cel_value_t *a, const sg_cel_value_t *b);

/* ---- static type checking ----
 * A compiled program can be checked against an environment of declared variables before it is used: the checker
 * deduces the result type and rejects calls no overload accepts, unknown identifiers, functions and fields, as cel-go
 * does. Typing is gradual: dyn is assignable to and from every type. Checking never changes the program. */
typedef struct st_sg_cel_type_t sg_cel_type_t;
typedef struct st_sg_cel_env_t sg_cel_env_t;

typedef enum en_sg_cel_type_kind_t {
    SG_CEL_T_DYN = 0,
    SG_CEL_T_NULL,
    SG_CEL_T_BOOL,
    SG_CEL_T_INT,
    SG_CEL_T_UINT,
    SG_CEL_T_DOUBLE,
    SG_CEL_T_STRING,
    SG_CEL_T_BYTES,
    SG_CEL_T_DURATION,
    SG_CEL_T_TIMESTAMP,
    SG_CEL_T_TYPE,     /* type(T) */
    SG_CEL_T_LIST,     /* list(elem) */
    SG_CEL_T_MAP,      /* map(key, value) */
    SG_CEL_T_OPTIONAL, /* optional_type(T) */
    SG_CEL_T_OBJECT,   /* named fields, each with a type (schema-typed objects) */
    SG_CEL_T_PARAM,    /* a type parameter (only inside the checker) */
    SG_CEL_T_ERROR,    /* the type of an expression that failed to check */
} sg_cel_type_kind_t;

/** A new empty environment (caller owns it; sg_cel_env_free). Types built for it live in its arena. Returns SG_OK or
 * SG_ENOMEM. An environment is used by one thread at a time (checking allocates the result type in it). */
int sg_cel_env_new(sg_cel_env_t **out, sg_error_t *err);
/** Frees an environment and every type built in it. NULL is accepted. */
void sg_cel_env_free(sg_cel_env_t *env);
/** Declares variable `name` (copied; may be dotted, "a.b") with type `t`, replacing an earlier declaration of the same
 * name. `t` must outlive the environment (built in it, static, or in an environment freed later). SG_OK/SG_ENOMEM. */
int sg_cel_env_declare(sg_cel_env_t *env, const char *name, const sg_cel_type_t *t, sg_error_t *err);

/** The type of a kind without parameters (DYN, NULL, BOOL ... TIMESTAMP, TYPE): static, thread-safe. */
const sg_cel_type_t *sg_cel_type_prim(sg_cel_type_kind_t kind);
/** list(elem), map(key, value), optional_type(t) and type(t), built in `env`. NULL when out of memory. */
const sg_cel_type_t *sg_cel_type_list(sg_cel_env_t *env, const sg_cel_type_t *elem);
const sg_cel_type_t *sg_cel_type_map(sg_cel_env_t *env, const sg_cel_type_t *key, const sg_cel_type_t *value);
const sg_cel_type_t *sg_cel_type_optional(sg_cel_env_t *env, const sg_cel_type_t *t);
const sg_cel_type_t *sg_cel_type_type(sg_cel_env_t *env, const sg_cel_type_t *t);
/** A new object type named `name` (copied) without fields, built in `env`. With `open` set, fields not declared are
 * accepted and typed dyn (x-kubernetes-preserve-unknown-fields). NULL when out of memory. */
sg_cel_type_t *sg_cel_type_object(sg_cel_env_t *env, const char *name, int open);
/** Adds (or retypes) field `name` (copied) of object `obj`. Returns SG_OK, SG_EINVALID (not an object), SG_ENOMEM. */
int sg_cel_type_add_field(sg_cel_env_t *env, sg_cel_type_t *obj, const char *name, const sg_cel_type_t *t);
/** Parses a type as sg_cel_type_format writes it ("map(string, list(int))", "google.protobuf.Timestamp", aliases
 * "timestamp" and "duration"; `{a: int, b: {c: string}}` is an object type named "object", `Name{a: int, *}` an open
 * one named Name), built in
 * `env`. Returns SG_OK or SG_EINVALID / SG_ENOMEM with a message. */
int sg_cel_type_parse(const sg_cel_type_t **out, sg_cel_env_t *env, const char *s, size_t len, sg_error_t *err);
/** The kind of `t`. */
sg_cel_type_kind_t sg_cel_type_kind(const sg_cel_type_t *t);
/** Parameter `i` of `t` (list element 0; map key 0 and value 1; optional and type content 0), or NULL. */
const sg_cel_type_t *sg_cel_type_param(const sg_cel_type_t *t, int i);
/** The type of field `name` of object `t`, or NULL when it has none (or `t` is no object). */
const sg_cel_type_t *sg_cel_type_field(const sg_cel_type_t *t, const char *name);
/** Appends `t` as cel-go prints types ("list(int)", "map(string, dyn)", "optional_type(string)"; objects by name).
 * Returns 0 or SG_ENOMEM. */
int sg_cel_type_format(sg_buf_t *out, const sg_cel_type_t *t);
/** 1 when a value of type `t` may be used where `want` is expected (equal types, or dyn on either side, recursively,
 * objects assignable to map(string, dyn)). */
int sg_cel_type_assignable(const sg_cel_type_t *want, const sg_cel_type_t *t);

/* A free variable an expression reads: the identifier with the field selected right after it (`variables.x` gives
 * name "variables" and field "x"), in source order, each pair once. */
typedef struct st_sg_cel_ref_t {
    const char *name;
    const char *field; /* NULL when the identifier is not followed by a field selection */
    int declared;      /* 1 when the environment declares it */
    uint32_t offset;   /* byte offset in the source */
} sg_cel_ref_t;

typedef struct st_sg_cel_check_result_t {
    const sg_cel_type_t *type; /* deduced type (dyn after an error); lives in the environment */
    sg_cel_ref_t *refs;        /* in the environment's arena */
    size_t nrefs;
} sg_cel_check_result_t;

/** Type-checks `p` against `env`. Fills `*out` in any case (refs are complete even when the check fails). Returns
 * SG_OK, SG_EINVALID with every error in `err->message` formatted as sg_cel_compile formats syntax errors
 * ("ERROR: <input>:LINE:COL: msg", the source line, a caret line) and err->line/column of the first, cel-go's wording
 * ("undeclared reference to 'x' (in container '')", "found no matching overload for '_+_' applied to '(string,
 * int)'", "undefined field 'f'"), or SG_ENOMEM / SG_ELIMIT (expression too complex to check). Does not modify `p`;
 * allocates in `env` (one thread per environment). */
int sg_cel_check(sg_cel_check_result_t *out, sg_cel_env_t *env, const sg_cel_program_t *p, sg_error_t *err);

#endif
