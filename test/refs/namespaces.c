/* Namespace labels in the refs snapshot: lookups, copy-on-write clones whose labels outlive later changes, and the feed
 * keeping them current from a store (initial list, create, relabel, delete). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/refs.h>

static sg_arena_t arena;

static void setup(void)
{
    sg_arena_init(&arena, 0);
}

static void teardown(void)
{
    sg_arena_dispose(&arena);
}

TestSuite(refs_namespaces, .init = setup, .fini = teardown);

static sg_json_t *json(const char *text)
{
    sg_json_t *v = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&v, &arena, text, strlen(text), NULL, &err), SG_OK, "%s", err.message);
    return v;
}

static const char *label(const sg_refs_snapshot_t *snap, const char *ns, const char *key)
{
    return sg_json_string(sg_json_get(sg_refs_namespace_labels(snap, sg_span_cstr(ns)), key), NULL);
}

Test(refs_namespaces, labels_are_found_by_name_and_unknown_namespaces_give_null)
{
    sg_refs_snapshot_t *s = sg_refs_snapshot_new();
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_refs_snapshot_put_namespace_json(
                     s, json("{\"metadata\":{\"name\":\"prod\",\"labels\":{\"env\":\"prod\",\"team\":\"a\"}}}"), &err),
                 SG_OK, "%s", err.message);
    cr_assert_eq(sg_refs_snapshot_put_namespace_json(s, json("{\"metadata\":{\"name\":\"bare\"}}"), &err), SG_OK);
    cr_assert_eq(sg_refs_snapshot_put_namespace_json(s, json("{\"metadata\":{\"name\":\"odd\",\"labels\":[1]}}"), &err),
                 SG_OK);
    cr_expect_eq(sg_refs_snapshot_count_namespaces(s), 3);
    cr_expect_str_eq(label(s, "prod", "env"), "prod");
    cr_expect_str_eq(label(s, "prod", "team"), "a");
    cr_expect_null(label(s, "prod", "missing"));
    const sg_json_t *bare = sg_refs_namespace_labels(s, sg_span_cstr("bare"));
    cr_assert_not_null(bare, "a known Namespace without labels has an empty object");
    cr_expect(bare->type == SG_JSON_OBJECT && bare->u.object.len == 0);
    const sg_json_t *odd = sg_refs_namespace_labels(s, sg_span_cstr("odd"));
    cr_expect(odd != NULL && odd->type == SG_JSON_OBJECT && odd->u.object.len == 0, "non-object labels count as none");
    cr_expect_null(sg_refs_namespace_labels(s, sg_span_cstr("nowhere")), "unknown namespace");
    cr_expect_null(sg_refs_namespace_labels(s, sg_span_cstr("")));
    cr_expect_null(sg_refs_namespace_labels(NULL, sg_span_cstr("prod")));
    cr_expect_not_null(sg_refs_namespace_labels(s, sg_span_make("prodx", 4)), "the span's length counts");
    cr_expect_null(sg_refs_namespace_labels(s, sg_span_make("prodx", 3)));
    cr_expect_eq(sg_refs_snapshot_put_namespace_json(s, json("{\"metadata\":{\"labels\":{}}}"), &err), SG_EINVALID);
    cr_expect_eq(sg_refs_snapshot_put_namespace_json(s, json("[]"), &err), SG_EINVALID);
    sg_refs_snapshot_release(s);
}

Test(refs_namespaces, replacing_and_removing_keep_the_order)
{
    sg_refs_snapshot_t *s = sg_refs_snapshot_new();
    static const char *const names[] = {"m", "a", "z", "b", "y"};
    for (size_t i = 0; i < 5; i++) {
        char buf[128];
        snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"n\":\"%s\"}}}", names[i], names[i]);
        cr_assert_eq(sg_refs_snapshot_put_namespace_json(s, json(buf), NULL), SG_OK);
    }
    cr_assert_eq(
        sg_refs_snapshot_put_namespace_json(s, json("{\"metadata\":{\"name\":\"b\",\"labels\":{\"n\":\"B\"}}}"), NULL),
        SG_OK);
    cr_expect_eq(sg_refs_snapshot_count_namespaces(s), 5, "replaced, not added");
    cr_expect_str_eq(label(s, "b", "n"), "B");
    for (size_t i = 0; i < 5; i++)
        if (strcmp(names[i], "b") != 0)
            cr_expect_str_eq(label(s, names[i], "n"), names[i]);
    cr_expect_eq(sg_refs_snapshot_remove_namespace(s, sg_span_cstr("m")), 1);
    cr_expect_eq(sg_refs_snapshot_remove_namespace(s, sg_span_cstr("m")), 0);
    cr_expect_null(sg_refs_namespace_labels(s, sg_span_cstr("m")));
    cr_expect_str_eq(label(s, "z", "n"), "z");
    cr_expect_eq(sg_refs_snapshot_count_namespaces(s), 4);
    sg_refs_snapshot_release(s);
}

Test(refs_namespaces, labels_stay_valid_while_the_acquired_snapshot_is_held)
{
    sg_refs_holder_t *h = sg_refs_holder_new();
    sg_refs_snapshot_t *s = sg_refs_snapshot_new();
    cr_assert_eq(sg_refs_snapshot_put_namespace_json(
                     s, json("{\"metadata\":{\"name\":\"p\",\"labels\":{\"env\":\"prod\"}}}"), NULL),
                 SG_OK);
    sg_refs_holder_publish(h, s);
    sg_refs_snapshot_t *reader = sg_refs_holder_acquire(h);
    const sg_json_t *labels = sg_refs_namespace_labels(reader, sg_span_cstr("p"));
    cr_assert_not_null(labels);

    /* a provider relabels, then removes the Namespace, publishing copies each time */
    sg_refs_snapshot_t *cur = sg_refs_holder_acquire(h);
    sg_refs_snapshot_t *next = sg_refs_snapshot_clone(cur);
    sg_refs_snapshot_release(cur);
    cr_assert_eq(sg_refs_snapshot_put_namespace_json(
                     next, json("{\"metadata\":{\"name\":\"p\",\"labels\":{\"env\":\"dev\"}}}"), NULL),
                 SG_OK);
    sg_refs_holder_publish(h, next);
    cur = sg_refs_holder_acquire(h);
    cr_expect_str_eq(label(cur, "p", "env"), "dev");
    next = sg_refs_snapshot_clone(cur);
    sg_refs_snapshot_release(cur);
    cr_expect_eq(sg_refs_snapshot_remove_namespace(next, sg_span_cstr("p")), 1);
    sg_refs_holder_publish(h, next);

    cr_expect_str_eq(sg_json_string(sg_json_get(labels, "env"), NULL), "prod", "the reader's view did not change");
    cr_expect_eq(sg_refs_snapshot_count_namespaces(reader), 1);
    sg_refs_snapshot_release(reader);
    cur = sg_refs_holder_acquire(h);
    cr_expect_null(sg_refs_namespace_labels(cur, sg_span_cstr("p")));
    sg_refs_snapshot_release(cur);
    sg_refs_holder_free(h);
}

Test(refs_namespaces, the_feed_follows_namespaces_in_the_store)
{
    char dir[] = "/tmp/sg-refs-ns-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    sg_metrics_t *m = sg_metrics_new();
    sg_store_lmdb_opts_t o = SG_STORE_LMDB_OPTS_INIT;
    o.path = dir;
    o.map_size = 16u << 20;
    o.metrics = m;
    sg_store_t *st = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_open_lmdb(&st, &o, &err), SG_OK, "%s", err.message);
    const char *prod = "{\"metadata\":{\"name\":\"prod\",\"labels\":{\"env\":\"prod\"}}}";
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_NAMESPACE, NULL, prod, strlen(prod), NULL, &err), SG_OK, "%s",
                 err.message);

    sg_refs_holder_t *h = sg_refs_holder_new();
    sg_refs_feed_t *feed = NULL;
    cr_assert_eq(sg_refs_feed_start(&feed, h, st, &err), SG_OK, "%s", err.message);
    sg_refs_snapshot_t *snap = sg_refs_holder_acquire(h);
    cr_expect(sg_refs_snapshot_synced(snap));
    cr_expect_str_eq(label(snap, "prod", "env"), "prod", "listed at start");
    sg_refs_snapshot_release(snap);

    /* the embedded store calls subscribers before a write returns, so each change is visible right after it */
    const char *late = "{\"metadata\":{\"name\":\"late\",\"labels\":{\"env\":\"prod\"}}}";
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_NAMESPACE, NULL, late, strlen(late), NULL, &err), SG_OK);
    snap = sg_refs_holder_acquire(h);
    cr_expect_str_eq(label(snap, "late", "env"), "prod", "created later");
    sg_refs_snapshot_release(snap);

    cr_assert_eq(sg_store_update_json(st, NULL, SG_KIND_NAMESPACE, NULL,
                                      json("{\"metadata\":{\"name\":\"late\",\"labels\":{\"env\":\"dev\"}}}"), NULL,
                                      &err),
                 SG_OK, "%s", err.message);
    snap = sg_refs_holder_acquire(h);
    cr_expect_str_eq(label(snap, "late", "env"), "dev", "relabelled");
    sg_refs_snapshot_release(snap);

    cr_assert_eq(sg_store_delete(st, NULL, SG_KIND_NAMESPACE, NULL, "prod", NULL, &err), SG_OK);
    snap = sg_refs_holder_acquire(h);
    cr_expect_null(sg_refs_namespace_labels(snap, sg_span_cstr("prod")), "deleted");
    cr_expect_eq(sg_refs_snapshot_count_namespaces(snap), 1);
    sg_refs_snapshot_release(snap);

    sg_refs_feed_stop(feed);
    sg_refs_holder_free(h);
    sg_store_close(st);
    sg_metrics_free(m);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}
