/*
 * A test-only plugin the loader must refuse: its size (16) is smaller than the
 * version-1 struct. Otherwise it looks valid.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>

#include <strata/driver.h>

static const char *const stub_schemes[] = {"small", NULL};

static size_t
stub_text(const char *in, char *out, size_t size)
{
    int n = snprintf(out, size, "%s", in ? in : "");

    return n < 0 ? 0 : (size_t)n;
}

static size_t
stub_history_ddl(const strata_history_names *names, char *out, size_t size)
{
    (void)names;
    return stub_text("", out, size);
}

static int
stub_connect(const strata_url *url, const strata_connect_options *opts, strata_conn **out,
             strata_error *err)
{
    (void)url;
    (void)opts;
    (void)err;
    *out = NULL;
    return STRATA_NOT_SUPPORTED;
}

static void
stub_close(strata_conn *conn)
{
    (void)conn;
}

static int
stub_exec(strata_conn *conn, const char *sql, size_t len, strata_error *err)
{
    (void)conn;
    (void)sql;
    (void)len;
    (void)err;
    return STRATA_NOT_SUPPORTED;
}

static int
stub_query(strata_conn *conn, const char *sql, strata_row_fn fn, void *ctx, strata_error *err)
{
    (void)conn;
    (void)sql;
    (void)fn;
    (void)ctx;
    (void)err;
    return STRATA_NOT_SUPPORTED;
}

/* begin, commit and rollback */
static int
stub_tx(strata_conn *conn, strata_error *err)
{
    (void)conn;
    (void)err;
    return STRATA_NOT_SUPPORTED;
}

static int
stub_lock(strata_conn *conn, const char *name, long timeout_ms, strata_error *err)
{
    (void)conn;
    (void)name;
    (void)timeout_ms;
    (void)err;
    return STRATA_NOT_SUPPORTED;
}

static int
stub_unlock(strata_conn *conn, const char *name, strata_error *err)
{
    (void)conn;
    (void)name;
    (void)err;
    return STRATA_NOT_SUPPORTED;
}

static size_t
stub_server_version(strata_conn *conn, char *out, size_t size)
{
    (void)conn;
    return stub_text("stub", out, size);
}

static const strata_driver stub_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = 16,
    .name = "small",
    .version = "0.0.0",
    .schemes = stub_schemes,
    .dialect = "small",
    .caps = 0,
    .lexer_rules = 0,
    .quote_ident = stub_text,
    .quote_literal = stub_text,
    .history_ddl = stub_history_ddl,
    .connect = stub_connect,
    .close = stub_close,
    .exec = stub_exec,
    .query = stub_query,
    .begin = stub_tx,
    .commit = stub_tx,
    .rollback = stub_tx,
    .lock = stub_lock,
    .unlock = stub_unlock,
    .server_version = stub_server_version,
};

STRATA_DRIVER_EXPORT const strata_driver *strata_driver_entry(const strata_host *host);

STRATA_DRIVER_EXPORT const strata_driver *
strata_driver_entry(const strata_host *host)
{
    (void)host;
    return &stub_driver;
}
