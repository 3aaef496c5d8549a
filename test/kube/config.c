/* Connection settings: kubeconfig contexts, clusters and users, inline (base64) certificates, and the in-cluster
 * service account mount. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#define KC(name) SG_TEST_DATA "/kubeconfig/" name

static sg_kube_config_t cfg;

static void setup(void)
{
    sg_kube_config_init(&cfg);
}

static void teardown(void)
{
    sg_kube_config_dispose(&cfg);
}

TestSuite(kube_config, .init = setup, .fini = teardown);

Test(kube_config, current_context_selects_cluster_user_and_namespace)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_config_load_kubeconfig(&cfg, KC("token.yaml"), NULL, &err), SG_OK, "%s", err.message);
    cr_assert_str_eq(cfg.server, "https://10.0.0.1:6443");
    cr_assert_str_eq(cfg.token, "abc.def");
    cr_assert_str_eq(cfg.namespace_, "team-a");
    cr_assert_str_eq(cfg.ca_file, SG_TEST_DATA "/kubeconfig/certs/ca.crt", "relative paths resolve to the file's dir");
    cr_assert_eq(cfg.insecure_skip_verify, 0);
    cr_assert_null(cfg.token_file);
}

Test(kube_config, named_context_overrides_current_context)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_config_load_kubeconfig(&cfg, KC("token.yaml"), "other", &err), SG_OK, "%s", err.message);
    cr_assert_str_eq(cfg.server, "https://other:443");
    cr_assert_eq(cfg.insecure_skip_verify, 1);
    cr_assert_str_eq(cfg.token_file, "/var/run/token");
    cr_assert_null(cfg.token);
    cr_assert_str_eq(cfg.namespace_, "default");
}

/* Table of kubeconfigs that must be refused, with the error code and a word of the message. */
static const struct {
    const char *file, *context;
    int code;
    const char *needle;
} bad[] = {
    {"exec.yaml", NULL, SG_EUNSUPPORTED, "exec"},
    {"missing-cluster.yaml", NULL, SG_EINVALID, "nowhere"},
    {"no-context.yaml", NULL, SG_EINVALID, "current-context"},
    {"token.yaml", "absent", SG_EINVALID, "absent"},
    {"cert-without-key.yaml", NULL, SG_EINVALID, "key"},
    {"bad-base64.yaml", NULL, SG_EINVALID, "base64"},
    {"does-not-exist.yaml", NULL, SG_EIO, "does-not-exist"},
};

Test(kube_config, unusable_kubeconfigs_are_refused_with_a_reason)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sg_error_t err = SG_ERROR_INIT;
        char path[512];
        snprintf(path, sizeof(path), SG_TEST_DATA "/kubeconfig/%s", bad[i].file);
        int rc = sg_kube_config_load_kubeconfig(&cfg, path, bad[i].context, &err);
        cr_expect_eq(rc, bad[i].code, "%s: rc=%d %s", bad[i].file, rc, err.message);
        cr_expect(strstr(err.message, bad[i].needle) != NULL, "%s: %s", bad[i].file, err.message);
        cr_expect_null(cfg.server, "%s: config is left empty", bad[i].file);
    }
}

static char *b64(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

Test(kube_config, inline_certificate_data_is_base64_decoded)
{
    char *cert, *key;
    fakeapi_client_cert(&cert, &key, "alice");
    char *c64 = b64(cert), *k64 = b64(key), *ca64 = b64("-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
    char path[] = "/tmp/sg-kubeconfig-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f,
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: "
            "https://k:6443\n    certificate-authority-data: %s\ncontexts:\n- name: c\n  context: {cluster: k, user: "
            "u}\nusers:\n- name: u\n  user:\n    client-certificate-data: %s\n    client-key-data: %s\n",
            ca64, c64, k64);
    fclose(f);
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_kube_config_load_kubeconfig(&cfg, path, NULL, &err);
    unlink(path);
    cr_assert_eq(rc, SG_OK, "%s", err.message);
    cr_assert_eq(cfg.cert_data_len, strlen(cert));
    cr_assert_eq(memcmp(cfg.cert_data, cert, strlen(cert)), 0);
    cr_assert_eq(cfg.key_data_len, strlen(key));
    cr_assert_eq(memcmp(cfg.key_data, key, strlen(key)), 0);
    cr_assert_str_eq(cfg.ca_data, "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
    free(cert);
    free(key);
    free(c64);
    free(k64);
    free(ca64);
}

static char *sa_dir(const char *token, const char *ns)
{
    char *d = strdup("/tmp/sg-sa-XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    char p[256];
    snprintf(p, sizeof(p), "%s/token", d);
    FILE *f = fopen(p, "w");
    fputs(token, f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/ca.crt", d);
    f = fopen(p, "w");
    fputs("ca", f);
    fclose(f);
    if (ns != NULL) {
        snprintf(p, sizeof(p), "%s/namespace", d);
        f = fopen(p, "w");
        fputs(ns, f);
        fclose(f);
    }
    return d;
}

static void sa_remove(char *d)
{
    char p[256];
    const char *names[] = {"token", "ca.crt", "namespace"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", d, names[i]);
        unlink(p);
    }
    rmdir(d);
    free(d);
}

Test(kube_config, in_cluster_reads_the_service_account_mount)
{
    char *d = sa_dir("tok\n", "storygate-system\n");
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    setenv("SG_KUBE_SA_DIR", d, 1);
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_kube_config_load_incluster(&cfg, NULL, &err);
    cr_assert_eq(rc, SG_OK, "%s", err.message);
    cr_assert_str_eq(cfg.server, "https://10.96.0.1:443");
    cr_assert_str_eq(cfg.namespace_, "storygate-system");
    char want[256];
    snprintf(want, sizeof(want), "%s/token", d);
    cr_assert_str_eq(cfg.token_file, want);
    snprintf(want, sizeof(want), "%s/ca.crt", d);
    cr_assert_str_eq(cfg.ca_file, want);
    sa_remove(d);
}

Test(kube_config, in_cluster_brackets_ipv6_hosts_and_defaults_the_namespace)
{
    char *d = sa_dir("tok", NULL);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_kube_config_load_incluster(&cfg, d, &err);
    cr_assert_eq(rc, SG_OK, "%s", err.message);
    cr_assert_str_eq(cfg.server, "https://[fd00::1]:6443");
    cr_assert_str_eq(cfg.namespace_, "default");
    sa_remove(d);
}

Test(kube_config, outside_a_cluster_in_cluster_config_is_refused)
{
    unsetenv("KUBERNETES_SERVICE_HOST");
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_config_load_incluster(&cfg, "/nonexistent", &err), SG_EINVALID);
    cr_assert(strstr(err.message, "KUBERNETES_SERVICE_HOST") != NULL);
}

Test(kube_config, missing_token_file_is_reported)
{
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_config_load_incluster(&cfg, "/nonexistent-sa", &err), SG_EIO);
    cr_assert(strstr(err.message, "/nonexistent-sa/token") != NULL, "%s", err.message);
}

Test(kube_config, discovery_prefers_the_explicit_file_then_kubeconfig_env_then_the_pod)
{
    char *d = sa_dir("tok", "pod-ns");
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    setenv("SG_KUBE_SA_DIR", d, 1);
    setenv("KUBECONFIG", KC("token.yaml") ":/elsewhere", 1);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_config_load(&cfg, KC("token.yaml"), "other", &err), SG_OK, "%s", err.message);
    cr_assert_str_eq(cfg.server, "https://other:443");
    cr_assert_eq(sg_kube_config_load(&cfg, NULL, NULL, &err), SG_OK, "%s", err.message);
    cr_assert_str_eq(cfg.server, "https://10.0.0.1:6443", "KUBECONFIG before the service account");
    unsetenv("KUBECONFIG");
    cr_assert_eq(sg_kube_config_load(&cfg, NULL, NULL, &err), SG_OK, "%s", err.message);
    cr_assert_str_eq(cfg.server, "https://10.96.0.1:443");
    cr_assert_str_eq(cfg.namespace_, "pod-ns");
    unsetenv("KUBERNETES_SERVICE_HOST");
    setenv("HOME", "/nonexistent-home", 1);
    cr_assert_eq(sg_kube_config_load(&cfg, NULL, NULL, &err), SG_EIO);
    cr_assert(strstr(err.message, "/nonexistent-home/.kube/config") != NULL, "%s", err.message);
    sa_remove(d);
}
