/*
 * The help texts of the strata command and of each of its commands.
 */
#ifndef STRATA_CLI_HELP_H
#define STRATA_CLI_HELP_H

#include <stdio.h>

/* Prints the overview (command == NULL) or one command's help. Returns 0, or -1 when the
 * command is unknown. */
int cli_help(FILE *out, const char *command);

#endif
