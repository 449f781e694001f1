/*
 * The engine: up and down under the migration lock (DESIGN section 5), and force.
 * Planning is in plan.c, running one script in runner.c, status and validate in status.c.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "runner.h"

/* ------------------------------------------------------------------ up and down */

void
strata_engine_release(strata *s, strata_engine_state *e)
{
    if (e->locked)
        strata_session_unlock(s);
    strata_merged_free(e->merged);
    strata_source_free(e->files);
    strata_history_free(e->history);
    memset(e, 0, sizeof(*e));
}

int
strata_engine_prepare(strata *s, int take_lock, strata_engine_state *e, strata_error *err)
{
    memset(e, 0, sizeof(*e));
    int rc = STRATA_OK;
    if (take_lock) {
        rc = strata_session_lock(s, err);
        e->locked = rc == STRATA_OK;
    }
    if (rc == STRATA_OK)
        rc = strata_history_ensure(s, err);
    if (rc == STRATA_OK)
        rc = strata_history_load(s, &e->history, err);
    if (rc == STRATA_OK)
        rc = strata_source_scan(s->dir, s->drv->dialect, &e->files, err);
    if (rc == STRATA_OK)
        e->merged = strata_plan_merge(e->files, e->history);
    return rc;
}

static int
parse_target(const strata_run_options *o, strata_version_key *to, strata_error *err)
{
    if (o == NULL || o->to_version == NULL)
        return STRATA_OK;
    if (strata_version_parse(o->to_version, strlen(o->to_version), to) != 0)
        return strata_fail(err, STRATA_USAGE,
                           "'%s' is not a version (digits, optionally dotted: 20250701132805, "
                           "003, 1.2.3)",
                           o->to_version);
    return STRATA_OK;
}

static strata_run_report *
new_report(char direction, int dry_run, const strata_plan *plan)
{
    strata_run_report *r = strata_xcalloc(1, sizeof(*r));
    r->direction = direction;
    r->dry_run = dry_run;
    r->items = strata_xcalloc(plan->count + 1, sizeof(*r->items));
    return r;
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

static int
execute_plan(strata *s, const strata_plan *plan, char direction, int dry_run, long first_rank,
             strata_run_report *report, strata_error *err)
{
    long long t0 = strata_now_ms();
    int rc = STRATA_OK;
    for (size_t i = 0; rc == STRATA_OK && i < plan->count; i++) {
        const strata_migration *m = plan->items[i];
        strata_run_item *it = report_add(report, m, direction);
        if (dry_run)
            rc = strata_print_script(s, m, direction, err);
        else
            rc = strata_run_migration(s, m, direction, first_rank + (long)i, it, err);
        if (rc != STRATA_OK) {
            report->count--;
            free(it->version);
            free(it->name);
            free(it->file);
        }
    }
    report->total_ms = strata_now_ms() - t0;
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
    strata_version_key to_key;
    const strata_version_key *to = o != NULL && o->to_version != NULL ? &to_key : NULL;
    strata_engine_state e;
    strata_plan plan = {0};
    strata_run_report *report = NULL;
    int rc = parse_target(o, &to_key, err);
    if (rc != STRATA_OK)
        return rc;
    rc = strata_engine_prepare(s, !dry_run, &e, err);
    long step = o != NULL ? o->step : 0;
    if (rc == STRATA_OK && direction == 'u')
        rc = strata_plan_up(e.merged, to, step, s->allow_out_of_order, &plan, err);
    else if (rc == STRATA_OK)
        rc = strata_plan_down(e.merged, e.history, to, step, o != NULL && o->all, &plan, err);
    if (rc == STRATA_OK) {
        report = new_report(direction, dry_run, &plan);
        rc = execute_plan(s, &plan, direction, dry_run, e.history->max_rank + 1, report, err);
    }
    strata_plan_free(&plan);
    strata_engine_release(s, &e);
    if (out != NULL)
        *out = report;
    else
        strata_run_report_free(report);
    return rc;
}

int
strata_up(strata *s, const strata_run_options *o, strata_run_report **out, strata_error *err)
{
    return run(s, 'u', o, out, err);
}

int
strata_down(strata *s, const strata_run_options *o, strata_run_report **out, strata_error *err)
{
    return run(s, 'd', o, out, err);
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

/* ------------------------------------------------------------------ force */

static int
force_sql(strata *s, const strata_engine_state *e, const strata_version_key *key, int applied,
          const char *now, strata_buf *sql, strata_error *err, const char *version)
{
    const strata_history_row *row = strata_history_find(e->history, key);
    const strata_migration *m = strata_source_find(e->files, key);
    if (!applied) {
        if (row == NULL)
            return strata_fail(err, STRATA_USAGE,
                               "migration %s is not recorded; nothing to "
                               "mark rolled back",
                               version);
        strata_history_sql_delete(s, sql, row->version);
        return STRATA_OK;
    }
    if (m == NULL)
        return strata_fail(err, STRATA_USAGE,
                           "no migration %s in %s; force applies to a version "
                           "whose file exists",
                           version, s->dir);
    if (row != NULL) {
        strata_history_sql_delete(s, sql, row->version);
        strata_buf_puts(sql, ";\n");
    }
    strata_history_row r = {.version = m->version,
                            .kind = "versioned",
                            .name = m->name,
                            .checksum = (char *)m->up.checksum,
                            .down_checksum = m->down.path ? (char *)m->down.checksum : NULL,
                            .state = "applied",
                            .applied_rank = row ? row->applied_rank : e->history->max_rank + 1,
                            .applied_at = (char *)now,
                            .applied_by = s->whoami,
                            .strata_version = PACKAGE_VERSION};
    strata_history_sql_insert(s, sql, &r);
    return STRATA_OK;
}

int
strata_force(strata *s, const char *version, int applied, strata_error *err)
{
    strata_error_clear(err);
    strata_version_key key;
    if (version == NULL || strata_version_parse(version, strlen(version), &key) != 0)
        return strata_fail(err, STRATA_USAGE, "'%s' is not a version", version ? version : "");
    strata_engine_state e;
    strata_buf sql = {0};
    char now[32];
    strata_utc_now(now, sizeof(now));
    int rc = strata_engine_prepare(s, 1, &e, err);
    if (rc == STRATA_OK)
        rc = force_sql(s, &e, &key, applied, now, &sql, err, version);
    if (rc == STRATA_OK && sql.len > 0)
        rc = strata_exec_script(s, sql.data, err);
    if (rc == STRATA_OK) {
        const strata_migration *m = strata_source_find(e.files, &key);
        const strata_history_row *row = strata_history_find(e.history, &key);
        strata_history_event ev = {.version = m     ? m->version
                                              : row ? row->version
                                                    : version,
                                   .name = m     ? m->name
                                           : row ? row->name
                                                 : NULL,
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
