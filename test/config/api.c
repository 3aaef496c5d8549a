/* config module: the embedded API's worker pool keys (api.workers, api.maxQueuedRequests) from every source. */
#include <criterion/criterion.h>
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

TestSuite(config_api, .init = setup, .fini = teardown);

Test(config_api, pool_defaults_match_the_documentation)
{
    cr_assert_eq(cfg.api.workers, 32);
    cr_assert_eq(cfg.api.max_queued_requests, 4096);
}

Test(config_api, file_sets_workers_and_queue_length)
{
    sg_error_t err = SG_ERROR_INIT;
    const char *text = "api:\n  workers: 2\n  maxQueuedRequests: 4\n";
    cr_assert_eq(sg_config_load_yaml(&cfg, text, strlen(text), "c.yaml", &err), 0, "%s", err.message);
    cr_assert_eq(cfg.api.workers, 2);
    cr_assert_eq(cfg.api.max_queued_requests, 4);
}

Test(config_api, bounds_are_inclusive)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_set(&cfg, "api.workers", "1", &err), 0, "%s", err.message);
    cr_assert_eq(cfg.api.workers, 1);
    cr_assert_eq(sg_config_set(&cfg, "api.workers", "1024", &err), 0, "%s", err.message);
    cr_assert_eq(cfg.api.workers, 1024);
    cr_assert_eq(sg_config_set(&cfg, "api.maxQueuedRequests", "1", &err), 0, "%s", err.message);
    cr_assert_eq(cfg.api.max_queued_requests, 1);
    cr_assert_eq(sg_config_set(&cfg, "api.maxQueuedRequests", "1000000", &err), 0, "%s", err.message);
    cr_assert_eq(cfg.api.max_queued_requests, 1000000);
}

Test(config_api, set_rejects_out_of_range_values_and_keeps_the_old_one)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_set(&cfg, "api.workers", "0", &err), SG_EINVALID);
    cr_assert_str_eq(err.message, "invalid value \"0\" for api.workers: must be an integer from 1 to 1024");
    cr_assert_eq(cfg.api.workers, 32);
    cr_assert_eq(sg_config_set(&cfg, "api.maxQueuedRequests", "1000001", &err), SG_EINVALID);
    cr_assert_str_eq(err.message,
                     "invalid value \"1000001\" for api.maxQueuedRequests: must be an integer from 1 to 1000000");
    cr_assert_eq(cfg.api.max_queued_requests, 4096);
}

Test(config_api, environment_uses_upper_snake_names)
{
    char *env[] = {"STORYGATE_API_WORKERS=3", "STORYGATE_API_MAX_QUEUED_REQUESTS=17", NULL};
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_config_apply_env(&cfg, env, &err), 0, "%s", err.message);
    cr_assert_eq(cfg.api.workers, 3);
    cr_assert_eq(cfg.api.max_queued_requests, 17);
    char *bad[] = {"STORYGATE_API_MAX_QUEUED_REQUESTS=lots", NULL};
    cr_assert_eq(sg_config_apply_env(&cfg, bad, &err), SG_EINVALID);
    cr_assert_str_eq(err.message, "STORYGATE_API_MAX_QUEUED_REQUESTS: must be an integer from 1 to 1000000");
}

Test(config_api, keys_are_listed_for_help)
{
    int workers = 0, queue = 0;
    for (const char *const *k = sg_config_keys(); *k != NULL; k++) {
        workers += strcmp(*k, "api.workers") == 0;
        queue += strcmp(*k, "api.maxQueuedRequests") == 0;
    }
    cr_assert_eq(workers, 1);
    cr_assert_eq(queue, 1);
}
