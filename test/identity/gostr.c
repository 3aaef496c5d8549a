/* Go string semantics: strings.TrimSpace's exact white space set and strconv.Quote's escapes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <storygate/error.h>
#include <storygate/gostr.h>

static char trimmed[256];

static const char *trim(const char *s)
{
    sg_span_t t = sg_go_trim_space(sg_span_cstr(s));
    snprintf(trimmed, sizeof(trimmed), "%.*s", (int)t.len, t.ptr);
    return trimmed;
}

static char quoted[256];

static const char *quote(const char *s, size_t len)
{
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_go_quote(&b, s, len), SG_OK);
    snprintf(quoted, sizeof(quoted), "%s", b.base);
    sg_buf_dispose(&b);
    return quoted;
}

Test(identity_gostr, trim_space_removes_ascii_and_unicode_spaces)
{
    cr_expect_str_eq(trim(" \t\n\v\f\rabc \r\n"), "abc");
    cr_expect_str_eq(trim("\xC2\x85\xC2\xA0x\xE1\x9A\x80"), "x");                     /* U+0085 U+00A0 / U+1680 */
    cr_expect_str_eq(trim("\xE2\x80\x80\xE2\x80\x8Ax\xE2\x80\xA8\xE2\x80\xA9"), "x"); /* U+2000 U+200A / U+2028-9 */
    cr_expect_str_eq(trim("\xE2\x80\xAFx\xE2\x81\x9F\xE3\x80\x80"), "x");             /* U+202F / U+205F U+3000 */
    cr_expect_str_eq(trim("   "), "");
}

Test(identity_gostr, trim_space_keeps_zero_width_space_bom_and_invalid_bytes)
{
    cr_expect_str_eq(trim("\xE2\x80\x8Bx"), "\xE2\x80\x8Bx"); /* U+200B */
    cr_expect_str_eq(trim("x\xEF\xBB\xBF"), "x\xEF\xBB\xBF"); /* U+FEFF */
    cr_expect_str_eq(trim(" \xFF "), "\xFF");
    cr_expect_str_eq(trim(" \xC2"), "\xC2"); /* truncated U+00A0 is not a space */
}

Test(identity_gostr, quote_plain_ascii)
{
    cr_expect_str_eq(quote("abc-1", 5), "\"abc-1\"");
    cr_expect_str_eq(quote("", 0), "\"\"");
}

Test(identity_gostr, quote_escapes_like_strconv)
{
    cr_expect_str_eq(quote("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    cr_expect_str_eq(quote("\a\b\f\n\r\t\v", 7), "\"\\a\\b\\f\\n\\r\\t\\v\"");
    cr_expect_str_eq(quote("\x01\x1f\x7f", 3), "\"\\x01\\x1f\\x7f\"");
    cr_expect_str_eq(quote("\0", 1), "\"\\x00\"");
}

Test(identity_gostr, quote_keeps_printable_unicode_and_escapes_the_rest)
{
    cr_expect_str_eq(quote("h\xC3\xA9", 3), "\"h\xC3\xA9\"");               /* é kept */
    cr_expect_str_eq(quote("\xF0\x9F\x98\x80", 4), "\"\xF0\x9F\x98\x80\""); /* emoji kept */
    cr_expect_str_eq(quote("\xC2\xA0", 2), "\"\\u00a0\"");                  /* NBSP is not printable in Go */
    cr_expect_str_eq(quote("\xE2\x80\x8B", 3), "\"\\u200b\"");              /* format character */
    cr_expect_str_eq(quote("\xEF\xBB\xBF", 3), "\"\\ufeff\"");
    cr_expect_str_eq(quote("\xF3\xA0\x80\x81", 4), "\"\\U000e0001\""); /* tag character */
    cr_expect_str_eq(quote("\xEF\xBF\xBD", 3), "\"\xEF\xBF\xBD\"");    /* a real U+FFFD is printable */
}

Test(identity_gostr, quote_escapes_invalid_utf8_bytewise)
{
    cr_expect_str_eq(quote("a\xFF"
                           "b",
                           3),
                     "\"a\\xffb\"");
    cr_expect_str_eq(quote("\xE2\x82", 2), "\"\\xe2\\x82\"");
    cr_expect_str_eq(quote("\xED\xA0\x80", 3), "\"\\xed\\xa0\\x80\""); /* encoded surrogate */
}

Test(identity_gostr, decode_rune_rejects_overlong_and_out_of_range)
{
    size_t w;
    cr_expect_eq(sg_go_decode_rune("\xC0\xAF", 2, &w), 0xFFFD);
    cr_expect_eq(w, 1);
    cr_expect_eq(sg_go_decode_rune("\xF4\x90\x80\x80", 4, &w), 0xFFFD);
    cr_expect_eq(sg_go_decode_rune("\xE2\x84\xAA", 3, &w), 0x212A);
    cr_expect_eq(w, 3);
}
