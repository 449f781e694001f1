/*
 * strata — types shared by the library API (strata.h) and the driver ABI (driver.h).
 *
 * Everything here is part of driver ABI version 2: members are only ever appended.
 */
#ifndef STRATA_TYPES_H
#define STRATA_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes (as int) returned by every function of the library and of drivers that can
 * fail. */
enum strata_status {
    STRATA_OK = 0,
    STRATA_ERROR = 1,         /* a database, file or engine error; the strata_error says which */
    STRATA_USAGE = 2,         /* the caller asked for something impossible (bad option, bad URL) */
    STRATA_VALIDATION = 3,    /* checksum mismatch, missing file, pending with --check, drift */
    STRATA_LOCK_TIMEOUT = 4,  /* the migration lock was not obtained in time */
    STRATA_NOT_SUPPORTED = 5, /* the driver does not implement an optional capability */
    STRATA_DIRTY = 6,         /* a migration was left half-applied; see the message */
    STRATA_NOT_FOUND = 7,     /* a driver's query(): the table or schema it names is not there */
    STRATA_ERROR_NOMEM = 8,   /* memory ran out; the library did not abort: the session's
                                 connection was closed, which rolls back what was in flight
                                 (docs/embedding.md) */
    STRATA_INTERRUPTED = 9    /* strata_cancel() stopped the run between two statements or two
                                 migrations; the message says what state it left */
};

/*
 * An error report. The caller owns the memory (usually on its stack) and sets size, with
 * STRATA_ERROR_INIT or strata_error_init(); drivers and the library fill it, never beyond
 * size, so the struct can grow by appending members. Every string member is always
 * NUL-terminated, "" when unknown.
 */
typedef struct strata_error {
    uint32_t size;      /* sizeof(strata_error) as the caller compiled it */
    int status;         /* a strata_status value */
    char sqlstate[6];   /* five-character SQLSTATE, "" when the database has none */
    long native_code;   /* the database's own error number, 0 if none */
    long position;      /* 1-based byte offset of the error in the text passed to exec() or
                           query(), 0 if unknown */
    char message[1024]; /* one line, no trailing newline */
    char detail[512];   /* longer explanation (PostgreSQL DETAIL), may be "" */
    char hint[512];     /* what to do (PostgreSQL HINT, or strata's own advice), may be "" */
    int unchanged;      /* 1 when the driver knows the failed statement changed nothing: it
                           never started (a syntax error, a missing table) or the database
                           rolled it back whole; 0 when it may have (then a migration run
                           outside a transaction stays dirty). Set it after db_error(). */
    /* Append new members here, and only here. */
} strata_error;

/* Whether err, of the size its caller compiled, has member (for members after hint). */
#define STRATA_ERROR_HAS(err, member)                                                              \
    ((err) != NULL && (err)->size >= offsetof(strata_error, member) + sizeof((err)->member))

/* An empty error report of this header's size: strata_error err = STRATA_ERROR_INIT; */
#define STRATA_ERROR_INIT {sizeof(strata_error), 0, "", 0, 0, "", "", "", 0}

/* The size of the first strata_error with a size member: the least the core accepts. */
#define STRATA_ERROR_SIZE_V2 (offsetof(strata_error, hint) + sizeof(((strata_error *)0)->hint))

/*
 * Reads up to size bytes into buf. Returns the number of bytes read, 0 at the end of the
 * input, or (size_t)-1 on error (the reader's owner knows what went wrong).
 */
typedef size_t (*strata_read_fn)(void *ctx, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
