/* Private runtime of the embedded API: the api object, the worker pool, per-event-loop state with its h2o_multithread
 * receiver, store events fanned out to loops, and watch streams. Everything here touches h2o; the pure helpers stay in
 * internal.h so unit tests link without a server. */
#ifndef STORYGATE_API_RUNTIME_H
#define STORYGATE_API_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>

#include <storygate/api.h>
#include <storygate/arena.h>
#include <storygate/reconcile.h>
#include <storygate/refs.h>
#include <storygate/schema.h>

#include "internal.h"

typedef struct st_sg_api__loop_t sg_api__loop_t;
typedef struct st_sg_api__job_t sg_api__job_t;
typedef struct st_sg_api__watch_t sg_api__watch_t;

/* Messages a loop receives. */
typedef enum en_sg_api__msg_type_t {
    SG_API__MSG_JOB = 1,   /* a pool job finished */
    SG_API__MSG_EVENT = 2, /* a store change for the loop's watches */
} sg_api__msg_type_t;

typedef struct st_sg_api__msg_t {
    h2o_multithread_message_t super;
    sg_api__msg_type_t type;
} sg_api__msg_t;

/* A committed change, shared by every loop that has watches (refcounted, immutable). */
typedef struct st_sg_api__event_t {
    atomic_int refs;
    sg_store_event_type_t type;
    sg_store_kind_t kind;
    uint64_t rv;
    char *ns;
    char *json;
    size_t len;
} sg_api__event_t;

sg_api__event_t *sg_api__event_new(sg_store_event_type_t type, sg_store_kind_t kind, uint64_t rv, const char *ns,
                                   const char *json, size_t len);
sg_api__event_t *sg_api__event_retain(sg_api__event_t *ev);
void sg_api__event_release(sg_api__event_t *ev);

typedef struct st_sg_api__event_msg_t {
    sg_api__msg_t hdr;
    sg_api__event_t *ev;
} sg_api__event_msg_t;

/* One unit of blocking work: built on a loop, run on a pool thread, finished back on the same loop. */
typedef void (*sg_api__job_cb)(sg_api__job_t *job);

struct st_sg_api__job_t {
    sg_api__msg_t hdr;
    sg_api__job_t *next; /* pool queue */
    sg_api_t *api;
    sg_api__loop_t *loop;
    h2o_req_t *req;      /* NULL once the request is gone (set on the loop) */
    int refs;            /* loop-thread count: the request link and the pending completion */
    sg_api__job_cb run;  /* pool thread */
    sg_api__job_cb done; /* loop thread */
    /* input */
    int method; /* SG_API__GET ... */
    sg_api__path_t path;
    sg_api__query_t query;
    char *label_selector, *field_selector; /* heap copies */
    int table;
    char *body;
    size_t body_len;
    sg_api__watch_t *watch;
    /* output */
    int status;
    sg_buf_t out;
    int retry_after;
    sg_buf_t warnings;        /* admission warnings, NUL-separated, sent as Warning headers */
    sg_api__event_t **events; /* watch catch-up */
    size_t nevents, capevents;
    uint64_t events_rv;                 /* list-based catch-up: the list's resourceVersion, 0 for a cursor */
    int expired;                        /* the resourceVersion was compacted away */
    char created[SG_API__NAME_MAX + 1]; /* create: the object's name, for the completion ("" when generated) */
    double accepted;                    /* create of a StoryTrigger: when its Pending status was set (0 = not set) */
};

enum { SG_API__GET = 1, SG_API__POST, SG_API__DELETE, SG_API__OTHER };

typedef struct st_sg_api__pool_t {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    sg_api__job_t *head, *tail;
    size_t len, max;
    size_t deferred; /* jobs whose run handed their completion to the store; they count against `max` too */
    pthread_t *threads;
    size_t nthreads;
    int stopping;
} sg_api__pool_t;

/** Starts `n` threads. */
int sg_api__pool_start(sg_api__pool_t *p, size_t n, size_t max_queue, sg_error_t *err);
/** Queues a job; SG_ELIMIT when the queue is full (the caller answers 429). Thread-safe. */
int sg_api__pool_submit(sg_api__pool_t *p, sg_api__job_t *job);
/** Called by a job's run (on its pool thread) before it hands its completion to another thread: the worker then
 * does not send the job back; sg_api__pool_complete must be called exactly once instead. */
void sg_api__pool_defer(sg_api__pool_t *p);
/** Sends a deferred job back to its loop. Any thread. */
void sg_api__pool_complete(sg_api__pool_t *p, sg_api__job_t *job);
/** Runs what is queued, then joins the threads. */
void sg_api__pool_stop(sg_api__pool_t *p);

/* Per event loop state, created on the loop's first API request. */
struct st_sg_api__loop_t {
    sg_api_t *api;
    h2o_context_t *ctx;
    h2o_multithread_receiver_t receiver;
    h2o_linklist_t watches; /* loop thread only */
    atomic_int nwatches;    /* read by the store's writer thread to skip idle loops */
    h2o_timeout_t tick_timeout;
    h2o_timeout_entry_t tick;
    sg_arena_t arena; /* event parsing on the loop */
    sg_buf_t buf;
    sg_api__loop_t *next;
};

struct st_sg_api_t {
    const sg_config_t *cfg;
    sg_http_server_t *server;
    sg_store_t *store;
    sg_refs_holder_t *refs;
    sg_refs_feed_t *refs_feed; /* keeps `refs` current from the store */
    int events_subscribed;
    sg_reconciler_t *reconciler;
    sg_admission_t *adm;
    sg_schema_set_t *schema;
    char **tokens;
    int *tokens_ro;
    size_t ntokens;
    sg_api__pool_t pool;
    int pool_started;
    pthread_mutex_t loops_mu;
    sg_api__loop_t *loops;
    atomic_int nwatches; /* all loops */
    size_t max_body;
};

/** The calling loop thread's state for `ctx` (created and registered on first use). NULL when out of memory. */
sg_api__loop_t *sg_api__loop_get(sg_api_t *api, h2o_context_t *ctx);
/** Frees every loop's state (after the loops stopped and the pool was joined). */
void sg_api__loops_free(sg_api_t *api);
/** Store subscriber: fans a change out to loops with watches. */
void sg_api__on_store_event(void *ctx, const sg_store_event_t *ev);

/** Allocates a job bound to `req` (its lifetime is tracked through the request pool). NULL when out of memory. */
sg_api__job_t *sg_api__job_new(sg_api_t *api, sg_api__loop_t *loop, h2o_req_t *req);
/** Submits to the pool; on overload answers 429 itself. Returns 0 either way. */
int sg_api__job_submit(sg_api__job_t *job);
/** Called on the loop when the pool sends the job back. */
void sg_api__job_finish(sg_api__job_t *job);
/** Frees a job (worker-side resources included). */
void sg_api__job_free(sg_api__job_t *job);

/** Registers the API metrics in `m` (once per process; later calls re-point to the same families). */
void sg_api__metrics_init(sg_metrics_t *m);
/** Counts one answered request. */
void sg_api__count(h2o_req_t *req, int status);
/** Moves the open-watches gauge by `delta`. */
void sg_api__metrics_watch(int delta);
/** Sends a complete JSON response with the right reason phrase (and Retry-After when `retry_after` > 0). */
void sg_api__send(h2o_req_t *req, int status, const char *body, size_t len, int retry_after);
/** Sends a Status failure. */
void sg_api__send_status(h2o_req_t *req, int code, const char *reason, const char *message, const char *name,
                         const sg_api__resource_t *res);

/** Runs on a pool thread: the REST operation of the job (create/get/list/delete). */
void sg_api__job_run_rest(sg_api__job_t *job);
/** Runs on a pool thread: the catch-up of a watch. */
void sg_api__job_run_catchup(sg_api__job_t *job);
/** Loop side of a watch: starts one for the request (registers it, submits its catch-up). */
int sg_api__watch_start(sg_api_t *api, sg_api__loop_t *loop, h2o_req_t *req, const sg_api__path_t *path,
                        const sg_api__query_t *query, int table);
/** Loop side: a catch-up job came back. */
void sg_api__watch_catchup_done(sg_api__job_t *job);
/** Loop side: a store event for this loop. */
void sg_api__watch_event(sg_api__loop_t *loop, sg_api__event_t *ev);
/** Loop side: periodic check of deadlines and server shutdown. */
void sg_api__watch_tick(sg_api__loop_t *loop);

/** Builds the refs snapshot from the store and subscribes to keep it current. */
int sg_api__refs_start(sg_api_t *api, sg_error_t *err);
void sg_api__refs_stop(sg_api_t *api);

/** Registers the API routes on the server. */
int sg_api__routes_add(sg_api_t *api, sg_error_t *err);

/** Per worker-thread scratch (arena, buffers). */
sg_arena_t *sg_api__worker_arena(void);

#endif
