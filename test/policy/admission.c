/* policy and schema validators plugged into the admission handler, end to end on AdmissionReview bodies: deny, warn,
 * audit, and the schema's apiserver-shaped denial. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/schema.h>

#include "../common/table.h"
#include "common.h"

static char dir[256];
static sg_policy_engine_t *engine;
static sg_metrics_t *metrics;
static sg_schema_set_t *schemas;
static sg_schema_validator_t schema_ctx;
static sg_admission_t *adm;

static void setup(void)
{
    pt_setup();
    sg_error_t err = SG_ERROR_INIT;
    metrics = sg_metrics_new();
    sg_policy_engine_opts_t o = {SG_SOURCE_DIR "/deploy/policies", metrics, 0};
    cr_assert_eq(sg_policy_engine_new(&engine, &o, NULL, &err), SG_OK, "%s", err.message);
    cr_assert_eq(sg_schema_set_new(&schemas, &err), SG_OK);
    cr_assert_eq(sg_schema_set_load_builtin(schemas, &err), SG_OK);
    schema_ctx.set = schemas;
    schema_ctx.unknown_fields = SG_SCHEMA_UNKNOWN_WARN;
    sg_admission_validator_t validators[] = {
        {"schema", sg_schema_admission_validate, &schema_ctx},
        {"policy", sg_policy_admission_validate, engine},
    };
    sg_admission_opts_t ao = SG_ADMISSION_OPTS_INIT;
    ao.validators = validators;
    ao.nvalidators = 2;
    cr_assert_eq(sg_admission_new(&adm, &ao, &err), SG_OK, "%s", err.message);
    (void)dir;
}

static void teardown(void)
{
    sg_admission_free(adm);
    sg_policy_engine_free(engine);
    sg_schema_set_free(schemas);
    sg_metrics_free(metrics);
    pt_teardown();
}

TestSuite(policy_admission, .init = setup, .fini = teardown);

static char *read_file(const char *path)
{
    size_t len;
    char *text = th_read_file(path, &len);
    cr_assert_not_null(text, "%s", path);
    return text;
}

/* Replaces the first `from` in `s` by `to` (test-sized strings). */
static char *replace(char *s, const char *from, const char *to)
{
    char *p = strstr(s, from);
    cr_assert_not_null(p, "\"%s\" not in the review", from);
    char *out = malloc(strlen(s) + strlen(to) + 1);
    memcpy(out, s, (size_t)(p - s));
    strcpy(out + (p - s), to);
    strcat(out, p + strlen(from));
    free(s);
    return out;
}

static sg_json_t *review(const char *body)
{
    sg_buf_t out = SG_BUF_INIT;
    sg_admission_outcome_t oc;
    cr_assert_eq(
        sg_admission_handle(adm, SG_ADMISSION_VALIDATE, "application/json", body, strlen(body), pt_arena(), &out, &oc),
        SG_OK);
    cr_assert_eq(oc.http_status, 200);
    char *copy = sg_arena_strndup(pt_arena(), out.base, out.len);
    sg_buf_dispose(&out);
    return pt_json(copy);
}

Test(policy_admission, keyed_trigger_is_allowed_with_an_audit_annotation)
{
    char *body = read_file(SG_SOURCE_DIR "/deploy/examples/admissionreview-keyed.json");
    sg_json_t *r = review(body);
    cr_expect_eq(sg_json_path(r, "response.allowed")->u.boolean, 1, "%s", body);
    cr_expect(sg_json_string_eq(sg_json_get(sg_json_path(r, "response.auditAnnotations"), "pr-review-stories.story"),
                                "github-pr-review/pr-review-assistant"));
    cr_expect_null(sg_json_path(r, "response.warnings"));
    free(body);
}

Test(policy_admission, unpinned_trigger_is_allowed_with_a_warning)
{
    char *body = read_file(SG_SOURCE_DIR "/deploy/examples/admissionreview.json");
    sg_json_t *r = review(body);
    cr_expect_eq(sg_json_path(r, "response.allowed")->u.boolean, 1);
    sg_json_t *w = sg_json_path(r, "response.warnings");
    cr_assert_not_null(w);
    cr_assert_eq(w->u.array.len, 1);
    cr_expect(strstr(w->u.array.items[0]->u.string.ptr, "spec.storyRef.version is not set") != NULL);
    cr_expect_not_null(sg_json_path(r, "response.auditAnnotations.validation_failure"));
    free(body);
}

Test(policy_admission, github_trigger_without_key_is_denied)
{
    char *body = read_file(SG_SOURCE_DIR "/deploy/examples/admissionreview.json");
    body = replace(body, "\"inputs\": {", "\"impulseRef\": {\"name\": \"github-webhook\"}, \"inputs\": {");
    sg_json_t *r = review(body);
    cr_expect_eq(sg_json_path(r, "response.allowed")->u.boolean, 0);
    cr_expect_eq(sg_json_path(r, "response.status.code")->u.number.value, 403);
    cr_expect_str_eq(sg_json_string(sg_json_path(r, "response.status.message"), NULL),
                     "StoryTriggerPolicy 'github-keys' denied request: GitHub triggers must set "
                     "spec.deliveryIdentity.key");
    free(body);
}

Test(policy_admission, all_denials_are_reported_together)
{
    char *body = read_file(SG_SOURCE_DIR "/deploy/examples/admissionreview.json");
    char inputs[2048] = "\"inputs\": {";
    for (int i = 0; i < 40; i++)
        snprintf(inputs + strlen(inputs), sizeof(inputs) - strlen(inputs), "\"k%d\": %d, ", i, i);
    body = replace(body, "\"inputs\": {", inputs);
    body = replace(body, "\"inputs\": {", "\"impulseRef\": {\"name\": \"github-x\"}, \"inputs\": {");
    sg_json_t *r = review(body);
    const char *msg = sg_json_string(sg_json_path(r, "response.status.message"), NULL);
    cr_assert_not_null(msg);
    cr_expect(strstr(msg, "StoryTriggerPolicy 'github-keys' denied request: GitHub triggers must set "
                          "spec.deliveryIdentity.key; StoryTriggerPolicy 'inputs-size' denied request: spec.inputs has "
                          "41 fields; at most 32 are allowed") != NULL,
              "%s", msg);
    free(body);
}

Test(policy_admission, schema_errors_deny_like_the_apiserver)
{
    char *body = read_file(SG_SOURCE_DIR "/deploy/examples/admissionreview.json");
    body = replace(body, "\"mode\": \"none\"", "\"mode\": \"none\", \"extra\": 1");
    body = replace(body, "\"inputs\": {", "\"impulseRef\": {\"name\": \"Bad_Name\"}, \"inputs\": {");
    sg_json_t *r = review(body);
    cr_expect_eq(sg_json_path(r, "response.allowed")->u.boolean, 0);
    cr_expect_eq(sg_json_path(r, "response.status.code")->u.number.value, 422);
    cr_expect(sg_json_string_eq(sg_json_path(r, "response.status.reason"), "Invalid"));
    const char *msg = sg_json_string(sg_json_path(r, "response.status.message"), NULL);
    cr_expect_str_eq(msg,
                     "StoryTrigger.runs.bubustack.io \"example-story-trigger-7ae6e94cb44073bc\" is invalid: "
                     "spec.impulseRef.name: Invalid value: \"Bad_Name\": spec.impulseRef.name in body should match "
                     "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'");
    sg_json_t *w = sg_json_path(r, "response.warnings");
    cr_assert_not_null(w);
    cr_expect(sg_json_string_eq(w->u.array.items[0], "unknown field \"spec.deliveryIdentity.extra\""));
    free(body);
}
