#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <string.h>

#include <strata/driver.h>

#include "lexer.h"
#include "statement.h"

#define ST_LEAD 4 /* leading tokens looked at for transaction control */

typedef struct text {
    const strata_sqlscan *sc;
    const unsigned char *t;
    size_t n;
} text;

static int
next(const text *x, size_t *p, strata_tok *tk)
{
    return strata_sql_next_token(x->sc, x->t, x->n, p, tk);
}

/* ---- no-transaction patterns ---- */

static int
is_keyword_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* True when token tk is the pattern item pat[0, wl): a keyword, "*", or anything else (a
 * number, punctuation) spelled exactly. */
static int
item_match(const text *x, const strata_tok *tk, const char *pat, size_t wl)
{
    if (wl == 1 && *pat == '*')
        return tk->type == STRATA_TOK_WORD || tk->type == STRATA_TOK_NAME;
    if (!is_keyword_start((unsigned char)*pat))
        return tk->type == STRATA_TOK_OTHER && tk->len == wl &&
               memcmp(x->t + tk->off, pat, wl) == 0;
    if (tk->type != STRATA_TOK_WORD || tk->len != wl)
        return 0;
    for (size_t j = 0; j < wl; j++)
        if ((x->t[tk->off + j] | 0x20) != ((unsigned char)pat[j] | 0x20))
            return 0;
    return 1;
}

/* Matches pattern items pat against the tokens from text offset p. */
static int
match_from(const text *x, size_t p, const char *pat)
{
    strata_tok tk;

    for (;;) {
        size_t wl;

        while (*pat == ' ')
            pat++;
        if (*pat == '\0')
            return 1;
        wl = strcspn(pat, " ");
        if (wl == 3 && memcmp(pat, "...", 3) == 0) {
            for (;;) {
                if (match_from(x, p, pat + 3))
                    return 1;
                if (next(x, &p, &tk) == STRATA_TOK_END)
                    return 0;
            }
        }
        if (next(x, &p, &tk) == STRATA_TOK_END)
            return wl == 1 && *pat == '$';
        if ((wl == 1 && *pat == '$') || !item_match(x, &tk, pat, wl))
            return 0;
        pat += wl;
    }
}

int
strata_sql_pattern_match(const strata_sqlscan *sc, const unsigned char *t, size_t n,
                         const char *pat)
{
    text x = {sc, t, n};

    return match_from(&x, 0, pat);
}

/* True when a pattern can match a statement whose first token is tk. */
static int
pattern_may_start(const text *x, const strata_tok *tk, const char *pat)
{
    size_t wl;

    while (*pat == ' ')
        pat++;
    /* most patterns start with a keyword its first letter already rules out (cheap: every
     * statement is asked about every pattern) */
    if (is_keyword_start((unsigned char)*pat) &&
        (tk->type != STRATA_TOK_WORD || (x->t[tk->off] | 0x20) != (*pat | 0x20)))
        return 0;
    wl = strcspn(pat, " ");
    if ((wl == 3 && memcmp(pat, "...", 3) == 0) || wl == 0)
        return 1;
    return item_match(x, tk, pat, wl);
}

/* ---- transaction control and COPY ---- */

/* True for BEGIN/START TRANSACTION/COMMIT/ROLLBACK/END/ABORT statements. */
static int
is_tx_control(const text *x, const strata_tok *tk, int nt)
{
    const unsigned char *t = x->t;
    int i = 1;

    if (strata_tok_kw(t, &tk[0], "BEGIN") || strata_tok_kw(t, &tk[0], "END") ||
        strata_tok_kw(t, &tk[0], "ABORT"))
        return 1;
    if (strata_tok_kw(t, &tk[0], "START"))
        return nt > 1 && strata_tok_kw(t, &tk[1], "TRANSACTION");
    if (strata_tok_kw(t, &tk[0], "COMMIT"))
        return nt < 2 || !strata_tok_kw(t, &tk[1], "PREPARED");
    if (!strata_tok_kw(t, &tk[0], "ROLLBACK"))
        return 0;
    if (i < nt && (strata_tok_kw(t, &tk[i], "WORK") || strata_tok_kw(t, &tk[i], "TRANSACTION")))
        i++;
    return i >= nt || (!strata_tok_kw(t, &tk[i], "TO") && !strata_tok_kw(t, &tk[i], "PREPARED"));
}

/* True when the words FROM STDIN follow each other somewhere in the statement. */
static int
has_from_stdin(const text *x)
{
    size_t p = 0;
    strata_tok tk;
    int from = 0;

    while (next(x, &p, &tk) != STRATA_TOK_END) {
        if (from && strata_tok_kw(x->t, &tk, "STDIN"))
            return 1;
        from = strata_tok_kw(x->t, &tk, "FROM");
    }
    return 0;
}

/* False when a statement starting with token tk cannot carry any STRATA_STMT_* flag. */
static int
may_flag(const text *x, const strata_tok *tk, const char *const *patterns)
{
    static const char *const first[] = {"BEGIN",    "END",    "ABORT", "START",
                                        "ROLLBACK", "COMMIT", "COPY",  NULL};
    const char *const *pat;

    if (tk->type == STRATA_TOK_WORD && memchr("aAbBcCeErRsS", x->t[tk->off], 12) &&
        strata_kw_any(x->t + tk->off, tk->len, first))
        return 1;
    for (pat = patterns; pat && *pat; pat++)
        if (pattern_may_start(x, tk, *pat))
            return 1;
    return 0;
}

unsigned
strata_sql_flags(const strata_sqlscan *sc, const char *const *patterns, const unsigned char *t,
                 size_t n, int group, int compound)
{
    text x = {sc, t, n};
    strata_tok tk[ST_LEAD];
    unsigned flags = 0;
    size_t p = 0;
    int nt = 1;
    const char *const *pat;

    if (next(&x, &p, &tk[0]) == STRATA_TOK_END || !may_flag(&x, &tk[0], patterns))
        return 0;
    while (nt < ST_LEAD && next(&x, &p, &tk[nt]) != STRATA_TOK_END)
        nt++;
    for (pat = patterns; pat && *pat; pat++)
        if (pattern_may_start(&x, &tk[0], *pat) && match_from(&x, 0, *pat)) {
            flags |= STRATA_STMT_NO_TRANSACTION;
            break;
        }
    if (!compound && is_tx_control(&x, tk, nt))
        flags |= STRATA_STMT_TX_CONTROL;
    if ((sc->rules & STRATA_LEX_COPY_STDIN) && !group && strata_tok_kw(t, &tk[0], "COPY") &&
        has_from_stdin(&x))
        flags |= STRATA_STMT_COPY;
    return flags;
}

/* ---- standard_conforming_strings ---- */

/*
 * PostgreSQL's parse_bool() on the value token: 1 true, 0 false, -1 not a boolean. Accepts
 * what the server accepts: prefixes of true/false/yes/no, on, off (at least "of"), 1 and 0,
 * quoted or not.
 */
static int
bool_value(const text *x, const strata_tok *tk)
{
    static const char *const words[] = {"true", "false", "yes", "no"};
    const unsigned char *v = x->t + tk->off;
    size_t n = tk->len, i;
    char low[8];

    if (tk->type == STRATA_TOK_STRING || (tk->type == STRATA_TOK_NAME && v[0] == '"')) {
        if (n < 2 || v[0] != v[n - 1])
            return -1;
        v++;
        n -= 2;
    } else if (tk->type != STRATA_TOK_WORD && tk->type != STRATA_TOK_OTHER) {
        return -1;
    }
    if (n == 0 || n >= sizeof(low))
        return -1;
    for (i = 0; i < n; i++)
        low[i] = (char)(v[i] | 0x20);
    low[n] = '\0';
    if (n == 1 && (low[0] == '1' || low[0] == '0'))
        return low[0] == '1';
    if (strcmp(low, "on") == 0)
        return 1;
    if (n >= 2 && strncmp(low, "off", n) == 0)
        return 0;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strncmp(low, words[i], n) == 0 && n <= strlen(words[i]))
            return i % 2 == 0;
    return -1;
}

/* True when token tk names the setting standard_conforming_strings. */
static int
is_scs_name(const text *x, const strata_tok *tk)
{
    static const char name[] = "standard_conforming_strings";
    const unsigned char *v = x->t + tk->off;

    if (tk->type == STRATA_TOK_WORD)
        return tk->len == sizeof(name) - 1 && strata_kw(v, tk->len, "STANDARD_CONFORMING_STRINGS");
    return tk->type == STRATA_TOK_NAME && tk->len == sizeof(name) + 1 && v[0] == '"' &&
           memcmp(v + 1, name, sizeof(name) - 1) == 0;
}

/* SET [SESSION | LOCAL] standard_conforming_strings { TO | = } value, after SET. */
static int
scs_set(const text *x, size_t p)
{
    strata_tok tk;
    int on;

    next(x, &p, &tk);
    if (strata_tok_kw(x->t, &tk, "SESSION") || strata_tok_kw(x->t, &tk, "LOCAL"))
        next(x, &p, &tk);
    if (!is_scs_name(x, &tk))
        return -1;
    next(x, &p, &tk);
    if (!strata_tok_kw(x->t, &tk, "TO") &&
        !(tk.type == STRATA_TOK_OTHER && tk.len == 1 && x->t[tk.off] == '='))
        return -1;
    if (next(x, &p, &tk) == STRATA_TOK_END)
        return -1;
    on = strata_tok_kw(x->t, &tk, "DEFAULT") ? 1 : bool_value(x, &tk);
    if (on < 0 || next(x, &p, &tk) != STRATA_TOK_END)
        return -1;
    return !on;
}

int
strata_sql_std_strings(const strata_sqlscan *sc, const unsigned char *t, size_t n)
{
    text x = {sc, t, n};
    strata_tok tk;
    size_t p = 0;

    if (next(&x, &p, &tk) != STRATA_TOK_WORD)
        return -1;
    if (strata_tok_kw(t, &tk, "SET"))
        return scs_set(&x, p);
    if (strata_tok_kw(t, &tk, "RESET") || strata_tok_kw(t, &tk, "DISCARD")) {
        int discard = strata_tok_kw(t, &tk, "DISCARD");

        next(&x, &p, &tk);
        if (!strata_tok_kw(t, &tk, "ALL") && (discard || !is_scs_name(&x, &tk)))
            return -1;
        return next(&x, &p, &tk) == STRATA_TOK_END ? 0 : -1;
    }
    return -1;
}
