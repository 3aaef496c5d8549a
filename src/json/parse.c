/* sg_json_parse: the scanner validates (Go's grammar and messages), then yajl drives the tree construction. Every
 * value keeps its source span; strings are decoded from that span with Go's rules, so both dialects agree on
 * surrogates and U+FFFD. Children wait on one scratch stack until their container closes, then move to the arena in
 * one exact-size block; objects fold duplicate keys there (last value wins, first position kept). */
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

typedef struct st_builder_t {
    sg_arena_t *arena;
    const char *buf;
    size_t len;
    sg_json_dialect_t dialect;
    yajl_handle h;
    size_t prev_end;
    entry_t *entries;
    size_t n, cap;
    frame_t *frames;
    size_t depth, fcap;
    const char *key;
    size_t key_len;
    sg_json_t *root;
    int32_t *table; /* open-addressing index for big objects, reused */
    size_t table_cap;
    int rc;
    sg_error_t *err;
    entry_t local_entries[LOCAL_ENTRIES];
    frame_t local_frames[LOCAL_FRAMES];
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

static int oom(builder_t *b)
{
    b->rc = sg_error_set(b->err, SG_ENOMEM, "out of memory while parsing JSON");
    return 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
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
static void scalar_span(builder_t *b, sg_json_t *v)
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
        start = token_start(b);
        end = yajl_get_bytes_consumed(b->h);
        b->prev_end = end;
    }
    v->raw = b->buf + start;
    v->raw_len = end - start;
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
    sg_json_t *v = sg_json__node(b->arena, SG_JSON_NULL);
    if (v == NULL)
        return oom(b);
    scalar_span(b, v);
    return push_entry(b, v);
}

static int on_boolean(void *ctx, int value)
{
    builder_t *b = ctx;
    sg_json_t *v = sg_json__node(b->arena, SG_JSON_BOOL);
    if (v == NULL)
        return oom(b);
    v->u.boolean = value != 0;
    scalar_span(b, v);
    return push_entry(b, v);
}

/* Short integers are exact in a double; everything else goes through the correctly rounded strtod. */
static double number_value(const char *s, size_t len)
{
    size_t i = s[0] == '-';
    if (len - i <= 15) {
        uint64_t u = 0;
        size_t k = i;
        while (k < len && s[k] >= '0' && s[k] <= '9')
            u = u * 10 + (uint64_t)(s[k++] - '0');
        if (k == len)
            return i ? -(double)u : (double)u;
    }
    return sg_json__strtod(s, len);
}

static int on_number(void *ctx, const char *s, size_t len)
{
    builder_t *b = ctx;
    sg_json_t *v = sg_json__node(b->arena, SG_JSON_NUMBER);
    if (v == NULL)
        return oom(b);
    scalar_span(b, v);
    /* yajl's pointer may be its own buffer; the span is the source text and is what we keep */
    v->u.number.text = sg_arena_strndup(b->arena, v->raw, v->raw_len);
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

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    builder_t *b = ctx;
    sg_json_t *v = sg_json__node(b->arena, SG_JSON_STRING);
    if (v == NULL)
        return oom(b);
    scalar_span(b, v);
    v->u.string.ptr = sg_json__unquote(b->arena, v->raw, v->raw_len, b->dialect == SG_JSON_STRICT, &v->u.string.len);
    if (v->u.string.ptr == NULL)
        return oom(b);
    return push_entry(b, v);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
    builder_t *b = ctx;
    size_t start = token_start(b), end = yajl_get_bytes_consumed(b->h);
    b->prev_end = end;
    b->key = sg_json__unquote(b->arena, b->buf + start, end - start, b->dialect == SG_JSON_STRICT, &b->key_len);
    if (b->key == NULL)
        return oom(b);
    return 1;
}

static int open_container(builder_t *b, sg_json_type_t t)
{
    sg_json_t *v = sg_json__node(b->arena, t);
    if (v == NULL)
        return oom(b);
    size_t end = yajl_get_bytes_consumed(b->h);
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
    return alen == blen && memcmp(a, b, alen) == 0;
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
    int rc = sg_json__scan(buf, len, &so, err);
    if (rc != SG_OK)
        return rc;

    builder_t bs, *b = &bs;
    memset(b, 0, offsetof(builder_t, local_entries));
    b->arena = arena;
    b->buf = buf;
    b->len = len;
    b->dialect = opts->dialect;
    b->entries = b->local_entries;
    b->cap = LOCAL_ENTRIES;
    b->frames = b->local_frames;
    b->fcap = LOCAL_FRAMES;
    b->err = err;
    b->h = yajl_alloc(&callbacks, NULL, b);
    if (b->h == NULL) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory while parsing JSON");
        goto cleanup;
    }
    /* the scanner has checked the syntax, and Go's dialect lets invalid UTF-8 through to be replaced */
    yajl_config(b->h, yajl_dont_validate_strings, 1);
    yajl_status st = yajl_parse(b->h, (const unsigned char *)buf, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(b->h);
    if (st != yajl_status_ok) {
        if (b->rc != SG_OK) {
            rc = b->rc;
        } else {
            /* only reachable if yajl and the scanner disagree on the grammar */
            unsigned char *msg = yajl_get_error(b->h, 0, (const unsigned char *)buf, len);
            char *nl = msg != NULL ? strchr((char *)msg, '\n') : NULL;
            if (nl != NULL)
                *nl = '\0';
            rc = sg_json__error_at(err, SG_EINVALID, buf, len, yajl_get_bytes_consumed(b->h), "",
                                   msg != NULL ? (const char *)msg : "syntax error");
            if (msg != NULL)
                yajl_free_error(b->h, msg);
        }
        goto cleanup;
    }
    *out = b->root;
    rc = SG_OK;
cleanup:
    if (b->h != NULL)
        yajl_free(b->h);
    if (b->entries != b->local_entries)
        free(b->entries);
    if (b->frames != b->local_frames)
        free(b->frames);
    free(b->table);
    return rc;
}
