/* libFuzzer target: any bytes as the body of POST /validate and POST /mutate, against a handler with the built-in CRD
 * schemas as a validator, a refs snapshot (Stories and a ReferenceGrant) and the `grant` cross-namespace policy.
 * Properties: the response body is always one JSON document; with HTTP 200 it is an AdmissionReview whose response
 * says allowed or not, and a mutate patch is base64 of a JSON array. */
#include <string.h>

#include <openssl/evp.h>

#include <storygate/admission.h>
#include <storygate/refs.h>
#include <storygate/schema.h>

#include "fuzz.h"

static const char grant_json[] =
    "{\"apiVersion\":\"policy.bubustack.io/v1alpha1\",\"kind\":\"ReferenceGrant\",\"metadata\":{\"name\":\"g\","
    "\"namespace\":\"stories\"},\"spec\":{\"from\":[{\"group\":\"runs.bubustack.io\",\"kind\":\"StoryTrigger\","
    "\"namespace\":\"default\"}],\"to\":[{\"group\":\"bubustack.io\",\"kind\":\"Story\"}]}}";

static sg_admission_t *adm;
static sg_refs_snapshot_t *snap;
static sg_schema_set_t *schemas;
static sg_schema_validator_t schema_validator;

static sg_refs_snapshot_t *acquire(void *ctx)
{
    return sg_refs_snapshot_retain(ctx);
}

static void setup(void)
{
    sg_error_t err = SG_ERROR_INIT;
    snap = sg_refs_snapshot_new();
    FUZZ_CHECK(snap != NULL, "snapshot");
    FUZZ_CHECK(sg_refs_snapshot_put_story(snap, sg_span_cstr("default"), sg_span_cstr("example-story"), NULL, 0) == 0,
               "story");
    FUZZ_CHECK(sg_refs_snapshot_put_story(snap, sg_span_cstr("stories"), sg_span_cstr("shared"), "1.2.0", 5) == 0,
               "story");
    FUZZ_CHECK(sg_refs_snapshot_put_story(snap, sg_span_cstr("github-pr-review"), sg_span_cstr("pr-review-assistant"),
                                          "1.2.0", 5) == 0,
               "story");
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_json_t *grant = NULL;
    FUZZ_CHECK(sg_json_parse(&grant, &arena, grant_json, sizeof(grant_json) - 1, NULL, &err) == 0, "%s", err.message);
    FUZZ_CHECK(sg_refs_snapshot_put_grant_json(snap, grant, &err) == 0, "%s", err.message);
    sg_arena_dispose(&arena);
    sg_refs_snapshot_set_synced(snap, 1);

    FUZZ_CHECK(sg_schema_set_new(&schemas, &err) == 0, "%s", err.message);
    FUZZ_CHECK(sg_schema_set_load_builtin(schemas, &err) == 0, "%s", err.message);
    schema_validator.set = schemas;
    schema_validator.unknown_fields = SG_SCHEMA_UNKNOWN_WARN;
    static sg_admission_validator_t validators[1];
    validators[0].name = "schema";
    validators[0].fn = sg_schema_admission_validate;
    validators[0].ctx = &schema_validator;

    sg_admission_opts_t opts = SG_ADMISSION_OPTS_INIT;
    opts.cross_namespace_policy = SG_REFS_POLICY_GRANT;
    opts.refs_acquire = acquire;
    opts.refs_ctx = snap;
    opts.validators = validators;
    opts.nvalidators = 1;
    opts.max_body = 1 << 20;
    FUZZ_CHECK(sg_admission_new(&adm, &opts, &err) == 0, "%s", err.message);
}

static void check_patch(const sg_json_t *patch, sg_arena_t *arena)
{
    size_t b64_len;
    const char *b64 = sg_json_string(patch, &b64_len);
    FUZZ_CHECK(b64 != NULL && b64_len % 4 == 0, "patch is not a base64 string");
    unsigned char *raw = sg_arena_alloc(arena, b64_len / 4 * 3 + 1);
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)b64_len);
    FUZZ_CHECK(n >= 0, "patch is not base64");
    while (n > 0 && b64_len >= 1 && b64[b64_len - 1] == '=') { /* DecodeBlock counts padding as zero bytes */
        n--;
        b64_len--;
    }
    sg_json_t *ops = NULL;
    sg_error_t err = SG_ERROR_INIT;
    FUZZ_CHECK(sg_json_parse(&ops, arena, (const char *)raw, (size_t)n, NULL, &err) == 0, "patch is not JSON: %s",
               err.message);
    FUZZ_CHECK(ops->type == SG_JSON_ARRAY && ops->u.array.len > 0, "patch is not a non-empty array");
}

static void run(sg_admission_webhook_t webhook, const uint8_t *data, size_t size)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_buf_t out = SG_BUF_INIT;
    sg_admission_outcome_t outcome;
    memset(&outcome, 0, sizeof(outcome));
    int rc = sg_admission_handle(adm, webhook, "application/json", (const char *)data, size, &arena, &out, &outcome);
    FUZZ_CHECK(rc == SG_OK || rc == SG_ENOMEM, "handle returned %d", rc);
    if (rc == SG_OK) {
        FUZZ_CHECK(outcome.http_status == 200 || outcome.http_status == 400 || outcome.http_status == 413,
                   "http_status %d", outcome.http_status);
        sg_json_t *resp = NULL;
        sg_error_t err = SG_ERROR_INIT;
        FUZZ_CHECK(sg_json_parse(&resp, &arena, out.base, out.len, NULL, &err) == 0,
                   "status %d body is not JSON (%s): %.*s", outcome.http_status, err.message, (int)out.len, out.base);
        const sg_json_t *allowed = sg_json_path(resp, "response.allowed");
        FUZZ_CHECK(allowed != NULL && allowed->type == SG_JSON_BOOL, "response.allowed missing: %.*s", (int)out.len,
                   out.base);
        FUZZ_CHECK(allowed->u.boolean == (outcome.allowed != 0), "outcome.allowed disagrees with the body");
        if (outcome.http_status != 200)
            FUZZ_CHECK(!outcome.allowed, "a non-200 response allowed the request");
        const sg_json_t *patch = sg_json_path(resp, "response.patch");
        if (webhook == SG_ADMISSION_VALIDATE)
            FUZZ_CHECK(patch == NULL, "validate returned a patch");
        else if (patch != NULL)
            check_patch(patch, &arena);
        FUZZ_CHECK((patch != NULL) == (outcome.patched != 0), "outcome.patched disagrees with the body");
        FUZZ_CHECK(outcome.reason != NULL && outcome.message != NULL, "outcome without reason/message");
    }
    sg_buf_dispose(&out);
    sg_arena_dispose(&arena);
}

#ifndef FUZZ_ADMISSION_NO_MAIN /* admission_object_fuzz.c reuses the handler and the checks */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (adm == NULL)
        setup();
    run(SG_ADMISSION_VALIDATE, data, size);
    run(SG_ADMISSION_MUTATE, data, size);
    return 0;
}
#endif
