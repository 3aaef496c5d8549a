/* STRICT documents are built by yajl before (and usually instead of) the scanner runs: mutated documents show that
 * the parse refuses exactly what the scanner refuses, with the scanner's message, under every limit, and that the
 * source spans of what it builds are right. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/json/internal.h"
#include "helpers.h"

static uint64_t rng_state = 0xd1b54a32d192ed03ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static const char *const seeds[] = {
    "{\"a\":[1,2.5e-3,-0,\"x\\u00e9\\ud83d\\ude00\",true,false,null,{}],\"b\":{\"c\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}}",
    "[[[[{\"k\":[{\"z\":-12.5E+30}]}]]],\"h\xC3\xA9llo\",\"\xF0\x9F\x98\x80\",\"\xE2\x82\xAC\"]",
    " { \"spec\" : { \"inputs\" : { \"x\" : 1 , \"x\" : [ 0.1 , 1e21 ] } } } ",
    "{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"object\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},"
    "\"spec\":{\"inputs\":{\"n\":[1,-2.5,1e400,true,null,\"\\u2028\"]}}}}}",
    "[\"\",{},[],\"ab\",0,-1,\"\\\\\",{\"\":\"\"}]",
};

/* Single bytes and short sequences that sit on the grammar's and UTF-8's edges. */
static const char *const pieces[] = {
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\",
    " ",
    "\t",
    "\n",
    "\r",
    "\v",
    "\f",
    "0",
    "1",
    "9",
    ".",
    "e",
    "E",
    "+",
    "-",
    "t",
    "f",
    "n",
    "u",
    "l",
    "r",
    "s",
    "a",
    "x",
    "\\u",
    "\\ud800",
    "\\udc00",
    "true",
    "null",
    "1e400",
    "\x01",
    "\x1f",
    "\x7f",
    "\x80",
    "\xbf",
    "\xc0\xaf",
    "\xc2",
    "\xc2\xa9",
    "\xdf\xbf",
    "\xe0\x80\xaf",
    "\xe0\xa0\x80",
    "\xed\xa0\x80",
    "\xed\x9f\xbf",
    "\xef\xbb\xbf",
    "\xf0\x9f\x98",
    "\xf0\x9f\x98\x80",
    "\xf4\x8f\xbf\xbf",
    "\xf4\x90\x80\x80",
    "\xf5",
    "\xff",
    "/",
    "/*",
    "'",
    "0x1",
    "01",
    "[[[",
    "]]]",
    "{\"k\":",
    "\"\"",
};

typedef struct st_limits_t {
    size_t depth, string;
} limits_t;

static const limits_t limits[] = {{0, 0}, {3, 4}, {2, 1}, {6, 12}};

static int total_accepted;

/* Every node's source span parses (GO dialect) to an equal value. */
static void check_spans(const sg_json_t *v)
{
    cr_assert_not_null(v->raw);
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *again = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(th_parse(&again, &a, v->raw, v->raw_len, SG_JSON_GO, &err), SG_OK, "span %s: %s",
                 th_show(v->raw, v->raw_len), err.message);
    cr_assert(sg_json_equal(v, again), "span %s", th_show(v->raw, v->raw_len));
    sg_arena_dispose(&a);
    if (v->type == SG_JSON_ARRAY)
        for (size_t i = 0; i < v->u.array.len; i++)
            check_spans(v->u.array.items[i]);
    if (v->type == SG_JSON_OBJECT)
        for (size_t i = 0; i < v->u.object.len; i++)
            check_spans(v->u.object.members[i].value);
}

static void agree(const char *in, size_t len)
{
    for (size_t k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
        sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
        opts.max_depth = limits[k].depth;
        opts.max_string = limits[k].string;
        sg_json__scan_opts_t so = {SG_JSON_STRICT, limits[k].depth ? limits[k].depth : SG_JSON__GO_MAX_DEPTH,
                                   limits[k].string};
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_json_t *v = NULL;
        sg_error_t ep = SG_ERROR_INIT, es = SG_ERROR_INIT;
        int rp = sg_json_parse(&v, &a, in, len, &opts, &ep);
        int rs = sg_json__scan(in, len, &so, &es);
        if (rs != SG_OK) {
            cr_assert_eq(rp, rs, "limits %zu: %s: parse %d (%s), scan %d (%s)", k, th_show(in, len), rp, ep.message, rs,
                         es.message);
            cr_assert_str_eq(ep.message, es.message, "%s", th_show(in, len));
            cr_assert_str_eq(ep.path, es.path, "%s", th_show(in, len));
            cr_assert_eq(ep.line, es.line);
            cr_assert_eq(ep.column, es.column);
            cr_assert_null(v);
        } else if (rp != SG_OK) {
            cr_assert_eq(rp, SG_EINVALID, "%s", th_show(in, len));
            cr_assert_not_null(strstr(ep.message, " is out of range"), "%s: %s", th_show(in, len), ep.message);
        } else {
            total_accepted++;
            check_spans(v);
        }
        sg_arena_dispose(&a);
    }
}

Test(json_agreement, strict_parse_refuses_exactly_what_the_scanner_refuses)
{
    char buf[640];
    for (int iter = 0; iter < 40000; iter++) {
        const char *seed = seeds[iter % (sizeof(seeds) / sizeof(seeds[0]))];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        int edits = 1 + (int)(rnd() % 3);
        for (int e = 0; e < edits; e++) {
            size_t pos = len ? rnd() % len : 0;
            const char *p = pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t pl = strlen(p);
            switch (rnd() % 3) {
            case 0: /* overwrite */
                if (pos + pl <= len)
                    memcpy(buf + pos, p, pl);
                break;
            case 1: /* insert */
                if (len + pl < sizeof(buf)) {
                    memmove(buf + pos + pl, buf + pos, len - pos);
                    memcpy(buf + pos, p, pl);
                    len += pl;
                }
                break;
            default: /* delete a few bytes */
                if (len > 0) {
                    size_t n = 1 + rnd() % 3;
                    if (n > len - pos)
                        n = len - pos;
                    memmove(buf + pos, buf + pos + n, len - pos - n);
                    len -= n;
                }
                break;
            }
        }
        agree(buf, len);
        if (iter % 4 == 0)
            agree(buf, rnd() % (len + 1)); /* a truncated document */
    }
    cr_expect_gt(total_accepted, 3000, "only %d documents parsed", total_accepted);
}

Test(json_agreement, unfinished_tokens_after_the_top_level_value_are_refused)
{
    static const char *const docs[] = {"{} \"", "[] t", "{}-",  "[]1.", "{}\"abc", "[] nul",
                                       "{} {",  "[][",  "{}\v", "{}\f", "\v{}",    "[1]\"\\u12"};
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_json_t *v = NULL;
        sg_error_t err = SG_ERROR_INIT;
        cr_expect_eq(th_parse(&v, &a, docs[i], strlen(docs[i]), SG_JSON_STRICT, &err), SG_EINVALID, "%s", docs[i]);
        cr_expect_null(v);
        cr_expect_eq(strncmp(err.message, "invalid JSON at line 1, column ", 31), 0, "%s: %s", docs[i], err.message);
        agree(docs[i], strlen(docs[i]));
        sg_arena_dispose(&a);
    }
}
