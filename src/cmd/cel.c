/* `storygate cel`: evaluate CEL expressions from the command line.
 *   cel eval 'EXPR' [--var NAME=JSON ...] [--cost-limit N] [--disable-macros]   prints the result or the error
 *   cel check 'EXPR' [--decl NAME=TYPE ...]                                       prints the type or the type errors
 *   cel lines                                                                    JSON lines in, JSON lines out */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/cel.h>
#include <storygate/cmd.h>
#include <storygate/json.h>

#define MAX_VARS 64
#define MAX_LINE (16u << 20)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: storygate cel eval 'EXPR' [--var NAME=JSON ...] [--cost-limit N] [--disable-macros]\n"
            "       storygate cel check 'EXPR' [--decl NAME=TYPE ...]\n"
            "       storygate cel lines   (stdin: {\"expr\":..., \"bindings\":{name: Value}, \"disableMacros\":bool,\n"
            "                              \"check\":bool, \"checkOnly\":bool, \"decls\":{name: \"TYPE\"}} per line;\n"
            "                              stdout: {\"value\": Value} or {\"error\": \"message\"} per line, with\n"
            "                              \"type\": \"TYPE\" or \"checkError\": \"message\" when checking)\n"
            "Values are cel.expr.Value in proto3 JSON, e.g. {\"int64Value\":\"-5\"}. Types are written as the\n"
            "checker prints them: int, list(string), map(string, dyn), optional_type(int), {a: int, *} (object).\n");
}

/* Compiles EXPR, or prints why it does not compile and returns NULL. */
static sg_cel_program_t *compile_or_report(const char *expr, const sg_cel_options_t *opts)
{
    sg_cel_program_t *p = NULL;
    sg_error_t err = SG_ERROR_INIT;
    if (sg_cel_compile(&p, expr, strlen(expr), opts, &err) < 0) {
        fprintf(stderr, "%s\n", err.message);
        return NULL;
    }
    return p;
}

/* Prints a result line and disposes of it. */
static void print_line(sg_buf_t *b)
{
    printf("%s\n", b->base != NULL ? b->base : "");
    sg_buf_dispose(b);
}

static int cmd_eval(int argc, char **argv)
{
    const char *expr = NULL;
    sg_cel_var_t vars[MAX_VARS];
    size_t nvars = 0;
    sg_cel_options_t opts = SG_CEL_OPTIONS_INIT;
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    int rc = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--var") == 0 && i + 1 < argc) {
            char *eq = strchr(argv[++i], '=');
            if (eq == NULL || nvars == MAX_VARS) {
                fprintf(stderr, "storygate cel eval: --var wants NAME=JSON (at most %d)\n", MAX_VARS);
                goto done;
            }
            sg_error_t err = SG_ERROR_INIT;
            sg_json_t *j = NULL;
            sg_json_parse_opts_t jo = SG_JSON_PARSE_OPTS_INIT;
            jo.max_depth = 200;
            if (sg_json_parse(&j, &arena, eq + 1, strlen(eq + 1), &jo, &err) < 0) {
                fprintf(stderr, "storygate cel eval: --var %.*s: %s\n", (int)(eq - argv[i]), argv[i], err.message);
                goto done;
            }
            vars[nvars].name = sg_arena_strndup(&arena, argv[i], (size_t)(eq - argv[i]));
            vars[nvars].value = sg_cel_value_from_json(j);
            nvars++;
        } else if (strcmp(argv[i], "--cost-limit") == 0 && i + 1 < argc) {
            opts.cost_limit = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--disable-macros") == 0) {
            opts.disable_macros = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            rc = 0;
            goto done;
        } else if (expr == NULL && argv[i][0] != '-') {
            expr = argv[i];
        } else {
            fprintf(stderr, "storygate cel eval: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            goto done;
        }
    }
    if (expr == NULL) {
        usage(stderr);
        goto done;
    }
    sg_cel_program_t *p = compile_or_report(expr, &opts);
    sg_cel_value_t v;
    sg_error_t err = SG_ERROR_INIT;
    rc = 1;
    if (p != NULL && sg_cel_eval(&v, p, vars, nvars, &arena, &err) < 0) {
        fprintf(stderr, "error: %s\n", err.message);
    } else if (p != NULL) {
        sg_buf_t b = SG_BUF_INIT;
        sg_cel_value_format(&b, &v);
        print_line(&b);
        rc = 0;
    }
    sg_cel_program_free(p);
done:
    sg_arena_dispose(&arena);
    return rc;
}

/* Declares NAME=TYPE (one --decl argument, or one member of "decls"). */
static int declare(sg_cel_env_t *env, const char *name, const char *type, size_t tlen, sg_error_t *err)
{
    const sg_cel_type_t *t = NULL;
    if (sg_cel_type_parse(&t, env, type, tlen, err) < 0)
        return err->code;
    return sg_cel_env_declare(env, name, t, err);
}

/* Checks `p` in `env`: the type in *type_out (formatted) or the errors in err. */
static int check_program(sg_buf_t *type_out, sg_cel_env_t *env, const sg_cel_program_t *p, sg_error_t *err)
{
    sg_cel_check_result_t res;
    int rc = sg_cel_check(&res, env, p, err);
    if (rc == SG_OK)
        sg_cel_type_format(type_out, res.type);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    const char *expr = NULL;
    sg_cel_env_t *env = NULL;
    sg_error_t err = SG_ERROR_INIT;
    int rc = 2;
    if (sg_cel_env_new(&env, &err) < 0) {
        fprintf(stderr, "storygate cel check: %s\n", err.message);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--decl") == 0 && i + 1 < argc) {
            char *eq = strchr(argv[++i], '=');
            if (eq == NULL) {
                fprintf(stderr, "storygate cel check: --decl wants NAME=TYPE\n");
                goto done;
            }
            *eq = 0;
            if (declare(env, argv[i], eq + 1, strlen(eq + 1), &err) < 0) {
                fprintf(stderr, "storygate cel check: --decl %s: %s\n", argv[i], err.message);
                goto done;
            }
        } else if (expr == NULL && strncmp(argv[i], "--", 2) != 0) {
            expr = argv[i]; /* "-x" is an expression */
        } else {
            fprintf(stderr, "storygate cel check: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            goto done;
        }
    }
    if (expr == NULL) {
        usage(stderr);
        goto done;
    }
    sg_cel_program_t *p = compile_or_report(expr, NULL);
    sg_buf_t b = SG_BUF_INIT;
    rc = 1;
    if (p != NULL && check_program(&b, env, p, &err) < 0) {
        fprintf(stderr, "%s\n", err.message);
    } else if (p != NULL) {
        print_line(&b);
        rc = 0;
    }
    sg_buf_dispose(&b);
    sg_cel_program_free(p);
done:
    sg_cel_env_free(env);
    return rc;
}

static void put_error(sg_buf_t *out, const char *msg)
{
    sg_buf_puts(out, "{\"error\":");
    sg_json_write_string(out, msg, strlen(msg));
    sg_buf_puts(out, "}\n");
}

/* One request line to one response line in `out`. */
static void run_line(sg_buf_t *out, sg_arena_t *arena, const char *line, size_t len)
{
    sg_error_t err = SG_ERROR_INIT;
    sg_json_t *req = NULL;
    sg_json_parse_opts_t jo = SG_JSON_PARSE_OPTS_INIT;
    jo.max_depth = 256;
    if (sg_json_parse(&req, arena, line, len, &jo, &err) < 0)
        return put_error(out, err.message);
    const sg_json_t *expr = sg_json_get(req, "expr");
    if (expr == NULL || expr->type != SG_JSON_STRING)
        return put_error(out, "request needs \"expr\" (a string)");
    sg_cel_options_t opts = SG_CEL_OPTIONS_INIT;
    const sg_json_t *dm = sg_json_get(req, "disableMacros");
    if (dm != NULL && dm->type == SG_JSON_BOOL)
        opts.disable_macros = dm->u.boolean;
    const sg_json_t *cl = sg_json_get(req, "costLimit");
    if (cl != NULL && cl->type == SG_JSON_NUMBER && cl->u.number.value > 0)
        opts.cost_limit = (uint64_t)cl->u.number.value;
    sg_cel_var_t vars[MAX_VARS];
    size_t nvars = 0;
    const sg_json_t *b = sg_json_get(req, "bindings");
    if (b != NULL && b->type == SG_JSON_OBJECT) {
        for (size_t i = 0; i < b->u.object.len; i++) {
            if (nvars == MAX_VARS)
                return put_error(out, "too many bindings");
            if (sg_cel_value_from_proto_json(&vars[nvars].value, arena, b->u.object.members[i].value, &err) < 0) {
                char msg[SG_ERROR_MSG_MAX + 64];
                snprintf(msg, sizeof(msg), "binding '%s': %s", b->u.object.members[i].key, err.message);
                return put_error(out, msg);
            }
            vars[nvars].name = b->u.object.members[i].key;
            nvars++;
        }
    }
    const sg_json_t *ck = sg_json_get(req, "check"), *co = sg_json_get(req, "checkOnly");
    int check_only = co != NULL && co->type == SG_JSON_BOOL && co->u.boolean;
    int check = check_only || (ck != NULL && ck->type == SG_JSON_BOOL && ck->u.boolean);
    sg_cel_program_t *p = NULL;
    if (sg_cel_compile(&p, expr->u.string.ptr, expr->u.string.len, &opts, &err) < 0)
        return put_error(out, err.message);
    sg_buf_t checked = SG_BUF_INIT;
    const char *check_error = NULL;
    if (check) {
        sg_cel_env_t *env = NULL;
        const sg_json_t *decls = sg_json_get(req, "decls");
        int rc = sg_cel_env_new(&env, &err);
        for (size_t i = 0; rc == SG_OK && decls != NULL && decls->type == SG_JSON_OBJECT && i < decls->u.object.len;
             i++) {
            const sg_json_member_t *m = &decls->u.object.members[i];
            rc = m->value->type != SG_JSON_STRING
                     ? sg_error_set(&err, SG_EINVALID, "decls: '%s' wants a type name", m->key)
                     : declare(env, m->key, m->value->u.string.ptr, m->value->u.string.len, &err);
        }
        if (rc == SG_OK)
            rc = check_program(&checked, env, p, &err);
        if (rc < 0)
            check_error = sg_arena_strndup(arena, err.message, strlen(err.message));
        sg_cel_env_free(env);
    }
    int first = 1;
    if (!check_only) {
        sg_cel_value_t v;
        if (sg_cel_eval(&v, p, vars, nvars, arena, &err) < 0) {
            sg_buf_puts(out, "{\"error\":");
            sg_json_write_string(out, err.message, strlen(err.message));
        } else {
            sg_buf_puts(out, "{\"value\":");
            sg_cel_value_write_proto_json(out, &v);
        }
        first = 0;
    }
    if (check) {
        sg_buf_puts(out, first ? "{" : ",");
        if (check_error != NULL) {
            sg_buf_puts(out, "\"checkError\":");
            sg_json_write_string(out, check_error, strlen(check_error));
        } else {
            sg_buf_puts(out, "\"type\":");
            sg_json_write_string(out, checked.base != NULL ? checked.base : "", checked.len);
        }
    }
    sg_buf_puts(out, "}\n");
    sg_buf_dispose(&checked);
    sg_cel_program_free(p);
}

static int cmd_lines(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_buf_t out = SG_BUF_INIT;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        sg_buf_reset(&out);
        if (len > MAX_LINE)
            put_error(&out, "line too long");
        else
            run_line(&out, &arena, line, len);
        if (out.oom) {
            sg_buf_reset(&out);
            out.oom = 0;
            put_error(&out, "out of memory");
        }
        fwrite(out.base, 1, out.len, stdout);
        fflush(stdout);
        sg_arena_reset(&arena);
    }
    free(line);
    sg_buf_dispose(&out);
    sg_arena_dispose(&arena);
    return 0;
}

int sg_cmd_cel(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "lines") == 0)
        return cmd_lines();
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
