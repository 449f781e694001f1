#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <string.h>

#include "blocks.h"
#include "sqlscan.h"

/*
 * How it works. A statement is first read as a header: CREATE [OR REPLACE] [DEFINER = user]
 * followed by TRIGGER, PROCEDURE, FUNCTION or EVENT (ALTER [DEFINER = user] EVENT), up to
 * where the server starts reading the body: after FOR EACH ROW [FOLLOWS|PRECEDES name],
 * after DO, or after the parameter list, RETURNS type and characteristics. From the body's
 * first token on, a stack holds the open blocks; each entry knows whether it is still in
 * its condition (IF x THEN, WHEN x THEN, WHILE x DO, FOR x DO, UNTIL x END REPEAT), where
 * THEN and DO start statements and CASE opens an expression. The body is one statement
 * (sp_proc_stmt in the server's grammar): when it is not a block, or when its outermost
 * block closed, nothing more needs following.
 */

enum {
    P_OFF,
    P_FILLER,     /* after CREATE / ALTER: OR REPLACE, AGGREGATE, DEFINER = user */
    P_DEFINER,    /* inside DEFINER = user@host (sub: the step) */
    P_TRIGGER,    /* waiting for FOR EACH ROW (sub: how much of it was seen) */
    P_TRIG_ORDER, /* after FOR EACH ROW: FOLLOWS / PRECEDES name */
    P_EVENT,      /* waiting for DO */
    P_NAME,       /* routine name, waiting for the parameter list */
    P_PARAMS,     /* inside the parameter list */
    P_RETURNS,    /* after a function's parameters */
    P_TYPE,       /* the type name after RETURNS */
    P_TYPE_MORE,  /* type arguments and attributes */
    P_TYPE_PAREN, /* inside the type's arguments */
    P_TYPE_CHAR,  /* after CHAR / CHARACTER: SET charset may follow */
    P_CHARS,      /* routine characteristics */
    P_SKIP,       /* skips one token, then goes back to b->back */
    P_BODY_START, /* the next token starts the body */
    P_BEGIN,      /* a statement starting with BEGIN: NOT ATOMIC makes it a block */
    P_BEGIN_NOT,
    P_BODY
};

/* Kinds of open blocks. */
enum { K_BLOCK, K_IF, K_CASE, K_LOOP, K_WHILE, K_REPEAT, K_FOR, K_CASE_EXPR };

/* DECLARE ... HANDLER FOR condition [, condition] statement */
enum { D_NONE, D_DECL, D_KIND, D_HANDLER, D_COND, D_STATE, D_NOT, D_NEXT };

#define BT_WORD (-1)

typedef struct bt_tok {
    int kind; /* BT_WORD or STRATA_BT_* */
    const unsigned char *w;
    size_t n;
    unsigned char c;
} bt_tok;

static int
is_kw(const bt_tok *t, const char *k)
{
    return t->kind == BT_WORD && strata_kw(t->w, t->n, k);
}

static int
is_kw_any(const bt_tok *t, const char *const *ks)
{
    return t->kind == BT_WORD && strata_kw_any(t->w, t->n, ks);
}

static int
is_punct(const bt_tok *t, unsigned char c)
{
    return t->kind == STRATA_BT_PUNCT && t->c == c;
}

/* ---- the stack ---- */

static void
push(strata_blocks *b, int kind, int cond)
{
    if (b->depth == STRATA_BLOCKS_DEPTH) {
        b->overflow = 1;
        return;
    }
    b->kind[b->depth] = (uint8_t)kind;
    b->cond[b->depth] = (uint8_t)cond;
    b->depth++;
}

static int
top(const strata_blocks *b)
{
    return b->depth > 0 ? b->kind[b->depth - 1] : -1;
}

static int
top_in_cond(const strata_blocks *b, int k1, int k2)
{
    int k = top(b);

    return (k == k1 || k == k2) && b->cond[b->depth - 1];
}

/* ---- the body ---- */

/* Words after which an operand is expected: END and DO there are names (THEN end). */
static int
expects_operand(const bt_tok *t)
{
    static const char *const words[] = {
        "THEN",   "ELSE",  "WHEN",   "CASE",     "AND",      "OR",      "NOT",    "XOR",
        "IS",     "LIKE",  "REGEXP", "RLIKE",    "IN",       "BETWEEN", "DIV",    "MOD",
        "SELECT", "WHERE", "SET",    "UNTIL",    "WHILE",    "IF",      "ELSEIF", "RETURN",
        "BY",     "ON",    "HAVING", "DISTINCT", "INTERVAL", "BINARY",  "ESCAPE", "AS",
        "FROM",   "JOIN",  "INTO",   "UPDATE",   "TABLE",    "VALUES",  "USING",  "EXISTS",
        "ALL",    "ANY",   "SOME",   "LIMIT",    "OFFSET",   "DECLARE", "CALL",   NULL};

    return is_kw_any(t, words);
}

/* A word where a statement of the body starts. */
static void
start_word(strata_blocks *b, const bt_tok *t)
{
    int fresh = b->fresh;

    b->at_start = 0;
    b->fresh = 0;
    b->operand = 0;
    if (fresh == 1 && is_kw(t, "NOT")) {
        b->fresh = 2;
        b->at_start = 1;
    } else if (fresh == 2 && is_kw(t, "ATOMIC")) {
        b->at_start = 1;
    } else if (is_kw(t, "BEGIN")) {
        push(b, K_BLOCK, 0);
        b->at_start = 1;
        b->fresh = 1;
    } else if (is_kw(t, "IF")) {
        push(b, K_IF, 1);
    } else if (is_kw(t, "CASE")) {
        push(b, K_CASE, 1);
    } else if (is_kw(t, "LOOP") || is_kw(t, "REPEAT")) {
        push(b, is_kw(t, "LOOP") ? K_LOOP : K_REPEAT, 0);
        b->at_start = 1;
    } else if (is_kw(t, "WHILE") || is_kw(t, "FOR")) {
        push(b, is_kw(t, "WHILE") ? K_WHILE : K_FOR, 1);
    } else if (is_kw(t, "END")) {
        if (b->depth > 0)
            b->depth--;
        b->skip_case = 1;
        b->operand = 1;
    } else if (is_kw(t, "ELSEIF") || is_kw(t, "WHEN") || is_kw(t, "UNTIL")) {
        int k = is_kw(t, "ELSEIF") ? K_IF : is_kw(t, "WHEN") ? K_CASE : K_REPEAT;

        if (top(b) == k)
            b->cond[b->depth - 1] = 1;
    } else if (is_kw(t, "ELSE")) {
        b->at_start = top(b) == K_IF || top(b) == K_CASE;
    } else if (is_kw(t, "DECLARE")) {
        b->decl = D_DECL;
    } else {
        b->label = 1; /* a label when ':' follows */
    }
}

/* A word inside a statement of the body. */
static void
mid_word(strata_blocks *b, const bt_tok *t)
{
    int name_here = !b->operand; /* an operand is expected: END and DO are names */
    int skip_case = b->skip_case;

    b->skip_case = 0;
    b->operand = 1;
    if (is_kw(t, "CASE")) {
        if (!skip_case)
            push(b, K_CASE_EXPR, 1);
        b->operand = 0;
    } else if (is_kw(t, "END") && !name_here) {
        if (top(b) == K_CASE_EXPR) {
            b->depth--;
        } else if (top_in_cond(b, K_REPEAT, K_REPEAT)) {
            b->depth--;
            b->skip_case = 1;
        }
    } else if (is_kw(t, "THEN")) {
        if (top_in_cond(b, K_IF, K_CASE)) {
            b->cond[b->depth - 1] = 0;
            b->at_start = 1;
        }
        b->operand = 0;
    } else if (is_kw(t, "DO") && !name_here && top_in_cond(b, K_WHILE, K_FOR)) {
        b->cond[b->depth - 1] = 0;
        b->at_start = 1;
    } else if (expects_operand(t)) {
        b->operand = 0;
    }
}

/* DECLARE ... HANDLER FOR conditions: 1 when the token was consumed there. */
static int
decl_step(strata_blocks *b, const bt_tok *t)
{
    static const char *const kinds[] = {"CONTINUE", "EXIT", "UNDO", NULL};
    int d = b->decl;

    b->decl = D_NONE;
    if (d == D_DECL && is_kw_any(t, kinds))
        b->decl = D_KIND;
    else if (d == D_KIND && is_kw(t, "HANDLER"))
        b->decl = D_HANDLER;
    else if (d == D_HANDLER && is_kw(t, "FOR"))
        b->decl = D_COND;
    else if (d == D_COND)
        b->decl = is_kw(t, "SQLSTATE") ? D_STATE : is_kw(t, "NOT") ? D_NOT : D_NEXT;
    else if (d == D_STATE)
        b->decl = t->kind == STRATA_BT_STRING ? D_NEXT : D_STATE;
    else if (d == D_NOT && is_kw(t, "FOUND"))
        b->decl = D_NEXT;
    else if (d == D_NEXT && is_punct(t, ','))
        b->decl = D_COND;
    else if (d == D_NEXT)
        b->at_start = 1; /* the handler's statement starts here */
    else
        return 0;
    return b->decl != D_NONE;
}

static void
body(strata_blocks *b, const bt_tok *t)
{
    int label = b->label;

    b->label = 0;
    if (b->decl != D_NONE && decl_step(b, t))
        return;
    if (is_punct(t, ':') && label) {
        b->at_start = 1;
        return;
    }
    if (t->kind == BT_WORD) {
        if (b->at_start)
            start_word(b, t);
        else
            mid_word(b, t);
        return;
    }
    b->label = b->at_start && t->kind == STRATA_BT_NAME; /* `label`: */
    b->at_start = 0;
    b->fresh = 0;
    b->skip_case = 0;
    b->operand = t->kind != STRATA_BT_PUNCT || t->c == ')';
}

static void
body_start(strata_blocks *b, const bt_tok *t)
{
    b->phase = P_BODY;
    b->compound = 1;
    b->depth = 0;
    b->at_start = 1;
    body(b, t);
}

/* ---- the header ---- */

static void header(strata_blocks *b, const bt_tok *t);

static void
filler(strata_blocks *b, const bt_tok *t)
{
    static const char *const skip[] = {"OR", "REPLACE", "AGGREGATE", NULL};

    if (is_kw_any(t, skip))
        return;
    b->phase = P_OFF;
    if (is_kw(t, "DEFINER")) {
        b->phase = P_DEFINER;
        b->sub = 0;
    } else if (is_kw(t, "EVENT")) {
        b->phase = P_EVENT;
    } else if (b->alter) {
        return;
    } else if (is_kw(t, "TRIGGER")) {
        b->phase = P_TRIGGER;
        b->sub = 0;
    } else if (is_kw(t, "PROCEDURE") || is_kw(t, "FUNCTION")) {
        b->phase = P_NAME;
        b->func = is_kw(t, "FUNCTION");
    }
}

/* DEFINER = user[@host] | CURRENT_USER[()] | CURRENT_ROLE[()] */
static void
definer(strata_blocks *b, const bt_tok *t)
{
    switch (b->sub) {
    case 0:
        b->sub = 1;
        if (!is_punct(t, '='))
            b->phase = P_OFF;
        return;
    case 1:
        b->sub = is_kw(t, "CURRENT_USER") || is_kw(t, "CURRENT_ROLE") ? 4 : 2;
        return;
    case 2:
    case 4:
        if (is_punct(t, b->sub == 2 ? '@' : '(')) {
            b->sub++;
            return;
        }
        break;
    default: /* the host, or the ')' of CURRENT_USER() */
        b->phase = P_FILLER;
        return;
    }
    b->phase = P_FILLER;
    header(b, t);
}

/* Waits for FOR EACH ROW. */
static void
trigger(strata_blocks *b, const bt_tok *t)
{
    if (is_kw(t, "FOR"))
        b->sub = 1;
    else if (b->sub == 1 && is_kw(t, "EACH"))
        b->sub = 2;
    else if (b->sub == 2 && is_kw(t, "ROW"))
        b->phase = P_TRIG_ORDER;
    else
        b->sub = 0;
}

static void
skip_then(strata_blocks *b, int back)
{
    b->phase = P_SKIP;
    b->back = back;
}

/* RETURNS type: the type name, its arguments and attributes. */
static void
type_more(strata_blocks *b, const bt_tok *t)
{
    static const char *const attrs[] = {
        "UNSIGNED",  "SIGNED",  "ZEROFILL", "BINARY",       "ASCII",     "UNICODE", "BYTE",
        "PRECISION", "VARYING", "VARCHAR",  "VARCHARACTER", "VARBINARY", NULL};

    if (is_punct(t, '(')) {
        b->phase = P_TYPE_PAREN;
        b->paren = 1;
    } else if (is_kw(t, "CHARSET") || is_kw(t, "COLLATE")) {
        skip_then(b, P_TYPE_MORE);
    } else if (is_kw(t, "CHAR") || is_kw(t, "CHARACTER")) {
        b->phase = P_TYPE_CHAR;
    } else if (!is_kw_any(t, attrs)) {
        b->phase = P_CHARS;
        header(b, t);
    }
}

/* Routine characteristics, then the body. */
static void
characteristics(strata_blocks *b, const bt_tok *t)
{
    static const char *const words[] = {
        "LANGUAGE", "SQL",  "NOT",      "DETERMINISTIC", "CONTAINS", "NO", "READS",
        "MODIFIES", "DATA", "SECURITY", "DEFINER",       "INVOKER",  NULL};

    if (is_kw(t, "COMMENT"))
        skip_then(b, P_CHARS);
    else if (!is_kw_any(t, words))
        body_start(b, t);
}

static void
parens(strata_blocks *b, const bt_tok *t, int after)
{
    if (is_punct(t, '('))
        b->paren++;
    else if (is_punct(t, ')') && --b->paren == 0)
        b->phase = after;
}

/* A PROCEDURE or FUNCTION header after its keyword: name, parameters, RETURNS type,
 * characteristics, then the body. */
static void
routine(strata_blocks *b, const bt_tok *t)
{
    switch (b->phase) {
    case P_NAME:
        if (is_punct(t, '(')) {
            b->phase = P_PARAMS;
            b->paren = 1;
        } else if (is_kw(t, "RETURNS") || is_kw(t, "SONAME")) {
            b->phase = P_OFF; /* a loadable function: no body */
        }
        break;
    case P_PARAMS:
        parens(b, t, b->func ? P_RETURNS : P_CHARS);
        break;
    case P_RETURNS:
        b->phase = P_CHARS;
        if (is_kw(t, "RETURNS"))
            b->phase = P_TYPE;
        else
            characteristics(b, t);
        break;
    case P_TYPE:
        b->phase = P_TYPE_MORE;
        break;
    case P_TYPE_PAREN:
        parens(b, t, P_TYPE_MORE);
        break;
    case P_TYPE_CHAR:
        b->phase = P_TYPE_MORE;
        if (is_kw(t, "SET"))
            skip_then(b, P_TYPE_MORE);
        else
            type_more(b, t);
        break;
    case P_TYPE_MORE:
        type_more(b, t);
        break;
    default:
        characteristics(b, t);
        break;
    }
}

static void
header(strata_blocks *b, const bt_tok *t)
{
    switch (b->phase) {
    case P_FILLER:
        filler(b, t);
        break;
    case P_DEFINER:
        definer(b, t);
        break;
    case P_TRIGGER:
        trigger(b, t);
        break;
    case P_TRIG_ORDER:
        if (is_kw(t, "FOLLOWS") || is_kw(t, "PRECEDES"))
            skip_then(b, P_BODY_START);
        else
            body_start(b, t);
        break;
    case P_EVENT:
        if (is_kw(t, "DO"))
            b->phase = P_BODY_START;
        break;
    case P_NAME:
    case P_PARAMS:
    case P_RETURNS:
    case P_TYPE:
    case P_TYPE_MORE:
    case P_TYPE_PAREN:
    case P_TYPE_CHAR:
    case P_CHARS:
        routine(b, t);
        break;
    case P_SKIP:
        b->phase = b->back;
        break;
    case P_BODY_START:
        body_start(b, t);
        break;
    case P_BEGIN:
        b->phase = is_kw(t, "NOT") ? P_BEGIN_NOT : P_OFF;
        break;
    case P_BEGIN_NOT:
        b->phase = P_OFF;
        if (is_kw(t, "ATOMIC")) {
            b->phase = P_BODY;
            b->compound = 1;
            push(b, K_BLOCK, 0);
            b->at_start = 1;
        }
        break;
    default:
        body(b, t);
        break;
    }
}

/* ---- API ---- */

/* Whether w[0, n) may be CREATE, ALTER, BEGIN or a compound statement's first word, by its
 * first letter and length alone. */
static int
may_start(const unsigned char *w, size_t n)
{
    switch (w[0] | 0x20) {
    case 'a':
    case 'b':
    case 'w':
        return n == 5; /* ALTER, BEGIN, WHILE */
    case 'c':
        return n == 4 || n == 6; /* CASE, CREATE */
    case 'f':
        return n == 3;
    case 'i':
        return n == 2;
    case 'l':
        return n == 4;
    case 'r':
        return n == 6;
    default:
        return 0;
    }
}

static int
following(const strata_blocks *b)
{
    if (b->phase == P_OFF)
        return 0;
    return b->phase != P_BODY || b->depth > 0 || b->at_start || b->label;
}

int
strata_blocks_start(strata_blocks *b, const unsigned char *w, size_t n)
{
    static const char *const compound[] = {"IF", "CASE", "LOOP", "REPEAT", "WHILE", "FOR", NULL};
    bt_tok t = {BT_WORD, w, n, 0};

    b->phase = P_OFF;
    if (!may_start(w, n))
        return 0; /* most statements: nothing to follow, and nothing to set up */
    memset(b, 0, sizeof(*b));
    if (strata_kw(w, n, "CREATE") || strata_kw(w, n, "ALTER")) {
        b->phase = P_FILLER;
        b->alter = strata_kw(w, n, "ALTER");
    } else if (strata_kw(w, n, "BEGIN")) {
        b->phase = P_BEGIN;
    } else if (strata_kw_any(w, n, compound)) {
        body_start(b, &t); /* MariaDB runs these outside stored programs too */
    }
    return following(b);
}

int
strata_blocks_word(strata_blocks *b, const unsigned char *w, size_t n)
{
    bt_tok t = {BT_WORD, w, n, 0};

    header(b, &t);
    return following(b);
}

int
strata_blocks_token(strata_blocks *b, int kind, unsigned char c)
{
    bt_tok t = {kind, NULL, 0, c};

    header(b, &t);
    return following(b);
}

int
strata_blocks_semicolon(strata_blocks *b)
{
    if (b->phase != P_BODY)
        return 1;
    while (b->depth > 0 && b->kind[b->depth - 1] == K_CASE_EXPR)
        b->depth--; /* a CASE expression never holds a ';' */
    if (b->depth == 0)
        return 1;
    b->at_start = 1;
    b->label = 0;
    b->decl = D_NONE;
    b->fresh = 0;
    b->skip_case = 0;
    b->operand = 0;
    return 0;
}
