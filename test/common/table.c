/* One reader for the table files of every test executable, so that they all skip, split and decode lines alike. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/utf8.h>

#include "table.h"

char *th_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf != NULL && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            cap *= 2;
            char *grown = realloc(buf, cap);
            if (grown == NULL)
                free(buf);
            buf = grown;
        }
    }
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    *len = n;
    return buf;
}

static size_t unescape(char *s, size_t n)
{
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        if (s[r] == '\\' && r + 1 < n) {
            char e = s[r + 1];
            if (e == '\\' || e == 't' || e == 'n' || e == 'r') {
                s[w++] = e == '\\' ? '\\' : e == 't' ? '\t' : e == 'n' ? '\n' : '\r';
                r++;
                continue;
            }
            if (e == 'x' && r + 3 < n && sg_hex_digit(s[r + 2]) >= 0 && sg_hex_digit(s[r + 3]) >= 0) {
                s[w++] = (char)(sg_hex_digit(s[r + 2]) * 16 + sg_hex_digit(s[r + 3]));
                r += 3;
                continue;
            }
        }
        s[w++] = s[r];
    }
    s[w] = '\0';
    return w;
}

th_row_t *th_table_at(const char *dir, const char *name, int flags, size_t *count)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    size_t len;
    char *text = th_read_file(path, &len);
    cr_assert_not_null(text, "missing table %s", path);
    size_t cap = 64, n = 0;
    th_row_t *rows = calloc(cap, sizeof(*rows));
    char *line = text;
    int lineno = 0;
    while (line < text + len) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        size_t ll = nl != NULL ? (size_t)(nl - line) : (size_t)(text + len - line);
        lineno++;
        if (ll > 0 && line[0] != '#') {
            if (n == cap) {
                cap *= 2;
                th_row_t *grown = realloc(rows, cap * sizeof(*rows));
                cr_assert_not_null(grown, "out of memory reading %s", path);
                rows = grown;
            }
            th_row_t *row = &rows[n++];
            memset(row, 0, sizeof(*row));
            row->lineno = lineno;
            char *f = line, *end = line + ll;
            while (row->nfields < TH_MAX_FIELDS) {
                char *tab = memchr(f, '\t', (size_t)(end - f));
                size_t fl = tab != NULL ? (size_t)(tab - f) : (size_t)(end - f);
                char *copy = malloc(fl + 1);
                memcpy(copy, f, fl);
                copy[fl] = '\0';
                row->len[row->nfields] = (flags & TH_RAW) != 0 ? fl : unescape(copy, fl);
                row->field[row->nfields++] = copy;
                if (tab == NULL)
                    break;
                f = tab + 1;
            }
        }
        line += ll + 1;
    }
    free(text);
    *count = n;
    return rows;
}

void th_table_free(th_row_t *rows, size_t count)
{
    for (size_t i = 0; i < count; i++)
        for (int k = 0; k < rows[i].nfields; k++)
            free(rows[i].field[k]);
    free(rows);
}
