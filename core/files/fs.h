/*
 * Where migration files are read from: the disk, or a set of files compiled into the
 * program (strata embed, strata_options.embedded). The readers of core/files/ open, list and
 * examine files only through these calls; while a set is in use on the thread
 * (strata_fs_use), paths under its root are looked up in the set and nothing else is
 * found there.
 */
#ifndef STRATA_FS_H
#define STRATA_FS_H

#include <stdio.h>
#include <sys/stat.h>

#include <strata/strata.h>

/* The set in use: paths root/REL name the file of the set whose path is REL. */
typedef struct strata_fs_set {
    const char *root;
    const strata_embedded_file *files; /* ends with a NULL path */
} strata_fs_set;

/* Makes set (NULL: the disk) the one this thread reads; returns the one it replaces, for
 * putting it back. */
const strata_fs_set *strata_fs_use(const strata_fs_set *set);

/* fopen(path, "rb"); an embedded file is read from memory. NULL with errno set. */
FILE *strata_fs_fopen(const char *path);

typedef struct strata_fs_dir strata_fs_dir;
/* Lists a folder; NULL with errno set when there is none. */
strata_fs_dir *strata_fs_opendir(const char *path);
/* The next entry's name (valid until the next call), NULL at the end. */
const char *strata_fs_readdir(strata_fs_dir *d);
/* What the entry strata_fs_readdir returned last is, as the listing says it without a
 * stat(2): STRATA_FS_KIND_UNKNOWN (a symbolic link, a file system that does not say, a set
 * compiled in) means ask strata_fs_dir_stat. */
#define STRATA_FS_KIND_UNKNOWN (-1)
#define STRATA_FS_KIND_OTHER 0 /* a FIFO, a socket, a device */
#define STRATA_FS_KIND_FILE 1
#define STRATA_FS_KIND_FOLDER 2
int strata_fs_dir_kind(const strata_fs_dir *d);
/* stat(2) of name (may hold '/') inside the folder d lists: on the disk relative to the
 * folder's own descriptor, so the folder's path is not walked again for each entry (a scan
 * examines every entry: at 10,000 migrations that walk is a tenth of the scan's time). */
int strata_fs_dir_stat(strata_fs_dir *d, const char *name, struct stat *st);
void strata_fs_closedir(strata_fs_dir *d);

/* Regular files under a folder, as paths relative to it, sorted (strata_fs_list_files). */
typedef struct strata_fs_list {
    char **paths;
    size_t count;
} strata_fs_list;

/*
 * Lists every regular file under dir, in its sub-folders too, whose name ends with suffix
 * ("" for all), hidden entries (.name) skipped. *out is the caller's, freed with
 * strata_fs_list_free. STRATA_ERROR naming the folder that cannot be read.
 */
int strata_fs_list_files(const char *dir, const char *suffix, strata_fs_list *out,
                         strata_error *err);
void strata_fs_list_free(strata_fs_list *l);

/* True when path is read from the disk, not from the set in use. */
int strata_fs_is_disk(const char *path);

/* stat(2) and lstat(2); an embedded file is a regular file of its size, a folder of the set
 * a directory. */
int strata_fs_stat(const char *path, struct stat *st);
int strata_fs_lstat(const char *path, struct stat *st);

#endif
