/*
 * The rules of every dialect: data loss, renames, whole-table DML, and whether a migration
 * can be undone (no-down, down-incomplete). Also what an up script creates, which the
 * dialects' rules ask to tell new tables from existing ones.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "util.h"

/* Words after ALTER TABLE t DROP that name something other than a column. */
static const char *const not_columns[] = {"CONSTRAINT", "INDEX",  "KEY",       "PRIMARY",
                                          "FOREIGN",    "CHECK",  "PARTITION", "DEFAULT",
                                          "SYSTEM",     "PERIOD", NULL};
/* Words after ALTER TABLE t ADD that add something other than a column. */
static const char *const not_added_columns[] = {
    "CONSTRAINT", "PRIMARY", "UNIQUE",    "FOREIGN", "CHECK",  "INDEX",   "KEY",
    "FULLTEXT",   "SPATIAL", "PARTITION", "PERIOD",  "SYSTEM", "EXCLUDE", NULL};

/* Kinds of object a CREATE statement may make, as the word after CREATE [...] says. */
static const char *const created_kinds[] = {
    "TABLE",    "INDEX",     "VIEW",      "SEQUENCE", "TYPE",      "DOMAIN",
    "FUNCTION", "PROCEDURE", "TRIGGER",   "SCHEMA",   "EVENT",     "RULE",
    "POLICY",   "EXTENSION", "AGGREGATE", "OPERATOR", "COLLATION", NULL};

size_t
lint_alter_table(const lint_stmt *st)
{
    if (!lint_kws(st, 0, "ALTER TABLE"))
        return 0;
    size_t i = lint_skip_if(st, 2);
    if (lint_kw(st, i, "ONLY"))
        i++;
    return lint_is_name(st, i) ? i : 0;
}

int
lint_new_table(const lint_migration *lm, const char *name)
{
    return lint_names_has(&lm->tables, name);
}

/* ------------------------------------------------------------------ what the up creates */

/* One thing a statement creates: kind (lower case), name, and the table it belongs to. */
typedef struct created {
    char kind[16];
    char name[NAME_MAX_LEN];
    char table[NAME_MAX_LEN]; /* "" when none */
} created;

/* The index of the kind word of a CREATE statement (CREATE OR REPLACE UNIQUE INDEX ...), or 0. */
static size_t
create_kind(const lint_stmt *st)
{
    if (!lint_kw(st, 0, "CREATE"))
        return 0;
    for (size_t i = 1; i < st->ntoks && i < 12; i++) {
        if (st->depth[i] != 0)
            return 0;
        if (lint_kw_in(st, i, created_kinds))
            return i;
    }
    return 0;
}

static void
lower_word(const lint_stmt *st, size_t i, char *out, size_t size)
{
    snprintf(out, size, "%.*s", (int)st->toks[i].len, st->text + st->toks[i].off);
    for (char *c = out; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
}

/* The objects statement st creates, into out (up to max); returns how many. */
static size_t
created_by(const lint_stmt *st, created *out, size_t max)
{
    size_t n = 0, k = create_kind(st);
    if (k != 0) {
        created *c = &out[n];
        memset(c, 0, sizeof(*c));
        lower_word(st, k, c->kind, sizeof(c->kind));
        size_t i = lint_skip_if(st, k + 1);
        if (lint_kw(st, i, "CONCURRENTLY"))
            i = lint_skip_if(st, i + 1);
        if (strcmp(c->kind, "index") == 0) {
            if (!lint_kw(st, i, "ON") && lint_is_name(st, i))
                lint_name(st, i, c->name, sizeof(c->name));
            size_t on = lint_find_kw(st, i, st->ntoks, 0, "ON");
            if (lint_kw(st, on + 1, "ONLY"))
                on++;
            lint_name(st, on + 1, c->table, sizeof(c->table));
        } else {
            lint_name(st, i, c->name, sizeof(c->name));
            if (strcmp(c->kind, "trigger") == 0 || strcmp(c->kind, "rule") == 0 ||
                strcmp(c->kind, "policy") == 0) {
                size_t on = lint_find_kw(st, i + 1, st->ntoks, 0, "ON");
                lint_name(st, on + 1, c->table, sizeof(c->table));
            }
        }
        return c->name[0] != '\0' || c->table[0] != '\0' ? 1 : 0;
    }
    size_t t = lint_alter_table(st);
    if (t == 0)
        return 0;
    char table[NAME_MAX_LEN];
    lint_name(st, t, table, sizeof(table));
    for (size_t i = t + 1; i < st->ntoks && n < max; i++) {
        size_t end = lint_item_end(st, i, st->ntoks, 0);
        if (lint_kw(st, i, "ADD")) {
            size_t j = i + 1;
            if (lint_kw(st, j, "COLUMN"))
                j++;
            j = lint_skip_if(st, j);
            if (j < end && lint_is_name(st, j) && !lint_kw_in(st, j, not_added_columns)) {
                created *c = &out[n++];
                memset(c, 0, sizeof(*c));
                snprintf(c->kind, sizeof(c->kind), "column");
                lint_name(st, j, c->name, sizeof(c->name));
                snprintf(c->table, sizeof(c->table), "%s", table);
            }
        }
        i = end;
    }
    return n;
}

/* The table a DML statement writes (INSERT INTO t, UPDATE t, DELETE FROM t), or "". */
static void
written_table(const lint_stmt *st, char *out, size_t size)
{
    out[0] = '\0';
    size_t i = 0;
    if (lint_kw(st, 0, "INSERT") || lint_kw(st, 0, "REPLACE")) {
        i = lint_find_kw(st, 1, st->ntoks, 0, "INTO");
        if (i == st->ntoks)
            i = 0; /* MySQL: INSERT t VALUES ... */
        i++;
    } else if (lint_kw(st, 0, "UPDATE")) {
        i = 1;
        while (lint_kw_in(st, i, (const char *const[]){"ONLY", "LOW_PRIORITY", "IGNORE", NULL}))
            i++;
    } else if (lint_kw(st, 0, "DELETE")) {
        i = lint_find_kw(st, 1, st->ntoks, 0, "FROM") + 1;
        if (lint_kw(st, i, "ONLY"))
            i++;
    } else {
        return;
    }
    lint_name(st, i, out, size);
}

/* Where ALTER TABLE t RENAME ... / RENAME TABLE a TO b renames something to: into lm. */
static void
collect_renames(lint_migration *lm, const lint_stmt *st)
{
    char name[NAME_MAX_LEN];
    if (lint_kws(st, 0, "RENAME TABLE")) {
        for (size_t i = 2; i < st->ntoks; i++)
            if (lint_kw(st, i, "TO")) {
                lint_name(st, i + 1, name, sizeof(name));
                lint_names_add(&lm->renamed, name);
            }
        return;
    }
    size_t t = lint_alter_table(st);
    for (size_t i = t + 1; t != 0 && i < st->ntoks; i++) {
        size_t end = lint_item_end(st, i, st->ntoks, 0);
        if (lint_kw(st, i, "RENAME")) {
            size_t to = lint_find_kw(st, i, end, 0, "TO");
            if (to == end)
                to = lint_find_kw(st, i, end, 0, "AS");
            lint_name(st, to + 1, name, sizeof(name));
            if (to < end && name[0] != '\0')
                lint_names_add(&lm->renamed, name);
        } else if (lint_kw(st, i, "CHANGE")) { /* MySQL: CHANGE [COLUMN] old new ... */
            size_t j = i + 1 + lint_kw(st, i + 1, "COLUMN");
            lint_name(st, j + 1, name, sizeof(name));
            if (name[0] != '\0')
                lint_names_add(&lm->renamed, name);
        }
        i = end;
    }
}

void
lint_collect(lint_migration *lm)
{
    char name[NAME_MAX_LEN];
    created c[16];
    for (size_t s = 0; s < lm->up.count; s++) {
        const lint_stmt *st = &lm->up.stmts[s];
        size_t n = created_by(st, c, sizeof(c) / sizeof(c[0]));
        for (size_t k = 0; k < n; k++) {
            if (strcmp(c[k].kind, "table") == 0)
                lint_names_add(&lm->tables, c[k].name);
            if (strcmp(c[k].kind, "column") == 0) {
                char col[2 * NAME_MAX_LEN + 2];
                snprintf(col, sizeof(col), "%.127s.%.127s", c[k].table, c[k].name);
                lint_names_add(&lm->columns, col);
            } else {
                char obj[NAME_MAX_LEN + 20];
                snprintf(obj, sizeof(obj), "%.15s %.127s", c[k].kind, c[k].name);
                lint_names_add(&lm->created, obj);
            }
        }
        written_table(st, name, sizeof(name));
        if (name[0] != '\0')
            lint_names_add(&lm->written, name);
        collect_renames(lm, st);
    }
}

/* ------------------------------------------------------------------ statement rules */

/* A down script dropping or emptying what its own up created or filled is its job. */
static int
down_undoes(const lint_migration *lm, const lint_script *sc, const char *table)
{
    return sc->down && (lint_new_table(lm, table) || lint_names_has(&lm->renamed, table) ||
                        lint_names_has(&lm->written, table));
}

static void
check_drop_table(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    if (!lint_kws(st, 0, "DROP TABLE"))
        return;
    char name[NAME_MAX_LEN];
    for (size_t i = lint_skip_if(st, 2); i < st->ntoks; i++) {
        if (!lint_is_name(st, i) ||
            lint_kw_in(st, i, (const char *const[]){"CASCADE", "RESTRICT", "PURGE", NULL}))
            continue;
        lint_name(st, i, name, sizeof(name));
        if (!down_undoes(lm, sc, name))
            lint_find(run, lm, sc, st, "drop-table",
                      "DROP TABLE %s deletes the table and every row in it", name);
    }
}

static void
check_alter_actions(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    size_t t = lint_alter_table(st);
    if (t == 0)
        return;
    char table[NAME_MAX_LEN], name[NAME_MAX_LEN], col[2 * NAME_MAX_LEN + 2];
    lint_name(st, t, table, sizeof(table));
    for (size_t i = t + 1; i < st->ntoks; i++) {
        size_t end = lint_item_end(st, i, st->ntoks, 0);
        if (lint_kw(st, i, "DROP") && !lint_kw_in(st, i + 1, not_columns)) {
            size_t j = lint_skip_if(st, i + 1 + lint_kw(st, i + 1, "COLUMN"));
            lint_name(st, j, name, sizeof(name));
            snprintf(col, sizeof(col), "%s.%s", table, name);
            if (name[0] != '\0' &&
                !(sc->down && (lint_names_has(&lm->columns, col) || lint_new_table(lm, table))))
                lint_find(run, lm, sc, st, "drop-column",
                          "DROP COLUMN %s deletes the column of %s and its values", name, table);
        } else if (lint_kw(st, i, "RENAME") &&
                   !lint_kw_in(st, i + 1,
                               (const char *const[]){"CONSTRAINT", "INDEX", "KEY", NULL})) {
            int to_table = lint_kw(st, i + 1, "TO") || lint_kw(st, i + 1, "AS");
            size_t from = i + 1 + lint_kw(st, i + 1, "COLUMN");
            lint_name(st, to_table ? t : from, name, sizeof(name));
            if (!(sc->down && lint_names_has(&lm->renamed, name)) &&
                !(!sc->down && lint_new_table(lm, table)))
                lint_find(run, lm, sc, st, to_table ? "rename-table" : "rename-column",
                          to_table ? "renaming table %s breaks queries that still name it"
                                   : "renaming column %s breaks queries that still name it",
                          name);
        } else if (lint_kw(st, i, "CHANGE")) { /* MySQL: CHANGE [COLUMN] old new type */
            size_t j = i + 1 + lint_kw(st, i + 1, "COLUMN");
            char to[NAME_MAX_LEN];
            lint_name(st, j, name, sizeof(name));
            lint_name(st, j + 1, to, sizeof(to));
            if (name[0] != '\0' && to[0] != '\0' && strcmp(name, to) != 0 &&
                !(sc->down && lint_names_has(&lm->renamed, name)) &&
                !(!sc->down && lint_new_table(lm, table)))
                lint_find(run, lm, sc, st, "rename-column",
                          "CHANGE renames column %s to %s: queries that still name it break", name,
                          to);
        }
        i = end;
    }
}

static void
check_rename_table(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    if (!lint_kws(st, 0, "RENAME TABLE"))
        return;
    char name[NAME_MAX_LEN];
    lint_name(st, 2, name, sizeof(name));
    if (!(sc->down && lint_names_has(&lm->renamed, name)) &&
        !(!sc->down && lint_new_table(lm, name)))
        lint_find(run, lm, sc, st, "rename-table",
                  "renaming table %s breaks queries that still name it", name);
}

static void
check_truncate(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    if (!lint_kw(st, 0, "TRUNCATE"))
        return;
    size_t i = 1 + lint_kw(st, 1, "TABLE");
    i += lint_kw(st, i, "ONLY");
    char name[NAME_MAX_LEN];
    lint_name(st, i, name, sizeof(name));
    if (!down_undoes(lm, sc, name))
        lint_find(run, lm, sc, st, "truncate", "TRUNCATE empties %s", name);
}

/* UPDATE and DELETE without a WHERE at the statement's own level. */
static void
check_unbounded(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    int update = lint_kw(st, 0, "UPDATE"), del = lint_kw(st, 0, "DELETE");
    if (!update && !del)
        return;
    if (lint_find_kw(st, 1, st->ntoks, 0, "WHERE") < st->ntoks)
        return;
    char name[NAME_MAX_LEN];
    written_table(st, name, sizeof(name));
    if (lint_new_table(lm, name) || down_undoes(lm, sc, name))
        return; /* a table the migration itself creates or fills */
    lint_find(run, lm, sc, st, update ? "update-without-where" : "delete-without-where",
              update ? "UPDATE of %s without WHERE changes every row"
                     : "DELETE from %s without WHERE deletes every row",
              name);
}

void
lint_check_all(lint_run *run, lint_migration *lm, lint_script *sc, size_t i)
{
    const lint_stmt *st = &sc->stmts[i];
    check_drop_table(run, lm, sc, st);
    check_alter_actions(run, lm, sc, st);
    check_rename_table(run, lm, sc, st);
    check_truncate(run, lm, sc, st);
    check_unbounded(run, lm, sc, st);
}

/* ------------------------------------------------------------------ migration rules */

/* True when some statement of the down script mentions name. */
static int
down_mentions(const lint_migration *lm, const char *name)
{
    for (size_t i = 0; i < lm->down.count; i++)
        if (lint_mentions(lm->down.stmts[i].text, name))
            return 1;
    return 0;
}

static void
check_down_covers(lint_run *run, lint_migration *lm)
{
    created c[16];
    for (size_t s = 0; s < lm->up.count; s++) {
        const lint_stmt *st = &lm->up.stmts[s];
        size_t n = created_by(st, c, sizeof(c) / sizeof(c[0]));
        for (size_t k = 0; k < n; k++) {
            if ((c[k].name[0] != '\0' && down_mentions(lm, c[k].name)) ||
                (c[k].table[0] != '\0' && down_mentions(lm, c[k].table)))
                continue;
            if (c[k].name[0] == '\0')
                lint_find(run, lm, &lm->up, st, "down-incomplete",
                          "the down script never names this %s (on %s) or its table", c[k].kind,
                          c[k].table);
            else if (c[k].table[0] != '\0')
                lint_find(run, lm, &lm->up, st, "down-incomplete",
                          "the down script never names %s %s (or its table %s)", c[k].kind,
                          c[k].name, c[k].table);
            else
                lint_find(run, lm, &lm->up, st, "down-incomplete",
                          "the down script never names %s %s", c[k].kind, c[k].name);
        }
    }
}

void
lint_check_migration(lint_run *run, lint_migration *lm)
{
    if (lm->m->down.path == NULL) {
        lint_find(run, lm, &lm->up, NULL, "no-down",
                  "version %s has no down script: strata down cannot undo it", lm->m->version);
        return;
    }
    if (lm->m->down.empty || lm->down.count == 0)
        return; /* irreversible on purpose */
    check_down_covers(run, lm);
}
