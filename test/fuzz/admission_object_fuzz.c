/* libFuzzer target: any bytes as the StoryTrigger object inside a well-formed AdmissionReview (CREATE, UPDATE with the
 * same object as oldObject, DELETE), so mutations reach the trigger decoder, the rules, the input hash, the CRD schema
 * rules and the mutation patch instead of stopping at the envelope. Same handler and properties as `admission`. */
#include <string.h>

#include <storygate/admission.h>
#include <storygate/refs.h>
#include <storygate/schema.h>

#include "fuzz.h"

#define FUZZ_ADMISSION_NO_MAIN
#include "admission_fuzz.c"

static const char head[] =
    "{\"apiVersion\":\"admission.k8s.io/"
    "v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-1\",\"kind\":{\"group\":"
    "\"runs.bubustack.io\",\"version\":\"v1alpha1\",\"kind\":\"StoryTrigger\"},\"resource\":{\"group\":"
    "\"runs.bubustack.io\",\"version\":\"v1alpha1\",\"resource\":\"storytriggers\"},\"name\":\"t\",\"namespace\":"
    "\"default\",\"userInfo\":{\"username\":\"system:serviceaccount:default:impulse\"},\"operation\":";

static void run_op(const char *op, int with_object, int with_old, const uint8_t *data, size_t size)
{
    sg_buf_t body = SG_BUF_INIT;
    sg_buf_append(&body, head, sizeof(head) - 1);
    sg_buf_printf(&body, "\"%s\"", op);
    if (with_object) {
        sg_buf_puts(&body, ",\"object\":");
        sg_buf_append(&body, data, size);
    }
    if (with_old) {
        sg_buf_puts(&body, ",\"oldObject\":");
        sg_buf_append(&body, data, size);
    }
    sg_buf_puts(&body, "}}");
    FUZZ_CHECK(!body.oom, "out of memory");
    run(SG_ADMISSION_VALIDATE, (const uint8_t *)body.base, body.len);
    run(SG_ADMISSION_MUTATE, (const uint8_t *)body.base, body.len);
    sg_buf_dispose(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (adm == NULL)
        setup();
    run_op("CREATE", 1, 0, data, size);
    run_op("UPDATE", 1, 1, data, size);
    run_op("DELETE", 0, 1, data, size);
    return 0;
}
