/*
 * A test-only plugin built for driver ABI 1, as every driver was before ABI 2: its struct
 * has the version-1 layout (copied below from the frozen header of ABI 1) and abi_version 1.
 * The loader must refuse it with a message saying ABI 1 is no longer loaded and that the
 * plugin must be rebuilt; it must read nothing of it but abi_version, whose place both
 * layouts share.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stddef.h>
#include <stdint.h>

#include <strata/driver.h>

typedef void (*v1_fn)(void);

/* struct strata_driver of ABI 1, member for member. */
struct v1_driver {
    uint32_t abi_version;
    uint32_t size;
    const char *name;
    const char *version;
    const char *const *schemes;
    const char *dialect;
    const char *const *dialect_aliases;
    const char *client_version;
    uint32_t caps;
    uint32_t lexer_rules;
    const char *const *no_transaction_patterns;
    v1_fn quote_ident;
    v1_fn quote_literal;
    v1_fn history_ddl;
    v1_fn connect;
    v1_fn close;
    v1_fn exec;
    v1_fn query;
    v1_fn begin;
    v1_fn commit;
    v1_fn rollback;
    v1_fn lock;
    v1_fn unlock;
    v1_fn server_version;
    v1_fn copy_in;
    v1_fn snapshot;
    v1_fn scratch_create;
    v1_fn scratch_drop;
};

/* Every slot of the version-1 driver; the loader must never call one. */
static void
v1_slot(void)
{
}

static const char *const v1_schemes[] = {"abi1", NULL};

static const struct v1_driver v1_driver = {
    .abi_version = 1,
    .size = sizeof(struct v1_driver),
    .name = "abi1",
    .version = "1.0.0",
    .schemes = v1_schemes,
    .dialect = "abi1",
    .quote_ident = v1_slot,
    .quote_literal = v1_slot,
    .history_ddl = v1_slot,
    .connect = v1_slot,
    .close = v1_slot,
    .exec = v1_slot,
    .query = v1_slot,
    .begin = v1_slot,
    .commit = v1_slot,
    .rollback = v1_slot,
    .lock = v1_slot,
    .unlock = v1_slot,
    .server_version = v1_slot,
};

/* The ABI 1 entry had this very signature: the host in, the driver out. */
STRATA_DRIVER_EXPORT const strata_driver *
strata_driver_entry(const strata_host *host)
{
    (void)host;
    return (const strata_driver *)(const void *)&v1_driver;
}
