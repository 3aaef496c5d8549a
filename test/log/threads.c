/* Tests that concurrent log lines never interleave. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/log.h>

#include "capture.h"

#define THREADS 8
#define LINES 500

static void *writer(void *arg)
{
    int id = (int)(long)arg;
    char pad[300];
    memset(pad, 'a' + id, sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        sg_log_info("tick", "thread", SG_LOG_INT, id, "i", SG_LOG_INT, i, "pad", SG_LOG_STR, pad, NULL);
    return NULL;
}

Test(log_threads, lines_from_many_threads_never_interleave)
{
    capture_start();
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, writer, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    sg_buf_t b = capture_stop();
    int next[THREADS] = {0};
    size_t lines = 0;
    char *p = b.base;
    while (*p != '\0') {
        char *nl = strchr(p, '\n');
        cr_assert_not_null(nl);
        flat_t f;
        cr_assert_eq(flat_parse(&f, p, (size_t)(nl - p)), 0, "bad line %.*s", (int)(nl - p), p);
        int id = atoi(flat_get(&f, "thread")), i = atoi(flat_get(&f, "i"));
        cr_assert(id >= 0 && id < THREADS);
        cr_assert_eq(i, next[id], "thread %d lines in order", id);
        next[id]++;
        const char *pad = flat_get(&f, "pad");
        cr_assert_eq(strlen(pad), 299);
        cr_assert_eq(strspn(pad, (char[]){(char)('a' + id), 0}), 299);
        flat_free(&f);
        lines++;
        p = nl + 1;
    }
    cr_assert_eq(lines, THREADS * LINES);
    sg_buf_dispose(&b);
}
