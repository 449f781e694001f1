/*
 * The state behind a strata handle, shared by the engine, history and status code.
 */
#ifndef STRATA_SESSION_H
#define STRATA_SESSION_H

#include <strata/driver.h>
#include <strata/strata.h>

#include "dialects.h"
#include "source.h"
#include "util.h"

struct strata {
    char *database_url;
    char *dir;
    char *table;
    char *schema;
    char *driver_dir;
    long lock_timeout_ms;
    int allow_out_of_order;
    strata_event_fn on_event;
    char **placeholders; /* owned name, value pairs, NULL-terminated; NULL: off */
    void *event_ctx;

    strata_url *url;
    const strata_driver *drv;
    strata_conn *conn;
    char *lock_name;            /* schema.table, names the migration lock */
    strata_history_names names; /* quoted, schema-qualified; owned */
    char whoami[256];           /* user@host recorded as applied_by */
    char server[256];
};

/* The active driver's dialect names, for reading migration files (valid while s is). */
strata_dialect strata_session_dialect(const strata *s);
/* Reads the migrations of the session's directory for its dialect, and shows the notes met
 * on the way (once per call) as NOTICE events. */
int strata_session_scan(strata *s, strata_source_set **out, strata_error *err);
/* Appends value as a quoted literal of the session's dialect, or NULL when value is NULL. */
void strata_session_literal(strata *s, strata_buf *b, const char *value);
/* Appends name quoted as an identifier. */
void strata_session_ident(strata *s, strata_buf *b, const char *name);
/* Runs SQL through the driver (several statements when the driver allows). */
int strata_session_exec(strata *s, const char *sql, strata_error *err);
/* Splits sql with the dialect's lexer and runs each statement in turn. */
int strata_exec_script(strata *s, const char *sql, strata_error *err);
/* The value of placeholder name, or NULL (a strata_envsub_lookup with the session as ctx). */
const char *strata_session_placeholder(void *session, const char *name);
/* Delivers an event to the caller's callback, if any. */
void strata_session_emit(strata *s, const strata_event *ev);
/* Emits a NOTICE event with printf-style text. */
void strata_session_notice(strata *s, const char *fmt, ...) STRATA_PRINTF(2, 3);
/* Takes / releases the migration lock, emitting LOCK_WAIT when it has to wait. */
int strata_session_lock(strata *s, strata_error *err);
void strata_session_unlock(strata *s);

#endif
