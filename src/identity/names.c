/* StoryTriggerIdentity, shortHash, DeriveStoryTriggerName and DeriveStoryRunName (spec §2.1-2.4), byte for byte,
 * into fixed buffers: every derived name is at most 253 bytes, so nothing is allocated. */
#include <stdlib.h>
#include <string.h>

#include <storygate/identity.h>

#include "internal.h"

#define TRIGGER_INFIX "-trigger-"
#define TRIGGER_STORY_MAX (SG_IDENTITY_NAME_MAX - 9 - SG_IDENTITY_SHORT_HASH_LEN) /* 228 */
#define RUN_STORY_MAX (SG_IDENTITY_NAME_MAX - 1 - SG_IDENTITY_SHORT_HASH_LEN)     /* 236 */

sg_span_t sg_identity_of(sg_span_t key, sg_span_t submission_id)
{
    return key.len != 0 ? key : submission_id;
}

void sg_identity_short_hash(char out[SG_IDENTITY_SHORT_HASH_LEN + 1], sg_span_t story_ns, sg_span_t story_name,
                            sg_span_t id)
{
    sg_span_t parts[5] = {story_ns, {"/", 1}, story_name, {"/", 1}, id};
    unsigned char md[64];
    /* Only an allocation failure inside OpenSSL fails here; a wrong name would be worse than stopping. */
    if (sg_identity__digest(SG_IDENTITY__SHA1, md, parts, 5) < 8)
        abort();
    sg_identity__hex(out, md, SG_IDENTITY_SHORT_HASH_LEN / 2);
}

static size_t put(char *out, size_t at, const char *s, size_t n)
{
    memcpy(out + at, s, n);
    return at + n;
}

size_t sg_identity_trigger_name(char out[SG_IDENTITY_NAME_MAX + 1], sg_span_t story_ns, sg_span_t story_name,
                                sg_span_t key, sg_span_t submission_id)
{
    sg_span_t id = sg_identity_of(key, submission_id);
    out[0] = '\0';
    if (id.len == 0)
        return 0;
    char h[SG_IDENTITY_SHORT_HASH_LEN + 1];
    sg_identity_short_hash(h, story_ns, story_name, id);
    sg_span_t prefix = story_name;
    if (prefix.len > TRIGGER_STORY_MAX) {
        prefix.len = TRIGGER_STORY_MAX;
        while (prefix.len > 0 && prefix.ptr[prefix.len - 1] == '-')
            prefix.len--;
        if (prefix.len == 0)
            prefix = sg_span_make("s", 1);
    }
    size_t n = put(out, 0, prefix.ptr, prefix.len);
    n = put(out, n, TRIGGER_INFIX, sizeof(TRIGGER_INFIX) - 1);
    n = put(out, n, h, SG_IDENTITY_SHORT_HASH_LEN);
    out[n] = '\0';
    return n;
}

/* Go's simple lower-case mapping, reduced to what lands in [a-z0-9]; anything else maps to 0 (a separator). */
static char alnum_lower(uint32_t cp)
{
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
        return (char)cp;
    if (cp >= 'A' && cp <= 'Z')
        return (char)(cp - 'A' + 'a');
    if (cp == 0x130) /* LATIN CAPITAL LETTER I WITH DOT ABOVE */
        return 'i';
    if (cp == 0x212A) /* KELVIN SIGN */
        return 'k';
    return 0;
}

/* sanitize(token) of §2.4 into s (at most `cap` bytes kept). Returns the full sanitized length; *same is 1 when the
 * sanitized string equals the token byte for byte. */
static size_t sanitize(char *s, size_t cap, sg_span_t token, int *same)
{
    size_t n = 0, i = 0;
    int pending_dash = 0;
    int eq = 1;
    while (i < token.len) {
        size_t w;
        uint32_t cp = sg_go_decode_rune(token.ptr + i, token.len - i, &w);
        char c = alnum_lower(cp);
        i += w;
        if (c == 0) {
            pending_dash = 1;
            continue;
        }
        if (pending_dash && n > 0) {
            if (n < cap)
                s[n] = '-';
            if (eq && (n >= token.len || token.ptr[n] != '-'))
                eq = 0;
            n++;
        }
        pending_dash = 0;
        if (n < cap)
            s[n] = c;
        if (eq && (n >= token.len || token.ptr[n] != c))
            eq = 0;
        n++;
    }
    *same = eq && n == token.len;
    return n;
}

size_t sg_identity_run_name(char out[SG_IDENTITY_NAME_MAX + 1], sg_span_t story_ns, sg_span_t story_name,
                            sg_span_t token)
{
    char s[SG_IDENTITY_NAME_MAX + 1];
    int same;
    size_t slen = sanitize(s, sizeof(s), token, &same);
    char h[SG_IDENTITY_SHORT_HASH_LEN + 1];
    sg_identity_short_hash(h, story_ns, story_name, token);
    int add_hash = !same || story_ns.len != 0;
    if (slen == 0) {
        memcpy(s, h, SG_IDENTITY_SHORT_HASH_LEN);
        slen = SG_IDENTITY_SHORT_HASH_LEN;
        add_hash = 0;
    }
    size_t total = slen + (add_hash ? 1 + SG_IDENTITY_SHORT_HASH_LEN : 0);
    size_t n;
    if (story_name.len < SG_IDENTITY_NAME_MAX && total <= SG_IDENTITY_NAME_MAX - story_name.len - 1) {
        /* total fits, so slen < sizeof(s) and all of s was kept */
        n = put(out, 0, story_name.ptr, story_name.len);
        out[n++] = '-';
        n = put(out, n, s, slen);
        if (add_hash) {
            out[n++] = '-';
            n = put(out, n, h, SG_IDENTITY_SHORT_HASH_LEN);
        }
        out[n] = '\0';
        return n;
    }
    sg_span_t prefix = story_name;
    if (prefix.len > RUN_STORY_MAX) {
        prefix.len = RUN_STORY_MAX;
        while (prefix.len > 0 && prefix.ptr[prefix.len - 1] == '-')
            prefix.len--;
        while (prefix.len > 0 && prefix.ptr[0] == '-') {
            prefix.ptr++;
            prefix.len--;
        }
        /* The same literal fallback as the trigger name; unreachable for names matching the CRD pattern. */
        if (prefix.len == 0)
            prefix = sg_span_make("s", 1);
    }
    n = put(out, 0, prefix.ptr, prefix.len);
    out[n++] = '-';
    n = put(out, n, h, SG_IDENTITY_SHORT_HASH_LEN);
    out[n] = '\0';
    return n;
}
