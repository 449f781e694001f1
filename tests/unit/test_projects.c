/*
 * Unit tests for the project formats read in place: sqitch plans (core/files/sqitch.c) and
 * Liquibase formatted SQL changelogs (core/files/liquibase.c), and for the folder layouts
 * that name a migration's dialect (core/files/dialects.c).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <strata/types.h>

#include "source.h"
#include "testutil.h"
#include "util.h"

/* ================================================================== helpers */

/* Scans dir for dialect (NULL: none), which must succeed. */
static strata_source_set *
scan_ok(const char *dir, const char *dialect)
{
    strata_source_set *set = NULL;
    strata_error err = STRATA_ERROR_INIT;
    memset(&err, 0, sizeof(err));
    strata_dialect d = {.name = dialect};
    int rc = strata_source_scan(dir, &d, &set, &err);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    if (rc != STRATA_OK)
        fprintf(stderr, "\n  unexpected scan failure: %s\n", err.message);
    return set;
}

/* Scans dir, which must fail with STRATA_VALIDATION and a message holding each needle. */
static void
scan_fails(const char *dir, const char *const *needles)
{
    strata_source_set *set = NULL;
    strata_error err = STRATA_ERROR_INIT;
    memset(&err, 0, sizeof(err));
    strata_dialect d = {.name = "sqlite"};
    int rc = strata_source_scan(dir, &d, &set, &err);
    CU_ASSERT_EQUAL(rc, STRATA_VALIDATION);
    CU_ASSERT_PTR_NULL(set);
    strata_source_free(set);
    for (const char *const *n = needles; *n != NULL; n++)
        ASSERT_CONTAINS(err.message, *n);
}

/* The text a script reader serves (masked for Liquibase changesets); the caller frees. */
static char *
served(const strata_script *script)
{
    strata_script_reader *r = NULL;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL_FATAL(strata_script_open(script, &r, &err), STRATA_OK);
    strata_buf b = {0};
    char piece[5];
    size_t n;
    while ((n = strata_script_read(r, piece, sizeof(piece))) > 0 && n != (size_t)-1)
        strata_buf_append(&b, piece, n);
    CU_ASSERT_EQUAL(n, 0);
    strata_script_close(r);
    strata_buf_puts(&b, "");
    return strata_buf_take(&b);
}

/* Path dir/file, newly allocated. */
static char *
in(const char *dir, const char *file)
{
    return strata_path_join(dir, file);
}

static void
assert_path(const char *got, const char *dir, const char *file)
{
    char *want = file ? in(dir, file) : NULL;
    ASSERT_STR(got, want);
    free(want);
}

/* ================================================================== sqitch */

static const char plan_head[] = "%syntax-version=1.0.0\n"
                                "%project=flipr\n"
                                "%uri=https://example.com/flipr/\n"
                                "\n";

/* A project: the plan body, and each of the NULL-terminated files (name, text pairs). */
static char *
sqitch_project(const char *body, const char *const *files)
{
    char *dir = tu_tempdir();
    char *plan = strata_xasprintf("%s%s", plan_head, body);
    tu_write(dir, "sqitch.plan", plan);
    free(plan);
    for (size_t i = 0; files[i] != NULL; i += 2)
        tu_write(dir, files[i], files[i + 1]);
    return dir;
}

static void
test_sqitch_plan(void)
{
    static const char body[] =
        "# the flipr plan\n"
        "appschema 2013-12-30T23:19:45Z Marge N. O'Vera <marge@example.com> # Add schema.\n"
        "users [appschema] 2013-12-30T23:49:00Z Marge <marge@example.com> # Users.\n"
        "+ flips [users !dr_evil log:logger] 2013-12-31T00:00:00Z Marge <marge@example.com>\n"
        "@v1.0 2013-12-31T00:01:22Z Marge <marge@example.com> # Tag v1.0.\n"
        "\n"
        "users [users@v1.0] 2014-01-02T00:00:00Z Marge <marge@example.com># Reworked.\n";
    static const char *const files[] = {"deploy/appschema.sql",
                                        "-- Deploy\nBEGIN;\nCREATE SCHEMA flipr;\nCOMMIT;\n",
                                        "revert/appschema.sql",
                                        "BEGIN;\nDROP SCHEMA flipr;\nCOMMIT;\n",
                                        "verify/appschema.sql",
                                        "BEGIN;\nSELECT 1;\nROLLBACK;\n",
                                        "deploy/users@v1.0.sql",
                                        "CREATE TABLE users (id int);\n",
                                        "deploy/users.sql",
                                        "ALTER TABLE users ADD name text;\n",
                                        "revert/users.sql",
                                        "ALTER TABLE users DROP name;\n",
                                        "deploy/flips.sql",
                                        "CREATE TABLE flips (id int);\n",
                                        NULL};
    char *dir = sqitch_project(body, files);
    strata_source_set *set = scan_ok(dir, "postgres");
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 4);
        static const char *const names[] = {"appschema", "users", "flips", "users"};
        for (size_t i = 0; i < 4; i++) {
            char v[8];
            snprintf(v, sizeof(v), "%zu", i + 1);
            ASSERT_STR(set->items[i].version, v);
            ASSERT_STR(set->items[i].name, names[i]);
            ASSERT_STR(set->items[i].format, "sqitch");
            CU_ASSERT_EQUAL(set->items[i].applicable, 1);
            CU_ASSERT(set->items[i].up.flags & STRATA_SCRIPT_OWN_TRANSACTION);
        }
        assert_path(set->items[0].up.path, dir, "deploy/appschema.sql");
        assert_path(set->items[0].down.path, dir, "revert/appschema.sql");
        CU_ASSERT_PTR_NOT_NULL_FATAL(set->items[0].verify);
        assert_path(set->items[0].verify->path, dir, "verify/appschema.sql");
        /* the earlier instance of the reworked change reads the @tag files */
        assert_path(set->items[1].up.path, dir, "deploy/users@v1.0.sql");
        CU_ASSERT_PTR_NULL(set->items[1].down.path); /* revert/users@v1.0.sql is missing */
        CU_ASSERT_PTR_NULL(set->items[1].verify);
        assert_path(set->items[3].up.path, dir, "deploy/users.sql");
        assert_path(set->items[3].down.path, dir, "revert/users.sql");
        CU_ASSERT_EQUAL_FATAL(set->ntags, 1);
        ASSERT_STR(set->tags[0].name, "@v1.0");
        ASSERT_STR(set->tags[0].version, "3");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

/* The plan body, which must be refused naming sqitch.plan:line and the needle. */
static void
plan_refused(const char *body, const char *const *files, const char *where, const char *needle)
{
    char *dir = sqitch_project(body, files);
    char *plan = in(dir, "sqitch.plan");
    char *at = strata_xasprintf("%s%s", plan, where);
    const char *needles[] = {at, needle, NULL};
    scan_fails(dir, needles);
    free(at);
    free(plan);
    tu_rmtree(dir);
    free(dir);
}

static void
test_sqitch_errors(void)
{
    static const char *const deploys[] = {"deploy/a.sql", "SELECT 1;\n", "deploy/b.sql",
                                          "SELECT 2;\n", NULL};
    plan_refused("a [b] 2020-01-01T00:00:00Z X <x@example.com>\n"
                 "b 2020-01-01T00:00:00Z X <x@example.com>\n",
                 deploys, ":5:", "change a requires b, which the plan does not deploy before it");
    plan_refused("a 2020-01-01T00:00:00Z X <x@example.com>\n"
                 "b [!a] 2020-01-01T00:00:00Z X <x@example.com>\n",
                 deploys, ":6:", "change b conflicts with a, which the plan deploys before it");
    plan_refused("a 2020-01-01T00:00:00Z X <x@example.com>\n"
                 "b [a@v9] 2020-01-01T00:00:00Z X <x@example.com>\n",
                 deploys, ":6:", "change b requires a@v9");
    plan_refused("a 2020-01-01T00:00:00Z X <x@example.com>\n"
                 "-a 2020-01-02T00:00:00Z X <x@example.com>\n",
                 deploys, ":6:", "a revert step");
    plan_refused("a 2020-01-01T00:00:00Z X <x@example.com>\n"
                 "a 2020-01-02T00:00:00Z X <x@example.com>\n",
                 deploys, ":6:", "appears again without a tag between the two");
    plan_refused("c 2020-01-01T00:00:00Z X <x@example.com>\n", deploys,
                 ":5:", "change c has no deploy script");
    plan_refused("a\n", deploys, ":5:", "has no timestamp and planner");
    plan_refused("a 2020-01-01T00:00:00Z X <x@example.com>\n"
                 "@v1 2020-01-01T00:00:00Z X <x@example.com>\n"
                 "@v1 2020-01-01T00:00:00Z X <x@example.com>\n",
                 deploys, ":7:", "the tag @v1 appears twice");

    /* no %project, and a pragma block not ended by a blank line */
    char *dir = tu_tempdir();
    tu_write(dir, "sqitch.plan", "%syntax-version=1.0.0\n\na 2020-01-01T00:00:00Z X <x@x>\n");
    tu_write(dir, "deploy/a.sql", "SELECT 1;\n");
    const char *needles[] = {"sqitch.plan: no %project pragma", NULL};
    scan_fails(dir, needles);
    tu_write(dir, "sqitch.plan", "%project=p\na 2020-01-01T00:00:00Z X <x@x>\n");
    const char *needles2[] = {"sqitch.plan:2: a blank line must come between the pragmas", NULL};
    scan_fails(dir, needles2);
    tu_rmtree(dir);
    free(dir);
}

/* ================================================================== Liquibase */

static const char changelog[] =
    "--liquibase formatted sql\n"                                              /* 1 */
    "\n"                                                                       /* 2 */
    "-- a comment before the first changeset\n"                                /* 3 */
    "--changeset ada:create-users\n"                                           /* 4 */
    "--comment: users\n"                                                       /* 5 */
    "CREATE TABLE users (id INT);\n"                                           /* 6 */
    "--rollback DROP TABLE users;\n"                                           /* 7 */
    "\n"                                                                       /* 8 */
    "--changeset bob smith:2 runInTransaction:false dbms:postgresql\n"         /* 9 */
    "CREATE INDEX CONCURRENTLY i ON users (id);\n"                             /* 10 */
    "--rollback not required\n"                                                /* 11 */
    "--changeset ada:body splitStatements:false endDelimiter:/ context:test\n" /* 12 */
    "CREATE VIEW v AS SELECT 1;\n"                                             /* 13 */
    "/* liquibase rollback\n"                                                  /* 14 */
    "DROP VIEW v;\n"                                                           /* 15 */
    "*/\n"                                                                     /* 16 */
    "--changeset ada:view runOnChange:true dbms:!h2\n"                         /* 17 */
    "CREATE VIEW w AS SELECT 2;\n";                                            /* 18 */

static void
test_liquibase_changesets(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "changelog.sql", changelog);
    tu_write(dir, "later/more.sql", "--liquibase formatted sql\n--changeset ada:more\nSELECT 3;\n");
    strata_source_set *set = scan_ok(dir, "sqlite");
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 4);
        ASSERT_STR(set->items[0].version, "1.1");
        ASSERT_STR(set->items[0].name, "ada:create-users");
        ASSERT_STR(set->items[0].format, "liquibase");
        CU_ASSERT_EQUAL(set->items[0].up.first_line, 5);
        char *up = served(&set->items[0].up);
        /* Liquibase's own lines are blanked, lines and columns kept */
        ASSERT_STR(up, "                \nCREATE TABLE users (id INT);\n"
                       "                            \n\n");
        free(up);
        char *down = served(&set->items[0].down);
        ASSERT_STR(down, "                \n                            \n"
                         "           DROP TABLE users;\n\n");
        free(down);
        CU_ASSERT_EQUAL(set->items[0].up.flags & STRATA_SCRIPT_NO_TRANSACTION, 0);

        ASSERT_STR(set->items[1].name, "bob smith:2");
        CU_ASSERT_EQUAL(set->items[1].applicable, 0); /* dbms:postgresql, read for sqlite */

        ASSERT_STR(set->items[2].version, "1.3");
        ASSERT_STR(set->items[2].name, "ada:body");
        CU_ASSERT(set->items[2].up.flags & STRATA_SCRIPT_ONE_STATEMENT);
        ASSERT_STR(set->items[2].up.delimiter, "/");
        down = served(&set->items[2].down);
        ASSERT_CONTAINS(down, "DROP VIEW v;");
        ASSERT_LACKS(down, "CREATE VIEW");
        free(down);

        ASSERT_STR(set->items[3].version, "2.1"); /* later/more.sql sorts after changelog.sql */
        ASSERT_STR(set->items[3].name, "ada:more");
        CU_ASSERT_PTR_NULL(set->items[3].down.path);

        /* runOnChange: a repeatable */
        CU_ASSERT_EQUAL_FATAL(set->nrepeatables, 1);
        ASSERT_STR(set->repeatables[0].name, "ada:view");
        /* contexts are not evaluated: one note says so */
        CU_ASSERT_EQUAL_FATAL(set->nnotes, 1);
        ASSERT_CONTAINS(set->notes[0], "changelog.sql:12: contexts and labels are not evaluated");
        strata_source_free(set);
    }
    set = scan_ok(dir, "postgres");
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 4);
        CU_ASSERT_EQUAL(set->items[1].applicable, 1);
        CU_ASSERT(set->items[1].up.flags & STRATA_SCRIPT_NO_TRANSACTION);
        CU_ASSERT_EQUAL(set->items[1].down.empty, 1); /* --rollback not required */
        CU_ASSERT_EQUAL(set->items[1].down.length, 0);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

/* A changelog text, which must be refused naming changelog.sql:line and the needle. */
static void
changelog_refused(const char *text, const char *where, const char *needle)
{
    char *dir = tu_tempdir();
    tu_write(dir, "changelog.sql", text);
    char *path = in(dir, "changelog.sql");
    char *at = strata_xasprintf("%s%s", path, where);
    const char *needles[] = {at, needle, NULL};
    scan_fails(dir, needles);
    free(at);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void
test_liquibase_errors(void)
{
    changelog_refused("--liquibase formatted sql\nCREATE TABLE t (id int);\n",
                      ":2:", "SQL before the first changeset");
    changelog_refused("--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n--changeset a:1\n",
                      ":4:", "changeset a:1 appears twice");
    changelog_refused("--liquibase formatted sql\n--changeset a\nSELECT 1;\n",
                      ":2:", "a changeset line needs author:id");
    changelog_refused("--liquibase formatted sql\n--include file:other.sql\n", ":2:", "--include");
    changelog_refused("--liquibase formatted sql\n--property name:x value:y\n",
                      ":2:", "--property");

    /* a plain .sql file among changelogs */
    char *dir = tu_tempdir();
    tu_write(dir, "changelog.sql", "--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n");
    tu_write(dir, "zz.sql", "\nSELECT 2;\n");
    char *path = in(dir, "zz.sql");
    char *at = strata_xasprintf("%s:2:", path);
    const char *needles[] = {at, "not a Liquibase formatted SQL changelog", NULL};
    scan_fails(dir, needles);
    free(at);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* A changelog named like a versioned migration is still read as a changelog. */
static void
test_liquibase_versioned_names(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "001-users.sql", "--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n");
    tu_write(dir, "002-notes.sql",
             "--liquibase formatted sql\n--changeset a:2\nSELECT 2;\n"
             "-- Liquibase Formatted SQL is the header's spelling too\n"
             "--changeset \"ada:x\":\"id 3\"\nSELECT 3;\n");
    strata_source_set *set = scan_ok(dir, "mysql");
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 3);
        ASSERT_STR(set->items[0].version, "1.1");
        ASSERT_STR(set->items[1].version, "2.1");
        ASSERT_STR(set->items[1].name, "a:2");
        ASSERT_STR(set->items[2].name, "ada:x:id 3"); /* quoted author and id keep ':' and ' ' */
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

/* ================================================================== dialect folders, tags */

static void
test_dialect_folders(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "postgres/0001_users.up.sql", "SELECT 'pg';\n");
    tu_write(dir, "mysql/0001_users.up.sql", "SELECT 'my';\n");
    tu_write(dir, "sqlite3/0001_users.up.sql", "SELECT 'lite';\n");
    tu_write(dir, "0001_users.down.sql", "SELECT 'down';\n");
    tu_write(dir, "pg/0002_pg_only.up.sql", "SELECT 2;\n");
    tu_write(dir, "0003_all.up.sql", "SELECT 3;\n");
    tu_write(dir, "cockroach/0003_all.up.sql", "SELECT 'crdb';\n");
    tu_write(dir, "notes/README.sql", "this folder is not part of the migrations\n");
    strata_source_set *set = scan_ok(dir, "sqlite");
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 3);
        assert_path(set->items[0].up.path, dir, "sqlite3/0001_users.up.sql");
        assert_path(set->items[0].down.path, dir, "0001_users.down.sql");
        CU_ASSERT_EQUAL(set->items[1].applicable, 0);
        assert_path(set->items[2].up.path, dir, "0003_all.up.sql");
        strata_source_free(set);
    }
    set = scan_ok(dir, "postgres");
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 3);
        assert_path(set->items[0].up.path, dir, "postgres/0001_users.up.sql");
        CU_ASSERT_EQUAL(set->items[1].applicable, 1);
        assert_path(set->items[1].up.path, dir, "pg/0002_pg_only.up.sql");
        strata_source_free(set);
    }
    /* a file tagged for another database inside a dialect folder */
    tu_write(dir, "mysql/0004_x.postgres.up.sql", "SELECT 4;\n");
    const char *needles[] = {"mysql/0004_x.postgres.up.sql", "tagged for another database", NULL};
    scan_fails(dir, needles);
    tu_rmtree(dir);
    free(dir);
}

static void
test_unknown_tag_is_a_name(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "006_index_users.email.up.sql", "CREATE INDEX i ON users (email);\n");
    tu_write(dir, "007_x.cockroach.up.sql", "SELECT 7;\n");
    tu_write(dir, "008_y.mssql.up.sql", "SELECT 8;\n");
    tu_write(dir, "008_y.up.sql", "SELECT 8;\n");
    strata_source_set *set = scan_ok(dir, "postgres");
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 3);
        ASSERT_STR(set->items[0].name, "index_users.email");
        CU_ASSERT_EQUAL(set->items[0].applicable, 1);
        CU_ASSERT_EQUAL(set->items[1].applicable, 0); /* cockroach: no driver serves it */
        CU_ASSERT_EQUAL(set->items[2].applicable, 1);
        assert_path(set->items[2].up.path, dir, "008_y.up.sql");
        CU_ASSERT_EQUAL_FATAL(set->nnotes, 1);
        ASSERT_CONTAINS(set->notes[0],
                        "006_index_users.email.up.sql: '.email' looks like a dialect");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

/* A third-party driver's own dialect spelling counts even when the core does not know it. */
static void
test_driver_dialect_spelling(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "001_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "001_a.acmedb.up.sql", "SELECT 'acme';\n");
    static const char *const aliases[] = {"acme", NULL};
    strata_dialect d = {.name = "acmedb", .aliases = aliases};
    strata_source_set *set = NULL;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(strata_source_scan(dir, &d, &set, &err), STRATA_OK);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 1);
        assert_path(set->items[0].up.path, dir, "001_a.acmedb.up.sql");
        CU_ASSERT_EQUAL(set->nnotes, 0);
        strata_source_free(set);
    }
    /* for another driver it is the variant of 001_a.up.sql for a database not known here */
    set = scan_ok(dir, "sqlite");
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 1);
        assert_path(set->items[0].up.path, dir, "001_a.up.sql");
        ASSERT_STR(set->items[0].name, "a");
        CU_ASSERT_EQUAL_FATAL(set->nnotes, 1);
        ASSERT_CONTAINS(set->notes[0], "001_a.acmedb.up.sql: '.acmedb' names no database strata "
                                       "knows; the file is read as the variant of a");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

/* pop: 20-digit versions in numeric order, .autocommit, empty no-ops. */
static void
test_pop_set(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "20150100000001000000_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "9999999999999_b.up.sql", "SELECT 0;\n");
    tu_write(dir, "20150100000002000000_c.postgres.autocommit.up.sql", "SELECT 2;\n");
    tu_write(dir, "20150100000002000000_c.up.sql", "");
    tu_write(dir, "20150100000002000000_c.autocommit.down.sql", "-- nothing\n");
    strata_source_set *set = scan_ok(dir, "postgres");
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 3);
        ASSERT_STR(set->items[0].version, "9999999999999");
        ASSERT_STR(set->items[1].version, "20150100000001000000");
        ASSERT_STR(set->items[2].version, "20150100000002000000");
        CU_ASSERT(set->items[2].up.flags & STRATA_SCRIPT_NO_TRANSACTION);
        CU_ASSERT(set->items[2].down.flags & STRATA_SCRIPT_NO_TRANSACTION);
        CU_ASSERT_EQUAL(set->items[2].down.empty, 1);
        strata_source_free(set);
    }
    set = scan_ok(dir, "sqlite");
    if (set != NULL) {
        CU_ASSERT_EQUAL(set->items[2].up.empty, 1);
        CU_ASSERT_EQUAL(set->items[2].up.flags & STRATA_SCRIPT_NO_TRANSACTION, 0);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

int
main(void)
{
    static const tu_test sqitch[] = {
        {"a plan: order, reworked changes, tags, scripts", test_sqitch_plan},
        {"plans refused with sqitch.plan:line", test_sqitch_errors},
        {NULL, NULL},
    };
    static const tu_test liquibase[] = {
        {"changesets, attributes, masked scripts", test_liquibase_changesets},
        {"changelogs refused with file:line", test_liquibase_errors},
        {"changelogs named like versioned files", test_liquibase_versioned_names},
        {NULL, NULL},
    };
    static const tu_test dialects[] = {
        {"a folder per dialect", test_dialect_folders},
        {"a tag that names no database", test_unknown_tag_is_a_name},
        {"a driver's own spelling", test_driver_dialect_spelling},
        {"pop: 20 digits, autocommit, empty", test_pop_set},
        {NULL, NULL},
    };
    tu_suite("sqitch", sqitch);
    tu_suite("liquibase", liquibase);
    tu_suite("dialect folders and tags", dialects);
    return tu_run();
}
