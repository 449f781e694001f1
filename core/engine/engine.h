/*
 * What up, down, status, validate and force share: the history, the files and their merged
 * view, read under the migration lock when the command changes anything.
 */
#ifndef STRATA_ENGINE_H
#define STRATA_ENGINE_H

#include "history.h"
#include "plan.h"
#include "session.h"
#include "source.h"

typedef struct strata_engine_state {
    strata_history *history;
    strata_source_set *files;
    strata_merged *merged;
    int locked;
} strata_engine_state;

/*
 * Takes the migration lock and makes sure the history tables exist (when take_lock:
 * commands that change the history), reads the history (empty when its tables are
 * missing; details: every row with its detail, see strata_history_load) and the files, and
 * merges them. Release with strata_engine_release, also on failure.
 */
int strata_engine_prepare(strata *s, int take_lock, int details, strata_engine_state *e,
                          strata_error *err);
void strata_engine_release(strata *s, strata_engine_state *e);

#endif
