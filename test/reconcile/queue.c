/* The work queue: dedupe, one worker per key, re-run after done, size bound, backoff scheduling. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/reconcile/internal.h"

static sg_rq_t *q;

static void setup(void)
{
    q = sg_rq__new(4, 0.2, 60, NULL);
}

static void teardown(void)
{
    sg_rq__free(q);
}

TestSuite(reconcile_queue, .init = setup, .fini = teardown, .timeout = 30);

Test(reconcile_queue, duplicate_adds_run_once_in_fifo_order)
{
    sg_rq__add(q, "a/1");
    sg_rq__add(q, "a/2");
    sg_rq__add(q, "a/1");
    cr_assert_eq(sg_rq__len(q), 2);
    char *k = sg_rq__get(q);
    cr_assert_str_eq(k, "a/1");
    sg_rq__done(q, k);
    free(k);
    k = sg_rq__get(q);
    cr_assert_str_eq(k, "a/2");
    sg_rq__done(q, k);
    free(k);
    cr_assert_eq(sg_rq__len(q), 0);
    cr_assert(sg_rq__wait_idle(q, 0, 1000));
}

Test(reconcile_queue, key_added_while_processing_waits_for_done)
{
    sg_rq__add(q, "a/1");
    char *k = sg_rq__get(q);
    sg_rq__add(q, "a/1");
    cr_assert_eq(sg_rq__len(q), 0, "handed to a second worker while processing");
    sg_rq__done(q, k);
    cr_assert_eq(sg_rq__len(q), 1);
    free(k);
    k = sg_rq__get(q);
    cr_assert_str_eq(k, "a/1");
    sg_rq__done(q, k);
    free(k);
}

Test(reconcile_queue, bounded_size_sets_overflow)
{
    for (int i = 0; i < 4; i++) {
        char k[16];
        snprintf(k, sizeof(k), "n/%d", i);
        cr_assert_eq(sg_rq__add(q, k), SG_OK);
    }
    cr_assert_eq(sg_rq__add(q, "n/9"), SG_ELIMIT);
    cr_assert_eq(sg_rq__add(q, "n/1"), SG_OK); /* already held: deduplicated, not refused */
    cr_assert(sg_rq__take_overflow(q));
    cr_assert(!sg_rq__take_overflow(q));
}

Test(reconcile_queue, failures_are_scheduled_not_queued_and_forget_resets)
{
    sg_rq__add(q, "b/1");
    char *k = sg_rq__get(q);
    sg_rq__add_backoff(q, k);
    sg_rq__done(q, k);
    cr_assert_eq(sg_rq__len(q), 0);
    /* a retry is pending within the first backoff step (200 ms) but not immediately runnable */
    cr_assert(!sg_rq__wait_idle(q, 60000, 0));
    free(k);
    k = sg_rq__get(q); /* blocks until the backoff fires */
    cr_assert_str_eq(k, "b/1");
    sg_rq__forget(q, k);
    sg_rq__done(q, k);
    free(k);
    cr_assert(sg_rq__wait_idle(q, 60000, 1000));
}

Test(reconcile_queue, shutdown_releases_getters)
{
    sg_rq__shutdown(q);
    cr_assert_null(sg_rq__get(q));
    sg_rq__add(q, "c/1");
    cr_assert_eq(sg_rq__len(q), 0);
}
