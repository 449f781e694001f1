/*
 * strata drift and strata verify (docs/schema.md): the migrations applied to a scratch
 * database, its snapshots compared with the live database's (drift) or with each other
 * around every down (verify).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "portable.h"
#include "schema.h"
#include "session.h"
#include "util.h"
#include "version.h"

static int
interrupted(strata_error *err)
{
    return strata_fail(err, STRATA_ERROR,
                       "interrupted: stopped before the next step; the scratch database is "
                       "dropped");
}

/* ------------------------------------------------------------------ drift */

static int
strata_drift_body(strata *s, const char *scratch_url, strata_schema_diff **out, strata_error *err)
{
    *out = NULL;
    strata_cancel_reset();
    strata_scratch *sc = NULL;
    strata_snapshot *live = NULL, *want = NULL;
    strata_run_options up = {.size = sizeof(up)};
    int rc = strata_session_snapshot(s, &live, err);
    if (rc == STRATA_OK)
        rc = strata_scratch_open(s, scratch_url, &sc, err);
    if (rc == STRATA_OK && strata_cancelled())
        rc = interrupted(err);
    if (rc == STRATA_OK) {
        rc = strata_up(sc->session, &up, NULL, err);
        if (rc != STRATA_OK)
            strata_error_prefix(err, "applying the migrations to the scratch database: ");
    }
    if (rc == STRATA_OK && strata_cancelled())
        rc = interrupted(err);
    if (rc == STRATA_OK)
        rc = strata_session_snapshot(sc->session, &want, err);
    if (rc == STRATA_OK)
        *out = strata_schema_compare_body(want, live);
    strata_snapshot_free(live);
    strata_snapshot_free(want);
    strata_scratch_close(sc);
    return rc;
}

int
strata_drift(strata *s, const char *scratch_url, strata_schema_diff **out, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_drift_body(s, scratch_url, out, err);
}

/* ------------------------------------------------------------------ verify */

/* One run of verify over one database. */
typedef struct verifier {
    strata *db; /* the scratch session */
    strata_verify_report *report;
    strata_snapshot *forward; /* the schema after the last migration checked; owned */
    const char *label;        /* redacted URL */
} verifier;

static strata_verify_item *
add_item(verifier *v, const strata_migration *m)
{
    strata_verify_report *r = v->report;
    r->items = strata_xrealloc(r->items, (r->count + 1) * sizeof(*r->items));
    strata_verify_item *it = &r->items[r->count++];
    memset(it, 0, sizeof(*it));
    it->database = strata_xstrdup(v->label);
    it->version = strata_xstrdup(m ? m->version : "");
    it->name = strata_xstrdup(m ? m->name : "(the whole set)");
    return it;
}

/* Records a step of it and its outcome ("up: ok"). */
static void
add_step(strata_verify_item *it, const char *step, const char *outcome)
{
    it->steps = strata_xrealloc(it->steps, (it->nsteps + 1) * sizeof(*it->steps));
    it->steps[it->nsteps++] = strata_xasprintf("%s: %s", step, outcome);
}

static void fail_item(verifier *v, strata_verify_item *it, strata_schema_diff *diff,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
fail_item(verifier *v, strata_verify_item *it, strata_schema_diff *diff, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (it->problem != NULL) { /* the first problem is the cause; what follows, effects */
        strata_schema_diff_free(diff);
        return;
    }
    v->report->failed++;
    it->problem = strata_xstrdup(text);
    it->diff = diff;
}

/* Runs one up (up != 0) or down step of the scratch session. */
static int
step(verifier *v, int up, strata_error *err)
{
    strata_run_options o = {.size = sizeof(o), .step = 1};
    return up ? strata_up(v->db, &o, NULL, err) : strata_down(v->db, &o, NULL, err);
}

/* The diff from a to the scratch database now, or NULL when equal; *now receives the
 * snapshot (owned by the caller) when now is not NULL. */
static int
changed_from(verifier *v, const strata_snapshot *a, strata_schema_diff **diff,
             strata_snapshot **now, strata_error *err)
{
    strata_snapshot *b = NULL;
    *diff = NULL;
    int rc = strata_session_snapshot(v->db, &b, err);
    if (rc != STRATA_OK)
        return rc;
    strata_schema_diff *d = strata_schema_compare_body(a, b);
    if (d->count > 0)
        *diff = d;
    else
        strata_schema_diff_free(d);
    if (now != NULL)
        *now = b;
    else
        strata_snapshot_free(b);
    return STRATA_OK;
}

/* up, down, up again for m; returns STRATA_OK to go on to the next migration, or a status
 * that stops the run (a failed up leaves nothing to go on from). */
static int
check_migration(verifier *v, const strata_migration *m, strata_error *err)
{
    strata_verify_item *it = add_item(v, m);
    strata_snapshot *before = NULL, *after = NULL, *again = NULL;
    strata_schema_diff *d = NULL;
    strata_error e = STRATA_ERROR_INIT;
    int rc = strata_session_snapshot(v->db, &before, err);
    if (rc == STRATA_OK && step(v, 1, &e) != STRATA_OK) {
        fail_item(v, it, NULL, "up fails: %s", e.message);
        add_step(it, "up", "failed");
        rc = STRATA_VALIDATION;
    } else if (rc == STRATA_OK) {
        add_step(it, "up", "ok");
    }
    if (rc == STRATA_OK)
        rc = strata_session_snapshot(v->db, &after, err);
    if (rc == STRATA_OK && m->down.path == NULL) {
        fail_item(v, it, NULL, "no down script: the migration cannot be undone");
        add_step(it, "down", "none");
        goto keep; /* applied, and verify goes on from there */
    }
    if (rc == STRATA_OK && step(v, 0, &e) != STRATA_OK) {
        fail_item(v, it, NULL, "down fails: %s", e.message);
        add_step(it, "down", "failed");
        rc = STRATA_VALIDATION;
    }
    if (rc == STRATA_OK)
        rc = changed_from(v, before, &d, NULL, err);
    if (rc == STRATA_OK)
        add_step(it, "down",
                 d ? "the schema differs from before up" : "the schema is as before up");
    if (rc == STRATA_OK && d != NULL)
        fail_item(v, it, d, "down does not undo up: %zu difference(s) from the schema before",
                  d->count);
    if (rc == STRATA_OK && strata_cancelled())
        rc = interrupted(err);
    if (rc == STRATA_OK && step(v, 1, &e) != STRATA_OK) {
        fail_item(v, it, NULL, "up after down fails: %s", e.message);
        add_step(it, "up again", "failed");
        rc = STRATA_VALIDATION;
    }
    if (rc == STRATA_OK)
        rc = changed_from(v, after, &d, &again, err);
    if (rc == STRATA_OK)
        add_step(it, "up again", d ? "another schema than the first up" : "the same schema");
    if (rc == STRATA_OK && d != NULL)
        fail_item(v, it, d, "up after down gives another schema: %zu difference(s)", d->count);
keep:
    if (rc == STRATA_OK) {
        strata_snapshot_free(v->forward);
        v->forward = again ? again : after;
        if (again != NULL)
            strata_snapshot_free(after);
        after = again = NULL;
    }
    strata_snapshot_free(before);
    strata_snapshot_free(after);
    strata_snapshot_free(again);
    return rc;
}

/* Down to zero must leave nothing; up to the last version checked must give the forward
 * schema again. */
static int
check_round_trip(verifier *v, const char *last, strata_error *err)
{
    strata_verify_item *it = add_item(v, NULL);
    strata_error e = STRATA_ERROR_INIT;
    strata_run_options down = {.size = sizeof(down), .all = 1};
    strata_run_options up = {.size = sizeof(up), .to_version = last};
    strata_snapshot empty = {.dialect = "", .count = 0};
    strata_schema_diff *d = NULL;
    if (strata_down(v->db, &down, NULL, &e) != STRATA_OK) {
        fail_item(v, it, NULL, "down to zero fails: %s", e.message);
        add_step(it, "down to zero", "failed");
        return STRATA_OK;
    }
    int rc = changed_from(v, &empty, &d, NULL, err);
    if (rc == STRATA_OK)
        add_step(it, "down to zero", d ? "objects left behind" : "an empty schema");
    if (rc == STRATA_OK && d != NULL)
        fail_item(v, it, d, "down to zero leaves %zu object(s) behind", d->count);
    if (rc == STRATA_OK && strata_up(v->db, &up, NULL, &e) != STRATA_OK) {
        fail_item(v, it, NULL, "up to %s after down to zero fails: %s", last, e.message);
        add_step(it, "up to the last version", "failed");
    } else if (rc == STRATA_OK && v->forward != NULL) {
        rc = changed_from(v, v->forward, &d, NULL, err);
        if (rc == STRATA_OK)
            add_step(it, "up to the last version",
                     d ? "another schema than the first time" : "the same schema");
        if (rc == STRATA_OK && d != NULL)
            fail_item(v, it, d, "up to %s after down to zero gives another schema", last);
    }
    return rc;
}

/* True when version lies in [from, to] (each NULL: no bound). */
static int
in_range(const char *version, const char *from, const char *to)
{
    return (from == NULL || strata_version_cmp(version, from) >= 0) &&
           (to == NULL || strata_version_cmp(version, to) <= 0);
}

/* Verifies the set on the scratch session v->db. */
static int
verify_on(verifier *v, const strata_verify_options *o, strata_error *err)
{
    strata_source_set *set = NULL;
    int rc = strata_session_scan(v->db, &set, err);
    const char *last = NULL;
    for (size_t i = 0; rc == STRATA_OK && i < set->count; i++) {
        const strata_migration *m = &set->items[i];
        if (!m->applicable)
            continue;
        if (strata_cancelled()) {
            rc = interrupted(err);
            break;
        }
        if (!in_range(m->version, o->from, o->to)) {
            if (o->to != NULL && strata_version_cmp(m->version, o->to) > 0)
                break;
            strata_error e = STRATA_ERROR_INIT; /* before --from: applied, not checked */
            if (step(v, 1, &e) != STRATA_OK) {
                fail_item(v, add_item(v, m), NULL, "up fails: %s", e.message);
                rc = STRATA_VALIDATION;
            }
            continue;
        }
        rc = check_migration(v, m, err);
        last = m->version;
    }
    if (rc == STRATA_VALIDATION)
        rc = STRATA_OK; /* reported in the items; nothing left to check after it */
    else if (rc == STRATA_OK && last != NULL)
        rc = check_round_trip(v, last, err);
    strata_source_free(set);
    return rc;
}

/* Verifies on a scratch database beside target (scratch_url: the user's own). On success
 * the forward schema is handed to *forward (may be NULL to drop it). */
static int
verify_database(strata *target, const char *scratch_url, const strata_verify_options *o,
                strata_verify_report *r, strata_snapshot **forward, strata_error *err)
{
    strata_scratch *sc = NULL;
    int rc = strata_scratch_open(target, scratch_url, &sc, err);
    if (rc != STRATA_OK)
        return rc;
    verifier v = {.db = sc->session, .report = r, .label = strata_redacted_url(target)};
    rc = verify_on(&v, o, err);
    if (forward != NULL && rc == STRATA_OK) {
        *forward = v.forward;
        v.forward = NULL;
    }
    strata_snapshot_free(v.forward);
    strata_scratch_close(sc);
    return rc;
}

static int
strata_verify_body(strata *s, const strata_verify_options *o, strata_verify_report **out,
                   strata_error *err)
{
    strata_verify_options none = {.size = sizeof(none)};
    if (o == NULL)
        o = &none;
    *out = NULL;
    strata_cancel_reset();
    strata_verify_report *r = strata_xcalloc(1, sizeof(*r));
    strata_snapshot *first = NULL;
    int rc = verify_database(s, o->scratch_url, o, r, o->also ? &first : NULL, err);
    for (const char *const *u = o->also; rc == STRATA_OK && u && *u; u++) {
        strata *other = NULL;
        strata_snapshot *theirs = NULL;
        strata_options oo;
        strata_options_like(s, *u, NULL, &oo);
        rc = strata_open(&oo, &other, err);
        if (rc == STRATA_OK)
            rc = verify_database(other, NULL, o, r, &theirs, err);
        if (rc == STRATA_OK && first != NULL && theirs != NULL)
            strata_portable_compare(first, theirs, r);
        strata_snapshot_free(theirs);
        strata_close(other);
    }
    strata_snapshot_free(first);
    if (rc != STRATA_OK) {
        strata_verify_report_free(r);
        return rc;
    }
    *out = r;
    return STRATA_OK;
}

int
strata_verify(strata *s, const strata_verify_options *o, strata_verify_report **out,
              strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_verify_body(s, o, out, err);
}

void
strata_verify_report_free(strata_verify_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->items[i].database);
        free(r->items[i].version);
        free(r->items[i].name);
        free(r->items[i].problem);
        strata_schema_diff_free(r->items[i].diff);
        for (size_t k = 0; k < r->items[i].nsteps; k++)
            free(r->items[i].steps[k]);
        free(r->items[i].steps);
    }
    free(r->items);
    strata_schema_diff_free(r->portability);
    for (size_t i = 0; i < r->nportability; i++)
        free(r->portability_notes[i]);
    free(r->portability_notes);
    free(r);
}
