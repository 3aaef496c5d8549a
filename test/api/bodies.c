/* Status errors, discovery documents and Tables of the embedded API: the JSON shapes kubectl and client-go read. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/api/internal.h"

static sg_json_t *parse(sg_arena_t *a, const sg_buf_t *b)
{
    sg_json_t *v = NULL;
    cr_assert_eq(sg_json_parse(&v, a, b->base, b->len, NULL, NULL), SG_OK, "invalid JSON: %s", b->base);
    return v;
}

Test(api_status, not_found_has_the_apiserver_message_and_details)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_buf_t b = SG_BUF_INIT;
    const sg_api__resource_t *res = sg_api__resource_of(SG_KIND_STORYTRIGGER);
    int code = sg_api__status_for_error(&b, SG_ENOTFOUND, NULL, res, "t-1");
    cr_expect_eq(code, 404);
    sg_json_t *v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "kind"), "Status"));
    cr_expect(sg_json_string_eq(sg_json_get(v, "status"), "Failure"));
    cr_expect(sg_json_string_eq(sg_json_get(v, "reason"), "NotFound"));
    cr_expect(sg_json_string_eq(sg_json_get(v, "message"), "storytriggers.runs.bubustack.io \"t-1\" not found"));
    cr_expect(sg_json_string_eq(sg_json_path(v, "details.name"), "t-1"));
    cr_expect(sg_json_string_eq(sg_json_path(v, "details.group"), "runs.bubustack.io"));
    cr_expect(sg_json_string_eq(sg_json_path(v, "details.kind"), "storytriggers"));
    cr_expect_eq(sg_json_get(v, "code")->u.number.value, 404);
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
}

Test(api_status, conflicts_distinguish_already_exists_from_preconditions)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_buf_t b = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    const sg_api__resource_t *res = sg_api__resource_of(SG_KIND_STORY);
    sg_error_set(&err, SG_ECONFLICT, "stories.bubustack.io \"s\" already exists");
    cr_expect_eq(sg_api__status_for_error(&b, SG_ECONFLICT, &err, res, "s"), 409);
    sg_json_t *v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "reason"), "AlreadyExists"));
    cr_expect(sg_json_string_eq(sg_json_get(v, "message"), "stories.bubustack.io \"s\" already exists"));
    sg_buf_reset(&b);
    sg_error_set(&err, SG_ECONFLICT, "resourceVersion mismatch");
    cr_expect_eq(sg_api__status_for_error(&b, SG_ECONFLICT, &err, res, "s"), 409);
    v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "reason"), "Conflict"));
    sg_buf_reset(&b);
    cr_expect_eq(sg_api__status_for_error(&b, SG_EINVALID, NULL, res, "s"), 422);
    cr_expect_eq(sg_api__status_for_error(&b, SG_EUNAVAILABLE, NULL, res, "s"), 503);
    cr_expect_str_eq(sg_api__status_reason(429), "TooManyRequests");
    cr_expect_str_eq(sg_api__status_reason(413), "RequestEntityTooLarge");
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
}

Test(api_discovery, resource_list_has_short_names_categories_and_verbs)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_api__discovery_resources(&b, "runs.bubustack.io"), SG_OK);
    sg_json_t *v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "groupVersion"), "runs.bubustack.io/v1alpha1"));
    sg_json_t *rs = sg_json_get(v, "resources");
    cr_assert_eq(rs->u.array.len, 4); /* storytriggers, storytriggers/status, storyruns, storyruns/status */
    sg_json_t *trig = rs->u.array.items[0];
    cr_expect(sg_json_string_eq(sg_json_get(trig, "name"), "storytriggers"));
    cr_expect(sg_json_string_eq(sg_json_get(trig, "kind"), "StoryTrigger"));
    cr_expect(sg_json_string_eq(sg_json_pointer(trig, "/shortNames/0"), "trig"));
    cr_expect_eq(sg_json_get(trig, "categories")->u.array.len, 3);
    cr_expect_eq(sg_json_get(trig, "verbs")->u.array.len, 5);
    cr_expect(sg_json_string_eq(sg_json_get(rs->u.array.items[1], "name"), "storytriggers/status"));
    sg_json_t *run = rs->u.array.items[2];
    cr_expect(sg_json_string_eq(sg_json_pointer(run, "/shortNames/0"), "srun"));
    cr_expect_eq(sg_json_get(run, "verbs")->u.array.len, 3, "StoryRuns are read-only over the API");
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
}

Test(api_discovery, core_v1_lists_cluster_scoped_namespaces)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_api__discovery_core_v1(&b), SG_OK);
    sg_json_t *v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "groupVersion"), "v1"));
    sg_json_t *rs = sg_json_get(v, "resources");
    cr_assert_eq(rs->u.array.len, 1);
    sg_json_t *ns = rs->u.array.items[0];
    cr_expect(sg_json_string_eq(sg_json_get(ns, "name"), "namespaces"));
    cr_expect(sg_json_string_eq(sg_json_get(ns, "kind"), "Namespace"));
    cr_expect(sg_json_get(ns, "namespaced")->type == SG_JSON_BOOL && !sg_json_get(ns, "namespaced")->u.boolean);
    cr_expect(sg_json_string_eq(sg_json_pointer(ns, "/shortNames/0"), "ns"));
    cr_expect_eq(sg_json_get(ns, "verbs")->u.array.len, 5);
    cr_expect_null(sg_json_get(ns, "categories"), "no categories: `kubectl get all` leaves Namespaces out");
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
}

Test(api_status, core_group_resources_have_no_group_suffix)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_buf_t b = SG_BUF_INIT;
    const sg_api__resource_t *res = sg_api__resource_of(SG_KIND_NAMESPACE);
    cr_expect_eq(sg_api__status_for_error(&b, SG_ENOTFOUND, NULL, res, "prod"), 404);
    sg_json_t *v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "message"), "namespaces \"prod\" not found"));
    sg_buf_reset(&b);
    cr_expect_eq(sg_api__list_begin(&b, res, 7), SG_OK);
    sg_api__list_end(&b);
    v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "apiVersion"), "v1"));
    cr_expect(sg_json_string_eq(sg_json_get(v, "kind"), "NamespaceList"));
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
}

Test(api_discovery, group_list_names_the_three_groups)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_api__discovery_groups(&b), SG_OK);
    sg_json_t *v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "kind"), "APIGroupList"));
    cr_assert_eq(sg_json_get(v, "groups")->u.array.len, 3);
    cr_expect(
        sg_json_string_eq(sg_json_pointer(v, "/groups/2/preferredVersion/groupVersion"), "runs.bubustack.io/v1alpha1"));
    sg_buf_reset(&b);
    cr_assert_eq(sg_api__discovery_group(&b, "policy.bubustack.io"), SG_OK);
    v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "kind"), "APIGroup"));
    cr_expect(sg_json_string_eq(sg_json_get(v, "name"), "policy.bubustack.io"));
    sg_buf_reset(&b);
    cr_assert_eq(sg_api__openapi_group(&b, "runs.bubustack.io"), SG_OK);
    v = parse(&a, &b);
    cr_expect(sg_json_string_eq(
        sg_json_pointer(v, "/paths/~1apis~1runs.bubustack.io~1v1alpha1~1namespaces~1{namespace}~1storytriggers~1{name}"
                           "/patch/parameters/0/name"),
        "fieldValidation"));
    sg_buf_reset(&b);
    cr_assert_eq(sg_api__discovery_version(&b), SG_OK);
    v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "major"), "1"));
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
}

Test(api_table, trigger_rows_follow_the_printer_columns)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    const char *t =
        "{\"metadata\":{\"name\":\"t-1\",\"namespace\":\"demo\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
        "\"spec\":{\"storyRef\":{\"name\":\"s\"}},\"status\":{\"decision\":\"Created\","
        "\"storyRunRef\":{\"name\":\"run-1\"}}}";
    const char *u = "{\"metadata\":{\"name\":\"t-2\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
                    "\"spec\":{\"storyRef\":{\"name\":\"s\"}}}";
    sg_json_t *objs[2];
    cr_assert_eq(sg_json_parse(&objs[0], &a, t, strlen(t), NULL, NULL), SG_OK);
    cr_assert_eq(sg_json_parse(&objs[1], &a, u, strlen(u), NULL, NULL), SG_OK);
    sg_buf_t b = SG_BUF_INIT;
    int64_t now = sg_api__parse_time("2026-01-01T00:05:30Z", 20);
    cr_assert_eq(sg_api__table_write(&b, sg_api__resource_of(SG_KIND_STORYTRIGGER), (const sg_json_t *const *)objs, 2,
                                     7, 1, 1, now),
                 SG_OK);
    sg_json_t *v = parse(&a, &b);
    cr_expect(sg_json_string_eq(sg_json_get(v, "kind"), "Table"));
    cr_expect(sg_json_string_eq(sg_json_path(v, "metadata.resourceVersion"), "7"));
    sg_json_t *cols = sg_json_get(v, "columnDefinitions");
    cr_assert_eq(cols->u.array.len, 5);
    static const char *const names[] = {"Name", "Story", "Decision", "StoryRun", "Age"};
    for (size_t i = 0; i < 5; i++)
        cr_expect(sg_json_string_eq(sg_json_get(cols->u.array.items[i], "name"), names[i]));
    sg_json_t *cells = sg_json_pointer(v, "/rows/0/cells");
    cr_expect(sg_json_string_eq(cells->u.array.items[0], "t-1"));
    cr_expect(sg_json_string_eq(cells->u.array.items[1], "s"));
    cr_expect(sg_json_string_eq(cells->u.array.items[2], "Created"));
    cr_expect(sg_json_string_eq(cells->u.array.items[3], "run-1"));
    cr_expect(sg_json_string_eq(cells->u.array.items[4], "5m30s"));
    cr_expect_eq(sg_json_pointer(v, "/rows/1/cells/2")->type, SG_JSON_NULL, "a missing decision is a null cell");
    cr_expect(sg_json_string_eq(sg_json_pointer(v, "/rows/0/object/kind"), "PartialObjectMetadata"));
    cr_expect(sg_json_string_eq(sg_json_pointer(v, "/rows/0/object/metadata/namespace"), "demo"));
    sg_buf_dispose(&b);
    sg_arena_dispose(&a);
}

Test(api_table, human_durations_match_kubernetes)
{
    static const struct {
        int64_t s;
        const char *want;
    } cases[] = {{-5, "<invalid>"},
                 {-1, "0s"},
                 {0, "0s"},
                 {119, "119s"},
                 {120, "2m"},
                 {150, "2m30s"},
                 {600, "10m"},
                 {3 * 3600, "3h"},
                 {3 * 3600 + 60, "3h1m"},
                 {10 * 3600, "10h"},
                 {50 * 3600, "2d2h"},
                 {48 * 3600, "2d"},
                 {30 * 86400, "30d"},
                 {3 * 365 * 86400 + 86400, "3y1d"},
                 {10 * 365 * 86400, "10y"}};
    char buf[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sg_api__human_duration(buf, sizeof(buf), cases[i].s);
        cr_expect_str_eq(buf, cases[i].want, "%lld seconds", (long long)cases[i].s);
    }
    cr_expect_eq(sg_api__parse_time("2026-11-23T11:00:00Z", 20), 1795431600);
    cr_expect_eq(sg_api__parse_time("2026-11-23T11:00:00.123Z", 24), 1795431600);
    cr_expect_eq(sg_api__parse_time("2026-11-23 11:00:00", 19), -1);
    cr_expect_eq(sg_api__parse_time("garbage-garbage-garbage", 23), -1);
}

Test(api_auth, tokens_file_scopes_and_checks)
{
    char path[] = "/tmp/sg-api-tokens-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *content = "# tokens\nsecret-admin\n  reader-token,read-only  # a comment\n\n";
    cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    char **toks;
    int *ro;
    size_t n;
    cr_assert_eq(sg_api__tokens_load(&toks, &ro, &n, path, NULL), SG_OK);
    unlink(path);
    cr_assert_eq(n, 2);
    const char *h1 = "Bearer secret-admin", *h2 = "Bearer reader-token", *h3 = "Bearer secret-admin2";
    cr_expect_eq(sg_api__tokens_check(toks, ro, n, h1, strlen(h1), 1), 0);
    cr_expect_eq(sg_api__tokens_check(toks, ro, n, h2, strlen(h2), 0), 0);
    cr_expect_eq(sg_api__tokens_check(toks, ro, n, h2, strlen(h2), 1), 403);
    cr_expect_eq(sg_api__tokens_check(toks, ro, n, h3, strlen(h3), 0), 401);
    cr_expect_eq(sg_api__tokens_check(toks, ro, n, NULL, 0, 0), 401);
    cr_expect_eq(sg_api__tokens_check(toks, ro, n, "Basic abc", 9, 0), 401);
    for (size_t i = 0; i < n; i++)
        free(toks[i]);
    free(toks);
    free(ro);
}
