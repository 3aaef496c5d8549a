/* The resources the embedded API serves: the four of the CRDs in deploy/crds (names, short names, categories, verbs
 * and printer columns as declared there) and the core group's cluster-scoped Namespaces (for policies'
 * namespaceSelector). Discovery, routing and Tables all read this one table. */
#include <string.h>

#include "internal.h"

static const char *const cat_workflows[] = {"bubu", "ai", "workflows", NULL};
static const char *const cat_policy[] = {"bubu", "ai", NULL};
static const char *const cat_runs[] = {"bubu", "ai", "runs", NULL};

static const sg_api__column_t age_only[] = {
    {"Age", "date", "", "metadata.creationTimestamp", "CreationTimestamp of the object"},
    {NULL, NULL, NULL, NULL, NULL},
};

static const char *const cat_none[] = {NULL};

static const sg_api__column_t namespace_columns[] = {
    {"Status", "string", "", "status.phase", "The phase of the namespace"},
    {"Age", "date", "", "metadata.creationTimestamp", "CreationTimestamp of the object"},
    {NULL, NULL, NULL, NULL, NULL},
};

static const sg_api__column_t trigger_columns[] = {
    {"Story", "string", "", "spec.storyRef.name", ""},
    {"Decision", "string", "", "status.decision", ""},
    {"StoryRun", "string", "", "status.storyRunRef.name", ""},
    {"Age", "date", "", "metadata.creationTimestamp", ""},
    {NULL, NULL, NULL, NULL, NULL},
};

static const sg_api__column_t run_columns[] = {
    {"Story", "string", "", "spec.storyRef.name", ""},
    {"Phase", "string", "", "status.phase", ""},
    {"Started", "date", "", "status.startedAt", ""},
    {"Age", "date", "", "metadata.creationTimestamp", ""},
    {NULL, NULL, NULL, NULL, NULL},
};

const sg_api__resource_t sg_api__resources[SG_KIND__COUNT] = {
    {SG_KIND_STORY, "bubustack.io", "v1alpha1", "stories", "story", "Story", "StoryList", "story", cat_workflows, 1, 0,
     age_only, 1, "bubustack.io/v1alpha1"},
    {SG_KIND_REFERENCEGRANT, "policy.bubustack.io", "v1alpha1", "referencegrants", "referencegrant", "ReferenceGrant",
     "ReferenceGrantList", "refgrant", cat_policy, 1, 1, age_only, 1, "policy.bubustack.io/v1alpha1"},
    {SG_KIND_STORYTRIGGER, "runs.bubustack.io", "v1alpha1", "storytriggers", "storytrigger", "StoryTrigger",
     "StoryTriggerList", "trig", cat_runs, 1, 1, trigger_columns, 1, "runs.bubustack.io/v1alpha1"},
    {SG_KIND_STORYRUN, "runs.bubustack.io", "v1alpha1", "storyruns", "storyrun", "StoryRun", "StoryRunList", "srun",
     cat_runs, 0, 1, run_columns, 1, "runs.bubustack.io/v1alpha1"},
    {SG_KIND_NAMESPACE, "", "v1", "namespaces", "namespace", "Namespace", "NamespaceList", "ns", cat_none, 1, 0,
     namespace_columns, 0, "v1"},
};

const sg_api__resource_t *sg_api__resource_find(const char *group, size_t glen, const char *version, size_t vlen,
                                                const char *plural, size_t plen)
{
    for (size_t i = 0; i < SG_KIND__COUNT; i++) {
        const sg_api__resource_t *r = &sg_api__resources[i];
        if (strlen(r->group) == glen && memcmp(r->group, group, glen) == 0 && strlen(r->version) == vlen &&
            memcmp(r->version, version, vlen) == 0 && strlen(r->plural) == plen && memcmp(r->plural, plural, plen) == 0)
            return r;
    }
    return NULL;
}

const sg_api__resource_t *sg_api__resource_of(sg_store_kind_t kind)
{
    return (unsigned)kind < SG_KIND__COUNT ? &sg_api__resources[kind] : NULL;
}
