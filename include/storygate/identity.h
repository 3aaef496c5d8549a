/* Deterministic StoryTrigger/StoryRun names and the canonical input hash (spec §2). Pure functions over verbatim
 * inputs: callers trim key and submissionId first, as the webhook and reconciler do. All thread-safe. */
#ifndef STORYGATE_IDENTITY_H
#define STORYGATE_IDENTITY_H

#include <stddef.h>

#include <storygate/arena.h>
#include <storygate/buf.h>
#include <storygate/error.h>
#include <storygate/gostr.h>
#include <storygate/json.h>

#define SG_IDENTITY_SHORT_HASH_LEN 16 /* hex digits of the 8-byte SHA-1 prefix */
#define SG_IDENTITY_INPUT_HASH_LEN 64 /* hex digits of SHA-256 */
#define SG_IDENTITY_NAME_MAX 253      /* every derived name fits in this many bytes */

/* The hash of absent, empty, `{}` and `null` inputs. */
#define SG_IDENTITY_EMPTY_INPUT_HASH "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

/** StoryTriggerIdentity (§2.1): `key` when non-empty, else `submission_id`. Borrows from the arguments. */
sg_span_t sg_identity_of(sg_span_t key, sg_span_t submission_id);

/** shortHash(story_ns + "/" + story_name + "/" + id) (§2.2): 16 lowercase hex digits and a NUL into `out`. */
void sg_identity_short_hash(char out[SG_IDENTITY_SHORT_HASH_LEN + 1], sg_span_t story_ns, sg_span_t story_name,
                            sg_span_t id);

/** DeriveStoryTriggerName (§2.3) into `out` (NUL-terminated, may hold invalid UTF-8 after a byte cut). Returns the
 * length; 0 (empty name) when the identity is empty. No allocation. */
size_t sg_identity_trigger_name(char out[SG_IDENTITY_NAME_MAX + 1], sg_span_t story_ns, sg_span_t story_name,
                                sg_span_t key, sg_span_t submission_id);

/** DeriveStoryRunName (§2.4) with `token` = the trigger identity, into `out` (NUL-terminated). Returns the length.
 * No allocation. */
size_t sg_identity_run_name(char out[SG_IDENTITY_NAME_MAX + 1], sg_span_t story_ns, sg_span_t story_name,
                            sg_span_t token);

/** ComputeTriggerInputHash (§2.5) of the raw bytes of spec.inputs (`raw` NULL or `len` 0 = absent/empty = `{}`):
 * 64 hex digits and a NUL into `out`. The parse tree lives in `arena`; `canonical`, when not NULL, is reset and
 * receives the canonical bytes (otherwise a temporary buffer is used). On a decode failure returns SG_EINVALID (or
 * the parser's SG_ELIMIT) with `err` set to "decode trigger inputs: <Go decoder message>". */
int sg_identity_input_hash(char out[SG_IDENTITY_INPUT_HASH_LEN + 1], const char *raw, size_t len, sg_arena_t *arena,
                           sg_buf_t *canonical, sg_error_t *err);

/** The hash of a value already decoded with the SG_JSON_GO dialect (NULL or JSON null hash as `{}`). `canonical` as
 * above. Returns 0 or SG_ENOMEM. */
int sg_identity_input_hash_value(char out[SG_IDENTITY_INPUT_HASH_LEN + 1], const sg_json_t *v, sg_buf_t *canonical);

#endif
