/*
 * Liquibase formatted SQL changelogs read in place (docs/formats.md, "Liquibase"): a
 * migrations directory whose .sql files start with "--liquibase formatted sql" holds
 * changesets ("--changeset author:id attributes"), each with its SQL and its "--rollback"
 * lines. Files are read in the order of their paths (as Liquibase's includeAll does); the
 * changeset number C of file number F becomes version F.C, named author:id.
 */
#ifndef STRATA_LIQUIBASE_H
#define STRATA_LIQUIBASE_H

#include <stddef.h>

#include <strata/types.h>

#include "dialects.h"
#include "source.h"

/* True when the line (n bytes) is Liquibase's header, "--liquibase formatted sql" (any case
 * and spacing, as Liquibase matches it). */
int strata_liquibase_is_header(const char *line, size_t n);

/* True when the first non-blank line of the file at path is the header. */
int strata_liquibase_is_changelog(const char *path);

/*
 * Reads the changelogs of dir (and its subfolders) into the empty set. Attributes honoured:
 * runInTransaction:false (no transaction), splitStatements:false and
 * rollbackSplitStatements:false (one statement), endDelimiter and rollbackEndDelimiter (a
 * literal delimiter), dbms (applicability; "!" excludes), runOnChange and runAlways (a
 * repeatable migration). Contexts, labels, preconditions and failOnError:false are not
 * evaluated: each gets a note. Errors name file:line: SQL outside a changeset, a .sql file
 * that is not a changelog, a duplicate author:id, the Pro-only --include lines, --property
 * and --ignoreLines.
 */
int strata_liquibase_scan(const char *dir, const strata_dialect *dialect, strata_source_set *set,
                          strata_error *err);

#endif
