/* /validate, table-driven: every §3.3/§3.5 message, UPDATE immutability (§8.7), operations and malformed objects.
 * Each case is the fixture create.json plus modifications (validate_cases.json, update_cases.json,
 * operation_cases.json). */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static void run_file(const char *file, size_t min_cases)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_json_t *cases = h_load(&arena, file);
    cr_assert_eq(cases->type, SG_JSON_ARRAY);
    cr_assert_geq(cases->u.array.len, min_cases);
    for (size_t i = 0; i < cases->u.array.len; i++) {
        const sg_json_t *c = cases->u.array.items[i];
        const char *name = sg_json_string(sg_json_get(c, "name"), NULL);
        sg_arena_t ra;
        sg_arena_init(&ra, 0);
        sg_json_t *review = h_load(&ra, "fixtures/create.json");
        h_modify(&ra, review, c);
        sg_admission_opts_t opts;
        sg_refs_holder_t *holder;
        h_options(&opts, &holder, &ra, c);
        sg_admission_t *adm = NULL;
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(sg_admission_new(&adm, &opts, &err), SG_OK, "%s", err.message);
        h_result_t r;
        size_t len;
        char *body = h_encode(&ra, review, c, &len);
        h_run(&r, adm, SG_ADMISSION_VALIDATE, "application/json", body, len, &ra);
        h_expect(&r, sg_json_get(c, "expect"), name);
        cr_expect_null(r.patch, "%s: /validate never patches", name);
        sg_admission_free(adm);
        sg_refs_holder_free(holder);
        sg_arena_dispose(&ra);
    }
    sg_arena_dispose(&arena);
}

Test(admission_validate, every_create_rule_has_its_exact_message)
{
    run_file("validate_cases.json", 50);
}

Test(admission_validate, update_enforces_only_spec_immutability)
{
    run_file("update_cases.json", 15);
}

Test(admission_validate, operations_kinds_and_malformed_objects)
{
    run_file("operation_cases.json", 20);
}
