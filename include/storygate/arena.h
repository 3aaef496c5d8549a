/* A bump allocator for memory that lives exactly as long as one request or one parse. */
#ifndef STORYGATE_ARENA_H
#define STORYGATE_ARENA_H

#include <stddef.h>

typedef struct st_sg_arena_chunk_t sg_arena_chunk_t;

/* Embed and use sg_arena_init/sg_arena_dispose. Not thread-safe: one arena per thread or request.
 * With SG_DEBUG_POOL every allocation is its own malloc, so ASan and valgrind see each object. */
typedef struct st_sg_arena_t {
    sg_arena_chunk_t *_chunks;
    char *_cur;
    char *_end;
    size_t _chunk_size;
    size_t _total; /* bytes handed out, for limits and metrics */
    size_t limit;  /* 0 = unlimited; past it allocations return NULL */
} sg_arena_t;

/** Prepares an empty arena whose chunks are at least `chunk_size` bytes (0 = 16 KiB). */
void sg_arena_init(sg_arena_t *a, size_t chunk_size);
/** Frees every allocation; the arena is then empty and reusable. NULL is accepted. */
void sg_arena_dispose(sg_arena_t *a);
/** Frees all allocations but keeps the first chunk for reuse (cheap per-request reset). */
void sg_arena_reset(sg_arena_t *a);
/** `n` bytes aligned to 16, uninitialised; NULL when out of memory or past `limit`. Owned by the arena. */
void *sg_arena_alloc(sg_arena_t *a, size_t n);
/** `n` zeroed bytes; NULL on failure. */
void *sg_arena_calloc(sg_arena_t *a, size_t count, size_t size);
/** A NUL-terminated copy of `s[0..n)`; NULL on failure. */
char *sg_arena_strndup(sg_arena_t *a, const char *s, size_t n);
/** printf into arena memory; NULL on failure. */
char *sg_arena_printf(sg_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Bytes handed out so far. */
size_t sg_arena_used(const sg_arena_t *a);

#endif
