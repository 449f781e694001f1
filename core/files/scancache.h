/*
 * A stat-keyed cache of what reading each migration file found (its scripts' offsets,
 * checksums, flags), so that a run over a long, unchanged history stats its files instead
 * of reading them, as git's index does for a working tree.
 *
 * An entry is trusted only when the file's device, inode, size, modification time and
 * change time are all what they were when it was read. Editing a file changes its change
 * time, which no program can set back (touch -d restores the modification time only). The
 * one edit a stat cannot see is one made within the file system's timestamp granularity of
 * the read it follows ("racy" in git's words): files changed less than
 * STRATA_SCAN_CACHE_SETTLE seconds before a run are therefore read and not remembered, so
 * that such an edit is always read in full by the next run.
 *
 * The cache lives in $STRATA_CACHE_DIR, else $XDG_CACHE_HOME/strata, else ~/.cache/strata,
 * one file per migrations directory (named by a hash of its absolute path).
 * STRATA_CACHE_DIR=off turns it off (an empty value counts as unset). It is an optimisation only: a
 * cache that is missing, unreadable, corrupt or unwritable is ignored and every file is read.
 */
#ifndef STRATA_SCANCACHE_H
#define STRATA_SCANCACHE_H

#include <sys/stat.h>

#include <strata/types.h>

#include "script.h"

/* Seconds a file must have been left alone before what was read from it is remembered. */
#define STRATA_SCAN_CACHE_SETTLE 2

typedef struct strata_scan_cache strata_scan_cache;

/* What keys a file's entry: the stat(2) fields that any change to its contents moves. */
typedef struct strata_file_stamp {
    unsigned long long dev, ino;
    long long size, mtime_sec, ctime_sec;
    long mtime_nsec, ctime_nsec;
} strata_file_stamp;

/* The stamp of a file from its stat(2). */
void strata_file_stamp_of(const struct stat *st, strata_file_stamp *out);

/*
 * The cache of the migrations directory dir, loaded; NULL when caching is off, dir is a set
 * compiled into the program, or dir has no absolute path. Freed (and written back when it
 * changed) by strata_scan_cache_close.
 */
strata_scan_cache *strata_scan_cache_open(const char *dir);

/*
 * strata_script_scan(dir/file, sectioned, up, down, info) through the cache: when the entry
 * for file matches its stamp, the scripts are filled from it and the file is
 * not read; otherwise it is read, and remembered when it is settled and read without error.
 * cache may be NULL (then the file is read). Ownership as for strata_script_scan.
 */
int strata_scan_cache_scan(strata_scan_cache *cache, const char *dir, const char *file,
                           const strata_file_stamp *stamp, int sectioned, strata_script *up,
                           strata_script *down, strata_file_info *info, strata_error *err);

/* Writes the cache back when this run changed it (entries added, replaced or no longer
 * used), then frees it. NULL is allowed. */
void strata_scan_cache_close(strata_scan_cache *cache);

/* Frees the cache without writing anything back: for a reader that stopped part of the
 * way, whose partial order would otherwise replace the cache's. NULL is allowed. */
void strata_scan_cache_discard(strata_scan_cache *cache);

#endif
