/* Structured logging: one JSON object per line on stderr, {"ts","level","msg", fields...}, one write(2) per line. */
#ifndef STORYGATE_LOG_H
#define STORYGATE_LOG_H

#include <stdarg.h>

#include <storygate/error.h>

typedef enum en_sg_log_level_t {
    SG_LOG_DEBUG = 0,
    SG_LOG_INFO = 1,
    SG_LOG_WARN = 2,
    SG_LOG_ERROR = 3,
} sg_log_level_t;

/* Field types for sg_log: each field is `key, type, value` where value has exactly the C type noted (varargs!). */
typedef enum en_sg_log_field_t {
    SG_LOG_STR = 1, /* const char *; NULL is written as null */
    SG_LOG_STRN,    /* const char *, size_t length: bytes need not be NUL-terminated */
    SG_LOG_INT,     /* int */
    SG_LOG_I64,     /* long long (int64_t) */
    SG_LOG_U64,     /* unsigned long long (uint64_t, size_t cast) */
    SG_LOG_DBL,     /* double; NaN and infinities are written as strings */
    SG_LOG_BOOL,    /* int: 0 = false, else true */
    SG_LOG_ERR,     /* const sg_error_t *: its message (with location if any); NULL is written as null */
} sg_log_field_t;

/* A line longer than this is cut: the value being written is truncated and "truncated":true closes the object. */
#define SG_LOG_LINE_MAX 65536

/** Writes one line at `level` if enabled: `msg`, then fields `key, sg_log_field_t, value...` ended by a NULL key.
 * Keys and string values are JSON-escaped (invalid UTF-8 becomes \ufffd). Thread-safe; never fails visibly. */
void sg_log(sg_log_level_t level, const char *msg, ...) __attribute__((sentinel));
/** va_list form of sg_log. */
void sg_logv(sg_log_level_t level, const char *msg, va_list ap);
/** Writes one line whose msg is printf-formatted, with no fields. Thread-safe. */
void sg_logf(sg_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Shorthands: sg_log_info("listening", "addr", SG_LOG_STR, addr, "threads", SG_LOG_INT, n, NULL). */
#define sg_log_debug(...) sg_log(SG_LOG_DEBUG, __VA_ARGS__)
#define sg_log_info(...) sg_log(SG_LOG_INFO, __VA_ARGS__)
#define sg_log_warn(...) sg_log(SG_LOG_WARN, __VA_ARGS__)
#define sg_log_error(...) sg_log(SG_LOG_ERROR, __VA_ARGS__)

/** Sets the minimum level written (default SG_LOG_INFO). Thread-safe (atomic). */
void sg_log_set_level(sg_log_level_t level);
/** The current minimum level. Thread-safe. */
sg_log_level_t sg_log_get_level(void);
/** Whether a line at `level` would be written; check it before building expensive fields. Thread-safe. */
int sg_log_enabled(sg_log_level_t level);
/** Parses "debug", "info", "warn"/"warning" or "error" (case-insensitive) into `*out`. Returns SG_OK or
 * SG_EINVALID (with a message in `err`, may be NULL). */
int sg_log_parse_level(sg_log_level_t *out, const char *name, sg_error_t *err);
/** The lower-case name of a level ("info"); a static string. */
const char *sg_log_level_name(sg_log_level_t level);
/** Redirects output to `fd` (default 2) and returns the previous fd; for tests. The fd is borrowed. Thread-safe. */
int sg_log_set_fd(int fd);

#endif
