/* storygate entry point: dispatches to the subcommands in src/cmd/. */
#include <stdio.h>
#include <string.h>

#include <storygate/cmd.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"serve", sg_cmd_serve, "run the HTTPS admission server"},
    {"identity", sg_cmd_identity, "derive StoryTrigger/StoryRun names and input hashes (JSON lines on stdin)"},
    {"cel", sg_cmd_cel, "evaluate CEL expressions (eval EXPR, lines)"},
    {"policy", sg_cmd_policy, "check StoryTriggerPolicy files (check FILES...)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: storygate <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'storygate <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("storygate %s\n", SG_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "storygate: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
