/* `storygate policy check FILES...`: compiles StoryTriggerPolicy files (or directories of them) offline, as the
 * server would, for operators' CI. One line per problem and exit status 1, or "ok: N policies" and 0. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <storygate/cmd.h>
#include <storygate/policy.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: storygate policy check FILE|DIR...\n\n"
            "Compiles StoryTriggerPolicy files (%s) as `storygate serve` does with policies.dir:\n"
            "prints one line per problem (file:line:column: message) and exits 1, or prints\n"
            "\"ok: N policies\" and exits 0. A directory stands for its *.yaml and *.yml files.\n",
            SG_POLICY_API_VERSION);
}

int sg_cmd_policy(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        usage(stderr);
        return 2;
    }
    if (argc < 3) {
        fprintf(stderr, "storygate policy check: no files given\n");
        return 2;
    }
    size_t total = 0;
    int bad = 0;
    for (int i = 2; i < argc; i++) {
        struct stat st;
        sg_buf_t diag = SG_BUF_INIT;
        sg_error_t err = SG_ERROR_INIT;
        sg_policy_set_t *s = NULL;
        const char *path = argv[i];
        int rc;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rc = sg_policy_set_load_dir(&s, path, &diag, &err);
        else
            rc = sg_policy_set_load(&s, &path, 1, &diag, &err);
        if (rc < 0) {
            bad = 1;
            if (diag.len != 0)
                fputs(diag.base, stdout);
            else
                printf("%s\n", err.message);
        } else {
            total += sg_policy_set_count(s);
        }
        sg_policy_set_release(s);
        sg_buf_dispose(&diag);
    }
    /* names must be unique across everything checked together, as in one policies.dir */
    if (!bad && argc > 3) {
        sg_buf_t diag = SG_BUF_INIT;
        sg_error_t err = SG_ERROR_INIT;
        sg_policy_set_t *s = NULL;
        int files_only = 1;
        for (int i = 2; i < argc; i++) {
            struct stat st;
            if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
                files_only = 0;
        }
        if (files_only && sg_policy_set_load(&s, (const char *const *)argv + 2, (size_t)argc - 2, &diag, &err) < 0) {
            bad = 1;
            fputs(diag.len != 0 ? diag.base : err.message, stdout);
        }
        sg_policy_set_release(s);
        sg_buf_dispose(&diag);
    }
    if (bad)
        return 1;
    printf("ok: %zu policies\n", total);
    return 0;
}
