/*
 * The check of an up-to-date history (core/engine/uptodate.h) on SQLite, PostgreSQL and
 * MariaDB: it counts the migrations only when every one is applied unchanged, gives up on
 * everything else (and up and validate then decide as before), and leaves the scan cache as
 * it was when it gives up part of the way.
 *
 * On the servers each test has history and migration tables of its own, named after the
 * process and the test, and drops them at the end.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <strata/strata.h>

#include "fs.h"
#include "session.h"
#include "testutil.h"
#include "uptodate.h"

static const char *url; /* the database of the running suite */
static int on_sqlite;   /* the running suite's database is a SQLite file per test */
static char *root;      /* the current test's folder */
static char *migdir;    /* its migrations */
static char table[64];  /* its history table, and the prefix of its migrations' tables */
static char sqlite_url[4200];
static int serial;

static void
start(void)
{
    root = tu_tempdir();
    migdir = malloc(strlen(root) + 3);
    sprintf(migdir, "%s/m", root);
    snprintf(table, sizeof(table), "ut%ld_%d", (long)getpid(), ++serial);
    char cache[4200];
    snprintf(cache, sizeof(cache), "%s/cache", root);
    setenv("STRATA_CACHE_DIR", cache, 1);
    if (on_sqlite) {
        snprintf(sqlite_url, sizeof(sqlite_url), "sqlite://%s/t.db", root);
        url = sqlite_url;
    }
}

static strata *
open_session(void)
{
    strata_options o;
    strata_options_init(&o);
    o.database_url = url;
    o.dir = migdir;
    o.table = table;
    o.lock_timeout_ms = 5000;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    if (strata_open(&o, &s, &err) != STRATA_OK)
        fprintf(stderr, "strata_open: %s\n", err.message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

/* What the check says on a new session. */
static size_t
check(strata_uptodate_purpose purpose)
{
    strata *s = open_session();
    size_t n = strata_uptodate(s, purpose);
    strata_close(s);
    return n;
}

/* Runs sql on a new session. */
static void
exec_sql(const char *sql)
{
    strata *s = open_session();
    strata_error err = STRATA_ERROR_INIT;
    int rc = strata_session_exec(s, sql, &err);
    if (rc != STRATA_OK)
        fprintf(stderr, "%s: %s\n", sql, err.message);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    strata_close(s);
}

/* strata_up on a new session: its status; *applied (may be NULL) receives how many ran. */
static int
up(size_t *applied, strata_error *err)
{
    strata *s = open_session();
    strata_run_report *r = NULL;
    int rc = strata_up(s, NULL, &r, err);
    if (applied != NULL)
        *applied = r != NULL ? r->count : 0;
    strata_run_report_free(r);
    strata_close(s);
    return rc;
}

static void
up_ok(size_t expected)
{
    strata_error err = STRATA_ERROR_INIT;
    size_t applied = 0;
    int rc = up(&applied, &err);
    if (rc != STRATA_OK)
        fprintf(stderr, "up: %s\n", err.message);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    CU_ASSERT_EQUAL(applied, expected);
}

/* strata_validate on a new session: its report, which must be there (the caller frees
 * it). */
static strata_validation_report *
validated(void)
{
    strata *s = open_session();
    strata_validation_report *r = NULL;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(strata_validate(s, &r, &err), STRATA_OK);
    strata_close(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    return r;
}

/* The one problem strata_validate reports now. */
static void
expect_one_problem(strata_problem_kind kind)
{
    strata_validation_report *r = validated();
    CU_ASSERT_EQUAL_FATAL(r->count, 1);
    CU_ASSERT_EQUAL(r->items[0].kind, kind);
    strata_validation_report_free(r);
}

/* Writes the paired migration VERSION_tNAME creating the table <table>_v<VERSION>. */
static void
paired(const char *version)
{
    char name[128], sql[256];
    snprintf(name, sizeof(name), "%s_t%s.up.sql", version, version);
    snprintf(sql, sizeof(sql), "CREATE TABLE %s_v%s (id INTEGER);\n", table, version);
    tu_write(migdir, name, sql);
    snprintf(name, sizeof(name), "%s_t%s.down.sql", version, version);
    snprintf(sql, sizeof(sql), "DROP TABLE %s_v%s;\n", table, version);
    tu_write(migdir, name, sql);
}

/* start(), then the migrations 001, 002 and 003, applied. */
static void
start_with_three_applied(void)
{
    start();
    paired("001");
    paired("002");
    paired("003");
    up_ok(3);
}

static void
remove_file(const char *name)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", migdir, name);
    CU_ASSERT_EQUAL(unlink(path), 0);
}

/* Drops what the test made on a server (a SQLite file goes with the folder). */
static void
finish(const char *const *versions)
{
    if (!on_sqlite) {
        char sql[256];
        for (const char *const *v = versions; *v != NULL; v++) {
            snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s_v%s", table, *v);
            exec_sql(sql);
        }
        static const char *const own[] = {"", "_events", "_meta", "_lock", NULL};
        for (const char *const *t = own; *t != NULL; t++) {
            snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s%s", table, *t);
            exec_sql(sql);
        }
    }
    tu_rmtree(root);
    free(root);
    free(migdir);
}

/* ------------------------------------------------------------------ tests */

static void
test_counts_an_up_to_date_history(void)
{
    start();
    paired("001");
    paired("002");
    paired("003");
    tu_write(migdir, "README.md", "not a migration\n");
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0); /* nothing applied yet */
    up_ok(3);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 3);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_VALIDATE), 3);
    up_ok(0); /* a no-op up reports nothing run */
    strata_validation_report *r = validated();
    CU_ASSERT_EQUAL(r->checked, 3);
    CU_ASSERT_EQUAL(r->count, 0);
    strata_validation_report_free(r);
    finish((const char *const[]){"001", "002", "003", NULL});
}

static void
test_pending_migrations_stop_it(void)
{
    start();
    paired("002");
    paired("003");
    up_ok(2);
    paired("004"); /* newer than every applied one: the first row already disagrees */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_VALIDATE), 0);
    up_ok(1);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 3);
    paired("001"); /* older than the newest applied: out of order, refused by up */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0);
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(up(NULL, &err), STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "older than the newest applied version");
    finish((const char *const[]){"001", "002", "003", "004", NULL});
}

static void
test_an_edited_file_stops_it_and_up_refuses(void)
{
    start();
    paired("001");
    paired("002");
    up_ok(2);
    char sql[256];
    snprintf(sql, sizeof(sql), "CREATE TABLE %s_v001 (id BIGINT);\n", table);
    tu_write(migdir, "001_t001.up.sql", sql);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_VALIDATE), 0);
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(up(NULL, &err), STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "001_t001.up.sql: migration 001 was edited after it was applied");
    finish((const char *const[]){"001", "002", NULL});
}

static void
test_what_only_validate_reports_stops_only_its_check(void)
{
    start_with_three_applied();
    char sql[256];
    snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s_v003;\n", table);
    tu_write(migdir, "003_t003.down.sql", sql); /* an edited down script: a warning */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 3);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_VALIDATE), 0);
    expect_one_problem(STRATA_PROBLEM_DOWN_MODIFIED);
    snprintf(sql, sizeof(sql), "DROP TABLE %s_v003;\n", table);
    tu_write(migdir, "003_t003.down.sql", sql); /* as applied again */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_VALIDATE), 3);
    remove_file("002_t002.down.sql"); /* no down script: a warning */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 3);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_VALIDATE), 0);
    expect_one_problem(STRATA_PROBLEM_NO_DOWN);
    finish((const char *const[]){"001", "002", "003", NULL});
}

static void
test_gaps_and_empty_sections_are_validates(void)
{
    start();
    paired("1");
    paired("2");
    paired("5");
    up_ok(3);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 3);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_VALIDATE), 0); /* no 3 or 4 */
    expect_one_problem(STRATA_PROBLEM_GAP);
    finish((const char *const[]){"1", "2", "5", NULL});

    start();
    paired("1");
    char sql[256];
    snprintf(sql, sizeof(sql), "-- migrate:up\nCREATE TABLE %s_v2 (id INTEGER);\n-- migrate:down\n",
             table);
    tu_write(migdir, "2_t2.sql", sql); /* dbmate's one file, its down section empty */
    up_ok(2);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 2);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_VALIDATE), 0);
    expect_one_problem(STRATA_PROBLEM_EMPTY);
    snprintf(sql, sizeof(sql),
             "-- migrate:up\nCREATE TABLE %s_v2 (id INTEGER);\n-- migrate:down\nDROP TABLE "
             "%s_v2;\n",
             table, table);
    tu_write(migdir, "2_t2.sql", sql);             /* its down section written since */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 2); /* the up section is unchanged */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_VALIDATE), 0);
    expect_one_problem(STRATA_PROBLEM_DOWN_MODIFIED);
    finish((const char *const[]){"1", "2", NULL});
}

static void
test_what_the_full_path_must_decide(void)
{
    start();
    paired("9");
    paired("10"); /* the database sorts "9" after "10" as text */
    up_ok(2);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0);
    up_ok(0);
    finish((const char *const[]){"9", "10", NULL});

    start_with_three_applied();
    char sql[256];
    snprintf(sql, sizeof(sql), "UPDATE %s SET state = 'dirty' WHERE version = '002'", table);
    exec_sql(sql);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0);
    snprintf(sql, sizeof(sql), "UPDATE %s SET state = 'applied' WHERE version = '002'", table);
    exec_sql(sql);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 3);
    remove_file("001_t001.up.sql"); /* applied, its file gone */
    remove_file("001_t001.down.sql");
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0);
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(up(NULL, &err), STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "its file is gone");
    finish((const char *const[]){"001", "002", "003", NULL});
}

static void
test_a_folder_that_is_not_plain(void)
{
    start();
    paired("001");
    paired("002");
    up_ok(2);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 2);
    tu_write(migdir, "seeds/a.sql", "SELECT 1;\n"); /* a sub-folder: the full scan decides */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0);
    up_ok(0);
    char path[4200];
    snprintf(path, sizeof(path), "%s/seeds", migdir);
    tu_rmtree(path);
    tu_write(migdir, "003_t003.sqlite3.up.sql", "SELECT 1;\n"); /* a dialect tag */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0);
    remove_file("003_t003.sqlite3.up.sql");
    tu_write(migdir, "002_other.up.sql", "SELECT 1;\n"); /* two up files for 002 */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0);
    remove_file("002_other.up.sql");
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 2);
    finish((const char *const[]){"001", "002", NULL});
}

static void
test_giving_up_leaves_the_cache_as_it_was(void)
{
    start();
    for (int v = 1; v <= 40; v++) {
        char version[12];
        snprintf(version, sizeof(version), "%03d", v);
        paired(version);
    }
    sleep(3); /* files newer than two seconds are read, not remembered */
    up_ok(40);
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 40); /* the cache written in the scan's order */
    char cache[4200];
    snprintf(cache, sizeof(cache), "%s/cache", root);
    strata_fs_list files;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL_FATAL(strata_fs_list_files(cache, ".scan", &files, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(files.count, 1);
    char *path = malloc(strlen(cache) + strlen(files.paths[0]) + 2);
    sprintf(path, "%s/%s", cache, files.paths[0]);
    strata_fs_list_free(&files);
    char *before = tu_read(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    CU_ASSERT_EQUAL(strlen(before) > 40 * 2 * 64, 1); /* every file is in it */
    char sql[256];
    snprintf(sql, sizeof(sql), "CREATE TABLE %s_v020 (id BIGINT);\n", table);
    tu_write(migdir, "020_t020.up.sql", sql); /* the walk stops here, half way down */
    CU_ASSERT_EQUAL(check(STRATA_UPTODATE_UP), 0);
    char *after = tu_read(path);
    ASSERT_STR(after, before);
    free(after);
    free(before);
    free(path);
    const char *versions[41];
    char names[40][12];
    for (int v = 1; v <= 40; v++) {
        snprintf(names[v - 1], sizeof(names[v - 1]), "%03d", v);
        versions[v - 1] = names[v - 1];
    }
    versions[40] = NULL;
    finish(versions);
}

/* ------------------------------------------------------------------ suites */

static const tu_test tests[] = {
    {"an up-to-date history is counted, for up and validate", test_counts_an_up_to_date_history},
    {"a pending migration, newest or out of order, stops it", test_pending_migrations_stop_it},
    {"an edited applied file stops it, and up still refuses the file",
     test_an_edited_file_stops_it_and_up_refuses},
    {"what only validate reports stops only validate's check",
     test_what_only_validate_reports_stops_only_its_check},
    {"a gap in sequence numbers and an empty down section stop validate's check",
     test_gaps_and_empty_sections_are_validates},
    {"versions ordered otherwise, a dirty row, a missing file: the full path decides",
     test_what_the_full_path_must_decide},
    {"a folder that is not plain is left to the full scan", test_a_folder_that_is_not_plain},
    {"giving up part of the way leaves the scan cache as it was",
     test_giving_up_leaves_the_cache_as_it_was},
    {NULL, NULL},
};

static int
init_sqlite(void)
{
    on_sqlite = 1;
    return 0;
}

static int
init_postgres(void)
{
    on_sqlite = 0;
    url = getenv("STRATA_TEST_POSTGRES_URL");
    return 0;
}

static int
init_mysql(void)
{
    on_sqlite = 0;
    url = getenv("STRATA_TEST_MYSQL_URL");
    return 0;
}

static void
no_server(void)
{
    CU_FAIL("no server to test on: run ./run-tests, which starts them");
}

/* True when the driver NAME.so is in the first directory of STRATA_DRIVER_PATH (the
 * configure run may have left it out). */
static int
driver_built(const char *name)
{
    const char *path = getenv("STRATA_DRIVER_PATH");
    char file[4200];
    if (path == NULL || *path == '\0')
        return 0;
    snprintf(file, sizeof(file), "%.*s/%s.so", (int)strcspn(path, ":"), path, name);
    return access(file, F_OK) == 0;
}

static void
add_suite(const char *name, CU_InitializeFunc init, const char *env)
{
    CU_pSuite suite = CU_add_suite(name, init, NULL);
    if (suite == NULL)
        exit(99);
    const char *v = env != NULL ? getenv(env) : "set";
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "%s is not set: run ./run-tests, which starts the servers\n", env);
        if (CU_add_test(suite, "a server to test on", no_server) == NULL)
            exit(99);
        return;
    }
    for (const tu_test *t = tests; t->name != NULL; t++)
        if (CU_add_test(suite, t->name, t->fn) == NULL)
            exit(99);
}

int
main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    add_suite("up to date on sqlite", init_sqlite, NULL);
    if (driver_built("postgres"))
        add_suite("up to date on postgres", init_postgres, "STRATA_TEST_POSTGRES_URL");
    if (driver_built("mysql"))
        add_suite("up to date on mysql", init_mysql, "STRATA_TEST_MYSQL_URL");
    return tu_run();
}
