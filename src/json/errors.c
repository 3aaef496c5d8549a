/* Error text shared by the scanner and the tree builder: Go's character quoting, readable byte names, positions
 * as line and column, and JSON Pointer paths. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Go's quoteChar: the byte as a character literal of the code point with the same value. */
void sg_json__go_quote_char(char *out, size_t cap, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    const char *simple = NULL;
    switch (c) {
    case '\'':
        simple = "'\\''";
        break;
    case '"':
        simple = "'\"'";
        break;
    case '\\':
        simple = "'\\\\'";
        break;
    case '\a':
        simple = "'\\a'";
        break;
    case '\b':
        simple = "'\\b'";
        break;
    case '\f':
        simple = "'\\f'";
        break;
    case '\n':
        simple = "'\\n'";
        break;
    case '\r':
        simple = "'\\r'";
        break;
    case '\t':
        simple = "'\\t'";
        break;
    case '\v':
        simple = "'\\v'";
        break;
    }
    if (simple != NULL) {
        snprintf(out, cap, "%s", simple);
    } else if (c < 0x20 || c == 0x7f) {
        snprintf(out, cap, "'\\x%c%c'", hex[c >> 4], hex[c & 15]);
    } else if (c < 0x7f) {
        snprintf(out, cap, "'%c'", c);
    } else if (c < 0xa1 || c == 0xad) {
        snprintf(out, cap, "'\\u00%c%c'", hex[c >> 4], hex[c & 15]);
    } else {
        snprintf(out, cap, "'%c%c'", (char)(0xc0 | (c >> 6)), (char)(0x80 | (c & 0x3f)));
    }
}

/* STRICT: a readable name for the byte. */
void sg_json__describe_byte(char *out, size_t cap, unsigned char c)
{
    if (c > 0x20 && c < 0x7f)
        snprintf(out, cap, "character '%c'", c);
    else if (c == ' ')
        snprintf(out, cap, "space");
    else
        snprintf(out, cap, "byte 0x%02X", c);
}

void sg_json__path_append(char *path, size_t cap, const char *tok, size_t len)
{
    size_t n = strlen(path);
    if (n + 1 >= cap)
        return;
    path[n++] = '/';
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        if (tok[i] == '~' || tok[i] == '/') {
            if (n + 2 >= cap)
                break;
            path[n++] = '~';
            path[n++] = tok[i] == '~' ? '0' : '1';
        } else {
            path[n++] = tok[i];
        }
    }
    path[n] = '\0';
}

void sg_json__position(const char *buf, size_t len, size_t offset, int *line, int *column)
{
    int l = 1, c = 1;
    if (offset > len)
        offset = len;
    for (size_t i = 0; i < offset; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (b == '\n') {
            l++;
            c = 1;
        } else if ((b & 0xc0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

int sg_json__error_at(sg_error_t *err, int code, const char *buf, size_t len, size_t offset, const char *path,
                      const char *reason)
{
    int line, column;
    sg_json__position(buf, len, offset, &line, &column);
    return sg_error_setloc(err, code, path, line, column, "invalid JSON at line %d, column %d: %s", line, column,
                           reason);
}
