/* Manifests loaded at start: multi-document YAML applied to a real LMDB store (Stories, ReferenceGrants, Namespaces),
 * other kinds skipped, a second document for the same object updates it, and errors carry file:line:column. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/api.h>

static sg_metrics_t *registry;

static sg_store_t *open_store(char *dir)
{
    cr_assert_not_null(mkdtemp(dir));
    sg_store_lmdb_opts_t o = SG_STORE_LMDB_OPTS_INIT;
    o.path = dir;
    o.map_size = 16u << 20;
    o.metrics = registry = sg_metrics_new();
    sg_store_t *s = NULL;
    cr_assert_eq(sg_store_open_lmdb(&s, &o, NULL), SG_OK);
    return s;
}

static void cleanup(const char *dir)
{
    sg_metrics_free(registry);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(api_manifests, loads_stories_and_grants_and_updates_repeats)
{
    char dir[] = "/tmp/sg-api-manifests-XXXXXX";
    sg_store_t *s = open_store(dir);
    size_t n = 0;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_api_manifests_load(s, SG_TEST_DATA "/manifests_good", &n, &err), SG_OK, "%s", err.message);
    cr_expect_eq(n, 5);
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_store_get(s, &b, NULL, SG_KIND_STORY, "demo", "a", NULL), SG_OK);
    cr_expect_not_null(strstr(b.base, "\"version\":\"2\""), "%s", b.base);
    cr_expect_eq(sg_store_get(s, &b, NULL, SG_KIND_REFERENCEGRANT, "demo", "g", NULL), SG_OK);
    sg_buf_dispose(&b);
    sg_store_close(s);
    cleanup(dir);
}

Test(api_manifests, namespaces_load_with_their_labels_as_the_apiserver_stores_them)
{
    char dir[] = "/tmp/sg-api-manifests-XXXXXX";
    sg_store_t *s = open_store(dir);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_api_manifests_load(s, SG_TEST_DATA "/manifests_good", NULL, &err), SG_OK, "%s", err.message);
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_store_get(s, &b, NULL, SG_KIND_NAMESPACE, NULL, "labelled", &err), SG_OK, "%s", err.message);
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *o = NULL;
    cr_assert_eq(sg_json_parse(&o, &a, b.base, b.len, NULL, NULL), SG_OK);
    cr_expect(sg_json_string_eq(sg_json_get(o, "apiVersion"), "v1"));
    cr_expect(sg_json_string_eq(sg_json_path(o, "metadata.labels.env"), "prod"));
    cr_expect(
        sg_json_string_eq(sg_json_get(sg_json_path(o, "metadata.labels"), "kubernetes.io/metadata.name"), "labelled"));
    cr_expect(sg_json_string_eq(sg_json_path(o, "status.phase"), "Active"));
    cr_expect_null(sg_json_path(o, "metadata.namespace"), "a stray metadata.namespace is dropped");
    cr_expect_eq(sg_store_get(s, NULL, NULL, SG_KIND_NAMESPACE, NULL, "plain", NULL), SG_OK);
    sg_arena_dispose(&a);
    sg_buf_dispose(&b);
    sg_store_close(s);
    cleanup(dir);
}

Test(api_manifests, errors_name_the_file_and_line)
{
    char dir[] = "/tmp/sg-api-manifests-XXXXXX";
    sg_store_t *s = open_store(dir);
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(sg_api_manifests_load(s, SG_TEST_DATA "/manifests_bad", NULL, &err), SG_EINVALID);
    cr_expect_not_null(strstr(err.message, "manifests_bad/stories.yaml:11:3:"), "%s", err.message);
    cr_expect_not_null(strstr(err.message, "metadata.name is required"), "%s", err.message);
    cr_expect_eq(sg_api_manifests_load(s, SG_TEST_DATA "/no-such-dir", NULL, &err), SG_EIO);
    sg_store_close(s);
    cleanup(dir);
}
