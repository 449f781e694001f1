#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <strata/strata.h>

#include "commands.h"
#include "help.h"
#include "fleetcmd.h"
#include "lintcmd.h"
#include "schemacmd.h"
#include "setup.h"
#include <strata/settings.h>

/* ------------------------------------------------------------------ commands */

static int
cmd_run(cli *c, int up)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    if (c->all && (c->to || c->step))
        return fprintf(stderr, "strata: --all cannot be combined with --to or --step\n"),
               EXIT_USAGE;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_run_report *r = NULL;
    strata_run_options o = {.size = sizeof(o),
                            .to_version = c->to,
                            .step = c->step,
                            .all = c->all,
                            .dry_run = c->dry_run,
                            .resume = c->resume,
                            .ignore_missing = c->ignore_missing};
    if (c->backup != NULL && c->dry_run)
        return fprintf(stderr, "strata: --backup and --dry-run do not go together (a dry run "
                               "changes nothing to back up)\n"),
               EXIT_USAGE;
    int rc = cli_open_session(c, c->dry_run, &s, &err);
    cli_stop_on_signals();       /* SIGINT, SIGTERM: the run stops between statements, cleanly */
    if (rc == STRATA_OK && up) { /* --lint / lint = SEVERITY: refuse before anything runs */
        int code = cli_lint_gate(c, s);
        if (code != EXIT_OK) {
            strata_close(s);
            return code;
        }
    }
    if (rc == STRATA_OK && c->backup != NULL) { /* up --backup: nothing runs without it */
        rc = strata_backup(s, c->backup, &err);
        if (rc == STRATA_OK && !c->quiet)
            fprintf(stderr, "strata: backed up %s to %s\n", strata_redacted_url(s), c->backup);
    }
    if (rc == STRATA_OK)
        rc = up ? strata_up(s, &o, &r, &err) : strata_down(s, &o, &r, &err);
    int printed = r != NULL && c->json && rc != STRATA_OK;
    if (printed) /* the run so far, with the error in the same document */
        strata_report_run_failed(stdout, r, &err, cli_report_flags(c));
    else if (r != NULL && rc == STRATA_OK && (c->json || !c->quiet))
        strata_report_run(stdout, r, cli_report_flags(c));
    if (rc == STRATA_OK && up && !c->dry_run) { /* dump_after_up = FILE */
        int code = cli_dump_after_up(c, s);
        if (code != EXIT_OK) {
            strata_run_report_free(r);
            strata_close(s);
            return code;
        }
    }
    strata_run_report_free(r);
    strata_close(s);
    if (rc == STRATA_OK)
        return EXIT_OK;
    return printed ? cli_report_error_text(c, &err) : cli_report_error(c, &err);
}

/* ---- status --all-envs: one matrix of which versions are applied in which environment */

/* The process environment without the variables that would override every section. */
static const char *
env_without_overrides(void *ctx, const char *name)
{
    static const char *const hidden[] = {
        "DATABASE_URL", "STRATA_DIR", "STRATA_TABLE", "STRATA_SCHEMA", "STRATA_LOCK_TIMEOUT",
        "STRATA_ENV",   NULL};
    (void)ctx;
    for (const char *const *h = hidden; *h != NULL; h++)
        if (strcmp(name, *h) == 0)
            return NULL;
    return getenv(name);
}

/* Numeric, component-wise order of dotted versions ("R__x" repeatables last). */
static int
version_order(const char *a, const char *b)
{
    int ra = strncmp(a, "R__", 3) == 0, rb = strncmp(b, "R__", 3) == 0;
    if (ra != rb)
        return ra - rb;
    while (*a != '\0' || *b != '\0') {
        char *ea, *eb;
        unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
        if (x != y)
            return x < y ? -1 : 1;
        if (ea == a || eb == b)
            return strcmp(a, b);
        a = *ea == '.' ? ea + 1 : ea;
        b = *eb == '.' ? eb + 1 : eb;
    }
    return 0;
}

typedef struct env_status {
    const char *env;
    strata_status_report *report; /* NULL when the environment could not be read */
    strata_error err;
} env_status;

static const char *
state_in(const env_status *e, const char *version)
{
    static const char *const names[] = {"",        "applied",      "pending", "DIRTY",   "MODIFIED",
                                        "MISSING", "out-of-order", "n/a",     "outdated"};
    if (e->report == NULL)
        return "?";
    for (size_t i = 0; i < e->report->count; i++)
        if (strcmp(e->report->items[i].version, version) == 0)
            return names[e->report->items[i].state];
    return "-";
}

static int
cmp_item_versions(const void *x, const void *y)
{
    return version_order((*(const strata_status_item *const *)x)->version,
                         (*(const strata_status_item *const *)y)->version);
}

static void
print_matrix(env_status *envs, size_t n)
{
    size_t total = 0, rows = 0;
    for (size_t i = 0; i < n; i++)
        total += envs[i].report ? envs[i].report->count : 0;
    const strata_status_item **all = calloc(total + 1, sizeof(*all));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; envs[i].report && j < envs[i].report->count; j++)
            all[rows++] = &envs[i].report->items[j];
    qsort(all, rows, sizeof(*all), cmp_item_versions);
    printf("%-16s %-28s", "VERSION", "NAME");
    for (size_t i = 0; i < n; i++)
        printf(" %-14s", envs[i].env);
    putchar('\n');
    for (size_t r = 0; r < rows; r++) {
        if (r > 0 && strcmp(all[r]->version, all[r - 1]->version) == 0)
            continue;
        printf("%-16.16s %-28.28s", all[r]->version, all[r]->name);
        for (size_t i = 0; i < n; i++)
            printf(" %-14s", state_in(&envs[i], all[r]->version));
        putchar('\n');
    }
    for (size_t i = 0; i < n; i++)
        if (envs[i].report == NULL)
            fprintf(stderr, "strata: %s: %s\n", envs[i].env, envs[i].err.message);
    free(all);
}

static int
status_all_envs(cli *c)
{
    const char *path = c->config ? c->config : getenv("STRATA_CONFIG");
    strata_config *cfg = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = strata_config_load(path ? path : "strata.conf", &cfg, &err);
    size_t n = rc == STRATA_OK ? strata_config_env_count(cfg) : 0;
    if (rc == STRATA_OK && n == 0)
        rc = cli_fail(&err, STRATA_USAGE, "--all-envs needs a strata.conf with environments");
    env_status *envs = calloc(n + 1, sizeof(*envs));
    int failures = 0;
    for (size_t i = 0; rc == STRATA_OK && i < n; i++) {
        envs[i].env = strata_config_env_name(cfg, i);
        strata_settings_input in = {.env = envs[i].env,
                                    .config_path = path,
                                    .password_file = c->password_file,
                                    .getenv = env_without_overrides};
        strata_settings *set = NULL;
        strata *s = NULL;
        int one_rc = strata_settings_resolve(&in, &set, &envs[i].err);
        if (one_rc == STRATA_OK)
            one_rc = cli_open_with(c, set, 1, &s, &envs[i].err);
        if (one_rc == STRATA_OK)
            one_rc = strata_status(s, &envs[i].report, &envs[i].err);
        failures += one_rc != STRATA_OK;
        strata_close(s);
        strata_settings_free(set);
    }
    if (rc == STRATA_OK)
        print_matrix(envs, n);
    for (size_t i = 0; i < n; i++)
        strata_status_report_free(envs[i].report);
    free(envs);
    strata_config_free(cfg);
    if (rc != STRATA_OK)
        return cli_report_error(c, &err);
    return failures ? EXIT_FAILURE_ : EXIT_OK;
}

static int
cmd_status(cli *c)
{
    if (c->all_envs)
        return cli_no_arguments(c) ? EXIT_USAGE : status_all_envs(c);
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_status_report *r = NULL;
    int rc = cli_open_session(c, 1, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_status(s, &r, &err);
    if (rc == STRATA_OK)
        strata_report_status(stdout, r, cli_report_flags(c));
    int code = rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
    if (rc == STRATA_OK && c->check && r->pending + r->out_of_order + r->outdated > 0) {
        fprintf(stderr, "strata: %zu migration(s) pending (--check)\n",
                r->pending + r->out_of_order + r->outdated);
        code = EXIT_VALIDATION;
    }
    strata_status_report_free(r);
    strata_close(s);
    return code;
}

static int
cmd_validate(cli *c)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_validation_report *r = NULL;
    int rc = cli_open_session(c, 1, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_validate(s, &r, &err);
    int code = rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
    if (rc == STRATA_OK) {
        for (size_t i = 0; c->require_down && i < r->count; i++) {
            if (r->items[i].kind == STRATA_PROBLEM_NO_DOWN && !r->items[i].is_error) {
                r->items[i].is_error = 1; /* --require-down: a missing down fails the check */
                r->errors++;
                r->warnings--;
            }
        }
        strata_report_validation(stdout, r, cli_report_flags(c));
        code = r->errors ? EXIT_VALIDATION : EXIT_OK;
        if (c->dump != NULL) { /* --dump FILE: the committed schema must be today's */
            int dump = cli_check_dump(c, s);
            code = code != EXIT_OK ? code : dump;
        }
    }
    strata_validation_report_free(r);
    strata_close(s);
    return code;
}

static int
cmd_new(cli *c)
{
    if (c->nargs != 1) {
        fprintf(stderr, "strata: `new` takes one NAME, e.g. `strata new add_users_email`\n");
        return EXIT_USAGE;
    }
    strata_new_options o = {.size = sizeof(o),
                            .sequential = c->sequential,
                            .format = c->format,
                            .dialects = c->dialects};
    strata_new_result *r = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_settings *set = NULL;
    int rc = cli_resolve(c, &set, &err);
    if (rc == STRATA_OK)
        rc = strata_new_files(set->dir.value, c->args[0], &o, &r, &err);
    strata_settings_free(set);
    if (rc == STRATA_OK && strcmp(r->name, c->args[0]) != 0)
        fprintf(stderr,
                "strata: note: the name '%s' is written '%s' (file names take lowercase "
                "letters, digits and single underscores)\n",
                c->args[0], r->name);
    for (size_t i = 0; rc == STRATA_OK && i < r->count; i++)
        printf("created %s\n", r->paths[i]);
    strata_new_result_free(r);
    return rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
}

/* Levenshtein distance between a and b, for suggestions (short words only). */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t n = strlen(b), row[32];
    if (n >= sizeof(row) / sizeof(row[0]) || strlen(a) >= 32)
        return (size_t)-1;
    for (size_t j = 0; j <= n; j++)
        row[j] = j;
    for (size_t i = 1; a[i - 1] != '\0'; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= n; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[n];
}

/* The word of words (NULL-terminated) nearest to w, within 2 edits; NULL when none. */
static const char *
nearest_word(const char *w, const char *const *words)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (const char *const *p = words; *p != NULL; p++) {
        size_t d = edit_distance(w, *p);
        if (d < best_d && d < strlen(w)) { /* "x" is no typo of "up" */
            best_d = d;
            best = *p;
        }
    }
    return best;
}

static int
cmd_force(cli *c)
{
    static const char *const states[] = {"applied", "rolled-back", NULL};
    int applied = 1;
    if (c->nargs == 2 && strcmp(c->args[1], "rolled-back") == 0) {
        applied = 0;
    } else if (c->nargs == 2 && strcmp(c->args[1], "applied") != 0) {
        const char *near = nearest_word(c->args[1], states);
        fprintf(stderr, "strata: force: '%s' is not a state; give applied or rolled-back%s%s%s\n",
                c->args[1], near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
        return EXIT_USAGE;
    }
    if (c->nargs < 1 || c->nargs > 2) {
        fprintf(stderr, "strata: usage: strata force VERSION [applied|rolled-back]\n");
        return EXIT_USAGE;
    }
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = cli_open_session(c, 0, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_force(s, c->args[0], applied, &err);
    if (rc == STRATA_OK && !c->quiet)
        printf("recorded migration %s as %s\n", c->args[0], applied ? "applied" : "rolled back");
    strata_close(s);
    return rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
}

static int
cmd_adopt(cli *c)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_adopt_report *r = NULL;
    int rc = cli_open_session(c, 0, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_adopt(s, c->from, &r, &err);
    if (rc == STRATA_OK && !(c->quiet && !c->json))
        strata_report_adopt(stdout, r, cli_report_flags(c));
    strata_adopt_report_free(r);
    strata_close(s);
    return rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
}

static int
cmd_drivers(cli *c)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    strata_driver_list *l = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = strata_list_drivers(c->driver_dir, &l, &err);
    size_t refused = 0;
    if (rc == STRATA_OK)
        strata_report_drivers(stdout, l, cli_report_flags(c));
    for (size_t i = 0; rc == STRATA_OK && i < l->count; i++)
        refused += l->items[i].refused != NULL;
    strata_driver_list_free(l);
    if (rc != STRATA_OK)
        return cli_report_error(c, &err);
    if (c->check && refused > 0) { /* --check: a refused plugin fails the run */
        fprintf(stderr, "strata: %zu driver plugin%s refused (the reasons are listed above)\n",
                refused, refused == 1 ? "" : "s");
        return EXIT_FAILURE_;
    }
    return EXIT_OK;
}

static int
cmd_help(cli *c)
{
    const char *topic = c->nargs > 0 ? c->args[0] : NULL;
    if (cli_help(stdout, topic) != 0) {
        fprintf(stderr, "strata: no command '%s'; see `strata --help`\n", topic);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int
cmd_history(cli *c)
{
    if (c->nargs > 1) {
        fprintf(stderr, "strata: usage: strata history [VERSION] [--action A] [--since DATE] "
                        "[--limit N] [--json]\n");
        return EXIT_USAGE;
    }
    strata_log_filter f = {.size = sizeof(f),
                           .version = c->nargs == 1 ? c->args[0] : NULL,
                           .action = c->action,
                           .since = c->since,
                           .limit = c->limit};
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_log *l = NULL;
    int rc = cli_open_session(c, 1, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_history_log(s, &f, &l, &err);
    if (rc == STRATA_OK)
        strata_report_log(stdout, l, cli_report_flags(c));
    strata_log_free(l);
    strata_close(s);
    return rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
}

static int
cmd_redo(cli *c)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_run_report *down = NULL, *up = NULL;
    int rc = cli_open_session(c, 0, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_redo(s, c->step, &down, &up, &err);
    if (rc == STRATA_OK && !(c->quiet && !c->json)) {
        strata_report_run(stdout, down, cli_report_flags(c));
        if (up != NULL)
            strata_report_run(stdout, up, cli_report_flags(c));
    }
    strata_run_report_free(down);
    strata_run_report_free(up);
    strata_close(s);
    return rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
}

/* Blocks until the database accepts connections (dbmate's wait), up to --timeout. */
static int
cmd_wait(cli *c)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    strata_settings *set = NULL;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = cli_resolve(c, &set, &err);
    if (rc == STRATA_OK) {
        strata_options o;
        cli_options_from(c, set, 1, &o);
        rc = strata_open_wait(&o, c->timeout_ms, &s, &err);
        free((void *)o.placeholders);
    }
    strata_settings_free(set);
    strata_close(s);
    if (rc != STRATA_OK)
        return cli_report_error(c, &err);
    if (!c->quiet)
        printf("the database accepts connections\n");
    return EXIT_OK;
}

static int
cmd_baseline(cli *c)
{
    if (c->nargs != 1) {
        fprintf(stderr, "strata: usage: strata baseline VERSION [--description TEXT]\n");
        return EXIT_USAGE;
    }
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    size_t n = 0;
    int rc = cli_open_session(c, 0, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_baseline(s, c->args[0], c->description, &n, &err);
    if (rc == STRATA_OK && !c->quiet)
        printf("baselined at %s: %zu migration(s) recorded as applied without running\n",
               c->args[0], n);
    strata_close(s);
    return rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
}

static int
cmd_repair(cli *c)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_repair_report *r = NULL;
    int rc = cli_open_session(c, !c->yes, &s, &err); /* without --yes it only reads */
    if (rc == STRATA_OK)
        rc = strata_repair(s, c->yes, &r, &err);
    int code = rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
    for (size_t i = 0; rc == STRATA_OK && i < r->count; i++)
        printf("%s: checksum %.12s recorded, %.12s now\n", r->items[i].file, r->items[i].recorded,
               r->items[i].current);
    if (rc == STRATA_OK && r->count == 0)
        printf("nothing to repair: every applied migration matches its file\n");
    else if (rc == STRATA_OK && r->applied)
        printf("recorded the new checksum of %zu migration(s)\n", r->count);
    else if (rc == STRATA_OK) {
        fprintf(stderr,
                "strata: %zu edited migration(s); if the edits are deliberate, run "
                "`strata repair --yes` to record their new checksums\n",
                r->count);
        code = EXIT_VALIDATION;
    }
    strata_repair_report_free(r);
    strata_close(s);
    return code;
}

static int
cmd_backup(cli *c)
{
    if (c->output == NULL || c->nargs != 0) {
        fprintf(stderr, "strata: usage: strata backup --output FILE\n");
        return EXIT_USAGE;
    }
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = cli_open_session(c, 0, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_backup(s, c->output, &err);
    if (rc == STRATA_OK && !c->quiet)
        printf("backed up %s to %s\n", strata_redacted_url(s), c->output);
    strata_close(s);
    return rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
}

/* strata embed [DIR]: the migrations as C source, on stdout or into --output. */
static int
cmd_embed(cli *c)
{
    if (c->nargs > 1) {
        fprintf(stderr, "strata: usage: strata embed [--symbol NAME] [--output FILE] [DIR]\n");
        return EXIT_USAGE;
    }
    strata_settings *set = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = c->nargs == 1 ? STRATA_OK : cli_resolve(c, &set, &err);
    const char *dir = c->nargs == 1 ? c->args[0] : rc == STRATA_OK ? set->dir.value : NULL;
    FILE *out = stdout;
    char tmp[4096] = "";
    if (rc == STRATA_OK && c->output != NULL) { /* written whole, or not at all */
        snprintf(tmp, sizeof(tmp), "%s.tmp", c->output);
        out = fopen(tmp, "w");
        if (out == NULL)
            rc = cli_fail(&err, STRATA_ERROR, "cannot write %s: %s", tmp, strerror(errno));
    }
    if (rc == STRATA_OK)
        rc = strata_embed(out, dir, c->symbol ? c->symbol : "strata_migrations", &err);
    if (out != NULL && out != stdout && fclose(out) != 0 && rc == STRATA_OK)
        rc = cli_fail(&err, STRATA_ERROR, "cannot write %s: %s", tmp, strerror(errno));
    if (tmp[0] != '\0' && rc == STRATA_OK && rename(tmp, c->output) != 0)
        rc = cli_fail(&err, STRATA_ERROR, "cannot write %s: %s", c->output, strerror(errno));
    if (tmp[0] != '\0' && rc != STRATA_OK)
        unlink(tmp);
    strata_settings_free(set);
    return rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
}

int
cli_run(cli *c)
{
    const char *cmd = c->command;
    if (c->help && cli_help(stdout, cmd) == 0)
        return EXIT_OK;
    if (cli_fleet_wanted(c))
        return cmd_fleet_run(c);
    if (strcmp(cmd, "up") == 0)
        return cmd_run(c, 1);
    if (strcmp(cmd, "down") == 0)
        return cmd_run(c, 0);
    if (strcmp(cmd, "status") == 0)
        return cmd_status(c);
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(c);
    if (strcmp(cmd, "new") == 0)
        return cmd_new(c);
    if (strcmp(cmd, "force") == 0 || strcmp(cmd, "mark") == 0)
        return cmd_force(c);
    if (strcmp(cmd, "history") == 0)
        return cmd_history(c);
    if (strcmp(cmd, "baseline") == 0)
        return cmd_baseline(c);
    if (strcmp(cmd, "repair") == 0)
        return cmd_repair(c);
    if (strcmp(cmd, "backup") == 0)
        return cmd_backup(c);
    if (strcmp(cmd, "redo") == 0)
        return cmd_redo(c);
    if (strcmp(cmd, "wait") == 0)
        return cmd_wait(c);
    if (strcmp(cmd, "embed") == 0)
        return cmd_embed(c);
    if (strcmp(cmd, "drivers") == 0)
        return cmd_drivers(c);
    if (strcmp(cmd, "adopt") == 0)
        return cmd_adopt(c);
    if (strcmp(cmd, "lint") == 0)
        return cmd_lint(c);
    if (strcmp(cmd, "dump") == 0)
        return cmd_dump(c);
    if (strcmp(cmd, "drift") == 0)
        return cmd_drift(c);
    if (strcmp(cmd, "diff") == 0)
        return cmd_diff(c);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(c);
    if (strcmp(cmd, "fleet") == 0)
        return cmd_fleet(c);
    if (strcmp(cmd, "help") == 0)
        return cmd_help(c);
    if (strcmp(cmd, "version") == 0)
        return printf("strata %s\n", strata_version()), EXIT_OK;
    static const char *const commands[] = {"up",     "down", "status",  "validate", "new",
                                           "force",  "mark", "history", "baseline", "repair",
                                           "backup", "redo", "wait",    "embed",    "drivers",
                                           "adopt",  "lint", "help",    "version",  NULL};
    const char *near = nearest_word(cmd, commands);
    if (near != NULL)
        fprintf(stderr,
                "strata: unknown command '%s'; did you mean `strata %s`? (see `strata "
                "--help`)\n",
                cmd, near);
    else
        fprintf(stderr, "strata: unknown command '%s'; see `strata --help`\n", cmd);
    return EXIT_USAGE;
}
