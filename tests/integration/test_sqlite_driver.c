/*
 * Integration tests of the SQLite driver, loaded as the core loads it: dlopen() of
 * sqlite.so from the first directory of STRATA_DRIVER_PATH, and connected as the core
 * connects (connect(), then describe()). A missing or unloadable driver is a failure, not a
 * skip.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <strata/driver.h>

#include "drivertest.h"

/* SQLite result codes the tests expect (from sqlite3.h; the test does not link SQLite). */
#define T_SQLITE_ERROR 1
#define T_SQLITE_BUSY 5
#define T_SQLITE_READONLY 8
#define T_SQLITE_CONSTRAINT_PRIMARYKEY 1555

static const strata_driver *drv; /* loaded by test_load, unloaded by t_suite_clean */
static char t_dir[64];

/* ---- helpers ---- */

/* Writes t_dir/name into buf. */
static const char *
t_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", t_dir, name);
    return buf;
}

/* Connects to database (a path or ":memory:") with params and must_exist, then describes. */
static int
t_connect_full(const char *database, const strata_url_param *params, size_t nparams, int must_exist,
               strata_conn **out, strata_error *err)
{
    strata_url url = {
        .scheme = "sqlite",
        .database = database,
        .nparams = nparams,
        .params = params,
        .redacted = "sqlite:(test)",
        .raw = "sqlite:(test)",
    };
    strata_connect_options opts = {.size = sizeof(opts), .must_exist = must_exist};

    return dt_connect(&url, &opts, out, err);
}

static int
t_connect_params(const char *database, const strata_url_param *params, size_t nparams,
                 strata_conn **out, strata_error *err)
{
    return t_connect_full(database, params, nparams, 0, out, err);
}

static int
t_connect(const char *database, strata_conn **out, strata_error *err)
{
    return t_connect_params(database, NULL, 0, out, err);
}

/* How many entries t_dir holds. */
static int
t_dir_entries(void)
{
    struct dirent *e;
    DIR *d = opendir(t_dir);
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static int
t_file_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* ---- suite ---- */

static int
t_suite_init(void)
{
    snprintf(t_dir, sizeof(t_dir), "/tmp/strata-sqlite-XXXXXX");
    return mkdtemp(t_dir) == NULL ? -1 : 0;
}

static int
t_suite_clean(void)
{
    char path[512];
    struct dirent *e;
    DIR *d = opendir(t_dir);

    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlink(t_path(path, sizeof(path), e->d_name));
        }
        closedir(d);
    }
    rmdir(t_dir);
    dt_unload();
    return 0;
}

/* ---- tests ---- */

static void
test_load(void)
{
    drv = dt_load("sqlite");
}

/* What the driver declares before any connection: ABI 2's identity members. */
static void
test_identity(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL(drv->abi_version, STRATA_DRIVER_ABI);
    CU_ASSERT_EQUAL(drv->size, sizeof(strata_driver));
    CU_ASSERT_STRING_EQUAL(drv->name, "sqlite");
    CU_ASSERT_STRING_EQUAL(drv->dialect, "sqlite");
    CU_ASSERT_PTR_NOT_NULL(drv->version);
    CU_ASSERT_EQUAL(drv->url_shape, STRATA_URL_FILE);
    CU_ASSERT_STRING_EQUAL(drv->schemes[0], "sqlite");
    CU_ASSERT_STRING_EQUAL(drv->schemes[1], "sqlite3");
    CU_ASSERT_PTR_NULL(drv->schemes[2]);
    CU_ASSERT_STRING_EQUAL(drv->dialect_aliases[0], "sqlite3");
    CU_ASSERT_PTR_NULL(drv->dialect_aliases[1]);
    CU_ASSERT_EQUAL(strncmp(drv->client_version, "3.", 2), 0);
    CU_ASSERT_EQUAL(drv->caps,
                    STRATA_CAP_TRANSACTIONAL_DDL | STRATA_CAP_FILE_LOCK | STRATA_CAP_SCRATCH_DB);
    CU_ASSERT_PTR_NULL(drv->password_env); /* a file takes no password */
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, lock));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, unlock));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, backup));
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(drv, session_reset_sql));
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(drv, copy_in));
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(drv, utc_timestamps));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, snapshot));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, scratch_create));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, scratch_drop));
}

/*
 * describe() after connect says what the connection speaks, as driver.h documents it for
 * SQLite: its dialect, capabilities, lexer rules ([brackets] and `backticks`), the statements
 * that cannot run in a transaction, sqlite3_complete() as the statement end, no schema to
 * name ("main" needs none), and column types by affinity.
 */
static void
test_describe(void)
{
    char path[512];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    const strata_describe *d;
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(t_path(path, sizeof(path), "describe.db"), &c, &err),
                          STRATA_OK);
    d = dt_described(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(d->size, sizeof(strata_describe));
    CU_ASSERT_STRING_EQUAL(d->dialect, "sqlite");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->dialect_aliases);
    CU_ASSERT_STRING_EQUAL(d->dialect_aliases[0], "sqlite3");
    CU_ASSERT_PTR_NULL(d->dialect_aliases[1]);
    CU_ASSERT_EQUAL(d->caps,
                    STRATA_CAP_TRANSACTIONAL_DDL | STRATA_CAP_FILE_LOCK | STRATA_CAP_SCRATCH_DB);
    CU_ASSERT_EQUAL(d->lexer_rules, STRATA_LEX_BRACKETS | STRATA_LEX_BACKTICKS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->no_transaction_patterns);
    CU_ASSERT_STRING_EQUAL(d->no_transaction_patterns[0], "VACUUM");
    CU_ASSERT_STRING_EQUAL(d->no_transaction_patterns[1], "PRAGMA journal_mode");
    CU_ASSERT_STRING_EQUAL(d->no_transaction_patterns[2], "PRAGMA foreign_keys");
    CU_ASSERT_PTR_NULL(d->no_transaction_patterns[3]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->statement_complete);
    CU_ASSERT_EQUAL(d->statement_complete("CREATE TABLE t (end int);"), 1);
    CU_ASSERT_EQUAL(d->statement_complete("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1;"), 0);
    CU_ASSERT_EQUAL(
        d->statement_complete("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;"), 1);
    CU_ASSERT_EQUAL(d->statement_complete("SELECT ';"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->home_schema);
    CU_ASSERT_STRING_EQUAL(d->home_schema, "");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_STRING], "TEXT");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_TEXT], "TEXT");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_INTEGER], "INTEGER");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_BIGINT], "INTEGER");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_TIMESTAMP], "TEXT");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_SERIAL], "INTEGER PRIMARY KEY AUTOINCREMENT");
    CU_ASSERT_PTR_NULL(d->table_options);
    /* the same for :memory: */
    dt_close(c);
    CU_ASSERT_EQUAL_FATAL(t_connect(":memory:", &c, &err), STRATA_OK);
    d = dt_described(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_STRING_EQUAL(d->dialect, "sqlite");
    CU_ASSERT_STRING_EQUAL(d->home_schema, "");
    for (i = 0; i < STRATA_TYPE_COUNT; i++)
        CU_ASSERT_PTR_NOT_NULL(d->types[i]);
    dt_close(c);
}

/* The types describe() gave make the history tables' columns behave as documented. */
static void
test_types(void)
{
    char path[512];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(t_path(path, sizeof(path), "types.db"), &c, &err), STRATA_OK);
    dt_check_types(c, "typed", "numbered");
    /* SQLite's AUTOINCREMENT never reuses a number, even after the last row goes */
    CU_ASSERT_EQUAL(dt_exec(c, "DELETE FROM numbered WHERE id = 2", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO numbered (v) VALUES ('third')", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT max(id) FROM numbered"), 3);
    dt_close(c);
}

/* quote_ident and quote_literal, through a connection: SQLite's own %w and %Q. */
static void
test_quote(void)
{
    char buf[32];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(":memory:", &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a\"b", buf, sizeof(buf)), 6);
    CU_ASSERT_STRING_EQUAL(buf, "\"a\"\"b\"");
    CU_ASSERT_EQUAL(drv->quote_literal(c, "it's", buf, sizeof(buf)), 7);
    CU_ASSERT_STRING_EQUAL(buf, "'it''s'");
    CU_ASSERT_EQUAL(drv->quote_literal(c, "", buf, sizeof(buf)), 2);
    CU_ASSERT_STRING_EQUAL(buf, "''");
    CU_ASSERT_EQUAL(drv->quote_ident(c, "x'y", buf, sizeof(buf)), 5);
    CU_ASSERT_STRING_EQUAL(buf, "\"x'y\"");
    /* a backslash is no escape in SQLite */
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\'b", buf, sizeof(buf)), 7);
    CU_ASSERT_STRING_EQUAL(buf, "'a\\''b'");

    /* size 0 writes nothing; small sizes truncate and stay NUL-terminated */
    memset(buf, '#', sizeof(buf));
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a\"b", buf, 0), 6);
    CU_ASSERT_EQUAL(buf[0], '#');
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a\"b", NULL, 0), 6);
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a\"b", buf, 1), 6);
    CU_ASSERT_STRING_EQUAL(buf, "");
    memset(buf, '#', sizeof(buf));
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a\"b", buf, 4), 6);
    CU_ASSERT_STRING_EQUAL(buf, "\"a\"");
    CU_ASSERT_EQUAL(buf[4], '#');
    CU_ASSERT_EQUAL(drv->quote_literal(c, "it's", buf, 7), 7);
    CU_ASSERT_STRING_EQUAL(buf, "'it''s");
    CU_ASSERT_EQUAL(drv->quote_literal(c, "it's", buf, 8), 7);
    CU_ASSERT_STRING_EQUAL(buf, "'it''s'");
    dt_close(c);
}

/* Text hostile to quoting, for the round trips; the last one, "", is no column name. */
static const char *const t_hostile[] = {
    "plain",
    "it's",
    "''",
    "\"double\" quotes",
    "back\\slash",
    "ends with \\",
    "\\'",
    "\\\\'; DROP TABLE x; --",
    "two\nlines\r\n",
    "tab\there",
    "caf\xc3\xa9 \xc3\xbcn\xc3\xaf"
    "c\xc3\xb6"
    "d\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
    "emoji \xf0\x9f\x98\x80\xf0\x9f\x90\x98",
    "[brackets] and `ticks`",
    "$1 %s %d ?",
    "",
};
#define T_HOSTILE (sizeof(t_hostile) / sizeof(t_hostile[0]))

/* Hostile text goes through quote_literal and quote_ident, an INSERT and a SELECT unchanged. */
static void
test_quote_round_trip(void)
{
    char path[512];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(t_path(path, sizeof(path), "quote.db"), &c, &err), STRATA_OK);
    dt_check_round_trip(c, "rt_", t_hostile, T_HOSTILE - 1, 1,
                        "SELECT name FROM pragma_table_info('%s')");
    dt_check_round_trip(c, "lit_", t_hostile, T_HOSTILE, 0, NULL);
    /* SQLite keeps a text's bytes as given: even invalid UTF-8 quotes and comes back whole */
    dt_check_round_trip(c, "bytes_", (const char *const[]){"bad \xff\xfe here"}, 1, 1,
                        "SELECT name FROM pragma_table_info('%s')");
    dt_close(c);
}

static void
test_exec_and_query(void)
{
    char path[512];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    static dt_rows r;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(t_path(path, sizeof(path), "basic.db"), &c, &err), STRATA_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(dt_exec(c,
                            "-- a comment first\n"
                            "CREATE TABLE t (a INTEGER, b TEXT);\n"
                            "INSERT INTO t VALUES (1, 'one');;\n"
                            "/* block */ INSERT INTO t VALUES (2, NULL);\n"
                            "INSERT INTO [t] (`a`, \"b\") VALUES (3, 'a;b');\n"
                            "SELECT * FROM t;\n"
                            "  \n\t-- trailing comment\n",
                            &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT a, b, 1.5, x'41' FROM t ORDER BY a", &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(r.n, 3);
    CU_ASSERT_EQUAL(r.ncols, 4);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "1");
    CU_ASSERT_STRING_EQUAL(r.cell[0][1], "one");
    CU_ASSERT_FALSE(r.null[0][1]);
    CU_ASSERT_STRING_EQUAL(r.cell[0][2], "1.5");
    CU_ASSERT_STRING_EQUAL(r.cell[0][3], "A");
    CU_ASSERT_STRING_EQUAL(r.cell[1][0], "2");
    CU_ASSERT_TRUE(r.null[1][1]);
    CU_ASSERT_STRING_EQUAL(r.cell[2][1], "a;b");

    /* a query with no rows calls nothing */
    CU_ASSERT_EQUAL(dt_query(c, "SELECT a FROM t WHERE a > 10", &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL(r.n, 0);
    dt_close(c);
    drv->close(NULL);
}

static void
test_query_stops_early(void)
{
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    static dt_rows r;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(":memory:", &c, &err), STRATA_OK);
    r.stop_after = 2;
    CU_ASSERT_EQUAL(dt_query(c,
                             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                             "WHERE i < 100) SELECT i FROM n",
                             &r, &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(r.n, 2);
    CU_ASSERT_STRING_EQUAL(r.cell[1][0], "2");
    /* the statement was finalized: the connection is usable and closes cleanly */
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE x (y)", &err), STRATA_OK);
    dt_close(c);
}

static void
test_query_many_columns(void)
{
    char sql[512];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    static dt_rows r;
    int i, n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(":memory:", &c, &err), STRATA_OK);
    /* SELECT 1, 2, ..., 38, NULL, 40 */
    n = snprintf(sql, sizeof(sql), "SELECT 1");
    for (i = 2; i <= 40; i++)
        n += snprintf(sql + n, sizeof(sql) - n, i == 39 ? ", NULL" : ", %d", i);
    CU_ASSERT_EQUAL(dt_query(c, sql, &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(r.n, 1);
    CU_ASSERT_EQUAL(r.ncols, 40);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "1");
    CU_ASSERT_STRING_EQUAL(r.cell[0][32], "33");
    CU_ASSERT_TRUE(r.null[0][38]);
    CU_ASSERT_STRING_EQUAL(r.cell[0][39], "40");
    dt_close(c);
}

static void
test_transactions(void)
{
    char path[512];
    strata_conn *c = NULL, *other = NULL;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "tx.db");
    CU_ASSERT_EQUAL_FATAL(t_connect(path, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a INTEGER)", &err), STRATA_OK);

    /* rollback leaves nothing, DDL included */
    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (1); CREATE TABLE u (b)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->rollback(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM t"), 0);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM sqlite_master WHERE name = 'u'"), 0);

    /* commit keeps, and another connection sees it */
    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (2); INSERT INTO t VALUES (3)", &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(drv->commit(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM t"), 2);
    CU_ASSERT_EQUAL_FATAL(t_connect(path, &other, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(other, "SELECT sum(a) FROM t"), 5);

    /* rollback outside a transaction is fine; commit outside one is an error */
    CU_ASSERT_EQUAL(drv->rollback(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->commit(c, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);

    /* begin takes the write lock at once: another writer's begin is busy */
    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(other, "PRAGMA busy_timeout = 0", &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->begin(other, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.native_code & 0xff, T_SQLITE_BUSY);
    CU_ASSERT_EQUAL(drv->rollback(other, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->rollback(c, &err), STRATA_OK);
    dt_close(other);
    dt_close(c);
}

static void
test_syntax_error_position(void)
{
    static const char sql[] = "SELECT 1;\nSELEC 2";
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(":memory:", &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_EQUAL(err.position, 11);
    CU_ASSERT_EQUAL(strncmp(sql + err.position - 1, "SELEC", 5), 0);
    CU_ASSERT_EQUAL(err.native_code, T_SQLITE_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "\"SELEC\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "syntax error"));
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "");

    /* position within a single statement, and in query() */
    CU_ASSERT_EQUAL(dt_exec(c, "SELECT nosuch FROM (SELECT 1 AS a)", &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.position, 8);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no such column: nosuch"));
    CU_ASSERT_EQUAL(drv->query(c, "SELECT 1 FROM nosuch", dt_collect, NULL, &err),
                    STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.position, 0); /* SQLite 3.40 gives no offset for this one */
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no such table: nosuch"));
    dt_close(c);
}

static void
test_runtime_error(void)
{
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(":memory:", &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c,
                            "CREATE TABLE u (id INTEGER PRIMARY KEY);\n"
                            "INSERT INTO u VALUES (1);\n"
                            "INSERT INTO u VALUES (1);\n"
                            "INSERT INTO u VALUES (2);\n",
                            &err),
                    STRATA_ERROR);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_EQUAL(err.native_code, T_SQLITE_CONSTRAINT_PRIMARYKEY);
    CU_ASSERT_STRING_EQUAL(err.message, "UNIQUE constraint failed: u.id");
    CU_ASSERT_EQUAL(err.position, 0);
    /* statements before the failing one ran; those after it did not */
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM u"), 1);
    dt_close(c);
}

static void
test_url_params(void)
{
    char path[512];
    strata_conn *c = (strata_conn *)&c;
    strata_error err = STRATA_ERROR_INIT;
    strata_url_param unknown[] = {{"mode", "rw"}, {"cache", "shared"}};
    strata_url_param bad_mode[] = {{"mode", "rwx"}};
    strata_url_param bad_busy[] = {{"busy_timeout", "5s"}};
    strata_url_param bad_journal[] = {{"journal_mode", "wal;DROP TABLE t"}};
    strata_url_param twice[] = {{"mode", "rw"}, {"mode", "ro"}};
    strata_url_param good[] = {{"mode", "rwc"}, {"busy_timeout", "250"}};

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "params.db");
    CU_ASSERT_EQUAL(t_connect_params(path, unknown, 2, &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(err.status, STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "\"cache\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "mode, busy_timeout, journal_mode"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, path));
    CU_ASSERT_FALSE(t_file_exists(path));

    CU_ASSERT_EQUAL(t_connect_params(path, bad_mode, 1, &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "rwx"));
    CU_ASSERT_EQUAL(t_connect_params(path, bad_busy, 1, &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "busy_timeout"));
    CU_ASSERT_EQUAL(t_connect_params(path, bad_journal, 1, &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "journal_mode"));
    CU_ASSERT_EQUAL(t_connect_params(path, twice, 2, &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_FALSE(t_file_exists(path));

    CU_ASSERT_EQUAL(t_connect(NULL, &c, &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(t_connect("", &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(c);

    CU_ASSERT_EQUAL(t_connect_params(path, good, 2, &c, &err), STRATA_OK);
    CU_ASSERT_PTR_NOT_NULL(c);
    CU_ASSERT_TRUE(t_file_exists(path));
    CU_ASSERT_EQUAL(dt_scalar(c, "PRAGMA busy_timeout"), 250);
    dt_close(c);
}

static void
test_mode_ro(void)
{
    char path[512];
    strata_conn *c = (strata_conn *)&c;
    strata_error err = STRATA_ERROR_INIT;
    strata_url_param ro[] = {{"mode", "ro"}};
    strata_url_param rw[] = {{"mode", "rw"}};

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "missing.db");
    CU_ASSERT_EQUAL(t_connect_params(path, ro, 1, &c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, path));
    CU_ASSERT_FALSE(t_file_exists(path));
    c = (strata_conn *)&c;
    CU_ASSERT_EQUAL(t_connect_params(path, rw, 1, &c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_FALSE(t_file_exists(path));

    /* an existing database opens read-only and refuses writes */
    t_path(path, sizeof(path), "ro.db");
    CU_ASSERT_EQUAL_FATAL(t_connect(path, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a)", &err), STRATA_OK);
    dt_close(c);
    CU_ASSERT_EQUAL_FATAL(t_connect_params(path, ro, 1, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM t"), 0);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (1)", &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.native_code & 0xff, T_SQLITE_READONLY);
    /* the migration lock works on a read-only descriptor too */
    CU_ASSERT_EQUAL(drv->lock(c, "strata", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->unlock(c, "strata", &err), STRATA_OK);
    dt_close(c);
}

static void
test_not_a_database(void)
{
    char path[512];
    strata_conn *c = (strata_conn *)&c;
    strata_error err = STRATA_ERROR_INIT;
    FILE *f;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    f = fopen(t_path(path, sizeof(path), "text.db"), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("this is not an SQLite database, just some text that is long enough.\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(t_connect(path, &c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not a database"));
    CU_ASSERT_EQUAL(err.native_code, 26); /* SQLITE_NOTADB */

    /* a directory cannot be a database either */
    CU_ASSERT_EQUAL(t_connect(t_dir, &c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, t_dir));
}

/*
 * query() says STRATA_NOT_FOUND for a table or a schema (an attached database name) that is
 * not there, and STRATA_ERROR for everything else: a syntax error, a missing column.
 */
static void
test_not_found(void)
{
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    static dt_rows r;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(":memory:", &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE here (a INTEGER)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT a FROM nosuch", &r, &err), STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.status, STRATA_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no such table: nosuch"));
    CU_ASSERT_EQUAL(r.n, 0);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT a FROM nosuch.here", &r, &err), STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.status, STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT * FROM pragma_table_info('here', 'nosuch')", &r, &err),
                    STRATA_NOT_FOUND); /* "unknown database nosuch" */

    CU_ASSERT_EQUAL(dt_query(c, "SELEC a FROM here", &r, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "syntax error"));
    CU_ASSERT_EQUAL(dt_query(c, "SELECT nosuch FROM here", &r, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT 1 FROM here WHERE", &r, &err), STRATA_ERROR);
    /* and the table that is there reads fine */
    CU_ASSERT_EQUAL(dt_query(c, "SELECT count(*) FROM here", &r, &err), STRATA_OK);
    /* exec() may say NOT_FOUND too (driver.h); the core counts it as an error */
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO nosuch VALUES (1)", &err), STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.status, STRATA_NOT_FOUND);
    dt_close(c);
}

/* Writes n bytes of a repeated pattern at offset of path (0: creates the file). */
static void
t_scribble(const char *path, long offset, size_t n)
{
    FILE *f = fopen(path, offset == 0 ? "wb" : "r+b");
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fseek(f, offset, SEEK_SET), 0);
    for (i = 0; i < n; i++)
        fputc("\xde\xad\xbe\xef"[i % 4], f);
    fclose(f);
}

/*
 * A file that is no database, or a database whose schema page is garbage, is an error, never
 * "not found": the core would take NOT_FOUND for "no history yet" and write over the file.
 * Garbage from the first byte fails at connect (which reads the header); garbage after a
 * valid header connects, and every query then fails with STRATA_ERROR, even one naming a
 * table that is not there.
 */
static void
test_corrupt_file(void)
{
    static const char *const queries[] = {
        "SELECT * FROM nosuch",
        "SELECT * FROM t",
        "SELECT count(*) FROM sqlite_master",
        "SELECT meta_value FROM strata_migrations_meta WHERE meta_key = 'schema_version'",
    };
    char path[512];
    strata_conn *c = (strata_conn *)&c;
    strata_error err = STRATA_ERROR_INIT;
    static dt_rows r;
    size_t i;
    int rc;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "garbage.db");
    t_scribble(path, 0, 8192);
    rc = t_connect(path, &c, &err);
    if (rc == STRATA_OK) {
        for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
            CU_ASSERT_EQUAL(dt_query(c, queries[i], &r, &err), STRATA_ERROR);
        dt_close(c);
    }
    CU_ASSERT_EQUAL(rc, STRATA_ERROR);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, path));

    t_path(path, sizeof(path), "corrupt.db");
    CU_ASSERT_EQUAL_FATAL(t_connect(path, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a); INSERT INTO t VALUES (1)", &err), STRATA_OK);
    dt_close(c);
    t_scribble(path, 100, 800); /* the header stays, the schema's page is gone */
    CU_ASSERT_EQUAL_FATAL(t_connect(path, &c, &err), STRATA_OK);
    for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        rc = dt_query(c, queries[i], &r, &err);
        CU_ASSERT_EQUAL(rc, STRATA_ERROR);
        CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
        if (rc != STRATA_ERROR)
            fprintf(stderr, "\n    %s on a corrupt file: %d %s\n", queries[i], rc, err.message);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "malformed"));
    CU_ASSERT_EQUAL(err.native_code & 0xff, 11); /* SQLITE_CORRUPT */
    dt_close(c);
}

/*
 * A command that only reads opens its database with must_exist: a missing file is an error
 * naming it, and nothing is created (no file, no journal). An existing file opens as usual.
 */
static void
test_must_exist(void)
{
    char path[512];
    strata_conn *c = (strata_conn *)&c;
    strata_error err = STRATA_ERROR_INIT;
    strata_url_param rwc[] = {{"mode", "rwc"}};
    int before;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "absent.db");
    before = t_dir_entries();
    CU_ASSERT_EQUAL(t_connect_full(path, NULL, 0, 1, &c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, path));
    CU_ASSERT_FALSE(t_file_exists(path));
    CU_ASSERT_EQUAL(t_dir_entries(), before);
    /* even when the URL asks for creation */
    c = (strata_conn *)&c;
    CU_ASSERT_EQUAL(t_connect_full(path, rwc, 1, 1, &c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_FALSE(t_file_exists(path));
    CU_ASSERT_EQUAL(t_dir_entries(), before);

    /* an existing database opens, and reads */
    CU_ASSERT_EQUAL_FATAL(t_connect(path, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a); INSERT INTO t VALUES (7)", &err), STRATA_OK);
    dt_close(c);
    CU_ASSERT_EQUAL_FATAL(t_connect_full(path, NULL, 0, 1, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT a FROM t"), 7);
    dt_close(c);
    /* :memory: is never a file */
    CU_ASSERT_EQUAL_FATAL(t_connect_full(":memory:", NULL, 0, 1, &c, &err), STRATA_OK);
    dt_close(c);
}

static void
test_journal_mode(void)
{
    char path[512];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url_param wal[] = {{"journal_mode", "WAL"}};
    static dt_rows r;
    int before;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "wal.db");
    CU_ASSERT_EQUAL_FATAL(t_connect_params(path, wal, 1, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_query(c, "PRAGMA journal_mode", &r, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "wal");
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a); INSERT INTO t VALUES (1)", &err), STRATA_OK);
    dt_close(c);

    /* a mode SQLite declines is a warning, not an error */
    before = dt_log_count(DT_LOG_ANY);
    CU_ASSERT_EQUAL_FATAL(t_connect_params(":memory:", wal, 1, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_log_count(DT_LOG_ANY), before + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(dt_last_log(DT_LOG_ANY), "journal_mode"));
    dt_close(c);
}

static void
test_memory_and_version(void)
{
    char buf[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    size_t n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_connect(":memory:", &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(c, "strata", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->unlock(c, "strata", &err), STRATA_OK);
    n = drv->server_version(c, buf, sizeof(buf));
    CU_ASSERT_EQUAL(n, strlen(buf));
    CU_ASSERT_EQUAL(strncmp(buf, "SQLite 3.", 9), 0);
    CU_ASSERT_EQUAL(drv->server_version(c, NULL, 0), n);
    CU_ASSERT_EQUAL(drv->server_version(c, buf, 4), n);
    CU_ASSERT_STRING_EQUAL(buf, "SQL");
    CU_ASSERT_EQUAL(dt_exec(c, "", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "  -- only a comment\n", &err), STRATA_OK);
    dt_close(c);
}

/* ---- the migration lock across processes ---- */

/*
 * In a child: connects to path, takes the lock, writes 'L' to ready, then waits for one
 * byte on go: 'u' unlocks and closes cleanly. Returns the exit status.
 */
static int
t_child_hold_lock(const char *path, int ready, int go)
{
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    char b = 0;

    if (t_connect(path, &c, &err) != STRATA_OK)
        return 10;
    if (drv->lock(c, "strata", 0, &err) != STRATA_OK)
        return 11;
    if (write(ready, "L", 1) != 1)
        return 12;
    if (read(go, &b, 1) != 1)
        return 13;
    if (b == 'u' && drv->unlock(c, "strata", &err) != STRATA_OK)
        return 14;
    dt_close(c);
    return 0;
}

static int
t_wait(pid_t pid)
{
    int status;

    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* Forks a child running t_child_hold_lock(); returns its pid, *go is the write end. */
static pid_t
t_fork_holder(const char *path, int *go)
{
    int ready[2], gop[2];
    char b = 0;
    pid_t pid;

    if (pipe(ready) != 0 || pipe(gop) != 0)
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(gop[1]);
        _exit(t_child_hold_lock(path, ready[1], gop[0]));
    }
    close(ready[1]);
    close(gop[0]);
    if (pid < 0 || read(ready[0], &b, 1) != 1 || b != 'L') {
        close(ready[0]);
        close(gop[1]);
        if (pid > 0)
            fprintf(stderr, "lock holder exited with %d\n", t_wait(pid));
        return -1;
    }
    close(ready[0]);
    *go = gop[1];
    return pid;
}

static void
test_lock_cross_process(void)
{
    char path[512], want[640], comm[32] = "";
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    long long t0, elapsed;
    FILE *f;
    pid_t pid;
    int go;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "lock.db");
    pid = t_fork_holder(path, &go);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL_FATAL(t_connect(path, &c, &err), STRATA_OK);

    t0 = dt_now_ms();
    CU_ASSERT_EQUAL(drv->lock(c, "strata", 100, &err), STRATA_LOCK_TIMEOUT);
    elapsed = dt_now_ms() - t0;
    CU_ASSERT(elapsed >= 100 && elapsed < 2000);
    CU_ASSERT_EQUAL(err.status, STRATA_LOCK_TIMEOUT);
    snprintf(want, sizeof(want), "timed out after 100 ms waiting for the migration lock on %s",
             path);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, want));
    snprintf(want, sizeof(want), "held by pid %ld", (long)pid);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, want));
    f = fopen("/proc/self/comm", "r"); /* a forked child keeps its parent's name */
    if (f != NULL) {
        if (fgets(comm, sizeof(comm), f) != NULL)
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
        snprintf(want, sizeof(want), "held by pid %ld (%s)", (long)pid, comm);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, want));
    }
    fprintf(stderr, "\n    lock timeout message: %s\n", err.message);

    /* 0 tries once */
    t0 = dt_now_ms();
    CU_ASSERT_EQUAL(drv->lock(c, "strata", 0, &err), STRATA_LOCK_TIMEOUT);
    CU_ASSERT(dt_now_ms() - t0 < 50);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "timed out after 0 ms"));

    /* the migration lock does not get in SQLite's way */
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a); INSERT INTO t VALUES (1)", &err), STRATA_OK);

    CU_ASSERT_EQUAL(write(go, "u", 1), 1);
    close(go);
    CU_ASSERT_EQUAL(t_wait(pid), 0);
    CU_ASSERT_EQUAL(drv->lock(c, "strata", 1000, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->unlock(c, "strata", &err), STRATA_OK);
    dt_close(c);
}

/* A holder that dies without unlocking frees the lock; timeout -1 waits for that. */
static void
test_lock_released_by_exit(void)
{
    char path[512];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    long long t0;
    pid_t pid;
    int go;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "lock2.db");
    pid = t_fork_holder(path, &go);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL_FATAL(t_connect(path, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(c, "strata", 0, &err), STRATA_LOCK_TIMEOUT);
    t0 = dt_now_ms();
    if (fork() == 0) {
        usleep(150 * 1000);
        kill(pid, SIGKILL);
        _exit(0);
    }
    CU_ASSERT_EQUAL(drv->lock(c, "strata", -1, &err), STRATA_OK);
    CU_ASSERT(dt_now_ms() - t0 >= 100);
    CU_ASSERT_EQUAL(t_wait(pid), 100 + SIGKILL);
    while (wait(NULL) > 0)
        ;
    close(go);
    dt_close(c);
}

/* Two connections of one process exclude each other like two processes do. */
static void
test_lock_same_process(void)
{
    char path[512], want[64];
    strata_conn *a = NULL, *b = NULL;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "lock3.db");
    CU_ASSERT_EQUAL_FATAL(t_connect(path, &a, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(t_connect(path, &b, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(a, "strata", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(a, "strata", 0, &err), STRATA_OK); /* again: still ours */
    CU_ASSERT_EQUAL(drv->lock(b, "strata", 30, &err), STRATA_LOCK_TIMEOUT);
    snprintf(want, sizeof(want), "held by pid %ld", (long)getpid());
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, want));
    CU_ASSERT_EQUAL(drv->unlock(a, "strata", &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(b, "strata", 0, &err), STRATA_OK);
    dt_close(b); /* closing releases the lock */
    CU_ASSERT_EQUAL(drv->lock(a, "strata", 0, &err), STRATA_OK);
    dt_close(a);
}

/*
 * Closing one connection must not drop SQLite's POSIX locks held by another connection of
 * the same process on the same file. The child is forked before the parent opens anything,
 * so its SQLite starts with no shared state, and tries BEGIN IMMEDIATE on 'g'.
 */
static void
test_close_keeps_sqlite_locks(void)
{
    char path[512], b = 0;
    strata_conn *a = NULL, *other = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url_param nowait[] = {{"busy_timeout", "0"}};
    int gop[2];
    pid_t pid;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "keep.db");
    CU_ASSERT_EQUAL_FATAL(pipe(gop), 0);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        close(gop[1]);
        if (read(gop[0], &b, 1) != 1)
            _exit(20);
        if (t_connect_params(path, nowait, 1, &other, &err) != STRATA_OK)
            _exit(21);
        if (drv->begin(other, &err) == STRATA_OK)
            _exit(22); /* the parent's write lock is gone */
        _exit((err.native_code & 0xff) == T_SQLITE_BUSY ? 0 : 23);
    }
    CU_ASSERT_FATAL(pid > 0);
    close(gop[0]);
    CU_ASSERT_EQUAL(t_connect(path, &a, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(a, "CREATE TABLE t (a)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->begin(a, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(a, "INSERT INTO t VALUES (1)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(t_connect(path, &other, &err), STRATA_OK);
    dt_close(other);
    CU_ASSERT_EQUAL(write(gop[1], "g", 1), 1);
    close(gop[1]);
    CU_ASSERT_EQUAL(t_wait(pid), 0);
    CU_ASSERT_EQUAL(drv->commit(a, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(a, "SELECT count(*) FROM t"), 1);
    dt_close(a);
}

int
main(void)
{
    static const struct {
        const char *name;
        CU_TestFunc fn;
    } tests[] = {
        {"load sqlite.so from STRATA_DRIVER_PATH", test_load},
        {"entry refuses another ABI", dt_test_entry_refuses_other_abi},
        {"identity", test_identity},
        {"describe", test_describe},
        {"the described types behave as documented", test_types},
        {"quote_ident and quote_literal", test_quote},
        {"quoting round trips hostile text", test_quote_round_trip},
        {"exec several statements, query rows", test_exec_and_query},
        {"query stops when fn says so", test_query_stops_early},
        {"query with more than 32 columns", test_query_many_columns},
        {"begin, commit, rollback", test_transactions},
        {"syntax error position", test_syntax_error_position},
        {"runtime error", test_runtime_error},
        {"URL parameters", test_url_params},
        {"mode=ro and mode=rw", test_mode_ro},
        {"not a database", test_not_a_database},
        {"query: NOT_FOUND for a missing table or schema only", test_not_found},
        {"a corrupt file is never NOT_FOUND", test_corrupt_file},
        {"must_exist creates nothing", test_must_exist},
        {"journal_mode", test_journal_mode},
        {":memory: and server_version", test_memory_and_version},
        {"lock across processes", test_lock_cross_process},
        {"lock released when the holder dies", test_lock_released_by_exit},
        {"lock between connections of one process", test_lock_same_process},
        {"close keeps other connections' SQLite locks", test_close_keeps_sqlite_locks},
    };
    unsigned failed;
    CU_pSuite suite;
    size_t i;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    suite = CU_add_suite("sqlite driver", t_suite_init, t_suite_clean);
    if (suite == NULL)
        goto fail;
    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        if (CU_add_test(suite, tests[i].name, tests[i].fn) == NULL)
            goto fail;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    if (CU_basic_run_tests() != CUE_SUCCESS)
        goto fail;
    failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed() +
             CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed == 0 ? 0 : 1;

fail:
    fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
    CU_cleanup_registry();
    return 2;
}
