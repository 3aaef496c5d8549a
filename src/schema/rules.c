/* x-kubernetes-validations: every rule runs at its schema node with `self` bound to the value there (and `oldSelf`
 * to the correlated old value on UPDATE), within the per-call and per-object cost limits of the apiserver, and a
 * failure becomes the field error apiextensions-apiserver would report (message, messageExpression, reason,
 * fieldPath). */
#include <stdio.h>
#include <string.h>

#include <storygate/gostr.h>

#include "internal.h"

static const char *cur(sg_schema_run_t *r)
{
    return r->path.base != NULL ? r->path.base : "";
}

static const char *rule_error_string(const sg_schema_rule_t *rule)
{
    return rule->message != NULL ? rule->message : rule->rule;
}

/* Invalid(path, sts.Type, detail): the value printed is the schema type name. */
static void invalid_type_value(sg_schema_run_t *r, const sg_schema_node_t *n, const char *detail)
{
    sg_json_t tv = {.type = SG_JSON_STRING};
    tv.u.string.ptr = n->type_name;
    tv.u.string.len = strlen(n->type_name);
    sg_schema__add(r, SG_FIELD_INVALID, cur(r), &tv, 0, detail);
}

/* The detail from messageExpression, or NULL to fall back to the message. Sets out_of_budget when it must stop. */
static const char *message_expression(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_schema_rule_t *rule,
                                      const sg_cel_var_t *vars, size_t nvars)
{
    sg_cel_value_t out;
    uint64_t cost = 0;
    sg_error_t e = SG_ERROR_INIT;
    int rc =
        sg_cel_eval_ex(&out, &cost, rule->message_expression, vars, nvars, SG_SCHEMA_PER_CALL_COST_LIMIT, r->arena, &e);
    char buf[512];
    if (cost > r->budget) {
        invalid_type_value(r, n,
                           "messageExpression evaluation failed due to running out of cost budget, no further "
                           "validation rules will be run");
        r->out_of_budget = 1;
        return NULL;
    }
    r->budget -= cost;
    if (rc == SG_ELIMIT) {
        sg_buf_t q = SG_BUF_INIT;
        sg_go_quote(&q, sg_cel_program_source(rule->message_expression),
                    strlen(sg_cel_program_source(rule->message_expression)));
        snprintf(buf, sizeof(buf),
                 "no further validation rules will be run due to call cost exceeds limit for messageExpression: %s",
                 q.base != NULL ? q.base : "");
        sg_buf_dispose(&q);
        invalid_type_value(r, n, buf);
        r->out_of_budget = 1;
        return NULL;
    }
    if (rc < 0 || out.kind != SG_CEL_STRING)
        return NULL;
    sg_span_t t = sg_go_trim_space(sg_span_make(out.u.s, out.len));
    if (t.len == 0 || t.len > SG_SCHEMA_MAX_MESSAGE_EXPRESSION_BYTES || memchr(t.ptr, '\n', t.len) != NULL)
        return NULL;
    return sg_arena_strndup(r->arena, t.ptr, t.len);
}

static void eval_rules(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v, const sg_json_t *old)
{
    sg_cel_var_t vars[2];
    vars[0].name = "self";
    vars[0].value = sg_cel_value_from_json(v);
    vars[1].name = "oldSelf";
    if (old != NULL)
        vars[1].value = sg_cel_value_from_json(old);
    if (r->budget == 0) {
        invalid_type_value(r, n,
                           "validation failed due to running out of cost budget, no further validation rules "
                           "will be run");
        r->out_of_budget = 1;
        return;
    }
    for (size_t i = 0; i < n->nrules && !r->out_of_budget && !r->nomem; i++) {
        const sg_schema_rule_t *rule = &n->rules[i];
        size_t nvars = old != NULL ? 2 : 1;
        sg_cel_var_t ovars[2];
        if (rule->uses_old_self && old == NULL) {
            if (!rule->optional_old_self)
                continue; /* transition rules need an old value */
        }
        if (rule->optional_old_self) {
            /* oldSelf is an optional: none on CREATE, of(old) on UPDATE */
            ovars[0] = vars[0];
            ovars[1].name = "oldSelf";
            sg_cel_value_t *inner = NULL;
            if (old != NULL) {
                inner = sg_arena_alloc(r->arena, sizeof(*inner));
                if (inner == NULL) {
                    r->nomem = 1;
                    return;
                }
                *inner = vars[1].value;
            }
            ovars[1].value.hdr = SG_CEL_HDR(SG_CEL_OPTIONAL, 0, 0);
            ovars[1].value.u.opt = inner;
            nvars = 2;
        }
        const sg_cel_var_t *use = rule->optional_old_self ? ovars : vars;
        sg_cel_value_t out;
        uint64_t cost = 0;
        sg_error_t e = SG_ERROR_INIT;
        int rc = sg_cel_eval_ex(&out, &cost, rule->program, use, nvars, SG_SCHEMA_PER_CALL_COST_LIMIT, r->arena, &e);
        char detail[1400];
        if (rc == SG_ENOMEM) {
            r->nomem = 1;
            return;
        }
        if (rc == SG_ELIMIT) {
            snprintf(detail, sizeof(detail),
                     "'%s': no further validation rules will be run due to call cost exceeds limit for rule: %s",
                     e.message, rule_error_string(rule));
            invalid_type_value(r, n, detail);
            r->out_of_budget = 1;
            return;
        }
        if (cost > r->budget) {
            invalid_type_value(r, n,
                               "validation failed due to running out of cost budget, no further validation "
                               "rules will be run");
            r->out_of_budget = 1;
            return;
        }
        r->budget -= cost;
        if (rc < 0) {
            if (strncmp(e.message, "no such overload", 16) == 0)
                snprintf(detail, sizeof(detail),
                         "'%s': call arguments did not match a supported operator, function or macro signature for "
                         "rule: %s",
                         e.message, rule_error_string(rule));
            else
                snprintf(detail, sizeof(detail), "%s evaluating rule: %s", e.message, rule_error_string(rule));
            invalid_type_value(r, n, detail);
            continue;
        }
        if (out.kind == SG_CEL_BOOL && out.u.b)
            continue;
        size_t mark = r->path.len;
        if (rule->field_path != NULL)
            sg_schema__path_child(&r->path, rule->field_path, strlen(rule->field_path));
        const char *msg = NULL;
        if (rule->message_expression != NULL) {
            msg = message_expression(r, n, rule, vars, old != NULL ? 2 : 1);
            if (r->out_of_budget) {
                sg_schema__path_restore(&r->path, mark);
                return;
            }
        }
        char dflt[1200];
        if (msg == NULL) {
            if (rule->message != NULL) {
                msg = rule->message;
            } else {
                snprintf(dflt, sizeof(dflt), "failed rule: %s", rule->rule);
                msg = dflt;
            }
        }
        int omit = v->type == SG_JSON_OBJECT || v->type == SG_JSON_ARRAY;
        switch (rule->reason) {
        case SG_FIELD_FORBIDDEN:
        case SG_FIELD_REQUIRED:
            sg_schema__add(r, rule->reason, cur(r), NULL, 1, msg);
            break;
        case SG_FIELD_DUPLICATE:
            sg_schema__add(r, SG_FIELD_DUPLICATE, cur(r), v, omit, NULL);
            break;
        default:
            sg_schema__add(r, SG_FIELD_INVALID, cur(r), v, omit, msg);
            break;
        }
        sg_schema__path_restore(&r->path, mark);
    }
}

/* The old item of a list-type map with the same key values as `item`, or NULL. */
static const sg_json_t *correlate_map_item(const sg_schema_node_t *n, const sg_json_t *item, const sg_json_t *old)
{
    if (old == NULL || old->type != SG_JSON_ARRAY || item->type != SG_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < old->u.array.len; i++) {
        const sg_json_t *o = old->u.array.items[i];
        int same = o->type == SG_JSON_OBJECT;
        for (size_t k = 0; k < n->nmap_keys && same; k++) {
            const sg_json_t *a = sg_json_get(item, n->map_keys[k]), *b = sg_json_get(o, n->map_keys[k]);
            same = (a == NULL && b == NULL) || (a != NULL && b != NULL && sg_json_equal(a, b));
        }
        if (same)
            return o;
    }
    return NULL;
}

static const sg_schema_node_t *prop(const sg_schema_node_t *n, const char *key, size_t len)
{
    for (size_t i = 0; i < n->nprops; i++)
        if (n->props[i].name_len == len && memcmp(n->props[i].name, key, len) == 0)
            return n->props[i].node;
    return NULL;
}

void sg_schema__rules(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v, const sg_json_t *old)
{
    if (n == NULL || !n->has_rules_below || v == NULL || v->type == SG_JSON_NULL || r->out_of_budget || r->nomem)
        return;
    if (old != NULL && old->type == SG_JSON_NULL)
        old = NULL;
    if (n->nrules)
        eval_rules(r, n, v, old);
    if (v->type == SG_JSON_ARRAY && n->items != NULL && n->items->has_rules_below) {
        for (size_t i = 0; i < v->u.array.len && !r->out_of_budget; i++) {
            const sg_json_t *item = v->u.array.items[i];
            const sg_json_t *o = n->list_type == LIST_MAP ? correlate_map_item(n, item, old) : NULL;
            size_t mark = sg_schema__path_index(&r->path, i);
            sg_schema__rules(r, n->items, item, o);
            sg_schema__path_restore(&r->path, mark);
        }
    } else if (v->type == SG_JSON_OBJECT) {
        for (size_t i = 0; i < v->u.object.len && !r->out_of_budget; i++) {
            const sg_json_member_t *m = &v->u.object.members[i];
            const sg_schema_node_t *p = prop(n, m->key, m->key_len);
            const sg_json_t *o = old != NULL ? sg_json_getn(old, m->key, m->key_len) : NULL;
            size_t mark;
            if (p != NULL) {
                if (!p->has_rules_below)
                    continue;
                mark = sg_schema__path_child(&r->path, m->key, m->key_len);
            } else if (n->additional != NULL && n->additional->has_rules_below) {
                p = n->additional;
                mark = sg_schema__path_key(&r->path, m->key, m->key_len);
            } else {
                continue;
            }
            sg_schema__rules(r, p, m->value, o);
            sg_schema__path_restore(&r->path, mark);
        }
    }
}
