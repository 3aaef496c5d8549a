/* The schema as an admission rule: CREATE and UPDATE of a StoryTrigger are checked against its CRD schema and CEL
 * rules, for the embedded mode where no apiserver stands in front (in cluster mode the apiserver has done it). */
#include <string.h>

#include <storygate/gostr.h>

#include "internal.h"

int sg_schema_admission_validate(void *ctx, const sg_admission_request_t *req, sg_admission_verdict_t *v)
{
    const sg_schema_validator_t *sv = ctx;
    if (sv == NULL || sv->set == NULL || req->object == NULL ||
        (req->op != SG_ADMISSION_OP_CREATE && req->op != SG_ADMISSION_OP_UPDATE))
        return SG_OK;
    sg_field_errors_t errors = SG_FIELD_ERRORS_INIT;
    sg_error_t err = SG_ERROR_INIT;
    const sg_json_t *old = req->op == SG_ADMISSION_OP_UPDATE ? req->old_object : NULL;
    int rc = sg_schema_validate(sv->set, "StoryTrigger", req->object, old, req->arena, &errors, &err);
    if (rc == SG_ENOTFOUND)
        return SG_OK; /* no StoryTrigger schema loaded: nothing to check */
    if (rc < 0)
        return rc;
    size_t hard = 0;
    for (size_t i = 0; i < errors.len; i++) {
        const sg_field_error_t *e = &errors.items[i];
        if (e->type != SG_FIELD_UNKNOWN || sv->unknown_fields == SG_SCHEMA_UNKNOWN_DENY) {
            hard++;
        } else if (sv->unknown_fields == SG_SCHEMA_UNKNOWN_WARN) {
            sg_buf_t w = SG_BUF_INIT;
            sg_buf_puts(&w, "unknown field ");
            sg_go_quote(&w, e->field, strlen(e->field));
            rc = w.oom ? SG_ENOMEM : sg_admission_warn(v, "%s", w.base);
            sg_buf_dispose(&w);
            if (rc < 0)
                return rc;
        }
    }
    if (hard == 0)
        return SG_OK;
    const char *name = sg_json_string(sg_json_path(req->object, "metadata.name"), NULL);
    if (name == NULL)
        name = req->name.ptr != NULL ? req->name.ptr : "";
    sg_buf_t msg = SG_BUF_INIT;
    const char *qk = sg_schema_set_qualified_kind(sv->set, "StoryTrigger");
    rc = sg_schema_errors_format(&msg, qk != NULL ? qk : "StoryTrigger.runs.bubustack.io", name, &errors,
                                 sv->unknown_fields != SG_SCHEMA_UNKNOWN_DENY);
    if (rc == SG_OK)
        rc = sg_admission_deny(v, 422, "schema_invalid", "%s", msg.base);
    sg_buf_dispose(&msg);
    if (rc == SG_OK && !v->allowed && v->rule != NULL && strcmp(v->rule, "schema_invalid") == 0)
        v->status_reason = "Invalid";
    return rc;
}
