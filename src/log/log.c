/* The log front end: level filter, timestamp, typed fields from varargs, and one write(2) per line so that lines
 * from different threads never interleave. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Bounds a call whose NULL terminator went missing. */
#define MAX_FIELDS 64

static _Atomic int g_level = SG_LOG_INFO;
static _Atomic int g_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sg_log_set_level(sg_log_level_t level)
{
    if (level < SG_LOG_DEBUG)
        level = SG_LOG_DEBUG;
    if (level > SG_LOG_ERROR)
        level = SG_LOG_ERROR;
    atomic_store_explicit(&g_level, (int)level, memory_order_relaxed);
}

sg_log_level_t sg_log_get_level(void)
{
    return (sg_log_level_t)atomic_load_explicit(&g_level, memory_order_relaxed);
}

int sg_log_enabled(sg_log_level_t level)
{
    return (int)level >= atomic_load_explicit(&g_level, memory_order_relaxed);
}

const char *sg_log_level_name(sg_log_level_t level)
{
    if (level < SG_LOG_DEBUG || level > SG_LOG_ERROR)
        return "unknown";
    return level_names[level];
}

int sg_log_parse_level(sg_log_level_t *out, const char *name, sg_error_t *err)
{
    if (name != NULL) {
        for (int i = SG_LOG_DEBUG; i <= SG_LOG_ERROR; i++) {
            if (strcasecmp(name, level_names[i]) == 0) {
                *out = (sg_log_level_t)i;
                return SG_OK;
            }
        }
        if (strcasecmp(name, "warning") == 0) {
            *out = SG_LOG_WARN;
            return SG_OK;
        }
    }
    return sg_error_set(err, SG_EINVALID, "unknown log level \"%.64s\" (want debug, info, warn or error)",
                        name != NULL ? name : "");
}

int sg_log_set_fd(int fd)
{
    return atomic_exchange(&g_fd, fd);
}

static void put_header(sg_log_line_t *l, sg_log_level_t level, const char *msg, size_t msglen)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char head[96];
    int n = snprintf(head, sizeof(head),
                     "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"msg\":", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     sg_log_level_name(level));
    sg_log__line_raw(l, head, (size_t)n);
    sg_log__line_str(l, msg, msglen);
}

static void put_error(sg_log_line_t *l, const sg_error_t *e)
{
    char text[SG_ERROR_PATH_MAX + SG_ERROR_MSG_MAX + 48];
    int n;
    if (e->path[0] != '\0' && e->line > 0)
        n = snprintf(text, sizeof(text), "%s:%d:%d: %s", e->path, e->line, e->column, e->message);
    else if (e->path[0] != '\0')
        n = snprintf(text, sizeof(text), "%s: %s", e->path, e->message);
    else if (e->line > 0)
        n = snprintf(text, sizeof(text), "%d:%d: %s", e->line, e->column, e->message);
    else
        n = snprintf(text, sizeof(text), "%s", e->message);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(text))
        n = sizeof(text) - 1;
    sg_log__line_str(l, text, (size_t)n);
}

/* Appends one field; returns 0, or -1 when the line is full or the type is unknown (the varargs can't go on). */
static int put_field(sg_log_line_t *l, const char *key, va_list *ap)
{
    size_t start = l->len;
    int type = va_arg(*ap, int);
    if (sg_log__line_raw(l, ",", 1) < 0 || sg_log__line_str(l, key, strlen(key)) < 0 || sg_log__line_raw(l, ":", 1) < 0)
        goto rollback;
    char num[32];
    int n;
    switch (type) {
    case SG_LOG_STR: {
        const char *s = va_arg(*ap, const char *);
        if (s == NULL)
            return sg_log__line_raw(l, "null", 4) < 0 ? (l->len = start, -1) : 0;
        return sg_log__line_str(l, s, strlen(s));
    }
    case SG_LOG_STRN: {
        const char *s = va_arg(*ap, const char *);
        size_t len = va_arg(*ap, size_t);
        if (s == NULL)
            return sg_log__line_raw(l, "null", 4) < 0 ? (l->len = start, -1) : 0;
        return sg_log__line_str(l, s, len);
    }
    case SG_LOG_INT:
        n = snprintf(num, sizeof(num), "%d", va_arg(*ap, int));
        break;
    case SG_LOG_I64:
        n = snprintf(num, sizeof(num), "%lld", va_arg(*ap, long long));
        break;
    case SG_LOG_U64:
        n = snprintf(num, sizeof(num), "%llu", va_arg(*ap, unsigned long long));
        break;
    case SG_LOG_BOOL:
        n = snprintf(num, sizeof(num), "%s", va_arg(*ap, int) ? "true" : "false");
        break;
    case SG_LOG_DBL:
        if (sg_log__line_double(l, va_arg(*ap, double)) < 0)
            goto rollback;
        return 0;
    case SG_LOG_ERR: {
        const sg_error_t *e = va_arg(*ap, const sg_error_t *);
        if (e == NULL)
            return sg_log__line_raw(l, "null", 4) < 0 ? (l->len = start, -1) : 0;
        put_error(l, e);
        return l->full ? -1 : 0;
    }
    default:
        l->len = start;
        sg_log__line_raw(l, ",\"badfield\":", 12);
        sg_log__line_str(l, key, strlen(key));
        return -1;
    }
    if (sg_log__line_raw(l, num, (size_t)n) < 0)
        goto rollback;
    return 0;
rollback:
    /* A key without its value would not be JSON: drop the whole field. */
    l->len = start;
    l->full = 1;
    return -1;
}

static void emit(sg_log_line_t *l)
{
    sg_log__line_finish(l);
    int fd = atomic_load_explicit(&g_fd, memory_order_relaxed);
    const char *p = l->p;
    size_t left = l->len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
}

void sg_logv(sg_log_level_t level, const char *msg, va_list ap)
{
    if (!sg_log_enabled(level))
        return;
    sg_log_line_t l;
    sg_log__line_init(&l);
    if (msg == NULL)
        msg = "";
    put_header(&l, level, msg, strlen(msg));
    va_list aq;
    va_copy(aq, ap);
    const char *key;
    for (int i = 0; i < MAX_FIELDS && !l.full && (key = va_arg(aq, const char *)) != NULL; i++)
        if (put_field(&l, key, &aq) < 0)
            break;
    va_end(aq);
    emit(&l);
    sg_log__line_dispose(&l);
}

void sg_log(sg_log_level_t level, const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    sg_logv(level, msg, ap);
    va_end(ap);
}

void sg_logf(sg_log_level_t level, const char *fmt, ...)
{
    if (!sg_log_enabled(level))
        return;
    char small[512];
    char *msg = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        n = 0;
        small[0] = '\0';
    } else if ((size_t)n >= sizeof(small)) {
        /* Longer than a line can hold is cut anyway, so cap the allocation there. */
        size_t size = (size_t)n < SG_LOG_LINE_MAX ? (size_t)n + 1 : SG_LOG_LINE_MAX;
        char *big = malloc(size);
        if (big != NULL) {
            va_start(ap, fmt);
            vsnprintf(big, size, fmt, ap);
            va_end(ap);
            msg = big;
            n = (int)(size - 1);
        } else {
            n = sizeof(small) - 1;
        }
    }
    sg_log_line_t l;
    sg_log__line_init(&l);
    put_header(&l, level, msg, (size_t)n);
    emit(&l);
    sg_log__line_dispose(&l);
    if (msg != small)
        free(msg);
}
