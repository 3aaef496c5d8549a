/* AdmissionReview v1 handling for StoryTriggers: decode once, mutate (JSON Patch) or validate, encode the response. */
#ifndef STORYGATE_ADMISSION_H
#define STORYGATE_ADMISSION_H

#include <stddef.h>

#include <storygate/arena.h>
#include <storygate/buf.h>
#include <storygate/error.h>

typedef enum en_sg_admission_webhook_t {
    SG_ADMISSION_VALIDATE,
    SG_ADMISSION_MUTATE,
} sg_admission_webhook_t;

/* What one review produced, for metrics and logs. Strings are static or live in the request arena. */
typedef struct st_sg_admission_outcome_t {
    int http_status;       /* 200 for every decoded review; 400 when the body is not an AdmissionReview */
    const char *operation; /* "CREATE", "UPDATE", "DELETE", "CONNECT", or "" when undecodable */
    int allowed;
    int ignored;           /* object of another kind: allowed untouched */
    int patched;           /* mutate: a patch was returned */
    const char *reason;    /* short machine reason: "ok", "ignored", a rule name, "malformed", "bad_request" */
    const char *message;   /* the denial or error message, "" when allowed */
    const char *uid;
    const char *name;
    const char *namespace_;
} sg_admission_outcome_t;

typedef struct st_sg_admission_t sg_admission_t;

/** Handles one request body (already size-limited by the caller) for `webhook`. Writes the HTTP response body to
 * `out` (an AdmissionReview JSON, or a one-line JSON error for 400) and fills `outcome`. All per-request memory comes
 * from `arena`. Returns 0, or SG_ENOMEM. Thread-safe: `adm` is read-only after creation. */
int sg_admission_handle(sg_admission_t *adm, sg_admission_webhook_t webhook, const char *content_type,
                        const char *body, size_t len, sg_arena_t *arena, sg_buf_t *out,
                        sg_admission_outcome_t *outcome);

#endif
