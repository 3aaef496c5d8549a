/* The type-checking environment of policy expressions: `object` and `oldObject` typed as StoryTrigger from the
 * built-in CRD's structural schema, `request` as the AdmissionRequest, `variables` as an object whose fields are the
 * variables declared so far. The shared types are built once per process. */
#include <pthread.h>
#include <string.h>

#include <storygate/schema.h>

#include "internal.h"

/* AdmissionRequest (admission.k8s.io/v1) as policies read it; object and oldObject stay dyn there. */
static const char admission_request[] =
    "AdmissionRequest{uid: string, kind: GroupVersionKind{group: string, version: string, kind: string}, "
    "resource: GroupVersionResource{group: string, version: string, resource: string}, subResource: string, "
    "requestKind: GroupVersionKind{group: string, version: string, kind: string}, "
    "requestResource: GroupVersionResource{group: string, version: string, resource: string}, "
    "requestSubResource: string, name: string, namespace: string, operation: string, "
    "userInfo: UserInfo{username: string, uid: string, groups: list(string), extra: map(string, list(string))}, "
    "object: dyn, oldObject: dyn, dryRun: bool, options: dyn}";

static struct {
    sg_cel_env_t *env; /* owns the types below for the life of the process */
    const sg_cel_type_t *object, *request;
} base;
static pthread_once_t base_once = PTHREAD_ONCE_INIT;

static void build_base(void)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_schema_set_t *schemas = NULL;
    if (sg_cel_env_new(&base.env, &err) < 0)
        return;
    if (sg_schema_set_new(&schemas, &err) == SG_OK && sg_schema_set_load_builtin(schemas, &err) == SG_OK)
        base.object = sg_schema_set_cel_type(schemas, SG_POLICY_OBJECT_KIND, base.env);
    sg_schema_set_free(schemas);
    if (sg_cel_type_parse(&base.request, base.env, admission_request, strlen(admission_request), &err) < 0)
        base.request = NULL;
}

int sg_policy__env_new(sg_cel_env_t **out, sg_cel_type_t **variables, sg_error_t *err)
{
    pthread_once(&base_once, build_base);
    const sg_cel_type_t *dyn = sg_cel_type_prim(SG_CEL_T_DYN);
    /* without the schema (never expected) objects are dyn: expressions are then checked for everything else */
    const sg_cel_type_t *object = base.object != NULL ? base.object : dyn;
    const sg_cel_type_t *request = base.request != NULL ? base.request : dyn;
    int rc = sg_cel_env_new(out, err);
    if (rc < 0)
        return rc;
    *variables = sg_cel_type_object(*out, "variables", 0);
    if (*variables == NULL || sg_cel_env_declare(*out, "object", object, err) < 0 ||
        sg_cel_env_declare(*out, "oldObject", object, err) < 0 ||
        sg_cel_env_declare(*out, "request", request, err) < 0 ||
        sg_cel_env_declare(*out, "variables", *variables, err) < 0) {
        sg_cel_env_free(*out);
        *out = NULL;
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    return SG_OK;
}
