/* Cluster-scoped Namespaces in the LMDB store: they persist across a reopen, never mix with the namespaced kinds that
 * share their names, and a namespace filter on watches does not hide them. */
#include <criterion/criterion.h>

#include "helpers.h"

static char *dir;
static sg_metrics_t *metrics;

static void setup(void)
{
    dir = tmpdir_make();
    cr_assert_not_null(dir);
    metrics = sg_metrics_new();
}

static void teardown(void)
{
    sg_metrics_free(metrics);
    tmpdir_remove(dir);
}

TestSuite(store_namespaces, .init = setup, .fini = teardown, .timeout = 60);

static void create(sg_store_t *s, sg_store_kind_t kind, const char *ns, const char *json)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(s, NULL, kind, ns, json, strlen(json), NULL, &err), SG_OK, "%s", err.message);
}

Test(store_namespaces, persist_and_stay_apart_from_namespaced_objects)
{
    sg_store_t *s = open_store(dir, metrics);
    cr_assert_not_null(s);
    create(s, SG_KIND_NAMESPACE, NULL, "{\"metadata\":{\"name\":\"a\",\"labels\":{\"env\":\"prod\"}}}");
    create(s, SG_KIND_STORY, "a", "{\"metadata\":{\"name\":\"a\"}}");
    sg_store_close(s);

    s = open_store(dir, metrics);
    cr_assert_not_null(s);
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_store_get(s, &b, NULL, SG_KIND_NAMESPACE, NULL, "a", NULL), SG_OK, "survives a reopen");
    cr_expect(strstr(b.base, "\"env\":\"prod\"") != NULL, "%s", b.base);
    cr_expect(strstr(b.base, "\"namespace\"") == NULL, "no metadata.namespace: %s", b.base);
    cr_expect_eq(sg_store_get(s, NULL, NULL, SG_KIND_STORY, "a", "a", NULL), SG_OK);
    sg_store_list_t l;
    sg_store_list_init(&l);
    cr_assert_eq(sg_store_list(s, &l, SG_KIND_STORY, NULL, NULL, NULL), SG_OK);
    cr_expect_eq(l.len, 1, "the Namespace is not a Story");
    cr_assert_eq(sg_store_list(s, &l, SG_KIND_NAMESPACE, "a", NULL, NULL), SG_OK);
    cr_expect_eq(l.len, 1, "a namespace argument does not filter cluster-scoped objects");
    sg_store_list_dispose(&l);
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(sg_store_delete(s, NULL, SG_KIND_NAMESPACE, "a", "a", NULL, &err), SG_EINVALID);
    cr_expect_str_eq(err.message, "namespaces are cluster-scoped: no namespace may be given");
    cr_expect_eq(sg_store_create(s, NULL, SG_KIND_STORY, NULL, "{\"metadata\":{\"name\":\"x\"}}", 26, NULL, &err),
                 SG_EINVALID, "namespaced kinds still need one");
    sg_buf_dispose(&b);
    sg_store_close(s);
}

Test(store_namespaces, a_watch_on_one_namespace_still_sees_namespaces)
{
    sg_store_t *s = open_store(dir, metrics);
    cr_assert_not_null(s);
    sg_store_watch_t *w = NULL;
    cr_assert_eq(
        sg_store_watch_open(s, &w, 0, SG_KIND_MASK(SG_KIND_NAMESPACE) | SG_KIND_MASK(SG_KIND_STORY), "team", NULL),
        SG_OK);
    create(s, SG_KIND_STORY, "other", "{\"metadata\":{\"name\":\"hidden\"}}");
    create(s, SG_KIND_NAMESPACE, NULL, "{\"metadata\":{\"name\":\"shown\"}}");
    sg_store_event_t ev;
    cr_assert_eq(sg_store_watch_next(w, &ev, 5000, NULL), SG_OK);
    cr_expect_eq(ev.kind, SG_KIND_NAMESPACE);
    cr_expect_str_eq(ev.name, "shown");
    cr_expect_str_eq(ev.namespace_, "");
    cr_expect_eq(sg_store_watch_next(w, &ev, 0, NULL), SG_EUNAVAILABLE, "the Story elsewhere is filtered");
    sg_store_watch_close(w);
    sg_store_close(s);
}
