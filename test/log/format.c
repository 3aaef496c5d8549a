/* Tests for log line format: header fields, typed fields, escaping, UTF-8 repair, truncation. */
#include <criterion/criterion.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/log.h>

#include "../common/table.h"
#include "capture.h"

/* Splits captured output into lines; returns the count. */
static size_t split_lines(sg_buf_t *b, char **lines, size_t max)
{
    size_t n = 0;
    char *p = b->base;
    while (p != NULL && *p != '\0' && n < max) {
        char *nl = strchr(p, '\n');
        cr_assert_not_null(nl, "every line ends with a newline");
        *nl = '\0';
        lines[n++] = p;
        p = nl + 1;
    }
    return n;
}

/* Captures exactly one line and parses it. */
static void one_line(flat_t *f, sg_buf_t *b)
{
    *b = capture_stop();
    char *lines[2];
    cr_assert_eq(split_lines(b, lines, 2), 1, "want one line, got: %s", b->base);
    cr_assert_eq(flat_parse(f, lines[0], strlen(lines[0])), 0, "not a flat JSON object: %s", lines[0]);
}

Test(log_format, header_has_utc_millisecond_ts_level_and_msg_first)
{
    capture_start();
    sg_log(SG_LOG_WARN, "listening", "addr", SG_LOG_STR, "127.0.0.1:8443", NULL);
    flat_t f;
    sg_buf_t b;
    one_line(&f, &b);
    cr_assert_eq(f.n, 4);
    cr_assert_str_eq(f.keys[0], "ts");
    cr_assert_str_eq(f.keys[1], "level");
    cr_assert_str_eq(f.keys[2], "msg");
    cr_assert_str_eq(f.keys[3], "addr");
    regex_t re;
    cr_assert_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$", REG_EXTENDED), 0);
    cr_assert_eq(regexec(&re, f.vals[0], 0, NULL, 0), 0, "ts = %s", f.vals[0]);
    regfree(&re);
    cr_assert_str_eq(f.vals[1], "warn");
    cr_assert_str_eq(f.vals[2], "listening");
    cr_assert_str_eq(f.vals[3], "127.0.0.1:8443");
    flat_free(&f);
    sg_buf_dispose(&b);
}

Test(log_format, typed_fields_render_as_json_types)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_error_setloc(&err, SG_EINVALID, "policy.yaml", 3, 7, "bad \"rule\"");
    capture_start();
    sg_log_info("fields", "s", SG_LOG_STR, "v", "null", SG_LOG_STR, (const char *)NULL, "strn", SG_LOG_STRN, "ab\0cd",
                (size_t)5, "int", SG_LOG_INT, -42, "i64", SG_LOG_I64, (long long)INT64_MIN, "u64", SG_LOG_U64,
                (unsigned long long)UINT64_MAX, "dbl", SG_LOG_DBL, 0.1, "small", SG_LOG_DBL, 1e-8, "nan", SG_LOG_DBL,
                NAN, "inf", SG_LOG_DBL, -INFINITY, "yes", SG_LOG_BOOL, 7, "no", SG_LOG_BOOL, 0, "err", SG_LOG_ERR, &err,
                "noerr", SG_LOG_ERR, (const sg_error_t *)NULL, NULL);
    flat_t f;
    sg_buf_t b;
    one_line(&f, &b);
    struct {
        const char *key, *val;
        int raw;
    } want[] = {{"s", "v", 0},
                {"null", "null", 1},
                {"int", "-42", 1},
                {"i64", "-9223372036854775808", 1},
                {"u64", "18446744073709551615", 1},
                {"dbl", "0.1", 1},
                {"small", "1e-08", 1},
                {"nan", "NaN", 0},
                {"inf", "-Inf", 0},
                {"yes", "true", 1},
                {"no", "false", 1},
                {"err", "policy.yaml:3:7: bad \"rule\"", 0},
                {"noerr", "null", 1}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        size_t j = 0;
        while (j < f.n && strcmp(f.keys[j], want[i].key) != 0)
            j++;
        cr_assert(j < f.n, "missing %s", want[i].key);
        cr_assert_str_eq(f.vals[j], want[i].val, "%s", want[i].key);
        cr_assert_eq(f.raw[j], want[i].raw, "%s", want[i].key);
    }
    const char *strn = NULL;
    size_t strn_len = 0;
    for (size_t j = 0; j < f.n; j++)
        if (strcmp(f.keys[j], "strn") == 0)
            strn = f.vals[j], strn_len = f.vlens[j];
    cr_assert_eq(strn_len, 5);
    cr_assert_eq(memcmp(strn, "ab\0cd", 5), 0);
    cr_assert_not_null(strstr(b.base, "\"strn\":\"ab\\u0000cd\""));
    flat_free(&f);
    sg_buf_dispose(&b);
}

static int hexbytes(const char *hex, char *out)
{
    if (strcmp(hex, "-") == 0)
        return 0;
    int n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (char)v;
    }
    return n;
}

Test(log_format, strings_are_escaped_and_invalid_utf8_replaced)
{
    size_t nrows;
    th_row_t *rows = th_table_raw("escape_cases.txt", &nrows);
    int cases = 0;
    for (size_t i = 0; i < nrows; i++) {
        cr_assert_eq(rows[i].nfields, 2, "bad case line %d", rows[i].lineno);
        const char *line = rows[i].field[0], *want = rows[i].field[1];
        char in[256];
        int n = hexbytes(line, in);
        capture_start();
        sg_log_info("m", "k", SG_LOG_STRN, in, (size_t)n, NULL);
        sg_buf_t b = capture_stop();
        const char *at = strstr(b.base, "\"k\":");
        cr_assert_not_null(at);
        at += 4;
        cr_assert_eq(strncmp(at, want, strlen(want)), 0, "input %s: got %.*s want %s", line, (int)strlen(want) + 8, at,
                     want);
        cr_assert_eq(at[strlen(want)], '}', "input %s: trailing %s", line, at + strlen(want));
        /* Keys and msg go through the same escaper. */
        capture_start();
        char key[260];
        memcpy(key, in, (size_t)n);
        key[n] = '\0';
        if (memchr(in, 0, (size_t)n) == NULL) {
            sg_log_info(key, key, SG_LOG_INT, 1, NULL);
            sg_buf_t b2 = capture_stop();
            char *expect = NULL;
            cr_assert(asprintf(&expect, "\"msg\":%s,%s:1}\n", want, want) > 0);
            cr_assert_not_null(strstr(b2.base, expect), "got %s want %s", b2.base, expect);
            free(expect);
            sg_buf_dispose(&b2);
        } else {
            sg_buf_t b2 = capture_stop();
            sg_buf_dispose(&b2);
        }
        sg_buf_dispose(&b);
        cases++;
    }
    th_table_free(rows, nrows);
    cr_assert_gt(cases, 20);
}

Test(log_format, logf_formats_message)
{
    capture_start();
    sg_logf(SG_LOG_ERROR, "bind %s:%d failed: %s", "::1", 8443, "in use");
    flat_t f;
    sg_buf_t b;
    one_line(&f, &b);
    cr_assert_eq(f.n, 3);
    cr_assert_str_eq(flat_get(&f, "level"), "error");
    cr_assert_str_eq(flat_get(&f, "msg"), "bind ::1:8443 failed: in use");
    flat_free(&f);
    sg_buf_dispose(&b);
}

Test(log_format, logf_long_message_is_complete)
{
    char *big = malloc(3001);
    memset(big, 'x', 3000);
    big[3000] = '\0';
    capture_start();
    sg_logf(SG_LOG_INFO, "<%s>", big);
    flat_t f;
    sg_buf_t b;
    one_line(&f, &b);
    const char *msg = flat_get(&f, "msg");
    cr_assert_eq(strlen(msg), 3002);
    cr_assert_eq(msg[0], '<');
    cr_assert_eq(msg[3001], '>');
    flat_free(&f);
    sg_buf_dispose(&b);
    free(big);
}

Test(log_format, oversized_value_is_cut_to_a_valid_line)
{
    size_t n = 3 * SG_LOG_LINE_MAX;
    char *big = malloc(n + 1);
    /* Three-byte characters, so a cut in the middle of one would show as invalid UTF-8. */
    for (size_t i = 0; i + 3 <= n; i += 3)
        memcpy(big + i, "\xe2\x82\xac", 3);
    big[n] = '\0';
    capture_start();
    sg_log_info("big", "before", SG_LOG_INT, 1, "v", SG_LOG_STR, big, "after", SG_LOG_INT, 2, NULL);
    flat_t f;
    sg_buf_t b;
    one_line(&f, &b);
    cr_assert_leq(b.len, SG_LOG_LINE_MAX);
    cr_assert_gt(b.len, SG_LOG_LINE_MAX - 64);
    cr_assert_str_eq(flat_get(&f, "before"), "1");
    cr_assert_null(flat_get(&f, "after"));
    cr_assert_str_eq(flat_get(&f, "truncated"), "true");
    cr_assert_eq(strlen(flat_get(&f, "v")) % 3, 0);
    flat_free(&f);
    sg_buf_dispose(&b);
    free(big);
}

Test(log_format, oversized_key_drops_the_field)
{
    size_t n = 2 * SG_LOG_LINE_MAX;
    char *big = malloc(n + 1);
    memset(big, '"', n); /* every byte doubles when escaped */
    big[n] = '\0';
    capture_start();
    sg_log_info("big", "before", SG_LOG_STR, "x", big, SG_LOG_INT, 5, NULL);
    flat_t f;
    sg_buf_t b;
    one_line(&f, &b);
    cr_assert_leq(b.len, SG_LOG_LINE_MAX);
    cr_assert_eq(f.n, 5);
    cr_assert_str_eq(flat_get(&f, "before"), "x");
    cr_assert_str_eq(flat_get(&f, "truncated"), "true");
    flat_free(&f);
    sg_buf_dispose(&b);
    free(big);
}

Test(log_format, oversized_msg_is_cut)
{
    size_t n = 2 * SG_LOG_LINE_MAX;
    char *big = malloc(n + 1);
    memset(big, '\n', n);
    big[n] = '\0';
    capture_start();
    sg_log_info(big, "k", SG_LOG_INT, 1, NULL);
    flat_t f;
    sg_buf_t b;
    one_line(&f, &b);
    cr_assert_leq(b.len, SG_LOG_LINE_MAX);
    cr_assert_eq(f.n, 4);
    cr_assert_eq(strspn(flat_get(&f, "msg"), "\n"), strlen(flat_get(&f, "msg")));
    cr_assert_null(flat_get(&f, "k"));
    flat_free(&f);
    sg_buf_dispose(&b);
    free(big);
}

Test(log_format, unknown_field_type_stops_fields_but_keeps_line_valid)
{
    capture_start();
    sg_log_info("m", "a", SG_LOG_INT, 1, "b", 999, 3, "c", SG_LOG_INT, 4, NULL);
    flat_t f;
    sg_buf_t b;
    one_line(&f, &b);
    cr_assert_str_eq(flat_get(&f, "a"), "1");
    cr_assert_str_eq(flat_get(&f, "badfield"), "b");
    cr_assert_null(flat_get(&f, "c"));
    flat_free(&f);
    sg_buf_dispose(&b);
}
