/* Bump allocator: chunks of at least _chunk_size, freed all at once. SG_DEBUG_POOL makes each object a malloc. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/arena.h>

struct st_sg_arena_chunk_t {
    sg_arena_chunk_t *next;
    size_t size;
    _Alignas(16) char data[];
};

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

void sg_arena_init(sg_arena_t *a, size_t chunk_size)
{
    memset(a, 0, sizeof(*a));
    a->_chunk_size = chunk_size ? chunk_size : 16384;
}

void sg_arena_dispose(sg_arena_t *a)
{
    if (a == NULL)
        return;
    sg_arena_chunk_t *c = a->_chunks;
    while (c != NULL) {
        sg_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->_chunks = NULL;
    a->_cur = a->_end = NULL;
    a->_total = 0;
}

void sg_arena_reset(sg_arena_t *a)
{
#ifdef SG_DEBUG_POOL
    sg_arena_dispose(a);
#else
    /* Keep the most recently added chunk (the largest in practice), free the rest. */
    sg_arena_chunk_t *keep = a->_chunks;
    if (keep == NULL)
        return;
    sg_arena_chunk_t *c = keep->next;
    while (c != NULL) {
        sg_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    keep->next = NULL;
    a->_cur = keep->data;
    a->_end = keep->data + keep->size;
    a->_total = 0;
#endif
}

static void *add_chunk(sg_arena_t *a, size_t n)
{
    size_t size = n > a->_chunk_size ? n : a->_chunk_size;
#ifdef SG_DEBUG_POOL
    size = n;
#endif
    if (size > SIZE_MAX - sizeof(sg_arena_chunk_t))
        return NULL;
    sg_arena_chunk_t *c = malloc(sizeof(*c) + size);
    if (c == NULL)
        return NULL;
    c->size = size;
#ifdef SG_DEBUG_POOL
    c->next = a->_chunks;
    a->_chunks = c;
    return c->data;
#else
    if (n >= a->_chunk_size && a->_chunks != NULL) {
        /* A big object gets a chunk of its own behind the current one, so the current chunk's space is kept. */
        c->next = a->_chunks->next;
        a->_chunks->next = c;
        return c->data;
    }
    c->next = a->_chunks;
    a->_chunks = c;
    a->_cur = c->data + n;
    a->_end = c->data + size;
    return c->data;
#endif
}

void *sg_arena_alloc(sg_arena_t *a, size_t n)
{
    if (n > SIZE_MAX - 16)
        return NULL;
    n = ALIGN16(n ? n : 1);
    if (a->limit != 0 && (a->_total + n > a->limit || a->_total + n < a->_total))
        return NULL;
    void *p;
#ifdef SG_DEBUG_POOL
    p = add_chunk(a, n);
#else
    if ((size_t)(a->_end - a->_cur) >= n) {
        p = a->_cur;
        a->_cur += n;
    } else {
        p = add_chunk(a, n);
    }
#endif
    if (p != NULL)
        a->_total += n;
    return p;
}

void *sg_arena_calloc(sg_arena_t *a, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    void *p = sg_arena_alloc(a, count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

char *sg_arena_strndup(sg_arena_t *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = sg_arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    if (n != 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *sg_arena_printf(sg_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = sg_arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

size_t sg_arena_used(const sg_arena_t *a)
{
    return a->_total;
}
