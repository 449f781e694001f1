#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strata/types.h>

#include "blocks.h"
#include "lexer.h"
#include "sqlscan.h"
#include "statement.h"

/*
 * How it works. Input sits in one sliding buffer: the current statement is always
 * contiguous in it, so a statement is yielded in place (NUL-terminated over its delimiter
 * or trailing blank) without copying. Refills discard what lies before the current
 * statement, or before the scan position between statements, so memory is bounded by the
 * longest statement plus a read chunk. The scanner is a byte loop over a 256-entry class
 * table in which ordinary bytes are C_PLAIN; quoted runs and comments are scanned with
 * memchr. Line and column are not tracked per byte: a cursor counts newlines lazily, up to
 * the positions somebody asks about (statement starts, error positions), and over the text
 * a refill discards.
 *
 * Where a delimiter might not end a statement, the scanner switches to a table that
 * classifies every token and feeds the words to the dialect's tracker: MySQL compound
 * statements (blocks.c), psql's BEGIN ... END count in CREATE FUNCTION, or SQLite's own
 * sqlite3_complete() asked at each ';' of a CREATE or EXPLAIN statement. Input is read up to
 * the first NUL byte, which is an error where the scanner reaches it.
 */

#define LX_CHUNK (64 * 1024) /* smallest read; the buffer keeps this much free */
#define LX_BUF_INIT (4 * LX_CHUNK)
#define LX_DELIM_MAX 15 /* longest DELIMITER string (the mysql client keeps 15 bytes) */
#define LX_ANNOT_MAX 96 /* longest grouping-annotation line looked at */
#define LX_META_MAX 32  /* longest psql meta-command name looked at */
#define LX_KEY_MAX 128  /* longest \restrict key */

/* Byte classes of the scanner tables. */
enum {
    C_PLAIN,   /* nothing to do (whitespace between statements) */
    C_CONTENT, /* between statements: starts a statement */
    C_IDENT,   /* identifier start, when words are tracked */
    C_DIGIT,   /* number start, when words are tracked */
    C_PUNCT,   /* other byte, when words are tracked */
    C_SQUOTE,
    C_DQUOTE,
    C_BTICK,
    C_LBRACK,
    C_DASH,
    C_SLASH,
    C_HASH,
    C_DOLLAR,
    C_SEMI,
    C_DELIM,  /* first byte of a custom DELIMITER */
    C_BSLASH, /* psql meta-command at statement start */
    C_LPAREN, /* parentheses, when counted */
    C_RPAREN,
    C_DIRECTIVE, /* D or d at statement start: maybe a DELIMITER command */
};

/* Scanner tables: between statements, inside one, inside one whose words count. */
enum { TAB_OUT, TAB_PLAIN, TAB_WORDS, TAB_COUNT };

enum { S_NORMAL, S_QUOTE, S_LINE, S_BLOCK, S_EXEC, S_DOLLAR };

/* Scanner events. */
enum { EV_AGAIN, EV_STATE, EV_NEED, EV_STMT, EV_ERR, EV_END, EV_NONE };

enum { Q_STRING, Q_ESTRING, Q_BSTRING, Q_IDENT, Q_BTICK, Q_BRACKET };

enum { CP_NONE, CP_LINE, CP_DATA };

enum { A_NONE, A_BEGIN, A_END };

/* Who follows the words of the statement being gathered. */
enum { TRACK_NONE, TRACK_BLOCKS, TRACK_PSQL };

struct strata_lexer {
    uint32_t rules;
    const char *const *no_tx;
    strata_read_fn read;
    void *ctx;
    strata_complete_fn complete;
    strata_sqlscan sc; /* the rules and tables below, for sqlscan.c and statement.c */

    unsigned char *buf; /* input window: [0, len) read, scanning at pos */
    size_t cap;
    size_t len;
    size_t pos;
    int eof;
    int nul;       /* input stopped at a NUL byte, which sits at buf[len] */
    int started;   /* BOM check done */
    uint64_t base; /* input offset of buf[0] */
    int bol0;      /* only blanks lie between the last newline and buf[0] */

    /* Line/column cursor: cur_off has line cur_line, column cur_col. */
    size_t cur_off;
    long cur_line;
    long cur_col;

    uint8_t tabs[TAB_COUNT][256];
    uint8_t identc[256]; /* identifier continuation bytes */
    uint8_t idents[256]; /* identifier start bytes */
    const uint8_t *cls;
    int tab;

    /* The construct being scanned and where it began. */
    int state;
    unsigned char q;
    int qkind;
    int q_dbl;
    int q_bs;
    int cdepth;
    size_t tag_len;
    size_t tok_off;
    int tok_known; /* tok_line/tok_col hold its position (its bytes were discarded) */
    long tok_line;
    long tok_col;

    /* The statement being gathered. */
    int in_stmt;
    size_t stmt_off;
    size_t stmt_end;
    int emit_block; /* ends a StatementBegin/StatementEnd group */
    long index;
    int track;        /* TRACK_*: who reads its words */
    strata_blocks bt; /* TRACK_BLOCKS */
    int compound;     /* a MySQL compound statement: never transaction control */
    int psql_on;      /* TRACK_PSQL: it is CREATE [OR REPLACE] FUNCTION/PROCEDURE */
    int ids_count;    /* TRACK_PSQL: identifiers seen, up to 4 */
    char ids[4];      /* their first letters when create/function/procedure/or/replace */
    long begin_depth; /* TRACK_PSQL: psql's BEGIN ... END depth */
    long paren;       /* parenthesis depth, when counted */
    size_t paren_off; /* where the outermost open parenthesis is */
    int ask;          /* complete() decides where it ends */

    char delim[LX_DELIM_MAX + 1];
    size_t dlen; /* 0: the delimiter is ';' */
    uint8_t delim_fb[TAB_COUNT];
    uint8_t dir_fb[2]; /* classes of 'D' and 'd' between statements without DELIMITER */

    int goose; /* inside a StatementBegin group: 1 goose, 2 strata spelling */
    long goose_line;
    long goose_col;

    /* A SET standard_conforming_strings waiting for the end of its line to apply. */
    int scs_next;
    int scs_wait;
    uint64_t scs_from; /* input offset from which no newline was seen yet */

    int restricted; /* inside psql's \restrict KEY ... \unrestrict KEY */
    char restrict_key[LX_KEY_MAX + 1];

    int copy;
    int copy_bol;
    long copy_line;
    char *copy_sql; /* text of the COPY statement, stable while its data is read */
    size_t copy_sql_cap;

    int failed;
    strata_lex_error saved;
};

static int
is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* ---- positions and errors ---- */

/* Moves the cursor forward to buffer offset off, counting lines on the way. */
static void
cursor_to(strata_lexer *lx, size_t off)
{
    const unsigned char *p = lx->buf + lx->cur_off;
    const unsigned char *end = lx->buf + off;
    const unsigned char *nl;

    if (off <= lx->cur_off)
        return;
    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lx->cur_line++;
        lx->cur_col = 1;
        p = nl + 1;
    }
    lx->cur_col += end - p;
    lx->cur_off = off;
}

/* Line and column of buffer offset off; offsets must be asked in increasing order. */
static void
lc_at(strata_lexer *lx, size_t off, long *line, long *col)
{
    cursor_to(lx, off);
    *line = lx->cur_line;
    *col = lx->cur_col;
}

/* Records a sticky error at line/col; returns EV_ERR. */
static int __attribute__((format(printf, 4, 5)))
fail_lc(strata_lexer *lx, long line, long col, const char *fmt, ...)
{
    va_list ap;

    lx->failed = 1;
    lx->saved.line = line;
    lx->saved.col = col;
    va_start(ap, fmt);
    vsnprintf(lx->saved.message, sizeof(lx->saved.message), fmt, ap);
    va_end(ap);
    return EV_ERR;
}

static void
tok_lc(strata_lexer *lx, long *line, long *col)
{
    if (lx->tok_known) {
        *line = lx->tok_line;
        *col = lx->tok_col;
    } else {
        lc_at(lx, lx->tok_off, line, col);
    }
}

static int
fail_unterminated(strata_lexer *lx)
{
    static const char *const quote_msg[] = {
        [Q_STRING] = "unterminated string literal: add the closing ' (a ' inside a string "
                     "is written '')",
        [Q_ESTRING] = "unterminated E'...' string: add the closing ' (inside E'...' a "
                      "backslash escapes the next character)",
        [Q_BSTRING] = "unterminated string literal: add the closing ' (standard_conforming_"
                      "strings is off here, so a backslash escapes the next character)",
        [Q_IDENT] = "unterminated quoted identifier: add the closing \" (a \" inside it is "
                    "written \"\")",
        [Q_BTICK] = "unterminated backquoted identifier: add the closing ` (a ` inside it "
                    "is written ``)",
        [Q_BRACKET] = "unterminated bracketed identifier: add the closing ]",
    };
    long line, col;

    tok_lc(lx, &line, &col);
    switch (lx->state) {
    case S_QUOTE:
        return fail_lc(lx, line, col, "%s", quote_msg[lx->qkind]);
    case S_BLOCK:
        return fail_lc(lx, line, col, "unterminated block comment: add the closing */%s",
                       (lx->rules & STRATA_LEX_NESTED_COMMENTS)
                           ? " (comments nest here: each /* needs its own */)"
                           : "");
    case S_EXEC:
        return fail_lc(lx, line, col,
                       "unterminated executable comment /*! ...: add the "
                       "closing */");
    default:
        return fail_lc(lx, line, col,
                       "unterminated dollar-quoted string $%.*s$: add the closing $%.*s$",
                       (int)lx->tag_len, (const char *)lx->buf + lx->tok_off + 1, (int)lx->tag_len,
                       (const char *)lx->buf + lx->tok_off + 1);
    }
}

/* The input holds a NUL byte (at buf[len]): nothing after it is read. */
static int
fail_nul(strata_lexer *lx)
{
    long line, col;

    lc_at(lx, lx->len, &line, &col);
    return fail_lc(lx, line, col,
                   "NUL byte in the SQL text: SQL cannot hold one, and nothing after it is "
                   "read (is the file binary or UTF-16?)");
}

/* ---- buffer ---- */

/* True when only blanks lie between the last newline and buffer offset off. */
static int
line_start(const strata_lexer *lx, size_t off)
{
    while (off > 0 && is_blank(lx->buf[off - 1]))
        off--;
    return off == 0 ? lx->bol0 : lx->buf[off - 1] == '\n';
}

/* A SET standard_conforming_strings applies once a newline follows it (psql reads each
 * line with the setting in force when the line began). Looks for one before upto. */
static void
scs_seek(strata_lexer *lx, size_t upto)
{
    size_t from = lx->scs_from > lx->base ? (size_t)(lx->scs_from - lx->base) : 0;

    if (from >= upto)
        return;
    if (memchr(lx->buf + from, '\n', upto - from) != NULL) {
        lx->sc.backslash_strings = lx->scs_next;
        lx->scs_wait = 0;
    } else {
        lx->scs_from = lx->base + upto;
    }
}

/* Discards buf[0, keep), keeping line/column knowledge of what goes. */
static void
compact(strata_lexer *lx, size_t keep)
{
    if (lx->state != S_NORMAL && !lx->tok_known && lx->tok_off < keep) {
        lc_at(lx, lx->tok_off, &lx->tok_line, &lx->tok_col);
        lx->tok_known = 1;
    }
    if (lx->scs_wait)
        scs_seek(lx, keep);
    lx->bol0 = line_start(lx, keep);
    cursor_to(lx, keep);
    memmove(lx->buf, lx->buf + keep, lx->len - keep);
    lx->base += keep;
    lx->len -= keep;
    lx->pos -= keep;
    lx->cur_off = lx->cur_off > keep ? lx->cur_off - keep : 0;
    lx->tok_off = lx->tok_off > keep ? lx->tok_off - keep : 0;
    if (lx->in_stmt) {
        lx->stmt_off -= keep;
        if (lx->paren > 0)
            lx->paren_off -= keep;
    }
}

static int
grow(strata_lexer *lx)
{
    size_t cap = lx->cap * 2;
    unsigned char *nb;

    if (cap < lx->cap)
        return -1;
    nb = realloc(lx->buf, cap);
    if (!nb)
        return -1;
    lx->buf = nb;
    lx->cap = cap;
    return 0;
}

/* Reads more input after buf[len); sets eof at its end or at a NUL. Returns 0 or EV_ERR. */
static int
fill(strata_lexer *lx)
{
    unsigned char *nul;
    size_t n;

    if (lx->cap - lx->len <= LX_CHUNK) {
        size_t keep = lx->in_stmt ? lx->stmt_off : lx->pos;

        if (keep > 0)
            compact(lx, keep);
        while (lx->cap - lx->len <= LX_CHUNK)
            if (grow(lx) != 0)
                return fail_lc(lx, lx->cur_line, lx->cur_col,
                               "out of memory buffering a statement of %zu bytes",
                               lx->len - (lx->in_stmt ? lx->stmt_off : lx->pos));
    }
    n = lx->read(lx->ctx, (char *)lx->buf + lx->len, lx->cap - lx->len - 1);
    if (n == (size_t)-1) {
        long line, col;

        lc_at(lx, lx->len, &line, &col);
        return fail_lc(lx, line, col, "reading the SQL input failed");
    }
    nul = n > 0 ? memchr(lx->buf + lx->len, '\0', n) : NULL;
    if (nul) {
        n = (size_t)(nul - (lx->buf + lx->len));
        lx->nul = 1;
    }
    if (n == 0 || lx->nul)
        lx->eof = 1;
    lx->len += n;
    return 0;
}

/* Drops a UTF-8 byte order mark at the start of the input. */
static int
start(strata_lexer *lx)
{
    while (!lx->eof && lx->len < 3)
        if (fill(lx) != 0)
            return EV_ERR;
    if (lx->len >= 3 && memcmp(lx->buf, "\xEF\xBB\xBF", 3) == 0) {
        memmove(lx->buf, lx->buf + 3, lx->len - 3);
        lx->len -= 3;
        lx->base = 3;
    }
    lx->started = 1;
    return 0;
}

/* ---- tables ---- */

static void
set_table(strata_lexer *lx, int tab)
{
    lx->tab = tab;
    lx->cls = lx->tabs[tab];
}

static void
build_idents(strata_lexer *lx)
{
    int c;

    for (c = 0; c < 256; c++) {
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;

        lx->idents[c] = (uint8_t)alpha;
        lx->identc[c] = (uint8_t)(alpha || (c >= '0' && c <= '9') || c == '$');
    }
}

/* Marks the bytes that open quotes, comments and delimiters in table t. */
static void
mark_specials(strata_lexer *lx, uint8_t *t)
{
    uint32_t r = lx->rules;

    t['\''] = C_SQUOTE;
    t['"'] = C_DQUOTE;
    t['-'] = C_DASH;
    t['/'] = C_SLASH;
    if (lx->dlen == 0)
        t[';'] = C_SEMI;
    if (r & STRATA_LEX_BACKTICKS)
        t['`'] = C_BTICK;
    if (r & STRATA_LEX_BRACKETS)
        t['['] = C_LBRACK;
    if (r & STRATA_LEX_HASH_COMMENTS)
        t['#'] = C_HASH;
    if (r & STRATA_LEX_DOLLAR_QUOTES)
        t['$'] = C_DOLLAR;
    if (r & (STRATA_LEX_PARENS | STRATA_LEX_ATOMIC_BLOCKS)) {
        t['('] = C_LPAREN;
        t[')'] = C_RPAREN;
    }
}

/* (Re)builds the scanner tables for the rules and the current delimiter. */
static void
build_tables(strata_lexer *lx)
{
    int words_first =
        (lx->rules & (STRATA_LEX_BLOCKS | STRATA_LEX_ATOMIC_BLOCKS)) != 0 || lx->complete;
    int c, t;

    build_idents(lx);
    for (c = 0; c < 256; c++) {
        int sp = is_space((unsigned char)c);
        int digit = c >= '0' && c <= '9';

        lx->tabs[TAB_OUT][c] = sp ? C_PLAIN : (words_first && lx->idents[c]) ? C_IDENT : C_CONTENT;
        lx->tabs[TAB_PLAIN][c] = C_PLAIN;
        lx->tabs[TAB_WORDS][c] = sp ? C_PLAIN : lx->idents[c] ? C_IDENT : digit ? C_DIGIT : C_PUNCT;
    }
    if (lx->rules & STRATA_LEX_PSQL_META)
        lx->tabs[TAB_OUT]['\\'] = C_BSLASH;
    for (t = 0; t < TAB_COUNT; t++)
        mark_specials(lx, lx->tabs[t]);
    if (lx->dlen > 0) {
        unsigned char d = (unsigned char)lx->delim[0];

        for (t = 0; t < TAB_COUNT; t++) {
            lx->delim_fb[t] = lx->tabs[t][d];
            lx->tabs[t][d] = C_DELIM;
        }
        lx->identc[d] = 0;
        lx->idents[d] = 0;
    }
    if (lx->rules & STRATA_LEX_DELIMITER) {
        lx->dir_fb[0] = lx->tabs[TAB_OUT]['D'];
        lx->dir_fb[1] = lx->tabs[TAB_OUT]['d'];
        lx->tabs[TAB_OUT]['D'] = C_DIRECTIVE;
        lx->tabs[TAB_OUT]['d'] = C_DIRECTIVE;
    }
    set_table(lx, lx->tab);
}

/* ---- statement state ---- */

static void
begin_stmt(strata_lexer *lx)
{
    lx->in_stmt = 1;
    lx->stmt_off = lx->pos;
    lx->track = TRACK_NONE;
    lx->compound = 0;
    lx->paren = 0;
    lx->begin_depth = 0;
    lx->ask = 0;
    set_table(lx, TAB_PLAIN);
}

static void
stop_tracking(strata_lexer *lx)
{
    lx->track = TRACK_NONE;
    set_table(lx, TAB_PLAIN);
}

/* After a token was fed to the MySQL tracker: stops following when it has seen enough. */
static int
blocks_fed(strata_lexer *lx, int more)
{
    long line, col;

    lx->compound = lx->bt.compound;
    if (lx->bt.overflow) {
        lc_at(lx, lx->stmt_off, &line, &col);
        return fail_lc(lx, line, col,
                       "compound statements nested more than %d deep: strata cannot follow "
                       "them; split the body into procedures, or use DELIMITER",
                       STRATA_BLOCKS_DEPTH);
    }
    if (!more)
        stop_tracking(lx);
    return EV_AGAIN;
}

/* Feeds a token other than a word to the MySQL tracker, if it follows this statement. */
static int
feed(strata_lexer *lx, int kind, unsigned char c)
{
    if (lx->track != TRACK_BLOCKS)
        return EV_AGAIN;
    return blocks_fed(lx, strata_blocks_token(&lx->bt, kind, c));
}

/*
 * psql's reading of CREATE [OR REPLACE] FUNCTION/PROCEDURE: 1 when the identifiers seen so
 * far make one, -1 when they cannot, 0 when undecided.
 */
static int
psql_header(const strata_lexer *lx)
{
    const char *id = lx->ids;
    int n = lx->ids_count;

    if (n >= 2 && (id[1] == 'f' || id[1] == 'p'))
        return 1;
    if ((n >= 2 && id[1] != 'o') || (n >= 3 && id[2] != 'r'))
        return -1;
    if (n >= 4)
        return id[3] == 'f' || id[3] == 'p' ? 1 : -1;
    return 0;
}

/* A word of a statement starting with CREATE, counted as psqlscan.l counts identifiers. */
static void
psql_word(strata_lexer *lx, const unsigned char *w, size_t n)
{
    static const char *const noted[] = {"CREATE", "FUNCTION", "PROCEDURE", "OR", "REPLACE", NULL};

    if (!lx->psql_on) {
        int m;

        lx->ids[lx->ids_count++] = strata_kw_any(w, n, noted) ? (char)(w[0] | 0x20) : 0;
        m = psql_header(lx);
        if (m < 0)
            stop_tracking(lx);
        lx->psql_on = m > 0;
        return;
    }
    if (lx->paren > 0)
        return;
    if (strata_kw(w, n, "BEGIN"))
        lx->begin_depth++;
    else if (strata_kw(w, n, "CASE") && lx->begin_depth >= 1)
        lx->begin_depth++;
    else if (strata_kw(w, n, "END") && lx->begin_depth > 0)
        lx->begin_depth--;
}

/* A word inside a statement whose words are followed. */
static int
word(strata_lexer *lx, const unsigned char *w, size_t n)
{
    if (lx->track == TRACK_BLOCKS)
        return blocks_fed(lx, strata_blocks_word(&lx->bt, w, n));
    if (lx->track == TRACK_PSQL)
        psql_word(lx, w, n);
    return EV_AGAIN;
}

/* The first word w[s, e) of a statement: who follows its words, if anybody. */
static int
first_word(strata_lexer *lx, size_t s, size_t e)
{
    const unsigned char *w = lx->buf + s;
    size_t n = e - s;

    begin_stmt(lx);
    lx->pos = e;
    if (lx->goose || lx->dlen > 0)
        return EV_AGAIN;
    if (lx->complete && (strata_kw(w, n, "CREATE") || strata_kw(w, n, "EXPLAIN")))
        lx->ask = 1;
    if ((lx->rules & STRATA_LEX_BLOCKS) && strata_blocks_start(&lx->bt, w, n)) {
        lx->track = TRACK_BLOCKS;
        set_table(lx, TAB_WORDS);
        return blocks_fed(lx, 1);
    }
    if ((lx->rules & STRATA_LEX_ATOMIC_BLOCKS) && strata_kw(w, n, "CREATE")) {
        lx->track = TRACK_PSQL;
        lx->psql_on = 0;
        lx->ids[0] = 'c';
        lx->ids_count = 1;
        set_table(lx, TAB_WORDS);
    }
    return EV_AGAIN;
}

/* True when complete() says the statement ends with the ';' at pos. */
static int
ask_complete(strata_lexer *lx)
{
    unsigned char *end = lx->buf + lx->pos + 1; /* pos < len < cap: within the buffer */
    unsigned char saved = *end;
    int done;

    *end = '\0';
    done = lx->complete((const char *)lx->buf + lx->stmt_off);
    *end = saved;
    return done;
}

/* True when the delimiter at pos does not end the statement. */
static int
stays_inside(strata_lexer *lx)
{
    if ((lx->rules & STRATA_LEX_PARENS) && lx->paren > 0)
        return 1;
    if (lx->track == TRACK_BLOCKS)
        return !strata_blocks_semicolon(&lx->bt);
    if (lx->track == TRACK_PSQL && lx->begin_depth > 0)
        return 1;
    return lx->ask && !ask_complete(lx);
}

/* ---- directives ---- */

/* The DELIMITER argument b[s, e) is usable; returns EV_AGAIN or EV_ERR. */
static int
check_delimiter(strata_lexer *lx, size_t s, size_t e, long line, long col)
{
    const unsigned char *b = lx->buf;
    size_t i;

    if (e == s)
        return fail_lc(lx, line, col, "DELIMITER needs a delimiter string, e.g. DELIMITER $$");
    if (e - s > LX_DELIM_MAX)
        return fail_lc(
            lx, line, col,
            "DELIMITER string longer than %d bytes (MySQL's command-line client would cut it "
            "short)",
            LX_DELIM_MAX);
    for (i = s; i < e; i++) {
        if (b[i] == '\\')
            return fail_lc(lx, line, col,
                           "DELIMITER string cannot hold a backslash (MySQL's command-line client "
                           "refuses it)");
        if (b[i] < 0x20 || b[i] == 0x7f)
            return fail_lc(
                lx, line, col,
                "DELIMITER string holds a tab or control character, which MySQL's command-line "
                "client would make part of the delimiter: end it with a space");
    }
    return EV_AGAIN;
}

/*
 * The rest of a DELIMITER command line from e, as the mysql client reads it: the first
 * argument, quoted with ' " ` or ending at a space; the rest of the line is ignored.
 */
static int
delimiter_line(strata_lexer *lx, size_t e)
{
    const unsigned char *b = lx->buf;
    const unsigned char *nl = memchr(b + e, '\n', lx->len - e);
    size_t end = nl ? (size_t)(nl - b) : lx->len, p = e, s;
    long line, col;

    if (!nl && !lx->eof)
        return EV_NEED;
    lc_at(lx, lx->pos, &line, &col);
    if (!line_start(lx, lx->pos))
        return fail_lc(lx, line, col,
                       "DELIMITER must be the first word of its line: MySQL's client takes "
                       "it for a command only there");
    if (end > e && b[end - 1] == '\r')
        end--;
    while (p < end && (b[p] == ' ' || b[p] == '\t'))
        p++;
    if (p < end && (b[p] == '\'' || b[p] == '"' || b[p] == '`')) {
        unsigned char q = b[p];

        for (s = ++p; p < end && b[p] != q; p++)
            ;
        if (p == end)
            return fail_lc(lx, line, col, "DELIMITER %c...: the quote is not closed on its line",
                           q);
    } else {
        for (s = p; p < end && b[p] != ' '; p++)
            ;
    }
    if (check_delimiter(lx, s, p, line, col) != EV_AGAIN)
        return EV_ERR;
    lx->dlen = (p - s == 1 && b[s] == ';') ? 0 : p - s;
    memcpy(lx->delim, b + s, p - s);
    lx->delim[p - s] = '\0';
    lx->pos = nl ? (size_t)(nl - b) + 1 : lx->len;
    build_tables(lx);
    return EV_AGAIN;
}

/*
 * Which grouping annotation the comment text c[0, n) (after "--") is; *strata tells the
 * strata spelling from goose's.
 */
static int
annotation_kind(const unsigned char *c, size_t n, int *strata)
{
    size_t i = 0, j;

    while (n > 0 && is_space(c[n - 1]))
        n--;
    while (i < n && (c[i] == ' ' || c[i] == '\t'))
        i++;
    c += i;
    n -= i;
    *strata = 1;
    if (strata_kw(c, n, "STRATA:STATEMENT-BEGIN"))
        return A_BEGIN;
    if (strata_kw(c, n, "STRATA:STATEMENT-END"))
        return A_END;
    *strata = 0;
    if (n < 7 || !strata_kw(c, 6, "+GOOSE") || (c[6] != ' ' && c[6] != '\t'))
        return A_NONE;
    for (j = 7; j < n && (c[j] == ' ' || c[j] == '\t'); j++)
        ;
    if (strata_kw(c + j, n - j, "STATEMENTBEGIN"))
        return A_BEGIN;
    if (strata_kw(c + j, n - j, "STATEMENTEND"))
        return A_END;
    return A_NONE;
}

static int
group_begin(strata_lexer *lx, size_t next, int strata)
{
    long line, col;

    if (lx->goose)
        return EV_NONE;
    lc_at(lx, lx->pos, &line, &col);
    if (lx->in_stmt)
        return fail_lc(lx, line, col,
                       "statement-begin annotation inside an unterminated statement: end "
                       "the statement before it with its delimiter");
    lx->goose = strata ? 2 : 1;
    lx->goose_line = line;
    lx->goose_col = col;
    lx->pos = next;
    return EV_AGAIN;
}

static int
group_end(strata_lexer *lx, size_t next)
{
    if (!lx->goose)
        return EV_NONE;
    lx->goose = 0;
    if (!lx->in_stmt) {
        lx->pos = next;
        return EV_AGAIN;
    }
    lx->stmt_end = lx->pos;
    lx->pos = next;
    lx->emit_block = 1;
    return EV_STMT;
}

/* At a "--" comment: handles a grouping annotation line, or returns EV_NONE. */
static int
annotation(strata_lexer *lx)
{
    const unsigned char *b = lx->buf;
    size_t p = lx->pos + 2, lim = lx->pos + LX_ANNOT_MAX;
    size_t stop = lx->len < lim ? lx->len : lim;
    const unsigned char *nl = memchr(b + p, '\n', stop > p ? stop - p : 0);
    size_t end = nl ? (size_t)(nl - b) : stop;
    int kind, strata;

    if (!nl && lx->len < lim && !lx->eof)
        return EV_NEED;
    if (!nl && end == lim)
        return EV_NONE;
    kind = annotation_kind(b + p, end - p, &strata);
    if (kind == A_BEGIN)
        return group_begin(lx, nl ? end + 1 : end, strata);
    if (kind == A_END)
        return group_end(lx, nl ? end + 1 : end);
    return EV_NONE;
}

/* \restrict KEY and \unrestrict KEY (pg_dump 15.14 and later): checked, then skipped. */
static int
restrict_line(strata_lexer *lx, size_t s, size_t p, int on)
{
    const unsigned char *b = lx->buf;
    const unsigned char *nl = memchr(b + p, '\n', lx->len - p);
    size_t end = nl ? (size_t)(nl - b) : lx->len, k;
    const char *cmd = on ? "\\restrict" : "\\unrestrict";
    long line, col;

    if (!nl && !lx->eof)
        return EV_NEED;
    lc_at(lx, s, &line, &col);
    while (p < end && is_space(b[p]))
        p++;
    for (k = p; k < end && !is_space(b[k]); k++)
        ;
    if (k == p)
        return fail_lc(lx, line, col, "%s needs a key, as pg_dump writes it: %s KEY", cmd, cmd);
    if (k - p > LX_KEY_MAX)
        return fail_lc(lx, line, col, "%s key longer than %d bytes", cmd, LX_KEY_MAX);
    if (!on && !lx->restricted)
        return fail_lc(lx, line, col, "\\unrestrict without a \\restrict before it");
    if (!on && (strlen(lx->restrict_key) != k - p || memcmp(lx->restrict_key, b + p, k - p) != 0))
        return fail_lc(lx, line, col, "\\unrestrict key differs from the \\restrict key");
    lx->restricted = on;
    memcpy(lx->restrict_key, b + p, k - p);
    lx->restrict_key[k - p] = '\0';
    lx->pos = nl ? end + 1 : end;
    return EV_AGAIN;
}

/* ---- the scanner ---- */

static int
run_quote(strata_lexer *lx)
{
    if (!strata_scan_quoted(lx->buf, lx->len, &lx->pos, lx->eof, lx->q, lx->q_dbl, lx->q_bs))
        return EV_NEED;
    lx->state = S_NORMAL;
    return EV_STATE;
}

static int
run_line(strata_lexer *lx)
{
    const unsigned char *nl = memchr(lx->buf + lx->pos, '\n', lx->len - lx->pos);

    if (!nl) {
        lx->pos = lx->len;
        return EV_NEED;
    }
    lx->pos = (size_t)(nl - lx->buf);
    lx->state = S_NORMAL;
    return EV_STATE;
}

static int
run_comment(strata_lexer *lx)
{
    int nested = lx->state == S_BLOCK && (lx->rules & STRATA_LEX_NESTED_COMMENTS);

    if (!strata_scan_comment(lx->buf, lx->len, &lx->pos, nested, &lx->cdepth))
        return EV_NEED;
    lx->state = S_NORMAL;
    return EV_STATE;
}

static int
run_dollar(strata_lexer *lx)
{
    const unsigned char *tag = lx->buf + lx->tok_off + 1;

    if (!strata_scan_dollar(lx->buf, lx->len, &lx->pos, tag, lx->tag_len))
        return EV_NEED;
    lx->state = S_NORMAL;
    return EV_STATE;
}

/* Enters state st for a construct opened at tok, scanning on from pos; stays in S_NORMAL
 * when the construct ends within the input at hand. */
static int
enter(strata_lexer *lx, int st, size_t tok, size_t pos)
{
    int r;

    if (!lx->in_stmt && st != S_BLOCK && st != S_LINE)
        begin_stmt(lx);
    lx->state = st;
    lx->tok_off = tok;
    lx->tok_known = 0;
    lx->pos = pos;
    switch (st) {
    case S_QUOTE:
        r = run_quote(lx);
        break;
    case S_LINE:
        r = run_line(lx);
        break;
    case S_DOLLAR:
        r = run_dollar(lx);
        break;
    default:
        lx->cdepth = 1;
        r = run_comment(lx);
        break;
    }
    return r == EV_STATE ? EV_AGAIN : r;
}

static int
open_quote(strata_lexer *lx, size_t tok, unsigned char q, int kind, int dbl, int bs)
{
    lx->q = q;
    lx->qkind = kind;
    lx->q_dbl = dbl;
    lx->q_bs = bs;
    return enter(lx, S_QUOTE, tok, lx->pos + 1);
}

/* A quoted run opens: the MySQL tracker sees a string or a name. */
static int
quote_token(strata_lexer *lx, unsigned char q)
{
    return feed(lx, q == '\'' || q == '"' ? STRATA_BT_STRING : STRATA_BT_NAME, q);
}

static int
on_squote(strata_lexer *lx)
{
    const unsigned char *b = lx->buf;
    size_t p = lx->pos, s = lx->in_stmt ? lx->stmt_off : p;
    int bs = (lx->rules & STRATA_LEX_BACKSLASH_ESCAPES) != 0;

    if (quote_token(lx, '\'') == EV_ERR)
        return EV_ERR;
    if ((lx->rules & STRATA_LEX_E_STRINGS) && p > s && (b[p - 1] | 0x20) == 'e' &&
        (p - 1 == s || !lx->identc[b[p - 2]]))
        return open_quote(lx, p - 1, '\'', Q_ESTRING, 1, 1);
    if (lx->rules & (STRATA_LEX_STD_STRINGS | STRATA_LEX_STRINGS_ESCAPE)) {
        if (lx->scs_wait)
            scs_seek(lx, p);
        if (lx->sc.backslash_strings && !strata_sql_standard_prefix(&lx->sc, b, s, p))
            return open_quote(lx, p, '\'', Q_BSTRING, 1, 1);
    }
    return open_quote(lx, p, '\'', Q_STRING, 1, bs);
}

static int
on_ident(strata_lexer *lx)
{
    const unsigned char *b = lx->buf;
    size_t s = lx->pos, e = s + 1;

    while (e < lx->len && lx->identc[b[e]])
        e++;
    if (e == lx->len && !lx->eof)
        return EV_NEED;
    if (!lx->in_stmt)
        return first_word(lx, s, e);
    lx->pos = e;
    return word(lx, b + s, e - s);
}

static int
on_digits(strata_lexer *lx)
{
    size_t e = lx->pos + 1;

    while (e < lx->len && lx->identc[lx->buf[e]])
        e++;
    if (e == lx->len && !lx->eof)
        return EV_NEED;
    lx->pos = e;
    return feed(lx, STRATA_BT_NUMBER, 0);
}

/* A byte that is not a comment opener after all: it starts or continues a statement. */
static int
on_other(strata_lexer *lx)
{
    unsigned char c = lx->buf[lx->pos];

    if (!lx->in_stmt)
        begin_stmt(lx);
    lx->pos++;
    return feed(lx, STRATA_BT_PUNCT, c);
}

static int
on_paren(strata_lexer *lx, int open)
{
    if (!lx->in_stmt)
        begin_stmt(lx);
    if (open && lx->paren++ == 0)
        lx->paren_off = lx->pos;
    else if (!open && lx->paren > 0)
        lx->paren--;
    lx->pos++;
    return feed(lx, STRATA_BT_PUNCT, open ? '(' : ')');
}

static int
on_dash(strata_lexer *lx)
{
    int r = strata_dash_comment(&lx->sc, lx->buf, lx->len, lx->pos, lx->eof);

    if (r < 0)
        return EV_NEED;
    if (r == 0)
        return on_other(lx);
    r = annotation(lx);
    if (r != EV_NONE)
        return r;
    return enter(lx, S_LINE, lx->pos, lx->pos + 2);
}

static int
on_slash(strata_lexer *lx)
{
    const unsigned char *b = lx->buf;
    size_t p = lx->pos, ex;

    if (p + 3 >= lx->len && !lx->eof)
        return EV_NEED;
    if (p + 1 >= lx->len || b[p + 1] != '*')
        return on_other(lx);
    ex = strata_exec_opener(&lx->sc, b, lx->len, p);
    if (ex)
        return enter(lx, S_EXEC, p, p + ex);
    return enter(lx, S_BLOCK, p, p + 2);
}

static int
on_dollar(strata_lexer *lx)
{
    const unsigned char *b = lx->buf;
    size_t p = lx->pos, tl = 0;
    int r;

    if (lx->in_stmt && p > lx->stmt_off && lx->identc[b[p - 1]]) {
        lx->pos++;
        return EV_AGAIN;
    }
    r = strata_dollar_open(&lx->sc, b, lx->len, p, lx->eof, &tl);
    if (r < 0)
        return EV_NEED;
    if (r == 0)
        return on_other(lx);
    lx->tag_len = tl;
    return enter(lx, S_DOLLAR, p, p + tl + 2);
}

/* A delimiter of dlen bytes at pos: ends the statement unless something keeps it open. */
static int
on_delim(strata_lexer *lx, size_t dlen)
{
    if (!lx->in_stmt || lx->goose || stays_inside(lx)) {
        lx->pos += dlen;
        return EV_AGAIN;
    }
    lx->stmt_end = lx->pos;
    lx->pos += dlen;
    return EV_STMT;
}

static int dispatch(strata_lexer *lx, int cls);

static int
on_custom_delim(strata_lexer *lx)
{
    size_t avail = lx->len - lx->pos;

    if (avail < lx->dlen && !lx->eof)
        return EV_NEED;
    if (avail >= lx->dlen && memcmp(lx->buf + lx->pos, lx->delim, lx->dlen) == 0)
        return on_delim(lx, lx->dlen);
    return dispatch(lx, lx->delim_fb[lx->tab]);
}

/*
 * D or d between statements: a DELIMITER command when the word DELIMITER (any case) is
 * followed by a blank or the end of the line, as the mysql client recognises it even when
 * its current delimiter occurs inside the word; otherwise the byte's usual meaning.
 */
static int
on_directive(strata_lexer *lx)
{
    const unsigned char *b = lx->buf;
    size_t s = lx->pos, e = s + 9;
    int fb = lx->dir_fb[b[s] == 'd'];

    if (lx->goose)
        return dispatch(lx, fb);
    if (e >= lx->len && !lx->eof)
        return EV_NEED;
    if (e > lx->len || !strata_kw(b + s, 9, "DELIMITER") ||
        (e < lx->len && b[e] != ' ' && b[e] != '\t' && b[e] != '\r' && b[e] != '\n'))
        return dispatch(lx, fb);
    return delimiter_line(lx, e);
}

/* A backslash where a statement would start: a psql meta-command. */
static int
on_backslash(strata_lexer *lx)
{
    const unsigned char *b = lx->buf;
    size_t s = lx->pos, p = s + 1, lim = s + LX_META_MAX;
    long line, col;

    while (p < lx->len && p < lim && !is_space(b[p]))
        p++;
    if (p == lx->len && p < lim && !lx->eof)
        return EV_NEED;
    if (p - s == 9 && memcmp(b + s, "\\restrict", 9) == 0)
        return restrict_line(lx, s, p, 1);
    if (p - s == 11 && memcmp(b + s, "\\unrestrict", 11) == 0)
        return restrict_line(lx, s, p, 0);
    lc_at(lx, s, &line, &col);
    return fail_lc(lx, line, col,
                   "psql meta-command %.*s is not SQL; strata runs plain SQL (remove it or use "
                   "a driver option)",
                   (int)(p - s), (const char *)b + s);
}

static int
dispatch(strata_lexer *lx, int cls)
{
    switch (cls) {
    case C_CONTENT:
        begin_stmt(lx);
        /* fall through */
    case C_PLAIN:
        lx->pos++;
        return EV_AGAIN;
    case C_IDENT:
        return on_ident(lx);
    case C_DIGIT:
        return on_digits(lx);
    case C_PUNCT:
        return on_other(lx);
    case C_SQUOTE:
        return on_squote(lx);
    case C_DQUOTE:
        if (quote_token(lx, '"') == EV_ERR)
            return EV_ERR;
        return open_quote(lx, lx->pos, '"', Q_IDENT, 1,
                          (lx->rules & STRATA_LEX_BACKSLASH_ESCAPES) != 0);
    case C_BTICK:
        if (quote_token(lx, '`') == EV_ERR)
            return EV_ERR;
        return open_quote(lx, lx->pos, '`', Q_BTICK, 1, 0);
    case C_LBRACK:
        if (quote_token(lx, '[') == EV_ERR)
            return EV_ERR;
        return open_quote(lx, lx->pos, ']', Q_BRACKET, 0, 0);
    case C_DASH:
        return on_dash(lx);
    case C_SLASH:
        return on_slash(lx);
    case C_HASH:
        return enter(lx, S_LINE, lx->pos, lx->pos + 1);
    case C_DOLLAR:
        return on_dollar(lx);
    case C_SEMI:
        return on_delim(lx, 1);
    case C_DELIM:
        return on_custom_delim(lx);
    case C_LPAREN:
    case C_RPAREN:
        return on_paren(lx, cls == C_LPAREN);
    case C_DIRECTIVE:
        return on_directive(lx);
    default:
        return on_backslash(lx);
    }
}

static int
run_normal(strata_lexer *lx)
{
    const unsigned char *b = lx->buf;
    size_t len = lx->len;

    for (;;) {
        const uint8_t *cls = lx->cls;
        size_t pos = lx->pos;
        int r;

        while (pos < len && cls[b[pos]] == C_PLAIN)
            pos++;
        lx->pos = pos;
        if (pos == len)
            return EV_NEED;
        r = dispatch(lx, cls[b[pos]]);
        if (r != EV_AGAIN)
            return r;
    }
}

/* Scans until a statement is complete (EV_STMT), input runs out (EV_NEED) or EV_ERR. */
static int
scan(strata_lexer *lx)
{
    for (;;) {
        int r;

        switch (lx->state) {
        case S_NORMAL:
            r = run_normal(lx);
            break;
        case S_QUOTE:
            r = run_quote(lx);
            break;
        case S_LINE:
            r = run_line(lx);
            break;
        case S_DOLLAR:
            r = run_dollar(lx);
            break;
        default:
            r = run_comment(lx);
            break;
        }
        if (r != EV_STATE)
            return r;
    }
}

/* What keeps the last statement open at the end of the input, if anything. */
static int
fail_open_at_end(strata_lexer *lx)
{
    long line, col;

    if ((lx->rules & STRATA_LEX_PARENS) && lx->paren > 0) {
        lc_at(lx, lx->paren_off, &line, &col);
        return fail_lc(lx, line, col,
                       "unbalanced parenthesis: this ( is never closed, so the statement never "
                       "ends; add the closing )");
    }
    if (lx->track == TRACK_PSQL && lx->begin_depth > 0) {
        lc_at(lx, lx->stmt_off, &line, &col);
        return fail_lc(lx, line, col,
                       "BEGIN without its END: this CREATE FUNCTION/PROCEDURE never ends (psql "
                       "counts BEGIN, CASE and END outside parentheses); add the END");
    }
    if (lx->track == TRACK_BLOCKS && lx->bt.depth > 0) {
        lc_at(lx, lx->stmt_off, &line, &col);
        return fail_lc(lx, line, col,
                       "compound statement without its END: a BEGIN, IF, CASE, LOOP, REPEAT, "
                       "WHILE or FOR in this statement is never closed; add the END");
    }
    return EV_NONE;
}

/* At the end of the input: the last statement, an unterminated construct, or EV_END. */
static int
finish_eof(strata_lexer *lx)
{
    int r;

    if (lx->nul)
        return fail_nul(lx);
    if (lx->state != S_NORMAL && lx->state != S_LINE)
        return fail_unterminated(lx);
    lx->state = S_NORMAL;
    if (lx->goose)
        return fail_lc(lx, lx->goose_line, lx->goose_col,
                       "%s at line %ld has no matching %s: add it after the statement",
                       lx->goose == 2 ? "-- strata:statement-begin" : "-- +goose StatementBegin",
                       lx->goose_line,
                       lx->goose == 2 ? "-- strata:statement-end" : "-- +goose StatementEnd");
    if (!lx->in_stmt)
        return EV_END;
    r = fail_open_at_end(lx);
    if (r != EV_NONE)
        return r;
    lx->stmt_end = lx->len;
    lx->pos = lx->len;
    return EV_STMT;
}

/* ---- yielding ---- */

static size_t
rtrim(const unsigned char *b, size_t s, size_t e)
{
    while (e > s && is_space(b[e - 1]))
        e--;
    return e;
}

/* End of a group's text once a trailing delimiter is stripped. */
static size_t
strip_delim(const strata_lexer *lx, size_t s, size_t e)
{
    const char *d = lx->dlen ? lx->delim : ";";
    size_t dl = lx->dlen ? lx->dlen : 1;

    if (e - s >= dl && memcmp(lx->buf + e - dl, d, dl) == 0)
        e = rtrim(lx->buf, s, e - dl);
    return e;
}

/* Keeps the COPY statement's text out of the buffer its data streams through. */
static int
keep_copy_sql(strata_lexer *lx, const unsigned char *t, size_t n)
{
    if (n + 1 > lx->copy_sql_cap) {
        char *p = realloc(lx->copy_sql, n + 1);

        if (!p)
            return -1;
        lx->copy_sql = p;
        lx->copy_sql_cap = n + 1;
    }
    memcpy(lx->copy_sql, t, n + 1);
    return 0;
}

/* The STRATA_STMT_* flags of the statement t[0, n), noting a standard_conforming_strings
 * change to apply after its line. */
static unsigned
classify(strata_lexer *lx, const unsigned char *t, size_t n, int group)
{
    unsigned flags = strata_sql_flags(&lx->sc, lx->no_tx, t, n, group, lx->compound);
    int scs;

    if (group)
        flags |= STRATA_STMT_BLOCK;
    /* SET, RESET and DISCARD statements only: most statements are INSERTs */
    if (!(lx->rules & STRATA_LEX_STD_STRINGS) || !memchr("sSrRdD", t[0], 6) ||
        (scs = strata_sql_std_strings(&lx->sc, t, n)) < 0)
        return flags;
    lx->scs_next = scs;
    lx->scs_wait = 1;
    lx->scs_from = lx->base + lx->pos;
    return flags | STRATA_STMT_SETTING;
}

/*
 * Fills *st with the statement just completed. Returns 1, 0 when it is empty (nothing to
 * yield), or -1 on error.
 */
static int
emit(strata_lexer *lx, strata_stmt *st)
{
    unsigned char *b = lx->buf;
    size_t s = lx->stmt_off, e = rtrim(b, s, lx->stmt_end);
    int group = lx->emit_block;
    unsigned flags;

    if (group)
        e = strip_delim(lx, s, e);
    lx->in_stmt = 0;
    lx->emit_block = 0;
    lx->track = TRACK_NONE;
    set_table(lx, TAB_OUT);
    if (e == s)
        return 0;
    flags = classify(lx, b + s, e - s, group);
    lc_at(lx, s, &st->line, &st->col);
    /* count the lines up to the scan position before the NUL may hide a newline */
    cursor_to(lx, lx->pos);
    b[e] = '\0';
    st->text = (const char *)b + s;
    st->len = e - s;
    st->flags = flags;
    st->index = ++lx->index;
    if (flags & STRATA_STMT_COPY) {
        if (keep_copy_sql(lx, b + s, e - s) != 0) {
            fail_lc(lx, st->line, st->col, "out of memory keeping a COPY statement");
            return -1;
        }
        st->text = lx->copy_sql;
        lx->copy = CP_LINE;
    }
    return 1;
}

/* ---- COPY data ---- */

static size_t
copy_unterminated(strata_lexer *lx)
{
    if (lx->nul)
        fail_nul(lx);
    else
        fail_lc(lx, lx->copy_line, 1,
                "COPY data starting at line %ld is not terminated by a line \\.: add a line "
                "holding only \\. after the data",
                lx->copy_line);
    return (size_t)-1;
}

/* Skips the rest of the COPY statement's line, which may hold only blanks or a comment. */
static int
copy_skip_line(strata_lexer *lx)
{
    int comment = 0;
    long line, col;

    for (;;) {
        for (; lx->pos < lx->len; lx->pos++) {
            unsigned char c = lx->buf[lx->pos];

            if (c == '\n') {
                lx->pos++;
                lx->copy = CP_DATA;
                lx->copy_bol = 1;
                lc_at(lx, lx->pos, &lx->copy_line, &col);
                return 0;
            }
            if (comment || c == ' ' || c == '\t' || c == '\r')
                continue;
            if (c != '-' || (lx->pos + 1 == lx->len && lx->eof))
                goto junk;
            if (lx->pos + 1 == lx->len)
                break;
            if (lx->buf[lx->pos + 1] != '-')
                goto junk;
            comment = 1;
        }
        if (lx->eof) {
            lc_at(lx, lx->pos, &line, &col);
            lx->copy_line = line + 1;
            copy_unterminated(lx);
            return -1;
        }
        if (fill(lx) != 0)
            return -1;
    }
junk:
    lc_at(lx, lx->pos, &line, &col);
    fail_lc(lx, line, col,
            "text after COPY ... FROM stdin; on the same line: the data must start on the "
            "next line");
    return -1;
}

/* At the start of a data line: consumes a "\." terminator line and returns 1, or 0. */
static int
copy_end(strata_lexer *lx, size_t avail)
{
    const unsigned char *p = lx->buf + lx->pos;
    size_t t = 0;

    if (avail < 2 || p[0] != '\\' || p[1] != '.')
        return 0;
    if (avail == 2)
        t = 2;
    else if (p[2] == '\n')
        t = 3;
    else if (p[2] == '\r' && avail == 3)
        t = 3;
    else if (p[2] == '\r' && p[3] == '\n')
        t = 4;
    if (t == 0)
        return 0;
    lx->pos += t;
    lx->copy = CP_NONE;
    return 1;
}

/* Moves up to room bytes of data, at most to the end of a line, to out (NULL: skip). */
static size_t
copy_part(strata_lexer *lx, char *out, size_t room)
{
    const unsigned char *p = lx->buf + lx->pos;
    size_t n = lx->len - lx->pos;
    const unsigned char *nl;

    if (n > room)
        n = room;
    nl = memchr(p, '\n', n);
    if (nl)
        n = (size_t)(nl - p) + 1;
    if (out)
        memcpy(out, p, n);
    lx->pos += n;
    lx->copy_bol = nl != NULL;
    return n;
}

/* Reads up to size bytes of COPY data into out (NULL: discards them). */
static size_t
copy_pump(strata_lexer *lx, char *out, size_t size)
{
    size_t done = 0;

    if (lx->failed)
        return (size_t)-1;
    if (lx->copy == CP_LINE && copy_skip_line(lx) != 0)
        return (size_t)-1;
    while (lx->copy == CP_DATA && done < size) {
        size_t avail = lx->len - lx->pos;

        if (avail == 0 || (lx->copy_bol && avail < 4 && !lx->eof)) {
            if (lx->eof)
                return copy_unterminated(lx);
            if (fill(lx) != 0)
                return (size_t)-1;
            continue;
        }
        if (lx->copy_bol && copy_end(lx, avail))
            break;
        done += copy_part(lx, out ? out + done : NULL, size - done);
    }
    return done;
}

/* ---- API ---- */

int
strata_lexer_new(uint32_t rules, const char *const *no_tx_patterns, strata_read_fn read, void *ctx,
                 long first_line, strata_lexer **out)
{
    strata_lexer *lx;

    if (!out)
        return STRATA_ERROR;
    *out = NULL;
    if (!read)
        return STRATA_ERROR;
    lx = calloc(1, sizeof(*lx));
    if (!lx)
        goto fail;
    lx->buf = malloc(LX_BUF_INIT);
    if (!lx->buf)
        goto fail;
    lx->cap = LX_BUF_INIT;
    lx->rules = rules;
    lx->no_tx = no_tx_patterns;
    lx->read = read;
    lx->ctx = ctx;
    lx->sc.rules = rules;
    /* the server's standard_conforming_strings is off: '...' takes backslashes from the start */
    lx->sc.backslash_strings = (rules & STRATA_LEX_STRINGS_ESCAPE) != 0;
    lx->sc.idents = lx->idents;
    lx->sc.identc = lx->identc;
    lx->bol0 = 1;
    lx->cur_line = first_line > 0 ? first_line : 1;
    lx->cur_col = 1;
    build_tables(lx);
    set_table(lx, TAB_OUT);
    *out = lx;
    return STRATA_OK;
fail:
    strata_lexer_free(lx);
    return STRATA_ERROR;
}

int
strata_lexer_for_connection(const strata_describe *info, strata_read_fn read, void *ctx,
                            long first_line, strata_lexer **out)
{
    int rc = strata_lexer_new(info->lexer_rules, info->no_transaction_patterns, read, ctx,
                              first_line, out);

    if (rc == STRATA_OK && info->statement_complete != NULL)
        strata_lexer_set_complete(*out, info->statement_complete);
    return rc;
}

void
strata_lexer_set_complete(strata_lexer *lx, strata_complete_fn complete)
{
    lx->complete = complete;
    build_tables(lx);
}

int
strata_lexer_set_delimiter(strata_lexer *lx, const char *delim)
{
    size_t n = strlen(delim);

    if (n == 0 || n > LX_DELIM_MAX || strpbrk(delim, " \t\r\n\\") != NULL)
        return -1;
    lx->dlen = strcmp(delim, ";") == 0 ? 0 : n;
    memcpy(lx->delim, delim, n + 1);
    build_tables(lx);
    return 0;
}

int
strata_lexer_next(strata_lexer *lx, strata_stmt *stmt, strata_lex_error *err)
{
    int r;

    if (lx->failed)
        goto fail;
    if (lx->copy != CP_NONE && copy_pump(lx, NULL, SIZE_MAX) == (size_t)-1)
        goto fail;
    if (!lx->started && start(lx) != 0)
        goto fail;
    for (;;) {
        r = scan(lx);
        if (r == EV_NEED)
            r = lx->eof ? finish_eof(lx) : fill(lx);
        if (r == EV_END)
            return 0;
        if (r == EV_ERR)
            goto fail;
        if (r == EV_STMT) {
            r = emit(lx, stmt);
            if (r > 0)
                return 1;
            if (r < 0)
                goto fail;
        }
    }
fail:
    if (err)
        *err = lx->saved;
    return -1;
}

size_t
strata_lexer_read_copy(void *lexer, char *buf, size_t size)
{
    strata_lexer *lx = lexer;

    if (!lx || (!buf && size > 0))
        return (size_t)-1;
    if (size == 0)
        return 0;
    return copy_pump(lx, buf, size);
}

const strata_sqlscan *
strata_lexer_scan(const strata_lexer *lx)
{
    return &lx->sc;
}

void
strata_lexer_free(strata_lexer *lx)
{
    if (!lx)
        return;
    free(lx->copy_sql);
    free(lx->buf);
    free(lx);
}

void
strata_stmt_locate(const strata_stmt *stmt, long offset, long *line, long *col)
{
    size_t idx, i, bol = 0;
    long l = stmt->line;
    int newline = 0;

    idx = offset <= 0 ? 0 : (size_t)(offset - 1);
    if (idx > stmt->len)
        idx = stmt->len;
    for (i = 0; i < idx; i++)
        if (stmt->text[i] == '\n') {
            l++;
            bol = i + 1;
            newline = 1;
        }
    *line = l;
    *col = newline ? (long)(idx - bol) + 1 : stmt->col + (long)idx;
}
