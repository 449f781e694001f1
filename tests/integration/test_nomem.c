/*
 * Running out of memory inside libstrata: the library returns STRATA_ERROR_NOMEM instead of
 * aborting, and the database is left whole. This program is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc against the core's objects, so every
 * allocation the core makes (and only those: drivers and libc's own stay real) goes through
 * the counters below; the Nth of them is made to fail.
 *
 * For N over the allocations of a whole `open, up, status` of the demo migrations on a new
 * SQLite file, the run with allocation N failing must end in STRATA_OK or
 * STRATA_ERROR_NOMEM (or STRATA_ERROR where the core checks an allocation itself), never in
 * a crash; the file must then hold exactly the schema its history says was applied; a later
 * call on a session given up on must say so; and a new session must finish the job.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <sqlite3.h>

#include <strata/strata.h>

#include "testutil.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

/* Under AddressSanitizer: a call given up on loses what it had allocated, on purpose. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
    return "detect_leaks=0";
}

static long calls;   /* allocations by the core since the count was reset */
static long fail_at; /* the allocation to fail (1-based), 0: none */

static int
should_fail(void)
{
    return ++calls == fail_at;
}

void *
__wrap_malloc(size_t size)
{
    return should_fail() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
    return should_fail() ? NULL : __real_realloc(p, size);
}

static char migrations[4096];
static char dbfile[4096];
static char url[4200];

/* The demo migrations create these tables, one step per version (004 adds a column). */
static const char *const tables_after[6] = {
    "",
    "users",
    "api_keys,users",
    "api_keys,security_events,users",
    "api_keys,security_events,users",
    "api_keys,roles,security_events,user_roles,users",
};

static int
t_collect_names(void *ctx, int ncols, char **values, char **names)
{
    (void)ncols, (void)names;
    char *out = ctx;
    if (out[0] != '\0')
        strcat(out, ",");
    strcat(out, values[0]);
    return 0;
}

static long
t_count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/*
 * Checks that the file holds exactly the schema its history says was applied: N rows, all
 * applied, and the tables (and 004's column) of the first N migrations, no more. Returns
 * the number of rows, or -1 after reporting the difference.
 */
static long
t_check_consistent(long n_case)
{
    sqlite3 *db = NULL;
    char tables[512] = "";
    long rows = 0, dirty = 0, status_col;
    if (sqlite3_open_v2(dbfile, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 0; /* the failure came before the file was created */
    }
    if (t_count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'strata_migrations'") == 1) {
        rows = t_count(db, "SELECT count(*) FROM strata_migrations");
        dirty = t_count(db, "SELECT count(*) FROM strata_migrations WHERE state <> 'applied'");
    }
    sqlite3_exec(db,
                 "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                 "'strata%' AND name NOT LIKE 'sqlite%' ORDER BY name",
                 t_collect_names, tables, NULL);
    status_col = t_count(db, "SELECT count(*) FROM pragma_table_info('users') WHERE "
                             "name = 'status'");
    sqlite3_close(db);
    int ok = rows >= 0 && rows <= 5 && dirty == 0 && strcmp(tables, tables_after[rows]) == 0 &&
             status_col == (rows >= 4 ? 1 : 0);
    if (!ok)
        fprintf(stderr,
                "allocation %ld: history has %ld rows (%ld not applied), tables [%s], "
                "users.status %ld\n",
                n_case, rows, dirty, tables, status_col);
    CU_ASSERT_TRUE(ok);
    return ok ? rows : -1;
}

/* open, up, status on the file; returns the first status that is not STRATA_OK. */
static int
t_run(strata **s, strata_error *err)
{
    strata_options o;
    strata_options_init(&o);
    o.database_url = url;
    o.dir = migrations;
    *s = NULL;
    int rc = strata_open(&o, s, err);
    strata_run_report *run = NULL;
    strata_status_report *st = NULL;
    if (rc == STRATA_OK)
        rc = strata_up(*s, NULL, &run, err);
    strata_run_report_free(run);
    if (rc == STRATA_OK)
        rc = strata_status(*s, &st, err);
    strata_status_report_free(st);
    return rc;
}

/* A run with no allocation failing: counts the allocations. */
static long
t_count_allocations(void)
{
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    unlink(dbfile);
    calls = 0;
    fail_at = 0;
    int rc = t_run(&s, &err);
    long n = calls;
    strata_close(s);
    CU_ASSERT_EQUAL_FATAL(rc, STRATA_OK);
    return n;
}

static void
t_one_failure(long n, int *nomem_seen)
{
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    unlink(dbfile);
    calls = 0;
    fail_at = n;
    int rc = t_run(&s, &err);
    fail_at = 0;
    if (rc != STRATA_OK && rc != STRATA_ERROR_NOMEM && rc != STRATA_ERROR)
        fprintf(stderr, "allocation %ld: status %d: %s\n", n, rc, err.message);
    CU_ASSERT_TRUE(rc == STRATA_OK || rc == STRATA_ERROR_NOMEM || rc == STRATA_ERROR);
    if (rc == STRATA_ERROR_NOMEM) {
        (*nomem_seen)++;
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "out of memory"));
        if (s != NULL) { /* given up on: every later call says so */
            strata_status_report *st = NULL;
            strata_error again = STRATA_ERROR_INIT;
            CU_ASSERT_EQUAL(strata_status(s, &st, &again), STRATA_ERROR_NOMEM);
            strata_status_report_free(st);
        }
    }
    strata_close(s);
    t_check_consistent(n);
    /* a new session finishes the job */
    strata_error err2 = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(t_run(&s, &err2), STRATA_OK);
    strata_close(s);
    CU_ASSERT_EQUAL(t_check_consistent(n), 5);
}

static void
test_every_allocation_fails_cleanly(void)
{
    long total = t_count_allocations();
    CU_ASSERT_TRUE_FATAL(total > 100);
    long step = total / 300 > 0 ? total / 300 : 1; /* about 300 cases, spread over the run */
    int nomem_seen = 0;
    for (long n = 1; n <= total; n += step)
        t_one_failure(n, &nomem_seen);
    t_one_failure(total, &nomem_seen); /* the very last allocation */
    fprintf(stderr, "%ld allocations, failure injected at every %ld-th: %d NOMEM\n", total, step,
            nomem_seen);
    CU_ASSERT_TRUE(nomem_seen > 0);
}

int
main(void)
{
    const char *src = getenv("STRATA_SRCDIR");
    if (src == NULL || getenv("STRATA_DRIVER_PATH") == NULL) {
        fprintf(stderr, "test_nomem: run through make check (STRATA_SRCDIR, STRATA_DRIVER_PATH)\n");
        return 1;
    }
    snprintf(migrations, sizeof(migrations), "%s/migrations", src);
    char *tmp = tu_tempdir();
    snprintf(dbfile, sizeof(dbfile), "%s/app.db", tmp);
    snprintf(url, sizeof(url), "sqlite:%s", dbfile);
    static const tu_test tests[] = {
        {"every allocation of open, up, status can fail without harm",
         test_every_allocation_fails_cleanly},
        {NULL, NULL},
    };
    tu_suite("nomem", tests);
    int rc = tu_run();
    tu_rmtree(tmp);
    free(tmp);
    return rc;
}
