/*
 * MySQL's and MariaDB's rules: implicit commits, table copies, and foreign keys that an
 * engine ignores (docs/lint.md).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <string.h>

#include "lint.h"

/* The engine an ENGINE [=] x clause at depth 0 of [from, to) names, lower-cased, or "". */
static void
engine_of(const lint_stmt *st, size_t from, size_t to, char *out, size_t size)
{
    out[0] = '\0';
    size_t e = lint_find_kw(st, from, to, 0, "ENGINE");
    if (e == to)
        return;
    e += 1 + lint_punct(st, e + 1, '=');
    lint_name(st, e, out, size);
}

static int
weak_engine(const char *engine)
{
    return engine[0] != '\0' && strcmp(engine, "innodb") != 0;
}

/* The table a REFERENCES clause in [from, to) names (any depth), or "". */
static void
referenced(const lint_stmt *st, size_t from, size_t to, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = from; i < to; i++)
        if (lint_kw(st, i, "REFERENCES")) {
            lint_name(st, i + 1, out, size);
            return;
        }
}

static void
check_create_table(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    size_t k = 1 + lint_kw(st, 1, "TEMPORARY");
    if (!lint_kw(st, 0, "CREATE") || !lint_kw(st, k, "TABLE"))
        return;
    char table[NAME_MAX_LEN], engine[64], ref[NAME_MAX_LEN];
    size_t n = lint_skip_if(st, k + 1);
    lint_name(st, n, table, sizeof(table));
    engine_of(st, n + 1, st->ntoks, engine, sizeof(engine));
    referenced(st, n + 1, st->ntoks, ref, sizeof(ref));
    if (weak_engine(engine))
        lint_names_add(&run->weak_tables, table);
    if (ref[0] != '\0' && weak_engine(engine))
        lint_find(run, lm, sc, st, "mysql-fk-engine",
                  "%s is created with ENGINE=%s, which ignores its foreign keys", table, engine);
    else if (ref[0] != '\0' && lint_names_has(&run->weak_tables, ref))
        lint_find(run, lm, sc, st, "mysql-fk-engine",
                  "%s references %s, whose engine ignores foreign keys", table, ref);
}

/* What makes an ALTER TABLE copy the table, or NULL. */
static const char *
copy_reason(const lint_stmt *st, size_t t)
{
    int drop_pk = 0, add_pk = 0;
    for (size_t i = t + 1; i < st->ntoks; i++) {
        size_t end = lint_item_end(st, i, st->ntoks, 0);
        if (lint_kws(st, i, "CONVERT TO"))
            return "CONVERT TO CHARACTER SET re-encodes every row";
        if (lint_kw(st, i, "ALGORITHM") && lint_kw(st, i + 1 + lint_punct(st, i + 1, '='), "COPY"))
            return "ALGORITHM=COPY copies the table";
        if (lint_kw(st, i, "ENGINE"))
            return "ENGINE= rebuilds the table (a copy unless it was InnoDB already)";
        if (lint_kws(st, i, "ORDER BY"))
            return "ORDER BY copies the table";
        drop_pk |= lint_kws(st, i, "DROP PRIMARY KEY");
        add_pk |= lint_kws(st, i, "ADD PRIMARY KEY") ||
                  (lint_kws(st, i, "ADD CONSTRAINT") && lint_kws(st, i + 3, "PRIMARY KEY"));
        i = end;
    }
    if (drop_pk && !add_pk)
        return "dropping the primary key without adding one copies the table";
    return NULL;
}

static void
check_alter_table(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    size_t t = lint_alter_table(st);
    if (t == 0)
        return;
    char table[NAME_MAX_LEN], engine[64], ref[NAME_MAX_LEN], col[NAME_MAX_LEN];
    lint_name(st, t, table, sizeof(table));
    engine_of(st, t + 1, st->ntoks, engine, sizeof(engine));
    if (weak_engine(engine))
        lint_names_add(&run->weak_tables, table);
    referenced(st, t + 1, st->ntoks, ref, sizeof(ref));
    if (ref[0] != '\0' &&
        (lint_names_has(&run->weak_tables, table) || lint_names_has(&run->weak_tables, ref)))
        lint_find(run, lm, sc, st, "mysql-fk-engine",
                  "a foreign key from %s to %s: %s's engine ignores foreign keys", table, ref,
                  lint_names_has(&run->weak_tables, table) ? table : ref);
    if (lint_new_table(lm, table))
        return;
    const char *why = copy_reason(st, t);
    if (why != NULL)
        lint_find(run, lm, sc, st, "mysql-copy-alter", "ALTER TABLE %s: %s while writes wait",
                  table, why);
    for (size_t i = t + 1; i < st->ntoks; i++) {
        size_t end = lint_item_end(st, i, st->ntoks, 0);
        if (lint_kw(st, i, "MODIFY") || lint_kw(st, i, "CHANGE")) {
            size_t j = i + 1 + lint_kw(st, i + 1, "COLUMN");
            lint_name(st, j, col, sizeof(col));
            lint_find(run, lm, sc, st, "mysql-column-type",
                      "%s %s.%s restates its definition: a type or charset change copies the "
                      "table",
                      lint_kw(st, i, "MODIFY") ? "MODIFY" : "CHANGE", table, col);
            return; /* once per statement */
        }
        i = end;
    }
}

/* ------------------------------------------------------------------ DDL with DML */

static const char *const ddl_words[] = {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", NULL};
static const char *const dml_words[] = {"INSERT", "UPDATE", "DELETE", "REPLACE", "LOAD", NULL};

void
lint_check_mysql_migration(lint_run *run, lint_migration *lm)
{
    int seen_ddl = 0, seen_dml = 0;
    for (size_t i = 0; i < lm->up.count; i++) {
        const lint_stmt *st = &lm->up.stmts[i];
        int ddl = lint_kw_in(st, 0, ddl_words) && !lint_kws(st, 0, "CREATE TEMPORARY") &&
                  !lint_kws(st, 0, "DROP TEMPORARY");
        int dml = lint_kw_in(st, 0, dml_words);
        if ((ddl && seen_dml) || (dml && seen_ddl)) {
            lint_find(run, lm, &lm->up, st, "mysql-ddl-with-dml",
                      "this %s follows %s in the same migration: each DDL statement commits on "
                      "its own, so the migration cannot be atomic",
                      ddl ? "DDL" : "data change", ddl ? "data changes" : "DDL");
            return;
        }
        seen_ddl |= ddl;
        seen_dml |= dml;
    }
}

void
lint_check_mysql(lint_run *run, lint_migration *lm, lint_script *sc, size_t i)
{
    const lint_stmt *st = &sc->stmts[i];
    check_create_table(run, lm, sc, st);
    check_alter_table(run, lm, sc, st);
}
