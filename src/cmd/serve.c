/* `storygate serve`: placeholder until its module lands; replaced by the module owner. */
#include <stdio.h>

#include <storygate/cmd.h>

int sg_cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "storygate serve: not available in this build\n");
    return 2;
}
