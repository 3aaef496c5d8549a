/* Shared helpers of the json tests: table files, base64, parse/encode shortcuts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

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
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
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
            if (e == 'x' && r + 3 < n && hexval(s[r + 2]) >= 0 && hexval(s[r + 3]) >= 0) {
                s[w++] = (char)(hexval(s[r + 2]) * 16 + hexval(s[r + 3]));
                r += 3;
                continue;
            }
        }
        s[w++] = s[r];
    }
    s[w] = '\0';
    return w;
}

th_row_t *th_table(const char *name, size_t *count)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", SG_TEST_DATA, name);
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
                rows = realloc(rows, cap * sizeof(*rows));
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
                row->len[row->nfields] = unescape(copy, fl);
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

char *th_base64(const char *s, size_t len, size_t *out_len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(len / 4 * 3 + 4);
    size_t w = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=')
            break;
        const char *p = memchr(alphabet, s[i], 64);
        if (p == NULL) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[w++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[w] = '\0';
    *out_len = w;
    return out;
}

int th_parse(sg_json_t **out, sg_arena_t *arena, const char *s, size_t len, sg_json_dialect_t dialect, sg_error_t *err)
{
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    opts.dialect = dialect;
    return sg_json_parse(out, arena, s, len, &opts, err);
}

char *th_encode_go(const sg_json_t *v, size_t *len)
{
    sg_buf_t b = SG_BUF_INIT;
    cr_assert_eq(sg_json_encode_go(&b, v), SG_OK);
    return sg_buf_detach(&b, len);
}

const char *th_show(const char *s, size_t len)
{
    static char out[4096];
    size_t w = 0;
    for (size_t i = 0; i < len && w + 5 < sizeof(out); i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[w++] = (char)c;
        else
            w += (size_t)snprintf(out + w, sizeof(out) - w, "\\x%02X", c);
    }
    out[w] = '\0';
    return out;
}
