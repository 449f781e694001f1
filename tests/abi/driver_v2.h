/*
 * Frozen layout of driver ABI version 2, as released. Never edit this file: the ABI test
 * (tests/integration/test_loader.c) compares every member's offset and size in
 * include/strata/driver.h and include/strata/types.h against it, and every constant a built
 * plugin has compiled in, so a change that would break built plugins fails the test instead
 * of shipping. Function pointers are written as void (*)(void); only their size and place
 * matter here. Members may only be appended after the last one of each struct.
 */
#ifndef STRATA_TESTS_DRIVER_V2_H
#define STRATA_TESTS_DRIVER_V2_H

#include <stddef.h>
#include <stdint.h>

typedef void (*v2_fn)(void);

/* ---- constants compiled into plugins ---- */

#define V2_DRIVER_ABI 2u

#define V2_OK 0
#define V2_ERROR 1
#define V2_USAGE 2
#define V2_VALIDATION 3
#define V2_LOCK_TIMEOUT 4
#define V2_NOT_SUPPORTED 5
#define V2_DIRTY 6
#define V2_NOT_FOUND 7
#define V2_ERROR_NOMEM 8

#define V2_URL_SERVER 1
#define V2_URL_FILE 2
#define V2_URL_OPAQUE 3

#define V2_CAP_TRANSACTIONAL_DDL (1u << 0)
#define V2_CAP_ADVISORY_LOCK (1u << 1)
#define V2_CAP_COPY_IN (1u << 2)
#define V2_CAP_SCRATCH_DB (1u << 3)
#define V2_CAP_SCHEMAS (1u << 4)
#define V2_CAP_MULTI_STATEMENT (1u << 5)
#define V2_CAP_FILE_LOCK (1u << 6)

#define V2_LEX_BACKTICKS (1u << 0)
#define V2_LEX_BRACKETS (1u << 1)
#define V2_LEX_HASH_COMMENTS (1u << 2)
#define V2_LEX_NESTED_COMMENTS (1u << 3)
#define V2_LEX_BACKSLASH_ESCAPES (1u << 4)
#define V2_LEX_E_STRINGS (1u << 5)
#define V2_LEX_DOLLAR_QUOTES (1u << 6)
#define V2_LEX_COPY_STDIN (1u << 7)
#define V2_LEX_DELIMITER (1u << 8)
#define V2_LEX_BLOCKS (1u << 9)
#define V2_LEX_EXEC_COMMENTS (1u << 10)
#define V2_LEX_PSQL_META (1u << 11)
#define V2_LEX_DASH_NEEDS_SPACE (1u << 12)
#define V2_LEX_PARENS (1u << 13)
#define V2_LEX_ATOMIC_BLOCKS (1u << 14)
#define V2_LEX_STD_STRINGS (1u << 15)
#define V2_LEX_STRINGS_ESCAPE (1u << 16)

#define V2_TYPE_STRING 0
#define V2_TYPE_TEXT 1
#define V2_TYPE_INTEGER 2
#define V2_TYPE_BIGINT 3
#define V2_TYPE_TIMESTAMP 4
#define V2_TYPE_SERIAL 5
#define V2_TYPE_COUNT 6

#define V2_OBJ_SCHEMA 1
#define V2_OBJ_SEQUENCE 2
#define V2_OBJ_ENUM 3
#define V2_OBJ_TABLE 4
#define V2_OBJ_COLUMN 5
#define V2_OBJ_CONSTRAINT 6
#define V2_OBJ_INDEX 7
#define V2_OBJ_VIEW 8
#define V2_OBJ_TRIGGER 9
#define V2_OBJ_FUNCTION 10

#define V2_LOG_ERROR 0
#define V2_LOG_WARN 1
#define V2_LOG_INFO 2
#define V2_LOG_DEBUG 3

#define V2_DRIVER_ENTRY "strata_driver_entry"

/* ---- structs ---- */

struct v2_error {
    uint32_t size;
    int status;
    char sqlstate[6];
    long native_code;
    long position;
    char message[1024];
    char detail[512];
    char hint[512];
};

struct v2_url_param {
    const char *key;
    const char *value;
};

struct v2_url {
    const char *scheme;
    const char *user;
    const char *password;
    const char *host;
    int port;
    const char *database;
    size_t nparams;
    const struct v2_url_param *params;
    const char *redacted;
    const char *raw;
    const char *opaque;
};

struct v2_connect_options {
    uint32_t size;
    const char *schema;
    const char *application;
    long connect_timeout_ms;
    int must_exist;
};

struct v2_describe {
    uint32_t size;
    const char *dialect;
    const char *const *dialect_aliases;
    uint32_t caps;
    uint32_t lexer_rules;
    const char *const *no_transaction_patterns;
    v2_fn statement_complete;
    const char *home_schema;
    const char *types[V2_TYPE_COUNT];
    const char *table_options;
};

struct v2_host {
    uint32_t abi_version;
    uint32_t size;
    v2_fn log;
    v2_fn set_error;
    v2_fn db_error;
    v2_fn whoami;
    v2_fn run_tool;
    v2_fn find_program;
};

struct v2_driver {
    uint32_t abi_version;
    uint32_t size;
    const char *name;
    const char *version;
    const char *client_version;
    int url_shape;
    const char *const *schemes;
    const char *dialect;
    const char *const *dialect_aliases;
    uint32_t caps;
    const char *password_env;
    v2_fn connect;
    v2_fn close;
    v2_fn describe;
    v2_fn server_version;
    v2_fn exec;
    v2_fn query;
    v2_fn begin;
    v2_fn commit;
    v2_fn rollback;
    v2_fn quote_ident;
    v2_fn quote_literal;
    v2_fn lock;
    v2_fn unlock;
    v2_fn session_reset_sql;
    v2_fn copy_in;
    v2_fn utc_timestamps;
    v2_fn backup;
    v2_fn snapshot;
    v2_fn scratch_create;
    v2_fn scratch_drop;
};

#endif
