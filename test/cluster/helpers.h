/* Shared fixtures of the cluster tests: the apiserver double with a kubeconfig for it, a cluster-mode config, and
 * StoryTriggers with correctly derived names. */
#ifndef SG_TEST_CLUSTER_HELPERS_H
#define SG_TEST_CLUSTER_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <storygate/cluster.h>
#include <storygate/config.h>
#include <storygate/identity.h>
#include <storygate/log.h>
#include <storygate/store.h>

#include "../kube/fakeapi.h"

static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls `cond` every 10 ms for up to `ms`. */
#define WAIT_FOR(cond, ms)                                                                                             \
    do {                                                                                                               \
        for (int w__ = 0; w__ < (ms) / 10 && !(cond); w__++)                                                           \
            sleep_ms(10);                                                                                              \
    } while (0)

/* Writes `text` to `dir`/`name`; returns the path (heap). */
static inline char *write_tmp(const char *dir, const char *name, const char *text, size_t len)
{
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    return path;
}

/* A kubeconfig for `f` in `dir` (trusting its CA, namespace storygate-system); returns its path (heap). */
static inline char *kubeconfig_for(fakeapi_t *f, const char *dir)
{
    size_t n;
    const char *pem = fakeapi_ca_pem(f, &n);
    free(write_tmp(dir, "ca.crt", pem, n));
    char text[2048];
    int len = snprintf(text, sizeof(text),
                       "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: %s\n"
                       "    certificate-authority: ca.crt\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n"
                       "- name: fake\n  context: {cluster: fake, user: u, namespace: storygate-system}\n"
                       "current-context: fake\n",
                       fakeapi_url(f));
    return write_tmp(dir, "kubeconfig", text, (size_t)len);
}

static inline void set_key(sg_config_t *cfg, const char *key, const char *value)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_set(cfg, key, value, &err), SG_OK, "%s=%s: %s", key, value, err.message);
}

/* A cluster-mode config for `kubeconfig` with short lease timings (3/2/1 s). */
static inline void cluster_config(sg_config_t *cfg, const char *kubeconfig)
{
    sg_config_init(cfg);
    set_key(cfg, "store", "kube");
    set_key(cfg, "kube.kubeconfig", kubeconfig);
    set_key(cfg, "leaderElection.leaseDurationSeconds", "3");
    set_key(cfg, "leaderElection.renewDeadlineSeconds", "2");
    set_key(cfg, "leaderElection.retryPeriodSeconds", "1");
    set_key(cfg, "reconcile.workers", "4");
    set_key(cfg, "tls.certFile", "unused.crt"); /* no server here, but validation wants them */
    set_key(cfg, "tls.keyFile", "unused.key");
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_validate(cfg, &err), SG_OK, "%s", err.message);
}

static inline void put_story(sg_store_t *s, const char *ns, const char *name)
{
    char j[256];
    snprintf(j, sizeof(j), "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"steps\":[{\"name\":\"a\",\"type\":\"stop\"}]}}",
             name);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(s, NULL, SG_KIND_STORY, ns, j, strlen(j), NULL, &err), SG_OK, "%s", err.message);
}

/* Creates an unkeyed trigger for Story ns/story with `submission`; its derived name goes to `name`. `origin` tags
 * the write (a reconciler ignores its own). */
static inline void put_trigger(sg_store_t *s, const char *ns, const char *story, const char *submission,
                               char name[SG_IDENTITY_NAME_MAX + 1], const void *origin)
{
    sg_identity_trigger_name(name, sg_span_cstr(ns), sg_span_cstr(story), sg_span_cstr(""), sg_span_cstr(submission));
    char j[1024];
    snprintf(j, sizeof(j),
             "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"storyRef\":{\"name\":\"%s\"},\"deliveryIdentity\":"
             "{\"submissionId\":\"%s\"}}}",
             name, story, submission);
    sg_store_write_opts_t wo = SG_STORE_WRITE_OPTS_INIT;
    wo.origin = origin;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(s, NULL, SG_KIND_STORYTRIGGER, ns, j, strlen(j), &wo, &err), SG_OK, "%s", err.message);
}

/* The trigger's status.decision ("" when none or absent). */
static inline const char *decision_of(sg_store_t *s, const char *ns, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    sg_buf_t b = SG_BUF_INIT;
    if (sg_store_get(s, &b, NULL, SG_KIND_STORYTRIGGER, ns, name, NULL) == SG_OK) {
        const char *d = memmem(b.base, b.len, "\"decision\":\"", 12);
        if (d != NULL) {
            d += 12;
            size_t n = strcspn(d, "\"");
            snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), d);
        }
    }
    sg_buf_dispose(&b);
    return out;
}

static inline int decided_created(sg_store_t *s, const char *ns, const char *name)
{
    char d[32];
    return strcmp(decision_of(s, ns, name, d, sizeof(d)), "Created") == 0;
}

#endif
