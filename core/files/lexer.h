/*
 * The streaming statement splitter (DESIGN section 4).
 *
 * Reads SQL through a strata_read_fn in fixed-size chunks and yields one statement at a
 * time with the file line and column where it starts; memory stays bounded by the longest
 * statement, never the file. Dialect features are switched on by STRATA_LEX_* rule bits
 * (include/strata/driver.h).
 */
#ifndef STRATA_LEXER_H
#define STRATA_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include <strata/driver.h>

#include "sqlscan.h"

typedef struct strata_lexer strata_lexer;

/* Bits of strata_stmt.flags. */
#define STRATA_STMT_NO_TRANSACTION 0x01 /* matched a no_transaction pattern */
#define STRATA_STMT_TX_CONTROL 0x02     /* BEGIN / START TRANSACTION / COMMIT / ROLLBACK / END */
#define STRATA_STMT_COPY 0x04           /* COPY ... FROM stdin: data follows, see read_copy */
#define STRATA_STMT_BLOCK 0x08          /* came from a StatementBegin/StatementEnd block */
/* Changes how the statements after it are split (SET standard_conforming_strings): the
 * database must have run it before it parses them, so a batch of statements ends here. */
#define STRATA_STMT_SETTING 0x10

typedef struct strata_stmt {
    const char *text; /* statement text as in the file, without leading whitespace and
                         comments and without its delimiter; NUL-terminated; owned by the
                         lexer, valid until the next strata_lexer_next() or _free() */
    size_t len;
    long line;      /* 1-based file line of text[0] */
    long col;       /* 1-based byte column of text[0] */
    long index;     /* 1-based number of the statement in the input */
    unsigned flags; /* STRATA_STMT_* bits */
} strata_stmt;

/* Where and why splitting failed. */
typedef struct strata_lex_error {
    long line;
    long col;
    char message[256];
} strata_lex_error;

/*
 * Decides whether NUL-terminated statement text ends with a complete statement (1) or not
 * (0): strata_driver.statement_complete.
 */
typedef int (*strata_complete_fn)(const char *sql);

/*
 * Creates a lexer over read(ctx). first_line is the file line of the first byte the reader
 * returns (sections of a file start past line 1). no_tx_patterns: see
 * strata_driver.no_transaction_patterns, may be NULL. The patterns array must outlive the
 * lexer. Returns STRATA_OK and *out (free with strata_lexer_free), or STRATA_ERROR on
 * memory exhaustion.
 */
int strata_lexer_new(uint32_t rules, const char *const *no_tx_patterns, strata_read_fn read,
                     void *ctx, long first_line, strata_lexer **out);

/*
 * Creates a lexer that splits as a connection's database does: the lexer rules, the
 * no-transaction patterns and, when it has one, the statement_complete hook that describe()
 * gave. Same contract as strata_lexer_new(); the connection must outlive the lexer.
 */
int strata_lexer_for_connection(const strata_describe *info, strata_read_fn read, void *ctx,
                                long first_line, strata_lexer **out);

/*
 * Lets complete() decide where statements that may hold a body (those starting with CREATE
 * or EXPLAIN) end: it is asked at each ';' of such a statement, with the text from the
 * statement's start up to and including that ';'. Call before the first strata_lexer_next().
 * NULL removes the hook.
 */
void strata_lexer_set_complete(strata_lexer *lx, strata_complete_fn complete);

/*
 * Ends statements at delim instead of ';' from the start, as a DELIMITER line would (Liquibase's
 * endDelimiter). Call before the first strata_lexer_next(). Returns 0, or -1 when delim is
 * empty, longer than 15 bytes or holds a blank or a backslash (nothing is changed then).
 */
int strata_lexer_set_delimiter(strata_lexer *lx, const char *delim);

/*
 * Yields the next statement. Returns 1 with *stmt filled, 0 at the end of the input, -1 on
 * error with *err filled (unterminated quote/comment/block, psql meta-command, NUL byte,
 * read failure). Statements holding only whitespace and comments are never yielded.
 */
int strata_lexer_next(strata_lexer *lx, strata_stmt *stmt, strata_lex_error *err);

/*
 * After a statement flagged STRATA_STMT_COPY: reads up to size bytes of its data (the
 * lines after the statement up to, not including, the line "\."). Returns bytes read, 0
 * when the data is exhausted, (size_t)-1 on error. Usable as a strata_read_fn with the
 * lexer as ctx. Data not read is skipped by the next strata_lexer_next().
 */
size_t strata_lexer_read_copy(void *lexer, char *buf, size_t size);

/* How the lexer reads SQL text right now (its rules, the string setting in force after
 * the statement last yielded): for tokenizing that statement with sqlscan.h. Valid until
 * strata_lexer_free(). */
const strata_sqlscan *strata_lexer_scan(const strata_lexer *lx);

/* Frees the lexer; NULL is a no-op. */
void strata_lexer_free(strata_lexer *lx);

/* Maps a 1-based byte offset inside stmt->text to a file line and column. */
void strata_stmt_locate(const strata_stmt *stmt, long offset, long *line, long *col);

#endif
