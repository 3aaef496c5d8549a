/* The policy engine: the current set behind a mutex-guarded pointer (readers retain it, so a swap never frees a set
 * in use), reloads that keep the last good set on failure, the watcher thread and the policy metrics.
 *
 * DESIGN: compilation happens on the caller of sg_policy_engine_reload (the watcher thread, never an event loop);
 * only the pointer swap is shared with admission threads, and it takes a mutex held for two instructions. The watcher
 * polls a signature of the directory (names, sizes, mtimes, inodes of the policy files) so that ConfigMap volume
 * updates, which swap a symlink, are seen as well as in-place edits. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <storygate/log.h>

#include "internal.h"

struct st_sg_policy_engine_t {
    pthread_mutex_t lock;
    sg_policy_set_t *current;
    char *dir;
    sg_metrics_t *metrics;
    unsigned poll_ms;
    atomic_ulong generation;
    sg_metric_t *evaluations, *duration, *reloads, *last_success;
    /* watcher */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t wlock;
    pthread_cond_t wcond;
    int stop, reload_requested;
    uint64_t signature;
    pthread_mutex_t reload_lock; /* one reload at a time */
};

static const double duration_buckets[] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                          0.001,   0.0025,   0.005,   0.01,   0.025,   0.1};

static void register_metrics(sg_policy_engine_t *e)
{
    static const char *const eval_labels[] = {"policy", "validation", "result", NULL};
    static const char *const reload_labels[] = {"result", NULL};
    e->evaluations = sg_metrics_register(e->metrics, SG_METRIC_COUNTER, "storygate_policy_evaluations_total",
                                         "Validations of operator policies evaluated, by policy, validation index and "
                                         "result (pass, fail, error).",
                                         eval_labels, NULL, 0);
    e->duration = sg_metrics_register(e->metrics, SG_METRIC_HISTOGRAM, "storygate_policy_evaluation_seconds",
                                      "Time spent evaluating the operator policies of one admission request.", NULL,
                                      duration_buckets, sizeof(duration_buckets) / sizeof(duration_buckets[0]));
    e->reloads = sg_metrics_register(e->metrics, SG_METRIC_COUNTER, "storygate_policy_reload_total",
                                     "Loads of the policy directory, by result (success, failure); a failed reload "
                                     "keeps the previous policies.",
                                     reload_labels, NULL, 0);
    e->last_success =
        sg_metrics_register(e->metrics, SG_METRIC_GAUGE, "storygate_policy_last_reload_success_timestamp_seconds",
                            "Unix time of the last successful load of the policy directory.", NULL, NULL, 0);
}

void sg_policy__bind_metrics(sg_policy_set_t *s, sg_metrics_t *m)
{
    static const char *const eval_labels[] = {"policy", "validation", "result", NULL};
    sg_metric_t *ev = sg_metrics_register(m, SG_METRIC_COUNTER, "storygate_policy_evaluations_total",
                                          "Validations of operator policies evaluated, by policy, validation index "
                                          "and result (pass, fail, error).",
                                          eval_labels, NULL, 0);
    sg_metric_t *du = sg_metrics_register(m, SG_METRIC_HISTOGRAM, "storygate_policy_evaluation_seconds",
                                          "Time spent evaluating the operator policies of one admission request.", NULL,
                                          duration_buckets, sizeof(duration_buckets) / sizeof(duration_buckets[0]));
    s->duration = du != NULL ? sg_metric_with(du, NULL) : NULL;
    if (ev == NULL)
        return;
    static const char *const results[] = {"pass", "fail", "error"};
    for (size_t i = 0; i < s->npolicies; i++) {
        sg_policy_t *p = &s->policies[i];
        for (size_t k = 0; k < p->nvalidations; k++) {
            char idx[24];
            snprintf(idx, sizeof(idx), "%zu", k);
            for (size_t r = 0; r < 3; r++)
                p->validations[k].series[r] = sg_metric_with4(ev, p->name, idx, results[r], NULL);
        }
        p->condition_error_series = sg_metric_with4(ev, p->name, "matchConditions", "error", NULL);
    }
}

/* A cheap fingerprint of the policy files: any change of name, size, mtime or inode changes it. */
static uint64_t dir_signature(const char *dir)
{
    uint64_t h = 1469598103934665603ull;
#define MIX(v)                                                                                                         \
    do {                                                                                                               \
        h ^= (uint64_t)(v);                                                                                            \
        h *= 1099511628211ull;                                                                                         \
    } while (0)
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *de;
    char path[4096];
    uint64_t acc = 0;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' && strcmp(de->d_name, "..data") != 0)
            continue;
        if (!(n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0) &&
            !(n > 4 && strcmp(de->d_name + n - 4, ".yml") == 0) && strcmp(de->d_name, "..data") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        struct stat st;
        uint64_t fh = 1469598103934665603ull;
        for (const char *p = de->d_name; *p; p++) {
            fh ^= (unsigned char)*p;
            fh *= 1099511628211ull;
        }
        if (stat(path, &st) == 0) {
            fh ^= (uint64_t)st.st_size * 31 + (uint64_t)st.st_ino;
            fh *= 1099511628211ull;
            fh ^= (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
            fh *= 1099511628211ull;
        }
        acc += fh; /* order-independent: readdir order is not stable */
    }
    closedir(d);
    MIX(acc);
#undef MIX
    return h;
}

static void publish(sg_policy_engine_t *e, sg_policy_set_t *s)
{
    pthread_mutex_lock(&e->lock);
    sg_policy_set_t *old = e->current;
    e->current = s;
    pthread_mutex_unlock(&e->lock);
    sg_policy_set_release(old);
}

sg_policy_set_t *sg_policy_engine_acquire(sg_policy_engine_t *e)
{
    if (e == NULL)
        return NULL;
    pthread_mutex_lock(&e->lock);
    sg_policy_set_t *s = sg_policy_set_retain(e->current);
    pthread_mutex_unlock(&e->lock);
    return s;
}

unsigned long sg_policy_engine_generation(const sg_policy_engine_t *e)
{
    return atomic_load(&e->generation);
}

/* Loads the directory; on success publishes the set. `diag` gets every problem. */
static int load(sg_policy_engine_t *e, sg_buf_t *diag, sg_error_t *err)
{
    pthread_mutex_lock(&e->reload_lock);
    uint64_t sig = dir_signature(e->dir);
    sg_policy_set_t *s = NULL;
    int rc = sg_policy_set_load_dir(&s, e->dir, diag, err);
    if (rc == SG_OK) {
        sg_policy__bind_metrics(s, e->metrics);
        publish(e, s);
        atomic_fetch_add(&e->generation, 1);
        sg_series_inc(sg_metric_with4(e->reloads, "success", NULL, NULL, NULL));
        sg_metric_t *g = e->last_success;
        if (g != NULL)
            sg_series_set(sg_metric_with(g, NULL), (double)time(NULL));
    } else {
        sg_series_inc(sg_metric_with4(e->reloads, "failure", NULL, NULL, NULL));
    }
    e->signature = sig;
    pthread_mutex_unlock(&e->reload_lock);
    return rc;
}

int sg_policy_engine_new(sg_policy_engine_t **out, const sg_policy_engine_opts_t *opts, sg_buf_t *diag, sg_error_t *err)
{
    *out = NULL;
    if (opts == NULL || opts->dir == NULL)
        return sg_error_set(err, SG_EINVALID, "policies: no directory given");
    sg_policy_engine_t *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->dir = strdup(opts->dir)) == NULL) {
        free(e);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->wlock, NULL);
    pthread_mutex_init(&e->reload_lock, NULL);
    pthread_cond_init(&e->wcond, NULL);
    e->metrics = opts->metrics != NULL ? opts->metrics : sg_metrics_default();
    e->poll_ms = opts->poll_ms != 0 ? opts->poll_ms : 1000;
    register_metrics(e);
    int rc = load(e, diag, err);
    if (rc < 0) {
        sg_policy_engine_free(e);
        return rc;
    }
    *out = e;
    return SG_OK;
}

int sg_policy_engine_reload(sg_policy_engine_t *e, sg_error_t *err)
{
    sg_buf_t diag = SG_BUF_INIT;
    int rc = load(e, &diag, err);
    if (rc == SG_OK) {
        sg_policy_set_t *s = sg_policy_engine_acquire(e);
        sg_log_info("policies reloaded", "dir", SG_LOG_STR, e->dir, "policies", SG_LOG_U64,
                    (unsigned long long)sg_policy_set_count(s), NULL);
        sg_policy_set_release(s);
    } else {
        sg_log_error("policy reload failed; keeping the previous policies", "dir", SG_LOG_STR, e->dir, "errors",
                     SG_LOG_STR, diag.base != NULL ? diag.base : err->message, NULL);
    }
    sg_buf_dispose(&diag);
    return rc;
}

void sg_policy_engine_request_reload(sg_policy_engine_t *e)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&e->wlock);
    e->reload_requested = 1;
    pthread_cond_signal(&e->wcond);
    pthread_mutex_unlock(&e->wlock);
}

static void *watcher_main(void *arg)
{
    sg_policy_engine_t *e = arg;
    pthread_mutex_lock(&e->wlock);
    while (!e->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += e->poll_ms / 1000;
        ts.tv_nsec += (long)(e->poll_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (!e->reload_requested)
            pthread_cond_timedwait(&e->wcond, &e->wlock, &ts);
        if (e->stop)
            break;
        int requested = e->reload_requested;
        e->reload_requested = 0;
        pthread_mutex_unlock(&e->wlock);
        if (requested || dir_signature(e->dir) != e->signature) {
            sg_error_t err = SG_ERROR_INIT;
            sg_policy_engine_reload(e, &err);
        }
        pthread_mutex_lock(&e->wlock);
    }
    pthread_mutex_unlock(&e->wlock);
    return NULL;
}

int sg_policy_engine_start_watcher(sg_policy_engine_t *e, sg_error_t *err)
{
    if (e->thread_started)
        return SG_OK;
    int rc = pthread_create(&e->thread, NULL, watcher_main, e);
    if (rc != 0)
        return sg_error_set(err, SG_EIO, "cannot start the policy watcher: %s", strerror(rc));
    e->thread_started = 1;
    return SG_OK;
}

void sg_policy_engine_free(sg_policy_engine_t *e)
{
    if (e == NULL)
        return;
    if (e->thread_started) {
        pthread_mutex_lock(&e->wlock);
        e->stop = 1;
        pthread_cond_signal(&e->wcond);
        pthread_mutex_unlock(&e->wlock);
        pthread_join(e->thread, NULL);
    }
    sg_policy_set_release(e->current);
    pthread_mutex_destroy(&e->lock);
    pthread_mutex_destroy(&e->wlock);
    pthread_mutex_destroy(&e->reload_lock);
    pthread_cond_destroy(&e->wcond);
    free(e->dir);
    free(e);
}
