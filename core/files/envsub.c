#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "envsub.h"
#include "util.h"

#define ENVSUB_IN_SIZE 4096

/* Where a pending "${..." expression has got to. */
enum expr_stage {
    X_NONE,    /* not in an expression */
    X_DOLLAR,  /* "$" */
    X_BRACE,   /* "${" */
    X_NAME,    /* "${N..." */
    X_COLON,   /* "${NAME:" */
    X_DEFAULT, /* "${NAME:-..." or "${NAME-..." */
};

struct strata_envsub {
    strata_read_fn read;
    void *ctx;
    char in[ENVSUB_IN_SIZE];
    size_t in_pos, in_len;
    int eof;
    int failed;
    int on;    /* inside an ENVSUB ON region */
    int whole; /* placeholder mode: the whole text is one region, markers mean nothing */
    strata_envsub_lookup lookup; /* where values come from; NULL: the environment */
    void *lookup_ctx;

    char line[STRATA_ENVSUB_LINE_MAX]; /* the current raw line so far, to spot markers */
    size_t line_len;
    int line_long; /* the current line is longer than line[]: not a marker */

    char expr[STRATA_ENVSUB_EXPR_MAX]; /* the raw text of a pending expression */
    size_t expr_len;
    size_t name_len; /* length of VAR in expr (after "${") */
    int colon;       /* ":-": an empty value counts as unset */
    enum expr_stage stage;

    strata_buf out; /* text ready for the caller, from out_pos */
    size_t out_pos;
};

/* ------------------------------------------------------------------ marker lines */

static int
is_blank_char(char c)
{
    return c == ' ' || c == '\t';
}

/* Skips the word at *p (case-insensitive) and the blanks after it; 0 if it is not there or
 * need_blank and no blank follows. */
static int
take_word(const char **p, const char *end, const char *word, int need_blank)
{
    size_t n = strlen(word);
    if ((size_t)(end - *p) < n || strncasecmp(*p, word, n) != 0)
        return 0;
    const char *q = *p + n;
    if (need_blank && (q == end || !is_blank_char(*q)))
        return 0;
    while (q < end && is_blank_char(*q))
        q++;
    *p = q;
    return 1;
}

int
strata_envsub_marker(const char *line, size_t n)
{
    if (n > STRATA_ENVSUB_LINE_MAX)
        return 0;
    const char *p = line, *end = line + n;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || is_blank_char(end[-1])))
        end--;
    while (p < end && is_blank_char(*p))
        p++;
    if (!take_word(&p, end, "--", 0) || !take_word(&p, end, "+goose", 1) ||
        !take_word(&p, end, "envsub", 1))
        return 0;
    if (end - p == 2 && strncasecmp(p, "on", 2) == 0)
        return 1;
    if (end - p == 3 && strncasecmp(p, "off", 3) == 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ the filter */

strata_envsub *
strata_envsub_create(strata_read_fn read, void *ctx)
{
    strata_envsub *e = strata_xcalloc(1, sizeof(*e));
    e->read = read;
    e->ctx = ctx;
    return e;
}

void
strata_envsub_use_values(strata_envsub *e, strata_envsub_lookup lookup, void *ctx)
{
    e->lookup = lookup;
    e->lookup_ctx = ctx;
    e->whole = 1;
    e->on = 1;
}

void
strata_envsub_start_inside(strata_envsub *e)
{
    e->on = 1;
}

void
strata_envsub_free(strata_envsub *e)
{
    if (e == NULL)
        return;
    strata_buf_free(&e->out);
    free(e);
}

static int
is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/* The pending expression was not one: its text goes out as it is. */
static void
expr_flush_raw(strata_envsub *e)
{
    strata_buf_append(&e->out, e->expr, e->expr_len);
    e->expr_len = 0;
    e->stage = X_NONE;
}

/* The pending expression ended with its '}': its value goes out. */
static void
expr_substitute(strata_envsub *e)
{
    char name[STRATA_ENVSUB_EXPR_MAX];
    memcpy(name, e->expr + 2, e->name_len);
    name[e->name_len] = '\0';
    const char *value = e->lookup ? e->lookup(e->lookup_ctx, name) : getenv(name);
    if (e->lookup != NULL && value == NULL && e->stage != X_DEFAULT) {
        /* an unknown placeholder stays as written, closing brace included */
        e->expr[e->expr_len++] = '}';
        expr_flush_raw(e);
        return;
    }
    if (e->stage == X_DEFAULT && (value == NULL || (e->colon && *value == '\0'))) {
        size_t skip = 2 + e->name_len + (e->colon ? 2 : 1);
        strata_buf_append(&e->out, e->expr + skip, e->expr_len - skip);
    } else if (value != NULL) {
        strata_buf_puts(&e->out, value);
    }
    e->expr_len = 0;
    e->stage = X_NONE;
}

static void
expr_push(strata_envsub *e, char c, enum expr_stage next)
{
    e->expr[e->expr_len++] = c;
    e->stage = next;
}

/* Feeds c to the pending expression; 0 when c ended it without being used (the caller
 * then handles c as ordinary text). */
static int
expr_feed(strata_envsub *e, char c)
{
    if (e->expr_len == sizeof(e->expr) - 1) {
        expr_flush_raw(e); /* too long to be meant as one */
        return 0;
    }
    switch (e->stage) {
    case X_DOLLAR:
        if (c != '{')
            break;
        expr_push(e, c, X_BRACE);
        return 1;
    case X_BRACE:
        if (!is_name_start(c))
            break;
        e->name_len = 1;
        expr_push(e, c, X_NAME);
        return 1;
    case X_NAME:
        if (is_name_char(c)) {
            e->name_len++;
            expr_push(e, c, X_NAME);
        } else if (c == '}') {
            expr_substitute(e);
        } else if (c == ':') {
            expr_push(e, c, X_COLON);
        } else if (c == '-') {
            e->colon = 0;
            expr_push(e, c, X_DEFAULT);
        } else {
            break;
        }
        return 1;
    case X_COLON:
        if (c != '-')
            break;
        e->colon = 1;
        expr_push(e, c, X_DEFAULT);
        return 1;
    case X_DEFAULT:
        if (c == '\n')
            break;
        if (c == '}')
            expr_substitute(e);
        else
            expr_push(e, c, X_DEFAULT);
        return 1;
    case X_NONE:
        break;
    }
    expr_flush_raw(e);
    return 0;
}

/* Ordinary text: a '$' inside a region may start an expression. */
static void
text_feed(strata_envsub *e, char c)
{
    if (e->on && c == '$') {
        e->expr_len = 0;
        expr_push(e, c, X_DOLLAR);
        return;
    }
    strata_buf_append(&e->out, &c, 1);
}

/* Remembers the raw line for marker detection; at its end switches regions. */
static void
line_feed(strata_envsub *e, char c)
{
    if (e->line_len < sizeof(e->line))
        e->line[e->line_len++] = c;
    else
        e->line_long = 1;
    if (c != '\n')
        return;
    int marker = e->line_long || e->whole ? 0 : strata_envsub_marker(e->line, e->line_len);
    if (marker != 0)
        e->on = marker > 0;
    e->line_len = 0;
    e->line_long = 0;
}

static void
feed(strata_envsub *e, char c)
{
    if (e->stage == X_NONE || !expr_feed(e, c))
        text_feed(e, c);
    line_feed(e, c);
}

/* Reads the next piece of input; 0 at the end or on failure. */
static int
refill(strata_envsub *e)
{
    size_t n = e->read(e->ctx, e->in, sizeof(e->in));
    if (n == (size_t)-1) {
        e->failed = 1;
        return 0;
    }
    if (n == 0) {
        e->eof = 1;
        if (e->stage != X_NONE)
            expr_flush_raw(e); /* unterminated at the end of the input */
        return 0;
    }
    e->in_pos = 0;
    e->in_len = n;
    return 1;
}

size_t
strata_envsub_read(void *envsub, char *buf, size_t size)
{
    strata_envsub *e = envsub;
    if (e->failed)
        return (size_t)-1;
    if (e->out_pos == e->out.len) {
        e->out_pos = 0;
        strata_buf_reset(&e->out);
    }
    while (e->out.len - e->out_pos < size) {
        if (e->in_pos == e->in_len && (e->eof || !refill(e)))
            break;
        feed(e, e->in[e->in_pos++]);
    }
    if (e->failed)
        return (size_t)-1;
    size_t n = e->out.len - e->out_pos;
    if (n > size)
        n = size;
    if (n > 0)
        memcpy(buf, e->out.data + e->out_pos, n);
    e->out_pos += n;
    return n;
}
