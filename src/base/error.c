/* sg_error_t helpers: formatting, locations and wrapping of the one error type. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <storygate/error.h>
#include <storygate/utf8.h>

/* Messages end up in JSON bodies and logs, so they must be valid UTF-8 even when a "%.*s" or the buffer's size cut a
 * multi-byte sequence, or a caller formatted raw bytes: each byte outside a well-formed sequence becomes U+FFFD, as
 * Go's encoders do, and the result is cut back to the buffer on a sequence boundary. */
static void repair(char *msg, size_t cap)
{
    size_t n = strlen(msg), i = 0;
    while (i < n) {
        size_t w = (unsigned char)msg[i] < 0x80 ? 1 : sg_utf8_seq_len((const unsigned char *)msg + i, n - i);
        if (w == 0)
            break;
        i += w;
    }
    if (i == n)
        return;
    char out[SG_ERROR_MSG_MAX];
    size_t o = 0;
    memcpy(out, msg, i);
    o = i;
    while (i < n) {
        size_t w = (unsigned char)msg[i] < 0x80 ? 1 : sg_utf8_seq_len((const unsigned char *)msg + i, n - i);
        const char *src = w ? msg + i : "\xEF\xBF\xBD";
        size_t len = w ? w : 3;
        if (o + len >= cap || o + len >= sizeof(out))
            break;
        memcpy(out + o, src, len);
        o += len;
        i += w ? w : 1;
    }
    memcpy(msg, out, o);
    msg[o] = '\0';
}

static void set_message(sg_error_t *err, const char *fmt, va_list ap)
{
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    repair(err->message, sizeof(err->message));
}

int sg_error_set(sg_error_t *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    err->line = err->column = 0;
    err->path[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    set_message(err, fmt, ap);
    va_end(ap);
    return code;
}

int sg_error_setloc(sg_error_t *err, int code, const char *path, int line, int column, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    err->line = line;
    err->column = column;
    snprintf(err->path, sizeof(err->path), "%s", path != NULL ? path : "");
    va_list ap;
    va_start(ap, fmt);
    set_message(err, fmt, ap);
    va_end(ap);
    return code;
}

int sg_error_wrap(sg_error_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return SG_EINVALID;
    char old[SG_ERROR_MSG_MAX];
    memcpy(old, err->message, sizeof(old));
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(err->message)) {
        size_t used = (size_t)n, room = sizeof(err->message) - used;
        size_t oldlen = strnlen(old, sizeof(old) - 1);
        if (room > 2) {
            memcpy(err->message + used, ": ", 2);
            used += 2;
            room -= 2;
            size_t take = oldlen < room - 1 ? oldlen : room - 1;
            memcpy(err->message + used, old, take);
            err->message[used + take] = '\0';
        }
    }
    repair(err->message, sizeof(err->message));
    return err->code;
}

void sg_error_clear(sg_error_t *err)
{
    if (err != NULL)
        memset(err, 0, sizeof(*err));
}

const char *sg_error_name(int code)
{
    switch (code) {
    case SG_OK:
        return "ok";
    case SG_EINVALID:
        return "invalid";
    case SG_ENOTFOUND:
        return "not found";
    case SG_ECONFLICT:
        return "conflict";
    case SG_ELIMIT:
        return "limit exceeded";
    case SG_EIO:
        return "i/o error";
    case SG_ENOMEM:
        return "out of memory";
    case SG_EUNSUPPORTED:
        return "unsupported";
    case SG_EUNAVAILABLE:
        return "unavailable";
    default:
        return "unknown error";
    }
}
