/* Atomic groups of writes (sg_store_apply) and queued status writes (no_wait). */
#include <criterion/criterion.h>

#include "helpers.h"

static char *dir;
static sg_store_t *st;
static sg_metrics_t *reg;
static sg_arena_t arena;

static void setup(void)
{
    st = fixture_open(&dir, &reg);
    sg_arena_init(&arena, 0);
    const char *j = "{\"metadata\":{\"name\":\"t\"},\"spec\":{\"a\":1}}";
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_STORYTRIGGER, "ns", j, strlen(j), NULL, NULL), SG_OK);
}

static void teardown(void)
{
    fixture_close(st, reg, dir);
    sg_arena_dispose(&arena);
}

TestSuite(store_apply, .init = setup, .fini = teardown);

Test(store_apply, create_and_status_commit_together_with_a_chosen_uid)
{
    sg_buf_t run = SG_BUF_INIT, trig = SG_BUF_INIT;
    char uid[37];
    cr_assert_eq(sg_store_new_uid(uid), SG_OK);
    sg_store_op_t ops[2] = {
        {SG_STORE_OP_CREATE, SG_KIND_STORYRUN, "ns", NULL, parse(&arena, "{\"metadata\":{\"name\":\"r\"}}"), uid, 0,
         &run},
        {SG_STORE_OP_UPDATE_STATUS, SG_KIND_STORYTRIGGER, "ns", "t", parse(&arena, "{\"decision\":\"Created\"}"), NULL,
         0, &trig},
    };
    size_t failed = 99;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_apply(st, ops, 2, NULL, &failed, &err), SG_OK, "%s", err.message);
    sg_json_t *r = parse(&arena, sg_arena_strndup(&arena, run.base, run.len));
    sg_json_t *t = parse(&arena, sg_arena_strndup(&arena, trig.base, trig.len));
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.uid"), uid));
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.resourceVersion"), "2"));
    cr_assert(sg_json_string_eq(sg_json_path(t, "metadata.resourceVersion"), "3"));
    cr_assert(sg_json_string_eq(sg_json_path(t, "status.decision"), "Created"));
    sg_buf_dispose(&run);
    sg_buf_dispose(&trig);
}

Test(store_apply, a_failing_write_undoes_the_group)
{
    const char *j = "{\"metadata\":{\"name\":\"r\"}}";
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_STORYRUN, "ns", j, strlen(j), NULL, NULL), SG_OK);
    sg_store_op_t ops[2] = {
        {SG_STORE_OP_UPDATE_STATUS, SG_KIND_STORYTRIGGER, "ns", "t", parse(&arena, "{\"x\":1}"), NULL, 0, NULL},
        {SG_STORE_OP_CREATE, SG_KIND_STORYRUN, "ns", NULL, parse(&arena, j), NULL, 0, NULL},
    };
    size_t failed = 99;
    sg_error_t err = SG_ERROR_INIT;
    uint64_t before = sg_store_resource_version(st);
    cr_assert_eq(sg_store_apply(st, ops, 2, NULL, &failed, &err), SG_ECONFLICT);
    cr_assert_eq(failed, 1);
    cr_assert_str_eq(err.message, "storyruns.runs.bubustack.io \"r\" already exists");
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(sg_store_get(st, &out, NULL, SG_KIND_STORYTRIGGER, "ns", "t", NULL), SG_OK);
    cr_assert_null(sg_json_get(parse(&arena, sg_arena_strndup(&arena, out.base, out.len)), "status"));
    cr_assert_eq(sg_store_resource_version(st), before);
    /* the event log holds nothing of the undone group */
    sg_store_watch_t *w;
    cr_assert_eq(sg_store_watch_open(st, &w, before, SG_KIND_MASK_ALL, NULL, NULL), SG_OK);
    sg_store_event_t ev;
    cr_assert_eq(sg_store_watch_next(w, &ev, 0, NULL), SG_EUNAVAILABLE);
    sg_store_watch_close(w);
    sg_buf_dispose(&out);
}

Test(store_apply, queued_status_writes_land_in_order)
{
    sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
    o.no_wait = 1;
    cr_assert_eq(
        sg_store_update_status(st, NULL, SG_KIND_STORYTRIGGER, "ns", "t", parse(&arena, "{\"n\":1}"), &o, NULL), SG_OK);
    cr_assert_eq(
        sg_store_update_status(st, NULL, SG_KIND_STORYTRIGGER, "ns", "t", parse(&arena, "{\"n\":2}"), &o, NULL), SG_OK);
    /* a waited write after them sees both applied first */
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(
        sg_store_update_status(st, &out, SG_KIND_STORYTRIGGER, "ns", "t", parse(&arena, "{\"n\":3}"), NULL, NULL),
        SG_OK);
    sg_json_t *t = parse(&arena, sg_arena_strndup(&arena, out.base, out.len));
    cr_assert(sg_json_string_eq(sg_json_path(t, "metadata.resourceVersion"), "4"));
    /* queued writes to missing objects fail quietly */
    cr_assert_eq(sg_store_update_status(st, NULL, SG_KIND_STORYTRIGGER, "ns", "gone", parse(&arena, "{}"), &o, NULL),
                 SG_OK);
    sg_buf_dispose(&out);
}
