/*
 * strata_backup(): a backup of the session's database through the driver's optional backup
 * member, under the migration lock.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "session.h"

/* Query parameters that hold a secret (as strata_url_redact() knows them). */
static const char *const secret_params[] = {"password", "pass", "pwd", "sslpassword", NULL};

/* Replaces every occurrence of secret in text (a buffer of size bytes) by "***". */
static void
scrub(char *text, size_t size, const char *secret)
{
    size_t n = secret != NULL ? strlen(secret) : 0;
    const char *p = text, *hit;
    strata_buf b = {0};

    if (n == 0 || strstr(text, secret) == NULL)
        return;
    while ((hit = strstr(p, secret)) != NULL) {
        strata_buf_append(&b, p, (size_t)(hit - p));
        strata_buf_puts(&b, "***");
        p = hit + n;
    }
    strata_buf_puts(&b, p);
    snprintf(text, size, "%s", b.data);
    strata_buf_free(&b);
}

/*
 * The last line of defence: a driver's message (or a dump tool's text inside it) never
 * shows the URL's password or a password-like parameter's value.
 */
static void
scrub_error(const strata_url *url, strata_error *err)
{
    const char *secrets[8];
    size_t n = 0, i, k;

    secrets[n++] = url->password;
    for (i = 0; i < url->nparams && n < sizeof(secrets) / sizeof(secrets[0]); i++) {
        for (k = 0; secret_params[k] != NULL; k++) {
            if (url->params[i].key != NULL && strata_strieq(url->params[i].key, secret_params[k]))
                secrets[n++] = url->params[i].value;
        }
    }
    for (i = 0; i < n; i++) {
        scrub(err->message, sizeof(err->message), secrets[i]);
        scrub(err->detail, sizeof(err->detail), secrets[i]);
        scrub(err->hint, sizeof(err->hint), secrets[i]);
    }
}

/* The body of strata_backup(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_backup_body(strata *s, const char *path, strata_error *err)
{
    int rc;

    strata_error_clear(err);
    if (path == NULL || *path == '\0')
        return strata_fail(err, STRATA_USAGE,
                           "a backup needs the file to write (strata backup --output FILE)");
    if (!STRATA_DRIVER_HAS(s->drv, backup)) {
        rc =
            strata_fail(err, STRATA_NOT_SUPPORTED, "the %s driver (version %s) cannot take backups",
                        s->drv->name, s->drv->version);
        snprintf(err->hint, sizeof(err->hint),
                 "back the database up with its own tools (docs/operations.md), or use a %s "
                 "driver that implements backup",
                 s->drv->name);
    } else {
        rc = strata_session_lock(s, err);
        if (rc == STRATA_OK) {
            rc = s->drv->backup(s->conn, s->url, path, err);
            strata_session_unlock(s);
        }
    }
    if (rc != STRATA_OK) {
        if (err->status == STRATA_OK)
            err->status = rc;
        scrub_error(s->url, err); /* before the prefix, which shows the redacted URL */
        strata_error_prefix(err, "cannot back up %s to %s: ", s->url->redacted, path);
    }
    return rc;
}

int
strata_backup(strata *s, const char *path, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_backup_body(s, path, err);
}
