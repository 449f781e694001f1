/*
 * A driver plugin under test: see drivertest.h.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
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

/*
 * Clears err as far as err->size covers and keeps size, as driver.h asks of the host; a size
 * that is no size (smaller than the first layout with one) counts as this header's.
 */
static void
dt_error_clear(strata_error *err)
{
    uint32_t size = err->size;
    size_t n = sizeof(*err);

    if (size >= STRATA_ERROR_SIZE_V2 && size < sizeof(*err))
        n = size;
    memset(err, 0, n);
    err->size = n == sizeof(*err) ? (uint32_t)sizeof(*err) : size;
}

static void dt_set_error(strata_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
dt_set_error(strata_error *err, int status, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    dt_error_clear(err);
    err->status = status;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

/* Copies text[0, n) into out (size bytes), without trailing blanks and newlines. */
static void
dt_copy_trimmed(char *out, size_t size, const char *text, size_t n)
{
    while (n > 0 && strchr(" \t\r\n", text[n - 1]) != NULL)
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

/* driver.h's db_error: the first line of text is the message, the further lines the detail. */
static int
dt_db_error(strata_error *err, int status, const char *sqlstate, long native_code, long position,
            const char *text, const char *hint)
{
    size_t first;

    if (err == NULL)
        return status;
    dt_error_clear(err);
    err->status = status;
    if (sqlstate != NULL)
        snprintf(err->sqlstate, sizeof(err->sqlstate), "%.5s", sqlstate);
    err->native_code = native_code;
    err->position = position;
    if (text == NULL)
        text = "";
    first = strcspn(text, "\n");
    dt_copy_trimmed(err->message, sizeof(err->message), text, first);
    if (text[first] == '\n')
        dt_copy_trimmed(err->detail, sizeof(err->detail), text + first + 1,
                        strlen(text + first + 1));
    if (hint != NULL)
        dt_copy_trimmed(err->hint, sizeof(err->hint), hint, strlen(hint));
    return status;
}

static size_t
dt_whoami(char *out, size_t size)
{
    int n = snprintf(out, size, "strata-test@drivertest");

    return n < 0 ? 0 : (size_t)n;
}

/* The driver tests run no external tools: refusing is within run_tool()'s contract. */
static int
dt_run_tool(const char *prog, char *const argv[], const char *secret_name, const char *secret,
            const char *path, char *text, size_t size, int *wstatus, strata_error *err)
{
    (void)argv, (void)secret_name, (void)secret, (void)path;
    if (size > 0)
        text[0] = '\0';
    *wstatus = 0;
    dt_set_error(err, STRATA_ERROR, "cannot start %s: the driver test host runs no tools", prog);
    return STRATA_ERROR;
}

static int
dt_find_program(const char *name, char *out, size_t size)
{
    (void)name;
    if (size > 0)
        out[0] = '\0';
    return 0;
}

const strata_host dt_host = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_host),
    .log = dt_log,
    .set_error = dt_set_error,
    .db_error = dt_db_error,
    .whoami = dt_whoami,
    .run_tool = dt_run_tool,
    .find_program = dt_find_program,
};

void
dt_error_init(strata_error *err)
{
    memset(err, 0, sizeof(*err));
    err->size = (uint32_t)sizeof(*err);
}

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

/* ---- connections ---- */

/* The descriptions of the connections dt_connect() opened, newest last; a slot is free when
 * its conn is NULL. */
#define DT_MAX_CONNS 128

static struct {
    const strata_conn *conn;
    strata_describe info;
} dt_conns[DT_MAX_CONNS];

/* What *out holds while connect() runs: connect() must set it, NULL on failure. */
static strata_conn *const dt_poison = (strata_conn *)&dt_conns;

int
dt_connect(const strata_url *url, const strata_connect_options *opts, strata_conn **out,
           strata_error *err)
{
    return dt_connect_setup(url, opts, NULL, out, err);
}

int
dt_connect_setup(const strata_url *url, const strata_connect_options *opts, const char *setup,
                 strata_conn **out, strata_error *err)
{
    strata_connect_options none = {.size = sizeof(none)};
    strata_describe info;
    int rc, i, slot = -1;

    dt_error_init(err);
    *out = dt_poison;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dt_drv);
    rc = dt_drv->connect(url, opts != NULL ? opts : &none, out, err);
    if (rc != STRATA_OK) {
        CU_ASSERT_PTR_NULL(*out); /* a failing connect() leaves *out NULL */
        *out = NULL;
        return rc;
    }
    CU_ASSERT_FATAL(*out != NULL && *out != dt_poison);
    if (setup != NULL && (rc = dt_exec(*out, setup, err)) != STRATA_OK) {
        fprintf(stderr, "%s after connect(): %s\n", setup, err->message);
        dt_drv->close(*out);
        *out = NULL;
        return rc;
    }
    memset(&info, 0, sizeof(info));
    info.size = sizeof(info);
    rc = dt_drv->describe(*out, &info, err);
    if (rc != STRATA_OK) {
        fprintf(stderr, "describe() after connect(): %s\n", err->message);
        dt_drv->close(*out);
        *out = NULL;
        return rc;
    }
    CU_ASSERT_EQUAL(info.size, sizeof(info)); /* the caller's size is the driver's to read */
    for (i = 0; i < DT_MAX_CONNS; i++) {
        if (dt_conns[i].conn == *out || (slot < 0 && dt_conns[i].conn == NULL))
            slot = i;
        if (dt_conns[i].conn == *out)
            break;
    }
    if (slot < 0)
        fprintf(stderr, "drivertest: more than %d connections open\n", DT_MAX_CONNS);
    CU_ASSERT_FATAL(slot >= 0);
    dt_conns[slot].conn = *out;
    dt_conns[slot].info = info;
    return STRATA_OK;
}

const strata_describe *
dt_described(const strata_conn *c)
{
    int i;

    for (i = 0; c != NULL && i < DT_MAX_CONNS; i++) {
        if (dt_conns[i].conn == c)
            return &dt_conns[i].info;
    }
    CU_FAIL("dt_described() of a connection dt_connect() did not open");
    return NULL;
}

void
dt_close(strata_conn *c)
{
    int i;

    for (i = 0; c != NULL && i < DT_MAX_CONNS; i++) {
        if (dt_conns[i].conn == c)
            dt_conns[i].conn = NULL;
    }
    if (dt_drv != NULL)
        dt_drv->close(c);
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
    dt_error_init(err);
    return dt_drv->exec(c, sql, strlen(sql), err);
}

int
dt_query(strata_conn *c, const char *sql, dt_rows *r, strata_error *err)
{
    int stop = r->stop_after;

    memset(r, 0, sizeof(*r));
    r->stop_after = stop;
    dt_error_init(err);
    return dt_drv->query(c, sql, dt_collect, r, err);
}

/* Queries sql into r; true when it returned one row whose first value is not NULL. */
static int
dt_single(strata_conn *c, const char *sql, dt_rows *r, const char *caller)
{
    strata_error err = STRATA_ERROR_INIT;

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

/* ---- checks every driver passes on its real database ---- */

/* The spelling c's description gives type, "{n}" replaced by n; the standard one for NULL. */
static void
dt_type(const strata_describe *info, enum strata_type type, int n, char *out, size_t size)
{
    static const char *const standard[STRATA_TYPE_COUNT] = {
        [STRATA_TYPE_STRING] = "VARCHAR({n})",
        [STRATA_TYPE_TEXT] = "VARCHAR(4000)",
        [STRATA_TYPE_INTEGER] = "INTEGER",
        [STRATA_TYPE_BIGINT] = "BIGINT",
        [STRATA_TYPE_TIMESTAMP] = "TIMESTAMP",
        [STRATA_TYPE_SERIAL] = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    const char *t = info->types[type] != NULL ? info->types[type] : standard[type];
    const char *brace = strstr(t, "{n}");

    if (brace == NULL)
        snprintf(out, size, "%s", t);
    else
        snprintf(out, size, "%.*s%d%s", (int)(brace - t), t, n, brace + 3);
}

/* " <table_options>" of c's description, or "". */
static const char *
dt_table_options(const strata_describe *info, char *out, size_t size)
{
    snprintf(out, size, "%s%s", info->table_options != NULL ? " " : "",
             info->table_options != NULL ? info->table_options : "");
    return out;
}

void
dt_check_types(strata_conn *c, const char *table_s, const char *table_a)
{
    const strata_describe *info = dt_described(c);
    char string[64], text[64], integer[64], bigint[64], stamp[64], serial[128], small[64];
    char options[256], sql[8192], want[5001];
    static dt_rows r;
    strata_error err = STRATA_ERROR_INIT;

    CU_ASSERT_PTR_NOT_NULL_FATAL(info);
    dt_type(info, STRATA_TYPE_STRING, 64, string, sizeof(string));
    dt_type(info, STRATA_TYPE_TEXT, 0, text, sizeof(text));
    dt_type(info, STRATA_TYPE_INTEGER, 0, integer, sizeof(integer));
    dt_type(info, STRATA_TYPE_BIGINT, 0, bigint, sizeof(bigint));
    dt_type(info, STRATA_TYPE_TIMESTAMP, 0, stamp, sizeof(stamp));
    dt_type(info, STRATA_TYPE_SERIAL, 0, serial, sizeof(serial));
    dt_type(info, STRATA_TYPE_STRING, 16, small, sizeof(small));
    dt_table_options(info, options, sizeof(options));

    snprintf(sql, sizeof(sql),
             "CREATE TABLE %s (k %s NOT NULL PRIMARY KEY, t %s, i %s, b %s, ts %s NOT NULL)%s",
             table_s, string, text, integer, bigint, stamp, options);
    if (dt_exec(c, sql, &err) != STRATA_OK)
        fprintf(stderr, "\n    %s: %s\n", sql, err.message);
    CU_ASSERT_EQUAL_FATAL(err.status, STRATA_OK);
    memset(want, 'x', sizeof(want) - 1);
    want[sizeof(want) - 1] = '\0';
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s (k, t, i, b, ts) VALUES ('%064d', '%s', 2147483647, "
             "9007199254740993, '2024-02-29 23:59:58')",
             table_s, 7, want);
    CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_OK);
    snprintf(sql, sizeof(sql), "SELECT k, t, i, b, ts FROM %s", table_s);
    CU_ASSERT_EQUAL(dt_query(c, sql, &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(r.n, 1);
    CU_ASSERT_EQUAL(strlen(r.cell[0][0]), 64);
    CU_ASSERT_EQUAL(r.cell[0][0][63], '7');
    CU_ASSERT_STRING_EQUAL(r.cell[0][2], "2147483647");
    CU_ASSERT_STRING_EQUAL(r.cell[0][3], "9007199254740993");
    CU_ASSERT_STRING_EQUAL(r.cell[0][4], "2024-02-29 23:59:58");
    /* the cell keeps 1023 bytes: compare the length on the server */
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE t = '%s'", table_s, want);
    CU_ASSERT_EQUAL(dt_scalar(c, sql), 1);
    /* the primary key refuses a second equal key */
    snprintf(sql, sizeof(sql), "INSERT INTO %s (k, ts) VALUES ('%064d', '2024-01-01 00:00:00')",
             table_s, 7);
    CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_ERROR);

    snprintf(sql, sizeof(sql), "CREATE TABLE %s (id %s, v %s NOT NULL)%s", table_a, serial, small,
             options);
    if (dt_exec(c, sql, &err) != STRATA_OK)
        fprintf(stderr, "\n    %s: %s\n", sql, err.message);
    CU_ASSERT_EQUAL_FATAL(err.status, STRATA_OK);
    snprintf(sql, sizeof(sql), "INSERT INTO %s (v) VALUES ('first')", table_a);
    CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_OK);
    snprintf(sql, sizeof(sql), "INSERT INTO %s (v) VALUES ('second')", table_a);
    CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_OK);
    snprintf(sql, sizeof(sql), "SELECT id, v FROM %s ORDER BY id", table_a);
    CU_ASSERT_EQUAL(dt_query(c, sql, &r, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(r.n, 2);
    CU_ASSERT_STRING_EQUAL(r.cell[0][0], "1");
    CU_ASSERT_STRING_EQUAL(r.cell[0][1], "first");
    CU_ASSERT_STRING_EQUAL(r.cell[1][0], "2");
    CU_ASSERT_STRING_EQUAL(r.cell[1][1], "second");
}

/* quote(c, text) into out (size bytes): must succeed and fit. */
static int
dt_quoted(strata_conn *c, size_t (*quote)(strata_conn *, const char *, char *, size_t),
          const char *text, char *out, size_t size)
{
    size_t n = quote(c, text, out, size);

    CU_ASSERT(n != (size_t)-1 && n < size);
    if (n == (size_t)-1 || n >= size) {
        fprintf(stderr, "\n    cannot quote \"%s\" (%zu)\n", text, n);
        return 0;
    }
    CU_ASSERT_EQUAL(strlen(out), n);
    return 1;
}

void
dt_check_round_trip(strata_conn *c, const char *prefix, const char *const *texts, size_t n,
                    int idents, const char *column_sql)
{
    const strata_describe *info = dt_described(c);
    char ident[512], lit[512], text[64], options[256], table[64], sql[2048];
    static dt_rows r;
    strata_error err = STRATA_ERROR_INIT;
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(info);
    dt_type(info, STRATA_TYPE_TEXT, 0, text, sizeof(text));
    dt_table_options(info, options, sizeof(options));
    for (i = 0; i < n; i++) {
        snprintf(table, sizeof(table), "%s%zu", prefix, i);
        if (!dt_quoted(c, dt_drv->quote_literal, texts[i], lit, sizeof(lit)))
            continue;
        if (!idents)
            snprintf(ident, sizeof(ident), "v");
        else if (!dt_quoted(c, dt_drv->quote_ident, texts[i], ident, sizeof(ident)))
            continue;
        snprintf(sql, sizeof(sql), "CREATE TABLE %s (%s %s)%s", table, ident, text, options);
        CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_OK);
        if (err.status != STRATA_OK)
            fprintf(stderr, "\n    %s: %s\n", sql, err.message);
        snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) VALUES (%s)", table, ident, lit);
        CU_ASSERT_EQUAL(dt_exec(c, sql, &err), STRATA_OK);
        if (err.status != STRATA_OK)
            fprintf(stderr, "\n    %s: %s\n", sql, err.message);
        snprintf(sql, sizeof(sql), "SELECT %s FROM %s", ident, table);
        CU_ASSERT_EQUAL(dt_query(c, sql, &r, &err), STRATA_OK);
        CU_ASSERT_EQUAL(r.n, 1);
        CU_ASSERT(r.n == 1 && !r.null[0][0] && strcmp(r.cell[0][0], texts[i]) == 0);
        if (r.n == 1 && strcmp(r.cell[0][0], texts[i]) != 0)
            fprintf(stderr, "\n    literal %s read back as \"%s\", not \"%s\"\n", lit, r.cell[0][0],
                    texts[i]);
        if (!idents || column_sql == NULL)
            continue;
        snprintf(sql, sizeof(sql), column_sql, table);
        CU_ASSERT_EQUAL(dt_query(c, sql, &r, &err), STRATA_OK);
        CU_ASSERT_EQUAL(r.n, 1);
        CU_ASSERT(r.n == 1 && strcmp(r.cell[0][0], texts[i]) == 0);
        if (r.n == 1 && strcmp(r.cell[0][0], texts[i]) != 0)
            fprintf(stderr, "\n    identifier %s named the column \"%s\", not \"%s\"\n", ident,
                    r.cell[0][0], texts[i]);
    }
}
