/* libFuzzer target: any bytes as a CEL expression must compile or fail cleanly, and evaluate (with a small JSON
 * document bound as `object` and a tight cost budget) to a value or an error — never crash, hang or leak.
 * Properties: evaluation is deterministic (a second run renders the same result) and succeeds only within budget. */
#include <string.h>

#include <storygate/cel.h>
#include <storygate/json.h>

#include "fuzz.h"

static const char doc[] =
    "{\"metadata\":{\"name\":\"n\",\"labels\":{\"a\":\"b\"}},\"spec\":{\"list\":[1,2.5,\"x\",null,true,"
    "{\"k\":[]}],\"key\":\"github:1\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sg_arena_t doc_arena;
    static sg_json_t *root;
    if (root == NULL) {
        sg_arena_init(&doc_arena, 0);
        if (sg_json_parse(&root, &doc_arena, doc, sizeof(doc) - 1, NULL, NULL) < 0)
            return 0;
    }
    sg_cel_options_t o = SG_CEL_OPTIONS_INIT;
    o.cost_limit = 20000;
    o.max_expr_bytes = 4096;
    sg_cel_program_t *p = NULL;
    if (sg_cel_compile(&p, (const char *)data, size, &o, NULL) < 0)
        return 0;
    sg_arena_t scratch;
    sg_arena_init(&scratch, 0);
    scratch.limit = 16u << 20; /* bounded memory: allocation failures must become error values */
    sg_cel_var_t vars[2] = {{"object", sg_cel_value_from_json(root)}, {"x", sg_cel_int(7)}};
    sg_cel_value_t v, w;
    uint64_t cost = 0;
    sg_buf_t b1 = SG_BUF_INIT, b2 = SG_BUF_INIT;
    int rc1 = sg_cel_eval_ex(&v, &cost, p, vars, 2, 0, &scratch, NULL);
    sg_cel_value_format(&b1, &v);
    sg_cel_value_write_proto_json(&b1, &v);
    int rc2 = sg_cel_eval(&w, p, vars, 2, &scratch, NULL);
    sg_cel_value_format(&b2, &w);
    sg_cel_value_write_proto_json(&b2, &w);
    FUZZ_CHECK(rc1 == rc2, "rc %d then %d", rc1, rc2);
    if (!b1.oom && !b2.oom && rc1 != SG_ENOMEM)
        FUZZ_CHECK(b1.len == b2.len && memcmp(b1.base, b2.base, b1.len) == 0, "%s\nvs\n%s", b1.base, b2.base);
    FUZZ_CHECK(rc1 != SG_OK || cost <= o.cost_limit, "success with cost %llu", (unsigned long long)cost);
    sg_buf_dispose(&b1);
    sg_buf_dispose(&b2);
    sg_arena_dispose(&scratch);
    sg_cel_program_free(p);
    return 0;
}
