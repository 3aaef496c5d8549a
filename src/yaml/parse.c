/* YAML event stream (libyaml) to sg_json_t trees: core-schema scalar typing, positions, limits, no aliases.
 * Containers are collected on a heap stack while open and copied into the arena once closed, so a tree costs one
 * arena copy of its item arrays; errors free the stack and leave only arena memory behind. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include <storygate/yaml.h>

#include "internal.h"

#define DEFAULT_MAX_BYTES (16u * 1024 * 1024)
#define DEFAULT_MAX_DEPTH 128
#define DEFAULT_MAX_NODES 1000000
#define DEFAULT_MAX_DOCS 10000

/* Keys carry their position just before their first byte (see sg_yaml_key_position). */
typedef struct st_key_hdr_t {
    uint32_t line;
    uint32_t column;
} key_hdr_t;

typedef struct st_frame_t {
    sg_json_t *node;
    /* sequences: items; mappings: members (a key waits in `pending_key` until its value arrives) */
    void *items;
    size_t len;
    size_t cap;
    int have_key;
    sg_json_member_t pending;
} frame_t;

typedef struct st_parser_t {
    sg_arena_t *arena;
    const char *filename;
    sg_error_t *err;
    sg_yaml_opts_t opts;
    frame_t *stack;
    size_t depth;
    size_t nodes;
    sg_json_t **docs;
    size_t ndocs;
    size_t docs_cap;
    sg_json_t *root;
} parser_t;

static int fail(parser_t *p, int code, yaml_mark_t mark, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(parser_t *p, int code, yaml_mark_t mark, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int line = (int)mark.line + 1, col = (int)mark.column + 1;
    return sg_error_setloc(p->err, code, p->filename, line, col, "%s:%d:%d: %s", p->filename, line, col, msg);
}

static int grow(void **items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*items, ncap * elem);
    if (n == NULL)
        return -1;
    *items = n;
    *cap = ncap;
    return 0;
}

static sg_json_t *new_node(parser_t *p, sg_json_type_t type, yaml_mark_t mark)
{
    sg_json_t *n = sg_arena_calloc(p->arena, 1, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->type = type;
    n->line = (uint32_t)mark.line + 1;
    n->column = (uint32_t)mark.column + 1;
    return n;
}

/* Places a finished node into the open container (or makes it the document root). */
static int attach(parser_t *p, sg_json_t *n, const yaml_event_t *ev)
{
    if (p->depth == 0) {
        p->root = n;
        return 0;
    }
    frame_t *f = &p->stack[p->depth - 1];
    if (f->node->type == SG_JSON_ARRAY) {
        if (grow(&f->items, &f->cap, f->len + 1, sizeof(sg_json_t *)) < 0)
            return fail(p, SG_ENOMEM, ev->start_mark, "out of memory");
        ((sg_json_t **)f->items)[f->len++] = n;
        return 0;
    }
    if (!f->have_key) {
        if (n->type == SG_JSON_ARRAY || n->type == SG_JSON_OBJECT)
            return fail(p, SG_EINVALID, ev->start_mark, "mapping keys must be scalars");
        /* Keys are strings whatever their core-schema type ("true: x" has key "true"), as sigs.k8s.io/yaml does. */
        const char *s = (const char *)ev->data.scalar.value;
        size_t slen = ev->data.scalar.length;
        key_hdr_t *h = sg_arena_alloc(p->arena, sizeof(*h) + slen + 1);
        if (h == NULL)
            return fail(p, SG_ENOMEM, ev->start_mark, "out of memory");
        h->line = n->line;
        h->column = n->column;
        char *k = (char *)(h + 1);
        memcpy(k, s, slen);
        k[slen] = '\0';
        f->pending.key = k;
        f->pending.key_len = slen;
        f->have_key = 1;
        return 0;
    }
    if (grow(&f->items, &f->cap, f->len + 1, sizeof(sg_json_member_t)) < 0)
        return fail(p, SG_ENOMEM, ev->start_mark, "out of memory");
    f->pending.value = n;
    ((sg_json_member_t *)f->items)[f->len++] = f->pending;
    f->have_key = 0;
    return 0;
}

static int count_node(parser_t *p, const yaml_event_t *ev)
{
    if (++p->nodes > p->opts.max_nodes)
        return fail(p, SG_ELIMIT, ev->start_mark, "too many nodes (limit %zu)", p->opts.max_nodes);
    return 0;
}

static int check_tag(parser_t *p, const yaml_event_t *ev, const yaml_char_t *tag, const char *allowed)
{
    if (tag == NULL || strcmp((const char *)tag, "!") == 0 || strcmp((const char *)tag, allowed) == 0)
        return 0;
    return fail(p, SG_EINVALID, ev->start_mark, "unsupported tag \"%s\"", (const char *)tag);
}

static int open_container(parser_t *p, const yaml_event_t *ev, sg_json_type_t type)
{
    int rc;
    const yaml_char_t *tag = type == SG_JSON_ARRAY ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
    if ((rc = check_tag(p, ev, tag, type == SG_JSON_ARRAY ? YAML_SEQ_TAG : YAML_MAP_TAG)) < 0)
        return rc;
    if ((rc = count_node(p, ev)) < 0)
        return rc;
    if (p->depth >= p->opts.max_depth)
        return fail(p, SG_ELIMIT, ev->start_mark, "nesting too deep (limit %zu)", p->opts.max_depth);
    if (type == SG_JSON_OBJECT && p->depth > 0) {
        frame_t *f = &p->stack[p->depth - 1];
        if (f->node->type == SG_JSON_OBJECT && !f->have_key)
            return fail(p, SG_EINVALID, ev->start_mark, "mapping keys must be scalars");
    }
    if (type == SG_JSON_ARRAY && p->depth > 0) {
        frame_t *f = &p->stack[p->depth - 1];
        if (f->node->type == SG_JSON_OBJECT && !f->have_key)
            return fail(p, SG_EINVALID, ev->start_mark, "mapping keys must be scalars");
    }
    sg_json_t *n = new_node(p, type, ev->start_mark);
    if (n == NULL)
        return fail(p, SG_ENOMEM, ev->start_mark, "out of memory");
    frame_t *f = &p->stack[p->depth++];
    memset(f, 0, sizeof(*f));
    f->node = n;
    return 0;
}

static int cmp_member(const void *a, const void *b)
{
    const sg_json_member_t *x = *(sg_json_member_t *const *)a, *y = *(sg_json_member_t *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return x < y ? -1 : x > y; /* stable: the later duplicate sorts second */
}

/* Sorting pointers keeps the check O(n log n) for mappings with many keys. */
static int check_duplicates(parser_t *p, sg_json_member_t *m, size_t len)
{
    sg_json_member_t **idx = malloc(len * sizeof(*idx));
    if (idx == NULL)
        return sg_error_set(p->err, SG_ENOMEM, "out of memory");
    for (size_t i = 0; i < len; i++)
        idx[i] = &m[i];
    qsort(idx, len, sizeof(*idx), cmp_member);
    int rc = 0;
    for (size_t i = 1; i < len; i++) {
        if (idx[i]->key_len == idx[i - 1]->key_len && memcmp(idx[i]->key, idx[i - 1]->key, idx[i]->key_len) == 0) {
            yaml_mark_t mark;
            memset(&mark, 0, sizeof(mark));
            uint32_t line, col;
            sg_yaml_key_position(idx[i], &line, &col);
            mark.line = line - 1;
            mark.column = col - 1;
            rc = fail(p, SG_EINVALID, mark, "duplicate mapping key \"%.*s\"",
                      (int)(idx[i]->key_len > 200 ? 200 : idx[i]->key_len), idx[i]->key);
            break;
        }
    }
    free(idx);
    return rc;
}

static int close_container(parser_t *p, const yaml_event_t *ev)
{
    frame_t *f = &p->stack[--p->depth];
    sg_json_t *n = f->node;
    size_t elem = n->type == SG_JSON_ARRAY ? sizeof(sg_json_t *) : sizeof(sg_json_member_t);
    void *copy = NULL;
    if (f->len > 0) {
        copy = sg_arena_alloc(p->arena, f->len * elem);
        if (copy == NULL) {
            free(f->items);
            return fail(p, SG_ENOMEM, ev->start_mark, "out of memory");
        }
        memcpy(copy, f->items, f->len * elem);
    }
    free(f->items);
    f->items = NULL;
    if (n->type == SG_JSON_OBJECT && f->len > 1) {
        int rc = check_duplicates(p, copy, f->len);
        if (rc < 0)
            return rc;
    }
    if (n->type == SG_JSON_ARRAY) {
        n->u.array.items = copy;
        n->u.array.len = f->len;
    } else {
        n->u.object.members = copy;
        n->u.object.len = f->len;
    }
    return attach(p, n, ev);
}

static int scalar(parser_t *p, const yaml_event_t *ev)
{
    int rc;
    if ((rc = count_node(p, ev)) < 0)
        return rc;
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    sg_yaml__scalar_t sc;
    frame_t *top = p->depth > 0 ? &p->stack[p->depth - 1] : NULL;
    int is_key = top != NULL && top->node->type == SG_JSON_OBJECT && !top->have_key;
    if (is_key) {
        sc.type = SG_JSON_STRING; /* attach() takes the key text from the event */
    } else if (tag != NULL && strcmp(tag, "!") != 0) {
        if ((rc = sg_yaml__resolve_tagged(&sc, tag, s, len)) < 0) {
            if (rc == SG_EUNSUPPORTED)
                return fail(p, SG_EINVALID, ev->start_mark, "unsupported tag \"%s\"", tag);
            return fail(p, SG_EINVALID, ev->start_mark, "cannot read \"%.*s\" as %s", (int)(len > 100 ? 100 : len), s,
                        tag);
        }
    } else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == NULL) {
        sg_yaml__resolve_plain(&sc, s, len);
    } else {
        sc.type = SG_JSON_STRING;
    }
    if (sc.type == SG_JSON_NUMBER && !isfinite(sc.number))
        return fail(p, SG_EINVALID, ev->start_mark, "non-finite number \"%.*s\" cannot be represented in JSON",
                    (int)(len > 100 ? 100 : len), s);
    sg_json_t *n = new_node(p, sc.type, ev->start_mark);
    if (n == NULL)
        return fail(p, SG_ENOMEM, ev->start_mark, "out of memory");
    switch (sc.type) {
    case SG_JSON_BOOL:
        n->u.boolean = sc.boolean;
        break;
    case SG_JSON_NUMBER: {
        n->u.number.value = sc.number;
        char *t = sg_arena_strndup(p->arena, sc.text != NULL ? sc.text : s, sc.text != NULL ? sc.text_len : len);
        if (t == NULL)
            return fail(p, SG_ENOMEM, ev->start_mark, "out of memory");
        n->u.number.text = t;
        n->u.number.text_len = sc.text != NULL ? sc.text_len : len;
        break;
    }
    case SG_JSON_STRING: {
        char *t = sg_arena_strndup(p->arena, s, len);
        if (t == NULL)
            return fail(p, SG_ENOMEM, ev->start_mark, "out of memory");
        n->u.string.ptr = t;
        n->u.string.len = len;
        break;
    }
    default:
        break;
    }
    return attach(p, n, ev);
}

static int push_doc(parser_t *p, const yaml_event_t *ev)
{
    if (p->ndocs >= p->opts.max_docs)
        return fail(p, SG_ELIMIT, ev->start_mark, "too many documents (limit %zu)", p->opts.max_docs);
    sg_json_t *root = p->root;
    if (root == NULL && (root = new_node(p, SG_JSON_NULL, ev->start_mark)) == NULL)
        return fail(p, SG_ENOMEM, ev->start_mark, "out of memory");
    if (grow((void **)&p->docs, &p->docs_cap, p->ndocs + 1, sizeof(sg_json_t *)) < 0)
        return fail(p, SG_ENOMEM, ev->start_mark, "out of memory");
    p->docs[p->ndocs++] = root;
    p->root = NULL;
    return 0;
}

static int run(parser_t *p, yaml_parser_t *yp)
{
    int rc = 0, done = 0;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(yp, &ev)) {
            const char *problem = yp->problem != NULL ? yp->problem : "invalid YAML";
            yaml_mark_t mark = yp->problem_mark;
            if (yp->context != NULL)
                return fail(p, SG_EINVALID, mark, "%s %s", problem, yp->context);
            return fail(p, SG_EINVALID, mark, "%s", problem);
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_END_EVENT:
            rc = push_doc(p, &ev);
            break;
        case YAML_ALIAS_EVENT:
            rc = fail(p, SG_EINVALID, ev.start_mark, "aliases are not supported");
            break;
        case YAML_SCALAR_EVENT:
            rc = scalar(p, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = open_container(p, &ev, SG_JSON_ARRAY);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = open_container(p, &ev, SG_JSON_OBJECT);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = close_container(p, &ev);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void fill_opts(sg_yaml_opts_t *o, const sg_yaml_opts_t *in)
{
    if (in != NULL)
        *o = *in;
    else
        memset(o, 0, sizeof(*o));
    if (o->max_bytes == 0)
        o->max_bytes = DEFAULT_MAX_BYTES;
    if (o->max_depth == 0)
        o->max_depth = DEFAULT_MAX_DEPTH;
    if (o->max_nodes == 0)
        o->max_nodes = DEFAULT_MAX_NODES;
    if (o->max_docs == 0)
        o->max_docs = DEFAULT_MAX_DOCS;
}

int sg_yaml_parse_opts(sg_json_t ***docs, size_t *ndocs, sg_arena_t *arena, const char *buf, size_t len,
                       const char *filename, const sg_yaml_opts_t *opts, sg_error_t *err)
{
    parser_t p;
    memset(&p, 0, sizeof(p));
    p.arena = arena;
    p.filename = filename != NULL ? filename : "<input>";
    p.err = err;
    fill_opts(&p.opts, opts);
    *docs = NULL;
    *ndocs = 0;
    if (len > p.opts.max_bytes)
        return sg_error_setloc(err, SG_ELIMIT, p.filename, 0, 0, "%s: document too large (%zu bytes, limit %zu)",
                               p.filename, len, p.opts.max_bytes);
    p.stack = calloc(p.opts.max_depth, sizeof(frame_t));
    if (p.stack == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");

    yaml_parser_t yp;
    int rc;
    if (!yaml_parser_initialize(&yp)) {
        free(p.stack);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&yp, (const unsigned char *)buf, len);
    rc = run(&p, &yp);
    yaml_parser_delete(&yp);
    for (size_t i = 0; i < p.depth; i++)
        free(p.stack[i].items);
    free(p.stack);
    if (rc == 0 && p.ndocs > 0) {
        *docs = sg_arena_alloc(arena, p.ndocs * sizeof(sg_json_t *));
        if (*docs == NULL)
            rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        else {
            memcpy(*docs, p.docs, p.ndocs * sizeof(sg_json_t *));
            *ndocs = p.ndocs;
        }
    }
    free(p.docs);
    return rc;
}

int sg_yaml_parse(sg_json_t ***docs, size_t *ndocs, sg_arena_t *arena, const char *buf, size_t len,
                  const char *filename, sg_error_t *err)
{
    return sg_yaml_parse_opts(docs, ndocs, arena, buf, len, filename, NULL, err);
}

int sg_yaml_load_file(sg_json_t ***docs, size_t *ndocs, sg_arena_t *arena, const char *path, const sg_yaml_opts_t *opts,
                      sg_error_t *err)
{
    sg_yaml_opts_t o;
    fill_opts(&o, opts);
    *docs = NULL;
    *ndocs = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sg_error_setloc(err, SG_EIO, path, 0, 0, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return sg_error_setloc(err, SG_EIO, path, 0, 0, "%s: %s", path, strerror(EISDIR));
    }
    size_t cap = 0, len = 0;
    char *buf = NULL;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            if (ncap > o.max_bytes + 1)
                ncap = o.max_bytes + 1;
            if (ncap <= cap) {
                rc = sg_error_setloc(err, SG_ELIMIT, path, 0, 0, "%s: file too large (limit %zu bytes)", path,
                                     o.max_bytes);
                break;
            }
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                rc = sg_error_set(err, SG_ENOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                rc = sg_error_setloc(err, SG_EIO, path, 0, 0, "%s: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc == 0)
        rc = sg_yaml_parse_opts(docs, ndocs, arena, buf != NULL ? buf : "", len, path, &o, err);
    free(buf);
    return rc;
}

void sg_yaml_key_position(const sg_json_member_t *member, uint32_t *line, uint32_t *column)
{
    const key_hdr_t *h = (const key_hdr_t *)(const void *)member->key - 1;
    if (line != NULL)
        *line = h->line;
    if (column != NULL)
        *column = h->column;
}
