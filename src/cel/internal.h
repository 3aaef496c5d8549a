/* Private parts of the CEL engine shared by its files: tokens, AST nodes, the evaluation context and the helpers the
 * standard library uses to build values and errors. */
#ifndef STORYGATE_CEL_INTERNAL_H
#define STORYGATE_CEL_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <storygate/cel.h>

/* ---- lexer ---- */
typedef enum en_sg_cel_tok_t {
    T_EOF = 0,
    T_ERROR,
    T_INT,
    T_UINT,
    T_DOUBLE,
    T_STRING,
    T_BYTES,
    T_IDENT,
    T_QIDENT, /* `backtick quoted` */
    T_TRUE,
    T_FALSE,
    T_NULL,
    T_IN,
    T_RESERVED,
    T_LPAREN,
    T_RPAREN,
    T_LBRACKET,
    T_RBRACKET,
    T_LBRACE,
    T_RBRACE,
    T_DOT,
    T_COMMA,
    T_COLON,
    T_QUESTION,
    T_OR,
    T_AND,
    T_NOT,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_PERCENT,
} sg_cel_tok_t;

typedef struct st_sg_cel_token_t {
    sg_cel_tok_t type;
    uint32_t pos; /* byte offset in the source */
    uint32_t end;
    /* decoded literal (strings/bytes in the parser arena) */
    const char *s;
    uint32_t len;
    union {
        int64_t i;
        uint64_t u;
        double d;
    } v;
    const char *msg; /* T_ERROR: what is wrong */
} sg_cel_token_t;

typedef struct st_sg_cel_lexer_t {
    const char *src;
    size_t len;
    size_t pos;
    sg_arena_t *arena;
} sg_cel_lexer_t;

/** Reads the next token; errors come back as T_ERROR tokens with `msg`. */
void sg_cel__lex(sg_cel_lexer_t *lx, sg_cel_token_t *t);

/* ---- AST ---- */
typedef enum en_sg_cel_node_kind_t {
    N_LIT = 0,
    N_IDENT,
    N_SELECT,
    N_CALL,
    N_LIST,
    N_MAP,
    N_STRUCT,
    N_COMPR,
    N_PATH, /* a chain of one or more selections over an identifier, built by the compiler */
} sg_cel_node_kind_t;

/* Built-in operators and internal helpers of macro expansions; plain functions use OP_FN + a library entry. */
typedef enum en_sg_cel_op_t {
    OP_NONE = 0,
    OP_FN,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_NEG,
    OP_NOT,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_IN,
    OP_AND,
    OP_OR,
    OP_COND,
    OP_INDEX,
    OP_OPT_INDEX,
    OP_NOT_STRICTLY_FALSE,
    OP_APPEND,     /* comprehension accumulator: list += [x] in place */
    OP_MAP_INSERT, /* comprehension accumulator: map[k] = v in place, error on repeated key */
    OP_MAP_MERGE,  /* transformMapEntry: merge a one-entry map */
    OP_COUNT_IF,   /* exists_one: accu + (pred ? 1 : 0) */
    OP_OPT_SELECT, /* a.?b */
    OP_OPT_OR,     /* optional.or: lazily evaluated */
    OP_OPT_OR_VALUE,
    /* Library calls the evaluator runs inline when the arguments have the expected types (bound by the compiler;
     * any other argument goes to the library entry, which reports the error) */
    OP_SIZE,
    OP_STARTS_WITH,
    OP_ENDS_WITH,
    OP_CONTAINS,
} sg_cel_op_t;

typedef struct st_sg_cel_node_t sg_cel_node_t;
typedef struct st_sg_cel_ctx_t sg_cel_ctx_t;
typedef struct st_sg_cel_func_t sg_cel_func_t;

/* A library function: `args[0]` is the receiver for receiver-style calls. Strict: errors in arguments never reach it.
 */
typedef void (*sg_cel_impl_t)(sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_value_t *args, int nargs,
                              const sg_cel_node_t *call);

struct st_sg_cel_func_t {
    const char *name;
    uint8_t receiver; /* 1: callable as x.f(...) */
    uint8_t global;   /* 1: callable as f(...) */
    uint8_t min_args; /* including the receiver */
    uint8_t max_args;
    sg_cel_impl_t impl;
};

/* How a node is evaluated: the generic dispatcher, or a routine for the node's shape chosen by the compiler. */
typedef void (*sg_cel_ev_t)(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out);

struct st_sg_cel_node_t {
    sg_cel_ev_t ev;
    uint8_t kind;  /* sg_cel_node_kind_t */
    uint8_t op;    /* sg_cel_op_t for N_CALL */
    uint8_t flags; /* N_SELECT: NF_TEST (has), NF_OPTIONAL (.?); N_IDENT: NF_LOCAL, NF_ROOT (leading dot) */
    uint8_t receiver;
    uint32_t pos;
    union {
        sg_cel_value_t lit;
        struct {
            const char *name;
            uint32_t len;
            int32_t slot; /* local slot or global index */
        } ident;
        struct {
            sg_cel_node_t *operand;
            const char *field;
            uint32_t flen;
            int32_t qual; /* global index of the dotted name "a.b.c" when the operand is an identifier chain, else -1 */
            /* Index where the field was found last time in a JSON object: documents of one shape put it at the same
             * place. Relaxed atomics keep concurrent evaluations of the shared program well-defined. */
            _Atomic uint32_t hint;
        } sel;
        struct {
            const char *name;
            sg_cel_node_t **args; /* receiver first when `receiver` */
            uint32_t nargs;
            const sg_cel_func_t *fn;
            void *aux; /* precompiled regular expression, ... */
        } call;
        struct {
            sg_cel_node_t **items;
            uint8_t *optional;
            uint32_t n;
        } list;
        struct {
            sg_cel_node_t **keys;
            sg_cel_node_t **values;
            uint8_t *optional;
            uint32_t n;
            const char *type_name; /* N_STRUCT */
        } map;
        struct {
            sg_cel_node_t *root;  /* the identifier */
            sg_cel_node_t **sels; /* the selections, innermost first */
            uint32_t n;
            int qualified;      /* some selection has a dotted-name candidate */
            int32_t memo;       /* slot caching the prefix this path shares with others, or -1 */
            uint32_t memo_len;  /* selections in that prefix */
            int32_t memo2;      /* a shorter shared prefix of this path recorded on the way, or -1 */
            uint32_t memo2_len; /* selections in that one */
            int32_t gslot;      /* the root's global index when the root is a free variable, else -1 */
        } path;
        struct {
            sg_cel_node_t *range, *init, *cond, *step, *result;
            const char *iter_name, *iter2_name, *accu_name;
            int32_t iter, iter2, accu; /* local slots; iter2 = -1 for one-variable forms */
            sg_cel_node_t *pred;       /* all/exists: the predicate, evaluated directly (quantifier != 0) */
            int quantifier;            /* 0 = generic, 1 = all, 2 = exists */
        } compr;
    } u;
};

enum { NF_TEST = 1, NF_OPTIONAL = 2, NF_LOCAL = 4, NF_ROOT = 8 };

#define SG_CEL_ACCU_NAME "@result"
#define SG_CEL_MAX_MEMOS 32

/* ---- program ---- */

/* A string pointer read and written with relaxed atomics (caches shared by concurrent evaluations). */
typedef _Atomic(const char *) sg_cel__atomic_str_t;

struct st_sg_cel_program_t {
    sg_arena_t arena;
    char *source;
    size_t source_len;
    sg_cel_node_t *root;
    const char **globals;   /* names of free variables (incl. dotted candidates) */
    uint8_t *global_dotted; /* 1 when the name has a dot */
    /* Per free variable: the caller's name pointer and index seen last time. Callers pass the same name strings on
     * every evaluation, so pointer equality (checked against the caller's array) replaces strcmp. Relaxed atomics:
     * a stale or mixed pair only fails the check and falls back to the search. */
    sg_cel__atomic_str_t *global_name_cache;
    _Atomic uint32_t *global_index_cache;
    uint32_t nglobals;
    uint32_t nlocals;
    uint64_t cost_limit;
    void **regexes; /* to free with the program */
    uint32_t nregexes;
    void *match_ctx; /* PCRE2 match limits, shared read-only */
    uint32_t nmemos; /* shared path prefixes cached per evaluation (at most SG_CEL_MAX_MEMOS) */
    /* Variable names seen without a dot, by pointer (same assumption and same relaxed atomics as the global caches):
     * spares scanning every name for a dot on every evaluation of a path. Slot i % 4 for the i-th variable. */
    sg_cel__atomic_str_t plain_names[4];
};

/* ---- evaluation ---- */
struct st_sg_cel_ctx_t {
    const sg_cel_program_t *p;
    sg_arena_t *arena;
    sg_cel_value_t *locals;
    const sg_cel_value_t **globals; /* resolved lazily from vars: valid when the bit in `resolved` is set */
    uint64_t resolved;
    const sg_cel_var_t *vars;
    size_t nvars;
    int dotted_vars;
    void *regex_md;      /* PCRE2 match data for this evaluation, made on first use */
    uint32_t memo_valid; /* bit i: memo[i] holds this evaluation's value of shared prefix i */
    /* bit i: a path whose own (longest) shared prefix is i was evaluated. Such a path costs its selections plus 1 for
     * the variable the first time, its selections alone afterwards, whichever prefix values are cached. */
    uint32_t memo_seen;
    sg_cel_value_t *memo;
    uint64_t cost;
    uint64_t limit;
    int depth;
};

void sg_cel__eval(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out);
/** The generic evaluator every node starts with (dispatches on kind and operator). */
void sg_cel__eval_node(sg_cel_ctx_t *c, const sg_cel_node_t *n, sg_cel_value_t *out);
/** Gives every node of a compiled tree the evaluator for its shape (the last compile step). */
void sg_cel__specialise(sg_cel_node_t *n, int depth);
void sg_cel__binop(sg_cel_ctx_t *c, int op, sg_cel_value_t *out, const sg_cel_value_t *a, const sg_cel_value_t *b);
void sg_cel__unop(sg_cel_ctx_t *c, int op, sg_cel_value_t *out, const sg_cel_value_t *a);
/** Wraps `v` (NULL = none) as an optional value. */
void sg_cel__optional(sg_cel_ctx_t *c, const sg_cel_value_t *v, sg_cel_value_t *out);

/* ---- parse / compile ---- */
typedef struct st_sg_cel_parse_opts_t {
    size_t max_depth;
    int disable_macros;
} sg_cel_parse_opts_t;

/** Parses into an AST in `arena`; on failure *err has all messages formatted for humans. */
int sg_cel__parse(sg_cel_node_t **out, sg_arena_t *arena, const char *src, size_t len, const sg_cel_parse_opts_t *o,
                  sg_error_t *err);

/** Formats one error at byte `pos` as "ERROR: <input>:L:C: msg", the source line and a caret into *err. */
int sg_cel__error_at(sg_error_t *err, int code, const char *src, size_t len, uint32_t pos, const char *msg);

/* Node builders (parse.c) used by macro expansion. */
sg_cel_node_t *sg_cel__node(sg_arena_t *a, sg_cel_node_kind_t kind, uint32_t pos);
sg_cel_node_t *sg_cel__ident(sg_arena_t *a, const char *name, uint32_t pos);
sg_cel_node_t *sg_cel__call(sg_arena_t *a, sg_cel_op_t op, const char *name, uint32_t pos, int n, ...);
sg_cel_node_t *sg_cel__lit_bool(sg_arena_t *a, int b, uint32_t pos);

/** Expands a macro call when (name, receiver style, arg count) names one. Returns 1 with *out set (or *errmsg set on a
 * malformed macro), 0 when not a macro. */
int sg_cel__expand_macro(sg_cel_node_t **out, const char **errmsg, uint32_t *errpos, sg_arena_t *a, const char *name,
                         sg_cel_node_t *target, sg_cel_node_t **args, uint32_t nargs, uint32_t pos);

/* ---- library ---- */
/** The library entry for a function name, or NULL. */
const sg_cel_func_t *sg_cel__lookup_func(const char *name, int receiver);
/** Precompiles a constant regex argument of `matches`; returns the compiled pattern or NULL with *errmsg. */
void *sg_cel__regex_compile(const char *pat, size_t len, const char **errmsg, sg_arena_t *msg_arena);
void sg_cel__regex_free(void *re);
void *sg_cel__regex_match_context(void);
void sg_cel__regex_free_match_context(void *mc);
int sg_cel__regex_match(sg_cel_ctx_t *c, void *re, const char *s, size_t len); /* 1, 0, or -1 on error */

/* ---- values (value.c) ---- */
static inline sg_cel_value_t sg_cel__v(uint8_t kind)
{
    sg_cel_value_t v;
    v.hdr = SG_CEL_HDR(kind, 0, 0);
    v.u.u = 0;
    return v;
}

/* Builds a value with two whole-word stores (partial writes would stall store forwarding on every copy). */
static inline sg_cel_value_t sg_cel__mk(uint8_t kind, uint8_t rep, uint32_t len, uint64_t payload)
{
    sg_cel_value_t v;
    v.hdr = SG_CEL_HDR(kind, rep, len);
    v.u.u = payload;
    return v;
}
/* Inline twins of sg_cel_bool/sg_cel_int for the evaluator's hot paths. */
static inline sg_cel_value_t sg_cel__bool(int b)
{
    return sg_cel__mk(SG_CEL_BOOL, 0, 0, b != 0);
}

static inline sg_cel_value_t sg_cel__int(int64_t i)
{
    return sg_cel__mk(SG_CEL_INT, 0, 0, (uint64_t)i);
}

void sg_cel__err(sg_cel_ctx_t *c, sg_cel_value_t *out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sg_cel__err_overload(sg_cel_ctx_t *c, sg_cel_value_t *out, const char *fn, const sg_cel_value_t *args, int n);
void sg_cel__err_nomem(sg_cel_value_t *out);
void sg_cel__err_static(sg_cel_value_t *out, const char *msg);

/** 1 found, 0 absent, -1 invalid key type (out = error). */
int sg_cel__map_find(sg_cel_ctx_t *c, const sg_cel_value_t *m, const sg_cel_value_t *key, sg_cel_value_t *out);
int sg_cel__map_find_str(const sg_cel_value_t *m, const char *k, size_t klen, sg_cel_value_t *out);
/** Index of member `k` of JSON object `j` trying `hint` first; -1 when absent. */
int sg_cel__json_find(const sg_json_t *j, const char *k, size_t klen, uint32_t hint);
sg_cel_value_t sg_cel__from_json_slow(const sg_json_t *j);

/* Key comparison a word at a time: keys are short, and a libc call costs more than the comparison. Short keys are
 * compared with two overlapping loads of the largest width that fits, so no byte past either key is read. */
static inline int sg_cel__key_eq(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        if (n <= 16) {
            uint64_t x0, y0, x1, y1;
            memcpy(&x0, a, 8);
            memcpy(&y0, b, 8);
            memcpy(&x1, a + n - 8, 8);
            memcpy(&y1, b + n - 8, 8);
            return ((x0 ^ y0) | (x1 ^ y1)) == 0;
        }
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t x, y;
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return 0;
        }
        if (i < n) {
            uint64_t x, y;
            memcpy(&x, a + n - 8, 8);
            memcpy(&y, b + n - 8, 8);
            return x == y;
        }
        return 1;
    }
    if (n >= 4) {
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (n >= 2) {
        uint16_t x0, y0, x1, y1;
        memcpy(&x0, a, 2);
        memcpy(&y0, b, 2);
        memcpy(&x1, a + n - 2, 2);
        memcpy(&y1, b + n - 2, 2);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    return n == 0 || a[0] == b[0];
}
/** Equality: 1 equal, 0 not equal. */
int sg_cel__equal(const sg_cel_value_t *a, const sg_cel_value_t *b, int depth);
/** Ordering: -1/0/1, 2 = unordered (NaN), -2 = no overload for these types. */
int sg_cel__compare(const sg_cel_value_t *a, const sg_cel_value_t *b);
sg_cel_value_t sg_cel__type_value(const char *name);
const char *sg_cel__type_of(const sg_cel_value_t *v);
/** A growable native list in the context arena. */
sg_cel_list_t *sg_cel__list_new(sg_arena_t *a, uint32_t cap);
int sg_cel__list_push(sg_arena_t *a, sg_cel_list_t *l, const sg_cel_value_t *v);
sg_cel_map_t *sg_cel__map_new(sg_arena_t *a, uint32_t cap);
/** Inserts; returns 0, 1 when the key is already there, -1 bad key type, -2 out of memory. */
int sg_cel__map_put(sg_arena_t *a, sg_cel_map_t *m, const sg_cel_value_t *k, const sg_cel_value_t *v);
/** Count of Unicode code points in valid UTF-8 (sg_cel__utf8_len tries the ASCII case inline first). */
size_t sg_cel__utf8_count(const char *s, size_t len);

static inline size_t sg_cel__utf8_len(const char *s, size_t len)
{
    /* up to 16 bytes: two overlapping loads show whether every byte is ASCII, i.e. one code point each */
    uint64_t w0, w1;
    if (len >= 8 && len <= 16) {
        memcpy(&w0, s, 8);
        memcpy(&w1, s + len - 8, 8);
    } else if (len >= 4 && len < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + len - 4, 4);
        w0 = a;
        w1 = b;
    } else if (len < 4) {
        w0 = len > 0 ? (unsigned char)s[0] : 0;
        w1 = len > 1 ? (unsigned char)s[1] | ((unsigned char)s[len - 1] << 8) : 0;
    } else {
        return sg_cel__utf8_count(s, len);
    }
    if (((w0 | w1) & 0x8080808080808080ULL) == 0)
        return len;
    return sg_cel__utf8_count(s, len);
}
/** Decodes one code point at s (valid UTF-8); returns its byte length. */
int sg_cel__utf8_decode(const char *s, size_t len, uint32_t *cp);
int sg_cel__utf8_encode(char *out, uint32_t cp);
int sg_cel__utf8_valid(const char *s, size_t len);

/* ---- time (time.c) ---- */
#define SG_CEL_MIN_TS_SEC (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define SG_CEL_MAX_TS_SEC (253402300799LL) /* 9999-12-31T23:59:59Z */
#define SG_CEL_MAX_DUR_SEC (315576000000LL)
int sg_cel__parse_timestamp(const char *s, size_t len, int64_t *sec, int32_t *nsec);
int sg_cel__parse_duration(const char *s, size_t len, int64_t *sec, int32_t *nsec);
int sg_cel__format_timestamp(char *buf, size_t n, int64_t sec, int32_t nsec);
int sg_cel__format_duration(char *buf, size_t n, int64_t sec, int32_t nsec);
/** Offset in seconds east of UTC of time zone `tz` at instant `sec`; -1 on unknown zone. */
int sg_cel__tz_offset(const char *tz, size_t len, int64_t sec, int32_t *offset);
/** Go's strconv.FormatFloat(v, 'g', -1, 64). */
void sg_cel__format_double(char *buf, size_t n, double v);

#define SG_CEL_CHARGE(c, n) ((c)->cost += (n))

void sg_cel__err_cost(sg_cel_value_t *out);

/* Charges `n` before costly work (allocation, nested loops) and reports whether the budget is gone, with `out` set
 * to the cost error: sizes come from input, so the check must come before the work, not after. */
static inline int sg_cel__spend(sg_cel_ctx_t *c, uint64_t n, sg_cel_value_t *out)
{
    c->cost += n;
    if (c->cost <= c->limit)
        return 0;
    sg_cel__err_cost(out);
    return 1;
}

/* The lazy JSON view, inline for the common node types (numbers take the out-of-line path). */
static inline sg_cel_value_t sg_cel__from_json(const sg_json_t *j)
{
    /* tested in order of frequency: rules mostly end at strings */
    sg_json_type_t t = j->type;
    if (t == SG_JSON_STRING)
        return sg_cel__mk(SG_CEL_STRING, 0, (uint32_t)j->u.string.len, (uint64_t)(uintptr_t)j->u.string.ptr);
    if (t == SG_JSON_OBJECT)
        return sg_cel__mk(SG_CEL_MAP, SG_CEL_REP_JSON, 0, (uint64_t)(uintptr_t)j);
    if (t == SG_JSON_ARRAY)
        return sg_cel__mk(SG_CEL_LIST, SG_CEL_REP_JSON, 0, (uint64_t)(uintptr_t)j);
    if (t == SG_JSON_BOOL)
        return sg_cel__mk(SG_CEL_BOOL, 0, 0, j->u.boolean != 0);
    return sg_cel__from_json_slow(j);
}

static inline uint32_t sg_cel__list_len(const sg_cel_value_t *l)
{
    return l->rep == SG_CEL_REP_JSON ? (uint32_t)l->u.json->u.array.len : l->u.list->len;
}

static inline void sg_cel__list_get(const sg_cel_value_t *l, uint32_t i, sg_cel_value_t *out)
{
    if (l->rep == SG_CEL_REP_JSON)
        *out = sg_cel__from_json(l->u.json->u.array.items[i]);
    else
        *out = l->u.list->items[i];
}

static inline uint32_t sg_cel__map_len(const sg_cel_value_t *m)
{
    return m->rep == SG_CEL_REP_JSON ? (uint32_t)m->u.json->u.object.len : m->u.map->len;
}

static inline void sg_cel__map_entry(const sg_cel_value_t *m, uint32_t i, sg_cel_value_t *key, sg_cel_value_t *val)
{
    if (m->rep == SG_CEL_REP_JSON) {
        const sg_json_member_t *mem = &m->u.json->u.object.members[i];
        if (key != NULL)
            *key = sg_cel__mk(SG_CEL_STRING, 0, (uint32_t)mem->key_len, (uint64_t)(uintptr_t)mem->key);
        if (val != NULL)
            *val = sg_cel__from_json(mem->value);
    } else {
        if (key != NULL)
            *key = m->u.map->keys[i];
        if (val != NULL)
            *val = m->u.map->values[i];
    }
}

/* ---- type checking (check*.c) ---- */
typedef struct st_sg_cel_field_t {
    const char *name;
    const sg_cel_type_t *type;
} sg_cel_field_t;

/* A type: the kind plus up to two parameters (list element; map key and value; optional and type(T) content).
 * Objects have named fields; `open` objects accept any other field (typed dyn). Type parameters of the overload table
 * carry `sig` = 1 and a letter index in `id`; the checker's own type variables have `sig` = 0 and a number in `id`. */
struct st_sg_cel_type_t {
    uint8_t kind; /* sg_cel_type_kind_t */
    uint8_t open;
    uint8_t sig;
    uint32_t id;
    const sg_cel_type_t *p[2];
    const char *name;
    sg_cel_field_t *fields;
    uint32_t nfields, capfields;
};

typedef struct st_sg_cel_decl_t {
    const char *name;
    const sg_cel_type_t *type;
} sg_cel_decl_t;

struct st_sg_cel_env_t {
    sg_arena_t arena;
    sg_cel_decl_t *decls;
    size_t ndecls, capdecls;
};

/* One overload of the checker's function table: `params[0]` is the receiver of receiver-style overloads. */
#define SG_CEL_SIG_MAX_PARAMS 4
typedef struct st_sg_cel_sig_t {
    const char *name;
    uint8_t receiver;
    uint8_t nparams;
    const sg_cel_type_t *params[SG_CEL_SIG_MAX_PARAMS];
    const sg_cel_type_t *result;
} sg_cel_sig_t;

/** The overloads of `name` (both call styles) as a contiguous run of the static table, or NULL with *n = 0. The table
 * is built once per process; thread-safe. */
const sg_cel_sig_t *sg_cel__sigs(const char *name, size_t *n);
/** Parses a type written as the checker prints it ("list(map(string, int))"; `{a: int, b: string, *}` is an object
 * type, `*` making it open). With `sig_params`, single capital letters are overload type parameters. Types come from
 * `arena`. Returns SG_OK or SG_EINVALID / SG_ENOMEM with a message. */
int sg_cel__type_parse(const sg_cel_type_t **out, sg_arena_t *arena, const char *s, size_t len, int sig_params,
                       sg_error_t *err);
/** Builders over an arena (the public ones use the environment's). NULL when out of memory. */
const sg_cel_type_t *sg_cel__type_new(sg_arena_t *a, sg_cel_type_kind_t kind, const sg_cel_type_t *p0,
                                      const sg_cel_type_t *p1);
/** The declared type of `name` in `env`, or NULL. */
const sg_cel_type_t *sg_cel__env_lookup(const sg_cel_env_t *env, const char *name);

#endif
