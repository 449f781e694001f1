/*
 * A driver plugin under test, loaded as the core loads it: dlopen() of NAME.so from the
 * first directory of STRATA_DRIVER_PATH, its entry called with a host that records what
 * the driver logs. The integration test of each driver loads its plugin here and calls it
 * through the helpers below. One plugin at a time; the helpers use the loaded one.
 *
 * Thread rule: dt_load(), dt_unload() and the statement helpers run on the test's main
 * thread; the host (what the driver calls back) may be used from any thread.
 */
#ifndef STRATA_DRIVERTEST_H
#define STRATA_DRIVERTEST_H

#include <stddef.h>

#include <strata/driver.h>

/* ---- loading ---- */

/* The host every driver under test receives: log() records and prints, set_error() formats. */
extern const strata_host dt_host;

/*
 * Loads NAME.so from the first directory of STRATA_DRIVER_PATH and returns the driver its
 * entry returns for dt_host. Call it from a CUnit test: an unset STRATA_DRIVER_PATH, a
 * missing or unloadable file, no entry symbol or a refusing entry fail that test fatally,
 * never skip it. The plugin stays loaded until dt_unload(); the driver belongs to it.
 */
const strata_driver *dt_load(const char *name);

/*
 * Closes the plugin dt_load() opened (nothing when none): the driver it returned is gone.
 * A test may keep its plugin loaded instead, as the core keeps an accepted driver.
 */
void dt_unload(void);

/*
 * A CUnit test for every driver: the loaded entry refuses a host of another ABI with one
 * ERROR log line that names the ABI, and still returns the same driver for dt_host.
 */
void dt_test_entry_refuses_other_abi(void);

/* ---- what the driver logged ---- */

/* For dt_log_count() and dt_last_log(): all levels together. */
#define DT_LOG_ANY (-1)

/* How many lines the driver logged at level (a STRATA_LOG_* or DT_LOG_ANY). */
int dt_log_count(int level);

/*
 * The last line logged at level (a STRATA_LOG_* or DT_LOG_ANY), "" before any. The text
 * is ours, overwritten by the next line at that level.
 */
const char *dt_last_log(int level);

/* ---- statements through the loaded driver ---- */

#define DT_MAX_ROWS 8
#define DT_MAX_COLS 48

/*
 * Rows collected by dt_collect(): the first DT_MAX_ROWS rows, their first DT_MAX_COLS
 * columns, each cut to 1023 bytes; a NULL is "" with null set. About 400 KiB: declare
 * one static, not on the stack.
 */
typedef struct dt_rows {
    int n;          /* rows seen, kept or not */
    int ncols;      /* columns of the last row */
    int stop_after; /* stop after this many rows; 0: read all */
    char cell[DT_MAX_ROWS][DT_MAX_COLS][1024];
    int null[DT_MAX_ROWS][DT_MAX_COLS];
} dt_rows;

/* A strata_row_fn filling the dt_rows ctx. */
int dt_collect(void *ctx, int ncols, const char *const *values);

/* exec() of the whole of sql, with *err cleared first. */
int dt_exec(strata_conn *c, const char *sql, strata_error *err);

/* query() of sql into *r (emptied first, stop_after kept), with *err cleared first. */
int dt_query(strata_conn *c, const char *sql, dt_rows *r, strata_error *err);

/* The single integer sql returns, or -1 (and a line on stderr saying why). */
long dt_scalar(strata_conn *c, const char *sql);

/*
 * The single value sql returns, written into out (size bytes, the caller's) and returned;
 * "" when there is no single non-NULL value (and a line on stderr saying why).
 */
const char *dt_text(strata_conn *c, const char *sql, char *out, size_t size);

/* A monotonic clock in milliseconds, for timing lock waits. */
long long dt_now_ms(void);

#endif
