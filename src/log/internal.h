/* Private to the log module: a bounded line builder that JSON-escapes into a stack buffer, spilling to the heap. */
#ifndef STORYGATE_LOG_INTERNAL_H
#define STORYGATE_LOG_INTERNAL_H

#include <stddef.h>

#include <storygate/log.h>

#define SG_LOG__STACK 4096
/* Room always kept free for the `","truncated":true}\n` that closes a cut line. */
#define SG_LOG__TAIL 32

typedef struct st_sg_log_line_t {
    char *p;
    size_t len;
    size_t cap;
    int full; /* a write did not fit: nothing more is appended */
    char stack[SG_LOG__STACK];
} sg_log_line_t;

/** Prepares an empty line using its embedded stack storage. */
void sg_log__line_init(sg_log_line_t *l);
/** Frees heap storage, if any. */
void sg_log__line_dispose(sg_log_line_t *l);
/** Appends raw bytes; all or nothing. Returns 0, or -1 (and sets `full`) when the line limit is reached. */
int sg_log__line_raw(sg_log_line_t *l, const char *s, size_t n);
/** Appends `s[0..n)` as a quoted JSON string. On overflow keeps the escaped prefix that fits, closes the quote,
 * sets `full` and returns -1. Invalid UTF-8 bytes become \ufffd. */
int sg_log__line_str(sg_log_line_t *l, const char *s, size_t n);
/** Appends a double the way JSON can carry it: shortest round-trip digits, or a string for NaN/Inf. */
int sg_log__line_double(sg_log_line_t *l, double v);
/** Ends the object (adding "truncated":true when cut) and the newline. Always succeeds thanks to the tail room. */
void sg_log__line_finish(sg_log_line_t *l);

#endif
