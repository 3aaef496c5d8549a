/* Keeps the refs snapshot (Stories and ReferenceGrants, read by admission) current from the embedded store, with the
 * store-generic feed of the refs module (cluster mode uses the same one over the kube store). */
#include "runtime.h"

int sg_api__refs_start(sg_api_t *api, sg_error_t *err)
{
    return sg_refs_feed_start(&api->refs_feed, api->refs, api->store, err);
}

void sg_api__refs_stop(sg_api_t *api)
{
    sg_refs_feed_stop(api->refs_feed);
    api->refs_feed = NULL;
}
