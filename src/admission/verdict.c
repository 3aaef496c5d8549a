/* Building a verdict: the first denial sticks, warnings and audit annotations accumulate, all in the request arena. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <storygate/admission.h>

void sg_admission_verdict_init(sg_admission_verdict_t *v, sg_arena_t *arena)
{
    memset(v, 0, sizeof(*v));
    v->allowed = 1;
    v->code = 200;
    v->arena = arena;
}

static char *vformat(sg_arena_t *arena, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = sg_arena_alloc(arena, (size_t)n + 1);
    if (p != NULL)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

static const char *status_reason_for(int code)
{
    switch (code) {
    case 403:
        return "Forbidden";
    case 503:
        return "ServiceUnavailable";
    case 500:
        return "InternalError";
    case 422:
        return "Invalid";
    case 409:
        return "Conflict";
    case 404:
        return "NotFound";
    case 429:
        return "TooManyRequests";
    default:
        return NULL; /* 400: controller-runtime's Errored sets no reason */
    }
}

int sg_admission_deny(sg_admission_verdict_t *v, int code, const char *rule, const char *fmt, ...)
{
    if (!v->allowed)
        return SG_OK;
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(v->arena, fmt, ap);
    va_end(ap);
    v->allowed = 0;
    v->code = code;
    v->status_reason = status_reason_for(code);
    v->rule = rule;
    v->message = msg != NULL ? msg : "denied";
    return msg != NULL ? SG_OK : SG_ENOMEM;
}

static int grow(sg_admission_verdict_t *v, void **arr, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return SG_OK;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *p = sg_arena_alloc(v->arena, ncap * elem);
    if (p == NULL)
        return SG_ENOMEM;
    if (n != 0)
        memcpy(p, *arr, n * elem);
    *arr = p;
    *cap = ncap;
    return SG_OK;
}

int sg_admission_warn(sg_admission_verdict_t *v, const char *fmt, ...)
{
    if (grow(v, (void **)&v->warnings, v->nwarnings, &v->_capwarnings, sizeof(*v->warnings)) < 0)
        return SG_ENOMEM;
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(v->arena, fmt, ap);
    va_end(ap);
    if (msg == NULL)
        return SG_ENOMEM;
    v->warnings[v->nwarnings++] = msg;
    return SG_OK;
}

int sg_admission_annotate(sg_admission_verdict_t *v, const char *key, const char *value)
{
    char *k = sg_arena_strndup(v->arena, key, strlen(key)), *val = sg_arena_strndup(v->arena, value, strlen(value));
    if (k == NULL || val == NULL)
        return SG_ENOMEM;
    for (size_t i = 0; i < v->nannotations; i++) {
        if (strcmp(v->annotations[i].key, key) == 0) {
            v->annotations[i].value = val;
            return SG_OK;
        }
    }
    if (grow(v, (void **)&v->annotations, v->nannotations, &v->_capannotations, sizeof(*v->annotations)) < 0)
        return SG_ENOMEM;
    v->annotations[v->nannotations].key = k;
    v->annotations[v->nannotations].value = val;
    v->nannotations++;
    return SG_OK;
}
