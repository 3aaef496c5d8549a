/* Shared fixtures for the reconciler tests: a temporary store, triggers with correctly derived names, readers. */
#ifndef SG_TEST_RECONCILE_HELPERS_H
#define SG_TEST_RECONCILE_HELPERS_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <storygate/identity.h>
#include <storygate/log.h>
#include <storygate/reconcile.h>
#include <storygate/store.h>

typedef struct {
    char *dir;
    char storage[512];
    sg_store_t *store;
    sg_metrics_t *metrics;
    sg_reconciler_t *rec;
    sg_arena_t arena;
} fx_t;

extern fx_t fx;

static int fx__rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* A store in a fresh temp dir and a (stopped) reconciler with `opts` adjusted by the caller (may be NULL). */
static inline void fx_open(const sg_reconciler_opts_t *custom)
{
    sg_log_set_level(SG_LOG_WARN);
    fx.dir = strdup("/tmp/sg-reconcile-test-XXXXXX");
    cr_assert_not_null(mkdtemp(fx.dir));
    char path[512];
    snprintf(path, sizeof(path), "%s/db", fx.dir);
    snprintf(fx.storage, sizeof(fx.storage), "%s/storage", fx.dir);
    fx.metrics = sg_metrics_new();
    sg_store_lmdb_opts_t so = SG_STORE_LMDB_OPTS_INIT;
    so.path = path;
    so.map_size = 256u << 20;
    so.metrics = fx.metrics;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_open_lmdb(&fx.store, &so, &err), SG_OK, "%s", err.message);
    sg_reconciler_opts_t ro = SG_RECONCILER_OPTS_INIT;
    if (custom != NULL)
        ro = *custom;
    ro.store = fx.store;
    ro.metrics = fx.metrics;
    if (ro.workers == 0)
        ro.workers = 8;
    cr_assert_eq(sg_reconciler_new(&fx.rec, &ro, &err), SG_OK, "%s", err.message);
    sg_arena_init(&fx.arena, 0);
}

static inline void fx_close(void)
{
    sg_reconciler_free(fx.rec);
    sg_store_close(fx.store);
    sg_metrics_free(fx.metrics);
    sg_arena_dispose(&fx.arena);
    nftw(fx.dir, fx__rm, 16, FTW_DEPTH | FTW_PHYS);
    free(fx.dir);
    memset(&fx, 0, sizeof(fx));
}

static inline void put_story(const char *ns, const char *name, const char *version)
{
    char j[512];
    if (version)
        snprintf(j, sizeof(j),
                 "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"version\":\"%s\",\"steps\":[{\"name\":\"a\",\"type\":"
                 "\"stop\"}]}}",
                 name, version);
    else
        snprintf(j, sizeof(j),
                 "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"steps\":[{\"name\":\"a\",\"type\":\"stop\"}]}}", name);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(fx.store, NULL, SG_KIND_STORY, ns, j, strlen(j), NULL, &err), SG_OK, "%s",
                 err.message);
}

/* Trigger description; NULL fields are left out. */
typedef struct {
    const char *ns; /* trigger namespace */
    const char *story;
    const char *story_ns; /* storyRef.namespace */
    const char *version;  /* storyRef.version */
    const char *mode;
    const char *key;
    const char *submission;
    const char *inputs;     /* raw JSON */
    const char *input_hash; /* "auto" = computed */
    const char *name;       /* NULL = derived */
    const char *impulse;    /* impulseRef.name */
} trig_t;

/* Creates the trigger; returns its name (static buffer per call site is fine: copied into the arena). */
static inline const char *put_trigger(const trig_t *t)
{
    char name[SG_IDENTITY_NAME_MAX + 1];
    const char *sns = t->story_ns && *t->story_ns ? t->story_ns : t->ns;
    sg_identity_trigger_name(name, sg_span_cstr(sns), sg_span_cstr(t->story), sg_span_cstr(t->key ? t->key : ""),
                             sg_span_cstr(t->submission));
    sg_buf_t b = SG_BUF_INIT;
    sg_buf_printf(&b, "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"storyRef\":{\"name\":\"%s\"",
                  t->name ? t->name : name, t->story);
    if (t->story_ns)
        sg_buf_printf(&b, ",\"namespace\":\"%s\"", t->story_ns);
    if (t->version)
        sg_buf_printf(&b, ",\"version\":\"%s\"", t->version);
    sg_buf_puts(&b, "}");
    if (t->impulse)
        sg_buf_printf(&b, ",\"impulseRef\":{\"name\":\"%s\"}", t->impulse);
    sg_buf_printf(&b, ",\"deliveryIdentity\":{\"submissionId\":\"%s\"", t->submission);
    if (t->mode)
        sg_buf_printf(&b, ",\"mode\":\"%s\"", t->mode);
    if (t->key)
        sg_buf_printf(&b, ",\"key\":\"%s\"", t->key);
    if (t->input_hash) {
        char h[SG_IDENTITY_INPUT_HASH_LEN + 1];
        if (strcmp(t->input_hash, "auto") == 0) {
            sg_arena_t a;
            sg_arena_init(&a, 0);
            cr_assert_eq(sg_identity_input_hash(h, t->inputs, t->inputs ? strlen(t->inputs) : 0, &a, NULL, NULL),
                         SG_OK);
            sg_arena_dispose(&a);
        } else {
            snprintf(h, sizeof(h), "%s", t->input_hash);
        }
        sg_buf_printf(&b, ",\"inputHash\":\"%s\"", h);
    }
    sg_buf_puts(&b, "}");
    if (t->inputs)
        sg_buf_printf(&b, ",\"inputs\":%s", t->inputs);
    sg_buf_puts(&b, "}}");
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_store_create(fx.store, NULL, SG_KIND_STORYTRIGGER, t->ns, b.base, b.len, NULL, &err);
    cr_assert_eq(rc, SG_OK, "%s: %s", b.base, err.message);
    sg_buf_dispose(&b);
    return sg_arena_strndup(&fx.arena, t->name ? t->name : name, strlen(t->name ? t->name : name));
}

static inline sg_json_t *get_obj(sg_store_kind_t kind, const char *ns, const char *name)
{
    sg_buf_t b = SG_BUF_INIT;
    if (sg_store_get(fx.store, &b, NULL, kind, ns, name, NULL) != SG_OK) {
        sg_buf_dispose(&b);
        return NULL;
    }
    char *copy = sg_arena_strndup(&fx.arena, b.base, b.len);
    sg_json_t *v = NULL;
    sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
    sg_json_parse(&v, &fx.arena, copy, b.len, &o, NULL);
    sg_buf_dispose(&b);
    return v;
}

static inline void reconcile(const char *ns, const char *name)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_reconciler_reconcile(fx.rec, ns, name, &err), SG_OK, "%s", err.message);
}

static inline const char *jstr(const sg_json_t *root, const char *path)
{
    return sg_json_string(sg_json_path(root, path), NULL);
}

/* The condition of `type` in status.conditions, or NULL. */
static inline const sg_json_t *condition(const sg_json_t *trigger, const char *type)
{
    const sg_json_t *c = sg_json_path(trigger, "status.conditions");
    for (size_t i = 0; c && c->type == SG_JSON_ARRAY && i < c->u.array.len; i++)
        if (sg_json_string_eq(sg_json_get(c->u.array.items[i], "type"), type))
            return c->u.array.items[i];
    return NULL;
}

/* Asserts decision, reason, message and the condition triple of §4.4. */
static inline void assert_decision(const sg_json_t *t, const char *decision, const char *reason, const char *message)
{
    cr_assert_not_null(t);
    cr_assert_str_eq(jstr(t, "status.decision"), decision);
    cr_assert_str_eq(jstr(t, "status.reason"), reason);
    if (message)
        cr_assert_str_eq(jstr(t, "status.message"), message);
    cr_assert_eq(sg_json_path(t, "status.observedGeneration")->u.number.value,
                 sg_json_path(t, "metadata.generation")->u.number.value);
    cr_assert_not_null(jstr(t, "status.acceptedAt"));
    cr_assert_not_null(jstr(t, "status.completedAt"));
    int ok = strcmp(decision, "Rejected") != 0;
    const char *want[3][2] = {
        {"Ready", ok ? "True" : "False"}, {"Progressing", "False"}, {"Degraded", ok ? "False" : "True"}};
    const sg_json_t *conds = sg_json_path(t, "status.conditions");
    cr_assert_eq(conds->u.array.len, 3);
    for (int i = 0; i < 3; i++) {
        const sg_json_t *c = conds->u.array.items[i];
        cr_assert_str_eq(jstr(c, "type"), want[i][0]);
        cr_assert_str_eq(jstr(c, "status"), want[i][1]);
        cr_assert_str_eq(jstr(c, "reason"), reason);
        cr_assert_not_null(jstr(c, "lastTransitionTime"));
        cr_assert_eq(sg_json_get(c, "observedGeneration")->u.number.value,
                     sg_json_path(t, "metadata.generation")->u.number.value);
        if (message && strlen(message) <= 2048)
            cr_assert_str_eq(jstr(c, "message"), message);
    }
    if (ok)
        cr_assert_not_null(jstr(t, "status.storyRunRef.name"));
    else
        cr_assert_null(sg_json_path(t, "status.storyRunRef"));
}

#endif
