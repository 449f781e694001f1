#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "util.h"

static strata_migration_state
state_of(const strata_migration *f, const strata_history_row *r, const char *newest)
{
    if (r == NULL && !f->applicable)
        return STRATA_STATE_NOT_APPLICABLE;
    if (r == NULL)
        return newest != NULL && strata_version_cmp(f->version, newest) < 0
                   ? STRATA_STATE_OUT_OF_ORDER
                   : STRATA_STATE_PENDING;
    if (strcmp(r->state, "dirty") == 0)
        return STRATA_STATE_DIRTY;
    if (f == NULL)
        return STRATA_STATE_MISSING;
    if (f->applicable && strcmp(f->up.checksum, r->checksum) != 0)
        return STRATA_STATE_MODIFIED;
    return STRATA_STATE_APPLIED;
}

static strata_migration_state
repeatable_state(const strata_repeatable *f, const strata_history_row *r)
{
    if (r == NULL)
        return STRATA_STATE_PENDING;
    if (strcmp(r->state, "dirty") == 0)
        return STRATA_STATE_DIRTY;
    if (f == NULL)
        return STRATA_STATE_MISSING;
    return strcmp(f->script.checksum, r->checksum) == 0 ? STRATA_STATE_APPLIED
                                                        : STRATA_STATE_OUTDATED;
}

/* Repeatables on disk and in the history, both sorted by name, side by side. */
static void
merge_repeatables(strata_merged *m, const strata_source_set *files, const strata_history *h)
{
    m->reps = strata_xcalloc(files->nrepeatables + h->nrepeatables + 1, sizeof(*m->reps));
    size_t i = 0, j = 0;
    while (i < files->nrepeatables || j < h->nrepeatables) {
        const strata_repeatable *f = i < files->nrepeatables ? &files->repeatables[i] : NULL;
        const strata_history_row *r = j < h->nrepeatables ? &h->repeatables[j] : NULL;
        int c = f == NULL ? 1 : r == NULL ? -1 : strcmp(f->name, r->name);
        strata_repeatable_entry *e = &m->reps[m->nreps++];
        e->file = c <= 0 ? f : NULL;
        e->row = c >= 0 ? r : NULL;
        i += c <= 0;
        j += c >= 0;
        e->state = repeatable_state(e->file, e->row);
    }
}

strata_merged *
strata_plan_merge(const strata_source_set *files, const strata_history *history)
{
    strata_merged *m = strata_xcalloc(1, sizeof(*m));
    /* room for the most entries, written one by one and then cut to those made: the pages
     * never written are never touched (calloc would clear them all), and the plan of a
     * long history is held for the whole run */
    m->items = strata_xmalloc((files->count + history->count + 1) * sizeof(*m->items));
    const char *newest = history->count ? history->rows[history->count - 1].version : NULL;
    size_t i = 0, j = 0;
    while (i < files->count || j < history->count) {
        const strata_migration *f = i < files->count ? &files->items[i] : NULL;
        const strata_history_row *r = j < history->count ? &history->rows[j] : NULL;
        int c = f == NULL ? 1 : r == NULL ? -1 : strata_version_cmp(f->version, r->version);
        strata_plan_entry *e = &m->items[m->count++];
        e->file = c <= 0 ? f : NULL;
        e->row = c >= 0 ? r : NULL;
        i += c <= 0;
        j += c >= 0;
        e->state = state_of(e->file, e->row, newest);
    }
    m->items = strata_xrealloc(m->items, (m->count + 1) * sizeof(*m->items));
    memset(&m->items[m->count], 0, sizeof(*m->items));
    merge_repeatables(m, files, history);
    return m;
}

void
strata_merged_free(strata_merged *m)
{
    if (m == NULL)
        return;
    free(m->items);
    free(m->reps);
    free(m);
}

void
strata_plan_free(strata_plan *p)
{
    free(p->items);
    free(p->rows);
    memset(p, 0, sizeof(*p));
}

void
strata_plan_dirty_hint(const strata_history_row *row, char *out, size_t size)
{
    long done = row->detail != NULL ? row->detail->statements_done : 0; /* a dirty row has one */
    snprintf(out, size,
             "migration %s is dirty: it ran outside a transaction and stopped after %ld "
             "statement(s). Fix the cause and run `strata up --resume` to continue from "
             "statement %ld; or, after finishing or undoing it by hand, record the truth with "
             "`strata force %s applied` or `strata force %s rolled-back`",
             row->version, done, done + 1, row->version, row->version);
}

static int
dirty_error(const char *where, const strata_history_row *row, strata_error *err)
{
    strata_fail(err, STRATA_DIRTY, "%s: migration %s was left dirty by an earlier run", where,
                row->version);
    strata_plan_dirty_hint(row, err->hint, sizeof(err->hint));
    return STRATA_DIRTY;
}

/* Refuses when any history row is dirty; the hint says exactly what to run. */
static int
refuse_dirty(const strata_merged *m, strata_error *err)
{
    for (size_t i = 0; i < m->count; i++) {
        const strata_plan_entry *e = &m->items[i];
        if (e->state == STRATA_STATE_DIRTY)
            return dirty_error(e->file && e->file->applicable ? e->file->up.path : e->row->name,
                               e->row, err);
    }
    for (size_t i = 0; i < m->nreps; i++) {
        const strata_repeatable_entry *e = &m->reps[i];
        if (e->state == STRATA_STATE_DIRTY)
            return dirty_error(e->file ? e->file->script.path : e->row->name, e->row, err);
    }
    return STRATA_OK;
}

static void
plan_push(strata_plan *p, const strata_migration *m, const strata_history_row *row)
{
    p->items = strata_xrealloc(p->items, (p->count + 1) * sizeof(*p->items));
    p->rows = strata_xrealloc(p->rows, (p->count + 1) * sizeof(*p->rows));
    p->items[p->count] = m;
    p->rows[p->count] = row;
    p->count++;
}

/* Refuses edited applied migrations and (unless allowed) late pending ones and applied
 * ones whose file is gone. */
static int
check_up(const strata_plan_entry *e, unsigned allow, strata_error *err)
{
    if (e->state == STRATA_STATE_MISSING && !(allow & STRATA_PLAN_MISSING))
        return strata_fail(err, STRATA_VALIDATION,
                           "migration %s (%s) is recorded as applied but its file is gone "
                           "(renamed or deleted); restore it, or go on without it with "
                           "`strata up --ignore-missing`",
                           e->row->version, e->row->name);
    if (e->state == STRATA_STATE_MODIFIED && !strata_history_checksum_is_sha256(e->row->checksum))
        return strata_fail(err, STRATA_VALIDATION,
                           "the history row of migration %s holds checksum '%.64s', which is no "
                           "SHA-256: the history was edited, not %s; record the file's checksum "
                           "with `strata repair --yes` if the file is what ran",
                           e->row->version, e->row->checksum, e->file->up.path);
    if (e->state == STRATA_STATE_MODIFIED)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s: migration %s was edited after it was applied (checksum %.12s "
                           "recorded, %.12s now); restore the file, or put the change in a new "
                           "migration",
                           e->file->up.path, e->row->version, e->row->checksum,
                           e->file->up.checksum);
    if (e->state == STRATA_STATE_OUT_OF_ORDER && !(allow & STRATA_PLAN_OUT_OF_ORDER))
        return strata_fail(err, STRATA_VALIDATION,
                           "%s: migration %s is pending but older than the newest applied "
                           "version; give it a newer version, or allow out-of-order runs with "
                           "--allow-out-of-order",
                           e->file->up.path, e->file->version);
    return STRATA_OK;
}

int
strata_plan_up(const strata_merged *m, const char *to, long step, unsigned allow, strata_plan *out,
               strata_error *err)
{
    memset(out, 0, sizeof(*out));
    int rc = refuse_dirty(m, err);
    for (size_t i = 0; rc == STRATA_OK && i < m->count; i++)
        rc = check_up(&m->items[i], allow, err);
    for (size_t i = 0; rc == STRATA_OK && i < m->count; i++) {
        const strata_plan_entry *e = &m->items[i];
        if (e->state != STRATA_STATE_PENDING && e->state != STRATA_STATE_OUT_OF_ORDER)
            continue;
        if (to != NULL && strata_version_cmp(e->file->version, to) > 0)
            break;
        if (step > 0 && (long)out->count >= step)
            break;
        plan_push(out, e->file, NULL);
    }
    if (rc != STRATA_OK)
        strata_plan_free(out);
    return rc;
}

static const strata_plan_entry *
entry_for(const strata_merged *m, const strata_history_row *row)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->items[i].row == row)
            return &m->items[i];
    return NULL;
}

static int
check_down(const strata_plan_entry *e, strata_error *err)
{
    if (e->file == NULL)
        return strata_fail(err, STRATA_VALIDATION,
                           "cannot undo migration %s (%s): its file is gone from the "
                           "migrations directory; restore it",
                           e->row->version, e->row->name);
    if (!e->file->applicable)
        return strata_fail(err, STRATA_VALIDATION,
                           "cannot undo migration %s (%s): its files are only for other "
                           "databases now; restore the file it was applied from",
                           e->row->version, e->row->name);
    if (e->file->down.path == NULL)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s: migration %s has no down script, so it cannot be undone; add "
                           "one (%s_%s.down.sql or a '-- strata:down' section)",
                           e->file->up.path, e->file->version, e->file->version, e->file->name);
    return STRATA_OK;
}

int
strata_plan_down(const strata_merged *m, const strata_history *h, const char *to, long step,
                 int all, strata_plan *out, strata_error *err)
{
    memset(out, 0, sizeof(*out));
    int rc = refuse_dirty(m, err);
    if (rc != STRATA_OK)
        return rc;
    const strata_history_row **rows = strata_history_by_rank_desc(h);
    long limit = all ? 0 : step > 0 ? step : to != NULL ? 0 : 1;
    for (size_t i = 0; i < h->count; i++) {
        if (to != NULL && strata_version_cmp(rows[i]->version, to) <= 0)
            continue;
        if (limit > 0 && (long)out->count >= limit)
            break;
        const strata_plan_entry *e = entry_for(m, rows[i]);
        rc = check_down(e, err);
        if (rc != STRATA_OK)
            break;
        plan_push(out, e->file, rows[i]);
    }
    free(rows);
    if (rc != STRATA_OK)
        strata_plan_free(out);
    return rc;
}
