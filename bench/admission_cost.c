/* CPU cost of one /validate review without the transport: runs sg_admission_handle on a review file N times, so
 * `perf stat -e instructions` or `valgrind --tool=callgrind` can divide by N. Usage: storygate-admission-cost FILE [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/admission.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s REVIEW.json [N]\n", argv[0]);
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 10000;
    size_t len = 0;
    char *body = read_file(argv[1], &len);
    if (body == NULL) {
        perror(argv[1]);
        return 1;
    }
    sg_admission_t *adm = NULL;
    sg_error_t err = SG_ERROR_INIT;
    if (sg_admission_new(&adm, NULL, &err) < 0) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    /* the HTTP worker's setup: one 64 KiB arena and one output buffer per thread, reset per request */
    sg_arena_t arena;
    sg_arena_init(&arena, 64 * 1024);
    sg_buf_t out = SG_BUF_INIT;
    sg_admission_outcome_t outcome;
    int status = 0;
    for (long i = 0; i < n; i++) {
        sg_arena_reset(&arena);
        sg_buf_reset(&out);
        if (sg_admission_handle(adm, SG_ADMISSION_VALIDATE, "application/json", body, len, &arena, &out, &outcome) <
            0) {
            fprintf(stderr, "sg_admission_handle failed\n");
            status = 1;
            break;
        }
    }
    if (status == 0) {
        fwrite(out.base, 1, out.len, stdout);
        fprintf(stderr, "arena bytes per review: %zu\n", sg_arena_used(&arena));
    }
    sg_buf_dispose(&out);
    sg_arena_dispose(&arena);
    sg_admission_free(adm);
    free(body);
    return status;
}
