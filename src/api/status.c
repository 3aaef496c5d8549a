/* Kubernetes Status bodies for failed requests, with the apiserver's reasons and messages
 * (`storytriggers.runs.bubustack.io "x" not found`), so kubectl and client-go classify errors correctly. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *sg_api__status_reason(int code)
{
    switch (code) {
    case 400:
        return "BadRequest";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "NotFound";
    case 405:
        return "MethodNotAllowed";
    case 406:
        return "NotAcceptable";
    case 409:
        return "AlreadyExists";
    case 410:
        return "Expired";
    case 413:
        return "RequestEntityTooLarge";
    case 415:
        return "UnsupportedMediaType";
    case 422:
        return "Invalid";
    case 429:
        return "TooManyRequests";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "Timeout";
    default:
        return "InternalError";
    }
}

int sg_api__status_write(sg_buf_t *out, int code, const char *reason, const char *message, const char *name,
                         const sg_api__resource_t *res)
{
    if (reason == NULL)
        reason = sg_api__status_reason(code);
    sg_buf_puts(out, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":");
    sg_json_write_string(out, message, strlen(message));
    sg_buf_puts(out, ",\"reason\":");
    sg_json_write_string(out, reason, strlen(reason));
    if ((name != NULL && name[0] != '\0') || res != NULL) {
        sg_buf_puts(out, ",\"details\":{");
        int first = 1;
        if (name != NULL && name[0] != '\0') {
            sg_buf_puts(out, "\"name\":");
            sg_json_write_string(out, name, strlen(name));
            first = 0;
        }
        if (res != NULL) {
            sg_buf_printf(out, "%s\"group\":\"%s\",\"kind\":\"%s\"", first ? "" : ",", res->group, res->plural);
        }
        sg_buf_putc(out, '}');
    }
    sg_buf_printf(out, ",\"code\":%d}\n", code);
    return out->oom ? SG_ENOMEM : SG_OK;
}

int sg_api__status_for_error(sg_buf_t *out, int rc, const sg_error_t *err, const sg_api__resource_t *res,
                             const char *name)
{
    char msg[SG_ERROR_MSG_MAX + 600];
    /* "storytriggers.runs.bubustack.io", or "namespaces" alone for the core group */
    const char *plural = res != NULL ? res->plural : "objects";
    const char *group = res != NULL ? res->group : "";
    const char *dot = group[0] != '\0' ? "." : "";
    int code;
    const char *reason = NULL;
    switch (rc) {
    case SG_ENOTFOUND:
        code = 404;
        snprintf(msg, sizeof(msg), "%s%s%s \"%s\" not found", plural, dot, group, name != NULL ? name : "");
        break;
    case SG_ECONFLICT:
        if (err != NULL && strstr(err->message, "already exists") == NULL) {
            code = 409;
            reason = "Conflict";
            snprintf(msg, sizeof(msg),
                     "Operation cannot be fulfilled on %s%s%s \"%s\": the object has been modified; please apply "
                     "your changes to the latest version and try again",
                     plural, dot, group, name != NULL ? name : "");
        } else {
            code = 409;
            reason = "AlreadyExists";
            snprintf(msg, sizeof(msg), "%s%s%s \"%s\" already exists", plural, dot, group, name != NULL ? name : "");
        }
        break;
    case SG_EINVALID:
        code = 422;
        snprintf(msg, sizeof(msg), "%s", err != NULL ? err->message : "invalid object");
        break;
    case SG_ELIMIT:
        code = 413;
        snprintf(msg, sizeof(msg), "%s", err != NULL && err->message[0] ? err->message : "request entity too large");
        break;
    case SG_EUNAVAILABLE:
        code = 503;
        snprintf(msg, sizeof(msg), "%s", err != NULL && err->message[0] ? err->message : "the store is unavailable");
        break;
    default:
        code = 500;
        snprintf(msg, sizeof(msg), "%s", err != NULL && err->message[0] ? err->message : sg_error_name(rc));
        break;
    }
    sg_api__status_write(out, code, reason, msg, name, res);
    return code;
}
