/*
 * `strata lint` and the lint gate of `up --lint` (docs/lint.md).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strata/settings.h>
#include <strata/strata.h>

#include "lintcmd.h"
#include "setup.h"

static const char *const severity_words[] = {"off", "notice", "warning", "error"};

/* The severity --fail-on names (never: 4, above every finding); -1 when unknown. */
static int
fail_level(const char *word)
{
    if (word == NULL)
        return STRATA_LINT_ERROR;
    if (strcmp(word, "never") == 0)
        return STRATA_LINT_ERROR + 1;
    for (int i = STRATA_LINT_NOTICE; i <= STRATA_LINT_ERROR; i++)
        if (strcmp(word, severity_words[i]) == 0)
            return i;
    return -1;
}

static int
output_format(const cli *c)
{
    if (c->json || (c->format != NULL && strcmp(c->format, "json") == 0))
        return STRATA_LINT_FORMAT_JSON;
    if (c->format == NULL || strcmp(c->format, "text") == 0)
        return STRATA_LINT_FORMAT_TEXT;
    if (strcmp(c->format, "github") == 0)
        return STRATA_LINT_FORMAT_GITHUB;
    if (strcmp(c->format, "sarif") == 0)
        return STRATA_LINT_FORMAT_SARIF;
    return -1;
}

/* Findings not suppressed at or above level. */
static size_t
findings_at(const strata_lint_report *r, int level)
{
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++)
        n += r->items[i].suppressed == NULL && r->items[i].severity >= level;
    return n;
}

static int
print_rules(const cli *c)
{
    size_t n;
    const strata_lint_rule *rules = strata_lint_rules(&n);
    for (size_t i = 0; i < n; i++) {
        printf("%-31s %-8s %-9s %s\n", rules[i].id, severity_words[rules[i].severity],
               rules[i].dialects, rules[i].summary);
        if (c->verbose)
            printf("    %s\n\n", rules[i].explanation);
    }
    return EXIT_OK;
}

/* Lints what c names: offline for files, --since or --all; else the pending migrations of
 * the database. */
static int
run_lint(cli *c, strata_lint_report **r, strata_error *err)
{
    strata_lint_options lo = {.size = sizeof(lo),
                              .files = c->nargs > 0 ? (const char *const *)c->args : NULL,
                              .since = c->since,
                              .all = c->all,
                              .server_version = c->server_version};
    if (c->nargs == 0 && c->since == NULL && !c->all) {
        strata *s = NULL;
        int rc = cli_open_session(c, 1, &s, err);
        if (rc != STRATA_OK && err->hint[0] == '\0')
            snprintf(err->hint, sizeof(err->hint),
                     "without --all, --since or files lint reads the database's pending "
                     "migrations; `strata lint --all` needs no database");
        if (rc == STRATA_OK)
            rc = strata_lint_pending(s, &lo, r, err);
        strata_close(s);
        return rc;
    }
    strata_settings *set = NULL;
    int rc = cli_resolve(c, &set, err);
    if (rc == STRATA_OK) {
        strata_options o;
        cli_options_from(c, set, 1, &o);
        rc = strata_lint(&o, &lo, r, err);
        free((void *)o.placeholders);
    }
    strata_settings_free(set);
    return rc;
}

int
cmd_lint(cli *c)
{
    if (c->rules)
        return print_rules(c);
    int format = output_format(c), level = fail_level(c->fail_on);
    if (format < 0) {
        fprintf(stderr, "strata: lint --format takes text, json, github or sarif, not '%s'\n",
                c->format);
        return EXIT_USAGE;
    }
    if (level < 0) {
        fprintf(stderr, "strata: --fail-on takes error, warning, notice or never, not '%s'\n",
                c->fail_on);
        return EXIT_USAGE;
    }
    strata_lint_report *r = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = run_lint(c, &r, &err);
    if (rc != STRATA_OK)
        return cli_report_error(c, &err);
    strata_report_lint(stdout, r, format, c->verbose, cli_report_flags(c));
    int code = findings_at(r, level) > 0 ? EXIT_VALIDATION : EXIT_OK;
    strata_lint_report_free(r);
    return code;
}

int
cli_lint_gate(cli *c, strata *s)
{
    if (c->lint_level <= 0)
        return EXIT_OK;
    strata_lint_options lo = {.size = sizeof(lo), .server_version = c->server_version};
    strata_lint_report *r = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = strata_lint_pending(s, &lo, &r, &err);
    if (rc != STRATA_OK)
        return cli_report_error(c, &err);
    size_t n = findings_at(r, (int)c->lint_level);
    if (n > 0) {
        strata_report_lint(stderr, r, STRATA_LINT_FORMAT_TEXT, c->verbose,
                           c->color ? STRATA_REPORT_COLOR : 0);
        cli_fail(&err, STRATA_VALIDATION,
                 "up refused before touching the database: %zu lint finding(s) at or above "
                 "%s (up --lint / lint in strata.conf); fix them or suppress each with "
                 "-- strata:lint-ignore RULE reason",
                 n, severity_words[c->lint_level]);
    }
    strata_lint_report_free(r);
    return n > 0 ? cli_report_error(c, &err) : EXIT_OK;
}
