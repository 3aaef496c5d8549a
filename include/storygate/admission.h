/* AdmissionReview v1 handling for StoryTriggers: decode once, mutate (JSON Patch) or validate, encode the response.
 * Also the StoryTrigger rule set of spec §3.3/§3.5 as plain functions, shared with the reconciler (§4.2 step 3). */
#ifndef STORYGATE_ADMISSION_H
#define STORYGATE_ADMISSION_H

#include <stddef.h>

#include <storygate/arena.h>
#include <storygate/buf.h>
#include <storygate/error.h>
#include <storygate/gostr.h>
#include <storygate/json.h>
#include <storygate/refs.h>

typedef struct st_sg_admission_t sg_admission_t;

typedef enum en_sg_admission_webhook_t {
    SG_ADMISSION_VALIDATE,
    SG_ADMISSION_MUTATE,
} sg_admission_webhook_t;

typedef enum en_sg_admission_op_t {
    SG_ADMISSION_OP_UNKNOWN = 0,
    SG_ADMISSION_OP_CREATE,
    SG_ADMISSION_OP_UPDATE,
    SG_ADMISSION_OP_DELETE,
    SG_ADMISSION_OP_CONNECT,
} sg_admission_op_t;

/** "CREATE", "UPDATE", "DELETE" or "CONNECT" (static); NULL for SG_ADMISSION_OP_UNKNOWN or another value. */
const char *sg_admission_op_name(sg_admission_op_t op);

/* Which §3.3/§3.5 checks sg_admission_validate_trigger runs (in the spec's order, first failure wins). */
typedef enum en_sg_trigger_checks_t {
    SG_TRIGGER_CHECK_IDENTITY = 1 << 0,   /* checks 1-5: storyRef.name, submissionId, mode/key, inputHash required */
    SG_TRIGGER_CHECK_INPUT_HASH = 1 << 1, /* checks 6-7: inputs decode and match inputHash */
    SG_TRIGGER_CHECK_NAME = 1 << 2,       /* checks 8-10: metadata.name present, no generateName, derived name */
    SG_TRIGGER_CHECK_POLICY = 1 << 3,     /* check 11: cross-namespace policy and ReferenceGrants */
    SG_TRIGGER_CHECK_STORY = 1 << 4,      /* checks 12-14: Story exists, version matches (needs a snapshot) */
    SG_TRIGGER_CHECKS_ADMISSION = 0x1F,
    /* §4.2 step 3: the reconciler's re-validation (the hash and the Story come later with other reasons) */
    SG_TRIGGER_CHECKS_RECONCILE = SG_TRIGGER_CHECK_IDENTITY | SG_TRIGGER_CHECK_NAME | SG_TRIGGER_CHECK_POLICY,
} sg_trigger_checks_t;

/* spec.storyRef / spec.impulseRef as sent (untrimmed; empty spans when absent). */
typedef struct st_sg_trigger_ref_t {
    int present; /* the object is there (not absent, not null) */
    sg_span_t name;
    sg_span_t namespace_;
    sg_span_t version;
    sg_span_t uid;
} sg_trigger_ref_t;

/* A StoryTrigger decoded once from its JSON object, every field type-checked. Spans borrow from the tree (untrimmed
 * spans of string values are NUL-terminated); JSON null counts as absent everywhere, as in Go. */
typedef struct st_sg_trigger_t {
    const sg_json_t *object;
    const sg_json_t *metadata; /* NULL when absent */
    const sg_json_t *spec;     /* NULL when absent */
    const sg_json_t *labels;   /* metadata.labels, an object of strings, or NULL */
    const sg_json_t *delivery; /* spec.deliveryIdentity object or NULL */
    const sg_json_t *inputs;   /* spec.inputs (any JSON value) or NULL when absent/null */
    sg_span_t name;            /* metadata.name */
    sg_span_t namespace_;      /* metadata.namespace */
    sg_span_t generate_name;   /* metadata.generateName */
    sg_span_t uid;             /* metadata.uid */
    int deleting;              /* metadata.deletionTimestamp is set */
    sg_trigger_ref_t story_ref;
    sg_trigger_ref_t impulse_ref;
    int has_mode;            /* deliveryIdentity.mode present */
    sg_span_t mode;          /* as sent; "none" when absent */
    int has_input_hash;      /* deliveryIdentity.inputHash present */
    sg_span_t key;           /* trimmed deliveryIdentity.key */
    sg_span_t input_hash;    /* trimmed deliveryIdentity.inputHash */
    sg_span_t submission_id; /* trimmed deliveryIdentity.submissionId */
    sg_span_t identity;      /* StoryTriggerIdentity(key, submission_id) */
    sg_span_t story_ns;      /* storyRef.namespace if non-empty, else metadata.namespace (untrimmed) */
    sg_span_t story_name;    /* storyRef.name (untrimmed) */
} sg_trigger_t;

typedef struct st_sg_admission_annotation_t {
    const char *key;
    const char *value;
} sg_admission_annotation_t;

/* The answer being built for one object. Starts allowed; the first denial sticks (later ones are ignored).
 * Strings are static or in `arena`. */
typedef struct st_sg_admission_verdict_t {
    int allowed;
    int code;                  /* status.code of a denial: 403 rule, 400 malformed, 500 internal, 503 unavailable */
    const char *status_reason; /* status.reason ("Forbidden", "ServiceUnavailable", ...), NULL for none */
    const char *rule;          /* machine reason of the denial (see docs), NULL while allowed */
    const char *message;       /* the denial message */
    const char **warnings;
    size_t nwarnings, _capwarnings;
    sg_admission_annotation_t *annotations; /* auditAnnotations; keys are prefix-less (the apiserver prefixes them) */
    size_t nannotations, _capannotations;
    sg_arena_t *arena;
} sg_admission_verdict_t;

/* A decoded AdmissionReview request. Spans borrow from the parse tree (NUL-terminated). */
typedef struct st_sg_admission_request_t {
    sg_admission_webhook_t webhook;
    const char *api_version; /* "admission.k8s.io/v1" or ".../v1beta1", echoed in the response */
    sg_span_t uid;
    sg_admission_op_t op;
    sg_span_t operation; /* as sent */
    sg_span_t kind_group, kind_version, kind_kind;
    sg_span_t resource_group, resource_version, resource_resource, sub_resource;
    sg_span_t name, namespace_;
    int dry_run;
    sg_span_t username;
    const sg_json_t *user_info; /* request.userInfo or NULL */
    const sg_json_t *request;   /* the whole request object */
    const sg_json_t *object;    /* NULL when absent or null */
    const sg_json_t *old_object;
    int is_trigger;                  /* a runs.bubustack.io StoryTrigger (by kind or by resource) */
    const sg_trigger_t *trigger;     /* decoded object (CREATE, UPDATE), else NULL */
    const sg_trigger_t *old_trigger; /* decoded oldObject (UPDATE), else NULL */
    sg_arena_t *arena;               /* per-request memory for hooks */
    const sg_refs_snapshot_t *refs;  /* the snapshot this review reads (Stories, grants, Namespace labels), acquired
                                        once per review and valid while validators run; NULL = no store access */
} sg_admission_request_t;

/** An extra validation rule (CEL schema rules, operator policies). Runs on /validate for StoryTrigger CREATE and
 * UPDATE (not for objects being deleted) after the built-in rules allowed. Deny with sg_admission_deny, add warnings or
 * audit annotations. Returns 0, or a negative SG_E* for an internal failure (the review is then denied with 500).
 * Called concurrently from every HTTP worker: must be thread-safe and must not block. */
typedef int (*sg_admission_validator_fn)(void *ctx, const sg_admission_request_t *req, sg_admission_verdict_t *v);

typedef struct st_sg_admission_validator_t {
    const char *name; /* used as the rule of a denial that sets none */
    sg_admission_validator_fn fn;
    void *ctx;
} sg_admission_validator_t;

/** Called on /validate after an allowed, non-dry-run StoryTrigger CREATE (the reconciler hint). Runs on an HTTP
 * worker: must copy what it keeps (the request lives in the request arena) and must not block. */
typedef void (*sg_admission_accept_fn)(void *ctx, const sg_admission_request_t *req);

typedef struct st_sg_admission_opts_t {
    sg_refs_policy_t cross_namespace_policy;
    /* Returns a retained snapshot (released after the review) or NULL. Unset = no store access: the Story checks
     * 12-14 are skipped and policy `grant` denies (grants cannot be read). sg_refs_holder_acquire fits. */
    sg_refs_snapshot_t *(*refs_acquire)(void *ctx);
    void *refs_ctx;
    const sg_admission_validator_t *validators; /* copied at creation */
    size_t nvalidators;
    sg_admission_accept_fn on_accept;
    void *on_accept_ctx;
    size_t max_depth;  /* JSON nesting of the review body; 0 = 128 */
    size_t max_string; /* longest JSON string in bytes; 0 = 1 MiB */
    size_t max_body;   /* bodies of this size or more get 413; 0 = 7340032 (controller-runtime's limit) */
    int no_labels;     /* 1 = /mutate adds no labels */
} sg_admission_opts_t;

#define SG_ADMISSION_OPTS_INIT                                                                                         \
    {                                                                                                                  \
        SG_REFS_POLICY_DENY, NULL, NULL, NULL, 0, NULL, NULL, 0, 0, 0, 0                                               \
    }

#define SG_ADMISSION_LABEL_STORY "runs.bubustack.io/story"
#define SG_ADMISSION_LABEL_IDENTITY_HASH "runs.bubustack.io/identity-hash"

/* What one review produced, for metrics and logs. Strings are static or live in the request arena. */
typedef struct st_sg_admission_outcome_t {
    int http_status;       /* 200 for every decoded review; 400 when the body is not an AdmissionReview, 413 too big */
    const char *operation; /* "CREATE", "UPDATE", "DELETE", "CONNECT", or "" when undecodable */
    int allowed;
    int ignored; /* object of another kind: allowed untouched */
    int patched; /* mutate: a patch was returned */
    int dry_run;
    const char *reason;  /* short machine reason: "ok", "ignored", a rule name, "malformed", "bad_request" */
    const char *message; /* the denial or error message, "" when allowed */
    const char *uid;
    const char *name;
    const char *namespace_;
    size_t nwarnings;
} sg_admission_outcome_t;

/** Creates an admission handler with `opts` (NULL = defaults). Returns 0, SG_EINVALID or SG_ENOMEM; `*out` belongs to
 * the caller (sg_admission_free). */
int sg_admission_new(sg_admission_t **out, const sg_admission_opts_t *opts, sg_error_t *err);
/** Frees the handler. NULL is accepted. */
void sg_admission_free(sg_admission_t *adm);
/** The cross-namespace policy the handler enforces (for the reconciler, so both agree). Thread-safe. */
sg_refs_policy_t sg_admission_policy(const sg_admission_t *adm);
/** A retained refs snapshot from the configured provider, or NULL (release with sg_refs_snapshot_release). */
sg_refs_snapshot_t *sg_admission_refs(const sg_admission_t *adm);

/** Handles one request body (already size-limited by the caller) for `webhook`. Writes the HTTP response body to
 * `out` (an AdmissionReview JSON line; for http_status 400/413 one whose response carries status.code and message)
 * and fills `outcome`. All per-request memory comes from `arena`. Returns 0, or SG_ENOMEM. Thread-safe: `adm` is
 * read-only after creation. */
int sg_admission_handle(sg_admission_t *adm, sg_admission_webhook_t webhook, const char *content_type, const char *body,
                        size_t len, sg_arena_t *arena, sg_buf_t *out, sg_admission_outcome_t *outcome);

/** Writes the AdmissionReview-shaped error body used for transport failures (413 from the HTTP layer, 400 here):
 * allowed false, status.code `code`, status.message `message`. Returns 0 or SG_ENOMEM. */
int sg_admission_write_error(sg_buf_t *out, int code, const char *message);

/** Decodes a StoryTrigger object into `t`, checking the type of every field the rules read. On a wrong type returns
 * SG_EINVALID with a message naming the path under `path` (e.g. "request.object.spec.deliveryIdentity.key: expected
 * string, got number"; `path` "" gives "spec..."). No allocation; `t` borrows from `object`. Thread-safe. */
int sg_admission_trigger_decode(sg_trigger_t *t, const sg_json_t *object, const char *path, sg_error_t *err);

/** Prepares an allowed verdict whose strings go to `arena`. */
void sg_admission_verdict_init(sg_admission_verdict_t *v, sg_arena_t *arena);
/** Denies with status.code `code` (status.reason follows: 403 "Forbidden", 422 "Invalid", 500 "InternalError", 503
 * "ServiceUnavailable", 400 none), machine reason `rule` (static; NULL = the validator's name) and a
 * formatted message; a verdict already denied keeps its first denial. Returns 0 or SG_ENOMEM. */
int sg_admission_deny(sg_admission_verdict_t *v, int code, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Adds a warning (response.warnings). Returns 0 or SG_ENOMEM. */
int sg_admission_warn(sg_admission_verdict_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Adds or replaces an audit annotation (prefix-less key, e.g. "policy"). Strings are copied. Returns 0 or SG_ENOMEM.
 */
int sg_admission_annotate(sg_admission_verdict_t *v, const char *key, const char *value);

/** Runs the selected §3.3/§3.5 checks on a decoded trigger in the spec's order (check 6, inputs Go cannot decode, is
 * caught when the body is parsed: the tree's inputs are hashed directly) and denies `v` with the exact message
 * of the first failure (rule names: story_ref_name_required, submission_id_required, key_must_be_empty, key_required,
 * input_hash_required, input_hash_mismatch, name_required, generate_name_set, name_mismatch,
 * cross_namespace_denied, cross_namespace_no_grant, grants_unavailable, story_not_found, story_unavailable,
 * story_version_mismatch). `refs` NULL skips the Story checks (12-14); policy `grant` then denies as unavailable.
 * Returns 0 (see v->allowed) or SG_ENOMEM. Thread-safe. */
int sg_admission_validate_trigger(sg_admission_verdict_t *v, const sg_trigger_t *t, unsigned checks,
                                  sg_refs_policy_t policy, const sg_refs_snapshot_t *refs);

/** 1 when two StoryTrigger specs are equal for the immutability rule: deep equality with null members treated as
 * absent, `inputs` compared by their compact encoding (raw bytes modulo white space), absent != present-but-empty.
 * Returns -1 on allocation failure. */
int sg_admission_spec_equal(const sg_json_t *old_spec, const sg_json_t *new_spec);

/** The JSON Patch (RFC 6902 array, not base64) /mutate applies to `t` on CREATE (`old` NULL) or UPDATE: explicit
 * deliveryIdentity.mode ("none" when absent), deliveryIdentity.inputHash when a key is set and the hash is blank,
 * and the story/identity-hash labels; on UPDATE only mode/inputHash carried over from `old`. Never overwrites a value
 * the client set. Appends nothing to `patch` when there is nothing to do. Returns 0 or SG_ENOMEM. */
int sg_admission_mutation(sg_buf_t *patch, sg_admission_verdict_t *v, const sg_trigger_t *t, const sg_trigger_t *old,
                          int labels);

/** The CREATE path of both webhooks on a bare StoryTrigger object (the embedded API, which has no apiserver in front):
 * applies the /mutate defaults to `obj` in place (new nodes from `arena`), then runs the /validate rules with the refs
 * snapshot and the extra validators, as for an AdmissionReview CREATE. `v` (initialised by the caller) gets the
 * verdict; the accept hook is not called, since the caller persists first. Returns 0 or SG_ENOMEM. Thread-safe. */
int sg_admission_review_create(sg_admission_t *adm, sg_json_t *obj, int dry_run, sg_admission_verdict_t *v,
                               sg_arena_t *arena);

/** The UPDATE path of both webhooks on bare objects (embedded API): `obj` (the new object, changed in place) gets the
 * /mutate carry-over of deliveryIdentity.mode/inputHash from `old_obj` (the stored object); then, unless `obj` is being
 * deleted, spec immutability and the extra validators decide. Returns 0 (see v->allowed) or SG_ENOMEM. Thread-safe. */
int sg_admission_review_update(sg_admission_t *adm, const sg_json_t *old_obj, sg_json_t *obj, int dry_run,
                               sg_admission_verdict_t *v, sg_arena_t *arena);

#endif
