/*
 * Command-line parsing for the strata command: global options (accepted before and after
 * the command word), the command, and its own options.
 */
#ifndef STRATA_CLI_OPTIONS_H
#define STRATA_CLI_OPTIONS_H

/* Exit codes; stable and documented in docs/guide.md and strata(1). */
#define EXIT_OK 0
#define EXIT_FAILURE_ 1
#define EXIT_USAGE 2
#define EXIT_VALIDATION 3
#define EXIT_LOCK_TIMEOUT 4
#define EXIT_DIRTY 5
#define EXIT_INTERRUPTED 130 /* SIGINT or SIGTERM stopped up or down (128 + SIGINT) */

typedef struct cli {
    /* global */
    const char *database;
    const char *dir;
    const char *table;
    const char *schema;
    const char *driver_dir;
    const char *lock_timeout; /* as typed; NULL when not given */
    long connect_timeout_ms;  /* --connect-timeout (default 10 s); -1 forever */
    const char *env;          /* --env: the strata.conf environment */
    const char *password_file;
    const char *config;      /* --config: the project file (default ./strata.conf) */
    int all_envs;            /* status --all-envs */
    const char *description; /* baseline --description */
    int yes;                 /* repair --yes */
    const char *output;      /* backup --output, embed --output */
    const char *symbol;      /* embed --symbol */
    const char *backup;      /* up --backup FILE */
    int allow_out_of_order;
    int quiet;
    int verbose;
    int color; /* resolved: 1 when colour is on */
    int json;
    int check;          /* status --check: exit 3 when anything is pending */
    int resume;         /* up --resume */
    int ignore_missing; /* up --ignore-missing */
    int require_down;   /* validate --require-down */
    const char *action; /* history --action */
    const char *since;  /* history --since */
    long limit;         /* history --limit */
    long timeout_ms;    /* wait --timeout */
    /* the command */
    const char *command;
    int help;
    /* command options */
    const char *to;
    long step;
    int all;
    int dry_run;
    int sequential;             /* new: -1 as the folder does, 0 timestamps, 1 sequence */
    const char *from;           /* adopt: the tool to adopt from (NULL: detect) */
    const char *format;         /* new: the file format (NULL: the folder's own) */
    const char *dialects;       /* new: comma-separated dialects to write variants for */
    const char *fail_on;        /* lint --fail-on: error, warning, notice or never */
    const char *server_version; /* lint/up --server-version */
    int rules;                  /* lint --rules: list the catalogue */
    const char *lint;           /* up --lint[=SEVERITY] ("error" without a value) */
    long lint_level;            /* resolved lint setting: 0 off .. 3 error */
    const char *scratch;        /* drift/verify --scratch URL */
    const char *also[8];        /* verify --also URL..., NULL-terminated */
    size_t nalso;
    const char *dump;          /* validate --dump FILE */
    const char *dump_after_up; /* resolved dump_after_up setting, NULL: none */
    const char *fleet;         /* --fleet NAME */
    const char *targets;       /* --targets FILE */
    int parallel;              /* --parallel N (0: the number of cores) */
    int canary;                /* --canary K */
    long max_failures;         /* --max-failures M; -1 when not given */
    int keep_going;            /* --continue */
    const char *shard;         /* --shard I/N */
    /* positional arguments after the command */
    char **args;
    int nargs;
} cli;

/*
 * Parses argv into c (pointers into argv, no allocation). Returns -1 to go on, or an exit
 * code (EXIT_USAGE after printing the reason, EXIT_OK after --version).
 */
int cli_parse(int argc, char **argv, cli *c);

#endif
