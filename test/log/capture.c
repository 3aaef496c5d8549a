/* Pipe capture and a small strict JSON-object parser, so the tests check real output rather than substrings. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <storygate/log.h>
#include <storygate/utf8.h>

#include "capture.h"

static int g_pipe[2];
static pthread_t g_reader;
static sg_buf_t g_out;

static void *reader(void *arg)
{
    char chunk[8192];
    ssize_t n;
    while ((n = read(g_pipe[0], chunk, sizeof(chunk))) > 0)
        sg_buf_append(&g_out, chunk, (size_t)n);
    return NULL;
}

void capture_start(void)
{
    sg_buf_init(&g_out);
    sg_buf_reserve(&g_out, 0);
    if (pipe(g_pipe) != 0)
        abort();
    pthread_create(&g_reader, NULL, reader, NULL);
    sg_log_set_fd(g_pipe[1]);
}

sg_buf_t capture_stop(void)
{
    sg_log_set_fd(2);
    close(g_pipe[1]);
    pthread_join(g_reader, NULL);
    close(g_pipe[0]);
    sg_buf_t b = g_out;
    sg_buf_init(&g_out);
    return b;
}

static size_t utf8_ok(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4)
        return 0;
    size_t len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n < len)
        return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* Decodes a JSON string starting at s[*i] == '"'; \u escapes of the BMP only (what the log emits). */
static int parse_string(const char *s, size_t n, size_t *i, sg_buf_t *out)
{
    if (*i >= n || s[*i] != '"')
        return -1;
    (*i)++;
    while (*i < n) {
        unsigned char c = (unsigned char)s[*i];
        if (c == '"') {
            (*i)++;
            sg_buf_append(out, "", 0);
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (*i + 1 >= n)
                return -1;
            char e = s[*i + 1];
            const char *map = "\"\\/bfnrt", *rep = "\"\\/\b\f\n\r\t";
            const char *p = strchr(map, e);
            if (e != '\0' && p != NULL) {
                sg_buf_putc(out, rep[p - map]);
                *i += 2;
                continue;
            }
            if (e != 'u' || *i + 6 > n)
                return -1;
            unsigned cp = 0;
            for (int k = 2; k < 6; k++) {
                int h = sg_hex_digit(s[*i + k]);
                if (h < 0)
                    return -1;
                cp = cp * 16 + (unsigned)h;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                return -1;
            char u[3];
            if (cp < 0x80) {
                sg_buf_putc(out, (char)cp);
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | (cp >> 6));
                u[1] = (char)(0x80 | (cp & 0x3F));
                sg_buf_append(out, u, 2);
            } else {
                u[0] = (char)(0xE0 | (cp >> 12));
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                sg_buf_append(out, u, 3);
            }
            *i += 6;
            continue;
        }
        size_t k = utf8_ok((const unsigned char *)s + *i, n - *i);
        if (k == 0)
            return -1;
        sg_buf_append(out, s + *i, k);
        *i += k;
    }
    return -1;
}

static int is_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return 0;
    if (s[i] == '0')
        i++;
    else
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return i == n;
}

int flat_parse(flat_t *f, const char *s, size_t n)
{
    memset(f, 0, sizeof(*f));
    size_t i = 0;
    if (n < 2 || s[i++] != '{')
        return -1;
    for (;;) {
        if (f->n == FLAT_MAX)
            return -1;
        sg_buf_t k = SG_BUF_INIT, v = SG_BUF_INIT;
        if (parse_string(s, n, &i, &k) < 0 || i >= n || s[i++] != ':') {
            sg_buf_dispose(&k);
            return -1;
        }
        f->keys[f->n] = k.base;
        if (i < n && s[i] == '"') {
            if (parse_string(s, n, &i, &v) < 0) {
                f->n++;
                return -1;
            }
            f->raw[f->n] = 0;
        } else {
            size_t st = i;
            while (i < n && s[i] != ',' && s[i] != '}')
                i++;
            sg_buf_append(&v, s + st, i - st);
            f->raw[f->n] = 1;
            if (!(strcmp(v.base, "true") == 0 || strcmp(v.base, "false") == 0 || strcmp(v.base, "null") == 0 ||
                  is_number(v.base, v.len))) {
                f->vals[f->n] = v.base;
                f->n++;
                return -1;
            }
        }
        f->vlens[f->n] = v.len;
        f->vals[f->n++] = v.base;
        if (i >= n)
            return -1;
        if (s[i] == ',') {
            i++;
            continue;
        }
        if (s[i] == '}' && i + 1 == n)
            return 0;
        return -1;
    }
}

const char *flat_get(const flat_t *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->keys[i], key) == 0)
            return f->vals[i];
    return NULL;
}

void flat_free(flat_t *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->keys[i]);
        free(f->vals[i]);
    }
    f->n = 0;
}
