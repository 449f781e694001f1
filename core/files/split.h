/*
 * Splitting one migration script into statements, as up runs it: the dialect's lexer, a
 * Liquibase endDelimiter, and scripts that are one statement whole (splitStatements:false).
 * Shared by the runner and by lint.
 */
#ifndef STRATA_SPLIT_H
#define STRATA_SPLIT_H

#include <strata/driver.h>

#include "lexer.h"
#include "source.h"

/* Receives each statement of a script; lx is there for COPY data (NULL for a script that is
 * one statement). Non-zero stops the split and is returned. */
typedef int (*strata_each_fn)(void *ctx, strata_lexer *lx, const strata_stmt *st,
                              strata_error *err);

/*
 * Splits the text read(source) yields, which is script's, as info's dialect splits it, and
 * hands each statement to fn. Returns STRATA_OK, what fn returned, or STRATA_VALIDATION
 * naming script->path:line:col where the text cannot be split (an unterminated quote, a NUL
 * byte, ...).
 */
int strata_split_script(const strata_describe *info, const strata_script *script,
                        strata_read_fn read, void *source, strata_each_fn fn, void *ctx,
                        strata_error *err);

#endif
