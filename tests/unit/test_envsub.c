/*
 * Unit tests for goose's environment substitution filter (core/files/envsub.c): regions, the
 * ${VAR} forms, text left alone, marker lines, streaming in any piece size, errors.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <strata/types.h>

#include "envsub.h"
#include "testutil.h"

#define ON "-- +goose ENVSUB ON\n"
#define OFF "-- +goose ENVSUB OFF\n"

/* A strata_read_fn over a string, chunk bytes at a time; fails at fail_at if non-zero. */
typedef struct text_reader {
    const char *text;
    size_t len;
    size_t pos;
    size_t chunk;
    size_t fail_at;
} text_reader;

static size_t
text_read(void *ctx, char *buf, size_t size)
{
    text_reader *r = ctx;
    if (r->fail_at != 0 && r->pos >= r->fail_at)
        return (size_t)-1;
    size_t n = r->len - r->pos;
    if (n > size)
        n = size;
    if (n > r->chunk)
        n = r->chunk;
    memcpy(buf, r->text + r->pos, n);
    r->pos += n;
    return n;
}

/* Runs text through the filter with inner pieces of chunk bytes and reads of size bytes;
 * the caller frees the result. */
static char *
filter_with(const char *text, size_t chunk, size_t size, int inside)
{
    text_reader r = {.text = text, .len = strlen(text), .chunk = chunk};
    strata_envsub *e = strata_envsub_create(text_read, &r);
    if (inside)
        strata_envsub_start_inside(e);
    size_t cap = 64, len = 0;
    char *out = malloc(cap);
    char *buf = malloc(size);
    for (;;) {
        size_t n = strata_envsub_read(e, buf, size);
        CU_ASSERT(n != (size_t)-1);
        if (n == 0 || n == (size_t)-1)
            break;
        CU_ASSERT(n <= size);
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + len, buf, n);
        len += n;
    }
    out[len] = '\0';
    free(buf);
    strata_envsub_free(e);
    return out;
}

/* The filter's output of text must be expected, whatever the piece sizes. */
static void
assert_filter_inside(const char *text, const char *expected, int inside)
{
    static const size_t chunks[] = {1, 2, 3, 7, 64, 100000};
    static const size_t sizes[] = {1, 2, 5, 4096};
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            char *got = filter_with(text, chunks[c], sizes[s], inside);
            CU_ASSERT_STRING_EQUAL(got, expected);
            if (strcmp(got, expected) != 0)
                fprintf(stderr,
                        "\n  pieces %zu, reads %zu:\n  got      \"%s\"\n  expected \"%s\"\n",
                        chunks[c], sizes[s], got, expected);
            free(got);
        }
    }
}

static void
assert_filter(const char *text, const char *expected)
{
    assert_filter_inside(text, expected, 0);
}

static void
set_env(void)
{
    setenv("STRATA_T_NAME", "users", 1);
    setenv("STRATA_T_EMPTY", "", 1);
    setenv("STRATA_T_NESTED", "${STRATA_T_NAME}", 1);
    unsetenv("STRATA_T_UNSET");
}

static void
test_outside_regions_untouched(void)
{
    set_env();
    const char *text = "CREATE TABLE ${STRATA_T_NAME} (id int);\n-- ${STRATA_T_NAME}\n"
                       "SELECT '$1', $$ body $$;\n";
    assert_filter(text, text);
    /* an OFF without an ON changes nothing either */
    char off[256];
    snprintf(off, sizeof(off), "%s%s", OFF, text);
    assert_filter(off, off);
    assert_filter("", "");
}

static void
test_regions(void)
{
    set_env();
    assert_filter("a ${STRATA_T_NAME}\n" ON "b ${STRATA_T_NAME} c${STRATA_T_NAME}d\n" OFF
                  "e ${STRATA_T_NAME}\n" ON "f ${STRATA_T_NAME}",
                  "a ${STRATA_T_NAME}\n" ON "b users cusersd\n" OFF "e ${STRATA_T_NAME}\n" ON
                  "f users");
    /* a region runs to the end of the input when never closed */
    assert_filter(ON "x\n${STRATA_T_NAME}\n\n${STRATA_T_NAME}\n", ON "x\nusers\n\nusers\n");
    /* the marker lines themselves pass through, in any spelling */
    assert_filter("  --   +GOOSE   envsub   on  \r\n${STRATA_T_NAME}\r\n-- +goose EnvSub Off\r\n"
                  "${STRATA_T_NAME}\r\n",
                  "  --   +GOOSE   envsub   on  \r\nusers\r\n-- +goose EnvSub Off\r\n"
                  "${STRATA_T_NAME}\r\n");
    /* markers count only on lines of their own */
    assert_filter("SELECT 1; -- +goose ENVSUB ON\n${STRATA_T_NAME}\n",
                  "SELECT 1; -- +goose ENVSUB ON\n${STRATA_T_NAME}\n");
    assert_filter("-- +goose ENVSUB ON please\n${STRATA_T_NAME}\n",
                  "-- +goose ENVSUB ON please\n${STRATA_T_NAME}\n");
    /* a BOM before the marker on the first line */
    assert_filter("\xEF\xBB\xBF" ON "${STRATA_T_NAME}\n", "\xEF\xBB\xBF" ON "users\n");
}

static void
test_start_inside(void)
{
    set_env();
    assert_filter_inside("${STRATA_T_NAME}\n" OFF "${STRATA_T_NAME}\n",
                         "users\n" OFF "${STRATA_T_NAME}\n", 1);
}

static void
test_defaults_and_unset(void)
{
    set_env();
    assert_filter(ON "[${STRATA_T_NAME:-x}][${STRATA_T_UNSET:-d e f}][${STRATA_T_EMPTY:-d}]\n",
                  ON "[users][d e f][d]\n");
    assert_filter(ON "[${STRATA_T_NAME-x}][${STRATA_T_UNSET-dflt}][${STRATA_T_EMPTY-d}]\n",
                  ON "[users][dflt][]\n");
    /* unset without a default becomes empty, as with goose */
    assert_filter(ON "[${STRATA_T_UNSET}][${STRATA_T_EMPTY}]\n", ON "[][]\n");
    /* empty defaults, defaults holding '$', '{' and ':' literally */
    assert_filter(ON "[${STRATA_T_UNSET:-}][${STRATA_T_UNSET-}][${STRATA_T_UNSET:-a:$b{c}]\n",
                  ON "[][][a:$b{c]\n");
    /* values are not substituted again */
    assert_filter(ON "${STRATA_T_NESTED}\n", ON "${STRATA_T_NAME}\n");
    /* names: letters, digits, '_' */
    setenv("_STRATA_T_2", "two", 1);
    assert_filter(ON "${_STRATA_T_2}\n", ON "two\n");
}

static void
test_not_expressions(void)
{
    set_env();
    const char *text = "$1 $$ $STRATA_T_NAME ${} ${1x} ${STRATA_T_NAME x} ${STRATA_T_NAME:x}\n"
                       "$${STRATA_T_NAME}$ ${STRATA_T_NAME:-two\nlines} $\n"
                       "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1 $body$;\n";
    char in[1024], want[1024];
    snprintf(in, sizeof(in), ON "%s", text);
    snprintf(want, sizeof(want), ON "%s", text);
    /* the one real expression, "${STRATA_T_NAME}" after "$", is substituted */
    char *p = strstr(want, "$${STRATA_T_NAME}$");
    memmove(p + 6, p + 17, strlen(p + 17) + 1);
    memcpy(p + 1, "users", 5);
    assert_filter(in, want);
    /* unterminated at the very end */
    assert_filter(ON "x ${STRATA_T_NAME", ON "x ${STRATA_T_NAME");
    assert_filter(ON "x ${STRATA_T_NAME:-abc", ON "x ${STRATA_T_NAME:-abc");
    assert_filter(ON "x $", ON "x $");
}

static void
test_long_input(void)
{
    set_env();
    /* an expression longer than the limit passes through as it is */
    size_t n = STRATA_ENVSUB_EXPR_MAX + 100;
    char *text = malloc(n + 64);
    strcpy(text, ON "${STRATA_T_UNSET:-");
    size_t len = strlen(text);
    memset(text + len, 'x', n);
    strcpy(text + len + n, "}\n");
    char *got = filter_with(text, 7, 3, 0);
    CU_ASSERT_STRING_EQUAL(got, text);
    free(got);
    free(text);

    /* a value longer than any buffer, read in small pieces */
    size_t vlen = 20000;
    char *value = malloc(vlen + 1);
    for (size_t i = 0; i < vlen; i++)
        value[i] = (char)('a' + i % 26);
    value[vlen] = '\0';
    setenv("STRATA_T_LONG", value, 1);
    char *want = malloc(vlen + 64);
    snprintf(want, vlen + 64, ON "<%s>\n", value);
    got = filter_with(ON "<${STRATA_T_LONG}>\n", 1, 1, 0);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
    got = filter_with(ON "<${STRATA_T_LONG}>\n", 4096, 4096, 0);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
    free(want);
    free(value);

    /* a marker line longer than the limit is not a marker */
    char line[STRATA_ENVSUB_LINE_MAX + 64];
    memset(line, ' ', sizeof(line));
    strcpy(line + STRATA_ENVSUB_LINE_MAX, "-- +goose ENVSUB ON\n${STRATA_T_NAME}\n");
    assert_filter(line, line);
}

static void
test_read_error(void)
{
    text_reader r = {.text = ON "${STRATA_T_NAME}\nmore text\n", .chunk = 4, .fail_at = 8};
    r.len = strlen(r.text);
    strata_envsub *e = strata_envsub_create(text_read, &r);
    char buf[64];
    size_t n;
    do
        n = strata_envsub_read(e, buf, 2);
    while (n != 0 && n != (size_t)-1);
    CU_ASSERT_EQUAL(n, (size_t)-1);
    CU_ASSERT_EQUAL(strata_envsub_read(e, buf, sizeof(buf)), (size_t)-1);
    strata_envsub_free(e);
    strata_envsub_free(NULL);
}

static int
marker(const char *line)
{
    return strata_envsub_marker(line, strlen(line));
}

static void
test_marker_lines(void)
{
    CU_ASSERT_EQUAL(marker("-- +goose ENVSUB ON"), 1);
    CU_ASSERT_EQUAL(marker("-- +goose ENVSUB ON\n"), 1);
    CU_ASSERT_EQUAL(marker("-- +goose ENVSUB OFF\r\n"), -1);
    CU_ASSERT_EQUAL(marker("--+goose envsub off"), -1);
    CU_ASSERT_EQUAL(marker("\t-- \t+goose\tEnvSub\ton \t"), 1);
    CU_ASSERT_EQUAL(marker("\xEF\xBB\xBF-- +goose ENVSUB ON\n"), 1);
    CU_ASSERT_EQUAL(marker("-- +goose ENVSUB"), 0);
    CU_ASSERT_EQUAL(marker("-- +goose ENVSUB ONX"), 0);
    CU_ASSERT_EQUAL(marker("-- +goose ENVSUBON"), 0);
    CU_ASSERT_EQUAL(marker("-- +gooseENVSUB ON"), 0);
    CU_ASSERT_EQUAL(marker("-- +goose ENVSUB ON OFF"), 0);
    CU_ASSERT_EQUAL(marker("- +goose ENVSUB ON"), 0);
    CU_ASSERT_EQUAL(marker("# +goose ENVSUB ON"), 0);
    CU_ASSERT_EQUAL(marker("x -- +goose ENVSUB ON"), 0);
    CU_ASSERT_EQUAL(marker("-- +goose Up"), 0);
    CU_ASSERT_EQUAL(marker(""), 0);
}

int
main(void)
{
    static const tu_test filter[] = {
        {"text outside regions untouched", test_outside_regions_untouched},
        {"ON/OFF regions", test_regions},
        {"starting inside a region", test_start_inside},
        {"defaults and unset variables", test_defaults_and_unset},
        {"what is not an expression", test_not_expressions},
        {"long expressions, values and lines", test_long_input},
        {"read errors", test_read_error},
        {"marker lines", test_marker_lines},
        {NULL, NULL},
    };
    tu_suite("envsub", filter);
    return tu_run();
}
