/*
 * Migration file names (docs/formats.md): what a .sql file's name says about the migration
 * it belongs to. Pure string work: no file system, no dialect knowledge (the caller decides
 * whether a tag names a database).
 *
 *   [V]VERSION SEP NAME [.TAG] [.autocommit] (.up.sql | .down.sql | .sql)
 *       SEP is '_', '-' or '.' (golang-migrate, dbmate, goose, pop, in-house runners:
 *       001_create_users.up.sql, 0001-create-users.up.sql, V0001.Create_Users.up.sql,
 *       20150100000001000000_networks.cockroach.autocommit.up.sql)
 *   V<version>__NAME[.TAG].sql, U<version>__NAME[.TAG].sql, R__NAME[.TAG].sql   (Flyway;
 *       '_' inside the version reads as '.': V1_2__x.sql is version 1.2)
 */
#ifndef STRATA_NAMES_H
#define STRATA_NAMES_H

/* What one file name says. Strings are owned (strata_file_name_free). */
typedef struct strata_file_name {
    char *version;  /* as spelled (Flyway's '_' read as '.'); NULL for a repeatable */
    char *name;     /* the part after the separator, without tag and extensions */
    char *tag;      /* the last dot-separated word of the name when it has a tag's shape
                       (a letter, then letters and digits): "postgres", "email"; else NULL */
    char kind;      /* 'u' up, 'd' down, 's' one file (up, maybe with a down section),
                       'U' Flyway undo, 'V' Flyway versioned, 'R' Flyway repeatable */
    int autocommit; /* pop's ".autocommit": the script runs without a transaction */
} strata_file_name;

/*
 * Parses the name of a .sql file (no folder part). Returns 0 and fills *out, or -1 with
 * *out zeroed and *why set to a static sentence stating the rule the name breaks.
 */
int strata_file_name_parse(const char *file, strata_file_name *out, const char **why);

/* Frees the strings of n (not n itself); a zeroed n is fine. */
void strata_file_name_free(strata_file_name *n);

/*
 * The version at the start of s[0, n), for folder names (VERSION_name/migration.sql):
 * digits and dots followed by '_', '-' or the end. Returns the version's length, or 0.
 */
size_t strata_file_name_version_prefix(const char *s, size_t n);

#endif
