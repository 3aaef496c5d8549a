/* The reconciler object: worker threads over the work queue, the store subscription that feeds it, the startup
 * resync of undecided triggers, and the index of triggers waiting for a missing Story.
 *
 * DESIGN. Durable writes wait for an fsync, so a worker that waited for its decision would be bound by disk latency.
 * Where the store can (the embedded one), a worker queues its pass's final write and takes the next key: the write's
 * completion finishes the key (job.c), the store group-commits everything queued into one fsync, and a few workers
 * (two per CPU) keep the CPUs busy. Where every write is a round trip (the Kubernetes API), N workers (default 64)
 * wait side by side instead. The queue guarantees a key is never decided by two passes at once (it stays taken until
 * its write completes), which is what makes the procedure safe without further locking (the reconciler is the only
 * writer of trigger status and StoryRuns). Keys arrive from admission's accept hint, from the store subscription
 * (every StoryTrigger change not made by the reconciler itself, and Stories appearing for triggers rejected
 * StoryNotFound), and from the resync that lists all triggers at start (and again after a queue overflow dropped
 * keys). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <storygate/log.h>

#include "internal.h"

#define NF_BUCKETS 4096
#define NF_MAX 1000000

typedef struct st_nf_node_t {
    char *story;
    char *trigger;
    struct st_nf_node_t *next;
} nf_node_t;

struct st_sg_reconcile__nf_t {
    nf_node_t *buckets[NF_BUCKETS];
    size_t n;
};

static unsigned nf_hash(const char *s)
{
    unsigned h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h % NF_BUCKETS;
}

void sg_reconcile__nf_add(sg_reconciler_t *r, const char *story_key, const char *key)
{
    pthread_mutex_lock(&r->nf_mu);
    nf_node_t **b = &r->nf->buckets[nf_hash(story_key)];
    for (nf_node_t *n = *b; n != NULL; n = n->next)
        if (strcmp(n->story, story_key) == 0 && strcmp(n->trigger, key) == 0)
            goto out;
    if (r->nf->n < NF_MAX) {
        nf_node_t *n = malloc(sizeof(*n));
        if (n != NULL && (n->story = strdup(story_key)) != NULL && (n->trigger = strdup(key)) != NULL) {
            n->next = *b;
            *b = n;
            r->nf->n++;
        } else if (n != NULL) {
            free(n->story);
            free(n);
        }
    }
out:
    pthread_mutex_unlock(&r->nf_mu);
}

void sg_reconcile__nf_fire(sg_reconciler_t *r, const char *story_key)
{
    pthread_mutex_lock(&r->nf_mu);
    nf_node_t **pp = &r->nf->buckets[nf_hash(story_key)];
    while (*pp != NULL) {
        nf_node_t *n = *pp;
        if (strcmp(n->story, story_key) == 0) {
            *pp = n->next;
            sg_rq__add(r->queue, n->trigger);
            free(n->story);
            free(n->trigger);
            free(n);
            r->nf->n--;
        } else {
            pp = &n->next;
        }
    }
    pthread_mutex_unlock(&r->nf_mu);
}

static void nf_free(sg_reconcile__nf_t *nf)
{
    if (nf == NULL)
        return;
    for (size_t i = 0; i < NF_BUCKETS; i++) {
        for (nf_node_t *n = nf->buckets[i], *next; n != NULL; n = next) {
            next = n->next;
            free(n->story);
            free(n->trigger);
            free(n);
        }
    }
    free(nf);
}

/* --- construction --- */

static const double latency_buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

static void register_metrics(sg_reconciler_t *r, sg_rq_metrics_t *qm)
{
    sg_metrics_t *reg = r->opts.metrics ? r->opts.metrics : sg_metrics_default();
    static const char *const ctl[] = {"controller", NULL};
    static const char *const ctl_result[] = {"controller", "result", NULL};
    static const char *const wq[] = {"name", "controller", NULL};
    static const char *const wq_depth[] = {"name", "controller", "priority", NULL};
    static const char *const dec[] = {"decision", "reason", NULL};
    const char *c = SG_RECONCILE__CONTROLLER;
    sg_metric_t *total = sg_metrics_register(reg, SG_METRIC_COUNTER, "controller_runtime_reconcile_total",
                                             "Total number of reconciliations per controller", ctl_result, NULL, 0);
    r->m.success = sg_metric_with4(total, c, "success", NULL, NULL);
    r->m.error = sg_metric_with4(total, c, "error", NULL, NULL);
    r->m.requeue = sg_metric_with4(total, c, "requeue", NULL, NULL);
    r->m.requeue_after = sg_metric_with4(total, c, "requeue_after", NULL, NULL);
    r->m.errors =
        sg_metric_with4(sg_metrics_register(reg, SG_METRIC_COUNTER, "controller_runtime_reconcile_errors_total",
                                            "Total number of reconciliation errors per controller", ctl, NULL, 0),
                        c, NULL, NULL, NULL);
    sg_metric_with4(sg_metrics_register(reg, SG_METRIC_COUNTER, "controller_runtime_terminal_reconcile_errors_total",
                                        "Total number of terminal reconciliation errors per controller", ctl, NULL, 0),
                    c, NULL, NULL, NULL);
    sg_metric_with4(sg_metrics_register(reg, SG_METRIC_COUNTER, "controller_runtime_reconcile_panics_total",
                                        "Total number of reconciliation panics per controller", ctl, NULL, 0),
                    c, NULL, NULL, NULL);
    r->m.time = sg_metric_with4(
        sg_metrics_register(reg, SG_METRIC_HISTOGRAM, "controller_runtime_reconcile_time_seconds",
                            "Length of time per reconciliation per controller", ctl, sg_metrics_buckets_reconcile, 40),
        c, NULL, NULL, NULL);
    r->m.active = sg_metric_with4(sg_metrics_register(reg, SG_METRIC_GAUGE, "controller_runtime_active_workers",
                                                      "Number of currently used workers per controller", ctl, NULL, 0),
                                  c, NULL, NULL, NULL);
    r->m.max_concurrent =
        sg_metric_with4(sg_metrics_register(reg, SG_METRIC_GAUGE, "controller_runtime_max_concurrent_reconciles",
                                            "Maximum number of concurrent reconciles per controller", ctl, NULL, 0),
                        c, NULL, NULL, NULL);
    qm->depth = sg_metric_with4(
        sg_metrics_register(reg, SG_METRIC_GAUGE, "workqueue_depth", "Current depth of workqueue", wq_depth, NULL, 0),
        c, c, "", NULL);
    qm->adds = sg_metric_with4(sg_metrics_register(reg, SG_METRIC_COUNTER, "workqueue_adds_total",
                                                   "Total number of adds handled by workqueue", wq, NULL, 0),
                               c, c, NULL, NULL);
    qm->retries = sg_metric_with4(sg_metrics_register(reg, SG_METRIC_COUNTER, "workqueue_retries_total",
                                                      "Total number of retries handled by workqueue", wq, NULL, 0),
                                  c, c, NULL, NULL);
    qm->queue_duration =
        sg_metric_with4(sg_metrics_register(reg, SG_METRIC_HISTOGRAM, "workqueue_queue_duration_seconds",
                                            "How long in seconds an item stays in workqueue before being requested", wq,
                                            sg_metrics_buckets_webhook, 12),
                        c, c, NULL, NULL);
    qm->work_duration = sg_metric_with4(sg_metrics_register(reg, SG_METRIC_HISTOGRAM, "workqueue_work_duration_seconds",
                                                            "How long in seconds processing an item from workqueue "
                                                            "takes",
                                                            wq, sg_metrics_buckets_webhook, 12),
                                        c, c, NULL, NULL);
    r->m.decisions = sg_metrics_register(reg, SG_METRIC_COUNTER, "storygate_trigger_decisions_total",
                                         "StoryTrigger decisions written, by decision and reason", dec, NULL, 0);
    r->m.latency =
        sg_metric_with4(sg_metrics_register(reg, SG_METRIC_HISTOGRAM, "storygate_trigger_decision_latency_seconds",
                                            "Time from a StoryTrigger's acceptance (status.acceptedAt) to "
                                            "its decision",
                                            NULL, latency_buckets, 14),
                        NULL, NULL, NULL, NULL);
}

/* mkdir -p with 0750, then the absolute path. */
static char *prepare_storage(const char *path, sg_error_t *err)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof(tmp)) {
        sg_error_set(err, SG_EINVALID, "storage path is too long");
        return NULL;
    }
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0750);
            *p = '/';
        }
    }
    if (mkdir(tmp, 0750) != 0 && errno != EEXIST) {
        sg_error_set(err, SG_EIO, "cannot create storage directory %s: %s", path, strerror(errno));
        return NULL;
    }
    char *abs = realpath(tmp, NULL);
    if (abs == NULL)
        sg_error_set(err, SG_EIO, "cannot resolve storage directory %s: %s", path, strerror(errno));
    return abs;
}

int sg_reconciler_new(sg_reconciler_t **out, const sg_reconciler_opts_t *opts, sg_error_t *err)
{
    *out = NULL;
    if (opts == NULL || opts->store == NULL)
        return sg_error_set(err, SG_EINVALID, "the reconciler needs a store");
    sg_reconciler_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    r->opts = *opts;
    if (r->opts.workers == 0) {
        /* CPU-bound when decisions are not awaited: more workers than CPUs only add context switches */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        r->opts.workers =
            sg_store_async_writes(opts->store) ? (size_t)(cpus > 1 ? (cpus < 32 ? cpus : 32) : 1) * 2 : 64;
    }
    if (r->opts.queue_max == 0)
        r->opts.queue_max = 1000000;
    if (r->opts.backoff_base <= 0)
        r->opts.backoff_base = 0.2;
    if (r->opts.backoff_max <= 0)
        r->opts.backoff_max = 60;
    pthread_mutex_init(&r->nf_mu, NULL);
    pthread_mutex_init(&r->jobs_mu, NULL);
    pthread_cond_init(&r->jobs_cond, NULL);
    r->max_jobs = r->opts.workers + 4096;
    r->storage_prefix =
        strdup(opts->storage_input_prefix && *opts->storage_input_prefix ? opts->storage_input_prefix : "inputs");
    r->nf = calloc(1, sizeof(*r->nf));
    if (r->storage_prefix == NULL || r->nf == NULL) {
        sg_reconciler_free(r);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    if (opts->storage_path != NULL && *opts->storage_path) {
        if ((r->storage_path = prepare_storage(opts->storage_path, err)) == NULL) {
            int rc = err ? err->code : SG_EIO;
            sg_reconciler_free(r);
            return rc;
        }
    }
    r->offload.base = r->storage_path;
    r->offload.prefix = r->storage_prefix;
    r->offload.max_inline = opts->max_inline_inputs_size > 0 ? (size_t)opts->max_inline_inputs_size : 1024;
    r->opts.storage_path = r->storage_path;
    r->opts.storage_input_prefix = r->storage_prefix;
    sg_rq_metrics_t qm;
    register_metrics(r, &qm);
    sg_series_set(r->m.max_concurrent, (double)r->opts.workers);
    if ((r->queue = sg_rq__new(r->opts.queue_max, r->opts.backoff_base, r->opts.backoff_max, &qm)) == NULL) {
        sg_reconciler_free(r);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    *out = r;
    return SG_OK;
}

/* --- feeding the queue --- */

int sg_reconciler_enqueue_accepted(sg_reconciler_t *r, const char *ns, const char *name, double accepted)
{
    char key[2 * SG_STORE_NAME_MAX + 2];
    size_t nl = strlen(ns), ml = strlen(name);
    if (nl == 0 || ml == 0 || nl > SG_STORE_NAME_MAX || ml > SG_STORE_NAME_MAX || memchr(ns, '/', nl) != NULL)
        return SG_EINVALID;
    memcpy(key, ns, nl);
    key[nl] = '/';
    memcpy(key + nl + 1, name, ml + 1);
    return sg_rq__add_accepted(r->queue, key, accepted);
}

int sg_reconciler_enqueue(sg_reconciler_t *r, const char *ns, const char *name)
{
    return sg_reconciler_enqueue_accepted(r, ns, name, 0);
}

const void *sg_reconciler_handover_origin(const sg_reconciler_t *r)
{
    return r; /* the same tag as the reconciler's own writes, which on_change ignores for the same reason */
}

sg_json_t *sg_reconciler_pending_status(const sg_reconciler_t *r, sg_arena_t *arena, int64_t generation,
                                        double *accepted)
{
    if (r->opts.no_pending)
        return NULL;
    char now[32];
    sg_reconcile__now(now, accepted);
    sg_reconcile__decision_t d = {
        SG_RECONCILE_REASON_PENDING, SG_RECONCILE_REASON_PENDING, SG_RECONCILE__PENDING_MESSAGE, NULL, NULL, NULL};
    return sg_reconcile__status(arena, NULL, generation, &d, now);
}

void sg_reconciler_admission_hint(void *ctx, const sg_admission_request_t *req)
{
    char ns[SG_STORE_NAME_MAX + 1], name[SG_STORE_NAME_MAX + 1];
    if (ctx == NULL || req == NULL)
        return;
    /* request.name may be empty for generateName creates; the object then carries the name */
    sg_span_t n = req->name.len == 0 && req->trigger != NULL ? req->trigger->name : req->name;
    sg_span_t s = req->namespace_.len == 0 && req->trigger != NULL ? req->trigger->namespace_ : req->namespace_;
    if (n.len == 0 || s.len == 0 || n.len > SG_STORE_NAME_MAX || s.len > SG_STORE_NAME_MAX)
        return;
    memcpy(ns, s.ptr, s.len);
    ns[s.len] = '\0';
    memcpy(name, n.ptr, n.len);
    name[n.len] = '\0';
    sg_reconciler_enqueue(ctx, ns, name);
}

static void on_change(void *ctx, const sg_store_event_t *ev)
{
    sg_reconciler_t *r = ctx;
    if (ev->type == SG_STORE_DELETED)
        return;
    if (ev->kind == SG_KIND_STORYTRIGGER && ev->origin != r) {
        sg_reconciler_enqueue(r, ev->namespace_, ev->name);
    } else if (ev->kind == SG_KIND_STORY) {
        char key[2 * SG_STORE_NAME_MAX + 2];
        snprintf(key, sizeof(key), "%s/%s", ev->namespace_, ev->name);
        sg_reconcile__nf_fire(r, key);
    }
}

/* Lists every trigger: undecided ones are queued, StoryNotFound ones are indexed (or queued if the Story exists). */
static int resync(sg_reconciler_t *r, sg_error_t *err)
{
    sg_store_list_t l;
    sg_store_list_init(&l);
    int rc = sg_store_list(r->opts.store, &l, SG_KIND_STORYTRIGGER, NULL, NULL, err);
    if (rc != SG_OK) {
        sg_store_list_dispose(&l);
        return rc;
    }
    sg_arena_t a;
    sg_arena_init(&a, 0);
    size_t queued = 0;
    for (size_t i = 0; i < l.len; i++) {
        sg_arena_reset(&a);
        sg_json_t *o = NULL;
        sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
        if (sg_json_parse(&o, &a, l.items[i].json, l.items[i].len, &po, NULL) != SG_OK)
            continue;
        const char *ns = sg_json_string(sg_json_path(o, "metadata.namespace"), NULL);
        const char *name = sg_json_string(sg_json_path(o, "metadata.name"), NULL);
        const sg_json_t *gen = sg_json_path(o, "metadata.generation");
        const sg_json_t *obs = sg_json_path(o, "status.observedGeneration");
        const char *d = sg_json_string(sg_json_path(o, "status.decision"), NULL);
        const char *reason = sg_json_string(sg_json_path(o, "status.reason"), NULL);
        if (ns == NULL || name == NULL)
            continue;
        int decided = d != NULL &&
                      (strcmp(d, "Created") == 0 || strcmp(d, "Reused") == 0 || strcmp(d, "Rejected") == 0) &&
                      gen != NULL && obs != NULL && gen->type == SG_JSON_NUMBER && obs->type == SG_JSON_NUMBER &&
                      gen->u.number.value == obs->u.number.value;
        if (decided && strcmp(d, "Rejected") == 0 && reason != NULL && strcmp(reason, "StoryNotFound") == 0) {
            sg_trigger_t t;
            if (sg_admission_trigger_decode(&t, o, "", NULL) == SG_OK) {
                const char *sk = sg_arena_printf(&a, "%.*s/%.*s", (int)t.story_ns.len, t.story_ns.ptr,
                                                 (int)t.story_name.len, t.story_name.ptr);
                const char *tk = sg_arena_printf(&a, "%s/%s", ns, name);
                const char *sns = sg_arena_strndup(&a, t.story_ns.ptr, t.story_ns.len);
                const char *sn = sg_arena_strndup(&a, t.story_name.ptr, t.story_name.len);
                if (sk && tk && sns && sn) {
                    sg_reconcile__nf_add(r, sk, tk);
                    if (sg_store_get(r->opts.store, NULL, NULL, SG_KIND_STORY, sns, sn, NULL) == SG_OK)
                        sg_reconcile__nf_fire(r, sk);
                }
            }
            continue;
        }
        if (!decided && sg_reconciler_enqueue(r, ns, name) == SG_OK)
            queued++;
    }
    sg_arena_dispose(&a);
    sg_log_info("reconciler resync", "triggers", SG_LOG_U64, (unsigned long long)l.len, "queued", SG_LOG_U64,
                (unsigned long long)queued, NULL);
    sg_store_list_dispose(&l);
    return SG_OK;
}

/* --- workers --- */

static void *worker(void *arg)
{
    sg_reconciler_t *r = arg;
    char *key;
    double accepted = 0;
    while ((key = sg_rq__get_accepted(r->queue, &accepted)) != NULL) {
        if (strchr(key, '/') == NULL || (r->opts.may_work != NULL && !r->opts.may_work(r->opts.may_work_ctx))) {
            /* not a trigger key; or not ours to decide any more: the next leader's resync covers it */
            sg_rq__done(r->queue, key);
            free(key);
            continue;
        }
        sg_reconcile__job_t *job = sg_reconcile__job_new(r, key);
        if (job == NULL) {
            sg_log_error("reconcile: out of memory; the next resync retries", NULL);
            continue;
        }
        sg_series_inc(r->m.active);
        sg_error_t err = SG_ERROR_INIT;
        int gone = 0;
        int rc = sg_reconcile__decide(r, job->ns, job->name, accepted, job, &gone, &err);
        sg_series_dec(r->m.active);
        if (rc != SG_RECONCILE__DEFERRED)
            sg_reconcile__job_finish(job, rc, gone, &err);
        if (sg_rq__take_overflow(r->queue)) {
            sg_error_t rerr = SG_ERROR_INIT;
            if (resync(r, &rerr) != SG_OK)
                sg_log_error("reconciler resync failed", "error", SG_LOG_ERR, &rerr, NULL);
        }
    }
    return NULL;
}

int sg_reconciler_start(sg_reconciler_t *r, sg_error_t *err)
{
    if (r->started)
        return sg_error_set(err, SG_EINVALID, "the reconciler is already started");
    int rc = sg_store_subscribe(r->opts.store, on_change, r, err);
    if (rc != SG_OK)
        return rc;
    r->subscribed = 1;
    r->started = 1;
    if ((rc = resync(r, err)) != SG_OK)
        return rc;
    r->threads = calloc(r->opts.workers, sizeof(*r->threads));
    if (r->threads == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->opts.workers; i++) {
        if (pthread_create(&r->threads[i], NULL, worker, r) != 0)
            return sg_error_set(err, SG_EIO, "cannot start reconciler worker %zu", i);
        r->nthreads++;
    }
    return SG_OK;
}

void sg_reconciler_stop(sg_reconciler_t *r)
{
    if (r == NULL || r->stopped)
        return;
    r->stopped = 1;
    if (r->subscribed)
        sg_store_unsubscribe(r->opts.store, on_change, r);
    r->subscribed = 0;
    sg_rq__shutdown(r->queue);
    for (size_t i = 0; i < r->nthreads; i++)
        pthread_join(r->threads[i], NULL);
    r->nthreads = 0;
    /* decisions still being written complete from the store's thread: wait for them, they finish their keys */
    pthread_mutex_lock(&r->jobs_mu);
    while (r->jobs > 0)
        pthread_cond_wait(&r->jobs_cond, &r->jobs_mu);
    pthread_mutex_unlock(&r->jobs_mu);
}

void sg_reconciler_free(sg_reconciler_t *r)
{
    if (r == NULL)
        return;
    if (r->queue != NULL)
        sg_reconciler_stop(r);
    free(r->threads);
    sg_rq__free(r->queue);
    nf_free(r->nf);
    pthread_mutex_destroy(&r->nf_mu);
    pthread_mutex_destroy(&r->jobs_mu);
    pthread_cond_destroy(&r->jobs_cond);
    free(r->storage_path);
    free(r->storage_prefix);
    free(r);
}

int sg_reconciler_reconcile(sg_reconciler_t *r, const char *ns, const char *name, sg_error_t *err)
{
    return sg_reconcile__decide(r, ns, name, 0, NULL, NULL, err);
}

int sg_reconciler_wait_idle(sg_reconciler_t *r, int horizon_ms, int timeout_ms)
{
    return sg_rq__wait_idle(r->queue, horizon_ms, timeout_ms);
}
