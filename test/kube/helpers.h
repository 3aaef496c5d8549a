/* Shared helpers of the kube tests: a fake apiserver with a client and a kube store pointed at it. */
#ifndef SG_TEST_KUBE_HELPERS_H
#define SG_TEST_KUBE_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storygate/kube.h>
#include <storygate/log.h>

#include "fakeapi.h"

/* Reconnect and retry warnings are expected in these tests; keep errors visible. */
static inline void quiet_logs(void)
{
    sg_log_set_level(SG_LOG_ERROR);
}

/* A client for the fake server trusting its certificate. `token` may be NULL. */
static inline sg_kube_client_t *client_for(fakeapi_t *f, const char *token, sg_metrics_t *m)
{
    sg_kube_config_t cfg;
    sg_kube_config_init(&cfg);
    cfg.server = strdup(fakeapi_url(f));
    size_t n;
    const char *pem = fakeapi_ca_pem(f, &n);
    cfg.ca_data = malloc(n + 1);
    memcpy(cfg.ca_data, pem, n + 1);
    cfg.ca_data_len = n;
    cfg.namespace_ = strdup("default");
    if (token != NULL)
        cfg.token = strdup(token);
    sg_kube_client_opts_t o = SG_KUBE_CLIENT_OPTS_INIT;
    o.backoff_base_ms = 10;
    o.backoff_max_ms = 2000;
    o.metrics = m;
    sg_kube_client_t *c = NULL;
    sg_error_t err = SG_ERROR_INIT;
    if (sg_kube_client_new(&c, &cfg, &o, &err) != SG_OK)
        fprintf(stderr, "client: %s\n", err.message);
    sg_kube_config_dispose(&cfg);
    return c;
}

static inline sg_store_t *store_for(sg_kube_client_t *c)
{
    sg_store_kube_opts_t o = SG_STORE_KUBE_OPTS_INIT;
    o.client = c;
    o.watch_timeout_s = 5;
    sg_store_t *s = NULL;
    sg_error_t err = SG_ERROR_INIT;
    if (sg_store_open_kube(&s, &o, &err) != SG_OK)
        fprintf(stderr, "store: %s\n", err.message);
    return s;
}

/* The fixture of the tests that need a store: a fake apiserver, a registry, a client (bearer `token`, may be NULL)
 * and a kube store on it. */
typedef struct {
    fakeapi_t *api;
    sg_metrics_t *reg;
    sg_kube_client_t *client;
    sg_store_t *st;
} kube_fx_t;

static inline void kube_fx_open(kube_fx_t *fx, const char *token)
{
    quiet_logs();
    fx->api = fakeapi_start();
    cr_assert_not_null(fx->api);
    fx->reg = sg_metrics_new();
    fx->client = client_for(fx->api, token, fx->reg);
    cr_assert_not_null(fx->client);
    fx->st = store_for(fx->client);
    cr_assert_not_null(fx->st);
}

static inline void kube_fx_close(kube_fx_t *fx)
{
    sg_store_close(fx->st);
    sg_kube_client_free(fx->client);
    fakeapi_stop(fx->api);
    sg_metrics_free(fx->reg);
}

static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits up to `ms` for `cond` to hold, polling. */
#define WAIT_FOR(cond, ms)                                                                                             \
    do {                                                                                                               \
        for (int w__ = 0; w__ < (ms) / 10 && !(cond); w__++)                                                           \
            sleep_ms(10);                                                                                              \
    } while (0)

#endif
