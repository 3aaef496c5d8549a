/* Embedded mode setup and teardown: store, manifests, refs snapshot, admission engine, reconciler, worker pool and
 * routes, started in dependency order and stopped in reverse (the reconciler commits its current item before the
 * store closes). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <storygate/log.h>

#include "runtime.h"

/* Used when the config leaves them 0 (a config built without sg_config_init's defaults). */
#define POOL_THREADS 32
#define POOL_QUEUE 4096

static int open_store(sg_api_t *api, sg_error_t *err)
{
    const char *dir = api->cfg->data_dir != NULL ? api->cfg->data_dir : "var/storygate";
    /* create the parents too, so `--data-dir var/x` works on a fresh checkout */
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0750);
            *p = '/';
        }
    }
    sg_store_lmdb_opts_t so = SG_STORE_LMDB_OPTS_INIT;
    so.path = dir;
    int rc = sg_store_open_lmdb(&api->store, &so, err);
    if (rc < 0)
        sg_error_wrap(err, "data directory %s", dir);
    return rc;
}

int sg_api_embedded_start(sg_api_t **out, const sg_config_t *cfg, sg_http_server_t *server,
                          const sg_admission_opts_t *aopts, sg_error_t *err)
{
    int rc;
    *out = NULL;
    sg_api_t *api = calloc(1, sizeof(*api));
    if (api == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    api->cfg = cfg;
    api->server = server;
    api->max_body = cfg->http.max_body_bytes != 0 ? cfg->http.max_body_bytes : 7340032;
    pthread_mutex_init(&api->loops_mu, NULL);
    atomic_init(&api->nwatches, 0);
    sg_api__metrics_init(sg_metrics_default());

    if (cfg->api.token_file != NULL &&
        (rc = sg_api__tokens_load(&api->tokens, &api->tokens_ro, &api->ntokens, cfg->api.token_file, err)) < 0) {
        sg_error_wrap(err, "api.tokenFile");
        goto fail;
    }
    if (cfg->schema.enabled) {
        if ((rc = sg_schema_set_new(&api->schema, err)) < 0)
            goto fail;
        rc = cfg->schema.crd_dir != NULL ? sg_schema_set_load_dir(api->schema, cfg->schema.crd_dir, err)
                                         : sg_schema_set_load_builtin(api->schema, err);
        if (rc < 0)
            goto fail;
    }
    if ((rc = open_store(api, err)) < 0)
        goto fail;
    if (cfg->api.manifests_dir != NULL) {
        size_t loaded = 0;
        if ((rc = sg_api_manifests_load(api->store, cfg->api.manifests_dir, &loaded, err)) < 0)
            goto fail;
        sg_log_info("manifests loaded", "dir", SG_LOG_STR, cfg->api.manifests_dir, "objects", SG_LOG_U64,
                    (unsigned long long)loaded, NULL);
    }
    if ((api->refs = sg_refs_holder_new()) == NULL) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = sg_api__refs_start(api, err)) < 0)
        goto fail;

    sg_admission_opts_t ao;
    /* No webhook hint here: a trigger admitted through /validate lives in some external apiserver, not in this store;
     * triggers created through the API are enqueued once persisted, and store events enqueue the rest. */
    sg_api_admission_opts(&ao, cfg, aopts, api->refs, NULL, NULL);
    if ((rc = sg_admission_new(&api->adm, &ao, err)) < 0)
        goto fail;

    sg_reconciler_opts_t ro;
    sg_api_reconciler_opts(&ro, cfg, api->store, ao.cross_namespace_policy);
    if ((rc = sg_reconciler_new(&api->reconciler, &ro, err)) < 0)
        goto fail;

    if ((rc = sg_store_subscribe(api->store, sg_api__on_store_event, api, err)) < 0)
        goto fail;
    api->events_subscribed = 1;
    /* api.maxQueuedRequests bounds what waits on a saturated store; beyond it requests get 429 with Retry-After */
    size_t workers = cfg->api.workers != 0 ? cfg->api.workers : POOL_THREADS;
    size_t queue = cfg->api.max_queued_requests != 0 ? cfg->api.max_queued_requests : POOL_QUEUE;
    if ((rc = sg_api__pool_start(&api->pool, workers, queue, err)) < 0)
        goto fail;
    api->pool_started = 1;
    if ((rc = sg_api__routes_add(api, err)) < 0)
        goto fail;
    if ((rc = sg_reconciler_start(api->reconciler, err)) < 0)
        goto fail;
    sg_http_server_set_admission(server, api->adm);
    sg_log_info("embedded API ready", "dataDir", SG_LOG_STR, cfg->data_dir, "resourceVersion", SG_LOG_U64,
                (unsigned long long)sg_store_resource_version(api->store), "auth", SG_LOG_BOOL, api->ntokens != 0,
                "workers", SG_LOG_U64, (unsigned long long)workers, "maxQueuedRequests", SG_LOG_U64,
                (unsigned long long)queue, NULL);
    *out = api;
    return SG_OK;
fail:
    sg_api_embedded_stop(api);
    return rc;
}

void sg_api_embedded_stop(sg_api_t *api)
{
    if (api == NULL)
        return;
    if (api->pool_started)
        sg_api__pool_stop(&api->pool); /* queued jobs finish; their replies go to loops that no longer run */
    api->pool_started = 0;
    if (api->reconciler != NULL)
        sg_reconciler_stop(api->reconciler);
    if (api->events_subscribed)
        sg_store_unsubscribe(api->store, sg_api__on_store_event, api);
    sg_api__refs_stop(api);
    sg_reconciler_free(api->reconciler);
    sg_store_close(api->store);
    sg_refs_holder_free(api->refs);
    sg_admission_free(api->adm);
    sg_schema_set_free(api->schema);
    for (size_t i = 0; i < api->ntokens; i++)
        free(api->tokens[i]);
    free(api->tokens);
    free(api->tokens_ro);
    sg_api__loops_free(api);
    pthread_mutex_destroy(&api->loops_mu);
    free(api);
}

sg_store_t *sg_api_store(sg_api_t *api)
{
    return api != NULL ? api->store : NULL;
}
