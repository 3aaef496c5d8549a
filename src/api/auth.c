/* Bearer tokens for the embedded API: a file of one token per line ("TOKEN" for full access, "TOKEN,read-only" for
 * get/list/watch only; '#' starts a comment), compared in constant time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "internal.h"

#define MAX_TOKENS 1024
#define MAX_LINE 4096

int sg_api__tokens_load(char ***out, int **readonly, size_t *n, const char *path, sg_error_t *err)
{
    *out = NULL;
    *readonly = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return sg_error_set(err, SG_EIO, "%s: %s", path, strerror(errno));
    char line[MAX_LINE];
    char **toks = calloc(MAX_TOKENS, sizeof(*toks));
    int *ro = calloc(MAX_TOKENS, sizeof(*ro));
    size_t count = 0;
    int lineno = 0, rc = SG_OK;
    if (toks == NULL || ro == NULL) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto done;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            rc = sg_error_set(err, SG_EINVALID, "%s:%d: line too long", path, lineno);
            goto done;
        }
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (*s == '\0')
            continue;
        int read_only = 0;
        char *comma = strchr(s, ',');
        if (comma != NULL) {
            *comma = '\0';
            if (strcmp(comma + 1, "read-only") != 0) {
                rc = sg_error_set(err, SG_EINVALID, "%s:%d: unknown scope \"%.64s\" (only read-only)", path, lineno,
                                  comma + 1);
                goto done;
            }
            read_only = 1;
        }
        if (count == MAX_TOKENS) {
            rc = sg_error_set(err, SG_ELIMIT, "%s: more than %d tokens", path, MAX_TOKENS);
            goto done;
        }
        if ((toks[count] = strdup(s)) == NULL) {
            rc = sg_error_set(err, SG_ENOMEM, "out of memory");
            goto done;
        }
        ro[count++] = read_only;
    }
    if (count == 0)
        rc = sg_error_set(err, SG_EINVALID, "%s: no tokens", path);
done:
    fclose(f);
    if (rc < 0) {
        for (size_t i = 0; i < count; i++)
            free(toks[i]);
        free(toks);
        free(ro);
        return rc;
    }
    *out = toks;
    *readonly = ro;
    *n = count;
    return SG_OK;
}

int sg_api__tokens_check(char *const *tokens, const int *readonly, size_t n, const char *auth, size_t auth_len,
                         int write)
{
    static const char prefix[] = "Bearer ";
    if (auth == NULL || auth_len <= sizeof(prefix) - 1 || strncasecmp(auth, prefix, sizeof(prefix) - 1) != 0)
        return 401;
    const char *tok = auth + sizeof(prefix) - 1;
    size_t tlen = auth_len - (sizeof(prefix) - 1);
    int found = -1;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(tokens[i]);
        /* compare every token fully so timing says nothing about which prefix matched */
        if (l == tlen && CRYPTO_memcmp(tokens[i], tok, l) == 0)
            found = (int)i;
    }
    if (found < 0)
        return 401;
    if (write && readonly[found])
        return 403;
    return 0;
}
