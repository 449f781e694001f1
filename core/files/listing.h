/*
 * A plain folder of migrations, listed by name only: what the check of an up-to-date
 * history (core/engine/uptodate.c) walks, so that thousands of applied migrations are
 * compared with the history without either being held whole (the full scan, source.c,
 * holds every migration it reads).
 *
 * Plain is the common layout: regular files directly in the folder, each named
 * VERSION_name.up.sql, VERSION_name.down.sql or VERSION_name.sql (sections or none), no
 * dialect tag, no sub-folder, no Flyway, sqitch or Liquibase file, and per version one up
 * file and at most one down file. Anything else makes the listing give up, and the full
 * scan reads the folder as it always does (and says what is wrong, if anything is).
 */
#ifndef STRATA_LISTING_H
#define STRATA_LISTING_H

#include "scancache.h"
#include "source.h"
#include "version.h"

typedef struct strata_listing strata_listing;

/*
 * Lists dir when it is plain; NULL when it is not, cannot be read, or is a set compiled
 * into the program. Holds the files' names (about 30 bytes a file) and the folder open; the
 * caller frees it with strata_listing_free (NULL is allowed there).
 */
strata_listing *strata_listing_read(const char *dir);
void strata_listing_free(strata_listing *l);

/* The number of versions listed. */
size_t strata_listing_count(const strata_listing *l);

/* One version's files, as strata_listing_next hands them out. The names are the
 * listing's. */
typedef struct strata_listed {
    char version[STRATA_VERSION_MAX + 1]; /* as the file names spell it */
    const char *up;                       /* the up file, or the one file (sectioned) */
    const char *down;                     /* the down file; NULL: none, or sectioned */
    int sectioned;                        /* up is VERSION_name.sql: it may hold a down section */
} strata_listed;

/*
 * The next version, from the highest down (the order in which the full scan reads them, and
 * so the order of the scan cache). Returns 1 with *out filled, 0 when every version was
 * handed out, -1 when this version's files are not plain (two up files, a down file
 * without an up file, a down file beside a one-file migration).
 */
int strata_listing_next(strata_listing *l, strata_listed *out);

/*
 * Reads the scripts of v through cache exactly as the full scan reads them (the same files
 * in the same order, so that the cache stays in step): *up, and *down (its path NULL when
 * the migration has none). Returns 1 when read, 0 when v is not plain after all (a
 * Liquibase changelog, a file gone or changed into something else) or cannot be read:
 * then nothing is kept. The scripts are the caller's, freed with strata_script_free.
 */
int strata_listing_scripts(strata_listing *l, strata_scan_cache *cache, const strata_listed *v,
                           strata_script *up, strata_script *down);

#endif
