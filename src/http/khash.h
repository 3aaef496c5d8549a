/* Stand-in for klib's khash.h, which <h2o/http2_internal.h> includes but Debian's libh2o-dev does not ship. It declares
 * only what that header needs, with the table layout of klib's KHASH_MAP_INIT_INT64 (a pinned dependency: h2o 2.2.5),
 * and offers read-only access: lookups scan the buckets instead of repeating klib's hash, and nothing here inserts. */
#ifndef STORYGATE_HTTP_KHASH_H
#define STORYGATE_HTTP_KHASH_H

#include <stdint.h>

typedef uint32_t khint_t;
typedef khint_t khiter_t;

#define khash_t(name) kh_##name##_t
#define kh_end(h) ((h)->n_buckets)
#define kh_val(h, x) ((h)->vals[x])
#define kh_key(h, x) ((h)->keys[x])
/* Two flag bits per bucket (empty, deleted); a bucket holds an entry when both are clear. */
#define kh_exist(h, x) ((((h)->flags[(x) >> 4] >> (((x)&0xfU) << 1)) & 3) == 0)
#define kh_get(name, h, k) kh_get_##name(h, k)

#define KHASH_MAP_INIT_INT64(name, khval_t)                                                                            \
    typedef struct kh_##name##_s {                                                                                     \
        khint_t n_buckets, size, n_occupied, upper_bound;                                                              \
        uint32_t *flags;                                                                                               \
        uint64_t *keys;                                                                                                \
        khval_t *vals;                                                                                                 \
    } kh_##name##_t;                                                                                                   \
    static inline khint_t kh_get_##name(const kh_##name##_t *h, uint64_t key)                                          \
    {                                                                                                                  \
        for (khint_t i = 0; i < h->n_buckets; i++)                                                                     \
            if (kh_exist(h, i) && h->keys[i] == key)                                                                   \
                return i;                                                                                              \
        return h->n_buckets;                                                                                           \
    }

#endif
