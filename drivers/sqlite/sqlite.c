/*
 * strata — the SQLite driver.
 *
 * URL: sqlite:path/to.db or sqlite::memory:, with optional query parameters
 *   mode=ro|rw|rwc        open read-only, read-write, or read-write creating the file
 *                         (default rwc);
 *   busy_timeout=MS       how long SQLite waits for another connection's lock (default 5000);
 *   journal_mode=WORD     run PRAGMA journal_mode=WORD after opening (e.g. wal).
 *
 * The migration lock is flock(2) on the database file itself: see the comment above
 * sq_lockfd_open() for why its descriptor needs care.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <strata/driver.h>

#include "snapshot.h"

#ifdef PACKAGE_VERSION
#define SQ_VERSION PACKAGE_VERSION
#else
#define SQ_VERSION "0.1.0"
#endif

#define SQ_MEMORY ":memory:"
#define SQ_DEFAULT_BUSY_MS 5000
#define SQ_LOCK_POLL_MS 20
#define SQ_STACK_COLS 32
#define SQ_JOURNAL_MODE_MAX 16
#define SQ_KNOWN_PARAMS "mode, busy_timeout, journal_mode"

/* What an open mode asks of sqlite3_open_v2() and of open(2) for the lock descriptor. */
typedef struct sq_mode {
    const char *name;
    int open_flags;
    int fd_flags;
} sq_mode;

enum { SQ_MODE_RO, SQ_MODE_RW, SQ_MODE_RWC };

static const sq_mode sq_modes[] = {
    {"ro", SQLITE_OPEN_READONLY, O_RDONLY},
    {"rw", SQLITE_OPEN_READWRITE, O_RDWR},
    {"rwc", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, O_RDWR | O_CREAT},
};

/* Connection options taken from the URL's query parameters. */
typedef struct sq_params {
    const sq_mode *mode;
    int busy_ms;
    const char *journal_mode; /* NULL: leave SQLite's default; points into the URL */
} sq_params;

/* A database file open by connections of this process, keyed by device and inode. */
typedef struct sq_file {
    dev_t dev;
    ino_t ino;
    unsigned users;           /* connections whose lock descriptor is registered here */
    struct sq_lockfd *parked; /* descriptors of closed connections, awaiting users == 0 */
    struct sq_file *next;
} sq_file;

/* A connection's lock descriptor on its database file. */
typedef struct sq_lockfd {
    int fd;
    sq_file *file;
    struct sq_lockfd *next; /* in file->parked once its connection is closed */
} sq_lockfd;

struct strata_conn {
    sqlite3 *db;
    char *path;        /* copy of url->database, for messages; owned */
    sq_lockfd *lockfd; /* NULL for ":memory:"; owned until sq_lockfd_release() */
};

/* The core's services, set by strata_driver_entry(). */
static const strata_host *sq_host;

/* Every file database open in this process (see sq_lockfd_open()). */
static sq_file *sq_files;
static pthread_mutex_t sq_files_mutex = PTHREAD_MUTEX_INITIALIZER;

/* ---- errors ---- */

static int sq_error(strata_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears *err (when not NULL) and fills status and a printf-style message; returns status. */
static int
sq_error(strata_error *err, int status, const char *fmt, ...)
{
    char msg[sizeof(err->message)];
    va_list ap;

    if (err == NULL)
        return status;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sq_host->set_error(err, status, "%s", msg); /* writes no further than err->size */
    return status;
}

/* True when the connection's last error says a table (or an attached schema) is missing. */
static int
sq_missing_table(sqlite3 *db)
{
    const char *msg = sqlite3_errmsg(db);

    return sqlite3_errcode(db) == SQLITE_ERROR &&
           (strncmp(msg, "no such table:", 14) == 0 || strncmp(msg, "unknown database", 16) == 0);
}

/*
 * Fills *err from the connection's last SQLite error. stmt_start is where the statement
 * being run begins inside sql, so that position counts from the start of the whole text.
 * A missing table is STRATA_NOT_FOUND; everything else (a file that is no database, ...)
 * STRATA_ERROR.
 */
static int
sq_db_error(strata_conn *c, strata_error *err, const char *sql, const char *stmt_start)
{
    int offset = sqlite3_error_offset(c->db);
    int status = sq_missing_table(c->db) ? STRATA_NOT_FOUND : STRATA_ERROR;
    int code = sqlite3_errcode(c->db);

    sq_host->db_error(err, status, NULL, sqlite3_extended_errcode(c->db),
                      offset < 0 ? 0 : (long)(stmt_start - sql) + offset + 1, sqlite3_errmsg(c->db),
                      NULL);
    /* a statement is atomic in SQLite: when it is the text's first, nothing else ran */
    if (STRATA_ERROR_HAS(err, unchanged))
        err->unchanged = stmt_start == sql && (code == SQLITE_ERROR || code == SQLITE_CONSTRAINT ||
                                               code == SQLITE_MISMATCH || code == SQLITE_TOOBIG ||
                                               code == SQLITE_RANGE || code == SQLITE_AUTH);
    return status;
}

/* Rewrites a failed call's message as "what FILE: message", so connect() names the file. */
static int
sq_name_file(strata_error *err, const char *what, const char *path, int rc)
{
    char msg[sizeof(err->message)];

    if (err == NULL || rc == STRATA_OK)
        return rc;
    memcpy(msg, err->message, sizeof(msg));
    snprintf(err->message, sizeof(err->message), "%s %s: %.900s", what, path, msg);
    err->position = 0;
    return rc;
}

/* ---- dialect ---- */

/* Copies the text SQLite formatted (freed here) with the snprintf convention. */
static size_t
sq_take_text(char *text, char *out, size_t size)
{
    size_t n;

    if (text == NULL)
        return (size_t)-1; /* out of memory: nothing can be quoted */
    n = strlen(text);
    if (size > 0) {
        size_t k = n < size ? n : size - 1;
        memcpy(out, text, k);
        out[k] = '\0';
    }
    sqlite3_free(text);
    return n;
}

/* SQLite's own quoting: %w doubles the double quotes of an identifier, %Q quotes a string. */
static size_t
sq_quote_ident(strata_conn *c, const char *in, char *out, size_t size)
{
    (void)c;
    return sq_take_text(sqlite3_mprintf("\"%w\"", in), out, size);
}

static size_t
sq_quote_literal(strata_conn *c, const char *in, char *out, size_t size)
{
    (void)c;
    return sq_take_text(sqlite3_mprintf("%Q", in), out, size);
}

/* ---- URL parameters ---- */

static int
sq_parse_mode(const char *path, const char *value, sq_params *p, strata_error *err)
{
    size_t i;

    for (i = 0; i < sizeof(sq_modes) / sizeof(sq_modes[0]); i++) {
        if (strcmp(value, sq_modes[i].name) == 0) {
            p->mode = &sq_modes[i];
            return STRATA_OK;
        }
    }
    return sq_error(err, STRATA_USAGE, "invalid mode \"%s\" in the URL of %s (use ro, rw or rwc)",
                    value, path);
}

static int
sq_parse_busy(const char *path, const char *value, sq_params *p, strata_error *err)
{
    char *end;
    long ms;

    errno = 0;
    ms = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || ms < 0 || ms > INT_MAX)
        return sq_error(err, STRATA_USAGE,
                        "invalid busy_timeout \"%s\" in the URL of %s (milliseconds, 0 to %d)",
                        value, path, INT_MAX);
    p->busy_ms = (int)ms;
    return STRATA_OK;
}

/* Only letters: the value is pasted into a PRAGMA statement. */
static int
sq_parse_journal(const char *path, const char *value, sq_params *p, strata_error *err)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    size_t len = strlen(value);

    if (len == 0 || len > SQ_JOURNAL_MODE_MAX || strspn(value, letters) != len)
        return sq_error(err, STRATA_USAGE,
                        "invalid journal_mode \"%.40s\" in the URL of %s (one word such as "
                        "delete, truncate, persist, memory, wal or off)",
                        value, path);
    p->journal_mode = value;
    return STRATA_OK;
}

static int
sq_parse_params(const strata_url *url, sq_params *p, strata_error *err)
{
    unsigned seen = 0, bit;
    size_t i;
    int rc;

    p->mode = &sq_modes[2];
    p->busy_ms = SQ_DEFAULT_BUSY_MS;
    p->journal_mode = NULL;
    for (i = 0; i < url->nparams; i++) {
        const char *key = url->params[i].key ? url->params[i].key : "";
        const char *value = url->params[i].value ? url->params[i].value : "";

        if (strcmp(key, "mode") == 0) {
            bit = 1;
            rc = sq_parse_mode(url->database, value, p, err);
        } else if (strcmp(key, "busy_timeout") == 0) {
            bit = 2;
            rc = sq_parse_busy(url->database, value, p, err);
        } else if (strcmp(key, "journal_mode") == 0) {
            bit = 4;
            rc = sq_parse_journal(url->database, value, p, err);
        } else {
            return sq_error(err, STRATA_USAGE,
                            "unknown parameter \"%.100s\" in the URL of %s (known: %s)", key,
                            url->database, SQ_KNOWN_PARAMS);
        }
        if (rc != STRATA_OK)
            return rc;
        if (seen & bit)
            return sq_error(err, STRATA_USAGE, "parameter \"%s\" given twice in the URL of %s", key,
                            url->database);
        seen |= bit;
    }
    return STRATA_OK;
}

/* ---- the lock descriptor ---- */

/*
 * Opens the descriptor that carries the migration lock, on the database file itself, and
 * registers it with the file. *out is owned by the caller until sq_lockfd_release().
 *
 * Why the descriptor needs care: SQLite locks the database with POSIX fcntl locks, and
 * POSIX locks belong to the process and are ALL dropped when the process closes ANY
 * descriptor of the file. Closing our descriptor while SQLite holds its locks would
 * silently release them and let another process write in the middle of our transaction.
 * So connect() opens this descriptor before sqlite3_open_v2() and close() releases it only
 * after sqlite3_close(); and since another connection of this process may still be using
 * the same file (same device and inode), a released descriptor is parked, not closed,
 * until the last connection on that file is gone.
 *
 * The lock itself is flock(2), which on Linux is independent of fcntl locks, so it never
 * interferes with SQLite's own locking (except on NFS, where the kernel emulates flock with
 * fcntl locks; SQLite on NFS is unsafe anyway). With mode=rwc O_CREAT makes an empty file,
 * which SQLite accepts as an empty database.
 */
static int
sq_lockfd_open(const char *path, int fd_flags, sq_lockfd **out, strata_error *err)
{
    sq_lockfd *lfd = malloc(sizeof(*lfd));
    sq_file *candidate = calloc(1, sizeof(*candidate));
    sq_file *f;
    struct stat st;
    int rc;

    if (lfd == NULL || candidate == NULL) {
        rc = sq_error(err, STRATA_ERROR, "cannot open %s: out of memory", path);
        goto fail;
    }
    lfd->fd = open(path, fd_flags | O_CLOEXEC, 0644);
    if (lfd->fd < 0) {
        rc = sq_error(err, STRATA_ERROR, "cannot open %s: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(lfd->fd, &st) != 0) {
        rc = sq_error(err, STRATA_ERROR, "cannot stat %s: %s", path, strerror(errno));
        close(lfd->fd);
        goto fail;
    }
    pthread_mutex_lock(&sq_files_mutex);
    for (f = sq_files; f != NULL; f = f->next) {
        if (f->dev == st.st_dev && f->ino == st.st_ino)
            break;
    }
    if (f == NULL) {
        f = candidate;
        candidate = NULL;
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->next = sq_files;
        sq_files = f;
    }
    f->users++;
    pthread_mutex_unlock(&sq_files_mutex);
    free(candidate);
    lfd->file = f;
    lfd->next = NULL;
    *out = lfd;
    return STRATA_OK;

fail:
    free(candidate);
    free(lfd);
    return rc;
}

/* Unlocks lfd and closes it, or parks it while other connections use the file; frees lfd. */
static void
sq_lockfd_release(sq_lockfd *lfd)
{
    sq_file *f = lfd->file, **link;
    sq_lockfd *p, *next;

    flock(lfd->fd, LOCK_UN);
    pthread_mutex_lock(&sq_files_mutex);
    if (--f->users > 0) {
        lfd->next = f->parked;
        f->parked = lfd;
        pthread_mutex_unlock(&sq_files_mutex);
        return;
    }
    for (link = &sq_files; *link != f; link = &(*link)->next)
        ;
    *link = f->next;
    pthread_mutex_unlock(&sq_files_mutex);
    for (p = f->parked; p != NULL; p = next) {
        next = p->next;
        close(p->fd);
        free(p);
    }
    close(lfd->fd);
    free(lfd);
    free(f);
}

/* ---- statements ---- */

/* Steps stmt to the end, ignoring rows, and finalizes it. */
static int
sq_step_all(strata_conn *c, sqlite3_stmt *stmt, strata_error *err, const char *sql,
            const char *stmt_start)
{
    int step, rc = STRATA_OK;

    while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
        ;
    if (step != SQLITE_DONE)
        rc = sq_db_error(c, err, sql, stmt_start);
    sqlite3_finalize(stmt);
    return rc;
}

static int
sq_exec(strata_conn *c, const char *sql, size_t len, strata_error *err)
{
    const char *p = sql, *end = sql + len, *tail;
    sqlite3_stmt *stmt;
    int rc;

    if (len > INT_MAX)
        return sq_error(err, STRATA_USAGE, "SQL text of %zu bytes is too long for SQLite", len);
    while (p < end) {
        stmt = NULL;
        tail = end;
        if (sqlite3_prepare_v2(c->db, p, (int)(end - p), &stmt, &tail) != SQLITE_OK)
            return sq_db_error(c, err, sql, p);
        if (stmt == NULL) {
            /* whitespace, comments or an empty statement: go on after it, if anywhere */
            if (tail == NULL || tail <= p)
                break;
            p = tail;
            continue;
        }
        rc = sq_step_all(c, stmt, err, sql, p);
        if (rc != STRATA_OK)
            return rc;
        p = tail;
    }
    return STRATA_OK;
}

/* Points values[] at the current row's columns; NULL for SQL NULL. Returns -1 on OOM. */
static int
sq_row_values(sqlite3 *db, sqlite3_stmt *stmt, int ncols, const char **values)
{
    int i;

    for (i = 0; i < ncols; i++) {
        if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
            values[i] = NULL;
            continue;
        }
        values[i] = (const char *)sqlite3_column_text(stmt, i);
        if (values[i] == NULL) {
            if (sqlite3_errcode(db) == SQLITE_NOMEM)
                return -1;
            values[i] = ""; /* a zero-length blob */
        }
    }
    return 0;
}

/* Runs one statement (any text after it is ignored), handing each row to fn. */
static int
sq_query(strata_conn *c, const char *sql, strata_row_fn fn, void *ctx, strata_error *err)
{
    const char *stack[SQ_STACK_COLS];
    const char **values = stack;
    sqlite3_stmt *stmt = NULL;
    int ncols, step, rc = STRATA_OK;

    if (sqlite3_prepare_v2(c->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return sq_db_error(c, err, sql, sql);
    if (stmt == NULL)
        return STRATA_OK;
    ncols = sqlite3_column_count(stmt);
    if (ncols > SQ_STACK_COLS) {
        values = malloc((size_t)ncols * sizeof(*values)); /* freed below */
        if (values == NULL) {
            rc = sq_error(err, STRATA_ERROR, "out of memory for %d result columns", ncols);
            goto done;
        }
    }
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (sq_row_values(c->db, stmt, ncols, values) != 0) {
            rc = sq_db_error(c, err, sql, sql);
            goto done;
        }
        if (fn != NULL && fn(ctx, ncols, values) != 0)
            goto done;
    }
    if (step != SQLITE_DONE)
        rc = sq_db_error(c, err, sql, sql);
done:
    if (values != stack)
        free(values);
    sqlite3_finalize(stmt);
    return rc;
}

/* Runs one NUL-terminated statement: begin, commit, rollback and the connect checks. */
static int
sq_run(strata_conn *c, const char *sql, strata_error *err)
{
    return sq_exec(c, sql, strlen(sql), err);
}

/* BEGIN IMMEDIATE takes the write lock at once: upgrading a read lock later can deadlock. */
static int
sq_begin(strata_conn *c, strata_error *err)
{
    return sq_run(c, "BEGIN IMMEDIATE", err);
}

static int
sq_commit(strata_conn *c, strata_error *err)
{
    return sq_run(c, "COMMIT", err);
}

/* Rolling back when no transaction is open (SQLite may have ended it on error) is OK. */
static int
sq_rollback(strata_conn *c, strata_error *err)
{
    if (sqlite3_get_autocommit(c->db))
        return STRATA_OK;
    return sq_run(c, "ROLLBACK", err);
}

static size_t
sq_server_version(strata_conn *c, char *out, size_t size)
{
    int n;

    (void)c;
    n = snprintf(out, size, "SQLite %s", sqlite3_libversion());
    return n < 0 ? 0 : (size_t)n;
}

/* Where a statement ends is SQLite's own decision, as its shell makes it: a CREATE TRIGGER
 * ends only at ";END;", whatever the words begin and end mean inside it. */
static int
sq_statement_complete(const char *sql)
{
    return sqlite3_complete(sql) != 0;
}

/* ---- the migration lock ---- */

static long long
sq_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sq_sleep_ms(long long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

/* The pid holding a flock on fd's file, from /proc/locks (Linux), or 0 when unknown. */
static long
sq_lock_holder_pid(int fd)
{
    char line[256], type[16];
    unsigned maj, min;
    unsigned long long ino;
    long pid, found = 0;
    struct stat st;
    FILE *f;

    if (fstat(fd, &st) != 0 || (f = fopen("/proc/locks", "re")) == NULL)
        return 0;
    /* "1: FLOCK  ADVISORY  WRITE 12345 fd:01:1234567 0 EOF"; waiters read "1: -> FLOCK" */
    while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "%*[^:]: %15s %*s %*s %ld %x:%x:%llu", type, &pid, &maj, &min, &ino) ==
                5 &&
            strcmp(type, "FLOCK") == 0 && maj == major(st.st_dev) && min == minor(st.st_dev) &&
            ino == (unsigned long long)st.st_ino && pid > 0)
            found = pid;
    }
    fclose(f);
    return found;
}

/* Describes the holder of fd's lock: "pid P (CMD)", "pid P" or "another process". */
static void
sq_lock_holder(int fd, char *out, size_t size)
{
    char path[64], comm[64] = "";
    long pid = sq_lock_holder_pid(fd);
    FILE *f;

    if (pid == 0) {
        snprintf(out, size, "another process");
        return;
    }
    snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
    f = fopen(path, "re");
    if (f != NULL) {
        if (fgets(comm, sizeof(comm), f) != NULL)
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
    }
    if (comm[0] != '\0')
        snprintf(out, size, "pid %ld (%s)", pid, comm);
    else
        snprintf(out, size, "pid %ld", pid);
}

static int
sq_lock_timeout(strata_conn *c, long timeout_ms, strata_error *err)
{
    char holder[128];

    sq_lock_holder(c->lockfd->fd, holder, sizeof(holder));
    sq_error(err, STRATA_LOCK_TIMEOUT,
             "timed out after %ld ms waiting for the migration lock on %s, held by %s", timeout_ms,
             c->path, holder);
    if (err != NULL)
        snprintf(err->hint, sizeof(err->hint),
                 "another migration run is working on this database; wait for it to finish "
                 "or raise the lock timeout");
    return STRATA_LOCK_TIMEOUT;
}

/*
 * One lock per database file: the name is ignored, as the lock is flock(2) on the file
 * itself. An in-memory database is private to its connection and needs no lock.
 */
static int
sq_lock(strata_conn *c, const char *name, long timeout_ms, strata_error *err)
{
    long long start = sq_now_ms(), waited;

    (void)name;
    if (c->lockfd == NULL)
        return STRATA_OK;
    for (;;) {
        if (flock(c->lockfd->fd, LOCK_EX | LOCK_NB) == 0)
            return STRATA_OK;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return sq_error(err, STRATA_ERROR, "cannot lock %s: %s", c->path, strerror(errno));
        waited = sq_now_ms() - start;
        if (timeout_ms >= 0 && waited >= timeout_ms)
            return sq_lock_timeout(c, timeout_ms, err);
        if (timeout_ms >= 0 && timeout_ms - waited < SQ_LOCK_POLL_MS)
            sq_sleep_ms(timeout_ms - waited);
        else
            sq_sleep_ms(SQ_LOCK_POLL_MS);
    }
}

static int
sq_unlock(strata_conn *c, const char *name, strata_error *err)
{
    (void)name;
    if (c->lockfd == NULL)
        return STRATA_OK;
    if (flock(c->lockfd->fd, LOCK_UN) != 0)
        return sq_error(err, STRATA_ERROR, "cannot unlock %s: %s", c->path, strerror(errno));
    return STRATA_OK;
}

/* ---- connections ---- */

/*
 * Closes db. A statement left unfinalized (the core gave up on a call half-way: it ran out of
 * memory inside a row callback) is finalized first, so the close succeeds.
 */
static int
sq_close_db(sqlite3 *db)
{
    sqlite3_stmt *stmt;

    if (sqlite3_close(db) != SQLITE_BUSY)
        return SQLITE_OK;
    while ((stmt = sqlite3_next_stmt(db, NULL)) != NULL)
        sqlite3_finalize(stmt);
    return sqlite3_close(db);
}

/* Closes and frees c; its lock descriptor goes only after SQLite has let go of the file. */
static void
sq_close(strata_conn *c)
{
    if (c == NULL)
        return;
    if (c->db != NULL && sq_close_db(c->db) != SQLITE_OK) {
        /* Cannot happen once every statement is finalized; leak rather than unlock. */
        sq_host->log(STRATA_LOG_WARN, "sqlite: %s: cannot close: %s", c->path,
                     sqlite3_errmsg(c->db));
        return;
    }
    if (c->lockfd != NULL)
        sq_lockfd_release(c->lockfd);
    free(c->path);
    free(c);
}

static int
sq_first_value(void *ctx, int ncols, const char *const *values)
{
    snprintf(ctx, SQ_JOURNAL_MODE_MAX + 1, "%s", ncols > 0 && values[0] ? values[0] : "");
    return 1;
}

/* Sets the journal mode; SQLite answers with the mode in effect, which may differ. */
static int
sq_journal_mode(strata_conn *c, const char *mode, strata_error *err)
{
    char sql[64], now[SQ_JOURNAL_MODE_MAX + 1] = "";
    int rc;

    snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
    rc = sq_query(c, sql, sq_first_value, now, err);
    if (rc != STRATA_OK)
        return sq_name_file(err, "cannot set journal_mode on", c->path, rc);
    if (strcasecmp(now, mode) != 0)
        sq_host->log(STRATA_LOG_WARN, "sqlite: %s: journal_mode is %s, not %s", c->path, now, mode);
    return STRATA_OK;
}

/* Opens c->db and checks that the file is a database (sqlite3_open_v2 reads nothing). */
static int
sq_open_db(strata_conn *c, const sq_params *p, strata_error *err)
{
    int rc = sqlite3_open_v2(c->path, &c->db, p->mode->open_flags | SQLITE_OPEN_NOMUTEX, NULL);

    if (rc != SQLITE_OK) {
        sq_error(err, STRATA_ERROR, "cannot open %s: %s", c->path,
                 c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        if (err != NULL)
            err->native_code = c->db != NULL ? sqlite3_extended_errcode(c->db) : rc;
        return STRATA_ERROR;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, p->busy_ms);
    rc = sq_name_file(err, "cannot open", c->path, sq_run(c, "PRAGMA schema_version", err));
    if (rc == STRATA_OK && p->journal_mode != NULL)
        rc = sq_journal_mode(c, p->journal_mode, err);
    return rc;
}

/* Opens url->database (a path or ":memory:"); *out is the caller's until sq_close(). */
/*
 * A command that writes needs the file writable and, unless journal_mode keeps no journal
 * file (memory, off), its folder too: SQLite creates its journal (or WAL) file beside the
 * database at the first write, and failing there would read as an error in the first
 * migration's first line. Says which, and how to only read.
 */
static int
sq_check_writable(const char *path, int journal_file, strata_error *err)
{
    if (access(path, F_OK) == 0 && access(path, W_OK) != 0)
        return sq_error(err, STRATA_ERROR,
                        "%s is read-only (%s): strata cannot record migrations in it; make it "
                        "writable, or to only read it add ?mode=ro to the URL (status, validate "
                        "and history only read)",
                        path, strerror(errno));
    char *dir = strdup(path);
    if (dir == NULL)
        return sq_error(err, STRATA_ERROR, "out of memory");
    char *slash = strrchr(dir, '/');
    const char *folder = slash == NULL ? "." : slash == dir ? "/" : (*slash = '\0', dir);
    int rc = STRATA_OK;
    if (journal_file && access(folder, W_OK) != 0)
        rc = sq_error(err, STRATA_ERROR,
                      "the folder %s is not writable (%s), so SQLite cannot create the journal "
                      "file it needs to write %s: make the folder writable or move the database "
                      "(to only read it, add ?mode=ro to the URL)",
                      folder, strerror(errno), path);
    free(dir);
    return rc;
}

static int
sq_connect(const strata_url *url, const strata_connect_options *opts, strata_conn **out,
           strata_error *err)
{
    strata_conn *c = NULL;
    sq_params p;
    int rc;

    /* no schemas, no application name; busy_timeout is the only wait */
    *out = NULL;
    if (url == NULL || url->database == NULL || url->database[0] == '\0')
        return sq_error(err, STRATA_USAGE,
                        "the sqlite URL names no database file (a path, or :memory:)");
    rc = sq_parse_params(url, &p, err);
    if (rc != STRATA_OK)
        return rc;
    if (opts != NULL && opts->must_exist && strcmp(url->database, SQ_MEMORY) != 0) {
        if (access(url->database, F_OK) != 0)
            return sq_error(err, STRATA_ERROR,
                            "no database file %s (%s); a command that only reads does not "
                            "create one: check the path",
                            url->database, strerror(errno));
        if (p.mode == &sq_modes[SQ_MODE_RWC])
            p.mode = &sq_modes[SQ_MODE_RW];
        if (access(url->database, W_OK) != 0) /* a command that reads: a read-only file will do */
            p.mode = &sq_modes[SQ_MODE_RO];
    }
    int no_journal_file = p.journal_mode != NULL && (strcasecmp(p.journal_mode, "memory") == 0 ||
                                                     strcasecmp(p.journal_mode, "off") == 0);
    if (p.mode != &sq_modes[SQ_MODE_RO] && strcmp(url->database, SQ_MEMORY) != 0) {
        rc = sq_check_writable(url->database, !no_journal_file, err);
        if (rc != STRATA_OK)
            return rc;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || (c->path = strdup(url->database)) == NULL) {
        rc = sq_error(err, STRATA_ERROR, "cannot open %s: out of memory", url->database);
        goto fail;
    }
    if (strcmp(c->path, SQ_MEMORY) != 0) {
        rc = sq_lockfd_open(c->path, p.mode->fd_flags, &c->lockfd, err);
        if (rc != STRATA_OK)
            goto fail;
    }
    rc = sq_open_db(c, &p, err);
    if (rc != STRATA_OK)
        goto fail;
    *out = c;
    return STRATA_OK;

fail:
    sq_close(c);
    return rc;
}

/* ---- backup ---- */

/*
 * Creates path + ".tmp" exclusively (mode 0600) and closes it: SQLite opens it by name, and
 * an empty file is an empty database. *tmp is the caller's to free.
 */
static int
sq_backup_tmp(const char *path, char **tmp, strata_error *err)
{
    size_t n = strlen(path);
    int fd;

    *tmp = malloc(n + sizeof(".tmp"));
    if (*tmp == NULL)
        return sq_error(err, STRATA_ERROR, "out of memory");
    memcpy(*tmp, path, n);
    memcpy(*tmp + n, ".tmp", sizeof(".tmp"));
    fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        return STRATA_OK;
    }
    if (errno == EEXIST)
        sq_error(err, STRATA_ERROR,
                 "%s already exists: another backup to %s is running, or an earlier one was "
                 "interrupted (remove the file if none is running)",
                 *tmp, path);
    else
        sq_error(err, STRATA_ERROR, "cannot create %s: %s", *tmp, strerror(errno));
    free(*tmp);
    *tmp = NULL;
    return STRATA_ERROR;
}

/* Refuses to write the backup over the database file itself. */
static int
sq_backup_target(strata_conn *c, const char *path, strata_error *err)
{
    struct stat target, db;

    if (c->lockfd == NULL || stat(path, &target) != 0 || fstat(c->lockfd->fd, &db) != 0)
        return STRATA_OK;
    if (target.st_dev == db.st_dev && target.st_ino == db.st_ino)
        return sq_error(err, STRATA_USAGE, "%s is the database itself: write the backup elsewhere",
                        path);
    return STRATA_OK;
}

/*
 * Copies the whole database into dst in one sqlite3_backup_step(), so the copy is a
 * consistent snapshot (the source stays read-locked for the step); SQLITE_BUSY and
 * SQLITE_LOCKED, another process writing, are retried for the connection's busy timeout.
 */
static int
sq_backup_copy(strata_conn *c, sqlite3 *dst, strata_error *err)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", c->db, "main");
    long long deadline = sq_now_ms() + SQ_DEFAULT_BUSY_MS;
    int step;

    if (b == NULL)
        return sq_error(err, STRATA_ERROR, "%s", sqlite3_errmsg(dst));
    while ((step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED) {
        if (sq_now_ms() >= deadline)
            break;
        sq_sleep_ms(SQ_LOCK_POLL_MS);
    }
    sqlite3_backup_finish(b);
    if (step != SQLITE_DONE)
        return sq_error(err, STRATA_ERROR, "%s", sqlite3_errstr(step));
    if (sqlite3_errcode(dst) != SQLITE_OK)
        return sq_error(err, STRATA_ERROR, "%s", sqlite3_errmsg(dst));
    return STRATA_OK;
}

/*
 * Writes the database (a file or ":memory:") into a new database file at path through the
 * online backup API: into path.tmp, renamed over path once complete. url is not needed.
 */
static int
sq_backup(strata_conn *c, const strata_url *url, const char *path, strata_error *err)
{
    sqlite3 *dst = NULL;
    char *tmp = NULL;
    int rc;

    (void)url;
    rc = sq_backup_target(c, path, err);
    if (rc == STRATA_OK)
        rc = sq_backup_tmp(path, &tmp, err);
    if (rc != STRATA_OK)
        return rc;
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        rc = sq_error(err, STRATA_ERROR, "cannot open %s: %s", tmp,
                      dst != NULL ? sqlite3_errmsg(dst) : "out of memory");
    else
        rc = sq_name_file(err, "cannot write", tmp, sq_backup_copy(c, dst, err));
    if (sqlite3_close(dst) != SQLITE_OK && rc == STRATA_OK)
        rc = sq_error(err, STRATA_ERROR, "cannot close %s: %s", tmp, sqlite3_errmsg(dst));
    if (rc == STRATA_OK && rename(tmp, path) != 0)
        rc = sq_error(err, STRATA_ERROR, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc != STRATA_OK)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* ---- the driver ---- */

static const char *const sq_schemes[] = {"sqlite", "sqlite3", NULL};
static const char *const sq_dialect_aliases[] = {"sqlite3", NULL};

/* These cannot take effect inside a transaction in SQLite. */
static const char *const sq_no_transaction[] = {
    "VACUUM",
    "PRAGMA journal_mode",
    "PRAGMA foreign_keys",
    NULL,
};

/* exec() takes several statements, but MULTI_STATEMENT is not advertised: in-process,
 * batching a migration saves no round trip. */
#define SQ_CAPS (STRATA_CAP_TRANSACTIONAL_DDL | STRATA_CAP_FILE_LOCK | STRATA_CAP_SCRATCH_DB)

static int
sq_describe_offline(strata_describe *out, strata_error *err)
{
    (void)err;
    out->dialect = "sqlite";
    out->dialect_aliases = sq_dialect_aliases;
    out->caps = SQ_CAPS;
    out->lexer_rules = STRATA_LEX_BRACKETS | STRATA_LEX_BACKTICKS;
    out->no_transaction_patterns = sq_no_transaction;
    out->statement_complete = sq_statement_complete;
    out->home_schema = ""; /* "main" needs no naming */
    /* Type affinity: every text is TEXT, every integer INTEGER, times text that sorts. */
    out->types[STRATA_TYPE_STRING] = "TEXT";
    out->types[STRATA_TYPE_TEXT] = "TEXT";
    out->types[STRATA_TYPE_INTEGER] = "INTEGER";
    out->types[STRATA_TYPE_BIGINT] = "INTEGER";
    out->types[STRATA_TYPE_TIMESTAMP] = "TEXT";
    out->types[STRATA_TYPE_SERIAL] = "INTEGER PRIMARY KEY AUTOINCREMENT";
    return STRATA_OK;
}

static int
sq_snapshot(strata_conn *c, const char *const *skip_tables, strata_object_fn fn, void *ctx,
            strata_error *err)
{
    return sq_snapshot_db(c->db, skip_tables, fn, ctx, sq_host, err);
}

static int
sq_scratch_create(strata_conn *c, char *name_out, size_t size, strata_error *err)
{
    (void)c;
    return sq_scratch_create_file(name_out, size, sq_host, err);
}

static int
sq_scratch_drop(strata_conn *c, const char *name, strata_error *err)
{
    (void)c;
    return sq_scratch_drop_file(name, sq_host, err);
}

/* Nothing a connection sets changes what SQLite speaks. */
static int
sq_describe(strata_conn *c, strata_describe *out, strata_error *err)
{
    (void)c;
    return sq_describe_offline(out, err);
}

static const strata_driver sq_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_driver),
    .name = "sqlite",
    .version = SQ_VERSION,
    .client_version = SQLITE_VERSION,
    .url_shape = STRATA_URL_FILE,
    .schemes = sq_schemes,
    .dialect = "sqlite",
    .dialect_aliases = sq_dialect_aliases,
    .caps = SQ_CAPS,
    .connect = sq_connect,
    .close = sq_close,
    .describe = sq_describe,
    .server_version = sq_server_version,
    .exec = sq_exec,
    .query = sq_query,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .quote_ident = sq_quote_ident,
    .quote_literal = sq_quote_literal,
    .lock = sq_lock,
    .unlock = sq_unlock,
    .backup = sq_backup,
    .describe_offline = sq_describe_offline,
    .snapshot = sq_snapshot,
    .scratch_create = sq_scratch_create,
    .scratch_drop = sq_scratch_drop,
};

/* The one exported symbol, declared in driver.h. */
STRATA_DRIVER_EXPORT const strata_driver *
strata_driver_entry(const strata_host *host)
{
    if (host == NULL || host->size < offsetof(strata_host, log) + sizeof(host->log))
        return NULL;
    if (host->abi_version != STRATA_DRIVER_ABI) {
        host->log(STRATA_LOG_ERROR, "sqlite: the core speaks driver ABI %u, this driver %u",
                  (unsigned)host->abi_version, (unsigned)STRATA_DRIVER_ABI);
        return NULL;
    }
    sq_host = host;
    return &sq_driver;
}
