/*
 * SQLite's rules: the ALTER TABLE forms it has, and DROP COLUMN's version (docs/lint.md).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <string.h>

#include "lint.h"

/* What SQLite refuses in ALTER TABLE t ADD [COLUMN] def (tokens [i, end)), or NULL. */
static const char *
bad_added_column(const lint_stmt *st, size_t i, size_t end)
{
    if (lint_find_kw(st, i, end, 0, "PRIMARY") < end)
        return "a PRIMARY KEY column cannot be added";
    if (lint_find_kw(st, i, end, 0, "UNIQUE") < end)
        return "a UNIQUE column cannot be added";
    size_t def = lint_find_kw(st, i, end, 0, "DEFAULT");
    if (def < end &&
        (lint_punct(st, def + 1, '(') || lint_kw(st, def + 1, "CURRENT_TIME") ||
         lint_kw(st, def + 1, "CURRENT_DATE") || lint_kw(st, def + 1, "CURRENT_TIMESTAMP")))
        return "a column with a non-constant default cannot be added";
    int not_null = 0;
    for (size_t k = i; k < end; k++)
        not_null |= st->depth[k] == 0 && lint_kws(st, k, "NOT NULL");
    if (not_null && (def == end || lint_kw(st, def + 1, "NULL")))
        return "a NOT NULL column needs a non-NULL default to be added";
    size_t gen = lint_find_kw(st, i, end, 0, "GENERATED");
    if (gen == end)
        gen = lint_find_kw(st, i, end, 0, "AS");
    if (gen < end && lint_find_kw(st, gen, end, 0, "STORED") < end)
        return "a STORED generated column cannot be added (VIRTUAL can)";
    return NULL;
}

/* True when the server version known to the run is older than major.minor. */
static int
older_than(const lint_run *run, int major, int minor)
{
    const int *v = run->version;
    if (v[0] == 0 && v[1] == 0 && v[2] == 0)
        return 0; /* unknown */
    return v[0] < major || (v[0] == major && v[1] < minor);
}

void
lint_check_sqlite(lint_run *run, lint_migration *lm, lint_script *sc, size_t i)
{
    const lint_stmt *st = &sc->stmts[i];
    size_t t = lint_alter_table(st);
    if (t == 0)
        return;
    char table[NAME_MAX_LEN];
    lint_name(st, t, table, sizeof(table));
    size_t a = t + 1, end = lint_item_end(st, a, st->ntoks, 0);
    const char *why = NULL;
    if (end < st->ntoks)
        why = "SQLite's ALTER TABLE takes one action per statement";
    else if (lint_kw(st, a, "RENAME"))
        why = NULL;
    else if (lint_kw(st, a, "ADD") && !lint_kw(st, a + 1, "CONSTRAINT") &&
             !lint_kw(st, a + 1, "PRIMARY") && !lint_kw(st, a + 1, "FOREIGN") &&
             !lint_kw(st, a + 1, "UNIQUE") && !lint_kw(st, a + 1, "CHECK"))
        why = bad_added_column(st, a + 1, end);
    else if (lint_kw(st, a, "DROP") && !lint_kw(st, a + 1, "CONSTRAINT") &&
             !lint_kw(st, a + 1, "PRIMARY") && !lint_kw(st, a + 1, "FOREIGN")) {
        if (older_than(run, 3, 35)) {
            lint_find(run, lm, sc, st, "sqlite-drop-column",
                      "DROP COLUMN on %s needs SQLite 3.35 or later (the target is %d.%d.%d)",
                      table, run->version[0], run->version[1], run->version[2]);
            return;
        }
    } else {
        why = "SQLite's ALTER TABLE can only RENAME, ADD COLUMN and DROP COLUMN";
    }
    if (why != NULL)
        lint_find(run, lm, sc, st, "sqlite-alter-unsupported",
                  "ALTER TABLE %s: %s; rebuild the table instead", table, why);
}
