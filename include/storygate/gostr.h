/* Go string semantics every module needs to match the reference byte for byte: byte spans, strings.TrimSpace,
 * strconv.Quote (%q), and utf8.DecodeRune. Pure functions; all thread-safe. Implemented in src/identity/. */
#ifndef STORYGATE_GOSTR_H
#define STORYGATE_GOSTR_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/buf.h>

/* A borrowed byte string (not necessarily NUL-terminated). */
typedef struct st_sg_span_t {
    const char *ptr;
    size_t len;
} sg_span_t;

/** A span over a NUL-terminated string (NULL gives the empty span). Borrowed. */
sg_span_t sg_span_cstr(const char *s);
/** A span over `s[0..len)`. */
sg_span_t sg_span_make(const char *s, size_t len);
/** 1 when the two spans hold the same bytes. */
int sg_span_eq(sg_span_t a, sg_span_t b);
/** 1 when the span holds exactly the NUL-terminated `s`. */
int sg_span_eq_cstr(sg_span_t a, const char *s);

/** Go's strings.TrimSpace: the sub-span without leading/trailing Unicode white space (U+0009-000D, U+0020, U+0085,
 * U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000). Borrows from `s`. */
sg_span_t sg_go_trim_space(sg_span_t s);

/** Go's utf8.DecodeRune on s[0..n) (n >= 1): the code point and its byte length in `*width`; an invalid, incomplete
 * or non-shortest sequence, a surrogate or a value above U+10FFFF gives U+FFFD with width 1. */
uint32_t sg_go_decode_rune(const char *s, size_t n, size_t *width);

/** Appends Go's strconv.Quote(s) (the `%q` verb): "..." with \" \\ \a \b \f \n \r \t \v, \xHH for other control
 * bytes, DEL and invalid UTF-8, \uHHHH / \UHHHHHHHH for non-printable runes, printable UTF-8 kept. Returns 0 or
 * SG_ENOMEM. */
int sg_go_quote(sg_buf_t *out, const char *s, size_t len);

/** 1 when Go's strconv.IsPrint(cp): letters, marks, numbers, punctuation, symbols and U+0020. */
int sg_go_is_print(uint32_t cp);

#endif
