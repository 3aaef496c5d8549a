/* Variables bound to JSON trees without copying, evaluation without allocation, and concurrent evaluation of one
 * compiled program. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include <storygate/cel.h>
#include <storygate/json.h>

static const char doc[] = "{\"metadata\":{\"name\":\"n1\",\"labels\":{\"team\":\"a\"}},"
                          "\"spec\":{\"deliveryIdentity\":{\"key\":\"github:1\",\"mode\":\"key\"},\"n\":3,\"x\":1.5}}";

static sg_cel_program_t *compile(const char *src)
{
    sg_cel_program_t *p = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_cel_compile(&p, src, strlen(src), NULL, &err), SG_OK, "%s", err.message);
    return p;
}

Test(cel_binding, simple_rules_evaluate_without_allocating)
{
    sg_arena_t da, scratch;
    sg_arena_init(&da, 0);
    sg_arena_init(&scratch, 0);
    sg_json_t *root = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&root, &da, doc, sizeof(doc) - 1, NULL, &err), SG_OK, "%s", err.message);
    sg_cel_var_t var = {"object", sg_cel_value_from_json(root)};
    const char *rules[] = {
        "object.spec.deliveryIdentity.key.startsWith('github:')",
        "!has(object.spec.deliveryIdentity.key) || size(object.spec.deliveryIdentity.key) <= 256",
        "object.spec.deliveryIdentity.mode in ['none','token','key']",
        "object.metadata.labels.exists(k, k == 'team')",
        "object.metadata.name.matches('^[a-z]')",
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        sg_cel_program_t *p = compile(rules[i]);
        sg_cel_value_t v;
        sg_arena_reset(&scratch);
        cr_assert_eq(sg_cel_eval(&v, p, &var, 1, &scratch, &err), SG_OK, "%s: %s", rules[i], err.message);
        cr_assert_eq(v.kind, SG_CEL_BOOL, "%s", rules[i]);
        cr_assert(v.u.b, "%s", rules[i]);
        if (i < 4)
            cr_assert_eq(sg_arena_used(&scratch), 0, "%s allocated %zu bytes", rules[i], sg_arena_used(&scratch));
        sg_cel_program_free(p);
    }
    sg_arena_dispose(&scratch);
    sg_arena_dispose(&da);
}

Test(cel_binding, json_numbers_are_ints_when_integral_and_doubles_otherwise)
{
    sg_arena_t da;
    sg_arena_init(&da, 0);
    sg_json_t *root = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&root, &da, doc, sizeof(doc) - 1, NULL, &err), SG_OK);
    sg_cel_value_t v = sg_cel_value_from_json(sg_json_path(root, "spec.n"));
    cr_assert_eq(v.kind, SG_CEL_INT);
    cr_assert_eq(v.u.i, 3);
    v = sg_cel_value_from_json(sg_json_path(root, "spec.x"));
    cr_assert_eq(v.kind, SG_CEL_DOUBLE);
    v = sg_cel_value_from_json(root);
    cr_assert_eq(v.kind, SG_CEL_MAP);
    cr_assert_eq(v.rep, SG_CEL_REP_JSON);
    sg_arena_dispose(&da);
}

Test(cel_binding, unbound_variables_are_errors_and_dotted_names_bind)
{
    sg_cel_program_t *p = compile("a.b.c + 1");
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_cel_value_t v;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_cel_eval(&v, p, NULL, 0, &a, &err), SG_EINVALID);
    cr_assert_not_null(strstr(err.message, "'a'"), "%s", err.message);
    sg_cel_var_t var = {"a.b.c", sg_cel_int(41)};
    cr_assert_eq(sg_cel_eval(&v, p, &var, 1, &a, &err), SG_OK, "%s", err.message);
    cr_assert_eq(v.u.i, 42);
    sg_arena_dispose(&a);
    sg_cel_program_free(p);
}

typedef struct {
    const sg_cel_program_t *p;
    const sg_cel_var_t *var;
    int ok;
} job_t;

static void *worker(void *arg)
{
    job_t *j = arg;
    sg_arena_t a;
    sg_arena_init(&a, 0);
    j->ok = 1;
    for (int i = 0; i < 20000; i++) {
        sg_cel_value_t v;
        sg_arena_reset(&a);
        if (sg_cel_eval(&v, j->p, j->var, 1, &a, NULL) != SG_OK || v.kind != SG_CEL_LIST ||
            sg_cel_value_equal(&v, &v) != 1)
            j->ok = 0;
    }
    sg_arena_dispose(&a);
    return NULL;
}

Test(cel_binding, one_program_evaluates_concurrently)
{
    sg_arena_t da;
    sg_arena_init(&da, 0);
    sg_json_t *root = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&root, &da, doc, sizeof(doc) - 1, NULL, &err), SG_OK);
    sg_cel_var_t var = {"object", sg_cel_value_from_json(root)};
    sg_cel_program_t *p = compile("[object.metadata.name.matches('^n[0-9]$'), object.spec.deliveryIdentity.key, "
                                  "object.metadata.labels.map(k, k + '=' + object.metadata.labels[k])]");
    pthread_t t[4];
    job_t jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job_t){p, &var, 0};
        pthread_create(&t[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_assert(jobs[i].ok, "worker %d saw a wrong result", i);
    }
    sg_cel_program_free(p);
    sg_arena_dispose(&da);
}

Test(cel_binding, proto_json_round_trips)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    const char *in =
        "{\"listValue\":{\"values\":[{\"int64Value\":\"-5\"},{\"uint64Value\":\"7\"},{\"doubleValue\":1.5},"
        "{\"stringValue\":\"x\"},{\"bytesValue\":\"AP8=\"},{\"boolValue\":true},{\"nullValue\":null},"
        "{\"mapValue\":{\"entries\":[{\"key\":{\"stringValue\":\"k\"},\"value\":{\"doubleValue\":\"NaN\"}}]}},"
        "{\"typeValue\":\"int\"},"
        "{\"objectValue\":{\"@type\":\"type.googleapis.com/"
        "google.protobuf.Timestamp\",\"value\":\"2009-02-13T23:31:30Z\"}},"
        "{\"objectValue\":{\"@type\":\"type.googleapis.com/google.protobuf.Duration\",\"value\":\"1.5s\"}}]}}";
    sg_json_t *j = NULL;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_json_parse(&j, &a, in, strlen(in), NULL, &err), SG_OK, "%s", err.message);
    sg_cel_value_t v;
    cr_assert_eq(sg_cel_value_from_proto_json(&v, &a, j, &err), SG_OK, "%s", err.message);
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(sg_cel_value_write_proto_json(&out, &v), SG_OK);
    cr_assert_str_eq(out.base, in);
    sg_buf_dispose(&out);
    sg_arena_dispose(&a);
}
