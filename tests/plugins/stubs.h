/*
 * What the deliberately broken test plugins share, so that each plugin file shows only
 * what gets it refused. A plugin includes this once and writes:
 *
 *     static const strata_driver stub_driver = {
 *         .abi_version = STRATA_DRIVER_ABI,
 *         .size = sizeof(strata_driver),
 *         STUB_IDENTITY("name"),
 *         STUB_SLOTS(stub_connect),
 *     };
 *
 *     STUB_DRIVER_ENTRY(stub_driver)
 *
 * with the one member it breaks, after config.h. Everything here is static but the entry, so a
 * plugin still exports strata_driver_entry alone. The stubs do nothing: the loader never gets as
 * far as connecting.
 */
#ifndef STRATA_TEST_PLUGIN_STUBS_H
#define STRATA_TEST_PLUGIN_STUBS_H

#include <stdio.h>

#include <strata/driver.h>

/*
 * The stubs are static inline only so that a plugin leaving a slot NULL does not warn
 * about the stub it leaves unused; each one is called through the driver's pointer.
 */

/* quote_ident and quote_literal: in, unquoted, with the driver's size contract. */
static inline size_t
stub_text(const char *in, char *out, size_t size)
{
    int n = snprintf(out, size, "%s", in ? in : "");

    return n < 0 ? 0 : (size_t)n;
}

static inline size_t
stub_history_ddl(const strata_history_names *names, char *out, size_t size)
{
    (void)names;
    return stub_text("", out, size);
}

static inline int
stub_connect(const strata_url *url, const strata_connect_options *opts, strata_conn **out,
             strata_error *err)
{
    (void)url;
    (void)opts;
    (void)err;
    *out = NULL;
    return STRATA_NOT_SUPPORTED;
}

static inline void
stub_close(strata_conn *conn)
{
    (void)conn;
}

static inline int
stub_exec(strata_conn *conn, const char *sql, size_t len, strata_error *err)
{
    (void)conn;
    (void)sql;
    (void)len;
    (void)err;
    return STRATA_NOT_SUPPORTED;
}

static inline int
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
static inline int
stub_tx(strata_conn *conn, strata_error *err)
{
    (void)conn;
    (void)err;
    return STRATA_NOT_SUPPORTED;
}

static inline int
stub_lock(strata_conn *conn, const char *name, long timeout_ms, strata_error *err)
{
    (void)conn;
    (void)name;
    (void)timeout_ms;
    (void)err;
    return STRATA_NOT_SUPPORTED;
}

static inline int
stub_unlock(strata_conn *conn, const char *name, strata_error *err)
{
    (void)conn;
    (void)name;
    (void)err;
    return STRATA_NOT_SUPPORTED;
}

static inline size_t
stub_server_version(strata_conn *conn, char *out, size_t size)
{
    (void)conn;
    return stub_text("stub", out, size);
}

/*
 * Designated initializers of the identity members: stub_name (a string literal) is the
 * driver's name, its dialect and its only scheme; no capabilities, no lexer rules.
 */
#define STUB_IDENTITY(stub_name)                                                                   \
    .name = (stub_name), .version = "0.0.0", .schemes = (const char *const[]){(stub_name), NULL},  \
    .dialect = (stub_name), .caps = 0, .lexer_rules = 0

/*
 * Designated initializers of every required function slot: the stubs above, and connect
 * set to stub_connect_fn (stub_connect, or NULL for a plugin refused for lacking it).
 */
#define STUB_SLOTS(stub_connect_fn)                                                                \
    .quote_ident = stub_text, .quote_literal = stub_text, .history_ddl = stub_history_ddl,         \
    .connect = (stub_connect_fn), .close = stub_close, .exec = stub_exec, .query = stub_query,     \
    .begin = stub_tx, .commit = stub_tx, .rollback = stub_tx, .lock = stub_lock,                   \
    .unlock = stub_unlock, .server_version = stub_server_version

/* Defines the plugin's one exported symbol, returning &stub_drv whatever the host. */
#define STUB_DRIVER_ENTRY(stub_drv)                                                                \
    STRATA_DRIVER_EXPORT const strata_driver *strata_driver_entry(const strata_host *host)         \
    {                                                                                              \
        (void)host;                                                                                \
        return &(stub_drv);                                                                        \
    }

#endif
