/* The rule functions the reconciler reuses: check subsets, the hash check on source bytes the body parser would
 * refuse, the decoded view, and spec equality on raw inputs. */
#include <criterion/criterion.h>
#include <string.h>

#include <storygate/identity.h>

#include "harness.h"

static sg_arena_t arena;
static sg_json_t *object;

static void setup(void)
{
    sg_arena_init(&arena, 0);
    object = sg_json_pointer(h_load(&arena, "fixtures/create.json"), "/request/object");
}

static void teardown(void)
{
    sg_arena_dispose(&arena);
}

TestSuite(admission_rules, .init = setup, .fini = teardown);

Test(admission_rules, decoded_view_trims_identity_and_resolves_story_namespace)
{
    h_set(&arena, object, "/spec/deliveryIdentity/key", sg_json_new_string(&arena, " k\t", 3));
    sg_trigger_t t;
    cr_assert_eq(sg_admission_trigger_decode(&t, object, "", NULL), SG_OK);
    cr_expect(sg_span_eq_cstr(t.key, "k"));
    cr_expect(sg_span_eq_cstr(t.identity, "k"));
    cr_expect(sg_span_eq_cstr(t.story_ns, "default"));
    cr_expect(sg_span_eq_cstr(t.story_name, "triggered-story"));
    cr_expect(sg_span_eq_cstr(t.mode, "token"));
    cr_expect(t.has_mode);
    cr_expect_not_null(t.inputs);
    cr_expect(!t.deleting);
    h_set(&arena, object, "/spec/storyRef/namespace", sg_json_new_string(&arena, "other", 5));
    cr_assert_eq(sg_admission_trigger_decode(&t, object, "", NULL), SG_OK);
    cr_expect(sg_span_eq_cstr(t.story_ns, "other"));
}

Test(admission_rules, decode_error_path_without_prefix)
{
    h_set(&arena, object, "/spec/deliveryIdentity/key", sg_json_new_number(&arena, 1));
    sg_trigger_t t;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_admission_trigger_decode(&t, object, "", &err), SG_EINVALID);
    cr_expect_str_eq(err.message, "spec.deliveryIdentity.key: expected string, got number");
}

Test(admission_rules, reconcile_subset_skips_hash_and_story)
{
    h_set(&arena, object, "/spec/deliveryIdentity/inputHash", sg_json_new_string(&arena, "bad", 3));
    sg_trigger_t t;
    cr_assert_eq(sg_admission_trigger_decode(&t, object, "", NULL), SG_OK);
    sg_refs_snapshot_t *empty = sg_refs_snapshot_new();
    sg_refs_snapshot_set_synced(empty, 1);
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, &arena);
    cr_assert_eq(sg_admission_validate_trigger(&v, &t, SG_TRIGGER_CHECKS_RECONCILE, SG_REFS_POLICY_DENY, empty), SG_OK);
    cr_expect(v.allowed, "%s", v.message);
    sg_admission_verdict_init(&v, &arena);
    cr_assert_eq(sg_admission_validate_trigger(&v, &t, SG_TRIGGER_CHECKS_ADMISSION, SG_REFS_POLICY_DENY, empty), SG_OK);
    cr_expect(!v.allowed);
    cr_expect_str_eq(v.rule, "input_hash_mismatch");
    sg_refs_snapshot_release(empty);
}

Test(admission_rules, reconcile_subset_still_checks_name_and_policy)
{
    h_set(&arena, object, "/spec/storyRef/namespace", sg_json_new_string(&arena, "other", 5));
    sg_trigger_t t;
    cr_assert_eq(sg_admission_trigger_decode(&t, object, "", NULL), SG_OK);
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, &arena);
    sg_admission_validate_trigger(&v, &t, SG_TRIGGER_CHECKS_RECONCILE, SG_REFS_POLICY_ALLOW, NULL);
    cr_expect(!v.allowed);
    cr_expect_str_eq(v.rule, "name_mismatch");
    sg_admission_verdict_init(&v, &arena);
    sg_admission_validate_trigger(&v, &t, SG_TRIGGER_CHECK_POLICY, SG_REFS_POLICY_DENY, NULL);
    cr_expect_str_eq(v.message, "cross-namespace StoryRef references are not allowed");
}

Test(admission_rules, tree_hash_equals_the_hash_of_the_source_bytes)
{
    const char *text = "{\"z\":[1.0,-0,1e21,\"\\ud83d\\ude00<&>\"],\"a\":{\"b\":null,\"b\":\"\\u2028\"}}";
    sg_json_t *inputs = NULL;
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    cr_assert_eq(sg_json_parse(&inputs, &arena, text, strlen(text), &opts, NULL), SG_OK);
    h_set(&arena, object, "/spec/inputs", inputs);
    char want[SG_IDENTITY_INPUT_HASH_LEN + 1];
    cr_assert_eq(sg_identity_input_hash(want, text, strlen(text), &arena, NULL, NULL), SG_OK);
    h_set(&arena, object, "/spec/deliveryIdentity/inputHash", sg_json_new_string(&arena, want, strlen(want)));
    sg_trigger_t t;
    cr_assert_eq(sg_admission_trigger_decode(&t, object, "", NULL), SG_OK);
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, &arena);
    cr_assert_eq(sg_admission_validate_trigger(&v, &t, SG_TRIGGER_CHECK_INPUT_HASH, SG_REFS_POLICY_DENY, NULL), SG_OK);
    cr_expect(v.allowed, "%s", v.message);
}

Test(admission_rules, inputs_built_in_code_are_hashed_from_their_encoding)
{
    sg_json_t *inputs = sg_json_new_object(&arena);
    sg_json_object_set(&arena, inputs, "payload", sg_json_new_string(&arena, "ok", 2));
    h_set(&arena, object, "/spec/inputs", inputs);
    sg_trigger_t t;
    cr_assert_eq(sg_admission_trigger_decode(&t, object, "", NULL), SG_OK);
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, &arena);
    sg_admission_validate_trigger(&v, &t, SG_TRIGGER_CHECK_INPUT_HASH, SG_REFS_POLICY_DENY, NULL);
    cr_expect(v.allowed, "%s", v.message);
}

static sg_json_t *parse(const char *text)
{
    sg_json_t *v = NULL;
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    cr_assert_eq(sg_json_parse(&v, &arena, text, strlen(text), &opts, NULL), SG_OK);
    return v;
}

Test(admission_rules, spec_equality_compares_inputs_as_bytes_modulo_white_space)
{
    cr_expect_eq(sg_admission_spec_equal(parse("{\"inputs\":{\"a\":1}}"), parse("{\"inputs\": { \"a\" : 1 }}")), 1);
    cr_expect_eq(sg_admission_spec_equal(parse("{\"inputs\":{\"a\":1}}"), parse("{\"inputs\":{\"a\":1.0}}")), 0);
    cr_expect_eq(
        sg_admission_spec_equal(parse("{\"inputs\":{\"a\":1,\"b\":2}}"), parse("{\"inputs\":{\"b\":2,\"a\":1}}")), 0);
    cr_expect_eq(sg_admission_spec_equal(parse("{\"inputs\":{}}"), parse("{}")), 0);
    cr_expect_eq(sg_admission_spec_equal(parse("{\"inputs\":null}"), parse("{}")), 1);
}

Test(admission_rules, spec_equality_ignores_member_order_and_nulls_elsewhere)
{
    cr_expect_eq(sg_admission_spec_equal(parse("{\"storyRef\":{\"name\":\"a\",\"version\":\"1\"}}"),
                                         parse("{\"storyRef\":{\"version\":\"1\",\"name\":\"a\",\"uid\":null}}")),
                 1);
    cr_expect_eq(sg_admission_spec_equal(parse("{\"storyRef\":{\"name\":\"a\"}}"),
                                         parse("{\"storyRef\":{\"name\":\"a\",\"namespace\":\"\"}}")),
                 0);
    cr_expect_eq(sg_admission_spec_equal(NULL, parse("null")), 1);
    cr_expect_eq(sg_admission_spec_equal(NULL, parse("{}")), 0);
}
