/*
 * The plugin loader: it finds the real drivers, refuses each deliberately broken plugin of
 * tests/plugins with every reason it has, naming the file (an ABI-1 plugin is told to
 * rebuild, a declining entry is quoted), lists found and refused plugins, hands drivers a
 * host with every member of ABI 2, and the driver ABI keeps the frozen version-2 layout.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <strata/driver.h>
#include <strata/strata.h>

#include "abi/driver_v2.h"
#include "loader.h"
#include "testutil.h"

/* The plugins of tests/plugins, each refused. */
#define T_REFUSED_PLUGINS 10

static const char *
plugins_dir(void)
{
    const char *d = getenv("STRATA_TEST_PLUGINS");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    return d;
}

/* Loads tests/plugins/<name>.so, which must be refused; returns the reason (static buffer). */
static const char *
refusal(const char *name)
{
    static char reason[1024];
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.so", plugins_dir(), name);
    memset(reason, 'x', sizeof(reason));
    const strata_driver *d = strata_loader_open_file(path, reason, sizeof(reason));
    CU_ASSERT_PTR_NULL(d);
    CU_ASSERT_PTR_NOT_NULL(memchr(reason, '\0', sizeof(reason)));
    reason[sizeof(reason) - 1] = '\0';
    return reason;
}

/* Each broken plugin is refused with the reason that fits it, and only that one. */
static void
test_refusals(void)
{
    ASSERT_STR(refusal("noentry"), "no strata_driver_entry symbol: not a strata driver");
    ASSERT_CONTAINS(refusal("badabi"), "built for driver ABI 99, this strata speaks ABI 2");
    char want[256];
    snprintf(want, sizeof(want),
             "struct strata_driver is 16 bytes, ABI 2 needs at least %zu; rebuild it against "
             "this strata's driver.h",
             (size_t)STRATA_DRIVER_SIZE_V2);
    ASSERT_STR(refusal("small"), want);
    ASSERT_STR(refusal("nullslot"), "required member 'connect' is NULL");
    ASSERT_STR(refusal("wrongname"),
               "declares the name 'someoneelse' but the file is wrongname.so; the two must match");
    char path[4096];
    snprintf(path, sizeof(path), "%s/nonexistent.so", plugins_dir());
    char reason[512];
    CU_ASSERT_PTR_NULL(strata_loader_open_file(path, reason, sizeof(reason)));
    ASSERT_CONTAINS(reason, "cannot load");
    ASSERT_CONTAINS(reason, "ldd(1)");
}

/* A plugin built for ABI 1 is refused, saying that ABI 1 is no longer loaded and to rebuild;
 * the loader reads nothing of its (other) layout. */
static void
test_abi1_refused(void)
{
    const char *why = refusal("abi1");
    ASSERT_CONTAINS(why, "built for driver ABI 1");
    ASSERT_CONTAINS(why, "no longer loads");
    ASSERT_CONTAINS(why, "rebuild it against this strata's driver.h");
    ASSERT_LACKS(why, "bytes"); /* not mistaken for a short version-2 struct */
    ASSERT_LACKS(why, "NULL");

    const strata_driver *d = (const strata_driver *)0x1;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(strata_loader_load("abi1", plugins_dir(), &d, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(d);
    ASSERT_CONTAINS(err.message, "abi1.so refused: built for driver ABI 1");
    ASSERT_CONTAINS(err.message, "rebuild");
}

/* A plugin with several problems gets all of them in one refusal, not the first alone. */
static void
test_every_reason_at_once(void)
{
    const char *why = refusal("several");
    ASSERT_STR(why, "required members 'connect', 'describe' are NULL; declares the name "
                    "'plural' but the file is several.so; the two must match");

    /* and through loading by name, with the file named */
    const strata_driver *d = NULL;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(strata_loader_load("several", plugins_dir(), &d, &err), STRATA_ERROR);
    ASSERT_CONTAINS(err.message, "several.so refused: required members 'connect', 'describe'");
    ASSERT_CONTAINS(err.message, "declares the name 'plural'");
}

/* An entry that logs why and returns NULL is refused with its own words and its name. */
static void
test_entry_declines(void)
{
    ASSERT_STR(refusal("refuse"), "the refuse driver's entry declined to load: refuse: this "
                                  "plugin always declines");
}

/* A url_shape the core cannot parse URLs for is refused, 0 (never set) included. */
static void
test_url_shape_out_of_range(void)
{
    ASSERT_STR(refusal("badshape"), "url_shape is 4; it must be STRATA_URL_SERVER, "
                                    "STRATA_URL_FILE or STRATA_URL_OPAQUE");
    ASSERT_STR(refusal("noshape"), "url_shape is 0; it must be STRATA_URL_SERVER, "
                                   "STRATA_URL_FILE or STRATA_URL_OPAQUE");
}

static void
test_load_by_name(void)
{
    const strata_driver *d = NULL;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(strata_loader_load("sqlite", NULL, &d, &err), STRATA_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_STRING_EQUAL(d->name, "sqlite");
    CU_ASSERT_STRING_EQUAL(d->dialect, "sqlite");
    CU_ASSERT_EQUAL(d->abi_version, STRATA_DRIVER_ABI);
    CU_ASSERT_EQUAL(d->url_shape, STRATA_URL_FILE);
    /* loaded once: the same driver again */
    const strata_driver *again = NULL;
    CU_ASSERT_EQUAL(strata_loader_load("sqlite", NULL, &again, &err), STRATA_OK);
    CU_ASSERT_PTR_EQUAL(again, d);
    /* a refused plugin found by name is reported with the file and the reason */
    CU_ASSERT_EQUAL(strata_loader_load("badabi", plugins_dir(), &d, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(d);
    ASSERT_CONTAINS(err.message, "badabi.so");
    ASSERT_CONTAINS(err.message, "ABI 99");
    /* names that would escape the driver directories are refused before any lookup */
    CU_ASSERT_EQUAL(strata_loader_load("../sqlite", NULL, &d, &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(strata_loader_load("Sqlite", NULL, &d, &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(strata_loader_load("", NULL, &d, &err), STRATA_USAGE);
    /* a missing driver lists every directory searched */
    CU_ASSERT_EQUAL(strata_loader_load("oracle", plugins_dir(), &d, &err), STRATA_USAGE);
    ASSERT_CONTAINS(err.message, "no driver 'oracle'");
    ASSERT_CONTAINS(err.message, plugins_dir());
    ASSERT_CONTAINS(err.message, STRATA_DRIVER_DIR);
}

/* The core names no driver: a URL scheme finds the driver that lists it. */
static void
test_load_by_scheme(void)
{
    const strata_driver *d = NULL;
    strata_error err = STRATA_ERROR_INIT;
    /* sqlite3 is no file name: the drivers are asked for their schemes */
    CU_ASSERT_EQUAL(strata_loader_for_scheme("sqlite3", NULL, &d, &err), STRATA_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_STRING_EQUAL(d->name, "sqlite");
    /* <scheme>.so that is there but refused is the news, with why */
    CU_ASSERT_EQUAL(strata_loader_for_scheme("abi1", plugins_dir(), &d, &err), STRATA_ERROR);
    CU_ASSERT_PTR_NULL(d);
    ASSERT_CONTAINS(err.message, "abi1.so refused: built for driver ABI 1");
    /* a scheme nobody serves names the drivers found and their schemes */
    CU_ASSERT_EQUAL(strata_loader_for_scheme("nosuch", plugins_dir(), &d, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(d);
    ASSERT_CONTAINS(err.message, "no driver serves the URL scheme 'nosuch'");
    ASSERT_CONTAINS(err.message, "sqlite (sqlite:, sqlite3:)");
    ASSERT_CONTAINS(err.message, "`strata drivers`");
}

static void
test_search_order(void)
{
    size_t n;
    char **dirs = strata_loader_dirs("/first", &n);
    CU_ASSERT_FATAL(n >= 3);
    CU_ASSERT_STRING_EQUAL(dirs[0], "/first");
    CU_ASSERT_STRING_EQUAL(dirs[1], getenv("STRATA_DRIVER_PATH"));
    CU_ASSERT_STRING_EQUAL(dirs[n - 1], STRATA_DRIVER_DIR);
    strata_loader_free_dirs(dirs, n);
}

static void
test_listing(void)
{
    strata_driver_list *l = NULL;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL_FATAL(strata_list_drivers(plugins_dir(), &l, &err), STRATA_OK);
    int refused = 0, sqlite = 0;
    for (size_t i = 0; i < l->count; i++) {
        const strata_driver_info *d = &l->items[i];
        if (d->refused != NULL) {
            refused++;
            CU_ASSERT(d->refused[0] != '\0');
            CU_ASSERT_PTR_NULL(d->version);
            CU_ASSERT_PTR_NOT_NULL(strstr(d->file, plugins_dir()));
            if (strcmp(d->name, "several") == 0) {
                ASSERT_CONTAINS(d->refused, "'connect', 'describe' are NULL");
                ASSERT_CONTAINS(d->refused, "declares the name 'plural'");
            }
        } else if (strcmp(d->name, "sqlite") == 0) {
            sqlite = 1;
            ASSERT_STR(d->url_shape, "file");
            ASSERT_STR(d->schemes, "sqlite,sqlite3");
            ASSERT_STR(d->capabilities, "transactional-ddl,scratch-db,file-lock");
            ASSERT_STR(d->features, "lock,backup,snapshot,scratch,offline-describe");
            CU_ASSERT_EQUAL(d->abi_version, STRATA_DRIVER_ABI);
        }
    }
    CU_ASSERT_EQUAL(refused, T_REFUSED_PLUGINS);
    CU_ASSERT(sqlite);
    CU_ASSERT_STRING_EQUAL(l->searched[0], plugins_dir());
    strata_driver_list_free(l);
}

/* The services handed to every entry: all of ABI 2's, and errors filled as driver.h says. */
static void
test_host(void)
{
    const strata_host *h = strata_loader_host();
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(h->abi_version, STRATA_DRIVER_ABI);
    CU_ASSERT_EQUAL(h->size, sizeof(strata_host));
    CU_ASSERT_TRUE(STRATA_HOST_HAS(h, log));
    CU_ASSERT_TRUE(STRATA_HOST_HAS(h, set_error));
    CU_ASSERT_TRUE(STRATA_HOST_HAS(h, db_error));
    CU_ASSERT_TRUE(STRATA_HOST_HAS(h, whoami));
    CU_ASSERT_TRUE(STRATA_HOST_HAS(h, run_tool));
    CU_ASSERT_TRUE(STRATA_HOST_HAS(h, find_program));

    /* set_error clears what was there and keeps the size */
    strata_error err = STRATA_ERROR_INIT;
    snprintf(err.detail, sizeof(err.detail), "stale");
    err.position = 9;
    h->set_error(&err, STRATA_ERROR, "bad %s", "thing");
    CU_ASSERT_EQUAL(err.size, sizeof(strata_error));
    CU_ASSERT_EQUAL(err.status, STRATA_ERROR);
    ASSERT_STR(err.message, "bad thing");
    ASSERT_STR(err.detail, "");
    CU_ASSERT_EQUAL(err.position, 0);
    h->set_error(NULL, STRATA_ERROR, "nowhere"); /* NULL is allowed */

    /* db_error: first line the message, the rest the detail, blanks trimmed */
    CU_ASSERT_EQUAL(h->db_error(&err, STRATA_NOT_FOUND, "42P01x", 7, 12,
                                "relation \"t\" does not exist  \nLINE 1: x\n  ^\n", "create it\n"),
                    STRATA_NOT_FOUND);
    CU_ASSERT_EQUAL(err.size, sizeof(strata_error));
    CU_ASSERT_EQUAL(err.status, STRATA_NOT_FOUND);
    ASSERT_STR(err.sqlstate, "42P01");
    CU_ASSERT_EQUAL(err.native_code, 7);
    CU_ASSERT_EQUAL(err.position, 12);
    ASSERT_STR(err.message, "relation \"t\" does not exist");
    ASSERT_STR(err.detail, "LINE 1: x\n  ^");
    ASSERT_STR(err.hint, "create it");

    char who[128];
    CU_ASSERT(h->whoami(who, sizeof(who)) > 0);
    ASSERT_CONTAINS(who, "@");
}

/*
 * What a driver logs from its connections while another plugin's entry runs in another
 * thread is that driver's news: it must reach stderr, never become part of the loading
 * plugin's refusal, and never touch the loader's buffer for it (a library user may open
 * sessions on several threads at once; driver.h: different connections may be used by
 * different threads at once). Run in a child process, so that a crash fails this test alone.
 */
typedef struct {
    volatile int stop;
} t_logger;

static void *
t_log_loop(void *arg)
{
    t_logger *lg = arg;
    const strata_host *h = strata_loader_host();
    while (!lg->stop)
        h->log(STRATA_LOG_WARN, "a connection's warning from another thread");
    return NULL;
}

/* In the child: loads refuse.so while another thread logs; 0 when no refusal held a line of
 * the other thread's, 1 when one did (written to report). */
static int
t_race_child(int report)
{
    t_logger lg = {0};
    pthread_t th;
    int devnull = open("/dev/null", O_WRONLY), leaked = 0;
    if (devnull < 0 || dup2(devnull, STDERR_FILENO) < 0) /* hide the other thread's lines */
        return 2;
    if (pthread_create(&th, NULL, t_log_loop, &lg) != 0)
        return 3;
    for (int i = 0; i < 3000 && !leaked; i++) {
        const char *why = refusal("refuse");
        if (strstr(why, "another thread") != NULL) {
            leaked = 1;
            dprintf(report, "after %d loads the refusal reads \"%s\"", i + 1, why);
        }
    }
    lg.stop = 1;
    pthread_join(th, NULL);
    return leaked;
}

static void
test_entry_log_is_the_entrys_own(void)
{
    int pipefd[2], status = 0;
    char said[1024] = "";
    CU_ASSERT_FATAL(pipe(pipefd) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        _exit(t_race_child(pipefd[1]));
    }
    close(pipefd[1]);
    ssize_t n = read(pipefd[0], said, sizeof(said) - 1);
    said[n > 0 ? n : 0] = '\0';
    close(pipefd[0]);
    CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fprintf(
            stderr,
            "\n    REGRESSION (core/loader/loader.c, host_log): host_log() reads and appends to "
            "entry_log without loader_lock, so a warning logged on another thread while "
            "refuse.so's entry ran went into check_driver()'s buffer as it was freed: the "
            "process died of signal %d\n",
            WTERMSIG(status));
    else if (WEXITSTATUS(status) == 1)
        fprintf(stderr,
                "\n    REGRESSION (core/loader/loader.c, host_log): another thread's warning "
                "became part of refuse.so's refusal: %s\n",
                said);
    CU_ASSERT_FALSE(WIFSIGNALED(status));
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Asserts that member has the frozen offset and size. */
#define SAME_MEMBER(ours, frozen, member)                                                          \
    do {                                                                                           \
        CU_ASSERT_EQUAL(offsetof(ours, member), offsetof(frozen, member));                         \
        CU_ASSERT_EQUAL(sizeof(((ours *)0)->member), sizeof(((frozen *)0)->member));               \
    } while (0)

/* Every member of ABI 2's structs sits where the released plugins expect it. */
static void
test_abi_v2_layout(void)
{
    SAME_MEMBER(strata_driver, struct v2_driver, abi_version);
    SAME_MEMBER(strata_driver, struct v2_driver, size);
    SAME_MEMBER(strata_driver, struct v2_driver, name);
    SAME_MEMBER(strata_driver, struct v2_driver, version);
    SAME_MEMBER(strata_driver, struct v2_driver, client_version);
    SAME_MEMBER(strata_driver, struct v2_driver, url_shape);
    SAME_MEMBER(strata_driver, struct v2_driver, schemes);
    SAME_MEMBER(strata_driver, struct v2_driver, dialect);
    SAME_MEMBER(strata_driver, struct v2_driver, dialect_aliases);
    SAME_MEMBER(strata_driver, struct v2_driver, caps);
    SAME_MEMBER(strata_driver, struct v2_driver, password_env);
    SAME_MEMBER(strata_driver, struct v2_driver, connect);
    SAME_MEMBER(strata_driver, struct v2_driver, close);
    SAME_MEMBER(strata_driver, struct v2_driver, describe);
    SAME_MEMBER(strata_driver, struct v2_driver, server_version);
    SAME_MEMBER(strata_driver, struct v2_driver, exec);
    SAME_MEMBER(strata_driver, struct v2_driver, query);
    SAME_MEMBER(strata_driver, struct v2_driver, begin);
    SAME_MEMBER(strata_driver, struct v2_driver, commit);
    SAME_MEMBER(strata_driver, struct v2_driver, rollback);
    SAME_MEMBER(strata_driver, struct v2_driver, quote_ident);
    SAME_MEMBER(strata_driver, struct v2_driver, quote_literal);
    SAME_MEMBER(strata_driver, struct v2_driver, lock);
    SAME_MEMBER(strata_driver, struct v2_driver, unlock);
    SAME_MEMBER(strata_driver, struct v2_driver, session_reset_sql);
    SAME_MEMBER(strata_driver, struct v2_driver, copy_in);
    SAME_MEMBER(strata_driver, struct v2_driver, utc_timestamps);
    SAME_MEMBER(strata_driver, struct v2_driver, backup);
    SAME_MEMBER(strata_driver, struct v2_driver, snapshot);
    SAME_MEMBER(strata_driver, struct v2_driver, scratch_create);
    SAME_MEMBER(strata_driver, struct v2_driver, scratch_drop);
    CU_ASSERT_EQUAL(STRATA_DRIVER_SIZE_V2, sizeof(struct v2_driver));
    CU_ASSERT_EQUAL(STRATA_DRIVER_SIZE_V2,
                    offsetof(struct v2_driver, scratch_drop) + sizeof(v2_fn));
    CU_ASSERT(sizeof(strata_driver) >= sizeof(struct v2_driver));

    SAME_MEMBER(strata_host, struct v2_host, abi_version);
    SAME_MEMBER(strata_host, struct v2_host, size);
    SAME_MEMBER(strata_host, struct v2_host, log);
    SAME_MEMBER(strata_host, struct v2_host, set_error);
    SAME_MEMBER(strata_host, struct v2_host, db_error);
    SAME_MEMBER(strata_host, struct v2_host, whoami);
    SAME_MEMBER(strata_host, struct v2_host, run_tool);
    SAME_MEMBER(strata_host, struct v2_host, find_program);
    CU_ASSERT(sizeof(strata_host) >= sizeof(struct v2_host));

    SAME_MEMBER(strata_describe, struct v2_describe, size);
    SAME_MEMBER(strata_describe, struct v2_describe, dialect);
    SAME_MEMBER(strata_describe, struct v2_describe, dialect_aliases);
    SAME_MEMBER(strata_describe, struct v2_describe, caps);
    SAME_MEMBER(strata_describe, struct v2_describe, lexer_rules);
    SAME_MEMBER(strata_describe, struct v2_describe, no_transaction_patterns);
    SAME_MEMBER(strata_describe, struct v2_describe, statement_complete);
    SAME_MEMBER(strata_describe, struct v2_describe, home_schema);
    SAME_MEMBER(strata_describe, struct v2_describe, types);
    SAME_MEMBER(strata_describe, struct v2_describe, table_options);
    CU_ASSERT(sizeof(strata_describe) >= sizeof(struct v2_describe));

    SAME_MEMBER(strata_connect_options, struct v2_connect_options, size);
    SAME_MEMBER(strata_connect_options, struct v2_connect_options, schema);
    SAME_MEMBER(strata_connect_options, struct v2_connect_options, application);
    SAME_MEMBER(strata_connect_options, struct v2_connect_options, connect_timeout_ms);
    SAME_MEMBER(strata_connect_options, struct v2_connect_options, must_exist);
    CU_ASSERT(sizeof(strata_connect_options) >= sizeof(struct v2_connect_options));

    SAME_MEMBER(strata_url, struct v2_url, scheme);
    SAME_MEMBER(strata_url, struct v2_url, user);
    SAME_MEMBER(strata_url, struct v2_url, password);
    SAME_MEMBER(strata_url, struct v2_url, host);
    SAME_MEMBER(strata_url, struct v2_url, port);
    SAME_MEMBER(strata_url, struct v2_url, database);
    SAME_MEMBER(strata_url, struct v2_url, nparams);
    SAME_MEMBER(strata_url, struct v2_url, params);
    SAME_MEMBER(strata_url, struct v2_url, redacted);
    SAME_MEMBER(strata_url, struct v2_url, raw);
    SAME_MEMBER(strata_url, struct v2_url, opaque);
    CU_ASSERT(sizeof(strata_url) >= sizeof(struct v2_url));
    SAME_MEMBER(strata_url_param, struct v2_url_param, key);
    SAME_MEMBER(strata_url_param, struct v2_url_param, value);
    CU_ASSERT_EQUAL(sizeof(strata_url_param), sizeof(struct v2_url_param)); /* an array's step */

    SAME_MEMBER(strata_error, struct v2_error, size);
    SAME_MEMBER(strata_error, struct v2_error, status);
    SAME_MEMBER(strata_error, struct v2_error, sqlstate);
    SAME_MEMBER(strata_error, struct v2_error, native_code);
    SAME_MEMBER(strata_error, struct v2_error, position);
    SAME_MEMBER(strata_error, struct v2_error, message);
    SAME_MEMBER(strata_error, struct v2_error, detail);
    SAME_MEMBER(strata_error, struct v2_error, hint);
    CU_ASSERT_EQUAL(STRATA_ERROR_SIZE_V2,
                    offsetof(struct v2_error, hint) + sizeof(((struct v2_error *)0)->hint));
    CU_ASSERT(sizeof(strata_error) >= STRATA_ERROR_SIZE_V2);
    strata_error init = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(init.size, sizeof(strata_error));
}

/* The constants built plugins have compiled in keep their values. */
static void
test_abi_v2_constants(void)
{
    CU_ASSERT_EQUAL(STRATA_DRIVER_ABI, V2_DRIVER_ABI);
    CU_ASSERT_STRING_EQUAL(STRATA_DRIVER_ENTRY, V2_DRIVER_ENTRY);
    CU_ASSERT_EQUAL(STRATA_OK, V2_OK);
    CU_ASSERT_EQUAL(STRATA_ERROR, V2_ERROR);
    CU_ASSERT_EQUAL(STRATA_USAGE, V2_USAGE);
    CU_ASSERT_EQUAL(STRATA_VALIDATION, V2_VALIDATION);
    CU_ASSERT_EQUAL(STRATA_LOCK_TIMEOUT, V2_LOCK_TIMEOUT);
    CU_ASSERT_EQUAL(STRATA_NOT_SUPPORTED, V2_NOT_SUPPORTED);
    CU_ASSERT_EQUAL(STRATA_DIRTY, V2_DIRTY);
    CU_ASSERT_EQUAL(STRATA_NOT_FOUND, V2_NOT_FOUND);
    CU_ASSERT_EQUAL(STRATA_ERROR_NOMEM, V2_ERROR_NOMEM);
    CU_ASSERT_EQUAL(STRATA_URL_SERVER, V2_URL_SERVER);
    CU_ASSERT_EQUAL(STRATA_URL_FILE, V2_URL_FILE);
    CU_ASSERT_EQUAL(STRATA_URL_OPAQUE, V2_URL_OPAQUE);
    CU_ASSERT_EQUAL(STRATA_CAP_TRANSACTIONAL_DDL, V2_CAP_TRANSACTIONAL_DDL);
    CU_ASSERT_EQUAL(STRATA_CAP_ADVISORY_LOCK, V2_CAP_ADVISORY_LOCK);
    CU_ASSERT_EQUAL(STRATA_CAP_COPY_IN, V2_CAP_COPY_IN);
    CU_ASSERT_EQUAL(STRATA_CAP_SCRATCH_DB, V2_CAP_SCRATCH_DB);
    CU_ASSERT_EQUAL(STRATA_CAP_SCHEMAS, V2_CAP_SCHEMAS);
    CU_ASSERT_EQUAL(STRATA_CAP_MULTI_STATEMENT, V2_CAP_MULTI_STATEMENT);
    CU_ASSERT_EQUAL(STRATA_CAP_FILE_LOCK, V2_CAP_FILE_LOCK);
    CU_ASSERT_EQUAL(STRATA_LEX_BACKTICKS, V2_LEX_BACKTICKS);
    CU_ASSERT_EQUAL(STRATA_LEX_BRACKETS, V2_LEX_BRACKETS);
    CU_ASSERT_EQUAL(STRATA_LEX_HASH_COMMENTS, V2_LEX_HASH_COMMENTS);
    CU_ASSERT_EQUAL(STRATA_LEX_NESTED_COMMENTS, V2_LEX_NESTED_COMMENTS);
    CU_ASSERT_EQUAL(STRATA_LEX_BACKSLASH_ESCAPES, V2_LEX_BACKSLASH_ESCAPES);
    CU_ASSERT_EQUAL(STRATA_LEX_E_STRINGS, V2_LEX_E_STRINGS);
    CU_ASSERT_EQUAL(STRATA_LEX_DOLLAR_QUOTES, V2_LEX_DOLLAR_QUOTES);
    CU_ASSERT_EQUAL(STRATA_LEX_COPY_STDIN, V2_LEX_COPY_STDIN);
    CU_ASSERT_EQUAL(STRATA_LEX_DELIMITER, V2_LEX_DELIMITER);
    CU_ASSERT_EQUAL(STRATA_LEX_BLOCKS, V2_LEX_BLOCKS);
    CU_ASSERT_EQUAL(STRATA_LEX_EXEC_COMMENTS, V2_LEX_EXEC_COMMENTS);
    CU_ASSERT_EQUAL(STRATA_LEX_PSQL_META, V2_LEX_PSQL_META);
    CU_ASSERT_EQUAL(STRATA_LEX_DASH_NEEDS_SPACE, V2_LEX_DASH_NEEDS_SPACE);
    CU_ASSERT_EQUAL(STRATA_LEX_PARENS, V2_LEX_PARENS);
    CU_ASSERT_EQUAL(STRATA_LEX_ATOMIC_BLOCKS, V2_LEX_ATOMIC_BLOCKS);
    CU_ASSERT_EQUAL(STRATA_LEX_STD_STRINGS, V2_LEX_STD_STRINGS);
    CU_ASSERT_EQUAL(STRATA_LEX_STRINGS_ESCAPE, V2_LEX_STRINGS_ESCAPE);
    CU_ASSERT_EQUAL(STRATA_TYPE_STRING, V2_TYPE_STRING);
    CU_ASSERT_EQUAL(STRATA_TYPE_TEXT, V2_TYPE_TEXT);
    CU_ASSERT_EQUAL(STRATA_TYPE_INTEGER, V2_TYPE_INTEGER);
    CU_ASSERT_EQUAL(STRATA_TYPE_BIGINT, V2_TYPE_BIGINT);
    CU_ASSERT_EQUAL(STRATA_TYPE_TIMESTAMP, V2_TYPE_TIMESTAMP);
    CU_ASSERT_EQUAL(STRATA_TYPE_SERIAL, V2_TYPE_SERIAL);
    CU_ASSERT_EQUAL(STRATA_TYPE_COUNT, V2_TYPE_COUNT);
    CU_ASSERT_EQUAL(STRATA_OBJ_SCHEMA, V2_OBJ_SCHEMA);
    CU_ASSERT_EQUAL(STRATA_OBJ_SEQUENCE, V2_OBJ_SEQUENCE);
    CU_ASSERT_EQUAL(STRATA_OBJ_ENUM, V2_OBJ_ENUM);
    CU_ASSERT_EQUAL(STRATA_OBJ_TABLE, V2_OBJ_TABLE);
    CU_ASSERT_EQUAL(STRATA_OBJ_COLUMN, V2_OBJ_COLUMN);
    CU_ASSERT_EQUAL(STRATA_OBJ_CONSTRAINT, V2_OBJ_CONSTRAINT);
    CU_ASSERT_EQUAL(STRATA_OBJ_INDEX, V2_OBJ_INDEX);
    CU_ASSERT_EQUAL(STRATA_OBJ_VIEW, V2_OBJ_VIEW);
    CU_ASSERT_EQUAL(STRATA_OBJ_TRIGGER, V2_OBJ_TRIGGER);
    CU_ASSERT_EQUAL(STRATA_OBJ_FUNCTION, V2_OBJ_FUNCTION);
    CU_ASSERT_EQUAL(STRATA_LOG_ERROR, V2_LOG_ERROR);
    CU_ASSERT_EQUAL(STRATA_LOG_WARN, V2_LOG_WARN);
    CU_ASSERT_EQUAL(STRATA_LOG_INFO, V2_LOG_INFO);
    CU_ASSERT_EQUAL(STRATA_LOG_DEBUG, V2_LOG_DEBUG);
}

static void
test_optional_member_macros(void)
{
    const strata_driver *d = NULL;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL_FATAL(strata_loader_load("sqlite", NULL, &d, &err), STRATA_OK);
    /* SQLite has no COPY: the core must see NULL, never call it */
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(d, copy_in));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(d, connect));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(d, lock));
    strata_driver shrunk = *d;
    shrunk.size = (uint32_t)offsetof(strata_driver, copy_in);
    shrunk.copy_in = (void *)d->exec; /* set, but beyond the declared size */
    CU_ASSERT_FALSE(STRATA_DRIVER_HAS(&shrunk, copy_in));
    CU_ASSERT_TRUE(STRATA_DRIVER_HAS(&shrunk, lock));

    strata_host h = *strata_loader_host();
    CU_ASSERT_TRUE(STRATA_HOST_HAS(&h, find_program));
    h.size = (uint32_t)offsetof(strata_host, find_program);
    CU_ASSERT_FALSE(STRATA_HOST_HAS(&h, find_program));
    CU_ASSERT_TRUE(STRATA_HOST_HAS(&h, run_tool));
    h.run_tool = NULL;
    CU_ASSERT_FALSE(STRATA_HOST_HAS(&h, run_tool));
}

int
main(void)
{
    static const tu_test loader[] = {
        {"broken plugins are refused with the reason", test_refusals},
        {"an ABI-1 plugin is told to rebuild", test_abi1_refused},
        {"every reason of a refusal at once", test_every_reason_at_once},
        {"an entry that declines is quoted with its name", test_entry_declines},
        {"url_shape out of range", test_url_shape_out_of_range},
        {"loading by name", test_load_by_name},
        {"loading by URL scheme", test_load_by_scheme},
        {"search order", test_search_order},
        {"strata drivers lists found and refused plugins", test_listing},
        {"the host has every ABI-2 member", test_host},
        {"an entry's refusal holds only its own log lines", test_entry_log_is_the_entrys_own},
        {"driver ABI v2 layout is frozen", test_abi_v2_layout},
        {"driver ABI v2 constants are frozen", test_abi_v2_constants},
        {"optional members are read only when size covers them", test_optional_member_macros},
        {NULL, NULL},
    };
    tu_suite("loader", loader);
    return tu_run();
}
