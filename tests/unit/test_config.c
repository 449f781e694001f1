/*
 * Unit tests for strata.conf and settings resolution (core/config/settings.c,
 * docs/configuration.md): parsing, ${VAR} substitution with an injected environment, errors naming
 * file:line, choosing the environment, the precedence of flags, variables, the file and defaults,
 * passwords from files (kept apart from the URL), and placeholders.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include <strata/driver.h>
#include <strata/types.h>

#include <strata/settings.h>
#include "testutil.h"

/* ================================================================== fixtures */

static char *tmp;  /* the test program's temporary folder */
static int nfiles; /* files written so far, for unique subfolders */

/* Writes text to a new subfolder's strata.conf; returns its path (the caller frees). */
static char *
write_conf(const char *text)
{
    char name[64];
    snprintf(name, sizeof(name), "c%d/strata.conf", ++nfiles);
    tu_write(tmp, name, text);
    size_t n = strlen(tmp) + strlen(name) + 2;
    char *path = malloc(n);
    snprintf(path, n, "%s/%s", tmp, name);
    return path;
}

/* Writes content (len bytes) to a new file; returns its path (the caller frees). */
static char *
write_bytes(const char *content, size_t len)
{
    char name[64];
    snprintf(name, sizeof(name), "%s/pw%d", tmp, ++nfiles);
    FILE *f = fopen(name, "wb");
    CU_ASSERT_FATAL(f != NULL);
    fwrite(content, 1, len, f);
    fclose(f);
    return strdup(name);
}

/* An injected environment: ctx is a NULL-terminated array of name, value pairs. */
static const char *
fake_getenv(void *ctx, const char *name)
{
    const char *const *pairs = ctx;
    for (size_t i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
        if (strcmp(pairs[i], name) == 0)
            return pairs[i + 1];
    return NULL;
}

static const char *no_vars[] = {NULL};

/* An input with no flags and the given environment (NULL-terminated pairs). */
static strata_settings_input
input_with(const char **vars)
{
    strata_settings_input in;
    memset(&in, 0, sizeof(in));
    in.getenv = fake_getenv;
    in.getenv_ctx = (void *)(vars != NULL ? vars : no_vars);
    return in;
}

/* Loads a file of text (NULL: no file at all); must succeed. */
static strata_config *
load_ok(const char *text)
{
    strata_config *cfg = NULL;
    strata_error err = STRATA_ERROR_INIT;
    char *path = text != NULL ? write_conf(text) : NULL;
    int rc = strata_config_load(path != NULL ? path : "/nonexistent/strata.conf", &cfg, &err);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    if (rc != STRATA_OK)
        fprintf(stderr, "\n  load failed: %s\n", err.message);
    free(path);
    return cfg;
}

/* Loads text, which must be refused with STRATA_USAGE; returns the message. */
static const char *
load_fails(const char *text)
{
    static strata_error err;
    strata_config *cfg = (strata_config *)0x1;
    char *path = write_conf(text);
    int rc = strata_config_load(path, &cfg, &err);
    CU_ASSERT_EQUAL(rc, STRATA_USAGE);
    CU_ASSERT_PTR_NULL(cfg);
    if (rc == STRATA_OK) {
        fprintf(stderr, "\n  accepted: %s\n", text);
        strata_config_free(cfg);
        err.message[0] = '\0';
    }
    free(path);
    return err.message;
}

/* Loads text (NULL: no file) and resolves it with in; returns the status. */
static int
resolve(const char *text, const strata_settings_input *in, strata_settings **out, strata_error *err)
{
    strata_config *cfg = load_ok(text);
    *out = (strata_settings *)0x1;
    int rc = strata_config_resolve(cfg, in, out, err);
    if (rc != STRATA_OK)
        CU_ASSERT_PTR_NULL(*out);
    strata_config_free(cfg);
    return rc;
}

/* Resolves, which must succeed. */
static strata_settings *
resolve_ok(const char *text, const strata_settings_input *in)
{
    strata_settings *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = resolve(text, in, &s, &err);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    if (rc != STRATA_OK) {
        fprintf(stderr, "\n  resolve failed: %s\n", err.message);
        return NULL;
    }
    return s;
}

/* Resolves, which must fail with status; returns the message. */
static const char *
resolve_fails(const char *text, const strata_settings_input *in, int status)
{
    static strata_error err;
    strata_settings *s = NULL;
    int rc = resolve(text, in, &s, &err);
    CU_ASSERT_EQUAL(rc, status);
    if (rc == STRATA_OK) {
        strata_settings_free(s);
        err.message[0] = '\0';
    }
    return err.message;
}

/* ================================================================== parsing */

static const char *const example =
    "# strata.conf\n"                                          /* 1 */
    "default_env = development\n"                              /* 2 */
    "\n"                                                       /* 3 */
    "[development]\n"                                          /* 4 */
    "url = sqlite:dev.db\n"                                    /* 5 */
    "\n"                                                       /* 6 */
    "[production]\n"                                           /* 7 */
    "url = postgres://app:${DB_PASSWORD}@db.example.com/app\n" /* 8 */
    "dir = db/migrations\n"                                    /* 9 */
    "table = app_migrations\n"                                 /* 10 */
    "schema = ops\n"                                           /* 11 */
    "lock_timeout = 2m\n"                                      /* 12 */
    "driver_dir = /opt/strata/drivers\n"                       /* 13 */
    "allow_out_of_order = true\n"                              /* 14 */
    "\n"                                                       /* 15 */
    "[staging]\n"                                              /* 16 */
    "url = postgres://app@staging/app\n";                      /* 17 */

static void
test_sections_and_keys(void)
{
    strata_config *cfg = load_ok(example);
    CU_ASSERT_EQUAL(strata_config_env_count(cfg), 3);
    ASSERT_STR(strata_config_env_name(cfg, 0), "development");
    ASSERT_STR(strata_config_env_name(cfg, 1), "production");
    ASSERT_STR(strata_config_env_name(cfg, 2), "staging");
    ASSERT_STR(strata_config_env_name(cfg, 3), NULL);
    ASSERT_CONTAINS(strata_config_path(cfg), "/strata.conf");
    strata_config_free(cfg);

    const char *vars[] = {"DB_PASSWORD", "s3cret", NULL};
    strata_settings_input in = input_with(vars);
    in.env = "production";
    strata_settings *s = resolve_ok(example, &in);
    if (s == NULL)
        return;
    ASSERT_STR(s->env.value, "production");
    CU_ASSERT_EQUAL(s->env.source, STRATA_FROM_FLAG);
    ASSERT_STR(s->url.value, "postgres://app:s3cret@db.example.com/app");
    CU_ASSERT_EQUAL(s->url.source, STRATA_FROM_FILE);
    ASSERT_CONTAINS(s->url.origin, "strata.conf:8");
    ASSERT_STR(s->dir.value, "db/migrations");
    ASSERT_CONTAINS(s->dir.origin, "strata.conf:9");
    ASSERT_STR(s->table.value, "app_migrations");
    ASSERT_STR(s->schema.value, "ops");
    ASSERT_STR(s->lock_timeout.value, "2m");
    CU_ASSERT_EQUAL(s->lock_timeout.number, 120000);
    ASSERT_STR(s->driver_dir.value, "/opt/strata/drivers");
    CU_ASSERT_EQUAL(s->allow_out_of_order.number, 1);
    CU_ASSERT_EQUAL(s->placeholders.number, 0);
    CU_ASSERT_EQUAL(s->nplaceholders, 0);
    ASSERT_CONTAINS(s->config_path, "/strata.conf");
    CU_ASSERT_PTR_NULL(s->password_origin);
    strata_settings_free(s);

    /* [staging] sets only url: the rest are defaults. */
    in.env = "staging";
    s = resolve_ok(example, &in);
    if (s == NULL)
        return;
    ASSERT_STR(s->url.value, "postgres://app@staging/app");
    ASSERT_STR(s->dir.value, "migrations");
    CU_ASSERT_EQUAL(s->dir.source, STRATA_FROM_DEFAULT);
    ASSERT_STR(s->dir.origin, "default");
    ASSERT_STR(s->table.value, "strata_migrations");
    ASSERT_STR(s->schema.value, NULL);
    ASSERT_STR(s->driver_dir.value, NULL);
    CU_ASSERT_EQUAL(s->lock_timeout.number, 60000);
    CU_ASSERT_EQUAL(s->allow_out_of_order.number, 0);
    strata_settings_free(s);
}

/* A BOM, CRLF, indented keys and sections, comments of both kinds, a repeated section. */
static void
test_file_dialect(void)
{
    const char *text = "\xEF\xBB\xBF; a comment\r\n"
                       "  # another\r\n"
                       "[strata]\r\n"
                       "default_env = ci\r\n"
                       "  [ci] ; the CI database\r\n"
                       "    url = sqlite:ci.db ; inline comment\r\n"
                       "\tdir = a;b\r\n"
                       "[other]\r\n"
                       "[ci]\r\n"
                       "table = t1\r\n"
                       "[empty]";
    strata_config *cfg = load_ok(text);
    CU_ASSERT_EQUAL(strata_config_env_count(cfg), 3);
    ASSERT_STR(strata_config_env_name(cfg, 0), "ci");
    ASSERT_STR(strata_config_env_name(cfg, 1), "other");
    ASSERT_STR(strata_config_env_name(cfg, 2), "empty");
    strata_config_free(cfg);

    strata_settings_input in = input_with(NULL);
    strata_settings *s = resolve_ok(text, &in);
    if (s == NULL)
        return;
    ASSERT_STR(s->env.value, "ci");
    CU_ASSERT_EQUAL(s->env.source, STRATA_FROM_FILE);
    ASSERT_CONTAINS(s->env.origin, "default_env in ");
    ASSERT_CONTAINS(s->env.origin, "strata.conf:4");
    ASSERT_STR(s->url.value, "sqlite:ci.db");
    ASSERT_STR(s->dir.value, "a;b");
    ASSERT_STR(s->table.value, "t1");
    ASSERT_CONTAINS(s->table.origin, "strata.conf:10");
    strata_settings_free(s);
}

static void
test_missing_file(void)
{
    strata_config *cfg = NULL;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(strata_config_load("/nonexistent/strata.conf", &cfg, &err), STRATA_OK);
    CU_ASSERT_PTR_NOT_NULL(cfg);
    CU_ASSERT_PTR_NULL(strata_config_path(cfg));
    CU_ASSERT_EQUAL(strata_config_env_count(cfg), 0);
    CU_ASSERT_EQUAL(strata_config_env_count(NULL), 0);
    CU_ASSERT_PTR_NULL(strata_config_env_name(NULL, 0));

    strata_settings_input in = input_with(NULL);
    strata_settings *s = NULL;
    CU_ASSERT_EQUAL(strata_config_resolve(cfg, &in, &s, &err), STRATA_OK);
    strata_config_free(cfg);
    if (s == NULL)
        return;
    CU_ASSERT_PTR_NULL(s->config_path);
    ASSERT_STR(s->env.value, NULL);
    ASSERT_STR(s->url.value, "sqlite:strata.db");
    ASSERT_STR(s->dir.value, "migrations");
    ASSERT_STR(s->table.value, "strata_migrations");
    ASSERT_STR(s->lock_timeout.value, "60s");
    CU_ASSERT_EQUAL(s->lock_timeout.number, 60000);
    CU_ASSERT_EQUAL(s->url.source, STRATA_FROM_DEFAULT);
    strata_settings_free(s);

    /* A NULL configuration is the same as none. */
    CU_ASSERT_EQUAL(strata_config_resolve(NULL, &in, &s, &err), STRATA_OK);
    if (s != NULL)
        ASSERT_STR(s->url.value, "sqlite:strata.db");
    strata_settings_free(s);

    /* A folder is not a file. */
    cfg = (strata_config *)0x1;
    CU_ASSERT_EQUAL(strata_config_load(tmp, &cfg, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(cfg);
    ASSERT_CONTAINS(err.message, tmp);
}

/* ================================================================== ${VAR} */

static void
test_substitution(void)
{
    const char *text = "[development]\n"
                       "url = postgres://app:${DB_PASSWORD}@${DB_HOST:-localhost}/app\n"
                       "dir = ${MIGRATIONS:-db/migrations}\n"
                       "table = t_${SUFFIX}\n"
                       "schema = $${literal}_${EMPTY:-x}$y\n"
                       "driver_dir = ${A}${B}\n";
    const char *vars[] = {"DB_PASSWORD", "s3cret", "SUFFIX", "v2", "EMPTY", "",
                          "A",           "/a",     "B",      "/b", NULL};
    strata_settings_input in = input_with(vars);
    strata_settings *s = resolve_ok(text, &in);
    if (s == NULL)
        return;
    ASSERT_STR(s->url.value, "postgres://app:s3cret@localhost/app");
    ASSERT_STR(s->dir.value, "db/migrations");
    ASSERT_STR(s->table.value, "t_v2");
    ASSERT_STR(s->schema.value, "${literal}_x$y");
    ASSERT_STR(s->driver_dir.value, "/a/b");
    strata_settings_free(s);

    const char *vars2[] = {"DB_PASSWORD", "pw", "DB_HOST", "db", "MIGRATIONS", "m", "SUFFIX",
                           "z",           "A",  "1",       "B",  "2",          NULL};
    in = input_with(vars2);
    s = resolve_ok(text, &in);
    if (s == NULL)
        return;
    ASSERT_STR(s->url.value, "postgres://app:pw@db/app");
    ASSERT_STR(s->dir.value, "m");
    CU_ASSERT_EQUAL(s->dir.source, STRATA_FROM_FILE);
    strata_settings_free(s);
}

static void
test_unset_variable(void)
{
    const char *text = "[development]\n"                                               /* 1 */
                       "url = sqlite:dev.db\n"                                         /* 2 */
                       "\n"                                                            /* 3 */
                       "[production]\n"                                                /* 4 */
                       "; the password comes from the deployment\n"                    /* 5 */
                       "dir = migrations\n"                                            /* 6 */
                       "url = postgres://app:${DB_PASSWORD}@db/app?password=hunter2\n" /* 7 */
                       "table = ${TABLE}\n";                                           /* 8 */
    strata_settings_input in = input_with(NULL);
    in.env = "production";
    const char *msg = resolve_fails(text, &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "production.url in ");
    ASSERT_CONTAINS(msg, "strata.conf:7 uses ${DB_PASSWORD}, which is not set; export it or "
                         "give a default with ${DB_PASSWORD:-...}");
    ASSERT_LACKS(msg, "hunter2");

    /* Set but empty counts as unset. */
    const char *empty[] = {"DB_PASSWORD", "", NULL};
    in = input_with(empty);
    in.env = "production";
    msg = resolve_fails(text, &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "strata.conf:7 uses ${DB_PASSWORD}, which is empty");

    /* The next unset variable is named with its own line. */
    const char *pw[] = {"DB_PASSWORD", "s3cret", NULL};
    in = input_with(pw);
    in.env = "production";
    msg = resolve_fails(text, &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "production.table in ");
    ASSERT_CONTAINS(msg, "strata.conf:8 uses ${TABLE}");
    ASSERT_LACKS(msg, "s3cret");
    ASSERT_LACKS(msg, "hunter2");

    /* Variables of other environments, and of values that lose, are not needed. */
    in = input_with(NULL);
    strata_settings *s = resolve_ok(text, &in);
    if (s != NULL)
        ASSERT_STR(s->url.value, "sqlite:dev.db");
    strata_settings_free(s);
    in.env = "production";
    in.database = "sqlite:flag.db";
    in.table = "t";
    s = resolve_ok(text, &in);
    if (s != NULL)
        ASSERT_STR(s->url.value, "sqlite:flag.db");
    strata_settings_free(s);
}

static void
test_malformed_substitution(void)
{
    static const char *const bad[] = {"${",     "${}",    "${1X}", "${X-d}",
                                      "${X:d}", "${X:-d", "a${X",  NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        char text[128];
        snprintf(text, sizeof(text), "[production]\n\nurl = sqlite:%s\n", bad[i]);
        const char *msg = load_fails(text);
        ASSERT_CONTAINS(msg, "strata.conf:3: production.url has a malformed ${...}");
        ASSERT_CONTAINS(msg, "${NAME:-default}");
    }
    /* A value using variables is checked after substitution. */
    const char *vars[] = {"T", "soon", NULL};
    strata_settings_input in = input_with(vars);
    const char *msg = resolve_fails("[development]\nlock_timeout = ${T}\n", &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "development.lock_timeout in ");
    ASSERT_CONTAINS(msg, "strata.conf:2 (after substituting variables) takes a duration");
    ASSERT_LACKS(msg, "soon"); /* a variable's value may be secret */
}

/* ================================================================== errors */

static void
test_unknown_key(void)
{
    const char *msg = load_fails("[production]\n"
                                 "url = sqlite:x.db\n"
                                 "pasword = hunter2\n");
    ASSERT_CONTAINS(msg, "strata.conf:3: unknown key 'pasword' in [production]; the keys are "
                         "url, dir, table, schema, lock_timeout, driver_dir, allow_out_of_order, "
                         "placeholders, lint, dump_after_up and placeholder.NAME");
    ASSERT_LACKS(msg, "hunter2");

    msg = load_fails("url = sqlite:x.db\n");
    ASSERT_CONTAINS(msg, "strata.conf:1: 'url' must be inside an environment section");
    msg = load_fails("[strata]\ndefault_env = a\nurl = x\n[a]\n");
    ASSERT_CONTAINS(msg, "strata.conf:3: unknown key 'url' in [strata]");
    msg = load_fails("[a]\ndefault_env = a\n");
    ASSERT_CONTAINS(msg, "strata.conf:2: default_env goes before the first section or in "
                         "[strata], not in [a]");
    msg = load_fails("[a]\nURL = sqlite:x.db\n");
    ASSERT_CONTAINS(msg, "strata.conf:2: unknown key 'URL' in [a]");
}

static void
test_malformed_lines(void)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"[production\nurl = sqlite:x.db\n", "strata.conf:1: a section header needs a closing ]"},
        {"[a]\n\nurl sqlite:x.db\n",
         "strata.conf:3: expected key = value, [environment] or a comment"},
        {"[a]\n= sqlite:x.db\n", "strata.conf:2: a value without a key"},
        {"[a] b\n", "strata.conf:1: unexpected text after ]"},
        {"[a b]\n", "strata.conf:1: 'a b' cannot name an environment"},
        {"[]\n", "strata.conf:1: '' cannot name an environment"},
        {"[a]\nurl = sqlite:x.db\n[b]\n[a]\nurl = sqlite:y.db\n",
         "strata.conf:5: a.url is set twice (first on line 2); keep one"},
        {"default_env = a\n[strata]\ndefault_env = a\n[a]\n",
         "strata.conf:3: default_env is set twice (first on line 1)"},
        {"[a]\nlock_timeout = soon\n",
         "strata.conf:2: a.lock_timeout takes a duration like 30s, 500ms, 2m or forever, not "
         "'soon'"},
        {"[a]\nlock_timeout = -5s\n", "strata.conf:2: a.lock_timeout takes a duration"},
        {"[a]\nallow_out_of_order = maybe\n",
         "strata.conf:2: a.allow_out_of_order takes true or false, not 'maybe'"},
        {"[a]\nplaceholders = 2\n", "strata.conf:2: a.placeholders takes true or false"},
        {"[a]\ntable = my-table\n", "strata.conf:2: a.table takes a table name"},
        {"[a]\nurl = strata.db\n",
         "strata.conf:2: a.url is not usable: 'strata.db' has no scheme; expected SCHEME:PATH "
         "for a file database or SCHEME://user@host/db for a server (`strata drivers` lists the "
         "schemes)"},
        {"[a]\nurl = :memory:\n", "strata.conf:2: a.url is not usable: ':memory:' has no scheme"},
        {"[a]\ndir =\n", "strata.conf:2: a.dir is empty"},
        {"default_env = b\n[a]\n",
         "strata.conf:1: default_env names 'b', which is not a section of this file (it has a)"},
        {NULL, NULL},
    };
    for (size_t i = 0; cases[i].text != NULL; i++) {
        const char *msg = load_fails(cases[i].text);
        ASSERT_CONTAINS(msg, cases[i].message);
    }

    /* A NUL byte: not a text file. */
    static const char nul[] = "[a]\nurl = sqlite:x.db\nbad\0line\n";
    char *path = write_bytes(nul, sizeof(nul) - 1);
    strata_config *cfg = (strata_config *)0x1;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(strata_config_load(path, &cfg, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(cfg);
    ASSERT_CONTAINS(err.message, ":3: the line holds a NUL byte");
    free(path);

    /* A line longer than inih's buffer is refused, not split. */
    char text[1024];
    snprintf(text, sizeof(text), "[a]\nurl = sqlite:%0600d.db\n", 0);
    const char *msg = load_fails(text);
    ASSERT_CONTAINS(msg, "strata.conf:2: the line is longer than");
    ASSERT_CONTAINS(msg, "${NAME}");

    /* Only the first error is reported. */
    msg = load_fails("[a]\nfoo = 1\nbar\n");
    ASSERT_CONTAINS(msg, "strata.conf:2: unknown key 'foo'");
    msg = load_fails("[a]\nbar\nfoo = 1\n");
    ASSERT_CONTAINS(msg, "strata.conf:2: expected key = value");

    /* A URL's password is never quoted. */
    msg = load_fails("[a]\nurl = //app:hunter2@db/app\n");
    ASSERT_CONTAINS(msg, "strata.conf:2: a.url is not usable: '//app:***@db/app' has no scheme");
    ASSERT_CONTAINS(msg, "`strata drivers`");
    ASSERT_LACKS(msg, "hunter2");
    msg = load_fails("[a]\nurl = host=db password=hunter2\n");
    ASSERT_CONTAINS(msg, "a.url is not usable");
    ASSERT_LACKS(msg, "hunter2");
}

/*
 * Past its scheme a URL is the business of the driver that serves the scheme (its URL shape,
 * its parameters), checked when connecting: the file takes any URL that has a scheme.
 */
static void
test_url_past_the_scheme(void)
{
    static const char *const urls[] = {
        "postgres:db",                            /* a server scheme without // */
        "postgres://app:hunter2@db:notaport/app", /* a port no server URL has */
        "duckdb:///abs/x.db",                     /* a scheme no built driver serves */
        "odbc:Driver={X};Uid=u;Pwd=p",            /* an opaque connection string */
        NULL,
    };
    for (size_t i = 0; urls[i] != NULL; i++) {
        char text[256];
        snprintf(text, sizeof(text), "[a]\nurl = %s\n", urls[i]);
        strata_config *cfg = load_ok(text);
        CU_ASSERT_PTR_NOT_NULL(cfg);
        strata_config_free(cfg);
    }
    /* a URL from a flag is taken as given (strata_open checks it, as it does any URL) */
    strata_settings_input in = input_with(NULL);
    in.database = "duckdb:x.db";
    strata_settings *s = resolve_ok(NULL, &in);
    if (s != NULL)
        ASSERT_STR(s->url.value, "duckdb:x.db");
    strata_settings_free(s);
}

/* ================================================================== environments */

static void
test_environment_order(void)
{
    const char *text = "default_env = staging\n"
                       "[development]\nurl = sqlite:development.db\n"
                       "[staging]\nurl = sqlite:staging.db\n"
                       "[production]\nurl = sqlite:production.db\n"
                       "[ci]\nurl = sqlite:ci.db\n";
    const char *ci[] = {"STRATA_ENV", "ci", NULL};
    strata_settings_input in = input_with(ci);

    /* --env beats STRATA_ENV */
    in.env = "production";
    strata_settings *s = resolve_ok(text, &in);
    if (s != NULL) {
        ASSERT_STR(s->env.value, "production");
        ASSERT_STR(s->env.origin, "--env");
        ASSERT_STR(s->url.value, "sqlite:production.db");
    }
    strata_settings_free(s);

    /* STRATA_ENV beats default_env */
    in.env = "";
    s = resolve_ok(text, &in);
    if (s != NULL) {
        ASSERT_STR(s->env.value, "ci");
        CU_ASSERT_EQUAL(s->env.source, STRATA_FROM_ENV);
        ASSERT_STR(s->env.origin, "STRATA_ENV");
        ASSERT_STR(s->url.value, "sqlite:ci.db");
    }
    strata_settings_free(s);

    /* default_env beats [development]; an empty STRATA_ENV counts as unset */
    const char *empty[] = {"STRATA_ENV", "", NULL};
    in = input_with(empty);
    s = resolve_ok(text, &in);
    if (s != NULL) {
        ASSERT_STR(s->env.value, "staging");
        CU_ASSERT_EQUAL(s->env.source, STRATA_FROM_FILE);
        ASSERT_STR(s->url.value, "sqlite:staging.db");
    }
    strata_settings_free(s);

    /* [development] when nothing names one */
    in = input_with(NULL);
    s = resolve_ok(strchr(text, '\n') + 1, &in);
    if (s != NULL) {
        ASSERT_STR(s->env.value, "development");
        CU_ASSERT_EQUAL(s->env.source, STRATA_FROM_DEFAULT);
        ASSERT_STR(s->url.value, "sqlite:development.db");
    }
    strata_settings_free(s);

    /* no environment at all: the file's sections are ignored */
    s = resolve_ok("[production]\nurl = sqlite:production.db\n", &in);
    if (s != NULL) {
        ASSERT_STR(s->env.value, NULL);
        ASSERT_STR(s->url.value, "sqlite:strata.db");
    }
    strata_settings_free(s);

    /* default_env may use a variable */
    const char *deploy[] = {"DEPLOY", "ci", NULL};
    in = input_with(deploy);
    s = resolve_ok("default_env = ${DEPLOY:-development}\n[development]\n[ci]\nurl = sqlite:c\n",
                   &in);
    if (s != NULL)
        ASSERT_STR(s->url.value, "sqlite:c");
    strata_settings_free(s);
}

static void
test_missing_environment(void)
{
    const char *text = "[development]\n[production]\n";
    strata_settings_input in = input_with(NULL);
    in.env = "staging";
    const char *msg = resolve_fails(text, &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "environment 'staging' (from --env) is not in ");
    ASSERT_CONTAINS(msg, "strata.conf, which has the environments development, production");

    const char *vars[] = {"STRATA_ENV", "prod", NULL};
    in = input_with(vars);
    msg = resolve_fails(text, &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "environment 'prod' (from STRATA_ENV) is not in ");

    msg = resolve_fails("[strata]\n", &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "which has no environments");

    /* [strata] is no environment */
    in = input_with(NULL);
    in.env = "strata";
    msg = resolve_fails("[strata]\ndefault_env = a\n[a]\n", &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "which has the environments a");

    msg = resolve_fails(NULL, &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "environment 'strata' (from --env) needs a project file, but there is "
                         "no /nonexistent/strata.conf");
}

/* ================================================================== precedence */

typedef struct layered {
    const char *key;       /* in the file */
    size_t in_offset;      /* the flag in strata_settings_input */
    const char *flag_name; /* its origin */
    const char *var;       /* the environment variable */
    size_t out_offset;     /* the strata_setting in strata_settings */
    const char *values[4]; /* flag, variable, file, default */
    long numbers[4];       /* lock_timeout only */
} layered;

static const layered layers[] = {
    {"url",
     offsetof(strata_settings_input, database),
     "--database",
     "DATABASE_URL",
     offsetof(strata_settings, url),
     {"sqlite:flag.db", "sqlite:env.db", "sqlite:file.db", STRATA_DEFAULT_URL},
     {0, 0, 0, 0}},
    {"dir",
     offsetof(strata_settings_input, dir),
     "--dir",
     "STRATA_DIR",
     offsetof(strata_settings, dir),
     {"flag_dir", "env_dir", "file_dir", "migrations"},
     {0, 0, 0, 0}},
    {"table",
     offsetof(strata_settings_input, table),
     "--table",
     "STRATA_TABLE",
     offsetof(strata_settings, table),
     {"flag_t", "env_t", "file_t", "strata_migrations"},
     {0, 0, 0, 0}},
    {"schema",
     offsetof(strata_settings_input, schema),
     "--schema",
     "STRATA_SCHEMA",
     offsetof(strata_settings, schema),
     {"flag_s", "env_s", "file_s", NULL},
     {0, 0, 0, 0}},
    {"lock_timeout",
     offsetof(strata_settings_input, lock_timeout),
     "--lock-timeout",
     "STRATA_LOCK_TIMEOUT",
     offsetof(strata_settings, lock_timeout),
     {"5s", "700ms", "forever", "60s"},
     {5000, 700, -1, 60000}},
};

/* Every combination of flag, variable and file value, for each layered setting. */
static void
test_precedence_matrix(void)
{
    for (size_t k = 0; k < sizeof(layers) / sizeof(layers[0]); k++) {
        const layered *l = &layers[k];
        for (int mask = 0; mask < 8; mask++) {
            int flag = mask & 1, var = mask & 2, file = mask & 4;
            char text[256];
            snprintf(text, sizeof(text), "[development]\n%s%s%s%s", file ? l->key : "",
                     file ? " = " : "", file ? l->values[2] : "", file ? "\n" : "");
            const char *vars[] = {var ? l->var : NULL, l->values[1], NULL};
            strata_settings_input in = input_with(vars);
            if (flag)
                *(const char **)((char *)&in + l->in_offset) = l->values[0];
            strata_settings *s = resolve_ok(text, &in);
            if (s == NULL)
                continue;
            const strata_setting *got = (const strata_setting *)((const char *)s + l->out_offset);
            int layer = flag ? 0 : var ? 1 : file ? 2 : 3;
            static const strata_setting_source sources[] = {STRATA_FROM_FLAG, STRATA_FROM_ENV,
                                                            STRATA_FROM_FILE, STRATA_FROM_DEFAULT};
            ASSERT_STR(got->value, l->values[layer]);
            CU_ASSERT_EQUAL(got->source, sources[layer]);
            CU_ASSERT_EQUAL(got->number, l->numbers[layer]);
            if (layer == 0)
                ASSERT_STR(got->origin, l->flag_name);
            else if (layer == 1)
                ASSERT_STR(got->origin, l->var);
            else if (layer == 2)
                ASSERT_CONTAINS(got->origin, "strata.conf:2");
            else
                ASSERT_STR(got->origin, "default");
            if (got->value != NULL && l->values[layer] != NULL &&
                strcmp(got->value, l->values[layer]) != 0)
                fprintf(stderr, "  (%s, flag %d, variable %d, file %d)\n", l->key, flag, var != 0,
                        file != 0);
            strata_settings_free(s);
        }
    }
}

/* Settings without an environment variable: flag > file > default. */
static void
test_precedence_flag_file(void)
{
    strata_settings_input in = input_with(NULL);
    const char *text = "[development]\nallow_out_of_order = false\ndriver_dir = /file\n";
    in.allow_out_of_order = 1;
    in.driver_dir = "/flag";
    strata_settings *s = resolve_ok(text, &in);
    if (s != NULL) {
        CU_ASSERT_EQUAL(s->allow_out_of_order.number, 1);
        ASSERT_STR(s->allow_out_of_order.origin, "--allow-out-of-order");
        ASSERT_STR(s->driver_dir.value, "/flag");
    }
    strata_settings_free(s);

    in = input_with(NULL);
    s = resolve_ok("[development]\nallow_out_of_order = YES\ndriver_dir = /file\n", &in);
    if (s != NULL) {
        CU_ASSERT_EQUAL(s->allow_out_of_order.number, 1);
        CU_ASSERT_EQUAL(s->allow_out_of_order.source, STRATA_FROM_FILE);
        ASSERT_STR(s->driver_dir.value, "/file");
    }
    strata_settings_free(s);

    s = resolve_ok(text, &in);
    if (s != NULL)
        CU_ASSERT_EQUAL(s->allow_out_of_order.number, 0);
    strata_settings_free(s);
}

static void
test_durations(void)
{
    static const struct {
        const char *text;
        long ms;
    } ok[] = {{"30", 30000}, {"30s", 30000},  {"1.5s", 1500},  {"500ms", 500}, {"2m", 120000},
              {"0", 0},      {"0.5m", 30000}, {"forever", -1}, {NULL, 0}};
    for (int i = 0; ok[i].text != NULL; i++) {
        long ms = -5;
        CU_ASSERT_EQUAL(strata_parse_duration(ok[i].text, &ms), 0);
        CU_ASSERT_EQUAL(ms, ok[i].ms);
    }
    static const char *const bad[] = {"",   "s",   "abc", "-1", "1h",   "nan",
                                      " 5", "1e3", "5 s", "5S", "1.s5", "99999999999999999999m",
                                      NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        long ms = -5;
        CU_ASSERT_EQUAL(strata_parse_duration(bad[i], &ms), -1);
        CU_ASSERT_EQUAL(ms, -5);
    }

    const char *vars[] = {"STRATA_LOCK_TIMEOUT", "soon", NULL};
    strata_settings_input in = input_with(vars);
    const char *msg = resolve_fails(NULL, &in, STRATA_USAGE);
    ASSERT_STR(msg, "STRATA_LOCK_TIMEOUT takes a duration like 30s, 500ms, 2m or forever, not "
                    "'soon'");
    in.lock_timeout = "later";
    msg = resolve_fails(NULL, &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "--lock-timeout takes a duration");
}

/* ================================================================== passwords */

static void
test_password_file(void)
{
    static const struct {
        const char *content;
        const char *password;
    } ok[] = {{"s3cret\n", "s3cret"},
              {"s3cret\r\n", "s3cret"},
              {"s3cret", "s3cret"},
              {"first\nsecond\n", "first"},
              {" spaced pw \n", " spaced pw "},
              {"p@ss:w/rd#;\n", "p@ss:w/rd#;"},
              {NULL, NULL}};
    for (int i = 0; ok[i].content != NULL; i++) {
        char *path = write_bytes(ok[i].content, strlen(ok[i].content));
        char *pw = NULL;
        strata_error err = STRATA_ERROR_INIT;
        CU_ASSERT_EQUAL(strata_password_from_file(path, &pw, &err), STRATA_OK);
        ASSERT_STR(pw, ok[i].password);
        free(pw);
        free(path);
    }
    static const char *const empty[] = {"", "\n", "\r\n", "\nsecond\n", NULL};
    for (int i = 0; empty[i] != NULL; i++) {
        char *path = write_bytes(empty[i], strlen(empty[i]));
        char *pw = (char *)0x1;
        strata_error err = STRATA_ERROR_INIT;
        CU_ASSERT_EQUAL(strata_password_from_file(path, &pw, &err), STRATA_USAGE);
        CU_ASSERT_PTR_NULL(pw);
        ASSERT_CONTAINS(err.message, path);
        ASSERT_LACKS(err.message, "second");
        free(path);
    }
    char *path = write_bytes("a\0b\n", 4);
    char *pw = (char *)0x1;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(strata_password_from_file(path, &pw, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(pw);
    ASSERT_CONTAINS(err.message, "NUL");
    free(path);

    CU_ASSERT_EQUAL(strata_password_from_file("/nonexistent/pw", &pw, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(pw);
    ASSERT_CONTAINS(err.message, "cannot open /nonexistent/pw");
}

/*
 * --password-file gives the connection its password, kept apart from the URL, which stays
 * as it was; the driver serving the URL decides where the password goes (strata_open).
 */
static void
test_resolve_passwords(void)
{
    char *pwfile = write_bytes("p@ss\n", 5);
    const char *text = "[development]\nurl = postgres://app@db/app\n";

    strata_settings_input in = input_with(NULL);
    in.password_file = pwfile;
    strata_settings *s = resolve_ok(text, &in);
    if (s != NULL) {
        ASSERT_STR(s->url.value, "postgres://app@db/app");
        ASSERT_CONTAINS(s->url.origin, "strata.conf:2");
        ASSERT_STR(s->password, "p@ss");
        ASSERT_CONTAINS(s->password_origin, "--password-file ");
        ASSERT_CONTAINS(s->password_origin, pwfile);
    }
    strata_settings_free(s);

    /* no --password-file: no password, whatever the URL */
    in.password_file = NULL;
    s = resolve_ok(text, &in);
    if (s != NULL) {
        CU_ASSERT_PTR_NULL(s->password);
        CU_ASSERT_PTR_NULL(s->password_origin);
    }
    strata_settings_free(s);

    /* whether the URL may take it is for strata_open to say, knowing the driver: a file URL
     * and a URL with a password of its own are left as they are here */
    static const char *const any[] = {"sqlite:x.db", "postgres://app:own@db/app", NULL};
    in.password_file = pwfile;
    for (int i = 0; any[i] != NULL; i++) {
        in.database = any[i];
        s = resolve_ok(NULL, &in);
        if (s != NULL) {
            ASSERT_STR(s->url.value, any[i]);
            ASSERT_STR(s->password, "p@ss");
        }
        strata_settings_free(s);
    }

    /* an empty file is refused, naming it */
    char *emptyfile = write_bytes("", 0);
    in.database = NULL;
    in.password_file = emptyfile;
    const char *msg = resolve_fails(text, &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "--password-file: ");
    ASSERT_CONTAINS(msg, emptyfile);
    /* and a missing one */
    in.password_file = "/nonexistent/pw";
    msg = resolve_fails(text, &in, STRATA_ERROR);
    ASSERT_CONTAINS(msg, "--password-file: cannot open /nonexistent/pw");

    /* MYSQL_PWD is the MySQL driver's business now (its password_env), not the settings' */
    const char *vars[] = {"MYSQL_PWD", "my pw", NULL};
    in = input_with(vars);
    static const char *const mysql[] = {"mysql://root@localhost/test",
                                        "mariadb://root@localhost/test", NULL};
    for (int i = 0; mysql[i] != NULL; i++) {
        in.database = mysql[i];
        s = resolve_ok(NULL, &in);
        if (s != NULL) {
            ASSERT_STR(s->url.value, mysql[i]);
            CU_ASSERT_PTR_NULL(s->password);
            CU_ASSERT_PTR_NULL(s->password_origin);
        }
        strata_settings_free(s);
    }
    /* --password-file with MYSQL_PWD set: the file's password */
    in.password_file = pwfile;
    s = resolve_ok(NULL, &in);
    if (s != NULL) {
        ASSERT_STR(s->url.value, "mariadb://root@localhost/test");
        ASSERT_STR(s->password, "p@ss");
    }
    strata_settings_free(s);
    free(emptyfile);
    free(pwfile);
}

static void
test_print(void)
{
    const char *text = "[production]\n"
                       "url = postgres://app:${DB_PASSWORD}@db/app\n"
                       "placeholders = true\n"
                       "placeholder.owner = secret_owner\n";
    const char *vars[] = {"DB_PASSWORD", "hunter2", "STRATA_DIR", "envdir", NULL};
    strata_settings_input in = input_with(vars);
    in.env = "production";
    strata_settings *s = resolve_ok(text, &in);
    if (s == NULL)
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    strata_settings_print(f, s);
    fclose(f);
    ASSERT_CONTAINS(buf, "strata: environment production (--env)\n");
    ASSERT_CONTAINS(buf, "strata: database postgres://app:***@db/app (");
    ASSERT_CONTAINS(buf, "strata.conf:2)\n");
    ASSERT_CONTAINS(buf, "strata: dir envdir (STRATA_DIR)\n");
    ASSERT_CONTAINS(buf, "strata: table strata_migrations (default)\n");
    ASSERT_CONTAINS(buf, "strata: schema the database's default (default)\n");
    ASSERT_CONTAINS(buf, "strata: placeholder owner (");
    ASSERT_LACKS(buf, "hunter2");
    ASSERT_LACKS(buf, "secret_owner");
    free(buf);
    strata_settings_free(s);

    /* a password from a file: where it came from is shown, never the password */
    char *pwfile = write_bytes("Pw-from-file\n", 13);
    in = input_with(NULL);
    in.database = "postgres://app@db/app";
    in.password_file = pwfile;
    s = resolve_ok(NULL, &in);
    if (s == NULL)
        return;
    buf = NULL;
    f = open_memstream(&buf, &len);
    strata_settings_print(f, s);
    fclose(f);
    ASSERT_CONTAINS(buf, "strata: database postgres://app@db/app (--database, password from "
                         "--password-file ");
    ASSERT_CONTAINS(buf, pwfile);
    ASSERT_LACKS(buf, "Pw-from-file");
    free(buf);
    strata_settings_free(s);
    free(pwfile);
}

/* ================================================================== placeholders */

static void
test_placeholders(void)
{
    const char *text = "[production]\n"                                 /* 1 */
                       "placeholders = true\n"                          /* 2 */
                       "placeholder.owner = app_owner\n"                /* 3 */
                       "placeholder.Schema_2 = ${APP_SCHEMA:-public}\n" /* 4 */
                       "placeholder.empty =\n"                          /* 5 */
                       "placeholder.quote = 'it''s' ; comment\n"        /* 6 */
                       "[development]\n"                                /* 7 */
                       "placeholder.owner = dev\n";                     /* 8 */
    strata_settings_input in = input_with(NULL);
    in.env = "production";
    strata_settings *s = resolve_ok(text, &in);
    if (s != NULL) {
        CU_ASSERT_EQUAL(s->placeholders.number, 1);
        CU_ASSERT_EQUAL_FATAL(s->nplaceholders, 4);
        ASSERT_STR(s->placeholder_list[0].name, "owner");
        ASSERT_STR(s->placeholder_list[0].value, "app_owner");
        ASSERT_CONTAINS(s->placeholder_list[0].origin, "strata.conf:3");
        ASSERT_STR(s->placeholder_list[1].name, "Schema_2");
        ASSERT_STR(s->placeholder_list[1].value, "public");
        ASSERT_STR(s->placeholder_list[2].name, "empty");
        ASSERT_STR(s->placeholder_list[2].value, "");
        ASSERT_STR(s->placeholder_list[3].value, "'it''s'");
    }
    strata_settings_free(s);

    /* off by default: defined placeholders are not used */
    in.env = "development";
    s = resolve_ok(text, &in);
    if (s != NULL) {
        CU_ASSERT_EQUAL(s->placeholders.number, 0);
        CU_ASSERT_EQUAL(s->placeholders.source, STRATA_FROM_DEFAULT);
        CU_ASSERT_EQUAL(s->nplaceholders, 0);
        CU_ASSERT_PTR_NULL(s->placeholder_list);
    }
    strata_settings_free(s);

    /* an unset variable in a placeholder is named */
    in.env = NULL;
    const char *msg = resolve_fails("[development]\nplaceholders = on\nplaceholder.x = ${NOPE}\n",
                                    &in, STRATA_USAGE);
    ASSERT_CONTAINS(msg, "development.placeholder.x in ");
    ASSERT_CONTAINS(msg, "strata.conf:3 uses ${NOPE}, which is not set");

    msg = load_fails("[a]\nplaceholder.9x = 1\n");
    ASSERT_CONTAINS(msg, "strata.conf:2: 'placeholder.9x' in [a]: a placeholder name is");
    msg = load_fails("[a]\nplaceholder. = 1\n");
    ASSERT_CONTAINS(msg, "strata.conf:2: 'placeholder.' in [a]");
    msg = load_fails("[a]\nplaceholder.x = 1\nplaceholder.x = 2\n");
    ASSERT_CONTAINS(msg, "strata.conf:3: a.placeholder.x is set twice (first on line 2)");
    msg = load_fails("[a]\nplaceholder.abcdefghijabcdefghijabcdefghijabcdefghij = 1\n");
    ASSERT_CONTAINS(msg, "strata.conf:2: the key is longer than 48 characters");
}

/* ================================================================== the whole resolution */

static void
test_settings_resolve(void)
{
    char cwd[4096];
    CU_ASSERT_FATAL(getcwd(cwd, sizeof(cwd)) != NULL);
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/cwd", tmp);
    tu_write(dir, "placeholder", "");
    CU_ASSERT_FATAL(chdir(dir) == 0);

    /* no strata.conf here: defaults */
    strata_settings_input in = input_with(NULL);
    strata_settings *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(strata_settings_resolve(&in, &s, &err), STRATA_OK);
    if (s != NULL) {
        CU_ASSERT_PTR_NULL(s->config_path);
        ASSERT_STR(s->url.value, STRATA_DEFAULT_URL);
        ASSERT_STR(s->url.value, strata_default_url());
    }
    strata_settings_free(s);

    /* ./strata.conf */
    tu_write(dir, "strata.conf", "[development]\nurl = sqlite:here.db\n");
    CU_ASSERT_EQUAL(strata_settings_resolve(&in, &s, &err), STRATA_OK);
    if (s != NULL) {
        ASSERT_STR(s->config_path, "strata.conf");
        ASSERT_STR(s->url.value, "sqlite:here.db");
        ASSERT_STR(s->url.origin, "strata.conf:2");
    }
    strata_settings_free(s);

    /* STRATA_CONFIG, which must exist */
    tu_write(dir, "other.conf", "[development]\n\nurl = sqlite:other.db\n");
    const char *vars[] = {"STRATA_CONFIG", "other.conf", NULL};
    in = input_with(vars);
    CU_ASSERT_EQUAL(strata_settings_resolve(&in, &s, &err), STRATA_OK);
    if (s != NULL) {
        ASSERT_STR(s->url.value, "sqlite:other.db");
        ASSERT_STR(s->url.origin, "other.conf:3");
    }
    strata_settings_free(s);
    const char *missing[] = {"STRATA_CONFIG", "missing.conf", NULL};
    in = input_with(missing);
    CU_ASSERT_EQUAL(strata_settings_resolve(&in, &s, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(s);
    ASSERT_STR(err.message, "STRATA_CONFIG missing.conf does not exist");

    /* config_path beats STRATA_CONFIG */
    in.config_path = "strata.conf";
    CU_ASSERT_EQUAL(strata_settings_resolve(&in, &s, &err), STRATA_OK);
    if (s != NULL)
        ASSERT_STR(s->url.value, "sqlite:here.db");
    strata_settings_free(s);
    in.config_path = "nope.conf";
    CU_ASSERT_EQUAL(strata_settings_resolve(&in, &s, &err), STRATA_USAGE);
    ASSERT_STR(err.message, "the configuration file nope.conf does not exist");

    /* load errors come through */
    tu_write(dir, "strata.conf", "[development]\nnope = 1\n");
    in = input_with(NULL);
    CU_ASSERT_EQUAL(strata_settings_resolve(&in, &s, &err), STRATA_USAGE);
    ASSERT_CONTAINS(err.message, "strata.conf:2: unknown key 'nope'");

    CU_ASSERT(chdir(cwd) == 0);
}

int
main(void)
{
    tmp = tu_tempdir();
    static const tu_test parsing[] = {
        {"sections and keys", test_sections_and_keys},
        {"BOM, CRLF, indentation, comments, repeated sections", test_file_dialect},
        {"a missing file is an empty configuration", test_missing_file},
        {NULL, NULL},
    };
    static const tu_test variables[] = {
        {"${VAR} and ${VAR:-default}", test_substitution},
        {"unset variable names file, line and variable", test_unset_variable},
        {"malformed ${...}", test_malformed_substitution},
        {NULL, NULL},
    };
    static const tu_test errors[] = {
        {"unknown keys", test_unknown_key},
        {"malformed lines and values", test_malformed_lines},
        {"a URL past its scheme is the driver's", test_url_past_the_scheme},
        {NULL, NULL},
    };
    static const tu_test environments[] = {
        {"--env > STRATA_ENV > default_env > development", test_environment_order},
        {"an unknown environment lists the others", test_missing_environment},
        {NULL, NULL},
    };
    static const tu_test precedence[] = {
        {"flag > variable > file > default", test_precedence_matrix},
        {"flag > file > default", test_precedence_flag_file},
        {"durations", test_durations},
        {NULL, NULL},
    };
    static const tu_test passwords[] = {
        {"password files", test_password_file},
        {"--password-file, kept apart from the URL", test_resolve_passwords},
        {"printing redacts", test_print},
        {NULL, NULL},
    };
    static const tu_test placeholders[] = {
        {"placeholder.NAME", test_placeholders},
        {NULL, NULL},
    };
    static const tu_test whole[] = {
        {"strata_settings_resolve", test_settings_resolve},
        {NULL, NULL},
    };
    tu_suite("config: parsing", parsing);
    tu_suite("config: variables", variables);
    tu_suite("config: errors", errors);
    tu_suite("config: environments", environments);
    tu_suite("config: precedence", precedence);
    tu_suite("config: passwords", passwords);
    tu_suite("config: placeholders", placeholders);
    tu_suite("config: resolution", whole);
    int rc = tu_run();
    tu_rmtree(tmp);
    free(tmp);
    return rc;
}
