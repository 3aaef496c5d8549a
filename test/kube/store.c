/* The kube store backend against the fake apiserver: the shared store contract, and what is particular to the
 * apiserver — conflict retries of status writes, Status error mapping, paths and paging. */
#include <criterion/criterion.h>
#include <pthread.h>

#include "contract.h"
#include "helpers.h"

static kube_fx_t fx;

static void setup(void)
{
    kube_fx_open(&fx, "tok");
}

static void teardown(void)
{
    kube_fx_close(&fx);
}

TestSuite(kube_store, .init = setup, .fini = teardown, .timeout = 120);

Test(kube_store, passes_the_store_contract)
{
    store_contract_run(fx.st);
}

static void create(const char *ns, const char *json)
{
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(fx.st, NULL, SG_KIND_STORYTRIGGER, ns, json, strlen(json), NULL, &err), SG_OK, "%s",
                 err.message);
}

Test(kube_store, status_write_retries_conflicts_up_to_five_tries)
{
    create("default", "{\"metadata\":{\"name\":\"t\"},\"spec\":{\"a\":1}}");
    sg_arena_t a;
    sg_arena_init(&a, 0);
    sg_json_t *status = NULL;
    sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
    cr_assert_eq(sg_json_parse(&status, &a, "{\"decision\":\"Created\"}", 22, &po, NULL), SG_OK);
    /* Another writer wins the first four rounds; the fifth try succeeds. */
    fakeapi_inject_conflicts(fx.api, 4);
    sg_buf_t out = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_update_status(fx.st, &out, SG_KIND_STORYTRIGGER, "default", "t", status, NULL, &err), SG_OK,
                 "%s", err.message);
    cr_assert(strstr(out.base, "\"decision\":\"Created\"") != NULL);
    cr_assert(strstr(out.base, "fakeapi/bumped") != NULL, "the concurrent write is kept");
    cr_assert_eq(fakeapi_count(fx.api, "PUT", "/storytriggers/t/status"), 5);
    /* Five lost rounds: the conflict is reported. */
    fakeapi_inject_conflicts(fx.api, 5);
    cr_assert_eq(sg_store_update_status(fx.st, NULL, SG_KIND_STORYTRIGGER, "default", "t", status, NULL, &err),
                 SG_ECONFLICT);
    cr_assert(strstr(err.message, "Operation cannot be fulfilled") != NULL, "%s", err.message);
    cr_assert_eq(fakeapi_count(fx.api, "PUT", "/storytriggers/t/status"), 10);
    sg_buf_dispose(&out);
    sg_arena_dispose(&a);
}

Test(kube_store, a_status_write_with_a_precondition_is_not_retried)
{
    create("default", "{\"metadata\":{\"name\":\"t\"}}");
    uint64_t rv;
    cr_assert_eq(sg_store_get(fx.st, NULL, &rv, SG_KIND_STORYTRIGGER, "default", "t", NULL), SG_OK);
    fakeapi_inject_conflicts(fx.api, 1);
    sg_store_write_opts_t wo = SG_STORE_WRITE_OPTS_INIT;
    wo.expected_rv = rv;
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_update_status(fx.st, NULL, SG_KIND_STORYTRIGGER, "default", "t", NULL, &wo, &err),
                 SG_ECONFLICT);
    cr_assert_eq(fakeapi_count(fx.api, "PUT", "/status"), 1);
}

Test(kube_store, writes_use_the_documented_paths)
{
    create("ns1", "{\"metadata\":{\"name\":\"t\"}}");
    cr_assert_eq(fakeapi_count(fx.api, "POST", "/apis/runs.bubustack.io/v1alpha1/namespaces/ns1/storytriggers"), 1);
    const char *j = "{\"metadata\":{\"name\":\"g\"}}";
    cr_assert_eq(sg_store_create(fx.st, NULL, SG_KIND_REFERENCEGRANT, "ns1", j, strlen(j), NULL, NULL), SG_OK);
    cr_assert_eq(fakeapi_count(fx.api, "POST", "/apis/policy.bubustack.io/v1alpha1/namespaces/ns1/referencegrants"), 1);
    cr_assert_eq(sg_store_create(fx.st, NULL, SG_KIND_STORY, "ns1", j, strlen(j), NULL, NULL), SG_OK);
    cr_assert_eq(fakeapi_count(fx.api, "POST", "/apis/bubustack.io/v1alpha1/namespaces/ns1/stories"), 1);
    sg_store_list_t l;
    sg_store_list_init(&l);
    cr_assert_eq(sg_store_list(fx.st, &l, SG_KIND_STORYTRIGGER, NULL, NULL, NULL), SG_OK);
    cr_assert_eq(fakeapi_count(fx.api, "GET", "/apis/runs.bubustack.io/v1alpha1/storytriggers"), 1);
    sg_store_list_dispose(&l);
    sg_buf_t p = SG_BUF_INIT;
    cr_assert_eq(sg_kube_collection_path(&p, SG_KIND_STORYRUN, "x"), SG_OK);
    cr_assert_str_eq(p.base, "/apis/runs.bubustack.io/v1alpha1/namespaces/x/storyruns");
    sg_buf_dispose(&p);
}

Test(kube_store, invalid_names_are_refused_by_the_apiserver_as_invalid)
{
    const char *j = "{\"metadata\":{\"name\":\"Upper_Case\"}}";
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_create(fx.st, NULL, SG_KIND_STORYRUN, "default", j, strlen(j), NULL, &err), SG_EINVALID);
    cr_assert(strstr(err.message, "RFC 1123") != NULL, "%s", err.message);
}

Test(kube_store, lists_follow_continue_tokens)
{
    for (int i = 0; i < 1203; i++) {
        char j[64];
        snprintf(j, sizeof(j), "{\"metadata\":{\"name\":\"t%04d\"}}", i);
        create("big", j);
    }
    sg_store_list_t l;
    sg_store_list_init(&l);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_list(fx.st, &l, SG_KIND_STORYTRIGGER, "big", NULL, &err), SG_OK, "%s", err.message);
    cr_assert_eq(l.len, 1203);
    cr_assert(strstr(l.items[1202].json, "\"t1202\"") != NULL);
    cr_assert_eq(fakeapi_count(fx.api, "GET", "/namespaces/big/storytriggers"), 3, "pages of 500");
    sg_store_list_dispose(&l);
}

Test(kube_store, objects_come_back_as_the_apiserver_sent_them)
{
    create("default", "{\"metadata\":{\"name\":\"t\",\"annotations\":{\"x\":\"\\u00e9\"}},\"spec\":{\"n\":1.50}}");
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(sg_store_get(fx.st, &out, NULL, SG_KIND_STORYTRIGGER, "default", "t", NULL), SG_OK);
    cr_assert(strstr(out.base, "\"n\":1.50") != NULL, "number text kept: %s", out.base);
    cr_assert_neq(out.base[out.len - 1], '\n', "no trailing newline");
    sg_buf_dispose(&out);
}

Test(kube_store, apiserver_outage_is_unavailable)
{
    fakeapi_inject(fx.api, NULL, 503, 0, 1000);
    sg_error_t err = SG_ERROR_INIT;
    cr_assert_eq(sg_store_get(fx.st, NULL, NULL, SG_KIND_STORY, "default", "x", &err), SG_EUNAVAILABLE);
}

typedef struct {
    int id;
    int failures;
} worker_t;

static void *worker(void *ud)
{
    worker_t *w = ud;
    for (int i = 0; i < 40; i++) {
        char j[96], name[32];
        snprintf(name, sizeof(name), "w%d-%d", w->id, i);
        snprintf(j, sizeof(j), "{\"metadata\":{\"name\":\"%s\"}}", name);
        sg_buf_t out = SG_BUF_INIT;
        if (sg_store_create(fx.st, NULL, SG_KIND_STORYRUN, "par", j, strlen(j), NULL, NULL) != SG_OK ||
            sg_store_get(fx.st, &out, NULL, SG_KIND_STORYRUN, "par", name, NULL) != SG_OK ||
            strstr(out.base, name) == NULL)
            w->failures++;
        sg_buf_dispose(&out);
    }
    return NULL;
}

Test(kube_store, one_store_serves_many_threads)
{
    pthread_t t[8];
    worker_t w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (worker_t){i, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, worker, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(w[i].failures, 0, "worker %d", i);
    }
    sg_store_list_t l;
    sg_store_list_init(&l);
    cr_assert_eq(sg_store_list(fx.st, &l, SG_KIND_STORYRUN, "par", NULL, NULL), SG_OK);
    cr_assert_eq(l.len, 320);
    sg_store_list_dispose(&l);
    cr_assert_eq(fakeapi_count(fx.api, "POST", "/namespaces/par/storyruns"), 320);
}
