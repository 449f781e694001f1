#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <strata/strata.h>

#include "guard.h"
#include "loader.h"
#include "tool.h"
#include "util.h"

#ifndef STRATA_DRIVER_DIR
#define STRATA_DRIVER_DIR "/usr/local/lib/strata/drivers"
#endif

/* Drivers loaded so far, by file. Guarded by loader_lock; never unloaded. */
typedef struct loaded {
    char *path;
    const strata_driver *drv;
} loaded;

static pthread_mutex_t loader_lock = PTHREAD_MUTEX_INITIALIZER;
static loaded *cache;
static size_t cache_count;
/* While a plugin's entry runs on this thread (under loader_lock): what it logs as errors and
 * warnings, so that a plugin that declines says why in the reason it is refused with. Other
 * threads' logging is not caught. */
static _Thread_local strata_buf *entry_log;

/* ------------------------------------------------------------------ host services */

static void
host_log(int level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    va_list ap;
    if (entry_log != NULL && level <= STRATA_LOG_WARN) {
        char line[512];
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        strata_buf_printf(entry_log, "%s%s", entry_log->len ? "; " : "", line);
        return;
    }
    if (level >= STRATA_LOG_INFO && getenv("STRATA_DEBUG") == NULL)
        return;
    va_start(ap, fmt);
    fprintf(stderr, "strata: driver %s: ", names[level < 0 ? 0 : level > 3 ? 3 : level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void
host_set_error(strata_error *err, int status, const char *fmt, ...)
{
    if (err == NULL)
        return;
    strata_error_clear(err);
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

/* Copies text[0, n) into out (size bytes), trimming trailing blanks and newlines. */
static void
copy_trimmed(char *out, size_t size, const char *text, size_t n)
{
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' ||
                     text[n - 1] == '\t'))
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

static int
host_db_error(strata_error *err, int status, const char *sqlstate, long native_code, long position,
              const char *text, const char *hint)
{
    if (err == NULL)
        return status;
    strata_error_clear(err);
    err->status = status;
    if (sqlstate != NULL)
        snprintf(err->sqlstate, sizeof(err->sqlstate), "%.5s", sqlstate);
    err->native_code = native_code;
    err->position = position;
    if (text == NULL)
        text = "";
    size_t first = strcspn(text, "\n");
    copy_trimmed(err->message, sizeof(err->message), text, first);
    if (text[first] == '\n')
        copy_trimmed(err->detail, sizeof(err->detail), text + first + 1, strlen(text + first + 1));
    if (hint != NULL)
        copy_trimmed(err->hint, sizeof(err->hint), hint, strlen(hint));
    return status;
}

static size_t
host_whoami(char *out, size_t size)
{
    char who[256];
    strata_whoami(who, sizeof(who));
    int n = snprintf(out, size, "%s", who);
    return n < 0 ? 0 : (size_t)n;
}

static const strata_host host = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_host),
    .log = host_log,
    .set_error = host_set_error,
    .db_error = host_db_error,
    .whoami = host_whoami,
    .run_tool = strata_tool_run,
    .find_program = strata_tool_find,
};

const strata_host *
strata_loader_host(void)
{
    return &host;
}

/* ------------------------------------------------------------------ search path */

static int
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* drivers/.libs of the build tree when the running program is the uninstalled ./strata. */
static char *
build_tree_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    /* libtool runs the real binary from .libs/ behind a wrapper script */
    if (strata_ends_with(exe, "/.libs"))
        exe[strlen(exe) - strlen("/.libs")] = '\0';
    char *dir = strata_path_join(exe, "drivers/.libs");
    if (is_dir(dir))
        return dir;
    free(dir);
    return NULL;
}

static void
push_dir(char ***dirs, size_t *count, char *dir)
{
    for (size_t i = 0; i < *count; i++) {
        if (strcmp((*dirs)[i], dir) == 0) {
            free(dir);
            return;
        }
    }
    *dirs = strata_xrealloc(*dirs, (*count + 1) * sizeof(**dirs));
    (*dirs)[(*count)++] = dir;
}

char **
strata_loader_dirs(const char *driver_dir, size_t *count)
{
    char **dirs = NULL;
    *count = 0;
    if (driver_dir != NULL && *driver_dir != '\0')
        push_dir(&dirs, count, strata_xstrdup(driver_dir));
    const char *path = getenv("STRATA_DRIVER_PATH");
    while (path != NULL && *path != '\0') {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        if (n > 0)
            push_dir(&dirs, count, strata_xstrndup(path, n));
        path = colon ? colon + 1 : NULL;
    }
    char *tree = build_tree_dir();
    if (tree != NULL)
        push_dir(&dirs, count, tree);
    push_dir(&dirs, count, strata_xstrdup(STRATA_DRIVER_DIR));
    return dirs;
}

void
strata_loader_free_dirs(char **dirs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(dirs[i]);
    free(dirs);
}

/* ------------------------------------------------------------------ checking a plugin */

static int
valid_module_name(const char *name)
{
    size_t n = 0;
    for (; name[n] != '\0'; n++) {
        char c = name[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return n > 0 && n <= 64;
}

/* The name a file must declare: its base name without ".so". */
static void
file_stem(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, size, "%s", base);
    char *dot = strstr(out, ".so");
    if (dot != NULL)
        *dot = '\0';
}

/* Appends to list the name of every required member of d that is NULL; returns how many. */
static int
missing_slots(const strata_driver *d, strata_buf *list)
{
    int n = 0;
#define REQUIRE(member)                                                                            \
    do {                                                                                           \
        if (d->member == NULL)                                                                     \
            strata_buf_printf(list, "%s'%s'", n++ ? ", " : "", #member);                           \
    } while (0)
    REQUIRE(name);
    REQUIRE(version);
    REQUIRE(schemes);
    REQUIRE(dialect);
    REQUIRE(connect);
    REQUIRE(close);
    REQUIRE(describe);
    REQUIRE(server_version);
    REQUIRE(exec);
    REQUIRE(query);
    REQUIRE(begin);
    REQUIRE(commit);
    REQUIRE(rollback);
    REQUIRE(quote_ident);
    REQUIRE(quote_literal);
#undef REQUIRE
    return n;
}

/* Appends one reason to the reasons of a refusal. */
static void add_reason(strata_buf *reasons, const char *fmt, ...) STRATA_PRINTF(2, 3);

static void
add_reason(strata_buf *reasons, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    strata_buf_printf(reasons, "%s%s", reasons->len ? "; " : "", text);
}

/* Appends every reason to refuse d (its ABI and size already checked). */
static void
member_reasons(const strata_driver *d, const char *stem, strata_buf *reasons)
{
    strata_buf missing = {0};
    int n = missing_slots(d, &missing);
    if (n > 0)
        add_reason(reasons, "required member%s %s %s NULL", n > 1 ? "s" : "", missing.data,
                   n > 1 ? "are" : "is");
    strata_buf_free(&missing);
    if (d->url_shape < STRATA_URL_SERVER || d->url_shape > STRATA_URL_OPAQUE)
        add_reason(reasons,
                   "url_shape is %d; it must be STRATA_URL_SERVER, STRATA_URL_FILE or "
                   "STRATA_URL_OPAQUE",
                   d->url_shape);
    if (d->schemes != NULL && d->schemes[0] == NULL)
        add_reason(reasons, "schemes lists no URL scheme");
    for (const char *const *sc = d->schemes; sc != NULL && *sc != NULL; sc++)
        if (!valid_module_name(*sc))
            add_reason(reasons, "the scheme '%s' is not lower-case letters, digits and _", *sc);
    if (d->name != NULL && strcmp(d->name, stem) != 0)
        add_reason(reasons, "declares the name '%s' but the file is %s.so; the two must match",
                   d->name, stem);
}

/* Calls the plugin's entry, gathering what it logs; the caller holds loader_lock. */
static const strata_driver *
call_entry(strata_driver_entry_fn entry, strata_buf *logged)
{
    entry_log = logged;
    const strata_driver *d = entry(&host);
    entry_log = NULL;
    return d;
}

/* Checks in the order of likely cause; writes every reason and returns NULL on refusal. */
static const strata_driver *
check_driver(const char *path, void *handle, char *reason, size_t size)
{
    void *sym = dlsym(handle, STRATA_DRIVER_ENTRY);
    if (sym == NULL) {
        snprintf(reason, size, "no %s symbol: not a strata driver", STRATA_DRIVER_ENTRY);
        return NULL;
    }
    strata_driver_entry_fn entry;
    memcpy(&entry, &sym, sizeof(entry));
    strata_buf logged = {0}, reasons = {0};
    const strata_driver *d = call_entry(entry, &logged);
    char stem[256];
    file_stem(path, stem, sizeof(stem));
    if (d == NULL)
        add_reason(&reasons, "the %s driver's entry declined to load: %s", stem,
                   logged.len ? logged.data : "it gave no reason");
    else if (d->abi_version == 1)
        add_reason(&reasons,
                   "built for driver ABI 1, which this strata no longer loads: ABI 2 asks a "
                   "connection what it speaks and writes the history tables itself; rebuild it "
                   "against this strata's driver.h (docs/writing-a-driver.md)");
    else if (d->abi_version != STRATA_DRIVER_ABI)
        add_reason(&reasons,
                   "built for driver ABI %u, this strata speaks ABI %u; rebuild it against this "
                   "strata's driver.h",
                   d->abi_version, STRATA_DRIVER_ABI);
    else if (d->size < STRATA_DRIVER_SIZE_V2)
        add_reason(&reasons,
                   "struct strata_driver is %u bytes, ABI %u needs at least %zu; rebuild it "
                   "against this strata's driver.h",
                   d->size, STRATA_DRIVER_ABI, (size_t)STRATA_DRIVER_SIZE_V2);
    else
        member_reasons(d, stem, &reasons);
    if (reasons.len > 0) {
        snprintf(reason, size, "%s", reasons.data);
        d = NULL;
    } else if (logged.len > 0) {
        host_log(STRATA_LOG_WARN, "%s: %s", stem, logged.data); /* loaded, but it warned */
    }
    strata_buf_free(&logged);
    strata_buf_free(&reasons);
    return d;
}

static const strata_driver *
cached(const char *path)
{
    for (size_t i = 0; i < cache_count; i++)
        if (strcmp(cache[i].path, path) == 0)
            return cache[i].drv;
    return NULL;
}

const strata_driver *
strata_loader_open_file(const char *path, char *reason, size_t size)
{
    strata_guard_hold(&loader_lock);
    entry_log = NULL; /* a jump out of an entry may have left it set */
    const strata_driver *d = cached(path);
    if (d != NULL)
        goto done;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        snprintf(reason, size, "cannot load: %s (use ldd(1) to check for missing dependencies)",
                 dlerror());
        goto done;
    }
    d = check_driver(path, handle, reason, size);
    if (d == NULL) {
        dlclose(handle);
        goto done;
    }
    cache = strata_xrealloc(cache, (cache_count + 1) * sizeof(*cache));
    cache[cache_count].path = strata_xstrdup(path);
    cache[cache_count].drv = d;
    cache_count++;
done:
    strata_guard_release(&loader_lock);
    return d;
}

int
strata_loader_load(const char *module, const char *driver_dir, const strata_driver **out,
                   strata_error *err)
{
    *out = NULL;
    if (!valid_module_name(module))
        return strata_fail(err, STRATA_USAGE,
                           "'%s' is not a driver name (only a-z, 0-9 and _ are allowed)", module);
    size_t ndirs;
    char **dirs = strata_loader_dirs(driver_dir, &ndirs);
    strata_buf searched = {0};
    int rc = STRATA_USAGE;
    for (size_t i = 0; i < ndirs; i++) {
        char file[128];
        snprintf(file, sizeof(file), "%s.so", module);
        char *path = strata_path_join(dirs[i], file);
        strata_buf_printf(&searched, "%s%s", i ? ", " : "", dirs[i]);
        if (access(path, F_OK) == 0) {
            char reason[1024] = "";
            *out = strata_loader_open_file(path, reason, sizeof(reason));
            if (*out != NULL)
                rc = STRATA_OK;
            else
                rc = strata_fail(err, STRATA_ERROR, "driver %s refused: %s", path, reason);
            free(path);
            goto done;
        }
        free(path);
    }
    strata_fail(err, STRATA_USAGE,
                "no driver '%s' found (looked for %s.so in %s); run `strata drivers` to see the "
                "drivers found, or set --driver-dir / STRATA_DRIVER_PATH",
                module, module, searched.data ? searched.data : "no directory");
done:
    strata_buf_free(&searched);
    strata_loader_free_dirs(dirs, ndirs);
    return rc;
}

/* ------------------------------------------------------------------ by scheme */

static int
serves(const strata_driver *d, const char *scheme)
{
    for (const char *const *s = d->schemes; *s != NULL; s++)
        if (strcmp(*s, scheme) == 0)
            return 1;
    return 0;
}

static char **plugin_files(const char *dir, size_t *count);

/* The first loadable driver of dirs serving scheme, or NULL; lists in found every driver
 * seen with its schemes. */
static const strata_driver *
scan_for_scheme(char **dirs, size_t ndirs, const char *scheme, strata_buf *found)
{
    const strata_driver *hit = NULL;
    for (size_t i = 0; i < ndirs && hit == NULL; i++) {
        size_t n;
        char **files = plugin_files(dirs[i], &n);
        for (size_t j = 0; j < n; j++) {
            char reason[512];
            const strata_driver *d =
                hit ? NULL : strata_loader_open_file(files[j], reason, sizeof(reason));
            if (d != NULL && serves(d, scheme))
                hit = d;
            else if (d != NULL) {
                strata_buf_printf(found, "%s%s (", found->len ? "; " : "", d->name);
                for (const char *const *s = d->schemes; *s != NULL; s++)
                    strata_buf_printf(found, "%s%s:", s == d->schemes ? "" : ", ", *s);
                strata_buf_puts(found, ")");
            }
            free(files[j]);
        }
        free(files);
    }
    return hit;
}

int
strata_loader_for_scheme(const char *scheme, const char *driver_dir, const strata_driver **out,
                         strata_error *err)
{
    *out = NULL;
    if (valid_module_name(scheme)) {
        strata_error probe = STRATA_ERROR_INIT;
        int rc = strata_loader_load(scheme, driver_dir, out, &probe);
        if (rc == STRATA_OK && serves(*out, scheme))
            return STRATA_OK;
        *out = NULL;
        if (rc == STRATA_ERROR) { /* <scheme>.so is there but refused: that is the news */
            *err = probe;
            return rc;
        }
    }
    size_t ndirs;
    char **dirs = strata_loader_dirs(driver_dir, &ndirs);
    strata_buf found = {0};
    *out = scan_for_scheme(dirs, ndirs, scheme, &found);
    int rc = STRATA_OK;
    if (*out == NULL)
        rc = strata_fail(err, STRATA_USAGE,
                         "no driver serves the URL scheme '%s'; the drivers found serve: %s. "
                         "Check the URL, or add the driver's folder with --driver-dir or "
                         "STRATA_DRIVER_PATH (`strata drivers` lists what is found where)",
                         scheme, found.len ? found.data : "nothing (no driver was found)");
    strata_buf_free(&found);
    strata_loader_free_dirs(dirs, ndirs);
    return rc;
}

/* ------------------------------------------------------------------ listing */

static void
caps_text(uint32_t caps, strata_buf *b)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {STRATA_CAP_TRANSACTIONAL_DDL, "transactional-ddl"},
        {STRATA_CAP_ADVISORY_LOCK, "advisory-lock"},
        {STRATA_CAP_COPY_IN, "copy-in"},
        {STRATA_CAP_SCRATCH_DB, "scratch-db"},
        {STRATA_CAP_SCHEMAS, "schemas"},
        {STRATA_CAP_MULTI_STATEMENT, "multi-statement"},
        {STRATA_CAP_FILE_LOCK, "file-lock"},
        {STRATA_CAP_AUTOCOMMIT_BATCH, "autocommit-batch"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (caps & names[i].bit)
            strata_buf_printf(b, "%s%s", b->len ? "," : "", names[i].name);
}

/* The optional members d has, by name. */
static void
features_text(const strata_driver *d, strata_buf *b)
{
#define FEATURE(member, name)                                                                      \
    do {                                                                                           \
        if (STRATA_DRIVER_HAS(d, member))                                                          \
            strata_buf_printf(b, "%s%s", b->len ? "," : "", name);                                 \
    } while (0)
    FEATURE(lock, "lock");
    FEATURE(session_reset_sql, "session-reset");
    FEATURE(copy_in, "copy-in");
    FEATURE(utc_timestamps, "utc-timestamps");
    FEATURE(backup, "backup");
    FEATURE(snapshot, "snapshot");
    FEATURE(scratch_create, "scratch");
    FEATURE(describe_offline, "offline-describe");
#undef FEATURE
}

static const char *
shape_name(int shape)
{
    return shape == STRATA_URL_FILE ? "file" : shape == STRATA_URL_OPAQUE ? "opaque" : "server";
}

static void
describe(strata_driver_info *info, const strata_driver *d)
{
    strata_buf schemes = {0}, caps = {0}, features = {0};
    for (const char *const *s = d->schemes; *s != NULL; s++)
        strata_buf_printf(&schemes, "%s%s", schemes.len ? "," : "", *s);
    caps_text(d->caps, &caps);
    features_text(d, &features);
    info->name = strata_xstrdup(d->name);
    info->version = strata_xstrdup(d->version);
    info->dialect = strata_xstrdup(d->dialect);
    info->schemes = strata_buf_take(&schemes);
    info->capabilities = caps.data ? strata_buf_take(&caps) : strata_xstrdup("");
    info->features = features.data ? strata_buf_take(&features) : strata_xstrdup("");
    info->url_shape = strata_xstrdup(shape_name(d->url_shape));
    info->client_version = d->client_version ? strata_xstrdup(d->client_version) : NULL;
    info->abi_version = d->abi_version;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.so files of dir, sorted; the caller frees the array and its strings. */
static char **
plugin_files(const char *dir, size_t *count)
{
    char **files = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strata_ends_with(e->d_name, ".so"))
            continue;
        files = strata_xrealloc(files, (*count + 1) * sizeof(*files));
        files[(*count)++] = strata_path_join(dir, e->d_name);
    }
    closedir(d);
    if (*count > 1)
        qsort(files, *count, sizeof(*files), cmp_names);
    return files;
}

static void
list_file(strata_driver_list *l, const char *path)
{
    l->items = strata_xrealloc(l->items, (l->count + 1) * sizeof(*l->items));
    strata_driver_info *info = &l->items[l->count++];
    memset(info, 0, sizeof(*info));
    info->file = strata_xstrdup(path);
    char reason[1024] = "";
    const strata_driver *d = strata_loader_open_file(path, reason, sizeof(reason));
    if (d != NULL) {
        describe(info, d);
        return;
    }
    char stem[256];
    file_stem(path, stem, sizeof(stem));
    info->name = strata_xstrdup(stem);
    info->refused = strata_xstrdup(reason);
}

/* The body of strata_list_drivers(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_list_drivers_body(const char *driver_dir, strata_driver_list **out, strata_error *err)
{
    strata_error_clear(err);
    strata_driver_list *l = strata_xcalloc(1, sizeof(*l));
    l->searched = strata_loader_dirs(driver_dir, &l->nsearched);
    for (size_t i = 0; i < l->nsearched; i++) {
        size_t n;
        char **files = plugin_files(l->searched[i], &n);
        for (size_t j = 0; j < n; j++) {
            list_file(l, files[j]);
            free(files[j]);
        }
        free(files);
    }
    *out = l;
    return STRATA_OK;
}

int
strata_list_drivers(const char *driver_dir, strata_driver_list **out, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_list_drivers_body(driver_dir, out, err);
}

void
strata_driver_list_free(strata_driver_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->count; i++) {
        strata_driver_info *d = &l->items[i];
        free(d->name);
        free(d->file);
        free(d->version);
        free(d->dialect);
        free(d->schemes);
        free(d->capabilities);
        free(d->features);
        free(d->url_shape);
        free(d->client_version);
        free(d->refused);
    }
    free(l->items);
    strata_loader_free_dirs(l->searched, l->nsearched);
    free(l);
}
