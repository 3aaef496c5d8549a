/* Namespaces as the apiserver stores them: every one carries the kubernetes.io/metadata.name label (equal to its name,
 * which policies' namespaceSelector can match) and status.phase Active. Used by API creates and by the manifests. */
#include <string.h>

#include "internal.h"

#define NAME_LABEL "kubernetes.io/metadata.name"

static int set_string(sg_arena_t *arena, sg_json_t *obj, const char *key, const char *value, size_t len)
{
    sg_json_t *v = sg_json_new_string(arena, value, len);
    return v != NULL && sg_json_object_set(arena, obj, key, v) == 0 ? SG_OK : SG_ENOMEM;
}

/* obj[key] as an object, created (or replacing a non-object) when needed; NULL when out of memory. */
static sg_json_t *object_member(sg_arena_t *arena, sg_json_t *obj, const char *key)
{
    sg_json_t *m = sg_json_get(obj, key);
    if (m != NULL && m->type == SG_JSON_OBJECT)
        return m;
    if ((m = sg_json_new_object(arena)) == NULL || sg_json_object_set(arena, obj, key, m) != 0)
        return NULL;
    return m;
}

int sg_api__namespace_defaults(sg_json_t *obj, sg_arena_t *arena)
{
    sg_json_t *md = sg_json_get(obj, "metadata");
    size_t nlen = 0;
    const char *name = sg_json_string(sg_json_get(md, "name"), &nlen);
    if (name != NULL && nlen != 0) {
        sg_json_t *labels = object_member(arena, md, "labels");
        if (labels == NULL || set_string(arena, labels, NAME_LABEL, name, nlen) != SG_OK)
            return SG_ENOMEM;
    }
    sg_json_t *status = sg_json_new_object(arena);
    if (status == NULL || sg_json_object_set(arena, obj, "status", status) != 0 ||
        set_string(arena, status, "phase", "Active", 6) != SG_OK)
        return SG_ENOMEM;
    return SG_OK;
}
