/* Shared helpers for the store tests: a temporary data directory, the usual store fixture and small object builders. */
#ifndef SG_TEST_STORE_HELPERS_H
#define SG_TEST_STORE_HELPERS_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <storygate/store.h>

static int sg_test__rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* mkdtemp under /tmp; the caller removes it with tmpdir_remove. */
static inline char *tmpdir_make(void)
{
    char *d = strdup("/tmp/sg-store-test-XXXXXX");
    return mkdtemp(d);
}

static inline void tmpdir_remove(char *d)
{
    if (d != NULL)
        nftw(d, sg_test__rm, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

static inline sg_store_t *open_store(const char *dir, sg_metrics_t *m)
{
    sg_store_lmdb_opts_t o = SG_STORE_LMDB_OPTS_INIT;
    o.path = dir;
    o.map_size = 64u << 20;
    o.metrics = m;
    sg_store_t *s = NULL;
    sg_error_t err = SG_ERROR_INIT;
    if (sg_store_open_lmdb(&s, &o, &err) != SG_OK) {
        fprintf(stderr, "open: %s\n", err.message);
        return NULL;
    }
    return s;
}

/* The fixture of most store tests: a store in a fresh temporary directory with its own metrics registry, opened by
 * fixture_open and removed by fixture_close. */
static inline sg_store_t *fixture_open(char **dir, sg_metrics_t **reg)
{
    *dir = tmpdir_make();
    *reg = sg_metrics_new();
    sg_store_t *st = open_store(*dir, *reg);
    cr_assert_not_null(st);
    return st;
}

static inline void fixture_close(sg_store_t *st, sg_metrics_t *reg, char *dir)
{
    sg_store_close(st);
    sg_metrics_free(reg);
    tmpdir_remove(dir);
}

/* Parses `json` into `arena`; NULL on error. */
static inline sg_json_t *parse(sg_arena_t *arena, const char *json)
{
    sg_json_t *v = NULL;
    sg_json_parse_opts_t o = SG_JSON_PARSE_OPTS_INIT;
    return sg_json_parse(&v, arena, json, strlen(json), &o, NULL) == SG_OK ? v : NULL;
}

#endif
