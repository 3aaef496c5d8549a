/* Bad input never crashes: deterministic byte-level mutations (flips, truncations, insertions) of real reviews all
 * get a well-formed AdmissionReview answer from both webhooks. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static uint32_t rng = 2463534242u;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void mutate_bytes(char *buf, size_t *len, size_t cap)
{
    static const char interesting[] = "{}[]\",:0-1e\\u\xff\x80 nulltruefalse";
    int edits = 1 + (int)(next() % 4);
    for (int e = 0; e<edits && * len> 0; e++) {
        size_t at = next() % *len;
        switch (next() % 4) {
        case 0:
            buf[at] = interesting[next() % (sizeof(interesting) - 1)];
            break;
        case 1:
            buf[at] = (char)(next() & 0xFF);
            break;
        case 2:
            *len = at;
            break;
        default:
            if (*len < cap) {
                memmove(buf + at + 1, buf + at, *len - at);
                buf[at] = interesting[next() % (sizeof(interesting) - 1)];
                (*len)++;
            }
        }
    }
}

static void fuzz_file(const char *name, int rounds)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    size_t len;
    const char *orig = h_read(&arena, name, &len);
    sg_admission_t *adm = NULL;
    cr_assert_eq(sg_admission_new(&adm, NULL, NULL), SG_OK);
    size_t cap = len + 64;
    char *buf = malloc(cap);
    int answered = 0;
    for (int i = 0; i < rounds; i++) {
        size_t n = len;
        memcpy(buf, orig, len);
        mutate_bytes(buf, &n, cap);
        sg_arena_t ra;
        sg_arena_init(&ra, 0);
        h_result_t r;
        /* h_run asserts the answer is an AdmissionReview with allowed and status.code */
        h_run(&r, adm, i % 2 ? SG_ADMISSION_MUTATE : SG_ADMISSION_VALIDATE, "application/json", buf, n, &ra);
        cr_assert(r.outcome.http_status == 200 || r.outcome.http_status == 400, "%d", r.outcome.http_status);
        answered++;
        sg_arena_dispose(&ra);
    }
    cr_expect_eq(answered, rounds);
    free(buf);
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_robustness, mutated_create_reviews_get_answers)
{
    fuzz_file("fixtures/create.json", 3000);
}

Test(admission_robustness, mutated_bench_reviews_get_answers)
{
    fuzz_file("fixtures/bench-review.json", 2000);
}
