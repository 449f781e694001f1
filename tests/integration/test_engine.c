/*
 * The engine through the public library API (include/strata/strata.h), on real SQLite
 * files: up, down, status, validate, force, failures, dirty state, locking, concurrency.
 * The database is inspected with libsqlite3 directly, never through strata.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>
#include <CUnit/Basic.h>

#include <strata/strata.h>

#include "testutil.h"

static char *root;   /* temp folder of the current test */
static char *migdir; /* root/migrations */
static char *dbpath; /* root/test.db */
static char url[4200];

static void
fresh(void)
{
    root = tu_tempdir();
    migdir = malloc(4200);
    dbpath = malloc(4200);
    snprintf(migdir, 4200, "%s/migrations", root);
    snprintf(dbpath, 4200, "%s/test.db", root);
    snprintf(url, sizeof(url), "sqlite:%s", dbpath);
}

static void
done(void)
{
    tu_rmtree(root);
    free(root);
    free(migdir);
    free(dbpath);
}

static void
write_demo(void)
{
    tu_write(migdir, "001_users.up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n");
    tu_write(migdir, "001_users.down.sql", "DROP TABLE users;\n");
    tu_write(migdir, "002_posts.up.sql",
             "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));\n"
             "CREATE INDEX posts_user ON posts (user_id);\n");
    tu_write(migdir, "002_posts.down.sql", "DROP TABLE posts;\n");
    tu_write(migdir, "010_tags.sql",
             "-- strata:up\nCREATE TABLE tags (name TEXT PRIMARY KEY);\n"
             "INSERT INTO tags VALUES ('a;b');\n-- strata:down\nDROP TABLE tags;\n");
}

static strata *
open_db(strata_error *err)
{
    strata_options o;
    strata_options_init(&o);
    o.database_url = url;
    o.dir = migdir;
    o.lock_timeout_ms = 5000;
    strata *s = NULL;
    int rc = strata_open(&o, &s, err);
    CU_ASSERT_EQUAL_FATAL(rc, STRATA_OK);
    return s;
}

static int
up(strata_run_options *o, strata_error *err, size_t *applied)
{
    strata *s = open_db(err);
    strata_run_report *r = NULL;
    int rc = strata_up(s, o, &r, err);
    if (applied)
        *applied = r ? r->count : 0;
    strata_run_report_free(r);
    strata_close(s);
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

/* First column of the first row of sql, as a new string ("" when no row). */
static char *
scalar(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char *out = strdup("");
    if (sqlite3_open(dbpath, &db) != SQLITE_OK)
        return out;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
            free(out);
            out = strdup((const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

static long
count(const char *sql)
{
    char *v = scalar(sql);
    long n = atol(v);
    free(v);
    return n;
}

/* The user schema (not the history tables), one line per object. */
static char *
schema(void)
{
    return scalar("SELECT group_concat(sql, char(10)) FROM (SELECT sql FROM sqlite_master "
                  "WHERE name NOT LIKE 'strata_%' AND name NOT LIKE 'sqlite_%' AND sql IS NOT "
                  "NULL ORDER BY name)");
}

/* ------------------------------------------------------------------ tests */

static void
test_up_status_down(void)
{
    fresh();
    write_demo();
    strata_error err;
    size_t n = 0;
    CU_ASSERT_EQUAL(up(NULL, &err, &n), STRATA_OK);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations WHERE state='applied'"), 3);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM tags WHERE name='a;b'"), 1);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations_events WHERE action='up' "
                          "AND outcome='ok'"), 3);
    char *rank = scalar("SELECT group_concat(version) FROM (SELECT version FROM "
                        "strata_migrations ORDER BY applied_rank)");
    CU_ASSERT_STRING_EQUAL(rank, "001,002,010");
    free(rank);

    CU_ASSERT_EQUAL(up(NULL, &err, &n), STRATA_OK);
    CU_ASSERT_EQUAL(n, 0);

    strata *s = open_db(&err);
    strata_status_report *st = NULL;
    CU_ASSERT_EQUAL(strata_status(s, &st, &err), STRATA_OK);
    CU_ASSERT_EQUAL(st->count, 3);
    CU_ASSERT_EQUAL(st->applied, 3);
    CU_ASSERT_STRING_EQUAL(st->items[2].version, "010");
    CU_ASSERT_EQUAL(st->items[2].state, STRATA_STATE_APPLIED);
    CU_ASSERT_PTR_NOT_NULL(st->items[0].applied_at);
    strata_status_report_free(st);
    strata_close(s);

    char *before = schema();
    CU_ASSERT_EQUAL(down(NULL, &err, &n), STRATA_OK);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM sqlite_master WHERE name='tags'"), 0);
    strata_run_options all = {.size = sizeof(all), .all = 1};
    CU_ASSERT_EQUAL(down(&all, &err, &n), STRATA_OK);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations"), 0);
    char *empty = schema();
    CU_ASSERT_STRING_EQUAL(empty, "");
    CU_ASSERT_EQUAL(up(NULL, &err, &n), STRATA_OK);
    CU_ASSERT_EQUAL(n, 3);
    char *after = schema();
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(empty);
    free(after);
    done();
}

static void
test_to_and_step(void)
{
    fresh();
    write_demo();
    strata_error err;
    size_t n;
    strata_run_options o = {.size = sizeof(o), .to_version = "2"};
    CU_ASSERT_EQUAL(up(&o, &err, &n), STRATA_OK);
    CU_ASSERT_EQUAL(n, 2);
    strata_run_options one = {.size = sizeof(one), .step = 1};
    CU_ASSERT_EQUAL(up(&one, &err, &n), STRATA_OK);
    CU_ASSERT_EQUAL(n, 1);
    strata_run_options to1 = {.size = sizeof(to1), .to_version = "001"};
    CU_ASSERT_EQUAL(down(&to1, &err, &n), STRATA_OK);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations"), 1);
    strata_run_options bad = {.size = sizeof(bad), .to_version = "abc"};
    CU_ASSERT_EQUAL(up(&bad, &err, &n), STRATA_USAGE);
    done();
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
    fresh();
    write_demo();
    strata_options o;
    strata_options_init(&o);
    int statements = 0;
    o.database_url = url;
    o.dir = migdir;
    o.on_event = collect_sql;
    o.event_ctx = &statements;
    strata *s = NULL;
    strata_error err;
    CU_ASSERT_EQUAL_FATAL(strata_open(&o, &s, &err), STRATA_OK);
    strata_run_options dry = {.size = sizeof(dry), .dry_run = 1};
    strata_run_report *r = NULL;
    CU_ASSERT_EQUAL(strata_up(s, &dry, &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL(r->count, 3);
    CU_ASSERT_EQUAL(statements, 5);
    strata_run_report_free(r);
    strata_close(s);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM sqlite_master WHERE name='users'"), 0);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations"), 0);
    done();
}

static void
test_failure_leaves_nothing(void)
{
    fresh();
    write_demo();
    tu_write(migdir, "011_broken.up.sql",
             "CREATE TABLE half (id INTEGER);\n"
             "INSERT INTO half VALUES (1);\n"
             "  INSERT INTO nosuchtable VALUES (1);\n");
    tu_write(migdir, "012_after.up.sql", "CREATE TABLE after_broken (id INTEGER);\n");
    strata_error err;
    size_t n;
    CU_ASSERT_EQUAL(up(NULL, &err, &n), STRATA_ERROR);
    CU_ASSERT_EQUAL(n, 3); /* the three before it stay applied */
    char expect[4400];
    snprintf(expect, sizeof(expect), "%s/011_broken.up.sql:3:3: ", migdir);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, expect));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "nosuchtable"));
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM sqlite_master WHERE name='half'"), 0);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM sqlite_master WHERE name='after_broken'"), 0);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations"), 3);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations_events WHERE version='011' "
                          "AND outcome='failed'"), 1);
    done();
}

static void
test_lexer_error_names_file(void)
{
    fresh();
    tu_write(migdir, "001_quote.up.sql", "CREATE TABLE t (a TEXT);\nINSERT INTO t VALUES ('x);\n");
    strata_error err;
    CU_ASSERT_NOT_EQUAL(up(NULL, &err, NULL), STRATA_OK);
    char expect[4400];
    snprintf(expect, sizeof(expect), "%s/001_quote.up.sql:2:", migdir);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, expect));
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM sqlite_master WHERE name='t'"), 0);
    done();
}

static void
test_edited_migration_refused(void)
{
    fresh();
    write_demo();
    strata_error err;
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_OK);
    tu_write(migdir, "002_posts.up.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n");
    tu_write(migdir, "011_more.up.sql", "CREATE TABLE more (id INTEGER);\n");
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_VALIDATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "002_posts.up.sql"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "edited"));
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM sqlite_master WHERE name='more'"), 0);

    strata *s = open_db(&err);
    strata_validation_report *v = NULL;
    CU_ASSERT_EQUAL(strata_validate(s, &v, &err), STRATA_OK);
    CU_ASSERT_EQUAL(v->errors, 1);
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
             "\xEF\xBB\xBF" "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER "
             "REFERENCES users(id));\r\nCREATE INDEX posts_user ON posts (user_id);\r\n");
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_OK);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM sqlite_master WHERE name='more'"), 1);
    done();
}

static void
test_missing_file_reported(void)
{
    fresh();
    write_demo();
    strata_error err;
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_OK);
    char path[4400];
    snprintf(path, sizeof(path), "%s/002_posts.up.sql", migdir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/002_posts.down.sql", migdir);
    unlink(path);
    strata *s = open_db(&err);
    strata_validation_report *v = NULL;
    CU_ASSERT_EQUAL(strata_validate(s, &v, &err), STRATA_OK);
    CU_ASSERT_EQUAL(v->errors, 1);
    CU_ASSERT_EQUAL(v->items[0].kind, STRATA_PROBLEM_MISSING);
    CU_ASSERT_PTR_NOT_NULL(strstr(v->items[0].message, "002"));
    strata_validation_report_free(v);
    strata_status_report *st = NULL;
    CU_ASSERT_EQUAL(strata_status(s, &st, &err), STRATA_OK);
    CU_ASSERT_EQUAL(st->missing, 1);
    strata_status_report_free(st);
    strata_close(s);
    done();
}

static void
test_out_of_order(void)
{
    fresh();
    write_demo();
    strata_error err;
    size_t n;
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_OK);
    tu_write(migdir, "005_late.up.sql", "CREATE TABLE late (id INTEGER);\n");
    tu_write(migdir, "005_late.down.sql", "DROP TABLE late;\n");
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_VALIDATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "005_late.up.sql"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "--allow-out-of-order"));

    strata_options o;
    strata_options_init(&o);
    o.database_url = url;
    o.dir = migdir;
    o.allow_out_of_order = 1;
    strata *s = NULL;
    CU_ASSERT_EQUAL_FATAL(strata_open(&o, &s, &err), STRATA_OK);
    CU_ASSERT_EQUAL(strata_up(s, NULL, NULL, &err), STRATA_OK);
    CU_ASSERT_EQUAL(count("SELECT applied_rank FROM strata_migrations WHERE version='005'"), 4);
    /* down undoes in the order actually applied: 005 first, then 010 */
    strata_run_report *r = NULL;
    CU_ASSERT_EQUAL(strata_down(s, NULL, &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(r->count, 1);
    CU_ASSERT_STRING_EQUAL(r->items[0].version, "005");
    strata_run_report_free(r);
    strata_close(s);
    CU_ASSERT_EQUAL(down(NULL, &err, &n), STRATA_OK);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations WHERE version='010'"), 0);
    done();
}

static void
test_no_down_refused(void)
{
    fresh();
    tu_write(migdir, "001_only_up.sql", "CREATE TABLE only_up (id INTEGER);\n");
    strata_error err;
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_OK);
    CU_ASSERT_EQUAL(down(NULL, &err, NULL), STRATA_VALIDATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "001_only_up.sql"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no down"));
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations"), 1);
    done();
}

static void
test_dirty_protocol_and_force(void)
{
    fresh();
    tu_write(migdir, "001_ok.up.sql", "CREATE TABLE ok (id INTEGER);\n");
    tu_write(migdir, "002_notx.up.sql",
             "-- strata:no-transaction\n"
             "CREATE TABLE first (id INTEGER);\n"
             "CREATE TABLE second (id INTEGER);\n"
             "INSERT INTO missing_table VALUES (1);\n");
    strata_error err;
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "002_notx.up.sql:4:1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.hint, "strata force 002"));
    char *state = scalar("SELECT state || ':' || statements_done FROM strata_migrations "
                         "WHERE version='002'");
    CU_ASSERT_STRING_EQUAL(state, "dirty:2");
    free(state);
    /* statements before the failure stay: there was no transaction */
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM sqlite_master WHERE name='second'"), 1);

    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_DIRTY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.hint, "strata force 002 rolled-back"));

    strata *s = open_db(&err);
    strata_validation_report *v = NULL;
    CU_ASSERT_EQUAL(strata_validate(s, &v, &err), STRATA_OK);
    CU_ASSERT(v->errors >= 1);
    strata_validation_report_free(v);
    CU_ASSERT_EQUAL(strata_force(s, "002", 0, &err), STRATA_OK);
    strata_close(s);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations WHERE version='002'"), 0);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations_events WHERE action='force'"),
                    1);

    /* the user undoes by hand, fixes the file, and runs again */
    sqlite3 *db;
    sqlite3_open(dbpath, &db);
    sqlite3_exec(db, "DROP TABLE first; DROP TABLE second;", NULL, NULL, NULL);
    sqlite3_close(db);
    tu_write(migdir, "002_notx.up.sql",
             "-- strata:no-transaction\nCREATE TABLE first (id INTEGER);\n"
             "CREATE TABLE second (id INTEGER);\n");
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_OK);
    char *applied = scalar("SELECT state || ':' || statements_done FROM strata_migrations "
                           "WHERE version='002'");
    CU_ASSERT_STRING_EQUAL(applied, "applied:2");
    free(applied);

    s = open_db(&err);
    CU_ASSERT_EQUAL(strata_force(s, "7", 1, &err), STRATA_USAGE);
    strata_close(s);
    done();
}

static void
test_vacuum_runs_outside_transaction(void)
{
    fresh();
    tu_write(migdir, "001_t.up.sql", "CREATE TABLE t (id INTEGER);\nVACUUM;\n");
    strata_error err;
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_OK);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations WHERE state='applied'"), 1);
    done();
}

static void
test_trigger_body(void)
{
    fresh();
    tu_write(migdir, "001_audit.up.sql",
             "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER);\n"
             "CREATE TABLE audit (msg TEXT);\n"
             "CREATE TRIGGER items_audit AFTER INSERT ON items\nBEGIN\n"
             "  INSERT INTO audit VALUES (CASE WHEN NEW.qty > 10 THEN 'big' ELSE 'small' END);\n"
             "  INSERT INTO audit VALUES ('done;');\nEND;\n"
             "INSERT INTO items (qty) VALUES (50);\n");
    strata_error err;
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_OK);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM audit"), 2);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM audit WHERE msg='big'"), 1);
    done();
}

static void
test_lock_timeout(void)
{
    fresh();
    write_demo();
    int fd = open(dbpath, O_RDWR | O_CREAT, 0644);
    int ready[2];
    CU_ASSERT_EQUAL_FATAL(pipe(ready), 0);
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
    CU_ASSERT_EQUAL(read(ready[0], &c, 1), 1);
    strata_options o;
    strata_options_init(&o);
    o.database_url = url;
    o.dir = migdir;
    o.lock_timeout_ms = 200;
    strata *s = NULL;
    strata_error err;
    CU_ASSERT_EQUAL_FATAL(strata_open(&o, &s, &err), STRATA_OK);
    CU_ASSERT_EQUAL(strata_up(s, NULL, NULL, &err), STRATA_LOCK_TIMEOUT);
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)child);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, pid));
    strata_close(s);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(fd);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM sqlite_master WHERE name='users'"), 0);
    done();
}

static void
test_concurrent_runners(void)
{
    fresh();
    for (int i = 1; i <= 20; i++) {
        char name[64], sql[128];
        snprintf(name, sizeof(name), "%03d_t%d.up.sql", i, i);
        snprintf(sql, sizeof(sql), "CREATE TABLE t%d (id INTEGER);\n", i);
        tu_write(migdir, name, sql);
    }
    enum { RUNNERS = 8 };
    pid_t pids[RUNNERS];
    for (int i = 0; i < RUNNERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            strata_options o;
            strata_options_init(&o);
            o.database_url = url;
            o.dir = migdir;
            o.lock_timeout_ms = 30000;
            strata *s = NULL;
            strata_error err;
            int rc = strata_open(&o, &s, &err);
            if (rc == STRATA_OK)
                rc = strata_up(s, NULL, NULL, &err);
            if (rc != STRATA_OK)
                fprintf(stderr, "runner %d: %s\n", i, err.message);
            strata_close(s);
            _exit(rc);
        }
    }
    int ok = 0;
    for (int i = 0; i < RUNNERS; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    CU_ASSERT_EQUAL(ok, RUNNERS);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations"), 20);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM strata_migrations_events WHERE action='up'"), 20);
    CU_ASSERT_EQUAL(count("SELECT count(DISTINCT applied_rank) FROM strata_migrations"), 20);
    done();
}

static void
test_bad_input(void)
{
    fresh();
    strata_error err;
    strata_options o;
    strata_options_init(&o);
    strata *s = NULL;
    o.database_url = "nosuchdb://x";
    CU_ASSERT_EQUAL(strata_open(&o, &s, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no driver 'nosuchdb'"));
    o.database_url = "not a url";
    CU_ASSERT_EQUAL(strata_open(&o, &s, &err), STRATA_USAGE);
    o.database_url = "sqlite:x.db?password=hunter2";
    CU_ASSERT_NOT_EQUAL(strata_open(&o, &s, &err), STRATA_OK);
    CU_ASSERT_PTR_NULL(strstr(err.message, "hunter2"));
    o.database_url = url;
    o.table = "bad-name;";
    CU_ASSERT_EQUAL(strata_open(&o, &s, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(s);

    tu_write(migdir, "001_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
    tu_write(migdir, "1_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
    CU_ASSERT_EQUAL(up(NULL, &err, NULL), STRATA_VALIDATION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "001_a.up.sql"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "1_b.up.sql"));
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM sqlite_master WHERE name IN ('a','b')"), 0);
    done();
}

static void
test_custom_table(void)
{
    fresh();
    write_demo();
    strata_options o;
    strata_options_init(&o);
    o.database_url = url;
    o.dir = migdir;
    o.table = "schema_history";
    strata *s = NULL;
    strata_error err;
    CU_ASSERT_EQUAL_FATAL(strata_open(&o, &s, &err), STRATA_OK);
    CU_ASSERT_EQUAL(strata_up(s, NULL, NULL, &err), STRATA_OK);
    strata_close(s);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM schema_history"), 3);
    CU_ASSERT_EQUAL(count("SELECT count(*) FROM schema_history_events"), 3);
    CU_ASSERT_EQUAL(count("SELECT meta_value FROM schema_history_meta WHERE meta_key='schema_version'"), 1);
    done();
}

static void
test_new_files(void)
{
    fresh();
    strata_error err;
    char *up_path = NULL, *down_path = NULL;
    tu_write(migdir, "001_a.up.sql", "SELECT 1;\n");
    tu_write(migdir, "002_b.up.sql", "SELECT 1;\n");
    CU_ASSERT_EQUAL(strata_new(migdir, "Add Users Email!", NULL, &up_path, &down_path, &err),
                    STRATA_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(up_path, "/003_add_users_email.up.sql"));
    CU_ASSERT_PTR_NOT_NULL(strstr(down_path, "/003_add_users_email.down.sql"));
    char *text = tu_read(up_path);
    CU_ASSERT_PTR_NOT_NULL(text);
    free(text);
    free(up_path);
    free(down_path);
    char other[4400];
    snprintf(other, sizeof(other), "%s/empty", root);
    CU_ASSERT_EQUAL(strata_new(other, "first", NULL, &up_path, &down_path, &err), STRATA_OK);
    const char *base = strrchr(up_path, '/') + 1;
    CU_ASSERT_EQUAL(strspn(base, "0123456789"), 14);
    free(up_path);
    free(down_path);
    CU_ASSERT_EQUAL(strata_new(other, "!!!", NULL, &up_path, &down_path, &err), STRATA_USAGE);
    done();
}

int
main(void)
{
    static const tu_test engine[] = {
        {"up, status, down, down --all, up: same schema", test_up_status_down},
        {"--to and --step", test_to_and_step},
        {"--dry-run changes nothing", test_dry_run},
        {"a failing statement leaves nothing behind", test_failure_leaves_nothing},
        {"an unterminated quote names file:line", test_lexer_error_names_file},
        {"an edited applied migration is refused", test_edited_migration_refused},
        {"a missing file is reported", test_missing_file_reported},
        {"out-of-order versions", test_out_of_order},
        {"down without a down script", test_no_down_refused},
        {"dirty protocol, refusal and force", test_dirty_protocol_and_force},
        {"VACUUM runs outside a transaction", test_vacuum_runs_outside_transaction},
        {"trigger bodies are kept whole", test_trigger_body},
        {"lock timeout names the holder", test_lock_timeout},
        {"eight concurrent runners", test_concurrent_runners},
        {"bad input", test_bad_input},
        {"custom history table", test_custom_table},
        {"strata new", test_new_files},
        {NULL, NULL},
    };
    tu_suite("engine on SQLite", engine);
    return tu_run();
}
