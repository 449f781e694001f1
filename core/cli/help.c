#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <string.h>

#include <strata/settings.h>
#include <strata/strata.h>

#include "help.h"

/* An example of each URL shape, SCHEME standing for the driver's scheme. */
static const char *
shape_example(const char *shape)
{
    if (strcmp(shape, "file") == 0)
        return "SCHEME:path/to.db, SCHEME:///abs/path.db, SCHEME::memory:";
    if (strcmp(shape, "opaque") == 0)
        return "SCHEME:CONNECTION-STRING (the driver's own syntax)";
    return "SCHEME://user:pass@host:port/db?key=value";
}

/* The URL forms of the drivers found, one line each, and the default database. */
static void
print_urls(FILE *out)
{
    strata_driver_list *l = NULL;
    strata_error err = STRATA_ERROR_INIT;
    fputs("URLs, by the drivers found (`strata drivers` for more):\n", out);
    if (strata_list_drivers(NULL, &l, &err) == STRATA_OK) {
        for (size_t i = 0; i < l->count; i++) {
            const strata_driver_info *d = &l->items[i];
            if (d->refused == NULL)
                fprintf(out, "  %-22s %s\n", d->schemes, shape_example(d->url_shape));
        }
        if (l->count == 0)
            fputs("  (no driver found: see `strata drivers`)\n", out);
    }
    strata_driver_list_free(l);
    fprintf(out, "Default database: %s\n", strata_default_url());
}

static const char overview[] =
    "strata - versioned database migrations, one engine for every database a driver serves\n"
    "\n"
    "Usage: strata [global options] COMMAND [options] [arguments]\n"
    "\n"
    "Commands:\n"
    "  up          apply pending migrations\n"
    "  down        roll back applied migrations (the last one by default)\n"
    "  status      list applied, pending, dirty, modified and missing migrations\n"
    "  validate    check applied migrations against their files (checksums, missing files)\n"
    "  new NAME    write an up/down pair for a new migration\n"
    "  redo        roll back the last migration (or --step N) and apply it again\n"
    "  force V [applied|rolled-back], mark V applied|rolled-back\n"
    "              record the truth about version V after a manual fix\n"
    "  history     the event log: every up, down, force, adopt, with who and when\n"
    "  baseline V  mark an existing database as being at version V\n"
    "  repair      re-record the checksums of deliberately edited migrations (--yes)\n"
    "  lint        find dangerous migrations before they run (locks, rewrites, data loss)\n"
    "  dump        print the database's schema as stable text (--output FILE)\n"
    "  drift       compare the database's schema with what the migrations make\n"
    "  diff A B    compare the schemas of two databases\n"
    "  verify      prove on a scratch database that every down undoes its up\n"
    "  fleet list  the targets of a fleet (--fleet NAME or --targets FILE)\n"
    "  backup --output FILE\n"
    "              back the database up with the database's own tools\n"
    "  wait        wait until the database accepts connections\n"
    "  adopt [--from TOOL]\n"
    "              take over a database migrated by golang-migrate, dbmate, goose, Flyway,\n"
    "              sqitch or Liquibase\n"
    "  drivers     list the driver plugins found, and those refused with the reason\n"
    "  embed [DIR] write the migrations as C source, to compile them into a program\n"
    "  version     print the version\n"
    "  help [COMMAND]\n"
    "              this text, or a command's\n"
    "\n"
    "Global options (before or after the command):\n"
    "      --env NAME         the strata.conf environment (default: $STRATA_ENV, else\n"
    "                         the file's default_env, else development)\n"
    "      --config FILE      the project file (default: $STRATA_CONFIG, else strata.conf)\n"
    "      --password-file F  read the database password from F (first line)\n"
    "  -d, --database URL     database (default: $DATABASE_URL, else strata.conf, else\n"
    "                         the default below)\n"
    "      --dir DIR          migrations directory (default: $STRATA_DIR, else migrations)\n"
    "      --table NAME       history table (default: strata_migrations)\n"
    "      --schema NAME      schema holding the history tables\n"
    "      --driver-dir DIR   look for driver plugins here first (then $STRATA_DRIVER_PATH)\n"
    "      --lock-timeout T   wait T for the migration lock: 30s, 500ms, 2m, forever\n"
    "                         (default 60s)\n"
    "      --connect-timeout T  wait T for the server to answer while connecting\n"
    "                         (default 10s)\n"
    "      --allow-out-of-order\n"
    "                         apply pending versions older than the newest applied one\n"
    "      --color WHEN       auto (default), always or never; NO_COLOR is honoured\n"
    "  -q, --quiet            print only errors and results\n"
    "  -v, --verbose          also print each statement as it runs\n"
    "  -h, --help             help; `strata COMMAND --help` for a command\n"
    "      --version          print the version\n"
    "\n"
    "%URLS%"
    "Passwords are never printed: every URL in output is redacted.\n"
    "\n"
    "Exit codes: 0 success, 1 failure, 2 usage error, 3 validation failure (edited or\n"
    "missing migration, out-of-order version), 4 lock timeout, 5 dirty database.\n"
    "\n"
    "Examples:\n"
    "  strata up                 apply everything in ./migrations to the default database\n"
    "  strata --database \"$PROD_URL\" status\n"
    "  strata new add_users_email\n"
    "  strata down --step 2\n"
    "\n"
    "More: man strata, docs/ in the source tree.\n";

typedef struct command_help {
    const char *name;
    const char *text;
} command_help;

static const command_help commands[] = {
    {"up", "Usage: strata up [--to VERSION] [--step N] [--dry-run] [--json]\n"
           "\n"
           "Apply pending migrations in version order. Each migration runs in its own transaction\n"
           "together with its history row, so a failure leaves nothing of it behind; a failing\n"
           "statement is reported as file:line:col. Takes the migration lock first, so concurrent\n"
           "runs apply each migration once. Refuses to run when an applied migration was edited\n"
           "(exit 3), when an applied migration's file is gone (exit 3, unless --ignore-missing)\n"
           "or when the database is dirty (exit 5).\n"
           "\n"
           "Options:\n"
           "  --to VERSION   apply up to and including VERSION (or a sqitch @tag)\n"
           "  --step N       apply at most N migrations\n"
           "  --dry-run      print the plan and the SQL, change nothing\n"
           "  --backup FILE  back the database up to FILE first; nothing runs if that fails\n"
           "  --resume       first finish a dirty migration (one that failed outside a\n"
           "                 transaction) from the statement that failed, once its cause\n"
           "                 is fixed; refused when the statements that ran were edited\n"
           "  --ignore-missing  go on when an applied migration's file was renamed or\n"
           "                 deleted (by default up refuses, naming the version)\n"
           "  --lint[=SEV]   lint the pending migrations first and refuse (exit 3) when a\n"
           "                 finding is at or above SEV (error by default; strata.conf:\n"
           "                 lint = error|warning|notice|off)\n"
           "  --server-version V  with --lint: the version the set will run on\n"
           "  --fleet NAME, --targets FILE  run it over a fleet, with --parallel N,\n"
           "                 --canary K, --max-failures M, --continue, --shard I/N\n"
           "                 (`strata fleet --help`)\n"
           "  --json         print the result as JSON (schema strata.run/1)\n"
           "\n"
           "Examples:\n"
           "  strata up\n"
           "  strata up --to 20250701132805\n"
           "  strata --database \"$TEST_URL\" up --step 1 --dry-run\n"},
    {"down", "Usage: strata down [--step N | --to VERSION | --all] [--dry-run] [--json]\n"
             "\n"
             "Roll back applied migrations with their down scripts, the most recently applied\n"
             "first. Without options, rolls back one migration.\n"
             "\n"
             "Options:\n"
             "  --step N       roll back the last N applied migrations (default 1)\n"
             "  --to VERSION   roll back every migration newer than VERSION (VERSION stays;\n"
             "                 a sqitch @tag names the change it follows)\n"
             "  --all          roll back everything\n"
             "  --dry-run      print the plan and the SQL, change nothing\n"
             "  --fleet NAME, --targets FILE  run it over a fleet, with --parallel N,\n"
             "                 --canary K, --max-failures M, --continue, --shard I/N\n"
             "                 (`strata fleet --help`)\n"
             "  --json         print the result as JSON (schema strata.run/1)\n"
             "\n"
             "Examples:\n"
             "  strata down\n"
             "  strata down --to 003\n"
             "  strata down --all\n"},
    {"lint",
     "Usage: strata lint [--all | --since REV | FILE...] [--format F] [--fail-on SEV]\n"
     "\n"
     "Find migrations that would hurt a running database before they run: locks and table\n"
     "rewrites (PostgreSQL CREATE INDEX without CONCURRENTLY, MySQL table copies), ALTER\n"
     "TABLE forms SQLite cannot do, data loss (DROP, TRUNCATE, UPDATE/DELETE without\n"
     "WHERE), renames that break the release still running, and downs that do not undo\n"
     "their up. The rules follow the dialect of the database URL's driver; nothing connects\n"
     "with --all, --since or files. Without them, the database's pending migrations.\n"
     "Suppress a finding with `-- strata:lint-ignore RULE reason` above the statement\n"
     "(`-- strata:lint-ignore-file RULE reason`: the whole script). Exit 3 when a finding\n"
     "is at or above --fail-on (error by default).\n"
     "\n"
     "Options:\n"
     "  --all          every migration of the directory\n"
     "  --since REV    migrations with a file changed since the git revision REV\n"
     "                 (committed, staged, unstaged or new)\n"
     "  FILE...        the migrations these files belong to\n"
     "  --format F     text (default), json (strata.lint/1), github (Actions\n"
     "                 annotations) or sarif (SARIF 2.1.0)\n"
     "  --fail-on SEV  error (default), warning, notice or never\n"
     "  --server-version V  the version the set will run on (SQLite's DROP COLUMN needs\n"
     "                 3.35); default: the server's, offline the driver's SQLite\n"
     "  --rules        list the rules (-v: with their explanations)\n"
     "  -v             explain each rule found and list suppressed findings\n"
     "  --json         the same as --format json\n"
     "\n"
     "Examples:\n"
     "  strata -d \"$DATABASE_URL\" lint --all\n"
     "  strata lint --since origin/main --format github --fail-on warning\n"
     "  strata lint migrations/20250701132805_add_index.up.sql\n"},
    {"dump",
     "Usage: strata dump [--output FILE] [--json]\n"
     "\n"
     "Print the database's schema as stable text that reviews well in git: each table with\n"
     "its columns, constraints, indexes and triggers, then views and functions; constraints\n"
     "named by their content, so names the database generated make no differences;\n"
     "strata's own tables left out. The same schema always gives the same bytes.\n"
     "dump_after_up = FILE in strata.conf writes it after every successful up, and\n"
     "`strata validate --dump FILE` fails when the committed file is stale.\n"
     "\n"
     "Options:\n"
     "  --output FILE  write it to FILE (whole or not at all) instead of standard output\n"
     "  --json         print JSON (schema strata.dump/1)\n"
     "\n"
     "Example:\n"
     "  strata dump --output schema.txt && git diff --exit-code schema.txt\n"},
    {"drift",
     "Usage: strata drift [--scratch URL] [--json]\n"
     "\n"
     "Apply the migrations to a scratch database beside the target (created and dropped by\n"
     "strata, also on failure and on Ctrl-C) and compare its schema with the live\n"
     "database's, object by object: + only in the database, - only in the migrations, ~\n"
     "different (before and after). Exit 3 when they differ. Only reads the database.\n"
     "\n"
     "Options:\n"
     "  --scratch URL  an empty database to use instead (when the account cannot create\n"
     "                 databases)\n"
     "  --fleet NAME, --targets FILE  run it over a fleet, with --parallel N,\n"
     "                 --canary K, --max-failures M, --continue, --shard I/N\n"
     "                 (`strata fleet --help`)\n"
     "  --json         print JSON (schema strata.drift/1)\n"},
    {"diff", "Usage: strata diff URL_A URL_B [--json]\n"
             "\n"
             "Compare the schemas of two live databases of the same dialect, object by object:\n"
             "+ only in B, - only in A, ~ different. Exit 3 when they differ.\n"
             "\n"
             "Example:\n"
             "  strata diff \"$STAGING_URL\" \"$PRODUCTION_URL\"\n"},
    {"verify",
     "Usage: strata verify [--from V] [--to V] [--scratch URL] [--also URL]... [--json]\n"
     "\n"
     "Prove the down scripts: on a scratch database, for each migration: up, down (the\n"
     "schema must be what it was before), up again (it must be what up gave); then down to\n"
     "zero must leave nothing and up again the same schema. Reports each migration whose\n"
     "down does not undo its up (with the difference), that has no down, or whose second\n"
     "up fails. The scratch database is dropped at the end, also on failure and Ctrl-C.\n"
     "Exit 3 when a check fails.\n"
     "\n"
     "Options:\n"
     "  --from V, --to V  check only these versions (the ones before are applied)\n"
     "  --scratch URL  an empty database to use instead of creating one\n"
     "  --also URL     verify on another database too (another dialect: a scratch is\n"
     "                 created beside URL; an in-memory URL will do for a file database),\n"
     "                 then compare the final schemas on what is portable: tables, columns\n"
     "                 and their order, nullability, type families, keys, indexes, foreign\n"
     "                 keys\n"
     "  --fleet NAME, --targets FILE  run it over a fleet, with --parallel N,\n"
     "                 --canary K, --max-failures M, --continue, --shard I/N\n"
     "                 (`strata fleet --help`)\n"
     "  --json         print JSON (schema strata.verify/1)\n"
     "\n"
     "Example:\n"
     "  strata -d \"$TEST_URL\" verify --also \"$PRODUCTION_KIND_URL\"\n"},
    {"fleet",
     "Usage: strata fleet list (--fleet NAME | --targets FILE) [--shard I/N] [--json]\n"
     "       strata up|down|status|validate|drift|verify (--fleet NAME | --targets FILE)\n"
     "              [--parallel N] [--canary K] [--max-failures M | --continue]\n"
     "              [--shard I/N] [--json]\n"
     "\n"
     "Run a command over many databases or schemas, each with its own connection, lock and\n"
     "history, and print one report (status: a version matrix grouping identical\n"
     "targets). --targets FILE lists one URL per line (# comments, ${VAR}); --fleet NAME\n"
     "reads [fleet NAME] in strata.conf: url, env, targets, control + targets_query,\n"
     "url + schemas_query. `fleet list` prints the targets, passwords redacted.\n"
     "\n"
     "Options:\n"
     "  --parallel N   targets at once (default: the number of cores; at most 4 at once\n"
     "                 on one server)\n"
     "  --canary K     run the first K first; no other starts if one of them fails\n"
     "  --max-failures M  stop starting targets after more than M failures (default 0)\n"
     "  --continue     go on past every failure\n"
     "  --shard I/N    this machine's share: N shards cover every target once (else a\n"
     "                 Kubernetes Indexed Job's JOB_COMPLETION_INDEX and JOB_COMPLETIONS)\n"
     "  --json         print JSON (schema strata.fleet/1)\n"
     "\n"
     "Examples:\n"
     "  strata up --fleet tenants --canary 3 --parallel 8\n"
     "  strata status --targets tenants.txt\n"},
    {"status",
     "Usage: strata status [--check] [--all-envs] [--json]\n"
     "\n"
     "List every migration with its state: applied, pending, dirty (half-applied outside a\n"
     "transaction), modified (edited after it was applied), missing (applied, file gone) or\n"
     "out-of-order (pending but older than the newest applied), with when, how long and by\n"
     "whom each was applied.\n"
     "\n"
     "Options:\n"
     "  --check        exit 3 when anything is pending (for CI)\n"
     "  --all-envs     one matrix: which versions are applied in which strata.conf\n"
     "                 environment\n"
     "  --fleet NAME, --targets FILE  run it over a fleet, with --parallel N,\n"
     "                 --canary K, --max-failures M, --continue, --shard I/N\n"
     "                 (`strata fleet --help`)\n"
     "  --json         print JSON (schema strata.status/1, see docs/json.md)\n"
     "\n"
     "Example:\n"
     "  strata status --json | jq '.summary'\n"},
    {"validate",
     "Usage: strata validate [--json]\n"
     "\n"
     "Check the applied migrations against their files: an edited file (checksum differs),\n"
     "a file missing for an applied version, a dirty record and an out-of-order pending\n"
     "version are errors (exit 3); a migration without a down script is a warning.\n"
     "\n"
     "Options:\n"
     "  --require-down a migration without a down script is an error, not a warning\n"
     "  --dump FILE    also fail (exit 3) when FILE, a committed `strata dump`, is not the\n"
     "                 database's schema now\n"
     "  --fleet NAME, --targets FILE  run it over a fleet, with --parallel N,\n"
     "                 --canary K, --max-failures M, --continue, --shard I/N\n"
     "                 (`strata fleet --help`)\n"
     "  --json         print JSON (schema strata.validate/1)\n"
     "\n"
     "Example (CI):\n"
     "  strata --database \"$DATABASE_URL\" validate || exit 1\n"},
    {"new", "Usage: strata new NAME [--format F] [--dialects D1,D2] [--sequential | --timestamp]\n"
            "\n"
            "Write the files of a new migration into the migrations directory, in the format the\n"
            "directory already uses (paired .up.sql/.down.sql when it is empty). The version is a\n"
            "UTC timestamp (YYYYMMDDHHMMSS), or the next zero-padded sequence number when the\n"
            "directory already numbers its migrations 001, 002, ...\n"
            "\n"
            "Options:\n"
            "  --format F     paired, sections (-- migrate:up/down), goose, rollback-folder,\n"
            "                 folder (VERSION_name/migration.sql) or flyway (V1__name.sql)\n"
            "  --dialects L   write one variant per dialect, as `strata drivers` names them\n"
            "                 (V_name.DIALECT.up.sql, ...), instead of one neutral migration\n"
            "  --sequential   use the next sequence number\n"
            "  --timestamp    use a timestamp\n"
            "\n"
            "Examples:\n"
            "  strata new add_users_email\n"
            "  strata new create_orders --format flyway\n"},
    {"force", "Usage: strata force VERSION [applied|rolled-back]\n"
              "\n"
              "Record the truth about VERSION after fixing a failed migration by hand: 'applied'\n"
              "(the default) records it as fully applied with the checksum of its file now;\n"
              "'rolled-back' removes its record. Clears a dirty state. Logged in the event table.\n"
              "\n"
              "Examples:\n"
              "  strata force 20250701132805\n"
              "  strata force 004 rolled-back\n"},
    {"adopt",
     "Usage: strata adopt [--from golang-migrate|dbmate|goose|flyway|sqitch|liquibase] [--json]\n"
     "\n"
     "Take over a database that another tool migrated, so strata carries on from where it\n"
     "stopped without running a migration again. strata reads the tool's table (never\n"
     "writes it): golang-migrate's or dbmate's schema_migrations, goose's goose_db_version,\n"
     "Flyway's flyway_schema_history, sqitch's registry (sqitch.changes; for a file\n"
     "database the sqitch file beside it) or Liquibase's DATABASECHANGELOG. Every migration\n"
     "the tool applied must have its file in the migrations directory; each is recorded as\n"
     "applied in strata's history with its checksums, the order in which the tool applied\n"
     "it and, where the tool kept them, when and by whom, plus an 'adopt' event. Migrations\n"
     "the tool had not applied stay pending: `strata up` runs them.\n"
     "\n"
     "Refuses, changing nothing (exit 3), when no tool table is found, when several are and\n"
     "--from is not given, when golang-migrate is dirty, when Flyway recorded a failed\n"
     "migration, when the tool applied a version that has no file, and when strata's\n"
     "history already has rows.\n"
     "\n"
     "Options:\n"
     "  --from TOOL    golang-migrate, dbmate, goose, flyway, sqitch or liquibase\n"
     "                 (default: the one whose table is in the database)\n"
     "  --json         print the result as JSON (schema strata.adopt/1)\n"
     "\n"
     "Examples:\n"
     "  strata --dir db/migrations adopt\n"
     "  strata adopt --from goose && strata up\n"
     "  strata adopt --from flyway --json\n"},
    {"drivers",
     "Usage: strata drivers [--check] [--json]\n"
     "\n"
     "List every driver plugin found on the search path (--driver-dir, $STRATA_DRIVER_PATH,\n"
     "the build tree beside the program, the installed driver directory) with its version,\n"
     "URL schemes and shape, dialect, capabilities, optional features and ABI, and every\n"
     "plugin refused with every reason.\n"
     "\n"
     "  --check   exit 1 when any plugin is refused (for CI and packaging)\n"
     "\n"
     "Example:\n"
     "  strata drivers --driver-dir ./my-drivers --check\n"},
    {"history",
     "Usage: strata history [VERSION] [--action A] [--since DATE] [--limit N] [--json]\n"
     "\n"
     "Print the event log: every up, down, force and adopt, with when (UTC), how long, who\n"
     "and the outcome, oldest first. A failed migration shows its error below it.\n"
     "\n"
     "Options:\n"
     "  VERSION        only events of this version (as the history spells it)\n"
     "  --action A     only up, down, force, baseline, repair or adopt events\n"
     "  --since DATE   only events at or after DATE (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, UTC)\n"
     "  --limit N      only the newest N events\n"
     "  --json         print JSON (schema strata.history/1)\n"
     "\n"
     "Examples:\n"
     "  strata history --since 2026-11-01 --action up\n"
     "  strata history 20250701132805 --json\n"},
    {"baseline",
     "Usage: strata baseline VERSION [--description TEXT]\n"
     "\n"
     "Mark an existing database, whose schema was built before strata, as being at\n"
     "VERSION: every migration up to VERSION is recorded as applied without running, and\n"
     "a baseline event keeps the description. Refused when strata's history has rows.\n"
     "\n"
     "Example:\n"
     "  strata baseline 20250701132805 --description \"schema as of the July release\"\n"},
    {"repair",
     "Usage: strata repair [--yes]\n"
     "\n"
     "List applied migrations whose file was edited since they ran; with --yes, record\n"
     "the files' checksums as the truth (one repair event each), so validate and up stop\n"
     "refusing them. Only for deliberate edits (a comment, whitespace, a fix already\n"
     "applied by hand): a changed migration does not run again. Without --yes it exits 3.\n"
     "\n"
     "Example:\n"
     "  strata repair && strata repair --yes\n"},
    {"backup",
     "Usage: strata backup --output FILE\n"
     "\n"
     "Back the whole database up to FILE, under the migration lock, in the form the\n"
     "database's own tools restore (a database file, or SQL for the database's client;\n"
     "docs/operations.md says which for each driver, and how to restore). `strata drivers`\n"
     "lists the drivers that can (feature backup). Dump tools run without a shell and get\n"
     "the password through their environment, never their command line. FILE is replaced\n"
     "only when the backup is complete.\n"
     "\n"
     "Examples:\n"
     "  strata backup --output before-release.sql\n"
     "  strata up --backup before-release.sql\n"},
    {"redo", "Usage: strata redo [--step N] [--json]\n"
             "\n"
             "Roll back the last N applied migrations (default 1) with their down scripts, then\n"
             "apply them again: a quick check that a migration and its rollback work.\n"
             "\n"
             "Example:\n"
             "  strata redo --step 2\n"},
    {"mark", "Usage: strata mark VERSION applied|rolled-back\n"
             "\n"
             "The same as `strata force VERSION applied|rolled-back`.\n"},
    {"wait", "Usage: strata wait [--timeout T]\n"
             "\n"
             "Wait until the database accepts connections, trying every 250 ms for up to T\n"
             "(default 60s; forever waits without limit), as a deploy script does before\n"
             "migrating. Exits 0 when it does, 1 with the last connection error when the time\n"
             "is up. Like every command that only reads, it creates no database file.\n"
             "\n"
             "Example:\n"
             "  strata wait --timeout 30s && strata up\n"},
    {"embed",
     "Usage: strata embed [--symbol NAME] [--output FILE] [DIR]\n"
     "\n"
     "Write the migrations of DIR (default: --dir) as C source: an array\n"
     "`const strata_embedded_file NAME[]` (default strata_migrations) holding every file of\n"
     "the folder, for a program that passes it as strata_options.embedded and migrates its\n"
     "database at start-up without a migrations folder (docs/embedding.md). The folder is\n"
     "read as strata reads it first: a set strata would refuse is refused here. FILE is\n"
     "replaced only when the source is complete.\n"
     "\n"
     "Options:\n"
     "  --symbol NAME  the array's name (a C identifier)\n"
     "  --output FILE  write to FILE instead of standard output\n"
     "\n"
     "Example:\n"
     "  strata embed --output migrations.c migrations && cc app.c migrations.c \\\n"
     "      $(pkg-config --cflags --libs strata)\n"},
    {"version", "Usage: strata version\n\nPrint strata's version.\n"},
    {"help", "Usage: strata help [COMMAND]\n\nPrint the overview, or a command's help.\n"},
};

int
cli_help(FILE *out, const char *command)
{
    if (command == NULL) {
        const char *urls = strstr(overview, "%URLS%");
        fwrite(overview, 1, (size_t)(urls - overview), out);
        print_urls(out);
        fputs(urls + strlen("%URLS%"), out);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, command) == 0) {
            fputs(commands[i].text, out);
            fputs("\nGlobal options (--database, --dir, ...) are listed by `strata --help`.\n",
                  out);
            return 0;
        }
    }
    return -1;
}
