/* The LMDB backend's write side: callers prepare records on their own threads, one writer thread applies them.
 *
 * DESIGN. Durability costs one fsync per transaction, so writes are group-committed: callers queue a request and
 * block; the writer takes everything queued (up to max_batch), applies it in one write transaction, commits (LMDB
 * fsyncs data then meta page), and only then acknowledges every request in the batch. An acknowledged write therefore
 * survives kill -9 and power loss, and N concurrent writers share one fsync. All JSON work (parsing, encoding, spec
 * comparison) happens on the callers' threads; the writer only checks existence and resourceVersion preconditions
 * and splices the new resourceVersion (and, for status writes, the status) into pre-encoded records, so the single
 * writer stays cheap. resourceVersions come from one counter stored with the data, so they are strictly increasing
 * across restarts. Every change is also appended to an event log keyed by resourceVersion (bounded; oldest entries
 * compacted) so watches can resume after a restart. A batch that hits MDB_MAP_FULL is retried one request per
 * transaction, so only the requests that do not fit fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storygate/log.h>

#include "lmdb_internal.h"

/* Length of `,"status":`, the prefix of the status member in a record. */
#define STATUS_PREFIX_LEN 10

static void enqueue_locked(sg_lmdb__store_t *s, sg_lmdb__req_t *r)
{
    if (s->tail != NULL)
        s->tail->next = r;
    else
        s->head = r;
    s->tail = r;
    pthread_cond_signal(&s->queue_cond);
}

int sg_lmdb__submit(sg_lmdb__store_t *s, sg_lmdb__req_t *r, sg_error_t *err)
{
    r->err = err;
    r->rc = SG_OK;
    r->done = 0;
    r->next = NULL;
    sg_buf_init(&r->result);
    pthread_cond_init(&r->cond, NULL);
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        pthread_cond_destroy(&r->cond);
        return r->rc = sg_error_set(err, SG_EUNAVAILABLE, "store is closed");
    }
    enqueue_locked(s, r);
    while (!r->done)
        pthread_cond_wait(&r->cond, &s->mu);
    pthread_mutex_unlock(&s->mu);
    pthread_cond_destroy(&r->cond);
    return r->rc;
}

/* Makes `h` (a copy of a caller's request) self-contained: its record is copied and ns/name point into its own key
 * (kind byte, ns, NUL, name), so it can outlive the caller. */
static int own_parts(sg_lmdb__req_t *h, sg_error_t *err)
{
    h->owned = 1;
    h->next = NULL;
    h->rc = SG_OK;
    h->err = &h->own_err;
    sg_error_clear(&h->own_err);
    sg_buf_init(&h->result);
    sg_buf_init(&h->own_rec);
    if (h->rec != NULL && sg_buf_append(&h->own_rec, h->rec, h->rec_len) != SG_OK)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    h->rec = h->rec != NULL ? h->own_rec.base : NULL;
    h->ns = h->key + 1;
    h->name = h->key + 2 + strlen(h->key + 1);
    h->key[h->key_len] = '\0';
    return SG_OK;
}

static void free_owned(sg_lmdb__req_t *h)
{
    for (size_t i = 0; i < h->nsubs; i++) {
        sg_buf_dispose(&h->subs[i].result);
        sg_buf_dispose(&h->subs[i].own_rec);
    }
    sg_buf_dispose(&h->result);
    sg_buf_dispose(&h->own_rec);
    free(h);
}

/* Queues a heap copy of `r` (with its sub-requests and their records) that the writer frees; returns without
 * waiting. */
static int submit_owned(sg_lmdb__store_t *s, const sg_lmdb__req_t *r, sg_error_t *err)
{
    sg_lmdb__req_t *h = calloc(1 + r->nsubs, sizeof(*h));
    if (h == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    *h = *r;
    int rc = own_parts(h, err);
    if (r->nsubs > 0)
        h->subs = h + 1;
    for (size_t i = 0; i < r->nsubs; i++) {
        h->subs[i] = r->subs[i];
        if (rc == SG_OK)
            rc = own_parts(&h->subs[i], err);
        else
            sg_buf_init(&h->subs[i].own_rec);
        sg_buf_init(&h->subs[i].result);
    }
    if (rc != SG_OK) {
        free_owned(h);
        return rc;
    }
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        free_owned(h);
        return sg_error_set(err, SG_EUNAVAILABLE, "store is closed");
    }
    enqueue_locked(s, h);
    pthread_mutex_unlock(&s->mu);
    return SG_OK;
}

static int put_event(sg_lmdb__store_t *s, MDB_txn *txn, uint64_t rv, sg_lmdb__req_t *r, int type)
{
    size_t nl = strlen(r->ns), ml = strlen(r->name);
    const char *json = r->result.base + SG_STORE__HDR_SIZE;
    size_t jlen = r->result.len - SG_STORE__HDR_SIZE;
    sg_lmdb__evhdr_t eh = {(uint8_t)type, (uint8_t)r->kind, (uint16_t)nl, (uint16_t)ml, 0};
    MDB_val k = {sizeof(rv), &rv}, v = {sizeof(eh) + nl + 1 + ml + 1 + jlen, NULL};
    int mrc = mdb_put(txn, s->events, &k, &v, MDB_RESERVE | MDB_APPEND);
    if (mrc != 0)
        return mrc;
    char *p = v.mv_data;
    memcpy(p, &eh, sizeof(eh));
    p += sizeof(eh);
    memcpy(p, r->ns, nl + 1);
    p += nl + 1;
    memcpy(p, r->name, ml + 1);
    p += ml + 1;
    memcpy(p, json, jlen);
    s->nevents++;
    return 0;
}

/* Applies one request inside `txn`. Precondition failures set r->rc and return 0 (the transaction goes on); an
 * LMDB failure is returned and dooms the whole transaction. */
static int apply_one(sg_lmdb__store_t *s, MDB_txn *txn, sg_lmdb__req_t *r, uint64_t *rv);

/* A group of writes in a nested transaction: the first failing one undoes the others. */
static int apply_multi(sg_lmdb__store_t *s, MDB_txn *txn, sg_lmdb__req_t *r, uint64_t *rv)
{
    MDB_txn *child;
    uint64_t rv0 = *rv;
    size_t nevents0 = s->nevents;
    int mrc = mdb_txn_begin(s->env, txn, 0, &child);
    if (mrc != 0)
        return mrc;
    for (size_t i = 0; i < r->nsubs; i++) {
        sg_lmdb__req_t *sub = &r->subs[i];
        sub->err = r->err;
        if ((mrc = apply_one(s, child, sub, rv)) != 0) {
            mdb_txn_abort(child);
            return mrc;
        }
        if (sub->rc != SG_OK) {
            mdb_txn_abort(child);
            *rv = rv0;
            s->nevents = nevents0;
            r->rc = sub->rc;
            r->failed = i;
            return 0;
        }
    }
    if ((mrc = mdb_txn_commit(child)) != 0)
        return mrc;
    r->rc = SG_OK;
    return 0;
}

static int apply_one(sg_lmdb__store_t *s, MDB_txn *txn, sg_lmdb__req_t *r, uint64_t *rv)
{
    if (r->op == SG_LMDB__MULTI)
        return apply_multi(s, txn, r, rv);
    MDB_val k = {r->key_len, r->key}, v;
    int mrc = mdb_get(txn, s->objects, &k, &v);
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        return mrc;
    int exists = mrc == 0;
    sg_store__hdr_t cur = {0, 0, 0, 0, 0};
    sg_buf_reset(&r->result);
    if (exists && sg_store__hdr(&cur, v.mv_data, v.mv_size) != SG_OK) {
        r->rc = sg_error_set(r->err, SG_EIO, "stored object %s/%s is corrupt", r->ns, r->name);
        return 0;
    }
    if (r->op == SG_LMDB__CREATE) {
        if (exists) {
            r->rc = sg_store__err_exists(r->err, r->kind, r->name);
            return 0;
        }
    } else {
        if (!exists) {
            r->rc = sg_store__err_notfound(r->err, r->kind, r->name);
            return 0;
        }
        if (r->expected_rv != 0 && cur.rv != r->expected_rv) {
            r->rc = sg_store__err_conflict(r->err, r->kind, r->name);
            return 0;
        }
    }
    uint64_t nrv = *rv + 1;
    int rc;
    const char *cj = exists ? (const char *)v.mv_data + SG_STORE__HDR_SIZE : NULL;
    size_t cjlen = exists ? v.mv_size - SG_STORE__HDR_SIZE : 0;
    switch (r->op) {
    case SG_LMDB__CREATE:
        rc = sg_store__splice(&r->result, r->rec, r->rec_len, nrv, NULL, 0, 0);
        break;
    case SG_LMDB__UPDATE: {
        /* Spec and metadata from the caller, status as stored. */
        size_t slen = cjlen - 1 - cur.status_off;
        const char *st = slen > STATUS_PREFIX_LEN ? cj + cur.status_off + STATUS_PREFIX_LEN : NULL;
        rc = sg_store__splice(&r->result, r->rec, r->rec_len, nrv, st, st ? slen - STATUS_PREFIX_LEN : 0, 1);
        break;
    }
    case SG_LMDB__STATUS:
        rc = sg_store__splice(&r->result, v.mv_data, v.mv_size, nrv, r->rec, r->rec_len, 1);
        break;
    default:
        rc = sg_store__splice(&r->result, v.mv_data, v.mv_size, nrv, NULL, 0, 0);
        break;
    }
    if (rc != SG_OK) {
        r->rc = sg_error_set(r->err, rc, "cannot build the stored object");
        return 0;
    }
    if (r->op == SG_LMDB__DELETE) {
        if ((mrc = mdb_del(txn, s->objects, &k, NULL)) != 0)
            return mrc;
    } else {
        MDB_val nv = {r->result.len, r->result.base};
        if ((mrc = mdb_put(txn, s->objects, &k, &nv, 0)) != 0)
            return mrc;
    }
    int type = r->op == SG_LMDB__CREATE   ? SG_STORE_ADDED
               : r->op == SG_LMDB__DELETE ? SG_STORE_DELETED
                                          : SG_STORE_MODIFIED;
    if ((mrc = put_event(s, txn, nrv, r, type)) != 0)
        return mrc;
    *rv = nrv;
    r->rc = SG_OK;
    return 0;
}

/* Drops the oldest events beyond max_events. */
static int compact(sg_lmdb__store_t *s, MDB_txn *txn, uint64_t *compacted)
{
    if (s->nevents <= s->max_events)
        return 0;
    MDB_cursor *c;
    int mrc = mdb_cursor_open(txn, s->events, &c);
    if (mrc != 0)
        return mrc;
    MDB_val k, v;
    while (s->nevents > s->max_events && (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0) {
        memcpy(compacted, k.mv_data, sizeof(*compacted));
        if ((mrc = mdb_cursor_del(c, 0)) != 0)
            break;
        s->nevents--;
    }
    mdb_cursor_close(c);
    return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/* One transaction over reqs[0..n). Returns 0 or the LMDB error that aborted it (requests then left undone). */
static int apply_batch(sg_lmdb__store_t *s, sg_lmdb__req_t **reqs, size_t n)
{
    MDB_txn *txn;
    size_t nevents0 = s->nevents;
    uint64_t rv = s->next_rv, compacted = atomic_load(&s->compacted_rv);
    int mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (mrc != 0)
        return mrc;
    for (size_t i = 0; i < n && mrc == 0; i++)
        mrc = apply_one(s, txn, reqs[i], &rv);
    if (mrc == 0 && rv != s->next_rv) {
        MDB_val k = {2, "rv"}, v = {sizeof(rv), &rv};
        mrc = mdb_put(txn, s->meta, &k, &v, 0);
        uint64_t c0 = compacted;
        if (mrc == 0)
            mrc = compact(s, txn, &compacted);
        if (mrc == 0 && compacted != c0) {
            MDB_val ck = {9, "compacted"}, cv = {sizeof(compacted), &compacted};
            mrc = mdb_put(txn, s->meta, &ck, &cv, 0);
        }
    }
    if (mrc == 0) {
        mrc = mdb_txn_commit(txn);
    } else {
        mdb_txn_abort(txn);
    }
    if (mrc != 0) {
        s->nevents = nevents0;
        return mrc;
    }
    s->next_rv = rv;
    atomic_store(&s->compacted_rv, compacted);
    return 0;
}

static void fail_all(sg_lmdb__store_t *s, sg_lmdb__req_t **reqs, size_t n, int mrc)
{
    for (size_t i = 0; i < n; i++)
        reqs[i]->rc = sg_lmdb__error(s, reqs[i]->err, mrc, "write");
}

static void notify(sg_lmdb__store_t *s, sg_lmdb__req_t *r, const void *origin)
{
    sg_store__hdr_t h;
    sg_store__hdr(&h, r->result.base, r->result.len);
    sg_store_event_t ev = {
        .type = r->op == SG_LMDB__CREATE   ? SG_STORE_ADDED
                : r->op == SG_LMDB__DELETE ? SG_STORE_DELETED
                                           : SG_STORE_MODIFIED,
        .kind = r->kind,
        .resource_version = h.rv,
        .namespace_ = r->ns,
        .name = r->name,
        .json = r->result.base + SG_STORE__HDR_SIZE,
        .len = r->result.len - SG_STORE__HDR_SIZE,
        .origin = origin,
    };
    for (size_t j = 0; j < s->nsubs; j++)
        s->subs[j].cb(s->subs[j].ctx, &ev);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void process(sg_lmdb__store_t *s, sg_lmdb__req_t **reqs, size_t n, sg_lmdb__req_t **owned)
{
    double t0 = now_seconds();
    int mrc = apply_batch(s, reqs, n);
    if ((mrc == MDB_MAP_FULL || mrc == MDB_TXN_FULL) && n > 1) {
        for (size_t i = 0; i < n; i++) {
            int one = apply_batch(s, &reqs[i], 1);
            if (one != 0)
                fail_all(s, &reqs[i], 1, one);
        }
    } else if (mrc != 0) {
        fail_all(s, reqs, n, mrc);
    }
    sg_series_observe(s->commit_seconds, now_seconds() - t0);
    sg_series_observe(s->batch_size, (double)n);
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(s->env, &info) == 0 && mdb_env_stat(s->env, &st) == 0)
        sg_series_set(s->used_bytes, (double)(info.me_last_pgno + 1) * st.ms_psize);

    pthread_mutex_lock(&s->watch_mu);
    atomic_store(&s->committed_rv, s->next_rv);
    pthread_cond_broadcast(&s->watch_cond);
    pthread_mutex_unlock(&s->watch_mu);

    /* Subscribers see each committed change before its writer is released (the request memory is the caller's). */
    pthread_mutex_lock(&s->sub_mu);
    for (size_t i = 0; i < n && s->nsubs > 0; i++) {
        sg_lmdb__req_t *r = reqs[i];
        if (r->rc != SG_OK)
            continue;
        size_t nparts = r->op == SG_LMDB__MULTI ? r->nsubs : 1;
        for (size_t p = 0; p < nparts; p++)
            notify(s, r->op == SG_LMDB__MULTI ? &r->subs[p] : r, r->origin);
    }
    pthread_mutex_unlock(&s->sub_mu);

    /* Once acknowledged a caller's request may vanish: pick out the writer-owned ones first. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (reqs[i]->owned)
            owned[k++] = reqs[i];
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < n; i++) {
        if (reqs[i]->owned)
            continue;
        reqs[i]->done = 1;
        pthread_cond_signal(&reqs[i]->cond);
    }
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < k; i++) {
        sg_lmdb__req_t *r = owned[i];
        if (r->done_cb != NULL) {
            /* a group has no single stored object */
            int ok = r->rc == SG_OK && r->op != SG_LMDB__MULTI;
            r->done_cb(r->done_ctx, r->rc, &r->own_err, ok ? r->result.base + SG_STORE__HDR_SIZE : "",
                       ok ? r->result.len - SG_STORE__HDR_SIZE : 0);
        } else if (r->rc != SG_OK && r->rc != SG_ENOTFOUND)
            sg_log_warn("queued store write failed", "namespace", SG_LOG_STR, r->ns, "name", SG_LOG_STR, r->name,
                        "error", SG_LOG_ERR, &r->own_err, NULL);
        free_owned(r);
    }
}

void *sg_lmdb__writer_main(void *arg)
{
    sg_lmdb__store_t *s = arg;
    sg_lmdb__req_t **batch = malloc(s->max_batch * sizeof(*batch));
    sg_lmdb__req_t **owned = malloc(s->max_batch * sizeof(*owned));
    if (batch == NULL || owned == NULL)
        abort();
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->head == NULL && !s->stopping)
            pthread_cond_wait(&s->queue_cond, &s->mu);
        if (s->head == NULL) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        size_t n = 0;
        while (s->head != NULL && n < s->max_batch) {
            batch[n++] = s->head;
            s->head = s->head->next;
        }
        if (s->head == NULL)
            s->tail = NULL;
        pthread_mutex_unlock(&s->mu);
        process(s, batch, n, owned);
    }
    free(batch);
    free(owned);
    return NULL;
}

/* --- caller side: prepare records, then submit --- */

static sg_lmdb__store_t *lm(sg_store_t *store)
{
    return (sg_lmdb__store_t *)store;
}

static void set_key(sg_lmdb__req_t *r, sg_store_kind_t kind, const char *ns, const char *name)
{
    r->kind = kind;
    r->ns = ns;
    r->name = name;
    r->key_len = sg_lmdb__key(r->key, kind, ns, name);
}

static int copy_out(sg_buf_t *out, sg_lmdb__req_t *r)
{
    int rc = SG_OK;
    if (out != NULL && r->rc == SG_OK) {
        sg_buf_reset(out);
        rc = sg_buf_append(out, r->result.base + SG_STORE__HDR_SIZE, r->result.len - SG_STORE__HDR_SIZE);
    }
    sg_buf_dispose(&r->result);
    return r->rc != SG_OK ? r->rc : rc;
}

/* A name from metadata.generateName plus five random characters, as the apiserver makes them. */
static int generate_name(char *out, size_t cap, const char *prefix, size_t plen)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    unsigned char rnd[5];
    char uid[37];
    if (sg_store__uuid(uid) != SG_OK)
        return SG_EIO;
    memcpy(rnd, uid, sizeof(rnd));
    if (plen > 58)
        plen = 58;
    if (plen + 6 > cap)
        return SG_ELIMIT;
    memcpy(out, prefix, plen);
    for (int i = 0; i < 5; i++)
        out[plen + (size_t)i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
    out[plen + 5] = '\0';
    return SG_OK;
}

/* Prepares a CREATE request for `obj` (record encoded into `rec`; ns/name copied into `names`). */
static int prep_create(sg_lmdb__req_t *r, sg_buf_t *rec, char names[2][SG_STORE_NAME_MAX + 1], sg_store_kind_t kind,
                       const char *ns, const sg_json_t *obj, const char *want_uid, sg_error_t *err)
{
    char uid[37], created[32];
    if (obj == NULL || obj->type != SG_JSON_OBJECT)
        return sg_error_set(err, SG_EINVALID, "object must be a JSON object");
    const sg_json_t *md = sg_json_get(obj, "metadata");
    size_t nlen = 0;
    const char *name = sg_json_string(sg_json_get(md, "name"), &nlen);
    const char *mns = sg_json_string(sg_json_get(md, "namespace"), NULL);
    int rc;
    if (!sg_store_kind_namespaced(kind)) {
        /* as the apiserver does: a cluster-scoped object's metadata.namespace is ignored */
        if ((rc = sg_store_check_scope(&ns, kind, ns, err)) != SG_OK)
            return rc;
    } else if (ns == NULL || *ns == '\0') {
        ns = mns;
    } else if (mns != NULL && *mns != '\0' && strcmp(mns, ns) != 0) {
        return sg_error_set(err, SG_EINVALID,
                            "the namespace of the provided object does not match the namespace sent on the request");
    }
    if (name == NULL || *name == '\0') {
        size_t glen = 0;
        const char *gen = sg_json_string(sg_json_get(md, "generateName"), &glen);
        if (gen == NULL || glen == 0)
            return sg_error_set(err, SG_EINVALID, "name or generateName is required");
        if (generate_name(names[1], sizeof(names[1]), gen, glen) != SG_OK)
            return sg_error_set(err, SG_EIO, "cannot generate a name");
        name = names[1];
    } else if (strlen(name) != nlen) {
        return sg_error_set(err, SG_EINVALID, "metadata.name must not contain NUL");
    }
    if ((sg_store_kind_namespaced(kind) && (rc = sg_store_check_name("metadata.namespace", ns, err)) != SG_OK) ||
        (rc = sg_store_check_name("metadata.name", name, err)) != SG_OK)
        return rc;
    if (want_uid != NULL) {
        snprintf(uid, sizeof(uid), "%s", want_uid);
    } else if (sg_store__uuid(uid) != SG_OK) {
        return sg_error_set(err, SG_EIO, "cannot generate a uid");
    }
    sg_store__now(created);
    sg_store__meta_t meta = {name, ns, uid, created, 1};
    if ((rc = sg_store__encode(rec, kind, &meta, obj, 1)) != SG_OK)
        return sg_error_set(err, rc, "cannot encode the object");
    if (name != names[1])
        snprintf(names[1], sizeof(names[1]), "%s", name);
    snprintf(names[0], sizeof(names[0]), "%s", ns);
    r->op = SG_LMDB__CREATE;
    r->rec = rec->base;
    r->rec_len = rec->len;
    set_key(r, kind, names[0], names[1]);
    return SG_OK;
}

static int prep_status(sg_lmdb__req_t *r, sg_buf_t *st, sg_store_kind_t kind, const char *ns, const char *name,
                       const sg_json_t *status, uint64_t expected, sg_error_t *err)
{
    int rc;
    if ((rc = sg_store_check_scope(&ns, kind, ns, err)) != SG_OK ||
        (rc = sg_store_check_name("metadata.name", name, err)) != SG_OK)
        return rc;
    if (status != NULL && status->type != SG_JSON_NULL && sg_json_encode(st, status) != SG_OK)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    r->op = SG_LMDB__STATUS;
    r->rec = st->len ? st->base : NULL;
    r->rec_len = st->len;
    r->expected_rv = expected;
    set_key(r, kind, ns, name);
    return SG_OK;
}

int sg_lmdb__create(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                    const sg_store_write_opts_t *opts, sg_error_t *err)
{
    char names[2][SG_STORE_NAME_MAX + 1];
    sg_buf_t rec = SG_BUF_INIT;
    sg_lmdb__req_t r = {.op = SG_LMDB__CREATE};
    int rc = prep_create(&r, &rec, names, kind, ns, obj, NULL, err);
    if (rc == SG_OK) {
        r.origin = opts ? opts->origin : NULL;
        if (opts != NULL && opts->done != NULL) {
            r.done_cb = opts->done;
            r.done_ctx = opts->done_ctx;
            rc = submit_owned(lm(store), &r, err);
        } else {
            sg_lmdb__submit(lm(store), &r, err);
            rc = copy_out(out, &r);
        }
    }
    sg_buf_dispose(&rec);
    return rc;
}

int sg_lmdb__apply(sg_store_t *store, sg_store_op_t *ops, size_t n, const sg_store_write_opts_t *opts, size_t *failed,
                   sg_error_t *err)
{
    enum { MAX_OPS = 8 };
    if (n == 0 || n > MAX_OPS)
        return sg_error_set(err, SG_EINVALID, "between 1 and %d writes can be grouped", MAX_OPS);
    sg_lmdb__req_t subs[MAX_OPS];
    sg_buf_t recs[MAX_OPS];
    char names[MAX_OPS][2][SG_STORE_NAME_MAX + 1];
    memset(subs, 0, sizeof(subs));
    int rc = SG_OK;
    size_t i;
    for (i = 0; i < n; i++)
        sg_buf_init(&recs[i]);
    for (i = 0; i < n && rc == SG_OK; i++) {
        sg_store_op_t *op = &ops[i];
        if (op->type == SG_STORE_OP_CREATE)
            rc = prep_create(&subs[i], &recs[i], names[i], op->kind, op->ns, op->obj, op->uid, err);
        else
            rc = prep_status(&subs[i], &recs[i], op->kind, op->ns, op->name, op->obj, op->expected_rv, err);
        sg_buf_init(&subs[i].result);
    }
    if (rc != SG_OK) {
        if (failed != NULL)
            *failed = i - 1;
        goto done;
    }
    sg_lmdb__req_t r = {.op = SG_LMDB__MULTI, .subs = subs, .nsubs = n, .origin = opts ? opts->origin : NULL};
    set_key(&r, ops[0].kind, subs[0].ns, subs[0].name);
    if (opts != NULL && opts->done != NULL) {
        r.done_cb = opts->done;
        r.done_ctx = opts->done_ctx;
        rc = submit_owned(lm(store), &r, err);
        goto done;
    }
    rc = sg_lmdb__submit(lm(store), &r, err);
    if (rc != SG_OK && failed != NULL)
        *failed = r.failed;
    for (i = 0; i < n; i++) {
        subs[i].rc = rc;
        copy_out(ops[i].out, &subs[i]);
    }
    sg_buf_dispose(&r.result);
done:
    for (i = 0; i < n; i++) {
        sg_buf_dispose(&recs[i]);
        sg_buf_dispose(&subs[i].result);
    }
    return rc;
}

int sg_lmdb__update(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                    const sg_store_write_opts_t *opts, sg_error_t *err)
{
    sg_lmdb__store_t *s = lm(store);
    if (obj == NULL || obj->type != SG_JSON_OBJECT)
        return sg_error_set(err, SG_EINVALID, "object must be a JSON object");
    const sg_json_t *md = sg_json_get(obj, "metadata");
    const char *name = sg_json_string(sg_json_get(md, "name"), NULL);
    const char *mns = sg_json_string(sg_json_get(md, "namespace"), NULL);
    if ((ns == NULL || *ns == '\0') && sg_store_kind_namespaced(kind))
        ns = mns;
    int rc;
    if ((rc = sg_store_check_scope(&ns, kind, ns, err)) != SG_OK ||
        (rc = sg_store_check_name("metadata.name", name, err)) != SG_OK)
        return rc;
    uint64_t expected = opts ? opts->expected_rv : 0;
    sg_buf_t cur = SG_BUF_INIT, rec = SG_BUF_INIT;
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    for (int attempt = 0;; attempt++) {
        sg_arena_reset(&arena);
        sg_buf_reset(&rec);
        if ((rc = sg_lmdb__get_record(s, &cur, kind, ns, name, err)) != SG_OK)
            break;
        sg_store__hdr_t h;
        sg_store__hdr(&h, cur.base, cur.len);
        if (expected != 0 && h.rv != expected) {
            rc = sg_store__err_conflict(err, kind, name);
            break;
        }
        sg_json_t *old = NULL;
        sg_json_parse_opts_t popts = SG_JSON_PARSE_OPTS_INIT;
        if ((rc = sg_json_parse(&old, &arena, cur.base + SG_STORE__HDR_SIZE, cur.len - SG_STORE__HDR_SIZE, &popts,
                                err)) != SG_OK)
            break;
        const sg_json_t *omd = sg_json_get(old, "metadata");
        const sg_json_t *ospec = sg_json_get(old, "spec"), *nspec = sg_json_get(obj, "spec");
        const sg_json_t *ogen = sg_json_get(omd, "generation");
        int64_t gen = ogen != NULL && ogen->type == SG_JSON_NUMBER ? (int64_t)ogen->u.number.value : 1;
        int same = (ospec == NULL && nspec == NULL) || (ospec != NULL && nspec != NULL && sg_json_equal(ospec, nspec));
        sg_store__meta_t meta = {name, ns, sg_json_string(sg_json_get(omd, "uid"), NULL),
                                 sg_json_string(sg_json_get(omd, "creationTimestamp"), NULL), same ? gen : gen + 1};
        if (meta.uid == NULL)
            meta.uid = "";
        if (meta.created == NULL)
            meta.created = "";
        if ((rc = sg_store__encode(&rec, kind, &meta, obj, 0)) != SG_OK) {
            sg_error_set(err, rc, "cannot encode the object");
            break;
        }
        sg_lmdb__req_t r = {.op = SG_LMDB__UPDATE, .rec = rec.base, .rec_len = rec.len, .expected_rv = h.rv};
        set_key(&r, kind, ns, name);
        r.origin = opts ? opts->origin : NULL;
        sg_lmdb__submit(s, &r, err);
        rc = copy_out(out, &r);
        /* Without a caller precondition, losing a race to another writer just means reading again. */
        if (rc != SG_ECONFLICT || expected != 0 || attempt >= 16)
            break;
    }
    sg_arena_dispose(&arena);
    sg_buf_dispose(&cur);
    sg_buf_dispose(&rec);
    return rc;
}

int sg_lmdb__update_status(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                           const sg_json_t *status, const sg_store_write_opts_t *opts, sg_error_t *err)
{
    sg_buf_t st = SG_BUF_INIT;
    sg_lmdb__req_t r = {.op = SG_LMDB__STATUS};
    int rc = prep_status(&r, &st, kind, ns, name, status, opts ? opts->expected_rv : 0, err);
    if (rc == SG_OK) {
        r.origin = opts ? opts->origin : NULL;
        if (opts != NULL && (opts->no_wait || opts->done != NULL)) {
            r.done_cb = opts->done;
            r.done_ctx = opts->done_ctx;
            rc = submit_owned(lm(store), &r, err);
        } else {
            sg_lmdb__submit(lm(store), &r, err);
            rc = copy_out(out, &r);
        }
    }
    sg_buf_dispose(&st);
    return rc;
}

int sg_lmdb__remove(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                    const sg_store_write_opts_t *opts, sg_error_t *err)
{
    int rc;
    if ((rc = sg_store_check_scope(&ns, kind, ns, err)) != SG_OK ||
        (rc = sg_store_check_name("metadata.name", name, err)) != SG_OK)
        return rc;
    sg_lmdb__req_t r = {.op = SG_LMDB__DELETE};
    set_key(&r, kind, ns, name);
    r.expected_rv = opts ? opts->expected_rv : 0;
    r.origin = opts ? opts->origin : NULL;
    sg_lmdb__submit(lm(store), &r, err);
    return copy_out(out, &r);
}
