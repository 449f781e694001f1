/*
 * What a complete statement means to the engine, once the splitter has cut it out: the
 * STRATA_STMT_* flags it earns (transaction control, COPY, no-transaction patterns) and the
 * splitter settings it changes (SET standard_conforming_strings).
 */
#ifndef STRATA_STATEMENT_H
#define STRATA_STATEMENT_H

#include <stddef.h>

#include "sqlscan.h"

/*
 * True when the statement t[0, n) matches the no-transaction pattern pat (the pattern
 * language is documented with strata_driver.no_transaction_patterns in strata/driver.h).
 */
int strata_sql_pattern_match(const strata_sqlscan *sc, const unsigned char *t, size_t n,
                             const char *pat);

/*
 * STRATA_STMT_* flags of the statement t[0, n). patterns: NULL-terminated no-transaction
 * patterns, may be NULL. group: the statement is a StatementBegin/End group (never COPY).
 * compound: a compound statement (MariaDB BEGIN NOT ATOMIC ... END), never transaction
 * control.
 */
unsigned strata_sql_flags(const strata_sqlscan *sc, const char *const *patterns,
                          const unsigned char *t, size_t n, int group, int compound);

/*
 * What the statement t[0, n) does to PostgreSQL's standard_conforming_strings: 1 when it
 * turns it off (plain '...' strings then take backslash escapes), 0 when it turns it on or
 * back to its default (SET ... TO DEFAULT, RESET, RESET ALL, DISCARD ALL), -1 when it does
 * not touch it (values PostgreSQL refuses included).
 */
int strata_sql_std_strings(const strata_sqlscan *sc, const unsigned char *t, size_t n);

#endif
