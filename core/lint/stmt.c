/*
 * Reading one statement for the lint rules: its tokens with their parenthesis depth, and
 * the small questions the rules ask of them.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint.h"
#include "util.h"

/* Reads st->text into tokens; allocates st->toks and st->depth (freed by lint_stmt_free). */
void
lint_stmt_tokenize(lint_stmt *st, const strata_sqlscan *sc)
{
    const unsigned char *t = (const unsigned char *)st->text;
    size_t cap = 16, p = 0;
    int depth = 0;
    strata_tok tk;
    st->toks = strata_xmalloc(cap * sizeof(*st->toks));
    st->depth = strata_xmalloc(cap * sizeof(*st->depth));
    st->ntoks = 0;
    while (strata_sql_next_token(sc, t, st->len, &p, &tk) != STRATA_TOK_END) {
        if (st->ntoks == cap) {
            cap *= 2;
            st->toks = strata_xrealloc(st->toks, cap * sizeof(*st->toks));
            st->depth = strata_xrealloc(st->depth, cap * sizeof(*st->depth));
        }
        int close = tk.type == STRATA_TOK_OTHER && tk.len == 1 && t[tk.off] == ')';
        if (close && depth > 0)
            depth--;
        st->toks[st->ntoks] = tk;
        st->depth[st->ntoks++] = depth;
        if (tk.type == STRATA_TOK_OTHER && tk.len == 1 && t[tk.off] == '(')
            depth++;
    }
}

void
lint_stmt_free(lint_stmt *st)
{
    free(st->text);
    free(st->toks);
    free(st->depth);
}

int
lint_kw(const lint_stmt *st, size_t i, const char *kw)
{
    return i < st->ntoks && st->toks[i].type == STRATA_TOK_WORD &&
           strata_kw((const unsigned char *)st->text + st->toks[i].off, st->toks[i].len, kw);
}

int
lint_kw_in(const lint_stmt *st, size_t i, const char *const *words)
{
    for (; *words != NULL; words++)
        if (lint_kw(st, i, *words))
            return 1;
    return 0;
}

int
lint_kws(const lint_stmt *st, size_t i, const char *words)
{
    char word[32];
    while (*words != '\0') {
        size_t n = strcspn(words, " ");
        if (n == 0 || n >= sizeof(word))
            return 0;
        memcpy(word, words, n);
        word[n] = '\0';
        if (!lint_kw(st, i++, word))
            return 0;
        words += n;
        words += *words == ' ';
    }
    return 1;
}

int
lint_punct(const lint_stmt *st, size_t i, char c)
{
    return i < st->ntoks && st->toks[i].type == STRATA_TOK_OTHER && st->toks[i].len == 1 &&
           st->text[st->toks[i].off] == c;
}

size_t
lint_find_kw(const lint_stmt *st, size_t from, size_t to, int depth, const char *kw)
{
    for (size_t i = from; i < to && i < st->ntoks; i++)
        if (st->depth[i] == depth && lint_kw(st, i, kw))
            return i;
    return to;
}

size_t
lint_item_end(const lint_stmt *st, size_t from, size_t to, int depth)
{
    size_t i = from;
    while (i < to && i < st->ntoks && !(st->depth[i] == depth && lint_punct(st, i, ',')) &&
           !(st->depth[i] < depth))
        i++;
    return i;
}

int
lint_is_name(const lint_stmt *st, size_t i)
{
    return i < st->ntoks &&
           (st->toks[i].type == STRATA_TOK_WORD || st->toks[i].type == STRATA_TOK_NAME);
}

/* Copies the part [s, e) of a name into out, unquoted; lower-cased unless it was quoted. */
static void
name_part(const char *s, const char *e, char *out, size_t size)
{
    size_t n = 0;
    int quoted = e - s >= 2 && (*s == '"' || *s == '`' || *s == '[');
    if (quoted)
        s++, e--;
    for (; s < e && n + 1 < size; s++) {
        char c = *s;
        if (quoted && (c == '"' || c == '`') && s + 1 < e && s[1] == c)
            s++; /* a doubled quote */
        else if (!quoted && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[n++] = c;
    }
    out[n] = '\0';
}

void
lint_name(const lint_stmt *st, size_t i, char *out, size_t size)
{
    out[0] = '\0';
    if (!lint_is_name(st, i) || size == 0)
        return;
    const char *s = st->text + st->toks[i].off, *e = s + st->toks[i].len, *last = s;
    char q = 0;
    for (const char *c = s; c < e; c++) { /* the start of the last dotted part */
        if (q != 0) {
            if (*c == (q == '[' ? ']' : q))
                q = 0;
        } else if (*c == '"' || *c == '`' || *c == '[') {
            q = *c;
        } else if (*c == '.') {
            last = c + 1;
        }
    }
    name_part(last, e, out, size);
}

size_t
lint_skip_if(const lint_stmt *st, size_t i)
{
    if (lint_kws(st, i, "IF NOT EXISTS"))
        return i + 3;
    if (lint_kws(st, i, "IF EXISTS"))
        return i + 2;
    return i;
}

char *
lint_excerpt(const lint_stmt *st)
{
    size_t n = strcspn(st->text, "\r\n");
    if (n > 100)
        return strata_xasprintf("%.97s...", st->text);
    return strata_xstrndup(st->text, n);
}

static int
word_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

int
lint_mentions(const char *text, const char *name)
{
    size_t n = strlen(name);
    if (n == 0)
        return 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (strncasecmp(p, name, n) == 0 && (p == text || !word_byte(p[-1])) && !word_byte(p[n]))
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ lists */

void
lint_names_add(lint_names *l, const char *name)
{
    if (lint_names_has(l, name))
        return;
    l->items = strata_xrealloc(l->items, (l->count + 1) * sizeof(*l->items));
    l->items[l->count++] = strata_xstrdup(name);
}

int
lint_names_has(const lint_names *l, const char *name)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcasecmp(l->items[i], name) == 0)
            return 1;
    return 0;
}

void
lint_names_free(lint_names *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}
