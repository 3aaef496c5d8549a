/* storygate settings: defaults, then the YAML config file, then STORYGATE_* environment, then command-line flags. */
#ifndef STORYGATE_CONFIG_H
#define STORYGATE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/arena.h>
#include <storygate/error.h>
#include <storygate/log.h>

typedef enum en_sg_config_cross_ns_t {
    SG_CROSS_NS_DENY = 0,
    SG_CROSS_NS_GRANT,
    SG_CROSS_NS_ALLOW,
} sg_config_cross_ns_t;

typedef enum en_sg_config_store_t {
    SG_STORE_EMBEDDED = 0,
    SG_STORE_KUBE,
} sg_config_store_t;

/* All settings. Strings are NULL when unset and otherwise live in `_arena` or are static defaults; a config is
 * read-only once the server starts, so every thread may read it without locks. docs/CONFIGURATION.md lists the keys. */
typedef struct st_sg_config_t {
    const char *listen; /* HOST:PORT of the HTTPS listener */
    struct {
        const char *cert_file;
        const char *key_file;
        const char *client_ca_file;       /* NULL = no client certificates requested */
        const char *client_allowed_names; /* comma-separated CN / SAN DNS names; NULL = any name from the CA */
        int min_version;                  /* 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3) */
    } tls;
    struct {
        const char *listen; /* NULL = metrics only on the HTTPS listener */
    } metrics;
    struct {
        sg_log_level_t level;
        const char *format; /* "json" */
    } log;
    struct {
        unsigned threads;                     /* 0 = one per online CPU */
        size_t max_body_bytes;                /* bodies of this size or more are refused */
        unsigned idle_timeout_seconds;        /* keep-alive connections idle this long are closed */
        unsigned handshake_timeout_seconds;   /* TLS handshakes not done by then are dropped */
        unsigned request_timeout_seconds;     /* a request (headers and body) must arrive within this time */
        unsigned http2_max_resets_per_second; /* RST_STREAM frames a connection may send per second */
        unsigned max_connections;             /* new connections beyond this many are closed at once */
        unsigned shutdown_delay_seconds;      /* after SIGTERM: /readyz fails this long before listeners close */
        unsigned shutdown_timeout_seconds;    /* then in-flight requests get this long to finish */
        int http2;                            /* offer h2 in ALPN */
    } http;
    struct {
        unsigned max_json_depth;
        sg_config_cross_ns_t cross_namespace_policy;
        const char *webhook_path_validate;
        const char *webhook_path_mutate;
        size_t max_inline_inputs_size;
    } admission;
    const char *data_dir;
    sg_config_store_t store;
    struct {
        const char *token_file;       /* bearer tokens for the embedded API; NULL = no authentication */
        const char *manifests_dir;    /* Stories/ReferenceGrants loaded at start; NULL = none */
        unsigned workers;             /* threads running the API's store calls */
        unsigned max_queued_requests; /* store calls waiting for a worker; beyond it requests get 429 */
    } api;
    struct {
        const char *base_path; /* file storage for offloaded StoryRun inputs; NULL = offload disabled */
    } storage;
    struct {
        const char *dir; /* NULL = no operator policies */
    } policies;
    struct {
        int enabled;
        const char *crd_dir; /* NULL = the built-in StoryTrigger CRD schema */
    } schema;
    struct {
        const char *kubeconfig; /* NULL = $KUBECONFIG, the pod's service account, then ~/.kube/config */
        const char *context;    /* kubeconfig context; NULL = its current-context */
    } kube;
    struct {
        int enabled;                     /* -1 = on when store is kube (the default), 0 = off, 1 = on */
        const char *namespace_;          /* NULL = $POD_NAMESPACE, else the kube config's namespace */
        const char *name;                /* the Lease's name */
        unsigned lease_duration_seconds; /* renew_deadline < lease_duration; retry_period < renew_deadline */
        unsigned renew_deadline_seconds;
        unsigned retry_period_seconds;
    } leader_election;
    struct {
        unsigned workers; /* concurrent reconciles; 0 = the reconciler's default */
    } reconcile;
    const char *source; /* the config file read last, or NULL */
    sg_arena_t _arena;
} sg_config_t;

/** Fills `c` with the defaults (see docs/CONFIGURATION.md). Dispose with sg_config_dispose. Not thread-safe. */
void sg_config_init(sg_config_t *c);
/** Frees the strings owned by `c`. NULL is accepted. */
void sg_config_dispose(sg_config_t *c);
/** Overlays the settings of the YAML file `path`. Unknown keys and bad values fail with SG_EINVALID and a message
 * "path:line:column: ..."; an unreadable file with SG_EIO and "path: reason". */
int sg_config_load_file(sg_config_t *c, const char *path, sg_error_t *err);
/** Overlays settings from YAML text, as sg_config_load_file does; `filename` is used in messages. */
int sg_config_load_yaml(sg_config_t *c, const char *buf, size_t len, const char *filename, sg_error_t *err);
/** Sets one dotted key ("http.threads") from text, as flags and the environment do. SG_EINVALID for an unknown key or
 * a bad value, with a message naming the key. */
int sg_config_set(sg_config_t *c, const char *key, const char *value, sg_error_t *err);
/** Applies STORYGATE_<KEY> variables (e.g. STORYGATE_LISTEN, STORYGATE_TLS_CERT_FILE, STORYGATE_HTTP_THREADS) from
 * `envp` (NULL-terminated "NAME=value" strings; NULL = the process environment). Unknown STORYGATE_ names are ignored
 * except STORYGATE_CONFIG, which names the config file and is read by the caller. */
int sg_config_apply_env(sg_config_t *c, char *const *envp, sg_error_t *err);
/** Checks cross-field rules (certificate and key set, addresses valid). Call after every source is applied. */
int sg_config_validate(const sg_config_t *c, sg_error_t *err);
/** Splits "host:port", "[v6]:port" or ":port" into `host` (empty = all interfaces) and `port`. SG_EINVALID otherwise.
 * Thread-safe. */
int sg_config_parse_addr(const char *addr, char *host, size_t host_size, uint16_t *port, sg_error_t *err);
/** The config file names understood by sg_config_set, NULL-terminated, for --help. Static. */
const char *const *sg_config_keys(void);

#endif
