/* libFuzzer target: derived names, short hashes, Go string helpers and the input hash over arbitrary bytes. The input
 * is split at NUL bytes into namespace, name, key, submissionId and the raw inputs. */
#include <string.h>

#include <storygate/identity.h>

#include "fuzz.h"

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_span_t part[5] = {{"", 0}, {"", 0}, {"", 0}, {"", 0}, {"", 0}};
    const char *p = (const char *)data, *end = p + size;
    for (int i = 0; i < 5 && p <= end; i++) {
        const char *nul = i < 4 ? memchr(p, '\0', (size_t)(end - p)) : NULL;
        const char *stop = nul != NULL ? nul : end;
        part[i] = sg_span_make(p, (size_t)(stop - p));
        p = stop + 1;
        if (nul == NULL)
            break;
    }
    sg_span_t key = sg_go_trim_space(part[2]), sub = sg_go_trim_space(part[3]);
    FUZZ_CHECK(key.ptr >= part[2].ptr && key.ptr + key.len <= part[2].ptr + part[2].len, "trim left its input");
    sg_span_t id = sg_identity_of(key, sub);

    char hash[SG_IDENTITY_SHORT_HASH_LEN + 1];
    sg_identity_short_hash(hash, part[0], part[1], id);
    FUZZ_CHECK(strlen(hash) == SG_IDENTITY_SHORT_HASH_LEN && is_hex(hash, SG_IDENTITY_SHORT_HASH_LEN), "bad hash");

    char name[SG_IDENTITY_NAME_MAX + 1];
    size_t n = sg_identity_trigger_name(name, part[0], part[1], key, sub);
    FUZZ_CHECK(n <= SG_IDENTITY_NAME_MAX && name[n] == '\0', "trigger name length %zu", n);
    FUZZ_CHECK((n == 0) == (id.len == 0), "empty name iff empty identity (name %zu, identity %zu)", n, id.len);
    n = sg_identity_run_name(name, part[0], part[1], id);
    FUZZ_CHECK(n <= SG_IDENTITY_NAME_MAX && name[n] == '\0', "run name length %zu", n);

    sg_buf_t q = SG_BUF_INIT;
    FUZZ_CHECK(sg_go_quote(&q, part[1].ptr, part[1].len) == SG_OK, "quote failed");
    FUZZ_CHECK(q.len >= 2 && q.base[0] == '"' && q.base[q.len - 1] == '"', "quote not delimited");
    FUZZ_CHECK(sg_utf8_valid(q.base, q.len), "quoted form is not valid UTF-8");
    sg_buf_dispose(&q);

    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_buf_t canon = SG_BUF_INIT;
    char in_hash[SG_IDENTITY_INPUT_HASH_LEN + 1];
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_identity_input_hash(in_hash, part[4].ptr, part[4].len, &arena, &canon, &err);
    if (rc == SG_OK) {
        FUZZ_CHECK(strlen(in_hash) == SG_IDENTITY_INPUT_HASH_LEN && is_hex(in_hash, SG_IDENTITY_INPUT_HASH_LEN),
                   "bad input hash");
        /* the canonical form is a fixed point: hashing it again gives the same hash */
        char again[SG_IDENTITY_INPUT_HASH_LEN + 1];
        sg_buf_t canon2 = SG_BUF_INIT;
        sg_error_t err2 = SG_ERROR_INIT;
        FUZZ_CHECK(sg_identity_input_hash(again, canon.base, canon.len, &arena, &canon2, &err2) == SG_OK,
                   "canonical form does not hash: %s", err2.message);
        FUZZ_CHECK(strcmp(in_hash, again) == 0, "canonical form hashes differently");
        sg_buf_dispose(&canon2);
    } else {
        FUZZ_CHECK(strncmp(err.message, "decode trigger inputs: ", 23) == 0, "message: %s", err.message);
    }
    sg_buf_dispose(&canon);
    sg_arena_dispose(&arena);
    return 0;
}
