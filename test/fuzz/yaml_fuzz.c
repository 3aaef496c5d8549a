/* libFuzzer target: any bytes as a YAML stream (config files, CRDs, policies). Parsing succeeds or fails with a
 * located message; every parsed document encodes as JSON, and mapping keys report positions. */
#include <string.h>

#include <storygate/yaml.h>

#include "fuzz.h"

static void walk(const sg_json_t *v, unsigned depth)
{
    FUZZ_CHECK(depth <= 200, "tree deeper than the limit");
    if (v->type == SG_JSON_OBJECT) {
        for (size_t i = 0; i < v->u.object.len; i++) {
            uint32_t line = 0, col = 0;
            sg_yaml_key_position(&v->u.object.members[i], &line, &col);
            FUZZ_CHECK(line >= 1 && col >= 1, "mapping key without a position");
            walk(v->u.object.members[i].value, depth + 1);
        }
    } else if (v->type == SG_JSON_ARRAY) {
        for (size_t i = 0; i < v->u.array.len; i++)
            walk(v->u.array.items[i], depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_json_t **docs = NULL;
    size_t ndocs = 0;
    sg_error_t err = SG_ERROR_INIT;
    sg_yaml_opts_t opts = SG_YAML_OPTS_INIT;
    opts.max_nodes = 100000;
    int rc = sg_yaml_parse_opts(&docs, &ndocs, &arena, (const char *)data, size, "fuzz.yaml", &opts, &err);
    if (rc < 0) {
        FUZZ_CHECK(rc == SG_EINVALID || rc == SG_ELIMIT || rc == SG_ENOMEM, "unexpected code %d", rc);
        FUZZ_CHECK(strncmp(err.message, "fuzz.yaml:", 10) == 0, "message without location: %s", err.message);
        goto cleanup;
    }
    for (size_t i = 0; i < ndocs; i++) {
        FUZZ_CHECK(docs[i] != NULL, "document %zu is NULL", i);
        walk(docs[i], 0);
        sg_buf_t b = SG_BUF_INIT;
        FUZZ_CHECK(sg_json_encode(&b, docs[i]) == SG_OK, "encode failed");
        sg_json_t *back = NULL;
        sg_json_parse_opts_t jo = SG_JSON_PARSE_OPTS_INIT;
        jo.max_depth = 1000;
        sg_error_t jerr = SG_ERROR_INIT;
        FUZZ_CHECK(sg_json_parse(&back, &arena, b.base, b.len, &jo, &jerr) == SG_OK,
                   "YAML document encodes to invalid JSON (%s): %.*s", jerr.message, (int)b.len, b.base);
        sg_buf_dispose(&b);
    }
cleanup:
    sg_arena_dispose(&arena);
    return 0;
}
