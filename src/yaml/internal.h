/* Private parts of the yaml module: YAML 1.2 core-schema scalar resolution. */
#ifndef STORYGATE_YAML_INTERNAL_H
#define STORYGATE_YAML_INTERNAL_H

#include <stddef.h>

#include <storygate/json.h>

/* A resolved scalar. For numbers `text` is a JSON-valid lexeme (NULL = use the source text unchanged). */
typedef struct st_sg_yaml__scalar_t {
    sg_json_type_t type;
    int boolean;
    double number;
    const char *text;
    size_t text_len;
    char _textbuf[32];
} sg_yaml__scalar_t;

/** Types a plain scalar by the core schema; anything else is a string. */
void sg_yaml__resolve_plain(sg_yaml__scalar_t *out, const char *s, size_t len);
/** Applies an explicit tag (!!str, !!int, !!float, !!bool, !!null). SG_EUNSUPPORTED for other tags, SG_EINVALID when
 * the value does not fit the tag. */
int sg_yaml__resolve_tagged(sg_yaml__scalar_t *out, const char *tag, const char *s, size_t len);

#endif
