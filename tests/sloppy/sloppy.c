/*
 * A deliberately sloppy driver, for testing strata-driver-check: it loads, connects and runs
 * SQL on SQLite, so the happy path works, but it breaks two contracts the way hand-written
 * drivers often do:
 *   - query() reports a missing table as STRATA_ERROR, not STRATA_NOT_FOUND;
 *   - quote_literal() wraps the value in quotes without doubling the quotes inside.
 * tests/cli/test_driver_check.sh expects the kit to fail it, naming those two slots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <strata/driver.h>

struct strata_conn {
    sqlite3 *db;
};

static const strata_host *host;

static int
fail(strata_conn *c, strata_error *err)
{
    return host->db_error(err, STRATA_ERROR, NULL, sqlite3_errcode(c->db), 0, sqlite3_errmsg(c->db),
                          NULL); /* the sloppiness: never NOT_FOUND */
}

static int
sl_connect(const strata_url *url, const strata_connect_options *opts, strata_conn **out,
           strata_error *err)
{
    int flags = SQLITE_OPEN_READWRITE | (opts->must_exist ? 0 : SQLITE_OPEN_CREATE);
    strata_conn *c = calloc(1, sizeof(*c));
    *out = NULL;
    if (c == NULL)
        return STRATA_ERROR_NOMEM;
    if (sqlite3_open_v2(url->database, &c->db, flags, NULL) != SQLITE_OK) {
        fail(c, err);
        sqlite3_close(c->db);
        free(c);
        return STRATA_ERROR;
    }
    *out = c;
    return STRATA_OK;
}

static void
sl_close(strata_conn *c)
{
    if (c == NULL)
        return;
    sqlite3_close(c->db);
    free(c);
}

static int
sl_describe(strata_conn *c, strata_describe *out, strata_error *err)
{
    (void)c, (void)err;
    out->dialect = "sqlite";
    out->caps = STRATA_CAP_TRANSACTIONAL_DDL;
    out->home_schema = "";
    out->types[STRATA_TYPE_SERIAL] = "INTEGER PRIMARY KEY AUTOINCREMENT";
    return STRATA_OK;
}

static size_t
sl_server_version(strata_conn *c, char *out, size_t size)
{
    (void)c;
    int n = snprintf(out, size, "SQLite %s", sqlite3_libversion());
    return n < 0 ? 0 : (size_t)n;
}

static int
sl_exec(strata_conn *c, const char *sql, size_t len, strata_error *err)
{
    (void)len;
    return sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK ? STRATA_OK : fail(c, err);
}

static int
sl_query(strata_conn *c, const char *sql, strata_row_fn fn, void *ctx, strata_error *err)
{
    sqlite3_stmt *st = NULL;
    const char *values[32];
    int step;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(c, err);
    int n = sqlite3_column_count(st) < 32 ? sqlite3_column_count(st) : 32;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++)
            values[i] = (const char *)sqlite3_column_text(st, i);
        if (fn(ctx, n, values) != 0)
            break;
    }
    int rc = step == SQLITE_ROW || step == SQLITE_DONE ? STRATA_OK : fail(c, err);
    sqlite3_finalize(st);
    return rc;
}

static int
sl_begin(strata_conn *c, strata_error *err)
{
    return sl_exec(c, "BEGIN", 5, err);
}

static int
sl_commit(strata_conn *c, strata_error *err)
{
    return sl_exec(c, "COMMIT", 6, err);
}

static int
sl_rollback(strata_conn *c, strata_error *err)
{
    if (sqlite3_get_autocommit(c->db))
        return STRATA_OK;
    return sl_exec(c, "ROLLBACK", 8, err);
}

/* Wraps in q, doubling q inside only when double is set (snprintf convention). */
static size_t
wrap(const char *in, char q, int dbl, char *out, size_t size)
{
    size_t n = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (n + 1 < size)                                                                          \
            out[n] = (ch);                                                                         \
        n++;                                                                                       \
    } while (0)
    PUT(q);
    for (; *in; in++) {
        if (dbl && *in == q)
            PUT(q);
        PUT(*in);
    }
    PUT(q);
#undef PUT
    if (size > 0)
        out[n < size ? n : size - 1] = '\0';
    return n;
}

static size_t
sl_quote_ident(strata_conn *c, const char *in, char *out, size_t size)
{
    (void)c;
    return wrap(in, '"', 1, out, size);
}

static size_t
sl_quote_literal(strata_conn *c, const char *in, char *out, size_t size)
{
    (void)c;
    return wrap(in, '\'', 0, out, size); /* the sloppiness: quotes inside are not doubled */
}

static const char *const schemes[] = {"sloppy", NULL};

static const strata_driver driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_driver),
    .name = "sloppy",
    .version = "0.0.1",
    .url_shape = STRATA_URL_FILE,
    .schemes = schemes,
    .dialect = "sqlite",
    .connect = sl_connect,
    .close = sl_close,
    .describe = sl_describe,
    .server_version = sl_server_version,
    .exec = sl_exec,
    .query = sl_query,
    .begin = sl_begin,
    .commit = sl_commit,
    .rollback = sl_rollback,
    .quote_ident = sl_quote_ident,
    .quote_literal = sl_quote_literal,
};

STRATA_DRIVER_EXPORT const strata_driver *
strata_driver_entry(const strata_host *h)
{
    if (h->abi_version != STRATA_DRIVER_ABI)
        return NULL;
    host = h;
    return &driver;
}
