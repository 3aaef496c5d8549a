/* The cross-namespace policy and ReferenceGrant matching of spec §3.5, and decoding of Story and ReferenceGrant
 * objects into snapshot entries (grant fields trimmed once here rather than on every admission). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int sg_refs_policy_parse(sg_refs_policy_t *out, sg_span_t value, sg_error_t *err)
{
    sg_span_t v = sg_go_trim_space(value);
    *out = SG_REFS_POLICY_DENY;
    if (v.len == 0 || sg_span_eq_cstr(v, "deny"))
        return SG_OK;
    if (sg_span_eq_cstr(v, "grant")) {
        *out = SG_REFS_POLICY_GRANT;
        return SG_OK;
    }
    if (sg_span_eq_cstr(v, "allow")) {
        *out = SG_REFS_POLICY_ALLOW;
        return SG_OK;
    }
    return sg_error_set(err, SG_EINVALID, "unknown cross-namespace policy \"%.*s\" (expected deny, grant or allow)",
                        (int)(v.len > 200 ? 200 : v.len), v.ptr);
}

const char *sg_refs_policy_name(sg_refs_policy_t p)
{
    switch (p) {
    case SG_REFS_POLICY_GRANT:
        return "grant";
    case SG_REFS_POLICY_ALLOW:
        return "allow";
    default:
        return "deny";
    }
}

static int streq_span(const char *s, sg_span_t v)
{
    return sg_span_eq(sg_span_cstr(s), v);
}

int sg_refs_grant_matches(const sg_refs_grant_t *g, sg_span_t from, sg_span_t to, sg_span_t story_name)
{
    if (g->namespace_ == NULL || g->namespace_[0] == '\0' || !streq_span(g->namespace_, to))
        return 0;
    int from_ok = 0;
    for (size_t i = 0; i < g->nfrom && !from_ok; i++) {
        const sg_refs_grant_from_t *f = &g->from[i];
        from_ok = strcmp(f->group, "runs.bubustack.io") == 0 && strcmp(f->kind, "StoryTrigger") == 0 &&
                  streq_span(f->namespace_, from);
    }
    if (!from_ok)
        return 0;
    sg_span_t want = sg_go_trim_space(story_name);
    for (size_t i = 0; i < g->nto; i++) {
        const sg_refs_grant_to_t *t = &g->to[i];
        if (strcmp(t->group, "bubustack.io") == 0 && strcmp(t->kind, "Story") == 0 &&
            (t->name[0] == '\0' || streq_span(t->name, want)))
            return 1;
    }
    return 0;
}

sg_refs_decision_t sg_refs_check_reference(const sg_refs_snapshot_t *snap, sg_refs_policy_t policy, sg_span_t from_ns,
                                           sg_span_t to_ns, sg_span_t story_name)
{
    sg_span_t from = sg_go_trim_space(from_ns), to = sg_go_trim_space(to_ns);
    if (to.len == 0 || from.len == 0 || sg_span_eq(from, to))
        return SG_REFS_SAME_NAMESPACE;
    switch (policy) {
    case SG_REFS_POLICY_ALLOW:
        return SG_REFS_ALLOWED;
    case SG_REFS_POLICY_GRANT: {
        if (!sg_refs_snapshot_synced(snap))
            return SG_REFS_UNAVAILABLE;
        const sg_refs_grant_t *const *grants;
        size_t n = sg_refs_grants_in(snap, to, &grants);
        for (size_t i = 0; i < n; i++)
            if (sg_refs_grant_matches(grants[i], from, to, story_name))
                return SG_REFS_ALLOWED;
        return SG_REFS_DENIED_NO_GRANT;
    }
    default:
        return SG_REFS_DENIED_POLICY;
    }
}

/* A trimmed string field of an object ("" when absent or not a string). */
static sg_span_t field(const sg_json_t *obj, const char *key, int trim)
{
    size_t len = 0;
    const char *s = sg_json_string(sg_json_get(obj, key), &len);
    sg_span_t v = sg_span_make(s, len);
    return trim ? sg_go_trim_space(v) : v;
}

static const sg_json_t *array_of(const sg_json_t *obj, const char *key)
{
    const sg_json_t *a = sg_json_get(obj, key);
    return a != NULL && a->type == SG_JSON_ARRAY ? a : NULL;
}

static char *copy_str(char **p, sg_span_t v)
{
    char *s = *p;
    memcpy(s, v.ptr, v.len);
    s[v.len] = '\0';
    *p += v.len + 1;
    return s;
}

int sg_refs_snapshot_put_grant_json(sg_refs_snapshot_t *snap, const sg_json_t *grant, sg_error_t *err)
{
    const sg_json_t *meta = sg_json_get(grant, "metadata"), *spec = sg_json_get(grant, "spec");
    sg_span_t ns = field(meta, "namespace", 0), name = field(meta, "name", 0);
    if (ns.len == 0 || name.len == 0)
        return sg_error_set(err, SG_EINVALID, "ReferenceGrant without metadata.namespace and metadata.name");
    const sg_json_t *from = array_of(spec, "from"), *to = array_of(spec, "to");
    size_t nfrom = from != NULL ? from->u.array.len : 0, nto = to != NULL ? to->u.array.len : 0;
    /* One block: entry, from[], to[], then every string with its NUL. */
    size_t strings = ns.len + name.len + 2;
    for (size_t i = 0; i < nfrom; i++) {
        const sg_json_t *f = from->u.array.items[i];
        strings += field(f, "group", 1).len + field(f, "kind", 1).len + field(f, "namespace", 1).len + 3;
    }
    for (size_t i = 0; i < nto; i++) {
        const sg_json_t *t = to->u.array.items[i];
        strings += field(t, "group", 1).len + field(t, "kind", 1).len + field(t, "name", 1).len + 3;
    }
    size_t size =
        sizeof(sg_refs__grant_t) + nfrom * sizeof(sg_refs_grant_from_t) + nto * sizeof(sg_refs_grant_to_t) + strings;
    sg_refs__grant_t *g = malloc(size);
    if (g == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    sg_refs_grant_from_t *fa = (sg_refs_grant_from_t *)(g + 1);
    sg_refs_grant_to_t *ta = (sg_refs_grant_to_t *)(fa + nfrom);
    char *p = (char *)(ta + nto);
    atomic_init(&g->refs, 1);
    g->pub.namespace_ = copy_str(&p, ns);
    g->pub.name = copy_str(&p, name);
    g->ns_len = ns.len;
    g->name_len = name.len;
    for (size_t i = 0; i < nfrom; i++) {
        const sg_json_t *f = from->u.array.items[i];
        fa[i].group = copy_str(&p, field(f, "group", 1));
        fa[i].kind = copy_str(&p, field(f, "kind", 1));
        fa[i].namespace_ = copy_str(&p, field(f, "namespace", 1));
    }
    for (size_t i = 0; i < nto; i++) {
        const sg_json_t *t = to->u.array.items[i];
        ta[i].group = copy_str(&p, field(t, "group", 1));
        ta[i].kind = copy_str(&p, field(t, "kind", 1));
        ta[i].name = copy_str(&p, field(t, "name", 1));
    }
    g->pub.from = fa;
    g->pub.nfrom = nfrom;
    g->pub.to = ta;
    g->pub.nto = nto;
    if (sg_refs__insert_grant(snap, g) < 0) {
        free(g);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    return SG_OK;
}

int sg_refs_snapshot_put_story_json(sg_refs_snapshot_t *snap, const sg_json_t *story, sg_error_t *err)
{
    const sg_json_t *meta = sg_json_get(story, "metadata");
    sg_span_t ns = field(meta, "namespace", 0), name = field(meta, "name", 0);
    if (ns.len == 0 || name.len == 0)
        return sg_error_set(err, SG_EINVALID, "Story without metadata.namespace and metadata.name");
    size_t vlen = 0;
    const char *version = sg_json_string(sg_json_path(story, "spec.version"), &vlen);
    if (sg_refs_snapshot_put_story(snap, ns, name, version, vlen) < 0)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    return SG_OK;
}
