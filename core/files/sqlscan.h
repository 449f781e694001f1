/*
 * Reading SQL text: quoted runs, comments, dollar quotes and tokens, under the dialect's
 * STRATA_LEX_* rules. Shared by the streaming splitter (lexer.c), which calls the run
 * scanners on partial input, and by statement analysis (statement.c), which reads the
 * tokens of complete statements.
 */
#ifndef STRATA_SQLSCAN_H
#define STRATA_SQLSCAN_H

#include <stddef.h>
#include <stdint.h>

/* How to read SQL text: the rules and byte tables of one lexer. */
typedef struct strata_sqlscan {
    uint32_t rules;        /* STRATA_LEX_* bits */
    int backslash_strings; /* '...' takes backslash escapes (standard_conforming_strings off) */
    const uint8_t *idents; /* 256 entries: bytes that start an identifier */
    const uint8_t *identc; /* 256 entries: bytes that continue one */
} strata_sqlscan;

/* Token types. */
enum { STRATA_TOK_END, STRATA_TOK_WORD, STRATA_TOK_NAME, STRATA_TOK_STRING, STRATA_TOK_OTHER };

typedef struct strata_tok {
    int type;
    size_t off; /* offset in the text */
    size_t len;
} strata_tok;

/* ---- runs over partial input: 1 when complete (*pos past it), 0 when more is needed ---- */

/*
 * Scans a quoted run from *pos (just past its opening quote) for the closing byte q, which
 * is escaped by doubling when dbl and a backslash escapes any byte when bs. Returns 1 with
 * *pos past the closing quote, or 0 with *pos where to resume when more input comes (at
 * eof: the run is unterminated).
 */
int strata_scan_quoted(const unsigned char *b, size_t len, size_t *pos, int eof, unsigned char q,
                       int dbl, int bs);
/* Scans a block comment body for its closing, tracking *depth when comments nest. */
int strata_scan_comment(const unsigned char *b, size_t len, size_t *pos, int nested, int *depth);
/* Scans a dollar-quoted body for $tag$ (tag[0, tlen)). */
int strata_scan_dollar(const unsigned char *b, size_t len, size_t *pos, const unsigned char *tag,
                       size_t tlen);

/* ---- openers: 1 when one starts at b[p], 0 when not, -1 when the input is too short ---- */

/* At b[p] == '$': a dollar quote opening $tag$ (*tlen set to the tag's length). */
int strata_dollar_open(const strata_sqlscan *sc, const unsigned char *b, size_t len, size_t p,
                       int eof, size_t *tlen);
/* At b[p] == '-': a -- line comment. */
int strata_dash_comment(const strata_sqlscan *sc, const unsigned char *b, size_t len, size_t p,
                        int eof);
/* At the opening of a block comment in complete text: the length of a MySQL
 * executable-comment opener (slash, star, then "!" or "M!"), or 0. */
size_t strata_exec_opener(const strata_sqlscan *sc, const unsigned char *b, size_t len, size_t p);

/*
 * True when the quote at t[p] opens a PostgreSQL bit, hex or Unicode string (B'', X'',
 * U&''), which never takes backslash escapes; start bounds the look back.
 */
int strata_sql_standard_prefix(const strata_sqlscan *sc, const unsigned char *t, size_t start,
                               size_t p);

/* ---- tokens of complete text ---- */

/* Skips whitespace and comments in t[0, n) from p; returns the offset of what follows. */
size_t strata_sql_skip_blank(const strata_sqlscan *sc, const unsigned char *t, size_t n, size_t p);

/*
 * Reads the next token of t[0, n) from *p into *tk, skipping whitespace and comments; a
 * dotted name (a.b."c") is one STRATA_TOK_NAME, a run of digits one STRATA_TOK_OTHER. Returns
 * the type, STRATA_TOK_END at the end.
 */
int strata_sql_next_token(const strata_sqlscan *sc, const unsigned char *t, size_t n, size_t *p,
                          strata_tok *tk);

/* True when w[0, n) is the keyword k (upper case), ignoring ASCII case. */
int strata_kw(const unsigned char *w, size_t n, const char *k);
/* True when w[0, n) is one of the NULL-terminated keywords ks. */
int strata_kw_any(const unsigned char *w, size_t n, const char *const *ks);
/* True when token tk of t is the keyword k. */
int strata_tok_kw(const unsigned char *t, const strata_tok *tk, const char *k);

#endif
