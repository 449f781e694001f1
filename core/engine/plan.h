/*
 * Planning: merging the migrations on disk with the history, and choosing what up and
 * down will run. Pure functions over the two lists, no database.
 */
#ifndef STRATA_PLAN_H
#define STRATA_PLAN_H

#include <stddef.h>

#include <strata/strata.h>

#include "history.h"
#include "source.h"

/* One version, as seen on disk and in the history (either may be NULL). */
typedef struct strata_plan_entry {
    const strata_migration *file;
    const strata_history_row *row;
    strata_migration_state state;
} strata_plan_entry;

/* One repeatable migration, on disk and in the history (either may be NULL). State:
 * PENDING (never run), APPLIED, OUTDATED (file changed: runs again), MISSING. */
typedef struct strata_repeatable_entry {
    const strata_repeatable *file;
    const strata_history_row *row;
    strata_migration_state state;
} strata_repeatable_entry;

typedef struct strata_merged {
    strata_plan_entry *items; /* by version */
    size_t count;
    strata_repeatable_entry *reps; /* by name */
    size_t nreps;
} strata_merged;

/* Merges files and history; *out is freed with strata_merged_free. */
strata_merged *strata_plan_merge(const strata_source_set *files, const strata_history *history);
void strata_merged_free(strata_merged *m);

/* What to run, in order; the array is the caller's, the migrations are the source set's. */
typedef struct strata_plan {
    const strata_migration **items;
    const strata_history_row **rows; /* down: the history row of each item */
    size_t count;
} strata_plan;

void strata_plan_free(strata_plan *p);

/* What strata_plan_up lets through (allow, a bitwise OR). */
#define STRATA_PLAN_OUT_OF_ORDER 1u /* pending versions older than the newest applied */
#define STRATA_PLAN_MISSING 2u      /* applied versions whose file is gone */

/*
 * Chooses the pending migrations up will apply: all of them in version order, or those
 * up to to (NULL: no limit), at most step (0: no limit). Refuses (STRATA_DIRTY) a dirty
 * history, (STRATA_VALIDATION) an applied migration whose file changed, a pending version
 * older than the newest applied one unless allow has STRATA_PLAN_OUT_OF_ORDER, and an
 * applied migration whose file is gone unless allow has STRATA_PLAN_MISSING.
 */
int strata_plan_up(const strata_merged *m, const char *to, long step, unsigned allow,
                   strata_plan *out, strata_error *err);

/*
 * Chooses the applied migrations down will undo, newest applied first: those with a
 * version above to (when to is not NULL), everything (all), or the last step (default 1).
 * Refuses a dirty history, a migration whose file is gone or has no down script.
 */
int strata_plan_down(const strata_merged *m, const strata_history *h, const char *to, long step,
                     int all, strata_plan *out, strata_error *err);

/* The message telling how to leave a dirty state, for err->hint. */
void strata_plan_dirty_hint(const strata_history_row *row, char *out, size_t size);

#endif
