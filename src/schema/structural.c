/* The openAPIV3Schema checks of one object, with kube-openapi's messages as apiextensions-apiserver converts them into
 * field errors: types and formats, string and list sizes, patterns, enums, numeric bounds, required fields, list-type
 * set/map uniqueness, and fields the schema does not declare (reported, never dropped). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include <storygate/gostr.h>

#include "internal.h"

/* Fields of metav1.ObjectMeta as they appear in JSON. */
static const char *const object_meta_fields[] = {
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
    NULL,
};

size_t sg_schema__path_child(sg_buf_t *p, const char *name, size_t len)
{
    size_t mark = p->len;
    if (p->len != 0)
        sg_buf_putc(p, '.');
    sg_buf_append(p, name, len);
    return mark;
}

size_t sg_schema__path_index(sg_buf_t *p, size_t i)
{
    size_t mark = p->len;
    sg_buf_printf(p, "[%zu]", i);
    return mark;
}

size_t sg_schema__path_key(sg_buf_t *p, const char *key, size_t len)
{
    size_t mark = p->len;
    sg_buf_putc(p, '[');
    sg_buf_append(p, key, len);
    sg_buf_putc(p, ']');
    return mark;
}

void sg_schema__path_restore(sg_buf_t *p, size_t mark)
{
    if (p->base != NULL && mark <= p->len) {
        p->len = mark;
        p->base[mark] = '\0';
    }
}

static const char *cur(sg_schema_run_t *r)
{
    return r->path.base != NULL ? r->path.base : "";
}

/* The kube-openapi type name of a value: "integer" for numbers the decoder keeps as integers. */
static const char *value_type(const sg_json_t *v)
{
    switch (v->type) {
    case SG_JSON_NULL:
        return "null";
    case SG_JSON_BOOL:
        return "boolean";
    case SG_JSON_NUMBER:
        return sg_schema__is_int(v, NULL) ? "integer" : "number";
    case SG_JSON_STRING:
        return "string";
    case SG_JSON_ARRAY:
        return "array";
    default:
        return "object";
    }
}

static int type_ok(const sg_schema_node_t *n, const sg_json_t *v)
{
    if (n->types == 0)
        return 1;
    switch (v->type) {
    case SG_JSON_BOOL:
        return (n->types & T_BOOLEAN) != 0;
    case SG_JSON_NUMBER:
        if (n->types & T_NUMBER)
            return 1;
        /* kube-openapi accepts a float with an integral value where an integer is expected */
        return (n->types & T_INTEGER) && floor(v->u.number.value) == v->u.number.value;
    case SG_JSON_STRING:
        return (n->types & T_STRING) != 0;
    case SG_JSON_ARRAY:
        return (n->types & T_ARRAY) != 0;
    case SG_JSON_OBJECT:
        return (n->types & T_OBJECT) != 0;
    default:
        return 0;
    }
}

static void invalidf(sg_schema_run_t *r, sg_field_error_type_t t, const sg_json_t *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void invalidf(sg_schema_run_t *r, sg_field_error_type_t t, const sg_json_t *value, const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    sg_schema__add(r, t, cur(r), value, 0, detail);
}

static size_t rune_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static void check_enum(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v)
{
    const sg_json_t *e = n->enum_values;
    for (size_t i = 0; i < e->u.array.len; i++)
        if (sg_json_equal(e->u.array.items[i], v))
            return;
    sg_buf_t d = SG_BUF_INIT;
    if (e->u.array.len)
        sg_buf_puts(&d, "supported values: ");
    for (size_t i = 0; i < e->u.array.len; i++) {
        const sg_json_t *a = e->u.array.items[i];
        if (i)
            sg_buf_puts(&d, ", ");
        if (a->type == SG_JSON_STRING) {
            sg_go_quote(&d, a->u.string.ptr, a->u.string.len);
        } else {
            sg_buf_t j = SG_BUF_INIT;
            sg_json_encode_go(&j, a);
            sg_go_quote(&d, j.base != NULL ? j.base : "", j.len);
            sg_buf_dispose(&j);
        }
    }
    if (d.oom)
        r->nomem = 1;
    else
        sg_schema__add(r, SG_FIELD_NOT_SUPPORTED, cur(r), v, 0, d.base);
    sg_buf_dispose(&d);
}

static void *arena_malloc(PCRE2_SIZE n, void *data)
{
    return sg_arena_alloc(data, n);
}

static void arena_free(void *p, void *data)
{
    (void)p;
    (void)data;
}

static void check_string(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v)
{
    const char *s = v->u.string.ptr;
    size_t len = v->u.string.len;
    if (n->max_length >= 0 || n->min_length >= 0) {
        size_t runes = rune_count(s, len);
        if (n->max_length >= 0 && runes > (size_t)n->max_length) {
            char d[64];
            snprintf(d, sizeof(d), "may not be more than %lld %s", (long long)n->max_length,
                     n->max_length == 1 ? "byte" : "bytes");
            sg_schema__add(r, SG_FIELD_TOO_LONG, cur(r), v, 1, d);
        }
        if (n->min_length >= 0 && runes < (size_t)n->min_length)
            invalidf(r, SG_FIELD_INVALID, v, "%s in body should be at least %lld chars long", cur(r),
                     (long long)n->min_length);
    }
    if (n->regex != NULL) {
        if (r->match_data == NULL) {
            pcre2_general_context *g = pcre2_general_context_create(arena_malloc, arena_free, r->arena);
            r->match_data = g != NULL ? pcre2_match_data_create(1, g) : NULL;
        }
        int rc = r->match_data != NULL ? pcre2_match(n->regex, (PCRE2_SPTR)s, len, 0, 0, r->match_data, r->match_ctx)
                                       : PCRE2_ERROR_NOMEMORY;
        if (rc == PCRE2_ERROR_NOMEMORY)
            r->nomem = 1;
        else if (rc == PCRE2_ERROR_NOMATCH)
            invalidf(r, SG_FIELD_INVALID, v, "%s in body should match '%s'", cur(r), n->pattern);
        else if (rc < 0)
            invalidf(r, SG_FIELD_INVALID, v, "%s in body could not be matched against '%s'", cur(r), n->pattern);
    }
    if (n->format != NULL && !sg_schema__valid_format(n->format, s, len)) {
        sg_buf_t d = SG_BUF_INIT;
        sg_buf_printf(&d, "%s in body must be of type %s: ", cur(r), n->format);
        sg_go_quote(&d, s, len);
        if (!d.oom)
            sg_schema__add(r, SG_FIELD_TYPE_INVALID, cur(r), v, 0, d.base);
        sg_buf_dispose(&d);
    }
}

static void number_text(char *buf, size_t size, double d)
{
    sg_buf_t b = SG_BUF_INIT;
    if (floor(d) == d && fabs(d) < 9e18)
        sg_buf_printf(&b, "%lld", (long long)d);
    else
        sg_schema__go_float(&b, d);
    snprintf(buf, size, "%s", b.base != NULL ? b.base : "?");
    sg_buf_dispose(&b);
}

static void check_number(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v)
{
    double d = v->u.number.value;
    char bound[64];
    if (n->has_maximum && (n->exclusive_maximum ? d >= n->maximum : d > n->maximum)) {
        number_text(bound, sizeof(bound), n->maximum);
        invalidf(r, SG_FIELD_INVALID, v, "%s in body should be less than %s%s", cur(r),
                 n->exclusive_maximum ? "" : "or equal to ", bound);
    }
    if (n->has_minimum && (n->exclusive_minimum ? d <= n->minimum : d < n->minimum)) {
        number_text(bound, sizeof(bound), n->minimum);
        invalidf(r, SG_FIELD_INVALID, v, "%s in body should be greater than %s%s", cur(r),
                 n->exclusive_minimum ? "" : "or equal to ", bound);
    }
    if (n->multiple_of > 0) {
        double q = d / n->multiple_of;
        if (floor(q) != q) {
            number_text(bound, sizeof(bound), n->multiple_of);
            invalidf(r, SG_FIELD_INVALID, v, "%s in body should be a multiple of %s", cur(r), bound);
        }
    }
}

/* A map-list item's key tuple as JSON, e.g. {"type":"Ready"}, for duplicate detection and messages. */
static sg_json_t *map_key_value(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *item)
{
    sg_json_t *o = sg_json_new_object(r->arena);
    if (o == NULL)
        return NULL;
    for (size_t k = 0; k < n->nmap_keys; k++) {
        sg_json_t *kv = sg_json_get(item, n->map_keys[k]);
        if (kv != NULL && sg_json_object_set(r->arena, o, n->map_keys[k], kv) < 0)
            return NULL;
    }
    return o;
}

static void check_list_type(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v)
{
    size_t len = v->u.array.len;
    if (len > 10000)
        return; /* quadratic uniqueness on huge lists is not worth a request */
    sg_json_t **keys = NULL;
    if (n->list_type == LIST_MAP) {
        keys = sg_arena_calloc(r->arena, len + 1, sizeof(*keys));
        if (keys == NULL) {
            r->nomem = 1;
            return;
        }
    }
    for (size_t i = 0; i < len; i++) {
        const sg_json_t *item = v->u.array.items[i];
        size_t mark = sg_schema__path_index(&r->path, i);
        if (n->list_type == LIST_SET) {
            for (size_t j = 0; j < i; j++)
                if (sg_json_equal(v->u.array.items[j], item)) {
                    sg_schema__add(r, SG_FIELD_DUPLICATE, cur(r), item, 0, NULL);
                    break;
                }
        } else if (item->type == SG_JSON_OBJECT) {
            int missing = 0;
            for (size_t k = 0; k < n->nmap_keys; k++) {
                const sg_json_t *kv = sg_json_get(item, n->map_keys[k]);
                if (kv == NULL || kv->type == SG_JSON_NULL) {
                    size_t m2 = sg_schema__path_child(&r->path, n->map_keys[k], strlen(n->map_keys[k]));
                    sg_schema__add(r, SG_FIELD_REQUIRED, cur(r), NULL, 1, NULL);
                    sg_schema__path_restore(&r->path, m2);
                    missing = 1;
                }
            }
            if (!missing && (keys[i] = map_key_value(r, n, item)) != NULL) {
                for (size_t j = 0; j < i; j++)
                    if (keys[j] != NULL && sg_json_equal(keys[j], keys[i])) {
                        sg_schema__add(r, SG_FIELD_DUPLICATE, cur(r), keys[i], 0, NULL);
                        break;
                    }
            }
        } else {
            sg_schema__add(r, SG_FIELD_INVALID, cur(r), item, 0, "must be an object for an array of list-type map");
        }
        sg_schema__path_restore(&r->path, mark);
    }
}

/* maxItems and maxProperties fail alike: TooMany carrying the count, worded (items) as the apiserver does. */
static void too_many(sg_schema_run_t *r, int64_t max, size_t count)
{
    char d[96];
    snprintf(d, sizeof(d), "must have at most %lld %s", (long long)max, max == 1 ? "item" : "items");
    sg_json_t c = {.type = SG_JSON_NUMBER};
    c.u.number.value = (double)count;
    sg_schema__add(r, SG_FIELD_TOO_MANY, cur(r), &c, 0, d);
}

static void check_array(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v)
{
    size_t len = v->u.array.len;
    if (n->max_items >= 0 && len > (size_t)n->max_items)
        too_many(r, n->max_items, len);
    if (n->min_items >= 0 && len < (size_t)n->min_items) {
        sg_json_t count = {.type = SG_JSON_NUMBER};
        count.u.number.value = (double)len;
        invalidf(r, SG_FIELD_INVALID, &count, "%s in body should have at least %lld items", cur(r),
                 (long long)n->min_items);
    }
    if (n->unique_items) {
        for (size_t i = 1; i < len && i < 10000; i++)
            for (size_t j = 0; j < i; j++)
                if (sg_json_equal(v->u.array.items[i], v->u.array.items[j])) {
                    invalidf(r, SG_FIELD_INVALID, v, "%s in body shouldn't contain duplicates", cur(r));
                    i = len;
                    break;
                }
    }
    if (n->items != NULL) {
        for (size_t i = 0; i < len && !r->nomem; i++) {
            size_t mark = sg_schema__path_index(&r->path, i);
            sg_schema__check(r, n->items, v->u.array.items[i]);
            sg_schema__path_restore(&r->path, mark);
        }
    }
    if (n->list_type != LIST_ATOMIC)
        check_list_type(r, n, v);
}

static const sg_schema_node_t *prop(const sg_schema_node_t *n, const char *key, size_t len)
{
    for (size_t i = 0; i < n->nprops; i++)
        if (n->props[i].name_len == len && memcmp(n->props[i].name, key, len) == 0)
            return n->props[i].node;
    return NULL;
}

static int is_meta_field(const char *key)
{
    for (size_t i = 0; object_meta_fields[i] != NULL; i++)
        if (strcmp(object_meta_fields[i], key) == 0)
            return 1;
    return 0;
}

/* Whether a field the schema does not name is kept by the apiserver's pruning. */
static int allows_unknown(const sg_schema_node_t *n, const char *key)
{
    if (n->preserve_unknown || (n->additional_set && !n->additional_false))
        return 1;
    if (n->embedded_resource &&
        (strcmp(key, "apiVersion") == 0 || strcmp(key, "kind") == 0 || strcmp(key, "metadata") == 0))
        return 1;
    return !n->has_props && n->types == 0;
}

static void check_object(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v)
{
    size_t count = 0;
    for (size_t i = 0; i < v->u.object.len; i++)
        count++;
    if (n->max_props >= 0 && count > (size_t)n->max_props)
        too_many(r, n->max_props, count);
    if (n->min_props >= 0 && count < (size_t)n->min_props)
        invalidf(r, SG_FIELD_INVALID, v, "%s in body should have at least %lld properties", cur(r),
                 (long long)n->min_props);
    for (size_t i = 0; i < n->nrequired; i++) {
        const sg_json_t *m = sg_json_get(v, n->required[i]);
        const sg_schema_node_t *p = prop(n, n->required[i], strlen(n->required[i]));
        /* a null in a non-nullable field is dropped by the apiserver's decoder: it counts as absent */
        if (m == NULL || (m->type == SG_JSON_NULL && (p == NULL || !p->nullable))) {
            size_t mark = sg_schema__path_child(&r->path, n->required[i], strlen(n->required[i]));
            sg_schema__add(r, SG_FIELD_REQUIRED, cur(r), NULL, 1, NULL);
            sg_schema__path_restore(&r->path, mark);
        }
    }
    for (size_t i = 0; i < v->u.object.len && !r->nomem; i++) {
        const sg_json_member_t *m = &v->u.object.members[i];
        const sg_schema_node_t *p = prop(n, m->key, m->key_len);
        if (p != NULL) {
            if (m->value->type == SG_JSON_NULL && !p->nullable)
                continue;
            size_t mark = sg_schema__path_child(&r->path, m->key, m->key_len);
            sg_schema__check(r, p, m->value);
            sg_schema__path_restore(&r->path, mark);
        } else if (n->additional != NULL) {
            size_t mark = sg_schema__path_child(&r->path, m->key, m->key_len);
            sg_schema__check(r, n->additional, m->value);
            sg_schema__path_restore(&r->path, mark);
        } else if (n->is_metadata ? !is_meta_field(m->key) : !allows_unknown(n, m->key)) {
            size_t mark = sg_schema__path_child(&r->path, m->key, m->key_len);
            sg_schema__add(r, SG_FIELD_UNKNOWN, cur(r), NULL, 1, NULL);
            sg_schema__path_restore(&r->path, mark);
        }
    }
}

void sg_schema__check(sg_schema_run_t *r, const sg_schema_node_t *n, const sg_json_t *v)
{
    if (r->nomem || r->path.oom) {
        r->nomem = 1;
        return;
    }
    if (v->type == SG_JSON_NULL) {
        if (n->nullable || n->types == 0)
            return;
        invalidf(r, SG_FIELD_TYPE_INVALID, &(sg_json_t){.type = SG_JSON_STRING, .u.string = {"null", 4}},
                 "%s in body must be of type %s: \"null\"", cur(r), n->int_or_string ? "integer,string" : n->type_name);
        return;
    }
    if (!type_ok(n, v)) {
        const char *vt = value_type(v);
        sg_json_t tv = {.type = SG_JSON_STRING};
        tv.u.string.ptr = vt;
        tv.u.string.len = strlen(vt);
        invalidf(r, SG_FIELD_TYPE_INVALID, &tv, "%s in body must be of type %s: \"%s\"", cur(r),
                 n->int_or_string ? "integer,string" : n->type_name, vt);
        return;
    }
    if (n->enum_values != NULL)
        check_enum(r, n, v);
    switch (v->type) {
    case SG_JSON_STRING:
        check_string(r, n, v);
        break;
    case SG_JSON_NUMBER:
        check_number(r, n, v);
        break;
    case SG_JSON_ARRAY:
        check_array(r, n, v);
        break;
    case SG_JSON_OBJECT:
        check_object(r, n, v);
        break;
    default:
        break;
    }
}
