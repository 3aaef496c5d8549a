/* ComputeTriggerInputHash (spec §2.5): decode as Go's json.Unmarshal, re-encode as json.Marshal, SHA-256 hex. */
#include <string.h>

#include <storygate/identity.h>

#include "internal.h"

int sg_identity_input_hash_value(char out[SG_IDENTITY_INPUT_HASH_LEN + 1], const sg_json_t *v, sg_buf_t *canonical)
{
    sg_buf_t tmp = SG_BUF_INIT;
    sg_buf_t *b = canonical != NULL ? canonical : sg_identity__scratch();
    if (b == NULL)
        b = &tmp;
    int ret = SG_OK;
    sg_buf_reset(b);
    if (v == NULL || v->type == SG_JSON_NULL)
        ret = sg_buf_append(b, "{}", 2);
    else
        ret = sg_json_encode_go(b, v);
    if (ret == SG_OK) {
        unsigned char md[64];
        sg_span_t part = {b->base, b->len};
        if (sg_identity__digest(SG_IDENTITY__SHA256, md, &part, 1) != 32)
            ret = SG_ENOMEM;
        else
            sg_identity__hex(out, md, 32);
    }
    sg_buf_dispose(&tmp);
    if (ret != SG_OK)
        out[0] = '\0';
    return ret;
}

int sg_identity_input_hash(char out[SG_IDENTITY_INPUT_HASH_LEN + 1], const char *raw, size_t len, sg_arena_t *arena,
                           sg_buf_t *canonical, sg_error_t *err)
{
    out[0] = '\0';
    if (raw == NULL || len == 0)
        return sg_identity_input_hash_value(out, NULL, canonical);
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    opts.dialect = SG_JSON_GO;
    sg_json_t *v = NULL;
    int ret = sg_json_parse(&v, arena, raw, len, &opts, err);
    if (ret < 0) {
        if (ret != SG_ENOMEM)
            sg_error_wrap(err, "decode trigger inputs");
        return ret;
    }
    ret = sg_identity_input_hash_value(out, v, canonical);
    if (ret < 0)
        return sg_error_set(err, ret, "out of memory computing the input hash");
    return SG_OK;
}
