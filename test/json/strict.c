/* The STRICT dialect: error classes with line, column and container path; limits; source spans of values. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

Test(json_strict, errors_carry_line_column_path_and_reason)
{
    size_t n;
    th_row_t *rows = th_table("strict_errors.tsv", &n);
    cr_assert_gt(n, 30);
    for (size_t i = 0; i < n; i++) {
        th_row_t *r = &rows[i];
        cr_assert_eq(r->nfields, 6, "line %d", r->lineno);
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_json_t *v = NULL;
        sg_error_t err = SG_ERROR_INIT;
        int rc = th_parse(&v, &a, r->field[0], r->len[0], SG_JSON_STRICT, &err);
        cr_expect_str_eq(sg_error_name(rc), r->field[1], "line %d", r->lineno);
        cr_expect_null(v);
        cr_expect_eq(err.line, atoi(r->field[2]), "line %d: line %d", r->lineno, err.line);
        cr_expect_eq(err.column, atoi(r->field[3]), "line %d: column %d", r->lineno, err.column);
        cr_expect_str_eq(err.path, r->field[4], "line %d", r->lineno);
        cr_expect_str_eq(err.message, r->field[5], "line %d", r->lineno);
        cr_expect_null(strchr(err.message, '\n'), "line %d: message must be one line", r->lineno);
        sg_arena_dispose(&a);
    }
    th_table_free(rows, n);
}

Test(json_strict, go_syntax_errors_are_errors_here_too)
{
    size_t n;
    th_row_t *rows = th_table("go_errors.tsv", &n);
    for (size_t i = 0; i < n; i++) {
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_json_t *v = NULL;
        sg_error_t err = SG_ERROR_INIT;
        cr_expect_eq(th_parse(&v, &a, rows[i].field[0], rows[i].len[0], SG_JSON_STRICT, &err), SG_EINVALID, "line %d",
                     rows[i].lineno);
        cr_expect_eq(strncmp(err.message, "invalid JSON at line ", 21), 0, "line %d: %s", rows[i].lineno, err.message);
        sg_arena_dispose(&a);
    }
    th_table_free(rows, n);
}

Test(json_strict, valid_documents_parse_to_the_same_tree_in_both_dialects)
{
    static const char *docs[] = {
        "{\"a\":[1,2.5,-0,\"x\",true,false,null,{}],\"b\":{\"c\":\"\\u00e9\\ud83d\\ude00\"}}",
        " [ ] ",
        "\"\"",
        "-12.5e+3",
        "{\"\":{\"\":[[],[{}]]}}",
        "\"h\xC3\xA9llo \xF0\x9F\x98\x80\"",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_json_t *s, *g;
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(th_parse(&s, &a, docs[i], strlen(docs[i]), SG_JSON_STRICT, &err), SG_OK, "%s", err.message);
        cr_assert_eq(th_parse(&g, &a, docs[i], strlen(docs[i]), SG_JSON_GO, &err), SG_OK, "%s", err.message);
        cr_expect(sg_json_equal(s, g), "%s", docs[i]);
        sg_arena_dispose(&a);
    }
}

static int parse_with(const char *s, size_t max_bytes, size_t max_depth, size_t max_string, sg_error_t *err)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    opts.max_bytes = max_bytes;
    opts.max_depth = max_depth;
    opts.max_string = max_string;
    sg_json_t *v;
    int rc = sg_json_parse(&v, &a, s, strlen(s), &opts, err);
    sg_arena_dispose(&a);
    return rc;
}

Test(json_strict, size_limit_refuses_before_parsing)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(parse_with("[1,2,3]", 7, 0, 0, &err), SG_OK);
    cr_expect_eq(parse_with("[1,2,3] ", 7, 0, 0, &err), SG_ELIMIT);
    cr_expect_str_eq(err.message, "JSON document of 8 bytes is larger than the limit of 7 bytes");
}

Test(json_strict, depth_limit_names_the_limit_and_position)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(parse_with("{\"a\":[{\"b\":1}]}", 0, 3, 0, &err), SG_OK);
    cr_expect_eq(parse_with("{\"a\":[{\"b\":[1]}]}", 0, 3, 0, &err), SG_ELIMIT);
    cr_expect_str_eq(err.message, "invalid JSON at line 1, column 12: nesting deeper than 3 levels");
    cr_expect_str_eq(err.path, "/a/0/b"); /* the container that was refused */
    cr_expect_eq(err.column, 12);
}

Test(json_strict, default_depth_is_10000)
{
    size_t d = 10001;
    char *s = malloc(2 * d + 1);
    memset(s, '[', d);
    memset(s + d, ']', d);
    s[2 * d] = '\0';
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(parse_with(s, 0, 0, 0, &err), SG_ELIMIT);
    cr_expect_str_eq(err.message, "invalid JSON at line 1, column 10001: nesting deeper than 10000 levels");
    cr_expect_eq(parse_with(s + 1, 0, 0, 0, &err), SG_EINVALID); /* 10000 '[' then 10001 ']' */
    s[2 * d - 1] = '\0';
    cr_expect_eq(parse_with(s + 1, 0, 0, 0, &err), SG_OK, "%s", err.message);
    /* a higher configured limit is honoured in STRICT */
    cr_expect_eq(parse_with(s, 0, 20000, 0, &err), SG_EINVALID); /* now only the missing ']' is wrong */
    free(s);
}

Test(json_strict, string_limit_counts_bytes_of_keys_and_values)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(parse_with("{\"abcd\":\"wxyz\"}", 0, 0, 4, &err), SG_OK);
    cr_expect_eq(parse_with("{\"abcd\":\"wxyz!\"}", 0, 0, 4, &err), SG_ELIMIT);
    cr_expect_str_eq(err.message, "invalid JSON at line 1, column 9: string longer than 4 bytes");
    cr_expect_eq(parse_with("{\"o\":{\"abcde\":1}}", 0, 0, 4, &err), SG_ELIMIT);
    cr_expect_str_eq(err.message, "invalid JSON at line 1, column 7: string longer than 4 bytes");
    cr_expect_str_eq(err.path, "/o");
}

Test(json_strict, values_keep_their_source_spans)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    const char *src = " {\"a\" : [ 1.50 , \"x\\ny\" ,true,null , {\"b\":{}} ], \"c\":-0e1}\n";
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(th_parse(&v, &a, src, strlen(src), SG_JSON_STRICT, &err), SG_OK, "%s", err.message);
    cr_expect_eq(v->raw, src + 1);
    cr_expect_eq(v->raw_len, strlen(src) - 2);
    sg_json_t *arr = sg_json_get(v, "a");
    cr_assert_eq(arr->type, SG_JSON_ARRAY);
    cr_expect_eq(strncmp(arr->raw, "[ 1.50 , \"x\\ny\" ,true,null , {\"b\":{}} ]", arr->raw_len), 0);
    cr_expect_eq(arr->raw_len, strlen("[ 1.50 , \"x\\ny\" ,true,null , {\"b\":{}} ]"));
    static const char *want[] = {"1.50", "\"x\\ny\"", "true", "null", "{\"b\":{}}"};
    cr_assert_eq(arr->u.array.len, 5);
    for (size_t i = 0; i < 5; i++) {
        sg_json_t *it = arr->u.array.items[i];
        cr_expect_eq(it->raw_len, strlen(want[i]), "item %zu", i);
        cr_expect_eq(strncmp(it->raw, want[i], it->raw_len), 0, "item %zu", i);
    }
    cr_expect_str_eq(arr->u.array.items[0]->u.number.text, "1.50");
    cr_expect_eq(arr->u.array.items[0]->u.number.value, 1.5);
    cr_expect_str_eq(arr->u.array.items[1]->u.string.ptr, "x\ny");
    sg_json_t *c = sg_json_get(v, "c");
    cr_expect_eq(c->raw_len, 4);
    cr_expect_eq(strncmp(c->raw, "-0e1", 4), 0);
    cr_expect_eq(sg_json_pointer(v, "/a/4/b")->raw_len, 2);
    sg_arena_dispose(&a);
}

Test(json_strict, top_level_scalars_span_the_trimmed_document)
{
    static const char *docs[] = {" 42 ", "\t-1.5e3\n", "\"s\" ", " true", "null"};
    static const char *want[] = {"42", "-1.5e3", "\"s\"", "true", "null"};
    for (size_t i = 0; i < 5; i++) {
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_json_t *v;
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(th_parse(&v, &a, docs[i], strlen(docs[i]), SG_JSON_STRICT, &err), SG_OK);
        cr_expect_eq(v->raw_len, strlen(want[i]));
        cr_expect_eq(strncmp(v->raw, want[i], v->raw_len), 0);
        sg_arena_dispose(&a);
    }
}

Test(json_strict, strings_may_hold_nul_and_keys_are_nul_terminated)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    const char *src = "{\"a\\u0000b\":\"x\\u0000y\"}";
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(th_parse(&v, &a, src, strlen(src), SG_JSON_STRICT, &err), SG_OK);
    cr_expect_eq(v->u.object.members[0].key_len, 3);
    cr_expect_eq(v->u.object.members[0].key[3], '\0');
    cr_expect_eq(sg_json_getn(v, "a\0b", 3)->u.string.len, 3);
    cr_expect_null(sg_json_get(v, "a"));
    sg_arena_dispose(&a);
}

Test(json_strict, errors_leave_no_tree_and_the_arena_usable)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *v = (sg_json_t *)&a;
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(th_parse(&v, &a, "[1,2", 4, SG_JSON_STRICT, &err), SG_EINVALID);
    cr_expect_null(v);
    cr_expect_eq(th_parse(&v, &a, "[1,2]", 5, SG_JSON_STRICT, &err), SG_OK);
    cr_expect_eq(v->u.array.len, 2);
    cr_expect_eq(th_parse(&v, &a, NULL, 0, SG_JSON_STRICT, &err), SG_EINVALID);
    cr_expect_eq(th_parse(&v, &a, "1", 1, SG_JSON_STRICT, NULL), SG_OK);
    cr_expect_eq(sg_json_parse(&v, &a, "{}", 2, NULL, NULL), SG_OK);
    sg_arena_dispose(&a);
}

Test(json_strict, arena_exhaustion_is_reported_not_fatal)
{
    const char *src = "{\"a\":[1,2,3,{\"b\":\"some longer string value here\"}],\"c\":{\"d\":[true,false,null]}}";
    int ok = 0, nomem = 0;
    for (size_t limit = 16; limit < 4096; limit += 16) {
        sg_arena_t a;
        sg_arena_init(&a, 64);
        a.limit = limit;
        sg_json_t *v = NULL;
        sg_error_t err = SG_ERROR_INIT;
        int rc = th_parse(&v, &a, src, strlen(src), SG_JSON_GO, &err);
        if (rc == SG_OK) {
            ok++;
            cr_expect_not_null(sg_json_pointer(v, "/a/3/b"));
        } else {
            nomem++;
            cr_expect_eq(rc, SG_ENOMEM);
            cr_expect_null(v);
            cr_expect_str_eq(err.message, "out of memory while parsing JSON");
        }
        sg_arena_dispose(&a);
    }
    cr_expect_gt(ok, 0);
    cr_expect_gt(nomem, 0);
}
