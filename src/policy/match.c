/* Which policies apply to a request: operations, namespace names and labels, object labels, resource names.
 * namespaceSelector sees the Namespace's labels the caller knows (NULL when unknown), plus kubernetes.io/metadata.name
 * which every namespace has; as in Kubernetes it never excludes a cluster-scoped request (namespace ""). */
#include <string.h>

#include "internal.h"

unsigned sg_policy__op_bit(const char *op)
{
    if (op == NULL)
        return 0;
    if (strcmp(op, "CREATE") == 0)
        return OP_CREATE;
    if (strcmp(op, "UPDATE") == 0)
        return OP_UPDATE;
    if (strcmp(op, "DELETE") == 0)
        return OP_DELETE;
    if (strcmp(op, "CONNECT") == 0)
        return OP_CONNECT;
    return 0;
}

/* The label `key` of `labels`, or of the implicit namespace name label. */
static const char *label(const sg_json_t *labels, const char *implicit_ns, const char *key)
{
    const char *v = sg_json_string(sg_json_get(labels, key), NULL);
    if (v == NULL && implicit_ns != NULL && strcmp(key, "kubernetes.io/metadata.name") == 0)
        v = implicit_ns;
    return v;
}

static int selector_matches(const sg_policy_selector_t *sel, const sg_json_t *labels, const char *implicit_ns)
{
    if (!sel->set)
        return 1;
    for (size_t i = 0; i < sel->nreqs; i++) {
        const sg_policy_requirement_t *r = &sel->reqs[i];
        const char *v = label(labels, implicit_ns, r->key);
        int in = 0;
        for (size_t k = 0; v != NULL && k < r->nvalues && !in; k++)
            in = strcmp(r->values[k], v) == 0;
        switch (r->op) {
        case SEL_IN:
            if (!in)
                return 0;
            break;
        case SEL_NOT_IN:
            if (in)
                return 0;
            break;
        case SEL_EXISTS:
            if (v == NULL)
                return 0;
            break;
        default:
            if (v != NULL)
                return 0;
            break;
        }
    }
    return 1;
}

int sg_policy__matches(const sg_policy_t *p, const sg_policy_input_t *in, unsigned op)
{
    if (!(p->operations & op))
        return 0;
    const char *ns = in->namespace_ != NULL ? in->namespace_ : "";
    if (p->namespaces != NULL) {
        int found = 0;
        for (size_t i = 0; i < p->nnamespaces && !found; i++)
            found = strcmp(p->namespaces[i], ns) == 0;
        if (!found)
            return 0;
    }
    if (p->resource_names != NULL) {
        int found = 0;
        for (size_t i = 0; i < p->nresource_names && !found; i++)
            found = in->name != NULL && strcmp(p->resource_names[i], in->name) == 0;
        if (!found)
            return 0;
    }
    if (ns[0] != '\0' && !selector_matches(&p->namespace_selector, in->namespace_labels, ns))
        return 0;
    if (p->object_selector.set) {
        /* as for webhooks: the new object's labels, or the old one's when there is no new object */
        const sg_json_t *o = in->object != NULL ? in->object : in->old_object;
        if (!selector_matches(&p->object_selector, sg_json_path(o, "metadata.labels"), NULL))
            return 0;
    }
    return 1;
}
