/*
 * A driver plugin under test: see drivertest.h.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include <strata/driver.h>

#include "drivertest.h"

static void *dt_dl;                 /* the plugin dt_load() opened, closed by dt_unload() */
static const strata_driver *dt_drv; /* its driver, NULL when none is loaded */

/* ---- the host ---- */

/* What the driver logged, per level; the last slot counts every level. */
#define DT_ANY_SLOT (STRATA_LOG_DEBUG + 1)

static pthread_mutex_t dt_log_mutex = PTHREAD_MUTEX_INITIALIZER;
static int dt_log_counts[DT_ANY_SLOT + 1];
static char dt_last_logs[DT_ANY_SLOT + 1][1024];

static void dt_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the line under its level and under all; shows it unless it is a debug line. */
static void
dt_log(int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (level < 0 || level > STRATA_LOG_DEBUG)
        level = STRATA_LOG_ERROR;
    pthread_mutex_lock(&dt_log_mutex);
    dt_log_counts[level]++;
    memcpy(dt_last_logs[level], line, sizeof(line));
    dt_log_counts[DT_ANY_SLOT]++;
    memcpy(dt_last_logs[DT_ANY_SLOT], line, sizeof(line));
    pthread_mutex_unlock(&dt_log_mutex);
    if (level < STRATA_LOG_DEBUG)
        fprintf(stderr, "[driver log %d] %s\n", level, line);
}

static void dt_set_error(strata_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
dt_set_error(strata_error *err, int status, const char *fmt, ...)
{
    va_list ap;

    memset(err, 0, sizeof(*err));
    err->status = status;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

const strata_host dt_host = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_host),
    .log = dt_log,
    .set_error = dt_set_error,
};

/* The slot of level in dt_log_counts and dt_last_logs. */
static int
dt_log_slot(int level)
{
    if (level == DT_LOG_ANY)
        return DT_ANY_SLOT;
    return level < 0 || level > STRATA_LOG_DEBUG ? STRATA_LOG_ERROR : level;
}

int
dt_log_count(int level)
{
    int n;

    pthread_mutex_lock(&dt_log_mutex);
    n = dt_log_counts[dt_log_slot(level)];
    pthread_mutex_unlock(&dt_log_mutex);
    return n;
}

const char *
dt_last_log(int level)
{
    return dt_last_logs[dt_log_slot(level)];
}

/* ---- loading ---- */

/* The entry symbol of the loaded plugin. */
static strata_driver_entry_fn
dt_entry(void)
{
    strata_driver_entry_fn entry;

    *(void **)&entry = dlsym(dt_dl, STRATA_DRIVER_ENTRY);
    return entry;
}

const strata_driver *
dt_load(const char *name)
{
    const char *env = getenv("STRATA_DRIVER_PATH");
    char dir[512], file[600];
    strata_driver_entry_fn entry;

    if (env == NULL || env[0] == '\0')
        fprintf(stderr, "STRATA_DRIVER_PATH is not set: cannot find %s.so\n", name);
    CU_ASSERT_FATAL(env != NULL && env[0] != '\0');
    snprintf(dir, sizeof(dir), "%.*s", (int)strcspn(env, ":"), env);
    snprintf(file, sizeof(file), "%s/%s.so", dir, name);
    dt_dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (dt_dl == NULL)
        fprintf(stderr, "dlopen %s: %s\n", file, dlerror());
    CU_ASSERT_PTR_NOT_NULL_FATAL(dt_dl);
    entry = dt_entry();
    CU_ASSERT_PTR_NOT_NULL_FATAL(entry);
    dt_drv = entry(&dt_host);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dt_drv);
    return dt_drv;
}

void
dt_unload(void)
{
    if (dt_dl != NULL)
        dlclose(dt_dl);
    dt_dl = NULL;
    dt_drv = NULL;
}

void
dt_test_entry_refuses_other_abi(void)
{
    strata_host other = dt_host;
    strata_driver_entry_fn entry;
    int any = dt_log_count(DT_LOG_ANY), errors = dt_log_count(STRATA_LOG_ERROR);

    CU_ASSERT_PTR_NOT_NULL_FATAL(dt_drv);
    entry = dt_entry();
    other.abi_version = STRATA_DRIVER_ABI + 1;
    CU_ASSERT_PTR_NULL(entry(&other));
    CU_ASSERT_EQUAL(dt_log_count(DT_LOG_ANY), any + 1);
    CU_ASSERT_EQUAL(dt_log_count(STRATA_LOG_ERROR), errors + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(dt_last_log(STRATA_LOG_ERROR), "ABI"));
    CU_ASSERT_PTR_EQUAL(entry(&dt_host), dt_drv);
}

/* ---- statements ---- */

int
dt_collect(void *ctx, int ncols, const char *const *values)
{
    dt_rows *r = ctx;
    int i;

    r->ncols = ncols;
    if (r->n < DT_MAX_ROWS) {
        for (i = 0; i < ncols && i < DT_MAX_COLS; i++) {
            r->null[r->n][i] = values[i] == NULL;
            snprintf(r->cell[r->n][i], sizeof(r->cell[0][0]), "%s", values[i] ? values[i] : "");
        }
    }
    r->n++;
    return r->stop_after > 0 && r->n >= r->stop_after;
}

int
dt_exec(strata_conn *c, const char *sql, strata_error *err)
{
    memset(err, 0, sizeof(*err));
    return dt_drv->exec(c, sql, strlen(sql), err);
}

int
dt_query(strata_conn *c, const char *sql, dt_rows *r, strata_error *err)
{
    int stop = r->stop_after;

    memset(r, 0, sizeof(*r));
    r->stop_after = stop;
    memset(err, 0, sizeof(*err));
    return dt_drv->query(c, sql, dt_collect, r, err);
}

/* Queries sql into r; true when it returned one row whose first value is not NULL. */
static int
dt_single(strata_conn *c, const char *sql, dt_rows *r, const char *caller)
{
    strata_error err;

    r->stop_after = 0;
    if (dt_query(c, sql, r, &err) == STRATA_OK && r->n == 1 && !r->null[0][0])
        return 1;
    fprintf(stderr, "%s(%s): %s\n", caller, sql, err.message);
    return 0;
}

long
dt_scalar(strata_conn *c, const char *sql)
{
    static dt_rows r;

    return dt_single(c, sql, &r, "dt_scalar") ? atol(r.cell[0][0]) : -1;
}

const char *
dt_text(strata_conn *c, const char *sql, char *out, size_t size)
{
    static dt_rows r;

    out[0] = '\0';
    if (dt_single(c, sql, &r, "dt_text"))
        snprintf(out, size, "%s", r.cell[0][0]);
    return out;
}

long long
dt_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
