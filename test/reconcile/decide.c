/* The decision procedure (§4.2-4.6): every decision path and reason with exact messages and status shape. */
#include "helpers.h"

fx_t fx;

static void setup(void)
{
    fx_open(NULL);
}

TestSuite(reconcile_decide, .init = setup, .fini = fx_close);

static const char *run_name_for(const char *story_ns, const char *story, const char *identity)
{
    char n[SG_IDENTITY_NAME_MAX + 1];
    sg_identity_run_name(n, sg_span_cstr(story_ns), sg_span_cstr(story), sg_span_cstr(identity));
    return sg_arena_strndup(&fx.arena, n, strlen(n));
}

Test(reconcile_decide, creates_the_storyrun_and_writes_created)
{
    put_story("default", "story", NULL);
    trig_t t = {.ns = "default", .story = "story", .submission = "sub-1", .inputs = "{\"b\":1,\"a\":[1.0,\"<x>\"]}"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    const char *run = run_name_for("default", "story", "sub-1");
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    char msg[512];
    snprintf(msg, sizeof(msg), "created StoryRun \"default/%s\"", run);
    assert_decision(tr, "Created", "StoryRunCreated", msg);
    cr_assert_str_eq(jstr(tr, "status.storyRunRef.name"), run);
    cr_assert_str_eq(jstr(tr, "status.storyRunRef.namespace"), "default");
    sg_json_t *sr = get_obj(SG_KIND_STORYRUN, "default", run);
    cr_assert_not_null(sr);
    cr_assert_str_eq(jstr(tr, "status.storyRunRef.uid"), jstr(sr, "metadata.uid"));
    const sg_json_t *ann = sg_json_path(sr, "metadata.annotations");
    cr_assert_str_eq(sg_json_string(sg_json_get(ann, SG_RECONCILE_ANN_REQUEST_NAME), NULL), name);
    cr_assert_str_eq(sg_json_string(sg_json_get(ann, SG_RECONCILE_ANN_REQUEST_UID), NULL), jstr(tr, "metadata.uid"));
    cr_assert_null(sg_json_get(ann, SG_RECONCILE_ANN_TOKEN));
    cr_assert_null(sg_json_get(ann, SG_RECONCILE_ANN_INPUT_HASH));
    cr_assert_null(sg_json_path(sr, "metadata.labels"));
    cr_assert_str_eq(jstr(sr, "spec.storyRef.name"), "story");
    /* inputs byte for byte as stored on the trigger */
    const sg_json_t *ti = sg_json_path(tr, "spec.inputs"), *ri = sg_json_path(sr, "spec.inputs");
    cr_assert_eq(ti->raw_len, ri->raw_len);
    cr_assert(memcmp(ti->raw, ri->raw, ti->raw_len) == 0);
    /* first decision: acceptedAt was written (Pending) before completedAt */
    cr_assert_leq(strcmp(jstr(tr, "status.acceptedAt"), jstr(tr, "status.completedAt")), 0);
}

Test(reconcile_decide, keyed_trigger_annotates_token_and_hash)
{
    put_story("team-a", "workflow", "v1");
    trig_t t = {.ns = "team-a",
                .story = "workflow",
                .version = " v1 ",
                .mode = "token",
                .key = "deploy-42",
                .submission = "deploy-42",
                .inputs = "{\"x\":\"y\"}",
                .input_hash = "auto",
                .impulse = "imp"};
    const char *name = put_trigger(&t);
    reconcile("team-a", name);
    const char *run = run_name_for("team-a", "workflow", "deploy-42");
    cr_assert(strncmp(run, "workflow-deploy-42-", 19) == 0);
    sg_json_t *sr = get_obj(SG_KIND_STORYRUN, "team-a", run);
    cr_assert_not_null(sr);
    const sg_json_t *ann = sg_json_path(sr, "metadata.annotations");
    cr_assert_str_eq(sg_json_string(sg_json_get(ann, SG_RECONCILE_ANN_TOKEN), NULL), "deploy-42");
    char h[SG_IDENTITY_INPUT_HASH_LEN + 1];
    cr_assert_eq(sg_identity_input_hash(h, "{\"x\":\"y\"}", 9, &fx.arena, NULL, NULL), SG_OK);
    cr_assert_str_eq(sg_json_string(sg_json_get(ann, SG_RECONCILE_ANN_INPUT_HASH), NULL), h);
    cr_assert_str_eq(jstr(sr, "spec.storyRef.version"), " v1 ");
    cr_assert_str_eq(jstr(sr, "spec.impulseRef.name"), "imp");
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "team-a", name), "Created", "StoryRunCreated", NULL);
}

Test(reconcile_decide, missing_story_is_story_not_found)
{
    trig_t t = {.ns = "default", .story = "missing", .submission = "s"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Rejected", "StoryNotFound",
                    "referenced Story \"default/missing\" was not found");
}

Test(reconcile_decide, version_pin_mismatch)
{
    put_story("default", "s", " v2");
    trig_t t = {.ns = "default", .story = "s", .version = " v1 ", .submission = "x"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Rejected", "StoryVersionMismatch",
                    "referenced Story \"default/s\" has version \" v2\", expected \"v1\"");
}

Test(reconcile_decide, matching_trimmed_version_is_accepted)
{
    put_story("default", "s", "v1 ");
    trig_t t = {.ns = "default", .story = "s", .version = " v1", .submission = "x"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Created", "StoryRunCreated", NULL);
}

Test(reconcile_decide, wrong_input_hash_is_input_hash_mismatch)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default",
                .story = "s",
                .mode = "key",
                .key = "k",
                .submission = "k",
                .inputs = "{\"a\":1}",
                .input_hash = "0000000000000000000000000000000000000000000000000000000000000000"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Rejected", "InputHashMismatch",
                    "spec.deliveryIdentity.inputHash does not match spec.inputs");
}

Test(reconcile_decide, webhook_rules_again_give_validation_failed)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "x", .name = "bad-name"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    char want[600];
    char derived[SG_IDENTITY_NAME_MAX + 1];
    sg_identity_trigger_name(derived, sg_span_cstr("default"), sg_span_cstr("s"), sg_span_cstr(""), sg_span_cstr("x"));
    snprintf(want, sizeof(want), "metadata.name must be \"%s\" for StoryTrigger (got \"bad-name\")", derived);
    assert_decision(tr, "Rejected", "ValidationFailed", want);

    trig_t t2 = {.ns = "default", .story = "s", .mode = "none", .key = "k", .submission = "y", .input_hash = "auto"};
    name = put_trigger(&t2);
    reconcile("default", name);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Rejected", "ValidationFailed",
                    "spec.deliveryIdentity.key must be empty when spec.deliveryIdentity.mode=\"none\"");
}

Test(reconcile_decide, cross_namespace_denied_by_default_policy)
{
    put_story("other", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .story_ns = "other", .submission = "x"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Rejected", "ValidationFailed",
                    "cross-namespace StoryRef references are not allowed");
}

Test(reconcile_decide, already_decided_generation_is_skipped)
{
    trig_t t = {.ns = "default", .story = "missing", .submission = "s"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    uint64_t rv1, rv2;
    sg_store_get(fx.store, NULL, &rv1, SG_KIND_STORYTRIGGER, "default", name, NULL);
    reconcile("default", name);
    sg_store_get(fx.store, NULL, &rv2, SG_KIND_STORYTRIGGER, "default", name, NULL);
    cr_assert_eq(rv1, rv2);
}

Test(reconcile_decide, missing_trigger_is_done)
{
    reconcile("default", "nope");
}

/* Creates the StoryRun a previous pass would have made (annotations naming `uid`). */
static void put_run(const char *ns, const char *run, const char *story, const char *trigger, const char *uid,
                    const char *token, const char *inputs)
{
    char j[2048];
    snprintf(j, sizeof(j),
             "{\"metadata\":{\"name\":\"%s\",\"annotations\":{\"" SG_RECONCILE_ANN_REQUEST_NAME
             "\":\"%s\",\"" SG_RECONCILE_ANN_REQUEST_UID
             "\":\"%s\"%s%s%s}},\"spec\":{\"storyRef\":{\"name\":\"%s\"},\"inputs\":%s}}",
             run, trigger, uid, token ? ",\"" SG_RECONCILE_ANN_TOKEN "\":\"" : "", token ? token : "",
             token ? "\"" : "", story, inputs);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(fx.store, NULL, SG_KIND_STORYRUN, ns, j, strlen(j), NULL, &err), SG_OK, "%s",
                 err.message);
}

Test(reconcile_decide, existing_run_from_this_trigger_is_recovered)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "r1", .inputs = "{\"a\":1}"};
    const char *name = put_trigger(&t);
    const char *uid = jstr(get_obj(SG_KIND_STORYTRIGGER, "default", name), "metadata.uid");
    const char *run = run_name_for("default", "s", "r1");
    put_run("default", run, "s", name, uid, NULL, "{\"a\":1.0}");
    reconcile("default", name);
    char msg[512];
    snprintf(msg, sizeof(msg), "recovered previously created StoryRun \"default/%s\"", run);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Created", "StoryRunCreated", msg);
    cr_assert_str_eq(jstr(tr, "status.storyRunRef.uid"),
                     jstr(get_obj(SG_KIND_STORYRUN, "default", run), "metadata.uid"));
}

Test(reconcile_decide, matching_run_from_elsewhere_is_reused)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "r1", .inputs = "{\"a\":1}"};
    const char *name = put_trigger(&t);
    const char *run = run_name_for("default", "s", "r1");
    put_run("default", run, "s", name, "some-other-uid", NULL, "{\"a\":1}");
    reconcile("default", name);
    char msg[512];
    snprintf(msg, sizeof(msg), "reused existing StoryRun \"default/%s\"", run);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Reused", "StoryRunReused", msg);
}

Test(reconcile_decide, mismatching_run_is_a_conflict)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "r1", .inputs = "{\"a\":1}"};
    const char *name = put_trigger(&t);
    const char *uid = jstr(get_obj(SG_KIND_STORYTRIGGER, "default", name), "metadata.uid");
    const char *run = run_name_for("default", "s", "r1");
    put_run("default", run, "s", name, uid, NULL, "{\"a\":2}");
    reconcile("default", name);
    char msg[512];
    snprintf(msg, sizeof(msg), "existing StoryRun \"default/%s\" does not match StoryTrigger storyRef and inputs", run);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Rejected", "StoryRunConflict", msg);
}

Test(reconcile_decide, run_of_another_identity_is_a_name_collision)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "r1", .inputs = "{\"a\":1}"};
    const char *name = put_trigger(&t);
    const char *run = run_name_for("default", "s", "r1");
    put_run("default", run, "s", "other-trigger", "uid", "another-key", "{\"a\":1}");
    reconcile("default", name);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Rejected", SG_RECONCILE_REASON_NAME_COLLISION, NULL);
    cr_assert(strstr(jstr(tr, "status.message"), "different delivery identity") != NULL);
    cr_assert(strstr(jstr(tr, "status.message"), run) != NULL);
}

Test(reconcile_decide, decisions_are_counted)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "m"};
    reconcile("default", put_trigger(&t));
    sg_buf_t text = SG_BUF_INIT;
    sg_metrics_render(fx.metrics, &text);
    cr_assert(strstr(text.base,
                     "storygate_trigger_decisions_total{decision=\"Created\",reason=\"StoryRunCreated\"} 1") != NULL,
              "%s", text.base);
    cr_assert(strstr(text.base, "storygate_trigger_decision_latency_seconds_count 1") != NULL);
    cr_assert(
        strstr(text.base,
               "controller_runtime_reconcile_total{controller=\"runs-storytrigger\",result=\"requeue_after\"} 0") !=
        NULL);
    sg_buf_dispose(&text);
}
