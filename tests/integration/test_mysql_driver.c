/*
 * Integration tests of the MySQL/MariaDB driver against a real server, loaded as the core
 * loads it: dlopen() of mysql.so from the first directory of STRATA_DRIVER_PATH. The server
 * is STRATA_TEST_MYSQL_URL (a user allowed to create databases; tests/servers.sh starts
 * one); each test works in a database of its own, dropped at the end. Connections are opened
 * as the core opens them: connect(), then describe(). A missing driver, URL or server is a
 * failure, not a skip.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <strata/driver.h>

#include "drivertest.h"
#include "url.h"

/* MySQL error numbers the tests expect (the test does not include the client's headers). */
#define T_ER_ACCESS_DENIED 1045
#define T_ER_PARSE_ERROR 1064
#define T_ER_NO_SUCH_TABLE 1146
#define T_ER_BAD_DB 1049
#define T_ER_BAD_FIELD 1054
#define T_CR_SERVER_GONE 2006
#define T_CR_SERVER_LOST 2013

#define T_MAX_DBS 64

/* What a MySQL connection claims, before connecting and after. */
#define T_CAPS                                                                                     \
    (STRATA_CAP_ADVISORY_LOCK | STRATA_CAP_SCHEMAS | STRATA_CAP_AUTOCOMMIT_BATCH |                 \
     STRATA_CAP_SCRATCH_DB)

/* How a MySQL connection's scripts split, backslash escapes aside (driver.h). */
#define T_LEX_RULES                                                                                \
    (STRATA_LEX_BACKTICKS | STRATA_LEX_HASH_COMMENTS | STRATA_LEX_DELIMITER | STRATA_LEX_BLOCKS |  \
     STRATA_LEX_EXEC_COMMENTS | STRATA_LEX_DASH_NEEDS_SPACE)

static const strata_driver *drv;  /* loaded by test_load, kept loaded (see t_suite_clean) */
static strata_url *t_env;         /* STRATA_TEST_MYSQL_URL, parsed; owned */
static strata_conn *t_admin;      /* connection to t_env's database, creating the others */
static char t_dbs[T_MAX_DBS][64]; /* databases created, dropped by t_suite_clean() */
static int t_ndbs;

/* ---- helpers ---- */

static int
t_connect(const strata_url *url, strata_conn **out, strata_error *err)
{
    strata_connect_options opts = {.size = sizeof(opts), .application = "strata-test"};

    return dt_connect(url, &opts, out, err);
}

/* Connects to url with params instead of its own. */
static int
t_connect_params(const strata_url *url, const strata_url_param *params, size_t nparams,
                 strata_conn **out, strata_error *err)
{
    strata_url u = *url;

    u.params = params;
    u.nparams = nparams;
    return t_connect(&u, out, err);
}

/*
 * Creates an empty database for one test, strata_t<pid>_<tag>, and makes *u the env URL
 * pointing at it (db holds the name, and must outlive *u). Returns 0 on success.
 */
static int
t_fresh_db(const char *tag, strata_url *u, char *db, size_t size)
{
    char sql[256];
    strata_error err = STRATA_ERROR_INIT;

    if (t_env == NULL || t_admin == NULL || t_ndbs >= T_MAX_DBS)
        return -1;
    snprintf(db, size, "strata_t%ld_%s", (long)getpid(), tag);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`", db);
    if (dt_exec(t_admin, sql, &err) != STRATA_OK)
        goto fail;
    snprintf(sql, sizeof(sql), "CREATE DATABASE `%s`", db);
    if (dt_exec(t_admin, sql, &err) != STRATA_OK)
        goto fail;
    snprintf(t_dbs[t_ndbs++], sizeof(t_dbs[0]), "%s", db);
    *u = *t_env;
    u->database = db;
    return 0;

fail:
    fprintf(stderr, "cannot create database %s: %s\n", db, err.message);
    return -1;
}

/* A fresh database (see t_fresh_db) and a connection to it; fatal on failure. */
#define T_OPEN(tag, u, db, c)                                                                      \
    do {                                                                                           \
        strata_error open_err_;                                                                    \
        CU_ASSERT_PTR_NOT_NULL_FATAL(drv);                                                         \
        CU_ASSERT_EQUAL_FATAL(t_fresh_db((tag), &(u), (db), sizeof(db)), 0);                       \
        CU_ASSERT_EQUAL_FATAL(t_connect(&(u), &(c), &open_err_), STRATA_OK);                       \
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);                                                           \
    } while (0)

/* ---- suite ---- */

static int
t_suite_clean(void)
{
    char sql[256];
    strata_error err = STRATA_ERROR_INIT;
    int i;

    for (i = 0; i < t_ndbs && t_admin != NULL; i++) {
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%.64s`", t_dbs[i]);
        if (dt_exec(t_admin, sql, &err) != STRATA_OK)
            fprintf(stderr, "cannot drop %s: %s\n", t_dbs[i], err.message);
    }
    if (drv != NULL)
        dt_close(t_admin);
    strata_url_free(t_env);
    /* mysql.so stays loaded, as the core keeps an accepted driver: the client library
     * registers process-wide state when initialised. */
    return 0;
}

/* ---- tests ---- */

static void
test_load(void)
{
    const char *url = getenv("STRATA_TEST_MYSQL_URL");
    strata_error err = STRATA_ERROR_INIT;

    drv = dt_load("mysql");
    if (url == NULL || url[0] == '\0')
        fprintf(stderr, "STRATA_TEST_MYSQL_URL is not set: start a server with tests/servers.sh "
                        "(mariadb_start) and export it\n");
    CU_ASSERT_FATAL(url != NULL && url[0] != '\0');
    CU_ASSERT_EQUAL_FATAL(strata_url_parse(url, drv->url_shape, &t_env, &err), STRATA_OK);
    if (t_connect(t_env, &t_admin, &err) != STRATA_OK)
        fprintf(stderr, "cannot reach the server of STRATA_TEST_MYSQL_URL: %s\n", err.message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t_admin);
}

/* What the driver declares before any connection: ABI 2's identity members. */
static void
test_identity(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL(drv->abi_version, STRATA_DRIVER_ABI);
    CU_ASSERT_EQUAL(drv->size, sizeof(strata_driver));
    CU_ASSERT_STRING_EQUAL(drv->name, "mysql");
    CU_ASSERT_STRING_EQUAL(drv->dialect, "mysql");
    CU_ASSERT_PTR_NOT_NULL(drv->version);
    CU_ASSERT_EQUAL(drv->url_shape, STRATA_URL_SERVER);
    CU_ASSERT_STRING_EQUAL(drv->schemes[0], "mysql");
    CU_ASSERT_STRING_EQUAL(drv->schemes[1], "mariadb");
    CU_ASSERT_PTR_NULL(drv->schemes[2]);
    CU_ASSERT_STRING_EQUAL(drv->dialect_aliases[0], "mariadb");
    CU_ASSERT_PTR_NULL(drv->dialect_aliases[1]);
    CU_ASSERT_PTR_NOT_NULL(drv->client_version);
    CU_ASSERT_EQUAL(drv->caps, T_CAPS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(drv->password_env); /* the mariadb client's own variable */
    CU_ASSERT_STRING_EQUAL(drv->password_env, "MYSQL_PWD");
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, lock));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, unlock));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, session_reset_sql));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, utc_timestamps));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, backup));
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(drv, copy_in));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, snapshot));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, scratch_create));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, scratch_drop));
}

/* Checks what a MySQL connection's describe() says: all but the home database and whether
 * backslashes escape in strings, which depend on the session. */
static void
t_check_describe(const strata_describe *d, const char *home, int backslash_escapes)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(d->size, sizeof(strata_describe));
    CU_ASSERT_STRING_EQUAL(d->dialect, "mysql");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->dialect_aliases);
    CU_ASSERT_STRING_EQUAL(d->dialect_aliases[0], "mariadb");
    CU_ASSERT_PTR_NULL(d->dialect_aliases[1]);
    CU_ASSERT_EQUAL(d->caps, T_CAPS);
    CU_ASSERT_EQUAL(d->lexer_rules,
                    T_LEX_RULES | (backslash_escapes ? STRATA_LEX_BACKSLASH_ESCAPES : 0));
    /* statements that change the session's transactions; those that never commit */
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->no_transaction_patterns);
    CU_ASSERT_STRING_EQUAL(d->no_transaction_patterns[0], "LOCK TABLES");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->transactional_statements);
    CU_ASSERT_STRING_EQUAL(d->transactional_statements[0], "INSERT");
    CU_ASSERT_PTR_NULL(d->statement_complete);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->home_schema);
    CU_ASSERT_STRING_EQUAL(d->home_schema, home);
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_STRING], "VARCHAR({n})");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_TEXT], "TEXT");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_INTEGER], "INT");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_BIGINT], "BIGINT");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_TIMESTAMP], "DATETIME");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_SERIAL],
                           "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->table_options);
    CU_ASSERT_STRING_EQUAL(d->table_options, "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
}

/*
 * describe() after connect says what the connection speaks, as driver.h documents it for
 * MySQL/MariaDB: its dialect, capabilities, lexer rules (backticks, # comments, DELIMITER,
 * compound blocks, executable comments, "-- " comments, backslash escapes under the default
 * sql_mode), no no-transaction patterns, the database the URL selected as home, the column
 * types and InnoDB/utf8mb4 table options.
 */
static void
test_describe(void)
{
    char db[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    T_OPEN("describe", u, db, c);
    t_check_describe(dt_described(c), db, 1);
    dt_close(c);
    /* no database in the URL: no home */
    u.database = NULL;
    CU_ASSERT_EQUAL_FATAL(t_connect(&u, &c, &err), STRATA_OK);
    t_check_describe(dt_described(c), "", 1);
    dt_close(c);
}

static void
test_connect_and_version(void)
{
    char buf[64], name[128];
    strata_conn *c = NULL;
    strata_url u;
    size_t n;

    T_OPEN("connect", u, name, c);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT 40 + 2"), 42);
    n = drv->server_version(c, buf, sizeof(buf));
    CU_ASSERT_EQUAL(n, strlen(buf));
    CU_ASSERT_EQUAL(strncmp(buf, "MariaDB 10.", 11), 0);
    CU_ASSERT_PTR_NULL(strchr(buf, '-')); /* "-MariaDB-0+deb12u1" is gone */
    fprintf(stderr, "\n    server: %s, client library %s\n", buf, drv->client_version);
    CU_ASSERT_EQUAL(drv->server_version(c, NULL, 0), n);
    CU_ASSERT_EQUAL(drv->server_version(c, buf, 5), n);
    CU_ASSERT_STRING_EQUAL(buf, "Mari");
    /* the connection speaks utf8mb4 and uses the URL's database */
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT @@character_set_client", buf, sizeof(buf)),
                           "utf8mb4");
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT DATABASE()", buf, sizeof(buf)), name);
    dt_close(c);
    drv->close(NULL);
}

static void
test_url_params(void)
{
    strata_url_param unknown[] = {{"bogus", "1"}};
    strata_url_param twice[] = {{"ssl-mode", "DISABLED"}, {"tls", "false"}};
    strata_url_param bad_timeout[] = {{"connect_timeout", "soon"}};
    strata_url_param bad_mode[] = {{"ssl-mode", "MAYBE"}};
    strata_url_param disabled_ca[] = {{"ssl-mode", "disabled"}, {"ssl-ca", "/tmp/ca.pem"}};
    strata_url_param verify_ca[] = {{"ssl_mode", "VERIFY_CA"}};
    strata_url_param latin1[] = {{"charset", "latin1"}, {"connect-timeout", "5"}};
    strata_url_param plain[] = {{"ssl-mode", "DISABLED"}};
    strata_url_param sslmode[] = {{"sslmode", "preferred"}};
    strata_url_param tls[] = {{"tls", "false"}};
    strata_url_param required[] = {{"ssl-mode", "REQUIRED"}};
    strata_url_param sock[] = {{"socket", "/nonexistent/strata-test.sock"}};
    char buf[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t_env);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t_admin);
    CU_ASSERT_EQUAL(t_connect_params(t_env, unknown, 1, &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(err.status, STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "\"bogus\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "known: charset, connect_timeout, ssl-mode"));
    CU_ASSERT_EQUAL(t_connect_params(t_env, twice, 2, &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "twice"));
    CU_ASSERT_EQUAL(t_connect_params(t_env, bad_timeout, 1, &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "connect_timeout"));
    CU_ASSERT_EQUAL(t_connect_params(t_env, bad_mode, 1, &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "MAYBE"));
    CU_ASSERT_EQUAL(t_connect_params(t_env, disabled_ca, 2, &c, &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(t_connect_params(t_env, verify_ca, 1, &c, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "ssl-ca"));

    /* charset= replaces utf8mb4; '-' and '_' are alike in names */
    CU_ASSERT_EQUAL_FATAL(t_connect_params(t_env, latin1, 1, &c, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT @@character_set_client", buf, sizeof(buf)), "latin1");
    dt_close(c);
    CU_ASSERT_EQUAL(t_connect_params(t_env, latin1, 2, &c, &err), STRATA_OK);
    dt_close(c);

    /* TLS modes: the test server may or may not offer TLS */
    CU_ASSERT_EQUAL(t_connect_params(t_env, plain, 1, &c, &err), STRATA_OK);
    dt_close(c);
    CU_ASSERT_EQUAL(t_connect_params(t_env, sslmode, 1, &c, &err), STRATA_OK);
    dt_close(c);
    CU_ASSERT_EQUAL(t_connect_params(t_env, tls, 1, &c, &err), STRATA_OK);
    dt_close(c);
    if (strcmp(dt_text(t_admin, "SELECT @@have_ssl", buf, sizeof(buf)), "YES") != 0) {
        CU_ASSERT_EQUAL(t_connect_params(t_env, required, 1, &c, &err), STRATA_ERROR);
        CU_ASSERT_PTR_NULL(c);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "TLS"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "ssl-mode=REQUIRED"));
    } else {
        CU_ASSERT_EQUAL(t_connect_params(t_env, required, 1, &c, &err), STRATA_OK);
        dt_close(c);
    }

    /* socket= is where a host-less URL connects */
    u = *t_env;
    u.host = NULL;
    u.port = 0;
    CU_ASSERT_EQUAL(t_connect_params(&u, sock, 1, &c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(strncmp(err.message, "cannot connect: ", 16), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "/nonexistent/strata-test.sock"));
}

static void
test_wrong_password(void)
{
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t_env);
    u = *t_env;
    u.password = "Wr0ng-Pa55word";
    CU_ASSERT_EQUAL(t_connect(&u, &c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_EQUAL(strncmp(err.message, "cannot connect: ", 16), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "Access denied"));
    CU_ASSERT_PTR_NULL(strstr(err.message, "Wr0ng-Pa55word"));
    CU_ASSERT_PTR_NULL(strstr(err.detail, "Wr0ng-Pa55word"));
    CU_ASSERT_PTR_NULL(strstr(err.hint, "Wr0ng-Pa55word"));
    CU_ASSERT_EQUAL(err.native_code, T_ER_ACCESS_DENIED);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "28000");
    fprintf(stderr, "\n    wrong password: %s\n", err.message);
}

static void
test_exec_and_query(void)
{
    char db[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;
    static dt_rows r;

    T_OPEN("exec", u, db, c);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(20), c DOUBLE)", &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c,
                            "INSERT INTO t VALUES (1, 'one', 1.5), (2, NULL, NULL), "
                            "(3, 'a;b', -2)",
                            &err),
                    STRATA_OK);
    /* exec ignores rows, and a text with only a comment is no error */
    CU_ASSERT_EQUAL(dt_exec(c, "SELECT * FROM t", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "-- nothing here", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "# nor here\n/* nor here */", &err), STRATA_OK);

    CU_ASSERT_EQUAL(dt_query(c, "SELECT a, b, c, `a` + 1 FROM t ORDER BY a", &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(r.n, 3);
    CU_ASSERT_EQUAL(r.ncols, 4);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "1");
    CU_ASSERT_STRING_EQUAL(r.cell[0][1], "one");
    CU_ASSERT_STRING_EQUAL(r.cell[0][2], "1.5");
    CU_ASSERT_FALSE(r.null[0][1]);
    CU_ASSERT_TRUE(r.null[1][1]);
    CU_ASSERT_TRUE(r.null[1][2]);
    CU_ASSERT_FALSE(r.null[1][0]);
    CU_ASSERT_STRING_EQUAL(r.cell[2][1], "a;b");
    CU_ASSERT_STRING_EQUAL(r.cell[2][3], "4");

    /* no rows: fn is not called; a statement with no result set: neither */
    CU_ASSERT_EQUAL(dt_query(c, "SELECT a FROM t WHERE a > 10", &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL(r.n, 0);
    CU_ASSERT_EQUAL(dt_query(c, "UPDATE t SET c = 0 WHERE a = 3", &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL(r.n, 0);
    CU_ASSERT_EQUAL(drv->query(c, "SELECT 1", NULL, NULL, &err), STRATA_OK);

    /* fn stops the rows; the connection is ready for the next statement */
    r.stop_after = 2;
    CU_ASSERT_EQUAL(dt_query(c, "SELECT a FROM t ORDER BY a", &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL(r.n, 2);
    r.stop_after = 0;
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT COUNT(*) FROM t"), 3);
    dt_close(c);
}

static void
test_transactions(void)
{
    char db[64];
    strata_conn *c = NULL, *other = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    T_OPEN("tx", u, db, c);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a INT) ENGINE=InnoDB", &err), STRATA_OK);

    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (1)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (2)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT COUNT(*) FROM t"), 2);
    CU_ASSERT_EQUAL(drv->rollback(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT COUNT(*) FROM t"), 0);

    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (3)", &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(t_connect(&u, &other, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(other, "SELECT COUNT(*) FROM t"), 0); /* not committed yet */
    CU_ASSERT_EQUAL(drv->commit(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(other, "SELECT SUM(a) FROM t"), 3);

    /* rollback with no transaction open is harmless */
    CU_ASSERT_EQUAL(drv->rollback(c, &err), STRATA_OK);
    dt_close(other);
    dt_close(c);
}

/* Checks that exec(sql) fails with a syntax error pointing at the first byte of want. */
static void
t_assert_syntax_at(strata_conn *c, const char *sql, const char *want)
{
    strata_error err = STRATA_ERROR_INIT;
    long expect = (long)(want - sql) + 1;

    CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.native_code, T_ER_PARSE_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42000");
    CU_ASSERT_EQUAL(err.position, expect);
    if (err.position != expect)
        fprintf(stderr, "\n    position %ld, want %ld: %s\n", err.position, expect, err.message);
}

static void
test_syntax_error_position(void)
{
    static const char sql[] = "CREATE TABLE t (\n"
                              "  a INT,\n"
                              "  b INT NOT NUL,\n"
                              "  c INT\n"
                              ")";
    static const char twice[] = "SELECT 1 FROM t WHERE a = 1 1";
    static const char lead[] = "\n\n  SELECT 1,\n  2 3";
    static const char longline[] =
        "SELECT 1\n"
        "FROM t WHERE a = 1 b, c INT, d INT, e INT, f INT, g INT, h INT, i INT, j INT, k INT, "
        "l INT, m INT, n INT, o INT";
    char db[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;
    const char *line3 = strstr(sql, "  b INT");

    T_OPEN("syntax", u, db, c);
    CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_EQUAL(err.native_code, T_ER_PARSE_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42000");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "at line 3"));
    /* on line 3 (bytes 27..42), at "NUL" */
    CU_ASSERT(err.position >= (long)(line3 - sql) + 1);
    CU_ASSERT(err.position <= (long)(strchr(line3, '\n') - sql));
    CU_ASSERT_EQUAL(err.position, (long)(strstr(sql, "NUL,") - sql) + 1);
    CU_ASSERT_PTR_NULL(strchr(err.message, '\n'));
    fprintf(stderr, "\n    syntax error at byte %ld: %s\n", err.position, err.message);

    /* the near-text "1" occurs twice on the line: the statement's tail settles it */
    t_assert_syntax_at(c, twice, twice + strlen(twice) - 1);
    /* the server drops leading white space before counting lines */
    t_assert_syntax_at(c, lead, strchr(lead, '3'));
    /* a near-text cut at 80 characters ("...") is still found */
    t_assert_syntax_at(c, longline, strstr(longline, "b, c INT"));

    /* query() reports positions too, and the connection is still usable */
    CU_ASSERT_EQUAL(drv->query(c, "SELECT 1,\nFROM", dt_collect, NULL, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.position, 11);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT 7"), 7);
    dt_close(c);
}

static void
test_runtime_error(void)
{
    char db[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;
    static dt_rows r;

    T_OPEN("runtime", u, db, c);
    /* exec() may answer NOT_FOUND as query() does; the core counts it as an error */
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO nosuch VALUES (1)", &err),
                    STRATA_NOT_FOUND); /* allowed (driver.h) */
    CU_ASSERT_EQUAL(err.status, STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.native_code, T_ER_NO_SUCH_TABLE);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42S02");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "nosuch"));
    CU_ASSERT_EQUAL(err.position, 0);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT * FROM nosuch", &r, &err), STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.native_code, T_ER_NO_SUCH_TABLE);
    CU_ASSERT_EQUAL(r.n, 0);
    /* a constraint error, then the connection goes on */
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a INT PRIMARY KEY)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (1), (1)", &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "23000");
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT COUNT(*) FROM t"), 0);
    dt_close(c);
}

static void
test_procedure(void)
{
    static const char proc[] = "CREATE PROCEDURE fill(IN n INT)\n"
                               "BEGIN\n"
                               "  DECLARE i INT DEFAULT 0;\n"
                               "  WHILE i < n DO\n"
                               "    INSERT INTO t VALUES (i);\n"
                               "    SET i = i + 1;\n"
                               "  END WHILE;\n"
                               "  SELECT COUNT(*) AS n FROM t;\n"
                               "  SELECT 'done';\n"
                               "END";
    static const char fails[] = "CREATE PROCEDURE fails()\n"
                                "BEGIN\n"
                                "  SELECT 1;\n"
                                "  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stop here';\n"
                                "END";
    char db[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;
    static dt_rows r;

    T_OPEN("proc", u, db, c);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a INT)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, proc, &err), STRATA_OK);
    if (err.message[0] != '\0')
        fprintf(stderr, "\n    CREATE PROCEDURE: %s\n", err.message);
    /* exec drains the two result sets and the status */
    CU_ASSERT_EQUAL(dt_exec(c, "CALL fill(3)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT COUNT(*) FROM t"), 3);
    /* query hands over the first result set and drains the rest */
    CU_ASSERT_EQUAL(dt_query(c, "CALL fill(2)", &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "5");
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT 8"), 8);

    /* an error raised after a result set arrives too, and the connection goes on */
    CU_ASSERT_EQUAL(dt_exec(c, fails, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "CALL fails()", &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "45000");
    CU_ASSERT_STRING_EQUAL(err.message, "stop here");
    CU_ASSERT_EQUAL(dt_query(c, "CALL fails()", &r, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT 9"), 9);
    dt_close(c);
}

/*
 * STRATA_CAP_AUTOCOMMIT_BATCH: statements sent in one exec() run in order, each committing
 * on its own, and stop at the first error; a compound statement may come first. This is
 * what lets a checkpoint travel with the statement it records.
 */
static void
test_autocommit_batch(void)
{
    static const char proc[] = "CREATE PROCEDURE two()\n"
                               "BEGIN\n"
                               "  INSERT INTO t VALUES (20);\n"
                               "  INSERT INTO t VALUES (21);\n"
                               "END\n"
                               ";\n"
                               "INSERT INTO t VALUES (3)";
    char db[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    T_OPEN("batch", u, db, c);
    CU_ASSERT_EQUAL(
        dt_exec(c, "CREATE TABLE t (a INT PRIMARY KEY)\n;\nINSERT INTO t VALUES (1)", &err),
        STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT COUNT(*) FROM t"), 1);
    /* the second statement fails: the first stays (committed), the third never runs */
    CU_ASSERT_EQUAL(dt_exec(c,
                            "INSERT INTO t VALUES (2);\nINSERT INTO t VALUES (1);\n"
                            "INSERT INTO t VALUES (9)",
                            &err),
                    STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "23000");
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT COUNT(*) FROM t WHERE a = 2"), 1);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT COUNT(*) FROM t WHERE a = 9"), 0);
    /* DDL then DML: the DDL is in place whatever follows */
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE u (a INT)\n;\nINSERT INTO nowhere VALUES (1)", &err),
                    STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT COUNT(*) FROM information_schema.tables WHERE "
                                 "table_schema = DATABASE() AND table_name = 'u'"),
                    1);
    /* a BEGIN ... END body followed by another statement */
    CU_ASSERT_EQUAL(dt_exec(c, proc, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "CALL two()\n;\nINSERT INTO t VALUES (4)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT COUNT(*) FROM t"), 6); /* 1 2 3 20 21 4 */
    dt_close(c);
}

static void
test_trigger(void)
{
    static const char trg[] = "CREATE TRIGGER clamp BEFORE INSERT ON t FOR EACH ROW\n"
                              "BEGIN\n"
                              "  IF NEW.a < 0 THEN\n"
                              "    SET NEW.a = 0;\n"
                              "  END IF;\n"
                              "END";
    char db[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    T_OPEN("trigger", u, db, c);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a INT)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, trg, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (-5), (7)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT SUM(a) FROM t"), 7);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT MIN(a) FROM t"), 0);
    dt_close(c);
}

/* The types describe() gave make the history tables' columns behave as documented. */
static void
test_types(void)
{
    char db[64], cols[256];
    strata_conn *c = NULL;
    strata_url u;

    T_OPEN("types", u, db, c);
    dt_check_types(c, "typed", "numbered");
    CU_ASSERT_STRING_EQUAL(
        dt_text(c,
                "SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME, ':', COLUMN_TYPE) ORDER BY "
                "ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME = 'typed'",
                cols, sizeof(cols)),
        "k:varchar(64),t:text,i:int(11),b:bigint(20),ts:datetime");
    CU_ASSERT_STRING_EQUAL(dt_text(c,
                                   "SELECT CONCAT(ENGINE, ' ', TABLE_COLLATION) FROM "
                                   "information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                                   "AND TABLE_NAME = 'numbered'",
                                   cols, sizeof(cols)),
                           "InnoDB utf8mb4_general_ci");
    dt_close(c);
}

/* Text hostile to quoting, for the round trips. MySQL names hold no character beyond the
 * BMP and end in no blank: the identifiers are the first T_IDENTS. */
static const char *const t_hostile[] = {
    "plain",
    "it's",
    "''",
    "\"double\" quotes",
    "back\\slash",
    "ends with \\",
    "\\'",
    "\\\\'; DROP TABLE x; --",
    "two\nlines",
    "tab\there",
    "tick`tick",
    "caf\xc3\xa9 \xc3\xbcn\xc3\xaf"
    "c\xc3\xb6"
    "d\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
    "%s and %d ? #",
    "emoji \xf0\x9f\x98\x80\xf0\x9f\x90\x98",
    "trailing newline\r\n",
    "",
};
#define T_HOSTILE (sizeof(t_hostile) / sizeof(t_hostile[0]))
#define T_IDENTS (T_HOSTILE - 3)

#define T_COLUMN_SQL                                                                               \
    "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "      \
    "TABLE_NAME = '%s'"

/* Hostile text goes through quote_literal and quote_ident, an INSERT and a SELECT unchanged. */
static void
test_quote_round_trip(void)
{
    char db[64];
    strata_conn *c = NULL;
    strata_url u;

    T_OPEN("quote", u, db, c);
    dt_check_round_trip(c, "rt_", t_hostile, T_IDENTS, 1, T_COLUMN_SQL);
    dt_check_round_trip(c, "lit_", t_hostile, T_HOSTILE, 0, NULL);
    dt_close(c);
}

/*
 * Text that is not valid in the connection's character set (utf8mb4) cannot be quoted:
 * quote_literal and quote_ident say so with (size_t)-1 (driver.h), so that the core refuses to
 * record such a migration name instead of the server storing something else (a non-strict
 * sql_mode cuts the value at the bad byte, with only a warning).
 */
static void
test_quote_invalid_text(void)
{
    static const char *const bad[] = {"bad \xff\xfe here", "cut \xc3", "\xed\xa0\x80 surrogate"};
    char db[64], buf[64], sql[128];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;
    size_t i, n;

    T_OPEN("badtext", u, db, c);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n = drv->quote_literal(c, bad[i], buf, sizeof(buf));
        if (n != (size_t)-1 && i == 0) {
            /* what becomes of it on the server, for the report */
            CU_ASSERT_EQUAL(dt_exec(c, "SET SESSION sql_mode = ''", &err), STRATA_OK);
            CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (v TEXT) DEFAULT CHARSET=utf8mb4", &err),
                            STRATA_OK);
            snprintf(sql, sizeof(sql), "INSERT INTO t VALUES (%s)", buf);
            CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_OK);
            fprintf(stderr,
                    "\n    REGRESSION (drivers/mysql/mysql.c, md_quote_literal/md_quote_ident): "
                    "\"bad \\xff\\xfe here\" is quoted as if valid utf8mb4 (%zu bytes); under a "
                    "non-strict sql_mode the server stores \"%s\"\n",
                    n, dt_text(c, "SELECT v FROM t", sql, sizeof(sql)));
        }
        CU_ASSERT_EQUAL(n, (size_t)-1);
        CU_ASSERT_EQUAL(drv->quote_ident(c, bad[i], buf, sizeof(buf)), (size_t)-1);
    }
    /* valid text of every length of sequence still quotes */
    CU_ASSERT_EQUAL(
        drv->quote_literal(c, "\x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", buf, sizeof(buf)), 15);
    dt_close(c);
}

/*
 * A session with NO_BACKSLASH_ESCAPES in its sql_mode (set before describe(), as the driver
 * has no URL parameter for session settings): describe() leaves STRATA_LEX_BACKSLASH_ESCAPES
 * out, a backslash is quoted as itself, and hostile text still round-trips.
 */
static void
test_quote_round_trip_no_backslash_escapes(void)
{
    char db[64], buf[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL_FATAL(t_fresh_db("nbe", &u, db, sizeof(db)), 0);
    CU_ASSERT_EQUAL_FATAL(
        dt_connect_setup(
            &u, NULL, "SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES')",
            &c, &err),
        STRATA_OK);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(dt_text(c, "SELECT @@SESSION.sql_mode", buf, sizeof(buf)), "NO_BACKSLASH_ESCAPES"));
    t_check_describe(dt_described(c), db, 0);
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\b'c", buf, sizeof(buf)), 8);
    CU_ASSERT_STRING_EQUAL(buf, "'a\\b''c'");
    dt_check_round_trip(c, "rt_", t_hostile, T_IDENTS, 1, T_COLUMN_SQL);
    dt_check_round_trip(c, "lit_", t_hostile, T_HOSTILE, 0, NULL);
    dt_close(c);
}

/*
 * query() says STRATA_NOT_FOUND for a table (1146) or database (1049) that is not there, and
 * STRATA_ERROR for everything else: a syntax error, a missing column.
 */
static void
test_not_found(void)
{
    char db[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;
    static dt_rows r;

    T_OPEN("notfound", u, db, c);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE here (a INT)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT a FROM nosuch", &r, &err), STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.status, STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.native_code, T_ER_NO_SUCH_TABLE);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT a FROM strata_no_such_db.here", &r, &err),
                    STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(dt_query(c, "SHOW TABLES FROM strata_no_such_db", &r, &err), STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.native_code, T_ER_BAD_DB);
    CU_ASSERT_EQUAL(dt_query(c, "USE strata_no_such_db", &r, &err), STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.native_code, T_ER_BAD_DB);

    CU_ASSERT_EQUAL(dt_query(c, "SELEC a FROM here", &r, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_EQUAL(err.native_code, T_ER_PARSE_ERROR);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT nosuch FROM here", &r, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.native_code, T_ER_BAD_FIELD);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT COUNT(*) FROM here", &r, &err), STRATA_OK);
    dt_close(c);
}

/*
 * utc_timestamps(on) renders TIMESTAMP columns in UTC whatever the session's time zone, and
 * off puts the session's zone back, a named one included.
 */
static void
test_utc_timestamps(void)
{
    char db[64], text[64], zone[64];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    T_OPEN("utc", u, db, c);
    CU_ASSERT_TRUE_FATAL(STRATA_DRIVER_HAS(drv, utc_timestamps));
    CU_ASSERT_EQUAL(dt_exec(c, "SET time_zone = '+05:00'", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (at TIMESTAMP NULL, dt DATETIME)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(
        dt_exec(c, "INSERT INTO t VALUES ('2024-01-02 03:04:05', '2024-01-02 03:04:05')", &err),
        STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT at FROM t", text, sizeof(text)),
                           "2024-01-02 03:04:05");

    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->utc_timestamps(c, 1, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT at FROM t", text, sizeof(text)),
                           "2024-01-01 22:04:05");
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT dt FROM t", text, sizeof(text)),
                           "2024-01-02 03:04:05"); /* a DATETIME has no zone to convert */
    CU_ASSERT_EQUAL(drv->utc_timestamps(c, 0, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT @@SESSION.time_zone", text, sizeof(text)), "+05:00");
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT at FROM t", text, sizeof(text)),
                           "2024-01-02 03:04:05");

    /* the server's default zone, SYSTEM, comes back too */
    CU_ASSERT_EQUAL(dt_exec(c, "SET time_zone = DEFAULT", &err), STRATA_OK);
    dt_text(c, "SELECT @@SESSION.time_zone", zone, sizeof(zone));
    CU_ASSERT(zone[0] != '\0');
    CU_ASSERT_EQUAL(drv->utc_timestamps(c, 1, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT @@SESSION.time_zone", text, sizeof(text)), "+00:00");
    CU_ASSERT_EQUAL(drv->utc_timestamps(c, 0, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT @@SESSION.time_zone", text, sizeof(text)), zone);
    /* off when it is not on changes nothing */
    CU_ASSERT_EQUAL(drv->utc_timestamps(c, 0, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT @@SESSION.time_zone", text, sizeof(text)), zone);
    dt_close(c);
}

static void
test_quote_conventions(void)
{
    char buf[32];
    strata_conn *c = t_admin;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a`b", buf, sizeof(buf)), 6);
    CU_ASSERT_STRING_EQUAL(buf, "`a``b`");
    CU_ASSERT_EQUAL(drv->quote_ident(c, "x\"y", buf, sizeof(buf)), 5);
    CU_ASSERT_STRING_EQUAL(buf, "`x\"y`");
    /* the client library's escaping: with backslash escapes on (the default sql_mode), a
     * quote is escaped with a backslash */
    CU_ASSERT_EQUAL(drv->quote_literal(c, "it's", buf, sizeof(buf)), 7);
    CU_ASSERT_STRING_EQUAL(buf, "'it\\'s'");
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\b", buf, sizeof(buf)), 6);
    CU_ASSERT_STRING_EQUAL(buf, "'a\\\\b'");
    CU_ASSERT_EQUAL(drv->quote_literal(c, "", buf, sizeof(buf)), 2);
    CU_ASSERT_STRING_EQUAL(buf, "''");

    /* size 0 writes nothing; small sizes truncate and stay NUL-terminated */
    memset(buf, '#', sizeof(buf));
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a`b", buf, 0), 6);
    CU_ASSERT_EQUAL(buf[0], '#');
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\b", NULL, 0), 6);
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a`b", buf, 1), 6);
    CU_ASSERT_STRING_EQUAL(buf, "");
    memset(buf, '#', sizeof(buf));
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a`b", buf, 4), 6);
    CU_ASSERT_STRING_EQUAL(buf, "`a`");
    CU_ASSERT_EQUAL(buf[4], '#');
    CU_ASSERT_EQUAL(drv->quote_literal(c, "it's", buf, 7), 7);
    CU_ASSERT_STRING_EQUAL(buf, "'it\\'s");
}

/* The server connection id of c, as text. */
static const char *
t_conn_id(strata_conn *c, char *buf, size_t size)
{
    return dt_text(c, "SELECT CONNECTION_ID()", buf, size);
}

static void
test_lock(void)
{
    char db[64], id[32], want[256];
    strata_conn *a = NULL, *b = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;
    long long t0, elapsed;

    T_OPEN("lock", u, db, a);
    CU_ASSERT_EQUAL_FATAL(t_connect(&u, &b, &err), STRATA_OK);
    t_conn_id(a, id, sizeof(id));
    CU_ASSERT(id[0] != '\0');

    CU_ASSERT_EQUAL(drv->lock(a, ".strata_migrations", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(a, ".strata_migrations", 0, &err), STRATA_OK); /* still ours */
    snprintf(want, sizeof(want), "SELECT IS_USED_LOCK('strata:%s:.strata_migrations')", db);
    CU_ASSERT_EQUAL(dt_scalar(b, want), atol(id));

    t0 = dt_now_ms();
    CU_ASSERT_EQUAL(drv->lock(b, ".strata_migrations", 150, &err), STRATA_LOCK_TIMEOUT);
    elapsed = dt_now_ms() - t0;
    CU_ASSERT(elapsed >= 150 && elapsed < 2000);
    CU_ASSERT_EQUAL(err.status, STRATA_LOCK_TIMEOUT);
    snprintf(want, sizeof(want),
             "timed out after 150 ms waiting for the migration lock 'strata:%s:.strata_migrations'"
             ", held by connection %s (user ",
             db, id);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.hint, "--lock-timeout"));
    fprintf(stderr, "\n    lock timeout message: %s\n    hint: %s\n", err.message, err.hint);

    /* 0 tries once */
    t0 = dt_now_ms();
    CU_ASSERT_EQUAL(drv->lock(b, ".strata_migrations", 0, &err), STRATA_LOCK_TIMEOUT);
    CU_ASSERT(dt_now_ms() - t0 < 500);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "timed out after 0 ms"));
    /* another name is another lock; a connection holds one name at a time */
    CU_ASSERT_EQUAL(drv->lock(b, "other", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(b, "third", 0, &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(drv->unlock(b, "other", &err), STRATA_OK);

    /* the lock is no transaction: DDL and commits go on while it is held */
    CU_ASSERT_EQUAL(dt_exec(a, "CREATE TABLE t (a INT)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->begin(a, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(a, "INSERT INTO t VALUES (1)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->commit(a, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(b, ".strata_migrations", 0, &err), STRATA_LOCK_TIMEOUT);

    CU_ASSERT_EQUAL(drv->unlock(a, ".strata_migrations", &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(b, ".strata_migrations", 1000, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(a, ".strata_migrations", 0, &err), STRATA_LOCK_TIMEOUT);
    /* a's unlock of a lock b holds fails and leaves it to b */
    CU_ASSERT_EQUAL(drv->unlock(a, ".strata_migrations", &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(drv->unlock(b, ".strata_migrations", &err), STRATA_OK);
    /* unlocking what nobody holds is fine */
    CU_ASSERT_EQUAL(drv->unlock(b, ".strata_migrations", &err), STRATA_OK);
    dt_close(b);
    dt_close(a);
}

static void
test_lock_long_name(void)
{
    char db[64], name[201], id[32], sql[128];
    strata_conn *a = NULL, *b = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    T_OPEN("locklong", u, db, a);
    CU_ASSERT_EQUAL_FATAL(t_connect(&u, &b, &err), STRATA_OK);
    memset(name, 'n', 200);
    name[200] = '\0';
    CU_ASSERT_EQUAL(drv->lock(a, name, 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(b, name, 0, &err), STRATA_LOCK_TIMEOUT);
    CU_ASSERT(strlen(err.message) < sizeof(err.message) - 1);
    t_conn_id(a, id, sizeof(id));
    snprintf(sql, sizeof(sql), "held by connection %s", id);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, sql));
    /* the server sees "strata:" and 16 hex digits */
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "'strata:"));
    CU_ASSERT_EQUAL(strchr(strstr(err.message, "'strata:") + 1, '\'') -
                        strstr(err.message, "'strata:"),
                    1 + 7 + 16);
    /* names differing only beyond 64 characters are different locks */
    name[199] = 'm';
    CU_ASSERT_EQUAL(drv->lock(b, name, 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->unlock(b, name, &err), STRATA_OK);
    name[199] = 'n';
    CU_ASSERT_EQUAL(drv->unlock(a, name, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(b, name, 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->unlock(b, name, &err), STRATA_OK);
    dt_close(b);
    dt_close(a);
}

/* A migration's USE changes DATABASE(); unlock() still releases what lock() took. */
static void
test_lock_after_use(void)
{
    char db[64], other[64], sql[128];
    strata_conn *a = NULL, *b = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u, u2;

    T_OPEN("lockuse", u, db, a);
    CU_ASSERT_EQUAL_FATAL(t_fresh_db("lockuse2", &u2, other, sizeof(other)), 0);
    CU_ASSERT_EQUAL_FATAL(t_connect(&u, &b, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(a, "x", 0, &err), STRATA_OK);
    snprintf(sql, sizeof(sql), "USE `%s`", other);
    CU_ASSERT_EQUAL(dt_exec(a, sql, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->unlock(a, "x", &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(b, "x", 0, &err), STRATA_OK);
    dt_close(b);
    dt_close(a);
}

static void
test_lock_released_by_close(void)
{
    char db[64];
    strata_conn *a = NULL, *b = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    T_OPEN("lockclose", u, db, a);
    CU_ASSERT_EQUAL_FATAL(t_connect(&u, &b, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(a, "x", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(b, "x", 0, &err), STRATA_LOCK_TIMEOUT);
    dt_close(a);
    CU_ASSERT_EQUAL(drv->lock(b, "x", 2000, &err), STRATA_OK);
    dt_close(b);
}

/* Releases the lock it is given after 200 ms (for a waiter with no timeout). */
static void *
t_release_later(void *arg)
{
    strata_error err = STRATA_ERROR_INIT;

    usleep(200 * 1000);
    return (void *)(long)drv->unlock(arg, "x", &err);
}

static void
test_lock_wait_forever(void)
{
    char db[64];
    strata_conn *a = NULL, *b = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;
    pthread_t th;
    long long t0;
    void *rc = NULL;

    T_OPEN("lockwait", u, db, a);
    CU_ASSERT_EQUAL_FATAL(t_connect(&u, &b, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(drv->lock(a, "x", 0, &err), STRATA_OK);
    t0 = dt_now_ms();
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, t_release_later, a), 0);
    CU_ASSERT_EQUAL(drv->lock(b, "x", -1, &err), STRATA_OK);
    CU_ASSERT(dt_now_ms() - t0 >= 150);
    pthread_join(th, &rc);
    CU_ASSERT_EQUAL((long)rc, STRATA_OK);
    dt_close(b);
    dt_close(a);
}

static void
test_lost_connection(void)
{
    char db[64], id[32], sql[64];
    strata_conn *a = NULL, *b = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;

    T_OPEN("lost", u, db, a);
    CU_ASSERT_EQUAL_FATAL(t_connect(&u, &b, &err), STRATA_OK);
    snprintf(sql, sizeof(sql), "KILL %s", t_conn_id(b, id, sizeof(id)));
    CU_ASSERT_EQUAL(dt_exec(a, sql, &err), STRATA_OK);
    usleep(100 * 1000);
    CU_ASSERT_EQUAL(dt_exec(b, "SELECT 1", &err), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "lost the connection to the server"));
    CU_ASSERT(err.native_code == T_CR_SERVER_GONE || err.native_code == T_CR_SERVER_LOST);
    CU_ASSERT(err.hint[0] != '\0');
    fprintf(stderr, "\n    lost: %s\n", err.message);
    /* nothing reconnects behind the caller's back */
    CU_ASSERT_EQUAL(dt_exec(b, "SELECT 1", &err), STRATA_ERROR);
    dt_close(b);
    dt_close(a);
}

/* ---- snapshot and scratch databases ---- */

#define T_SNAP_MAX 256 /* objects one snapshot of these tests reports, at most */

/* Objects a snapshot reported, one "kind<TAB>name<TAB>definition" line each. */
typedef struct t_snap {
    char *line[T_SNAP_MAX]; /* owned */
    int n;                  /* calls of fn, kept or not */
    int stop_after;         /* fn asks to stop after this many; 0: never */
} t_snap;

static const char *const t_kind_names[] = {
    [STRATA_OBJ_SCHEMA] = "schema",   [STRATA_OBJ_SEQUENCE] = "sequence",
    [STRATA_OBJ_ENUM] = "enum",       [STRATA_OBJ_TABLE] = "table",
    [STRATA_OBJ_COLUMN] = "column",   [STRATA_OBJ_CONSTRAINT] = "constraint",
    [STRATA_OBJ_INDEX] = "index",     [STRATA_OBJ_VIEW] = "view",
    [STRATA_OBJ_TRIGGER] = "trigger", [STRATA_OBJ_FUNCTION] = "function",
    [STRATA_OBJ_DOMAIN] = "domain",
};

static int
t_snap_object(void *ctx, strata_object_kind kind, const char *name, const char *definition)
{
    t_snap *s = ctx;
    const char *k =
        kind >= STRATA_OBJ_SCHEMA && kind <= STRATA_OBJ_DOMAIN ? t_kind_names[kind] : "unknown";
    char *line;

    CU_ASSERT_PTR_NOT_NULL(name);
    CU_ASSERT_PTR_NOT_NULL(definition);
    if (s->n < T_SNAP_MAX && name != NULL && definition != NULL &&
        (line = malloc(strlen(k) + strlen(name) + strlen(definition) + 3)) != NULL) {
        sprintf(line, "%s\t%s\t%s", k, name, definition);
        s->line[s->n] = line;
    }
    s->n++;
    return s->stop_after > 0 && s->n >= s->stop_after;
}

static int
t_line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Snapshots c, skipping skip, and returns the objects as sorted lines, each ending "\n"
 * (the caller frees it), or NULL when snapshot() failed (err says why).
 */
static char *
t_snapshot(strata_conn *c, const char *const *skip, strata_error *err)
{
    static t_snap s;
    size_t size = 1;
    char *text = NULL;
    int i, rc;

    memset(&s, 0, sizeof(s));
    dt_error_init(err);
    rc = drv->snapshot(c, skip, t_snap_object, &s, err);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    CU_ASSERT(s.n < T_SNAP_MAX);
    if (rc != STRATA_OK)
        fprintf(stderr, "\n    snapshot: %s\n", err->message);
    if (s.n > T_SNAP_MAX)
        s.n = T_SNAP_MAX;
    qsort(s.line, (size_t)s.n, sizeof(s.line[0]), t_line_cmp);
    for (i = 0; i < s.n; i++)
        size += strlen(s.line[i]) + 1;
    if (rc == STRATA_OK && (text = malloc(size)) != NULL) {
        text[0] = '\0';
        for (i = 0; i < s.n; i++) {
            strcat(text, s.line[i]);
            strcat(text, "\n");
        }
    }
    for (i = 0; i < s.n; i++)
        free(s.line[i]);
    return text;
}

/* Whether text holds the line "kind<TAB>name<TAB>definition". */
static int
t_has_object(const char *text, const char *kind, const char *name, const char *definition)
{
    char want[1024];
    const char *p;
    size_t n = (size_t)snprintf(want, sizeof(want), "%s\t%s\t%s\n", kind, name, definition);

    for (p = text; p != NULL && *p != '\0';
         p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, want, n) == 0)
            return 1;
    }
    fprintf(stderr, "\n    missing: %s", want);
    return 0;
}

/* Runs each statement of sql (NULL-terminated) in c; fatal on the first failure. */
static void
t_exec_all(strata_conn *c, const char *const *sql)
{
    strata_error err = STRATA_ERROR_INIT;

    for (; *sql != NULL; sql++) {
        int rc = dt_exec(c, *sql, &err);
        if (rc != STRATA_OK)
            fprintf(stderr, "\n    %s\n    failed: %s\n", *sql, err.message);
        CU_ASSERT_EQUAL_FATAL(rc, STRATA_OK);
    }
}

/* strata's own tables, left out of every snapshot. */
static const char *const t_skip[] = {"strata_history", "strata_lock", NULL};

/* A schema of every kind MariaDB has, and strata's tables beside it. */
static const char *const t_schema[] = {
    "CREATE TABLE users (id INT NOT NULL AUTO_INCREMENT, email VARCHAR(200) NOT NULL, "
    "name VARCHAR(100) COLLATE utf8mb4_bin DEFAULT 'anon', age INT CHECK (age >= 0), bio TEXT, "
    "created DATETIME DEFAULT CURRENT_TIMESTAMP, "
    "label VARCHAR(310) AS (CONCAT(name, ':', email)) STORED, PRIMARY KEY (id), "
    "UNIQUE KEY users_email (email), KEY users_bio (bio(10)), "
    "CONSTRAINT users_age_max CHECK (age < 200)) "
    "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
    "CREATE TABLE posts (id BIGINT NOT NULL, user_id INT NOT NULL, "
    "title VARCHAR(50) NOT NULL DEFAULT '', body JSON, PRIMARY KEY (id, user_id), "
    "KEY posts_title (title DESC, id), CONSTRAINT posts_user FOREIGN KEY (user_id) "
    "REFERENCES users (id) ON DELETE CASCADE) "
    "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
    "CREATE TABLE logs (msg VARCHAR(100)) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 "
    "COLLATE=utf8mb4_general_ci",
    "CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18",
    "CREATE TRIGGER users_lower BEFORE INSERT ON users FOR EACH ROW "
    "SET NEW.email = LOWER(NEW.email)",
    "CREATE FUNCTION add_one(a INT, b VARCHAR(10)) RETURNS INT DETERMINISTIC RETURN a + 1",
    "CREATE PROCEDURE bump(IN n INT, OUT m DECIMAL(10,2))\nBEGIN\n  SET m = n + 1;\nEND",
    "CREATE SEQUENCE tickets START WITH 100 INCREMENT BY 5",
    "CREATE TABLE strata_history (version VARCHAR(50) NOT NULL PRIMARY KEY, at DATETIME, "
    "owner INT, KEY strata_history_at (at), CHECK (owner > 0), "
    "CONSTRAINT strata_history_owner FOREIGN KEY (owner) REFERENCES users (id))",
    "CREATE TRIGGER strata_history_at BEFORE INSERT ON strata_history FOR EACH ROW "
    "SET NEW.at = NOW()",
    "CREATE TABLE strata_lock (id INT)",
    NULL,
};

/* The md5 of text, as the server computes it, into out. */
static const char *
t_md5(strata_conn *c, const char *text, char *out, size_t size)
{
    char sql[512];

    snprintf(sql, sizeof(sql), "SELECT MD5('%s')", text);
    return dt_text(c, sql, out, size);
}

static int
t_stop_first(void *ctx, strata_object_kind kind, const char *name, const char *definition)
{
    (void)kind;
    (void)name;
    (void)definition;
    (*(int *)ctx)++;
    return 1;
}

/*
 * snapshot() reports every kind of object of the home database as the driver guide says,
 * named by content where MariaDB generates names, and leaves out the skipped tables with
 * everything of theirs, and the database's own name.
 */
static void
test_snapshot(void)
{
    char db[64], md5[40], def[128];
    strata_conn *c = NULL, *nohome = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u;
    char *text;
    int calls = 0;

    T_OPEN("snap", u, db, c);
    CU_ASSERT_TRUE_FATAL(STRATA_DRIVER_HAS(drv, snapshot));
    t_exec_all(c, t_schema);
    text = t_snapshot(c, t_skip, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);

    CU_ASSERT(t_has_object(text, "table", "users", "engine=InnoDB"));
    CU_ASSERT(t_has_object(text, "table", "logs", "engine=MyISAM"));
    CU_ASSERT_PTR_NULL(strstr(text, "table\tadults"));  /* a view is no table */
    CU_ASSERT_PTR_NULL(strstr(text, "table\ttickets")); /* nor a sequence */
    CU_ASSERT(t_has_object(text, "column", "users.id", "#1 int(11) not null auto_increment"));
    CU_ASSERT(t_has_object(text, "column", "users.email", "#2 varchar(200) not null"));
    CU_ASSERT(t_has_object(text, "column", "users.name",
                           "#3 varchar(100) default 'anon' collate utf8mb4_bin"));
    CU_ASSERT(t_has_object(text, "column", "users.age", "#4 int(11)")); /* NULL: no default */
    CU_ASSERT(
        t_has_object(text, "column", "users.created", "#6 datetime default current_timestamp()"));
    CU_ASSERT(t_has_object(text, "column", "users.label",
                           "#7 varchar(310) generated always as (concat(`name`,':',`email`)) "
                           "stored"));
    CU_ASSERT(t_has_object(text, "column", "posts.title", "#3 varchar(50) not null default ''"));
    CU_ASSERT(t_has_object(text, "column", "posts.body", "#4 longtext collate utf8mb4_bin"));
    CU_ASSERT_PTR_NULL(strstr(text, "column\tadults.")); /* a view's columns are the view's */
    CU_ASSERT_PTR_NULL(strstr(text, "column\ttickets."));
    CU_ASSERT(t_has_object(text, "constraint", "users.primary key (id)", ""));
    CU_ASSERT(t_has_object(text, "constraint", "posts.primary key (id, user_id)", ""));
    CU_ASSERT(t_has_object(text, "constraint", "posts.foreign key (user_id) references users (id)",
                           "on update restrict on delete cascade"));
    CU_ASSERT(t_has_object(text, "constraint", "users.check (`age` >= 0)", ""));
    CU_ASSERT(t_has_object(text, "constraint", "users.check (`age` < 200)", ""));
    CU_ASSERT_PTR_NULL(strstr(text, "json_valid")); /* MariaDB's check of a JSON column */
    CU_ASSERT(t_has_object(text, "index", "users.users_email", "unique btree (email)"));
    CU_ASSERT(t_has_object(text, "index", "users.users_bio", "btree (bio(10))"));
    CU_ASSERT(t_has_object(text, "index", "posts.posts_title", "btree (title desc, id)"));
    CU_ASSERT_PTR_NULL(strstr(text, "PRIMARY"));
    CU_ASSERT_PTR_NULL(strstr(text, "index\tposts.posts_user")); /* the foreign key's own */
    CU_ASSERT(t_has_object(text, "view", "adults",
                           "select `users`.`id` AS `id`,`users`.`email` AS `email` from `users` "
                           "where `users`.`age` >= 18"));
    snprintf(def, sizeof(def), "before insert for each row body md5:%s",
             t_md5(c, "SET NEW.email = LOWER(NEW.email)", md5, sizeof(md5)));
    CU_ASSERT(t_has_object(text, "trigger", "users.users_lower", def));
    snprintf(def, sizeof(def), "function returns int(11) language sql body md5:%s",
             t_md5(c, "RETURN a + 1", md5, sizeof(md5)));
    CU_ASSERT(t_has_object(text, "function", "add_one(int(11), varchar(10))", def));
    snprintf(def, sizeof(def), "procedure language sql body md5:%s",
             t_md5(c, "BEGIN SET m = n + 1; END", md5, sizeof(md5)));
    CU_ASSERT(t_has_object(text, "function", "bump(int(11), out decimal(10,2))", def));
    CU_ASSERT(t_has_object(text, "sequence", "tickets",
                           "start 100 increment 5 min 1 max 9223372036854775806 cache 1000 "
                           "no cycle"));
    /* strata's tables and all of theirs are left out; the database's name never shows */
    CU_ASSERT_PTR_NULL(strstr(text, "strata_history"));
    CU_ASSERT_PTR_NULL(strstr(text, "strata_lock"));
    CU_ASSERT_PTR_NULL(strstr(text, "owner"));
    CU_ASSERT_PTR_NULL(strstr(text, db));
    fprintf(stderr, "\n%s", text);
    free(text);

    /* without skip_tables, strata's tables are objects like any */
    text = t_snapshot(c, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT(t_has_object(text, "table", "strata_history", "engine=InnoDB"));
    CU_ASSERT(t_has_object(text, "constraint", "strata_history.check (`owner` > 0)", ""));
    CU_ASSERT(t_has_object(text, "constraint",
                           "strata_history.foreign key (owner) references users (id)",
                           "on update restrict on delete restrict"));
    CU_ASSERT(t_has_object(text, "index", "strata_history.strata_history_at", "btree (at)"));
    free(text);

    /* a USE elsewhere does not change what is read: the database the URL named */
    CU_ASSERT_EQUAL(dt_exec(c, "USE information_schema", &err), STRATA_OK);
    text = t_snapshot(c, t_skip, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT(t_has_object(text, "table", "users", "engine=InnoDB"));
    free(text);

    /* fn stops it: STRATA_OK after one call */
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->snapshot(c, t_skip, t_stop_first, &calls, &err), STRATA_OK);
    CU_ASSERT_EQUAL(calls, 1);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT 5"), 5);

    /* no database in the URL: nothing to read */
    u.database = NULL;
    CU_ASSERT_EQUAL_FATAL(t_connect(&u, &nohome, &err), STRATA_OK);
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->snapshot(nohome, t_skip, t_stop_first, &calls, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "names no database"));
    dt_close(nohome);
    dt_close(c);
}

/*
 * The same schema reached in another order, with other generated and constraint names,
 * other white space and qualified names, in another database, snapshots byte for byte the
 * same; so does it when strata's own tables differ.
 */
static void
test_snapshot_same_schema(void)
{
    char db[64], db2[64], view[256];
    const char *other[] = {
        "CREATE SEQUENCE tickets INCREMENT BY 5 START WITH 100",
        "CREATE TABLE strata_history (x INT)",
        "CREATE FUNCTION add_one(a INT, b VARCHAR(10)) RETURNS INT DETERMINISTIC\n"
        "RETURN   a\n  + 1",
        "CREATE TABLE logs (msg VARCHAR(100)) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 "
        "COLLATE=utf8mb4_general_ci",
        "CREATE TABLE users (id INT NOT NULL, email VARCHAR(200) NOT NULL) ENGINE=InnoDB "
        "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
        "ALTER TABLE users ADD PRIMARY KEY (id), MODIFY id INT NOT NULL AUTO_INCREMENT",
        "ALTER TABLE users ADD COLUMN name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin "
        "DEFAULT 'anon', ADD COLUMN age INT, ADD COLUMN bio TEXT, ADD COLUMN created DATETIME "
        "DEFAULT CURRENT_TIMESTAMP, ADD COLUMN label VARCHAR(310) AS (CONCAT(name, ':', email)) "
        "STORED",
        "ALTER TABLE users ADD CHECK (age < 200), ADD CONSTRAINT age_min CHECK (age >= 0)",
        "CREATE INDEX users_bio ON users (bio(10))",
        "CREATE UNIQUE INDEX users_email ON users (email)",
        "CREATE TRIGGER users_lower BEFORE INSERT ON users FOR EACH ROW\n"
        "  SET NEW.email =\n    LOWER(NEW.email)\n",
        view,
        "CREATE TABLE posts (id BIGINT NOT NULL, user_id INT NOT NULL, "
        "title VARCHAR(50) NOT NULL DEFAULT '', body JSON) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
        "COLLATE=utf8mb4_general_ci",
        "ALTER TABLE posts ADD CONSTRAINT fk_posts_users FOREIGN KEY (user_id) REFERENCES users "
        "(id) ON DELETE CASCADE ON UPDATE RESTRICT",
        "ALTER TABLE posts ADD PRIMARY KEY (id, user_id)",
        "CREATE INDEX posts_title ON posts (title DESC, id)",
        "CREATE PROCEDURE bump(IN n INT, OUT m DECIMAL(10,2)) BEGIN SET m = n + 1; END",
        NULL,
    };
    strata_conn *a = NULL, *b = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u, u2;
    char *ta, *tb;

    T_OPEN("snapa", u, db, a);
    T_OPEN("snapb", u2, db2, b);
    snprintf(view, sizeof(view),
             "CREATE VIEW adults AS\n  SELECT id, email\n  FROM `%s`.users\n  WHERE age >= 18",
             db2);
    t_exec_all(a, t_schema);
    t_exec_all(b, other);
    ta = t_snapshot(a, t_skip, &err);
    tb = t_snapshot(b, t_skip, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ta);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
    CU_ASSERT(strlen(ta) > 1000);
    CU_ASSERT_STRING_EQUAL(ta, tb);
    if (strcmp(ta, tb) != 0)
        fprintf(stderr, "\n    in %s:\n%s\n    in %s:\n%s", db, ta, db2, tb);
    CU_ASSERT_PTR_NULL(strstr(tb, db2));
    free(ta);
    free(tb);
    dt_close(b);
    dt_close(a);
}

/* Runs "DROP DATABASE IF EXISTS name" through the admin connection (cleanup). */
static void
t_drop_db(const char *name)
{
    char sql[160];
    strata_error err = STRATA_ERROR_INIT;

    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%.100s`", name);
    dt_exec(t_admin, sql, &err);
}

/* How many databases are named name. */
static long
t_db_exists(const char *name)
{
    char sql[200];

    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '%.100s'", name);
    return dt_scalar(t_admin, sql);
}

/*
 * scratch_create() makes an empty database, with the home database's character set and
 * collation, that a URL reaches by the name it writes; scratch_drop() drops it even while a
 * session in it holds a table lock, and refuses any other database.
 */
static void
test_scratch(void)
{
    char db[64], name[64], name2[64], sql[256], buf[64], small[8];
    strata_conn *c = NULL, *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u, su;
    char *text;

    T_OPEN("scratch", u, db, c);
    CU_ASSERT_TRUE_FATAL(STRATA_DRIVER_HAS(drv, scratch_create));
    CU_ASSERT_TRUE_FATAL(STRATA_DRIVER_HAS(drv, scratch_drop));
    snprintf(sql, sizeof(sql), "ALTER DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", db);
    CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_OK);

    dt_error_init(&err);
    CU_ASSERT_EQUAL_FATAL(drv->scratch_create(c, name, sizeof(name), &err), STRATA_OK);
    fprintf(stderr, "\n    scratch database: %s\n", name);
    CU_ASSERT_EQUAL(strncmp(name, "strata_scratch_", 15), 0);
    CU_ASSERT_EQUAL(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_"), strlen(name));
    CU_ASSERT_EQUAL(t_db_exists(name), 1);
    snprintf(sql, sizeof(sql),
             "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = "
             "'%s'",
             name);
    CU_ASSERT_STRING_EQUAL(dt_text(t_admin, sql, buf, sizeof(buf)), "utf8mb4_bin");
    /* another call, another database */
    CU_ASSERT_EQUAL_FATAL(drv->scratch_create(c, name2, sizeof(name2), &err), STRATA_OK);
    CU_ASSERT_STRING_NOT_EQUAL(name, name2);
    /* a name that does not fit creates nothing */
    CU_ASSERT_EQUAL(drv->scratch_create(c, small, sizeof(small), &err), STRATA_USAGE);

    /* reached with the URL's database part replaced, empty, usable */
    su = u;
    su.database = name;
    CU_ASSERT_EQUAL_FATAL(t_connect(&su, &s, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_described(s)->home_schema, name);
    text = t_snapshot(s, t_skip, &err);
    CU_ASSERT_PTR_NOT_NULL(text);
    CU_ASSERT_STRING_EQUAL(text != NULL ? text : "?", "");
    free(text);
    CU_ASSERT_EQUAL(dt_exec(s, "CREATE TABLE t (a INT PRIMARY KEY)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(s, "INSERT INTO t VALUES (1), (2)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(s, "SELECT SUM(a) FROM t"), 3);
    text = t_snapshot(s, t_skip, &err);
    CU_ASSERT_PTR_NOT_NULL(text);
    CU_ASSERT_STRING_EQUAL(text != NULL ? text : "?", "column\tt.a\t#1 int(11) not null\n"
                                                      "constraint\tt.primary key (a)\t\n"
                                                      "table\tt\tengine=InnoDB\n");
    free(text);
    /* a session in it with a transaction open, which DROP DATABASE would wait for */
    CU_ASSERT_EQUAL(drv->begin(s, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(s, "INSERT INTO t VALUES (3)", &err), STRATA_OK);

    /* other databases are refused, and stay */
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->scratch_drop(c, db, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "strata_scratch_"));
    CU_ASSERT_EQUAL(drv->scratch_drop(c, "strata_scratch_", &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(drv->scratch_drop(c, "xstrata_scratch_1", &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(t_db_exists(db), 1);

    CU_ASSERT_EQUAL(drv->scratch_drop(c, name, &err), STRATA_OK);
    CU_ASSERT_EQUAL(t_db_exists(name), 0);
    CU_ASSERT_EQUAL(drv->scratch_drop(c, name2, &err), STRATA_OK);
    CU_ASSERT_EQUAL(t_db_exists(name2), 0);
    CU_ASSERT_EQUAL(drv->scratch_drop(c, name2, &err), STRATA_OK); /* gone already: fine */
    CU_ASSERT_EQUAL(t_db_exists(db), 1);
    dt_close(s);
    dt_close(c);
    t_drop_db(name);
    t_drop_db(name2);
}

/* An account that may not create databases gets STRATA_ERROR with the server's message. */
static void
test_scratch_denied(void)
{
    char db[64], user[64], host[64], sql[256], name[64];
    strata_conn *c = NULL, *limited = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_url u, lu;

    T_OPEN("scratchno", u, db, c);
    snprintf(user, sizeof(user), "strata_t%ld", (long)getpid());
    dt_text(t_admin, "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', -1)", host, sizeof(host));
    snprintf(sql, sizeof(sql), "CREATE USER '%s'@'%s' IDENTIFIED BY 'Scr4tch-pw'", user, host);
    CU_ASSERT_EQUAL_FATAL(dt_exec(t_admin, sql, &err), STRATA_OK);
    snprintf(sql, sizeof(sql), "GRANT ALL ON `%s`.* TO '%s'@'%s'", db, user, host);
    CU_ASSERT_EQUAL(dt_exec(t_admin, sql, &err), STRATA_OK);
    lu = u;
    lu.user = user;
    lu.password = "Scr4tch-pw";
    CU_ASSERT_EQUAL(t_connect(&lu, &limited, &err), STRATA_OK);
    if (limited != NULL) {
        dt_error_init(&err);
        CU_ASSERT_EQUAL(drv->scratch_create(limited, name, sizeof(name), &err), STRATA_ERROR);
        CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
        CU_ASSERT_EQUAL(strncmp(err.message, "cannot create a scratch database: ", 34), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "denied"));
        CU_ASSERT_STRING_EQUAL(err.sqlstate, "42000");
        fprintf(stderr, "\n    denied: %s\n", err.message);
        dt_close(limited);
    }
    snprintf(sql, sizeof(sql), "DROP USER '%s'@'%s'", user, host);
    CU_ASSERT_EQUAL(dt_exec(t_admin, sql, &err), STRATA_OK);
    dt_close(c);
}

int
main(void)
{
    static const struct {
        const char *name;
        CU_TestFunc fn;
    } tests[] = {
        {"load mysql.so and reach STRATA_TEST_MYSQL_URL", test_load},
        {"entry refuses another ABI", dt_test_entry_refuses_other_abi},
        {"identity", test_identity},
        {"describe", test_describe},
        {"connect, close, server_version", test_connect_and_version},
        {"URL parameters", test_url_params},
        {"wrong password", test_wrong_password},
        {"exec and query", test_exec_and_query},
        {"begin, commit, rollback", test_transactions},
        {"syntax error position", test_syntax_error_position},
        {"runtime errors", test_runtime_error},
        {"CREATE PROCEDURE ... BEGIN ... END and CALL", test_procedure},
        {"CREATE TRIGGER ... BEGIN ... END", test_trigger},
        {"several statements in one exec: autocommit batch", test_autocommit_batch},
        {"the described types behave as documented", test_types},
        {"quote_ident and quote_literal conventions", test_quote_conventions},
        {"quoting round trips hostile text", test_quote_round_trip},
        {"... with NO_BACKSLASH_ESCAPES", test_quote_round_trip_no_backslash_escapes},
        {"text invalid in utf8mb4 cannot be quoted", test_quote_invalid_text},
        {"query: NOT_FOUND for a missing table or database only", test_not_found},
        {"utc_timestamps", test_utc_timestamps},
        {"lock between two connections", test_lock},
        {"lock with a 200-character name", test_lock_long_name},
        {"unlock after USE", test_lock_after_use},
        {"lock released by close", test_lock_released_by_close},
        {"lock waits forever with -1", test_lock_wait_forever},
        {"lost connection", test_lost_connection},
        {"snapshot: every kind of object, strata's tables left out", test_snapshot},
        {"snapshot: the same schema by another route gives the same objects",
         test_snapshot_same_schema},
        {"scratch_create and scratch_drop", test_scratch},
        {"scratch_create without the privilege", test_scratch_denied},
    };
    unsigned failed;
    CU_pSuite suite;
    size_t i;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    suite = CU_add_suite("mysql driver", NULL, t_suite_clean);
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
