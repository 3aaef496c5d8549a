/* Every case of vectors.json (spec §9) through the library: identity, input hash or error, canonical bytes, names. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <storygate/identity.h>

#include "common.h"

static sg_arena_t arena;
static sg_json_t *cases;

static void setup(void)
{
    sg_arena_init(&arena, 0);
    cases = test_vectors(&arena);
    cr_assert_not_null(cases, "vectors.json must parse");
    cr_assert_eq(cases->type, SG_JSON_ARRAY);
    cr_assert_geq(cases->u.array.len, 62);
}

static void teardown(void)
{
    sg_arena_dispose(&arena);
}

static sg_span_t str(const sg_json_t *c, const char *k)
{
    size_t len = 0;
    const char *s = sg_json_string(sg_json_get(c, k), &len);
    return sg_span_make(s, len);
}

static const char *cname(const sg_json_t *c)
{
    return sg_json_string(sg_json_get(c, "name"), NULL);
}

/* The raw inputs of a case: base64 when present (exact bytes), else the text, else absent (NULL). */
static const char *inputs_of(const sg_json_t *c, size_t *len)
{
    const char *b = sg_json_string(sg_json_get(c, "inputsRawBase64"), NULL);
    if (b != NULL)
        return test_b64_decode(&arena, b, len);
    return sg_json_string(sg_json_get(c, "inputsRaw"), len);
}

/* The expected name bytes: the plain field, or its Base64 twin when the name is not valid UTF-8. */
static sg_span_t expected_name(const sg_json_t *c, const char *field)
{
    char b64field[64];
    snprintf(b64field, sizeof(b64field), "%sBase64", field);
    const char *b = sg_json_string(sg_json_get(c, b64field), NULL);
    if (b != NULL) {
        size_t len = 0;
        const char *p = test_b64_decode(&arena, b, &len);
        return sg_span_make(p, len);
    }
    return str(c, field);
}

TestSuite(identity_vectors, .init = setup, .fini = teardown);

Test(identity_vectors, identity_is_key_else_submission_id)
{
    for (size_t i = 0; i < cases->u.array.len; i++) {
        const sg_json_t *c = cases->u.array.items[i];
        sg_span_t id = sg_identity_of(str(c, "key"), str(c, "submissionId"));
        sg_span_t want = str(c, "identity");
        cr_expect(sg_span_eq(id, want), "%s: identity '%.*s', want '%.*s'", cname(c), (int)id.len, id.ptr,
                  (int)want.len, want.ptr);
    }
}

Test(identity_vectors, input_hash_and_canonical_bytes_match)
{
    size_t checked = 0;
    for (size_t i = 0; i < cases->u.array.len; i++) {
        const sg_json_t *c = cases->u.array.items[i];
        if (sg_json_get(c, "inputHash") == NULL)
            continue;
        size_t len = 0;
        const char *raw = inputs_of(c, &len);
        char hex[SG_IDENTITY_INPUT_HASH_LEN + 1];
        sg_buf_t canon = SG_BUF_INIT;
        sg_error_t err = SG_ERROR_INIT;
        int ret = sg_identity_input_hash(hex, raw, raw != NULL ? len : 0, &arena, &canon, &err);
        cr_expect_eq(ret, SG_OK, "%s: %s", cname(c), err.message);
        cr_expect_str_eq(hex, sg_json_string(sg_json_get(c, "inputHash"), NULL), "%s: hash", cname(c));
        sg_span_t want = str(c, "canonicalInputs");
        cr_expect(sg_span_eq(sg_span_make(canon.base, canon.len), want), "%s: canonical '%s', want '%s'", cname(c),
                  canon.base, want.ptr);
        sg_buf_dispose(&canon);
        checked++;
    }
    cr_expect_geq(checked, 56);
}

Test(identity_vectors, undecodable_inputs_give_go_error_message)
{
    size_t checked = 0;
    for (size_t i = 0; i < cases->u.array.len; i++) {
        const sg_json_t *c = cases->u.array.items[i];
        if (sg_json_get(c, "error") == NULL)
            continue;
        size_t len = 0;
        const char *raw = inputs_of(c, &len);
        char hex[SG_IDENTITY_INPUT_HASH_LEN + 1];
        sg_error_t err = SG_ERROR_INIT;
        int ret = sg_identity_input_hash(hex, raw, raw != NULL ? len : 0, &arena, NULL, &err);
        cr_expect_lt(ret, 0, "%s: must fail", cname(c));
        cr_expect_str_eq(err.message, sg_json_string(sg_json_get(c, "errorMessage"), NULL), "%s", cname(c));
        checked++;
    }
    cr_expect_geq(checked, 6);
}

Test(identity_vectors, derived_names_match)
{
    for (size_t i = 0; i < cases->u.array.len; i++) {
        const sg_json_t *c = cases->u.array.items[i];
        sg_span_t ns = str(c, "storyNamespace"), story = str(c, "storyName"), key = str(c, "key"),
                  sub = str(c, "submissionId");
        char name[SG_IDENTITY_NAME_MAX + 1];
        size_t n = sg_identity_trigger_name(name, ns, story, key, sub);
        sg_span_t want = expected_name(c, "storyTriggerName");
        cr_expect(sg_span_eq(sg_span_make(name, n), want), "%s: trigger name '%s', want '%.*s'", cname(c), name,
                  (int)want.len, want.ptr);
        n = sg_identity_run_name(name, ns, story, sg_identity_of(key, sub));
        want = expected_name(c, "storyRunName");
        cr_expect(sg_span_eq(sg_span_make(name, n), want), "%s: run name '%s', want '%.*s'", cname(c), name,
                  (int)want.len, want.ptr);
        cr_expect_leq(n, SG_IDENTITY_NAME_MAX);
    }
}
