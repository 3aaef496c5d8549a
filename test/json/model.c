/* The value model: lookups, dotted paths, JSON Pointer, builders, object set/remove, clone, equality, UTF-8. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

Test(json_model, pointer_resolves_rfc6901_examples)
{
    char path[1024];
    size_t len, n;
    snprintf(path, sizeof(path), "%s/rfc6901.json", SG_TEST_DATA);
    char *doc = th_read_file(path, &len);
    cr_assert_not_null(doc);
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *root;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(th_parse(&root, &a, doc, len, SG_JSON_STRICT, &err), SG_OK, "%s", err.message);
    th_row_t *rows = th_table("pointers.tsv", &n);
    cr_assert_gt(n, 25);
    sg_buf_t b = SG_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        sg_json_t *v = sg_json_pointer(root, rows[i].field[0]);
        if (strcmp(rows[i].field[1], "MISSING") == 0) {
            cr_expect_null(v, "line %d: %s", rows[i].lineno, rows[i].field[0]);
            continue;
        }
        cr_assert_not_null(v, "line %d: %s", rows[i].lineno, rows[i].field[0]);
        sg_buf_reset(&b);
        sg_json_encode(&b, v);
        cr_expect_str_eq(b.base, rows[i].field[1], "line %d", rows[i].lineno);
    }
    cr_expect_null(sg_json_pointer(NULL, ""));
    cr_expect_null(sg_json_pointer(root, NULL));
    sg_buf_dispose(&b);
    th_table_free(rows, n);
    sg_arena_dispose(&a);
    free(doc);
}

Test(json_model, pointer_escape_inverts_pointer_tokens)
{
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_json_pointer_escape(&b, "a/b~c", 5), SG_OK);
    cr_expect_str_eq(b.base, "a~1b~0c");
    sg_buf_reset(&b);
    cr_assert_eq(sg_json_pointer_escape(&b, "~01/", 4), SG_OK);
    cr_expect_str_eq(b.base, "~001~1");
    sg_buf_dispose(&b);
}

static sg_json_t *parse(sg_arena_t *a, const char *s)
{
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(th_parse(&v, a, s, strlen(s), SG_JSON_STRICT, &err), SG_OK, "%s: %s", s, err.message);
    return v;
}

Test(json_model, get_and_dotted_paths)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *v = parse(&a, "{\"spec\":{\"deliveryIdentity\":{\"key\":\"k1\"},\"n\":1},\"a.b\":2}");
    cr_expect(sg_json_string_eq(sg_json_path(v, "spec.deliveryIdentity.key"), "k1"));
    cr_expect_null(sg_json_path(v, "spec.deliveryIdentity.key.more"));
    cr_expect_null(sg_json_path(v, "spec.missing"));
    cr_expect_null(sg_json_path(v, "a.b"));
    cr_expect_eq(sg_json_path(v, "spec"), sg_json_get(v, "spec"));
    cr_expect_eq(sg_json_getn(v, "a.bc", 3)->u.number.value, 2);
    cr_expect_null(sg_json_get(v, "spe"));
    cr_expect_null(sg_json_get(NULL, "spec"));
    cr_expect_null(sg_json_get(sg_json_path(v, "spec.n"), "x"));
    size_t len = 9;
    cr_expect_str_eq(sg_json_string(sg_json_path(v, "spec.deliveryIdentity.key"), &len), "k1");
    cr_expect_eq(len, 2);
    cr_expect_null(sg_json_string(sg_json_path(v, "spec.n"), &len));
    cr_expect_null(sg_json_string(NULL, NULL));
    cr_expect_not(sg_json_string_eq(sg_json_path(v, "spec.n"), "1"));
    cr_expect_not(sg_json_string_eq(sg_json_path(v, "spec.deliveryIdentity.key"), "k"));
    cr_expect_not(sg_json_string_eq(NULL, "k1"));
    sg_arena_dispose(&a);
}

Test(json_model, type_names)
{
    cr_expect_str_eq(sg_json_type_name(SG_JSON_NULL), "null");
    cr_expect_str_eq(sg_json_type_name(SG_JSON_BOOL), "boolean");
    cr_expect_str_eq(sg_json_type_name(SG_JSON_NUMBER), "number");
    cr_expect_str_eq(sg_json_type_name(SG_JSON_STRING), "string");
    cr_expect_str_eq(sg_json_type_name(SG_JSON_ARRAY), "array");
    cr_expect_str_eq(sg_json_type_name(SG_JSON_OBJECT), "object");
}

Test(json_model, builders_make_values_that_encode)
{
    sg_arena_t a;
    sg_arena_init(&a, 64);
    sg_json_t *o = sg_json_new_object(&a), *arr = sg_json_new_array(&a);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(sg_json_array_push(&a, arr, sg_json_new_number(&a, i)), SG_OK);
    cr_assert_eq(sg_json_object_set(&a, o, "list", arr), SG_OK);
    cr_assert_eq(sg_json_object_set(&a, o, "s", sg_json_new_string(&a, "x\0y", 3)), SG_OK);
    cr_assert_eq(sg_json_object_set(&a, o, "t", sg_json_new_bool(&a, 7)), SG_OK);
    cr_assert_eq(sg_json_object_set(&a, o, "n", sg_json_new_null(&a)), SG_OK);
    cr_assert_eq(sg_json_object_set(&a, o, "i", sg_json_new_int(&a, 9007199254740993LL)), SG_OK);
    cr_assert_eq(sg_json_object_set(&a, o, "e", sg_json_new_string(&a, NULL, 5)), SG_OK);
    cr_expect_eq(arr->u.array.len, 100);
    for (int i = 0; i < 100; i++)
        cr_expect_eq(arr->u.array.items[i]->u.number.value, i);
    cr_expect_eq(arr->raw, NULL);
    sg_buf_t b = SG_BUF_INIT;
    sg_json_object_remove(o, "list");
    cr_assert_eq(sg_json_encode(&b, o), SG_OK);
    cr_expect_str_eq(b.base, "{\"s\":\"x\\u0000y\",\"t\":true,\"n\":null,\"i\":9007199254740993,\"e\":\"\"}");
    sg_buf_reset(&b);
    cr_assert_eq(sg_json_encode_go(&b, o), SG_OK);
    cr_expect_str_eq(b.base, "{\"e\":\"\",\"i\":9007199254740992,\"n\":null,\"s\":\"x\\u0000y\",\"t\":true}");
    sg_buf_dispose(&b);
    cr_expect_neq(sg_json_array_push(&a, o, arr), SG_OK);
    cr_expect_neq(sg_json_object_set(&a, arr, "k", o), SG_OK);
    sg_arena_dispose(&a);
}

Test(json_model, object_set_replaces_in_place_and_remove_keeps_order)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *v = parse(&a, "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}");
    cr_assert_eq(sg_json_object_set(&a, v, "b", sg_json_new_string(&a, "two", 3)), SG_OK);
    cr_assert_eq(sg_json_object_set(&a, v, "f", sg_json_new_number(&a, 6)), SG_OK);
    cr_expect_eq(sg_json_object_remove(v, "a"), 1);
    cr_expect_eq(sg_json_object_remove(v, "a"), 0);
    cr_expect_eq(sg_json_object_remove(v, "d"), 1);
    cr_expect_eq(sg_json_object_remove(NULL, "d"), 0);
    for (int i = 0; i < 40; i++) {
        char key[8];
        snprintf(key, sizeof(key), "x%d", i);
        cr_assert_eq(sg_json_object_set(&a, v, key, sg_json_new_number(&a, i)), SG_OK);
    }
    sg_buf_t b = SG_BUF_INIT;
    sg_json_encode(&b, v);
    cr_expect_eq(strncmp(b.base, "{\"b\":\"two\",\"c\":3,\"e\":5,\"f\":6,\"x0\":0,\"x1\":1,", 43), 0, "%s", b.base);
    cr_expect_eq(v->u.object.len, 44);
    cr_expect_eq(sg_json_get(v, "x39")->u.number.value, 39);
    /* pushing to parsed arrays of every size keeps earlier items */
    for (int n = 0; n < 20; n++) {
        sg_buf_reset(&b);
        sg_buf_putc(&b, '[');
        for (int i = 0; i < n; i++)
            sg_buf_printf(&b, "%s%d", i ? "," : "", i);
        sg_buf_putc(&b, ']');
        sg_json_t *arr = parse(&a, b.base);
        for (int i = n; i < n + 10; i++)
            cr_assert_eq(sg_json_array_push(&a, arr, sg_json_new_number(&a, i)), SG_OK);
        for (int i = 0; i < n + 10; i++)
            cr_expect_eq(arr->u.array.items[i]->u.number.value, i, "n=%d i=%d", n, i);
    }
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
}

Test(json_model, clone_is_deep_and_equal)
{
    sg_arena_t a, c;
    sg_arena_init(&a, 0);
    sg_arena_init(&c, 0);
    const char *src = "{\"a\":[1,\"x\",{\"b\":null}],\"n\":1.50,\"t\":true,\"e\":{}}";
    sg_json_t *v = parse(&a, src);
    sg_json_t *w = sg_json_clone(&c, v);
    cr_assert(sg_json_equal(v, w));
    cr_expect_neq(w->u.object.members[0].key, v->u.object.members[0].key);
    cr_expect_str_eq(sg_json_get(w, "n")->u.number.text, "1.50");
    cr_expect_eq(w->raw, v->raw);
    sg_json_object_set(&c, sg_json_pointer(w, "/a/2"), "b", sg_json_new_bool(&c, 0));
    cr_expect_not(sg_json_equal(v, w));
    cr_expect_eq(sg_json_pointer(v, "/a/2/b")->type, SG_JSON_NULL);
    cr_expect_null(sg_json_clone(&c, NULL));
    sg_arena_dispose(&c);
    sg_arena_dispose(&a);
}

Test(json_model, equality_ignores_member_order_and_number_spelling)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    static const char *same[][2] = {
        {"{\"a\":1,\"b\":[1,2]}", "{\"b\":[1,2],\"a\":1.0}"},
        {"[1e2,-0]", "[100,0]"},
        {"\"\\u00e9\"", "\"\xC3\xA9\""},
        {"{}", "{ }"},
        {"null", "null"},
    };
    static const char *differ[][2] = {
        {"{\"a\":1}", "{\"a\":1,\"b\":1}"},
        {"{\"a\":1,\"c\":1}", "{\"a\":1,\"b\":1}"},
        {"[1,2]", "[2,1]"},
        {"\"a\"", "\"a\\u0000\""},
        {"true", "false"},
        {"0", "false"},
        {"[]", "{}"},
        {"[1]", "[1,1]"},
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        cr_expect(sg_json_equal(parse(&a, same[i][0]), parse(&a, same[i][1])), "%s", same[i][0]);
    for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++)
        cr_expect_not(sg_json_equal(parse(&a, differ[i][0]), parse(&a, differ[i][1])), "%s", differ[i][0]);
    cr_expect(sg_json_equal(NULL, NULL));
    cr_expect_not(sg_json_equal(NULL, parse(&a, "1")));
    sg_arena_dispose(&a);
}

Test(json_model, utf8_validity)
{
    cr_expect(sg_utf8_valid("", 0));
    cr_expect(sg_utf8_valid("h\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF", 14));
    cr_expect(sg_utf8_valid("a\0b", 3));
    cr_expect_not(sg_utf8_valid("\xC0\xAF", 2));
    cr_expect_not(sg_utf8_valid("\xED\xA0\x80", 3));
    cr_expect_not(sg_utf8_valid("\xF4\x90\x80\x80", 4));
    cr_expect_not(sg_utf8_valid("\xE2\x82", 2));
    cr_expect_not(sg_utf8_valid("\xFF", 1));
    cr_expect_not(sg_utf8_valid("\x80", 1));
    cr_expect_not(sg_utf8_valid("\xF0\x9F\x98", 3));
}

Test(json_model, push_and_set_never_overrun_storage_assembled_elsewhere)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *arr = sg_json_new_array(&a);
    for (int i = 0; i < 3; i++)
        sg_json_array_push(&a, arr, sg_json_new_number(&a, i));
    /* another module swaps in an exact-size block, as a YAML loader or a copier does */
    sg_json_t **block = sg_arena_alloc(&a, 2 * sizeof(*block));
    block[0] = sg_json_new_number(&a, 10);
    block[1] = sg_json_new_number(&a, 11);
    arr->u.array.items = block;
    arr->u.array.len = 2;
    cr_assert_eq(sg_json_array_push(&a, arr, sg_json_new_number(&a, 12)), SG_OK);
    cr_expect_neq(arr->u.array.items, block);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(arr->u.array.items[i]->u.number.value, 10 + i);
    /* the same for objects, including a node made by hand with garbage in the private fields */
    sg_json_t obj;
    memset(&obj, 0x5a, sizeof(obj));
    obj.type = SG_JSON_OBJECT;
    sg_json_member_t *m = sg_arena_alloc(&a, sizeof(*m));
    m->key = "k";
    m->key_len = 1;
    m->value = sg_json_new_null(&a);
    obj.u.object.members = m;
    obj.u.object.len = 1;
    cr_assert_eq(sg_json_object_set(&a, &obj, "x", sg_json_new_bool(&a, 1)), SG_OK);
    cr_expect_neq(obj.u.object.members, m);
    cr_expect_eq(obj.u.object.len, 2);
    cr_expect_eq(sg_json_get(&obj, "k")->type, SG_JSON_NULL);
    sg_arena_dispose(&a);
}
