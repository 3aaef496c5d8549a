/* The holder through which a provider publishes snapshots to admission threads. A mutex guards only the pointer
 * swap and the reference increment, so readers never see a snapshot freed under them. */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

struct st_sg_refs_holder_t {
    pthread_mutex_t lock;
    sg_refs_snapshot_t *current;
};

sg_refs_holder_t *sg_refs_holder_new(void)
{
    sg_refs_holder_t *h = calloc(1, sizeof(*h));
    if (h != NULL)
        pthread_mutex_init(&h->lock, NULL);
    return h;
}

void sg_refs_holder_free(sg_refs_holder_t *h)
{
    if (h == NULL)
        return;
    sg_refs_snapshot_release(h->current);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

void sg_refs_holder_publish(sg_refs_holder_t *h, sg_refs_snapshot_t *snap)
{
    pthread_mutex_lock(&h->lock);
    sg_refs_snapshot_t *old = h->current;
    h->current = snap;
    pthread_mutex_unlock(&h->lock);
    sg_refs_snapshot_release(old);
}

sg_refs_snapshot_t *sg_refs_holder_acquire(void *holder)
{
    sg_refs_holder_t *h = holder;
    if (h == NULL)
        return NULL;
    pthread_mutex_lock(&h->lock);
    sg_refs_snapshot_t *s = sg_refs_snapshot_retain(h->current);
    pthread_mutex_unlock(&h->lock);
    return s;
}
