/*
 * strata — the ODBC bridge driver, on unixODBC.
 *
 * URL: odbc:CONNECTION-STRING or odbc:DSN. The text after "odbc:" is handed to
 * SQLDriverConnect() as it is when it holds a '=' (Driver=SQLite3;Database=app.db), and as
 * "DSN=TEXT" when it does not (odbc:mydsn). Messages show it with the value of every
 * secret key hidden, as od_redact() reads the pairs.
 *
 * The driver learns its backend after connecting, from SQLGetInfo(SQL_DBMS_NAME): SQLite,
 * PostgreSQL and MySQL/MariaDB speak the dialect of strata's own drivers for them (lexer
 * rules, statements that cannot run in a transaction, column types of the history tables,
 * literal quoting that follows standard_conforming_strings and NO_BACKSLASH_ESCAPES as
 * describe() reads them); any other backend gets a dialect named after SQL_DBMS_NAME and
 * the standard spellings.
 *
 * There is no lock(): ODBC has no portable server lock, so the core takes its lock on a
 * table beside the history tables. No copy_in() or backup() either, and no scratch
 * databases: a data source cannot portably create a database, so drift and verify take
 * --scratch URL. snapshot() reports what the ODBC catalog functions tell of the home
 * schema (tables, views, columns, primary and foreign keys, indexes; see od_snapshot()).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sql.h>
#include <sqlext.h>

#include <strata/driver.h>

#ifdef PACKAGE_VERSION
#define OD_VERSION PACKAGE_VERSION
#else
#define OD_VERSION "0.1.0"
#endif

#define OD_INFO_MAX 128    /* one SQLGetInfo() string */
#define OD_DIAG_RECORDS 8  /* diagnostic records gathered into one error */
#define OD_DIAG_TEXT 2048  /* their text, joined by newlines */
#define OD_COL_INITIAL 256 /* first buffer for a column's value */
#define OD_PATH_MAX 4096   /* a SQLite Database= path checked for must_exist */
#define OD_DIALECT_MAX 64  /* a dialect named after SQL_DBMS_NAME */
#define OD_SQLITE_LIB "libsqlite3.so.0"
#define OD_PSQLODBC_TRAILER "Error while executing the query"

/* The backends whose dialect strata knows. */
typedef enum od_kind { OD_OTHER, OD_SQLITE, OD_POSTGRES, OD_MYSQL } od_kind;

/* What a known backend speaks: what describe() reports for it. */
typedef struct od_backend {
    od_kind kind;
    const char *const *dbms_names; /* SQL_DBMS_NAME prefixes, compared ignoring case */
    const char *dialect;
    const char *const *aliases;
    uint32_t caps;
    uint32_t lexer_rules;
    const char *const *no_transaction;
    const char *types[STRATA_TYPE_COUNT];
    const char *table_options;
} od_backend;

struct strata_conn {
    SQLHENV env;   /* owned; freed in od_close() */
    SQLHDBC dbc;   /* owned; disconnected and freed in od_close() */
    SQLHSTMT stmt; /* owned; the one statement handle every exec() and query() uses */
    int connected;
    char *redacted; /* the URL with its secrets hidden (od_redact()), for messages; owned */
    char *schema;   /* copy of opts->schema, NULL when none; owned */
    char *home;     /* home_schema read by describe(), NULL before; owned */
    const od_backend *backend;
    char quote;          /* identifier quote character; 0: the backend quotes none */
    int backslashes;     /* literals need their backslashes escaped */
    int strings_escape;  /* PostgreSQL with standard_conforming_strings off */
    SQLUSMALLINT txn;    /* SQL_TXN_CAPABLE */
    SQLUINTEGER schemas; /* SQL_SCHEMA_USAGE */
    char dbms_name[OD_INFO_MAX];
    char dbms_ver[OD_INFO_MAX];
    char driver_name[OD_INFO_MAX];
    char driver_ver[OD_INFO_MAX];
    char dialect[OD_DIALECT_MAX]; /* for a backend of kind OD_OTHER */
};

/* Text output with the snprintf convention: counts everything, stores what fits. */
typedef struct od_buf {
    char *out;
    size_t size;
    size_t len;
} od_buf;

/* One result column's value, its buffer grown as long values need; buf owned by the query. */
typedef struct od_col {
    char *buf;
    size_t cap;
} od_col;

/* The core's services, set by strata_driver_entry(). */
static const strata_host *od_host;

/* Appends ch (snprintf convention): counts it always, stores it while room is left. */
static void
od_put(od_buf *b, char ch)
{
    if (b->len + 1 < b->size)
        b->out[b->len] = ch;
    b->len++;
}

/* Ends b's text with a NUL (when size allows) and returns its full length. */
static size_t
od_end_buf(od_buf *b)
{
    if (b->size > 0)
        b->out[b->len < b->size ? b->len : b->size - 1] = '\0';
    return b->len;
}

/* ---- backends ---- */

static const char *const od_sqlite_names[] = {"SQLite", NULL};
static const char *const od_sqlite_aliases[] = {"sqlite3", NULL};
static const char *const od_postgres_names[] = {"PostgreSQL", NULL};
static const char *const od_postgres_aliases[] = {"postgresql", "pg", NULL};
static const char *const od_mysql_names[] = {"MySQL", "MariaDB", NULL};
static const char *const od_mysql_aliases[] = {"mariadb", NULL};

/* These cannot take effect inside a transaction in SQLite (as strata's SQLite driver). */
static const char *const od_sqlite_no_transaction[] = {
    "VACUUM",
    "PRAGMA journal_mode",
    "PRAGMA foreign_keys",
    NULL,
};

/* Statements PostgreSQL refuses inside a transaction block, as strata's PostgreSQL driver
 * lists them (see drivers/postgres/postgres.c for how each was checked). */
static const char *const od_postgres_no_transaction[] = {
    "CREATE INDEX CONCURRENTLY",
    "CREATE UNIQUE INDEX CONCURRENTLY",
    "DROP INDEX CONCURRENTLY",
    "REINDEX * CONCURRENTLY",
    "REINDEX ( ... ) * CONCURRENTLY",
    "REINDEX ( ... CONCURRENTLY )",
    "REINDEX ( ... CONCURRENTLY , ... )",
    "REINDEX ( ... CONCURRENTLY TRUE ... )",
    "REINDEX ( ... CONCURRENTLY ON ... )",
    "REINDEX ( ... CONCURRENTLY 1 ... )",
    "REINDEX SCHEMA",
    "REINDEX DATABASE",
    "REINDEX SYSTEM",
    "REINDEX ( ... ) SCHEMA",
    "REINDEX ( ... ) DATABASE",
    "REINDEX ( ... ) SYSTEM",
    "VACUUM",
    "CLUSTER $",
    "CLUSTER VERBOSE $",
    "CREATE DATABASE",
    "DROP DATABASE",
    "ALTER DATABASE * SET TABLESPACE",
    "ALTER SYSTEM",
    "CREATE TABLESPACE",
    "DROP TABLESPACE",
    "ALTER TABLE ... DETACH PARTITION * CONCURRENTLY",
    "CREATE SUBSCRIPTION",
    "DROP SUBSCRIPTION",
    "ALTER SUBSCRIPTION * REFRESH PUBLICATION",
    "ALTER SUBSCRIPTION * SET PUBLICATION",
    "ALTER SUBSCRIPTION * ADD PUBLICATION",
    "ALTER SUBSCRIPTION * DROP PUBLICATION",
    "DISCARD ALL",
    "COMMIT PREPARED",
    "ROLLBACK PREPARED",
    NULL,
};

/*
 * The lexer rules are those of strata's own drivers. PostgreSQL keeps COPY_STDIN although
 * this driver has no copy_in(): the splitter then keeps a COPY's data with its statement
 * and the core refuses it by name, instead of running the data lines as SQL.
 */
static const od_backend od_backends[] = {
    {
        .kind = OD_SQLITE,
        .dbms_names = od_sqlite_names,
        .dialect = "sqlite",
        .aliases = od_sqlite_aliases,
        .caps = STRATA_CAP_TRANSACTIONAL_DDL,
        .lexer_rules = STRATA_LEX_BRACKETS | STRATA_LEX_BACKTICKS,
        .no_transaction = od_sqlite_no_transaction,
        .types =
            {
                [STRATA_TYPE_STRING] = "TEXT",
                [STRATA_TYPE_TEXT] = "TEXT",
                [STRATA_TYPE_INTEGER] = "INTEGER",
                [STRATA_TYPE_BIGINT] = "INTEGER",
                [STRATA_TYPE_TIMESTAMP] = "TEXT",
                [STRATA_TYPE_SERIAL] = "INTEGER PRIMARY KEY AUTOINCREMENT",
            },
    },
    {
        .kind = OD_POSTGRES,
        .dbms_names = od_postgres_names,
        .dialect = "postgres",
        .aliases = od_postgres_aliases,
        .caps = STRATA_CAP_TRANSACTIONAL_DDL | STRATA_CAP_SCHEMAS,
        .lexer_rules = STRATA_LEX_DOLLAR_QUOTES | STRATA_LEX_E_STRINGS |
                       STRATA_LEX_NESTED_COMMENTS | STRATA_LEX_COPY_STDIN | STRATA_LEX_PSQL_META |
                       STRATA_LEX_ATOMIC_BLOCKS | STRATA_LEX_PARENS | STRATA_LEX_STD_STRINGS,
        .no_transaction = od_postgres_no_transaction,
        .types = {[STRATA_TYPE_TEXT] = "TEXT"},
    },
    {
        .kind = OD_MYSQL,
        .dbms_names = od_mysql_names,
        .dialect = "mysql",
        .aliases = od_mysql_aliases,
        .caps = STRATA_CAP_SCHEMAS,
        .lexer_rules = STRATA_LEX_BACKTICKS | STRATA_LEX_HASH_COMMENTS |
                       STRATA_LEX_BACKSLASH_ESCAPES | STRATA_LEX_DELIMITER | STRATA_LEX_BLOCKS |
                       STRATA_LEX_EXEC_COMMENTS | STRATA_LEX_DASH_NEEDS_SPACE,
        .types =
            {
                [STRATA_TYPE_TEXT] = "TEXT",
                [STRATA_TYPE_TIMESTAMP] = "DATETIME",
                [STRATA_TYPE_SERIAL] = "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
            },
        .table_options = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    },
};

/* Any other backend: standard spellings; caps and dialect come from SQLGetInfo(). */
static const od_backend od_other = {.kind = OD_OTHER};

/* The known backend whose name SQL_DBMS_NAME starts with, else od_other. */
static const od_backend *
od_backend_for(const char *dbms_name)
{
    size_t i, k;

    for (i = 0; i < sizeof(od_backends) / sizeof(od_backends[0]); i++) {
        for (k = 0; od_backends[i].dbms_names[k] != NULL; k++) {
            const char *name = od_backends[i].dbms_names[k];

            if (strncasecmp(dbms_name, name, strlen(name)) == 0)
                return &od_backends[i];
        }
    }
    return &od_other;
}

/* A dialect name for another backend: SQL_DBMS_NAME lower-cased, each run of other
 * characters than letters and digits made one '_' ("Microsoft SQL Server" →
 * "microsoft_sql_server"); "odbc" when nothing is left. */
static void
od_dialect_name(const char *dbms_name, char *out, size_t size)
{
    size_t n = 0;
    int gap = 0;

    for (; *dbms_name != '\0' && n + 2 < size; dbms_name++) {
        unsigned char ch = (unsigned char)*dbms_name;

        if (ch < 0x80 && isalnum(ch)) {
            if (gap && n > 0)
                out[n++] = '_';
            out[n++] = (char)tolower(ch);
            gap = 0;
        } else {
            gap = 1;
        }
    }
    out[n] = '\0';
    if (n == 0)
        snprintf(out, size, "odbc");
}

/* ---- errors ---- */

/* Removes from the end of s the white space and one ';' before it, if any. */
static void
od_trim_end(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == ';')
        s[--n] = '\0';
}

/*
 * Makes one diagnostic message read as the database's own words: drops the "[vendor]
 * [component]" prefixes of ODBC, the "ERROR:" of PostgreSQL's severity, the line
 * psqlodbc appends to every failed statement, and a trailing " (N)" repeating the native
 * code (SQLite). Returns where the message starts inside msg.
 */
static char *
od_tidy(char *msg, long native)
{
    char tail[32], *nl;
    size_t n, t;

    while (msg[0] == '[' && strchr(msg, ']') != NULL && strchr(msg, ']')[1] != '\0')
        msg = strchr(msg, ']') + 1;
    if (strncmp(msg, "ERROR:", 6) == 0)
        msg += 6 + strspn(msg + 6, " ");
    nl = strstr(msg, "\n" OD_PSQLODBC_TRAILER);
    if (nl != NULL && nl[1 + strlen(OD_PSQLODBC_TRAILER)] == '\0')
        *nl = '\0';
    od_trim_end(msg);
    snprintf(tail, sizeof(tail), " (%ld)", native);
    n = strlen(msg);
    t = strlen(tail);
    if (n > t && strcmp(msg + n - t, tail) == 0)
        msg[n - t] = '\0';
    return msg;
}

/* The diagnostic records of a handle: the first one's SQLSTATE and native code, every
 * one's message. */
typedef struct od_diag {
    char state[6];
    long native;
    char text[OD_DIAG_TEXT]; /* every record's message, one a line, the first first */
    int found;               /* the handle had at least one record */
} od_diag;

/* Gathers the diagnostic records of handle (of type) into *d. */
static void
od_diag_read(SQLSMALLINT type, SQLHANDLE handle, od_diag *d)
{
    SQLCHAR state[6], msg[SQL_MAX_MESSAGE_LENGTH + 1];
    SQLINTEGER native;
    SQLSMALLINT len;
    size_t used = 0;
    SQLSMALLINT i;

    memset(d, 0, sizeof(*d));
    for (i = 1; i <= OD_DIAG_RECORDS; i++) {
        msg[0] = '\0';
        if (!SQL_SUCCEEDED(SQLGetDiagRec(type, handle, i, state, &native, msg, sizeof(msg), &len)))
            break;
        if (i == 1) {
            memcpy(d->state, state, sizeof(d->state));
            d->state[5] = '\0';
            d->native = native;
            d->found = 1;
        }
        if (used + 1 < sizeof(d->text)) {
            int n = snprintf(d->text + used, sizeof(d->text) - used, "%s%s", i > 1 ? "\n" : "",
                             od_tidy((char *)msg, native));

            used += n < 0 ? 0 : (size_t)n;
        }
    }
}

static int od_error(strata_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills err (may be NULL) through the host with status and a printf-style message;
 * returns status. */
static int
od_error(strata_error *err, int status, const char *fmt, ...)
{
    char msg[sizeof(err->message)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    od_host->set_error(err, status, "%s", msg);
    return status;
}

/*
 * Fills err from the diagnostics d: the first record's SQLSTATE and native code, what
 * (may be NULL) before its message, the further records in the detail; hint may be NULL.
 * Returns status.
 */
static int
od_report(const od_diag *d, int status, const char *what, const char *hint, strata_error *err)
{
    char text[OD_DIAG_TEXT + 256];

    if (err == NULL)
        return status;
    snprintf(text, sizeof(text), "%s%s%s", what != NULL ? what : "", what != NULL ? ": " : "",
             d->found ? d->text : "the ODBC driver gave no reason");
    return od_host->db_error(err, status, d->found && d->state[0] != '\0' ? d->state : NULL,
                             d->native, 0, text, hint);
}

/* Fills err from the diagnostic records of handle (of type); see od_report(). */
static int
od_fail(SQLSMALLINT type, SQLHANDLE handle, int status, const char *what, strata_error *err)
{
    od_diag d;

    od_diag_read(type, handle, &d);
    return od_report(&d, status, what, NULL, err);
}

/*
 * Whether a failed query's first diagnostic names a table or schema that is not there, as
 * the backends' ODBC drivers report it: 42S02 (ODBC's "base table not found": MariaDB's
 * 1146 and most drivers), 42P01 and 3F000 (PostgreSQL), 42000 with MySQL's 1049 (unknown
 * database) or 1146, and SQLite's HY000 with code 1 and "no such table". A corrupt or
 * unreadable file (SQLite codes 11 and 26) and a lost connection are not.
 */
static int
od_not_found(const strata_conn *c, const od_diag *d)
{
    if (strcmp(d->state, "42S02") == 0 || strcmp(d->state, "42P01") == 0 ||
        strcmp(d->state, "3F000") == 0)
        return 1;
    if (c->backend->kind == OD_MYSQL)
        return d->native == 1049 || d->native == 1146;
    if (c->backend->kind == OD_SQLITE)
        return d->native == 1 && strstr(d->text, "no such table") != NULL;
    return 0;
}

/* Fills err from the statement handle after a failed query(): STRATA_NOT_FOUND for a
 * missing table or schema, else STRATA_ERROR. */
static int
od_query_fail(strata_conn *c, strata_error *err)
{
    od_diag d;

    od_diag_read(SQL_HANDLE_STMT, c->stmt, &d);
    return od_report(&d, od_not_found(c, &d) ? STRATA_NOT_FOUND : STRATA_ERROR, NULL, NULL, err);
}

/* ---- the connection string ---- */

/* Overwrites and frees s, which may hold a password. */
static void
od_wipe_free(char *s)
{
    volatile char *p = s;

    if (s == NULL)
        return;
    while (*p != '\0')
        *p++ = '\0';
    free(s);
}

/*
 * The connection string for SQLDriverConnect(): text itself when it holds a '=', else
 * "DSN=text". *out is the caller's, to free with od_wipe_free().
 */
static int
od_conn_string(const char *text, char **out, strata_error *err)
{
    size_t n = strlen(text);

    *out = malloc(n + sizeof("DSN="));
    if (*out == NULL)
        return od_error(err, STRATA_ERROR, "cannot connect: out of memory");
    if (strchr(text, '=') != NULL)
        memcpy(*out, text, n + 1);
    else
        snprintf(*out, n + sizeof("DSN="), "DSN=%s", text);
    return STRATA_OK;
}

/* Appends ch to out (size bytes, may be NULL to skip) at *n; clears *fits when it cannot. */
static void
od_cs_put(char *out, size_t size, size_t *n, char ch, int *fits)
{
    if (out == NULL)
        return;
    if (*n + 1 < size)
        out[(*n)++] = ch;
    else
        *fits = 0;
}

/*
 * Reads the value at p of an ODBC connection string, "{braced}" ("}}" standing for '}') or
 * up to the next ';', into out (NULL: skipped). Returns where the value ends.
 */
static const char *
od_cs_read(const char *p, char *out, size_t size, int *fits)
{
    size_t n = 0;

    p += strspn(p, " ");
    if (*p == '{') {
        for (p++; *p != '\0'; p++) {
            if (*p == '}' && *++p != '}')
                break;
            od_cs_put(out, size, &n, *p, fits);
        }
    } else {
        for (; *p != '\0' && *p != ';'; p++)
            od_cs_put(out, size, &n, *p, fits);
    }
    if (out != NULL && size > 0)
        out[n] = '\0';
    return p;
}

/*
 * Finds the first value of key (ignoring case) in the ODBC connection string cs and copies
 * it into out. Returns 1 when found and it fits, else 0.
 */
static int
od_cs_value(const char *cs, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key), n;
    const char *p = cs, *eq;
    int match, fits = 1;

    for (;;) {
        p += strspn(p, " ;");
        eq = strchr(p, '=');
        if (*p == '\0' || eq == NULL)
            return 0;
        for (n = (size_t)(eq - p); n > 0 && p[n - 1] == ' '; n--)
            ;
        match = n == klen && strncasecmp(p, key, klen) == 0;
        p = od_cs_read(eq + 1, match ? out : NULL, size, &fits);
        if (match)
            return fits;
    }
}

/* Whether the n-byte key at k names a secret: it holds "pwd", "pass", "secret" or "token",
 * ignoring case (Pwd, Password, SSLPassword, TLSKeyPwd, ...). */
static int
od_secret_key(const char *k, size_t n)
{
    static const char *const words[] = {"pwd", "pass", "secret", "token", NULL};
    size_t i, w, len;

    for (w = 0; words[w] != NULL; w++) {
        len = strlen(words[w]);
        for (i = 0; i + len <= n; i++) {
            if (strncasecmp(k + i, words[w], len) == 0)
                return 1;
        }
    }
    return 0;
}

/* Appends the n bytes at s. */
static void
od_puts(od_buf *b, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        od_put(b, s[i]);
}

/*
 * Writes text, a connection string or a DSN name, with the value of every key naming a
 * secret replaced by "***" (snprintf convention). Pairs are read as SQLDriverConnect()
 * reads them, split at ';' outside braces, so "Pwd={a;b c}" is hidden whole: a redactor
 * for URLs, splitting at blanks and ';' and knowing no braces, would show part of it.
 */
static size_t
od_redact(const char *text, char *out, size_t size)
{
    od_buf b = {out, size, 0};
    const char *p = text, *eq, *end;
    size_t n;
    int fits;

    while (*p != '\0') {
        n = strspn(p, ";");
        od_puts(&b, p, n);
        p += n;
        n = strcspn(p, ";");
        eq = memchr(p, '=', n);
        if (eq == NULL) {
            od_puts(&b, p, n);
            p += n;
            continue;
        }
        end = od_cs_read(eq + 1, NULL, 0, &fits);
        if (od_secret_key(p, (size_t)(eq - p))) {
            od_puts(&b, p, (size_t)(eq + 1 - p));
            od_puts(&b, "***", 3);
        } else {
            od_puts(&b, p, (size_t)(end - p));
        }
        p = end;
    }
    return od_end_buf(&b);
}

/* Whether hay holds needle, ignoring ASCII case. */
static int
od_contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay != '\0'; hay++) {
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    }
    return 0;
}

/*
 * opts->must_exist for SQLite: the SQLite ODBC driver creates a missing Database= file, so
 * a connection string whose Driver= names SQLite and whose file is missing is refused
 * before connecting. A DSN is not looked into: its Database= is in odbc.ini (set
 * NoCreat=1 there).
 */
static int
od_check_exists(const strata_conn *c, const char *cs, strata_error *err)
{
    char driver[OD_INFO_MAX], path[OD_PATH_MAX];
    struct stat st;

    if (!od_cs_value(cs, "Driver", driver, sizeof(driver)) ||
        !od_contains_nocase(driver, "sqlite") || !od_cs_value(cs, "Database", path, sizeof(path)))
        return STRATA_OK;
    if (path[0] == '\0' || path[0] == ':' || strncmp(path, "file:", 5) == 0)
        return STRATA_OK;
    if (stat(path, &st) == 0 || errno != ENOENT)
        return STRATA_OK;
    return od_error(err, STRATA_ERROR,
                    "%s: the SQLite database file %s does not exist, and this command does not "
                    "create it",
                    c->redacted, path);
}

/* ---- statements ---- */

/* Closes the statement's cursor and any results left, so the handle can run the next. */
static void
od_done(strata_conn *c)
{
    SQLFreeStmt(c->stmt, SQL_CLOSE);
}

/* Reads the results after the first (several statements in one text), stopping at the
 * first that failed. */
static int
od_drain(strata_conn *c, strata_error *err)
{
    SQLRETURN r;

    while ((r = SQLMoreResults(c->stmt)) != SQL_NO_DATA) {
        if (!SQL_SUCCEEDED(r))
            return od_fail(SQL_HANDLE_STMT, c->stmt, STRATA_ERROR, NULL, err);
    }
    return STRATA_OK;
}

/* Runs sql (len bytes, NUL-terminated at sql[len]); a statement that touched no rows
 * (SQL_NO_DATA) succeeded. */
static int
od_exec(strata_conn *c, const char *sql, size_t len, strata_error *err)
{
    const char *nul = memchr(sql, '\0', len);
    SQLRETURN r;
    int rc = STRATA_OK;

    if (nul != NULL)
        return od_error(err, STRATA_USAGE, "the SQL text holds a NUL byte at offset %zu",
                        (size_t)(nul - sql));
    if (len > INT32_MAX)
        return od_error(err, STRATA_USAGE, "SQL text of %zu bytes is too long for ODBC", len);
    r = SQLExecDirect(c->stmt, (SQLCHAR *)sql, (SQLINTEGER)len);
    if (r != SQL_NO_DATA && !SQL_SUCCEEDED(r))
        rc = od_fail(SQL_HANDLE_STMT, c->stmt, STRATA_ERROR, NULL, err);
    else if (r != SQL_NO_DATA)
        rc = od_drain(c, err);
    od_done(c);
    return rc;
}

/* Runs a NUL-terminated statement of the driver's own. */
static int
od_run(strata_conn *c, const char *sql, strata_error *err)
{
    return od_exec(c, sql, strlen(sql), err);
}

/* Whether the last SQLGetData() left data behind (SQLSTATE 01004). */
static int
od_truncated(strata_conn *c)
{
    SQLCHAR state[6] = "";
    SQLCHAR msg[8];
    SQLINTEGER native;
    SQLSMALLINT len;

    SQLGetDiagRec(SQL_HANDLE_STMT, c->stmt, 1, state, &native, msg, sizeof(msg), &len);
    return strcmp((char *)state, "01004") == 0;
}

/* Makes col->buf hold at least need bytes; returns -1 when memory runs out. */
static int
od_col_grow(od_col *col, size_t need)
{
    size_t cap = col->cap > 0 ? col->cap : OD_COL_INITIAL;
    char *buf;

    if (need <= col->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    buf = realloc(col->buf, cap);
    if (buf == NULL)
        return -1;
    col->buf = buf;
    col->cap = cap;
    return 0;
}

/*
 * Reads column i (1-based) of the current row as text into col, SQLGetData() after
 * SQLGetData() while the driver says the value was cut (01004); *value points at col->buf,
 * or is NULL for SQL NULL.
 */
static int
od_get_col(strata_conn *c, SQLUSMALLINT i, od_col *col, const char **value, strata_error *err)
{
    size_t have = 0, need;
    SQLLEN ind = 0;
    SQLRETURN r;

    for (;;) {
        if (od_col_grow(col, have + OD_COL_INITIAL) != 0)
            return od_error(err, STRATA_ERROR, "out of memory reading column %u", (unsigned)i);
        r = SQLGetData(c->stmt, i, SQL_C_CHAR, col->buf + have, (SQLLEN)(col->cap - have), &ind);
        if (r == SQL_NO_DATA)
            break; /* the calls before read all of it */
        if (!SQL_SUCCEEDED(r))
            return od_query_fail(c, err);
        if (ind == SQL_NULL_DATA) {
            *value = NULL;
            return STRATA_OK;
        }
        if (r == SQL_SUCCESS || !od_truncated(c)) {
            if (ind >= 0)
                have += (size_t)ind < col->cap - have ? (size_t)ind : col->cap - have - 1;
            break;
        }
        /* cut: all but the NUL of the room came; ind, when known, is what was left */
        need = ind >= 0 ? have + (size_t)ind + 1 : col->cap * 2;
        have = col->cap - 1;
        if (od_col_grow(col, need) != 0)
            return od_error(err, STRATA_ERROR, "out of memory reading column %u", (unsigned)i);
    }
    col->buf[have] = '\0';
    *value = col->buf;
    return STRATA_OK;
}

/* Frees the n column buffers of a query and the arrays themselves. */
static void
od_cols_free(od_col *cols, const char **values, SQLSMALLINT n)
{
    SQLSMALLINT i;

    for (i = 0; cols != NULL && i < n; i++)
        free(cols[i].buf);
    free(cols);
    free(values);
}

/* Fetches every row of the open result and hands it to fn (NULL: rows are read and
 * dropped), until fn asks to stop. */
static int
od_rows(strata_conn *c, SQLSMALLINT ncols, strata_row_fn fn, void *ctx, strata_error *err)
{
    od_col *cols = calloc((size_t)ncols, sizeof(*cols));          /* freed below */
    const char **values = calloc((size_t)ncols, sizeof(*values)); /* freed below */
    SQLSMALLINT i;
    SQLRETURN r;
    int rc = STRATA_OK;

    if (cols == NULL || values == NULL) {
        rc = od_error(err, STRATA_ERROR, "out of memory for %d result columns", (int)ncols);
        goto cleanup;
    }
    while ((r = SQLFetch(c->stmt)) != SQL_NO_DATA) {
        if (!SQL_SUCCEEDED(r)) {
            rc = od_query_fail(c, err);
            goto cleanup;
        }
        for (i = 0; i < ncols; i++) {
            rc = od_get_col(c, (SQLUSMALLINT)(i + 1), &cols[i], &values[i], err);
            if (rc != STRATA_OK)
                goto cleanup;
        }
        if (fn != NULL && fn(ctx, ncols, values) != 0)
            goto cleanup;
    }
cleanup:
    od_cols_free(cols, values, ncols);
    return rc;
}

/* Runs one statement and hands each row to fn as text; see od_not_found() for what makes
 * STRATA_NOT_FOUND. */
static int
od_query(strata_conn *c, const char *sql, strata_row_fn fn, void *ctx, strata_error *err)
{
    SQLSMALLINT ncols = 0;
    SQLRETURN r;
    int rc = STRATA_OK;

    r = SQLExecDirect(c->stmt, (SQLCHAR *)sql, SQL_NTS);
    if (r == SQL_NO_DATA)
        goto cleanup;
    if (!SQL_SUCCEEDED(r)) {
        rc = od_query_fail(c, err);
        goto cleanup;
    }
    r = SQLNumResultCols(c->stmt, &ncols);
    if (!SQL_SUCCEEDED(r))
        rc = od_query_fail(c, err);
    else if (ncols > 0)
        rc = od_rows(c, ncols, fn, ctx, err);
cleanup:
    od_done(c);
    return rc;
}

/* ---- transactions ---- */

/* Turns autocommit on or off; what names the step for the message. */
static int
od_autocommit(strata_conn *c, int on, const char *what, strata_error *err)
{
    SQLULEN value = on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF;
    SQLRETURN r =
        SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)value, SQL_IS_UINTEGER);

    if (!SQL_SUCCEEDED(r))
        return od_fail(SQL_HANDLE_DBC, c->dbc, STRATA_ERROR, what, err);
    return STRATA_OK;
}

/* Ends the transaction (SQL_COMMIT or SQL_ROLLBACK) and goes back to autocommit. A failed
 * commit leaves autocommit off: turning it on would commit whatever is still open, and the
 * core rolls back next. */
static int
od_end(strata_conn *c, SQLSMALLINT how, const char *what, strata_error *err)
{
    SQLRETURN r = SQLEndTran(SQL_HANDLE_DBC, c->dbc, how);

    if (!SQL_SUCCEEDED(r))
        return od_fail(SQL_HANDLE_DBC, c->dbc, STRATA_ERROR, what, err);
    return od_autocommit(c, 1, what, err);
}

/* The transaction starts with the next statement, as ODBC starts one. */
static int
od_begin(strata_conn *c, strata_error *err)
{
    return od_autocommit(c, 0, "cannot begin a transaction", err);
}

static int
od_commit(strata_conn *c, strata_error *err)
{
    return od_end(c, SQL_COMMIT, "cannot commit", err);
}

/* Harmless when no transaction is open: SQLEndTran() in autocommit mode does nothing. */
static int
od_rollback(strata_conn *c, strata_error *err)
{
    return od_end(c, SQL_ROLLBACK, "cannot roll back", err);
}

/* ---- quoting ---- */

/* Appends in between q quotes, doubling every q inside, and every backslash too when
 * backslashes is set. */
static void
od_quote(od_buf *b, const char *in, char q, int backslashes)
{
    od_put(b, q);
    for (; *in != '\0'; in++) {
        if (*in == q || (backslashes && *in == '\\'))
            od_put(b, *in);
        od_put(b, *in);
    }
    od_put(b, q);
}

/* Whether in is a plain name that needs no quotes: a letter or '_', then letters, digits
 * and '_'. */
static int
od_plain_name(const char *in)
{
    const char *p;

    if (!(isalpha((unsigned char)in[0]) || in[0] == '_'))
        return 0;
    for (p = in; *p != '\0'; p++) {
        if ((unsigned char)*p >= 0x80 || !(isalnum((unsigned char)*p) || *p == '_'))
            return 0;
    }
    return 1;
}

/*
 * Quotes with SQL_IDENTIFIER_QUOTE_CHAR ('"', '`' for MySQL), doubling it inside. A
 * backend that quotes no identifiers takes plain names as they are and refuses the rest.
 */
static size_t
od_quote_ident(strata_conn *c, const char *in, char *out, size_t size)
{
    od_buf b = {out, size, 0};
    size_t n;

    if (in == NULL)
        return (size_t)-1;
    if (c->quote == '\0') {
        if (!od_plain_name(in))
            return (size_t)-1;
        n = strlen(in);
        if (size > 0)
            snprintf(out, size, "%s", in);
        return n;
    }
    od_quote(&b, in, c->quote, 0);
    return od_end_buf(&b);
}

/*
 * '...' with ' doubled. MySQL without NO_BACKSLASH_ESCAPES also doubles backslashes; on
 * PostgreSQL a value holding a backslash becomes E'...' with backslashes doubled, which
 * reads back the same whatever standard_conforming_strings is.
 */
static size_t
od_quote_literal(strata_conn *c, const char *in, char *out, size_t size)
{
    od_buf b = {out, size, 0};

    if (in == NULL)
        return (size_t)-1;
    if (c->backend->kind == OD_POSTGRES && strchr(in, '\\') != NULL) {
        od_put(&b, 'E');
        od_quote(&b, in, '\'', 1);
    } else {
        od_quote(&b, in, '\'', c->backend->kind == OD_MYSQL && c->backslashes);
    }
    return od_end_buf(&b);
}

/* Returns in quoted by quote() in a new string the caller frees; NULL when out of memory
 * or in cannot be quoted. */
static char *
od_quoted(size_t (*quote)(strata_conn *, const char *, char *, size_t), strata_conn *c,
          const char *in)
{
    size_t n = quote(c, in, NULL, 0);
    char *out;

    if (n == (size_t)-1 || (out = malloc(n + 1)) == NULL)
        return NULL;
    quote(c, in, out, n + 1);
    return out;
}

/* ---- connections ---- */

/* The options member, when the core's struct has it; else none. */
#define OD_OPT(opts, member, none)                                                                 \
    ((opts) != NULL &&                                                                             \
             (opts)->size >= offsetof(strata_connect_options, member) + sizeof((opts)->member)     \
         ? (opts)->member                                                                          \
         : (none))

/* Copies a string SQLGetInfo() answer into out; "" when the driver has none. */
static void
od_info(strata_conn *c, SQLUSMALLINT key, char *out, size_t size)
{
    SQLSMALLINT len = 0;

    if (!SQL_SUCCEEDED(SQLGetInfo(c->dbc, key, out, (SQLSMALLINT)size, &len)))
        out[0] = '\0';
    out[size - 1] = '\0';
}

/* Asks the driver what the backend is; picks its dialect and quoting. */
static void
od_identify(strata_conn *c)
{
    char quote[8];

    od_info(c, SQL_DBMS_NAME, c->dbms_name, sizeof(c->dbms_name));
    od_info(c, SQL_DBMS_VER, c->dbms_ver, sizeof(c->dbms_ver));
    od_info(c, SQL_DRIVER_NAME, c->driver_name, sizeof(c->driver_name));
    od_info(c, SQL_DRIVER_VER, c->driver_ver, sizeof(c->driver_ver));
    od_info(c, SQL_IDENTIFIER_QUOTE_CHAR, quote, sizeof(quote));
    if (!SQL_SUCCEEDED(SQLGetInfo(c->dbc, SQL_TXN_CAPABLE, &c->txn, sizeof(c->txn), NULL)))
        c->txn = SQL_TC_NONE;
    if (!SQL_SUCCEEDED(SQLGetInfo(c->dbc, SQL_SCHEMA_USAGE, &c->schemas, sizeof(c->schemas), NULL)))
        c->schemas = 0;
    /* "" when the driver does not say: the standard '"'; " " when it quotes nothing */
    c->quote = quote[0] == '\0' ? '"' : quote[0] == ' ' ? '\0' : quote[0];
    c->backend = od_backend_for(c->dbms_name);
    c->backslashes = c->backend->kind == OD_MYSQL;
    od_dialect_name(c->dbms_name, c->dialect, sizeof(c->dialect));
}

/* The hint for a failed connect, by its SQLSTATE; NULL when there is none to give. */
static const char *
od_connect_hint(const od_diag *d)
{
    if (strcmp(d->state, "IM002") == 0)
        return "no such DSN or ODBC driver: `odbcinst -q -s` lists the DSNs, `odbcinst -q -d` "
               "the drivers (use the name in brackets as Driver=)";
    if (strcmp(d->state, "01000") == 0 || strcmp(d->state, "IM003") == 0)
        return "no ODBC driver is registered under that name, or its library cannot be loaded: "
               "`odbcinst -q -d` lists the drivers (use the name in brackets as Driver=); check "
               "the library's path in odbcinst.ini";
    return NULL;
}

/* Connects c->dbc with the connection string cs and allocates the statement handle. */
static int
od_open(strata_conn *c, const char *cs, long timeout_ms, strata_error *err)
{
    SQLULEN timeout_s = timeout_ms > 0 ? (SQLULEN)((timeout_ms + 999) / 1000) : 0;
    char what[sizeof(err->message)];
    od_diag d;
    SQLRETURN r;

    snprintf(what, sizeof(what), "cannot connect"); /* the core names the redacted URL */
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c->env)))
        return od_error(err, STRATA_ERROR, "%s: the ODBC driver manager cannot start", what);
    if (!SQL_SUCCEEDED(SQLSetEnvAttr(c->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0)) ||
        !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, c->env, &c->dbc)))
        return od_fail(SQL_HANDLE_ENV, c->env, STRATA_ERROR, what, err);
    if (timeout_s > 0)
        SQLSetConnectAttr(c->dbc, SQL_ATTR_LOGIN_TIMEOUT, (SQLPOINTER)timeout_s, SQL_IS_UINTEGER);
    r = SQLDriverConnect(c->dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0, NULL, SQL_DRIVER_NOPROMPT);
    if (!SQL_SUCCEEDED(r)) {
        od_diag_read(SQL_HANDLE_DBC, c->dbc, &d);
        return od_report(&d, STRATA_ERROR, what, od_connect_hint(&d), err);
    }
    c->connected = 1;
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &c->stmt)))
        return od_fail(SQL_HANDLE_DBC, c->dbc, STRATA_ERROR, what, err);
    /* Migrations are the backend's own SQL, not ODBC escape syntax: no {fn ...} rewriting. */
    SQLSetStmtAttr(c->stmt, SQL_ATTR_NOSCAN, (SQLPOINTER)SQL_NOSCAN_ON, 0);
    return STRATA_OK;
}

/* Creates the schema if missing and makes it the search_path (PostgreSQL). */
static int
od_use_schema(strata_conn *c, const char *schema, strata_error *err)
{
    char *ident = od_quoted(od_quote_ident, c, schema); /* freed below */
    char *sql = NULL;                                   /* freed below */
    size_t size;
    int rc;

    if (ident == NULL)
        return od_error(err, STRATA_USAGE, "the schema name \"%.200s\" cannot be quoted", schema);
    size = strlen(ident) + sizeof("CREATE SCHEMA IF NOT EXISTS ");
    sql = malloc(size);
    if (sql == NULL) {
        rc = od_error(err, STRATA_ERROR, "out of memory");
        goto cleanup;
    }
    snprintf(sql, size, "CREATE SCHEMA IF NOT EXISTS %s", ident);
    rc = od_run(c, sql, err);
    if (rc != STRATA_OK)
        goto cleanup;
    snprintf(sql, size, "SET search_path TO %s", ident);
    rc = od_run(c, sql, err);
cleanup:
    free(sql);
    free(ident);
    return rc;
}

/*
 * Prepares the session as strata's own drivers do: on PostgreSQL, DateStyle ISO (TIMESTAMP
 * columns read back as the core wrote them) and the schema when one is given, created when
 * missing and made the search path. Other backends stay where the connection string put
 * them: the core names its tables in the schema (a MySQL database) itself.
 */
static int
od_setup(strata_conn *c, const char *schema, strata_error *err)
{
    int rc = STRATA_OK;

    if (c->backend->kind == OD_POSTGRES)
        rc = od_run(c, "SET DateStyle = ISO", err);
    if (rc != STRATA_OK || schema == NULL || schema[0] == '\0')
        return rc;
    if (c->backend->kind == OD_POSTGRES)
        return od_use_schema(c, schema, err);
    return STRATA_OK;
}

/* Rolls back what is open, disconnects and frees c. */
static void
od_close(strata_conn *c)
{
    if (c == NULL)
        return;
    if (c->stmt != NULL)
        SQLFreeHandle(SQL_HANDLE_STMT, c->stmt);
    if (c->connected) {
        SQLEndTran(SQL_HANDLE_DBC, c->dbc, SQL_ROLLBACK);
        SQLDisconnect(c->dbc);
    }
    if (c->dbc != NULL)
        SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
    if (c->env != NULL)
        SQLFreeHandle(SQL_HANDLE_ENV, c->env);
    free(c->redacted);
    free(c->schema);
    free(c->home);
    free(c);
}

/*
 * Copies what connect() keeps of url and opts into c: the schema, and the URL for messages
 * as od_redact() hides its secrets (the core's redaction does the same; the driver does not
 * depend on it).
 */
static int
od_keep(strata_conn *c, const strata_url *url, const strata_connect_options *opts,
        strata_error *err)
{
    const char *schema = OD_OPT(opts, schema, NULL);
    const char *scheme = url->scheme != NULL ? url->scheme : "odbc";
    size_t n = strlen(scheme) + 1 + od_redact(url->opaque, NULL, 0) + 1;

    c->redacted = malloc(n); /* owned by c */
    if (c->redacted != NULL) {
        snprintf(c->redacted, n, "%s:", scheme);
        od_redact(url->opaque, c->redacted + strlen(scheme) + 1, n - strlen(scheme) - 1);
    }
    if (schema != NULL)
        c->schema = strdup(schema);
    if (c->redacted == NULL || (schema != NULL && c->schema == NULL))
        return od_error(err, STRATA_ERROR, "cannot connect: out of memory");
    return STRATA_OK;
}

/* Connects to url->opaque (a connection string or a DSN); *out is the caller's until
 * od_close(). */
static int
od_connect(const strata_url *url, const strata_connect_options *opts, strata_conn **out,
           strata_error *err)
{
    strata_conn *c = NULL;
    char *cs = NULL; /* holds the password: wiped and freed below */
    int rc;

    *out = NULL;
    if (url == NULL || url->opaque == NULL || url->opaque[0] == '\0')
        return od_error(err, STRATA_USAGE,
                        "the odbc URL names no connection string or DSN: odbc:Driver=NAME;... "
                        "or odbc:DSN");
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return od_error(err, STRATA_ERROR, "cannot connect: out of memory");
    rc = od_keep(c, url, opts, err);
    if (rc == STRATA_OK)
        rc = od_conn_string(url->opaque, &cs, err);
    if (rc == STRATA_OK && OD_OPT(opts, must_exist, 0))
        rc = od_check_exists(c, cs, err);
    if (rc == STRATA_OK)
        rc = od_open(c, cs, OD_OPT(opts, connect_timeout_ms, 0), err);
    od_wipe_free(cs);
    if (rc != STRATA_OK)
        goto fail;
    od_identify(c);
    rc = od_setup(c, c->schema, err);
    if (rc != STRATA_OK)
        goto fail;
    *out = c;
    return STRATA_OK;

fail:
    od_close(c);
    return rc;
}

/* ---- what the connection speaks ---- */

/* The two text values of a settings query's row; a and b owned by the reader. */
typedef struct od_pair {
    char *a;
    char *b;
    int got;
    int nomem;
} od_pair;

static int
od_pair_row(void *ctx, int ncols, const char *const *values)
{
    od_pair *p = ctx;

    if (ncols < 2 || p->got)
        return 1;
    p->got = 1;
    p->a = strdup(values[0] != NULL ? values[0] : "");
    p->b = strdup(values[1] != NULL ? values[1] : "");
    p->nomem = p->a == NULL || p->b == NULL;
    return 1;
}

/* Whether the comma-separated list holds word. */
static int
od_has_word(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = list; p != NULL; p = strchr(p, ',')) {
        p += *p == ',';
        if (strncasecmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

/*
 * Reads the settings that change how the backend reads literals, and the schema that
 * unqualified names go to: standard_conforming_strings and current_schema() on PostgreSQL,
 * sql_mode and DATABASE() on MySQL. Other backends: nothing to read, home "".
 */
static int
od_read_session(strata_conn *c, strata_error *err)
{
    const char *sql = NULL;
    od_pair p = {0};
    int rc;

    if (c->backend->kind == OD_POSTGRES)
        sql = "SELECT pg_catalog.current_setting('standard_conforming_strings'), "
              "pg_catalog.current_schema()";
    else if (c->backend->kind == OD_MYSQL)
        sql = "SELECT @@SESSION.sql_mode, DATABASE()";
    else
        return STRATA_OK;
    rc = od_query(c, sql, od_pair_row, &p, err);
    if (rc == STRATA_OK && (!p.got || p.nomem))
        rc = od_error(err, STRATA_ERROR, "%s: cannot read the session's settings%s", c->redacted,
                      p.nomem ? ": out of memory" : "");
    if (rc == STRATA_OK) {
        if (c->backend->kind == OD_POSTGRES)
            c->strings_escape = strcasecmp(p.a, "off") == 0;
        else
            c->backslashes = !od_has_word(p.a, "NO_BACKSLASH_ESCAPES");
        free(c->home);
        c->home = p.b;
        p.b = NULL;
    }
    free(p.a);
    free(p.b);
    return rc;
}

typedef int (*od_complete_fn)(const char *sql);

/*
 * sqlite3_complete() of the SQLite library the SQLite ODBC driver loaded into the process,
 * for statement_complete: where a CREATE TRIGGER ends is SQLite's own decision. NULL when
 * no such library is loaded (a driver built with SQLite inside it): the splitter then
 * tracks BEGIN ... END itself. The reference dlopen() takes is never dropped, so the
 * library stays for the life of the process: the core may split scripts after close().
 */
static od_complete_fn
od_sqlite_complete(void)
{
    void *lib = dlopen(OD_SQLITE_LIB, RTLD_LAZY | RTLD_NOLOAD);
    od_complete_fn fn = NULL;
    void *sym;

    if (lib == NULL)
        return NULL;
    sym = dlsym(lib, "sqlite3_complete");
    if (sym == NULL) {
        dlclose(lib);
        return NULL;
    }
    memcpy(&fn, &sym, sizeof(fn));
    return fn;
}

/* Capabilities: the known backends' own; any other's from SQLGetInfo(). */
static uint32_t
od_caps(const strata_conn *c)
{
    uint32_t caps = 0;

    if (c->backend->kind != OD_OTHER)
        return c->backend->caps;
    if (c->txn == SQL_TC_ALL)
        caps |= STRATA_CAP_TRANSACTIONAL_DDL;
    if (c->schemas & SQL_SU_TABLE_DEFINITION)
        caps |= STRATA_CAP_SCHEMAS;
    return caps;
}

/* The backend's lexer rules, as its settings change them. */
static uint32_t
od_lexer_rules(const strata_conn *c)
{
    uint32_t rules = c->backend->lexer_rules;

    if (c->backend->kind == OD_MYSQL && !c->backslashes)
        rules &= ~STRATA_LEX_BACKSLASH_ESCAPES;
    if (c->backend->kind == OD_POSTGRES && c->strings_escape)
        rules |= STRATA_LEX_STRINGS_ESCAPE;
    return rules;
}

#define OD_DESCRIBE_V2 (offsetof(strata_describe, table_options) + sizeof(const char *))

/* Fills *out for the backend; the strings are c's or static, valid until od_close(). */
static int
od_describe(strata_conn *c, strata_describe *out, strata_error *err)
{
    const od_backend *b = c->backend;
    int rc;

    if (out->size < OD_DESCRIBE_V2)
        return od_error(err, STRATA_USAGE,
                        "describe: the core's strata_describe has %u bytes, fewer than the %zu of "
                        "driver ABI 2",
                        (unsigned)out->size, (size_t)OD_DESCRIBE_V2);
    rc = od_read_session(c, err);
    if (rc != STRATA_OK)
        return rc;
    out->dialect = b->kind == OD_OTHER ? c->dialect : b->dialect;
    out->dialect_aliases = b->aliases;
    out->caps = od_caps(c);
    out->lexer_rules = od_lexer_rules(c);
    out->no_transaction_patterns = b->no_transaction;
    out->statement_complete = b->kind == OD_SQLITE ? od_sqlite_complete() : NULL;
    out->home_schema = c->home != NULL ? c->home : "";
    memcpy(out->types, b->types, sizeof(out->types));
    out->table_options = b->table_options;
    return STRATA_OK;
}

/* "<DBMS_NAME> <DBMS_VER> via ODBC <driver> <driver version>" (snprintf convention). */
static size_t
od_server_version(strata_conn *c, char *out, size_t size)
{
    int n = snprintf(out, size, "%s %s via ODBC %s %s", c->dbms_name, c->dbms_ver, c->driver_name,
                     c->driver_ver);

    return n < 0 ? 0 : (size_t)n;
}

/*
 * MySQL: "USE `home`", so that a migration's USE does not send the next one's unqualified
 * names elsewhere. PostgreSQL: "" (its search_path is not put back; the core names its own
 * tables with home_schema). Others: "".
 */
static size_t
od_session_reset_sql(strata_conn *c, char *out, size_t size)
{
    od_buf b = {out, size, 0};
    const char *p;

    if (c->backend->kind == OD_MYSQL && c->home != NULL && c->home[0] != '\0' && c->quote != '\0') {
        for (p = "USE "; *p != '\0'; p++)
            od_put(&b, *p);
        od_quote(&b, c->home, c->quote, 0);
    }
    return od_end_buf(&b);
}

/* ---- snapshot ---- */

/*
 * snapshot() reads what the ODBC catalog functions give of the home schema (PostgreSQL's
 * current_schema(), MySQL's current database, which MariaDB's driver takes as the catalog;
 * SQLite's main database; any other backend's default catalog, its schemas named): tables
 * and views (SQLTables), columns (SQLColumns), primary keys (SQLPrimaryKeys), foreign keys
 * (SQLForeignKeys) and indexes (SQLStatistics). Nothing there tells check constraints,
 * triggers, sequences, functions, view bodies or table options, so they are not reported.
 *
 * The drivers of the backends strata knows give less than strata's own drivers read: their
 * type names (PostgreSQL's int4, bpchar), no index method, no partial index's predicate
 * (FILTER_CONDITION is NULL), a unique constraint's index as an index (PostgreSQL, MySQL).
 * SQLite's reports no descending key part and strips a string default's quotes; MariaDB's
 * reports an auto_increment column as nullable, and only the foreign keys whose referenced
 * columns belong to the referenced table's primary key.
 */

#define OD_SNAP_TYPES "TABLE,VIEW" /* SQLTables: no SYSTEM TABLE, no SYNONYM */
#define OD_SNAP_COLS 18            /* the most columns a catalog function returns (SQLColumns) */
#define OD_SNAP_WHAT 512           /* a message's "cannot read the schema: ..." part */

/* Result columns of the catalog functions (1-based, as the ODBC reference numbers them). */
enum {
    OD_T_CAT = 1, /* SQLTables, and the first three of SQLColumns, SQLPrimaryKeys and
                     SQLStatistics */
    OD_T_SCHEM = 2,
    OD_T_NAME = 3,
    OD_T_TYPE = 4,
    OD_C_COLUMN = 4, /* SQLColumns */
    OD_C_DATA_TYPE = 5,
    OD_C_TYPE_NAME = 6,
    OD_C_SIZE = 7,
    OD_C_DIGITS = 9,
    OD_C_NULLABLE = 11,
    OD_C_DEFAULT = 13,
    OD_C_POSITION = 17,
    OD_P_COLUMN = 4, /* SQLPrimaryKeys */
    OD_P_SEQ = 5,
    OD_P_NAME = 6,
    OD_F_PK_CAT = 1, /* SQLForeignKeys */
    OD_F_PK_SCHEM = 2,
    OD_F_PK_TABLE = 3,
    OD_F_PK_COLUMN = 4,
    OD_F_FK_CAT = 5,
    OD_F_FK_COLUMN = 8,
    OD_F_SEQ = 9,
    OD_F_UPDATE = 10,
    OD_F_DELETE = 11,
    OD_F_NAME = 12,
    OD_F_DEFER = 14,
    OD_S_NON_UNIQUE = 4, /* SQLStatistics */
    OD_S_NAME = 6,
    OD_S_TYPE = 7,
    OD_S_POSITION = 8,
    OD_S_COLUMN = 9,
    OD_S_ORDER = 10,
    OD_S_FILTER = 13,
};

/* A growing text, NUL-terminated once anything was appended; s owned (od_str_free()). An
 * append that runs out of memory sets nomem and drops the rest: the snapshot then fails. */
typedef struct od_str {
    char *s;
    size_t len, cap;
    int nomem;
} od_str;

static void
od_str_add(od_str *t, const char *text, size_t n)
{
    size_t cap;
    char *s;

    if (t->nomem)
        return;
    if (t->len + n + 1 > t->cap) {
        for (cap = t->cap > 0 ? t->cap : 128; cap < t->len + n + 1; cap *= 2)
            ;
        s = realloc(t->s, cap);
        if (s == NULL) {
            t->nomem = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, text, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* Appends text; NULL appends nothing. */
static void
od_str_cat(od_str *t, const char *text)
{
    if (text != NULL)
        od_str_add(t, text, strlen(text));
}

/* Appends text lower-cased (ASCII: the type names some drivers spell in capitals). */
static void
od_str_lower(od_str *t, const char *text)
{
    char ch;

    for (; text != NULL && *text != '\0'; text++) {
        ch = (char)tolower((unsigned char)*text);
        od_str_add(t, &ch, 1);
    }
}

/* Appends ", " unless t is empty: between the items of a list. */
static void
od_str_sep(od_str *t)
{
    if (t->len > 0)
        od_str_add(t, ", ", 2);
}

static void
od_str_reset(od_str *t)
{
    t->len = 0;
    if (t->s != NULL)
        t->s[0] = '\0';
}

static const char *
od_str_text(const od_str *t)
{
    return t->s != NULL ? t->s : "";
}

static void
od_str_free(od_str *t)
{
    free(t->s);
    memset(t, 0, sizeof(*t));
}

/* Appends the NUL-terminated names held in list, ", " between them. */
static void
od_str_list(od_str *out, const od_str *list)
{
    const char *p;

    for (p = od_str_text(list); p < od_str_text(list) + list->len; p += strlen(p) + 1) {
        if (p != od_str_text(list))
            od_str_add(out, ", ", 2);
        od_str_cat(out, p);
    }
}

/* Makes t one line: every run of white space one space, none at either end. */
static void
od_str_squeeze(od_str *t)
{
    size_t r, w = 0;
    int blank = 0;

    for (r = 0; r < t->len; r++) {
        if (isspace((unsigned char)t->s[r])) {
            blank = w > 0;
            continue;
        }
        if (blank)
            t->s[w++] = ' ';
        blank = 0;
        t->s[w++] = t->s[r];
    }
    t->len = w;
    if (t->s != NULL)
        t->s[w] = '\0';
}

/* One row of a catalog function's result: OD_SNAP_COLS values (NULL for SQL NULL and for
 * the columns the driver did not return), and its place in the result, which breaks ties
 * when rows are sorted so that the driver's order is kept. */
typedef struct od_row {
    char **v; /* owned, with every value: od_rowset_clear() */
    size_t seq;
} od_row;

/* The rows of one catalog call; rows owned (od_rowset_clear()). */
typedef struct od_rowset {
    od_row *rows;
    size_t n, cap;
    int nomem; /* a row could not be kept: the snapshot fails */
} od_rowset;

/* The value of column col (1-based) of r, NULL when SQL NULL or not returned. */
static const char *
od_cell(const od_row *r, int col)
{
    return col >= 1 && col <= OD_SNAP_COLS ? r->v[col - 1] : NULL;
}

static void
od_row_free(od_row *r)
{
    int k;

    for (k = 0; k < OD_SNAP_COLS; k++)
        free(r->v[k]);
    free(r->v);
    r->v = NULL;
}

static void
od_rowset_clear(od_rowset *rs)
{
    size_t i;

    for (i = 0; i < rs->n; i++)
        od_row_free(&rs->rows[i]);
    free(rs->rows);
    memset(rs, 0, sizeof(*rs));
}

/* od_rows() callback: copies the row into the od_rowset ctx. */
static int
od_rowset_add(void *ctx, int ncols, const char *const *values)
{
    od_rowset *rs = ctx;
    od_row *rows;
    char **v;
    size_t cap;
    int k;

    if (rs->n == rs->cap) {
        cap = rs->cap > 0 ? rs->cap * 2 : 16;
        rows = realloc(rs->rows, cap * sizeof(*rows));
        if (rows == NULL)
            goto nomem;
        rs->rows = rows;
        rs->cap = cap;
    }
    v = calloc(OD_SNAP_COLS, sizeof(*v)); /* owned by rs from here */
    if (v == NULL)
        goto nomem;
    rs->rows[rs->n].v = v;
    rs->rows[rs->n].seq = rs->n;
    rs->n++;
    for (k = 0; k < ncols && k < OD_SNAP_COLS; k++) {
        if (values[k] != NULL && (v[k] = strdup(values[k])) == NULL)
            goto nomem;
    }
    return 0;
nomem:
    rs->nomem = 1;
    return 1;
}

/*
 * Makes a failure while reading a catalog result STRATA_ERROR (a snapshot has no "not
 * found"), its message prefixed by what. Returns STRATA_ERROR.
 */
static int
od_snap_failed(strata_error *err, const char *what)
{
    char msg[sizeof(err->message)];

    if (err == NULL || err->size < offsetof(strata_error, message) + sizeof(err->message))
        return STRATA_ERROR;
    err->status = STRATA_ERROR;
    memcpy(msg, err->message, sizeof(msg));
    snprintf(err->message, sizeof(err->message), "%s: %.700s", what, msg);
    return STRATA_ERROR;
}

/*
 * Reads the result of the catalog function just called on c->stmt (r: what it returned)
 * into rs, which the caller clears; what names the call for a message.
 */
static int
od_catalog(strata_conn *c, SQLRETURN r, const char *what, od_rowset *rs, strata_error *err)
{
    SQLSMALLINT ncols = 0;
    int rc = STRATA_OK;

    if (r == SQL_NO_DATA)
        goto cleanup;
    if (!SQL_SUCCEEDED(r) || !SQL_SUCCEEDED(SQLNumResultCols(c->stmt, &ncols))) {
        rc = od_fail(SQL_HANDLE_STMT, c->stmt, STRATA_ERROR, what, err);
        goto cleanup;
    }
    if (ncols > 0 && od_rows(c, ncols, od_rowset_add, rs, err) != STRATA_OK)
        rc = od_snap_failed(err, what);
    else if (rs->nomem)
        rc = od_error(err, STRATA_ERROR, "%s: out of memory", what);
cleanup:
    od_done(c);
    return rc;
}

/* NULL-safe strcmp(): NULL before any text. */
static int
od_cmp_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* Compares two numbers given as text (NULL as 0). */
static int
od_cmp_num(const char *a, const char *b)
{
    long x = a != NULL ? strtol(a, NULL, 10) : 0, y = b != NULL ? strtol(b, NULL, 10) : 0;

    return (x > y) - (x < y);
}

/* The driver's order, for rows equal otherwise. */
static int
od_cmp_seq(const od_row *a, const od_row *b)
{
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* SQLTables rows by name, schema and catalog. */
static int
od_cmp_tables(const void *pa, const void *pb)
{
    const od_row *a = pa, *b = pb;
    int d = od_cmp_text(od_cell(a, OD_T_NAME), od_cell(b, OD_T_NAME));

    if (d == 0)
        d = od_cmp_text(od_cell(a, OD_T_SCHEM), od_cell(b, OD_T_SCHEM));
    if (d == 0)
        d = od_cmp_text(od_cell(a, OD_T_CAT), od_cell(b, OD_T_CAT));
    return d != 0 ? d : od_cmp_seq(a, b);
}

/* SQLColumns rows by ORDINAL_POSITION. */
static int
od_cmp_columns(const void *pa, const void *pb)
{
    const od_row *a = pa, *b = pb;
    int d = od_cmp_num(od_cell(a, OD_C_POSITION), od_cell(b, OD_C_POSITION));

    return d != 0 ? d : od_cmp_seq(a, b);
}

/* SQLPrimaryKeys rows by KEY_SEQ. */
static int
od_cmp_pkey(const void *pa, const void *pb)
{
    const od_row *a = pa, *b = pb;
    int d = od_cmp_num(od_cell(a, OD_P_SEQ), od_cell(b, OD_P_SEQ));

    return d != 0 ? d : od_cmp_seq(a, b);
}

/*
 * SQLForeignKeys rows by FK_NAME and referenced table, then KEY_SEQ. Unnamed keys (the
 * SQLite driver names none) keep the driver's order, in which each key's columns follow
 * one another.
 */
static int
od_cmp_fkeys(const void *pa, const void *pb)
{
    const od_row *a = pa, *b = pb;
    int d = od_cmp_text(od_cell(a, OD_F_NAME), od_cell(b, OD_F_NAME));

    if (d == 0 && od_cell(a, OD_F_NAME) == NULL)
        return od_cmp_seq(a, b);
    if (d == 0)
        d = od_cmp_text(od_cell(a, OD_F_PK_SCHEM), od_cell(b, OD_F_PK_SCHEM));
    if (d == 0)
        d = od_cmp_text(od_cell(a, OD_F_PK_CAT), od_cell(b, OD_F_PK_CAT));
    if (d == 0)
        d = od_cmp_text(od_cell(a, OD_F_PK_TABLE), od_cell(b, OD_F_PK_TABLE));
    if (d == 0)
        d = od_cmp_num(od_cell(a, OD_F_SEQ), od_cell(b, OD_F_SEQ));
    return d != 0 ? d : od_cmp_seq(a, b);
}

/* SQLStatistics rows by INDEX_NAME, then ORDINAL_POSITION. */
static int
od_cmp_stats(const void *pa, const void *pb)
{
    const od_row *a = pa, *b = pb;
    int d = od_cmp_text(od_cell(a, OD_S_NAME), od_cell(b, OD_S_NAME));

    if (d == 0)
        d = od_cmp_num(od_cell(a, OD_S_POSITION), od_cell(b, OD_S_POSITION));
    return d != 0 ? d : od_cmp_seq(a, b);
}

static void
od_rowset_sort(od_rowset *rs, int (*cmp)(const void *, const void *))
{
    if (rs->n > 1)
        qsort(rs->rows, rs->n, sizeof(*rs->rows), cmp);
}

/* A snapshot in progress. */
typedef struct od_snap {
    strata_conn *c;
    const char *const *skip; /* tables left out, NULL-terminated; may be NULL */
    strata_object_fn fn;
    void *ctx;
    strata_error *err;
    const char *home;   /* c->home, "" when none */
    int stopped;        /* fn asked to stop */
    od_str name, def;   /* the object being reported */
    od_str table;       /* the table's name as reported: "t", or "s.t" outside the home */
    od_str pk;          /* the table's primary key columns in key order, each NUL-terminated */
    size_t npk;         /* ... how many */
    od_str pk_name;     /* ... and its name, when the driver gives one */
    od_str fk_names;    /* the table's foreign keys' names, each NUL-terminated */
    od_str cols, plain; /* an index's or key's columns, with and without " desc" */
    od_str refs;        /* a foreign key's referenced columns */
    od_str target;      /* ... and table */
    od_rowset rs;       /* the result being read */
} od_snap;

/* Whether an append of the snapshot's texts ran out of memory. */
static int
od_snap_nomem(const od_snap *s)
{
    return s->name.nomem || s->def.nomem || s->table.nomem || s->pk.nomem || s->pk_name.nomem ||
           s->fk_names.nomem || s->cols.nomem || s->plain.nomem || s->refs.nomem || s->target.nomem;
}

/* Starts s->name as "TABLE." (table NULL: empty) and empties s->def. */
static void
od_snap_begin(od_snap *s, const char *table)
{
    od_str_reset(&s->name);
    od_str_reset(&s->def);
    if (table != NULL) {
        od_str_cat(&s->name, table);
        od_str_add(&s->name, ".", 1);
    }
}

/* Reports s->name with s->def made one line; returns the status to go on with. */
static int
od_snap_emit(od_snap *s, strata_object_kind kind)
{
    od_str_squeeze(&s->def);
    if (od_snap_nomem(s))
        return od_error(s->err, STRATA_ERROR, "cannot read the schema: out of memory");
    if (!s->stopped && s->fn(s->ctx, kind, od_str_text(&s->name), od_str_text(&s->def)) != 0)
        s->stopped = 1;
    return STRATA_OK;
}

/* The column naming the schema an object is in: MySQL's databases are catalogs. */
static int
od_snap_qualifier_col(const od_snap *s, int cat_col)
{
    return s->c->backend->kind == OD_MYSQL ? cat_col : cat_col + 1;
}

/*
 * Appends the name of the table whose catalog, schema and name are at columns cat_col to
 * cat_col + 2 of r: bare in the home schema (and always on SQLite, whose catalog functions
 * name no schema), else "schema.name".
 */
static void
od_snap_table_name(const od_snap *s, const od_row *r, int cat_col, od_str *out)
{
    const char *q = od_cell(r, od_snap_qualifier_col(s, cat_col));

    if (s->c->backend->kind != OD_SQLITE && q != NULL && q[0] != '\0' && strcmp(q, s->home) != 0) {
        od_str_cat(out, q);
        od_str_add(out, ".", 1);
    }
    od_str_cat(out, od_cell(r, cat_col + 2));
}

/* Whether skip_tables names table (ignoring case on SQLite, whose names do). */
static int
od_snap_skipped(const od_snap *s, const char *table)
{
    const char *const *p;

    for (p = s->skip; p != NULL && *p != NULL; p++) {
        if (s->c->backend->kind == OD_SQLITE ? strcasecmp(*p, table) == 0 : strcmp(*p, table) == 0)
            return 1;
    }
    return 0;
}

/* Whether a schema is a system one, for a backend whose schemas are all read. */
static int
od_snap_system_schema(const char *schema)
{
    static const char *const names[] = {"information_schema", "pg_catalog", "sys", NULL};
    size_t i;

    for (i = 0; schema != NULL && names[i] != NULL; i++) {
        if (strcasecmp(schema, names[i]) == 0)
            return 1;
    }
    return 0;
}

/*
 * Whether a SQLTables row is reported: a TABLE or VIEW of the home schema (the catalog and
 * schema arguments are search patterns, in which '_' matches any character, so they are
 * compared again), not a SQLite internal table, not one of skip_tables.
 */
static int
od_snap_wanted(const od_snap *s, const od_row *r)
{
    const char *name = od_cell(r, OD_T_NAME), *type = od_cell(r, OD_T_TYPE);
    const char *q = od_cell(r, od_snap_qualifier_col(s, OD_T_CAT));

    if (name == NULL || name[0] == '\0' || type == NULL ||
        (strcasecmp(type, "TABLE") != 0 && strcasecmp(type, "VIEW") != 0))
        return 0;
    switch (s->c->backend->kind) {
    case OD_SQLITE:
        if (strncasecmp(name, "sqlite_", 7) == 0)
            return 0;
        break;
    case OD_POSTGRES:
    case OD_MYSQL:
        if (s->home[0] != '\0' && q != NULL && strcmp(q, s->home) != 0)
            return 0;
        break;
    default:
        if (od_snap_system_schema(od_cell(r, OD_T_SCHEM)))
            return 0;
        break;
    }
    return !od_snap_skipped(s, name);
}

/* Whether a row (its table's catalog, schema and name at cat_col on) belongs to table t, a
 * SQLTables row: the name arguments of SQLColumns are search patterns. */
static int
od_snap_mine(const od_row *r, int cat_col, const od_row *t)
{
    int k;

    for (k = 0; k < 2; k++) {
        const char *a = od_cell(r, cat_col + k), *b = od_cell(t, OD_T_CAT + k);

        if (a != NULL && b != NULL && a[0] != '\0' && b[0] != '\0' && strcmp(a, b) != 0)
            return 0;
    }
    return od_cmp_text(od_cell(r, cat_col + 2), od_cell(t, OD_T_NAME)) == 0;
}

/* SQLCHAR argument and length of a catalog function for the text v (NULL: none). */
#define OD_ARG(v) (SQLCHAR *)(v), (SQLSMALLINT)((v) != NULL ? SQL_NTS : 0)

/* Writes into what the message part for a catalog call fn on table t. */
static void
od_snap_what(char *what, const char *fn, const od_row *t)
{
    snprintf(what, OD_SNAP_WHAT, "cannot read the schema: %s of %.300s", fn, od_cell(t, OD_T_NAME));
}

/*
 * The type of a SQLColumns row: TYPE_NAME lower-cased, with "(COLUMN_SIZE)" for a character
 * type and "(COLUMN_SIZE,DECIMAL_DIGITS)" for decimal and numeric, unless the name has its
 * own parentheses. SQLite's driver gives the declared type, which is kept as it is.
 */
static void
od_snap_type(const od_snap *s, const od_row *r, od_str *out)
{
    const char *name = od_cell(r, OD_C_TYPE_NAME), *size = od_cell(r, OD_C_SIZE);
    const char *digits = od_cell(r, OD_C_DIGITS);
    long type =
        od_cell(r, OD_C_DATA_TYPE) != NULL ? strtol(od_cell(r, OD_C_DATA_TYPE), NULL, 10) : 0;

    od_str_lower(out, name);
    if (s->c->backend->kind == OD_SQLITE || name == NULL || name[0] == '\0' ||
        strchr(name, '(') != NULL || size == NULL)
        return;
    if (type == SQL_CHAR || type == SQL_VARCHAR || type == SQL_WCHAR || type == SQL_WVARCHAR) {
        od_str_add(out, "(", 1);
        od_str_cat(out, size);
        od_str_add(out, ")", 1);
    } else if (type == SQL_DECIMAL || type == SQL_NUMERIC) {
        od_str_add(out, "(", 1);
        od_str_cat(out, size);
        od_str_add(out, ",", 1);
        od_str_cat(out, digits != NULL ? digits : "0");
        od_str_add(out, ")", 1);
    }
}

/*
 * Reports the columns of table t: "t.c" with "#N type[ not null][ default X]", N its
 * ORDINAL_POSITION. A COLUMN_DEF of NULL, or the text NULL (SQLite's and MariaDB's drivers
 * for a column without a default), is no default.
 */
static int
od_snap_columns(od_snap *s, const od_row *t)
{
    char what[OD_SNAP_WHAT];
    const od_row *r;
    const char *def;
    size_t i;
    int rc;

    od_snap_what(what, "SQLColumns", t);
    rc = od_catalog(s->c,
                    SQLColumns(s->c->stmt, OD_ARG(od_cell(t, OD_T_CAT)),
                               OD_ARG(od_cell(t, OD_T_SCHEM)), OD_ARG(od_cell(t, OD_T_NAME)), NULL,
                               0),
                    what, &s->rs, s->err);
    od_rowset_sort(&s->rs, od_cmp_columns);
    for (i = 0; rc == STRATA_OK && !s->stopped && i < s->rs.n; i++) {
        r = &s->rs.rows[i];
        if (!od_snap_mine(r, OD_T_CAT, t) || od_cell(r, OD_C_COLUMN) == NULL)
            continue;
        od_snap_begin(s, od_str_text(&s->table));
        od_str_cat(&s->name, od_cell(r, OD_C_COLUMN));
        od_str_add(&s->def, "#", 1);
        od_str_cat(&s->def, od_cell(r, OD_C_POSITION) != NULL ? od_cell(r, OD_C_POSITION) : "0");
        od_str_add(&s->def, " ", 1);
        od_snap_type(s, r, &s->def);
        if (od_cell(r, OD_C_NULLABLE) != NULL &&
            strtol(od_cell(r, OD_C_NULLABLE), NULL, 10) == SQL_NO_NULLS)
            od_str_cat(&s->def, " not null");
        def = od_cell(r, OD_C_DEFAULT);
        if (def != NULL && strcasecmp(def, "NULL") != 0) {
            od_str_cat(&s->def, " default ");
            od_str_cat(&s->def, def);
        }
        rc = od_snap_emit(s, STRATA_OBJ_COLUMN);
    }
    od_rowset_clear(&s->rs);
    return rc;
}

/* Whether column is one of the primary key's. */
static int
od_snap_in_pk(const od_snap *s, const char *column)
{
    const char *p;

    for (p = od_str_text(&s->pk); p < od_str_text(&s->pk) + s->pk.len; p += strlen(p) + 1) {
        if (strcmp(p, column) == 0)
            return 1;
    }
    return 0;
}

/*
 * Reads the primary key of table t into s->pk (by KEY_SEQ), s->npk and s->pk_name; it is
 * reported once od_snap_indexes() has put its columns in the order of its index, where
 * there is one: the SQLite and MariaDB drivers number KEY_SEQ in the table's column order.
 */
static int
od_snap_primary_key(od_snap *s, const od_row *t)
{
    char what[OD_SNAP_WHAT];
    const od_row *r;
    const char *column;
    size_t i;
    int rc;

    od_str_reset(&s->pk);
    od_str_reset(&s->pk_name);
    s->npk = 0;
    od_snap_what(what, "SQLPrimaryKeys", t);
    rc = od_catalog(s->c,
                    SQLPrimaryKeys(s->c->stmt, OD_ARG(od_cell(t, OD_T_CAT)),
                                   OD_ARG(od_cell(t, OD_T_SCHEM)), OD_ARG(od_cell(t, OD_T_NAME))),
                    what, &s->rs, s->err);
    od_rowset_sort(&s->rs, od_cmp_pkey);
    for (i = 0; rc == STRATA_OK && i < s->rs.n; i++) {
        r = &s->rs.rows[i];
        column = od_cell(r, OD_P_COLUMN);
        if (!od_snap_mine(r, OD_T_CAT, t) || column == NULL)
            continue;
        od_str_add(&s->pk, column, strlen(column) + 1);
        s->npk++;
        if (s->pk_name.len == 0)
            od_str_cat(&s->pk_name, od_cell(r, OD_P_NAME));
    }
    od_rowset_clear(&s->rs);
    return rc;
}

/* Reports the primary key read by od_snap_primary_key(): "t.primary key (a, b)". */
static int
od_snap_pk_emit(od_snap *s)
{
    if (s->npk == 0)
        return STRATA_OK;
    od_snap_begin(s, od_str_text(&s->table));
    od_str_cat(&s->name, "primary key (");
    od_str_list(&s->name, &s->pk);
    od_str_add(&s->name, ")", 1);
    return od_snap_emit(s, STRATA_OBJ_CONSTRAINT);
}

/* The referential action of an UPDATE_RULE or DELETE_RULE value. */
static const char *
od_snap_action(const char *rule)
{
    switch (rule != NULL ? strtol(rule, NULL, 10) : SQL_NO_ACTION) {
    case SQL_CASCADE:
        return "cascade";
    case SQL_RESTRICT:
        return "restrict";
    case SQL_SET_NULL:
        return "set null";
    case SQL_SET_DEFAULT:
        return "set default";
    default:
        return "no action";
    }
}

/* Whether the foreign key row r continues the key whose last row is p. */
static int
od_snap_same_fkey(const od_row *p, const od_row *r)
{
    int k;

    if (od_cmp_text(od_cell(p, OD_F_NAME), od_cell(r, OD_F_NAME)) != 0 ||
        od_cmp_num(od_cell(r, OD_F_SEQ), od_cell(p, OD_F_SEQ)) <= 0)
        return 0;
    for (k = OD_F_PK_CAT; k <= OD_F_PK_TABLE; k++) {
        if (od_cmp_text(od_cell(p, k), od_cell(r, k)) != 0)
            return 0;
    }
    return 1;
}

/*
 * Reports the foreign key gathered in s->cols, s->target and s->refs from its first row r:
 * "t.foreign key (a) references u (b)" with "on update X on delete Y[ deferrable[ initially
 * deferred]]", and keeps its name in s->fk_names.
 */
static int
od_snap_fkey(od_snap *s, const od_row *r)
{
    const char *defer = od_cell(r, OD_F_DEFER);
    long d = defer != NULL ? strtol(defer, NULL, 10) : SQL_NOT_DEFERRABLE;

    if (od_cell(r, OD_F_NAME) != NULL)
        od_str_add(&s->fk_names, od_cell(r, OD_F_NAME), strlen(od_cell(r, OD_F_NAME)) + 1);
    od_snap_begin(s, od_str_text(&s->table));
    od_str_cat(&s->name, "foreign key (");
    od_str_cat(&s->name, od_str_text(&s->cols));
    od_str_cat(&s->name, ") references ");
    od_str_cat(&s->name, od_str_text(&s->target));
    od_str_cat(&s->name, " (");
    od_str_cat(&s->name, od_str_text(&s->refs));
    od_str_add(&s->name, ")", 1);
    od_str_cat(&s->def, "on update ");
    od_str_cat(&s->def, od_snap_action(od_cell(r, OD_F_UPDATE)));
    od_str_cat(&s->def, " on delete ");
    od_str_cat(&s->def, od_snap_action(od_cell(r, OD_F_DELETE)));
    if (d == SQL_INITIALLY_DEFERRED || d == SQL_INITIALLY_IMMEDIATE)
        od_str_cat(&s->def, " deferrable");
    if (d == SQL_INITIALLY_DEFERRED)
        od_str_cat(&s->def, " initially deferred");
    return od_snap_emit(s, STRATA_OBJ_CONSTRAINT);
}

/* Reports the foreign keys of table t (t the referencing table), one per FK_NAME, or per
 * run of KEY_SEQ from 1 when the driver names none. */
static int
od_snap_foreign_keys(od_snap *s, const od_row *t)
{
    char what[OD_SNAP_WHAT];
    const od_row *r, *first = NULL, *last = NULL;
    size_t i;
    int rc;

    od_str_reset(&s->fk_names);
    od_snap_what(what, "SQLForeignKeys", t);
    rc = od_catalog(s->c,
                    SQLForeignKeys(s->c->stmt, NULL, 0, NULL, 0, NULL, 0,
                                   OD_ARG(od_cell(t, OD_T_CAT)), OD_ARG(od_cell(t, OD_T_SCHEM)),
                                   OD_ARG(od_cell(t, OD_T_NAME))),
                    what, &s->rs, s->err);
    od_rowset_sort(&s->rs, od_cmp_fkeys);
    for (i = 0; rc == STRATA_OK && !s->stopped && i < s->rs.n; i++) {
        r = &s->rs.rows[i];
        if (!od_snap_mine(r, OD_F_FK_CAT, t))
            continue;
        if (last == NULL || !od_snap_same_fkey(last, r)) {
            if (first != NULL)
                rc = od_snap_fkey(s, first);
            first = r;
            od_str_reset(&s->cols);
            od_str_reset(&s->refs);
            od_str_reset(&s->target);
            od_snap_table_name(s, r, OD_F_PK_CAT, &s->target);
        }
        last = r;
        od_str_sep(&s->cols);
        od_str_cat(&s->cols, od_cell(r, OD_F_FK_COLUMN));
        od_str_sep(&s->refs);
        od_str_cat(&s->refs, od_cell(r, OD_F_PK_COLUMN));
    }
    if (rc == STRATA_OK && !s->stopped && first != NULL)
        rc = od_snap_fkey(s, first);
    od_rowset_clear(&s->rs);
    return rc;
}

/* Whether one of the table's foreign keys is named name. */
static int
od_snap_fkey_named(const od_snap *s, const char *name)
{
    const char *p;

    for (p = od_str_text(&s->fk_names); p < od_str_text(&s->fk_names) + s->fk_names.len;
         p += strlen(p) + 1) {
        if (strcmp(p, name) == 0)
            return 1;
    }
    return 0;
}

/* Keeps of s->rs the rows that are key parts of an index of table t: not the row of the
 * table's statistics (TYPE SQL_TABLE_STAT), nor one without INDEX_NAME. */
static void
od_snap_keep_index_rows(od_snap *s, const od_row *t)
{
    const char *type;
    size_t i, n = 0;
    od_row *r;

    for (i = 0; i < s->rs.n; i++) {
        r = &s->rs.rows[i];
        type = od_cell(r, OD_S_TYPE);
        if (od_snap_mine(r, OD_T_CAT, t) && od_cell(r, OD_S_NAME) != NULL && type != NULL &&
            strtol(type, NULL, 10) != SQL_TABLE_STAT)
            s->rs.rows[n++] = *r;
        else
            od_row_free(r);
    }
    s->rs.n = n;
}

/* Where the index whose rows start at from (s->rs sorted by od_cmp_stats()) ends. */
static size_t
od_snap_index_end(const od_snap *s, size_t from)
{
    const char *name = od_cell(&s->rs.rows[from], OD_S_NAME);
    size_t to;

    for (to = from + 1; to < s->rs.n && strcmp(od_cell(&s->rs.rows[to], OD_S_NAME), name) == 0;
         to++)
        ;
    return to;
}

/* Whether the index of rows [from, to) is unique. */
static int
od_snap_index_unique(const od_snap *s, size_t from)
{
    const char *non_unique = od_cell(&s->rs.rows[from], OD_S_NON_UNIQUE);

    return non_unique != NULL && strtol(non_unique, NULL, 10) == SQL_FALSE;
}

/*
 * Whether the index of rows [from, to) serves the primary key: by_name, the one named as
 * the key (PostgreSQL's t_pkey, MySQL's PRIMARY); else a unique index on the key's columns
 * (SQLite's, whose driver names no key).
 */
static int
od_snap_pk_index(const od_snap *s, size_t from, size_t to, int by_name)
{
    const char *column;
    size_t i;

    if (by_name)
        return s->pk_name.len > 0 &&
               strcmp(od_cell(&s->rs.rows[from], OD_S_NAME), od_str_text(&s->pk_name)) == 0;
    if (!od_snap_index_unique(s, from) || to - from != s->npk)
        return 0;
    for (i = from; i < to; i++) {
        column = od_cell(&s->rs.rows[i], OD_S_COLUMN);
        if (column == NULL || !od_snap_in_pk(s, column))
            return 0;
    }
    return 1;
}

/*
 * Finds the primary key's index among s->rs (the first found by name, else by columns) and
 * takes the key's column order from it. Returns where its rows start, s->rs.n when there is
 * none.
 */
static size_t
od_snap_find_pk_index(od_snap *s)
{
    const char *column;
    size_t from, to, i;
    int by_name;

    for (by_name = 1; by_name >= 0 && s->npk > 0; by_name--) {
        for (from = 0; from < s->rs.n; from = to) {
            to = od_snap_index_end(s, from);
            if (!od_snap_pk_index(s, from, to, by_name))
                continue;
            for (i = from; i < to && od_cell(&s->rs.rows[i], OD_S_COLUMN) != NULL; i++)
                ;
            if (i < to || to - from != s->npk)
                return from; /* a key part without a name: KEY_SEQ's order stays */
            od_str_reset(&s->pk);
            for (i = from; i < to; i++) {
                column = od_cell(&s->rs.rows[i], OD_S_COLUMN);
                od_str_add(&s->pk, column, strlen(column) + 1);
            }
            return from;
        }
    }
    return s->rs.n;
}

/*
 * Reports the index of rows [from, to) of s->rs: "t.name" with "[unique ](a, b desc)[ where
 * PRED]", a key part the driver names no column of as "?". SQLite's sqlite_autoindex_*
 * serve UNIQUE constraints: "t.unique (a)".
 */
static int
od_snap_index(od_snap *s, size_t from, size_t to)
{
    const od_row *first = &s->rs.rows[from];
    const char *name = od_cell(first, OD_S_NAME), *filter = od_cell(first, OD_S_FILTER);
    const char *column, *order;
    size_t i;

    od_str_reset(&s->cols);
    od_str_reset(&s->plain);
    for (i = from; i < to; i++) {
        column = od_cell(&s->rs.rows[i], OD_S_COLUMN);
        order = od_cell(&s->rs.rows[i], OD_S_ORDER);
        od_str_sep(&s->cols);
        od_str_sep(&s->plain);
        od_str_cat(&s->cols, column != NULL ? column : "?");
        od_str_cat(&s->plain, column != NULL ? column : "?");
        if (order != NULL && (order[0] == 'D' || order[0] == 'd'))
            od_str_cat(&s->cols, " desc");
    }
    od_snap_begin(s, od_str_text(&s->table));
    if (s->c->backend->kind == OD_SQLITE && strncmp(name, "sqlite_autoindex_", 17) == 0) {
        od_str_cat(&s->name, "unique (");
        od_str_cat(&s->name, od_str_text(&s->plain));
        od_str_add(&s->name, ")", 1);
        return od_snap_emit(s, STRATA_OBJ_CONSTRAINT);
    }
    od_str_cat(&s->name, name);
    if (od_snap_index_unique(s, from))
        od_str_cat(&s->def, "unique ");
    od_str_add(&s->def, "(", 1);
    od_str_cat(&s->def, od_str_text(&s->cols));
    od_str_add(&s->def, ")", 1);
    if (filter != NULL && filter[0] != '\0') {
        od_str_cat(&s->def, " where ");
        od_str_cat(&s->def, filter);
    }
    return od_snap_emit(s, STRATA_OBJ_INDEX);
}

/*
 * Reports the indexes of table t from SQLStatistics, but those a constraint owns: the
 * primary key's (which gives the key its column order) and one named after a foreign key
 * (MySQL's).
 */
static int
od_snap_indexes(od_snap *s, const od_row *t)
{
    char what[OD_SNAP_WHAT];
    size_t from, to, pk_at;
    int rc;

    od_snap_what(what, "SQLStatistics", t);
    rc = od_catalog(s->c,
                    SQLStatistics(s->c->stmt, OD_ARG(od_cell(t, OD_T_CAT)),
                                  OD_ARG(od_cell(t, OD_T_SCHEM)), OD_ARG(od_cell(t, OD_T_NAME)),
                                  SQL_INDEX_ALL, SQL_QUICK),
                    what, &s->rs, s->err);
    od_snap_keep_index_rows(s, t);
    od_rowset_sort(&s->rs, od_cmp_stats);
    pk_at = od_snap_find_pk_index(s);
    for (from = 0; rc == STRATA_OK && !s->stopped && from < s->rs.n; from = to) {
        to = od_snap_index_end(s, from);
        if (from != pk_at && !od_snap_fkey_named(s, od_cell(&s->rs.rows[from], OD_S_NAME)))
            rc = od_snap_index(s, from, to);
    }
    od_rowset_clear(&s->rs);
    return rc;
}

/* Reports table or view t (a SQLTables row) and, for a table, its columns, keys and
 * indexes. */
static int
od_snap_table(od_snap *s, const od_row *t)
{
    int view = strcasecmp(od_cell(t, OD_T_TYPE), "VIEW") == 0;
    int rc;

    od_str_reset(&s->table);
    od_snap_table_name(s, t, OD_T_CAT, &s->table);
    od_snap_begin(s, NULL);
    od_str_cat(&s->name, od_str_text(&s->table));
    rc = od_snap_emit(s, view ? STRATA_OBJ_VIEW : STRATA_OBJ_TABLE);
    if (rc != STRATA_OK || s->stopped || view)
        return rc;
    rc = od_snap_columns(s, t);
    if (rc == STRATA_OK && !s->stopped)
        rc = od_snap_primary_key(s, t);
    if (rc == STRATA_OK && !s->stopped)
        rc = od_snap_foreign_keys(s, t);
    if (rc == STRATA_OK && !s->stopped)
        rc = od_snap_indexes(s, t);
    if (rc == STRATA_OK && !s->stopped)
        rc = od_snap_pk_emit(s);
    return rc;
}

/*
 * Reports every table and view of the home schema with the columns, primary key, foreign
 * keys and indexes of each table, as far as the catalog functions tell them (see above);
 * objects of the tables in skip_tables are left out. The catalog calls name the home as
 * the backend's driver takes it: MySQL's database as the catalog, PostgreSQL's schema as
 * the schema; neither on SQLite and other backends, whose every schema is read (its system
 * ones aside) and named.
 */
static int
od_snapshot(strata_conn *c, const char *const *skip_tables, strata_object_fn fn, void *ctx,
            strata_error *err)
{
    od_rowset tables = {0}; /* freed below */
    const char *cat = NULL, *schema = NULL;
    od_snap s;
    size_t i;
    int rc;

    if (c->home == NULL && (rc = od_read_session(c, err)) != STRATA_OK)
        return rc;
    if (c->backend->kind == OD_MYSQL && (c->home == NULL || c->home[0] == '\0'))
        return od_error(err, STRATA_USAGE,
                        "%s: the connection string names no database to read the schema of "
                        "(Database=NAME)",
                        c->redacted);
    memset(&s, 0, sizeof(s));
    s.c = c;
    s.skip = skip_tables;
    s.fn = fn;
    s.ctx = ctx;
    s.err = err;
    s.home = c->home != NULL ? c->home : "";
    if (c->backend->kind == OD_MYSQL)
        cat = s.home;
    else if (c->backend->kind == OD_POSTGRES && s.home[0] != '\0')
        schema = s.home;
    rc = od_catalog(
        c,
        SQLTables(c->stmt, OD_ARG(cat), OD_ARG(schema), NULL, 0, (SQLCHAR *)OD_SNAP_TYPES, SQL_NTS),
        "cannot read the schema: SQLTables", &tables, err);
    od_rowset_sort(&tables, od_cmp_tables);
    for (i = 0; rc == STRATA_OK && !s.stopped && i < tables.n; i++) {
        if (od_snap_wanted(&s, &tables.rows[i]))
            rc = od_snap_table(&s, &tables.rows[i]);
    }
    od_rowset_clear(&tables);
    od_rowset_clear(&s.rs);
    od_str_free(&s.name);
    od_str_free(&s.def);
    od_str_free(&s.table);
    od_str_free(&s.pk);
    od_str_free(&s.pk_name);
    od_str_free(&s.fk_names);
    od_str_free(&s.cols);
    od_str_free(&s.plain);
    od_str_free(&s.refs);
    od_str_free(&s.target);
    return rc;
}

/* ---- the driver ---- */

static const char *const od_schemes[] = {"odbc", NULL};

static const strata_driver od_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_driver),
    .name = "odbc",
    .version = OD_VERSION,
    .client_version = NULL, /* unixODBC's headers carry no version */
    .url_shape = STRATA_URL_OPAQUE,
    .schemes = od_schemes,
    .dialect = "odbc", /* until describe() names the backend's */
    .dialect_aliases = NULL,
    .caps = 0, /* the backend's are known only once connected */
    .password_env = NULL,
    .connect = od_connect,
    .close = od_close,
    .describe = od_describe,
    .server_version = od_server_version,
    .exec = od_exec,
    .query = od_query,
    .begin = od_begin,
    .commit = od_commit,
    .rollback = od_rollback,
    .quote_ident = od_quote_ident,
    .quote_literal = od_quote_literal,
    .session_reset_sql = od_session_reset_sql,
    .snapshot = od_snapshot,
};

/* The one exported symbol. Refuses a core of another ABI, or one without the error
 * services every failure goes through. */
STRATA_DRIVER_EXPORT const strata_driver *
strata_driver_entry(const strata_host *host)
{
    if (host == NULL || !STRATA_HOST_HAS(host, log))
        return NULL;
    if (host->abi_version != STRATA_DRIVER_ABI) {
        host->log(STRATA_LOG_ERROR, "odbc: the core speaks driver ABI %u, this driver %u",
                  (unsigned)host->abi_version, (unsigned)STRATA_DRIVER_ABI);
        return NULL;
    }
    if (!STRATA_HOST_HAS(host, set_error) || !STRATA_HOST_HAS(host, db_error)) {
        host->log(STRATA_LOG_ERROR, "odbc: the core offers no set_error or db_error service");
        return NULL;
    }
    od_host = host;
    return &od_driver;
}
