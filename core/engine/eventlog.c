/*
 * The event log (<table>_events): reading it back for `strata history`, filtered.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "history.h"
#include "tables.h"
#include "session.h"

static char *
dup_value(const char *v)
{
    return v != NULL ? strata_xstrdup(v) : NULL;
}

static int
collect_event(void *ctx, int ncols, const char *const *v)
{
    strata_log *l = ctx;
    if (ncols < 10)
        return 1;
    l->items = strata_xrealloc(l->items, (l->count + 1) * sizeof(*l->items));
    strata_log_entry *e = &l->items[l->count++];
    e->id = v[0] ? strtoll(v[0], NULL, 10) : 0;
    e->version = dup_value(v[1]);
    e->name = dup_value(v[2]);
    e->action = dup_value(v[3] ? v[3] : "");
    e->outcome = dup_value(v[4] ? v[4] : "");
    e->started_at = dup_value(v[5] ? v[5] : "");
    e->duration_ms = v[6] ? strtoll(v[6], NULL, 10) : 0;
    e->performed_by = dup_value(v[7] ? v[7] : "");
    e->strata_version = dup_value(v[8] ? v[8] : "");
    e->detail = dup_value(v[9]);
    return 0;
}

static void
add_condition(strata *s, strata_buf *sql, int *first, const char *column, const char *op,
              const char *value)
{
    strata_buf_printf(sql, "%s %s %s ", *first ? " WHERE" : " AND", column, op);
    strata_session_literal(s, sql, value);
    *first = 0;
}

/* The SELECT for f; newest first when limited (the caller reverses), oldest first else. */
static char *
log_query(strata *s, const strata_log_filter *f)
{
    strata_buf sql = {0};
    int first = 1;
    strata_buf_printf(&sql,
                      "SELECT id, version, name, action, outcome, started_at, duration_ms, "
                      "performed_by, strata_version, detail FROM %s",
                      s->names.events);
    if (f != NULL && f->version != NULL)
        add_condition(s, &sql, &first, "version", "=", f->version);
    if (f != NULL && f->action != NULL)
        add_condition(s, &sql, &first, "action", "=", f->action);
    if (f != NULL && f->since != NULL)
        add_condition(s, &sql, &first, "started_at", ">=", f->since);
    int limited = f != NULL && f->limit > 0;
    strata_buf_printf(&sql, " ORDER BY id %s", limited ? "DESC" : "ASC");
    if (limited)
        strata_buf_printf(&sql, " LIMIT %ld", f->limit);
    return strata_buf_take(&sql);
}

static void
reverse(strata_log *l)
{
    for (size_t i = 0; i < l->count / 2; i++) {
        strata_log_entry t = l->items[i];
        l->items[i] = l->items[l->count - 1 - i];
        l->items[l->count - 1 - i] = t;
    }
}

/* The actions the event log records. */
static const char *const actions[] = {"up", "down", "force", "baseline", "repair", "adopt", NULL};

/* Reads exactly n digits at s into *v. */
static int
digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

static int
days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Whether text is a real UTC date "YYYY-MM-DD", optionally " HH:MM:SS" (or "THH:MM:SS"). */
static int
valid_since(const char *t)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    size_t n = strlen(t);
    if ((n != 10 && n != 19) || digits(t, 4, &y) || t[4] != '-' || digits(t + 5, 2, &mo) ||
        t[7] != '-' || digits(t + 8, 2, &d))
        return 0;
    if (n == 19 && ((t[10] != ' ' && t[10] != 'T') || digits(t + 11, 2, &h) || t[13] != ':' ||
                    digits(t + 14, 2, &mi) || t[16] != ':' || digits(t + 17, 2, &se)))
        return 0;
    return mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo) && h < 24 && mi < 60 &&
           se < 60;
}

/* Refuses a filter that can match nothing: a date that is none, an action strata never logs. */
static int
check_filter(const strata_log_filter *f, strata_error *err)
{
    if (f == NULL)
        return STRATA_OK;
    if (f->since != NULL && !valid_since(f->since))
        return strata_fail(err, STRATA_USAGE,
                           "--since '%s' is not a date; give YYYY-MM-DD or 'YYYY-MM-DD "
                           "HH:MM:SS' (UTC), e.g. --since 2026-11-01",
                           f->since);
    if (f->action == NULL)
        return STRATA_OK;
    for (const char *const *a = actions; *a != NULL; a++)
        if (strcmp(*a, f->action) == 0)
            return STRATA_OK;
    return strata_fail(err, STRATA_USAGE,
                       "--action '%s' is no action the event log records; give up, down, force, "
                       "baseline, repair or adopt",
                       f->action);
}

/* The body of strata_history_log(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_history_log_body(strata *s, const strata_log_filter *f, strata_log **out, strata_error *err)
{
    strata_error_clear(err);
    *out = NULL;
    int exists = 0;
    int rc = check_filter(f, err);
    if (rc != STRATA_OK)
        return rc;
    rc = strata_tables_ensure(s, 0, &exists, err);
    strata_log *l = strata_xcalloc(1, sizeof(*l));
    if (rc == STRATA_OK && exists) {
        char *sql = log_query(s, f);
        rc = strata_session_query(s, sql, collect_event, l, err);
        free(sql);
        if (rc != STRATA_OK)
            strata_error_prefix(err, "cannot read the event log %s: ", s->names.events);
    }
    if (rc != STRATA_OK) {
        strata_log_free(l);
        return rc;
    }
    if (f != NULL && f->limit > 0)
        reverse(l);
    *out = l;
    return STRATA_OK;
}

int
strata_history_log(strata *s, const strata_log_filter *f, strata_log **out, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_history_log_body(s, f, out, err);
}

void
strata_log_free(strata_log *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->count; i++) {
        strata_log_entry *e = &l->items[i];
        free(e->version);
        free(e->name);
        free(e->action);
        free(e->outcome);
        free(e->started_at);
        free(e->performed_by);
        free(e->strata_version);
        free(e->detail);
    }
    free(l->items);
    free(l);
}
