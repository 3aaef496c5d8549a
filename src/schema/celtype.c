/* CEL types of schema nodes, for type-checking x-kubernetes-validations rules (`self`) and policies (`object`):
 * properties become object fields, additionalProperties maps, items lists; values keep the type they have at run time
 * (JSON strings stay strings whatever their format). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define MAX_DEPTH 64

/* An object type named `name` with the fields of `spec`: pairs of field name and type text. */
static const sg_cel_type_t *object_of(sg_cel_env_t *env, const char *name, const char *const *spec)
{
    sg_cel_type_t *obj = sg_cel_type_object(env, name, 0);
    sg_error_t err = SG_ERROR_INIT;
    for (size_t i = 0; obj != NULL && spec[i] != NULL; i += 2) {
        const sg_cel_type_t *t = NULL;
        if (sg_cel_type_parse(&t, env, spec[i + 1], strlen(spec[i + 1]), &err) < 0 ||
            sg_cel_type_add_field(env, obj, spec[i], t) < 0)
            return NULL;
    }
    return obj;
}

/* ObjectMeta as policies and rules see it. */
static const sg_cel_type_t *object_meta(sg_cel_env_t *env)
{
    static const char *const meta[] = {
        "name",
        "string",
        "generateName",
        "string",
        "namespace",
        "string",
        "selfLink",
        "string",
        "uid",
        "string",
        "resourceVersion",
        "string",
        "generation",
        "int",
        "creationTimestamp",
        "string",
        "deletionTimestamp",
        "string",
        "deletionGracePeriodSeconds",
        "int",
        "labels",
        "map(string, string)",
        "annotations",
        "map(string, string)",
        "finalizers",
        "list(string)",
        "managedFields",
        "list(dyn)",
        NULL,
    };
    static const char *const owner[] = {
        "apiVersion",         "string", "kind", "string", "name", "string", "uid", "string", "controller", "bool",
        "blockOwnerDeletion", "bool",   NULL,
    };
    sg_cel_type_t *m = (sg_cel_type_t *)object_of(env, "ObjectMeta", meta);
    const sg_cel_type_t *o = object_of(env, "OwnerReference", owner);
    const sg_cel_type_t *ol = o != NULL ? sg_cel_type_list(env, o) : NULL;
    if (m == NULL || ol == NULL || sg_cel_type_add_field(env, m, "ownerReferences", ol) < 0)
        return NULL;
    return m;
}

static const sg_cel_type_t *node_type(sg_cel_env_t *env, const sg_schema_node_t *n, const char *path, int depth);

static const sg_cel_type_t *object_type(sg_cel_env_t *env, const sg_schema_node_t *n, const char *path, int depth)
{
    if (!n->has_props && n->additional != NULL) {
        const sg_cel_type_t *v = node_type(env, n->additional, path, depth + 1);
        return v == NULL ? NULL : sg_cel_type_map(env, sg_cel_type_prim(SG_CEL_T_STRING), v);
    }
    if (!n->has_props && n->additional_set && !n->additional_false)
        return sg_cel_type_map(env, sg_cel_type_prim(SG_CEL_T_STRING), sg_cel_type_prim(SG_CEL_T_DYN));
    sg_cel_type_t *obj = sg_cel_type_object(env, path, n->preserve_unknown);
    if (obj == NULL)
        return NULL;
    if (n->embedded_resource) {
        const sg_cel_type_t *meta = object_meta(env);
        if (meta == NULL || sg_cel_type_add_field(env, obj, "apiVersion", sg_cel_type_prim(SG_CEL_T_STRING)) < 0 ||
            sg_cel_type_add_field(env, obj, "kind", sg_cel_type_prim(SG_CEL_T_STRING)) < 0 ||
            sg_cel_type_add_field(env, obj, "metadata", meta) < 0)
            return NULL;
    }
    for (size_t i = 0; i < n->nprops; i++) {
        char child[512];
        snprintf(child, sizeof(child), "%s.%s", path, n->props[i].name);
        const sg_cel_type_t *t = node_type(env, n->props[i].node, child, depth + 1);
        if (t == NULL || sg_cel_type_add_field(env, obj, n->props[i].name, t) < 0)
            return NULL;
    }
    return obj;
}

static const sg_cel_type_t *node_type(sg_cel_env_t *env, const sg_schema_node_t *n, const char *path, int depth)
{
    if (n == NULL || depth > MAX_DEPTH || n->int_or_string)
        return sg_cel_type_prim(SG_CEL_T_DYN);
    if (n->is_metadata)
        return object_meta(env);
    switch (n->types) {
    case T_OBJECT:
        return object_type(env, n, path, depth);
    case T_ARRAY: {
        char child[512];
        snprintf(child, sizeof(child), "%s[]", path);
        const sg_cel_type_t *e = node_type(env, n->items, child, depth + 1);
        return e == NULL ? NULL : sg_cel_type_list(env, e);
    }
    case T_STRING:
        return sg_cel_type_prim(SG_CEL_T_STRING);
    case T_INTEGER:
        return sg_cel_type_prim(SG_CEL_T_INT);
    case T_NUMBER:
        return sg_cel_type_prim(SG_CEL_T_DOUBLE);
    case T_BOOLEAN:
        return sg_cel_type_prim(SG_CEL_T_BOOL);
    default:
        /* no type: an object when it lists properties, anything otherwise */
        return n->has_props ? object_type(env, n, path, depth) : sg_cel_type_prim(SG_CEL_T_DYN);
    }
}

const sg_cel_type_t *sg_schema__cel_type(sg_cel_env_t *env, const sg_schema_node_t *n, const char *name)
{
    return node_type(env, n, name, 0);
}

const sg_cel_type_t *sg_schema_set_cel_type(const sg_schema_set_t *s, const char *kind, sg_cel_env_t *env)
{
    const sg_schema_kind_t *k = sg_schema__find(s, kind, NULL);
    if (k == NULL)
        return NULL;
    return node_type(env, k->root, k->kind, 0);
}
