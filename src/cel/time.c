/* Time and number text: RFC 3339 timestamps, Go-style durations ("1h2m3.5s"), Go's shortest 'g' float format, and
 * time-zone offsets read from the system tz database (TZif files under /usr/share/zoneinfo, including the POSIX rule
 * in their footer for instants past the last transition) or given as fixed "+05:30" offsets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define TZIF_MAX (512 * 1024)

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

static int digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return 0;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return 1;
}

int sg_cel__parse_timestamp(const char *s, size_t len, int64_t *sec, int32_t *nsec)
{
    size_t i = 0;
    int y, mo, d, h, mi, se;
    if (!digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' || !digits(s, len, &i, 2, &mo) || i >= len ||
        s[i++] != '-' || !digits(s, len, &i, 2, &d) || i >= len || (s[i] != 'T' && s[i] != 't'))
        return 0;
    i++;
    if (!digits(s, len, &i, 2, &h) || i >= len || s[i++] != ':' || !digits(s, len, &i, 2, &mi) || i >= len ||
        s[i++] != ':' || !digits(s, len, &i, 2, &se))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return 0;
    int32_t ns = 0;
    if (i < len && s[i] == '.') {
        i++;
        int nd = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (nd < 9)
                ns = ns * 10 + (s[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0)
            return 0;
        for (int k = nd; k < 9; k++)
            ns *= 10;
    }
    int64_t off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1, oh, om;
        if (!digits(s, len, &i, 2, &oh) || i >= len || s[i++] != ':' || !digits(s, len, &i, 2, &om) || oh > 23 ||
            om > 59)
            return 0;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return 0;
    }
    if (i != len)
        return 0;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    if (t < SG_CEL_MIN_TS_SEC || t > SG_CEL_MAX_TS_SEC)
        return 0;
    *sec = t;
    *nsec = ns;
    return 1;
}

static size_t frac(char *buf, size_t n, int32_t nsec)
{
    if (nsec == 0)
        return 0;
    char f[16];
    snprintf(f, sizeof(f), "%09d", (int)nsec);
    size_t l = 9;
    while (l > 0 && f[l - 1] == '0')
        l--;
    f[l] = 0;
    return (size_t)snprintf(buf, n, ".%s", f);
}

int sg_cel__format_timestamp(char *buf, size_t n, int64_t sec, int32_t nsec)
{
    int64_t days = floordiv(sec, 86400), rem = sec - days * 86400, y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int o = snprintf(buf, n, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d, (int)(rem / 3600),
                     (int)(rem / 60 % 60), (int)(rem % 60));
    if (o < 0 || (size_t)o >= n)
        return -1;
    o += (int)frac(buf + o, n - (size_t)o, nsec);
    snprintf(buf + o, n - (size_t)o, "Z");
    return 0;
}

int sg_cel__format_duration(char *buf, size_t n, int64_t sec, int32_t nsec)
{
    /* seconds with the shortest fraction, as protobuf's JSON form: "1.5s", "-0.25s" */
    int neg = sec < 0 || (sec == 0 && nsec < 0);
    if (sec < 0 && nsec > 0) {
        sec += 1;
        nsec = 1000000000 - nsec;
    }
    int o = snprintf(buf, n, "%s%lld", neg ? "-" : "", (long long)(sec < 0 ? -sec : sec));
    if (o < 0 || (size_t)o >= n)
        return -1;
    o += (int)frac(buf + o, n - (size_t)o, nsec < 0 ? -nsec : nsec);
    snprintf(buf + o, n - (size_t)o, "s");
    return 0;
}

int sg_cel__parse_duration(const char *s, size_t len, int64_t *sec, int32_t *nsec)
{
    /* Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ or "0"; total within int64 nanoseconds */
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (len - i == 1 && s[i] == '0') {
        *sec = 0;
        *nsec = 0;
        return 1;
    }
    if (i >= len)
        return 0;
    long double total = 0; /* nanoseconds; long double keeps 64 bits of mantissa */
    while (i < len) {
        size_t st = i;
        long double v = 0, scale = 1;
        int any = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (s[i++] - '0');
            any = 1;
        }
        if (i < len && s[i] == '.') {
            i++;
            while (i < len && s[i] >= '0' && s[i] <= '9') {
                scale /= 10;
                v += (s[i++] - '0') * scale;
                any = 1;
            }
        }
        if (!any || i == st)
            return 0;
        long double unit;
        if (i + 1 < len && s[i] == 'n' && s[i + 1] == 's')
            unit = 1, i += 2;
        else if (i + 1 < len && s[i] == 'u' && s[i + 1] == 's')
            unit = 1e3L, i += 2;
        else if (i + 2 < len && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0xB5 && s[i + 2] == 's')
            unit = 1e3L, i += 3;
        else if (i + 2 < len && (unsigned char)s[i] == 0xCE && (unsigned char)s[i + 1] == 0xBC && s[i + 2] == 's')
            unit = 1e3L, i += 3;
        else if (i + 1 < len && s[i] == 'm' && s[i + 1] == 's')
            unit = 1e6L, i += 2;
        else if (i < len && s[i] == 's')
            unit = 1e9L, i += 1;
        else if (i < len && s[i] == 'm')
            unit = 60e9L, i += 1;
        else if (i < len && s[i] == 'h')
            unit = 3600e9L, i += 1;
        else
            return 0;
        total += v * unit;
        if (total > 9223372036854775807.0L)
            return 0;
    }
    int64_t ns = (int64_t)(total + 0.5L);
    if (neg)
        ns = -ns;
    *sec = ns / 1000000000LL;
    *nsec = (int32_t)(ns % 1000000000LL);
    return 1;
}

void sg_cel__format_double(char *buf, size_t n, double v)
{
    if (isnan(v)) {
        snprintf(buf, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == 0) {
        snprintf(buf, n, signbit(v) ? "-0" : "0");
        return;
    }
    /* shortest digits that round-trip */
    char e[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e = "-d.ddde[+-]XX" */
    char mant[32];
    size_t mn = 0;
    const char *p = e;
    int neg = 0;
    if (*p == '-')
        neg = 1, p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            mant[mn++] = *p;
    mant[mn] = 0;
    int exp = atoi(p + 1);
    if (exp < -4 || exp >= 6) {
        /* Go's %g: exponent form below 1e-4 and from 1e6 on, at least two exponent digits */
        if (mn == 1)
            snprintf(buf, n, "%s%ce%c%02d", neg ? "-" : "", mant[0], exp < 0 ? '-' : '+', abs(exp));
        else
            snprintf(buf, n, "%s%c.%se%c%02d", neg ? "-" : "", mant[0], mant + 1, exp < 0 ? '-' : '+', abs(exp));
        return;
    }
    char out[64];
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    if (exp < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int k = -1; k > exp; k--)
            out[o++] = '0';
        for (size_t k = 0; k < mn; k++)
            out[o++] = mant[k];
    } else {
        for (int k = 0; k <= exp; k++)
            out[o++] = (size_t)k < mn ? mant[k] : '0';
        if ((size_t)exp + 1 < mn) {
            out[o++] = '.';
            for (size_t k = (size_t)exp + 1; k < mn; k++)
                out[o++] = mant[k];
        }
    }
    out[o] = 0;
    snprintf(buf, n, "%s", out);
}

/* ---- time zones ---- */

static int64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    if (n == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

/* POSIX TZ offset "[+-]hh[:mm[:ss]]" (west positive); returns chars consumed or 0. */
static int posix_offset(const char *s, int *secs)
{
    int i = 0, sign = 1, h = 0, m = 0, sec = 0;
    if (s[i] == '+' || s[i] == '-')
        sign = s[i++] == '-' ? -1 : 1;
    if (s[i] < '0' || s[i] > '9')
        return 0;
    while (s[i] >= '0' && s[i] <= '9')
        h = h * 10 + (s[i++] - '0');
    if (s[i] == ':') {
        i++;
        while (s[i] >= '0' && s[i] <= '9')
            m = m * 10 + (s[i++] - '0');
        if (s[i] == ':') {
            i++;
            while (s[i] >= '0' && s[i] <= '9')
                sec = sec * 10 + (s[i++] - '0');
        }
    }
    *secs = sign * (h * 3600 + m * 60 + sec);
    return i;
}

static int posix_name(const char *s)
{
    int i = 0;
    if (s[0] == '<') {
        while (s[i] && s[i] != '>')
            i++;
        return s[i] == '>' ? i + 1 : 0;
    }
    while ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))
        i++;
    return i >= 3 ? i : 0;
}

/* A rule date ("Mm.w.d", "Jn", "n") with optional "/time"; gives seconds since the start of the year (local). */
static int posix_rule(const char *s, int64_t year, int64_t *secs)
{
    int i = 0;
    int64_t day;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (s[i] == 'M') {
        int m = 0, w = 0, d = 0;
        i++;
        while (s[i] >= '0' && s[i] <= '9')
            m = m * 10 + (s[i++] - '0');
        if (s[i++] != '.')
            return 0;
        while (s[i] >= '0' && s[i] <= '9')
            w = w * 10 + (s[i++] - '0');
        if (s[i++] != '.')
            return 0;
        while (s[i] >= '0' && s[i] <= '9')
            d = d * 10 + (s[i++] - '0');
        if (m < 1 || m > 12 || w < 1 || w > 5 || d > 6)
            return 0;
        int64_t first = days_from_civil(year, m, 1);
        int wd1 = (int)((first % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
        int64_t dd = (d - wd1 + 7) % 7 + (w - 1) * 7;
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int ml = mdays[m - 1] + (m == 2 && leap);
        while (dd >= ml)
            dd -= 7;
        day = first + dd - days_from_civil(year, 1, 1);
    } else if (s[i] == 'J') {
        int64_t nday = 0;
        i++;
        while (s[i] >= '0' && s[i] <= '9')
            nday = nday * 10 + (s[i++] - '0');
        day = nday - 1 + (leap && nday >= 60);
    } else if (s[i] >= '0' && s[i] <= '9') {
        int64_t nday = 0;
        while (s[i] >= '0' && s[i] <= '9')
            nday = nday * 10 + (s[i++] - '0');
        day = nday;
    } else {
        return 0;
    }
    int t = 7200;
    if (s[i] == '/') {
        i++;
        int k = posix_offset(s + i, &t);
        if (k == 0)
            return 0;
        i += k;
    }
    *secs = day * 86400 + t;
    return i;
}

static int posix_tz(const char *s, int64_t t, int32_t *offset)
{
    int i = posix_name(s), std_off, dst_off;
    if (i == 0)
        return 0;
    int k = posix_offset(s + i, &std_off);
    if (k == 0)
        return 0;
    i += k;
    std_off = -std_off;
    if (s[i] == 0) {
        *offset = std_off;
        return 1;
    }
    k = posix_name(s + i);
    if (k == 0)
        return 0;
    i += k;
    dst_off = std_off + 3600;
    if (s[i] != ',' && s[i] != 0) {
        k = posix_offset(s + i, &dst_off);
        if (k == 0)
            return 0;
        dst_off = -dst_off;
        i += k;
    }
    if (s[i] != ',') {
        *offset = std_off;
        return 1;
    }
    i++;
    int64_t days = floordiv(t + std_off, 86400), y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t ys = days_from_civil(y, 1, 1) * 86400;
    int64_t start, end;
    k = posix_rule(s + i, y, &start);
    if (k == 0 || s[i + k] != ',')
        return 0;
    i += k + 1;
    if (posix_rule(s + i, y, &end) == 0)
        return 0;
    int64_t su = ys + start - std_off, eu = ys + end - dst_off;
    int dst = su < eu ? (t >= su && t < eu) : !(t >= eu && t < su);
    *offset = dst ? dst_off : std_off;
    return 1;
}

static int tzif_offset(const unsigned char *b, size_t n, int64_t t, int32_t *offset)
{
    if (n < 44 || memcmp(b, "TZif", 4) != 0)
        return 0;
    int version = b[4];
    size_t pos = 0;
    int tsize = 4;
    for (int pass = 0; pass < 2; pass++) {
        if (pos + 44 > n || memcmp(b + pos, "TZif", 4) != 0)
            return 0;
        const unsigned char *h = b + pos + 20;
        uint64_t isut = (uint64_t)be(h, 4), isstd = (uint64_t)be(h + 4, 4), leap = (uint64_t)be(h + 8, 4),
                 timecnt = (uint64_t)be(h + 12, 4), typecnt = (uint64_t)be(h + 16, 4),
                 charcnt = (uint64_t)be(h + 20, 4);
        if (isut > 1000 || isstd > 1000 || leap > 1000 || timecnt > 100000 || typecnt > 256 || typecnt == 0 ||
            charcnt > 10000)
            return 0;
        size_t body =
            timecnt * (size_t)tsize + timecnt + typecnt * 6 + charcnt + leap * (size_t)(tsize + 4) + isstd + isut;
        if (pos + 44 + body > n)
            return 0;
        if (pass == 0 && version >= '2') {
            pos += 44 + body;
            tsize = 8;
            continue;
        }
        const unsigned char *times = b + pos + 44;
        const unsigned char *idx = times + timecnt * (size_t)tsize;
        const unsigned char *types = idx + timecnt;
        size_t type = 0;
        /* the first standard-time type applies before the first transition */
        for (size_t k = 0; k < typecnt; k++)
            if (types[k * 6 + 4] == 0) {
                type = k;
                break;
            }
        int after_last = 0;
        if (timecnt > 0 && t >= be(times, tsize)) {
            size_t lo = 0, hi = timecnt;
            while (hi - lo > 1) {
                size_t mid = (lo + hi) / 2;
                if (be(times + mid * (size_t)tsize, tsize) <= t)
                    lo = mid;
                else
                    hi = mid;
            }
            type = idx[lo];
            after_last = lo == timecnt - 1;
            if (type >= typecnt)
                return 0;
        }
        if (tsize == 8 && (after_last || timecnt == 0)) {
            size_t f = pos + 44 + body;
            if (f < n && b[f] == '\n') {
                char rule[128];
                size_t r = 0;
                for (f++; f < n && b[f] != '\n' && r < sizeof(rule) - 1; f++)
                    rule[r++] = (char)b[f];
                rule[r] = 0;
                if (r > 0 && posix_tz(rule, t, offset))
                    return 1;
            }
        }
        *offset = (int32_t)be(types + type * 6, 4);
        return 1;
    }
    return 0;
}

int sg_cel__tz_offset(const char *tz, size_t len, int64_t sec, int32_t *offset)
{
    if (len == 0 || len > 100)
        return -1;
    if (tz[0] == '+' || tz[0] == '-' || (tz[0] >= '0' && tz[0] <= '9')) {
        /* fixed offset "+05:30", "-08:00", "02:00" */
        size_t i = 0;
        int sign = 1, h, m = 0;
        if (tz[0] == '+' || tz[0] == '-')
            sign = tz[i++] == '-' ? -1 : 1;
        if (!digits(tz, len, &i, 2, &h))
            return -1;
        if (i < len && tz[i] == ':')
            i++;
        if (i < len && !digits(tz, len, &i, 2, &m))
            return -1;
        if (i != len || h > 23 || m > 59)
            return -1;
        *offset = sign * (h * 3600 + m * 60);
        return 0;
    }
    if (len == 3 && memcmp(tz, "UTC", 3) == 0) {
        *offset = 0;
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = tz[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-' || ch == '+' || ch == '/'))
            return -1;
        if (ch == '/' && (i == 0 || tz[i - 1] == '/'))
            return -1;
    }
    char path[256];
    snprintf(path, sizeof(path), ZONEINFO_DIR "%.*s", (int)len, tz);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    unsigned char *buf = malloc(TZIF_MAX);
    size_t n = buf != NULL ? fread(buf, 1, TZIF_MAX, f) : 0;
    fclose(f);
    int ok = buf != NULL && tzif_offset(buf, n, sec, offset);
    free(buf);
    return ok ? 0 : -1;
}

/* Exposed for the getters: the civil fields of a (shifted) instant. */
void sg_cel__civil(int64_t sec, int64_t *year, int *month, int *day, int *yday, int *wday, int *hour, int *min, int *s);
void sg_cel__civil(int64_t sec, int64_t *year, int *month, int *day, int *yday, int *wday, int *hour, int *min, int *s)
{
    int64_t days = floordiv(sec, 86400), rem = sec - days * 86400;
    civil_from_days(days, year, month, day);
    *yday = (int)(days - days_from_civil(*year, 1, 1));
    *wday = (int)(((days % 7) + 7 + 4) % 7);
    *hour = (int)(rem / 3600);
    *min = (int)(rem / 60 % 60);
    *s = (int)(rem % 60);
}
