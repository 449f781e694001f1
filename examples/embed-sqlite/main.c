/*
 * embed-sqlite: a program that keeps its data in a SQLite file and brings the file's schema
 * up to date when it starts, from migrations compiled into it (`strata embed` wrote
 * migrations.c from the migrations/ folder). It needs no migrations folder at run time,
 * only libstrata and its SQLite driver.
 *
 *   embed-sqlite [FILE]     migrates FILE (default notes.db) and prints what it did
 */
#include <stdio.h>

#include <strata/strata.h>

/* migrations.c, written by `strata embed --output migrations.c migrations` */
extern const strata_embedded_file strata_migrations[];

int
main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "notes.db";
    char url[4096];
    snprintf(url, sizeof(url), "sqlite:%s", path);

    strata_options o;
    strata_options_init(&o);
    o.database_url = url;
    o.dir = "migrations"; /* names the embedded files in messages */
    o.embedded = strata_migrations;

    strata *s = NULL;
    strata_run_report *run = NULL;
    strata_status_report *status = NULL;
    strata_error err = STRATA_ERROR_INIT;
    int rc = strata_open_wait(&o, 5000, &s, &err); /* a server would be waited for */
    if (rc == STRATA_OK)
        rc = strata_up(s, NULL, &run, &err);
    if (rc == STRATA_OK)
        rc = strata_status(s, &status, &err);
    if (rc == STRATA_OK)
        printf("%s: %zu migration(s) applied now, %zu in all, %zu pending\n", path, run->count,
               status->applied, status->pending);
    else
        fprintf(stderr, "embed-sqlite: %s\n", err.message);
    strata_status_report_free(status);
    strata_run_report_free(run);
    strata_close(s);
    return rc == STRATA_OK ? 0 : 1;
}
