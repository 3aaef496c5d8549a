/* The CRDs of schemas/, compiled in at build time (cmake/embed_texts.cmake), for a server started without a CRD
 * directory. */
#include <string.h>

#include "internal.h"

int sg_schema_set_load_builtin(sg_schema_set_t *s, sg_error_t *err)
{
    for (size_t i = 0; sg_schema__builtin_texts[i] != NULL; i++) {
        const char *t = sg_schema__builtin_texts[i];
        int rc = sg_schema_set_load_yaml(s, t, strlen(t), sg_schema__builtin_names[i], err);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}
