/*
 * Printing a fleet's report (docs/fleet.md): a table per target, a version matrix for
 * status (identical targets grouped), or strata.fleet/1.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "json.h"
#include "util.h"
#include "version.h"

static const char *
outcome_word(int outcome)
{
    return outcome == 1 ? "ok" : outcome == 2 ? "FAILED" : "not started";
}

static const char *
stop_reason(int stopped)
{
    switch (stopped) {
    case 1:
        return "a canary failed, so no other target was started";
    case 2:
        return "too many failures (--max-failures), so no other target was started";
    case 3:
        return "interrupted: running targets finished, no other was started";
    default:
        return NULL;
    }
}

static void
table(FILE *out, const strata_fleet_report *r)
{
    size_t width = 6;
    for (size_t i = 0; i < r->count; i++)
        if (strlen(r->items[i].label) > width)
            width = strlen(r->items[i].label);
    if (width > 70)
        width = 70;
    fprintf(out, "%-*s  %-31s %8s  %s\n", (int)width, "target", "version before -> after", "ms",
            "outcome");
    for (size_t i = 0; i < r->count; i++) {
        const strata_fleet_result *res = &r->items[i];
        char versions[64];
        snprintf(versions, sizeof(versions), "%s -> %s",
                 res->before ? (res->before[0] ? res->before : "none") : "?",
                 res->after ? (res->after[0] ? res->after : "none") : "?");
        fprintf(out, "%-*.*s  %-31s %8lld  %s%s%s\n", (int)width, (int)width, res->label,
                res->outcome ? versions : "", res->duration_ms, outcome_word(res->outcome),
                res->error ? ": " : "", res->error ? res->error : "");
        if (res->hint != NULL)
            fprintf(out, "%-*s  hint: %s\n", (int)width, "", res->hint);
    }
}

/* ------------------------------------------------------------------ the status matrix */

static int
cmp_versions(const void *a, const void *b)
{
    return strata_version_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* True when targets i and k have applied the same versions. */
static int
same_versions(const strata_fleet_result *a, const strata_fleet_result *b)
{
    if (a->napplied != b->napplied || a->outcome != b->outcome)
        return 0;
    for (size_t i = 0; i < a->napplied; i++)
        if (strcmp(a->applied[i], b->applied[i]) != 0)
            return 0;
    return 1;
}

static void
matrix(FILE *out, const strata_fleet_report *r)
{
    /* every version applied anywhere, in order */
    const char **all = NULL;
    size_t nall = 0;
    for (size_t i = 0; i < r->count; i++)
        for (size_t k = 0; k < r->items[i].napplied; k++) {
            const char *v = r->items[i].applied[k];
            int seen = 0;
            for (size_t j = 0; j < nall && !seen; j++)
                seen = strcmp(all[j], v) == 0;
            if (!seen) {
                all = strata_xrealloc(all, (nall + 1) * sizeof(*all));
                all[nall++] = v;
            }
        }
    if (nall > 1)
        qsort(all, nall, sizeof(*all), cmp_versions);
    unsigned char *done = strata_xcalloc(r->count + 1, 1);
    fprintf(out, "%-12s", "targets");
    for (size_t j = 0; j < nall; j++)
        fprintf(out, " %s", all[j]);
    fputs("  pending\n", out);
    for (size_t i = 0; i < r->count; i++) {
        if (done[i])
            continue;
        const strata_fleet_result *a = &r->items[i];
        size_t members = 0;
        for (size_t k = i; k < r->count; k++)
            if (!done[k] && same_versions(a, &r->items[k]))
                members++;
        char count[32];
        snprintf(count, sizeof(count), "%zu target%s", members, members == 1 ? "" : "s");
        fprintf(out, "%-12s", count);
        for (size_t j = 0; j < nall; j++) {
            int has = 0;
            for (size_t k = 0; k < a->napplied && !has; k++)
                has = strcmp(a->applied[k], all[j]) == 0;
            fprintf(out, " %*s", (int)strlen(all[j]), has ? "x" : ".");
        }
        fprintf(out, "  %zu%s%s\n", a->pending, a->outcome == 2 ? "  FAILED: " : "",
                a->outcome == 2 && a->error ? a->error : "");
        size_t shown = 0;
        for (size_t k = i; k < r->count; k++) {
            if (done[k] || !same_versions(a, &r->items[k]))
                continue;
            done[k] = 1;
            if (shown++ < 3)
                fprintf(out, "    %s\n", r->items[k].label);
        }
        if (shown > 3)
            fprintf(out, "    ... and %zu more\n", shown - 3);
    }
    free(done);
    free(all);
}

/* ------------------------------------------------------------------ JSON */

static void
json(FILE *out, const strata_fleet_report *r)
{
    static const char *const commands[] = {"",         "up",    "down",  "status",
                                           "validate", "drift", "verify"};
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", "strata.fleet/1");
    strata_json_kv_string(out, &first, "command",
                          r->command > 0 && r->command <= 6 ? commands[r->command] : "");
    strata_json_kv_int(out, &first, "targets", (long long)r->count);
    strata_json_kv_int(out, &first, "succeeded", (long long)r->succeeded);
    strata_json_kv_int(out, &first, "failed", (long long)r->failed);
    strata_json_kv_int(out, &first, "not_started", (long long)r->not_started);
    strata_json_kv_string(out, &first, "stopped", stop_reason(r->stopped));
    strata_json_key(out, &first, "results");
    fputc('[', out);
    for (size_t i = 0; i < r->count; i++) {
        const strata_fleet_result *res = &r->items[i];
        int f = 1;
        fputs(i ? ",{" : "{", out);
        strata_json_kv_string(out, &f, "target", res->label);
        strata_json_kv_string(out, &f, "outcome",
                              res->outcome == 1   ? "succeeded"
                              : res->outcome == 2 ? "failed"
                                                  : "not_started");
        strata_json_kv_string(out, &f, "before", res->before);
        strata_json_kv_string(out, &f, "after", res->after);
        strata_json_kv_int(out, &f, "duration_ms", res->duration_ms);
        strata_json_kv_string(out, &f, "error", res->error);
        strata_json_kv_string(out, &f, "hint", res->hint);
        if (r->command == 3) {
            strata_json_kv_strings(out, &f, "applied", (const char *const *)res->applied,
                                   res->napplied);
            strata_json_kv_int(out, &f, "pending", (long long)res->pending);
        }
        fputc('}', out);
    }
    fputs("]}\n", out);
}

static void
report_body(FILE *out, const strata_fleet_report *r, unsigned flags)
{
    if (flags & STRATA_REPORT_JSON) {
        json(out, r);
        return;
    }
    if (r->command == 3)
        matrix(out, r);
    else
        table(out, r);
    fprintf(out, "\nfleet: %zu target(s): %zu succeeded, %zu failed, %zu not started\n", r->count,
            r->succeeded, r->failed, r->not_started);
    if (stop_reason(r->stopped) != NULL)
        fprintf(out, "fleet: %s\n", stop_reason(r->stopped));
}

void
strata_report_fleet(FILE *out, const strata_fleet_report *r, unsigned flags)
{
    STRATA_GUARD_VOID();
    report_body(out, r, flags);
}

static void
targets_body(FILE *out, const strata_fleet *f, unsigned flags)
{
    if (!(flags & STRATA_REPORT_JSON)) {
        for (size_t i = 0; i < f->count; i++)
            fprintf(out, "%s\n", f->items[i].label);
        return;
    }
    const char **labels = strata_xcalloc(f->count + 1, sizeof(*labels));
    for (size_t i = 0; i < f->count; i++)
        labels[i] = f->items[i].label;
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", "strata.fleet-list/1");
    strata_json_kv_strings(out, &first, "targets", labels, f->count);
    fputs("}\n", out);
    free(labels);
}

void
strata_report_fleet_targets(FILE *out, const strata_fleet *f, unsigned flags)
{
    STRATA_GUARD_VOID();
    targets_body(out, f, flags);
}
