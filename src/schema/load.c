/* Reading CRD manifests: every served version's openAPIV3Schema becomes a tree of compiled nodes (patterns compiled
 * with PCRE2, x-kubernetes-validations compiled with the CEL engine and type-checked with `self` typed from their
 * node) so that validation never parses anything. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/gostr.h>
#include <storygate/yaml.h>

#include "internal.h"

#define MAX_SCHEMA_DEPTH 64

typedef struct st_loader_t {
    sg_schema_set_t *set;
    const char *filename;
    sg_error_t *err;
    sg_cel_env_t *env; /* declarations of self/oldSelf for type-checking rules, made on the first rule */
} loader_t;

static int fail_at(loader_t *l, const sg_json_t *at, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(loader_t *l, const sg_json_t *at, int code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int line = at != NULL ? (int)at->line : 0, col = at != NULL ? (int)at->column : 0;
    return sg_error_setloc(l->err, code, l->filename, line, col, "%s:%d:%d: %s", l->filename, line, col, msg);
}

static int push_ptr(void ***arr, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        void **na = realloc(*arr, nc * sizeof(*na));
        if (na == NULL)
            return SG_ENOMEM;
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = p;
    return SG_OK;
}

static const char *str_of(const sg_json_t *v)
{
    return v != NULL && v->type == SG_JSON_STRING ? v->u.string.ptr : NULL;
}

static int get_int(loader_t *l, const sg_json_t *n, const char *key, int64_t *out)
{
    const sg_json_t *v = sg_json_get(n, key);
    *out = -1;
    if (v == NULL)
        return SG_OK;
    if (v->type != SG_JSON_NUMBER || v->u.number.value < 0 || v->u.number.value > 9e15 ||
        floor(v->u.number.value) != v->u.number.value)
        return fail_at(l, v, SG_EINVALID, "%s must be a non-negative integer", key);
    *out = (int64_t)v->u.number.value;
    return SG_OK;
}

static int get_bool(const sg_json_t *n, const char *key)
{
    const sg_json_t *v = sg_json_get(n, key);
    return v != NULL && v->type == SG_JSON_BOOL && v->u.boolean;
}

static int compile_pattern(loader_t *l, sg_schema_node_t *node, const sg_json_t *pat)
{
    int ec;
    PCRE2_SIZE eo;
    /* Kubernetes (ECMA-262 through Go's regexp): the pattern is searched for anywhere in the value */
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat->u.string.ptr, pat->u.string.len, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY,
                                   &ec, &eo, NULL);
    if (re == NULL) {
        PCRE2_UCHAR m[256];
        pcre2_get_error_message(ec, m, sizeof(m));
        return fail_at(l, pat, SG_EINVALID, "invalid pattern at offset %zu: %s", (size_t)eo, (const char *)m);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    if (push_ptr(&l->set->regexes, &l->set->nregexes, &l->set->capregexes, re) < 0) {
        pcre2_code_free(re);
        return SG_ENOMEM;
    }
    node->regex = re;
    node->pattern = pat->u.string.ptr;
    return SG_OK;
}

static const char *trimmed(sg_arena_t *a, const char *s)
{
    sg_span_t t = sg_go_trim_space(sg_span_cstr(s));
    return sg_arena_strndup(a, t.ptr, t.len);
}

static int compile_cel(loader_t *l, sg_cel_program_t **out, const sg_json_t *src, const char *what)
{
    sg_error_t e = SG_ERROR_INIT;
    sg_cel_options_t o = SG_CEL_OPTIONS_INIT;
    o.cost_limit = SG_SCHEMA_PER_CALL_COST_LIMIT;
    int rc = sg_cel_compile(out, src->u.string.ptr, src->u.string.len, &o, &e);
    if (rc < 0)
        return fail_at(l, src, rc == SG_ENOMEM ? SG_ENOMEM : SG_EINVALID, "%s: %s", what, e.message);
    if (push_ptr((void ***)&l->set->programs, &l->set->nprograms, &l->set->capprograms, *out) < 0) {
        sg_cel_program_free(*out);
        *out = NULL;
        return SG_ENOMEM;
    }
    return SG_OK;
}

/* Type-checks a compiled rule or messageExpression with the declarations in l->env: it must check and evaluate to
 * `want` (or dyn, checked when it runs). `uses` (may be NULL) is set when the expression reads variable `var`. */
static int check_cel(loader_t *l, const sg_cel_program_t *p, const sg_json_t *src, const char *what,
                     sg_cel_type_kind_t want, const char *want_msg, const char *var, int *uses)
{
    sg_error_t e = SG_ERROR_INIT;
    sg_cel_check_result_t res;
    int rc = sg_cel_check(&res, l->env, p, &e);
    if (rc == SG_ENOMEM)
        return SG_ENOMEM;
    if (rc < 0)
        return fail_at(l, src, SG_EINVALID, "%s: %s", what, e.message);
    sg_cel_type_kind_t k = sg_cel_type_kind(res.type);
    if (k != want && k != SG_CEL_T_DYN)
        return fail_at(l, src, SG_EINVALID, "%s: %s", what, want_msg);
    for (size_t i = 0; uses != NULL && i < res.nrefs; i++)
        if (strcmp(res.refs[i].name, var) == 0)
            *uses = 1;
    return SG_OK;
}

/* Declares `self` (and `oldSelf`, an optional with optionalOldSelf) with the type of values at `node`. */
static int declare_self(loader_t *l, const sg_schema_node_t *node, int optional_old)
{
    sg_error_t e = SG_ERROR_INIT;
    if (l->env == NULL && sg_cel_env_new(&l->env, &e) < 0)
        return SG_ENOMEM;
    const sg_cel_type_t *self = sg_schema__cel_type(l->env, node, "self");
    const sg_cel_type_t *old = self != NULL && optional_old ? sg_cel_type_optional(l->env, self) : self;
    if (old == NULL || sg_cel_env_declare(l->env, "self", self, &e) < 0 ||
        sg_cel_env_declare(l->env, "oldSelf", old, &e) < 0)
        return SG_ENOMEM;
    return SG_OK;
}

static int load_rules(loader_t *l, sg_schema_node_t *node, const sg_json_t *xv)
{
    if (xv->type != SG_JSON_ARRAY)
        return fail_at(l, xv, SG_EINVALID, "x-kubernetes-validations must be a list");
    node->rules = sg_arena_calloc(&l->set->arena, xv->u.array.len + 1, sizeof(*node->rules));
    if (node->rules == NULL)
        return SG_ENOMEM;
    for (size_t i = 0; i < xv->u.array.len; i++) {
        const sg_json_t *r = xv->u.array.items[i];
        const sg_json_t *rule = sg_json_get(r, "rule");
        if (rule == NULL || rule->type != SG_JSON_STRING)
            return fail_at(l, r, SG_EINVALID, "x-kubernetes-validations[%zu].rule: Required value", i);
        sg_schema_rule_t *out = &node->rules[node->nrules];
        out->optional_old_self = get_bool(r, "optionalOldSelf");
        int rc = compile_cel(l, &out->program, rule, "rule");
        if (rc < 0 || (rc = declare_self(l, node, out->optional_old_self)) < 0 ||
            (rc = check_cel(l, out->program, rule, "rule", SG_CEL_T_BOOL, "cel expression must evaluate to a bool",
                            "oldSelf", &out->uses_old_self)) < 0)
            return rc;
        out->rule = trimmed(&l->set->arena, rule->u.string.ptr);
        const char *msg = str_of(sg_json_get(r, "message"));
        out->message = msg != NULL && msg[0] != '\0' ? trimmed(&l->set->arena, msg) : NULL;
        const sg_json_t *me = sg_json_get(r, "messageExpression");
        if (me != NULL && me->type == SG_JSON_STRING &&
            ((rc = compile_cel(l, &out->message_expression, me, "messageExpression")) < 0 ||
             (rc = check_cel(l, out->message_expression, me, "messageExpression", SG_CEL_T_STRING,
                             "messageExpression must evaluate to a string", NULL, NULL)) < 0))
            return rc;
        const char *fp = str_of(sg_json_get(r, "fieldPath"));
        if (fp != NULL && fp[0] != '\0')
            out->field_path = fp[0] == '.' ? fp + 1 : fp;
        const sg_json_t *reason = sg_json_get(r, "reason");
        out->reason = SG_FIELD_INVALID;
        if (reason != NULL) {
            if (sg_json_string_eq(reason, "FieldValueForbidden"))
                out->reason = SG_FIELD_FORBIDDEN;
            else if (sg_json_string_eq(reason, "FieldValueRequired"))
                out->reason = SG_FIELD_REQUIRED;
            else if (sg_json_string_eq(reason, "FieldValueDuplicate"))
                out->reason = SG_FIELD_DUPLICATE;
            else if (!sg_json_string_eq(reason, "FieldValueInvalid"))
                return fail_at(l, reason, SG_EINVALID,
                               "reason must be one of FieldValueInvalid, FieldValueForbidden, FieldValueRequired, "
                               "FieldValueDuplicate");
        }
        node->nrules++;
    }
    return SG_OK;
}

static int parse_node(loader_t *l, sg_schema_node_t **out, const sg_json_t *j, int depth, int resource_root);

static int parse_props(loader_t *l, sg_schema_node_t *node, const sg_json_t *props, int depth)
{
    if (props->type != SG_JSON_OBJECT)
        return fail_at(l, props, SG_EINVALID, "properties must be a mapping");
    node->has_props = 1;
    node->props = sg_arena_calloc(&l->set->arena, props->u.object.len + 1, sizeof(*node->props));
    if (node->props == NULL)
        return SG_ENOMEM;
    for (size_t i = 0; i < props->u.object.len; i++) {
        const sg_json_member_t *m = &props->u.object.members[i];
        sg_schema_prop_t *p = &node->props[node->nprops++];
        p->name = m->key;
        p->name_len = m->key_len;
        int rc = parse_node(l, &p->node, m->value, depth + 1, 0);
        if (rc < 0)
            return rc;
        if (p->node->has_rules_below)
            node->has_rules_below = 1;
    }
    return SG_OK;
}

static const char *const type_names[] = {"object", "array", "string", "integer", "number", "boolean"};

static int parse_node(loader_t *l, sg_schema_node_t **out, const sg_json_t *j, int depth, int resource_root)
{
    if (depth > MAX_SCHEMA_DEPTH)
        return fail_at(l, j, SG_ELIMIT, "schema nested deeper than %d levels", MAX_SCHEMA_DEPTH);
    if (j == NULL || j->type != SG_JSON_OBJECT)
        return fail_at(l, j, SG_EINVALID, "a schema must be a mapping");
    sg_schema_node_t *n = sg_arena_calloc(&l->set->arena, 1, sizeof(*n));
    if (n == NULL)
        return SG_ENOMEM;
    *out = n;
    int rc;
    n->type_name = "";
    const sg_json_t *t = sg_json_get(j, "type");
    if (t != NULL) {
        if (t->type != SG_JSON_STRING)
            return fail_at(l, t, SG_EINVALID, "type must be a string");
        for (size_t i = 0; i < 6; i++)
            if (strcmp(t->u.string.ptr, type_names[i]) == 0)
                n->types = 1u << i;
        if (n->types == 0)
            return fail_at(l, t, SG_EINVALID, "unsupported type %s", t->u.string.ptr);
        n->type_name = t->u.string.ptr;
    }
    n->nullable = get_bool(j, "nullable");
    n->preserve_unknown = get_bool(j, "x-kubernetes-preserve-unknown-fields");
    n->embedded_resource = get_bool(j, "x-kubernetes-embedded-resource");
    n->int_or_string = get_bool(j, "x-kubernetes-int-or-string");
    if (n->int_or_string)
        n->types = T_INTEGER | T_STRING;
    n->unique_items = get_bool(j, "uniqueItems");
    if ((rc = get_int(l, j, "maxLength", &n->max_length)) < 0 ||
        (rc = get_int(l, j, "minLength", &n->min_length)) < 0 || (rc = get_int(l, j, "maxItems", &n->max_items)) < 0 ||
        (rc = get_int(l, j, "minItems", &n->min_items)) < 0 ||
        (rc = get_int(l, j, "maxProperties", &n->max_props)) < 0 ||
        (rc = get_int(l, j, "minProperties", &n->min_props)) < 0)
        return rc;
    const sg_json_t *v;
    if ((v = sg_json_get(j, "minimum")) != NULL && v->type == SG_JSON_NUMBER) {
        n->has_minimum = 1;
        n->minimum = v->u.number.value;
    }
    if ((v = sg_json_get(j, "maximum")) != NULL && v->type == SG_JSON_NUMBER) {
        n->has_maximum = 1;
        n->maximum = v->u.number.value;
    }
    n->exclusive_minimum = get_bool(j, "exclusiveMinimum");
    n->exclusive_maximum = get_bool(j, "exclusiveMaximum");
    if ((v = sg_json_get(j, "multipleOf")) != NULL && v->type == SG_JSON_NUMBER) {
        if (!(v->u.number.value > 0))
            return fail_at(l, v, SG_EINVALID, "multipleOf must be positive");
        n->multiple_of = v->u.number.value;
    }
    if ((v = sg_json_get(j, "pattern")) != NULL) {
        if (v->type != SG_JSON_STRING)
            return fail_at(l, v, SG_EINVALID, "pattern must be a string");
        if ((rc = compile_pattern(l, n, v)) < 0)
            return rc;
    }
    n->format = str_of(sg_json_get(j, "format"));
    if ((v = sg_json_get(j, "enum")) != NULL) {
        if (v->type != SG_JSON_ARRAY)
            return fail_at(l, v, SG_EINVALID, "enum must be a list");
        n->enum_values = v;
    }
    if ((v = sg_json_get(j, "required")) != NULL) {
        if (v->type != SG_JSON_ARRAY)
            return fail_at(l, v, SG_EINVALID, "required must be a list of strings");
        n->required = sg_arena_calloc(&l->set->arena, v->u.array.len + 1, sizeof(*n->required));
        if (n->required == NULL)
            return SG_ENOMEM;
        for (size_t i = 0; i < v->u.array.len; i++) {
            if (v->u.array.items[i]->type != SG_JSON_STRING)
                return fail_at(l, v->u.array.items[i], SG_EINVALID, "required must be a list of strings");
            n->required[n->nrequired++] = v->u.array.items[i]->u.string.ptr;
        }
    }
    if ((v = sg_json_get(j, "properties")) != NULL && (rc = parse_props(l, n, v, depth)) < 0)
        return rc;
    if (resource_root) {
        /* metadata of a resource is ObjectMeta whatever the CRD says about it */
        for (size_t i = 0; i < n->nprops; i++)
            if (strcmp(n->props[i].name, "metadata") == 0 && !n->props[i].node->has_props)
                n->props[i].node->is_metadata = 1;
    }
    if ((v = sg_json_get(j, "additionalProperties")) != NULL) {
        n->additional_set = 1;
        if (v->type == SG_JSON_BOOL) {
            n->additional_false = !v->u.boolean;
        } else {
            if ((rc = parse_node(l, &n->additional, v, depth + 1, 0)) < 0)
                return rc;
            if (n->additional->has_rules_below)
                n->has_rules_below = 1;
        }
    }
    if ((v = sg_json_get(j, "items")) != NULL) {
        if ((rc = parse_node(l, &n->items, v, depth + 1, n->embedded_resource)) < 0)
            return rc;
        if (n->items->has_rules_below)
            n->has_rules_below = 1;
    }
    const char *lt = str_of(sg_json_get(j, "x-kubernetes-list-type"));
    if (lt != NULL)
        n->list_type = strcmp(lt, "set") == 0 ? LIST_SET : strcmp(lt, "map") == 0 ? LIST_MAP : LIST_ATOMIC;
    if ((v = sg_json_get(j, "x-kubernetes-list-map-keys")) != NULL && v->type == SG_JSON_ARRAY) {
        n->map_keys = sg_arena_calloc(&l->set->arena, v->u.array.len + 1, sizeof(*n->map_keys));
        if (n->map_keys == NULL)
            return SG_ENOMEM;
        for (size_t i = 0; i < v->u.array.len; i++)
            if (v->u.array.items[i]->type == SG_JSON_STRING)
                n->map_keys[n->nmap_keys++] = v->u.array.items[i]->u.string.ptr;
    }
    if (n->list_type == LIST_MAP && n->nmap_keys == 0)
        return fail_at(l, j, SG_EINVALID, "x-kubernetes-list-type map needs x-kubernetes-list-map-keys");
    if ((v = sg_json_get(j, "x-kubernetes-validations")) != NULL) {
        if ((rc = load_rules(l, n, v)) < 0)
            return rc;
        if (n->nrules)
            n->has_rules_below = 1;
    }
    return SG_OK;
}

static int add_kind(loader_t *l, const sg_schema_kind_t *k)
{
    sg_schema_set_t *s = l->set;
    if (s->nkinds == s->capkinds) {
        size_t nc = s->capkinds ? s->capkinds * 2 : 8;
        sg_schema_kind_t *nk = realloc(s->kinds, nc * sizeof(*nk));
        if (nk == NULL)
            return SG_ENOMEM;
        s->kinds = nk;
        s->capkinds = nc;
    }
    s->kinds[s->nkinds++] = *k;
    return SG_OK;
}

static int load_crd(loader_t *l, const sg_json_t *doc)
{
    const sg_json_t *spec = sg_json_get(doc, "spec");
    const char *group = str_of(sg_json_get(spec, "group"));
    const char *kind = str_of(sg_json_path(spec, "names.kind"));
    const char *plural = str_of(sg_json_path(spec, "names.plural"));
    const sg_json_t *versions = sg_json_get(spec, "versions");
    if (group == NULL || kind == NULL || plural == NULL || versions == NULL || versions->type != SG_JSON_ARRAY)
        return fail_at(l, doc, SG_EINVALID,
                       "CustomResourceDefinition needs spec.group, spec.names.kind, "
                       "spec.names.plural and spec.versions");
    for (size_t i = 0; i < versions->u.array.len; i++) {
        const sg_json_t *ver = versions->u.array.items[i];
        const sg_json_t *schema = sg_json_path(ver, "schema.openAPIV3Schema");
        const char *name = str_of(sg_json_get(ver, "name"));
        if (name == NULL)
            return fail_at(l, ver, SG_EINVALID, "spec.versions[%zu].name: Required value", i);
        if (schema == NULL)
            continue; /* a version without a schema is not validated */
        sg_schema_kind_t k = {group, kind, plural, name, NULL, get_bool(ver, "storage"), NULL};
        k.qualified = sg_arena_printf(&l->set->arena, "%s.%s", kind, group);
        if (k.qualified == NULL)
            return SG_ENOMEM;
        int rc = parse_node(l, &k.root, schema, 0, 1);
        if (rc < 0)
            return rc;
        if ((rc = add_kind(l, &k)) < 0)
            return rc;
    }
    return SG_OK;
}

int sg_schema_set_new(sg_schema_set_t **out, sg_error_t *err)
{
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    sg_arena_init(&(*out)->arena, 64 * 1024);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    if (mc == NULL) {
        sg_schema_set_free(*out);
        *out = NULL;
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    /* patterns come from the CRD, values from requests: bound the backtracking a value can cause */
    pcre2_set_match_limit(mc, 1000000);
    pcre2_set_depth_limit(mc, 10000);
    (*out)->match_ctx = mc;
    return SG_OK;
}

void sg_schema_set_free(sg_schema_set_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nprograms; i++)
        sg_cel_program_free(s->programs[i]);
    for (size_t i = 0; i < s->nregexes; i++)
        pcre2_code_free(s->regexes[i]);
    pcre2_match_context_free(s->match_ctx);
    free(s->programs);
    free(s->regexes);
    free(s->kinds);
    sg_arena_dispose(&s->arena);
    free(s);
}

/* Loads every CustomResourceDefinition among the parsed documents; other kinds are skipped. */
static int load_crds(loader_t *l, sg_json_t **docs, size_t ndocs)
{
    int rc = SG_OK;
    for (size_t i = 0; i < ndocs && rc == SG_OK; i++) {
        if (!sg_json_string_eq(sg_json_get(docs[i], "kind"), "CustomResourceDefinition"))
            continue;
        rc = load_crd(l, docs[i]);
        if (rc == SG_ENOMEM)
            rc = sg_error_set(l->err, SG_ENOMEM, "out of memory");
    }
    sg_cel_env_free(l->env);
    l->env = NULL;
    return rc;
}

int sg_schema_set_load_yaml(sg_schema_set_t *s, const char *buf, size_t len, const char *filename, sg_error_t *err)
{
    sg_json_t **docs = NULL;
    size_t ndocs = 0;
    loader_t l = {s, filename != NULL ? filename : "<input>", err, NULL};
    int rc = sg_yaml_parse(&docs, &ndocs, &s->arena, buf, len, l.filename, err);
    if (rc < 0)
        return rc;
    l.filename = sg_arena_strndup(&s->arena, l.filename, strlen(l.filename));
    if (l.filename == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    return load_crds(&l, docs, ndocs);
}

int sg_schema_set_load_file(sg_schema_set_t *s, const char *path, sg_error_t *err)
{
    sg_json_t **docs = NULL;
    size_t ndocs = 0;
    loader_t l = {s, NULL, err, NULL};
    int rc = sg_yaml_load_file(&docs, &ndocs, &s->arena, path, NULL, err);
    if (rc < 0)
        return rc;
    if ((l.filename = sg_arena_strndup(&s->arena, path, strlen(path))) == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    return load_crds(&l, docs, ndocs);
}

static int yaml_name(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' &&
           ((n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(d->d_name + n - 4, ".yml") == 0));
}

int sg_schema_set_load_dir(sg_schema_set_t *s, const char *dir, sg_error_t *err)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, yaml_name, alphasort);
    if (n < 0)
        return sg_error_set(err, SG_EIO, "%s: %s", dir, strerror(errno));
    size_t before = s->nkinds;
    int rc = SG_OK;
    for (int i = 0; i < n; i++) {
        if (rc == SG_OK) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
            rc = sg_schema_set_load_file(s, path, err);
        }
        free(list[i]);
    }
    free(list);
    if (rc == SG_OK && s->nkinds == before)
        return sg_error_set(err, SG_ENOTFOUND, "%s: no CustomResourceDefinition found", dir);
    return rc;
}

size_t sg_schema_set_count(const sg_schema_set_t *s)
{
    return s != NULL ? s->nkinds : 0;
}

const sg_schema_kind_t *sg_schema__find(const sg_schema_set_t *s, const char *kind, const char *api_version)
{
    const sg_schema_kind_t *best = NULL;
    for (size_t i = 0; i < s->nkinds; i++) {
        const sg_schema_kind_t *k = &s->kinds[i];
        size_t pl = strlen(k->plural);
        int match = strcmp(k->kind, kind) == 0 || strcmp(k->qualified, kind) == 0 || strcmp(k->plural, kind) == 0 ||
                    (strncmp(kind, k->plural, pl) == 0 && kind[pl] == '.' && strcmp(kind + pl + 1, k->group) == 0);
        if (!match)
            continue;
        if (api_version != NULL) {
            size_t gl = strlen(k->group);
            if (strncmp(api_version, k->group, gl) == 0 && api_version[gl] == '/' &&
                strcmp(api_version + gl + 1, k->version) == 0)
                return k;
            continue;
        }
        if (best == NULL || k->storage)
            best = k;
    }
    return best;
}

const char *sg_schema_set_qualified_kind(const sg_schema_set_t *s, const char *kind)
{
    const sg_schema_kind_t *k = sg_schema__find(s, kind, NULL);
    return k != NULL ? k->qualified : NULL;
}
