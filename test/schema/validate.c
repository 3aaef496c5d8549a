/* schema module: every constraint type and message shape, table-driven from cases.json over the shipped CRDs and a
 * test CRD (widget-crd.yaml) covering the features they do not use. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/schema.h>

#include "../common/table.h"

static sg_schema_set_t *set;
static sg_arena_t arena;

static void setup(void)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_arena_init(&arena, 0);
    cr_assert_eq(sg_schema_set_new(&set, &err), SG_OK);
    cr_assert_eq(sg_schema_set_load_builtin(set, &err), SG_OK, "%s", err.message);
    cr_assert_eq(sg_schema_set_load_file(set, SG_TEST_DATA "/widget-crd.yaml", &err), SG_OK, "%s", err.message);
}

static void teardown(void)
{
    sg_schema_set_free(set);
    sg_arena_dispose(&arena);
}

TestSuite(schema_validate, .init = setup, .fini = teardown);

/* "@N" strings in the table stand for N letters 'a'. */
static void expand(sg_json_t *v)
{
    if (v == NULL)
        return;
    if (v->type == SG_JSON_STRING && v->u.string.ptr[0] == '@') {
        size_t n = (size_t)atoi(v->u.string.ptr + 1);
        char *s = sg_arena_alloc(&arena, n + 1);
        memset(s, 'a', n);
        s[n] = '\0';
        v->u.string.ptr = s;
        v->u.string.len = n;
    } else if (v->type == SG_JSON_ARRAY) {
        for (size_t i = 0; i < v->u.array.len; i++)
            expand(v->u.array.items[i]);
    } else if (v->type == SG_JSON_OBJECT) {
        for (size_t i = 0; i < v->u.object.len; i++)
            expand(v->u.object.members[i].value);
    }
}

Test(schema_validate, table_of_objects_gives_the_apiservers_errors)
{
    size_t len;
    char *buf = th_read_file(SG_TEST_DATA "/cases.json", &len);
    cr_assert_not_null(buf, "cannot open cases.json");
    sg_json_t *cases;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&cases, &arena, buf, len, NULL, &err), SG_OK, "%s", err.message);
    cr_assert_gt(cases->u.array.len, 30);
    for (size_t i = 0; i < cases->u.array.len; i++) {
        const sg_json_t *c = cases->u.array.items[i];
        const char *name = sg_json_string(sg_json_get(c, "name"), NULL);
        sg_json_t *obj = sg_json_get(c, "object"), *old = sg_json_get(c, "old");
        expand(obj);
        expand(old);
        sg_field_errors_t errors = SG_FIELD_ERRORS_INIT;
        int rc = sg_schema_validate(set, sg_json_string(sg_json_get(c, "kind"), NULL), obj, old, &arena, &errors, &err);
        cr_assert_eq(rc, SG_OK, "%s: %s", name, err.message);
        const sg_json_t *want = sg_json_get(c, "errors");
        for (size_t j = 0; j < errors.len || j < want->u.array.len; j++) {
            const char *got = j < errors.len ? errors.items[j].message : "(none)";
            const char *exp = j < want->u.array.len ? want->u.array.items[j]->u.string.ptr : "(none)";
            cr_expect_str_eq(got, exp, "%s: error %zu: got `%s`", name, j, got);
        }
    }
    free(buf);
}

static sg_json_t *parse(const char *s)
{
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&v, &arena, s, strlen(s), NULL, &err), SG_OK, "%s", err.message);
    return v;
}

Test(schema_validate, errors_of_one_object_are_joined_like_the_apiserver)
{
    sg_json_t *obj =
        parse("{\"metadata\":{\"name\":\"t1\",\"x\":1},\"spec\":{\"deliveryIdentity\":{\"submissionId\":\"\","
              "\"mode\":\"x\"}}}");
    sg_field_errors_t errors = SG_FIELD_ERRORS_INIT;
    cr_assert_eq(sg_schema_validate(set, "StoryTrigger", obj, NULL, &arena, &errors, NULL), SG_OK);
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(sg_schema_errors_format(&out, sg_schema_set_qualified_kind(set, "StoryTrigger"), "t1", &errors, 1),
                 SG_OK);
    cr_expect_str_eq(out.base,
                     "StoryTrigger.runs.bubustack.io \"t1\" is invalid: [spec.storyRef: Required value, "
                     "spec.deliveryIdentity.submissionId: Invalid value: \"\": spec.deliveryIdentity.submissionId "
                     "in body should be at least 1 chars long, spec.deliveryIdentity.mode: Unsupported value: \"x\": "
                     "supported values: \"none\", \"token\", \"key\", <nil>: Invalid value: null: some validation "
                     "rules were not checked because the object was invalid; correct the existing errors to complete "
                     "validation]");
    sg_buf_dispose(&out);
}

Test(schema_validate, a_single_error_is_not_bracketed)
{
    sg_json_t *obj = parse("{\"metadata\":{\"name\":\"t1\"},\"spec\":{\"storyRef\":{\"name\":\"S\"},"
                           "\"deliveryIdentity\":{\"submissionId\":\"a\"}}}");
    sg_field_errors_t errors = SG_FIELD_ERRORS_INIT;
    cr_assert_eq(sg_schema_validate(set, "storytriggers.runs.bubustack.io", obj, NULL, &arena, &errors, NULL), SG_OK);
    sg_buf_t out = SG_BUF_INIT;
    sg_schema_errors_format(&out, "StoryTrigger.runs.bubustack.io", "t1", &errors, 0);
    cr_expect_str_eq(out.base,
                     "StoryTrigger.runs.bubustack.io \"t1\" is invalid: spec.storyRef.name: Invalid value: \"S\": "
                     "spec.storyRef.name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'");
    sg_buf_dispose(&out);
}

Test(schema_validate, unknown_kind_and_version_are_not_found)
{
    sg_json_t *obj = parse("{\"apiVersion\":\"runs.bubustack.io/v9\",\"spec\":{}}");
    sg_field_errors_t errors = SG_FIELD_ERRORS_INIT;
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(sg_schema_validate(set, "Gadget", obj, NULL, &arena, &errors, &err), SG_ENOTFOUND);
    cr_expect_eq(sg_schema_validate(set, "StoryTrigger", obj, NULL, &arena, &errors, &err), SG_ENOTFOUND);
    cr_expect_eq(errors.len, 0);
}

Test(schema_validate, all_four_kinds_are_built_in)
{
    cr_expect_str_eq(sg_schema_set_qualified_kind(set, "StoryTrigger"), "StoryTrigger.runs.bubustack.io");
    cr_expect_str_eq(sg_schema_set_qualified_kind(set, "StoryRun"), "StoryRun.runs.bubustack.io");
    cr_expect_str_eq(sg_schema_set_qualified_kind(set, "Story"), "Story.bubustack.io");
    cr_expect_str_eq(sg_schema_set_qualified_kind(set, "referencegrants"), "ReferenceGrant.policy.bubustack.io");
    cr_expect_null(sg_schema_set_qualified_kind(set, "Nothing"));
}
