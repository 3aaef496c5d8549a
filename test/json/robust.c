/* Mutated documents: parsing never crashes, the scanner's verdict is final (yajl never disagrees), the dialects
 * agree wherever the input is valid UTF-8, and whatever parses re-encodes and re-parses to an equal value. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/json/internal.h"
#include "helpers.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static const char *const seeds[] = {
    "{\"a\":[1,2.5e-3,-0,\"x\\u00e9\\ud83d\\ude00\",true,false,null,{}],\"b\":{\"c\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}}",
    "[[[[{\"k\":[{\"z\":-12.5E+30}]}]]],\"h\xC3\xA9llo\",\"\xF0\x9F\x98\x80\"]",
    " { \"spec\" : { \"inputs\" : { \"x\" : 1 , \"x\" : [ 0.1 , 1e21 ] } } } ",
};

static const char alphabet[] = "{}[]:,\"\\ 0123456789.eE+-tfnulrsaxu\t\n\r\x01\x7f\x80\xbf\xc3\xed\xf0\xff";

static int accepted;

static void check(const char *in, size_t len)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *g = NULL, *s = NULL;
    sg_error_t eg = SG_ERROR_INIT, es = SG_ERROR_INIT;
    int rg = th_parse(&g, &a, in, len, SG_JSON_GO, &eg);
    int rs = th_parse(&s, &a, in, len, SG_JSON_STRICT, &es);
    sg_json__scan_opts_t so = {SG_JSON_GO, SG_JSON__GO_MAX_DEPTH, 0};
    int scanned = sg_json__scan(in, len, &so, NULL);
    /* a document the scanner accepts is built, or refused only for a number out of range */
    if (scanned == SG_OK)
        cr_assert(rg == SG_OK || strncmp(eg.message, "json: cannot unmarshal number ", 30) == 0, "%s: %s",
                  th_show(in, len), eg.message);
    else
        cr_assert_eq(rg, scanned, "%s", th_show(in, len));
    cr_assert_eq(rg == SG_OK, g != NULL);
    cr_assert_eq(rs == SG_OK, s != NULL);
    if (rs == SG_OK) {
        cr_assert_eq(rg, SG_OK, "%s", th_show(in, len));
        cr_assert(sg_json_equal(s, g), "%s", th_show(in, len));
    } else if (rg == SG_OK && sg_utf8_valid(in, len)) {
        cr_assert_fail("only STRICT refused %s: %s", th_show(in, len), es.message);
    }
    if (rg == SG_OK) {
        accepted++;
        size_t l1, l2;
        char *once = th_encode_go(g, &l1);
        sg_json_t *w;
        cr_assert_eq(th_parse(&w, &a, once, l1, SG_JSON_STRICT, &es), SG_OK, "%s -> %s", th_show(in, len), once);
        cr_assert(sg_json_equal(g, w));
        char *twice = th_encode_go(w, &l2);
        cr_assert(l1 == l2 && memcmp(once, twice, l1) == 0);
        free(once);
        free(twice);
    }
    sg_arena_dispose(&a);
}

Test(json_robust, mutated_documents_keep_every_invariant)
{
    char buf[512];
    for (int iter = 0; iter < 30000; iter++) {
        const char *seed = seeds[iter % 3];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        int edits = 1 + (int)(rnd() % 4);
        for (int e = 0; e < edits; e++) {
            size_t pos = len ? rnd() % len : 0;
            char c = alphabet[rnd() % (sizeof(alphabet) - 1)];
            switch (rnd() % 3) {
            case 0: /* replace */
                if (len > 0)
                    buf[pos] = c;
                break;
            case 1: /* insert */
                if (len + 1 < sizeof(buf)) {
                    memmove(buf + pos + 1, buf + pos, len - pos);
                    buf[pos] = c;
                    len++;
                }
                break;
            default: /* delete */
                if (len > 0) {
                    memmove(buf + pos, buf + pos + 1, len - pos - 1);
                    len--;
                }
                break;
            }
        }
        check(buf, len);
        check(buf, rnd() % (len + 1)); /* every prefix is a truncated document */
    }
    cr_expect_gt(accepted, 2000, "only %d mutated documents parsed", accepted);
}

Test(json_robust, random_bytes_never_crash)
{
    char buf[64];
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = rnd() % sizeof(buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = alphabet[rnd() % (sizeof(alphabet) - 1)];
        check(buf, len);
    }
}
