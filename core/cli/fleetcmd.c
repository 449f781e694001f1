/*
 * Fleets in the strata program (docs/fleet.md): `strata fleet list` and the commands that
 * take --fleet NAME or --targets FILE (up, down, status, validate, verify, drift).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strata/settings.h>
#include <strata/strata.h>

#include "fleetcmd.h"
#include "setup.h"

/* --shard I/N, else a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0-based) and
 * JOB_COMPLETIONS; *count 0 when neither is given. */
static int
shard_of(const cli *c, long *index, long *count)
{
    *index = *count = 0;
    if (c->shard != NULL) {
        char *end;
        *index = strtol(c->shard, &end, 10);
        if (end == c->shard || *end != '/' || (*count = strtol(end + 1, &end, 10)) <= 0 ||
            *end != '\0') {
            fprintf(stderr,
                    "strata: --shard takes I/N, e.g. 2/7 (the second of seven shares), "
                    "not '%s'\n",
                    c->shard);
            return EXIT_USAGE;
        }
        return -1;
    }
    const char *i = getenv("JOB_COMPLETION_INDEX"), *n = getenv("JOB_COMPLETIONS");
    if (i != NULL && *i != '\0' && n != NULL && *n != '\0') {
        *index = strtol(i, NULL, 10) + 1;
        *count = strtol(n, NULL, 10);
    }
    return -1;
}

/* The fleet --fleet or --targets names, sharded; *out freed with strata_fleet_free. */
static int
load_fleet(cli *c, const strata_options *base, strata_fleet **out, strata_error *err)
{
    strata_config *config = NULL;
    const char *path = c->config ? c->config : getenv("STRATA_CONFIG");
    int rc = STRATA_OK;
    if (c->fleet != NULL)
        rc = strata_config_load(path && *path ? path : STRATA_CONFIG_FILE, &config, err);
    strata_fleet_source src = {.size = sizeof(src),
                               .targets_file = c->targets,
                               .name = c->fleet,
                               .config = config,
                               .base = base};
    if (rc == STRATA_OK)
        rc = strata_fleet_resolve(&src, out, err);
    strata_config_free(config);
    long index, count;
    if (rc == STRATA_OK && shard_of(c, &index, &count) == EXIT_USAGE)
        rc = cli_fail(err, STRATA_USAGE, "bad --shard");
    if (rc == STRATA_OK && count > 0)
        rc = strata_fleet_shard(*out, index, count, err);
    if (rc != STRATA_OK) {
        strata_fleet_free(*out);
        *out = NULL;
    }
    return rc;
}

/* One line redrawn in place on a terminal. */
static void
progress(void *ctx, size_t done, size_t running, size_t failed, size_t remaining)
{
    (void)ctx;
    fprintf(stderr, "\rfleet: %zu done, %zu running, %zu failed, %zu remaining   ", done, running,
            failed, remaining);
    if (running == 0 && remaining == 0)
        fputc('\n', stderr);
    fflush(stderr);
}

static int
command_of(const char *word)
{
    static const struct {
        const char *word;
        int command;
    } commands[] = {{"up", STRATA_FLEET_UP},         {"down", STRATA_FLEET_DOWN},
                    {"status", STRATA_FLEET_STATUS}, {"validate", STRATA_FLEET_VALIDATE},
                    {"drift", STRATA_FLEET_DRIFT},   {"verify", STRATA_FLEET_VERIFY}};
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(word, commands[i].word) == 0)
            return commands[i].command;
    return 0;
}

int
cli_fleet_wanted(const cli *c)
{
    return (c->fleet != NULL || c->targets != NULL) && command_of(c->command) != 0;
}

int
cmd_fleet_run(cli *c)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    if (c->fleet != NULL && c->targets != NULL) {
        fprintf(stderr, "strata: give --fleet NAME or --targets FILE, not both\n");
        return EXIT_USAGE;
    }
    int command = command_of(c->command);
    strata_error err = STRATA_ERROR_INIT;
    strata_settings *set = NULL;
    strata_fleet *fleet = NULL;
    strata_fleet_report *r = NULL;
    strata_options base;
    int rc = cli_resolve(c, &set, &err);
    if (rc == STRATA_OK) {
        cli_options_from(c, set, 0, &base);
        base.on_event = NULL; /* the report says what happened, target by target */
        rc = load_fleet(c, &base, &fleet, &err);
    }
    strata_run_options run = {.size = sizeof(run),
                              .to_version = c->to,
                              .step = c->step,
                              .all = c->all,
                              .resume = c->resume,
                              .ignore_missing = c->ignore_missing};
    int terminal = isatty(STDERR_FILENO) && !c->quiet && !c->json;
    strata_fleet_options o = {.size = sizeof(o),
                              .command = command,
                              .base = &base,
                              .run = &run,
                              .parallel = c->parallel,
                              .canary = c->canary,
                              .max_failures = c->keep_going          ? -1
                                              : c->max_failures >= 0 ? c->max_failures
                                                                     : 0,
                              .progress = terminal ? progress : NULL};
    if (rc == STRATA_OK) {
        cli_stop_on_signals();
        rc = strata_fleet_run(fleet, &o, &r, &err);
    }
    int code;
    if (rc != STRATA_OK) {
        code = cli_report_error(c, &err);
    } else {
        strata_report_fleet(stdout, r, cli_report_flags(c));
        int check = command == STRATA_FLEET_VALIDATE || command == STRATA_FLEET_DRIFT ||
                    command == STRATA_FLEET_VERIFY;
        code = r->failed + r->not_started == 0 ? EXIT_OK
               : check && r->not_started == 0  ? EXIT_VALIDATION
                                               : EXIT_FAILURE_;
    }
    if (rc == STRATA_OK || set != NULL)
        free((void *)base.placeholders);
    strata_fleet_report_free(r);
    strata_fleet_free(fleet);
    strata_settings_free(set);
    return code;
}

/* strata fleet list: the targets, passwords redacted. */
int
cmd_fleet(cli *c)
{
    if (c->nargs != 1 || strcmp(c->args[0], "list") != 0) {
        fprintf(stderr, "strata: `fleet` takes list: strata fleet list --fleet NAME (or "
                        "--targets FILE)\n");
        return EXIT_USAGE;
    }
    strata_error err = STRATA_ERROR_INIT;
    strata_settings *set = NULL;
    strata_fleet *fleet = NULL;
    strata_options base;
    int rc = cli_resolve(c, &set, &err);
    if (rc == STRATA_OK) {
        cli_options_from(c, set, 1, &base);
        rc = load_fleet(c, &base, &fleet, &err);
        free((void *)base.placeholders);
    }
    if (rc == STRATA_OK) {
        strata_report_fleet_targets(stdout, fleet, cli_report_flags(c));
        if (!c->quiet && !c->json)
            fprintf(stderr, "strata: %zu target(s)\n", fleet->count);
    }
    strata_fleet_free(fleet);
    strata_settings_free(set);
    return rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
}
