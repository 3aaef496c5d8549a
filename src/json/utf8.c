/* UTF-8 decoding as Go's utf8.DecodeRune does it, string unquoting with Go's U+FFFD and surrogate rules, and
 * locale-independent strtod. */
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/utf8.h>

#include "internal.h"

size_t sg_json__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need;
    uint32_t v;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        need = 2;
        v = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        need = 3;
        v = b0 & 0x0f;
        if (b0 == 0xe0)
            lo = 0xa0;
        else if (b0 == 0xed)
            hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        need = 4;
        v = b0 & 0x07;
        if (b0 == 0xf0)
            lo = 0x90;
        else if (b0 == 0xf4)
            hi = 0x8f;
    } else {
        goto bad;
    }
    if (n < need || s[1] < lo || s[1] > hi)
        goto bad;
    v = (v << 6) | (s[1] & 0x3f);
    for (size_t i = 2; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            goto bad;
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return need;
bad:
    *cp = 0xfffd;
    return 1;
}

int sg_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        while (i < len && p[i] < 0x80)
            i++;
        if (i == len)
            break;
        uint32_t cp;
        size_t n = sg_json__utf8_decode(p + i, len - i, &cp);
        if (n == 1)
            return 0;
        i += n;
    }
    return 1;
}

static size_t put_utf8(unsigned char *dst, uint32_t cp)
{
    if (cp < 0x80) {
        if (dst)
            dst[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        if (dst) {
            dst[0] = (unsigned char)(0xc0 | (cp >> 6));
            dst[1] = (unsigned char)(0x80 | (cp & 0x3f));
        }
        return 2;
    }
    if (cp < 0x10000) {
        if (dst) {
            dst[0] = (unsigned char)(0xe0 | (cp >> 12));
            dst[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
            dst[2] = (unsigned char)(0x80 | (cp & 0x3f));
        }
        return 3;
    }
    if (dst) {
        dst[0] = (unsigned char)(0xf0 | (cp >> 18));
        dst[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        dst[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        dst[3] = (unsigned char)(0x80 | (cp & 0x3f));
    }
    return 4;
}

/* Go's getu4: the code unit of a "\uXXXX" at s[0..n), or -1. */
static int32_t getu4(const unsigned char *s, size_t n)
{
    if (n < 6 || s[0] != '\\' || s[1] != 'u')
        return -1;
    int32_t v = 0;
    for (int i = 2; i < 6; i++) {
        int h = sg_hex_digit(s[i]);
        if (h < 0)
            return -1;
        v = (v << 4) | h;
    }
    return v;
}

/* Decodes the body of a validated string token; with dst == NULL only measures. */
static size_t unquote_body(unsigned char *dst, const unsigned char *s, size_t n)
{
    size_t r = 0, w = 0;
    while (r < n) {
        unsigned char c = s[r];
        if (c == '\\' && r + 1 < n) {
            unsigned char e = s[r + 1];
            unsigned char out = 0;
            switch (e) {
            case 'b':
                out = '\b';
                break;
            case 'f':
                out = '\f';
                break;
            case 'n':
                out = '\n';
                break;
            case 'r':
                out = '\r';
                break;
            case 't':
                out = '\t';
                break;
            case 'u': {
                int32_t rr = getu4(s + r, n - r);
                if (rr < 0) { /* unreachable after the scanner; keep the bytes */
                    out = e;
                    break;
                }
                r += 6;
                if (rr >= 0xd800 && rr < 0xe000) {
                    int32_t rr1 = getu4(s + r, n - r);
                    if (rr < 0xdc00 && rr1 >= 0xdc00 && rr1 < 0xe000) {
                        r += 6;
                        uint32_t cp = 0x10000 + (((uint32_t)rr - 0xd800) << 10) + ((uint32_t)rr1 - 0xdc00);
                        w += put_utf8(dst ? dst + w : NULL, cp);
                        continue;
                    }
                    rr = 0xfffd;
                }
                w += put_utf8(dst ? dst + w : NULL, (uint32_t)rr);
                continue;
            }
            default: /* '"', '\\', '/' */
                out = e;
                break;
            }
            if (dst)
                dst[w] = out;
            w++;
            r += 2;
            continue;
        }
        if (c < 0x80) {
            if (dst)
                dst[w] = c;
            w++;
            r++;
            continue;
        }
        uint32_t cp;
        size_t len = sg_json__utf8_decode(s + r, n - r, &cp);
        if (len == 1) {
            w += put_utf8(dst ? dst + w : NULL, 0xfffd);
        } else {
            if (dst)
                memcpy(dst + w, s + r, len);
            w += len;
        }
        r += len;
    }
    return w;
}

char *sg_json__unquote(sg_arena_t *arena, const char *tok, size_t len, int utf8_checked, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)tok + 1;
    size_t n = len >= 2 ? len - 2 : 0;
    /* Without escapes, a string the scanner has checked (or one that is valid anyway) is copied as is. */
    if (memchr(s, '\\', n) == NULL && (utf8_checked || sg_utf8_valid((const char *)s, n))) {
        *out_len = n;
        return sg_arena_strndup(arena, (const char *)s, n);
    }
    size_t w = unquote_body(NULL, s, n);
    unsigned char *dst = sg_arena_alloc(arena, w + 1);
    if (dst == NULL)
        return NULL;
    unquote_body(dst, s, n);
    dst[w] = '\0';
    *out_len = w;
    return (char *)dst;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void init_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

double sg_json__strtod(const char *s, size_t len)
{
    char local[128];
    char *copy = len < sizeof(local) ? local : malloc(len + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, s, len);
    copy[len] = '\0';
    pthread_once(&c_locale_once, init_c_locale);
    double v = c_locale != (locale_t)0 ? strtod_l(copy, NULL, c_locale) : strtod(copy, NULL);
    if (copy != local)
        free(copy);
    return v;
}
