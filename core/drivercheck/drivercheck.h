/*
 * strata-driver-check: the conformance kit for driver plugins (docs/writing-a-driver.md).
 * It loads a plugin as strata does and exercises it, slot by slot, against a real database:
 * first each slot on its own (checks.c), then through the core, as strata itself uses the
 * driver (engine_checks.c). Every check prints one line naming the slot it tests; any
 * failure makes the run fail.
 */
#ifndef STRATA_DRIVERCHECK_H
#define STRATA_DRIVERCHECK_H

#include <stddef.h>

#include <strata/driver.h>

#include "util.h"

typedef struct dc {
    const strata_driver *drv;
    const char *so_path;  /* the plugin file */
    char *driver_dir;     /* its folder, for sessions through the core; owned */
    const char *url_text; /* the URL given */
    strata_url *url;      /* parsed with the driver's shape; owned */
    strata_conn *conn;    /* the main connection; NULL when connecting failed */
    strata_describe info; /* what it speaks */
    char prefix[40];      /* names of everything created start with it: dc<pid>_ */
    int verbose;          /* print the error text of passing checks that expect one */
    int checks, failures, notes;
} dc;

/* One line per check: "ok", "FAIL" (counted) or "note" (for what the contract leaves open). */
void dc_ok(dc *d, const char *slot, const char *fmt, ...) STRATA_PRINTF(3, 4);
void dc_fail(dc *d, const char *slot, const char *fmt, ...) STRATA_PRINTF(3, 4);
void dc_note(dc *d, const char *slot, const char *fmt, ...) STRATA_PRINTF(3, 4);
/* ok or fail by cond, with the same text. Returns cond. */
int dc_check(dc *d, int cond, const char *slot, const char *fmt, ...) STRATA_PRINTF(4, 5);

/* The name of a strata status, "STRATA_NOT_FOUND", for messages. */
const char *dc_status_name(int status);

/* Runs SQL through the main connection; rows are ignored. */
int dc_exec(dc *d, const char *sql, strata_error *err);
/* The text of the single value sql returns into out ("" when none); returns the status. */
int dc_value(dc *d, strata_conn *conn, const char *sql, char *out, size_t size, strata_error *err);
/* A newly allocated quoted identifier or literal (the caller frees it), NULL when the
 * driver cannot quote it. */
char *dc_ident(dc *d, const char *name);
char *dc_literal(dc *d, strata_conn *conn, const char *value);
/* The connection's spelling of an abstract type, "{n}" replaced by n. */
void dc_type(const dc *d, enum strata_type type, int n, char *out, size_t size);
/* Opens another connection to the URL and describes it; NULL (after a FAIL) when it
 * cannot. */
strata_conn *dc_connect(dc *d, const char *slot);

/* The checks of each slot on its own. */
void dc_check_identity(dc *d);
void dc_check_connect(dc *d);
void dc_check_statements(dc *d);
void dc_check_transactions(dc *d);
void dc_check_quoting(dc *d);
void dc_check_dialect(dc *d);
void dc_check_lock(dc *d);
/* snapshot, scratch_create and scratch_drop (schema_checks.c). */
void dc_check_schema(dc *d);
/* The checks through the core: history tables, their upgrade, the migration lock. */
void dc_check_history(dc *d);
void dc_check_upgrade(dc *d);
void dc_check_session_lock(dc *d);
/* Drops every table a check created (names starting with d->prefix). */
void dc_cleanup(dc *d);

#endif
