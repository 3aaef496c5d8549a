/* Operator policies as an admission rule: the current set is retained for the request (a reload during it does not
 * matter), evaluated with the namespace's labels from the review's refs snapshot, and its result becomes the verdict —
 * all Deny messages joined, warnings, audit annotations. */
#include <string.h>

#include "internal.h"

int sg_policy_admission_validate(void *ctx, const sg_admission_request_t *req, sg_admission_verdict_t *v)
{
    sg_policy_engine_t *e = ctx;
    sg_policy_set_t *s = sg_policy_engine_acquire(e);
    if (s == NULL || s->npolicies == 0) {
        sg_policy_set_release(s);
        return SG_OK;
    }
    sg_policy_input_t in;
    memset(&in, 0, sizeof(in));
    const char *opn = sg_admission_op_name(req->op);
    in.operation = opn != NULL ? opn : "";
    in.namespace_ = req->namespace_.ptr != NULL ? req->namespace_.ptr : "";
    in.name = req->name.ptr != NULL ? req->name.ptr : "";
    in.object = req->object;
    in.old_object = req->old_object;
    in.request = req->request;
    /* from the review's snapshot, never the store; an unknown namespace leaves NULL (only the implicit
     * kubernetes.io/metadata.name label) */
    in.namespace_labels = sg_refs_namespace_labels(req->refs, sg_span_cstr(in.namespace_));
    sg_policy_result_t res;
    int rc = sg_policy_evaluate(s, &in, req->arena, &res);
    sg_policy_set_release(s);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < res.nwarnings && rc == SG_OK; i++)
        rc = sg_admission_warn(v, "%s", res.warnings[i]);
    for (size_t i = 0; i < res.nannotations && rc == SG_OK; i++)
        rc = sg_admission_annotate(v, res.annotations[i].key, res.annotations[i].value);
    if (rc == SG_OK && res.ndenials != 0) {
        sg_buf_t msg = SG_BUF_INIT;
        for (size_t i = 0; i < res.ndenials; i++) {
            if (i)
                sg_buf_puts(&msg, "; ");
            sg_buf_puts(&msg, res.denials[i]);
        }
        rc = msg.oom ? SG_ENOMEM : sg_admission_deny(v, res.deny_code, "policy_denied", "%s", msg.base);
        sg_buf_dispose(&msg);
        if (rc == SG_OK && !v->allowed && v->rule != NULL && strcmp(v->rule, "policy_denied") == 0)
            v->status_reason = res.deny_reason;
    }
    return rc;
}
