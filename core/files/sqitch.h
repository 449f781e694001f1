/*
 * sqitch projects read in place (docs/formats.md, "sqitch"): sqitch.plan lists the changes
 * in order, with dependencies and tags; each change has deploy/<name>.sql,
 * revert/<name>.sql and verify/<name>.sql. Changes become migrations numbered in plan order
 * (1, 2, 3 ...), named after the change; a reworked change's earlier instance reads its
 * scripts from <name>@<tag>.sql.
 */
#ifndef STRATA_SQITCH_H
#define STRATA_SQITCH_H

#include <strata/types.h>

#include "dialects.h"
#include "source.h"

/* The plan file's name inside a sqitch project. */
#define STRATA_SQITCH_PLAN "sqitch.plan"

/* True when dir holds a sqitch.plan. */
int strata_sqitch_is_project(const char *dir);

/*
 * Reads the sqitch project in dir into the empty set (set->dir already set). Checks the plan
 * (a %project pragma, change lines, every requirement deployed before the change that needs
 * it, no conflict with a change deployed before it, unique tags) and reads every script once.
 * Errors name sqitch.plan:line or the script and say what to do.
 */
int strata_sqitch_scan(const char *dir, const strata_dialect *dialect, strata_source_set *set,
                       strata_error *err);

/*
 * The project name of the plan in dir (%project), newly allocated, or NULL when there is
 * none or it cannot be read.
 */
char *strata_sqitch_project(const char *dir);

#endif
