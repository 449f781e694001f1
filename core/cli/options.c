#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strata/strata.h>

#include "options.h"

enum {
    OPT_DATABASE = 'd',
    OPT_HELP = 'h',
    OPT_QUIET = 'q',
    OPT_VERBOSE = 'v',
    OPT_DIR = 256,
    OPT_TABLE,
    OPT_SCHEMA,
    OPT_DRIVER_DIR,
    OPT_LOCK_TIMEOUT,
    OPT_COLOR,
    OPT_OUT_OF_ORDER,
    OPT_VERSION,
    OPT_JSON,
    OPT_TO,
    OPT_STEP,
    OPT_ALL,
    OPT_DRY_RUN,
    OPT_SEQUENTIAL,
    OPT_TIMESTAMP,
    OPT_FROM,
    OPT_FORMAT,
    OPT_DIALECTS,
    OPT_CHECK,
    OPT_RESUME,
    OPT_IGNORE_MISSING,
    OPT_REQUIRE_DOWN,
    OPT_ACTION,
    OPT_SINCE,
    OPT_LIMIT,
    OPT_TIMEOUT,
    OPT_ENV,
    OPT_PASSWORD_FILE,
    OPT_CONFIG,
    OPT_ALL_ENVS,
    OPT_DESCRIPTION,
    OPT_YES,
    OPT_OUTPUT,
    OPT_SYMBOL,
    OPT_BACKUP,
    OPT_FAIL_ON,
    OPT_SERVER_VERSION,
    OPT_RULES,
    OPT_LINT,
    OPT_SCRATCH,
    OPT_ALSO,
    OPT_DUMP,
    OPT_FLEET,
    OPT_TARGETS,
    OPT_PARALLEL,
    OPT_CANARY,
    OPT_MAX_FAILURES,
    OPT_CONTINUE,
    OPT_SHARD,
    OPT_CONNECT_TIMEOUT,
};

/* Global options first, then every command option; getopt_long sees them all after the
 * command word, and validate_for_command() refuses those the command does not take. */
static const struct option all_options[] = {
    {"env", required_argument, NULL, OPT_ENV},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"database", required_argument, NULL, OPT_DATABASE},
    {"dir", required_argument, NULL, OPT_DIR},
    {"table", required_argument, NULL, OPT_TABLE},
    {"schema", required_argument, NULL, OPT_SCHEMA},
    {"driver-dir", required_argument, NULL, OPT_DRIVER_DIR},
    {"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"color", required_argument, NULL, OPT_COLOR},
    {"allow-out-of-order", no_argument, NULL, OPT_OUT_OF_ORDER},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {"json", no_argument, NULL, OPT_JSON},
    {"to", required_argument, NULL, OPT_TO},
    {"step", required_argument, NULL, OPT_STEP},
    {"all", no_argument, NULL, OPT_ALL},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"sequential", no_argument, NULL, OPT_SEQUENTIAL},
    {"timestamp", no_argument, NULL, OPT_TIMESTAMP},
    {"from", required_argument, NULL, OPT_FROM},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"dialects", required_argument, NULL, OPT_DIALECTS},
    {"check", no_argument, NULL, OPT_CHECK},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"ignore-missing", no_argument, NULL, OPT_IGNORE_MISSING},
    {"require-down", no_argument, NULL, OPT_REQUIRE_DOWN},
    {"action", required_argument, NULL, OPT_ACTION},
    {"since", required_argument, NULL, OPT_SINCE},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"all-envs", no_argument, NULL, OPT_ALL_ENVS},
    {"description", required_argument, NULL, OPT_DESCRIPTION},
    {"yes", no_argument, NULL, OPT_YES},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"symbol", required_argument, NULL, OPT_SYMBOL},
    {"backup", required_argument, NULL, OPT_BACKUP},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"server-version", required_argument, NULL, OPT_SERVER_VERSION},
    {"rules", no_argument, NULL, OPT_RULES},
    {"lint", optional_argument, NULL, OPT_LINT},
    {"scratch", required_argument, NULL, OPT_SCRATCH},
    {"also", required_argument, NULL, OPT_ALSO},
    {"dump", required_argument, NULL, OPT_DUMP},
    {"fleet", required_argument, NULL, OPT_FLEET},
    {"targets", required_argument, NULL, OPT_TARGETS},
    {"parallel", required_argument, NULL, OPT_PARALLEL},
    {"canary", required_argument, NULL, OPT_CANARY},
    {"max-failures", required_argument, NULL, OPT_MAX_FAILURES},
    {"continue", no_argument, NULL, OPT_CONTINUE},
    {"shard", required_argument, NULL, OPT_SHARD},
    {NULL, 0, NULL, 0},
};
#define GLOBAL_OPTION_COUNT 16 /* the first entries of all_options */

/* Which command takes which command option. */
static const struct {
    int opt;
    const char *commands;
} command_options[] = {
    {OPT_JSON, " up down redo status validate drivers adopt history lint dump drift diff verify "
               "fleet "},
#define FLEET_COMMANDS " up down status validate verify drift fleet "
    {OPT_FLEET, FLEET_COMMANDS},
    {OPT_TARGETS, FLEET_COMMANDS},
    {OPT_PARALLEL, FLEET_COMMANDS},
    {OPT_CANARY, FLEET_COMMANDS},
    {OPT_MAX_FAILURES, FLEET_COMMANDS},
    {OPT_CONTINUE, FLEET_COMMANDS},
    {OPT_SHARD, FLEET_COMMANDS},
    {OPT_TO, " up down verify "},
    {OPT_STEP, " up down redo "},
    {OPT_ALL, " down lint "},
    {OPT_DRY_RUN, " up down "},
    {OPT_SEQUENTIAL, " new "},
    {OPT_TIMESTAMP, " new "},
    {OPT_FROM, " adopt verify "},
    {OPT_FORMAT, " new lint "},
    {OPT_DIALECTS, " new "},
    {OPT_CHECK, " status drivers "},
    {OPT_ALL_ENVS, " status "},
    {OPT_DESCRIPTION, " baseline "},
    {OPT_YES, " repair "},
    {OPT_OUTPUT, " backup embed dump "},
    {OPT_SCRATCH, " drift verify "},
    {OPT_ALSO, " verify "},
    {OPT_DUMP, " validate "},
    {OPT_SYMBOL, " embed "},
    {OPT_BACKUP, " up "},
    {OPT_RESUME, " up "},
    {OPT_IGNORE_MISSING, " up "},
    {OPT_REQUIRE_DOWN, " validate "},
    {OPT_ACTION, " history "},
    {OPT_SINCE, " history lint "},
    {OPT_FAIL_ON, " lint "},
    {OPT_SERVER_VERSION, " lint up "},
    {OPT_RULES, " lint "},
    {OPT_LINT, " up "},
    {OPT_LIMIT, " history "},
    {OPT_TIMEOUT, " wait "},
};

static int
usage_error(const char *fmt, const char *arg)
{
    fputs("strata: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nRun `strata --help` for usage.\n", stderr);
    return EXIT_USAGE;
}

/* "30" (seconds), "30s", "500ms", "2m", "forever" -> milliseconds; -2 when unparseable. */
static long
parse_duration(const char *s)
{
    if (strcmp(s, "forever") == 0)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || v < 0)
        return -2;
    if (*end == '\0' || strcmp(end, "s") == 0)
        return (long)(v * 1000);
    if (strcmp(end, "ms") == 0)
        return (long)v;
    if (strcmp(end, "m") == 0)
        return (long)(v * 60000);
    return -2;
}

static int
parse_color(const char *s, cli *c)
{
    int tty = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
    if (strcmp(s, "auto") == 0)
        c->color = tty;
    else if (strcmp(s, "always") == 0)
        c->color = 1;
    else if (strcmp(s, "never") == 0)
        c->color = 0;
    else
        return usage_error("--color takes auto, always or never, not '%s'", s);
    return -1;
}

static int
command_takes(const char *command, int opt)
{
    for (size_t i = 0; i < sizeof(command_options) / sizeof(command_options[0]); i++) {
        if (command_options[i].opt != opt)
            continue;
        char word[64];
        snprintf(word, sizeof(word), " %s ", command ? command : "");
        return strstr(command_options[i].commands, word) != NULL;
    }
    return 1; /* a global option */
}

static int
apply_option(int opt, const char *arg, cli *c)
{
    long n;
    char *end;
    switch (opt) {
    case OPT_DATABASE:
        c->database = arg;
        break;
    case OPT_DIR:
        c->dir = arg;
        break;
    case OPT_TABLE:
        c->table = arg;
        break;
    case OPT_SCHEMA:
        c->schema = arg;
        break;
    case OPT_DRIVER_DIR:
        c->driver_dir = arg;
        break;
    case OPT_LOCK_TIMEOUT:
        c->lock_timeout = arg; /* resolved with the other settings; checked here */
        if (parse_duration(arg) == -2)
            return usage_error("--lock-timeout takes a duration like 30s, 500ms, 2m or "
                               "forever, not '%s'",
                               arg);
        break;
    case OPT_COLOR:
        return parse_color(arg, c);
    case OPT_CONNECT_TIMEOUT:
        c->connect_timeout_ms = parse_duration(arg);
        if (c->connect_timeout_ms < -1 || c->connect_timeout_ms == 0)
            return usage_error("--connect-timeout takes a duration like 10s, 500ms or 1m, or "
                               "forever, not '%s'",
                               arg);
        break;
    case OPT_OUT_OF_ORDER:
        c->allow_out_of_order = 1;
        break;
    case OPT_QUIET:
        c->quiet = 1;
        break;
    case OPT_VERBOSE:
        c->verbose = 1;
        break;
    case OPT_HELP:
        c->help = 1;
        break;
    case OPT_VERSION:
        printf("strata %s\n", strata_version());
        return EXIT_OK;
    case OPT_JSON:
        c->json = 1;
        break;
    case OPT_TO:
        c->to = arg;
        break;
    case OPT_STEP:
        n = strtol(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || n <= 0)
            return usage_error("--step takes a positive number, not '%s'", arg);
        c->step = n;
        break;
    case OPT_ALL:
        c->all = 1;
        break;
    case OPT_DRY_RUN:
        c->dry_run = 1;
        break;
    case OPT_SEQUENTIAL:
        c->sequential = 1;
        break;
    case OPT_TIMESTAMP:
        c->sequential = 0;
        break;
    case OPT_FROM:
        c->from = arg;
        break;
    case OPT_FORMAT:
        c->format = arg;
        break;
    case OPT_DIALECTS:
        c->dialects = arg;
        break;
    case OPT_CHECK:
        c->check = 1;
        break;
    case OPT_ENV:
        c->env = arg;
        break;
    case OPT_PASSWORD_FILE:
        c->password_file = arg;
        break;
    case OPT_CONFIG:
        c->config = arg;
        break;
    case OPT_ALL_ENVS:
        c->all_envs = 1;
        break;
    case OPT_DESCRIPTION:
        c->description = arg;
        break;
    case OPT_YES:
        c->yes = 1;
        break;
    case OPT_OUTPUT:
        c->output = arg;
        break;
    case OPT_SYMBOL:
        c->symbol = arg;
        break;
    case OPT_BACKUP:
        c->backup = arg;
        break;
    case OPT_FAIL_ON:
        c->fail_on = arg;
        break;
    case OPT_SERVER_VERSION:
        c->server_version = arg;
        break;
    case OPT_RULES:
        c->rules = 1;
        break;
    case OPT_LINT:
        c->lint = arg != NULL ? arg : "error";
        break;
    case OPT_SCRATCH:
        c->scratch = arg;
        break;
    case OPT_ALSO:
        if (c->nalso + 1 >= sizeof(c->also) / sizeof(c->also[0]))
            return usage_error("--also is given too often (at most %s)", "7");
        c->also[c->nalso++] = arg;
        break;
    case OPT_DUMP:
        c->dump = arg;
        break;
    case OPT_FLEET:
        c->fleet = arg;
        break;
    case OPT_TARGETS:
        c->targets = arg;
        break;
    case OPT_PARALLEL:
    case OPT_CANARY:
    case OPT_MAX_FAILURES:
        n = strtol(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || n < 0 || (n == 0 && opt != OPT_MAX_FAILURES) ||
            n > 100000)
            return usage_error("--parallel, --canary and --max-failures take a number (at least "
                               "1; --max-failures 0 stops at the first failure), not '%s'",
                               arg);
        if (opt == OPT_PARALLEL)
            c->parallel = (int)n;
        else if (opt == OPT_CANARY)
            c->canary = (int)n;
        else
            c->max_failures = n;
        break;
    case OPT_CONTINUE:
        c->keep_going = 1;
        break;
    case OPT_SHARD:
        c->shard = arg;
        break;
    case OPT_RESUME:
        c->resume = 1;
        break;
    case OPT_IGNORE_MISSING:
        c->ignore_missing = 1;
        break;
    case OPT_REQUIRE_DOWN:
        c->require_down = 1;
        break;
    case OPT_ACTION:
        c->action = arg;
        break;
    case OPT_SINCE:
        c->since = arg;
        break;
    case OPT_LIMIT:
        n = strtol(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || n <= 0)
            return usage_error("--limit takes a positive number, not '%s'", arg);
        c->limit = n;
        break;
    case OPT_TIMEOUT:
        c->timeout_ms = parse_duration(arg);
        if (c->timeout_ms < -1)
            return usage_error(
                "--timeout takes a duration like 30s, 500ms or 2m, or forever, not '%s'", arg);
        break;
    default:
        return EXIT_USAGE; /* getopt printed why */
    }
    return -1;
}

/* The usage error for an option the command does not take, naming both. */
static int
not_taken(const struct option *opts, int opt, const char *command)
{
    const char *name = "this option";
    for (size_t i = 0; opts[i].name != NULL; i++)
        if (opts[i].val == opt)
            name = opts[i].name;
    fprintf(stderr, "strata: --%s does not apply to `%s` (`strata %s --help` lists its options)\n",
            name, command, command);
    fputs("Run `strata --help` for usage.\n", stderr);
    return EXIT_USAGE;
}

static int
parse_range(int argc, char **argv, const struct option *opts, const char *shortopts, cli *c)
{
    int opt, rc;
    while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        if (opt == '?' || opt == ':')
            return usage_error("%s", "invalid option (see above)");
        if (!command_takes(c->command, opt))
            return not_taken(opts, opt, c->command);
        if ((rc = apply_option(opt, optarg, c)) != -1)
            return rc;
    }
    return -1;
}

int
cli_parse(int argc, char **argv, cli *c)
{
    memset(c, 0, sizeof(*c));
    c->timeout_ms = 60000;
    c->sequential = -1;
    c->max_failures = -1; /* not given */
    c->connect_timeout_ms = 10000;
    parse_color("auto", c);
    /* Phase 1: global options up to the command word. */
    struct option globals[GLOBAL_OPTION_COUNT + 1];
    memcpy(globals, all_options, sizeof(struct option) * GLOBAL_OPTION_COUNT);
    memset(&globals[GLOBAL_OPTION_COUNT], 0, sizeof(struct option));
    optind = 1;
    int rc = parse_range(argc, argv, globals, "+d:hqv", c);
    if (rc != -1)
        return rc;
    if (optind >= argc)
        return -1; /* no command: the caller prints the overview */
    c->command = argv[optind];
    /* Phase 2: the command's options and the globals again, in any order. optind = 0
     * makes GNU getopt start afresh (and permute), which optind = 1 would not. */
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    optind = 0;
    rc = parse_range(sub_argc, sub_argv, all_options, "d:hqv", c);
    if (rc != -1)
        return rc;
    c->args = sub_argv + optind;
    c->nargs = sub_argc - optind;
    return -1;
}
