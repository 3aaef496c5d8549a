/* Kubernetes Status error bodies mapped onto storygate's error codes. */
#include <string.h>

#include "internal.h"

int sg_kube_status_error(const sg_kube_response_t *resp, sg_error_t *err)
{
    long s = resp->status;
    if (s >= 200 && s < 300)
        return SG_OK;
    int code = s == 404               ? SG_ENOTFOUND
               : s == 409             ? SG_ECONFLICT
               : s == 410             ? SG_ELIMIT
               : s == 400 || s == 422 ? SG_EINVALID
               : s == 429 || s >= 500 ? SG_EUNAVAILABLE
                                      : SG_EIO;
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
    popts.max_depth = 64;
    sg_json_t *st = NULL;
    sg_error_t ignored = SG_ERROR_INIT;
    const char *msg = NULL, *reason = NULL;
    if (resp->body.len > 0 && sg_json_parse(&st, &arena, resp->body.base, resp->body.len, &popts, &ignored) == SG_OK &&
        sg_json_string_eq(sg_json_get(st, "kind"), "Status")) {
        msg = sg_json_string(sg_json_get(st, "message"), NULL);
        reason = sg_json_string(sg_json_get(st, "reason"), NULL);
    }
    if (msg != NULL && msg[0] != '\0')
        sg_error_set(err, code, "%s", msg);
    else
        sg_error_set(err, code, "the server responded with HTTP %ld%s%s", s, reason != NULL ? ": " : "",
                     reason != NULL ? reason : "");
    sg_arena_dispose(&arena);
    return code;
}
