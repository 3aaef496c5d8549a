/* Embedded mode: storygate as a small Kubernetes-shaped control plane on its own HTTPS server. REST paths under
 * /apis/ for Stories, ReferenceGrants, StoryTriggers and StoryRuns (create/get/list/delete/watch, selectors, Status
 * errors, Tables for kubectl), discovery, bearer-token auth, manifests loaded at start, the refs snapshot fed from
 * the store, and the reconciler. Blocking store calls run on a worker pool; results return to the event loops
 * through h2o_multithread messages. */
#ifndef STORYGATE_API_H
#define STORYGATE_API_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/admission.h>
#include <storygate/config.h>
#include <storygate/error.h>
#include <storygate/http.h>
#include <storygate/reconcile.h>
#include <storygate/refs.h>
#include <storygate/store.h>

typedef struct st_sg_api_t sg_api_t;

/** Sets up embedded mode on `server` (after sg_http_server_listen, before sg_http_server_run): opens the LMDB store in
 * cfg->data_dir, loads the manifests of cfg->api.manifests_dir, publishes a refs snapshot kept current from store
 * events, creates the admission engine used by the webhooks and the API (`aopts` plus the refs provider, the accept
 * hook feeding the reconciler and CRD schema validation; it replaces the server's engine), starts the reconciler and
 * registers the API routes. `cfg` and `server` are borrowed and must outlive the result. `*out` belongs to the caller
 * (sg_api_embedded_stop). SG_EIO/SG_EINVALID with a one-line message. Not thread-safe. */
int sg_api_embedded_start(sg_api_t **out, const sg_config_t *cfg, sg_http_server_t *server,
                          const sg_admission_opts_t *aopts, sg_error_t *err);

/** After sg_http_server_run returned: lets queued API jobs finish, stops the reconciler (the current item commits),
 * closes the store and frees everything. NULL is accepted. */
void sg_api_embedded_stop(sg_api_t *api);

/** The store of a running embedded API (borrowed), for tools and tests. */
sg_store_t *sg_api_store(sg_api_t *api);

/** Admission options of a server: `aopts` (NULL = defaults; its cross-namespace policy wins, else cfg's), refs from
 * `refs` (borrowed) and the accept hook `on_accept(on_accept_ctx, req)`. Thread-safe. */
void sg_api_admission_opts(sg_admission_opts_t *out, const sg_config_t *cfg, const sg_admission_opts_t *aopts,
                           sg_refs_holder_t *refs, sg_admission_accept_fn on_accept, void *on_accept_ctx);
/** Reconciler options for `store` (borrowed) and `policy`, with cfg's inline inputs limit, storage path and worker
 * count; the caller sets mode-specific hooks. Thread-safe. */
void sg_api_reconciler_opts(sg_reconciler_opts_t *out, const sg_config_t *cfg, sg_store_t *store,
                            sg_refs_policy_t policy);

/** Loads every *.yaml / *.yml file of `dir` (name order; multi-document) into `store`: Stories, ReferenceGrants and
 * v1 Namespaces (other kinds are skipped) are created, or updated when they exist. SG_EINVALID with "file:line:column:
 * message" on the first bad document. `*loaded` (may be NULL) gets the count. Blocking; not for event loops. */
int sg_api_manifests_load(sg_store_t *store, const char *dir, size_t *loaded, sg_error_t *err);

#endif
