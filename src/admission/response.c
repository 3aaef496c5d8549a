/* AdmissionReview response encoding, hand-built in controller-runtime's field order (uid, allowed, status{metadata,
 * message, reason, code}, patch, patchType, auditAnnotations sorted by key, warnings) with a trailing newline. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void put_str(sg_buf_t *out, const char *s)
{
    sg_json_write_string(out, s, strlen(s));
}

/* ,"code":N} without printf: this runs for every review. */
static void put_code(sg_buf_t *out, int code)
{
    char tmp[24], *end = tmp + sizeof(tmp), *p = end;
    unsigned u = code < 0 ? 0u - (unsigned)code : (unsigned)code;
    *--p = '}';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (code < 0)
        *--p = '-';
    sg_buf_puts(out, ",\"code\":");
    sg_buf_append(out, p, (size_t)(end - p));
}

static int cmp_annotation(const void *a, const void *b)
{
    return strcmp(((const sg_admission_annotation_t *)a)->key, ((const sg_admission_annotation_t *)b)->key);
}

int sg_admission__write_response(sg_buf_t *out, const char *api_version, sg_span_t uid, const sg_admission_verdict_t *v,
                                 const char *patch, size_t patch_len)
{
    sg_buf_reserve(out, 160 + uid.len + patch_len + (v->message != NULL ? strlen(v->message) : 0));
    sg_buf_puts(out, "{\"kind\":\"AdmissionReview\",\"apiVersion\":");
    put_str(out, api_version);
    sg_buf_puts(out, ",\"response\":{\"uid\":");
    sg_json_write_string(out, uid.ptr, uid.len);
    sg_buf_puts(out, v->allowed ? ",\"allowed\":true,\"status\":{\"metadata\":{}"
                                : ",\"allowed\":false,\"status\":{\"metadata\":{}");
    if (!v->allowed && v->message != NULL && v->message[0] != '\0') {
        sg_buf_puts(out, ",\"message\":");
        put_str(out, v->message);
    }
    if (!v->allowed && v->status_reason != NULL) {
        sg_buf_puts(out, ",\"reason\":");
        put_str(out, v->status_reason);
    }
    put_code(out, v->allowed ? 200 : v->code);
    if (patch_len != 0) {
        sg_buf_puts(out, ",\"patch\":\"");
        sg_buf_append(out, patch, patch_len);
        sg_buf_puts(out, "\",\"patchType\":\"JSONPatch\"");
    }
    if (v->nannotations != 0) {
        /* Go encodes maps with sorted keys; sort a copy so the verdict stays untouched. */
        sg_admission_annotation_t small[8], *a = small;
        if (v->nannotations > 8 && (a = malloc(v->nannotations * sizeof(*a))) == NULL)
            return SG_ENOMEM;
        memcpy(a, v->annotations, v->nannotations * sizeof(*a));
        qsort(a, v->nannotations, sizeof(*a), cmp_annotation);
        sg_buf_puts(out, ",\"auditAnnotations\":{");
        for (size_t i = 0; i < v->nannotations; i++) {
            if (i != 0)
                sg_buf_putc(out, ',');
            put_str(out, a[i].key);
            sg_buf_putc(out, ':');
            put_str(out, a[i].value);
        }
        sg_buf_putc(out, '}');
        if (a != small)
            free(a);
    }
    if (v->nwarnings != 0) {
        sg_buf_puts(out, ",\"warnings\":[");
        for (size_t i = 0; i < v->nwarnings; i++) {
            if (i != 0)
                sg_buf_putc(out, ',');
            put_str(out, v->warnings[i]);
        }
        sg_buf_putc(out, ']');
    }
    sg_buf_puts(out, "}}\n");
    return out->oom ? SG_ENOMEM : SG_OK;
}

int sg_admission_write_error(sg_buf_t *out, int code, const char *message)
{
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, NULL);
    v.allowed = 0;
    v.code = code;
    v.message = message;
    return sg_admission__write_response(out, SG_ADMISSION__API_V1, sg_span_make("", 0), &v, NULL, 0);
}
