/* Private parts of the admission module: the handler object, review decoding and response encoding. */
#ifndef STORYGATE_ADMISSION_INTERNAL_H
#define STORYGATE_ADMISSION_INTERNAL_H

#include <storygate/admission.h>
#include <storygate/identity.h>

#define SG_ADMISSION__API_V1 "admission.k8s.io/v1"
#define SG_ADMISSION__API_V1BETA1 "admission.k8s.io/v1beta1"

struct st_sg_admission_t {
    sg_admission_opts_t opts; /* limits resolved; validators point at our copy */
    sg_admission_validator_t *validators;
};

/** Decodes the AdmissionReview envelope (apiVersion, kind, request fields with their types) into `req`; the objects
 * are not decoded here. SG_EINVALID with a one-line message when the body is not an AdmissionReview. */
int sg_admission__decode_review(sg_admission_request_t *req, const sg_json_t *root, sg_error_t *err);

/** Runs the extra validators in order until one denies; an internal failure denies with 500. Returns 0 or
 * SG_ENOMEM. */
int sg_admission__run_validators(const sg_admission_t *adm, const sg_admission_request_t *req,
                                 sg_admission_verdict_t *v);

/** ComputeTriggerInputHash of t's spec.inputs (source bytes, or a compact encoding of a built tree). */
int sg_admission__inputs_hash(char out[SG_IDENTITY_INPUT_HASH_LEN + 1], const sg_trigger_t *t, sg_arena_t *arena,
                              sg_error_t *err);

/** Writes the AdmissionReview response for `v` (with a base64 `patch` when patch_len > 0). Returns 0 or SG_ENOMEM. */
int sg_admission__write_response(sg_buf_t *out, const char *api_version, sg_span_t uid, const sg_admission_verdict_t *v,
                                 const char *patch, size_t patch_len);

#endif
