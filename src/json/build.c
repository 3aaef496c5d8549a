/* Building and changing values in code: constructors, array push, object set/remove, deep clone and equality.
 * Push and set grow storage by doubling; the recorded capacity counts only while the storage pointer is the one it
 * was recorded for, so arrays and objects assembled by other code (exact-size blocks) are copied, never overrun. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

sg_json_t *sg_json_new_null(sg_arena_t *arena)
{
    return sg_json__node(arena, SG_JSON_NULL);
}

sg_json_t *sg_json_new_bool(sg_arena_t *arena, int b)
{
    sg_json_t *v = sg_json__node(arena, SG_JSON_BOOL);
    if (v != NULL)
        v->u.boolean = b != 0;
    return v;
}

sg_json_t *sg_json_new_number(sg_arena_t *arena, double d)
{
    sg_json_t *v = sg_json__node(arena, SG_JSON_NUMBER);
    if (v != NULL)
        v->u.number.value = d;
    return v;
}

sg_json_t *sg_json_new_int(sg_arena_t *arena, int64_t i)
{
    sg_json_t *v = sg_json__node(arena, SG_JSON_NUMBER);
    if (v == NULL)
        return NULL;
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, i);
    v->u.number.value = (double)i;
    v->u.number.text = sg_arena_strndup(arena, tmp, (size_t)n);
    if (v->u.number.text == NULL)
        return NULL;
    v->u.number.text_len = (size_t)n;
    return v;
}

sg_json_t *sg_json_new_string(sg_arena_t *arena, const char *s, size_t len)
{
    sg_json_t *v = sg_json__node(arena, SG_JSON_STRING);
    if (v == NULL)
        return NULL;
    v->u.string.ptr = sg_arena_strndup(arena, s != NULL ? s : "", s != NULL ? len : 0);
    if (v->u.string.ptr == NULL)
        return NULL;
    v->u.string.len = s != NULL ? len : 0;
    return v;
}

sg_json_t *sg_json_new_array(sg_arena_t *arena)
{
    return sg_json__node(arena, SG_JSON_ARRAY);
}

sg_json_t *sg_json_new_object(sg_arena_t *arena)
{
    return sg_json__node(arena, SG_JSON_OBJECT);
}

/* Makes room for one more element of `size` bytes in `*items` holding `len`, with capacity `*cap` valid only when
 * `*cap_items == *items`. */
static int grow(sg_arena_t *arena, void **items, size_t len, size_t *cap, void **cap_items, size_t size)
{
    if (*cap_items == *items && *items != NULL && len < *cap)
        return SG_OK;
    size_t ncap = len < 4 ? 4 : len * 2;
    if (ncap > SIZE_MAX / size)
        return SG_ENOMEM;
    void *n = sg_arena_alloc(arena, ncap * size);
    if (n == NULL)
        return SG_ENOMEM;
    if (len > 0)
        memcpy(n, *items, len * size);
    *items = *cap_items = n;
    *cap = ncap;
    return SG_OK;
}

int sg_json_array_push(sg_arena_t *arena, sg_json_t *arr, sg_json_t *item)
{
    if (arr == NULL || arr->type != SG_JSON_ARRAY || item == NULL)
        return SG_EINVALID;
    void *items = arr->u.array.items, *cap_items = arr->u.array._cap_items;
    if (grow(arena, &items, arr->u.array.len, &arr->u.array._cap, &cap_items, sizeof(sg_json_t *)) != SG_OK)
        return SG_ENOMEM;
    arr->u.array.items = arr->u.array._cap_items = items;
    arr->u.array.items[arr->u.array.len++] = item;
    return SG_OK;
}

static long find_member(const sg_json_t *obj, const char *key, size_t key_len)
{
    for (size_t i = 0; i < obj->u.object.len; i++) {
        const sg_json_member_t *m = &obj->u.object.members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0)
            return (long)i;
    }
    return -1;
}

int sg_json_object_set(sg_arena_t *arena, sg_json_t *obj, const char *key, sg_json_t *value)
{
    if (obj == NULL || obj->type != SG_JSON_OBJECT || key == NULL || value == NULL)
        return SG_EINVALID;
    size_t key_len = strlen(key);
    long at = find_member(obj, key, key_len);
    if (at >= 0) {
        obj->u.object.members[at].value = value;
        return SG_OK;
    }
    char *k = sg_arena_strndup(arena, key, key_len);
    if (k == NULL)
        return SG_ENOMEM;
    void *members = obj->u.object.members, *cap_members = obj->u.object._cap_members;
    if (grow(arena, &members, obj->u.object.len, &obj->u.object._cap, &cap_members, sizeof(sg_json_member_t)) != SG_OK)
        return SG_ENOMEM;
    obj->u.object.members = obj->u.object._cap_members = members;
    sg_json_member_t *m = &obj->u.object.members[obj->u.object.len++];
    m->key = k;
    m->key_len = key_len;
    m->value = value;
    return SG_OK;
}

int sg_json_object_remove(sg_json_t *obj, const char *key)
{
    if (obj == NULL || obj->type != SG_JSON_OBJECT || key == NULL)
        return 0;
    long at = find_member(obj, key, strlen(key));
    if (at < 0)
        return 0;
    sg_json_member_t *m = obj->u.object.members;
    memmove(m + at, m + at + 1, (obj->u.object.len - (size_t)at - 1) * sizeof(*m));
    obj->u.object.len--;
    return 1;
}

sg_json_t *sg_json_clone(sg_arena_t *arena, const sg_json_t *v)
{
    if (v == NULL)
        return NULL;
    sg_json_t *c = sg_json__node(arena, v->type);
    if (c == NULL)
        return NULL;
    *c = *v;
    switch (v->type) {
    case SG_JSON_NUMBER:
        if (v->u.number.text != NULL &&
            (c->u.number.text = sg_arena_strndup(arena, v->u.number.text, v->u.number.text_len)) == NULL)
            return NULL;
        break;
    case SG_JSON_STRING:
        if ((c->u.string.ptr = sg_arena_strndup(arena, v->u.string.ptr, v->u.string.len)) == NULL)
            return NULL;
        break;
    case SG_JSON_ARRAY: {
        size_t n = v->u.array.len;
        c->u.array.items = c->u.array._cap_items = NULL;
        c->u.array._cap = 0;
        if (n == 0)
            break;
        if ((c->u.array.items = sg_arena_alloc(arena, n * sizeof(sg_json_t *))) == NULL)
            return NULL;
        c->u.array._cap_items = c->u.array.items;
        c->u.array._cap = n;
        for (size_t i = 0; i < n; i++)
            if ((c->u.array.items[i] = sg_json_clone(arena, v->u.array.items[i])) == NULL)
                return NULL;
        break;
    }
    case SG_JSON_OBJECT: {
        size_t n = v->u.object.len;
        c->u.object.members = c->u.object._cap_members = NULL;
        c->u.object._cap = 0;
        if (n == 0)
            break;
        sg_json_member_t *m = sg_arena_alloc(arena, n * sizeof(*m));
        if (m == NULL)
            return NULL;
        for (size_t i = 0; i < n; i++) {
            const sg_json_member_t *src = &v->u.object.members[i];
            m[i].key_len = src->key_len;
            if ((m[i].key = sg_arena_strndup(arena, src->key, src->key_len)) == NULL ||
                (m[i].value = sg_json_clone(arena, src->value)) == NULL)
                return NULL;
        }
        c->u.object.members = c->u.object._cap_members = m;
        c->u.object._cap = n;
        break;
    }
    default:
        break;
    }
    return c;
}

int sg_json_equal(const sg_json_t *a, const sg_json_t *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case SG_JSON_NULL:
        return 1;
    case SG_JSON_BOOL:
        return a->u.boolean == b->u.boolean;
    case SG_JSON_NUMBER:
        return a->u.number.value == b->u.number.value;
    case SG_JSON_STRING:
        return a->u.string.len == b->u.string.len && memcmp(a->u.string.ptr, b->u.string.ptr, a->u.string.len) == 0;
    case SG_JSON_ARRAY:
        if (a->u.array.len != b->u.array.len)
            return 0;
        for (size_t i = 0; i < a->u.array.len; i++)
            if (!sg_json_equal(a->u.array.items[i], b->u.array.items[i]))
                return 0;
        return 1;
    case SG_JSON_OBJECT:
        if (a->u.object.len != b->u.object.len)
            return 0;
        for (size_t i = 0; i < a->u.object.len; i++) {
            const sg_json_member_t *m = &a->u.object.members[i];
            /* same position first: objects compared usually share their order */
            const sg_json_member_t *o = &b->u.object.members[i];
            const sg_json_t *bv = (o->key_len == m->key_len && memcmp(o->key, m->key, m->key_len) == 0)
                                      ? o->value
                                      : sg_json_getn(b, m->key, m->key_len);
            if (bv == NULL || !sg_json_equal(m->value, bv))
                return 0;
        }
        return 1;
    }
    return 0;
}
