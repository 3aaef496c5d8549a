/* `storygate identity`: placeholder until its module lands; replaced by the module owner. */
#include <stdio.h>

#include <storygate/cmd.h>

int sg_cmd_identity(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "storygate identity: not available in this build\n");
    return 2;
}
