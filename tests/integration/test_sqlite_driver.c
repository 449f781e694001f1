/*
 * Integration tests of the SQLite driver, loaded as the core loads it: dlopen() of
 * sqlite.so from the first directory of STRATA_DRIVER_PATH. A missing or unloadable driver
 * is a failure, not a skip.
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

static int
t_connect_params(const char *database, const strata_url_param *params, size_t nparams,
                 strata_conn **out, strata_error *err)
{
    strata_url url = {
        .scheme = "sqlite",
        .database = database,
        .nparams = nparams,
        .params = params,
        .redacted = "sqlite:(test)",
    };
    strata_connect_options opts = {.size = sizeof(opts)};

    memset(err, 0, sizeof(*err));
    return drv->connect(&url, &opts, out, err);
}

static int
t_connect(const char *database, strata_conn **out, strata_error *err)
{
    return t_connect_params(database, NULL, 0, out, err);
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

static void
test_identity(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL(drv->abi_version, STRATA_DRIVER_ABI);
    CU_ASSERT_EQUAL(drv->size, sizeof(strata_driver));
    CU_ASSERT_STRING_EQUAL(drv->name, "sqlite");
    CU_ASSERT_STRING_EQUAL(drv->dialect, "sqlite");
    CU_ASSERT_PTR_NOT_NULL(drv->version);
    CU_ASSERT_STRING_EQUAL(drv->schemes[0], "sqlite");
    CU_ASSERT_STRING_EQUAL(drv->schemes[1], "sqlite3");
    CU_ASSERT_PTR_NULL(drv->schemes[2]);
    CU_ASSERT_STRING_EQUAL(drv->dialect_aliases[0], "sqlite3");
    CU_ASSERT_PTR_NULL(drv->dialect_aliases[1]);
    CU_ASSERT_EQUAL(strncmp(drv->client_version, "3.", 2), 0);
    CU_ASSERT_EQUAL(drv->caps, STRATA_CAP_TRANSACTIONAL_DDL | STRATA_CAP_FILE_LOCK);
    CU_ASSERT_EQUAL(drv->lexer_rules, STRATA_LEX_BRACKETS | STRATA_LEX_BACKTICKS);
    CU_ASSERT_TRUE_FATAL(STRATA_DRIVER_HAS(drv, statement_complete));
    CU_ASSERT_EQUAL(drv->statement_complete("CREATE TABLE t (end int);"), 1);
    CU_ASSERT_EQUAL(drv->statement_complete("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1;"),
                    0);
    CU_ASSERT_EQUAL(
        drv->statement_complete("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;"), 1);
    CU_ASSERT_EQUAL(drv->statement_complete("SELECT ';"), 0);
    CU_ASSERT_STRING_EQUAL(drv->no_transaction_patterns[0], "VACUUM");
    CU_ASSERT_STRING_EQUAL(drv->no_transaction_patterns[1], "PRAGMA journal_mode");
    CU_ASSERT_STRING_EQUAL(drv->no_transaction_patterns[2], "PRAGMA foreign_keys");
    CU_ASSERT_PTR_NULL(drv->no_transaction_patterns[3]);
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(drv, copy_in));
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(drv, snapshot));
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(drv, scratch_create));
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(drv, scratch_drop));
}

static void
test_quote(void)
{
    char buf[32];

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL(drv->quote_ident("a\"b", buf, sizeof(buf)), 6);
    CU_ASSERT_STRING_EQUAL(buf, "\"a\"\"b\"");
    CU_ASSERT_EQUAL(drv->quote_literal("it's", buf, sizeof(buf)), 7);
    CU_ASSERT_STRING_EQUAL(buf, "'it''s'");
    CU_ASSERT_EQUAL(drv->quote_literal("", buf, sizeof(buf)), 2);
    CU_ASSERT_STRING_EQUAL(buf, "''");
    CU_ASSERT_EQUAL(drv->quote_ident("x'y", buf, sizeof(buf)), 5);
    CU_ASSERT_STRING_EQUAL(buf, "\"x'y\"");

    /* size 0 writes nothing; small sizes truncate and stay NUL-terminated */
    memset(buf, '#', sizeof(buf));
    CU_ASSERT_EQUAL(drv->quote_ident("a\"b", buf, 0), 6);
    CU_ASSERT_EQUAL(buf[0], '#');
    CU_ASSERT_EQUAL(drv->quote_ident("a\"b", NULL, 0), 6);
    CU_ASSERT_EQUAL(drv->quote_ident("a\"b", buf, 1), 6);
    CU_ASSERT_STRING_EQUAL(buf, "");
    memset(buf, '#', sizeof(buf));
    CU_ASSERT_EQUAL(drv->quote_ident("a\"b", buf, 4), 6);
    CU_ASSERT_STRING_EQUAL(buf, "\"a\"");
    CU_ASSERT_EQUAL(buf[4], '#');
    CU_ASSERT_EQUAL(drv->quote_literal("it's", buf, 7), 7);
    CU_ASSERT_STRING_EQUAL(buf, "'it''s");
    CU_ASSERT_EQUAL(drv->quote_literal("it's", buf, 8), 7);
    CU_ASSERT_STRING_EQUAL(buf, "'it''s'");
}

static void
test_exec_and_query(void)
{
    char path[512];
    strata_conn *c = NULL;
    strata_error err;
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
    drv->close(c);
    drv->close(NULL);
}

static void
test_query_stops_early(void)
{
    strata_conn *c = NULL;
    strata_error err;
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
    drv->close(c);
}

static void
test_query_many_columns(void)
{
    char sql[512];
    strata_conn *c = NULL;
    strata_error err;
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
    drv->close(c);
}

static void
test_transactions(void)
{
    char path[512];
    strata_conn *c = NULL, *other = NULL;
    strata_error err;

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
    drv->close(other);
    drv->close(c);
}

static void
test_syntax_error_position(void)
{
    static const char sql[] = "SELECT 1;\nSELEC 2";
    strata_conn *c = NULL;
    strata_error err;

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
    CU_ASSERT_EQUAL(drv->query(c, "SELECT 1 FROM nosuch", dt_collect, NULL, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.position, 0); /* SQLite 3.40 gives no offset for this one */
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no such table: nosuch"));
    drv->close(c);
}

static void
test_runtime_error(void)
{
    strata_conn *c = NULL;
    strata_error err;

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
    drv->close(c);
}

/* Column names of table, in order, joined by ','. */
static void
t_columns(strata_conn *c, const char *table, char *out, size_t size)
{
    char sql[256];
    strata_error err;
    static dt_rows r;

    snprintf(sql, sizeof(sql), "SELECT group_concat(name, ',') FROM pragma_table_info('%s')",
             table);
    out[0] = '\0';
    CU_ASSERT_EQUAL_FATAL(dt_query(c, sql, &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(r.n, 1);
    snprintf(out, size, "%s", r.cell[0][0]);
}

static void
test_history_ddl(void)
{
    char path[512], ident[3][64], *ddl, *small;
    strata_history_names names = {ident[0], ident[1], ident[2]};
    strata_conn *c = NULL;
    strata_error err;
    static dt_rows r;
    size_t n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    drv->quote_ident("strata_migrations", ident[0], sizeof(ident[0]));
    drv->quote_ident("strata_migrations_events", ident[1], sizeof(ident[1]));
    drv->quote_ident("strata_migrations_meta", ident[2], sizeof(ident[2]));
    n = drv->history_ddl(&names, NULL, 0);
    CU_ASSERT_FATAL(n > 0);
    ddl = malloc(n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ddl);
    CU_ASSERT_EQUAL(drv->history_ddl(&names, ddl, n + 1), n);
    CU_ASSERT_EQUAL(strlen(ddl), n);
    small = malloc(10);
    CU_ASSERT_EQUAL(drv->history_ddl(&names, small, 10), n);
    CU_ASSERT_EQUAL(strncmp(small, ddl, 9), 0);
    CU_ASSERT_EQUAL(small[9], '\0');
    free(small);

    CU_ASSERT_EQUAL_FATAL(t_connect(t_path(path, sizeof(path), "history.db"), &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->exec(c, ddl, n, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->exec(c, ddl, n, &err), STRATA_OK); /* IF NOT EXISTS */

    {
        char cols[1024];

        t_columns(c, "strata_migrations", cols, sizeof(cols));
        CU_ASSERT_STRING_EQUAL(cols, "version,kind,name,checksum,down_checksum,state,"
                                     "applied_rank,applied_at,execution_ms,applied_by,"
                                     "strata_version,statements_done,statements_hash");
        t_columns(c, "strata_migrations_events", cols, sizeof(cols));
        CU_ASSERT_STRING_EQUAL(cols, "id,version,name,action,outcome,started_at,duration_ms,"
                                     "performed_by,strata_version,detail");
        t_columns(c, "strata_migrations_meta", cols, sizeof(cols));
        CU_ASSERT_STRING_EQUAL(cols, "meta_key,meta_value");
    }
    /* the NOT NULL columns and the primary keys */
    CU_ASSERT_EQUAL(dt_query(c,
                             "SELECT group_concat(name, ',') FROM pragma_table_info("
                             "'strata_migrations') WHERE \"notnull\" = 0",
                             &r, &err),
                    STRATA_OK);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "down_checksum,statements_hash");
    CU_ASSERT_EQUAL(dt_query(c,
                             "SELECT name FROM pragma_table_info('strata_migrations') "
                             "WHERE pk = 1",
                             &r, &err),
                    STRATA_OK);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "version");
    CU_ASSERT_EQUAL(dt_query(c,
                             "SELECT group_concat(name, ',') FROM pragma_table_info("
                             "'strata_migrations_events') WHERE \"notnull\" = 0",
                             &r, &err),
                    STRATA_OK);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "id,version,name,detail");
    /* defaults work */
    CU_ASSERT_EQUAL(dt_exec(c,
                            "INSERT INTO strata_migrations (version, name, checksum, state, "
                            "applied_rank, applied_at, execution_ms, applied_by, "
                            "strata_version) VALUES ('1', 'init', 'x', 'applied', 1, 'now', 3, "
                            "'me', '0.1');\n"
                            "INSERT INTO strata_migrations_events (action, outcome, started_at, "
                            "duration_ms, performed_by, strata_version) VALUES ('apply', 'ok', "
                            "'now', 3, 'me', '0.1')",
                            &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT kind, statements_done FROM strata_migrations", &r, &err),
                    STRATA_OK);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "versioned");
    CU_ASSERT_STRING_EQUAL(r.cell[0][1], "0");
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT id FROM strata_migrations_events"), 1);
    drv->close(c);
    free(ddl);
}

static void
test_url_params(void)
{
    char path[512];
    strata_conn *c = (strata_conn *)&c;
    strata_error err;
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
    drv->close(c);
}

static void
test_mode_ro(void)
{
    char path[512];
    strata_conn *c = (strata_conn *)&c;
    strata_error err;
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
    drv->close(c);
    CU_ASSERT_EQUAL_FATAL(t_connect_params(path, ro, 1, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM t"), 0);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (1)", &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.native_code & 0xff, T_SQLITE_READONLY);
    /* the migration lock works on a read-only descriptor too */
    CU_ASSERT_EQUAL(drv->lock(c, "strata", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->unlock(c, "strata", &err), STRATA_OK);
    drv->close(c);
}

static void
test_not_a_database(void)
{
    char path[512];
    strata_conn *c = (strata_conn *)&c;
    strata_error err;
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

static void
test_journal_mode(void)
{
    char path[512];
    strata_conn *c = NULL;
    strata_error err;
    strata_url_param wal[] = {{"journal_mode", "WAL"}};
    static dt_rows r;
    int before;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    t_path(path, sizeof(path), "wal.db");
    CU_ASSERT_EQUAL_FATAL(t_connect_params(path, wal, 1, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_query(c, "PRAGMA journal_mode", &r, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "wal");
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a); INSERT INTO t VALUES (1)", &err), STRATA_OK);
    drv->close(c);

    /* a mode SQLite declines is a warning, not an error */
    before = dt_log_count(DT_LOG_ANY);
    CU_ASSERT_EQUAL_FATAL(t_connect_params(":memory:", wal, 1, &c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_log_count(DT_LOG_ANY), before + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(dt_last_log(DT_LOG_ANY), "journal_mode"));
    drv->close(c);
}

static void
test_memory_and_version(void)
{
    char buf[64];
    strata_conn *c = NULL;
    strata_error err;
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
    drv->close(c);
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
    strata_error err;
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
    drv->close(c);
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
    strata_error err;
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
    drv->close(c);
}

/* A holder that dies without unlocking frees the lock; timeout -1 waits for that. */
static void
test_lock_released_by_exit(void)
{
    char path[512];
    strata_conn *c = NULL;
    strata_error err;
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
    drv->close(c);
}

/* Two connections of one process exclude each other like two processes do. */
static void
test_lock_same_process(void)
{
    char path[512], want[64];
    strata_conn *a = NULL, *b = NULL;
    strata_error err;

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
    drv->close(b); /* closing releases the lock */
    CU_ASSERT_EQUAL(drv->lock(a, "strata", 0, &err), STRATA_OK);
    drv->close(a);
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
    strata_error err;
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
    drv->close(other);
    CU_ASSERT_EQUAL(write(gop[1], "g", 1), 1);
    close(gop[1]);
    CU_ASSERT_EQUAL(t_wait(pid), 0);
    CU_ASSERT_EQUAL(drv->commit(a, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(a, "SELECT count(*) FROM t"), 1);
    drv->close(a);
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
        {"quote_ident and quote_literal", test_quote},
        {"exec several statements, query rows", test_exec_and_query},
        {"query stops when fn says so", test_query_stops_early},
        {"query with more than 32 columns", test_query_many_columns},
        {"begin, commit, rollback", test_transactions},
        {"syntax error position", test_syntax_error_position},
        {"runtime error", test_runtime_error},
        {"history_ddl", test_history_ddl},
        {"URL parameters", test_url_params},
        {"mode=ro and mode=rw", test_mode_ro},
        {"not a database", test_not_a_database},
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
