/*
 * The SQLite driver's schema snapshot and scratch databases (snapshot.h; the format is in
 * docs/writing-a-driver.md, "snapshot").
 *
 * SQLite keeps most of a table's definition only as the CREATE text, so the pragmas give
 * what they can (columns, keys, foreign keys, indexes) and the text gives the rest (CHECK
 * constraints, view and trigger bodies, index expressions), normalized to one line.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "snapshot.h"

#define SNAP_TEXT 8192

/* A snapshot in progress. */
typedef struct snap {
    sqlite3 *db;
    const char *const *skip;
    strata_object_fn fn;
    void *ctx;
    int stopped; /* fn asked to stop */
} snap;

/* Appends printf-style text to buf (size SNAP_TEXT), truncating. */
static void cat(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
cat(char *buf, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= SNAP_TEXT)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, SNAP_TEXT - n, fmt, ap);
    va_end(ap);
}

/* Collapses whitespace runs of text into one space and trims it, in place. */
static void
one_line(char *text)
{
    char *w = text;
    int blank = 1;
    for (const char *r = text; *r != '\0'; r++) {
        if (isspace((unsigned char)*r)) {
            blank = 1;
            continue;
        }
        if (blank && w != text)
            *w++ = ' ';
        blank = 0;
        *w++ = *r;
    }
    *w = '\0';
}

static void
lower(char *text)
{
    for (; *text != '\0'; text++)
        *text = (char)tolower((unsigned char)*text);
}

static int
emit(snap *s, strata_object_kind kind, const char *name, const char *definition)
{
    if (!s->stopped && s->fn(s->ctx, kind, name, definition) != 0)
        s->stopped = 1;
    return s->stopped;
}

static int
skipped(const snap *s, const char *table)
{
    for (const char *const *t = s->skip; t != NULL && *t != NULL; t++)
        if (strcasecmp(*t, table) == 0)
            return 1;
    return 0;
}

/* Prepares sql; on failure fills err. */
static int
prepare(snap *s, const char *sql, sqlite3_stmt **st, const strata_host *host, strata_error *err)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) == SQLITE_OK)
        return STRATA_OK;
    host->set_error(err, STRATA_ERROR, "snapshot: %s", sqlite3_errmsg(s->db));
    return STRATA_ERROR;
}

static const char *
text_of(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* Skips a quoted run starting at *p (a quote character) of text. */
static const char *
past_quoted(const char *p)
{
    char q = *p == '[' ? ']' : *p;
    for (p++; *p != '\0'; p++) {
        if (*p == q && p[1] == q && q != ']')
            p++;
        else if (*p == q)
            return p + 1;
    }
    return p;
}

/* The end of the parenthesized run opening at *p ('('), past its ')'. */
static const char *
past_parens(const char *p)
{
    int depth = 0;
    while (*p != '\0') {
        if (*p == '\'' || *p == '"' || *p == '`' || *p == '[') {
            p = past_quoted(p);
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p + 1;
        p++;
    }
    return p;
}

/* True when the keyword kw starts at p as a whole word. */
static int
word_at(const char *text, const char *p, const char *kw)
{
    size_t n = strlen(kw);
    return strncasecmp(p, kw, n) == 0 &&
           (p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
           !(isalnum((unsigned char)p[n]) || p[n] == '_');
}

/* ------------------------------------------------------------------ tables */

/* The table's options from the text after its column list: "without rowid", "strict". */
static void
table_options(const char *sql, char *out)
{
    const char *open = strchr(sql, '(');
    out[0] = '\0';
    if (open == NULL)
        return;
    const char *tail = past_parens(open);
    char opts[256];
    snprintf(opts, sizeof(opts), "%s", tail);
    for (char *c = opts; *c; c++)
        if (*c == ',' || *c == ';')
            *c = ' ';
    one_line(opts);
    lower(opts);
    snprintf(out, SNAP_TEXT, "%s", opts);
}

/* CHECK (...) clauses of a CREATE TABLE text, each reported as "t.check (EXPR)". */
static void
table_checks(snap *s, const char *table, const char *sql)
{
    char name[SNAP_TEXT];
    for (const char *p = sql; *p != '\0';) {
        if (*p == '\'' || *p == '"' || *p == '`' || *p == '[') {
            p = past_quoted(p);
            continue;
        }
        if (!word_at(sql, p, "check")) {
            p++;
            continue;
        }
        const char *open = p + 5;
        while (isspace((unsigned char)*open))
            open++;
        if (*open != '(') {
            p = open;
            continue;
        }
        const char *close = past_parens(open);
        char expr[SNAP_TEXT];
        size_t n = (size_t)(close - open);
        snprintf(expr, sizeof(expr), "%.*s", (int)(n < SNAP_TEXT ? n : SNAP_TEXT - 1), open);
        one_line(expr);
        snprintf(name, sizeof(name), "%.1000s.check %.6000s", table, expr);
        if (emit(s, STRATA_OBJ_CONSTRAINT, name, ""))
            return;
        p = close;
    }
}

static int
columns(snap *s, const char *table, const strata_host *host, strata_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc =
        prepare(s,
                "SELECT name, type, \"notnull\", dflt_value, hidden FROM pragma_table_xinfo(?1) "
                "ORDER BY cid",
                &st, host, err);
    if (rc != STRATA_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    char name[SNAP_TEXT], def[SNAP_TEXT];
    int position = 0;
    while (!s->stopped && sqlite3_step(st) == SQLITE_ROW) {
        snprintf(name, sizeof(name), "%s.%s", table, text_of(st, 0));
        char type[512];
        snprintf(type, sizeof(type), "%s", text_of(st, 1));
        one_line(type);
        lower(type);
        snprintf(def, sizeof(def), "#%d %s", ++position, type);
        if (sqlite3_column_int(st, 2))
            cat(def, " not null");
        if (sqlite3_column_type(st, 3) != SQLITE_NULL)
            cat(def, " default %s", text_of(st, 3));
        int hidden = sqlite3_column_int(st, 4);
        if (hidden == 2 || hidden == 3)
            cat(def, " generated always %s", hidden == 3 ? "stored" : "virtual");
        one_line(def);
        emit(s, STRATA_OBJ_COLUMN, name, def);
    }
    sqlite3_finalize(st);
    return STRATA_OK;
}

/* The table's primary key columns, in key order, into out ("" when it has none). */
static int
primary_key(snap *s, const char *table, char *out, const strata_host *host, strata_error *err)
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    int rc = prepare(s, "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk", &st,
                     host, err);
    if (rc != STRATA_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW)
        cat(out, "%s%s", out[0] ? ", " : "", text_of(st, 0));
    sqlite3_finalize(st);
    return STRATA_OK;
}

/* Unique constraints: the indexes SQLite made for UNIQUE (origin 'u'). */
static int
uniques(snap *s, const char *table, const strata_host *host, strata_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(s,
                     "SELECT (SELECT group_concat(name, ', ') FROM (SELECT name FROM "
                     "pragma_index_info(il.name) ORDER BY seqno)) FROM pragma_index_list(?1) il "
                     "WHERE il.origin = 'u' ORDER BY 1",
                     &st, host, err);
    if (rc != STRATA_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    char name[SNAP_TEXT];
    while (!s->stopped && sqlite3_step(st) == SQLITE_ROW) {
        snprintf(name, sizeof(name), "%s.unique (%s)", table, text_of(st, 0));
        emit(s, STRATA_OBJ_CONSTRAINT, name, "");
    }
    sqlite3_finalize(st);
    return STRATA_OK;
}

static int
foreign_keys(snap *s, const char *table, const strata_host *host, strata_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc =
        prepare(s,
                "SELECT id, \"table\", group_concat(\"from\", ', '), group_concat(\"to\", ', '), "
                "lower(on_update), lower(on_delete), count(\"to\") FROM (SELECT * FROM "
                "pragma_foreign_key_list(?1) ORDER BY id, seq) GROUP BY id ORDER BY 3, 2",
                &st, host, err);
    if (rc != STRATA_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    char name[SNAP_TEXT], def[SNAP_TEXT], refcols[SNAP_TEXT];
    while (rc == STRATA_OK && !s->stopped && sqlite3_step(st) == SQLITE_ROW) {
        const char *ref = text_of(st, 1);
        if (sqlite3_column_int(st, 6) > 0) /* named columns */
            snprintf(refcols, sizeof(refcols), "%s", text_of(st, 3));
        else /* REFERENCES t alone: its primary key */
            rc = primary_key(s, ref, refcols, host, err);
        snprintf(name, sizeof(name), "%.1000s.foreign key (%.2000s) references %.1000s (%.2000s)", table,
                 text_of(st, 2), ref, refcols);
        snprintf(def, sizeof(def), "on update %s on delete %s", text_of(st, 4), text_of(st, 5));
        emit(s, STRATA_OBJ_CONSTRAINT, name, def);
    }
    sqlite3_finalize(st);
    return rc;
}

static int
table(snap *s, const char *name, const char *sql, const strata_host *host, strata_error *err)
{
    char def[SNAP_TEXT], key[SNAP_TEXT], obj[SNAP_TEXT];
    table_options(sql, def);
    if (emit(s, STRATA_OBJ_TABLE, name, def))
        return STRATA_OK;
    int rc = columns(s, name, host, err);
    if (rc == STRATA_OK)
        rc = primary_key(s, name, key, host, err);
    if (rc == STRATA_OK && key[0] != '\0') {
        snprintf(obj, sizeof(obj), "%.1000s.primary key (%.6000s)", name, key);
        emit(s, STRATA_OBJ_CONSTRAINT, obj, "");
    }
    if (rc == STRATA_OK)
        rc = uniques(s, name, host, err);
    if (rc == STRATA_OK)
        rc = foreign_keys(s, name, host, err);
    if (rc == STRATA_OK)
        table_checks(s, name, sql);
    return rc;
}

/* ------------------------------------------------------------------ the rest */

/* "unique (a, lower(b)) where x > 0" from CREATE [UNIQUE] INDEX name ON t (...) [WHERE ...] */
static void
index_definition(const char *sql, char *out)
{
    const char *open = strchr(sql, '(');
    int unique = 0;
    for (const char *p = sql; p < (open ? open : sql); p++)
        if (word_at(sql, p, "unique"))
            unique = 1;
    snprintf(out, SNAP_TEXT, "%s%s", unique ? "unique " : "", open ? open : "");
    one_line(out);
    char *where = NULL;
    for (char *p = out; *p != '\0'; p++) /* lower-case the WHERE keyword alone */
        if (word_at(out, p, "where"))
            where = p;
    if (where != NULL)
        memcpy(where, "where", 5);
}

/* The text after the first AS of a CREATE VIEW, one line. */
static void
view_definition(const char *sql, char *out)
{
    const char *body = sql;
    for (const char *p = sql; *p != '\0'; p++)
        if (word_at(sql, p, "as")) {
            body = p + 2;
            break;
        }
    snprintf(out, SNAP_TEXT, "%s", body);
    one_line(out);
}

/* The text after CREATE TRIGGER [IF NOT EXISTS] name, one line. */
static void
trigger_definition(const char *sql, const char *name, char *out)
{
    const char *p = strcasestr(sql, name);
    p = p ? p + strlen(name) : sql;
    if (*p == '"' || *p == '`' || *p == ']')
        p++;
    snprintf(out, SNAP_TEXT, "%s", p);
    one_line(out);
}

int
sq_snapshot_db(sqlite3 *db, const char *const *skip_tables, strata_object_fn fn, void *ctx,
               const strata_host *host, strata_error *err)
{
    snap s = {.db = db, .skip = skip_tables, .fn = fn, .ctx = ctx};
    sqlite3_stmt *st = NULL;
    int rc = prepare(&s,
                     "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL "
                     "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
                     &st, host, err);
    if (rc != STRATA_OK)
        return rc;
    char name[SNAP_TEXT], def[SNAP_TEXT];
    int step = SQLITE_DONE;
    while (rc == STRATA_OK && !s.stopped && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *type = text_of(st, 0), *obj = text_of(st, 1), *tbl = text_of(st, 2),
                   *sql = text_of(st, 3);
        if (skipped(&s, tbl))
            continue;
        if (strcmp(type, "table") == 0) {
            rc = table(&s, obj, sql, host, err);
        } else if (strcmp(type, "index") == 0) {
            snprintf(name, sizeof(name), "%s.%s", tbl, obj);
            index_definition(sql, def);
            emit(&s, STRATA_OBJ_INDEX, name, def);
        } else if (strcmp(type, "view") == 0) {
            view_definition(sql, def);
            emit(&s, STRATA_OBJ_VIEW, obj, def);
        } else if (strcmp(type, "trigger") == 0) {
            snprintf(name, sizeof(name), "%s.%s", tbl, obj);
            trigger_definition(sql, obj, def);
            emit(&s, STRATA_OBJ_TRIGGER, name, def);
        }
    }
    if (rc == STRATA_OK && !s.stopped && step != SQLITE_DONE) {
        host->set_error(err, STRATA_ERROR, "snapshot: %s", sqlite3_errmsg(db));
        rc = STRATA_ERROR;
    }
    sqlite3_finalize(st);
    return rc;
}

/* ------------------------------------------------------------------ scratch databases */

static int
scratch_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strncmp(base, "strata_scratch_", 15) == 0;
}

int
sq_scratch_create_file(char *name_out, size_t size, const strata_host *host, strata_error *err)
{
    static unsigned counter;
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    for (int tries = 0; tries < 100; tries++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/strata_scratch_%ld_%u.db", dir, (long)getpid(),
                 __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST));
        FILE *f = fopen(path, "wx"); /* created here, exclusively: an empty database */
        if (f == NULL)
            continue;
        fclose(f);
        if ((size_t)snprintf(name_out, size, "%s", path) >= size) {
            unlink(path);
            break;
        }
        return STRATA_OK;
    }
    host->set_error(err, STRATA_ERROR, "cannot create a scratch database file in %s", dir);
    return STRATA_ERROR;
}

int
sq_scratch_drop_file(const char *name, const strata_host *host, strata_error *err)
{
    if (!scratch_name(name)) {
        host->set_error(err, STRATA_USAGE, "'%s' is not a scratch database (strata_scratch_*)",
                        name);
        return STRATA_USAGE;
    }
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s%s", name, suffixes[i]);
        unlink(path);
    }
    return STRATA_OK;
}
