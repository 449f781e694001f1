/*
 * Dialect tags: the names of databases that migration sets put in file names
 * (001_x.postgres.up.sql, 20150100000001000000_x.cockroach.up.sql), in folder names
 * (postgres/001_x.up.sql) and in changelog attributes (Liquibase's dbms:postgresql).
 *
 * The active driver's own spellings (its dialect and aliases) always count. Beside them the
 * core knows the names of databases other tools write for (pop's cockroach and mssql,
 * Flyway's and Liquibase's oracle, h2, ...), so that a file for a database no loaded driver
 * serves is recognised as not applicable rather than mistaken for part of a name.
 */
#ifndef STRATA_DIALECTS_H
#define STRATA_DIALECTS_H

#include <stddef.h>

/* The dialect a migration set is read for: the active driver's names. */
typedef struct strata_dialect {
    const char *name;           /* the driver's dialect, e.g. "postgres"; NULL: none */
    const char *const *aliases; /* NULL-terminated other spellings, may be NULL */
} strata_dialect;

/*
 * The canonical spelling of the tag s[0, n) (any case), newly allocated (the caller frees
 * it), or NULL when it names no database strata knows of and is none of d's spellings.
 * Spellings of one database share a canonical form ("postgresql", "pg" -> "postgres";
 * "sqlite3" -> "sqlite"); d's own spellings map to d->name.
 */
char *strata_dialect_canonical(const strata_dialect *d, const char *s, size_t n);

/* True when the canonical tag (from strata_dialect_canonical) is d's dialect. */
int strata_dialect_is_active(const strata_dialect *d, const char *canonical);

/*
 * True when s[0, n) has the shape of a dialect tag: a letter, then letters and digits, and
 * not "up", "down" or "autocommit". Whether it names a database is strata_dialect_canonical's
 * business.
 */
int strata_dialect_tag_shape(const char *s, size_t n);

#endif
