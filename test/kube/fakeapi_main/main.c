/* The apiserver double (../fakeapi.c) as a standalone process on 127.0.0.1, for tests that start storygate
 * processes: writes its URL and CA certificate to files, then serves until SIGTERM/SIGINT or a time limit.
 * SIGUSR1 forgets the event history and breaks every watch (the next watches get 410 Gone); SIGUSR2 only breaks
 * the watches. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakeapi.h"

static int write_file(const char *dir, const char *name, const char *data, size_t len)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    int ok = fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    /* rename last: a reader that sees the file sees all of it */
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: fakeapi --dir DIR [--token TOKEN]... [--max-seconds N]\n"
                    "writes DIR/url and DIR/ca.crt once listening on 127.0.0.1\n");
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    const char *tokens[16];
    int ntokens = 0;
    unsigned max_seconds = 600;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc && ntokens < 16) {
            tokens[ntokens++] = argv[++i];
        } else if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc) {
            max_seconds = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            usage();
            return 2;
        }
    }
    if (dir == NULL || max_seconds == 0) {
        usage();
        return 2;
    }
    /* Blocked before any thread starts, so every thread inherits the mask and sigwait below gets them all. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    fakeapi_t *f = fakeapi_start();
    if (f == NULL) {
        fprintf(stderr, "fakeapi: cannot listen on 127.0.0.1\n");
        return 1;
    }
    for (int i = 0; i < ntokens; i++)
        fakeapi_allow_token(f, tokens[i]);
    size_t ca_len;
    const char *ca = fakeapi_ca_pem(f, &ca_len);
    const char *url = fakeapi_url(f);
    if (write_file(dir, "ca.crt", ca, ca_len) != 0 || write_file(dir, "url", url, strlen(url)) != 0) {
        fprintf(stderr, "fakeapi: cannot write to %s: %s\n", dir, strerror(errno));
        fakeapi_stop(f);
        return 1;
    }
    fprintf(stderr, "fakeapi: listening on %s\n", url);
    alarm(max_seconds);
    int sig = 0, status = 0;
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGUSR1) {
            fakeapi_compact(f);
            fakeapi_drop_watches(f);
            fprintf(stderr, "fakeapi: history compacted, watches dropped\n");
        } else if (sig == SIGUSR2) {
            fakeapi_drop_watches(f);
            fprintf(stderr, "fakeapi: watches dropped\n");
        } else {
            if (sig == SIGALRM) {
                fprintf(stderr, "fakeapi: time limit of %u s reached\n", max_seconds);
                status = 1;
            }
            break;
        }
    }
    fakeapi_stop(f);
    return status;
}
