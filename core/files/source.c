#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <dirent.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "liquibase.h"
#include "names.h"
#include "scancache.h"
#include "script.h"
#include "source.h"
#include "sqitch.h"
#include "strpool.h"
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
    FROM_FILE,     /* a V_name file in the directory or in a dialect folder */
    FROM_FLYWAY,   /* a Flyway V, U or R file in the directory or in a dialect folder */
    FROM_ROLLBACK, /* rollback/ */
    FROM_FOLDER    /* a V_name/ folder */
};

/* A file found in the directory, before pairing. */
typedef struct found_file {
    char *file;    /* relative to the directory: "1_a.sql", "rollback/1_a.sql", "1_a/down.sql",
                      "postgres/1_a.up.sql" */
    char *version; /* as spelled (Flyway's '_' read as '.'); NULL for repeatables */
    char *name;    /* file, version and name: the discovery's pool's */
    char *dialect; /* canonical dialect, NULL when dialect-neutral (malloc'd) */
    char *unknown; /* a tag-shaped word naming no database ("email"), not yet decided
                      (malloc'd) */
    enum file_role role;
    enum file_origin origin;
    unsigned char autocommit; /* pop's .autocommit */
    unsigned char rank;       /* 2: for the scan's dialect, 1: neutral, 0: for another dialect */
    unsigned short plain;     /* strata_version_plain_len(version) (at most 64), for sorting */
    strata_file_stamp stamp;  /* keys the file's scan cache entry */
} found_file;

typedef struct found_list {
    found_file *items;
    size_t count;
    size_t cap;
} found_list;

/* ------------------------------------------------------------------ the source set */

void
strata_script_free(strata_script *script)
{
    free(script->path);
    free(script->delimiter);
}

/* What strata_script_free does, except for a path held by the set's pool. */
static void
script_clear(strata_script *script, const strata_source_set *set)
{
    if (set->texts == NULL)
        free(script->path);
    free(script->delimiter);
}

/* Frees what set holds (not set itself nor its dir) and empties it. */
static void
source_clear(strata_source_set *set)
{
    int pooled = set->texts != NULL;
    for (size_t i = 0; i < set->count; i++) {
        if (!pooled) {
            free(set->items[i].version);
            free(set->items[i].name);
        }
        script_clear(&set->items[i].up, set);
        script_clear(&set->items[i].down, set);
        if (set->items[i].verify != NULL)
            script_clear(set->items[i].verify, set);
        free(set->items[i].verify);
    }
    for (size_t i = 0; i < set->nrepeatables; i++) {
        if (!pooled)
            free(set->repeatables[i].name);
        script_clear(&set->repeatables[i].script, set);
    }
    for (size_t i = 0; i < set->nnotes; i++)
        free(set->notes[i]);
    for (size_t i = 0; i < set->ntags; i++) {
        free(set->tags[i].name);
        free(set->tags[i].version);
    }
    free(set->items);
    free(set->repeatables);
    free(set->notes);
    free(set->tags);
    strata_strpool_free(set->texts);
    char *dir = set->dir;
    memset(set, 0, sizeof(*set));
    set->dir = dir;
}

void
strata_source_free(strata_source_set *set)
{
    if (set == NULL)
        return;
    source_clear(set);
    free(set->dir);
    free(set);
}

void
strata_source_note(strata_source_set *set, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    set->notes = strata_xrealloc(set->notes, (set->nnotes + 1) * sizeof(*set->notes));
    set->notes[set->nnotes++] = strata_xstrdup(text);
}

const strata_migration *
strata_source_find(const strata_source_set *set, const char *version)
{
    size_t lo = 0, hi = set->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strata_version_cmp(set->items[mid].version, version);
        if (c == 0)
            return &set->items[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ------------------------------------------------------------------ discovery */

static void
found_file_free(found_file *f)
{
    free(f->dialect);
    free(f->unknown);
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

/* Frees the files from index keep on and gives back the list's memory behind them, a step
 * at a time (a shrinking realloc of a large block unmaps its tail without copying). */
static void
found_list_cut(found_list *l, size_t keep)
{
    for (size_t i = keep; i < l->count; i++)
        found_file_free(&l->items[i]);
    l->count = keep;
    if (l->cap - keep >= 1024) {
        l->cap = keep > 0 ? keep : 1;
        l->items = strata_xrealloc(l->items, l->cap * sizeof(*l->items));
    }
}

static int
cmp_found(const void *a, const void *b)
{
    const found_file *x = a, *y = b;
    int c;
    if (x->plain != 0 && x->plain == y->plain) {
        c = memcmp(x->version, y->version, x->plain);
        c = (c > 0) - (c < 0);
    } else {
        c = strata_version_cmp(x->version, y->version);
    }
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

/* What stat(2) said (rc, st): 1 regular file, 2 directory, 0 anything else or missing;
 * *stamp receives the stamp of what is there. */
static int
stat_type(int rc, const struct stat *st, strata_file_stamp *stamp)
{
    if (rc != 0)
        return 0;
    strata_file_stamp_of(st, stamp);
    return S_ISREG(st->st_mode) ? 1 : S_ISDIR(st->st_mode) ? 2 : 0;
}

/* stat_type of dir/file. */
static int
file_type(const char *dir, const char *file, strata_file_stamp *stamp)
{
    char *path = strata_path_join(dir, file);
    struct stat st;
    int rc = strata_fs_stat(path, &st);
    free(path);
    return stat_type(rc, &st, stamp);
}

/* stat_type of the entry name of the folder dh lists, examined through the folder's
 * descriptor. */
static int
entry_type(strata_fs_dir *dh, const char *name, strata_file_stamp *stamp)
{
    struct stat st;
    return stat_type(strata_fs_dir_stat(dh, name, &st), &st, stamp);
}

/* An entry named like a migration that is no regular file: a dangling symbolic link, a
 * FIFO, a socket, a device. Reading it would hang or fail later; it is an error now. */
static int
odd_entry(const char *dir, const char *file, strata_error *err)
{
    char *path = strata_path_join(dir, file);
    struct stat st;
    const char *what = "is not a regular file";
    if (strata_fs_lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        what = "is a symbolic link to nothing (a dangling link)";
    else if (strata_fs_lstat(path, &st) == 0 && S_ISFIFO(st.st_mode))
        what = "is a FIFO, not a file";
    else if (strata_fs_lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        what = "is a socket, not a file";
    else if (strata_fs_lstat(path, &st) != 0)
        what = "cannot be examined";
    int rc = strata_fail(err, STRATA_VALIDATION,
                         "%s: named like a migration but %s; make it a regular file or move it "
                         "out of %s",
                         path, what, dir);
    free(path);
    return rc;
}

/* One pass over a migrations directory. */
typedef struct discovery {
    const char *dir;
    const strata_dialect *dialect;
    strata_source_set *set;        /* receives notes; NULL when lenient */
    int lenient;                   /* skip what does not parse (strata_source_detect_format) */
    int liquibase;                 /* a Liquibase changelog was met: the directory is one */
    char *bad;                     /* the first name that does not parse: its error, or NULL */
    found_list versioned;          /* files with a version */
    found_list repeatables;        /* Flyway R__ files */
    int has_rollback;              /* dir holds a rollback/ folder */
    strata_file_stamp entry_stamp; /* of the entry being looked at */
    strata_strpool *names; /* the found files' names, versions and names: three short strings
                              a file, gone together at the end of the scan; NULL until one */
} discovery;

static void
discovery_free(discovery *d)
{
    found_list_free(&d->versioned);
    found_list_free(&d->repeatables);
    free(d->bad);
    strata_strpool_free(d->names);
}

/* A copy of s[0, n) held by the discovery until it ends. */
static char *
found_text_n(discovery *d, const char *s, size_t n)
{
    if (d->names == NULL)
        d->names = strata_strpool_new();
    return strata_strpool_copy(d->names, s, n);
}

static char *
found_text(discovery *d, const char *s)
{
    return found_text_n(d, s, strlen(s));
}

/* found_text of the malloc'd s, which is freed. */
static char *
found_text_take(discovery *d, char *s)
{
    char *copy = found_text(d, s);
    free(s);
    return copy;
}

/*
 * A file whose name does not parse: a Liquibase changelog makes the folder a Liquibase
 * project; otherwise the first such name is remembered, and is an error unless a changelog
 * shows up (then the changelog reader says what is wrong with the file).
 */
static void
bad_name(discovery *d, const char *file, const char *why)
{
    if (d->lenient)
        return;
    char *path = strata_path_join(d->dir, file);
    if (strata_liquibase_is_changelog(path))
        d->liquibase = 1;
    else if (d->bad == NULL)
        d->bad = strata_xasprintf("%s: not a migration file name: %s; rename it (e.g. "
                                  "001_create_users.up.sql, 20250701132805_create_users.sql, "
                                  "V1__create_users.sql) or move it out of %s",
                                  path, why, d->dir);
    free(path);
}

/*
 * The dialect of a file: the folder's (folder_dialect, canonical) or its tag's. A tag that
 * names no database is kept in *unknown for decide_unknown_tags; a tag that contradicts the
 * folder is an error.
 */
static int
file_dialect(discovery *d, const char *file, const char *folder_dialect, strata_file_name *n,
             char **dialect, char **unknown, strata_error *err)
{
    *dialect = NULL;
    *unknown = NULL;
    char *tagged = n->tag ? strata_dialect_canonical(d->dialect, n->tag, strlen(n->tag)) : NULL;
    if (n->tag != NULL && tagged == NULL)
        *unknown = strata_xstrdup(n->tag);
    if (folder_dialect != NULL && tagged != NULL && strcmp(tagged, folder_dialect) != 0) {
        free(tagged);
        return strata_fail(err, STRATA_VALIDATION,
                           "%s/%s: a file tagged for another database in the folder for %s; "
                           "move it to that database's folder or drop the tag",
                           d->dir, file, folder_dialect);
    }
    if (folder_dialect != NULL) {
        free(tagged);
        *dialect = strata_xstrdup(folder_dialect);
    } else {
        *dialect = tagged;
    }
    return STRATA_OK;
}

/* Completes f (file, role and origin set) with what its name n says, takes n's strings, and
 * adds it to the lists; frees both on error. */
static int
push_found(discovery *d, const char *folder_dialect, strata_file_name *n, found_file *f,
           strata_error *err)
{
    int rc = file_dialect(d, f->file, folder_dialect, n, &f->dialect, &f->unknown, err);
    f->version = n->version != NULL ? found_text(d, n->version) : NULL;
    f->name = found_text(d, n->name);
    f->autocommit = n->autocommit != 0;
    strata_file_name_free(n);
    if (rc != STRATA_OK) {
        found_file_free(f);
        return rc;
    }
    found_list_push(f->role == ROLE_REPEATABLE ? &d->repeatables : &d->versioned, *f);
    return STRATA_OK;
}

/* A .sql file directly inside the directory, or inside the dialect folder sub. */
static int
discover_file(discovery *d, const char *sub, const char *folder_dialect, const char *entry,
              strata_error *err)
{
    strata_file_name n;
    const char *why;
    char *file = sub ? found_text_take(d, strata_path_join(sub, entry)) : found_text(d, entry);
    if (strata_file_name_parse(entry, &n, &why) != 0) {
        bad_name(d, file, why);
        return STRATA_OK;
    }
    found_file f = {.file = file,
                    .origin = strchr("VUR", n.kind) != NULL ? FROM_FLYWAY : FROM_FILE,
                    .stamp = d->entry_stamp};
    f.role = n.kind == 'u' || n.kind == 'V' ? ROLE_UP
             : n.kind == 's'                ? ROLE_ONE
             : n.kind == 'R'                ? ROLE_REPEATABLE
                                            : ROLE_DOWN;
    return push_found(d, folder_dialect, &n, &f, err);
}

/* A folder VERSION_name holding migration.sql and maybe down.sql (Prisma). */
static int
discover_folder(discovery *d, const char *entry, size_t v, strata_error *err)
{
    size_t len = strlen(entry), name_start = v + 1;
    char *up = found_text_take(d, strata_path_join(entry, "migration.sql"));
    if (file_type(d->dir, up, &d->entry_stamp) != 1) {
        if (d->lenient)
            return STRATA_OK;
        return strata_fail(err, STRATA_VALIDATION,
                           "%s/%s: a migration folder without migration.sql; put its up script "
                           "in %s/%s/migration.sql (and its down script, if any, in down.sql), "
                           "or rename the folder if it is not a migration",
                           d->dir, entry, d->dir, entry);
    }
    found_file f = {.file = up, .role = ROLE_UP, .origin = FROM_FOLDER, .stamp = d->entry_stamp};
    f.version = found_text_n(d, entry, v);
    f.name = found_text_n(d, entry + name_start, len - name_start);
    found_list_push(&d->versioned, f);
    char *down = strata_path_join(entry, "down.sql");
    if (file_type(d->dir, down, &d->entry_stamp) != 1) {
        free(down);
        return STRATA_OK;
    }
    found_file g = {.file = found_text_take(d, down),
                    .role = ROLE_DOWN,
                    .origin = FROM_FOLDER,
                    .stamp = d->entry_stamp};
    g.version = f.version;
    g.name = f.name;
    found_list_push(&d->versioned, g);
    return STRATA_OK;
}

/* One .sql file of rollback/: a down script named after its migration's version. */
static int
discover_rollback_file(discovery *d, const char *entry, strata_error *err)
{
    strata_file_name n;
    const char *why;
    if (strata_file_name_parse(entry, &n, &why) != 0 || n.kind == 'u' || strchr("VUR", n.kind)) {
        strata_file_name_free(&n);
        if (d->lenient)
            return STRATA_OK;
        return strata_fail(err, STRATA_VALIDATION,
                           "%s/rollback/%s: rollback/ holds the down scripts of the migrations "
                           "beside it, named after their version; rename it like "
                           "rollback/001_rollback.sql or rollback/001_create_users.sql",
                           d->dir, entry);
    }
    found_file f = {.file = found_text_take(d, strata_path_join("rollback", entry)),
                    .role = ROLE_DOWN,
                    .origin = FROM_ROLLBACK,
                    .stamp = d->entry_stamp};
    return push_found(d, NULL, &n, &f, err);
}

/* Calls fn for each regular .sql file of dir/sub (not hidden), in directory order. */
static int
each_sql_file(discovery *d, const char *sub,
              int (*fn)(discovery *d, const char *sub, const char *entry, void *ctx,
                        strata_error *err),
              void *ctx, strata_error *err)
{
    char *path = strata_path_join(d->dir, sub);
    strata_fs_dir *dh = strata_fs_opendir(path);
    if (dh == NULL) {
        int rc = d->lenient
                     ? STRATA_OK
                     : strata_fail(err, STRATA_ERROR, "cannot read %s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    int rc = STRATA_OK;
    const char *e;
    while (rc == STRATA_OK && (e = strata_fs_readdir(dh)) != NULL) {
        if (e[0] == '.' || !strata_ends_with(e, ".sql"))
            continue;
        int type = entry_type(dh, e, &d->entry_stamp);
        if (type == 0 && !d->lenient)
            rc = odd_entry(path, e, err);
        else if (type == 1)
            rc = fn(d, sub, e, ctx, err);
    }
    strata_fs_closedir(dh);
    free(path);
    return rc;
}

static int
rollback_entry(discovery *d, const char *sub, const char *entry, void *ctx, strata_error *err)
{
    (void)sub;
    (void)ctx;
    return discover_rollback_file(d, entry, err);
}

static int
dialect_entry(discovery *d, const char *sub, const char *entry, void *ctx, strata_error *err)
{
    return discover_file(d, sub, ctx, entry, err);
}

/* A folder named after a database (postgres/, mysql/, sqlite3/ ...): its files are that
 * database's variants. */
static int
discover_dialect_folder(discovery *d, const char *entry, const char *dialect, strata_error *err)
{
    return each_sql_file(d, entry, dialect_entry, (void *)dialect, err);
}

/* A folder of the directory: rollback/, a dialect's folder, a migration folder, or none of
 * them (then it is not part of the migrations: sqitch's deploy/ and the like). */
static int
discover_subfolder(discovery *d, const char *entry, strata_error *err)
{
    if (strcmp(entry, "rollback") == 0) {
        d->has_rollback = 1;
        return STRATA_OK;
    }
    char *dialect = strata_dialect_canonical(d->dialect, entry, strlen(entry));
    if (dialect != NULL) {
        int rc = discover_dialect_folder(d, entry, dialect, err);
        free(dialect);
        return rc;
    }
    size_t len = strlen(entry), v = strata_file_name_version_prefix(entry, len);
    if (v == 0 || v == len || entry[v] == '.' || v + 1 == len)
        return STRATA_OK;
    return discover_folder(d, entry, v, err);
}

/* Lists the migration files of d->dir with parsed names; errors name the file to rename. */
static int
discover(discovery *d, strata_error *err)
{
    strata_fs_dir *dh = strata_fs_opendir(d->dir);
    if (dh == NULL)
        return strata_fail(err, STRATA_ERROR,
                           "cannot read the migrations directory %s: %s (set --dir or STRATA_DIR)",
                           d->dir, strerror(errno));
    int rc = STRATA_OK;
    const char *e;
    while (rc == STRATA_OK && (e = strata_fs_readdir(dh)) != NULL) {
        if (e[0] == '.')
            continue;
        int type = entry_type(dh, e, &d->entry_stamp);
        if (type == 2)
            rc = discover_subfolder(d, e, err);
        else if (type == 1 && strata_ends_with(e, ".sql"))
            rc = discover_file(d, NULL, NULL, e, err);
        else if (type == 0 && strata_ends_with(e, ".sql") && !d->lenient)
            rc = odd_entry(d->dir, e, err);
    }
    strata_fs_closedir(dh);
    if (rc == STRATA_OK && d->has_rollback)
        rc = each_sql_file(d, "rollback", rollback_entry, NULL, err);
    /* items is NULL when the folder holds none */
    for (size_t i = 0; rc == STRATA_OK && i < d->versioned.count; i++)
        d->versioned.items[i].plain =
            (unsigned short)strata_version_plain_len(d->versioned.items[i].version);
    if (rc == STRATA_OK && d->versioned.count > 1)
        qsort(d->versioned.items, d->versioned.count, sizeof(found_file), cmp_found);
    if (rc == STRATA_OK && d->repeatables.count > 1)
        qsort(d->repeatables.items, d->repeatables.count, sizeof(found_file), cmp_repeatable_file);
    return rc;
}

/* ------------------------------------------------------------------ pairing */

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
format_of(const found_file *up, const found_file *down, const strata_file_info *info)
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

/* A script's path moved into pool (NULL stays NULL); same (may be NULL) is a pooled path it
 * may equal, as the down section of a one-file migration equals its up file. */
static void
pool_path(strata_strpool *pool, strata_script *script, const char *same)
{
    if (script->path == NULL)
        return;
    char *pooled = same != NULL && strcmp(script->path, same) == 0
                       ? (char *)same
                       : strata_strpool_dup(pool, script->path);
    free(script->path);
    script->path = pooled;
}

static void
fill_names(strata_strpool *pool, strata_migration *m, const found_file *up)
{
    m->version = strata_strpool_dup(pool, up->version);
    m->name = strata_strpool_dup(pool, up->name);
}

/* A version whose files are all for other dialects: kept, not read. */
static void
inapplicable_migration(strata_strpool *pool, found_file *files, size_t count, strata_migration *m)
{
    const found_file *up = NULL, *down = NULL;
    for (size_t i = 0; i < count; i++) {
        if (up == NULL && is_up_claim(&files[i]))
            up = &files[i];
        if (down == NULL && !is_up_claim(&files[i]))
            down = &files[i];
    }
    fill_names(pool, m, up);
    m->applicable = 0;
    m->format = format_of(up, down, NULL);
}

/* Reads the down script chosen for m, unless the up file's down section wins. */
static int
read_down(const char *dir, strata_scan_cache *cache, const found_file *up, found_file *down,
          strata_migration *m, strata_error *err)
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
        strata_script_free(&m->down); /* a down script for this dialect beats a neutral section */
        memset(&m->down, 0, sizeof(m->down));
    }
    int rc =
        strata_scan_cache_scan(cache, dir, down->file, &down->stamp, 0, NULL, &m->down, NULL, err);
    if (down->autocommit)
        m->down.flags |= STRATA_SCRIPT_NO_TRANSACTION;
    return rc;
}

/* Builds the migration for the files sharing one version; *changelog is set when the up
 * file turns out to be a Liquibase changelog (then nothing else is done). */
static int
build_migration(const char *dir, strata_scan_cache *cache, strata_strpool *pool, found_file *files,
                size_t count, strata_migration *m, int *changelog, strata_error *err)
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
        inapplicable_migration(pool, files, count, m);
        return STRATA_OK;
    }
    found_file *down = pick(files, count, 0);
    fill_names(pool, m, up);
    m->applicable = 1;
    int sectioned = up->role == ROLE_ONE;
    strata_file_info info = {0};
    rc = strata_scan_cache_scan(cache, dir, up->file, &up->stamp, sectioned, &m->up,
                                sectioned ? &m->down : NULL, &info, err);
    if (rc == STRATA_OK && info.liquibase) {
        *changelog = 1;
        return STRATA_OK;
    }
    if (up->autocommit)
        m->up.flags |= STRATA_SCRIPT_NO_TRANSACTION;
    int section_down = m->down.path != NULL;
    if (rc == STRATA_OK)
        rc = read_down(dir, cache, up, down, m, err);
    if (down != NULL && section_down && down->rank <= up->rank)
        down = NULL; /* the down section is used */
    m->format = format_of(up, down, &info);
    return rc;
}

/* Where the group of files sharing the version of files[end - 1] starts. */
static size_t
group_start(const found_list *found, size_t end)
{
    size_t i = end - 1;
    while (i > 0 && strata_version_cmp(found->items[i - 1].version, found->items[i].version) == 0)
        i--;
    return i;
}

/*
 * Builds set->items from the sorted files, from the highest version down: each group of
 * files is freed once its migration is built and the list gives back its memory behind
 * it, so the list and the migrations are never both held whole (at 10,000 migrations that
 * is 2 MiB less at the scan's peak). The first error met is the highest version's.
 */
static int
build_migrations(const char *dir, strata_scan_cache *cache, found_list *found,
                 strata_source_set *set, int *changelog, strata_error *err)
{
    size_t versions = found->count > 0;
    for (size_t i = 1; i < found->count; i++)
        versions += strata_version_cmp(found->items[i - 1].version, found->items[i].version) != 0;
    set->items = strata_xcalloc(versions + 1, sizeof(*set->items));
    size_t slot = versions;
    int rc = STRATA_OK;
    while (rc == STRATA_OK && found->count > 0 && !*changelog) {
        size_t i = group_start(found, found->count);
        strata_migration *m = &set->items[--slot];
        rc = build_migration(dir, cache, set->texts, found->items + i, found->count - i, m,
                             changelog, err);
        pool_path(set->texts, &m->up, NULL);
        pool_path(set->texts, &m->down, m->up.path);
        found_list_cut(found, i);
    }
    set->count = versions - slot;
    if (slot > 0)
        memmove(set->items, set->items + slot, set->count * sizeof(*set->items));
    return rc;
}

/* Repeatables: per name the file for this dialect, else the neutral one. */
static int
build_repeatables(const char *dir, strata_scan_cache *cache, found_list *found,
                  strata_source_set *set, strata_error *err)
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
        r->name = strata_strpool_dup(set->texts, best->name);
        int rc = strata_scan_cache_scan(cache, dir, best->file, &best->stamp, 0, &r->script, NULL,
                                        NULL, err);
        pool_path(set->texts, &r->script, NULL);
        if (rc != STRATA_OK)
            return rc;
    }
    return STRATA_OK;
}

/*
 * A tag-shaped word that names no database ("001_a.acmedb.up.sql", "006_index_users.email
 * .up.sql"): when a neutral file of the same version, direction and name sits beside it, it
 * is that file's variant for a database strata does not know (never used here); otherwise
 * it is part of the name. Either way a note names the file.
 */
static void
decide_unknown(discovery *d, found_file *f, const found_file *group, size_t count)
{
    int variant = 0;
    for (size_t k = 0; k < count && !variant; k++)
        variant = &group[k] != f && group[k].unknown == NULL && group[k].dialect == NULL &&
                  is_up_claim(&group[k]) == is_up_claim(f) && strcmp(group[k].name, f->name) == 0;
    if (variant) {
        strata_source_note(d->set,
                           "%s/%s: '.%s' names no database strata knows; the file is read as "
                           "the variant of %s for that database, and not used here",
                           d->dir, f->file, f->unknown, f->name);
        f->dialect = f->unknown;
    } else {
        strata_source_note(d->set,
                           "%s/%s: '.%s' looks like a dialect tag but names no database strata "
                           "knows; it is read as part of the name '%s.%s' (the migration "
                           "applies to every database). Rename the file if a dialect was meant",
                           d->dir, f->file, f->unknown, f->name, f->unknown);
        f->name = found_text_take(d, strata_xasprintf("%s.%s", f->name, f->unknown));
        free(f->unknown);
    }
    f->unknown = NULL;
}

/* Decides every unknown tag, per group of files sharing a version (or a repeatable's name). */
static void
decide_unknown_tags(discovery *d, found_list *l, int repeatables)
{
    for (size_t i = 0; i < l->count;) {
        size_t j = i + 1;
        while (j < l->count &&
               (repeatables ? strcmp(l->items[i].name, l->items[j].name)
                            : strata_version_cmp(l->items[i].version, l->items[j].version)) == 0)
            j++;
        for (size_t k = i; k < j; k++)
            if (l->items[k].unknown != NULL)
                decide_unknown(d, &l->items[k], l->items + i, j - i);
        i = j;
    }
    if (repeatables && l->count > 1)
        qsort(l->items, l->count, sizeof(found_file), cmp_repeatable_file);
}

/* rank of each file: 2 for the scan's dialect, 1 neutral, 0 another dialect. */
static void
rank_files(found_list *l, const strata_dialect *dialect)
{
    for (size_t i = 0; i < l->count; i++) {
        found_file *f = &l->items[i];
        if (f->dialect == NULL)
            f->rank = 1;
        else
            f->rank = strata_dialect_is_active(dialect, f->dialect) ? 2 : 0;
    }
}

/* The scan of a large folder frees what it held only while building the set (the list of
 * files, their names, the cache's entries); the allocator keeps such pages mapped between
 * the blocks that stay, and they would count in every later phase's peak (0.2-0.3 MiB at
 * 10,000 migrations on PostgreSQL and MariaDB). They go back to the system. */
static void
release_scan_memory(size_t files)
{
#ifdef HAVE_MALLOC_TRIM
    if (files >= 1000)
        malloc_trim(0);
#else
    (void)files;
#endif
}

/* The file-name layouts; *changelog is set when dir turns out to be a Liquibase project. */
static int
scan_layouts(const char *dir, const strata_dialect *dialect, strata_source_set *set, int *changelog,
             strata_error *err)
{
    discovery d = {.dir = dir, .dialect = dialect, .set = set};
    strata_scan_cache *cache = NULL;
    int rc = discover(&d, err);
    size_t files = d.versioned.count + d.repeatables.count;
    *changelog = d.liquibase;
    if (rc == STRATA_OK && !*changelog && d.bad != NULL)
        rc = strata_fail(err, STRATA_VALIDATION, "%s", d.bad);
    if (rc == STRATA_OK && !*changelog) {
        decide_unknown_tags(&d, &d.versioned, 0);
        decide_unknown_tags(&d, &d.repeatables, 1);
        rank_files(&d.versioned, dialect);
        rank_files(&d.repeatables, dialect);
        cache = strata_scan_cache_open(dir);
        set->texts = strata_strpool_new();
        rc = build_migrations(dir, cache, &d.versioned, set, changelog, err);
    }
    if (rc == STRATA_OK && !*changelog)
        rc = build_repeatables(dir, cache, &d.repeatables, set, err);
    strata_scan_cache_close(cache);
    discovery_free(&d);
    release_scan_memory(files);
    return rc;
}

/* Reads dir into the new set *set: a sqitch project, a Liquibase project, or files. */
static int
scan_into(const char *dir, const strata_dialect *dialect, strata_source_set *set, strata_error *err)
{
    if (strata_sqitch_is_project(dir))
        return strata_sqitch_scan(dir, dialect, set, err);
    int changelog = 0;
    int rc = scan_layouts(dir, dialect, set, &changelog, err);
    if (rc != STRATA_OK || !changelog)
        return rc;
    source_clear(set);
    return strata_liquibase_scan(dir, dialect, set, err);
}

int
strata_source_scan(const char *dir, const strata_dialect *dialect, strata_source_set **out,
                   strata_error *err)
{
    strata_source_set *set = strata_xcalloc(1, sizeof(*set));
    set->dir = strata_xstrdup(dir);
    *out = NULL;
    int rc = scan_into(dir, dialect, set, err);
    if (rc != STRATA_OK) {
        strata_source_free(set);
        return rc;
    }
    *out = set;
    return STRATA_OK;
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
    int markers = strata_script_peek_markers(path);
    free(path);
    strata_file_info info = {.saw_marker = markers != 0, .goose = markers == 2};
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
    strata_error err = STRATA_ERROR_INIT;
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
               strata_version_cmp(d.versioned.items[i].version, d.versioned.items[j].version) == 0)
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
