#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checksum.h"
#include "fs.h"
#include "scancache.h"
#include "util.h"

#define CACHE_MAGIC "strata-scan-cache 1"

/* One script of a file as reading it found it. */
typedef struct script_rec {
    int present;
    long first_line;
    long long offset, length;
    unsigned flags;
    int empty;
    char checksum[STRATA_CHECKSUM_HEX];
} script_rec;

/* One file: the stat that keys it and what was read. */
typedef struct entry {
    char *file; /* relative to the directory; no tab or newline */
    unsigned mode;
    unsigned long long dev, ino;
    long long size, msec, mnsec, csec, cnsec;
    unsigned info; /* strata_file_info: saw_marker 1, goose 2, liquibase 4 */
    script_rec up, down;
    int used; /* met by this run: written back */
} entry;

struct strata_scan_cache {
    char *path; /* the cache file */
    char *dir;  /* the directory's absolute path */
    entry *items;
    size_t count, cap;
    size_t *slots; /* open addressing over items: index + 1, 0 empty */
    size_t nslots;
    int changed;
};

/* ------------------------------------------------------------------ the table */

static size_t
hash_name(const char *s)
{
    size_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void
rehash(strata_scan_cache *c)
{
    free(c->slots);
    c->nslots = 64;
    while (c->nslots < c->count * 2 + 2)
        c->nslots *= 2;
    c->slots = strata_xcalloc(c->nslots, sizeof(*c->slots));
    for (size_t i = 0; i < c->count; i++) {
        size_t s = hash_name(c->items[i].file) & (c->nslots - 1);
        while (c->slots[s] != 0)
            s = (s + 1) & (c->nslots - 1);
        c->slots[s] = i + 1;
    }
}

static entry *
find(strata_scan_cache *c, const char *file)
{
    if (c->nslots == 0)
        return NULL;
    for (size_t s = hash_name(file) & (c->nslots - 1); c->slots[s] != 0;
         s = (s + 1) & (c->nslots - 1))
        if (strcmp(c->items[c->slots[s] - 1].file, file) == 0)
            return &c->items[c->slots[s] - 1];
    return NULL;
}

/* Adds e (taking e->file) or replaces the entry of the same file. */
static void
put(strata_scan_cache *c, entry *e)
{
    entry *old = find(c, e->file);
    if (old != NULL) {
        free(old->file);
        *old = *e;
        return;
    }
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->items = strata_xrealloc(c->items, c->cap * sizeof(*c->items));
    }
    c->items[c->count++] = *e;
    if (c->count * 2 + 2 > c->nslots)
        rehash(c);
    else {
        size_t s = hash_name(e->file) & (c->nslots - 1);
        while (c->slots[s] != 0)
            s = (s + 1) & (c->nslots - 1);
        c->slots[s] = c->count;
    }
}

static void
drop_all(strata_scan_cache *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->items[i].file);
    c->count = 0;
    free(c->slots);
    c->slots = NULL;
    c->nslots = 0;
}

/* ------------------------------------------------------------------ the file */

/* Parses the next tab-ended field of *p as a decimal number in [lo, hi]. */
static int
field_num(char **p, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(*p, &end, 10);
    if (end == *p || errno != 0 || v < lo || v > hi || (*end != '\t' && *end != ','))
        return -1;
    *out = v;
    *p = end + 1;
    return 0;
}

static int
parse_script(char **p, script_rec *r)
{
    if (**p == '-') {
        memset(r, 0, sizeof(*r));
        if ((*p)[1] != '\t' && (*p)[1] != '\n' && (*p)[1] != '\0')
            return -1;
        *p += 2;
        return 0;
    }
    long long line, off, len, flags, empty;
    if (field_num(p, 1, LONG_MAX, &line) || field_num(p, 0, LLONG_MAX, &off) ||
        field_num(p, 0, LLONG_MAX, &len) || field_num(p, 0, UINT_MAX, &flags) ||
        field_num(p, 0, 1, &empty))
        return -1;
    size_t n = strspn(*p, "0123456789abcdef");
    if (n != STRATA_CHECKSUM_HEX - 1)
        return -1;
    *r = (script_rec){.present = 1,
                      .first_line = (long)line,
                      .offset = off,
                      .length = len,
                      .flags = (unsigned)flags,
                      .empty = (int)empty};
    memcpy(r->checksum, *p, n);
    r->checksum[n] = '\0';
    *p += n + ((*p)[n] != '\0');
    return 0;
}

/* One line: FILE \t mode dev ino size msec mnsec csec cnsec info \t UP \t DOWN (numbers
 * tab-separated). */
static int
parse_entry(char *line, entry *e)
{
    memset(e, 0, sizeof(*e));
    char *tab = strchr(line, '\t');
    if (tab == NULL || tab == line)
        return -1;
    *tab = '\0';
    char *p = tab + 1;
    long long v[9];
    for (int i = 0; i < 9; i++)
        if (field_num(&p, 0, LLONG_MAX, &v[i]))
            return -1;
    if (parse_script(&p, &e->up) || parse_script(&p, &e->down))
        return -1;
    e->mode = (unsigned)v[0];
    e->dev = (unsigned long long)v[1];
    e->ino = (unsigned long long)v[2];
    e->size = v[3];
    e->msec = v[4];
    e->mnsec = v[5];
    e->csec = v[6];
    e->cnsec = v[7];
    e->info = (unsigned)v[8];
    e->file = strata_xstrdup(line);
    return 0;
}

static void
load(strata_scan_cache *c)
{
    FILE *f = fopen(c->path, "r");
    if (f == NULL)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    char *header = strata_xasprintf("%s\t%s\n", CACHE_MAGIC, c->dir);
    int ok = n > 0 && strcmp(line, header) == 0;
    free(header);
    while (ok && (n = getline(&line, &cap, f)) > 0) {
        entry e;
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        ok = parse_entry(line, &e) == 0;
        if (ok)
            put(c, &e);
    }
    if (!ok) { /* written by something else, or cut short: start again */
        drop_all(c);
        c->changed = 1;
    }
    free(line);
    fclose(f);
}

/* The folder of the cache files, created when missing; NULL when caching is off. */
static char *
cache_folder(void)
{
    const char *own = getenv("STRATA_CACHE_DIR");
    if (own != NULL && *own != '\0') /* an empty value counts as unset */
        return strcmp(own, "off") == 0 ? NULL : strata_xstrdup(own);
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char *base;
    if (xdg != NULL && xdg[0] == '/')
        base = strata_xstrdup(xdg);
    else if (home != NULL && home[0] == '/')
        base = strata_path_join(home, ".cache");
    else
        return NULL;
    (void)mkdir(base, 0700);
    char *folder = strata_path_join(base, "strata");
    free(base);
    return folder;
}

strata_scan_cache *
strata_scan_cache_open(const char *dir)
{
    if (!strata_fs_is_disk(dir))
        return NULL;
    char *folder = cache_folder();
    if (folder == NULL)
        return NULL;
    char *abs = realpath(dir, NULL);
    if (abs == NULL || (mkdir(folder, 0700) != 0 && errno != EEXIST)) {
        free(abs);
        free(folder);
        return NULL;
    }
    char sum[STRATA_CHECKSUM_HEX];
    strata_checksum_buffer(abs, strlen(abs), sum);
    sum[32] = '\0';
    strata_scan_cache *c = strata_xcalloc(1, sizeof(*c));
    c->path = strata_xasprintf("%s/%s.scan", folder, sum);
    c->dir = abs;
    free(folder);
    load(c);
    return c;
}

static void
write_script(FILE *f, const script_rec *r)
{
    if (!r->present)
        fputs("\t-", f);
    else
        fprintf(f, "\t%ld,%lld,%lld,%u,%d,%s", r->first_line, r->offset, r->length, r->flags,
                r->empty, r->checksum);
}

/* Writes the entries this run used to a new file put in place by rename(2): a reader sees
 * the old cache or the new one. */
static void
save(strata_scan_cache *c)
{
    char *tmp = strata_xasprintf("%s.%ld.tmp", c->path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        free(tmp);
        return;
    }
    fprintf(f, "%s\t%s\n", CACHE_MAGIC, c->dir);
    for (size_t i = 0; i < c->count; i++) {
        const entry *e = &c->items[i];
        if (!e->used)
            continue;
        fprintf(f, "%s\t%u\t%llu\t%llu\t%lld\t%lld\t%lld\t%lld\t%lld\t%u", e->file, e->mode, e->dev,
                e->ino, e->size, e->msec, e->mnsec, e->csec, e->cnsec, e->info);
        write_script(f, &e->up);
        write_script(f, &e->down);
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, c->path) != 0)
        unlink(tmp);
    free(tmp);
}

void
strata_scan_cache_close(strata_scan_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->count && !c->changed; i++)
        c->changed = !c->items[i].used;
    if (c->changed)
        save(c);
    drop_all(c);
    free(c->items);
    free(c->path);
    free(c->dir);
    free(c);
}

/* ------------------------------------------------------------------ looking up */

static unsigned
scan_mode(int sectioned, const strata_script *up, const strata_script *down)
{
    return (sectioned ? 4u : 0u) | (up != NULL ? 2u : 0u) | (down != NULL ? 1u : 0u);
}

static int
matches(const entry *e, unsigned mode, const struct stat *st)
{
    return e->mode == mode && e->dev == (unsigned long long)st->st_dev &&
           e->ino == (unsigned long long)st->st_ino && e->size == (long long)st->st_size &&
           e->msec == (long long)st->st_mtim.tv_sec && e->mnsec == st->st_mtim.tv_nsec &&
           e->csec == (long long)st->st_ctim.tv_sec && e->cnsec == st->st_ctim.tv_nsec;
}

/* Settled: neither changed within the last STRATA_SCAN_CACHE_SETTLE seconds (nor in the
 * future), so an edit after this run gets a change time of its own. */
static int
settled(const struct stat *st)
{
    time_t now = time(NULL);
    return st->st_mtim.tv_sec + STRATA_SCAN_CACHE_SETTLE < now &&
           st->st_ctim.tv_sec + STRATA_SCAN_CACHE_SETTLE < now;
}

static void
fill_script(const script_rec *r, const char *path, strata_script *s)
{
    if (s == NULL || !r->present)
        return;
    s->path = strata_xstrdup(path);
    s->first_line = r->first_line;
    s->offset = r->offset;
    s->length = r->length;
    s->flags |= r->flags;
    s->empty = r->empty;
    memcpy(s->checksum, r->checksum, sizeof(s->checksum));
}

static void
record_script(const strata_script *s, script_rec *r)
{
    memset(r, 0, sizeof(*r));
    if (s == NULL || s->path == NULL)
        return;
    *r = (script_rec){.present = 1,
                      .first_line = s->first_line,
                      .offset = s->offset,
                      .length = s->length,
                      .flags = s->flags,
                      .empty = s->empty};
    memcpy(r->checksum, s->checksum, sizeof(r->checksum));
}

/* Remembers what reading file found, when the file is settled and its name storable. */
static void
remember(strata_scan_cache *c, const char *file, unsigned mode, const struct stat *st,
         const strata_script *up, const strata_script *down, const strata_file_info *info)
{
    if (!settled(st) || strpbrk(file, "\t\n") != NULL)
        return;
    entry e = {.file = strata_xstrdup(file),
               .mode = mode,
               .dev = (unsigned long long)st->st_dev,
               .ino = (unsigned long long)st->st_ino,
               .size = (long long)st->st_size,
               .msec = (long long)st->st_mtim.tv_sec,
               .mnsec = st->st_mtim.tv_nsec,
               .csec = (long long)st->st_ctim.tv_sec,
               .cnsec = st->st_ctim.tv_nsec,
               .info = (unsigned)(info->saw_marker | info->goose << 1 | info->liquibase << 2),
               .used = 1};
    record_script(up, &e.up);
    record_script(down, &e.down);
    put(c, &e);
    c->changed = 1;
}

int
strata_scan_cache_scan(strata_scan_cache *c, const char *dir, const char *file,
                       const struct stat *st, int sectioned, strata_script *up, strata_script *down,
                       strata_file_info *info, strata_error *err)
{
    char *path = strata_path_join(dir, file);
    unsigned mode = scan_mode(sectioned, up, down);
    entry *e = c != NULL ? find(c, file) : NULL;
    strata_file_info found = {0};
    int rc = STRATA_OK;
    if (e != NULL && matches(e, mode, st)) {
        e->used = 1;
        fill_script(&e->up, path, up);
        fill_script(&e->down, path, down);
        found = (strata_file_info){.saw_marker = (e->info & 1) != 0,
                                   .goose = (e->info & 2) != 0,
                                   .liquibase = (e->info & 4) != 0};
    } else {
        rc = strata_script_scan(path, sectioned, up, down, &found, err);
        if (rc == STRATA_OK && c != NULL)
            remember(c, file, mode, st, up, down, &found);
    }
    if (info != NULL)
        *info = found;
    free(path);
    return rc;
}
