/* Builds one JSON log line within SG_LOG_LINE_MAX bytes: escaping, UTF-8 repair, and cutting at a clean boundary
 * so that even a truncated line is valid JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/utf8.h>

#include "internal.h"

static const char hexdigits[] = "0123456789abcdef";

void sg_log__line_init(sg_log_line_t *l)
{
    l->p = l->stack;
    l->len = 0;
    l->cap = sizeof(l->stack);
    l->full = 0;
}

void sg_log__line_dispose(sg_log_line_t *l)
{
    if (l->p != l->stack)
        free(l->p);
    l->p = l->stack;
    l->len = 0;
    l->cap = sizeof(l->stack);
}

/* Makes room for `n` more bytes while keeping SG_LOG__TAIL spare; 0 when it fits. */
static int reserve(sg_log_line_t *l, size_t n)
{
    if (l->full)
        return -1;
    if (n > SG_LOG_LINE_MAX - SG_LOG__TAIL - l->len)
        return -1;
    size_t need = l->len + n + SG_LOG__TAIL;
    if (need <= l->cap)
        return 0;
    size_t cap = l->cap;
    while (cap < need)
        cap *= 2;
    if (cap > SG_LOG_LINE_MAX)
        cap = SG_LOG_LINE_MAX;
    char *p = l->p == l->stack ? malloc(cap) : realloc(l->p, cap);
    if (p == NULL)
        return -1;
    if (l->p == l->stack)
        memcpy(p, l->stack, l->len);
    l->p = p;
    l->cap = cap;
    return 0;
}

int sg_log__line_raw(sg_log_line_t *l, const char *s, size_t n)
{
    if (reserve(l, n) < 0) {
        l->full = 1;
        return -1;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
    return 0;
}

/* Appends as much of the run [s, s+n) of plain UTF-8 as fits, cut before a character boundary. */
static int put_run(sg_log_line_t *l, const char *s, size_t n)
{
    if (n == 0 || sg_log__line_raw(l, s, n) == 0)
        return 0;
    l->full = 0;
    size_t room = SG_LOG_LINE_MAX - SG_LOG__TAIL - l->len;
    size_t cut = room < n ? room : n;
    while (cut > 0 && cut < n && (s[cut] & 0xC0) == 0x80)
        cut--;
    if (cut > 0)
        sg_log__line_raw(l, s, cut);
    l->full = 1;
    return -1;
}

int sg_log__line_str(sg_log_line_t *l, const char *s, size_t n)
{
    if (sg_log__line_raw(l, "\"", 1) < 0)
        return -1;
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0, i = 0;
    while (i < n) {
        unsigned c = u[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        size_t k = c >= 0x80 ? sg_utf8_seq_len(u + i, n - i) : 0;
        if (k > 0) {
            i += k;
            continue;
        }
        char esc[8];
        size_t elen = 2;
        esc[0] = '\\';
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            if (c < 0x20) {
                memcpy(esc + 1, "u00", 3);
                esc[4] = hexdigits[c >> 4];
                esc[5] = hexdigits[c & 15];
            } else {
                memcpy(esc + 1, "ufffd", 5);
            }
            elen = 6;
        }
        if (put_run(l, s + run, i - run) < 0 || sg_log__line_raw(l, esc, elen) < 0)
            goto cut;
        run = ++i;
    }
    if (put_run(l, s + run, n - run) < 0)
        goto cut;
    if (sg_log__line_raw(l, "\"", 1) < 0)
        goto cut;
    return 0;
cut:
    /* The tail room always holds the closing quote. */
    l->p[l->len++] = '"';
    l->full = 1;
    return -1;
}

int sg_log__line_double(sg_log_line_t *l, double v)
{
    if (isnan(v))
        return sg_log__line_raw(l, "\"NaN\"", 5);
    if (isinf(v))
        return v > 0 ? sg_log__line_raw(l, "\"+Inf\"", 6) : sg_log__line_raw(l, "\"-Inf\"", 6);
    char num[32];
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(num, sizeof(num), "%.*g", prec, v);
        if (strtod(num, NULL) == v)
            break;
    }
    return sg_log__line_raw(l, num, (size_t)n);
}

void sg_log__line_finish(sg_log_line_t *l)
{
    static const char cut[] = ",\"truncated\":true}\n";
    if (l->full) {
        memcpy(l->p + l->len, cut, sizeof(cut) - 1);
        l->len += sizeof(cut) - 1;
    } else {
        memcpy(l->p + l->len, "}\n", 2);
        l->len += 2;
    }
}
