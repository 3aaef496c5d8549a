/* Growable heap buffer; sticky out-of-memory flag so long append chains check once at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/buf.h>
#include <storygate/error.h>

void sg_buf_init(sg_buf_t *b)
{
    memset(b, 0, sizeof(*b));
}

void sg_buf_dispose(sg_buf_t *b)
{
    if (b == NULL)
        return;
    free(b->base);
    memset(b, 0, sizeof(*b));
}

void sg_buf_reset(sg_buf_t *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->base != NULL)
        b->base[0] = '\0';
}

int sg_buf_reserve(sg_buf_t *b, size_t extra)
{
    if (b->oom)
        return SG_ENOMEM;
    if (extra >= (size_t)-1 - b->len - 1)
        goto fail;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return SG_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > ((size_t)-1) / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *p = realloc(b->base, cap);
    if (p == NULL)
        goto fail;
    b->base = p;
    b->cap = cap;
    return SG_OK;
fail:
    b->oom = 1;
    return SG_ENOMEM;
}

int sg_buf_append(sg_buf_t *b, const void *data, size_t n)
{
    if (sg_buf_reserve(b, n) < 0)
        return SG_ENOMEM;
    if (n != 0)
        memcpy(b->base + b->len, data, n);
    b->len += n;
    b->base[b->len] = '\0';
    return SG_OK;
}

int sg_buf_puts(sg_buf_t *b, const char *s)
{
    return sg_buf_append(b, s, strlen(s));
}

int sg_buf_putc(sg_buf_t *b, char c)
{
    return sg_buf_append(b, &c, 1);
}

int sg_buf_vprintf(sg_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return SG_EINVALID;
    if ((size_t)n < sizeof(small))
        return sg_buf_append(b, small, (size_t)n);
    if (sg_buf_reserve(b, (size_t)n) < 0)
        return SG_ENOMEM;
    vsnprintf(b->base + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return SG_OK;
}

int sg_buf_printf(sg_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = sg_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

char *sg_buf_detach(sg_buf_t *b, size_t *len)
{
    if (b->oom)
        return NULL;
    if (b->base == NULL && sg_buf_reserve(b, 0) < 0)
        return NULL;
    b->base[b->len] = '\0';
    char *p = b->base;
    if (len != NULL)
        *len = b->len;
    memset(b, 0, sizeof(*b));
    return p;
}
