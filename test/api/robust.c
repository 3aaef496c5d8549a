/* Hostile input to the request parsers: random and truncated paths, queries, selectors and Accept headers never crash
 * and always yield a definite answer. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/api/internal.h"

static const char alphabet[] = "/apis.bubustack.io/v1alpha1namespacesstorytriggers%=&,!()+ \t\x01\xff~-_";

static void random_text(char *buf, size_t n, unsigned *seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet[(size_t)rand_r(seed) % (sizeof(alphabet) - 1)];
    buf[n] = '\0';
}

Test(api_robust, random_inputs_never_crash_the_parsers)
{
    unsigned seed = 12345;
    char buf[512];
    sg_arena_t a;
    sg_arena_init(&a, 0);
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)rand_r(&seed) % (sizeof(buf) - 1);
        random_text(buf, n, &seed);
        sg_api__path_t p;
        int rc = sg_api__path_parse(&p, buf, n, NULL);
        cr_assert(rc == SG_OK || rc == SG_ENOTFOUND || rc == SG_EINVALID);
        sg_api__query_t q;
        rc = sg_api__query_parse(&q, buf, n, &a, NULL);
        cr_assert(rc == SG_OK || rc == SG_EINVALID);
        sg_store_selector_t *sel = NULL;
        rc = sg_store_selector_parse(&sel, SG_KIND_STORYTRIGGER, buf, NULL, NULL);
        cr_assert(rc == SG_OK || rc == SG_EINVALID, "rc %d for '%s'", rc, buf);
        cr_assert(rc == SG_OK || sel == NULL);
        sg_store_selector_match(sel, NULL);
        sg_store_selector_free(sel);
        (void)sg_api__accept_table(buf, n);
        if (i % 256 == 0)
            sg_arena_reset(&a);
    }
    sg_arena_dispose(&a);
}

Test(api_robust, deep_and_long_paths_are_bounded)
{
    char buf[8192];
    size_t n = 0;
    while (n + 2 < sizeof(buf)) {
        buf[n++] = '/';
        buf[n++] = 'a';
    }
    sg_api__path_t p;
    cr_expect_eq(sg_api__path_parse(&p, buf, n, NULL), SG_ENOTFOUND);
    memset(buf, 'a', sizeof(buf));
    const char *pre = "/apis/runs.bubustack.io/v1alpha1/namespaces/";
    memcpy(buf, pre, strlen(pre));
    cr_expect_eq(sg_api__path_parse(&p, buf, sizeof(buf), NULL), SG_ENOTFOUND);
}
