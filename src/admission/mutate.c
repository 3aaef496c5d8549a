/* The /mutate defaults as an RFC 6902 JSON Patch: fill what a client may omit, never overwrite what it set.
 * CREATE: an explicit deliveryIdentity.mode ("none", which is what absent means), deliveryIdentity.inputHash when a
 * key is set without one, and two labels (story name; identity hash = the hash suffix shared by the trigger's and
 * its StoryRun's names). UPDATE: only mode/inputHash the client dropped are carried over from the stored object, so
 * re-sending the original manifest does not trip the immutability rule; labels are left to the client. */
#include <string.h>

#include <storygate/admission.h>
#include <storygate/identity.h>

#include "internal.h"

typedef struct st_patch_t {
    sg_buf_t *out;
    size_t nops;
} patch_t;

static void op_begin(patch_t *p, const char *pointer, const char *token, size_t token_len)
{
    sg_buf_puts(p->out, p->nops++ == 0 ? "[" : ",");
    sg_buf_puts(p->out, "{\"op\":\"add\",\"path\":");
    if (token == NULL) {
        sg_json_write_string(p->out, pointer, strlen(pointer));
    } else {
        sg_buf_t path = SG_BUF_INIT;
        sg_buf_puts(&path, pointer);
        sg_json_pointer_escape(&path, token, token_len);
        if (path.oom)
            p->out->oom = 1;
        else
            sg_json_write_string(p->out, path.base, path.len);
        sg_buf_dispose(&path);
    }
    sg_buf_puts(p->out, ",\"value\":");
}

static void op_add_string(patch_t *p, const char *pointer, sg_span_t value)
{
    op_begin(p, pointer, NULL, 0);
    sg_json_write_string(p->out, value.ptr, value.len);
    sg_buf_putc(p->out, '}');
}

/* A Kubernetes label value: at most 63 bytes of [A-Za-z0-9._-], alphanumeric at both ends. */
static int valid_label_value(sg_span_t v)
{
    if (v.len == 0 || v.len > 63)
        return 0;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.ptr[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && ((i == 0 || i == v.len - 1) || (c != '-' && c != '_' && c != '.')))
            return 0;
    }
    return 1;
}

static int blank_string_member(const sg_json_t *obj, const char *key)
{
    size_t len = 0;
    const char *s = sg_json_string(sg_json_get(obj, key), &len);
    return s == NULL || sg_go_trim_space(sg_span_make(s, len)).len == 0;
}

typedef struct st_label_t {
    const char *key;
    sg_span_t value;
} label_t;

static void add_labels(patch_t *p, const sg_trigger_t *t)
{
    label_t want[2];
    size_t n = 0;
    char h[SG_IDENTITY_SHORT_HASH_LEN + 1];
    if (valid_label_value(t->story_name))
        want[n++] = (label_t){SG_ADMISSION_LABEL_STORY, t->story_name};
    if (t->identity.len != 0) {
        sg_identity_short_hash(h, t->story_ns, t->story_name, t->identity);
        want[n++] = (label_t){SG_ADMISSION_LABEL_IDENTITY_HASH, sg_span_make(h, SG_IDENTITY_SHORT_HASH_LEN)};
    }
    if (n == 0)
        return;
    if (t->labels == NULL) {
        op_begin(p, "/metadata/labels", NULL, 0);
        for (size_t i = 0; i < n; i++) {
            sg_buf_putc(p->out, i == 0 ? '{' : ',');
            sg_json_write_string(p->out, want[i].key, strlen(want[i].key));
            sg_buf_putc(p->out, ':');
            sg_json_write_string(p->out, want[i].value.ptr, want[i].value.len);
        }
        sg_buf_puts(p->out, "}}");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (sg_json_get(t->labels, want[i].key) != NULL)
            continue;
        op_begin(p, "/metadata/labels/", want[i].key, strlen(want[i].key));
        sg_json_write_string(p->out, want[i].value.ptr, want[i].value.len);
        sg_buf_putc(p->out, '}');
    }
}

static int mutate_create(patch_t *p, sg_admission_verdict_t *v, const sg_trigger_t *t, int labels)
{
    if (t->delivery != NULL) {
        if (sg_json_string(sg_json_get(t->delivery, "mode"), NULL) == NULL ||
            sg_json_get(t->delivery, "mode")->u.string.len == 0)
            op_add_string(p, "/spec/deliveryIdentity/mode", sg_span_make("none", 4));
        if (t->key.len != 0 && t->input_hash.len == 0) {
            char hex[SG_IDENTITY_INPUT_HASH_LEN + 1];
            int ret = sg_admission__inputs_hash(hex, t, v->arena, NULL);
            if (ret < 0)
                return ret;
            op_add_string(p, "/spec/deliveryIdentity/inputHash", sg_span_make(hex, SG_IDENTITY_INPUT_HASH_LEN));
        }
    }
    if (labels && t->metadata != NULL)
        add_labels(p, t);
    return SG_OK;
}

static void mutate_update(patch_t *p, const sg_trigger_t *t, const sg_trigger_t *old)
{
    if (t->deleting || t->delivery == NULL || old->delivery == NULL)
        return;
    static const char *const carried[] = {"mode", "inputHash"};
    for (size_t i = 0; i < 2; i++) {
        size_t len = 0;
        const char *prev = sg_json_string(sg_json_get(old->delivery, carried[i]), &len);
        if (prev == NULL || sg_go_trim_space(sg_span_make(prev, len)).len == 0 ||
            !blank_string_member(t->delivery, carried[i]))
            continue;
        op_begin(p, "/spec/deliveryIdentity/", carried[i], strlen(carried[i]));
        sg_json_write_string(p->out, prev, len);
        sg_buf_putc(p->out, '}');
    }
}

int sg_admission_mutation(sg_buf_t *patch, sg_admission_verdict_t *v, const sg_trigger_t *t, const sg_trigger_t *old,
                          int labels)
{
    patch_t p = {patch, 0};
    size_t start = patch->len;
    int ret = SG_OK;
    if (old == NULL)
        ret = mutate_create(&p, v, t, labels);
    else
        mutate_update(&p, t, old);
    if (ret == SG_OK && v->allowed && p.nops != 0)
        sg_buf_putc(patch, ']');
    if (ret != SG_OK || !v->allowed) {
        patch->len = start;
        if (patch->base != NULL)
            patch->base[start] = '\0';
    }
    if (patch->oom)
        return SG_ENOMEM;
    return ret;
}
