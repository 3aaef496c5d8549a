/* Decoding of the AdmissionReview envelope: apiVersion/kind, then each request field the handler reads, with its
 * type checked so a malformed review is refused with the path of the offending field. */
#include <string.h>

#include "internal.h"

static int type_error(sg_error_t *err, const char *path, const sg_json_t *v, const char *want)
{
    return sg_error_setloc(err, SG_EINVALID, path, 0, 0, "%s: expected %s, got %s", path, want,
                           sg_json_type_name(v->type));
}

static int str(const sg_json_t *obj, const char *key, const char *path, sg_span_t *out, sg_error_t *err)
{
    const sg_json_t *v = sg_json_get(obj, key);
    *out = sg_span_make("", 0);
    if (v == NULL || v->type == SG_JSON_NULL)
        return SG_OK;
    if (v->type != SG_JSON_STRING)
        return type_error(err, path, v, "string");
    *out = sg_span_make(v->u.string.ptr, v->u.string.len);
    return SG_OK;
}

static int obj(const sg_json_t *parent, const char *key, const char *path, const sg_json_t **out, sg_error_t *err)
{
    const sg_json_t *v = sg_json_get(parent, key);
    *out = NULL;
    if (v == NULL || v->type == SG_JSON_NULL)
        return SG_OK;
    if (v->type != SG_JSON_OBJECT)
        return type_error(err, path, v, "object");
    *out = v;
    return SG_OK;
}

static sg_admission_op_t parse_op(sg_span_t op)
{
    if (sg_span_eq_cstr(op, "CREATE"))
        return SG_ADMISSION_OP_CREATE;
    if (sg_span_eq_cstr(op, "UPDATE"))
        return SG_ADMISSION_OP_UPDATE;
    if (sg_span_eq_cstr(op, "DELETE"))
        return SG_ADMISSION_OP_DELETE;
    if (sg_span_eq_cstr(op, "CONNECT"))
        return SG_ADMISSION_OP_CONNECT;
    return SG_ADMISSION_OP_UNKNOWN;
}

int sg_admission__decode_review(sg_admission_request_t *req, const sg_json_t *root, sg_error_t *err)
{
    sg_span_t api, kind;
    const sg_json_t *r, *o;
    int ret;
    if (root->type != SG_JSON_OBJECT)
        return type_error(err, "AdmissionReview", root, "object");
    if ((ret = str(root, "apiVersion", "apiVersion", &api, err)) < 0 ||
        (ret = str(root, "kind", "kind", &kind, err)) < 0)
        return ret;
    if (sg_span_eq_cstr(api, SG_ADMISSION__API_V1))
        req->api_version = SG_ADMISSION__API_V1;
    else if (sg_span_eq_cstr(api, SG_ADMISSION__API_V1BETA1))
        req->api_version = SG_ADMISSION__API_V1BETA1;
    else
        return sg_error_setloc(err, SG_EINVALID, "apiVersion", 0, 0,
                               "apiVersion: expected \"admission.k8s.io/v1\" or \"admission.k8s.io/v1beta1\", got "
                               "\"%.*s\"",
                               (int)(api.len > 100 ? 100 : api.len), api.ptr);
    if (!sg_span_eq_cstr(kind, "AdmissionReview"))
        return sg_error_setloc(err, SG_EINVALID, "kind", 0, 0, "kind: expected \"AdmissionReview\", got \"%.*s\"",
                               (int)(kind.len > 100 ? 100 : kind.len), kind.ptr);
    if ((ret = obj(root, "request", "request", &r, err)) < 0)
        return ret;
    if (r == NULL)
        return sg_error_setloc(err, SG_EINVALID, "request", 0, 0, "request: required in an AdmissionReview");
    req->request = r;
    if ((ret = str(r, "uid", "request.uid", &req->uid, err)) < 0 ||
        (ret = str(r, "operation", "request.operation", &req->operation, err)) < 0 ||
        (ret = str(r, "name", "request.name", &req->name, err)) < 0 ||
        (ret = str(r, "namespace", "request.namespace", &req->namespace_, err)) < 0 ||
        (ret = str(r, "subResource", "request.subResource", &req->sub_resource, err)) < 0)
        return ret;
    req->op = parse_op(req->operation);
    if ((ret = obj(r, "kind", "request.kind", &o, err)) < 0 ||
        (ret = str(o, "group", "request.kind.group", &req->kind_group, err)) < 0 ||
        (ret = str(o, "version", "request.kind.version", &req->kind_version, err)) < 0 ||
        (ret = str(o, "kind", "request.kind.kind", &req->kind_kind, err)) < 0)
        return ret;
    if ((ret = obj(r, "resource", "request.resource", &o, err)) < 0 ||
        (ret = str(o, "group", "request.resource.group", &req->resource_group, err)) < 0 ||
        (ret = str(o, "version", "request.resource.version", &req->resource_version, err)) < 0 ||
        (ret = str(o, "resource", "request.resource.resource", &req->resource_resource, err)) < 0)
        return ret;
    if ((ret = obj(r, "userInfo", "request.userInfo", &req->user_info, err)) < 0 ||
        (ret = str(req->user_info, "username", "request.userInfo.username", &req->username, err)) < 0)
        return ret;
    const sg_json_t *dry = sg_json_get(r, "dryRun");
    if (dry != NULL && dry->type != SG_JSON_NULL) {
        if (dry->type != SG_JSON_BOOL)
            return type_error(err, "request.dryRun", dry, "boolean");
        req->dry_run = dry->u.boolean != 0;
    }
    const sg_json_t *object = sg_json_get(r, "object"), *old = sg_json_get(r, "oldObject");
    req->object = object != NULL && object->type != SG_JSON_NULL ? object : NULL;
    req->old_object = old != NULL && old->type != SG_JSON_NULL ? old : NULL;
    req->is_trigger =
        (sg_span_eq_cstr(req->kind_group, "runs.bubustack.io") && sg_span_eq_cstr(req->kind_kind, "StoryTrigger")) ||
        (sg_span_eq_cstr(req->resource_group, "runs.bubustack.io") &&
         sg_span_eq_cstr(req->resource_resource, "storytriggers"));
    return SG_OK;
}
