/*
 * Running one command over a fleet (docs/fleet.md): a pool of threads, each taking the next
 * target whose server has room, with its own session, lock and history; canaries first;
 * failures and strata_cancel() stop targets from starting while running ones finish.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "schema.h"
#include "source.h"
#include "util.h"

/* The scheduler, shared by the workers under its mutex. */
typedef struct pool {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    const strata_fleet *fleet;
    const strata_fleet_options *o;
    strata_fleet_report *report;
    size_t first, end;    /* the targets of this round: [first, end) */
    size_t next_hint;     /* no unstarted target of the round lies before it */
    unsigned char *state; /* per target: 0 waiting, 1 running, 2 ended */
    size_t running, done;
    int stop; /* start no more (a reason in report->stopped) */
} pool;

/* ------------------------------------------------------------------ one target */

/* The newest applied version of s and, for status, the applied ones and the pending count. */
static char *
newest_applied(strata *s, strata_fleet_result *res, int keep)
{
    strata_status_report *st = NULL;
    strata_error err = STRATA_ERROR_INIT;
    if (strata_status(s, &st, &err) != STRATA_OK)
        return NULL;
    const char *newest = "";
    for (size_t i = 0; i < st->count; i++) {
        const strata_status_item *it = &st->items[i];
        if (it->repeatable)
            continue;
        if (it->state == STRATA_STATE_APPLIED || it->state == STRATA_STATE_MODIFIED ||
            it->state == STRATA_STATE_DIRTY || it->state == STRATA_STATE_MISSING) {
            newest = it->version;
            if (keep) {
                res->applied =
                    strata_xrealloc(res->applied, (res->napplied + 1) * sizeof(*res->applied));
                res->applied[res->napplied++] = strata_xstrdup(it->version);
            }
        }
    }
    if (keep)
        res->pending = st->pending + st->out_of_order;
    char *out = strata_xstrdup(newest);
    strata_status_report_free(st);
    return out;
}

/* Runs the command on s; a check that finds problems is a failure with a message. */
static int
run_command(strata *s, const strata_fleet_options *o, strata_fleet_result *res, strata_error *err)
{
    strata_run_options defaults = {.size = sizeof(defaults)};
    const strata_run_options *run = o->run ? o->run : &defaults;
    int rc;
    switch (o->command) {
    case STRATA_FLEET_UP:
        return strata_up(s, run, NULL, err);
    case STRATA_FLEET_DOWN:
        return strata_down(s, run, NULL, err);
    case STRATA_FLEET_STATUS:
        return STRATA_OK; /* read with the versions */
    case STRATA_FLEET_VALIDATE: {
        strata_validation_report *v = NULL;
        rc = strata_validate(s, &v, err);
        if (rc == STRATA_OK && v->errors > 0)
            rc = strata_fail(err, STRATA_VALIDATION, "%s", v->items[0].message);
        strata_validation_report_free(v);
        return rc;
    }
    case STRATA_FLEET_DRIFT: {
        strata_schema_diff *d = NULL;
        rc = strata_drift(s, NULL, &d, err);
        if (rc == STRATA_OK && d->count > 0)
            rc = strata_fail(err, STRATA_VALIDATION, "drift: %zu difference(s), first %c %s %s",
                             d->count, d->items[0].op, d->items[0].kind_name, d->items[0].name);
        strata_schema_diff_free(d);
        return rc;
    }
    case STRATA_FLEET_VERIFY: {
        strata_verify_report *v = NULL;
        strata_verify_options vo = {.size = sizeof(vo)};
        rc = strata_verify(s, &vo, &v, err);
        for (size_t i = 0; rc == STRATA_OK && v && i < v->count; i++)
            if (v->items[i].problem != NULL)
                rc = strata_fail(err, STRATA_VALIDATION, "verify: %s %s: %s", v->items[i].version,
                                 v->items[i].name, v->items[i].problem);
        strata_verify_report_free(v);
        return rc;
    }
    default:
        return strata_fail(err, STRATA_USAGE, "unknown fleet command %d", o->command);
    }
    (void)res;
}

/* The first line of err's message (and its hint for a dirty target) into res. */
static void
record_error(strata_fleet_result *res, const strata_error *err)
{
    res->error = strata_xstrndup(err->message, strcspn(err->message, "\n"));
    if (err->hint[0] != '\0')
        res->hint = strata_xstrdup(err->hint);
}

static void
run_target(const strata_fleet_target *t, const strata_fleet_options *o, strata_fleet_result *res)
{
    long long start = strata_now_ms();
    strata_options so = *o->base;
    so.database_url = t->url;
    if (t->schema != NULL)
        so.schema = t->schema;
    so.on_event = NULL;
    so.read_only = o->command != STRATA_FLEET_UP && o->command != STRATA_FLEET_DOWN &&
                   o->command != STRATA_FLEET_VERIFY;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int status = o->command == STRATA_FLEET_STATUS;
    int rc = strata_open(&so, &s, &err);
    if (rc == STRATA_OK)
        res->before = newest_applied(s, res, status);
    if (rc == STRATA_OK)
        rc = run_command(s, o, res, &err);
    if (rc == STRATA_OK || s != NULL)
        res->after = status ? strata_xstrdup(res->before ? res->before : "")
                     : s    ? newest_applied(s, res, 0)
                            : NULL;
    if (rc != STRATA_OK)
        record_error(res, &err);
    res->outcome = rc == STRATA_OK ? 1 : 2;
    res->duration_ms = strata_now_ms() - start;
    strata_close(s);
}

/* ------------------------------------------------------------------ the pool */

/* Running targets on server. */
static size_t
running_on(const pool *p, const char *server)
{
    size_t n = 0;
    for (size_t i = p->first; i < p->end; i++)
        n += p->state[i] == 1 && strcmp(p->fleet->items[i].server, server) == 0;
    return n;
}

/* The next target to start (its index), or end when none can start now; *none_left set when
 * every target of the round has started. */
static size_t
pick(pool *p, int *none_left)
{
    size_t limit = p->o->per_server > 0 ? (size_t)p->o->per_server : 4;
    *none_left = 1;
    while (p->next_hint < p->end && p->state[p->next_hint] != 0)
        p->next_hint++;
    for (size_t i = p->next_hint; i < p->end; i++) {
        if (p->state[i] != 0)
            continue;
        *none_left = 0;
        const char *server = p->fleet->items[i].server;
        if (server[0] == '\0' || running_on(p, server) < limit)
            return i;
    }
    return p->end;
}

static void
report_progress(pool *p)
{
    if (p->o->progress == NULL)
        return;
    size_t remaining = 0;
    for (size_t i = 0; i < p->fleet->count; i++)
        remaining += p->state[i] == 0;
    p->o->progress(p->o->progress_ctx, p->done, p->running, p->report->failed, remaining);
}

static void *
worker(void *arg)
{
    pool *p = arg;
    pthread_mutex_lock(&p->mutex);
    for (;;) {
        if (strata_cancelled() && !p->stop) {
            p->stop = 1;
            p->report->stopped = 3;
        }
        int none_left;
        size_t i = p->stop ? p->end : pick(p, &none_left);
        if (p->stop || (i == p->end && none_left))
            break;
        if (i == p->end) { /* every remaining target's server is busy */
            pthread_cond_wait(&p->cond, &p->mutex);
            continue;
        }
        p->state[i] = 1;
        p->running++;
        report_progress(p);
        pthread_mutex_unlock(&p->mutex);
        strata_fleet_result *res = &p->report->items[i];
        run_target(&p->fleet->items[i], p->o, res);
        pthread_mutex_lock(&p->mutex);
        p->state[i] = 2;
        p->running--;
        p->done++;
        if (strata_cancelled() && !p->stop) { /* the interrupt, not the failure it caused */
            p->stop = 1;
            p->report->stopped = 3;
        }
        if (res->outcome == 2) {
            p->report->failed++;
            long max = p->o->max_failures;
            if (max >= 0 && (long)p->report->failed > max && !p->stop) {
                p->stop = 1;
                p->report->stopped = 2;
            }
        } else {
            p->report->succeeded++;
        }
        report_progress(p);
        pthread_cond_broadcast(&p->cond);
    }
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mutex);
    return NULL;
}

/* Runs targets [first, end) with n workers. */
static void
run_round(pool *p, size_t first, size_t end, int n)
{
    p->first = p->next_hint = first;
    p->end = end;
    pthread_t *threads = strata_xcalloc((size_t)n, sizeof(*threads));
    int started = 0;
    for (int i = 0; i < n; i++)
        if (pthread_create(&threads[i], NULL, worker, p) == 0)
            started++;
        else
            break;
    if (started == 0)
        worker(p); /* no thread could start: this one works alone */
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
}

static int
strata_fleet_run_body(const strata_fleet *f, const strata_fleet_options *o,
                      strata_fleet_report **out, strata_error *err)
{
    *out = NULL;
    if (o == NULL || o->base == NULL || o->command < STRATA_FLEET_UP ||
        o->command > STRATA_FLEET_VERIFY)
        return strata_fail(err, STRATA_USAGE, "strata_fleet_run needs a command and base options");
    strata_cancel_reset();
    if (o->base->embedded == NULL) { /* the set is read and checked once, before any target */
        strata_source_set *set = NULL;
        int rc = strata_source_scan(o->base->dir ? o->base->dir : "migrations", NULL, &set, err);
        strata_source_free(set);
        if (rc != STRATA_OK)
            return rc;
    }
    strata_fleet_report *r = strata_xcalloc(1, sizeof(*r));
    r->command = o->command;
    r->count = f->count;
    r->items = strata_xcalloc(f->count + 1, sizeof(*r->items));
    for (size_t i = 0; i < f->count; i++)
        r->items[i].label = f->items[i].label;
    pool p = {.fleet = f, .o = o, .report = r};
    p.state = strata_xcalloc(f->count + 1, 1);
    pthread_mutex_init(&p.mutex, NULL);
    pthread_cond_init(&p.cond, NULL);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = o->parallel > 0 ? o->parallel : cores > 0 ? (int)cores : 1;
    size_t canary = o->canary > 0 ? (size_t)o->canary : 0;
    if (canary > f->count)
        canary = f->count;
    if (canary > 0) {
        run_round(&p, 0, canary, n < (int)canary ? n : (int)canary);
        if (r->failed > 0 && !p.stop) {
            p.stop = 1;
            r->stopped = 1;
        }
    }
    if (!p.stop)
        run_round(&p, canary, f->count, n);
    for (size_t i = 0; i < f->count; i++)
        r->not_started += p.state[i] == 0;
    pthread_mutex_destroy(&p.mutex);
    pthread_cond_destroy(&p.cond);
    free(p.state);
    *out = r;
    return STRATA_OK;
}

int
strata_fleet_run(const strata_fleet *f, const strata_fleet_options *o, strata_fleet_report **out,
                 strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_fleet_run_body(f, o, out, err);
}

void
strata_fleet_report_free(strata_fleet_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++) {
        strata_fleet_result *res = &r->items[i];
        free(res->before);
        free(res->after);
        free(res->error);
        free(res->hint);
        for (size_t k = 0; k < res->napplied; k++)
            free(res->applied[k]);
        free(res->applied);
    }
    free(r->items);
    free(r);
}
