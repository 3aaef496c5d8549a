/* sg_json_parse: yajl drives the tree construction; the scanner (Go's grammar and messages) decides what is an error
 * and how it reads. GO documents are scanned first. STRICT documents go to yajl directly, with the checks yajl lacks
 * (shortest-form UTF-8, depth and string limits, no \v or \f) made on the way, and are scanned only when that fails,
 * for the message: the accepted set is the same, the common case reads the bytes once less. Every value keeps its
 * source span; strings are decoded from that span with Go's rules, so both dialects agree on surrogates and U+FFFD.
 * Children wait on one scratch stack until their container closes, then move to the arena in one exact-size block;
 * objects fold duplicate keys there (last value wins, first position kept). */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "internal.h"

typedef struct st_entry_t {
    const char *key;
    size_t key_len;
    sg_json_t *value;
} entry_t;

typedef struct st_frame_t {
    sg_json_t *node;
    size_t first; /* index in the scratch stack of the first child */
    size_t raw_start;
} frame_t;

#define LOCAL_ENTRIES 256
#define LOCAL_FRAMES 32
#define SMALL_OBJECT 16
#define YAJL_MEM 1024 /* yajl's handle, lexer, buffers and state stack for a usual document */

typedef struct st_builder_t {
    sg_arena_t *arena;
    const char *buf;
    size_t len;
    sg_json_dialect_t dialect;
    int verify;        /* STRICT before any scan: enforce what the scanner would (UTF-8, limits) */
    int finishing;     /* inside yajl_complete_parse: offsets are no longer into buf */
    int check_utf8;    /* verify, and the document has bytes >= 0x80 (outside strings yajl refuses them) */
    size_t max_depth;  /* effective limit, checked when verify is set */
    size_t max_string; /* 0 = unlimited */
    yajl_handle h;
    size_t prev_end;
    entry_t *entries;
    size_t n, cap;
    frame_t *frames;
    size_t depth, fcap;
    const char *key;
    size_t key_len;
    sg_json_t *root;
    sg_json_t *nodes; /* nodes are taken from arena blocks of several */
    size_t nodes_left;
    char *pool; /* copies of short strings without escapes, bump-allocated from one arena block */
    size_t pool_left;
    int32_t *table; /* open-addressing index for big objects, reused */
    size_t table_cap;
    int rc;
    sg_error_t *err;
    size_t yajl_used; /* bytes of yajl_mem handed to yajl */
    entry_t local_entries[LOCAL_ENTRIES];
    frame_t local_frames[LOCAL_FRAMES];
    _Alignas(16) unsigned char yajl_mem[YAJL_MEM];
} builder_t;

sg_json_t *sg_json__node(sg_arena_t *arena, sg_json_type_t t)
{
    sg_json_t *v = sg_arena_alloc(arena, sizeof(*v));
    if (v == NULL)
        return NULL;
    memset(v, 0, sizeof(*v));
    v->type = t;
    return v;
}

#ifdef SG_DEBUG_POOL
#define NODE_BLOCK 1 /* every node its own allocation, so the sanitizers see each */
#else
#define NODE_BLOCK 32
#endif

/* A zeroed node from the current block; a new block holds no more nodes than the rest of the document could. */
static sg_json_t *new_node(builder_t *b, sg_json_type_t t)
{
    if (b->nodes_left == 0) {
        size_t rest = b->len - b->prev_end + 1, count = rest < NODE_BLOCK ? rest : NODE_BLOCK;
        b->nodes = sg_arena_alloc(b->arena, count * sizeof(sg_json_t));
        if (b->nodes == NULL)
            return NULL;
        b->nodes_left = count;
    }
    sg_json_t *v = b->nodes++;
    b->nodes_left--;
    memset(v, 0, sizeof(*v));
    v->type = t;
    return v;
}

static int oom(builder_t *b)
{
    b->rc = sg_error_set(b->err, SG_ENOMEM, "out of memory while parsing JSON");
    return 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A refusal the scanner will explain: the position is a fallback should it not (it always does). */
static int refuse(builder_t *b, size_t offset, const char *reason)
{
    b->rc = sg_json__error_at(b->err, SG_EINVALID, b->buf, b->len, offset, "", reason);
    return 0;
}

/* 1 when s[0..n) holds a byte >= 0x80, eight bytes at a time; `limit` bounds what may be read past n (the document's
 * end), so a short tail is one masked load when the document goes on behind it. */
static int has_high_byte(const unsigned char *s, size_t n, const unsigned char *limit)
{
    size_t i = 0;
    uint64_t w, x, y, z;
    for (; i + 32 <= n; i += 32) {
        memcpy(&w, s + i, 8);
        memcpy(&x, s + i + 8, 8);
        memcpy(&y, s + i + 16, 8);
        memcpy(&z, s + i + 24, 8);
        if ((w | x | y | z) & 0x8080808080808080ull)
            return 1;
    }
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            return 1;
    }
    if (i == n)
        return 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if ((size_t)(limit - (s + i)) >= 8) {
        memcpy(&w, s + i, 8);
        return (w & 0x8080808080808080ull & ((1ull << (8 * (n - i))) - 1)) != 0;
    }
#endif
    for (; i < n; i++)
        if (s[i] & 0x80)
            return 1;
    return 0;
}

/* Start of the token that ended at yajl's current offset: skip separators after the previous token. */
static size_t token_start(builder_t *b)
{
    size_t i = b->prev_end;
    while (i < b->len && (is_ws(b->buf[i]) || b->buf[i] == ',' || b->buf[i] == ':'))
        i++;
    return i;
}

/* Sets the node's raw span for a scalar; a top-level scalar spans the trimmed document (yajl may have finished a
 * trailing number from its own buffer). */
static int scalar_span(builder_t *b, sg_json_t *v)
{
    size_t start, end;
    if (b->depth == 0) {
        start = 0;
        end = b->len;
        while (start < end && is_ws(b->buf[start]))
            start++;
        while (end > start && is_ws(b->buf[end - 1]))
            end--;
    } else {
        /* a token yajl completes at the end of input is inside an unclosed container: the document is cut short
         * (only reachable before the scanner has run) */
        if (b->finishing)
            return refuse(b, b->len, "unexpected end of input");
        start = token_start(b);
        end = yajl_get_bytes_consumed(b->h);
        if (end < start || end > b->len)
            return refuse(b, start, "token out of place");
        b->prev_end = end;
    }
    v->raw = b->buf + start;
    v->raw_len = end - start;
    return 1;
}

static int push_entry(builder_t *b, sg_json_t *v)
{
    if (b->depth == 0) {
        b->root = v;
        return 1;
    }
    if (b->n == b->cap) {
        size_t ncap = b->cap * 2;
        entry_t *ne = malloc(ncap * sizeof(*ne));
        if (ne == NULL)
            return oom(b);
        memcpy(ne, b->entries, b->n * sizeof(*ne));
        if (b->entries != b->local_entries)
            free(b->entries);
        b->entries = ne;
        b->cap = ncap;
    }
    entry_t *e = &b->entries[b->n++];
    e->key = b->key;
    e->key_len = b->key_len;
    e->value = v;
    b->key = NULL;
    b->key_len = 0;
    return 1;
}

/* The JSON Pointer of the innermost open container, from the frames and the entries that hold them. */
static void builder_path(const builder_t *b, char *path, size_t cap)
{
    path[0] = '\0';
    for (size_t k = 1; k < b->depth; k++) {
        const frame_t *parent = &b->frames[k - 1];
        size_t at = b->frames[k].first - 1;
        if (parent->node->type == SG_JSON_OBJECT) {
            sg_json__path_append(path, cap, b->entries[at].key, b->entries[at].key_len);
        } else {
            char num[24];
            int len = snprintf(num, sizeof(num), "%zu", at - parent->first);
            sg_json__path_append(path, cap, num, (size_t)len);
        }
    }
}

static int on_null(void *ctx)
{
    builder_t *b = ctx;
    sg_json_t *v = new_node(b, SG_JSON_NULL);
    if (v == NULL)
        return oom(b);
    if (!scalar_span(b, v))
        return 0;
    return push_entry(b, v);
}

static int on_boolean(void *ctx, int value)
{
    builder_t *b = ctx;
    sg_json_t *v = new_node(b, SG_JSON_BOOL);
    if (v == NULL)
        return oom(b);
    v->u.boolean = value != 0;
    if (!scalar_span(b, v))
        return 0;
    return push_entry(b, v);
}

#define POOL_STRING_MAX 512
#define POOL_BLOCK 8192

/* A NUL-terminated arena copy; short ones share blocks (one arena call per block instead of per string). */
static inline __attribute__((always_inline)) char *copy_string(builder_t *b, const char *s, size_t n)
{
#ifdef SG_DEBUG_POOL
    return sg_arena_strndup(b->arena, s, n); /* every string its own allocation, so the sanitizers see each */
#endif
    if (n >= POOL_STRING_MAX)
        return sg_arena_strndup(b->arena, s, n);
    if (b->pool_left <= n) {
        /* never more than the document could still need */
        size_t size = b->len - b->prev_end + n + 1 < POOL_BLOCK ? b->len - b->prev_end + n + 1 : POOL_BLOCK;
        char *p = sg_arena_alloc(b->arena, size);
        if (p == NULL)
            return NULL;
        b->pool = p;
        b->pool_left = size;
    }
    char *r = b->pool;
    /* most keys and values are short: overlapping word copies instead of a call */
    if (n >= 16) {
        memcpy(r, s, n);
    } else if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, s, 8);
        memcpy(&y, s + n - 8, 8);
        memcpy(r, &x, 8);
        memcpy(r + n - 8, &y, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        memcpy(r, &x, 4);
        memcpy(r + n - 4, &y, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            r[i] = s[i];
    }
    r[n] = '\0';
    b->pool += n + 1;
    b->pool_left -= n + 1;
    return r;
}

/* Powers of ten that a double holds exactly. */
static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The float64 of a validated number lexeme. With at most 15 significant digits and a decimal exponent within +-22,
 * both the digits and the power of ten are exact doubles, so one IEEE multiplication or division is the correctly
 * rounded result (Clinger's fast path); everything else goes through the correctly rounded strtod. */
static double number_value(const char *s, size_t len)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    size_t i = s[0] == '-';
    uint64_t m = 0;
    int digits = 0;
    long frac = 0, e = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        digits += digits != 0 || s[i] != '0';
        m = m * 10 + (uint64_t)(s[i] - '0');
        if (digits > 15)
            goto slow;
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, frac++) {
            digits += digits != 0 || s[i] != '0';
            m = m * 10 + (uint64_t)(s[i] - '0');
            if (digits > 15)
                goto slow;
        }
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int neg = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            neg = s[i++] == '-';
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            e = e * 10 + (s[i] - '0');
            if (e > 1000)
                goto slow;
        }
        if (neg)
            e = -e;
    }
    if (i != len)
        goto slow;
    e -= frac;
    double d = (double)m;
    if (m != 0 && e != 0) {
        if (e > 0 && e <= 22)
            d *= exact_pow10[e];
        else if (e < 0 && e >= -22)
            d /= exact_pow10[-e];
        else
            goto slow;
    }
    return s[0] == '-' ? -d : d;
slow:
#endif
    return sg_json__strtod(s, len);
}

static int on_number(void *ctx, const char *s, size_t len)
{
    builder_t *b = ctx;
    sg_json_t *v = new_node(b, SG_JSON_NUMBER);
    if (v == NULL)
        return oom(b);
    if (!scalar_span(b, v))
        return 0;
    /* yajl's pointer may be its own buffer; the span is the source text and is what we keep */
    v->u.number.text = copy_string(b, v->raw, v->raw_len);
    if (v->u.number.text == NULL)
        return oom(b);
    v->u.number.text_len = v->raw_len;
    v->u.number.value = number_value(v->raw, v->raw_len);
    if (isinf(v->u.number.value)) {
        if (b->dialect == SG_JSON_GO) {
            b->rc =
                sg_error_set(b->err, SG_EINVALID, "json: cannot unmarshal number %.*s into Go value of type float64",
                             (int)v->raw_len, v->raw);
        } else {
            char path[SG_ERROR_PATH_MAX], reason[160];
            builder_path(b, path, sizeof(path));
            snprintf(reason, sizeof(reason), "number %.*s%s is out of range", v->raw_len > 64 ? 64 : (int)v->raw_len,
                     v->raw, v->raw_len > 64 ? "..." : "");
            b->rc = sg_json__error_at(b->err, SG_EINVALID, b->buf, b->len, (size_t)(v->raw - b->buf), path, reason);
        }
        return 0;
    }
    return push_entry(b, v);
}

/* The source span of the string token yajl just reported, and its decoded copy in the arena (NULL with b->rc set on
 * failure). A string without escapes is handed over in place, which gives the span without looking for it. */
static char *string_token(builder_t *b, const unsigned char *s, size_t len, const char **raw, size_t *raw_len,
                          size_t *out_len)
{
    const char *p = (const char *)s;
    int in_place = (uintptr_t)p > (uintptr_t)b->buf && (uintptr_t)p - (uintptr_t)b->buf + len < b->len;
    size_t start, end;
    if (in_place) {
        start = (size_t)(p - b->buf) - 1;
        end = start + len + 2;
    } else {
        start = token_start(b);
        end = yajl_get_bytes_consumed(b->h);
        if (b->finishing || end < start + 2 || end > b->len) {
            refuse(b, start, "unexpected end of input");
            return NULL;
        }
    }
    b->prev_end = end;
    *raw = b->buf + start;
    *raw_len = end - start;
    const unsigned char *body = (const unsigned char *)b->buf + start + 1;
    size_t n = end - start - 2;
    if (b->verify) {
        if (b->max_string != 0 && n > b->max_string) {
            refuse(b, start, "string too long");
            return NULL;
        }
        if (b->check_utf8 && has_high_byte(body, n, (const unsigned char *)b->buf + b->len) &&
            !sg_utf8_valid((const char *)body, n)) {
            refuse(b, start, "invalid UTF-8 in string");
            return NULL;
        }
    }
    char *r;
    if (in_place && b->dialect == SG_JSON_STRICT) {
        *out_len = n;
        r = copy_string(b, (const char *)body, n);
    } else {
        r = sg_json__unquote(b->arena, *raw, *raw_len, b->dialect == SG_JSON_STRICT, out_len);
    }
    if (r == NULL)
        oom(b);
    return r;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    builder_t *b = ctx;
    sg_json_t *v = new_node(b, SG_JSON_STRING);
    if (v == NULL)
        return oom(b);
    const char *raw;
    size_t raw_len;
    v->u.string.ptr = string_token(b, s, len, &raw, &raw_len, &v->u.string.len);
    if (v->u.string.ptr == NULL)
        return 0;
    if (b->depth == 0) {
        if (!scalar_span(b, v))
            return 0;
    } else
        v->raw = raw, v->raw_len = raw_len;
    return push_entry(b, v);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
    builder_t *b = ctx;
    const char *raw;
    size_t raw_len;
    b->key = string_token(b, s, len, &raw, &raw_len, &b->key_len);
    return b->key != NULL;
}

static int open_container(builder_t *b, sg_json_type_t t)
{
    size_t end = yajl_get_bytes_consumed(b->h);
    if (b->finishing || end == 0) /* brackets are never held back to the end of input; be safe anyway */
        return refuse(b, b->len, "unexpected end of input");
    if (b->verify && b->depth >= b->max_depth)
        return refuse(b, end - 1, "nesting too deep");
    sg_json_t *v = new_node(b, t);
    if (v == NULL)
        return oom(b);
    b->prev_end = end;
    if (!push_entry(b, v))
        return 0;
    if (b->depth == b->fcap) {
        size_t ncap = b->fcap * 2;
        frame_t *nf = malloc(ncap * sizeof(*nf));
        if (nf == NULL)
            return oom(b);
        memcpy(nf, b->frames, b->depth * sizeof(*nf));
        if (b->frames != b->local_frames)
            free(b->frames);
        b->frames = nf;
        b->fcap = ncap;
    }
    frame_t *f = &b->frames[b->depth++];
    f->node = v;
    f->first = b->n;
    f->raw_start = end - 1;
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, SG_JSON_OBJECT);
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, SG_JSON_ARRAY);
}

static void close_span(builder_t *b, frame_t *f)
{
    size_t end = yajl_get_bytes_consumed(b->h);
    b->prev_end = end;
    f->node->raw = b->buf + f->raw_start;
    f->node->raw_len = end - f->raw_start;
}

static int on_end_array(void *ctx)
{
    builder_t *b = ctx;
    if (b->finishing)
        return refuse(b, b->len, "unexpected end of input");
    frame_t *f = &b->frames[b->depth - 1];
    size_t m = b->n - f->first;
    close_span(b, f);
    if (m > 0) {
        sg_json_t **items = sg_arena_alloc(b->arena, m * sizeof(*items));
        if (items == NULL)
            return oom(b);
        for (size_t i = 0; i < m; i++)
            items[i] = b->entries[f->first + i].value;
        f->node->u.array.items = f->node->u.array._cap_items = items;
        f->node->u.array.len = f->node->u.array._cap = m;
    }
    b->n = f->first;
    b->depth--;
    return 1;
}

static uint32_t hash_key(const char *k, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h;
}

static int key_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || (a[0] == b[0] && memcmp(a, b, alen) == 0));
}

/* Folds duplicates of entries[first..first+m) into `out`; returns the member count, or -1 on allocation failure. */
static long fold_members(builder_t *b, const entry_t *in, size_t m, sg_json_member_t *out)
{
    size_t k = 0;
    if (m <= SMALL_OBJECT) {
        for (size_t i = 0; i < m; i++) {
            size_t j = 0;
            while (j < k && !key_eq(out[j].key, out[j].key_len, in[i].key, in[i].key_len))
                j++;
            if (j == k) {
                out[k].key = in[i].key;
                out[k].key_len = in[i].key_len;
                k++;
            }
            out[j].value = in[i].value;
        }
        return (long)k;
    }
    size_t cap = 64;
    while (cap < m * 2)
        cap *= 2;
    if (cap > b->table_cap) {
        int32_t *t = realloc(b->table, cap * sizeof(*t));
        if (t == NULL)
            return -1;
        b->table = t;
        b->table_cap = cap;
    }
    memset(b->table, 0xff, cap * sizeof(*b->table));
    for (size_t i = 0; i < m; i++) {
        size_t slot = hash_key(in[i].key, in[i].key_len) & (cap - 1);
        for (;;) {
            int32_t at = b->table[slot];
            if (at < 0) {
                b->table[slot] = (int32_t)k;
                out[k].key = in[i].key;
                out[k].key_len = in[i].key_len;
                out[k].value = in[i].value;
                k++;
                break;
            }
            if (key_eq(out[at].key, out[at].key_len, in[i].key, in[i].key_len)) {
                out[at].value = in[i].value;
                break;
            }
            slot = (slot + 1) & (cap - 1);
        }
    }
    return (long)k;
}

static int on_end_map(void *ctx)
{
    builder_t *b = ctx;
    if (b->finishing)
        return refuse(b, b->len, "unexpected end of input");
    frame_t *f = &b->frames[b->depth - 1];
    size_t m = b->n - f->first;
    close_span(b, f);
    if (m > 0) {
        sg_json_member_t *members = sg_arena_alloc(b->arena, m * sizeof(*members));
        if (members == NULL)
            return oom(b);
        long k = fold_members(b, b->entries + f->first, m, members);
        if (k < 0)
            return oom(b);
        f->node->u.object.members = f->node->u.object._cap_members = members;
        f->node->u.object.len = (size_t)k;
        f->node->u.object._cap = m;
    }
    b->n = f->first;
    b->depth--;
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null,      on_boolean, NULL,       NULL,           on_number,    on_string,
    on_start_map, on_map_key, on_end_map, on_start_array, on_end_array,
};

/* yajl's allocations come from the builder while they fit (a parse makes a handful, all freed at its end), from the
 * heap beyond; each block is preceded by its size. */
#define YA_HEADER 16

static int ya_local(const builder_t *b, const void *p)
{
    return (uintptr_t)p >= (uintptr_t)b->yajl_mem && (uintptr_t)p < (uintptr_t)(b->yajl_mem + YAJL_MEM);
}

static void *ya_malloc(void *ctx, size_t size)
{
    builder_t *b = ctx;
    size_t need = YA_HEADER + ((size + 15) & ~(size_t)15);
#ifdef SG_DEBUG_POOL
    need = SIZE_MAX; /* the heap, so the sanitizers see yajl's blocks */
#endif
    if (size <= YAJL_MEM && YAJL_MEM - b->yajl_used >= need) {
        unsigned char *p = b->yajl_mem + b->yajl_used;
        memcpy(p, &size, sizeof(size));
        b->yajl_used += need;
        return p + YA_HEADER;
    }
    return malloc(size);
}

static void ya_free(void *ctx, void *ptr)
{
    if (!ya_local(ctx, ptr))
        free(ptr);
}

static void *ya_realloc(void *ctx, void *ptr, size_t size)
{
    builder_t *b = ctx;
    if (ptr == NULL)
        return ya_malloc(b, size);
    if (!ya_local(b, ptr))
        return realloc(ptr, size);
    size_t old;
    memcpy(&old, (unsigned char *)ptr - YA_HEADER, sizeof(old));
    if (size <= old)
        return ptr;
    void *p = ya_malloc(b, size);
    if (p != NULL)
        memcpy(p, ptr, old);
    return p;
}

/* Builds the tree with yajl; returns 0 or the failure (b->rc, or SG_EINVALID when yajl refused on its own). */
static int build(builder_t *b)
{
    yajl_alloc_funcs funcs = {ya_malloc, ya_realloc, ya_free, b};
    b->h = yajl_alloc(&callbacks, &funcs, b);
    if (b->h == NULL)
        return sg_error_set(b->err, SG_ENOMEM, "out of memory while parsing JSON");
    /* UTF-8 is checked here (STRICT, shortest form as Go's utf8 package wants it) or replaced later (GO) */
    yajl_config(b->h, yajl_dont_validate_strings, 1);
    yajl_status st = yajl_parse(b->h, (const unsigned char *)b->buf, b->len);
    if (st == yajl_status_ok) {
        b->finishing = 1;
        st = yajl_complete_parse(b->h);
    }
    if (st == yajl_status_ok)
        return SG_OK;
    if (b->rc != SG_OK)
        return b->rc;
    /* yajl refused a document the scanner accepts: only reachable if they disagree on the grammar */
    unsigned char *msg = yajl_get_error(b->h, 0, (const unsigned char *)b->buf, b->len);
    char *nl = msg != NULL ? strchr((char *)msg, '\n') : NULL;
    if (nl != NULL)
        *nl = '\0';
    int rc = sg_json__error_at(b->err, SG_EINVALID, b->buf, b->len, yajl_get_bytes_consumed(b->h), "",
                               msg != NULL ? (const char *)msg : "syntax error");
    if (msg != NULL)
        yajl_free_error(b->h, msg);
    return rc;
}

int sg_json_parse(sg_json_t **out, sg_arena_t *arena, const char *buf, size_t len, const sg_json_parse_opts_t *opts,
                  sg_error_t *err)
{
    static const sg_json_parse_opts_t defaults = SG_JSON_PARSE_OPTS_INIT;
    if (opts == NULL)
        opts = &defaults;
    *out = NULL;
    if (buf == NULL)
        len = 0, buf = "";
    if ((opts->max_bytes != 0 && len > opts->max_bytes) || len > UINT32_MAX)
        return sg_error_set(err, SG_ELIMIT, "JSON document of %zu bytes is larger than the limit of %zu bytes", len,
                            opts->max_bytes != 0 ? opts->max_bytes : (size_t)UINT32_MAX);

    sg_json__scan_opts_t so = {opts->dialect, opts->max_depth, opts->max_string};
    if (so.max_depth == 0)
        so.max_depth = SG_JSON__GO_MAX_DEPTH;
    if (opts->dialect == SG_JSON_GO && so.max_depth > SG_JSON__GO_MAX_DEPTH)
        so.max_depth = SG_JSON__GO_MAX_DEPTH;
    /* Where yajl is laxer than Go, scan first: it takes \v and \f for white space (Go refuses them everywhere; inside
     * strings they are raw controls), and after a top-level value it lets an unfinished token through, which
     * is checked below for containers but is not worth it for a scalar document. */
    size_t lead = 0;
    while (lead < len && is_ws(buf[lead]))
        lead++;
    int scan_first = opts->dialect != SG_JSON_STRICT || lead == len || (buf[lead] != '{' && buf[lead] != '[') ||
                     memchr(buf, '\v', len) != NULL || memchr(buf, '\f', len) != NULL;
    int rc;
    if (scan_first && (rc = sg_json__scan(buf, len, &so, err)) != SG_OK)
        return rc;

    builder_t bs, *b = &bs;
    memset(b, 0, offsetof(builder_t, local_entries));
    b->arena = arena;
    b->buf = buf;
    b->len = len;
    b->dialect = opts->dialect;
    b->verify = !scan_first;
    b->check_utf8 = b->verify && has_high_byte((const unsigned char *)buf, len, (const unsigned char *)buf + len);
    b->max_depth = so.max_depth;
    b->max_string = so.max_string;
    b->entries = b->local_entries;
    b->cap = LOCAL_ENTRIES;
    b->frames = b->local_frames;
    b->fcap = LOCAL_FRAMES;
    b->err = err;
    rc = build(b);
    if (rc == SG_OK && b->verify) {
        size_t i = (size_t)(b->root->raw - buf) + b->root->raw_len;
        while (i < len && is_ws(buf[i]))
            i++;
        if (i < len) {
            refuse(b, i, "unexpected data after the top-level value");
            rc = b->rc;
        }
    }
    if (rc != SG_OK && !scan_first) {
        /* the scanner's verdict and message win; a document it accepts failed for a reason of the build's own (a
         * number out of range, memory) */
        int scanned = sg_json__scan(buf, len, &so, err);
        if (scanned != SG_OK)
            rc = scanned;
    }
    if (rc == SG_OK)
        *out = b->root;
    if (b->h != NULL)
        yajl_free(b->h);
    if (b->entries != b->local_entries)
        free(b->entries);
    if (b->frames != b->local_frames)
        free(b->frames);
    free(b->table);
    return rc;
}
