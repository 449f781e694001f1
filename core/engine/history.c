#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "history.h"
#include "tables.h"

/* The columns of a row, in every layout, then those schema version 2 added. */
static const char *const row_columns =
    "version, kind, name, checksum, down_checksum, state, applied_rank, applied_at, "
    "execution_ms, applied_by, strata_version, statements_done, statements_hash";
static const char *const row_columns_v2 = ", script";
#define ROW_COLUMNS_V1 13

/* ------------------------------------------------------------------ reading */

static char *
dup_value(const char *v)
{
    return v ? strata_xstrdup(v) : NULL;
}

static int
collect_row(void *ctx, int ncols, const char *const *v)
{
    strata_history *h = ctx;
    if (ncols < ROW_COLUMNS_V1)
        return 1;
    strata_history_row *r;
    if (v[1] != NULL && strcmp(v[1], "repeatable") == 0) {
        h->repeatables =
            strata_xrealloc(h->repeatables, (h->nrepeatables + 1) * sizeof(*h->repeatables));
        r = &h->repeatables[h->nrepeatables++];
    } else {
        h->rows = strata_xrealloc(h->rows, (h->count + 1) * sizeof(*h->rows));
        r = &h->rows[h->count++];
    }
    memset(r, 0, sizeof(*r));
    r->version = dup_value(v[0] ? v[0] : "");
    r->kind = dup_value(v[1]);
    r->name = dup_value(v[2] ? v[2] : "");
    r->checksum = dup_value(v[3] ? v[3] : "");
    r->down_checksum = dup_value(v[4]);
    r->state = dup_value(v[5] ? v[5] : "");
    r->applied_rank = v[6] ? strtol(v[6], NULL, 10) : 0;
    r->applied_at = dup_value(v[7] ? v[7] : "");
    r->execution_ms = v[8] ? strtoll(v[8], NULL, 10) : 0;
    r->applied_by = dup_value(v[9] ? v[9] : "");
    r->strata_version = dup_value(v[10] ? v[10] : "");
    r->statements_done = v[11] ? strtol(v[11], NULL, 10) : 0;
    r->statements_hash = dup_value(v[12]);
    r->script = ncols > ROW_COLUMNS_V1 ? dup_value(v[13]) : NULL;
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
    return checksum != NULL && strlen(checksum) == 64 &&
           strspn(checksum, "0123456789abcdef") == 64;
}

int
strata_history_load(strata *s, strata_history **out, strata_error *err)
{
    strata_history *h = strata_xcalloc(1, sizeof(*h));
    char *sql = strata_xasprintf("SELECT %s%s FROM %s", row_columns,
                                 s->history_schema >= 2 ? row_columns_v2 : "",
                                 s->names.migrations);
    int rc = strata_session_query(s, sql, collect_row, h, err);
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

static void
free_rows(strata_history_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        strata_history_row *r = &rows[i];
        free(r->version);
        free(r->kind);
        free(r->name);
        free(r->checksum);
        free(r->down_checksum);
        free(r->state);
        free(r->applied_at);
        free(r->applied_by);
        free(r->strata_version);
        free(r->statements_hash);
        free(r->script);
    }
    free(rows);
}

void
strata_history_free(strata_history *h)
{
    if (h == NULL)
        return;
    free_rows(h->rows, h->count);
    free_rows(h->repeatables, h->nrepeatables);
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
strata_history_sql_insert(strata *s, strata_buf *b, const strata_history_row *r)
{
    strata_buf_printf(b, "INSERT INTO %s (%s%s) VALUES (", s->names.migrations, row_columns,
                      row_columns_v2);
    const char *texts[] = {r->version, r->kind, r->name, r->checksum, r->down_checksum, r->state};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        strata_session_literal(s, b, texts[i]);
        strata_buf_puts(b, ", ");
    }
    strata_buf_printf(b, "%ld, ", r->applied_rank);
    strata_session_literal(s, b, r->applied_at);
    strata_buf_printf(b, ", %lld, ", r->execution_ms);
    strata_session_literal(s, b, r->applied_by);
    strata_buf_puts(b, ", ");
    strata_session_literal(s, b, r->strata_version);
    strata_buf_printf(b, ", %ld, ", r->statements_done);
    strata_session_literal(s, b, r->statements_hash);
    strata_buf_puts(b, ", ");
    strata_session_literal(s, b, r->script);
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
                          long statements_done, const char *statements_hash,
                          const char *checksum)
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
