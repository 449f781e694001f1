/*
 * The SQLite half of the differential test (tests/cli/test_differential.sh): for each file
 * named, the statement boundaries strata's splitter finds, set up as for the SQLite driver
 * (its lexer rules and its sqlite3_complete() hook), must equal those of the reference
 * splitter the sqlite3 shell uses: grow the text from the end of the previous statement up
 * to each ';' and ask sqlite3_complete() whether it now holds a complete statement. A piece
 * holding only blanks and comments is no statement (strata never yields one, and
 * sqlite3_prepare_v2() finds nothing in it); text after the last ';' is a statement ending
 * at the end of the file.
 *
 *   sqlite_bounds FILE...
 *
 * Prints each difference and a summary line "sqlite boundaries: F files, S statements, D
 * differences"; exits 1 when there is a difference or a file cannot be split.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <strata/driver.h>

#include "lexer.h"

#define RULES (STRATA_LEX_BRACKETS | STRATA_LEX_BACKTICKS)

typedef struct text {
    char *p;
    size_t n;
    size_t pos;
} text;

typedef struct bounds {
    size_t *at; /* offsets of the ';' ending each statement, or n for the end of the file */
    size_t count;
    size_t cap;
} bounds;

static void
add(bounds *b, size_t at)
{
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->at = realloc(b->at, b->cap * sizeof(*b->at));
        if (!b->at) {
            perror("sqlite_bounds");
            exit(2);
        }
    }
    b->at[b->count++] = at;
}

static int
load(const char *path, text *t)
{
    FILE *f = fopen(path, "rb");
    long n;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        if (f)
            fclose(f);
        return -1;
    }
    t->p = malloc((size_t)n + 1);
    t->n = (size_t)n;
    t->pos = 0;
    if (!t->p || fread(t->p, 1, t->n, f) != t->n) {
        fclose(f);
        return -1;
    }
    t->p[t->n] = '\0';
    fclose(f);
    return 0;
}

/* ---- the reference: sqlite3_complete() over growing text ---- */

/* True when sql holds no statement, only blanks and comments. */
static int
empty(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    if (st) {
        sqlite3_finalize(st);
        return 0;
    }
    return rc == SQLITE_OK;
}

static void
reference(sqlite3 *db, const text *t, bounds *out)
{
    char *piece = malloc(t->n + 1);
    size_t start = 0, i;

    for (i = 0; i < t->n; i++) {
        if (t->p[i] != ';')
            continue;
        memcpy(piece, t->p + start, i + 1 - start);
        piece[i + 1 - start] = '\0';
        if (!sqlite3_complete(piece))
            continue;
        if (!empty(db, piece))
            add(out, i);
        start = i + 1;
    }
    if (!empty(db, t->p + start))
        add(out, t->n);
    free(piece);
}

/* ---- strata's splitter ---- */

static size_t
read_text(void *ctx, char *buf, size_t size)
{
    text *t = ctx;
    size_t n = t->n - t->pos;

    if (n > size)
        n = size;
    if (n > 4096)
        n = 4096;
    memcpy(buf, t->p + t->pos, n);
    t->pos += n;
    return n;
}

/* Offset of line:col (1-based) in t. */
static size_t
offset_of(const text *t, long line, long col)
{
    size_t off = 0;
    long l = 1;

    while (l < line && off < t->n) {
        const char *nl = memchr(t->p + off, '\n', t->n - off);

        if (!nl)
            break;
        off = (size_t)(nl - t->p) + 1;
        l++;
    }
    return off + (size_t)(col - 1);
}

static int
strata_split(text *t, bounds *out, char *err, size_t errsize)
{
    strata_lexer *lx = NULL;
    strata_lex_error le;
    strata_stmt st;
    int rc;

    t->pos = 0;
    if (strata_lexer_new(RULES, NULL, read_text, t, 1, &lx) != STRATA_OK)
        return -1;
    strata_lexer_set_complete(lx, sqlite3_complete);
    while ((rc = strata_lexer_next(lx, &st, &le)) == 1) {
        size_t end = offset_of(t, st.line, st.col) + st.len, j = end;

        while (j < t->n && (t->p[j] == ' ' || (t->p[j] >= '\t' && t->p[j] <= '\r')))
            j++;
        add(out, j >= t->n ? t->n : t->p[j] == ';' ? j : end);
    }
    if (rc < 0)
        snprintf(err, errsize, "%ld:%ld: %s", le.line, le.col, le.message);
    strata_lexer_free(lx);
    return rc;
}

/* ---- comparing ---- */

static void
where(const text *t, size_t off, long *line, long *col)
{
    size_t i;

    *line = 1;
    *col = 1;
    for (i = 0; i < off && i < t->n; i++) {
        if (t->p[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

/* Compares one file; returns the number of differences (a file strata refuses counts one). */
static int
compare(sqlite3 *db, const char *path, long *statements)
{
    text t;
    bounds ref = {0}, got = {0};
    char err[512];
    size_t i;
    int diffs = 0;

    if (load(path, &t) != 0) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    reference(db, &t, &ref);
    if (strata_split(&t, &got, err, sizeof(err)) < 0) {
        printf("%s: strata cannot split it: %s\n", path, err);
        diffs = 1;
    }
    for (i = 0; !diffs && (i < ref.count || i < got.count); i++) {
        long rl, rc, gl, gc;

        if (i < ref.count && i < got.count && ref.at[i] == got.at[i])
            continue;
        where(&t, i < ref.count ? ref.at[i] : t.n, &rl, &rc);
        where(&t, i < got.count ? got.at[i] : t.n, &gl, &gc);
        printf("%s: statement %zu: sqlite3_complete() ends it at %ld:%ld, strata at %ld:%ld\n",
               path, i + 1, rl, rc, gl, gc);
        diffs = 1;
    }
    *statements += (long)ref.count;
    free(ref.at);
    free(got.at);
    free(t.p);
    return diffs;
}

int
main(int argc, char **argv)
{
    sqlite3 *db = NULL;
    long statements = 0;
    int i, diffs = 0;

    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        fprintf(stderr, "sqlite_bounds: cannot open an in-memory database\n");
        return 2;
    }
    for (i = 1; i < argc; i++)
        diffs += compare(db, argv[i], &statements);
    sqlite3_close(db);
    printf("sqlite boundaries: %d files, %ld statements, %d differences\n", argc - 1, statements,
           diffs);
    return diffs != 0;
}
