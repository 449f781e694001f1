/*
 * The schema commands of the strata program: dump, drift, diff, verify, and the schema
 * parts of validate (--dump) and up (dump_after_up) (docs/schema.md).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strata/strata.h>

#include "schemacmd.h"
#include "setup.h"

/* ------------------------------------------------------------------ helpers */

/* Writes the snapshot's text to path whole or not at all (path.tmp, then rename). */
static int
write_dump(const strata_snapshot *snap, const char *path, unsigned flags, strata_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return cli_fail(err, STRATA_ERROR, "cannot write %s: %s", tmp, strerror(errno));
    strata_report_snapshot(f, snap, flags);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return cli_fail(err, STRATA_ERROR, "cannot write %s: %s", path, strerror(e));
    }
    return STRATA_OK;
}

/* The snapshot's text, newly allocated (the caller frees it). */
static char *
dump_text(const strata_snapshot *snap)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    strata_report_snapshot(f, snap, 0);
    fclose(f);
    return text;
}

/* The whole of a file, newly allocated; NULL with errno set when it cannot be read. */
static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *text = NULL;
    size_t len = 0, n;
    char chunk[8192];
    FILE *m = open_memstream(&text, &len);
    while (m != NULL && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, m);
    if (m != NULL)
        fclose(m);
    fclose(f);
    return text;
}

/* ------------------------------------------------------------------ dump */

int
cmd_dump(cli *c)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_snapshot *snap = NULL;
    int rc = cli_open_session(c, 1, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_take_snapshot(s, &snap, &err);
    if (rc == STRATA_OK && c->output != NULL)
        rc = write_dump(snap, c->output, c->json ? STRATA_REPORT_JSON : 0, &err);
    else if (rc == STRATA_OK)
        strata_report_snapshot(stdout, snap, c->json ? STRATA_REPORT_JSON : 0);
    strata_snapshot_free(snap);
    strata_close(s);
    return rc == STRATA_OK ? EXIT_OK : cli_report_error(c, &err);
}

int
cli_dump_after_up(cli *c, strata *s)
{
    if (c->dump_after_up == NULL)
        return EXIT_OK;
    strata_error err = STRATA_ERROR_INIT;
    strata_snapshot *snap = NULL;
    int rc = strata_take_snapshot(s, &snap, &err);
    if (rc == STRATA_OK)
        rc = write_dump(snap, c->dump_after_up, 0, &err);
    strata_snapshot_free(snap);
    if (rc != STRATA_OK) {
        char why[sizeof(err.message)];
        snprintf(why, sizeof(why), "%s", err.message);
        cli_fail(&err, rc, "the migrations ran, but dump_after_up failed: %.900s", why);
        return cli_report_error(c, &err);
    }
    if (!c->quiet)
        fprintf(stderr, "strata: wrote the schema to %s (dump_after_up)\n", c->dump_after_up);
    return EXIT_OK;
}

int
cli_check_dump(cli *c, strata *s)
{
    strata_error err = STRATA_ERROR_INIT;
    strata_snapshot *snap = NULL;
    int rc = strata_take_snapshot(s, &snap, &err);
    if (rc != STRATA_OK)
        return cli_report_error(c, &err);
    char *now = dump_text(snap), *committed = read_file(c->dump);
    int code = EXIT_OK;
    if (committed == NULL) {
        cli_fail(&err, STRATA_USAGE, "cannot read %s: %s", c->dump, strerror(errno));
        code = cli_report_error(c, &err);
    } else if (now == NULL || strcmp(now, committed) != 0) {
        fprintf(stderr,
                "strata: %s is stale: it does not match the database's schema; run `strata dump "
                "--output %s` and commit it\n",
                c->dump, c->dump);
        code = EXIT_VALIDATION;
    } else if (!c->quiet && !c->json) {
        printf("%s matches the database's schema\n", c->dump);
    }
    free(now);
    free(committed);
    strata_snapshot_free(snap);
    return code;
}

/* ------------------------------------------------------------------ drift, diff */

static int
report_diff(cli *c, const strata_schema_diff *d, const char *schema, const char *same)
{
    if (!c->json && d->count == 0)
        printf("%s\n", same);
    else
        strata_report_schema_diff(stdout, d, schema, cli_report_flags(c));
    return d->count > 0 ? EXIT_VALIDATION : EXIT_OK;
}

int
cmd_drift(cli *c)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_schema_diff *d = NULL;
    cli_stop_on_signals();
    int rc = cli_open_session(c, 1, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_drift(s, c->scratch, &d, &err);
    int code = rc == STRATA_OK ? report_diff(c, d, "strata.drift/1",
                                             "no drift: the database's schema is what the "
                                             "migrations make")
                               : cli_report_error(c, &err);
    if (rc == STRATA_OK && d->count > 0 && !c->json)
        fprintf(stderr,
                "strata: %zu difference(s): + only in the database, - only in the "
                "migrations, ~ different\n",
                d->count);
    strata_schema_diff_free(d);
    strata_close(s);
    return code;
}

int
cmd_diff(cli *c)
{
    if (c->nargs != 2) {
        fprintf(stderr, "strata: `diff` takes two database URLs: strata diff URL_A URL_B\n");
        return EXIT_USAGE;
    }
    strata *a = NULL, *b = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_snapshot *sa = NULL, *sb = NULL;
    strata_schema_diff *d = NULL;
    const char *saved = c->database;
    c->database = c->args[0];
    int rc = cli_open_session(c, 1, &a, &err);
    c->database = c->args[1];
    if (rc == STRATA_OK)
        rc = cli_open_session(c, 1, &b, &err);
    c->database = saved;
    if (rc == STRATA_OK)
        rc = strata_take_snapshot(a, &sa, &err);
    if (rc == STRATA_OK)
        rc = strata_take_snapshot(b, &sb, &err);
    if (rc == STRATA_OK && strcmp(sa->dialect, sb->dialect) != 0)
        rc = cli_fail(&err, STRATA_USAGE,
                      "diff compares two databases of one dialect (%s and %s given); `strata "
                      "verify --also` compares dialects on what is portable",
                      sa->dialect, sb->dialect);
    if (rc == STRATA_OK)
        rc = strata_schema_compare(sa, sb, &d, &err);
    int code = rc == STRATA_OK ? report_diff(c, d, "strata.diff/1",
                                             "no difference: the two schemas are the same")
                               : cli_report_error(c, &err);
    strata_schema_diff_free(d);
    strata_snapshot_free(sa);
    strata_snapshot_free(sb);
    strata_close(a);
    strata_close(b);
    return code;
}

/* ------------------------------------------------------------------ verify */

int
cmd_verify(cli *c)
{
    if (cli_no_arguments(c))
        return EXIT_USAGE;
    strata *s = NULL;
    strata_error err = STRATA_ERROR_INIT;
    strata_verify_report *r = NULL;
    strata_verify_options o = {.size = sizeof(o),
                               .from = c->from,
                               .to = c->to,
                               .scratch_url = c->scratch,
                               .also = c->nalso ? c->also : NULL};
    cli_stop_on_signals();
    /* the target only says which driver and where the scratch database goes: verify never
     * writes to it, but a SQLite path that does not exist yet is created empty */
    int rc = cli_open_session(c, 0, &s, &err);
    if (rc == STRATA_OK)
        rc = strata_verify(s, &o, &r, &err);
    int code;
    if (rc != STRATA_OK) {
        code = cli_report_error(c, &err);
    } else {
        strata_report_verify(stdout, r, cli_report_flags(c));
        code = r->failed > 0 || r->nportability > 0 ? EXIT_VALIDATION : EXIT_OK;
    }
    strata_verify_report_free(r);
    strata_close(s);
    return code;
}
