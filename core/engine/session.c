#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guard.h"
#include "lexer.h"
#include "loader.h"
#include "session.h"
#include "tablelock.h"
#include "url.h"

#define DEFAULT_TABLE "strata_migrations"
#define DEFAULT_DIR "migrations"
#define DEFAULT_LOCK_TIMEOUT_MS 60000L
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L

const char *
strata_version(void)
{
    return PACKAGE_VERSION;
}

void
strata_options_init(strata_options *o)
{
    memset(o, 0, sizeof(*o));
    o->size = sizeof(*o);
    o->dir = DEFAULT_DIR;
    o->table = DEFAULT_TABLE;
    o->lock_timeout_ms = DEFAULT_LOCK_TIMEOUT_MS;
    o->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
}

static char *
dup_or_null(const char *s)
{
    return s != NULL && *s != '\0' ? strata_xstrdup(s) : NULL;
}

static int
valid_table_name(const char *t)
{
    if (*t == '\0' || strlen(t) > 60)
        return 0;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
              *t == '_'))
            return 0;
    return 1;
}

static char *
quoted_name(strata *s, const char *schema, const char *table, const char *suffix)
{
    strata_buf b = {0};
    char *full = strata_xasprintf("%s%s", table, suffix);
    if (schema != NULL) {
        strata_session_ident(s, &b, schema);
        strata_buf_puts(&b, ".");
    }
    strata_session_ident(s, &b, full);
    free(full);
    return strata_buf_take(&b);
}

/*
 * Names the history tables: in --schema when given, else in the schema (database) the
 * connection started in, spelled out so that no migration's USE or SET search_path can
 * send the history elsewhere.
 */
static int
set_names(strata *s, strata_error *err)
{
    const char *schema = s->schema;
    if (schema == NULL && s->info.home_schema != NULL && *s->info.home_schema != '\0')
        schema = s->info.home_schema;
    s->names.migrations = quoted_name(s, schema, s->table, "");
    s->names.events = quoted_name(s, schema, s->table, "_events");
    s->names.meta = quoted_name(s, schema, s->table, "_meta");
    s->names.lock = quoted_name(s, schema, s->table, "_lock");
    s->lock_name = strata_xasprintf("%s.%s", s->schema ? s->schema : "", s->table);
    if (s->unquotable[0] == '\0')
        return STRATA_OK;
    return strata_fail(err, STRATA_USAGE,
                       "the %s driver cannot quote the name '%s' of the history tables' schema "
                       "for this connection; choose another --schema",
                       s->drv->name, s->unquotable);
}

static char **
copy_pairs(const char *const *pairs)
{
    size_t n = 0;
    while (pairs[n] != NULL && pairs[n + 1] != NULL)
        n += 2;
    char **out = strata_xcalloc(n + 1, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = strata_xstrdup(pairs[i]);
    return out;
}

const char *
strata_session_placeholder(void *session, const char *name)
{
    strata *s = session;
    for (size_t i = 0; s->placeholders != NULL && s->placeholders[i] != NULL; i += 2)
        if (strcmp(s->placeholders[i], name) == 0)
            return s->placeholders[i + 1];
    return NULL;
}

/* Copies the options; checks what can be checked without a database. */
static int
copy_options(strata *s, const strata_options *o, strata_error *err)
{
    if (o == NULL || o->database_url == NULL || *o->database_url == '\0')
        return strata_fail(err, STRATA_USAGE,
                           "no database URL given (set --database or DATABASE_URL, e.g. %s)",
                           STRATA_DEFAULT_URL);
    s->database_url = strata_xstrdup(o->database_url);
    if (o->size >= offsetof(strata_options, read_only) + sizeof(o->read_only)) {
        s->password = dup_or_null(o->password);
        s->read_only = o->read_only;
    }
    s->dir = strata_xstrdup(o->dir && *o->dir ? o->dir : DEFAULT_DIR);
    if (o->size >= offsetof(strata_options, embedded) + sizeof(o->embedded) && o->embedded) {
        s->embedded.root = s->dir;
        s->embedded.files = o->embedded;
    }
    s->table = strata_xstrdup(o->table && *o->table ? o->table : DEFAULT_TABLE);
    s->schema = dup_or_null(o->schema);
    s->driver_dir = dup_or_null(o->driver_dir);
    s->lock_timeout_ms = o->lock_timeout_ms;
    s->connect_timeout_ms =
        o->size >= offsetof(strata_options, connect_timeout_ms) + sizeof(o->connect_timeout_ms)
            ? o->connect_timeout_ms
            : DEFAULT_CONNECT_TIMEOUT_MS;
    s->allow_out_of_order = o->allow_out_of_order;
    s->on_event = o->on_event;
    s->event_ctx = o->event_ctx;
    if (o->size >= offsetof(strata_options, placeholders) + sizeof(o->placeholders) &&
        o->placeholders != NULL)
        s->placeholders = copy_pairs(o->placeholders);
    if (!valid_table_name(s->table))
        return strata_fail(err, STRATA_USAGE,
                           "'%s' is not a usable history table name (letters, digits and _, at "
                           "most 60 characters)",
                           s->table);
    strata_whoami(s->whoami, sizeof(s->whoami));
    return STRATA_OK;
}

/* Gives the URL the password passed apart from it, or the one in the driver's variable. */
static int
add_password(strata *s, strata_error *err)
{
    const char *pw = s->password;
    if (pw == NULL) {
        const char *var = s->drv->password_env;
        pw = var != NULL && s->url->password == NULL ? getenv(var) : NULL;
        if (pw == NULL || *pw == '\0' || s->drv->url_shape != STRATA_URL_SERVER)
            return STRATA_OK;
    } else if (s->drv->url_shape != STRATA_URL_SERVER) {
        return strata_fail(err, STRATA_USAGE,
                           "'%s' takes no password apart from its own text (the %s driver's "
                           "URLs are not scheme://user@host/db); drop --password-file",
                           s->url->redacted, s->drv->name);
    } else if (s->url->password != NULL) {
        return strata_fail(err, STRATA_USAGE,
                           "'%s' already has a password; remove it from the URL or give the "
                           "password only one way",
                           s->url->redacted);
    }
    if (strata_url_set_password(s->url, pw) != STRATA_OK)
        return strata_fail(err, STRATA_ERROR_NOMEM, "out of memory");
    return STRATA_OK;
}

static int
load_driver(strata *s, strata_error *err)
{
    char scheme[80];
    if (strata_url_scheme(s->database_url, scheme, sizeof(scheme)) == NULL)
        return strata_url_parse(s->database_url, STRATA_URL_SERVER, &s->url, err); /* says why */
    int rc = strata_loader_for_scheme(scheme, s->driver_dir, &s->drv, err);
    if (rc == STRATA_OK)
        rc = strata_url_parse(s->database_url, s->drv->url_shape, &s->url, err);
    if (rc == STRATA_OK)
        rc = add_password(s, err);
    return rc;
}

/* Asks conn what it speaks; a driver that names no dialect keeps its declared one. */
static int
describe(const strata_driver *drv, strata_conn *conn, strata_describe *info, strata_error *err)
{
    memset(info, 0, sizeof(*info));
    info->size = sizeof(*info);
    int rc = drv->describe(conn, info, err);
    if (rc != STRATA_OK) {
        strata_error_prefix(err, "the %s driver cannot describe the connection: ", drv->name);
        return rc;
    }
    if (info->dialect == NULL || *info->dialect == '\0') {
        info->dialect = drv->dialect;
        info->dialect_aliases = drv->dialect_aliases;
    }
    return STRATA_OK;
}

/* Opens conn through the driver and describes it; err says which URL failed. */
static int
connect_described(strata *s, const strata_url *url, int must_exist, strata_conn **conn,
                  strata_describe *info, strata_error *err)
{
    strata_connect_options co = {.size = sizeof(co),
                                 .schema = s->schema,
                                 .application = "strata",
                                 .must_exist = must_exist,
                                 .connect_timeout_ms =
                                     s->connect_timeout_ms > 0 ? s->connect_timeout_ms : 0};
    long long t0 = strata_now_ms();
    int rc = s->drv->connect(url, &co, conn, err);
    long long waited = strata_now_ms() - t0;
    if (rc != STRATA_OK && s->connect_timeout_ms > 0 && waited >= s->connect_timeout_ms - 100)
        snprintf(err->hint, sizeof(err->hint), /* the wait itself is the news */
                 "no answer within the connect timeout (%ld ms): check the host and port, or "
                 "give more time with --connect-timeout",
                 s->connect_timeout_ms);
    if (rc != STRATA_OK) {
        static const char driver_prefix[] = "cannot connect: ";
        size_t n = sizeof(driver_prefix) - 1;
        if (strncmp(err->message, driver_prefix, n) == 0)
            memmove(err->message, err->message + n, strlen(err->message + n) + 1);
        strata_error_prefix(err, "cannot connect to %s: ", url->redacted);
        *conn = NULL;
        return rc;
    }
    rc = describe(s->drv, *conn, info, err);
    if (rc != STRATA_OK) {
        s->drv->close(*conn);
        *conn = NULL;
    }
    return rc;
}

int
strata_session_connect_other(strata *s, const strata_url *url, strata_conn **out, strata_error *err)
{
    strata_describe info;
    return connect_described(s, url, 1, out, &info, err);
}

/* The body of strata_open(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_open_body(const strata_options *o, strata **out, strata_error *err)
{
    strata *s = strata_xcalloc(1, sizeof(*s));
    strata_guard_adopt(s); /* memory running out from here closes its connection */
    *out = NULL;
    strata_error_clear(err);
    int rc = copy_options(s, o, err);
    if (rc == STRATA_OK)
        rc = load_driver(s, err);
    if (rc == STRATA_OK)
        rc = connect_described(s, s->url, s->read_only, &s->conn, &s->info, err);
    if (rc == STRATA_OK) {
        s->drv->server_version(s->conn, s->server, sizeof(s->server));
        rc = set_names(s, err);
    }
    if (rc != STRATA_OK) {
        strata_close(s);
        return rc;
    }
    *out = s;
    return STRATA_OK;
}

int
strata_open(const strata_options *o, strata **out, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_open_body(o, out, err);
}

int
strata_open_wait(const strata_options *o, long timeout_ms, strata **out, strata_error *err)
{
    long long t0 = strata_now_ms();
    for (;;) {
        int rc = strata_open(o, out, err);
        if (rc == STRATA_OK || rc == STRATA_USAGE || rc == STRATA_ERROR_NOMEM)
            return rc;
        long long waited = strata_now_ms() - t0;
        if (timeout_ms >= 0 && waited >= timeout_ms) {
            snprintf(err->hint, sizeof(err->hint),
                     "the database did not accept connections; gave up after %ld ms", timeout_ms);
            return rc;
        }
        long long pause_ms = 250;
        if (timeout_ms >= 0 && timeout_ms - waited < pause_ms)
            pause_ms = timeout_ms - waited;
        struct timespec pause = {(time_t)(pause_ms / 1000), (long)(pause_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
    }
}

void
strata_close(strata *s)
{
    if (s == NULL)
        return;
    if (s->conn != NULL)
        s->drv->close(s->conn);
    strata_url_free(s->url);
    free(s->names.migrations);
    free(s->names.events);
    free(s->names.meta);
    free(s->names.lock);
    free(s->lock_name);
    strata_wipe_free(s->password);
    free(s->database_url);
    free(s->dir);
    free(s->table);
    free(s->schema);
    free(s->driver_dir);
    for (size_t i = 0; s->placeholders != NULL && s->placeholders[i] != NULL; i++)
        free(s->placeholders[i]);
    free(s->placeholders);
    free(s);
}

void
strata_session_abandon(strata *s)
{
    if (s->table_lock) /* its row stays behind: this process may take it over */
        strata_table_lock_abandoned(s);
    if (s->conn != NULL)
        s->drv->close(s->conn); /* the server rolls back what was in flight, frees the lock */
    s->conn = NULL;
    s->table_lock = 0;
    s->abandoned = 1;
}

int
strata_session_abandoned(const strata *s)
{
    return s->abandoned;
}

const char *
strata_redacted_url(const strata *s)
{
    return s->url->redacted;
}

const char *
strata_server_version(strata *s)
{
    return s->server;
}

strata_dialect
strata_session_dialect(const strata *s)
{
    strata_dialect d = {.name = s->info.dialect, .aliases = s->info.dialect_aliases};
    return d;
}

const strata_fs_set *
strata_session_files(strata *s)
{
    return strata_fs_use(s->embedded.files != NULL ? &s->embedded : NULL);
}

int
strata_session_scan(strata *s, strata_source_set **out, strata_error *err)
{
    strata_dialect d = strata_session_dialect(s);
    const strata_fs_set *before = strata_session_files(s);
    int rc = strata_source_scan(s->dir, &d, out, err);
    strata_fs_use(before);
    for (size_t i = 0; rc == STRATA_OK && i < (*out)->nnotes; i++)
        strata_session_notice(s, "%s", (*out)->notes[i]);
    return rc;
}

typedef size_t (*quote_fn)(strata_conn *conn, const char *in, char *out, size_t size);

/* Quotes through a driver hook that follows the snprintf convention; a value the driver
 * cannot quote is remembered, and the next statement run refuses to go (sticky). */
static void
append_quoted(strata *s, strata_buf *b, quote_fn quote, const char *value)
{
    char small[256];
    size_t n = quote(s->conn, value, small, sizeof(small));
    if (n == (size_t)-1) {
        if (s->unquotable[0] == '\0')
            strata_text_excerpt(s->unquotable, sizeof(s->unquotable), value);
        return;
    }
    if (n < sizeof(small)) {
        strata_buf_append(b, small, n);
        return;
    }
    char *big = strata_xmalloc(n + 1);
    quote(s->conn, value, big, n + 1);
    strata_buf_append(b, big, n);
    free(big);
}

void
strata_session_literal(strata *s, strata_buf *b, const char *value)
{
    if (value == NULL)
        strata_buf_puts(b, "NULL");
    else
        append_quoted(s, b, s->drv->quote_literal, value);
}

void
strata_session_ident(strata *s, strata_buf *b, const char *name)
{
    append_quoted(s, b, s->drv->quote_ident, name);
}

/* Refuses to run SQL that was built around a value the driver could not quote. */
static int
refuse_unquoted(strata *s, strata_error *err)
{
    if (s->unquotable[0] == '\0')
        return STRATA_OK;
    strata_fail(err, STRATA_ERROR,
                "the %s driver cannot quote the value '%s' for this connection (not valid in "
                "the connection's character set?), so strata cannot record it",
                s->drv->name, s->unquotable);
    snprintf(err->hint, sizeof(err->hint),
             "rename the migration file (or set the client encoding in the URL) so that its "
             "name is valid text for the database");
    s->unquotable[0] = '\0';
    return STRATA_ERROR;
}

int
strata_session_run(strata *s, const char *sql, size_t len, strata_error *err)
{
    int rc = refuse_unquoted(s, err);
    if (rc == STRATA_OK)
        rc = s->drv->exec(s->conn, sql, len, err);
    if (rc == STRATA_NOT_FOUND) { /* a statement naming a missing table failed, as any other */
        rc = STRATA_ERROR;
        err->status = STRATA_ERROR;
    }
    return rc;
}

int
strata_session_exec(strata *s, const char *sql, strata_error *err)
{
    return strata_session_run(s, sql, strlen(sql), err);
}

int
strata_session_query(strata *s, const char *sql, strata_row_fn fn, void *ctx, strata_error *err)
{
    int rc = refuse_unquoted(s, err);
    return rc == STRATA_OK ? s->drv->query(s->conn, sql, fn, ctx, err) : rc;
}

int
strata_session_begin(strata *s, strata_error *err)
{
    return s->drv->begin(s->conn, err);
}

int
strata_session_commit(strata *s, strata_error *err)
{
    return s->drv->commit(s->conn, err);
}

void
strata_session_rollback(strata *s)
{
    strata_error ignored = STRATA_ERROR_INIT;
    s->drv->rollback(s->conn, &ignored);
}

void
strata_session_emit(strata *s, const strata_event *ev)
{
    if (s->on_event != NULL)
        s->on_event(s->event_ctx, ev);
}

void
strata_session_notice(strata *s, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    strata_event ev = {.type = STRATA_EVENT_NOTICE, .text = text};
    strata_session_emit(s, &ev);
}

/*
 * The driver's lock() said this connection cannot hold its lock (STRATA_NOT_SUPPORTED, e.g.
 * a session lock behind a pooler that hands each transaction to another server session):
 * the session takes the table lock from now on, and says so once, with the driver's reason.
 */
static void
lock_by_table(strata *s, strata_error *err)
{
    s->lock_by_table = 1;
    strata_session_notice(s, "%s; using the lock table %s instead", err->message, s->names.lock);
    strata_error_clear(err);
}

/* Takes the lock once, waiting up to timeout_ms. */
static int
lock_once(strata *s, long timeout_ms, strata_error *err)
{
    if (STRATA_DRIVER_HAS(s->drv, lock) && !s->lock_by_table) {
        int rc = s->drv->lock(s->conn, s->lock_name, timeout_ms, err);
        if (rc != STRATA_NOT_SUPPORTED)
            return rc;
        lock_by_table(s, err);
    }
    int rc = strata_table_lock_take(s, timeout_ms, err);
    s->table_lock = rc == STRATA_OK;
    return rc;
}

int
strata_session_lock(strata *s, strata_error *err)
{
    if (s->read_only) /* everything that takes the lock writes */
        return strata_fail(err, STRATA_USAGE,
                           "this session was opened read-only (strata_options.read_only): it "
                           "cannot take the migration lock to change the database");
    int rc = lock_once(s, 0, err);
    if (rc != STRATA_LOCK_TIMEOUT || s->lock_timeout_ms == 0)
        return rc;
    const char *holder = strstr(err->message, "held by");
    char text[sizeof(err->message) + 64];
    char limit[32] = "as long as it takes";
    if (s->lock_timeout_ms > 0)
        snprintf(limit, sizeof(limit), "up to %ld ms", s->lock_timeout_ms);
    snprintf(text, sizeof(text), "waiting %s for the migration lock, %s", limit,
             holder ? holder : "held by another runner");
    strata_event ev = {.type = STRATA_EVENT_LOCK_WAIT, .text = text};
    strata_session_emit(s, &ev);
    rc = lock_once(s, s->lock_timeout_ms, err);
    if (rc == STRATA_LOCK_TIMEOUT && err->hint[0] == '\0')
        snprintf(err->hint, sizeof(err->hint),
                 "another strata run is migrating this database; wait for it, or raise "
                 "--lock-timeout");
    return rc;
}

void
strata_session_unlock(strata *s)
{
    strata_error ignored = STRATA_ERROR_INIT;
    if (s->table_lock)
        strata_table_lock_release(s);
    else if (STRATA_DRIVER_HAS(s->drv, unlock) && !s->lock_by_table)
        s->drv->unlock(s->conn, s->lock_name, &ignored);
    s->table_lock = 0;
}

void
strata_session_lock_beat(strata *s)
{
    if (s->table_lock)
        strata_table_lock_beat(s);
}

int
strata_exec_script(strata *s, const char *sql, strata_error *err)
{
    strata_memory mem = {sql, strlen(sql)};
    strata_lexer *lx = NULL;
    if (strata_lexer_for_connection(&s->info, strata_memory_read, &mem, 1, &lx) != STRATA_OK)
        return strata_fail(err, STRATA_ERROR, "cannot split SQL into statements");
    strata_stmt st;
    strata_lex_error le;
    int got, rc = STRATA_OK;
    while (rc == STRATA_OK && (got = strata_lexer_next(lx, &st, &le)) != 0) {
        if (got < 0)
            rc = strata_fail(err, STRATA_ERROR, "%ld:%ld: %s", le.line, le.col, le.message);
        else
            rc = strata_session_run(s, st.text, st.len, err);
    }
    strata_lexer_free(lx);
    return rc;
}

int
strata_exec_together(strata *s, const char *sql, strata_error *err)
{
    if (!(s->info.caps & (STRATA_CAP_MULTI_STATEMENT | STRATA_CAP_AUTOCOMMIT_BATCH)))
        return strata_exec_script(s, sql, err);
    return strata_session_run(s, sql, strlen(sql), err);
}
