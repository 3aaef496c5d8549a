/* policy module: how expressions see `variables` — errors stay with the variable, object paths keep working beside
 * variables, variables read earlier ones in any order, has() and whole-map uses. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

TestSuite(policy_variables, .init = pt_setup, .fini = pt_teardown);

#define HEAD "apiVersion: policy.storygate.dev/v1alpha1\nkind: StoryTriggerPolicy\nmetadata:\n  name: p\nspec:\n"
#define OBJ(story)                                                                                                     \
    "{\"metadata\":{\"name\":\"t\",\"labels\":{\"src\":\"gh\"}},\"spec\":{\"storyRef\":{\"name\":\"" story "\"}}}"
#define DENIED "StoryTriggerPolicy 'p' denied request: "

static sg_policy_result_t res;

Test(policy_variables, an_erroring_variable_fails_only_the_expressions_reading_it)
{
    sg_policy_set_t *s =
        pt_compile(HEAD "  variables:\n  - name: bad\n    expression: object.spec.inputs.nope\n"
                        "  - name: story\n    expression: object.spec.storyRef.name\n"
                        "  - name: spec\n    expression: object.spec\n"
                        "  validations:\n"
                        "  - expression: object.spec.storyRef.name == 'a'\n    message: object path\n"
                        "  - expression: variables.story == 'a' && object.metadata.labels.src == 'gh'\n"
                        "    message: variable beside an object path\n"
                        "  - expression: variables.spec.storyRef.name == object.spec.storyRef.name\n"
                        "    message: path through a variable\n"
                        "  - expression: variables.bad == 1\n"
                        "  - expression: object.metadata.name == 'x'\n    message: name\n"
                        "  - expression: \"false\"\n    message: fallback\n"
                        "    messageExpression: \"'bad ' + string(variables.bad)\"\n"
                        "  - expression: variables.story == 'a' || variables.bad == 1\n    message: absorbed\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_assert_eq(res.ndenials, 3);
    cr_expect_str_eq(res.denials[0], DENIED "expression 'variables.bad == 1' resulted in error: no such key: 'inputs'");
    cr_expect_str_eq(res.denials[1], DENIED "name");
    cr_expect_str_eq(res.denials[2], DENIED "fallback");
    pt_eval(&res, s, "CREATE", "ns", OBJ("b"), NULL);
    cr_assert_eq(res.ndenials, 6);
    cr_expect_str_eq(res.denials[0], DENIED "object path");
    cr_expect_str_eq(res.denials[1], DENIED "variable beside an object path");
    cr_expect_str_eq(res.denials[2], DENIED "expression 'variables.bad == 1' resulted in error: no such key: 'inputs'");
    cr_expect_str_eq(res.denials[5], DENIED "expression 'variables.story == 'a' || variables.bad == 1' resulted in "
                                            "error: no such key: 'inputs'");
    sg_policy_set_release(s);
}

Test(policy_variables, variables_read_earlier_ones_whatever_the_order_of_use)
{
    sg_policy_set_t *s = pt_compile(
        HEAD "  variables:\n  - name: a\n    expression: object.spec\n"
             "  - name: b\n    expression: variables.a.storyRef.name\n"
             "  - name: c\n    expression: \"variables.b + '-' + variables.a.storyRef.name\"\n"
             "  validations:\n"
             "  - expression: variables.c == 'a-a'\n    message: c\n"
             "  - expression: variables.b == 'a'\n    message: b\n"
             "  - expression: has(variables.a.storyRef) && variables.a.storyRef.name == object.spec.storyRef.name\n"
             "    message: a\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials, 0, "%s", res.ndenials ? res.denials[0] : "");
    pt_eval(&res, s, "CREATE", "ns", OBJ("b"), NULL);
    cr_assert_eq(res.ndenials, 2);
    cr_expect_str_eq(res.denials[0], DENIED "c");
    cr_expect_str_eq(res.denials[1], DENIED "b");
    sg_policy_set_release(s);
}

Test(policy_variables, has_is_true_for_declared_variables_even_erroring_ones)
{
    sg_policy_set_t *s = pt_compile(HEAD "  variables:\n  - name: bad\n    expression: object.spec.inputs.nope\n"
                                         "  - name: story\n    expression: object.spec.storyRef.name\n"
                                         "  validations:\n"
                                         "  - expression: has(variables.story)\n    message: story\n"
                                         "  - expression: has(variables.bad)\n    message: bad\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials, 0, "%s", res.ndenials ? res.denials[0] : "");
    sg_policy_set_release(s);
}

Test(policy_variables, variables_as_a_whole_hold_those_declared_before)
{
    sg_policy_set_t *s = pt_compile(
        HEAD "  variables:\n  - name: bad\n    expression: object.spec.inputs.nope\n"
             "  - name: story\n    expression: object.spec.storyRef.name\n"
             "  - name: n\n    expression: size(variables)\n"
             "  validations:\n"
             "  - expression: variables.n == 2\n    message: a variable sees the ones before it\n"
             "  - expression: size(variables) == 3\n    message: a validation sees them all\n"
             "  - expression: variables['story'] == 'a' && 'bad' in variables\n    message: index and in\n"
             "  - expression: variables.bad == 1 || size(variables) == 3\n    message: errors stay per variable\n"
             "  - expression: variables['bad'] == 1\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_assert_eq(res.ndenials, 1, "%zu denials", res.ndenials);
    cr_expect_str_eq(res.denials[0],
                     DENIED "expression 'variables['bad'] == 1' resulted in error: no such key: 'inputs'");
    sg_policy_set_release(s);
    s = pt_compile(HEAD "  validations:\n  - expression: size(variables) == 0\n");
    pt_eval(&res, s, "CREATE", "ns", OBJ("a"), NULL);
    cr_expect_eq(res.ndenials, 0, "%s", res.ndenials ? res.denials[0] : "");
    sg_policy_set_release(s);
}
