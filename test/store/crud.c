/* Store CRUD: assigned metadata, conflicts, generations, status subresource, deletes. */
#include <criterion/criterion.h>

#include "helpers.h"

static char *dir;
static sg_store_t *st;
static sg_metrics_t *reg;
static sg_arena_t arena;

static void setup(void)
{
    st = fixture_open(&dir, &reg);
    sg_arena_init(&arena, 0);
}

static void teardown(void)
{
    fixture_close(st, reg, dir);
    sg_arena_dispose(&arena);
}

static sg_json_t *create(const char *json, int expect)
{
    sg_buf_t out = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_store_create(st, &out, SG_KIND_STORY, "default", json, strlen(json), NULL, &err);
    cr_assert_eq(rc, expect, "rc=%d %s", rc, err.message);
    sg_json_t *v = rc == SG_OK ? parse(&arena, sg_arena_strndup(&arena, out.base, out.len)) : NULL;
    sg_buf_dispose(&out);
    return v;
}

TestSuite(store_crud, .init = setup, .fini = teardown);

Test(store_crud, create_assigns_metadata)
{
    sg_json_t *o = create("{\"metadata\":{\"name\":\"s1\",\"labels\":{\"a\":\"b\"}},\"spec\":{\"version\":\"v1\"}}", 0);
    cr_assert(sg_json_string_eq(sg_json_get(o, "apiVersion"), "bubustack.io/v1alpha1"));
    cr_assert(sg_json_string_eq(sg_json_get(o, "kind"), "Story"));
    cr_assert(sg_json_string_eq(sg_json_path(o, "metadata.namespace"), "default"));
    cr_assert(sg_json_string_eq(sg_json_path(o, "metadata.labels.a"), "b"));
    cr_assert(sg_json_string_eq(sg_json_path(o, "spec.version"), "v1"));
    size_t n;
    const char *uid = sg_json_string(sg_json_path(o, "metadata.uid"), &n);
    cr_assert_eq(n, 36);
    cr_assert_eq(uid[14], '4');
    cr_assert(sg_json_string_eq(sg_json_path(o, "metadata.resourceVersion"), "1"));
    cr_assert_eq(sg_json_path(o, "metadata.generation")->u.number.value, 1);
    const char *ts = sg_json_string(sg_json_path(o, "metadata.creationTimestamp"), &n);
    cr_assert_eq(n, 20);
    cr_assert_eq(ts[19], 'Z');
}

Test(store_crud, create_existing_conflicts)
{
    create("{\"metadata\":{\"name\":\"s1\"}}", 0);
    sg_error_t err = SG_ERROR_INIT;
    const char *j = "{\"metadata\":{\"name\":\"s1\"}}";
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_STORY, "default", j, strlen(j), NULL, &err), SG_ECONFLICT);
    cr_assert_str_eq(err.message, "stories.bubustack.io \"s1\" already exists");
    /* the same name in another namespace or kind is another object */
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_STORY, "other", j, strlen(j), NULL, &err), SG_OK);
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_STORYRUN, "default", j, strlen(j), NULL, &err), SG_OK);
}

Test(store_crud, create_rejects_bad_objects)
{
    create("[1]", SG_EINVALID);
    create("{\"metadata\":{}}", SG_EINVALID);
    create("{\"metadata\":{\"name\":\"a/b\"}}", SG_EINVALID);
    create("{\"metadata\":{\"name\":\"x\",\"namespace\":\"other\"}}", SG_EINVALID);
    create("{\"metadata\":", SG_EINVALID);
}

Test(store_crud, generate_name_appends_suffix)
{
    sg_json_t *o = create("{\"metadata\":{\"generateName\":\"run-\"}}", 0);
    size_t n;
    const char *name = sg_json_string(sg_json_path(o, "metadata.name"), &n);
    cr_assert_eq(n, 9);
    cr_assert(strncmp(name, "run-", 4) == 0);
}

Test(store_crud, resource_versions_increase_across_kinds_and_reopen)
{
    uint64_t last = 0, rv;
    for (int i = 0; i < 5; i++) {
        char j[64];
        snprintf(j, sizeof(j), "{\"metadata\":{\"name\":\"o%d\"}}", i);
        cr_assert_eq(
            sg_store_create(st, NULL, i % 2 ? SG_KIND_STORYRUN : SG_KIND_STORY, "ns", j, strlen(j), NULL, NULL), SG_OK);
        char name[24];
        snprintf(name, sizeof(name), "o%d", i);
        cr_assert_eq(sg_store_get(st, NULL, &rv, i % 2 ? SG_KIND_STORYRUN : SG_KIND_STORY, "ns", name, NULL), SG_OK);
        cr_assert_gt(rv, last);
        last = rv;
    }
    cr_assert_eq(sg_store_resource_version(st), last);
    sg_store_close(st);
    st = open_store(dir, reg);
    cr_assert_eq(sg_store_resource_version(st), last);
    const char *j = "{\"metadata\":{\"name\":\"after\"}}";
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_STORY, "ns", j, strlen(j), NULL, NULL), SG_OK);
    cr_assert_eq(sg_store_get(st, NULL, &rv, SG_KIND_STORY, "ns", "after", NULL), SG_OK);
    cr_assert_eq(rv, last + 1);
}

Test(store_crud, update_bumps_generation_only_on_spec_change_and_keeps_status)
{
    sg_json_t *o = create("{\"metadata\":{\"name\":\"s\"},\"spec\":{\"a\":1},\"status\":{\"x\":1}}", 0);
    const char *uid = sg_json_string(sg_json_path(o, "metadata.uid"), NULL);
    sg_buf_t out = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    sg_json_t *u = parse(&arena, "{\"metadata\":{\"name\":\"s\",\"labels\":{\"l\":\"v\"},\"uid\":\"zzz\"},"
                                 "\"spec\":{\"a\":1},\"status\":{\"x\":2}}");
    cr_assert_eq(sg_store_update_json(st, &out, SG_KIND_STORY, "default", u, NULL, &err), SG_OK, "%s", err.message);
    sg_json_t *r = parse(&arena, sg_arena_strndup(&arena, out.base, out.len));
    cr_assert_eq(sg_json_path(r, "metadata.generation")->u.number.value, 1);
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.uid"), uid));
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.labels.l"), "v"));
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.resourceVersion"), "2"));
    cr_assert_eq(sg_json_path(r, "status.x")->u.number.value, 1);

    u = parse(&arena, "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"a\":2}}");
    cr_assert_eq(sg_store_update_json(st, &out, SG_KIND_STORY, "default", u, NULL, &err), SG_OK);
    r = parse(&arena, sg_arena_strndup(&arena, out.base, out.len));
    cr_assert_eq(sg_json_path(r, "metadata.generation")->u.number.value, 2);
    cr_assert_eq(sg_json_path(r, "spec.a")->u.number.value, 2);
    cr_assert_eq(sg_json_path(r, "status.x")->u.number.value, 1);
    cr_assert_null(sg_json_path(r, "metadata.labels"));
    sg_buf_dispose(&out);
}

Test(store_crud, update_with_stale_resource_version_conflicts)
{
    create("{\"metadata\":{\"name\":\"s\"},\"spec\":{\"a\":1}}", 0);
    sg_error_t err = SG_ERROR_INIT;
    sg_json_t *u = parse(&arena, "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"a\":3}}");
    sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
    o.expected_rv = 7;
    cr_assert_eq(sg_store_update_json(st, NULL, SG_KIND_STORY, "default", u, &o, &err), SG_ECONFLICT);
    cr_assert(strstr(err.message, "the object has been modified") != NULL);
    o.expected_rv = 1;
    cr_assert_eq(sg_store_update_json(st, NULL, SG_KIND_STORY, "default", u, &o, &err), SG_OK);
    cr_assert_eq(sg_store_update_json(st, NULL, SG_KIND_STORY, "default", u, &o, &err), SG_ECONFLICT);
    sg_json_t *missing = parse(&arena, "{\"metadata\":{\"name\":\"nope\"}}");
    cr_assert_eq(sg_store_update_json(st, NULL, SG_KIND_STORY, "default", missing, NULL, &err), SG_ENOTFOUND);
}

Test(store_crud, status_update_replaces_status_and_keeps_spec)
{
    create("{\"metadata\":{\"name\":\"s\"},\"spec\":{\"a\":1}}", 0);
    sg_buf_t out = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    sg_json_t *status = parse(&arena, "{\"decision\":\"Created\",\"n\":[1,2]}");
    cr_assert_eq(sg_store_update_status(st, &out, SG_KIND_STORY, "default", "s", status, NULL, &err), SG_OK);
    sg_json_t *r = parse(&arena, sg_arena_strndup(&arena, out.base, out.len));
    cr_assert_not_null(r);
    cr_assert(sg_json_string_eq(sg_json_path(r, "status.decision"), "Created"));
    cr_assert_eq(sg_json_path(r, "spec.a")->u.number.value, 1);
    cr_assert_eq(sg_json_path(r, "metadata.generation")->u.number.value, 1);
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.resourceVersion"), "2"));

    sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
    o.expected_rv = 1;
    cr_assert_eq(sg_store_update_status(st, NULL, SG_KIND_STORY, "default", "s", status, &o, &err), SG_ECONFLICT);
    o.expected_rv = 2;
    cr_assert_eq(sg_store_update_status(st, &out, SG_KIND_STORY, "default", "s", NULL, &o, &err), SG_OK);
    r = parse(&arena, sg_arena_strndup(&arena, out.base, out.len));
    cr_assert_null(sg_json_get(r, "status"));
    cr_assert_eq(sg_store_update_status(st, NULL, SG_KIND_STORY, "default", "zz", status, NULL, &err), SG_ENOTFOUND);
    sg_buf_dispose(&out);
}

Test(store_crud, delete_returns_last_state_and_removes)
{
    create("{\"metadata\":{\"name\":\"s\"},\"spec\":{\"a\":1}}", 0);
    sg_buf_t out = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
    o.expected_rv = 5;
    cr_assert_eq(sg_store_delete(st, &out, SG_KIND_STORY, "default", "s", &o, &err), SG_ECONFLICT);
    cr_assert_eq(sg_store_delete(st, &out, SG_KIND_STORY, "default", "s", NULL, &err), SG_OK);
    sg_json_t *r = parse(&arena, sg_arena_strndup(&arena, out.base, out.len));
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.resourceVersion"), "2"));
    cr_assert_eq(sg_store_get(st, NULL, NULL, SG_KIND_STORY, "default", "s", &err), SG_ENOTFOUND);
    cr_assert_str_eq(err.message, "stories.bubustack.io \"s\" not found");
    cr_assert_eq(sg_store_delete(st, NULL, SG_KIND_STORY, "default", "s", NULL, &err), SG_ENOTFOUND);
    sg_buf_dispose(&out);
}

Test(store_crud, commit_metric_counts_commits)
{
    create("{\"metadata\":{\"name\":\"s\"}}", 0);
    sg_buf_t text = SG_BUF_INIT;
    sg_metrics_render(reg, &text);
    cr_assert(strstr(text.base, "storygate_store_commit_seconds_count 1") != NULL, "%s", text.base);
    const char *m = strstr(text.base, "\nstorygate_store_map_size_bytes ");
    cr_assert_not_null(m);
    cr_assert_eq(strtod(m + strlen("\nstorygate_store_map_size_bytes "), NULL), 64.0 * 1024 * 1024);
    const char *u = strstr(text.base, "\nstorygate_store_used_bytes ");
    cr_assert_not_null(u);
    cr_assert_gt(strtod(u + strlen("\nstorygate_store_used_bytes "), NULL), 0);
    sg_buf_dispose(&text);
}

Test(store_crud, kind_tables)
{
    sg_store_kind_t k;
    cr_assert_eq(sg_store_kind_parse(&k, "storytriggers"), SG_OK);
    cr_assert_eq(k, SG_KIND_STORYTRIGGER);
    cr_assert_eq(sg_store_kind_parse(&k, "ReferenceGrant"), SG_OK);
    cr_assert_str_eq(sg_store_kind_api_version(k), "policy.bubustack.io/v1alpha1");
    cr_assert_eq(sg_store_kind_parse(&k, "pods"), SG_ENOTFOUND);
}
