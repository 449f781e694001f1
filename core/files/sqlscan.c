#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdint.h>
#include <string.h>

#include <strata/driver.h>

#include "sqlscan.h"

static int
is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static unsigned char
ascii_upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 32) : c;
}

int
strata_kw(const unsigned char *w, size_t n, const char *k)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (k[i] == '\0' || ascii_upper(w[i]) != (unsigned char)k[i])
            return 0;
    return k[n] == '\0';
}

int
strata_kw_any(const unsigned char *w, size_t n, const char *const *ks)
{
    for (; *ks; ks++)
        if (strata_kw(w, n, *ks))
            return 1;
    return 0;
}

int
strata_tok_kw(const unsigned char *t, const strata_tok *tk, const char *k)
{
    return tk->type == STRATA_TOK_WORD && strata_kw(t + tk->off, tk->len, k);
}

/* ---- runs ---- */

static const unsigned char *
find2(const unsigned char *p, size_t n, unsigned char a, unsigned char b)
{
    const unsigned char *end = p + n;

    for (; p < end; p++)
        if (*p == a || *p == b)
            return p;
    return NULL;
}

/* First q or backslash in p[0, n): two memchr passes beat a byte loop on real strings. */
static const unsigned char *
find_quote_or_bs(const unsigned char *p, size_t n, unsigned char q)
{
    const unsigned char *hit = memchr(p, q, n);
    const unsigned char *bs = memchr(p, '\\', hit ? (size_t)(hit - p) : n);

    return bs ? bs : hit;
}

int
strata_scan_quoted(const unsigned char *b, size_t len, size_t *pos, int eof, unsigned char q,
                   int dbl, int bs)
{
    size_t p = *pos;

    for (;;) {
        const unsigned char *hit =
            bs ? find_quote_or_bs(b + p, len - p, q) : memchr(b + p, q, len - p);

        if (!hit) {
            *pos = len;
            return 0;
        }
        p = (size_t)(hit - b);
        if (*hit != q) {
            if (p + 1 >= len) {
                *pos = p;
                return 0;
            }
            p += 2;
            continue;
        }
        if (dbl && p + 1 >= len && !eof) {
            *pos = p;
            return 0;
        }
        if (dbl && p + 1 < len && b[p + 1] == q) {
            p += 2;
            continue;
        }
        *pos = p + 1;
        return 1;
    }
}

int
strata_scan_comment(const unsigned char *b, size_t len, size_t *pos, int nested, int *depth)
{
    size_t p = *pos;

    for (;;) {
        const unsigned char *hit =
            nested ? find2(b + p, len - p, '*', '/') : memchr(b + p, '*', len - p);

        if (!hit) {
            *pos = len;
            return 0;
        }
        p = (size_t)(hit - b);
        if (p + 1 >= len) {
            *pos = p;
            return 0;
        }
        if (b[p] == '*' && b[p + 1] == '/') {
            p += 2;
            if (--*depth == 0) {
                *pos = p;
                return 1;
            }
        } else if (b[p] == '/' && b[p + 1] == '*') {
            p += 2;
            ++*depth;
        } else {
            p++;
        }
    }
}

int
strata_scan_dollar(const unsigned char *b, size_t len, size_t *pos, const unsigned char *tag,
                   size_t tlen)
{
    size_t p = *pos;

    for (;;) {
        const unsigned char *hit = memchr(b + p, '$', len - p);

        if (!hit) {
            *pos = len;
            return 0;
        }
        p = (size_t)(hit - b);
        if (len - p < tlen + 2) {
            *pos = p;
            return 0;
        }
        if (memcmp(b + p + 1, tag, tlen) == 0 && b[p + 1 + tlen] == '$') {
            *pos = p + tlen + 2;
            return 1;
        }
        p++;
    }
}

/* ---- openers ---- */

int
strata_dollar_open(const strata_sqlscan *sc, const unsigned char *b, size_t len, size_t p, int eof,
                   size_t *tlen)
{
    size_t q = p + 1;

    if (q >= len)
        return eof ? 0 : -1;
    if (b[q] != '$' && !sc->idents[b[q]])
        return 0;
    while (q < len && b[q] != '$' && sc->identc[b[q]])
        q++;
    if (q >= len)
        return eof ? 0 : -1;
    if (b[q] != '$')
        return 0;
    *tlen = q - p - 1;
    return 1;
}

int
strata_dash_comment(const strata_sqlscan *sc, const unsigned char *b, size_t len, size_t p, int eof)
{
    if (p + 1 >= len)
        return eof ? 0 : -1;
    if (b[p + 1] != '-')
        return 0;
    if (!(sc->rules & STRATA_LEX_DASH_NEEDS_SPACE))
        return 1;
    if (p + 2 >= len)
        return eof ? 1 : -1;
    return is_space(b[p + 2]);
}

size_t
strata_exec_opener(const strata_sqlscan *sc, const unsigned char *b, size_t len, size_t p)
{
    if (!(sc->rules & STRATA_LEX_EXEC_COMMENTS) || p + 2 >= len)
        return 0;
    if (b[p + 2] == '!')
        return 3;
    if (p + 3 < len && b[p + 2] == 'M' && b[p + 3] == '!')
        return 4;
    return 0;
}

int
strata_sql_standard_prefix(const strata_sqlscan *sc, const unsigned char *t, size_t start, size_t p)
{
    unsigned char c;

    if (p < start + 1)
        return 0;
    c = t[p - 1] | 0x20;
    if (c == 'b' || c == 'x')
        return p - 1 == start || !sc->identc[t[p - 2]];
    if (t[p - 1] != '&' || p < start + 2 || (t[p - 2] | 0x20) != 'u')
        return 0;
    return p - 2 == start || !sc->identc[t[p - 3]];
}

/* ---- tokens of complete text ---- */

size_t
strata_sql_skip_blank(const strata_sqlscan *sc, const unsigned char *t, size_t n, size_t p)
{
    for (;;) {
        while (p < n && is_space(t[p]))
            p++;
        if (p >= n)
            return n;
        if ((t[p] == '-' && strata_dash_comment(sc, t, n, p, 1) == 1) ||
            (t[p] == '#' && (sc->rules & STRATA_LEX_HASH_COMMENTS))) {
            const unsigned char *nl = memchr(t + p, '\n', n - p);

            p = nl ? (size_t)(nl - t) : n;
        } else if (t[p] == '/' && p + 1 < n && t[p + 1] == '*' &&
                   !strata_exec_opener(sc, t, n, p)) {
            int depth = 1;

            p += 2;
            if (!strata_scan_comment(t, n, &p, (sc->rules & STRATA_LEX_NESTED_COMMENTS) != 0,
                                     &depth))
                p = n;
        } else {
            return p;
        }
    }
}

/* Skips one quoted or otherwise opaque token at t[*p]; returns its type, or END if none. */
static int
skip_quoted(const strata_sqlscan *sc, const unsigned char *t, size_t n, size_t *p)
{
    uint32_t r = sc->rules;
    unsigned char c = t[*p];
    size_t q = *p + 1, tl, ex;
    int depth = 1, done;

    if (c == '\'' || c == '"') {
        int bs = (r & STRATA_LEX_BACKSLASH_ESCAPES) ||
                 (c == '\'' && sc->backslash_strings && !strata_sql_standard_prefix(sc, t, 0, *p));

        done = strata_scan_quoted(t, n, &q, 1, c, 1, bs);
    } else if ((c == '`' && (r & STRATA_LEX_BACKTICKS)) ||
               (c == '[' && (r & STRATA_LEX_BRACKETS))) {
        done = strata_scan_quoted(t, n, &q, 1, c == '[' ? ']' : '`', c == '`', 0);
    } else if (c == '$' && (r & STRATA_LEX_DOLLAR_QUOTES) &&
               strata_dollar_open(sc, t, n, *p, 1, &tl) == 1) {
        q = *p + tl + 2;
        done = strata_scan_dollar(t, n, &q, t + *p + 1, tl);
    } else if (c == '/' && *p + 1 < n && t[*p + 1] == '*' &&
               (ex = strata_exec_opener(sc, t, n, *p)) != 0) {
        q = *p + ex;
        done = strata_scan_comment(t, n, &q, 0, &depth);
        *p = done ? q : n;
        return STRATA_TOK_OTHER;
    } else {
        return STRATA_TOK_END;
    }
    *p = done ? q : n;
    return c == '\'' || c == '$' ? STRATA_TOK_STRING : STRATA_TOK_NAME;
}

/* Reads one name part (word or quoted identifier) at t[*p]; returns its type or END. */
static int
name_part(const strata_sqlscan *sc, const unsigned char *t, size_t n, size_t *p)
{
    size_t q = *p;
    int type;

    if (sc->idents[t[q]]) {
        while (++q < n && sc->identc[t[q]])
            ;
        if ((sc->rules & STRATA_LEX_E_STRINGS) && q == *p + 1 && (t[*p] | 0x20) == 'e' && q < n &&
            t[q] == '\'') {
            q++;
            *p = strata_scan_quoted(t, n, &q, 1, '\'', 1, 1) ? q : n;
            return STRATA_TOK_STRING;
        }
        *p = q;
        return STRATA_TOK_WORD;
    }
    type = skip_quoted(sc, t, n, &q);
    if (type != STRATA_TOK_NAME)
        return STRATA_TOK_END;
    *p = q;
    return STRATA_TOK_NAME;
}

int
strata_sql_next_token(const strata_sqlscan *sc, const unsigned char *t, size_t n, size_t *p,
                      strata_tok *tk)
{
    size_t q = strata_sql_skip_blank(sc, t, n, *p);
    int type;

    tk->off = q;
    if (q >= n) {
        *p = n;
        tk->len = 0;
        return tk->type = STRATA_TOK_END;
    }
    type = name_part(sc, t, n, &q);
    if (type == STRATA_TOK_WORD || type == STRATA_TOK_NAME) {
        while (q + 1 < n && t[q] == '.') {
            size_t r = q + 1;

            if (name_part(sc, t, n, &r) == STRATA_TOK_END)
                break;
            q = r;
            type = STRATA_TOK_NAME;
        }
    } else if (type == STRATA_TOK_END && (type = skip_quoted(sc, t, n, &q)) == STRATA_TOK_END) {
        type = STRATA_TOK_OTHER;
        if (t[q] >= '0' && t[q] <= '9')
            while (++q < n && sc->identc[t[q]])
                ;
        else
            q++;
    }
    tk->type = type;
    tk->len = q - tk->off;
    *p = q;
    return type;
}
