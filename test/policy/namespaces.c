/* namespaceSelector on real Namespace labels: a table of selectors (matchLabels, In, NotIn, Exists, DoesNotExist) over
 * known, label-less and unknown namespaces, then end to end through admission with the labels taken from the refs
 * snapshot the review acquired. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/refs.h>

#include "../common/table.h"
#include "common.h"

TestSuite(policy_namespaces, .init = pt_setup, .fini = pt_teardown);

#define HEAD "apiVersion: policy.storygate.dev/v1alpha1\nkind: StoryTriggerPolicy\nmetadata:\n  name: p\nspec:\n"

Test(policy_namespaces, selector_table_matches_like_kubernetes)
{
    size_t n;
    th_row_t *rows = th_table_raw("namespace_selector.tsv", &n);
    int cases = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(rows[i].nfields, 4, "line %d needs 4 columns", rows[i].lineno);
        char *const *cols = rows[i].field;
        char yaml[1024];
        snprintf(yaml, sizeof(yaml),
                 HEAD "  matchConstraints:\n    namespaceSelector: %s\n"
                      "  validations:\n  - expression: \"false\"\n",
                 cols[0]);
        sg_policy_set_t *s = pt_compile(yaml);
        sg_policy_input_t in;
        memset(&in, 0, sizeof(in));
        in.operation = "CREATE";
        in.namespace_ = cols[1];
        in.name = "t";
        in.object = pt_json("{\"metadata\":{\"name\":\"t\"},\"spec\":{}}");
        in.namespace_labels = strcmp(cols[2], "-") == 0 ? NULL : pt_json(cols[2]);
        sg_policy_result_t res;
        cr_assert_eq(sg_policy_evaluate(s, &in, pt_arena(), &res), SG_OK);
        cr_expect_eq(res.ndenials, strcmp(cols[3], "match") == 0 ? 1u : 0u, "%s in \"%s\" with labels %s: want %s",
                     cols[0], cols[1], cols[2], cols[3]);
        sg_policy_set_release(s);
        cases++;
    }
    th_table_free(rows, n);
    cr_assert_geq(cases, 25);
}

/* ---- through admission: labels from the refs snapshot ---- */

static char dir[] = "/tmp/sg-policy-ns-XXXXXX";
static sg_metrics_t *metrics;
static sg_policy_engine_t *engine;
static sg_refs_holder_t *holder;
static sg_admission_t *adm;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void put_namespace(sg_refs_snapshot_t *snap, const char *json)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_refs_snapshot_put_namespace_json(snap, pt_json(json), &err), SG_OK, "%s", err.message);
}

static void e2e_setup(void)
{
    pt_setup();
    cr_assert_not_null(mkdtemp(dir));
    char path[300];
    snprintf(path, sizeof(path), "%s/freeze.yaml", dir);
    write_file(path, HEAD "  matchConstraints:\n    namespaceSelector:\n      matchLabels: {env: prod}\n"
                          "  validations:\n  - expression: \"false\"\n    message: frozen\n");
    metrics = sg_metrics_new();
    sg_error_t err = SG_ERROR_INIT;
    sg_policy_engine_opts_t o = {dir, metrics, 0};
    cr_assert_eq(sg_policy_engine_new(&engine, &o, NULL, &err), SG_OK, "%s", err.message);

    holder = sg_refs_holder_new();
    sg_refs_snapshot_t *snap = sg_refs_snapshot_new();
    put_namespace(snap, "{\"metadata\":{\"name\":\"prod\",\"labels\":{\"env\":\"prod\"}}}");
    put_namespace(snap, "{\"metadata\":{\"name\":\"dev\",\"labels\":{\"env\":\"dev\"}}}");
    sg_refs_snapshot_set_synced(snap, 1);
    sg_refs_holder_publish(holder, snap);

    sg_admission_validator_t validators[] = {{"policy", sg_policy_admission_validate, engine}};
    sg_admission_opts_t ao = SG_ADMISSION_OPTS_INIT;
    ao.validators = validators;
    ao.nvalidators = 1;
    ao.refs_acquire = sg_refs_holder_acquire;
    ao.refs_ctx = holder;
    cr_assert_eq(sg_admission_new(&adm, &ao, &err), SG_OK, "%s", err.message);
}

static void e2e_teardown(void)
{
    sg_admission_free(adm);
    sg_refs_holder_free(holder);
    sg_policy_engine_free(engine);
    sg_metrics_free(metrics);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    pt_teardown();
}

/* Runs the policy validator on a trigger in `ns` with the snapshot acquired for the review (as admission does); 1 when
 * allowed. */
static int allowed_in(const char *ns)
{
    char obj[512];
    snprintf(obj, sizeof(obj),
             "{\"apiVersion\":\"runs.bubustack.io/v1alpha1\",\"kind\":\"StoryTrigger\",\"metadata\":{\"name\":\"t\","
             "\"namespace\":\"%s\"},\"spec\":{\"storyRef\":{\"name\":\"s\"},\"deliveryIdentity\":{\"mode\":\"none\"}}}",
             ns);
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, pt_arena());
    sg_admission_request_t req;
    memset(&req, 0, sizeof(req));
    req.op = SG_ADMISSION_OP_CREATE;
    req.namespace_ = sg_span_cstr(ns);
    req.name = sg_span_cstr("t");
    req.object = pt_json(obj);
    req.arena = pt_arena();
    sg_refs_snapshot_t *snap = sg_admission_refs(adm);
    req.refs = snap;
    cr_assert_eq(sg_policy_admission_validate(engine, &req, &v), SG_OK);
    sg_refs_snapshot_release(snap);
    cr_assert(v.allowed || strstr(v.message, "frozen") != NULL, "%s", v.message);
    return v.allowed;
}

Test(policy_namespaces, the_validator_reads_labels_from_the_review_snapshot, .init = e2e_setup, .fini = e2e_teardown)
{
    cr_expect_eq(allowed_in("prod"), 0, "env=prod is selected");
    cr_expect_eq(allowed_in("dev"), 1);
    cr_expect_eq(allowed_in("late"), 1, "an unknown namespace has only its name label");

    /* a new snapshot with `late` labelled env=prod: later reviews see it */
    sg_refs_snapshot_t *cur = sg_refs_holder_acquire(holder);
    sg_refs_snapshot_t *next = sg_refs_snapshot_clone(cur);
    sg_refs_snapshot_release(cur);
    put_namespace(next, "{\"metadata\":{\"name\":\"late\",\"labels\":{\"env\":\"prod\"}}}");
    sg_refs_holder_publish(holder, next);
    cr_expect_eq(allowed_in("late"), 0);
}

Test(policy_namespaces, without_a_snapshot_only_the_name_label_is_known, .init = pt_setup, .fini = pt_teardown)
{
    sg_policy_set_t *s = pt_compile(HEAD "  matchConstraints:\n    namespaceSelector:\n      matchLabels: {env: prod}\n"
                                         "  validations:\n  - expression: \"false\"\n");
    cr_expect_null(sg_refs_namespace_labels(NULL, sg_span_cstr("prod")));
    sg_policy_result_t res;
    pt_eval(&res, s, "CREATE", "prod", "{\"metadata\":{\"name\":\"t\"},\"spec\":{}}", NULL);
    cr_expect_eq(res.ndenials, 0);
    sg_policy_set_release(s);
}
