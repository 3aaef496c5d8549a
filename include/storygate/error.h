/* The one error type of storygate: a negative code plus a human message with an optional location. */
#ifndef STORYGATE_ERROR_H
#define STORYGATE_ERROR_H

#include <stddef.h>

enum {
    SG_OK = 0,
    SG_EINVALID = -1,     /* input violates a rule; message says which */
    SG_ENOTFOUND = -2,    /* the named object does not exist */
    SG_ECONFLICT = -3,    /* already exists, or a precondition (resourceVersion) failed */
    SG_ELIMIT = -4,       /* a size, depth, count or cost limit was exceeded */
    SG_EIO = -5,          /* the operating system or a peer failed */
    SG_ENOMEM = -6,       /* allocation failed */
    SG_EUNSUPPORTED = -7, /* valid but not handled here */
    SG_EUNAVAILABLE = -8, /* transient: retry later (overload, leader lost, store busy) */
};

#define SG_ERROR_MSG_MAX 1024
#define SG_ERROR_PATH_MAX 256

/* Details of a failure. `path` is a JSON path or file name, `line`/`column` are 1-based (0 = unknown). */
typedef struct st_sg_error_t {
    int code;
    int line;
    int column;
    char path[SG_ERROR_PATH_MAX];
    char message[SG_ERROR_MSG_MAX];
} sg_error_t;

#define SG_ERROR_INIT                                                                                                  \
    {                                                                                                                  \
        0, 0, 0, {0},                                                                                                  \
        {                                                                                                              \
            0                                                                                                          \
        }                                                                                                              \
    }

/** Sets `err` (may be NULL) to `code` and a printf-style message; returns `code` so callers can `return
 * sg_error_set(...)`. */
int sg_error_set(sg_error_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** Like sg_error_set, with a location (path may be NULL). */
int sg_error_setloc(sg_error_t *err, int code, const char *path, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/** Prepends "prefix: " to the message, keeping the code. Returns the code. */
int sg_error_wrap(sg_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Clears `err` to SG_OK. */
void sg_error_clear(sg_error_t *err);
/** A static name for an error code ("invalid", "not found", ...). Thread-safe. */
const char *sg_error_name(int code);

#endif
