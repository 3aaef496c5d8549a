/* policy module: the example policies of deploy/policies, each on triggers it must allow, deny, warn about or audit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/table.h"
#include "common.h"

static sg_policy_set_t *set;
static sg_policy_result_t res;

static void setup(void)
{
    pt_setup();
    sg_buf_t diag = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_policy_set_load_dir(&set, SG_SOURCE_DIR "/deploy/policies", &diag, &err), SG_OK, "%s",
                 diag.base != NULL ? diag.base : err.message);
    sg_buf_dispose(&diag);
}

static void teardown(void)
{
    sg_policy_set_release(set);
    pt_teardown();
}

TestSuite(policy_shipped, .init = setup, .fini = teardown);

/* A trigger in `ns` for `story` with extra spec fields `extra` (JSON members, may be empty). */
static void eval_trigger(const char *ns, const char *story, const char *version, const char *extra)
{
    char obj[16384];
    snprintf(obj, sizeof(obj),
             "{\"metadata\":{\"name\":\"t\",\"namespace\":\"%s\"},\"spec\":{\"storyRef\":{\"name\":\"%s\"%s%s%s},"
             "\"deliveryIdentity\":{\"submissionId\":\"sub-1\"}%s%s}}",
             ns, story, version ? ",\"version\":\"" : "", version ? version : "", version ? "\"" : "",
             extra[0] ? "," : "", extra);
    /* deliveryIdentity given in `extra` replaces the default one (the last member wins) */
    pt_eval(&res, set, "CREATE", ns, obj, NULL);
}

static int has_denial(const char *needle)
{
    for (size_t i = 0; i < res.ndenials; i++)
        if (strstr(res.denials[i], needle) != NULL)
            return 1;
    return 0;
}

Test(policy_shipped, all_example_policies_load)
{
    cr_expect_eq(sg_policy_set_count(set), 6);
}

Test(policy_shipped, a_well_formed_trigger_passes_quietly)
{
    eval_trigger("default", "example-story", "1.0.0", "\"inputs\":{\"greeting\":\"hello\"}");
    cr_expect_eq(res.ndenials, 0, "%s", res.ndenials ? res.denials[0] : "");
    cr_expect_eq(res.nwarnings, 0);
}

Test(policy_shipped, github_triggers_need_a_key_of_the_known_shape)
{
    eval_trigger("github-pr-review", "pr-review-assistant", "1.2.0",
                 "\"impulseRef\":{\"name\":\"github-webhook\"},\"deliveryIdentity\":{\"submissionId\":\"s\","
                 "\"mode\":\"token\",\"key\":\"github:pull_request:37\"}");
    cr_expect_eq(res.ndenials, 0, "%s", res.ndenials ? res.denials[0] : "");
    eval_trigger("github-pr-review", "pr-review-assistant", "1.2.0",
                 "\"impulseRef\":{\"name\":\"github-webhook\"},\"deliveryIdentity\":{\"submissionId\":\"s\","
                 "\"mode\":\"key\",\"key\":\"gitlab:push:1\"}");
    cr_expect(has_denial("StoryTriggerPolicy 'github-keys' denied request: spec.deliveryIdentity.key \"gitlab:push:1\" "
                         "is not of the form github:<event>:<id>"));
    cr_expect_eq(res.deny_code, 403);
    eval_trigger("github-pr-review", "pr-review-assistant", "1.2.0", "\"impulseRef\":{\"name\":\"github-webhook\"}");
    cr_expect(has_denial("GitHub triggers must set spec.deliveryIdentity.key"));
    eval_trigger("default", "example-story", "1", "\"impulseRef\":{\"name\":\"cron\"}");
    cr_expect_eq(res.ndenials, 0, "other impulses are not concerned");
}

Test(policy_shipped, inputs_are_capped)
{
    char extra[12000] = "\"inputs\":{";
    for (int i = 0; i < 33; i++)
        snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%s\"k%d\":%d", i ? "," : "", i, i);
    strcat(extra, "}");
    eval_trigger("default", "example-story", "1", extra);
    cr_expect(has_denial("spec.inputs has 33 fields; at most 32 are allowed"));
    char big[9000];
    memset(big, 'x', 8193);
    big[8193] = '\0';
    snprintf(extra, sizeof(extra), "\"inputs\":{\"blob\":\"%s\",\"n\":1}", big);
    eval_trigger("default", "example-story", "1", extra);
    cr_expect(has_denial("string values in spec.inputs may be at most 8192 characters"));
}

Test(policy_shipped, namespaces_may_trigger_only_their_stories)
{
    eval_trigger("github-pr-review", "deploy-prod", "1", "");
    cr_expect(has_denial("namespace github-pr-review may only trigger pr-review-* Stories, not deploy-prod"));
    int audited = 0;
    for (size_t i = 0; i < res.nannotations; i++)
        if (strcmp(res.annotations[i].key, "pr-review-stories.story") == 0)
            audited = strcmp(res.annotations[i].value, "github-pr-review/deploy-prod") == 0;
    cr_expect(audited, "the story is recorded in the audit annotations");
    eval_trigger("default", "deploy-prod", "1", "");
    cr_expect(has_denial("the default namespace may only trigger example-story and hello-world"));
    eval_trigger("team-x", "deploy-prod", "1", "");
    cr_expect_eq(res.ndenials, 0, "unlisted namespaces are not restricted");
}

Test(policy_shipped, submission_ids_have_a_format)
{
    eval_trigger("default", "example-story", "1", "\"deliveryIdentity\":{\"submissionId\":\"has space\"}");
    cr_expect(has_denial("StoryTriggerPolicy 'submission-id-format' denied request: spec.deliveryIdentity.submissionId "
                         "must be 1-128 characters"));
}

Test(policy_shipped, an_unpinned_version_only_warns_and_audits)
{
    eval_trigger("default", "example-story", NULL, "");
    cr_expect_eq(res.ndenials, 0);
    cr_assert_eq(res.nwarnings, 1);
    /* the long form would pass 120 characters, so the warning names the policy only */
    cr_expect_str_eq(res.warnings[0], "pin-story-version: spec.storyRef.version is not set; the Story's current "
                                      "version will run");
    cr_expect(strlen(res.warnings[0]) <= 120);
    cr_assert_eq(res.nannotations, 1);
    cr_expect_str_eq(res.annotations[0].key, "validation_failure");
}

/* The benchmark set (bench/policies, made by its gen.sh) must let the example reviews through, so a benchmark
 * measures full evaluation rather than early denials. */
Test(policy_shipped, bench_policies_allow_the_example_reviews)
{
    sg_policy_set_t *bench = NULL;
    sg_buf_t diag = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_policy_set_load_dir(&bench, SG_SOURCE_DIR "/bench/policies", &diag, &err), SG_OK, "%s",
                 diag.base != NULL ? diag.base : err.message);
    cr_expect_eq(sg_policy_set_count(bench), 16);
    const char *files[] = {SG_SOURCE_DIR "/deploy/examples/admissionreview.json",
                           SG_SOURCE_DIR "/deploy/examples/admissionreview-keyed.json"};
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        char *text = th_read_file(files[i], &len);
        cr_assert_not_null(text, "%s", files[i]);
        sg_json_t *review = pt_json(text);
        sg_json_t *req = sg_json_get(review, "request");
        sg_policy_input_t in = {
            "CREATE", sg_json_string(sg_json_get(req, "namespace"), NULL), "t", sg_json_get(req, "object"), NULL, req,
            NULL};
        cr_assert_eq(sg_policy_evaluate(bench, &in, pt_arena(), &res), SG_OK);
        cr_expect_eq(res.ndenials, 0, "%s: %s", files[i], res.ndenials ? res.denials[0] : "");
        free(text);
    }
    sg_policy_set_release(bench);
    sg_buf_dispose(&diag);
}
