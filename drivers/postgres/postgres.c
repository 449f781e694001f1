/*
 * strata — the PostgreSQL driver, on libpq.
 *
 * URL: postgres://[user[:password]@][host][:port][/database][?key=value&...] (or
 * postgresql://). Every query parameter that is a libpq connection keyword is passed to
 * libpq as is (sslmode, sslrootcert, connect_timeout, target_session_attrs, options,
 * application_name, host=/unix/socket/dir, ...); one more is strata's own:
 *   schema=NAME           create the schema if missing and make it the search_path (the
 *                         history tables and the migrations' objects live there); the
 *                         --schema option (strata_connect_options.schema) wins over it.
 * Any other parameter is refused. client_encoding is always UTF8: error positions are
 * converted from characters to bytes by reading the text as UTF-8. A TLS certificate libpq
 * refuses gets a hint naming the parameter to change (pg_tls_hint()).
 *
 * The migration lock is a session advisory lock taken by polling pg_try_advisory_lock()
 * outside any transaction: see the comment above pg_lock(). Behind a pooler that shares
 * server sessions between clients (transaction or statement pooling, found at connect:
 * pooler.h) lock() leaves the lock to the core's lock table, and schema= is refused.
 *
 * backup() runs pg_dump: see the comment above pg_backup(). snapshot() reads the catalog
 * in one read-only transaction: see the comment above its queries (pg_snap_queries).
 * scratch_create() and scratch_drop() make and drop strata_scratch_* databases beside the
 * connection's.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

/*
 * PG_VERSION, the version of the libpq headers built against, is only in PostgreSQL's
 * <pg_config.h>, which also defines PostgreSQL's own PACKAGE_* macros: include it with ours
 * set aside, then drop its PACKAGE_* and restore our PACKAGE_VERSION.
 */
#if defined(__has_include)
#if __has_include(<pg_config.h>)
#pragma push_macro("PACKAGE_VERSION")
#undef PACKAGE_BUGREPORT
#undef PACKAGE_NAME
#undef PACKAGE_STRING
#undef PACKAGE_TARNAME
#undef PACKAGE_URL
#undef PACKAGE_VERSION
#include <pg_config.h>
#undef PACKAGE_BUGREPORT
#undef PACKAGE_NAME
#undef PACKAGE_STRING
#undef PACKAGE_TARNAME
#undef PACKAGE_URL
#undef PACKAGE_VERSION
#pragma pop_macro("PACKAGE_VERSION")
#endif
#endif

#include <strata/driver.h>

#include "pooler.h"

#ifdef PACKAGE_VERSION
#define PG_DRIVER_VERSION PACKAGE_VERSION
#else
#define PG_DRIVER_VERSION "0.1.0"
#endif

#ifdef PG_VERSION
#define PG_CLIENT_VERSION PG_VERSION
#else
#define PG_CLIENT_VERSION NULL
#endif

#define PG_LOCK_POLL_MS 50
#define PG_COPY_CHUNK 65536
#define PG_STACK_COLS 32
#define PG_FIXED_KEYWORDS 9 /* keywords connect() may add besides the URL's parameters */
#define PG_COPY_FAILED "COPY data unreadable or not terminated"

struct strata_conn {
    PGconn *pg;         /* owned; PQfinish() in pg_close() */
    char *database;     /* current_database(), for the lock key and messages; owned */
    char *home;         /* current_schema() once set up, NULL when none; owned */
    char *reset_sql;    /* puts the session back as set up (session_reset_sql); owned */
    int lock_held;      /* lock_key is held by this session (lock() and unlock() keep it) */
    uint64_t lock_key;  /* the advisory lock key of the last lock() */
    int pool;           /* a pg_pool_kind: PG_POOL_OWN unless a pooler shares (or may share)
                           server sessions between clients (pooler.h) */
    char pool_why[256]; /* what the pooler probe saw, "" when there was no probe */
};

/* Text output with the snprintf convention: counts everything, stores what fits. */
typedef struct pg_buf {
    char *out;
    size_t size;
    size_t len;
} pg_buf;

/* Where the results of one query go: rows to fn, COPY FROM STDIN data from data. */
typedef struct pg_sink {
    strata_row_fn fn; /* NULL: rows are discarded */
    void *ctx;
    int stopped;         /* fn asked to stop: the remaining rows are discarded */
    strata_read_fn data; /* NULL: a COPY FROM STDIN is an error (use copy_in) */
    void *data_ctx;
    int copied; /* data was streamed into a COPY */
    int broken; /* the connection cannot deliver more results: stop reading */
    int stream; /* rows arrive one result each (single-row mode), not held all at once */
} pg_sink;

/* The core's services, set by strata_driver_entry(). */
static const strata_host *pg_host;

/* ---- errors ---- */

static int pg_error(strata_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears *err (when not NULL) and fills status and a printf-style message; returns status. */
static int
pg_error(strata_error *err, int status, const char *fmt, ...)
{
    char msg[sizeof(err->message)];
    va_list ap;

    if (err == NULL)
        return status;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pg_host->set_error(err, status, "%s", msg); /* writes no further than err->size */
    return status;
}

/*
 * Copies src into dst (size > 0) without leading and trailing white space; with one_line,
 * only up to the first newline. Returns where the copied part ends in src.
 */
static const char *
pg_copy_trim(char *dst, size_t size, const char *src, int one_line)
{
    size_t n, end;

    src += strspn(src, " \t\r\n");
    end = one_line ? strcspn(src, "\n") : strlen(src);
    for (n = end; n > 0 && strchr(" \t\r\n", src[n - 1]) != NULL; n--)
        ;
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return src + end;
}

/*
 * The 1-based byte offset in the UTF-8 text sql of the 1-based character position pos, as
 * PostgreSQL counts it; one past the end when pos is just past the last character, 0 when
 * pos is outside the text.
 */
static long
pg_byte_offset(const char *sql, long pos)
{
    long chars = 0;
    size_t i;

    for (i = 0; sql[i] != '\0'; i++) {
        if (((unsigned char)sql[i] & 0xC0) != 0x80 && ++chars == pos)
            return (long)i + 1;
    }
    return pos == chars + 1 ? (long)i + 1 : 0;
}

/* Fills the SQLSTATE, detail, hint and position of *err from an error result for sql. */
static void
pg_error_fields(strata_error *err, const PGresult *res, const char *sql)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);

    if (state != NULL && strlen(state) == 5)
        memcpy(err->sqlstate, state, 6);
    /* COPY and PL/pgSQL errors say where they happened only in the context */
    if (detail == NULL || detail[0] == '\0')
        detail = PQresultErrorField(res, PG_DIAG_CONTEXT);
    if (detail != NULL)
        pg_copy_trim(err->detail, sizeof(err->detail), detail, 0);
    if (hint != NULL)
        pg_copy_trim(err->hint, sizeof(err->hint), hint, 0);
    if (pos != NULL && sql != NULL)
        err->position = pg_byte_offset(sql, strtol(pos, NULL, 10));
}

/*
 * Whether a text that failed with sqlstate changed nothing: the server answered with an
 * error, and the text runs as one transaction (PostgreSQL runs the statements of one query
 * message in an implicit transaction) unless it commits on its own or builds an index
 * CONCURRENTLY, which commits as it goes and leaves an INVALID index behind on failure.
 */
static int
pg_rolled_back_whole(strata_conn *c, const char *sqlstate, const char *sql)
{
    if (sqlstate[0] == '\0' || strncmp(sqlstate, "08", 2) == 0 ||
        strncmp(sqlstate, "57P", 3) == 0 || PQstatus(c->pg) != CONNECTION_OK)
        return 0;
    return sql != NULL && strcasestr(sql, "concurrently") == NULL &&
           strcasestr(sql, "commit") == NULL && strcasestr(sql, "end") == NULL;
}

/*
 * When the connection is gone, prefixes the message of a failure with that news (once):
 * the server's own words ("terminating connection due to administrator command") arrive
 * before libpq notices the end of the connection. Returns rc.
 */
static int
pg_lost(strata_conn *c, int rc, strata_error *err)
{
    static const char lost[] = "lost the connection to the server: ";
    char msg[sizeof(err->message)];

    if (rc == STRATA_OK || err == NULL || PQstatus(c->pg) != CONNECTION_BAD ||
        strncmp(err->message, lost, sizeof(lost) - 1) == 0)
        return rc;
    memcpy(msg, err->message, sizeof(msg));
    snprintf(err->message, sizeof(err->message), "%s%.*s", lost, (int)(sizeof(msg) - sizeof(lost)),
             msg);
    if (err->hint[0] == '\0')
        snprintf(err->hint, sizeof(err->hint),
                 "the server ended the session: whatever ran in a transaction was rolled back; "
                 "check the server, then run strata again");
    return rc;
}

/* True when the SQLSTATE says a table (42P01) or schema (3F000) named is not there. */
static int
pg_not_found(const char *sqlstate)
{
    return strcmp(sqlstate, "42P01") == 0 || strcmp(sqlstate, "3F000") == 0;
}

/*
 * Fills *err from the error result res of sql, or from the connection's last error when
 * res is NULL (a failed send). Returns STRATA_NOT_FOUND for a missing table or schema, else
 * STRATA_ERROR.
 */
static int
pg_result_error(strata_conn *c, const PGresult *res, const char *sql, strata_error *err)
{
    const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *text = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(c->pg);
    char line[sizeof(err->message)];

    if (err == NULL)
        return STRATA_ERROR;
    pg_copy_trim(line, sizeof(line), primary != NULL ? primary : text, 1);
    if (line[0] == '\0')
        snprintf(line, sizeof(line), "unknown error (%s)",
                 res != NULL ? PQresStatus(PQresultStatus(res)) : "no result");
    pg_error(err, STRATA_ERROR, "%s", line);
    if (res != NULL)
        pg_error_fields(err, res, sql);
    if (pg_not_found(err->sqlstate) && PQstatus(c->pg) == CONNECTION_OK)
        err->status = STRATA_NOT_FOUND;
    if (STRATA_ERROR_HAS(err, unchanged))
        err->unchanged = pg_rolled_back_whole(c, err->sqlstate, sql);
    return pg_lost(c, err->status, err);
}

/* Refuses text whose length disagrees with len: libpq sends up to the first NUL. */
static int
pg_check_text(const char *sql, size_t len, strata_error *err)
{
    const char *nul = memchr(sql, '\0', len);

    if (nul != NULL)
        return pg_error(err, STRATA_USAGE, "the SQL text holds a NUL byte at offset %zu",
                        (size_t)(nul - sql));
    return STRATA_OK;
}

/* Server messages below ERROR: warnings are shown, notices ("already exists, skipping")
 * only with STRATA_DEBUG. */
static void
pg_notice(void *arg, const PGresult *res)
{
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *shown = PQresultErrorField(res, PG_DIAG_SEVERITY);
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    char line[512];

    (void)arg;
    pg_copy_trim(line, sizeof(line), primary != NULL ? primary : PQresultErrorMessage(res), 1);
    pg_host->log(sev != NULL && strcmp(sev, "WARNING") == 0 ? STRATA_LOG_WARN : STRATA_LOG_DEBUG,
                 "postgres: %s: %s", shown != NULL ? shown : "NOTICE", line);
}

/* ---- dialect ---- */

/* Appends ch (snprintf convention): counts it always, stores it while room is left. */
static void
pg_put(pg_buf *b, char ch)
{
    if (b->len + 1 < b->size)
        b->out[b->len] = ch;
    b->len++;
}

/* Ends b's text with a NUL (when size allows) and returns its full length. */
static size_t
pg_end(pg_buf *b)
{
    if (b->size > 0)
        b->out[b->len < b->size ? b->len : b->size - 1] = '\0';
    return b->len;
}

/* Copies text libpq quoted (freed here) with the snprintf convention; (size_t)-1 when libpq
 * refused (text invalid in the client encoding) or memory ran out. */
static size_t
pg_take(char *quoted, char *out, size_t size)
{
    size_t n;

    if (quoted == NULL)
        return (size_t)-1;
    n = strlen(quoted);
    if (size > 0) {
        size_t k = n < size ? n : size - 1;
        memcpy(out, quoted, k);
        out[k] = '\0';
    }
    PQfreemem(quoted);
    return n;
}

/* libpq's own quoting, which follows the session's encoding and standard_conforming_strings
 * (a value with a backslash becomes E'...' when it is off). */
static size_t
pg_quote_ident(strata_conn *c, const char *in, char *out, size_t size)
{
    return pg_take(PQescapeIdentifier(c->pg, in, strlen(in)), out, size);
}

static size_t
pg_quote_literal(strata_conn *c, const char *in, char *out, size_t size)
{
    return pg_take(PQescapeLiteral(c->pg, in, strlen(in)), out, size);
}

/* Returns in quoted by quote() in a new string the caller frees; NULL when it cannot be. */
static char *
pg_quoted(strata_conn *c, size_t (*quote)(strata_conn *, const char *, char *, size_t),
          const char *in)
{
    size_t n = quote(c, in, NULL, 0);
    char *out = n == (size_t)-1 ? NULL : malloc(n + 1);

    if (out != NULL)
        quote(c, in, out, n + 1);
    return out;
}

/* ---- running SQL ---- */

/* Hands the rows of res to sink->fn until it asks to stop. */
static int
pg_rows(const PGresult *res, pg_sink *sink, strata_error *err)
{
    const char *stack[PG_STACK_COLS];
    const char **values = stack;
    int ncols = PQnfields(res), nrows = PQntuples(res), r, i;

    if (sink->fn == NULL || sink->stopped || nrows == 0)
        return STRATA_OK;
    if (ncols > PG_STACK_COLS) {
        values = malloc((size_t)ncols * sizeof(*values)); /* freed below */
        if (values == NULL)
            return pg_error(err, STRATA_ERROR, "out of memory for %d result columns", ncols);
    }
    for (r = 0; r < nrows && !sink->stopped; r++) {
        for (i = 0; i < ncols; i++)
            values[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
        sink->stopped = sink->fn(sink->ctx, ncols, (const char *const *)values) != 0;
    }
    if (values != stack)
        free(values);
    return STRATA_OK;
}

/* Ends the COPY FROM STDIN in progress, failing it with why unless why is NULL. */
static int
pg_copy_end(strata_conn *c, pg_sink *sink, const char *why, strata_error *err)
{
    if (PQputCopyEnd(c->pg, why) == 1)
        return STRATA_OK;
    sink->broken = 1; /* still in COPY state: PQgetResult() would return COPY_IN forever */
    return pg_result_error(c, NULL, NULL, err);
}

/* Streams sink->data, in chunks, into the COPY FROM STDIN the server waits for, and ends it. */
static int
pg_copy_data(strata_conn *c, pg_sink *sink, strata_error *err)
{
    char *buf = malloc(PG_COPY_CHUNK); /* freed below */
    size_t n;
    int rc = STRATA_OK;

    sink->copied = 1;
    if (buf == NULL) {
        pg_copy_end(c, sink, "out of memory", NULL);
        return pg_error(err, STRATA_ERROR, "out of memory for the COPY data");
    }
    while ((n = sink->data(sink->data_ctx, buf, PG_COPY_CHUNK)) != 0) {
        if (n == (size_t)-1 || n > PG_COPY_CHUNK) {
            rc = pg_error(err, STRATA_ERROR, "%s", PG_COPY_FAILED);
            break;
        }
        if (PQputCopyData(c->pg, buf, (int)n) != 1) {
            rc = pg_result_error(c, NULL, NULL, err);
            break;
        }
    }
    free(buf);
    if (rc != STRATA_OK) {
        pg_copy_end(c, sink, PG_COPY_FAILED, NULL);
        return rc;
    }
    return pg_copy_end(c, sink, NULL, err);
}

/* A COPY FROM STDIN started: feed it sink's data, or fail it when there is none to give. */
static int
pg_copy_in_started(strata_conn *c, pg_sink *sink, int rc, strata_error *err)
{
    if (rc == STRATA_OK && sink->data != NULL && !sink->copied)
        return pg_copy_data(c, sink, err);
    pg_copy_end(c, sink, "not expected", NULL);
    if (rc != STRATA_OK)
        return rc;
    if (sink->data != NULL)
        return pg_error(err, STRATA_ERROR, "copy_in runs one COPY FROM STDIN, this text has more");
    return pg_error(err, STRATA_ERROR,
                    "COPY FROM STDIN needs its data: use copy_in for COPY FROM stdin");
}

/* A COPY TO STDOUT started: its rows are not needed, read and drop them. */
static int
pg_copy_out_started(strata_conn *c, pg_sink *sink, int rc, strata_error *err)
{
    char *row;
    int n;

    while ((n = PQgetCopyData(c->pg, &row, 0)) > 0)
        PQfreemem(row);
    if (n == -2) {
        sink->broken = PQstatus(c->pg) == CONNECTION_BAD;
        return rc != STRATA_OK ? rc : pg_result_error(c, NULL, NULL, err);
    }
    return rc;
}

/* Handles one result of sql; rc is the status so far, so that the first failure is kept. */
static int
pg_result(strata_conn *c, const PGresult *res, const char *sql, pg_sink *sink, int rc,
          strata_error *err)
{
    switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
        return rc;
    case PGRES_TUPLES_OK:
    case PGRES_SINGLE_TUPLE:
        return rc == STRATA_OK ? pg_rows(res, sink, err) : rc;
    case PGRES_COPY_IN:
        return pg_copy_in_started(c, sink, rc, err);
    case PGRES_COPY_OUT:
        return pg_copy_out_started(c, sink, rc, err);
    case PGRES_BAD_RESPONSE:
    case PGRES_NONFATAL_ERROR:
    case PGRES_FATAL_ERROR:
        return rc != STRATA_OK ? rc : pg_result_error(c, res, sql, err);
    default: /* COPY BOTH (replication), pipeline results: nothing strata sends */
        sink->broken = 1;
        return rc != STRATA_OK
                   ? rc
                   : pg_error(err, STRATA_ERROR, "unexpected result from the server: %s",
                              PQresStatus(PQresultStatus(res)));
    }
}

/*
 * Sends sql (one statement or several, by the simple query protocol: they run in one
 * implicit transaction unless they hold transaction control) and reads every result into
 * sink. Returns the status of the first failure, having read all results.
 */
static int
pg_send(strata_conn *c, const char *sql, pg_sink *sink, strata_error *err)
{
    PGresult *res;
    int rc = STRATA_OK;

    if (!PQsendQuery(c->pg, sql))
        return pg_result_error(c, NULL, sql, err);
    if (sink->stream)
        PQsetSingleRowMode(c->pg); /* on failure the rows come in one result, as before */
    while (!sink->broken && (res = PQgetResult(c->pg)) != NULL) {
        rc = pg_result(c, res, sql, sink, rc, err);
        PQclear(res);
    }
    return pg_lost(c, rc, err);
}

/* Skips blanks and -- and block comments of sql from p. */
static const char *
pg_skip_blank(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (p[0] == '-' && p[1] == '-')
            p += strcspn(p, "\n");
        else if (p[0] == '/' && p[1] == '*' && strstr(p + 2, "*/") != NULL)
            p = strstr(p + 2, "*/") + 2;
        else
            return p;
    }
}

/* Moves *p past the keyword kw (any case) followed by a word boundary; 1 when it was there. */
static int
pg_take_word(const char **p, const char *kw)
{
    const char *s = pg_skip_blank(*p);
    size_t n = strlen(kw);
    if (strncasecmp(s, kw, n) != 0 || isalnum((unsigned char)s[n]) || s[n] == '_')
        return 0;
    *p = s + n;
    return 1;
}

/*
 * The index name of a statement CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ...
 * into out, as written (quotes and schema included); 0 when sql is none or names none.
 */
static int
pg_concurrent_index(const char *sql, char *out, size_t size)
{
    const char *p = sql;
    if (!pg_take_word(&p, "CREATE"))
        return 0;
    pg_take_word(&p, "UNIQUE");
    if (!pg_take_word(&p, "INDEX") || !pg_take_word(&p, "CONCURRENTLY"))
        return 0;
    if (pg_take_word(&p, "IF") && !(pg_take_word(&p, "NOT") && pg_take_word(&p, "EXISTS")))
        return 0;
    p = pg_skip_blank(p);
    size_t n = 0;
    while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t' && p[n] != '\n' && p[n] != '(')
        n++;
    if (n == 0 || n >= size || strncasecmp(p, "ON", n) == 0)
        return 0; /* no name: the server makes one up */
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

static int pg_run(strata_conn *c, const char *sql, char *value, size_t size, strata_error *err);

/* True when the index name (as written in SQL) exists and is INVALID. */
static int
pg_invalid_index(strata_conn *c, const char *name)
{
    char *lit = pg_quoted(c, pg_quote_literal, name), value[8] = "";
    if (lit == NULL)
        return 0;
    size_t n = strlen(lit) + 128;
    char *sql = malloc(n);
    strata_error ignored = STRATA_ERROR_INIT;
    memset(&ignored, 0, sizeof(ignored));
    ignored.size = sizeof(ignored);
    if (sql != NULL) {
        snprintf(sql, n,
                 "SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = "
                 "pg_catalog.to_regclass(%s) AND NOT indisvalid",
                 lit);
        pg_run(c, sql, value, sizeof(value), &ignored);
    }
    free(sql);
    free(lit);
    return strcmp(value, "1") == 0;
}

/*
 * Runs SQL text. A CREATE INDEX CONCURRENTLY that fails leaves an INVALID index behind,
 * which makes the same statement fail again ("already exists") when the migration is
 * resumed: the error of the failure says to drop it, and a statement whose index is
 * already there and INVALID is refused before it runs, saying the same.
 */
static int
pg_exec(strata_conn *c, const char *sql, size_t len, strata_error *err)
{
    pg_sink sink = {0};
    char index[256];
    int rc = pg_check_text(sql, len, err);
    int concurrent = rc == STRATA_OK && pg_concurrent_index(sql, index, sizeof(index));
    if (concurrent && pg_invalid_index(c, index)) {
        rc = pg_error(err, STRATA_ERROR,
                      "the index %s is INVALID, left by an earlier CREATE INDEX CONCURRENTLY that "
                      "failed; this statement cannot run until it is dropped",
                      index);
        snprintf(err->hint, sizeof(err->hint),
                 "drop it with DROP INDEX CONCURRENTLY %.200s, then run the migration again",
                 index);
        return rc;
    }
    if (rc == STRATA_OK)
        rc = pg_send(c, sql, &sink, err);
    if (rc != STRATA_OK && concurrent && pg_invalid_index(c, index))
        snprintf(err->hint, sizeof(err->hint),
                 "CREATE INDEX CONCURRENTLY failed and left the INVALID index %.120s behind: drop "
                 "it with DROP INDEX CONCURRENTLY %.120s before running the migration again",
                 index, index);
    return rc;
}

/*
 * Hands each row to fn as it arrives (single-row mode): a result of thousands of rows (the
 * history of a long-lived database) is never held whole, so memory does not grow with it.
 */
static int
pg_query(strata_conn *c, const char *sql, strata_row_fn fn, void *ctx, strata_error *err)
{
    pg_sink sink = {.fn = fn, .ctx = ctx, .stream = fn != NULL};

    return pg_send(c, sql, &sink, err);
}

/* A strata_row_fn copying the first value of the first row into the pg_buf ctx. */
static int
pg_first_value(void *ctx, int ncols, const char *const *values)
{
    pg_buf *b = ctx;

    if (ncols > 0 && values[0] != NULL)
        snprintf(b->out, b->size, "%s", values[0]);
    return 1;
}

/*
 * Runs one of the driver's own statements (transaction control, the lock, the session
 * setup). When value is not NULL, copies the first value of the first row into it ("" when
 * there is none).
 */
static int
pg_run(strata_conn *c, const char *sql, char *value, size_t size, strata_error *err)
{
    pg_buf b = {value, size, 0};
    pg_sink sink = {.fn = value != NULL ? pg_first_value : NULL, .ctx = &b};

    if (value != NULL && size > 0)
        value[0] = '\0';
    return pg_send(c, sql, &sink, err);
}

/* ---- transactions ---- */

/* The connection's transaction state: idle, in a transaction, or in a failed one. */
static int
pg_tx_state(strata_conn *c, PGTransactionStatusType *state, strata_error *err)
{
    *state = PQtransactionStatus(c->pg);
    if (*state == PQTRANS_UNKNOWN)
        return pg_result_error(c, NULL, NULL, err); /* the connection is gone */
    if (*state == PQTRANS_ACTIVE) /* every call reads all its results: cannot happen */
        return pg_error(err, STRATA_ERROR, "a command is still running on this connection");
    return STRATA_OK;
}

/* Refuses to nest: a BEGIN inside a transaction is only a warning in PostgreSQL. */
static int
pg_begin(strata_conn *c, strata_error *err)
{
    PGTransactionStatusType state;
    int rc = pg_tx_state(c, &state, err);

    if (rc != STRATA_OK)
        return rc;
    if (state != PQTRANS_IDLE)
        return pg_error(err, STRATA_ERROR, "cannot begin a transaction: one is already open");
    return pg_run(c, "BEGIN", NULL, 0, err);
}

/* COMMIT of a failed transaction only rolls it back: say so instead of reporting success. */
static int
pg_commit(strata_conn *c, strata_error *err)
{
    PGTransactionStatusType state;
    int rc = pg_tx_state(c, &state, err);

    if (rc != STRATA_OK)
        return rc;
    if (state == PQTRANS_IDLE)
        return pg_error(err, STRATA_ERROR, "cannot commit: no transaction is open");
    if (state == PQTRANS_INERROR) {
        rc = pg_run(c, "ROLLBACK", NULL, 0, err);
        return rc != STRATA_OK ? rc
                               : pg_error(err, STRATA_ERROR,
                                          "cannot commit: an earlier statement failed, so the "
                                          "transaction was rolled back");
    }
    return pg_run(c, "COMMIT", NULL, 0, err);
}

/* Rolling back when no transaction is open is OK. */
static int
pg_rollback(strata_conn *c, strata_error *err)
{
    if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        return STRATA_OK;
    return pg_run(c, "ROLLBACK", NULL, 0, err);
}

static size_t
pg_server_version(strata_conn *c, char *out, size_t size)
{
    const char *v = PQparameterStatus(c->pg, "server_version");
    int n = snprintf(out, size, "PostgreSQL %s", v != NULL ? v : "(version unknown)");

    return n < 0 ? 0 : (size_t)n;
}

/* ---- the migration lock ---- */

/* What stands between strata and the server, when the session cannot be relied on. */
static const char *
pg_pool_said(const strata_conn *c)
{
    return c->pool == PG_POOL_SHARED ? "PostgreSQL is reached through a pooler in transaction "
                                       "or statement mode"
                                     : "PostgreSQL is reached through a pooler or proxy that "
                                       "may be in transaction or statement mode";
}

/* The advisory lock key: 64-bit FNV-1a of the database name, a NUL, and the lock name. */
static uint64_t
pg_lock_key(const char *database, const char *name)
{
    uint64_t h = 0xcbf29ce484222325u;
    const unsigned char *p;

    for (p = (const unsigned char *)database; *p != '\0'; p++)
        h = (h ^ *p) * 0x100000001b3u;
    h *= 0x100000001b3u; /* the NUL: h ^ 0 == h */
    for (p = (const unsigned char *)(name != NULL ? name : ""); *p != '\0'; p++)
        h = (h ^ *p) * 0x100000001b3u;
    return h;
}

/* The key as the signed bigint the advisory lock functions take. */
static long long
pg_key_sql(uint64_t key)
{
    return key <= INT64_MAX ? (long long)key : -(long long)(UINT64_MAX - key) - 1;
}

static void
pg_sleep_ms(long long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

/* Appends printf-style text to b (snprintf convention). */
static void pg_appendf(pg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
pg_appendf(pg_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(b->len < b->size ? b->out + b->len : NULL,
                  b->len < b->size ? b->size - b->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len += (size_t)n;
}

/* A strata_row_fn describing the lock holder's row (pid, application, user, since). */
static int
pg_holder_row(void *ctx, int ncols, const char *const *v)
{
    static const char *const labels[] = {"pid", "application", "user", "since"};
    pg_buf *b = ctx;
    int i, parts = 0;

    if (ncols < 4 || v[0] == NULL)
        return 1;
    b->len = 0;
    pg_appendf(b, "pid %s", v[0]);
    for (i = 1; i < 4; i++) {
        if (v[i] != NULL && v[i][0] != '\0')
            pg_appendf(b, "%s%s %s", parts++ ? ", " : " (", labels[i], v[i]);
    }
    if (parts > 0)
        pg_appendf(b, ")");
    return 1;
}

/*
 * Describes the session holding the advisory lock key in out: "pid P (application A, user
 * U, since T)", T being when the holder connected (pg_locks does not say when a lock was
 * granted). Parts pg_stat_activity hides from this user are left out.
 */
static void
pg_lock_holder(strata_conn *c, uint64_t key, char *out, size_t size)
{
    char sql[640];
    pg_buf b = {out, size, 0};
    strata_error scratch = STRATA_ERROR_INIT;

    snprintf(out, size, "another session (which may have just let it go)");
    snprintf(sql, sizeof(sql),
             "SELECT l.pid, a.application_name, a.usename, "
             "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC' "
             "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
             "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
             "(SELECT oid FROM pg_database WHERE datname = current_database()) "
             "AND l.classid = '%u' AND l.objid = '%u' AND l.objsubid = 1 LIMIT 1",
             (unsigned)(key >> 32), (unsigned)(key & 0xffffffffu));
    pg_query(c, sql, pg_holder_row, &b, &scratch);
}

static int
pg_lock_timeout(strata_conn *c, uint64_t key, long timeout_ms, strata_error *err)
{
    char holder[256];

    pg_lock_holder(c, key, holder, sizeof(holder));
    pg_error(err, STRATA_LOCK_TIMEOUT,
             "timed out after %ld ms waiting for the migration lock (advisory lock %lld on "
             "database %s), held by %s",
             timeout_ms, pg_key_sql(key), c->database, holder);
    if (err != NULL)
        snprintf(err->hint, sizeof(err->hint),
                 "another migration run is working on this database; wait for it to finish, "
                 "or raise --lock-timeout");
    return STRATA_LOCK_TIMEOUT;
}

/*
 * Checks that the lock pg_try_advisory_lock() granted is held by this very backend. Behind
 * a pooler in transaction mode each statement may run on another server session, and a
 * session lock is then held by a session strata does not own.
 */
static int
pg_lock_verify(strata_conn *c, uint64_t key, strata_error *err)
{
    char sql[320], got[32];
    strata_error scratch = STRATA_ERROR_INIT;
    int rc;

    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
             "AND pid = pg_backend_pid() AND classid = '%u' AND objid = '%u' AND objsubid = 1",
             (unsigned)(key >> 32), (unsigned)(key & 0xffffffffu));
    rc = pg_run(c, sql, got, sizeof(got), err);
    if (rc != STRATA_OK)
        return rc;
    if (strcmp(got, "0") != 0) {
        c->lock_held = 1;
        c->lock_key = key;
        return STRATA_OK;
    }
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%lld)", pg_key_sql(key));
    pg_run(c, sql, got, sizeof(got), &scratch); /* best effort: it may reach another session */
    pg_error(err, STRATA_ERROR,
             "the migration lock (advisory lock %lld) was granted, but not to this session: "
             "a connection pooler in transaction mode (e.g. PgBouncer pool_mode=transaction) "
             "cannot hold session locks",
             pg_key_sql(key));
    if (err != NULL)
        snprintf(err->hint, sizeof(err->hint),
                 "connect strata directly to PostgreSQL, or through a session-mode pool");
    return STRATA_ERROR;
}

/*
 * Takes the session advisory lock keyed by the database and name, polling
 * pg_try_advisory_lock() every PG_LOCK_POLL_MS. Never pg_advisory_lock(): a waiter must not
 * sit inside a statement, and since no transaction stays open while it waits, a CREATE
 * INDEX CONCURRENTLY run by the holder never waits for the waiters. Taking the lock this
 * session already holds is a no-op (advisory locks stack; one unlock() must free it).
 * Behind a pooler that shares server sessions it returns STRATA_NOT_SUPPORTED, saying why:
 * the core then takes its table lock instead (driver.h).
 */
static int
pg_lock(strata_conn *c, const char *name, long timeout_ms, strata_error *err)
{
    uint64_t key = pg_lock_key(c->database, name);
    long long start = pg_now_ms(), waited;
    PGTransactionStatusType state;
    char sql[96], got[8];
    int rc = pg_tx_state(c, &state, err);

    if (rc != STRATA_OK)
        return rc;
    if (c->pool != PG_POOL_OWN)
        return pg_error(err, STRATA_NOT_SUPPORTED,
                        "%s (%s), where a session advisory lock cannot be the migration lock",
                        pg_pool_said(c), c->pool_why);
    if (state != PQTRANS_IDLE)
        return pg_error(err, STRATA_ERROR,
                        "cannot take the migration lock inside a transaction: it must be "
                        "taken with no transaction open");
    if (c->lock_held && c->lock_key == key)
        return STRATA_OK;
    snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%lld)", pg_key_sql(key));
    for (;;) {
        rc = pg_run(c, sql, got, sizeof(got), err);
        if (rc != STRATA_OK)
            return rc;
        if (strcmp(got, "t") == 0)
            return pg_lock_verify(c, key, err);
        waited = pg_now_ms() - start;
        if (timeout_ms >= 0 && waited >= timeout_ms)
            return pg_lock_timeout(c, key, timeout_ms, err);
        if (timeout_ms >= 0 && timeout_ms - waited < PG_LOCK_POLL_MS)
            pg_sleep_ms(timeout_ms - waited);
        else
            pg_sleep_ms(PG_LOCK_POLL_MS);
    }
}

/* Releasing a lock this connection does not hold is a no-op. */
static int
pg_unlock(strata_conn *c, const char *name, strata_error *err)
{
    uint64_t key = pg_lock_key(c->database, name);
    char sql[96], got[8];
    int rc;

    if (!c->lock_held || c->lock_key != key)
        return STRATA_OK;
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%lld)", pg_key_sql(key));
    rc = pg_run(c, sql, got, sizeof(got), err);
    if (rc != STRATA_OK)
        return rc;
    c->lock_held = 0;
    if (strcmp(got, "t") != 0)
        return pg_error(err, STRATA_ERROR,
                        "the migration lock (advisory lock %lld) was no longer held by this "
                        "session when released",
                        pg_key_sql(key));
    return STRATA_OK;
}

/* ---- COPY ---- */

/* Runs sql, which must start one COPY ... FROM STDIN, and streams data() into it. */
static int
pg_copy_in(strata_conn *c, const char *sql, size_t len, strata_read_fn data, void *data_ctx,
           strata_error *err)
{
    pg_sink sink = {.data = data, .data_ctx = data_ctx};
    int rc = pg_check_text(sql, len, err);

    if (rc != STRATA_OK)
        return rc;
    if (data == NULL)
        return pg_error(err, STRATA_USAGE, "copy_in needs a data reader");
    rc = pg_send(c, sql, &sink, err);
    if (rc == STRATA_OK && !sink.copied)
        rc = pg_error(err, STRATA_ERROR, "the statement given to copy_in is not a COPY FROM STDIN");
    return rc;
}

/* ---- connections ---- */

/* Keyword/value arrays for PQconnectdbParams(), NULL-terminated. */
typedef struct pg_kv {
    const char **keys;
    const char **values;
    size_t n;
} pg_kv;

/* Adds key=value; libpq ignores empty values, so NULL and "" are left out. */
static void
pg_kv_add(pg_kv *kv, const char *key, const char *value)
{
    if (value == NULL || value[0] == '\0')
        return;
    kv->keys[kv->n] = key;
    kv->values[kv->n] = value;
    kv->n++;
}

/* True when key is one of libpq's connection keywords. */
static int
pg_is_keyword(const PQconninfoOption *defs, const char *key)
{
    for (; defs->keyword != NULL; defs++) {
        if (strcmp(defs->keyword, key) == 0)
            return 1;
    }
    return 0;
}

/*
 * Checks the URL's query parameters: libpq keywords, or strata's schema (its value goes to
 * *schema). client_encoding may only repeat UTF8, which the driver needs.
 */
static int
pg_check_params(const strata_url *url, const char **schema, strata_error *err)
{
    /* every keyword, without PQconndefaults()'s reading of the environment and service
     * file, whose errors belong to the connection attempt; PQconninfoFree() below */
    PQconninfoOption *defs = PQconninfoParse("", NULL);
    int rc = STRATA_OK;
    size_t i;

    if (defs == NULL)
        return pg_error(err, STRATA_ERROR, "out of memory reading libpq's connection keywords");
    for (i = 0; i < url->nparams && rc == STRATA_OK; i++) {
        const char *key = url->params[i].key != NULL ? url->params[i].key : "";
        const char *value = url->params[i].value != NULL ? url->params[i].value : "";

        if (strcmp(key, "schema") == 0)
            *schema = value;
        else if (strcmp(key, "client_encoding") == 0 && strcasecmp(value, "UTF8") != 0 &&
                 strcasecmp(value, "UTF-8") != 0)
            rc = pg_error(err, STRATA_USAGE,
                          "client_encoding \"%.40s\" in the URL: the postgres driver always "
                          "uses UTF8",
                          value);
        else if (!pg_is_keyword(defs, key))
            rc = pg_error(err, STRATA_USAGE,
                          "unknown parameter \"%.100s\" in the URL: neither a libpq connection "
                          "keyword nor strata's schema",
                          key);
    }
    PQconninfoFree(defs);
    return rc;
}

/* The options member, when the core's struct has it and it is set; else NULL or 0. */
#define PG_OPT(opts, member, none)                                                                 \
    ((opts) != NULL &&                                                                             \
             (opts)->size >= offsetof(strata_connect_options, member) + sizeof((opts)->member)     \
         ? (opts)->member                                                                          \
         : (none))

/*
 * A URL's list of hosts ("h1:5432,h2,[::1]:5433") as libpq's host and port keywords take
 * it: "h1,h2,::1" and "5432,,5433" (an empty port is the default). Both NULL for one host.
 */
typedef struct pg_hosts {
    char *hosts; /* owned */
    char *ports; /* owned */
} pg_hosts;

static void
pg_hosts_free(pg_hosts *h)
{
    free(h->hosts);
    free(h->ports);
}

/* Splits list into h (allocated); returns 0, or -1 when memory runs out. */
static int
pg_split_hosts(const char *list, pg_hosts *h)
{
    size_t n = strlen(list) + 1;
    char *hp, *pp;
    const char *p = list;

    h->hosts = hp = malloc(n); /* freed by pg_hosts_free */
    h->ports = pp = malloc(n);
    if (hp == NULL || pp == NULL)
        return -1;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        const char *end = p + len, *colon = NULL, *host = p, *host_end;
        if (*p == '[') { /* [ipv6]:port */
            host = p + 1;
            host_end = memchr(host, ']', (size_t)(end - host));
            if (host_end == NULL)
                host_end = end;
            colon = host_end + 1 < end && host_end[1] == ':' ? host_end + 1 : NULL;
        } else {
            colon = memchr(p, ':', len);
            host_end = colon != NULL ? colon : end;
        }
        memcpy(hp, host, (size_t)(host_end - host));
        hp += host_end - host;
        if (colon != NULL) {
            memcpy(pp, colon + 1, (size_t)(end - colon - 1));
            pp += end - colon - 1;
        }
        p = *end == ',' ? end + 1 : end;
        if (*end == ',') {
            *hp++ = ',';
            *pp++ = ',';
        }
    }
    *hp = '\0';
    *pp = '\0';
    return 0;
}

/*
 * Fills kv from the URL and the options, in the order libpq lets later keywords win: the
 * URL's parts, then the defaults, then the URL's parameters, then client_encoding. port and
 * timeout are buffers for numbers; kv points into them and into url.
 */
static void
pg_keywords(const strata_url *url, const strata_connect_options *opts, pg_kv *kv, char *port,
            size_t port_size, char *timeout, size_t timeout_size, const pg_hosts *hosts)
{
    long timeout_ms = PG_OPT(opts, connect_timeout_ms, 0);
    size_t i;

    if (hosts->hosts != NULL) { /* several hosts: libpq tries them in turn */
        pg_kv_add(kv, "host", hosts->hosts);
        pg_kv_add(kv, "port", hosts->ports);
    } else {
        pg_kv_add(kv, "host", url->host);
    }
    if (hosts->hosts == NULL && url->port > 0) {
        snprintf(port, port_size, "%d", url->port);
        pg_kv_add(kv, "port", port);
    }
    pg_kv_add(kv, "user", url->user);
    pg_kv_add(kv, "password", url->password);
    pg_kv_add(kv, "dbname", url->database);
    if (timeout_ms > 0) {
        snprintf(timeout, timeout_size, "%ld", (timeout_ms + 999) / 1000);
        pg_kv_add(kv, "connect_timeout", timeout);
    }
    pg_kv_add(kv, "fallback_application_name", PG_OPT(opts, application, NULL));
    for (i = 0; i < url->nparams; i++) {
        if (strcmp(url->params[i].key, "schema") != 0)
            pg_kv_add(kv, url->params[i].key, url->params[i].value);
    }
    pg_kv_add(kv, "client_encoding", "UTF8");
    kv->keys[kv->n] = NULL;
    kv->values[kv->n] = NULL;
}

/*
 * A hint for a TLS handshake refused over the server's certificate: libpq's "certificate
 * verify failed" does not say which parameter names the certificate authority, and a host
 * name mismatch can be checked less strictly.
 */
static void
pg_tls_hint(const char *text, strata_error *err)
{
    if (strstr(text, "certificate verify failed") != NULL)
        snprintf(err->hint, sizeof(err->hint),
                 "the server's certificate is not signed by the certificate authority strata "
                 "was given: name the CA certificate that signed it with "
                 "sslrootcert=/path/to/ca.crt in the URL (without it libpq reads "
                 "~/.postgresql/root.crt)");
    else if (strstr(text, "does not match host name") != NULL)
        snprintf(err->hint, sizeof(err->hint),
                 "sslmode=verify-full checks that the certificate names the host in the URL: "
                 "connect with a host name the certificate names, or use sslmode=verify-ca to "
                 "check the certificate authority only");
}

/* "cannot connect: " and libpq's first line; the lines after it go to the detail. */
static int
pg_connect_failed(PGconn *pg, strata_error *err)
{
    const char *text = pg != NULL ? PQerrorMessage(pg) : "out of memory";
    char line[sizeof(err->message) - 32];
    const char *rest;

    if (err == NULL)
        return STRATA_ERROR;
    rest = pg_copy_trim(line, sizeof(line), text, 1);
    pg_error(err, STRATA_ERROR, "cannot connect: %s", line);
    pg_copy_trim(err->detail, sizeof(err->detail), rest, 0);
    pg_tls_hint(line, err);
    return STRATA_ERROR;
}

/*
 * Creates the schema when missing and makes it the search_path. It is looked up first
 * because CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when
 * the schema exists.
 */
static int
pg_use_schema(strata_conn *c, const char *schema, strata_error *err)
{
    char *lit = pg_quoted(c, pg_quote_literal, schema),
         *ident = pg_quoted(c, pg_quote_ident, schema);
    size_t size = (lit != NULL ? strlen(lit) : 0) + 2 * (ident != NULL ? strlen(ident) : 0) + 96;
    char *sql = malloc(size), got[32];
    int rc;

    if (lit == NULL || ident == NULL || sql == NULL) {
        rc = pg_error(err, STRATA_ERROR, "out of memory");
        goto done;
    }
    snprintf(sql, size, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", lit);
    rc = pg_run(c, sql, got, sizeof(got), err);
    if (rc != STRATA_OK)
        goto done;
    if (strcmp(got, "0") == 0)
        snprintf(sql, size, "CREATE SCHEMA IF NOT EXISTS %s; SET search_path TO %s", ident, ident);
    else
        snprintf(sql, size, "SET search_path TO %s", ident);
    rc = pg_run(c, sql, NULL, 0, err);
done:
    free(sql);
    free(ident);
    free(lit);
    return rc;
}

/* What the set-up session looks like: a strata_row_fn over (current_database(),
 * current_schema(), search_path) filling the pg_session ctx. */
typedef struct pg_session {
    char *database;
    char *home;
    char *search_path;
    int got;
} pg_session;

static int
pg_session_row(void *ctx, int ncols, const char *const *values)
{
    pg_session *ps = ctx;

    if (ncols < 3 || ps->got)
        return 1;
    ps->got = 1;
    ps->database = strdup(values[0] != NULL ? values[0] : "");
    ps->home = values[1] != NULL ? strdup(values[1]) : NULL;
    ps->search_path = strdup(values[2] != NULL ? values[2] : "");
    return 1;
}

/*
 * The settings the driver makes, as SQL: run at connect and again after each reset. A pooler
 * that shares server sessions keeps DateStyle per client (PgBouncer tracks it), but not
 * client_connection_check_interval, which would stay with a server session other clients
 * get: it is left out there.
 */
static const char *
pg_settings_sql(strata_conn *c)
{
    return PQserverVersion(c->pg) >= 140000 && c->pool == PG_POOL_OWN
               ? "SET DateStyle = ISO; SET client_connection_check_interval = 500"
               : "SET DateStyle = ISO";
}

/*
 * Remembers the set-up session: the database, the schema unqualified names go to (the core
 * names its history tables with it), and the SQL that puts everything a migration may change
 * (search_path, standard_conforming_strings, any SET) back: RESET ALL, the driver's own
 * settings, the search_path as it was.
 */
static int
pg_capture_session(strata_conn *c, strata_error *err)
{
    pg_session ps = {0};
    pg_sink sink = {.fn = pg_session_row, .ctx = &ps};
    char sql[256];
    char *lit = NULL;
    int rc;

    snprintf(sql, sizeof(sql),
             "%s; SELECT current_database(), current_schema(), "
             "pg_catalog.current_setting('search_path')",
             pg_settings_sql(c));
    rc = pg_send(c, sql, &sink, err);
    if (rc == STRATA_OK && (!ps.got || ps.database == NULL || ps.search_path == NULL ||
                            (lit = pg_quoted(c, pg_quote_literal, ps.search_path)) == NULL))
        rc = pg_error(err, STRATA_ERROR, "out of memory");
    if (rc == STRATA_OK) {
        size_t size = strlen(lit) + 160;
        c->reset_sql = malloc(size);
        if (c->reset_sql == NULL)
            rc = pg_error(err, STRATA_ERROR, "out of memory");
        else
            snprintf(c->reset_sql, size,
                     "RESET ALL; %s; SELECT pg_catalog.set_config('search_path', %s, false)",
                     pg_settings_sql(c), lit);
    }
    c->database = ps.database;
    c->home = ps.home;
    free(ps.search_path);
    free(lit);
    return rc;
}

/*
 * Tells whether a pooler stands between strata and the server and shares server sessions
 * between clients (pooler.h): only when the server's view of the connection (facts) differs
 * from libpq's does it cost a second connection. Says what it found in the debug log.
 */
static void
pg_check_pooler(strata_conn *c, const pg_kv *kv, const pg_pool_facts *facts)
{
    if (!pg_pool_suspected(c->pg, facts))
        return;
    c->pool = pg_pool_shared(c->pg, kv->keys, kv->values, facts, c->pool_why, sizeof(c->pool_why));
    pg_host->log(STRATA_LOG_INFO,
                 "postgres: the server sees another port or address than strata connected to "
                 "(a pooler or proxy): %s; the migration lock is %s",
                 c->pool_why,
                 c->pool == PG_POOL_OWN ? "a session advisory lock" : "strata's lock table");
}

/* schema= makes the search_path of the session: refused where the session does not last. */
static int
pg_schema_refused(strata_conn *c, const char *schema, strata_error *err)
{
    pg_error(err, STRATA_USAGE,
             "schema=%.100s (or --schema) sets the search_path of the session, which does not "
             "last: %s (%s)",
             schema, pg_pool_said(c), c->pool_why);
    if (err != NULL)
        snprintf(err->hint, sizeof(err->hint),
                 "connect directly or through a session-mode pool (PgBouncer "
                 "pool_mode=session), or give the role the search_path on the server (ALTER "
                 "ROLE ... SET search_path TO %.100s) and leave schema= out",
                 schema);
    return STRATA_USAGE;
}

/*
 * Prepares the session: DateStyle ISO, so that TIMESTAMP columns read back as the core
 * wrote them (the date order for input stays the server's); whether a pooler shares the
 * server session (the same round trip reads what the check needs); the schema when one is
 * given; then remembers what the session looks like. From PostgreSQL 14 on, the server also
 * checks every half second that strata is still connected: a migration travels as one batch
 * ending in COMMIT, and without the check a runner killed mid-migration would have the
 * server finish and commit it anyway, holding the migration lock until then. kv is what
 * the connection was opened with (the pooler probe opens a second one like it).
 */
static int
pg_setup(strata_conn *c, const pg_kv *kv, const char *schema, strata_error *err)
{
    pg_pool_facts facts = {0};
    pg_sink sink = {.fn = pg_pool_facts_row, .ctx = &facts};
    int rc = pg_send(c, "SET DateStyle = ISO; " PG_POOL_FACTS_SQL, &sink, err);

    if (rc != STRATA_OK)
        return rc;
    pg_check_pooler(c, kv, &facts);
    if (schema != NULL && schema[0] != '\0')
        rc = c->pool == PG_POOL_OWN ? pg_use_schema(c, schema, err)
                                    : pg_schema_refused(c, schema, err);
    if (rc == STRATA_OK)
        rc = pg_capture_session(c, err);
    return rc;
}

/* What puts the session back as it was after connect (session_reset_sql). */
static size_t
pg_session_reset_sql(strata_conn *c, char *out, size_t size)
{
    int n = snprintf(out, size, "%s", c->reset_sql != NULL ? c->reset_sql : "");

    return n < 0 ? 0 : (size_t)n;
}

/* Closes the session (the server then releases its advisory lock) and frees c. */
static void
pg_close(strata_conn *c)
{
    if (c == NULL)
        return;
    if (c->pg != NULL)
        PQfinish(c->pg);
    free(c->database);
    free(c->home);
    free(c->reset_sql);
    free(c);
}

/* Connects as the URL says; *out is the caller's until pg_close(). */
static int
pg_connect(const strata_url *url, const strata_connect_options *opts, strata_conn **out,
           strata_error *err)
{
    const char *schema = NULL, *opt_schema = PG_OPT(opts, schema, NULL);
    char port[16], timeout[32];
    pg_kv kv = {0};
    pg_hosts hosts = {0};
    strata_conn *c = NULL;
    int rc;

    *out = NULL;
    if (url == NULL)
        return pg_error(err, STRATA_USAGE, "no URL to connect to");
    rc = pg_check_params(url, &schema, err);
    if (rc != STRATA_OK)
        return rc;
    if (opt_schema != NULL && opt_schema[0] != '\0')
        schema = opt_schema;
    kv.keys = calloc(url->nparams + PG_FIXED_KEYWORDS + 1, sizeof(*kv.keys));
    kv.values = calloc(url->nparams + PG_FIXED_KEYWORDS + 1, sizeof(*kv.values));
    c = calloc(1, sizeof(*c));
    if (kv.keys == NULL || kv.values == NULL || c == NULL ||
        (url->host != NULL && strchr(url->host, ',') != NULL &&
         pg_split_hosts(url->host, &hosts) != 0)) {
        rc = pg_error(err, STRATA_ERROR, "cannot connect: out of memory");
        goto fail;
    }
    pg_keywords(url, opts, &kv, port, sizeof(port), timeout, sizeof(timeout), &hosts);
    c->pg = PQconnectdbParams(kv.keys, kv.values, 0); /* 0: dbname is a name, not conninfo */
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
        rc = pg_connect_failed(c->pg, err);
        goto fail;
    }
    PQsetNoticeReceiver(c->pg, pg_notice, NULL);
    rc = pg_setup(c, &kv, schema, err);
    if (rc != STRATA_OK)
        goto fail;
    free(kv.keys);
    free(kv.values);
    pg_hosts_free(&hosts);
    *out = c;
    return STRATA_OK;

fail:
    free(kv.keys);
    free(kv.values);
    pg_hosts_free(&hosts);
    pg_close(c);
    return rc;
}

/* ---- backup ---- */

#define PG_DUMP "pg_dump"
#define PG_DUMP_ENV "STRATA_PG_DUMP"
#define PG_DUMP_FALLBACK_DIR "/usr/lib/postgresql/"
#define PG_DUMP_FALLBACK PG_DUMP_FALLBACK_DIR "*/bin/pg_dump"
#define PG_DUMP_MISSING                                                                            \
    "pg_dump not found: install postgresql-client (apt-get install postgresql-client)"
#define PG_TOOL_PATH_MAX 4096
#define PG_TOOL_TEXT_MAX 8192 /* how much of the tool's standard error is kept */
#define PG_TOOL_WARN_LINES 5  /* lines of a successful run's standard error logged */
#define PG_DUMP_ARGS 12

/* The host's find_program (driver.h): name in PATH, or as given when it holds a '/'. */
static int
pg_search_path(const char *name, char *out, size_t size)
{
    if (pg_host->size < offsetof(strata_host, find_program) + sizeof(pg_host->find_program) ||
        pg_host->find_program == NULL)
        return 0;
    return pg_host->find_program(name, out, size);
}

/* The newest /usr/lib/postgresql/VERSION/bin/pg_dump (Debian's layout) into out, or 0. */
static int
pg_search_fallback(char *out, size_t size)
{
    long best = -1, version;
    char found[PG_TOOL_PATH_MAX];
    glob_t g;
    size_t i;

    if (glob(PG_DUMP_FALLBACK, 0, NULL, &g) != 0)
        return 0;
    for (i = 0; i < g.gl_pathc; i++) {
        version = strtol(g.gl_pathv[i] + strlen(PG_DUMP_FALLBACK_DIR), NULL, 10);
        if (version > best && strlen(g.gl_pathv[i]) < size &&
            pg_search_path(g.gl_pathv[i], found, sizeof(found))) {
            best = version;
            snprintf(out, size, "%s", g.gl_pathv[i]);
        }
    }
    globfree(&g);
    return best >= 0;
}

/*
 * Finds pg_dump: STRATA_PG_DUMP when set (a path, or a name looked up in PATH), else
 * pg_dump in PATH, else the newest /usr/lib/postgresql/VERSION/bin/pg_dump.
 */
static int
pg_find_dump(char *out, size_t size, strata_error *err)
{
    const char *forced = getenv(PG_DUMP_ENV);

    if (forced != NULL && forced[0] != '\0') {
        if (pg_search_path(forced, out, size))
            return STRATA_OK;
        pg_error(err, STRATA_NOT_SUPPORTED, "%s", PG_DUMP_MISSING);
        if (err != NULL)
            snprintf(err->detail, sizeof(err->detail),
                     "%s=%.200s is not an executable file (unset it to search PATH and %s)",
                     PG_DUMP_ENV, forced, PG_DUMP_FALLBACK);
        return STRATA_NOT_SUPPORTED;
    }
    if (pg_search_path(PG_DUMP, out, size) || pg_search_fallback(out, size))
        return STRATA_OK;
    pg_error(err, STRATA_NOT_SUPPORTED, "%s", PG_DUMP_MISSING);
    if (err != NULL)
        snprintf(err->detail, sizeof(err->detail),
                 "searched PATH and %s; %s=/path/to/pg_dump names one explicitly", PG_DUMP_FALLBACK,
                 PG_DUMP_ENV);
    return STRATA_NOT_SUPPORTED;
}

/*
 * The password pg_dump needs, as connect() gives it to libpq: the URL's, overridden by a
 * password= parameter. sslpassword has no environment variable: pg_dump could only get it
 * on its command line, which other users can read.
 */
static int
pg_backup_password(const strata_url *url, const char **password, strata_error *err)
{
    size_t i;

    *password = url->password;
    for (i = 0; i < url->nparams; i++) {
        if (strcmp(url->params[i].key, "password") == 0)
            *password = url->params[i].value;
        else if (strcmp(url->params[i].key, "sslpassword") == 0)
            return pg_error(err, STRATA_USAGE,
                            "the URL's sslpassword can reach pg_dump only on its command line, "
                            "where other users can read it: use a client key without a "
                            "passphrase, or run pg_dump yourself");
    }
    return STRATA_OK;
}

/* Appends key='value' to a conninfo string, escaping ' and \ (snprintf convention). */
static void
pg_conninfo_add(pg_buf *b, const char *key, const char *value)
{
    if (b->len > 0)
        pg_put(b, ' ');
    pg_appendf(b, "%s='", key);
    for (; *value != '\0'; value++) {
        if (*value == '\'' || *value == '\\')
            pg_put(b, '\\');
        pg_put(b, *value);
    }
    pg_put(b, '\'');
}

/*
 * The conninfo string given to pg_dump -d: the connected database and the URL's libpq
 * parameters, which win over -h, -p and -U as they win in connect(). Left out: strata's
 * schema (the whole database is dumped), the secrets (see pg_backup_password()), dbname
 * (the connected database is known) and client_encoding (pg_dump picks its own).
 */
static void
pg_conninfo(strata_conn *c, const strata_url *url, pg_buf *b)
{
    static const char *const skipped[] = {"schema", "password",        "sslpassword",
                                          "dbname", "client_encoding", NULL};
    size_t i, k;

    b->len = 0;
    pg_conninfo_add(b, "dbname", c->database);
    for (i = 0; i < url->nparams; i++) {
        for (k = 0; skipped[k] != NULL && strcmp(skipped[k], url->params[i].key) != 0; k++)
            ;
        if (skipped[k] == NULL && url->params[i].value != NULL)
            pg_conninfo_add(b, url->params[i].key, url->params[i].value);
    }
    pg_end(b);
}

/* Logs the standard error of a successful run (warnings), a few lines of it. */
static void
pg_tool_warnings(char *text)
{
    char *line, *save = NULL;
    int n = 0;

    for (line = strtok_r(text, "\n", &save); line != NULL && n < PG_TOOL_WARN_LINES;
         line = strtok_r(NULL, "\n", &save), n++)
        pg_host->log(STRATA_LOG_WARN, "postgres: %s", line);
}

/* Drops the tool's "pg_dump: " and "error: " prefixes from the start of line. */
static const char *
pg_tool_line(const char *line)
{
    if (strncmp(line, PG_DUMP ": ", sizeof(PG_DUMP ": ") - 1) == 0)
        line += sizeof(PG_DUMP ": ") - 1;
    if (strncmp(line, "error: ", 7) == 0)
        line += 7;
    return line;
}

/*
 * Fills err for a pg_dump run that failed: its first line of standard error in the message,
 * the rest in the detail, and a hint when pg_dump is older than the server.
 */
static int
pg_dump_failed(strata_conn *c, const char *prog, int wstatus, const char *text, strata_error *err)
{
    char line[sizeof(err->message) - 64];
    const char *rest = pg_copy_trim(line, sizeof(line), text, 1);
    int v = PQserverVersion(c->pg);
    char major[16];

    if (err == NULL)
        return STRATA_ERROR;
    if (WIFSIGNALED(wstatus))
        pg_error(err, STRATA_ERROR, "pg_dump was killed by signal %d%s%s", WTERMSIG(wstatus),
                 line[0] != '\0' ? ": " : "", pg_tool_line(line));
    else if (line[0] != '\0')
        pg_error(err, STRATA_ERROR, "pg_dump failed: %s", pg_tool_line(line));
    else
        pg_error(err, STRATA_ERROR, "pg_dump failed with exit status %d and no message",
                 WEXITSTATUS(wstatus));
    pg_copy_trim(err->detail, sizeof(err->detail), rest, 0);
    if (strstr(text, "server version mismatch") != NULL) {
        if (v >= 100000)
            snprintf(major, sizeof(major), "%d", v / 10000);
        else
            snprintf(major, sizeof(major), "%d.%d", v / 10000, v / 100 % 100);
        snprintf(err->hint, sizeof(err->hint),
                 "%.200s is older than the server (PostgreSQL %s): install "
                 "postgresql-client-%s, or set %s to a pg_dump of version %s or newer",
                 prog, major, major, PG_DUMP_ENV, major);
    }
    return STRATA_ERROR;
}

/*
 * Runs pg_dump --format=plain (a SQL script: restore with psql -f) into path.tmp, then
 * renames it over path. pg_dump connects on its own: -h, -p and -U from the URL, -d a
 * conninfo string naming the connected database with the URL's libpq parameters (sslmode,
 * sslrootcert, options, ...); the password only in PGPASSWORD in pg_dump's environment;
 * --no-password, so it never prompts. Its standard error, password redacted, makes the
 * error on failure. The url's strings must outlive the call only.
 */
static int
pg_backup(strata_conn *c, const strata_url *url, const char *path, strata_error *err)
{
    char prog[PG_TOOL_PATH_MAX], port[16], text[PG_TOOL_TEXT_MAX];
    const char *password = NULL, *argv[PG_DUMP_ARGS];
    pg_buf conninfo = {NULL, 0, 0};
    int wstatus = 0, n = 0, rc;

    rc = pg_backup_password(url, &password, err);
    if (rc == STRATA_OK)
        rc = pg_find_dump(prog, sizeof(prog), err);
    if (rc != STRATA_OK)
        return rc;
    pg_conninfo(c, url, &conninfo);
    conninfo.size = conninfo.len + 1;
    conninfo.out = malloc(conninfo.size);
    if (conninfo.out == NULL) {
        rc = pg_error(err, STRATA_ERROR, "out of memory");
        goto done;
    }
    pg_conninfo(c, url, &conninfo);
    argv[n++] = prog;
    argv[n++] = "--format=plain";
    argv[n++] = "--no-password";
    if (url->host != NULL && url->host[0] != '\0') {
        argv[n++] = "-h";
        argv[n++] = url->host;
    }
    if (url->port > 0) {
        snprintf(port, sizeof(port), "%d", url->port);
        argv[n++] = "-p";
        argv[n++] = port;
    }
    if (url->user != NULL && url->user[0] != '\0') {
        argv[n++] = "-U";
        argv[n++] = url->user;
    }
    argv[n++] = "-d";
    argv[n++] = conninfo.out;
    argv[n] = NULL;
    if (pg_host->size < offsetof(strata_host, run_tool) + sizeof(pg_host->run_tool) ||
        pg_host->run_tool == NULL)
        rc = pg_error(err, STRATA_NOT_SUPPORTED, "this strata cannot run pg_dump: upgrade it");
    else
        rc = pg_host->run_tool(prog, (char *const *)argv, "PGPASSWORD", password, path, text,
                               sizeof(text), &wstatus, err);
    if (rc == STRATA_OK) {
        if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
            rc = pg_dump_failed(c, prog, wstatus, text, err);
        else
            pg_tool_warnings(text);
    }
done:
    free(conninfo.out);
    return rc;
}

/* ---- schema snapshot ---- */

/*
 * The catalog queries of snapshot() run in one read-only transaction whose search_path is
 * the home schema alone: current_schema() is then the home schema, and the server renders
 * types, expressions and view bodies relative to it, an object of the home schema
 * unqualified and any other as schema.name, whatever the session's own search_path.
 *
 * Namespace alias n in every query. Reported schemas: not the system's (pg_catalog,
 * pg_toast*, pg_temp*: only the system may create a pg_ schema), not information_schema.
 */
#define PG_SNAP_NSP "left(n.nspname, 3) <> 'pg_' AND n.nspname <> 'information_schema'"

/* Prefixed to a name of schema n: nothing in the home schema, else "schema.". */
#define PG_SNAP_QUALIFIER                                                                          \
    "CASE WHEN n.nspname IS NOT DISTINCT FROM current_schema() THEN '' ELSE n.nspname || '.' END"

/* Whitespace runs collapsed, for server-rendered text that goes into a name. */
#define PG_SNAP_SQUEEZE_HEAD "regexp_replace("
#define PG_SNAP_SQUEEZE_TAIL ", '[[:space:]]+', ' ', 'g')"

/* The md5 of the body of function p, whitespace runs collapsed and trimmed. SQL-standard
 * bodies (BEGIN ATOMIC, RETURN expr: PostgreSQL 14 on) have no prosrc. */
#define PG_SNAP_MD5 "md5(btrim(" PG_SNAP_SQUEEZE_HEAD "p.prosrc" PG_SNAP_SQUEEZE_TAIL "))"
#define PG_SNAP_MD5_14                                                                             \
    "md5(btrim(" PG_SNAP_SQUEEZE_HEAD                                                              \
    "COALESCE(pg_get_function_sqlbody(p.oid), p.prosrc)" PG_SNAP_SQUEEZE_TAIL "))"

/*
 * Opens every query: the relations reported (tables, views, sequences, indexes) with their
 * names relative to the home schema (qname), extensions' and skipped tables' left out. The
 * %s is the array of the skip_tables, name[].
 */
#define PG_SNAP_REL                                                                                \
    "WITH rel AS (SELECT c.oid, c.relname, c.relkind, c.relpersistence, " PG_SNAP_QUALIFIER        \
    " || c.relname AS qname "                                                                      \
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "                               \
    "WHERE " PG_SNAP_NSP " AND NOT EXISTS (SELECT 1 FROM pg_depend e "                             \
    "WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e') "             \
    "AND NOT (n.nspname IS NOT DISTINCT FROM current_schema() AND c.relname = ANY (%s))) "

/* One query of the snapshot: rows of (name, definition), all of one kind. The body md5 of
 * a function goes between head and tail (NULL: none). */
typedef struct pg_snap_query {
    strata_object_kind kind;
    const char *head;
    const char *tail;
} pg_snap_query;

static const pg_snap_query pg_snap_queries[] = {
    {STRATA_OBJ_SCHEMA,
     "SELECT n.nspname, '' FROM pg_namespace n "
     "WHERE " PG_SNAP_NSP " AND n.nspname IS DISTINCT FROM current_schema() "
     "AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass "
     "AND e.objid = n.oid AND e.deptype = 'e') ORDER BY 1",
     NULL},
    /* sequences an identity column owns are the column's; those a serial column of a
     * skipped table owns are strata's */
    {STRATA_OBJ_SEQUENCE,
     "SELECT r.qname, 'type ' || format_type(s.seqtypid, NULL) || ' start ' || s.seqstart "
     "|| ' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax "
     "|| ' cache ' || s.seqcache || CASE WHEN s.seqcycle THEN ' cycle' ELSE ' no cycle' END "
     "FROM pg_sequence s JOIN rel r ON r.oid = s.seqrelid "
     "WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
     "AND d.objid = s.seqrelid AND d.refclassid = 'pg_class'::regclass AND (d.deptype = 'i' "
     "OR (d.deptype = 'a' AND d.refobjid NOT IN (SELECT oid FROM rel)))) ORDER BY 1",
     NULL},
    {STRATA_OBJ_ENUM,
     "SELECT " PG_SNAP_QUALIFIER " || t.typname, 'enum ' || COALESCE((SELECT "
     "string_agg(quote_literal(v.enumlabel), ', ' ORDER BY v.enumsortorder) "
     "FROM pg_enum v WHERE v.enumtypid = t.oid), '') "
     "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
     "WHERE t.typtype = 'e' AND " PG_SNAP_NSP " AND NOT EXISTS (SELECT 1 FROM pg_depend e "
     "WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e') "
     "ORDER BY 1",
     NULL},
    {STRATA_OBJ_DOMAIN,
     "SELECT " PG_SNAP_QUALIFIER " || t.typname, 'domain over ' "
     "|| format_type(t.typbasetype, t.typtypmod) "
     "|| CASE WHEN t.typnotnull THEN ' not null' ELSE '' END "
     "|| COALESCE(' default ' || pg_get_expr(t.typdefaultbin, 0), '') "
     "|| COALESCE((SELECT string_agg(x.c, '' ORDER BY x.c) FROM (SELECT ' check (' "
     "|| pg_get_expr(k.conbin, 0, true) || ')' "
     "|| CASE WHEN k.convalidated THEN '' ELSE ' not valid' END AS c "
     "FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c') x), '') "
     "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
     "WHERE t.typtype = 'd' AND " PG_SNAP_NSP " AND NOT EXISTS (SELECT 1 FROM pg_depend e "
     "WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e') "
     "ORDER BY 1",
     NULL},
    {STRATA_OBJ_TABLE,
     "SELECT r.qname, concat_ws(' ', CASE WHEN r.relpersistence = 'u' THEN 'unlogged' END, "
     "CASE WHEN r.relkind = 'p' THEN 'partitioned' END) "
     "FROM rel r WHERE r.relkind IN ('r', 'p') ORDER BY 1",
     NULL},
    /* #N counts the columns not dropped; collate only when not the type's own */
    {STRATA_OBJ_COLUMN,
     "SELECT r.qname || '.' || a.attname, '#' || row_number() OVER (PARTITION BY a.attrelid "
     "ORDER BY a.attnum) || ' ' || format_type(a.atttypid, a.atttypmod) "
     "|| CASE WHEN a.attnotnull THEN ' not null' ELSE '' END "
     "|| CASE WHEN a.attgenerated = '' AND d.adbin IS NOT NULL "
     "THEN ' default ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END "
     "|| CASE a.attidentity WHEN 'a' THEN ' identity always' "
     "WHEN 'd' THEN ' identity by default' ELSE '' END "
     "|| CASE WHEN a.attgenerated = 's' THEN ' generated always as (' "
     "|| pg_get_expr(d.adbin, d.adrelid, true) || ') stored' ELSE '' END "
     "|| CASE WHEN a.attcollation <> t.typcollation THEN ' collate ' "
     "|| quote_ident(o.collname) ELSE '' END "
     "FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 "
     "AND NOT a.attisdropped JOIN pg_type t ON t.oid = a.atttypid "
     "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
     "LEFT JOIN pg_collation o ON o.oid = a.attcollation "
     "WHERE r.relkind IN ('r', 'p') ORDER BY 1",
     NULL},
    /* named by content; NOT NULL is the column's; an exclusion constraint's method is its
     * definition */
    {STRATA_OBJ_CONSTRAINT,
     "SELECT r.qname || '.' || CASE k.contype "
     "WHEN 'p' THEN 'primary key (' || (SELECT string_agg(a.attname::text, ', ' "
     "ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord) "
     "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num) || ')' "
     "WHEN 'u' THEN 'unique (' || (SELECT string_agg(a.attname::text, ', ' "
     "ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord) "
     "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num) || ')' "
     "WHEN 'f' THEN 'foreign key (' || (SELECT string_agg(a.attname::text, ', ' "
     "ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord) "
     "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num) "
     "|| ') references ' || (SELECT " PG_SNAP_QUALIFIER " || c.relname FROM pg_class c "
     "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = k.confrelid) "
     "|| ' (' || (SELECT string_agg(a.attname::text, ', ' ORDER BY u.ord) "
     "FROM unnest(k.confkey) WITH ORDINALITY u(num, ord) JOIN pg_attribute a "
     "ON a.attrelid = k.confrelid AND a.attnum = u.num) || ')' "
     "WHEN 'c' THEN 'check (' || " PG_SNAP_SQUEEZE_HEAD "pg_get_expr(k.conbin, k.conrelid, "
     "true)" PG_SNAP_SQUEEZE_TAIL " || ')' "
     "ELSE 'exclude ' || " PG_SNAP_SQUEEZE_HEAD "regexp_replace(pg_get_constraintdef(k.oid, "
     "true), '^EXCLUDE USING [^ ]+ ', '')" PG_SNAP_SQUEEZE_TAIL " END, "
     "concat_ws(' ', CASE k.contype WHEN 'f' THEN 'on update ' || CASE k.confupdtype "
     "WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade' "
     "WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END || ' on delete ' "
     "|| CASE k.confdeltype WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' "
     "WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END "
     "|| CASE WHEN k.condeferrable THEN ' deferrable' ELSE '' END "
     "|| CASE WHEN k.condeferred THEN ' initially deferred' ELSE '' END "
     "WHEN 'x' THEN (SELECT m.amname::text FROM pg_class i JOIN pg_am m ON m.oid = i.relam "
     "WHERE i.oid = k.conindid) END, CASE WHEN NOT k.convalidated THEN 'not valid' END) "
     "FROM pg_constraint k JOIN rel r ON r.oid = k.conrelid "
     "WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') ORDER BY 1, 2",
     NULL},
    /* indexes no primary key, unique or exclusion constraint owns (a foreign key's conindid
     * is the referenced table's index) */
    {STRATA_OBJ_INDEX,
     "SELECT r.qname || '.' || c.relname, CASE WHEN i.indisunique THEN 'unique ' ELSE '' END "
     "|| m.amname || ' (' || (SELECT string_agg(pg_get_indexdef(i.indexrelid, k.n, true) "
     "|| CASE WHEN i.indoption[k.n - 1]::int & 1 = 1 THEN ' desc' ELSE '' END "
     "|| CASE i.indoption[k.n - 1]::int & 3 WHEN 2 THEN ' nulls first' "
     "WHEN 1 THEN ' nulls last' ELSE '' END, ', ' ORDER BY k.n) "
     "FROM generate_series(1, i.indnkeyatts::int) k(n)) || ')' "
     "|| COALESCE(' include (' || (SELECT string_agg(pg_get_indexdef(i.indexrelid, k.n, "
     "true), ', ' ORDER BY k.n) FROM generate_series(i.indnkeyatts + 1, i.indnatts::int) "
     "k(n)) || ')', '') "
     "|| COALESCE(' where (' || pg_get_expr(i.indpred, i.indrelid, true) || ')', '') "
     "FROM pg_index i JOIN rel r ON r.oid = i.indrelid "
     "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am m ON m.oid = c.relam "
     "WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
     "AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')) ORDER BY 1",
     NULL},
    {STRATA_OBJ_VIEW,
     "SELECT r.qname, CASE WHEN r.relkind = 'm' THEN 'materialized ' ELSE '' END "
     "|| regexp_replace(pg_get_viewdef(r.oid, true), '[;[:space:]]+$', '') "
     "FROM rel r WHERE r.relkind IN ('v', 'm') ORDER BY 1",
     NULL},
    /* tgtype bits: 1 row, 2 before, 4 insert, 8 delete, 16 update, 32 truncate, 64 instead */
    {STRATA_OBJ_TRIGGER,
     "SELECT r.qname || '.' || g.tgname, CASE WHEN g.tgtype::int & 64 <> 0 THEN 'instead of' "
     "WHEN g.tgtype::int & 2 <> 0 THEN 'before' ELSE 'after' END || ' ' "
     "|| concat_ws(' or ', CASE WHEN g.tgtype::int & 4 <> 0 THEN 'insert' END, "
     "CASE WHEN g.tgtype::int & 8 <> 0 THEN 'delete' END, "
     "CASE WHEN g.tgtype::int & 16 <> 0 THEN 'update' || COALESCE(' of ' || (SELECT "
     "string_agg(a.attname::text, ', ' ORDER BY u.ord) FROM unnest(g.tgattr::int2[]) "
     "WITH ORDINALITY u(num, ord) JOIN pg_attribute a ON a.attrelid = g.tgrelid "
     "AND a.attnum = u.num), '') END, "
     "CASE WHEN g.tgtype::int & 32 <> 0 THEN 'truncate' END) "
     "|| CASE WHEN g.tgtype::int & 1 <> 0 THEN ' for each row' ELSE ' for each statement' END "
     "|| COALESCE(' when (' || substring(pg_get_triggerdef(g.oid, true) "
     "FROM ' WHEN [(](.*)[)] EXECUTE ') || ')', '') || ' body md5:' || ",
     " FROM pg_trigger g JOIN rel r ON r.oid = g.tgrelid JOIN pg_proc p ON p.oid = g.tgfoid "
     "WHERE NOT g.tgisinternal ORDER BY 1"},
    /* named by their argument types (proargtypes: the call signature) */
    {STRATA_OBJ_FUNCTION,
     "SELECT " PG_SNAP_QUALIFIER " || p.proname || '(' || oidvectortypes(p.proargtypes) "
     "|| ')', CASE WHEN p.prokind = 'p' THEN 'procedure' ELSE 'function returns ' "
     "|| pg_get_function_result(p.oid) END || ' language ' || l.lanname || ' body md5:' || ",
     " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
     "JOIN pg_language l ON l.oid = p.prolang WHERE p.prokind IN ('f', 'p') AND " PG_SNAP_NSP
     " AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass "
     "AND e.objid = p.oid AND e.deptype = 'e') ORDER BY 1"},
};

/* What snapshot()'s row function works with. */
typedef struct pg_snap {
    strata_object_fn fn; /* the caller's */
    void *ctx;
    strata_object_kind kind; /* of the query being read */
    char *line;              /* the normalized definition; owned, freed by pg_snapshot() */
    size_t size;
    int stopped; /* fn asked to stop */
    int nomem;   /* line could not grow */
} pg_snap;

/* Copies text into out (as long as text + 1) with every whitespace run made one space and
 * none at either end. */
static void
pg_squeeze(const char *text, char *out)
{
    size_t n = 0;
    int blank = 0;

    for (; *text != '\0'; text++) {
        if (strchr(" \t\r\n\f\v", *text) != NULL) {
            blank = n > 0;
            continue;
        }
        if (blank)
            out[n++] = ' ';
        blank = 0;
        out[n++] = *text;
    }
    out[n] = '\0';
}

/* A strata_row_fn handing one (name, definition) row to the caller's fn, the definition
 * normalized to one line. */
static int
pg_snap_row(void *ctx, int ncols, const char *const *values)
{
    pg_snap *s = ctx;
    const char *def = ncols > 1 && values[1] != NULL ? values[1] : "";
    size_t need = strlen(def) + 1;

    if (ncols < 2 || values[0] == NULL)
        return 0;
    if (need > s->size) {
        char *grown = realloc(s->line, need);
        if (grown == NULL) {
            s->nomem = 1;
            return 1;
        }
        s->line = grown;
        s->size = need;
    }
    pg_squeeze(def, s->line);
    s->stopped = s->fn(s->ctx, s->kind, values[0], s->line) != 0;
    return s->stopped;
}

/*
 * Writes the SQL array of the skip_tables, quoted by the connection ("ARRAY[]::name[]" when
 * there are none), into b (snprintf convention). Returns STRATA_ERROR when one cannot be
 * quoted (invalid in the client encoding) or memory runs out.
 */
static int
pg_snap_skip(strata_conn *c, const char *const *skip_tables, pg_buf *b, strata_error *err)
{
    size_t i;

    pg_appendf(b, "ARRAY[");
    for (i = 0; skip_tables != NULL && skip_tables[i] != NULL; i++) {
        char *lit = pg_quoted(c, pg_quote_literal, skip_tables[i]);
        if (lit == NULL)
            return pg_error(err, STRATA_ERROR, "cannot quote the table name \"%.100s\"",
                            skip_tables[i]);
        pg_appendf(b, "%s%s", i > 0 ? ", " : "", lit);
        free(lit);
    }
    pg_appendf(b, "]::name[]");
    pg_end(b);
    return STRATA_OK;
}

/*
 * Builds the text of query q, PG_SNAP_REL first, with the skip array skip and the function
 * body md5 expression md5. Returns it in a new string the caller frees, NULL when memory
 * runs out.
 */
static char *
pg_snap_sql(const pg_snap_query *q, const char *skip, const char *md5)
{
    pg_buf b = {NULL, 0, 0};
    int pass;

    for (pass = 0; pass < 2; pass++) {
        b.len = 0;
        pg_appendf(&b, PG_SNAP_REL, skip);
        pg_appendf(&b, "%s%s%s", q->head, q->tail != NULL ? md5 : "",
                   q->tail != NULL ? q->tail : "");
        if (pass == 0) {
            b.size = b.len + 1;
            b.out = malloc(b.size); /* the caller's */
            if (b.out == NULL)
                return NULL;
        }
    }
    pg_end(&b);
    return b.out;
}

/* Runs every query of the snapshot into s, until one fails or fn asks to stop. */
static int
pg_snap_queries_run(strata_conn *c, const char *skip, pg_snap *s, strata_error *err)
{
    const char *md5 = PQserverVersion(c->pg) >= 140000 ? PG_SNAP_MD5_14 : PG_SNAP_MD5;
    size_t i;
    int rc = STRATA_OK;

    for (i = 0;
         i < sizeof(pg_snap_queries) / sizeof(pg_snap_queries[0]) && rc == STRATA_OK && !s->stopped;
         i++) {
        char *sql = pg_snap_sql(&pg_snap_queries[i], skip, md5);
        if (sql == NULL)
            return pg_error(err, STRATA_ERROR, "out of memory for the snapshot queries");
        s->kind = pg_snap_queries[i].kind;
        rc = pg_query(c, sql, pg_snap_row, s, err);
        free(sql);
        if (rc == STRATA_OK && s->nomem)
            rc = pg_error(err, STRATA_ERROR, "out of memory for an object's definition");
    }
    return rc;
}

/*
 * Reports every object of the home schema and of the other non-system schemas (see the
 * queries above), in one read-only repeatable-read transaction: one view of the catalog.
 * Must be called with no transaction open.
 */
static int
pg_snapshot(strata_conn *c, const char *const *skip_tables, strata_object_fn fn, void *ctx,
            strata_error *err)
{
    pg_snap s = {.fn = fn, .ctx = ctx};
    pg_buf skip = {NULL, 0, 0};
    PGTransactionStatusType state;
    char *home = NULL, *begin = NULL;
    size_t size;
    strata_error ignored = {.size = sizeof(ignored)};
    int rc = pg_tx_state(c, &state, err);

    if (rc != STRATA_OK)
        return rc;
    if (fn == NULL)
        return pg_error(err, STRATA_USAGE, "snapshot needs an object function");
    if (state != PQTRANS_IDLE)
        return pg_error(err, STRATA_ERROR,
                        "cannot take a schema snapshot inside a transaction: it must be taken "
                        "with no transaction open");
    rc = pg_snap_skip(c, skip_tables, &skip, err); /* counts only: skip.size is 0 */
    if (rc != STRATA_OK)
        return rc;
    skip.size = skip.len + 1;
    skip.out = malloc(skip.size); /* freed below */
    home = c->home != NULL ? pg_quoted(c, pg_quote_literal, c->home) : strdup("NULL");
    size = (home != NULL ? strlen(home) : 0) + 160;
    begin = malloc(size);
    if (skip.out == NULL || home == NULL || begin == NULL) {
        rc = pg_error(err, STRATA_ERROR, "out of memory");
        goto done;
    }
    skip.len = 0;
    rc = pg_snap_skip(c, skip_tables, &skip, err);
    if (rc != STRATA_OK)
        goto done;
    /* no home schema: an empty search_path, every name qualified */
    snprintf(begin, size,
             "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT "
             "pg_catalog.set_config('search_path', COALESCE(pg_catalog.quote_ident(%s), ''), "
             "true)",
             home);
    rc = pg_run(c, begin, NULL, 0, err);
    if (rc == STRATA_OK)
        rc = pg_snap_queries_run(c, skip.out, &s, err);
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) { /* read only: nothing to commit */
        if (rc == STRATA_OK)
            rc = pg_run(c, "ROLLBACK", NULL, 0, err);
        else
            pg_run(c, "ROLLBACK", NULL, 0, &ignored);
    }
done:
    free(s.line);
    free(skip.out);
    free(home);
    free(begin);
    return rc;
}

/* ---- scratch databases ---- */

#define PG_SCRATCH_PREFIX "strata_scratch_"
#define PG_SCRATCH_TRIES 8 /* names tried when one is taken (by a run of another host) */

/* The number of the last scratch database this process named. */
static unsigned pg_scratch_seq;

/*
 * Creates the database strata_scratch_PID_N (N counts this process's scratch databases),
 * the next N when that name is taken (a run on another host with the same pid, a leftover
 * of a run killed), and writes its name into name_out (snprintf convention: a name that
 * does not fit is refused before anything is created).
 */
static int
pg_scratch_create(strata_conn *c, char *name_out, size_t size, strata_error *err)
{
    char name[64], sql[96];
    strata_error local = {.size = sizeof(local)};
    strata_error *e = err != NULL ? err : &local;
    int tries, rc = STRATA_ERROR;

    for (tries = 0; tries < PG_SCRATCH_TRIES; tries++) {
        snprintf(name, sizeof(name), PG_SCRATCH_PREFIX "%ld_%u", (long)getpid(),
                 __atomic_add_fetch(&pg_scratch_seq, 1u, __ATOMIC_RELAXED));
        if (name_out == NULL || strlen(name) >= size)
            return pg_error(err, STRATA_USAGE,
                            "%zu bytes cannot hold the name of a scratch database (%zu needed)",
                            name_out != NULL ? size : 0, strlen(name) + 1);
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name); /* [a-z0-9_]: no quoting */
        rc = pg_run(c, sql, NULL, 0, e);
        if (rc == STRATA_OK) {
            snprintf(name_out, size, "%s", name);
            return STRATA_OK;
        }
        if (strcmp(e->sqlstate, "42P04") != 0) /* duplicate_database */
            break;
    }
    return rc;
}

/*
 * Drops a database scratch_create() made, ending the sessions still connected to it
 * (WITH (FORCE), PostgreSQL 13 on). Refuses any name not starting with strata_scratch_, so
 * that a mix-up cannot drop a real database.
 */
static int
pg_scratch_drop(strata_conn *c, const char *name, strata_error *err)
{
    char *ident, *sql;
    size_t size;
    int rc;

    if (name == NULL || strncmp(name, PG_SCRATCH_PREFIX, sizeof(PG_SCRATCH_PREFIX) - 1) != 0)
        return pg_error(err, STRATA_USAGE,
                        "refusing to drop the database \"%.100s\": only a scratch database "
                        "(named " PG_SCRATCH_PREFIX "...) is dropped",
                        name != NULL ? name : "");
    ident = pg_quoted(c, pg_quote_ident, name);
    size = (ident != NULL ? strlen(ident) : 0) + 48;
    sql = malloc(size);
    if (ident == NULL || sql == NULL) {
        rc = pg_error(err, STRATA_ERROR, "out of memory");
        goto done;
    }
    snprintf(sql, size, "DROP DATABASE IF EXISTS %s WITH (FORCE)", ident);
    rc = pg_run(c, sql, NULL, 0, err);
done:
    free(sql);
    free(ident);
    return rc;
}

/* ---- the driver ---- */

static const char *const pg_schemes[] = {"postgres", "postgresql", NULL};
static const char *const pg_dialect_aliases[] = {"postgresql", "pg", NULL};

/*
 * Statements PostgreSQL 15 refuses inside a transaction block ("... cannot run inside a
 * transaction block"): every PreventInTransactionBlock() of the server, checked against it
 * by tests/integration/test_postgres_driver.c. REINDEX takes CONCURRENTLY after its object
 * kind, or in its option list bare or set to TRUE, ON or 1 (a quoted 'true' is missed: that
 * REINDEX then fails with the server's own message); a bare CLUSTER reorders every table.
 * CREATE/ALTER/DROP SUBSCRIPTION are listed whole, though some forms (create_slot = false,
 * refresh = false, no slot) could run in one: running outside a transaction is always
 * possible.
 */
static const char *const pg_no_transaction[] = {
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

#define PG_CAPS                                                                                    \
    (STRATA_CAP_TRANSACTIONAL_DDL | STRATA_CAP_ADVISORY_LOCK | STRATA_CAP_COPY_IN |                \
     STRATA_CAP_SCHEMAS | STRATA_CAP_MULTI_STATEMENT | STRATA_CAP_SCRATCH_DB)

/* True when the session's plain '...' strings take backslash escapes. */
static int
pg_escape_strings(strata_conn *c)
{
    const char *scs = PQparameterStatus(c->pg, "standard_conforming_strings");

    return scs != NULL && strcmp(scs, "off") == 0;
}

static int
pg_describe_offline(strata_describe *out, strata_error *err)
{
    (void)err;
    out->dialect = "postgres";
    out->dialect_aliases = pg_dialect_aliases;
    out->caps = PG_CAPS;
    out->lexer_rules = STRATA_LEX_DOLLAR_QUOTES | STRATA_LEX_E_STRINGS |
                       STRATA_LEX_NESTED_COMMENTS | STRATA_LEX_COPY_STDIN | STRATA_LEX_PSQL_META |
                       STRATA_LEX_ATOMIC_BLOCKS | STRATA_LEX_PARENS | STRATA_LEX_STD_STRINGS;
    out->no_transaction_patterns = pg_no_transaction;
    out->home_schema = "";
    out->types[STRATA_TYPE_STRING] = "VARCHAR({n})";
    out->types[STRATA_TYPE_TEXT] = "TEXT";
    out->types[STRATA_TYPE_INTEGER] = "INTEGER";
    out->types[STRATA_TYPE_BIGINT] = "BIGINT";
    /* without a zone, rendered back as the core wrote it: connect() sets DateStyle ISO */
    out->types[STRATA_TYPE_TIMESTAMP] = "TIMESTAMP";
    out->types[STRATA_TYPE_SERIAL] = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
    return STRATA_OK;
}

/* The defaults, refined by the server's standard_conforming_strings and the schema the
 * connection landed in. */
static int
pg_describe(strata_conn *c, strata_describe *out, strata_error *err)
{
    int rc = pg_describe_offline(out, err);
    if (pg_escape_strings(c))
        out->lexer_rules |= STRATA_LEX_STRINGS_ESCAPE;
    out->home_schema = c->home != NULL ? c->home : "";
    return rc;
}

static const strata_driver pg_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_driver),
    .name = "postgres",
    .version = PG_DRIVER_VERSION,
    .client_version = PG_CLIENT_VERSION,
    .url_shape = STRATA_URL_SERVER,
    .schemes = pg_schemes,
    .dialect = "postgres",
    .dialect_aliases = pg_dialect_aliases,
    .caps = PG_CAPS,
    .password_env = NULL, /* libpq reads PGPASSWORD and ~/.pgpass itself */
    .connect = pg_connect,
    .close = pg_close,
    .describe = pg_describe,
    .server_version = pg_server_version,
    .exec = pg_exec,
    .query = pg_query,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .quote_ident = pg_quote_ident,
    .quote_literal = pg_quote_literal,
    .lock = pg_lock,
    .unlock = pg_unlock,
    .session_reset_sql = pg_session_reset_sql,
    .copy_in = pg_copy_in,
    .backup = pg_backup,
    .snapshot = pg_snapshot,
    .scratch_create = pg_scratch_create,
    .scratch_drop = pg_scratch_drop,
    .describe_offline = pg_describe_offline,
};

STRATA_DRIVER_EXPORT const strata_driver *
strata_driver_entry(const strata_host *host)
{
    if (host == NULL || host->size < offsetof(strata_host, log) + sizeof(host->log))
        return NULL;
    if (host->abi_version != STRATA_DRIVER_ABI) {
        host->log(STRATA_LOG_ERROR, "postgres: the core speaks driver ABI %u, this driver %u",
                  (unsigned)host->abi_version, (unsigned)STRATA_DRIVER_ABI);
        return NULL;
    }
    pg_host = host;
    return &pg_driver;
}
