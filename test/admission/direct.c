/* The bare-object entry points the embedded API uses: defaults applied in place, then the same rules as /validate. */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static sg_arena_t arena;
static sg_json_t *object;
static sg_admission_t *adm;
static int validator_calls;

static int count_validator(void *ctx, const sg_admission_request_t *req, sg_admission_verdict_t *v)
{
    (void)ctx;
    (void)v;
    cr_assert_not_null(req->trigger);
    validator_calls++;
    return SG_OK;
}

static void setup(void)
{
    sg_arena_init(&arena, 0);
    object = sg_json_clone(&arena, sg_json_pointer(h_load(&arena, "fixtures/create.json"), "/request/object"));
    static const sg_admission_validator_t vals[] = {{"count", count_validator, NULL}};
    sg_admission_opts_t opts = SG_ADMISSION_OPTS_INIT;
    opts.validators = vals;
    opts.nvalidators = 1;
    cr_assert_eq(sg_admission_new(&adm, &opts, NULL), SG_OK);
    validator_calls = 0;
}

static void teardown(void)
{
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

TestSuite(admission_direct, .init = setup, .fini = teardown);

Test(admission_direct, create_fills_defaults_in_place_and_validates)
{
    h_remove(object, "/spec/deliveryIdentity/inputHash");
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, &arena);
    cr_assert_eq(sg_admission_review_create(adm, object, 0, &v, &arena), SG_OK);
    cr_expect(v.allowed, "%s", v.message);
    cr_expect(sg_json_string_eq(sg_json_path(object, "spec.deliveryIdentity.inputHash"),
                                "ef397221056b60ec7cf2d8ebb3cced1cbf98ed13d6dbd0c334b5bb854b682ed6"));
    cr_expect(sg_json_string_eq(sg_json_get(sg_json_path(object, "metadata.labels"), SG_ADMISSION_LABEL_STORY),
                                "triggered-story"));
    cr_expect_eq(validator_calls, 1);
}

Test(admission_direct, create_denies_with_the_webhook_message)
{
    h_set(&arena, object, "/metadata/name", sg_json_new_string(&arena, "x", 1));
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, &arena);
    cr_assert_eq(sg_admission_review_create(adm, object, 0, &v, &arena), SG_OK);
    cr_expect(!v.allowed);
    cr_expect_eq(v.code, 403);
    cr_expect_str_eq(v.message,
                     "metadata.name must be \"triggered-story-trigger-0d8ced9fd86c781d\" for StoryTrigger (got \"x\")");
    cr_expect_eq(validator_calls, 0);
}

Test(admission_direct, create_reports_malformed_objects_with_400)
{
    h_set(&arena, object, "/spec/deliveryIdentity/key", sg_json_new_bool(&arena, 1));
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, &arena);
    cr_assert_eq(sg_admission_review_create(adm, object, 0, &v, &arena), SG_OK);
    cr_expect(!v.allowed);
    cr_expect_eq(v.code, 400);
    cr_expect_str_eq(v.message, "spec.deliveryIdentity.key: expected string, got boolean");
}

Test(admission_direct, update_carries_defaults_and_enforces_immutability)
{
    sg_json_t *stored = sg_json_clone(&arena, object);
    sg_json_t *next = sg_json_clone(&arena, object);
    h_remove(next, "/spec/deliveryIdentity/mode");
    h_set(&arena, next, "/metadata/labels", sg_json_new_object(&arena));
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, &arena);
    cr_assert_eq(sg_admission_review_update(adm, stored, next, 0, &v, &arena), SG_OK);
    cr_expect(v.allowed, "%s", v.message);
    cr_expect(sg_json_string_eq(sg_json_path(next, "spec.deliveryIdentity.mode"), "token"), "mode carried over");
    cr_expect_eq(validator_calls, 1);

    h_set(&arena, next, "/spec/deliveryIdentity/submissionId", sg_json_new_string(&arena, "other", 5));
    sg_admission_verdict_init(&v, &arena);
    cr_assert_eq(sg_admission_review_update(adm, stored, next, 0, &v, &arena), SG_OK);
    cr_expect(!v.allowed);
    cr_expect_str_eq(v.rule, "spec_immutable");

    h_set(&arena, next, "/metadata/deletionTimestamp", sg_json_new_string(&arena, "2026-01-01T00:00:00Z", 20));
    sg_admission_verdict_init(&v, &arena);
    cr_assert_eq(sg_admission_review_update(adm, stored, next, 0, &v, &arena), SG_OK);
    cr_expect(v.allowed, "objects being deleted are never blocked");
}
