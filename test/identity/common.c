/* Data-file helpers for the identity tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common.h"

char *test_read_file(sg_arena_t *arena, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", SG_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = sg_arena_alloc(arena, (size_t)n + 1);
    if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n)
        p = NULL;
    fclose(f);
    if (p != NULL) {
        p[n] = '\0';
        *len = (size_t)n;
    }
    return p;
}

char *test_b64_decode(sg_arena_t *arena, const char *s, size_t *len)
{
    size_t n = strlen(s);
    if (n % 4 != 0)
        return NULL;
    unsigned char *p = sg_arena_alloc(arena, n / 4 * 3 + 1);
    int r = EVP_DecodeBlock(p, (const unsigned char *)s, (int)n);
    if (r < 0)
        return NULL;
    size_t pad = n >= 1 && s[n - 1] == '=' ? (n >= 2 && s[n - 2] == '=' ? 2 : 1) : 0;
    *len = (size_t)r - pad;
    p[*len] = '\0';
    return (char *)p;
}

sg_json_t *test_vectors(sg_arena_t *arena)
{
    size_t len = 0;
    char *text = test_read_file(arena, "vectors.json", &len);
    if (text == NULL)
        return NULL;
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    sg_json_t *v = NULL;
    sg_error_t err = SG_ERROR_INIT;
    if (sg_json_parse(&v, arena, text, len, &opts, &err) < 0) {
        fprintf(stderr, "vectors.json: %s\n", err.message);
        return NULL;
    }
    return v;
}
