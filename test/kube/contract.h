/* The store contract: behaviour every store backend must share (store.h), as one suite any backend can run.
 * Each case works in its own namespaces ("c<N>-...") so cases can share one store. */
#ifndef SG_TEST_STORE_CONTRACT_H
#define SG_TEST_STORE_CONTRACT_H

#include <storygate/store.h>

typedef struct {
    const char *name;
    void (*run)(sg_store_t *s);
} store_contract_case_t;

/* The cases, ended by {NULL, NULL}. */
extern const store_contract_case_t store_contract_cases[];

/** Runs every case against `s` (a store that may already hold objects in other namespaces); fails the calling
 * Criterion test on the first broken expectation, naming the case. */
void store_contract_run(sg_store_t *s);

#endif
