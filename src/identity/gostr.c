/* Go string semantics (strings.TrimSpace, utf8.DecodeRune, strconv.Quote) so messages and names built from
 * client strings match the reference byte for byte, including for invalid UTF-8. */
#include <string.h>

#include <storygate/error.h>
#include <storygate/gostr.h>

#include "internal.h"

sg_span_t sg_span_cstr(const char *s)
{
    sg_span_t r = {s != NULL ? s : "", s != NULL ? strlen(s) : 0};
    return r;
}

sg_span_t sg_span_make(const char *s, size_t len)
{
    sg_span_t r = {s != NULL ? s : "", s != NULL ? len : 0};
    return r;
}

int sg_span_eq(sg_span_t a, sg_span_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int sg_span_eq_cstr(sg_span_t a, const char *s)
{
    return sg_span_eq(a, sg_span_cstr(s));
}

uint32_t sg_go_decode_rune(const char *str, size_t n, size_t *width)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    uint32_t cp, min;
    size_t need;
    *width = 1;
    if (c < 0x80)
        return c;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0xFFFD;
    }
    if (n < need)
        return 0xFFFD;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0xFFFD;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0xFFFD;
    *width = need;
    return cp;
}

static int is_go_space(uint32_t cp)
{
    switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

/* Go's utf8.DecodeLastRune: walks back at most 4 bytes to a start byte and accepts the rune only if it spans
 * exactly to the end. */
static uint32_t decode_last_rune(const char *s, size_t n, size_t *width)
{
    const unsigned char *u = (const unsigned char *)s;
    *width = 1;
    if (u[n - 1] < 0x80)
        return u[n - 1];
    size_t lim = n >= 4 ? n - 4 : 0;
    size_t start = n - 1;
    while (start > lim && (u[start] & 0xC0) == 0x80)
        start--;
    size_t w;
    uint32_t cp = sg_go_decode_rune(s + start, n - start, &w);
    if (start + w != n)
        return 0xFFFD;
    *width = w;
    return cp;
}

sg_span_t sg_go_trim_space(sg_span_t s)
{
    size_t w;
    while (s.len > 0) {
        if ((unsigned char)s.ptr[0] < 0x80) {
            if (!is_go_space((unsigned char)s.ptr[0]))
                break;
            w = 1;
        } else if (!is_go_space(sg_go_decode_rune(s.ptr, s.len, &w))) {
            break;
        }
        s.ptr += w;
        s.len -= w;
    }
    while (s.len > 0) {
        if (!is_go_space(decode_last_rune(s.ptr, s.len, &w)))
            break;
        s.len -= w;
    }
    return s;
}

int sg_go_is_print(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 0x20 && cp < 0x7F;
    return sg_identity__is_print(cp);
}

static const char hexdig[] = "0123456789abcdef";

static void put_hex(char *p, uint32_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) {
        p[i] = hexdig[v & 0xF];
        v >>= 4;
    }
}

int sg_go_quote(sg_buf_t *out, const char *s, size_t len)
{
    if (sg_buf_reserve(out, len + 2) < 0)
        return SG_ENOMEM;
    sg_buf_putc(out, '"');
    size_t i = 0;
    while (i < len) {
        /* Runs of plain printable ASCII go out in one append: the common case for Kubernetes names. */
        size_t j = i;
        while (j < len && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x7F && s[j] != '"' && s[j] != '\\')
            j++;
        if (j > i) {
            sg_buf_append(out, s + i, j - i);
            i = j;
            continue;
        }
        size_t w;
        uint32_t cp = sg_go_decode_rune(s + i, len - i, &w);
        char esc[10];
        esc[0] = '\\';
        if (cp == 0xFFFD && w == 1) {
            esc[1] = 'x';
            put_hex(esc + 2, (unsigned char)s[i], 2);
            sg_buf_append(out, esc, 4);
        } else if (cp == '"' || cp == '\\') {
            esc[1] = (char)cp;
            sg_buf_append(out, esc, 2);
        } else if (cp >= 0x80 && sg_go_is_print(cp)) {
            sg_buf_append(out, s + i, w);
        } else {
            char shortc = 0;
            switch (cp) {
            case '\a':
                shortc = 'a';
                break;
            case '\b':
                shortc = 'b';
                break;
            case '\f':
                shortc = 'f';
                break;
            case '\n':
                shortc = 'n';
                break;
            case '\r':
                shortc = 'r';
                break;
            case '\t':
                shortc = 't';
                break;
            case '\v':
                shortc = 'v';
                break;
            default:
                break;
            }
            if (shortc != 0) {
                esc[1] = shortc;
                sg_buf_append(out, esc, 2);
            } else if (cp < 0x20 || cp == 0x7F) {
                esc[1] = 'x';
                put_hex(esc + 2, cp, 2);
                sg_buf_append(out, esc, 4);
            } else if (cp < 0x10000) {
                esc[1] = 'u';
                put_hex(esc + 2, cp, 4);
                sg_buf_append(out, esc, 6);
            } else {
                esc[1] = 'U';
                put_hex(esc + 2, cp, 8);
                sg_buf_append(out, esc, 10);
            }
        }
        i += w;
    }
    sg_buf_putc(out, '"');
    return out->oom ? SG_ENOMEM : SG_OK;
}
