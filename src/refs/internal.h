/* Private parts of the refs module: the snapshot layout. Entries are immutable, individually refcounted blobs so a
 * clone shares them and only copies the sorted pointer arrays. */
#ifndef STORYGATE_REFS_INTERNAL_H
#define STORYGATE_REFS_INTERNAL_H

#include <stdatomic.h>

#include <storygate/arena.h>
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

/* A Namespace's labels: `labels` is parsed from the entry's own compact JSON text into `arena`, so the tree stays
 * valid for as long as any snapshot holds the entry. */
typedef struct st_sg_refs__namespace_t {
    atomic_size_t refs;
    const char *name;
    size_t name_len;
    const sg_json_t *labels; /* an object */
    sg_arena_t arena;
} sg_refs__namespace_t;

struct st_sg_refs_snapshot_t {
    atomic_size_t refs;
    int synced;
    sg_refs__story_t **stories; /* sorted by (ns, name) */
    size_t nstories, capstories;
    sg_refs_grant_t **grants; /* public views of sg_refs__grant_t entries, sorted by (namespace, name) */
    size_t ngrants, capgrants;
    sg_refs__namespace_t **namespaces; /* sorted by name */
    size_t nnamespaces, capnamespaces;
};

#define SG_REFS__GRANT(p) ((sg_refs__grant_t *)(void *)(p))

/** Drops one reference to a grant entry. */
void sg_refs__grant_release(sg_refs__grant_t *g);
/** Drops one reference to a story entry. */
void sg_refs__story_release(sg_refs__story_t *s);

/** Drops one reference to a namespace entry. */
void sg_refs__namespace_release(sg_refs__namespace_t *n);

/** Makes room for `need` elements of `elem` bytes in `*arr` (capacity `*cap`). Returns 0 or SG_ENOMEM. */
int sg_refs__grow(void **arr, size_t *cap, size_t need, size_t elem);

/** Inserts (or replaces by namespace/name) a grant entry, taking over its reference. Returns 0 or SG_ENOMEM. */
int sg_refs__insert_grant(sg_refs_snapshot_t *snap, sg_refs__grant_t *g);

#endif
