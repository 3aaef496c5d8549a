/* The refs snapshot: building, lookups, cheap clones, the publishing holder, policy parsing and §3.5 decisions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <storygate/refs.h>

#include "harness.h"

#define S(s) sg_span_cstr(s)

Test(admission_refs, stories_are_found_replaced_and_removed)
{
    sg_refs_snapshot_t *s = sg_refs_snapshot_new();
    cr_assert_eq(sg_refs_snapshot_put_story(s, S("b"), S("x"), "v1", 2), SG_OK);
    cr_assert_eq(sg_refs_snapshot_put_story(s, S("a"), S("x"), NULL, 0), SG_OK);
    cr_assert_eq(sg_refs_snapshot_put_story(s, S("a"), S("y"), "v2", 2), SG_OK);
    sg_span_t v;
    cr_expect(sg_refs_story_lookup(s, S("b"), S("x"), &v));
    cr_expect(sg_span_eq_cstr(v, "v1"));
    cr_expect(sg_refs_story_lookup(s, S("a"), S("x"), &v));
    cr_expect_eq(v.len, 0);
    cr_expect(!sg_refs_story_lookup(s, S("a"), S("z"), &v));
    cr_expect(!sg_refs_story_lookup(s, S("c"), S("x"), NULL));
    cr_assert_eq(sg_refs_snapshot_put_story(s, S("b"), S("x"), "v9", 2), SG_OK);
    cr_expect(sg_refs_story_lookup(s, S("b"), S("x"), &v) && sg_span_eq_cstr(v, "v9"));
    cr_expect_eq(sg_refs_snapshot_count_stories(s), 3);
    cr_expect_eq(sg_refs_snapshot_remove_story(s, S("a"), S("x")), 1);
    cr_expect_eq(sg_refs_snapshot_remove_story(s, S("a"), S("x")), 0);
    cr_expect_eq(sg_refs_snapshot_count_stories(s), 2);
    sg_refs_snapshot_release(s);
}

Test(admission_refs, many_stories_stay_sorted)
{
    sg_refs_snapshot_t *s = sg_refs_snapshot_new();
    char ns[32], name[32];
    for (int i = 999; i >= 0; i--) {
        snprintf(ns, sizeof(ns), "ns-%d", i % 7);
        snprintf(name, sizeof(name), "story-%d", i);
        cr_assert_eq(sg_refs_snapshot_put_story(s, S(ns), S(name), name, strlen(name)), SG_OK);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(ns, sizeof(ns), "ns-%d", i % 7);
        snprintf(name, sizeof(name), "story-%d", i);
        sg_span_t v;
        cr_assert(sg_refs_story_lookup(s, S(ns), S(name), &v), "%s/%s", ns, name);
        cr_assert(sg_span_eq_cstr(v, name));
    }
    sg_refs_snapshot_release(s);
}

Test(admission_refs, clone_shares_entries_and_diverges)
{
    sg_refs_snapshot_t *a = sg_refs_snapshot_new();
    sg_refs_snapshot_put_story(a, S("n"), S("s1"), "1", 1);
    sg_refs_snapshot_set_synced(a, 1);
    sg_refs_snapshot_t *b = sg_refs_snapshot_clone(a);
    cr_assert_not_null(b);
    cr_expect(sg_refs_snapshot_synced(b));
    sg_refs_snapshot_put_story(b, S("n"), S("s2"), "2", 1);
    sg_refs_snapshot_remove_story(b, S("n"), S("s1"));
    cr_expect(sg_refs_story_lookup(a, S("n"), S("s1"), NULL));
    cr_expect(!sg_refs_story_lookup(a, S("n"), S("s2"), NULL));
    cr_expect(!sg_refs_story_lookup(b, S("n"), S("s1"), NULL));
    sg_refs_snapshot_release(a);
    cr_expect(sg_refs_story_lookup(b, S("n"), S("s2"), NULL));
    sg_refs_snapshot_release(b);
    sg_refs_snapshot_release(NULL);
}

Test(admission_refs, holder_publishes_and_readers_keep_their_snapshot)
{
    sg_refs_holder_t *h = sg_refs_holder_new();
    cr_expect_null(sg_refs_holder_acquire(h));
    sg_refs_snapshot_t *one = sg_refs_snapshot_new();
    sg_refs_snapshot_put_story(one, S("n"), S("s"), "1", 1);
    sg_refs_holder_publish(h, one);
    sg_refs_snapshot_t *r = sg_refs_holder_acquire(h);
    cr_assert_eq(r, one);
    sg_refs_holder_publish(h, sg_refs_snapshot_new());
    cr_expect(sg_refs_story_lookup(r, S("n"), S("s"), NULL), "a reader's snapshot outlives its replacement");
    sg_refs_snapshot_release(r);
    r = sg_refs_holder_acquire(h);
    cr_expect(!sg_refs_story_lookup(r, S("n"), S("s"), NULL));
    sg_refs_snapshot_release(r);
    sg_refs_holder_free(h);
    sg_refs_holder_free(NULL);
}

Test(admission_refs, policy_values)
{
    sg_refs_policy_t p;
    cr_expect_eq(sg_refs_policy_parse(&p, S(" grant "), NULL), SG_OK);
    cr_expect_eq(p, SG_REFS_POLICY_GRANT);
    cr_expect_eq(sg_refs_policy_parse(&p, S("allow"), NULL), SG_OK);
    cr_expect_eq(p, SG_REFS_POLICY_ALLOW);
    cr_expect_eq(sg_refs_policy_parse(&p, S(""), NULL), SG_OK);
    cr_expect_eq(p, SG_REFS_POLICY_DENY);
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(sg_refs_policy_parse(&p, S("Allow"), &err), SG_EINVALID);
    cr_expect_eq(p, SG_REFS_POLICY_DENY, "unknown values behave as deny");
    cr_expect_str_eq(sg_refs_policy_name(SG_REFS_POLICY_GRANT), "grant");
}

static sg_refs_snapshot_t *with_grant(sg_arena_t *arena, const char *json)
{
    sg_refs_snapshot_t *s = sg_refs_snapshot_new();
    sg_json_t *g = NULL;
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    cr_assert_eq(sg_json_parse(&g, arena, json, strlen(json), &opts, NULL), SG_OK);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_refs_snapshot_put_grant_json(s, g, &err), SG_OK, "%s", err.message);
    sg_refs_snapshot_set_synced(s, 1);
    return s;
}

Test(admission_refs, reference_decisions)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_refs_snapshot_t *s = with_grant(
        &arena,
        "{\"metadata\":{\"namespace\":\"to\",\"name\":\"g\"},\"spec\":{\"from\":[{\"group\":\"runs.bubustack.io\","
        "\"kind\":\"StoryTrigger\",\"namespace\":\"from\"}],\"to\":[{\"group\":\"bubustack.io\",\"kind\":\"Story\","
        "\"name\":\" s \"}]}}");
    cr_expect_eq(sg_refs_check_reference(s, SG_REFS_POLICY_DENY, S("a"), S(" a "), S("s")), SG_REFS_SAME_NAMESPACE);
    cr_expect_eq(sg_refs_check_reference(s, SG_REFS_POLICY_DENY, S(""), S("b"), S("s")), SG_REFS_SAME_NAMESPACE);
    cr_expect_eq(sg_refs_check_reference(s, SG_REFS_POLICY_DENY, S("a"), S(" "), S("s")), SG_REFS_SAME_NAMESPACE);
    cr_expect_eq(sg_refs_check_reference(s, SG_REFS_POLICY_DENY, S("from"), S("to"), S("s")), SG_REFS_DENIED_POLICY);
    cr_expect_eq(sg_refs_check_reference(s, SG_REFS_POLICY_ALLOW, S("from"), S("to"), S("s")), SG_REFS_ALLOWED);
    cr_expect_eq(sg_refs_check_reference(s, SG_REFS_POLICY_GRANT, S(" from"), S("to "), S(" s")), SG_REFS_ALLOWED);
    cr_expect_eq(sg_refs_check_reference(s, SG_REFS_POLICY_GRANT, S("from"), S("to"), S("t")), SG_REFS_DENIED_NO_GRANT);
    cr_expect_eq(sg_refs_check_reference(s, SG_REFS_POLICY_GRANT, S("else"), S("to"), S("s")), SG_REFS_DENIED_NO_GRANT);
    cr_expect_eq(sg_refs_check_reference(NULL, SG_REFS_POLICY_GRANT, S("from"), S("to"), S("s")), SG_REFS_UNAVAILABLE);
    sg_refs_snapshot_set_synced(s, 0);
    cr_expect_eq(sg_refs_check_reference(s, SG_REFS_POLICY_GRANT, S("from"), S("to"), S("s")), SG_REFS_UNAVAILABLE);
    const sg_refs_grant_t *const *grants;
    cr_expect_eq(sg_refs_grants_in(s, S("to"), &grants), 1);
    cr_expect_str_eq(grants[0]->name, "g");
    cr_expect_str_eq(grants[0]->to[0].name, "s", "fields are trimmed once");
    cr_expect_eq(sg_refs_grants_in(s, S("t"), &grants), 0);
    cr_expect_eq(sg_refs_snapshot_remove_grant(s, S("to"), S("g")), 1);
    cr_expect_eq(sg_refs_snapshot_count_grants(s), 0);
    sg_refs_snapshot_release(s);
    sg_arena_dispose(&arena);
}

Test(admission_refs, grant_needs_both_lists_and_a_namespace)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_refs_snapshot_t *s =
        with_grant(&arena, "{\"metadata\":{\"namespace\":\"to\",\"name\":\"g\"},\"spec\":{\"from\":["
                           "{\"group\":\"runs.bubustack.io\",\"kind\":\"StoryTrigger\","
                           "\"namespace\":\"from\"}],\"to\":null}}");
    cr_expect_eq(sg_refs_check_reference(s, SG_REFS_POLICY_GRANT, S("from"), S("to"), S("s")), SG_REFS_DENIED_NO_GRANT);
    sg_json_t *bad = NULL;
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    cr_assert_eq(sg_json_parse(&bad, &arena, "{\"spec\":{}}", 11, &opts, NULL), SG_OK);
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(sg_refs_snapshot_put_grant_json(s, bad, &err), SG_EINVALID);
    cr_expect_eq(sg_refs_snapshot_put_story_json(s, bad, &err), SG_EINVALID);
    sg_refs_snapshot_release(s);
    sg_arena_dispose(&arena);
}

Test(admission_refs, story_from_json_keeps_version_as_stored)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    const char *text =
        "{\"metadata\":{\"namespace\":\"n\",\"name\":\"s\"},\"spec\":{\"version\":\" 2 \",\"steps\":[]}}";
    sg_json_t *story = NULL;
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    cr_assert_eq(sg_json_parse(&story, &arena, text, strlen(text), &opts, NULL), SG_OK);
    sg_refs_snapshot_t *s = sg_refs_snapshot_new();
    cr_assert_eq(sg_refs_snapshot_put_story_json(s, story, NULL), SG_OK);
    sg_span_t v;
    cr_expect(sg_refs_story_lookup(s, S("n"), S("s"), &v));
    cr_expect(sg_span_eq_cstr(v, " 2 "));
    sg_refs_snapshot_release(s);
    sg_arena_dispose(&arena);
}
