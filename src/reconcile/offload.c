/* Large-input offload (spec §5) with the fixes of §8.2-8.4: the dehydration rules are the operator's, but every
 * offloaded value goes to a content-addressed file (its name carries the SHA-256 of its bytes), written once:
 * temp file, fsync, rename without replace, fsync of the directory. A file that exists already has exactly these
 * bytes, so a duplicate trigger never rewrites data a running StoryRun may be reading, and a crash never leaves a
 * torn file behind a created StoryRun. Errors say whether retrying can help. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "internal.h"

#define MAX_DEPTH 10
#define MAX_BULK (256 * 1024)
#define WRAP "failed to offload StoryTrigger inputs for StoryRun create: "

static const char *const REF_KEYS[] = {"$bubuStorageRef",    "$bubuStoragePath",          "$bubuStorageContentType",
                                       "$bubuStorageSchema", "$bubuStorageSchemaVersion", NULL};

typedef struct {
    sg_arena_t *a;
    const sg_offload_cfg_t *cfg;
    const char *run;
    int dry;
    int permanent;
    sg_error_t *err;
    sg_buf_t tmp;
} ctx_t;

/* len(json.Marshal(v)); (size_t)-1 when out of memory. */
static size_t json_len(ctx_t *c, const sg_json_t *v)
{
    sg_buf_reset(&c->tmp);
    if (sg_json_encode_go(&c->tmp, v) != SG_OK)
        return (size_t)-1;
    return c->tmp.len;
}

static int is_ref(const sg_json_t *v)
{
    if (v == NULL || v->type != SG_JSON_OBJECT || v->u.object.len == 0)
        return 0;
    for (size_t i = 0; i < v->u.object.len; i++) {
        int known = 0;
        for (int k = 0; REF_KEYS[k] != NULL && !known; k++)
            known = strlen(REF_KEYS[k]) == v->u.object.members[i].key_len &&
                    memcmp(REF_KEYS[k], v->u.object.members[i].key, v->u.object.members[i].key_len) == 0;
        if (!known)
            return 0;
    }
    const sg_json_t *ref = sg_json_get(v, "$bubuStorageRef");
    return ref != NULL && ref->type == SG_JSON_STRING;
}

static int contains_ref(const sg_json_t *v, int depth)
{
    if (is_ref(v))
        return 1;
    if (depth >= MAX_DEPTH || v == NULL)
        return 0;
    if (v->type == SG_JSON_OBJECT) {
        for (size_t i = 0; i < v->u.object.len; i++)
            if (contains_ref(v->u.object.members[i].value, depth + 1))
                return 1;
    } else if (v->type == SG_JSON_ARRAY) {
        for (size_t i = 0; i < v->u.array.len; i++)
            if (contains_ref(v->u.array.items[i], depth + 1))
                return 1;
    }
    return 0;
}

static int fail(ctx_t *c, int permanent, int code, const char *fmt, const char *a1, const char *a2)
{
    c->permanent = permanent;
    return sg_error_set(c->err, code, fmt, a1, a2);
}

static void fsync_path(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int permanent_errno(int e)
{
    return e == ENAMETOOLONG || e == ENOTDIR || e == EINVAL || e == EISDIR || e == ELOOP;
}

/* mkdir -p of the parents of `path` (absolute), 0750, making each new entry durable. */
static int make_parents(ctx_t *c, char *path, const char *key)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0750) == 0) {
            char *slash = strrchr(path, '/');
            *slash = '\0';
            fsync_path(slash == path ? "/" : path);
            *slash = '/';
        } else if (errno != EEXIST) {
            int e = errno;
            *p = '/';
            return fail(c, permanent_errno(e), SG_EIO, WRAP "failed to write offloaded value for key '%s': %s", key,
                        strerror(e));
        }
        *p = '/';
    }
    return SG_OK;
}

static int write_once(ctx_t *c, const char *key, const char *data, size_t len)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->cfg->base, key) >= sizeof(path))
        return fail(c, 1, SG_EINVALID, WRAP "failed to write offloaded value for key '%s': %s", key,
                    strerror(ENAMETOOLONG));
    int rc = make_parents(c, path, key);
    if (rc != SG_OK)
        return rc;
    struct stat st;
    if (stat(path, &st) == 0)
        return SG_OK; /* content-addressed: the same name holds the same bytes */
    char *slash = strrchr(path, '/');
    unsigned char rnd[8];
    RAND_bytes(rnd, sizeof(rnd));
    snprintf(tmp, sizeof(tmp), "%.*s/.sg-tmp-%02x%02x%02x%02x%02x%02x%02x%02x", (int)(slash - path), path, rnd[0],
             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        goto io_error;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            unlink(tmp);
            errno = e;
            goto io_error;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        goto io_error;
    }
    close(fd);
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
        int e = errno;
        if (e == EINVAL || e == ENOSYS) { /* no RENAME_NOREPLACE here: link() also refuses to replace */
            if (link(tmp, path) != 0 && errno != EEXIST) {
                e = errno;
                unlink(tmp);
                errno = e;
                goto io_error;
            }
        } else if (e != EEXIST) {
            unlink(tmp);
            errno = e;
            goto io_error;
        }
        unlink(tmp);
    }
    *slash = '\0';
    fsync_path(path);
    *slash = '/';
    return SG_OK;
io_error:;
    int e = errno;
    return fail(c, permanent_errno(e), SG_EIO, WRAP "failed to write offloaded value for key '%s': %s", key,
                strerror(e));
}

/* Checks every '/'-separated segment of the object key: no "..", ".", empty or over-long segment, no NUL. */
static int check_key(ctx_t *c, const char *key, size_t len)
{
    if (memchr(key, '\0', len) != NULL || key[0] == '/')
        return fail(c, 1, SG_EINVALID,
                    WRAP "invalid storage path for offload: invalid storage reference: path traversal detected "
                         "(got '%s')%s",
                    key, "");
    for (const char *s = key, *end = key + len; s <= end;) {
        const char *e = memchr(s, '/', (size_t)(end - s));
        if (e == NULL)
            e = end;
        size_t n = (size_t)(e - s);
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return fail(c, 1, SG_EINVALID,
                        WRAP "invalid storage path for offload: invalid storage reference: path traversal detected "
                             "(got '%s')%s",
                        key, "");
        if (n == 0 || (n == 1 && s[0] == '.'))
            return fail(c, 1, SG_EINVALID, WRAP "invalid storage path for offload: empty or '.' segment in '%s'%s", key,
                        "");
        if (n > NAME_MAX)
            return fail(c, 1, SG_EINVALID, WRAP "invalid storage path for offload: segment too long in '%s'%s", key,
                        "");
        s = e + 1;
    }
    return SG_OK;
}

/* Stores `v` (a string stored as raw text when `raw`) at `path` and makes the reference that replaces it. */
static int offload(ctx_t *c, const sg_json_t *v, int raw, const char *path, const sg_json_t **out)
{
    sg_arena_t *a = c->a;
    sg_json_t *env = sg_json_new_object(a);
    if (env == NULL ||
        sg_json_object_set(a, env, "contentType", sg_json_new_string(a, raw ? "raw" : "json", raw ? 3 : 4)) ||
        sg_json_object_set(a, env, "data", (sg_json_t *)v))
        return sg_error_set(c->err, SG_ENOMEM, "out of memory");
    sg_buf_t bytes = SG_BUF_INIT;
    if (sg_json_encode_go(&bytes, env) != SG_OK) {
        sg_buf_dispose(&bytes);
        return sg_error_set(c->err, SG_ENOMEM, "out of memory");
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(bytes.base, bytes.len, md, &mdlen, EVP_sha256(), NULL);
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    const char *key = sg_arena_printf(a, "%s/%s/%s.%s.json", c->cfg->prefix, c->run, *path ? path : "output", hex);
    int rc = key == NULL ? sg_error_set(c->err, SG_ENOMEM, "out of memory") : check_key(c, key, strlen(key));
    if (rc == SG_OK && !c->dry)
        rc = write_once(c, key, bytes.base, bytes.len);
    sg_buf_dispose(&bytes);
    if (rc != SG_OK)
        return rc;
    sg_json_t *ref = sg_json_new_object(a);
    if (ref == NULL ||
        sg_json_object_set(a, ref, "$bubuStorageContentType",
                           sg_json_new_string(a, raw ? "text/plain" : "application/json", raw ? 10 : 16)) ||
        sg_json_object_set(a, ref, "$bubuStorageRef", sg_json_new_string(a, key, strlen(key))))
        return sg_error_set(c->err, SG_ENOMEM, "out of memory");
    *out = ref;
    return SG_OK;
}

static const char *child_path(ctx_t *c, const char *path, const char *k, size_t klen)
{
    if (memchr(k, '\0', klen) != NULL)
        return NULL;
    return *path ? sg_arena_printf(c->a, "%s.%.*s", path, (int)klen, k) : sg_arena_strndup(c->a, k, klen);
}

static int dehydrate(ctx_t *c, const sg_json_t *v, const char *path, int depth, const sg_json_t **out)
{
    *out = v;
    size_t max = c->cfg->max_inline;
    if (depth > MAX_DEPTH)
        return offload(c, v, 0, path, out);
    if (v->type == SG_JSON_OBJECT || v->type == SG_JSON_ARRAY) {
        int obj = v->type == SG_JSON_OBJECT;
        size_t n = obj ? v->u.object.len : v->u.array.len;
        sg_json_t *copy = obj ? sg_json_new_object(c->a) : sg_json_new_array(c->a);
        void *items = n ? sg_arena_alloc(c->a, n * (obj ? sizeof(sg_json_member_t) : sizeof(sg_json_t *))) : NULL;
        if (copy == NULL || (n && items == NULL))
            return sg_error_set(c->err, SG_ENOMEM, "out of memory");
        int any_ref = 0;
        for (size_t i = 0; i < n; i++) {
            const sg_json_t *child = obj ? v->u.object.members[i].value : v->u.array.items[i];
            const char *p;
            if (obj) {
                p = child_path(c, path, v->u.object.members[i].key, v->u.object.members[i].key_len);
                if (p == NULL)
                    return fail(c, 1, SG_EINVALID, WRAP "invalid storage path for offload: NUL in a key under '%s'%s",
                                path, "");
            } else {
                p = *path ? sg_arena_printf(c->a, "%s.%zu", path, i) : sg_arena_printf(c->a, "%zu", i);
            }
            const sg_json_t *d;
            int rc =
                p == NULL ? sg_error_set(c->err, SG_ENOMEM, "out of memory") : dehydrate(c, child, p, depth + 1, &d);
            if (rc != SG_OK)
                return rc;
            if (obj) {
                ((sg_json_member_t *)items)[i] = v->u.object.members[i];
                ((sg_json_member_t *)items)[i].value = (sg_json_t *)d;
            } else {
                ((sg_json_t **)items)[i] = (sg_json_t *)d;
            }
            any_ref = any_ref || contains_ref(d, 0);
        }
        if (obj) {
            copy->u.object.members = items;
            copy->u.object.len = n;
        } else {
            copy->u.array.items = items;
            copy->u.array.len = n;
        }
        if (!any_ref) {
            size_t l = json_len(c, v);
            if (l == (size_t)-1)
                return sg_error_set(c->err, SG_ENOMEM, "out of memory");
            return l > max ? offload(c, v, 0, path, out) : SG_OK;
        }
        size_t l = json_len(c, copy);
        if (l == (size_t)-1)
            return sg_error_set(c->err, SG_ENOMEM, "out of memory");
        if (l > MAX_BULK)
            return offload(c, v, 0, path, out);
        *out = copy;
        return SG_OK;
    }
    if (v->type == SG_JSON_STRING)
        return v->u.string.len <= max ? SG_OK : offload(c, v, 1, path, out);
    size_t l = json_len(c, v);
    return l <= max ? SG_OK : offload(c, v, 0, path, out);
}

int sg_reconcile__offload(const sg_json_t **out, sg_arena_t *arena, const sg_json_t *inputs, const char *run_name,
                          const sg_offload_cfg_t *cfg, int dry_run, int *permanent, sg_error_t *err)
{
    ctx_t c = {arena, cfg, run_name, dry_run, 1, err, SG_BUF_INIT};
    *out = inputs;
    *permanent = 1;
    int rc = SG_OK;
    if (inputs == NULL || inputs->type != SG_JSON_OBJECT) {
        rc = sg_error_set(err, SG_EINVALID, "StoryTrigger inputs must be a JSON object before creating a StoryRun");
        goto done;
    }
    if (cfg->base == NULL) {
        size_t l = json_len(&c, inputs);
        if (l != (size_t)-1 && l > cfg->max_inline)
            rc = sg_error_set(err, SG_ELIMIT,
                              WRAP "output size %zu bytes exceeds inline limit %zu and storage is disabled; either "
                                   "enable storage (BUBU_STORAGE_PROVIDER=s3|file), increase limit "
                                   "(BUBU_MAX_INLINE_SIZE=%zu or higher), or reduce output size",
                              l, cfg->max_inline, cfg->max_inline);
        goto done;
    }
    const sg_json_t *res;
    if ((rc = dehydrate(&c, inputs, "", 0, &res)) != SG_OK)
        goto done;
    size_t l = json_len(&c, res);
    if (l == (size_t)-1) {
        rc = sg_error_set(err, SG_ENOMEM, "out of memory");
        goto done;
    }
    if (l > cfg->max_inline && (rc = offload(&c, res, 0, "input", &res)) != SG_OK)
        goto done;
    *out = res;
done:
    if (rc != SG_OK)
        *permanent = rc == SG_ENOMEM ? 0 : c.permanent;
    sg_buf_dispose(&c.tmp);
    return rc;
}
