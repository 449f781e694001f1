/*
 * strata — the driver plugin ABI, version 2.
 *
 * A driver is a shared object exporting one function, strata_driver_entry(), that returns a
 * pointer to a constant struct strata_driver. The core loads it with dlopen(RTLD_NOW |
 * RTLD_LOCAL), calls the entry once per process under the loader's lock, and refuses the
 * plugin when abi_version differs from STRATA_DRIVER_ABI (a version-1 plugin is refused with
 * a message saying it must be rebuilt), when size is smaller than the version-2 struct, or
 * when a required member is NULL.
 *
 * What a driver declares before it has a connection (its name, URL shape and schemes, a
 * default dialect) lets the core pick it for a URL and list it; what a connection speaks
 * (dialect, capabilities, how scripts split, the history tables' column types) is asked of
 * the connection with describe(), because a bridge driver (ODBC) learns its backend only
 * then and a server's settings change the rules. Values reach SQL text only through the
 * connection's own quoting (quote_literal, quote_ident), never through quoting by hand.
 *
 * Compatibility rules:
 *  - members are only ever appended to struct strata_driver, struct strata_host and
 *    struct strata_describe;
 *  - the core reads a member beyond the version-2 layout only when the plugin's size covers
 *    it and it is not NULL (STRATA_DRIVER_HAS); a driver reads a host member only when
 *    STRATA_HOST_HAS says the host has it;
 *  - no allocation crosses the boundary: every buffer is the caller's, and a driver frees
 *    what its client library allocated;
 *  - a strata_conn is used by one thread at a time; different connections may be used by
 *    different threads at once.
 *
 * Drivers never link against libstrata: what they need from the core comes through the
 * struct strata_host handed to the entry. docs/writing-a-driver.md walks through a driver,
 * slot by slot; strata-driver-check tests one against a real database.
 */
#ifndef STRATA_DRIVER_H
#define STRATA_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include <strata/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_DRIVER_ABI 2u

/* Each driver defines struct strata_conn privately (its per-connection state). */
typedef struct strata_conn strata_conn;

/* ------------------------------------------------------------------ URLs */

/*
 * The shapes of URL a driver serves (strata_driver.url_shape):
 *   STRATA_URL_SERVER  scheme://[user[:password]@]host[:port][,host[:port]...][/database]
 *                      [?key=value&...]
 *   STRATA_URL_FILE    scheme:path, scheme:///abs/path, scheme::memory:, each [?key=value&...]
 *   STRATA_URL_OPAQUE  scheme:TEXT, TEXT being the driver's own (an ODBC connection string,
 *                      a DSN): the core hands it over in url->opaque and only redacts it
 */
#define STRATA_URL_SERVER 1
#define STRATA_URL_FILE 2
#define STRATA_URL_OPAQUE 3

/* A key=value option from the query part of a connection URL. */
typedef struct strata_url_param {
    const char *key;
    const char *value;
} strata_url_param;

/*
 * A parsed connection URL, percent-decoding done. Strings are NULL when absent. Owned by
 * the core; valid for the duration of the call that receives it.
 */
typedef struct strata_url {
    const char *scheme; /* as written, lower case: "postgres", "postgresql", "sqlite3", ... */
    const char *user;
    const char *password;
    const char *host; /* NULL for a unix socket default or a file database; for several
                         hosts ("h1:5432,h2:5433") the list as written, port 0 */
    int port;         /* 0 when not given */
    const char *database; /* database name; for file databases the path, or ":memory:" */
    size_t nparams;
    const strata_url_param *params;
    const char *redacted; /* the URL with every secret replaced by "***", for messages */
    const char *raw;      /* the URL as given, secrets included: never print it */
    const char *opaque;   /* STRATA_URL_OPAQUE: the text after "scheme:", else NULL */
} strata_url;

/* Options for connect(). The core zero-fills it and sets size. */
typedef struct strata_connect_options {
    uint32_t size;           /* sizeof(strata_connect_options) as compiled by the core */
    const char *schema;      /* schema holding the history tables, NULL for the default */
    const char *application; /* application name to report to the server */
    long connect_timeout_ms; /* 0: the driver's default */
    int must_exist;          /* a file database must not be created: a command that only
                                reads opened it */
} strata_connect_options;

/* ------------------------------------------------------------------ what a connection speaks */

/* Capability bits of strata_describe.caps (and strata_driver.caps, before connecting). */
#define STRATA_CAP_TRANSACTIONAL_DDL (1u << 0) /* DDL commits with the transaction */
#define STRATA_CAP_ADVISORY_LOCK (1u << 1)     /* lock() is a server-side lock */
#define STRATA_CAP_COPY_IN (1u << 2)           /* copy_in() streams COPY ... FROM stdin data */
#define STRATA_CAP_SCRATCH_DB (1u << 3)        /* scratch_create()/scratch_drop() work */
#define STRATA_CAP_SCHEMAS (1u << 4)           /* the database has schemas (namespaces) */
#define STRATA_CAP_MULTI_STATEMENT (1u << 5)   /* exec() accepts several statements at once */
#define STRATA_CAP_FILE_LOCK (1u << 6)         /* lock() is a cross-process file lock */
/* exec() outside a transaction takes several statements separated by ';' and runs them in
 * order as if each were sent alone (each commits on its own), stopping at the first error */
#define STRATA_CAP_AUTOCOMMIT_BATCH (1u << 7)

/*
 * Lexer rule bits of strata_describe.lexer_rules: which dialect features the core's
 * statement splitter recognises. Single-quoted strings ('' doubling), double-quoted
 * identifiers ("" doubling), -- and non-nested block comments are always on. A NUL byte
 * anywhere is an error.
 */
#define STRATA_LEX_BACKTICKS (1u << 0)         /* `identifier` (MySQL) */
#define STRATA_LEX_BRACKETS (1u << 1)          /* [identifier] (SQLite) */
#define STRATA_LEX_HASH_COMMENTS (1u << 2)     /* # to end of line (MySQL) */
#define STRATA_LEX_NESTED_COMMENTS (1u << 3)   /* block comments nest (PostgreSQL) */
#define STRATA_LEX_BACKSLASH_ESCAPES (1u << 4) /* \' inside '...' and "..." (MySQL without
                                                  NO_BACKSLASH_ESCAPES) */
#define STRATA_LEX_E_STRINGS (1u << 5)         /* E'...' with backslash escapes (PostgreSQL) */
#define STRATA_LEX_DOLLAR_QUOTES (1u << 6)     /* $$...$$ and $tag$...$tag$ (PostgreSQL) */
#define STRATA_LEX_COPY_STDIN (1u << 7)        /* COPY ... FROM stdin data up to \. */
#define STRATA_LEX_DELIMITER (1u << 8)         /* DELIMITER client command lines (MySQL) */
/*
 * Compound statements as the MySQL/MariaDB server parses them when no DELIMITER is in
 * effect: a ';' inside a BEGIN ... END (IF, CASE, LOOP, REPEAT, WHILE, FOR) of a CREATE
 * TRIGGER / PROCEDURE / FUNCTION / EVENT body, or of MariaDB's BEGIN NOT ATOMIC and other
 * compound statements, does not end the statement.
 */
#define STRATA_LEX_BLOCKS (1u << 9)
#define STRATA_LEX_EXEC_COMMENTS (1u << 10)    /* MySQL executable comments are code */
#define STRATA_LEX_PSQL_META (1u << 11)        /* refuse psql meta-commands (\c, \i, ...) */
#define STRATA_LEX_DASH_NEEDS_SPACE (1u << 12) /* "--" starts a comment only before a space */
/* A delimiter inside parentheses does not end the statement, as in psql (CREATE RULE ...
 * DO ALSO (INSERT ...; INSERT ...)). */
#define STRATA_LEX_PARENS (1u << 13)
/*
 * BEGIN ... END in CREATE [OR REPLACE] FUNCTION / PROCEDURE statements (SQL-standard
 * BEGIN ATOMIC bodies), counted as psql counts them: outside parentheses, BEGIN opens, CASE
 * opens inside a BEGIN, END closes (PostgreSQL).
 */
#define STRATA_LEX_ATOMIC_BLOCKS (1u << 14)
/*
 * Plain '...' strings follow SET standard_conforming_strings: after it is set off they
 * take backslash escapes, until it is set on again, from the line after the SET on, as
 * psql reads them (PostgreSQL).
 */
#define STRATA_LEX_STD_STRINGS (1u << 15)
/* Plain '...' strings take backslash escapes from the start of every script: the server's
 * standard_conforming_strings is off (PostgreSQL); STRATA_LEX_STD_STRINGS still follows a
 * SET in the script. */
#define STRATA_LEX_STRINGS_ESCAPE (1u << 16)

/*
 * The abstract column types of strata's history tables (strata_describe.types). The core
 * writes CREATE TABLE and ALTER TABLE for its tables itself; the driver only says how its
 * database spells each type. A NULL entry takes the SQL-standard spelling shown.
 */
enum strata_type {
    STRATA_TYPE_STRING,    /* text of at most {n} characters that a primary key may hold; the
                              core replaces "{n}" by the length: "VARCHAR({n})" */
    STRATA_TYPE_TEXT,      /* text of any length: "VARCHAR(4000)" */
    STRATA_TYPE_INTEGER,   /* 32-bit integer: "INTEGER" */
    STRATA_TYPE_BIGINT,    /* 64-bit integer: "BIGINT" */
    STRATA_TYPE_TIMESTAMP, /* a date and time, written as 'YYYY-MM-DD HH:MM:SS' and read back
                              exactly so through query(): "TIMESTAMP" */
    STRATA_TYPE_SERIAL,    /* a whole column definition after the name: an integer primary
                              key the database numbers itself: "BIGINT GENERATED BY DEFAULT
                              AS IDENTITY PRIMARY KEY" */
    STRATA_TYPE_COUNT
};

/*
 * What a connection speaks, filled by describe() right after connect(). The core zero-fills
 * it and sets size; every string and array is the driver's, valid until close().
 */
typedef struct strata_describe {
    uint32_t size;                      /* sizeof(strata_describe) as compiled by the core */
    const char *dialect;                /* picks V_x.<dialect>.up.sql files: "postgres" */
    const char *const *dialect_aliases; /* NULL-terminated other spellings, may be NULL */
    uint32_t caps;                      /* STRATA_CAP_* */
    uint32_t lexer_rules;               /* STRATA_LEX_* */
    /*
     * NULL-terminated patterns of statements that cannot run inside a transaction block.
     * A pattern is space-separated items matched against the statement's tokens from its
     * start (comments skipped): a keyword matches that word, ignoring case; "*" matches any
     * one word or name (a.b, "Quoted"); "..." matches any run of tokens, none included;
     * "$" matches the end of the statement; any other item (such as "(" or ",") matches
     * that punctuation. The statement may go on after the last item unless it is "$".
     * Examples: "CREATE INDEX CONCURRENTLY", "REINDEX ( ... ) * CONCURRENTLY",
     * "CLUSTER $". May be NULL.
     */
    const char *const *no_transaction_patterns;
    /*
     * Whether the NUL-terminated sql ends with a complete statement, as the database's own
     * shell decides (SQLite: sqlite3_complete()): 1 complete, 0 not. When set, the splitter
     * asks it at each ';' of a statement that may hold a body (one starting with CREATE or
     * EXPLAIN), passing the statement's text from its first word up to and including that
     * ';', instead of tracking BEGIN ... END itself. Called without a connection, possibly
     * from several threads at once: it must depend on the text alone. May be NULL.
     */
    int (*statement_complete)(const char *sql);
    /*
     * The schema (MySQL: the database) unqualified names went to right after connect(), or
     * "" when names need no qualifying (SQLite) or there is none. The core names its history
     * tables with it, so a migration's USE other_db or SET search_path cannot send the
     * history elsewhere.
     */
    const char *home_schema;
    const char *types[STRATA_TYPE_COUNT]; /* see enum strata_type; NULL entries: standard */
    const char *table_options;            /* written after CREATE TABLE (...), e.g.
                                             "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"; NULL:
                                             none */
    /*
     * NULL-terminated first keywords of statements that never commit on their own (MySQL:
     * "INSERT", "UPDATE", "DELETE", "REPLACE"), for a driver without transactional DDL that
     * declares STRATA_CAP_AUTOCOMMIT_BATCH. Under the dirty protocol the core runs a row of
     * such statements in one transaction and commits it with their checkpoint: one commit
     * for the row instead of two per statement. May be NULL (every statement commits with
     * its own checkpoint).
     */
    const char *const *transactional_statements;
    /* Append new members here, and only here. */
} strata_describe;

/* ------------------------------------------------------------------ results */

/*
 * Called once per result row by query(). values[i] is NULL for SQL NULL, else a
 * NUL-terminated text rendering valid only during the call. Return 0 to go on, non-zero
 * to stop reading rows (query() then returns STRATA_OK). It must not use the connection:
 * a driver should hand rows over as they arrive rather than hold the whole result (the
 * history of a long-lived database is thousands of rows), and the connection is busy with
 * the result until query() returns.
 */
typedef int (*strata_row_fn)(void *ctx, int ncols, const char *const *values);

/* Kinds of objects a schema snapshot reports (any order: the core sorts them). The name
 * and definition of each are specified in docs/writing-a-driver.md (snapshot). */
typedef enum strata_object_kind {
    STRATA_OBJ_SCHEMA = 1, /* a schema other than the home one: name "s", definition "" */
    STRATA_OBJ_SEQUENCE,   /* a sequence no identity column owns */
    STRATA_OBJ_ENUM,       /* an enum type */
    STRATA_OBJ_TABLE,      /* a table: name "t" */
    STRATA_OBJ_COLUMN,     /* "t.c": "#N type[ not null][ default x]..." */
    STRATA_OBJ_CONSTRAINT, /* "t.primary key (a, b)", "t.unique (a)", "t.foreign key (a)
                              references u (b)", "t.check (x)": named by content */
    STRATA_OBJ_INDEX,      /* "t.name" of an index no constraint owns */
    STRATA_OBJ_VIEW,
    STRATA_OBJ_TRIGGER, /* "t.name" */
    STRATA_OBJ_FUNCTION, /* functions and procedures: "name(argument types)" */
    STRATA_OBJ_DOMAIN    /* a domain type */
} strata_object_kind;

/*
 * Receives one object of a schema snapshot: its kind, its name relative to the home schema,
 * and a normalized one-line definition. Strings are valid only during the call. Return 0 to
 * go on, non-zero to stop.
 */
typedef int (*strata_object_fn)(void *ctx, strata_object_kind kind, const char *name,
                                const char *definition);

/* ------------------------------------------------------------------ host services */

/* Log levels of strata_host.log. */
#define STRATA_LOG_ERROR 0
#define STRATA_LOG_WARN 1
#define STRATA_LOG_INFO 2
#define STRATA_LOG_DEBUG 3

/*
 * Services the core offers to drivers; handed to the entry. Valid for the life of the
 * process. Members are only ever appended: read one beyond the version-2 layout only when
 * STRATA_HOST_HAS says the host has it.
 */
typedef struct strata_host {
    uint32_t abi_version; /* STRATA_DRIVER_ABI of the core */
    uint32_t size;        /* sizeof(strata_host) as compiled by the core */
    /* Writes a diagnostic line (no trailing newline needed). Never pass a password. */
    void (*log)(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    /* Clears every member of err (as far as err->size covers), then fills status and
     * message in printf style. err may be NULL. */
    void (*set_error)(strata_error *err, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    /*
     * Fills err from a database's report: status, sqlstate (5 characters or NULL), native
     * code, 1-based position in the statement (0: unknown), and text, whose first line
     * becomes the message and whose further lines the detail (trailing blanks and newlines
     * trimmed); hint may be NULL. Returns status, for `return host->db_error(...)`.
     */
    int (*db_error)(strata_error *err, int status, const char *sqlstate, long native_code,
                    long position, const char *text, const char *hint);
    /* Writes who runs strata, "user@host", as the history records it (snprintf convention). */
    size_t (*whoami)(char *out, size_t size);
    /*
     * Runs prog (a path) with argv, without a shell, in the process's environment plus
     * secret_name=secret (replacing any; secret NULL: nothing added): stdin from /dev/null;
     * stdout written to path.tmp (created exclusively, mode 0600) and renamed over path only
     * when prog exits 0 (path NULL: stdout goes into text too); stderr into text (size
     * bytes, always NUL-terminated, the rest dropped, every occurrence of the secret
     * replaced by "***"). *wstatus is prog's waitpid() status. Returns STRATA_OK when prog
     * ran, whatever its exit status; STRATA_ERROR (err filled) when it could not be started
     * or path not written. Secrets go through the environment, never argv.
     */
    int (*run_tool)(const char *prog, char *const argv[], const char *secret_name,
                    const char *secret, const char *path, char *text, size_t size, int *wstatus,
                    strata_error *err);
    /*
     * Finds the program name as execvp() would, but never in the current directory (empty,
     * "." and other relative PATH entries are skipped); a name holding '/' is taken as is. Writes its path into out
     * and returns 1 when it is an executable regular file, else 0.
     */
    int (*find_program)(const char *name, char *out, size_t size);
    /* Append new members here, and only here. */
} strata_host;

/* True when the host's size covers member and the member is set. */
#define STRATA_HOST_HAS(host, member)                                                              \
    ((host)->size >= offsetof(strata_host, member) + sizeof((host)->member) &&                     \
     (host)->member != NULL)

/* ------------------------------------------------------------------ the driver */

/*
 * The driver vtable. Define it static const with designated initializers.
 *
 * Return conventions: functions returning int return a strata_status; on failure they fill
 * *err (when err is non-NULL) and leave out-parameters NULL. Functions producing text into
 * a caller buffer follow snprintf: they return the length the full text needs (excluding
 * the NUL) and write at most size bytes including the NUL.
 */
typedef struct strata_driver {
    uint32_t abi_version; /* STRATA_DRIVER_ABI when the plugin was built */
    uint32_t size;        /* sizeof(struct strata_driver) when the plugin was built */

    /* ---- identity: what the core knows before connecting (required) ---- */
    const char *name;           /* module name, [a-z0-9_]+, equal to the file's stem */
    const char *version;        /* driver version, e.g. "2.0.0" */
    const char *client_version; /* version of the client library, may be NULL */
    int url_shape;              /* STRATA_URL_* */
    const char *const *schemes; /* NULL-terminated URL schemes served, lower case; the
                                   first is the canonical one */
    /* The dialect, its other spellings and capabilities the driver has before a
     * connection says otherwise (describe() may refine them): for `strata drivers`. */
    const char *dialect;
    const char *const *dialect_aliases; /* may be NULL */
    uint32_t caps;
    /*
     * The environment variable the database's own client reads a password from
     * (MYSQL_PWD, PGPASSWORD), used by strata for a URL without a password when no
     * --password-file is given; NULL: none.
     */
    const char *password_env;

    /* ---- connections (required) ---- */
    /* Opens a connection; *out owned by the driver until close(). A file database that
     * does not exist is refused when opts->must_exist is set. */
    int (*connect)(const strata_url *url, const strata_connect_options *opts, strata_conn **out,
                   strata_error *err);
    /* Closes and frees the connection; NULL is a no-op. */
    void (*close)(strata_conn *conn);
    /* Says what the connection speaks: fills *out (see struct strata_describe). Called once,
     * right after connect(). */
    int (*describe)(strata_conn *conn, strata_describe *out, strata_error *err);
    /* Writes a one-line server description, e.g. "PostgreSQL 15.4" (snprintf convention). */
    size_t (*server_version)(strata_conn *conn, char *out, size_t size);

    /* ---- statements (required) ---- */
    /*
     * Runs SQL text (one statement, or several when caps has MULTI_STATEMENT) that returns
     * no rows the caller needs. sql is NUL-terminated at sql[len]. err->position is the
     * 1-based byte offset of the error in sql when the database reports one. A failure may
     * be reported as STRATA_NOT_FOUND, as query() does; the core counts it as an error.
     */
    int (*exec)(strata_conn *conn, const char *sql, size_t len, strata_error *err);
    /*
     * Runs one statement and hands each row to fn. Returns STRATA_NOT_FOUND (err filled)
     * when the statement names a table or schema that does not exist, and STRATA_ERROR for
     * every other failure: a corrupt file or a lost connection is never "not found".
     */
    int (*query)(strata_conn *conn, const char *sql, strata_row_fn fn, void *ctx,
                 strata_error *err);
    int (*begin)(strata_conn *conn, strata_error *err);
    int (*commit)(strata_conn *conn, strata_error *err);
    int (*rollback)(strata_conn *conn, strata_error *err);
    /*
     * Quote an identifier / a string literal with the connection's own rules and, where the
     * client library has one, its own function (PQescapeLiteral, PQescapeIdentifier,
     * mysql_real_escape_string_quote, sqlite3_mprintf("%Q")), so a server setting such as
     * standard_conforming_strings or NO_BACKSLASH_ESCAPES is honoured (snprintf convention).
     * Return (size_t)-1 when in cannot be quoted (invalid for the connection's encoding).
     */
    size_t (*quote_ident)(strata_conn *conn, const char *in, char *out, size_t size);
    size_t (*quote_literal)(strata_conn *conn, const char *in, char *out, size_t size);

    /* ---- optional: may be NULL; check with STRATA_DRIVER_HAS ---- */
    /*
     * Takes the named migration lock, waiting up to timeout_ms (0: try once, <0: forever).
     * Must be called outside any transaction and must not open one that stays open. On
     * timeout returns STRATA_LOCK_TIMEOUT with a message naming the holder if known. A driver
     * without lock/unlock gets the core's lock on a table beside the history tables
     * (holder, since, stale holders taken over): see docs/writing-a-driver.md.
     * STRATA_NOT_SUPPORTED means "this connection cannot hold the driver's lock" (e.g. a
     * session lock behind a pooler that runs each transaction on another server session),
     * with a one-line message saying why: the core then takes its table lock instead for the
     * rest of the session, tells the user the driver's message, and never calls unlock().
     */
    int (*lock)(strata_conn *conn, const char *name, long timeout_ms, strata_error *err);
    int (*unlock)(strata_conn *conn, const char *name, strata_error *err);
    /*
     * Writes the SQL that puts back what a migration's statements may have changed in the
     * session (PostgreSQL: search_path and the other settings; MySQL: the current database)
     * as it was right after connect() (snprintf convention); "" when nothing needs putting
     * back. Called after each migration's statements, before its history is written, inside
     * its transaction when it has one; it may look at the connection's state without a round
     * trip to write "" when nothing changed.
     */
    size_t (*session_reset_sql)(strata_conn *conn, char *out, size_t size);
    /* Streams COPY ... FROM stdin data, pulled through data(), for the statement sql. */
    int (*copy_in)(strata_conn *conn, const char *sql, size_t len, strata_read_fn data,
                   void *data_ctx, strata_error *err);
    /*
     * While on, timestamps read through query() are rendered in UTC (MySQL renders TIMESTAMP
     * columns in the session's time zone: SET time_zone = '+00:00', then back). The core turns
     * it on only around reading another tool's history (adopt); NULL: the database renders
     * timestamps with their offset or as stored.
     */
    int (*utc_timestamps)(strata_conn *conn, int on, strata_error *err);
    /*
     * Writes a backup of the whole connected database to the file path, in the form the
     * database's own tools restore (SQLite: a database file; PostgreSQL: a plain SQL script
     * for psql -f; MySQL: a SQL script for the mariadb/mysql client). url is the URL conn
     * was opened with, for drivers that run an external dump tool: the tool connects with
     * it on its own, and the password reaches the tool only through its environment, never
     * its command line; no message shows it.
     *
     * The file is replaced atomically: the backup is written to path + ".tmp", created
     * exclusively with mode 0600, and renamed over path only once complete, so path is
     * either untouched or a whole backup; a failed backup removes its .tmp file. A .tmp
     * file that already exists (another backup to path running, or one interrupted) is an
     * error. The core calls it with the migration lock held and no transaction open; it
     * may take long. A driver without it makes strata_backup() fail with
     * STRATA_NOT_SUPPORTED naming the driver.
     *
     * Errors: STRATA_NOT_SUPPORTED when the tool the driver needs is not installed (the
     * message says which package to install); STRATA_USAGE when the URL cannot be handed
     * to the tool safely; STRATA_ERROR when the backup fails (the message carries the
     * tool's first error line, the detail its next lines).
     */
    int (*backup)(strata_conn *conn, const strata_url *url, const char *path, strata_error *err);
    /*
     * Reports every object of the connection's schema (strata dump, drift, diff, verify)
     * through fn, one call per object, as docs/writing-a-driver.md (snapshot) specifies:
     * names relative to the home schema, generated names replaced by content, definitions
     * normalized to one line, so the same schema gives the same objects whatever its history.
     * Objects of the tables named in skip_tables (NULL-terminated, unqualified: strata's
     * own) are left out. Reads only, outside any transaction. A non-zero return of fn stops
     * it: return STRATA_OK then.
     */
    int (*snapshot)(strata_conn *conn, const char *const *skip_tables, strata_object_fn fn,
                    void *ctx, strata_error *err);
    /*
     * Creates an empty throwaway database beside the connection's (PostgreSQL, MySQL: CREATE
     * DATABASE with a unique name starting "strata_scratch_"; SQLite: a new file of that name
     * in the directory of $TMPDIR, else /tmp) and writes what the database part of a URL of
     * the driver's shape must say to reach it (a database name, a file path) into name_out
     * (snprintf convention). STRATA_ERROR with the database's message when it cannot (the
     * account may not create databases).
     */
    int (*scratch_create)(strata_conn *conn, char *name_out, size_t size, strata_error *err);
    /* Drops what scratch_create made (name as it wrote it), through the connection it was
     * created from, even when other sessions are still connected to it. */
    int (*scratch_drop)(strata_conn *conn, const char *name, strata_error *err);
    /*
     * What describe() says before any connection exists: the dialect, its lexer rules,
     * no-transaction patterns and statement_complete hook as a connection to a server with
     * default settings would describe them (home_schema ""; strings static). The core calls
     * it to read scripts without a database (strata lint). NULL, or STRATA_NOT_SUPPORTED,
     * when the driver learns its dialect only by connecting (a bridge such as ODBC).
     */
    int (*describe_offline)(strata_describe *out, strata_error *err);

    /* Append new members here, and only here. */
} strata_driver;

/* Size of the version-2 layout: the smallest size the core accepts. */
#define STRATA_DRIVER_SIZE_V2 (offsetof(strata_driver, scratch_drop) + sizeof(void *))

/* True when drv's size covers member and the member is set. */
#define STRATA_DRIVER_HAS(drv, member)                                                             \
    ((drv)->size >= offsetof(strata_driver, member) + sizeof((drv)->member) &&                     \
     (drv)->member != NULL)

/* The entry symbol's name, for dlsym(). */
#define STRATA_DRIVER_ENTRY "strata_driver_entry"

/* The one symbol a driver exports. Returns NULL to refuse loading (after host->log). */
typedef const strata_driver *(*strata_driver_entry_fn)(const strata_host *host);

#if defined(__GNUC__)
#define STRATA_DRIVER_EXPORT __attribute__((visibility("default")))
#else
#define STRATA_DRIVER_EXPORT
#endif

/* Every driver defines this, exported: STRATA_DRIVER_EXPORT const strata_driver *... */
STRATA_DRIVER_EXPORT const strata_driver *strata_driver_entry(const strata_host *host);

#ifdef __cplusplus
}
#endif

#endif
