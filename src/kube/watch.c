/* Watches: one streaming request decoded into store events (watch_once), and store watch cursors built on it — one
 * thread per watched kind feeding a bounded queue, reconnecting from the last resourceVersion with backoff.
 * Cursors report 410 Gone (and a queue overflow) as SG_ELIMIT so the caller lists again, as the store contract says.
 * Events of different kinds come from different streams and are not ordered among themselves. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/log.h>

#include "internal.h"

/* --- one watch request --- */

typedef struct st_once_t {
    sg_kube__store_t *s;
    sg_store_kind_t kind;
    uint64_t *rv;
    sg_kube__event_cb cb;
    void *ctx;
    int gone;
    int failed;
    sg_error_t *err;
} once_t;

static int on_line(void *ud, const char *line, size_t len)
{
    once_t *o = ud;
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
    popts.max_depth = 1000;
    sg_json_t *ev = NULL;
    sg_error_t perr = SG_ERROR_INIT;
    int stop = 0;
    if (sg_json_parse(&ev, &arena, line, len, &popts, &perr) != SG_OK) {
        sg_error_set(o->err, SG_EIO, "kube watch: malformed event: %s", perr.message);
        o->failed = 1;
        stop = 1;
        goto done;
    }
    const sg_json_t *type = sg_json_get(ev, "type"), *obj = sg_json_get(ev, "object");
    if (obj == NULL || obj->type != SG_JSON_OBJECT || obj->raw == NULL)
        goto done;
    if (sg_json_string_eq(type, "ERROR")) {
        const sg_json_t *code = sg_json_get(obj, "code");
        const char *msg = sg_json_string(sg_json_get(obj, "message"), NULL);
        if (code != NULL && code->type == SG_JSON_NUMBER && code->u.number.value == 410) {
            o->gone = 1;
            sg_error_set(o->err, SG_ELIMIT, "%s", msg != NULL ? msg : "too old resource version");
        } else {
            o->failed = 1;
            sg_error_set(o->err, SG_EIO, "kube watch error: %s", msg != NULL ? msg : "unknown");
        }
        stop = 1;
        goto done;
    }
    uint64_t rv = sg_kube__parse_rv(sg_json_path(obj, "metadata.resourceVersion"));
    if (sg_json_string_eq(type, "BOOKMARK")) {
        if (rv > *o->rv)
            *o->rv = rv;
        sg_kube__store_saw_rv(o->s, rv);
        goto done;
    }
    sg_store_event_type_t t = sg_json_string_eq(type, "ADDED")      ? SG_STORE_ADDED
                              : sg_json_string_eq(type, "MODIFIED") ? SG_STORE_MODIFIED
                              : sg_json_string_eq(type, "DELETED")  ? SG_STORE_DELETED
                                                                    : 0;
    if (t == 0)
        goto done;
    sg_store_event_t se = {
        .type = t,
        .kind = o->kind,
        .resource_version = rv,
        .namespace_ = sg_json_string(sg_json_path(obj, "metadata.namespace"), NULL),
        .name = sg_json_string(sg_json_path(obj, "metadata.name"), NULL),
        .json = obj->raw,
        .len = obj->raw_len,
    };
    if (se.namespace_ == NULL)
        se.namespace_ = "";
    if (se.name == NULL)
        goto done;
    if (rv > *o->rv)
        *o->rv = rv;
    sg_kube__store_saw_rv(o->s, rv);
    stop = o->cb(o->ctx, &se);
done:
    sg_arena_dispose(&arena);
    return stop;
}

int sg_kube__watch_once(sg_kube__store_t *s, sg_store_kind_t kind, const char *ns, uint64_t *rv, sg_kube__event_cb cb,
                        void *ctx, const volatile int *stop, sg_error_t *err)
{
    sg_buf_t path = SG_BUF_INIT;
    sg_kube_collection_path(&path, kind, ns);
    /* Jitter the server-side timeout so many watches do not all reconnect at once. */
    int t =
        s->watch_timeout_s / 2 + sg_kube__backoff_ms(s->watch_timeout_s * 1000, s->watch_timeout_s * 1000, 0) / 1000;
    if (t < 1)
        t = 1;
    sg_buf_printf(&path, "?watch=true&allowWatchBookmarks=true&timeoutSeconds=%d", t);
    if (*rv != 0)
        sg_buf_printf(&path, "&resourceVersion=%llu", (unsigned long long)*rv);
    if (path.oom) {
        sg_buf_dispose(&path);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    once_t o = {.s = s, .kind = kind, .rv = rv, .cb = cb, .ctx = ctx, .err = err};
    sg_kube_response_t resp;
    sg_kube_response_init(&resp);
    int rc = sg_kube_stream(s->client, &resp, path.base, on_line, &o, stop, 0, err);
    if (o.gone)
        rc = SG_ELIMIT;
    else if (o.failed)
        rc = SG_EIO;
    else if (rc == SG_OK && resp.status != 200)
        rc = sg_kube_status_error(&resp, err);
    sg_kube_response_dispose(&resp);
    sg_buf_dispose(&path);
    return rc;
}

/* --- cursors --- */

typedef struct st_qitem_t {
    struct st_qitem_t *next;
    sg_store_event_type_t type;
    sg_store_kind_t kind;
    uint64_t rv;
    char *ns, *name; /* point into data */
    size_t len;
    char data[];
} qitem_t;

typedef struct st_cursor_t cursor_t;

typedef struct st_stream_t {
    cursor_t *cur;
    sg_store_kind_t kind;
    uint64_t rv;
    pthread_t thread;
    int started;
} stream_t;

struct st_cursor_t {
    sg_store_watch_t super;
    sg_kube__store_t *s;
    char *ns;
    volatile int stop;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    qitem_t *head, *tail;
    size_t qlen;
    int error; /* SG_ELIMIT after 410 or overflow, once the queue drains */
    sg_error_t error_detail;
    qitem_t *current; /* the event handed out last */
    stream_t streams[SG_KIND__COUNT];
    size_t nstreams;
};

static qitem_t *qitem_new(const sg_store_event_t *ev)
{
    size_t nl = strlen(ev->namespace_), ml = strlen(ev->name);
    qitem_t *q = malloc(sizeof(*q) + ev->len + nl + ml + 3);
    if (q == NULL)
        return NULL;
    q->next = NULL;
    q->type = ev->type;
    q->kind = ev->kind;
    q->rv = ev->resource_version;
    q->len = ev->len;
    memcpy(q->data, ev->json, ev->len);
    q->data[ev->len] = '\0';
    q->ns = q->data + ev->len + 1;
    memcpy(q->ns, ev->namespace_, nl + 1);
    q->name = q->ns + nl + 1;
    memcpy(q->name, ev->name, ml + 1);
    return q;
}

static void fail(cursor_t *c, int code, const sg_error_t *detail)
{
    pthread_mutex_lock(&c->mu);
    if (c->error == 0) {
        c->error = code;
        if (detail != NULL)
            c->error_detail = *detail;
    }
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
}

static int push(void *ud, const sg_store_event_t *ev)
{
    stream_t *st = ud;
    cursor_t *c = st->cur;
    qitem_t *q = qitem_new(ev);
    pthread_mutex_lock(&c->mu);
    if (c->error != 0) {
        free(q);
        pthread_mutex_unlock(&c->mu);
        return 1;
    }
    if (q == NULL || c->qlen >= c->s->max_queue) {
        free(q);
        c->error = SG_ELIMIT;
        sg_error_set(&c->error_detail, SG_ELIMIT, "watch cursor fell behind: more than %zu events buffered",
                     c->s->max_queue);
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->mu);
        return 1;
    }
    if (c->tail != NULL)
        c->tail->next = q;
    else
        c->head = q;
    c->tail = q;
    c->qlen++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
    return 0;
}

static void *stream_main(void *ud)
{
    stream_t *st = ud;
    cursor_t *c = st->cur;
    int failures = 0;
    while (!c->stop) {
        sg_error_t err = SG_ERROR_INIT;
        uint64_t before = st->rv;
        int rc = sg_kube__watch_once(c->s, st->kind, c->ns, &st->rv, push, st, &c->stop, &err);
        if (c->stop)
            break;
        if (rc == SG_ELIMIT) {
            fail(c, SG_ELIMIT, &err);
            break;
        }
        pthread_mutex_lock(&c->mu);
        int dead = c->error != 0;
        pthread_mutex_unlock(&c->mu);
        if (dead)
            break;
        if (rc == SG_OK && st->rv != before) {
            failures = 0;
            continue;
        }
        if (rc != SG_OK)
            sg_log_warn("kube watch failed; reconnecting", "kind", SG_LOG_STR, sg_store_kind_name(st->kind), "error",
                        SG_LOG_ERR, &err, NULL);
        /* A clean end without progress is a server timeout: reconnect at once, but never spin. */
        sg_kube__sleep(rc == SG_OK ? 50 : sg_kube__backoff_ms(200, 30000, failures++), &c->stop);
    }
    return NULL;
}

static void cursor_free(cursor_t *c)
{
    c->stop = 1;
    for (size_t i = 0; i < c->nstreams; i++)
        if (c->streams[i].started)
            pthread_join(c->streams[i].thread, NULL);
    for (qitem_t *q = c->head, *n; q != NULL; q = n) {
        n = q->next;
        free(q);
    }
    free(c->current);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cond);
    free(c->ns);
    free(c);
}

int sg_kube__watch_open(sg_store_t *store, sg_store_watch_t **out, uint64_t from_rv, unsigned kind_mask, const char *ns,
                        sg_error_t *err)
{
    sg_kube__store_t *s = (sg_kube__store_t *)store;
    *out = NULL;
    cursor_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    c->super.store = store;
    c->s = s;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
    int rc = SG_OK;
    if (ns != NULL && ns[0] != '\0' && (c->ns = strdup(ns)) == NULL) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto fail;
    }
    for (int k = 0; k < SG_KIND__COUNT; k++) {
        if (!(kind_mask & SG_KIND_MASK(k)))
            continue;
        stream_t *st = &c->streams[c->nstreams++];
        st->cur = c;
        st->kind = (sg_store_kind_t)k;
        st->rv = from_rv;
        if (from_rv == 0) {
            /* "From the beginning": the current objects as ADDED, then changes after the list. */
            sg_store_list_t l;
            sg_store_list_init(&l);
            if ((rc = sg_kube__store_list(s, &l, st->kind, c->ns, NULL, err)) != SG_OK) {
                sg_store_list_dispose(&l);
                goto fail;
            }
            for (size_t i = 0; i < l.len && rc == SG_OK; i++) {
                sg_arena_t arena;
                sg_arena_init(&arena, 0);
                sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
                sg_json_t *o = NULL;
                if (sg_json_parse(&o, &arena, l.items[i].json, l.items[i].len, &popts, err) == SG_OK) {
                    const char *ons = sg_json_string(sg_json_path(o, "metadata.namespace"), NULL);
                    sg_store_event_t ev = {SG_STORE_ADDED,
                                           st->kind,
                                           l.items[i].resource_version,
                                           ons != NULL ? ons : "",
                                           sg_json_string(sg_json_path(o, "metadata.name"), NULL),
                                           l.items[i].json,
                                           l.items[i].len,
                                           NULL};
                    if (ev.name != NULL && push(st, &ev) != 0)
                        rc = sg_error_set(err, SG_ELIMIT, "watch: more than %zu objects", s->max_queue);
                }
                sg_arena_dispose(&arena);
            }
            st->rv = l.resource_version;
            sg_store_list_dispose(&l);
            if (rc != SG_OK)
                goto fail;
        }
    }
    for (size_t i = 0; i < c->nstreams; i++) {
        if (pthread_create(&c->streams[i].thread, NULL, stream_main, &c->streams[i]) != 0) {
            rc = sg_error_set(err, SG_EIO, "watch: cannot start a thread: %s", strerror(errno));
            goto fail;
        }
        c->streams[i].started = 1;
    }
    *out = &c->super;
    return SG_OK;
fail:
    cursor_free(c);
    return rc;
}

int sg_kube__watch_next(sg_store_watch_t *w, sg_store_event_t *ev, int timeout_ms, sg_error_t *err)
{
    cursor_t *c = (cursor_t *)w;
    free(c->current);
    c->current = NULL;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    if (timeout_ms > 0) {
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&c->mu);
    while (c->head == NULL && c->error == 0 && timeout_ms != 0) {
        if (timeout_ms < 0)
            pthread_cond_wait(&c->cond, &c->mu);
        else if (pthread_cond_timedwait(&c->cond, &c->mu, &deadline) == ETIMEDOUT)
            break;
    }
    qitem_t *q = c->head;
    int rc = SG_OK;
    if (q != NULL) {
        c->head = q->next;
        if (c->head == NULL)
            c->tail = NULL;
        c->qlen--;
    } else if (c->error != 0) {
        rc = c->error;
        if (err != NULL)
            *err = c->error_detail;
        if (err != NULL && err->code == 0)
            sg_error_set(err, rc, "watch cursor: too old resource version");
    } else {
        rc = sg_error_set(err, SG_EUNAVAILABLE, "watch: no event within %d ms", timeout_ms);
    }
    pthread_mutex_unlock(&c->mu);
    if (q != NULL) {
        c->current = q;
        ev->type = q->type;
        ev->kind = q->kind;
        ev->resource_version = q->rv;
        ev->namespace_ = q->ns;
        ev->name = q->name;
        ev->json = q->data;
        ev->len = q->len;
        ev->origin = NULL;
    }
    return rc;
}

void sg_kube__watch_close(sg_store_watch_t *w)
{
    if (w != NULL)
        cursor_free((cursor_t *)w);
}
