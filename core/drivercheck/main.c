/*
 * strata-driver-check DRIVER URL: the conformance kit's command (drivercheck.h).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivercheck.h"
#include "loader.h"
#include "url.h"

#define DC_USAGE                                                                                   \
    "Usage: strata-driver-check [-v] DRIVER URL\n"                                                 \
    "\n"                                                                                           \
    "Checks a strata driver plugin against the driver ABI, on a real database: DRIVER is\n"        \
    "the plugin file (path/to/name.so), URL a database it may create and drop tables in\n"         \
    "(every name it uses starts with dc<pid>_, and it drops them at the end). Prints one\n"        \
    "line per check naming the slot it tests; exits 0 when every check passes, 1 when one\n"       \
    "fails, 2 on bad usage or a plugin strata refuses to load.\n"                                  \
    "\n"                                                                                           \
    "  -v   show the error text of checks that expect an error\n"

/* ------------------------------------------------------------------ reporting */

static void
line(dc *d, const char *mark, const char *slot, const char *fmt, va_list ap)
{
    (void)d;
    printf("%-5s %-24s ", mark, slot);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
}

void
dc_ok(dc *d, const char *slot, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    d->checks++;
    line(d, "ok", slot, fmt, ap);
    va_end(ap);
}

void
dc_fail(dc *d, const char *slot, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    d->checks++;
    d->failures++;
    line(d, "FAIL", slot, fmt, ap);
    va_end(ap);
}

void
dc_note(dc *d, const char *slot, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    d->notes++;
    line(d, "note", slot, fmt, ap);
    va_end(ap);
}

int
dc_check(dc *d, int cond, const char *slot, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    d->checks++;
    d->failures += !cond;
    line(d, cond ? "ok" : "FAIL", slot, fmt, ap);
    va_end(ap);
    return cond;
}

const char *
dc_status_name(int status)
{
    static const char *const names[] = {
        "STRATA_OK",         "STRATA_ERROR",        "STRATA_USAGE",
        "STRATA_VALIDATION", "STRATA_LOCK_TIMEOUT", "STRATA_NOT_SUPPORTED",
        "STRATA_DIRTY",      "STRATA_NOT_FOUND",    "STRATA_ERROR_NOMEM",
    };
    if (status < 0 || (size_t)status >= sizeof(names) / sizeof(names[0]))
        return "an unknown status";
    return names[status];
}

/* ------------------------------------------------------------------ loading */

/* Loads the plugin as strata does; prints why it is refused and returns NULL. */
static const strata_driver *
load(const char *path)
{
    char reason[1024] = "";
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "strata-driver-check: cannot read %s\n", path);
        return NULL;
    }
    const strata_driver *drv = strata_loader_open_file(path, reason, sizeof(reason));
    if (drv == NULL)
        printf("FAIL  %-24s strata refuses the plugin: %s\n", "load", reason);
    return drv;
}

/* The folder of path, for the core's sessions to find the plugin in; the caller frees it. */
static char *
folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strata_xstrdup(".");
    return strata_xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
}

static int
run(dc *d)
{
    strata_error err = STRATA_ERROR_INIT;
    printf("strata-driver-check: %s %s (%s), driver ABI %u\n", d->drv->name, d->drv->version,
           d->so_path, d->drv->abi_version);
    dc_ok(d, "load", "strata loads the plugin: entry, ABI, size, required members, name");
    dc_check_identity(d);
    if (strata_url_parse(d->url_text, d->drv->url_shape, &d->url, &err) != STRATA_OK) {
        dc_fail(d, "url_shape", "the URL does not parse as the driver's shape: %s", err.message);
        return 1;
    }
    dc_check_connect(d);
    if (d->conn == NULL)
        return 1; /* nothing else can be checked */
    dc_check_statements(d);
    dc_check_transactions(d);
    dc_check_quoting(d);
    dc_check_dialect(d);
    dc_check_lock(d);
    dc_check_schema(d);
    dc_check_history(d);
    dc_check_upgrade(d);
    dc_check_session_lock(d);
    dc_cleanup(d);
    d->drv->close(d->conn);
    return d->failures > 0;
}

int
main(int argc, char **argv)
{
    dc d;
    memset(&d, 0, sizeof(d));
    int i = 1;
    if (i < argc && strcmp(argv[i], "-v") == 0) {
        d.verbose = 1;
        i++;
    }
    if (argc - i != 2 || argv[i][0] == '-') {
        fputs(DC_USAGE, argc - i == 1 && strcmp(argv[i], "--help") == 0 ? stdout : stderr);
        return argc - i == 1 && strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
    d.so_path = argv[i];
    d.url_text = argv[i + 1];
    snprintf(d.prefix, sizeof(d.prefix), "dc%ld_", (long)getpid());
    d.drv = load(d.so_path);
    if (d.drv == NULL)
        return 2;
    d.driver_dir = folder_of(d.so_path);
    int failed = run(&d);
    printf("%d checks, %d failed, %d notes\n", d.checks, d.failures, d.notes);
    strata_url_free(d.url);
    free(d.driver_dir);
    return failed ? 1 : 0;
}
