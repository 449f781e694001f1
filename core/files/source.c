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

#include "envsub.h"
#include "source.h"
#include "util.h"

/* What a file is for. */
enum file_role {
    ROLE_UP,        /* V_name.up.sql, V1__name.sql, V_name/migration.sql */
    ROLE_ONE,       /* V_name.sql: an up script, maybe with sections holding a down */
    ROLE_DOWN,      /* V_name.down.sql, U1__name.sql, rollback/..., V_name/down.sql */
    ROLE_REPEATABLE /* R__name.sql */
};

/* Where a file was found. */
enum file_origin {
    FROM_FILE,     /* a V_name file in the directory */
    FROM_FLYWAY,   /* a Flyway V, U or R file in the directory */
    FROM_ROLLBACK, /* rollback/ */
    FROM_FOLDER    /* a V_name/ folder */
};

/* A file found in the directory, before pairing. */
typedef struct found_file {
    char *file;    /* relative to the directory: "1_a.sql", "rollback/1_a.sql", "1_a/down.sql" */
    char *version; /* as spelled (Flyway's '_' read as '.'); NULL for repeatables */
    char *name;
    char *dialect; /* canonical dialect tag, NULL when dialect-neutral */
    strata_version_key key;
    enum file_role role;
    enum file_origin origin;
    int rank; /* 2: for the scan's dialect, 1: dialect-neutral, 0: for another dialect */
} found_file;

typedef struct found_list {
    found_file *items;
    size_t count;
    size_t cap;
} found_list;

/* ------------------------------------------------------------------ dialects */

/* Spellings of one dialect; the first is the canonical one. */
static const char *const dialect_spellings[][4] = {
    {"postgres", "postgresql", "pg", NULL},
    {"mysql", "mariadb", NULL, NULL},
    {"sqlite", "sqlite3", NULL, NULL},
};

/* The canonical spelling of the dialect tag s[0, n), newly allocated: the first spelling of
 * its row of dialect_spellings, or the tag itself in lower case when it is in none. */
static char *
dialect_canonical(const char *s, size_t n)
{
    size_t rows = sizeof(dialect_spellings) / sizeof(dialect_spellings[0]);
    for (size_t r = 0; r < rows; r++)
        for (const char *const *sp = dialect_spellings[r]; *sp != NULL; sp++)
            if (strlen(*sp) == n && strncasecmp(*sp, s, n) == 0)
                return strata_xstrdup(dialect_spellings[r][0]);
    char *c = strata_xstrndup(s, n);
    for (char *p = c; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return c;
}

/* A dialect tag is a word: a letter, then letters and digits ("up"/"down" are not tags). */
static int
is_dialect_tag(const char *s, size_t n)
{
    if (n == 0 || !isalpha((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
            return 0;
    if ((n == 2 && strncasecmp(s, "up", 2) == 0) || (n == 4 && strncasecmp(s, "down", 4) == 0))
        return 0;
    return 1;
}

/* Splits the name part s[0, n) ("create_users.postgres") into the name and, when it ends in
 * ".tag", the canonical dialect tag (else *dialect is NULL). */
static void
split_dialect(const char *s, size_t n, char **name, char **dialect)
{
    size_t dot = n;
    while (dot > 0 && s[dot - 1] != '.')
        dot--;
    *dialect = NULL;
    if (dot > 0 && is_dialect_tag(s + dot, n - dot)) {
        *dialect = dialect_canonical(s + dot, n - dot);
        n = dot - 1;
    }
    *name = strata_xstrndup(s, n);
}

/* ------------------------------------------------------------------ names */

static int
is_version_char(char c)
{
    return (c >= '0' && c <= '9') || c == '.';
}

/*
 * The version at the start of s[0, stem): sets *vlen and *name_start (past the separator).
 * -1 when s does not start with a version followed by '_', '-', '.' or the end.
 */
static int
split_version(const char *s, size_t stem, size_t *vlen, size_t *name_start)
{
    size_t v = 0;
    while (v < stem && is_version_char(s[v]))
        v++;
    while (v > 0 && s[v - 1] == '.')
        v--; /* "1.name" is version 1, not "1." */
    strata_version_key key;
    if (v == 0 || strata_version_parse(s, v, &key) != 0)
        return -1;
    if (v < stem && s[v] != '_' && s[v] != '-' && s[v] != '.')
        return -1;
    *vlen = v;
    *name_start = v < stem ? v + 1 : v;
    return 0;
}

/* V_name[.dialect](.up.sql|.down.sql|.sql); *dialect NULL when there is no tag. */
static int
parse_plain(const char *file, char **version, char **name, char **dialect, char *direction)
{
    size_t n = strlen(file), stem;
    *version = *name = *dialect = NULL;
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
    size_t v, name_start;
    if (split_version(file, stem, &v, &name_start) != 0)
        return -1;
    *version = strata_xstrndup(file, v);
    split_dialect(file + name_start, stem - name_start, name, dialect);
    return 0;
}

int
strata_source_parse_name(const char *file, char **version, char **name, char *direction)
{
    char *dialect;
    int rc = parse_plain(file, version, name, &dialect, direction);
    free(dialect);
    return rc;
}

/*
 * Flyway: V<version>__<name>[.dialect].sql, U<version>__..., R__<name>[.dialect].sql. The
 * version is what comes before the first "__", with '_' read as '.' (V1_2 is 1.2). *kind is
 * 'V', 'U' or 'R' (then *version is NULL).
 */
static int
parse_flyway(const char *file, char **version, char **name, char **dialect, char *kind)
{
    size_t n = strlen(file);
    *version = *name = *dialect = NULL;
    if ((file[0] != 'V' && file[0] != 'U' && file[0] != 'R') || !strata_ends_with(file, ".sql"))
        return -1;
    size_t stem = n - strlen(".sql");
    const char *sep = strstr(file + 1, "__");
    if (sep == NULL || (size_t)(sep - file) + 2 > stem)
        return -1;
    size_t vlen = (size_t)(sep - file) - 1, name_start = (size_t)(sep - file) + 2;
    *kind = file[0];
    if (*kind == 'R') {
        if (vlen != 0 || name_start == stem)
            return -1;
    } else {
        char *v = strata_xstrndup(file + 1, vlen);
        for (char *p = v; *p; p++)
            if (*p == '_')
                *p = '.';
        strata_version_key key;
        if (strspn(v, "0123456789.") != vlen || strata_version_parse(v, vlen, &key) != 0) {
            free(v);
            return -1;
        }
        *version = v;
    }
    split_dialect(file + name_start, stem - name_start, name, dialect);
    return 0;
}

/* ------------------------------------------------------------------ discovery */

static void
found_file_free(found_file *f)
{
    free(f->file);
    free(f->version);
    free(f->name);
    free(f->dialect);
}

static void
found_list_free(found_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        found_file_free(&l->items[i]);
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
    if (x->role != y->role)
        return x->role < y->role ? -1 : 1;
    return strcmp(x->file, y->file);
}

static int
cmp_repeatable_file(const void *a, const void *b)
{
    const found_file *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->file, y->file);
}

/* 1 regular file, 2 directory, 0 anything else or missing. */
static int
file_type(const char *dir, const char *file)
{
    char *path = strata_path_join(dir, file);
    struct stat st;
    int t = 0;
    if (stat(path, &st) == 0)
        t = S_ISREG(st.st_mode) ? 1 : S_ISDIR(st.st_mode) ? 2 : 0;
    free(path);
    return t;
}

/* One pass over a migrations directory. */
typedef struct discovery {
    const char *dir;
    int lenient;            /* skip what does not parse (strata_source_detect_format) */
    found_list versioned;   /* files with a version */
    found_list repeatables; /* Flyway R__ files */
    int has_rollback;       /* dir holds a rollback/ folder */
} discovery;

static void
discovery_free(discovery *d)
{
    found_list_free(&d->versioned);
    found_list_free(&d->repeatables);
}

static int
bad_name(const discovery *d, const char *entry, strata_error *err)
{
    if (d->lenient)
        return STRATA_OK;
    return strata_fail(err, STRATA_VALIDATION,
                       "%s/%s: cannot tell the version from this file name; name migrations "
                       "like 20250701132805_create_users.up.sql, 001_create_users.down.sql, "
                       "1.2_name.sql or, Flyway style, V1__name.sql, U1__name.sql, R__name.sql",
                       d->dir, entry);
}

/* A .sql file directly inside the directory. */
static int
discover_file(discovery *d, const char *entry, strata_error *err)
{
    found_file f = {0};
    char kind;
    if (parse_flyway(entry, &f.version, &f.name, &f.dialect, &kind) == 0) {
        f.origin = FROM_FLYWAY;
        f.role = kind == 'V' ? ROLE_UP : kind == 'U' ? ROLE_DOWN : ROLE_REPEATABLE;
    } else if (parse_plain(entry, &f.version, &f.name, &f.dialect, &kind) == 0) {
        f.origin = FROM_FILE;
        f.role = kind == 'u' ? ROLE_UP : kind == 'd' ? ROLE_DOWN : ROLE_ONE;
    } else {
        return bad_name(d, entry, err);
    }
    f.file = strata_xstrdup(entry);
    if (f.role == ROLE_REPEATABLE) {
        found_list_push(&d->repeatables, f);
        return STRATA_OK;
    }
    strata_version_parse(f.version, strlen(f.version), &f.key);
    found_list_push(&d->versioned, f);
    return STRATA_OK;
}

/* A folder VERSION_name holding migration.sql and maybe down.sql; other folders are not
 * migrations and are ignored. */
static int
discover_folder(discovery *d, const char *entry, strata_error *err)
{
    size_t len = strlen(entry), v, name_start;
    if (split_version(entry, len, &v, &name_start) != 0 || v == len || entry[v] == '.' ||
        name_start == len)
        return STRATA_OK;
    char *up = strata_path_join(entry, "migration.sql");
    if (file_type(d->dir, up) != 1) {
        free(up);
        if (d->lenient)
            return STRATA_OK;
        return strata_fail(err, STRATA_VALIDATION,
                           "%s/%s: a migration folder without migration.sql; put its up script "
                           "in %s/%s/migration.sql (and its down script, if any, in down.sql), "
                           "or rename the folder if it is not a migration",
                           d->dir, entry, d->dir, entry);
    }
    found_file f = {.file = up, .role = ROLE_UP, .origin = FROM_FOLDER};
    f.version = strata_xstrndup(entry, v);
    f.name = strata_xstrdup(entry + name_start);
    strata_version_parse(f.version, v, &f.key);
    found_list_push(&d->versioned, f);
    char *down = strata_path_join(entry, "down.sql");
    if (file_type(d->dir, down) != 1) {
        free(down);
        return STRATA_OK;
    }
    found_file g = {.file = down, .role = ROLE_DOWN, .origin = FROM_FOLDER, .key = f.key};
    g.version = strata_xstrdup(f.version);
    g.name = strata_xstrdup(f.name);
    found_list_push(&d->versioned, g);
    return STRATA_OK;
}

/* One .sql file of rollback/: a down script named after its migration's version. */
static int
discover_rollback_file(discovery *d, const char *entry, strata_error *err)
{
    found_file f = {.role = ROLE_DOWN, .origin = FROM_ROLLBACK};
    char direction;
    if (parse_plain(entry, &f.version, &f.name, &f.dialect, &direction) != 0 || direction == 'u') {
        found_file_free(&f);
        if (d->lenient)
            return STRATA_OK;
        return strata_fail(err, STRATA_VALIDATION,
                           "%s/rollback/%s: rollback/ holds the down scripts of the migrations "
                           "beside it, named after their version; rename it like "
                           "rollback/001_rollback.sql or rollback/001_create_users.sql",
                           d->dir, entry);
    }
    f.file = strata_xasprintf("rollback/%s", entry);
    strata_version_parse(f.version, strlen(f.version), &f.key);
    found_list_push(&d->versioned, f);
    return STRATA_OK;
}

static int
discover_rollback(discovery *d, strata_error *err)
{
    char *path = strata_path_join(d->dir, "rollback");
    DIR *dh = opendir(path);
    if (dh == NULL) {
        int rc = d->lenient
                     ? STRATA_OK
                     : strata_fail(err, STRATA_ERROR, "cannot read %s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    int rc = STRATA_OK;
    struct dirent *e;
    while (rc == STRATA_OK && (e = readdir(dh)) != NULL) {
        if (e->d_name[0] == '.' || !strata_ends_with(e->d_name, ".sql") ||
            file_type(path, e->d_name) != 1)
            continue;
        rc = discover_rollback_file(d, e->d_name, err);
    }
    closedir(dh);
    free(path);
    return rc;
}

/* Lists the migration files of d->dir with parsed names; errors name the file to rename. */
static int
discover(discovery *d, strata_error *err)
{
    DIR *dh = opendir(d->dir);
    if (dh == NULL)
        return strata_fail(err, STRATA_ERROR,
                           "cannot read the migrations directory %s: %s (set --dir or STRATA_DIR)",
                           d->dir, strerror(errno));
    int rc = STRATA_OK;
    struct dirent *e;
    while (rc == STRATA_OK && (e = readdir(dh)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int type = file_type(d->dir, e->d_name);
        if (type == 2 && strcmp(e->d_name, "rollback") == 0)
            d->has_rollback = 1;
        else if (type == 2)
            rc = discover_folder(d, e->d_name, err);
        else if (type == 1 && strata_ends_with(e->d_name, ".sql"))
            rc = discover_file(d, e->d_name, err);
    }
    closedir(dh);
    if (rc == STRATA_OK && d->has_rollback)
        rc = discover_rollback(d, err);
    /* items is NULL when the folder holds none */
    if (rc == STRATA_OK && d->versioned.count > 1)
        qsort(d->versioned.items, d->versioned.count, sizeof(found_file), cmp_found);
    if (rc == STRATA_OK && d->repeatables.count > 1)
        qsort(d->repeatables.items, d->repeatables.count, sizeof(found_file), cmp_repeatable_file);
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

/* w[0, n) is word, ignoring case. */
static int
word_eq(const char *w, size_t n, const char *word)
{
    return n == strlen(word) && strncasecmp(w, word, n) == 0;
}

/* goose annotations this reader acts on (StatementBegin/End are the lexer's business). */
enum goose_annotation { G_NONE, G_UP, G_DOWN, G_NO_TRANSACTION };

/* Which goose annotation the comment body c is: "+goose" and one or two words filling the
 * rest of the line, case-insensitive. */
static enum goose_annotation
goose_annotation(const char *c)
{
    if (strncasecmp(c, "+goose", 6) != 0 || (c[6] != ' ' && c[6] != '\t'))
        return G_NONE;
    const char *p = c + 6, *words[3];
    size_t lens[3], nw = 0;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        if (nw == 2)
            return G_NONE;
        words[nw] = p;
        while (*p != '\0' && !isspace((unsigned char)*p))
            p++;
        lens[nw] = (size_t)(p - words[nw]);
        nw++;
    }
    if (nw == 1 && word_eq(words[0], lens[0], "up"))
        return G_UP;
    if (nw == 1 && word_eq(words[0], lens[0], "down"))
        return G_DOWN;
    if (nw == 2 && word_eq(words[0], lens[0], "no") && word_eq(words[1], lens[1], "transaction"))
        return G_NO_TRANSACTION;
    return G_NONE;
}

/* 'u' or 'd' when line is a section marker, else 0; sets *no_tx for transaction:false and
 * *goose for goose's spelling. */
static char
section_marker(const char *line, int *no_tx, int *goose)
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
    if (dir != 0)
        return dir;
    enum goose_annotation g = goose_annotation(c);
    if (g == G_UP || g == G_DOWN)
        *goose = 1;
    return g == G_UP ? 'u' : g == G_DOWN ? 'd' : 0;
}

static int
is_no_transaction_annotation(const char *line)
{
    const char *c = comment_body(line);
    return c != NULL && word_is(c, "strata:no-transaction");
}

static int
is_goose_no_transaction(const char *line)
{
    const char *c = comment_body(line);
    return c != NULL && goose_annotation(c) == G_NO_TRANSACTION;
}

static int
is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* What reading a file found out beyond its scripts. */
typedef struct file_info {
    int saw_marker; /* it has section markers */
    int goose;      /* ... in goose's spelling */
} file_info;

/* State of one pass over a file. */
typedef struct file_scan {
    const char *path;
    int sectioned;         /* the file may hold markers */
    strata_script *target; /* script receiving lines, NULL only between sections */
    strata_script *up, *down;
    strata_checksum sum;
    int has_content; /* target holds a non-blank byte */
    file_info info;
    int provisional;         /* reading a possible preamble as an up script */
    long preamble_sql;       /* line of the first SQL while provisional, 0 if none */
    unsigned preamble_flags; /* annotations before the first marker apply to both */
    int file_no_tx;          /* -- +goose NO TRANSACTION somewhere: both scripts */
    int envsub_on;           /* inside a goose ENVSUB ON region */
    long long offset;
    long line;
} file_scan;

#define ENVSUB_FLAGS (STRATA_SCRIPT_ENVSUB | STRATA_SCRIPT_ENVSUB_OPEN)

static void
script_begin(file_scan *s, strata_script *target)
{
    s->target = target;
    target->path = strata_xstrdup(s->path);
    target->first_line = s->line + 1;
    target->offset = s->offset;
    target->flags |= s->preamble_flags;
    if (s->envsub_on) /* a region opened above the marker goes on */
        target->flags |= ENVSUB_FLAGS;
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
 * both sections (an ENVSUB region it opens is carried by s->envsub_on instead).
 */
static int
end_preamble(file_scan *s, strata_error *err)
{
    if (s->preamble_sql)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s:%ld: SQL before the first section marker (line %ld); move it "
                           "into the up section",
                           s->path, s->preamble_sql, s->line);
    s->preamble_flags = s->target->flags & ~(unsigned)ENVSUB_FLAGS;
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
    s->info.saw_marker = 1;
    s->offset += (long long)n;
    script_begin(s, next);
    if (no_tx)
        next->flags |= STRATA_SCRIPT_NO_TRANSACTION;
    return STRATA_OK;
}

/* Handles one line (with its '\n'); envsub is strata_envsub_marker() of the raw line. */
static int
scan_line(file_scan *s, const char *line, size_t n, int envsub, strata_error *err)
{
    long bad = utf8_invalid_at((const unsigned char *)line, n);
    if (bad >= 0)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s:%ld:%ld: byte 0x%02X is not valid UTF-8; save the file as UTF-8",
                           s->path, s->line, bad + 1, (unsigned char)line[bad]);
    int no_tx = 0;
    char marker = s->sectioned ? section_marker(line, &no_tx, &s->info.goose) : 0;
    if (marker != 0)
        return begin_section(s, marker, no_tx, n, err);
    if (is_no_transaction_annotation(line))
        s->target->flags |= STRATA_SCRIPT_NO_TRANSACTION;
    else if (is_goose_no_transaction(line))
        s->file_no_tx = 1;
    if (envsub > 0)
        s->target->flags |= STRATA_SCRIPT_ENVSUB;
    if (envsub != 0)
        s->envsub_on = envsub > 0;
    strata_checksum_update(&s->sum, line, n);
    if (!is_blank(line, n)) {
        s->has_content = 1;
        if (s->provisional && !s->preamble_sql && comment_body(line) == NULL)
            s->preamble_sql = s->line;
    }
    s->offset += (long long)n;
    return STRATA_OK;
}

/* After the last line: checks and file-wide annotations. */
static int
scan_finish(file_scan *s, strata_error *err)
{
    int rc = script_end(s, err);
    if (rc == STRATA_OK && s->info.saw_marker && s->up != NULL && s->up->path == NULL)
        rc = strata_fail(err, STRATA_VALIDATION,
                         "%s: no up section; add a '%s' line above the SQL that applies the "
                         "migration",
                         s->path, s->info.goose ? "-- +goose Up" : "-- migrate:up");
    if (rc == STRATA_OK && s->file_no_tx) {
        if (s->up != NULL && s->up->path != NULL)
            s->up->flags |= STRATA_SCRIPT_NO_TRANSACTION;
        if (s->down != NULL && s->down->path != NULL)
            s->down->flags |= STRATA_SCRIPT_NO_TRANSACTION;
    }
    return rc;
}

/*
 * Reads path once, filling up (and down, for a file that may hold sections) with offsets,
 * checksums and flags. For a file of one script only one of up/down is given (the other
 * NULL). info (may be NULL) receives what the file's markers were.
 */
static int
scan_file(const char *path, int sectioned, strata_script *up, strata_script *down, file_info *info,
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
        int envsub = strata_envsub_marker(line, (size_t)n);
        if (s.line == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            strata_checksum_update(&s.sum, line, 3); /* dropped by the checksum itself */
            s.offset += 3;
            text += 3;
            n -= 3;
        }
        rc = scan_line(&s, text, (size_t)n, envsub, err);
    }
    if (rc == STRATA_OK && ferror(f))
        rc = strata_fail(err, STRATA_ERROR, "cannot read %s: %s", path, strerror(errno));
    if (rc == STRATA_OK)
        rc = scan_finish(&s, err);
    if (info != NULL)
        *info = s.info;
    free(line);
    fclose(f);
    return rc;
}

/*
 * Reads path only up to its first section marker: 2 for goose's spelling, 1 for strata's or
 * dbmate's, 0 when there is none (or it cannot be read).
 */
static int
peek_markers(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (found == 0 && getline(&line, &cap, f) > 0) {
        int no_tx = 0, goose = 0;
        const char *text = strncmp(line, "\xEF\xBB\xBF", 3) == 0 ? line + 3 : line;
        if (section_marker(text, &no_tx, &goose) != 0)
            found = goose ? 2 : 1;
    }
    free(line);
    fclose(f);
    return found;
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
    for (size_t i = 0; i < set->nrepeatables; i++) {
        free(set->repeatables[i].name);
        script_free(&set->repeatables[i].script);
    }
    free(set->items);
    free(set->repeatables);
    free(set->dir);
    free(set);
}

static int
is_up_claim(const found_file *f)
{
    return f->role == ROLE_UP || f->role == ROLE_ONE;
}

static int
same_dialect(const found_file *a, const found_file *b)
{
    if (a->dialect == NULL || b->dialect == NULL)
        return a->dialect == b->dialect;
    return strcmp(a->dialect, b->dialect) == 0;
}

/* " for postgres" when f is a dialect variant, else "". */
static const char *
dialect_note(const found_file *f, char *buf, size_t size)
{
    if (f->dialect == NULL)
        return "";
    snprintf(buf, size, " for %s", f->dialect);
    return buf;
}

static int
conflict_error(const char *dir, const found_file *a, const found_file *b, strata_error *err)
{
    char note[64];
    if (a->role == ROLE_ONE && b->role == ROLE_DOWN)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s/%s and %s/%s both claim version %s%s: a one-file migration keeps "
                           "its down script in a down section ('-- migrate:down', "
                           "'-- +goose Down') or in rollback/; merge the two, or give one "
                           "another version",
                           dir, a->file, dir, b->file, b->version,
                           dialect_note(b, note, sizeof(note)));
    return strata_fail(err, STRATA_VALIDATION,
                       "%s/%s and %s/%s both claim the %s script of version %s%s%s; keep one of "
                       "them, or give one another version",
                       dir, a->file, dir, b->file, is_up_claim(b) ? "up" : "down", b->version,
                       dialect_note(b, note, sizeof(note)),
                       strcmp(a->version, b->version) != 0 ? " (versions compare numerically)"
                                                           : "");
}

/* Whether a and b (sorted: a first) contradict each other: they claim one script, or a is a
 * one-file migration and b a down file beside it (only rollback/ may add a down script to a
 * one-file migration, and only when it has no down section: see read_down). */
static int
contradict(const found_file *a, const found_file *b)
{
    if (!same_dialect(a, b))
        return 0;
    if (is_up_claim(a) == is_up_claim(b))
        return 1;
    return a->role == ROLE_ONE && b->role == ROLE_DOWN && b->origin != FROM_ROLLBACK;
}

/* Two files of one version contradicting each other (see contradict). */
static int
check_conflicts(const char *dir, const found_file *files, size_t count, strata_error *err)
{
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++)
            if (contradict(&files[i], &files[j]))
                return conflict_error(dir, &files[i], &files[j], err);
    return STRATA_OK;
}

/* A version with down scripts only. */
static int
no_up_error(const char *dir, const found_file *files, size_t count, strata_error *err)
{
    for (size_t i = 0; i < count; i++)
        if (files[i].origin == FROM_ROLLBACK)
            return strata_fail(err, STRATA_VALIDATION,
                               "%s/%s: there is no migration %s in %s for this rollback script; "
                               "remove it, or fix the version in its name",
                               dir, files[i].file, files[i].version, dir);
    const found_file *d = &files[0];
    if (d->origin == FROM_FLYWAY)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s/%s has no versioned migration; add V%s__%s.sql beside it", dir,
                           d->file, d->version, d->name);
    return strata_fail(err, STRATA_VALIDATION, "%s/%s has no up script; add %s_%s.up.sql beside it",
                       dir, d->file, d->version, d->name);
}

/* The file of the highest rank (for this dialect, then neutral) claiming up (want_up) or an
 * explicit down; NULL when only files for other dialects do. */
static found_file *
pick(found_file *files, size_t count, int want_up)
{
    found_file *best = NULL;
    for (size_t i = 0; i < count; i++)
        if (files[i].rank > 0 && is_up_claim(&files[i]) == want_up &&
            (best == NULL || files[i].rank > best->rank))
            best = &files[i];
    return best;
}

/* The format of a migration from where its scripts come from. */
static const char *
format_of(const found_file *up, const found_file *down, const file_info *info)
{
    if (up->origin == FROM_FOLDER)
        return "folder";
    if (up->origin == FROM_FLYWAY)
        return "flyway";
    if (down != NULL && down->origin == FROM_ROLLBACK)
        return "rollback-folder";
    if (up->role == ROLE_UP)
        return "paired";
    if (info != NULL && info->goose)
        return "goose";
    if ((info == NULL || !info->saw_marker) && down != NULL)
        return "paired"; /* a marker-less V_name.sql with a V_name.<dialect>.down.sql */
    return "sections";
}

static void
fill_names(strata_migration *m, const found_file *up)
{
    m->version = strata_xstrdup(up->version);
    m->key = up->key;
    m->name = strata_xstrdup(up->name);
}

/* A version whose files are all for other dialects: kept, not read. */
static void
inapplicable_migration(found_file *files, size_t count, strata_migration *m)
{
    const found_file *up = NULL, *down = NULL;
    for (size_t i = 0; i < count; i++) {
        if (up == NULL && is_up_claim(&files[i]))
            up = &files[i];
        if (down == NULL && !is_up_claim(&files[i]))
            down = &files[i];
    }
    fill_names(m, up);
    m->applicable = 0;
    m->format = format_of(up, down, NULL);
}

/* Reads the down script chosen for m, unless the up file's down section wins. */
static int
read_down(const char *dir, const found_file *up, found_file *down, strata_migration *m,
          strata_error *err)
{
    if (down == NULL)
        return STRATA_OK;
    if (m->down.path != NULL) { /* the up file had a down section */
        if (down->rank < up->rank)
            return STRATA_OK;
        if (down->rank == up->rank)
            return strata_fail(err, STRATA_VALIDATION,
                               "%s/%s has a down section and %s/%s is a down script for the "
                               "same version %s; keep one of them",
                               dir, up->file, dir, down->file, up->version);
        script_free(&m->down); /* a down script for this dialect beats a neutral section */
        memset(&m->down, 0, sizeof(m->down));
    }
    char *path = strata_path_join(dir, down->file);
    int rc = scan_file(path, 0, NULL, &m->down, NULL, err);
    free(path);
    return rc;
}

/* Builds the migration for the files sharing one version. */
static int
build_migration(const char *dir, found_file *files, size_t count, strata_migration *m,
                strata_error *err)
{
    int rc = check_conflicts(dir, files, count, err);
    if (rc != STRATA_OK)
        return rc;
    size_t ups = 0;
    for (size_t i = 0; i < count; i++)
        ups += is_up_claim(&files[i]);
    if (ups == 0)
        return no_up_error(dir, files, count, err);
    found_file *up = pick(files, count, 1);
    if (up == NULL) {
        inapplicable_migration(files, count, m);
        return STRATA_OK;
    }
    found_file *down = pick(files, count, 0);
    fill_names(m, up);
    m->applicable = 1;
    int sectioned = up->role == ROLE_ONE;
    file_info info = {0};
    char *path = strata_path_join(dir, up->file);
    rc = scan_file(path, sectioned, &m->up, sectioned ? &m->down : NULL, &info, err);
    free(path);
    int section_down = m->down.path != NULL;
    if (rc == STRATA_OK)
        rc = read_down(dir, up, down, m, err);
    if (down != NULL && section_down && down->rank <= up->rank)
        down = NULL; /* the down section is used */
    m->format = format_of(up, down, &info);
    return rc;
}

static int
build_migrations(const char *dir, found_list *found, strata_source_set *set, strata_error *err)
{
    set->items = strata_xcalloc(found->count + 1, sizeof(*set->items));
    for (size_t i = 0; i < found->count;) {
        size_t j = i + 1;
        while (j < found->count &&
               strata_version_cmp(&found->items[i].key, &found->items[j].key) == 0)
            j++;
        int rc = build_migration(dir, found->items + i, j - i, &set->items[set->count++], err);
        if (rc != STRATA_OK)
            return rc;
        i = j;
    }
    return STRATA_OK;
}

/* Repeatables: per name the file for this dialect, else the neutral one. */
static int
build_repeatables(const char *dir, found_list *found, strata_source_set *set, strata_error *err)
{
    set->repeatables = strata_xcalloc(found->count + 1, sizeof(*set->repeatables));
    for (size_t i = 0; i < found->count;) {
        size_t j = i + 1;
        while (j < found->count && strcmp(found->items[i].name, found->items[j].name) == 0)
            j++;
        found_file *best = NULL;
        for (size_t k = i; k < j; k++) {
            found_file *f = &found->items[k];
            for (size_t l = k + 1; l < j; l++)
                if (same_dialect(f, &found->items[l]))
                    return strata_fail(err, STRATA_VALIDATION,
                                       "%s/%s and %s/%s are the same repeatable migration %s; "
                                       "keep one of them",
                                       dir, f->file, dir, found->items[l].file, f->name);
            if (f->rank > 0 && (best == NULL || f->rank > best->rank))
                best = f;
        }
        i = j;
        if (best == NULL)
            continue;
        strata_repeatable *r = &set->repeatables[set->nrepeatables++];
        r->name = strata_xstrdup(best->name);
        char *path = strata_path_join(dir, best->file);
        int rc = scan_file(path, 0, &r->script, NULL, NULL, err);
        free(path);
        if (rc != STRATA_OK)
            return rc;
    }
    return STRATA_OK;
}

/* rank of each file: 2 for dialect, 1 neutral, 0 another dialect. */
static void
rank_files(found_list *l, const char *dialect)
{
    for (size_t i = 0; i < l->count; i++) {
        found_file *f = &l->items[i];
        if (f->dialect == NULL)
            f->rank = 1;
        else
            f->rank = dialect != NULL && strcmp(f->dialect, dialect) == 0 ? 2 : 0;
    }
}

int
strata_source_scan(const char *dir, const char *dialect, strata_source_set **out, strata_error *err)
{
    discovery d = {.dir = dir};
    strata_source_set *set = strata_xcalloc(1, sizeof(*set));
    set->dir = strata_xstrdup(dir);
    char *canonical = dialect != NULL ? dialect_canonical(dialect, strlen(dialect)) : NULL;
    *out = NULL;
    int rc = discover(&d, err);
    if (rc == STRATA_OK) {
        rank_files(&d.versioned, canonical);
        rank_files(&d.repeatables, canonical);
        rc = build_migrations(dir, &d.versioned, set, err);
    }
    if (rc == STRATA_OK)
        rc = build_repeatables(dir, &d.repeatables, set, err);
    discovery_free(&d);
    free(canonical);
    if (rc != STRATA_OK) {
        strata_source_free(set);
        return rc;
    }
    *out = set;
    return STRATA_OK;
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

/* ------------------------------------------------------------------ detecting the habit */

static const char *const detect_formats[] = {
    "paired", "sections", "goose", "rollback-folder", "folder", "flyway",
};
#define DETECT_NFORMATS (sizeof(detect_formats) / sizeof(detect_formats[0]))

/* The format of one version's files, from their names and, for a one-file migration, its
 * first section marker. */
static const char *
guess_format(const char *dir, const found_file *files, size_t count)
{
    const found_file *up = NULL, *down = NULL;
    for (size_t i = 0; i < count; i++) {
        const found_file *f = &files[i];
        if (is_up_claim(f) && (up == NULL || (up->dialect != NULL && f->dialect == NULL)))
            up = f;
        if (!is_up_claim(f) && (down == NULL || f->origin == FROM_ROLLBACK))
            down = f;
    }
    if (up == NULL)
        return NULL;
    if (up->role != ROLE_ONE || (down != NULL && down->origin == FROM_ROLLBACK))
        return format_of(up, down, NULL);
    char *path = strata_path_join(dir, up->file);
    int markers = peek_markers(path);
    free(path);
    file_info info = {.saw_marker = markers != 0, .goose = markers == 2};
    return format_of(up, down, &info);
}

/* Whether version is a plain sequence number (not a timestamp, not dotted). */
static int
is_sequence_number(const char *version)
{
    size_t len = strlen(version);
    return len > 0 && len < 12 && strspn(version, "0123456789") == len;
}

const char *
strata_source_detect_format(const char *dir, int *sequential, size_t *width)
{
    discovery d = {.dir = dir, .lenient = 1};
    strata_error err;
    size_t counts[DETECT_NFORMATS] = {0}, last[DETECT_NFORMATS] = {0}, seen = 0;
    *sequential = 0;
    *width = 0;
    if (discover(&d, &err) != STRATA_OK) {
        discovery_free(&d);
        return "paired";
    }
    int all_sequence = 1;
    for (size_t i = 0; i < d.versioned.count;) {
        size_t j = i + 1;
        while (j < d.versioned.count &&
               strata_version_cmp(&d.versioned.items[i].key, &d.versioned.items[j].key) == 0)
            j++;
        const char *format = guess_format(dir, d.versioned.items + i, j - i);
        for (size_t k = 0; format != NULL && k < DETECT_NFORMATS; k++)
            if (strcmp(format, detect_formats[k]) == 0) {
                counts[k]++;
                last[k] = ++seen; /* versions come in ascending order */
            }
        for (size_t k = i; k < j; k++) {
            const char *v = d.versioned.items[k].version;
            all_sequence = all_sequence && is_sequence_number(v);
            if (strlen(v) > *width)
                *width = strlen(v);
        }
        i = j;
    }
    for (size_t k = 0; k < DETECT_NFORMATS; k++)
        if (strcmp(detect_formats[k], "flyway") == 0)
            counts[k] += d.repeatables.count;
    *sequential = d.versioned.count > 0 && all_sequence;
    size_t best = 0;
    for (size_t k = 1; k < DETECT_NFORMATS; k++)
        if (counts[k] > counts[best] || (counts[k] == counts[best] && last[k] > last[best]))
            best = k;
    discovery_free(&d);
    return detect_formats[best];
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
