/*
 * The SQLite driver's schema snapshot and scratch databases (strata_driver.snapshot,
 * scratch_create and scratch_drop; the format is in docs/writing-a-driver.md, "snapshot").
 */
#ifndef STRATA_SQLITE_SNAPSHOT_H
#define STRATA_SQLITE_SNAPSHOT_H

#include <stddef.h>

#include <sqlite3.h>

#include <strata/driver.h>

/* Reports every object of db's main schema but the tables of skip_tables through fn. */
int sq_snapshot_db(sqlite3 *db, const char *const *skip_tables, strata_object_fn fn, void *ctx,
                   const strata_host *host, strata_error *err);
/* Creates an empty strata_scratch_*.db file in $TMPDIR (else /tmp); its path into name_out. */
int sq_scratch_create_file(char *name_out, size_t size, const strata_host *host, strata_error *err);
/* Removes a scratch file and its journal, WAL and shared-memory files. */
int sq_scratch_drop_file(const char *name, const strata_host *host, strata_error *err);

#endif
