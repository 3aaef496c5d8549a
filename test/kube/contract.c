/* The store contract suite (see contract.h): CRUD, preconditions, status, lists, watch and subscribers, written
 * against the store interface only. Subscribers and watches may deliver asynchronously, so they are awaited. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "contract.h"

static const char *current_case = "";

static sg_json_t *parse_buf(sg_arena_t *a, const sg_buf_t *b)
{
    sg_json_t *v = NULL;
    sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
    char *copy = sg_arena_strndup(a, b->base, b->len);
    cr_assert_eq(sg_json_parse(&v, a, copy, b->len, &o, NULL), SG_OK, "[%s] unparsable: %.*s", current_case,
                 (int)b->len, b->base);
    return v;
}

static sg_json_t *parse_str(sg_arena_t *a, const char *s)
{
    sg_json_t *v = NULL;
    sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
    cr_assert_eq(sg_json_parse(&v, a, s, strlen(s), &o, NULL), SG_OK);
    return v;
}

static uint64_t rv_of(const sg_json_t *o)
{
    const char *s = sg_json_string(sg_json_path(o, "metadata.resourceVersion"), NULL);
    cr_assert_not_null(s, "[%s] no resourceVersion", current_case);
    return strtoull(s, NULL, 10);
}

static double num(const sg_json_t *o, const char *path)
{
    const sg_json_t *v = sg_json_path(o, path);
    cr_assert(v != NULL && v->type == SG_JSON_NUMBER, "[%s] %s is not a number", current_case, path);
    return v->u.number.value;
}

/* Creates and returns the stored object parsed into `a`. */
static sg_json_t *create(sg_store_t *s, sg_arena_t *a, sg_store_kind_t kind, const char *ns, const char *json)
{
    sg_buf_t out = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_store_create(s, &out, kind, ns, json, strlen(json), NULL, &err);
    cr_assert_eq(rc, SG_OK, "[%s] create %s: %s", current_case, json, err.message);
    sg_json_t *v = parse_buf(a, &out);
    sg_buf_dispose(&out);
    return v;
}

static void c_create_then_get(sg_store_t *s)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *o =
        create(s, &a, SG_KIND_STORYTRIGGER, "c1",
               "{\"metadata\":{\"name\":\"t1\",\"labels\":{\"a\":\"b\"}},\"spec\":{\"storyRef\":{\"name\":\"s\"}}}");
    cr_assert(sg_json_string_eq(sg_json_get(o, "apiVersion"), "runs.bubustack.io/v1alpha1"));
    cr_assert(sg_json_string_eq(sg_json_get(o, "kind"), "StoryTrigger"));
    cr_assert(sg_json_string_eq(sg_json_path(o, "metadata.namespace"), "c1"));
    cr_assert(sg_json_string_eq(sg_json_path(o, "metadata.labels.a"), "b"));
    cr_assert(sg_json_string_eq(sg_json_path(o, "spec.storyRef.name"), "s"));
    size_t n;
    const char *uid = sg_json_string(sg_json_path(o, "metadata.uid"), &n);
    cr_assert(uid != NULL && n == 36, "[%s] uid", current_case);
    cr_assert_eq(num(o, "metadata.generation"), 1);
    const char *ts = sg_json_string(sg_json_path(o, "metadata.creationTimestamp"), &n);
    cr_assert(ts != NULL && n == 20 && ts[19] == 'Z');
    uint64_t rv = rv_of(o);
    cr_assert_gt(rv, 0);

    sg_buf_t out = SG_BUF_INIT, again = SG_BUF_INIT;
    uint64_t got_rv = 0;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_get(s, &out, &got_rv, SG_KIND_STORYTRIGGER, "c1", "t1", &err), SG_OK, "%s", err.message);
    cr_assert_eq(got_rv, rv);
    sg_json_t *g = parse_buf(&a, &out);
    cr_assert(sg_json_equal(g, o), "[%s] get returns what create stored", current_case);
    cr_assert_eq(sg_store_get(s, &again, NULL, SG_KIND_STORYTRIGGER, "c1", "t1", &err), SG_OK);
    cr_assert(out.len == again.len && memcmp(out.base, again.base, out.len) == 0, "[%s] stable bytes", current_case);
    cr_assert_geq(sg_store_resource_version(s), rv);
    sg_buf_dispose(&out);
    sg_buf_dispose(&again);
    sg_arena_dispose(&a);
}

static void c_get_missing(sg_store_t *s)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_get(s, NULL, NULL, SG_KIND_STORYRUN, "c2", "nope", &err), SG_ENOTFOUND);
    cr_assert_str_eq(err.message, "storyruns.runs.bubustack.io \"nope\" not found");
}

static void c_create_existing_conflicts(sg_store_t *s)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    const char *j = "{\"metadata\":{\"name\":\"dup\"}}";
    create(s, &a, SG_KIND_STORY, "c3", j);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(s, NULL, SG_KIND_STORY, "c3", j, strlen(j), NULL, &err), SG_ECONFLICT);
    cr_assert_str_eq(err.message, "stories.bubustack.io \"dup\" already exists");
    /* Another namespace or kind is another object. */
    create(s, &a, SG_KIND_STORY, "c3-other", j);
    create(s, &a, SG_KIND_STORYRUN, "c3", j);
    sg_arena_dispose(&a);
}

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int calls, rc;
    char name[64];
} done_t;

static void on_created(void *ctx, int rc, const sg_error_t *err, const char *json, size_t len)
{
    done_t *d = ctx;
    (void)err;
    pthread_mutex_lock(&d->mu);
    d->calls++;
    d->rc = rc;
    const char *n = rc == SG_OK ? memmem(json, len, "\"name\":\"async\"", 14) : NULL;
    snprintf(d->name, sizeof(d->name), "%s", n != NULL ? "async" : "");
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->mu);
}

/* Waits for the completion of a write the call accepted; the outcome either way. */
static int outcome(done_t *d, int rc)
{
    if (rc != SG_OK) {
        cr_assert_eq(d->calls, 0, "[%s] a refused write has no completion", current_case);
        return rc;
    }
    pthread_mutex_lock(&d->mu);
    while (d->calls == 0)
        pthread_cond_wait(&d->cond, &d->mu);
    pthread_mutex_unlock(&d->mu);
    cr_assert_eq(d->calls, 1, "[%s]", current_case);
    return d->rc;
}

/* A create with a completion: a queued write (SG_OK) gets exactly one completion, with the stored object or the
 * error; a write refused by the call itself (what a synchronous backend does with a failure) gets none. */
static void c_create_async(sg_store_t *s)
{
    const char *j = "{\"metadata\":{\"name\":\"async\"}}";
    for (int round = 0; round < 2; round++) {
        done_t d = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
        sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
        o.done = on_created;
        o.done_ctx = &d;
        sg_error_t err = SG_ERROR_INIT;
        int rc = outcome(&d, sg_store_create(s, NULL, SG_KIND_STORY, "c3a", j, strlen(j), &o, &err));
        if (round == 0) {
            cr_assert_eq(rc, SG_OK, "[%s] rc %d %s", current_case, rc, err.message);
            cr_assert_str_eq(d.name, "async", "[%s]", current_case);
        } else {
            cr_assert_eq(rc, SG_ECONFLICT, "[%s] the second create: rc %d", current_case, rc);
        }
    }
}

static void c_create_rejects_bad_objects(sg_store_t *s)
{
    static const char *bad[] = {"[1]", "{\"metadata\":{}}",
                                "{\"metadata\":{\"name\":\"x\",\"namespace\":\"elsewhere\"}}", "{\"metadata\":"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sg_error_t err = SG_ERROR_INIT;
        cr_expect_eq(sg_store_create(s, NULL, SG_KIND_STORY, "c4", bad[i], strlen(bad[i]), NULL, &err), SG_EINVALID,
                     "[%s] %s", current_case, bad[i]);
    }
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_get(s, NULL, NULL, SG_KIND_STORY, "c4", "x", &err), SG_ENOTFOUND);
}

static void c_generate_name(sg_store_t *s)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *o = create(s, &a, SG_KIND_STORYRUN, "c5", "{\"metadata\":{\"generateName\":\"run-\"}}");
    size_t n;
    const char *name = sg_json_string(sg_json_path(o, "metadata.name"), &n);
    cr_assert(name != NULL && n > 4 && strncmp(name, "run-", 4) == 0);
    cr_assert_eq(sg_store_get(s, NULL, NULL, SG_KIND_STORYRUN, "c5", name, NULL), SG_OK);
    sg_arena_dispose(&a);
}

static void c_update(sg_store_t *s)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *o = create(s, &a, SG_KIND_STORY, "c6", "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"a\":1}}");
    const char *uid = sg_json_string(sg_json_path(o, "metadata.uid"), NULL);
    sg_buf_t out = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_update_status(s, &out, SG_KIND_STORY, "c6", "s", parse_str(&a, "{\"x\":1}"), NULL, &err),
                 SG_OK, "%s", err.message);
    uint64_t rv1 = rv_of(parse_buf(&a, &out));

    sg_json_t *u = parse_str(&a, "{\"metadata\":{\"name\":\"s\",\"labels\":{\"l\":\"v\"}},\"spec\":{\"a\":1}}");
    cr_assert_eq(sg_store_update_json(s, &out, SG_KIND_STORY, "c6", u, NULL, &err), SG_OK, "%s", err.message);
    sg_json_t *r = parse_buf(&a, &out);
    cr_assert_eq(num(r, "metadata.generation"), 1, "[%s] metadata-only change keeps generation", current_case);
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.uid"), uid));
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.labels.l"), "v"));
    cr_assert_eq(num(r, "status.x"), 1, "[%s] update keeps status", current_case);
    uint64_t rv2 = rv_of(r);
    cr_assert_gt(rv2, rv1);

    u = parse_str(&a, "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"a\":2}}");
    cr_assert_eq(sg_store_update_json(s, &out, SG_KIND_STORY, "c6", u, NULL, &err), SG_OK);
    r = parse_buf(&a, &out);
    cr_assert_eq(num(r, "metadata.generation"), 2);
    cr_assert_eq(num(r, "spec.a"), 2);
    cr_assert_eq(num(r, "status.x"), 1);
    cr_assert_null(sg_json_path(r, "metadata.labels"));
    uint64_t rv3 = rv_of(r);
    cr_assert_gt(rv3, rv2);

    sg_store_write_opts_t wo = SG_STORE_WRITE_OPTS_INIT;
    wo.expected_rv = rv2;
    u = parse_str(&a, "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"a\":3}}");
    cr_assert_eq(sg_store_update_json(s, NULL, SG_KIND_STORY, "c6", u, &wo, &err), SG_ECONFLICT);
    cr_assert(strstr(err.message, "the object has been modified") != NULL, "%s", err.message);
    wo.expected_rv = rv3;
    cr_assert_eq(sg_store_update_json(s, NULL, SG_KIND_STORY, "c6", u, &wo, &err), SG_OK, "%s", err.message);
    cr_assert_eq(sg_store_update_json(s, NULL, SG_KIND_STORY, "c6", u, &wo, &err), SG_ECONFLICT);
    sg_json_t *missing = parse_str(&a, "{\"metadata\":{\"name\":\"nope\"}}");
    cr_assert_eq(sg_store_update_json(s, NULL, SG_KIND_STORY, "c6", missing, NULL, &err), SG_ENOTFOUND);
    sg_buf_dispose(&out);
    sg_arena_dispose(&a);
}

static void c_status(sg_store_t *s)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *o = create(s, &a, SG_KIND_STORYTRIGGER, "c7", "{\"metadata\":{\"name\":\"t\"},\"spec\":{\"a\":1}}");
    uint64_t rv0 = rv_of(o);
    sg_buf_t out = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    sg_json_t *status = parse_str(&a, "{\"decision\":\"Created\",\"n\":[1,2]}");
    cr_assert_eq(sg_store_update_status(s, &out, SG_KIND_STORYTRIGGER, "c7", "t", status, NULL, &err), SG_OK, "%s",
                 err.message);
    sg_json_t *r = parse_buf(&a, &out);
    cr_assert(sg_json_string_eq(sg_json_path(r, "status.decision"), "Created"));
    cr_assert_eq(num(r, "spec.a"), 1);
    cr_assert_eq(num(r, "metadata.generation"), 1, "[%s] status writes keep generation", current_case);
    uint64_t rv1 = rv_of(r);
    cr_assert_gt(rv1, rv0);

    sg_store_write_opts_t wo = SG_STORE_WRITE_OPTS_INIT;
    wo.expected_rv = rv0;
    cr_assert_eq(sg_store_update_status(s, NULL, SG_KIND_STORYTRIGGER, "c7", "t", status, &wo, &err), SG_ECONFLICT);
    wo.expected_rv = rv1;
    cr_assert_eq(sg_store_update_status(s, &out, SG_KIND_STORYTRIGGER, "c7", "t", NULL, &wo, &err), SG_OK, "%s",
                 err.message);
    r = parse_buf(&a, &out);
    cr_assert_null(sg_json_get(r, "status"), "[%s] NULL status removes it", current_case);
    cr_assert_eq(num(r, "spec.a"), 1);
    cr_assert_eq(sg_store_update_status(s, NULL, SG_KIND_STORYTRIGGER, "c7", "zz", status, NULL, &err), SG_ENOTFOUND);
    sg_buf_dispose(&out);
    sg_arena_dispose(&a);
}

/* Status writes with a completion, as the reconciler's decisions are made: one completion per queued write, the
 * write visible once it ran, a missing object reported either way. */
static void c_status_async(sg_store_t *s)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    create(s, &a, SG_KIND_STORYTRIGGER, "c7a", "{\"metadata\":{\"name\":\"t\"}}");
    sg_json_t *status = parse_str(&a, "{\"decision\":\"Reused\"}");
    sg_error_t err = SG_ERROR_INIT;
    done_t d = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
    o.done = on_created;
    o.done_ctx = &d;
    int rc = sg_store_update_status(s, NULL, SG_KIND_STORYTRIGGER, "c7a", "t", status, &o, &err);
    cr_assert_eq(outcome(&d, rc), SG_OK, "[%s] %s", current_case, err.message);
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(sg_store_get(s, &out, NULL, SG_KIND_STORYTRIGGER, "c7a", "t", &err), SG_OK);
    cr_assert(sg_json_string_eq(sg_json_path(parse_buf(&a, &out), "status.decision"), "Reused"), "[%s]", current_case);
    done_t m = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};
    o.done_ctx = &m;
    rc = sg_store_update_status(s, NULL, SG_KIND_STORYTRIGGER, "c7a", "missing", status, &o, &err);
    cr_assert_eq(outcome(&m, rc), SG_ENOTFOUND, "[%s]", current_case);
    sg_buf_dispose(&out);
    sg_arena_dispose(&a);
}

static void c_delete(sg_store_t *s)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *o = create(s, &a, SG_KIND_STORYRUN, "c8", "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"a\":1}}");
    uint64_t rv0 = rv_of(o);
    sg_buf_t out = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    sg_store_write_opts_t wo = SG_STORE_WRITE_OPTS_INIT;
    wo.expected_rv = rv0 + 1000;
    cr_assert_eq(sg_store_delete(s, &out, SG_KIND_STORYRUN, "c8", "r", &wo, &err), SG_ECONFLICT);
    cr_assert_eq(sg_store_get(s, NULL, NULL, SG_KIND_STORYRUN, "c8", "r", &err), SG_OK, "still there");
    wo.expected_rv = rv0;
    cr_assert_eq(sg_store_delete(s, &out, SG_KIND_STORYRUN, "c8", "r", &wo, &err), SG_OK, "%s", err.message);
    sg_json_t *r = parse_buf(&a, &out);
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.name"), "r"));
    cr_assert_eq(num(r, "spec.a"), 1, "[%s] delete returns the last state", current_case);
    cr_assert_eq(sg_store_get(s, NULL, NULL, SG_KIND_STORYRUN, "c8", "r", &err), SG_ENOTFOUND);
    cr_assert_eq(sg_store_delete(s, NULL, SG_KIND_STORYRUN, "c8", "r", NULL, &err), SG_ENOTFOUND);
    sg_buf_dispose(&out);
    sg_arena_dispose(&a);
}

static void list_names(sg_store_t *s, sg_store_kind_t kind, const char *ns, const char *labels, const char *fields,
                       size_t limit, const char *want)
{
    sg_store_list_t l;
    sg_store_list_init(&l);
    sg_store_list_opts_t lo = SG_STORE_LIST_OPTS_INIT;
    lo.label_selector = labels;
    lo.field_selector = fields;
    lo.limit = limit;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_list(s, &l, kind, ns, &lo, &err), SG_OK, "[%s] %s", current_case, err.message);
    char got[1024] = "";
    sg_arena_t a;
    sg_arena_init(&a, 0);
    for (size_t i = 0; i < l.len; i++) {
        sg_json_t *o = NULL;
        sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
        cr_assert_eq(sg_json_parse(&o, &a, l.items[i].json, l.items[i].len, &po, NULL), SG_OK);
        cr_assert_eq(l.items[i].resource_version, rv_of(o));
        cr_assert_leq(l.items[i].resource_version, l.resource_version, "[%s] list rv covers items", current_case);
        char one[300];
        snprintf(one, sizeof(one), "%s%s/%s", i ? "," : "", sg_json_string(sg_json_path(o, "metadata.namespace"), NULL),
                 sg_json_string(sg_json_path(o, "metadata.name"), NULL));
        strncat(got, one, sizeof(got) - strlen(got) - 1);
    }
    cr_assert_str_eq(got, want, "[%s] list ns=%s labels=%s fields=%s", current_case, ns ? ns : "*",
                     labels ? labels : "", fields ? fields : "");
    sg_arena_dispose(&a);
    sg_store_list_dispose(&l);
}

static void c_list(sg_store_t *s)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    create(s, &a, SG_KIND_REFERENCEGRANT, "c9-b",
           "{\"metadata\":{\"name\":\"y\",\"labels\":{\"case\":\"c9\",\"t\":\"1\"}}}");
    create(s, &a, SG_KIND_REFERENCEGRANT, "c9-a",
           "{\"metadata\":{\"name\":\"z\",\"labels\":{\"case\":\"c9\",\"t\":\"2\"}}}");
    create(s, &a, SG_KIND_REFERENCEGRANT, "c9-a", "{\"metadata\":{\"name\":\"x\",\"labels\":{\"case\":\"c9\"}}}");
    create(s, &a, SG_KIND_STORY, "c9-a", "{\"metadata\":{\"name\":\"w\",\"labels\":{\"case\":\"c9\"}}}");
    list_names(s, SG_KIND_REFERENCEGRANT, NULL, "case=c9", NULL, 0, "c9-a/x,c9-a/z,c9-b/y");
    list_names(s, SG_KIND_REFERENCEGRANT, "c9-a", NULL, NULL, 0, "c9-a/x,c9-a/z");
    list_names(s, SG_KIND_REFERENCEGRANT, NULL, "case=c9,t", NULL, 0, "c9-a/z,c9-b/y");
    list_names(s, SG_KIND_REFERENCEGRANT, NULL, "case=c9,!t", NULL, 0, "c9-a/x");
    list_names(s, SG_KIND_REFERENCEGRANT, NULL, "case=c9,t!=1", NULL, 0, "c9-a/x,c9-a/z");
    list_names(s, SG_KIND_REFERENCEGRANT, "c9-a", NULL, "metadata.name=z", 0, "c9-a/z");
    list_names(s, SG_KIND_REFERENCEGRANT, "c9-a", NULL, "metadata.name!=z", 0, "c9-a/x");
    list_names(s, SG_KIND_REFERENCEGRANT, NULL, "case=c9", NULL, 2, "c9-a/x,c9-a/z");
    list_names(s, SG_KIND_STORY, "c9-a", NULL, NULL, 0, "c9-a/w");
    list_names(s, SG_KIND_STORY, "c9-empty", NULL, NULL, 0, "");
    sg_arena_dispose(&a);
}

static void c_resource_versions_increase(sg_store_t *s)
{
    uint64_t last = 0;
    for (int i = 0; i < 5; i++) {
        char j[64], name[8];
        snprintf(j, sizeof(j), "{\"metadata\":{\"name\":\"o%d\"}}", i);
        snprintf(name, sizeof(name), "o%d", i);
        sg_store_kind_t k = i % 2 ? SG_KIND_STORYRUN : SG_KIND_STORY;
        cr_assert_eq(sg_store_create(s, NULL, k, "c10", j, strlen(j), NULL, NULL), SG_OK);
        uint64_t rv;
        cr_assert_eq(sg_store_get(s, NULL, &rv, k, "c10", name, NULL), SG_OK);
        cr_assert_gt(rv, last);
        last = rv;
        cr_assert_geq(sg_store_resource_version(s), rv);
    }
}

static void expect_event(sg_store_watch_t *w, sg_store_event_type_t type, sg_store_kind_t kind, const char *name,
                         uint64_t *last_rv)
{
    sg_store_event_t ev;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_store_watch_next(w, &ev, 10000, &err);
    cr_assert_eq(rc, SG_OK, "[%s] waiting for %s: %s", current_case, name, err.message);
    cr_assert_eq(ev.type, type, "[%s] %s: type %d", current_case, name, ev.type);
    cr_assert_eq(ev.kind, kind);
    cr_assert_str_eq(ev.name, name);
    cr_assert_str_eq(ev.namespace_, "c11");
    cr_assert_gt(ev.resource_version, *last_rv, "[%s] events in resourceVersion order", current_case);
    cr_assert(ev.len > 0 && ev.json[0] == '{');
    cr_assert(memmem(ev.json, ev.len, name, strlen(name)) != NULL);
    *last_rv = ev.resource_version;
}

static void c_watch(sg_store_t *s)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    create(s, &a, SG_KIND_STORYTRIGGER, "c11", "{\"metadata\":{\"name\":\"before\"}}");
    sg_store_list_t l;
    sg_store_list_init(&l);
    cr_assert_eq(sg_store_list(s, &l, SG_KIND_STORYTRIGGER, "c11", NULL, NULL), SG_OK);
    uint64_t from = l.resource_version;
    sg_store_list_dispose(&l);
    sg_store_watch_t *w = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_watch_open(s, &w, from, SG_KIND_MASK(SG_KIND_STORYTRIGGER), "c11", &err), SG_OK, "%s",
                 err.message);
    create(s, &a, SG_KIND_STORYTRIGGER, "c11", "{\"metadata\":{\"name\":\"t\"},\"spec\":{\"a\":1}}");
    create(s, &a, SG_KIND_STORYRUN, "c11", "{\"metadata\":{\"name\":\"not-watched\"}}");
    create(s, &a, SG_KIND_STORYTRIGGER, "c11-other", "{\"metadata\":{\"name\":\"elsewhere\"}}");
    cr_assert_eq(
        sg_store_update_status(s, NULL, SG_KIND_STORYTRIGGER, "c11", "t", parse_str(&a, "{\"d\":1}"), NULL, &err),
        SG_OK, "%s", err.message);
    sg_buf_t last = SG_BUF_INIT;
    uint64_t last_rv_before_delete;
    cr_assert_eq(sg_store_get(s, &last, &last_rv_before_delete, SG_KIND_STORYTRIGGER, "c11", "t", &err), SG_OK);
    cr_assert_eq(sg_store_delete(s, NULL, SG_KIND_STORYTRIGGER, "c11", "t", NULL, &err), SG_OK);
    uint64_t rv = from;
    expect_event(w, SG_STORE_ADDED, SG_KIND_STORYTRIGGER, "t", &rv);
    expect_event(w, SG_STORE_MODIFIED, SG_KIND_STORYTRIGGER, "t", &rv);
    expect_event(w, SG_STORE_DELETED, SG_KIND_STORYTRIGGER, "t", &rv);
    cr_assert_gt(rv, last_rv_before_delete, "[%s] DELETED carries the deletion's resourceVersion", current_case);
    sg_store_event_t ev;
    cr_assert_eq(sg_store_watch_next(w, &ev, 300, &err), SG_EUNAVAILABLE, "[%s] nothing else", current_case);
    sg_store_watch_close(w);
    sg_buf_dispose(&last);
    sg_arena_dispose(&a);
}

typedef struct {
    pthread_mutex_t mu;
    int seen;
    char last_name[64];
} subctx_t;

static void on_change(void *ctx, const sg_store_event_t *ev)
{
    subctx_t *c = ctx;
    if (strcmp(ev->namespace_, "c12") != 0)
        return;
    pthread_mutex_lock(&c->mu);
    c->seen++;
    snprintf(c->last_name, sizeof(c->last_name), "%s", ev->name);
    pthread_mutex_unlock(&c->mu);
}

static int seen(subctx_t *c)
{
    pthread_mutex_lock(&c->mu);
    int n = c->seen;
    pthread_mutex_unlock(&c->mu);
    return n;
}

static void c_subscribe(sg_store_t *s)
{
    subctx_t c = {PTHREAD_MUTEX_INITIALIZER, 0, ""};
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_subscribe(s, on_change, &c, &err), SG_OK, "%s", err.message);
    const char *j = "{\"metadata\":{\"name\":\"sub\"}}";
    cr_assert_eq(sg_store_create(s, NULL, SG_KIND_STORYRUN, "c12", j, strlen(j), NULL, &err), SG_OK);
    for (int i = 0; i < 1000 && seen(&c) < 1; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_eq(seen(&c), 1, "[%s] subscriber saw the create", current_case);
    cr_assert_str_eq(c.last_name, "sub");
    sg_store_unsubscribe(s, on_change, &c);
    j = "{\"metadata\":{\"name\":\"after\"}}";
    cr_assert_eq(sg_store_create(s, NULL, SG_KIND_STORYRUN, "c12", j, strlen(j), NULL, &err), SG_OK);
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    cr_assert_eq(seen(&c), 1, "[%s] nothing after unsubscribe", current_case);
}

/* Namespaces are cluster-scoped: no namespace in calls or objects, names alone identify them. */
static void c_namespaces(sg_store_t *s)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *o = create(s, &a, SG_KIND_NAMESPACE, NULL,
                          "{\"metadata\":{\"name\":\"c13-prod\",\"labels\":{\"case\":\"c13\",\"env\":\"prod\"}}}");
    cr_assert(sg_json_string_eq(sg_json_get(o, "apiVersion"), "v1"));
    cr_assert(sg_json_string_eq(sg_json_get(o, "kind"), "Namespace"));
    cr_assert_null(sg_json_path(o, "metadata.namespace"), "[%s] a Namespace has no namespace", current_case);
    cr_assert(sg_json_string_eq(sg_json_path(o, "metadata.labels.env"), "prod"));
    size_t n;
    const char *uid = sg_json_string(sg_json_path(o, "metadata.uid"), &n);
    cr_assert(uid != NULL && n == 36, "[%s] uid", current_case);
    const char *ts = sg_json_string(sg_json_path(o, "metadata.creationTimestamp"), &n);
    cr_assert(ts != NULL && n == 20 && ts[19] == 'Z');
    uint64_t rv = rv_of(o);

    sg_buf_t out = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    uint64_t got_rv = 0;
    cr_assert_eq(sg_store_get(s, &out, &got_rv, SG_KIND_NAMESPACE, NULL, "c13-prod", &err), SG_OK, "%s", err.message);
    cr_assert_eq(got_rv, rv);
    cr_assert(sg_json_equal(parse_buf(&a, &out), o), "[%s] get returns what create stored", current_case);
    cr_assert_eq(sg_store_get(s, NULL, NULL, SG_KIND_NAMESPACE, "", "c13-prod", &err), SG_OK, "\"\" is no namespace");
    cr_assert_eq(sg_store_get(s, NULL, NULL, SG_KIND_NAMESPACE, "c13", "c13-prod", &err), SG_EINVALID,
                 "[%s] a namespace on a cluster-scoped kind", current_case);
    cr_assert_eq(sg_store_get(s, NULL, NULL, SG_KIND_NAMESPACE, NULL, "c13-nope", &err), SG_ENOTFOUND);
    cr_assert_str_eq(err.message, "namespaces \"c13-nope\" not found");
    const char *j = "{\"metadata\":{\"name\":\"c13-prod\"}}";
    cr_assert_eq(sg_store_create(s, NULL, SG_KIND_NAMESPACE, NULL, j, strlen(j), NULL, &err), SG_ECONFLICT);
    cr_assert_str_eq(err.message, "namespaces \"c13-prod\" already exists");
    /* a metadata.namespace in the object is ignored, as the apiserver does for cluster-scoped objects */
    o = create(s, &a, SG_KIND_NAMESPACE, NULL,
               "{\"metadata\":{\"name\":\"c13-dev\",\"namespace\":\"elsewhere\",\"labels\":{\"case\":\"c13\"}}}");
    cr_assert_null(sg_json_path(o, "metadata.namespace"));

    /* lists: all of them whatever the namespace argument, selectors on labels and name */
    sg_store_list_t l;
    sg_store_list_init(&l);
    sg_store_list_opts_t lo = SG_STORE_LIST_OPTS_INIT;
    lo.label_selector = "case=c13";
    cr_assert_eq(sg_store_list(s, &l, SG_KIND_NAMESPACE, NULL, &lo, &err), SG_OK, "%s", err.message);
    cr_assert_eq(l.len, 2, "[%s] both Namespaces listed", current_case);
    cr_assert(memmem(l.items[0].json, l.items[0].len, "\"c13-dev\"", 9) != NULL, "[%s] ordered by name", current_case);
    lo.label_selector = "case=c13,env=prod";
    cr_assert_eq(sg_store_list(s, &l, SG_KIND_NAMESPACE, NULL, &lo, &err), SG_OK, "%s", err.message);
    cr_assert_eq(l.len, 1);
    cr_assert(memmem(l.items[0].json, l.items[0].len, "\"c13-prod\"", 10) != NULL);
    lo.label_selector = NULL;
    lo.field_selector = "metadata.name=c13-dev";
    cr_assert_eq(sg_store_list(s, &l, SG_KIND_NAMESPACE, NULL, &lo, &err), SG_OK, "%s", err.message);
    cr_assert_eq(l.len, 1);
    uint64_t from = l.resource_version;
    sg_store_list_dispose(&l);

    /* relabel, then watch the change and the deletion */
    sg_store_watch_t *w = NULL;
    cr_assert_eq(sg_store_watch_open(s, &w, from, SG_KIND_MASK(SG_KIND_NAMESPACE), NULL, &err), SG_OK, "%s",
                 err.message);
    sg_json_t *u = parse_str(&a, "{\"metadata\":{\"name\":\"c13-dev\",\"labels\":{\"case\":\"c13\",\"env\":\"dev\"}}}");
    cr_assert_eq(sg_store_update_json(s, &out, SG_KIND_NAMESPACE, NULL, u, NULL, &err), SG_OK, "%s", err.message);
    sg_json_t *r = parse_buf(&a, &out);
    cr_assert(sg_json_string_eq(sg_json_path(r, "metadata.labels.env"), "dev"));
    cr_assert(
        sg_json_string_eq(sg_json_path(r, "metadata.uid"), sg_json_string(sg_json_path(o, "metadata.uid"), NULL)));
    cr_assert_null(sg_json_path(r, "metadata.namespace"));
    cr_assert_eq(sg_store_delete(s, &out, SG_KIND_NAMESPACE, NULL, "c13-dev", NULL, &err), SG_OK, "%s", err.message);
    cr_assert_eq(sg_store_get(s, NULL, NULL, SG_KIND_NAMESPACE, NULL, "c13-dev", &err), SG_ENOTFOUND);
    sg_store_event_type_t want[] = {SG_STORE_MODIFIED, SG_STORE_DELETED};
    uint64_t last = from;
    for (size_t i = 0; i < 2; i++) {
        sg_store_event_t ev;
        cr_assert_eq(sg_store_watch_next(w, &ev, 10000, &err), SG_OK, "[%s] event %zu: %s", current_case, i,
                     err.message);
        cr_assert_eq(ev.type, want[i], "[%s] event %zu type %d", current_case, i, ev.type);
        cr_assert_eq(ev.kind, SG_KIND_NAMESPACE);
        cr_assert_str_eq(ev.namespace_, "");
        cr_assert_str_eq(ev.name, "c13-dev");
        cr_assert_gt(ev.resource_version, last);
        last = ev.resource_version;
    }
    sg_store_watch_close(w);
    cr_assert_eq(sg_store_delete(s, NULL, SG_KIND_NAMESPACE, NULL, "c13-prod", NULL, &err), SG_OK, "%s", err.message);
    sg_buf_dispose(&out);
    sg_arena_dispose(&a);
}

const store_contract_case_t store_contract_cases[] = {
    {"create_then_get", c_create_then_get},
    {"get_missing", c_get_missing},
    {"create_existing_conflicts", c_create_existing_conflicts},
    {"create_async", c_create_async},
    {"create_rejects_bad_objects", c_create_rejects_bad_objects},
    {"generate_name", c_generate_name},
    {"update", c_update},
    {"status", c_status},
    {"status_async", c_status_async},
    {"delete", c_delete},
    {"list", c_list},
    {"resource_versions_increase", c_resource_versions_increase},
    {"watch", c_watch},
    {"subscribe", c_subscribe},
    {"namespaces", c_namespaces},
    {NULL, NULL},
};

void store_contract_run(sg_store_t *s)
{
    for (const store_contract_case_t *c = store_contract_cases; c->name != NULL; c++) {
        current_case = c->name;
        c->run(s);
    }
    current_case = "";
}
