/*
 * The engine: up and down under the migration lock (DESIGN section 5), and force.
 * Planning is in plan.c, running one script in runner.c, status and validate in status.c.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "engine.h"
#include "history.h"
#include "schema.h"
#include "tables.h"
#include "runner.h"

/* ------------------------------------------------------------------ up and down */

void
strata_engine_release(strata *s, strata_engine_state *e)
{
    if (e->locked)
        strata_session_unlock(s);
    strata_merged_free(e->merged);
    strata_history_free(e->history); /* may share the files' texts */
    strata_source_free(e->files);
    memset(e, 0, sizeof(*e));
}

/* Reads the files, then the history (creating its tables when create), and merges them. */
static int
read_state(strata *s, int create, int details, strata_engine_state *e, strata_error *err)
{
    /* The files first: a bad set stops the run before the history tables are created, and
     * the scan's transient lists are freed before the history rows are read. */
    int rc = strata_session_scan(s, &e->files, err);
    /* Only commands that change the history create its tables: status, validate and
     * --dry-run on a database strata never touched see an empty history. */
    int exists = 0;
    if (rc == STRATA_OK)
        rc = strata_tables_ensure(s, create, &exists, err);
    if (rc == STRATA_OK && exists)
        rc = strata_history_load(s, e->files, details, &e->history, err);
    else if (rc == STRATA_OK)
        e->history = strata_history_new();
    if (rc == STRATA_OK)
        e->merged = strata_plan_merge(e->files, e->history);
    return rc;
}

static int
lock_for(strata *s, int take_lock, strata_engine_state *e, strata_error *err)
{
    memset(e, 0, sizeof(*e));
    if (!take_lock)
        return STRATA_OK;
    int rc = strata_session_lock(s, err);
    e->locked = rc == STRATA_OK;
    return rc;
}

int
strata_engine_prepare(strata *s, int take_lock, int details, strata_engine_state *e,
                      strata_error *err)
{
    int rc = lock_for(s, take_lock, e, err);
    return rc != STRATA_OK ? rc : read_state(s, take_lock, details, e, err);
}

int
strata_engine_prepare_for(strata *s, int take_lock, strata_uptodate_purpose purpose,
                          strata_engine_state *e, strata_error *err)
{
    int rc = lock_for(s, take_lock, e, err);
    if (rc != STRATA_OK)
        return rc;
    e->uptodate = strata_uptodate(s, purpose);
    return e->uptodate > 0 ? STRATA_OK : read_state(s, take_lock, 0, e, err);
}

static int
check_target(const strata_run_options *o, strata_error *err)
{
    const char *why;
    if (o == NULL || o->to_version == NULL || o->to_version[0] == '@')
        return STRATA_OK; /* a tag is looked up once the files are read */
    if (strata_version_check(o->to_version, strlen(o->to_version), &why) != 0)
        return strata_fail(err, STRATA_USAGE,
                           "'%s' is not a version: %s (e.g. 20250701132805, 003, 1.2.3)",
                           o->to_version, why);
    return STRATA_OK;
}

/* What up lets through: out-of-order versions (the session's setting) and applied versions
 * whose file is gone (--ignore-missing). */
static unsigned
up_allow(const strata *s, const strata_run_options *o)
{
    unsigned allow = s->allow_out_of_order ? STRATA_PLAN_OUT_OF_ORDER : 0;
    if (o != NULL && o->size >= offsetof(strata_run_options, ignore_missing) + sizeof(int) &&
        o->ignore_missing)
        allow |= STRATA_PLAN_MISSING;
    return allow;
}

/*
 * --to must name a migration that exists, in the files or in the history (Flyway's
 * failOnMissingTarget): a mistyped target would otherwise apply everything, or undo
 * nothing, and exit 0. down --to a version below every migration (down --to 0) is no typo:
 * it undoes everything.
 */
static int
check_target_exists(const strata_engine_state *e, char direction, const char *to, strata_error *err)
{
    if (to == NULL || strata_source_find(e->files, to) != NULL)
        return STRATA_OK;
    const char *low = NULL, *high = NULL;
    for (size_t i = 0; i < e->history->count; i++) {
        const char *v = e->history->rows[i].version;
        if (strata_version_cmp(v, to) == 0)
            return STRATA_OK;
        if (low == NULL || strata_version_cmp(v, low) < 0)
            low = v;
    }
    for (size_t i = 0; i < e->files->count; i++) {
        const char *v = e->files->items[i].version;
        if (low == NULL || strata_version_cmp(v, low) < 0)
            low = v;
        if (high == NULL || strata_version_cmp(v, high) > 0)
            high = v;
    }
    if (direction == 'd' && low != NULL && strata_version_cmp(to, low) < 0)
        return STRATA_OK;
    if (low == NULL)
        return strata_fail(err, STRATA_VALIDATION,
                           "--to %s: there is no migration %s (no migration files at all); "
                           "check the version and --dir",
                           to, to);
    return strata_fail(err, STRATA_VALIDATION,
                       "--to %s: there is no migration %s, neither a file nor in the history "
                       "(the files run from %s to %s); check the version",
                       to, to, low, high);
}

static strata_run_report *
new_report(char direction, int dry_run, size_t capacity)
{
    strata_run_report *r = strata_xcalloc(1, sizeof(*r));
    r->direction = direction;
    r->dry_run = dry_run;
    r->items = strata_xcalloc(capacity + 1, sizeof(*r->items));
    return r;
}

/* Repeatable migrations to run after the versioned ones, as migrations of their own. */
typedef struct repeatable_plan {
    strata_migration *items; /* version and name owned; scripts borrowed from the files */
    const strata_migration **refs;
    unsigned *flags; /* STRATA_RUN_* of each */
    size_t count;
} repeatable_plan;

/* Those never run and those whose file changed since they last ran. */
static void
plan_repeatables(const strata_merged *m, repeatable_plan *out)
{
    memset(out, 0, sizeof(*out));
    out->items = strata_xcalloc(m->nreps + 1, sizeof(*out->items));
    out->refs = strata_xcalloc(m->nreps + 1, sizeof(*out->refs));
    out->flags = strata_xcalloc(m->nreps + 1, sizeof(*out->flags));
    for (size_t i = 0; i < m->nreps; i++) {
        const strata_repeatable_entry *e = &m->reps[i];
        if (e->file == NULL ||
            (e->state != STRATA_STATE_PENDING && e->state != STRATA_STATE_OUTDATED))
            continue;
        strata_migration *x = &out->items[out->count];
        x->version = strata_history_repeatable_version(e->file->name);
        x->name = strata_xstrdup(e->file->name);
        x->up = e->file->script;
        x->applicable = 1;
        x->format = "flyway";
        out->refs[out->count] = x;
        out->flags[out->count++] = STRATA_RUN_REPEATABLE | (e->row ? STRATA_RUN_REPLACE : 0);
    }
}

static void
repeatable_plan_free(repeatable_plan *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free(p->items[i].version);
        free(p->items[i].name);
    }
    free(p->items);
    free(p->refs);
    free(p->flags);
}

static strata_run_item *
report_add(strata_run_report *r, const strata_migration *m, char direction)
{
    strata_run_item *it = &r->items[r->count++];
    it->version = strata_xstrdup(m->version);
    it->name = strata_xstrdup(m->name);
    it->file = strata_xstrdup(direction == 'u' ? m->up.path : m->down.path);
    return it;
}

/* Runs (or with dry_run prints) items in order; flags may be NULL (all 0). */
static int
execute(strata *s, const strata_migration *const *items, const strata_history_row *const *rows,
        const unsigned *flags, size_t count, char direction, int dry_run, long first_rank,
        strata_run_report *report, strata_error *err)
{
    int rc = STRATA_OK;
    for (size_t i = 0; rc == STRATA_OK && i < count; i++) {
        /* down acts on the row as the history spells its version (the file may say 001
         * where the row says 1: they compare equal) */
        strata_migration recorded;
        const strata_migration *m = items[i];
        if (rows != NULL && rows[i] != NULL && strcmp(rows[i]->version, m->version) != 0) {
            recorded = *m;
            recorded.version = rows[i]->version;
            m = &recorded;
        }
        if (!dry_run && strata_cancelled()) { /* a signal: none of the rest starts */
            strata_history_event ev = {.version = m->version,
                                       .name = m->name,
                                       .action = direction == 'u' ? "up" : "down",
                                       .outcome = "interrupted",
                                       .detail = "interrupted by a signal before it started"};
            strata_error ignored = STRATA_ERROR_INIT;
            char now[32];
            strata_utc_now(now, sizeof(now));
            ev.started_at = now;
            strata_history_log_event(s, &ev, &ignored);
            rc = strata_fail(err, STRATA_INTERRUPTED,
                             "interrupted before migration %s: %zu migration(s) ran in this run; "
                             "%s and the ones after it did not start",
                             m->version, report->count, m->version);
            snprintf(err->hint, sizeof(err->hint),
                     "the database is consistent; run `strata %s` again to go on",
                     direction == 'u' ? "up" : "down");
            break;
        }
        strata_run_item *it = report_add(report, m, direction);
        if (dry_run)
            rc = strata_print_script(s, m, direction, err);
        else
            rc = strata_run_migration(s, m, direction, first_rank + (long)i,
                                      flags != NULL ? flags[i] : 0, it, err);
        if (rc == STRATA_OK && !dry_run)
            strata_session_lock_beat(s); /* between migrations: no transaction is open */
        if (rc != STRATA_OK) {
            report->count--;
            free(it->version);
            free(it->name);
            free(it->file);
        }
    }
    return rc;
}

/* Versioned plan first; then, on an unlimited up, the repeatables due. */
static int
execute_all(strata *s, const strata_engine_state *e, const strata_plan *plan, char direction,
            int run_repeatables, int dry_run, strata_run_report **out, strata_error *err)
{
    long long t0 = strata_now_ms();
    repeatable_plan reps = {0};
    if (run_repeatables)
        plan_repeatables(e->merged, &reps);
    strata_run_report *report = new_report(direction, dry_run, plan->count + reps.count);
    strata_event planned = {.type = STRATA_EVENT_PLAN,
                            .direction = direction,
                            .statements = (long)(plan->count + reps.count)};
    strata_session_emit(s, &planned);
    long rank = e->history->max_rank + 1;
    int rc = execute(s, plan->items, plan->rows, NULL, plan->count, direction, dry_run, rank,
                     report, err);
    if (rc == STRATA_OK)
        rc = execute(s, reps.refs, NULL, reps.flags, reps.count, direction, dry_run,
                     rank + (long)plan->count, report, err);
    report->total_ms = strata_now_ms() - t0;
    repeatable_plan_free(&reps);
    *out = report;
    return rc;
}

/* The version a target names: itself, or for "@tag" the version of the change the tag
 * follows in the plan (sqitch). */
static int
tag_target(const strata *s, const strata_source_set *files, const char *to, const char **version,
           strata_error *err)
{
    *version = to;
    if (to == NULL || to[0] != '@')
        return STRATA_OK;
    for (size_t i = 0; i < files->ntags; i++)
        if (strcmp(files->tags[i].name, to) == 0) {
            *version = files->tags[i].version;
            return STRATA_OK;
        }
    return strata_fail(err, STRATA_USAGE,
                       "no tag %s in the plan of %s; tags are sqitch's @name lines", to, s->dir);
}

/* What an up with nothing to do reports: the plan event and an empty report, as
 * execute_all gives for an empty plan. */
static strata_run_report *
report_nothing(strata *s, char direction, int dry_run)
{
    strata_event planned = {.type = STRATA_EVENT_PLAN, .direction = direction, .statements = 0};
    strata_session_emit(s, &planned);
    return new_report(direction, dry_run, 0);
}

/* Plans the run from the prepared state e and executes it. */
static int
plan_and_execute(strata *s, strata_engine_state *e, char direction, const strata_run_options *o,
                 strata_run_report **report, strata_error *err)
{
    int dry_run = o != NULL && o->dry_run;
    const char *to = o != NULL ? o->to_version : NULL;
    long step = o != NULL ? o->step : 0;
    strata_plan plan = {0};
    int rc = tag_target(s, e->files, to, &to, err);
    if (rc == STRATA_OK)
        rc = check_target_exists(e, direction, to, err);
    if (rc == STRATA_OK && direction == 'u' && e->files->count == 0 && e->files->nrepeatables == 0)
        strata_session_notice(s,
                              "no migrations found in %s; nothing to apply (is --dir or "
                              "STRATA_DIR right?)",
                              s->dir);
    if (rc == STRATA_OK && direction == 'u')
        rc = strata_plan_up(e->merged, to, step, up_allow(s, o), &plan, err);
    else if (rc == STRATA_OK)
        rc = strata_plan_down(e->merged, e->history, to, step, o != NULL && o->all, &plan, err);
    /* Repeatables run after a full up only: --to and --step stop at a versioned one. */
    if (rc == STRATA_OK)
        rc = execute_all(s, e, &plan, direction, direction == 'u' && to == NULL && step == 0,
                         dry_run, report, err);
    strata_plan_free(&plan);
    return rc;
}

static int
run(strata *s, char direction, const strata_run_options *o, strata_run_report **out,
    strata_error *err)
{
    strata_error_clear(err);
    if (out != NULL)
        *out = NULL;
    int dry_run = o != NULL && o->dry_run;
    strata_engine_state e;
    strata_run_report *report = NULL;
    int rc = check_target(o, err);
    if (rc != STRATA_OK)
        return rc;
    /* A full up (no --to, no --step) of an up-to-date history has nothing to read whole. */
    int full_up = direction == 'u' && (o == NULL || (o->to_version == NULL && o->step == 0));
    if (full_up)
        rc = strata_engine_prepare_for(s, !dry_run, STRATA_UPTODATE_UP, &e, err);
    else
        rc = strata_engine_prepare(s, !dry_run, 0, &e, err);
    if (rc == STRATA_OK && e.uptodate > 0)
        report = report_nothing(s, direction, dry_run);
    else if (rc == STRATA_OK)
        rc = plan_and_execute(s, &e, direction, o, &report, err);
    strata_engine_release(s, &e);
    if (out != NULL)
        *out = report;
    else
        strata_run_report_free(report);
    return rc;
}

/* The dirty versioned migration and its row, or an error saying there is none. */
static int
find_dirty(strata *s, const strata_merged *m, const strata_plan_entry **out, strata_error *err)
{
    for (size_t i = 0; i < m->count; i++) {
        const strata_plan_entry *e = &m->items[i];
        if (e->state != STRATA_STATE_DIRTY)
            continue;
        if (e->file == NULL || !e->file->applicable)
            return strata_fail(err, STRATA_VALIDATION,
                               "migration %s is dirty but its file is gone; restore it, or "
                               "repair by hand and use `strata force %s`",
                               e->row->version, e->row->version);
        *out = e;
        return STRATA_OK;
    }
    return strata_fail(err, STRATA_USAGE,
                       "nothing to resume: no migration is dirty in %s (run `strata up`)",
                       s->names.migrations);
}

/* up --resume, first half: finish the dirty migration under the lock. */
static int
resume_dirty(strata *s, strata_run_item *item, strata_error *err)
{
    strata_engine_state e;
    const strata_plan_entry *dirty = NULL;
    int rc = strata_engine_prepare(s, 1, 0, &e, err);
    if (rc == STRATA_OK)
        rc = find_dirty(s, e.merged, &dirty, err);
    if (rc == STRATA_OK) {
        item->version = strata_xstrdup(dirty->file->version);
        item->name = strata_xstrdup(dirty->file->name);
        item->file = strata_xstrdup(dirty->file->up.path);
        rc = strata_resume_migration(s, dirty->file, dirty->row, item, err);
    }
    strata_engine_release(s, &e);
    return rc;
}

static int
resume_then_up(strata *s, const strata_run_options *o, strata_run_report **out, strata_error *err)
{
    strata_run_item first = {0};
    long long t0 = strata_now_ms();
    int rc = resume_dirty(s, &first, err);
    strata_run_report *rest = NULL;
    if (rc != STRATA_OK) { /* nothing was finished: report nothing */
        free(first.version);
        free(first.name);
        free(first.file);
        first.version = NULL;
    }
    if (rc == STRATA_OK) {
        strata_run_options plain = *o;
        plain.resume = 0;
        rc = run(s, 'u', &plain, &rest, err);
    }
    if (rest == NULL)
        rest = new_report('u', 0, 0);
    if (first.version != NULL) { /* the resumed migration leads the report */
        rest->items = strata_xrealloc(rest->items, (rest->count + 1) * sizeof(*rest->items));
        memmove(rest->items + 1, rest->items, rest->count * sizeof(*rest->items));
        rest->items[0] = first;
        rest->count++;
    }
    rest->total_ms = strata_now_ms() - t0; /* the resumed migration's time too */
    if (out != NULL)
        *out = rest;
    else
        strata_run_report_free(rest);
    return rc;
}

/* The body of strata_up(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_up_body(strata *s, const strata_run_options *o, strata_run_report **out, strata_error *err)
{
    if (o != NULL && o->size >= offsetof(strata_run_options, resume) + sizeof(o->resume) &&
        o->resume) {
        strata_error_clear(err);
        if (out != NULL)
            *out = NULL;
        return resume_then_up(s, o, out, err);
    }
    return run(s, 'u', o, out, err);
}

int
strata_up(strata *s, const strata_run_options *o, strata_run_report **out, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_up_body(s, o, out, err);
}

/* The body of strata_down(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_down_body(strata *s, const strata_run_options *o, strata_run_report **out, strata_error *err)
{
    return run(s, 'd', o, out, err);
}

int
strata_down(strata *s, const strata_run_options *o, strata_run_report **out, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_down_body(s, o, out, err);
}

void
strata_run_report_free(strata_run_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->items[i].version);
        free(r->items[i].name);
        free(r->items[i].file);
    }
    free(r->items);
    free(r);
}

/* Rolls back the last step migrations and applies them again: down, then up to the
 * newest version the down undid (so nothing pending beyond it is applied). */
/* The body of strata_redo(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_redo_body(strata *s, long step, strata_run_report **down_out, strata_run_report **up_out,
                 strata_error *err)
{
    strata_run_report *down = NULL, *up = NULL;
    strata_run_options d = {.size = sizeof(d), .step = step > 0 ? step : 1};
    int rc = strata_down(s, &d, &down, err);
    if (rc == STRATA_OK && down->count > 0) {
        const char *newest = down->items[0].version;
        for (size_t i = 1; i < down->count; i++)
            if (strata_version_cmp(down->items[i].version, newest) > 0)
                newest = down->items[i].version;
        strata_run_options u = {.size = sizeof(u), .to_version = newest};
        rc = strata_up(s, &u, &up, err);
    }
    if (down_out != NULL)
        *down_out = down;
    else
        strata_run_report_free(down);
    if (up_out != NULL)
        *up_out = up;
    else
        strata_run_report_free(up);
    return rc;
}

int
strata_redo(strata *s, long step, strata_run_report **down_out, strata_run_report **up_out,
            strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_redo_body(s, step, down_out, up_out, err);
}

/* ------------------------------------------------------------------ force */

/* What force acts on: a versioned migration, or a repeatable one named "R__name". */
typedef struct force_target {
    char version[128]; /* as the history spells it */
    const char *name;  /* NULL when neither row nor file is known */
    const char *kind;
    const strata_history_row *row;  /* NULL when not recorded */
    const strata_script *up, *down; /* NULL when there is no file */
} force_target;

static const strata_repeatable *
find_repeatable_file(const strata_source_set *files, const char *name)
{
    for (size_t i = 0; i < files->nrepeatables; i++)
        if (strcmp(files->repeatables[i].name, name) == 0)
            return &files->repeatables[i];
    return NULL;
}

static int
resolve_target(const strata_engine_state *e, const char *version, force_target *t,
               strata_error *err)
{
    memset(t, 0, sizeof(*t));
    if (strncmp(version, "R__", 3) == 0) {
        const strata_repeatable *f = find_repeatable_file(e->files, version + 3);
        t->row = strata_history_find_repeatable(e->history, version + 3);
        t->kind = "repeatable";
        t->up = f ? &f->script : NULL;
        t->name = f ? f->name : t->row ? t->row->name : NULL;
        char *v = strata_history_repeatable_version(version + 3);
        snprintf(t->version, sizeof(t->version), "%s", t->row ? t->row->version : v);
        free(v);
        return STRATA_OK;
    }
    const char *why;
    if (strata_version_check(version, strlen(version), &why) != 0)
        return strata_fail(err, STRATA_USAGE,
                           "'%s' is not a version: %s (or R__name for a repeatable migration)",
                           version, why);
    const strata_migration *m = strata_source_find(e->files, version);
    t->row = strata_history_find(e->history, version);
    t->kind = "versioned";
    if (m != NULL && m->applicable) {
        t->up = &m->up;
        t->down = m->down.path ? &m->down : NULL;
    }
    t->name = m ? m->name : t->row ? t->row->name : NULL;
    snprintf(t->version, sizeof(t->version), "%s",
             m        ? m->version
             : t->row ? t->row->version
                      : version);
    return STRATA_OK;
}

static int
force_sql(strata *s, const strata_engine_state *e, const force_target *t, int applied,
          const char *now, strata_buf *sql, strata_error *err)
{
    if (!applied && t->row == NULL)
        return strata_fail(err, STRATA_USAGE,
                           "migration %s is not recorded; nothing to mark rolled back", t->version);
    if (applied && t->up == NULL)
        return strata_fail(err, STRATA_USAGE,
                           "no migration %s in %s; force applies to a migration whose file "
                           "exists",
                           t->version, s->dir);
    if (t->row != NULL) {
        strata_history_sql_delete(s, sql, t->row->version);
        strata_buf_puts(sql, ";\n");
    }
    if (!applied)
        return STRATA_OK;
    strata_history_row r = {.version = (char *)t->version,
                            .kind = (char *)t->kind,
                            .name = (char *)t->name,
                            .checksum = (char *)t->up->checksum,
                            .down_checksum = t->down ? (char *)t->down->checksum : NULL,
                            .state = "applied",
                            .applied_rank =
                                t->row ? t->row->applied_rank : e->history->max_rank + 1};
    strata_history_detail d = {
        .applied_at = (char *)now, .applied_by = s->whoami, .strata_version = PACKAGE_VERSION};
    strata_history_sql_insert(s, sql, &r, &d);
    return STRATA_OK;
}

/* Runs the statements of sql in one transaction: the history never shows half of them. */
static int
exec_atomically(strata *s, const char *sql, strata_error *err)
{
    int rc = strata_session_begin(s, err);
    if (rc == STRATA_OK)
        rc = strata_exec_script(s, sql, err);
    if (rc == STRATA_OK)
        return strata_session_commit(s, err);
    strata_session_rollback(s);
    return rc;
}

/* The body of strata_force(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_force_body(strata *s, const char *version, int applied, strata_error *err)
{
    strata_error_clear(err);
    if (version == NULL || *version == '\0')
        return strata_fail(err, STRATA_USAGE, "force needs a version");
    strata_engine_state e;
    strata_buf sql = {0};
    force_target t;
    char now[32];
    strata_utc_now(now, sizeof(now));
    int rc = strata_engine_prepare(s, 1, 0, &e, err);
    if (rc == STRATA_OK)
        rc = resolve_target(&e, version, &t, err);
    if (rc == STRATA_OK)
        rc = force_sql(s, &e, &t, applied, now, &sql, err);
    if (rc == STRATA_OK)
        rc = exec_atomically(s, sql.data, err);
    if (rc == STRATA_OK) {
        strata_history_event ev = {.version = t.version,
                                   .name = t.name,
                                   .action = "force",
                                   .outcome = "ok",
                                   .started_at = now,
                                   .detail = applied ? "marked applied" : "marked rolled back"};
        rc = strata_history_log_event(s, &ev, err);
    }
    strata_buf_free(&sql);
    strata_engine_release(s, &e);
    return rc;
}

int
strata_force(strata *s, const char *version, int applied, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_force_body(s, version, applied, err);
}

/* ------------------------------------------------------------------ baseline */

/* The body of strata_baseline(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_baseline_body(strata *s, const char *version, const char *description, size_t *count,
                     strata_error *err)
{
    strata_error_clear(err);
    const char *why = "a version needs at least one digit";
    if (version == NULL || strata_version_check(version, strlen(version), &why) != 0)
        return strata_fail(err, STRATA_USAGE, "'%s' is not a version to baseline at: %s",
                           version ? version : "", why);
    strata_engine_state e;
    strata_buf sql = {0};
    size_t n = 0;
    char now[32];
    strata_utc_now(now, sizeof(now));
    int rc = strata_engine_prepare(s, 1, 0, &e, err);
    if (rc == STRATA_OK && (e.history->count > 0 || e.history->nrepeatables > 0))
        rc = strata_fail(err, STRATA_VALIDATION,
                         "the history in %s already has %zu row(s): baseline is for a database "
                         "strata has not managed yet (use force or mark for single versions)",
                         s->names.migrations, e.history->count + e.history->nrepeatables);
    for (size_t i = 0; rc == STRATA_OK && i < e.files->count; i++) {
        const strata_migration *m = &e.files->items[i];
        if (!m->applicable || strata_version_cmp(m->version, version) > 0)
            continue;
        strata_history_row r = {.version = m->version,
                                .kind = "versioned",
                                .name = m->name,
                                .checksum = (char *)m->up.checksum,
                                .down_checksum = m->down.path ? (char *)m->down.checksum : NULL,
                                .state = "applied",
                                .applied_rank = (long)++n};
        strata_history_detail d = {
            .applied_at = now, .applied_by = s->whoami, .strata_version = PACKAGE_VERSION};
        strata_history_sql_insert(s, &sql, &r, &d);
        strata_buf_puts(&sql, ";\n");
    }
    const char *highest = NULL;
    for (size_t i = 0; rc == STRATA_OK && i < e.files->count; i++)
        if (highest == NULL || strata_version_cmp(e.files->items[i].version, highest) > 0)
            highest = e.files->items[i].version;
    if (rc == STRATA_OK && (highest == NULL || strata_version_cmp(version, highest) > 0))
        strata_session_notice(s,
                              "baseline %s is above every migration file (%s%s): every "
                              "migration written later with a lower version will be out of "
                              "order; check the version",
                              version, highest ? "the highest is " : "there are none",
                              highest ? highest : "");
    if (rc == STRATA_OK) {
        strata_history_event ev = {.version = version,
                                   .action = "baseline",
                                   .outcome = "ok",
                                   .started_at = now,
                                   .detail = description};
        strata_history_sql_event(s, &sql, &ev);
        rc = exec_atomically(s, sql.data, err);
    }
    if (count != NULL)
        *count = rc == STRATA_OK ? n : 0;
    strata_buf_free(&sql);
    strata_engine_release(s, &e);
    return rc;
}

int
strata_baseline(strata *s, const char *version, const char *description, size_t *count,
                strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_baseline_body(s, version, description, count, err);
}

/* ------------------------------------------------------------------ repair */

static void
repair_add(strata_repair_report *r, const strata_plan_entry *e)
{
    r->items = strata_xrealloc(r->items, (r->count + 1) * sizeof(*r->items));
    strata_repair_item *it = &r->items[r->count++];
    it->version = strata_xstrdup(e->row->version);
    it->file = strata_xstrdup(e->file->up.path);
    it->recorded = strata_xstrdup(e->row->checksum);
    it->current = strata_xstrdup(e->file->up.checksum);
}

/* The statements recording the files' checksums, with a repair event each. */
static void
repair_sql(strata *s, const strata_repair_report *r, const char *now, strata_buf *sql)
{
    for (size_t i = 0; i < r->count; i++) {
        strata_buf_printf(sql, "UPDATE %s SET checksum = ", s->names.migrations);
        strata_session_literal(s, sql, r->items[i].current);
        strata_buf_puts(sql, " WHERE version = ");
        strata_session_literal(s, sql, r->items[i].version);
        strata_buf_puts(sql, ";\n");
        char detail[200];
        snprintf(detail, sizeof(detail), "checksum %.12s recorded as %.12s", r->items[i].recorded,
                 r->items[i].current);
        strata_history_event ev = {.version = r->items[i].version,
                                   .action = "repair",
                                   .outcome = "ok",
                                   .started_at = now,
                                   .detail = detail};
        strata_history_sql_event(s, sql, &ev);
        strata_buf_puts(sql, ";\n");
    }
}

/* The body of strata_repair(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_repair_body(strata *s, int apply, strata_repair_report **out, strata_error *err)
{
    strata_error_clear(err);
    *out = NULL;
    strata_engine_state e;
    char now[32];
    strata_utc_now(now, sizeof(now));
    int rc = strata_engine_prepare(s, apply, 0, &e, err);
    strata_repair_report *r = strata_xcalloc(1, sizeof(*r));
    for (size_t i = 0; rc == STRATA_OK && i < e.merged->count; i++)
        if (e.merged->items[i].state == STRATA_STATE_MODIFIED)
            repair_add(r, &e.merged->items[i]);
    if (rc == STRATA_OK && apply && r->count > 0) {
        strata_buf sql = {0};
        repair_sql(s, r, now, &sql);
        rc = exec_atomically(s, sql.data, err);
        r->applied = rc == STRATA_OK;
        strata_buf_free(&sql);
    }
    strata_engine_release(s, &e);
    if (rc != STRATA_OK) {
        strata_repair_report_free(r);
        return rc;
    }
    *out = r;
    return STRATA_OK;
}

int
strata_repair(strata *s, int apply, strata_repair_report **out, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_repair_body(s, apply, out, err);
}

void
strata_repair_report_free(strata_repair_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->items[i].version);
        free(r->items[i].file);
        free(r->items[i].recorded);
        free(r->items[i].current);
    }
    free(r->items);
    free(r);
}
