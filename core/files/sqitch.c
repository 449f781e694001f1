/*
 * Reading a sqitch project (sqitch.h). The plan's grammar is sqitch's own (App::Sqitch::Plan,
 * syntax version 1.0.0): pragmas, a blank line, then change and tag lines with optional
 * "# notes".
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "script.h"
#include "sqitch.h"
#include "util.h"

typedef struct plan_change {
    char *name;
    long line;   /* of the plan */
    char **deps; /* as written, "!" marking conflicts */
    size_t ndeps;
    char *stem; /* file stem: the name, or name@tag for a reworked change's earlier
                   instance */
} plan_change;

typedef struct plan_tag {
    char *name;   /* without its '@' */
    size_t after; /* index of the change it follows */
    long line;
} plan_tag;

typedef struct plan {
    const char *path;
    char *project;
    plan_change *changes;
    size_t nchanges;
    plan_tag *tags;
    size_t ntags;
} plan;

static void
plan_free(plan *p)
{
    for (size_t i = 0; i < p->nchanges; i++) {
        plan_change *c = &p->changes[i];
        free(c->name);
        free(c->stem);
        for (size_t k = 0; k < c->ndeps; k++)
            free(c->deps[k]);
        free(c->deps);
    }
    for (size_t i = 0; i < p->ntags; i++)
        free(p->tags[i].name);
    free(p->changes);
    free(p->tags);
    free(p->project);
}

static int
is_file(const char *path)
{
    struct stat st;
    return strata_fs_stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int
strata_sqitch_is_project(const char *dir)
{
    char *path = strata_path_join(dir, STRATA_SQITCH_PLAN);
    int yes = is_file(path);
    free(path);
    return yes;
}

/* ------------------------------------------------------------------ lines */

static char *
skip_blank(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Cuts the line at its "# note" and trailing blanks. */
static void
cut_note(char *line)
{
    char *hash = strchr(line, '#');
    if (hash != NULL)
        *hash = '\0';
    size_t n = strlen(line);
    while (n > 0 && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0';
}

/* Reads a word (up to a blank, '[' or the end) from *p; NULL when there is none. */
static char *
take_word(char **p)
{
    char *s = skip_blank(*p), *e = s;
    while (*e != '\0' && *e != ' ' && *e != '\t' && *e != '[')
        e++;
    if (e == s)
        return NULL;
    *p = e;
    return strata_xstrndup(s, (size_t)(e - s));
}

static int
plan_error(const plan *p, long line, strata_error *err, const char *what)
{
    return strata_fail(err, STRATA_VALIDATION, "%s:%ld: %s", p->path, line, what);
}

/* A pragma line "%name=value" (inside the header). */
static int
read_pragma(plan *p, char *line, long lineno, strata_error *err)
{
    char *s = skip_blank(line);
    if (*s != '%')
        return plan_error(p, lineno, err,
                          "a blank line must come between the pragmas (%project=...) and the "
                          "changes, as sqitch writes it");
    s = skip_blank(s + 1);
    char *eq = strchr(s, '=');
    if (eq == NULL)
        return STRATA_OK;
    char *name_end = eq;
    while (name_end > s && isspace((unsigned char)name_end[-1]))
        name_end--;
    if ((size_t)(name_end - s) == strlen("project") && strncmp(s, "project", 7) == 0) {
        free(p->project);
        p->project = strata_xstrdup(skip_blank(eq + 1));
    }
    return STRATA_OK;
}

/* The dependencies between '[' and ']' at *s. */
static int
read_deps(plan *p, plan_change *c, char **s, long lineno, strata_error *err)
{
    char *open = skip_blank(*s);
    if (*open != '[')
        return STRATA_OK;
    char *close = strchr(open, ']');
    if (close == NULL)
        return plan_error(p, lineno, err, "the dependency list has no closing ]");
    *close = '\0';
    char *q = open + 1, *dep;
    while ((dep = take_word(&q)) != NULL) {
        c->deps = strata_xrealloc(c->deps, (c->ndeps + 1) * sizeof(*c->deps));
        c->deps[c->ndeps++] = dep;
    }
    *s = close + 1;
    return STRATA_OK;
}

/* Whether a change name is safe as a file stem: no "..", not absolute. */
static int
safe_name(const char *name)
{
    return name[0] != '/' && strstr(name, "..") == NULL;
}

static int
read_change(plan *p, char *line, long lineno, strata_error *err)
{
    char *s = skip_blank(line);
    if (*s == '-')
        return plan_error(p, lineno, err,
                          "a revert step (-change) in the plan; strata reads plans that only "
                          "deploy: remove the line, or rework the change instead");
    if (*s == '+')
        s = skip_blank(s + 1);
    plan_change c = {.line = lineno};
    c.name = take_word(&s);
    if (c.name == NULL || !safe_name(c.name)) {
        free(c.name);
        return plan_error(p, lineno, err,
                          "not a change line: expected NAME [DEPENDENCIES] TIMESTAMP PLANNER "
                          "<EMAIL> [# NOTE]");
    }
    int rc = read_deps(p, &c, &s, lineno, err);
    if (rc == STRATA_OK && *skip_blank(s) == '\0')
        rc = plan_error(p, lineno, err,
                        "the change has no timestamp and planner; sqitch writes NAME "
                        "TIMESTAMP PLANNER <EMAIL>");
    p->changes = strata_xrealloc(p->changes, (p->nchanges + 1) * sizeof(*p->changes));
    p->changes[p->nchanges++] = c;
    return rc;
}

static const plan_tag *
find_tag(const plan *p, const char *name)
{
    for (size_t i = 0; i < p->ntags; i++)
        if (strcmp(p->tags[i].name, name) == 0)
            return &p->tags[i];
    return NULL;
}

static int
read_tag(plan *p, char *line, long lineno, strata_error *err)
{
    char *s = skip_blank(line) + 1;
    char *name = take_word(&s);
    if (name == NULL)
        return plan_error(p, lineno, err, "a tag line without a name");
    if (p->nchanges == 0) {
        free(name);
        return plan_error(p, lineno, err, "a tag before the first change");
    }
    if (find_tag(p, name) != NULL) {
        char what[256];
        snprintf(what, sizeof(what), "the tag @%s appears twice; tags are unique", name);
        free(name);
        return plan_error(p, lineno, err, what);
    }
    p->tags = strata_xrealloc(p->tags, (p->ntags + 1) * sizeof(*p->tags));
    p->tags[p->ntags++] = (plan_tag){.name = name, .after = p->nchanges - 1, .line = lineno};
    return STRATA_OK;
}

/* Reads the plan file of p->path. */
static int
read_plan(plan *p, strata_error *err)
{
    FILE *f = strata_fs_fopen(p->path);
    if (f == NULL)
        return strata_fail(err, STRATA_ERROR, "cannot open %s: %s", p->path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int header = 1, rc = STRATA_OK;
    ssize_t got;
    while (rc == STRATA_OK && (got = getline(&line, &cap, f)) > 0) {
        lineno++;
        rc = strata_script_check_line(p->path, lineno, line, (size_t)got, err);
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *s = skip_blank(line);
        if (rc != STRATA_OK || *s == '#')
            continue;
        if (*s == '\0') {
            header = 0;
            continue;
        }
        cut_note(line);
        if (header)
            rc = read_pragma(p, line, lineno, err);
        else if (*s == '@')
            rc = read_tag(p, line, lineno, err);
        else
            rc = read_change(p, line, lineno, err);
    }
    free(line);
    fclose(f);
    if (rc == STRATA_OK && (p->project == NULL || p->project[0] == '\0'))
        rc = strata_fail(err, STRATA_VALIDATION,
                         "%s: no %%project pragma; a sqitch plan starts with %%project=NAME",
                         p->path);
    return rc;
}

char *
strata_sqitch_project(const char *dir)
{
    strata_error ignored = STRATA_ERROR_INIT;
    char *path = strata_path_join(dir, STRATA_SQITCH_PLAN);
    plan p = {.path = path};
    char *project = NULL;
    if (read_plan(&p, &ignored) == STRATA_OK) {
        project = p.project;
        p.project = NULL;
    }
    plan_free(&p);
    free(path);
    return project;
}

/* ------------------------------------------------------------------ checks */

/* The index of the last instance of name among the first n changes, or -1. */
static long
find_change(const plan *p, const char *name, size_t n)
{
    for (size_t i = n; i > 0; i--)
        if (strcmp(p->changes[i - 1].name, name) == 0)
            return (long)(i - 1);
    return -1;
}

/* Checks one dependency of change i; dep as written. */
static int
check_dep(const plan *p, size_t i, const char *dep, strata_error *err)
{
    const plan_change *c = &p->changes[i];
    int conflict = dep[0] == '!';
    const char *d = dep + conflict, *colon = strchr(d, ':');
    if (colon != NULL) {
        if ((size_t)(colon - d) != strlen(p->project) ||
            strncmp(d, p->project, (size_t)(colon - d)))
            return STRATA_OK; /* another project's change: not in this plan */
        d = colon + 1;
    }
    if (strlen(d) == 40 && strspn(d, "0123456789abcdef") == 40)
        return STRATA_OK; /* a change id: sqitch's registry knows it, the plan does not */
    char *name = strata_xstrdup(d), *at = strchr(name, '@');
    size_t limit = i;
    if (at != NULL) {
        const plan_tag *t = find_tag(p, at + 1);
        limit = t != NULL && t->after < i ? t->after + 1 : 0;
        *at = '\0';
    }
    long found = name[0] == '\0' ? (limit > 0 ? 0 : -1) : find_change(p, name, limit);
    int rc = STRATA_OK;
    if (conflict && found >= 0)
        rc = strata_fail(err, STRATA_VALIDATION,
                         "%s:%ld: change %s conflicts with %s, which the plan deploys before it "
                         "(line %ld); sqitch would refuse to deploy it too",
                         p->path, c->line, c->name, d, p->changes[found].line);
    else if (!conflict && found < 0)
        rc = strata_fail(err, STRATA_VALIDATION,
                         "%s:%ld: change %s requires %s, which the plan does not deploy before "
                         "it; move the line after the change it needs, or fix the name",
                         p->path, c->line, c->name, d);
    free(name);
    return rc;
}

static int
check_dependencies(const plan *p, strata_error *err)
{
    for (size_t i = 0; i < p->nchanges; i++)
        for (size_t k = 0; k < p->changes[i].ndeps; k++) {
            int rc = check_dep(p, i, p->changes[i].deps[k], err);
            if (rc != STRATA_OK)
                return rc;
        }
    return STRATA_OK;
}

/* ------------------------------------------------------------------ reworked changes */

/* Appends the tags following changes [from, to) to list, newest first. */
static size_t
tags_between(const plan *p, size_t from, size_t to, const plan_tag **list)
{
    size_t n = 0;
    for (size_t k = p->ntags; k > 0; k--) {
        const plan_tag *t = &p->tags[k - 1];
        if (t->after >= from && t->after < to)
            list[n++] = t;
    }
    return n;
}

/*
 * The file stem of each change: its name, or name@tag for an instance reworked later, the
 * tag being the first of those between the two instances (newest first) whose deploy
 * script exists, else the first of them.
 */
static int
assign_stems(const char *dir, plan *p, strata_error *err)
{
    const plan_tag **list = strata_xcalloc(p->ntags + 1, sizeof(*list));
    int rc = STRATA_OK;
    for (size_t i = 0; rc == STRATA_OK && i < p->nchanges; i++) {
        plan_change *c = &p->changes[i];
        size_t next = i + 1;
        while (next < p->nchanges && strcmp(p->changes[next].name, c->name) != 0)
            next++;
        if (next == p->nchanges) {
            c->stem = strata_xstrdup(c->name);
            continue;
        }
        size_t n = tags_between(p, i, next, list);
        if (n == 0) {
            rc = strata_fail(err, STRATA_VALIDATION,
                             "%s:%ld: change %s appears again without a tag between the two; "
                             "tag the plan before reworking a change (sqitch tag, sqitch rework)",
                             p->path, p->changes[next].line, c->name);
            break;
        }
        for (size_t k = 0; k < n && c->stem == NULL; k++) {
            char *stem = strata_xasprintf("%s@%s", c->name, list[k]->name);
            char *path = strata_xasprintf("%s/deploy/%s.sql", dir, stem);
            if (is_file(path))
                c->stem = stem;
            else
                free(stem);
            free(path);
        }
        if (c->stem == NULL)
            c->stem = strata_xasprintf("%s@%s", c->name, list[0]->name);
    }
    free(list);
    return rc;
}

/* ------------------------------------------------------------------ migrations */

/* Reads dir/folder/stem.sql into script when it exists; required: an error when it does not. */
static int
read_script(const char *dir, const char *folder, const plan_change *c, const plan *p, int required,
            strata_script *script, strata_error *err)
{
    char *path = strata_xasprintf("%s/%s/%s.sql", dir, folder, c->stem);
    int rc = STRATA_OK;
    if (is_file(path)) {
        rc = strata_script_scan(path, 0, script, NULL, NULL, err);
        script->flags |= STRATA_SCRIPT_OWN_TRANSACTION;
    } else if (required) {
        rc = strata_fail(err, STRATA_VALIDATION,
                         "%s:%ld: change %s has no deploy script %s; add it (sqitch add "
                         "writes it) or remove the change from the plan",
                         p->path, c->line, c->name, path);
    }
    free(path);
    return rc;
}

/* The change's verify script into m->verify, left NULL when it has none. */
static int
read_verify(const char *dir, const plan_change *c, const plan *p, strata_migration *m,
            strata_error *err)
{
    strata_script *verify = strata_xcalloc(1, sizeof(*verify));
    int rc = read_script(dir, "verify", c, p, 0, verify, err);
    if (verify->path != NULL) {
        m->verify = verify;
        return rc;
    }
    strata_script_free(verify);
    free(verify);
    return rc;
}

static int
build(const char *dir, const plan *p, strata_source_set *set, strata_error *err)
{
    set->items = strata_xcalloc(p->nchanges + 1, sizeof(*set->items));
    for (size_t i = 0; i < p->nchanges; i++) {
        const plan_change *c = &p->changes[i];
        strata_migration *m = &set->items[set->count++];
        m->version = strata_xasprintf("%zu", i + 1);
        m->name = strata_xstrdup(c->name);
        m->applicable = 1;
        m->format = "sqitch";
        int rc = read_script(dir, "deploy", c, p, 1, &m->up, err);
        if (rc == STRATA_OK)
            rc = read_script(dir, "revert", c, p, 0, &m->down, err);
        if (rc == STRATA_OK)
            rc = read_verify(dir, c, p, m, err);
        if (rc != STRATA_OK)
            return rc;
    }
    set->tags = strata_xcalloc(p->ntags + 1, sizeof(*set->tags));
    for (size_t i = 0; i < p->ntags; i++) {
        set->tags[i].name = strata_xasprintf("@%s", p->tags[i].name);
        set->tags[i].version = strata_xasprintf("%zu", p->tags[i].after + 1);
    }
    set->ntags = p->ntags;
    return STRATA_OK;
}

int
strata_sqitch_scan(const char *dir, const strata_dialect *dialect, strata_source_set *set,
                   strata_error *err)
{
    (void)dialect; /* a sqitch project targets one engine: its scripts serve every dialect */
    char *path = strata_path_join(dir, STRATA_SQITCH_PLAN);
    plan p = {.path = path};
    int rc = read_plan(&p, err);
    if (rc == STRATA_OK)
        rc = check_dependencies(&p, err);
    if (rc == STRATA_OK)
        rc = assign_stems(dir, &p, err);
    if (rc == STRATA_OK)
        rc = build(dir, &p, set, err);
    plan_free(&p);
    free(path);
    return rc;
}
