/* Read-only, refcounted snapshots of the objects admission references (Stories, ReferenceGrants, and Namespace labels
 * for policies' namespaceSelector), the cross-namespace policy and ReferenceGrant matching of spec §3.5. A provider
 * (the store's watcher) builds a snapshot, publishes it in a holder and never mutates it again; readers acquire, read
 * without locks, release. */
#ifndef STORYGATE_REFS_H
#define STORYGATE_REFS_H

#include <stddef.h>

#include <storygate/error.h>
#include <storygate/gostr.h>
#include <storygate/json.h>
#include <storygate/store.h>

typedef struct st_sg_refs_snapshot_t sg_refs_snapshot_t;
typedef struct st_sg_refs_holder_t sg_refs_holder_t;
typedef struct st_sg_refs_feed_t sg_refs_feed_t;

typedef enum en_sg_refs_policy_t {
    SG_REFS_POLICY_DENY = 0, /* the default: cross-namespace references refused */
    SG_REFS_POLICY_GRANT,    /* allowed when a ReferenceGrant in the target namespace matches */
    SG_REFS_POLICY_ALLOW,    /* always allowed */
} sg_refs_policy_t;

typedef enum en_sg_refs_decision_t {
    SG_REFS_SAME_NAMESPACE = 0, /* from or to empty, or equal: allowed without a policy */
    SG_REFS_ALLOWED,            /* cross-namespace, allowed by `allow` or by a matching grant */
    SG_REFS_DENIED_POLICY,      /* cross-namespace under `deny` */
    SG_REFS_DENIED_NO_GRANT,    /* `grant` and no grant matches */
    SG_REFS_UNAVAILABLE,        /* `grant` but no synced snapshot to read grants from */
} sg_refs_decision_t;

/* One spec.from[] entry, fields trimmed. */
typedef struct st_sg_refs_grant_from_t {
    const char *group;
    const char *kind;
    const char *namespace_;
} sg_refs_grant_from_t;

/* One spec.to[] entry, fields trimmed; `name` is "" when absent. */
typedef struct st_sg_refs_grant_to_t {
    const char *group;
    const char *kind;
    const char *name;
} sg_refs_grant_to_t;

/* A ReferenceGrant as the matcher needs it. Immutable once in a snapshot. */
typedef struct st_sg_refs_grant_t {
    const char *namespace_; /* metadata.namespace, as stored */
    const char *name;       /* metadata.name */
    const sg_refs_grant_from_t *from;
    size_t nfrom;
    const sg_refs_grant_to_t *to;
    size_t nto;
} sg_refs_grant_t;

/** Parses a policy value (trimmed; "" = deny). Unknown values give SG_REFS_POLICY_DENY and SG_EINVALID, so callers
 * can warn yet behave as the reference does. */
int sg_refs_policy_parse(sg_refs_policy_t *out, sg_span_t value, sg_error_t *err);
/** "deny", "grant" or "allow". Static. */
const char *sg_refs_policy_name(sg_refs_policy_t p);

/** A new empty, unsynced snapshot with one reference held by the caller; NULL when out of memory. */
sg_refs_snapshot_t *sg_refs_snapshot_new(void);
/** A new snapshot with the same content (entries are shared, so this is cheap), for incremental updates; the caller
 * holds its one reference. NULL when out of memory. */
sg_refs_snapshot_t *sg_refs_snapshot_clone(const sg_refs_snapshot_t *snap);
/** Takes another reference. Thread-safe. Returns `snap`. */
sg_refs_snapshot_t *sg_refs_snapshot_retain(sg_refs_snapshot_t *snap);
/** Drops a reference, freeing the snapshot with the last one. NULL is accepted. Thread-safe. */
void sg_refs_snapshot_release(sg_refs_snapshot_t *snap);

/* Building (only before the snapshot is published or shared; not thread-safe). */
/** Adds or replaces Story ns/name with its spec.version as stored (`version` NULL = absent). Returns 0 or SG_ENOMEM. */
int sg_refs_snapshot_put_story(sg_refs_snapshot_t *snap, sg_span_t ns, sg_span_t name, const char *version,
                               size_t version_len);
/** Adds or replaces a Story from its JSON object (metadata.namespace, metadata.name, spec.version). */
int sg_refs_snapshot_put_story_json(sg_refs_snapshot_t *snap, const sg_json_t *story, sg_error_t *err);
/** Removes Story ns/name; returns 1 when it was there. */
int sg_refs_snapshot_remove_story(sg_refs_snapshot_t *snap, sg_span_t ns, sg_span_t name);
/** Adds or replaces a ReferenceGrant from its JSON object. Non-string fields count as "". SG_EINVALID when the
 * object has no metadata.namespace/name. */
int sg_refs_snapshot_put_grant_json(sg_refs_snapshot_t *snap, const sg_json_t *grant, sg_error_t *err);
/** Removes ReferenceGrant ns/name; returns 1 when it was there. */
int sg_refs_snapshot_remove_grant(sg_refs_snapshot_t *snap, sg_span_t ns, sg_span_t name);
/** Adds or replaces a Namespace from its JSON object: metadata.name and metadata.labels (absent or not an object = no
 * labels). SG_EINVALID without metadata.name, SG_ELIMIT when the labels exceed 256 KiB, SG_ENOMEM. */
int sg_refs_snapshot_put_namespace_json(sg_refs_snapshot_t *snap, const sg_json_t *ns, sg_error_t *err);
/** Removes Namespace `name`; returns 1 when it was there. */
int sg_refs_snapshot_remove_namespace(sg_refs_snapshot_t *snap, sg_span_t name);
/** Marks the snapshot complete (initial list done). Lookups in an unsynced snapshot report "unavailable". */
void sg_refs_snapshot_set_synced(sg_refs_snapshot_t *snap, int synced);

/* Reading (any thread, while holding a reference). */
/** 1 when the snapshot holds a complete view. */
int sg_refs_snapshot_synced(const sg_refs_snapshot_t *snap);
/** Looks up Story ns/name: 1 and its spec.version as stored (empty span when absent) in `*version` (may be NULL),
 * or 0 when missing. The span is borrowed from the snapshot. */
int sg_refs_story_lookup(const sg_refs_snapshot_t *snap, sg_span_t ns, sg_span_t name, sg_span_t *version);
/** The ReferenceGrants of namespace `ns`: sets `*first` to an array of pointers, returns their count. Borrowed. */
size_t sg_refs_grants_in(const sg_refs_snapshot_t *snap, sg_span_t ns, const sg_refs_grant_t *const **first);
/** The labels of Namespace `name` as a JSON object (empty when it has none), or NULL when the snapshot does not know
 * that namespace (or `snap` is NULL). Borrowed: valid while the caller holds its reference to `snap`. */
const sg_json_t *sg_refs_namespace_labels(const sg_refs_snapshot_t *snap, sg_span_t name);
/** Number of Stories in the snapshot (for metrics and tests). */
size_t sg_refs_snapshot_count_stories(const sg_refs_snapshot_t *snap);
/** Number of ReferenceGrants in the snapshot. */
size_t sg_refs_snapshot_count_grants(const sg_refs_snapshot_t *snap);
/** Number of Namespaces in the snapshot. */
size_t sg_refs_snapshot_count_namespaces(const sg_refs_snapshot_t *snap);

/** 1 when `grant` lets a StoryTrigger in namespace `from` reference Story `to`/`story_name` (§3.5: trimmed fields,
 * exact matches, no wildcards; an absent or blank to[].name matches every Story). */
int sg_refs_grant_matches(const sg_refs_grant_t *grant, sg_span_t from, sg_span_t to, sg_span_t story_name);

/** The cross-namespace decision of §3.5 for a trigger in `from_ns` referencing Story `to_ns`/`story_name`. Namespaces
 * are trimmed here. `snap` may be NULL (no store access): then `grant` yields SG_REFS_UNAVAILABLE, as does an
 * unsynced snapshot. Thread-safe. */
sg_refs_decision_t sg_refs_check_reference(const sg_refs_snapshot_t *snap, sg_refs_policy_t policy, sg_span_t from_ns,
                                           sg_span_t to_ns, sg_span_t story_name);

/** A holder publishing the current snapshot to readers on other threads. NULL when out of memory. */
sg_refs_holder_t *sg_refs_holder_new(void);
/** Frees the holder and drops its snapshot reference. NULL is accepted. */
void sg_refs_holder_free(sg_refs_holder_t *h);
/** Makes `snap` current, taking over the caller's reference (NULL clears); the previous snapshot is released. */
void sg_refs_holder_publish(sg_refs_holder_t *h, sg_refs_snapshot_t *snap);
/** The current snapshot with a new reference for the caller (release it), or NULL. Signature fits the admission
 * option `refs_acquire` with `ctx` = the holder. Thread-safe. */
sg_refs_snapshot_t *sg_refs_holder_acquire(void *holder);

/** Keeps `holder` current from `store`: subscribes to Story, ReferenceGrant and Namespace changes, lists the three
 * kinds and publishes a synced snapshot, then applies each later change to a clone and publishes that. Works over any
 * store backend. Namespaces are best effort: when they cannot be listed (e.g. RBAC without namespaces) the snapshot
 * starts without them (a warning is logged) and picks up the ones the store reports later.
 * `holder` and `store` are borrowed and must outlive the feed; `*out` belongs to the caller (sg_refs_feed_stop).
 * Blocks while listing; not for event loops. */
int sg_refs_feed_start(sg_refs_feed_t **out, sg_refs_holder_t *holder, sg_store_t *store, sg_error_t *err);
/** Unsubscribes and frees the feed; the holder keeps its last snapshot. NULL is accepted. */
void sg_refs_feed_stop(sg_refs_feed_t *feed);

#endif
