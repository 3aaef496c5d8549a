/* Parse errors for humans, several per parse, and the nesting and size limits. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/cel.h>

static int compile(const char *src, const sg_cel_options_t *o, sg_error_t *err)
{
    sg_cel_program_t *p = NULL;
    int rc = sg_cel_compile(&p, src, strlen(src), o, err);
    sg_cel_program_free(p);
    return rc;
}

Test(cel_parse, error_names_line_column_with_source_and_caret)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(compile("a +\n  b *", NULL, &err), SG_EINVALID);
    cr_assert_str_eq(err.message, "ERROR: <input>:2:6: Syntax error: mismatched input '<EOF>' expecting an expression\n"
                                  " |   b *\n"
                                  " | .....^");
    cr_assert_eq(err.line, 2);
    cr_assert_eq(err.column, 6);
}

Test(cel_parse, reports_several_errors_in_one_parse)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(compile("let + while", NULL, &err), SG_EINVALID);
    cr_assert_not_null(strstr(err.message, "ERROR: <input>:1:1: reserved identifier: let"), "%s", err.message);
    cr_assert_not_null(strstr(err.message, "ERROR: <input>:1:7: reserved identifier: while"), "%s", err.message);
}

Test(cel_parse, bad_characters_do_not_stop_the_parse)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(compile("1 # 2 $ 3", NULL, &err), SG_EINVALID);
    cr_assert_not_null(strstr(err.message, ":1:3: Syntax error: token recognition error"), "%s", err.message);
    cr_assert_not_null(strstr(err.message, ":1:5: Syntax error: extraneous input '2'"), "%s", err.message);
}

Test(cel_parse, columns_count_code_points)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(compile("'é' + ", NULL, &err), SG_EINVALID);
    cr_assert_eq(err.column, 7, "%s", err.message);
}

Test(cel_parse, literal_errors_are_reported)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(compile("9223372036854775808", NULL, &err), SG_EINVALID);
    cr_assert_eq(compile("-9223372036854775808", NULL, &err), SG_OK, "%s", err.message);
    cr_assert_eq(compile("'\\q'", NULL, &err), SG_EINVALID);
    cr_assert_eq(compile("'unterminated", NULL, &err), SG_EINVALID);
    cr_assert_eq(compile("b'\\u00ff'", NULL, &err), SG_EINVALID);
    cr_assert_eq(compile("'\\ud800'", NULL, &err), SG_EINVALID);
    cr_assert_eq(compile("x.`a-b`", NULL, &err), SG_OK, "%s", err.message);
}

Test(cel_parse, macro_misuse_is_a_parse_error)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(compile("[1].all(1, true)", NULL, &err), SG_EINVALID);
    cr_assert_not_null(strstr(err.message, "simple name"), "%s", err.message);
    cr_assert_eq(compile("has(a)", NULL, &err), SG_EINVALID);
    cr_assert_not_null(strstr(err.message, "has()"), "%s", err.message);
}

Test(cel_parse, depth_beyond_the_limit_is_an_error_not_a_crash)
{
    sg_error_t err = SG_ERROR_INIT;
    size_t n = 40000;
    char *src = malloc(2 * n + 2);
    memset(src, '(', n);
    src[n] = '1';
    memset(src + n + 1, ')', n);
    src[2 * n + 1] = 0;
    cr_assert_eq(compile(src, NULL, &err), SG_ELIMIT);
    cr_assert_not_null(strstr(err.message, "nested too deeply"), "%s", err.message);
    /* long member chains, unary runs, list nesting and operator chains count too */
    for (size_t i = 0; i < n; i++)
        src[i] = "[-!"[i % 3];
    src[n] = 0;
    cr_assert_neq(compile(src, NULL, &err), SG_OK);
    strcpy(src, "a");
    for (int i = 0; i < 2000; i++)
        strcat(src, ".b");
    cr_assert_eq(compile(src, NULL, &err), SG_ELIMIT);
    src[0] = 0;
    for (int i = 0; i < 2000; i++)
        strcat(src, "1+");
    strcat(src, "1");
    cr_assert_eq(compile(src, NULL, &err), SG_ELIMIT);
    free(src);
}

Test(cel_parse, default_depth_is_64_and_configurable)
{
    sg_error_t err = SG_ERROR_INIT;
    char src[512];
    memset(src, 0, sizeof(src));
    for (int i = 0; i < 60; i++)
        strcat(src, "[");
    strcat(src, "1");
    for (int i = 0; i < 60; i++)
        strcat(src, "]");
    cr_assert_eq(compile(src, NULL, &err), SG_OK, "%s", err.message);
    sg_cel_options_t o = SG_CEL_OPTIONS_INIT;
    o.max_depth = 32;
    cr_assert_eq(compile(src, &o, &err), SG_ELIMIT);
    memset(src, 0, sizeof(src));
    for (int i = 0; i < 70; i++)
        strcat(src, "[");
    for (int i = 0; i < 70; i++)
        strcat(src, "]");
    cr_assert_eq(compile(src, NULL, &err), SG_ELIMIT);
}

Test(cel_parse, long_logical_chains_are_balanced_not_rejected)
{
    sg_error_t err = SG_ERROR_INIT;
    char *src = calloc(1, 20000);
    strcpy(src, "true");
    for (int i = 0; i < 500; i++)
        strcat(src, " && true");
    cr_assert_eq(compile(src, NULL, &err), SG_OK, "%s", err.message);
    free(src);
}

Test(cel_parse, oversized_source_is_rejected)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_cel_options_t o = SG_CEL_OPTIONS_INIT;
    o.max_expr_bytes = 10;
    cr_assert_eq(compile("1 + 2 + 3 + 4", &o, &err), SG_ELIMIT);
}

Test(cel_parse, disabled_macros_are_plain_calls)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_cel_options_t o = SG_CEL_OPTIONS_INIT;
    o.disable_macros = 1;
    sg_cel_program_t *p = NULL;
    cr_assert_eq(sg_cel_compile(&p, "[1].all(x, x > 0)", 17, &o, &err), SG_OK, "%s", err.message);
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_cel_value_t v;
    cr_assert_eq(sg_cel_eval(&v, p, NULL, 0, &a, &err), SG_EINVALID);
    sg_arena_dispose(&a);
    sg_cel_program_free(p);
}
