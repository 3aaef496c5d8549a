/* `storygate identity`: one JSON object per stdin line ({"storyNamespace","storyName","key","submissionId",
 * "inputsRaw" | "inputsRawBase64"}; any name field may also come as "<field>Base64"), one JSON line per input on
 * stdout: {"inputHash","storyTriggerName","storyRunName"} (with "...NameBase64" and an empty plain field when a name
 * is not valid UTF-8), or {"error":"decode trigger inputs: ...", ...names} when the inputs do not decode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <storygate/cmd.h>
#include <storygate/identity.h>

#define MAX_LINE (64u << 20)

static void usage(FILE *f)
{
    fprintf(f, "usage: storygate identity < cases.jsonl\n\n"
               "Each input line: {\"storyNamespace\",\"storyName\",\"key\",\"submissionId\",\"inputsRaw\"} (or\n"
               "\"inputsRawBase64\" for raw bytes; neither = inputs absent; \"<field>Base64\" for any name field).\n"
               "Each output line: {\"inputHash\",\"storyTriggerName\",\"storyRunName\"} or {\"error\",...}.\n");
}

/* Standard base64 (with padding) into arena memory. */
static int b64_decode(sg_arena_t *arena, const char *s, size_t len, sg_span_t *out)
{
    if (len % 4 != 0 || len > (size_t)1 << 30)
        return -1;
    unsigned char *p = sg_arena_alloc(arena, len / 4 * 3 + 1);
    if (p == NULL)
        return -1;
    int n = EVP_DecodeBlock(p, (const unsigned char *)s, (int)len);
    if (n < 0)
        return -1;
    size_t pad = len >= 1 && s[len - 1] == '=' ? (len >= 2 && s[len - 2] == '=' ? 2 : 1) : 0;
    *out = sg_span_make((const char *)p, (size_t)n - pad);
    return 0;
}

static int b64_put(sg_buf_t *out, const char *s, size_t len)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    if (sg_buf_reserve(out, cap) < 0)
        return SG_ENOMEM;
    int n = EVP_EncodeBlock((unsigned char *)out->base + out->len, (const unsigned char *)s, (int)len);
    out->len += (size_t)n;
    out->base[out->len] = '\0';
    return SG_OK;
}

/* A field as text or as "<field>Base64"; *present says whether either was there. */
static int field(const sg_json_t *o, const char *name, sg_arena_t *arena, sg_span_t *out, int *present)
{
    char b64name[64];
    size_t len;
    snprintf(b64name, sizeof(b64name), "%sBase64", name);
    *out = sg_span_make("", 0);
    *present = 0;
    const char *s = sg_json_string(sg_json_get(o, b64name), &len);
    if (s != NULL) {
        *present = 1;
        return b64_decode(arena, s, len, out);
    }
    s = sg_json_string(sg_json_get(o, name), &len);
    if (s != NULL) {
        *present = 1;
        *out = sg_span_make(s, len);
    }
    return 0;
}

static void put_name(sg_buf_t *out, const char *field_name, const char *name, size_t len)
{
    sg_buf_printf(out, ",\"%s\":", field_name);
    if (sg_utf8_valid(name, len)) {
        sg_json_write_string(out, name, len);
        return;
    }
    sg_buf_puts(out, "\"\",\"");
    sg_buf_puts(out, field_name);
    sg_buf_puts(out, "Base64\":\"");
    b64_put(out, name, len);
    sg_buf_putc(out, '"');
}

static int process_line(const char *line, size_t len, sg_arena_t *arena, sg_buf_t *out)
{
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    opts.dialect = SG_JSON_GO;
    sg_json_t *o = NULL;
    sg_error_t err = SG_ERROR_INIT;
    sg_span_t ns, story, key, sub, inputs;
    int present, has_inputs;
    if (sg_json_parse(&o, arena, line, len, &opts, &err) < 0 || o->type != SG_JSON_OBJECT) {
        sg_buf_puts(out, "{\"error\":");
        char msg[SG_ERROR_MSG_MAX + 32];
        snprintf(msg, sizeof(msg), "invalid input line: %s", o == NULL ? err.message : "expected an object");
        sg_json_write_string(out, msg, strlen(msg));
        sg_buf_puts(out, "}\n");
        return 1;
    }
    if (field(o, "storyNamespace", arena, &ns, &present) < 0 || field(o, "storyName", arena, &story, &present) < 0 ||
        field(o, "key", arena, &key, &present) < 0 || field(o, "submissionId", arena, &sub, &present) < 0 ||
        field(o, "inputsRaw", arena, &inputs, &has_inputs) < 0) {
        sg_buf_puts(out, "{\"error\":\"invalid input line: bad base64\"}\n");
        return 1;
    }
    char hash[SG_IDENTITY_INPUT_HASH_LEN + 1], tname[SG_IDENTITY_NAME_MAX + 1], rname[SG_IDENTITY_NAME_MAX + 1];
    int ret =
        sg_identity_input_hash(hash, has_inputs ? inputs.ptr : NULL, has_inputs ? inputs.len : 0, arena, NULL, &err);
    size_t tlen = sg_identity_trigger_name(tname, ns, story, key, sub);
    size_t rlen = sg_identity_run_name(rname, ns, story, sg_identity_of(key, sub));
    if (ret == SG_ENOMEM)
        return -1;
    if (ret < 0) {
        sg_buf_puts(out, "{\"error\":");
        sg_json_write_string(out, err.message, strlen(err.message));
    } else {
        sg_buf_puts(out, "{\"inputHash\":\"");
        sg_buf_puts(out, hash);
        sg_buf_putc(out, '"');
    }
    put_name(out, "storyTriggerName", tname, tlen);
    put_name(out, "storyRunName", rname, rlen);
    sg_buf_puts(out, "}\n");
    return 0;
}

int sg_cmd_identity(int argc, char **argv)
{
    if (argc > 1) {
        int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int status = 0;
    sg_arena_t arena;
    sg_buf_t out = SG_BUF_INIT;
    sg_arena_init(&arena, 0);
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        sg_buf_reset(&out);
        if (len > MAX_LINE) {
            sg_buf_puts(&out, "{\"error\":\"invalid input line: longer than 64 MiB\"}\n");
            status = 1;
        } else {
            int r = process_line(line, len, &arena, &out);
            if (r < 0) {
                fprintf(stderr, "storygate identity: out of memory\n");
                status = 1;
                break;
            }
            status |= r;
        }
        if (out.oom) {
            fprintf(stderr, "storygate identity: out of memory\n");
            status = 1;
            break;
        }
        fwrite(out.base, 1, out.len, stdout);
        sg_arena_reset(&arena);
    }
    free(line);
    sg_buf_dispose(&out);
    sg_arena_dispose(&arena);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
