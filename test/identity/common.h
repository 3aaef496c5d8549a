/* Helpers shared by the identity tests: reading a data file and base64 decoding. */
#ifndef SG_TEST_IDENTITY_COMMON_H
#define SG_TEST_IDENTITY_COMMON_H

#include <stddef.h>

#include <storygate/arena.h>
#include <storygate/json.h>

/** The whole file `SG_TEST_DATA/name` in arena memory (NUL-terminated); NULL when unreadable. */
char *test_read_file(sg_arena_t *arena, const char *name, size_t *len);
/** Standard base64 decoding into arena memory; NULL on bad input. */
char *test_b64_decode(sg_arena_t *arena, const char *s, size_t *len);
/** The parsed vectors.json array (GO dialect). */
sg_json_t *test_vectors(sg_arena_t *arena);

#endif
