/* String formats the apiserver checks in CRD schemas (kube-openapi's strfmt): date-time and date. Other formats are
 * accepted as any string, as StripUnsupportedFormatsPostProcess leaves most of them unchecked. */
#include <string.h>

#include "internal.h"

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

static int valid_date(const char *s, size_t len)
{
    int y, m, d;
    if (len != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
        return 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

/* RFC 3339 date-time: 2006-01-02T15:04:05[.frac](Z|+07:00); a missing zone is accepted as strfmt does. */
static int valid_date_time(const char *s, size_t len)
{
    int hh, mm, ss;
    if (len < 19 || !valid_date(s, 10) || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' ||
        !digits(s + 11, 2, &hh) || !digits(s + 14, 2, &mm) || !digits(s + 17, 2, &ss))
        return 0;
    if (hh > 23 || mm > 59 || ss > 59)
        return 0;
    size_t i = 19;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start || i - start > 9)
            return 0;
    }
    if (i == len)
        return 1;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len)
        return 1;
    int zh, zm;
    if ((s[i] == '+' || s[i] == '-') && len - i == 6 && s[i + 3] == ':' && digits(s + i + 1, 2, &zh) &&
        digits(s + i + 4, 2, &zm))
        return zh <= 23 && zm <= 59;
    return 0;
}

int sg_schema__valid_format(const char *format, const char *s, size_t len)
{
    if (strcmp(format, "date-time") == 0)
        return valid_date_time(s, len);
    if (strcmp(format, "date") == 0)
        return valid_date(s, len);
    return 1;
}
