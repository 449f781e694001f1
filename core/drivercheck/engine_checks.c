/*
 * The checks through the core: what strata itself does with a driver, on sessions opened
 * with strata_open() as the strata command opens them (drivercheck.h).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <strata/strata.h>

#include "drivercheck.h"
#include "session.h"
#include "tablelock.h"
#include "tables.h"

/* A folder with two migrations on a table of this run; the caller removes it. */
static char *
write_migrations(dc *d)
{
    char tmpl[] = "/tmp/strata-dc-XXXXXX";
    if (mkdtemp(tmpl) == NULL)
        return NULL;
    char id_type[64];
    dc_type(d, STRATA_TYPE_INTEGER, 0, id_type, sizeof(id_type));
    char *t = strata_xasprintf("%sm", d->prefix);
    struct {
        const char *name;
        char *text;
    } files[] = {
        {"001_create.up.sql", strata_xasprintf("CREATE TABLE %s (id %s);\n", t, id_type)},
        {"001_create.down.sql", strata_xasprintf("DROP TABLE %s;\n", t)},
        {"002_fill.up.sql",
         strata_xasprintf("INSERT INTO %s (id) VALUES (1);\nINSERT INTO %s (id) VALUES (2);\n", t,
                          t)},
        {"002_fill.down.sql", strata_xasprintf("DELETE FROM %s;\n", t)},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *path = strata_path_join(tmpl, files[i].name);
        FILE *f = fopen(path, "w");
        if (f != NULL) {
            fputs(files[i].text, f);
            fclose(f);
        }
        free(path);
        free(files[i].text);
    }
    free(t);
    return strata_xstrdup(tmpl);
}

static void
remove_migrations(char *dir)
{
    static const char *const names[] = {"001_create.up.sql", "001_create.down.sql",
                                        "002_fill.up.sql", "002_fill.down.sql"};
    for (size_t i = 0; dir != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
        char *path = strata_path_join(dir, names[i]);
        unlink(path);
        free(path);
    }
    if (dir != NULL)
        rmdir(dir);
    free(dir);
}

/* Opens a session on the URL with the history in <prefix><table>. */
static strata *
open_session(dc *d, const char *dir, const char *table, long lock_timeout_ms, int read_only)
{
    char name[64];
    snprintf(name, sizeof(name), "%s%s", d->prefix, table);
    strata_options o;
    strata_options_init(&o);
    o.database_url = d->url_text;
    o.dir = dir;
    o.table = name;
    o.driver_dir = d->driver_dir;
    o.lock_timeout_ms = lock_timeout_ms;
    o.read_only = read_only;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    if (strata_open(&o, &s, &err) != STRATA_OK) {
        dc_fail(d, "connect", "strata_open() through the core fails: %s", err.message);
        return NULL;
    }
    return s;
}

/* applied and pending counts of the session's status, -1 on error (err filled). */
static int
status_counts(strata *s, size_t *applied, size_t *pending, strata_error *err)
{
    strata_status_report *r = NULL;
    int rc = strata_status(s, &r, err);
    if (rc == STRATA_OK) {
        *applied = r->applied;
        *pending = r->pending;
    }
    strata_status_report_free(r);
    return rc;
}

void
dc_check_history(dc *d)
{
    char *dir = write_migrations(d);
    strata *s = dir ? open_session(d, dir, "hist", 5000, 0) : NULL;
    if (s == NULL) {
        remove_migrations(dir);
        return;
    }
    strata_error err = STRATA_ERROR_INIT;
    strata_run_report *run = NULL;
    size_t applied = 0, pending = 0;
    int rc = strata_up(s, NULL, &run, &err);
    strata_run_report_free(run);
    dc_check(d, rc == STRATA_OK, "describe.types",
             "the core creates its history tables in the types describe() gives, and applies "
             "two migrations%s%s",
             rc ? ": " : "", rc ? err.message : "");
    rc = status_counts(s, &applied, &pending, &err);
    dc_check(d, rc == STRATA_OK && applied == 2 && pending == 0, "query",
             "the history reads back: 2 applied, 0 pending (%zu, %zu)", applied, pending);
    strata_run_options ro = {.size = sizeof(ro), .step = 2};
    run = NULL;
    rc = strata_down(s, &ro, &run, &err);
    strata_run_report_free(run);
    if (rc == STRATA_OK)
        rc = status_counts(s, &applied, &pending, &err);
    dc_check(d, rc == STRATA_OK && applied == 0 && pending == 2, "exec",
             "both migrations roll back and the history says so%s%s", rc ? ": " : "",
             rc ? err.message : "");
    strata_close(s);
    remove_migrations(dir);
}

/* Runs the CREATE TABLE of an older layout for id, through the session. */
static int
create_old(strata *s, strata_table_id id, int version, strata_error *err)
{
    char *ddl = strata_tables_ddl_version(s, id, version);
    int rc = strata_session_exec(s, ddl, err);
    free(ddl);
    return rc;
}

/* Creates schema version 1 tables stamped 1, as a strata of that layout left them. */
static int
make_v1_tables(strata *s, strata_error *err)
{
    int rc = create_old(s, STRATA_TABLE_MIGRATIONS, 1, err);
    if (rc == STRATA_OK)
        rc = create_old(s, STRATA_TABLE_EVENTS, 1, err);
    if (rc == STRATA_OK)
        rc = create_old(s, STRATA_TABLE_META, 1, err);
    char *sql = strata_xasprintf("INSERT INTO %s (meta_key, meta_value) VALUES "
                                 "('schema_version', '1')",
                                 s->names.meta);
    if (rc == STRATA_OK)
        rc = strata_session_exec(s, sql, err);
    free(sql);
    return rc;
}

static int
no_rows(void *ctx, int ncols, const char *const *values)
{
    (void)ctx, (void)ncols, (void)values;
    return 0;
}

/* Whether the migrations table has the script column (schema version 2). */
static int
has_script_column(strata *s)
{
    char *sql = strata_xasprintf("SELECT script FROM %s WHERE 1 = 0", s->names.migrations);
    strata_error err = STRATA_ERROR_INIT;
    int rc = strata_session_query(s, sql, no_rows, NULL, &err);
    free(sql);
    return rc == STRATA_OK;
}

void
dc_check_upgrade(dc *d)
{
    char *dir = write_migrations(d);
    strata *s = dir ? open_session(d, dir, "old", 5000, 0) : NULL;
    strata_error err = STRATA_ERROR_INIT;
    if (s == NULL || make_v1_tables(s, &err) != STRATA_OK) {
        if (s != NULL)
            dc_fail(d, "describe.types", "cannot create history tables of schema version 1: %s",
                    err.message);
        strata_close(s);
        remove_migrations(dir);
        return;
    }
    size_t applied = 9, pending = 0;
    int rc = status_counts(s, &applied, &pending, &err);
    dc_check(d, rc == STRATA_OK && applied == 0 && !has_script_column(s), "query",
             "a read-only command reads version-1 tables without upgrading them%s%s",
             rc ? ": " : "", rc ? err.message : "");
    strata_run_report *run = NULL;
    rc = strata_up(s, NULL, &run, &err);
    strata_run_report_free(run);
    dc_check(d, rc == STRATA_OK && has_script_column(s), "exec",
             "up upgrades them in place (ALTER TABLE ... ADD COLUMN) and applies%s%s",
             rc ? ": " : "", rc ? err.message : "");
    strata_close(s);
    remove_migrations(dir);
}

/* The pid of a process that has ended. */
static long
dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return (long)pid;
}

/* The core's table lock, for a driver without lock(): two sessions, and a stale holder. */
static void
check_table_lock(dc *d, strata *a, strata *b)
{
    strata_error err = STRATA_ERROR_INIT;
    int ra = strata_session_lock(a, &err);
    dc_check(d, ra == STRATA_OK, "lock (core table lock)", "a session takes the free lock%s%s",
             ra ? ": " : "", ra ? err.message : "");
    int rb = strata_session_lock(b, &err);
    dc_check(d, rb == STRATA_LOCK_TIMEOUT && strstr(err.message, "held by") != NULL,
             "lock (core table lock)", "another session is refused, naming the holder (%s)",
             dc_status_name(rb));
    strata_session_unlock(a);
    rb = strata_session_lock(b, &err);
    dc_check(d, rb == STRATA_OK, "lock (core table lock)", "released, it is free for the other");
    strata_session_unlock(b);
    /* a holder on this host whose process is gone is taken over */
    char host[256] = "unknown";
    gethostname(host, sizeof(host));
    host[sizeof(host) - 1] = '\0';
    strata_buf sql = {0};
    char now[32];
    strata_utc_now(now, sizeof(now));
    strata_buf_printf(&sql, "INSERT INTO %s (name, holder, host, pid, since, beat) VALUES (",
                      a->names.lock);
    strata_session_literal(a, &sql, a->lock_name);
    strata_buf_puts(&sql, ", 'gone@here', ");
    strata_session_literal(a, &sql, host);
    strata_buf_printf(&sql, ", %ld, ", dead_pid());
    strata_session_literal(a, &sql, now);
    strata_buf_puts(&sql, ", ");
    strata_session_literal(a, &sql, now);
    strata_buf_puts(&sql, ")");
    int rc = strata_session_exec(a, sql.data, &err);
    strata_buf_free(&sql);
    rb = rc == STRATA_OK ? strata_session_lock(b, &err) : rc;
    dc_check(d, rb == STRATA_OK, "lock (core table lock)",
             "a holder whose process is gone is taken over%s%s", rb ? ": " : "",
             rb ? err.message : "");
    strata_session_unlock(b);
}

void
dc_check_session_lock(dc *d)
{
    strata *a = open_session(d, ".", "lk", 0, 0);
    strata *b = a ? open_session(d, ".", "lk", 0, 0) : NULL;
    if (a != NULL && b != NULL && !STRATA_DRIVER_HAS(d->drv, lock)) {
        check_table_lock(d, a, b);
    } else if (a != NULL && b != NULL) {
        strata_error err = STRATA_ERROR_INIT;
        int ra = strata_session_lock(a, &err);
        int rb = strata_session_lock(b, &err);
        dc_check(d, ra == STRATA_OK && rb == STRATA_LOCK_TIMEOUT, "lock",
                 "through the core, a second session is refused the migration lock");
        strata_session_unlock(a);
    }
    strata_close(b);
    strata_close(a);
}

/* ------------------------------------------------------------------ cleanup */

void
dc_cleanup(dc *d)
{
    static const char *const tables[] = {
        "t",         "q",         "ddl",     "m",          "hist",     "hist_events",
        "hist_meta", "hist_lock", "old",     "old_events", "old_meta", "old_lock",
        "lk",        "lk_events", "lk_meta", "lk_lock",    "snap",
    };
    strata_error err = STRATA_ERROR_INIT;
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        char *name = strata_xasprintf("%s%s", d->prefix, tables[i]);
        char *q = dc_ident(d, name);
        char *sql = strata_xasprintf("DROP TABLE %s", q);
        char v[8];
        char *probe = strata_xasprintf("SELECT 1 FROM %s WHERE 1 = 0", q);
        if (dc_value(d, d->conn, probe, v, sizeof(v), &err) == STRATA_OK)
            dc_exec(d, sql, &err);
        free(probe);
        free(sql);
        free(q);
        free(name);
    }
    dc_ok(d, "exec", "dropped every table the checks created");
}
