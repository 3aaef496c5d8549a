/* Per-event-loop state: the h2o_multithread receiver through which pool jobs and store events reach the loop, the
 * loop's watch list and its one-second tick. Also the job lifecycle: a job is shared by its request (until h2o
 * releases the request pool) and by the pending completion, both counted on the loop thread only. */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static __thread sg_api__loop_t *tls_loop;

static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    sg_api__loop_t *loop = (sg_api__loop_t *)((char *)receiver - offsetof(sg_api__loop_t, receiver));
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        sg_api__msg_t *msg = (sg_api__msg_t *)m;
        if (msg->type == SG_API__MSG_JOB) {
            sg_api__job_finish((sg_api__job_t *)msg);
        } else {
            sg_api__event_msg_t *em = (sg_api__event_msg_t *)msg;
            sg_api__watch_event(loop, em->ev);
            sg_api__event_release(em->ev);
            free(em);
        }
    }
}

static void on_tick(h2o_timeout_entry_t *entry)
{
    sg_api__loop_t *loop = (sg_api__loop_t *)((char *)entry - offsetof(sg_api__loop_t, tick));
    sg_api__watch_tick(loop);
    if (!h2o_linklist_is_empty(&loop->watches))
        h2o_timeout_link(loop->ctx->loop, &loop->tick_timeout, &loop->tick);
}

sg_api__loop_t *sg_api__loop_get(sg_api_t *api, h2o_context_t *ctx)
{
    if (tls_loop != NULL && tls_loop->api == api && tls_loop->ctx == ctx)
        return tls_loop;
    pthread_mutex_lock(&api->loops_mu);
    sg_api__loop_t *l = api->loops;
    while (l != NULL && l->ctx != ctx)
        l = l->next;
    if (l == NULL && (l = calloc(1, sizeof(*l))) != NULL) {
        l->api = api;
        l->ctx = ctx;
        h2o_linklist_init_anchor(&l->watches);
        h2o_multithread_register_receiver(ctx->queue, &l->receiver, on_messages);
        h2o_timeout_init(ctx->loop, &l->tick_timeout, 1000);
        l->tick.cb = on_tick;
        sg_arena_init(&l->arena, 16 * 1024);
        sg_buf_init(&l->buf);
        l->next = api->loops;
        api->loops = l;
    }
    pthread_mutex_unlock(&api->loops_mu);
    tls_loop = l;
    return l;
}

void sg_api__loops_free(sg_api_t *api)
{
    sg_api__loop_t *l = api->loops;
    while (l != NULL) {
        sg_api__loop_t *next = l->next;
        /* The loops no longer run: their contexts (and queues) are left to process exit by the http module, so the
         * receiver is only dropped from the queue; undelivered messages die with the process. */
        sg_arena_dispose(&l->arena);
        sg_buf_dispose(&l->buf);
        free(l);
        l = next;
    }
    api->loops = NULL;
}

/* ---- store events ------------------------------------------------------------------------------------------- */

sg_api__event_t *sg_api__event_new(sg_store_event_type_t type, sg_store_kind_t kind, uint64_t rv, const char *ns,
                                   const char *json, size_t len)
{
    size_t nslen = ns != NULL ? strlen(ns) : 0;
    sg_api__event_t *ev = malloc(sizeof(*ev) + nslen + 1 + len + 1);
    if (ev == NULL)
        return NULL;
    atomic_init(&ev->refs, 1);
    ev->type = type;
    ev->kind = kind;
    ev->rv = rv;
    ev->ns = (char *)(ev + 1);
    memcpy(ev->ns, ns != NULL ? ns : "", nslen);
    ev->ns[nslen] = '\0';
    ev->json = ev->ns + nslen + 1;
    memcpy(ev->json, json, len);
    ev->json[len] = '\0';
    ev->len = len;
    return ev;
}

sg_api__event_t *sg_api__event_retain(sg_api__event_t *ev)
{
    atomic_fetch_add_explicit(&ev->refs, 1, memory_order_relaxed);
    return ev;
}

void sg_api__event_release(sg_api__event_t *ev)
{
    if (ev != NULL && atomic_fetch_sub_explicit(&ev->refs, 1, memory_order_acq_rel) == 1)
        free(ev);
}

void sg_api__on_store_event(void *ctx, const sg_store_event_t *sev)
{
    sg_api_t *api = ctx;
    if (atomic_load_explicit(&api->nwatches, memory_order_acquire) == 0)
        return;
    sg_api__event_t *ev =
        sg_api__event_new(sev->type, sev->kind, sev->resource_version, sev->namespace_, sev->json, sev->len);
    if (ev == NULL)
        return; /* a watch that misses an event is resumed by its client from the last resourceVersion it saw */
    pthread_mutex_lock(&api->loops_mu);
    for (sg_api__loop_t *l = api->loops; l != NULL; l = l->next) {
        if (atomic_load_explicit(&l->nwatches, memory_order_acquire) == 0)
            continue;
        sg_api__event_msg_t *m = calloc(1, sizeof(*m)); /* the link must start unlinked */
        if (m == NULL)
            continue;
        m->hdr.type = SG_API__MSG_EVENT;
        m->ev = sg_api__event_retain(ev);
        h2o_multithread_send_message(&l->receiver, &m->hdr.super);
    }
    pthread_mutex_unlock(&api->loops_mu);
    sg_api__event_release(ev);
}

/* ---- jobs --------------------------------------------------------------------------------------------------- */

static void job_release(sg_api__job_t *job)
{
    if (--job->refs == 0)
        sg_api__job_free(job);
}

static void on_req_dispose(void *p)
{
    sg_api__job_t *job = *(sg_api__job_t **)p;
    job->req = NULL;
    job_release(job);
}

sg_api__job_t *sg_api__job_new(sg_api_t *api, sg_api__loop_t *loop, h2o_req_t *req)
{
    sg_api__job_t *job = calloc(1, sizeof(*job));
    if (job == NULL)
        return NULL;
    job->api = api;
    job->loop = loop;
    job->req = req;
    job->refs = 1;
    sg_buf_init(&job->out);
    sg_buf_init(&job->warnings);
    sg_api__job_t **link = h2o_mem_alloc_shared(&req->pool, sizeof(*link), on_req_dispose);
    *link = job;
    return job;
}

void sg_api__job_free(sg_api__job_t *job)
{
    free(job->body);
    free(job->label_selector);
    free(job->field_selector);
    sg_buf_dispose(&job->out);
    sg_buf_dispose(&job->warnings);
    for (size_t i = 0; i < job->nevents; i++)
        sg_api__event_release(job->events[i]);
    free(job->events);
    free(job);
}

int sg_api__job_submit(sg_api__job_t *job)
{
    job->refs++; /* the pending completion */
    if (sg_api__pool_submit(&job->api->pool, job) < 0) {
        job->refs--;
        sg_api__send_status(job->req, 429, NULL, "too many requests: the store is saturated, retry later", NULL, NULL);
        return SG_OK;
    }
    return SG_OK;
}

void sg_api__job_finish(sg_api__job_t *job)
{
    if (job->req != NULL) {
        if (job->watch != NULL)
            sg_api__watch_catchup_done(job);
        else {
            /* RFC 7234 warn-code 299, as the apiserver sends admission warnings (kubectl prints them) */
            for (size_t off = 0; off < job->warnings.len;) {
                const char *w = job->warnings.base + off;
                size_t wl = strlen(w);
                h2o_iovec_t v = h2o_concat(&job->req->pool, h2o_iovec_init(H2O_STRLIT("299 - \"")),
                                           h2o_iovec_init(w, wl), h2o_iovec_init(H2O_STRLIT("\"")));
                h2o_add_header_by_str(&job->req->pool, &job->req->res.headers, H2O_STRLIT("warning"), 0, NULL, v.base,
                                      v.len);
                off += wl + 1;
            }
            sg_api__send(job->req, job->status, job->out.base != NULL ? job->out.base : "", job->out.len,
                         job->retry_after);
        }
    }
    job_release(job);
}
