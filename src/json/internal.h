/* Private parts of the json module: the Go-compatible syntax scanner that validates a document before the tree is
 * built, string unquoting with Go's U+FFFD rules, and float64 <-> decimal helpers. */
#ifndef STORYGATE_JSON_INTERNAL_H
#define STORYGATE_JSON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/json.h>

/* Go's decoder refuses to open more than this many arrays/objects. */
#define SG_JSON__GO_MAX_DEPTH 10000

/* Outcome of sg_json__scan: 0 when the document is valid, otherwise a code with the message, position and the
 * JSON Pointer of the innermost open container already written to `err`. */
typedef struct st_sg_json__scan_opts_t {
    sg_json_dialect_t dialect;
    size_t max_depth;  /* effective limit, >= 1 */
    size_t max_string; /* 0 = unlimited; raw bytes between the quotes */
} sg_json__scan_opts_t;

/** Validates `buf[0..len)` as Go's checkValid does (and, in STRICT, UTF-8 inside strings). Thread-safe. */
int sg_json__scan(const char *buf, size_t len, const sg_json__scan_opts_t *opts, sg_error_t *err);

/** Formats an error at byte `offset` of `buf` for the STRICT dialect: "invalid JSON at line L, column C: reason". */
int sg_json__error_at(sg_error_t *err, int code, const char *buf, size_t len, size_t offset, const char *path,
                      const char *reason);

/** Go's quoteChar: byte `c` as a character literal of the code point with the same value ('x', '\\t', 'ÿ'). */
void sg_json__go_quote_char(char *out, size_t cap, unsigned char c);

/** A readable name of byte `c` for STRICT messages ("character 'x'", "byte 0x0B", "space"). */
void sg_json__describe_byte(char *out, size_t cap, unsigned char c);

/** 1-based line and column (in characters) of byte `offset`. */
void sg_json__position(const char *buf, size_t len, size_t offset, int *line, int *column);

/** Decodes the string token `tok[0..len)` (including both quotes, already validated by the scanner) with Go's
 * unquote rules into a NUL-terminated arena copy; `utf8_checked` says the scanner has verified its UTF-8.
 * Returns NULL when out of memory. */
char *sg_json__unquote(sg_arena_t *arena, const char *tok, size_t len, int utf8_checked, size_t *out_len);

/** Decodes one UTF-8 code point at s[0..n) as Go's utf8.DecodeRune; returns its length (1 with *cp = 0xFFFD on
 * an invalid or incomplete sequence). n must be >= 1. */
size_t sg_json__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/** strtod in the C locale (correctly rounded in glibc). */
double sg_json__strtod(const char *s, size_t len);

/** sg_json_write_go_number for a value correctly rounded from the lexeme `text[0..len)` (a parsed number's text),
 * which short lexemes let skip the shortest-digits search; the output is the same. `text` may be NULL. */
int sg_json__write_go_number_lexeme(sg_buf_t *out, double v, const char *text, size_t len);

/** Appends a JSON Pointer path segment ('/' + escaped token) to a bounded C string buffer. */
void sg_json__path_append(char *path, size_t cap, const char *tok, size_t len);

/** A zeroed node of type `t` from the arena, or NULL. */
sg_json_t *sg_json__node(sg_arena_t *arena, sg_json_type_t t);

#endif
