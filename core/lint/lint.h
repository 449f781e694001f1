/*
 * Linting migrations (docs/lint.md): each selected migration's up and down scripts are split
 * as up would split them, each statement is read into tokens, and the rules of the dialect
 * the driver declares look at it. The rules know SQL dialects, never drivers: a driver
 * declaring the dialect "postgres" gets PostgreSQL's rules.
 *
 * lint.c walks the migrations and builds the report; stmt.c reads statements; rules.c holds
 * the catalogue; check_*.c hold the rules, one file per dialect family and one for all.
 */
#ifndef STRATA_LINT_H
#define STRATA_LINT_H

#include <stddef.h>

#include <strata/strata.h>

#include "source.h"
#include "sqlscan.h"

/* The longest object name the rules keep (longer ones are cut: they only read in messages). */
#define NAME_MAX_LEN 128

/* The dialect families that have rules of their own. */
enum lint_family { LINT_OTHER, LINT_POSTGRES, LINT_MYSQL, LINT_SQLITE };

/* One statement of a script, read into tokens. */
typedef struct lint_stmt {
    char *text; /* as the splitter yields it; owned */
    size_t len;
    long line, col;   /* where it starts in the file */
    unsigned flags;   /* STRATA_STMT_* */
    strata_tok *toks; /* owned */
    int *depth;       /* parenthesis depth at each token (its own "(" counts outside) */
    size_t ntoks;
} lint_stmt;

/* A "-- strata:lint-ignore RULE reason" comment. */
typedef struct lint_directive {
    long line;    /* of the comment */
    char *rule;   /* owned */
    char *reason; /* owned; "" when none was given */
    int whole;    /* strata:lint-ignore-file: the whole script */
    int used;
} lint_directive;

typedef struct lint_script {
    const strata_script *script; /* NULL: the migration has none */
    int down;
    lint_stmt *stmts;
    size_t count;
    lint_directive *dirs;
    size_t ndirs;
    /* what the statements read so far did */
    int lock_timeout;   /* PostgreSQL: a SET lock_timeout ran */
    int lock_reported;  /* pg-lock-timeout was reported for this script */
    int in_transaction; /* inside the script's own BEGIN ... COMMIT */
} lint_script;

/* A list of owned, lower-cased names. */
typedef struct lint_names {
    char **items;
    size_t count;
} lint_names;

/* What one migration's up script creates, renames and changes, for the rules that ask
 * whether a table is new and whether the down undoes the up. */
typedef struct lint_migration {
    const strata_migration *m;
    lint_script up, down;
    lint_names tables;  /* tables the up creates */
    lint_names created; /* objects the up creates: "kind name" ("index users_email") */
    lint_names columns; /* columns the up adds: "table.column" */
    lint_names renamed; /* names the up renames things to */
    lint_names written; /* tables the up's DML writes */
} lint_migration;

typedef struct lint_run {
    enum lint_family family;
    int version[3]; /* the server's version, {0, 0, 0}: unknown */
    strata_lint_report *report;
    /* across the migrations linted, in order */
    lint_names weak_tables;     /* MySQL: tables created with an engine without FKs */
    lint_names not_null_checks; /* PostgreSQL: "table constraint column" NOT VALID checks */
    lint_names not_null_proven; /* PostgreSQL: "table.column" validated IS NOT NULL */
} lint_run;

/* ---- rules.c ---- */

/* The rule called id, or NULL. */
const strata_lint_rule *lint_rule(const char *id);
/* The family of rules for a dialect name as a driver declares it (any known spelling). */
enum lint_family lint_family_of(const char *dialect);

/* ---- lint.c ---- */

/* Records a finding of rule at statement st of script sc (st NULL: the whole script), unless
 * a lint-ignore comment suppresses it (then it is recorded as suppressed). */
void lint_find(lint_run *run, const lint_migration *lm, lint_script *sc, const lint_stmt *st,
               const char *rule, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---- stmt.c ---- */

/* Reads st->text into tokens with sc's rules; allocates st->toks and st->depth. */
void lint_stmt_tokenize(lint_stmt *st, const strata_sqlscan *sc);
void lint_stmt_free(lint_stmt *st);
/* True when token i is the keyword kw (upper case). */
int lint_kw(const lint_stmt *st, size_t i, const char *kw);
/* True when token i is one of the NULL-terminated keywords (upper case). */
int lint_kw_in(const lint_stmt *st, size_t i, const char *const *words);
/* True when tokens i, i+1, ... are the keywords of the space-separated words. */
int lint_kws(const lint_stmt *st, size_t i, const char *words);
/* True when token i is the punctuation c. */
int lint_punct(const lint_stmt *st, size_t i, char c);
/* The first token in [from, to) at depth depth that is keyword kw, or to. */
size_t lint_find_kw(const lint_stmt *st, size_t from, size_t to, int depth, const char *kw);
/* The end of the depth-depth comma-separated item starting at from (before to). */
size_t lint_item_end(const lint_stmt *st, size_t from, size_t to, int depth);
/* True when token i is a name (a word or a quoted or dotted name). */
int lint_is_name(const lint_stmt *st, size_t i);
/* Writes the object name of token i into out: the last dotted part, unquoted, lower-cased
 * (a quoted part keeps its case). "" when token i is not a name. */
void lint_name(const lint_stmt *st, size_t i, char *out, size_t size);
/* Skips IF EXISTS / IF NOT EXISTS at i. */
size_t lint_skip_if(const lint_stmt *st, size_t i);
/* An excerpt of the statement's first line (at most 100 bytes), newly allocated. */
char *lint_excerpt(const lint_stmt *st);
/* True when text mentions name as a whole word (ASCII case ignored). */
int lint_mentions(const char *text, const char *name);

/* ---- lists ---- */
void lint_names_add(lint_names *l, const char *name);
int lint_names_has(const lint_names *l, const char *name);
void lint_names_free(lint_names *l);

/* ---- check_*.c: each looks at statement i of sc ---- */

/* Fills lm's lists from its up script. */
void lint_collect(lint_migration *lm);
/* True when the up script of lm creates the table name. */
int lint_new_table(const lint_migration *lm, const char *name);
void lint_check_all(lint_run *run, lint_migration *lm, lint_script *sc, size_t i);
void lint_check_migration(lint_run *run, lint_migration *lm);
void lint_check_postgres(lint_run *run, lint_migration *lm, lint_script *sc, size_t i);
void lint_check_mysql(lint_run *run, lint_migration *lm, lint_script *sc, size_t i);
void lint_check_mysql_migration(lint_run *run, lint_migration *lm);
void lint_check_sqlite(lint_run *run, lint_migration *lm, lint_script *sc, size_t i);

/* The table an ALTER TABLE statement names (its token index), or 0 when st is none. */
size_t lint_alter_table(const lint_stmt *st);

#endif
