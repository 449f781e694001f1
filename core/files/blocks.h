/*
 * MySQL/MariaDB compound statements, followed token by token as the server's parser sees
 * them, so that the splitter knows whether a ';' ends the statement when no DELIMITER is in
 * effect (golang-migrate style files).
 *
 * A ';' stays inside a statement only within the body of CREATE TRIGGER / PROCEDURE /
 * FUNCTION / EVENT (and ALTER EVENT ... DO), or within MariaDB's compound statements
 * outside stored programs (BEGIN NOT ATOMIC, IF, CASE, LOOP, REPEAT, WHILE, FOR), while a
 * BEGIN ... END, IF ... END IF, CASE ... END CASE, LOOP/REPEAT/WHILE/FOR ... END x is open.
 * Block keywords count only where the server reads them: at the start of a statement in a
 * body (after ';', BEGIN, THEN/ELSE of IF and CASE statements, DO of WHILE and FOR, LOOP,
 * REPEAT, a label, a handler's condition list); elsewhere BEGIN and END are names
 * (SET NEW.end = 1), CASE opens an expression that END closes, and END after UNTIL closes
 * the REPEAT.
 */
#ifndef STRATA_BLOCKS_H
#define STRATA_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#define STRATA_BLOCKS_DEPTH 64 /* deepest nesting followed */

/* Token kinds fed besides words. */
enum { STRATA_BT_NAME, STRATA_BT_STRING, STRATA_BT_NUMBER, STRATA_BT_PUNCT };

/* The state of one statement; the caller's memory, set up by strata_blocks_start(). */
typedef struct strata_blocks {
    int phase; /* header state, or in a body */
    int sub;   /* a step inside the header phase */
    int back;  /* the header state a skipped token returns to */
    int func;  /* the routine is a FUNCTION (RETURNS comes after the parameters) */
    int alter; /* ALTER ...: only EVENT has a body */
    int paren; /* parenthesis depth in the header */
    int depth; /* open blocks and CASE expressions */
    uint8_t kind[STRATA_BLOCKS_DEPTH];
    uint8_t cond[STRATA_BLOCKS_DEPTH]; /* in the condition part (before THEN / DO, after UNTIL) */
    int at_start;                      /* the next token starts a statement of the body */
    int label;                         /* a word at a statement start: a label if ':' follows */
    int skip_case;                     /* after END: END CASE's CASE opens nothing */
    int fresh;                         /* right after BEGIN: NOT ATOMIC may follow */
    int decl;                          /* progress through DECLARE ... HANDLER FOR conditions */
    int operand;  /* the previous token ended an operand (END / DO after it are keywords) */
    int compound; /* the statement is a compound statement or has a body */
    int overflow; /* nesting deeper than STRATA_BLOCKS_DEPTH */
} strata_blocks;

/*
 * Starts a statement whose first word is w[0, n). Returns 1 when its further tokens must
 * be fed, 0 when no ';' can stay inside it.
 */
int strata_blocks_start(strata_blocks *b, const unsigned char *w, size_t n);

/* Feeds the next word; returns 1 while further tokens must be fed. */
int strata_blocks_word(strata_blocks *b, const unsigned char *w, size_t n);

/* Feeds a token other than a word (kind STRATA_BT_*; c: the byte of a PUNCT). */
int strata_blocks_token(strata_blocks *b, int kind, unsigned char c);

/* At a ';': returns 1 when it ends the statement, 0 when it stays inside a body. */
int strata_blocks_semicolon(strata_blocks *b);

#endif
