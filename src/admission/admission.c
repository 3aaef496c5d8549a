/* The admission handler: checks the transport rules of spec §3.2, parses the body once (STRICT dialect, bounded),
 * decodes the review and the StoryTrigger view, runs /validate (rules, immutability, extra validators, the accept
 * hook) or /mutate (JSON Patch), and encodes the AdmissionReview response. Read-only after creation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"

#define DEFAULT_MAX_DEPTH 128
#define DEFAULT_MAX_STRING (1u << 20)
#define DEFAULT_MAX_BODY 7340032u

int sg_admission_new(sg_admission_t **out, const sg_admission_opts_t *opts, sg_error_t *err)
{
    sg_admission_opts_t defaults = SG_ADMISSION_OPTS_INIT;
    *out = NULL;
    if (opts == NULL)
        opts = &defaults;
    if (opts->nvalidators != 0 && opts->validators == NULL)
        return sg_error_set(err, SG_EINVALID, "admission: %zu validators given without an array", opts->nvalidators);
    for (size_t i = 0; i < opts->nvalidators; i++)
        if (opts->validators[i].fn == NULL)
            return sg_error_set(err, SG_EINVALID, "admission: validator %zu has no function", i);
    sg_admission_t *adm = calloc(1, sizeof(*adm));
    if (adm == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    adm->opts = *opts;
    if (opts->nvalidators != 0) {
        adm->validators = calloc(opts->nvalidators, sizeof(*adm->validators));
        if (adm->validators == NULL) {
            free(adm);
            return sg_error_set(err, SG_ENOMEM, "out of memory");
        }
        memcpy(adm->validators, opts->validators, opts->nvalidators * sizeof(*adm->validators));
    }
    adm->opts.validators = adm->validators;
    if (adm->opts.max_depth == 0)
        adm->opts.max_depth = DEFAULT_MAX_DEPTH;
    if (adm->opts.max_string == 0)
        adm->opts.max_string = DEFAULT_MAX_STRING;
    if (adm->opts.max_body == 0)
        adm->opts.max_body = DEFAULT_MAX_BODY;
    *out = adm;
    return SG_OK;
}

void sg_admission_free(sg_admission_t *adm)
{
    if (adm == NULL)
        return;
    free(adm->validators);
    free(adm);
}

sg_refs_policy_t sg_admission_policy(const sg_admission_t *adm)
{
    return adm->opts.cross_namespace_policy;
}

sg_refs_snapshot_t *sg_admission_refs(const sg_admission_t *adm)
{
    return adm->opts.refs_acquire != NULL ? adm->opts.refs_acquire(adm->opts.refs_ctx) : NULL;
}

const char *sg_admission_op_name(sg_admission_op_t op)
{
    switch (op) {
    case SG_ADMISSION_OP_CREATE:
        return "CREATE";
    case SG_ADMISSION_OP_UPDATE:
        return "UPDATE";
    case SG_ADMISSION_OP_DELETE:
        return "DELETE";
    case SG_ADMISSION_OP_CONNECT:
        return "CONNECT";
    default:
        return NULL;
    }
}

/* A failure before a review could be decoded: HTTP `status` with an AdmissionReview-shaped body. */
static int transport_error(sg_buf_t *out, sg_admission_outcome_t *outcome, sg_arena_t *arena, int status,
                           const char *reason, const char *message)
{
    const char *m = sg_arena_strndup(arena, message, strlen(message));
    outcome->http_status = status;
    outcome->allowed = 0;
    outcome->reason = reason;
    outcome->message = m != NULL ? m : "";
    return sg_admission_write_error(out, status, message);
}

int sg_admission__run_validators(const sg_admission_t *adm, const sg_admission_request_t *req,
                                 sg_admission_verdict_t *v)
{
    for (size_t i = 0; i < adm->opts.nvalidators && v->allowed; i++) {
        const sg_admission_validator_t *val = &adm->validators[i];
        int ret = val->fn(val->ctx, req, v);
        if (ret == SG_ENOMEM)
            return ret;
        if (ret < 0)
            return sg_admission_deny(v, 500, val->name, "internal error in admission rule %s: %s",
                                     val->name != NULL ? val->name : "(unnamed)", sg_error_name(ret));
        if (!v->allowed && v->rule == NULL)
            v->rule = val->name;
    }
    return SG_OK;
}

/* The /validate rules of one review, all reading the one snapshot in req->refs. */
static int validate_with(const sg_admission_t *adm, sg_admission_request_t *req, sg_admission_verdict_t *v)
{
    const sg_trigger_t *t = req->trigger;
    int ret;
    if (req->op == SG_ADMISSION_OP_UPDATE) {
        /* §8.7: only spec immutability, and never block an object on its way out. */
        if (t->deleting)
            return SG_OK;
        int eq = sg_admission_spec_equal(req->old_trigger->spec, t->spec);
        if (eq < 0)
            return SG_ENOMEM;
        if (!eq)
            return sg_admission_deny(
                v, 403, "spec_immutable",
                "spec is immutable for StoryTrigger; create a new StoryTrigger for updated trigger requests");
        return sg_admission__run_validators(adm, req, v);
    }
    ret = sg_admission_validate_trigger(v, t, SG_TRIGGER_CHECKS_ADMISSION, adm->opts.cross_namespace_policy, req->refs);
    if (ret == SG_OK && v->allowed)
        ret = sg_admission__run_validators(adm, req, v);
    if (ret == SG_OK && v->allowed && !req->dry_run && adm->opts.on_accept != NULL)
        adm->opts.on_accept(adm->opts.on_accept_ctx, req);
    return ret;
}

static int validate(const sg_admission_t *adm, sg_admission_request_t *req, sg_admission_verdict_t *v)
{
    sg_refs_snapshot_t *refs = sg_admission_refs(adm);
    req->refs = refs;
    int ret = validate_with(adm, req, v);
    req->refs = NULL;
    sg_refs_snapshot_release(refs);
    return ret;
}

/* Runs /mutate and leaves the base64 patch (arena) in *b64. */
static int mutate(const sg_admission_t *adm, sg_admission_request_t *req, sg_admission_verdict_t *v, char **b64,
                  size_t *b64_len)
{
    sg_buf_t patch = SG_BUF_INIT;
    int ret = sg_admission_mutation(&patch, v, req->trigger,
                                    req->op == SG_ADMISSION_OP_UPDATE ? req->old_trigger : NULL, !adm->opts.no_labels);
    if (ret == SG_OK && v->allowed && patch.len != 0) {
        if (patch.len > (size_t)INT32_MAX / 2) {
            ret = SG_ELIMIT;
        } else {
            size_t cap = 4 * ((patch.len + 2) / 3) + 1;
            char *p = sg_arena_alloc(v->arena, cap);
            if (p == NULL) {
                ret = SG_ENOMEM;
            } else {
                *b64_len =
                    (size_t)EVP_EncodeBlock((unsigned char *)p, (const unsigned char *)patch.base, (int)patch.len);
                *b64 = p;
            }
        }
    }
    sg_buf_dispose(&patch);
    return ret;
}

static int review_trigger(const sg_admission_t *adm, sg_admission_request_t *req, sg_admission_verdict_t *v, char **b64,
                          size_t *b64_len)
{
    sg_trigger_t *t, *old;
    sg_error_t err = SG_ERROR_INIT;
    switch (req->op) {
    case SG_ADMISSION_OP_CONNECT:
    case SG_ADMISSION_OP_DELETE:
        return SG_OK;
    case SG_ADMISSION_OP_UNKNOWN: {
        sg_buf_t q = SG_BUF_INIT;
        int ret = sg_go_quote(&q, req->operation.ptr, req->operation.len);
        if (ret == SG_OK)
            ret = sg_admission_deny(v, 400, "unknown_operation", "unknown operation %s", q.base);
        sg_buf_dispose(&q);
        return ret;
    }
    default:
        break;
    }
    if ((t = sg_arena_alloc(req->arena, sizeof(*t))) == NULL ||
        (old = sg_arena_alloc(req->arena, sizeof(*old))) == NULL)
        return SG_ENOMEM;
    if (req->object == NULL)
        return sg_admission_deny(v, 400, "malformed", "request.object: required for %s", sg_admission_op_name(req->op));
    if (sg_admission_trigger_decode(t, req->object, "request.object", &err) < 0)
        return sg_admission_deny(v, 400, "malformed", "%s", err.message);
    req->trigger = t;
    if (req->op == SG_ADMISSION_OP_UPDATE) {
        if (req->old_object == NULL)
            return sg_admission_deny(v, 400, "malformed", "request.oldObject: required for UPDATE");
        if (sg_admission_trigger_decode(old, req->old_object, "request.oldObject", &err) < 0)
            return sg_admission_deny(v, 400, "malformed", "%s", err.message);
        req->old_trigger = old;
    }
    if (req->webhook == SG_ADMISSION_MUTATE)
        return mutate(adm, req, v, b64, b64_len);
    return validate(adm, req, v);
}

int sg_admission_handle(sg_admission_t *adm, sg_admission_webhook_t webhook, const char *content_type, const char *body,
                        size_t len, sg_arena_t *arena, sg_buf_t *out, sg_admission_outcome_t *outcome)
{
    sg_admission_request_t req;
    sg_admission_verdict_t v;
    sg_error_t err = SG_ERROR_INIT;
    char *b64 = NULL;
    size_t b64_len = 0;
    int ret;

    memset(outcome, 0, sizeof(*outcome));
    outcome->http_status = 200;
    outcome->operation = outcome->message = outcome->uid = outcome->name = outcome->namespace_ = "";
    memset(&req, 0, sizeof(req));
    req.webhook = webhook;
    req.arena = arena;

    if (len == 0 || body == NULL)
        return transport_error(out, outcome, arena, 400, "bad_request", "request body is empty");
    if (len >= adm->opts.max_body) {
        char msg[96];
        snprintf(msg, sizeof(msg), "request entity is too large; limit is %zu bytes", adm->opts.max_body);
        return transport_error(out, outcome, arena, 413, "too_large", msg);
    }
    if (content_type == NULL || strcmp(content_type, "application/json") != 0) {
        char msg[320];
        snprintf(msg, sizeof(msg), "contentType=%.256s, expected application/json",
                 content_type != NULL ? content_type : "");
        return transport_error(out, outcome, arena, 400, "bad_request", msg);
    }
    sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
    popts.dialect = SG_JSON_STRICT;
    popts.max_depth = adm->opts.max_depth;
    popts.max_string = adm->opts.max_string;
    sg_json_t *root = NULL;
    if ((ret = sg_json_parse(&root, arena, body, len, &popts, &err)) < 0) {
        if (ret == SG_ENOMEM)
            return ret;
        return transport_error(out, outcome, arena, 400, "bad_request", err.message);
    }
    if (sg_admission__decode_review(&req, root, &err) < 0)
        return transport_error(out, outcome, arena, 400, "bad_request", err.message);

    const char *opn = sg_admission_op_name(req.op);
    outcome->operation = opn != NULL ? opn : req.operation.ptr;
    outcome->uid = req.uid.ptr;
    outcome->dry_run = req.dry_run;
    outcome->name = req.name.ptr;
    outcome->namespace_ = req.namespace_.ptr;

    sg_admission_verdict_init(&v, arena);
    if (!req.is_trigger) {
        outcome->ignored = 1;
        ret = SG_OK;
    } else {
        ret = review_trigger(adm, &req, &v, &b64, &b64_len);
    }
    if (ret == SG_ELIMIT)
        ret = sg_admission_deny(&v, 400, "malformed", "the JSON Patch is too large");
    if (ret < 0)
        return ret;
    if (req.trigger != NULL && outcome->name[0] == '\0')
        outcome->name = req.trigger->name.ptr;
    if (!v.allowed && v.rule == NULL)
        v.rule = "denied";
    if (!v.allowed && (ret = sg_admission_annotate(&v, "reason", v.rule)) < 0)
        return ret;
    outcome->allowed = v.allowed;
    outcome->patched = b64_len != 0;
    outcome->reason = outcome->ignored ? "ignored" : v.allowed ? "ok" : v.rule;
    outcome->message = v.allowed ? "" : v.message;
    outcome->nwarnings = v.nwarnings;
    return sg_admission__write_response(out, req.api_version, req.uid, &v, b64, b64_len);
}
