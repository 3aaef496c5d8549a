/* config module: defaults, YAML file overlay, errors with line:column, environment and key overrides. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <storygate/config.h>

static sg_config_t cfg;

static void setup(void)
{
    sg_config_init(&cfg);
}

static void teardown(void)
{
    sg_config_dispose(&cfg);
}

TestSuite(config_load, .init = setup, .fini = teardown);

static int load(const char *text, sg_error_t *err)
{
    return sg_config_load_yaml(&cfg, text, strlen(text), "c.yaml", err);
}

Test(config_load, defaults_match_the_documentation)
{
    cr_assert_str_eq(cfg.listen, "127.0.0.1:8443");
    cr_assert_eq(cfg.http.max_body_bytes, 7340032);
    cr_assert_eq(cfg.http.threads, 0);
    cr_assert_eq(cfg.tls.min_version, 0x0303);
    cr_assert_eq(cfg.log.level, SG_LOG_INFO);
    cr_assert_str_eq(cfg.admission.webhook_path_validate, "/validate");
    cr_assert_str_eq(cfg.admission.webhook_path_mutate, "/mutate");
    cr_assert_eq(cfg.admission.cross_namespace_policy, SG_CROSS_NS_DENY);
    cr_assert_null(cfg.metrics.listen);
    cr_assert_null(cfg.tls.cert_file);
}

Test(config_load, file_values_override_defaults)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(load("listen: 0.0.0.0:9443\n"
                      "tls:\n  certFile: /c/tls.crt\n  keyFile: /c/tls.key\n  minVersion: \"1.3\"\n"
                      "metrics:\n  listen: \"[::1]:9090\"\n"
                      "log: {level: debug, format: json}\n"
                      "http:\n  threads: 4\n  maxBodyBytes: 1048576\n  http2: false\n"
                      "admission:\n  crossNamespacePolicy: grant\n  maxJSONDepth: 64\n"
                      "store: kube\nschema:\n  enabled: false\npolicies:\n",
                      &err),
                 0, "%s", err.message);
    cr_assert_str_eq(cfg.listen, "0.0.0.0:9443");
    cr_assert_str_eq(cfg.tls.cert_file, "/c/tls.crt");
    cr_assert_eq(cfg.tls.min_version, 0x0304);
    cr_assert_str_eq(cfg.metrics.listen, "[::1]:9090");
    cr_assert_eq(cfg.log.level, SG_LOG_DEBUG);
    cr_assert_eq(cfg.http.threads, 4);
    cr_assert_eq(cfg.http.max_body_bytes, 1048576);
    cr_assert_eq(cfg.http.http2, 0);
    cr_assert_eq(cfg.admission.cross_namespace_policy, SG_CROSS_NS_GRANT);
    cr_assert_eq(cfg.admission.max_json_depth, 64);
    cr_assert_eq(cfg.store, SG_STORE_KUBE);
    cr_assert_eq(cfg.schema.enabled, 0);
    cr_assert_null(cfg.policies.dir);
    cr_assert_str_eq(cfg.source, "c.yaml");
    cr_assert_eq(sg_config_validate(&cfg, &err), 0, "%s", err.message);
}

static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] == 'n') {
            *o++ = '\n';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

Test(config_load, bad_files_fail_with_line_and_column)
{
    FILE *f = fopen(SG_TEST_DATA "/errors.txt", "r");
    cr_assert_not_null(f);
    char line[1024];
    int cases = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *sep = strchr(line, '|');
        cr_assert_not_null(sep);
        *sep = '\0';
        unescape(line);
        sg_config_t c;
        sg_config_init(&c);
        sg_error_t err = SG_ERROR_INIT;
        int rc = sg_config_load_yaml(&c, line, strlen(line), "c.yaml", &err);
        cr_expect_eq(rc, SG_EINVALID, "accepted: %s", line);
        cr_expect_str_eq(err.message, sep + 1, "for input: %s", line);
        sg_config_dispose(&c);
        cases++;
    }
    fclose(f);
    cr_assert_gt(cases, 15);
}

Test(config_load, missing_file_is_an_io_error)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_load_file(&cfg, "/nonexistent/storygate.yaml", &err), SG_EIO);
    cr_assert_str_eq(err.message, "/nonexistent/storygate.yaml: No such file or directory");
}

Test(config_load, shipped_dev_config_is_valid)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_load_file(&cfg, SG_SOURCE_DIR "/config/storygate.yaml", &err), 0, "%s", err.message);
    cr_assert_eq(sg_config_validate(&cfg, &err), 0, "%s", err.message);
}

Test(config_load, deploy_config_is_valid)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_load_file(&cfg, SG_SOURCE_DIR "/deploy/base/manager/config.yaml", &err), 0, "%s",
                 err.message);
    cr_assert_str_eq(cfg.listen, "0.0.0.0:9443");
}

TestSuite(config_override, .init = setup, .fini = teardown);

Test(config_override, set_overrides_file_values)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(load("listen: 127.0.0.1:1\n", &err), 0);
    cr_assert_eq(sg_config_set(&cfg, "listen", "127.0.0.1:2", &err), 0);
    cr_assert_str_eq(cfg.listen, "127.0.0.1:2");
    cr_assert_eq(sg_config_set(&cfg, "http.threads", "3", &err), 0);
    cr_assert_eq(cfg.http.threads, 3);
}

Test(config_override, set_rejects_unknown_keys_and_bad_values)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_set(&cfg, "nope", "1", &err), SG_EINVALID);
    cr_assert_str_eq(err.message, "unknown config key \"nope\"");
    cr_assert_eq(sg_config_set(&cfg, "log.level", "verbose", &err), SG_EINVALID);
    cr_assert_str_eq(err.message, "invalid value \"verbose\" for log.level: must be one of: debug, info, warn, error");
    cr_assert_eq(sg_config_set(&cfg, "tls.certFile", "", &err), SG_EINVALID);
}

Test(config_override, environment_uses_upper_snake_names)
{
    char *env[] = {"STORYGATE_LISTEN=127.0.0.1:7",
                   "STORYGATE_TLS_CERT_FILE=/x.crt",
                   "STORYGATE_HTTP_MAX_BODY_BYTES=2048",
                   "STORYGATE_ADMISSION_MAX_JSON_DEPTH=12",
                   "STORYGATE_TLS_CLIENT_CA_FILE=/ca.crt",
                   "OTHER=1",
                   NULL};
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_apply_env(&cfg, env, &err), 0, "%s", err.message);
    cr_assert_str_eq(cfg.listen, "127.0.0.1:7");
    cr_assert_str_eq(cfg.tls.cert_file, "/x.crt");
    cr_assert_eq(cfg.http.max_body_bytes, 2048);
    cr_assert_eq(cfg.admission.max_json_depth, 12);
    cr_assert_str_eq(cfg.tls.client_ca_file, "/ca.crt");
    char *bad[] = {"STORYGATE_HTTP_THREADS=x", NULL};
    cr_assert_eq(sg_config_apply_env(&cfg, bad, &err), SG_EINVALID);
    cr_assert_str_eq(err.message, "STORYGATE_HTTP_THREADS: must be an integer from 0 to 1024");
}

Test(config_override, validate_requires_certificate_and_key)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_validate(&cfg, &err), SG_EINVALID);
    cr_assert_str_eq(err.message, "tls.certFile is required");
    cr_assert_eq(sg_config_set(&cfg, "tls.certFile", "a", &err), 0);
    cr_assert_eq(sg_config_set(&cfg, "tls.keyFile", "b", &err), 0);
    cr_assert_eq(sg_config_validate(&cfg, &err), 0, "%s", err.message);
}

Test(config_override, addresses_split_into_host_and_port)
{
    char host[64];
    uint16_t port;
    cr_assert_eq(sg_config_parse_addr("[::1]:9443", host, sizeof(host), &port, NULL), 0);
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 9443);
    cr_assert_eq(sg_config_parse_addr(":8080", host, sizeof(host), &port, NULL), 0);
    cr_assert_str_eq(host, "");
    cr_assert_eq(port, 8080);
    cr_assert_eq(sg_config_parse_addr("::1:80", host, sizeof(host), &port, NULL), SG_EINVALID);
    cr_assert_eq(sg_config_parse_addr("h:", host, sizeof(host), &port, NULL), SG_EINVALID);
}
