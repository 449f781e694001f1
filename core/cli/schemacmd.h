/*
 * The schema commands of the strata program: dump, drift, diff, verify, and the schema
 * parts of validate (--dump) and up (dump_after_up) (docs/schema.md).
 */
#ifndef STRATA_CLI_SCHEMACMD_H
#define STRATA_CLI_SCHEMACMD_H

#include <strata/strata.h>

#include "options.h"

int cmd_dump(cli *c);
int cmd_drift(cli *c);
int cmd_diff(cli *c);
int cmd_verify(cli *c);
/* After a successful up: writes the schema to dump_after_up when set. Exit code. */
int cli_dump_after_up(cli *c, strata *s);
/* validate --dump FILE: EXIT_VALIDATION when FILE is not the database's schema now. */
int cli_check_dump(cli *c, strata *s);

#endif
