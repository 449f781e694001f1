/*
 * Fleets in the strata program (docs/fleet.md): `strata fleet list` and the commands that
 * take --fleet NAME or --targets FILE (up, down, status, validate, verify, drift).
 */
#ifndef STRATA_CLI_FLEETCMD_H
#define STRATA_CLI_FLEETCMD_H

#include "options.h"

/* True when c runs a command over a fleet (--fleet or --targets given to one that takes it). */
int cli_fleet_wanted(const cli *c);
/* Runs c->command over the fleet and prints its report; 0 only when every target succeeded. */
int cmd_fleet_run(cli *c);
/* strata fleet list */
int cmd_fleet(cli *c);

#endif
