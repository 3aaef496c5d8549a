/* Test helpers: capture log output through a pipe, and a strict parser for the flat JSON objects it holds. */
#ifndef SG_TEST_LOG_CAPTURE_H
#define SG_TEST_LOG_CAPTURE_H

#include <stddef.h>

#include <storygate/buf.h>

/* Redirects the log to a pipe drained by a reader thread. */
void capture_start(void);
/* Restores fd 2, waits for the reader and returns everything written (caller disposes). */
sg_buf_t capture_stop(void);

#define FLAT_MAX 80

/* One parsed line: keys and values decoded; `raw` says whether the value was a string (0) or a literal (1). */
typedef struct {
    size_t n;
    char *keys[FLAT_MAX];
    char *vals[FLAT_MAX];
    size_t vlens[FLAT_MAX];
    int raw[FLAT_MAX];
} flat_t;

/* Parses exactly one JSON object of scalar values spanning [s, s+n); 0 on success. Rejects invalid UTF-8. */
int flat_parse(flat_t *f, const char *s, size_t n);
/* The decoded value of `key`, or NULL. */
const char *flat_get(const flat_t *f, const char *key);
void flat_free(flat_t *f);

#endif
