#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tablelock.h"
#include "tables.h"

#define LOCK_POLL_MS 100
#define ABANDONED_MAX 16         /* rows of this process's abandoned sessions remembered */
#define LOCK_TRIES_WITHOUT_ROW 3 /* inserts that fail with no holder to show for it */

/* The row of the lock's holder, as read. */
typedef struct holder {
    int row; /* there is one */
    char who[256];
    char host[256];
    long long pid;
    char since[32];
    char beat[32];
} holder;

/* Table-lock rows of sessions of this process that gave up holding them (fixed room: it is
 * filled when memory has run out). */
static struct {
    char name[256];
    char since[32];
} abandoned[ABANDONED_MAX];
static int nabandoned;
static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;

void
strata_table_lock_abandoned(strata *s)
{
    pthread_mutex_lock(&abandoned_lock);
    int i = nabandoned < ABANDONED_MAX ? nabandoned++ : ABANDONED_MAX - 1;
    snprintf(abandoned[i].name, sizeof(abandoned[i].name), "%s", s->lock_name);
    snprintf(abandoned[i].since, sizeof(abandoned[i].since), "%s", s->lock_since);
    pthread_mutex_unlock(&abandoned_lock);
}

/* True when the row of this process named name, taken at since, was abandoned. */
static int
was_abandoned(const char *name, const char *since)
{
    int found = 0;
    pthread_mutex_lock(&abandoned_lock);
    for (int i = 0; i < nabandoned && !found; i++)
        found = strcmp(abandoned[i].name, name) == 0 && strcmp(abandoned[i].since, since) == 0;
    pthread_mutex_unlock(&abandoned_lock);
    return found;
}

static void
this_host(char *out, size_t size)
{
    if (gethostname(out, size) != 0 || out[0] == '\0')
        snprintf(out, size, "unknown");
    out[size - 1] = '\0';
}

/* Appends " WHERE name = <lock name>" and, when host is set, the holder's identity. */
static void
where_holder(strata *s, strata_buf *sql, const char *host, long long pid, const char *since)
{
    strata_buf_puts(sql, " WHERE name = ");
    strata_session_literal(s, sql, s->lock_name);
    if (host == NULL)
        return;
    strata_buf_puts(sql, " AND host = ");
    strata_session_literal(s, sql, host);
    strata_buf_printf(sql, " AND pid = %lld", pid);
    if (since == NULL)
        return;
    strata_buf_puts(sql, " AND since = ");
    strata_session_literal(s, sql, since);
}

static int
try_insert(strata *s, strata_error *err)
{
    char now[32], host[256];
    strata_utc_now(now, sizeof(now));
    snprintf(s->lock_since, sizeof(s->lock_since), "%s", now);
    this_host(host, sizeof(host));
    strata_buf sql = {0};
    strata_buf_printf(&sql, "INSERT INTO %s (name, holder, host, pid, since, beat) VALUES (",
                      s->names.lock);
    const char *texts[] = {s->lock_name, s->whoami, host};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        strata_session_literal(s, &sql, texts[i]);
        strata_buf_puts(&sql, ", ");
    }
    strata_buf_printf(&sql, "%lld, ", (long long)getpid());
    strata_session_literal(s, &sql, now);
    strata_buf_puts(&sql, ", ");
    strata_session_literal(s, &sql, now);
    strata_buf_puts(&sql, ")");
    int rc = strata_session_exec(s, sql.data, err);
    strata_buf_free(&sql);
    return rc;
}

static int
collect_holder(void *ctx, int ncols, const char *const *v)
{
    holder *h = ctx;
    if (ncols < 5)
        return 1;
    h->row = 1;
    snprintf(h->who, sizeof(h->who), "%s", v[0] ? v[0] : "");
    snprintf(h->host, sizeof(h->host), "%s", v[1] ? v[1] : "");
    h->pid = v[2] ? strtoll(v[2], NULL, 10) : 0;
    snprintf(h->since, sizeof(h->since), "%.19s", v[3] ? v[3] : "");
    snprintf(h->beat, sizeof(h->beat), "%.19s", v[4] ? v[4] : "");
    return 1;
}

static int
read_holder(strata *s, holder *h, strata_error *err)
{
    strata_buf sql = {0};
    memset(h, 0, sizeof(*h));
    strata_buf_printf(&sql, "SELECT holder, host, pid, since, beat FROM %s", s->names.lock);
    where_holder(s, &sql, NULL, 0, NULL);
    int rc = strata_session_query(s, sql.data, collect_holder, h, err);
    strata_buf_free(&sql);
    return rc;
}

/* Seconds since the UTC time text ("YYYY-MM-DD HH:MM:SS"), or -1 when it is none. */
static long long
age_of(const char *text)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(text, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t then = timegm(&tm);
    return then == (time_t)-1 ? -1 : (long long)(time(NULL) - then);
}

/* Writes why the holder is stale into why and returns 1, or returns 0 when it is alive. */
static int
stale(const strata *s, const holder *h, char *why, size_t size)
{
    char host[256];
    this_host(host, sizeof(host));
    if (strcmp(h->host, host) == 0 && h->pid == (long long)getpid() &&
        was_abandoned(s->lock_name, h->since)) {
        snprintf(why, size, "a session of this process holding it ran out of memory");
        return 1;
    }
    if (strcmp(h->host, host) == 0 && h->pid > 0 && h->pid != (long long)getpid() &&
        kill((pid_t)h->pid, 0) != 0 && errno == ESRCH) {
        snprintf(why, size, "its process %lld on this host is gone", h->pid);
        return 1;
    }
    long long age = age_of(h->beat);
    if (age > STRATA_TABLE_LOCK_STALE_S) {
        snprintf(why, size, "it has shown no sign of life since %s UTC", h->beat);
        return 1;
    }
    return 0;
}

/* Deletes the stale holder's row (only that row: a new holder's stays). */
static int
take_over(strata *s, const holder *h, const char *why, strata_error *err)
{
    strata_buf sql = {0};
    strata_buf_printf(&sql, "DELETE FROM %s", s->names.lock);
    where_holder(s, &sql, h->host, h->pid, h->since);
    int rc = strata_session_exec(s, sql.data, err);
    strata_buf_free(&sql);
    if (rc == STRATA_OK)
        strata_session_notice(s,
                              "took over the migration lock held by %s (pid %lld on %s) since "
                              "%s UTC: %s",
                              h->who, h->pid, h->host, h->since, why);
    return rc;
}

static int
busy(strata *s, const holder *h, strata_error *err)
{
    strata_fail(err, STRATA_LOCK_TIMEOUT,
                "the migration lock %s is held by %s (pid %lld on %s) since %s UTC", s->lock_name,
                h->who, h->pid, h->host, h->since);
    snprintf(err->hint, sizeof(err->hint),
             "another strata run is migrating this database; if it is gone, its row in %s is "
             "taken over after %d minutes without a sign of life, or delete it by hand",
             s->names.lock, STRATA_TABLE_LOCK_STALE_S / 60);
    return STRATA_LOCK_TIMEOUT;
}

/* One attempt: STRATA_OK when taken, STRATA_LOCK_TIMEOUT when held (err names the holder),
 * else an error. */
static int
attempt(strata *s, strata_error *err)
{
    strata_error failed = STRATA_ERROR_INIT;
    for (int tries = 0; tries < LOCK_TRIES_WITHOUT_ROW; tries++) {
        if (try_insert(s, &failed) == STRATA_OK)
            return STRATA_OK;
        holder h;
        int rc = read_holder(s, &h, err);
        if (rc == STRATA_NOT_FOUND)
            rc = strata_tables_create(s, STRATA_TABLE_LOCK, err);
        else if (rc == STRATA_OK && h.row) {
            char why[160];
            if (!stale(s, &h, why, sizeof(why)))
                return busy(s, &h, err);
            rc = take_over(s, &h, why, err);
        }
        if (rc != STRATA_OK)
            return rc;
    }
    *err = failed; /* the insert fails and nobody holds the lock: its error is the news */
    strata_error_prefix(err, "cannot take the migration lock in %s: ", s->names.lock);
    return err->status == STRATA_OK ? STRATA_ERROR : err->status;
}

int
strata_table_lock_take(strata *s, long timeout_ms, strata_error *err)
{
    long long deadline = strata_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int rc = attempt(s, err);
        if (rc != STRATA_LOCK_TIMEOUT || (timeout_ms >= 0 && strata_now_ms() >= deadline))
            return rc;
        struct timespec pause = {0, LOCK_POLL_MS * 1000000L};
        nanosleep(&pause, NULL);
    }
}

void
strata_table_lock_release(strata *s)
{
    char host[256];
    this_host(host, sizeof(host));
    strata_buf sql = {0};
    strata_buf_printf(&sql, "DELETE FROM %s", s->names.lock);
    where_holder(s, &sql, host, (long long)getpid(), NULL);
    strata_error ignored = STRATA_ERROR_INIT;
    strata_session_exec(s, sql.data, &ignored);
    strata_buf_free(&sql);
}

void
strata_table_lock_beat(strata *s)
{
    char now[32], host[256];
    strata_utc_now(now, sizeof(now));
    this_host(host, sizeof(host));
    strata_buf sql = {0};
    strata_buf_printf(&sql, "UPDATE %s SET beat = ", s->names.lock);
    strata_session_literal(s, &sql, now);
    where_holder(s, &sql, host, (long long)getpid(), NULL);
    strata_error ignored = STRATA_ERROR_INIT;
    strata_session_exec(s, sql.data, &ignored);
    strata_buf_free(&sql);
}
