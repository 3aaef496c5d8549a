/* Operator policies: StoryTriggerPolicy files (policy.storygate.dev/v1alpha1, shaped like Kubernetes
 * ValidatingAdmissionPolicy) compiled into immutable refcounted sets, evaluated at admission, and hot-reloaded from a
 * directory (SIGHUP or file changes) without ever dropping the last good set. */
#ifndef STORYGATE_POLICY_H
#define STORYGATE_POLICY_H

#include <stddef.h>

#include <storygate/admission.h>
#include <storygate/arena.h>
#include <storygate/buf.h>
#include <storygate/error.h>
#include <storygate/json.h>
#include <storygate/metrics.h>

typedef struct st_sg_policy_set_t sg_policy_set_t;
typedef struct st_sg_policy_engine_t sg_policy_engine_t;

#define SG_POLICY_API_VERSION "policy.storygate.dev/v1alpha1"
#define SG_POLICY_KIND "StoryTriggerPolicy"
/* Kubernetes' limits for admission policy expressions. */
#define SG_POLICY_PER_CALL_COST_LIMIT 1000000ull
#define SG_POLICY_RUNTIME_COST_BUDGET 10000000ull
#define SG_POLICY_WARNING_MAX 256

/** Compiles the policy files `paths[0..npaths)` into a new set (refcount 1; sg_policy_set_release). Every problem is
 * appended to `diag` (may be NULL) as one line "file:line:column: message\n" and the first also goes to `err`; any
 * problem fails the whole load with SG_EINVALID (SG_EIO for an unreadable file). Thread-safe (no shared state). */
int sg_policy_set_load(sg_policy_set_t **out, const char *const *paths, size_t npaths, sg_buf_t *diag, sg_error_t *err);
/** sg_policy_set_load over the *.yaml / *.yml files of `dir` in name order (an empty directory gives an empty set). */
int sg_policy_set_load_dir(sg_policy_set_t **out, const char *dir, sg_buf_t *diag, sg_error_t *err);
/** Compiles one YAML stream held in memory; `filename` is used in messages. */
int sg_policy_set_load_yaml(sg_policy_set_t **out, const char *buf, size_t len, const char *filename, sg_buf_t *diag,
                            sg_error_t *err);
/** Number of policies in a set. */
size_t sg_policy_set_count(const sg_policy_set_t *s);
/** Name of policy `i` (borrowed). */
const char *sg_policy_set_name(const sg_policy_set_t *s, size_t i);
/** Adds a reference; returns `s`. NULL is accepted. Thread-safe. */
sg_policy_set_t *sg_policy_set_retain(sg_policy_set_t *s);
/** Drops a reference, freeing the set with the last one. NULL is accepted. Thread-safe. */
void sg_policy_set_release(sg_policy_set_t *s);

/* One request as policies see it. */
typedef struct st_sg_policy_input_t {
    const char *operation;             /* "CREATE", "UPDATE", "DELETE", "CONNECT" */
    const char *namespace_;            /* request namespace ("" when cluster-scoped) */
    const char *name;                  /* request name */
    const sg_json_t *object;           /* `object` (NULL = null) */
    const sg_json_t *old_object;       /* `oldObject` (NULL = null) */
    const sg_json_t *request;          /* `request`: the AdmissionRequest object (NULL = built from the fields above) */
    const sg_json_t *namespace_labels; /* labels of the request's Namespace for namespaceSelector (admission takes
                                          them from its refs snapshot); NULL (namespace unknown) = only the
                                          kubernetes.io/metadata.name label every namespace carries */
} sg_policy_input_t;

typedef struct st_sg_policy_annotation_t {
    const char *key;
    const char *value;
} sg_policy_annotation_t;

/* What the set decided. Strings live in the evaluation arena. */
typedef struct st_sg_policy_result_t {
    const char **denials; /* messages of failed Deny validations (and evaluation errors under failurePolicy Fail) */
    size_t ndenials;
    int deny_code;           /* HTTP code from the first denial's reason (422 Invalid by default) */
    const char *deny_reason; /* "Invalid", "Forbidden", "Unauthorized", "RequestEntityTooLarge" */
    const char **warnings;   /* Warn failures, each at most SG_POLICY_WARNING_MAX bytes */
    size_t nwarnings;
    sg_policy_annotation_t *annotations; /* auditAnnotations and validation_failure (Audit) */
    size_t nannotations;
    size_t _capd, _capw, _capa;
} sg_policy_result_t;

/** Evaluates every policy of `s` that matches `in`; memory (CEL scratch and results) from `arena`. Counts
 * evaluations in the metrics bound to the set (if any). Returns 0 or SG_ENOMEM. Thread-safe on a shared set. */
int sg_policy_evaluate(const sg_policy_set_t *s, const sg_policy_input_t *in, sg_arena_t *arena,
                       sg_policy_result_t *res);

typedef struct st_sg_policy_engine_opts_t {
    const char *dir;       /* policies.dir (copied) */
    sg_metrics_t *metrics; /* NULL = sg_metrics_default() */
    unsigned poll_ms;      /* how often the watcher looks at the directory; 0 = 1000 */
} sg_policy_engine_opts_t;

#define SG_POLICY_ENGINE_OPTS_INIT                                                                                     \
    {                                                                                                                  \
        NULL, NULL, 0                                                                                                  \
    }

/** Creates an engine and loads `opts->dir` once. A bad initial set fails with SG_EINVALID (messages in `diag` and
 * `err`) so a broken deployment is seen at start; later reloads never fail admission. `*out` belongs to the caller. */
int sg_policy_engine_new(sg_policy_engine_t **out, const sg_policy_engine_opts_t *opts, sg_buf_t *diag,
                         sg_error_t *err);
/** Stops the watcher and frees the engine (in-flight evaluations keep their set alive). NULL is accepted. */
void sg_policy_engine_free(sg_policy_engine_t *e);
/** Compiles the directory again on the calling thread and, on success, swaps the new set in atomically. On failure
 * the last good set stays, the errors are logged, storygate_policy_reload_total{result="failure"} is incremented
 * and SG_EINVALID/SG_EIO is returned. Never call it on an event-loop thread. Thread-safe. */
int sg_policy_engine_reload(sg_policy_engine_t *e, sg_error_t *err);
/** Starts a thread that reloads when the directory's files change (polled every poll_ms) or when
 * sg_policy_engine_request_reload is called. Returns 0 or SG_EIO. */
int sg_policy_engine_start_watcher(sg_policy_engine_t *e, sg_error_t *err);
/** Asks the watcher to reload now (e.g. on SIGHUP); returns at once. Thread-safe. */
void sg_policy_engine_request_reload(sg_policy_engine_t *e);
/** The current set, retained (release with sg_policy_set_release). Thread-safe; never blocks on a reload. */
sg_policy_set_t *sg_policy_engine_acquire(sg_policy_engine_t *e);
/** Successful reloads so far (the initial load included); for tests. Thread-safe. */
unsigned long sg_policy_engine_generation(const sg_policy_engine_t *e);

/** An sg_admission_validator_fn (ctx = sg_policy_engine_t *): evaluates the current set for StoryTrigger CREATE and
 * UPDATE and turns the result into the verdict (denial with all messages joined by "; ", warnings, audit
 * annotations). Thread-safe. */
int sg_policy_admission_validate(void *ctx, const sg_admission_request_t *req, sg_admission_verdict_t *v);

#endif
