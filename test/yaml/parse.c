/* yaml module: core-schema typing, positions, multi-document streams, limits and error locations. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <storygate/yaml.h>

static sg_arena_t arena;

static void setup(void)
{
    sg_arena_init(&arena, 0);
}

static void teardown(void)
{
    sg_arena_dispose(&arena);
}

TestSuite(yaml_parse, .init = setup, .fini = teardown);

static sg_json_t *parse1(const char *src, sg_error_t *err)
{
    sg_json_t **docs = NULL;
    size_t n = 0;
    int rc = sg_yaml_parse(&docs, &n, &arena, src, strlen(src), "t.yaml", err);
    if (rc < 0)
        return NULL;
    cr_assert_eq(n, 1, "expected one document, got %zu", n);
    return docs[0];
}

static const char *type_name(sg_json_type_t t)
{
    static const char *names[] = {"null", "bool", "number", "string", "array", "object"};
    return names[t];
}

Test(yaml_parse, plain_scalars_follow_the_core_schema)
{
    FILE *f = fopen(SG_TEST_DATA "/scalars.txt", "r");
    cr_assert_not_null(f);
    char line[512];
    int cases = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *in = line, *type = strchr(in, '|');
        cr_assert_not_null(type);
        *type++ = '\0';
        char *text = strchr(type, '|');
        cr_assert_not_null(text);
        *text++ = '\0';
        char src[600];
        snprintf(src, sizeof(src), "v: %s\n", in);
        sg_error_t err = SG_ERROR_INIT;
        sg_json_t *root = parse1(src, &err);
        cr_assert_not_null(root, "%s: %s", in, err.message);
        sg_json_t *v = root->u.object.members[0].value;
        cr_assert_str_eq(type_name(v->type), type, "input %s", in);
        if (v->type == SG_JSON_NUMBER)
            cr_assert_str_eq(v->u.number.text, text, "input %s", in);
        else if (v->type == SG_JSON_STRING)
            cr_assert_str_eq(v->u.string.ptr, text, "input %s", in);
        else if (v->type == SG_JSON_BOOL)
            cr_assert_eq(v->u.boolean, strcmp(text, "true") == 0, "input %s", in);
        cases++;
    }
    fclose(f);
    cr_assert_gt(cases, 20);
}

Test(yaml_parse, quoted_and_block_scalars_are_strings)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_json_t *root = parse1("a: \"true\"\nb: '12'\nc: |\n  x\n", &err);
    cr_assert_not_null(root, "%s", err.message);
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(root->u.object.members[i].value->type, SG_JSON_STRING);
    cr_assert_str_eq(root->u.object.members[2].value->u.string.ptr, "x\n");
}

Test(yaml_parse, nodes_and_keys_carry_one_based_positions)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_json_t *root = parse1("top:\n  inner: [1, 2]\n  other: x\n", &err);
    cr_assert_not_null(root, "%s", err.message);
    cr_assert_eq(root->line, 1);
    cr_assert_eq(root->column, 1);
    sg_json_t *top = root->u.object.members[0].value;
    cr_assert_eq(top->line, 2);
    cr_assert_eq(top->column, 3);
    sg_json_member_t *inner = &top->u.object.members[0];
    uint32_t line, col;
    sg_yaml_key_position(inner, &line, &col);
    cr_assert_eq(line, 2);
    cr_assert_eq(col, 3);
    cr_assert_eq(inner->value->type, SG_JSON_ARRAY);
    cr_assert_eq(inner->value->u.array.len, 2);
    cr_assert_eq(inner->value->u.array.items[1]->column, 14);
    sg_yaml_key_position(&top->u.object.members[1], &line, &col);
    cr_assert_eq(line, 3);
    cr_assert_eq(col, 3);
}

Test(yaml_parse, streams_yield_one_root_per_document)
{
    const char *src = "a: 1\n---\n---\n- x\n";
    sg_json_t **docs;
    size_t n;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_yaml_parse(&docs, &n, &arena, src, strlen(src), "s.yaml", &err), 0, "%s", err.message);
    cr_assert_eq(n, 3);
    cr_assert_eq(docs[0]->type, SG_JSON_OBJECT);
    cr_assert_eq(docs[1]->type, SG_JSON_NULL);
    cr_assert_eq(docs[2]->type, SG_JSON_ARRAY);
}

Test(yaml_parse, empty_input_has_no_documents)
{
    sg_json_t **docs;
    size_t n = 7;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_yaml_parse(&docs, &n, &arena, "", 0, "e.yaml", &err), 0);
    cr_assert_eq(n, 0);
}

static void expect_error(const char *src, int code, const char *message)
{
    sg_json_t **docs;
    size_t n;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_yaml_parse(&docs, &n, &arena, src, strlen(src), "bad.yaml", &err);
    cr_assert_eq(rc, code, "rc %d for %s (%s)", rc, src, err.message);
    cr_assert_str_eq(err.message, message);
}

Test(yaml_parse, errors_name_file_line_and_column)
{
    expect_error("a: 1\nb: [1, 2\n", SG_EINVALID,
                 "bad.yaml:3:1: did not find expected ',' or ']' while parsing a flow sequence");
    expect_error("a: 1\nb: 2\na: 3\n", SG_EINVALID, "bad.yaml:3:1: duplicate mapping key \"a\"");
    expect_error("x: !!int abc\n", SG_EINVALID, "bad.yaml:1:4: cannot read \"abc\" as tag:yaml.org,2002:int");
    expect_error("x: !custom 1\n", SG_EINVALID, "bad.yaml:1:4: unsupported tag \"!custom\"");
    expect_error("x: .inf\n", SG_EINVALID, "bad.yaml:1:4: non-finite number \".inf\" cannot be represented in JSON");
    expect_error("? [a]\n: 1\n", SG_EINVALID, "bad.yaml:1:3: mapping keys must be scalars");
}

Test(yaml_parse, aliases_are_rejected)
{
    expect_error("a: &x [1, 2]\nb: *x\n", SG_EINVALID, "bad.yaml:2:4: aliases are not supported");
}

Test(yaml_parse, billion_laughs_is_rejected_before_expansion)
{
    expect_error("a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n", SG_EINVALID,
                 "bad.yaml:2:8: aliases are not supported");
}

Test(yaml_parse, depth_and_size_are_bounded)
{
    char deep[400];
    memset(deep, '[', 300);
    deep[300] = '\0';
    sg_json_t **docs;
    size_t n;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_yaml_parse(&docs, &n, &arena, deep, strlen(deep), "d.yaml", &err), SG_ELIMIT, "%s", err.message);
    cr_assert(strstr(err.message, "nesting too deep") != NULL, "%s", err.message);

    sg_yaml_opts_t opts = SG_YAML_OPTS_INIT;
    opts.max_bytes = 4;
    cr_assert_eq(sg_yaml_parse_opts(&docs, &n, &arena, "a: 12\n", 6, "s.yaml", &opts, &err), SG_ELIMIT);
    opts.max_bytes = 0;
    opts.max_nodes = 3;
    cr_assert_eq(sg_yaml_parse_opts(&docs, &n, &arena, "[1, 2, 3]", 9, "s.yaml", &opts, &err), SG_ELIMIT);
    opts.max_nodes = 0;
    opts.max_docs = 1;
    cr_assert_eq(sg_yaml_parse_opts(&docs, &n, &arena, "1\n---\n2\n", 8, "s.yaml", &opts, &err), SG_ELIMIT);
}

Test(yaml_parse, many_keys_are_checked_for_duplicates)
{
    sg_buf_t b = SG_BUF_INIT;
    for (int i = 0; i < 20000; i++)
        sg_buf_printf(&b, "k%d: %d\n", i, i);
    sg_buf_puts(&b, "k19999: 0\n");
    sg_json_t **docs;
    size_t n;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_yaml_parse(&docs, &n, &arena, b.base, b.len, "k.yaml", &err), SG_EINVALID);
    cr_assert_str_eq(err.message, "k.yaml:20001:1: duplicate mapping key \"k19999\"");
    sg_buf_dispose(&b);
}

Test(yaml_parse, load_file_reports_missing_files)
{
    sg_json_t **docs;
    size_t n;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_yaml_load_file(&docs, &n, &arena, "/nonexistent/x.yaml", NULL, &err), SG_EIO);
    cr_assert_str_eq(err.message, "/nonexistent/x.yaml: No such file or directory");
}

Test(yaml_parse, load_file_parses_a_file)
{
    sg_json_t **docs;
    size_t n;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_yaml_load_file(&docs, &n, &arena, SG_TEST_DATA "/scalars.txt", NULL, &err), 0, "%s", err.message);
    cr_assert_eq(n, 1);
}
