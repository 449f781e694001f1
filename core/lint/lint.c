/*
 * strata lint (docs/lint.md): which migrations, reading their scripts with the lint-ignore
 * comments, running the rules, and the report.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "dialects.h"
#include "envsub.h"
#include "fs.h"
#include "guard.h"
#include "lint.h"
#include "loader.h"
#include "script.h"
#include "session.h"
#include "split.h"
#include "tool.h"
#include "url.h"
#include "util.h"

/* ------------------------------------------------------------------ findings */

/* True when the directive's comma-separated rule list names rule. */
static int
directive_names(const lint_directive *d, const char *rule)
{
    size_t n = strlen(rule);
    for (const char *p = d->rule; *p != '\0';) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, rule, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* The directive of sc that suppresses rule at statement index (SIZE_MAX: the whole
 * script), or NULL. A statement's directives are the comments after the statement before it. */
static lint_directive *
suppressor(lint_script *sc, size_t index, const char *rule)
{
    long after = index != SIZE_MAX && index > 0 ? sc->stmts[index - 1].line : LONG_MIN;
    long before = index != SIZE_MAX ? sc->stmts[index].line : LONG_MIN;
    for (size_t i = 0; i < sc->ndirs; i++) {
        lint_directive *d = &sc->dirs[i];
        if (d->reason[0] == '\0' || !directive_names(d, rule))
            continue;
        if (d->whole || (index != SIZE_MAX && d->line >= after && d->line < before))
            return d;
    }
    return NULL;
}

static void
add_finding(lint_run *run, const lint_migration *lm, const lint_script *sc, const lint_stmt *st,
            const strata_lint_rule *rule, char *message, const lint_directive *by)
{
    strata_lint_report *r = run->report;
    r->items = strata_xrealloc(r->items, (r->count + 1) * sizeof(*r->items));
    strata_lint_finding *f = &r->items[r->count++];
    memset(f, 0, sizeof(*f));
    f->rule = rule->id;
    f->severity = rule->severity;
    f->version = strata_xstrdup(lm->m->version);
    f->file = strata_xstrdup(sc->script ? sc->script->path : lm->m->up.path);
    f->line = st ? st->line : sc->script ? sc->script->first_line : 1;
    f->col = st ? st->col : 1;
    f->statement = st ? lint_excerpt(st) : NULL;
    f->message = message;
    f->down = sc->down;
    if (by != NULL) {
        f->suppressed = strata_xstrdup(by->reason);
        r->suppressed++;
    } else if (rule->severity == STRATA_LINT_ERROR) {
        r->errors++;
    } else if (rule->severity == STRATA_LINT_WARNING) {
        r->warnings++;
    } else {
        r->notices++;
    }
}

void
lint_find(lint_run *run, const lint_migration *lm, lint_script *sc, const lint_stmt *st,
          const char *rule_id, const char *fmt, ...)
{
    const strata_lint_rule *rule = lint_rule(rule_id);
    if (rule == NULL)
        return; /* a rule this file forgot to list: never reached by the tests */
    va_list ap;
    va_start(ap, fmt);
    char text[1024];
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    lint_directive *by = suppressor(sc, st ? (size_t)(st - sc->stmts) : SIZE_MAX, rule_id);
    if (by != NULL)
        by->used = 1;
    add_finding(run, lm, sc, st, rule, strata_xstrdup(text), by);
}

/* Bad lint-ignore comments: an unknown rule, no reason. */
static void
check_directives(lint_run *run, const lint_migration *lm, lint_script *sc)
{
    const strata_lint_rule *bad = lint_rule("lint-ignore");
    lint_stmt at = {.line = 0, .col = 1};
    for (size_t i = 0; i < sc->ndirs; i++) {
        lint_directive *d = &sc->dirs[i];
        at.line = d->line;
        at.text = "-- strata:lint-ignore";
        at.len = strlen(at.text);
        for (const char *p = d->rule; *p != '\0';) {
            size_t len = strcspn(p, ",");
            char id[64];
            snprintf(id, sizeof(id), "%.*s", (int)(len < 63 ? len : 63), p);
            if (lint_rule(id) == NULL)
                add_finding(run, lm, sc, &at, bad,
                            strata_xasprintf("lint-ignore names no rule called '%s' (see strata "
                                             "lint --rules)",
                                             id),
                            NULL);
            p += len + (p[len] == ',');
        }
        if (d->rule[0] == '\0')
            add_finding(run, lm, sc, &at, bad,
                        strata_xstrdup("lint-ignore needs a rule id and a reason"), NULL);
        else if (d->reason[0] == '\0')
            add_finding(run, lm, sc, &at, bad,
                        strata_xasprintf("lint-ignore %s gives no reason: say why the finding "
                                         "does not apply",
                                         d->rule),
                        NULL);
    }
}

/* ------------------------------------------------------------------ reading a script */

/* Reads the script's bytes for the splitter while watching its lines for lint-ignore
 * comments. */
typedef struct directive_reader {
    strata_script_reader *inner;
    lint_script *sc;
    long line;      /* the file line being read */
    char text[512]; /* its start */
    size_t len;
    int long_line; /* longer than text: never a directive */
} directive_reader;

static void
parse_directive(directive_reader *r)
{
    const char *p = r->text + strspn(r->text, " \t");
    int whole;
    if (strncmp(p, "--", 2) != 0)
        return;
    p += 2;
    p += strspn(p, " \t");
    if (strncmp(p, "strata:lint-ignore-file", 23) == 0 && strchr(" \t\r", p[23]) != NULL)
        whole = 1, p += 23;
    else if (strncmp(p, "strata:lint-ignore", 18) == 0 && strchr(" \t\r", p[18]) != NULL)
        whole = 0, p += 18;
    else
        return;
    p += strspn(p, " \t");
    size_t n = strcspn(p, " \t\r");
    const char *reason = p + n;
    reason += strspn(reason, " \t");
    size_t rn = strcspn(reason, "\r");
    while (rn > 0 && (reason[rn - 1] == ' ' || reason[rn - 1] == '\t'))
        rn--;
    lint_script *sc = r->sc;
    sc->dirs = strata_xrealloc(sc->dirs, (sc->ndirs + 1) * sizeof(*sc->dirs));
    sc->dirs[sc->ndirs++] = (lint_directive){.line = r->line,
                                             .rule = strata_xstrndup(p, n),
                                             .reason = strata_xstrndup(reason, rn),
                                             .whole = whole};
}

static size_t
directive_read(void *ctx, char *buf, size_t size)
{
    directive_reader *r = ctx;
    size_t n = strata_script_read(r->inner, buf, size);
    for (size_t i = 0; n != (size_t)-1 && i < n; i++) {
        if (buf[i] == '\n') {
            r->text[r->len] = '\0';
            if (!r->long_line)
                parse_directive(r);
            r->line++;
            r->len = 0;
            r->long_line = 0;
        } else if (r->len + 1 < sizeof(r->text)) {
            r->text[r->len++] = buf[i];
        } else {
            r->long_line = 1;
        }
    }
    if (n == 0 && r->len > 0 && !r->long_line) { /* a last line without a newline */
        r->text[r->len] = '\0';
        parse_directive(r);
        r->len = 0;
    }
    return n;
}

typedef struct collect_ctx {
    lint_script *sc;
} collect_ctx;

static int
collect_statement(void *ctx, strata_lexer *lx, const strata_stmt *st, strata_error *err)
{
    (void)err;
    lint_script *sc = ((collect_ctx *)ctx)->sc;
    sc->stmts = strata_xrealloc(sc->stmts, (sc->count + 1) * sizeof(*sc->stmts));
    lint_stmt *l = &sc->stmts[sc->count++];
    memset(l, 0, sizeof(*l));
    l->text = strata_xstrndup(st->text, st->len);
    l->len = st->len;
    l->line = st->line;
    l->col = st->col;
    l->flags = st->flags;
    if (lx == NULL)
        return STRATA_OK; /* a script run whole (splitStatements:false): no tokens */
    const strata_sqlscan *scan = strata_lexer_scan(lx);
    lint_stmt_tokenize(l, scan);
    return STRATA_OK;
}

static int
read_script(lint_script *sc, const strata_script *script, int down, const strata_describe *info,
            strata_error *err)
{
    memset(sc, 0, sizeof(*sc));
    sc->down = down;
    if (script == NULL || script->path == NULL)
        return STRATA_OK;
    sc->script = script;
    directive_reader r = {.sc = sc, .line = script->first_line};
    int rc = strata_script_open(script, &r.inner, err);
    if (rc != STRATA_OK)
        return rc;
    collect_ctx c = {sc};
    strata_read_fn read = directive_read;
    void *source = &r;
    strata_envsub *envsub = NULL;
    if (script->flags & STRATA_SCRIPT_ENVSUB) { /* goose ENVSUB ON: linted as it will run */
        envsub = strata_envsub_create(read, source);
        if (script->flags & STRATA_SCRIPT_ENVSUB_OPEN)
            strata_envsub_start_inside(envsub);
        read = strata_envsub_read;
        source = envsub;
    }
    rc = strata_split_script(info, script, read, source, collect_statement, &c, err);
    strata_envsub_free(envsub);
    strata_script_close(r.inner);
    return rc;
}

static void
script_free(lint_script *sc)
{
    for (size_t i = 0; i < sc->count; i++)
        lint_stmt_free(&sc->stmts[i]);
    free(sc->stmts);
    for (size_t i = 0; i < sc->ndirs; i++) {
        free(sc->dirs[i].rule);
        free(sc->dirs[i].reason);
    }
    free(sc->dirs);
}

/* ------------------------------------------------------------------ one migration */

static void
check_script(lint_run *run, lint_migration *lm, lint_script *sc)
{
    for (size_t i = 0; i < sc->count; i++) {
        if (sc->stmts[i].toks == NULL)
            continue;
        lint_check_all(run, lm, sc, i);
        if (run->family == LINT_POSTGRES)
            lint_check_postgres(run, lm, sc, i);
        else if (run->family == LINT_MYSQL)
            lint_check_mysql(run, lm, sc, i);
        else if (run->family == LINT_SQLITE)
            lint_check_sqlite(run, lm, sc, i);
    }
    check_directives(run, lm, sc);
}

/* Orders findings [from, count) of the report by script (up first), line and column. */
static void
sort_findings(strata_lint_report *r, size_t from)
{
    for (size_t i = from + 1; i < r->count; i++) {
        strata_lint_finding f = r->items[i];
        size_t j = i;
        while (j > from && (r->items[j - 1].down > f.down ||
                            (r->items[j - 1].down == f.down &&
                             (r->items[j - 1].line > f.line ||
                              (r->items[j - 1].line == f.line && r->items[j - 1].col > f.col))))) {
            r->items[j] = r->items[j - 1];
            j--;
        }
        r->items[j] = f;
    }
}

static int
lint_one(lint_run *run, const strata_migration *m, const strata_describe *info, strata_error *err)
{
    size_t first = run->report->count;
    lint_migration lm;
    memset(&lm, 0, sizeof(lm));
    lm.m = m;
    int rc = read_script(&lm.up, &m->up, 0, info, err);
    if (rc == STRATA_OK)
        rc = read_script(&lm.down, m->down.path ? &m->down : NULL, 1, info, err);
    if (rc == STRATA_OK) {
        lint_collect(&lm);
        check_script(run, &lm, &lm.up);
        check_script(run, &lm, &lm.down);
        lint_check_migration(run, &lm);
        if (run->family == LINT_MYSQL)
            lint_check_mysql_migration(run, &lm);
        run->report->migrations++;
        sort_findings(run->report, first);
    }
    script_free(&lm.up);
    script_free(&lm.down);
    lint_names_free(&lm.tables);
    lint_names_free(&lm.created);
    lint_names_free(&lm.columns);
    lint_names_free(&lm.renamed);
    lint_names_free(&lm.written);
    return rc;
}

/* ------------------------------------------------------------------ the run */

/* The first "N.N[.N]" in text (e.g. "SQLite 3.40.1", "8.0.36-log") into v; {0} when none. */
static void
parse_version(const char *text, int v[3])
{
    v[0] = v[1] = v[2] = 0;
    if (text == NULL)
        return;
    const char *p = text + strcspn(text, "0123456789");
    for (int i = 0; i < 3 && *p >= '0' && *p <= '9'; i++) {
        v[i] = (int)strtol(p, (char **)&p, 10);
        if (*p != '.')
            break;
        p++;
    }
}

/* Which migrations of set are selected: sel[i] set for set->items[i]. */
typedef struct selection {
    unsigned char *sel;
    size_t count;
} selection;

/* The path of script p relative to dir ("" when it is not under dir). */
static const char *
relative_to(const char *dir, const char *p)
{
    size_t n = strlen(dir);
    if (strncmp(p, dir, n) == 0 && p[n] == '/')
        return p + n + 1;
    if (strcmp(dir, ".") == 0)
        return p;
    return "";
}

static int
same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (realpath(a, ra) == NULL || realpath(b, rb) == NULL)
        return strcmp(a, b) == 0;
    return strcmp(ra, rb) == 0;
}

/* Marks the migration each file belongs to; STRATA_USAGE for a file that is none's. */
static int
select_files(const strata_source_set *set, const char *const *files, selection *s,
             strata_error *err)
{
    for (; files != NULL && *files != NULL; files++) {
        int found = 0;
        for (size_t i = 0; i < set->count; i++) {
            const strata_migration *m = &set->items[i];
            const char *paths[] = {m->up.path, m->down.path, m->verify ? m->verify->path : NULL};
            for (size_t k = 0; k < 3; k++)
                if (paths[k] != NULL && same_file(paths[k], *files)) {
                    s->sel[i] = 1;
                    found = 1;
                }
        }
        if (!found)
            return strata_fail(err, STRATA_USAGE,
                               "%s is not a migration script of %s: name an up or down file "
                               "of that folder (or give --dir)",
                               *files, set->dir);
    }
    return STRATA_OK;
}

/* Runs git in dir with argv; the output (stdout and stderr) in text. */
static int
run_git(const char *git, char *const argv[], char *text, size_t size, strata_error *err)
{
    int status = 0;
    int rc = strata_tool_run(git, argv, NULL, NULL, NULL, text, size, &status, err);
    if (rc != STRATA_OK)
        return rc;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        text[strcspn(text, "\n")] = '\0';
        return strata_fail(err, STRATA_USAGE, "git %s failed: %s", argv[3],
                           text[0] ? text : "(no message)");
    }
    return STRATA_OK;
}

/* Marks migrations with a script in the newline-separated list of paths (relative to dir). */
static void
select_listed(const strata_source_set *set, const char *list, selection *s)
{
    for (const char *p = list; *p != '\0';) {
        size_t n = strcspn(p, "\n");
        for (size_t i = 0; i < set->count && n > 0; i++) {
            const strata_migration *m = &set->items[i];
            const char *paths[] = {m->up.path, m->down.path, m->verify ? m->verify->path : NULL};
            for (size_t k = 0; k < 3; k++) {
                const char *rel = paths[k] ? relative_to(set->dir, paths[k]) : "";
                if (strlen(rel) == n && strncmp(rel, p, n) == 0)
                    s->sel[i] = 1;
            }
        }
        p += n + (p[n] == '\n');
    }
}

/* Migrations with a file changed since rev: committed after it, staged, unstaged, or new
 * and not ignored. */
static int
select_since(const strata_source_set *set, const char *rev, selection *s, strata_error *err)
{
    char git[4096];
    if (rev[0] == '-')
        return strata_fail(err, STRATA_USAGE, "--since '%s': a revision cannot start with '-'",
                           rev);
    if (!strata_tool_find("git", git, sizeof(git)))
        return strata_fail(err, STRATA_USAGE,
                           "--since needs git, which is not on PATH (apt install git)");
    size_t size = 1 << 20;
    char *dir = set->dir;
    char commit[512], revision[512];
    if (strlen(rev) > 400)
        return strata_fail(err, STRATA_USAGE, "--since: a revision of %zu bytes is too long",
                           strlen(rev));
    snprintf(commit, sizeof(commit), "%s^{commit}", rev);
    snprintf(revision, sizeof(revision), "%s", rev);
    char *verify[] = {git, "-C", dir, "rev-parse", "--verify", "--quiet", commit, NULL};
    char *diff[] = {git,          "-C",     dir,  "-c", "core.quotepath=off", "diff", "--name-only",
                    "--relative", revision, "--", NULL};
    char *untracked[] = {git, "-C", dir, "ls-files", "--others", "--exclude-standard", NULL};
    char *text = strata_xmalloc(size);
    int rc = run_git(git, verify, text, size, err);
    if (rc == STRATA_USAGE && strstr(text, "not a git repository") != NULL)
        rc = strata_fail(err, STRATA_USAGE,
                         "--since %s: %s is not in a git repository; name files or use --all", rev,
                         dir);
    else if (rc == STRATA_USAGE)
        rc = strata_fail(err, STRATA_USAGE,
                         "--since %s: git knows no such revision in %s (a commit, tag or branch)",
                         rev, dir);
    if (rc == STRATA_OK)
        rc = run_git(git, diff, text, size, err);
    if (rc == STRATA_OK)
        select_listed(set, text, s);
    if (rc == STRATA_OK)
        rc = run_git(git, untracked, text, size, err);
    if (rc == STRATA_OK)
        select_listed(set, text, s);
    free(text);
    return rc;
}

/* Lints the selected migrations of set into a new report *out. */
static int
lint_set(const strata_source_set *set, const selection *s, const strata_describe *info,
         const char *version, strata_lint_report **out, strata_error *err)
{
    lint_run run;
    memset(&run, 0, sizeof(run));
    run.family = lint_family_of(info->dialect);
    parse_version(version, run.version);
    run.report = strata_xcalloc(1, sizeof(*run.report));
    run.report->dialect = strata_xstrdup(info->dialect ? info->dialect : "");
    int rc = STRATA_OK;
    for (size_t i = 0; rc == STRATA_OK && i < set->count; i++)
        if (s->sel[i] && set->items[i].applicable)
            rc = lint_one(&run, &set->items[i], info, err);
    lint_names_free(&run.weak_tables);
    lint_names_free(&run.not_null_checks);
    lint_names_free(&run.not_null_proven);
    if (rc != STRATA_OK) {
        strata_lint_report_free(run.report);
        return rc;
    }
    *out = run.report;
    return STRATA_OK;
}

/* Marks what lo selects (files, since, all). */
static int
select_options(const strata_source_set *set, const strata_lint_options *lo, selection *s,
               strata_error *err)
{
    if (lo == NULL)
        return STRATA_OK;
    if (lo->all)
        memset(s->sel, 1, s->count);
    int rc = select_files(set, lo->files, s, err);
    if (rc == STRATA_OK && lo->since != NULL)
        rc = select_since(set, lo->since, s, err);
    return rc;
}

/* The dialect of the driver for url's scheme, without connecting: *info and *version (the
 * client library's, which only SQLite's rules read). */
static int
describe_offline(const strata_options *o, strata_describe *info, const char **version,
                 strata_error *err)
{
    char scheme[80];
    const strata_driver *drv = NULL;
    if (o->database_url == NULL ||
        strata_url_scheme(o->database_url, scheme, sizeof(scheme)) == NULL)
        return strata_fail(err, STRATA_USAGE,
                           "lint needs a database URL to know the dialect: -d SCHEME: is enough "
                           "(nothing connects); `strata drivers` lists the schemes");
    int rc = strata_loader_for_scheme(scheme, o->driver_dir, &drv, err);
    if (rc != STRATA_OK)
        return rc;
    if (!STRATA_DRIVER_HAS(drv, describe_offline))
        return strata_fail(err, STRATA_NOT_SUPPORTED,
                           "the %s driver cannot describe its dialect without connecting: lint "
                           "the pending migrations of a database instead (strata lint without "
                           "--all, --since or files)",
                           drv->name);
    memset(info, 0, sizeof(*info));
    info->size = sizeof(*info);
    rc = drv->describe_offline(info, err);
    if (rc != STRATA_OK)
        return rc;
    *version = lint_family_of(info->dialect) == LINT_SQLITE ? drv->client_version : NULL;
    return STRATA_OK;
}

static int
strata_lint_body(const strata_options *o, const strata_lint_options *lo, strata_lint_report **out,
                 strata_error *err)
{
    *out = NULL;
    if (lo == NULL || (!lo->all && lo->since == NULL && (lo->files == NULL || *lo->files == NULL)))
        return strata_fail(err, STRATA_USAGE,
                           "without a database, lint needs --all, --since REV or files to say "
                           "which migrations");
    strata_describe info;
    const char *version = NULL;
    int rc = describe_offline(o, &info, &version, err);
    if (rc != STRATA_OK)
        return rc;
    strata_dialect d = {info.dialect, info.dialect_aliases};
    strata_source_set *set = NULL;
    rc = strata_source_scan(o->dir ? o->dir : "migrations", &d, &set, err);
    if (rc != STRATA_OK)
        return rc;
    selection s = {strata_xcalloc(set->count + 1, 1), set->count};
    rc = select_options(set, lo, &s, err);
    if (rc == STRATA_OK)
        rc = lint_set(set, &s, &info, lo->server_version ? lo->server_version : version, out, err);
    free(s.sel);
    strata_source_free(set);
    return rc;
}

int
strata_lint(const strata_options *o, const strata_lint_options *lo, strata_lint_report **out,
            strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_lint_body(o, lo, out, err);
}

/* Marks the migrations the session has pending. */
static int
select_pending(strata *s, const strata_source_set *set, selection *sel, strata_error *err)
{
    strata_status_report *st = NULL;
    int rc = strata_status(s, &st, err);
    for (size_t i = 0; rc == STRATA_OK && i < st->count; i++) {
        const strata_status_item *it = &st->items[i];
        if (it->repeatable ||
            (it->state != STRATA_STATE_PENDING && it->state != STRATA_STATE_OUT_OF_ORDER))
            continue;
        for (size_t k = 0; k < set->count; k++)
            if (strcmp(set->items[k].version, it->version) == 0)
                sel->sel[k] = 1;
    }
    strata_status_report_free(st);
    return rc;
}

static int
strata_lint_pending_body(strata *s, const strata_lint_options *lo, strata_lint_report **out,
                         strata_error *err)
{
    *out = NULL;
    strata_source_set *set = NULL;
    int rc = strata_session_scan(s, &set, err);
    if (rc != STRATA_OK)
        return rc;
    selection sel = {strata_xcalloc(set->count + 1, 1), set->count};
    rc = select_pending(s, set, &sel, err);
    if (rc == STRATA_OK)
        rc = select_options(set, lo, &sel, err);
    const char *version =
        lo != NULL && lo->server_version ? lo->server_version : strata_server_version(s);
    if (rc == STRATA_OK) {
        const strata_fs_set *before = strata_session_files(s);
        rc = lint_set(set, &sel, &s->info, version, out, err);
        strata_fs_use(before);
    }
    free(sel.sel);
    strata_source_free(set);
    return rc;
}

int
strata_lint_pending(strata *s, const strata_lint_options *lo, strata_lint_report **out,
                    strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_lint_pending_body(s, lo, out, err);
}

void
strata_lint_report_free(strata_lint_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++) {
        strata_lint_finding *f = &r->items[i];
        free(f->version);
        free(f->file);
        free(f->statement);
        free(f->message);
        free(f->suppressed);
    }
    free(r->items);
    free(r->dialect);
    free(r);
}
