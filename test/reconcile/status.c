/* Status building (§4.4, §8.5, §8.6): field set, condition transitions, Pending, truncation by code points. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/reconcile/internal.h"

static sg_arena_t a;

static void setup(void)
{
    sg_arena_init(&a, 0);
}

static void teardown(void)
{
    sg_arena_dispose(&a);
}

TestSuite(reconcile_status, .init = setup, .fini = teardown);

static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static const sg_json_t *cond(const sg_json_t *st, size_t i)
{
    return sg_json_get(st, "conditions")->u.array.items[i];
}

Test(reconcile_status, truncates_by_code_points_with_an_ellipsis)
{
    cr_assert_str_eq(sg_reconcile__truncate(&a, "short", 5, 64), "short");
    char big[3 * 3000 + 1];
    for (int i = 0; i < 3000; i++)
        memcpy(big + 3 * i, "\xE2\x82\xAC", 3); /* U+20AC, 3 bytes */
    big[9000] = '\0';
    char *t = sg_reconcile__truncate(&a, big, 9000, 2048);
    cr_assert_eq(code_points(t), 2048);
    cr_assert(sg_utf8_valid(t, strlen(t)));
    cr_assert_str_eq(t + strlen(t) - 3, "\xE2\x80\xA6");
    /* exactly at the limit: untouched */
    t = sg_reconcile__truncate(&a, big, 3 * 2048, 2048);
    cr_assert_eq(strlen(t), 3 * 2048);
    /* invalid bytes become U+FFFD, never torn sequences */
    t = sg_reconcile__truncate(&a,
                               "a\xFF"
                               "b",
                               3, 64);
    cr_assert_str_eq(t, "a\xEF\xBF\xBD"
                        "b");
}

Test(reconcile_status, rejected_status_shape_and_long_messages)
{
    char msg[5000];
    memset(msg, 'x', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    sg_reconcile__decision_t d = {"Rejected", "ValidationFailed", msg, NULL, NULL, NULL};
    sg_json_t *st = sg_reconcile__status(&a, NULL, 3, &d, "2026-01-01T00:00:00Z");
    cr_assert_not_null(st);
    cr_assert(sg_json_string_eq(sg_json_get(st, "acceptedAt"), "2026-01-01T00:00:00Z"));
    cr_assert(sg_json_string_eq(sg_json_get(st, "completedAt"), "2026-01-01T00:00:00Z"));
    cr_assert_eq(sg_json_get(st, "observedGeneration")->u.number.value, 3);
    cr_assert(sg_json_string_eq(sg_json_get(st, "decision"), "Rejected"));
    cr_assert_eq(strlen(sg_json_string(sg_json_get(st, "message"), NULL)), 4999);
    cr_assert_null(sg_json_get(st, "storyRunRef"));
    static const char *types[] = {"Ready", "Progressing", "Degraded"};
    static const char *status[] = {"False", "False", "True"};
    for (int i = 0; i < 3; i++) {
        const sg_json_t *c = cond(st, (size_t)i);
        cr_assert(sg_json_string_eq(sg_json_get(c, "type"), types[i]));
        cr_assert(sg_json_string_eq(sg_json_get(c, "status"), status[i]));
        cr_assert_eq(code_points(sg_json_string(sg_json_get(c, "message"), NULL)), 2048);
        cr_assert_eq(sg_json_get(c, "observedGeneration")->u.number.value, 3);
        /* metav1.Condition field order */
        cr_assert_str_eq(c->u.object.members[0].key, "type");
        cr_assert_str_eq(c->u.object.members[3].key, "lastTransitionTime");
    }
}

Test(reconcile_status, pending_then_created_keeps_unchanged_transition_times)
{
    sg_reconcile__decision_t p = {"Pending", "Pending", "waiting", NULL, NULL, NULL};
    sg_json_t *st = sg_reconcile__status(&a, NULL, 1, &p, "2026-01-01T00:00:00Z");
    cr_assert(sg_json_string_eq(sg_json_get(st, "acceptedAt"), "2026-01-01T00:00:00Z"));
    cr_assert_null(sg_json_get(st, "completedAt"));
    cr_assert(sg_json_string_eq(sg_json_get(cond(st, 1), "status"), "True")); /* Progressing */

    sg_reconcile__decision_t c = {"Created", "StoryRunCreated", "created StoryRun \"ns/r\"", "r", "ns", "u-1"};
    sg_json_t *st2 = sg_reconcile__status(&a, st, 1, &c, "2026-01-01T00:00:07Z");
    cr_assert(sg_json_string_eq(sg_json_get(st2, "acceptedAt"), "2026-01-01T00:00:00Z"));
    cr_assert(sg_json_string_eq(sg_json_get(st2, "completedAt"), "2026-01-01T00:00:07Z"));
    cr_assert(sg_json_string_eq(sg_json_path(st2, "storyRunRef.name"), "r"));
    cr_assert(sg_json_string_eq(sg_json_path(st2, "storyRunRef.namespace"), "ns"));
    cr_assert(sg_json_string_eq(sg_json_path(st2, "storyRunRef.uid"), "u-1"));
    /* Ready False->True and Progressing True->False transition now; Degraded stays False and keeps its time */
    cr_assert(sg_json_string_eq(sg_json_get(cond(st2, 0), "lastTransitionTime"), "2026-01-01T00:00:07Z"));
    cr_assert(sg_json_string_eq(sg_json_get(cond(st2, 1), "lastTransitionTime"), "2026-01-01T00:00:07Z"));
    cr_assert(sg_json_string_eq(sg_json_get(cond(st2, 2), "lastTransitionTime"), "2026-01-01T00:00:00Z"));
    cr_assert(sg_json_string_eq(sg_json_get(cond(st2, 2), "reason"), "StoryRunCreated"));
    cr_assert_eq(sg_json_get(st2, "conditions")->u.array.len, 3);

    /* Re-decided as Rejected: storyRunRef is removed */
    sg_reconcile__decision_t r = {"Rejected", "StoryNotFound", "gone", NULL, NULL, NULL};
    sg_json_t *st3 = sg_reconcile__status(&a, st2, 2, &r, "2026-01-01T00:01:00Z");
    cr_assert_null(sg_json_get(st3, "storyRunRef"));
    cr_assert(sg_json_string_eq(sg_json_get(st3, "acceptedAt"), "2026-01-01T00:00:00Z"));
}

Test(reconcile_status, other_status_fields_and_conditions_are_kept)
{
    sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
    sg_json_t *old = NULL;
    const char *j = "{\"extra\":true,\"conditions\":[{\"type\":\"Custom\",\"status\":\"True\"}]}";
    cr_assert_eq(sg_json_parse(&old, &a, j, strlen(j), &o, NULL), SG_OK);
    sg_reconcile__decision_t d = {"Reused", "StoryRunReused", "m", "r", "", NULL};
    sg_json_t *st = sg_reconcile__status(&a, old, 1, &d, "2026-01-01T00:00:00Z");
    cr_assert_eq(sg_json_get(st, "extra")->type, SG_JSON_BOOL);
    cr_assert_eq(sg_json_get(st, "conditions")->u.array.len, 4);
    cr_assert(sg_json_string_eq(sg_json_get(cond(st, 0), "type"), "Custom"));
    cr_assert_null(sg_json_path(st, "storyRunRef.namespace"));
    cr_assert_null(sg_json_path(st, "storyRunRef.uid"));
}
