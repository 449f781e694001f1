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
 * table beside the history tables. No copy_in(), backup(), snapshot() or scratch
 * databases either.
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
