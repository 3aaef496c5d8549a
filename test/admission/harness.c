/* Review building, running and result decoding for the admission tests. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <storygate/identity.h>

#include "harness.h"

char *h_read(sg_arena_t *arena, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", SG_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = sg_arena_alloc(arena, (size_t)n + 1);
    cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    p[n] = '\0';
    *len = (size_t)n;
    return p;
}

sg_json_t *h_load(sg_arena_t *arena, const char *name)
{
    size_t len;
    char *text = h_read(arena, name, &len);
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    opts.max_depth = 1000;
    sg_json_t *v = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&v, arena, text, len, &opts, &err), SG_OK, "%s: %s", name, err.message);
    return v;
}

/* Splits "/a/b~1c" into the parent pointer and the unescaped last token (arena copies). */
static void split(sg_arena_t *arena, const char *ptr, char **parent, char **last)
{
    const char *slash = strrchr(ptr, '/');
    cr_assert_not_null(slash, "bad pointer %s", ptr);
    *parent = sg_arena_strndup(arena, ptr, (size_t)(slash - ptr));
    const char *tok = slash + 1;
    char *out = sg_arena_alloc(arena, strlen(tok) + 1), *o = out;
    for (const char *t = tok; *t; t++) {
        if (t[0] == '~' && t[1] == '1') {
            *o++ = '/';
            t++;
        } else if (t[0] == '~' && t[1] == '0') {
            *o++ = '~';
            t++;
        } else {
            *o++ = *t;
        }
    }
    *o = '\0';
    *last = out;
}

static sg_json_t *ensure(sg_arena_t *arena, sg_json_t *root, const char *ptr)
{
    if (ptr[0] == '\0')
        return root;
    sg_json_t *v = sg_json_pointer(root, ptr);
    if (v != NULL && v->type == SG_JSON_OBJECT)
        return v;
    char *parent, *last;
    split(arena, ptr, &parent, &last);
    sg_json_t *p = ensure(arena, root, parent);
    sg_json_t *o = sg_json_new_object(arena);
    cr_assert_eq(sg_json_object_set(arena, p, last, o), SG_OK);
    return o;
}

void h_set(sg_arena_t *arena, sg_json_t *root, const char *ptr, sg_json_t *value)
{
    char *parent, *last;
    split(arena, ptr, &parent, &last);
    sg_json_t *p = ensure(arena, root, parent);
    cr_assert_eq(p->type, SG_JSON_OBJECT, "parent of %s is not an object", ptr);
    cr_assert_eq(sg_json_object_set(arena, p, last, value), SG_OK);
}

void h_remove(sg_json_t *root, const char *ptr)
{
    sg_arena_t tmp;
    sg_arena_init(&tmp, 0);
    char *parent, *last;
    split(&tmp, ptr, &parent, &last);
    sg_json_t *p = sg_json_pointer(root, parent);
    if (p != NULL)
        sg_json_object_remove(p, last);
    sg_arena_dispose(&tmp);
}

static void apply_mods(sg_arena_t *arena, sg_json_t *review, const sg_json_t *mods)
{
    const sg_json_t *set = sg_json_get(mods, "set"), *rm = sg_json_get(mods, "remove");
    for (size_t i = 0; set != NULL && i < set->u.object.len; i++)
        h_set(arena, review, set->u.object.members[i].key, sg_json_clone(arena, set->u.object.members[i].value));
    for (size_t i = 0; rm != NULL && i < rm->u.array.len; i++)
        h_remove(review, sg_json_string(rm->u.array.items[i], NULL));
}

void h_fix(sg_arena_t *arena, sg_json_t *review, const char *obj_ptr, int name, int hash)
{
    sg_json_t *obj = sg_json_pointer(review, obj_ptr);
    cr_assert_not_null(obj);
    char p[256];
    if (hash) {
        sg_buf_t b = SG_BUF_INIT;
        sg_json_t *inputs = sg_json_path(obj, "spec.inputs");
        if (inputs != NULL)
            sg_json_encode(&b, inputs);
        char hex[SG_IDENTITY_INPUT_HASH_LEN + 1];
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(sg_identity_input_hash(hex, b.base, b.len, arena, NULL, &err), SG_OK, "%s", err.message);
        sg_buf_dispose(&b);
        snprintf(p, sizeof(p), "%s/spec/deliveryIdentity/inputHash", obj_ptr);
        h_set(arena, review, p, sg_json_new_string(arena, hex, strlen(hex)));
    }
    if (name) {
        sg_trigger_t t;
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(sg_admission_trigger_decode(&t, obj, "", &err), SG_OK, "%s", err.message);
        char n[SG_IDENTITY_NAME_MAX + 1];
        size_t len = sg_identity_trigger_name(n, t.story_ns, t.story_name, t.key, t.submission_id);
        snprintf(p, sizeof(p), "%s/metadata/name", obj_ptr);
        h_set(arena, review, p, sg_json_new_string(arena, n, len));
    }
}

void h_modify(sg_arena_t *arena, sg_json_t *review, const sg_json_t *c)
{
    apply_mods(arena, review, c);
    const sg_json_t *fix = sg_json_get(c, "fix");
    int fname = 0, fhash = 0;
    for (size_t i = 0; fix != NULL && i < fix->u.array.len; i++) {
        fname |= sg_json_string_eq(fix->u.array.items[i], "name");
        fhash |= sg_json_string_eq(fix->u.array.items[i], "hash");
    }
    if (fname || fhash)
        h_fix(arena, review, "/request/object", fname, fhash);
    const char *op = sg_json_string(sg_json_get(c, "operation"), NULL);
    if (op != NULL) {
        h_set(arena, review, "/request/operation", sg_json_new_string(arena, op, strlen(op)));
        if (strcmp(op, "UPDATE") == 0 && sg_json_pointer(review, "/request/oldObject")->type == SG_JSON_NULL)
            h_set(arena, review, "/request/oldObject",
                  sg_json_clone(arena, sg_json_pointer(review, "/request/object")));
        if (strcmp(op, "DELETE") == 0) {
            h_set(arena, review, "/request/oldObject",
                  sg_json_clone(arena, sg_json_pointer(review, "/request/object")));
            h_set(arena, review, "/request/object", sg_json_new_null(arena));
        }
    }
    const sg_json_t *after = sg_json_get(c, "after");
    if (after != NULL)
        apply_mods(arena, review, after);
}

sg_refs_snapshot_t *h_snapshot(sg_arena_t *arena, const sg_json_t *c)
{
    const char *mode = sg_json_string(sg_json_get(c, "refs"), NULL);
    if (mode != NULL && strcmp(mode, "none") == 0)
        return NULL;
    sg_refs_snapshot_t *s = sg_refs_snapshot_new();
    cr_assert_not_null(s);
    const sg_json_t *stories = sg_json_get(c, "stories");
    if (stories == NULL) {
        cr_assert_eq(sg_refs_snapshot_put_story(s, sg_span_cstr("default"), sg_span_cstr("triggered-story"), "v1", 2),
                     SG_OK);
        cr_assert_eq(sg_refs_snapshot_put_story(s, sg_span_cstr("other"), sg_span_cstr("triggered-story"), NULL, 0),
                     SG_OK);
    }
    for (size_t i = 0; stories != NULL && i < stories->u.array.len; i++) {
        const sg_json_t *st = stories->u.array.items[i];
        size_t vlen = 0;
        const char *version = sg_json_string(sg_json_get(st, "version"), &vlen);
        cr_assert_eq(sg_refs_snapshot_put_story(s, sg_span_cstr(sg_json_string(sg_json_get(st, "namespace"), NULL)),
                                                sg_span_cstr(sg_json_string(sg_json_get(st, "name"), NULL)), version,
                                                vlen),
                     SG_OK);
    }
    const sg_json_t *grants = sg_json_get(c, "grants");
    for (size_t i = 0; grants != NULL && i < grants->u.array.len; i++) {
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(sg_refs_snapshot_put_grant_json(s, grants->u.array.items[i], &err), SG_OK, "%s", err.message);
    }
    (void)arena;
    sg_refs_snapshot_set_synced(s, mode == NULL || strcmp(mode, "unsynced") != 0);
    return s;
}

void h_options(sg_admission_opts_t *opts, sg_refs_holder_t **holder, sg_arena_t *arena, const sg_json_t *c)
{
    sg_admission_opts_t init = SG_ADMISSION_OPTS_INIT;
    *opts = init;
    const char *policy = sg_json_string(sg_json_get(c, "policy"), NULL);
    if (policy != NULL)
        cr_assert_eq(sg_refs_policy_parse(&opts->cross_namespace_policy, sg_span_cstr(policy), NULL), SG_OK);
    *holder = NULL;
    sg_refs_snapshot_t *snap = h_snapshot(arena, c);
    if (snap != NULL) {
        *holder = sg_refs_holder_new();
        sg_refs_holder_publish(*holder, snap);
        opts->refs_acquire = sg_refs_holder_acquire;
        opts->refs_ctx = *holder;
    }
}

void h_run(h_result_t *r, sg_admission_t *adm, sg_admission_webhook_t webhook, const char *content_type,
           const char *body, size_t len, sg_arena_t *arena)
{
    sg_buf_t out = SG_BUF_INIT;
    memset(r, 0, sizeof(*r));
    cr_assert_eq(sg_admission_handle(adm, webhook, content_type, body, len, arena, &out, &r->outcome), SG_OK);
    cr_assert_not_null(out.base);
    cr_assert_eq(out.base[out.len - 1], '\n', "response ends with a newline");
    r->raw = sg_arena_strndup(arena, out.base, out.len);
    sg_buf_dispose(&out);
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&r->body, arena, r->raw, strlen(r->raw), &opts, &err), SG_OK,
                 "response is not JSON: %s: %s", err.message, r->raw);
    cr_assert(sg_json_string_eq(sg_json_get(r->body, "kind"), "AdmissionReview"), "%s", r->raw);
    r->response = sg_json_get(r->body, "response");
    cr_assert_not_null(r->response, "%s", r->raw);
    const sg_json_t *allowed = sg_json_get(r->response, "allowed");
    cr_assert(allowed != NULL && allowed->type == SG_JSON_BOOL, "%s", r->raw);
    r->allowed = allowed->u.boolean;
    const sg_json_t *code = sg_json_path(r->response, "status.code");
    cr_assert(code != NULL && code->type == SG_JSON_NUMBER, "%s", r->raw);
    r->code = (int)code->u.number.value;
    const char *m = sg_json_string(sg_json_path(r->response, "status.message"), NULL);
    r->message = m != NULL ? m : "";
    r->status_reason = sg_json_string(sg_json_path(r->response, "status.reason"), NULL);
    const char *patch = sg_json_string(sg_json_get(r->response, "patch"), NULL);
    if (patch != NULL) {
        cr_assert(sg_json_string_eq(sg_json_get(r->response, "patchType"), "JSONPatch"));
        size_t plen = strlen(patch);
        unsigned char *dec = sg_arena_alloc(arena, plen + 1);
        int n = EVP_DecodeBlock(dec, (const unsigned char *)patch, (int)plen);
        cr_assert_geq(n, 0);
        while (n > 0 && dec[n - 1] == '\0')
            n--;
        cr_assert_eq(sg_json_parse(&r->patch, arena, (char *)dec, (size_t)n, &opts, &err), SG_OK, "%s", err.message);
    }
    cr_assert_eq(r->allowed, r->outcome.allowed, "outcome.allowed agrees with the body");
}

char *h_encode(sg_arena_t *arena, sg_json_t *review, const sg_json_t *c, size_t *len)
{
    const sg_json_t *raw = sg_json_get(c, "raw");
    char marker[32];
    for (size_t i = 0; raw != NULL && i < raw->u.object.len; i++) {
        snprintf(marker, sizeof(marker), "@@raw%zu@@", i);
        h_set(arena, review, raw->u.object.members[i].key, sg_json_new_string(arena, marker, strlen(marker)));
    }
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_json_encode(&b, review), SG_OK);
    for (size_t i = 0; raw != NULL && i < raw->u.object.len; i++) {
        snprintf(marker, sizeof(marker), "\"@@raw%zu@@\"", i);
        char *at = strstr(b.base, marker);
        cr_assert_not_null(at);
        size_t off = (size_t)(at - b.base), mlen = strlen(marker);
        size_t tlen = 0;
        const char *text = sg_json_string(raw->u.object.members[i].value, &tlen);
        sg_buf_t nb = SG_BUF_INIT;
        sg_buf_append(&nb, b.base, off);
        sg_buf_append(&nb, text, tlen);
        sg_buf_append(&nb, b.base + off + mlen, b.len - off - mlen);
        sg_buf_dispose(&b);
        b = nb;
    }
    char *body = sg_arena_strndup(arena, b.base, b.len);
    *len = b.len;
    sg_buf_dispose(&b);
    return body;
}

void h_run_review(h_result_t *r, sg_admission_t *adm, sg_admission_webhook_t webhook, const sg_json_t *review,
                  sg_arena_t *arena)
{
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_json_encode(&b, review), SG_OK);
    char *body = sg_arena_strndup(arena, b.base, b.len);
    size_t len = b.len;
    sg_buf_dispose(&b);
    h_run(r, adm, webhook, "application/json", body, len, arena);
}

void h_apply_patch(sg_arena_t *arena, sg_json_t *root, const sg_json_t *patch)
{
    cr_assert_eq(patch->type, SG_JSON_ARRAY);
    for (size_t i = 0; i < patch->u.array.len; i++) {
        const sg_json_t *op = patch->u.array.items[i];
        cr_assert(sg_json_string_eq(sg_json_get(op, "op"), "add"));
        const char *path = sg_json_string(sg_json_get(op, "path"), NULL);
        cr_assert_not_null(path);
        char *parent, *last;
        split(arena, path, &parent, &last);
        sg_json_t *p = sg_json_pointer(root, parent);
        cr_assert(p != NULL && p->type == SG_JSON_OBJECT, "patch parent %s must exist (RFC 6902 add)", parent);
        cr_assert_eq(sg_json_object_set(arena, p, last, sg_json_clone(arena, sg_json_get(op, "value"))), SG_OK);
    }
}

void h_expect(const h_result_t *r, const sg_json_t *expect, const char *name)
{
    const sg_json_t *v;
    int http = 200;
    if ((v = sg_json_get(expect, "http")) != NULL)
        http = (int)v->u.number.value;
    cr_expect_eq(r->outcome.http_status, http, "%s: http %d, want %d (%s)", name, r->outcome.http_status, http, r->raw);
    if ((v = sg_json_get(expect, "allowed")) != NULL)
        cr_expect_eq(r->allowed, v->u.boolean, "%s: allowed=%d: %s", name, r->allowed, r->raw);
    if ((v = sg_json_get(expect, "code")) != NULL)
        cr_expect_eq(r->code, (int)v->u.number.value, "%s: code %d: %s", name, r->code, r->raw);
    if ((v = sg_json_get(expect, "message")) != NULL)
        cr_expect_str_eq(r->message, sg_json_string(v, NULL), "%s: message", name);
    if ((v = sg_json_get(expect, "messagePrefix")) != NULL) {
        const char *want = sg_json_string(v, NULL);
        cr_expect(strncmp(r->message, want, strlen(want)) == 0, "%s: message '%s' must start with '%s'", name,
                  r->message, want);
    }
    if ((v = sg_json_get(expect, "reason")) != NULL)
        cr_expect_str_eq(r->outcome.reason, sg_json_string(v, NULL), "%s: outcome.reason", name);
    if ((v = sg_json_get(expect, "statusReason")) != NULL) {
        if (v->type == SG_JSON_NULL)
            cr_expect_null(r->status_reason, "%s: no status.reason", name);
        else
            cr_expect(r->status_reason != NULL && strcmp(r->status_reason, sg_json_string(v, NULL)) == 0,
                      "%s: status.reason %s", name, r->status_reason ? r->status_reason : "(none)");
    }
    if ((v = sg_json_get(expect, "ignored")) != NULL)
        cr_expect_eq(r->outcome.ignored, v->u.boolean, "%s: ignored", name);
    if ((v = sg_json_get(expect, "uid")) != NULL)
        cr_expect(sg_json_string_eq(sg_json_get(r->response, "uid"), sg_json_string(v, NULL)), "%s: uid", name);
    if ((v = sg_json_get(expect, "apiVersion")) != NULL)
        cr_expect(sg_json_string_eq(sg_json_get(r->body, "apiVersion"), sg_json_string(v, NULL)), "%s: apiVersion",
                  name);
    if ((v = sg_json_get(expect, "patched")) != NULL)
        cr_expect_eq(r->patch != NULL, v->u.boolean, "%s: patched", name);
    if (!r->allowed && r->outcome.http_status == 200 && r->code == 403)
        cr_expect(sg_json_string_eq(sg_json_path(r->response, "auditAnnotations.reason"), r->outcome.reason),
                  "%s: auditAnnotations.reason names the rule", name);
}
