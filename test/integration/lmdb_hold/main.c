/* Holds the write transaction of a storygate LMDB data directory, so a running server's store writes block until it
 * is released: prints "held" once the writer lock is taken, then waits for EOF on stdin, a signal or a time limit.
 *
 *   sg_lmdb_hold DATA_DIR [SECONDS]     # exit 0 after releasing, 1 on a usage or LMDB error
 *
 * The writer lock lives in DATA_DIR/lock.mdb, shared by every process that opens the environment, so this works
 * while the server has it open. The environment is opened as src/store/lmdb.c opens it (MDB_NOTLS, same reader and
 * database limits); the map size is left to the one recorded in the data file. The transaction is aborted, so
 * nothing is written. */
#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: sg_lmdb_hold DATA_DIR [SECONDS]\n");
        return 1;
    }
    unsigned limit = argc == 3 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;

    /* No SA_RESTART: a signal must interrupt the blocking read below. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    int mrc;
    if ((mrc = mdb_env_create(&env)) != 0 || (mrc = mdb_env_set_maxdbs(env, 4)) != 0 ||
        (mrc = mdb_env_set_maxreaders(env, 1024)) != 0 || (mrc = mdb_env_open(env, argv[1], MDB_NOTLS, 0640)) != 0) {
        fprintf(stderr, "sg_lmdb_hold: cannot open %s: %s\n", argv[1], mdb_strerror(mrc));
        mdb_env_close(env);
        return 1;
    }
    /* Blocks while another process holds the writer lock; a mutex wait is not interrupted by signals, so until the
     * lock is taken SIGALRM keeps its default action and ends the process. */
    if (limit != 0)
        alarm(limit);
    if ((mrc = mdb_txn_begin(env, NULL, 0, &txn)) != 0) {
        fprintf(stderr, "sg_lmdb_hold: cannot begin a write transaction: %s\n", mdb_strerror(mrc));
        mdb_env_close(env);
        return 1;
    }
    sigaction(SIGALRM, &sa, NULL);
    printf("held\n");
    fflush(stdout);

    char buf[256];
    while (!stop) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EINTR))
            break;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    printf("released\n");
    fflush(stdout);
    return 0;
}
