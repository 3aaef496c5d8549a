/* Private parts of the refs module: the snapshot layout. Entries are immutable, individually refcounted blobs so a
 * clone shares them and only copies the two sorted pointer arrays. */
#ifndef STORYGATE_REFS_INTERNAL_H
#define STORYGATE_REFS_INTERNAL_H

#include <stdatomic.h>

#include <storygate/refs.h>

typedef struct st_sg_refs__story_t {
    atomic_size_t refs;
    const char *ns;
    size_t ns_len;
    const char *name;
    size_t name_len;
    const char *version;
    size_t version_len;
} sg_refs__story_t;

typedef struct st_sg_refs__grant_t {
    sg_refs_grant_t pub; /* first, so the public pointer is the entry */
    atomic_size_t refs;
    size_t ns_len;
    size_t name_len;
} sg_refs__grant_t;

struct st_sg_refs_snapshot_t {
    atomic_size_t refs;
    int synced;
    sg_refs__story_t **stories; /* sorted by (ns, name) */
    size_t nstories, capstories;
    sg_refs_grant_t **grants; /* public views of sg_refs__grant_t entries, sorted by (namespace, name) */
    size_t ngrants, capgrants;
};

#define SG_REFS__GRANT(p) ((sg_refs__grant_t *)(void *)(p))

/** Drops one reference to a grant entry. */
void sg_refs__grant_release(sg_refs__grant_t *g);
/** Drops one reference to a story entry. */
void sg_refs__story_release(sg_refs__story_t *s);

/** Inserts (or replaces by namespace/name) a grant entry, taking over its reference. Returns 0 or SG_ENOMEM. */
int sg_refs__insert_grant(sg_refs_snapshot_t *snap, sg_refs__grant_t *g);

#endif
