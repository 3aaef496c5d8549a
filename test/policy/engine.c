/* policy module: the engine — reloads swap sets atomically, a bad reload keeps the last good set, sets in use stay
 * alive, the watcher follows the directory, and reloads are counted in the metrics. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define POLICY(name, expr)                                                                                             \
    "apiVersion: policy.storygate.dev/v1alpha1\nkind: StoryTriggerPolicy\nmetadata:\n  name: " name "\nspec:\n"        \
    "  validations:\n  - expression: \"" expr "\"\n"

static char dir[256];

static void write_file(const char *name, const char *text)
{
    char path[512], tmp[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(rename(tmp, path), 0);
}

static void setup(void)
{
    pt_setup();
    snprintf(dir, sizeof(dir), "/tmp/sg-policy-test.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    pt_teardown();
}

TestSuite(policy_engine, .init = setup, .fini = teardown);

static size_t denials(sg_policy_engine_t *e)
{
    sg_policy_set_t *s = sg_policy_engine_acquire(e);
    sg_policy_result_t res;
    pt_eval(&res, s, "CREATE", "ns", "{\"spec\":{}}", NULL);
    sg_policy_set_release(s);
    return res.ndenials;
}

Test(policy_engine, bad_reload_keeps_the_last_good_set)
{
    write_file("a.yaml", POLICY("a", "false"));
    sg_metrics_t *m = sg_metrics_new();
    sg_policy_engine_opts_t o = {dir, m, 0};
    sg_policy_engine_t *e;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_policy_engine_new(&e, &o, NULL, &err), SG_OK, "%s", err.message);
    cr_expect_eq(denials(e), 1);
    sg_policy_set_t *held = sg_policy_engine_acquire(e); /* a request in flight */

    write_file("a.yaml", POLICY("a", "object.spec. ==="));
    cr_expect_eq(sg_policy_engine_reload(e, &err), SG_EINVALID);
    cr_expect(strstr(err.message, "a.yaml:7:17: spec.validations[0].expression") != NULL, "%s", err.message);
    cr_expect_eq(denials(e), 1, "still the good set");
    cr_expect_eq(sg_policy_engine_generation(e), 1);

    write_file("a.yaml", POLICY("a", "true"));
    cr_expect_eq(sg_policy_engine_reload(e, &err), SG_OK);
    cr_expect_eq(denials(e), 0, "the new good set is in force");
    cr_expect_eq(sg_policy_engine_generation(e), 2);

    sg_policy_result_t res;
    pt_eval(&res, held, "CREATE", "ns", "{\"spec\":{}}", NULL);
    cr_expect_eq(res.ndenials, 1, "the request in flight finishes on the set it started with");
    sg_policy_set_release(held);

    sg_buf_t text = SG_BUF_INIT;
    sg_metrics_render(m, &text);
    cr_expect(strstr(text.base, "storygate_policy_reload_total{result=\"success\"} 2") != NULL, "%s", text.base);
    cr_expect(strstr(text.base, "storygate_policy_reload_total{result=\"failure\"} 1") != NULL, "%s", text.base);
    cr_expect(strstr(text.base, "storygate_policy_last_reload_success_timestamp_seconds ") != NULL);
    cr_expect(strstr(text.base,
                     "storygate_policy_evaluations_total{policy=\"a\",validation=\"0\",result=\"fail\"} 3") != NULL,
              "%s", text.base);
    cr_expect(strstr(text.base, "storygate_policy_evaluation_seconds_count") != NULL);
    sg_buf_dispose(&text);
    sg_policy_engine_free(e);
    sg_metrics_free(m);
}

Test(policy_engine, a_bad_initial_set_fails_the_start)
{
    write_file("a.yaml", POLICY("a", "nope =="));
    sg_metrics_t *m = sg_metrics_new();
    sg_policy_engine_opts_t o = {dir, m, 0};
    sg_policy_engine_t *e = NULL;
    sg_buf_t diag = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    cr_expect_eq(sg_policy_engine_new(&e, &o, &diag, &err), SG_EINVALID);
    cr_expect_null(e);
    cr_expect(diag.len > 0);
    sg_buf_dispose(&diag);
    sg_metrics_free(m);
}

Test(policy_engine, the_watcher_follows_the_directory)
{
    write_file("a.yaml", POLICY("a", "false"));
    sg_metrics_t *m = sg_metrics_new();
    sg_policy_engine_opts_t o = {dir, m, 20};
    sg_policy_engine_t *e;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_policy_engine_new(&e, &o, NULL, &err), SG_OK);
    cr_assert_eq(sg_policy_engine_start_watcher(e, &err), SG_OK);
    write_file("b.yaml", POLICY("b", "false"));
    for (int i = 0; i < 500 && sg_policy_engine_generation(e) < 2; i++)
        usleep(10000);
    cr_expect_eq(denials(e), 2, "the new file is picked up");
    sg_policy_engine_request_reload(e);
    for (int i = 0; i < 500 && sg_policy_engine_generation(e) < 3; i++)
        usleep(10000);
    cr_expect_geq(sg_policy_engine_generation(e), 3, "an explicit request reloads");
    sg_policy_engine_free(e);
    sg_metrics_free(m);
}
