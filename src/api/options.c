/* Admission and reconciler options from the configuration, shared by embedded and cluster mode so both servers
 * enforce the same cross-namespace policy and limits. */
#include <storygate/api.h>

static sg_refs_policy_t policy_of(const sg_config_t *cfg)
{
    return cfg->admission.cross_namespace_policy == SG_CROSS_NS_ALLOW   ? SG_REFS_POLICY_ALLOW
           : cfg->admission.cross_namespace_policy == SG_CROSS_NS_GRANT ? SG_REFS_POLICY_GRANT
                                                                        : SG_REFS_POLICY_DENY;
}

void sg_api_admission_opts(sg_admission_opts_t *out, const sg_config_t *cfg, const sg_admission_opts_t *aopts,
                           sg_refs_holder_t *refs, sg_admission_accept_fn on_accept, void *on_accept_ctx)
{
    sg_admission_opts_t ao = SG_ADMISSION_OPTS_INIT;
    if (aopts != NULL)
        ao = *aopts;
    ao.cross_namespace_policy = aopts != NULL ? aopts->cross_namespace_policy : policy_of(cfg);
    ao.refs_acquire = sg_refs_holder_acquire;
    ao.refs_ctx = refs;
    ao.on_accept = on_accept;
    ao.on_accept_ctx = on_accept_ctx;
    *out = ao;
}

void sg_api_reconciler_opts(sg_reconciler_opts_t *out, const sg_config_t *cfg, sg_store_t *store,
                            sg_refs_policy_t policy)
{
    sg_reconciler_opts_t ro = SG_RECONCILER_OPTS_INIT;
    ro.store = store;
    ro.cross_namespace_policy = policy;
    ro.max_inline_inputs_size = (long)cfg->admission.max_inline_inputs_size;
    ro.storage_path = cfg->storage.base_path;
    ro.workers = cfg->reconcile.workers;
    *out = ro;
}
