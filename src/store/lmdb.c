/* The embedded store on LMDB: environment setup, reads (get, list), watch cursors over the event log, subscribers.
 * Writes live in lmdb_write.c. Databases: "objects" (kind|ns\0name -> record), "events" (resourceVersion -> event),
 * "meta" (rv counter, compaction point). Readers never block the writer (MVCC); read transactions are short. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <storygate/log.h>

#include "lmdb_internal.h"

#define DEFAULT_MAP_SIZE ((size_t)1 << 30)
#define DEFAULT_MAX_EVENTS 100000
#define DEFAULT_MAX_BATCH 1024
#define WATCH_CHUNK_EVENTS 256
#define WATCH_CHUNK_BYTES (4u << 20)

static sg_lmdb__store_t *lm(sg_store_t *store)
{
    return (sg_lmdb__store_t *)store;
}

size_t sg_lmdb__key(char *out, sg_store_kind_t kind, const char *ns, const char *name)
{
    size_t nl = strlen(ns), ml = strlen(name);
    out[0] = (char)('0' + kind);
    memcpy(out + 1, ns, nl);
    out[1 + nl] = '\0';
    memcpy(out + 2 + nl, name, ml);
    return 2 + nl + ml;
}

int sg_lmdb__error(sg_lmdb__store_t *s, sg_error_t *err, int mrc, const char *what)
{
    if (mrc == MDB_MAP_FULL)
        return sg_error_set(err, SG_ELIMIT,
                            "store is full: the LMDB map size of %zu bytes is exhausted (raise the store map size)",
                            s->map_size);
    if (mrc == MDB_TXN_FULL)
        return sg_error_set(err, SG_ELIMIT, "store %s: transaction too large", what);
    if (mrc == MDB_READERS_FULL)
        return sg_error_set(err, SG_EUNAVAILABLE, "store %s: too many concurrent readers", what);
    return sg_error_set(err, SG_EIO, "store %s: %s", what, mdb_strerror(mrc));
}

static int read_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *out)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    int mrc = mdb_get(txn, dbi, &k, &v);
    *out = 0;
    if (mrc == 0 && v.mv_size == sizeof(*out))
        memcpy(out, v.mv_data, sizeof(*out));
    return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/* --- reads --- */

int sg_lmdb__get_record(sg_lmdb__store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                        sg_error_t *err)
{
    int rc;
    if ((rc = sg_store_check_scope(&ns, kind, ns, err)) != SG_OK ||
        (rc = sg_store_check_name("name", name, err)) != SG_OK)
        return rc;
    char key[SG_LMDB__KEY_MAX];
    MDB_val k = {sg_lmdb__key(key, kind, ns, name), key}, v;
    MDB_txn *txn;
    int mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (mrc != 0)
        return sg_lmdb__error(s, err, mrc, "read");
    mrc = mdb_get(txn, s->objects, &k, &v);
    if (mrc == 0) {
        sg_buf_reset(out);
        rc = sg_buf_append(out, v.mv_data, v.mv_size);
    } else if (mrc == MDB_NOTFOUND) {
        rc = sg_store__err_notfound(err, kind, name);
    } else {
        rc = sg_lmdb__error(s, err, mrc, "read");
    }
    mdb_txn_abort(txn);
    return rc;
}

static int lmdb_get(sg_store_t *store, sg_buf_t *out, uint64_t *rv, sg_store_kind_t kind, const char *ns,
                    const char *name, sg_error_t *err)
{
    sg_buf_t rec = SG_BUF_INIT;
    int rc = sg_lmdb__get_record(lm(store), &rec, kind, ns, name, err);
    if (rc == SG_OK) {
        sg_store__hdr_t h;
        if (sg_store__hdr(&h, rec.base, rec.len) != SG_OK) {
            rc = sg_error_set(err, SG_EIO, "stored object %s/%s is corrupt", ns != NULL ? ns : "", name);
        } else {
            if (rv != NULL)
                *rv = h.rv;
            if (out != NULL) {
                sg_buf_reset(out);
                rc = sg_buf_append(out, rec.base + SG_STORE__HDR_SIZE, rec.len - SG_STORE__HDR_SIZE);
            }
        }
    }
    sg_buf_dispose(&rec);
    return rc;
}

static int lmdb_list(sg_store_t *store, sg_store_list_t *out, sg_store_kind_t kind, const char *ns,
                     const sg_store_list_opts_t *opts, sg_error_t *err)
{
    sg_lmdb__store_t *s = lm(store);
    sg_store_selector_t *sel = NULL;
    int rc = sg_store_selector_parse(&sel, kind, opts ? opts->label_selector : NULL, opts ? opts->field_selector : NULL,
                                     err);
    if (rc != SG_OK)
        return rc;
    out->len = 0;
    sg_buf_reset(&out->_data);
    char prefix[SG_LMDB__KEY_MAX];
    size_t plen = 1;
    prefix[0] = (char)('0' + kind);
    if (ns != NULL && *ns != '\0' && sg_store_kind_namespaced(kind)) {
        if ((rc = sg_store_check_name("namespace", ns, err)) != SG_OK)
            goto done;
        size_t nl = strlen(ns);
        memcpy(prefix + 1, ns, nl);
        prefix[1 + nl] = '\0';
        plen = nl + 2;
    }
    MDB_txn *txn;
    MDB_cursor *cur;
    int mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (mrc != 0) {
        rc = sg_lmdb__error(s, err, mrc, "list");
        goto done;
    }
    if ((mrc = read_u64(txn, s->meta, "rv", &out->resource_version)) != 0 ||
        (mrc = mdb_cursor_open(txn, s->objects, &cur)) != 0) {
        mdb_txn_abort(txn);
        rc = sg_lmdb__error(s, err, mrc, "list");
        goto done;
    }
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    MDB_val k = {plen, prefix}, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
            break;
        if (opts != NULL && opts->limit != 0 && out->len >= opts->limit)
            break;
        sg_store__hdr_t h;
        if (sg_store__hdr(&h, v.mv_data, v.mv_size) != SG_OK)
            continue;
        const char *json = (const char *)v.mv_data + SG_STORE__HDR_SIZE;
        size_t jlen = v.mv_size - SG_STORE__HDR_SIZE;
        if (sel != NULL) {
            char kb[SG_LMDB__KEY_MAX + 1];
            memcpy(kb, k.mv_data, k.mv_size);
            kb[k.mv_size] = '\0';
            int match;
            if (!sg_store__selector_match_key(sel, kb + 1, kb + 2 + strlen(kb + 1), &match)) {
                sg_json_t *obj = NULL;
                sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
                sg_arena_reset(&arena);
                match =
                    sg_json_parse(&obj, &arena, json, jlen, &popts, NULL) == SG_OK && sg_store_selector_match(sel, obj);
            }
            if (!match)
                continue;
        }
        if ((rc = sg_store_list_push(out, json, jlen, h.rv)) != SG_OK) {
            sg_error_set(err, rc, "out of memory");
            break;
        }
    }
    sg_arena_dispose(&arena);
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc == SG_OK && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = sg_lmdb__error(s, err, mrc, "list");
done:
    sg_store_list_finish(out);
    sg_store_selector_free(sel);
    return rc;
}

static uint64_t lmdb_rv(sg_store_t *store)
{
    return atomic_load(&lm(store)->committed_rv);
}

/* --- watch cursors --- */

typedef struct st_lmdb_watch_t {
    sg_store_watch_t super;
    uint64_t last;
    unsigned mask;
    char ns[SG_STORE_NAME_MAX + 1]; /* "" = all */
    sg_buf_t buf;                   /* buffered events: [u64 rv][evhdr][ns\0][name\0][u64 len][json\0] */
    size_t pos;
} lmdb_watch_t;

static int lmdb_watch_open(sg_store_t *store, sg_store_watch_t **out, uint64_t from_rv, unsigned kind_mask,
                           const char *ns, sg_error_t *err)
{
    sg_lmdb__store_t *s = lm(store);
    if (ns != NULL && *ns != '\0' && strlen(ns) > SG_STORE_NAME_MAX)
        return sg_error_set(err, SG_EINVALID, "namespace is too long");
    if (from_rv < atomic_load(&s->compacted_rv))
        return sg_error_set(err, SG_ELIMIT, "too old resource version: %llu (%llu)", (unsigned long long)from_rv,
                            (unsigned long long)atomic_load(&s->compacted_rv) + 1);
    lmdb_watch_t *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    w->super.store = store;
    w->last = from_rv;
    w->mask = kind_mask;
    if (ns != NULL)
        strcpy(w->ns, ns);
    sg_buf_init(&w->buf);
    *out = &w->super;
    return SG_OK;
}

static void lmdb_watch_close(sg_store_watch_t *ws)
{
    lmdb_watch_t *w = (lmdb_watch_t *)ws;
    sg_buf_dispose(&w->buf);
    free(w);
}

/* Reads the next chunk of events after w->last into w->buf. */
static int watch_fill(sg_lmdb__store_t *s, lmdb_watch_t *w, sg_error_t *err)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (mrc != 0)
        return sg_lmdb__error(s, err, mrc, "watch");
    uint64_t compacted = 0;
    if ((mrc = read_u64(txn, s->meta, "compacted", &compacted)) != 0 ||
        (mrc = mdb_cursor_open(txn, s->events, &cur)) != 0) {
        mdb_txn_abort(txn);
        return sg_lmdb__error(s, err, mrc, "watch");
    }
    int rc = SG_OK;
    if (w->last < compacted) {
        rc = sg_error_set(err, SG_ELIMIT, "too old resource version: %llu (%llu)", (unsigned long long)w->last,
                          (unsigned long long)compacted + 1);
        goto done;
    }
    sg_buf_reset(&w->buf);
    w->pos = 0;
    uint64_t from = w->last + 1;
    MDB_val k = {sizeof(from), &from}, v;
    size_t n = 0;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         mrc == 0 && n < WATCH_CHUNK_EVENTS && w->buf.len < WATCH_CHUNK_BYTES;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint64_t rv;
        memcpy(&rv, k.mv_data, sizeof(rv));
        w->last = rv;
        sg_lmdb__evhdr_t eh;
        if (v.mv_size < sizeof(eh))
            continue;
        memcpy(&eh, v.mv_data, sizeof(eh));
        const char *p = (const char *)v.mv_data + sizeof(eh);
        size_t meta = (size_t)eh.ns_len + 1 + eh.name_len + 1;
        if (v.mv_size < sizeof(eh) + meta || eh.kind >= SG_KIND__COUNT)
            continue;
        if (!(w->mask & SG_KIND_MASK(eh.kind)))
            continue;
        if (w->ns[0] != '\0' && sg_store_kind_namespaced((sg_store_kind_t)eh.kind) && strcmp(w->ns, p) != 0)
            continue;
        uint64_t jlen = v.mv_size - sizeof(eh) - meta;
        sg_buf_append(&w->buf, &rv, sizeof(rv));
        sg_buf_append(&w->buf, &eh, sizeof(eh));
        sg_buf_append(&w->buf, p, meta);
        sg_buf_append(&w->buf, &jlen, sizeof(jlen));
        sg_buf_append(&w->buf, p + meta, jlen);
        sg_buf_putc(&w->buf, '\0');
        n++;
    }
    if (w->buf.oom)
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
    else if (mrc != 0 && mrc != MDB_NOTFOUND)
        rc = sg_lmdb__error(s, err, mrc, "watch");
done:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc;
}

static void deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int lmdb_watch_next(sg_store_watch_t *ws, sg_store_event_t *ev, int timeout_ms, sg_error_t *err)
{
    lmdb_watch_t *w = (lmdb_watch_t *)ws;
    sg_lmdb__store_t *s = lm(ws->store);
    struct timespec deadline;
    if (timeout_ms > 0)
        deadline_after(&deadline, timeout_ms);
    while (w->pos >= w->buf.len) {
        pthread_mutex_lock(&s->watch_mu);
        while (!s->closed && atomic_load(&s->committed_rv) <= w->last) {
            if (timeout_ms == 0)
                break;
            if (timeout_ms < 0)
                pthread_cond_wait(&s->watch_cond, &s->watch_mu);
            else if (pthread_cond_timedwait(&s->watch_cond, &s->watch_mu, &deadline) == ETIMEDOUT)
                break;
        }
        int closed = s->closed, ready = atomic_load(&s->committed_rv) > w->last;
        pthread_mutex_unlock(&s->watch_mu);
        if (closed)
            return sg_error_set(err, SG_EUNAVAILABLE, "store is closed");
        if (!ready)
            return sg_error_set(err, SG_EUNAVAILABLE, "no event before the timeout");
        int rc = watch_fill(s, w, err);
        if (rc != SG_OK)
            return rc;
    }
    const char *p = w->buf.base + w->pos;
    sg_lmdb__evhdr_t eh;
    uint64_t rv, jlen;
    memcpy(&rv, p, sizeof(rv));
    p += sizeof(rv);
    memcpy(&eh, p, sizeof(eh));
    p += sizeof(eh);
    ev->type = (sg_store_event_type_t)eh.type;
    ev->kind = (sg_store_kind_t)eh.kind;
    ev->resource_version = rv;
    ev->namespace_ = p;
    ev->name = p + eh.ns_len + 1;
    p += (size_t)eh.ns_len + 1 + eh.name_len + 1;
    memcpy(&jlen, p, sizeof(jlen));
    p += sizeof(jlen);
    ev->json = p;
    ev->len = jlen;
    ev->origin = NULL;
    w->pos = (size_t)(p - w->buf.base) + jlen + 1;
    return SG_OK;
}

/* --- subscribers --- */

static int lmdb_subscribe(sg_store_t *store, sg_store_subscriber_cb cb, void *ctx, sg_error_t *err)
{
    sg_lmdb__store_t *s = lm(store);
    int rc = SG_OK;
    pthread_mutex_lock(&s->sub_mu);
    if (s->nsubs == SG_LMDB__MAX_SUBSCRIBERS)
        rc = sg_error_set(err, SG_ELIMIT, "too many store subscribers");
    else
        s->subs[s->nsubs++] = (sg_lmdb__sub_t){cb, ctx};
    pthread_mutex_unlock(&s->sub_mu);
    return rc;
}

static void lmdb_unsubscribe(sg_store_t *store, sg_store_subscriber_cb cb, void *ctx)
{
    sg_lmdb__store_t *s = lm(store);
    pthread_mutex_lock(&s->sub_mu);
    for (size_t i = 0; i < s->nsubs; i++) {
        if (s->subs[i].cb == cb && s->subs[i].ctx == ctx) {
            memmove(&s->subs[i], &s->subs[i + 1], (s->nsubs - i - 1) * sizeof(s->subs[0]));
            s->nsubs--;
            break;
        }
    }
    pthread_mutex_unlock(&s->sub_mu);
}

/* --- lifecycle --- */

static void lmdb_close(sg_store_t *store)
{
    sg_lmdb__store_t *s = lm(store);
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_signal(&s->queue_cond);
    pthread_mutex_unlock(&s->mu);
    if (s->writer_started)
        pthread_join(s->writer, NULL);
    pthread_mutex_lock(&s->watch_mu);
    s->closed = 1;
    pthread_cond_broadcast(&s->watch_cond);
    pthread_mutex_unlock(&s->watch_mu);
    if (s->env != NULL)
        mdb_env_close(s->env);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->queue_cond);
    pthread_mutex_destroy(&s->watch_mu);
    pthread_cond_destroy(&s->watch_cond);
    pthread_mutex_destroy(&s->sub_mu);
    free(s);
}

static const sg_store_ops_t lmdb_ops = {
    .get = lmdb_get,
    .create = sg_lmdb__create,
    .async_writes = 1,
    .update = sg_lmdb__update,
    .update_status = sg_lmdb__update_status,
    .remove = sg_lmdb__remove,
    .list = lmdb_list,
    .apply = sg_lmdb__apply,
    .resource_version = lmdb_rv,
    .watch_open = lmdb_watch_open,
    .watch_next = lmdb_watch_next,
    .watch_close = lmdb_watch_close,
    .subscribe = lmdb_subscribe,
    .unsubscribe = lmdb_unsubscribe,
    .close = lmdb_close,
};

/* mkdir -p with mode 0750, then fsync the directory so the files LMDB creates in it have a durable entry. */
static int make_dir(const char *path, sg_error_t *err)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(tmp))
        return sg_error_set(err, SG_EINVALID, "store path is empty or too long");
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
                return sg_error_set(err, SG_EIO, "cannot create %s: %s", tmp, strerror(errno));
            *p = '/';
        }
    }
    if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
        return sg_error_set(err, SG_EIO, "cannot create %s: %s", tmp, strerror(errno));
    return SG_OK;
}

static void fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int sg_store_open_lmdb(sg_store_t **out, const sg_store_lmdb_opts_t *opts, sg_error_t *err)
{
    *out = NULL;
    if (opts == NULL || opts->path == NULL)
        return sg_error_set(err, SG_EINVALID, "store path is required");
    int rc = make_dir(opts->path, err);
    if (rc != SG_OK)
        return rc;
    sg_lmdb__store_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    s->super.ops = &lmdb_ops;
    s->map_size = opts->map_size ? opts->map_size : DEFAULT_MAP_SIZE;
    s->max_events = opts->max_events ? opts->max_events : DEFAULT_MAX_EVENTS;
    s->max_batch = opts->max_batch ? opts->max_batch : DEFAULT_MAX_BATCH;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->queue_cond, NULL);
    pthread_mutex_init(&s->watch_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&s->watch_cond, &ca); /* CLOCK_REALTIME for timedwait */
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->sub_mu, NULL);

    sg_metrics_t *reg = opts->metrics ? opts->metrics : sg_metrics_default();
    static const double commit_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                            0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
    static const double batch_buckets[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
    s->commit_seconds = sg_metric_with(sg_metrics_register(reg, SG_METRIC_HISTOGRAM, "storygate_store_commit_seconds",
                                                           "Duration of one durable store commit (group of writes).",
                                                           NULL, commit_buckets, 14),
                                       NULL);
    s->batch_size =
        sg_metric_with(sg_metrics_register(reg, SG_METRIC_HISTOGRAM, "storygate_store_commit_writes",
                                           "Writes applied per durable store commit.", NULL, batch_buckets, 11),
                       NULL);

    s->used_bytes = sg_metric_with(sg_metrics_register(reg, SG_METRIC_GAUGE, "storygate_store_used_bytes",
                                                       "Bytes of the store's map in use (writes fail when it is full).",
                                                       NULL, NULL, 0),
                                   NULL);
    s->map_bytes = sg_metric_with(sg_metrics_register(reg, SG_METRIC_GAUGE, "storygate_store_map_size_bytes",
                                                      "Configured size of the store's map.", NULL, NULL, 0),
                                  NULL);
    sg_series_set(s->map_bytes, (double)s->map_size);
    MDB_txn *txn = NULL;
    int mrc;
    if ((mrc = mdb_env_create(&s->env)) != 0 || (mrc = mdb_env_set_mapsize(s->env, s->map_size)) != 0 ||
        (mrc = mdb_env_set_maxdbs(s->env, 4)) != 0 || (mrc = mdb_env_set_maxreaders(s->env, 1024)) != 0 ||
        (mrc = mdb_env_open(s->env, opts->path, MDB_NOTLS, 0640)) != 0) {
        rc = sg_error_set(err, SG_EIO, "cannot open store in %s: %s", opts->path, mdb_strerror(mrc));
        goto fail;
    }
    fsync_dir(opts->path);
    int dead = 0;
    mdb_reader_check(s->env, &dead);
    if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0 ||
        (mrc = mdb_dbi_open(txn, "objects", MDB_CREATE, &s->objects)) != 0 ||
        (mrc = mdb_dbi_open(txn, "events", MDB_CREATE | MDB_INTEGERKEY, &s->events)) != 0 ||
        (mrc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) != 0)
        goto lmdb_fail;
    uint64_t rv, compacted;
    MDB_stat st;
    if ((mrc = read_u64(txn, s->meta, "rv", &rv)) != 0 ||
        (mrc = read_u64(txn, s->meta, "compacted", &compacted)) != 0 || (mrc = mdb_stat(txn, s->events, &st)) != 0)
        goto lmdb_fail;
    if ((mrc = mdb_txn_commit(txn)) != 0) {
        txn = NULL;
        goto lmdb_fail;
    }
    txn = NULL;
    s->next_rv = rv;
    s->nevents = st.ms_entries;
    atomic_store(&s->committed_rv, rv);
    atomic_store(&s->compacted_rv, compacted);
    if (pthread_create(&s->writer, NULL, sg_lmdb__writer_main, s) != 0) {
        rc = sg_error_set(err, SG_EIO, "cannot start the store writer thread");
        goto fail;
    }
    s->writer_started = 1;
    *out = &s->super;
    return SG_OK;
lmdb_fail:
    if (txn != NULL)
        mdb_txn_abort(txn);
    rc = sg_lmdb__error(s, err, mrc, "open");
fail:
    lmdb_close(&s->super);
    return rc;
}
