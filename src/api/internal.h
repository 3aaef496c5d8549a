/* Private parts of the embedded API: the resource table, request paths and query parameters, selectors, Status and
 * Table bodies, the worker pool that runs blocking store calls off the event loops, per-loop state and watches. */
#ifndef STORYGATE_API_INTERNAL_H
#define STORYGATE_API_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <storygate/api.h>
#include <storygate/buf.h>
#include <storygate/json.h>
#include <storygate/store.h>

/* ---- resources (resource.c) ----------------------------------------------------------------------------------- */

typedef struct st_sg_api__column_t {
    const char *name;
    const char *type;   /* "string", "date", "integer" */
    const char *format; /* "name" for the Name column, else "" */
    const char *path;   /* dotted JSON path (".spec.storyRef.name" without the leading dot) */
    const char *description;
} sg_api__column_t;

typedef struct st_sg_api__resource_t {
    sg_store_kind_t kind;
    const char *group; /* "" = the core group, served under /api/v1 */
    const char *version;
    const char *plural;
    const char *singular;
    const char *kind_name;
    const char *list_kind;
    const char *short_name;
    const char *const *categories;
    int writable; /* create and delete over the API (StoryRuns are written by the reconciler only) */
    int has_status;
    const sg_api__column_t *columns; /* printer columns after Name, NULL-name terminated */
    int namespaced;                  /* 0 = cluster-scoped (Namespace): paths and objects carry no namespace */
    const char *api_version;         /* "<group>/<version>", or the version alone for the core group */
} sg_api__resource_t;

/** The resource table (SG_KIND__COUNT entries, in kind order). */
extern const sg_api__resource_t sg_api__resources[SG_KIND__COUNT];
/** The resource for group/version/plural, or NULL. */
const sg_api__resource_t *sg_api__resource_find(const char *group, size_t glen, const char *version, size_t vlen,
                                                const char *plural, size_t plen);
/** The resource of a store kind. */
const sg_api__resource_t *sg_api__resource_of(sg_store_kind_t kind);

/* ---- Namespaces (namespace.c) --------------------------------------------------------------------------------- */

/** What the apiserver sets on every Namespace it stores, applied to `obj` in place (new nodes from `arena`): the
 * kubernetes.io/metadata.name label (= metadata.name) and status.phase Active. 0 or SG_ENOMEM. */
int sg_api__namespace_defaults(sg_json_t *obj, sg_arena_t *arena);

/* ---- paths and query (path.c) --------------------------------------------------------------------------------- */

typedef enum en_sg_api__path_type_t {
    SG_API__PATH_INVALID = 0,
    SG_API__PATH_VERSION,       /* /version */
    SG_API__PATH_CORE,          /* /api */
    SG_API__PATH_CORE_V1,       /* /api/v1 */
    SG_API__PATH_GROUPS,        /* /apis */
    SG_API__PATH_GROUP,         /* /apis/<group> */
    SG_API__PATH_GROUP_VERSION, /* /apis/<group>/<version> */
    SG_API__PATH_COLLECTION,    /* /apis/<g>/<v>[/namespaces/<ns>]/<plural>, or /api/v1/<plural> (cluster-scoped) */
    SG_API__PATH_OBJECT,        /* /apis/<g>/<v>/namespaces/<ns>/<plural>/<name>[/status], or /api/v1/<plural>/<name> */
} sg_api__path_type_t;

#define SG_API__NAME_MAX 253

typedef struct st_sg_api__path_t {
    sg_api__path_type_t type;
    const char *group; /* GROUP, GROUP_VERSION: a known group (static) */
    const sg_api__resource_t *res;
    char ns[SG_API__NAME_MAX + 1];   /* "" = all namespaces */
    char name[SG_API__NAME_MAX + 1]; /* OBJECT */
    int status;                      /* OBJECT: the /status subresource */
} sg_api__path_t;

/** Parses a request path (without the query). Unknown groups, versions and resources give SG_ENOTFOUND; malformed
 * names (empty, too long, not a DNS subdomain) SG_EINVALID with a message. */
int sg_api__path_parse(sg_api__path_t *out, const char *path, size_t len, sg_error_t *err);

typedef struct st_sg_api__query_t {
    int watch;
    int has_rv;
    uint64_t resource_version;
    char *label_selector; /* decoded, NUL-terminated; NULL when absent (memory from the arena) */
    char *field_selector;
    size_t limit;
    long timeout_seconds; /* 0 = none */
    int dry_run;
    int include_object; /* Table rows: 0 None, 1 Metadata (default), 2 Object */
    int strict_fields;  /* fieldValidation=Strict: unknown fields fail the request */
} sg_api__query_t;

/** Parses a query string (after '?', URL-decoded with '+' as space). Unknown parameters are ignored. SG_EINVALID on
 * a bad number or encoding. Strings come from `arena`. */
int sg_api__query_parse(sg_api__query_t *out, const char *q, size_t len, sg_arena_t *arena, sg_error_t *err);

/** 1 when an Accept header asks for a meta.k8s.io Table. */
int sg_api__accept_table(const char *accept, size_t len);

/* ---- bodies (status.c, discovery.c, table.c) ------------------------------------------------------------------ */

/** Appends a Kubernetes Status failure: code, reason, message, details {name, group, kind}. */
int sg_api__status_write(sg_buf_t *out, int code, const char *reason, const char *message, const char *name,
                         const sg_api__resource_t *res);
/** The reason a code maps to ("NotFound", "AlreadyExists", "Conflict", "Invalid", ...). Static. */
const char *sg_api__status_reason(int code);
/** Writes the Status for a store error code (SG_ENOTFOUND -> 404 "<plural>.<group> \"name\" not found", ...). Returns
 * the HTTP status. */
int sg_api__status_for_error(sg_buf_t *out, int rc, const sg_error_t *err, const sg_api__resource_t *res,
                             const char *name);

int sg_api__discovery_version(sg_buf_t *out);
int sg_api__discovery_core(sg_buf_t *out);
/** APIResourceList of the core group (/api/v1): its cluster-scoped resources (namespaces). */
int sg_api__discovery_core_v1(sg_buf_t *out);
int sg_api__discovery_groups(sg_buf_t *out);
int sg_api__discovery_group(sg_buf_t *out, const char *group);
/** APIResourceList of group/version with shortNames, categories, verbs and the status subresource. */
int sg_api__discovery_resources(sg_buf_t *out, const char *group);

/** The OpenAPI v3 discovery document (/openapi/v3) listing one document per group. */
int sg_api__openapi_root(sg_buf_t *out);
/** A minimal OpenAPI v3 document of a group (/openapi/v3/apis/<group>/v1alpha1; group "" = /openapi/v3/api/v1). */
int sg_api__openapi_group(sg_buf_t *out, const char *group);

/** Kubernetes' duration.HumanDuration ("45s", "2m3s", "5h", "3d"). */
void sg_api__human_duration(char *out, size_t size, int64_t seconds);
/** Appends a meta.k8s.io/v1 Table of `items` (parsed objects) with the resource's printer columns; `now` is the
 * reference for Age. `with_columns` 0 omits columnDefinitions (later watch events). */
int sg_api__table_write(sg_buf_t *out, const sg_api__resource_t *res, const sg_json_t *const *items, size_t n,
                        uint64_t resource_version, int include_object, int with_columns, int64_t now);

/* ---- misc ----------------------------------------------------------------------------------------------------- */

/** Appends a list object ({"kind":"<Kind>List","apiVersion",...,"metadata":{"resourceVersion"},"items":[...]}). The
 * items are already-encoded JSON objects. */
int sg_api__list_begin(sg_buf_t *out, const sg_api__resource_t *res, uint64_t rv);
int sg_api__list_end(sg_buf_t *out);

/** Loads bearer tokens from a file ("TOKEN[,read-only]" per line, '#' comments). Heap array in *out. */
int sg_api__tokens_load(char ***out, int **readonly, size_t *n, const char *path, sg_error_t *err);
/** Checks an Authorization header: 0 = ok, 401 = missing/wrong, 403 = read-only token on a write. Constant-time. */
int sg_api__tokens_check(char *const *tokens, const int *readonly, size_t n, const char *auth, size_t auth_len,
                         int write);

/** Parses an RFC 3339 time ("2026-01-02T03:04:05Z") into Unix seconds; -1 on error. */
int64_t sg_api__parse_time(const char *s, size_t len);

#endif
