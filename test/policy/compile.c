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
                        "object.spec.inputs.map(i, i).size() >= 0 && r'a.b' != b'x' && 1.5e3 > 0.5\"\n");
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
