/* schema module: loading CRDs — the built-in copies match schemas/, and bad patterns or rules are rejected with
 * file:line:column. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/schema.h>

#include "../common/table.h"

TestSuite(schema_load);

static int load(const char *yaml, sg_error_t *err)
{
    sg_schema_set_t *s;
    cr_assert_eq(sg_schema_set_new(&s, err), SG_OK);
    int rc = sg_schema_set_load_yaml(s, yaml, strlen(yaml), "crd.yaml", err);
    sg_schema_set_free(s);
    return rc;
}

#define CRD_HEAD                                                                                                       \
    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: g.io\n  names:\n"            \
    "    kind: K\n    plural: ks\n  versions:\n  - name: v1\n    storage: true\n    schema:\n      openAPIV3Schema:\n" \
    "        type: object\n        properties:\n          a:\n            type: string\n"

Test(schema_load, a_bad_pattern_is_rejected_with_its_position)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(load(CRD_HEAD "            pattern: '([a-z'\n", &err), SG_EINVALID);
    cr_expect(strncmp(err.message, "crd.yaml:17:22: invalid pattern", 31) == 0, "%s", err.message);
}

Test(schema_load, a_rule_with_a_syntax_error_is_rejected_with_its_position)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(load(CRD_HEAD "            x-kubernetes-validations:\n            - rule: 'self ==='\n", &err),
                 SG_EINVALID);
    cr_expect(strncmp(err.message, "crd.yaml:18:21: rule: ", 22) == 0, "%s", err.message);
}

Test(schema_load, a_rule_with_a_type_error_is_rejected_with_its_position)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(load(CRD_HEAD "            x-kubernetes-validations:\n            - rule: 'self + 1 > 0'\n", &err),
                 SG_EINVALID);
    cr_expect_str_eq(err.message, "crd.yaml:18:21: rule: ERROR: <input>:1:6: found no matching overload for '_+_' "
                                  "applied to '(string, int)'\n | self + 1 > 0\n | .....^");
}

Test(schema_load, rules_see_the_fields_of_their_node)
{
    sg_error_t err = SG_ERROR_INIT;
    const char *obj = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: g.io\n"
                      "  names:\n    kind: K\n    plural: ks\n  versions:\n  - name: v1\n    storage: true\n"
                      "    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n"
                      "          spec:\n            type: object\n            properties:\n"
                      "              n:\n                type: integer\n"
                      "              tags:\n                type: array\n                items:\n"
                      "                  type: string\n"
                      "              extra:\n                type: object\n"
                      "                x-kubernetes-preserve-unknown-fields: true\n"
                      "            x-kubernetes-validations:\n";
    char y[4096];
    snprintf(y, sizeof(y), "%s            - rule: self.n > 0 && self.tags.all(t, t != '') && self.extra.any == 1\n",
             obj);
    cr_expect_eq(load(y, &err), SG_OK, "%s", err.message);
    snprintf(y, sizeof(y), "%s            - rule: self.count > 0\n", obj);
    cr_assert_eq(load(y, &err), SG_EINVALID);
    cr_expect(strstr(err.message, "rule: ERROR: <input>:1:5: undefined field 'count'") != NULL, "%s", err.message);
    snprintf(y, sizeof(y), "%s            - rule: self.tags.size()\n", obj);
    cr_assert_eq(load(y, &err), SG_EINVALID);
    cr_expect(strstr(err.message, "rule: cel expression must evaluate to a bool") != NULL, "%s", err.message);
    snprintf(y, sizeof(y), "%s            - rule: 'true'\n              messageExpression: self.n\n", obj);
    cr_assert_eq(load(y, &err), SG_EINVALID);
    cr_expect(strstr(err.message, "messageExpression: messageExpression must evaluate to a string") != NULL, "%s",
              err.message);
    snprintf(y, sizeof(y),
             "%s            - rule: self.n >= oldSelf.n\n            - rule: oldSelf.hasValue()\n"
             "              optionalOldSelf: true\n",
             obj);
    cr_expect_eq(load(y, &err), SG_OK, "%s", err.message);
    snprintf(y, sizeof(y), "%s            - rule: oldSelf.hasValue()\n", obj);
    cr_assert_eq(load(y, &err), SG_EINVALID, "oldSelf is an optional only with optionalOldSelf");
}

Test(schema_load, the_storytrigger_type_follows_its_schema)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_schema_set_t *s;
    cr_assert_eq(sg_schema_set_new(&s, &err), SG_OK);
    cr_assert_eq(sg_schema_set_load_builtin(s, &err), SG_OK, "%s", err.message);
    sg_cel_env_t *env = NULL;
    cr_assert_eq(sg_cel_env_new(&env, &err), SG_OK);
    const sg_cel_type_t *t = sg_schema_set_cel_type(s, "StoryTrigger", env);
    cr_assert_not_null(t);
    const sg_cel_type_t *spec = sg_cel_type_field(t, "spec");
    cr_expect_eq(sg_cel_type_kind(sg_cel_type_field(sg_cel_type_field(spec, "storyRef"), "name")), SG_CEL_T_STRING);
    cr_expect_eq(sg_cel_type_kind(sg_cel_type_field(spec, "inputs")), SG_CEL_T_OBJECT);
    cr_expect_null(sg_cel_type_field(spec, "nope"));
    const sg_cel_type_t *labels = sg_cel_type_field(sg_cel_type_field(t, "metadata"), "labels");
    sg_buf_t b = SG_BUF_INIT;
    sg_cel_type_format(&b, labels);
    cr_expect_str_eq(b.base, "map(string, string)");
    sg_buf_dispose(&b);
    const sg_cel_type_t *conds = sg_cel_type_field(sg_cel_type_field(t, "status"), "conditions");
    cr_expect_eq(sg_cel_type_kind(conds), SG_CEL_T_LIST);
    cr_expect_eq(sg_cel_type_kind(sg_cel_type_field(sg_cel_type_param(conds, 0), "observedGeneration")), SG_CEL_T_INT);
    cr_expect_null(sg_schema_set_cel_type(s, "Nothing", env));
    sg_cel_env_free(env);
    sg_schema_set_free(s);
}

Test(schema_load, an_unknown_reason_is_rejected)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(load(CRD_HEAD "            x-kubernetes-validations:\n            - rule: 'true'\n"
                               "              reason: Nope\n",
                      &err),
                 SG_EINVALID);
    cr_expect(strstr(err.message, "reason must be one of") != NULL, "%s", err.message);
}

Test(schema_load, other_documents_are_ignored)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_schema_set_t *s;
    cr_assert_eq(sg_schema_set_new(&s, &err), SG_OK);
    const char *y = "kind: ConfigMap\n---\n" CRD_HEAD;
    cr_assert_eq(sg_schema_set_load_yaml(s, y, strlen(y), "x.yaml", &err), SG_OK, "%s", err.message);
    cr_expect_eq(sg_schema_set_count(s), 1);
    sg_schema_set_free(s);
}

Test(schema_load, the_crd_directory_loads_like_the_builtin_copies)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_schema_set_t *s;
    cr_assert_eq(sg_schema_set_new(&s, &err), SG_OK);
    cr_assert_eq(sg_schema_set_load_dir(s, SG_SOURCE_DIR "/schemas", &err), SG_OK, "%s", err.message);
    cr_expect_eq(sg_schema_set_count(s), 4);
    sg_schema_set_free(s);
}

Test(schema_load, builtin_copies_match_schemas_dir)
{
    /* the built-in copies are the files of schemas/, byte for byte, and nothing else */
    extern const char *const sg_schema__builtin_names[];
    extern const char *const sg_schema__builtin_texts[];
    size_t nbuiltin = 0;
    for (size_t i = 0; sg_schema__builtin_names[i] != NULL; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/schemas/%s", SG_SOURCE_DIR, sg_schema__builtin_names[i]);
        size_t len;
        char *text = th_read_file(path, &len);
        cr_assert_not_null(text, "%s", path);
        cr_expect_str_eq(sg_schema__builtin_texts[i], text, "%s differs from its built-in copy", path);
        free(text);
        nbuiltin++;
    }
    DIR *d = opendir(SG_SOURCE_DIR "/schemas");
    cr_assert_not_null(d);
    size_t nfiles = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        nfiles += len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0;
    }
    closedir(d);
    cr_expect_eq(nbuiltin, nfiles, "%zu built-in CRDs, %zu in schemas/", nbuiltin, nfiles);
}
