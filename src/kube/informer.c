/* Subscribers of the kube store: an informer per kind (list, then watch from the list's resourceVersion) started on
 * the first subscribe. Each informer caches the last state of every object it has seen, so that after 410 Gone it can
 * relist and turn the difference into ADDED, MODIFIED and DELETED events: subscribers see every change, even the
 * ones that happened while the watch was broken. Callbacks run on the informer threads, one at a time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/log.h>

#include "internal.h"

typedef struct st_centry_t {
    struct st_centry_t *next;
    uint64_t rv;
    size_t keylen, len;
    char *key;  /* "ns\0name\0" */
    char *json; /* last state */
} centry_t;

typedef struct st_cache_t {
    centry_t **b;
    size_t nb, n;
} cache_t;

typedef struct st_kinformer_t {
    struct st_sg_kube__informer_t *parent;
    sg_store_kind_t kind;
    pthread_t thread;
    int started;
    cache_t cache;
    uint64_t rv;
} kinformer_t;

struct st_sg_kube__informer_t {
    sg_kube__store_t *s;
    volatile int stop;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int synced, failed;
    sg_error_t error;
    kinformer_t kinds[SG_KIND__COUNT];
};

static uint64_t hash(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
    return h;
}

static centry_t **cache_slot(cache_t *c, const char *key, size_t keylen)
{
    if (c->nb == 0)
        return NULL;
    centry_t **p = &c->b[hash(key, keylen) % c->nb];
    while (*p != NULL && !((*p)->keylen == keylen && memcmp((*p)->key, key, keylen) == 0))
        p = &(*p)->next;
    return p;
}

static centry_t *cache_find(cache_t *c, const char *key, size_t keylen)
{
    centry_t **p = cache_slot(c, key, keylen);
    return p != NULL ? *p : NULL;
}

static void centry_free(centry_t *e)
{
    if (e != NULL) {
        free(e->key);
        free(e->json);
        free(e);
    }
}

static int cache_grow(cache_t *c)
{
    size_t nb = c->nb ? c->nb * 2 : 64;
    centry_t **b = calloc(nb, sizeof(*b));
    if (b == NULL)
        return SG_ENOMEM;
    for (size_t i = 0; i < c->nb; i++) {
        for (centry_t *e = c->b[i], *n; e != NULL; e = n) {
            n = e->next;
            size_t j = hash(e->key, e->keylen) % nb;
            e->next = b[j];
            b[j] = e;
        }
    }
    free(c->b);
    c->b = b;
    c->nb = nb;
    return SG_OK;
}

/* Records the last state of an object (copied). */
static int cache_put(cache_t *c, const char *key, size_t keylen, uint64_t rv, const char *json, size_t len)
{
    if (c->n + 1 > c->nb && cache_grow(c) != SG_OK)
        return SG_ENOMEM;
    centry_t **p = cache_slot(c, key, keylen);
    char *j = malloc(len + 1);
    if (j == NULL)
        return SG_ENOMEM;
    memcpy(j, json, len);
    j[len] = '\0';
    if (*p != NULL) {
        free((*p)->json);
        (*p)->json = j;
        (*p)->len = len;
        (*p)->rv = rv;
        return SG_OK;
    }
    centry_t *e = calloc(1, sizeof(*e));
    char *k = malloc(keylen + 1);
    if (e == NULL || k == NULL) {
        free(e);
        free(k);
        free(j);
        return SG_ENOMEM;
    }
    memcpy(k, key, keylen);
    k[keylen] = '\0';
    e->key = k;
    e->keylen = keylen;
    e->rv = rv;
    e->json = j;
    e->len = len;
    *p = e;
    c->n++;
    return SG_OK;
}

static void cache_del(cache_t *c, const char *key, size_t keylen)
{
    centry_t **p = cache_slot(c, key, keylen);
    if (p != NULL && *p != NULL) {
        centry_t *e = *p;
        *p = e->next;
        centry_free(e);
        c->n--;
    }
}

static void cache_dispose(cache_t *c)
{
    for (size_t i = 0; i < c->nb; i++)
        for (centry_t *e = c->b[i], *n; e != NULL; e = n) {
            n = e->next;
            centry_free(e);
        }
    free(c->b);
    memset(c, 0, sizeof(*c));
}

static void deliver(sg_kube__store_t *s, const sg_store_event_t *ev)
{
    pthread_mutex_lock(&s->sub_mu);
    for (size_t i = 0; i < s->nsubs; i++)
        s->subs[i].cb(s->subs[i].ctx, ev);
    pthread_mutex_unlock(&s->sub_mu);
}

static size_t make_key(char *buf, size_t cap, const char *ns, const char *name)
{
    size_t nl = strlen(ns), ml = strlen(name);
    if (nl + ml + 1 > cap)
        return 0;
    memcpy(buf, ns, nl);
    buf[nl] = '\0';
    memcpy(buf + nl + 1, name, ml);
    return nl + 1 + ml;
}

#define KEY_MAX (2 * SG_STORE_NAME_MAX + 2)

static int on_event(void *ud, const sg_store_event_t *ev)
{
    kinformer_t *ki = ud;
    char key[KEY_MAX];
    size_t kl = make_key(key, sizeof(key), ev->namespace_, ev->name);
    if (kl == 0)
        return 0;
    centry_t *e = cache_find(&ki->cache, key, kl);
    if (ev->type == SG_STORE_DELETED) {
        cache_del(&ki->cache, key, kl);
    } else {
        /* A replay of what the last relist already delivered. */
        if (e != NULL && e->rv >= ev->resource_version)
            return 0;
        if (cache_put(&ki->cache, key, kl, ev->resource_version, ev->json, ev->len) != SG_OK)
            sg_log_error("kube informer: out of memory", NULL);
    }
    sg_store_event_t out = *ev;
    if (ev->type != SG_STORE_DELETED)
        out.type = e != NULL ? SG_STORE_MODIFIED : SG_STORE_ADDED;
    deliver(ki->parent->s, &out);
    return ki->parent->stop;
}

/* Lists and, after the first time, turns the difference with the cache into events. */
static int relist(kinformer_t *ki, int initial, sg_error_t *err)
{
    sg_kube__store_t *s = ki->parent->s;
    sg_store_list_t l;
    sg_store_list_init(&l);
    int rc = sg_kube__store_list(s, &l, ki->kind, s->watch_ns, NULL, err);
    if (rc != SG_OK) {
        sg_store_list_dispose(&l);
        return rc;
    }
    cache_t fresh = {0};
    for (size_t i = 0; i < l.len && rc == SG_OK; i++) {
        sg_arena_t arena;
        sg_arena_init(&arena, 0);
        sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
        sg_json_t *o = NULL;
        if (sg_json_parse(&o, &arena, l.items[i].json, l.items[i].len, &popts, err) == SG_OK) {
            const char *ns = sg_json_string(sg_json_path(o, "metadata.namespace"), NULL);
            const char *name = sg_json_string(sg_json_path(o, "metadata.name"), NULL);
            char key[KEY_MAX];
            size_t kl = name != NULL ? make_key(key, sizeof(key), ns != NULL ? ns : "", name) : 0;
            if (kl > 0) {
                rc = cache_put(&fresh, key, kl, l.items[i].resource_version, l.items[i].json, l.items[i].len);
                centry_t *old = initial ? NULL : cache_find(&ki->cache, key, kl);
                if (rc == SG_OK && !initial && (old == NULL || old->rv != l.items[i].resource_version)) {
                    sg_store_event_t ev = {old == NULL ? SG_STORE_ADDED : SG_STORE_MODIFIED,
                                           ki->kind,
                                           l.items[i].resource_version,
                                           ns != NULL ? ns : "",
                                           name,
                                           l.items[i].json,
                                           l.items[i].len,
                                           NULL};
                    deliver(s, &ev);
                }
            }
        }
        sg_arena_dispose(&arena);
    }
    if (rc == SG_OK && !initial) {
        for (size_t i = 0; i < ki->cache.nb; i++)
            for (centry_t *e = ki->cache.b[i]; e != NULL; e = e->next)
                if (cache_find(&fresh, e->key, e->keylen) == NULL) {
                    /* Gone while the watch was broken: its deletion resourceVersion is unknown; the list's is an
                     * upper bound that keeps events ordered. */
                    sg_store_event_t ev = {
                        SG_STORE_DELETED, ki->kind, l.resource_version, e->key, e->key + strlen(e->key) + 1, e->json,
                        e->len,           NULL};
                    deliver(s, &ev);
                }
    }
    if (rc == SG_OK) {
        cache_dispose(&ki->cache);
        ki->cache = fresh;
        ki->rv = l.resource_version;
    } else {
        cache_dispose(&fresh);
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    sg_store_list_dispose(&l);
    return rc;
}

/* Namespaces only feed policies' namespaceSelector: a deployment whose RBAC cannot list them still runs, with the
 * labels missing until a relist succeeds (its objects then arrive as ADDED events). */
static int optional_kind(sg_store_kind_t kind)
{
    return kind == SG_KIND_NAMESPACE;
}

static void *informer_main(void *ud)
{
    kinformer_t *ki = ud;
    sg_kube__informer_t *inf = ki->parent;
    sg_error_t err = SG_ERROR_INIT;
    int rc = relist(ki, 1, &err);
    int optional = rc != SG_OK && optional_kind(ki->kind);
    if (optional)
        sg_log_warn("kube informer: cannot list; retrying in the background", "kind", SG_LOG_STR,
                    sg_store_kind_name(ki->kind), "error", SG_LOG_ERR, &err, NULL);
    pthread_mutex_lock(&inf->mu);
    inf->synced++;
    if (rc != SG_OK && !optional && !inf->failed) {
        inf->failed = 1;
        inf->error = err;
    }
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->mu);
    if (rc != SG_OK && !optional)
        return NULL;
    int failures = 0, need_relist = optional;
    if (optional)
        sg_kube__sleep(sg_kube__backoff_ms(200, 30000, failures++), &inf->stop);
    while (!inf->stop) {
        sg_error_clear(&err);
        if (need_relist) {
            if ((rc = relist(ki, 0, &err)) != SG_OK) {
                sg_log_warn("kube informer: relist failed", "kind", SG_LOG_STR, sg_store_kind_name(ki->kind), "error",
                            SG_LOG_ERR, &err, NULL);
                sg_kube__sleep(sg_kube__backoff_ms(200, 30000, failures++), &inf->stop);
                continue;
            }
            need_relist = 0;
        }
        uint64_t before = ki->rv;
        rc = sg_kube__watch_once(inf->s, ki->kind, inf->s->watch_ns, &ki->rv, on_event, ki, &inf->stop, &err);
        if (inf->stop)
            break;
        if (rc == SG_ELIMIT) {
            sg_log_info("kube informer: watch expired, relisting", "kind", SG_LOG_STR, sg_store_kind_name(ki->kind),
                        NULL);
            need_relist = 1;
            continue;
        }
        if (rc == SG_OK && ki->rv != before) {
            failures = 0;
            continue;
        }
        if (rc != SG_OK)
            sg_log_warn("kube informer: watch failed; reconnecting", "kind", SG_LOG_STR, sg_store_kind_name(ki->kind),
                        "error", SG_LOG_ERR, &err, NULL);
        sg_kube__sleep(rc == SG_OK ? 50 : sg_kube__backoff_ms(200, 30000, failures++), &inf->stop);
    }
    return NULL;
}

static void informer_free(sg_kube__informer_t *inf)
{
    if (inf == NULL)
        return;
    inf->stop = 1;
    for (int k = 0; k < SG_KIND__COUNT; k++) {
        if (inf->kinds[k].started)
            pthread_join(inf->kinds[k].thread, NULL);
        cache_dispose(&inf->kinds[k].cache);
    }
    pthread_mutex_destroy(&inf->mu);
    pthread_cond_destroy(&inf->cond);
    free(inf);
}

/* Starts the informers and waits for their first list, so that "from now on" holds when subscribe returns. */
static int informer_start(sg_kube__store_t *s, sg_error_t *err)
{
    sg_kube__informer_t *inf = calloc(1, sizeof(*inf));
    if (inf == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    inf->s = s;
    pthread_mutex_init(&inf->mu, NULL);
    pthread_cond_init(&inf->cond, NULL);
    int started = 0;
    for (int k = 0; k < SG_KIND__COUNT; k++) {
        kinformer_t *ki = &inf->kinds[k];
        ki->parent = inf;
        ki->kind = (sg_store_kind_t)k;
        if (pthread_create(&ki->thread, NULL, informer_main, ki) != 0)
            break;
        ki->started = 1;
        started++;
    }
    pthread_mutex_lock(&inf->mu);
    while (inf->synced < started)
        pthread_cond_wait(&inf->cond, &inf->mu);
    int failed = inf->failed;
    sg_error_t e = inf->error;
    pthread_mutex_unlock(&inf->mu);
    if (failed || started < SG_KIND__COUNT) {
        informer_free(inf);
        if (failed) {
            if (err != NULL)
                *err = e;
            return sg_error_wrap(err, "kube store: initial list for subscribers failed");
        }
        return sg_error_set(err, SG_EIO, "kube store: cannot start informer threads");
    }
    s->informer = inf;
    return SG_OK;
}

void sg_kube__informer_stop(sg_kube__store_t *s)
{
    pthread_mutex_lock(&s->informer_mu);
    sg_kube__informer_t *inf = s->informer;
    s->informer = NULL;
    pthread_mutex_unlock(&s->informer_mu);
    informer_free(inf);
}

int sg_kube__subscribe(sg_store_t *store, sg_store_subscriber_cb cb, void *ctx, sg_error_t *err)
{
    sg_kube__store_t *s = (sg_kube__store_t *)store;
    int rc = SG_OK;
    pthread_mutex_lock(&s->informer_mu);
    if (s->informer == NULL)
        rc = informer_start(s, err);
    if (rc == SG_OK) {
        pthread_mutex_lock(&s->sub_mu);
        if (s->nsubs == s->subs_cap) {
            size_t cap = s->subs_cap ? s->subs_cap * 2 : 4;
            sg_kube__sub_t *p = realloc(s->subs, cap * sizeof(*p));
            if (p == NULL)
                rc = sg_error_set(err, SG_ENOMEM, "out of memory");
            else {
                s->subs = p;
                s->subs_cap = cap;
            }
        }
        if (rc == SG_OK)
            s->subs[s->nsubs++] = (sg_kube__sub_t){cb, ctx};
        pthread_mutex_unlock(&s->sub_mu);
    }
    pthread_mutex_unlock(&s->informer_mu);
    return rc;
}

void sg_kube__unsubscribe(sg_store_t *store, sg_store_subscriber_cb cb, void *ctx)
{
    sg_kube__store_t *s = (sg_kube__store_t *)store;
    pthread_mutex_lock(&s->sub_mu);
    for (size_t i = 0; i < s->nsubs; i++) {
        if (s->subs[i].cb == cb && s->subs[i].ctx == ctx) {
            memmove(&s->subs[i], &s->subs[i + 1], (s->nsubs - i - 1) * sizeof(*s->subs));
            s->nsubs--;
            break;
        }
    }
    pthread_mutex_unlock(&s->sub_mu);
}
