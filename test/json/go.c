/* The GO dialect: Go's error messages, the identity vectors' canonical inputs, U+FFFD and surrogate decoding,
 * number rounding and formatting, depth limit, duplicate keys. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

Test(json_go, error_messages_match_go_table)
{
    size_t n;
    th_row_t *rows = th_table("go_errors.tsv", &n);
    cr_assert_gt(n, 90);
    for (size_t i = 0; i < n; i++) {
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_json_t *v = NULL;
        sg_error_t err = SG_ERROR_INIT;
        int rc = th_parse(&v, &a, rows[i].field[0], rows[i].len[0], SG_JSON_GO, &err);
        cr_expect_eq(rc, SG_EINVALID, "line %d: %s: rc %d", rows[i].lineno, th_show(rows[i].field[0], rows[i].len[0]),
                     rc);
        cr_expect_null(v);
        cr_expect_str_eq(err.message, rows[i].field[1], "line %d: got [%s]", rows[i].lineno, err.message);
        sg_arena_dispose(&a);
    }
    th_table_free(rows, n);
}

/* The bytes of spec.inputs of a vector: NULL when absent. */
static char *vector_inputs(const sg_json_t *c, size_t *len)
{
    const sg_json_t *b64 = sg_json_get(c, "inputsRawBase64"), *raw = sg_json_get(c, "inputsRaw");
    if (b64 != NULL)
        return th_base64(b64->u.string.ptr, b64->u.string.len, len);
    if (raw != NULL) {
        *len = raw->u.string.len;
        char *s = malloc(*len + 1);
        memcpy(s, raw->u.string.ptr, *len + 1);
        return s;
    }
    return NULL;
}

static sg_json_t *load_vectors(sg_arena_t *a, char **text)
{
    char path[1024];
    size_t len;
    snprintf(path, sizeof(path), "%s/test/identity/vectors.json", SG_SOURCE_DIR);
    *text = th_read_file(path, &len);
    cr_assert_not_null(*text);
    sg_json_t *root = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(th_parse(&root, a, *text, len, SG_JSON_STRICT, &err), SG_OK, "%s", err.message);
    cr_assert_eq(root->type, SG_JSON_ARRAY);
    return root;
}

Test(json_go, identity_vectors_error_messages)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    char *text;
    sg_json_t *root = load_vectors(&a, &text);
    int errors = 0;
    for (size_t i = 0; i < root->u.array.len; i++) {
        const sg_json_t *c = root->u.array.items[i], *e = sg_json_get(c, "error");
        if (e == NULL || e->type != SG_JSON_BOOL || !e->u.boolean)
            continue;
        errors++;
        size_t len;
        char *in = vector_inputs(c, &len);
        cr_assert_not_null(in);
        sg_json_t *v;
        sg_error_t err = SG_ERROR_INIT;
        cr_expect_neq(th_parse(&v, &a, in, len, SG_JSON_GO, &err), SG_OK);
        char msg[1200];
        snprintf(msg, sizeof(msg), "decode trigger inputs: %s", err.message);
        cr_expect_str_eq(msg, sg_json_string(sg_json_get(c, "errorMessage"), NULL), "%s",
                         sg_json_string(sg_json_get(c, "name"), NULL));
        free(in);
    }
    cr_expect_geq(errors, 6);
    free(text);
    sg_arena_dispose(&a);
}

Test(json_go, identity_vectors_canonical_inputs)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    char *text;
    sg_json_t *root = load_vectors(&a, &text);
    int checked = 0;
    for (size_t i = 0; i < root->u.array.len; i++) {
        const sg_json_t *c = root->u.array.items[i];
        const sg_json_t *canon = sg_json_get(c, "canonicalInputs");
        if (canon == NULL)
            continue;
        size_t len = 0;
        char *in = vector_inputs(c, &len);
        const char *src = in != NULL && len > 0 ? in : "{}";
        sg_json_t *v;
        sg_error_t err = SG_ERROR_INIT;
        int rc = th_parse(&v, &a, src, in != NULL && len > 0 ? len : 2, SG_JSON_GO, &err);
        cr_expect_eq(rc, SG_OK, "%s: %s", sg_json_string(sg_json_get(c, "name"), NULL), err.message);
        if (rc == SG_OK) {
            if (v->type == SG_JSON_NULL)
                v = sg_json_new_object(&a);
            size_t olen;
            char *out = th_encode_go(v, &olen);
            cr_expect_eq(olen, canon->u.string.len, "%s", sg_json_string(sg_json_get(c, "name"), NULL));
            cr_expect_str_eq(out, canon->u.string.ptr, "%s", sg_json_string(sg_json_get(c, "name"), NULL));
            free(out);
            checked++;
        }
        free(in);
    }
    cr_expect_geq(checked, 50);
    free(text);
    sg_arena_dispose(&a);
}

Test(json_go, string_decoding_replaces_invalid_utf8_and_surrogates)
{
    size_t n;
    th_row_t *rows = th_table("go_strings.tsv", &n);
    cr_assert_gt(n, 40);
    for (size_t i = 0; i < n; i++) {
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_json_t *v = NULL;
        sg_error_t err = SG_ERROR_INIT;
        int rc = th_parse(&v, &a, rows[i].field[0], rows[i].len[0], SG_JSON_GO, &err);
        cr_expect_eq(rc, SG_OK, "line %d: %s", rows[i].lineno, err.message);
        if (rc == SG_OK) {
            cr_expect_eq(v->type, SG_JSON_STRING);
            size_t want = rows[i].nfields > 1 ? rows[i].len[1] : 0;
            cr_expect(v->u.string.len == want && memcmp(v->u.string.ptr, rows[i].field[1], want) == 0,
                      "line %d: got %s", rows[i].lineno, th_show(v->u.string.ptr, v->u.string.len));
            cr_expect_eq(v->u.string.ptr[v->u.string.len], '\0');
        }
        sg_arena_dispose(&a);
    }
    th_table_free(rows, n);
}

Test(json_go, keys_decode_like_strings_and_fold_after_replacement)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    static const char in[] = "{\"\xFF\":1,\"\xFE\":2,\"\\ud800\":3,\"x\":4}";
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(th_parse(&v, &a, in, sizeof(in) - 1, SG_JSON_GO, &err), SG_OK, "%s", err.message);
    cr_assert_eq(v->u.object.len, 2);
    cr_expect_str_eq(v->u.object.members[0].key, "\xEF\xBF\xBD");
    cr_expect_eq(v->u.object.members[0].value->u.number.value, 3);
    size_t len;
    char *out = th_encode_go(v, &len);
    cr_expect_str_eq(out, "{\"x\":4,\"\xEF\xBF\xBD\":3}");
    free(out);
    sg_arena_dispose(&a);
}

Test(json_go, numbers_round_correctly_and_marshal_like_go)
{
    size_t n;
    th_row_t *rows = th_table("go_numbers.tsv", &n);
    cr_assert_gt(n, 50);
    for (size_t i = 0; i < n; i++) {
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_json_t *v;
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(th_parse(&v, &a, rows[i].field[0], rows[i].len[0], SG_JSON_GO, &err), SG_OK, "line %d: %s",
                     rows[i].lineno, err.message);
        cr_expect_eq(v->type, SG_JSON_NUMBER);
        cr_expect_eq(v->u.number.text_len, rows[i].len[0]);
        size_t len;
        char *out = th_encode_go(v, &len);
        cr_expect_str_eq(out, rows[i].field[1], "line %d (%s)", rows[i].lineno, rows[i].field[0]);
        free(out);
        sg_arena_dispose(&a);
    }
    th_table_free(rows, n);
}

Test(json_go, random_floats_format_as_shortest_round_trip)
{
    size_t n;
    th_row_t *rows = th_table("go_random_numbers.tsv", &n);
    cr_assert_gt(n, 3000);
    sg_buf_t b = SG_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = strtoull(rows[i].field[0], NULL, 16);
        double d;
        memcpy(&d, &bits, sizeof(d));
        sg_buf_reset(&b);
        cr_assert_eq(sg_json_write_go_number(&b, d), SG_OK);
        cr_expect_str_eq(b.base, rows[i].field[1], "line %d (%s)", rows[i].lineno, rows[i].field[0]);
        cr_expect_eq(strtod(b.base, NULL), d);
    }
    sg_buf_dispose(&b);
    th_table_free(rows, n);
}

static char *nested(size_t depth, const char *open, const char *close, const char *inner)
{
    size_t ol = strlen(open), cl = strlen(close), il = strlen(inner);
    char *s = malloc(depth * (ol + cl) + il + 1), *p = s;
    for (size_t i = 0; i < depth; i++, p += ol)
        memcpy(p, open, ol);
    memcpy(p, inner, il);
    p += il;
    for (size_t i = 0; i < depth; i++, p += cl)
        memcpy(p, close, cl);
    *p = '\0';
    return s;
}

Test(json_go, depth_10000_is_accepted_and_10001_refused)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    char *ok = nested(10000, "[", "]", "");
    cr_expect_eq(th_parse(&v, &a, ok, strlen(ok), SG_JSON_GO, &err), SG_OK, "%s", err.message);
    char *bad = nested(10001, "[", "]", "");
    cr_expect_eq(th_parse(&v, &a, bad, strlen(bad), SG_JSON_GO, &err), SG_ELIMIT);
    cr_expect_str_eq(err.message, "invalid character '[' exceeded max depth");
    char *obj = nested(10001, "{\"a\":", "}", "1");
    cr_expect_eq(th_parse(&v, &a, obj, strlen(obj), SG_JSON_GO, &err), SG_ELIMIT);
    cr_expect_str_eq(err.message, "invalid character '{' exceeded max depth");
    /* a syntax error before the limit is reported first, as Go scans left to right */
    char *early = nested(10001, "[", "]", "");
    early[5] = 'x';
    cr_expect_eq(th_parse(&v, &a, early, strlen(early), SG_JSON_GO, &err), SG_EINVALID);
    cr_expect_str_eq(err.message, "invalid character 'x' looking for beginning of value");
    /* a lower max_depth applies with the same message; a higher one is capped at Go's */
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    opts.dialect = SG_JSON_GO;
    opts.max_depth = 3;
    cr_expect_eq(sg_json_parse(&v, &a, "[[[1]]]", 7, &opts, &err), SG_OK);
    cr_expect_eq(sg_json_parse(&v, &a, "[[[{}]]]", 8, &opts, &err), SG_ELIMIT);
    cr_expect_str_eq(err.message, "invalid character '{' exceeded max depth");
    opts.max_depth = 20000;
    cr_expect_eq(sg_json_parse(&v, &a, bad, strlen(bad), &opts, &err), SG_ELIMIT);
    free(ok);
    free(bad);
    free(obj);
    free(early);
    sg_arena_dispose(&a);
}

Test(json_go, duplicate_keys_last_value_wins_at_first_position)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    const char *in = "{\"a\":{\"x\":1},\"b\":2,\"a\":[true],\"c\":3,\"b\":null}";
    cr_assert_eq(th_parse(&v, &a, in, strlen(in), SG_JSON_GO, &err), SG_OK);
    cr_assert_eq(v->u.object.len, 3);
    cr_expect_str_eq(v->u.object.members[0].key, "a");
    cr_expect_eq(v->u.object.members[0].value->type, SG_JSON_ARRAY);
    cr_expect_str_eq(v->u.object.members[1].key, "b");
    cr_expect_eq(v->u.object.members[1].value->type, SG_JSON_NULL);
    cr_expect_str_eq(v->u.object.members[2].key, "c");
    sg_buf_t b = SG_BUF_INIT;
    sg_json_encode(&b, v);
    cr_expect_str_eq(b.base, "{\"a\":[true],\"b\":null,\"c\":3}");
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
}

Test(json_go, duplicate_keys_in_big_objects_use_the_index)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_buf_t in = SG_BUF_INIT;
    sg_buf_putc(&in, '{');
    /* 3000 members over 1000 distinct keys: each key's last value is its third occurrence */
    for (int round = 0; round < 3; round++)
        for (int k = 0; k < 1000; k++)
            sg_buf_printf(&in, "%s\"k%d\":%d", round == 0 && k == 0 ? "" : ",", (k * 7919) % 1000, round * 1000 + k);
    sg_buf_putc(&in, '}');
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(th_parse(&v, &a, in.base, in.len, SG_JSON_GO, &err), SG_OK, "%s", err.message);
    cr_assert_eq(v->u.object.len, 1000);
    cr_expect_str_eq(v->u.object.members[0].key, "k0");
    cr_expect_str_eq(v->u.object.members[1].key, "k919");
    for (int k = 0; k < 1000; k++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", (k * 7919) % 1000);
        sg_json_t *m = sg_json_get(v, key);
        cr_assert_not_null(m, "%s", key);
        cr_expect_eq(m->u.number.value, 2000 + k, "%s", key);
    }
    sg_buf_dispose(&in);
    sg_arena_dispose(&a);
}

Test(json_go, white_space_is_only_space_tab_lf_cr)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    const char *ok = " \t\r\n{ \"a\" :\t[ 1 ,\n2 ] } \r\n";
    cr_expect_eq(th_parse(&v, &a, ok, strlen(ok), SG_JSON_GO, &err), SG_OK, "%s", err.message);
    cr_expect_eq(th_parse(&v, &a, "{\"a\":\v1}", 8, SG_JSON_GO, &err), SG_EINVALID);
    cr_expect_str_eq(err.message, "invalid character '\\v' looking for beginning of value");
    cr_expect_eq(th_parse(&v, &a,
                          "[1,\xC2\xA0"
                          "2]",
                          7, SG_JSON_GO, &err),
                 SG_EINVALID);
    cr_expect_str_eq(err.message, "invalid character 'Â' looking for beginning of value");
    sg_arena_dispose(&a);
}

Test(json_go, number_errors_follow_syntax_check_and_document_order)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    const char *in = "{\"z\":[1,2,{\"q\":-2e308}],\"a\":1e309}";
    cr_expect_eq(th_parse(&v, &a, in, strlen(in), SG_JSON_GO, &err), SG_EINVALID);
    cr_expect_str_eq(err.message, "json: cannot unmarshal number -2e308 into Go value of type float64");
    cr_expect_null(v);
    sg_arena_dispose(&a);
}
