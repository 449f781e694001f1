#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <strata/driver.h>

#include "lexer.h"

/*
 * Lexer throughput: generates N MiB (argv[1], default 256) of mixed migration SQL in
 * memory, streams it through the statement splitter in 64 KiB reads with the PostgreSQL
 * rule set and then the MySQL one, and prints MB/s (10^6 bytes per second) and statement
 * counts. Prints figures only; asserts nothing about timing.
 */

#define READ_CHUNK (64 * 1024)

#define PG_RULES                                                                                   \
    (STRATA_LEX_NESTED_COMMENTS | STRATA_LEX_E_STRINGS | STRATA_LEX_DOLLAR_QUOTES |                \
     STRATA_LEX_COPY_STDIN | STRATA_LEX_PSQL_META | STRATA_LEX_ATOMIC_BLOCKS | STRATA_LEX_PARENS | \
     STRATA_LEX_STD_STRINGS)
#define MY_RULES                                                                                   \
    (STRATA_LEX_BACKTICKS | STRATA_LEX_HASH_COMMENTS | STRATA_LEX_BACKSLASH_ESCAPES |              \
     STRATA_LEX_DELIMITER | STRATA_LEX_BLOCKS | STRATA_LEX_EXEC_COMMENTS |                         \
     STRATA_LEX_DASH_NEEDS_SPACE)

static const char *const no_tx[] = {"CREATE INDEX CONCURRENTLY", "VACUUM", NULL};

typedef struct sql_buf {
    char *p;
    size_t len;
    size_t cap;
} sql_buf;

typedef struct mem_reader {
    const char *data;
    size_t len;
    size_t pos;
} mem_reader;

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static unsigned
next_rand(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void __attribute__((format(printf, 2, 3))) put(sql_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < b->cap - b->len)
        b->len += (size_t)n;
}

static void
gen_create(sql_buf *b, unsigned i)
{
    put(b, "-- table %u: holds what the feature needs\n", i);
    put(b,
        "CREATE TABLE t_%u (\n    id bigint PRIMARY KEY,\n    name varchar(100) NOT NULL,\n"
        "    email text,\n    \"Display Name\" text DEFAULT 'n/a',\n"
        "    created_at timestamp DEFAULT CURRENT_TIMESTAMP\n);\n",
        i);
    put(b, "CREATE INDEX idx_t_%u_name ON t_%u (name);\n\n", i, i);
}

static void
gen_insert(sql_buf *b, unsigned i)
{
    static const char *const bios[] = {"It''s a bio; with a semicolon", "plain text",
                                       "-- not a comment, a string",    "/* neither */ this",
                                       "O''Brien & sons; est. 1900",    "ünïcödé text ok"};
    unsigned rows = 1 + next_rand(8), r;

    if (next_rand(4) == 0)
        put(b, "/* batch %u */\n", i);
    put(b, "INSERT INTO users (id, name, email, bio) VALUES\n");
    for (r = 0; r < rows; r++)
        put(b, "    (%u, 'user %u', 'user%u@example.com', '%s')%s\n", i * 8 + r, i, r,
            bios[next_rand(6)], r + 1 < rows ? "," : ";");
}

static void
gen_misc(sql_buf *b, unsigned i)
{
    switch (next_rand(3)) {
    case 0:
        put(b, "UPDATE users SET name = 'renamed %u' WHERE id = %u; -- fix typo\n", i, i);
        break;
    case 1:
        put(b, "DELETE FROM sessions WHERE created_at < '2020-01-01' AND id <> %u;\n", i);
        break;
    default:
        put(b, "ALTER TABLE t_%u ADD COLUMN flag_%u boolean NOT NULL DEFAULT false;\n", i, i);
        break;
    }
}

/* Generates about mib MiB of SQL; the caller frees b->p. */
static int
generate(sql_buf *b, size_t mib)
{
    size_t want = mib * 1024 * 1024;
    unsigned i = 0;

    b->cap = want + 4096;
    b->len = 0;
    b->p = malloc(b->cap);
    if (!b->p)
        return -1;
    while (b->len < want) {
        unsigned k = next_rand(100);

        if (k < 3)
            gen_create(b, i);
        else if (k < 85)
            gen_insert(b, i);
        else
            gen_misc(b, i);
        i++;
    }
    return 0;
}

static size_t
mem_read(void *ctx, char *buf, size_t size)
{
    mem_reader *r = ctx;
    size_t n = r->len - r->pos;

    if (n > size)
        n = size;
    if (n > READ_CHUNK)
        n = READ_CHUNK;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return n;
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
run(const char *name, uint32_t rules, const sql_buf *sql)
{
    mem_reader rd = {sql->p, sql->len, 0};
    strata_lexer *lx = NULL;
    strata_lex_error err;
    strata_stmt st;
    long count = 0;
    size_t text = 0;
    double t0, secs;
    int rc;

    if (strata_lexer_new(rules, no_tx, mem_read, &rd, 1, &lx) != STRATA_OK) {
        fprintf(stderr, "lexer_bench: out of memory\n");
        return -1;
    }
    t0 = now();
    while ((rc = strata_lexer_next(lx, &st, &err)) == 1) {
        count++;
        text += st.len;
    }
    secs = now() - t0;
    strata_lexer_free(lx);
    if (rc < 0) {
        fprintf(stderr, "lexer_bench: %s: %ld:%ld: %s\n", name, err.line, err.col, err.message);
        return -1;
    }
    printf("%-10s %8.1f MB/s  %9ld statements  %6.3f s  (%zu bytes of statement text)\n", name,
           (double)sql->len / 1e6 / secs, count, secs, text);
    return 0;
}

int
main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 256;
    sql_buf sql;
    int rc = 0;

    if (mib == 0) {
        fprintf(stderr, "usage: lexer_bench [MiB]\n");
        return 2;
    }
    if (generate(&sql, mib) != 0) {
        fprintf(stderr, "lexer_bench: cannot allocate %zu MiB\n", mib);
        return 1;
    }
    printf("input: %zu bytes of generated SQL\n", sql.len);
    if (run("postgresql", PG_RULES, &sql) != 0 || run("mysql", MY_RULES, &sql) != 0)
        rc = 1;
    free(sql.p);
    return rc;
}
