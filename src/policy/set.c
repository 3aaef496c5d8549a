/* Policy sets: loading files or a directory into one compiled, immutable, reference-counted set. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/yaml.h>

#include "internal.h"

sg_policy_set_t *sg_policy__set_new(void)
{
    sg_policy_set_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    atomic_init(&s->refs, 1);
    sg_arena_init(&s->arena, 32 * 1024);
    return s;
}

static void set_free(sg_policy_set_t *s)
{
    for (size_t i = 0; i < s->nprograms; i++)
        sg_cel_program_free(s->programs[i]);
    free(s->programs);
    free(s->policies);
    sg_arena_dispose(&s->arena);
    free(s);
}

sg_policy_set_t *sg_policy_set_retain(sg_policy_set_t *s)
{
    if (s != NULL)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void sg_policy_set_release(sg_policy_set_t *s)
{
    if (s != NULL && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        set_free(s);
}

size_t sg_policy_set_count(const sg_policy_set_t *s)
{
    return s != NULL ? s->npolicies : 0;
}

const char *sg_policy_set_name(const sg_policy_set_t *s, size_t i)
{
    return s != NULL && i < s->npolicies ? s->policies[i].name : NULL;
}

static int add_docs(sg_policy_set_t *s, sg_json_t **docs, size_t ndocs, const char *file, sg_buf_t *diag, int *nerrors)
{
    const char *f = sg_arena_strndup(&s->arena, file, strlen(file));
    if (f == NULL)
        return SG_ENOMEM;
    for (size_t i = 0; i < ndocs; i++) {
        int rc = sg_policy__compile_doc(s, docs[i], f, diag, nerrors);
        if (rc < 0)
            return rc;
    }
    return SG_OK;
}

/* The first line of `diag` since `from` into `err`. */
static int finish(sg_policy_set_t **out, sg_policy_set_t *s, int nerrors, int rc, sg_buf_t *diag, size_t from,
                  sg_error_t *err)
{
    if (rc == SG_OK && nerrors > 0) {
        rc = SG_EINVALID;
        if (diag != NULL && diag->base != NULL && diag->len > from) {
            const char *line = diag->base + from;
            sg_error_set(err, SG_EINVALID, "%.*s", (int)strcspn(line, "\n"), line);
        } else {
            sg_error_set(err, SG_EINVALID, "%d problems in policy files", nerrors);
        }
    }
    if (rc < 0) {
        sg_policy_set_release(s);
        *out = NULL;
        return rc;
    }
    *out = s;
    return SG_OK;
}

static int load_one(sg_policy_set_t *s, const char *path, sg_buf_t *diag, int *nerrors, sg_error_t *err)
{
    sg_json_t **docs = NULL;
    size_t ndocs = 0;
    sg_error_t e = SG_ERROR_INIT;
    sg_yaml_opts_t yo = SG_YAML_OPTS_INIT;
    yo.max_bytes = 4 * 1024 * 1024;
    int rc = sg_yaml_load_file(&docs, &ndocs, &s->arena, path, &yo, &e);
    if (rc == SG_ENOMEM)
        return sg_error_set(err, rc, "out of memory");
    if (rc < 0) {
        (*nerrors)++;
        if (diag != NULL) {
            /* the yaml module already prefixes "file:line:column: " (or "path: " for I/O errors) */
            sg_buf_puts(diag, e.message);
            sg_buf_putc(diag, '\n');
        }
        return SG_OK;
    }
    return add_docs(s, docs, ndocs, path, diag, nerrors);
}

int sg_policy_set_load(sg_policy_set_t **out, const char *const *paths, size_t npaths, sg_buf_t *diag, sg_error_t *err)
{
    sg_policy_set_t *s = sg_policy__set_new();
    if (s == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    int nerrors = 0, rc = SG_OK;
    size_t from = diag != NULL ? diag->len : 0;
    for (size_t i = 0; i < npaths && rc == SG_OK; i++)
        rc = load_one(s, paths[i], diag, &nerrors, err);
    return finish(out, s, nerrors, rc, diag, from, err);
}

int sg_policy_set_load_yaml(sg_policy_set_t **out, const char *buf, size_t len, const char *filename, sg_buf_t *diag,
                            sg_error_t *err)
{
    sg_policy_set_t *s = sg_policy__set_new();
    if (s == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory");
    int nerrors = 0;
    size_t from = diag != NULL ? diag->len : 0;
    sg_json_t **docs = NULL;
    size_t ndocs = 0;
    sg_error_t e = SG_ERROR_INIT;
    int rc = sg_yaml_parse(&docs, &ndocs, &s->arena, buf, len, filename, &e);
    if (rc == SG_ENOMEM) {
        rc = sg_error_set(err, rc, "out of memory");
    } else if (rc < 0) {
        nerrors++;
        if (diag != NULL) {
            sg_buf_puts(diag, e.message);
            sg_buf_putc(diag, '\n');
        }
        rc = SG_OK;
    } else {
        rc = add_docs(s, docs, ndocs, filename, diag, &nerrors);
    }
    return finish(out, s, nerrors, rc, diag, from, err);
}

static int yaml_name(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' &&
           ((n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(d->d_name + n - 4, ".yml") == 0));
}

int sg_policy_set_load_dir(sg_policy_set_t **out, const char *dir, sg_buf_t *diag, sg_error_t *err)
{
    struct dirent **list = NULL;
    *out = NULL;
    int n = scandir(dir, &list, yaml_name, alphasort);
    if (n < 0)
        return sg_error_set(err, SG_EIO, "%s: %s", dir, strerror(errno));
    char **paths = calloc((size_t)n + 1, sizeof(*paths));
    int rc = paths == NULL ? SG_ENOMEM : SG_OK;
    for (int i = 0; i < n; i++) {
        if (rc == SG_OK && asprintf(&paths[i], "%s/%s", dir, list[i]->d_name) < 0) {
            paths[i] = NULL;
            rc = SG_ENOMEM;
        }
        free(list[i]);
    }
    free(list);
    if (rc == SG_OK)
        rc = sg_policy_set_load(out, (const char *const *)paths, (size_t)n, diag, err);
    else
        sg_error_set(err, rc, "out of memory");
    for (int i = 0; paths != NULL && i < n; i++)
        free(paths[i]);
    free(paths);
    return rc;
}
