/*
 * Formatting results for people (aligned tables, optional colour) and machines (JSON,
 * schemas versioned and documented in docs/json.md).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strata/strata.h>

#include "guard.h"
#include "json.h"

#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define RED "\033[31m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static const char *
state_name(strata_migration_state s)
{
    switch (s) {
    case STRATA_STATE_APPLIED:
        return "applied";
    case STRATA_STATE_PENDING:
        return "pending";
    case STRATA_STATE_DIRTY:
        return "dirty";
    case STRATA_STATE_MODIFIED:
        return "modified";
    case STRATA_STATE_MISSING:
        return "missing";
    case STRATA_STATE_OUT_OF_ORDER:
        return "out-of-order";
    case STRATA_STATE_NOT_APPLICABLE:
        return "not-applicable";
    case STRATA_STATE_OUTDATED:
        return "outdated";
    }
    return "unknown";
}

static const char *
state_color(strata_migration_state s)
{
    switch (s) {
    case STRATA_STATE_APPLIED:
        return GREEN;
    case STRATA_STATE_PENDING:
        return YELLOW;
    default:
        return RED;
    }
}

/* ------------------------------------------------------------------ status */

static void
status_json(FILE *out, const strata_status_report *r)
{
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", "strata.status/1");
    strata_json_kv_string(out, &first, "database", r->database);
    strata_json_kv_string(out, &first, "dir", r->dir);
    strata_json_kv_string(out, &first, "table", r->table);
    strata_json_key(out, &first, "summary");
    int f2 = 1;
    fputc('{', out);
    strata_json_kv_int(out, &f2, "applied", (long long)r->applied);
    strata_json_kv_int(out, &f2, "pending", (long long)r->pending);
    strata_json_kv_int(out, &f2, "dirty", (long long)r->dirty);
    strata_json_kv_int(out, &f2, "modified", (long long)r->modified);
    strata_json_kv_int(out, &f2, "missing", (long long)r->missing);
    strata_json_kv_int(out, &f2, "out_of_order", (long long)r->out_of_order);
    strata_json_kv_int(out, &f2, "not_applicable", (long long)r->not_applicable);
    strata_json_kv_int(out, &f2, "outdated", (long long)r->outdated);
    fputc('}', out);
    strata_json_key(out, &first, "migrations");
    fputc('[', out);
    for (size_t i = 0; i < r->count; i++) {
        const strata_status_item *it = &r->items[i];
        int f = 1;
        fputs(i ? ",{" : "{", out);
        strata_json_kv_string(out, &f, "version", it->version);
        strata_json_kv_string(out, &f, "name", it->name);
        strata_json_kv_string(out, &f, "state", state_name(it->state));
        strata_json_kv_string(out, &f, "file", it->file);
        strata_json_kv_bool(out, &f, "has_down", it->has_down);
        strata_json_kv_string(out, &f, "applied_at", it->applied_at);
        strata_json_kv_string(out, &f, "applied_by", it->applied_by);
        strata_json_kv_int(out, &f, "execution_ms", it->execution_ms);
        strata_json_kv_int(out, &f, "applied_rank", it->applied_rank);
        strata_json_kv_string(out, &f, "checksum", it->checksum);
        strata_json_kv_string(out, &f, "recorded_checksum", it->recorded_checksum);
        strata_json_kv_bool(out, &f, "repeatable", it->repeatable);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

static int
column_width(const strata_status_report *r, int name_column)
{
    int w = name_column ? 4 : 7;
    for (size_t i = 0; i < r->count; i++) {
        int n = (int)strlen(name_column ? r->items[i].name : r->items[i].version);
        if (n > w)
            w = n;
    }
    return w > 40 ? 40 : w;
}

/* The body of strata_report_status(), which opens the guard (guard.h). */
static void __attribute__((noinline))
strata_report_status_body(FILE *out, const strata_status_report *r, unsigned flags)
{
    if (flags & STRATA_REPORT_JSON) {
        status_json(out, r);
        return;
    }
    int color = flags & STRATA_REPORT_COLOR;
    int vw = column_width(r, 0), nw = column_width(r, 1);
    fprintf(out, "database %s, migrations in %s, history in %s\n\n", r->database, r->dir, r->table);
    fprintf(out, "%-*s  %-*s  %-12s  %-19s  %9s  %s\n", vw, "VERSION", nw, "NAME", "STATE",
            "APPLIED AT (UTC)", "DURATION", "APPLIED BY");
    for (size_t i = 0; i < r->count; i++) {
        const strata_status_item *it = &r->items[i];
        char ms[32] = "";
        if (it->applied_at != NULL)
            snprintf(ms, sizeof(ms), "%lld ms", it->execution_ms);
        fprintf(out, "%-*s  %-*.*s  %s%-12s%s  %-19s  %9s  %s\n", vw, it->version, nw, nw, it->name,
                color ? state_color(it->state) : "", state_name(it->state), color ? RESET : "",
                it->applied_at ? it->applied_at : "-", ms, it->applied_by ? it->applied_by : "");
    }
    if (r->count == 0)
        fprintf(out, "(no migrations in %s)\n", r->dir);
    fprintf(out, "\n%zu applied, %zu pending", r->applied, r->pending);
    if (r->out_of_order)
        fprintf(out, ", %zu out of order", r->out_of_order);
    if (r->outdated)
        fprintf(out, ", %zu repeatable(s) to run again", r->outdated);
    if (r->not_applicable)
        fprintf(out, ", %zu not applicable to this database", r->not_applicable);
    if (r->dirty)
        fprintf(out, ", %zu dirty", r->dirty);
    if (r->modified)
        fprintf(out, ", %zu modified", r->modified);
    if (r->missing)
        fprintf(out, ", %zu missing", r->missing);
    fputc('\n', out);
}

void
strata_report_status(FILE *out, const strata_status_report *r, unsigned flags)
{
    STRATA_GUARD_VOID();
    strata_report_status_body(out, r, flags);
}

/* ------------------------------------------------------------------ errors */

static const char *
status_name(int status)
{
    switch (status) {
    case STRATA_USAGE:
        return "usage";
    case STRATA_VALIDATION:
        return "validation";
    case STRATA_LOCK_TIMEOUT:
        return "lock-timeout";
    case STRATA_NOT_SUPPORTED:
        return "not-supported";
    case STRATA_DIRTY:
        return "dirty";
    case STRATA_NOT_FOUND:
        return "not-found";
    case STRATA_ERROR_NOMEM:
        return "out-of-memory";
    case STRATA_INTERRUPTED:
        return "interrupted";
    default:
        return "error";
    }
}

/*
 * Where a message says it is: "FILE:LINE: ..." or "FILE:LINE:COL: ..." at its start (FILE
 * without blanks). Returns the length of FILE, 0 when the message names no place.
 */
static size_t
message_place(const char *msg, long *line, long *col)
{
    *line = *col = 0;
    for (size_t i = 0; msg[i] != '\0' && msg[i] != ' '; i++) {
        if (msg[i] != ':' || i == 0 || msg[i + 1] < '0' || msg[i + 1] > '9')
            continue;
        char *end;
        long l = strtol(msg + i + 1, &end, 10);
        if (*end != ':')
            continue;
        long c = 0;
        if (end[1] >= '0' && end[1] <= '9') {
            char *end2;
            c = strtol(end + 1, &end2, 10);
            if (*end2 != ':')
                c = 0;
        }
        *line = l;
        *col = c;
        return i;
    }
    return 0;
}

/* The members of an error object, after its '{'. */
static void
error_members(FILE *out, const strata_error *err)
{
    int first = 1;
    long line, col;
    size_t file_len = message_place(err->message, &line, &col);
    char file[sizeof(err->message)];
    memcpy(file, err->message, file_len);
    file[file_len] = '\0';
    strata_json_kv_string(out, &first, "code", status_name(err->status));
    strata_json_kv_string(out, &first, "message", err->message);
    strata_json_kv_string(out, &first, "file", file_len ? file : NULL);
    strata_json_key(out, &first, "line");
    line ? fprintf(out, "%ld", line) : fputs("null", out);
    strata_json_key(out, &first, "column");
    col ? fprintf(out, "%ld", col) : fputs("null", out);
    strata_json_kv_string(out, &first, "sqlstate", err->sqlstate[0] ? err->sqlstate : NULL);
    strata_json_kv_string(out, &first, "detail", err->detail[0] ? err->detail : NULL);
    strata_json_kv_string(out, &first, "hint", err->hint[0] ? err->hint : NULL);
}

static void __attribute__((noinline))
strata_report_error_body(FILE *out, const strata_error *err, unsigned flags)
{
    if (!(flags & STRATA_REPORT_JSON)) {
        fprintf(out, "error: %s\n", err->message);
        if (err->sqlstate[0] != '\0')
            fprintf(out, "  SQLSTATE %s\n", err->sqlstate);
        if (err->detail[0] != '\0')
            fprintf(out, "  detail: %s\n", err->detail);
        if (err->hint[0] != '\0')
            fprintf(out, "  hint: %s\n", err->hint);
        return;
    }
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", "strata.error/1");
    strata_json_key(out, &first, "error");
    fputc('{', out);
    error_members(out, err);
    fputs("}}\n", out);
}

void
strata_report_error(FILE *out, const strata_error *err, unsigned flags)
{
    STRATA_GUARD_VOID();
    strata_report_error_body(out, err, flags);
}

/* ------------------------------------------------------------------ up / down */

/* The body of strata_report_run(), which opens the guard (guard.h). */
static void __attribute__((noinline))
strata_report_run_body(FILE *out, const strata_run_report *r, const strata_error *failed,
                       unsigned flags)
{
    if (flags & STRATA_REPORT_JSON) {
        int first = 1;
        fputc('{', out);
        strata_json_kv_string(out, &first, "schema", "strata.run/1");
        strata_json_kv_string(out, &first, "direction", r->direction == 'u' ? "up" : "down");
        strata_json_kv_bool(out, &first, "dry_run", r->dry_run);
        strata_json_kv_int(out, &first, "total_ms", r->total_ms);
        strata_json_key(out, &first, "migrations");
        fputc('[', out);
        for (size_t i = 0; i < r->count; i++) {
            int f = 1;
            fputs(i ? ",{" : "{", out);
            strata_json_kv_string(out, &f, "version", r->items[i].version);
            strata_json_kv_string(out, &f, "name", r->items[i].name);
            strata_json_kv_string(out, &f, "file", r->items[i].file);
            strata_json_kv_int(out, &f, "duration_ms", r->items[i].duration_ms);
            strata_json_kv_int(out, &f, "statements", r->items[i].statements);
            strata_json_kv_bool(out, &f, "transaction", !r->items[i].no_transaction);
            fputc('}', out);
        }
        fputc(']', out);
        if (failed != NULL) {
            strata_json_key(out, &first, "error");
            fputc('{', out);
            error_members(out, failed);
            fputc('}', out);
        }
        fputs("}\n", out);
        return;
    }
    const char *verb = r->direction == 'u' ? "applied" : "rolled back";
    if (r->dry_run)
        fprintf(out, "dry run: %zu migration(s) would be %s; nothing was changed\n", r->count,
                verb);
    else if (r->count == 0)
        fprintf(out, "nothing to do: %s\n",
                r->direction == 'u' ? "the database is up to date" : "nothing to roll back");
    else
        fprintf(out, "%zu migration(s) %s in %lld ms\n", r->count, verb, r->total_ms);
    if (failed != NULL)
        strata_report_error_body(out, failed, flags);
}

void
strata_report_run(FILE *out, const strata_run_report *r, unsigned flags)
{
    STRATA_GUARD_VOID();
    strata_report_run_body(out, r, NULL, flags);
}

void
strata_report_run_failed(FILE *out, const strata_run_report *r, const strata_error *err,
                         unsigned flags)
{
    STRATA_GUARD_VOID();
    strata_report_run_body(out, r, err, flags);
}

/* ------------------------------------------------------------------ validate */

static const char *
problem_name(strata_problem_kind k)
{
    switch (k) {
    case STRATA_PROBLEM_MODIFIED:
        return "modified";
    case STRATA_PROBLEM_MISSING:
        return "missing";
    case STRATA_PROBLEM_DIRTY:
        return "dirty";
    case STRATA_PROBLEM_OUT_OF_ORDER:
        return "out-of-order";
    case STRATA_PROBLEM_NO_DOWN:
        return "no-down";
    case STRATA_PROBLEM_DOWN_MODIFIED:
        return "down-modified";
    case STRATA_PROBLEM_GAP:
        return "gap";
    case STRATA_PROBLEM_EMPTY:
        return "empty";
    }
    return "unknown";
}

static const char *
severity_name(const strata_problem *p)
{
    return p->is_error ? "error" : p->is_info ? "info" : "warning";
}

/* Most info lines shown one by one; beyond, one line counts them. */
#define INFO_LINES 5

/* The body of strata_report_validation(), which opens the guard (guard.h). */
static void __attribute__((noinline))
strata_report_validation_body(FILE *out, const strata_validation_report *r, unsigned flags)
{
    if (flags & STRATA_REPORT_JSON) {
        int first = 1;
        fputc('{', out);
        strata_json_kv_string(out, &first, "schema", "strata.validate/1");
        strata_json_kv_bool(out, &first, "ok", r->errors == 0);
        strata_json_kv_int(out, &first, "checked", (long long)r->checked);
        strata_json_kv_int(out, &first, "errors", (long long)r->errors);
        strata_json_kv_int(out, &first, "warnings", (long long)r->warnings);
        strata_json_kv_int(out, &first, "infos", (long long)r->infos);
        strata_json_key(out, &first, "problems");
        fputc('[', out);
        for (size_t i = 0; i < r->count; i++) {
            int f = 1;
            fputs(i ? ",{" : "{", out);
            strata_json_kv_string(out, &f, "kind", problem_name(r->items[i].kind));
            strata_json_kv_string(out, &f, "severity", severity_name(&r->items[i]));
            strata_json_kv_string(out, &f, "version", r->items[i].version);
            strata_json_kv_string(out, &f, "file", r->items[i].file);
            strata_json_kv_string(out, &f, "message", r->items[i].message);
            fputc('}', out);
        }
        fputs("]}\n", out);
        return;
    }
    int color = flags & STRATA_REPORT_COLOR;
    for (size_t i = 0; i < r->count; i++) {
        const strata_problem *p = &r->items[i];
        if (p->is_info && r->infos > INFO_LINES)
            continue;
        fprintf(out, "%s%s%s: %s\n",
                !color        ? ""
                : p->is_error ? RED
                : p->is_info  ? ""
                              : YELLOW,
                severity_name(p), color && !p->is_info ? RESET : "", p->message);
    }
    if (r->infos > INFO_LINES)
        fprintf(out,
                "info: %zu empty script(s) run as no-ops; `strata validate --json` lists them\n",
                r->infos);
    fprintf(out, "%zu migration(s) checked: %zu error(s), %zu warning(s)\n", r->checked, r->errors,
            r->warnings);
}

void
strata_report_validation(FILE *out, const strata_validation_report *r, unsigned flags)
{
    STRATA_GUARD_VOID();
    strata_report_validation_body(out, r, flags);
}

/* ------------------------------------------------------------------ drivers */

static void
drivers_json(FILE *out, const strata_driver_list *l)
{
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", "strata.drivers/1");
    strata_json_key(out, &first, "searched");
    fputc('[', out);
    for (size_t i = 0; i < l->nsearched; i++) {
        if (i)
            fputc(',', out);
        strata_json_string(out, l->searched[i]);
    }
    fputc(']', out);
    strata_json_key(out, &first, "drivers");
    fputc('[', out);
    for (size_t i = 0; i < l->count; i++) {
        const strata_driver_info *d = &l->items[i];
        int f = 1;
        fputs(i ? ",{" : "{", out);
        strata_json_kv_string(out, &f, "name", d->name);
        strata_json_kv_string(out, &f, "file", d->file);
        strata_json_kv_string(out, &f, "version", d->version);
        strata_json_kv_string(out, &f, "dialect", d->dialect);
        strata_json_kv_string(out, &f, "schemes", d->schemes);
        strata_json_kv_string(out, &f, "capabilities", d->capabilities);
        strata_json_kv_string(out, &f, "url_shape", d->url_shape);
        strata_json_kv_string(out, &f, "features", d->features);
        strata_json_kv_string(out, &f, "client_version", d->client_version);
        strata_json_kv_int(out, &f, "abi", d->abi_version);
        strata_json_kv_string(out, &f, "refused", d->refused);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

/* The body of strata_report_drivers(), which opens the guard (guard.h). */
static void __attribute__((noinline))
strata_report_drivers_body(FILE *out, const strata_driver_list *l, unsigned flags)
{
    if (flags & STRATA_REPORT_JSON) {
        drivers_json(out, l);
        return;
    }
    fputs("searched, in order:\n", out);
    for (size_t i = 0; i < l->nsearched; i++)
        fprintf(out, "  %s\n", l->searched[i]);
    size_t usable = 0, refused = 0;
    for (size_t i = 0; i < l->count; i++)
        l->items[i].refused ? refused++ : usable++;
    fprintf(out, "\ndrivers (%zu):\n", usable);
    for (size_t i = 0; i < l->count; i++) {
        const strata_driver_info *d = &l->items[i];
        if (d->refused)
            continue;
        fprintf(out, "  %-10s %-8s dialect %-9s schemes %-20s abi %u  client %s\n", d->name,
                d->version, d->dialect, d->schemes, d->abi_version,
                d->client_version ? d->client_version : "-");
        fprintf(out, "  %-10s %s URLs; capabilities %s; features %s\n", "", d->url_shape,
                *d->capabilities ? d->capabilities : "none", *d->features ? d->features : "none");
        fprintf(out, "  %-10s file %s\n", "", d->file);
    }
    if (refused == 0)
        return;
    fprintf(out, "\nrefused (%zu):\n", refused);
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].refused)
            fprintf(out, "  %s: %s\n", l->items[i].file, l->items[i].refused);
}

void
strata_report_drivers(FILE *out, const strata_driver_list *l, unsigned flags)
{
    STRATA_GUARD_VOID();
    strata_report_drivers_body(out, l, flags);
}

/* ------------------------------------------------------------------ event log */

static void
log_json(FILE *out, const strata_log *l)
{
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", "strata.history/1");
    strata_json_key(out, &first, "events");
    fputc('[', out);
    for (size_t i = 0; i < l->count; i++) {
        const strata_log_entry *e = &l->items[i];
        int f = 1;
        fputs(i ? ",{" : "{", out);
        strata_json_kv_int(out, &f, "id", e->id);
        strata_json_kv_string(out, &f, "version", e->version);
        strata_json_kv_string(out, &f, "name", e->name);
        strata_json_kv_string(out, &f, "action", e->action);
        strata_json_kv_string(out, &f, "outcome", e->outcome);
        strata_json_kv_string(out, &f, "started_at", e->started_at);
        strata_json_kv_int(out, &f, "duration_ms", e->duration_ms);
        strata_json_kv_string(out, &f, "performed_by", e->performed_by);
        strata_json_kv_string(out, &f, "strata_version", e->strata_version);
        strata_json_kv_string(out, &f, "detail", e->detail);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

/* The body of strata_report_log(), which opens the guard (guard.h). */
static void __attribute__((noinline))
strata_report_log_body(FILE *out, const strata_log *l, unsigned flags)
{
    if (flags & STRATA_REPORT_JSON) {
        log_json(out, l);
        return;
    }
    int color = flags & STRATA_REPORT_COLOR;
    fprintf(out, "%-19s  %-8s  %-16s  %-24s  %-7s  %9s  %s\n", "WHEN (UTC)", "ACTION", "VERSION",
            "NAME", "OUTCOME", "DURATION", "BY");
    for (size_t i = 0; i < l->count; i++) {
        const strata_log_entry *e = &l->items[i];
        int failed = strcmp(e->outcome, "ok") != 0;
        fprintf(out, "%-19s  %-8s  %-16.16s  %-24.24s  %s%-7s%s  %6lld ms  %s\n", e->started_at,
                e->action, e->version ? e->version : "-", e->name ? e->name : "-",
                color ? (failed ? RED : GREEN) : "", e->outcome, color ? RESET : "", e->duration_ms,
                e->performed_by);
        if (e->detail != NULL && *e->detail != '\0')
            fprintf(out, "%21s%s\n", "", e->detail);
    }
    if (l->count == 0)
        fputs("(no events)\n", out);
}

void
strata_report_log(FILE *out, const strata_log *l, unsigned flags)
{
    STRATA_GUARD_VOID();
    strata_report_log_body(out, l, flags);
}
