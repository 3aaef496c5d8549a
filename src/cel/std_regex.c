/* `matches` on PCRE2 configured to behave like RE2 where it can: UTF-8 mode, `$` only at the very end, ASCII \d \w
 * \s \b, and the constructs RE2 refuses (backreferences, lookaround, atomic groups, recursion, conditionals,
 * possessive quantifiers, \C \K) rejected before compiling. Matching is bounded by PCRE2's match and depth limits.
 * Constant patterns are compiled (and JIT-compiled) once with the program.
 * JIT matching uses one match data per thread (made once); other matching takes per-evaluation memory from the
 * evaluation arena through a PCRE2 general context, so matching does not malloc after a thread's first match. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "std.h"

#define MATCH_LIMIT 1000000
#define DEPTH_LIMIT 10000

static const char *unsupported(const char *p, size_t n)
{
    int in_class = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\\') {
            if (i + 1 >= n)
                return NULL; /* PCRE2 reports the trailing backslash */
            char e = p[i + 1];
            if (!in_class && e >= '1' && e <= '9')
                return "backreferences are not supported";
            if (e == 'g' || e == 'k')
                return "backreferences are not supported";
            if (e == 'K' || e == 'C' || e == 'R' || e == 'X')
                return "this escape is not supported";
            i++;
            continue;
        }
        if (in_class) {
            if (ch == ']')
                in_class = 0;
            continue;
        }
        if (ch == '[') {
            in_class = 1;
            /* a leading ] (or ^]) is literal */
            if (i + 1 < n && p[i + 1] == '^')
                i++;
            if (i + 1 < n && p[i + 1] == ']')
                i++;
            continue;
        }
        if (ch == '(' && i + 1 < n && p[i + 1] == '?') {
            char k = i + 2 < n ? p[i + 2] : 0;
            char k2 = i + 3 < n ? p[i + 3] : 0;
            if (k == '=' || k == '!' || (k == '<' && (k2 == '=' || k2 == '!')))
                return "lookaround assertions are not supported";
            if (k == '>' || k == '|')
                return "atomic and branch-reset groups are not supported";
            if (k == 'R' || (k >= '0' && k <= '9') || k == '&' || k == '+' || k == '-' ||
                (k == 'P' && (k2 == '>' || k2 == '=')))
                return "recursion and backreferences are not supported";
            if (k == '(')
                return "conditional groups are not supported";
            if (k == '#')
                return "comments are not supported";
        }
        if ((ch == '*' || ch == '+' || ch == '?' || ch == '}') && i + 1 < n && p[i + 1] == '+')
            return "possessive quantifiers are not supported";
    }
    return NULL;
}

/* A search for `X.*` succeeds exactly when one for `X` does; dropping the tail spares scanning the rest. */
static size_t trim_dot_star(const char *pat, size_t len)
{
    while (len >= 2 && pat[len - 1] == '*' && pat[len - 2] == '.') {
        size_t bs = 0;
        while (bs < len - 2 && pat[len - 3 - bs] == '\\')
            bs++;
        if (bs % 2 != 0)
            break;
        len -= 2;
    }
    return len;
}

static pcre2_code *compile(const char *pat, size_t len, const char **errmsg, char *buf, size_t bufn,
                           pcre2_general_context *gctx)
{
    const char *why = unsupported(pat, len);
    if (why != NULL) {
        *errmsg = why;
        return NULL;
    }
    len = trim_dot_star(pat, len);
    pcre2_compile_context *cc = pcre2_compile_context_create(gctx);
    if (cc == NULL) {
        *errmsg = "out of memory";
        return NULL;
    }
    pcre2_set_max_pattern_length(cc, 65536);
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pat, len, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C, &ec, &eo, cc);
    pcre2_compile_context_free(cc);
    if (re == NULL) {
        char m[200];
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)m, sizeof(m));
        snprintf(buf, bufn, "%s at offset %zu", m, (size_t)eo);
        *errmsg = buf;
    }
    return re;
}

typedef struct st_regex_t {
    pcre2_code *code;
    int jit; /* JIT-compiled: matched with pcre2_jit_match, which skips pcre2_match's checks */
} regex_t;

void *sg_cel__regex_compile(const char *pat, size_t len, const char **errmsg, sg_arena_t *msg_arena)
{
    char buf[256];
    regex_t *r = malloc(sizeof(*r));
    if (r == NULL) {
        *errmsg = "out of memory";
        return NULL;
    }
    r->code = compile(pat, len, errmsg, buf, sizeof(buf), NULL);
    if (r->code == NULL) {
        if (*errmsg == buf)
            *errmsg = sg_arena_strndup(msg_arena, buf, strlen(buf));
        free(r);
        return NULL;
    }
    /* best effort: the interpreter is used when JIT is unavailable */
    size_t jitsize = 0;
    r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0 &&
             pcre2_pattern_info(r->code, PCRE2_INFO_JITSIZE, &jitsize) == 0 && jitsize > 0;
    return r;
}

void sg_cel__regex_free(void *re)
{
    regex_t *r = re;
    if (r != NULL) {
        pcre2_code_free(r->code);
        free(r);
    }
}

static void *arena_malloc(PCRE2_SIZE n, void *data)
{
    return sg_arena_alloc(data, n);
}

static void arena_free(void *p, void *data)
{
    (void)p;
    (void)data;
}

void *sg_cel__regex_match_context(void)
{
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    if (mc != NULL) {
        pcre2_set_match_limit(mc, MATCH_LIMIT);
        pcre2_set_depth_limit(mc, DEPTH_LIMIT);
    }
    return mc;
}

void sg_cel__regex_free_match_context(void *mc)
{
    pcre2_match_context_free(mc);
}

/* For JIT-compiled patterns, one match data per thread (a single ovector pair: only success matters), reused by
 * every match on the thread and freed when it exits: making one per evaluation costs more than a short match. JIT
 * matching keeps no frames in the match data, so this allocates once per thread; the interpreter, which may grow
 * frames there, keeps using per-evaluation arena memory. */
static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static int md_key_ok;
static _Thread_local pcre2_match_data *thread_md;

static void md_free(void *md)
{
    pcre2_match_data_free(md);
}

static void md_key_init(void)
{
    md_key_ok = pthread_key_create(&md_key, md_free) == 0;
}

static pcre2_match_data *get_thread_md(void)
{
    if (thread_md == NULL) {
        pthread_once(&md_once, md_key_init);
        if (!md_key_ok)
            return NULL;
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        if (md == NULL)
            return NULL;
        if (pthread_setspecific(md_key, md) != 0) {
            pcre2_match_data_free(md);
            return NULL;
        }
        thread_md = md;
    }
    return thread_md;
}

int sg_cel__regex_match(sg_cel_ctx_t *c, void *re, const char *s, size_t len)
{
    const regex_t *r = re;
    pcre2_match_data *md = r->jit ? get_thread_md() : NULL;
    if (md == NULL)
        md = c->regex_md;
    if (md == NULL) {
        /* one per evaluation, from its arena */
        pcre2_general_context *g = pcre2_general_context_create(arena_malloc, arena_free, c->arena);
        md = g != NULL ? pcre2_match_data_create(1, g) : NULL;
        if (md == NULL)
            return -2;
        c->regex_md = md;
    }
    int rc = r->jit ? pcre2_jit_match(r->code, (PCRE2_SPTR)s, len, 0, 0, md, c->p->match_ctx)
                    : pcre2_match(r->code, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, md, c->p->match_ctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return -1;
}

SG_CEL_FN(sg_cel__fn_matches)
{
    if (n != 2 || a[0].kind != SG_CEL_STRING || a[1].kind != SG_CEL_STRING)
        return sg_cel__err_overload(c, out, "matches", a, n);
    void *re = call->u.call.aux;
    if (re == NULL) {
        char buf[256];
        const char *msg = NULL;
        pcre2_general_context *g = pcre2_general_context_create(arena_malloc, arena_free, c->arena);
        if (g == NULL)
            return sg_cel__err_nomem(out);
        regex_t *dyn = sg_arena_alloc(c->arena, sizeof(*dyn));
        if (dyn == NULL)
            return sg_cel__err_nomem(out);
        dyn->jit = 0;
        dyn->code = compile(a[1].u.s, a[1].len, &msg, buf, sizeof(buf), g);
        re = dyn;
        if (dyn->code == NULL)
            return sg_cel__err(c, out, "invalid regular expression '%.*s': %s", (int)(a[1].len > 100 ? 100 : a[1].len),
                               a[1].u.s, msg);
        SG_CEL_CHARGE(c, a[1].len);
    }
    if (sg_cel__spend(c, a[0].len / 10, out))
        return;
    int r = sg_cel__regex_match(c, re, a[0].u.s, a[0].len);
    if (r == -2)
        return sg_cel__err_nomem(out);
    if (r < 0)
        return sg_cel__err(c, out, "regular expression match exceeded its limits");
    *out = sg_cel__bool(r);
}
