/* `storygate cel`: placeholder until its module lands; replaced by the module owner. */
#include <stdio.h>

#include <storygate/cmd.h>

int sg_cmd_cel(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "storygate cel: not available in this build\n");
    return 2;
}
