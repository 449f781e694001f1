/*
 * The check of an up-to-date history (uptodate.h): the history newest first against the
 * listed files, highest version first, one row and one version at a time.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "listing.h"
#include "scancache.h"
#include "tables.h"
#include "uptodate.h"
#include "util.h"
#include "version.h"

typedef struct walk {
    strata_listing *files;
    strata_scan_cache *cache;
    strata_uptodate_purpose purpose;
    int gave_up;
    size_t matched;
    char file_before[STRATA_VERSION_MAX + 1]; /* the version before (higher); "" at first */
} walk;

/* A hole in sequence numbers between v and the version before it (higher), which validate
 * reports. */
static int
gap_before(const char *before, const char *v)
{
    return before[0] != '\0' && strata_version_is_sequence(before) &&
           strata_version_is_sequence(v) && strata_version_gap(v, before);
}

/* A history row strata writes for an applied versioned migration. Rows the database sorted
 * otherwise than strata ("9" after "10") need no check of their own: they cannot meet the
 * files' versions, which come in strata's order, one by one. */
static int
row_expected(int ncols, const char *const *v)
{
    if (ncols != 5 || v[0] == NULL || v[1] == NULL || v[2] == NULL || v[4] == NULL)
        return 0;
    size_t n = strlen(v[0]);
    return n <= STRATA_VERSION_MAX && strata_version_check(v[0], n, NULL) == 0 &&
           strcmp(v[1], "versioned") == 0 && strcmp(v[4], "applied") == 0;
}

/* Whether the scripts read have nothing validate would report: an empty script, no down
 * script, a down script edited since (recorded_down NULL: none was recorded). */
static int
quiet_for_validate(const strata_script *up, const strata_script *down, const char *recorded_down)
{
    if (up->empty || down->path == NULL || down->empty)
        return 0;
    return recorded_down == NULL || strcmp(recorded_down, down->checksum) == 0;
}

/* The files of the row's version, read and compared with it. */
static int
files_match(walk *w, const char *const *v)
{
    strata_listed files;
    if (strata_listing_next(w->files, &files) != 1 || strata_version_cmp(files.version, v[0]) != 0)
        return 0; /* files of another version, or none: something pending or missing */
    if (w->purpose == STRATA_UPTODATE_VALIDATE && gap_before(w->file_before, files.version))
        return 0;
    memcpy(w->file_before, files.version, sizeof(files.version));
    strata_script up, down;
    if (!strata_listing_scripts(w->files, w->cache, &files, &up, &down))
        return 0;
    int same = strcmp(up.checksum, v[2]) == 0 &&
               (w->purpose != STRATA_UPTODATE_VALIDATE || quiet_for_validate(&up, &down, v[3]));
    strata_script_free(&up);
    strata_script_free(&down);
    return same;
}

static int
on_row(void *ctx, int ncols, const char *const *values)
{
    walk *w = ctx;
    if (!row_expected(ncols, values) || !files_match(w, values)) {
        w->gave_up = 1;
        return 1;
    }
    w->matched++;
    return 0;
}

/* Walks the history against w->files; the number of migrations matched, 0 on giving up. */
static size_t
walk_history(strata *s, walk *w)
{
    strata_error err = STRATA_ERROR_INIT;
    int exists = 0;
    if (strata_tables_ensure(s, 0, &exists, &err) != STRATA_OK || !exists ||
        s->history_schema != STRATA_HISTORY_SCHEMA)
        return 0;
    char *sql = strata_xasprintf("SELECT version, kind, checksum, down_checksum, state FROM %s "
                                 "ORDER BY version DESC",
                                 s->names.migrations);
    int rc = strata_session_query(s, sql, on_row, w, &err);
    free(sql);
    strata_listed more;
    if (rc != STRATA_OK || w->gave_up || strata_listing_next(w->files, &more) != 0)
        return 0;
    return w->matched;
}

size_t
strata_uptodate(strata *s, strata_uptodate_purpose purpose)
{
    const strata_fs_set *before = strata_session_files(s);
    walk w = {.purpose = purpose, .files = strata_listing_read(s->dir)};
    size_t matched = 0;
    if (w.files != NULL && strata_listing_count(w.files) > 0) {
        w.cache = strata_scan_cache_open(s->dir);
        matched = walk_history(s, &w);
        if (matched > 0)
            strata_scan_cache_close(w.cache); /* every file was asked for: kept in step */
        else
            strata_scan_cache_discard(w.cache); /* a partial walk must not cut the cache */
    }
    strata_listing_free(w.files);
    strata_fs_use(before);
    return matched;
}
