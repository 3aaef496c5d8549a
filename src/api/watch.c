/* Watch streams. DESIGN: a watch is registered on its loop first, then a pool job catches up (a store cursor from
 * the client's resourceVersion, or a list turned into ADDED events when none was given) while live changes arrive
 * from the store subscriber through the loop's receiver and are held back. When the catch-up returns, its events go
 * out, then the held ones newer than the last resourceVersion sent, and the watch is live. Registering before the
 * catch-up reads the store means no change can fall between the two; the resourceVersion filter drops duplicates.
 * Output is one JSON event per line, sent with at most one h2o_send outstanding; a client that falls too far behind
 * is cut off (it resumes from the last resourceVersion it saw, as client-go does). */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runtime.h"

#define MAX_BUFFERED_BYTES (16u << 20)
#define MAX_HELD_EVENTS 100000
#define MAX_CATCHUP_EVENTS 200000

struct st_sg_api__watch_t {
    h2o_generator_t super;
    h2o_linklist_t link;
    sg_api__loop_t *loop;
    h2o_req_t *req; /* NULL once h2o released it */
    const sg_api__resource_t *res;
    char ns[SG_API__NAME_MAX + 1];
    sg_store_selector_t *sel;
    int table;
    int include_object;
    int live;
    int started; /* response headers sent */
    int sending; /* an h2o_send is outstanding */
    int closing; /* finish once the output drained */
    int finished;
    uint64_t last_rv;
    int64_t deadline; /* CLOCK_MONOTONIC seconds, 0 = none */
    sg_api__event_t **held;
    size_t nheld, capheld;
    sg_buf_t pending;
    sg_buf_t inflight;
};

static int64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

static void flush(sg_api__watch_t *w);

static void on_proceed(h2o_generator_t *self, h2o_req_t *req)
{
    (void)req;
    sg_api__watch_t *w = (sg_api__watch_t *)self;
    w->sending = 0;
    sg_buf_reset(&w->inflight);
    flush(w);
}

static void on_stop(h2o_generator_t *self, h2o_req_t *req)
{
    (void)req;
    sg_api__watch_t *w = (sg_api__watch_t *)self;
    w->finished = 1; /* the client went away; the request pool's release frees the watch */
}

static void flush(sg_api__watch_t *w)
{
    if (w->req == NULL || w->finished || w->sending || !w->started)
        return;
    if (w->pending.len != 0) {
        sg_buf_t tmp = w->inflight;
        w->inflight = w->pending;
        w->pending = tmp;
        sg_buf_reset(&w->pending);
        h2o_iovec_t iov = h2o_iovec_init(w->inflight.base, w->inflight.len);
        w->sending = 1;
        h2o_send(w->req, &iov, 1, w->closing ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
        if (w->closing)
            w->finished = 1;
        return;
    }
    if (w->closing) {
        w->finished = 1;
        h2o_send(w->req, NULL, 0, H2O_SEND_STATE_FINAL);
    }
}

static void start_response(sg_api__watch_t *w)
{
    h2o_req_t *req = w->req;
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = SIZE_MAX;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache, private"));
    h2o_start_response(req, &w->super);
    sg_api__count(req, 200);
    w->started = 1;
    /* send the headers now so clients see the watch established */
    w->sending = 1;
    h2o_send(req, NULL, 0, H2O_SEND_STATE_IN_PROGRESS);
}

static void close_watch(sg_api__watch_t *w)
{
    if (w->closing || w->finished)
        return;
    w->closing = 1;
    flush(w);
}

static void free_watch(sg_api__watch_t *w)
{
    for (size_t i = 0; i < w->nheld; i++)
        sg_api__event_release(w->held[i]);
    free(w->held);
    sg_store_selector_free(w->sel);
    sg_buf_dispose(&w->pending);
    sg_buf_dispose(&w->inflight);
    free(w);
}

static void on_req_dispose(void *p)
{
    sg_api__watch_t *w = *(sg_api__watch_t **)p;
    w->req = NULL;
    h2o_linklist_unlink(&w->link);
    atomic_fetch_sub(&w->loop->nwatches, 1);
    atomic_fetch_sub(&w->loop->api->nwatches, 1);
    sg_api__metrics_watch(-1);
    free_watch(w);
}

static const char *type_name(sg_store_event_type_t t)
{
    return t == SG_STORE_ADDED ? "ADDED" : t == SG_STORE_MODIFIED ? "MODIFIED" : "DELETED";
}

/* Appends one event line when it concerns the watch. `force` sends synthetic ADDED events of a list regardless of
 * their resourceVersion. */
static void emit(sg_api__watch_t *w, const sg_api__event_t *ev, sg_store_event_type_t type, int force)
{
    if (ev->kind != w->res->kind || (w->ns[0] != '\0' && strcmp(w->ns, ev->ns) != 0))
        return;
    if (!force) {
        if (ev->rv <= w->last_rv)
            return;
        w->last_rv = ev->rv;
    }
    sg_api__loop_t *loop = w->loop;
    sg_json_t *obj = NULL;
    if (w->sel != NULL || w->table) {
        sg_arena_reset(&loop->arena);
        sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
        if (sg_json_parse(&obj, &loop->arena, ev->json, ev->len, &o, NULL) < 0)
            return;
        if (!sg_store_selector_match(w->sel, obj))
            return;
    }
    sg_buf_printf(&w->pending, "{\"type\":\"%s\",\"object\":", type_name(type));
    if (w->table) {
        const sg_json_t *items[1] = {obj};
        sg_api__table_write(&w->pending, w->res, items, 1, ev->rv, w->include_object, 1, (int64_t)time(NULL));
    } else {
        sg_buf_append(&w->pending, ev->json, ev->len);
    }
    sg_buf_puts(&w->pending, "}\n");
    if (w->pending.len > MAX_BUFFERED_BYTES || w->pending.oom) {
        sg_log_warn("watch client too slow; closing the stream", "resource", SG_LOG_STR, w->res->plural, NULL);
        sg_buf_reset(&w->pending);
        w->pending.oom = 0;
        close_watch(w);
    }
}

static void emit_error(sg_api__watch_t *w, int code, const char *reason, const char *message)
{
    sg_buf_puts(&w->pending, "{\"type\":\"ERROR\",\"object\":");
    sg_api__status_write(&w->pending, code, reason, message, NULL, NULL);
    /* status_write ends with a newline; replace it to keep one line per event */
    if (w->pending.len > 0 && w->pending.base[w->pending.len - 1] == '\n')
        w->pending.len--;
    sg_buf_puts(&w->pending, "}\n");
}

int sg_api__watch_start(sg_api_t *api, sg_api__loop_t *loop, h2o_req_t *req, const sg_api__path_t *path,
                        const sg_api__query_t *query, int table)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_api__watch_t *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        sg_api__send_status(req, 500, NULL, "out of memory", NULL, NULL);
        return 0;
    }
    if (sg_store_selector_parse(&w->sel, path->res->kind, query->label_selector, query->field_selector, &err) < 0) {
        free(w);
        sg_api__send_status(req, 400, NULL, err.message, NULL, path->res);
        return 0;
    }
    w->super.proceed = on_proceed;
    w->super.stop = on_stop;
    w->loop = loop;
    w->req = req;
    w->res = path->res;
    memcpy(w->ns, path->ns, sizeof(w->ns));
    w->table = table;
    w->include_object = query->include_object;
    w->last_rv = query->has_rv ? query->resource_version : 0;
    if (query->timeout_seconds > 0)
        w->deadline = mono_now() + query->timeout_seconds;
    sg_buf_init(&w->pending);
    sg_buf_init(&w->inflight);

    /* register first (see DESIGN) */
    h2o_linklist_insert(&loop->watches, &w->link);
    atomic_fetch_add(&loop->nwatches, 1);
    atomic_fetch_add(&api->nwatches, 1);
    sg_api__metrics_watch(1);
    sg_api__watch_t **link = h2o_mem_alloc_shared(&req->pool, sizeof(*link), on_req_dispose);
    *link = w;
    if (!h2o_timeout_is_linked(&loop->tick))
        h2o_timeout_link(loop->ctx->loop, &loop->tick_timeout, &loop->tick);

    sg_api__job_t *job = sg_api__job_new(api, loop, req);
    if (job == NULL) {
        sg_api__send_status(req, 500, NULL, "out of memory", NULL, NULL);
        return 0;
    }
    job->path = *path;
    job->query = *query;
    job->query.label_selector = job->query.field_selector = NULL;
    job->watch = w;
    job->run = sg_api__job_run_catchup;
    job->refs++;
    if (sg_api__pool_submit(&api->pool, job) < 0) {
        job->refs--;
        sg_api__send_status(req, 429, NULL, "too many requests: the store is saturated, retry later", NULL, NULL);
        w->finished = 1;
    }
    return 0;
}

static int push_event(sg_api__job_t *job, sg_api__event_t *ev)
{
    if (ev == NULL)
        return SG_ENOMEM;
    if (job->nevents == job->capevents) {
        size_t cap = job->capevents ? job->capevents * 2 : 64;
        sg_api__event_t **n = realloc(job->events, cap * sizeof(*n));
        if (n == NULL) {
            sg_api__event_release(ev);
            return SG_ENOMEM;
        }
        job->events = n;
        job->capevents = cap;
    }
    job->events[job->nevents++] = ev;
    return SG_OK;
}

void sg_api__job_run_catchup(sg_api__job_t *job)
{
    sg_api_t *api = job->api;
    sg_error_t err = SG_ERROR_INIT;
    sg_store_kind_t kind = job->path.res->kind;
    const char *ns = job->path.ns[0] ? job->path.ns : NULL;
    if (job->query.has_rv && job->query.resource_version > 0) {
        sg_store_watch_t *cur = NULL;
        int rc = sg_store_watch_open(api->store, &cur, job->query.resource_version, SG_KIND_MASK(kind), ns, &err);
        if (rc == SG_ELIMIT) {
            job->expired = 1;
            return;
        }
        if (rc < 0) {
            job->status = 500;
            return;
        }
        for (size_t n = 0; n < MAX_CATCHUP_EVENTS; n++) {
            sg_store_event_t ev;
            rc = sg_store_watch_next(cur, &ev, 0, &err);
            if (rc == SG_ELIMIT) {
                job->expired = 1;
                break;
            }
            if (rc < 0)
                break; /* SG_EUNAVAILABLE: caught up */
            if (push_event(
                    job, sg_api__event_new(ev.type, ev.kind, ev.resource_version, ev.namespace_, ev.json, ev.len)) < 0)
                break;
        }
        sg_store_watch_close(cur);
        return;
    }
    sg_store_list_t list;
    sg_store_list_init(&list);
    sg_store_list_opts_t lo = SG_STORE_LIST_OPTS_INIT;
    if (sg_store_list(api->store, &list, kind, ns, &lo, &err) < 0) {
        job->status = 500;
        sg_store_list_dispose(&list);
        return;
    }
    for (size_t i = 0; i < list.len; i++) {
        /* the namespace is read back from the object on the loop; events carry it for filtering only */
        sg_json_t *obj = NULL;
        sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
        sg_arena_t *arena = sg_api__worker_arena();
        const char *ons = ns;
        if (ons == NULL && sg_json_parse(&obj, arena, list.items[i].json, list.items[i].len, &o, NULL) == SG_OK)
            ons = sg_json_string(sg_json_path(obj, "metadata.namespace"), NULL);
        if (push_event(job, sg_api__event_new(SG_STORE_ADDED, kind, list.items[i].resource_version, ons,
                                              list.items[i].json, list.items[i].len)) < 0)
            break;
    }
    job->events_rv = list.resource_version;
    sg_store_list_dispose(&list);
}

void sg_api__watch_catchup_done(sg_api__job_t *job)
{
    sg_api__watch_t *w = job->watch;
    if (w->req == NULL || w->finished)
        return;
    start_response(w);
    if (job->expired) {
        char msg[128];
        snprintf(msg, sizeof(msg), "too old resource version: %" PRIu64, job->query.resource_version);
        emit_error(w, 410, "Expired", msg);
        close_watch(w);
        return;
    }
    if (job->status >= 500) {
        emit_error(w, 500, "InternalError", "the store could not be read");
        close_watch(w);
        return;
    }
    int from_list = !(job->query.has_rv && job->query.resource_version > 0);
    for (size_t i = 0; i < job->nevents; i++)
        emit(w, job->events[i], job->events[i]->type, from_list);
    if (from_list)
        w->last_rv = job->events_rv;
    for (size_t i = 0; i < w->nheld; i++) {
        emit(w, w->held[i], w->held[i]->type, 0);
        sg_api__event_release(w->held[i]);
    }
    w->nheld = 0;
    w->live = 1;
    flush(w);
}

void sg_api__watch_event(sg_api__loop_t *loop, sg_api__event_t *ev)
{
    for (h2o_linklist_t *n = loop->watches.next; n != &loop->watches;) {
        sg_api__watch_t *w = H2O_STRUCT_FROM_MEMBER(sg_api__watch_t, link, n);
        n = n->next;
        if (w->finished || w->closing || ev->kind != w->res->kind)
            continue;
        if (!w->live) {
            if (w->nheld == MAX_HELD_EVENTS) {
                w->closing = 1; /* flushed once the catch-up returns */
                continue;
            }
            if (w->nheld == w->capheld) {
                size_t cap = w->capheld ? w->capheld * 2 : 16;
                sg_api__event_t **h = realloc(w->held, cap * sizeof(*h));
                if (h == NULL)
                    continue;
                w->held = h;
                w->capheld = cap;
            }
            w->held[w->nheld++] = sg_api__event_retain(ev);
            continue;
        }
        emit(w, ev, ev->type, 0);
        flush(w);
    }
}

void sg_api__watch_tick(sg_api__loop_t *loop)
{
    int64_t now = mono_now();
    int shutting_down = !sg_http_server_ready(loop->api->server);
    for (h2o_linklist_t *n = loop->watches.next; n != &loop->watches;) {
        sg_api__watch_t *w = H2O_STRUCT_FROM_MEMBER(sg_api__watch_t, link, n);
        n = n->next;
        if (!w->live)
            continue;
        if (shutting_down || (w->deadline != 0 && now >= w->deadline))
            close_watch(w);
    }
}
