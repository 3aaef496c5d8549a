/* One handler shared by several threads while a provider keeps publishing new snapshots: answers stay correct and
 * snapshots are freed exactly once (run under ASan/valgrind to see the refcounting). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "harness.h"

#define THREADS 4
#define ROUNDS 300

typedef struct st_worker_t {
    sg_admission_t *adm;
    const char *body;
    size_t len;
    int allowed, denied, other;
} worker_t;

static void *work(void *arg)
{
    worker_t *w = arg;
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_buf_t out = SG_BUF_INIT;
    for (int i = 0; i < ROUNDS; i++) {
        sg_admission_outcome_t o;
        sg_buf_reset(&out);
        sg_arena_reset(&arena);
        if (sg_admission_handle(w->adm, SG_ADMISSION_VALIDATE, "application/json", w->body, w->len, &arena, &out, &o) <
            0) {
            w->other++;
            continue;
        }
        if (o.allowed)
            w->allowed++;
        else if (strcmp(o.reason, "story_not_found") == 0)
            w->denied++;
        else
            w->other++;
    }
    sg_buf_dispose(&out);
    sg_arena_dispose(&arena);
    return NULL;
}

Test(admission_threads, concurrent_reviews_with_snapshot_swaps)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    size_t len;
    const char *body = h_read(&arena, "fixtures/create.json", &len);
    sg_refs_holder_t *holder = sg_refs_holder_new();
    sg_admission_opts_t opts = SG_ADMISSION_OPTS_INIT;
    opts.refs_acquire = sg_refs_holder_acquire;
    opts.refs_ctx = holder;
    sg_admission_t *adm = NULL;
    cr_assert_eq(sg_admission_new(&adm, &opts, NULL), SG_OK);
    worker_t workers[THREADS];
    pthread_t tids[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker_t){adm, body, len, 0, 0, 0};
        cr_assert_eq(pthread_create(&tids[i], NULL, work, &workers[i]), 0);
    }
    /* Alternate between a snapshot with the Story and one without, cloning as a provider would. */
    sg_refs_snapshot_t *with = sg_refs_snapshot_new();
    sg_refs_snapshot_put_story(with, sg_span_cstr("default"), sg_span_cstr("triggered-story"), NULL, 0);
    sg_refs_snapshot_set_synced(with, 1);
    for (int i = 0; i < 200; i++) {
        sg_refs_snapshot_t *next = sg_refs_snapshot_clone(with);
        if (i % 2)
            sg_refs_snapshot_remove_story(next, sg_span_cstr("default"), sg_span_cstr("triggered-story"));
        sg_refs_holder_publish(holder, next);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(tids[i], NULL);
    int allowed = 0, denied = 0;
    for (int i = 0; i < THREADS; i++) {
        cr_expect_eq(workers[i].other, 0, "only the two snapshot-dependent answers occur");
        allowed += workers[i].allowed;
        denied += workers[i].denied;
    }
    cr_expect_eq(allowed + denied, THREADS * ROUNDS);
    sg_refs_snapshot_release(with);
    sg_admission_free(adm);
    sg_refs_holder_free(holder);
    sg_arena_dispose(&arena);
}
