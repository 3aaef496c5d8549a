/* The object store: Stories, ReferenceGrants, StoryTriggers, StoryRuns and (cluster-scoped) Namespaces as JSON with
 * Kubernetes-style metadata (uid, resourceVersion, generation, creationTimestamp), list with selectors, and watch from
 * a resourceVersion.
 * One interface, several backends (embedded LMDB now, the Kubernetes API later) behind a vtable. */
#ifndef STORYGATE_STORE_H
#define STORYGATE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/buf.h>
#include <storygate/error.h>
#include <storygate/json.h>
#include <storygate/metrics.h>

typedef struct st_sg_store_t sg_store_t;
typedef struct st_sg_store_watch_t sg_store_watch_t;

typedef enum en_sg_store_kind_t {
    SG_KIND_STORY = 0,          /* bubustack.io/v1alpha1 Story */
    SG_KIND_REFERENCEGRANT = 1, /* policy.bubustack.io/v1alpha1 ReferenceGrant */
    SG_KIND_STORYTRIGGER = 2,   /* runs.bubustack.io/v1alpha1 StoryTrigger */
    SG_KIND_STORYRUN = 3,       /* runs.bubustack.io/v1alpha1 StoryRun */
    SG_KIND_NAMESPACE = 4,      /* v1 Namespace (core group, cluster-scoped: its namespace is always "") */
    SG_KIND__COUNT
} sg_store_kind_t;

#define SG_KIND_MASK(k) (1u << (unsigned)(k))
#define SG_KIND_MASK_ALL ((1u << SG_KIND__COUNT) - 1)

typedef enum en_sg_store_event_type_t {
    SG_STORE_ADDED = 1,
    SG_STORE_MODIFIED = 2,
    SG_STORE_DELETED = 3,
} sg_store_event_type_t;

/* Longest namespace and name accepted (bytes); longer ones are SG_EINVALID. */
#define SG_STORE_NAME_MAX 253

/* One change. Strings and `json` are borrowed: valid during a subscriber callback, or until the next
 * sg_store_watch_next on the same cursor. `json` is the whole object after the change (for DELETED, its last state
 * carrying the deletion's resourceVersion). `origin` is the tag the writer passed (subscribers only; NULL on cursors).
 */
typedef struct st_sg_store_event_t {
    sg_store_event_type_t type;
    sg_store_kind_t kind;
    uint64_t resource_version;
    const char *namespace_;
    const char *name;
    const char *json;
    size_t len;
    const void *origin;
} sg_store_event_t;

/* Called on the store's writer thread after each commit, in resourceVersion order. Must be quick; must not block on
 * or write to the store (that would deadlock the writer). */
typedef void (*sg_store_subscriber_cb)(void *ctx, const sg_store_event_t *ev);

/* Options of a write. */
/* Completion of an asynchronous write: `rc` SG_OK with the stored object in json[0..len) (valid during the call
 * only), or the error. Runs on a store thread: it must be quick and must not wait on the store. */
typedef void (*sg_store_done_cb)(void *ctx, int rc, const sg_error_t *err, const char *json, size_t len);

typedef struct st_sg_store_write_opts_t {
    uint64_t expected_rv; /* precondition: 0 = none, else the object's current resourceVersion must equal it */
    const void *origin;   /* passed to subscribers as sg_store_event_t.origin */
    int no_wait;          /* update_status only: queue the write and return at once (ordered before any later
                           * write of the same caller; failures are logged, `out` is left untouched) */
    /* create, update_status and apply: when set, the call returns SG_OK as soon as the write is queued (`out` and
     * `failed` are left untouched) and `done` runs exactly once, on a store thread, when the write is durable or has
     * failed (for apply: with the first failing write's code, and no object). An error returned by the call itself
     * means nothing was queued and `done` never runs. A backend without asynchronous writes returns its failures and
     * runs `done` for a success on the caller's thread before the call returns. */
    sg_store_done_cb done;
    void *done_ctx;
} sg_store_write_opts_t;

#define SG_STORE_WRITE_OPTS_INIT                                                                                       \
    {                                                                                                                  \
        0, NULL, 0, NULL, NULL                                                                                         \
    }

typedef enum en_sg_store_op_type_t {
    SG_STORE_OP_CREATE,        /* `obj` created in `ns` (uid from `uid` when set) */
    SG_STORE_OP_UPDATE_STATUS, /* status of `ns`/`name` replaced by `obj` (NULL removes it) */
} sg_store_op_type_t;

/* One write of an atomic group (sg_store_apply). */
typedef struct st_sg_store_op_t {
    sg_store_op_type_t type;
    sg_store_kind_t kind;
    const char *ns;
    const char *name;     /* UPDATE_STATUS */
    const sg_json_t *obj; /* the object (CREATE) or the status (UPDATE_STATUS) */
    const char *uid;      /* CREATE: metadata.uid to assign (NULL = a fresh one) */
    uint64_t expected_rv; /* UPDATE_STATUS precondition, 0 = none */
    sg_buf_t *out;        /* the stored object afterwards; may be NULL */
} sg_store_op_t;

/* One listed object; `json` points into the list's storage. */
typedef struct st_sg_store_item_t {
    const char *json;
    size_t len;
    uint64_t resource_version;
} sg_store_item_t;

/* A list result. Embed and use sg_store_list_init/sg_store_list_dispose. */
typedef struct st_sg_store_list_t {
    sg_store_item_t *items;
    size_t len;
    uint64_t resource_version; /* the store's resourceVersion the list was read at (start a watch from here) */
    size_t _cap;
    sg_buf_t _data;
} sg_store_list_t;

typedef struct st_sg_store_list_opts_t {
    const char *label_selector; /* "a=b,c!=d,e,!f" (also ==, in (...), notin (...)); NULL or "" = everything */
    const char *field_selector; /* "metadata.name=x,spec.storyRef.name!=y" on selectable fields; NULL = all */
    size_t limit;               /* 0 = no limit; past it the list is cut (no continuation) */
} sg_store_list_opts_t;

#define SG_STORE_LIST_OPTS_INIT                                                                                        \
    {                                                                                                                  \
        NULL, NULL, 0                                                                                                  \
    }

/* Backend operations. Objects come in as parsed trees; results go out as compact JSON bytes. Every `out` may be
 * NULL. Implementations are thread-safe. */
typedef struct st_sg_store_ops_t {
    int (*get)(sg_store_t *s, sg_buf_t *out, uint64_t *rv, sg_store_kind_t kind, const char *ns, const char *name,
               sg_error_t *err);
    int (*create)(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                  const sg_store_write_opts_t *opts, sg_error_t *err);
    int (*update)(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                  const sg_store_write_opts_t *opts, sg_error_t *err);
    int (*update_status)(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                         const sg_json_t *status, const sg_store_write_opts_t *opts, sg_error_t *err);
    int (*remove)(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                  const sg_store_write_opts_t *opts, sg_error_t *err);
    int (*list)(sg_store_t *s, sg_store_list_t *out, sg_store_kind_t kind, const char *ns,
                const sg_store_list_opts_t *opts, sg_error_t *err);
    int async_writes; /* 1: create, update_status and apply honour opts->done; otherwise the front end completes
                       * them synchronously */
    /* optional (NULL when the backend cannot group writes atomically) */
    int (*apply)(sg_store_t *s, sg_store_op_t *ops, size_t n, const sg_store_write_opts_t *opts, size_t *failed,
                 sg_error_t *err);
    uint64_t (*resource_version)(sg_store_t *s);
    int (*watch_open)(sg_store_t *s, sg_store_watch_t **out, uint64_t from_rv, unsigned kind_mask, const char *ns,
                      sg_error_t *err);
    int (*watch_next)(sg_store_watch_t *w, sg_store_event_t *ev, int timeout_ms, sg_error_t *err);
    void (*watch_close)(sg_store_watch_t *w);
    int (*subscribe)(sg_store_t *s, sg_store_subscriber_cb cb, void *ctx, sg_error_t *err);
    void (*unsubscribe)(sg_store_t *s, sg_store_subscriber_cb cb, void *ctx);
    void (*close)(sg_store_t *s);
} sg_store_ops_t;

/* Every backend's handle starts with this. */
struct st_sg_store_t {
    const sg_store_ops_t *ops;
};

/* Every backend's watch cursor starts with this. */
struct st_sg_store_watch_t {
    sg_store_t *store;
};

/* Embedded LMDB backend. */
typedef struct st_sg_store_lmdb_opts_t {
    const char *path;      /* data directory (created 0750 if missing); required */
    size_t map_size;       /* bytes; 0 = 1 GiB. Writes past it fail with SG_ELIMIT */
    size_t max_events;     /* event log entries kept for watch resume; 0 = 100000 */
    size_t max_batch;      /* write requests per transaction (group commit); 0 = 1024 */
    sg_metrics_t *metrics; /* NULL = the default registry */
} sg_store_lmdb_opts_t;

#define SG_STORE_LMDB_OPTS_INIT                                                                                        \
    {                                                                                                                  \
        NULL, 0, 0, 0, NULL                                                                                            \
    }

/** Opens (creating if needed) the LMDB store in opts->path and starts its writer thread. Every acknowledged write is
 * durable (fsync per group commit). The caller owns `*out` (sg_store_close). SG_EIO/SG_EINVALID on failure. */
int sg_store_open_lmdb(sg_store_t **out, const sg_store_lmdb_opts_t *opts, sg_error_t *err);

/** Finishes queued writes, stops the writer and frees the store. Close watch cursors first. NULL is accepted. */
void sg_store_close(sg_store_t *s);

/** Reads one object into `out` (reset first) and its resourceVersion into `rv` (may be NULL). SG_ENOTFOUND when
 * absent. Thread-safe. */
int sg_store_get(sg_store_t *s, sg_buf_t *out, uint64_t *rv, sg_store_kind_t kind, const char *ns, const char *name,
                 sg_error_t *err);

/** Creates an object given as JSON bytes (metadata.name, or metadata.generateName to get a generated name). Sets
 * apiVersion, kind, metadata.namespace (= ns), uid, resourceVersion, generation 1 and creationTimestamp, and writes
 * the stored object to `out` (may be NULL). SG_ECONFLICT when it exists, SG_EINVALID on a malformed object. Blocks
 * until durable. Thread-safe. */
int sg_store_create(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *json, size_t len,
                    const sg_store_write_opts_t *opts, sg_error_t *err);
/** sg_store_create for a parsed object (borrowed). With opts->done set the write completes asynchronously (see
 * sg_store_write_opts_t), on every backend. */
int sg_store_create_json(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                         const sg_store_write_opts_t *opts, sg_error_t *err);

/** Replaces an object's metadata (labels, annotations, ...) and spec, keeping uid, creationTimestamp and status;
 * generation is incremented when spec changes. SG_ENOTFOUND, SG_ECONFLICT (precondition). Thread-safe. */
int sg_store_update_json(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                         const sg_store_write_opts_t *opts, sg_error_t *err);

/** Replaces the status subresource (`status` NULL removes it), keeping everything else. SG_ENOTFOUND,
 * SG_ECONFLICT (precondition). Thread-safe. */
int sg_store_update_status(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                           const sg_json_t *status, const sg_store_write_opts_t *opts, sg_error_t *err);

/** Deletes an object; `out` gets its last state. SG_ENOTFOUND, SG_ECONFLICT (precondition). Thread-safe. */
int sg_store_delete(sg_store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                    const sg_store_write_opts_t *opts, sg_error_t *err);

/** Applies `ops` atomically (all or none, one durable commit). On failure `*failed` (may be NULL) is the index of
 * the op that failed and the code is that op's (SG_ECONFLICT when a created object exists, SG_ENOTFOUND, ...).
 * SG_EUNSUPPORTED when the backend cannot (then write one by one). Thread-safe. */
int sg_store_apply(sg_store_t *s, sg_store_op_t *ops, size_t n, const sg_store_write_opts_t *opts, size_t *failed,
                   sg_error_t *err);

/** A fresh random UUID v4 (36 characters and a NUL), as the store assigns to metadata.uid. 0 or SG_EIO. */
int sg_store_new_uid(char out[37]);

/** Lists objects of `kind` in namespace `ns` (NULL or "" = all namespaces), ordered by namespace then name, into
 * `out` (emptied first). SG_EINVALID on a malformed selector. Thread-safe. */
int sg_store_list(sg_store_t *s, sg_store_list_t *out, sg_store_kind_t kind, const char *ns,
                  const sg_store_list_opts_t *opts, sg_error_t *err);

/** The resourceVersion of the latest acknowledged write. Thread-safe. */
uint64_t sg_store_resource_version(sg_store_t *s);
/** 1 when writes with a completion (sg_store_write_opts_t.done) return before they are durable, so a caller needs no
 * thread per write in flight; 0 when the backend completes them on the caller's thread. */
int sg_store_async_writes(const sg_store_t *s);

/** Opens a cursor over changes with resourceVersion > from_rv, restricted to `kind_mask` and namespace `ns` (NULL =
 * all). SG_ELIMIT ("too old resource version") when events after from_rv were compacted away; the caller then lists
 * again. Owned by the caller (sg_store_watch_close); use from one thread at a time. */
int sg_store_watch_open(sg_store_t *s, sg_store_watch_t **out, uint64_t from_rv, unsigned kind_mask, const char *ns,
                        sg_error_t *err);
/** Next event into `ev` (borrowed until the next call), waiting up to `timeout_ms` (0 = poll, <0 = forever).
 * SG_EUNAVAILABLE on timeout or when the store is closing, SG_ELIMIT when the cursor fell behind compaction. */
int sg_store_watch_next(sg_store_watch_t *w, sg_store_event_t *ev, int timeout_ms, sg_error_t *err);
/** Frees a cursor. NULL is accepted. */
void sg_store_watch_close(sg_store_watch_t *w);

/** Registers `cb(ctx, ev)` for every committed change from now on (see sg_store_subscriber_cb). Thread-safe. */
int sg_store_subscribe(sg_store_t *s, sg_store_subscriber_cb cb, void *ctx, sg_error_t *err);
/** Removes a subscription; after it returns the callback is not running and will not run. Thread-safe. */
void sg_store_unsubscribe(sg_store_t *s, sg_store_subscriber_cb cb, void *ctx);

/** Prepares an empty list. */
void sg_store_list_init(sg_store_list_t *l);
/** Frees a list's storage. NULL is accepted. */
void sg_store_list_dispose(sg_store_list_t *l);
/** For backends: SG_EINVALID naming `what` unless `s` is a usable namespace or name (non-empty, at most
 * SG_STORE_NAME_MAX bytes, no '/'). Thread-safe. */
int sg_store_check_name(const char *what, const char *s, sg_error_t *err);
/** For backends: appends an item (the bytes are copied). Returns 0 or SG_ENOMEM. Not thread-safe. */
int sg_store_list_push(sg_store_list_t *l, const char *json, size_t len, uint64_t rv);
/** For backends: points the items into the list's storage once every item is pushed. Not thread-safe. */
void sg_store_list_finish(sg_store_list_t *l);

/* Parsed label and field selectors (sg_store_list_opts_t syntax). */
typedef struct st_sg_store_selector_t sg_store_selector_t;
/** Parses both selectors for `kind` (either NULL/""); `*out` (caller-owned, sg_store_selector_free) is NULL when
 * nothing is selected on; SG_EINVALID with an apiserver-like message. Thread-safe. */
int sg_store_selector_parse(sg_store_selector_t **out, sg_store_kind_t kind, const char *labels, const char *fields,
                            sg_error_t *err);
/** 1 when `obj` matches (a NULL selector matches everything); absent fields compare as "". Thread-safe. */
int sg_store_selector_match(const sg_store_selector_t *sel, const sg_json_t *obj);
/** Frees a selector. NULL is accepted. */
void sg_store_selector_free(sg_store_selector_t *sel);

/** 1 for kinds whose objects live in a namespace, 0 for cluster-scoped ones (Namespace). For a cluster-scoped kind
 * every call takes ns NULL or "" (anything else is SG_EINVALID), ignores metadata.namespace in objects, stores none,
 * and lists and watches ignore their namespace filter, as the apiserver does. */
int sg_store_kind_namespaced(sg_store_kind_t kind);
/** For backends: checks the `ns` argument of a call on `kind` and returns the namespace to use in `*out` ("" for a
 * cluster-scoped kind, `ns` itself otherwise). SG_EINVALID with a message when it does not fit the kind's scope. */
int sg_store_check_scope(const char **out, sg_store_kind_t kind, const char *ns, sg_error_t *err);

/** "Story", "ReferenceGrant", "StoryTrigger", "StoryRun", "Namespace". Static. */
const char *sg_store_kind_name(sg_store_kind_t kind);
/** "bubustack.io/v1alpha1" and so on ("v1" for Namespace). Static. */
const char *sg_store_kind_api_version(sg_store_kind_t kind);
/** The API group ("bubustack.io", "policy.bubustack.io", "runs.bubustack.io"; "" = the core group). Static. */
const char *sg_store_kind_group(sg_store_kind_t kind);
/** The resource name ("stories", "referencegrants", "storytriggers", "storyruns", "namespaces"). Static. */
const char *sg_store_kind_plural(sg_store_kind_t kind);
/** Finds a kind by Kind name or plural resource name; SG_ENOTFOUND otherwise. */
int sg_store_kind_parse(sg_store_kind_t *out, const char *name);

#endif
