/* The bad-input catalogue (bad_input_cases.json): transport rules of §3.2 and undecodable reviews, plus generated
 * bodies for the limits (depth, string length, body size). None may crash; each has its status and message. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "harness.h"

Test(admission_bad_input, catalogue)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_json_t *cases = h_load(&arena, "bad_input_cases.json");
    sg_admission_t *adm = NULL;
    cr_assert_eq(sg_admission_new(&adm, NULL, NULL), SG_OK);
    for (size_t i = 0; i < cases->u.array.len; i++) {
        const sg_json_t *c = cases->u.array.items[i];
        const char *name = sg_json_string(sg_json_get(c, "name"), NULL);
        const char *body = "";
        size_t len = 0;
        const char *s;
        if ((s = sg_json_string(sg_json_get(c, "body"), &len)) != NULL) {
            body = s;
        } else if ((s = sg_json_string(sg_json_get(c, "bodyFile"), NULL)) != NULL) {
            body = h_read(&arena, s, &len);
        } else if ((s = sg_json_string(sg_json_get(c, "bodyBase64"), NULL)) != NULL) {
            unsigned char *p = sg_arena_alloc(&arena, strlen(s));
            int n = EVP_DecodeBlock(p, (const unsigned char *)s, (int)strlen(s));
            while (n > 0 && p[n - 1] == '\0')
                n--;
            body = (const char *)p;
            len = (size_t)n;
        }
        const char *ct = "application/json";
        const sg_json_t *ctv = sg_json_get(c, "contentType");
        if (ctv != NULL)
            ct = ctv->type == SG_JSON_NULL ? NULL : sg_json_string(ctv, NULL);
        sg_admission_webhook_t wh =
            sg_json_string_eq(sg_json_get(c, "webhook"), "mutate") ? SG_ADMISSION_MUTATE : SG_ADMISSION_VALIDATE;
        h_result_t r;
        h_run(&r, adm, wh, ct, body, len, &arena);
        h_expect(&r, sg_json_get(c, "expect"), name);
    }
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

/* A valid review whose inputs nest `depth` arrays deep. */
static char *nested_review(size_t depth, size_t *len)
{
    const char *head =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
        "\"operation\":\"CREATE\",\"kind\":{\"group\":\"runs.bubustack.io\",\"version\":\"v1alpha1\","
        "\"kind\":\"StoryTrigger\"},\"object\":{\"spec\":{\"inputs\":{\"a\":";
    const char *tail = "}}}}}";
    size_t hl = strlen(head), tl = strlen(tail);
    char *p = malloc(hl + 2 * depth + tl + 1);
    memcpy(p, head, hl);
    memset(p + hl, '[', depth);
    memset(p + hl + depth, ']', depth);
    memcpy(p + hl + 2 * depth, tail, tl + 1);
    *len = hl + 2 * depth + tl;
    return p;
}

Test(admission_bad_input, nesting_beyond_the_depth_limit_is_refused)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_admission_t *adm = NULL;
    cr_assert_eq(sg_admission_new(&adm, NULL, NULL), SG_OK);
    size_t len;
    char *body = nested_review(100, &len);
    h_result_t r;
    h_run(&r, adm, SG_ADMISSION_VALIDATE, "application/json", body, len, &arena);
    cr_expect_eq(r.outcome.http_status, 200, "100 levels are fine: %s", r.raw);
    free(body);
    body = nested_review(100000, &len);
    h_run(&r, adm, SG_ADMISSION_VALIDATE, "application/json", body, len, &arena);
    cr_expect_eq(r.outcome.http_status, 400);
    cr_expect_eq(r.code, 400);
    cr_expect(strstr(r.message, "depth") != NULL || strstr(r.message, "nest") != NULL, "%s", r.message);
    free(body);
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_bad_input, depth_limit_is_a_creation_option)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_admission_opts_t opts = SG_ADMISSION_OPTS_INIT;
    opts.max_depth = 300;
    sg_admission_t *adm = NULL;
    cr_assert_eq(sg_admission_new(&adm, &opts, NULL), SG_OK);
    size_t len;
    char *body = nested_review(250, &len);
    h_result_t r;
    h_run(&r, adm, SG_ADMISSION_VALIDATE, "application/json", body, len, &arena);
    cr_expect_eq(r.outcome.http_status, 200, "%s", r.raw);
    free(body);
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_bad_input, strings_beyond_the_limit_are_refused)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_admission_opts_t opts = SG_ADMISSION_OPTS_INIT;
    opts.max_string = 1000;
    sg_admission_t *adm = NULL;
    cr_assert_eq(sg_admission_new(&adm, &opts, NULL), SG_OK);
    const char *head = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"";
    size_t hl = strlen(head);
    char *body = malloc(hl + 2000 + 4);
    memcpy(body, head, hl);
    memset(body + hl, 'u', 2000);
    memcpy(body + hl + 2000, "\"}}", 4);
    h_result_t r;
    h_run(&r, adm, SG_ADMISSION_VALIDATE, "application/json", body, hl + 2003, &arena);
    cr_expect_eq(r.outcome.http_status, 400, "%s", r.raw);
    cr_expect_eq(r.code, 400);
    free(body);
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_bad_input, bodies_of_the_limit_or_more_get_413)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_admission_t *adm = NULL;
    cr_assert_eq(sg_admission_new(&adm, NULL, NULL), SG_OK);
    size_t len = 7340032;
    char *body = malloc(len);
    memset(body, ' ', len);
    h_result_t r;
    h_run(&r, adm, SG_ADMISSION_VALIDATE, "application/json", body, len, &arena);
    cr_expect_eq(r.outcome.http_status, 413);
    cr_expect_eq(r.code, 413);
    cr_expect_str_eq(r.message, "request entity is too large; limit is 7340032 bytes");
    /* one byte less is parsed (and is not JSON) */
    h_run(&r, adm, SG_ADMISSION_VALIDATE, "application/json", body, len - 1, &arena);
    cr_expect_eq(r.outcome.http_status, 400);
    free(body);
    sg_admission_free(adm);
    sg_arena_dispose(&arena);
}

Test(admission_bad_input, write_error_gives_an_admission_review)
{
    sg_buf_t out = SG_BUF_INIT;
    cr_assert_eq(sg_admission_write_error(&out, 413, "request entity is too large; limit is 7340032 bytes"), SG_OK);
    cr_expect_str_eq(out.base,
                     "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"response\":{"
                     "\"uid\":\"\",\"allowed\":false,\"status\":{\"metadata\":{},\"message\":\"request entity "
                     "is too large; limit is 7340032 bytes\",\"code\":413}}}\n");
    sg_buf_dispose(&out);
}
