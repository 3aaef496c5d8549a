/* Compiling StoryTriggerPolicy documents: every field is checked (unknown ones too, to catch typos), every CEL
 * expression is compiled and type-checked with object and oldObject typed as StoryTrigger, request as the
 * AdmissionRequest and variables as the variables declared so far, selectors are parsed. Problems are reported as
 * "file:line:column: message" lines and compilation goes on, so one run shows them all. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/yaml.h>

#include "internal.h"

#define MAX_ITEMS 64
#define MAX_CHECK_REFS 256 /* sg_cel_check reports at most this many references */

typedef struct st_ctx_t {
    sg_policy_set_t *set;
    const char *file;
    sg_buf_t *diag;
    int *nerrors;
    sg_policy_t *p;
    const sg_json_t *var_list; /* spec.variables as written, to tell "declared later" from "not declared" */
    sg_cel_env_t *env;         /* declarations for type-checking this document's expressions */
    sg_cel_type_t *variables;  /* the type of `variables`: one field per variable compiled so far */
} ctx_t;

static void report(ctx_t *c, const sg_json_t *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(ctx_t *c, const sg_json_t *at, const char *fmt, ...)
{
    (*c->nerrors)++;
    if (c->diag == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    sg_buf_printf(c->diag, "%s:%u:%u: ", c->file, at != NULL ? at->line : 0, at != NULL ? at->column : 0);
    sg_buf_vprintf(c->diag, fmt, ap);
    sg_buf_putc(c->diag, '\n');
    va_end(ap);
}

/* Reports members of `obj` not in `allowed` (NULL-terminated). */
static void no_unknown(ctx_t *c, const sg_json_t *obj, const char *where, const char *const *allowed)
{
    if (obj == NULL || obj->type != SG_JSON_OBJECT)
        return;
    for (size_t i = 0; i < obj->u.object.len; i++) {
        const sg_json_member_t *m = &obj->u.object.members[i];
        int ok = 0;
        for (size_t k = 0; allowed[k] != NULL && !ok; k++)
            ok = strcmp(allowed[k], m->key) == 0;
        if (!ok) {
            uint32_t line, col;
            sg_yaml_key_position(m, &line, &col);
            sg_json_t at = {.line = line, .column = col};
            report(c, &at, "%s%s%s: unknown field", where, where[0] ? "." : "", m->key);
        }
    }
}

static const sg_json_t *list_of(ctx_t *c, const sg_json_t *parent, const char *key, const char *where)
{
    const sg_json_t *v = sg_json_get(parent, key);
    if (v == NULL || v->type == SG_JSON_NULL)
        return NULL;
    if (v->type != SG_JSON_ARRAY) {
        report(c, v, "%s.%s: must be a list", where, key);
        return NULL;
    }
    if (v->u.array.len > MAX_ITEMS) {
        report(c, v, "%s.%s: at most %d items", where, key, MAX_ITEMS);
        return NULL;
    }
    return v;
}

static const char *string_of(ctx_t *c, const sg_json_t *parent, const char *key, const char *where, int required)
{
    const sg_json_t *v = sg_json_get(parent, key);
    if (v == NULL || v->type == SG_JSON_NULL) {
        if (required)
            report(c, parent, "%s.%s: Required value", where, key);
        return NULL;
    }
    if (v->type != SG_JSON_STRING) {
        report(c, v, "%s.%s: must be a string", where, key);
        return NULL;
    }
    if (required && v->u.string.len == 0) {
        report(c, v, "%s.%s: Required value", where, key);
        return NULL;
    }
    return v->u.string.ptr;
}

static int push_program(sg_policy_set_t *s, sg_cel_program_t *p)
{
    if (s->nprograms == s->capprograms) {
        size_t nc = s->capprograms ? s->capprograms * 2 : 32;
        sg_cel_program_t **np = realloc(s->programs, nc * sizeof(*np));
        if (np == NULL)
            return SG_ENOMEM;
        s->programs = np;
        s->capprograms = nc;
    }
    s->programs[s->nprograms++] = p;
    return SG_OK;
}

/* Turns the free variables an expression reads into the policy's messages: roots other than object, oldObject,
 * request and variables, and variables not declared before. Returns 1 when one was reported. Records the variables
 * read in refs[0..*nrefs), and in *whole whether `variables` is used other than as `variables.<name>`. */
static int check_refs(ctx_t *c, const sg_cel_check_result_t *res, const sg_json_t *at, const char *where,
                      size_t visible, uint16_t *refs, size_t *nrefs, int *whole)
{
    int bad = 0;
    for (size_t r = 0; r < res->nrefs; r++) {
        const char *root = res->refs[r].name, *f = res->refs[r].field;
        if (strcmp(root, "variables") == 0) {
            if (f == NULL) {
                *whole = 1;
                continue;
            }
            size_t i = 0;
            while (i < visible && strcmp(c->p->variables[i].name, f) != 0)
                i++;
            if (i < visible) {
                size_t k = 0;
                while (k < *nrefs && refs[k] != i)
                    k++;
                if (k == *nrefs && *nrefs < 256)
                    refs[(*nrefs)++] = (uint16_t)i;
                continue;
            }
            int later = 0;
            const sg_json_t *vl = c->var_list;
            for (size_t k = 0; vl != NULL && k < vl->u.array.len && !later; k++)
                later = sg_json_string_eq(sg_json_get(vl->u.array.items[k], "name"), f);
            report(c, at, "%s: undeclared reference to 'variables.%s'%s", where, f,
                   later ? " (a variable can only use variables declared before it)" : "");
            bad = 1;
        } else if (!res->refs[r].declared) {
            if (strcmp(root, "namespaceObject") == 0 || strcmp(root, "params") == 0 || strcmp(root, "authorizer") == 0)
                report(c, at,
                       "%s: '%s' is not available in StoryTriggerPolicy (only object, oldObject, request and "
                       "variables are)",
                       where, root);
            else
                report(c, at, "%s: undeclared reference to '%s'", where, root);
            bad = 1;
        }
    }
    return bad;
}

/* The first line of a CEL engine message, without its "ERROR: <input>:" prefix. */
static void cel_message(char *out, size_t size, const char *msg)
{
    const char *p = msg;
    if (strncmp(p, "ERROR: <input>:", 15) == 0)
        p += 15;
    size_t n = strcspn(p, "\n");
    snprintf(out, size, "%.*s", (int)n, p);
}

/* What an audit annotation's valueExpression may evaluate to (null leaves the annotation out). */
#define SG_POLICY_STRING_OR_NULL SG_CEL_T_ERROR

/* Compiles and type-checks one expression; `want` is the type it must evaluate to (SG_CEL_T_DYN: any). `*type`
 * (may be NULL) gets the checked type, dyn when it did not check. */
static int compile_expr(ctx_t *c, sg_policy_expr_t *out, const sg_json_t *src, const char *where, size_t visible,
                        sg_cel_type_kind_t want, const sg_cel_type_t **type)
{
    memset(out, 0, sizeof(*out));
    if (type != NULL)
        *type = sg_cel_type_prim(SG_CEL_T_DYN);
    if (src == NULL || src->type != SG_JSON_STRING || src->u.string.len == 0) {
        report(c, src, "%s: Required value", where);
        return SG_OK;
    }
    sg_error_t e = SG_ERROR_INIT;
    sg_cel_options_t o = SG_CEL_OPTIONS_INIT;
    o.cost_limit = SG_POLICY_PER_CALL_COST_LIMIT;
    sg_cel_program_t *prog = NULL;
    int rc = sg_cel_compile(&prog, src->u.string.ptr, src->u.string.len, &o, &e);
    if (rc == SG_ENOMEM)
        return rc;
    char m[600];
    if (rc < 0) {
        cel_message(m, sizeof(m), e.message);
        report(c, src, "%s: %s", where, m);
        return SG_OK;
    }
    if (push_program(c->set, prog) < 0) {
        sg_cel_program_free(prog);
        return SG_ENOMEM;
    }
    sg_cel_check_result_t res;
    rc = sg_cel_check(&res, c->env, prog, &e);
    if (rc == SG_ENOMEM)
        return rc;
    uint16_t refs[256];
    size_t nrefs = 0;
    int whole = 0;
    if (check_refs(c, &res, src, where, visible, refs, &nrefs, &whole))
        return SG_OK;
    if (res.nrefs >= MAX_CHECK_REFS)
        whole = 1; /* the list may be cut short: the expression gets every visible variable rather than miss one */
    if (whole) {
        for (nrefs = 0; nrefs < visible && nrefs < 256; nrefs++)
            refs[nrefs] = (uint16_t)nrefs;
    }
    if (rc < 0) {
        cel_message(m, sizeof(m), e.message);
        report(c, src, "%s: %s", where, m);
        return SG_OK;
    }
    /* the apiserver's rule and wording; dyn is left to evaluation (gradual typing) */
    sg_cel_type_kind_t k = sg_cel_type_kind(res.type);
    if (want != SG_CEL_T_DYN && k != want && k != SG_CEL_T_DYN &&
        !(want == SG_POLICY_STRING_OR_NULL && (k == SG_CEL_T_STRING || k == SG_CEL_T_NULL))) {
        report(c, src, "%s: %s", where,
               want == SG_CEL_T_BOOL     ? "must evaluate to bool"
               : want == SG_CEL_T_STRING ? "must evaluate to string"
                                         : "must evaluate to one of [string null_type]");
        return SG_OK;
    }
    if (type != NULL)
        *type = res.type;
    out->program = prog;
    out->source = src->u.string.ptr;
    if (nrefs) {
        out->vars = sg_arena_alloc(&c->set->arena, nrefs * sizeof(*out->vars));
        if (out->vars == NULL)
            return SG_ENOMEM;
        memcpy(out->vars, refs, nrefs * sizeof(*out->vars));
        out->nvars = nrefs;
    }
    out->whole = whole;
    return SG_OK;
}

static int valid_name(const char *s, int allow_dots)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!alnum && !(ch == '-' && i > 0 && i + 1 < n) && !(allow_dots && ch == '.' && i > 0 && i + 1 < n))
            return 0;
    }
    return 1;
}

static int valid_ident(const char *s)
{
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return 0;
    for (const char *p = s + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return strlen(s) <= 63;
}

/* A label key: optional DNS prefix and '/', then a name part of 1-63 alphanumerics, '-', '_', '.'. */
static int valid_label_key(const char *k)
{
    const char *slash = strrchr(k, '/');
    const char *name = slash != NULL ? slash + 1 : k;
    size_t n = strlen(name);
    if (n == 0 || n > 63 || (slash != NULL && (slash == k || slash - k > 253)))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && ((i == 0 || i + 1 == n) || (ch != '-' && ch != '_' && ch != '.')))
            return 0;
    }
    return 1;
}

static int compile_selector(ctx_t *c, sg_policy_selector_t *sel, const sg_json_t *j, const char *where)
{
    static const char *const fields[] = {"matchLabels", "matchExpressions", NULL};
    static const char *const req_fields[] = {"key", "operator", "values", NULL};
    memset(sel, 0, sizeof(*sel));
    if (j == NULL || j->type == SG_JSON_NULL)
        return SG_OK;
    if (j->type != SG_JSON_OBJECT) {
        report(c, j, "%s: must be a mapping", where);
        return SG_OK;
    }
    no_unknown(c, j, where, fields);
    const sg_json_t *ml = sg_json_get(j, "matchLabels");
    const sg_json_t *me = list_of(c, j, "matchExpressions", where);
    size_t n = (ml != NULL && ml->type == SG_JSON_OBJECT ? ml->u.object.len : 0) + (me != NULL ? me->u.array.len : 0);
    sel->set = 1;
    sel->reqs = sg_arena_calloc(&c->set->arena, n + 1, sizeof(*sel->reqs));
    if (sel->reqs == NULL)
        return SG_ENOMEM;
    if (ml != NULL && ml->type != SG_JSON_OBJECT)
        report(c, ml, "%s.matchLabels: must be a mapping", where);
    else if (ml != NULL)
        for (size_t i = 0; i < ml->u.object.len; i++) {
            const sg_json_member_t *m = &ml->u.object.members[i];
            if (!valid_label_key(m->key))
                report(c, m->value, "%s.matchLabels: invalid label key \"%s\"", where, m->key);
            if (m->value->type != SG_JSON_STRING) {
                report(c, m->value, "%s.matchLabels.%s: must be a string", where, m->key);
                continue;
            }
            sg_policy_requirement_t *r = &sel->reqs[sel->nreqs++];
            r->key = m->key;
            r->op = SEL_IN;
            r->values = sg_arena_alloc(&c->set->arena, sizeof(*r->values));
            if (r->values == NULL)
                return SG_ENOMEM;
            r->values[0] = m->value->u.string.ptr;
            r->nvalues = 1;
        }
    for (size_t i = 0; me != NULL && i < me->u.array.len; i++) {
        const sg_json_t *e = me->u.array.items[i];
        char w[128];
        snprintf(w, sizeof(w), "%s.matchExpressions[%zu]", where, i);
        no_unknown(c, e, w, req_fields);
        const char *key = string_of(c, e, "key", w, 1);
        const char *op = string_of(c, e, "operator", w, 1);
        const sg_json_t *vals = list_of(c, e, "values", w);
        if (key == NULL || op == NULL)
            continue;
        if (!valid_label_key(key))
            report(c, sg_json_get(e, "key"), "%s.key: invalid label key \"%s\"", w, key);
        sg_policy_requirement_t *r = &sel->reqs[sel->nreqs++];
        r->key = key;
        if (strcmp(op, "In") == 0)
            r->op = SEL_IN;
        else if (strcmp(op, "NotIn") == 0)
            r->op = SEL_NOT_IN;
        else if (strcmp(op, "Exists") == 0)
            r->op = SEL_EXISTS;
        else if (strcmp(op, "DoesNotExist") == 0)
            r->op = SEL_DOES_NOT_EXIST;
        else {
            report(c, sg_json_get(e, "operator"),
                   "%s.operator: Unsupported value: \"%s\": supported values: \"In\", "
                   "\"NotIn\", \"Exists\", \"DoesNotExist\"",
                   w, op);
            continue;
        }
        size_t nv = vals != NULL ? vals->u.array.len : 0;
        if ((r->op == SEL_IN || r->op == SEL_NOT_IN) && nv == 0)
            report(c, e, "%s.values: must be specified when `operator` is 'In' or 'NotIn'", w);
        if ((r->op == SEL_EXISTS || r->op == SEL_DOES_NOT_EXIST) && nv != 0)
            report(c, e, "%s.values: may not be specified when `operator` is 'Exists' or 'DoesNotExist'", w);
        r->values = sg_arena_calloc(&c->set->arena, nv + 1, sizeof(*r->values));
        if (r->values == NULL)
            return SG_ENOMEM;
        for (size_t k = 0; k < nv; k++) {
            if (vals->u.array.items[k]->type != SG_JSON_STRING)
                report(c, vals->u.array.items[k], "%s.values[%zu]: must be a string", w, k);
            else
                r->values[r->nvalues++] = vals->u.array.items[k]->u.string.ptr;
        }
    }
    return SG_OK;
}

static unsigned compile_ops(ctx_t *c, const sg_json_t *ops, const char *where)
{
    if (ops == NULL)
        return 0;
    unsigned bits = 0;
    for (size_t i = 0; i < ops->u.array.len; i++) {
        const sg_json_t *o = ops->u.array.items[i];
        unsigned b = o->type == SG_JSON_STRING
                         ? (strcmp(o->u.string.ptr, "*") == 0 ? OP_ALL : sg_policy__op_bit(o->u.string.ptr))
                         : 0;
        if (b == 0)
            report(c, o,
                   "%s.operations[%zu]: Unsupported value: supported values: \"*\", \"CREATE\", \"UPDATE\", "
                   "\"DELETE\", \"CONNECT\"",
                   where, i);
        bits |= b;
    }
    return bits;
}

static const char **string_list(ctx_t *c, const sg_json_t *l, const char *where, size_t *n)
{
    *n = 0;
    if (l == NULL)
        return NULL;
    const char **out = sg_arena_calloc(&c->set->arena, l->u.array.len + 1, sizeof(*out));
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < l->u.array.len; i++) {
        if (l->u.array.items[i]->type != SG_JSON_STRING)
            report(c, l->u.array.items[i], "%s[%zu]: must be a string", where, i);
        else
            out[(*n)++] = l->u.array.items[i]->u.string.ptr;
    }
    return out;
}

static int compile_match(ctx_t *c, const sg_json_t *mc)
{
    static const char *const fields[] = {"namespaceSelector", "objectSelector", "namespaces",
                                         "operations",        "resourceRules",  NULL};
    static const char *const rule_fields[] = {"apiGroups",     "apiVersions", "resources", "operations",
                                              "resourceNames", "scope",       NULL};
    sg_policy_t *p = c->p;
    p->operations = OP_CREATE | OP_UPDATE;
    if (mc == NULL || mc->type == SG_JSON_NULL)
        return SG_OK;
    if (mc->type != SG_JSON_OBJECT) {
        report(c, mc, "spec.matchConstraints: must be a mapping");
        return SG_OK;
    }
    no_unknown(c, mc, "spec.matchConstraints", fields);
    int rc;
    if ((rc = compile_selector(c, &p->namespace_selector, sg_json_get(mc, "namespaceSelector"),
                               "spec.matchConstraints.namespaceSelector")) < 0 ||
        (rc = compile_selector(c, &p->object_selector, sg_json_get(mc, "objectSelector"),
                               "spec.matchConstraints.objectSelector")) < 0)
        return rc;
    const sg_json_t *ns = list_of(c, mc, "namespaces", "spec.matchConstraints");
    if (ns != NULL) {
        p->namespaces = string_list(c, ns, "spec.matchConstraints.namespaces", &p->nnamespaces);
        if (p->namespaces == NULL)
            return SG_ENOMEM;
    }
    const sg_json_t *ops = list_of(c, mc, "operations", "spec.matchConstraints");
    unsigned bits = compile_ops(c, ops, "spec.matchConstraints");
    const sg_json_t *rules = list_of(c, mc, "resourceRules", "spec.matchConstraints");
    for (size_t i = 0; rules != NULL && i < rules->u.array.len; i++) {
        const sg_json_t *r = rules->u.array.items[i];
        char w[96];
        snprintf(w, sizeof(w), "spec.matchConstraints.resourceRules[%zu]", i);
        no_unknown(c, r, w, rule_fields);
        bits |= compile_ops(c, list_of(c, r, "operations", w), w);
        const sg_json_t *rn = list_of(c, r, "resourceNames", w);
        if (rn != NULL) {
            char w2[128];
            snprintf(w2, sizeof(w2), "%s.resourceNames", w);
            p->resource_names = string_list(c, rn, w2, &p->nresource_names);
            if (p->resource_names == NULL)
                return SG_ENOMEM;
        }
    }
    if (bits != 0)
        p->operations = bits;
    return SG_OK;
}

static int reason_code(const char *reason)
{
    if (strcmp(reason, "Invalid") == 0)
        return 422;
    if (strcmp(reason, "Forbidden") == 0)
        return 403;
    if (strcmp(reason, "Unauthorized") == 0)
        return 401;
    if (strcmp(reason, "RequestEntityTooLarge") == 0)
        return 413;
    return 0;
}

static int compile_named(ctx_t *c, const sg_json_t *list, const char *what, sg_policy_named_t **out, size_t *n,
                         int variables)
{
    static const char *const fields[] = {"name", "expression", NULL};
    *n = 0;
    if (list == NULL)
        return SG_OK;
    *out = sg_arena_calloc(&c->set->arena, list->u.array.len + 1, sizeof(**out));
    if (*out == NULL)
        return SG_ENOMEM;
    if (variables) {
        c->p->variables = *out; /* visible to the scan of later variables */
        c->p->nvariables = 0;
    }
    for (size_t i = 0; i < list->u.array.len; i++) {
        const sg_json_t *it = list->u.array.items[i];
        char w[96];
        snprintf(w, sizeof(w), "spec.%s[%zu]", what, i);
        no_unknown(c, it, w, fields);
        const char *name = string_of(c, it, "name", w, 1);
        if (name == NULL)
            continue;
        if (variables ? !valid_ident(name) : !valid_label_key(name)) {
            report(c, sg_json_get(it, "name"), "%s.name: invalid name \"%s\"", w, name);
            continue;
        }
        int dup = 0;
        for (size_t k = 0; k < *n && !dup; k++)
            dup = strcmp((*out)[k].name, name) == 0;
        if (dup) {
            report(c, sg_json_get(it, "name"), "%s.name: Duplicate value: \"%s\"", w, name);
            continue;
        }
        char we[128];
        snprintf(we, sizeof(we), "%s.expression", w);
        sg_policy_named_t *nm = &(*out)[*n];
        nm->name = name;
        nm->key = sg_cel_string(name, strlen(name));
        const sg_cel_type_t *t = NULL;
        int rc = compile_expr(c, &nm->expr, sg_json_get(it, "expression"), we, variables ? *n : c->p->nvariables,
                              variables ? SG_CEL_T_DYN : SG_CEL_T_BOOL, &t);
        if (rc < 0)
            return rc;
        if (variables && (rc = sg_cel_type_add_field(c->env, c->variables, name, t)) < 0)
            return rc;
        (*n)++;
        if (variables)
            c->p->nvariables = *n;
    }
    return SG_OK;
}

static int compile_validations(ctx_t *c, const sg_json_t *list)
{
    static const char *const fields[] = {"expression", "message", "messageExpression", "reason", NULL};
    sg_policy_t *p = c->p;
    if (list == NULL)
        return SG_OK;
    p->validations = sg_arena_calloc(&c->set->arena, list->u.array.len + 1, sizeof(*p->validations));
    if (p->validations == NULL)
        return SG_ENOMEM;
    for (size_t i = 0; i < list->u.array.len; i++) {
        const sg_json_t *it = list->u.array.items[i];
        char w[96], we[128];
        snprintf(w, sizeof(w), "spec.validations[%zu]", i);
        no_unknown(c, it, w, fields);
        sg_policy_validation_t *v = &p->validations[p->nvalidations++];
        snprintf(we, sizeof(we), "%s.expression", w);
        int rc = compile_expr(c, &v->expr, sg_json_get(it, "expression"), we, p->nvariables, SG_CEL_T_BOOL, NULL);
        if (rc < 0)
            return rc;
        v->message = string_of(c, it, "message", w, 0);
        if (v->message != NULL && strpbrk(v->message, "\r\n") != NULL)
            report(c, sg_json_get(it, "message"), "%s.message: may not contain line breaks", w);
        if (sg_json_get(it, "messageExpression") != NULL) {
            snprintf(we, sizeof(we), "%s.messageExpression", w);
            if ((rc = compile_expr(c, &v->msg_expr, sg_json_get(it, "messageExpression"), we, p->nvariables,
                                   SG_CEL_T_STRING, NULL)) < 0)
                return rc;
        }
        v->reason = string_of(c, it, "reason", w, 0);
        if (v->reason == NULL)
            v->reason = "Invalid";
        v->code = reason_code(v->reason);
        if (v->code == 0)
            report(c, sg_json_get(it, "reason"),
                   "%s.reason: Unsupported value: \"%s\": supported values: "
                   "\"Unauthorized\", \"Forbidden\", \"Invalid\", \"RequestEntityTooLarge\"",
                   w, v->reason);
    }
    return SG_OK;
}

static int compile_annotations(ctx_t *c, const sg_json_t *list)
{
    static const char *const fields[] = {"key", "valueExpression", NULL};
    sg_policy_t *p = c->p;
    if (list == NULL)
        return SG_OK;
    p->annotations = sg_arena_calloc(&c->set->arena, list->u.array.len + 1, sizeof(*p->annotations));
    if (p->annotations == NULL)
        return SG_ENOMEM;
    for (size_t i = 0; i < list->u.array.len; i++) {
        const sg_json_t *it = list->u.array.items[i];
        char w[96], we[128];
        snprintf(w, sizeof(w), "spec.auditAnnotations[%zu]", i);
        no_unknown(c, it, w, fields);
        const char *key = string_of(c, it, "key", w, 1);
        if (key == NULL)
            continue;
        const char *full = sg_arena_printf(&c->set->arena, "%s.%s", p->name, key);
        if (full == NULL)
            return SG_ENOMEM;
        if (strchr(key, '/') != NULL || !valid_label_key(full)) {
            report(c, sg_json_get(it, "key"),
                   "%s.key: \"%s\" must make a valid annotation name with the policy name "
                   "(\"%s\": at most 63 characters, alphanumerics, '-', '_', '.')",
                   w, key, full);
            continue;
        }
        for (size_t k = 0; k < p->nannotations; k++)
            if (strcmp(p->annotations[k].key, full) == 0)
                report(c, sg_json_get(it, "key"), "%s.key: Duplicate value: \"%s\"", w, key);
        sg_policy_annotation_def_t *a = &p->annotations[p->nannotations++];
        a->key = full;
        snprintf(we, sizeof(we), "%s.valueExpression", w);
        int rc = compile_expr(c, &a->expr, sg_json_get(it, "valueExpression"), we, p->nvariables,
                              SG_POLICY_STRING_OR_NULL, NULL);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

static unsigned compile_actions(ctx_t *c, const sg_json_t *spec)
{
    const sg_json_t *l = list_of(c, spec, "validationActions", "spec");
    if (l == NULL)
        return ACT_DENY;
    unsigned bits = 0;
    for (size_t i = 0; i < l->u.array.len; i++) {
        const sg_json_t *a = l->u.array.items[i];
        unsigned b = sg_json_string_eq(a, "Deny")    ? ACT_DENY
                     : sg_json_string_eq(a, "Warn")  ? ACT_WARN
                     : sg_json_string_eq(a, "Audit") ? ACT_AUDIT
                                                     : 0;
        if (b == 0)
            report(c, a,
                   "spec.validationActions[%zu]: Unsupported value: supported values: \"Audit\", \"Deny\", "
                   "\"Warn\"",
                   i);
        else if (bits & b)
            report(c, a, "spec.validationActions[%zu]: Duplicate value", i);
        bits |= b;
    }
    if (bits == 0)
        report(c, l, "spec.validationActions: Required value: at least one validation action is required");
    if ((bits & ACT_DENY) && (bits & ACT_WARN))
        report(c, l,
               "spec.validationActions: Invalid value: must not contain both Deny and Warn (repeating the same "
               "validation failure information in the API response and headers serves no purpose)");
    return bits;
}

static int compile_doc(sg_policy_set_t *s, const sg_json_t *doc, const char *file, sg_buf_t *diag, int *nerrors,
                       sg_cel_env_t *env, sg_cel_type_t *variables)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", NULL};
    static const char *const spec_fields[] = {"failurePolicy", "matchConstraints",  "matchConditions",  "variables",
                                              "validations",   "validationActions", "auditAnnotations", NULL};
    ctx_t c = {s, file, diag, nerrors, NULL, NULL, env, variables};
    if (doc == NULL || doc->type == SG_JSON_NULL)
        return SG_OK;
    if (doc->type != SG_JSON_OBJECT) {
        report(&c, doc, "a policy document must be a mapping");
        return SG_OK;
    }
    if (!sg_json_string_eq(sg_json_get(doc, "apiVersion"), SG_POLICY_API_VERSION) ||
        !sg_json_string_eq(sg_json_get(doc, "kind"), SG_POLICY_KIND)) {
        report(&c, doc, "expected apiVersion %s and kind %s", SG_POLICY_API_VERSION, SG_POLICY_KIND);
        return SG_OK;
    }
    no_unknown(&c, doc, "", top);
    const char *name = string_of(&c, sg_json_get(doc, "metadata"), "name", "metadata", 1);
    if (sg_json_get(doc, "metadata") == NULL)
        report(&c, doc, "metadata.name: Required value");
    if (name == NULL)
        return SG_OK;
    if (!valid_name(name, 1)) {
        report(&c, sg_json_path(doc, "metadata.name"),
               "metadata.name: Invalid value: \"%s\": a lowercase RFC 1123 "
               "subdomain is required",
               name);
        return SG_OK;
    }
    for (size_t i = 0; i < s->npolicies; i++)
        if (strcmp(s->policies[i].name, name) == 0) {
            report(&c, sg_json_path(doc, "metadata.name"), "metadata.name: Duplicate value: \"%s\"", name);
            return SG_OK;
        }
    const sg_json_t *spec = sg_json_get(doc, "spec");
    if (spec == NULL || spec->type != SG_JSON_OBJECT) {
        report(&c, spec != NULL ? spec : doc, "spec: Required value");
        return SG_OK;
    }
    if (s->npolicies == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        sg_policy_t *np = realloc(s->policies, nc * sizeof(*np));
        if (np == NULL)
            return SG_ENOMEM;
        s->policies = np;
        s->cap = nc;
    }
    sg_policy_t *p = &s->policies[s->npolicies];
    memset(p, 0, sizeof(*p));
    p->name = name;
    c.p = p;
    no_unknown(&c, spec, "spec", spec_fields);
    const char *fp = string_of(&c, spec, "failurePolicy", "spec", 0);
    p->fail_closed = 1;
    if (fp != NULL && strcmp(fp, "Ignore") == 0)
        p->fail_closed = 0;
    else if (fp != NULL && strcmp(fp, "Fail") != 0)
        report(&c, sg_json_get(spec, "failurePolicy"),
               "spec.failurePolicy: Unsupported value: \"%s\": supported "
               "values: \"Fail\", \"Ignore\"",
               fp);
    p->actions = compile_actions(&c, spec);
    int rc;
    c.var_list = sg_json_get(spec, "variables");
    if (c.var_list != NULL && c.var_list->type != SG_JSON_ARRAY)
        c.var_list = NULL;
    if ((rc = compile_match(&c, sg_json_get(spec, "matchConstraints"))) < 0 ||
        (rc = compile_named(&c, list_of(&c, spec, "variables", "spec"), "variables", &p->variables, &p->nvariables,
                            1)) < 0 ||
        (rc = compile_named(&c, list_of(&c, spec, "matchConditions", "spec"), "matchConditions", &p->conditions,
                            &p->nconditions, 0)) < 0 ||
        (rc = compile_validations(&c, list_of(&c, spec, "validations", "spec"))) < 0 ||
        (rc = compile_annotations(&c, list_of(&c, spec, "auditAnnotations", "spec"))) < 0)
        return rc;
    if (p->nvalidations == 0 && p->nannotations == 0)
        report(&c, spec, "spec: Required value: validations or auditAnnotations must contain at least one item");
    s->npolicies++;
    return SG_OK;
}

int sg_policy__compile_doc(sg_policy_set_t *s, const sg_json_t *doc, const char *file, sg_buf_t *diag, int *nerrors)
{
    sg_cel_env_t *env = NULL;
    sg_cel_type_t *variables = NULL;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_policy__env_new(&env, &variables, &err);
    if (rc < 0)
        return rc;
    rc = compile_doc(s, doc, file, diag, nerrors, env, variables);
    sg_cel_env_free(env);
    return rc;
}
