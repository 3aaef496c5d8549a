/* policy module: evaluation — matching, matchConditions, lazy variables, validation outcomes and actions,
 * failurePolicy, audit annotations, messages and their limits. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

TestSuite(policy_eval, .init = pt_setup, .fini = pt_teardown);

#define HEAD "apiVersion: policy.storygate.dev/v1alpha1\nkind: StoryTriggerPolicy\nmetadata:\n  name: p\nspec:\n"
#define OBJ(story)                                                                                                     \
    "{\"metadata\":{\"name\":\"t\",\"labels\":{\"src\":\"gh\"}},\"spec\":{\"storyRef\":{\"name\":\"" story "\"}}}"

static sg_policy_result_t res;

Test(policy_eval, failing_validation_denies_with_its_message)
{
    sg_policy_set_t *s = pt_compile(HEAD "  validations:\n  - expression: object.spec.storyRef.name == 'a'\n"
                                         "    message: only a\n    reason: Forbidden\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("b"), NULL);
    cr_assert_eq(res.ndenials, 1);
    cr_expect_str_eq(res.denials[0], "StoryTriggerPolicy 'p' denied request: only a");
    cr_expect_eq(res.deny_code, 403);
    cr_expect_str_eq(res.deny_reason, "Forbidden");
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials, 0);
    sg_policy_set_release(s);
}

Test(policy_eval, messages_default_and_message_expression)
{
    sg_policy_set_t *s = pt_compile(HEAD "  validations:\n  - expression: object.spec.storyRef.name == 'a'\n"
                                         "  - expression: \"false\"\n    message: static\n"
                                         "    messageExpression: \"'story ' + object.spec.storyRef.name\"\n"
                                         "  - expression: \"false\"\n    message: fallback\n"
                                         "    messageExpression: \"dyn(1)\"\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("b"), NULL);
    cr_assert_eq(res.ndenials, 3);
    cr_expect_str_eq(res.denials[0], "StoryTriggerPolicy 'p' denied request: failed expression: "
                                     "object.spec.storyRef.name == 'a'");
    cr_expect_str_eq(res.denials[1], "StoryTriggerPolicy 'p' denied request: story b");
    cr_expect_str_eq(res.denials[2], "StoryTriggerPolicy 'p' denied request: fallback");
    cr_expect_eq(res.deny_code, 422, "Invalid is the default reason");
    sg_policy_set_release(s);
}

Test(policy_eval, operations_namespaces_and_selectors_decide_what_applies)
{
    sg_policy_set_t *s =
        pt_compile(HEAD "  matchConstraints:\n    operations: [UPDATE]\n    namespaces: [team-a]\n"
                        "    namespaceSelector:\n      matchExpressions:\n"
                        "      - {key: kubernetes.io/metadata.name, operator: NotIn, values: [team-b]}\n"
                        "    objectSelector:\n      matchLabels: {src: gh}\n"
                        "  validations:\n  - expression: \"false\"\n");
    pt_eval(&res, s, "CREATE", "team-a", OBJ("x"), NULL);
    cr_expect_eq(res.ndenials, 0, "operation does not match");
    pt_eval(&res, s, "UPDATE", "team-c", OBJ("x"), OBJ("x"));
    cr_expect_eq(res.ndenials, 0, "namespace not listed");
    pt_eval(&res, s, "UPDATE", "team-a", "{\"metadata\":{\"labels\":{\"src\":\"other\"}},\"spec\":{}}", OBJ("x"));
    cr_expect_eq(res.ndenials, 0, "object labels do not match");
    pt_eval(&res, s, "UPDATE", "team-a", OBJ("x"), OBJ("x"));
    cr_expect_eq(res.ndenials, 1);
    sg_policy_set_release(s);
}

Test(policy_eval, namespace_labels_given_by_the_caller_are_used)
{
    sg_policy_set_t *s =
        pt_compile(HEAD "  matchConstraints:\n    namespaceSelector:\n      matchLabels: {tier: prod}\n"
                        "      matchExpressions:\n      - {key: legacy, operator: DoesNotExist}\n"
                        "  validations:\n  - expression: \"false\"\n");
    sg_policy_input_t in = {"CREATE", "ns", "t", pt_json(OBJ("x")), NULL, NULL, pt_json("{\"tier\":\"prod\"}")};
    cr_assert_eq(sg_policy_evaluate(s, &in, pt_arena(), &res), SG_OK);
    cr_expect_eq(res.ndenials, 1);
    in.namespace_labels = pt_json("{\"tier\":\"prod\",\"legacy\":\"yes\"}");
    cr_assert_eq(sg_policy_evaluate(s, &in, pt_arena(), &res), SG_OK);
    cr_expect_eq(res.ndenials, 0);
    in.namespace_labels = NULL;
    cr_assert_eq(sg_policy_evaluate(s, &in, pt_arena(), &res), SG_OK);
    cr_expect_eq(res.ndenials, 0, "no tier label");
    sg_policy_set_release(s);
}

Test(policy_eval, match_conditions_must_all_be_true)
{
    sg_policy_set_t *s =
        pt_compile(HEAD "  matchConditions:\n  - name: is-b\n    expression: object.spec.storyRef.name == 'b'\n"
                        "  - name: labelled\n    expression: has(object.metadata.labels)\n"
                        "  validations:\n  - expression: \"false\"\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials, 0);
    pt_eval(&res, s, "CREATE", "ns", OBJ("b"), NULL);
    cr_expect_eq(res.ndenials, 1);
    sg_policy_set_release(s);
}

Test(policy_eval, match_condition_errors_follow_failure_policy)
{
    sg_policy_set_t *fail =
        pt_compile(HEAD "  matchConditions:\n  - name: boom\n    expression: object.spec.inputs.missing == 1\n"
                        "  validations:\n  - expression: \"true\"\n");
    pt_eval(&res, fail, "CREATE", "ns", OBJ("a"), NULL);
    cr_assert_eq(res.ndenials, 1);
    cr_expect(strstr(res.denials[0], "matchCondition 'boom' resulted in error: ") != NULL, "%s", res.denials[0]);
    sg_policy_set_release(fail);
    sg_policy_set_t *ign = pt_compile(HEAD "  failurePolicy: Ignore\n  matchConditions:\n  - name: boom\n"
                                           "    expression: object.spec.inputs.missing == 1\n"
                                           "  validations:\n  - expression: \"false\"\n");
    pt_eval(&res, ign, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials, 0);
    sg_policy_set_release(ign);
}

Test(policy_eval, evaluation_errors_follow_failure_policy)
{
    sg_policy_set_t *fail = pt_compile(HEAD "  validations:\n  - expression: object.spec.inputs.nope == 1\n");
    pt_eval(&res, fail, "CREATE", "ns", OBJ("a"), NULL);
    cr_assert_eq(res.ndenials, 1);
    cr_expect(strstr(res.denials[0], "expression 'object.spec.inputs.nope == 1' resulted in error: ") != NULL, "%s",
              res.denials[0]);
    sg_policy_set_release(fail);
    sg_policy_set_t *ign =
        pt_compile(HEAD "  failurePolicy: Ignore\n  validations:\n  - expression: object.spec.inputs.nope == 1\n");
    pt_eval(&res, ign, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials, 0);
    sg_policy_set_release(ign);
}

Test(policy_eval, variables_are_lazy)
{
    /* the failing variable is only read on a branch that is not taken */
    sg_policy_set_t *s =
        pt_compile(HEAD "  variables:\n  - name: bad\n    expression: object.spec.inputs.nope\n"
                        "  - name: story\n    expression: object.spec.storyRef.name\n"
                        "  validations:\n  - expression: variables.story == 'a' || variables.bad == 1\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials, 0);
    pt_eval(&res, s, "CREATE", "ns", OBJ("b"), NULL);
    cr_expect_eq(res.ndenials, 1, "the bad variable is an error where it is used");
    sg_policy_set_release(s);
}

Test(policy_eval, variables_are_evaluated_once_per_request)
{
    /* `heavy` costs about 880k, most of the per-call limit; read by twelve validations it would exceed the 10M
     * request budget unless it is evaluated only once */
    char list[256] = "[0";
    for (int i = 1; i < 50; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), ",%d", i);
    strcat(list, "]");
    char yaml[4096];
    int n = snprintf(
        yaml, sizeof(yaml),
        HEAD "  variables:\n  - name: heavy\n    expression: \"%s.all(a, %s.all(b, %s.all(c, a + b + c >= 0)))\"\n"
             "  validations:\n",
        list, list, list);
    for (int i = 0; i < 12; i++)
        n += snprintf(yaml + n, sizeof(yaml) - (size_t)n, "  - expression: variables.heavy\n");
    sg_policy_set_t *s = pt_compile(yaml);
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials, 0, "%s", res.ndenials ? res.denials[0] : "");
    sg_policy_set_release(s);
}

Test(policy_eval, request_and_old_object_are_visible)
{
    sg_policy_set_t *s = pt_compile(
        HEAD "  validations:\n"
             "  - expression: request.operation == 'UPDATE' && request.namespace == 'ns'\n"
             "  - expression: oldObject == null || oldObject.spec.storyRef.name == object.spec.storyRef.name\n"
             "    message: story changed\n");
    pt_eval(&res, s, "UPDATE", "ns", OBJ("a"), OBJ("a"));
    cr_expect_eq(res.ndenials, 0);
    pt_eval(&res, s, "UPDATE", "ns", OBJ("a"), OBJ("b"));
    cr_assert_eq(res.ndenials, 1);
    cr_expect_str_eq(res.denials[0], "StoryTriggerPolicy 'p' denied request: story changed");
    sg_policy_set_release(s);
}

Test(policy_eval, request_object_from_the_review_is_used)
{
    sg_policy_set_t *s =
        pt_compile(HEAD "  validations:\n"
                        "  - expression: request.userInfo.username.startsWith('system:serviceaccount:')\n"
                        "  - expression: \"!request.dryRun\"\n");
    sg_policy_input_t in = {
        "CREATE", "ns",
        "t",      pt_json(OBJ("a")),
        NULL,     pt_json("{\"operation\":\"CREATE\",\"userInfo\":{\"username\":\"alice\"},\"dryRun\":true}"),
        NULL};
    cr_assert_eq(sg_policy_evaluate(s, &in, pt_arena(), &res), SG_OK);
    cr_expect_eq(res.ndenials, 2);
    sg_policy_set_release(s);
}

Test(policy_eval, warn_gives_bounded_warnings)
{
    sg_policy_set_t *s =
        pt_compile(HEAD "  validationActions: [Warn]\n  validations:\n  - expression: \"false\"\n"
                        "    message: short\n  - expression: \"false\"\n"
                        "    messageExpression: \"object.spec.inputs.nope\"\n  - expression: \"false\"\n"
                        "    messageExpression: \"object.spec.storyRef.name\"\n");
    char big[600];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char obj[800];
    snprintf(obj, sizeof(obj), OBJ("%s"), big);
    pt_eval(&res, s, "CREATE", "ns", obj, NULL);
    cr_expect_eq(res.ndenials, 0);
    cr_assert_eq(res.nwarnings, 3);
    cr_expect_str_eq(res.warnings[0], "Validation failed for StoryTriggerPolicy 'p': short");
    cr_expect(strlen(res.warnings[1]) <= 120);
    cr_expect_eq(strlen(res.warnings[2]), 256);
    cr_expect(strcmp(res.warnings[2] + 253, "...") == 0);
    sg_policy_set_release(s);
}

Test(policy_eval, audit_records_failures_and_annotations)
{
    sg_policy_set_t *s =
        pt_compile(HEAD "  validationActions: [Audit]\n  validations:\n"
                        "  - expression: object.spec.storyRef.name == 'a'\n    message: not a\n"
                        "  auditAnnotations:\n  - key: story\n    valueExpression: object.spec.storyRef.name\n"
                        "  - key: none\n    valueExpression: \"null\"\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("b\\\"q"), NULL);
    cr_expect_eq(res.ndenials, 0);
    cr_expect_eq(res.nwarnings, 0);
    cr_assert_eq(res.nannotations, 2);
    cr_expect_str_eq(res.annotations[0].key, "p.story");
    cr_expect_str_eq(res.annotations[0].value, "b\"q");
    cr_expect_str_eq(res.annotations[1].key, "validation_failure");
    cr_expect_str_eq(
        res.annotations[1].value,
        "[{\"message\":\"not a\",\"policy\":\"p\",\"expressionIndex\":0,\"validationActions\":[\"Audit\"]}]");
    sg_policy_set_release(s);
}

Test(policy_eval, deny_and_audit_together)
{
    sg_policy_set_t *s =
        pt_compile(HEAD "  validationActions: [Deny, Audit]\n  validations:\n  - expression: \"false\"\n"
                        "    message: m\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials, 1);
    cr_assert_eq(res.nannotations, 1);
    cr_expect(strstr(res.annotations[0].value, "\"validationActions\":[\"Audit\",\"Deny\"]") != NULL, "%s",
              res.annotations[0].value);
    sg_policy_set_release(s);
}

Test(policy_eval, annotation_errors_follow_failure_policy)
{
    sg_policy_set_t *s = pt_compile(HEAD "  auditAnnotations:\n  - key: n\n    valueExpression: \"dyn(1)\"\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_assert_eq(res.ndenials, 1);
    cr_expect(strstr(res.denials[0], "must evaluate to a string or null") != NULL, "%s", res.denials[0]);
    sg_policy_set_release(s);
}

Test(policy_eval, an_empty_set_allows)
{
    pt_eval(&res, NULL, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials + res.nwarnings + res.nannotations, 0);
}
