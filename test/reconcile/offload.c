/* Large-input offload (§5 with §8.2-8.4): content-addressed write-once files, references in the StoryRun, permanent
 * failures decided as Rejected. */
#include <dirent.h>
#include <sys/stat.h>

#include "helpers.h"

extern fx_t fx;

static void setup(void)
{
    sg_reconciler_opts_t o = SG_RECONCILER_OPTS_INIT;
    char storage[256];
    snprintf(storage, sizeof(storage), "/tmp/sg-reconcile-storage-%d", (int)getpid());
    o.storage_path = storage;
    fx_open(&o);
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void teardown(void)
{
    char storage[256];
    snprintf(storage, sizeof(storage), "/tmp/sg-reconcile-storage-%d", (int)getpid());
    fx_close();
    nftw(storage, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(reconcile_offload, .init = setup, .fini = teardown);

static char *payload(size_t n)
{
    char *s = sg_arena_alloc(&fx.arena, n + 32);
    strcpy(s, "{\"payload\":\"");
    memset(s + 12, 'a', n);
    strcpy(s + 12 + n, "\"}");
    return s;
}

static const char *storage_dir(void)
{
    static char storage[256];
    snprintf(storage, sizeof(storage), "/tmp/sg-reconcile-storage-%d", (int)getpid());
    return storage;
}

/* Names of the files in dir (one level), comma separated. */
static char *list_dir(const char *dir)
{
    static char out[4096];
    out[0] = '\0';
    DIR *d = opendir(dir);
    if (d == NULL)
        return out;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')))
            continue;
        if (out[0])
            strcat(out, ",");
        strcat(out, e->d_name);
    }
    closedir(d);
    return out;
}

Test(reconcile_offload, large_string_goes_to_a_content_addressed_file)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "big", .inputs = payload(2048)};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Created", "StoryRunCreated", NULL);
    const char *run = jstr(tr, "status.storyRunRef.name");
    sg_json_t *sr = get_obj(SG_KIND_STORYRUN, "default", run);
    const char *ref = jstr(sr, "spec.inputs.payload.$bubuStorageRef");
    cr_assert_not_null(ref);
    cr_assert_str_eq(jstr(sr, "spec.inputs.payload.$bubuStorageContentType"), "text/plain");
    cr_assert_eq(sg_json_path(sr, "spec.inputs.payload")->u.object.len, 2);
    char prefix[300];
    snprintf(prefix, sizeof(prefix), "inputs/%s/payload.", run);
    cr_assert(strncmp(ref, prefix, strlen(prefix)) == 0, "%s", ref);
    cr_assert_eq(strlen(ref), strlen(prefix) + 32 + 5);
    cr_assert_str_eq(ref + strlen(ref) - 5, ".json");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", storage_dir(), ref);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char *want = sg_arena_alloc(&fx.arena, 4096);
    strcpy(want, "{\"contentType\":\"raw\",\"data\":\"");
    size_t pre = strlen(want);
    memset(want + pre, 'a', 2048);
    strcpy(want + pre + 2048, "\"}");
    char *got = sg_arena_alloc(&fx.arena, 8192);
    size_t n = fread(got, 1, 8192, f);
    fclose(f);
    cr_assert_eq(n, strlen(want));
    cr_assert(memcmp(got, want, n) == 0);
    /* no temp files are left behind */
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/inputs/%s", storage_dir(), run);
    cr_assert_eq(strchr(list_dir(dir), ','), NULL, "%s", list_dir(dir));
    /* the annotation-less run still matches on a later pass (recovered), comparing dehydrated forms */
    sg_store_update_status(fx.store, NULL, SG_KIND_STORYTRIGGER, "default", name, NULL, NULL, NULL);
    reconcile("default", name);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Created", "StoryRunCreated", NULL);
    cr_assert(strncmp(jstr(get_obj(SG_KIND_STORYTRIGGER, "default", name), "status.message"), "recovered", 9) == 0);
}

Test(reconcile_offload, files_are_written_once_and_never_replaced)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default",
                .story = "s",
                .mode = "key",
                .key = "k1",
                .submission = "k1",
                .inputs = payload(3000),
                .input_hash = "auto"};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    const char *run = jstr(tr, "status.storyRunRef.name");
    const char *ref = jstr(get_obj(SG_KIND_STORYRUN, "default", run), "spec.inputs.payload.$bubuStorageRef");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", storage_dir(), ref);
    struct stat st1, st2;
    cr_assert_eq(stat(path, &st1), 0);
    /* the StoryRun disappears; the same trigger is decided again and offloads the same bytes: the file stays */
    sg_store_delete(fx.store, NULL, SG_KIND_STORYRUN, "default", run, NULL, NULL);
    sg_store_update_status(fx.store, NULL, SG_KIND_STORYTRIGGER, "default", name, NULL, NULL, NULL);
    reconcile("default", name);
    cr_assert_eq(stat(path, &st2), 0);
    cr_assert_eq(st1.st_ino, st2.st_ino);
    cr_assert_eq(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Created", "StoryRunCreated", NULL);
}

Test(reconcile_offload, existing_run_is_checked_before_offloading)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default",
                .story = "s",
                .mode = "key",
                .key = "dup",
                .submission = "dup",
                .inputs = payload(2000),
                .input_hash = "auto"};
    const char *name = put_trigger(&t);
    char run[SG_IDENTITY_NAME_MAX + 1];
    sg_identity_run_name(run, sg_span_cstr("default"), sg_span_cstr("s"), sg_span_cstr("dup"));
    const char *j = "{\"metadata\":{\"name\":\"%s\",\"annotations\":{\"" SG_RECONCILE_ANN_TOKEN "\":\"dup\"}},"
                    "\"spec\":{\"storyRef\":{\"name\":\"s\"},\"inputs\":{\"other\":1}}}";
    char body[1024];
    snprintf(body, sizeof(body), j, run);
    cr_assert_eq(sg_store_create(fx.store, NULL, SG_KIND_STORYRUN, "default", body, strlen(body), NULL, NULL), SG_OK);
    reconcile("default", name);
    assert_decision(get_obj(SG_KIND_STORYTRIGGER, "default", name), "Rejected", "StoryRunConflict", NULL);
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/inputs/%s", storage_dir(), run);
    cr_assert_str_eq(list_dir(dir), "", "a duplicate wrote offload files");
}

Test(reconcile_offload, nested_values_and_traversal_keys)
{
    put_story("default", "s", NULL);
    char *in = sg_arena_alloc(&fx.arena, 8192);
    snprintf(in, 8192, "{\"small\":1,\"nest\":{\"deep\":\"%0*d\"},\"list\":[\"%0*d\"]}", 1500, 0, 1500, 0);
    trig_t t = {.ns = "default", .story = "s", .submission = "n", .inputs = in};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Created", "StoryRunCreated", NULL);
    sg_json_t *sr = get_obj(SG_KIND_STORYRUN, "default", jstr(tr, "status.storyRunRef.name"));
    cr_assert_eq(sg_json_path(sr, "spec.inputs.small")->u.number.value, 1);
    cr_assert(strstr(jstr(sr, "spec.inputs.nest.deep.$bubuStorageRef"), "/nest.deep.") != NULL);
    const sg_json_t *list = sg_json_path(sr, "spec.inputs.list");
    cr_assert(strstr(sg_json_string(sg_json_get(list->u.array.items[0], "$bubuStorageRef"), NULL), "/list.0.") != NULL);

    snprintf(in, 8192, "{\"../evil\":\"%0*d\"}", 2000, 0);
    trig_t t2 = {.ns = "default", .story = "s", .submission = "evil", .inputs = in};
    name = put_trigger(&t2);
    reconcile("default", name);
    tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Rejected", SG_RECONCILE_REASON_INPUT_TOO_LARGE, NULL);
    cr_assert(strstr(jstr(tr, "status.message"), "path traversal detected") != NULL, "%s", jstr(tr, "status.message"));
}

Test(reconcile_offload, small_inputs_stay_inline)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "small", .inputs = payload(900)};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    sg_json_t *sr = get_obj(SG_KIND_STORYRUN, "default", jstr(tr, "status.storyRunRef.name"));
    cr_assert_eq(sg_json_path(sr, "spec.inputs.payload")->type, SG_JSON_STRING);
    cr_assert_str_eq(list_dir(storage_dir()), "");
}

/* Storage disabled: another fixture. */
static void setup_nostorage(void)
{
    fx_open(NULL);
}

TestSuite(reconcile_nostorage, .init = setup_nostorage, .fini = fx_close);

Test(reconcile_nostorage, large_inputs_without_storage_are_rejected)
{
    put_story("default", "s", NULL);
    trig_t t = {.ns = "default", .story = "s", .submission = "big", .inputs = payload(2048)};
    const char *name = put_trigger(&t);
    reconcile("default", name);
    sg_json_t *tr = get_obj(SG_KIND_STORYTRIGGER, "default", name);
    assert_decision(tr, "Rejected", SG_RECONCILE_REASON_INPUT_TOO_LARGE,
                    "failed to offload StoryTrigger inputs for StoryRun create: output size 2062 bytes exceeds inline "
                    "limit 1024 and storage is disabled; either enable storage (BUBU_STORAGE_PROVIDER=s3|file), "
                    "increase limit (BUBU_MAX_INLINE_SIZE=1024 or higher), or reduce output size");
    cr_assert_null(get_obj(SG_KIND_STORYRUN, "default", "s"));
}
