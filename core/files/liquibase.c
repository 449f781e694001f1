/*
 * Reading Liquibase formatted SQL changelogs (liquibase.h). The grammar follows Liquibase's
 * own parser (AbstractFormattedChangeLogParser): "--changeset author:id" lines start
 * changesets, "--rollback SQL" lines and "/ * liquibase rollback ... * /" blocks hold their
 * rollback, other "--" lines are comments.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fs.h"
#include "checksum.h"
#include "liquibase.h"
#include "script.h"
#include "util.h"

/* ------------------------------------------------------------------ words on a line */

static const char *
blanks(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

/* Whether s[0, end) starts with word (any case); sets *after. */
static int
starts_word(const char *s, const char *end, const char *word, const char **after)
{
    size_t n = strlen(word);
    if ((size_t)(end - s) < n || strncasecmp(s, word, n) != 0)
        return 0;
    *after = s + n;
    return 1;
}

/* The text after "--" and blanks, or NULL when the line is no "--" comment. */
static const char *
directive(const char *line, const char *end)
{
    const char *s = blanks(line, end);
    if (end - s < 2 || s[0] != '-' || s[1] != '-')
        return NULL;
    return blanks(s + 2, end);
}

int
strata_liquibase_is_header(const char *line, size_t n)
{
    const char *end = line + n, *s = directive(line, end), *after;
    if (s == NULL || !starts_word(s, end, "liquibase", &after))
        return 0;
    return starts_word(blanks(after, end), end, "formatted", &after);
}

int
strata_liquibase_is_changelog(const char *path)
{
    FILE *f = strata_fs_fopen(path);
    if (f == NULL)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int yes = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        const char *text = line;
        if (n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
            text += 3, n -= 3;
        if (strspn(text, " \t\r\n") == (size_t)n)
            continue;
        yes = strata_liquibase_is_header(text, (size_t)n);
        break;
    }
    free(line);
    fclose(f);
    return yes;
}

/* ------------------------------------------------------------------ changesets */

/* The changeset being read. */
typedef struct changeset {
    char *author;
    char *id;
    long line;         /* of its --changeset line */
    unsigned up_flags; /* STRATA_SCRIPT_* */
    unsigned down_flags;
    char *up_delim;
    char *down_delim;
    char *dbms;       /* as written, NULL: every database */
    int repeatable;   /* runOnChange or runAlways */
    long long offset; /* of the body: the line after --changeset */
    long first_line;
    strata_checksum up_sum;
    strata_checksum down_sum;
    int mask_state; /* strata_script_mask_changeset's */
    int has_sql;
    int has_rollback;
    char rollback_head[32]; /* the start of the rollback text, for "not required" */
    size_t head_len;
} changeset;

static void
changeset_free(changeset *c)
{
    free(c->author);
    free(c->id);
    free(c->up_delim);
    free(c->down_delim);
    free(c->dbms);
    memset(c, 0, sizeof(*c));
}

/* A token: "quoted text" or a run up to stop (or a blank). */
static char *
token(const char **p, const char *end, char stop)
{
    const char *s = *p, *e;
    if (s < end && *s == '"') {
        e = memchr(s + 1, '"', (size_t)(end - s - 1));
        if (e == NULL)
            return NULL;
        *p = e + 1;
        return strata_xstrndup(s + 1, (size_t)(e - s - 1));
    }
    for (e = s; e < end && *e != stop && !isspace((unsigned char)*e); e++)
        ;
    if (e == s)
        return NULL;
    *p = e;
    return strata_xstrndup(s, (size_t)(e - s));
}

static int
is_false(const char *v)
{
    return strata_strieq(v, "false");
}

static int
is_true(const char *v)
{
    return strata_strieq(v, "true");
}

/* What the file reader knows, for messages and notes. */
typedef struct changelog {
    const char *dir;
    const char *file; /* relative to dir */
    char *path;
    const strata_dialect *dialect;
    strata_source_set *set;
    long line;
    int noted_unevaluated; /* a note about contexts/preconditions was made for this file */
} changelog;

static void
note_unevaluated(changelog *cl, const char *what)
{
    if (cl->noted_unevaluated)
        return;
    cl->noted_unevaluated = 1;
    strata_source_note(cl->set,
                       "%s:%ld: %s are not evaluated by strata: every changeset of the file "
                       "runs, on every database its dbms attribute allows",
                       cl->path, cl->line, what);
}

/* Applies one attribute key:value of a --changeset line. */
static void
attribute(changelog *cl, changeset *c, const char *key, char *value)
{
    if (strata_strieq(key, "runInTransaction") && is_false(value)) {
        c->up_flags |= STRATA_SCRIPT_NO_TRANSACTION;
        c->down_flags |= STRATA_SCRIPT_NO_TRANSACTION;
    } else if (strata_strieq(key, "splitStatements") && is_false(value)) {
        c->up_flags |= STRATA_SCRIPT_ONE_STATEMENT;
    } else if (strata_strieq(key, "rollbackSplitStatements") && is_false(value)) {
        c->down_flags |= STRATA_SCRIPT_ONE_STATEMENT;
    } else if (strata_strieq(key, "endDelimiter") && value[0] != '\0') {
        free(c->up_delim);
        c->up_delim = strata_xstrdup(value);
    } else if (strata_strieq(key, "rollbackEndDelimiter") && value[0] != '\0') {
        free(c->down_delim);
        c->down_delim = strata_xstrdup(value);
    } else if (strata_strieq(key, "dbms")) {
        free(c->dbms);
        c->dbms = strata_xstrdup(value);
    } else if ((strata_strieq(key, "runOnChange") || strata_strieq(key, "runAlways")) &&
               is_true(value)) {
        c->repeatable = 1;
    } else if (strata_strieq(key, "context") || strata_strieq(key, "contextFilter") ||
               strata_strieq(key, "labels")) {
        note_unevaluated(cl, "contexts and labels");
    } else if (strata_strieq(key, "failOnError") && is_false(value)) {
        note_unevaluated(cl, "failOnError:false attributes (a failing statement fails)");
    }
    free(value);
}

/* Parses "--changeset author:id attributes" (s: past "changeset"). */
static int
parse_changeset_line(changelog *cl, changeset *c, const char *s, const char *end, strata_error *err)
{
    s = blanks(s, end);
    if (s < end && *s == '"') {
        c->author = token(&s, end, ':');
    } else { /* up to the ':', blanks included, as Liquibase reads it ("john doe:1") */
        const char *colon = memchr(s, ':', (size_t)(end - s));
        if (colon != NULL && colon > s && memchr(s, '\n', (size_t)(colon - s)) == NULL) {
            c->author = strata_xstrndup(s, (size_t)(colon - s));
            s = colon;
        }
    }
    if (c->author != NULL && s < end && *s == ':')
        s++, c->id = token(&s, end, ':');
    if (c->author == NULL || c->id == NULL)
        return strata_fail(err, STRATA_VALIDATION,
                           "%s:%ld: a changeset line needs author:id, e.g. --changeset "
                           "alice:create-users",
                           cl->path, cl->line);
    for (;;) {
        s = blanks(s, end);
        while (s < end && isspace((unsigned char)*s))
            s++;
        if (s >= end)
            return STRATA_OK;
        char *key = token(&s, end, ':');
        if (key == NULL) {
            s++;
            continue;
        }
        char *value = s < end && *s == ':' ? (s++, token(&s, end, '\0')) : NULL;
        attribute(cl, c, key, value != NULL ? value : strata_xstrdup(""));
        free(key);
    }
}

/* Whether the changeset runs on the dialect: its dbms list ("postgresql,mysql", "!h2",
 * "all", "none") allows it. */
static int
dbms_allows(const strata_dialect *d, const char *dbms)
{
    if (dbms == NULL || dbms[0] == '\0')
        return 1;
    int positive = 0, named = 0, excluded = 0;
    const char *p = dbms;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        int neg = *p == '!';
        const char *w = p + neg;
        size_t wl = n - (size_t)neg;
        if (wl == 3 && strncasecmp(w, "all", 3) == 0)
            named |= !neg;
        else if (wl == 4 && strncasecmp(w, "none", 4) == 0)
            excluded |= !neg;
        else {
            char *canon = strata_dialect_canonical(d, w, wl);
            int hit = strata_dialect_is_active(d, canon);
            free(canon);
            if (neg)
                excluded |= hit;
            else
                positive = 1, named |= hit;
        }
        p += n + (p[n] == ',');
    }
    if (excluded)
        return 0;
    return named || !positive;
}

/* ------------------------------------------------------------------ reading a file */

/* State of one pass over a changelog. */
typedef struct reader {
    changelog cl;
    changeset cur; /* author NULL: before the first changeset */
    int header_seen;
    long long offset;
    size_t file_no; /* 1-based, in path order */
    size_t count;   /* changesets of the file so far */
    char **names;   /* author:id of each, for duplicates */
} reader;

static void
script_range(const reader *r, const changeset *c, strata_script *s, unsigned flags,
             const char *delim)
{
    s->path = strata_xstrdup(r->cl.path);
    s->first_line = c->first_line;
    s->offset = c->offset;
    s->length = r->offset - c->offset;
    s->flags = flags;
    s->delimiter = delim ? strata_xstrdup(delim) : NULL;
}

/* A rollback of "not required" or "empty": a deliberate no-op. */
static int
rollback_is_noop(const changeset *c)
{
    const char *h = c->rollback_head;
    return strncasecmp(h, "not required", 12) == 0 || strncasecmp(h, "empty", 5) == 0;
}

static void
set_down(const reader *r, changeset *c, strata_script *down)
{
    if (!c->has_rollback)
        return;
    script_range(r, c, down, c->down_flags | STRATA_SCRIPT_ROLLBACK_TEXT, c->down_delim);
    strata_checksum_final(&c->down_sum, down->checksum);
    if (rollback_is_noop(c)) {
        down->length = 0;
        down->flags &= ~(unsigned)STRATA_SCRIPT_ROLLBACK_TEXT;
        strata_checksum_buffer("", 0, down->checksum);
        down->empty = 1;
    }
}

/* Refuses a second changeset of one author:id in the file; remembers name. */
static int
duplicate(reader *r, const char *name, strata_error *err)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->names[i], name) == 0)
            return strata_fail(err, STRATA_VALIDATION,
                               "%s:%ld: changeset %s appears twice in the file; give one of "
                               "them another id",
                               r->cl.path, r->cur.line, name);
    r->names = strata_xrealloc(r->names, (r->count + 1) * sizeof(*r->names));
    r->names[r->count++] = strata_xstrdup(name);
    return STRATA_OK;
}

/* Ends the changeset being read: it becomes a migration (or a repeatable). */
static int
finish_changeset(reader *r, strata_error *err)
{
    changeset *c = &r->cur;
    strata_source_set *set = r->cl.set;
    if (c->author == NULL)
        return STRATA_OK;
    char *name = strata_xasprintf("%s:%s", c->author, c->id);
    int rc = duplicate(r, name, err);
    if (rc == STRATA_OK && c->repeatable) {
        set->repeatables =
            strata_xrealloc(set->repeatables, (set->nrepeatables + 1) * sizeof(*set->repeatables));
        strata_repeatable *rep = &set->repeatables[set->nrepeatables++];
        memset(rep, 0, sizeof(*rep));
        rep->name = name;
        name = NULL;
        script_range(r, c, &rep->script, c->up_flags | STRATA_SCRIPT_CHANGESET, c->up_delim);
        strata_checksum_final(&c->up_sum, rep->script.checksum);
        rep->script.empty = !c->has_sql;
    } else if (rc == STRATA_OK) {
        set->items = strata_xrealloc(set->items, (set->count + 1) * sizeof(*set->items));
        strata_migration *m = &set->items[set->count++];
        memset(m, 0, sizeof(*m));
        m->version = strata_xasprintf("%zu.%zu", r->file_no, r->count);
        m->name = name;
        name = NULL;
        m->format = "liquibase";
        m->applicable = dbms_allows(r->cl.dialect, c->dbms);
        script_range(r, c, &m->up, c->up_flags | STRATA_SCRIPT_CHANGESET, c->up_delim);
        strata_checksum_final(&c->up_sum, m->up.checksum);
        m->up.empty = !c->has_sql;
        set_down(r, c, &m->down);
        if (!m->applicable) {
            strata_script_free(&m->up);
            strata_script_free(&m->down);
            memset(&m->up, 0, sizeof(m->up));
            memset(&m->down, 0, sizeof(m->down));
        }
    }
    free(name);
    changeset_free(c);
    return rc;
}

static int
start_changeset(reader *r, const char *s, const char *end, long long next_offset, strata_error *err)
{
    int rc = finish_changeset(r, err);
    if (rc != STRATA_OK)
        return rc;
    changeset *c = &r->cur;
    c->line = r->cl.line;
    rc = parse_changeset_line(&r->cl, c, s, end, err);
    if (rc != STRATA_OK) {
        changeset_free(c);
        return rc;
    }
    c->offset = next_offset;
    c->first_line = r->cl.line + 1;
    strata_checksum_init(&c->up_sum);
    strata_checksum_init(&c->down_sum);
    return STRATA_OK;
}

static int
all_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Keeps the rollback text's first bytes (after blanks) for rollback_is_noop. */
static void
keep_rollback_head(changeset *c, const char *masked, size_t n)
{
    for (size_t i = 0; i < n && c->head_len + 1 < sizeof(c->rollback_head); i++) {
        if (c->head_len == 0 && isspace((unsigned char)masked[i]))
            continue;
        c->rollback_head[c->head_len++] = masked[i];
    }
}

/* A body line of the changeset being read. */
static void
body_line(reader *r, const char *line, size_t n)
{
    changeset *c = &r->cur;
    strata_checksum_update(&c->up_sum, line, n);
    c->has_sql |= !strata_script_line_is_quiet(line, n);
    char small[512];
    char *masked = n <= sizeof(small) ? small : strata_xmalloc(n);
    memcpy(masked, line, n);
    int was_block = c->mask_state;
    strata_script_mask_changeset(&c->mask_state, masked, n, 1);
    strata_checksum_update(&c->down_sum, masked, n);
    if (c->mask_state || was_block || !all_blank(masked, n))
        c->has_rollback = 1;
    keep_rollback_head(c, masked, n);
    if (masked != small)
        free(masked);
}

static int
refuse_directive(const reader *r, const char *what, strata_error *err)
{
    return strata_fail(err, STRATA_VALIDATION,
                       "%s:%ld: %s is not supported by strata; write the SQL into the "
                       "changeset itself",
                       r->cl.path, r->cl.line, what);
}

/* A "--" line of the changelog: a directive, or a comment (then 0 is returned in *handled). */
static int
directive_line(reader *r, const char *d, const char *end, long long next_offset, int *handled,
               strata_error *err)
{
    const char *after;
    *handled = 1;
    if (starts_word(d, end, "changeset", &after) &&
        (after == end || isspace((unsigned char)*after)))
        return start_changeset(r, after, end, next_offset, err);
    if (starts_word(d, end, "include", &after))
        return refuse_directive(r, "--include / --includeAll (a Liquibase Pro feature)", err);
    if (starts_word(d, end, "property", &after))
        return refuse_directive(r, "--property (changelog properties)", err);
    if (starts_word(d, end, "ignoreLines", &after))
        return refuse_directive(r, "--ignoreLines", err);
    if (starts_word(d, end, "precondition", &after))
        note_unevaluated(&r->cl, "preconditions");
    *handled = 0;
    return STRATA_OK;
}

/* One line of a changelog (n bytes with its newline). */
static int
changelog_line(reader *r, const char *line, size_t n, strata_error *err)
{
    const char *end = line + n;
    long long next = r->offset + (long long)n;
    int rc = strata_script_check_line(r->cl.path, r->cl.line, line, n, err);
    if (rc != STRATA_OK)
        return rc;
    if (!r->header_seen) {
        if (strspn(line, " \t\r\n") == n)
            return STRATA_OK;
        r->header_seen = 1;
        if (strata_liquibase_is_header(line, n))
            return STRATA_OK;
        return strata_fail(err, STRATA_VALIDATION,
                           "%s:%ld: not a Liquibase formatted SQL changelog, in a folder of "
                           "changelogs; make its first line '--liquibase formatted sql' and "
                           "start each changeset with '--changeset author:id', or move it out",
                           r->cl.path, r->cl.line);
    }
    const char *d = directive(line, end);
    int handled = 0;
    if (d != NULL && r->cur.mask_state == 0) {
        rc = directive_line(r, d, end, next, &handled, err);
        if (rc != STRATA_OK || handled)
            return rc;
    }
    if (r->cur.author != NULL)
        body_line(r, line, n);
    else if (!strata_script_line_is_quiet(line, n))
        return strata_fail(err, STRATA_VALIDATION,
                           "%s:%ld: SQL before the first changeset; put a '--changeset "
                           "author:id' line above it",
                           r->cl.path, r->cl.line);
    return STRATA_OK;
}

static int
read_changelog(reader *r, strata_error *err)
{
    FILE *f = strata_fs_fopen(r->cl.path);
    if (f == NULL)
        return strata_fail(err, STRATA_ERROR, "cannot open %s: %s", r->cl.path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = STRATA_OK;
    while (rc == STRATA_OK && (n = getline(&line, &cap, f)) > 0) {
        if (++r->cl.line >= INT_MAX) { /* strata_script.first_line is an int */
            rc = strata_fail(err, STRATA_VALIDATION,
                             "%s: more than %d lines; split the changelog: strata reads "
                             "changelogs of up to that many lines",
                             r->cl.path, INT_MAX - 1);
            break;
        }
        const char *text = line;
        if (r->cl.line == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            text += 3;
            n -= 3;
            r->offset += 3;
        }
        rc = changelog_line(r, text, (size_t)n, err);
        r->offset += n;
    }
    if (rc == STRATA_OK && ferror(f))
        rc = strata_fail(err, STRATA_ERROR, "cannot read %s: %s", r->cl.path, strerror(errno));
    if (rc == STRATA_OK)
        rc = finish_changeset(r, err);
    changeset_free(&r->cur);
    free(line);
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------------ the folder */

static int
cmp_repeatables(const void *a, const void *b)
{
    const strata_repeatable *x = a, *y = b;
    return strcmp(x->name, y->name);
}

int
strata_liquibase_scan(const char *dir, const strata_dialect *dialect, strata_source_set *set,
                      strata_error *err)
{
    strata_fs_list l;
    int rc = strata_fs_list_files(dir, ".sql", &l, err);
    for (size_t i = 0; rc == STRATA_OK && i < l.count; i++) {
        reader r = {.cl = {.dir = dir, .file = l.paths[i], .dialect = dialect, .set = set},
                    .file_no = i + 1};
        r.cl.path = strata_path_join(dir, l.paths[i]);
        rc = read_changelog(&r, err);
        for (size_t k = 0; k < r.count; k++)
            free(r.names[k]);
        free(r.names);
        free(r.cl.path);
    }
    strata_fs_list_free(&l);
    if (rc == STRATA_OK && set->nrepeatables > 1)
        qsort(set->repeatables, set->nrepeatables, sizeof(*set->repeatables), cmp_repeatables);
    return rc;
}
