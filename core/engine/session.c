#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"
#include "loader.h"
#include "session.h"
#include "url.h"

#define DEFAULT_TABLE "strata_migrations"
#define DEFAULT_DIR "migrations"
#define DEFAULT_LOCK_TIMEOUT_MS 60000L

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
static void
set_names(strata *s)
{
    char home[256] = "";
    const char *schema = s->schema;
    if (schema == NULL && STRATA_DRIVER_HAS(s->drv, home_schema)) {
        size_t n = s->drv->home_schema(s->conn, home, sizeof(home));
        schema = n > 0 && n < sizeof(home) ? home : NULL;
    }
    s->names.migrations = quoted_name(s, schema, s->table, "");
    s->names.events = quoted_name(s, schema, s->table, "_events");
    s->names.meta = quoted_name(s, schema, s->table, "_meta");
    s->lock_name = strata_xasprintf("%s.%s", s->schema ? s->schema : "", s->table);
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
                           "no database URL given (set --database or "
                           "DATABASE_URL, e.g. sqlite:strata.db)");
    s->database_url = strata_xstrdup(o->database_url);
    s->dir = strata_xstrdup(o->dir && *o->dir ? o->dir : DEFAULT_DIR);
    s->table = strata_xstrdup(o->table && *o->table ? o->table : DEFAULT_TABLE);
    s->schema = dup_or_null(o->schema);
    s->driver_dir = dup_or_null(o->driver_dir);
    s->lock_timeout_ms = o->lock_timeout_ms;
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

static int
load_driver(strata *s, strata_error *err)
{
    char module[80];
    int rc = strata_url_parse(s->database_url, &s->url, err);
    if (rc != STRATA_OK)
        return rc;
    if (strata_url_module(s->url->scheme, module, sizeof(module)) == NULL)
        return strata_fail(err, STRATA_USAGE, "'%s' in %s is not a known database scheme",
                           s->url->scheme, s->url->redacted);
    rc = strata_loader_load(module, s->driver_dir, &s->drv, err);
    if (rc != STRATA_OK)
        return rc;
    for (const char *const *sc = s->drv->schemes; *sc != NULL; sc++)
        if (strcmp(*sc, s->url->scheme) == 0)
            return STRATA_OK;
    return strata_fail(err, STRATA_USAGE, "driver %s does not serve the scheme '%s'", s->drv->name,
                       s->url->scheme);
}

int
strata_open(const strata_options *o, strata **out, strata_error *err)
{
    strata *s = strata_xcalloc(1, sizeof(*s));
    *out = NULL;
    strata_error_clear(err);
    int rc = copy_options(s, o, err);
    if (rc == STRATA_OK)
        rc = load_driver(s, err);
    if (rc != STRATA_OK)
        goto fail;
    strata_connect_options co = {.size = sizeof(co), .schema = s->schema, .application = "strata"};
    rc = s->drv->connect(s->url, &co, &s->conn, err);
    if (rc != STRATA_OK) {
        static const char driver_prefix[] = "cannot connect: ";
        size_t n = sizeof(driver_prefix) - 1;
        if (strncmp(err->message, driver_prefix, n) == 0)
            memmove(err->message, err->message + n, strlen(err->message + n) + 1);
        strata_error_prefix(err, "cannot connect to %s: ", s->url->redacted);
        goto fail;
    }
    s->drv->server_version(s->conn, s->server, sizeof(s->server));
    set_names(s);
    *out = s;
    return STRATA_OK;
fail:
    strata_close(s);
    return rc;
}

void
strata_close(strata *s)
{
    if (s == NULL)
        return;
    if (s->conn != NULL)
        s->drv->close(s->conn);
    strata_url_free(s->url);
    free((char *)s->names.migrations);
    free((char *)s->names.events);
    free((char *)s->names.meta);
    free(s->lock_name);
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
    strata_dialect d = {.name = s->drv->dialect, .aliases = s->drv->dialect_aliases};
    return d;
}

int
strata_session_scan(strata *s, strata_source_set **out, strata_error *err)
{
    strata_dialect d = strata_session_dialect(s);
    int rc = strata_source_scan(s->dir, &d, out, err);
    for (size_t i = 0; rc == STRATA_OK && i < (*out)->nnotes; i++)
        strata_session_notice(s, "%s", (*out)->notes[i]);
    return rc;
}

/* Quotes through a driver hook that follows the snprintf convention. */
static void
append_quoted(strata_buf *b, size_t (*quote)(const char *, char *, size_t), const char *value)
{
    char small[256];
    size_t n = quote(value, small, sizeof(small));
    if (n < sizeof(small)) {
        strata_buf_append(b, small, n);
        return;
    }
    char *big = strata_xmalloc(n + 1);
    quote(value, big, n + 1);
    strata_buf_append(b, big, n);
    free(big);
}

void
strata_session_literal(strata *s, strata_buf *b, const char *value)
{
    if (value == NULL)
        strata_buf_puts(b, "NULL");
    else
        append_quoted(b, s->drv->quote_literal, value);
}

void
strata_session_ident(strata *s, strata_buf *b, const char *name)
{
    append_quoted(b, s->drv->quote_ident, name);
}

int
strata_session_exec(strata *s, const char *sql, strata_error *err)
{
    return s->drv->exec(s->conn, sql, strlen(sql), err);
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

int
strata_session_lock(strata *s, strata_error *err)
{
    int rc = s->drv->lock(s->conn, s->lock_name, 0, err);
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
    rc = s->drv->lock(s->conn, s->lock_name, s->lock_timeout_ms, err);
    if (rc == STRATA_LOCK_TIMEOUT && err->hint[0] == '\0')
        snprintf(err->hint, sizeof(err->hint),
                 "another strata run is migrating this database; wait for it, or raise "
                 "--lock-timeout");
    return rc;
}

void
strata_session_unlock(strata *s)
{
    strata_error ignored;
    s->drv->unlock(s->conn, s->lock_name, &ignored);
}

/* A strata_read_fn over a string. */
typedef struct memory_reader {
    const char *data;
    size_t left;
} memory_reader;

static size_t
read_memory(void *ctx, char *buf, size_t size)
{
    memory_reader *m = ctx;
    size_t n = size < m->left ? size : m->left;
    memcpy(buf, m->data, n);
    m->data += n;
    m->left -= n;
    return n;
}

int
strata_exec_script(strata *s, const char *sql, strata_error *err)
{
    memory_reader mem = {sql, strlen(sql)};
    strata_lexer *lx = NULL;
    if (strata_lexer_for_driver(s->drv, read_memory, &mem, 1, &lx) != STRATA_OK)
        return strata_fail(err, STRATA_ERROR, "cannot split SQL into statements");
    strata_stmt st;
    strata_lex_error le;
    int got, rc = STRATA_OK;
    while (rc == STRATA_OK && (got = strata_lexer_next(lx, &st, &le)) != 0) {
        if (got < 0)
            rc = strata_fail(err, STRATA_ERROR, "%ld:%ld: %s", le.line, le.col, le.message);
        else
            rc = s->drv->exec(s->conn, st.text, st.len, err);
    }
    strata_lexer_free(lx);
    return rc;
}
