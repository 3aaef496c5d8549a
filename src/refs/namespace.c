/* Namespace labels in the snapshot, for policies' namespaceSelector: one shared immutable entry per Namespace (name and
 * its labels as a parsed JSON object), in an array sorted by name. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Labels are at most 63-byte keys and values in Kubernetes; this bounds what one entry may cost. */
#define LABELS_MAX_BYTES (256u * 1024u)

static int name_cmp(const sg_refs__namespace_t *e, sg_span_t name)
{
    size_t n = e->name_len < name.len ? e->name_len : name.len;
    int c = n ? memcmp(e->name, name.ptr, n) : 0;
    if (c != 0)
        return c;
    return e->name_len < name.len ? -1 : e->name_len > name.len;
}

/* Index of the first entry >= name; *found when equal. */
static size_t search(const sg_refs_snapshot_t *snap, sg_span_t name, int *found)
{
    size_t lo = 0, hi = snap->nnamespaces;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (name_cmp(snap->namespaces[mid], name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < snap->nnamespaces && name_cmp(snap->namespaces[lo], name) == 0;
    return lo;
}

void sg_refs__namespace_release(sg_refs__namespace_t *n)
{
    if (n != NULL && atomic_fetch_sub_explicit(&n->refs, 1, memory_order_acq_rel) == 1) {
        sg_arena_dispose(&n->arena);
        free(n);
    }
}

/* A new entry for `name` whose labels are the compact JSON `text` (an object). */
static sg_refs__namespace_t *entry_new(sg_span_t name, const char *text, size_t text_len, sg_error_t *err)
{
    sg_refs__namespace_t *e = malloc(sizeof(*e) + name.len + 1 + text_len + 1);
    if (e == NULL) {
        sg_error_set(err, SG_ENOMEM, "out of memory");
        return NULL;
    }
    char *p = (char *)(e + 1);
    atomic_init(&e->refs, 1);
    memcpy(p, name.ptr, name.len);
    p[name.len] = '\0';
    e->name = p;
    e->name_len = name.len;
    char *t = p + name.len + 1;
    memcpy(t, text, text_len);
    t[text_len] = '\0';
    /* the tree is a few nodes per label: one chunk of a few times the text fits it */
    sg_arena_init(&e->arena, 4 * text_len + 256);
    sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
    sg_json_t *labels = NULL;
    if (sg_json_parse(&labels, &e->arena, t, text_len, &o, err) < 0 || labels->type != SG_JSON_OBJECT) {
        sg_arena_dispose(&e->arena);
        free(e);
        if (err != NULL && err->code == 0)
            sg_error_set(err, SG_EINVALID, "Namespace labels are not an object");
        return NULL;
    }
    e->labels = labels;
    return e;
}

int sg_refs_snapshot_put_namespace_json(sg_refs_snapshot_t *snap, const sg_json_t *ns, sg_error_t *err)
{
    const sg_json_t *meta = sg_json_get(ns, "metadata");
    size_t nlen = 0;
    const char *n = sg_json_string(sg_json_get(meta, "name"), &nlen);
    if (n == NULL || nlen == 0 || strlen(n) != nlen)
        return sg_error_set(err, SG_EINVALID, "Namespace without metadata.name");
    const sg_json_t *labels = sg_json_get(meta, "labels");
    sg_buf_t text = SG_BUF_INIT;
    int rc =
        labels != NULL && labels->type == SG_JSON_OBJECT ? sg_json_encode(&text, labels) : sg_buf_puts(&text, "{}");
    if (rc != 0 || text.oom) {
        sg_buf_dispose(&text);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    if (text.len > LABELS_MAX_BYTES) {
        sg_buf_dispose(&text);
        return sg_error_set(err, SG_ELIMIT, "Namespace %s: labels longer than %u bytes", n, LABELS_MAX_BYTES);
    }
    sg_span_t name = {n, nlen};
    sg_refs__namespace_t *e = entry_new(name, text.base, text.len, err);
    sg_buf_dispose(&text);
    if (e == NULL)
        return err != NULL && err->code != 0 ? err->code : SG_ENOMEM;
    int found;
    size_t at = search(snap, name, &found);
    if (found) {
        sg_refs__namespace_release(snap->namespaces[at]);
        snap->namespaces[at] = e;
        return SG_OK;
    }
    if (sg_refs__grow((void **)&snap->namespaces, &snap->capnamespaces, snap->nnamespaces + 1,
                      sizeof(*snap->namespaces)) < 0) {
        sg_refs__namespace_release(e);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    memmove(snap->namespaces + at + 1, snap->namespaces + at, (snap->nnamespaces - at) * sizeof(*snap->namespaces));
    snap->namespaces[at] = e;
    snap->nnamespaces++;
    return SG_OK;
}

int sg_refs_snapshot_remove_namespace(sg_refs_snapshot_t *snap, sg_span_t name)
{
    int found;
    size_t at = search(snap, name, &found);
    if (!found)
        return 0;
    sg_refs__namespace_release(snap->namespaces[at]);
    memmove(snap->namespaces + at, snap->namespaces + at + 1, (snap->nnamespaces - at - 1) * sizeof(*snap->namespaces));
    snap->nnamespaces--;
    return 1;
}

const sg_json_t *sg_refs_namespace_labels(const sg_refs_snapshot_t *snap, sg_span_t name)
{
    if (snap == NULL || name.len == 0)
        return NULL;
    int found;
    size_t at = search(snap, name, &found);
    return found ? snap->namespaces[at]->labels : NULL;
}

size_t sg_refs_snapshot_count_namespaces(const sg_refs_snapshot_t *snap)
{
    return snap != NULL ? snap->nnamespaces : 0;
}
