/*
 * A driver plugin under test, loaded as the core loads it: dlopen() of NAME.so from the
 * first directory of STRATA_DRIVER_PATH, its entry called with a host that records what
 * the driver logs. The integration test of each driver loads its plugin here and calls it
 * through the helpers below. One plugin at a time; the helpers use the loaded one.
 *
 * Connections are opened as the core opens them (ABI 2): connect(), then describe() right
 * after; the description is kept for the connection (dt_connect(), dt_described()).
 *
 * Thread rule: dt_load(), dt_unload() and the statement helpers run on the test's main
 * thread; the host (what the driver calls back) may be used from any thread.
 */
#ifndef STRATA_DRIVERTEST_H
#define STRATA_DRIVERTEST_H

#include <stddef.h>

#include <strata/driver.h>

/* ---- loading ---- */

/*
 * The host every driver under test receives, with every member of the version-2 layout:
 * log() records and prints; set_error() and db_error() fill an error as driver.h says (as far
 * as err->size covers, keeping size); whoami() says "strata-test@drivertest"; run_tool()
 * refuses (STRATA_ERROR: the driver tests run no tools); find_program() finds nothing.
 */
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

/* ---- errors ---- */

/* Empties *err and sets its size, as STRATA_ERROR_INIT does: what a caller of a driver does
 * before each call. */
void dt_error_init(strata_error *err);

/* ---- connections ---- */

/*
 * Connects to url through the loaded driver (opts NULL: a zeroed strata_connect_options with
 * its size set) and, as the core does, calls describe() right after, on a zero-filled
 * strata_describe with its size set. Returns connect()'s status when it fails (*out NULL),
 * describe()'s when that fails (the connection closed, *out NULL), else STRATA_OK. *err is
 * initialised first. The description is kept for the connection until dt_close().
 */
int dt_connect(const strata_url *url, const strata_connect_options *opts, strata_conn **out,
               strata_error *err);

/*
 * As dt_connect(), with the SQL text setup (NULL: none) run through exec() between connect()
 * and describe(), as a driver's URL parameter for session settings would: for a session whose
 * settings change what describe() must say. A failing setup closes the connection.
 */
int dt_connect_setup(const strata_url *url, const strata_connect_options *opts, const char *setup,
                     strata_conn **out, strata_error *err);

/*
 * What describe() said of c, a connection from dt_connect() not yet given to dt_close();
 * NULL (and a failed assertion) for any other. The strings are the driver's, valid until
 * the connection is closed.
 */
const strata_describe *dt_described(const strata_conn *c);

/* Closes c through the driver (NULL is a no-op, as for close()) and forgets its description. */
void dt_close(strata_conn *c);

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

/* ---- checks every driver passes on its real database ---- */

/*
 * The types c's describe() gave make tables that behave as driver.h documents them, created
 * as the core creates its history tables (table_options appended): table_s holds a STRING(64)
 * primary key (a second equal key refused), TEXT of 5000 characters, the INTEGER 2147483647,
 * the BIGINT 9007199254740993 and the TIMESTAMP '2024-02-29 23:59:58', each read back exactly;
 * in table_a a SERIAL column numbers two rows itself (1, 2). Both tables are left behind.
 */
void dt_check_types(strata_conn *c, const char *table_s, const char *table_a);

/*
 * Round-trips each of texts (n of them) through c's quoting: for text i, a table named
 * <prefix><i> gets one column named quote_ident(text) of the TEXT type, an INSERT of
 * quote_literal(text) and a SELECT of that column, which must give the text back byte for
 * byte. When column_sql is not NULL it is a printf format taking the table's name (%s), a
 * query of the database's catalogue giving the table's column names: the one column must be
 * named the text. With idents 0 the column is named "v" and only literals are round-tripped.
 */
void dt_check_round_trip(strata_conn *c, const char *prefix, const char *const *texts, size_t n,
                         int idents, const char *column_sql);

#endif
