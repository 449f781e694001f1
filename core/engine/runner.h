/*
 * Running one migration script: choosing between a transaction, a batched transaction and
 * the dirty protocol, recording the result in the history, reporting progress as events.
 */
#ifndef STRATA_RUNNER_H
#define STRATA_RUNNER_H

#include <strata/strata.h>

#include "history.h"
#include "source.h"

/* Flags of strata_run_migration. */
#define STRATA_RUN_REPEATABLE 0x01 /* record the row with kind 'repeatable' */
#define STRATA_RUN_REPLACE 0x02    /* a row for m->version exists: replace it */

/*
 * Runs m's up ('u') or down ('d') script and records it (rank: the applied_rank an up
 * gets). Fills item's duration, statement count and transaction flag. On failure err
 * reads "file:line:col: message" and, under the dirty protocol, err->hint says how to
 * recover.
 */
int strata_run_migration(strata *s, const strata_migration *m, char direction, long rank,
                         unsigned flags, strata_run_item *item, strata_error *err);

/*
 * up --resume: finishes m, left dirty by a failed run outside a transaction, from the
 * statement after the row's statements_done, after checking that the statements that
 * already ran still hash to the row's statements_hash (STRATA_VALIDATION, naming their
 * lines, when they were edited).
 */
int strata_resume_migration(strata *s, const strata_migration *m, const strata_history_row *row,
                            strata_run_item *item, strata_error *err);

/* --dry-run: hands every statement of m's script to the caller as an SQL event. */
int strata_print_script(strata *s, const strata_migration *m, char direction, strata_error *err);

#endif
