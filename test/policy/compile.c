/* policy module: compile-time checks — every problem of a file is reported with file:line:column, and nothing with a
 * problem is ever loaded. */
#include <criterion/criterion.h>
#include <string.h>

#include "common.h"

TestSuite(policy_compile, .init = pt_setup, .fini = pt_teardown);

#define HEAD "apiVersion: policy.storygate.dev/v1alpha1\nkind: StoryTriggerPolicy\nmetadata:\n  name: p\nspec:\n"

static void expect_has(const char *diag, const char *needle)
{
    cr_expect(strstr(diag, needle) != NULL, "expected \"%s\" in:\n%s", needle, diag);
}

Test(policy_compile, a_valid_policy_compiles)
{
    sg_policy_set_t *s = pt_compile(HEAD "  validations:\n  - expression: object.spec.storyRef.name != ''\n");
    cr_expect_eq(sg_policy_set_count(s), 1);
    cr_expect_str_eq(sg_policy_set_name(s, 0), "p");
    sg_policy_set_release(s);
}

Test(policy_compile, several_policies_per_file)
{
    sg_policy_set_t *s = pt_compile(HEAD "  validations:\n  - expression: 'true'\n---\n"
                                         "apiVersion: policy.storygate.dev/v1alpha1\nkind: StoryTriggerPolicy\n"
                                         "metadata:\n  name: q\nspec:\n  validations:\n  - expression: 'true'\n");
    cr_expect_eq(sg_policy_set_count(s), 2);
    sg_policy_set_release(s);
}

Test(policy_compile, syntax_error_reports_file_line_column)
{
    const char *d = pt_compile_errors(HEAD "  validations:\n  - expression: 'object.spec. == 1'\n");
    expect_has(d, "p.yaml:7:17: spec.validations[0].expression: ");
    cr_expect_eq(strchr(d, '\n'), d + strlen(d) - 1, "one line per error: %s", d);
}

Test(policy_compile, unknown_identifiers_are_rejected)
{
    const char *d = pt_compile_errors(HEAD "  validations:\n  - expression: objekt.spec.x == 1\n"
                                           "  - expression: namespaceObject.metadata.name == 'a'\n");
    expect_has(d, "p.yaml:7:17: spec.validations[0].expression: undeclared reference to 'objekt'");
    expect_has(d, "p.yaml:8:17: spec.validations[1].expression: 'namespaceObject' is not available");
}

Test(policy_compile, comprehension_variables_and_literals_are_not_free)
{
    sg_policy_set_t *s =
        pt_compile(HEAD "  validations:\n  - expression: \"object.spec.inputs.all(k, v, k != '' && v != null) && "
                        "[1, 2].exists(x, x > 1) && type(1) == int && optional.of(1).hasValue() && "
                        "object.spec.inputs.map(i, i).size() >= 0 && r'a.b' != 'x' && b'x' != b'' && 1.5e3 > 0.5\"\n");
    sg_policy_set_release(s);
}

Test(policy_compile, variables_must_be_declared_and_earlier)
{
    const char *d = pt_compile_errors(HEAD "  variables:\n  - name: a\n    expression: variables.b\n"
                                           "  - name: b\n    expression: '1'\n"
                                           "  validations:\n  - expression: variables.c == 1\n");
    expect_has(d, "spec.variables[0].expression: undeclared reference to 'variables.b' (a variable can only use "
                  "variables declared before it)");
    expect_has(d, "spec.validations[0].expression: undeclared reference to 'variables.c'");
}

Test(policy_compile, type_errors_are_rejected_with_file_line_column)
{
    const char *d = pt_compile_errors(HEAD "  validations:\n  - expression: object.spec.storyRef.name + 1 == 2\n");
    expect_has(d, "p.yaml:7:17: spec.validations[0].expression: 1:27: found no matching overload for '_+_' applied "
                  "to '(string, int)'\n");
}

Test(policy_compile, unknown_fields_of_the_storytrigger_schema_are_rejected)
{
    const char *d = pt_compile_errors(HEAD "  validations:\n  - expression: object.spec.storyref.name == 'a'\n"
                                           "  - expression: has(oldObject.spec.nope)\n");
    expect_has(d, "p.yaml:7:17: spec.validations[0].expression: 1:12: undefined field 'storyref'\n");
    expect_has(d, "p.yaml:8:17: spec.validations[1].expression: 1:19: undefined field 'nope'\n");
}

Test(policy_compile, validations_and_conditions_must_be_bool)
{
    const char *d =
        pt_compile_errors(HEAD "  matchConditions:\n  - name: c\n    expression: object.spec.storyRef.name\n"
                               "  validations:\n  - expression: size(object.spec.storyRef.name)\n");
    expect_has(d, "p.yaml:8:17: spec.matchConditions[0].expression: must evaluate to bool\n");
    expect_has(d, "p.yaml:10:17: spec.validations[0].expression: must evaluate to bool\n");
}

Test(policy_compile, messages_and_annotations_must_be_strings)
{
    const char *d = pt_compile_errors(HEAD "  validations:\n  - expression: 'true'\n"
                                           "    messageExpression: size(object.spec.storyRef.name)\n"
                                           "  auditAnnotations:\n  - key: k\n    valueExpression: '1 == 1'\n");
    expect_has(d, "p.yaml:8:24: spec.validations[0].messageExpression: must evaluate to string\n");
    expect_has(d, "p.yaml:11:22: spec.auditAnnotations[0].valueExpression: must evaluate to one of [string "
                  "null_type]\n");
}

Test(policy_compile, variables_carry_their_checked_types)
{
    const char *d =
        pt_compile_errors(HEAD "  variables:\n  - name: n\n    expression: size(object.spec.storyRef.name)\n"
                               "  - name: ok\n    expression: variables.n > 3\n"
                               "  validations:\n  - expression: variables.n.startsWith('x')\n");
    expect_has(
        d, "p.yaml:12:17: spec.validations[0].expression: 1:13: found no matching overload for 'startsWith' applied to "
           "'int.(string)'\n");
    cr_expect(strstr(d, "spec.variables[1]") == NULL, "%s", d);
}

Test(policy_compile, typed_fields_request_and_open_inputs_check)
{
    sg_policy_set_t *s = pt_compile(
        HEAD "  variables:\n  - name: inputs\n    expression: \"has(object.spec.inputs) ? object.spec.inputs : {}\"\n"
             "  validations:\n  - expression: \"variables.inputs.all(k, type(variables.inputs[k]) != string || "
             "size(variables.inputs[k]) <= 10) && object.metadata.labels.exists(k, v, v != k) && "
             "request.userInfo.groups.exists(g, g == 'x') == false && request.operation in ['CREATE', 'UPDATE'] && "
             "(oldObject == null || oldObject.spec.storyRef == object.spec.storyRef) && "
             "object.spec.inputs.anything.deeper != 1 && object.status.conditions.all(c, c.observedGeneration >= 0)\"\n"
             "    messageExpression: \"'story ' + object.spec.storyRef.name + ' by ' + request.userInfo.username\"\n");
    sg_policy_set_release(s);
}

Test(policy_compile, bad_selector_is_rejected)
{
    const char *d = pt_compile_errors(HEAD "  matchConstraints:\n    namespaceSelector:\n      matchExpressions:\n"
                                           "      - key: team\n        operator: Within\n        values: [a]\n"
                                           "      - key: env\n        operator: Exists\n        values: [x]\n"
                                           "      - key: tier\n        operator: In\n"
                                           "      matchLabels:\n        'bad key!': x\n"
                                           "  validations:\n  - expression: 'true'\n");
    expect_has(d,
               "spec.matchConstraints.namespaceSelector.matchExpressions[0].operator: Unsupported value: \"Within\"");
    expect_has(d, "matchExpressions[1].values: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    expect_has(d, "matchExpressions[2].values: must be specified when `operator` is 'In' or 'NotIn'");
    expect_has(d, "spec.matchConstraints.namespaceSelector.matchLabels: invalid label key \"bad key!\"");
}

Test(policy_compile, unknown_fields_and_bad_values_are_rejected)
{
    const char *d = pt_compile_errors(HEAD "  failurePolicy: Sometimes\n  validationActions: [Deny, Warn]\n"
                                           "  validatons: []\n  validations:\n  - expression: 'true'\n"
                                           "    reason: Teapot\n    message: \"two\\nlines\"\n");
    expect_has(d, "p.yaml:6:18: spec.failurePolicy: Unsupported value: \"Sometimes\"");
    expect_has(d, "spec.validationActions: Invalid value: must not contain both Deny and Warn");
    expect_has(d, "p.yaml:8:3: spec.validatons: unknown field");
    expect_has(d, "spec.validations[0].reason: Unsupported value: \"Teapot\"");
    expect_has(d, "spec.validations[0].message: may not contain line breaks");
}

Test(policy_compile, names_are_unique_and_well_formed)
{
    const char *d = pt_compile_errors(
        HEAD "  validations:\n  - expression: 'true'\n---\n" HEAD "  validations:\n  - expression: 'true'\n---\n"
             "apiVersion: policy.storygate.dev/v1alpha1\nkind: StoryTriggerPolicy\n"
             "metadata:\n  name: Bad_Name\nspec:\n  validations:\n  - expression: 'true'\n");
    expect_has(d, "metadata.name: Duplicate value: \"p\"");
    expect_has(d, "metadata.name: Invalid value: \"Bad_Name\"");
}

Test(policy_compile, other_kinds_and_empty_policies_are_rejected)
{
    const char *d = pt_compile_errors("apiVersion: v1\nkind: ConfigMap\n---\n" HEAD "  failurePolicy: Fail\n");
    expect_has(d, "p.yaml:1:1: expected apiVersion policy.storygate.dev/v1alpha1 and kind StoryTriggerPolicy");
    expect_has(d, "spec: Required value: validations or auditAnnotations must contain at least one item");
}

Test(policy_compile, yaml_errors_carry_their_position)
{
    const char *d = pt_compile_errors(HEAD "  validations: [\n");
    expect_has(d, "p.yaml:");
}

Test(policy_compile, audit_annotation_keys_must_make_valid_names)
{
    const char *d = pt_compile_errors(HEAD "  auditAnnotations:\n  - key: a/b\n    valueExpression: \"'x'\"\n"
                                           "  - key: ok\n    valueExpression: \"'x'\"\n  - key: ok\n"
                                           "    valueExpression: \"'y'\"\n");
    expect_has(d, "spec.auditAnnotations[0].key: \"a/b\" must make a valid annotation name");
    expect_has(d, "spec.auditAnnotations[2].key: Duplicate value: \"ok\"");
}
