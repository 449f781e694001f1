/*
 * status and validate: the files and the history side by side, read without the lock.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "engine.h"

/* ------------------------------------------------------------------ status and validate */

static char *
dup_or_null(const char *s)
{
    return s ? strata_xstrdup(s) : NULL;
}

/* The texts of a status item, NULL where it has none. */
enum { T_VERSION, T_NAME, T_FILE, T_APPLIED_AT, T_APPLIED_BY, T_CHECKSUM, T_RECORDED, NTEXTS };

/*
 * Copies the item's texts into one block owned by the item: it->version points at its start
 * (strata_status_report_free frees that pointer alone), and a recorded checksum equal to the
 * file's is that same text. A status of thousands of migrations costs one allocation each.
 */
static void
pack_item(strata_status_item *it, const char *const *t)
{
    char **slots[NTEXTS] = {&it->version,          &it->name,       &it->file,
                            &it->applied_at,       &it->applied_by, &it->checksum,
                            &it->recorded_checksum};
    int same =
        t[T_CHECKSUM] != NULL && t[T_RECORDED] != NULL && strcmp(t[T_CHECKSUM], t[T_RECORDED]) == 0;
    size_t total = 0;
    for (int i = 0; i < NTEXTS; i++)
        total += t[i] != NULL && !(i == T_RECORDED && same) ? strlen(t[i]) + 1 : 0;
    char *at = strata_xmalloc(total);
    for (int i = 0; i < NTEXTS; i++) {
        if (t[i] == NULL || (i == T_RECORDED && same))
            continue;
        size_t n = strlen(t[i]) + 1;
        *slots[i] = memcpy(at, t[i], n);
        at += n;
    }
    if (same)
        it->recorded_checksum = it->checksum;
}

/* What the history row (NULL: none) gives the item: numbers here, texts into t. */
static void
fill_history(strata_status_item *it, const strata_history_row *row, const char **t)
{
    if (row == NULL)
        return;
    t[T_RECORDED] = row->checksum;
    it->applied_rank = row->applied_rank;
    if (row->detail != NULL) { /* status reads every row's detail */
        t[T_APPLIED_AT] = row->detail->applied_at;
        t[T_APPLIED_BY] = row->detail->applied_by;
        it->execution_ms = row->detail->execution_ms;
    }
}

static void
fill_status_item(strata_status_item *it, const strata_plan_entry *e)
{
    const char *t[NTEXTS] = {0};
    it->state = e->state;
    t[T_VERSION] = e->file ? e->file->version : e->row->version;
    t[T_NAME] = e->file ? e->file->name : e->row->name;
    if (e->file != NULL && e->file->applicable) {
        t[T_FILE] = e->file->up.path;
        it->has_down = e->file->down.path != NULL;
        t[T_CHECKSUM] = e->file->up.checksum;
    }
    fill_history(it, e->row, t);
    pack_item(it, t);
}

static void
fill_repeatable_item(strata_status_item *it, const strata_repeatable_entry *e)
{
    const char *t[NTEXTS] = {0};
    it->state = e->state;
    it->repeatable = 1;
    t[T_NAME] = e->file ? e->file->name : e->row->name;
    char *version = strata_history_repeatable_version(t[T_NAME]);
    t[T_VERSION] = version;
    if (e->file != NULL) {
        t[T_FILE] = e->file->script.path;
        t[T_CHECKSUM] = e->file->script.checksum;
    }
    fill_history(it, e->row, t);
    pack_item(it, t);
    free(version);
}

static void
count_state(strata_status_report *r, strata_migration_state st)
{
    switch (st) {
    case STRATA_STATE_APPLIED:
        r->applied++;
        break;
    case STRATA_STATE_PENDING:
        r->pending++;
        break;
    case STRATA_STATE_DIRTY:
        r->dirty++;
        break;
    case STRATA_STATE_MODIFIED:
        r->modified++;
        break;
    case STRATA_STATE_MISSING:
        r->missing++;
        break;
    case STRATA_STATE_OUT_OF_ORDER:
        r->out_of_order++;
        break;
    case STRATA_STATE_NOT_APPLICABLE:
        r->not_applicable++;
        break;
    case STRATA_STATE_OUTDATED:
        r->outdated++;
        break;
    }
}

/* The body of strata_status(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_status_body(strata *s, strata_status_report **out, strata_error *err)
{
    strata_error_clear(err);
    *out = NULL;
    strata_engine_state e;
    int rc = strata_engine_prepare(s, 0, 1, &e, err);
    if (rc == STRATA_OK) {
        strata_status_report *r = strata_xcalloc(1, sizeof(*r));
        r->database = strata_xstrdup(s->url->redacted);
        r->dir = strata_xstrdup(s->dir);
        r->table = strata_xstrdup(s->table);
        r->items = strata_xcalloc(e.merged->count + e.merged->nreps + 1, sizeof(*r->items));
        for (size_t i = 0; i < e.merged->count; i++) {
            fill_status_item(&r->items[r->count++], &e.merged->items[i]);
            count_state(r, e.merged->items[i].state);
        }
        for (size_t i = 0; i < e.merged->nreps; i++) {
            fill_repeatable_item(&r->items[r->count++], &e.merged->reps[i]);
            count_state(r, e.merged->reps[i].state);
        }
        *out = r;
    }
    strata_engine_release(s, &e);
    return rc;
}

int
strata_status(strata *s, strata_status_report **out, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_status_body(s, out, err);
}

void
strata_status_report_free(strata_status_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->items[i].version); /* the block of the item's texts (pack_item) */
    }
    free(r->items);
    free(r->database);
    free(r->dir);
    free(r->table);
    free(r);
}

/* Severities of add_problem. */
enum { SEV_WARNING, SEV_ERROR, SEV_INFO };

static void
add_problem(strata_validation_report *r, strata_problem_kind kind, int severity,
            const char *version, const char *file, char *message)
{
    r->items = strata_xrealloc(r->items, (r->count + 1) * sizeof(*r->items));
    strata_problem *p = &r->items[r->count++];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->is_error = severity == SEV_ERROR;
    p->is_info = severity == SEV_INFO;
    p->version = strata_xstrdup(version);
    p->file = dup_or_null(file);
    p->message = message;
    if (severity == SEV_ERROR)
        r->errors++;
    else if (severity == SEV_INFO)
        r->infos++;
    else
        r->warnings++;
}

/* Empty scripts are deliberate no-ops: worth knowing, not worth a warning. */
static void
check_empty(strata_validation_report *r, const strata_migration *m)
{
    const strata_script *scripts[] = {&m->up, &m->down};
    for (size_t i = 0; i < 2; i++)
        if (scripts[i]->path != NULL && scripts[i]->empty)
            add_problem(r, STRATA_PROBLEM_EMPTY, SEV_INFO, m->version, scripts[i]->path,
                        strata_xasprintf("%s: the %s script of %s is empty: it runs as a no-op "
                                         "(0 statements)",
                                         scripts[i]->path, i == 0 ? "up" : "down", m->version));
}

static void
check_entry(strata *s, strata_validation_report *r, const strata_plan_entry *e)
{
    const char *file = e->file ? e->file->up.path : NULL;
    const char *version = e->file ? e->file->version : e->row->version;
    char hint[sizeof(((strata_error *)0)->hint)];
    switch (e->state) {
    case STRATA_STATE_MODIFIED:
        if (!strata_history_checksum_is_sha256(e->row->checksum)) {
            add_problem(r, STRATA_PROBLEM_MODIFIED, SEV_ERROR, version, file,
                        strata_xasprintf("the history row of migration %s holds checksum "
                                         "'%.64s', which is no SHA-256: the history was edited, "
                                         "not %s; record the file's checksum with `strata "
                                         "repair --yes` if the file is what ran",
                                         version, e->row->checksum, file));
            break;
        }
        add_problem(r, STRATA_PROBLEM_MODIFIED, SEV_ERROR, version, file,
                    strata_xasprintf("%s: edited after it was applied (checksum %.12s recorded, "
                                     "%.12s now); restore the file, or put the change in a new "
                                     "migration",
                                     file, e->row->checksum, e->file->up.checksum));
        break;
    case STRATA_STATE_MISSING:
        add_problem(r, STRATA_PROBLEM_MISSING, SEV_ERROR, version, NULL,
                    strata_xasprintf("migration %s (%s) is applied but its file is gone from %s; "
                                     "restore it",
                                     version, e->row->name, s->dir));
        break;
    case STRATA_STATE_DIRTY:
        strata_plan_dirty_hint(e->row, hint, sizeof(hint));
        add_problem(r, STRATA_PROBLEM_DIRTY, SEV_ERROR, version, file, strata_xstrdup(hint));
        break;
    case STRATA_STATE_OUT_OF_ORDER:
        add_problem(r, STRATA_PROBLEM_OUT_OF_ORDER, s->allow_out_of_order ? SEV_WARNING : SEV_ERROR,
                    version, file,
                    strata_xasprintf("%s: pending but older than the newest applied version; "
                                     "give it a newer version or use --allow-out-of-order",
                                     file));
        break;
    default:
        break;
    }
    if (e->file != NULL && e->row != NULL && e->row->down_checksum != NULL &&
        e->file->down.path != NULL && strcmp(e->row->down_checksum, e->file->down.checksum) != 0)
        add_problem(r, STRATA_PROBLEM_DOWN_MODIFIED, SEV_WARNING, version, e->file->down.path,
                    strata_xasprintf("%s: down script edited since the migration was applied; "
                                     "make sure it still undoes the up script",
                                     e->file->down.path));
    if (e->file != NULL && e->file->applicable && e->file->down.path == NULL)
        add_problem(r, STRATA_PROBLEM_NO_DOWN, SEV_WARNING, version, file,
                    strata_xasprintf("%s: no down script; this migration cannot be undone", file));
}

/* Sequence numbers (all versions plain digits, shorter than timestamps) with holes. */
static void
check_gaps(strata_validation_report *r, const strata_source_set *files)
{
    for (size_t i = 0; i < files->count; i++)
        if (!strata_version_is_sequence(files->items[i].version))
            return;
    for (size_t i = 1; i < files->count; i++) {
        if (strata_version_gap(files->items[i - 1].version, files->items[i].version))
            add_problem(r, STRATA_PROBLEM_GAP, SEV_WARNING, files->items[i].version,
                        files->items[i].up.path,
                        strata_xasprintf("no migration numbered between %s and %s; a gap in "
                                         "sequence numbers often means a file was lost in a "
                                         "merge",
                                         files->items[i - 1].version, files->items[i].version));
    }
}

/* A dirty repeatable blocks up; one whose file is gone can no longer be run again. */
static void
check_repeatable(strata *s, strata_validation_report *r, const strata_repeatable_entry *e)
{
    char hint[sizeof(((strata_error *)0)->hint)];
    if (e->state == STRATA_STATE_DIRTY) {
        strata_plan_dirty_hint(e->row, hint, sizeof(hint));
        add_problem(r, STRATA_PROBLEM_DIRTY, SEV_ERROR, e->row->version,
                    e->file ? e->file->script.path : NULL, strata_xstrdup(hint));
    } else if (e->state == STRATA_STATE_MISSING) {
        add_problem(r, STRATA_PROBLEM_MISSING, SEV_ERROR, e->row->version, NULL,
                    strata_xasprintf("repeatable migration %s ran but its file R__%s.sql is gone "
                                     "from %s; restore it, or record its removal with `strata "
                                     "force %s rolled-back`",
                                     e->row->name, e->row->name, s->dir, e->row->version));
    }
}

/* The body of strata_validate(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_validate_body(strata *s, strata_validation_report **out, strata_error *err)
{
    strata_error_clear(err);
    *out = NULL;
    strata_engine_state e;
    int rc = strata_engine_prepare_for(s, 0, STRATA_UPTODATE_VALIDATE, &e, err);
    if (rc == STRATA_OK) {
        strata_validation_report *r = strata_xcalloc(1, sizeof(*r));
        r->checked = e.uptodate; /* all applied unchanged: nothing to say */
        if (e.uptodate == 0) {
            for (size_t i = 0; i < e.merged->count; i++)
                check_entry(s, r, &e.merged->items[i]);
            for (size_t i = 0; i < e.merged->nreps; i++)
                check_repeatable(s, r, &e.merged->reps[i]);
            check_gaps(r, e.files);
            for (size_t i = 0; i < e.files->count; i++)
                if (e.files->items[i].applicable)
                    check_empty(r, &e.files->items[i]);
            r->checked = e.merged->count;
        }
        *out = r;
    }
    strata_engine_release(s, &e);
    return rc;
}

int
strata_validate(strata *s, strata_validation_report **out, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_validate_body(s, out, err);
}

void
strata_validation_report_free(strata_validation_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->items[i].version);
        free(r->items[i].file);
        free(r->items[i].message);
    }
    free(r->items);
    free(r);
}
