/* The same store contract the kube backend passes, run against the embedded LMDB backend: both backends behave
 * alike for everything store.h promises. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "contract.h"

Test(store_contract, lmdb_backend_passes_the_store_contract, .timeout = 120)
{
    char dir[] = "/tmp/storygate-contract-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    sg_store_lmdb_opts_t opts = SG_STORE_LMDB_OPTS_INIT;
    opts.path = dir;
    opts.map_size = 64u << 20;
    sg_store_t *s = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_open_lmdb(&s, &opts, &err), SG_OK, "%s", err.message);
    store_contract_run(s);
    sg_store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}
