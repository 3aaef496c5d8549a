/* The webhooks' CREATE path on a bare StoryTrigger object, for the embedded API where no apiserver sits in front:
 * the /mutate JSON Patch is applied to the tree itself, then the /validate rules and extra validators run exactly as
 * for an AdmissionReview, so both entry points share one implementation of every rule. */
#include <string.h>

#include "internal.h"

/* Applies one "add" op of the mutation patch. The patch only ever adds object members (see mutate.c), so a pointer
 * whose parent is not an object is a programming error reported as SG_EINVALID. */
static int apply_add(sg_json_t *root, const sg_json_t *op, sg_arena_t *arena)
{
    size_t plen = 0;
    const char *path = sg_json_string(sg_json_get(op, "path"), &plen);
    const sg_json_t *value = sg_json_get(op, "value");
    if (path == NULL || value == NULL || !sg_json_string_eq(sg_json_get(op, "op"), "add") || plen == 0 ||
        path[0] != '/')
        return SG_EINVALID;
    const char *slash = strrchr(path, '/');
    char *parent_ptr = sg_arena_strndup(arena, path, (size_t)(slash - path));
    if (parent_ptr == NULL)
        return SG_ENOMEM;
    sg_json_t *parent = parent_ptr[0] == '\0' ? root : sg_json_pointer(root, parent_ptr);
    if (parent == NULL || parent->type != SG_JSON_OBJECT)
        return SG_EINVALID;
    /* unescape the last token (~1 -> /, ~0 -> ~) */
    const char *tok = slash + 1;
    size_t tlen = strlen(tok);
    char *key = sg_arena_alloc(arena, tlen + 1);
    if (key == NULL)
        return SG_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < tlen; i++) {
        if (tok[i] == '~' && i + 1 < tlen && (tok[i + 1] == '0' || tok[i + 1] == '1')) {
            key[k++] = tok[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            key[k++] = tok[i];
        }
    }
    key[k] = '\0';
    sg_json_t *copy = sg_json_clone(arena, value);
    if (copy == NULL)
        return SG_ENOMEM;
    return sg_json_object_set(arena, parent, key, copy);
}

static int apply_patch(sg_json_t *root, const char *patch, size_t len, sg_arena_t *arena)
{
    sg_json_t *ops = NULL;
    sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
    int ret = sg_json_parse(&ops, arena, patch, len, &popts, NULL);
    if (ret < 0)
        return ret == SG_ENOMEM ? ret : SG_EINVALID;
    if (ops->type != SG_JSON_ARRAY)
        return SG_EINVALID;
    for (size_t i = 0; i < ops->u.array.len; i++)
        if ((ret = apply_add(root, ops->u.array.items[i], arena)) < 0)
            return ret;
    return SG_OK;
}

/* Computes the /mutate patch for t (old: UPDATE carry-over) and applies it to obj, re-decoding t afterwards. */
static int apply_defaults(sg_admission_t *adm, sg_json_t *obj, sg_trigger_t *t, const sg_trigger_t *old,
                          sg_admission_verdict_t *v, sg_arena_t *arena)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_buf_t patch = SG_BUF_INIT;
    int ret = sg_admission_mutation(&patch, v, t, old, !adm->opts.no_labels);
    if (ret == SG_OK && v->allowed && patch.len != 0) {
        ret = apply_patch(obj, patch.base, patch.len, arena);
        if (ret == SG_EINVALID)
            ret = sg_admission_deny(v, 500, "internal", "cannot apply the defaults patch");
        /* the tree changed: decode it again so the rules see the defaults */
        if (ret == SG_OK && v->allowed && sg_admission_trigger_decode(t, obj, "", &err) < 0)
            ret = sg_admission_deny(v, 400, "malformed", "%s", err.message);
    }
    sg_buf_dispose(&patch);
    return ret;
}

/* The request the extra validators see for a bare object. */
static void fake_request(sg_admission_request_t *req, sg_admission_op_t op, const sg_trigger_t *t,
                         const sg_trigger_t *old, int dry_run, sg_arena_t *arena)
{
    memset(req, 0, sizeof(*req));
    req->webhook = SG_ADMISSION_VALIDATE;
    req->api_version = SG_ADMISSION__API_V1;
    req->uid = sg_span_make("", 0);
    req->op = op;
    req->operation = op == SG_ADMISSION_OP_UPDATE ? sg_span_make("UPDATE", 6) : sg_span_make("CREATE", 6);
    req->kind_group = sg_span_make("runs.bubustack.io", 17);
    req->kind_version = req->resource_version = sg_span_make("v1alpha1", 8);
    req->kind_kind = sg_span_make("StoryTrigger", 12);
    req->resource_group = req->kind_group;
    req->resource_resource = sg_span_make("storytriggers", 13);
    req->sub_resource = sg_span_make("", 0);
    req->name = t->name;
    req->namespace_ = t->namespace_;
    req->dry_run = dry_run;
    req->username = sg_span_make("", 0);
    req->object = t->object;
    req->old_object = old != NULL ? old->object : NULL;
    req->is_trigger = 1;
    req->trigger = t;
    req->old_trigger = old;
    req->arena = arena;
}

int sg_admission_review_create(sg_admission_t *adm, sg_json_t *obj, int dry_run, sg_admission_verdict_t *v,
                               sg_arena_t *arena)
{
    sg_trigger_t *t = sg_arena_alloc(arena, sizeof(*t));
    sg_error_t err = SG_ERROR_INIT;
    int ret;
    if (t == NULL)
        return SG_ENOMEM;
    if (obj == NULL || obj->type != SG_JSON_OBJECT)
        return sg_admission_deny(v, 400, "malformed", "the body must be a JSON object");
    if (sg_admission_trigger_decode(t, obj, "", &err) < 0)
        return sg_admission_deny(v, 400, "malformed", "%s", err.message);
    if ((ret = apply_defaults(adm, obj, t, NULL, v, arena)) < 0 || !v->allowed)
        return ret;

    /* one snapshot for the built-in rules and the extra validators */
    sg_refs_snapshot_t *refs = sg_admission_refs(adm);
    ret = sg_admission_validate_trigger(v, t, SG_TRIGGER_CHECKS_ADMISSION, adm->opts.cross_namespace_policy, refs);
    if (ret == SG_OK && v->allowed) {
        sg_admission_request_t req;
        fake_request(&req, SG_ADMISSION_OP_CREATE, t, NULL, dry_run, arena);
        req.refs = refs;
        ret = sg_admission__run_validators(adm, &req, v);
    }
    sg_refs_snapshot_release(refs);
    return ret;
}

int sg_admission_review_update(sg_admission_t *adm, const sg_json_t *old_obj, sg_json_t *obj, int dry_run,
                               sg_admission_verdict_t *v, sg_arena_t *arena)
{
    sg_trigger_t *t = sg_arena_alloc(arena, sizeof(*t)), *old = sg_arena_alloc(arena, sizeof(*old));
    sg_error_t err = SG_ERROR_INIT;
    int ret;
    if (t == NULL || old == NULL)
        return SG_ENOMEM;
    if (obj == NULL || obj->type != SG_JSON_OBJECT)
        return sg_admission_deny(v, 400, "malformed", "the body must be a JSON object");
    if (sg_admission_trigger_decode(t, obj, "", &err) < 0)
        return sg_admission_deny(v, 400, "malformed", "%s", err.message);
    if (sg_admission_trigger_decode(old, old_obj, "stored object", &err) < 0)
        return sg_admission_deny(v, 500, "internal", "%s", err.message);
    /* §8.7: never block an object on its way out; otherwise only spec immutability (after the carry-over). */
    if (t->deleting)
        return SG_OK;
    if ((ret = apply_defaults(adm, obj, t, old, v, arena)) < 0 || !v->allowed)
        return ret;
    int eq = sg_admission_spec_equal(old->spec, t->spec);
    if (eq < 0)
        return SG_ENOMEM;
    if (!eq)
        return sg_admission_deny(
            v, 403, "spec_immutable",
            "spec is immutable for StoryTrigger; create a new StoryTrigger for updated trigger requests");
    sg_admission_request_t req;
    fake_request(&req, SG_ADMISSION_OP_UPDATE, t, old, dry_run, arena);
    sg_refs_snapshot_t *refs = sg_admission_refs(adm);
    req.refs = refs;
    ret = sg_admission__run_validators(adm, &req, v);
    sg_refs_snapshot_release(refs);
    return ret;
}
