/* Store durability and group commit: acknowledged writes survive SIGKILL; many threads share commits; a full map
 * fails cleanly. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "helpers.h"

static char *dir;

static void setup(void)
{
    dir = tmpdir_make();
}

static void teardown(void)
{
    tmpdir_remove(dir);
}

TestSuite(store_durable, .init = setup, .fini = teardown, .timeout = 120);

/* Child: writes objects from 4 threads forever, reporting each acknowledged name on the pipe. */
typedef struct {
    sg_store_t *st;
    int fd;
    int id;
} child_arg_t;

static void *child_writer(void *p)
{
    child_arg_t *a = p;
    for (int i = 0;; i++) {
        char name[64], j[128];
        snprintf(name, sizeof(name), "t%d-%d", a->id, i);
        snprintf(j, sizeof(j), "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"i\":%d}}", name, i);
        if (sg_store_create(a->st, NULL, SG_KIND_STORYTRIGGER, "ns", j, strlen(j), NULL, NULL) != SG_OK)
            _exit(3);
        char line[72];
        int n = snprintf(line, sizeof(line), "%s\n", name);
        if (write(a->fd, line, (size_t)n) != n) /* pipe writes <= PIPE_BUF are atomic */
            _exit(4);
    }
    return NULL;
}

Test(store_durable, acknowledged_writes_survive_sigkill)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(p[0]);
        sg_metrics_t *m = sg_metrics_new();
        sg_store_t *st = open_store(dir, m);
        if (st == NULL)
            _exit(2);
        child_arg_t args[4];
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
            args[i] = (child_arg_t){st, p[1], i};
            pthread_create(&t[i], NULL, child_writer, &args[i]);
        }
        pause();
        _exit(0);
    }
    close(p[1]);
    FILE *in = fdopen(p[0], "r");
    char **acked = calloc(4096, sizeof(char *));
    size_t n = 0;
    char line[128];
    while (n < 300 && fgets(line, sizeof(line), in) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        acked[n++] = strdup(line);
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    fclose(in);
    cr_assert_eq(n, 300, "child wrote only %zu objects", n);
    cr_assert(WIFSIGNALED(status));

    sg_metrics_t *m = sg_metrics_new();
    sg_store_t *st = open_store(dir, m);
    cr_assert_not_null(st);
    for (size_t i = 0; i < n; i++) {
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(sg_store_get(st, NULL, NULL, SG_KIND_STORYTRIGGER, "ns", acked[i], &err), SG_OK, "%s: %s",
                     acked[i], err.message);
        free(acked[i]);
    }
    free(acked);
    /* resourceVersions keep increasing after the crash */
    uint64_t before = sg_store_resource_version(st);
    const char *j = "{\"metadata\":{\"name\":\"after\"}}";
    cr_assert_eq(sg_store_create(st, NULL, SG_KIND_STORY, "ns", j, strlen(j), NULL, NULL), SG_OK);
    cr_assert_eq(sg_store_resource_version(st), before + 1);
    sg_store_close(st);
    sg_metrics_free(m);
}

typedef struct {
    sg_store_t *st;
    int id;
    int failures;
} gc_arg_t;

static void *gc_writer(void *p)
{
    gc_arg_t *a = p;
    for (int i = 0; i < 200; i++) {
        char j[128];
        snprintf(j, sizeof(j), "{\"metadata\":{\"name\":\"w%d-%d\"}}", a->id, i);
        if (sg_store_create(a->st, NULL, SG_KIND_STORYRUN, "ns", j, strlen(j), NULL, NULL) != SG_OK)
            a->failures++;
    }
    return NULL;
}

Test(store_durable, group_commit_shares_transactions_between_threads)
{
    sg_metrics_t *m = sg_metrics_new();
    sg_store_t *st = open_store(dir, m);
    cr_assert_not_null(st);
    enum { N = 16 };
    gc_arg_t args[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        args[i] = (gc_arg_t){st, i, 0};
        pthread_create(&t[i], NULL, gc_writer, &args[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(args[i].failures, 0);
    }
    sg_store_list_t l;
    sg_store_list_init(&l);
    cr_assert_eq(sg_store_list(st, &l, SG_KIND_STORYRUN, "ns", NULL, NULL), SG_OK);
    cr_assert_eq(l.len, N * 200);
    cr_assert_eq(l.resource_version, N * 200);
    sg_store_list_dispose(&l);
    /* fewer commits than writes: concurrent writers were batched */
    sg_buf_t text = SG_BUF_INIT;
    sg_metrics_render(m, &text);
    const char *c = strstr(text.base, "storygate_store_commit_seconds_count ");
    cr_assert_not_null(c);
    long commits = strtol(c + strlen("storygate_store_commit_seconds_count "), NULL, 10);
    cr_assert_lt(commits, N * 200, "commits=%ld", commits);
    sg_buf_dispose(&text);
    sg_store_close(st);
    sg_metrics_free(m);
}

Test(store_durable, full_map_fails_with_a_clear_error)
{
    sg_metrics_t *m = sg_metrics_new();
    sg_store_lmdb_opts_t o = SG_STORE_LMDB_OPTS_INIT;
    o.path = dir;
    o.map_size = 256 * 1024;
    o.metrics = m;
    sg_store_t *st = NULL;
    cr_assert_eq(sg_store_open_lmdb(&st, &o, NULL), SG_OK);
    char *big = malloc(20000);
    int rc = SG_OK, i;
    sg_error_t err = SG_ERROR_INIT;
    for (i = 0; i < 100 && rc == SG_OK; i++) {
        int n = snprintf(big, 20000, "{\"metadata\":{\"name\":\"b%d\"},\"spec\":{\"pad\":\"", i);
        memset(big + n, 'x', 15000);
        strcpy(big + n + 15000, "\"}}");
        rc = sg_store_create(st, NULL, SG_KIND_STORY, "ns", big, strlen(big), NULL, &err);
    }
    cr_assert_eq(rc, SG_ELIMIT);
    cr_assert(strstr(err.message, "map size") != NULL, "%s", err.message);
    /* small writes and reads still work after the failure */
    cr_assert_eq(sg_store_get(st, NULL, NULL, SG_KIND_STORY, "ns", "b0", NULL), SG_OK);
    cr_assert_eq(sg_store_delete(st, NULL, SG_KIND_STORY, "ns", "b0", NULL, &err), SG_OK, "%s", err.message);
    free(big);
    sg_store_close(st);
    sg_metrics_free(m);
}
