/* Parsed numbers: the value is strtod's (short lexemes take an exact shortcut), and a value that still has its source
 * lexeme is formatted from the lexeme's digits when they are short enough, exactly as the float64-only formatter
 * writes it. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* Parses `text` (GO dialect) and checks encode_go of the node against sg_json_write_go_number of its value. */
static void check_lexeme(const char *text, size_t len)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *v;
    sg_error_t err = SG_ERROR_INIT;
    int rc = th_parse(&v, &a, text, len, SG_JSON_GO, &err);
    if (rc == SG_OK) {
        cr_assert_eq(v->type, SG_JSON_NUMBER);
        cr_assert_not_null(v->u.number.text);
        /* the value is the correctly rounded one, sign of zero included */
        char *copy = strndup(text, len);
        double want_value = strtod(copy, NULL);
        free(copy);
        cr_assert(memcmp(&want_value, &v->u.number.value, sizeof(double)) == 0, "value of %.*s: %.17g, want %.17g",
                  (int)len, text, v->u.number.value, want_value);
        size_t got_len;
        char *got = th_encode_go(v, &got_len);
        sg_buf_t want = SG_BUF_INIT;
        cr_assert_eq(sg_json_write_go_number(&want, v->u.number.value), SG_OK);
        cr_assert_str_eq(got, want.base, "lexeme %.*s", (int)len, text);
        free(got);
        sg_buf_dispose(&want);
    } else {
        /* only numbers beyond float64 may fail */
        cr_assert(strncmp(err.message, "json: cannot unmarshal number ", 30) == 0, "%.*s: %s", (int)len, text,
                  err.message);
    }
    sg_arena_dispose(&a);
}

Test(json_numbers, go_formatted_output_reencodes_to_itself)
{
    size_t n;
    th_row_t *rows = th_table("go_random_numbers.tsv", &n);
    cr_assert_gt(n, 3000);
    for (size_t i = 0; i < n; i++) {
        sg_arena_t a;
        sg_arena_init(&a, 0);
        sg_json_t *v;
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(th_parse(&v, &a, rows[i].field[1], rows[i].len[1], SG_JSON_STRICT, &err), SG_OK, "line %d: %s",
                     rows[i].lineno, err.message);
        size_t len;
        char *out = th_encode_go(v, &len);
        cr_expect_str_eq(out, rows[i].field[1], "line %d", rows[i].lineno);
        free(out);
        sg_arena_dispose(&a);
    }
    th_table_free(rows, n);
}

Test(json_numbers, hand_picked_lexemes_format_like_their_values)
{
    static const char *const lexemes[] = {
        "1249.5",
        "237.41",
        "-237.41",
        "0.1",
        "0.10",
        "0.30000000000000004",
        "1.0",
        "1.5e-7",
        "15e-8",
        "0.00000015",
        "0.000001",
        "0.0000010",
        "1e-6",
        "9.99999999999999e-7",
        "1e21",
        "1E+21",
        "1e+021",
        "999999999999999.9",
        "123456789012345",
        "1234567890123456",
        "12345678901234567",
        "123456789012345.6",
        "0.123456789012345",
        "0.1234567890123456",
        "1.7976931348623157e308",
        "1.797693134862315e308",
        "2.2250738585072014e-308",
        "2.225073858507201e-308",
        "4.9e-324",
        "5e-324",
        "1e-320",
        "-1.5",
        "-0.5",
        "100.25",
        "1000000000000000000000.5",
        "100000000000000000000",
        "100000000000000000000.0",
        "12.5e0",
        "12.5E-0",
        "12.5e+00000000000000000001",
        "0.0000000000000000000000000000000000000000125e40",
        "125000000000000000000000000000000000000000e-40",
        "9007199254740993",
        "9007199254740992.5",
        "4503599627370495.5",
        "-4503599627370495.5",
        "3.14159",
        "2.5e300",
        "7e-10",
        "1.00000000000001",
        "1.000000000000001",
        "99999999999999.99",
        "0.99999999999999999",
    };
    for (size_t i = 0; i < sizeof(lexemes) / sizeof(lexemes[0]); i++)
        check_lexeme(lexemes[i], strlen(lexemes[i]));
}

Test(json_numbers, random_lexemes_format_like_their_values)
{
    char buf[128];
    for (int iter = 0; iter < 60000; iter++) {
        size_t w = 0;
        if (rnd() % 3 == 0)
            buf[w++] = '-';
        int intd = (int)(rnd() % 18), fracd = (int)(rnd() % 18), lead0 = rnd() % 4 == 0, trail0 = (int)(rnd() % 4);
        if (intd == 0 || lead0) {
            buf[w++] = '0';
        } else {
            buf[w++] = (char)('1' + rnd() % 9);
            for (int i = 1; i < intd; i++)
                buf[w++] = (char)('0' + (rnd() % 4 == 0 ? 0 : rnd() % 10));
        }
        if (fracd > 0 || trail0 > 0) {
            buf[w++] = '.';
            int zeros = lead0 ? (int)(rnd() % 12) : 0;
            for (int i = 0; i < zeros; i++)
                buf[w++] = '0';
            for (int i = 0; i < fracd; i++)
                buf[w++] = (char)('0' + rnd() % 10);
            for (int i = 0; i < trail0; i++)
                buf[w++] = '0';
            if (buf[w - 1] == '.')
                buf[w++] = '5';
        }
        if (rnd() % 2 == 0) {
            static const char *const signs[] = {"e", "E", "e+", "e-", "E-", "e0", "e-00"};
            const char *sg = signs[rnd() % 7];
            memcpy(buf + w, sg, strlen(sg));
            w += strlen(sg);
            int ex = (int)(rnd() % (rnd() % 2 ? 30 : 330));
            w += (size_t)snprintf(buf + w, sizeof(buf) - w, "%d", ex);
        }
        check_lexeme(buf, w);
    }
}
