/* Store list: namespace scoping, ordering, label and field selectors, limits. */
#include <criterion/criterion.h>

#include "helpers.h"

static char *dir;
static sg_store_t *st;
static sg_metrics_t *reg;

static void put(const char *ns, const char *name, const char *labels, const char *story)
{
    char j[512];
    snprintf(j, sizeof(j), "{\"metadata\":{\"name\":\"%s\",\"labels\":%s},\"spec\":{\"storyRef\":{\"name\":\"%s\"}}}",
             name, labels, story);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_STORYRUN, ns, j, strlen(j), NULL, &err), SG_OK, "%s", err.message);
}

static void setup(void)
{
    st = fixture_open(&dir, &reg);
    put("b", "r2", "{\"app\":\"x\",\"tier\":\"web\"}", "s1");
    put("a", "r1", "{\"app\":\"x\"}", "s2");
    put("b", "r1", "{\"app\":\"y\"}", "s1");
    put("a", "r3", "{}", "s1");
    const char *j = "{\"metadata\":{\"name\":\"r1\"}}";
    sg_store_create(st, NULL, SG_KIND_STORY, "a", j, strlen(j), NULL, NULL);
}

static void teardown(void)
{
    fixture_close(st, reg, dir);
}

TestSuite(store_list, .init = setup, .fini = teardown);

/* Lists and returns "ns/name,ns/name" for comparison. */
static char *names(const char *ns, const char *labels, const char *fields, int expect)
{
    static char out[1024];
    sg_store_list_t l;
    sg_store_list_init(&l);
    sg_store_list_opts_t o = SG_STORE_LIST_OPTS_INIT;
    o.label_selector = labels;
    o.field_selector = fields;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_store_list(st, &l, SG_KIND_STORYRUN, ns, &o, &err);
    cr_assert_eq(rc, expect, "%s", err.message);
    out[0] = '\0';
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    for (size_t i = 0; i < l.len; i++) {
        sg_json_t *v = parse(&arena, l.items[i].json);
        cr_assert_not_null(v);
        cr_assert_gt(l.items[i].resource_version, 0);
        char one[128];
        snprintf(one, sizeof(one), "%s%s/%s", i ? "," : "", sg_json_string(sg_json_path(v, "metadata.namespace"), NULL),
                 sg_json_string(sg_json_path(v, "metadata.name"), NULL));
        strcat(out, one);
    }
    if (rc == SG_OK)
        cr_assert_eq(l.resource_version, 5);
    sg_arena_dispose(&arena);
    sg_store_list_dispose(&l);
    return out;
}

Test(store_list, all_namespaces_sorted_and_kind_scoped)
{
    cr_assert_str_eq(names(NULL, NULL, NULL, 0), "a/r1,a/r3,b/r1,b/r2");
    cr_assert_str_eq(names("", "", "", 0), "a/r1,a/r3,b/r1,b/r2");
}

Test(store_list, one_namespace)
{
    cr_assert_str_eq(names("b", NULL, NULL, 0), "b/r1,b/r2");
    cr_assert_str_eq(names("c", NULL, NULL, 0), "");
}

Test(store_list, label_selectors)
{
    cr_assert_str_eq(names(NULL, "app=x", NULL, 0), "a/r1,b/r2");
    cr_assert_str_eq(names(NULL, "app==x,tier=web", NULL, 0), "b/r2");
    cr_assert_str_eq(names(NULL, "app!=x", NULL, 0), "a/r3,b/r1");
    cr_assert_str_eq(names(NULL, "tier", NULL, 0), "b/r2");
    cr_assert_str_eq(names(NULL, "!app", NULL, 0), "a/r3");
    cr_assert_str_eq(names(NULL, "app in (y, z)", NULL, 0), "b/r1");
    cr_assert_str_eq(names(NULL, "app notin (x)", NULL, 0), "a/r3,b/r1");
}

Test(store_list, field_selectors)
{
    cr_assert_str_eq(names(NULL, NULL, "metadata.name=r1", 0), "a/r1,b/r1");
    cr_assert_str_eq(names(NULL, NULL, "metadata.name!=r1,metadata.namespace=a", 0), "a/r3");
    cr_assert_str_eq(names(NULL, NULL, "spec.storyRef.name=s1", 0), "a/r3,b/r1,b/r2");
    cr_assert_str_eq(names("b", "app=y", "spec.storyRef.name==s1", 0), "b/r1");
}

Test(store_list, malformed_selectors_are_invalid)
{
    names(NULL, "app=(", NULL, SG_EINVALID);
    names(NULL, NULL, "metadata.name", SG_EINVALID);
    names(NULL, "a!b", NULL, SG_EINVALID);
}

Test(store_list, limit_cuts_the_list)
{
    sg_store_list_t l;
    sg_store_list_init(&l);
    sg_store_list_opts_t o = SG_STORE_LIST_OPTS_INIT;
    o.limit = 2;
    cr_assert_eq(sg_store_list(st, &l, SG_KIND_STORYRUN, NULL, &o, NULL), SG_OK);
    cr_assert_eq(l.len, 2);
    sg_store_list_dispose(&l);
}
