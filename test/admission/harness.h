/* Test harness for admission: builds AdmissionReviews from fixtures plus per-case modifications, runs them through
 * sg_admission_handle and decodes the answer. Cases live in JSON files beside the tests. */
#ifndef SG_TEST_ADMISSION_HARNESS_H
#define SG_TEST_ADMISSION_HARNESS_H

#include <storygate/admission.h>
#include <storygate/json.h>
#include <storygate/refs.h>

typedef struct st_h_result_t {
    sg_admission_outcome_t outcome;
    sg_json_t *body;     /* the parsed response body (NULL if it did not parse) */
    sg_json_t *response; /* body.response */
    int allowed;
    int code;            /* response.status.code */
    const char *message; /* response.status.message or "" */
    const char *status_reason;
    sg_json_t *patch; /* decoded JSON Patch or NULL */
    char *raw;        /* the response text */
} h_result_t;

/** Reads and parses SG_TEST_DATA/<name> (STRICT); aborts the test on failure. */
sg_json_t *h_load(sg_arena_t *arena, const char *name);
/** Reads SG_TEST_DATA/<name> as bytes. */
char *h_read(sg_arena_t *arena, const char *name, size_t *len);
/** Sets `value` at JSON Pointer `ptr` under `root`, creating missing objects on the way. */
void h_set(sg_arena_t *arena, sg_json_t *root, const char *ptr, sg_json_t *value);
/** Removes the member at `ptr` (if any). */
void h_remove(sg_json_t *root, const char *ptr);
/** Applies a case's "set", "remove", "fix" and (UPDATE) "after" modifications to a review. */
void h_modify(sg_arena_t *arena, sg_json_t *review, const sg_json_t *c);
/** Sets metadata.name and/or deliveryIdentity.inputHash of the object at `obj_ptr` to the derived values. */
void h_fix(sg_arena_t *arena, sg_json_t *review, const char *obj_ptr, int name, int hash);
/** A refs snapshot as a case describes it ("refs", "stories", "grants"); NULL for "refs":"none". */
sg_refs_snapshot_t *h_snapshot(sg_arena_t *arena, const sg_json_t *c);
/** Builds the options for a case (policy, refs holder) into *opts; `holder` receives the snapshot. */
void h_options(sg_admission_opts_t *opts, sg_refs_holder_t **holder, sg_arena_t *arena, const sg_json_t *c);
/** Runs `body` through `adm` and decodes the result into `r` (memory in `arena`). */
void h_run(h_result_t *r, sg_admission_t *adm, sg_admission_webhook_t webhook, const char *content_type,
           const char *body, size_t len, sg_arena_t *arena);
/** Encodes a review tree, splicing in a case's "raw" values (pointer -> exact JSON text), into arena memory. */
char *h_encode(sg_arena_t *arena, sg_json_t *review, const sg_json_t *c, size_t *len);
/** Encodes a review tree and runs it. */
void h_run_review(h_result_t *r, sg_admission_t *adm, sg_admission_webhook_t webhook, const sg_json_t *review,
                  sg_arena_t *arena);
/** Applies an RFC 6902 patch of "add" operations to `root` (fails the test on anything else). */
void h_apply_patch(sg_arena_t *arena, sg_json_t *root, const sg_json_t *patch);
/** Compares a result with a case's "expect" object; `name` labels failures. */
void h_expect(const h_result_t *r, const sg_json_t *expect, const char *name);

#endif
