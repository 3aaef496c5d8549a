/* Private parts of the kube module: the client's shared state, small helpers over responses and objects, and the
 * kube store backend's types shared by its files. */
#ifndef STORYGATE_KUBE_INTERNAL_H
#define STORYGATE_KUBE_INTERNAL_H

#include <pthread.h>
#include <sys/types.h>
#include <stdint.h>
#include <time.h>

#include <storygate/json.h>
#include <storygate/kube.h>

/* A cached bearer token read from a file, re-read when the file's identity or mtime changes. */
typedef struct st_sg_kube__token_t {
    pthread_mutex_t mu;
    char *value;
    dev_t dev;
    ino_t ino;
    struct timespec mtime;
    off_t size;
} sg_kube__token_t;

/* Longest token file and service-account file read. */
#define SG_KUBE__FILE_MAX (1u << 20)
/* Longest response body kept (lists of many objects). */
#define SG_KUBE__BODY_MAX ((size_t)512 << 20)

struct st_sg_kube_client_t {
    sg_kube_config_t cfg;
    char *host; /* host:port for metrics */
    char *user_agent;
    int timeout_ms, connect_timeout_ms, max_attempts, backoff_base_ms, backoff_max_ms;
    sg_kube__token_t token;
    sg_metric_t *requests; /* rest_client_requests_total */
    pthread_mutex_t pool_mu;
    void **pool; /* idle CURL easy handles (they keep their connections) */
    size_t pool_len, pool_cap;
};

/** Reads a whole file (at most `max` bytes) into a NUL-terminated heap string. SG_EIO / SG_ELIMIT. */
int sg_kube__read_file(char **out, size_t *len, const char *path, size_t max, sg_error_t *err);
/** The current bearer token ("" when none), copied into `out` (reset first). */
int sg_kube__token_get(sg_kube_client_t *c, sg_buf_t *out, sg_error_t *err);

/** Sleeps `ms` milliseconds, waking early when `*stop` becomes non-zero (stop may be NULL). */
void sg_kube__sleep(int ms, const volatile int *stop);
/** A jittered exponential backoff: base * 2^attempt capped at max, scaled by a random factor in [0.5, 1.0]. */
int sg_kube__backoff_ms(int base, int max, int attempt);
/** Monotonic milliseconds. */
int64_t sg_kube__now_ms(void);

/** Parses a decimal resourceVersion string; 0 when absent or not a number. */
uint64_t sg_kube__parse_rv(const sg_json_t *v);
/** Appends `s` percent-encoded for a query value. */
int sg_kube__query_escape(sg_buf_t *out, const char *s);
/** Appends `s[0..len)` with trailing whitespace removed. */
int sg_kube__append_trimmed(sg_buf_t *out, const char *s, size_t len);

/* --- the kube store backend --- */

typedef struct st_sg_kube__sub_t {
    sg_store_subscriber_cb cb;
    void *ctx;
} sg_kube__sub_t;

typedef struct st_sg_kube__informer_t sg_kube__informer_t;

typedef struct st_sg_kube__store_t {
    sg_store_t super;
    sg_kube_client_t *client;
    int status_retries, status_retry_delay_ms, watch_timeout_s;
    size_t max_queue;
    char *watch_ns;         /* NULL = all namespaces */
    uint64_t rv;            /* highest resourceVersion seen (atomic builtins) */
    pthread_mutex_t sub_mu; /* held while delivering, so unsubscribe waits for a running callback */
    sg_kube__sub_t *subs;
    size_t nsubs, subs_cap;
    pthread_mutex_t informer_mu;
    sg_kube__informer_t *informer;
} sg_kube__store_t;

/** Notes a resourceVersion seen in a response (the store's resource_version is the highest). */
void sg_kube__store_saw_rv(sg_kube__store_t *s, uint64_t rv);
/** Lists everything of `kind` in `ns` (NULL = all), following continue tokens. */
int sg_kube__store_list(sg_kube__store_t *s, sg_store_list_t *out, sg_store_kind_t kind, const char *ns,
                        const sg_store_list_opts_t *opts, sg_error_t *err);

/* Receives the events of one watch request: ADDED/MODIFIED/DELETED objects (borrowed for the call). */
typedef int (*sg_kube__event_cb)(void *ctx, const sg_store_event_t *ev);

/** Runs one watch request on `kind` in `ns` from `*rv` (advanced past every event and bookmark) until the server ends
 * it (SG_OK), `*stop`, 410 Gone (SG_ELIMIT) or a failure (SG_EUNAVAILABLE, SG_EIO). */
int sg_kube__watch_once(sg_kube__store_t *s, sg_store_kind_t kind, const char *ns, uint64_t *rv, sg_kube__event_cb cb,
                        void *ctx, const volatile int *stop, sg_error_t *err);

/* Watch cursors and subscribers (watch.c, informer.c). */
int sg_kube__watch_open(sg_store_t *store, sg_store_watch_t **out, uint64_t from_rv, unsigned kind_mask, const char *ns,
                        sg_error_t *err);
int sg_kube__watch_next(sg_store_watch_t *w, sg_store_event_t *ev, int timeout_ms, sg_error_t *err);
void sg_kube__watch_close(sg_store_watch_t *w);
int sg_kube__subscribe(sg_store_t *store, sg_store_subscriber_cb cb, void *ctx, sg_error_t *err);
void sg_kube__unsubscribe(sg_store_t *store, sg_store_subscriber_cb cb, void *ctx);
/** Stops the informer threads (store close). */
void sg_kube__informer_stop(sg_kube__store_t *s);

#endif
