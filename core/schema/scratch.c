/*
 * Scratch databases (schema.h): a throwaway database beside the target, made by the driver
 * (or given by the user), on which verify and drift apply the migrations; dropped at the end
 * whatever happened. strata_cancel() lets a signal handler ask for that end.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "schema.h"
#include "session.h"
#include "url.h"
#include "util.h"

static volatile sig_atomic_t cancelled;

void
strata_cancel(void)
{
    cancelled = 1;
}

int
strata_cancelled(void)
{
    return cancelled != 0;
}

void
strata_cancel_reset(void)
{
    cancelled = 0;
}

void
strata_options_like(const strata *s, const char *url, const char *password, strata_options *o)
{
    strata_options_init(o);
    o->database_url = url;
    o->password = password;
    o->dir = s->dir;
    o->table = s->table;
    o->driver_dir = s->driver_dir;
    o->lock_timeout_ms = s->lock_timeout_ms;
    o->allow_out_of_order = s->allow_out_of_order;
    o->placeholders = (const char *const *)s->placeholders;
    o->embedded = s->embedded.files;
}

/* A scratch database the user gave must be empty: verify compares against nothing. */
static int
check_empty(strata *scratch, strata_error *err)
{
    strata_snapshot *snap = NULL;
    int rc = strata_session_snapshot(scratch, &snap, err);
    if (rc == STRATA_OK && snap->count > 0)
        rc = strata_fail(err, STRATA_USAGE,
                         "the scratch database %s is not empty (%s %s, ...): give an empty one, "
                         "or leave --scratch out to let strata create one",
                         strata_redacted_url(scratch), snap->items[0].kind_name,
                         snap->items[0].name);
    strata_snapshot_free(snap);
    return rc;
}

/* Creates a database through s's driver and opens a session on it. */
static int
create_scratch(strata *s, strata_scratch *sc, strata_error *err)
{
    if (!STRATA_DRIVER_HAS(s->drv, scratch_create) || !STRATA_DRIVER_HAS(s->drv, scratch_drop))
        return strata_fail(err, STRATA_NOT_SUPPORTED,
                           "the %s driver cannot create scratch databases: give one with "
                           "--scratch URL",
                           s->drv->name);
    char name[1024];
    int rc = s->drv->scratch_create(s->conn, name, sizeof(name), err);
    if (rc != STRATA_OK) {
        strata_error_prefix(err,
                            "cannot create a scratch database beside %s (give one with "
                            "--scratch URL): ",
                            strata_redacted_url(s));
        return rc;
    }
    sc->name = strata_xstrdup(name);
    char *url = strata_url_with_database(s->database_url, s->drv->url_shape, name);
    if (url == NULL)
        return strata_fail(err, STRATA_NOT_SUPPORTED,
                           "scratch databases need a URL with a database part");
    strata_options o;
    strata_options_like(s, url, s->password, &o);
    rc = strata_open(&o, &sc->session, err);
    free(url);
    return rc;
}

int
strata_scratch_open(strata *s, const char *url, strata_scratch **out, strata_error *err)
{
    strata_scratch *sc = strata_xcalloc(1, sizeof(*sc));
    sc->origin = s;
    int rc;
    if (url != NULL) {
        strata_options o;
        strata_options_like(s, url, NULL, &o);
        rc = strata_open(&o, &sc->session, err);
        if (rc == STRATA_OK)
            rc = check_empty(sc->session, err);
    } else {
        rc = create_scratch(s, sc, err);
    }
    if (rc != STRATA_OK) {
        strata_scratch_close(sc);
        *out = NULL;
        return rc;
    }
    *out = sc;
    return STRATA_OK;
}

void
strata_scratch_close(strata_scratch *sc)
{
    if (sc == NULL)
        return;
    strata_close(sc->session);
    if (sc->name != NULL) {
        strata_error err = STRATA_ERROR_INIT;
        strata *s = sc->origin;
        if (s->drv->scratch_drop(s->conn, sc->name, &err) != STRATA_OK)
            strata_session_notice(s,
                                  "could not drop the scratch database %s: %s; drop it by "
                                  "hand",
                                  sc->name, err.message);
        free(sc->name);
    }
    free(sc);
}
