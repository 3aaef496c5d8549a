/* The checker's types and environments: builders in an arena, the textual form cel-go prints ("list(int)") and its
 * parser, and declared variables. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define MAX_TYPE_DEPTH 64

static const sg_cel_type_t prims[] = {
    [SG_CEL_T_DYN] = {.kind = SG_CEL_T_DYN},           [SG_CEL_T_NULL] = {.kind = SG_CEL_T_NULL},
    [SG_CEL_T_BOOL] = {.kind = SG_CEL_T_BOOL},         [SG_CEL_T_INT] = {.kind = SG_CEL_T_INT},
    [SG_CEL_T_UINT] = {.kind = SG_CEL_T_UINT},         [SG_CEL_T_DOUBLE] = {.kind = SG_CEL_T_DOUBLE},
    [SG_CEL_T_STRING] = {.kind = SG_CEL_T_STRING},     [SG_CEL_T_BYTES] = {.kind = SG_CEL_T_BYTES},
    [SG_CEL_T_DURATION] = {.kind = SG_CEL_T_DURATION}, [SG_CEL_T_TIMESTAMP] = {.kind = SG_CEL_T_TIMESTAMP},
    [SG_CEL_T_TYPE] = {.kind = SG_CEL_T_TYPE},         [SG_CEL_T_LIST] = {.kind = SG_CEL_T_DYN},
    [SG_CEL_T_MAP] = {.kind = SG_CEL_T_DYN},           [SG_CEL_T_OPTIONAL] = {.kind = SG_CEL_T_DYN},
    [SG_CEL_T_OBJECT] = {.kind = SG_CEL_T_DYN},        [SG_CEL_T_PARAM] = {.kind = SG_CEL_T_DYN},
    [SG_CEL_T_ERROR] = {.kind = SG_CEL_T_ERROR},
};

const sg_cel_type_t *sg_cel_type_prim(sg_cel_type_kind_t kind)
{
    return (unsigned)kind < sizeof(prims) / sizeof(prims[0]) ? &prims[kind] : &prims[SG_CEL_T_DYN];
}

const sg_cel_type_t *sg_cel__type_new(sg_arena_t *a, sg_cel_type_kind_t kind, const sg_cel_type_t *p0,
                                      const sg_cel_type_t *p1)
{
    sg_cel_type_t *t = sg_arena_calloc(a, 1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->kind = (uint8_t)kind;
    t->p[0] = p0;
    t->p[1] = p1;
    return t;
}

int sg_cel_env_new(sg_cel_env_t **out, sg_error_t *err)
{
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    sg_arena_init(&(*out)->arena, 8192);
    return SG_OK;
}

void sg_cel_env_free(sg_cel_env_t *env)
{
    if (env == NULL)
        return;
    free(env->decls);
    sg_arena_dispose(&env->arena);
    free(env);
}

int sg_cel_env_declare(sg_cel_env_t *env, const char *name, const sg_cel_type_t *t, sg_error_t *err)
{
    for (size_t i = 0; i < env->ndecls; i++)
        if (strcmp(env->decls[i].name, name) == 0) {
            env->decls[i].type = t;
            return SG_OK;
        }
    if (env->ndecls == env->capdecls) {
        size_t nc = env->capdecls ? env->capdecls * 2 : 8;
        sg_cel_decl_t *nd = realloc(env->decls, nc * sizeof(*nd));
        if (nd == NULL)
            return sg_error_set(err, SG_ENOMEM, "out of memory");
        env->decls = nd;
        env->capdecls = nc;
    }
    const char *copy = sg_arena_strndup(&env->arena, name, strlen(name));
    if (copy == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    env->decls[env->ndecls].name = copy;
    env->decls[env->ndecls].type = t;
    env->ndecls++;
    return SG_OK;
}

const sg_cel_type_t *sg_cel__env_lookup(const sg_cel_env_t *env, const char *name)
{
    for (size_t i = 0; i < env->ndecls; i++)
        if (strcmp(env->decls[i].name, name) == 0)
            return env->decls[i].type;
    return NULL;
}

const sg_cel_type_t *sg_cel_type_list(sg_cel_env_t *env, const sg_cel_type_t *elem)
{
    return sg_cel__type_new(&env->arena, SG_CEL_T_LIST, elem, NULL);
}

const sg_cel_type_t *sg_cel_type_map(sg_cel_env_t *env, const sg_cel_type_t *key, const sg_cel_type_t *value)
{
    return sg_cel__type_new(&env->arena, SG_CEL_T_MAP, key, value);
}

const sg_cel_type_t *sg_cel_type_optional(sg_cel_env_t *env, const sg_cel_type_t *t)
{
    return sg_cel__type_new(&env->arena, SG_CEL_T_OPTIONAL, t, NULL);
}

const sg_cel_type_t *sg_cel_type_type(sg_cel_env_t *env, const sg_cel_type_t *t)
{
    return sg_cel__type_new(&env->arena, SG_CEL_T_TYPE, t, NULL);
}

static sg_cel_type_t *object_new(sg_arena_t *a, const char *name, size_t len, int open)
{
    sg_cel_type_t *t = sg_arena_calloc(a, 1, sizeof(*t));
    if (t == NULL || (t->name = sg_arena_strndup(a, name, len)) == NULL)
        return NULL;
    t->kind = SG_CEL_T_OBJECT;
    t->open = open != 0;
    return t;
}

sg_cel_type_t *sg_cel_type_object(sg_cel_env_t *env, const char *name, int open)
{
    return object_new(&env->arena, name, strlen(name), open);
}

static int add_field(sg_arena_t *a, sg_cel_type_t *obj, const char *name, size_t len, const sg_cel_type_t *t)
{
    if (obj == NULL || obj->kind != SG_CEL_T_OBJECT || t == NULL)
        return SG_EINVALID;
    for (uint32_t i = 0; i < obj->nfields; i++)
        if (strlen(obj->fields[i].name) == len && memcmp(obj->fields[i].name, name, len) == 0) {
            obj->fields[i].type = t;
            return SG_OK;
        }
    if (obj->nfields == obj->capfields) {
        uint32_t nc = obj->capfields ? obj->capfields * 2 : 8;
        sg_cel_field_t *nf = sg_arena_alloc(a, nc * sizeof(*nf));
        if (nf == NULL)
            return SG_ENOMEM;
        if (obj->nfields)
            memcpy(nf, obj->fields, obj->nfields * sizeof(*nf));
        obj->fields = nf;
        obj->capfields = nc;
    }
    const char *copy = sg_arena_strndup(a, name, len);
    if (copy == NULL)
        return SG_ENOMEM;
    obj->fields[obj->nfields].name = copy;
    obj->fields[obj->nfields].type = t;
    obj->nfields++;
    return SG_OK;
}

int sg_cel_type_add_field(sg_cel_env_t *env, sg_cel_type_t *obj, const char *name, const sg_cel_type_t *t)
{
    return add_field(&env->arena, obj, name, strlen(name), t);
}

sg_cel_type_kind_t sg_cel_type_kind(const sg_cel_type_t *t)
{
    return (sg_cel_type_kind_t)t->kind;
}

const sg_cel_type_t *sg_cel_type_param(const sg_cel_type_t *t, int i)
{
    return t != NULL && (i == 0 || i == 1) ? t->p[i] : NULL;
}

const sg_cel_type_t *sg_cel_type_field(const sg_cel_type_t *t, const char *name)
{
    if (t == NULL || t->kind != SG_CEL_T_OBJECT)
        return NULL;
    for (uint32_t i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return t->fields[i].type;
    return NULL;
}

static void format(sg_buf_t *out, const sg_cel_type_t *t, int depth)
{
    if (t == NULL || depth > MAX_TYPE_DEPTH) {
        sg_buf_puts(out, "dyn");
        return;
    }
    switch (t->kind) {
    case SG_CEL_T_DYN:
        sg_buf_puts(out, "dyn");
        return;
    case SG_CEL_T_NULL:
        sg_buf_puts(out, "null_type");
        return;
    case SG_CEL_T_BOOL:
        sg_buf_puts(out, "bool");
        return;
    case SG_CEL_T_INT:
        sg_buf_puts(out, "int");
        return;
    case SG_CEL_T_UINT:
        sg_buf_puts(out, "uint");
        return;
    case SG_CEL_T_DOUBLE:
        sg_buf_puts(out, "double");
        return;
    case SG_CEL_T_STRING:
        sg_buf_puts(out, "string");
        return;
    case SG_CEL_T_BYTES:
        sg_buf_puts(out, "bytes");
        return;
    case SG_CEL_T_DURATION:
        sg_buf_puts(out, "google.protobuf.Duration");
        return;
    case SG_CEL_T_TIMESTAMP:
        sg_buf_puts(out, "google.protobuf.Timestamp");
        return;
    case SG_CEL_T_TYPE:
        sg_buf_puts(out, "type");
        if (t->p[0] != NULL) {
            sg_buf_putc(out, '(');
            format(out, t->p[0], depth + 1);
            sg_buf_putc(out, ')');
        }
        return;
    case SG_CEL_T_LIST:
        sg_buf_puts(out, "list(");
        format(out, t->p[0], depth + 1);
        sg_buf_putc(out, ')');
        return;
    case SG_CEL_T_MAP:
        sg_buf_puts(out, "map(");
        format(out, t->p[0], depth + 1);
        sg_buf_puts(out, ", ");
        format(out, t->p[1], depth + 1);
        sg_buf_putc(out, ')');
        return;
    case SG_CEL_T_OPTIONAL:
        sg_buf_puts(out, "optional_type(");
        format(out, t->p[0], depth + 1);
        sg_buf_putc(out, ')');
        return;
    case SG_CEL_T_OBJECT:
        sg_buf_puts(out, t->name != NULL ? t->name : "object");
        return;
    case SG_CEL_T_PARAM:
        if (t->sig)
            sg_buf_putc(out, (char)('A' + t->id));
        else
            sg_buf_printf(out, "_var%u", t->id);
        return;
    default:
        sg_buf_puts(out, "*error*");
        return;
    }
}

int sg_cel_type_format(sg_buf_t *out, const sg_cel_type_t *t)
{
    format(out, t, 0);
    return out->oom ? SG_ENOMEM : SG_OK;
}

/* ---- parsing ---- */

typedef struct st_tparser_t {
    sg_arena_t *a;
    const char *s;
    size_t len, pos;
    int sig;
    const char *why;
    int nomem;
} tparser_t;

static void skip_ws(tparser_t *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
}

static int is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

static int eat(tparser_t *p, char c)
{
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == c) {
        p->pos++;
        return 1;
    }
    return 0;
}

static const sg_cel_type_t *parse_type(tparser_t *p, int depth);

static const sg_cel_type_t *parse_params(tparser_t *p, sg_cel_type_kind_t kind, int n, int depth)
{
    const sg_cel_type_t *ps[2] = {NULL, NULL};
    if (!eat(p, '(')) {
        p->why = "expected '('";
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (i > 0 && !eat(p, ',')) {
            p->why = "expected ','";
            return NULL;
        }
        if ((ps[i] = parse_type(p, depth + 1)) == NULL)
            return NULL;
    }
    if (!eat(p, ')')) {
        p->why = "expected ')'";
        return NULL;
    }
    const sg_cel_type_t *t = sg_cel__type_new(p->a, kind, ps[0], ps[1]);
    if (t == NULL)
        p->nomem = 1;
    return t;
}

static const sg_cel_type_t *parse_object(tparser_t *p, const char *name, size_t name_len, int depth)
{
    sg_cel_type_t *obj = object_new(p->a, name, name_len, 0);
    if (obj == NULL) {
        p->nomem = 1;
        return NULL;
    }
    if (eat(p, '}'))
        return obj;
    do {
        if (eat(p, '*')) {
            obj->open = 1;
            continue;
        }
        skip_ws(p);
        size_t st = p->pos;
        while (p->pos < p->len && is_word(p->s[p->pos]) && p->s[p->pos] != '.')
            p->pos++;
        size_t nl = p->pos - st;
        if (nl == 0 || !eat(p, ':')) {
            p->why = "expected a field name and ':'";
            return NULL;
        }
        const sg_cel_type_t *ft = parse_type(p, depth + 1);
        if (ft == NULL)
            return NULL;
        if (add_field(p->a, obj, p->s + st, nl, ft) < 0) {
            p->nomem = 1;
            return NULL;
        }
    } while (eat(p, ','));
    if (!eat(p, '}')) {
        p->why = "expected '}'";
        return NULL;
    }
    return obj;
}

static const sg_cel_type_t *parse_type(tparser_t *p, int depth)
{
    if (depth > MAX_TYPE_DEPTH) {
        p->why = "type nested too deeply";
        return NULL;
    }
    if (eat(p, '{'))
        return parse_object(p, "object", 6, depth);
    skip_ws(p);
    size_t st = p->pos;
    while (p->pos < p->len && is_word(p->s[p->pos]))
        p->pos++;
    size_t n = p->pos - st;
    const char *w = p->s + st;
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(w, lit, n) == 0)
    if (n == 0) {
        p->why = "expected a type";
        return NULL;
    }
    if (eat(p, '{'))
        return parse_object(p, w, n, depth);
    if (p->sig && n == 1 && w[0] >= 'A' && w[0] <= 'Z') {
        sg_cel_type_t *t = sg_arena_calloc(p->a, 1, sizeof(*t));
        if (t == NULL) {
            p->nomem = 1;
            return NULL;
        }
        t->kind = SG_CEL_T_PARAM;
        t->sig = 1;
        t->id = (uint32_t)(w[0] - 'A');
        return t;
    }
    if (IS("dyn"))
        return sg_cel_type_prim(SG_CEL_T_DYN);
    if (IS("null_type") || IS("null"))
        return sg_cel_type_prim(SG_CEL_T_NULL);
    if (IS("bool"))
        return sg_cel_type_prim(SG_CEL_T_BOOL);
    if (IS("int"))
        return sg_cel_type_prim(SG_CEL_T_INT);
    if (IS("uint"))
        return sg_cel_type_prim(SG_CEL_T_UINT);
    if (IS("double"))
        return sg_cel_type_prim(SG_CEL_T_DOUBLE);
    if (IS("string"))
        return sg_cel_type_prim(SG_CEL_T_STRING);
    if (IS("bytes"))
        return sg_cel_type_prim(SG_CEL_T_BYTES);
    if (IS("duration") || IS("google.protobuf.Duration"))
        return sg_cel_type_prim(SG_CEL_T_DURATION);
    if (IS("timestamp") || IS("google.protobuf.Timestamp"))
        return sg_cel_type_prim(SG_CEL_T_TIMESTAMP);
    if (IS("list"))
        return parse_params(p, SG_CEL_T_LIST, 1, depth);
    if (IS("map"))
        return parse_params(p, SG_CEL_T_MAP, 2, depth);
    if (IS("optional_type") || IS("optional"))
        return parse_params(p, SG_CEL_T_OPTIONAL, 1, depth);
    if (IS("type")) {
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == '(')
            return parse_params(p, SG_CEL_T_TYPE, 1, depth);
        return sg_cel_type_prim(SG_CEL_T_TYPE);
    }
#undef IS
    p->why = "unknown type name";
    p->pos = st;
    return NULL;
}

int sg_cel__type_parse(const sg_cel_type_t **out, sg_arena_t *arena, const char *s, size_t len, int sig_params,
                       sg_error_t *err)
{
    tparser_t p = {arena, s, len, 0, sig_params, NULL, 0};
    const sg_cel_type_t *t = parse_type(&p, 0);
    if (t != NULL) {
        skip_ws(&p);
        if (p.pos != p.len) {
            t = NULL;
            p.why = "unexpected text after the type";
        }
    }
    if (p.nomem)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    if (t == NULL)
        return sg_error_set(err, SG_EINVALID, "type '%.*s': %s at offset %zu", (int)(len > 200 ? 200 : len), s,
                            p.why != NULL ? p.why : "invalid", p.pos);
    *out = t;
    return SG_OK;
}

int sg_cel_type_parse(const sg_cel_type_t **out, sg_cel_env_t *env, const char *s, size_t len, sg_error_t *err)
{
    return sg_cel__type_parse(out, &env->arena, s, len, 0, err);
}

/* ---- assignability between declared types (no type parameters) ---- */

static int assignable(const sg_cel_type_t *want, const sg_cel_type_t *t, int depth)
{
    if (want == NULL || t == NULL || depth > MAX_TYPE_DEPTH)
        return 1;
    if (want == t || want->kind == SG_CEL_T_DYN || t->kind == SG_CEL_T_DYN || want->kind == SG_CEL_T_ERROR ||
        t->kind == SG_CEL_T_ERROR || want->kind == SG_CEL_T_PARAM || t->kind == SG_CEL_T_PARAM)
        return 1;
    if (t->kind == SG_CEL_T_NULL || want->kind == SG_CEL_T_NULL) {
        const sg_cel_type_t *o = t->kind == SG_CEL_T_NULL ? want : t;
        return o->kind == SG_CEL_T_NULL || o->kind == SG_CEL_T_OBJECT || o->kind == SG_CEL_T_OPTIONAL ||
               o->kind == SG_CEL_T_DURATION || o->kind == SG_CEL_T_TIMESTAMP;
    }
    if (want->kind == SG_CEL_T_OBJECT && t->kind == SG_CEL_T_MAP)
        return assignable(sg_cel_type_prim(SG_CEL_T_STRING), t->p[0], depth + 1);
    if (want->kind == SG_CEL_T_MAP && t->kind == SG_CEL_T_OBJECT)
        return assignable(want->p[0], sg_cel_type_prim(SG_CEL_T_STRING), depth + 1);
    if (want->kind != t->kind)
        return 0;
    switch (want->kind) {
    case SG_CEL_T_LIST:
    case SG_CEL_T_OPTIONAL:
        return assignable(want->p[0], t->p[0], depth + 1);
    case SG_CEL_T_MAP:
        return assignable(want->p[0], t->p[0], depth + 1) && assignable(want->p[1], t->p[1], depth + 1);
    case SG_CEL_T_OBJECT:
        return want == t;
    default:
        return 1;
    }
}

int sg_cel_type_assignable(const sg_cel_type_t *want, const sg_cel_type_t *t)
{
    return assignable(want, t, 0);
}
