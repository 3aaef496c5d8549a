/* Snapshot storage: sorted arrays of shared immutable entries (Stories, ReferenceGrants, Namespaces), binary-searched.
 * Building happens on one thread before publication; afterwards only the atomic refcounts change. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int span_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int key_cmp(const char *ans, size_t ans_len, const char *aname, size_t aname_len, sg_span_t ns, sg_span_t name)
{
    int c = span_cmp(ans, ans_len, ns.ptr, ns.len);
    return c != 0 ? c : span_cmp(aname, aname_len, name.ptr, name.len);
}

sg_refs_snapshot_t *sg_refs_snapshot_new(void)
{
    sg_refs_snapshot_t *s = calloc(1, sizeof(*s));
    if (s != NULL)
        atomic_init(&s->refs, 1);
    return s;
}

sg_refs_snapshot_t *sg_refs_snapshot_retain(sg_refs_snapshot_t *snap)
{
    if (snap != NULL)
        atomic_fetch_add_explicit(&snap->refs, 1, memory_order_relaxed);
    return snap;
}

void sg_refs__story_release(sg_refs__story_t *s)
{
    if (s != NULL && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        free(s);
}

void sg_refs__grant_release(sg_refs__grant_t *g)
{
    if (g != NULL && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
        free(g);
}

void sg_refs_snapshot_release(sg_refs_snapshot_t *snap)
{
    if (snap == NULL || atomic_fetch_sub_explicit(&snap->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < snap->nstories; i++)
        sg_refs__story_release(snap->stories[i]);
    for (size_t i = 0; i < snap->ngrants; i++)
        sg_refs__grant_release(SG_REFS__GRANT(snap->grants[i]));
    for (size_t i = 0; i < snap->nnamespaces; i++)
        sg_refs__namespace_release(snap->namespaces[i]);
    free(snap->stories);
    free(snap->grants);
    free(snap->namespaces);
    free(snap);
}

sg_refs_snapshot_t *sg_refs_snapshot_clone(const sg_refs_snapshot_t *src)
{
    sg_refs_snapshot_t *s = sg_refs_snapshot_new();
    if (s == NULL || src == NULL)
        return s;
    if (src->nstories != 0) {
        s->stories = malloc(src->nstories * sizeof(*s->stories));
        if (s->stories == NULL)
            goto fail;
        s->capstories = src->nstories;
    }
    if (src->ngrants != 0) {
        s->grants = malloc(src->ngrants * sizeof(*s->grants));
        if (s->grants == NULL)
            goto fail;
        s->capgrants = src->ngrants;
    }
    if (src->nnamespaces != 0) {
        s->namespaces = malloc(src->nnamespaces * sizeof(*s->namespaces));
        if (s->namespaces == NULL)
            goto fail;
        s->capnamespaces = src->nnamespaces;
    }
    for (size_t i = 0; i < src->nnamespaces; i++) {
        s->namespaces[i] = src->namespaces[i];
        atomic_fetch_add_explicit(&s->namespaces[i]->refs, 1, memory_order_relaxed);
    }
    s->nnamespaces = src->nnamespaces;
    for (size_t i = 0; i < src->nstories; i++) {
        s->stories[i] = src->stories[i];
        atomic_fetch_add_explicit(&s->stories[i]->refs, 1, memory_order_relaxed);
    }
    s->nstories = src->nstories;
    for (size_t i = 0; i < src->ngrants; i++) {
        s->grants[i] = src->grants[i];
        atomic_fetch_add_explicit(&SG_REFS__GRANT(s->grants[i])->refs, 1, memory_order_relaxed);
    }
    s->ngrants = src->ngrants;
    s->synced = src->synced;
    return s;
fail:
    sg_refs_snapshot_release(s);
    return NULL;
}

void sg_refs_snapshot_set_synced(sg_refs_snapshot_t *snap, int synced)
{
    snap->synced = synced != 0;
}

int sg_refs_snapshot_synced(const sg_refs_snapshot_t *snap)
{
    return snap != NULL && snap->synced;
}

size_t sg_refs_snapshot_count_stories(const sg_refs_snapshot_t *snap)
{
    return snap != NULL ? snap->nstories : 0;
}

size_t sg_refs_snapshot_count_grants(const sg_refs_snapshot_t *snap)
{
    return snap != NULL ? snap->ngrants : 0;
}

/* Index of the first story >= (ns, name); *found when equal. */
static size_t story_search(const sg_refs_snapshot_t *snap, sg_span_t ns, sg_span_t name, int *found)
{
    size_t lo = 0, hi = snap->nstories;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const sg_refs__story_t *e = snap->stories[mid];
        if (key_cmp(e->ns, e->ns_len, e->name, e->name_len, ns, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const sg_refs__story_t *e = lo < snap->nstories ? snap->stories[lo] : NULL;
    *found = e != NULL && key_cmp(e->ns, e->ns_len, e->name, e->name_len, ns, name) == 0;
    return lo;
}

static size_t grant_search(const sg_refs_snapshot_t *snap, sg_span_t ns, sg_span_t name, int *found)
{
    size_t lo = 0, hi = snap->ngrants;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const sg_refs__grant_t *e = SG_REFS__GRANT(snap->grants[mid]);
        if (key_cmp(e->pub.namespace_, e->ns_len, e->pub.name, e->name_len, ns, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const sg_refs__grant_t *e = lo < snap->ngrants ? SG_REFS__GRANT(snap->grants[lo]) : NULL;
    *found = e != NULL && key_cmp(e->pub.namespace_, e->ns_len, e->pub.name, e->name_len, ns, name) == 0;
    return lo;
}

int sg_refs__grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return SG_OK;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, ncap * elem);
    if (p == NULL)
        return SG_ENOMEM;
    *arr = p;
    *cap = ncap;
    return SG_OK;
}

int sg_refs_snapshot_put_story(sg_refs_snapshot_t *snap, sg_span_t ns, sg_span_t name, const char *version,
                               size_t version_len)
{
    if (version == NULL)
        version_len = 0;
    sg_refs__story_t *e = malloc(sizeof(*e) + ns.len + name.len + version_len + 3);
    if (e == NULL)
        return SG_ENOMEM;
    char *p = (char *)(e + 1);
    atomic_init(&e->refs, 1);
    e->ns = p;
    e->ns_len = ns.len;
    memcpy(p, ns.ptr, ns.len);
    p[ns.len] = '\0';
    p += ns.len + 1;
    e->name = p;
    e->name_len = name.len;
    memcpy(p, name.ptr, name.len);
    p[name.len] = '\0';
    p += name.len + 1;
    e->version = p;
    e->version_len = version_len;
    if (version_len)
        memcpy(p, version, version_len);
    p[version_len] = '\0';
    int found;
    size_t at = story_search(snap, ns, name, &found);
    if (found) {
        sg_refs__story_release(snap->stories[at]);
        snap->stories[at] = e;
        return SG_OK;
    }
    if (sg_refs__grow((void **)&snap->stories, &snap->capstories, snap->nstories + 1, sizeof(*snap->stories)) < 0) {
        free(e);
        return SG_ENOMEM;
    }
    memmove(snap->stories + at + 1, snap->stories + at, (snap->nstories - at) * sizeof(*snap->stories));
    snap->stories[at] = e;
    snap->nstories++;
    return SG_OK;
}

int sg_refs_snapshot_remove_story(sg_refs_snapshot_t *snap, sg_span_t ns, sg_span_t name)
{
    int found;
    size_t at = story_search(snap, ns, name, &found);
    if (!found)
        return 0;
    sg_refs__story_release(snap->stories[at]);
    memmove(snap->stories + at, snap->stories + at + 1, (snap->nstories - at - 1) * sizeof(*snap->stories));
    snap->nstories--;
    return 1;
}

int sg_refs__insert_grant(sg_refs_snapshot_t *snap, sg_refs__grant_t *g)
{
    int found;
    sg_span_t ns = {g->pub.namespace_, g->ns_len}, name = {g->pub.name, g->name_len};
    size_t at = grant_search(snap, ns, name, &found);
    if (found) {
        sg_refs__grant_release(SG_REFS__GRANT(snap->grants[at]));
        snap->grants[at] = &g->pub;
        return SG_OK;
    }
    if (sg_refs__grow((void **)&snap->grants, &snap->capgrants, snap->ngrants + 1, sizeof(*snap->grants)) < 0)
        return SG_ENOMEM;
    memmove(snap->grants + at + 1, snap->grants + at, (snap->ngrants - at) * sizeof(*snap->grants));
    snap->grants[at] = &g->pub;
    snap->ngrants++;
    return SG_OK;
}

int sg_refs_snapshot_remove_grant(sg_refs_snapshot_t *snap, sg_span_t ns, sg_span_t name)
{
    int found;
    size_t at = grant_search(snap, ns, name, &found);
    if (!found)
        return 0;
    sg_refs__grant_release(SG_REFS__GRANT(snap->grants[at]));
    memmove(snap->grants + at, snap->grants + at + 1, (snap->ngrants - at - 1) * sizeof(*snap->grants));
    snap->ngrants--;
    return 1;
}

int sg_refs_story_lookup(const sg_refs_snapshot_t *snap, sg_span_t ns, sg_span_t name, sg_span_t *version)
{
    int found = 0;
    size_t at = snap != NULL ? story_search(snap, ns, name, &found) : 0;
    if (version != NULL) {
        version->ptr = found ? snap->stories[at]->version : "";
        version->len = found ? snap->stories[at]->version_len : 0;
    }
    return found;
}

size_t sg_refs_grants_in(const sg_refs_snapshot_t *snap, sg_span_t ns, const sg_refs_grant_t *const **first)
{
    *first = NULL;
    if (snap == NULL)
        return 0;
    int found;
    sg_span_t none = {"", 0};
    size_t at = grant_search(snap, ns, none, &found), end = at;
    while (end < snap->ngrants &&
           span_cmp(snap->grants[end]->namespace_, SG_REFS__GRANT(snap->grants[end])->ns_len, ns.ptr, ns.len) == 0)
        end++;
    *first = (const sg_refs_grant_t *const *)(snap->grants + at);
    return end - at;
}
