/* SHA-1 and SHA-256 over byte spans through OpenSSL EVP. The digest implementations are fetched once per process
 * because an implicit fetch on every call costs more than hashing a short name, and each thread keeps one digest
 * context and one scratch buffer (freed at thread exit) so the admission path allocates nothing per request here. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha1;
static EVP_MD *md_sha256;

static pthread_key_t thread_key;

typedef struct st_thread_state_t {
    EVP_MD_CTX *ctx;
    sg_buf_t scratch;
} thread_state_t;

static void free_thread_state(void *p)
{
    thread_state_t *st = p;
    EVP_MD_CTX_free(st->ctx);
    sg_buf_dispose(&st->scratch);
    free(st);
}

static void fetch_digests(void)
{
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    (void)pthread_key_create(&thread_key, free_thread_state);
}

static thread_state_t *thread_state(void)
{
    pthread_once(&fetch_once, fetch_digests);
    thread_state_t *st = pthread_getspecific(thread_key);
    if (st != NULL)
        return st;
    if ((st = calloc(1, sizeof(*st))) == NULL)
        return NULL;
    if ((st->ctx = EVP_MD_CTX_new()) == NULL || pthread_setspecific(thread_key, st) != 0) {
        EVP_MD_CTX_free(st->ctx);
        free(st);
        return NULL;
    }
    return st;
}

sg_buf_t *sg_identity__scratch(void)
{
    thread_state_t *st = thread_state();
    if (st == NULL)
        return NULL;
    /* A huge input once should not pin its buffer for the thread's life. */
    if (st->scratch.cap > 1u << 20)
        sg_buf_dispose(&st->scratch);
    return &st->scratch;
}

int sg_identity__digest(int which, unsigned char *out, const sg_span_t *parts, size_t nparts)
{
    thread_state_t *st = thread_state();
    const EVP_MD *md = which == SG_IDENTITY__SHA1 ? md_sha1 : md_sha256;
    if (md == NULL)
        md = which == SG_IDENTITY__SHA1 ? EVP_sha1() : EVP_sha256();
    EVP_MD_CTX *ctx = st != NULL ? st->ctx : EVP_MD_CTX_new();
    if (ctx == NULL)
        return -1;
    int ok = EVP_DigestInit_ex2(ctx, md, NULL);
    for (size_t i = 0; ok && i < nparts; i++)
        if (parts[i].len != 0)
            ok = EVP_DigestUpdate(ctx, parts[i].ptr, parts[i].len);
    unsigned int n = 0;
    if (ok)
        ok = EVP_DigestFinal_ex(ctx, out, &n);
    if (st == NULL)
        EVP_MD_CTX_free(ctx);
    return ok ? (int)n : -1;
}

void sg_identity__hex(char *out, const unsigned char *bytes, size_t n)
{
    static const char hexdig[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[bytes[i] >> 4];
        out[2 * i + 1] = hexdig[bytes[i] & 0xF];
    }
    out[2 * n] = '\0';
}
