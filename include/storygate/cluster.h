/* Cluster mode (store: kube): objects live in the Kubernetes apiserver, every replica serves admission from a refs
 * snapshot fed by the apiserver's watches, and only the replica holding the Lease runs the reconciler. */
#ifndef STORYGATE_CLUSTER_H
#define STORYGATE_CLUSTER_H

#include <storygate/admission.h>
#include <storygate/config.h>
#include <storygate/error.h>
#include <storygate/http.h>
#include <storygate/store.h>

typedef struct st_sg_cluster_t sg_cluster_t;

/** Sets up cluster mode on `server` (after sg_http_server_listen, before sg_http_server_run; NULL = no server, for
 * tools and tests): loads the connection settings (kube.kubeconfig and kube.context, else $KUBECONFIG, the pod's
 * service account, ~/.kube/config), opens the kube store, publishes a refs snapshot kept current from its watches,
 * creates the admission engine (`aopts` plus the refs provider and the accept hint; it replaces the server's engine)
 * and starts leader election; the reconciler runs only while this replica holds the Lease (at once when
 * leaderElection.enabled is false). `cfg` and `server` are borrowed and must outlive the result; `*out` belongs to
 * the caller (sg_cluster_stop). SG_EINVALID/SG_EIO/SG_EUNAVAILABLE with a one-line message. Not thread-safe. */
int sg_cluster_start(sg_cluster_t **out, const sg_config_t *cfg, sg_http_server_t *server,
                     const sg_admission_opts_t *aopts, sg_error_t *err);

/** After sg_http_server_run returned: stops leader election (handing the Lease back when held), stops the reconciler
 * (its current items finish), closes the store and frees everything. NULL is accepted. */
void sg_cluster_stop(sg_cluster_t *c);

/** 1 while this replica's reconciler runs (it holds the Lease, or leader election is off). Thread-safe. */
int sg_cluster_is_leader(sg_cluster_t *c);

/** Waits up to `timeout_ms` for sg_cluster_is_leader to become `leading`; returns 1 when it did. For tests. */
int sg_cluster_wait_leader(sg_cluster_t *c, int leading, int timeout_ms);

/** The kube store of a running cluster (borrowed), for tools and tests. */
sg_store_t *sg_cluster_store(sg_cluster_t *c);

/** The admission engine of a running cluster (borrowed), for tools and tests. */
sg_admission_t *sg_cluster_admission(sg_cluster_t *c);

#endif
