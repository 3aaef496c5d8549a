/* Label and field selectors of the embedded API, table-driven from selectors.tsv against selectors_object.json. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/api/internal.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static char buf[65536];
    *len = fread(buf, 1, sizeof(buf) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

Test(api_selectors, table_of_selectors_matches_as_expected)
{
    size_t len;
    char *json = slurp(SG_TEST_DATA "/selectors_object.json", &len);
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *obj = NULL;
    cr_assert_eq(sg_json_parse(&obj, &a, json, len, NULL, NULL), SG_OK);
    FILE *f = fopen(SG_TEST_DATA "/selectors.tsv", "r");
    cr_assert_not_null(f);
    char line[1024];
    int cases = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *t1 = strchr(line, '\t');
        cr_assert_not_null(t1, "bad line %s", line);
        *t1 = '\0';
        char *t2 = strchr(t1 + 1, '\t');
        cr_assert_not_null(t2, "bad line %s", line);
        *t2 = '\0';
        const char *labels = line, *fields = t1 + 1, *want = t2 + 1;
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
    fclose(f);
    cr_assert_gt(cases, 25);
    sg_arena_dispose(&a);
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
