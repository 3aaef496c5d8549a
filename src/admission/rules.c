/* The StoryTrigger rule set of spec §3.3 and §3.5, in the spec's order with its exact messages, plus the spec
 * equality behind the UPDATE immutability rule. Pure functions of the trigger and a refs snapshot. */
#include <string.h>

#include <storygate/admission.h>
#include <storygate/identity.h>

#define SPAN_FMT "%.*s"
#define SPAN_ARG(s) (int)(s).len, (s).ptr

/* A %q rendering in the arena; NULL when out of memory. */
static const char *quoted(sg_arena_t *arena, sg_span_t s)
{
    sg_buf_t b = SG_BUF_INIT;
    char *r = NULL;
    if (sg_go_quote(&b, s.ptr, s.len) == SG_OK)
        r = sg_arena_strndup(arena, b.base, b.len);
    sg_buf_dispose(&b);
    return r;
}

/* The parse tree of spec.inputs is hashed directly: the body parser accepts a subset of what Go's decoder accepts
 * (valid UTF-8, numbers within float64, bounded depth) and builds the same values from it (duplicate keys folded
 * last-wins, surrogate escapes decoded with Go's rules), so re-decoding the source bytes would give the same canonical
 * form at twice the cost. The "decode trigger inputs" failure of check 6 therefore surfaces when the body is parsed. */
int sg_admission__inputs_hash(char out[SG_IDENTITY_INPUT_HASH_LEN + 1], const sg_trigger_t *t, sg_arena_t *arena,
                              sg_error_t *err)
{
    (void)arena;
    int ret = sg_identity_input_hash_value(out, t->inputs, NULL);
    if (ret < 0)
        return sg_error_set(err, ret, "out of memory computing the input hash");
    return SG_OK;
}

static int check_identity(sg_admission_verdict_t *v, const sg_trigger_t *t)
{
    if (sg_go_trim_space(t->story_ref.name).len == 0)
        return sg_admission_deny(v, 403, "story_ref_name_required", "spec.storyRef.name is required");
    if (t->submission_id.len == 0)
        return sg_admission_deny(v, 403, "submission_id_required", "spec.deliveryIdentity.submissionId is required");
    if (sg_span_eq_cstr(t->mode, "none") && t->key.len != 0)
        return sg_admission_deny(v, 403, "key_must_be_empty",
                                 "spec.deliveryIdentity.key must be empty when spec.deliveryIdentity.mode=\"none\"");
    if ((sg_span_eq_cstr(t->mode, "token") || sg_span_eq_cstr(t->mode, "key")) && t->key.len == 0)
        return sg_admission_deny(v, 403, "key_required",
                                 "spec.deliveryIdentity.key is required when spec.deliveryIdentity.mode=\"" SPAN_FMT
                                 "\"",
                                 SPAN_ARG(t->mode));
    if (t->key.len != 0 && t->input_hash.len == 0)
        return sg_admission_deny(v, 403, "input_hash_required",
                                 "spec.deliveryIdentity.inputHash is required when spec.deliveryIdentity.key is set");
    return SG_OK;
}

static int check_input_hash(sg_admission_verdict_t *v, const sg_trigger_t *t)
{
    if (t->input_hash.len == 0)
        return SG_OK;
    char hex[SG_IDENTITY_INPUT_HASH_LEN + 1];
    int ret = sg_admission__inputs_hash(hex, t, v->arena, NULL);
    if (ret < 0)
        return ret;
    if (!sg_span_eq_cstr(t->input_hash, hex))
        return sg_admission_deny(v, 403, "input_hash_mismatch",
                                 "spec.deliveryIdentity.inputHash does not match spec.inputs");
    return SG_OK;
}

static int check_name(sg_admission_verdict_t *v, const sg_trigger_t *t)
{
    if (sg_go_trim_space(t->name).len == 0)
        return sg_admission_deny(v, 403, "name_required", "metadata.name is required for StoryTrigger");
    if (sg_go_trim_space(t->generate_name).len != 0)
        return sg_admission_deny(v, 403, "generate_name_set", "metadata.generateName must be empty for StoryTrigger");
    char expected[SG_IDENTITY_NAME_MAX + 1];
    size_t n = sg_identity_trigger_name(expected, t->story_ns, t->story_name, t->key, t->submission_id);
    if (sg_span_eq(t->name, sg_span_make(expected, n)))
        return SG_OK;
    const char *qe = quoted(v->arena, sg_span_make(expected, n)), *qa = quoted(v->arena, t->name);
    if (qe == NULL || qa == NULL)
        return SG_ENOMEM;
    return sg_admission_deny(v, 403, "name_mismatch", "metadata.name must be %s for StoryTrigger (got %s)", qe, qa);
}

static int check_policy(sg_admission_verdict_t *v, const sg_trigger_t *t, sg_refs_policy_t policy,
                        const sg_refs_snapshot_t *refs)
{
    switch (sg_refs_check_reference(refs, policy, t->namespace_, t->story_ns, t->story_name)) {
    case SG_REFS_DENIED_POLICY:
        return sg_admission_deny(v, 403, "cross_namespace_denied",
                                 "cross-namespace StoryRef references are not allowed");
    case SG_REFS_DENIED_NO_GRANT: {
        sg_span_t to = sg_go_trim_space(t->story_ns);
        return sg_admission_deny(v, 403, "cross_namespace_no_grant",
                                 "cross-namespace StoryRef reference to " SPAN_FMT "/" SPAN_FMT
                                 " is not permitted (no ReferenceGrant)",
                                 SPAN_ARG(to), SPAN_ARG(t->story_name));
    }
    case SG_REFS_UNAVAILABLE:
        return sg_admission_deny(v, 503, "grants_unavailable", "failed to evaluate ReferenceGrant for StoryRef: %s",
                                 refs == NULL ? "no ReferenceGrant snapshot is configured"
                                              : "the ReferenceGrant snapshot is not synced yet");
    default:
        return SG_OK;
    }
}

static int check_story(sg_admission_verdict_t *v, const sg_trigger_t *t, const sg_refs_snapshot_t *refs)
{
    if (refs == NULL)
        return SG_OK;
    if (!sg_refs_snapshot_synced(refs))
        return sg_admission_deny(v, 503, "story_unavailable",
                                 "failed to get referenced story '" SPAN_FMT "/" SPAN_FMT
                                 "': the Story snapshot is not synced yet",
                                 SPAN_ARG(t->story_ns), SPAN_ARG(t->story_name));
    sg_span_t version;
    if (!sg_refs_story_lookup(refs, t->story_ns, t->story_name, &version))
        return sg_admission_deny(v, 403, "story_not_found", "referenced story '" SPAN_FMT "/" SPAN_FMT "' not found",
                                 SPAN_ARG(t->story_ns), SPAN_ARG(t->story_name));
    sg_span_t want = sg_go_trim_space(t->story_ref.version);
    if (want.len != 0 && !sg_span_eq(want, sg_go_trim_space(version)))
        return sg_admission_deny(v, 403, "story_version_mismatch",
                                 "referenced story '" SPAN_FMT "/" SPAN_FMT "' has version '" SPAN_FMT
                                 "', expected '" SPAN_FMT "'",
                                 SPAN_ARG(t->story_ns), SPAN_ARG(t->story_name), SPAN_ARG(version), SPAN_ARG(want));
    return SG_OK;
}

int sg_admission_validate_trigger(sg_admission_verdict_t *v, const sg_trigger_t *t, unsigned checks,
                                  sg_refs_policy_t policy, const sg_refs_snapshot_t *refs)
{
    int ret = SG_OK;
    if ((checks & SG_TRIGGER_CHECK_IDENTITY) && v->allowed)
        ret = check_identity(v, t);
    if (ret == SG_OK && (checks & SG_TRIGGER_CHECK_INPUT_HASH) && v->allowed)
        ret = check_input_hash(v, t);
    if (ret == SG_OK && (checks & SG_TRIGGER_CHECK_NAME) && v->allowed)
        ret = check_name(v, t);
    if (ret == SG_OK && (checks & SG_TRIGGER_CHECK_POLICY) && v->allowed)
        ret = check_policy(v, t, policy, refs);
    if (ret == SG_OK && (checks & SG_TRIGGER_CHECK_STORY) && v->allowed)
        ret = check_story(v, t, refs);
    return ret;
}

/* ---- immutability ---- */

static int is_null(const sg_json_t *v)
{
    return v == NULL || v->type == SG_JSON_NULL;
}

static size_t non_null_members(const sg_json_t *o)
{
    size_t n = 0;
    for (size_t i = 0; i < o->u.object.len; i++)
        n += !is_null(o->u.object.members[i].value);
    return n;
}

static int inputs_equal(const sg_json_t *a, const sg_json_t *b)
{
    if (is_null(a) || is_null(b))
        return is_null(a) && is_null(b);
    if (a->raw != NULL && b->raw != NULL && a->raw_len == b->raw_len && memcmp(a->raw, b->raw, a->raw_len) == 0)
        return 1;
    sg_buf_t ea = SG_BUF_INIT, eb = SG_BUF_INIT;
    int r = -1;
    if (sg_json_encode(&ea, a) == SG_OK && sg_json_encode(&eb, b) == SG_OK)
        r = ea.len == eb.len && memcmp(ea.base, eb.base, ea.len) == 0;
    sg_buf_dispose(&ea);
    sg_buf_dispose(&eb);
    return r;
}

/* Deep equality where an object member holding null counts as absent (the apiserver drops them). */
static int value_equal(const sg_json_t *a, const sg_json_t *b)
{
    if (is_null(a) || is_null(b))
        return is_null(a) && is_null(b);
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case SG_JSON_ARRAY:
        if (a->u.array.len != b->u.array.len)
            return 0;
        for (size_t i = 0; i < a->u.array.len; i++) {
            int r = value_equal(a->u.array.items[i], b->u.array.items[i]);
            if (r != 1)
                return r;
        }
        return 1;
    case SG_JSON_OBJECT:
        if (non_null_members(a) != non_null_members(b))
            return 0;
        for (size_t i = 0; i < a->u.object.len; i++) {
            const sg_json_member_t *m = &a->u.object.members[i];
            if (is_null(m->value))
                continue;
            int r = value_equal(m->value, sg_json_getn(b, m->key, m->key_len));
            if (r != 1)
                return r;
        }
        return 1;
    default:
        return sg_json_equal(a, b);
    }
}

int sg_admission_spec_equal(const sg_json_t *old_spec, const sg_json_t *new_spec)
{
    if (is_null(old_spec) || is_null(new_spec))
        return is_null(old_spec) && is_null(new_spec);
    if (old_spec->type != SG_JSON_OBJECT || new_spec->type != SG_JSON_OBJECT)
        return value_equal(old_spec, new_spec);
    if (non_null_members(old_spec) != non_null_members(new_spec))
        return 0;
    for (size_t i = 0; i < old_spec->u.object.len; i++) {
        const sg_json_member_t *m = &old_spec->u.object.members[i];
        if (is_null(m->value))
            continue;
        const sg_json_t *other = sg_json_getn(new_spec, m->key, m->key_len);
        int r = m->key_len == 6 && memcmp(m->key, "inputs", 6) == 0 ? inputs_equal(m->value, other)
                                                                    : value_equal(m->value, other);
        if (r != 1)
            return r;
    }
    return 1;
}
