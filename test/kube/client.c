/* The REST client against the fake apiserver: TLS trust, retries on 429/5xx with Retry-After, error mapping,
 * token rotation, client certificates and request metrics. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "helpers.h"

static fakeapi_t *api;
static sg_metrics_t *reg;

static void setup(void)
{
    quiet_logs();
    api = fakeapi_start();
    cr_assert_not_null(api);
    reg = sg_metrics_new();
}

static void teardown(void)
{
    fakeapi_stop(api);
    sg_metrics_free(reg);
}

TestSuite(kube_client, .init = setup, .fini = teardown, .timeout = 60);

static long get(sg_kube_client_t *c, const char *path, int *rc_out, sg_error_t *err)
{
    sg_kube_response_t r;
    sg_kube_response_init(&r);
    int rc = sg_kube_request(c, &r, "GET", path, NULL, 0, NULL, NULL, err);
    long s = r.status;
    if (rc_out != NULL)
        *rc_out = rc;
    sg_kube_response_dispose(&r);
    return s;
}

Test(kube_client, trusts_the_configured_ca_and_lists)
{
    sg_kube_client_t *c = client_for(api, "t1", reg);
    sg_error_t err = SG_ERROR_INIT;
    int rc;
    cr_assert_eq(get(c, "/apis/runs.bubustack.io/v1alpha1/namespaces/default/storytriggers", &rc, &err), 200, "%s",
                 err.message);
    cr_assert_eq(rc, SG_OK);
    sg_kube_client_free(c);
}

Test(kube_client, an_untrusted_server_certificate_fails)
{
    sg_kube_config_t cfg;
    sg_kube_config_init(&cfg);
    cfg.server = strdup(fakeapi_url(api));
    cfg.ca_data = strdup("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    cfg.ca_data_len = strlen(cfg.ca_data);
    sg_kube_client_opts_t o = SG_KUBE_CLIENT_OPTS_INIT;
    o.metrics = reg;
    o.max_attempts = 1;
    sg_kube_client_t *c = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_client_new(&c, &cfg, &o, &err), SG_OK);
    int rc;
    cr_assert_eq(get(c, "/apis/bubustack.io/v1alpha1/namespaces/default/stories", &rc, &err), 0);
    cr_assert_neq(rc, SG_OK);
    cr_assert_eq(fakeapi_count(api, NULL, NULL), 0, "no request got through");
    sg_kube_client_free(c);
    sg_kube_config_dispose(&cfg);
}

Test(kube_client, insecure_skip_verify_accepts_any_certificate)
{
    sg_kube_config_t cfg;
    sg_kube_config_init(&cfg);
    cfg.server = strdup(fakeapi_url(api));
    cfg.insecure_skip_verify = 1;
    sg_kube_client_opts_t o = SG_KUBE_CLIENT_OPTS_INIT;
    o.metrics = reg;
    sg_kube_client_t *c = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_client_new(&c, &cfg, &o, &err), SG_OK);
    cr_assert_eq(get(c, "/apis/bubustack.io/v1alpha1/namespaces/default/stories", NULL, &err), 200, "%s", err.message);
    sg_kube_client_free(c);
    sg_kube_config_dispose(&cfg);
}

Test(kube_client, retries_429_honouring_retry_after)
{
    sg_kube_client_t *c = client_for(api, "t1", reg);
    fakeapi_inject(api, "GET", 429, 1, 2);
    sg_kube_response_t r;
    sg_kube_response_init(&r);
    sg_error_t err = SG_ERROR_INIT;
    int64_t t0 = 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    cr_assert_eq(sg_kube_request(c, &r, "GET", "/apis/bubustack.io/v1alpha1/namespaces/default/stories", NULL, 0, NULL,
                                 NULL, &err),
                 SG_OK, "%s", err.message);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t waited = ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0;
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.attempts, 3);
    /* Two Retry-After: 1 answers: the client waited for them rather than its 10 ms backoff. */
    cr_assert_geq(waited, 1900, "waited %lld ms", (long long)waited);
    sg_kube_response_dispose(&r);
    sg_kube_client_free(c);
}

Test(kube_client, retries_500_on_reads_and_counts_each_attempt)
{
    sg_kube_client_t *c = client_for(api, "t1", reg);
    fakeapi_inject(api, "GET", 500, -1, 2);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(get(c, "/apis/bubustack.io/v1alpha1/namespaces/default/stories", NULL, &err), 200);
    sg_buf_t out = SG_BUF_INIT;
    sg_metrics_render(reg, &out);
    char want[256];
    const char *host = fakeapi_url(api) + 8;
    snprintf(want, sizeof(want), "rest_client_requests_total{code=\"500\",method=\"GET\",host=\"%s\"} 2", host);
    cr_assert(strstr(out.base, want) != NULL, "%s", out.base);
    snprintf(want, sizeof(want), "rest_client_requests_total{code=\"200\",method=\"GET\",host=\"%s\"} 1", host);
    cr_assert(strstr(out.base, want) != NULL, "%s", out.base);
    sg_buf_dispose(&out);
    sg_kube_client_free(c);
}

Test(kube_client, a_post_is_not_retried_after_a_500)
{
    sg_kube_client_t *c = client_for(api, "t1", reg);
    fakeapi_inject(api, "POST", 500, -1, 1);
    sg_kube_response_t r;
    sg_kube_response_init(&r);
    sg_error_t err = SG_ERROR_INIT;
    const char *body = "{\"metadata\":{\"name\":\"s\"}}";
    cr_assert_eq(sg_kube_request(c, &r, "POST", "/apis/bubustack.io/v1alpha1/namespaces/default/stories", body,
                                 strlen(body), "application/json", NULL, &err),
                 SG_OK);
    cr_assert_eq(r.status, 500);
    cr_assert_eq(r.attempts, 1, "the create may have happened: not repeated");
    cr_assert_eq(sg_kube_status_error(&r, &err), SG_EUNAVAILABLE);
    cr_assert(strstr(err.message, "injected failure 500") != NULL, "%s", err.message);
    sg_kube_response_dispose(&r);
    sg_kube_client_free(c);
}

Test(kube_client, attempts_are_bounded)
{
    sg_kube_client_t *c = client_for(api, "t1", reg);
    fakeapi_inject(api, NULL, 503, 0, 100);
    sg_kube_response_t r;
    sg_kube_response_init(&r);
    sg_error_t err = SG_ERROR_INIT;
    sg_kube_request_opts_t ro = {0, 3};
    cr_assert_eq(sg_kube_request(c, &r, "GET", "/apis/bubustack.io/v1alpha1/namespaces/default/stories", NULL, 0, NULL,
                                 &ro, &err),
                 SG_OK);
    cr_assert_eq(r.status, 503);
    cr_assert_eq(r.attempts, 3);
    cr_assert_eq(fakeapi_count(api, "GET", "/stories"), 3);
    sg_kube_response_dispose(&r);
    sg_kube_client_free(c);
}

Test(kube_client, connection_refused_is_unavailable_after_retries)
{
    sg_kube_config_t cfg;
    sg_kube_config_init(&cfg);
    cfg.server = strdup("https://127.0.0.1:1");
    sg_kube_client_opts_t o = SG_KUBE_CLIENT_OPTS_INIT;
    o.metrics = reg;
    o.max_attempts = 2;
    o.backoff_base_ms = 1;
    sg_kube_client_t *c = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_client_new(&c, &cfg, &o, &err), SG_OK);
    sg_kube_response_t r;
    sg_kube_response_init(&r);
    cr_assert_eq(sg_kube_request(c, &r, "GET", "/api", NULL, 0, NULL, NULL, &err), SG_EUNAVAILABLE);
    cr_assert_eq(r.attempts, 2);
    sg_buf_t out = SG_BUF_INIT;
    sg_metrics_render(reg, &out);
    cr_assert(strstr(out.base, "code=\"<error>\",method=\"GET\",host=\"127.0.0.1:1\"} 2") != NULL, "%s", out.base);
    sg_buf_dispose(&out);
    sg_kube_response_dispose(&r);
    sg_kube_client_free(c);
    sg_kube_config_dispose(&cfg);
}

Test(kube_client, status_bodies_map_to_error_codes)
{
    static const struct {
        long status;
        int code;
    } table[] = {{404, SG_ENOTFOUND}, {409, SG_ECONFLICT}, {410, SG_ELIMIT},       {422, SG_EINVALID},
                 {400, SG_EINVALID},  {401, SG_EIO},       {429, SG_EUNAVAILABLE}, {503, SG_EUNAVAILABLE},
                 {200, SG_OK},        {201, SG_OK}};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        sg_kube_response_t r;
        sg_kube_response_init(&r);
        r.status = table[i].status;
        sg_buf_printf(&r.body, "{\"kind\":\"Status\",\"message\":\"m%ld\",\"code\":%ld}", r.status, r.status);
        sg_error_t err = SG_ERROR_INIT;
        cr_expect_eq(sg_kube_status_error(&r, &err), table[i].code, "HTTP %ld", table[i].status);
        if (table[i].code != SG_OK) {
            char want[16];
            snprintf(want, sizeof(want), "m%ld", r.status);
            cr_expect_str_eq(err.message, want);
        }
        sg_kube_response_dispose(&r);
    }
}

Test(kube_client, a_rotated_token_file_is_used_by_the_next_request)
{
    char path[] = "/tmp/sg-token-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(write(fd, "first\n", 6) == 6);
    close(fd);
    fakeapi_allow_token(api, "first");
    fakeapi_allow_token(api, "second");
    sg_kube_config_t cfg;
    sg_kube_config_init(&cfg);
    cfg.server = strdup(fakeapi_url(api));
    size_t n;
    cfg.ca_data = strdup(fakeapi_ca_pem(api, &n));
    cfg.ca_data_len = n;
    cfg.token_file = strdup(path);
    sg_kube_client_opts_t o = SG_KUBE_CLIENT_OPTS_INIT;
    o.metrics = reg;
    sg_kube_client_t *c = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_client_new(&c, &cfg, &o, &err), SG_OK);
    const char *p = "/apis/bubustack.io/v1alpha1/namespaces/default/stories";
    cr_assert_eq(get(c, p, NULL, &err), 200);
    char seen[64];
    fakeapi_last_auth(api, seen, sizeof(seen));
    cr_assert_str_eq(seen, "first");
    /* Rotate as kubelet does: a new file renamed over the old one. */
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    FILE *f = fopen(tmp, "w");
    fputs("second", f);
    fclose(f);
    cr_assert_eq(rename(tmp, path), 0);
    fakeapi_deny_token(api, "first");
    cr_assert_eq(get(c, p, NULL, &err), 200);
    fakeapi_last_auth(api, seen, sizeof(seen));
    cr_assert_str_eq(seen, "second");
    unlink(path);
    sg_kube_client_free(c);
    sg_kube_config_dispose(&cfg);
}

Test(kube_client, a_rejected_token_gets_401)
{
    fakeapi_allow_token(api, "good");
    sg_kube_client_t *c = client_for(api, "bad", reg);
    sg_kube_response_t r;
    sg_kube_response_init(&r);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_request(c, &r, "GET", "/apis/bubustack.io/v1alpha1/namespaces/default/stories", NULL, 0, NULL,
                                 NULL, &err),
                 SG_OK);
    cr_assert_eq(r.status, 401);
    cr_assert_eq(r.attempts, 1);
    cr_assert_eq(sg_kube_status_error(&r, &err), SG_EIO);
    sg_kube_response_dispose(&r);
    sg_kube_client_free(c);
}

Test(kube_client, client_certificates_authenticate)
{
    fakeapi_allow_token(api, "only-this");
    char *cert, *key;
    fakeapi_client_cert(&cert, &key, "system:serviceaccount:sg:storygate");
    sg_kube_config_t cfg;
    sg_kube_config_init(&cfg);
    cfg.server = strdup(fakeapi_url(api));
    size_t n;
    cfg.ca_data = strdup(fakeapi_ca_pem(api, &n));
    cfg.ca_data_len = n;
    cfg.cert_data = cert;
    cfg.cert_data_len = strlen(cert);
    cfg.key_data = key;
    cfg.key_data_len = strlen(key);
    sg_kube_client_opts_t o = SG_KUBE_CLIENT_OPTS_INIT;
    o.metrics = reg;
    sg_kube_client_t *c = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_client_new(&c, &cfg, &o, &err), SG_OK);
    cr_assert_eq(get(c, "/apis/bubustack.io/v1alpha1/namespaces/default/stories", NULL, &err), 200, "%s", err.message);
    char seen[128];
    fakeapi_last_auth(api, seen, sizeof(seen));
    cr_assert_str_eq(seen, "cn:system:serviceaccount:sg:storygate");
    sg_kube_client_free(c);
    sg_kube_config_dispose(&cfg);
}

Test(kube_client, a_server_without_https_scheme_is_refused)
{
    sg_kube_config_t cfg;
    sg_kube_config_init(&cfg);
    cfg.server = strdup("ftp://x");
    sg_kube_client_t *c = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_kube_client_new(&c, &cfg, NULL, &err), SG_EINVALID);
    cr_assert_null(c);
    sg_kube_config_dispose(&cfg);
}
