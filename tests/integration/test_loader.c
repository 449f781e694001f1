/*
 * The plugin loader: it finds the real SQLite driver, refuses each deliberately broken
 * plugin of tests/plugins with a reason naming the file, lists found and refused plugins,
 * and the driver ABI keeps the frozen version-1 layout.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include <strata/driver.h>
#include <strata/strata.h>

#include "abi/driver_v1.h"
#include "loader.h"
#include "testutil.h"

static const char *
plugins_dir(void)
{
    const char *d = getenv("STRATA_TEST_PLUGINS");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    return d;
}

/* Loads tests/plugins/<name>.so and returns the refusal reason (static buffer). */
static const char *
refusal(const char *name)
{
    static char reason[512];
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.so", plugins_dir(), name);
    reason[0] = '\0';
    const strata_driver *d = strata_loader_open_file(path, reason, sizeof(reason));
    CU_ASSERT_PTR_NULL(d);
    return reason;
}

static void
test_refusals(void)
{
    CU_ASSERT_PTR_NOT_NULL(strstr(refusal("noentry"), "no strata_driver_entry symbol"));
    CU_ASSERT_PTR_NOT_NULL(strstr(refusal("badabi"), "built for driver ABI 99"));
    CU_ASSERT_PTR_NOT_NULL(strstr(refusal("small"), "is 16 bytes"));
    CU_ASSERT_PTR_NOT_NULL(strstr(refusal("nullslot"), "'connect' is NULL"));
    CU_ASSERT_PTR_NOT_NULL(strstr(refusal("refuse"), "declined"));
    CU_ASSERT_PTR_NOT_NULL(strstr(refusal("wrongname"), "'someoneelse'"));
    char path[4096];
    snprintf(path, sizeof(path), "%s/nonexistent.so", plugins_dir());
    char reason[512];
    CU_ASSERT_PTR_NULL(strata_loader_open_file(path, reason, sizeof(reason)));
    CU_ASSERT_PTR_NOT_NULL(strstr(reason, "cannot load"));
}

static void
test_load_by_name(void)
{
    const strata_driver *d = NULL;
    strata_error err;
    CU_ASSERT_EQUAL(strata_loader_load("sqlite", NULL, &d, &err), STRATA_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_STRING_EQUAL(d->name, "sqlite");
    CU_ASSERT_STRING_EQUAL(d->dialect, "sqlite");
    CU_ASSERT_EQUAL(d->abi_version, STRATA_DRIVER_ABI);
    /* a refused plugin found by name is reported with the file and the reason */
    CU_ASSERT_EQUAL(strata_loader_load("badabi", plugins_dir(), &d, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(d);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "badabi.so"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "ABI 99"));
    /* names that would escape the driver directories are refused before any lookup */
    CU_ASSERT_EQUAL(strata_loader_load("../sqlite", NULL, &d, &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(strata_loader_load("Sqlite", NULL, &d, &err), STRATA_USAGE);
    /* a missing driver lists every directory searched */
    CU_ASSERT_EQUAL(strata_loader_load("oracle", plugins_dir(), &d, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no driver 'oracle'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, plugins_dir()));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, STRATA_DRIVER_DIR));
}

static void
test_search_order(void)
{
    size_t n;
    char **dirs = strata_loader_dirs("/first", &n);
    CU_ASSERT_FATAL(n >= 3);
    CU_ASSERT_STRING_EQUAL(dirs[0], "/first");
    CU_ASSERT_STRING_EQUAL(dirs[1], getenv("STRATA_DRIVER_PATH"));
    CU_ASSERT_STRING_EQUAL(dirs[n - 1], STRATA_DRIVER_DIR);
    strata_loader_free_dirs(dirs, n);
}

static void
test_listing(void)
{
    strata_driver_list *l = NULL;
    strata_error err;
    CU_ASSERT_EQUAL_FATAL(strata_list_drivers(plugins_dir(), &l, &err), STRATA_OK);
    int refused = 0, sqlite = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (l->items[i].refused != NULL)
            refused++;
        else if (strcmp(l->items[i].name, "sqlite") == 0)
            sqlite = 1;
    }
    CU_ASSERT_EQUAL(refused, 6);
    CU_ASSERT(sqlite);
    CU_ASSERT_STRING_EQUAL(l->searched[0], plugins_dir());
    strata_driver_list_free(l);
}

#define SAME_OFFSET(ours, frozen, member)                                                          \
    CU_ASSERT_EQUAL(offsetof(ours, member), offsetof(frozen, member))

static void
test_abi_v1_layout(void)
{
    SAME_OFFSET(strata_driver, struct v1_driver, abi_version);
    SAME_OFFSET(strata_driver, struct v1_driver, size);
    SAME_OFFSET(strata_driver, struct v1_driver, name);
    SAME_OFFSET(strata_driver, struct v1_driver, version);
    SAME_OFFSET(strata_driver, struct v1_driver, schemes);
    SAME_OFFSET(strata_driver, struct v1_driver, dialect);
    SAME_OFFSET(strata_driver, struct v1_driver, dialect_aliases);
    SAME_OFFSET(strata_driver, struct v1_driver, client_version);
    SAME_OFFSET(strata_driver, struct v1_driver, caps);
    SAME_OFFSET(strata_driver, struct v1_driver, lexer_rules);
    SAME_OFFSET(strata_driver, struct v1_driver, no_transaction_patterns);
    SAME_OFFSET(strata_driver, struct v1_driver, quote_ident);
    SAME_OFFSET(strata_driver, struct v1_driver, quote_literal);
    SAME_OFFSET(strata_driver, struct v1_driver, history_ddl);
    SAME_OFFSET(strata_driver, struct v1_driver, connect);
    SAME_OFFSET(strata_driver, struct v1_driver, close);
    SAME_OFFSET(strata_driver, struct v1_driver, exec);
    SAME_OFFSET(strata_driver, struct v1_driver, query);
    SAME_OFFSET(strata_driver, struct v1_driver, begin);
    SAME_OFFSET(strata_driver, struct v1_driver, commit);
    SAME_OFFSET(strata_driver, struct v1_driver, rollback);
    SAME_OFFSET(strata_driver, struct v1_driver, lock);
    SAME_OFFSET(strata_driver, struct v1_driver, unlock);
    SAME_OFFSET(strata_driver, struct v1_driver, server_version);
    SAME_OFFSET(strata_driver, struct v1_driver, copy_in);
    SAME_OFFSET(strata_driver, struct v1_driver, snapshot);
    SAME_OFFSET(strata_driver, struct v1_driver, scratch_create);
    SAME_OFFSET(strata_driver, struct v1_driver, scratch_drop);
    CU_ASSERT_EQUAL(STRATA_DRIVER_SIZE_V1, sizeof(struct v1_driver));
    CU_ASSERT(sizeof(strata_driver) >= sizeof(struct v1_driver));

    SAME_OFFSET(strata_error, struct v1_error, status);
    SAME_OFFSET(strata_error, struct v1_error, sqlstate);
    SAME_OFFSET(strata_error, struct v1_error, native_code);
    SAME_OFFSET(strata_error, struct v1_error, position);
    SAME_OFFSET(strata_error, struct v1_error, message);
    SAME_OFFSET(strata_error, struct v1_error, detail);
    SAME_OFFSET(strata_error, struct v1_error, hint);
    CU_ASSERT_EQUAL(sizeof(strata_error), sizeof(struct v1_error));

    SAME_OFFSET(strata_url, struct v1_url, scheme);
    SAME_OFFSET(strata_url, struct v1_url, password);
    SAME_OFFSET(strata_url, struct v1_url, port);
    SAME_OFFSET(strata_url, struct v1_url, database);
    SAME_OFFSET(strata_url, struct v1_url, nparams);
    SAME_OFFSET(strata_url, struct v1_url, params);
    SAME_OFFSET(strata_url, struct v1_url, redacted);
    SAME_OFFSET(strata_connect_options, struct v1_connect_options, schema);
    SAME_OFFSET(strata_connect_options, struct v1_connect_options, application);
    SAME_OFFSET(strata_connect_options, struct v1_connect_options, connect_timeout_ms);
    SAME_OFFSET(strata_host, struct v1_host, log);
    SAME_OFFSET(strata_host, struct v1_host, set_error);
}

static void
test_optional_slot_macro(void)
{
    const strata_driver *d = NULL;
    strata_error err;
    CU_ASSERT_EQUAL_FATAL(strata_loader_load("sqlite", NULL, &d, &err), STRATA_OK);
    /* SQLite has no COPY: the core must see NULL, never call it */
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(d, copy_in));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(d, connect));
    strata_driver shrunk = *d;
    shrunk.size = (uint32_t)offsetof(strata_driver, copy_in);
    shrunk.copy_in = (void *)d->exec; /* set, but beyond the declared size */
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(&shrunk, copy_in));
}

int
main(void)
{
    static const tu_test loader[] = {
        {"broken plugins are refused with the reason", test_refusals},
        {"loading by name", test_load_by_name},
        {"search order", test_search_order},
        {"strata drivers lists found and refused plugins", test_listing},
        {"driver ABI v1 layout is frozen", test_abi_v1_layout},
        {"optional slots are read only when size covers them", test_optional_slot_macro},
        {NULL, NULL},
    };
    tu_suite("loader", loader);
    return tu_run();
}
