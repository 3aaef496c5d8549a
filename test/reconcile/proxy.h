/* A pass-through store over the fixture's LMDB store, for tests that disturb some of its operations: embed
 * proxy_store_t first, fill the ops with proxy_ops_init, then replace the operations to disturb. */
#ifndef SG_TEST_RECONCILE_PROXY_H
#define SG_TEST_RECONCILE_PROXY_H

#include "helpers.h"

typedef struct {
    sg_store_t super;
    sg_store_t *inner;
} proxy_store_t;

static inline sg_store_t *proxy_inner(sg_store_t *s)
{
    return ((proxy_store_t *)s)->inner;
}

static inline int proxy_get(sg_store_t *s, sg_buf_t *out, uint64_t *rv, sg_store_kind_t k, const char *ns,
                            const char *n, sg_error_t *err)
{
    return sg_store_get(proxy_inner(s), out, rv, k, ns, n, err);
}

static inline int proxy_create(sg_store_t *s, sg_buf_t *out, sg_store_kind_t k, const char *ns, const sg_json_t *obj,
                               const sg_store_write_opts_t *o, sg_error_t *err)
{
    return sg_store_create_json(proxy_inner(s), out, k, ns, obj, o, err);
}

static inline int proxy_status(sg_store_t *s, sg_buf_t *out, sg_store_kind_t k, const char *ns, const char *n,
                               const sg_json_t *st, const sg_store_write_opts_t *o, sg_error_t *err)
{
    return sg_store_update_status(proxy_inner(s), out, k, ns, n, st, o, err);
}

static inline int proxy_apply(sg_store_t *s, sg_store_op_t *ops, size_t n, const sg_store_write_opts_t *o,
                              size_t *failed, sg_error_t *err)
{
    return sg_store_apply(proxy_inner(s), ops, n, o, failed, err);
}

static inline int proxy_list(sg_store_t *s, sg_store_list_t *out, sg_store_kind_t k, const char *ns,
                             const sg_store_list_opts_t *o, sg_error_t *err)
{
    return sg_store_list(proxy_inner(s), out, k, ns, o, err);
}

static inline int proxy_subscribe(sg_store_t *s, sg_store_subscriber_cb cb, void *ctx, sg_error_t *err)
{
    return sg_store_subscribe(proxy_inner(s), cb, ctx, err);
}

static inline void proxy_unsubscribe(sg_store_t *s, sg_store_subscriber_cb cb, void *ctx)
{
    sg_store_unsubscribe(proxy_inner(s), cb, ctx);
}

/* `ops` forwarding everything to the fixture's store; `p` set up over it. */
static inline void proxy_init(proxy_store_t *p, sg_store_ops_t *ops)
{
    *ops = *fx.store->ops;
    ops->get = proxy_get;
    ops->create = proxy_create;
    ops->update_status = proxy_status;
    ops->apply = proxy_apply;
    ops->list = proxy_list;
    ops->subscribe = proxy_subscribe;
    ops->unsubscribe = proxy_unsubscribe;
    p->super.ops = ops;
    p->inner = fx.store;
}

/* Replaces the fixture's reconciler with one over `store`. */
static inline void proxy_reconciler(sg_store_t *store, size_t workers)
{
    sg_reconciler_free(fx.rec);
    sg_reconciler_opts_t ro = SG_RECONCILER_OPTS_INIT;
    ro.store = store;
    ro.metrics = fx.metrics;
    ro.workers = workers;
    ro.backoff_base = 0.01;
    cr_assert_eq(sg_reconciler_new(&fx.rec, &ro, NULL), SG_OK);
}

#endif
