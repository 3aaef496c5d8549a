/* Subcommands of the storygate binary; each takes the arguments after its name and returns the exit status. */
#ifndef STORYGATE_CMD_H
#define STORYGATE_CMD_H

/** `storygate serve`: the HTTPS admission server (and, later, the embedded API and reconciler). */
int sg_cmd_serve(int argc, char **argv);
/** `storygate identity`: JSON lines of identity inputs on stdin, derived names and hashes on stdout. */
int sg_cmd_identity(int argc, char **argv);
/** `storygate cel eval|lines`: evaluate CEL expressions. */
int sg_cmd_cel(int argc, char **argv);
/** `storygate policy check FILES...`: compile policy files offline. */
int sg_cmd_policy(int argc, char **argv);

#endif
