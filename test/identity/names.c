/* The worked examples of spec §2.2-2.4 and the edges of the byte cuts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <storygate/identity.h>

static sg_span_t S(const char *s)
{
    return sg_span_cstr(s);
}

static const char *run_name(char *buf, const char *ns, const char *story, const char *token)
{
    sg_identity_run_name(buf, S(ns), S(story), S(token));
    return buf;
}

static const char *short_hash(char *buf, const char *ns, const char *story, const char *id)
{
    sg_identity_short_hash(buf, S(ns), S(story), S(id));
    return buf;
}

Test(identity_names, sample_manifest_trigger_name)
{
    char name[SG_IDENTITY_NAME_MAX + 1];
    size_t n = sg_identity_trigger_name(name, S("default"), S("example-story"), S(""), S("sample-submission"));
    cr_expect_str_eq(name, "example-story-trigger-7ae6e94cb44073bc");
    cr_expect_eq(n, strlen(name));
}

Test(identity_names, empty_identity_gives_empty_trigger_name)
{
    char name[SG_IDENTITY_NAME_MAX + 1] = "x";
    cr_expect_eq(sg_identity_trigger_name(name, S("default"), S("story"), S(""), S("")), 0);
    cr_expect_str_eq(name, "");
}

Test(identity_names, key_of_one_space_wins_over_submission)
{
    sg_span_t id = sg_identity_of(S(" "), S("sub"));
    cr_expect(sg_span_eq_cstr(id, " "));
}

Test(identity_names, run_name_examples_of_the_spec)
{
    char buf[SG_IDENTITY_NAME_MAX + 1], h[SG_IDENTITY_SHORT_HASH_LEN + 1], want[300];
    cr_expect_str_eq(run_name(buf, "", "workflow", "abc123"), "workflow-abc123");
    snprintf(want, sizeof(want), "workflow-deploy-42-%s", short_hash(h, "team-a", "workflow", "deploy-42"));
    cr_expect_str_eq(run_name(buf, "team-a", "workflow", "deploy-42"), want);
    snprintf(want, sizeof(want), "workflow-%s", short_hash(h, "", "workflow", "!!!"));
    cr_expect_str_eq(run_name(buf, "", "workflow", "!!!"), want);
}

Test(identity_names, capital_i_with_dot_and_kelvin_sign_lower_to_ascii)
{
    char buf[SG_IDENTITY_NAME_MAX + 1], h[SG_IDENTITY_SHORT_HASH_LEN + 1], want[300];
    snprintf(want, sizeof(want), "story-istanbul-%s", short_hash(h, "default", "story", "\xC4\xB0stanbul"));
    cr_expect_str_eq(run_name(buf, "default", "story", "\xC4\xB0stanbul"), want);
    snprintf(want, sizeof(want), "story-k8s-%s",
             short_hash(h, "default", "story",
                        "\xE2\x84\xAA"
                        "8s"));
    cr_expect_str_eq(run_name(buf, "default", "story",
                              "\xE2\x84\xAA"
                              "8s"),
                     want);
}

Test(identity_names, sharp_s_is_not_folded_and_invalid_bytes_separate)
{
    char buf[SG_IDENTITY_NAME_MAX + 1], h[SG_IDENTITY_SHORT_HASH_LEN + 1], want[300];
    snprintf(want, sizeof(want), "s-a-b-%s",
             short_hash(h, "", "s",
                        "a\xC3\x9F"
                        "b"));
    cr_expect_str_eq(run_name(buf, "", "s",
                              "a\xC3\x9F"
                              "b"),
                     want);
    snprintf(want, sizeof(want), "s-a-b-%s",
             short_hash(h, "", "s",
                        "a\xFF\xFE"
                        "b"));
    cr_expect_str_eq(run_name(buf, "", "s",
                              "a\xFF\xFE"
                              "b"),
                     want);
}

Test(identity_names, runs_of_separators_collapse_and_ends_drop)
{
    char buf[SG_IDENTITY_NAME_MAX + 1], h[SG_IDENTITY_SHORT_HASH_LEN + 1], want[300];
    snprintf(want, sizeof(want), "w-a-b-%s", short_hash(h, "", "w", "--a -- b--"));
    cr_expect_str_eq(run_name(buf, "", "w", "--a -- b--"), want);
    /* already clean and no namespace: no hash */
    cr_expect_str_eq(run_name(buf, "", "w", "a-b"), "w-a-b");
    /* a double dash is not clean */
    snprintf(want, sizeof(want), "w-a-b-%s", short_hash(h, "", "w", "a--b"));
    cr_expect_str_eq(run_name(buf, "", "w", "a--b"), want);
}

Test(identity_names, trigger_name_cut_at_228_bytes_drops_trailing_dashes)
{
    char story[300], name[SG_IDENTITY_NAME_MAX + 1], h[SG_IDENTITY_SHORT_HASH_LEN + 1], want[300];
    memset(story, 'a', 240);
    memset(story + 225, '-', 5);
    story[240] = '\0';
    size_t n = sg_identity_trigger_name(name, S("ns"), S(story), S("k"), S(""));
    snprintf(want, sizeof(want), "%.225s-trigger-%s", story, short_hash(h, "ns", story, "k"));
    cr_expect_str_eq(name, want);
    cr_expect_leq(n, SG_IDENTITY_NAME_MAX);
}

Test(identity_names, trigger_name_of_all_dash_story_falls_back_to_s)
{
    char story[300], name[SG_IDENTITY_NAME_MAX + 1], h[SG_IDENTITY_SHORT_HASH_LEN + 1], want[300];
    memset(story, '-', 260);
    story[260] = '\0';
    sg_identity_trigger_name(name, S("ns"), S(story), S("k"), S(""));
    snprintf(want, sizeof(want), "s-trigger-%s", short_hash(h, "ns", story, "k"));
    cr_expect_str_eq(name, want);
}

Test(identity_names, run_name_drops_token_when_too_long_and_cuts_story_at_236)
{
    char story[300], token[300], buf[SG_IDENTITY_NAME_MAX + 1], h[SG_IDENTITY_SHORT_HASH_LEN + 1], want[300];
    memset(story, 'b', 250);
    story[0] = '-';
    story[250] = '\0';
    run_name(buf, "", story, "tok");
    snprintf(want, sizeof(want), "%.235s-%s", story + 1, short_hash(h, "", story, "tok"));
    cr_expect_str_eq(buf, want);
    /* a story of <= 236 bytes is kept whole (no trimming) when only the token is too long */
    memset(token, 'c', 250);
    token[250] = '\0';
    run_name(buf, "", "-st-", token);
    snprintf(want, sizeof(want), "-st--%s", short_hash(h, "", "-st-", token));
    cr_expect_str_eq(buf, want);
}

Test(identity_names, run_name_fits_exactly_253)
{
    char story[300], buf[SG_IDENTITY_NAME_MAX + 1];
    memset(story, 'x', 200);
    story[200] = '\0';
    char token[60];
    memset(token, 'y', 52);
    token[52] = '\0';
    size_t n = sg_identity_run_name(buf, S(""), S(story), S(token));
    cr_expect_eq(n, 253);
    cr_expect_eq(buf[200], '-');
    cr_expect_eq(buf[201], 'y');
}

Test(identity_names, run_name_of_a_253_byte_story_drops_the_token_and_cuts_to_236)
{
    /* A story name as long as a whole name leaves no room for "-token": the token part is dropped and the story cut
     * to 236 bytes (§2.4 step 6). The size check must not wrap around at exactly 253 bytes. */
    char story[SG_IDENTITY_NAME_MAX + 1], out[SG_IDENTITY_NAME_MAX + 1], h[SG_IDENTITY_SHORT_HASH_LEN + 1];
    for (size_t len = 236; len <= SG_IDENTITY_NAME_MAX; len++) {
        memset(story, 'x', len);
        story[len] = '\0';
        size_t n = sg_identity_run_name(out, S("default"), S(story), S("k1"));
        short_hash(h, "default", story, "k1");
        size_t keep = len > 236 ? 236 : len;
        cr_assert_eq(n, keep + 1 + SG_IDENTITY_SHORT_HASH_LEN, "story of %zu bytes", len);
        cr_assert_eq(memcmp(out, story, keep), 0);
        cr_assert_eq(out[keep], '-');
        cr_assert_str_eq(out + keep + 1, h);
    }
}
