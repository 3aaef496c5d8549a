/* float64 -> text as Go's encoding/json writes it: the shortest digit string that reads back to the same float64
 * (closest one among equally short candidates), in plain form for 1e-6 <= |f| < 1e21 and exponent form otherwise. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef struct st_digits_t {
    char d[24]; /* significant digits, no dot */
    int n;
    int exp; /* value = d[0].d[1]...d[n-1] x 10^exp */
} digits_t;

static int reads_back(const digits_t *c, double v)
{
    char tmp[48];
    memcpy(tmp, c->d, (size_t)c->n);
    int len = c->n + snprintf(tmp + c->n, sizeof(tmp) - (size_t)c->n, "e%d", c->exp - (c->n - 1));
    return sg_json__strtod(tmp, (size_t)len) == v;
}

/* The correctly rounded p-digit decimal of v (glibc's printf is exact). */
static void rounded(digits_t *c, double v, int p)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
    c->n = 0;
    const char *s = tmp;
    for (; *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            c->d[c->n++] = *s;
    int sign = 1, e = 0;
    s++;
    if (*s == '-' || *s == '+')
        sign = *s++ == '-' ? -1 : 1;
    for (; *s >= '0' && *s <= '9'; s++)
        e = e * 10 + (*s - '0');
    c->exp = sign * e;
}

/* The next p-digit decimal above (dir > 0) or below (dir < 0) c. */
static void neighbour(digits_t *c, int dir)
{
    int i = c->n - 1;
    if (dir > 0) {
        while (i >= 0 && c->d[i] == '9')
            c->d[i--] = '0';
        if (i < 0) {
            c->d[0] = '1';
            c->exp++;
        } else {
            c->d[i]++;
        }
    } else {
        while (i >= 0 && c->d[i] == '0')
            c->d[i--] = '9';
        if (i < 0) /* the leading digit is never 0, so this cannot happen */
            return;
        c->d[i]--;
        if (c->d[0] == '0') {
            for (int k = 0; k < c->n; k++)
                c->d[k] = '9';
            c->exp--;
        }
    }
}

/* Some p-digit decimal reads back as v: the closest one, or failing that its neighbour on v's other side. */
static int shortest_at(digits_t *out, double v, int p)
{
    digits_t c;
    rounded(&c, v, p);
    if (reads_back(&c, v)) {
        *out = c;
        return 1;
    }
    char tmp[48];
    memcpy(tmp, c.d, (size_t)c.n);
    int len = c.n + snprintf(tmp + c.n, sizeof(tmp) - (size_t)c.n, "e%d", c.exp - (c.n - 1));
    neighbour(&c, sg_json__strtod(tmp, (size_t)len) < v ? 1 : -1);
    if (reads_back(&c, v)) {
        *out = c;
        return 1;
    }
    return 0;
}

static void shortest(digits_t *out, double v)
{
    if (v >= 2.2250738585072014e-308) {
        /* For a normal float64 the read-back interval is narrower than the gap between 15-digit decimals, so it
         * holds at most one: if there is one it is the answer with its trailing zeros dropped; if not, the answer
         * has 16 or 17 digits. One or two conversions instead of a search. */
        if (!shortest_at(out, v, 15) && !shortest_at(out, v, 16))
            rounded(out, v, 17);
    } else {
        int lo = 1, hi = 17;
        rounded(out, v, 17); /* 17 digits always read back */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            digits_t c;
            if (shortest_at(&c, v, mid)) {
                *out = c;
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
    }
    while (out->n > 1 && out->d[out->n - 1] == '0')
        out->n--;
}

/* The digits of a number's source lexeme when it has at most 15 significant digits; 0 when it has more or does not
 * follow the JSON number grammar. For a normal float64 correctly rounded from such a lexeme, those digits (trailing
 * zeros dropped) are the shortest round trip: the read-back interval holds at most one 15-digit decimal (see
 * shortest), and the lexeme padded to 15 digits is in it. This spares the printf/strtod search for parsed values. */
static int lexeme_digits(digits_t *c, const char *s, size_t len)
{
    size_t i = s[0] == '-';
    long k = 0, k0 = -1, intlen = 0, zeros = 0, e = 0;
    int n = 0;
    if (i == len || s[i] < '0' || s[i] > '9' || (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9'))
        return 0;
    for (int frac = 0; frac < 2; frac++) {
        size_t start = i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, k++) {
            if (s[i] == '0') {
                zeros += k0 >= 0;
                continue;
            }
            if (k0 < 0)
                k0 = k;
            if (n + zeros >= 15)
                return 0;
            while (zeros > 0)
                c->d[n++] = '0', zeros--;
            c->d[n++] = s[i];
        }
        if (frac == 1 && i == start)
            return 0;
        if (frac == 0) {
            intlen = k;
            if (i == len || s[i] != '.')
                break;
            i++;
        }
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int neg = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            neg = s[i++] == '-';
        if (i == len || s[i] < '0' || s[i] > '9')
            return 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        if (neg)
            e = -e;
    }
    if (i != len || k0 < 0)
        return 0;
    e += intlen - 1 - k0;
    if (e < -400 || e > 400)
        return 0;
    c->n = n;
    c->exp = (int)e;
    return 1;
}

static int write_number(sg_buf_t *out, double v, const char *text, size_t text_len)
{
    char tmp[400];
    size_t w = 0;
    if (!isfinite(v))
        return sg_buf_append(out, "null", 4);
    if (v == 0)
        return sg_buf_puts(out, signbit(v) ? "-0" : "0");
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        /* integers below 2^53 print exactly as their digits */
        uint64_t u = (uint64_t)fabs(v);
        char *end = tmp + sizeof(tmp), *p = end;
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u != 0);
        if (v < 0)
            *--p = '-';
        return sg_buf_append(out, p, (size_t)(end - p));
    }
    double a = fabs(v);
    digits_t d;
    if (text == NULL || text_len == 0 || a < 2.2250738585072014e-308 || (text[0] == '-') != (v < 0) ||
        !lexeme_digits(&d, text, text_len))
        shortest(&d, a);
    if (v < 0)
        tmp[w++] = '-';
    if (a < 1e-6 || a >= 1e21) {
        tmp[w++] = d.d[0];
        if (d.n > 1) {
            tmp[w++] = '.';
            memcpy(tmp + w, d.d + 1, (size_t)d.n - 1);
            w += (size_t)d.n - 1;
        }
        /* |exp| <= 324 */
        int x = d.exp < 0 ? -d.exp : d.exp;
        tmp[w++] = 'e';
        tmp[w++] = d.exp < 0 ? '-' : '+';
        if (x >= 100)
            tmp[w++] = (char)('0' + x / 100);
        if (x >= 10)
            tmp[w++] = (char)('0' + x / 10 % 10);
        tmp[w++] = (char)('0' + x % 10);
    } else if (d.exp >= 0) {
        /* exp <= 20 here: integer digits, zero padding, then any fraction */
        for (int i = 0; i <= d.exp; i++)
            tmp[w++] = i < d.n ? d.d[i] : '0';
        if (d.n > d.exp + 1) {
            tmp[w++] = '.';
            for (int i = d.exp + 1; i < d.n; i++)
                tmp[w++] = d.d[i];
        }
    } else {
        /* exp >= -6 here */
        tmp[w++] = '0';
        tmp[w++] = '.';
        for (int i = -1; i > d.exp; i--)
            tmp[w++] = '0';
        memcpy(tmp + w, d.d, (size_t)d.n);
        w += (size_t)d.n;
    }
    return sg_buf_append(out, tmp, w);
}

int sg_json_write_go_number(sg_buf_t *out, double v)
{
    return write_number(out, v, NULL, 0);
}

int sg_json__write_go_number_lexeme(sg_buf_t *out, double v, const char *text, size_t len)
{
    return write_number(out, v, text, len);
}
