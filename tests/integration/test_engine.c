/*
 * The engine through the public library API (include/strata/strata.h): up, down, status,
 * validate, force, failures, dirty state, locking, concurrency. The same suite runs on
 * SQLite, PostgreSQL and MariaDB ("engine on sqlite", "engine on postgres", "engine on
 * mysql"); each test gets a fresh database (a temp file, or a CREATE DATABASE on the test
 * server) that is dropped after it.
 *
 * The database is inspected directly, never through strata: SQLite through libsqlite3,
 * PostgreSQL through `psql`, MariaDB through the `mariadb` client.
 *
 * The servers come from STRATA_TEST_POSTGRES_URL and STRATA_TEST_MYSQL_URL (superuser URLs;
 * ./run-tests starts throwaway servers and sets them). When a driver was built but its
 * variable is unset, its suite fails; when the driver was not built (no NAME.so in the
 * first directory of STRATA_DRIVER_PATH), its suite is not registered.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <CUnit/Basic.h>

#include <strata/strata.h>

#include "testutil.h"

/* ------------------------------------------------------------------ backends */

enum backend { B_SQLITE = 1, B_POSTGRES = 2, B_MYSQL = 4 };
#define B_ALL (B_SQLITE | B_POSTGRES | B_MYSQL)

static enum backend backend = B_SQLITE; /* set by the running suite's init function */
static const char *admin_url;           /* server suites: the superuser URL from the env */

/* A connection URL taken apart (no percent-decoding: test passwords are alphanumeric). */
typedef struct url_parts {
    char scheme[32];
    char user[128];
    char password[128];
    char host[256];
    char port[16];
    char database[256];
    char query[1024]; /* with its leading '?', or "" */
} url_parts;

static void
copy_span(char *out, size_t size, const char *s, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* scheme://[user[:password]@]host[:port][/database][?query] */
static int
parse_url(const char *url, url_parts *u)
{
    memset(u, 0, sizeof(*u));
    const char *p = strstr(url, "://");
    if (p == NULL)
        return -1;
    copy_span(u->scheme, sizeof(u->scheme), url, (size_t)(p - url));
    p += 3;
    const char *q = strchr(p, '?');
    const char *end = q ? q : p + strlen(p);
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *auth_end = slash ? slash : end;
    const char *at = NULL;
    for (const char *c = p; c < auth_end; c++)
        if (*c == '@')
            at = c;
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon != NULL) {
            copy_span(u->user, sizeof(u->user), p, (size_t)(colon - p));
            copy_span(u->password, sizeof(u->password), colon + 1, (size_t)(at - colon - 1));
        } else {
            copy_span(u->user, sizeof(u->user), p, (size_t)(at - p));
        }
        p = at + 1;
    }
    const char *colon = memchr(p, ':', (size_t)(auth_end - p));
    if (colon != NULL) {
        copy_span(u->host, sizeof(u->host), p, (size_t)(colon - p));
        copy_span(u->port, sizeof(u->port), colon + 1, (size_t)(auth_end - colon - 1));
    } else {
        copy_span(u->host, sizeof(u->host), p, (size_t)(auth_end - p));
    }
    if (slash != NULL)
        copy_span(u->database, sizeof(u->database), slash + 1, (size_t)(end - slash - 1));
    if (q != NULL)
        copy_span(u->query, sizeof(u->query), q, strlen(q));
    return 0;
}

/* base with its database replaced by db (any ?query kept). */
static void
url_with_database(const char *base, const char *db, char *out, size_t size)
{
    const char *p = strstr(base, "://");
    p = p ? p + 3 : base;
    const char *q = strchr(p, '?');
    const char *end = q ? q : p + strlen(p);
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *cut = slash ? slash : end;
    snprintf(out, size, "%.*s/%s%s", (int)(cut - base), base, db, q ? q : "");
}

/* base with its password replaced by password. */
static void
url_with_password(const char *base, const char *password, char *out, size_t size)
{
    url_parts u;
    parse_url(base, &u);
    snprintf(out, size, "%s://%s:%s@%s%s%s/%s%s", u.scheme, u.user, password, u.host,
             u.port[0] ? ":" : "", u.port, u.database, u.query);
}

/* Printed when strata_up() returns STRATA_NOT_FOUND for a failed migration statement: the
 * drivers' exec() may say so, and the core must count it as an error. */
#define REGRESSION_NOT_FOUND                                                                       \
    "\n    REGRESSION (drivers' exec() and core/engine/session.c strata_session_run): a "          \
    "migration "                                                                                   \
    "statement naming a missing table makes strata_up() return STRATA_NOT_FOUND (7), a status "    \
    "types.h gives a driver's query() alone, not STRATA_ERROR\n"

/* ------------------------------------------------------------------ per-test state */

static char *root; /* temp folder of the current test */
static char migdir[4200];
static char dbpath[4200]; /* SQLite: root/test.db */
static char dbname[128];  /* servers: the test's database */
static char url[4400];    /* what strata connects to */
static int setup_ok;      /* the test database exists */
static int test_seq;

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Records a failed assertion with a formatted message. */
static void fail_at(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
fail_at(int line, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    CU_assertImplementation(CU_FALSE, (unsigned)line, msg, __FILE__, "", CU_FALSE);
}

static void check_at(int ok, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
check_at(int ok, int line, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, msg, __FILE__, "", CU_FALSE);
}

/* Assertions that show the actual value when they fail. */
#define EXPECT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        check_at(h_ != NULL && strstr(h_, n_) != NULL, __LINE__,                                   \
                 "%s contains \"%s\" (it is \"%s\")", #hay, n_, h_ ? h_ : "(null)");               \
    } while (0)
#define EXPECT_NOT_CONTAINS(hay, needle)                                                           \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        check_at(h_ != NULL && strstr(h_, n_) == NULL, __LINE__,                                   \
                 "%s does not contain \"%s\" (it is \"%s\")", #hay, n_, h_ ? h_ : "(null)");       \
    } while (0)
#define EXPECT_STR(actual, expected)                                                               \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        check_at(a_ != NULL && strcmp(a_, e_) == 0, __LINE__, "%s is \"%s\" (it is \"%s\")",       \
                 #actual, e_, a_ ? a_ : "(null)");                                                 \
    } while (0)
#define EXPECT_LONG(actual, expected)                                                              \
    do {                                                                                           \
        long a_ = (long)(actual), e_ = (long)(expected);                                           \
        check_at(a_ == e_, __LINE__, "%s is %ld (it is %ld)", #actual, e_, a_);                    \
    } while (0)
/* A strata call's status, with err's message when it is not the expected one. */
#define EXPECT_RC(call, expected, errp)                                                            \
    do {                                                                                           \
        int r_ = (call), e_ = (expected);                                                          \
        check_at(r_ == e_, __LINE__, "%s returns %d (it returned %d: %s%s%s)", #call, e_, r_,      \
                 r_ ? (errp)->message : "", r_ && (errp)->hint[0] ? " / hint: " : "",              \
                 r_ ? (errp)->hint : "");                                                          \
    } while (0)

/* Single-quotes s for /bin/sh. */
static char *
shell_quote(const char *s)
{
    size_t n = 3;
    for (const char *c = s; *c; c++)
        n += *c == '\'' ? 4 : 1;
    char *out = malloc(n), *o = out;
    *o++ = '\'';
    for (const char *c = s; *c; c++) {
        if (*c == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *c;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

/* Runs cmd through the shell; returns its standard output (caller frees) and exit status. */
static char *
run_capture(const char *cmd, int *status)
{
    fflush(stdout);
    fflush(stderr);
    FILE *p = popen(cmd, "r");
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    if (p == NULL) {
        *status = -1;
        return out;
    }
    size_t got;
    while ((got = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            out = realloc(out, cap);
        }
    }
    out[len] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

/* The client command running sql on the database of connection URL target. */
static char *
client_command(const char *target, const char *sql)
{
    char *qsql = shell_quote(sql);
    char *cmd = NULL;
    if (backend == B_POSTGRES) {
        char *qurl = shell_quote(target);
        if (asprintf(&cmd, "psql %s -X -A -t -q -v ON_ERROR_STOP=1 -c %s", qurl, qsql) < 0)
            cmd = NULL;
        free(qurl);
    } else {
        url_parts u;
        parse_url(target, &u);
        char *quser = shell_quote(u.user), *qpass = shell_quote(u.password);
        char *qhost = shell_quote(u.host[0] ? u.host : "127.0.0.1");
        char *qdb = shell_quote(u.database);
        if (asprintf(&cmd, "mariadb --no-defaults -h %s -P %s -u %s -p%s -N -B -e %s %s", qhost,
                     u.port[0] ? u.port : "3306", quser, qpass, qsql, qdb) < 0)
            cmd = NULL;
        free(quser);
        free(qpass);
        free(qhost);
        free(qdb);
    }
    free(qsql);
    return cmd;
}

/* Runs sql as the superuser on the server's admin database; 0 when it worked. */
static int
admin_exec(const char *sql)
{
    char *cmd = client_command(admin_url, sql);
    int st;
    char *out = run_capture(cmd, &st);
    free(out);
    free(cmd);
    return st;
}

/* Every row of sql on the test database: columns joined by '|', rows by '\n' (no trailing
 * newline). *ok is 0 when the query could not run (the reason is on stderr). */
static char *
query_rows(const char *sql, int *ok)
{
    *ok = 1;
    if (backend == B_SQLITE) {
        sqlite3 *db;
        sqlite3_stmt *st;
        size_t cap = 256, len = 0;
        char *out = malloc(cap);
        out[0] = '\0';
        if (sqlite3_open(dbpath, &db) != SQLITE_OK) {
            fprintf(stderr, "sqlite3_open %s: %s\n", dbpath, sqlite3_errmsg(db));
            sqlite3_close(db);
            *ok = 0;
            return out;
        }
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
            fprintf(stderr, "inspection query failed: %s: %s\n", sql, sqlite3_errmsg(db));
            sqlite3_close(db);
            *ok = 0;
            return out;
        }
        int rows = 0, rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const char *v = (const char *)sqlite3_column_text(st, c);
                const char *sep = c > 0 ? "|" : rows > 0 ? "\n" : "";
                size_t need = strlen(sep) + (v ? strlen(v) : 0) + 1;
                while (len + need >= cap) {
                    cap *= 2;
                    out = realloc(out, cap);
                }
                len += (size_t)sprintf(out + len, "%s%s", sep, v ? v : "");
            }
            rows++;
        }
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "inspection query failed: %s: %s\n", sql, sqlite3_errmsg(db));
            *ok = 0;
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return out;
    }
    char *cmd = client_command(url, sql);
    int st;
    char *out = run_capture(cmd, &st);
    free(cmd);
    if (st != 0) {
        fprintf(stderr, "inspection query failed (exit %d): %s\n", st, sql);
        *ok = 0;
    }
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '\n')
        out[--n] = '\0';
    if (backend == B_MYSQL)
        for (char *c = out; *c; c++)
            if (*c == '\t')
                *c = '|';
    return out;
}

static char *
rows_at(const char *sql, int line)
{
    int ok;
    char *out = query_rows(sql, &ok);
    if (!ok)
        fail_at(line, "inspection query failed: %s", sql);
    return out;
}

/* First row of sql, as a new string ("" when no row). */
static char *
scalar_at(const char *sql, int line)
{
    char *out = rows_at(sql, line);
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = '\0';
    return out;
}

static long
count_at(const char *sql, int line)
{
    char *v = scalar_at(sql, line);
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end != '\0')
        fail_at(line, "%s: not a number: \"%s\"", sql, v);
    free(v);
    return n;
}

/* Runs statements on the test database without strata; 0 when it worked. */
static int
db_exec(const char *sql)
{
    if (backend == B_SQLITE) {
        sqlite3 *db;
        char *msg = NULL;
        int rc = sqlite3_open(dbpath, &db);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
        if (rc != SQLITE_OK)
            fprintf(stderr, "%s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        sqlite3_close(db);
        return rc;
    }
    int ok;
    char *out = query_rows(sql, &ok);
    free(out);
    return ok ? 0 : 1;
}

static int
table_exists_at(const char *name, int line)
{
    char sql[512];
    switch (backend) {
    case B_SQLITE:
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", name);
        break;
    case B_POSTGRES:
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                 "current_schema() AND table_name = '%s'",
                 name);
        break;
    case B_MYSQL:
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                 "DATABASE() AND TABLE_NAME = '%s'",
                 name);
        break;
    }
    return (int)count_at(sql, line);
}

/* The user schema (not the history tables), normalized, one line per column or index. */
static char *
user_schema_at(int line)
{
    switch (backend) {
    case B_SQLITE:
        return rows_at("SELECT sql FROM sqlite_master WHERE name NOT LIKE 'strata_%' AND name "
                       "NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY name",
                       line);
    case B_POSTGRES:
        return rows_at("SELECT 'column ' || table_name || '.' || column_name || ' ' || "
                       "ordinal_position || ' ' || data_type || ' ' || "
                       "coalesce(character_maximum_length::text, '-') || ' ' || is_nullable || "
                       "' ' || coalesce(column_default, '-') AS line "
                       "FROM information_schema.columns WHERE table_schema = current_schema() "
                       "AND table_name NOT LIKE 'strata\\_%' "
                       "UNION ALL SELECT 'index ' || indexdef FROM pg_indexes "
                       "WHERE schemaname = current_schema() AND tablename NOT LIKE 'strata\\_%' "
                       "ORDER BY 1",
                       line);
    case B_MYSQL:
        return rows_at("SELECT CONCAT('column ', TABLE_NAME, '.', COLUMN_NAME, ' ', "
                       "ORDINAL_POSITION, ' ', COLUMN_TYPE, ' ', IS_NULLABLE, ' ', "
                       "COALESCE(COLUMN_DEFAULT, '-'), ' ', COLUMN_KEY) AS line "
                       "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                       "AND TABLE_NAME NOT LIKE 'strata\\_%' "
                       "UNION ALL SELECT CONCAT('index ', TABLE_NAME, '.', INDEX_NAME, ' ', "
                       "SEQ_IN_INDEX, ' ', COLUMN_NAME, ' ', NON_UNIQUE) "
                       "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                       "AND TABLE_NAME NOT LIKE 'strata\\_%' ORDER BY 1",
                       line);
    }
    return strdup("");
}

#define scalar(sql) scalar_at((sql), __LINE__)
#define rows(sql) rows_at((sql), __LINE__)
#define count(sql) count_at((sql), __LINE__)
#define table_exists(name) table_exists_at((name), __LINE__)
#define user_schema() user_schema_at(__LINE__)

/* ------------------------------------------------------------------ set-up, tear-down */

static void
setup(void)
{
    root = tu_tempdir();
    snprintf(migdir, sizeof(migdir), "%s/migrations", root);
    snprintf(dbpath, sizeof(dbpath), "%s/test.db", root);
    dbname[0] = '\0';
    setup_ok = 1;
    if (backend == B_SQLITE) {
        snprintf(url, sizeof(url), "sqlite:%s", dbpath);
        return;
    }
    snprintf(dbname, sizeof(dbname), "strata_t_%d_%d", (int)getpid(), ++test_seq);
    char sql[256];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", dbname);
    if (admin_exec(sql) != 0) {
        fprintf(stderr, "could not create the test database %s\n", dbname);
        dbname[0] = '\0';
        setup_ok = 0;
    }
    url_with_database(admin_url, dbname, url, sizeof(url));
}

static void
teardown(void)
{
    if (dbname[0] != '\0') {
        char sql[256];
        if (backend == B_POSTGRES)
            snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
        else
            snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", dbname);
        if (admin_exec(sql) != 0)
            fprintf(stderr, "could not drop the test database %s\n", dbname);
        dbname[0] = '\0';
    }
    tu_rmtree(root);
    free(root);
    root = NULL;
}

/* First thing in every test: stop when there is no database to test on. */
#define NEED_DATABASE()                                                                            \
    do {                                                                                           \
        if (!setup_ok) {                                                                           \
            fail_at(__LINE__, "the test database could not be created on %s",                      \
                    backend == B_POSTGRES ? "PostgreSQL" : "MariaDB");                             \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* ------------------------------------------------------------------ strata helpers */

#define POSTS_UP                                                                                   \
    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));\n"         \
    "CREATE INDEX posts_user ON posts (user_id);\n"

static void
write_demo(void)
{
    tu_write(migdir, "001_users.up.sql",
             "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200));\n");
    tu_write(migdir, "001_users.down.sql", "DROP TABLE users;\n");
    tu_write(migdir, "002_posts.up.sql", POSTS_UP);
    tu_write(migdir, "002_posts.down.sql", "DROP TABLE posts;\n");
    tu_write(migdir, "010_tags.sql",
             "-- strata:up\nCREATE TABLE tags (name VARCHAR(50) PRIMARY KEY);\n"
             "INSERT INTO tags VALUES ('a;b');\n-- strata:down\nDROP TABLE tags;\n");
}

static void
options(strata_options *o)
{
    strata_options_init(o);
    o->database_url = url;
    o->dir = migdir;
    o->lock_timeout_ms = 5000;
}

static strata *
open_db(strata_error *err)
{
    strata_options o;
    options(&o);
    strata *s = NULL;
    int rc = strata_open(&o, &s, err);
    if (rc != STRATA_OK)
        fprintf(stderr, "strata_open %s: %s\n", url, err->message);
    CU_ASSERT_EQUAL_FATAL(rc, STRATA_OK);
    return s;
}

/* strata_up on a new session; *out (may be NULL) receives the report. */
static int
up_report(strata_run_options *o, strata_error *err, strata_run_report **out)
{
    strata *s = open_db(err);
    strata_run_report *r = NULL;
    int rc = strata_up(s, o, &r, err);
    if (out)
        *out = r;
    else
        strata_run_report_free(r);
    strata_close(s);
    return rc;
}

static int
up(strata_run_options *o, strata_error *err, size_t *applied)
{
    strata_run_report *r = NULL;
    int rc = up_report(o, err, &r);
    if (applied)
        *applied = r ? r->count : 0;
    strata_run_report_free(r);
    return rc;
}

static int
down(strata_run_options *o, strata_error *err, size_t *undone)
{
    strata *s = open_db(err);
    strata_run_report *r = NULL;
    int rc = strata_down(s, o, &r, err);
    if (undone)
        *undone = r ? r->count : 0;
    strata_run_report_free(r);
    strata_close(s);
    return rc;
}

/* Waits for a child up to deadline (now_ms() value); its exit status, -1 if killed or
 * still running at the deadline (then it is killed). */
static int
wait_child(pid_t pid, long long deadline)
{
    int status;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (w < 0 && errno != EINTR)
            return -1;
        if (now_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -2;
        }
        usleep(20000);
    }
}

/* In a child process: strata up with lock_timeout_ms, writes the error's hint to hint_fd
 * (-1: nowhere), exits with the status. */
static void
runner_child_hint(const char *who, long lock_timeout_ms, strata_event_fn on_event, void *ctx,
                  int hint_fd)
{
    strata_options o;
    options(&o);
    o.lock_timeout_ms = lock_timeout_ms;
    o.on_event = on_event;
    o.event_ctx = ctx;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = strata_open(&o, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_up(s, NULL, NULL, &err);
    if (rc != STRATA_OK)
        fprintf(stderr, "runner %s: status %d: %s\n", who, rc, err.message);
    if (hint_fd >= 0) {
        ssize_t n = write(hint_fd, err.hint, strlen(err.hint));
        (void)n; /* the parent reports a hint it did not get */
    }
    strata_close(s);
    _exit(rc);
}

/* In a child process: strata up with lock_timeout_ms, exits with the status. */
static void
runner_child(const char *who, long lock_timeout_ms, strata_event_fn on_event, void *ctx)
{
    runner_child_hint(who, lock_timeout_ms, on_event, ctx, -1);
}

/* ------------------------------------------------------------------ tests */

static void
test_up_status_down(void)
{
    NEED_DATABASE();
    write_demo();
    strata_error err = STRATA_ERROR_INIT;
    size_t n = 0;
    EXPECT_RC(up(NULL, &err, &n), STRATA_OK, &err);
    EXPECT_LONG(n, 3);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations WHERE state='applied'"), 3);
    EXPECT_LONG(count("SELECT count(*) FROM tags WHERE name='a;b'"), 1);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE action='up' "
                      "AND outcome='ok'"),
                3);
    char *rank = rows("SELECT version FROM strata_migrations ORDER BY applied_rank");
    EXPECT_STR(rank, "001\n002\n010");
    free(rank);

    EXPECT_RC(up(NULL, &err, &n), STRATA_OK, &err);
    EXPECT_LONG(n, 0);

    strata *s = open_db(&err);
    strata_status_report *st = NULL;
    EXPECT_RC(strata_status(s, &st, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    EXPECT_LONG(st->count, 3);
    EXPECT_LONG(st->applied, 3);
    if (st->count == 3) {
        EXPECT_STR(st->items[2].version, "010");
        EXPECT_LONG(st->items[2].state, STRATA_STATE_APPLIED);
        /* status reads the columns up leaves out of its rows */
        CU_ASSERT_PTR_NOT_NULL(st->items[0].applied_at);
        CU_ASSERT_TRUE(st->items[2].applied_by != NULL && st->items[2].applied_by[0] != '\0');
        EXPECT_LONG(st->items[2].applied_rank, 3);
    }
    strata_status_report_free(st);
    strata_close(s);

    char *before = user_schema();
    EXPECT_CONTAINS(before, "posts_user");
    EXPECT_RC(down(NULL, &err, &n), STRATA_OK, &err);
    EXPECT_LONG(n, 1);
    EXPECT_LONG(table_exists("tags"), 0);
    EXPECT_LONG(table_exists("posts"), 1);
    strata_run_options all = {.size = sizeof(all), .all = 1};
    EXPECT_RC(down(&all, &err, &n), STRATA_OK, &err);
    EXPECT_LONG(n, 2);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations"), 0);
    char *empty = user_schema();
    EXPECT_STR(empty, "");
    EXPECT_RC(up(NULL, &err, &n), STRATA_OK, &err);
    EXPECT_LONG(n, 3);
    char *after = user_schema();
    EXPECT_STR(after, before);
    free(before);
    free(empty);
    free(after);
}

static void
test_to_and_step(void)
{
    NEED_DATABASE();
    write_demo();
    strata_error err = STRATA_ERROR_INIT;
    size_t n;
    strata_run_options o = {.size = sizeof(o), .to_version = "2"};
    EXPECT_RC(up(&o, &err, &n), STRATA_OK, &err);
    EXPECT_LONG(n, 2);
    strata_run_options one = {.size = sizeof(one), .step = 1};
    EXPECT_RC(up(&one, &err, &n), STRATA_OK, &err);
    EXPECT_LONG(n, 1);
    strata_run_options to1 = {.size = sizeof(to1), .to_version = "001"};
    EXPECT_RC(down(&to1, &err, &n), STRATA_OK, &err);
    EXPECT_LONG(n, 2);
    char *left = rows("SELECT version FROM strata_migrations");
    EXPECT_STR(left, "001");
    free(left);
    EXPECT_LONG(table_exists("users"), 1);
    EXPECT_LONG(table_exists("posts"), 0);
    strata_run_options bad = {.size = sizeof(bad), .to_version = "abc"};
    EXPECT_RC(up(&bad, &err, &n), STRATA_USAGE, &err);
}

static void
collect_sql(void *ctx, const strata_event *ev)
{
    if (ev->type == STRATA_EVENT_SQL)
        (*(int *)ctx)++;
}

static void
test_dry_run(void)
{
    NEED_DATABASE();
    write_demo();
    strata_options o;
    options(&o);
    int statements = 0;
    o.on_event = collect_sql;
    o.event_ctx = &statements;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    EXPECT_RC(strata_open(&o, &s, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    strata_run_options dry = {.size = sizeof(dry), .dry_run = 1};
    strata_run_report *r = NULL;
    EXPECT_RC(strata_up(s, &dry, &r, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    EXPECT_LONG(r->count, 3);
    EXPECT_LONG(r->dry_run, 1);
    EXPECT_LONG(statements, 5);
    strata_run_report_free(r);
    strata_close(s);
    EXPECT_LONG(table_exists("users"), 0);
    EXPECT_LONG(table_exists("tags"), 0);
    /* a dry run on a database strata never touched creates nothing, history included */
    EXPECT_LONG(table_exists("strata_migrations"), 0);
    EXPECT_LONG(table_exists("strata_migrations_meta"), 0);
}

static void
test_failure_leaves_nothing(void)
{
    NEED_DATABASE();
    write_demo();
    tu_write(migdir, "011_broken.up.sql",
             "CREATE TABLE half (id INTEGER);\n"
             "INSERT INTO half VALUES (1);\n"
             "  INSERT INTO nosuchtable VALUES (1);\n");
    tu_write(migdir, "012_after.up.sql", "CREATE TABLE after_broken (id INTEGER);\n");
    strata_error err = STRATA_ERROR_INIT;
    size_t n;
    EXPECT_RC(up(NULL, &err, &n), STRATA_ERROR, &err);
    if (err.status == STRATA_NOT_FOUND)
        fprintf(stderr, REGRESSION_NOT_FOUND);
    EXPECT_LONG(n, 3); /* the three before it stay applied */
    char expect[4400];
    snprintf(expect, sizeof(expect), "%s/011_broken.up.sql:3:", migdir);
    EXPECT_CONTAINS(err.message, expect);
    /* the column: where PostgreSQL reports the error (the table name), else the start of
     * the statement */
    snprintf(expect, sizeof(expect), "%s/011_broken.up.sql:3:%d: ", migdir,
             backend == B_POSTGRES ? 15 : 3);
    EXPECT_CONTAINS(err.message, expect);
    EXPECT_CONTAINS(err.message, "nosuchtable");
    EXPECT_LONG(table_exists("after_broken"), 0);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE version='011' "
                      "AND outcome='failed'"),
                1);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations WHERE state='applied'"), 3);
    if (backend != B_MYSQL) {
        /* transactional DDL: nothing of 011 is left */
        EXPECT_LONG(table_exists("half"), 0);
        EXPECT_LONG(count("SELECT count(*) FROM strata_migrations"), 3);
        return;
    }
    /* MariaDB commits DDL implicitly: the migration ran under the dirty protocol; its
     * CREATE TABLE stays, and the row of INSERTs after it rolled back with its checkpoint */
    char *state = scalar("SELECT state FROM strata_migrations WHERE version='011'");
    EXPECT_STR(state, "dirty");
    free(state);
    EXPECT_LONG(count("SELECT statements_done FROM strata_migrations WHERE version='011'"), 1);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations"), 4);
    EXPECT_LONG(table_exists("half"), 1);
    EXPECT_LONG(count("SELECT count(*) FROM half"), 0);
    EXPECT_CONTAINS(err.hint, "strata force 011");
    EXPECT_RC(up(NULL, &err, &n), STRATA_DIRTY, &err);
    EXPECT_LONG(n, 0);
    EXPECT_CONTAINS(err.hint, "strata force");
    EXPECT_LONG(table_exists("after_broken"), 0);
}

/*
 * An error the server reports without a position (a duplicate key) in a migration sent in
 * one round trip: strata finds the statement by replaying the migration one statement at a
 * time (from a new transaction: the first chunk has no savepoint), names file:line, and
 * leaves nothing behind.
 */
static void
test_error_without_position(void)
{
    NEED_DATABASE();
    write_demo();
    tu_write(migdir, "011_dup.up.sql",
             "CREATE TABLE dup (id INTEGER PRIMARY KEY);\n"
             "INSERT INTO dup VALUES (1);\n"
             "INSERT INTO dup VALUES (1);\n"
             "INSERT INTO dup VALUES (2);\n");
    strata_error err = STRATA_ERROR_INIT;
    size_t n;
    EXPECT_RC(up(NULL, &err, &n), STRATA_ERROR, &err);
    EXPECT_LONG(n, 3);
    char expect[4400];
    snprintf(expect, sizeof(expect), "%s/011_dup.up.sql:3:", migdir);
    EXPECT_CONTAINS(err.message, expect);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE version='011' "
                      "AND outcome='failed'"),
                1);
    if (backend == B_MYSQL) { /* the INSERTs after the CREATE TABLE rolled back together */
        EXPECT_LONG(count("SELECT statements_done FROM strata_migrations WHERE version='011'"), 1);
        EXPECT_LONG(count("SELECT count(*) FROM dup"), 0);
        return;
    }
    EXPECT_LONG(table_exists("dup"), 0);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations"), 3);
    /* the replay left no transaction open: the next run works */
    tu_write(migdir, "011_dup.up.sql", "CREATE TABLE dup (id INTEGER PRIMARY KEY);\n");
    EXPECT_RC(up(NULL, &err, &n), STRATA_OK, &err);
    EXPECT_LONG(n, 1);
}

static void
test_lexer_error_names_file(void)
{
    NEED_DATABASE();
    tu_write(migdir, "001_quote.up.sql",
             "CREATE TABLE t (a VARCHAR(50));\nINSERT INTO t VALUES ('x);\n");
    strata_error err = STRATA_ERROR_INIT;
    EXPECT_RC(up(NULL, &err, NULL), STRATA_VALIDATION, &err);
    char expect[4400];
    snprintf(expect, sizeof(expect), "%s/001_quote.up.sql:2:", migdir);
    EXPECT_CONTAINS(err.message, expect);
    EXPECT_LONG(table_exists("t"), 0);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations"), 0);
}

static void
test_edited_migration_refused(void)
{
    NEED_DATABASE();
    write_demo();
    strata_error err = STRATA_ERROR_INIT;
    EXPECT_RC(up(NULL, &err, NULL), STRATA_OK, &err);
    tu_write(migdir, "002_posts.up.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n");
    tu_write(migdir, "011_more.up.sql", "CREATE TABLE more (id INTEGER);\n");
    EXPECT_RC(up(NULL, &err, NULL), STRATA_VALIDATION, &err);
    EXPECT_CONTAINS(err.message, "002_posts.up.sql");
    EXPECT_CONTAINS(err.message, "edited");
    EXPECT_LONG(table_exists("more"), 0);

    strata *s = open_db(&err);
    strata_validation_report *v = NULL;
    EXPECT_RC(strata_validate(s, &v, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    EXPECT_LONG(v->errors, 1);
    int found = 0;
    for (size_t i = 0; i < v->count; i++)
        if (v->items[i].kind == STRATA_PROBLEM_MODIFIED &&
            strstr(v->items[i].message, "002_posts.up.sql") != NULL)
            found = 1;
    CU_ASSERT(found);
    strata_validation_report_free(v);
    strata_close(s);

    /* CRLF line ends and a BOM do not count as edits */
    tu_write(migdir, "002_posts.up.sql",
             "\xEF\xBB\xBF"
             "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER "
             "REFERENCES users(id));\r\nCREATE INDEX posts_user ON posts (user_id);\r\n");
    EXPECT_RC(up(NULL, &err, NULL), STRATA_OK, &err);
    EXPECT_LONG(table_exists("more"), 1);
}

static void
test_missing_file_reported(void)
{
    NEED_DATABASE();
    write_demo();
    strata_error err = STRATA_ERROR_INIT;
    EXPECT_RC(up(NULL, &err, NULL), STRATA_OK, &err);
    char path[4400];
    snprintf(path, sizeof(path), "%s/002_posts.up.sql", migdir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/002_posts.down.sql", migdir);
    unlink(path);
    strata *s = open_db(&err);
    strata_validation_report *v = NULL;
    EXPECT_RC(strata_validate(s, &v, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    EXPECT_LONG(v->errors, 1);
    CU_ASSERT_FATAL(v->count >= 1);
    EXPECT_LONG(v->items[0].kind, STRATA_PROBLEM_MISSING);
    EXPECT_CONTAINS(v->items[0].message, "002");
    strata_validation_report_free(v);
    strata_status_report *st = NULL;
    EXPECT_RC(strata_status(s, &st, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    EXPECT_LONG(st->missing, 1);
    strata_status_report_free(st);
    strata_close(s);
}

static void
test_out_of_order(void)
{
    NEED_DATABASE();
    write_demo();
    strata_error err = STRATA_ERROR_INIT;
    size_t n;
    EXPECT_RC(up(NULL, &err, NULL), STRATA_OK, &err);
    tu_write(migdir, "005_late.up.sql", "CREATE TABLE late (id INTEGER);\n");
    tu_write(migdir, "005_late.down.sql", "DROP TABLE late;\n");
    EXPECT_RC(up(NULL, &err, NULL), STRATA_VALIDATION, &err);
    EXPECT_CONTAINS(err.message, "005_late.up.sql");
    EXPECT_CONTAINS(err.message, "--allow-out-of-order");
    EXPECT_LONG(table_exists("late"), 0);

    strata_options o;
    options(&o);
    o.allow_out_of_order = 1;
    strata *s = NULL;
    EXPECT_RC(strata_open(&o, &s, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    EXPECT_RC(strata_up(s, NULL, NULL, &err), STRATA_OK, &err);
    EXPECT_LONG(count("SELECT applied_rank FROM strata_migrations WHERE version='005'"), 4);
    EXPECT_LONG(table_exists("late"), 1);
    /* down undoes in the order actually applied: 005 first, then 010 */
    strata_run_report *r = NULL;
    EXPECT_RC(strata_down(s, NULL, &r, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    EXPECT_LONG(r->count, 1);
    if (r->count == 1)
        EXPECT_STR(r->items[0].version, "005");
    strata_run_report_free(r);
    strata_close(s);
    EXPECT_LONG(table_exists("late"), 0);
    EXPECT_RC(down(NULL, &err, &n), STRATA_OK, &err);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations WHERE version='010'"), 0);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations"), 2);
}

static void
test_no_down_refused(void)
{
    NEED_DATABASE();
    tu_write(migdir, "001_only_up.sql", "CREATE TABLE only_up (id INTEGER);\n");
    strata_error err = STRATA_ERROR_INIT;
    EXPECT_RC(up(NULL, &err, NULL), STRATA_OK, &err);
    EXPECT_RC(down(NULL, &err, NULL), STRATA_VALIDATION, &err);
    EXPECT_CONTAINS(err.message, "001_only_up.sql");
    EXPECT_CONTAINS(err.message, "no down");
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations"), 1);
    EXPECT_LONG(table_exists("only_up"), 1);
}

static void
test_dirty_protocol_and_force(void)
{
    NEED_DATABASE();
    tu_write(migdir, "001_ok.up.sql", "CREATE TABLE ok (id INTEGER);\n");
    tu_write(migdir, "002_notx.up.sql",
             "-- strata:no-transaction\n"
             "CREATE TABLE step_one (id INTEGER);\n"
             "CREATE TABLE step_two (id INTEGER);\n"
             "INSERT INTO missing_table VALUES (1);\n");
    strata_error err = STRATA_ERROR_INIT;
    EXPECT_RC(up(NULL, &err, NULL), STRATA_ERROR, &err);
    if (err.status == STRATA_NOT_FOUND)
        fprintf(stderr, REGRESSION_NOT_FOUND);
    EXPECT_CONTAINS(err.message, "002_notx.up.sql:4:");
    /* where PostgreSQL reports the error (the table name), else the statement's start */
    EXPECT_CONTAINS(err.message,
                    backend == B_POSTGRES ? "002_notx.up.sql:4:13: " : "002_notx.up.sql:4:1: ");
    EXPECT_CONTAINS(err.message, "missing_table");
    EXPECT_CONTAINS(err.hint, "strata force 002");
    char *state = scalar("SELECT state FROM strata_migrations WHERE version='002'");
    EXPECT_STR(state, "dirty");
    free(state);
    EXPECT_LONG(count("SELECT statements_done FROM strata_migrations WHERE version='002'"), 2);
    /* statements before the failure stay: there was no transaction */
    EXPECT_LONG(table_exists("step_one"), 1);
    EXPECT_LONG(table_exists("step_two"), 1);

    EXPECT_RC(up(NULL, &err, NULL), STRATA_DIRTY, &err);
    EXPECT_CONTAINS(err.hint, "strata force 002 rolled-back");

    strata *s = open_db(&err);
    strata_validation_report *v = NULL;
    EXPECT_RC(strata_validate(s, &v, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT(v->errors >= 1);
    int dirty = 0;
    for (size_t i = 0; i < v->count; i++)
        dirty += v->items[i].kind == STRATA_PROBLEM_DIRTY;
    EXPECT_LONG(dirty, 1);
    strata_validation_report_free(v);
    EXPECT_RC(strata_force(s, "002", 0, &err), STRATA_OK, &err);
    strata_close(s);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations WHERE version='002'"), 0);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE action='force'"), 1);

    /* the user undoes by hand, fixes the file, and runs again */
    EXPECT_LONG(db_exec("DROP TABLE step_one; DROP TABLE step_two;"), 0);
    tu_write(migdir, "002_notx.up.sql",
             "-- strata:no-transaction\nCREATE TABLE step_one (id INTEGER);\n"
             "CREATE TABLE step_two (id INTEGER);\n");
    EXPECT_RC(up(NULL, &err, NULL), STRATA_OK, &err);
    char *applied = scalar("SELECT state FROM strata_migrations WHERE version='002'");
    EXPECT_STR(applied, "applied");
    free(applied);
    EXPECT_LONG(count("SELECT statements_done FROM strata_migrations WHERE version='002'"), 2);
    EXPECT_LONG(table_exists("step_two"), 1);

    s = open_db(&err);
    EXPECT_RC(strata_force(s, "7", 1, &err), STRATA_USAGE, &err);
    strata_close(s);
}

/*
 * Makes the history table refuse every row of event ("insert" or "update") with a trigger
 * raising "history is read-only today"; undone with stop_refusing(event).
 */
static void
refuse_history(const char *event)
{
    char sql[512];
    if (backend == B_POSTGRES)
        EXPECT_LONG(db_exec("CREATE OR REPLACE FUNCTION read_only_history() RETURNS trigger "
                            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'history is "
                            "read-only today'; END $$"),
                    0);
    if (backend == B_SQLITE)
        snprintf(sql, sizeof(sql),
                 "CREATE TRIGGER no_%s BEFORE %s ON strata_migrations BEGIN "
                 "SELECT RAISE(ABORT, 'history is read-only today'); END",
                 event, event);
    else if (backend == B_POSTGRES)
        snprintf(sql, sizeof(sql),
                 "CREATE TRIGGER no_%s BEFORE %s ON strata_migrations FOR EACH ROW "
                 "EXECUTE FUNCTION read_only_history()",
                 event, event);
    else
        snprintf(sql, sizeof(sql),
                 "CREATE TRIGGER no_%s BEFORE %s ON strata_migrations FOR EACH ROW "
                 "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'history is read-only today'",
                 event, event);
    EXPECT_LONG(db_exec(sql), 0);
}

static void
stop_refusing(const char *event)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP TRIGGER no_%s%s", event,
             backend == B_POSTGRES ? " ON strata_migrations" : "");
    EXPECT_LONG(db_exec(sql), 0);
}

/*
 * Outside a transaction the 'dirty' row is written before the first statement runs (on
 * MariaDB in the same round trip): when the history refuses the row, nothing of the
 * migration runs, nothing is recorded, and the error names the history table, not the
 * migration's file. Up inserts the row, down updates it; a trigger refuses each in turn.
 */
static void
test_dirty_row_refused(void)
{
    NEED_DATABASE();
    tu_write(migdir, "001_keep.up.sql",
             "-- strata:no-transaction\nCREATE TABLE keep_me (id INTEGER);\n");
    tu_write(migdir, "001_keep.down.sql", "-- strata:no-transaction\nDROP TABLE keep_me;\n");
    tu_write(migdir, "002_never.up.sql",
             "-- strata:no-transaction\nCREATE TABLE never_made (id INTEGER);\n"
             "CREATE TABLE never_made_either (id INTEGER);\n");
    strata_error err = STRATA_ERROR_INIT;
    strata_run_options o = {.size = sizeof(o), .to_version = "001"};
    EXPECT_RC(up(&o, &err, NULL), STRATA_OK, &err);
    refuse_history("insert");

    EXPECT_RC(up(NULL, &err, NULL), STRATA_ERROR, &err);
    EXPECT_CONTAINS(err.message, "cannot record the start of migration 002 in ");
    EXPECT_CONTAINS(err.message, "history is read-only today");
    CU_ASSERT_PTR_NULL(strstr(err.message, "002_never.up.sql"));
    EXPECT_LONG(table_exists("never_made"), 0);
    EXPECT_LONG(table_exists("never_made_either"), 0);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations WHERE version='002'"), 0);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE version='002' "
                      "AND outcome='failed'"),
                1);

    stop_refusing("insert");
    refuse_history("update");
    o = (strata_run_options){.size = sizeof(o), .all = 1};
    EXPECT_RC(down(&o, &err, NULL), STRATA_ERROR, &err);
    EXPECT_CONTAINS(err.message, "cannot record the start of migration 001 in ");
    EXPECT_CONTAINS(err.message, "history is read-only today");
    EXPECT_LONG(table_exists("keep_me"), 1);
    char *state = scalar("SELECT state FROM strata_migrations WHERE version='001'");
    EXPECT_STR(state, "applied");
    free(state);
}

/*
 * Outside a transaction, a statement ran but the checkpoint recording it could not be
 * written (sent after the statement, as on SQLite and PostgreSQL): the record counts one
 * statement fewer than ran, and the hint says so instead of offering --resume, which would
 * run that statement again.
 */
static void
test_checkpoint_refused(void)
{
    NEED_DATABASE();
    tu_write(migdir, "001_first.up.sql", "CREATE TABLE first_one (id INTEGER);\n");
    tu_write(migdir, "002_two.up.sql",
             "-- strata:no-transaction\nCREATE TABLE ran_first (id INTEGER);\n"
             "CREATE TABLE never_ran (id INTEGER);\n");
    strata_error err = STRATA_ERROR_INIT;
    strata_run_options o = {.size = sizeof(o), .to_version = "001"};
    EXPECT_RC(up(&o, &err, NULL), STRATA_OK, &err);
    refuse_history("update");
    EXPECT_RC(up(NULL, &err, NULL), STRATA_ERROR, &err);
    EXPECT_CONTAINS(err.message, "cannot record the progress of migration 002 in ");
    EXPECT_CONTAINS(err.message, "history is read-only today");
    EXPECT_CONTAINS(err.hint, "statement 1 of the up script of migration 002 ran, but its "
                              "record says 0 statement(s)");
    EXPECT_CONTAINS(err.hint, "would run statement 1 again");
    EXPECT_LONG(table_exists("ran_first"), 1);
    EXPECT_LONG(table_exists("never_ran"), 0);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations WHERE version='002' "
                      "AND state='dirty' AND statements_done=0"),
                1);
    stop_refusing("update");
}

static void
test_vacuum_runs_outside_transaction(void)
{
    NEED_DATABASE();
    tu_write(migdir, "001_t.up.sql", "CREATE TABLE t (id INTEGER);\nVACUUM;\n");
    strata_error err = STRATA_ERROR_INIT;
    strata_run_report *r = NULL;
    EXPECT_RC(up_report(NULL, &err, &r), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    EXPECT_LONG(r->count, 1);
    if (r->count == 1) {
        EXPECT_LONG(r->items[0].no_transaction, 1);
        EXPECT_LONG(r->items[0].statements, 2);
    }
    strata_run_report_free(r);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations WHERE state='applied'"), 1);
    EXPECT_LONG(table_exists("t"), 1);
}

/* SQLite: a trigger with BEGIN ... END and a CASE expression. */
static void
trigger_body_sqlite(void)
{
    tu_write(migdir, "001_audit.up.sql",
             "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER);\n"
             "CREATE TABLE audit (msg TEXT);\n"
             "CREATE TRIGGER items_audit AFTER INSERT ON items\nBEGIN\n"
             "  INSERT INTO audit VALUES (CASE WHEN NEW.qty > 10 THEN 'big' ELSE 'small' END);\n"
             "  INSERT INTO audit VALUES ('done;');\nEND;\n"
             "INSERT INTO items (qty) VALUES (50);\n");
    strata_error err = STRATA_ERROR_INIT;
    EXPECT_RC(up(NULL, &err, NULL), STRATA_OK, &err);
    EXPECT_LONG(count("SELECT count(*) FROM audit"), 2);
    EXPECT_LONG(count("SELECT count(*) FROM audit WHERE msg='big'"), 1);
    EXPECT_LONG(count("SELECT count(*) FROM audit WHERE msg='done;'"), 1);
}

/* PostgreSQL: a plpgsql function in dollar quotes, a trigger using it, and COPY FROM stdin
 * data, in one migration; up, down, up. */
static void
trigger_body_postgres(void)
{
    tu_write(migdir, "001_audit.up.sql",
             "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, note VARCHAR(50));\n"
             "CREATE TABLE audit (msg VARCHAR(50));\n"
             "CREATE FUNCTION items_audit() RETURNS trigger LANGUAGE plpgsql AS $$\n"
             "BEGIN\n"
             "  INSERT INTO audit VALUES (CASE WHEN NEW.qty > 10 THEN 'big' ELSE 'small' END);\n"
             "  INSERT INTO audit VALUES ('done;');\n"
             "  RETURN NEW;\n"
             "END;\n"
             "$$;\n"
             "CREATE FUNCTION note_of(i INTEGER) RETURNS TEXT LANGUAGE sql AS $body$\n"
             "  SELECT note FROM items WHERE id = i; $body$;\n"
             "CREATE TRIGGER items_audit AFTER INSERT ON items\n"
             "  FOR EACH ROW EXECUTE FUNCTION items_audit();\n"
             "COPY items (id, qty, note) FROM stdin;\n"
             "1\t50\ta;b\n"
             "2\t5\t\\N\n"
             "3\t12\tit's\n"
             "\\.\n"
             "INSERT INTO items VALUES (4, 1, 'after copy');\n");
    tu_write(migdir, "001_audit.down.sql",
             "DROP TRIGGER items_audit ON items;\n"
             "DROP FUNCTION note_of(INTEGER);\n"
             "DROP FUNCTION items_audit();\n"
             "DROP TABLE audit;\n"
             "DROP TABLE items;\n");
    const char *routines = "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = "
                           "p.pronamespace WHERE n.nspname = current_schema() AND p.proname "
                           "IN ('items_audit', 'note_of')";
    strata_error err = STRATA_ERROR_INIT;
    for (int round = 1; round <= 2; round++) {
        strata_run_report *r = NULL;
        EXPECT_RC(up_report(NULL, &err, &r), STRATA_OK, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        EXPECT_LONG(r->count, 1);
        if (r->count == 1)
            EXPECT_LONG(r->items[0].statements, 7);
        strata_run_report_free(r);
        EXPECT_LONG(count("SELECT count(*) FROM items"), 4);
        char *notes = rows("SELECT id, coalesce(note, 'NULL') FROM items ORDER BY id");
        EXPECT_STR(notes, "1|a;b\n2|NULL\n3|it's\n4|after copy");
        free(notes);
        char *note = scalar("SELECT note_of(3)");
        EXPECT_STR(note, "it's");
        free(note);
        EXPECT_LONG(count("SELECT count(*) FROM audit"), 8);
        EXPECT_LONG(count("SELECT count(*) FROM audit WHERE msg='big'"), 2);
        EXPECT_LONG(count("SELECT count(*) FROM audit WHERE msg='small'"), 2);
        EXPECT_LONG(count("SELECT count(*) FROM audit WHERE msg='done;'"), 4);
        EXPECT_LONG(count(routines), 2);
        EXPECT_LONG(count("SELECT count(*) FROM pg_trigger WHERE tgname = 'items_audit'"), 1);
        if (round == 2)
            break;
        EXPECT_RC(down(NULL, &err, NULL), STRATA_OK, &err);
        EXPECT_LONG(table_exists("items"), 0);
        EXPECT_LONG(table_exists("audit"), 0);
        EXPECT_LONG(count(routines), 0);
        EXPECT_LONG(count("SELECT count(*) FROM strata_migrations"), 0);
    }
}

/* MariaDB: DELIMITER $$ around a trigger and a procedure; a procedure without DELIMITER;
 * CALL; down; up. */
static void
trigger_body_mysql(void)
{
    tu_write(migdir, "001_audit.up.sql",
             "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER);\n"
             "CREATE TABLE audit (msg VARCHAR(50));\n"
             "DELIMITER $$\n"
             "CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW\n"
             "BEGIN\n"
             "  INSERT INTO audit VALUES (CASE WHEN NEW.qty > 10 THEN 'big' ELSE 'small' END);\n"
             "  INSERT INTO audit VALUES ('done;');\n"
             "END$$\n"
             "CREATE PROCEDURE add_item(IN i INTEGER, IN q INTEGER)\n"
             "BEGIN\n"
             "  INSERT INTO items VALUES (i, q);\n"
             "END$$\n"
             "DELIMITER ;\n"
             "INSERT INTO items VALUES (1, 50);\n");
    tu_write(migdir, "001_audit.down.sql",
             "DROP PROCEDURE add_item;\n"
             "DROP TRIGGER items_audit;\n"
             "DROP TABLE audit;\n"
             "DROP TABLE items;\n");
    tu_write(migdir, "002_bump.up.sql",
             "CREATE PROCEDURE bump(IN k INTEGER)\n"
             "BEGIN\n"
             "  IF k > 0 THEN\n"
             "    UPDATE items SET qty = qty + k;\n"
             "  END IF;\n"
             "  INSERT INTO audit VALUES ('bumped;');\n"
             "END;\n"
             "CALL bump(0);\n");
    tu_write(migdir, "002_bump.down.sql", "DROP PROCEDURE bump;\n");
    const char *routines = "SELECT count(*) FROM information_schema.ROUTINES "
                           "WHERE ROUTINE_SCHEMA = DATABASE()";
    const char *triggers = "SELECT count(*) FROM information_schema.TRIGGERS "
                           "WHERE TRIGGER_SCHEMA = DATABASE()";
    strata_error err = STRATA_ERROR_INIT;
    for (int round = 1; round <= 2; round++) {
        strata_run_report *r = NULL;
        EXPECT_RC(up_report(NULL, &err, &r), STRATA_OK, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        EXPECT_LONG(r->count, 2);
        if (r->count == 2) {
            EXPECT_LONG(r->items[0].statements, 5);
            EXPECT_LONG(r->items[1].statements, 2);
        }
        strata_run_report_free(r);
        EXPECT_LONG(count(routines), 2);
        EXPECT_LONG(count(triggers), 1);
        char *audit = rows("SELECT msg FROM audit ORDER BY msg");
        EXPECT_STR(audit, "big\nbumped;\ndone;");
        free(audit);

        EXPECT_LONG(db_exec("CALL add_item(2, 5)"), 0);
        EXPECT_LONG(db_exec("CALL bump(1)"), 0);
        char *items = rows("SELECT id, qty FROM items ORDER BY id");
        EXPECT_STR(items, "1|51\n2|6");
        free(items);
        EXPECT_LONG(count("SELECT count(*) FROM audit WHERE msg='small'"), 1);
        EXPECT_LONG(count("SELECT count(*) FROM audit WHERE msg='done;'"), 2);
        EXPECT_LONG(count("SELECT count(*) FROM audit WHERE msg='bumped;'"), 2);
        if (round == 2)
            break;
        strata_run_options all = {.size = sizeof(all), .all = 1};
        size_t n = 0;
        EXPECT_RC(down(&all, &err, &n), STRATA_OK, &err);
        EXPECT_LONG(n, 2);
        EXPECT_LONG(count(routines), 0);
        EXPECT_LONG(count(triggers), 0);
        EXPECT_LONG(table_exists("items"), 0);
        EXPECT_LONG(table_exists("audit"), 0);
        EXPECT_LONG(count("SELECT count(*) FROM strata_migrations"), 0);
    }
}

static void
test_trigger_body(void)
{
    NEED_DATABASE();
    switch (backend) {
    case B_SQLITE:
        trigger_body_sqlite();
        break;
    case B_POSTGRES:
        trigger_body_postgres();
        break;
    case B_MYSQL:
        trigger_body_mysql();
        break;
    }
}

/* SQLite: another process holds the flock on the database file. */
static void
lock_timeout_sqlite(void)
{
    write_demo();
    int fd = open(dbpath, O_RDWR | O_CREAT, 0644);
    int ready[2];
    CU_ASSERT_EQUAL_FATAL(pipe(ready), 0);
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        flock(fd, LOCK_EX);
        char c = 'x';
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        sleep(3);
        _exit(0);
    }
    char c;
    EXPECT_LONG(read(ready[0], &c, 1), 1);
    strata_options o;
    options(&o);
    o.lock_timeout_ms = 200;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    EXPECT_RC(strata_open(&o, &s, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    EXPECT_RC(strata_up(s, NULL, NULL, &err), STRATA_LOCK_TIMEOUT, &err);
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)child);
    EXPECT_CONTAINS(err.message, pid);
    EXPECT_CONTAINS(err.message, "held by");
    strata_close(s);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(fd);
    close(ready[0]);
    close(ready[1]);
    EXPECT_LONG(table_exists("users"), 0);
}

static void
signal_migration_start(void *ctx, const strata_event *ev)
{
    int *fd = ctx;
    if (ev->type == STRATA_EVENT_MIGRATION_START && *fd >= 0) {
        char c = 's';
        if (write(*fd, &c, 1) != 1)
            _exit(90);
        close(*fd);
        *fd = -1; /* only the first start is announced */
    }
}

/* Servers: a child's strata up holds the lock while its first migration sleeps. */
static void
lock_timeout_server(void)
{
    tu_write(migdir, "001_sleep.up.sql",
             backend == B_POSTGRES ? "SELECT pg_sleep(3);\n" : "SELECT SLEEP(3);\n");
    tu_write(migdir, "002_users.up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n");
    int ready[2];
    CU_ASSERT_EQUAL_FATAL(pipe(ready), 0);
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        runner_child("holder", 10000, signal_migration_start, &ready[1]);
    }
    close(ready[1]);
    /* the child holds the lock once its first migration starts */
    struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
    int started = poll(&pfd, 1, 15000) == 1;
    check_at(started, __LINE__, "the holder's first migration started");
    close(ready[0]);
    usleep(500000);

    strata_options o;
    options(&o);
    o.lock_timeout_ms = 300;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    EXPECT_RC(strata_open(&o, &s, &err), STRATA_OK, &err);
    if (s != NULL) {
        long long t1 = now_ms();
        EXPECT_RC(strata_up(s, NULL, NULL, &err), STRATA_LOCK_TIMEOUT, &err);
        long long waited = now_ms() - t1;
        check_at(waited >= 250 && waited < 2000, __LINE__,
                 "the waiter gave up after about 300 ms (it took %lld ms)", waited);
        EXPECT_CONTAINS(err.message, "held by");
        if (backend == B_POSTGRES)
            EXPECT_CONTAINS(err.message, "pid");
        strata_close(s);
    }
    EXPECT_LONG(table_exists("users"), 0);
    EXPECT_LONG(wait_child(child, now_ms() + 30000), 0);
    EXPECT_LONG(table_exists("users"), 1);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations WHERE state='applied'"), 2);
}

static void
test_lock_timeout(void)
{
    NEED_DATABASE();
    if (backend == B_SQLITE)
        lock_timeout_sqlite();
    else
        lock_timeout_server();
}

static void
test_concurrent_runners(void)
{
    NEED_DATABASE();
    for (int i = 1; i <= 20; i++) {
        char name[64], sql[128];
        snprintf(name, sizeof(name), "%03d_t%d.up.sql", i, i);
        snprintf(sql, sizeof(sql), "CREATE TABLE t%d (id INTEGER);\n", i);
        tu_write(migdir, name, sql);
    }
    enum { RUNNERS = 8 };
    pid_t pids[RUNNERS];
    fflush(NULL);
    for (int i = 0; i < RUNNERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char who[16];
            snprintf(who, sizeof(who), "%d", i);
            runner_child(who, 60000, NULL, NULL);
        }
    }
    int ok = 0;
    long long deadline = now_ms() + 120000;
    for (int i = 0; i < RUNNERS; i++)
        ok += wait_child(pids[i], deadline) == 0;
    EXPECT_LONG(ok, RUNNERS);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations"), 20);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations WHERE state='applied'"), 20);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE action='up'"), 20);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE outcome<>'ok'"), 0);
    EXPECT_LONG(count("SELECT count(DISTINCT applied_rank) FROM strata_migrations"), 20);
    EXPECT_LONG(count("SELECT max(applied_rank) FROM strata_migrations"), 20);
    int tables = 0;
    for (int i = 1; i <= 20; i++) {
        char name[16];
        snprintf(name, sizeof(name), "t%d", i);
        tables += table_exists(name);
    }
    EXPECT_LONG(tables, 20);
}

/* PostgreSQL: CREATE INDEX CONCURRENTLY waits for every open transaction, so a runner
 * waiting for the migration lock must not sit in one. */
static void
test_concurrent_index_while_waiting(void)
{
    NEED_DATABASE();
    tu_write(migdir, "001_items.up.sql",
             "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER);\n"
             "INSERT INTO items SELECT g, g % 7 FROM generate_series(1, 1000) AS g;\n"
             "SELECT pg_sleep(1);\n");
    tu_write(migdir, "002_items_qty.up.sql",
             "CREATE INDEX CONCURRENTLY items_qty ON items (qty);\n");
    fflush(NULL);
    long long start = now_ms();
    pid_t a = fork();
    if (a == 0)
        runner_child("A", 30000, NULL, NULL);
    usleep(300000);
    pid_t b = fork();
    if (b == 0)
        runner_child("B", 30000, NULL, NULL);
    long long deadline = start + 20000;
    int ra = wait_child(a, deadline);
    int rb = wait_child(b, deadline);
    check_at(ra == 0, __LINE__,
             "runner A exits 0 within 20 s (status %d; -2: still running, "
             "killed)",
             ra);
    check_at(rb == 0, __LINE__,
             "runner B exits 0 within 20 s (status %d; -2: still running, "
             "killed)",
             rb);
    EXPECT_LONG(count("SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
                      "AND indexname = 'items_qty'"),
                1);
    char *valid = scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                         "'items_qty'::regclass");
    EXPECT_STR(valid, "t");
    free(valid);
    char *state = scalar("SELECT state FROM strata_migrations WHERE version='002'");
    EXPECT_STR(state, "applied");
    free(state);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE action='up' "
                      "AND outcome='ok'"),
                2);
}

/* ------------------------------------------------------------------ fault tests */

/* Given to a runner's on_event: announces through fd (once) the STATEMENT event of
 * migration version whose text contains needle. */
typedef struct statement_signal {
    int fd;
    const char *version;
    const char *needle;
} statement_signal;

static void
signal_statement(void *ctx, const strata_event *ev)
{
    statement_signal *sig = ctx;
    if (ev->type != STRATA_EVENT_STATEMENT || sig->fd < 0 || ev->version == NULL ||
        strcmp(ev->version, sig->version) != 0 || ev->text == NULL ||
        strstr(ev->text, sig->needle) == NULL)
        return;
    char c = 's';
    ssize_t n = write(sig->fd, &c, 1);
    (void)n; /* a reader that is gone has given up already, and says so */
    close(sig->fd);
    sig->fd = -1;
}

/* The long statement of migration 002 in the fault tests. SQLite has no sleep: a recursive
 * CTE counting to knob.n (100 million, about a minute here; set by 001) keeps it busy, and
 * the test lowers knob.n before running 002 again so that the second run is quick. */
static const char *
slow_statement(void)
{
    switch (backend) {
    case B_POSTGRES:
        return "SELECT pg_sleep(5)";
    case B_MYSQL:
        return "SELECT SLEEP(5)";
    default:
        return "CREATE TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
               "FROM c WHERE x < (SELECT n FROM knob)) SELECT count(*) AS n FROM c";
    }
}

/* What identifies the slow statement in the STATEMENT event. */
static const char *
slow_needle(void)
{
    return backend == B_POSTGRES ? "pg_sleep(5)" : backend == B_MYSQL ? "SLEEP(5)" : "RECURSIVE";
}

/* 001, then 002: one statement, the slow one, one more. */
static void
write_slow_migrations(void)
{
    tu_write(migdir, "001_one.up.sql",
             backend == B_SQLITE ? "CREATE TABLE one (id INTEGER);\n"
                                   "CREATE TABLE knob (n INTEGER);\n"
                                   "INSERT INTO knob VALUES (100000000);\n"
                                 : "CREATE TABLE one (id INTEGER);\n");
    char text[1024];
    snprintf(text, sizeof(text),
             "CREATE TABLE before_sleep (id INTEGER);\n%s;\nCREATE TABLE after_sleep (id "
             "INTEGER);\n",
             slow_statement());
    tu_write(migdir, "002_sleepy.up.sql", text);
}

/* Runs sql on the test database every 50 ms until its first row is want (any row when want
 * is NULL), for up to timeout_ms. Returns that row (caller frees), NULL on time-out. No
 * CUnit calls: children use it too. */
static char *
poll_first_row(const char *sql, const char *want, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int ok;
        char *out = query_rows(sql, &ok);
        char *nl = strchr(out, '\n');
        if (nl != NULL)
            *nl = '\0';
        if (ok && out[0] != '\0' && (want == NULL || strcmp(out, want) == 0))
            return out;
        free(out);
        if (now_ms() >= deadline)
            return NULL;
        usleep(50000);
    }
}

/* Servers: the session running 002's sleep right now (PostgreSQL backend pid, MariaDB
 * connection id), waited for up to timeout_ms; NULL if it never showed up. On PostgreSQL
 * the STATEMENT event comes before the batch holding the statement is sent, so the server
 * is what says when the sleep has begun. */
static char *
find_sleeper(long timeout_ms)
{
    if (backend == B_POSTGRES)
        return poll_first_row("SELECT pid FROM pg_stat_activity WHERE datname = "
                              "current_database() AND application_name = 'strata' AND "
                              "wait_event = 'PgSleep' AND pid <> pg_backend_pid()",
                              NULL, timeout_ms);
    return poll_first_row("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                          "AND INFO LIKE '%SLEEP(5)%' AND ID <> CONNECTION_ID()",
                          NULL, timeout_ms);
}

/* Servers: waits up to timeout_ms for the server to drop session id; 1 when it did. */
static int
session_gone(const char *id, long timeout_ms)
{
    char sql[256];
    if (backend == B_POSTGRES)
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", id);
    else
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID = %s", id);
    char *row = poll_first_row(sql, "0", timeout_ms);
    int gone = row != NULL;
    free(row);
    return gone;
}

/* The history as "version|state" lines, by version. */
#define HISTORY_SQL "SELECT version, state FROM strata_migrations ORDER BY version"

/*
 * A runner killed (SIGKILL) in the middle of migration 002, after its first statement,
 * during the slow one. The servers keep running the killed runner's current statement:
 * they notice the client is gone only when that statement ends and they write to it, so the
 * test waits for the server to drop the session before looking (bounded).
 */
static void
test_killed_runner(void)
{
    NEED_DATABASE();
    write_slow_migrations();
    int ready[2];
    CU_ASSERT_EQUAL_FATAL(pipe(ready), 0);
    fflush(NULL);
    pid_t child = fork();
    CU_ASSERT_FATAL(child >= 0);
    if (child == 0) {
        close(ready[0]);
        statement_signal sig = {.fd = ready[1], .version = "002", .needle = slow_needle()};
        runner_child("killed", 10000, signal_statement, &sig);
    }
    close(ready[1]);
    struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
    char c;
    int started = poll(&pfd, 1, 30000) == 1 && read(ready[0], &c, 1) == 1;
    close(ready[0]);
    check_at(started, __LINE__, "the runner reached the slow statement of 002 within 30 s");
    char *session = NULL;
    if (started && backend != B_SQLITE) {
        session = find_sleeper(15000);
        check_at(session != NULL, __LINE__, "the server runs the runner's %s within 15 s",
                 slow_statement());
    } else if (started) {
        /* SQLite runs in the child: 002's transaction has written (the journal is there),
         * and the slow statement is given a moment to get going (it runs for far longer) */
        char journal[4300], wal[4300];
        snprintf(journal, sizeof(journal), "%s-journal", dbpath);
        snprintf(wal, sizeof(wal), "%s-wal", dbpath);
        check_at(access(journal, F_OK) == 0 || access(wal, F_OK) == 0, __LINE__,
                 "002's transaction is open in the runner (%s exists)", journal);
        usleep(300000);
    }
    int status = 0;
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    check_at(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, __LINE__,
             "the runner was still running when killed (wait status 0x%x)", (unsigned)status);
    if (!started || (backend != B_SQLITE && session == NULL)) {
        free(session);
        return;
    }
    if (session != NULL) {
        long long t0 = now_ms();
        int gone = session_gone(session, 20000);
        check_at(gone, __LINE__,
                 "the server dropped the killed runner's session %s within 20 s (waited %lld "
                 "ms)",
                 session, now_ms() - t0);
        free(session);
        if (!gone)
            return;
    }

    strata_error err = STRATA_ERROR_INIT;
    strata_options o;
    options(&o);
    o.lock_timeout_ms = 5000;
    if (backend == B_MYSQL) {
        /* DDL commits at once on MariaDB: 002 ran under the dirty protocol, and its record
         * says how far it got: the statement before the sleep, or the sleep itself, which
         * the server finishes (SLEEP returns early, not in error, on a dead connection)
         * together with the checkpoint sent in the same round trip. Never the statement
         * after it, which never ran. */
        char *history = rows(HISTORY_SQL);
        EXPECT_STR(history, "001|applied\n002|dirty");
        free(history);
        long done = count("SELECT statements_done FROM strata_migrations WHERE version='002'");
        check_at(done == 1 || done == 2, __LINE__,
                 "002's record counts the statements that ran, 1 or 2 (it is %ld)", done);
        EXPECT_LONG(table_exists("before_sleep"), 1);
        EXPECT_LONG(table_exists("after_sleep"), 0);
        /* the server released the lock with the connection: the refusal comes at once */
        strata *s = NULL;
        EXPECT_RC(strata_open(&o, &s, &err), STRATA_OK, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        strata_run_report *r = NULL;
        long long t0 = now_ms();
        EXPECT_RC(strata_up(s, NULL, &r, &err), STRATA_DIRTY, &err);
        long long took = now_ms() - t0;
        check_at(took < 2500, __LINE__,
                 "the dirty refusal comes at once, not after waiting for the lock (it took "
                 "%lld ms)",
                 took);
        EXPECT_CONTAINS(err.hint, "strata force 002");
        EXPECT_LONG(r ? r->count : 0, 0);
        strata_run_report_free(r);
        strata_close(s);
        EXPECT_LONG(table_exists("after_sleep"), 0);
        return;
    }

    /* SQLite and PostgreSQL: 002 was one transaction with its history row; nothing of it
     * is left */
    if (backend == B_SQLITE) {
        /* the flock died with the runner */
        int fd = open(dbpath, O_RDWR);
        check_at(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, __LINE__,
                 "the migration lock on %s is free after the runner died", dbpath);
        if (fd >= 0)
            close(fd);
    }
    char *history = rows(HISTORY_SQL);
    EXPECT_STR(history, "001|applied");
    free(history);
    EXPECT_LONG(table_exists("before_sleep"), 0);
    EXPECT_LONG(table_exists("after_sleep"), 0);
    EXPECT_LONG(table_exists("big"), 0);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE version='002' "
                      "AND outcome='ok'"),
                0);
    if (backend == B_SQLITE)
        EXPECT_LONG(db_exec("UPDATE knob SET n = 1000"), 0); /* a quick second run */
    /* the lock is free: a new runner applies 002 */
    strata *s = NULL;
    EXPECT_RC(strata_open(&o, &s, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    strata_run_report *r = NULL;
    EXPECT_RC(strata_up(s, NULL, &r, &err), STRATA_OK, &err);
    EXPECT_LONG(r ? r->count : 0, 1);
    if (r != NULL && r->count == 1)
        EXPECT_STR(r->items[0].version, "002");
    strata_run_report_free(r);
    strata_close(s);
    history = rows(HISTORY_SQL);
    EXPECT_STR(history, "001|applied\n002|applied");
    free(history);
    EXPECT_LONG(table_exists("before_sleep"), 1);
    EXPECT_LONG(table_exists("after_sleep"), 1);
    if (backend == B_SQLITE)
        EXPECT_LONG(count("SELECT n FROM big"), 1000);
}

/*
 * Servers: the runner's connection is cut from outside while 002 sleeps (PostgreSQL:
 * pg_terminate_backend; MariaDB: KILL), by a helper process; the runner runs in this
 * process. strata_up fails cleanly, saying the connection was lost in which file.
 */
static void
test_dropped_connection(void)
{
    NEED_DATABASE();
    write_slow_migrations();
    int ready[2];
    CU_ASSERT_EQUAL_FATAL(pipe(ready), 0);
    fflush(NULL);
    pid_t helper = fork();
    CU_ASSERT_FATAL(helper >= 0);
    if (helper == 0) {
        /* exit status: 0 cut, 2 no event, 3 no sleeping session, 4 the cut failed */
        close(ready[1]);
        struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
        char c;
        if (poll(&pfd, 1, 30000) != 1 || read(ready[0], &c, 1) != 1)
            _exit(2);
        char *id = find_sleeper(15000);
        if (id == NULL)
            _exit(3);
        char sql[512];
        if (backend == B_POSTGRES)
            snprintf(sql, sizeof(sql),
                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                     "application_name = 'strata' AND pid <> pg_backend_pid() AND pid = %s",
                     id);
        else
            snprintf(sql, sizeof(sql), "KILL %s", id);
        free(id);
        int ok;
        char *out = query_rows(sql, &ok);
        int cut = ok && (backend == B_MYSQL || strcmp(out, "t") == 0);
        free(out); /* the child's memory is checked too, under valgrind */
        _exit(cut ? 0 : 4);
    }
    close(ready[0]);

    /* the helper may be gone when the event comes: a write then must not kill us */
    struct sigaction ignore = {.sa_handler = SIG_IGN}, saved;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &saved);
    statement_signal sig = {.fd = ready[1], .version = "002", .needle = slow_needle()};
    strata_options o;
    options(&o);
    o.on_event = signal_statement;
    o.event_ctx = &sig;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    memset(&err, 0, sizeof(err));
    strata_run_report *r = NULL;
    int rc = strata_open(&o, &s, &err);
    EXPECT_LONG(rc, STRATA_OK);
    if (s != NULL) {
        rc = strata_up(s, NULL, &r, &err);
        EXPECT_LONG(rc, STRATA_ERROR);
    }
    if (sig.fd >= 0)
        close(sig.fd);
    sigaction(SIGPIPE, &saved, NULL);
    int helped = wait_child(helper, now_ms() + 30000);
    check_at(helped == 0, __LINE__,
             "the helper cut the runner's connection during the sleep (exit %d: 2 no event, 3 "
             "no sleeping session, 4 the cut failed)",
             helped);
    strata_close(s); /* on a dead connection: must not crash */
    if (s == NULL || helped != 0) {
        strata_run_report_free(r);
        return;
    }
    EXPECT_CONTAINS(err.message, "lost the connection");
    char file[4400];
    snprintf(file, sizeof(file), "%s/002_sleepy.up.sql", migdir);
    EXPECT_CONTAINS(err.message, file);
    url_parts u;
    parse_url(url, &u);
    CU_ASSERT_FATAL(u.password[0] != '\0');
    EXPECT_NOT_CONTAINS(err.message, u.password);
    EXPECT_NOT_CONTAINS(err.detail, u.password);
    EXPECT_NOT_CONTAINS(err.hint, u.password);
    /* 001 ran before, and stays */
    EXPECT_LONG(r ? r->count : 0, 1);
    if (r != NULL && r->count == 1)
        EXPECT_STR(r->items[0].version, "001");
    strata_run_report_free(r);
    EXPECT_LONG(table_exists("one"), 1);
    EXPECT_LONG(table_exists("after_sleep"), 0);

    if (backend == B_POSTGRES) {
        /* the server rolled 002 back with its history row */
        char *history = rows(HISTORY_SQL);
        EXPECT_STR(history, "001|applied");
        free(history);
        EXPECT_LONG(table_exists("before_sleep"), 0);
        EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE version='002' "
                          "AND outcome='ok'"),
                    0);
        return;
    }
    /* MariaDB: the dirty record stops after the statement before the sleep, and the hint
     * says what to do */
    EXPECT_CONTAINS(err.message, "002_sleepy.up.sql:2:"); /* the sleep's line */
    EXPECT_CONTAINS(err.hint, "strata force 002");
    char *history = rows(HISTORY_SQL);
    EXPECT_STR(history, "001|applied\n002|dirty");
    free(history);
    EXPECT_LONG(count("SELECT statements_done FROM strata_migrations WHERE version='002'"), 1);
    EXPECT_LONG(table_exists("before_sleep"), 1);
    /* the killed connection's lock went with it: the next run is refused at once */
    strata_options again;
    options(&again);
    s = NULL;
    EXPECT_RC(strata_open(&again, &s, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    long long t0 = now_ms();
    EXPECT_RC(strata_up(s, NULL, NULL, &err), STRATA_DIRTY, &err);
    long long took = now_ms() - t0;
    check_at(took < 2500, __LINE__, "the dirty refusal comes at once (it took %lld ms)", took);
    EXPECT_CONTAINS(err.hint, "strata force 002");
    strata_close(s);
}

/* A run asked to stop as migration 002 starts: strata_cancel() from its start event. */
static void
cancel_at_002(void *ctx, const strata_event *ev)
{
    (void)ctx;
    if (ev->type == STRATA_EVENT_MIGRATION_START && ev->version != NULL &&
        strcmp(ev->version, "002") == 0)
        strata_cancel();
}

/*
 * A run stopped after a migration run without a transaction started but before its first
 * statement: the dirty row goes with (or right before) that statement, so nothing of the
 * migration is recorded or run, and the hint says it had not started. The stop stays set
 * for the process, so the run is a child's.
 */
static void
test_stop_before_first_statement(void)
{
    NEED_DATABASE();
    tu_write(migdir, "001_first.up.sql", "CREATE TABLE first_one (id INTEGER);\n");
    tu_write(migdir, "002_notx.up.sql",
             "-- strata:no-transaction\nCREATE TABLE not_yet (id INTEGER);\n"
             "CREATE TABLE not_yet_either (id INTEGER);\n");
    int hint[2];
    CU_ASSERT_EQUAL_FATAL(pipe(hint), 0);
    fflush(NULL);
    pid_t child = fork();
    CU_ASSERT_FATAL(child >= 0);
    if (child == 0) {
        close(hint[0]);
        runner_child_hint("stopped", 10000, cancel_at_002, NULL, hint[1]);
    }
    close(hint[1]);
    char said[1024] = "";
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(said) - 1 && (n = read(hint[0], said + got, sizeof(said) - 1 - got)) > 0)
        got += (size_t)n;
    said[got] = '\0';
    close(hint[0]);
    int status = 0;
    waitpid(child, &status, 0);
    check_at(WIFEXITED(status) && WEXITSTATUS(status) == STRATA_INTERRUPTED, __LINE__,
             "the run stopped with STRATA_INTERRUPTED (wait status 0x%x)", (unsigned)status);
    check_at(strstr(said, "migration 002 had not started") != NULL, __LINE__,
             "the hint says 002 had not started (it is \"%s\")", said);
    char *history = rows(HISTORY_SQL);
    EXPECT_STR(history, "001|applied");
    free(history);
    EXPECT_LONG(table_exists("not_yet"), 0);
    EXPECT_LONG(count("SELECT count(*) FROM strata_migrations_events WHERE version='002' "
                      "AND outcome='interrupted'"),
                1);
}

static void
test_bad_input(void)
{
    NEED_DATABASE();
    strata_error err = STRATA_ERROR_INIT;
    strata_options o;
    strata_options_init(&o);
    strata *s = NULL;
    o.database_url = "nosuchdb://x";
    EXPECT_RC(strata_open(&o, &s, &err), STRATA_USAGE, &err);
    EXPECT_CONTAINS(err.message, "no driver serves the URL scheme 'nosuchdb'");
    EXPECT_CONTAINS(err.message, "sqlite (sqlite:, sqlite3:)");
    o.database_url = "not a url";
    EXPECT_RC(strata_open(&o, &s, &err), STRATA_USAGE, &err);
    EXPECT_CONTAINS(err.message, "has no scheme");
    EXPECT_CONTAINS(err.message, "`strata drivers`");
    o.database_url = "sqlite:x.db?password=hunter2";
    CU_ASSERT_NOT_EQUAL(strata_open(&o, &s, &err), STRATA_OK);
    EXPECT_NOT_CONTAINS(err.message, "hunter2");
    CU_ASSERT_PTR_NULL(s);
    if (backend != B_SQLITE) {
        /* a wrong password: refused, and not shown */
        char wrong[4200];
        url_with_password(url, "hunter2", wrong, sizeof(wrong));
        o.database_url = wrong;
        EXPECT_RC(strata_open(&o, &s, &err), STRATA_ERROR, &err);
        EXPECT_NOT_CONTAINS(err.message, "hunter2");
        CU_ASSERT_PTR_NULL(s);
    }
    o.database_url = url;
    o.table = "bad-name;";
    EXPECT_RC(strata_open(&o, &s, &err), STRATA_USAGE, &err);
    CU_ASSERT_PTR_NULL(s);

    tu_write(migdir, "001_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
    tu_write(migdir, "1_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
    EXPECT_RC(up(NULL, &err, NULL), STRATA_VALIDATION, &err);
    EXPECT_CONTAINS(err.message, "001_a.up.sql");
    EXPECT_CONTAINS(err.message, "1_b.up.sql");
    EXPECT_LONG(table_exists("a"), 0);
    EXPECT_LONG(table_exists("b"), 0);
}

/* strata_open on o, which must fail with status and a message holding none of secrets. */
static void
open_fails_at(int line, strata_options *o, int status, const char *needle,
              const char *const *secrets)
{
    strata *s = (strata *)&s;
    strata_error err = STRATA_ERROR_INIT;
    int rc = strata_open(o, &s, &err);
    check_at(rc == status, line, "strata_open returns %d (it returned %d: %s)", status, rc,
             err.message);
    check_at(s == NULL, line, "strata_open leaves *out NULL on failure");
    if (needle != NULL)
        check_at(strstr(err.message, needle) != NULL, line, "\"%s\" holds \"%s\"", err.message,
                 needle);
    for (; secrets != NULL && *secrets != NULL; secrets++)
        check_at(strstr(err.message, *secrets) == NULL && strstr(err.hint, *secrets) == NULL, line,
                 "\"%s\" does not show a password", err.message);
}
#define OPEN_FAILS(o, status, needle, secrets) open_fails_at(__LINE__, o, status, needle, secrets)

/* strata_open on o, which must work; then strata_status, which must work too. */
static void
open_works_at(int line, strata_options *o)
{
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_status_report *r = NULL;
    int rc = strata_open(o, &s, &err);
    check_at(rc == STRATA_OK, line, "strata_open works (it returned %d: %s)", rc, err.message);
    if (rc == STRATA_OK) {
        rc = strata_status(s, &r, &err);
        check_at(rc == STRATA_OK, line, "strata_status works (it returned %d: %s)", rc,
                 err.message);
    }
    strata_status_report_free(r);
    strata_close(s);
}
#define OPEN_WORKS(o) open_works_at(__LINE__, o)

/*
 * A password given apart from the URL (strata_options.password, from --password-file) goes
 * to a server driver's connection and to no other: a file URL takes none, and a URL with its
 * own is refused rather than second-guessed. Without either, the variable the driver names
 * (MySQL: MYSQL_PWD) is read; another driver's variable is not.
 */
static void
test_password_apart(void)
{
    NEED_DATABASE();
    write_demo();
    strata_options o;
    options(&o);
    static const char *const pw[] = {"Apart-Pw-1", NULL};
    if (backend == B_SQLITE) {
        o.password = "Apart-Pw-1";
        OPEN_FAILS(&o, STRATA_USAGE, "takes no password apart from its own text", pw);
        return;
    }
    url_parts u;
    CU_ASSERT_FATAL(parse_url(url, &u) == 0 && u.password[0] != '\0');
    char bare[4400];
    url_with_password(url, "", bare, sizeof(bare)); /* "user:@host": no password */
    const char *const real[] = {u.password, "Apart-Pw-1", NULL};

    /* the URL has one: giving another is refused, and neither is shown */
    o.password = "Apart-Pw-1";
    OPEN_FAILS(&o, STRATA_USAGE, "already has a password", real);
    /* the URL has none: the one given apart connects */
    o.database_url = bare;
    o.password = u.password;
    OPEN_WORKS(&o);
    /* a wrong one is refused by the server, and not shown */
    o.password = "Apart-Pw-1";
    OPEN_FAILS(&o, STRATA_ERROR, NULL, pw);

    /* neither: MYSQL_PWD is the MySQL driver's variable, and only its */
    o.password = NULL;
    const char *saved = getenv("MYSQL_PWD"), *pg_saved = getenv("PGPASSWORD");
    char *keep = saved != NULL ? strdup(saved) : NULL;
    char *pg_keep = pg_saved != NULL ? strdup(pg_saved) : NULL;
    unsetenv("PGPASSWORD");
    setenv("MYSQL_PWD", u.password, 1);
    if (backend == B_MYSQL)
        OPEN_WORKS(&o);
    else
        OPEN_FAILS(&o, STRATA_ERROR, NULL, real); /* libpq reads PGPASSWORD, not MYSQL_PWD */
    if (backend == B_MYSQL) {
        setenv("MYSQL_PWD", "Apart-Pw-1", 1);
        OPEN_FAILS(&o, STRATA_ERROR, NULL, pw);
        /* the URL's own password wins over the variable */
        o.database_url = url;
        OPEN_WORKS(&o);
    }
    if (keep != NULL)
        setenv("MYSQL_PWD", keep, 1);
    else
        unsetenv("MYSQL_PWD");
    if (pg_keep != NULL)
        setenv("PGPASSWORD", pg_keep, 1);
    free(keep);
    free(pg_keep);
}

/*
 * A read-only session (strata_options.read_only: status, validate, history) creates nothing:
 * no SQLite file where there was none, no history tables in a database strata never touched.
 */
static void
test_read_only(void)
{
    NEED_DATABASE();
    write_demo();
    strata_options o;
    options(&o);
    o.read_only = 1;
    if (backend == B_SQLITE) {
        OPEN_FAILS(&o, STRATA_ERROR, dbpath, NULL);
        EXPECT_LONG(access(dbpath, F_OK) == 0, 0);
        CU_ASSERT_EQUAL_FATAL(db_exec("CREATE TABLE other (id INTEGER)"), 0);
    }
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_status_report *r = NULL;
    EXPECT_RC(strata_open(&o, &s, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    EXPECT_RC(strata_status(s, &r, &err), STRATA_OK, &err);
    if (r != NULL)
        EXPECT_LONG(r->pending, 3);
    strata_status_report_free(r);
    strata_close(s);
    EXPECT_LONG(table_exists("strata_migrations"), 0);
    EXPECT_LONG(table_exists("strata_migrations_events"), 0);
    EXPECT_LONG(table_exists("strata_migrations_meta"), 0);
}

static void
test_custom_table(void)
{
    NEED_DATABASE();
    write_demo();
    strata_options o;
    options(&o);
    o.table = "schema_history";
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    EXPECT_RC(strata_open(&o, &s, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    EXPECT_RC(strata_up(s, NULL, NULL, &err), STRATA_OK, &err);
    strata_close(s);
    EXPECT_LONG(count("SELECT count(*) FROM schema_history"), 3);
    EXPECT_LONG(count("SELECT count(*) FROM schema_history_events"), 3);
    /* history schema 2: version 1 and the script column */
    EXPECT_LONG(count("SELECT meta_value FROM schema_history_meta "
                      "WHERE meta_key='schema_version'"),
                2);
    EXPECT_LONG(table_exists("strata_migrations"), 0);
}

static void
test_new_files(void)
{
    NEED_DATABASE();
    strata_error err = STRATA_ERROR_INIT;
    char *up_path = NULL, *down_path = NULL;
    tu_write(migdir, "001_a.up.sql", "SELECT 1;\n");
    tu_write(migdir, "002_b.up.sql", "SELECT 1;\n");
    EXPECT_RC(strata_new(migdir, "Add Users Email!", NULL, &up_path, &down_path, &err), STRATA_OK,
              &err);
    EXPECT_CONTAINS(up_path, "/003_add_users_email.up.sql");
    EXPECT_CONTAINS(down_path, "/003_add_users_email.down.sql");
    char *text = up_path ? tu_read(up_path) : NULL;
    CU_ASSERT_PTR_NOT_NULL(text);
    free(text);
    free(up_path);
    free(down_path);
    up_path = down_path = NULL;
    char other[4400];
    snprintf(other, sizeof(other), "%s/empty", root);
    EXPECT_RC(strata_new(other, "first", NULL, &up_path, &down_path, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(up_path);
    const char *base = strrchr(up_path, '/') + 1;
    EXPECT_LONG(strspn(base, "0123456789"), 14);
    free(up_path);
    free(down_path);
    up_path = down_path = NULL;
    EXPECT_RC(strata_new(other, "!!!", NULL, &up_path, &down_path, &err), STRATA_USAGE, &err);

    /* versions beyond 64 bits: pop's 20 digits keep their width, sequences carry over */
    char pop[4400];
    snprintf(pop, sizeof(pop), "%s/pop", root);
    tu_write(pop, "20150100000001000000_a.up.sql", "SELECT 1;\n");
    EXPECT_RC(strata_new(pop, "next", NULL, &up_path, &down_path, &err), STRATA_OK, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(up_path);
    base = strrchr(up_path, '/') + 1;
    EXPECT_LONG(strspn(base, "0123456789"), 20);
    CU_ASSERT(strcmp(base, "20150100000001000000") > 0);
    free(up_path);
    free(down_path);
    up_path = down_path = NULL;
    char seq[4400];
    snprintf(seq, sizeof(seq), "%s/seq", root);
    tu_write(seq, "0999_a.up.sql", "SELECT 1;\n");
    EXPECT_RC(strata_new(seq, "b", NULL, &up_path, &down_path, &err), STRATA_OK, &err);
    EXPECT_CONTAINS(up_path, "/1000_b.up.sql");
    free(up_path);
    free(down_path);
}

/* ------------------------------------------------------------------ suites */

typedef struct engine_test {
    const char *name;
    CU_TestFunc fn;
    unsigned on; /* B_* bits of the databases it runs on */
} engine_test;

static const engine_test engine[] = {
    {"up, status, down, down --all, up: same schema", test_up_status_down, B_ALL},
    {"--to and --step", test_to_and_step, B_ALL},
    {"--dry-run changes nothing", test_dry_run, B_ALL},
    {"a failing statement leaves nothing behind (MariaDB: a dirty record)",
     test_failure_leaves_nothing, B_ALL},
    {"an error without a position is located by replaying the migration",
     test_error_without_position, B_ALL},
    {"an unterminated quote names file:line", test_lexer_error_names_file, B_ALL},
    {"an edited applied migration is refused", test_edited_migration_refused, B_ALL},
    {"a missing file is reported", test_missing_file_reported, B_ALL},
    {"out-of-order versions", test_out_of_order, B_ALL},
    {"down without a down script", test_no_down_refused, B_ALL},
    {"dirty protocol, refusal and force", test_dirty_protocol_and_force, B_ALL},
    {"a refused dirty row stops the migration before its first statement", test_dirty_row_refused,
     B_ALL},
    {"a refused checkpoint: the hint says the statement ran", test_checkpoint_refused,
     B_SQLITE | B_POSTGRES},
    {"VACUUM runs outside a transaction", test_vacuum_runs_outside_transaction,
     B_SQLITE | B_POSTGRES},
    {"trigger and routine bodies are kept whole", test_trigger_body, B_ALL},
    {"lock timeout names the holder", test_lock_timeout, B_ALL},
    {"eight concurrent runners", test_concurrent_runners, B_ALL},
    {"CREATE INDEX CONCURRENTLY while another runner waits for the lock",
     test_concurrent_index_while_waiting, B_POSTGRES},
    {"a runner killed mid-migration: nothing half-recorded, the lock free", test_killed_runner,
     B_ALL},
    {"a dropped connection: an error naming the file, nothing half-recorded",
     test_dropped_connection, B_POSTGRES | B_MYSQL},
    {"a run stopped before a migration's first statement records nothing of it",
     test_stop_before_first_statement, B_ALL},
    {"bad input", test_bad_input, B_ALL},
    {"custom history table", test_custom_table, B_ALL},
    {"a password apart from the URL", test_password_apart, B_ALL},
    {"a read-only session creates nothing", test_read_only, B_ALL},
    {"strata new", test_new_files, B_ALL},
    {NULL, NULL, 0},
};

static int
init_sqlite(void)
{
    backend = B_SQLITE;
    admin_url = NULL;
    return 0;
}

static int
init_postgres(void)
{
    backend = B_POSTGRES;
    admin_url = getenv("STRATA_TEST_POSTGRES_URL");
    return 0;
}

static int
init_mysql(void)
{
    backend = B_MYSQL;
    admin_url = getenv("STRATA_TEST_MYSQL_URL");
    return 0;
}

static void
missing_postgres(void)
{
    fail_at(__LINE__, "STRATA_TEST_POSTGRES_URL is not set: run ./run-tests, which starts the "
                      "servers");
}

static void
missing_mysql(void)
{
    fail_at(__LINE__, "STRATA_TEST_MYSQL_URL is not set: run ./run-tests, which starts the "
                      "servers");
}

static void
add_suite(const char *name, CU_InitializeFunc init, unsigned which)
{
    CU_pSuite suite = CU_add_suite_with_setup_and_teardown(name, init, NULL, setup, teardown);
    if (suite == NULL)
        exit(99);
    for (const engine_test *t = engine; t->name != NULL; t++)
        if ((t->on & which) && CU_add_test(suite, t->name, t->fn) == NULL)
            exit(99);
}

/* True when the driver NAME.so is in the first directory of STRATA_DRIVER_PATH. */
static int
driver_built(const char *name)
{
    const char *path = getenv("STRATA_DRIVER_PATH");
    char file[4200];
    if (path == NULL || *path == '\0') {
        printf("engine on %s: not registered: STRATA_DRIVER_PATH is not set\n", name);
        return 0;
    }
    size_t n = strcspn(path, ":");
    snprintf(file, sizeof(file), "%.*s/%s.so", (int)n, path, name);
    if (access(file, F_OK) != 0) {
        printf("engine on %s: not registered: the driver was not built (no %s)\n", name, file);
        return 0;
    }
    return 1;
}

static void
add_server_suite(const char *name, const char *env, CU_InitializeFunc init, enum backend which,
                 CU_TestFunc missing)
{
    if (!driver_built(name))
        return;
    const char *v = getenv(env);
    if (v == NULL || *v == '\0') {
        char suite_name[64];
        snprintf(suite_name, sizeof(suite_name), "engine on %s", name);
        CU_pSuite suite = CU_add_suite(suite_name, init, NULL);
        if (suite == NULL || CU_add_test(suite, "a server to test on", missing) == NULL)
            exit(99);
        fprintf(stderr, "%s is not set: run ./run-tests, which starts the servers\n", env);
        return;
    }
    char suite_name[64];
    snprintf(suite_name, sizeof(suite_name), "engine on %s", name);
    add_suite(suite_name, init, which);
}

int
main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    add_suite("engine on sqlite", init_sqlite, B_SQLITE);
    add_server_suite("postgres", "STRATA_TEST_POSTGRES_URL", init_postgres, B_POSTGRES,
                     missing_postgres);
    add_server_suite("mysql", "STRATA_TEST_MYSQL_URL", init_mysql, B_MYSQL, missing_mysql);
    return tu_run();
}
