/*
 * strata_backup() through the public library API.
 *
 * Run without arguments (as `make check` does), it tests backups of SQLite databases: a
 * file and :memory:, the atomic replacement of the target, a stale .tmp file, the database
 * itself as the target, the migration lock. The backups are read back through libsqlite3.
 *
 * With arguments it is the small command tests/cli/test_backup.sh drives on every
 * database, standing in for the CLI:
 *   test_backup up URL DIR        apply DIR's pending migrations
 *   test_backup backup URL FILE   back the database up to FILE
 * Errors go to standard error as "error: MESSAGE" with "detail:" and "hint:" lines; the
 * exit status is the strata status. With TEST_BACKUP_PATH set, backup runs with PATH set
 * to it (after loading the driver), to hide the dump tools.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <CUnit/CUnit.h>

#include <strata/strata.h>

#include "testutil.h"

/* ------------------------------------------------------------------ the command */

static void
print_error(const strata_error *err)
{
    fprintf(stderr, "error: %s\n", err->message);
    if (err->detail[0] != '\0')
        fprintf(stderr, "detail: %s\n", err->detail);
    if (err->hint[0] != '\0')
        fprintf(stderr, "hint: %s\n", err->hint);
}

static int
command(int argc, char **argv)
{
    const char *path_env = getenv("TEST_BACKUP_PATH");
    strata_run_report *report = NULL;
    strata_options o;
    strata_error err = STRATA_ERROR_INIT;
    strata *s = NULL;
    int rc;

    if (argc != 4 || (strcmp(argv[1], "up") != 0 && strcmp(argv[1], "backup") != 0)) {
        fprintf(stderr, "usage: test_backup up URL DIR | test_backup backup URL FILE\n");
        return STRATA_USAGE;
    }
    strata_options_init(&o);
    o.database_url = argv[2];
    if (strcmp(argv[1], "up") == 0)
        o.dir = argv[3];
    rc = strata_open(&o, &s, &err);
    if (rc == STRATA_OK && strcmp(argv[1], "up") == 0) {
        rc = strata_up(s, NULL, &report, &err);
        if (report != NULL)
            printf("%zu migration(s) applied\n", report->count);
        strata_run_report_free(report);
    } else if (rc == STRATA_OK) {
        if (path_env != NULL)
            setenv("PATH", path_env, 1);
        rc = strata_backup(s, argv[3], &err);
        if (rc == STRATA_OK)
            printf("backed up %s to %s\n", strata_redacted_url(s), argv[3]);
    }
    if (rc != STRATA_OK)
        print_error(&err);
    strata_close(s);
    return rc;
}

/* ------------------------------------------------------------------ SQLite */

static char *root; /* a temporary folder per test */

static const char m001[] = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
                           "INSERT INTO items (name) VALUES ('a'), ('b'), ('c');\n";
static const char m002[] = "CREATE TABLE tags (item INTEGER, tag TEXT);\n"
                           "INSERT INTO tags VALUES (1, 'x'), (2, 'y');\n";
static const char m003[] = "ALTER TABLE items ADD COLUMN price INTEGER;\n"
                           "INSERT INTO items (name, price) VALUES ('d', 4);\n"
                           "DROP TABLE tags;\n";

static void
setup(void)
{
    root = tu_tempdir();
    tu_write(root, "migrations/001_items.up.sql", m001);
    tu_write(root, "migrations/002_tags.up.sql", m002);
}

static void
teardown(void)
{
    tu_rmtree(root);
    free(root);
    root = NULL;
}

static char *
in_root(const char *name)
{
    char *path = malloc(4096);

    snprintf(path, 4096, "%s/%s", root, name);
    return path;
}

/* Opens url with the migrations of root; NULL (and a failed assertion) on error. */
static strata *
open_url(const char *url, long lock_timeout_ms)
{
    char *dir = in_root("migrations");
    strata_options o;
    strata_error err = STRATA_ERROR_INIT;
    strata *s = NULL;

    strata_options_init(&o);
    o.database_url = url;
    o.dir = dir;
    o.lock_timeout_ms = lock_timeout_ms;
    if (strata_open(&o, &s, &err) != STRATA_OK)
        fprintf(stderr, "strata_open(%s): %s\n", url, err.message);
    CU_ASSERT_PTR_NOT_NULL(s);
    free(dir);
    return s;
}

static int
up(strata *s)
{
    strata_error err = STRATA_ERROR_INIT;
    int rc = strata_up(s, NULL, NULL, &err);

    if (rc != STRATA_OK)
        fprintf(stderr, "strata_up: %s\n", err.message);
    return rc;
}

/* The first value of the first row of sql on the database file path, as text ("" if none). */
static void
query_text(const char *path, const char *sql, char *out, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    snprintf(out, size, "%s", "");
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0) != NULL)
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    else
        snprintf(out, size, "(%s)", db != NULL ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Checks that path holds the state after 001 and 002: two tables, their rows, history. */
static void
assert_two_applied(const char *path)
{
    char got[256];

    query_text(path,
               "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
               "WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name)",
               got, sizeof(got));
    CU_ASSERT_STRING_EQUAL(got, "items,strata_migrations,strata_migrations_events,"
                                "strata_migrations_meta,tags");
    query_text(path, "SELECT count(*) FROM items", got, sizeof(got));
    CU_ASSERT_STRING_EQUAL(got, "3");
    query_text(path, "SELECT count(*) FROM tags", got, sizeof(got));
    CU_ASSERT_STRING_EQUAL(got, "2");
    query_text(path,
               "SELECT group_concat(version || ':' || state, ',') FROM (SELECT version, state "
               "FROM strata_migrations ORDER BY version)",
               got, sizeof(got));
    CU_ASSERT_STRING_EQUAL(got, "001:applied,002:applied");
    query_text(path, "PRAGMA integrity_check", got, sizeof(got));
    CU_ASSERT_STRING_EQUAL(got, "ok");
}

static int
exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* A file database: the backup has the state before a later migration, mode 0600, no .tmp. */
static void
test_file(void)
{
    char *db = in_root("app.db"), *bak = in_root("app.backup"), *tmp = in_root("app.backup.tmp");
    char url[4200], got[64];
    strata_error err = STRATA_ERROR_INIT;
    struct stat st;
    strata *s;

    snprintf(url, sizeof(url), "sqlite:%s", db);
    s = open_url(url, 1000);
    if (s == NULL)
        goto done;
    CU_ASSERT_EQUAL(up(s), STRATA_OK);
    CU_ASSERT_EQUAL(strata_backup(s, bak, &err), STRATA_OK);
    tu_write(root, "migrations/003_price.up.sql", m003);
    CU_ASSERT_EQUAL(up(s), STRATA_OK);
    strata_close(s);
    assert_two_applied(bak);
    query_text(db, "SELECT count(*) FROM items", got, sizeof(got));
    CU_ASSERT_STRING_EQUAL(got, "4"); /* the database moved on */
    CU_ASSERT_FALSE(exists(tmp));
    CU_ASSERT_EQUAL(stat(bak, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
done:
    free(db);
    free(bak);
    free(tmp);
}

/* An in-memory database can be backed up too. */
static void
test_memory(void)
{
    char *bak = in_root("memory.backup");
    strata_error err = STRATA_ERROR_INIT;
    strata *s = open_url("sqlite::memory:", 1000);

    if (s == NULL)
        goto done;
    CU_ASSERT_EQUAL(up(s), STRATA_OK);
    CU_ASSERT_EQUAL(strata_backup(s, bak, &err), STRATA_OK);
    strata_close(s);
    assert_two_applied(bak);
done:
    free(bak);
}

/* An existing file at the target is replaced whole; a second backup replaces the first. */
static void
test_replace(void)
{
    char *db = in_root("app.db"), *bak = in_root("app.backup"), url[4200];
    strata_error err = STRATA_ERROR_INIT;
    strata *s;

    tu_write(root, "app.backup", "not a database\n");
    snprintf(url, sizeof(url), "sqlite:%s", db);
    s = open_url(url, 1000);
    if (s == NULL)
        goto done;
    CU_ASSERT_EQUAL(up(s), STRATA_OK);
    CU_ASSERT_EQUAL(strata_backup(s, bak, &err), STRATA_OK);
    assert_two_applied(bak);
    CU_ASSERT_EQUAL(strata_backup(s, bak, &err), STRATA_OK);
    assert_two_applied(bak);
    strata_close(s);
done:
    free(db);
    free(bak);
}

/* A .tmp file left behind stops the backup, which then leaves both files alone. */
static void
test_stale_tmp(void)
{
    char *db = in_root("app.db"), *bak = in_root("app.backup"), url[4200], *text;
    strata_error err = STRATA_ERROR_INIT;
    strata *s;

    tu_write(root, "app.backup", "previous backup\n");
    tu_write(root, "app.backup.tmp", "interrupted\n");
    snprintf(url, sizeof(url), "sqlite:%s", db);
    s = open_url(url, 1000);
    if (s == NULL)
        goto done;
    CU_ASSERT_EQUAL(up(s), STRATA_OK);
    CU_ASSERT_EQUAL(strata_backup(s, bak, &err), STRATA_ERROR);
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "cannot back up sqlite:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "app.backup.tmp already exists"));
    strata_close(s);
    text = tu_read(bak);
    CU_ASSERT_STRING_EQUAL(text != NULL ? text : "", "previous backup\n");
    free(text);
    text = in_root("app.backup.tmp");
    CU_ASSERT_TRUE(exists(text));
    free(text);
done:
    free(db);
    free(bak);
}

/* The database file itself, and a folder that does not exist, are refused. */
static void
test_bad_targets(void)
{
    char *db = in_root("app.db"), *nowhere = in_root("no/such/dir/app.backup"), url[4200];
    strata_error err = STRATA_ERROR_INIT;
    strata *s;

    snprintf(url, sizeof(url), "sqlite:%s", db);
    s = open_url(url, 1000);
    if (s == NULL)
        goto done;
    CU_ASSERT_EQUAL(up(s), STRATA_OK);
    CU_ASSERT_EQUAL(strata_backup(s, db, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "is the database itself"));
    CU_ASSERT_EQUAL(strata_backup(s, nowhere, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "cannot create"));
    CU_ASSERT_EQUAL(strata_backup(s, "", &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(strata_backup(s, NULL, &err), STRATA_USAGE);
    strata_close(s);
    assert_two_applied(db);
done:
    free(db);
    free(nowhere);
}

/* The backup waits for the migration lock, and gives up after the lock timeout. */
static void
test_lock(void)
{
    char *db = in_root("app.db"), *bak = in_root("app.backup"), url[4200];
    strata_error err = STRATA_ERROR_INIT;
    strata *s;
    int fd;

    snprintf(url, sizeof(url), "sqlite:%s", db);
    s = open_url(url, 200);
    if (s == NULL)
        goto done;
    CU_ASSERT_EQUAL(up(s), STRATA_OK);
    fd = open(db, O_RDONLY | O_CLOEXEC); /* another holder: flock is per open file */
    CU_ASSERT_EQUAL(flock(fd, LOCK_EX | LOCK_NB), 0);
    CU_ASSERT_EQUAL(strata_backup(s, bak, &err), STRATA_LOCK_TIMEOUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "cannot back up"));
    CU_ASSERT_FALSE(exists(bak));
    flock(fd, LOCK_UN);
    close(fd);
    CU_ASSERT_EQUAL(strata_backup(s, bak, &err), STRATA_OK);
    strata_close(s);
    assert_two_applied(bak);
done:
    free(db);
    free(bak);
}

/* Each test runs in a folder of its own holding migrations 001 and 002. */
#define WITH_ROOT(fn)                                                                              \
    static void fn##_in_root(void)                                                                 \
    {                                                                                              \
        setup();                                                                                   \
        fn();                                                                                      \
        teardown();                                                                                \
    }
WITH_ROOT(test_file)
WITH_ROOT(test_memory)
WITH_ROOT(test_replace)
WITH_ROOT(test_stale_tmp)
WITH_ROOT(test_bad_targets)
WITH_ROOT(test_lock)

int
main(int argc, char **argv)
{
    static const tu_test tests[] = {
        {"a file database, then a later migration", test_file_in_root},
        {"an in-memory database", test_memory_in_root},
        {"an existing target is replaced whole", test_replace_in_root},
        {"a stale .tmp file stops the backup", test_stale_tmp_in_root},
        {"the database itself and a missing folder are refused", test_bad_targets_in_root},
        {"the backup takes the migration lock", test_lock_in_root},
        {NULL, NULL},
    };

    if (argc > 1)
        return command(argc, argv);
    tu_suite("backup on sqlite", tests);
    return tu_run();
}
