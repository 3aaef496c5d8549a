/* Asynchronous writes (sg_store_write_opts_t.done), creates and atomic groups: one completion per queued write, after
 * it is durable, with the stored object or the error; errors found before queueing are returned, never completed. */
#include <criterion/criterion.h>
#include <pthread.h>

#include "helpers.h"

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int calls;
    int rc;
    char message[SG_ERROR_MSG_MAX];
    char json[1024];
} completion_t;

static void on_done(void *ctx, int rc, const sg_error_t *err, const char *json, size_t len)
{
    completion_t *c = ctx;
    pthread_mutex_lock(&c->mu);
    c->calls++;
    c->rc = rc;
    snprintf(c->message, sizeof(c->message), "%s", rc == SG_OK ? "" : err->message);
    snprintf(c->json, sizeof(c->json), "%.*s", (int)len, json);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
}

static void init(completion_t *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
}

/* Waits for the first completion (bounded by the test runner's timeout, never by a clock assertion). */
static void wait_done(completion_t *c)
{
    pthread_mutex_lock(&c->mu);
    while (c->calls == 0)
        pthread_cond_wait(&c->cond, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

static int create_async(sg_store_t *st, const char *json, completion_t *c, sg_error_t *err)
{
    sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
    o.done = on_done;
    o.done_ctx = c;
    return sg_store_create(st, NULL, SG_KIND_STORY, "default", json, strlen(json), &o, err);
}

static char *dir;
static sg_store_t *st;
static sg_metrics_t *reg;

static void setup(void)
{
    st = fixture_open(&dir, &reg);
}

static void teardown(void)
{
    fixture_close(st, reg, dir);
}

TestSuite(store_async, .init = setup, .fini = teardown, .timeout = 60);

Test(store_async, completion_carries_the_committed_object)
{
    completion_t c;
    init(&c);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(create_async(st, "{\"metadata\":{\"name\":\"s1\"},\"spec\":{}}", &c, &err), SG_OK, "%s", err.message);
    wait_done(&c);
    cr_assert_eq(c.rc, SG_OK, "%s", c.message);
    cr_assert(strstr(c.json, "\"name\":\"s1\"") != NULL, "%s", c.json);
    cr_assert(strstr(c.json, "\"resourceVersion\":\"") != NULL, "%s", c.json);
    /* acknowledged means readable */
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(sg_store_get(st, &out, NULL, SG_KIND_STORY, "default", "s1", &err), SG_OK);
    sg_buf_dispose(&out);
}

Test(store_async, a_conflict_completes_with_the_error)
{
    completion_t a, b;
    init(&a);
    init(&b);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(create_async(st, "{\"metadata\":{\"name\":\"dup\"}}", &a, &err), SG_OK);
    wait_done(&a);
    cr_assert_eq(create_async(st, "{\"metadata\":{\"name\":\"dup\"}}", &b, &err), SG_OK);
    wait_done(&b);
    cr_assert_eq(a.rc, SG_OK);
    cr_assert_eq(b.rc, SG_ECONFLICT, "rc=%d %s", b.rc, b.message);
    cr_assert(strstr(b.message, "already exists") != NULL, "%s", b.message);
    cr_assert_str_empty(b.json);
}

Test(store_async, an_invalid_object_is_refused_before_queueing)
{
    completion_t c;
    init(&c);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(create_async(st, "{\"metadata\":{}}", &c, &err), SG_EINVALID);
    cr_assert(err.message[0] != '\0');
    /* a later write completes, so a completion for the refused one would have been delivered by now */
    completion_t d;
    init(&d);
    cr_assert_eq(create_async(st, "{\"metadata\":{\"name\":\"ok\"}}", &d, &err), SG_OK);
    wait_done(&d);
    cr_assert_eq(c.calls, 0);
}

Test(store_async, every_queued_create_completes_once_before_close_returns)
{
    enum { N = 200 };
    static completion_t cs[N];
    sg_error_t err = SG_ERROR_INIT;
    for (int i = 0; i < N; i++) {
        char json[96];
        init(&cs[i]);
        snprintf(json, sizeof(json), "{\"metadata\":{\"name\":\"s-%d\"}}", i);
        cr_assert_eq(create_async(st, json, &cs[i], &err), SG_OK, "%s", err.message);
    }
    sg_store_close(st); /* drains the queue */
    st = NULL;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(cs[i].calls, 1, "create %d completed %d times", i, cs[i].calls);
        cr_assert_eq(cs[i].rc, SG_OK, "create %d: %s", i, cs[i].message);
    }
    /* and durably: reopened, every object is there */
    st = open_store(dir, reg);
    cr_assert_not_null(st);
    sg_store_list_t l;
    sg_store_list_init(&l);
    cr_assert_eq(sg_store_list(st, &l, SG_KIND_STORY, "default", NULL, &err), SG_OK);
    cr_assert_eq(l.len, N);
    sg_store_list_dispose(&l);
}

/* Atomic groups with a completion (the reconciler's decisions): the group commits as one, the completion has no
 * object, and a failing member undoes the group and completes with its error. */
static int apply_async(sg_store_op_t *ops, size_t n, completion_t *c, sg_error_t *err)
{
    sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
    o.done = on_done;
    o.done_ctx = c;
    return sg_store_apply(st, ops, n, &o, NULL, err);
}

Test(store_async, a_group_completes_once_committed)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    const char *t = "{\"metadata\":{\"name\":\"t\"}}";
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_STORYTRIGGER, "default", t, strlen(t), NULL, &err), SG_OK);
    sg_store_op_t ops[2] = {
        {SG_STORE_OP_CREATE, SG_KIND_STORYRUN, "default", NULL, parse(&a, "{\"metadata\":{\"name\":\"r\"}}"), NULL, 0,
         NULL},
        {SG_STORE_OP_UPDATE_STATUS, SG_KIND_STORYTRIGGER, "default", "t", parse(&a, "{\"decision\":\"Created\"}"), NULL,
         0, NULL},
    };
    completion_t c;
    init(&c);
    cr_assert_eq(apply_async(ops, 2, &c, &err), SG_OK, "%s", err.message);
    wait_done(&c);
    cr_assert_eq(c.rc, SG_OK, "%s", c.message);
    cr_assert_str_empty(c.json);
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(sg_store_get(st, &out, NULL, SG_KIND_STORYTRIGGER, "default", "t", &err), SG_OK);
    cr_assert(sg_json_string_eq(sg_json_path(parse(&a, sg_arena_strndup(&a, out.base, out.len)), "status.decision"),
                                "Created"));
    cr_assert_eq(sg_store_get(st, NULL, NULL, SG_KIND_STORYRUN, "default", "r", &err), SG_OK);

    /* the same group again: the StoryRun exists, so nothing of it is applied */
    uint64_t before = sg_store_resource_version(st);
    ops[1].obj = parse(&a, "{\"decision\":\"Rejected\"}");
    completion_t d;
    init(&d);
    cr_assert_eq(apply_async(ops, 2, &d, &err), SG_OK, "%s", err.message);
    wait_done(&d);
    cr_assert_eq(d.rc, SG_ECONFLICT, "rc=%d %s", d.rc, d.message);
    cr_assert(strstr(d.message, "already exists") != NULL, "%s", d.message);
    cr_assert_eq(sg_store_resource_version(st), before);
    cr_assert_eq(sg_store_get(st, &out, NULL, SG_KIND_STORYTRIGGER, "default", "t", &err), SG_OK);
    cr_assert(sg_json_string_eq(sg_json_path(parse(&a, sg_arena_strndup(&a, out.base, out.len)), "status.decision"),
                                "Created"));

    /* a group for a trigger that does not exist completes with not-found */
    ops[0].obj = parse(&a, "{\"metadata\":{\"name\":\"r2\"}}");
    ops[1].name = "missing";
    completion_t e;
    init(&e);
    cr_assert_eq(apply_async(ops, 2, &e, &err), SG_OK, "%s", err.message);
    wait_done(&e);
    cr_assert_eq(e.rc, SG_ENOTFOUND, "rc=%d %s", e.rc, e.message);
    cr_assert_eq(sg_store_get(st, NULL, NULL, SG_KIND_STORYRUN, "default", "r2", &err), SG_ENOTFOUND);
    sg_buf_dispose(&out);
    sg_arena_dispose(&a);
}

Test(store_async, a_group_refused_before_queueing_has_no_completion)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_store_op_t ops[1] = {
        {SG_STORE_OP_CREATE, SG_KIND_STORYRUN, "default", NULL, parse(&a, "{\"metadata\":{}}"), NULL, 0, NULL},
    };
    completion_t c;
    init(&c);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(apply_async(ops, 1, &c, &err), SG_EINVALID);
    completion_t d;
    init(&d);
    cr_assert_eq(create_async(st, "{\"metadata\":{\"name\":\"after\"}}", &d, &err), SG_OK);
    wait_done(&d);
    cr_assert_eq(c.calls, 0);
    sg_arena_dispose(&a);
}
