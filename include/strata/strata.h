/*
 * strata — the library API (libstrata), for applications that migrate their database at
 * start-up and for the strata command, which uses nothing else.
 *
 *   strata_options o;
 *   strata_options_init(&o);
 *   o.database_url = "sqlite:app.db";
 *   o.dir = "migrations";
 *   strata *s = NULL;
 *   strata_error err = STRATA_ERROR_INIT;
 *   if (strata_open(&o, &s, &err) == STRATA_OK) {
 *       strata_run_report *r = NULL;
 *       strata_up(s, NULL, &r, &err);
 *       strata_run_report_free(r);
 *   }
 *   strata_close(s);
 *
 * Conventions: functions that can fail return a strata_status and fill *err; on failure
 * their out-parameters are left NULL. Every object returned through an out-parameter is
 * owned by the caller and freed with the matching *_free function. A strata handle is used
 * by one thread at a time. No function prints anything: progress reaches the caller through
 * strata_options.on_event, and the strata_report_* functions format results.
 */
#ifndef STRATA_STRATA_H
#define STRATA_STRATA_H

#include <stdint.h>
#include <stdio.h>

#include <strata/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define STRATA_API __attribute__((visibility("default")))
#else
#define STRATA_API
#endif

/* The library's version, e.g. "0.1.0". */
STRATA_API const char *strata_version(void);

/* Empties err and sets its size to this header's (as STRATA_ERROR_INIT does). */
STRATA_API void strata_error_init(strata_error *err);

/* An open session: configuration, the loaded driver and its connection. */
typedef struct strata strata;

/* ---------------------------------------------------------------- events */

typedef enum strata_event_type {
    STRATA_EVENT_MIGRATION_START = 1, /* a migration is about to run */
    STRATA_EVENT_MIGRATION_DONE,      /* it ran and was recorded */
    STRATA_EVENT_MIGRATION_FAILED,    /* it failed; nothing of it was kept unless dirty */
    STRATA_EVENT_SQL,                 /* --dry-run: one statement that would run (text) */
    STRATA_EVENT_NOTICE,              /* something the user should know (text) */
    STRATA_EVENT_LOCK_WAIT,           /* waiting for another runner's lock (text) */
    STRATA_EVENT_STATEMENT,           /* a statement is about to run (text, line) */
    STRATA_EVENT_PLAN                 /* up/down: statements = how many migrations will run */
} strata_event_type;

/* Passed to on_event; every pointer is valid only during the call. */
typedef struct strata_event {
    strata_event_type type;
    char direction; /* 'u' for up, 'd' for down, 0 otherwise */
    const char *version;
    const char *name;
    const char *file;      /* the script's path */
    long long duration_ms; /* MIGRATION_DONE / FAILED */
    long statements;       /* statements run so far */
    int no_transaction;    /* the migration runs outside a transaction */
    const char *text;      /* SQL, STATEMENT, NOTICE and LOCK_WAIT */
    long line;             /* SQL, STATEMENT: file line of the statement */
} strata_event;

typedef void (*strata_event_fn)(void *ctx, const strata_event *event);

/* ---------------------------------------------------------------- opening */

/*
 * A migration file compiled into the program (`strata embed DIR > migrations.c` writes an
 * array of them, ending with a NULL path). path is relative to the migrations folder, as
 * on disk ("001_init.up.sql", "postgres/002_x.sql"); data holds size bytes.
 */
typedef struct strata_embedded_file {
    const char *path;
    const char *data;
    size_t size;
} strata_embedded_file;

typedef struct strata_options {
    uint32_t size;            /* set by strata_options_init */
    const char *database_url; /* required: sqlite:strata.db, postgres://..., ... */
    const char *dir;          /* migrations directory (default "migrations") */
    const char *table;        /* history table (default "strata_migrations") */
    const char *schema;       /* schema of the history tables (NULL: the default) */
    const char *driver_dir;   /* searched for drivers before STRATA_DRIVER_PATH (may be NULL) */
    long lock_timeout_ms;     /* wait for the migration lock (default 60000; <0 forever) */
    int allow_out_of_order;   /* apply pending versions older than the newest applied */
    strata_event_fn on_event; /* progress, may be NULL */
    void *event_ctx;
    /* Opt-in SQL placeholders: NULL-terminated name, value, name, value, ... pairs; when set,
     * ${name} (and ${name:-default}) in migration SQL is replaced by its value. NULL: off. */
    const char *const *placeholders;
    /* The database password when it is not in the URL (e.g. read from a file), or NULL: then
     * the variable the driver names (MYSQL_PWD for mysql:) is read when set. Only for
     * scheme://user@host URLs; giving it with a URL that has a password is an error. */
    const char *password;
    /* The caller only reads: a file database that does not exist is an error instead of
     * being created, and every call that writes (they take the migration lock) is refused
     * with STRATA_USAGE. */
    int read_only;
    /* Migrations compiled into the program, read instead of the folder dir (which then only
     * names them in messages); NULL: the folder. Must outlive the session. */
    const strata_embedded_file *embedded;
    /* How long to wait for the server to answer while connecting (default 10000); a server
     * that does not answer in time is an error that says so. <0: the driver's own default. */
    long connect_timeout_ms;
} strata_options;

/* Fills o with the defaults above. */
STRATA_API void strata_options_init(strata_options *o);

/*
 * Loads the driver for the URL's scheme and connects. The options' strings are copied.
 * *out is freed with strata_close. Errors: STRATA_USAGE (bad URL, unknown driver) and
 * STRATA_ERROR (connection refused, ...); messages never show a password.
 */
STRATA_API int strata_open(const strata_options *o, strata **out, strata_error *err);
/*
 * strata_open(), tried again every 250 ms while the database does not accept connections
 * (a server starting, a container coming up), for up to timeout_ms (<0: forever). Returns
 * as strata_open() does; a usage error (bad URL, no driver) returns at once, and when the
 * time is up the last error comes back with a hint saying how long it waited.
 */
STRATA_API int strata_open_wait(const strata_options *o, long timeout_ms, strata **out,
                                strata_error *err);
/* Closes the connection and unloads nothing (drivers stay loaded). NULL is a no-op. */
STRATA_API void strata_close(strata *s);

/* The database URL of the session with the password replaced by "***". */
STRATA_API const char *strata_redacted_url(const strata *s);
/* A one-line description of the server, e.g. "SQLite 3.40.1". */
STRATA_API const char *strata_server_version(strata *s);

/* ---------------------------------------------------------------- up and down */

typedef struct strata_run_options {
    uint32_t size;          /* sizeof(strata_run_options) */
    const char *to_version; /* up: stop after this version; down: undo down to (not
                               including) this version. NULL: no limit */
    long step;              /* at most this many migrations (0: no limit for up, 1
                               for down) */
    int all;                /* down: undo everything */
    int dry_run;            /* print the plan and SQL as events, change nothing */
    int resume;             /* up: first finish the dirty migration from the statement after
                               the last one that ran (refused if those were edited) */
    int ignore_missing;     /* up: go on when an applied migration's file is gone (renamed
                               or deleted); by default up refuses (STRATA_VALIDATION) */
} strata_run_options;

typedef struct strata_run_item {
    char *version;
    char *name;
    char *file;
    long long duration_ms;
    long statements;
    int no_transaction;
} strata_run_item;

typedef struct strata_run_report {
    char direction; /* 'u' or 'd' */
    int dry_run;
    strata_run_item *items; /* migrations run (or planned, with dry_run), in order */
    size_t count;
    long long total_ms;
} strata_run_report;

/*
 * Applies pending migrations in version order, each in its own transaction together with
 * its history row. Takes the migration lock first and reads the history under it. On a
 * failing statement the migration is rolled back and err->message reads
 * "file:line:col: message". *out (may be NULL to skip) lists what was applied, also on
 * failure (migrations before the failing one stay applied).
 */
STRATA_API int strata_up(strata *s, const strata_run_options *o, strata_run_report **out,
                         strata_error *err);
/* Undoes applied migrations, newest applied first (default: one). */
STRATA_API int strata_down(strata *s, const strata_run_options *o, strata_run_report **out,
                           strata_error *err);
STRATA_API void strata_run_report_free(strata_run_report *r);

/* ---------------------------------------------------------------- status */

typedef enum strata_migration_state {
    STRATA_STATE_APPLIED = 1,
    STRATA_STATE_PENDING,
    STRATA_STATE_DIRTY,       /* started outside a transaction and not finished */
    STRATA_STATE_MODIFIED,    /* applied, but its file changed since */
    STRATA_STATE_MISSING,     /* applied, but its file is gone */
    STRATA_STATE_OUT_OF_ORDER,    /* pending, but older than the newest applied version */
    STRATA_STATE_NOT_APPLICABLE,  /* has files only for other dialects */
    STRATA_STATE_OUTDATED         /* repeatable whose file changed: it runs again on up */
} strata_migration_state;

typedef struct strata_status_item {
    char *version;             /* "R__name" for a repeatable migration */
    char *name;
    strata_migration_state state;
    char *file; /* up script path, NULL when MISSING */
    int has_down;
    char *applied_at; /* UTC "YYYY-MM-DD HH:MM:SS", NULL when not applied */
    char *applied_by;
    long long execution_ms;
    long applied_rank;       /* order in which it was applied (1 = first), 0 if not */
    char *checksum;          /* of the file now, NULL when MISSING */
    char *recorded_checksum; /* in the history, NULL when not applied */
    int repeatable;          /* a repeatable migration (Flyway R__name.sql) */
} strata_status_item;

typedef struct strata_status_report {
    char *database; /* redacted URL */
    char *dir;
    char *table;
    strata_status_item *items; /* by version */
    size_t count;
    size_t applied, pending, dirty, modified, missing, out_of_order;
    size_t not_applicable, outdated;
} strata_status_report;

/* Reads files and history (no lock needed) and merges them. */
STRATA_API int strata_status(strata *s, strata_status_report **out, strata_error *err);
STRATA_API void strata_status_report_free(strata_status_report *r);

/* ---------------------------------------------------------------- validate */

typedef enum strata_problem_kind {
    STRATA_PROBLEM_MODIFIED = 1, /* error: applied file edited */
    STRATA_PROBLEM_MISSING,      /* error: file of an applied version gone */
    STRATA_PROBLEM_DIRTY,        /* error: half-applied migration */
    STRATA_PROBLEM_OUT_OF_ORDER, /* error unless out-of-order is allowed */
    STRATA_PROBLEM_NO_DOWN,      /* warning: migration without a down script */
    STRATA_PROBLEM_DOWN_MODIFIED, /* warning: down script edited since the up was applied */
    STRATA_PROBLEM_GAP, /* warning: a sequence number is missing (001, 002, 004) */
    STRATA_PROBLEM_EMPTY /* info: an empty script, applied (or rolled back) as a no-op */
} strata_problem_kind;

typedef struct strata_problem {
    strata_problem_kind kind;
    int is_error; /* 0: a warning */
    char *version;
    char *file;    /* may be NULL */
    char *message; /* says what is wrong and what to do */
    int is_info;   /* 1: information only, neither error nor warning (is_error is 0) */
} strata_problem;

typedef struct strata_validation_report {
    strata_problem *items;
    size_t count;
    size_t errors, warnings;
    size_t checked; /* migrations checked */
    size_t infos;   /* problems of the info level (not counted in warnings) */
} strata_validation_report;

/*
 * Checks the files against the history: checksums of applied migrations (an edited up
 * script is an error, an edited down script a warning), files missing for applied
 * versions, dirty records, out-of-order pending versions, migrations without a down. Returns
 * STRATA_OK when the check ran (look at (*out)->errors), another status when it could not run.
 */
STRATA_API int strata_validate(strata *s, strata_validation_report **out, strata_error *err);
STRATA_API void strata_validation_report_free(strata_validation_report *r);

/* ---------------------------------------------------------------- force */

/*
 * Records the truth about a version after a manual fix: applied (the migration's effects
 * are all there) or rolled back (none are), clearing a dirty record. Logged as an event.
 */
STRATA_API int strata_force(strata *s, const char *version, int applied, strata_error *err);

/* ---------------------------------------------------------------- new */

typedef struct strata_new_options {
    uint32_t size;
    int sequential;      /* 1: zero-padded sequence numbers; 0: timestamps; -1: as the
                            directory already does (default) */
    const char *format;  /* paired, sections, goose, rollback-folder, folder, flyway;
                            NULL: the format the directory already uses (paired if empty) */
    const char *dialects; /* comma-separated, e.g. "postgres,sqlite": write one variant per
                             dialect instead of a dialect-neutral migration; NULL: none */
} strata_new_options;

/* The files strata_new_files wrote, in order. */
typedef struct strata_new_result {
    char **paths;
    size_t count;
    char *version;
    const char *format; /* static */
    char *name;         /* the name as the file names spell it (lowercase letters, digits,
                           single '_'), which may differ from the name given */
} strata_new_result;

/*
 * Writes the files of a new migration called name into dir (created if missing), in the
 * folder's own format (or o->format) with a version following its habit: timestamps, or
 * the next zero-padded sequence number. *out is freed with strata_new_result_free.
 * Errors: STRATA_USAGE for a bad name, format or dialect list; STRATA_ERROR when a file
 * cannot be written (nothing is left half-written).
 */
STRATA_API int strata_new_files(const char *dir, const char *name, const strata_new_options *o,
                                strata_new_result **out, strata_error *err);
STRATA_API void strata_new_result_free(strata_new_result *r);

/*
 * The first two files of strata_new_files (the up and the down script); *up_path and
 * *down_path are the caller's to free().
 */
STRATA_API int strata_new(const char *dir, const char *name, const strata_new_options *o,
                          char **up_path, char **down_path, strata_error *err);

/* ---------------------------------------------------------------- drivers */

typedef struct strata_driver_info {
    char *name;
    char *file;    /* path of the shared object */
    char *version; /* NULL when refused */
    char *dialect;
    char *schemes;      /* comma-separated */
    char *capabilities; /* comma-separated names, before a connection refines them */
    char *client_version;
    unsigned abi_version;
    char *refused;   /* why the plugin was refused (every reason, "; "-separated), NULL when
                        usable */
    char *url_shape; /* "server", "file" or "opaque" */
    char *features;  /* comma-separated optional members it has: lock, session-reset, copy-in,
                        utc-timestamps, backup, snapshot, scratch */
} strata_driver_info;

typedef struct strata_driver_list {
    strata_driver_info *items;
    size_t count;
    char **searched; /* directories searched, in order */
    size_t nsearched;
} strata_driver_list;

/* Loads every plugin of the search path (driver_dir first, may be NULL) and reports it. */
STRATA_API int strata_list_drivers(const char *driver_dir, strata_driver_list **out,
                                   strata_error *err);
STRATA_API void strata_driver_list_free(strata_driver_list *l);

/*
 * Writes C source to out that compiles the migrations of dir into a program: an array
 * `const strata_embedded_file symbol[]` (ending with a NULL path) holding every regular
 * file under dir but hidden ones, sorted by path, to pass as strata_options.embedded. The
 * folder is read as strata reads it first: a set strata would refuse is refused here
 * (STRATA_VALIDATION, naming the file). symbol must be a C identifier.
 */
STRATA_API int strata_embed(FILE *out, const char *dir, const char *symbol, strata_error *err);

/* ---------------------------------------------------------------- reports */

/* Output flags for the strata_report_* functions. */
#define STRATA_REPORT_JSON 0x01  /* JSON (schema documented in docs/json.md) */
#define STRATA_REPORT_COLOR 0x02 /* ANSI colours (human output only) */

STRATA_API void strata_report_status(FILE *out, const strata_status_report *r, unsigned flags);
STRATA_API void strata_report_run(FILE *out, const strata_run_report *r, unsigned flags);
STRATA_API void strata_report_validation(FILE *out, const strata_validation_report *r,
                                         unsigned flags);
STRATA_API void strata_report_drivers(FILE *out, const strata_driver_list *l, unsigned flags);
/*
 * With STRATA_REPORT_JSON, err as one strata.error/1 document (docs/json.md): what a
 * --json command prints on standard output when it fails before it has a result; without,
 * "error: MESSAGE" and its SQLSTATE, detail and hint lines.
 */
STRATA_API void strata_report_error(FILE *out, const strata_error *err, unsigned flags);
/* strata_report_run for a run that failed part-way: with STRATA_REPORT_JSON, the
 * strata.run/1 document gets an "error" member (as in strata.error/1); without, the run
 * report and then the error as strata_report_error writes it. */
STRATA_API void strata_report_run_failed(FILE *out, const strata_run_report *r,
                                         const strata_error *err, unsigned flags);

/* ---------------------------------------------------------------- adopt */

/* One migration adopted from another tool, recorded as applied in strata's history. */
typedef struct strata_adopt_item {
    char *version; /* as spelled by the file; "R__name" for a repeatable migration */
    char *name;
    int repeatable;         /* a Flyway repeatable migration (R__name.sql) */
    long applied_rank;      /* the order in which the tool applied it (1 = first) */
    char *applied_at;       /* UTC "YYYY-MM-DD HH:MM:SS": the tool's time, else the adoption's */
    char *applied_by;       /* Flyway's installed_by, else the adopting user@host */
    long long execution_ms; /* Flyway's execution_time, else 0 */
} strata_adopt_item;

typedef struct strata_adopt_report {
    char *tool;               /* "golang-migrate", "dbmate", "goose" or "flyway" */
    char *table;              /* the tool's table: read, never written */
    strata_adopt_item *items; /* adopted, in applied_rank order */
    size_t count;
    size_t pending; /* migrations of the directory the tool had not applied: left to up */
    size_t skipped; /* tool records not adopted (a Flyway repeatable whose file is gone);
                       each was announced by a NOTICE event */
} strata_adopt_report;

/*
 * Takes over a database migrated by golang-migrate, dbmate, goose or Flyway, so that strata
 * carries on from where that tool stopped without running a migration again.
 *
 * tool is "golang-migrate", "dbmate", "goose" or "flyway", or NULL to detect it from the
 * tables present (golang-migrate's and dbmate's schema_migrations are told apart by the
 * dirty column). The tool's table is only read. Every migration it records as applied must
 * have its file in the migrations directory; each is recorded in strata's history as
 * applied (checksums from the files, apply order, time and user from the tool where it has
 * them) with an 'adopt' event, under the migration lock and in one transaction. Migrations
 * of the directory the tool had not applied stay pending.
 *
 * Refuses with STRATA_VALIDATION, changing nothing, when no tool table is found, when
 * several are and tool is NULL, when golang-migrate's version is dirty, when Flyway records
 * a failed migration, when the tool records a version that has no file, and when strata's
 * history already has rows. An unknown tool name is STRATA_USAGE. *out (may be NULL to
 * skip) is freed with strata_adopt_report_free; it is NULL on failure.
 */
STRATA_API int strata_adopt(strata *s, const char *tool, strata_adopt_report **out,
                            strata_error *err);
STRATA_API void strata_adopt_report_free(strata_adopt_report *r);
/* Prints the report: one line for people, or JSON (schema strata.adopt/1, docs/json.md). */
STRATA_API void strata_report_adopt(FILE *out, const strata_adopt_report *r, unsigned flags);

/* ---------------------------------------------------------------- the event log */

/* What strata_history_log selects; NULL/0 members select everything. */
typedef struct strata_log_filter {
    uint32_t size;
    const char *version; /* one version (compared as the history spells it) */
    const char *action;  /* up, down, force, adopt, ... */
    const char *since;   /* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", UTC: events at or after */
    long limit;          /* the newest N events, 0: all */
} strata_log_filter;

typedef struct strata_log_entry {
    long long id;
    char *version;
    char *name;
    char *action;
    char *outcome;       /* ok or failed */
    char *started_at;    /* UTC "YYYY-MM-DD HH:MM:SS" */
    long long duration_ms;
    char *performed_by;
    char *strata_version;
    char *detail;        /* may be NULL */
} strata_log_entry;

typedef struct strata_log {
    strata_log_entry *items; /* oldest first */
    size_t count;
} strata_log;

/*
 * Reads the event log (every up, down, force, adopt ... with who, when, how long and the
 * outcome), filtered. An untouched database has an empty log. *out is freed with
 * strata_log_free.
 */
STRATA_API int strata_history_log(strata *s, const strata_log_filter *f, strata_log **out,
                                  strata_error *err);
STRATA_API void strata_log_free(strata_log *l);
STRATA_API void strata_report_log(FILE *out, const strata_log *l, unsigned flags);

/*
 * Rolls back the last step applied migrations (default 1) and applies them again, under
 * one lock each way. *down_out and *up_out (may be NULL) report the two halves.
 */
STRATA_API int strata_redo(strata *s, long step, strata_run_report **down_out,
                           strata_run_report **up_out, strata_error *err);

/* ---------------------------------------------------------------- backup */

/*
 * Writes a backup of the session's whole database to the file path through the driver's
 * backup member, in the form the database's own tools restore: SQLite a database file
 * (copy it back), PostgreSQL a plain SQL script from pg_dump (psql -f), MySQL and MariaDB
 * a SQL script from mariadb-dump or mysqldump (mariadb DB < FILE); docs/operations.md has
 * the restore steps. path is replaced atomically (written to path.tmp, mode 0600, then
 * renamed), so it never holds half a backup.
 *
 * Takes the migration lock for the duration (waiting up to the session's lock timeout,
 * with a LOCK_WAIT event), so no strata run migrates the database mid-backup; reads no
 * migration file and no history. PostgreSQL and MySQL run their dump tool, found on PATH
 * (STRATA_PG_DUMP and STRATA_MYSQL_DUMP name one explicitly), handing it the password
 * through its environment only.
 *
 * Errors: STRATA_USAGE (no path); STRATA_NOT_SUPPORTED when the driver cannot back up or
 * its dump tool is not installed (the message names the driver or the package to
 * install); STRATA_LOCK_TIMEOUT; STRATA_ERROR when the backup fails (the tool's error is in
 * the message and detail). Every message starts "cannot back up URL to PATH: " with the
 * URL redacted, and none shows the password.
 */
STRATA_API int strata_backup(strata *s, const char *path, strata_error *err);

/* ---------------------------------------------------------------- baseline and repair */

/*
 * Marks an existing database as being at version: every migration whose version is at
 * most version is recorded as applied without running (kind versioned, the file's
 * checksums), with one 'baseline' event carrying description (may be NULL). Refuses
 * (STRATA_VALIDATION) a database whose history already has rows. *count (may be NULL)
 * receives how many migrations were recorded.
 */
STRATA_API int strata_baseline(strata *s, const char *version, const char *description,
                               size_t *count, strata_error *err);

typedef struct strata_repair_item {
    char *version;
    char *file;
    char *recorded;  /* checksum in the history */
    char *current;   /* checksum of the file now */
} strata_repair_item;

typedef struct strata_repair_report {
    strata_repair_item *items;
    size_t count;
    int applied;     /* the new checksums were recorded */
} strata_repair_report;

/*
 * Lists applied migrations whose file was edited deliberately since it ran and, when
 * apply, records the files' checksums as the truth, with a 'repair' event each, under the
 * lock. *out is freed with strata_repair_report_free.
 */
STRATA_API int strata_repair(strata *s, int apply, strata_repair_report **out,
                             strata_error *err);
STRATA_API void strata_repair_report_free(strata_repair_report *r);

/* ---------------------------------------------------------------- schema snapshots */

/* One object of a snapshot (the kinds and texts are in docs/writing-a-driver.md). */
typedef struct strata_schema_object {
    int kind;              /* strata_object_kind (strata/driver.h) */
    const char *kind_name; /* static: "table", "column", "constraint", "index", ... */
    char *name;            /* "users", "users.email", "users.unique (email)" */
    char *definition;      /* normalized, one line; "" when the kind has none */
    const char *owner;     /* the table it belongs to (its name), or NULL */
} strata_schema_object;

typedef struct strata_snapshot {
    char *dialect;
    strata_schema_object *items; /* tables with what belongs to them, then views, functions */
    size_t count;
} strata_snapshot;

/*
 * The schema the session's connection sees, strata's own tables left out: the same schema
 * gives the same objects, byte for byte, whatever its history. STRATA_NOT_SUPPORTED when
 * the driver has no snapshot member. *out is freed with strata_snapshot_free.
 */
STRATA_API int strata_take_snapshot(strata *s, strata_snapshot **out, strata_error *err);
STRATA_API void strata_snapshot_free(strata_snapshot *snap);
/* The snapshot as `strata dump` prints it: text, or strata.dump/1 with STRATA_REPORT_JSON. */
STRATA_API void strata_report_snapshot(FILE *out, const strata_snapshot *snap, unsigned flags);

/* One difference between two snapshots. */
typedef struct strata_schema_change {
    char op;               /* '+' only in the second, '-' only in the first, '~' changed */
    const char *kind_name; /* static */
    char *name;
    char *before; /* the first's definition, NULL for '+' */
    char *after;  /* the second's definition, NULL for '-' */
} strata_schema_change;

typedef struct strata_schema_diff {
    strata_schema_change *items; /* by kind, then name */
    size_t count;
} strata_schema_diff;

/* What changes a into b, object by object. *out is freed with strata_schema_diff_free. */
STRATA_API int strata_schema_compare(const strata_snapshot *a, const strata_snapshot *b,
                                     strata_schema_diff **out, strata_error *err);
STRATA_API void strata_schema_diff_free(strata_schema_diff *d);
/* The changes: text lines ("+ index users.x: btree (x)", "~ column ..." with before and
 * after), or with STRATA_REPORT_JSON one object {"schema": schema, "differences": N,
 * "changes": [...]} (strata.drift/1, strata.diff/1 in docs/json.md). */
STRATA_API void strata_report_schema_diff(FILE *out, const strata_schema_diff *d,
                                          const char *schema, unsigned flags);

/*
 * Asks what runs to stop at the next safe point: strata_up and strata_down before the next
 * statement they may stop at (a migration in a transaction is rolled back; one outside a
 * transaction stays dirty, resumable) or the next migration, returning STRATA_INTERRUPTED
 * and logging an `interrupted` event; strata_verify and strata_drift before their next step,
 * dropping their scratch database; strata_fleet_run before starting another target.
 * Async-signal-safe, for a SIGINT handler. It stays set until strata_verify, strata_drift or
 * strata_fleet_run starts afresh.
 */
STRATA_API void strata_cancel(void);

/*
 * strata drift: applies the session's migration set to a scratch database (scratch_url, or
 * one the driver creates beside the target and drops at the end, also on failure and on
 * strata_cancel), and compares the live database's snapshot with the scratch one: *out
 * lists what the live database has that the migrations do not ('+'), lacks ('-') or has
 * otherwise ('~'). Only reads the live database.
 */
STRATA_API int strata_drift(strata *s, const char *scratch_url, strata_schema_diff **out,
                            strata_error *err);

typedef struct strata_verify_options {
    uint32_t size;            /* sizeof(strata_verify_options) */
    const char *from;         /* the first version checked (NULL: the first) */
    const char *to;           /* the last version checked (NULL: the last) */
    const char *scratch_url;  /* a database to use instead of creating one; it must be empty */
    const char *const *also;  /* NULL-terminated URLs of other databases (other dialects) to
                                 verify on and compare portably; NULL: none */
} strata_verify_options;

/* What verify found for one migration on one database. */
typedef struct strata_verify_item {
    char *database;   /* redacted URL of the database it ran on */
    char *version;
    char *name;
    char *problem;    /* NULL when the migration passed; else what failed, in one sentence */
    strata_schema_diff *diff; /* what the down left different, or NULL */
    char **steps;     /* each step run and its outcome: "up: ok", "down: schema differs" */
    size_t nsteps;
} strata_verify_item;

typedef struct strata_verify_report {
    strata_verify_item *items; /* each database's migrations in order */
    size_t count;
    size_t failed;             /* items with a problem */
    strata_schema_diff *portability; /* --also: portable differences between the first two
                                        databases' final schemas (NULL without --also) */
    char **portability_notes;  /* one line per portable difference, both spellings */
    size_t nportability;
} strata_verify_report;

/*
 * strata verify: on a scratch database, for each migration in order: snapshot, up,
 * snapshot, down (the schema must equal the first snapshot), up again (it must equal the
 * second); then down to zero must leave an empty schema and up to the head must give the
 * forward schema again. Returns STRATA_OK when it ran (look at (*out)->failed).
 */
STRATA_API int strata_verify(strata *s, const strata_verify_options *o,
                             strata_verify_report **out, strata_error *err);
STRATA_API void strata_verify_report_free(strata_verify_report *r);
/* The report: each database's migrations with ok or the problem and its differences, then
 * the portability notes; or strata.verify/1 with STRATA_REPORT_JSON. */
STRATA_API void strata_report_verify(FILE *out, const strata_verify_report *r, unsigned flags);

/* ---------------------------------------------------------------- fleets */

struct strata_config; /* strata/settings.h */

/* One database (or one schema of a database) of a fleet. */
typedef struct strata_fleet_target {
    char *url;    /* secrets included: never print it */
    char *schema; /* schema-per-tenant: the schema it lives in (strata_options.schema), or NULL */
    char *label;  /* for people: the redacted URL, with " schema S" for a schema target */
    char *server; /* "host:port" of a server URL, else "" : the per-server limit counts these */
} strata_fleet_target;

typedef struct strata_fleet {
    strata_fleet_target *items; /* in the order the sources give them, duplicates dropped */
    size_t count;
} strata_fleet;

/* Where the targets come from (docs/fleet.md); set one of targets_file and name. */
typedef struct strata_fleet_source {
    uint32_t size;                      /* sizeof(strata_fleet_source) */
    const char *targets_file;           /* one URL per line, # comments, ${VAR} */
    const char *name;                   /* a [fleet NAME] section of config */
    const struct strata_config *config; /* strata.conf (may be NULL without name) */
    const strata_options *base;         /* driver_dir, password, table: for the control and
                                           schemas queries' connections */
} strata_fleet_source;

/*
 * Resolves the targets: the file's lines, or the [fleet NAME] section's url, env (that
 * environment's url), targets (a file), control + targets_query (each row's first value
 * is a URL) and schemas_query (run on the section's url: each row's first value is a
 * schema of that database, a target of its own). *out is freed with strata_fleet_free.
 */
STRATA_API int strata_fleet_resolve(const strata_fleet_source *src, strata_fleet **out,
                                    strata_error *err);
STRATA_API void strata_fleet_free(strata_fleet *f);
/*
 * Keeps shard index of count (1 <= index <= count): a target belongs to the shard its
 * label's hash picks, so N shards cover every target exactly once, whatever the order of
 * the list, and a target keeps its shard when others are added.
 */
STRATA_API int strata_fleet_shard(strata_fleet *f, long index, long count, strata_error *err);

enum strata_fleet_command {
    STRATA_FLEET_UP = 1,
    STRATA_FLEET_DOWN,
    STRATA_FLEET_STATUS,
    STRATA_FLEET_VALIDATE,
    STRATA_FLEET_DRIFT,
    STRATA_FLEET_VERIFY
};

typedef struct strata_fleet_options {
    uint32_t size;                 /* sizeof(strata_fleet_options) */
    int command;                   /* enum strata_fleet_command */
    const strata_options *base;    /* every target's options (database_url and schema are the
                                      target's) */
    const strata_run_options *run; /* up, down: NULL for the defaults */
    int parallel;                  /* targets at once; 0: the number of cores */
    int per_server;                /* at once on one server; 0: 4 */
    int canary;                    /* run this many first; none other starts if one fails */
    long max_failures;             /* stop starting targets after more than this many
                                      failures (0: at the first); <0: never (--continue) */
    /* Called (serialized) whenever a target starts or ends; may be NULL. */
    void (*progress)(void *ctx, size_t done, size_t running, size_t failed, size_t remaining);
    void *progress_ctx;
} strata_fleet_options;

/* What happened on one target. */
typedef struct strata_fleet_result {
    const char *label;  /* the target's (valid while the fleet is) */
    int outcome;        /* 0 not started, 1 succeeded, 2 failed */
    char *before;       /* newest applied version before ("" none; NULL when not read) */
    char *after;        /* ... and after */
    long long duration_ms;
    char *error;        /* the first line of what failed, else NULL */
    char *hint;         /* what to run to recover (a dirty target), else NULL */
    char **applied;     /* status: the versions applied, in order */
    size_t napplied;
    size_t pending;     /* status: migrations pending */
} strata_fleet_result;

typedef struct strata_fleet_report {
    int command;
    strata_fleet_result *items; /* in the fleet's order */
    size_t count;
    size_t succeeded, failed, not_started;
    int stopped; /* why targets were left unstarted: 0 none, 1 a canary failed, 2 too many
                    failures, 3 interrupted (strata_cancel) */
} strata_fleet_report;

/*
 * Runs the command on every target, each with its own connection, lock and history, up to
 * o->parallel at once (at most o->per_server on one server). A failure is recorded and,
 * per o->canary and o->max_failures, stops targets from starting; strata_cancel() stops
 * them too, letting running ones finish. Returns STRATA_OK when it ran (look at the
 * report); a usage error for bad options.
 */
STRATA_API int strata_fleet_run(const strata_fleet *f, const strata_fleet_options *o,
                                strata_fleet_report **out, strata_error *err);
STRATA_API void strata_fleet_report_free(strata_fleet_report *r);
/* A table per target (status: a version matrix grouping identical targets), or
 * strata.fleet/1 with STRATA_REPORT_JSON. */
STRATA_API void strata_report_fleet(FILE *out, const strata_fleet_report *r, unsigned flags);
/* The targets' labels (passwords redacted), one a line, or strata.fleet-list/1 with
 * STRATA_REPORT_JSON. */
STRATA_API void strata_report_fleet_targets(FILE *out, const strata_fleet *f, unsigned flags);

/* ---------------------------------------------------------------- lint */

/* Severity of a lint rule (docs/lint.md); ordered, so "at or above" compares. */
#define STRATA_LINT_NOTICE 1
#define STRATA_LINT_WARNING 2
#define STRATA_LINT_ERROR 3

/* One rule of the catalogue. */
typedef struct strata_lint_rule {
    const char *id;          /* e.g. "pg-index-concurrently"; what lint-ignore names */
    int severity;            /* STRATA_LINT_* */
    const char *dialects;    /* "all", or the dialect it applies to: "postgres", "mysql",
                                "sqlite" (a driver declaring that dialect gets it) */
    const char *summary;     /* one line */
    const char *explanation; /* why it matters and the safe alternative */
} strata_lint_rule;

/* The catalogue, in documentation order; *count receives its length. Static. */
STRATA_API const strata_lint_rule *strata_lint_rules(size_t *count);

/* Which migrations to lint and how to read them. */
typedef struct strata_lint_options {
    uint32_t size;               /* sizeof(strata_lint_options) */
    const char *const *files;    /* NULL-terminated paths: lint the migrations these files
                                    belong to (up, down, or a section file); NULL: none */
    const char *since;           /* a git revision: lint migrations with a file changed since
                                    (committed, staged, unstaged or untracked); NULL: none */
    int all;                     /* every migration of the directory */
    const char *server_version;  /* the server the set will run on ("3.34.1", "8.0.36"), for
                                    rules that depend on it; NULL: the driver's client
                                    library version, else unknown */
} strata_lint_options;

typedef struct strata_lint_finding {
    const char *rule;   /* static: the rule's id ("lint-ignore" for a bad suppression) */
    int severity;       /* STRATA_LINT_* */
    char *version;      /* the migration */
    char *file;         /* the script's file */
    long line, col;     /* of the statement (1 and 1 for a finding about a whole script) */
    char *statement;    /* an excerpt of the statement's first line, NULL for a whole script */
    char *message;      /* what is wrong here, in one sentence */
    int down;           /* found in the down script */
    char *suppressed;   /* the lint-ignore reason when a comment suppressed it, else NULL */
} strata_lint_finding;

typedef struct strata_lint_report {
    char *dialect;               /* the rules applied: the driver's dialect */
    strata_lint_finding *items;  /* in migration order, then script and line order */
    size_t count;
    size_t errors, warnings, notices; /* findings not suppressed, by severity */
    size_t suppressed;
    size_t migrations;           /* migrations linted */
} strata_lint_report;

/*
 * Lints without a database: the driver for o->database_url's scheme is loaded (never
 * connected) and describes its dialect; o->dir is read as up reads it. lo selects the
 * migrations (files, since and all combine; at least one must be given, else
 * STRATA_USAGE: pending migrations need strata_lint_pending). Returns STRATA_OK when the
 * lint ran, whatever it found; STRATA_USAGE for a bad selection (a file that belongs to no
 * migration, a revision git does not know); STRATA_VALIDATION for a set up would refuse,
 * or a script the splitter cannot read (naming file:line:col); STRATA_NOT_SUPPORTED when
 * the driver cannot describe its dialect without connecting. *out is freed with
 * strata_lint_report_free.
 */
STRATA_API int strata_lint(const strata_options *o, const strata_lint_options *lo,
                           strata_lint_report **out, strata_error *err);
/*
 * Lints the migrations the connected session has pending (plus those lo selects, when lo is
 * not NULL), with the rules of the dialect the connection describes. Only reads.
 */
STRATA_API int strata_lint_pending(strata *s, const strata_lint_options *lo,
                                   strata_lint_report **out, strata_error *err);
STRATA_API void strata_lint_report_free(strata_lint_report *r);

/* Output formats of strata_report_lint. */
#define STRATA_LINT_FORMAT_TEXT 0   /* grouped by file, for people */
#define STRATA_LINT_FORMAT_JSON 1   /* strata.lint/1 (docs/json.md) */
#define STRATA_LINT_FORMAT_GITHUB 2 /* GitHub Actions workflow commands (annotations) */
#define STRATA_LINT_FORMAT_SARIF 3  /* SARIF 2.1.0, for code-scanning uploads */
/* Prints the report in format; verbose (text only) also lists suppressed findings with
 * their reasons and each rule's explanation. */
STRATA_API void strata_report_lint(FILE *out, const strata_lint_report *r, int format,
                                   int verbose, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif
