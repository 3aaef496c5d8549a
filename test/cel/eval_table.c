/* Table-driven evaluations (cases.tsv) with `object` bound to object.json without copying it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/cel.h>
#include <storygate/json.h>

#include "../common/table.h"

Test(cel_eval, table_of_cases_matches_expected_renderings)
{
    size_t doc_len, n;
    char *doc = th_read_file(SG_TEST_DATA "/object.json", &doc_len);
    cr_assert_not_null(doc, "cannot open object.json");
    th_row_t *rows = th_table_raw("cases.tsv", &n);
    sg_arena_t doc_arena, scratch;
    sg_arena_init(&doc_arena, 0);
    sg_arena_init(&scratch, 0);
    sg_json_t *root = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&root, &doc_arena, doc, doc_len, NULL, &err), SG_OK, "%s", err.message);
    sg_cel_var_t var = {"object", sg_cel_value_from_json(root)};
    int count = 0, failures = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(rows[i].nfields, 2, "malformed case line %d", rows[i].lineno);
        const char *expr = rows[i].field[0], *want = rows[i].field[1];
        count++;
        sg_cel_program_t *p = NULL;
        sg_buf_t got = SG_BUF_INIT;
        if (sg_cel_compile(&p, expr, strlen(expr), NULL, &err) < 0) {
            sg_buf_printf(&got, "error: %s", err.message);
        } else {
            sg_cel_value_t v;
            sg_arena_reset(&scratch);
            if (sg_cel_eval(&v, p, &var, 1, &scratch, &err) < 0)
                sg_buf_printf(&got, "error: %s", err.message);
            else
                sg_cel_value_format(&got, &v);
        }
        int ok;
        if (strncmp(want, "error: ", 7) == 0)
            ok = strncmp(got.base, "error: ", 7) == 0 && strstr(got.base, want + 7) != NULL;
        else
            ok = strcmp(got.base, want) == 0;
        if (!ok) {
            failures++;
            cr_log_error("%s\n  want: %s\n  got:  %s", expr, want, got.base);
        }
        sg_buf_dispose(&got);
        sg_cel_program_free(p);
    }
    cr_assert_gt(count, 100);
    cr_assert_eq(failures, 0, "%d of %d cases failed", failures, count);
    sg_arena_dispose(&scratch);
    sg_arena_dispose(&doc_arena);
    free(doc);
    th_table_free(rows, n);
}
