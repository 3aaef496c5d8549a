/* Private state of the LMDB backend, shared by its reader side (lmdb.c) and its writer thread (lmdb_write.c). */
#ifndef STORYGATE_STORE_LMDB_INTERNAL_H
#define STORYGATE_STORE_LMDB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <lmdb.h>

#include "internal.h"

/* Object keys: one kind byte, namespace, NUL, name. */
#define SG_LMDB__KEY_MAX (1 + 2 * (SG_STORE_NAME_MAX + 1))
#define SG_LMDB__MAX_SUBSCRIBERS 32

typedef enum { SG_LMDB__CREATE, SG_LMDB__UPDATE, SG_LMDB__STATUS, SG_LMDB__DELETE, SG_LMDB__MULTI } sg_lmdb__op_t;

/* One queued write. Lives on the caller's stack and the caller blocks until `done`; or, when `owned`, on the heap
 * and freed by the writer (no_wait, or asynchronous with a completion). A MULTI request applies `subs` atomically. */
typedef struct st_sg_lmdb__req_t {
    sg_lmdb__op_t op;
    sg_store_kind_t kind;
    char key[SG_LMDB__KEY_MAX];
    size_t key_len;
    const char *ns;
    const char *name;
    const char *rec; /* CREATE/UPDATE: a whole record; STATUS: the status value (NULL/0 = remove it) */
    size_t rec_len;
    uint64_t expected_rv;
    const void *origin;
    /* results, written by the writer thread */
    int rc;
    sg_error_t *err;
    sg_buf_t result; /* the record as committed */
    int done;
    pthread_cond_t cond;
    struct st_sg_lmdb__req_t *next;
    struct st_sg_lmdb__req_t *subs;
    size_t nsubs;
    size_t failed; /* MULTI: index of the failing sub-request */
    int owned;
    sg_buf_t own_rec;
    sg_error_t own_err;
    sg_store_done_cb done_cb; /* owned only: told the outcome once committed */
    void *done_ctx;
} sg_lmdb__req_t;

typedef struct st_sg_lmdb__sub_t {
    sg_store_subscriber_cb cb;
    void *ctx;
} sg_lmdb__sub_t;

typedef struct st_sg_lmdb__store_t {
    sg_store_t super;
    MDB_env *env;
    MDB_dbi objects, events, meta;
    size_t map_size;

    /* write queue */
    pthread_mutex_t mu;
    pthread_cond_t queue_cond;
    sg_lmdb__req_t *head, *tail;
    int stopping;
    pthread_t writer;
    int writer_started;

    /* writer-thread state */
    uint64_t next_rv;
    size_t nevents, max_events, max_batch;

    /* committed state, for readers and watchers */
    _Atomic uint64_t committed_rv;
    _Atomic uint64_t compacted_rv; /* events with rv <= this are gone */
    pthread_mutex_t watch_mu;
    pthread_cond_t watch_cond;
    int closed;

    pthread_mutex_t sub_mu;
    sg_lmdb__sub_t subs[SG_LMDB__MAX_SUBSCRIBERS];
    size_t nsubs;

    sg_series_t *commit_seconds;
    sg_series_t *batch_size;
    sg_series_t *used_bytes;
    sg_series_t *map_bytes;
} sg_lmdb__store_t;

/* Event records: this header, namespace NUL, name NUL, object JSON. */
typedef struct st_sg_lmdb__evhdr_t {
    uint8_t type;
    uint8_t kind;
    uint16_t ns_len;
    uint16_t name_len;
    uint16_t _pad;
} sg_lmdb__evhdr_t;

/** Builds the object key of (kind, ns, name); returns its length. */
size_t sg_lmdb__key(char *out, sg_store_kind_t kind, const char *ns, const char *name);
/** Maps an LMDB error to an SG code with a message. */
int sg_lmdb__error(sg_lmdb__store_t *s, sg_error_t *err, int mrc, const char *what);
/** Queues `r` for the writer and waits until it is committed or failed; returns r->rc. */
int sg_lmdb__submit(sg_lmdb__store_t *s, sg_lmdb__req_t *r, sg_error_t *err);
/** The writer thread's body. */
void *sg_lmdb__writer_main(void *arg);

int sg_lmdb__create(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                    const sg_store_write_opts_t *opts, sg_error_t *err);
int sg_lmdb__update(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const sg_json_t *obj,
                    const sg_store_write_opts_t *opts, sg_error_t *err);
int sg_lmdb__update_status(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                           const sg_json_t *status, const sg_store_write_opts_t *opts, sg_error_t *err);
int sg_lmdb__remove(sg_store_t *store, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                    const sg_store_write_opts_t *opts, sg_error_t *err);
int sg_lmdb__apply(sg_store_t *store, sg_store_op_t *ops, size_t n, const sg_store_write_opts_t *opts, size_t *failed,
                   sg_error_t *err);
/** Reads the whole record (header + JSON) of an object into `out` (reset first). */
int sg_lmdb__get_record(sg_lmdb__store_t *s, sg_buf_t *out, sg_store_kind_t kind, const char *ns, const char *name,
                        sg_error_t *err);

#endif
