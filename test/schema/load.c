/* schema module: loading CRDs — the built-in copies match schemas/, and bad patterns or rules are rejected with
 * file:line:column. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/schema.h>

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
    /* a stale src/schema/builtin.c means gen_builtin.py was not run after a CRD changed */
    extern const char *const sg_schema__builtin_names[];
    extern const char *const sg_schema__builtin_texts[];
    for (size_t i = 0; sg_schema__builtin_names[i] != NULL; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/schemas/%s", SG_SOURCE_DIR, sg_schema__builtin_names[i]);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "%s", path);
        static char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        cr_expect_str_eq(sg_schema__builtin_texts[i], buf, "%s differs; run src/schema/gen_builtin.py", path);
    }
}
