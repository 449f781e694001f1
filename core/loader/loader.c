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

/* ------------------------------------------------------------------ host services */

static void
host_log(int level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level >= STRATA_LOG_INFO && getenv("STRATA_DEBUG") == NULL)
        return;
    va_list ap;
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

static const strata_host host = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_host),
    .log = host_log,
    .set_error = host_set_error,
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

/* First required slot that is NULL, or NULL when all are set. */
static const char *
missing_slot(const strata_driver *d)
{
#define REQUIRE(member)                                                                            \
    if (d->member == NULL)                                                                         \
    return #member
    REQUIRE(name);
    REQUIRE(version);
    REQUIRE(schemes);
    REQUIRE(dialect);
    REQUIRE(quote_ident);
    REQUIRE(quote_literal);
    REQUIRE(history_ddl);
    REQUIRE(connect);
    REQUIRE(close);
    REQUIRE(exec);
    REQUIRE(query);
    REQUIRE(begin);
    REQUIRE(commit);
    REQUIRE(rollback);
    REQUIRE(lock);
    REQUIRE(unlock);
    REQUIRE(server_version);
#undef REQUIRE
    return NULL;
}

/* Checks in the order of likely cause; writes the reason and returns NULL on refusal. */
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
    const strata_driver *d = entry(&host);
    char stem[256];
    file_stem(path, stem, sizeof(stem));
    const char *slot;
    if (d == NULL)
        snprintf(reason, size, "its entry declined to load (see the message above)");
    else if (d->abi_version != STRATA_DRIVER_ABI)
        snprintf(reason, size,
                 "built for driver ABI %u, this strata speaks ABI %u; rebuild it "
                 "against this strata's driver.h",
                 d->abi_version, STRATA_DRIVER_ABI);
    else if (d->size < STRATA_DRIVER_SIZE_V1)
        snprintf(reason, size,
                 "struct strata_driver is %u bytes, ABI %u needs at least %zu; "
                 "rebuild it against this strata's driver.h",
                 d->size, STRATA_DRIVER_ABI, (size_t)STRATA_DRIVER_SIZE_V1);
    else if ((slot = missing_slot(d)) != NULL)
        snprintf(reason, size, "required member '%s' is NULL", slot);
    else if (strcmp(d->name, stem) != 0)
        snprintf(reason, size, "declares the name '%s' but the file is %s.so; the two must match",
                 d->name, stem);
    else
        return d;
    return NULL;
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
    pthread_mutex_lock(&loader_lock);
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
    pthread_mutex_unlock(&loader_lock);
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
            char reason[512] = "";
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
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (caps & names[i].bit)
            strata_buf_printf(b, "%s%s", b->len ? "," : "", names[i].name);
}

static void
describe(strata_driver_info *info, const strata_driver *d)
{
    strata_buf schemes = {0}, caps = {0};
    for (const char *const *s = d->schemes; *s != NULL; s++)
        strata_buf_printf(&schemes, "%s%s", schemes.len ? "," : "", *s);
    caps_text(d->caps, &caps);
    info->name = strata_xstrdup(d->name);
    info->version = strata_xstrdup(d->version);
    info->dialect = strata_xstrdup(d->dialect);
    info->schemes = strata_buf_take(&schemes);
    info->capabilities = strata_buf_take(&caps);
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
    char reason[512] = "";
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

int
strata_list_drivers(const char *driver_dir, strata_driver_list **out, strata_error *err)
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
        free(d->client_version);
        free(d->refused);
    }
    free(l->items);
    strata_loader_free_dirs(l->searched, l->nsearched);
    free(l);
}
