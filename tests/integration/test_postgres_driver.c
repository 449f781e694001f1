/*
 * Integration tests of the PostgreSQL driver against a real server, loaded as the core
 * loads it: dlopen() of postgres.so from the first directory of STRATA_DRIVER_PATH.
 * STRATA_TEST_POSTGRES_URL names a superuser connection (tests/servers.sh starts a
 * throwaway server and sets it). A missing URL, an unreachable server or a missing driver
 * is a failure, not a skip. Connections are opened as the core opens them: connect(), then
 * describe(). Each test works in a database of its own, created here and dropped by the last
 * test.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <strata/driver.h>

#include "drivertest.h"
#include "lexer.h"
#include "testutil.h"
#include "url.h"

#define T_MAX_DBS 32
#define T_APP "strata-test"

/* What a PostgreSQL connection can do and how its scripts split (driver.h). */
#define T_CAPS                                                                                     \
    (STRATA_CAP_TRANSACTIONAL_DDL | STRATA_CAP_ADVISORY_LOCK | STRATA_CAP_COPY_IN |                \
     STRATA_CAP_SCHEMAS | STRATA_CAP_MULTI_STATEMENT | STRATA_CAP_SCRATCH_DB)
#define T_LEX_RULES                                                                                \
    (STRATA_LEX_DOLLAR_QUOTES | STRATA_LEX_E_STRINGS | STRATA_LEX_NESTED_COMMENTS |                \
     STRATA_LEX_COPY_STDIN | STRATA_LEX_PSQL_META | STRATA_LEX_ATOMIC_BLOCKS | STRATA_LEX_PARENS | \
     STRATA_LEX_STD_STRINGS)

static const strata_driver *drv;  /* loaded by test_load, unloaded by test_cleanup */
static strata_url *t_url;         /* STRATA_TEST_POSTGRES_URL, parsed; strata_url_free() last */
static strata_conn *t_admin;      /* to t_url's database: creates and drops the test databases */
static char t_dbs[T_MAX_DBS][64]; /* databases created so far */
static int t_ndbs;
static char t_role[64]; /* a login role created by test_schema_privileges, or "" */

/* ---- helpers ---- */

/* Connects to url with the schema option (may be NULL) and application T_APP. */
static int
t_connect_url(const strata_url *url, const char *schema, strata_conn **out, strata_error *err)
{
    strata_connect_options opts = {.size = sizeof(opts), .schema = schema, .application = T_APP};

    return dt_connect(url, &opts, out, err);
}

/*
 * Creates the database strata_test_PID_TAG (dropped by test_cleanup), points *url at it
 * (db holds its name and must outlive url) and connects to it.
 */
static strata_conn *
t_fresh(const char *tag, strata_url *url, char *db, size_t size)
{
    char sql[256];
    strata_conn *c = NULL;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t_admin);
    CU_ASSERT_FATAL(t_ndbs < T_MAX_DBS);
    snprintf(db, size, "strata_test_%ld_%s", (long)getpid(), tag);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db);
    CU_ASSERT_EQUAL_FATAL(dt_exec(t_admin, sql, &err), STRATA_OK);
    snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", db);
    if (dt_exec(t_admin, sql, &err) != STRATA_OK)
        fprintf(stderr, "%s: %s\n", sql, err.message);
    CU_ASSERT_EQUAL_FATAL(err.status, STRATA_OK);
    snprintf(t_dbs[t_ndbs++], sizeof(t_dbs[0]), "%s", db);
    *url = *t_url;
    url->database = db;
    if (t_connect_url(url, NULL, &c, &err) != STRATA_OK)
        fprintf(stderr, "connect to %s: %s\n", db, err.message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

static uint64_t
t_fnv(uint64_t h, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    return h;
}

/* 64-bit FNV-1a of database, its NUL, and name: the key the driver must use. */
static uint64_t
t_lock_key(const char *database, const char *name)
{
    return t_fnv(t_fnv(0xcbf29ce484222325u, database, strlen(database) + 1), name, strlen(name));
}

/* The key as PostgreSQL's signed bigint (two's complement). */
static long long
t_signed(uint64_t key)
{
    int64_t s;

    memcpy(&s, &key, sizeof(s));
    return (long long)s;
}

static void
t_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

/* ---- setup ---- */

static void
test_load(void)
{
    const char *url = getenv("STRATA_TEST_POSTGRES_URL");
    strata_error err = STRATA_ERROR_INIT;

    drv = dt_load("postgres");
    if (url == NULL || url[0] == '\0')
        fprintf(stderr, "STRATA_TEST_POSTGRES_URL is not set: start a server with "
                        "tests/servers.sh (postgres_start)\n");
    CU_ASSERT_FATAL(url != NULL && url[0] != '\0');
    CU_ASSERT_EQUAL_FATAL(strata_url_parse(url, drv->url_shape, &t_url, &err), STRATA_OK);
    if (t_connect_url(t_url, NULL, &t_admin, &err) != STRATA_OK)
        fprintf(stderr, "cannot reach the test server %s: %s\n", t_url->redacted, err.message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t_admin);
}

/* What the driver declares before any connection: ABI 2's identity members. */
static void
test_identity(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_EQUAL(drv->abi_version, STRATA_DRIVER_ABI);
    CU_ASSERT_EQUAL(drv->size, sizeof(strata_driver));
    CU_ASSERT_STRING_EQUAL(drv->name, "postgres");
    CU_ASSERT_STRING_EQUAL(drv->version, PACKAGE_VERSION);
    CU_ASSERT_STRING_EQUAL(drv->dialect, "postgres");
    CU_ASSERT_EQUAL(drv->url_shape, STRATA_URL_SERVER);
    CU_ASSERT_STRING_EQUAL(drv->schemes[0], "postgres");
    CU_ASSERT_STRING_EQUAL(drv->schemes[1], "postgresql");
    CU_ASSERT_PTR_NULL(drv->schemes[2]);
    CU_ASSERT_STRING_EQUAL(drv->dialect_aliases[0], "postgresql");
    CU_ASSERT_STRING_EQUAL(drv->dialect_aliases[1], "pg");
    CU_ASSERT_PTR_NULL(drv->dialect_aliases[2]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(drv->client_version);
    CU_ASSERT(drv->client_version[0] >= '1' && drv->client_version[0] <= '9');
    CU_ASSERT_EQUAL(drv->caps, T_CAPS);
    CU_ASSERT_PTR_NULL(drv->password_env); /* libpq reads PGPASSWORD and ~/.pgpass itself */
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, lock));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, unlock));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, session_reset_sql));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, copy_in));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, backup));
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(drv, utc_timestamps)); /* timestamps are stored as written */
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, snapshot));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, scratch_create));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(drv, scratch_drop));
}

/* Checks what a PostgreSQL connection's describe() says: all but the home schema and
 * whether plain strings take backslash escapes, which depend on the session. */
static void
t_check_describe(const strata_describe *d, const char *home, int strings_escape)
{
    const char *const *p;
    int n = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(d->size, sizeof(strata_describe));
    CU_ASSERT_STRING_EQUAL(d->dialect, "postgres");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->dialect_aliases);
    CU_ASSERT_STRING_EQUAL(d->dialect_aliases[0], "postgresql");
    CU_ASSERT_STRING_EQUAL(d->dialect_aliases[1], "pg");
    CU_ASSERT_PTR_NULL(d->dialect_aliases[2]);
    CU_ASSERT_EQUAL(d->caps, T_CAPS);
    CU_ASSERT_EQUAL(d->lexer_rules, T_LEX_RULES | (strings_escape ? STRATA_LEX_STRINGS_ESCAPE : 0));
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->no_transaction_patterns);
    CU_ASSERT_STRING_EQUAL(d->no_transaction_patterns[0], "CREATE INDEX CONCURRENTLY");
    for (p = d->no_transaction_patterns; *p != NULL; p++)
        n += strcmp(*p, "VACUUM") == 0 || strcmp(*p, "ALTER SYSTEM") == 0 ||
             strcmp(*p, "REINDEX * CONCURRENTLY") == 0 ||
             strcmp(*p, "ALTER TABLE ... DETACH PARTITION * CONCURRENTLY") == 0;
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_PTR_NULL(d->statement_complete); /* the lexer's own BEGIN ATOMIC rules */
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->home_schema);
    CU_ASSERT_STRING_EQUAL(d->home_schema, home);
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_STRING], "VARCHAR({n})");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_TEXT], "TEXT");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_INTEGER], "INTEGER");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_BIGINT], "BIGINT");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_TIMESTAMP], "TIMESTAMP");
    CU_ASSERT_STRING_EQUAL(d->types[STRATA_TYPE_SERIAL],
                           "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    CU_ASSERT_PTR_NULL(d->table_options);
}

/*
 * describe() after connect says what the connection speaks, as driver.h documents it for
 * PostgreSQL: its dialect, capabilities, lexer rules (dollar quotes, E'' strings, nested
 * comments, COPY data, psql meta-commands refused, BEGIN ATOMIC, parentheses,
 * standard_conforming_strings followed), the statements that cannot run in a transaction,
 * the schema unqualified names went to (current_schema()) and the column types.
 */
static void
test_describe(void)
{
    char db[64], text[128];
    strata_url url;
    strata_conn *c = t_fresh("describe", &url, db, sizeof(db)), *s = NULL;
    strata_error err = STRATA_ERROR_INIT;

    t_check_describe(dt_described(c), "public", 0);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT current_schema()", text, sizeof(text)), "public");
    dt_close(c);

    /* the schema option becomes the home schema, as written */
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, "App \"Home\"", &s, &err), STRATA_OK);
    t_check_describe(dt_described(s), "App \"Home\"", 0);
    dt_close(s);

    /* a search_path with no usable schema leaves no home: "" */
    snprintf(text, sizeof(text), "ALTER DATABASE \"%s\" SET search_path = ''", db);
    CU_ASSERT_EQUAL(dt_exec(t_admin, text, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, NULL, &s, &err), STRATA_OK);
    t_check_describe(dt_described(s), "", 0);
    dt_close(s);
}

/* quote_ident and quote_literal through a connection: libpq's own escaping. */
static void
test_quote(void)
{
    char buf[32];
    strata_conn *c = t_admin;

    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a\"b", buf, sizeof(buf)), 6);
    CU_ASSERT_STRING_EQUAL(buf, "\"a\"\"b\"");
    CU_ASSERT_EQUAL(drv->quote_ident(c, "x'y\\", buf, sizeof(buf)), 6);
    CU_ASSERT_STRING_EQUAL(buf, "\"x'y\\\"");
    CU_ASSERT_EQUAL(drv->quote_literal(c, "it's", buf, sizeof(buf)), 7);
    CU_ASSERT_STRING_EQUAL(buf, "'it''s'");
    CU_ASSERT_EQUAL(drv->quote_literal(c, "", buf, sizeof(buf)), 2);
    CU_ASSERT_STRING_EQUAL(buf, "''");
    /* with a backslash, libpq's E'' form, after a blank that keeps it off what precedes it */
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\'b", buf, sizeof(buf)), 10);
    CU_ASSERT_STRING_EQUAL(buf, " E'a\\\\''b'");

    /* size 0 writes nothing; small sizes truncate and stay NUL-terminated */
    memset(buf, '#', sizeof(buf));
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a\"b", buf, 0), 6);
    CU_ASSERT_EQUAL(buf[0], '#');
    CU_ASSERT_EQUAL(drv->quote_ident(c, "a\"b", NULL, 0), 6);
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\b", NULL, 0), 8);
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\b", buf, 1), 8);
    CU_ASSERT_STRING_EQUAL(buf, "");
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\b", buf, 3), 8);
    CU_ASSERT_STRING_EQUAL(buf, " E");
    memset(buf, '#', sizeof(buf));
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\b", buf, 6), 8);
    CU_ASSERT_STRING_EQUAL(buf, " E'a\\");
    CU_ASSERT_EQUAL(buf[6], '#');
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\b", buf, 9), 8);
    CU_ASSERT_STRING_EQUAL(buf, " E'a\\\\b'");

    /* text that is not UTF-8, the connection's encoding, cannot be quoted: (size_t)-1 */
    CU_ASSERT_EQUAL(drv->quote_literal(c, "bad \xff\xfe here", buf, sizeof(buf)), (size_t)-1);
    CU_ASSERT_EQUAL(drv->quote_ident(c, "bad \xc3", buf, sizeof(buf)), (size_t)-1);
}

/* ---- connections ---- */

static void
test_connect_close(void)
{
    char db[64], buf[128], text[128];
    strata_url url;
    strata_conn *c = t_fresh("connect", &url, db, sizeof(db));
    size_t n;

    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT current_database()", text, sizeof(text)), db);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SHOW client_encoding", text, sizeof(text)), "UTF8");
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SHOW application_name", text, sizeof(text)), T_APP);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT current_schema()", text, sizeof(text)), "public");

    n = drv->server_version(c, buf, sizeof(buf));
    CU_ASSERT_EQUAL(n, strlen(buf));
    CU_ASSERT_EQUAL(strncmp(buf, "PostgreSQL 15", 13), 0);
    CU_ASSERT_EQUAL(drv->server_version(c, NULL, 0), n);
    CU_ASSERT_EQUAL(drv->server_version(c, buf, 5), n);
    CU_ASSERT_STRING_EQUAL(buf, "Post");
    dt_close(c);
    drv->close(NULL);
}

static void
test_url_params(void)
{
    char db[64], text[128];
    strata_url url, with;
    strata_conn *c = t_fresh("params", &url, db, sizeof(db)), *other = NULL;
    strata_url_param unknown[] = {{"sslmode", "disable"}, {"nosuchparam", "1"}};
    strata_url_param latin1[] = {{"client_encoding", "LATIN1"}};
    strata_url_param passed[] = {{"application_name", "from-url"},
                                 {"connect_timeout", "5"},
                                 {"options", "-c statement_timeout=1234"},
                                 {"client_encoding", "utf8"}};
    strata_error err = STRATA_ERROR_INIT;

    dt_close(c);
    with = url;
    with.params = unknown;
    with.nparams = 2;
    other = (strata_conn *)&other;
    CU_ASSERT_EQUAL(t_connect_url(&with, NULL, &other, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(other);
    CU_ASSERT_EQUAL(err.status, STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "\"nosuchparam\""));

    with.params = latin1;
    with.nparams = 1;
    CU_ASSERT_EQUAL(t_connect_url(&with, NULL, &other, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "UTF8"));

    /* libpq keywords pass through; application_name beats the application option */
    with.params = passed;
    with.nparams = 4;
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&with, NULL, &other, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(other, "SHOW application_name", text, sizeof(text)), "from-url");
    CU_ASSERT_STRING_EQUAL(dt_text(other, "SHOW statement_timeout", text, sizeof(text)), "1234ms");
    CU_ASSERT_STRING_EQUAL(dt_text(other, "SHOW client_encoding", text, sizeof(text)), "UTF8");
    dt_close(other);
}

/*
 * Several hosts in the URL (postgres://u@h1:p1,h2:p2/db): the core keeps them as one list with
 * port 0 and the driver splits them, as libpq wants them (host=h1,h2 port=p1,p2), so that a
 * first host that does not answer gives way to the next. Nothing listens on port 1.
 */
static void
test_several_hosts(void)
{
    char db[64], text[1024], hosts[300], *at;
    strata_url url, *parsed = NULL;
    strata_conn *c = t_fresh("hosts", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;
    int rc;

    dt_close(c);
    c = NULL;
    /* user:password@ of the test server's URL, then the two hosts, then the database */
    snprintf(text, sizeof(text), "%s", getenv("STRATA_TEST_POSTGRES_URL"));
    at = strrchr(text, '@');
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    CU_ASSERT_FATAL(t_url->host != NULL && t_url->port > 0);
    snprintf(hosts, sizeof(hosts), "127.0.0.1:1,%s:%d", t_url->host, t_url->port);
    snprintf(at + 1, sizeof(text) - (size_t)(at + 1 - text), "%s/%s", hosts, db);
    CU_ASSERT_EQUAL_FATAL(strata_url_parse(text, drv->url_shape, &parsed, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(parsed->host, hosts);
    CU_ASSERT_EQUAL(parsed->port, 0);
    rc = t_connect_url(parsed, NULL, &c, &err);
    if (rc != STRATA_OK)
        fprintf(stderr,
                "\n    REGRESSION (drivers/postgres/postgres.c, pg_keywords): the host list \"%s\" "
                "goes to libpq's host keyword whole, ports included: %s\n",
                parsed->host, err.message);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    if (rc == STRATA_OK) {
        CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT current_database()", text, sizeof(text)), db);
        dt_close(c);
    }
    strata_url_free(parsed);
}

static void
test_wrong_password(void)
{
    static const char secret[] = "Wr0ngSecret-xyzzy";
    strata_conn *c = (strata_conn *)&c;
    strata_url url;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t_admin);
    url = *t_url;
    url.password = secret;
    CU_ASSERT_EQUAL(t_connect_url(&url, NULL, &c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_EQUAL(strncmp(err.message, "cannot connect: ", 16), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "password authentication failed"));
    CU_ASSERT_PTR_NULL(strstr(err.message, secret));
    CU_ASSERT_PTR_NULL(strstr(err.detail, secret));
    CU_ASSERT_PTR_NULL(strchr(err.message, '\n'));
    fprintf(stderr, "\n    wrong password: %s\n", err.message);

    /* nothing listens on port 1: the first line is the message, the rest the detail */
    url = *t_url;
    url.host = "127.0.0.1";
    url.port = 1;
    CU_ASSERT_EQUAL(t_connect_url(&url, NULL, &c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "cannot connect: "));
    CU_ASSERT_PTR_NULL(strchr(err.message, '\n'));
    if (t_url->password != NULL)
        CU_ASSERT_PTR_NULL(strstr(err.message, t_url->password));
}

/* ---- statements ---- */

static void
test_exec_several(void)
{
    char db[64];
    strata_url url;
    strata_conn *c = t_fresh("exec", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_EQUAL(dt_exec(c,
                            "-- a comment first\n"
                            "CREATE TABLE t (a INTEGER, b TEXT);\n"
                            "INSERT INTO t VALUES (1, 'one');;\n"
                            "/* block /* nested */ */ INSERT INTO t VALUES (2, NULL);\n"
                            "INSERT INTO \"t\" (a, \"b\") VALUES (3, 'a;b');\n"
                            "SELECT * FROM t;\n"
                            "  \n\t-- trailing comment\n",
                            &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM t"), 3);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT a FROM t WHERE b = 'a;b'"), 3);

    /* the statements of one exec run in one implicit transaction: all or nothing */
    CU_ASSERT_EQUAL(
        dt_exec(c, "INSERT INTO t VALUES (4, 'four'); INSERT INTO t VALUES ('x')", &err),
        STRATA_ERROR);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM t"), 3);

    CU_ASSERT_EQUAL(dt_exec(c, "", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "  -- only a comment\n", &err), STRATA_OK);
    /* rows of a COPY TO STDOUT are read and dropped */
    CU_ASSERT_EQUAL(dt_exec(c, "COPY t TO STDOUT; INSERT INTO t VALUES (5, 'five')", &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM t"), 4);
    /* a NUL inside the text would cut it short in libpq: refused */
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->exec(c, "SELECT 1\0; DROP TABLE t", 23, &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM t"), 4);
    dt_close(c);
}

static void
test_query_nulls(void)
{
    static dt_rows r;
    char db[64], sql[512];
    strata_url url;
    strata_conn *c = t_fresh("query", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;
    int i, n;

    CU_ASSERT_EQUAL(dt_query(c,
                             "SELECT a, CASE WHEN a = 2 THEN NULL ELSE 'v' || a END, '', 1.5 "
                             "FROM generate_series(1, 3) AS a ORDER BY a",
                             &r, &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(r.n, 3);
    CU_ASSERT_EQUAL(r.ncols, 4);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "1");
    CU_ASSERT_STRING_EQUAL(r.cell[0][1], "v1");
    CU_ASSERT_FALSE(r.null[0][1]);
    CU_ASSERT_TRUE(r.null[1][1]);
    CU_ASSERT_FALSE(r.null[1][2]); /* '' is not NULL */
    CU_ASSERT_STRING_EQUAL(r.cell[1][2], "");
    CU_ASSERT_STRING_EQUAL(r.cell[2][3], "1.5");

    /* no rows: fn is not called */
    CU_ASSERT_EQUAL(dt_query(c, "SELECT 1 WHERE false", &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL(r.n, 0);

    /* fn stops the rows; the connection stays usable */
    r.stop_after = 2;
    CU_ASSERT_EQUAL(dt_query(c, "SELECT generate_series(1, 100)", &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL(r.n, 2);
    r.stop_after = 0;
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT 7"), 7);

    /* more columns than the driver keeps on its stack */
    n = snprintf(sql, sizeof(sql), "SELECT 1");
    for (i = 2; i <= 40; i++)
        n += snprintf(sql + n, sizeof(sql) - n, i == 39 ? ", NULL" : ", %d", i);
    CU_ASSERT_EQUAL(dt_query(c, sql, &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(r.n, 1);
    CU_ASSERT_EQUAL(r.ncols, 40);
    CU_ASSERT_STRING_EQUAL(r.cell[0][32], "33");
    CU_ASSERT_TRUE(r.null[0][38]);
    CU_ASSERT_STRING_EQUAL(r.cell[0][39], "40");
    dt_close(c);
}

static void
test_transactions(void)
{
    char db[64];
    strata_url url;
    strata_conn *c = t_fresh("tx", &url, db, sizeof(db)), *other = NULL;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE t (a INTEGER)", &err), STRATA_OK);

    /* rollback leaves nothing, DDL included */
    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (1); CREATE TABLE u (b INTEGER)", &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(drv->rollback(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM t"), 0);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'u'"), 0);

    /* commit keeps, and another connection sees it */
    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (2)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (3); CREATE TABLE u (b INTEGER)", &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(drv->commit(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, NULL, &other, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(other, "SELECT sum(a) FROM t"), 5);
    CU_ASSERT_EQUAL(dt_scalar(other, "SELECT count(*) FROM u"), 0);

    /* rollback when idle is fine; commit or a nested begin are errors */
    CU_ASSERT_EQUAL(drv->rollback(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->commit(c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no transaction"));
    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(drv->rollback(c, &err), STRATA_OK);

    /* a failed statement dooms the transaction: commit says so, and nothing is kept */
    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES (10)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO t VALUES ('ten')", &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(drv->commit(c, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "rolled back"));
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM t"), 2);
    /* and after a failure inside a transaction, rollback works */
    CU_ASSERT_EQUAL(drv->begin(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "SELECT 1/0", &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(drv->rollback(c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT 1"), 1);
    dt_close(other);
    dt_close(c);
}

/* ---- errors ---- */

static void
test_syntax_error_position(void)
{
    /* 'é' is one character but two bytes: PostgreSQL's character position 16 is byte 17 */
    static const char sql[] = "SELECT 'é', 1;\nSELEC 2";
    static const char at_end[] = "SELECT 'é' +";
    static const char in_query[] = "SELECT 'ü', 'é' FORM x";
    char db[64];
    strata_url url;
    strata_conn *c = t_fresh("syntax", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42601");
    CU_ASSERT_EQUAL(err.native_code, 0);
    CU_ASSERT_EQUAL(err.position, (long)(strstr(sql, "SELEC ") - sql) + 1);
    CU_ASSERT_EQUAL(err.position, 17);
    CU_ASSERT_EQUAL(strncmp(sql + err.position - 1, "SELEC", 5), 0);
    CU_ASSERT_STRING_EQUAL(err.message, "syntax error at or near \"SELEC\"");

    /* at the end of the text: one past the last byte */
    CU_ASSERT_EQUAL(dt_exec(c, at_end, &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42601");
    CU_ASSERT_EQUAL(err.position, (long)strlen(at_end) + 1);

    /* in query() too: 'é' FORM is a column alias, x the error (character 22, byte 24) */
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->query(c, in_query, dt_collect, NULL, &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42601");
    CU_ASSERT_EQUAL(err.position, 24);
    CU_ASSERT_EQUAL(err.position, (long)(strstr(in_query, " x") - in_query) + 2);
    dt_close(c);
}

static void
test_runtime_errors(void)
{
    static const char sql[] = "SELECT 'é' FROM nosuch_table";
    char db[64];
    strata_url url;
    strata_conn *c = t_fresh("runtime", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;

    /* exec() may answer NOT_FOUND as query() does; the core counts it as an error */
    CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_NOT_FOUND); /* allowed (driver.h) */
    CU_ASSERT_EQUAL(err.status, STRATA_NOT_FOUND);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42P01");
    CU_ASSERT_STRING_EQUAL(err.message, "relation \"nosuch_table\" does not exist");
    CU_ASSERT_EQUAL(err.position, (long)(strstr(sql, "nosuch") - sql) + 1);

    /* a unique violation has a DETAIL */
    CU_ASSERT_EQUAL(dt_exec(c,
                            "CREATE TABLE u (id INTEGER PRIMARY KEY);\n"
                            "INSERT INTO u VALUES (1);\n",
                            &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO u VALUES (1)", &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "23505");
    CU_ASSERT_STRING_EQUAL(err.message,
                           "duplicate key value violates unique constraint \"u_pkey\"");
    CU_ASSERT_STRING_EQUAL(err.detail, "Key (id)=(1) already exists.");
    CU_ASSERT_EQUAL(err.position, 0);

    /* an unknown function has a HINT */
    CU_ASSERT_EQUAL(dt_exec(c, "SELECT nosuch_function(1)", &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42883");
    CU_ASSERT_EQUAL(strncmp(err.hint, "No function matches", 19), 0);
    CU_ASSERT_EQUAL(err.position, 8);

    /* division by zero, no position */
    CU_ASSERT_EQUAL(dt_exec(c, "SELECT 1/0", &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "22012");
    CU_ASSERT_STRING_EQUAL(err.message, "division by zero");
    dt_close(c);
}

static void
test_plpgsql_dollar_quotes(void)
{
    char db[64], text[64];
    strata_url url;
    strata_conn *c = t_fresh("plpgsql", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_EQUAL(dt_exec(c,
                            "CREATE FUNCTION add_one(i integer) RETURNS integer\n"
                            "LANGUAGE plpgsql AS $$\n"
                            "BEGIN\n"
                            "    -- a ; and a ' inside the body\n"
                            "    RETURN i + 1;\n"
                            "END;\n"
                            "$$;\n"
                            "CREATE FUNCTION boom() RETURNS void LANGUAGE plpgsql AS $body$\n"
                            "BEGIN\n"
                            "    RAISE EXCEPTION 'boom %', 42 USING HINT = 'defuse it';\n"
                            "END\n"
                            "$body$;\n",
                            &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT add_one(41)"), 42);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT $q$it's $$ here$q$", text, sizeof(text)),
                           "it's $$ here");

    /* an error raised inside a function: where it happened goes to the detail */
    CU_ASSERT_EQUAL(dt_exec(c, "SELECT boom()", &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "P0001");
    CU_ASSERT_STRING_EQUAL(err.message, "boom 42");
    CU_ASSERT_STRING_EQUAL(err.hint, "defuse it");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.detail, "PL/pgSQL function boom()"));
    dt_close(c);
}

/* Notices ("already exists, skipping") are debug lines, not output. */
static void
test_notices(void)
{
    char db[64];
    strata_url url;
    strata_conn *c = t_fresh("notices", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;
    int debug, warn;

    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE IF NOT EXISTS t (a INTEGER)", &err), STRATA_OK);
    debug = dt_log_count(STRATA_LOG_DEBUG);
    warn = dt_log_count(STRATA_LOG_WARN);
    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE IF NOT EXISTS t (a INTEGER)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_log_count(STRATA_LOG_DEBUG), debug + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(dt_last_log(STRATA_LOG_DEBUG), "already exists, skipping"));
    CU_ASSERT_EQUAL(dt_log_count(STRATA_LOG_WARN), warn);

    /* a WARNING is shown */
    CU_ASSERT_EQUAL(dt_exec(c, "DO $$ BEGIN RAISE WARNING 'careful'; END $$", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_log_count(STRATA_LOG_WARN), warn + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(dt_last_log(STRATA_LOG_WARN), "careful"));
    dt_close(c);
}

static void
test_lost_connection(void)
{
    char db[64], sql[128];
    strata_url url;
    strata_conn *c = t_fresh("lost", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;
    long pid = dt_scalar(c, "SELECT pg_backend_pid()");

    CU_ASSERT_FATAL(pid > 0);
    snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%ld, 5000)::int", pid);
    CU_ASSERT_EQUAL(dt_scalar(t_admin, sql), 1);
    CU_ASSERT_EQUAL(dt_exec(c, "SELECT 1", &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(strncmp(err.message, "lost the connection to the server: ", 35), 0);
    fprintf(stderr, "\n    lost connection: %s\n", err.message);
    CU_ASSERT_EQUAL(drv->lock(c, "strata", 0, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "lost the connection"));
    dt_close(c);
}

/* ---- COPY ---- */

/* Hands out text in chunks of at most chunk bytes; then 0, or (size_t)-1 when fail. */
typedef struct t_reader {
    const char *text;
    size_t len, pos, chunk;
    int fail;
} t_reader;

static size_t
t_read(void *ctx, char *buf, size_t size)
{
    t_reader *r = ctx;
    size_t n = r->len - r->pos;

    if (n == 0)
        return r->fail ? (size_t)-1 : 0;
    if (n > size)
        n = size;
    if (n > r->chunk)
        n = r->chunk;
    memcpy(buf, r->text + r->pos, n);
    r->pos += n;
    return n;
}

static int
t_copy(strata_conn *c, const char *sql, const char *data, size_t chunk, int fail, strata_error *err)
{
    t_reader r = {data, strlen(data), 0, chunk, fail};

    dt_error_init(err);
    return drv->copy_in(c, sql, strlen(sql), t_read, &r, err);
}

static void
test_copy_in(void)
{
    static const char copy[] = "COPY c (id, name) FROM STDIN";
    char db[64], text[64], *big;
    strata_url url;
    strata_conn *c = t_fresh("copy", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;
    size_t n = 0, size = 20000 * 16;
    int i;

    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE c (id INTEGER PRIMARY KEY, name TEXT)", &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL(t_copy(c, copy, "1\tone\n2\t\\N\n3\tcafé\n", 5, 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM c"), 3);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM c WHERE name IS NULL"), 1);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT name FROM c WHERE id = 3", text, sizeof(text)),
                           "café");

    /* more than one 64 KiB chunk */
    big = malloc(size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    for (i = 100; i < 20100; i++)
        n += snprintf(big + n, size - n, "%d\trow %d\n", i, i);
    CU_ASSERT_FATAL(n > 65536 * 2 && n < size);
    CU_ASSERT_EQUAL(t_copy(c, copy, big, (size_t)-1, 0, &err), STRATA_OK);
    free(big);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM c"), 20003);
    dt_close(c);
}

static void
test_copy_in_errors(void)
{
    static const char copy[] = "COPY c FROM STDIN";
    char db[64];
    strata_url url;
    strata_conn *c = t_fresh("copyerr", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE c (id INTEGER, name TEXT)", &err), STRATA_OK);

    /* bad data: the server's error, with the line in the detail; nothing is kept */
    CU_ASSERT_EQUAL(t_copy(c, copy, "1\tone\nx\ttwo\n3\tthree\n", 64, 0, &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "22P02");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "invalid input syntax for type integer"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.detail, "line 2"));
    fprintf(stderr, "\n    bad COPY data: %s (%s)\n", err.message, err.detail);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM c"), 0);

    /* a reader failure ends the COPY with an error; nothing is kept */
    CU_ASSERT_EQUAL(t_copy(c, copy, "1\tone\n", 64, 1, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "unreadable or not terminated"));
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM c"), 0);

    /* copy_in of a statement that is no COPY FROM STDIN */
    CU_ASSERT_EQUAL(t_copy(c, "SELECT 1", "1\tone\n", 64, 0, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not a COPY FROM STDIN"));
    CU_ASSERT_EQUAL(t_copy(c, "COPY nosuch FROM STDIN", "1\n", 64, 0, &err),
                    STRATA_NOT_FOUND); /* allowed (driver.h) */
    CU_ASSERT_EQUAL(err.status, STRATA_NOT_FOUND);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42P01");

    /* COPY FROM STDIN through exec: an error pointing at copy_in; the text runs not at all */
    CU_ASSERT_EQUAL(dt_exec(c, "INSERT INTO c VALUES (9, 'nine'); COPY c FROM STDIN", &err),
                    STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "use copy_in"));
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM c"), 0);

    /* the connection is usable after all of it */
    CU_ASSERT_EQUAL(t_copy(c, copy, "1\tone\n", 64, 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT count(*) FROM c"), 1);
    dt_close(c);
}

/* ---- dialect against the server ---- */

/*
 * The types describe() gave make the history tables' columns behave as documented, and a
 * TIMESTAMP reads back as written even where the server's DateStyle is another (connect()
 * sets ISO); the server's date order for input is left alone.
 */
static void
test_types(void)
{
    char db[64], sql[256], text[64];
    strata_url url;
    strata_conn *c = t_fresh("types", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;

    snprintf(sql, sizeof(sql), "ALTER DATABASE \"%s\" SET DateStyle = 'SQL, DMY'", db);
    CU_ASSERT_EQUAL(dt_exec(t_admin, sql, &err), STRATA_OK);
    dt_close(c);
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, NULL, &c, &err), STRATA_OK);
    dt_check_types(c, "typed", "numbered");
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SELECT '03/04/2024'::date", text, sizeof(text)),
                           "2024-04-03");
    /* the names are the SQL types asked for */
    CU_ASSERT_STRING_EQUAL(
        dt_text(c,
                "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) "
                "FROM information_schema.columns WHERE table_name = 'typed'",
                sql, sizeof(sql)),
        "k:character varying,t:text,i:integer,b:bigint,ts:timestamp without time zone");
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
    "E'x'",
    "$$dollar$$ $q$",
    "two\nlines\r\n",
    "tab\there",
    "caf\xc3\xa9 \xc3\xbcn\xc3\xaf"
    "c\xc3\xb6"
    "d\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
    "emoji \xf0\x9f\x98\x80\xf0\x9f\x90\x98",
    "$1 %s %d ?",
    "",
};
#define T_HOSTILE (sizeof(t_hostile) / sizeof(t_hostile[0]))

#define T_COLUMN_SQL                                                                               \
    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "    \
    "AND table_name = '%s'"

/* SELECT of quote_literal(value) returns value. */
static void
t_literal_round_trip(strata_conn *c, const char *value)
{
    char lit[256], sql[300], back[256];

    CU_ASSERT_FATAL(drv->quote_literal(c, value, lit, sizeof(lit)) < sizeof(lit));
    snprintf(sql, sizeof(sql), "SELECT %s", lit);
    CU_ASSERT_STRING_EQUAL(dt_text(c, sql, back, sizeof(back)), value);
}

/*
 * Hostile text goes through quote_literal and quote_ident, an INSERT and a SELECT unchanged,
 * and a literal quoted before a SET standard_conforming_strings = off still reads the same.
 */
static void
test_quote_round_trip(void)
{
    char db[64];
    strata_url url;
    strata_conn *c = t_fresh("quote", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;
    size_t i;

    dt_check_round_trip(c, "rt_", t_hostile, T_HOSTILE - 1, 1, T_COLUMN_SQL);
    dt_check_round_trip(c, "lit_", t_hostile, T_HOSTILE, 0, NULL);
    /* E'...' reads the same whatever standard_conforming_strings says */
    CU_ASSERT_EQUAL(dt_exec(c, "SET standard_conforming_strings = off", &err), STRATA_OK);
    for (i = 0; i < T_HOSTILE; i++)
        t_literal_round_trip(c, t_hostile[i]);
    CU_ASSERT_EQUAL(dt_exec(c, "SET standard_conforming_strings = on", &err), STRATA_OK);
    dt_close(c);
}

/*
 * A session whose standard_conforming_strings is off from the start (the URL's libpq options
 * parameter, as percent-encoded text through the core's URL parser): describe() says plain
 * strings take backslash escapes, and quoting still round-trips hostile text.
 */
static void
test_quote_round_trip_escape_strings(void)
{
    char db[64], text[1024], *at;
    strata_url url, *parsed = NULL;
    strata_conn *c = t_fresh("quoteoff", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;
    const strata_describe *d;

    dt_close(c);
    /* the test server's URL, its database replaced, with the options parameter */
    snprintf(text, sizeof(text), "%s", getenv("STRATA_TEST_POSTGRES_URL"));
    at = strrchr(text, '/');
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    snprintf(at + 1, sizeof(text) - (size_t)(at + 1 - text),
             "%s?options=-c%%20standard_conforming_strings%%3Doff", db);
    CU_ASSERT_EQUAL_FATAL(strata_url_parse(text, drv->url_shape, &parsed, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(strata_url_param_value(parsed, "options"),
                           "-c standard_conforming_strings=off");
    CU_ASSERT_EQUAL_FATAL(t_connect_url(parsed, NULL, &c, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(c, "SHOW standard_conforming_strings", text, sizeof(text)),
                           "off");
    d = dt_described(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_TRUE(d->lexer_rules & STRATA_LEX_STRINGS_ESCAPE);
    t_check_describe(d, "public", 1);
    /* a backslash in a literal is no longer taken as it is: E'' is needed, and given */
    CU_ASSERT_EQUAL(drv->quote_literal(c, "a\\b", text, sizeof(text)), 8);
    CU_ASSERT_STRING_EQUAL(text, " E'a\\\\b'");
    dt_check_round_trip(c, "rt_", t_hostile, T_HOSTILE - 1, 1, T_COLUMN_SQL);
    dt_check_round_trip(c, "lit_", t_hostile, T_HOSTILE, 0, NULL);
    dt_close(c);
    strata_url_free(parsed);
}

/*
 * query() says STRATA_NOT_FOUND for a table (42P01) or schema (3F000) that is not there, and
 * STRATA_ERROR for everything else: a syntax error, a missing column or function.
 */
static void
test_not_found(void)
{
    static dt_rows r;
    char db[64];
    strata_url url;
    strata_conn *c = t_fresh("notfound", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_EQUAL(dt_exec(c, "CREATE TABLE here (a INTEGER)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT a FROM nosuch", &r, &err), STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.status, STRATA_NOT_FOUND);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42P01");
    CU_ASSERT_STRING_EQUAL(err.message, "relation \"nosuch\" does not exist");
    CU_ASSERT_EQUAL(dt_query(c, "SELECT a FROM nosuch_schema.here", &r, &err), STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.status, STRATA_NOT_FOUND);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42P01"); /* PostgreSQL: a relation it cannot find */
    CU_ASSERT_EQUAL(dt_query(c, "SELECT nosuch_schema.f()", &r, &err), STRATA_NOT_FOUND);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "3F000");
    CU_ASSERT_EQUAL(dt_query(c, "CREATE TABLE nosuch_schema.t (a INTEGER)", &r, &err),
                    STRATA_NOT_FOUND);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "3F000");
    CU_ASSERT_EQUAL(dt_query(c, "SET search_path TO public; SELECT 1", &r, &err), STRATA_OK);

    CU_ASSERT_EQUAL(dt_query(c, "SELEC a FROM here", &r, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42601");
    CU_ASSERT_EQUAL(dt_query(c, "SELECT nosuch FROM here", &r, &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42703");
    CU_ASSERT_EQUAL(dt_query(c, "SELECT nosuch_function(1)", &r, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(dt_query(c, "SELECT count(*) FROM here", &r, &err), STRATA_OK);
    dt_close(c);
}

static void
test_schema_option(void)
{
    char db[64], text[128];
    strata_url url, with;
    strata_conn *c = t_fresh("schema", &url, db, sizeof(db)), *s = NULL;
    strata_url_param param[] = {{"schema", "from_url"}};
    strata_error err = STRATA_ERROR_INIT;

    dt_close(c);
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, "App \"Schema\"", &s, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(s, "SELECT current_schema()", text, sizeof(text)),
                           "App \"Schema\"");
    CU_ASSERT_STRING_EQUAL(dt_text(s, "SHOW search_path", text, sizeof(text)),
                           "\"App \"\"Schema\"\"\"");
    CU_ASSERT_EQUAL(dt_exec(s, "CREATE TABLE here (a INTEGER)", &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(s, "SELECT count(*) FROM pg_tables WHERE schemaname = "
                                 "'App \"Schema\"' AND tablename = 'here'"),
                    1);
    dt_close(s);
    /* again: the schema exists now */
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, "App \"Schema\"", &s, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_scalar(s, "SELECT count(*) FROM here"), 0);
    dt_close(s);

    /* the URL's schema parameter, which the option beats */
    with = url;
    with.params = param;
    with.nparams = 1;
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&with, NULL, &s, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(s, "SELECT current_schema()", text, sizeof(text)), "from_url");
    dt_close(s);
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&with, "option", &s, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(s, "SELECT current_schema()", text, sizeof(text)), "option");
    dt_close(s);
}

/* A role without CREATE on the database can use an existing schema, not make one. */
static void
test_schema_privileges(void)
{
    char db[64], sql[256], password[32];
    strata_url url, as_role;
    strata_conn *c = t_fresh("schemapriv", &url, db, sizeof(db)), *r = NULL;
    strata_error err = STRATA_ERROR_INIT;

    snprintf(t_role, sizeof(t_role), "strata_test_role_%ld", (long)getpid());
    snprintf(password, sizeof(password), "pw%ld", (long)getpid());
    snprintf(sql, sizeof(sql), "CREATE ROLE %s LOGIN PASSWORD '%s'", t_role, password);
    CU_ASSERT_EQUAL_FATAL(dt_exec(t_admin, sql, &err), STRATA_OK);
    snprintf(sql, sizeof(sql), "CREATE SCHEMA shared; GRANT USAGE ON SCHEMA shared TO %s", t_role);
    CU_ASSERT_EQUAL_FATAL(dt_exec(c, sql, &err), STRATA_OK);
    dt_close(c);

    as_role = url;
    as_role.user = t_role;
    as_role.password = password;
    CU_ASSERT_EQUAL(t_connect_url(&as_role, "shared", &r, &err), STRATA_OK);
    dt_close(r);
    CU_ASSERT_EQUAL(t_connect_url(&as_role, "missing", &r, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42501");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "permission denied"));
}

/* ---- the migration lock ---- */

static void
test_lock(void)
{
    char db[64], sql[256], want[512], text[64];
    strata_url url;
    strata_conn *a = t_fresh("lock", &url, db, sizeof(db)), *b = NULL;
    strata_error err = STRATA_ERROR_INIT;
    uint64_t ukey = t_lock_key(db, "strata");
    long long t0, elapsed;
    long pid_a, pid_b;

    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, NULL, &b, &err), STRATA_OK);
    pid_a = dt_scalar(a, "SELECT pg_backend_pid()");
    pid_b = dt_scalar(b, "SELECT pg_backend_pid()");

    CU_ASSERT_EQUAL(drv->lock(a, "strata", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(a, "strata", 0, &err), STRATA_OK); /* again: still ours */
    /* the key is FNV-1a of database and name, split into classid and objid */
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = "
             "%ld AND classid = '%u' AND objid = '%u' AND objsubid = 1",
             pid_a, (unsigned)(ukey >> 32), (unsigned)(ukey & 0xffffffffu));
    CU_ASSERT_EQUAL(dt_scalar(b, sql), 1);

    t0 = dt_now_ms();
    CU_ASSERT_EQUAL(drv->lock(b, "strata", 300, &err), STRATA_LOCK_TIMEOUT);
    elapsed = dt_now_ms() - t0;
    CU_ASSERT(elapsed >= 300 && elapsed < 3000);
    CU_ASSERT_EQUAL(err.status, STRATA_LOCK_TIMEOUT);
    snprintf(want, sizeof(want),
             "timed out after 300 ms waiting for the migration lock (advisory lock %lld on "
             "database %s), held by pid %ld (application " T_APP ", user %s, since ",
             t_signed(ukey), db, pid_a, t_url->user);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, " UTC)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.hint, "--lock-timeout"));
    fprintf(stderr, "\n    lock timeout: %s\n", err.message);
    /* the waiter left no transaction open behind */
    snprintf(sql, sizeof(sql), "SELECT state FROM pg_stat_activity WHERE pid = %ld", pid_b);
    CU_ASSERT_STRING_EQUAL(dt_text(a, sql, text, sizeof(text)), "idle");

    /* 0 tries once */
    t0 = dt_now_ms();
    CU_ASSERT_EQUAL(drv->lock(b, "strata", 0, &err), STRATA_LOCK_TIMEOUT);
    CU_ASSERT(dt_now_ms() - t0 < 1000);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "timed out after 0 ms"));
    /* another name is another lock */
    CU_ASSERT_EQUAL(drv->lock(b, "other", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->unlock(b, "other", &err), STRATA_OK);

    /* refused inside a transaction */
    CU_ASSERT_EQUAL(drv->begin(b, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(b, "strata", 0, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "inside a transaction"));
    CU_ASSERT_EQUAL(drv->rollback(b, &err), STRATA_OK);

    /* one unlock frees it, though it was taken twice */
    CU_ASSERT_EQUAL(drv->unlock(a, "strata", &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(b, "strata", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->lock(a, "strata", 0, &err), STRATA_LOCK_TIMEOUT);
    snprintf(want, sizeof(want), "held by pid %ld ", pid_b);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, want));
    CU_ASSERT_EQUAL(drv->unlock(b, "strata", &err), STRATA_OK);
    CU_ASSERT_EQUAL(drv->unlock(b, "strata", &err), STRATA_OK); /* not held: a no-op */

    /* closing the holder's connection releases it */
    CU_ASSERT_EQUAL(drv->lock(a, "strata", 0, &err), STRATA_OK);
    dt_close(a);
    CU_ASSERT_EQUAL(drv->lock(b, "strata", 2000, &err), STRATA_OK);
    dt_close(b);
}

/* A waiter polling with timeout -1, on another thread. */
typedef struct t_waiter {
    strata_conn *c;
    int rc;
    long long waited_ms;
    strata_error err;
} t_waiter;

static void *
t_wait_for_lock(void *arg)
{
    t_waiter *w = arg;
    long long t0 = dt_now_ms();

    w->rc = drv->lock(w->c, "strata", -1, &w->err);
    w->waited_ms = dt_now_ms() - t0;
    return NULL;
}

/*
 * While a waiter polls for the lock, the holder's CREATE INDEX CONCURRENTLY completes: it
 * waits for every open transaction, and the waiter keeps none open.
 */
static void
test_lock_waiter_and_concurrent_index(void)
{
    char db[64];
    strata_url url;
    strata_conn *a = t_fresh("lockwait", &url, db, sizeof(db));
    t_waiter w = {0};
    strata_error err = STRATA_ERROR_INIT;
    pthread_t thread;
    long long t0;

    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, NULL, &w.c, &err), STRATA_OK);
    CU_ASSERT_EQUAL(dt_exec(a,
                            "SET statement_timeout = '20s';\n"
                            "CREATE TABLE big AS SELECT g AS x FROM generate_series(1, 10000) g",
                            &err),
                    STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(drv->lock(a, "strata", 0, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&thread, NULL, t_wait_for_lock, &w), 0);
    t_sleep_ms(200);
    t0 = dt_now_ms();
    CU_ASSERT_EQUAL(dt_exec(a, "CREATE INDEX CONCURRENTLY big_x ON big (x)", &err), STRATA_OK);
    CU_ASSERT(dt_now_ms() - t0 < 10000);
    CU_ASSERT_EQUAL(dt_scalar(a, "SELECT count(*) FROM pg_index WHERE indisvalid AND "
                                 "indexrelid = 'big_x'::regclass"),
                    1);
    CU_ASSERT_EQUAL(drv->unlock(a, "strata", &err), STRATA_OK);
    CU_ASSERT_EQUAL(pthread_join(thread, NULL), 0);
    CU_ASSERT_EQUAL(w.rc, STRATA_OK);
    CU_ASSERT(w.waited_ms >= 200);
    CU_ASSERT_EQUAL(drv->lock(a, "strata", 0, &err), STRATA_LOCK_TIMEOUT);
    dt_close(w.c);
    dt_close(a);
}

/* ---- statements that cannot run in a transaction ---- */

typedef struct t_text {
    const char *p;
    size_t left;
} t_text;

static size_t
t_read_text(void *ctx, char *buf, size_t size)
{
    t_text *t = ctx;
    size_t n = size < t->left ? size : t->left;

    memcpy(buf, t->p, n);
    t->p += n;
    t->left -= n;
    return n;
}

/* The flags the core's splitter, set up for connection c, gives the one statement sql. */
static unsigned
t_flags(strata_conn *c, const char *sql)
{
    t_text in = {sql, strlen(sql)};
    strata_lexer *lx = NULL;
    strata_lex_error lerr;
    strata_stmt st;
    unsigned flags = 0;

    CU_ASSERT_EQUAL_FATAL(strata_lexer_for_connection(dt_described(c), t_read_text, &in, 1, &lx),
                          STRATA_OK);
    if (strata_lexer_next(lx, &st, &lerr) == 1)
        flags = st.flags;
    else
        CU_FAIL("no statement");
    strata_lexer_free(lx);
    return flags;
}

/*
 * Every statement the server refuses inside a transaction block (SQLSTATE 25001) is one the
 * splitter flags, and the statements beside them that run inside one are not flagged: the
 * patterns are checked against the server itself, inside a transaction rolled back after.
 */
static void
test_no_transaction_patterns(void)
{
    static const char *const statements[] = {
        "VACUUM",
        "VACUUM t",
        "VACUUM (ANALYZE) t",
        "ANALYZE t",
        "CLUSTER",
        "CLUSTER VERBOSE",
        "CLUSTER t USING t_pkey",
        "CLUSTER (VERBOSE) t USING t_pkey",
        "REINDEX INDEX i",
        "REINDEX INDEX CONCURRENTLY i",
        "REINDEX (VERBOSE) INDEX CONCURRENTLY i",
        "REINDEX (CONCURRENTLY) INDEX i",
        "REINDEX (CONCURRENTLY true, VERBOSE) TABLE t",
        "REINDEX (CONCURRENTLY false) INDEX i",
        "REINDEX (CONCURRENTLY 1) INDEX i",
        "REINDEX (VERBOSE, CONCURRENTLY ON) TABLE s.u",
        "REINDEX (VERBOSE) TABLE t",
        "REINDEX TABLE CONCURRENTLY t",
        "REINDEX SCHEMA s",
        "REINDEX (VERBOSE) SCHEMA s",
        "REINDEX DATABASE strata",
        "REINDEX SYSTEM strata",
        "CREATE INDEX CONCURRENTLY j ON t (b)",
        "CREATE INDEX j ON t (b)",
        "create unique index concurrently if not exists j on t (b)",
        "DROP INDEX CONCURRENTLY i",
        "DROP INDEX CONCURRENTLY IF EXISTS i",
        "DROP INDEX i",
        "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY",
        "ALTER TABLE IF EXISTS p DETACH PARTITION s.p2 CONCURRENTLY",
        "ALTER TABLE p DETACH PARTITION p1",
        "ALTER TYPE mood ADD VALUE 'b'",
        "DISCARD ALL",
        "DISCARD PLANS",
        "ALTER SYSTEM SET work_mem = '4MB'",
        "ALTER SYSTEM RESET work_mem",
        "CREATE DATABASE strata_never",
        "DROP DATABASE IF EXISTS strata_never",
        "ALTER DATABASE strata_never SET TABLESPACE pg_default",
        "CREATE TABLESPACE ts LOCATION '/nonexistent'",
        "DROP TABLESPACE IF EXISTS ts",
        "COMMIT PREPARED 'x'",
        "ROLLBACK PREPARED 'x'",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
        "CREATE SUBSCRIPTION sub CONNECTION 'dbname=x' PUBLICATION p",
        "SET standard_conforming_strings = on",
    };
    char db[64];
    strata_url url;
    strata_conn *c = t_fresh("notx", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;
    size_t i;

    CU_ASSERT_EQUAL_FATAL(
        dt_exec(c,
                "CREATE TABLE t (a int PRIMARY KEY, b text); CREATE INDEX i ON t (b);"
                "CREATE SCHEMA s; CREATE TABLE s.u (a int PRIMARY KEY);"
                "CREATE TYPE mood AS ENUM ('a');"
                "CREATE TABLE p (a int) PARTITION BY RANGE (a);"
                "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);"
                "CREATE TABLE s.p2 PARTITION OF p FOR VALUES FROM (10) TO (20);"
                "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS a; CREATE UNIQUE INDEX ON mv (a)",
                &err),
        STRATA_OK);
    for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
        int refused, flagged = (t_flags(c, statements[i]) & STRATA_STMT_NO_TRANSACTION) != 0;

        CU_ASSERT_EQUAL_FATAL(dt_exec(c, "BEGIN", &err), STRATA_OK);
        dt_exec(c, statements[i], &err);
        refused = strcmp(err.sqlstate, "25001") == 0;
        CU_ASSERT_EQUAL(dt_exec(c, "ROLLBACK", &err), STRATA_OK);
        CU_ASSERT_EQUAL(flagged, refused);
        if (flagged != refused)
            fprintf(stderr, "\n  %s: the server %s it in a transaction, strata %s it\n",
                    statements[i], refused ? "refuses" : "runs",
                    flagged ? "flags" : "does not flag");
    }
    dt_close(c);
}

/* ---- schema snapshots ---- */

/* Objects of a snapshot collected as lines "kind name: definition", for sorting. */
typedef struct t_snap {
    char **lines; /* owned, each malloc'd */
    size_t n;
    size_t cap;
    size_t stop_after; /* ask to stop after this many objects; 0: never */
} t_snap;

static const char *const t_kinds[] = {
    "?",          "schema", "sequence", "enum",    "table",    "column",
    "constraint", "index",  "view",     "trigger", "function", "domain",
};

/* A strata_object_fn appending one line to the t_snap ctx. */
static int
t_snap_object(void *ctx, strata_object_kind kind, const char *name, const char *definition)
{
    t_snap *s = ctx;
    const char *k = kind >= STRATA_OBJ_SCHEMA && kind <= STRATA_OBJ_DOMAIN ? t_kinds[kind] : "?";
    size_t size = strlen(k) + strlen(name) + strlen(definition) + 4;

    if (s->n == s->cap) {
        s->cap = s->cap > 0 ? 2 * s->cap : 64;
        s->lines = realloc(s->lines, s->cap * sizeof(*s->lines));
        CU_ASSERT_PTR_NOT_NULL_FATAL(s->lines);
    }
    s->lines[s->n] = malloc(size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s->lines[s->n]);
    snprintf(s->lines[s->n++], size, "%s %s: %s", k, name, definition);
    return s->stop_after > 0 && s->n >= s->stop_after;
}

static int
t_line_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Takes c's snapshot with the skip tables skip and returns its lines sorted, each ended by
 * a newline, after a newline: "\nkind name: definition\n..." (the caller frees it).
 */
static char *
t_snapshot(strata_conn *c, const char *const *skip)
{
    t_snap s = {0};
    strata_error err = STRATA_ERROR_INIT;
    size_t i, len = 2;
    char *text, *p;

    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->snapshot(c, skip, t_snap_object, &s, &err), STRATA_OK);
    if (err.message[0] != '\0')
        fprintf(stderr, "\n  snapshot: %s\n", err.message);
    qsort(s.lines, s.n, sizeof(*s.lines), t_line_cmp);
    for (i = 0; i < s.n; i++)
        len += strlen(s.lines[i]) + 1;
    p = text = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    *p++ = '\n';
    for (i = 0; i < s.n; i++) {
        p += sprintf(p, "%s\n", s.lines[i]);
        free(s.lines[i]);
    }
    *p = '\0';
    free(s.lines);
    return text;
}

/* One schema, built one way here and another way in test_snapshot_order. */
static const char t_snap_schema[] =
    "CREATE SCHEMA other;"
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');"
    "CREATE DOMAIN email AS text NOT NULL DEFAULT 'nobody@example.org' CHECK (VALUE ~ '@');"
    "CREATE SEQUENCE counter START 5 INCREMENT 2 CACHE 3;"
    "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  email email NOT NULL UNIQUE, name text COLLATE \"C\" DEFAULT 'anon',"
    "  age integer CHECK (age >= 0), mood mood);"
    "CREATE TABLE posts (id serial PRIMARY KEY,"
    "  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    "  title varchar(200) NOT NULL, score integer,"
    "  twice integer GENERATED ALWAYS AS (score * 2) STORED);"
    "ALTER TABLE posts ADD CHECK (score < 1000) NOT VALID;"
    "CREATE INDEX posts_user ON posts (user_id);"
    "CREATE UNIQUE INDEX posts_title ON posts (lower(title), score DESC) WHERE score > 0;"
    "CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;"
    "CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;"
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "  NEW.score := coalesce(NEW.score, 0); RETURN NEW; END $$;"
    "CREATE TRIGGER posts_touch BEFORE INSERT OR UPDATE OF score ON posts"
    "  FOR EACH ROW WHEN (NEW.score IS NULL) EXECUTE FUNCTION touch();"
    "CREATE FUNCTION add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE"
    "  AS 'SELECT a + b';"
    "CREATE PROCEDURE noop() LANGUAGE sql AS $$ SELECT 1 $$;"
    "CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);"
    "CREATE TABLE events (at date NOT NULL, kind text) PARTITION BY RANGE (at);"
    "CREATE TABLE other.things (id integer PRIMARY KEY,"
    "  owner bigint REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED, mood mood);"
    "CREATE TABLE booking (room integer, during tsrange, EXCLUDE USING gist (during WITH &&));";

/* Tables as strata's own, skipped with everything of theirs. */
static const char t_snap_strata[] =
    "CREATE TABLE strata_history (version text PRIMARY KEY, installed_on timestamp DEFAULT now(),"
    "  n bigint GENERATED BY DEFAULT AS IDENTITY, s serial, CHECK (version <> ''));"
    "CREATE INDEX strata_history_on ON strata_history (installed_on);"
    "CREATE TRIGGER strata_history_touch BEFORE DELETE ON strata_history"
    "  FOR EACH ROW EXECUTE FUNCTION touch();"
    "CREATE TABLE strata_lock (name text PRIMARY KEY REFERENCES strata_history (version));";

static const char *const t_skip[] = {"strata_history", "strata_lock", NULL};

static char *t_snap_text; /* test_snapshot's, compared by test_snapshot_order; freed there */

/* Objects test_snapshot expects, one line at least of each kind. */
static const char *const t_snap_expected[] = {
    "schema other: ",
    "sequence counter: type bigint start 5 increment 2 min 1 max 9223372036854775807 cache 3 "
    "no cycle",
    "sequence posts_id_seq: type integer start 1 increment 1 min 1 max 2147483647 cache 1 no "
    "cycle",
    "enum mood: enum 'sad', 'ok', 'happy'",
    "domain email: domain over text not null default 'nobody@example.org'::text check (VALUE ~ "
    "'@'::text)",
    "table users: ",
    "table cache: unlogged",
    "table events: partitioned",
    "table other.things: ",
    "column users.id: #1 bigint not null identity always",
    "column users.email: #2 email not null",
    "column users.name: #3 text default 'anon'::text collate \"C\"",
    "column users.mood: #5 mood",
    "column posts.id: #1 integer not null default nextval('posts_id_seq'::regclass)",
    "column posts.title: #3 character varying(200) not null",
    "column posts.twice: #5 integer generated always as (score * 2) stored",
    "column other.things.owner: #2 bigint",
    "constraint users.primary key (id): ",
    "constraint users.unique (email): ",
    "constraint users.check (age >= 0): ",
    "constraint posts.foreign key (user_id) references users (id): on update no action on "
    "delete cascade",
    "constraint posts.check (score < 1000): not valid",
    "constraint booking.exclude (during WITH &&): gist",
    "constraint other.things.foreign key (owner) references users (id): on update no action on "
    "delete no action deferrable initially deferred",
    "index posts.posts_user: btree (user_id)",
    "index posts.posts_title: unique btree (lower(title::text), score desc) where (score > 0)",
    "view adults: SELECT users.id, users.email FROM users WHERE users.age >= 18",
    "view user_count: materialized SELECT count(*) AS n FROM users",
    /* md5('BEGIN NEW.score := coalesce(NEW.score, 0); RETURN NEW; END') */
    "trigger posts.posts_touch: before insert or update of score for each row when (new.score "
    "IS NULL) body md5:be22a68930e9366bf275c43a8f6b003b",
    "function touch(): function returns trigger language plpgsql body "
    "md5:be22a68930e9366bf275c43a8f6b003b",
    /* md5('SELECT a + b') */
    "function add(integer, integer): function returns integer language sql body "
    "md5:87db1411f20592cf00dfe9e34b4ade3d",
    /* md5('SELECT 1') */
    "function noop(): procedure language sql body md5:b1698e52a0f16203489454196a0c6307",
};

/* The line "\nline\n" is in text. */
static void
t_has_line(const char *text, const char *line)
{
    char wanted[512];

    snprintf(wanted, sizeof(wanted), "\n%s\n", line);
    ASSERT_CONTAINS(text, wanted);
}

/*
 * snapshot() reports each kind of object with its name relative to the home schema and its
 * one-line definition; leaves out the skipped tables with everything of theirs, the system
 * schemas and what an extension brought; stops when the object function asks; refuses to
 * run inside a transaction. Another home schema (the schema option) qualifies the objects
 * of the first one and reports it as a schema; with no home schema (an empty search_path)
 * every object is qualified.
 */
static void
test_snapshot(void)
{
    char db[64], sql[128];
    strata_url url;
    strata_conn *c = t_fresh("snapshot", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;
    t_snap stop = {.stop_after = 2};
    char *text;
    size_t i;

    CU_ASSERT_EQUAL_FATAL(dt_exec(c, t_snap_schema, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(dt_exec(c, t_snap_strata, &err), STRATA_OK);
    /* an extension's types, functions and operators are its own, not the schema's */
    if (dt_scalar(c, "SELECT count(*) FROM pg_available_extensions WHERE name = 'citext'") == 1) {
        CU_ASSERT_EQUAL(dt_exec(c, "CREATE EXTENSION citext", &err), STRATA_OK);
    } else {
        fprintf(stderr, "\n  (citext not installed: extension objects not checked)\n");
    }
    t_snap_text = t_snapshot(c, t_skip);
    for (i = 0; i < sizeof(t_snap_expected) / sizeof(t_snap_expected[0]); i++)
        t_has_line(t_snap_text, t_snap_expected[i]);
    ASSERT_LACKS(t_snap_text, "strata_");
    ASSERT_LACKS(t_snap_text, "citext");
    ASSERT_LACKS(t_snap_text, "pg_catalog");
    ASSERT_LACKS(t_snap_text, "information_schema");
    ASSERT_LACKS(t_snap_text, db);
    ASSERT_LACKS(t_snap_text, "\nschema public:");

    /* without skip tables, strata's tables are objects like any other */
    text = t_snapshot(c, NULL);
    t_has_line(text, "table strata_history: ");
    t_has_line(text, "column strata_history.installed_on: #2 timestamp without time zone "
                     "default now()");
    t_has_line(text, "constraint strata_lock.foreign key (name) references strata_history "
                     "(version): on update no action on delete no action");
    t_has_line(text, "index strata_history.strata_history_on: btree (installed_on)");
    t_has_line(text, "sequence strata_history_s_seq: type integer start 1 increment 1 min 1 "
                     "max 2147483647 cache 1 no cycle");
    t_has_line(text, "trigger strata_history.strata_history_touch: before delete for each row "
                     "body md5:be22a68930e9366bf275c43a8f6b003b");
    free(text);

    /* fn asks to stop: no more objects, and that is a success */
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->snapshot(c, t_skip, t_snap_object, &stop, &err), STRATA_OK);
    CU_ASSERT_EQUAL(stop.n, 2);
    for (i = 0; i < stop.n; i++)
        free(stop.lines[i]);
    free(stop.lines);
    CU_ASSERT_EQUAL(dt_scalar(c, "SELECT 1"), 1); /* the transaction is over */

    /* not inside a transaction */
    CU_ASSERT_EQUAL_FATAL(drv->begin(c, &err), STRATA_OK);
    memset(&stop, 0, sizeof(stop));
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->snapshot(c, t_skip, t_snap_object, &stop, &err), STRATA_ERROR);
    ASSERT_CONTAINS(err.message, "no transaction open");
    CU_ASSERT_EQUAL(stop.n, 0);
    CU_ASSERT_EQUAL(drv->rollback(c, &err), STRATA_OK);
    dt_close(c);

    /* home schema "other": public's objects are qualified, public is a schema */
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, "other", &c, &err), STRATA_OK);
    text = t_snapshot(c, t_skip);
    t_has_line(text, "schema public: ");
    t_has_line(text, "table things: ");
    t_has_line(text, "table public.users: ");
    t_has_line(text, "column things.mood: #3 public.mood");
    t_has_line(text, "constraint things.foreign key (owner) references public.users (id): on "
                     "update no action on delete no action deferrable initially deferred");
    t_has_line(text, "index public.posts.posts_user: btree (user_id)");
    t_has_line(text, "enum public.mood: enum 'sad', 'ok', 'happy'");
    t_has_line(text, "function public.add(integer, integer): function returns integer language "
                     "sql body md5:87db1411f20592cf00dfe9e34b4ade3d");
    t_has_line(text, "view public.adults: SELECT users.id, users.email FROM public.users WHERE "
                     "users.age >= 18");
    /* the skip tables are the home schema's: public's strata tables are reported */
    t_has_line(text, "table public.strata_history: ");
    ASSERT_LACKS(text, "\nschema other:");
    free(text);
    dt_close(c);

    /* no home schema (an empty search_path): every object qualified */
    snprintf(sql, sizeof(sql), "ALTER DATABASE \"%s\" SET search_path = ''", db);
    CU_ASSERT_EQUAL_FATAL(dt_exec(t_admin, sql, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, NULL, &c, &err), STRATA_OK);
    text = t_snapshot(c, t_skip);
    t_has_line(text, "schema public: ");
    t_has_line(text, "schema other: ");
    t_has_line(text, "table public.users: ");
    t_has_line(text, "table public.strata_history: ");
    t_has_line(text, "column public.users.mood: #5 public.mood");
    t_has_line(text, "constraint public.posts.foreign key (user_id) references public.users (id): "
                     "on update no action on delete cascade");
    free(text);
    dt_close(c);
}

/*
 * The schema of test_snapshot built in another database in another order: constraints
 * added later under other names, a dropped column, the enum's values added one by one, a
 * serial spelt out, function bodies and a trigger's condition laid out otherwise, trigger
 * events in another order, no strata tables and no extension. The snapshot is the same,
 * byte for byte.
 */
static void
test_snapshot_order(void)
{
    static const char *const steps[] = {
        "CREATE FUNCTION add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE "
        "AS '\n   SELECT  a +\tb\n';"
        "CREATE TABLE cache (k text, v text); ALTER TABLE cache ADD PRIMARY KEY (k);"
        "ALTER TABLE cache SET UNLOGGED;"
        "CREATE TABLE users (id bigint NOT NULL, gone integer, email text, name text "
        "DEFAULT 'anon', age integer, mood text);"
        "CREATE TYPE mood AS ENUM ('ok')",
        "ALTER TYPE mood ADD VALUE 'sad' BEFORE 'ok'",
        "ALTER TYPE mood ADD VALUE 'happy'",
        "ALTER TABLE users ALTER mood TYPE mood USING mood::mood;"
        "CREATE DOMAIN email AS text CHECK (VALUE ~ '@'); ALTER DOMAIN email SET NOT NULL;"
        "ALTER DOMAIN email SET DEFAULT 'nobody@example.org';"
        "ALTER TABLE users DROP COLUMN gone; ALTER TABLE users ALTER email TYPE email;"
        "ALTER TABLE users ALTER email SET NOT NULL;"
        "ALTER TABLE users ALTER id ADD GENERATED ALWAYS AS IDENTITY;"
        "ALTER TABLE users ADD CONSTRAINT users_key PRIMARY KEY (id);"
        "ALTER TABLE users ADD CONSTRAINT email_once UNIQUE (email);"
        "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0);"
        "ALTER TABLE users ALTER name TYPE text COLLATE \"C\";"
        "CREATE PROCEDURE noop() LANGUAGE sql AS 'SELECT 1';"
        "CREATE SCHEMA other; CREATE TABLE other.things (id integer, owner bigint, mood mood);"
        "ALTER TABLE other.things ADD PRIMARY KEY (id);"
        "ALTER TABLE other.things ADD CONSTRAINT owner_fk FOREIGN KEY (owner) REFERENCES users "
        "(id) DEFERRABLE INITIALLY DEFERRED;"
        "CREATE TABLE events (at date NOT NULL, kind text) PARTITION BY RANGE (at);"
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        "    NEW.score := coalesce(NEW.score, 0);\n    RETURN NEW;\nEND\n$$;"
        "CREATE TABLE posts (id integer NOT NULL, user_id bigint NOT NULL, title varchar(200) "
        "NOT NULL, score integer, twice integer GENERATED ALWAYS AS (score * 2) STORED);"
        "CREATE SEQUENCE posts_id_seq AS integer;"
        "ALTER TABLE posts ALTER id SET DEFAULT nextval('posts_id_seq');"
        "ALTER SEQUENCE posts_id_seq OWNED BY posts.id;"
        "ALTER TABLE posts ADD CONSTRAINT score_cap CHECK (score < 1000) NOT VALID;"
        "ALTER TABLE posts ADD CONSTRAINT posts_fk FOREIGN KEY (user_id) REFERENCES users (id) "
        "ON DELETE CASCADE;"
        "ALTER TABLE posts ADD PRIMARY KEY (id);"
        "CREATE UNIQUE INDEX posts_title ON posts (lower(title), score DESC) WHERE score > 0;"
        "CREATE INDEX posts_user ON posts (user_id);"
        "CREATE TRIGGER posts_touch BEFORE UPDATE OF score OR INSERT ON posts FOR EACH ROW "
        "WHEN (new.score   IS NULL) EXECUTE FUNCTION touch();"
        "CREATE TABLE booking (room integer, during tsrange);"
        "ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);"
        "CREATE SEQUENCE counter INCREMENT BY 2 START WITH 5 CACHE 3;"
        "CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;"
        "CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users",
    };
    char db[64];
    strata_url url;
    strata_conn *c = t_fresh("snaporder", &url, db, sizeof(db));
    strata_error err = STRATA_ERROR_INIT;
    char *text;
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t_snap_text);
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (dt_exec(c, steps[i], &err) != STRATA_OK)
            fprintf(stderr, "\n  step %zu: %s\n", i, err.message);
        CU_ASSERT_EQUAL_FATAL(err.status, STRATA_OK);
    }
    text = t_snapshot(c, t_skip);
    ASSERT_STR(text, t_snap_text);
    free(text);
    free(t_snap_text);
    t_snap_text = NULL;
    dt_close(c);
}

/* ---- scratch databases ---- */

/*
 * scratch_create() makes a database one can connect to, under a new name each time;
 * scratch_drop() drops it while a session is still connected to it, and refuses any
 * database not named strata_scratch_...; an account that may not create databases gets
 * the server's refusal.
 */
static void
test_scratch(void)
{
    char name[64], other[64], small[8], text[128], password[32];
    strata_url url = *t_url, as_role;
    strata_conn *s = NULL, *r = NULL;
    strata_error err = STRATA_ERROR_INIT;
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t_admin);
    dt_error_init(&err);
    CU_ASSERT_EQUAL_FATAL(drv->scratch_create(t_admin, name, sizeof(name), &err), STRATA_OK);
    CU_ASSERT_FATAL(t_ndbs < T_MAX_DBS - 1);
    snprintf(t_dbs[t_ndbs++], sizeof(t_dbs[0]), "%s", name); /* dropped at cleanup if left */
    CU_ASSERT_EQUAL(strncmp(name, "strata_scratch_", 15), 0);
    CU_ASSERT_EQUAL(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_"), strlen(name));
    dt_error_init(&err);
    CU_ASSERT_EQUAL_FATAL(drv->scratch_create(t_admin, other, sizeof(other), &err), STRATA_OK);
    snprintf(t_dbs[t_ndbs++], sizeof(t_dbs[0]), "%s", other);
    CU_ASSERT_STRING_NOT_EQUAL(name, other);

    /* empty, and reachable under its name */
    url.database = name;
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&url, NULL, &s, &err), STRATA_OK);
    CU_ASSERT_STRING_EQUAL(dt_text(s, "SELECT current_database()", text, sizeof(text)), name);
    CU_ASSERT_EQUAL(dt_scalar(s, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
                                 "n.oid = c.relnamespace WHERE n.nspname = 'public'"),
                    0);

    /* a name that does not fit is refused before anything is created */
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->scratch_create(t_admin, small, sizeof(small), &err), STRATA_USAGE);
    /* this process's scratch databases only: other tests may make theirs meanwhile */
    char mine[160];
    snprintf(mine, sizeof(mine),
             "SELECT count(*) FROM pg_database WHERE datname LIKE 'strata\\_scratch\\_%ld\\_%%'",
             (long)getpid());
    CU_ASSERT_EQUAL(dt_scalar(t_admin, mine), 2);

    /* dropped with s still connected */
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->scratch_drop(t_admin, name, &err), STRATA_OK);
    snprintf(text, sizeof(text), "SELECT count(*) FROM pg_database WHERE datname = '%s'", name);
    CU_ASSERT_EQUAL(dt_scalar(t_admin, text), 0);
    CU_ASSERT_EQUAL(dt_exec(s, "SELECT 1", &err), STRATA_ERROR);
    dt_close(s);
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->scratch_drop(t_admin, name, &err), STRATA_OK); /* gone already */
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->scratch_drop(t_admin, other, &err), STRATA_OK);

    /* anything else is refused, whatever it is */
    for (i = 0; i < 3; i++) {
        const char *refused[] = {"postgres", "strata_scratch", t_dbs[0]};
        dt_error_init(&err);
        CU_ASSERT_EQUAL(drv->scratch_drop(t_admin, refused[i], &err), STRATA_USAGE);
        ASSERT_CONTAINS(err.message, "strata_scratch_");
    }
    CU_ASSERT_EQUAL(dt_scalar(t_admin, "SELECT count(*) FROM pg_database WHERE datname = "
                                       "'postgres'"),
                    1);

    /* the role of test_schema_privileges may not create databases */
    if (t_role[0] == '\0')
        return;
    snprintf(password, sizeof(password), "pw%ld", (long)getpid());
    as_role = *t_url;
    as_role.user = t_role;
    as_role.password = password;
    CU_ASSERT_EQUAL_FATAL(t_connect_url(&as_role, NULL, &r, &err), STRATA_OK);
    dt_error_init(&err);
    CU_ASSERT_EQUAL(drv->scratch_create(r, name, sizeof(name), &err), STRATA_ERROR);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "42501");
    ASSERT_CONTAINS(err.message, "permission denied");
    dt_close(r);
}

/* ---- the end ---- */

static void
test_cleanup(void)
{
    char sql[256];
    strata_error err = STRATA_ERROR_INIT;
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t_admin);
    for (i = 0; i < t_ndbs; i++) {
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%.63s\" WITH (FORCE)", t_dbs[i]);
        CU_ASSERT_EQUAL(dt_exec(t_admin, sql, &err), STRATA_OK);
    }
    if (t_role[0] != '\0') {
        snprintf(sql, sizeof(sql), "DROP ROLE IF EXISTS %s", t_role);
        CU_ASSERT_EQUAL(dt_exec(t_admin, sql, &err), STRATA_OK);
    }
    dt_close(t_admin);
    t_admin = NULL;
    strata_url_free(t_url);
    t_url = NULL;
    dt_unload();
}

int
main(void)
{
    static const tu_test tests[] = {
        {"load postgres.so and reach the server", test_load},
        {"entry refuses another ABI", dt_test_entry_refuses_other_abi},
        {"identity", test_identity},
        {"describe", test_describe},
        {"quote_ident and quote_literal", test_quote},
        {"connect, close, server_version", test_connect_close},
        {"URL parameters", test_url_params},
        {"several hosts in the URL", test_several_hosts},
        {"wrong password", test_wrong_password},
        {"exec several statements", test_exec_several},
        {"query rows and NULLs", test_query_nulls},
        {"begin, commit, rollback", test_transactions},
        {"syntax error position in bytes", test_syntax_error_position},
        {"runtime errors: sqlstate, detail, hint", test_runtime_errors},
        {"plpgsql in dollar quotes", test_plpgsql_dollar_quotes},
        {"notices are debug lines", test_notices},
        {"lost connection", test_lost_connection},
        {"copy_in", test_copy_in},
        {"copy_in errors", test_copy_in_errors},
        {"the described types behave as documented", test_types},
        {"quoting round trips hostile text", test_quote_round_trip},
        {"... with standard_conforming_strings off from the URL",
         test_quote_round_trip_escape_strings},
        {"query: NOT_FOUND for a missing table or schema only", test_not_found},
        {"schema option", test_schema_option},
        {"schema without CREATE on the database", test_schema_privileges},
        {"lock", test_lock},
        {"lock waiter and CREATE INDEX CONCURRENTLY", test_lock_waiter_and_concurrent_index},
        {"no-transaction patterns agree with the server", test_no_transaction_patterns},
        {"snapshot", test_snapshot},
        {"snapshot: same schema, other order, other database", test_snapshot_order},
        {"scratch_create and scratch_drop", test_scratch},
        {"cleanup", test_cleanup},
        {NULL, NULL},
    };

    tu_suite("postgres driver", tests);
    return tu_run();
}
