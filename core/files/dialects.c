#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dialects.h"
#include "util.h"

/*
 * Databases that migration sets name, each row a database's spellings with the canonical
 * one first. Gathered from the tools whose sets strata reads: pop (postgres, postgresql, pg,
 * cockroach, cockroachdb, crdb, mysql, sqlite3, sqlite, mssql), golang-migrate's and Flyway's
 * database list, Liquibase's dbms names.
 */
static const char *const known[][5] = {
    {"postgres", "postgresql", "pg", "pgsql", NULL},
    {"mysql", "mariadb", NULL},
    {"sqlite", "sqlite3", NULL},
    {"cockroach", "cockroachdb", "crdb", NULL},
    {"mssql", "sqlserver", NULL},
    {"oracle", NULL},
    {"h2", NULL},
    {"hsqldb", NULL},
    {"derby", NULL},
    {"db2", NULL},
    {"firebird", NULL},
    {"sybase", NULL},
    {"informix", NULL},
    {"redshift", NULL},
    {"snowflake", NULL},
    {"clickhouse", NULL},
    {"bigquery", NULL},
    {"spanner", NULL},
    {"yugabytedb", "yugabyte", NULL},
    {"tidb", NULL},
    {"duckdb", NULL},
    {"vertica", NULL},
    {"teradata", NULL},
    {"ydb", NULL},
    {"singlestore", "memsql", NULL},
    {"exasol", NULL},
    {"saphana", "hana", NULL},
    {"trino", "presto", NULL},
};

static int
same_word(const char *word, const char *s, size_t n)
{
    return strlen(word) == n && strncasecmp(word, s, n) == 0;
}

/* Whether s[0, n) is one of the driver's own spellings. */
static int
driver_spelling(const strata_dialect *d, const char *s, size_t n)
{
    if (d == NULL || d->name == NULL)
        return 0;
    if (same_word(d->name, s, n))
        return 1;
    for (const char *const *a = d->aliases; a != NULL && *a != NULL; a++)
        if (same_word(*a, s, n))
            return 1;
    return 0;
}

/* The row of known holding s[0, n), or -1. */
static long
known_row(const char *s, size_t n)
{
    for (size_t r = 0; r < sizeof(known) / sizeof(known[0]); r++)
        for (const char *const *sp = known[r]; *sp != NULL; sp++)
            if (same_word(*sp, s, n))
                return (long)r;
    return -1;
}

char *
strata_dialect_canonical(const strata_dialect *d, const char *s, size_t n)
{
    if (driver_spelling(d, s, n))
        return strata_xstrdup(d->name);
    long row = known_row(s, n);
    if (row < 0)
        return NULL;
    /* a known database that the driver also serves under another of its names */
    if (d != NULL && d->name != NULL && known_row(d->name, strlen(d->name)) == row)
        return strata_xstrdup(d->name);
    return strata_xstrdup(known[row][0]);
}

int
strata_dialect_is_active(const strata_dialect *d, const char *canonical)
{
    return d != NULL && d->name != NULL && canonical != NULL && strcmp(d->name, canonical) == 0;
}

int
strata_dialect_tag_shape(const char *s, size_t n)
{
    if (n == 0 || !isalpha((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((unsigned char)s[i] >= 0x80 || !isalnum((unsigned char)s[i]))
            return 0;
    return !same_word("up", s, n) && !same_word("down", s, n) && !same_word("autocommit", s, n);
}
