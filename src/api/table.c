/* meta.k8s.io/v1 Tables (what kubectl asks for to print): the Name column plus the CRD's printer columns, date
 * columns rendered as the apiserver does (a human duration relative to now), and rows carrying the object's
 * metadata (or the whole object) so kubectl can decode them. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

void sg_api__human_duration(char *out, size_t size, int64_t seconds)
{
    if (seconds < -1) {
        snprintf(out, size, "<invalid>");
        return;
    }
    if (seconds < 0)
        seconds = 0;
    if (seconds < 120) {
        snprintf(out, size, "%" PRId64 "s", seconds);
        return;
    }
    int64_t minutes = seconds / 60;
    if (minutes < 10) {
        int64_t s = seconds % 60;
        if (s == 0)
            snprintf(out, size, "%" PRId64 "m", minutes);
        else
            snprintf(out, size, "%" PRId64 "m%" PRId64 "s", minutes, s);
        return;
    }
    if (minutes < 180) {
        snprintf(out, size, "%" PRId64 "m", minutes);
        return;
    }
    int64_t hours = seconds / 3600;
    if (hours < 8) {
        int64_t m = minutes % 60;
        if (m == 0)
            snprintf(out, size, "%" PRId64 "h", hours);
        else
            snprintf(out, size, "%" PRId64 "h%" PRId64 "m", hours, m);
    } else if (hours < 48) {
        snprintf(out, size, "%" PRId64 "h", hours);
    } else if (hours < 24 * 8) {
        int64_t h = hours % 24;
        if (h == 0)
            snprintf(out, size, "%" PRId64 "d", hours / 24);
        else
            snprintf(out, size, "%" PRId64 "d%" PRId64 "h", hours / 24, h);
    } else if (hours < 24 * 365 * 2) {
        snprintf(out, size, "%" PRId64 "d", hours / 24);
    } else if (hours < 24 * 365 * 8) {
        int64_t dy = (hours / 24) % 365;
        if (dy == 0)
            snprintf(out, size, "%" PRId64 "y", hours / 24 / 365);
        else
            snprintf(out, size, "%" PRId64 "y%" PRId64 "d", hours / 24 / 365, dy);
    } else {
        snprintf(out, size, "%" PRId64 "y", hours / 24 / 365);
    }
}

int64_t sg_api__parse_time(const char *s, size_t len)
{
    struct tm tm;
    char buf[40];
    if (s == NULL || len < 20 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == NULL)
        return -1;
    if (*end == '.') /* fractional seconds */
        while (*++end >= '0' && *end <= '9')
            ;
    if (strcmp(end, "Z") != 0)
        return -1;
    return (int64_t)timegm(&tm);
}

static void column_defs(sg_buf_t *out, const sg_api__resource_t *res)
{
    sg_buf_puts(out, ",\"columnDefinitions\":[{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\","
                     "\"description\":\"Name must be unique within a namespace.\",\"priority\":0}");
    for (const sg_api__column_t *c = res->columns; c->name != NULL; c++) {
        sg_buf_printf(out, ",{\"name\":\"%s\",\"type\":\"%s\",\"format\":\"%s\",\"description\":", c->name, c->type,
                      c->format);
        sg_json_write_string(out, c->description, strlen(c->description));
        sg_buf_puts(out, ",\"priority\":0}");
    }
    sg_buf_putc(out, ']');
}

static void cell(sg_buf_t *out, const sg_api__column_t *c, const sg_json_t *obj, int64_t now)
{
    const sg_json_t *v = sg_json_path(obj, c->path);
    if (v == NULL || v->type == SG_JSON_NULL) {
        sg_buf_puts(out, "null");
        return;
    }
    if (strcmp(c->type, "date") == 0 && v->type == SG_JSON_STRING) {
        int64_t t = sg_api__parse_time(v->u.string.ptr, v->u.string.len);
        char d[32];
        if (t < 0)
            snprintf(d, sizeof(d), "<invalid>");
        else
            sg_api__human_duration(d, sizeof(d), now - t);
        sg_json_write_string(out, d, strlen(d));
        return;
    }
    if (v->type == SG_JSON_STRING || v->type == SG_JSON_NUMBER || v->type == SG_JSON_BOOL) {
        sg_json_encode(out, v);
        return;
    }
    sg_buf_puts(out, "null");
}

int sg_api__table_write(sg_buf_t *out, const sg_api__resource_t *res, const sg_json_t *const *items, size_t n,
                        uint64_t resource_version, int include_object, int with_columns, int64_t now)
{
    sg_buf_printf(
        out, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"%" PRIu64 "\"}",
        resource_version);
    if (with_columns)
        column_defs(out, res);
    sg_buf_puts(out, ",\"rows\":[");
    for (size_t i = 0; i < n; i++) {
        const sg_json_t *obj = items[i];
        size_t nlen = 0;
        const char *name = sg_json_string(sg_json_path(obj, "metadata.name"), &nlen);
        sg_buf_puts(out, i ? ",{\"cells\":[" : "{\"cells\":[");
        if (name != NULL)
            sg_json_write_string(out, name, nlen);
        else
            sg_buf_puts(out, "\"\"");
        for (const sg_api__column_t *c = res->columns; c->name != NULL; c++) {
            sg_buf_putc(out, ',');
            cell(out, c, obj, now);
        }
        sg_buf_putc(out, ']');
        if (include_object == 2) {
            sg_buf_puts(out, ",\"object\":");
            sg_json_encode(out, obj);
        } else if (include_object == 1) {
            sg_buf_puts(out, ",\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\","
                             "\"metadata\":");
            const sg_json_t *md = sg_json_get(obj, "metadata");
            if (md != NULL)
                sg_json_encode(out, md);
            else
                sg_buf_puts(out, "{}");
            sg_buf_putc(out, '}');
        }
        sg_buf_putc(out, '}');
    }
    sg_buf_puts(out, "]}");
    return out->oom ? SG_ENOMEM : SG_OK;
}

int sg_api__list_begin(sg_buf_t *out, const sg_api__resource_t *res, uint64_t rv)
{
    sg_buf_printf(
        out, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%" PRIu64 "\"},\"items\":[",
        res->list_kind, res->api_version, rv);
    return out->oom ? SG_ENOMEM : SG_OK;
}

int sg_api__list_end(sg_buf_t *out)
{
    sg_buf_puts(out, "]}\n");
    return out->oom ? SG_ENOMEM : SG_OK;
}
