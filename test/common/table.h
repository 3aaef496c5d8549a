/* Table files shared by the test executables: TAB-separated rows in a test folder, read one way everywhere. */
#ifndef STORYGATE_TEST_COMMON_TABLE_H
#define STORYGATE_TEST_COMMON_TABLE_H

#include <stddef.h>

#define TH_MAX_FIELDS 8

/* How fields reach the test: escaped tables can hold bytes a text file cannot (TAB, NUL, invalid UTF-8), raw ones keep
 * backslashes that are part of the case itself (CEL regexes and string escapes, JSON literals). */
enum {
    TH_UNESCAPE = 0, /* \\ \t \n \r \xHH are decoded; other backslashes are kept */
    TH_RAW = 1,      /* fields are the bytes of the file */
};

/* One line of a table file; lineno is for failure messages. */
typedef struct st_th_row_t {
    int lineno;
    int nfields;
    char *field[TH_MAX_FIELDS];
    size_t len[TH_MAX_FIELDS];
} th_row_t;

/** Reads dir/<name> into rows ('#' comments and blank lines skipped); aborts the test when missing. */
th_row_t *th_table_at(const char *dir, const char *name, int flags, size_t *count);
/* SG_TEST_DATA differs per test executable, so it is taken where the test is compiled, not in the library. */
#define th_table(name, count) th_table_at(SG_TEST_DATA, (name), TH_UNESCAPE, (count))
#define th_table_raw(name, count) th_table_at(SG_TEST_DATA, (name), TH_RAW, (count))
/** Frees what th_table_at returned. */
void th_table_free(th_row_t *rows, size_t count);
/** Reads a whole file, NUL-terminated; NULL when missing. free() the result. */
char *th_read_file(const char *path, size_t *len);

#endif
