/*
 * strata adopt: taking over a database that golang-migrate, dbmate, goose, Flyway, sqitch
 * or Liquibase migrated. The other tool's table is read (never written), what it applied is matched
 * with the files of the migrations directory, and those migrations are recorded in
 * strata's history as applied, under the migration lock and in one transaction, so that
 * `strata up` carries on with what is new.
 *
 * Everything that can refuse is checked before the lock is taken and before strata's
 * history tables are created, so a refusal changes nothing.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "adopt.h"
#include "engine.h"
#include "json.h"
#include "sqitch.h"

/* ------------------------------------------------------------------ the tools */

/* What a column of a tool's table means to strata. */
enum column_role {
    COL_ORDER,
    COL_VERSION,
    COL_FLAG,
    COL_AT,
    COL_TYPE,
    COL_SCRIPT,
    COL_BY,
    COL_MS,
    COL_NAME,    /* sqitch's change, Liquibase's ID */
    COL_AUTHOR,  /* Liquibase's AUTHOR */
    COL_PROJECT, /* sqitch's project */
};

#define MAX_COLUMNS 8

typedef struct tool_desc {
    const char *name;
    const char *table;
    const char *columns; /* the SELECT list, matching roles */
    const char *order_by;
    int ncols;
    enum column_role roles[MAX_COLUMNS];
    const char *schema; /* the table's schema (database) when it has its own, else NULL */
    const char *label;  /* schema.table, for messages, when there is a schema */
    int quote;          /* names are quoted for the dialect (sqitch's "change" is a reserved
                           word in MySQL) */
    int index_is_order; /* the rows come in the order they were applied */
} tool_desc;

/* Tables and columns as each tool creates them (the same on every database). */
static const tool_desc tools[STRATA_ADOPT_TOOLS] = {
    [STRATA_ADOPT_GOLANG_MIGRATE] = {.name = "golang-migrate",
                                     .table = "schema_migrations",
                                     .columns = "version, dirty",
                                     .ncols = 2,
                                     .roles = {COL_VERSION, COL_FLAG}},
    [STRATA_ADOPT_DBMATE] = {.name = "dbmate",
                             .table = "schema_migrations",
                             .columns = "version",
                             .ncols = 1,
                             .roles = {COL_VERSION}},
    [STRATA_ADOPT_GOOSE] = {.name = "goose",
                            .table = "goose_db_version",
                            .columns = "id, version_id, is_applied, tstamp",
                            .order_by = "id",
                            .ncols = 4,
                            .roles = {COL_ORDER, COL_VERSION, COL_FLAG, COL_AT}},
    [STRATA_ADOPT_FLYWAY] = {.name = "flyway",
                             .table = "flyway_schema_history",
                             .columns = "installed_rank, version, type, script, installed_by, "
                                        "installed_on, execution_time, success",
                             .order_by = "installed_rank",
                             .ncols = 8,
                             .roles = {COL_ORDER, COL_VERSION, COL_TYPE, COL_SCRIPT, COL_BY, COL_AT,
                                       COL_MS, COL_FLAG}},
    [STRATA_ADOPT_SQITCH] = {.name = "sqitch",
                             .schema = "sqitch",
                             .table = "changes",
                             .label = "sqitch.changes",
                             .columns = "change,project,committed_at,committer_name",
                             .order_by = "committed_at",
                             .ncols = 4,
                             .roles = {COL_NAME, COL_PROJECT, COL_AT, COL_BY},
                             .quote = 1,
                             .index_is_order = 1},
    [STRATA_ADOPT_LIQUIBASE] = {.name = "liquibase",
                                .table = "DATABASECHANGELOG",
                                .columns = "ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, "
                                           "EXECTYPE",
                                .order_by = "ORDEREXECUTED",
                                .ncols = 6,
                                .roles = {COL_NAME, COL_AUTHOR, COL_SCRIPT, COL_AT, COL_ORDER,
                                          COL_TYPE}},
};

const char *
strata_adopt_tool_name(strata_adopt_tool tool)
{
    return tool < STRATA_ADOPT_TOOLS ? tools[tool].name : "";
}

const char *
strata_adopt_tool_table(strata_adopt_tool tool)
{
    if (tool >= STRATA_ADOPT_TOOLS)
        return "";
    return tools[tool].label != NULL ? tools[tool].label : tools[tool].table;
}

int
strata_adopt_tool_parse(const char *name)
{
    if (name == NULL)
        return -1;
    if (strata_strieq(name, "migrate"))
        return STRATA_ADOPT_GOLANG_MIGRATE;
    for (int t = 0; t < STRATA_ADOPT_TOOLS; t++)
        if (strata_strieq(name, tools[t].name))
            return t;
    return -1;
}

int
strata_adopt_true(const char *v)
{
    static const char *const yes[] = {"1", "t", "true", "y", "yes", "on"};
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (strata_strieq(v, yes[i]))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ timestamps */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static void
civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Reads exactly n digits at *p into *v and advances *p. */
static int
digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return -1;
        *v = *v * 10 + (**p - '0');
    }
    return 0;
}

/* Reads an offset from UTC ("Z", "+02", "+0200", "-07:30", " UTC") into seconds. */
static int
utc_offset(const char *p, long *seconds)
{
    *seconds = 0;
    while (*p == ' ')
        p++;
    if (*p == '\0' || strcmp(p, "Z") == 0 || strcmp(p, "UTC") == 0 || strcmp(p, "GMT") == 0)
        return 0;
    int sign = *p == '-' ? -1 : 1, hh, mm = 0;
    if (*p != '+' && *p != '-')
        return -1;
    p++;
    if (digits(&p, 2, &hh) != 0)
        return -1;
    if (*p == ':')
        p++;
    if (*p != '\0' && digits(&p, 2, &mm) != 0)
        return -1;
    if (*p == ':') { /* seconds of historical offsets: ignored */
        p++;
        int ss;
        if (digits(&p, 2, &ss) != 0)
            return -1;
    }
    if (*p != '\0' || hh > 23 || mm > 59)
        return -1;
    *seconds = sign * (hh * 3600L + mm * 60L);
    return 0;
}

/* Reads "YYYY-MM-DD HH:MM:SS" (or with a T) and skips fractional seconds; *p is left after. */
static int
date_time(const char **p, int f[6])
{
    static const char seps[] = " -- ::"; /* the separator before each field */
    for (int i = 0; i < 6; i++) {
        if (i > 0 && **p != seps[i] && !(i == 3 && **p == 'T'))
            return -1;
        if (i > 0)
            (*p)++;
        if (digits(p, i == 0 ? 4 : 2, &f[i]) != 0)
            return -1;
    }
    if (**p == '.')
        for ((*p)++; **p >= '0' && **p <= '9'; (*p)++)
            ;
    return 0;
}

int
strata_adopt_utc(const char *in, char *out, size_t size)
{
    int f[6]; /* year, month, day, hour, minute, second */
    const char *p = in;
    long offset;
    if (size > 0)
        out[0] = '\0';
    if (in == NULL || date_time(&p, f) != 0 || utc_offset(p, &offset) != 0 || f[1] < 1 ||
        f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
        return -1;
    long long t = days_from_civil(f[0], (unsigned)f[1], (unsigned)f[2]) * 86400LL + f[3] * 3600LL +
                  f[4] * 60LL + f[5] - offset;
    long long days = (t >= 0 ? t : t - 86399) / 86400, rest = t - days * 86400;
    int y, mo, d;
    civil_from_days(days, &y, &mo, &d);
    snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, (int)(rest / 3600),
             (int)(rest / 60 % 60), (int)(rest % 60));
    return 0;
}

/* ------------------------------------------------------------------ reading the tool's table */

/* One row of the tool's table, by role. */
typedef struct tool_row {
    char *version;   /* NULL: none (a Flyway repeatable) */
    char *type;      /* Flyway's type, Liquibase's EXECTYPE */
    char *script;    /* Flyway's script, Liquibase's FILENAME */
    char *name;      /* sqitch's change; Liquibase's AUTHOR:ID */
    char *author;    /* Liquibase's AUTHOR, until the name is put together */
    char *project;   /* sqitch's project */
    long long order; /* Flyway's installed_rank, goose's id; 0 for the others */
    int flag;        /* golang-migrate dirty, goose is_applied, Flyway success */
    char *at;        /* the tool's timestamp as the database renders it, may be NULL */
    char *by;        /* Flyway's installed_by */
    long long ms;    /* Flyway's execution_time */
} tool_row;

typedef struct tool_rows {
    strata_adopt_tool tool;
    tool_row *items;
    size_t count;
} tool_rows;

static char *
dup_or_null(const char *v)
{
    return v != NULL ? strata_xstrdup(v) : NULL;
}

static int
collect_tool_row(void *ctx, int ncols, const char *const *v)
{
    tool_rows *rows = ctx;
    const tool_desc *d = &tools[rows->tool];
    if (ncols < d->ncols)
        return 1;
    rows->items = strata_xrealloc(rows->items, (rows->count + 1) * sizeof(*rows->items));
    tool_row *r = &rows->items[rows->count++];
    memset(r, 0, sizeof(*r));
    if (d->index_is_order)
        r->order = (long long)rows->count;
    for (int i = 0; i < d->ncols; i++) {
        switch (d->roles[i]) {
        case COL_ORDER:
            r->order = v[i] ? strtoll(v[i], NULL, 10) : 0;
            break;
        case COL_VERSION:
            r->version = dup_or_null(v[i]);
            break;
        case COL_FLAG:
            r->flag = strata_adopt_true(v[i]);
            break;
        case COL_AT:
            r->at = dup_or_null(v[i]);
            break;
        case COL_TYPE:
            r->type = dup_or_null(v[i]);
            break;
        case COL_SCRIPT:
            r->script = dup_or_null(v[i]);
            break;
        case COL_BY:
            r->by = dup_or_null(v[i]);
            break;
        case COL_MS:
            r->ms = v[i] ? strtoll(v[i], NULL, 10) : 0;
            break;
        case COL_NAME:
            r->name = dup_or_null(v[i]);
            break;
        case COL_AUTHOR:
            r->author = dup_or_null(v[i]);
            break;
        case COL_PROJECT:
            r->project = dup_or_null(v[i]);
            break;
        }
    }
    if (r->author != NULL && r->name != NULL) { /* Liquibase: named author:id, as strata does */
        char *name = strata_xasprintf("%s:%s", r->author, r->name);
        free(r->name);
        r->name = name;
    }
    return 0;
}

static void
tool_rows_clear(tool_rows *rows)
{
    for (size_t i = 0; i < rows->count; i++) {
        tool_row *r = &rows->items[i];
        free(r->version);
        free(r->type);
        free(r->script);
        free(r->at);
        free(r->by);
        free(r->name);
        free(r->author);
        free(r->project);
    }
    free(rows->items);
    rows->items = NULL;
    rows->count = 0;
}

/*
 * Another tool's history is read with timestamps in UTC where the driver can render them so
 * (MySQL renders TIMESTAMP columns in the session's time zone); put back afterwards.
 * Returns whether it was turned on.
 */
static int
utc_timestamps(strata *s, int on)
{
    if (!STRATA_DRIVER_HAS(s->drv, utc_timestamps))
        return 0;
    strata_error ignored = STRATA_ERROR_INIT;
    return s->drv->utc_timestamps(s->conn, on, &ignored) == STRATA_OK;
}

/*
 * Reads the tool's table into rows. Returns 1 when the table (with the columns the tool
 * gives it) is there, 0 when the probe fails: the table is taken to be absent. Probes run
 * outside any transaction, so a failing one spoils nothing.
 */
/* Appends the comma-separated names of list, each quoted for the session's dialect. */
static void
quoted_list(strata *s, strata_buf *sql, const char *list)
{
    for (const char *p = list; *p != '\0';) {
        size_t n = strcspn(p, ",");
        char *name = strata_xstrndup(p, n);
        strata_session_ident(s, sql, name);
        free(name);
        p += n;
        if (*p == ',') {
            strata_buf_puts(sql, ", ");
            p++;
        }
    }
}

/* Appends names, quoted when the tool's names are. */
static void
tool_names(strata *s, const tool_desc *d, strata_buf *sql, const char *names)
{
    if (d->quote)
        quoted_list(s, sql, names);
    else
        strata_buf_puts(sql, names);
}

/* The SELECT reading the tool's table; with_schema: qualified by its own schema. */
static char *
tool_query(strata *s, const tool_desc *d, int with_schema)
{
    strata_buf sql = {0};
    strata_buf_puts(&sql, "SELECT ");
    tool_names(s, d, &sql, d->columns);
    strata_buf_puts(&sql, " FROM ");
    if (with_schema && d->schema != NULL) {
        tool_names(s, d, &sql, d->schema);
        strata_buf_puts(&sql, ".");
    }
    tool_names(s, d, &sql, d->table);
    if (d->order_by != NULL) {
        strata_buf_puts(&sql, " ORDER BY ");
        tool_names(s, d, &sql, d->order_by);
    }
    return strata_buf_take(&sql);
}

/*
 * sqitch keeps the registry of a file database (SQLite) in a file of its own beside it:
 * the database's base name replaced by "sqitch", the extension kept (flipr.db: sqitch.db).
 * Returns its path (newly allocated), or NULL when the database is no file.
 */
static char *
registry_file(const strata *s)
{
    const char *db = s->url->database;
    if (s->drv->url_shape != STRATA_URL_FILE || db == NULL || strcmp(db, ":memory:") == 0)
        return NULL;
    const char *slash = strrchr(db, '/'), *base = slash ? slash + 1 : db;
    const char *dot = strrchr(base, '.');
    return strata_xasprintf("%.*ssqitch%s", (int)(base - db), db, dot != NULL ? dot : "");
}

/* Reads sqitch's registry from the file beside a file database, through the same driver. */
static int
read_registry_file(strata *s, const tool_desc *d, tool_rows *rows)
{
    char *path = registry_file(s);
    if (path == NULL || access(path, R_OK) != 0) {
        free(path);
        return STRATA_ERROR;
    }
    strata_url url = *s->url;
    url.database = path;
    strata_conn *conn = NULL;
    strata_error probe = STRATA_ERROR_INIT;
    int rc = strata_session_connect_other(s, &url, &conn, &probe);
    char *sql = rc == STRATA_OK ? tool_query(s, d, 0) : NULL;
    if (rc == STRATA_OK)
        rc = s->drv->query(conn, sql, collect_tool_row, rows, &probe);
    if (conn != NULL)
        s->drv->close(conn);
    free(sql);
    free(path);
    return rc;
}

static int
read_tool(strata *s, strata_adopt_tool tool, tool_rows *rows)
{
    const tool_desc *d = &tools[tool];
    char *sql = tool_query(s, d, 1);
    strata_error probe = STRATA_ERROR_INIT;
    memset(rows, 0, sizeof(*rows));
    rows->tool = tool;
    int rc = strata_session_query(s, sql, collect_tool_row, rows, &probe);
    free(sql);
    if (rc != STRATA_OK && d->schema != NULL) {
        tool_rows_clear(rows);
        rows->tool = tool;
        rc = read_registry_file(s, d, rows);
    }
    if (rc != STRATA_OK)
        tool_rows_clear(rows);
    return rc == STRATA_OK;
}

static int
no_table(strata *s, strata_error *err, const char *what)
{
    strata_fail(err, STRATA_VALIDATION, "no %s in %s; nothing to adopt", what,
                strata_redacted_url(s));
    snprintf(err->hint, sizeof(err->hint),
             "adopt reads golang-migrate's and dbmate's schema_migrations, goose's "
             "goose_db_version, Flyway's flyway_schema_history, sqitch's registry "
             "(sqitch.changes) or Liquibase's DATABASECHANGELOG, as those tools create them "
             "(default names, the connection's default schema)");
    return STRATA_VALIDATION;
}

/* Reads the table of the tool the caller named, telling golang-migrate from dbmate. */
static int
read_named(strata *s, strata_adopt_tool tool, tool_rows *rows, strata_error *err)
{
    tool_rows other;
    if (tool == STRATA_ADOPT_DBMATE && read_tool(s, STRATA_ADOPT_GOLANG_MIGRATE, &other)) {
        tool_rows_clear(&other);
        return strata_fail(err, STRATA_VALIDATION,
                           "schema_migrations has a dirty column, as golang-migrate's has, not "
                           "dbmate's; adopt it with --from golang-migrate");
    }
    if (read_tool(s, tool, rows))
        return STRATA_OK;
    if (tool == STRATA_ADOPT_GOLANG_MIGRATE && read_tool(s, STRATA_ADOPT_DBMATE, &other)) {
        tool_rows_clear(&other);
        return strata_fail(err, STRATA_VALIDATION,
                           "schema_migrations has no dirty column, so it is dbmate's, not "
                           "golang-migrate's; adopt it with --from dbmate");
    }
    char what[128];
    snprintf(what, sizeof(what), "%s table %s", tools[tool].name, strata_adopt_tool_table(tool));
    return no_table(s, err, what);
}

/* Finds the one tool whose table is there. */
static int
detect(strata *s, tool_rows *rows, strata_error *err)
{
    tool_rows found[STRATA_ADOPT_TOOLS];
    size_t nfound = 0;
    for (int t = 0; t < STRATA_ADOPT_TOOLS; t++) {
        /* golang-migrate and dbmate share a table name: the dirty column tells them apart */
        if (t == STRATA_ADOPT_DBMATE && nfound > 0 && found[0].tool == STRATA_ADOPT_GOLANG_MIGRATE)
            continue;
        if (read_tool(s, (strata_adopt_tool)t, &found[nfound]))
            nfound++;
    }
    if (nfound == 1) {
        *rows = found[0];
        return STRATA_OK;
    }
    if (nfound == 0)
        return no_table(s, err,
                        "table of golang-migrate, dbmate, goose, Flyway, sqitch or Liquibase");
    strata_buf names = {0};
    for (size_t i = 0; i < nfound; i++) {
        strata_buf_printf(&names, "%s%s (%s)", i ? ", " : "", tools[found[i].tool].name,
                          strata_adopt_tool_table(found[i].tool));
        tool_rows_clear(&found[i]);
    }
    strata_fail(err, STRATA_VALIDATION,
                "the tables of several tools are in %s: %s; say which one to adopt with "
                "--from TOOL",
                strata_redacted_url(s), names.data);
    strata_buf_free(&names);
    return STRATA_VALIDATION;
}

/* ------------------------------------------------------------------ what the tool applied */

/* A migration the tool applied, as far as the tool's table tells. */
typedef struct adoption {
    const char *version;          /* as the tool recorded it (borrowed from its row) */
    const strata_migration *m;    /* its file; NULL when the directory has none */
    const strata_repeatable *rep; /* a repeatable migration's file */
    const tool_row *row;          /* the row that applied it */
    int by_baseline;              /* applied through a baseline (Flyway, golang-migrate) */
} adoption;

typedef struct adoption_set {
    adoption *items;
    size_t count;
    size_t skipped;
} adoption_set;

/* The index of the migration in the set, or -1. */
static long
set_find(const adoption_set *set, const char *version, const strata_repeatable *rep)
{
    for (size_t i = 0; i < set->count; i++) {
        const adoption *a = &set->items[i];
        if (rep != NULL ? a->rep == rep
                        : a->rep == NULL && strata_version_cmp(a->version, version) == 0)
            return (long)i;
    }
    return -1;
}

/* Records a as applied (replacing an earlier record of the same migration unless keep). */
static void
set_put(adoption_set *set, const adoption *a, int keep)
{
    long old = set_find(set, a->version, a->rep);
    if (old >= 0) {
        if (!keep)
            set->items[old] = *a;
        return;
    }
    set->items = strata_xrealloc(set->items, (set->count + 1) * sizeof(*set->items));
    set->items[set->count++] = *a;
}

static void
set_drop(adoption_set *set, const char *version)
{
    long i = set_find(set, version, NULL);
    if (i >= 0)
        set->items[i] = set->items[--set->count];
}

static int
bad_version(strata_error *err, strata_adopt_tool tool, const char *version)
{
    return strata_fail(err, STRATA_VALIDATION,
                       "%s recorded version '%s', which is not a version strata can read "
                       "(digits, optionally dotted)",
                       tools[tool].name, version);
}

/* Adds the migration the row names. */
static int
put_version(adoption_set *set, const strata_source_set *files, strata_adopt_tool tool,
            const tool_row *row, strata_error *err)
{
    adoption a = {.version = row->version, .row = row};
    if (strata_version_check(row->version, strlen(row->version), NULL) != 0)
        return bad_version(err, tool, row->version);
    a.m = strata_source_find(files, row->version);
    set_put(set, &a, 0);
    return STRATA_OK;
}

/* Adds every file up to version (inclusive) that is not in the set yet. */
static void
put_up_to(adoption_set *set, const strata_source_set *files, const char *version,
          const tool_row *row)
{
    for (size_t i = 0; i < files->count; i++) {
        const strata_migration *m = &files->items[i];
        if (strata_version_cmp(m->version, version) > 0)
            break;
        if (!m->applicable) /* only for other databases: never applied here */
            continue;
        adoption a = {.version = m->version, .m = m, .row = row, .by_baseline = 1};
        set_put(set, &a, 1);
    }
}

/* golang-migrate keeps one row: the version it is at, and whether it is dirty. */
static int
resolve_golang_migrate(const tool_rows *rows, const strata_source_set *files, adoption_set *set,
                       strata_error *err)
{
    const tool_row *top = NULL;
    for (size_t i = 0; i < rows->count; i++) {
        const tool_row *r = &rows->items[i];
        if (r->flag) {
            strata_fail(err, STRATA_VALIDATION,
                        "golang-migrate left version %s dirty: a migration failed halfway",
                        r->version ? r->version : "(none)");
            snprintf(err->hint, sizeof(err->hint),
                     "finish or undo that migration by hand, record the truth with `migrate "
                     "force VERSION`, then adopt again");
            return STRATA_VALIDATION;
        }
    }
    for (size_t i = 0; i < rows->count; i++) {
        const tool_row *r = &rows->items[i];
        if (r->version == NULL || r->version[0] == '-') /* -1: golang-migrate's nil version */
            continue;
        if (strata_version_check(r->version, strlen(r->version), NULL) != 0)
            return bad_version(err, rows->tool, r->version);
        if (top == NULL || strata_version_cmp(r->version, top->version) > 0)
            top = r;
    }
    if (top == NULL)
        return STRATA_OK;
    int rc = put_version(set, files, rows->tool, top, err);
    if (rc == STRATA_OK)
        put_up_to(set, files, top->version, top);
    return rc;
}

/* dbmate keeps a row per applied version. */
static int
resolve_dbmate(const tool_rows *rows, const strata_source_set *files, adoption_set *set,
               strata_error *err)
{
    int rc = STRATA_OK;
    for (size_t i = 0; rc == STRATA_OK && i < rows->count; i++)
        if (rows->items[i].version != NULL)
            rc = put_version(set, files, rows->tool, &rows->items[i], err);
    return rc;
}

/* goose adds a row per apply and (older releases) per rollback: the latest row decides. */
static int
resolve_goose(const tool_rows *rows, const strata_source_set *files, adoption_set *set,
              strata_error *err)
{
    for (size_t i = 0; i < rows->count; i++) {
        const tool_row *r = &rows->items[i];
        if (r->version == NULL || strcmp(r->version, "0") == 0) /* goose's initial row */
            continue;
        if (strata_version_check(r->version, strlen(r->version), NULL) != 0)
            return bad_version(err, rows->tool, r->version);
        if (!r->flag) {
            set_drop(set, r->version);
            continue;
        }
        int rc = put_version(set, files, rows->tool, r, err);
        if (rc != STRATA_OK)
            return rc;
    }
    return STRATA_OK;
}

/* The repeatable migration's name from Flyway's script: "views/R__name.sql" -> "name". */
static char *
repeatable_name(const char *script)
{
    const char *base = strrchr(script, '/');
    base = base ? base + 1 : script;
    if (strncmp(base, "R__", 3) == 0)
        base += 3;
    size_t n = strlen(base);
    if (strata_ends_with(base, ".sql"))
        n -= 4;
    return strata_xstrndup(base, n);
}

static void
put_repeatable(strata *s, adoption_set *set, const strata_source_set *files, const tool_row *row)
{
    const char *script = row->script ? row->script : "";
    char *name = repeatable_name(script);
    const strata_repeatable *rep = NULL;
    for (size_t i = 0; i < files->nrepeatables && rep == NULL; i++)
        if (strcmp(files->repeatables[i].name, name) == 0)
            rep = &files->repeatables[i];
    if (rep != NULL) {
        adoption a = {.version = NULL, .rep = rep, .row = row};
        set_put(set, &a, 0);
    } else {
        set->skipped++;
        strata_session_notice(s,
                              "Flyway ran the repeatable migration %s (installed_rank %lld), but "
                              "%s has no R__%s.sql: not adopted",
                              script, row->order, files->dir, name);
    }
    free(name);
}

static int
starts_with(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Flyway keeps a row per action, by installed_rank: migrations, baselines, undos. */
static int
resolve_flyway(strata *s, const tool_rows *rows, const strata_source_set *files, adoption_set *set,
               strata_error *err)
{
    for (size_t i = 0; i < rows->count; i++) {
        const tool_row *r = &rows->items[i];
        if (!r->flag) {
            char what[1200];
            snprintf(what, sizeof(what), "%s%s%s%s", r->version ? "version " : "",
                     r->version ? r->version : "", r->version ? ", " : "",
                     r->script ? r->script : "");
            strata_fail(err, STRATA_VALIDATION,
                        "Flyway recorded a failed migration: %s (installed_rank %lld) has "
                        "success = false",
                        what, r->order);
            snprintf(err->hint, sizeof(err->hint),
                     "clean up what that migration left behind, run `flyway repair` to remove "
                     "the failed row, then adopt again");
            return STRATA_VALIDATION;
        }
    }
    for (size_t i = 0; i < rows->count; i++) {
        const tool_row *r = &rows->items[i];
        const char *type = r->type ? r->type : "";
        if (strcmp(type, "SCHEMA") == 0)
            continue;
        if (r->version == NULL) {
            if (!starts_with(type, "UNDO_") && strcmp(type, "DELETE") != 0)
                put_repeatable(s, set, files, r);
            continue;
        }
        if (strata_version_check(r->version, strlen(r->version), NULL) != 0)
            return bad_version(err, rows->tool, r->version);
        if (starts_with(type, "UNDO_") || strcmp(type, "DELETE") == 0)
            set_drop(set, r->version);
        else if (strcmp(type, "BASELINE") == 0 || strcmp(type, "SQL_BASELINE") == 0)
            put_up_to(set, files, r->version, r);
        else {
            int rc = put_version(set, files, rows->tool, r, err);
            if (rc != STRATA_OK)
                return rc;
        }
    }
    return STRATA_OK;
}

/* The instance-th migration (0-based) named name in version order, or NULL. */
static const strata_migration *
nth_named(const strata_source_set *files, const char *name, size_t instance)
{
    for (size_t i = 0; i < files->count; i++)
        if (strcmp(files->items[i].name, name) == 0 && instance-- == 0)
            return &files->items[i];
    return NULL;
}

/* An adoption for a change or changeset the folder lacks: check_files names it. */
static void
put_missing(adoption_set *set, const tool_row *row)
{
    adoption a = {.version = row->name, .row = row};
    set->items = strata_xrealloc(set->items, (set->count + 1) * sizeof(*set->items));
    set->items[set->count++] = a;
}

/*
 * sqitch keeps a row per deployed change of each project: this plan's rows, in the order
 * they were deployed, matched to the plan's changes by name (the k-th row of a reworked
 * change is its k-th instance in the plan).
 */
static int
resolve_sqitch(strata *s, const tool_rows *rows, const strata_source_set *files, adoption_set *set,
               strata_error *err)
{
    char *project = strata_sqitch_project(s->dir);
    if (project == NULL)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s holds no sqitch.plan to match sqitch's registry with; point "
                           "--dir at the sqitch project",
                           s->dir);
    for (size_t i = 0; i < rows->count; i++) {
        const tool_row *r = &rows->items[i];
        if (r->name == NULL || r->project == NULL || strcmp(r->project, project) != 0)
            continue;
        size_t instance = 0;
        for (size_t k = 0; k < i; k++)
            instance += rows->items[k].name != NULL && strcmp(rows->items[k].name, r->name) == 0;
        const strata_migration *m = nth_named(files, r->name, instance);
        if (m == NULL) {
            put_missing(set, r);
            continue;
        }
        adoption a = {.version = m->version, .m = m, .row = r};
        set_put(set, &a, 0);
    }
    free(project);
    return STRATA_OK;
}

/* The migration or repeatable named name (author:id) whose file is Liquibase's file. */
static void
find_changeset(const strata_source_set *files, const char *name, const char *file,
               const strata_migration **m, const strata_repeatable **rep)
{
    const char *base = file != NULL && strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    *m = NULL;
    *rep = NULL;
    for (size_t i = 0; i < files->count; i++) {
        const strata_migration *x = &files->items[i];
        if (strcmp(x->name, name) != 0)
            continue;
        if (*m == NULL || (base != NULL && x->up.path && strata_ends_with(x->up.path, base)))
            *m = x;
    }
    for (size_t i = 0; *m == NULL && i < files->nrepeatables; i++)
        if (strcmp(files->repeatables[i].name, name) == 0)
            *rep = &files->repeatables[i];
}

/* Liquibase keeps a row per changeset run: EXECUTED, RERAN and MARK_RAN ones are applied. */
static int
resolve_liquibase(const tool_rows *rows, const strata_source_set *files, adoption_set *set)
{
    for (size_t i = 0; i < rows->count; i++) {
        const tool_row *r = &rows->items[i];
        const char *type = r->type ? r->type : "";
        if (r->name == NULL || (strcmp(type, "EXECUTED") != 0 && strcmp(type, "RERAN") != 0 &&
                                strcmp(type, "MARK_RAN") != 0))
            continue;
        const strata_migration *m;
        const strata_repeatable *rep;
        find_changeset(files, r->name, r->script, &m, &rep);
        if (m == NULL && rep == NULL) {
            put_missing(set, r);
            continue;
        }
        adoption a = {.version = m ? m->version : NULL, .m = m, .rep = rep, .row = r};
        set_put(set, &a, 0);
    }
    return STRATA_OK;
}

/* Refuses versions the tool applied that have no file here (naming them). */
static int
check_files(const adoption_set *set, strata_adopt_tool tool, const char *dir, strata_error *err)
{
    strata_buf missing = {0};
    size_t n = 0;
    for (size_t i = 0; i < set->count; i++) {
        const adoption *a = &set->items[i];
        if (a->rep != NULL || (a->m != NULL && a->m->applicable && a->m->up.path != NULL))
            continue;
        strata_buf_printf(&missing, "%s%s", n++ ? ", " : "", a->version);
        if ((tool == STRATA_ADOPT_FLYWAY || tool == STRATA_ADOPT_LIQUIBASE) && a->row->script)
            strata_buf_printf(&missing, " (%s)", a->row->script);
    }
    if (n == 0)
        return STRATA_OK;
    const char *noun = tool == STRATA_ADOPT_SQITCH      ? "change"
                       : tool == STRATA_ADOPT_LIQUIBASE ? "changeset"
                                                        : "version";
    strata_fail(err, STRATA_VALIDATION, "%s recorded %s%s %s as applied, but %s has no file for %s",
                tools[tool].name, noun, n == 1 ? "" : "s", missing.data, dir,
                n == 1 ? "it" : "them");
    snprintf(err->hint, sizeof(err->hint),
             "put the migration files %s applied into %s (same versions), then adopt again",
             tools[tool].name, dir);
    strata_buf_free(&missing);
    return STRATA_VALIDATION;
}

static int
cmp_adoptions(const void *x, const void *y)
{
    const adoption *a = x, *b = y;
    if (a->row->order != b->row->order)
        return a->row->order < b->row->order ? -1 : 1;
    if ((a->rep != NULL) != (b->rep != NULL))
        return a->rep != NULL ? 1 : -1;
    if (a->rep != NULL)
        return strcmp(a->rep->name, b->rep->name);
    return strata_version_cmp(a->version, b->version);
}

/* Works out what the tool applied, in the order it applied it (version order for the tools
 * that do not record one). */
static int
resolve(strata *s, const tool_rows *rows, const strata_source_set *files, adoption_set *set,
        strata_error *err)
{
    int rc = STRATA_OK;
    memset(set, 0, sizeof(*set));
    switch (rows->tool) {
    case STRATA_ADOPT_GOLANG_MIGRATE:
        rc = resolve_golang_migrate(rows, files, set, err);
        break;
    case STRATA_ADOPT_DBMATE:
        rc = resolve_dbmate(rows, files, set, err);
        break;
    case STRATA_ADOPT_GOOSE:
        rc = resolve_goose(rows, files, set, err);
        break;
    case STRATA_ADOPT_SQITCH:
        rc = resolve_sqitch(s, rows, files, set, err);
        break;
    case STRATA_ADOPT_LIQUIBASE:
        rc = resolve_liquibase(rows, files, set);
        break;
    default:
        rc = resolve_flyway(s, rows, files, set, err);
        break;
    }
    if (rc == STRATA_OK)
        rc = check_files(set, rows->tool, files->dir, err);
    if (rc == STRATA_OK && set->count > 1)
        qsort(set->items, set->count, sizeof(*set->items), cmp_adoptions);
    return rc;
}

/* ------------------------------------------------------------------ recording */

static int
read_count(void *ctx, int ncols, const char *const *v)
{
    long *n = ctx;
    if (ncols > 0 && v[0] != NULL)
        *n = strtol(v[0], NULL, 10);
    return 1;
}

/* Refuses when strata's history has rows. must_exist: the table is there (under the lock);
 * otherwise a failing count means it is not there yet. */
static int
refuse_if_managed(strata *s, int must_exist, strata_error *err)
{
    char *sql = strata_xasprintf("SELECT count(*) FROM %s", s->names.migrations);
    long n = 0;
    strata_error probe = STRATA_ERROR_INIT;
    int rc = strata_session_query(s, sql, read_count, &n, must_exist ? err : &probe);
    free(sql);
    if (rc != STRATA_OK)
        return must_exist ? rc : STRATA_OK;
    if (n == 0)
        return STRATA_OK;
    strata_fail(err, STRATA_VALIDATION,
                "this database is already managed by strata: %s records %ld migration(s); "
                "adopt only takes over a database strata has not migrated",
                s->table, n);
    snprintf(err->hint, sizeof(err->hint),
             "see `strata status`; record single migrations with `strata force VERSION`");
    return STRATA_VALIDATION;
}

/* The history row of one adoption and its detail (strings borrowed; at and by chosen by the
 * caller). */
static void
fill_row(strata *s, const adoption *a, long rank, const char *at, strata_history_row *row,
         strata_history_detail *d, char **version)
{
    memset(row, 0, sizeof(*row));
    memset(d, 0, sizeof(*d));
    if (a->rep != NULL) {
        *version = strata_history_repeatable_version(a->rep->name);
        row->kind = "repeatable";
        row->name = a->rep->name;
        row->checksum = (char *)a->rep->script.checksum;
    } else {
        *version = strata_xstrdup(a->m->version);
        row->kind = "versioned";
        row->name = a->m->name;
        row->checksum = (char *)a->m->up.checksum;
        row->down_checksum = a->m->down.path ? (char *)a->m->down.checksum : NULL;
    }
    row->version = *version;
    row->state = "applied";
    row->applied_rank = rank;
    d->applied_at = (char *)at;
    d->execution_ms = a->by_baseline ? 0 : a->row->ms;
    d->applied_by = a->row->by != NULL && a->row->by[0] != '\0' ? a->row->by : s->whoami;
    d->strata_version = PACKAGE_VERSION;
}

/* Builds the report and the SQL recording every adoption with its event. */
static strata_adopt_report *
plan_records(strata *s, strata_adopt_tool tool, const adoption_set *set,
             const strata_source_set *files, strata_buf *sql)
{
    strata_adopt_report *r = strata_xcalloc(1, sizeof(*r));
    r->tool = strata_xstrdup(tools[tool].name);
    r->table = strata_xstrdup(strata_adopt_tool_table(tool));
    r->items = strata_xcalloc(set->count + 1, sizeof(*r->items));
    r->skipped = set->skipped;
    char now[32], detail[128];
    strata_utc_now(now, sizeof(now));
    snprintf(detail, sizeof(detail), "adopted from %s (%s)", tools[tool].name,
             strata_adopt_tool_table(tool));
    for (size_t i = 0; i < set->count; i++) {
        const adoption *a = &set->items[i];
        char at[32], *version;
        if (strata_adopt_utc(a->row->at, at, sizeof(at)) != 0)
            snprintf(at, sizeof(at), "%s", now);
        strata_history_row row;
        strata_history_detail d;
        fill_row(s, a, (long)i + 1, at, &row, &d, &version);
        strata_history_sql_insert(s, sql, &row, &d);
        strata_buf_puts(sql, ";\n");
        strata_history_event ev = {.version = row.version,
                                   .name = row.name,
                                   .action = "adopt",
                                   .outcome = "ok",
                                   .started_at = now,
                                   .detail = detail};
        strata_history_sql_event(s, sql, &ev);
        strata_buf_puts(sql, ";\n");
        strata_adopt_item *it = &r->items[r->count++];
        it->version = version;
        it->name = strata_xstrdup(row.name);
        it->repeatable = a->rep != NULL;
        it->applied_rank = row.applied_rank;
        it->applied_at = strata_xstrdup(at);
        it->applied_by = strata_xstrdup(d.applied_by);
        it->execution_ms = d.execution_ms;
    }
    for (size_t i = 0; i < files->count; i++)
        if (files->items[i].applicable && set_find(set, files->items[i].version, NULL) < 0)
            r->pending++;
    return r;
}

/* Runs sql in one transaction. */
static int
record(strata *s, const char *sql, strata_error *err)
{
    if (*sql == '\0')
        return STRATA_OK;
    int rc = strata_session_begin(s, err);
    if (rc != STRATA_OK)
        return rc;
    rc = strata_exec_script(s, sql, err);
    if (rc == STRATA_OK)
        return strata_session_commit(s, err);
    strata_session_rollback(s);
    strata_error_prefix(err, "cannot record the adopted migrations (nothing was recorded): ");
    return rc;
}

/* ------------------------------------------------------------------ adopt */

/* Reads the tool's table: the one named, or the one found. */
static int
read_tool_table(strata *s, const char *tool, tool_rows *rows, strata_error *err)
{
    memset(rows, 0, sizeof(*rows));
    if (tool == NULL)
        return detect(s, rows, err);
    int t = strata_adopt_tool_parse(tool);
    if (t < 0)
        return strata_fail(err, STRATA_USAGE,
                           "cannot adopt from '%s': strata adopts from golang-migrate, dbmate, "
                           "goose, flyway, sqitch or liquibase",
                           tool);
    return read_named(s, (strata_adopt_tool)t, rows, err);
}

/* The body of strata_adopt(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_adopt_body(strata *s, const char *tool, strata_adopt_report **out, strata_error *err)
{
    strata_error_clear(err);
    if (out != NULL)
        *out = NULL;
    strata_source_set *files = NULL;
    tool_rows rows = {0};
    adoption_set set = {0};
    strata_engine_state e = {0};
    strata_buf sql = {0};
    strata_adopt_report *report = NULL;
    int utc = utc_timestamps(s, 1);
    int rc = read_tool_table(s, tool, &rows, err);
    if (utc)
        utc_timestamps(s, 0);
    if (rc == STRATA_OK)
        rc = strata_session_scan(s, &files, err);
    if (rc == STRATA_OK)
        rc = resolve(s, &rows, files, &set, err);
    if (rc == STRATA_OK)
        rc = refuse_if_managed(s, 0, err);
    /* Nothing refused: take the lock, create the history tables, and check again under it. */
    if (rc == STRATA_OK)
        rc = strata_engine_prepare(s, 1, 0, &e, err);
    if (rc == STRATA_OK)
        rc = refuse_if_managed(s, 1, err);
    if (rc == STRATA_OK) {
        report = plan_records(s, rows.tool, &set, files, &sql);
        rc = record(s, sql.data ? sql.data : "", err);
    }
    strata_engine_release(s, &e);
    strata_buf_free(&sql);
    free(set.items);
    tool_rows_clear(&rows);
    strata_source_free(files);
    if (rc != STRATA_OK) {
        strata_adopt_report_free(report);
        return rc;
    }
    if (out != NULL)
        *out = report;
    else
        strata_adopt_report_free(report);
    return STRATA_OK;
}

int
strata_adopt(strata *s, const char *tool, strata_adopt_report **out, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_adopt_body(s, tool, out, err);
}

void
strata_adopt_report_free(strata_adopt_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->items[i].version);
        free(r->items[i].name);
        free(r->items[i].applied_at);
        free(r->items[i].applied_by);
    }
    free(r->items);
    free(r->tool);
    free(r->table);
    free(r);
}

/* ------------------------------------------------------------------ output */

static void
adopt_json(FILE *out, const strata_adopt_report *r)
{
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", "strata.adopt/1");
    strata_json_kv_string(out, &first, "tool", r->tool);
    strata_json_kv_string(out, &first, "table", r->table);
    strata_json_key(out, &first, "adopted");
    fputc('[', out);
    for (size_t i = 0; i < r->count; i++) {
        const strata_adopt_item *it = &r->items[i];
        int f = 1;
        fputs(i ? ",{" : "{", out);
        strata_json_kv_string(out, &f, "version", it->version);
        strata_json_kv_string(out, &f, "name", it->name);
        strata_json_kv_bool(out, &f, "repeatable", it->repeatable);
        strata_json_kv_int(out, &f, "applied_rank", it->applied_rank);
        strata_json_kv_string(out, &f, "applied_at", it->applied_at);
        strata_json_kv_string(out, &f, "applied_by", it->applied_by);
        strata_json_kv_int(out, &f, "execution_ms", it->execution_ms);
        fputc('}', out);
    }
    fputc(']', out);
    strata_json_kv_int(out, &first, "pending", (long long)r->pending);
    strata_json_kv_int(out, &first, "skipped", (long long)r->skipped);
    fputs("}\n", out);
}

/* The body of strata_report_adopt(), which opens the guard (guard.h). */
static void __attribute__((noinline))
strata_report_adopt_body(FILE *out, const strata_adopt_report *r, unsigned flags)
{
    if (flags & STRATA_REPORT_JSON) {
        adopt_json(out, r);
        return;
    }
    fprintf(out, "adopted %zu migration(s) from %s (%s)%s", r->count, r->tool, r->table,
            r->count ? ": " : ": it records none applied");
    for (size_t i = 0; i < r->count; i++) {
        const strata_adopt_item *it = &r->items[i];
        if (it->repeatable)
            fprintf(out, "%s%s", i ? ", " : "", it->version);
        else
            fprintf(out, "%s%s %s", i ? ", " : "", it->version, it->name);
    }
    fputc('\n', out);
    if (r->pending)
        fprintf(out, "%zu migration(s) pending: `strata up` applies them\n", r->pending);
}

void
strata_report_adopt(FILE *out, const strata_adopt_report *r, unsigned flags)
{
    STRATA_GUARD_VOID();
    strata_report_adopt_body(out, r, flags);
}
