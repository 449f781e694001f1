/*
 * The lint rules' catalogue: ids, severities, the dialect each applies to, and what each
 * says (docs/lint.md is written from the same words); and which family of rules a dialect
 * gets. With core/files/dialects.c, the one place of the core that spells dialect names:
 * rules are about SQL dialects, never drivers (a driver declaring "postgres" gets them).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "dialects.h"
#include "lint.h"

#define E STRATA_LINT_ERROR
#define W STRATA_LINT_WARNING
#define N STRATA_LINT_NOTICE

static const strata_lint_rule rules[] = {
    /* ---- every dialect ---- */
    {"drop-table", W, "all", "DROP TABLE deletes a table and its data",
     "The table's rows are gone for good, and the application still running the previous "
     "release fails on every query that names it. Drop a table in a later release than the "
     "one that stops using it, after a backup. A down script that drops a table its own up "
     "created is not a finding."},
    {"drop-column", W, "all", "DROP COLUMN deletes a column and its data",
     "The values are gone for good, and the previous release of the application, still "
     "running during the deploy, fails when it reads or writes the column. Stop using the "
     "column in one release and drop it in the next."},
    {"truncate", W, "all", "TRUNCATE deletes every row of a table",
     "A migration that empties a table cannot be undone by its down script. Move data "
     "deliberately (copy it aside first), or delete with a WHERE that says which rows."},
    {"rename-table", W, "all", "renaming a table breaks the application still running",
     "During a deploy the previous release keeps sending queries that name the old table. "
     "Create the new table (or a view under the new name), move the application over, and "
     "drop the old name in a later release."},
    {"rename-column", W, "all", "renaming a column breaks the application still running",
     "The previous release keeps reading and writing the old column name until it is "
     "replaced. Add the new column, write both, backfill, switch reads, then drop the old "
     "column in a later release."},
    {"update-without-where", W, "all", "UPDATE without WHERE changes every row",
     "An UPDATE of a whole table rewrites every row, holds row locks on all of them until "
     "the migration commits, and is often a forgotten WHERE. Say which rows with a WHERE "
     "(WHERE true states that all are meant), and backfill large tables in batches."},
    {"delete-without-where", W, "all", "DELETE without WHERE deletes every row",
     "A DELETE of a whole table removes every row and cannot be undone by the down script. "
     "Say which rows with a WHERE (WHERE true states that all are meant)."},
    {"no-down", N, "all", "the migration has no down script",
     "Without a down script `strata down` cannot undo the migration and `strata verify` "
     "cannot check it. Write the down, or an empty one to state that the migration is "
     "irreversible on purpose."},
    {"down-incomplete", W, "all", "the down script does not undo something the up creates",
     "Each table, index, view, sequence, type, function, trigger and column the up script "
     "creates should be named by the down script (dropping a table takes its indexes, "
     "triggers and columns with it); otherwise `strata down` leaves it behind and a second "
     "`up` fails."},
    {"lint-ignore", E, "all", "a lint-ignore comment names no rule or gives no reason",
     "Write `-- strata:lint-ignore RULE-ID reason` right above the statement (or "
     "`-- strata:lint-ignore-file RULE-ID reason` anywhere in the script for all of it), "
     "with a rule id from `strata lint --rules` and the reason the finding does not apply."},

    /* ---- PostgreSQL ---- */
    {"pg-index-concurrently", E, "postgres",
     "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds",
     "A plain CREATE INDEX takes a SHARE lock: every INSERT, UPDATE and DELETE on the table "
     "waits until the index is built. Use CREATE INDEX CONCURRENTLY: strata runs a "
     "migration holding it outside a transaction; if it fails it leaves an INVALID index to "
     "drop before trying again. Indexes on tables the same migration creates are not "
     "findings."},
    {"pg-drop-index-concurrently", W, "postgres",
     "DROP INDEX without CONCURRENTLY blocks the table while it waits and drops",
     "A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table. Use DROP INDEX "
     "CONCURRENTLY (run outside a transaction, as strata does for it)."},
    {"pg-constraint-not-valid", E, "postgres",
     "adding a foreign key or check constraint scans the table under a lock",
     "ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY or CHECK validates every existing row "
     "while holding a lock that blocks writes (and, for a foreign key, writes to the "
     "referenced table). Add it with NOT VALID, then run ALTER TABLE ... VALIDATE "
     "CONSTRAINT in a later statement or migration: validation takes a weaker lock."},
    {"pg-set-not-null", W, "postgres",
     "SET NOT NULL scans the whole table under an ACCESS "
     "EXCLUSIVE lock",
     "PostgreSQL checks every row while no one can read or write the table. First add CHECK "
     "(column IS NOT NULL) NOT VALID and VALIDATE it (a weaker lock); from PostgreSQL 12 on "
     "SET NOT NULL then uses the validated check and skips the scan."},
    {"pg-column-type", W, "postgres",
     "ALTER COLUMN ... TYPE rewrites the table under an ACCESS EXCLUSIVE lock",
     "Changing a column's type rewrites the table and its indexes while no one can read or "
     "write it, unless the change is binary-coercible (varchar to text, a longer varchar, "
     "a wider numeric). Add a new column, backfill it in batches and switch over; suppress "
     "the finding with the reason when the change is known not to rewrite."},
    {"pg-volatile-default", E, "postgres", "ADD COLUMN with a volatile default rewrites the table",
     "Since PostgreSQL 11 a constant default is stored once, but a volatile one "
     "(random(), clock_timestamp(), gen_random_uuid(), nextval() of serial types, stored "
     "generated columns) is computed for every row: the table is rewritten under an ACCESS "
     "EXCLUSIVE lock. Add the column without a default (or with a constant one), set the "
     "default, and backfill in batches."},
    {"pg-unique-without-index", E, "postgres",
     "adding a UNIQUE or PRIMARY KEY constraint builds its index under a lock",
     "ALTER TABLE ... ADD UNIQUE / PRIMARY KEY builds the index while blocking writes. Build "
     "a unique index with CREATE UNIQUE INDEX CONCURRENTLY first, then add the constraint "
     "with USING INDEX."},
    {"pg-lock-timeout", W, "postgres", "DDL on an existing table without a lock_timeout",
     "An ALTER waiting for its lock behind a long query blocks every query that comes after "
     "it: a short outage even for a change that is itself quick. Start the migration with "
     "SET lock_timeout = '5s' (SET LOCAL inside its transaction) so that it fails fast, and "
     "retry it."},
    {"pg-concurrently-in-transaction", E, "postgres", "CONCURRENTLY inside BEGIN ... COMMIT fails",
     "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and similar statements cannot run "
     "in a transaction block. Remove the script's own BEGIN and COMMIT: strata runs a "
     "migration holding such a statement outside a transaction."},

    /* ---- MySQL and MariaDB ---- */
    {"mysql-ddl-with-dml", W, "mysql", "DDL and data changes in one migration: it cannot be atomic",
     "MySQL and MariaDB commit implicitly before and after each DDL statement, so a "
     "migration that mixes DDL with INSERT, UPDATE or DELETE can stop half-way with some of "
     "its changes committed (strata records its progress and `up --resume` finishes it). "
     "Put schema changes and data changes in separate migrations."},
    {"mysql-copy-alter", W, "mysql",
     "this ALTER TABLE copies the table (ALGORITHM=COPY), blocking writes",
     "CONVERT TO CHARACTER SET, ENGINE=, ORDER BY, DROP PRIMARY KEY without adding one, and "
     "ALGORITHM=COPY cannot run INSTANT or INPLACE: the server copies every row while writes "
     "wait. Use an online schema-change tool (pt-online-schema-change, gh-ost) for large "
     "tables, or run it in a maintenance window."},
    {"mysql-column-type", W, "mysql",
     "MODIFY/CHANGE COLUMN that changes a type or charset copies the table",
     "Changing a column's data type or character set cannot run INPLACE: the table is "
     "copied while writes wait. Only widening a VARCHAR within the same length-byte size, "
     "defaults and renames are online. Use an online schema-change tool for large tables, "
     "or suppress with the reason when the definition only restates the type."},
    {"mysql-fk-engine", E, "mysql", "a foreign key on a table whose engine ignores it",
     "MyISAM, Aria, MEMORY and other non-InnoDB engines parse FOREIGN KEY and REFERENCES and "
     "then ignore them: nothing is enforced. Create the table with ENGINE=InnoDB, or drop "
     "the foreign key."},

    /* ---- SQLite ---- */
    {"sqlite-alter-unsupported", E, "sqlite", "an ALTER TABLE form SQLite cannot run",
     "SQLite's ALTER TABLE can only RENAME TO, RENAME COLUMN, ADD COLUMN (not PRIMARY KEY or "
     "UNIQUE, not NOT NULL without a non-NULL default, no non-constant default) and DROP "
     "COLUMN, one action per statement. Anything else needs the table rebuild: "
     "PRAGMA foreign_keys=OFF (outside a transaction: mark the migration "
     "-- strata:no-transaction), BEGIN, CREATE TABLE new_t (...), INSERT INTO new_t SELECT "
     "... FROM t, DROP TABLE t, ALTER TABLE new_t RENAME TO t, recreate indexes and "
     "triggers, PRAGMA foreign_key_check, COMMIT, PRAGMA foreign_keys=ON."},
    {"sqlite-drop-column", E, "sqlite", "DROP COLUMN needs SQLite 3.35 or later",
     "ALTER TABLE ... DROP COLUMN exists from SQLite 3.35.0 (2021). On older versions rebuild "
     "the table (see sqlite-alter-unsupported). The version checked is --server-version, "
     "else that of the SQLite library the driver was built with."},
};

#undef E
#undef W
#undef N

enum lint_family
lint_family_of(const char *dialect)
{
    if (dialect == NULL)
        return LINT_OTHER;
    char *canonical = strata_dialect_canonical(NULL, dialect, strlen(dialect));
    const char *d = canonical ? canonical : dialect;
    enum lint_family f = strcmp(d, "postgres") == 0 ? LINT_POSTGRES
                         : strcmp(d, "mysql") == 0  ? LINT_MYSQL
                         : strcmp(d, "sqlite") == 0 ? LINT_SQLITE
                                                    : LINT_OTHER;
    free(canonical);
    return f;
}

const strata_lint_rule *
strata_lint_rules(size_t *count)
{
    *count = sizeof(rules) / sizeof(rules[0]);
    return rules;
}

const strata_lint_rule *
lint_rule(const char *id)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (strcmp(rules[i].id, id) == 0)
            return &rules[i];
    return NULL;
}
