/*
 * Printing schema differences and verify reports (docs/schema.md, docs/json.md).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "json.h"
#include "schema.h"

static void
report_diff_body(FILE *out, const strata_schema_diff *d, const char *schema, unsigned flags)
{
    if (!(flags & STRATA_REPORT_JSON)) {
        strata_schema_diff_text(out, d, "");
        return;
    }
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", schema);
    strata_json_kv_int(out, &first, "differences", (long long)d->count);
    strata_json_key(out, &first, "changes");
    strata_schema_diff_json(out, d);
    fputs("}\n", out);
}

void
strata_report_schema_diff(FILE *out, const strata_schema_diff *d, const char *schema,
                          unsigned flags)
{
    STRATA_GUARD_VOID();
    report_diff_body(out, d, schema, flags);
}

static void
verify_text(FILE *out, const strata_verify_report *r)
{
    const char *db = NULL;
    for (size_t i = 0; i < r->count; i++) {
        const strata_verify_item *it = &r->items[i];
        if (db == NULL || strcmp(db, it->database) != 0)
            fprintf(out, "%s%s\n", db ? "\n" : "", it->database);
        db = it->database;
        fprintf(out, "  %-4s %s%s%s: %s\n", it->problem ? "FAIL" : "ok", it->version,
                it->version[0] ? " " : "", it->name,
                it->problem      ? it->problem
                : it->version[0] ? "down undoes up, and up again gives the same schema"
                                 : "down to zero leaves nothing, up again gives the same schema");
        if (it->diff != NULL)
            strata_schema_diff_text(out, it->diff, "       ");
    }
    for (size_t i = 0; i < r->nportability; i++)
        fprintf(out, "%s  not portable: %s\n", i == 0 ? "\n" : "", r->portability_notes[i]);
    fprintf(out, "\nverify: %zu problem(s) in %zu check(s)%s\n", r->failed, r->count,
            r->nportability ? "; the dialects differ on portable properties" : "");
}

static void
verify_json(FILE *out, const strata_verify_report *r)
{
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", "strata.verify/1");
    strata_json_kv_int(out, &first, "failed", (long long)r->failed);
    strata_json_key(out, &first, "items");
    fputc('[', out);
    for (size_t i = 0; i < r->count; i++) {
        const strata_verify_item *it = &r->items[i];
        int f = 1;
        fputs(i ? ",{" : "{", out);
        strata_json_kv_string(out, &f, "database", it->database);
        strata_json_kv_string(out, &f, "version", it->version[0] ? it->version : NULL);
        strata_json_kv_string(out, &f, "name", it->name);
        strata_json_kv_string(out, &f, "problem", it->problem);
        strata_json_kv_strings(out, &f, "steps", (const char *const *)it->steps, it->nsteps);
        strata_json_key(out, &f, "changes");
        if (it->diff != NULL)
            strata_schema_diff_json(out, it->diff);
        else
            fputs("[]", out);
        fputc('}', out);
    }
    fputc(']', out);
    strata_json_kv_strings(out, &first, "portability", (const char *const *)r->portability_notes,
                           r->nportability);
    fputs("}\n", out);
}

static void
report_verify_body(FILE *out, const strata_verify_report *r, unsigned flags)
{
    if (flags & STRATA_REPORT_JSON)
        verify_json(out, r);
    else
        verify_text(out, r);
}

void
strata_report_verify(FILE *out, const strata_verify_report *r, unsigned flags)
{
    STRATA_GUARD_VOID();
    report_verify_body(out, r, flags);
}
