/* Helpers only the json tests need (parsing shortcuts, base64, printable bytes); their tables come from common/. */
#ifndef STORYGATE_TEST_JSON_HELPERS_H
#define STORYGATE_TEST_JSON_HELPERS_H

#include <stddef.h>

#include <storygate/json.h>

#include "../common/table.h"

/** Decodes standard base64; NULL on bad input. free() the result. */
char *th_base64(const char *s, size_t len, size_t *out_len);
/** Parses with the given dialect into `arena`; returns the code and fills err. */
int th_parse(sg_json_t **out, sg_arena_t *arena, const char *s, size_t len, sg_json_dialect_t dialect, sg_error_t *err);
/** Go canonical encoding into a malloc'd NUL-terminated string. */
char *th_encode_go(const sg_json_t *v, size_t *len);
/** Printable rendering of bytes for failure messages (static buffer, not thread-safe). */
const char *th_show(const char *s, size_t len);

#endif
