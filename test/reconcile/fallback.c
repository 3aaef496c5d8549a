/* Stores without atomic groups (the Kubernetes backend): the StoryRun is created, then the status written; a status
 * write lost in between is recovered on the next pass (§4.2 step 9). */
#include "proxy.h"

extern fx_t fx;

/* The store without `apply`, its status writes refusable. */
typedef struct {
    proxy_store_t base;
    int fail_decisions; /* status writes with completedAt to refuse */
} proxy_t;

static proxy_t px;
static sg_store_ops_t proxy_ops;

static int p_status(sg_store_t *s, sg_buf_t *out, sg_store_kind_t k, const char *ns, const char *n, const sg_json_t *st,
                    const sg_store_write_opts_t *o, sg_error_t *err)
{
    proxy_t *p = (proxy_t *)s;
    if (p->fail_decisions > 0 && sg_json_get(st, "completedAt") != NULL) {
        p->fail_decisions--;
        return sg_error_set(err, SG_EUNAVAILABLE, "injected status write failure");
    }
    return proxy_status(s, out, k, ns, n, st, o, err);
}

static void setup(void)
{
    fx_open(NULL);
    memset(&px, 0, sizeof(px));
    proxy_init(&px.base, &proxy_ops);
    proxy_ops.apply = NULL;
    proxy_ops.update_status = p_status;
    proxy_reconciler(&px.base.super, 8);
}

TestSuite(reconcile_fallback, .init = setup, .fini = fx_close);

Test(reconcile_fallback, creates_then_writes_status_without_atomic_groups)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "f1"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Created", "StoryRunCreated", NULL);
    cr_assert(strncmp(jstr(tr, "status.message"), "created StoryRun ", 17) == 0);
    sg_json_t *run = get_obj(SG_KIND_STORYRUN, "default", jstr(tr, "status.storyRunRef.name"));
    cr_assert_str_eq(jstr(run, "metadata.uid"), jstr(tr, "status.storyRunRef.uid"));
}

Test(reconcile_fallback, lost_status_write_is_recovered_on_retry)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "f2"};
    const char *name = put_trigger(&t);
    px.fail_decisions = 1;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_reconciler_reconcile(fx.rec, "default", name, &err), SG_EUNAVAILABLE);
    /* the StoryRun exists; the trigger is still Pending, its message saying why */
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    cr_assert_str_eq(jstr(tr, "status.decision"), "Pending");
    cr_assert(strstr(jstr(tr, "status.message"), "injected status write failure") != NULL);
    reconcile("default", name);
    tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Created", "StoryRunCreated", NULL);
    cr_assert(strncmp(jstr(tr, "status.message"), "recovered previously created StoryRun ", 38) == 0);
}
