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
    long long offset, length;
    int first_line;
    unsigned char flags, present, empty;
    char checksum[STRATA_CHECKSUM_HEX];
} script_rec;

/* One file: the stamp that keys it and what was read. A file holds one script, or two
 * when it has sections (then more holds the down section). */
typedef struct entry {
    char *file; /* relative to the directory; no tab or newline */
    strata_file_stamp stamp;
    unsigned short mode;
    unsigned char info; /* strata_file_info: saw_marker 1, goose 2, liquibase 4 */
    script_rec one;     /* the up script, or the down script of a down-only file */
    script_rec *more;   /* the down section of a sectioned file; NULL: none */
} entry;

/*
 * The cache is read as a stream, never held whole: files are asked for in the order in
 * which the previous run asked for them and wrote them out (the order of the set), so the
 * next line of the old cache is, nearly always, the entry wanted. A file added since then
 * finds no line; lines of files removed since are skipped by looking up to LOOKAHEAD
 * lines ahead. Memory stays flat however long the history is.
 */
#define LOOKAHEAD 16

struct strata_scan_cache {
    char *path; /* the cache file */
    char *dir;  /* the directory's absolute path */
    FILE *old;  /* the cache as the last run left it; NULL when none or read to the end */
    char *line; /* getline() buffer for old */
    size_t line_cap;
    entry ahead[LOOKAHEAD]; /* entries read from old and not yet asked for */
    size_t nahead;
    long taken;  /* lines of old used unchanged, while nothing changed yet */
    FILE *out;   /* the new cache, opened at the first change; NULL until then */
    char *tmp;   /* its path */
    int changed; /* the new cache differs from the old */
    int broken;  /* old is not a cache or is cut short: nothing more is taken from it */
};

static void
entry_free(entry *e)
{
    free(e->file);
    free(e->more);
    memset(e, 0, sizeof(*e));
}

/* ------------------------------------------------------------------ the file */

/* Parses the next field of *p, ended by a tab or a comma, as an unsigned decimal in [lo, hi]
 * (lo >= 0; the cache writes no signs). */
static int
field_num(char **p, long long lo, long long hi, long long *out)
{
    char *end = *p;
    long long v = 0;
    for (; *end >= '0' && *end <= '9'; end++) {
        if (end - *p >= 18 && v > (LLONG_MAX - (*end - '0')) / 10)
            return -1; /* out of range (18 digits cannot be) */
        v = v * 10 + (*end - '0');
    }
    if (end == *p || v < lo || v > hi || (*end != '\t' && *end != ','))
        return -1;
    *out = v;
    *p = end + 1;
    return 0;
}

/* True when hex starts with the 64 lowercase hex digits of a checksum. */
static int
is_checksum(const char *hex)
{
    return strspn(hex, "0123456789abcdef") >= STRATA_CHECKSUM_HEX - 1;
}

/* A script field: "-" for none, else first_line,offset,length,flags,empty,checksum; then
 * a tab or the end of the line. */
static int
parse_script(char **p, script_rec *r)
{
    memset(r, 0, sizeof(*r));
    if (**p == '-') {
        *p += 1;
    } else {
        long long line, off, len, flags, empty;
        if (field_num(p, 1, INT_MAX, &line) || field_num(p, 0, LLONG_MAX, &off) ||
            field_num(p, 0, LLONG_MAX, &len) || field_num(p, 0, UCHAR_MAX, &flags) ||
            field_num(p, 0, 1, &empty) || !is_checksum(*p))
            return -1;
        *r = (script_rec){.present = 1,
                          .first_line = (int)line,
                          .offset = off,
                          .length = len,
                          .flags = (unsigned char)flags,
                          .empty = (unsigned char)empty};
        memcpy(r->checksum, *p, STRATA_CHECKSUM_HEX - 1);
        r->checksum[STRATA_CHECKSUM_HEX - 1] = '\0';
        *p += STRATA_CHECKSUM_HEX - 1;
    }
    if (**p != '\0' && **p != '\t')
        return -1;
    *p += **p != '\0';
    return 0;
}

/* One line: FILE, mode, the stamp's seven numbers, info, then the two script fields, all
 * tab-separated. */
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
    script_rec second;
    if (v[0] > 7 || v[8] > 7 || parse_script(&p, &e->one) || parse_script(&p, &second) ||
        *p != '\0')
        return -1;
    e->mode = (unsigned short)v[0];
    e->stamp = (strata_file_stamp){.dev = (unsigned long long)v[1],
                                   .ino = (unsigned long long)v[2],
                                   .size = v[3],
                                   .mtime_sec = v[4],
                                   .mtime_nsec = (long)v[5],
                                   .ctime_sec = v[6],
                                   .ctime_nsec = (long)v[7]};
    e->info = (unsigned char)v[8];
    if (second.present) {
        e->more = strata_xmalloc(sizeof(*e->more));
        *e->more = second;
    }
    e->file = strata_xstrdup(line);
    return 0;
}

/* Opens the old cache and checks its header; c->old stays NULL when there is none. */
static void
open_old(strata_scan_cache *c)
{
    c->old = fopen(c->path, "r");
    if (c->old == NULL)
        return;
    ssize_t n = getline(&c->line, &c->line_cap, c->old);
    char *header = strata_xasprintf("%s\t%s\n", CACHE_MAGIC, c->dir);
    if (n <= 0 || strcmp(c->line, header) != 0) {
        c->broken = 1;
        c->changed = 1;
    }
    free(header);
}

/* Reads entries from the old cache until LOOKAHEAD are waiting or it ends. A line that does
 * not parse ends the reading: the rest of the old cache is not trusted. */
static void
fill_ahead(strata_scan_cache *c)
{
    while (c->old != NULL && !c->broken && c->nahead < LOOKAHEAD) {
        ssize_t n = getline(&c->line, &c->line_cap, c->old);
        if (n <= 0)
            break;
        if (c->line[n - 1] == '\n')
            c->line[n - 1] = '\0';
        if (parse_entry(c->line, &c->ahead[c->nahead]) != 0) {
            c->broken = 1;
            c->changed = 1;
            break;
        }
        c->nahead++;
    }
}

/* Drops the first k waiting entries. */
static void
drop_ahead(strata_scan_cache *c, size_t k)
{
    for (size_t i = 0; i < k; i++)
        entry_free(&c->ahead[i]);
    memmove(c->ahead, c->ahead + k, (c->nahead - k) * sizeof(*c->ahead));
    c->nahead -= k;
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
    open_old(c);
    return c;
}

static void
write_script(FILE *f, const script_rec *r)
{
    if (r == NULL || !r->present) {
        fputs("\t-", f);
        return;
    }
    fprintf(f, "\t%d,%lld,%lld,%u,%d,%s", r->first_line, r->offset, r->length, r->flags, r->empty,
            r->checksum);
}

static void
write_entry(FILE *f, const entry *e)
{
    const strata_file_stamp *t = &e->stamp;
    fprintf(f, "%s\t%u\t%llu\t%llu\t%lld\t%lld\t%ld\t%lld\t%ld\t%u", e->file, e->mode, t->dev,
            t->ino, t->size, t->mtime_sec, t->mtime_nsec, t->ctime_sec, t->ctime_nsec, e->info);
    write_script(f, &e->one);
    write_script(f, e->more);
    fputc('\n', f);
}

/*
 * The first change: the new cache is started, with the header and the c->taken lines of
 * the old one used so far, copied as they are (they are its first lines after the header).
 * Returns 0 when it cannot be written; then the cache is left as it is.
 */
static int
start_new(strata_scan_cache *c)
{
    c->changed = 1;
    if (c->tmp != NULL) /* started, or tried and failed */
        return c->out != NULL;
    /* a unique name: threads of one process (a fleet) may rewrite the same cache at once */
    c->tmp = strata_xasprintf("%s.XXXXXX", c->path);
    int fd = mkstemp(c->tmp);
    c->out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fd >= 0 && c->out == NULL)
        close(fd);
    if (c->out == NULL)
        return 0;
    fprintf(c->out, "%s\t%s\n", CACHE_MAGIC, c->dir);
    FILE *again = c->taken > 0 ? fopen(c->path, "r") : NULL;
    char *line = NULL;
    size_t cap = 0;
    for (long i = 0; again != NULL && i <= c->taken && getline(&line, &cap, again) > 0; i++)
        if (i > 0) /* line 0 is the header */
            fputs(line, c->out);
    free(line);
    if (again != NULL)
        fclose(again);
    return 1;
}

/* An entry of the new cache: written out once the cache has changed, else counted. */
static void
keep(strata_scan_cache *c, const entry *e)
{
    if (!c->changed)
        c->taken++;
    else if (start_new(c) && c->out != NULL)
        write_entry(c->out, e);
}

/* Closes the cache, writing it back when write and it changed, and frees it. */
static void
finish(strata_scan_cache *c, int write)
{
    if (c == NULL)
        return;
    if (write) {
        fill_ahead(c); /* entries never asked for (files gone) mean a change */
        if (c->nahead > 0)
            c->changed = 1;
    }
    drop_ahead(c, c->nahead);
    if (write && c->changed && start_new(c) && c->out != NULL) {
        int bad = ferror(c->out);
        if (fclose(c->out) != 0 || bad || rename(c->tmp, c->path) != 0)
            unlink(c->tmp);
    } else if (c->out != NULL) {
        fclose(c->out);
        unlink(c->tmp);
    }
    if (c->old != NULL)
        fclose(c->old);
    free(c->line);
    free(c->tmp);
    free(c->path);
    free(c->dir);
    free(c);
}

void
strata_scan_cache_close(strata_scan_cache *c)
{
    finish(c, 1);
}

void
strata_scan_cache_discard(strata_scan_cache *c)
{
    finish(c, 0);
}

/* ------------------------------------------------------------------ looking up */

void
strata_file_stamp_of(const struct stat *st, strata_file_stamp *out)
{
    *out = (strata_file_stamp){.dev = (unsigned long long)st->st_dev,
                               .ino = (unsigned long long)st->st_ino,
                               .size = (long long)st->st_size,
                               .mtime_sec = (long long)st->st_mtim.tv_sec,
                               .mtime_nsec = st->st_mtim.tv_nsec,
                               .ctime_sec = (long long)st->st_ctim.tv_sec,
                               .ctime_nsec = st->st_ctim.tv_nsec};
}

static unsigned
scan_mode(int sectioned, const strata_script *up, const strata_script *down)
{
    return (sectioned ? 4u : 0u) | (up != NULL ? 2u : 0u) | (down != NULL ? 1u : 0u);
}

static int
matches(const entry *e, unsigned mode, const strata_file_stamp *t)
{
    const strata_file_stamp *k = &e->stamp;
    return e->mode == mode && k->dev == t->dev && k->ino == t->ino && k->size == t->size &&
           k->mtime_sec == t->mtime_sec && k->mtime_nsec == t->mtime_nsec &&
           k->ctime_sec == t->ctime_sec && k->ctime_nsec == t->ctime_nsec;
}

/* Settled: neither changed within the last STRATA_SCAN_CACHE_SETTLE seconds (nor in the
 * future), so an edit after this run gets a change time of its own. */
static int
settled(const strata_file_stamp *t)
{
    long long now = (long long)time(NULL);
    return t->mtime_sec + STRATA_SCAN_CACHE_SETTLE < now &&
           t->ctime_sec + STRATA_SCAN_CACHE_SETTLE < now;
}

static void
fill_script(const script_rec *r, const char *path, strata_script *s)
{
    if (s == NULL || r == NULL || !r->present)
        return;
    s->path = strata_xstrdup(path);
    s->first_line = r->first_line;
    s->offset = r->offset;
    s->length = r->length;
    s->flags |= r->flags;
    s->empty = r->empty;
    memcpy(s->checksum, r->checksum, sizeof(s->checksum));
}

/* What was read of s (NULL, or no path: no script). 0 when its checksum is not 64 hex
 * digits, and then nothing is remembered. */
static int
record_script(const strata_script *s, script_rec *r)
{
    memset(r, 0, sizeof(*r));
    if (s == NULL || s->path == NULL)
        return 1;
    if (!is_checksum(s->checksum) || s->checksum[STRATA_CHECKSUM_HEX - 1] != '\0')
        return 0;
    memcpy(r->checksum, s->checksum, sizeof(r->checksum));
    r->present = 1;
    r->first_line = s->first_line;
    r->offset = s->offset;
    r->length = s->length;
    r->flags = s->flags;
    r->empty = (unsigned char)s->empty;
    return 1;
}

/* Remembers what reading file found, when the file is settled and its name storable. */
static void
remember(strata_scan_cache *c, const char *file, unsigned mode, const strata_file_stamp *t,
         const strata_script *up, const strata_script *down, const strata_file_info *info)
{
    if (!settled(t) || strpbrk(file, "\t\n") != NULL)
        return;
    entry e = {.stamp = *t,
               .mode = (unsigned short)mode,
               .info = (unsigned char)(info->saw_marker | info->goose << 1 | info->liquibase << 2)};
    script_rec second;
    int ok = up != NULL ? record_script(up, &e.one) && record_script(down, &second)
                        : record_script(down, &e.one) && record_script(NULL, &second);
    if (!ok || !start_new(c))
        return;
    e.more = second.present ? &second : NULL;
    e.file = (char *)file;
    write_entry(c->out, &e);
}

/* The waiting entry for file (lines before it, of files gone, are dropped), or NULL. */
static entry *
take(strata_scan_cache *c, const char *file)
{
    fill_ahead(c);
    for (size_t i = 0; i < c->nahead; i++) {
        if (strcmp(c->ahead[i].file, file) != 0)
            continue;
        if (i > 0) {
            start_new(c);
            drop_ahead(c, i);
        }
        return &c->ahead[0];
    }
    return NULL;
}

int
strata_scan_cache_scan(strata_scan_cache *c, const char *dir, const char *file,
                       const strata_file_stamp *stamp, int sectioned, strata_script *up,
                       strata_script *down, strata_file_info *info, strata_error *err)
{
    char *path = strata_path_join(dir, file);
    unsigned mode = scan_mode(sectioned, up, down);
    entry *e = c != NULL ? take(c, file) : NULL;
    strata_file_info found = {0};
    int rc = STRATA_OK;
    if (e != NULL && matches(e, mode, stamp)) {
        fill_script(&e->one, path, up != NULL ? up : down);
        if (up != NULL)
            fill_script(e->more, path, down);
        found = (strata_file_info){.saw_marker = (e->info & 1) != 0,
                                   .goose = (e->info & 2) != 0,
                                   .liquibase = (e->info & 4) != 0};
        keep(c, e);
        drop_ahead(c, 1);
    } else {
        if (e != NULL) { /* the file changed: its old line goes */
            start_new(c);
            drop_ahead(c, 1);
        }
        rc = strata_script_scan(path, sectioned, up, down, &found, err);
        if (rc == STRATA_OK && c != NULL)
            remember(c, file, mode, stamp, up, down, &found);
    }
    if (info != NULL)
        *info = found;
    free(path);
    return rc;
}
