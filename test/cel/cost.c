/* Runtime cost budget: comprehensions check it as they run; running out is an error value, never a hang. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <storygate/cel.h>

static int eval_with(const char *src, uint64_t limit, sg_cel_value_t *v, uint64_t *cost, sg_error_t *err)
{
    sg_cel_program_t *p = NULL;
    sg_cel_options_t o = SG_CEL_OPTIONS_INIT;
    o.cost_limit = limit;
    int rc = sg_cel_compile(&p, src, strlen(src), &o, err);
    cr_assert_eq(rc, SG_OK, "%s", err->message);
    static __thread sg_arena_t a;
    sg_arena_init(&a, 0);
    rc = sg_cel_eval_ex(v, cost, p, NULL, 0, 0, &a, err);
    sg_arena_dispose(&a);
    sg_cel_program_free(p);
    return rc;
}

Test(cel_cost, nested_comprehensions_stop_at_the_default_budget)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_cel_value_t v;
    uint64_t cost = 0;
    /* 10^9 iterations if it ran to the end */
    const char *src = "[0,1,2,3,4,5,6,7,8,9].all(a, [0,1,2,3,4,5,6,7,8,9].all(b, [0,1,2,3,4,5,6,7,8,9].all(c, "
                      "[0,1,2,3,4,5,6,7,8,9].all(d, [0,1,2,3,4,5,6,7,8,9].all(e, [0,1,2,3,4,5,6,7,8,9].all(f, "
                      "[0,1,2,3,4,5,6,7,8,9].all(g, [0,1,2,3,4,5,6,7,8,9].all(h, [0,1,2,3,4,5,6,7,8,9].all(i, "
                      "a + b + c + d + e + f + g + h + i >= 0)))))))))";
    cr_assert_eq(eval_with(src, 0, &v, &cost, &err), SG_ELIMIT);
    cr_assert_eq(v.kind, SG_CEL_ERROR);
    cr_assert_eq(v.rep, SG_CEL_ERR_COST);
    cr_assert_not_null(strstr(err.message, "cost limit exceeded"), "%s", err.message);
    cr_assert_leq(cost, SG_CEL_DEFAULT_COST_LIMIT + 1000);
}

Test(cel_cost, a_small_budget_is_enforced_and_a_large_one_passes)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_cel_value_t v;
    uint64_t cost = 0;
    const char *src = "[1,2,3,4,5,6,7,8,9,10].map(x, x * 2).filter(y, y > 4).size() == 8";
    cr_assert_eq(eval_with(src, 10, &v, &cost, &err), SG_ELIMIT);
    cr_assert_eq(eval_with(src, 1000, &v, &cost, &err), SG_OK, "%s", err.message);
    cr_assert_eq(v.kind, SG_CEL_BOOL);
    cr_assert(v.u.b);
    cr_assert_gt(cost, 20);
    cr_assert_lt(cost, 1000);
}

Test(cel_cost, cost_errors_are_not_absorbed_silently_by_exists)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_cel_value_t v;
    cr_assert_eq(
        eval_with("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].exists(x, x == 20)", 5, &v, NULL, &err),
        SG_ELIMIT);
}

Test(cel_cost, string_work_is_charged_by_size)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_cel_value_t v;
    uint64_t small = 0, big = 0;
    cr_assert_eq(eval_with("'ab'.contains('b')", 0, &v, &small, &err), SG_OK);
    cr_assert_eq(
        eval_with("'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab'"
                  ".contains('b')",
                  0, &v, &big, &err),
        SG_OK);
    cr_assert_gt(big, small);
}

Test(cel_cost, growing_strings_are_paid_for_before_they_are_built)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_cel_value_t v;
    char src[4096] = "cel.bind(v0, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', ";
    for (int i = 1; i < 40; i++)
        snprintf(src + strlen(src), sizeof(src) - strlen(src), "cel.bind(v%d, v%d + v%d, ", i, i - 1, i - 1);
    strcat(src, "v39.size()");
    for (int i = 0; i < 40; i++)
        strcat(src, ")");
    sg_cel_program_t *p = NULL;
    sg_cel_options_t o = SG_CEL_OPTIONS_INIT;
    o.max_depth = 200;
    cr_assert_eq(sg_cel_compile(&p, src, strlen(src), &o, &err), SG_OK, "%s", err.message);
    sg_arena_t a;
    sg_arena_init(&a, 0);
    cr_assert_eq(sg_cel_eval(&v, p, NULL, 0, &a, &err), SG_ELIMIT, "%s", err.message);
    cr_assert_lt(sg_arena_used(&a), 64u << 20);
    sg_arena_dispose(&a);
    sg_cel_program_free(p);
    cr_assert_eq(eval_with("'ab'.replace('', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')", 5, &v, NULL, &err),
                 SG_ELIMIT);
}
