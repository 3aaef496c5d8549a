/* libFuzzer target: the embedded API's request parsing. The input is split at newlines into a request path, a query
 * string, an Accept header, a label selector and a field selector; the rest is a JSON object the selectors are
 * matched against. Everything must parse or fail cleanly, within the documented bounds. */
#include <string.h>

#include "../../src/api/internal.h"
#include "fuzz.h"

static sg_span_t next_line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl != NULL ? nl : end;
    sg_span_t s = {*p, (size_t)(stop - *p)};
    *p = nl != NULL ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    sg_span_t path = next_line(&p, end), query = next_line(&p, end), accept = next_line(&p, end);
    sg_span_t labels = next_line(&p, end), fields = next_line(&p, end);

    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_error_t err = SG_ERROR_INIT;
    sg_api__path_t ap;
    memset(&ap, 0, sizeof(ap));
    int rc = sg_api__path_parse(&ap, path.ptr, path.len, &err);
    if (rc == SG_OK) {
        FUZZ_CHECK(ap.type != SG_API__PATH_INVALID, "parsed path without a type");
        FUZZ_CHECK(memchr(ap.ns, '\0', sizeof(ap.ns)) != NULL && memchr(ap.name, '\0', sizeof(ap.name)) != NULL,
                   "unterminated name");
        if (ap.type == SG_API__PATH_COLLECTION || ap.type == SG_API__PATH_OBJECT)
            FUZZ_CHECK(ap.res != NULL, "collection without a resource");
        if (ap.type == SG_API__PATH_OBJECT)
            FUZZ_CHECK(ap.name[0] != '\0', "object path without a name");
    } else {
        FUZZ_CHECK(rc == SG_EINVALID || rc == SG_ENOTFOUND, "path: unexpected code %d", rc);
    }

    sg_api__query_t q;
    memset(&q, 0, sizeof(q));
    rc = sg_api__query_parse(&q, query.ptr, query.len, &arena, &err);
    FUZZ_CHECK(rc == SG_OK || rc == SG_EINVALID || rc == SG_ENOMEM, "query: unexpected code %d", rc);
    (void)sg_api__accept_table(accept.ptr, accept.len);

    char *l = sg_arena_strndup(&arena, labels.ptr, labels.len);
    char *f = sg_arena_strndup(&arena, fields.ptr, fields.len);
    sg_json_t *obj = NULL;
    if (p < end && sg_json_parse(&obj, &arena, p, (size_t)(end - p), NULL, NULL) < 0)
        obj = NULL;
    for (int kind = 0; kind < SG_KIND__COUNT; kind++) {
        sg_store_selector_t *sel = NULL;
        rc = sg_store_selector_parse(&sel, (sg_store_kind_t)kind, l, f, &err);
        if (rc == SG_OK) {
            if (obj != NULL) {
                int m = sg_store_selector_match(sel, obj);
                FUZZ_CHECK(m == 0 || m == 1, "match returned %d", m);
            }
        } else {
            FUZZ_CHECK(sel == NULL, "failed parse returned a selector");
            FUZZ_CHECK(err.message[0] != '\0', "selector error without a message");
        }
        sg_store_selector_free(sel);
    }
    sg_arena_dispose(&arena);
    return 0;
}
