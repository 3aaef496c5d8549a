/* Evaluating a policy set for one request, as ValidatingAdmissionPolicy does: matchConstraints, then every
 * matchCondition (all must be true), then the validations and audit annotations. Variables are evaluated lazily,
 * at most once per policy and request, just before the first expression that reads them; a variable whose evaluation
 * fails is kept as an error value so it only matters where it is used. Everything is allocated in the request arena.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <storygate/gostr.h>

#include "internal.h"

typedef struct st_run_t {
    const sg_policy_input_t *in;
    sg_arena_t *arena;
    sg_policy_result_t *res;
    sg_cel_var_t base[3];
    uint64_t budget;
    sg_buf_t audit; /* validation_failure entries, a JSON array in the making */
    int nomem;
    /* the policy being evaluated */
    const sg_policy_t *p;
    unsigned char *vstate;
    sg_cel_value_t *vvalues;
    /* `variables` as most expressions see it: a map from name to value of the variables evaluated so far, in the
     * order they were. Unevaluated variables are not in it, so binding it keeps them lazy; the ones in it that an
     * expression does not name cannot be read by that expression (it only reads variables.<name>), so one map,
     * grown in place, serves the whole policy. A variable name, not a dotted one per variable, keeps the CEL
     * evaluator's fast paths for object.* and friends. */
    sg_cel_map_t vmap;
} run_t;

static int grow(run_t *r, void **arr, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return SG_OK;
    size_t nc = *cap ? *cap * 2 : 4;
    void *p = sg_arena_alloc(r->arena, nc * elem);
    if (p == NULL) {
        r->nomem = 1;
        return SG_ENOMEM;
    }
    if (n)
        memcpy(p, *arr, n * elem);
    *arr = p;
    *cap = nc;
    return SG_OK;
}

static int eval_expr(run_t *r, const sg_policy_expr_t *e, sg_cel_value_t *out, sg_error_t *err);

static void ensure_var(run_t *r, size_t i)
{
    if (r->vstate[i] != 0)
        return;
    r->vstate[i] = 1;
    sg_error_t e;
    sg_cel_value_t v;
    v.hdr = SG_CEL_HDR(SG_CEL_ERROR, SG_CEL_ERR_EVAL, 0);
    v.u.s = "";
    if (r->p->variables[i].expr.program != NULL)
        eval_expr(r, &r->p->variables[i].expr, &v, &e); /* an error stays in the map as the error value */
    r->vvalues[i] = v;
    r->vstate[i] = 2;
    sg_cel_map_t *m = &r->vmap;
    if (m->len < m->cap) { /* always: each variable is added once */
        m->keys[m->len] = r->p->variables[i].key;
        m->values[m->len] = v;
        m->len++;
    }
}

/* `variables` for an expression that may read any variable visible to it (e->vars lists them): a map of exactly
 * those, built for it, so that what it sees does not depend on which expressions ran before. NULL when out of
 * memory. */
static const sg_cel_map_t *whole_map(run_t *r, const sg_policy_expr_t *e)
{
    sg_cel_map_t *m = sg_arena_alloc(r->arena, sizeof(*m));
    sg_cel_value_t *kv = e->nvars ? sg_arena_alloc(r->arena, 2 * e->nvars * sizeof(*kv)) : NULL;
    if (m == NULL || (e->nvars && kv == NULL))
        return NULL;
    m->len = m->cap = (uint32_t)e->nvars;
    m->keys = kv;
    m->values = kv != NULL ? kv + e->nvars : NULL;
    for (size_t i = 0; i < e->nvars; i++) {
        m->keys[i] = r->p->variables[e->vars[i]].key;
        m->values[i] = r->vvalues[e->vars[i]];
    }
    return m;
}

static int eval_expr(run_t *r, const sg_policy_expr_t *e, sg_cel_value_t *out, sg_error_t *err)
{
    sg_cel_var_t vars[4];
    size_t n = 3;
    memcpy(vars, r->base, sizeof(r->base));
    if (e->nvars != 0 || e->whole) {
        for (size_t i = 0; i < e->nvars; i++)
            ensure_var(r, e->vars[i]);
        const sg_cel_map_t *m = e->whole ? whole_map(r, e) : &r->vmap;
        if (m == NULL) {
            r->nomem = 1;
            out->hdr = SG_CEL_HDR(SG_CEL_ERROR, SG_CEL_ERR_NOMEM, 0);
            out->u.s = "";
            return sg_error_set(err, SG_ENOMEM, "out of memory");
        }
        vars[3].name = "variables";
        vars[3].value.hdr = SG_CEL_HDR(SG_CEL_MAP, SG_CEL_REP_NATIVE, 0);
        vars[3].value.u.map = m;
        n = 4;
    }
    uint64_t cost = 0;
    uint64_t limit = r->budget < SG_POLICY_PER_CALL_COST_LIMIT ? r->budget : SG_POLICY_PER_CALL_COST_LIMIT;
    if (limit == 0) {
        out->hdr = SG_CEL_HDR(SG_CEL_ERROR, SG_CEL_ERR_COST, 0);
        out->u.s = "";
        return sg_error_set(err, SG_ELIMIT, "validation failed due to running out of cost budget");
    }
    int rc = sg_cel_eval_ex(out, &cost, e->program, vars, n, limit, r->arena, err);
    r->budget = cost >= r->budget ? 0 : r->budget - cost;
    if (rc == SG_ENOMEM)
        r->nomem = 1;
    return rc;
}

static const char *arena_str(run_t *r, const char *s)
{
    const char *c = sg_arena_strndup(r->arena, s, strlen(s));
    if (c == NULL)
        r->nomem = 1;
    return c;
}

/* Cuts `s` to at most `max` bytes on a UTF-8 boundary, ending in "..." when cut. */
static const char *cut(run_t *r, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return arena_str(r, s);
    size_t k = max - 3;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    char *o = sg_arena_alloc(r->arena, k + 4);
    if (o == NULL) {
        r->nomem = 1;
        return NULL;
    }
    memcpy(o, s, k);
    memcpy(o + k, "...", 4);
    return o;
}

static void deny(run_t *r, const char *msg, int code, const char *reason)
{
    sg_policy_result_t *res = r->res;
    if (grow(r, (void **)&res->denials, res->ndenials, &res->_capd, sizeof(*res->denials)) < 0)
        return;
    const char *m = sg_arena_printf(r->arena, "StoryTriggerPolicy '%s' denied request: %s", r->p->name, msg);
    if (m == NULL) {
        r->nomem = 1;
        return;
    }
    if (res->ndenials == 0) {
        res->deny_code = code;
        res->deny_reason = reason;
    }
    res->denials[res->ndenials++] = m;
}

static void warn(run_t *r, const char *msg)
{
    sg_policy_result_t *res = r->res;
    if (grow(r, (void **)&res->warnings, res->nwarnings, &res->_capw, sizeof(*res->warnings)) < 0)
        return;
    char *full = sg_arena_printf(r->arena, "Validation failed for StoryTriggerPolicy '%s': %s", r->p->name, msg);
    if (full != NULL && strlen(full) > 120)
        full = sg_arena_printf(r->arena, "%s: %s", r->p->name, msg); /* the short form keeps warnings readable */
    const char *w = full != NULL ? cut(r, full, SG_POLICY_WARNING_MAX) : NULL;
    if (w == NULL) {
        r->nomem = 1;
        return;
    }
    res->warnings[res->nwarnings++] = w;
}

static void annotate(run_t *r, const char *key, const char *value)
{
    sg_policy_result_t *res = r->res;
    for (size_t i = 0; i < res->nannotations; i++)
        if (strcmp(res->annotations[i].key, key) == 0) {
            res->annotations[i].value = value;
            return;
        }
    if (grow(r, (void **)&res->annotations, res->nannotations, &res->_capa, sizeof(*res->annotations)) < 0)
        return;
    res->annotations[res->nannotations].key = key;
    res->annotations[res->nannotations].value = value;
    res->nannotations++;
}

static void audit_failure(run_t *r, const char *msg, size_t index)
{
    sg_buf_t *b = &r->audit;
    sg_buf_putc(b, b->len == 0 ? '[' : ',');
    sg_buf_puts(b, "{\"message\":");
    sg_json_write_string(b, msg, strlen(msg));
    sg_buf_puts(b, ",\"policy\":");
    sg_json_write_string(b, r->p->name, strlen(r->p->name));
    sg_buf_printf(b, ",\"expressionIndex\":%zu,\"validationActions\":[", index);
    const char *sep = "";
    if (r->p->actions & ACT_AUDIT) {
        sg_buf_printf(b, "%s\"Audit\"", sep);
        sep = ",";
    }
    if (r->p->actions & ACT_DENY) {
        sg_buf_printf(b, "%s\"Deny\"", sep);
        sep = ",";
    }
    if (r->p->actions & ACT_WARN)
        sg_buf_printf(b, "%s\"Warn\"", sep);
    sg_buf_puts(b, "]}");
}

/* A failed validation (or an evaluation error under failurePolicy Fail) with each configured action. */
static void failed(run_t *r, const char *msg, size_t index, int code, const char *reason)
{
    if (r->p->actions & ACT_DENY)
        deny(r, msg, code, reason);
    if (r->p->actions & ACT_WARN)
        warn(r, msg);
    if (r->p->actions & ACT_AUDIT)
        audit_failure(r, msg, index);
}

static const char *message_of(run_t *r, const sg_policy_validation_t *v)
{
    if (v->msg_expr.program != NULL) {
        sg_cel_value_t out;
        sg_error_t e; /* not read: a failing messageExpression falls back to the message */
        if (eval_expr(r, &v->msg_expr, &out, &e) == SG_OK && out.kind == SG_CEL_STRING) {
            sg_span_t t = sg_go_trim_space(sg_span_make(out.u.s, out.len));
            if (t.len > 0 && t.len <= 5120 && memchr(t.ptr, '\n', t.len) == NULL) {
                const char *m = sg_arena_strndup(r->arena, t.ptr, t.len);
                if (m != NULL)
                    return m;
            }
        }
    }
    if (v->message != NULL)
        return v->message;
    const char *m = sg_arena_printf(r->arena, "failed expression: %s", v->expr.source);
    return m != NULL ? m : "failed expression";
}

static void run_policy(run_t *r, const sg_policy_t *p)
{
    r->p = p;
    memset(&r->vmap, 0, sizeof(r->vmap));
    if (p->nvariables) {
        /* values by index, then the map's keys and values, then the states */
        size_t nv = p->nvariables;
        sg_cel_value_t *a = sg_arena_alloc(r->arena, 3 * nv * sizeof(*a) + nv);
        if (a == NULL) {
            r->nomem = 1;
            return;
        }
        r->vvalues = a;
        r->vmap.keys = a + nv;
        r->vmap.values = a + 2 * nv;
        r->vmap.cap = (uint32_t)nv;
        r->vstate = (unsigned char *)(a + 3 * nv);
        memset(r->vstate, 0, nv);
    }
    char msg[1400];
    /* shared by the expressions below and read only after a failure, which always sets it: clearing a 1.3 KB
     * struct per expression would cost more than many of them take to evaluate */
    sg_error_t e;
    e.code = SG_OK;
    e.message[0] = '\0';
    for (size_t i = 0; i < p->nconditions; i++) {
        sg_cel_value_t out;
        int rc = eval_expr(r, &p->conditions[i].expr, &out, &e);
        if (r->nomem)
            return;
        if (rc < 0 || out.kind != SG_CEL_BOOL) {
            sg_series_inc(p->condition_error_series);
            if (!p->fail_closed)
                return; /* Ignore: the policy does not apply */
            snprintf(msg, sizeof(msg), "matchCondition '%s' resulted in error: %s", p->conditions[i].name,
                     rc < 0 ? e.message : "must evaluate to bool");
            failed(r, msg, i, 403, "Forbidden");
            return;
        }
        if (!out.u.b)
            return;
    }
    for (size_t i = 0; i < p->nvalidations && !r->nomem; i++) {
        const sg_policy_validation_t *v = &p->validations[i];
        sg_cel_value_t out;
        int rc = eval_expr(r, &v->expr, &out, &e);
        if (r->nomem)
            return;
        if (rc < 0 || out.kind != SG_CEL_BOOL) {
            sg_series_inc(v->series[2]);
            if (p->fail_closed) {
                snprintf(msg, sizeof(msg), "expression '%s' resulted in error: %s", v->expr.source,
                         rc < 0 ? e.message : "must evaluate to bool");
                failed(r, msg, i, v->code, v->reason);
            }
            continue;
        }
        if (out.u.b) {
            sg_series_inc(v->series[0]);
            continue;
        }
        sg_series_inc(v->series[1]);
        failed(r, message_of(r, v), i, v->code, v->reason);
    }
    for (size_t i = 0; i < p->nannotations && !r->nomem; i++) {
        const sg_policy_annotation_def_t *a = &p->annotations[i];
        sg_cel_value_t out;
        int rc = eval_expr(r, &a->expr, &out, &e);
        if (r->nomem)
            return;
        if (rc == SG_OK && out.kind == SG_CEL_NULL)
            continue;
        if (rc == SG_OK && out.kind == SG_CEL_STRING) {
            const char *val = sg_arena_strndup(r->arena, out.u.s, out.len > 10240 ? 10240 : out.len);
            if (val == NULL)
                r->nomem = 1;
            else
                annotate(r, a->key, val);
            continue;
        }
        if (p->fail_closed) {
            snprintf(msg, sizeof(msg), "valueExpression '%s' resulted in error: %s", a->expr.source,
                     rc < 0 ? e.message : "must evaluate to a string or null");
            failed(r, msg, i, 422, "Invalid");
        }
    }
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sg_policy_evaluate(const sg_policy_set_t *s, const sg_policy_input_t *in, sg_arena_t *arena,
                       sg_policy_result_t *res)
{
    memset(res, 0, sizeof(*res));
    res->deny_code = 422;
    res->deny_reason = "Invalid";
    if (s == NULL || s->npolicies == 0)
        return SG_OK;
    double start = s->duration != NULL ? now_seconds() : 0;
    unsigned op = sg_policy__op_bit(in->operation);
    run_t r;
    memset(&r, 0, sizeof(r));
    r.in = in;
    r.arena = arena;
    r.res = res;
    r.budget = SG_POLICY_RUNTIME_COST_BUDGET;
    sg_buf_init(&r.audit);
    const sg_json_t *request = in->request;
    if (request == NULL) {
        sg_json_t *req = sg_json_new_object(arena);
        const char *ns = in->namespace_ != NULL ? in->namespace_ : "", *name = in->name != NULL ? in->name : "";
        const char *opn = in->operation != NULL ? in->operation : "";
        if (req == NULL ||
            sg_json_object_set(arena, req, "operation", sg_json_new_string(arena, opn, strlen(opn))) < 0 ||
            sg_json_object_set(arena, req, "namespace", sg_json_new_string(arena, ns, strlen(ns))) < 0 ||
            sg_json_object_set(arena, req, "name", sg_json_new_string(arena, name, strlen(name))) < 0)
            return SG_ENOMEM;
        request = req;
    }
    r.base[0].name = "object";
    r.base[0].value = in->object != NULL ? sg_cel_value_from_json(in->object) : sg_cel_null();
    r.base[1].name = "oldObject";
    r.base[1].value = in->old_object != NULL ? sg_cel_value_from_json(in->old_object) : sg_cel_null();
    r.base[2].name = "request";
    r.base[2].value = sg_cel_value_from_json(request);
    for (size_t i = 0; i < s->npolicies && !r.nomem; i++)
        if (sg_policy__matches(&s->policies[i], in, op))
            run_policy(&r, &s->policies[i]);
    if (!r.nomem && r.audit.len != 0) {
        sg_buf_putc(&r.audit, ']');
        const char *v = r.audit.oom ? NULL : sg_arena_strndup(arena, r.audit.base, r.audit.len);
        if (v == NULL)
            r.nomem = 1;
        else
            annotate(&r, "validation_failure", v);
    }
    sg_buf_dispose(&r.audit);
    if (s->duration != NULL)
        sg_series_observe(s->duration, now_seconds() - start);
    return r.nomem ? SG_ENOMEM : SG_OK;
}
