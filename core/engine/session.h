/*
 * The state behind a strata handle, shared by the engine, history and status code.
 */
#ifndef STRATA_SESSION_H
#define STRATA_SESSION_H

#include <strata/driver.h>
#include <strata/strata.h>

#include "dialects.h"
#include "fs.h"
#include "source.h"
#include "util.h"

/* The history tables' names, quoted and schema-qualified, ready for SQL text. */
typedef struct strata_table_names {
    char *migrations; /* <table> */
    char *events;     /* <table>_events */
    char *meta;       /* <table>_meta */
    char *lock;       /* <table>_lock: the core's lock, for drivers without one */
} strata_table_names;

struct strata {
    char *database_url;
    char *password; /* given apart from the URL, or NULL; wiped when freed */
    int read_only;
    char *dir;
    char *table;
    char *schema;
    char *driver_dir;
    long lock_timeout_ms;
    long connect_timeout_ms; /* 0 or less: the driver's default */
    int allow_out_of_order;
    strata_event_fn on_event;
    char **placeholders; /* owned name, value pairs, NULL-terminated; NULL: off */
    strata_fs_set embedded; /* files compiled into the program (root: dir); files NULL: the
                               disk */
    void *event_ctx;

    strata_url *url;
    const strata_driver *drv;
    strata_conn *conn;
    strata_describe info;     /* what conn speaks (describe()); strings are the driver's */
    char *lock_name;          /* schema.table, names the migration lock */
    strata_table_names names; /* owned */
    int table_lock;           /* the lock is the core's table lock, held */
    int lock_by_table;        /* the driver's lock() refused this connection
                                 (STRATA_NOT_SUPPORTED): the table lock stands in for it */
    char lock_since[32];      /* when the table lock was taken (its row's since) */
    int history_schema;       /* layout of the history tables found (tables.h), 0: none */
    int abandoned;            /* memory ran out in a call: conn is closed (guard.h) */
    char whoami[256];         /* user@host recorded as applied_by */
    char server[256];
    char unquotable[128];     /* the start of a value the driver could not quote, "" if none:
                                 the next statement run fails with it (sticky) */
};

/* The active driver's dialect names, for reading migration files (valid while s is). */
strata_dialect strata_session_dialect(const strata *s);
/* Makes the thread read the session's migration files (embedded or on disk) until the
 * returned set is put back with strata_fs_use(). */
const strata_fs_set *strata_session_files(strata *s);
/* Reads the migrations of the session's directory for its dialect, and shows the notes met
 * on the way (once per call) as NOTICE events. */
int strata_session_scan(strata *s, strata_source_set **out, strata_error *err);
/* Appends value as a quoted literal of the session's dialect, or NULL when value is NULL. */
void strata_session_literal(strata *s, strata_buf *b, const char *value);
/* Appends name quoted as an identifier. */
void strata_session_ident(strata *s, strata_buf *b, const char *name);
/* Runs SQL through the driver (several statements when the driver allows). */
int strata_session_exec(strata *s, const char *sql, strata_error *err);
/* Runs len bytes of sql (NUL-terminated at sql[len]) through the driver. Every statement the
 * core runs goes through here, strata_session_query or strata_session_exec: they refuse SQL
 * built with a value the driver could not quote. */
int strata_session_run(strata *s, const char *sql, size_t len, strata_error *err);
/* Runs a query through the driver; STRATA_NOT_FOUND when it names a missing table. */
int strata_session_query(strata *s, const char *sql, strata_row_fn fn, void *ctx,
                         strata_error *err);
/* begin, commit and rollback through the driver (rollback ignores errors). */
int strata_session_begin(strata *s, strata_error *err);
int strata_session_commit(strata *s, strata_error *err);
void strata_session_rollback(strata *s);
/*
 * Opens a second connection through the session's driver to url (the session's URL with
 * another database, for reading a registry file beside it), must_exist set, and describes it.
 * *out is closed with the driver's close().
 */
int strata_session_connect_other(strata *s, const strata_url *url, strata_conn **out,
                                 strata_error *err);
/* Splits sql with the dialect's lexer and runs each statement in turn. */
int strata_exec_script(strata *s, const char *sql, strata_error *err);

/*
 * Runs the statements of sql (strata's own bookkeeping SQL, never a migration's) in as few
 * round trips as the driver allows: one exec() when it takes several statements at once
 * (STRATA_CAP_MULTI_STATEMENT, or STRATA_CAP_AUTOCOMMIT_BATCH outside a transaction), else
 * one per statement as strata_exec_script does.
 */
int strata_exec_together(strata *s, const char *sql, strata_error *err);
/* The value of placeholder name, or NULL (a strata_envsub_lookup with the session as ctx). */
const char *strata_session_placeholder(void *session, const char *name);
/* Delivers an event to the caller's callback, if any. */
void strata_session_emit(strata *s, const strata_event *ev);
/* Emits a NOTICE event with printf-style text. */
void strata_session_notice(strata *s, const char *fmt, ...) STRATA_PRINTF(2, 3);
/* Takes / releases the migration lock, emitting LOCK_WAIT when it has to wait: the driver's
 * lock, else the core's table lock (tablelock.h). */
int strata_session_lock(strata *s, strata_error *err);
void strata_session_unlock(strata *s);
/* Tells the lock its holder is alive (the table lock's heartbeat); call with no transaction
 * open. Does nothing for a driver's own lock. */
void strata_session_lock_beat(strata *s);

#endif
