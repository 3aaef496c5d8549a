/* Stories, ReferenceGrants and Namespaces loaded at start from a directory of YAML manifests (multi-document), created
 * or updated in the store, with file:line:column in every error so a bad manifest is easy to find. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/log.h>
#include <storygate/yaml.h>

#include "runtime.h"

#define MAX_FILES 10000

static int yaml_name(const char *n)
{
    size_t l = strlen(n);
    return n[0] != '.' && ((l > 5 && strcmp(n + l - 5, ".yaml") == 0) || (l > 4 && strcmp(n + l - 4, ".yml") == 0));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int at(sg_error_t *err, int code, const char *file, const sg_json_t *node, const char *msg, const char *extra)
{
    return sg_error_setloc(err, code, file, node != NULL ? (int)node->line : 0, node != NULL ? (int)node->column : 0,
                           "%s:%u:%u: %s%s", file, node != NULL ? node->line : 0, node != NULL ? node->column : 0, msg,
                           extra != NULL ? extra : "");
}

static int load_doc(sg_store_t *store, const char *file, sg_json_t *doc, sg_arena_t *arena, size_t *loaded,
                    sg_error_t *err)
{
    if (doc == NULL || doc->type == SG_JSON_NULL)
        return SG_OK;
    if (doc->type != SG_JSON_OBJECT)
        return at(err, SG_EINVALID, file, doc, "a manifest must be a mapping", NULL);
    const sg_json_t *kind_node = sg_json_get(doc, "kind");
    const char *kind_name = sg_json_string(kind_node, NULL);
    sg_store_kind_t kind;
    if (kind_name == NULL)
        return at(err, SG_EINVALID, file, doc, "kind is required", NULL);
    if (sg_store_kind_parse(&kind, kind_name) < 0 ||
        (kind != SG_KIND_STORY && kind != SG_KIND_REFERENCEGRANT && kind != SG_KIND_NAMESPACE)) {
        /* a directory of examples also holds kustomizations and triggers: only the kinds admission reads load */
        sg_log_info("manifest skipped", "file", SG_LOG_STR, file, "line", SG_LOG_INT, (int)doc->line, "kind",
                    SG_LOG_STR, kind_name, NULL);
        return SG_OK;
    }
    const sg_json_t *av = sg_json_get(doc, "apiVersion");
    if (av != NULL && !sg_json_string_eq(av, sg_store_kind_api_version(kind)))
        return at(err, SG_EINVALID, file, av, "apiVersion must be ", sg_store_kind_api_version(kind));
    const sg_json_t *md = sg_json_get(doc, "metadata");
    const char *name = sg_json_string(sg_json_get(md, "name"), NULL);
    if (name == NULL || name[0] == '\0')
        return at(err, SG_EINVALID, file, md != NULL ? md : doc, "metadata.name is required", NULL);
    const char *ns = sg_json_string(sg_json_get(md, "namespace"), NULL);
    if (kind == SG_KIND_NAMESPACE) {
        ns = NULL; /* cluster-scoped: a metadata.namespace is ignored, as kubectl apply does */
        if (sg_api__namespace_defaults(doc, arena) < 0)
            return sg_error_set(err, SG_ENOMEM, "out of memory");
    } else if (ns == NULL || ns[0] == '\0') {
        ns = "default";
    }
    sg_error_t e = SG_ERROR_INIT;
    sg_store_write_opts_t wo = SG_STORE_WRITE_OPTS_INIT;
    int rc = sg_store_create_json(store, NULL, kind, ns, doc, &wo, &e);
    if (rc == SG_ECONFLICT) {
        sg_error_clear(&e);
        rc = sg_store_update_json(store, NULL, kind, ns, doc, &wo, &e);
    }
    if (rc < 0)
        return at(err, rc, file, doc, e.message, NULL);
    (*loaded)++;
    return SG_OK;
}

int sg_api_manifests_load(sg_store_t *store, const char *dir, size_t *loaded, sg_error_t *err)
{
    size_t count = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return sg_error_set(err, SG_EIO, "%s: cannot open manifests directory", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = SG_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!yaml_name(de->d_name))
            continue;
        if (n == MAX_FILES) {
            rc = sg_error_set(err, SG_ELIMIT, "%s: more than %d manifest files", dir, MAX_FILES);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (nn == NULL) {
                rc = sg_error_set(err, SG_ENOMEM, "out of memory");
                break;
            }
            names = nn;
        }
        if ((names[n] = strdup(de->d_name)) == NULL) {
            rc = sg_error_set(err, SG_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; rc == SG_OK && i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        sg_arena_t arena;
        sg_arena_init(&arena, 16 * 1024);
        sg_json_t **docs = NULL;
        size_t ndocs = 0;
        rc = sg_yaml_load_file(&docs, &ndocs, &arena, path, NULL, err);
        for (size_t j = 0; rc == SG_OK && j < ndocs; j++)
            rc = load_doc(store, path, docs[j], &arena, &count, err);
        sg_arena_dispose(&arena);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (loaded != NULL)
        *loaded = count;
    return rc;
}
