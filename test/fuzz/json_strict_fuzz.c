/* libFuzzer target: any bytes through the strict request-body parser. Whatever parses must re-encode (compact form)
 * to bytes that parse again and encode identically, and to an equal value. */
#include <string.h>

#include <storygate/json.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_buf_t a = SG_BUF_INIT, b = SG_BUF_INIT;
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    opts.max_depth = 512;
    sg_json_t *v = NULL, *w = NULL;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_json_parse(&v, &arena, (const char *)data, size, &opts, &err);
    if (rc < 0) {
        FUZZ_CHECK(rc == SG_EINVALID || rc == SG_ELIMIT || rc == SG_ENOMEM, "unexpected code %d", rc);
        FUZZ_CHECK(err.message[0] != '\0', "error without a message (code %d)", rc);
        goto cleanup;
    }
    FUZZ_CHECK(v != NULL, "success without a value");
    FUZZ_CHECK(sg_json_encode(&a, v) == SG_OK, "encode failed");
    FUZZ_CHECK(sg_utf8_valid(a.base, a.len), "encoding is not valid UTF-8");
    rc = sg_json_parse(&w, &arena, a.base, a.len, &opts, &err);
    FUZZ_CHECK(rc == SG_OK, "re-parse of the encoding failed: %s\n  encoding: %.*s", err.message, (int)a.len, a.base);
    FUZZ_CHECK(sg_json_encode(&b, w) == SG_OK, "second encode failed");
    FUZZ_CHECK(a.len == b.len && memcmp(a.base, b.base, a.len) == 0, "encoding not stable:\n  %.*s\n  %.*s", (int)a.len,
               a.base, (int)b.len, b.base);
    FUZZ_CHECK(sg_json_equal(v, w), "re-parsed value differs");
    FUZZ_CHECK(sg_json_equal(v, sg_json_clone(&arena, v)), "clone differs");
cleanup:
    sg_buf_dispose(&a);
    sg_buf_dispose(&b);
    sg_arena_dispose(&arena);
    return 0;
}
