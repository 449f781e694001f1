/*
 * What the deliberately broken test plugins share, so that each plugin file shows only
 * what gets it refused. A plugin includes this once and writes:
 *
 *     static const strata_driver stub_driver = {
 *         .abi_version = STRATA_DRIVER_ABI,
 *         .size = sizeof(strata_driver),
 *         STUB_IDENTITY("name"),
 *         STUB_SLOTS(stub_connect, stub_describe),
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

/* in, unquoted, with the driver's size contract (snprintf). */
static inline size_t
stub_text(const char *in, char *out, size_t size)
{
    int n = snprintf(out, size, "%s", in ? in : "");

    return n < 0 ? 0 : (size_t)n;
}

/* quote_ident and quote_literal */
static inline size_t
stub_quote(strata_conn *conn, const char *in, char *out, size_t size)
{
    (void)conn;
    return stub_text(in, out, size);
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
stub_describe(strata_conn *conn, strata_describe *out, strata_error *err)
{
    (void)conn;
    (void)out;
    (void)err;
    return STRATA_NOT_SUPPORTED;
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
 * driver's name, its dialect and its only scheme; stub_shape its url_shape; no capabilities,
 * no password variable. STUB_IDENTITY is that for server URLs.
 */
#define STUB_IDENTITY_SHAPE(stub_name, stub_shape)                                                 \
    .name = (stub_name), .version = "0.0.0", .url_shape = (stub_shape),                            \
    .schemes = (const char *const[]){(stub_name), NULL}, .dialect = (stub_name), .caps = 0,        \
    .password_env = NULL
#define STUB_IDENTITY(stub_name) STUB_IDENTITY_SHAPE(stub_name, STRATA_URL_SERVER)

/*
 * Designated initializers of every required function slot and of lock and unlock: the stubs
 * above, with connect and describe set to stub_connect_fn and stub_describe_fn (the stubs, or
 * NULL for a plugin refused for lacking them).
 */
#define STUB_SLOTS(stub_connect_fn, stub_describe_fn)                                              \
    .connect = (stub_connect_fn), .close = stub_close, .describe = (stub_describe_fn),             \
    .server_version = stub_server_version, .exec = stub_exec, .query = stub_query,                 \
    .begin = stub_tx, .commit = stub_tx, .rollback = stub_tx, .quote_ident = stub_quote,           \
    .quote_literal = stub_quote, .lock = stub_lock, .unlock = stub_unlock

/* Defines the plugin's one exported symbol, returning &stub_drv whatever the host. */
#define STUB_DRIVER_ENTRY(stub_drv)                                                                \
    STRATA_DRIVER_EXPORT const strata_driver *strata_driver_entry(const strata_host *host)         \
    {                                                                                              \
        (void)host;                                                                                \
        return &(stub_drv);                                                                        \
    }

#endif
