/*
 * The layout of strata's own tables, and their creation and upgrade (docs/history.md).
 *
 * The core writes every CREATE TABLE and ALTER TABLE itself, from a column list in abstract
 * types that the connection spells (strata_describe.types): a driver never knows the
 * columns, so adding one breaks no driver. The tables are:
 *   <table>         one row per applied or dirty migration
 *   <table>_events  every action with who, when, how long, outcome
 *   <table>_meta    the tables' own schema version
 *   <table>_lock    the core's migration lock, created only for drivers without one
 */
#ifndef STRATA_TABLES_H
#define STRATA_TABLES_H

#include "session.h"

/*
 * The schema version of the history tables this strata writes. 1: the first layout; 2: the
 * script column of <table>. Older layouts are upgraded in place by the first command that
 * writes; commands that only read take them as they are.
 */
#define STRATA_HISTORY_SCHEMA 2

typedef enum strata_table_id {
    STRATA_TABLE_MIGRATIONS,
    STRATA_TABLE_EVENTS,
    STRATA_TABLE_META,
    STRATA_TABLE_LOCK
} strata_table_id;

/*
 * Makes sure the history tables are there and current. With create, missing tables are
 * created (each on its own: a run stopped half-way is finished) and older layouts upgraded;
 * without it nothing is written and *exists says whether there is a history to read (a
 * database strata never touched has none). Sets s->history_schema to the layout found.
 * Errors: STRATA_VALIDATION for a meta table strata did not write, STRATA_ERROR for tables
 * of a newer strata and for any failure other than a missing table (a corrupt file, a lost
 * connection): those are never taken for "no history yet".
 */
int strata_tables_ensure(strata *s, int create, int *exists, strata_error *err);

/*
 * Creates the table id unless it is there. A concurrent creator that wins the race is no
 * error. Returns STRATA_OK or the error, prefixed with the table's name.
 */
int strata_tables_create(strata *s, strata_table_id id, strata_error *err);

/* Writes the connection's spelling of an abstract type into out, "{n}" replaced by n (a NULL
 * or empty entry of info->types takes the SQL-standard spelling). */
void strata_tables_type(const strata_describe *info, enum strata_type type, int n, char *out,
                        size_t size);

/* The CREATE TABLE statement of id as this connection spells it; the caller frees it. */
char *strata_tables_ddl(strata *s, strata_table_id id);
/* The same for the layout of an older schema version (strata-driver-check builds old tables
 * with it to test the upgrade). */
char *strata_tables_ddl_version(strata *s, strata_table_id id, int version);

#endif
