/* The Kubernetes API client (libcurl): connection settings from a kubeconfig or the pod's service account, REST
 * requests with retries, the kube store backend (objects live in the apiserver) and Lease leader election. */
#ifndef STORYGATE_KUBE_H
#define STORYGATE_KUBE_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/buf.h>
#include <storygate/error.h>
#include <storygate/metrics.h>
#include <storygate/store.h>

typedef struct st_sg_kube_client_t sg_kube_client_t;
typedef struct st_sg_kube_lease_t sg_kube_lease_t;

/* Where the service account files are mounted in a pod; SG_KUBE_SA_DIR overrides it (tests, sidecars). */
#define SG_KUBE_SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"

/* How to reach and authenticate to one apiserver. Strings are heap copies owned by the config
 * (sg_kube_config_dispose). `*_data` members hold PEM bytes (already base64-decoded from a kubeconfig). */
typedef struct st_sg_kube_config_t {
    char *server;     /* "https://host:port", no trailing slash */
    char *namespace_; /* default namespace: the pod's, or the context's; "default" when unknown */
    char *token;      /* bearer token given inline; NULL if none */
    char *token_file; /* bearer token file, re-read whenever it changes (service account rotation) */
    char *ca_file;    /* PEM CA bundle file; NULL = system roots (unless ca_data) */
    char *ca_data;    /* PEM CA bundle bytes */
    size_t ca_data_len;
    char *cert_file; /* client certificate (PEM) */
    char *cert_data;
    size_t cert_data_len;
    char *key_file; /* client private key (PEM) */
    char *key_data;
    size_t key_data_len;
    int insecure_skip_verify; /* do not verify the server certificate (kubeconfig insecure-skip-tls-verify) */
} sg_kube_config_t;

/** Prepares an empty config. */
void sg_kube_config_init(sg_kube_config_t *cfg);
/** Frees a config's strings; the config is then empty. NULL is accepted. */
void sg_kube_config_dispose(sg_kube_config_t *cfg);
/** Reads a kubeconfig file (YAML): `context` (NULL = current-context) selects cluster and user. Supports server,
 * certificate-authority(-data), insecure-skip-tls-verify, token, tokenFile, client-certificate(-data),
 * client-key(-data) and the context's namespace; relative file paths are resolved against the kubeconfig's folder.
 * Exec and auth-provider plugins are SG_EUNSUPPORTED. `cfg` is disposed first. Thread-safe. */
int sg_kube_config_load_kubeconfig(sg_kube_config_t *cfg, const char *path, const char *context, sg_error_t *err);
/** Builds the in-cluster config: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the token file, ca.crt
 * and namespace from `sa_dir` (NULL = $SG_KUBE_SA_DIR, else SG_KUBE_SA_DIR_DEFAULT). SG_EINVALID when not in a pod.
 * `cfg` is disposed first. Thread-safe. */
int sg_kube_config_load_incluster(sg_kube_config_t *cfg, const char *sa_dir, sg_error_t *err);

/** Finds the connection settings as controller-runtime does: `kubeconfig` when given, else the first file of
 * $KUBECONFIG, else the in-cluster service account when KUBERNETES_SERVICE_HOST is set, else ~/.kube/config.
 * `context` (may be NULL) selects a kubeconfig context. `cfg` is disposed first. Thread-safe. */
int sg_kube_config_load(sg_kube_config_t *cfg, const char *kubeconfig, const char *context, sg_error_t *err);

/* Client behaviour. */
typedef struct st_sg_kube_client_opts_t {
    int timeout_ms;         /* whole request, excluding watches; 0 = 30000 */
    int connect_timeout_ms; /* 0 = 10000 */
    int max_attempts;       /* tries per request on 429, 5xx and connection errors; 0 = 5 */
    int backoff_base_ms;    /* first retry delay, doubled per attempt with jitter; 0 = 200 */
    int backoff_max_ms;     /* cap on one retry delay, also on a Retry-After; 0 = 10000 */
    const char *user_agent; /* NULL = "storygate/<version>" */
    sg_metrics_t *metrics;  /* rest_client_requests_total{code,method,host}; NULL = the default registry */
} sg_kube_client_opts_t;

#define SG_KUBE_CLIENT_OPTS_INIT                                                                                       \
    {                                                                                                                  \
        0, 0, 0, 0, 0, NULL, NULL                                                                                      \
    }

/* One response. Embed and use sg_kube_response_init/sg_kube_response_dispose. */
typedef struct st_sg_kube_response_t {
    long status;     /* HTTP status; 0 when no response arrived */
    sg_buf_t body;   /* the body as received */
    int retry_after; /* seconds from Retry-After; -1 when absent */
    int attempts;    /* tries made */
} sg_kube_response_t;

/* Per-request overrides (all optional). */
typedef struct st_sg_kube_request_opts_t {
    int timeout_ms;   /* 0 = the client's */
    int max_attempts; /* 0 = the client's; 1 = no retries */
} sg_kube_request_opts_t;

#define SG_KUBE_REQUEST_OPTS_INIT                                                                                      \
    {                                                                                                                  \
        0, 0                                                                                                           \
    }

/** Creates a client for `cfg` (copied). The caller owns `*out` (sg_kube_client_free). SG_EINVALID on a config that
 * cannot work (no server). Thread-safe to use from any number of threads, never from an event loop (it blocks). */
int sg_kube_client_new(sg_kube_client_t **out, const sg_kube_config_t *cfg, const sg_kube_client_opts_t *opts,
                       sg_error_t *err);
/** Frees a client; no request may be running. NULL is accepted. */
void sg_kube_client_free(sg_kube_client_t *c);
/** The default namespace of the client's config. Borrowed. */
const char *sg_kube_client_namespace(const sg_kube_client_t *c);

/** Prepares an empty response. */
void sg_kube_response_init(sg_kube_response_t *r);
/** Frees a response's body. NULL is accepted. */
void sg_kube_response_dispose(sg_kube_response_t *r);

/** Sends `method` to `path` ("/apis/...?query", already escaped) with an optional JSON body and retries 429, 5xx
 * and connection failures with jittered exponential backoff (honouring Retry-After; a POST is retried only when it
 * cannot have been applied: connection refused, 429, 503). Any HTTP response is SG_OK with `resp->status` set;
 * SG_EUNAVAILABLE when attempts ran out without one, SG_EIO on a local failure. Thread-safe; blocks. */
int sg_kube_request(sg_kube_client_t *c, sg_kube_response_t *resp, const char *method, const char *path,
                    const char *body, size_t body_len, const char *content_type, const sg_kube_request_opts_t *opts,
                    sg_error_t *err);
/** Maps a non-2xx response to an error: its Kubernetes Status message, and 404 -> SG_ENOTFOUND, 409 ->
 * SG_ECONFLICT, 410 -> SG_ELIMIT, 400/422 -> SG_EINVALID, 429/5xx -> SG_EUNAVAILABLE, others SG_EIO. Returns SG_OK
 * for 2xx. Thread-safe. */
int sg_kube_status_error(const sg_kube_response_t *resp, sg_error_t *err);

/* Called for each line of a streaming response (a watch event). Return non-zero to stop the stream. */
typedef int (*sg_kube_line_cb)(void *ctx, const char *line, size_t len);

/** Opens a streaming GET on `path` and calls `cb` for every newline-terminated line (lines longer than `max_line`
 * bytes, 0 = 16 MiB, end the stream with SG_ELIMIT). Returns when the server ends the stream (SG_OK), when `cb` or
 * `*stop` (polled at least every 200 ms) asks to, or on a connection failure (SG_EUNAVAILABLE). `resp` gets the
 * status, and the body when it is not 200. No retries: the caller resumes from the last resourceVersion.
 * Thread-safe; blocks. */
int sg_kube_stream(sg_kube_client_t *c, sg_kube_response_t *resp, const char *path, sg_kube_line_cb cb, void *ctx,
                   const volatile int *stop, size_t max_line, sg_error_t *err);

/* The kube store backend. */
typedef struct st_sg_store_kube_opts_t {
    sg_kube_client_t *client;    /* borrowed; must outlive the store */
    int status_retries;          /* tries of a status write on 409 without a caller precondition; 0 = 5 */
    int status_retry_delay_ms;   /* pause between them; 0 = 10 */
    int watch_timeout_s;         /* server-side timeoutSeconds of one watch request; 0 = 300 (jittered up to 2x) */
    size_t max_queue;            /* events buffered per watch cursor before it reports SG_ELIMIT; 0 = 100000 */
    const char *watch_namespace; /* what subscribers see: one namespace, or NULL = all (needs cluster-wide RBAC) */
} sg_store_kube_opts_t;

#define SG_STORE_KUBE_OPTS_INIT                                                                                        \
    {                                                                                                                  \
        NULL, 0, 0, 0, 0, NULL                                                                                         \
    }

/** Opens a store whose objects live in the apiserver behind `opts->client`. Writes are requests (create = POST, update
 * = PUT, status = PUT on /status after a fresh GET, retried on conflict); watch cursors and subscribers are driven by
 * streaming watches that reconnect with backoff and relist on 410 Gone. The caller owns `*out` (sg_store_close).
 * Thread-safe. */
int sg_store_open_kube(sg_store_t **out, const sg_store_kube_opts_t *opts, sg_error_t *err);

/** The REST path of a kind's collection in `ns` (NULL or "" = all namespaces), appended to `out`. */
int sg_kube_collection_path(sg_buf_t *out, sg_store_kind_t kind, const char *ns);

/* Leader election on a coordination.k8s.io/v1 Lease (client-go semantics). */
typedef struct st_sg_kube_lease_callbacks_t {
    void (*on_started_leading)(void *ctx); /* on the lease thread right after acquiring */
    void (*on_stopped_leading)(void *ctx); /* on the lease thread (or in sg_kube_lease_stop) right after losing */
    void (*on_new_leader)(void *ctx, const char *identity); /* when the observed holder changes; may be NULL */
    void *ctx;
} sg_kube_lease_callbacks_t;

typedef struct st_sg_kube_lease_opts_t {
    sg_kube_client_t *client; /* borrowed; must outlive the elector */
    const char *namespace_;   /* NULL = the client's namespace */
    const char *name;         /* NULL = "storygate-leader" */
    const char *identity;     /* NULL = $POD_NAME or the hostname, plus "_" and a random suffix */
    int lease_duration_ms;    /* 0 = 15000 (stored in whole seconds, rounded up) */
    int renew_deadline_ms;    /* 0 = 10000; must be < lease_duration */
    int retry_period_ms;      /* 0 = 2000; must be < renew_deadline */
    int release_on_stop;      /* sg_kube_lease_stop hands the lease back (holder "", duration 1 s); default on */
    sg_kube_lease_callbacks_t callbacks;
    sg_metrics_t *metrics; /* leader_election_master_status{name}; NULL = the default registry */
} sg_kube_lease_opts_t;

#define SG_KUBE_LEASE_OPTS_INIT                                                                                        \
    {                                                                                                                  \
        NULL, NULL, NULL, NULL, 0, 0, 0, 1, {NULL, NULL, NULL, NULL}, NULL                                             \
    }

/** Starts an elector thread that acquires and renews the Lease. Leadership is lost as soon as a renewal has not
 * succeeded within renew_deadline. The caller owns `*out` (sg_kube_lease_stop). SG_EINVALID on bad durations. */
int sg_kube_lease_start(sg_kube_lease_t **out, const sg_kube_lease_opts_t *opts, sg_error_t *err);
/** 1 while this elector holds the lease and its last renewal is younger than renew_deadline. Thread-safe. */
int sg_kube_lease_is_leader(sg_kube_lease_t *l);
/** This elector's holderIdentity. Borrowed, valid until sg_kube_lease_stop. */
const char *sg_kube_lease_identity(const sg_kube_lease_t *l);
/** Stops the elector: releases the lease when leading (and configured to), calls on_stopped_leading if it was
 * leading, joins the thread and frees everything. NULL is accepted. Not to be called from a callback. */
void sg_kube_lease_stop(sg_kube_lease_t *l);

#endif
