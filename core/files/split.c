/*
 * Splitting one script into statements as the dialect splits it (split.h).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "split.h"
#include "util.h"

static int
lex_error(const strata_script *script, const strata_lex_error *le, strata_error *err)
{
    return strata_fail(err, STRATA_VALIDATION, "%s:%ld:%ld: %s", script->path, le->line, le->col,
                       le->message);
}

/* Reads the whole of reader; newly allocated, NUL-terminated, *len its length. */
static char *
read_all(strata_read_fn read, void *source, size_t *len)
{
    strata_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = read(source, chunk, sizeof(chunk))) > 0 && n != (size_t)-1)
        strata_buf_append(&b, chunk, n);
    strata_buf_puts(&b, "");
    *len = b.len;
    return strata_buf_take(&b);
}

/* A script that is one statement (Liquibase splitStatements:false): its text, blanks and a
 * final delimiter trimmed, handed to fn once (not at all when it is blank). */
static int
whole_statement(const strata_script *script, strata_read_fn read, void *source, strata_each_fn fn,
                void *ctx, strata_error *err)
{
    size_t len, start = 0;
    char *text = read_all(read, source, &len);
    strata_stmt st = {.line = script->first_line, .col = 1, .index = 1};
    while (start < len && strchr(" \t\r\n", text[start]) != NULL) {
        st.col = text[start] == '\n' ? 1 : st.col + 1;
        st.line += text[start] == '\n';
        start++;
    }
    const char *delim = script->delimiter ? script->delimiter : ";";
    size_t dl = strlen(delim);
    while (len > start && strchr(" \t\r\n", text[len - 1]) != NULL)
        len--;
    if (len - start >= dl && memcmp(text + len - dl, delim, dl) == 0)
        len -= dl;
    text[len] = '\0';
    st.text = text + start;
    st.len = len - start;
    int rc = st.len > 0 ? fn(ctx, NULL, &st, err) : STRATA_OK;
    free(text);
    return rc;
}

int
strata_split_script(const strata_describe *info, const strata_script *script, strata_read_fn read,
                    void *source, strata_each_fn fn, void *ctx, strata_error *err)
{
    if (script->flags & STRATA_SCRIPT_ONE_STATEMENT)
        return whole_statement(script, read, source, fn, ctx, err);
    strata_lexer *lx = NULL;
    int rc = strata_lexer_for_connection(info, read, source, script->first_line, &lx);
    if (rc != STRATA_OK)
        rc = strata_fail(err, STRATA_ERROR, "cannot start reading %s", script->path);
    if (rc == STRATA_OK && script->delimiter != NULL &&
        strata_lexer_set_delimiter(lx, script->delimiter) != 0)
        rc = strata_fail(err, STRATA_VALIDATION,
                         "%s:%d: endDelimiter '%s' cannot end statements: give 1 to 15 "
                         "characters without blanks or backslashes",
                         script->path, script->first_line - 1, script->delimiter);
    strata_stmt st;
    strata_lex_error le;
    int got;
    while (rc == STRATA_OK && (got = strata_lexer_next(lx, &st, &le)) != 0)
        rc = got < 0 ? lex_error(script, &le, err) : fn(ctx, lx, &st, err);
    strata_lexer_free(lx);
    return rc;
}
