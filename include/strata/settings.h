/*
 * The project file strata.conf and the resolution of every setting (DESIGN section 6,
 * docs/configuration.md).
 *
 * strata.conf is an INI file (read with inih) with one section per environment:
 *
 *   default_env = development          ; or in a [strata] section
 *   [development]
 *   url = sqlite:dev.db
 *   [production]
 *   url = postgres://app:${DB_PASSWORD}@db.example.com/app
 *   lock_timeout = 2m
 *   placeholders = true
 *   placeholder.owner = app_owner
 *
 * Every value may use ${VAR} and ${VAR:-default} from the process environment ($${ is a
 * literal "${"); substitution happens when a value is used, so a variable that only
 * production needs may stay unset while working on development.
 *
 * Each setting is resolved as: command-line flag > environment variable (DATABASE_URL,
 * STRATA_DIR, STRATA_TABLE, STRATA_SCHEMA, STRATA_LOCK_TIMEOUT, STRATA_LINT) > the chosen
 * environment's section > the default. The environment is --env, else STRATA_ENV, else
 * default_env, else "development" when the file has that section, else none.
 *
 * Part of the library API: the strata command resolves its settings with it, and an
 * application may read the same strata.conf. Messages never hold a password: URLs
 * in them are redacted with strata_url_redact, and password files are never quoted.
 * Nothing here keeps global state; the functions may run in any thread, except that the
 * default environment lookup calls getenv(), so do not change the environment meanwhile.
 */
#ifndef STRATA_SETTINGS_H
#define STRATA_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

#include <strata/strata.h>
#include <strata/types.h>

/* Defaults when neither a flag, an environment variable nor the file gives a setting (the
 * database URL's is chosen when strata is built: strata_default_url()). */
#define STRATA_DEFAULT_DIR "migrations"
#define STRATA_DEFAULT_TABLE "strata_migrations"
#define STRATA_DEFAULT_LOCK_TIMEOUT "60s"
/* The project file looked for in the current directory when STRATA_CONFIG is unset. */
#define STRATA_CONFIG_FILE "strata.conf"

/* The database URL used when none is given, as chosen when strata was built (configure
 * --with-default-url; "sqlite:strata.db" unless the packager chose otherwise). */
STRATA_API const char *strata_default_url(void);

/* A parsed strata.conf; see strata_config_load. */
typedef struct strata_config strata_config;

/*
 * Reads the INI file at path. A missing file is not an error: *out is then an empty
 * configuration (strata_config_path returns NULL). Everything about the file's shape is
 * checked here, for every environment: malformed lines, unknown keys, keys given twice,
 * malformed ${...}, and values that hold no ${...} but are invalid (lock_timeout,
 * booleans, table names, URLs). Variables are not looked up yet.
 * Returns STRATA_OK and *out (free with strata_config_free); STRATA_USAGE for a mistake in
 * the file, with a message starting "path:line: " that says what to do; STRATA_ERROR when
 * the file exists but cannot be read. On failure *out is NULL.
 */
STRATA_API int strata_config_load(const char *path, strata_config **out, strata_error *err);

/* Frees a configuration; NULL is a no-op. */
STRATA_API void strata_config_free(strata_config *cfg);

/* The path the configuration was read from (as given), or NULL when there was no file.
 * Valid until strata_config_free. */
STRATA_API const char *strata_config_path(const strata_config *cfg);

/* The number of environments (sections other than [strata]) of the file, and the name of
 * the i-th in file order (valid until strata_config_free). cfg may be NULL (no file). */
STRATA_API size_t strata_config_env_count(const strata_config *cfg);
STRATA_API const char *strata_config_env_name(const strata_config *cfg, size_t i);



/*
 * Looks up an environment variable: its value (valid until the next call that may change
 * the environment), or NULL when unset. An empty value counts as unset everywhere in this
 * module. NULL in strata_settings_input means getenv().
 */
typedef const char *(*strata_getenv_fn)(void *ctx, const char *name);

/* The [fleet NAME] sections of the file (docs/fleet.md): how many, and the i-th's name. */
STRATA_API size_t strata_config_fleet_count(const strata_config *cfg);
STRATA_API const char *strata_config_fleet_name(const strata_config *cfg, size_t i);

/* One entry of a [fleet NAME] section: url, env, targets, control, targets_query or
 * schemas_query, with ${VAR} substituted. */
typedef struct strata_fleet_entry {
    char *key;
    char *value;
    int line;
} strata_fleet_entry;

/*
 * The entries of [fleet name] in file order, variables looked up through getenv_fn (NULL:
 * getenv()). *out (free with strata_config_fleet_free) and *count. STRATA_USAGE naming the
 * fleets the file has when there is no such section, or naming the variable that is unset.
 */
STRATA_API int strata_config_fleet(const strata_config *cfg, const char *name,
                                   strata_getenv_fn getenv_fn, void *ctx,
                                   strata_fleet_entry **out, size_t *count, strata_error *err);
STRATA_API void strata_config_fleet_free(strata_fleet_entry *entries, size_t count);

/* text with ${VAR} and ${VAR:-default} substituted as strata.conf values are (getenv_fn
 * NULL: getenv()). *out is the caller's to free. STRATA_USAGE naming an unset variable. */
STRATA_API int strata_config_expand(const char *text, strata_getenv_fn getenv_fn, void *ctx,
                                    char **out, strata_error *err);

/*
 * What the caller knows before resolution. NULL or "" means "not given" for every string;
 * the strings are only read during the call.
 */
typedef struct strata_settings_input {
    const char *database;      /* --database URL */
    const char *dir;           /* --dir */
    const char *table;         /* --table */
    const char *schema;        /* --schema */
    const char *driver_dir;    /* --driver-dir */
    const char *lock_timeout;  /* --lock-timeout as typed ("30s", "forever", ...) */
    int allow_out_of_order;    /* 1 when --allow-out-of-order was given */
    const char *env;           /* --env NAME */
    const char *password_file; /* --password-file PATH: its first line becomes the
                                  connection's password (an error when the URL has one) */
    const char *config_path;   /* the project file; NULL: STRATA_CONFIG, else strata.conf.
                                  Only used by strata_settings_resolve */
    strata_getenv_fn getenv;   /* the environment; NULL: getenv() */
    void *getenv_ctx;          /* passed to getenv */
    const char *lint;          /* up --lint[=SEVERITY]: off, notice, warning or error */
} strata_settings_input;

/* Where a setting's value came from. */
typedef enum strata_setting_source {
    STRATA_FROM_DEFAULT = 0, /* the built-in default (value may be NULL: "none") */
    STRATA_FROM_FLAG,        /* a command-line flag */
    STRATA_FROM_ENV,         /* an environment variable */
    STRATA_FROM_FILE         /* the chosen environment's section of the project file */
} strata_setting_source;

/* One resolved setting. Strings belong to the strata_settings holding it. */
typedef struct strata_setting {
    const char *value; /* after ${...} substitution; NULL when unset with no default */
    long number;       /* lock_timeout: milliseconds, -1 for forever; booleans: 0 or 1 */
    strata_setting_source source;
    const char *origin; /* for people: "--dir", "STRATA_DIR", "strata.conf:7", "default" */
} strata_setting;

/* A ${name} placeholder for SQL, from placeholder.NAME = value. */
typedef struct strata_placeholder {
    const char *name;
    const char *value;  /* after ${VAR} substitution */
    const char *origin; /* "strata.conf:9" */
} strata_placeholder;

/* Every setting, resolved. Allocated by strata_config_resolve; read-only for the caller. */
typedef struct strata_settings {
    const char *config_path;     /* the file read, NULL when there was none */
    strata_setting env;          /* the environment: value NULL when none was chosen; origin
                                    "--env", "STRATA_ENV", "strata.conf:2" (default_env) or
                                    "default" (the file's [development]) */
    strata_setting url;          /* may hold a password: print it only through
                                    strata_url_redact or strata_settings_print */
    const char *password;        /* from --password-file, else NULL: pass it on in
                                    strata_options.password; never print it */
    const char *password_origin; /* "--password-file PATH" when password is set, else NULL */
    strata_setting dir;
    strata_setting table;
    strata_setting schema;     /* NULL value: the database's default */
    strata_setting driver_dir; /* NULL value: none (STRATA_DRIVER_PATH is separate) */
    strata_setting lock_timeout;
    strata_setting allow_out_of_order;          /* value "true" or "false" */
    strata_setting placeholders;                /* value "true" or "false": substitute ${name} */
    const strata_placeholder *placeholder_list; /* only when placeholders.number is 1 */
    size_t nplaceholders;
    strata_setting lint; /* up refuses a set with lint findings at or above this severity:
                            number 0 off (the default), 1 notice, 2 warning, 3 error */
    strata_setting dump_after_up; /* a file `strata dump` output is written to after every
                                     successful up; NULL value: none */
} strata_settings;

/*
 * Resolves every setting from the flags and environment of in (see the top of this file
 * for the order) and cfg (NULL: no project file). Only values that win are substituted,
 * so an unset variable used by a losing value is no error. A password read from
 * in->password_file is kept apart from the URL (strata_open gives it to the driver; the
 * variable a driver names for a password, such as MYSQL_PWD for mysql:, is read by
 * strata_open: see strata_options.password).
 * Returns STRATA_OK and *out (free with strata_settings_free), or STRATA_USAGE with *out
 * NULL and a message that names the source (flag, variable or file:line) and what to do:
 * unknown environment (the message lists the file's environments), unset variable,
 * invalid value, unreadable password file (STRATA_ERROR).
 */
STRATA_API int strata_config_resolve(const strata_config *cfg, const strata_settings_input *in,
                                     strata_settings **out, strata_error *err);

/*
 * strata_config_load and strata_config_resolve in one call. The file is in->config_path,
 * else $STRATA_CONFIG, else strata.conf in the current directory; only the last may be
 * missing (the first two name a file the user asked for). Same results as
 * strata_config_resolve; load errors are returned as they are.
 */
STRATA_API int strata_settings_resolve(const strata_settings_input *in, strata_settings **out,
                                       strata_error *err);

/* Frees resolved settings; NULL is a no-op. */
STRATA_API void strata_settings_free(strata_settings *s);

/*
 * Prints one line per setting with its value and origin, for `strata -v`, e.g.
 *   strata: database postgres://app@db/app (strata.conf:7, password from --password-file pw)
 * The URL is redacted; placeholder values are not printed, only their names.
 */
STRATA_API void strata_settings_print(FILE *out, const strata_settings *s);

/*
 * Reads a password from the first line of the file at path, without its "\n" or "\r\n"
 * (other blanks are kept: they may be part of the password). The caller frees *out with
 * free(). Returns STRATA_ERROR when the file cannot be read, STRATA_USAGE when its first
 * line is empty; *out is then NULL. Messages name the file, never its content.
 */
STRATA_API int strata_password_from_file(const char *path, char **out, strata_error *err);

/*
 * Parses a duration as --lock-timeout takes it: "30" or "30s" (seconds), "1.5s", "500ms",
 * "2m", "0", "forever". Returns 0 and *ms (-1 for forever), or -1 when text is not one.
 */
STRATA_API int strata_parse_duration(const char *text, long *ms);

#endif
