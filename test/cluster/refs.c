/* The admission snapshot of cluster mode follows the apiserver: Stories appear and disappear as they are written,
 * also across a watch whose history was compacted away (410 Gone, relist). */
#include <storygate/admission.h>
#include <storygate/refs.h>

#include "helpers.h"

static fakeapi_t *api;
static char dir[] = "/tmp/sg-cluster-refs-XXXXXX";
static char *kubeconfig;
static sg_config_t cfg;

static void setup(void)
{
    sg_log_set_level(SG_LOG_ERROR);
    cr_assert_not_null(mkdtemp(dir));
    api = fakeapi_start();
    cr_assert_not_null(api);
    kubeconfig = kubeconfig_for(api, dir);
    cluster_config(&cfg, kubeconfig);
    set_key(&cfg, "leaderElection.enabled", "false");
}

static void teardown(void)
{
    sg_config_dispose(&cfg);
    fakeapi_stop(api);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
    free(kubeconfig);
}

TestSuite(cluster_refs, .init = setup, .fini = teardown, .timeout = 60);

static int has_story(sg_cluster_t *c, const char *ns, const char *name)
{
    sg_refs_snapshot_t *snap = sg_admission_refs(sg_cluster_admission(c));
    int found = snap != NULL && sg_refs_snapshot_synced(snap) &&
                sg_refs_story_lookup(snap, sg_span_cstr(ns), sg_span_cstr(name), NULL);
    sg_refs_snapshot_release(snap);
    return found;
}

Test(cluster_refs, stories_in_the_apiserver_reach_the_admission_snapshot)
{
    sg_cluster_t *c = NULL;
    sg_error_t err = SG_ERROR_INIT;
    /* one that exists before start comes from the initial list, the others from the watch */
    sg_cluster_t *writer = NULL;
    cr_assert_eq(sg_cluster_start(&writer, &cfg, NULL, NULL, &err), SG_OK, "%s", err.message);
    put_story(sg_cluster_store(writer), "demo", "before");
    cr_assert_eq(sg_cluster_start(&c, &cfg, NULL, NULL, &err), SG_OK, "%s", err.message);
    cr_assert(has_story(c, "demo", "before"), "the initial list was not published");
    put_story(sg_cluster_store(c), "demo", "after");
    WAIT_FOR(has_story(c, "demo", "after"), 10000);
    cr_assert(has_story(c, "demo", "after"));
    cr_assert_eq(sg_store_delete(sg_cluster_store(c), NULL, SG_KIND_STORY, "demo", "before", NULL, NULL), SG_OK);
    WAIT_FOR(!has_story(c, "demo", "before"), 10000);
    cr_assert_not(has_story(c, "demo", "before"), "a deleted Story stayed in the snapshot");

    fakeapi_compact(api); /* the next watches get 410 Gone: the informers relist */
    fakeapi_drop_watches(api);
    put_story(sg_cluster_store(c), "demo", "gone");
    WAIT_FOR(has_story(c, "demo", "gone"), 15000);
    cr_assert(has_story(c, "demo", "gone"), "a Story written across a 410 Gone was lost");
    sg_cluster_stop(c);
    sg_cluster_stop(writer);
}
