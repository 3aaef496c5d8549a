/* libFuzzer target: any bytes as a StoryTriggerPolicy file. Compilation succeeds or fails with "file:line:column"
 * diagnostics; a set that compiles is evaluated (CEL under the Kubernetes cost limits) against a CREATE and an UPDATE
 * of a StoryTrigger, which must give a result, never a crash. */
#include <string.h>

#include <storygate/policy.h>

#include "fuzz.h"

static const char object_json[] =
    "{\"apiVersion\":\"runs.bubustack.io/v1alpha1\",\"kind\":\"StoryTrigger\",\"metadata\":{\"name\":\"t-trigger-0011"
    "223344556677\",\"namespace\":\"github-pr-review\",\"labels\":{\"app\":\"x\"}},\"spec\":{\"storyRef\":{\"name\":"
    "\"pr-review-assistant\",\"version\":\"1.2.0\"},\"deliveryIdentity\":{\"mode\":\"key\",\"key\":\"github:1\","
    "\"submissionId\":\"s\"},\"inputs\":{\"repository\":\"a/b\",\"number\":7,\"list\":[1,2.5,\"x\",null,true]}}}";

static sg_json_t *object;
static sg_arena_t object_arena;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (object == NULL) {
        sg_arena_init(&object_arena, 0);
        FUZZ_CHECK(sg_json_parse(&object, &object_arena, object_json, sizeof(object_json) - 1, NULL, NULL) == 0,
                   "fixture");
    }
    sg_policy_set_t *set = NULL;
    sg_buf_t diag = SG_BUF_INIT;
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_policy_set_load_yaml(&set, (const char *)data, size, "fuzz.yaml", &diag, &err);
    if (rc < 0) {
        FUZZ_CHECK(set == NULL, "failed load returned a set");
        FUZZ_CHECK(rc == SG_EINVALID || rc == SG_ELIMIT || rc == SG_ENOMEM, "unexpected code %d", rc);
        FUZZ_CHECK(strncmp(err.message, "fuzz.yaml", 9) == 0, "message without the file: %s", err.message);
        FUZZ_CHECK(diag.len > 0 && diag.base[diag.len - 1] == '\n', "no diagnostics line");
    } else {
        FUZZ_CHECK(set != NULL, "successful load without a set");
        for (size_t i = 0; i < sg_policy_set_count(set); i++)
            FUZZ_CHECK(sg_policy_set_name(set, i) != NULL, "policy %zu has no name", i);
        for (int update = 0; update < 2; update++) {
            sg_arena_t arena;
            sg_arena_init(&arena, 0);
            sg_policy_input_t in;
            memset(&in, 0, sizeof(in));
            in.operation = update ? "UPDATE" : "CREATE";
            in.namespace_ = "github-pr-review";
            in.name = "t-trigger-0011223344556677";
            in.object = object;
            in.old_object = update ? object : NULL;
            sg_policy_result_t res;
            memset(&res, 0, sizeof(res));
            FUZZ_CHECK(sg_policy_evaluate(set, &in, &arena, &res) == 0, "evaluate failed");
            for (size_t i = 0; i < res.nwarnings; i++)
                FUZZ_CHECK(strlen(res.warnings[i]) <= SG_POLICY_WARNING_MAX, "warning longer than the limit");
            if (res.ndenials > 0)
                FUZZ_CHECK(res.deny_code >= 400 && res.deny_code < 600, "deny code %d", res.deny_code);
            sg_arena_dispose(&arena);
        }
    }
    sg_policy_set_release(set);
    sg_buf_dispose(&diag);
    return 0;
}
