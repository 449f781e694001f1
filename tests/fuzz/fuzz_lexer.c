/*
 * libFuzzer target: the statement splitter and statement analysis on any bytes. The first
 * byte picks the rules (PostgreSQL's, MySQL's, SQLite's, or all of them at once), the rest is
 * the script: every statement is split and classified, or an error is reported; nothing may
 * crash, leak or read out of bounds.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"
#include "statement.h"
#include "util.h"

static const uint32_t rule_sets[] = {
    STRATA_LEX_DOLLAR_QUOTES | STRATA_LEX_E_STRINGS | STRATA_LEX_NESTED_COMMENTS |
        STRATA_LEX_COPY_STDIN | STRATA_LEX_PSQL_META | STRATA_LEX_ATOMIC_BLOCKS |
        STRATA_LEX_PARENS | STRATA_LEX_STD_STRINGS,
    STRATA_LEX_BACKTICKS | STRATA_LEX_HASH_COMMENTS | STRATA_LEX_DELIMITER | STRATA_LEX_BLOCKS |
        STRATA_LEX_EXEC_COMMENTS | STRATA_LEX_DASH_NEEDS_SPACE | STRATA_LEX_BACKSLASH_ESCAPES,
    STRATA_LEX_BRACKETS | STRATA_LEX_BACKTICKS,
    0xffffu,
};
static const char *const patterns[] = {"CREATE INDEX CONCURRENTLY", "VACUUM",
                                       "REINDEX ( ... ) * CONCURRENTLY", NULL};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint32_t rules = rule_sets[data[0] % (sizeof(rule_sets) / sizeof(rule_sets[0]))];
    strata_memory in = {(const char *)data + 1, size - 1};
    strata_lexer *lx = NULL;
    if (strata_lexer_new(rules, patterns, strata_memory_read, &in, 1, &lx) != STRATA_OK)
        return 0;
    strata_stmt st;
    strata_lex_error err;
    char copy[64];
    while (strata_lexer_next(lx, &st, &err) > 0) {
        size_t n;
        if (st.flags & STRATA_STMT_COPY) /* the data up to \. ; (size_t)-1 on an error */
            while ((n = strata_lexer_read_copy(lx, copy, sizeof(copy))) > 0 && n != (size_t)-1)
                ;
        long line, col;
        if (st.len > 0)
            strata_stmt_locate(&st, (long)st.len, &line, &col);
    }
    strata_lexer_free(lx);
    return 0;
}
