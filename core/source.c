#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "source.h"
#include "util.h"

/* A file found in the directory, before pairing. */
typedef struct found_file {
    char *file; /* name inside the directory */
    char *version;
    char *name;
    strata_version_key key;
    char direction; /* 'u', 'd' or 's' (sections) */
} found_file;

typedef struct found_list {
    found_file *items;
    size_t count;
    size_t cap;
} found_list;

/* ------------------------------------------------------------------ names */

static int
is_version_char(char c)
{
    return (c >= '0' && c <= '9') || c == '.';
}

int
strata_source_parse_name(const char *file, char **version, char **name, char *direction)
{
    size_t n = strlen(file), stem;
    *version = *name = NULL;
    if (strata_ends_with(file, ".up.sql")) {
        *direction = 'u';
        stem = n - strlen(".up.sql");
    } else if (strata_ends_with(file, ".down.sql")) {
        *direction = 'd';
        stem = n - strlen(".down.sql");
    } else if (strata_ends_with(file, ".sql")) {
        *direction = 's';
        stem = n - strlen(".sql");
    } else {
        return -1;
    }
    size_t v = 0;
    while (v < stem && is_version_char(file[v]))
        v++;
    while (v > 0 && file[v - 1] == '.')
        v--; /* "1.name" is version 1, not "1." */
    strata_version_key key;
    if (v == 0 || strata_version_parse(file, v, &key) != 0)
        return -1;
    if (v < stem && file[v] != '_' && file[v] != '-' && file[v] != '.')
        return -1;
    size_t name_start = v < stem ? v + 1 : v;
    *version = strata_xstrndup(file, v);
    *name = strata_xstrndup(file + name_start, stem - name_start);
    return 0;
}

/* ------------------------------------------------------------------ discovery */

static void
found_list_free(found_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].file);
        free(l->items[i].version);
        free(l->items[i].name);
    }
    free(l->items);
}

static void
found_list_push(found_list *l, found_file f)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = strata_xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    l->items[l->count++] = f;
}

static int
cmp_found(const void *a, const void *b)
{
    const found_file *x = a, *y = b;
    int c = strata_version_cmp(&x->key, &y->key);
    if (c != 0)
        return c;
    if (x->direction != y->direction)
        return x->direction < y->direction ? -1 : 1;
    return strcmp(x->file, y->file);
}

static int
is_regular_file(const char *dir, const char *file)
{
    char *path = strata_path_join(dir, file);
    struct stat st;
    int ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    free(path);
    return ok;
}

/* Lists the .sql files of dir with parsed names; errors name the file to rename. */
static int
discover(const char *dir, found_list *out, strata_error *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return strata_fail(err, STRATA_ERROR,
                           "cannot read the migrations directory %s: %s (set --dir or STRATA_DIR)",
                           dir, strerror(errno));
    int rc = STRATA_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !strata_ends_with(e->d_name, ".sql"))
            continue;
        if (!is_regular_file(dir, e->d_name))
            continue;
        found_file f = {0};
        if (strata_source_parse_name(e->d_name, &f.version, &f.name, &f.direction) != 0) {
            rc = strata_fail(err, STRATA_VALIDATION,
                             "%s/%s: cannot tell the version from this file name; name "
                             "migrations like 20250701132805_create_users.up.sql, "
                             "001_create_users.down.sql or 1.2_name.sql",
                             dir, e->d_name);
            break;
        }
        strata_version_parse(f.version, strlen(f.version), &f.key);
        f.file = strata_xstrdup(e->d_name);
        found_list_push(out, f);
    }
    closedir(d);
    if (rc == STRATA_OK && out->count > 1) /* items is NULL when the folder holds none */
        qsort(out->items, out->count, sizeof(*out->items), cmp_found);
    return rc;
}

/* ------------------------------------------------------------------ reading files */

/* Allowed range of the byte after a UTF-8 lead byte (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static void
second_byte_range(unsigned char lead, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (lead == 0xE0)
        *lo = 0xA0;
    else if (lead == 0xED)
        *hi = 0x9F;
    else if (lead == 0xF0)
        *lo = 0x90;
    else if (lead == 0xF4)
        *hi = 0x8F;
}

/* Position of the first invalid UTF-8 byte in line, or -1 when it is valid. */
static long
utf8_invalid_at(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t need;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
        } else {
            return (long)i;
        }
        unsigned char lo, hi;
        second_byte_range(c, &lo, &hi);
        if (i + need >= n || s[i + 1] < lo || s[i + 1] > hi)
            return (long)i;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return (long)i;
        i += need + 1;
    }
    return -1;
}

/* The text after "--" on a comment line, with blanks skipped; NULL if not a comment. */
static const char *
comment_body(const char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    if (line[0] != '-' || line[1] != '-')
        return NULL;
    line += 2;
    while (*line == ' ' || *line == '\t')
        line++;
    return line;
}

static int
word_is(const char *s, const char *word)
{
    size_t n = strlen(word);
    return strncasecmp(s, word, n) == 0 && (s[n] == '\0' || isspace((unsigned char)s[n]));
}

/* 'u' or 'd' when line is a section marker, else 0; sets *no_tx for transaction:false. */
static char
section_marker(const char *line, int *no_tx)
{
    const char *c = comment_body(line);
    char dir = 0;
    if (c == NULL)
        return 0;
    if (word_is(c, "strata:up") || word_is(c, "migrate:up"))
        dir = 'u';
    else if (word_is(c, "strata:down") || word_is(c, "migrate:down"))
        dir = 'd';
    if (dir != 0 && strstr(c, "transaction:false") != NULL)
        *no_tx = 1;
    return dir;
}

static int
is_no_transaction_annotation(const char *line)
{
    const char *c = comment_body(line);
    return c != NULL && word_is(c, "strata:no-transaction");
}

static int
is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* State of one pass over a file. */
typedef struct file_scan {
    const char *path;
    int sectioned;         /* the file may hold markers */
    strata_script *target; /* script receiving lines, NULL only between sections */
    strata_script *up, *down;
    strata_checksum sum;
    int has_content; /* target holds a non-blank byte */
    int saw_marker;
    int provisional;         /* reading a possible preamble as an up script */
    long preamble_sql;       /* line of the first SQL while provisional, 0 if none */
    unsigned preamble_flags; /* annotations before the first marker apply to both */
    long long offset;
    long line;
} file_scan;

static void
script_begin(file_scan *s, strata_script *target)
{
    s->target = target;
    target->path = strata_xstrdup(s->path);
    target->first_line = s->line + 1;
    target->offset = s->offset;
    target->flags |= s->preamble_flags;
    s->has_content = 0;
    strata_checksum_init(&s->sum);
}

static int
script_end(file_scan *s, strata_error *err)
{
    strata_script *t = s->target;
    if (t == NULL)
        return STRATA_OK;
    t->length = s->offset - t->offset;
    strata_checksum_final(&s->sum, t->checksum);
    s->target = NULL;
    if (!s->has_content && t == s->up)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s:%ld: the up script is empty; write its SQL, or a comment if "
                           "the migration is deliberately a no-op",
                           s->path, t->first_line);
    return STRATA_OK;
}

/*
 * The first marker of a file that may hold sections: what was read so far as a
 * provisional up script was only a preamble. It must hold no SQL; its annotations apply to
 * both sections.
 */
static int
end_preamble(file_scan *s, strata_error *err)
{
    if (s->preamble_sql)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s:%ld: SQL before the first '-- migrate:up' or '-- strata:up' "
                           "marker; move it into the up section",
                           s->path, s->preamble_sql);
    s->preamble_flags = s->target->flags;
    free(s->target->path);
    memset(s->target, 0, sizeof(*s->target));
    s->target = NULL;
    s->provisional = 0;
    return STRATA_OK;
}

static int
begin_section(file_scan *s, char marker, int no_tx, size_t n, strata_error *err)
{
    strata_script *next = marker == 'u' ? s->up : s->down;
    int rc = s->provisional ? end_preamble(s, err) : STRATA_OK;
    if (rc == STRATA_OK && next->path != NULL)
        rc = strata_fail(err, STRATA_VALIDATION,
                         "%s:%ld: a second '%s' section; each file has one up and at most one "
                         "down section",
                         s->path, s->line, marker == 'u' ? "up" : "down");
    if (rc == STRATA_OK)
        rc = script_end(s, err);
    if (rc != STRATA_OK)
        return rc;
    s->saw_marker = 1;
    s->offset += (long long)n;
    script_begin(s, next);
    if (no_tx)
        next->flags |= STRATA_SCRIPT_NO_TRANSACTION;
    return STRATA_OK;
}

/* Handles one line (with its '\n'); returns a status. */
static int
scan_line(file_scan *s, const char *line, size_t n, strata_error *err)
{
    long bad = utf8_invalid_at((const unsigned char *)line, n);
    if (bad >= 0)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s:%ld:%ld: byte 0x%02X is not valid UTF-8; save the file as UTF-8",
                           s->path, s->line, bad + 1, (unsigned char)line[bad]);
    int no_tx = 0;
    char marker = s->sectioned ? section_marker(line, &no_tx) : 0;
    if (marker != 0)
        return begin_section(s, marker, no_tx, n, err);
    if (is_no_transaction_annotation(line))
        s->target->flags |= STRATA_SCRIPT_NO_TRANSACTION;
    strata_checksum_update(&s->sum, line, n);
    if (!is_blank(line, n)) {
        s->has_content = 1;
        if (s->provisional && !s->preamble_sql && comment_body(line) == NULL)
            s->preamble_sql = s->line;
    }
    s->offset += (long long)n;
    return STRATA_OK;
}

/*
 * Reads path once, filling up (and down, for a file with sections) with offsets,
 * checksums and flags. For paired files only one of up/down is given (the other NULL).
 */
static int
scan_file(const char *path, int sectioned, strata_script *up, strata_script *down,
          strata_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return strata_fail(err, STRATA_ERROR, "cannot open %s: %s", path, strerror(errno));
    file_scan s = {.path = path, .up = up, .down = down, .sectioned = sectioned};
    /* Until a marker shows up, a file that may hold sections is read as one up script. */
    script_begin(&s, up != NULL ? up : down);
    s.provisional = sectioned;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = STRATA_OK;
    while (rc == STRATA_OK && (n = getline(&line, &cap, f)) > 0) {
        s.line++;
        const char *text = line;
        if (s.line == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            strata_checksum_update(&s.sum, line, 3); /* dropped by the checksum itself */
            s.offset += 3;
            text += 3;
            n -= 3;
        }
        rc = scan_line(&s, text, (size_t)n, err);
    }
    if (rc == STRATA_OK && ferror(f))
        rc = strata_fail(err, STRATA_ERROR, "cannot read %s: %s", path, strerror(errno));
    if (rc == STRATA_OK)
        rc = script_end(&s, err);
    if (rc == STRATA_OK && s.saw_marker && up != NULL && up->path == NULL)
        rc = strata_fail(err, STRATA_VALIDATION,
                         "%s: no '-- migrate:up' or '-- strata:up' section; add one above the "
                         "SQL that applies the migration",
                         path);
    free(line);
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------------ pairing */

static void
script_free(strata_script *s)
{
    free(s->path);
}

void
strata_source_free(strata_source_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->count; i++) {
        free(set->items[i].version);
        free(set->items[i].name);
        script_free(&set->items[i].up);
        script_free(&set->items[i].down);
    }
    free(set->items);
    free(set->dir);
    free(set);
}

static int
duplicate_error(const char *dir, const found_file *a, const found_file *b, strata_error *err)
{
    return strata_fail(err, STRATA_VALIDATION,
                       "%s/%s and %s/%s both claim version %s%s; give one of them another "
                       "version",
                       dir, a->file, dir, b->file, b->version,
                       strcmp(a->version, b->version) != 0 ? " (versions compare numerically)"
                                                           : "");
}

/* Builds the migration for the files [first, last) sharing one version. */
static int
build_migration(const char *dir, found_file *files, size_t count, strata_migration *m,
                strata_error *err)
{
    found_file *up = NULL, *down = NULL, *sections = NULL;
    for (size_t i = 0; i < count; i++) {
        found_file *f = &files[i];
        found_file **slot = f->direction == 'u' ? &up : f->direction == 'd' ? &down : &sections;
        found_file *other = *slot;
        if (other == NULL && f->direction == 's')
            other = up != NULL ? up : down;
        if (other == NULL && f->direction != 's')
            other = sections;
        if (other != NULL)
            return duplicate_error(dir, other, f, err);
        *slot = f;
    }
    if (up == NULL && sections == NULL)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s/%s has no up script; add %s_%s.up.sql beside it", dir, down->file,
                           down->version, down->name);
    found_file *main = up ? up : sections;
    m->version = strata_xstrdup(main->version);
    m->key = main->key;
    m->name = strata_xstrdup(main->name);
    m->applicable = 1;
    m->format = sections != NULL ? "sections" : "paired";
    char *path = strata_path_join(dir, main->file);
    int rc = scan_file(path, sections != NULL, &m->up, sections ? &m->down : NULL, err);
    free(path);
    if (rc == STRATA_OK && down != NULL) {
        path = strata_path_join(dir, down->file);
        rc = scan_file(path, 0, NULL, &m->down, err);
        free(path);
    }
    return rc;
}

int
strata_source_scan(const char *dir, const char *dialect, strata_source_set **out, strata_error *err)
{
    (void)dialect; /* dialect-specific files arrive with the formats of DESIGN section 3 */
    found_list found = {0};
    strata_source_set *set = strata_xcalloc(1, sizeof(*set));
    set->dir = strata_xstrdup(dir);
    *out = NULL;
    int rc = discover(dir, &found, err);
    if (rc != STRATA_OK)
        goto fail;
    set->items = strata_xcalloc(found.count, sizeof(*set->items));
    for (size_t i = 0; i < found.count;) {
        size_t j = i + 1;
        while (j < found.count && strata_version_cmp(&found.items[i].key, &found.items[j].key) == 0)
            j++;
        rc = build_migration(dir, found.items + i, j - i, &set->items[set->count++], err);
        if (rc != STRATA_OK)
            goto fail;
        i = j;
    }
    found_list_free(&found);
    *out = set;
    return STRATA_OK;
fail:
    found_list_free(&found);
    strata_source_free(set);
    return rc;
}

const strata_migration *
strata_source_find(const strata_source_set *set, const strata_version_key *key)
{
    size_t lo = 0, hi = set->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strata_version_cmp(&set->items[mid].key, key);
        if (c == 0)
            return &set->items[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ------------------------------------------------------------------ reading a script */

struct strata_script_reader {
    FILE *file;
    long long remaining;
};

int
strata_script_open(const strata_script *script, strata_script_reader **out, strata_error *err)
{
    *out = NULL;
    FILE *f = fopen(script->path, "rb");
    if (f == NULL)
        return strata_fail(err, STRATA_ERROR, "cannot open %s: %s", script->path, strerror(errno));
    if (fseeko(f, (off_t)script->offset, SEEK_SET) != 0) {
        int e = errno;
        fclose(f);
        return strata_fail(err, STRATA_ERROR, "cannot read %s: %s", script->path, strerror(e));
    }
    strata_script_reader *r = strata_xmalloc(sizeof(*r));
    r->file = f;
    r->remaining = script->length;
    *out = r;
    return STRATA_OK;
}

size_t
strata_script_read(void *reader, char *buf, size_t size)
{
    strata_script_reader *r = reader;
    if (r->remaining <= 0)
        return 0;
    if ((long long)size > r->remaining)
        size = (size_t)r->remaining;
    size_t n = fread(buf, 1, size, r->file);
    if (n == 0 && ferror(r->file))
        return (size_t)-1;
    r->remaining -= (long long)n;
    return n;
}

void
strata_script_close(strata_script_reader *reader)
{
    if (reader == NULL)
        return;
    fclose(reader->file);
    free(reader);
}
