/*
 * Frozen layout of driver ABI version 1, as released. Never edit this file: the ABI test
 * compares every member's offset in include/strata/driver.h against it, so a change that
 * would break built plugins fails the test instead of shipping. Function pointers are
 * written as void (*)(void); only their size and place matter here.
 */
#ifndef STRATA_TESTS_DRIVER_V1_H
#define STRATA_TESTS_DRIVER_V1_H

#include <stddef.h>
#include <stdint.h>

typedef void (*v1_fn)(void);

struct v1_error {
    int status;
    char sqlstate[6];
    long native_code;
    long position;
    char message[1024];
    char detail[512];
    char hint[512];
};

struct v1_url {
    const char *scheme;
    const char *user;
    const char *password;
    const char *host;
    int port;
    const char *database;
    size_t nparams;
    const void *params;
    const char *redacted;
};

struct v1_connect_options {
    uint32_t size;
    const char *schema;
    const char *application;
    long connect_timeout_ms;
};

struct v1_host {
    uint32_t abi_version;
    uint32_t size;
    v1_fn log;
    v1_fn set_error;
};

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

#endif
