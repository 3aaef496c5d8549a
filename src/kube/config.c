/* Connection settings: a kubeconfig file (YAML, one selected context) or the pod's service account mount.
 * Only static credentials are understood; exec/auth-provider plugins are refused rather than half-supported. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <storygate/yaml.h>

#include "internal.h"

void sg_kube_config_init(sg_kube_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
}

void sg_kube_config_dispose(sg_kube_config_t *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->server);
    free(cfg->namespace_);
    if (cfg->token != NULL)
        OPENSSL_cleanse(cfg->token, strlen(cfg->token));
    free(cfg->token);
    free(cfg->token_file);
    free(cfg->ca_file);
    free(cfg->ca_data);
    free(cfg->cert_file);
    free(cfg->cert_data);
    free(cfg->key_file);
    if (cfg->key_data != NULL)
        OPENSSL_cleanse(cfg->key_data, cfg->key_data_len);
    free(cfg->key_data);
    memset(cfg, 0, sizeof(*cfg));
}

int sg_kube__read_file(char **out, size_t *len, const char *path, size_t max, sg_error_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sg_error_set(err, SG_EIO, "%s: %s", path, strerror(errno));
    sg_buf_t b = SG_BUF_INIT;
    char chunk[4096];
    size_t n;
    int rc = SG_OK;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > max) {
            rc = sg_error_set(err, SG_ELIMIT, "%s: larger than %zu bytes", path, max);
            break;
        }
        if (sg_buf_append(&b, chunk, n) != 0) {
            rc = sg_error_set(err, SG_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == SG_OK && ferror(f))
        rc = sg_error_set(err, SG_EIO, "%s: read error", path);
    fclose(f);
    if (rc == SG_OK && sg_buf_reserve(&b, 0) != 0)
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
    if (rc != SG_OK) {
        sg_buf_dispose(&b);
        return rc;
    }
    *out = sg_buf_detach(&b, len);
    return SG_OK;
}

/* Trims surrounding whitespace in place (token and namespace files often end in a newline). */
static void trim(char *s)
{
    size_t n = strlen(s), i = 0;
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
        i++;
    memmove(s, s + i, n - i + 1);
}

static int dup_str(char **dst, const char *s, sg_error_t *err)
{
    free(*dst);
    *dst = strdup(s);
    return *dst != NULL ? SG_OK : sg_error_set(err, SG_ENOMEM, "out of memory");
}

/* Resolves a kubeconfig-relative path (kubectl resolves them against the file's folder). */
static int dup_path(char **dst, const char *dir, const char *p, sg_error_t *err)
{
    free(*dst);
    *dst = NULL;
    if (p[0] == '/' || dir[0] == '\0')
        return dup_str(dst, p, err);
    if (asprintf(dst, "%s/%s", dir, p) < 0) {
        *dst = NULL;
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    return SG_OK;
}

static int decode_b64(char **dst, size_t *dst_len, const sg_json_t *v, const char *what, sg_error_t *err)
{
    size_t n;
    const char *s = sg_json_string(v, &n);
    if (s == NULL)
        return sg_error_set(err, SG_EINVALID, "kubeconfig: %s must be a string", what);
    /* EVP_DecodeBlock wants no whitespace and a multiple of 4 characters. */
    char *clean = malloc(n + 4);
    if (clean == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t')
            clean[m++] = s[i];
    if (m % 4 != 0 || m > INT_MAX) {
        free(clean);
        return sg_error_set(err, SG_EINVALID, "kubeconfig: %s is not valid base64", what);
    }
    unsigned char *out = malloc(m / 4 * 3 + 1);
    if (out == NULL) {
        free(clean);
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    }
    int got = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)m);
    if (got < 0) {
        free(clean);
        free(out);
        return sg_error_set(err, SG_EINVALID, "kubeconfig: %s is not valid base64", what);
    }
    size_t len = (size_t)got;
    if (m >= 1 && clean[m - 1] == '=')
        len--;
    if (m >= 2 && clean[m - 2] == '=')
        len--;
    out[len] = '\0';
    free(clean);
    free(*dst);
    *dst = (char *)out;
    *dst_len = len;
    return SG_OK;
}

/* The `inner` mapping of the entry named `name` in the list `list` ({name, <inner>: {...}}). */
static const sg_json_t *find_named(const sg_json_t *root, const char *list, const char *inner, const char *name)
{
    const sg_json_t *arr = sg_json_get(root, list);
    if (arr == NULL || arr->type != SG_JSON_ARRAY)
        return NULL;
    for (size_t i = 0; i < arr->u.array.len; i++) {
        const sg_json_t *e = arr->u.array.items[i];
        if (sg_json_string_eq(sg_json_get(e, "name"), name)) {
            const sg_json_t *v = sg_json_get(e, inner);
            return v != NULL && v->type == SG_JSON_OBJECT ? v : NULL;
        }
    }
    return NULL;
}

static const char *str_member(const sg_json_t *obj, const char *key)
{
    const char *s = sg_json_string(sg_json_get(obj, key), NULL);
    return s != NULL && s[0] != '\0' ? s : NULL;
}

static int load_cluster(sg_kube_config_t *cfg, const sg_json_t *cl, const char *dir, sg_error_t *err)
{
    int rc;
    const char *server = str_member(cl, "server");
    if (server == NULL)
        return sg_error_set(err, SG_EINVALID, "kubeconfig: cluster has no server");
    if ((rc = dup_str(&cfg->server, server, err)) != SG_OK)
        return rc;
    size_t n = strlen(cfg->server);
    while (n > 0 && cfg->server[n - 1] == '/')
        cfg->server[--n] = '\0';
    const char *s;
    if (sg_json_get(cl, "certificate-authority-data") != NULL) {
        if ((rc = decode_b64(&cfg->ca_data, &cfg->ca_data_len, sg_json_get(cl, "certificate-authority-data"),
                             "certificate-authority-data", err)) != SG_OK)
            return rc;
    } else if ((s = str_member(cl, "certificate-authority")) != NULL) {
        if ((rc = dup_path(&cfg->ca_file, dir, s, err)) != SG_OK)
            return rc;
    }
    const sg_json_t *insecure = sg_json_get(cl, "insecure-skip-tls-verify");
    cfg->insecure_skip_verify = insecure != NULL && insecure->type == SG_JSON_BOOL && insecure->u.boolean;
    return SG_OK;
}

static int load_user(sg_kube_config_t *cfg, const sg_json_t *u, const char *dir, sg_error_t *err)
{
    int rc;
    const char *s;
    if (sg_json_get(u, "exec") != NULL || sg_json_get(u, "auth-provider") != NULL)
        return sg_error_set(err, SG_EUNSUPPORTED,
                            "kubeconfig: exec and auth-provider credentials are not supported; use a token or a "
                            "client certificate");
    if ((s = str_member(u, "token")) != NULL && (rc = dup_str(&cfg->token, s, err)) != SG_OK)
        return rc;
    if ((s = str_member(u, "tokenFile")) != NULL && (rc = dup_path(&cfg->token_file, dir, s, err)) != SG_OK)
        return rc;
    if (sg_json_get(u, "client-certificate-data") != NULL) {
        if ((rc = decode_b64(&cfg->cert_data, &cfg->cert_data_len, sg_json_get(u, "client-certificate-data"),
                             "client-certificate-data", err)) != SG_OK)
            return rc;
    } else if ((s = str_member(u, "client-certificate")) != NULL &&
               (rc = dup_path(&cfg->cert_file, dir, s, err)) != SG_OK)
        return rc;
    if (sg_json_get(u, "client-key-data") != NULL) {
        if ((rc = decode_b64(&cfg->key_data, &cfg->key_data_len, sg_json_get(u, "client-key-data"), "client-key-data",
                             err)) != SG_OK)
            return rc;
    } else if ((s = str_member(u, "client-key")) != NULL && (rc = dup_path(&cfg->key_file, dir, s, err)) != SG_OK)
        return rc;
    int has_cert = cfg->cert_data != NULL || cfg->cert_file != NULL;
    int has_key = cfg->key_data != NULL || cfg->key_file != NULL;
    if (has_cert != has_key)
        return sg_error_set(err, SG_EINVALID, "kubeconfig: a client certificate needs its key and vice versa");
    return SG_OK;
}

int sg_kube_config_load_kubeconfig(sg_kube_config_t *cfg, const char *path, const char *context, sg_error_t *err)
{
    sg_kube_config_dispose(cfg);
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_yaml_opts_t yopts = SG_YAML_OPTS_INIT;
    yopts.max_bytes = 4u << 20;
    sg_json_t **docs = NULL;
    size_t ndocs = 0;
    char *dir = NULL;
    int rc = sg_yaml_load_file(&docs, &ndocs, &arena, path, &yopts, err);
    if (rc != SG_OK)
        goto cleanup;
    const sg_json_t *root = ndocs > 0 ? docs[0] : NULL;
    if (root == NULL || root->type != SG_JSON_OBJECT) {
        rc = sg_error_set(err, SG_EINVALID, "%s: not a kubeconfig (expected a mapping)", path);
        goto cleanup;
    }
    const char *ctx_name = context != NULL && context[0] != '\0' ? context : str_member(root, "current-context");
    if (ctx_name == NULL) {
        rc = sg_error_set(err, SG_EINVALID, "%s: no current-context and no context given", path);
        goto cleanup;
    }
    const sg_json_t *ctx = find_named(root, "contexts", "context", ctx_name);
    if (ctx == NULL) {
        rc = sg_error_set(err, SG_EINVALID, "%s: context \"%s\" not found", path, ctx_name);
        goto cleanup;
    }
    const char *cl_name = str_member(ctx, "cluster"), *user_name = str_member(ctx, "user");
    const sg_json_t *cl = cl_name != NULL ? find_named(root, "clusters", "cluster", cl_name) : NULL;
    if (cl == NULL) {
        rc = sg_error_set(err, SG_EINVALID, "%s: cluster \"%s\" of context \"%s\" not found", path,
                          cl_name != NULL ? cl_name : "", ctx_name);
        goto cleanup;
    }
    dir = strdup(path);
    if (dir == NULL) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto cleanup;
    }
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        dir[0] = '\0';
    if ((rc = load_cluster(cfg, cl, dir, err)) != SG_OK)
        goto cleanup;
    if (user_name != NULL) {
        const sg_json_t *u = find_named(root, "users", "user", user_name);
        if (u == NULL) {
            rc = sg_error_set(err, SG_EINVALID, "%s: user \"%s\" of context \"%s\" not found", path, user_name,
                              ctx_name);
            goto cleanup;
        }
        if ((rc = load_user(cfg, u, dir, err)) != SG_OK)
            goto cleanup;
    }
    const char *ns = str_member(ctx, "namespace");
    rc = dup_str(&cfg->namespace_, ns != NULL ? ns : "default", err);

cleanup:
    if (rc != SG_OK)
        sg_kube_config_dispose(cfg);
    free(dir);
    sg_arena_dispose(&arena);
    return rc;
}

int sg_kube_config_load_incluster(sg_kube_config_t *cfg, const char *sa_dir, sg_error_t *err)
{
    sg_kube_config_dispose(cfg);
    if (sa_dir == NULL)
        sa_dir = getenv("SG_KUBE_SA_DIR");
    if (sa_dir == NULL || sa_dir[0] == '\0')
        sa_dir = SG_KUBE_SA_DIR_DEFAULT;
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0')
        return sg_error_set(err, SG_EINVALID,
                            "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set "
                            "(or pass a kubeconfig)");
    int rc = SG_OK;
    char *ns = NULL;
    size_t len;
    int v6 = strchr(host, ':') != NULL;
    if (asprintf(&cfg->server, v6 ? "https://[%s]:%s" : "https://%s:%s", host, port) < 0) {
        cfg->server = NULL;
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto cleanup;
    }
    if (asprintf(&cfg->token_file, "%s/token", sa_dir) < 0 || asprintf(&cfg->ca_file, "%s/ca.crt", sa_dir) < 0) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto cleanup;
    }
    /* Fail now rather than on the first request when the mount is missing. */
    char *tok = NULL;
    if ((rc = sg_kube__read_file(&tok, &len, cfg->token_file, SG_KUBE__FILE_MAX, err)) != SG_OK)
        goto cleanup;
    OPENSSL_cleanse(tok, len);
    free(tok);
    if (access(cfg->ca_file, R_OK) != 0) {
        rc = sg_error_set(err, SG_EIO, "%s: %s", cfg->ca_file, strerror(errno));
        goto cleanup;
    }
    char *nspath = NULL;
    if (asprintf(&nspath, "%s/namespace", sa_dir) < 0) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto cleanup;
    }
    sg_error_t ignored = SG_ERROR_INIT;
    if (sg_kube__read_file(&ns, &len, nspath, 4096, &ignored) == SG_OK)
        trim(ns);
    free(nspath);
    rc = dup_str(&cfg->namespace_, ns != NULL && ns[0] != '\0' ? ns : "default", err);

cleanup:
    free(ns);
    if (rc != SG_OK)
        sg_kube_config_dispose(cfg);
    return rc;
}

int sg_kube_config_load(sg_kube_config_t *cfg, const char *kubeconfig, const char *context, sg_error_t *err)
{
    if (kubeconfig != NULL && kubeconfig[0] != '\0')
        return sg_kube_config_load_kubeconfig(cfg, kubeconfig, context, err);
    const char *env = getenv("KUBECONFIG");
    if (env != NULL && env[0] != '\0') {
        /* A list of files is merged by kubectl; here the first one must hold the whole config. */
        char *first = strndup(env, strcspn(env, ":"));
        if (first == NULL)
            return sg_error_set(err, SG_ENOMEM, "out of memory");
        int rc = sg_kube_config_load_kubeconfig(cfg, first, context, err);
        free(first);
        return rc;
    }
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    if (host != NULL && host[0] != '\0')
        return sg_kube_config_load_incluster(cfg, NULL, err);
    const char *home = getenv("HOME");
    if (home == NULL || home[0] == '\0') {
        sg_kube_config_dispose(cfg);
        return sg_error_set(err, SG_EINVALID,
                            "no Kubernetes connection: pass a kubeconfig, set KUBECONFIG, or run in a pod");
    }
    char *path = NULL;
    if (asprintf(&path, "%s/.kube/config", home) < 0)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    int rc = sg_kube_config_load_kubeconfig(cfg, path, context, err);
    free(path);
    return rc;
}
