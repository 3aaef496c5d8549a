/* Cluster mode setup and teardown: kube connection, kube store, refs snapshot, admission engine, leader election
 * and the leader-only reconciler, started in dependency order and stopped in reverse. */
#include <stdlib.h>
#include <string.h>

#include <storygate/api.h>
#include <storygate/log.h>

#include "internal.h"

static int connect_apiserver(sg_cluster_t *c, sg_error_t *err)
{
    sg_kube_config_t kc;
    sg_kube_config_init(&kc);
    int rc = sg_kube_config_load(&kc, c->cfg->kube.kubeconfig, c->cfg->kube.context, err);
    if (rc < 0) {
        sg_error_wrap(err, "kube connection settings");
        goto done;
    }
    sg_kube_client_opts_t co = SG_KUBE_CLIENT_OPTS_INIT;
    if ((rc = sg_kube_client_new(&c->client, &kc, &co, err)) < 0)
        goto done;
    sg_store_kube_opts_t so = SG_STORE_KUBE_OPTS_INIT;
    so.client = c->client;
    if ((rc = sg_store_open_kube(&c->store, &so, err)) < 0)
        goto done;
    sg_log_info("cluster: apiserver", "server", SG_LOG_STR, kc.server, "namespace", SG_LOG_STR, kc.namespace_, NULL);
done:
    sg_kube_config_dispose(&kc);
    return rc;
}

/* leaderElection.namespace, else $POD_NAMESPACE, else the connection's namespace (the pod's, or the context's). */
static const char *lease_namespace(sg_cluster_t *c)
{
    const char *ns = c->cfg->leader_election.namespace_;
    if (ns == NULL || ns[0] == '\0')
        ns = getenv("POD_NAMESPACE");
    if (ns == NULL || ns[0] == '\0')
        ns = sg_kube_client_namespace(c->client);
    return ns;
}

static int start_election(sg_cluster_t *c, sg_error_t *err)
{
    const sg_config_t *cfg = c->cfg;
    if ((c->lease_ns = strdup(lease_namespace(c))) == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    sg_kube_lease_opts_t lo = SG_KUBE_LEASE_OPTS_INIT;
    lo.client = c->client;
    lo.namespace_ = c->lease_ns;
    lo.name = cfg->leader_election.name;
    lo.lease_duration_ms = (int)cfg->leader_election.lease_duration_seconds * 1000;
    lo.renew_deadline_ms = (int)cfg->leader_election.renew_deadline_seconds * 1000;
    lo.retry_period_ms = (int)cfg->leader_election.retry_period_seconds * 1000;
    lo.callbacks.on_started_leading = sg_cluster__on_started_leading;
    lo.callbacks.on_stopped_leading = sg_cluster__on_stopped_leading;
    lo.callbacks.ctx = c;
    sg_kube_lease_t *lease = NULL;
    int rc = sg_kube_lease_start(&lease, &lo, err);
    if (rc < 0)
        return rc;
    __atomic_store_n(&c->lease, lease, __ATOMIC_RELEASE);
    sg_log_info("cluster: leader election started", "lease", SG_LOG_STR, lo.name, "namespace", SG_LOG_STR, c->lease_ns,
                "identity", SG_LOG_STR, sg_kube_lease_identity(c->lease), NULL);
    return SG_OK;
}

int sg_cluster_start(sg_cluster_t **out, const sg_config_t *cfg, sg_http_server_t *server,
                     const sg_admission_opts_t *aopts, sg_error_t *err)
{
    int rc;
    *out = NULL;
    sg_cluster_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    c->cfg = cfg;
    c->server = server;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);

    if ((rc = connect_apiserver(c, err)) < 0)
        goto fail;
    if ((c->refs = sg_refs_holder_new()) == NULL) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = sg_refs_feed_start(&c->feed, c->refs, c->store, err)) < 0) {
        sg_error_wrap(err, "reading Stories and ReferenceGrants from the apiserver");
        goto fail;
    }

    sg_admission_opts_t ao;
    sg_api_admission_opts(&ao, cfg, aopts, c->refs, sg_cluster__on_accept, c);
    if ((rc = sg_admission_new(&c->adm, &ao, err)) < 0)
        goto fail;

    sg_reconciler_opts_t ro;
    sg_api_reconciler_opts(&ro, cfg, c->store, ao.cross_namespace_policy);
    ro.notfound_retries = SG_CLUSTER__NOTFOUND_RETRIES;
    ro.may_work = sg_cluster__may_work;
    ro.may_work_ctx = c;
    c->ropts = ro;

    if ((rc = sg_cluster__leader_start(c, err)) < 0)
        goto fail;
    if (cfg->leader_election.enabled != 0) {
        if ((rc = start_election(c, err)) < 0)
            goto fail;
    } else {
        sg_log_warn("cluster: leader election is off; run a single replica", NULL);
        sg_cluster__on_started_leading(c);
    }
    if (server != NULL)
        sg_http_server_set_admission(server, c->adm);
    *out = c;
    return SG_OK;
fail:
    sg_cluster_stop(c);
    return rc;
}

void sg_cluster_stop(sg_cluster_t *c)
{
    if (c == NULL)
        return;
    sg_cluster__leader_stop(c);
    sg_kube_lease_stop(c->lease); /* hands the Lease back: the next leader need not wait for it to expire */
    sg_refs_feed_stop(c->feed);
    sg_store_close(c->store);
    sg_kube_client_free(c->client);
    sg_refs_holder_free(c->refs);
    sg_admission_free(c->adm);
    free(c->lease_ns);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cond);
    free(c);
}

sg_store_t *sg_cluster_store(sg_cluster_t *c)
{
    return c != NULL ? c->store : NULL;
}

sg_admission_t *sg_cluster_admission(sg_cluster_t *c)
{
    return c != NULL ? c->adm : NULL;
}
