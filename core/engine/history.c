#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "history.h"
#include "strpool.h"
#include "tables.h"

/* The columns of a row, in every layout, then those schema version 2 added. */
static const char *const row_columns =
    "version, kind, name, checksum, down_checksum, state, applied_rank, applied_at, "
    "execution_ms, applied_by, strata_version, statements_done, statements_hash";
static const char *const row_columns_v2 = ", script";
#define ROW_COLUMNS_V1 13

/* ------------------------------------------------------------------ reading */

/* Appends the next row of *list (count items, capacity *cap): grows it geometrically. */
static strata_history_row *
next_row(strata_history_row **list, size_t *count, size_t *cap)
{
    if (*count == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *list = strata_xrealloc(*list, *cap * sizeof(**list));
    }
    strata_history_row *r = &(*list)[(*count)++];
    memset(r, 0, sizeof(*r));
    return r;
}

/* Details are handed out from blocks (status reads one per row: one malloc each would
 * cost a header apiece), freed with the history. */
#define DETAILS_PER_BLOCK 256
typedef struct detail_block {
    struct detail_block *next;
    size_t used;
    strata_history_detail items[DETAILS_PER_BLOCK];
} detail_block;

/* A zeroed detail, the history's. */
static strata_history_detail *
new_detail(strata_history *h)
{
    if (h->details == NULL || h->details->used == DETAILS_PER_BLOCK) {
        detail_block *b = strata_xmalloc(sizeof(*b));
        b->next = h->details;
        b->used = 0;
        h->details = b;
    }
    strata_history_detail *d = &h->details->items[h->details->used++];
    memset(d, 0, sizeof(*d));
    return d;
}

/* The text columns of a row, by index in row_columns (NULL stays NULL for down_checksum,
 * statements_hash and script; the others read NULL as ""). */
static const int text_columns[] = {0, 1, 2, 3, 4, 5, 7, 9, 10, 12, 13};
#define NTEXT (sizeof(text_columns) / sizeof(text_columns[0]))

/* Where column goes in r; NULL for a detail column of a row read without its detail. */
static char **
text_slot(strata_history_row *r, int column)
{
    strata_history_detail *d = r->detail;
    switch (column) {
    case 0:
        return &r->version;
    case 1:
        return &r->kind;
    case 2:
        return &r->name;
    case 3:
        return &r->checksum;
    case 4:
        return &r->down_checksum;
    case 5:
        return &r->state;
    case 7:
        return d ? &d->applied_at : NULL;
    case 9:
        return d ? &d->applied_by : NULL;
    case 10:
        return d ? &d->strata_version : NULL;
    case 12:
        return d ? &d->statements_hash : NULL;
    default:
        return d ? &d->script : NULL;
    }
}

static int
keeps_null(int column)
{
    return column == 1 || column == 4 || column == 12 || column == 13;
}

/* Columns whose values repeat from row to row: kept once in the pool (strpool.h). */
static int
repeats(int column)
{
    return column == 1 || column == 5 || column == 9 || column == 10;
}

/* The text of the file f (NULL: none) that equals t in this column, or NULL. A row that
 * matches its file (the usual case) then costs no copy of its version, name, checksums and
 * script. */
static char *
file_text(const strata_migration *f, int column, const char *t)
{
    if (f == NULL || !f->applicable)
        return NULL;
    const char *same = NULL;
    if (column == 0)
        same = f->version;
    else if (column == 2)
        same = f->name;
    else if (column == 3)
        same = f->up.checksum;
    else if (column == 4 && f->down.path != NULL)
        same = f->down.checksum;
    else if (column == 13) { /* the script, relative to the folder: a tail of up.path */
        size_t n = strlen(t), len = strlen(f->up.path);
        return len >= n && strcmp(f->up.path + len - n, t) == 0 ? f->up.path + len - n : NULL;
    }
    return same != NULL && strcmp(same, t) == 0 ? (char *)same : NULL;
}

/* Fills the row's texts: shared with the file of its version (f, may be NULL) when equal,
 * else held by the history's pool; dirty: the row's state is 'dirty' (only then is its
 * statements hash kept). */
static void
fill_texts(strata_history *h, strata_history_row *r, const strata_migration *f, int dirty,
           int ncols, const char *const *v)
{
    for (size_t i = 0; i < NTEXT; i++) {
        int c = text_columns[i];
        char **slot = text_slot(r, c);
        const char *t = c < ncols ? v[c] : NULL;
        if (c == 12 && !dirty)
            t = NULL; /* see statements_hash in history.h */
        if (slot == NULL || (t == NULL && keeps_null(c)))
            continue;
        if (t == NULL)
            t = "";
        char *text = repeats(c) ? strata_strpool_share(h->texts, t) : file_text(f, c, t);
        *slot = text != NULL ? text : strata_strpool_dup(h->texts, t);
    }
}

/* What collect_row fills. */
typedef struct collecting {
    strata_history *h;
    const strata_source_set *files; /* NULL: none to share texts with */
    int details;                    /* every row gets its detail */
} collecting;

static int
collect_row(void *ctx, int ncols, const char *const *v)
{
    collecting *col = ctx;
    strata_history *h = col->h;
    if (ncols < ROW_COLUMNS_V1)
        return 1;
    int repeatable = v[1] != NULL && strcmp(v[1], "repeatable") == 0;
    strata_history_row *r = repeatable
                                ? next_row(&h->repeatables, &h->nrepeatables, &h->repeatables_cap)
                                : next_row(&h->rows, &h->count, &h->rows_cap);
    const strata_migration *f = NULL;
    if (!repeatable && col->files != NULL && v[0] != NULL)
        f = strata_source_find(col->files, v[0]);
    int dirty = v[5] != NULL && strcmp(v[5], "dirty") == 0;
    if (col->details || dirty) {
        r->detail = new_detail(h);
        r->detail->execution_ms = v[8] ? strtoll(v[8], NULL, 10) : 0;
        r->detail->statements_done = v[11] ? strtol(v[11], NULL, 10) : 0;
    }
    fill_texts(h, r, f, dirty, ncols, v);
    r->applied_rank = v[6] ? strtol(v[6], NULL, 10) : 0;
    if (r->applied_rank > h->max_rank)
        h->max_rank = r->applied_rank;
    return 0;
}

static int
cmp_names(const void *a, const void *b)
{
    const strata_history_row *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int
cmp_rows(const void *a, const void *b)
{
    const strata_history_row *x = a, *y = b;
    return strata_version_cmp(x->version, y->version);
}

/* A row strata did not write: one error naming the table, the row and what is wrong. */
static int
corrupt_row(strata *s, const strata_history_row *r, const char *what, strata_error *err)
{
    strata_fail(err, STRATA_VALIDATION,
                "the history table %s has a row strata did not write: version '%s' %s; the "
                "history was edited by hand",
                s->names.migrations, r->version, what);
    snprintf(err->hint, sizeof(err->hint),
             "put the row right by hand (its columns are described in docs/history.md), or "
             "delete it and record the migration again with `strata force %s applied`",
             r->version);
    return STRATA_VALIDATION;
}

/* Every row must be one strata could have written: a known state and kind, a version. */
static int
check_row(strata *s, const strata_history_row *r, int repeatable, strata_error *err)
{
    char what[160];
    if (strcmp(r->state, "applied") != 0 && strcmp(r->state, "dirty") != 0) {
        snprintf(what, sizeof(what), "has state '%.64s' (strata writes applied or dirty)",
                 r->state);
        return corrupt_row(s, r, what, err);
    }
    if (!repeatable && r->kind != NULL && strcmp(r->kind, "versioned") != 0) {
        snprintf(what, sizeof(what), "has kind '%.64s' (strata writes versioned or repeatable)",
                 r->kind);
        return corrupt_row(s, r, what, err);
    }
    if (!repeatable && strata_version_check(r->version, strlen(r->version), NULL) != 0)
        return corrupt_row(s, r, "is no version (digits, optionally dotted)", err);
    return STRATA_OK;
}

static int
check_rows(strata *s, const strata_history *h, strata_error *err)
{
    int rc = STRATA_OK;
    for (size_t i = 0; rc == STRATA_OK && i < h->count; i++)
        rc = check_row(s, &h->rows[i], 0, err);
    for (size_t i = 0; rc == STRATA_OK && i < h->nrepeatables; i++)
        rc = check_row(s, &h->repeatables[i], 1, err);
    return rc;
}

int
strata_history_checksum_is_sha256(const char *checksum)
{
    return checksum != NULL && strlen(checksum) == 64 && strspn(checksum, "0123456789abcdef") == 64;
}

strata_history *
strata_history_new(void)
{
    strata_history *h = strata_xcalloc(1, sizeof(*h));
    h->texts = strata_strpool_new();
    return h;
}

int
strata_history_load(strata *s, const strata_source_set *files, int details, strata_history **out,
                    strata_error *err)
{
    strata_history *h = strata_history_new();
    collecting col = {.h = h, .files = files, .details = details};
    if (files != NULL && files->count > 0) { /* a row per file, usually: no regrowing */
        h->rows_cap = files->count;
        h->rows = strata_xmalloc(h->rows_cap * sizeof(*h->rows));
    }
    char *sql = strata_xasprintf("SELECT %s%s FROM %s", row_columns,
                                 s->history_schema >= 2 ? row_columns_v2 : "", s->names.migrations);
    int rc = strata_session_query(s, sql, collect_row, &col, err);
    free(sql);
    *out = NULL;
    if (rc != STRATA_OK) {
        strata_error_prefix(err, "cannot read the history table %s: ", s->names.migrations);
        strata_history_free(h);
        return rc;
    }
    rc = check_rows(s, h, err);
    if (rc != STRATA_OK) {
        strata_history_free(h);
        return rc;
    }
    if (h->count > 1)
        qsort(h->rows, h->count, sizeof(*h->rows), cmp_rows);
    if (h->nrepeatables > 1)
        qsort(h->repeatables, h->nrepeatables, sizeof(*h->repeatables), cmp_names);
    *out = h;
    return STRATA_OK;
}

void
strata_history_free(strata_history *h)
{
    if (h == NULL)
        return;
    while (h->details != NULL) {
        detail_block *next = h->details->next;
        free(h->details);
        h->details = next;
    }
    free(h->rows);
    free(h->repeatables);
    strata_strpool_free(h->texts);
    free(h);
}

char *
strata_history_repeatable_version(const char *name)
{
    if (strlen(name) <= 60) /* the version column holds 64 characters */
        return strata_xasprintf("R__%s", name);
    char hex[STRATA_CHECKSUM_HEX];
    strata_checksum_buffer(name, strlen(name), hex);
    return strata_xasprintf("R__%.40s", hex);
}

const strata_history_row *
strata_history_find_repeatable(const strata_history *h, const char *name)
{
    for (size_t i = 0; i < h->nrepeatables; i++)
        if (strcmp(h->repeatables[i].name, name) == 0)
            return &h->repeatables[i];
    return NULL;
}

const strata_history_row *
strata_history_find(const strata_history *h, const char *version)
{
    for (size_t i = 0; i < h->count; i++)
        if (strata_version_cmp(h->rows[i].version, version) == 0)
            return &h->rows[i];
    return NULL;
}

static int
cmp_rank_desc(const void *a, const void *b)
{
    const strata_history_row *x = *(const strata_history_row *const *)a;
    const strata_history_row *y = *(const strata_history_row *const *)b;
    if (x->applied_rank != y->applied_rank)
        return x->applied_rank > y->applied_rank ? -1 : 1;
    return -strata_version_cmp(x->version, y->version);
}

const strata_history_row **
strata_history_by_rank_desc(const strata_history *h)
{
    const strata_history_row **v = strata_xcalloc(h->count + 1, sizeof(*v));
    for (size_t i = 0; i < h->count; i++)
        v[i] = &h->rows[i];
    qsort(v, h->count, sizeof(*v), cmp_rank_desc);
    return v;
}

/* ------------------------------------------------------------------ writing */

void
strata_history_sql_insert(strata *s, strata_buf *b, const strata_history_row *r,
                          const strata_history_detail *d)
{
    strata_buf_printf(b, "INSERT INTO %s (%s%s) VALUES (", s->names.migrations, row_columns,
                      row_columns_v2);
    const char *texts[] = {r->version, r->kind, r->name, r->checksum, r->down_checksum, r->state};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        strata_session_literal(s, b, texts[i]);
        strata_buf_puts(b, ", ");
    }
    strata_buf_printf(b, "%ld, ", r->applied_rank);
    strata_session_literal(s, b, d->applied_at);
    strata_buf_printf(b, ", %lld, ", d->execution_ms);
    strata_session_literal(s, b, d->applied_by);
    strata_buf_puts(b, ", ");
    strata_session_literal(s, b, d->strata_version);
    strata_buf_printf(b, ", %ld, ", d->statements_done);
    strata_session_literal(s, b, d->statements_hash);
    strata_buf_puts(b, ", ");
    strata_session_literal(s, b, d->script);
    strata_buf_puts(b, ")");
}

static void
where_version(strata *s, strata_buf *b, const char *version)
{
    strata_buf_puts(b, " WHERE version = ");
    strata_session_literal(s, b, version);
}

void
strata_history_sql_delete(strata *s, strata_buf *b, const char *version)
{
    strata_buf_printf(b, "DELETE FROM %s", s->names.migrations);
    where_version(s, b, version);
}

void
strata_history_sql_finish(strata *s, strata_buf *b, const char *version, long long execution_ms,
                          long statements_done, const char *statements_hash, const char *checksum)
{
    strata_buf_printf(b,
                      "UPDATE %s SET state = 'applied', execution_ms = %lld, "
                      "statements_done = %ld, statements_hash = ",
                      s->names.migrations, execution_ms, statements_done);
    strata_session_literal(s, b, statements_hash);
    strata_buf_puts(b, ", checksum = ");
    strata_session_literal(s, b, checksum);
    where_version(s, b, version);
}

void
strata_history_sql_checkpoint(strata *s, strata_buf *b, const char *version, long statements_done,
                              const char *statements_hash)
{
    strata_buf_printf(b, "UPDATE %s SET statements_done = %ld, statements_hash = ",
                      s->names.migrations, statements_done);
    strata_session_literal(s, b, statements_hash);
    where_version(s, b, version);
}

void
strata_history_sql_event(strata *s, strata_buf *b, const strata_history_event *ev)
{
    strata_buf_printf(b,
                      "INSERT INTO %s (version, name, action, outcome, started_at, "
                      "duration_ms, performed_by, strata_version, detail) VALUES (",
                      s->names.events);
    const char *texts[] = {ev->version, ev->name, ev->action, ev->outcome, ev->started_at};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        strata_session_literal(s, b, texts[i]);
        strata_buf_puts(b, ", ");
    }
    strata_buf_printf(b, "%lld, ", ev->duration_ms);
    strata_session_literal(s, b, s->whoami);
    strata_buf_puts(b, ", ");
    strata_session_literal(s, b, PACKAGE_VERSION);
    strata_buf_puts(b, ", ");
    strata_session_literal(s, b, ev->detail);
    strata_buf_puts(b, ")");
}

int
strata_history_log_event(strata *s, const strata_history_event *ev, strata_error *err)
{
    strata_buf b = {0};
    strata_history_sql_event(s, &b, ev);
    int rc = strata_session_exec(s, b.data, err);
    strata_buf_free(&b);
    return rc;
}
