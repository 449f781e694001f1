#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <sqlite3.h>

#include <strata/driver.h>

#include "lexer.h"

/*
 * Unit tests of the statement splitter, per dialect. Every input is lexed several times
 * with readers returning whole input, 1, 2, 3, 7 and 4096 bytes per call, and the results
 * must be identical: chunk boundaries never matter.
 *
 * The rule sets are the drivers'. The SQLite driver's lexer also asks sqlite3_complete()
 * where a CREATE or EXPLAIN statement ends (its statement_complete member): lexers made here
 * with the LITE rules get that hook too, as strata_lexer_for_connection() gives it.
 */

#define PG                                                                                         \
    (STRATA_LEX_NESTED_COMMENTS | STRATA_LEX_E_STRINGS | STRATA_LEX_DOLLAR_QUOTES |                \
     STRATA_LEX_COPY_STDIN | STRATA_LEX_PSQL_META | STRATA_LEX_ATOMIC_BLOCKS | STRATA_LEX_PARENS | \
     STRATA_LEX_STD_STRINGS)
#define MY                                                                                         \
    (STRATA_LEX_BACKTICKS | STRATA_LEX_HASH_COMMENTS | STRATA_LEX_BACKSLASH_ESCAPES |              \
     STRATA_LEX_DELIMITER | STRATA_LEX_BLOCKS | STRATA_LEX_EXEC_COMMENTS |                         \
     STRATA_LEX_DASH_NEEDS_SPACE)
#define LITE (STRATA_LEX_BRACKETS | STRATA_LEX_BACKTICKS)

#define MAXS 64

static const uint32_t dialects[] = {0, PG, MY, LITE};
#define NDIALECTS (sizeof(dialects) / sizeof(dialects[0]))

static const char *const no_tx[] = {"CREATE INDEX CONCURRENTLY", "CREATE UNIQUE INDEX CONCURRENTLY",
                                    "DROP INDEX CONCURRENTLY",   "VACUUM",
                                    "ALTER TYPE * ADD VALUE",    NULL};

/* A new lexer for rules, with the SQLite driver's hook when the rules are SQLite's. */
static int
new_lexer(uint32_t rules, const char *const *pats, strata_read_fn read, void *ctx, long line,
          strata_lexer **out)
{
    int rc = strata_lexer_new(rules, pats, read, ctx, line, out);

    if (rc == STRATA_OK && rules == LITE)
        strata_lexer_set_complete(*out, sqlite3_complete);
    return rc;
}

/* ---- an in-memory reader ---- */

typedef struct mem_reader {
    const char *data;
    size_t len;
    size_t pos;
    size_t step;  /* most bytes returned per call */
    long fail_at; /* fail once pos reaches this, -1: never */
} mem_reader;

static size_t
mem_read(void *ctx, char *buf, size_t size)
{
    mem_reader *r = ctx;
    size_t n = r->len - r->pos;

    if (r->fail_at >= 0 && r->pos >= (size_t)r->fail_at)
        return (size_t)-1;
    if (n > size)
        n = size;
    if (n > r->step)
        n = r->step;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return n;
}

/* ---- lexing a whole input into a result ---- */

typedef struct lexed {
    int n;  /* statements yielded */
    int rc; /* last strata_lexer_next() result: 0 or -1 */
    char *text[MAXS];
    long line[MAXS];
    long col[MAXS];
    long index[MAXS];
    unsigned flags[MAXS];
    strata_lex_error err;
} lexed;

static void
lexed_free(lexed *r)
{
    int i;

    for (i = 0; i < r->n && i < MAXS; i++)
        free(r->text[i]);
    memset(r, 0, sizeof(*r));
}

static void
record(lexed *out, const strata_stmt *st)
{
    CU_ASSERT_EQUAL(st->text[st->len], '\0');
    CU_ASSERT_EQUAL(st->index, out->n + 1);
    if (out->n < MAXS) {
        out->text[out->n] = malloc(st->len + 1);
        memcpy(out->text[out->n], st->text, st->len + 1);
        out->line[out->n] = st->line;
        out->col[out->n] = st->col;
        out->index[out->n] = st->index;
        out->flags[out->n] = st->flags;
    }
    out->n++;
}

static void
lex_step(lexed *out, uint32_t rules, const char *const *pats, const char *in, size_t len,
         size_t step)
{
    mem_reader rd = {in, len, 0, step, -1};
    strata_lexer *lx = NULL;
    strata_lex_error again;
    strata_stmt st;
    int rc;

    memset(out, 0, sizeof(*out));
    CU_ASSERT_EQUAL_FATAL(new_lexer(rules, pats, mem_read, &rd, 1, &lx), STRATA_OK);
    while ((rc = strata_lexer_next(lx, &st, &out->err)) == 1)
        record(out, &st);
    out->rc = rc;
    /* errors are sticky, the end stays the end */
    CU_ASSERT_EQUAL(strata_lexer_next(lx, &st, &again), rc);
    if (rc < 0)
        CU_ASSERT_STRING_EQUAL(again.message, out->err.message);
    strata_lexer_free(lx);
}

static int
lexed_equal(const lexed *a, const lexed *b)
{
    int i;

    if (a->n != b->n || a->rc != b->rc)
        return 0;
    for (i = 0; i < a->n && i < MAXS; i++)
        if (strcmp(a->text[i], b->text[i]) != 0 || a->line[i] != b->line[i] ||
            a->col[i] != b->col[i] || a->flags[i] != b->flags[i])
            return 0;
    if (a->rc < 0 && (a->err.line != b->err.line || a->err.col != b->err.col ||
                      strcmp(a->err.message, b->err.message) != 0))
        return 0;
    return 1;
}

/* Lexes in with every reader step; all must agree. *out holds the whole-input result. */
static void
lexp(lexed *out, uint32_t rules, const char *const *pats, const char *in)
{
    static const size_t steps[] = {1, 2, 3, 7, 4096};
    size_t len = strlen(in), i;

    lex_step(out, rules, pats, in, len, SIZE_MAX);
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        lexed other;

        lex_step(&other, rules, pats, in, len, steps[i]);
        CU_ASSERT(lexed_equal(out, &other));
        if (!lexed_equal(out, &other))
            fprintf(stderr, "\n  reader step %zu differs for: %.60s\n", steps[i], in);
        lexed_free(&other);
    }
}

static void
lex(lexed *out, uint32_t rules, const char *in)
{
    lexp(out, rules, NULL, in);
}

#define CHECK_STMT(r, i, txt, ln, cl)                                                              \
    do {                                                                                           \
        if ((r)->n > (i)) {                                                                        \
            CU_ASSERT_STRING_EQUAL((r)->text[i], (txt));                                           \
            CU_ASSERT_EQUAL((r)->line[i], (ln));                                                   \
            CU_ASSERT_EQUAL((r)->col[i], (cl));                                                    \
            CU_ASSERT_EQUAL((r)->index[i], (i) + 1);                                               \
        } else {                                                                                   \
            CU_FAIL("statement missing");                                                          \
        }                                                                                          \
    } while (0)

#define CHECK_ERR(r, ln, cl, needle)                                                               \
    do {                                                                                           \
        CU_ASSERT_EQUAL((r)->rc, -1);                                                              \
        CU_ASSERT_EQUAL((r)->err.line, (ln));                                                      \
        CU_ASSERT_EQUAL((r)->err.col, (cl));                                                       \
        CU_ASSERT_PTR_NOT_NULL(strstr((r)->err.message, (needle)));                                \
        if (!strstr((r)->err.message, (needle)))                                                   \
            fprintf(stderr, "\n  message: %s\n", (r)->err.message);                                \
    } while (0)

/* ---- always-on rules, in every dialect ---- */

static void
test_basic_split(void)
{
    size_t d;

    for (d = 0; d < NDIALECTS; d++) {
        lexed r;

        lex(&r, dialects[d], "SELECT 1;\nSELECT 2;\n  SELECT\n  3 ;  \n");
        CU_ASSERT_EQUAL(r.n, 3);
        CU_ASSERT_EQUAL(r.rc, 0);
        CHECK_STMT(&r, 0, "SELECT 1", 1, 1);
        CHECK_STMT(&r, 1, "SELECT 2", 2, 1);
        CHECK_STMT(&r, 2, "SELECT\n  3", 3, 3);
        CU_ASSERT_EQUAL(r.flags[0], 0);
        lexed_free(&r);
    }
}

static void
test_leading_comments_skipped(void)
{
    size_t d;

    for (d = 0; d < NDIALECTS; d++) {
        lexed r;

        lex(&r, dialects[d], "  -- intro\n  /* b */  SELECT 1 -- tail\n ;\n");
        CU_ASSERT_EQUAL(r.n, 1);
        CHECK_STMT(&r, 0, "SELECT 1 -- tail", 2, 12);
        lexed_free(&r);
    }
}

static void
test_delimiters_inside_quotes_and_comments(void)
{
    size_t d;

    for (d = 0; d < NDIALECTS; d++) {
        lexed r;

        lex(&r, dialects[d],
            "SELECT 'a;b', 'it''s;', \"c;d\", \"x\"\"y;\" /* ; */ -- ;\nFROM t;SELECT 2");
        CU_ASSERT_EQUAL(r.n, 2);
        CHECK_STMT(&r, 0, "SELECT 'a;b', 'it''s;', \"c;d\", \"x\"\"y;\" /* ; */ -- ;\nFROM t", 1,
                   1);
        CHECK_STMT(&r, 1, "SELECT 2", 2, 8);
        lexed_free(&r);
    }
}

static void
test_empty_statements_skipped(void)
{
    size_t d;

    for (d = 0; d < NDIALECTS; d++) {
        lexed r;

        lex(&r, dialects[d], ";;  ;\n-- x\n;\n/* y */ ; \n\nSELECT 1;;\n-- only a comment\n");
        CU_ASSERT_EQUAL(r.n, 1);
        CU_ASSERT_EQUAL(r.rc, 0);
        CHECK_STMT(&r, 0, "SELECT 1", 6, 1);
        lexed_free(&r);
        lex(&r, dialects[d], "");
        CU_ASSERT_EQUAL(r.n, 0);
        CU_ASSERT_EQUAL(r.rc, 0);
        lexed_free(&r);
        lex(&r, dialects[d], " \n\t\r\n -- c");
        CU_ASSERT_EQUAL(r.n, 0);
        CU_ASSERT_EQUAL(r.rc, 0);
        lexed_free(&r);
    }
}

static void
test_no_trailing_delimiter(void)
{
    size_t d;

    for (d = 0; d < NDIALECTS; d++) {
        lexed r;

        lex(&r, dialects[d], "SELECT 1;\nSELECT 2  \n\n");
        CU_ASSERT_EQUAL(r.n, 2);
        CHECK_STMT(&r, 1, "SELECT 2", 2, 1);
        lexed_free(&r);
        lex(&r, dialects[d], "SELECT 'x' -- c");
        CU_ASSERT_EQUAL(r.n, 1);
        CHECK_STMT(&r, 0, "SELECT 'x' -- c", 1, 1);
        lexed_free(&r);
    }
}

static void
test_crlf_and_bom(void)
{
    size_t d;

    for (d = 0; d < NDIALECTS; d++) {
        lexed r;

        lex(&r, dialects[d], "\xEF\xBB\xBFSELECT 1;\r\n  SELECT\r\n  2;\r\n\r\n\tSELECT 3\r\n");
        CU_ASSERT_EQUAL(r.n, 3);
        CHECK_STMT(&r, 0, "SELECT 1", 1, 1);
        CHECK_STMT(&r, 1, "SELECT\r\n  2", 2, 3);
        CHECK_STMT(&r, 2, "SELECT 3", 5, 2);
        lexed_free(&r);
        /* only a leading BOM is skipped; elsewhere it is text */
        lex(&r, dialects[d], "SELECT 1;\xEF\xBB\xBFSELECT 2;");
        CU_ASSERT_EQUAL(r.n, 2);
        CHECK_STMT(&r, 1, "\xEF\xBB\xBFSELECT 2", 1, 10);
        lexed_free(&r);
    }
}

static void
test_first_line(void)
{
    static const char in[] = "\n  SELECT 1;";
    mem_reader rd = {in, sizeof(in) - 1, 0, SIZE_MAX, -1};
    strata_lexer *lx = NULL;
    strata_lex_error err;
    strata_stmt st;

    CU_ASSERT_EQUAL_FATAL(new_lexer(0, NULL, mem_read, &rd, 41, &lx), STRATA_OK);
    CU_ASSERT_EQUAL(strata_lexer_next(lx, &st, &err), 1);
    CU_ASSERT_EQUAL(st.line, 42);
    CU_ASSERT_EQUAL(st.col, 3);
    CU_ASSERT_EQUAL(strata_lexer_next(lx, &st, &err), 0);
    strata_lexer_free(lx);
    strata_lexer_free(NULL);
}

static void
test_block_comments_not_nested_by_default(void)
{
    lexed r;

    lex(&r, 0, "/* a /* b */ SELECT 1; */ SELECT 2;");
    CU_ASSERT_EQUAL(r.n, 2);
    CHECK_STMT(&r, 0, "SELECT 1", 1, 14);
    CHECK_STMT(&r, 1, "*/ SELECT 2", 1, 24);
    lexed_free(&r);
    lex(&r, PG, "/* a /* b */ SELECT 1; */ SELECT 2;");
    CU_ASSERT_EQUAL(r.n, 1);
    CHECK_STMT(&r, 0, "SELECT 2", 1, 27);
    lexed_free(&r);
}

static void
test_goose_blocks(void)
{
    size_t d;

    for (d = 0; d < NDIALECTS; d++) {
        lexed r;

        lex(&r, dialects[d],
            "-- +goose Up\n"
            "-- +goose StatementBegin\n"
            "CREATE FUNCTION f() RETURNS int AS 'BEGIN; RETURN 1; END;';\n"
            "SELECT 1;\n"
            "-- +goose StatementEnd\n"
            "SELECT 2;\n"
            "--   strata:statement-begin  \r\n"
            "  \n"
            "  UPDATE t SET a = 1;;  \n"
            "-- strata:statement-end\n"
            "-- +goose StatementBegin\n"
            "-- only a comment\n"
            "-- +goose StatementEnd\n");
        CU_ASSERT_EQUAL(r.rc, 0);
        CU_ASSERT_EQUAL(r.n, 3);
        CHECK_STMT(&r, 0, "CREATE FUNCTION f() RETURNS int AS 'BEGIN; RETURN 1; END;';\nSELECT 1",
                   3, 1);
        CU_ASSERT_EQUAL(r.flags[0], STRATA_STMT_BLOCK);
        CHECK_STMT(&r, 1, "SELECT 2", 6, 1);
        CU_ASSERT_EQUAL(r.flags[1], 0);
        CHECK_STMT(&r, 2, "UPDATE t SET a = 1;", 9, 3);
        CU_ASSERT_EQUAL(r.flags[2], STRATA_STMT_BLOCK);
        lexed_free(&r);
    }
}

static void
test_goose_block_errors(void)
{
    lexed r;

    lex(&r, PG, "SELECT 1;\n\n-- +goose StatementBegin\nSELECT 2;\n");
    CHECK_ERR(&r, 3, 1, "StatementBegin at line 3");
    CU_ASSERT_EQUAL(r.n, 1);
    lexed_free(&r);
    lex(&r, 0, "  -- strata:statement-begin\nSELECT 2;\n");
    CHECK_ERR(&r, 1, 3, "strata:statement-end");
    lexed_free(&r);
    lex(&r, 0, "SELECT 1\n-- +goose StatementBegin\nSELECT 2;\n-- +goose StatementEnd\n");
    CHECK_ERR(&r, 2, 1, "unterminated statement");
    lexed_free(&r);
}

static void
test_no_transaction_patterns(void)
{
    lexed r;

    lexp(&r, PG, no_tx,
         "create index concurrently i on t (a);\n"
         "CREATE /* c */ UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\n"
         "CREATE INDEX i ON t (a);\n"
         "ALTER TYPE \"Mood\" ADD VALUE 'meh';\n"
         "ALTER TYPE s.mood ADD VALUE 'meh';\n"
         "ALTER TYPE mood RENAME TO feeling;\n"
         "VACUUM;\n"
         "vacuum analyze t;\n"
         "DROP INDEX CONCURRENTLY i;\n"
         "SELECT 'VACUUM';\n"
         "CREATE INDEX;\n");
    CU_ASSERT_EQUAL(r.n, 11);
    CU_ASSERT_EQUAL(r.flags[0], STRATA_STMT_NO_TRANSACTION);
    CU_ASSERT_EQUAL(r.flags[1], STRATA_STMT_NO_TRANSACTION);
    CU_ASSERT_EQUAL(r.flags[2], 0);
    CU_ASSERT_EQUAL(r.flags[3], STRATA_STMT_NO_TRANSACTION);
    CU_ASSERT_EQUAL(r.flags[4], STRATA_STMT_NO_TRANSACTION);
    CU_ASSERT_EQUAL(r.flags[5], 0);
    CU_ASSERT_EQUAL(r.flags[6], STRATA_STMT_NO_TRANSACTION);
    CU_ASSERT_EQUAL(r.flags[7], STRATA_STMT_NO_TRANSACTION);
    CU_ASSERT_EQUAL(r.flags[8], STRATA_STMT_NO_TRANSACTION);
    CU_ASSERT_EQUAL(r.flags[9], 0);
    CU_ASSERT_EQUAL(r.flags[10], 0);
    lexed_free(&r);
}

static void
test_tx_control(void)
{
    static const char in[] = "BEGIN;\nBEGIN TRANSACTION;\nbegin work;\nSTART TRANSACTION;\n"
                             "COMMIT;\nROLLBACK;\nROLLBACK TO SAVEPOINT a;\nROLLBACK TO a;\n"
                             "ROLLBACK WORK TO a;\nEND;\nABORT;\nSTART SLAVE;\nSAVEPOINT a;\n"
                             "SELECT 1;\nCOMMIT PREPARED 'x';\n";
    static const unsigned want[] = {1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0};
    size_t d, i;

    for (d = 0; d < NDIALECTS; d++) {
        lexed r;

        lex(&r, dialects[d], in);
        CU_ASSERT_EQUAL(r.n, 15);
        for (i = 0; i < 15 && (int)i < r.n; i++)
            CU_ASSERT_EQUAL(r.flags[i], want[i] ? STRATA_STMT_TX_CONTROL : 0u);
        lexed_free(&r);
    }
}

static void
test_locate(void)
{
    strata_stmt st = {"SELECT\n  1 +\r\n  x", 17, 3, 5, 1, 0};
    long line, col;
    lexed r;

    strata_stmt_locate(&st, 1, &line, &col);
    CU_ASSERT(line == 3 && col == 5);
    strata_stmt_locate(&st, 0, &line, &col);
    CU_ASSERT(line == 3 && col == 5);
    strata_stmt_locate(&st, -4, &line, &col);
    CU_ASSERT(line == 3 && col == 5);
    strata_stmt_locate(&st, 3, &line, &col);
    CU_ASSERT(line == 3 && col == 7);
    strata_stmt_locate(&st, 7, &line, &col); /* the newline itself */
    CU_ASSERT(line == 3 && col == 11);
    strata_stmt_locate(&st, 10, &line, &col); /* '1' */
    CU_ASSERT(line == 4 && col == 3);
    strata_stmt_locate(&st, 17, &line, &col); /* 'x' after CRLF */
    CU_ASSERT(line == 5 && col == 3);
    strata_stmt_locate(&st, 1000, &line, &col); /* past the end: just after it */
    CU_ASSERT(line == 5 && col == 4);

    lex(&r, PG, "SELECT 1;\n   SELECT a,\n          b FROM t;");
    CU_ASSERT_EQUAL_FATAL(r.n, 2);
    st.text = r.text[1];
    st.len = strlen(r.text[1]);
    st.line = r.line[1];
    st.col = r.col[1];
    strata_stmt_locate(&st, 8, &line, &col);
    CU_ASSERT(line == 2 && col == 11);
    strata_stmt_locate(&st, 21, &line, &col);
    CU_ASSERT(line == 3 && col == 11);
    lexed_free(&r);
}

/* ---- errors ---- */

static void
test_unterminated_always_on(void)
{
    size_t d;

    for (d = 0; d < NDIALECTS; d++) {
        lexed r;

        lex(&r, dialects[d], "SELECT 1;\nSELECT 'abc;\nSELECT 2;");
        CHECK_ERR(&r, 2, 8, "unterminated string literal");
        CU_ASSERT_EQUAL(r.n, 1);
        lexed_free(&r);
        lex(&r, dialects[d], "SELECT 1;\r\n  SELECT \"abc;");
        CHECK_ERR(&r, 2, 10, "unterminated quoted identifier");
        lexed_free(&r);
        lex(&r, dialects[d], "SELECT 1;\n\n   /* never closed ;\nSELECT 2;");
        CHECK_ERR(&r, 3, 4, "unterminated block comment");
        lexed_free(&r);
        lex(&r, dialects[d], "SELECT 1 /* never closed *");
        CHECK_ERR(&r, 1, 10, "unterminated block comment");
        lexed_free(&r);
        lex(&r, dialects[d], "SELECT 'it''");
        CHECK_ERR(&r, 1, 8, "unterminated string literal");
        lexed_free(&r);
    }
}

static void
test_unterminated_dialect(void)
{
    lexed r;

    lex(&r, MY, "SELECT 1;\nSELECT `abc;");
    CHECK_ERR(&r, 2, 8, "unterminated backquoted identifier");
    lexed_free(&r);
    lex(&r, LITE, "SELECT [abc;");
    CHECK_ERR(&r, 1, 8, "unterminated bracketed identifier");
    lexed_free(&r);
    lex(&r, PG, "SELECT 1;\nSELECT $body$ abc; $body ;");
    CHECK_ERR(&r, 2, 8, "$body$");
    lexed_free(&r);
    lex(&r, PG, "SELECT $$ abc");
    CHECK_ERR(&r, 1, 8, "dollar-quoted string $$");
    lexed_free(&r);
    lex(&r, PG, "SELECT 1,\n E'it\\';");
    CHECK_ERR(&r, 2, 2, "unterminated E'...' string");
    lexed_free(&r);
    lex(&r, PG, "SELECT 1; /* a /* b */ still open");
    CHECK_ERR(&r, 1, 11, "comments nest");
    lexed_free(&r);
    lex(&r, MY, "SELECT 1;\n/*!40101 SET x = 1 ;");
    CHECK_ERR(&r, 2, 1, "executable comment");
    lexed_free(&r);
    lex(&r, MY, "SELECT 'it\\';");
    CHECK_ERR(&r, 1, 8, "unterminated string literal");
    lexed_free(&r);
}

static void
test_unterminated_long(void)
{
    /* the opening of a comment between statements is discarded from the buffer long
     * before the end of input shows it unterminated; its position must survive */
    size_t n = 300000, i;
    char *in = malloc(n + 64);
    lexed r;

    strcpy(in, "SELECT 1;\n\n  /* ");
    for (i = strlen(in); i < n; i++)
        in[i] = (i % 50 == 0) ? '\n' : 'x';
    in[n] = '\0';
    lex_step(&r, PG, NULL, in, n, SIZE_MAX);
    CHECK_ERR(&r, 3, 3, "unterminated block comment");
    lexed_free(&r);
    lex_step(&r, PG, NULL, in, n, 1000);
    CHECK_ERR(&r, 3, 3, "unterminated block comment");
    lexed_free(&r);
    in[13] = '\'';
    lex_step(&r, PG, NULL, in, n, 999);
    CHECK_ERR(&r, 3, 3, "unterminated string literal");
    lexed_free(&r);
    free(in);
}

static void
test_read_failure(void)
{
    static const char in[] = "SELECT 1;\nSELECT 2;\nSELECT 3;";
    mem_reader rd = {in, sizeof(in) - 1, 0, 4, 12};
    strata_lexer *lx = NULL;
    strata_lex_error err;
    strata_stmt st;

    CU_ASSERT_EQUAL_FATAL(new_lexer(PG, NULL, mem_read, &rd, 1, &lx), STRATA_OK);
    CU_ASSERT_EQUAL(strata_lexer_next(lx, &st, &err), 1);
    CU_ASSERT_STRING_EQUAL(st.text, "SELECT 1");
    CU_ASSERT_EQUAL(strata_lexer_next(lx, &st, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "reading the SQL input failed"));
    CU_ASSERT_EQUAL(err.line, 2);
    CU_ASSERT_EQUAL(err.col, 3);
    CU_ASSERT_EQUAL(strata_lexer_next(lx, &st, &err), -1);
    strata_lexer_free(lx);
}

/* ---- SQLite ---- */

static void
test_sqlite_brackets(void)
{
    lexed r;

    lex(&r, LITE, "SELECT [a;b], `c;d` FROM [my table];\nSELECT 2;");
    CU_ASSERT_EQUAL(r.n, 2);
    CHECK_STMT(&r, 0, "SELECT [a;b], `c;d` FROM [my table]", 1, 1);
    lexed_free(&r);
    /* without the rule '[' is ordinary */
    lex(&r, PG, "SELECT a[1];SELECT 2;");
    CU_ASSERT_EQUAL(r.n, 2);
    lexed_free(&r);
}

static void
test_sqlite_trigger(void)
{
    static const char trig[] =
        "CREATE TRIGGER trg AFTER INSERT ON t\n"
        "BEGIN\n"
        "  UPDATE t SET a = CASE WHEN new.b > 0 THEN 'x;' ELSE 'y' END WHERE id = new.id;\n"
        "  INSERT INTO log VALUES (new.id); -- ; END;\n"
        "  DELETE FROM q WHERE k = (CASE new.k WHEN 1 THEN 2 END);\n"
        "  SELECT CASE WHEN 1 THEN 2 END END_col FROM [end];\n"
        "END";
    char in[1024];
    lexed r;

    snprintf(in, sizeof(in), "%s;\nSELECT 1;\n", trig);
    lex(&r, LITE, in);
    CU_ASSERT_EQUAL(r.n, 2);
    CHECK_STMT(&r, 0, trig, 1, 1);
    CHECK_STMT(&r, 1, "SELECT 1", 8, 1);
    CU_ASSERT_EQUAL(r.flags[0], 0);
    lexed_free(&r);

    lex(&r, LITE,
        "CREATE TEMP TRIGGER IF NOT EXISTS t2 BEFORE DELETE ON t BEGIN SELECT 1; END;\n"
        "CREATE TABLE trigger_log (begin_at int, end_at int, [case] int);\n"
        "CREATE TABLE [trigger] (x);\n"
        "CREATE VIEW v AS SELECT CASE WHEN 1 THEN 2 END AS c;\n"
        "BEGIN;\nCOMMIT;\n");
    CU_ASSERT_EQUAL(r.n, 6);
    CHECK_STMT(&r, 0, "CREATE TEMP TRIGGER IF NOT EXISTS t2 BEFORE DELETE ON t BEGIN SELECT 1; END",
               1, 1);
    CHECK_STMT(&r, 2, "CREATE TABLE [trigger] (x)", 3, 1);
    CHECK_STMT(&r, 4, "BEGIN", 5, 1);
    CU_ASSERT_EQUAL(r.flags[4], STRATA_STMT_TX_CONTROL);
    lexed_free(&r);
}

/* ---- PostgreSQL ---- */

static void
test_pg_dollar_quotes(void)
{
    static const char fn[] = "CREATE FUNCTION f() RETURNS text AS $fn$\n"
                             "BEGIN\n"
                             "  RETURN $q$it's; $$ not the end $x$ $q$;\n"
                             "END;\n"
                             "$fn$ LANGUAGE plpgsql";
    char in[1024];
    lexed r;

    snprintf(in, sizeof(in), "%s;\nSELECT $$a;b$$, $_1$;$_1$;\nDO $$ BEGIN NULL; END $$;", fn);
    lex(&r, PG, in);
    CU_ASSERT_EQUAL(r.n, 3);
    CHECK_STMT(&r, 0, fn, 1, 1);
    CHECK_STMT(&r, 1, "SELECT $$a;b$$, $_1$;$_1$", 6, 1);
    CHECK_STMT(&r, 2, "DO $$ BEGIN NULL; END $$", 7, 1);
    lexed_free(&r);
    /* without the rule $$ is no quote */
    lex(&r, MY, "SELECT '$$';SELECT 2;");
    CU_ASSERT_EQUAL(r.n, 2);
    lexed_free(&r);
}

static void
test_pg_plpgsql_body(void)
{
    static const char fn[] =
        "CREATE OR REPLACE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "DECLARE n int;\n"
        "BEGIN\n"
        "  IF NEW.a IS NULL THEN RAISE EXCEPTION 'a; is null'; END IF;\n"
        "  RETURN NEW;\n"
        "END;\n"
        "$$";
    char in[1024];
    lexed r;

    snprintf(in, sizeof(in),
             "%s;\n"
             "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW EXECUTE FUNCTION trg();\n"
             "CREATE FUNCTION one() RETURNS int LANGUAGE SQL RETURN 1;\n"
             "CREATE PROCEDURE p(a int) LANGUAGE SQL\nBEGIN ATOMIC\n"
             "  INSERT INTO t VALUES (a);\n  SELECT CASE WHEN a > 0 THEN 1 END;\nEND;\n"
             "SELECT 1;",
             fn);
    lex(&r, PG, in);
    CU_ASSERT_EQUAL(r.n, 5);
    CHECK_STMT(&r, 0, fn, 1, 1);
    CHECK_STMT(&r, 1, "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW EXECUTE FUNCTION trg()", 8,
               1);
    CHECK_STMT(&r, 2, "CREATE FUNCTION one() RETURNS int LANGUAGE SQL RETURN 1", 9, 1);
    CHECK_STMT(&r, 3,
               "CREATE PROCEDURE p(a int) LANGUAGE SQL\nBEGIN ATOMIC\n"
               "  INSERT INTO t VALUES (a);\n  SELECT CASE WHEN a > 0 THEN 1 END;\nEND",
               10, 1);
    CHECK_STMT(&r, 4, "SELECT 1", 15, 1);
    lexed_free(&r);
}

static void
test_pg_strings(void)
{
    lexed r;

    lex(&r, PG,
        "SELECT E'it\\'s;', e'\\\\', 'C:\\';\n"
        "SELECT 'it''s;', \"a\"\"b;\";\n"
        "SELECT typee'a\\';\n"
        "SELECT E'x''y;';\n");
    CU_ASSERT_EQUAL(r.n, 4);
    CHECK_STMT(&r, 0, "SELECT E'it\\'s;', e'\\\\', 'C:\\'", 1, 1);
    CHECK_STMT(&r, 1, "SELECT 'it''s;', \"a\"\"b;\"", 2, 1);
    CHECK_STMT(&r, 2, "SELECT typee'a\\'", 3, 1);
    CHECK_STMT(&r, 3, "SELECT E'x''y;'", 4, 1);
    lexed_free(&r);
    /* E'...' at statement start */
    lex(&r, PG, "E'\\';'");
    CU_ASSERT_EQUAL(r.n, 1);
    CHECK_STMT(&r, 0, "E'\\';'", 1, 1);
    lexed_free(&r);
}

static void
test_pg_nested_comments(void)
{
    lexed r;

    lex(&r, PG, "/* a /* b; */ c; */ SELECT /* x /* y */ ; */ 1;\n");
    CU_ASSERT_EQUAL(r.n, 1);
    CHECK_STMT(&r, 0, "SELECT /* x /* y */ ; */ 1", 1, 21);
    lexed_free(&r);
}

static void
test_pg_positional_params(void)
{
    lexed r;

    lex(&r, PG, "PREPARE p AS SELECT $1 + $2;\nSELECT a$b$c, x$y FROM t;\nSELECT $1$x;\n");
    CU_ASSERT_EQUAL(r.n, 3);
    CHECK_STMT(&r, 0, "PREPARE p AS SELECT $1 + $2", 1, 1);
    CHECK_STMT(&r, 1, "SELECT a$b$c, x$y FROM t", 2, 1);
    CHECK_STMT(&r, 2, "SELECT $1$x", 3, 1);
    lexed_free(&r);
}

static void
test_pg_concurrently(void)
{
    lexed r;

    lexp(&r, PG, no_tx,
         "BEGIN;\nCREATE INDEX CONCURRENTLY idx ON t (a);\nCOMMIT;\n"
         "CREATE INDEX idx2 ON t (a);");
    CU_ASSERT_EQUAL(r.n, 4);
    CU_ASSERT_EQUAL(r.flags[0], STRATA_STMT_TX_CONTROL);
    CHECK_STMT(&r, 1, "CREATE INDEX CONCURRENTLY idx ON t (a)", 2, 1);
    CU_ASSERT_EQUAL(r.flags[1], STRATA_STMT_NO_TRANSACTION);
    CU_ASSERT_EQUAL(r.flags[2], STRATA_STMT_TX_CONTROL);
    CU_ASSERT_EQUAL(r.flags[3], 0);
    lexed_free(&r);
}

static void
test_pg_psql_meta(void)
{
    lexed r;

    lex(&r, PG, "SELECT 1;\n\\c mydb\nSELECT 2;");
    CU_ASSERT_EQUAL(r.n, 1);
    CHECK_ERR(&r, 2, 1,
              "psql meta-command \\c is not SQL; strata runs plain SQL (remove it or use a "
              "driver option)");
    lexed_free(&r);
    lex(&r, PG, "-- set up\n  \\set ON_ERROR_STOP 1\n");
    CHECK_ERR(&r, 2, 3, "psql meta-command \\set is not SQL");
    lexed_free(&r);
    /* inside a statement or without the rule a backslash is text */
    lex(&r, PG, "SELECT 1 \\\\ 2;");
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_EQUAL(r.rc, 0);
    lexed_free(&r);
    lex(&r, MY, "\\c");
    CU_ASSERT_EQUAL(r.n, 1);
    lexed_free(&r);
}

/* Runs len bytes of input through a PG lexer reading each COPY's data in reads of rsize bytes. */
static void
copy_run_len(const char *in, size_t len, size_t step, size_t rsize, lexed *out, char *data,
             size_t cap)
{
    mem_reader rd = {in, len, 0, step, -1};
    strata_lexer *lx = NULL;
    strata_stmt st;
    size_t used = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    CU_ASSERT_EQUAL_FATAL(new_lexer(PG, NULL, mem_read, &rd, 1, &lx), STRATA_OK);
    while ((rc = strata_lexer_next(lx, &st, &out->err)) == 1) {
        record(out, &st);
        while (data && (st.flags & STRATA_STMT_COPY)) {
            size_t n =
                strata_lexer_read_copy(lx, data + used, rsize < cap - used ? rsize : cap - used);

            if (n == 0 || n == (size_t)-1)
                break;
            CU_ASSERT(n <= rsize);
            CU_ASSERT_STRING_EQUAL(st.text, out->text[out->n - 1]);
            used += n;
        }
    }
    if (data)
        data[used] = '\0';
    out->rc = rc;
    strata_lexer_free(lx);
}

static void
copy_run(const char *in, size_t step, size_t rsize, lexed *out, char *data, size_t cap)
{
    copy_run_len(in, strlen(in), step, rsize, out, data, cap);
}

static void
copy_run_n(const char *in, size_t len, lexed *out, char *data, size_t cap)
{
    copy_run_len(in, len, 1, 64, out, data, cap);
}

static void
test_pg_copy(void)
{
    static const char in[] = "CREATE TABLE t (a int, b text);\n"
                             "COPY t (a, b) FROM stdin;  \n"
                             "1\tx;y\n"
                             "2\t\\N\n"
                             "\\.x is data\n"
                             "3\tit's \"q\" $$ /*\n"
                             "\\.\n"
                             "SELECT 1;\n"
                             "copy t from STDIN with (format csv) ; -- csv\r\n"
                             "4,z\r\n"
                             "\\.\r\n"
                             "COPY t TO stdout;\n";
    static const char want[] = "1\tx;y\n2\t\\N\n\\.x is data\n3\tit's \"q\" $$ /*\n4,z\r\n";
    static const size_t steps[] = {SIZE_MAX, 1, 3, 4096};
    static const size_t rsizes[] = {1, 5, 4096};
    size_t s, z;

    for (s = 0; s < 4; s++)
        for (z = 0; z < 3; z++) {
            char data[256];
            lexed r;

            copy_run(in, steps[s], rsizes[z], &r, data, sizeof(data) - 1);
            CU_ASSERT_EQUAL(r.rc, 0);
            CU_ASSERT_EQUAL(r.n, 5);
            CHECK_STMT(&r, 1, "COPY t (a, b) FROM stdin", 2, 1);
            CU_ASSERT_EQUAL(r.flags[1], STRATA_STMT_COPY);
            CHECK_STMT(&r, 2, "SELECT 1", 8, 1);
            CHECK_STMT(&r, 3, "copy t from STDIN with (format csv)", 9, 1);
            CU_ASSERT_EQUAL(r.flags[3], STRATA_STMT_COPY);
            CHECK_STMT(&r, 4, "COPY t TO stdout", 12, 1);
            CU_ASSERT_EQUAL(r.flags[4], 0);
            CU_ASSERT_STRING_EQUAL(data, want);
            lexed_free(&r);
            /* data not read is skipped */
            copy_run(in, steps[s], rsizes[z], &r, NULL, 0);
            CU_ASSERT_EQUAL(r.rc, 0);
            CU_ASSERT_EQUAL(r.n, 5);
            CHECK_STMT(&r, 2, "SELECT 1", 8, 1);
            CHECK_STMT(&r, 4, "COPY t TO stdout", 12, 1);
            lexed_free(&r);
        }
}

static void
test_pg_copy_errors(void)
{
    char data[64];
    lexed r;

    copy_run("SELECT 1;\nCOPY t FROM stdin;\n1\n2\n", 3, 2, &r, data, sizeof(data) - 1);
    CU_ASSERT_EQUAL(r.n, 2);
    CU_ASSERT_STRING_EQUAL(data, "1\n2\n");
    CHECK_ERR(&r, 3, 1, "COPY data starting at line 3 is not terminated by a line \\.");
    lexed_free(&r);
    copy_run("COPY t FROM stdin;\n1\n", 1, 64, &r, NULL, 0);
    CHECK_ERR(&r, 2, 1, "COPY data starting at line 2 is not terminated");
    lexed_free(&r);
    copy_run("COPY t FROM stdin;", 1, 64, &r, NULL, 0);
    CU_ASSERT_EQUAL(r.n, 1);
    CHECK_ERR(&r, 2, 1, "COPY data starting at line 2 is not terminated");
    lexed_free(&r);
    copy_run("COPY t FROM stdin; 1\n\\.\n", 1, 64, &r, data, sizeof(data) - 1);
    CHECK_ERR(&r, 1, 20, "the data must start on the next line");
    lexed_free(&r);
}

static void
test_pg_copy_large(void)
{
    /* 1 MB of COPY data streamed through buffers much smaller than it */
    size_t rows = 40000, i, got = 0, n;
    size_t cap = rows * 32 + 128;
    char *in = malloc(cap), *p = in, buf[1000];
    mem_reader rd;
    strata_lexer *lx = NULL;
    strata_lex_error err;
    strata_stmt st;

    p += sprintf(p, "COPY big FROM stdin;\n");
    for (i = 0; i < rows; i++)
        p += sprintf(p, "%zu\trow number %zu\n", i, i);
    p += sprintf(p, "\\.\nSELECT 'after';\n");
    rd = (mem_reader){in, (size_t)(p - in), 0, 65536, -1};
    CU_ASSERT_EQUAL_FATAL(new_lexer(PG, NULL, mem_read, &rd, 1, &lx), STRATA_OK);
    CU_ASSERT_EQUAL(strata_lexer_next(lx, &st, &err), 1);
    CU_ASSERT_EQUAL(st.flags, STRATA_STMT_COPY);
    while ((n = strata_lexer_read_copy(lx, buf, sizeof(buf))) != 0 && n != (size_t)-1) {
        CU_ASSERT(memcmp(buf, in + 21 + got, n) == 0);
        got += n;
    }
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(got, (size_t)(p - in) - 21 - strlen("\\.\nSELECT 'after';\n"));
    CU_ASSERT_EQUAL(strata_lexer_read_copy(lx, buf, sizeof(buf)), 0);
    CU_ASSERT_EQUAL(strata_lexer_next(lx, &st, &err), 1);
    CU_ASSERT_STRING_EQUAL(st.text, "SELECT 'after'");
    CU_ASSERT_EQUAL(st.line, (long)rows + 3);
    CU_ASSERT_EQUAL(strata_lexer_next(lx, &st, &err), 0);
    strata_lexer_free(lx);
    free(in);
}

/* ---- MySQL / MariaDB ---- */

static void
test_my_delimiter(void)
{
    static const char trig[] = "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\n"
                               "BEGIN\n"
                               "  IF NEW.a < 0 THEN SET NEW.a = 0; END IF;\n"
                               "END";
    char in[1024];
    lexed r;

    snprintf(in, sizeof(in),
             "DELIMITER $$\n%s$$\n\nDELIMITER ;\nSELECT 1;\n"
             "delimiter //\nSELECT 1; SELECT '//'//\n  //\nDELIMITER ;  \nSELECT 3;",
             trig);
    lex(&r, MY, in);
    CU_ASSERT_EQUAL(r.rc, 0);
    CU_ASSERT_EQUAL(r.n, 4);
    CHECK_STMT(&r, 0, trig, 2, 1);
    CHECK_STMT(&r, 1, "SELECT 1", 8, 1);
    CHECK_STMT(&r, 2, "SELECT 1; SELECT '//'", 10, 1);
    CHECK_STMT(&r, 3, "SELECT 3", 13, 1);
    lexed_free(&r);

    lex(&r, MY, "SELECT 1;\nDELIMITER\nSELECT 2;");
    CHECK_ERR(&r, 2, 1, "DELIMITER needs a delimiter string");
    lexed_free(&r);
    /* not at statement start: just a word */
    lex(&r, MY, "SELECT delimiter FROM t;");
    CU_ASSERT_EQUAL(r.n, 1);
    lexed_free(&r);
}

static void
test_my_backticks_hash_dash(void)
{
    lexed r;

    lex(&r, MY,
        "# a comment; still\n"
        "SELECT `a;b`, `x``y;` FROM `t`; # trailing;\n"
        "SELECT 1--1;\n"
        "SELECT 2 -- real comment;\n;\n"
        "SELECT 3 --\n;\n"
        "SELECT 4 ---x;\n");
    CU_ASSERT_EQUAL(r.n, 5);
    CHECK_STMT(&r, 0, "SELECT `a;b`, `x``y;` FROM `t`", 2, 1);
    CHECK_STMT(&r, 1, "SELECT 1--1", 3, 1);
    CHECK_STMT(&r, 2, "SELECT 2 -- real comment;", 4, 1);
    CHECK_STMT(&r, 3, "SELECT 3 --", 6, 1);
    CHECK_STMT(&r, 4, "SELECT 4 ---x", 8, 1);
    lexed_free(&r);
    /* '#' and "--x" mean other things in PostgreSQL */
    lex(&r, PG, "SELECT 1 # 2;\nSELECT 3 --x;\n;");
    CU_ASSERT_EQUAL(r.n, 2);
    CHECK_STMT(&r, 0, "SELECT 1 # 2", 1, 1);
    CHECK_STMT(&r, 1, "SELECT 3 --x;", 2, 1);
    lexed_free(&r);
}

static void
test_my_backslash_escapes(void)
{
    lexed r;

    lex(&r, MY, "SELECT 'it\\'s;', \"a\\\"b;\", 'x''y', '\\\\';\nSELECT 2;");
    CU_ASSERT_EQUAL(r.n, 2);
    CHECK_STMT(&r, 0, "SELECT 'it\\'s;', \"a\\\"b;\", 'x''y', '\\\\'", 1, 1);
    CHECK_STMT(&r, 1, "SELECT 2", 2, 1);
    lexed_free(&r);
}

static void
test_my_exec_comments(void)
{
    lexed r;

    lex(&r, MY,
        "/*!40101 SET NAMES utf8 */;\n"
        "/* plain */;\n"
        "/*!40014 SET FOREIGN_KEY_CHECKS=0 */ ;\n"
        "/*M!100100 SET x = 1 */;\n"
        "SELECT /*! STRAIGHT_JOIN */ 1;\n");
    CU_ASSERT_EQUAL(r.n, 4);
    CHECK_STMT(&r, 0, "/*!40101 SET NAMES utf8 */", 1, 1);
    CHECK_STMT(&r, 1, "/*!40014 SET FOREIGN_KEY_CHECKS=0 */", 3, 1);
    CHECK_STMT(&r, 2, "/*M!100100 SET x = 1 */", 4, 1);
    CHECK_STMT(&r, 3, "SELECT /*! STRAIGHT_JOIN */ 1", 5, 1);
    lexed_free(&r);
    /* elsewhere they are comments */
    lex(&r, PG, "/*!40101 SET NAMES utf8 */;");
    CU_ASSERT_EQUAL(r.n, 0);
    lexed_free(&r);
}

static void
test_my_procedure_without_delimiter(void)
{
    static const char proc[] = "CREATE PROCEDURE p(IN x INT)\n"
                               "BEGIN\n"
                               "  DECLARE i INT DEFAULT 0;\n"
                               "  IF x > 0 THEN\n"
                               "    SET i = x;\n"
                               "  ELSEIF x < 0 THEN\n"
                               "    SET i = -x;\n"
                               "  END IF;\n"
                               "  WHILE i > 0 DO SET i = i - 1; END WHILE;\n"
                               "  CASE i WHEN 0 THEN SELECT 'zero;'; ELSE SELECT 'x'; END CASE;\n"
                               "  lbl: LOOP LEAVE lbl; END LOOP lbl;\n"
                               "  REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;\n"
                               "  BEGIN DECLARE j INT; SET j = 1; END;\n"
                               "END";
    char in[2048];
    lexed r;

    snprintf(in, sizeof(in), "%s;\nSELECT 1;\n", proc);
    lex(&r, MY, in);
    CU_ASSERT_EQUAL(r.n, 2);
    CHECK_STMT(&r, 0, proc, 1, 1);
    CHECK_STMT(&r, 1, "SELECT 1", 15, 1);
    lexed_free(&r);
}

static void
test_my_trigger_without_delimiter(void)
{
    lexed r;

    lex(&r, MY,
        "CREATE DEFINER=`root`@`localhost` TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW\n"
        "BEGIN SET NEW.u = NOW(); SET NEW.v = 'end;'; END;\n"
        "CREATE DEFINER = 'admin'@'%' FUNCTION f() RETURNS INT DETERMINISTIC\n"
        "BEGIN RETURN 1; END;\n"
        "CREATE TRIGGER t2 BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1;\n"
        "BEGIN NOT ATOMIC SELECT 1; END;\n"
        "CREATE TABLE event (begin int, end int);\n"
        "SELECT 2;");
    CU_ASSERT_EQUAL(r.n, 6);
    CHECK_STMT(&r, 0,
               "CREATE DEFINER=`root`@`localhost` TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW\n"
               "BEGIN SET NEW.u = NOW(); SET NEW.v = 'end;'; END",
               1, 1);
    CHECK_STMT(&r, 1,
               "CREATE DEFINER = 'admin'@'%' FUNCTION f() RETURNS INT DETERMINISTIC\n"
               "BEGIN RETURN 1; END",
               3, 1);
    CHECK_STMT(&r, 2, "CREATE TRIGGER t2 BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", 5, 1);
    CHECK_STMT(&r, 3, "BEGIN NOT ATOMIC SELECT 1; END", 6, 1);
    CU_ASSERT_EQUAL(r.flags[3], 0);
    CHECK_STMT(&r, 4, "CREATE TABLE event (begin int, end int)", 7, 1);
    CHECK_STMT(&r, 5, "SELECT 2", 8, 1);
    lexed_free(&r);
}

/* ---- streaming ---- */

static void
test_long_statements(void)
{
    /* a statement far longer than a read chunk, between ordinary ones */
    size_t big = 200000, i;
    char *in = malloc(big + 256), *p = in;
    lexed r;

    p += sprintf(p, "SELECT 1;\nINSERT INTO t VALUES ('");
    for (i = 0; i < big; i++)
        *p++ = (i % 100 == 99) ? '\n' : (i % 7 == 0 ? ';' : 'a');
    p += sprintf(p, "');\n  SELECT 2;");
    lex_step(&r, PG, NULL, in, (size_t)(p - in), SIZE_MAX);
    CU_ASSERT_EQUAL(r.n, 3);
    CU_ASSERT_EQUAL(strlen(r.text[1]), strlen("INSERT INTO t VALUES ('')") + big);
    CHECK_STMT(&r, 2, "SELECT 2", (long)(big / 100) + 3, 3);
    lexed_free(&r);
    lex_step(&r, MY, NULL, in, (size_t)(p - in), 777);
    CU_ASSERT_EQUAL(r.n, 3);
    CHECK_STMT(&r, 2, "SELECT 2", (long)(big / 100) + 3, 3);
    lexed_free(&r);
    free(in);
}

static void
test_many_statements(void)
{
    size_t n = 20000, i;
    char *in = malloc(n * 40), *p = in;
    lexed r;

    for (i = 0; i < n; i++)
        p += sprintf(p, "INSERT INTO t VALUES (%zu, 'v;%zu');\n", i, i);
    lex_step(&r, LITE, NULL, in, (size_t)(p - in), 4093);
    CU_ASSERT_EQUAL(r.n, (int)n);
    CU_ASSERT_EQUAL(r.rc, 0);
    CHECK_STMT(&r, 0, "INSERT INTO t VALUES (0, 'v;0')", 1, 1);
    lexed_free(&r);
    free(in);
}

/* ---- the splitter never guesses: regression tests ---- */

/* Lexes in (of len bytes, NULs allowed) with every reader step; all must agree. */
static void
lexn(lexed *out, uint32_t rules, const char *in, size_t len)
{
    static const size_t steps[] = {1, 2, 3, 7, 4096};
    size_t i;

    lex_step(out, rules, NULL, in, len, SIZE_MAX);
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        lexed other;

        lex_step(&other, rules, NULL, in, len, steps[i]);
        CU_ASSERT(lexed_equal(out, &other));
        lexed_free(&other);
    }
}

static void
test_sqlite_begin_end_names(void)
{
    static const char trig[] = "CREATE TRIGGER trg AFTER INSERT ON t BEGIN\n"
                               "  UPDATE t SET end = 1, begin = 2 WHERE id = new.id;\n"
                               "  INSERT INTO log VALUES ('end;');\n"
                               "  SELECT CASE end WHEN 1 THEN begin END FROM t;\n"
                               "END";
    char in[1024];
    lexed r;

    snprintf(in, sizeof(in),
             "CREATE TABLE t (id INTEGER PRIMARY KEY, begin INT, end INT);\n%s;\n"
             "SELECT end, begin FROM t;\n"
             "EXPLAIN CREATE TRIGGER t2 AFTER DELETE ON t BEGIN SELECT 1; END;\n"
             "create temp trigger t3 after delete on t begin select end from t; end;\n"
             "BEGIN;\nEND;\nBEGIN IMMEDIATE TRANSACTION;\nEND TRANSACTION;\n",
             trig);
    lex(&r, LITE, in);
    CU_ASSERT_EQUAL(r.rc, 0);
    CU_ASSERT_EQUAL(r.n, 9);
    CHECK_STMT(&r, 1, trig, 2, 1);
    CU_ASSERT_EQUAL(r.flags[1], 0);
    CHECK_STMT(&r, 2, "SELECT end, begin FROM t", 7, 1);
    CHECK_STMT(&r, 3, "EXPLAIN CREATE TRIGGER t2 AFTER DELETE ON t BEGIN SELECT 1; END", 8, 1);
    CHECK_STMT(&r, 4, "create temp trigger t3 after delete on t begin select end from t; end", 9,
               1);
    CHECK_STMT(&r, 6, "END", 11, 1);
    CU_ASSERT_EQUAL(r.flags[5], STRATA_STMT_TX_CONTROL);
    CU_ASSERT_EQUAL(r.flags[6], STRATA_STMT_TX_CONTROL);
    CU_ASSERT_EQUAL(r.flags[7], STRATA_STMT_TX_CONTROL);
    CU_ASSERT_EQUAL(r.flags[8], STRATA_STMT_TX_CONTROL);
    lexed_free(&r);
    /* SQLite needs ";END;": an END that only closes a CASE leaves the trigger open */
    lex(&r, LITE,
        "CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT CASE 1 WHEN 1 THEN 2 END;\n"
        "SELECT 3; END;\nSELECT 4");
    CU_ASSERT_EQUAL(r.n, 2);
    CHECK_STMT(&r, 1, "SELECT 4", 3, 1);
    lexed_free(&r);
    /* without the hook nothing holds a trigger together */
    lex(&r, STRATA_LEX_BRACKETS, "CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;");
    CU_ASSERT_EQUAL(r.n, 2);
    lexed_free(&r);
}

static void
test_my_begin_end_names(void)
{
    static const char trig[] = "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN\n"
                               "  SET NEW.end = 1;\n"
                               "  SET NEW.begin = (SELECT begin FROM t LIMIT 1);\n"
                               "  UPDATE t SET end = 2 WHERE begin = end;\n"
                               "END";
    static const char proc[] = "CREATE PROCEDURE p()\n"
                               "BEGIN\n"
                               "  SELECT begin, end FROM t;\n"
                               "  UPDATE t SET end = 2;\n"
                               "  SELECT CASE WHEN 1 THEN end ELSE begin END FROM t;\n"
                               "END";
    char in[1024];
    lexed r;

    snprintf(in, sizeof(in), "CREATE TABLE t (begin INT, end INT);\n%s;\n%s;\nSELECT end FROM t;",
             trig, proc);
    lex(&r, MY, in);
    CU_ASSERT_EQUAL(r.rc, 0);
    CU_ASSERT_EQUAL(r.n, 4);
    CHECK_STMT(&r, 0, "CREATE TABLE t (begin INT, end INT)", 1, 1);
    CHECK_STMT(&r, 1, trig, 2, 1);
    CHECK_STMT(&r, 2, proc, 7, 1);
    CHECK_STMT(&r, 3, "SELECT end FROM t", 13, 1);
    lexed_free(&r);
}

/* Each input is one statement, then "SELECT 9". */
static void
check_one_then_select(uint32_t rules, const char *stmt)
{
    char in[2048];
    lexed r;

    snprintf(in, sizeof(in), "%s;\nSELECT 9;", stmt);
    lex(&r, rules, in);
    CU_ASSERT_EQUAL(r.rc, 0);
    CU_ASSERT_EQUAL(r.n, 2);
    if (r.n != 2 || strcmp(r.text[0], stmt) != 0)
        fprintf(stderr, "\n  split wrongly (%d statements): %s\n", r.n, stmt);
    else
        CU_ASSERT_STRING_EQUAL(r.text[1], "SELECT 9");
    lexed_free(&r);
}

static void
test_my_compound_statements(void)
{
    static const char *const one[] = {
        /* CASE statement and expressions, IF, labels, loops */
        "CREATE PROCEDURE p(IN x INT, OUT y VARCHAR(10))\n"
        "lbl: BEGIN\n"
        "  DECLARE i INT DEFAULT CASE WHEN x > 0 THEN 1 ELSE 0 END;\n"
        "  CASE WHEN (CASE x WHEN 1 THEN 1 END) = 1 THEN SET y = 'one;'; ELSE BEGIN END; "
        "END CASE;\n"
        "  IF x IN (SELECT end FROM t) THEN LEAVE lbl; ELSEIF x < 0 THEN SET i = 1; ELSE SET "
        "i = 2; END IF;\n"
        "  l2: LOOP SET i = i + 1; IF i > 3 THEN LEAVE l2; END IF; END LOOP l2;\n"
        "  REPEAT SET i = i - 1; UNTIL CASE WHEN i < 0 THEN end END END REPEAT;\n"
        "  WHILE i < 5 DO SET i = i + 1; END WHILE;\n"
        "  `l3`: WHILE do > 0 DO SET do = do - 1; END WHILE `l3`;\n"
        "  FOR r IN 1..3 DO SELECT r; END FOR;\n"
        "END lbl",
        /* handlers whose statement is a block or an IF */
        "CREATE PROCEDURE h()\nBEGIN\n"
        "  DECLARE done INT DEFAULT 0;\n"
        "  DECLARE c CURSOR FOR SELECT 1;\n"
        "  DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN SET done = 1; END;\n"
        "  DECLARE EXIT HANDLER FOR SQLSTATE VALUE '23000', 1062, SQLEXCEPTION\n"
        "    IF done THEN SELECT 1; END IF;\n"
        "  SELECT 2;\n"
        "END",
        /* a function: RETURNS type, characteristics, then the body */
        "CREATE DEFINER = CURRENT_USER() FUNCTION f(a DECIMAL(10,2)) RETURNS VARCHAR(20) "
        "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DETERMINISTIC COMMENT 'BEGIN' READS SQL DATA\n"
        "BEGIN DECLARE s VARCHAR(20); SET s = 'x'; RETURN s; END",
        "CREATE FUNCTION g() RETURNS INT UNSIGNED NO SQL IF 1 THEN RETURN 1; ELSE RETURN 2; END IF",
        /* events, trigger order, anonymous blocks */
        "CREATE EVENT e ON SCHEDULE AT '2030-01-01 00:00:00' DO BEGIN INSERT INTO t VALUES (1); "
        "DELETE FROM t; END",
        "ALTER DEFINER = 'u'@'%' EVENT e DO BEGIN SELECT 1; SELECT 2; END",
        "CREATE OR REPLACE TRIGGER t2 AFTER UPDATE ON t FOR EACH ROW FOLLOWS trg BEGIN SET @a = "
        "1; SET @b = 2; END",
        "BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; SELECT x; END",
        "IF 1 THEN SELECT 1; ELSE SELECT 2; END IF",
        "WHILE 0 DO SELECT 1; END WHILE",
        "FOR i IN 1..2 DO SELECT i; END FOR",
        "REPEAT SELECT 1; UNTIL 1 END REPEAT",
        "CASE WHEN 1 THEN SELECT 1; END CASE",
        /* simple bodies and statements with no body */
        "CREATE TRIGGER t3 BEFORE INSERT ON t FOR EACH ROW SET NEW.end = CASE WHEN 1 THEN 2 END",
        "CREATE FUNCTION udf RETURNS STRING SONAME 'udf.so'",
        "CREATE PROCEDURE q() SELECT begin FROM t",
        "CREATE VIEW v AS SELECT CASE WHEN 1 THEN 2 END AS `end`",
    };
    size_t i;
    lexed r;

    for (i = 0; i < sizeof(one) / sizeof(one[0]); i++)
        check_one_then_select(MY, one[i]);
    lex(&r, MY, "BEGIN NOT ATOMIC SELECT 1; END;\nBEGIN;\nBEGIN WORK;\nCOMMIT;");
    CU_ASSERT_EQUAL(r.n, 4);
    CU_ASSERT_EQUAL(r.flags[0], 0);
    CU_ASSERT_EQUAL(r.flags[1], STRATA_STMT_TX_CONTROL);
    CU_ASSERT_EQUAL(r.flags[2], STRATA_STMT_TX_CONTROL);
    lexed_free(&r);
    /* an open block at the end of the input is an error, not a guess */
    lex(&r, MY, "SELECT 1;\nCREATE PROCEDURE p() BEGIN SELECT 1;\nSELECT 2;\n");
    CHECK_ERR(&r, 2, 1, "compound statement without its END");
    lexed_free(&r);
}

static void
test_my_delimiter_words(void)
{
    static const struct {
        const char *delim; /* as written after DELIMITER */
        const char *stmt;  /* a statement ending with the delimiter */
        const char *text;  /* what is yielded */
    } cases[] = {
        {"E", "DO 1 E", "DO 1"},
        {"LIM", "SHOW TABLES LIM", "SHOW TABLES"},
        {"END_PROC", "CREATE PROCEDURE p() BEGIN SELECT 1; END END_PROC",
         "CREATE PROCEDURE p() BEGIN SELECT 1; END"},
        {"//", "SELECT 1; SELECT '//'//", "SELECT 1; SELECT '//'"},
        {"$$", "SELECT 2 $$", "SELECT 2"},
        {";;", "SELECT 3; SELECT 4;;", "SELECT 3; SELECT 4"},
        {"'a b'", "SELECT 5 a b", "SELECT 5"},
        {"\"$$\" what follows is ignored", "SELECT 6$$", "SELECT 6"},
        {"`d`", "SELECT 7 d", "SELECT 7"},
        {"D", "SELECT 8 D", "SELECT 8"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *back[] = {"DELIMITER ;", "delimiter ;", "  Delimiter\t;\r"};
        char in[512];
        lexed r;

        snprintf(in, sizeof(in), "DELIMITER %s\n%s\n%s\nSELECT 'x';\n", cases[i].delim,
                 cases[i].stmt, back[i % 3]);
        lex(&r, MY, in);
        CU_ASSERT_EQUAL(r.rc, 0);
        CU_ASSERT_EQUAL(r.n, 2);
        if (r.n != 2 || r.rc != 0) {
            fprintf(stderr, "\n  DELIMITER %s: %d statements, %s\n", cases[i].delim, r.n,
                    r.rc ? r.err.message : "");
        } else {
            CHECK_STMT(&r, 0, cases[i].text, 2, 1);
            CHECK_STMT(&r, 1, "SELECT 'x'", 4, 1);
        }
        lexed_free(&r);
    }
}

static void
test_my_delimiter_errors(void)
{
    static const struct {
        const char *in;
        long line, col;
        const char *msg;
    } cases[] = {
        {"SELECT 1; DELIMITER //\nSELECT 2//", 1, 11, "first word of its line"},
        {"/* c */ DELIMITER //\n", 1, 9, "first word of its line"},
        {"DELIMITER \\x\n", 1, 1, "backslash"},
        {"DELIMITER //\t-- c\n", 1, 1, "tab or control character"},
        {"DELIMITER 0123456789abcdef\n", 1, 1, "longer than 15 bytes"},
        {"DELIMITER 'ab\n", 1, 1, "not closed"},
        {"DELIMITER ''\n", 1, 1, "needs a delimiter string"},
        {"SELECT 1;\n  DELIMITER\r\nSELECT 2;", 2, 3, "needs a delimiter string"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lexed r;

        lex(&r, MY, cases[i].in);
        CHECK_ERR(&r, cases[i].line, cases[i].col, cases[i].msg);
        lexed_free(&r);
    }
}

static void
test_pg_parens(void)
{
    static const char rule[] = "CREATE RULE r AS ON INSERT TO t DO ALSO (\n"
                               "  INSERT INTO log VALUES (new.id, 'a;b');\n"
                               "  UPDATE c SET n = n + 1\n"
                               ")";
    char in[512];
    lexed r;

    snprintf(in, sizeof(in), "%s;\nSELECT (1);", rule);
    lex(&r, PG, in);
    CU_ASSERT_EQUAL(r.n, 2);
    CHECK_STMT(&r, 0, rule, 1, 1);
    CHECK_STMT(&r, 1, "SELECT (1)", 5, 1);
    lexed_free(&r);
    /* a stray ) is ignored, as psql ignores it */
    lex(&r, PG, "SELECT 1);\nSELECT 2;");
    CU_ASSERT_EQUAL(r.n, 2);
    lexed_free(&r);
    lex(&r, PG, "SELECT 1;\nSELECT (2;\nSELECT 3;\n");
    CHECK_ERR(&r, 2, 8, "unbalanced parenthesis");
    CU_ASSERT_EQUAL(r.n, 1);
    lexed_free(&r);
}

static void
test_pg_atomic_blocks(void)
{
    static const char *const one[] = {
        "CREATE OR REPLACE FUNCTION f(begin int) RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n  SELECT CASE WHEN 1 > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND",
        "create procedure p() begin atomic insert into t values (1); insert into t values (2); "
        "end",
        "CREATE FUNCTION g() RETURNS int LANGUAGE sql RETURN (SELECT CASE WHEN true THEN 1 END)",
        /* psql counts only in CREATE [OR REPLACE] FUNCTION/PROCEDURE */
        "CREATE TABLE t (begin int, \"end\" int)",
    };
    size_t i;
    lexed r;

    for (i = 0; i < sizeof(one) / sizeof(one[0]); i++)
        check_one_then_select(PG, one[i]);
    lex(&r, PG, "CREATE VIEW begin AS SELECT 1;\nSELECT 2;");
    CU_ASSERT_EQUAL(r.n, 2);
    lexed_free(&r);
    lex(&r, PG, "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1;\n");
    CHECK_ERR(&r, 1, 1, "BEGIN without its END");
    lexed_free(&r);
}

static void
test_pg_std_strings(void)
{
    static const char *const off[] = {
        "SET standard_conforming_strings = off",
        "SET standard_conforming_strings TO 'off'",
        "set session standard_conforming_strings to false",
        "SET standard_conforming_strings = 0",
        "SET LOCAL \"standard_conforming_strings\" = of",
    };
    static const char *const on[] = {
        "SET standard_conforming_strings = on",
        "SET standard_conforming_strings TO DEFAULT",
        "RESET standard_conforming_strings",
        "RESET ALL",
        "DISCARD ALL",
        "SET standard_conforming_strings = 'TRUE'",
    };
    size_t i, j;

    for (i = 0; i < sizeof(off) / sizeof(off[0]); i++)
        for (j = 0; j < sizeof(on) / sizeof(on[0]); j++) {
            char in[512];
            lexed r;

            snprintf(in, sizeof(in),
                     "%s;\nINSERT INTO t VALUES ('it\\'s; ok', B'1\\', e'\\\\');\n%s;\n"
                     "SELECT 'C:\\';",
                     off[i], on[j]);
            lex(&r, PG, in);
            CU_ASSERT_EQUAL(r.rc, 0);
            CU_ASSERT_EQUAL(r.n, 4);
            CU_ASSERT_EQUAL(r.flags[0], STRATA_STMT_SETTING);
            CHECK_STMT(&r, 1, "INSERT INTO t VALUES ('it\\'s; ok', B'1\\', e'\\\\')", 2, 1);
            CU_ASSERT_EQUAL(r.flags[2], STRATA_STMT_SETTING);
            CHECK_STMT(&r, 3, "SELECT 'C:\\'", 4, 1);
            lexed_free(&r);
        }
}

static void
test_pg_std_strings_lines(void)
{
    lexed r;

    /* psql reads a line with the setting in force when the line began */
    lex(&r, PG, "SET standard_conforming_strings = off; SELECT 'a\\';\nSELECT 'b\\';';\n");
    CU_ASSERT_EQUAL(r.n, 3);
    CHECK_STMT(&r, 1, "SELECT 'a\\'", 1, 40);
    CHECK_STMT(&r, 2, "SELECT 'b\\';'", 2, 1);
    lexed_free(&r);
    /* values PostgreSQL refuses change nothing, and other settings are no settings */
    lex(&r, PG, "SET standard_conforming_strings = maybe;\nSET search_path = off;\nSELECT '\\';");
    CU_ASSERT_EQUAL(r.n, 3);
    CU_ASSERT_EQUAL(r.flags[0], 0);
    CU_ASSERT_EQUAL(r.flags[1], 0);
    CHECK_STMT(&r, 2, "SELECT '\\'", 3, 1);
    lexed_free(&r);
    /* without the rule, plain strings never take backslashes */
    lex(&r, PG & ~STRATA_LEX_STD_STRINGS, "SET standard_conforming_strings = off;\nSELECT '\\';");
    CU_ASSERT_EQUAL(r.n, 2);
    lexed_free(&r);
    lex(&r, PG, "SET standard_conforming_strings = off;\nSELECT 'x\\';");
    CHECK_ERR(&r, 2, 8, "standard_conforming_strings is off");
    lexed_free(&r);
}

static void
test_pg_restrict(void)
{
    static const char dump[] = "--\n-- PostgreSQL database dump\n--\n\n"
                               "\\restrict Ab3xYz09\n\n"
                               "SET standard_conforming_strings = on;\n"
                               "CREATE TABLE t (a int);\n"
                               "\\unrestrict Ab3xYz09\n";
    lexed r;

    lex(&r, PG, dump);
    CU_ASSERT_EQUAL(r.rc, 0);
    CU_ASSERT_EQUAL(r.n, 2);
    CHECK_STMT(&r, 1, "CREATE TABLE t (a int)", 8, 1);
    lexed_free(&r);
    lex(&r, PG, "\\restrict k1\nSELECT 1;\n\\unrestrict k2\n");
    CHECK_ERR(&r, 3, 1, "\\unrestrict key differs");
    lexed_free(&r);
    lex(&r, PG, "\\unrestrict k1\n");
    CHECK_ERR(&r, 1, 1, "without a \\restrict");
    lexed_free(&r);
    lex(&r, PG, "\\restrict\n");
    CHECK_ERR(&r, 1, 1, "\\restrict needs a key");
    lexed_free(&r);
    lex(&r, PG, "\\restrict k\n\\connect other\n");
    CHECK_ERR(&r, 2, 1, "psql meta-command \\connect is not SQL");
    lexed_free(&r);
}

static void
test_nul_bytes(void)
{
    static const char in1[] = "SELECT 1;\nSELECT 'a\0b';\nSELECT 3;";
    static const char in2[] = "SELECT 1;\n  \0";
    static const char in3[] = "COPY t FROM stdin;\n1\n2\0\n\\.\n";
    size_t d;

    for (d = 0; d < NDIALECTS; d++) {
        lexed r;

        lexn(&r, dialects[d], in1, sizeof(in1) - 1);
        CU_ASSERT_EQUAL(r.n, 1);
        CHECK_ERR(&r, 2, 10, "NUL byte");
        lexed_free(&r);
        lexn(&r, dialects[d], in2, sizeof(in2) - 1);
        CU_ASSERT_EQUAL(r.n, 1);
        CHECK_ERR(&r, 2, 3, "NUL byte");
        lexed_free(&r);
    }
    {
        char data[64];
        lexed r;

        copy_run_n(in3, sizeof(in3) - 1, &r, data, sizeof(data) - 1);
        CU_ASSERT_EQUAL(r.n, 1);
        CHECK_ERR(&r, 3, 2, "NUL byte");
        lexed_free(&r);
    }
}

static void
test_pg_no_transaction_language(void)
{
    static const char *const pats[] = {"REINDEX * CONCURRENTLY",
                                       "REINDEX ( ... ) * CONCURRENTLY",
                                       "REINDEX ( ... CONCURRENTLY )",
                                       "REINDEX ( ... CONCURRENTLY , ... )",
                                       "CLUSTER $",
                                       "CLUSTER VERBOSE $",
                                       "ALTER TABLE ... DETACH PARTITION * CONCURRENTLY",
                                       NULL};
    static const struct {
        const char *sql;
        unsigned flags;
    } cases[] = {
        {"REINDEX INDEX CONCURRENTLY i", STRATA_STMT_NO_TRANSACTION},
        {"REINDEX (VERBOSE) INDEX CONCURRENTLY i", STRATA_STMT_NO_TRANSACTION},
        {"reindex (verbose, tablespace x) table concurrently s.t", STRATA_STMT_NO_TRANSACTION},
        {"REINDEX (CONCURRENTLY) INDEX i", STRATA_STMT_NO_TRANSACTION},
        {"REINDEX (VERBOSE, CONCURRENTLY, TABLESPACE x) TABLE t", STRATA_STMT_NO_TRANSACTION},
        {"REINDEX (VERBOSE) TABLE t", 0},
        {"REINDEX TABLE \"concurrently\"", 0},
        {"CLUSTER", STRATA_STMT_NO_TRANSACTION},
        {"CLUSTER VERBOSE", STRATA_STMT_NO_TRANSACTION},
        {"CLUSTER t USING i", 0},
        {"ALTER TABLE IF EXISTS p DETACH PARTITION p1 CONCURRENTLY", STRATA_STMT_NO_TRANSACTION},
        {"ALTER TABLE ONLY s.p DETACH PARTITION s.p1 CONCURRENTLY", STRATA_STMT_NO_TRANSACTION},
        {"ALTER TABLE p DETACH PARTITION p1", 0},
        {"ALTER TABLE p ADD COLUMN concurrently int", 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char in[256];
        lexed r;

        snprintf(in, sizeof(in), "%s;", cases[i].sql);
        lexp(&r, PG, pats, in);
        CU_ASSERT_EQUAL(r.n, 1);
        CU_ASSERT_EQUAL(r.flags[0], cases[i].flags);
        if (r.flags[0] != cases[i].flags)
            fprintf(stderr, "\n  flags %u for: %s\n", r.flags[0], cases[i].sql);
        lexed_free(&r);
    }
}

/*
 * Random token soup in every dialect: whatever the input, the result (statements, flags,
 * errors and their positions) never depends on where the reads cut it, and nothing crashes.
 */
static void
test_random_soup(void)
{
    static const char *const toks[] = {
        "SELECT",
        "BEGIN",
        "END",
        "CASE",
        "IF",
        "THEN",
        "ELSE",
        "WHEN",
        "CREATE",
        "TRIGGER",
        "PROCEDURE",
        "FUNCTION",
        "EVENT",
        "FOR",
        "EACH",
        "ROW",
        "DO",
        "WHILE",
        "REPEAT",
        "UNTIL",
        "LOOP",
        "DECLARE",
        "CONTINUE",
        "HANDLER",
        "OR",
        "REPLACE",
        "ATOMIC",
        "NOT",
        "RULE",
        "RETURNS",
        "SET",
        "standard_conforming_strings",
        "=",
        "off",
        "on",
        "(",
        ")",
        ";",
        ";",
        ";",
        ";;",
        "$$",
        "$a$",
        "'x;'",
        "'it\\'s'",
        "E'\\''",
        "'\\'",
        "\"q;\"",
        "`b;`",
        "[c;]",
        "-- c;\n",
        "# h;\n",
        "/* n /* m; */ */",
        "/*!40101 x; */",
        "\n",
        " ",
        "\r\n",
        "\t",
        "\nDELIMITER $$\n",
        "\nDELIMITER ;\n",
        "\nDELIMITER E\n",
        "\ndelimiter LIM\n",
        "\n\\restrict k\n",
        "\n\\unrestrict k\n",
        "\nCOPY t FROM stdin;\n1\t2\n\\.\n",
        "lbl:",
        ",",
        ".",
        "@",
        "1",
        "x",
        "NEW.end",
        "-- +goose StatementBegin\n",
        "-- +goose StatementEnd\n",
        "\0",
    };
    size_t ntoks = sizeof(toks) / sizeof(toks[0]);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    char in[4096];
    int round;

    for (round = 0; round < 240; round++) {
        size_t len = 0, count = 20 + (size_t)round % 180, i;
        lexed r;

        for (i = 0; i < count; i++) {
            const char *t;
            size_t n;

            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            t = toks[rng % ntoks];
            n = t[0] == '\0' ? 1 : strlen(t);
            if (len + n + 1 >= sizeof(in))
                break;
            memcpy(in + len, t, n);
            len += n;
            in[len++] = ' ';
        }
        lexn(&r, dialects[round % NDIALECTS], in, len);
        lexed_free(&r);
    }
}

typedef struct test_case {
    const char *name;
    CU_TestFunc fn;
} test_case;

static const test_case common_tests[] = {
    {"basic split", test_basic_split},
    {"leading comments skipped", test_leading_comments_skipped},
    {"delimiters inside quotes and comments", test_delimiters_inside_quotes_and_comments},
    {"empty statements skipped", test_empty_statements_skipped},
    {"no trailing delimiter", test_no_trailing_delimiter},
    {"CRLF and BOM", test_crlf_and_bom},
    {"first line", test_first_line},
    {"block comments not nested by default", test_block_comments_not_nested_by_default},
    {"goose blocks", test_goose_blocks},
    {"goose block errors", test_goose_block_errors},
    {"no-transaction patterns", test_no_transaction_patterns},
    {"transaction control", test_tx_control},
    {"stmt_locate", test_locate},
    {"unterminated constructs", test_unterminated_always_on},
    {"unterminated long comment", test_unterminated_long},
    {"read failure", test_read_failure},
    {"long statements", test_long_statements},
    {"many statements", test_many_statements},
    {"NUL bytes", test_nul_bytes},
    {"random token soup", test_random_soup},
    {NULL, NULL}};

static const test_case sqlite_tests[] = {{"brackets", test_sqlite_brackets},
                                         {"trigger with BEGIN/CASE/END", test_sqlite_trigger},
                                         {"begin and end as names", test_sqlite_begin_end_names},
                                         {NULL, NULL}};

static const test_case pg_tests[] = {
    {"dollar quotes", test_pg_dollar_quotes},
    {"plpgsql bodies and BEGIN ATOMIC", test_pg_plpgsql_body},
    {"E strings and doubled quotes", test_pg_strings},
    {"nested comments", test_pg_nested_comments},
    {"positional parameters", test_pg_positional_params},
    {"CREATE INDEX CONCURRENTLY", test_pg_concurrently},
    {"psql meta-commands", test_pg_psql_meta},
    {"COPY FROM stdin", test_pg_copy},
    {"COPY errors", test_pg_copy_errors},
    {"COPY large data", test_pg_copy_large},
    {"unterminated dialect constructs", test_unterminated_dialect},
    {"parentheses (CREATE RULE)", test_pg_parens},
    {"BEGIN ATOMIC as psql counts it", test_pg_atomic_blocks},
    {"standard_conforming_strings", test_pg_std_strings},
    {"standard_conforming_strings by line", test_pg_std_strings_lines},
    {"\\restrict and \\unrestrict", test_pg_restrict},
    {"no-transaction pattern language", test_pg_no_transaction_language},
    {NULL, NULL}};

static const test_case my_tests[] = {
    {"DELIMITER", test_my_delimiter},
    {"backticks, # and --x", test_my_backticks_hash_dash},
    {"backslash escapes", test_my_backslash_escapes},
    {"executable comments", test_my_exec_comments},
    {"procedure without DELIMITER", test_my_procedure_without_delimiter},
    {"trigger without DELIMITER", test_my_trigger_without_delimiter},
    {"begin and end as names", test_my_begin_end_names},
    {"compound statements", test_my_compound_statements},
    {"DELIMITER with any string", test_my_delimiter_words},
    {"DELIMITER errors", test_my_delimiter_errors},
    {NULL, NULL}};

static int
register_suite(const char *name, const test_case *tc)
{
    CU_pSuite s = CU_add_suite(name, NULL, NULL);

    if (!s)
        return -1;
    for (; tc->name; tc++)
        if (!CU_add_test(s, tc->name, tc->fn))
            return -1;
    return 0;
}

int
main(void)
{
    unsigned failures;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (register_suite("lexer: always-on rules", common_tests) != 0 ||
        register_suite("lexer: SQLite", sqlite_tests) != 0 ||
        register_suite("lexer: PostgreSQL", pg_tests) != 0 ||
        register_suite("lexer: MySQL", my_tests) != 0)
        goto fail;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    if (CU_basic_run_tests() != CUE_SUCCESS)
        goto fail;
    failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failures != 0;
fail:
    fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
    CU_cleanup_registry();
    return 2;
}
