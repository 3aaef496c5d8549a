/* Request path and query parsing of the embedded API, table-driven from paths.tsv. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../src/api/internal.h"
#include "../common/table.h"

static const char *type_name(sg_api__path_type_t t)
{
    static const char *const names[] = {"invalid", "version",       "core",       "core_v1", "groups",
                                        "group",   "group_version", "collection", "object"};
    return names[t];
}

Test(api_paths, table_of_paths_parses_as_expected)
{
    size_t n;
    th_row_t *rows = th_table_raw("paths.tsv", &n);
    int cases = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(rows[i].nfields, 2, "bad line %d", rows[i].lineno);
        const char *line = rows[i].field[0], *want = rows[i].field[1];
        sg_api__path_t p;
        sg_error_t err = SG_ERROR_INIT;
        int rc = sg_api__path_parse(&p, line, strlen(line), &err);
        char got[600];
        if (rc < 0)
            snprintf(got, sizeof(got), "ERR:%d", rc);
        else
            snprintf(got, sizeof(got), "%s|%s|%s|%s|%d", type_name(p.type), p.res != NULL ? p.res->plural : "", p.ns,
                     p.name, p.status);
        cr_expect_str_eq(got, want, "path %s", line);
        cases++;
    }
    th_table_free(rows, n);
    cr_assert_gt(cases, 20);
}

Test(api_paths, overlong_name_is_rejected)
{
    char path[600];
    char name[300];
    memset(name, 'a', 254);
    name[254] = '\0';
    snprintf(path, sizeof(path), "/apis/runs.bubustack.io/v1alpha1/namespaces/demo/storytriggers/%s", name);
    sg_api__path_t p;
    cr_expect_eq(sg_api__path_parse(&p, path, strlen(path), NULL), SG_EINVALID);
    name[253] = '\0';
    snprintf(path, sizeof(path), "/apis/runs.bubustack.io/v1alpha1/namespaces/demo/storytriggers/%s", name);
    cr_expect_eq(sg_api__path_parse(&p, path, strlen(path), NULL), SG_OK);
    cr_expect_eq(strlen(p.name), 253);
}

Test(api_query, watch_parameters_are_decoded)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_api__query_t q;
    const char *s =
        "watch=true&resourceVersion=42&labelSelector=app%3Dweb%2Ctier+in+(a)&fieldSelector=metadata.name%3Dx"
        "&timeoutSeconds=5&limit=500&includeObject=Object&allowWatchBookmarks=true";
    cr_assert_eq(sg_api__query_parse(&q, s, strlen(s), &a, NULL), SG_OK);
    cr_expect(q.watch);
    cr_expect(q.has_rv);
    cr_expect_eq(q.resource_version, 42);
    cr_expect_str_eq(q.label_selector, "app=web,tier in (a)");
    cr_expect_str_eq(q.field_selector, "metadata.name=x");
    cr_expect_eq(q.timeout_seconds, 5);
    cr_expect_eq(q.limit, 500);
    cr_expect_eq(q.include_object, 2);
    sg_arena_dispose(&a);
}

Test(api_query, bad_values_are_rejected)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_api__query_t q;
    static const char *const bad[] = {
        "resourceVersion=abc", "limit=-1",          "labelSelector=%zz", "x=%4", "dryRun=Some",
        "labelSelector=a%00b", "timeoutSeconds=1e3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(sg_api__query_parse(&q, bad[i], strlen(bad[i]), &a, NULL), SG_EINVALID, "%s", bad[i]);
    cr_expect_eq(sg_api__query_parse(&q, "dryRun=All&resourceVersion=", 27, &a, NULL), SG_OK);
    cr_expect(q.dry_run);
    cr_expect(!q.has_rv);
    sg_arena_dispose(&a);
}

Test(api_query, table_accept_header_is_recognised)
{
    const char *kubectl =
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
        "application/json";
    cr_expect(sg_api__accept_table(kubectl, strlen(kubectl)));
    cr_expect(!sg_api__accept_table("application/json", 16));
    cr_expect(!sg_api__accept_table("application/json;as=Table", 25));
    cr_expect(!sg_api__accept_table(NULL, 0));
}
