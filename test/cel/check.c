/* Type checking: the table of cases (check_cases.tsv), the error format, the free variables reported, the overload
 * table's coverage of the engine's functions, and that checking leaves programs as they were. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/cel.h>

#include "../../src/cel/internal.h"
#include "../common/table.h"

TestSuite(cel_check);

/* Declares "a=int;b=list(string)" in `env`. */
static void declare_all(sg_cel_env_t *env, char *decls)
{
    if (strcmp(decls, "-") == 0)
        return;
    char *save = NULL;
    for (char *d = strtok_r(decls, ";", &save); d != NULL; d = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(d, '=');
        cr_assert_not_null(eq, "declaration without '=': %s", d);
        *eq = 0;
        const sg_cel_type_t *t = NULL;
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(sg_cel_type_parse(&t, env, eq + 1, strlen(eq + 1), &err), SG_OK, "%s", err.message);
        cr_assert_eq(sg_cel_env_declare(env, d, t, &err), SG_OK);
    }
}

/* The type of `src` as text, or "error: <message>". */
static int check_text(char *out, size_t n, sg_cel_env_t *env, const char *src)
{
    sg_cel_program_t *p = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_cel_compile(&p, src, strlen(src), NULL, &err), SG_OK, "%s: %s", src, err.message);
    sg_cel_check_result_t res;
    int rc = sg_cel_check(&res, env, p, &err);
    if (rc == SG_OK) {
        sg_buf_t b = SG_BUF_INIT;
        sg_cel_type_format(&b, res.type);
        snprintf(out, n, "%s", b.base != NULL ? b.base : "");
        sg_buf_dispose(&b);
    } else {
        snprintf(out, n, "error: %s", err.message);
    }
    sg_cel_program_free(p);
    return rc;
}

Test(cel_check, table_of_cases_gives_the_expected_types_and_errors)
{
    size_t n;
    th_row_t *rows = th_table_raw("check_cases.tsv", &n);
    int count = 0, failures = 0, accepting = 0, rejecting = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(rows[i].nfields, 3, "bad case line %d", rows[i].lineno);
        const char *expr = rows[i].field[0], *want = rows[i].field[2];
        sg_cel_env_t *env = NULL;
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(sg_cel_env_new(&env, &err), SG_OK);
        declare_all(env, rows[i].field[1]);
        char got[4096];
        int rc = check_text(got, sizeof(got), env, expr);
        int ok;
        if (strncmp(want, "error: ", 7) == 0) {
            rejecting++;
            ok = rc == SG_EINVALID && strstr(got, want + 7) != NULL;
        } else {
            accepting++;
            ok = rc == SG_OK && strcmp(got, want) == 0;
        }
        if (!ok) {
            failures++;
            cr_log_error("%s: expected %s, got %s", expr, want, got);
        }
        count++;
        sg_cel_env_free(env);
    }
    th_table_free(rows, n);
    cr_expect_eq(failures, 0, "%d of %d cases failed", failures, count);
    cr_expect_geq(accepting, 40);
    cr_expect_geq(rejecting, 40);
}

Test(cel_check, errors_use_the_compilers_format_with_the_first_position)
{
    sg_cel_env_t *env = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_cel_env_new(&env, &err), SG_OK);
    const char *src = "1 + 'a' == 2 &&\n  nope";
    sg_cel_program_t *p = NULL;
    cr_assert_eq(sg_cel_compile(&p, src, strlen(src), NULL, &err), SG_OK);
    sg_cel_check_result_t res;
    cr_assert_eq(sg_cel_check(&res, env, p, &err), SG_EINVALID);
    cr_expect_str_eq(err.message,
                     "ERROR: <input>:1:3: found no matching overload for '_+_' applied to '(int, string)'\n"
                     " | 1 + 'a' == 2 &&\n"
                     " | ..^\n"
                     "ERROR: <input>:2:3: undeclared reference to 'nope' (in container '')\n"
                     " |   nope\n"
                     " | ..^");
    cr_expect_eq(err.line, 1);
    cr_expect_eq(err.column, 3);
    cr_expect_eq(sg_cel_type_kind(res.type), SG_CEL_T_DYN);
    sg_cel_program_free(p);
    sg_cel_env_free(env);
}

Test(cel_check, free_variables_are_reported_with_their_first_field)
{
    sg_cel_env_t *env = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_cel_env_new(&env, &err), SG_OK);
    cr_assert_eq(sg_cel_env_declare(env, "self", sg_cel_type_prim(SG_CEL_T_DYN), &err), SG_OK);
    const char *src = "self.a.b > oldSelf.c && self.a.x.all(e, e == w) && [1].exists(v, v == self.a.q)";
    sg_cel_program_t *p = NULL;
    cr_assert_eq(sg_cel_compile(&p, src, strlen(src), NULL, &err), SG_OK);
    sg_cel_check_result_t res;
    cr_expect_eq(sg_cel_check(&res, env, p, &err), SG_EINVALID);
    char got[256] = "";
    for (size_t i = 0; i < res.nrefs; i++) {
        size_t o = strlen(got);
        snprintf(got + o, sizeof(got) - o, "%s%s%s%s%s", i ? " " : "", res.refs[i].declared ? "" : "!",
                 res.refs[i].name, res.refs[i].field != NULL ? "." : "",
                 res.refs[i].field != NULL ? res.refs[i].field : "");
    }
    cr_expect_str_eq(got, "self.a !oldSelf.c !w");
    sg_cel_program_free(p);
    sg_cel_env_free(env);
}

Test(cel_check, every_function_of_the_engine_has_a_signature)
{
    size_t len;
    char *src = th_read_file(SG_SOURCE_DIR "/src/cel/funcs.c", &len);
    cr_assert_not_null(src, "cannot open funcs.c");
    int names = 0;
    /* registry entries look like {"name", receiver, global, min, max, impl} */
    for (char *p = strstr(src, "{\""); p != NULL; p = strstr(p + 2, "{\"")) {
        char *end = strchr(p + 2, '"');
        cr_assert_not_null(end);
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(end - (p + 2)), p + 2);
        size_t n = 0;
        cr_expect_not_null(sg_cel__sigs(name, &n), "no signature for '%s'", name);
        names++;
    }
    free(src);
    cr_expect_geq(names, 40, "the registry was not found in funcs.c");
    /* and the operators the parser and the macros produce */
    static const char *const ops[] = {
        "_+_", "_-_",  "_*_", "_/_",  "_%_",  "-_",    "!_",   "_==_",  "_!=_", "_<_",     "_<=_",
        "_>_", "_>=_", "@in", "_&&_", "_||_", "_?_:_", "_[_]", "_[?_]", "or",   "orValue", "@not_strictly_false"};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t n = 0;
        cr_expect_not_null(sg_cel__sigs(ops[i], &n), "no signature for '%s'", ops[i]);
    }
}

Test(cel_check, checking_leaves_the_program_evaluable_and_unchanged)
{
    sg_cel_env_t *env = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_cel_env_new(&env, &err), SG_OK);
    const sg_cel_type_t *t = NULL;
    cr_assert_eq(sg_cel_type_parse(&t, env, "map(string, int)", 16, &err), SG_OK);
    cr_assert_eq(sg_cel_env_declare(env, "m", t, &err), SG_OK);
    const char *src = "m.all(k, m[k] > 0) && size(m) == 2";
    sg_cel_program_t *p = NULL;
    cr_assert_eq(sg_cel_compile(&p, src, strlen(src), NULL, &err), SG_OK);
    for (int round = 0; round < 2; round++) {
        sg_cel_check_result_t res;
        cr_assert_eq(sg_cel_check(&res, env, p, &err), SG_OK, "%s", err.message);
        cr_expect_eq(sg_cel_type_kind(res.type), SG_CEL_T_BOOL);
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_cel_value_t keys[2] = {sg_cel_string("a", 1), sg_cel_string("b", 1)};
        sg_cel_value_t vals[2] = {sg_cel_int(1), sg_cel_int(2)};
        sg_cel_var_t var = {"m", sg_cel_map(&a, keys, vals, 2)};
        sg_cel_value_t v;
        cr_assert_eq(sg_cel_eval(&v, p, &var, 1, &a, &err), SG_OK, "%s", err.message);
        cr_expect(v.kind == SG_CEL_BOOL && v.u.b);
        sg_arena_dispose(&a);
    }
    cr_expect_str_eq(sg_cel_program_source(p), src);
    sg_cel_program_free(p);
    sg_cel_env_free(env);
}

Test(cel_check, types_format_parse_and_compare)
{
    sg_cel_env_t *env = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_cel_env_new(&env, &err), SG_OK);
    static const char *const texts[] = {"int",
                                        "list(map(string, list(bytes)))",
                                        "optional_type(double)",
                                        "type(google.protobuf.Timestamp)",
                                        "google.protobuf.Duration",
                                        "null_type"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        const sg_cel_type_t *t = NULL;
        cr_assert_eq(sg_cel_type_parse(&t, env, texts[i], strlen(texts[i]), &err), SG_OK, "%s", err.message);
        sg_buf_t b = SG_BUF_INIT;
        sg_cel_type_format(&b, t);
        cr_expect_str_eq(b.base, texts[i]);
        sg_buf_dispose(&b);
    }
    const sg_cel_type_t *t = NULL;
    cr_expect_eq(sg_cel_type_parse(&t, env, "list(int", 8, &err), SG_EINVALID);
    cr_expect_eq(sg_cel_type_parse(&t, env, "widget", 6, &err), SG_EINVALID);
    cr_assert_eq(sg_cel_type_parse(&t, env, "Thing{a: int, b: {c: string}, *}", 32, &err), SG_OK, "%s", err.message);
    cr_expect_eq(sg_cel_type_kind(t), SG_CEL_T_OBJECT);
    cr_expect_eq(sg_cel_type_kind(sg_cel_type_field(sg_cel_type_field(t, "b"), "c")), SG_CEL_T_STRING);
    cr_expect_null(sg_cel_type_field(t, "zz"));
    const sg_cel_type_t *ms = sg_cel_type_map(env, sg_cel_type_prim(SG_CEL_T_STRING), sg_cel_type_prim(SG_CEL_T_INT));
    const sg_cel_type_t *li = sg_cel_type_list(env, sg_cel_type_prim(SG_CEL_T_INT));
    cr_expect(sg_cel_type_assignable(ms, t), "objects stand in for map(string, ...)");
    cr_expect(sg_cel_type_assignable(li, sg_cel_type_prim(SG_CEL_T_DYN)));
    cr_expect(!sg_cel_type_assignable(li, ms));
    cr_expect(!sg_cel_type_assignable(sg_cel_type_prim(SG_CEL_T_INT), sg_cel_type_prim(SG_CEL_T_UINT)));
    sg_cel_env_free(env);
}

Test(cel_check, redeclaring_a_variable_replaces_its_type)
{
    sg_cel_env_t *env = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_cel_env_new(&env, &err), SG_OK);
    char got[1024];
    cr_assert_eq(sg_cel_env_declare(env, "x", sg_cel_type_prim(SG_CEL_T_STRING), &err), SG_OK);
    check_text(got, sizeof(got), env, "x + 1");
    cr_expect(strncmp(got, "error: ", 7) == 0, "%s", got);
    cr_assert_eq(sg_cel_env_declare(env, "x", sg_cel_type_prim(SG_CEL_T_INT), &err), SG_OK);
    check_text(got, sizeof(got), env, "x + 1");
    cr_expect_str_eq(got, "int");
    sg_cel_env_free(env);
    sg_cel_env_free(NULL);
}

Test(cel_check, wide_expressions_check_in_bounded_work)
{
    sg_cel_env_t *env = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_cel_env_new(&env, &err), SG_OK);
    cr_assert_eq(sg_cel_env_declare(env, "x", sg_cel_type_prim(SG_CEL_T_INT), &err), SG_OK);
    /* many generic calls side by side: every one makes type variables */
    size_t n = 20000;
    char *src = malloc(n * 16 + 16);
    size_t o = (size_t)sprintf(src, "[");
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(src + o, "%s[x] + [x]", i ? ", " : "");
    o += (size_t)sprintf(src + o, "]");
    sg_cel_options_t opts = SG_CEL_OPTIONS_INIT;
    opts.max_expr_bytes = o + 1;
    sg_cel_program_t *p = NULL;
    cr_assert_eq(sg_cel_compile(&p, src, o, &opts, &err), SG_OK, "%s", err.message);
    sg_cel_check_result_t res;
    cr_assert_eq(sg_cel_check(&res, env, p, &err), SG_OK, "%s", err.message);
    sg_buf_t b = SG_BUF_INIT;
    sg_cel_type_format(&b, res.type);
    cr_expect_str_eq(b.base, "list(list(int))");
    sg_buf_dispose(&b);
    sg_cel_program_free(p);
    free(src);
    sg_cel_env_free(env);
}
