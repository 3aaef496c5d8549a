/* Helpers only the json tests need: base64, parse/encode shortcuts, printable bytes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

char *th_base64(const char *s, size_t len, size_t *out_len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(len / 4 * 3 + 4);
    size_t w = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=')
            break;
        const char *p = memchr(alphabet, s[i], 64);
        if (p == NULL) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[w++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[w] = '\0';
    *out_len = w;
    return out;
}

int th_parse(sg_json_t **out, sg_arena_t *arena, const char *s, size_t len, sg_json_dialect_t dialect, sg_error_t *err)
{
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    opts.dialect = dialect;
    return sg_json_parse(out, arena, s, len, &opts, err);
}

char *th_encode_go(const sg_json_t *v, size_t *len)
{
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_json_encode_go(&b, v), SG_OK);
    return sg_buf_detach(&b, len);
}

const char *th_show(const char *s, size_t len)
{
    static char out[4096];
    size_t w = 0;
    for (size_t i = 0; i < len && w + 5 < sizeof(out); i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[w++] = (char)c;
        else
            w += (size_t)snprintf(out + w, sizeof(out) - w, "\\x%02X", c);
    }
    out[w] = '\0';
    return out;
}
