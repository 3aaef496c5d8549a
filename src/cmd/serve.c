/* `storygate serve`: settings from defaults, the config file, STORYGATE_* variables and flags (in that order of
 * precedence, lowest first), then the HTTPS server until SIGTERM. Fatal problems are one line on stderr. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/admission.h>
#include <storygate/api.h>
#include <storygate/cluster.h>
#include <storygate/cmd.h>
#include <storygate/config.h>
#include <storygate/http.h>
#include <storygate/log.h>
#include <storygate/policy.h>
#include <storygate/schema.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: storygate serve [options]\n\n"
               "options (each overrides the config file and STORYGATE_* environment variables):\n"
               "  --config FILE            YAML config file (default: $STORYGATE_CONFIG, else built-in defaults)\n"
               "  --listen HOST:PORT       HTTPS listen address (listen)\n"
               "  --tls-cert FILE          serving certificate chain, PEM (tls.certFile)\n"
               "  --tls-key FILE           serving private key, PEM (tls.keyFile)\n"
               "  --metrics-listen H:P     plain-HTTP listener for /metrics and probes (metrics.listen)\n"
               "  --log-level LEVEL        debug, info, warn or error (log.level)\n"
               "  --data-dir DIR           state directory of the embedded store (dataDir)\n"
               "  --kubeconfig FILE        apiserver connection for store kube (kube.kubeconfig)\n"
               "  --set KEY=VALUE          any config key, e.g. --set http.threads=4\n"
               "  --help                   this text\n\n"
               "config keys:");
    const char *const *keys = sg_config_keys();
    for (size_t i = 0; keys[i] != NULL; i++)
        fprintf(f, "%s%s", i % 4 == 0 ? "\n  " : " ", keys[i]);
    fprintf(f, "\n\nSee docs/CONFIGURATION.md.\n");
}

enum {
    OPT_CONFIG = 256,
    OPT_LISTEN,
    OPT_CERT,
    OPT_KEY,
    OPT_METRICS,
    OPT_LOG_LEVEL,
    OPT_DATA_DIR,
    OPT_KUBECONFIG,
    OPT_SET,
    OPT_HELP
};

static const struct option options[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"tls-cert", required_argument, NULL, OPT_CERT},
    {"tls-key", required_argument, NULL, OPT_KEY},
    {"metrics-listen", required_argument, NULL, OPT_METRICS},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"set", required_argument, NULL, OPT_SET},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char *flag_key(int opt)
{
    switch (opt) {
    case OPT_LISTEN:
        return "listen";
    case OPT_CERT:
        return "tls.certFile";
    case OPT_KEY:
        return "tls.keyFile";
    case OPT_METRICS:
        return "metrics.listen";
    case OPT_LOG_LEVEL:
        return "log.level";
    case OPT_DATA_DIR:
        return "dataDir";
    case OPT_KUBECONFIG:
        return "kube.kubeconfig";
    default:
        return NULL;
    }
}

/* Applies the flags other than --config; returns 0, or 2 after printing the problem. */
static int apply_flags(sg_config_t *cfg, int argc, char **argv)
{
    sg_error_t err = SG_ERROR_INIT;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        const char *key = flag_key(opt);
        if (key != NULL) {
            if (sg_config_set(cfg, key, optarg, &err) < 0) {
                fprintf(stderr, "storygate serve: --%s: %s\n", options[opt - OPT_CONFIG].name, err.message);
                return 2;
            }
        } else if (opt == OPT_SET) {
            char *eq = strchr(optarg, '=');
            if (eq == NULL) {
                fprintf(stderr, "storygate serve: --set needs KEY=VALUE (got \"%s\")\n", optarg);
                return 2;
            }
            *eq = '\0';
            int rc = sg_config_set(cfg, optarg, eq + 1, &err);
            *eq = '=';
            if (rc < 0) {
                fprintf(stderr, "storygate serve: --set: %s\n", err.message);
                return 2;
            }
        }
    }
    return 0;
}

/* SIGHUP: the watcher thread recompiles the policies, off the control thread. */
static void reload_policies(void *engine)
{
    sg_policy_engine_request_reload(engine);
}

int sg_cmd_serve(int argc, char **argv)
{
    const char *config_path = getenv("STORYGATE_CONFIG");
    int opt;
    opterr = 0; /* one line of our own instead of getopt's */
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == OPT_HELP) {
            usage(stdout);
            return 0;
        }
        if (opt == OPT_CONFIG)
            config_path = optarg;
        else if (opt == '?' || opt == ':') {
            fprintf(stderr, "storygate serve: %s option \"%s\" (see 'storygate serve --help')\n",
                    opt == ':' ? "missing value for" : "unknown", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "storygate serve: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }

    sg_config_t cfg;
    sg_config_init(&cfg);
    sg_error_t err = SG_ERROR_INIT;
    sg_http_server_t *server = NULL;
    sg_admission_t *adm = NULL;
    sg_schema_set_t *schemas = NULL;
    sg_schema_validator_t schema_ctx = {NULL, SG_SCHEMA_UNKNOWN_WARN};
    sg_policy_engine_t *policies = NULL;
    sg_admission_validator_t validators[2];
    size_t nvalidators = 0;
    sg_api_t *api = NULL;
    sg_cluster_t *cluster = NULL;
    int status = 2;
    if (config_path != NULL && config_path[0] != '\0' && sg_config_load_file(&cfg, config_path, &err) < 0) {
        fprintf(stderr, "storygate serve: %s\n", err.message);
        goto done;
    }
    if (sg_config_apply_env(&cfg, NULL, &err) < 0) {
        fprintf(stderr, "storygate serve: %s\n", err.message);
        goto done;
    }
    if (apply_flags(&cfg, argc, argv) != 0)
        goto done;
    if (sg_config_validate(&cfg, &err) < 0) {
        fprintf(stderr, "storygate serve: %s\n", err.message);
        goto done;
    }
    sg_log_set_level(cfg.log.level);

    status = 1;
    if (sg_http_server_new(&server, &cfg, NULL, &err) < 0 || sg_http_server_listen(server, &err) < 0) {
        fprintf(stderr, "storygate serve: %s\n", err.message);
        goto done;
    }
    sg_metrics_register_process(sg_metrics_default());
    sg_admission_opts_t aopts = SG_ADMISSION_OPTS_INIT;
    aopts.cross_namespace_policy = cfg.admission.cross_namespace_policy == SG_CROSS_NS_ALLOW   ? SG_REFS_POLICY_ALLOW
                                   : cfg.admission.cross_namespace_policy == SG_CROSS_NS_GRANT ? SG_REFS_POLICY_GRANT
                                                                                               : SG_REFS_POLICY_DENY;
    aopts.max_depth = cfg.admission.max_json_depth;
    aopts.max_body = cfg.http.max_body_bytes;
    if (cfg.schema.enabled) {
        if (sg_schema_set_new(&schemas, &err) < 0 ||
            (cfg.schema.crd_dir != NULL ? sg_schema_set_load_dir(schemas, cfg.schema.crd_dir, &err)
                                        : sg_schema_set_load_builtin(schemas, &err)) < 0) {
            fprintf(stderr, "storygate serve: %s\n", err.message);
            goto done;
        }
        schema_ctx.set = schemas;
        validators[nvalidators++] = (sg_admission_validator_t){"schema", sg_schema_admission_validate, &schema_ctx};
    }
    if (cfg.policies.dir != NULL) {
        sg_policy_engine_opts_t popts = SG_POLICY_ENGINE_OPTS_INIT;
        popts.dir = cfg.policies.dir;
        sg_buf_t diag = SG_BUF_INIT;
        if (sg_policy_engine_new(&policies, &popts, &diag, &err) < 0) {
            if (diag.len != 0)
                fputs(diag.base, stderr);
            else
                fprintf(stderr, "storygate serve: %s\n", err.message);
            sg_buf_dispose(&diag);
            goto done;
        }
        sg_buf_dispose(&diag);
        if (sg_policy_engine_start_watcher(policies, &err) < 0 ||
            sg_http_server_on_reload(server, reload_policies, policies) < 0) {
            fprintf(stderr, "storygate serve: %s\n", err.message);
            goto done;
        }
        validators[nvalidators++] = (sg_admission_validator_t){"policy", sg_policy_admission_validate, policies};
    }
    aopts.validators = validators;
    aopts.nvalidators = nvalidators;
    if (sg_admission_new(&adm, &aopts, &err) < 0) {
        fprintf(stderr, "storygate serve: %s\n", err.message);
        goto done;
    }
    sg_http_server_set_admission(server, adm);
    if ((cfg.store == SG_STORE_EMBEDDED ? sg_api_embedded_start(&api, &cfg, server, &aopts, &err)
                                        : sg_cluster_start(&cluster, &cfg, server, &aopts, &err)) < 0) {
        fprintf(stderr, "storygate serve: %s\n", err.message);
        goto done;
    }
    sg_log_info("starting storygate", "version", SG_LOG_STR, SG_VERSION, "listen", SG_LOG_STR, cfg.listen, "config",
                SG_LOG_STR, cfg.source, NULL);
    if (sg_http_server_run(server, &err) < 0) {
        fprintf(stderr, "storygate serve: %s\n", err.message);
        goto done;
    }
    status = 0;
done:
    sg_api_embedded_stop(api);
    sg_cluster_stop(cluster);
    sg_http_server_free(server);
    sg_admission_free(adm);
    sg_policy_engine_free(policies);
    sg_schema_set_free(schemas);
    sg_config_dispose(&cfg);
    return status;
}
