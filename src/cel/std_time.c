/* Timestamps and durations: the timestamp()/duration() conversions and the get* accessors, with an optional time
 * zone argument (IANA name or fixed offset) for timestamps. */
#include "std.h"

void sg_cel__civil(int64_t sec, int64_t *year, int *month, int *day, int *yday, int *wday, int *hour, int *min, int *s);

SG_CEL_FN(sg_cel__fn_timestamp)
{
    const sg_cel_value_t *v = &a[0];
    if (v->kind == SG_CEL_TIMESTAMP) {
        *out = *v;
        return;
    }
    int64_t s;
    int32_t ns;
    if (v->kind == SG_CEL_STRING) {
        if (!sg_cel__parse_timestamp(v->u.s, v->len, &s, &ns))
            return sg_cel__err(c, out, "cannot parse timestamp '%.*s'", (int)(v->len > 100 ? 100 : v->len), v->u.s);
    } else if (v->kind == SG_CEL_INT) {
        if (v->u.i < SG_CEL_MIN_TS_SEC || v->u.i > SG_CEL_MAX_TS_SEC)
            return sg_cel__err(c, out, "timestamp out of range");
        s = v->u.i;
        ns = 0;
    } else {
        return sg_cel__err_overload(c, out, "timestamp", a, n);
    }
    *out = sg_cel__v(SG_CEL_TIMESTAMP);
    out->u.i = s;
    out->len = (uint32_t)ns;
}

SG_CEL_FN(sg_cel__fn_duration)
{
    const sg_cel_value_t *v = &a[0];
    if (v->kind == SG_CEL_DURATION) {
        *out = *v;
        return;
    }
    int64_t s;
    int32_t ns;
    if (v->kind == SG_CEL_STRING) {
        if (!sg_cel__parse_duration(v->u.s, v->len, &s, &ns))
            return sg_cel__err(c, out, "cannot parse duration '%.*s'", (int)(v->len > 100 ? 100 : v->len), v->u.s);
    } else if (v->kind == SG_CEL_INT) {
        s = v->u.i / 1000000000LL;
        ns = (int32_t)(v->u.i % 1000000000LL);
    } else {
        return sg_cel__err_overload(c, out, "duration", a, n);
    }
    *out = sg_cel__v(SG_CEL_DURATION);
    out->u.i = s;
    out->len = (uint32_t)ns;
}

SG_CEL_FN(sg_cel__fn_time_get)
{
    const char *name = call->u.call.name;
    if (a[0].kind == SG_CEL_DURATION && n == 1) {
        int64_t total_ns = a[0].u.i * 1000000000LL + ((int32_t)a[0].len);
        if (strcmp(name, "getHours") == 0)
            *out = sg_cel__int(total_ns / 3600000000000LL);
        else if (strcmp(name, "getMinutes") == 0)
            *out = sg_cel__int(total_ns / 60000000000LL);
        else if (strcmp(name, "getSeconds") == 0)
            *out = sg_cel__int(total_ns / 1000000000LL);
        else if (strcmp(name, "getMilliseconds") == 0)
            *out = sg_cel__int(total_ns / 1000000LL);
        else
            sg_cel__err_overload(c, out, name, a, n);
        return;
    }
    if (a[0].kind != SG_CEL_TIMESTAMP || (n == 2 && a[1].kind != SG_CEL_STRING))
        return sg_cel__err_overload(c, out, name, a, n);
    int64_t t = a[0].u.i;
    if (n == 2) {
        int32_t off;
        if (sg_cel__tz_offset(a[1].u.s, a[1].len, t, &off) < 0)
            return sg_cel__err(c, out, "unknown time zone '%.*s'", (int)(a[1].len > 100 ? 100 : a[1].len), a[1].u.s);
        t += off;
    }
    int64_t year;
    int month, day, yday, wday, hour, min, sec;
    sg_cel__civil(t, &year, &month, &day, &yday, &wday, &hour, &min, &sec);
    int64_t r;
    if (strcmp(name, "getFullYear") == 0)
        r = year;
    else if (strcmp(name, "getMonth") == 0)
        r = month - 1;
    else if (strcmp(name, "getDayOfYear") == 0)
        r = yday;
    else if (strcmp(name, "getDayOfMonth") == 0)
        r = day - 1;
    else if (strcmp(name, "getDate") == 0)
        r = day;
    else if (strcmp(name, "getDayOfWeek") == 0)
        r = wday;
    else if (strcmp(name, "getHours") == 0)
        r = hour;
    else if (strcmp(name, "getMinutes") == 0)
        r = min;
    else if (strcmp(name, "getSeconds") == 0)
        r = sec;
    else
        r = ((int32_t)a[0].len) / 1000000;
    *out = sg_cel__int(r);
}
