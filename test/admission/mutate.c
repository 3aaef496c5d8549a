/* /mutate, table-driven (mutate_cases.json): the exact JSON Patch for each case, then the patch applied to the object
 * must validate and a second /mutate must find nothing left to do. */
#include <criterion/criterion.h>
#include <string.h>

#include <storygate/identity.h>

#include "harness.h"

/* Replaces "@hash" in expected label values by the identity hash of `object`. */
static void resolve_hash(sg_arena_t *arena, sg_json_t *ops, const sg_json_t *object)
{
    sg_trigger_t t;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_admission_trigger_decode(&t, object, "", &err), SG_OK);
    char h[SG_IDENTITY_SHORT_HASH_LEN + 1];
    sg_identity_short_hash(h, t.story_ns, t.story_name, t.identity);
    for (size_t i = 0; i < ops->u.array.len; i++) {
        sg_json_t *value = sg_json_get(ops->u.array.items[i], "value");
        if (value == NULL || value->type != SG_JSON_OBJECT)
            continue;
        for (size_t j = 0; j < value->u.object.len; j++)
            if (sg_json_string_eq(value->u.object.members[j].value, "@hash"))
                value->u.object.members[j].value = sg_json_new_string(arena, h, strlen(h));
    }
}

static sg_admission_t *make(sg_arena_t *arena, const sg_json_t *c, sg_refs_holder_t **holder)
{
    sg_admission_opts_t opts;
    h_options(&opts, holder, arena, c);
    const sg_json_t *nl = sg_json_get(c, "noLabels");
    opts.no_labels = nl != NULL && nl->u.boolean;
    sg_admission_t *adm = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_admission_new(&adm, &opts, &err), SG_OK, "%s", err.message);
    return adm;
}

Test(admission_mutate, patches_are_exact_and_validate_after_applying)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_json_t *cases = h_load(&arena, "mutate_cases.json");
    cr_assert_geq(cases->u.array.len, 20);
    for (size_t i = 0; i < cases->u.array.len; i++) {
        const sg_json_t *c = cases->u.array.items[i];
        const char *name = sg_json_string(sg_json_get(c, "name"), NULL);
        const sg_json_t *expect = sg_json_get(c, "expect");
        sg_arena_t ra;
        sg_arena_init(&ra, 0);
        sg_json_t *review = h_load(&ra, "fixtures/create.json");
        h_modify(&ra, review, c);
        sg_refs_holder_t *holder;
        sg_admission_t *adm = make(&ra, c, &holder);
        h_result_t r;
        h_run_review(&r, adm, SG_ADMISSION_MUTATE, review, &ra);
        h_expect(&r, expect, name);
        sg_json_t *ops = sg_json_get(expect, "ops");
        if (ops != NULL) {
            resolve_hash(&ra, ops, sg_json_pointer(review, "/request/object"));
            cr_expect(r.patch != NULL && sg_json_equal(r.patch, ops), "%s: patch %s", name, r.raw);
            cr_expect(r.outcome.patched, "%s: outcome.patched", name);
        }
        const sg_json_t *reval = sg_json_get(expect, "revalidate");
        if (reval != NULL && reval->u.boolean && r.patch != NULL) {
            sg_json_t *object = sg_json_pointer(review, "/request/object");
            h_apply_patch(&ra, object, r.patch);
            h_result_t v;
            h_run_review(&v, adm, SG_ADMISSION_VALIDATE, review, &ra);
            cr_expect(v.allowed, "%s: patched object must validate: %s", name, v.raw);
            h_run_review(&v, adm, SG_ADMISSION_MUTATE, review, &ra);
            cr_expect(v.allowed && v.patch == NULL, "%s: second mutate must be a no-op: %s", name, v.raw);
        }
        sg_admission_free(adm);
        sg_refs_holder_free(holder);
        sg_arena_dispose(&ra);
    }
    sg_arena_dispose(&arena);
}

Test(admission_mutate, label_patch_creates_labels_map_when_absent)
{
    sg_arena_t ra;
    sg_arena_init(&ra, 0);
    sg_json_t *review = h_load(&ra, "fixtures/create.json");
    sg_admission_t *adm = NULL;
    cr_assert_eq(sg_admission_new(&adm, NULL, NULL), SG_OK);
    h_result_t r;
    h_run_review(&r, adm, SG_ADMISSION_MUTATE, review, &ra);
    cr_assert_not_null(r.patch);
    sg_json_t *object = sg_json_pointer(review, "/request/object");
    cr_assert_null(sg_json_path(object, "metadata.labels"));
    h_apply_patch(&ra, object, r.patch);
    cr_expect(sg_json_string_eq(sg_json_get(sg_json_path(object, "metadata.labels"), SG_ADMISSION_LABEL_STORY),
                                "triggered-story"));
    cr_expect(sg_json_string_eq(sg_json_get(sg_json_path(object, "metadata.labels"), SG_ADMISSION_LABEL_IDENTITY_HASH),
                                "0d8ced9fd86c781d"));
    sg_admission_free(adm);
    sg_arena_dispose(&ra);
}
