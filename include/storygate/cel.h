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

#endif
