/*
 * Reading one migration file: see script.h. Every file is read once, line by line, at
 * discovery; the readers below stream a script's bytes again when it runs.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fs.h"
#include "checksum.h"
#include "envsub.h"
#include "liquibase.h"
#include "script.h"
#include "util.h"

/* ------------------------------------------------------------------ checking text */

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

int
strata_script_check_line(const char *path, long line, const char *text, size_t n, strata_error *err)
{
    const char *nul = memchr(text, '\0', n);
    if (nul != NULL)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s:%ld:%ld: a NUL byte (0x00); SQL text cannot hold one, and a "
                           "database would drop the rest of the statement: remove it (is this "
                           "a binary file saved as .sql?)",
                           path, line, (long)(nul - text) + 1);
    long bad = utf8_invalid_at((const unsigned char *)text, n);
    if (bad >= 0)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s:%ld:%ld: byte 0x%02X is not valid UTF-8; save the file as UTF-8",
                           path, line, bad + 1, (unsigned char)text[bad]);
    return STRATA_OK;
}

/* ------------------------------------------------------------------ markers and annotations */

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

int
strata_script_line_is_quiet(const char *text, size_t n)
{
    return is_blank(text, n) || comment_body(text) != NULL;
}

/* ------------------------------------------------------------------ one pass over a file */

/* State of one pass over a file. */
typedef struct file_scan {
    const char *path;
    int sectioned;         /* the file may hold markers */
    strata_script *target; /* script receiving lines, NULL only between sections */
    strata_script *up, *down;
    strata_checksum sum;
    int has_sql; /* target holds a line that is neither blank nor a -- comment */
    strata_file_info info;
    int provisional;         /* reading a possible preamble as an up script */
    long preamble_sql;       /* line of the first SQL while provisional, 0 if none */
    unsigned preamble_flags; /* annotations before the first marker apply to both */
    int file_no_tx;          /* -- +goose NO TRANSACTION somewhere: both scripts */
    int envsub_on;           /* inside a goose ENVSUB ON region */
    int seen_text;           /* a non-blank line was read */
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
    s->has_sql = 0;
    strata_checksum_init(&s->sum);
}

/* Closes the script being read; an empty one (no SQL at all) is a deliberate no-op. */
static void
script_end(file_scan *s)
{
    strata_script *t = s->target;
    if (t == NULL)
        return;
    t->length = s->offset - t->offset;
    strata_checksum_final(&s->sum, t->checksum);
    t->empty = !s->has_sql;
    s->target = NULL;
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
    if (rc != STRATA_OK)
        return rc;
    script_end(s);
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
    int rc = strata_script_check_line(s->path, s->line, line, n, err);
    if (rc != STRATA_OK)
        return rc;
    if (!s->seen_text && !is_blank(line, n)) {
        s->seen_text = 1;
        s->info.liquibase = strata_liquibase_is_header(line, n);
    }
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
    if (!strata_script_line_is_quiet(line, n)) {
        s->has_sql = 1;
        if (s->provisional && !s->preamble_sql)
            s->preamble_sql = s->line;
    }
    s->offset += (long long)n;
    return STRATA_OK;
}

/* After the last line: checks and file-wide annotations. */
static int
scan_finish(file_scan *s, strata_error *err)
{
    int rc = STRATA_OK;
    script_end(s);
    if (s->info.saw_marker && s->up != NULL && s->up->path == NULL)
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

int
strata_script_scan(const char *path, int sectioned, strata_script *up, strata_script *down,
                   strata_file_info *info, strata_error *err)
{
    FILE *f = strata_fs_fopen(path);
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
        if (++s.line >= INT_MAX && sectioned) { /* strata_script.first_line is an int */
            rc = strata_fail(err, STRATA_VALIDATION,
                             "%s: more than %d lines; split the file: strata reads files with "
                             "sections of up to that many lines",
                             path, INT_MAX - 1);
            break;
        }
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

int
strata_script_peek_markers(const char *path)
{
    FILE *f = strata_fs_fopen(path);
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

/* ------------------------------------------------------------------ Liquibase changesets */

/* Blanks line[from, to), keeping line ends. */
static void
blank(char *line, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (line[i] != '\n' && line[i] != '\r')
            line[i] = ' ';
}

/* Skips blanks from p in line[0, n). */
static size_t
skip_blanks(const char *line, size_t n, size_t p)
{
    while (p < n && (line[p] == ' ' || line[p] == '\t'))
        p++;
    return p;
}

/* Where the payload of a "--rollback SQL" line starts, or 0 when line is not one. */
static size_t
rollback_payload(const char *line, size_t n)
{
    size_t p = skip_blanks(line, n, 0);
    if (n - p < 2 || line[p] != '-' || line[p + 1] != '-')
        return 0;
    p = skip_blanks(line, n, p + 2);
    if (n - p < 9 || strncasecmp(line + p, "rollback", 8) != 0 ||
        (line[p + 8] != ' ' && line[p + 8] != '\t'))
        return 0;
    return skip_blanks(line, n, p + 9);
}

/* Whether line is "/ * liquibase rollback" alone (without the spaces), opening a block. */
static int
rollback_block_opens(const char *line, size_t n)
{
    size_t p = skip_blanks(line, n, 0);
    if (n - p < 2 || line[p] != '/' || line[p + 1] != '*')
        return 0;
    p = skip_blanks(line, n, p + 2);
    if (n - p < 9 || strncasecmp(line + p, "liquibase", 9) != 0)
        return 0;
    p = skip_blanks(line, n, p + 9);
    if (n - p < 8 || strncasecmp(line + p, "rollback", 8) != 0)
        return 0;
    for (p += 8; p < n; p++)
        if (!isspace((unsigned char)line[p]))
            return 0;
    return 1;
}

/* Where a block's closing star-slash is when it ends line (only blanks after it), or -1. */
static long
rollback_block_closes(const char *line, size_t n)
{
    size_t e = n;
    while (e > 0 && isspace((unsigned char)line[e - 1]))
        e--;
    return e >= 2 && line[e - 2] == '*' && line[e - 1] == '/' ? (long)e - 2 : -1;
}

/* Whether line is one of Liquibase's own "--" lines a changeset may hold. */
static int
liquibase_line(const char *line, size_t n)
{
    static const char *const words[] = {"comment",       "validCheckSum", "precondition",
                                        "preconditions", "rollback",      "ignoreLines"};
    size_t p = skip_blanks(line, n, 0);
    if (n - p < 2 || line[p] != '-' || line[p + 1] != '-')
        return 0;
    p = skip_blanks(line, n, p + 2);
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t wl = strlen(words[i]);
        if (n - p >= wl && strncasecmp(line + p, words[i], wl) == 0 &&
            (n - p == wl || !isalpha((unsigned char)line[p + wl])))
            return 1;
    }
    return 0;
}

void
strata_script_mask_changeset(int *state, char *line, size_t n, int rollback)
{
    if (*state == 1) { /* inside a rollback block */
        long close = rollback_block_closes(line, n);
        if (close >= 0) {
            *state = 0;
            blank(line, rollback ? (size_t)close : 0, n);
        } else if (!rollback) {
            blank(line, 0, n);
        }
        return;
    }
    size_t payload = rollback_payload(line, n);
    if (payload > 0) {
        blank(line, 0, rollback ? payload : n);
        return;
    }
    if (rollback_block_opens(line, n)) {
        *state = 1;
        blank(line, 0, n);
        return;
    }
    if (rollback || liquibase_line(line, n))
        blank(line, 0, n);
}

/* ------------------------------------------------------------------ reading a script */

struct strata_script_reader {
    FILE *file;
    long long remaining;
    int masked;   /* a Liquibase changeset: serve masked lines */
    int rollback; /* ... its rollback text */
    int mask_state;
    char *line; /* the masked line being served */
    size_t line_cap;
    size_t line_len;
    size_t line_pos;
};

int
strata_script_open(const strata_script *script, strata_script_reader **out, strata_error *err)
{
    *out = NULL;
    FILE *f = strata_fs_fopen(script->path);
    if (f == NULL)
        return strata_fail(err, STRATA_ERROR, "cannot open %s: %s", script->path, strerror(errno));
    if (fseeko(f, (off_t)script->offset, SEEK_SET) != 0) {
        int e = errno;
        fclose(f);
        return strata_fail(err, STRATA_ERROR, "cannot read %s: %s", script->path, strerror(e));
    }
    strata_script_reader *r = strata_xmalloc(sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->file = f;
    r->remaining = script->length;
    r->rollback = (script->flags & STRATA_SCRIPT_ROLLBACK_TEXT) != 0;
    r->masked = r->rollback || (script->flags & STRATA_SCRIPT_CHANGESET) != 0;
    *out = r;
    return STRATA_OK;
}

/* Reads the next line of the script into r->line and masks it; 0 at the end, -1 on error. */
static int
next_masked_line(strata_script_reader *r)
{
    if (r->remaining <= 0)
        return 0;
    ssize_t n = getline(&r->line, &r->line_cap, r->file);
    if (n <= 0)
        return ferror(r->file) ? -1 : 0;
    if ((long long)n > r->remaining)
        n = (ssize_t)r->remaining;
    r->remaining -= n;
    strata_script_mask_changeset(&r->mask_state, r->line, (size_t)n, r->rollback);
    r->line_len = (size_t)n;
    r->line_pos = 0;
    return 1;
}

/* strata_script_read for Liquibase changesets. */
static size_t
read_masked(strata_script_reader *r, char *buf, size_t size)
{
    if (r->line_pos == r->line_len) {
        int got = next_masked_line(r);
        if (got <= 0)
            return got < 0 ? (size_t)-1 : 0;
    }
    size_t n = r->line_len - r->line_pos;
    if (n > size)
        n = size;
    memcpy(buf, r->line + r->line_pos, n);
    r->line_pos += n;
    return n;
}

size_t
strata_script_read(void *reader, char *buf, size_t size)
{
    strata_script_reader *r = reader;
    if (r->masked)
        return read_masked(r, buf, size);
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
    free(reader->line);
    free(reader);
}
