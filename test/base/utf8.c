/* The shared UTF-8 sequence check: what RFC 3629 allows, and every way a sequence is refused. */
#include <criterion/criterion.h>
#include <string.h>

#include <storygate/error.h>
#include <storygate/utf8.h>

static size_t seq(const char *s, size_t n)
{
    return sg_utf8_seq_len((const unsigned char *)s, n);
}

Test(base_utf8, well_formed_sequences_give_their_length)
{
    cr_assert_eq(seq("a", 1), 1);
    cr_assert_eq(seq("\x7f", 1), 1);
    cr_assert_eq(seq("\xc3\xa9", 2), 2);
    cr_assert_eq(seq("\xe2\x82\xac", 3), 3);
    cr_assert_eq(seq("\xed\x9f\xbf", 3), 3);     /* U+D7FF, just below the surrogates */
    cr_assert_eq(seq("\xf0\x9f\x98\x80", 4), 4); /* U+1F600 */
    cr_assert_eq(seq("\xf4\x8f\xbf\xbf", 4), 4); /* U+10FFFF, the last code point */
    cr_assert_eq(seq("\xc3\xa9tail", 6), 2);
}

Test(base_utf8, overlongs_surrogates_and_out_of_range_are_refused)
{
    cr_assert_eq(seq("\xc0\xaf", 2), 0);
    cr_assert_eq(seq("\xc1\xbf", 2), 0);
    cr_assert_eq(seq("\xe0\x9f\xbf", 3), 0);
    cr_assert_eq(seq("\xf0\x8f\xbf\xbf", 4), 0);
    cr_assert_eq(seq("\xed\xa0\x80", 3), 0);     /* U+D800 */
    cr_assert_eq(seq("\xf4\x90\x80\x80", 4), 0); /* U+110000 */
    cr_assert_eq(seq("\xf5\x80\x80\x80", 4), 0);
}

Test(base_utf8, stray_and_cut_sequences_are_refused)
{
    cr_assert_eq(seq("\x80", 1), 0);
    cr_assert_eq(seq("\xc3", 1), 0);
    cr_assert_eq(seq("\xe2\x82", 2), 0);
    cr_assert_eq(seq("\xe2\x82\xac", 2), 0); /* whole in memory, but only two bytes are given */
    cr_assert_eq(seq("\xe2\x28\xac", 3), 0);
    cr_assert_eq(seq("\xf0\x9f\x98\x28", 4), 0);
    cr_assert_eq(seq("\xc3\x00", 2), 0);
}

/* Error messages go into JSON bodies: a "%.*s" that cuts a multi-byte sequence, or raw bytes, must not make them
 * invalid UTF-8. */
Test(base_utf8, error_messages_are_repaired_to_valid_utf8)
{
    sg_error_t e = SG_ERROR_INIT;
    const char *value = "ab\xE1\x80\x94"; /* "ab" + U+1014 */
    sg_error_set(&e, SG_EINVALID, "got \"%.*s\"", 4, value);
    cr_assert_str_eq(e.message, "got \"ab\xEF\xBF\xBD\xEF\xBF\xBD\"");
    sg_error_set(&e, SG_EINVALID, "x\xFFy \xE1\x80\x94");
    cr_assert_str_eq(e.message, "x\xEF\xBF\xBDy \xE1\x80\x94", "valid sequences are kept");
    sg_error_wrap(&e, "outer \xC3");
    cr_assert_str_eq(e.message, "outer \xEF\xBF\xBD: x\xEF\xBF\xBDy \xE1\x80\x94");
    /* a message filling the buffer with replacements stays within it, cut on a sequence boundary */
    char raw[SG_ERROR_MSG_MAX];
    memset(raw, 0xFF, sizeof(raw) - 1);
    raw[sizeof(raw) - 1] = '\0';
    sg_error_set(&e, SG_EINVALID, "%s", raw);
    size_t n = strlen(e.message);
    cr_assert_lt(n, sizeof(e.message));
    cr_assert_eq(n % 3, 0);
    for (size_t i = 0; i < n; i += 3)
        cr_assert_eq(seq(e.message + i, n - i), 3, "at %zu", i);
}
