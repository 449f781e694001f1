/*
 * The commands of the strata command; each returns an exit code.
 */
#ifndef STRATA_CLI_COMMANDS_H
#define STRATA_CLI_COMMANDS_H

#include "options.h"

/* Runs c->command. Returns an exit code (EXIT_USAGE for an unknown command). */
int cli_run(cli *c);

#endif
