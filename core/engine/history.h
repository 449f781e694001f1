/*
 * The rows of the tracking tables (DESIGN section 5): <table> (one row per applied or dirty
 * migration) and <table>_events (every action with who, when, how long, outcome). Their
 * layout, creation and upgrade: tables.h. Columns: docs/history.md.
 */
#ifndef STRATA_HISTORY_H
#define STRATA_HISTORY_H

#include <stddef.h>

#include "session.h"
#include "version.h"

/* The columns of a row that only status shows and only resuming reads; a row written
 * (strata_history_sql_insert) has them all. */
typedef struct strata_history_detail {
    char *applied_at;
    char *applied_by;
    char *strata_version;
    char *statements_hash; /* NULL unless the row is dirty: only resuming reads it */
    char *script;          /* the up script that ran, relative to the migrations folder; NULL
                              in rows of schema version 1 and after force or adopt */
    long long execution_ms;
    long statements_done;
} strata_history_detail;

/* A row as read. Up, down and validate compare rows with files by these columns alone, so a
 * row read for them takes 64 bytes: its detail is read only when asked for (status) and
 * for a dirty row. */
typedef struct strata_history_row {
    char *version; /* as recorded */
    char *kind;
    char *name;
    char *checksum;
    char *down_checksum; /* may be NULL */
    char *state;         /* "applied" or "dirty" */
    long applied_rank;
    strata_history_detail *detail; /* NULL unless read with details or the row is dirty */
} strata_history_row;

/* The rows' texts are the history's (its pool), or, when they are equal, the very strings
 * of the migration files the history was loaded against (strata_history_load): those files
 * must outlive it. Never change them through a row. */
typedef struct strata_history {
    strata_history_row *rows; /* versioned migrations, sorted by version */
    size_t count;
    strata_history_row *repeatables; /* kind 'repeatable' (version "R__name"), by name */
    size_t nrepeatables;
    long max_rank;                    /* over both */
    size_t rows_cap, repeatables_cap; /* allocated lengths of rows and repeatables */
    struct strata_strpool *texts;     /* holds the rows' texts not shared with the files */
    struct detail_block *details;     /* holds the rows' details, a block of them at a time */
} strata_history;

/* The history version of a repeatable migration called name; the caller frees it. */
char *strata_history_repeatable_version(const char *name);

/* An entry of the event log. */
typedef struct strata_history_event {
    const char *version;
    const char *name;
    const char *action;  /* up, down, force, baseline, repair */
    const char *outcome; /* ok, failed, interrupted */
    const char *started_at;
    long long duration_ms;
    const char *detail; /* may be NULL */
} strata_history_event;

/* True when checksum is what strata records: 64 lowercase hex digits (a SHA-256). */
int strata_history_checksum_is_sha256(const char *checksum);

/* An empty history, freed with strata_history_free. */
strata_history *strata_history_new(void);
/* Reads every row; *out is freed with strata_history_free, before files. Texts equal to
 * those of the migration of the same version in files (NULL: none) are shared, not copied.
 * details: every row gets its detail (else only dirty rows do). Refuses (STRATA_VALIDATION,
 * naming the table and the row) a row strata cannot have written: an unknown state or
 * kind, a version that is none. */
int strata_history_load(strata *s, const strata_source_set *files, int details,
                        strata_history **out, strata_error *err);
void strata_history_free(strata_history *h);
/* The row of this version (compared as versions: "001" finds "1"), or NULL. */
const strata_history_row *strata_history_find(const strata_history *h, const char *version);
const strata_history_row *strata_history_find_repeatable(const strata_history *h, const char *name);
/* Rows sorted by applied_rank, newest first; the array (not the rows) is the caller's. */
const strata_history_row **strata_history_by_rank_desc(const strata_history *h);

/* SQL text builders: append one statement each (no trailing ';') to b. */
/* The INSERT of row with the columns of d (row->detail is not read). */
void strata_history_sql_insert(strata *s, strata_buf *b, const strata_history_row *row,
                               const strata_history_detail *d);
void strata_history_sql_delete(strata *s, strata_buf *b, const char *version);
/* Marks a dirty row applied; checksum: of the script as it ran to the end (a resumed
 * migration may have had its failing statement fixed since it started). */
void strata_history_sql_finish(strata *s, strata_buf *b, const char *version,
                               long long execution_ms, long statements_done,
                               const char *statements_hash, const char *checksum);
void strata_history_sql_checkpoint(strata *s, strata_buf *b, const char *version,
                                   long statements_done, const char *statements_hash);
void strata_history_sql_event(strata *s, strata_buf *b, const strata_history_event *ev);

/* Records an event in its own statement (outside any migration transaction). */
int strata_history_log_event(strata *s, const strata_history_event *ev, strata_error *err);

#endif
