#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "util.h"

static _Thread_local const strata_fs_set *current;

const strata_fs_set *
strata_fs_use(const strata_fs_set *set)
{
    const strata_fs_set *before = current;
    current = set;
    return before;
}

/* The part of path below the set's root ("" for the root itself), or NULL when path is not
 * under it (or no set is in use). */
static const char *
below_root(const char *path)
{
    if (current == NULL)
        return NULL;
    size_t n = strlen(current->root);
    while (n > 1 && current->root[n - 1] == '/')
        n--;
    if (strncmp(path, current->root, n) != 0)
        return NULL;
    if (path[n] == '\0')
        return path + n;
    return path[n] == '/' ? path + n + 1 : NULL;
}

static const strata_embedded_file *
find_file(const char *rel)
{
    for (const strata_embedded_file *f = current->files; f->path != NULL; f++)
        if (strcmp(f->path, rel) == 0)
            return f;
    return NULL;
}

/* True when some file of the set lies below the folder rel ("" is the root). */
static int
is_folder(const char *rel)
{
    size_t n = strlen(rel);
    for (const strata_embedded_file *f = current->files; f->path != NULL; f++)
        if (n == 0 || (strncmp(f->path, rel, n) == 0 && f->path[n] == '/'))
            return 1;
    return n == 0;
}

FILE *
strata_fs_fopen(const char *path)
{
    const char *rel = below_root(path);
    if (rel == NULL)
        return fopen(path, "rb");
    const strata_embedded_file *f = find_file(rel);
    if (f == NULL) {
        errno = is_folder(rel) ? EISDIR : ENOENT;
        return NULL;
    }
    if (f->size == 0) /* fmemopen() refuses a zero size: an empty stream of one's own */
        return fopen("/dev/null", "rb");
    return fmemopen((void *)f->data, f->size, "rb");
}

struct strata_fs_dir {
    DIR *disk;                        /* reading the disk, else the set */
    char *rel;                        /* the folder below the root, "" for the root */
    const strata_embedded_file *next; /* the next file of the set to look at */
    char **seen;                      /* names returned so far (a folder comes once) */
    size_t nseen;
    int kind; /* of the entry last returned: STRATA_FS_KIND_* */
};

strata_fs_dir *
strata_fs_opendir(const char *path)
{
    const char *rel = below_root(path);
    strata_fs_dir *d;
    if (rel == NULL) {
        DIR *disk = opendir(path);
        if (disk == NULL)
            return NULL;
        d = strata_xcalloc(1, sizeof(*d));
        d->disk = disk;
        return d;
    }
    if (!is_folder(rel) || find_file(rel) != NULL) {
        errno = find_file(rel) != NULL ? ENOTDIR : ENOENT;
        return NULL;
    }
    d = strata_xcalloc(1, sizeof(*d));
    d->rel = strata_xstrdup(rel);
    d->next = current->files;
    return d;
}

static int
seen(strata_fs_dir *d, const char *name, size_t n)
{
    for (size_t i = 0; i < d->nseen; i++)
        if (strlen(d->seen[i]) == n && strncmp(d->seen[i], name, n) == 0)
            return 1;
    return 0;
}

const char *
strata_fs_readdir(strata_fs_dir *d)
{
    d->kind = STRATA_FS_KIND_UNKNOWN;
    if (d->disk != NULL) {
        struct dirent *e = readdir(d->disk);
        if (e == NULL)
            return NULL;
#ifdef _DIRENT_HAVE_D_TYPE
        d->kind = e->d_type == DT_REG   ? STRATA_FS_KIND_FILE
                  : e->d_type == DT_DIR ? STRATA_FS_KIND_FOLDER
                  : e->d_type == DT_FIFO || e->d_type == DT_SOCK || e->d_type == DT_CHR ||
                          e->d_type == DT_BLK
                      ? STRATA_FS_KIND_OTHER
                      : STRATA_FS_KIND_UNKNOWN; /* a link, or a file system that does not say */
#endif
        return e->d_name;
    }
    size_t n = strlen(d->rel);
    for (; d->next->path != NULL; d->next++) {
        const char *p = d->next->path;
        if (n > 0 && (strncmp(p, d->rel, n) != 0 || p[n] != '/'))
            continue;
        const char *name = n > 0 ? p + n + 1 : p;
        size_t len = strcspn(name, "/"); /* a file here, or the folder it is in */
        if (seen(d, name, len))
            continue;
        d->seen = strata_xrealloc(d->seen, (d->nseen + 1) * sizeof(*d->seen));
        d->seen[d->nseen++] = strata_xstrndup(name, len);
        d->next++;
        return d->seen[d->nseen - 1];
    }
    return NULL;
}

int
strata_fs_dir_kind(const strata_fs_dir *d)
{
    return d->kind;
}

int
strata_fs_dir_stat(strata_fs_dir *d, const char *name, struct stat *st)
{
    if (d->disk != NULL)
        return fstatat(dirfd(d->disk), name, st, 0);
    char *in_set =
        d->rel[0] != '\0' ? strata_xasprintf("%s/%s", d->rel, name) : strata_xstrdup(name);
    char *path = strata_path_join(current->root, in_set);
    int rc = strata_fs_stat(path, st);
    free(path);
    free(in_set);
    return rc;
}

void
strata_fs_closedir(strata_fs_dir *d)
{
    if (d == NULL)
        return;
    if (d->disk != NULL)
        closedir(d->disk);
    for (size_t i = 0; i < d->nseen; i++)
        free(d->seen[i]);
    free(d->seen);
    free(d->rel);
    free(d);
}

int
strata_fs_is_disk(const char *path)
{
    return below_root(path) == NULL;
}

int
strata_fs_stat(const char *path, struct stat *st)
{
    const char *rel = below_root(path);
    if (rel == NULL)
        return stat(path, st);
    memset(st, 0, sizeof(*st));
    const strata_embedded_file *f = find_file(rel);
    if (f != NULL) {
        st->st_mode = S_IFREG | 0444;
        st->st_size = (off_t)f->size;
        return 0;
    }
    if (is_folder(rel)) {
        st->st_mode = S_IFDIR | 0555;
        return 0;
    }
    errno = ENOENT;
    return -1;
}

int
strata_fs_lstat(const char *path, struct stat *st)
{
    return below_root(path) != NULL ? strata_fs_stat(path, st) : lstat(path, st);
}

/* Adds the files of dir/sub (recursively) to l. */
static int
list_under(const char *dir, const char *sub, const char *suffix, strata_fs_list *l,
           strata_error *err)
{
    char *path = sub ? strata_path_join(dir, sub) : strata_xstrdup(dir);
    strata_fs_dir *dh = strata_fs_opendir(path);
    int rc = STRATA_OK;
    if (dh == NULL) {
        rc = strata_fail(err, STRATA_ERROR, "cannot read %s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    const char *e;
    while (rc == STRATA_OK && (e = strata_fs_readdir(dh)) != NULL) {
        if (e[0] == '.')
            continue;
        char *rel = sub ? strata_xasprintf("%s/%s", sub, e) : strata_xstrdup(e);
        char *full = strata_path_join(dir, rel);
        struct stat st;
        int type = strata_fs_stat(full, &st) == 0 ? (int)(st.st_mode & S_IFMT) : 0;
        free(full);
        if (type == S_IFDIR) {
            rc = list_under(dir, rel, suffix, l, err);
        } else if (type == S_IFREG && strata_ends_with(rel, suffix)) {
            l->paths = strata_xrealloc(l->paths, (l->count + 1) * sizeof(*l->paths));
            l->paths[l->count++] = rel;
            continue;
        }
        free(rel);
    }
    strata_fs_closedir(dh);
    free(path);
    return rc;
}

static int
cmp_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
strata_fs_list_files(const char *dir, const char *suffix, strata_fs_list *out, strata_error *err)
{
    memset(out, 0, sizeof(*out));
    int rc = list_under(dir, NULL, suffix, out, err);
    if (rc != STRATA_OK)
        strata_fs_list_free(out);
    else if (out->count > 1)
        qsort(out->paths, out->count, sizeof(*out->paths), cmp_paths);
    return rc;
}

void
strata_fs_list_free(strata_fs_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof(*l));
}
