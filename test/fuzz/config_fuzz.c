/* libFuzzer target: any bytes as a storygate config file, overlaid on the defaults, then validated. Failures must
 * carry a "file:line:column" or "file" message; success leaves a config that disposes cleanly. */
#include <string.h>

#include <storygate/config.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_config_t c;
    sg_config_init(&c);
    sg_error_t err = SG_ERROR_INIT;
    int rc = sg_config_load_yaml(&c, (const char *)data, size, "fuzz.yaml", &err);
    if (rc < 0) {
        FUZZ_CHECK(err.message[0] != '\0', "error without a message (code %d)", rc);
    } else {
        sg_error_t verr = SG_ERROR_INIT;
        (void)sg_config_validate(&c, &verr);
        /* a second overlay of the same text must give the same verdict (no state leaks between loads) */
        sg_error_t err2 = SG_ERROR_INIT;
        FUZZ_CHECK(sg_config_load_yaml(&c, (const char *)data, size, "fuzz.yaml", &err2) == SG_OK,
                   "second load failed: %s", err2.message);
    }
    sg_config_dispose(&c);
    return 0;
}
