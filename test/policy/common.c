/* Helpers shared by the policy tests. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

static sg_arena_t arena;

sg_arena_t *pt_arena(void)
{
    return &arena;
}

void pt_setup(void)
{
    sg_arena_init(&arena, 0);
}

void pt_teardown(void)
{
    sg_arena_dispose(&arena);
}

sg_policy_set_t *pt_compile(const char *yaml)
{
    sg_policy_set_t *s = NULL;
    sg_buf_t diag = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_policy_set_load_yaml(&s, yaml, strlen(yaml), "p.yaml", &diag, &err);
    cr_assert_eq(rc, SG_OK, "compile failed: %s", diag.base != NULL ? diag.base : err.message);
    sg_buf_dispose(&diag);
    return s;
}

const char *pt_compile_errors(const char *yaml)
{
    static char out[8192];
    sg_policy_set_t *s = NULL;
    sg_buf_t diag = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_policy_set_load_yaml(&s, yaml, strlen(yaml), "p.yaml", &diag, &err);
    cr_assert_eq(rc, SG_EINVALID, "expected a compile error");
    cr_assert_null(s);
    snprintf(out, sizeof(out), "%s", diag.base != NULL ? diag.base : "");
    size_t first = strcspn(out, "\n");
    cr_assert(strlen(err.message) == first && strncmp(err.message, out, first) == 0, "err holds the first diagnostic");
    sg_buf_dispose(&diag);
    return out;
}

sg_json_t *pt_json(const char *text)
{
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&v, &arena, text, strlen(text), NULL, &err), SG_OK, "%s", err.message);
    return v;
}

void pt_eval(sg_policy_result_t *res, const sg_policy_set_t *s, const char *op, const char *ns, const char *obj,
             const char *old)
{
    sg_policy_input_t in;
    memset(&in, 0, sizeof(in));
    in.operation = op;
    in.namespace_ = ns;
    in.name = "t";
    in.object = obj != NULL ? pt_json(obj) : NULL;
    in.old_object = old != NULL ? pt_json(old) : NULL;
    cr_assert_eq(sg_policy_evaluate(s, &in, &arena, res), SG_OK);
}
