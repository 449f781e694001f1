/*
 * Printing a lint report: grouped text for people, strata.lint/1 JSON, GitHub Actions
 * annotations and SARIF 2.1.0 (docs/lint.md, docs/json.md).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "json.h"
#include "lint.h"

#define RED "\033[31m"
#define YELLOW "\033[33m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static const char *
severity_word(int severity)
{
    return severity == STRATA_LINT_ERROR     ? "error"
           : severity == STRATA_LINT_WARNING ? "warning"
                                             : "notice";
}

/* ------------------------------------------------------------------ text */

static void
text_finding(FILE *out, const strata_lint_finding *f, int color)
{
    const char *on = !color                               ? ""
                     : f->suppressed                      ? DIM
                     : f->severity == STRATA_LINT_ERROR   ? RED
                     : f->severity == STRATA_LINT_WARNING ? YELLOW
                                                          : "";
    fprintf(out, "  %ld:%ld  %s%-7s%s  %s  %s%s\n", f->line, f->col, on,
            f->suppressed ? "ignored" : severity_word(f->severity), color && *on ? RESET : "",
            f->rule, f->down ? "(down) " : "", f->message);
    if (f->statement != NULL)
        fprintf(out, "      %s\n", f->statement);
    if (f->suppressed != NULL)
        fprintf(out, "      lint-ignore: %s\n", f->suppressed);
}

/* The rules that have findings shown, each once, with their explanation. */
static void
text_explanations(FILE *out, const strata_lint_report *r)
{
    size_t n;
    const strata_lint_rule *rules = strata_lint_rules(&n);
    int header = 0;
    for (size_t k = 0; k < n; k++) {
        int seen = 0;
        for (size_t i = 0; i < r->count && !seen; i++)
            seen = r->items[i].rule == rules[k].id;
        if (!seen)
            continue;
        if (!header)
            fputs("\n", out);
        header = 1;
        fprintf(out, "%s (%s): %s.\n  %s\n", rules[k].id, severity_word(rules[k].severity),
                rules[k].summary, rules[k].explanation);
    }
}

static void
report_text(FILE *out, const strata_lint_report *r, int verbose, int color)
{
    const char *file = NULL;
    for (size_t i = 0; i < r->count; i++) {
        const strata_lint_finding *f = &r->items[i];
        if (f->suppressed && !verbose)
            continue;
        if (file == NULL || strcmp(file, f->file) != 0)
            fprintf(out, "%s%s\n", file ? "\n" : "", f->file);
        file = f->file;
        text_finding(out, f, color);
    }
    if (verbose)
        text_explanations(out, r);
    if (file != NULL)
        fputs("\n", out);
    fprintf(out, "lint: %zu error(s), %zu warning(s), %zu notice(s) in %zu migration(s) (%s rules)",
            r->errors, r->warnings, r->notices, r->migrations,
            r->dialect[0] ? r->dialect : "common");
    if (r->suppressed > 0)
        fprintf(out, "; %zu suppressed by lint-ignore", r->suppressed);
    if (!verbose && r->count > 0)
        fputs(" (-v explains each rule and lists suppressed findings)", out);
    fputs("\n", out);
}

/* ------------------------------------------------------------------ JSON */

static void
report_json(FILE *out, const strata_lint_report *r)
{
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", "strata.lint/1");
    strata_json_kv_string(out, &first, "dialect", r->dialect);
    strata_json_kv_int(out, &first, "migrations", (long long)r->migrations);
    strata_json_kv_int(out, &first, "errors", (long long)r->errors);
    strata_json_kv_int(out, &first, "warnings", (long long)r->warnings);
    strata_json_kv_int(out, &first, "notices", (long long)r->notices);
    strata_json_kv_int(out, &first, "suppressed", (long long)r->suppressed);
    strata_json_key(out, &first, "findings");
    fputc('[', out);
    for (size_t i = 0; i < r->count; i++) {
        const strata_lint_finding *f = &r->items[i];
        int k = 1;
        fputs(i ? ",{" : "{", out);
        strata_json_kv_string(out, &k, "rule", f->rule);
        strata_json_kv_string(out, &k, "severity", severity_word(f->severity));
        strata_json_kv_string(out, &k, "version", f->version);
        strata_json_kv_string(out, &k, "file", f->file);
        strata_json_kv_int(out, &k, "line", f->line);
        strata_json_kv_int(out, &k, "col", f->col);
        strata_json_kv_string(out, &k, "script", f->down ? "down" : "up");
        strata_json_kv_string(out, &k, "statement", f->statement);
        strata_json_kv_string(out, &k, "message", f->message);
        strata_json_kv_string(out, &k, "suppressed", f->suppressed);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

/* ------------------------------------------------------------------ GitHub */

/* Writes s escaped for a workflow command: property values also escape ':' and ','. */
static void
github_escape(FILE *out, const char *s, int property)
{
    for (; *s != '\0'; s++) {
        if (*s == '%')
            fputs("%25", out);
        else if (*s == '\r')
            fputs("%0D", out);
        else if (*s == '\n')
            fputs("%0A", out);
        else if (property && *s == ':')
            fputs("%3A", out);
        else if (property && *s == ',')
            fputs("%2C", out);
        else
            fputc(*s, out);
    }
}

static void
report_github(FILE *out, const strata_lint_report *r)
{
    for (size_t i = 0; i < r->count; i++) {
        const strata_lint_finding *f = &r->items[i];
        if (f->suppressed)
            continue;
        fprintf(out, "::%s file=", severity_word(f->severity));
        github_escape(out, f->file, 1);
        fprintf(out, ",line=%ld,col=%ld,title=", f->line, f->col);
        github_escape(out, f->rule, 1);
        fputs("::", out);
        github_escape(out, f->message, 0);
        fputc('\n', out);
    }
}

/* ------------------------------------------------------------------ SARIF */

static const char *
sarif_level(int severity)
{
    return severity == STRATA_LINT_ERROR     ? "error"
           : severity == STRATA_LINT_WARNING ? "warning"
                                             : "note";
}

static void
sarif_rules(FILE *out)
{
    size_t n;
    const strata_lint_rule *rules = strata_lint_rules(&n);
    fputs("\"rules\":[", out);
    for (size_t k = 0; k < n; k++) {
        int f = 1;
        fputs(k ? ",{" : "{", out);
        strata_json_kv_string(out, &f, "id", rules[k].id);
        strata_json_key(out, &f, "shortDescription");
        fputs("{\"text\":", out);
        strata_json_string(out, rules[k].summary);
        fputs("},\"fullDescription\":{\"text\":", out);
        strata_json_string(out, rules[k].explanation);
        fprintf(out, "},\"defaultConfiguration\":{\"level\":\"%s\"}",
                sarif_level(rules[k].severity));
        fputs(",\"properties\":{\"dialects\":", out);
        strata_json_string(out, rules[k].dialects);
        fputs("}}", out);
    }
    fputc(']', out);
}

/* The index of rule id in the catalogue. */
static long
rule_index(const char *id)
{
    size_t n;
    const strata_lint_rule *rules = strata_lint_rules(&n);
    for (size_t k = 0; k < n; k++)
        if (strcmp(rules[k].id, id) == 0)
            return (long)k;
    return -1;
}

static void
report_sarif(FILE *out, const strata_lint_report *r)
{
    fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
          "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"strata\",\"version\":",
          out);
    strata_json_string(out, PACKAGE_VERSION);
    fputc(',', out);
    sarif_rules(out);
    fputs("}},\"results\":[", out);
    for (size_t i = 0; i < r->count; i++) {
        const strata_lint_finding *f = &r->items[i];
        int k = 1;
        fputs(i ? ",{" : "{", out);
        strata_json_kv_string(out, &k, "ruleId", f->rule);
        strata_json_kv_int(out, &k, "ruleIndex", rule_index(f->rule));
        strata_json_kv_string(out, &k, "level", sarif_level(f->severity));
        fputs(",\"message\":{\"text\":", out);
        strata_json_string(out, f->message);
        fputs("},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":", out);
        strata_json_string(out, f->file);
        fprintf(out, "},\"region\":{\"startLine\":%ld,\"startColumn\":%ld}}}]", f->line, f->col);
        if (f->suppressed != NULL) {
            fputs(",\"suppressions\":[{\"kind\":\"inSource\",\"justification\":", out);
            strata_json_string(out, f->suppressed);
            fputs("}]", out);
        }
        fputc('}', out);
    }
    fputs("]}]}\n", out);
}

static void
strata_report_lint_body(FILE *out, const strata_lint_report *r, int format, int verbose,
                        unsigned flags)
{
    if (format == STRATA_LINT_FORMAT_JSON || (flags & STRATA_REPORT_JSON))
        report_json(out, r);
    else if (format == STRATA_LINT_FORMAT_GITHUB)
        report_github(out, r);
    else if (format == STRATA_LINT_FORMAT_SARIF)
        report_sarif(out, r);
    else
        report_text(out, r, verbose, (flags & STRATA_REPORT_COLOR) != 0);
}

void
strata_report_lint(FILE *out, const strata_lint_report *r, int format, int verbose, unsigned flags)
{
    STRATA_GUARD_VOID();
    strata_report_lint_body(out, r, format, verbose, flags);
}
