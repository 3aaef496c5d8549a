/* Shared helpers of the json tests: data-file tables with byte escapes, parsing shortcuts, base64. */
#ifndef STORYGATE_TEST_JSON_HELPERS_H
#define STORYGATE_TEST_JSON_HELPERS_H

#include <stddef.h>

#include <storygate/json.h>

#define TH_MAX_FIELDS 8

/* One line of a table file: TAB-separated fields, each unescaped (\\ \t \n \r \xHH; other backslashes kept). */
typedef struct st_th_row_t {
    int lineno;
    int nfields;
    char *field[TH_MAX_FIELDS];
    size_t len[TH_MAX_FIELDS];
} th_row_t;

/** Reads SG_TEST_DATA/<name> into rows (comments '#' and blank lines skipped); aborts the test when missing. */
th_row_t *th_table(const char *name, size_t *count);
/** Frees what th_table returned. */
void th_table_free(th_row_t *rows, size_t count);
/** Reads a whole file; NULL when missing. free() the result. */
char *th_read_file(const char *path, size_t *len);
/** Decodes standard base64; NULL on bad input. free() the result. */
char *th_base64(const char *s, size_t len, size_t *out_len);
/** Parses with the given dialect into `arena`; returns the code and fills err. */
int th_parse(sg_json_t **out, sg_arena_t *arena, const char *s, size_t len, sg_json_dialect_t dialect, sg_error_t *err);
/** Go canonical encoding into a malloc'd NUL-terminated string. */
char *th_encode_go(const sg_json_t *v, size_t *len);
/** Printable rendering of bytes for failure messages (static buffer, not thread-safe). */
const char *th_show(const char *s, size_t len);

#endif
