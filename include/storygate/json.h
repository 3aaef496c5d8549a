/* The JSON value model: an arena-backed tree parsed once by yajl, JSON Pointer paths, and two encoders —
 * a compact one that keeps number text as received, and Go's encoding/json.Marshal byte for byte. */
#ifndef STORYGATE_JSON_H
#define STORYGATE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/arena.h>
#include <storygate/buf.h>
#include <storygate/error.h>

typedef struct st_sg_json_t sg_json_t;

typedef enum en_sg_json_type_t {
    SG_JSON_NULL = 0,
    SG_JSON_BOOL,
    SG_JSON_NUMBER,
    SG_JSON_STRING,
    SG_JSON_ARRAY,
    SG_JSON_OBJECT,
} sg_json_type_t;

typedef struct st_sg_json_member_t {
    const char *key; /* NUL-terminated, may contain NUL bytes before key_len */
    size_t key_len;
    sg_json_t *value;
} sg_json_member_t;

/* A node. Strings are NUL-terminated copies in the arena (len excludes the NUL).
 * Objects keep members in first-appearance order with duplicates folded (the last value wins, as in Go).
 * Numbers keep the source lexeme in `text` (NULL for numbers built in code) and its float64 in `number`. */
struct st_sg_json_t {
    sg_json_type_t type;
    union {
        int boolean;
        struct {
            double value;
            const char *text;
            size_t text_len;
        } number;
        struct {
            const char *ptr;
            size_t len;
        } string;
        struct {
            sg_json_t **items;
            size_t len;
            size_t _cap;            /* room behind _cap_items; used by sg_json_array_push only while */
            sg_json_t **_cap_items; /* it equals items, so code may replace items/len freely */
        } array;
        struct {
            sg_json_member_t *members;
            size_t len;
            size_t _cap; /* as for arrays */
            sg_json_member_t *_cap_members;
        } object;
    } u;
    /* The exact source bytes of this value (containers and scalars); NULL for values built in code. */
    const char *raw;
    size_t raw_len;
    /* 1-based source position when the value came from YAML (config, CRDs, policies); 0 otherwise. */
    uint32_t line;
    uint32_t column;
};

typedef enum en_sg_json_dialect_t {
    /* Strict RFC 8259 as storygate accepts request bodies: invalid UTF-8 is an error (escaped lone surrogates decode
     * to U+FFFD, as in Go). */
    SG_JSON_STRICT = 0,
    /* Go's encoding/json.Unmarshal into interface{} (spec §2.5.1): invalid UTF-8 and bad surrogate escapes become
     * U+FFFD, depth limit 10000 unless max_depth is lower, numbers out of float64 range are errors, and error messages
     * are Go's decoder messages byte for byte. */
    SG_JSON_GO,
} sg_json_dialect_t;

typedef struct st_sg_json_parse_opts_t {
    sg_json_dialect_t dialect;
    size_t max_bytes;  /* 0 = unlimited */
    size_t max_depth;  /* open arrays/objects; 0 = 10000 (Go's limit) */
    size_t max_string; /* longest string or key in bytes as written between the quotes; 0 = unlimited */
} sg_json_parse_opts_t;

#define SG_JSON_PARSE_OPTS_INIT                                                                                        \
    {                                                                                                                  \
        SG_JSON_STRICT, 0, 0, 0                                                                                        \
    }

/** Parses `buf[0..len)` into a tree allocated in `arena` (the caller owns the arena; the tree borrows nothing from
 * `buf` except `raw` spans, so `buf` must outlive the tree when `raw` is used). On failure returns SG_EINVALID (syntax,
 * types), SG_ELIMIT (size, depth, string length) or SG_ENOMEM, and `err` has the message: in the STRICT dialect with
 * line/column (column in characters) and the JSON Pointer of the innermost container being parsed in `err->path`
 * ("invalid JSON at line 3, column 14: <reason>"); in the GO dialect exactly Go's decoder message (e.g. "invalid
 * character 'x' after top-level value"). Thread-safe. */
int sg_json_parse(sg_json_t **out, sg_arena_t *arena, const char *buf, size_t len, const sg_json_parse_opts_t *opts,
                  sg_error_t *err);

/** The member `key` of an object, or NULL when absent or `obj` is not an object. Borrowed. */
sg_json_t *sg_json_get(const sg_json_t *obj, const char *key);
/** The member with a key of explicit length. Borrowed. */
sg_json_t *sg_json_getn(const sg_json_t *obj, const char *key, size_t key_len);
/** Follows dotted object keys ("spec.deliveryIdentity.key"); NULL when any step is missing. Borrowed. */
sg_json_t *sg_json_path(const sg_json_t *root, const char *dotted);
/** Resolves an RFC 6901 JSON Pointer ("/spec/inputs/a~1b", "/items/0"); NULL when missing. Borrowed. */
sg_json_t *sg_json_pointer(const sg_json_t *root, const char *pointer);
/** The string value, or NULL when `v` is NULL or not a string. `len` (may be NULL) gets its length. */
const char *sg_json_string(const sg_json_t *v, size_t *len);
/** 1 when `v` is a string equal to `s`. */
int sg_json_string_eq(const sg_json_t *v, const char *s);
/** Appends `s` escaped as a JSON Pointer token (~ -> ~0, / -> ~1). */
int sg_json_pointer_escape(sg_buf_t *out, const char *s, size_t len);
/** A static name for a type ("object", "string", ...), as used in error messages. */
const char *sg_json_type_name(sg_json_type_t t);

/* Building values in code (all memory from `arena`; NULL on allocation failure). */
sg_json_t *sg_json_new_null(sg_arena_t *arena);
sg_json_t *sg_json_new_bool(sg_arena_t *arena, int b);
sg_json_t *sg_json_new_number(sg_arena_t *arena, double v);
/** An integer-valued number whose `text` is its exact decimal form (for int64 beyond 2^53). */
sg_json_t *sg_json_new_int(sg_arena_t *arena, int64_t v);
sg_json_t *sg_json_new_string(sg_arena_t *arena, const char *s, size_t len);
sg_json_t *sg_json_new_array(sg_arena_t *arena);
sg_json_t *sg_json_new_object(sg_arena_t *arena);
/** Appends to an array (amortised O(1); a shallow struct copy shares storage, so push to one copy only). Returns 0,
 * SG_EINVALID (not an array) or SG_ENOMEM. */
int sg_json_array_push(sg_arena_t *arena, sg_json_t *arr, sg_json_t *item);
/** Sets `key` in an object, replacing an existing member in place (a linear search). Returns 0, SG_EINVALID or
 * SG_ENOMEM. */
int sg_json_object_set(sg_arena_t *arena, sg_json_t *obj, const char *key, sg_json_t *value);
/** Removes `key` from an object; returns 1 if it was there. */
int sg_json_object_remove(sg_json_t *obj, const char *key);
/** A deep copy into `arena` (raw spans are kept pointing at the original source). */
sg_json_t *sg_json_clone(sg_arena_t *arena, const sg_json_t *v);
/** Deep equality by JSON value (numbers by float64 value, objects regardless of member order). */
int sg_json_equal(const sg_json_t *a, const sg_json_t *b);

/** Compact encoding: members in tree order, numbers as their source text when they have one (Go-formatted float64
 * otherwise), strings escaped minimally (", \, control characters) with UTF-8 kept. Returns 0 or SG_ENOMEM. */
int sg_json_encode(sg_buf_t *out, const sg_json_t *v);
/** Go's json.Marshal of the value as decoded into interface{} (spec §2.5.2): keys sorted by UTF-8 bytes, float64
 * shortest round-trip formatting, HTML-safe escaping, U+2028/2029 escaped, \b \f short forms. Returns 0 or SG_ENOMEM.
 * This is the canonical form the input hash is computed over. */
int sg_json_encode_go(sg_buf_t *out, const sg_json_t *v);
/** Appends `s[0..len)` as a JSON string literal (compact-encoder escaping). */
int sg_json_write_string(sg_buf_t *out, const char *s, size_t len);
/** Appends a float64 formatted as Go's encoding/json does ("1e+21", "0.000001", "-0"). */
int sg_json_write_go_number(sg_buf_t *out, double v);

/** 1 when `s[0..len)` is valid UTF-8 (shortest form, no surrogates, <= U+10FFFF). */
int sg_utf8_valid(const char *s, size_t len);

#endif
