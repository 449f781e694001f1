/*
 * Listing a plain folder of migrations by name (listing.h).
 *
 * Each file is one string of the pool, preceded by two bytes: its role ('u' up, 'd' down,
 * 's' one file) and the length of the version its name starts with, the top bit set when
 * the version is plain digits (two such versions of one length compare as their bytes do).
 * The list holds a pointer to each name, sorted by version: about 30 bytes a file.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "listing.h"
#include "names.h"
#include "sqitch.h"
#include "strpool.h"
#include "util.h"

#define PLAIN_BIT 0x80
#define STRATA_LISTED_NAME_MAX 255 /* NAME_MAX on Linux */

struct strata_listing {
    char *dir;
    strata_fs_dir *folder; /* kept open: the files are examined through its descriptor */
    strata_strpool *names;
    const char **files; /* sorted by version; each name has its two bytes before it */
    size_t count, cap;
    size_t versions;
    size_t next; /* files[0, next) are still to be handed out, from the top */
};

static char
role_of(const char *file)
{
    return file[-2];
}

static size_t
version_len(const char *file)
{
    return (unsigned char)file[-1] & ~PLAIN_BIT;
}

static int
is_plain(const char *file)
{
    return ((unsigned char)file[-1] & PLAIN_BIT) != 0;
}

/* The version of file, NUL-terminated in buf (STRATA_VERSION_MAX + 1 bytes). */
static const char *
version_of(const char *file, char *buf)
{
    size_t n = version_len(file);
    memcpy(buf, file, n);
    buf[n] = '\0';
    return buf;
}

static int
cmp_versions(const char *a, const char *b)
{
    size_t na = version_len(a), nb = version_len(b);
    if (is_plain(a) && is_plain(b) && na == nb) {
        int c = memcmp(a, b, na);
        return (c > 0) - (c < 0);
    }
    char va[STRATA_VERSION_MAX + 1], vb[STRATA_VERSION_MAX + 1];
    return strata_version_cmp(version_of(a, va), version_of(b, vb));
}

static int
cmp_files(const void *x, const void *y)
{
    return cmp_versions(*(const char *const *)x, *(const char *const *)y);
}

/* Adds entry when its name is a plain migration's; 0 when it is not (the listing gives
 * up). */
static int
add_file(strata_listing *l, const char *entry)
{
    strata_file_name n;
    const char *why;
    if (strata_file_name_parse(entry, &n, &why) != 0)
        return 0;
    size_t v = n.version != NULL ? strlen(n.version) : 0;
    int plain = (n.kind == 'u' || n.kind == 'd' || n.kind == 's') && n.tag == NULL && v > 0 &&
                v <= STRATA_VERSION_MAX && strncmp(entry, n.version, v) == 0;
    int digits = plain && strata_version_plain_len(n.version) == v;
    char role = n.kind;
    strata_file_name_free(&n);
    if (!plain)
        return 0;
    char text[2 + STRATA_LISTED_NAME_MAX + 1];
    size_t len = strlen(entry);
    if (len > STRATA_LISTED_NAME_MAX)
        return 0;
    text[0] = role;
    text[1] = (char)(v | (digits ? PLAIN_BIT : 0));
    memcpy(text + 2, entry, len + 1);
    char *at = strata_strpool_copy(l->names, text, len + 2);
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->files = strata_xrealloc(l->files, l->cap * sizeof(*l->files));
    }
    l->files[l->count++] = at + 2;
    return 1;
}

/* What the entry just read is: a kind as strata_fs_dir_kind says, asking stat(2) only when
 * the listing did not say. */
static int
entry_kind(strata_fs_dir *folder, const char *entry)
{
    int kind = strata_fs_dir_kind(folder);
    if (kind != STRATA_FS_KIND_UNKNOWN)
        return kind;
    struct stat st;
    if (strata_fs_dir_stat(folder, entry, &st) != 0)
        return STRATA_FS_KIND_OTHER;
    return S_ISREG(st.st_mode)   ? STRATA_FS_KIND_FILE
           : S_ISDIR(st.st_mode) ? STRATA_FS_KIND_FOLDER
                                 : STRATA_FS_KIND_OTHER;
}

/* Reads the folder's entries; 0 when one of them is not plain. */
static int
list_entries(strata_listing *l)
{
    const char *e;
    while ((e = strata_fs_readdir(l->folder)) != NULL) {
        if (e[0] == '.')
            continue;
        int kind = entry_kind(l->folder, e);
        int sql = strata_ends_with(e, ".sql");
        if (kind == STRATA_FS_KIND_FOLDER || (sql && kind != STRATA_FS_KIND_FILE))
            return 0; /* rollback/, a dialect's folder, a migration folder, a FIFO ... */
        if (sql && !add_file(l, e))
            return 0;
    }
    return 1;
}

strata_listing *
strata_listing_read(const char *dir)
{
    if (!strata_fs_is_disk(dir) || strata_sqitch_is_project(dir))
        return NULL;
    strata_fs_dir *folder = strata_fs_opendir(dir);
    if (folder == NULL)
        return NULL;
    strata_listing *l = strata_xcalloc(1, sizeof(*l));
    l->dir = strata_xstrdup(dir);
    l->folder = folder;
    l->names = strata_strpool_new();
    if (!list_entries(l)) {
        strata_listing_free(l);
        return NULL;
    }
    if (l->count > 1)
        qsort(l->files, l->count, sizeof(*l->files), cmp_files);
    for (size_t i = 0; i < l->count; i++)
        l->versions += i == 0 || cmp_versions(l->files[i - 1], l->files[i]) != 0;
    l->next = l->count;
    return l;
}

void
strata_listing_free(strata_listing *l)
{
    if (l == NULL)
        return;
    strata_fs_closedir(l->folder);
    strata_strpool_free(l->names);
    free(l->files);
    free(l->dir);
    free(l);
}

size_t
strata_listing_count(const strata_listing *l)
{
    return l->versions;
}

int
strata_listing_next(strata_listing *l, strata_listed *out)
{
    if (l->next == 0)
        return 0;
    size_t end = l->next, start = end - 1;
    while (start > 0 && cmp_versions(l->files[start - 1], l->files[end - 1]) == 0)
        start--;
    l->next = start;
    memset(out, 0, sizeof(*out));
    int ups = 0, downs = 0;
    for (size_t i = start; i < end; i++) {
        const char *f = l->files[i];
        if (role_of(f) == 'd') {
            out->down = f;
            downs++;
        } else {
            out->up = f;
            out->sectioned = role_of(f) == 's';
            ups++;
        }
    }
    if (ups != 1 || downs > 1 || (out->sectioned && downs > 0))
        return -1;
    version_of(out->up, out->version);
    return 1;
}

/* The stamp of the listed file, taken through the folder's descriptor as the full scan
 * takes it; 0 when it is no longer a regular file. */
static int
stamp_of(strata_listing *l, const char *file, strata_file_stamp *out)
{
    struct stat st;
    if (strata_fs_dir_stat(l->folder, file, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    strata_file_stamp_of(&st, out);
    return 1;
}

int
strata_listing_scripts(strata_listing *l, strata_scan_cache *cache, const strata_listed *v,
                       strata_script *up, strata_script *down)
{
    memset(up, 0, sizeof(*up));
    memset(down, 0, sizeof(*down));
    strata_error ignored = STRATA_ERROR_INIT;
    strata_file_info info = {0};
    strata_file_stamp stamp;
    int ok = stamp_of(l, v->up, &stamp) &&
             strata_scan_cache_scan(cache, l->dir, v->up, &stamp, v->sectioned, up,
                                    v->sectioned ? down : NULL, &info, &ignored) == STRATA_OK &&
             !info.liquibase;
    if (ok && v->down != NULL)
        ok = stamp_of(l, v->down, &stamp) &&
             strata_scan_cache_scan(cache, l->dir, v->down, &stamp, 0, NULL, down, NULL,
                                    &ignored) == STRATA_OK;
    if (!ok) {
        strata_script_free(up);
        strata_script_free(down);
        memset(up, 0, sizeof(*up));
        memset(down, 0, sizeof(*down));
    }
    return ok;
}
