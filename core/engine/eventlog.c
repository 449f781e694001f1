/*
 * The event log (<table>_events): reading it back for `strata history`, filtered.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "history.h"
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

int
strata_history_log(strata *s, const strata_log_filter *f, strata_log **out, strata_error *err)
{
    strata_error_clear(err);
    *out = NULL;
    int exists = 0;
    int rc = strata_history_ensure(s, 0, &exists, err);
    strata_log *l = strata_xcalloc(1, sizeof(*l));
    if (rc == STRATA_OK && exists) {
        char *sql = log_query(s, f);
        rc = s->drv->query(s->conn, sql, collect_event, l, err);
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
