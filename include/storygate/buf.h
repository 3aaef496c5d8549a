/* A growable byte buffer on the heap, for building responses, encodings and messages. */
#ifndef STORYGATE_BUF_H
#define STORYGATE_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* Embed and use sg_buf_init/sg_buf_dispose. `base` is always NUL-terminated after a successful append.
 * Appends never fail silently: after an allocation failure `oom` is set and further appends are ignored. */
typedef struct st_sg_buf_t {
    char *base;
    size_t len;
    size_t cap;
    int oom;
} sg_buf_t;

#define SG_BUF_INIT                                                                                                    \
    {                                                                                                                  \
        NULL, 0, 0, 0                                                                                                  \
    }

/** Prepares an empty buffer. */
void sg_buf_init(sg_buf_t *b);
/** Frees the storage; the buffer is then empty. NULL is accepted. */
void sg_buf_dispose(sg_buf_t *b);
/** Empties the buffer, keeping its storage. */
void sg_buf_reset(sg_buf_t *b);
/** Ensures room for `extra` more bytes plus a NUL. Returns 0 or SG_ENOMEM. */
int sg_buf_reserve(sg_buf_t *b, size_t extra);
/** Appends bytes. Returns 0 or SG_ENOMEM. */
int sg_buf_append(sg_buf_t *b, const void *data, size_t n);
/** Appends a NUL-terminated string. */
int sg_buf_puts(sg_buf_t *b, const char *s);
/** Appends one byte. */
int sg_buf_putc(sg_buf_t *b, char c);
/** Appends formatted text. */
int sg_buf_printf(sg_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** va_list form of sg_buf_printf. */
int sg_buf_vprintf(sg_buf_t *b, const char *fmt, va_list ap);
/** Hands the storage to the caller (free() it) and empties the buffer; never NULL unless oom. */
char *sg_buf_detach(sg_buf_t *b, size_t *len);

#endif
