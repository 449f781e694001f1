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
#include "uptodate.h"

typedef struct strata_engine_state {
    strata_history *history;
    strata_source_set *files;
    strata_merged *merged;
    int locked;
    size_t uptodate; /* strata_engine_prepare_for found this many migrations, all applied
                        unchanged: nothing else was read (files, history, merged: NULL) */
} strata_engine_state;

/*
 * Takes the migration lock and makes sure the history tables exist (when take_lock:
 * commands that change the history), reads the history (empty when its tables are
 * missing; details: every row with its detail, see strata_history_load) and the files, and
 * merges them. Release with strata_engine_release, also on failure.
 */
int strata_engine_prepare(strata *s, int take_lock, int details, strata_engine_state *e,
                          strata_error *err);

/*
 * strata_engine_prepare (no details) for up and validate: first, under the lock when
 * take_lock, the check of an up-to-date history for purpose (uptodate.h). When it finds
 * every migration applied unchanged, e->uptodate is their number and nothing else is read;
 * otherwise the state is read whole as strata_engine_prepare reads it.
 */
int strata_engine_prepare_for(strata *s, int take_lock, strata_uptodate_purpose purpose,
                              strata_engine_state *e, strata_error *err);
void strata_engine_release(strata *s, strata_engine_state *e);

#endif
