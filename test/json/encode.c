/* The encoders: Go's json.Marshal byte for byte (escapes, key order, numbers) and the compact order-keeping one;
 * round trips of everything the tables parse. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

Test(json_encode, strings_escape_like_go_and_compact)
{
    size_t n;
    th_row_t *rows = th_table("escapes.tsv", &n);
    cr_assert_gt(n, 25);
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_buf_t b = SG_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        th_row_t *r = &rows[i];
        cr_assert_eq(r->nfields, 3, "line %d", r->lineno);
        sg_json_t *s = sg_json_new_string(&a, r->field[0], r->len[0]);
        sg_buf_reset(&b);
        cr_assert_eq(sg_json_encode_go(&b, s), SG_OK);
        cr_expect(b.len == r->len[1] && memcmp(b.base, r->field[1], b.len) == 0, "line %d: go %s", r->lineno,
                  th_show(b.base, b.len));
        sg_buf_reset(&b);
        cr_assert_eq(sg_json_encode(&b, s), SG_OK);
        cr_expect(b.len == r->len[2] && memcmp(b.base, r->field[2], b.len) == 0, "line %d: compact %s", r->lineno,
                  th_show(b.base, b.len));
        sg_buf_reset(&b);
        cr_assert_eq(sg_json_write_string(&b, r->field[0], r->len[0]), SG_OK);
        cr_expect(b.len == r->len[2] && memcmp(b.base, r->field[2], b.len) == 0, "line %d", r->lineno);
    }
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
    th_table_free(rows, n);
}

static void expect_go(const char *in, const char *want)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(th_parse(&v, &a, in, strlen(in), SG_JSON_GO, &err), SG_OK, "%s: %s", in, err.message);
    size_t len;
    char *out = th_encode_go(v, &len);
    cr_expect_str_eq(out, want, "%s", in);
    free(out);
    sg_arena_dispose(&a);
}

Test(json_encode, go_sorts_keys_by_utf8_bytes_at_every_level)
{
    expect_go("{\"b\":1,\"a\":[1.0,\"<\\b\"]}", "{\"a\":[1,\"\\u003c\\b\"],\"b\":1}");
    expect_go("{\"zeta\":1,\"alpha\":{\"b\":true,\"a\":null},\"mid\":[3,2,1]}",
              "{\"alpha\":{\"a\":null,\"b\":true},\"mid\":[3,2,1],\"zeta\":1}");
    /* U+FF61 (EF BD A1) before U+1F600 (F0 9F 98 80): bytes, not UTF-16 units */
    expect_go("{\"\\ud83d\\ude00\":1,\"\\uff61\":2,\"Z\":3,\"a\":4,\"\":5,\"ab\":6,\"a\\u0000\":7}",
              "{\"\":5,\"Z\":3,\"a\":4,\"a\\u0000\":7,\"ab\":6,\"\xEF\xBD\xA1\":2,\"\xF0\x9F\x98\x80\":1}");
    /* keys sort before escaping: '<' (0x3C) sorts before 'a' though its escape starts with '\' */
    expect_go("{\"a\":1,\"<\":2,\"\\\\\":3}", "{\"\\u003c\":2,\"\\\\\":3,\"a\":1}");
    expect_go(" [ ] ", "[]");
    expect_go("{ }", "{}");
    expect_go("[{},[],\"\",0,-0,null,true,false]", "[{},[],\"\",0,-0,null,true,false]");
}

Test(json_encode, go_sorts_big_objects)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *o = sg_json_new_object(&a);
    for (int i = 99; i >= 0; i--) {
        char key[8];
        snprintf(key, sizeof(key), "k%02d", i);
        cr_assert_eq(sg_json_object_set(&a, o, key, sg_json_new_number(&a, i)), SG_OK);
    }
    size_t len;
    char *out = th_encode_go(o, &len);
    cr_expect_eq(strncmp(out, "{\"k00\":0,\"k01\":1,", 17), 0);
    cr_expect_str_eq(out + len - 18, "\"k98\":98,\"k99\":99}");
    free(out);
    sg_arena_dispose(&a);
}

Test(json_encode, compact_keeps_member_order_and_number_text)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    const char *in = " { \"b\" : 1.50 , \"a\" : [ 1e2 , -0.0 , \"\\u00e9\\/\" ] , \"c\" : { } } ";
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(th_parse(&v, &a, in, strlen(in), SG_JSON_STRICT, &err), SG_OK);
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_json_encode(&b, v), SG_OK);
    cr_expect_str_eq(b.base, "{\"b\":1.50,\"a\":[1e2,-0.0,\"\xC3\xA9/\"],\"c\":{}}");
    sg_buf_reset(&b);
    cr_assert_eq(sg_json_encode_go(&b, v), SG_OK);
    cr_expect_str_eq(b.base, "{\"a\":[100,-0,\"\xC3\xA9/\"],\"b\":1.5,\"c\":{}}");
    sg_buf_reset(&b);
    /* numbers built in code have no text and use Go's formatting; ints keep their exact digits */
    sg_json_t *arr = sg_json_new_array(&a);
    sg_json_array_push(&a, arr, sg_json_new_number(&a, 1e21));
    sg_json_array_push(&a, arr, sg_json_new_number(&a, 0.5));
    sg_json_array_push(&a, arr, sg_json_new_int(&a, INT64_MAX));
    sg_json_array_push(&a, arr, sg_json_new_int(&a, -42));
    sg_json_array_push(&a, arr, sg_json_new_number(&a, NAN));
    cr_assert_eq(sg_json_encode(&b, arr), SG_OK);
    cr_expect_str_eq(b.base, "[1e+21,0.5,9223372036854775807,-42,null]");
    sg_buf_reset(&b);
    cr_assert_eq(sg_json_encode_go(&b, arr), SG_OK);
    cr_expect_str_eq(b.base, "[1e+21,0.5,9223372036854776000,-42,null]");
    sg_buf_reset(&b);
    cr_assert_eq(sg_json_encode(&b, NULL), SG_OK);
    cr_expect_str_eq(b.base, "null");
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
}

Test(json_encode, write_go_number_spec_examples)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.0, "0"},
        {-0.0, "-0"},
        {1e21, "1e+21"},
        {-1e21, "-1e+21"},
        {1.2345678901234568e29, "1.2345678901234568e+29"},
        {1e-7, "1e-7"},
        {1.5e-7, "1.5e-7"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {1e100, "1e+100"},
        {1.0, "1"},
        {100, "100"},
        {1e20, "100000000000000000000"},
        {9.999999999999999e20, "999999999999999900000"},
        {18446744073709551616.0, "18446744073709552000"},
        {9223372036854775807.0, "9223372036854776000"},
        {1e-6, "0.000001"},
        {0.000001234, "0.000001234"},
        {0.1, "0.1"},
        {0.30000000000000004, "0.30000000000000004"},
        {1234560000000, "1234560000000"},
        {-1.5, "-1.5"},
        {2.5e-5, "0.000025"},
        {9.5e20, "950000000000000000000"},
        {-9007199254740991.0, "-9007199254740991"},
        {9007199254740992.0 * 2, "18014398509481984"},
        {123456789.125, "123456789.125"},
    };
    sg_buf_t b = SG_BUF_INIT;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sg_buf_reset(&b);
        cr_assert_eq(sg_json_write_go_number(&b, cases[i].v), SG_OK);
        cr_expect_str_eq(b.base, cases[i].want);
    }
    sg_buf_reset(&b);
    sg_json_write_go_number(&b, INFINITY);
    cr_expect_str_eq(b.base, "null");
    sg_buf_dispose(&b);
}

/* encode_go output parses (in both dialects) and encodes to the same bytes; the compact form does too. */
static void expect_round_trip(const char *in, size_t len, int lineno)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *v, *w;
    sg_error_t err = SG_ERROR_INIT;
    if (th_parse(&v, &a, in, len, SG_JSON_GO, &err) != SG_OK) {
        sg_arena_dispose(&a);
        return;
    }
    size_t l1, l2;
    char *once = th_encode_go(v, &l1);
    cr_assert_eq(th_parse(&w, &a, once, l1, SG_JSON_STRICT, &err), SG_OK, "line %d: %s", lineno, err.message);
    char *twice = th_encode_go(w, &l2);
    cr_expect(l1 == l2 && memcmp(once, twice, l1) == 0, "line %d: %s", lineno, th_show(twice, l2));
    cr_expect(sg_json_equal(v, w), "line %d", lineno);
    sg_buf_t b = SG_BUF_INIT;
    sg_json_encode(&b, v);
    cr_assert_eq(th_parse(&w, &a, b.base, b.len, SG_JSON_GO, &err), SG_OK, "line %d: %s", lineno, err.message);
    cr_expect(sg_json_equal(v, w), "line %d", lineno);
    sg_buf_dispose(&b);
    free(once);
    free(twice);
    sg_arena_dispose(&a);
}

Test(json_encode, go_output_round_trips_for_every_table_input)
{
    static const char *tables[] = {"go_strings.tsv", "go_numbers.tsv", "go_errors.tsv", "strict_errors.tsv"};
    size_t total = 0;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        size_t n;
        th_row_t *rows = th_table(tables[t], &n);
        for (size_t i = 0; i < n; i++)
            expect_round_trip(rows[i].field[0], rows[i].len[0], rows[i].lineno);
        total += n;
        th_table_free(rows, n);
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/test/identity/vectors.json", SG_SOURCE_DIR);
    size_t len;
    char *vec = th_read_file(path, &len);
    cr_assert_not_null(vec);
    expect_round_trip(vec, len, 0);
    free(vec);
    cr_expect_gt(total, 150);
}
