/*
 * PostgreSQL's rules: locks and table rewrites that DDL on a busy table takes (docs/lint.md).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <string.h>

#include "lint.h"

/* Functions whose value differs per row: a default calling one is computed for every row. */
static const char *const volatile_functions[] = {"RANDOM",
                                                 "CLOCK_TIMESTAMP",
                                                 "GEN_RANDOM_UUID",
                                                 "UUID_GENERATE_V1",
                                                 "UUID_GENERATE_V1MC",
                                                 "UUID_GENERATE_V4",
                                                 "NEXTVAL",
                                                 "TIMEOFDAY",
                                                 "GEN_RANDOM_BYTES",
                                                 NULL};
static const char *const serial_types[] = {"SERIAL",  "BIGSERIAL", "SMALLSERIAL", "SERIAL2",
                                           "SERIAL4", "SERIAL8",   NULL};

/* True when a CONCURRENTLY word stands at the statement's own level. */
static int
concurrently(const lint_stmt *st)
{
    return lint_find_kw(st, 0, st->ntoks, 0, "CONCURRENTLY") < st->ntoks;
}

/* Statements that take a lock on an existing table: one finding per script without a
 * lock_timeout set before. */
static void
needs_lock_timeout(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st,
                   const char *table)
{
    if (sc->lock_timeout || sc->lock_reported)
        return;
    sc->lock_reported = 1;
    lint_find(run, lm, sc, st, "pg-lock-timeout",
              "this locks %s with no lock_timeout set earlier in the script: waiting for the "
              "lock blocks every query queued behind it",
              table);
}

static void
check_create_index(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    size_t k = 1 + lint_kw(st, 1, "UNIQUE");
    if (!lint_kw(st, 0, "CREATE") || !lint_kw(st, k, "INDEX") || concurrently(st))
        return;
    size_t on = lint_find_kw(st, k, st->ntoks, 0, "ON");
    on += lint_kw(st, on + 1, "ONLY");
    char table[NAME_MAX_LEN];
    lint_name(st, on + 1, table, sizeof(table));
    if (table[0] == '\0' || lint_new_table(lm, table))
        return;
    lint_find(run, lm, sc, st, "pg-index-concurrently",
              "CREATE INDEX on %s without CONCURRENTLY blocks writes to it while it builds", table);
    needs_lock_timeout(run, lm, sc, st, table);
}

static void
check_drop_index(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    if (!lint_kws(st, 0, "DROP INDEX") || concurrently(st))
        return;
    char name[NAME_MAX_LEN], obj[NAME_MAX_LEN + 8];
    lint_name(st, lint_skip_if(st, 2), name, sizeof(name));
    snprintf(obj, sizeof(obj), "index %s", name);
    if (sc->down && lint_names_has(&lm->created, obj))
        return; /* the down drops the index its up built */
    lint_find(run, lm, sc, st, "pg-drop-index-concurrently",
              "DROP INDEX %s without CONCURRENTLY locks its table", name);
}

/* ADD COLUMN c type ... with a default computed per row (or a serial type, or a stored
 * generated column). */
static void
check_add_column(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st, size_t i,
                 size_t end, const char *table)
{
    size_t j = lint_skip_if(st, i + 1 + lint_kw(st, i + 1, "COLUMN"));
    if (!lint_is_name(st, j))
        return;
    char col[NAME_MAX_LEN];
    lint_name(st, j, col, sizeof(col));
    const char *why = NULL;
    if (lint_kw_in(st, j + 1, serial_types))
        why = "a serial type's nextval() default";
    size_t def = lint_find_kw(st, j + 1, end, 0, "DEFAULT");
    for (size_t k = def + 1; why == NULL && k < end; k++)
        if (lint_kw_in(st, k, volatile_functions) && lint_punct(st, k + 1, '('))
            why = "a volatile default";
    size_t gen = lint_find_kw(st, j + 1, end, 0, "GENERATED");
    if (why == NULL && gen < end && lint_find_kw(st, gen, end, 0, "STORED") < end)
        why = "a stored generated column";
    if (why != NULL)
        lint_find(run, lm, sc, st, "pg-volatile-default",
                  "adding %s.%s with %s rewrites the whole table", table, col, why);
}

/* ADD [CONSTRAINT name] FOREIGN KEY | CHECK | UNIQUE | PRIMARY KEY ... */
static void
check_add_constraint(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st,
                     size_t i, size_t end, const char *table)
{
    size_t j = i + 1;
    char cname[NAME_MAX_LEN] = "";
    if (lint_kw(st, j, "CONSTRAINT")) {
        lint_name(st, j + 1, cname, sizeof(cname));
        j += 2;
    }
    int not_valid = 0;
    for (size_t k = j; k < end; k++)
        not_valid |= st->depth[k] == 0 && lint_kws(st, k, "NOT VALID");
    if (lint_kw(st, j, "FOREIGN") || lint_kw(st, j, "CHECK")) {
        if (!not_valid) {
            lint_find(run, lm, sc, st, "pg-constraint-not-valid",
                      "adding a %s constraint to %s without NOT VALID checks every row under a "
                      "lock that blocks writes",
                      lint_kw(st, j, "FOREIGN") ? "foreign key" : "check", table);
        } else if (lint_kw(st, j, "CHECK") && lint_punct(st, j + 1, '(') &&
                   lint_is_name(st, j + 2) && lint_kws(st, j + 3, "IS NOT NULL") &&
                   lint_punct(st, j + 6, ')')) {
            char col[NAME_MAX_LEN], rec[3 * NAME_MAX_LEN + 3];
            lint_name(st, j + 2, col, sizeof(col));
            snprintf(rec, sizeof(rec), "%s %s %s", table, cname, col);
            lint_names_add(&run->not_null_checks, rec);
        }
    } else if ((lint_kw(st, j, "UNIQUE") || lint_kws(st, j, "PRIMARY KEY")) &&
               lint_find_kw(st, j, end, 0, "USING") == end) {
        lint_find(run, lm, sc, st, "pg-unique-without-index",
                  "adding a %s constraint to %s builds its index while writes wait: build it "
                  "CONCURRENTLY first and add the constraint USING INDEX",
                  lint_kw(st, j, "UNIQUE") ? "UNIQUE" : "PRIMARY KEY", table);
    }
}

/* VALIDATE CONSTRAINT of a NOT VALID CHECK (c IS NOT NULL) proves c for SET NOT NULL. */
static void
note_validate(lint_run *run, const lint_stmt *st, size_t i, const char *table)
{
    char cname[NAME_MAX_LEN], prefix[2 * NAME_MAX_LEN + 2], proven[2 * NAME_MAX_LEN + 2];
    lint_name(st, i + 2, cname, sizeof(cname));
    snprintf(prefix, sizeof(prefix), "%s %s ", table, cname);
    for (size_t k = 0; k < run->not_null_checks.count; k++) {
        const char *rec = run->not_null_checks.items[k];
        if (strncmp(rec, prefix, strlen(prefix)) == 0) {
            snprintf(proven, sizeof(proven), "%s.%s", table, rec + strlen(prefix));
            lint_names_add(&run->not_null_proven, proven);
        }
    }
}

/* ALTER [COLUMN] c TYPE ... / SET NOT NULL */
static void
check_alter_column(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st,
                   size_t i, size_t end, const char *table)
{
    size_t j = i + 1 + lint_kw(st, i + 1, "COLUMN");
    char col[NAME_MAX_LEN], key[2 * NAME_MAX_LEN + 2];
    lint_name(st, j, col, sizeof(col));
    if (lint_kw(st, j + 1, "TYPE") || lint_kws(st, j + 1, "SET DATA TYPE")) {
        lint_find(run, lm, sc, st, "pg-column-type",
                  "changing the type of %s.%s rewrites the table under an ACCESS EXCLUSIVE "
                  "lock unless the change is binary-coercible",
                  table, col);
    } else if (lint_kws(st, j + 1, "SET NOT NULL") && j + 4 <= end) {
        snprintf(key, sizeof(key), "%s.%s", table, col);
        if (!lint_names_has(&run->not_null_proven, key))
            lint_find(run, lm, sc, st, "pg-set-not-null",
                      "SET NOT NULL on %s.%s scans the table under an ACCESS EXCLUSIVE lock; "
                      "validate a CHECK (%s IS NOT NULL) first",
                      table, col, col);
    }
}

static void
check_alter_table(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    size_t t = lint_alter_table(st);
    if (t == 0)
        return;
    char table[NAME_MAX_LEN];
    lint_name(st, t, table, sizeof(table));
    if (lint_new_table(lm, table))
        return;
    for (size_t i = t + 1; i < st->ntoks; i++) {
        size_t end = lint_item_end(st, i, st->ntoks, 0);
        if (lint_kw(st, i, "ADD") &&
            (lint_kw(st, i + 1, "CONSTRAINT") || lint_kw(st, i + 1, "FOREIGN") ||
             lint_kw(st, i + 1, "CHECK") || lint_kw(st, i + 1, "UNIQUE") ||
             lint_kw(st, i + 1, "PRIMARY")))
            check_add_constraint(run, lm, sc, st, i, end, table);
        else if (lint_kw(st, i, "ADD"))
            check_add_column(run, lm, sc, st, i, end, table);
        else if (lint_kw(st, i, "ALTER"))
            check_alter_column(run, lm, sc, st, i, end, table);
        else if (lint_kws(st, i, "VALIDATE CONSTRAINT"))
            note_validate(run, st, i, table);
        i = end;
    }
    needs_lock_timeout(run, lm, sc, st, table);
}

/* CREATE TRIGGER ... ON t locks t too. */
static void
check_create_trigger(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    size_t k = lint_kws(st, 1, "OR REPLACE") ? 3 : 1;
    k += lint_kw(st, k, "CONSTRAINT");
    if (!lint_kw(st, 0, "CREATE") || !lint_kw(st, k, "TRIGGER"))
        return;
    char table[NAME_MAX_LEN];
    lint_name(st, lint_find_kw(st, k, st->ntoks, 0, "ON") + 1, table, sizeof(table));
    if (table[0] != '\0' && !lint_new_table(lm, table))
        needs_lock_timeout(run, lm, sc, st, table);
}

/* The script's own transaction control, SET lock_timeout, and CONCURRENTLY inside BEGIN. */
static void
check_session(lint_run *run, lint_migration *lm, lint_script *sc, const lint_stmt *st)
{
    if (lint_kw(st, 0, "BEGIN") || lint_kws(st, 0, "START TRANSACTION"))
        sc->in_transaction = 1;
    else if (lint_kw(st, 0, "COMMIT") || lint_kw(st, 0, "END") || lint_kw(st, 0, "ROLLBACK"))
        sc->in_transaction = 0;
    if ((lint_kw(st, 0, "SET") || lint_kw(st, 0, "SELECT")) &&
        lint_mentions(st->text, "lock_timeout"))
        sc->lock_timeout = 1;
    if (sc->in_transaction && !lint_kw(st, 0, "BEGIN") && concurrently(st))
        lint_find(run, lm, sc, st, "pg-concurrently-in-transaction",
                  "CONCURRENTLY cannot run inside the script's BEGIN ... COMMIT: remove them, "
                  "strata runs this migration outside a transaction");
}

void
lint_check_postgres(lint_run *run, lint_migration *lm, lint_script *sc, size_t i)
{
    const lint_stmt *st = &sc->stmts[i];
    check_session(run, lm, sc, st);
    check_create_index(run, lm, sc, st);
    check_drop_index(run, lm, sc, st);
    check_alter_table(run, lm, sc, st);
    check_create_trigger(run, lm, sc, st);
}
