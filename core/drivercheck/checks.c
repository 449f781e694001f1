/*
 * The checks of each slot on its own, through the driver's vtable (drivercheck.h).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivercheck.h"
#include "lexer.h"
#include "tables.h"

#define DC_LOCK_WAIT_MS 300

/* ------------------------------------------------------------------ helpers */

int
dc_exec(dc *d, const char *sql, strata_error *err)
{
    return d->drv->exec(d->conn, sql, strlen(sql), err);
}

/* A strata_row_fn keeping the first value of the first row. */
typedef struct first_value {
    char *out;
    size_t size;
    int rows;
    int null;
} first_value;

static int
keep_first(void *ctx, int ncols, const char *const *values)
{
    first_value *f = ctx;
    if (f->rows++ == 0 && ncols > 0) {
        f->null = values[0] == NULL;
        snprintf(f->out, f->size, "%s", values[0] != NULL ? values[0] : "");
    }
    return 0;
}

int
dc_value(dc *d, strata_conn *conn, const char *sql, char *out, size_t size, strata_error *err)
{
    first_value f = {out, size, 0, 0};
    out[0] = '\0';
    return d->drv->query(conn, sql, keep_first, &f, err);
}

/* Quotes through a snprintf-convention slot into a new string, NULL when it cannot. */
static char *
quoted(size_t (*quote)(strata_conn *, const char *, char *, size_t), strata_conn *conn,
       const char *value)
{
    size_t n = quote(conn, value, NULL, 0);
    if (n == (size_t)-1)
        return NULL;
    char *out = strata_xmalloc(n + 1);
    quote(conn, value, out, n + 1);
    return out;
}

char *
dc_ident(dc *d, const char *name)
{
    return quoted(d->drv->quote_ident, d->conn, name);
}

char *
dc_literal(dc *d, strata_conn *conn, const char *value)
{
    return quoted(d->drv->quote_literal, conn, value);
}

void
dc_type(const dc *d, enum strata_type type, int n, char *out, size_t size)
{
    strata_tables_type(&d->info, type, n, out, size);
}

static int
describe(dc *d, strata_conn *conn, strata_describe *info, strata_error *err)
{
    memset(info, 0, sizeof(*info));
    info->size = sizeof(*info);
    return d->drv->describe(conn, info, err);
}

strata_conn *
dc_connect(dc *d, const char *slot)
{
    strata_connect_options co = {.size = sizeof(co), .application = "strata-driver-check"};
    strata_conn *conn = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_describe info;
    if (d->drv->connect(d->url, &co, &conn, &err) != STRATA_OK) {
        dc_fail(d, slot, "a second connection fails: %s", err.message);
        return NULL;
    }
    if (describe(d, conn, &info, &err) != STRATA_OK) {
        dc_fail(d, "describe", "describe() of a second connection fails: %s", err.message);
        d->drv->close(conn);
        return NULL;
    }
    return conn;
}

/* The name of a table this run owns: prefix + name, quoted. The caller frees it. */
static char *
table(dc *d, const char *name)
{
    char *full = strata_xasprintf("%s%s", d->prefix, name);
    char *q = dc_ident(d, full);
    free(full);
    return q;
}

/* ------------------------------------------------------------------ identity */

static int
lower_word(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

void
dc_check_identity(dc *d)
{
    const strata_driver *drv = d->drv;
    int schemes_ok = drv->schemes[0] != NULL;
    for (const char *const *s = drv->schemes; *s != NULL; s++)
        schemes_ok &= lower_word(*s);
    dc_check(d, schemes_ok, "schemes", "every scheme is lower-case letters, digits and _");
    dc_check(d, drv->version != NULL && *drv->version != '\0', "version",
             "the driver has a version (\"%s\")", drv->version ? drv->version : "");
    dc_check(d, drv->dialect != NULL && *drv->dialect != '\0', "dialect",
             "a default dialect is declared (\"%s\")", drv->dialect ? drv->dialect : "");
    int env_ok = 1;
    for (const char *p = drv->password_env; p != NULL && *p; p++)
        env_ok &= isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_';
    dc_check(d, env_ok && (drv->password_env == NULL || *drv->password_env != '\0'), "password_env",
             "names an environment variable or is NULL");
}

/* ------------------------------------------------------------------ connecting */

/* A URL of the driver's shape that cannot reach a database: port 1 / a missing file. */
static void
check_connect_error(dc *d)
{
    strata_connect_options co = {.size = sizeof(co), .application = "strata-driver-check"};
    strata_error err = STRATA_ERROR_INIT;
    strata_conn *conn = NULL;
    strata_url bad = *d->url;
    char *dir = NULL, *path = NULL;
    if (d->drv->url_shape == STRATA_URL_OPAQUE) {
        dc_note(d, "connect",
                "an opaque URL has no generic wrong form: connect errors not "
                "checked");
        return;
    }
    if (d->drv->url_shape == STRATA_URL_SERVER) {
        bad.host = "127.0.0.1";
        bad.port = 1;
    } else {
        char tmpl[] = "/tmp/strata-dc-XXXXXX";
        dir = mkdtemp(tmpl) != NULL ? strata_xstrdup(tmpl) : NULL;
        path = strata_xasprintf("%s/missing.db", dir ? dir : "/nonexistent");
        bad.database = path;
        co.must_exist = 1;
    }
    int rc = d->drv->connect(&bad, &co, &conn, &err);
    struct stat st;
    int created = path != NULL && stat(path, &st) == 0;
    dc_check(d, rc != STRATA_OK && conn == NULL && err.message[0] != '\0' && !created, "connect",
             "%s fails with a message and leaves *out NULL%s%s%s",
             path ? "must_exist on a missing file" : "port 1", path ? ", creating nothing" : "",
             d->verbose ? ": " : "", d->verbose ? err.message : "");
    if (rc == STRATA_OK)
        d->drv->close(conn);
    if (path != NULL)
        unlink(path);
    if (dir != NULL)
        rmdir(dir);
    free(path);
    free(dir);
}

/* A file of garbage bytes is an error, never a missing table (file databases only). */
static void
check_corrupt_file(dc *d)
{
    if (d->drv->url_shape != STRATA_URL_FILE)
        return;
    char tmpl[] = "/tmp/strata-dc-XXXXXX";
    if (mkdtemp(tmpl) == NULL)
        return;
    char *path = strata_xasprintf("%s/garbage.db", tmpl);
    FILE *f = fopen(path, "wb");
    for (int i = 0; f != NULL && i < 4096; i++)
        fputc((i * 7919) & 0xff, f);
    if (f != NULL)
        fclose(f);
    strata_url bad = *d->url;
    bad.database = path;
    strata_connect_options co = {.size = sizeof(co), .must_exist = 1};
    strata_conn *conn = NULL;
    strata_error err = STRATA_ERROR_INIT;
    char v[64];
    int rc = d->drv->connect(&bad, &co, &conn, &err);
    if (rc == STRATA_OK)
        rc = dc_value(d, conn, "SELECT x FROM no_such_table", v, sizeof(v), &err);
    dc_check(d, rc != STRATA_OK && rc != STRATA_NOT_FOUND, "query",
             "a file that is no database is an error (%s), never \"not found\"",
             dc_status_name(rc));
    if (conn != NULL)
        d->drv->close(conn);
    unlink(path);
    rmdir(tmpl);
    free(path);
}

void
dc_check_connect(dc *d)
{
    strata_connect_options co = {.size = sizeof(co), .application = "strata-driver-check"};
    strata_error err = STRATA_ERROR_INIT;
    check_connect_error(d);
    check_corrupt_file(d);
    d->drv->close(NULL);
    dc_ok(d, "close", "close(NULL) is a no-op");
    if (d->drv->connect(d->url, &co, &d->conn, &err) != STRATA_OK || d->conn == NULL) {
        dc_fail(d, "connect", "cannot connect to %s: %s", d->url->redacted, err.message);
        d->conn = NULL;
        return;
    }
    dc_ok(d, "connect", "connects to %s", d->url->redacted);
    if (describe(d, d->conn, &d->info, &err) != STRATA_OK) {
        dc_fail(d, "describe", "describe() fails: %s", err.message);
        d->drv->close(d->conn);
        d->conn = NULL;
        return;
    }
    dc_check(d, d->info.dialect != NULL && lower_word(d->info.dialect), "describe",
             "names the connection's dialect (\"%s\")", d->info.dialect ? d->info.dialect : "");
    dc_check(d, d->info.home_schema != NULL, "describe",
             "gives home_schema (\"%s\"; \"\" when names need no qualifying)",
             d->info.home_schema ? d->info.home_schema : "(NULL)");
    char small[4], version[256];
    size_t n = d->drv->server_version(d->conn, small, sizeof(small));
    size_t m = d->drv->server_version(d->conn, version, sizeof(version));
    dc_check(d, m > 0 && n == m && strlen(small) == (n < 3 ? n : 3) && strlen(version) == m,
             "server_version", "\"%s\", following the snprintf convention", version);
}

/* ------------------------------------------------------------------ statements */

typedef struct rows {
    int n;
    int ncols;
    int stop_after; /* 0: all */
    char first[3][64];
    int null_seen;
} rows;

static int
collect(void *ctx, int ncols, const char *const *v)
{
    rows *r = ctx;
    if (r->n < 3)
        snprintf(r->first[r->n], sizeof(r->first[0]), "%s", ncols > 1 && v[1] ? v[1] : "");
    r->ncols = ncols;
    r->null_seen |= ncols > 1 && v[1] == NULL;
    r->n++;
    return r->stop_after > 0 && r->n >= r->stop_after;
}

/* What describe() says goes after CREATE TABLE (...), as the core writes its tables. */
static const char *
table_options(const dc *d)
{
    return d->info.table_options != NULL ? d->info.table_options : "";
}

/* Creates <prefix>t (id, v) with three rows, the last one's v NULL. */
static int
make_table(dc *d, strata_error *err)
{
    char id_type[64], text_type[64];
    dc_type(d, STRATA_TYPE_INTEGER, 0, id_type, sizeof(id_type));
    dc_type(d, STRATA_TYPE_TEXT, 0, text_type, sizeof(text_type));
    char *t = table(d, "t");
    char *sql = strata_xasprintf("CREATE TABLE %s (id %s, v %s) %s", t, id_type, text_type,
                                 table_options(d));
    int rc = dc_exec(d, sql, err);
    free(sql);
    for (int i = 1; rc == STRATA_OK && i <= 3; i++) {
        sql = strata_xasprintf("INSERT INTO %s (id, v) VALUES (%d, %s)", t, i,
                               i < 3 ? (i == 1 ? "'one'" : "'two'") : "NULL");
        rc = dc_exec(d, sql, err);
        free(sql);
    }
    free(t);
    return rc;
}

static void
check_not_found(dc *d)
{
    strata_error err = STRATA_ERROR_INIT;
    char v[64];
    char *sql = strata_xasprintf("SELECT id FROM %snever_created", d->prefix);
    int rc = dc_value(d, d->conn, sql, v, sizeof(v), &err);
    free(sql);
    dc_check(d, rc == STRATA_NOT_FOUND, "query", "a missing table gives STRATA_NOT_FOUND (%s%s%s)",
             dc_status_name(rc), rc != STRATA_OK ? ": " : "", rc != STRATA_OK ? err.message : "");
    if (d->info.caps & STRATA_CAP_SCHEMAS) {
        sql = strata_xasprintf("SELECT id FROM %sno_schema.t", d->prefix);
        rc = dc_value(d, d->conn, sql, v, sizeof(v), &err);
        free(sql);
        dc_check(d, rc == STRATA_NOT_FOUND, "query",
                 "a table in a missing schema gives STRATA_NOT_FOUND (%s)", dc_status_name(rc));
    }
    rc = dc_value(d, d->conn, "SELEC 1", v, sizeof(v), &err);
    dc_check(d, rc == STRATA_ERROR && err.message[0] != '\0', "query",
             "a syntax error gives STRATA_ERROR with a message (%s%s%s)", dc_status_name(rc),
             d->verbose ? ": " : "", d->verbose ? err.message : "");
}

static void
check_position(dc *d)
{
    strata_error err = STRATA_ERROR_INIT;
    char *t = table(d, "t");
    char *sql = strata_xasprintf("SELECT id FROM %s WHERE id = = 1", t);
    size_t len = strlen(sql);
    int rc = d->drv->exec(d->conn, sql, len, &err);
    if (rc == STRATA_OK)
        dc_fail(d, "exec", "a statement with a syntax error succeeds: %s", sql);
    else if (err.position == 0)
        dc_note(d, "exec", "no error position reported (allowed: 0 is \"unknown\")");
    else
        dc_check(d, err.position >= 1 && (size_t)err.position <= len + 1, "exec",
                 "the error position %ld lies in the statement (1..%zu)", err.position, len + 1);
    free(sql);
    free(t);
}

void
dc_check_statements(dc *d)
{
    strata_error err = STRATA_ERROR_INIT;
    int rc = make_table(d, &err);
    if (!dc_check(d, rc == STRATA_OK, "exec",
                  "CREATE TABLE and INSERT in the types describe() "
                  "gives%s%s",
                  rc ? ": " : "", rc ? err.message : ""))
        return;
    char *t = table(d, "t");
    char *sql = strata_xasprintf("SELECT id, v FROM %s ORDER BY id", t);
    rows r = {0};
    rc = d->drv->query(d->conn, sql, collect, &r, &err);
    dc_check(d,
             rc == STRATA_OK && r.n == 3 && r.ncols == 2 && strcmp(r.first[0], "one") == 0 &&
                 strcmp(r.first[1], "two") == 0 && r.null_seen,
             "query", "hands every row to the callback, NULL as a NULL pointer");
    rows one = {.stop_after = 1};
    rc = d->drv->query(d->conn, sql, collect, &one, &err);
    dc_check(d, rc == STRATA_OK && one.n == 1, "query",
             "a callback returning non-zero stops the rows, and query() returns STRATA_OK");
    free(sql);
    free(t);
    check_not_found(d);
    check_position(d);
}

/* ------------------------------------------------------------------ transactions */

static long
count_rows(dc *d, const char *name)
{
    strata_error err = STRATA_ERROR_INIT;
    char v[64];
    char *t = table(d, name);
    char *sql = strata_xasprintf("SELECT count(*) FROM %s", t);
    int rc = dc_value(d, d->conn, sql, v, sizeof(v), &err);
    free(sql);
    free(t);
    return rc == STRATA_OK ? strtol(v, NULL, 10) : rc == STRATA_NOT_FOUND ? -2 : -1;
}

static int
insert_row(dc *d, int id, strata_error *err)
{
    char *t = table(d, "t");
    char *sql = strata_xasprintf("INSERT INTO %s (id, v) VALUES (%d, 'tx')", t, id);
    int rc = dc_exec(d, sql, err);
    free(sql);
    free(t);
    return rc;
}

static void
check_ddl_rollback(dc *d)
{
    strata_error err = STRATA_ERROR_INIT;
    char id_type[64];
    dc_type(d, STRATA_TYPE_INTEGER, 0, id_type, sizeof(id_type));
    char *t = table(d, "ddl");
    char *sql = strata_xasprintf("CREATE TABLE %s (id %s)", t, id_type);
    int rc = d->drv->begin(d->conn, &err);
    if (rc == STRATA_OK)
        rc = dc_exec(d, sql, &err);
    d->drv->rollback(d->conn, &err);
    long after = count_rows(d, "ddl");
    int claimed = (d->info.caps & STRATA_CAP_TRANSACTIONAL_DDL) != 0;
    if (claimed)
        dc_check(d, rc == STRATA_OK && after == -2, "caps: transactional-ddl",
                 "a CREATE TABLE rolled back is gone, as TRANSACTIONAL_DDL promises");
    else if (after == -2)
        dc_note(d, "caps: transactional-ddl",
                "a CREATE TABLE rolled back is gone, but TRANSACTIONAL_DDL is not claimed");
    else
        dc_ok(d, "caps: transactional-ddl",
              "not claimed, and DDL in a transaction stays (the core runs such migrations "
              "under the dirty protocol)");
    free(sql);
    free(t);
}

/*
 * STRATA_CAP_AUTOCOMMIT_BATCH: statements sent in one exec() outside a transaction run one
 * by one and stop at the first error (what lets the core send a statement with its
 * checkpoint), and a BEGIN ... COMMIT in the text makes one transaction.
 */
static void
check_autocommit_batch(dc *d)
{
    if (!(d->info.caps & STRATA_CAP_AUTOCOMMIT_BATCH)) {
        dc_ok(d, "caps: autocommit-batch", "not claimed");
        return;
    }
    strata_error err = STRATA_ERROR_INIT;
    char *t = table(d, "t"), *missing = table(d, "no_such_table");
    long before = count_rows(d, "t");
    char *sql = strata_xasprintf("INSERT INTO %s (id, v) VALUES (20, 'batch');\n"
                                 "INSERT INTO %s (id) VALUES (1);\n"
                                 "INSERT INTO %s (id, v) VALUES (21, 'batch')",
                                 t, missing, t);
    int rc = dc_exec(d, sql, &err);
    dc_check(d, rc != STRATA_OK && count_rows(d, "t") == before + 1, "caps: autocommit-batch",
             "of three statements sent at once, the first is committed, the second fails and "
             "the third never runs");
    free(sql);
    sql = strata_xasprintf("BEGIN;\nINSERT INTO %s (id, v) VALUES (22, 'batch');\n"
                           "INSERT INTO %s (id, v) VALUES (23, 'batch');\nCOMMIT",
                           t, t);
    rc = dc_exec(d, sql, &err);
    dc_check(d, rc == STRATA_OK && count_rows(d, "t") == before + 3, "caps: autocommit-batch",
             "BEGIN; two INSERTs; COMMIT sent at once commit both rows");
    free(sql);
    free(missing);
    free(t);
}

void
dc_check_transactions(dc *d)
{
    strata_error err = STRATA_ERROR_INIT;
    long before = count_rows(d, "t");
    int rc = d->drv->begin(d->conn, &err);
    if (rc == STRATA_OK)
        rc = insert_row(d, 10, &err);
    int rb = d->drv->rollback(d->conn, &err);
    dc_check(d, rc == STRATA_OK && rb == STRATA_OK && count_rows(d, "t") == before,
             "begin/rollback", "a row inserted in a rolled-back transaction is gone");
    rc = d->drv->begin(d->conn, &err);
    if (rc == STRATA_OK)
        rc = insert_row(d, 11, &err);
    if (rc == STRATA_OK)
        rc = d->drv->commit(d->conn, &err);
    dc_check(d, rc == STRATA_OK && count_rows(d, "t") == before + 1, "begin/commit",
             "a row inserted in a committed transaction stays");
    rb = d->drv->rollback(d->conn, &err);
    dc_check(d, rb == STRATA_OK, "rollback", "rollback() with no transaction open is harmless");
    check_ddl_rollback(d);
    check_autocommit_batch(d);
}

/* ------------------------------------------------------------------ quoting */

static const char *const hostile_literals[] = {
    "it's",
    "two '' quotes",
    "back\\slash",
    "\\'",
    "ends with \\",
    "new\nline",
    "tab\there",
    "percent %s %n %%",
    "$$ dollar $tag$",
    "?",
    "{fn now()}",
    "caf\xc3\xa9",
    "\xf0\x9f\x90\x98 emoji",
    "",
    "--comment",
    "/* comment */",
    "`back`tick`",
    "\"double\"",
};

/* Inserts value through quote_literal and reads it back; returns 1 when it round-trips. */
static int
round_trip(dc *d, int id, const char *value, char *got, size_t size, strata_error *err)
{
    char *lit = dc_literal(d, d->conn, value);
    if (lit == NULL) {
        snprintf(got, size, "(quote_literal refused it)");
        return 0;
    }
    char *t = table(d, "q");
    char *sql = strata_xasprintf("INSERT INTO %s (id, v) VALUES (%d, %s)", t, id, lit);
    int rc = dc_exec(d, sql, err);
    free(sql);
    if (rc == STRATA_OK) {
        sql = strata_xasprintf("SELECT v FROM %s WHERE id = %d", t, id);
        rc = dc_value(d, d->conn, sql, got, size, err);
        free(sql);
    } else {
        snprintf(got, size, "(INSERT failed: %.400s)", err->message);
    }
    free(t);
    free(lit);
    return rc == STRATA_OK && strcmp(got, value) == 0;
}

static void
check_literals(dc *d)
{
    strata_error err = STRATA_ERROR_INIT;
    char id_type[64], text_type[64], got[512];
    dc_type(d, STRATA_TYPE_INTEGER, 0, id_type, sizeof(id_type));
    dc_type(d, STRATA_TYPE_TEXT, 0, text_type, sizeof(text_type));
    char *t = table(d, "q");
    char *sql = strata_xasprintf("CREATE TABLE %s (id %s, v %s) %s", t, id_type, text_type,
                                 table_options(d));
    int rc = dc_exec(d, sql, &err);
    free(sql);
    free(t);
    if (!dc_check(d, rc == STRATA_OK, "exec", "creates the quoting table"))
        return;
    size_t n = sizeof(hostile_literals) / sizeof(hostile_literals[0]), bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (!round_trip(d, (int)i, hostile_literals[i], got, sizeof(got), &err)) {
            char shown[128];
            strata_text_excerpt(shown, sizeof(shown), hostile_literals[i]);
            dc_fail(d, "quote_literal", "'%s' does not read back as written: got '%s'", shown, got);
            bad++;
        }
    }
    if (bad == 0)
        dc_ok(d, "quote_literal",
              "%zu hostile values (quotes, backslashes, newlines, emoji, ...) "
              "read back as written",
              n);
    /* invalid UTF-8: refused with (size_t)-1, or stored and read back: never mangled */
    const char *invalid = "bad \xff\xfe bytes";
    char *lit = dc_literal(d, d->conn, invalid);
    if (lit == NULL)
        dc_ok(d, "quote_literal", "invalid UTF-8 is refused with (size_t)-1");
    else if (round_trip(d, 1000, invalid, got, sizeof(got), &err))
        dc_ok(d, "quote_literal", "invalid UTF-8 is quoted and reads back as written");
    else
        dc_note(d, "quote_literal",
                "invalid UTF-8 is quoted but the database refuses or changes "
                "it (allowed: it is no text in the database's character "
                "set)");
    free(lit);
}

/* The snprintf convention: the full length always, NUL-terminated truncation. */
static void
check_convention(dc *d, const char *slot,
                 size_t (*quote)(strata_conn *, const char *, char *, size_t))
{
    const char *value = "a 'quoted' value";
    char small[5], big[256];
    size_t n0 = quote(d->conn, value, NULL, 0);
    size_t n1 = quote(d->conn, value, small, sizeof(small));
    size_t n2 = quote(d->conn, value, big, sizeof(big));
    dc_check(d,
             n0 == n1 && n1 == n2 && strlen(big) == n2 && strlen(small) == sizeof(small) - 1 &&
                 strncmp(small, big, sizeof(small) - 1) == 0,
             slot, "follows the snprintf convention (size 0, too small, enough)");
}

static void
check_identifiers(dc *d)
{
    static const char *const names[] = {"we\"ird", "sp ace", "back`tick", "caf\xc3\xa9"};
    strata_error err = STRATA_ERROR_INIT;
    char id_type[64], v[64];
    dc_type(d, STRATA_TYPE_INTEGER, 0, id_type, sizeof(id_type));
    int bad = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *full = strata_xasprintf("%sid%zu %s", d->prefix, i, names[i]);
        char *t = dc_ident(d, full);
        char *col = dc_ident(d, names[i]);
        if (t == NULL || col == NULL) {
            dc_fail(d, "quote_ident", "refuses the valid name '%s'", names[i]);
            bad++;
        } else {
            char *sql = strata_xasprintf("CREATE TABLE %s (%s %s)", t, col, id_type);
            int rc = dc_exec(d, sql, &err);
            free(sql);
            sql = strata_xasprintf("INSERT INTO %s (%s) VALUES (7)", t, col);
            if (rc == STRATA_OK)
                rc = dc_exec(d, sql, &err);
            free(sql);
            sql = strata_xasprintf("SELECT %s FROM %s", col, t);
            if (rc == STRATA_OK)
                rc = dc_value(d, d->conn, sql, v, sizeof(v), &err);
            free(sql);
            if (rc != STRATA_OK || strcmp(v, "7") != 0) {
                dc_fail(d, "quote_ident", "a table and column named '%s' do not work: %s", names[i],
                        err.message);
                bad++;
            }
            sql = strata_xasprintf("DROP TABLE %s", t);
            dc_exec(d, sql, &err);
            free(sql);
        }
        free(t);
        free(col);
        free(full);
    }
    if (bad == 0)
        dc_ok(d, "quote_ident",
              "names with quotes, blanks, backticks and accents work as "
              "tables and columns");
}

void
dc_check_quoting(dc *d)
{
    check_convention(d, "quote_literal", d->drv->quote_literal);
    check_convention(d, "quote_ident", d->drv->quote_ident);
    check_literals(d);
    check_identifiers(d);
}

/* ------------------------------------------------------------------ dialect */

/* A statement a no-transaction pattern describes: "*" as a name, "..." as nothing. */
static char *
statement_for(const char *pattern)
{
    strata_buf b = {0};
    const char *p = pattern;
    while (*p != '\0') {
        size_t n = strcspn(p, " ");
        if (n == 1 && *p == '*')
            strata_buf_puts(&b, "x ");
        else if (!(n == 3 && strncmp(p, "...", 3) == 0) && !(n == 1 && *p == '$'))
            strata_buf_printf(&b, "%.*s ", (int)n, p);
        p += n + strspn(p + n, " ");
    }
    strata_buf_puts(&b, ";");
    return strata_buf_take(&b);
}

/* The flags the connection's lexer gives the first statement of sql, or -1. */
static int
first_flags(dc *d, const char *sql)
{
    strata_memory r = {sql, strlen(sql)};
    strata_lexer *lx = NULL;
    strata_stmt st;
    strata_lex_error le;
    int flags = -1;
    if (strata_lexer_for_connection(&d->info, strata_memory_read, &r, 1, &lx) != STRATA_OK)
        return -1;
    if (strata_lexer_next(lx, &st, &le) > 0)
        flags = (int)st.flags;
    strata_lexer_free(lx);
    return flags;
}

/* Bits of lexer_rules that follow a server setting, so a connection may differ from the
 * offline description in them. */
#define SETTING_RULES (STRATA_LEX_STRINGS_ESCAPE | STRATA_LEX_BACKSLASH_ESCAPES)

static int
same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* describe_offline() must say what a connection says, but for setting-dependent rules. */
static void
check_describe_offline(dc *d)
{
    if (!STRATA_DRIVER_HAS(d->drv, describe_offline)) {
        dc_ok(d, "describe_offline", "not provided (the dialect is known only by connecting)");
        return;
    }
    strata_describe off;
    memset(&off, 0, sizeof(off));
    off.size = sizeof(off);
    strata_error err = STRATA_ERROR_INIT;
    int rc = d->drv->describe_offline(&off, &err);
    if (rc == STRATA_NOT_SUPPORTED) {
        dc_ok(d, "describe_offline", "declines: %s", err.message);
        return;
    }
    int same_patterns = 1;
    const char *const *p = off.no_transaction_patterns, *const *q = d->info.no_transaction_patterns;
    for (; p != NULL && q != NULL && *p != NULL && *q != NULL; p++, q++)
        same_patterns &= strcmp(*p, *q) == 0;
    same_patterns &= (p == NULL || *p == NULL) && (q == NULL || *q == NULL);
    dc_check(d,
             rc == STRATA_OK && same_text(off.dialect, d->info.dialect) &&
                 off.caps == d->info.caps &&
                 (off.lexer_rules & ~SETTING_RULES) == (d->info.lexer_rules & ~SETTING_RULES) &&
                 same_patterns && off.statement_complete == d->info.statement_complete,
             "describe_offline",
             "says what describe() of a connection says: dialect, caps, lexer rules (but those "
             "following a server setting), no-transaction patterns, statement_complete");
}

void
dc_check_dialect(dc *d)
{
    check_describe_offline(d);
    int bad = 0, n = 0;
    for (const char *const *p = d->info.no_transaction_patterns; p != NULL && *p != NULL; p++) {
        char *sql = statement_for(*p);
        int flags = first_flags(d, sql);
        if (flags < 0 || !(flags & STRATA_STMT_NO_TRANSACTION)) {
            dc_fail(d, "describe", "the no-transaction pattern \"%s\" does not match \"%s\"", *p,
                    sql);
            bad++;
        }
        n++;
        free(sql);
    }
    if (bad == 0 && n > 0)
        dc_ok(d, "describe", "each of the %d no-transaction patterns matches a statement", n);
    if (d->info.statement_complete != NULL)
        dc_check(d,
                 d->info.statement_complete("SELECT 1;") == 1 &&
                     d->info.statement_complete("SELECT 'a;") == 0,
                 "describe", "statement_complete tells a complete statement from a cut one");
    if (STRATA_DRIVER_HAS(d->drv, session_reset_sql)) {
        char buf[512];
        size_t n0 = d->drv->session_reset_sql(d->conn, NULL, 0);
        size_t n1 = d->drv->session_reset_sql(d->conn, buf, sizeof(buf));
        dc_check(d, n0 == n1 && (n1 >= sizeof(buf) || strlen(buf) == n1), "session_reset_sql",
                 "follows the snprintf convention (\"%.60s\")", n1 < sizeof(buf) ? buf : "...");
    }
    if (STRATA_DRIVER_HAS(d->drv, utc_timestamps)) {
        strata_error err = STRATA_ERROR_INIT;
        int on = d->drv->utc_timestamps(d->conn, 1, &err);
        int off = d->drv->utc_timestamps(d->conn, 0, &err);
        dc_check(d, on == STRATA_OK && off == STRATA_OK, "utc_timestamps", "turns on and off");
    }
}

/* ------------------------------------------------------------------ the driver's lock */

void
dc_check_lock(dc *d)
{
    if (!STRATA_DRIVER_HAS(d->drv, lock) || !STRATA_DRIVER_HAS(d->drv, unlock)) {
        dc_check(d, !STRATA_DRIVER_HAS(d->drv, lock) && !STRATA_DRIVER_HAS(d->drv, unlock),
                 "lock/unlock", "neither is set (the core's table lock is used): checked below");
        return;
    }
    strata_conn *other = dc_connect(d, "lock");
    if (other == NULL)
        return;
    strata_error err = STRATA_ERROR_INIT;
    char name[64];
    snprintf(name, sizeof(name), "%slock", d->prefix);
    int a = d->drv->lock(d->conn, name, 0, &err);
    dc_check(d, a == STRATA_OK, "lock", "a free lock is taken at once");
    int b = d->drv->lock(other, name, 0, &err);
    dc_check(d, b == STRATA_LOCK_TIMEOUT && err.message[0] != '\0', "lock",
             "another connection trying once gets STRATA_LOCK_TIMEOUT with a message (%s)%s%s",
             dc_status_name(b), d->verbose ? ": " : "", d->verbose ? err.message : "");
    long long t0 = strata_now_ms();
    b = d->drv->lock(other, name, DC_LOCK_WAIT_MS, &err);
    long long waited = strata_now_ms() - t0;
    dc_check(d, b == STRATA_LOCK_TIMEOUT && waited >= DC_LOCK_WAIT_MS - 20 && waited < 10000,
             "lock", "waits its timeout (%d ms) before giving up (waited %lld ms)", DC_LOCK_WAIT_MS,
             waited);
    int u = d->drv->unlock(d->conn, name, &err);
    b = d->drv->lock(other, name, 0, &err);
    dc_check(d, u == STRATA_OK && b == STRATA_OK, "unlock",
             "an unlocked lock is free for "
             "another connection");
    d->drv->close(other); /* closing frees the lock too */
    a = d->drv->lock(d->conn, name, 2000, &err);
    dc_check(d, a == STRATA_OK, "close", "closing a connection frees the lock it held");
    d->drv->unlock(d->conn, name, &err);
}
