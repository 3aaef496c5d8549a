/* The seams for later modules: extra validators (deny, warnings, audit annotations), the accept hook (reconciler
 * hint) that dry runs and denials never reach. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

typedef struct st_probe_t {
    int calls;
    int accepted;
    char last_uid[64];
    int deny;
    int fail;
} probe_t;

static int probe_validator(void *ctx, const sg_admission_request_t *req, sg_admission_verdict_t *v)
{
    probe_t *p = ctx;
    p->calls++;
    cr_assert_not_null(req->trigger);
    cr_assert(sg_span_eq_cstr(req->username, "system:serviceaccount:default:sdk"));
    if (p->fail)
        return SG_EINVALID;
    sg_admission_warn(v, "inputs of %s are not checked against the Story schema", req->trigger->story_name.ptr);
    sg_admission_annotate(v, "policy", "probe");
    if (p->deny)
        sg_admission_deny(v, 403, NULL, "denied by policy %s", "probe");
    return SG_OK;
}

static int second_validator(void *ctx, const sg_admission_request_t *req, sg_admission_verdict_t *v)
{
    (void)req;
    (void)v;
    ((probe_t *)ctx)->calls++;
    return SG_OK;
}

static void on_accept(void *ctx, const sg_admission_request_t *req)
{
    probe_t *p = ctx;
    p->accepted++;
    snprintf(p->last_uid, sizeof(p->last_uid), "%.*s", (int)req->uid.len, req->uid.ptr);
}

static sg_admission_t *make(probe_t *p, probe_t *second)
{
    static sg_admission_validator_t vals[2];
    vals[0] = (sg_admission_validator_t){"probe_policy", probe_validator, p};
    vals[1] = (sg_admission_validator_t){"second", second_validator, second};
    sg_admission_opts_t opts = SG_ADMISSION_OPTS_INIT;
    opts.validators = vals;
    opts.nvalidators = 2;
    opts.on_accept = on_accept;
    opts.on_accept_ctx = p;
    sg_admission_t *adm = NULL;
    cr_assert_eq(sg_admission_new(&adm, &opts, NULL), SG_OK);
    memset(vals, 0, sizeof(vals)); /* the handler keeps its own copy */
    return adm;
}

static void run(h_result_t *r, sg_admission_t *adm, sg_arena_t *arena, const char *set_ptr, sg_json_t *value)
{
    sg_json_t *review = h_load(arena, "fixtures/create.json");
    if (set_ptr != NULL)
        h_set(arena, review, set_ptr, value);
    h_run_review(r, adm, SG_ADMISSION_VALIDATE, review, arena);
}

Test(admission_hooks, validators_add_warnings_and_annotations_and_accept_fires)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    probe_t p = {0}, second = {0};
    sg_admission_t *adm = make(&p, &second);
    h_result_t r;
    run(&r, adm, &arena, NULL, NULL);
    cr_expect(r.allowed, "%s", r.raw);
    cr_expect_eq(p.calls, 1);
    cr_expect_eq(second.calls, 1);
    cr_expect_eq(p.accepted, 1);
    cr_expect_str_eq(p.last_uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    sg_json_t *w = sg_json_get(r.response, "warnings");
    cr_assert(w != NULL && w->type == SG_JSON_ARRAY && w->u.array.len == 1, "%s", r.raw);
    cr_expect(
        sg_json_string_eq(w->u.array.items[0], "inputs of triggered-story are not checked against the Story schema"));
    cr_expect(sg_json_string_eq(sg_json_path(r.response, "auditAnnotations.policy"), "probe"));
    cr_expect_eq(r.outcome.nwarnings, 1);
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_hooks, validator_denial_names_the_validator_and_stops_the_chain)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    probe_t p = {.deny = 1}, second = {0};
    sg_admission_t *adm = make(&p, &second);
    h_result_t r;
    run(&r, adm, &arena, NULL, NULL);
    cr_expect(!r.allowed);
    cr_expect_eq(r.code, 403);
    cr_expect_str_eq(r.message, "denied by policy probe");
    cr_expect_str_eq(r.outcome.reason, "probe_policy");
    cr_expect(sg_json_string_eq(sg_json_path(r.response, "auditAnnotations.reason"), "probe_policy"));
    cr_expect(sg_json_string_eq(sg_json_path(r.response, "auditAnnotations.policy"), "probe"));
    cr_expect_eq(second.calls, 0);
    cr_expect_eq(p.accepted, 0, "a denied trigger is not handed to the reconciler");
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_hooks, validator_failure_denies_with_500)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    probe_t p = {.fail = 1}, second = {0};
    sg_admission_t *adm = make(&p, &second);
    h_result_t r;
    run(&r, adm, &arena, NULL, NULL);
    cr_expect(!r.allowed);
    cr_expect_eq(r.code, 500);
    cr_expect_str_eq(r.message, "internal error in admission rule probe_policy: invalid");
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_hooks, built_in_denial_skips_validators)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    probe_t p = {0}, second = {0};
    sg_admission_t *adm = make(&p, &second);
    h_result_t r;
    run(&r, adm, &arena, "/request/object/metadata/name", sg_json_new_string(&arena, "x", 1));
    cr_expect(!r.allowed);
    cr_expect_eq(p.calls, 0);
    cr_expect_eq(p.accepted, 0);
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_hooks, dry_run_has_no_side_effects)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    probe_t p = {0}, second = {0};
    sg_admission_t *adm = make(&p, &second);
    h_result_t r;
    run(&r, adm, &arena, "/request/dryRun", sg_json_new_bool(&arena, 1));
    cr_expect(r.allowed);
    cr_expect(r.outcome.dry_run);
    cr_expect_eq(p.calls, 1, "dry runs are validated in full");
    cr_expect_eq(p.accepted, 0, "but never reach the reconciler");
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_hooks, update_and_mutate_do_not_fire_accept)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    probe_t p = {0}, second = {0};
    sg_admission_t *adm = make(&p, &second);
    sg_json_t *review = h_load(&arena, "fixtures/create.json");
    h_result_t r;
    h_run_review(&r, adm, SG_ADMISSION_MUTATE, review, &arena);
    cr_expect(r.allowed);
    cr_expect_eq(p.calls, 0, "validators run on /validate only");
    h_set(&arena, review, "/request/operation", sg_json_new_string(&arena, "UPDATE", 6));
    h_set(&arena, review, "/request/oldObject", sg_json_clone(&arena, sg_json_pointer(review, "/request/object")));
    h_run_review(&r, adm, SG_ADMISSION_VALIDATE, review, &arena);
    cr_expect(r.allowed);
    cr_expect_eq(p.calls, 1, "validators run on UPDATE");
    cr_expect_eq(p.accepted, 0);
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_hooks, creation_rejects_validator_without_function)
{
    sg_admission_validator_t bad = {"x", NULL, NULL};
    sg_admission_opts_t opts = SG_ADMISSION_OPTS_INIT;
    opts.validators = &bad;
    opts.nvalidators = 1;
    sg_admission_t *adm = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(sg_admission_new(&adm, &opts, &err), SG_EINVALID);
    cr_expect_null(adm);
    sg_admission_free(NULL);
}

Test(admission_hooks, bench_review_is_valid_and_allowed)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    size_t len;
    char *body = h_read(&arena, "fixtures/bench-review.json", &len);
    cr_expect_geq(len, 2000);
    sg_admission_t *adm = NULL;
    cr_assert_eq(sg_admission_new(&adm, NULL, NULL), SG_OK);
    h_result_t r;
    h_run(&r, adm, SG_ADMISSION_VALIDATE, "application/json", body, len, &arena);
    cr_expect(r.allowed, "%s", r.raw);
    cr_expect_str_eq(r.outcome.reason, "ok");
    h_run(&r, adm, SG_ADMISSION_MUTATE, "application/json", body, len, &arena);
    cr_expect(r.allowed, "%s", r.raw);
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}
