/* Crash safety: a reconciler killed with SIGKILL mid-stream leaves nothing half-done; after a restart every trigger
 * ends Created with exactly one StoryRun, the one its status names. */
#include <signal.h>
#include <sys/wait.h>

#include "helpers.h"

extern fx_t fx;

TestSuite(reconcile_crash, .fini = fx_close, .timeout = 120);

enum { N = 200 };

static void names_of(char names[N][SG_IDENTITY_NAME_MAX + 1])
{
    for (int i = 0; i < N; i++) {
        char sub[32];
        snprintf(sub, sizeof(sub), "crash-%d", i);
        sg_identity_trigger_name(names[i], sg_span_cstr("default"), sg_span_cstr("s"), sg_span_cstr(""),
                                 sg_span_cstr(sub));
    }
}

Test(reconcile_crash, decisions_survive_sigkill_and_restart)
{
    fx_open(NULL);
    put_story("default", "s", NULL);
    for (int i = 0; i < N; i++) {
        char sub[32];
        snprintf(sub, sizeof(sub), "crash-%d", i);
        trig_t t = {.ns = "default", .story = "s", .submission = sub, .inputs = "{\"k\":\"v\"}"};
        put_trigger(&t);
    }
    /* hand the data directory to a child that reconciles until killed */
    char path[512];
    snprintf(path, sizeof(path), "%s/db", fx.dir);
    sg_reconciler_free(fx.rec);
    fx.rec = NULL;
    sg_store_close(fx.store);
    fx.store = NULL;
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        sg_metrics_t *m = sg_metrics_new();
        sg_store_lmdb_opts_t so = SG_STORE_LMDB_OPTS_INIT;
        so.path = path;
        so.metrics = m;
        sg_store_t *st;
        if (sg_store_open_lmdb(&st, &so, NULL) != SG_OK)
            _exit(2);
        sg_reconciler_opts_t ro = SG_RECONCILER_OPTS_INIT;
        ro.store = st;
        ro.metrics = m;
        ro.workers = 4;
        sg_reconciler_t *r;
        if (sg_reconciler_new(&r, &ro, NULL) != SG_OK || sg_reconciler_start(r, NULL) != SG_OK)
            _exit(3);
        if (write(p[1], "x", 1) != 1)
            _exit(4);
        pause();
        _exit(0);
    }
    close(p[1]);
    char c;
    cr_assert_eq(read(p[0], &c, 1), 1);
    usleep(20000); /* let it get part of the way */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(p[0]);

    sg_store_lmdb_opts_t so = SG_STORE_LMDB_OPTS_INIT;
    so.path = path;
    so.metrics = fx.metrics;
    cr_assert_eq(sg_store_open_lmdb(&fx.store, &so, NULL), SG_OK);
    sg_reconciler_opts_t ro = SG_RECONCILER_OPTS_INIT;
    ro.store = fx.store;
    ro.metrics = fx.metrics;
    cr_assert_eq(sg_reconciler_new(&fx.rec, &ro, NULL), SG_OK);
    cr_assert_eq(sg_reconciler_start(fx.rec, NULL), SG_OK);
    cr_assert(sg_reconciler_wait_idle(fx.rec, 1000, 60000));

    static char names[N][SG_IDENTITY_NAME_MAX + 1];
    names_of(names);
    for (int i = 0; i < N; i++) {
        sg_json_t *t = get_obj(SG_KIND_STORYTRIGGER, "default", names[i]);
        assert_decision(t, "Created", "StoryRunCreated", NULL);
        sg_json_t *run = get_obj(SG_KIND_STORYRUN, "default", jstr(t, "status.storyRunRef.name"));
        cr_assert_not_null(run);
        cr_assert_str_eq(jstr(run, "metadata.uid"), jstr(t, "status.storyRunRef.uid"));
    }
    sg_store_list_t l;
    sg_store_list_init(&l);
    cr_assert_eq(sg_store_list(fx.store, &l, SG_KIND_STORYRUN, NULL, NULL, NULL), SG_OK);
    cr_assert_eq(l.len, N);
    sg_store_list_dispose(&l);
}
