/* One object against its kind's schema: the structural checks first, then — unless one of them leaves the object in a
 * shape the rules were not written for, as the apiserver decides — the CEL rules under the per-object cost budget. */
#include <string.h>

#include "internal.h"

static int blocking(const sg_field_errors_t *errors, size_t from)
{
    for (size_t i = from; i < errors->len; i++)
        switch (errors->items[i].type) {
        case SG_FIELD_NOT_SUPPORTED:
        case SG_FIELD_REQUIRED:
        case SG_FIELD_TOO_LONG:
        case SG_FIELD_TOO_MANY:
        case SG_FIELD_TYPE_INVALID:
            return 1;
        default:
            break;
        }
    return 0;
}

int sg_schema_validate(const sg_schema_set_t *s, const char *kind, const sg_json_t *obj, const sg_json_t *old_obj,
                       sg_arena_t *arena, sg_field_errors_t *errors, sg_error_t *err)
{
    if (s == NULL || kind == NULL)
        return sg_error_set(err, SG_ENOTFOUND, "no schema for kind %s", kind != NULL ? kind : "(null)");
    const char *api_version = sg_json_string(sg_json_get(obj, "apiVersion"), NULL);
    const sg_schema_kind_t *k = sg_schema__find(s, kind, api_version);
    if (k == NULL && api_version != NULL && sg_schema__find(s, kind, NULL) != NULL)
        return sg_error_set(err, SG_ENOTFOUND, "no schema for %s in version %s", kind, api_version);
    if (k == NULL)
        k = sg_schema__find(s, kind, NULL);
    if (k == NULL)
        return sg_error_set(err, SG_ENOTFOUND, "no schema for kind %s", kind);
    sg_schema_run_t r;
    memset(&r, 0, sizeof(r));
    r.arena = arena;
    r.errors = errors;
    r.budget = SG_SCHEMA_RUNTIME_COST_BUDGET;
    r.match_ctx = s->match_ctx;
    sg_buf_init(&r.path);
    size_t from = errors->len;
    if (obj == NULL) {
        sg_schema__add_raw(&r, SG_FIELD_REQUIRED, "", "Required value");
    } else {
        sg_schema__check(&r, k->root, obj);
        if (!r.nomem && k->root->has_rules_below) {
            if (blocking(errors, from))
                sg_schema__add_raw(&r, SG_FIELD_INVALID, "",
                                   "Invalid value: null: some validation rules were not checked because the object "
                                   "was invalid; correct the existing errors to complete validation");
            else
                sg_schema__rules(&r, k->root, obj, old_obj);
        }
    }
    int nomem = r.nomem || r.path.oom;
    sg_buf_dispose(&r.path);
    if (nomem)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    return SG_OK;
}
