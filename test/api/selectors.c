/* Label and field selectors of the embedded API, table-driven from selectors.tsv against selectors_object.json. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/api/internal.h"
#include "../common/table.h"

Test(api_selectors, table_of_selectors_matches_as_expected)
{
    size_t len;
    char *json = th_read_file(SG_TEST_DATA "/selectors_object.json", &len);
    cr_assert_not_null(json);
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *obj = NULL;
    cr_assert_eq(sg_json_parse(&obj, &a, json, len, NULL, NULL), SG_OK);
    size_t n;
    th_row_t *rows = th_table_raw("selectors.tsv", &n);
    int cases = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(rows[i].nfields, 3, "bad line %d", rows[i].lineno);
        const char *labels = rows[i].field[0], *fields = rows[i].field[1], *want = rows[i].field[2];
        sg_store_selector_t *sel = NULL;
        sg_error_t err = SG_ERROR_INIT;
        int rc = sg_store_selector_parse(&sel, SG_KIND_STORYTRIGGER, labels, fields, &err);
        const char *got = rc < 0 ? "E" : sg_store_selector_match(sel, obj) ? "1" : "0";
        cr_expect_str_eq(got, want, "labels '%s' fields '%s' (%s)", labels, fields, err.message);
        if (rc < 0)
            cr_expect_neq(err.message[0], '\0', "a parse error says why");
        sg_store_selector_free(sel);
        cases++;
    }
    th_table_free(rows, n);
    cr_assert_gt(cases, 25);
    sg_arena_dispose(&a);
    free(json);
}

Test(api_selectors, storyrun_field_selectors_follow_selectable_fields)
{
    sg_store_selector_t *sel = NULL;
    cr_expect_eq(sg_store_selector_parse(&sel, SG_KIND_STORYRUN, NULL, "status.phase=Running", NULL), SG_OK);
    sg_store_selector_free(sel);
    cr_expect_eq(sg_store_selector_parse(&sel, SG_KIND_STORY, NULL, "status.phase=Running", NULL), SG_EINVALID);
    cr_expect_null(sel);
}

Test(api_selectors, too_many_requirements_are_refused)
{
    char buf[4096] = "";
    for (int i = 0; i < 100; i++)
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%sk%d=v", i ? "," : "", i);
    sg_store_selector_t *sel = NULL;
    cr_expect_eq(sg_store_selector_parse(&sel, SG_KIND_STORY, buf, NULL, NULL), SG_EINVALID);
    cr_expect_null(sel);
}
