/*
 * Running one migration script (DESIGN section 5).
 *
 * A migration runs in its own transaction together with its history row and event when
 * the database allows it. When it cannot (the driver lacks transactional DDL, a statement
 * cannot run in a transaction, the script manages its own transaction, or the file says
 * -- strata:no-transaction) the dirty protocol applies: the row is written 'dirty' right
 * before the first statement (a run stopped before that leaves no row), a checkpoint (statement
 * count and a hash chain of the statements run) follows every statement, and the row becomes
 * 'applied' at the end. Where the driver runs statements sent together one by one
 * (STRATA_CAP_AUTOCOMMIT_BATCH), each statement and its checkpoint travel in one round trip: the
 * checkpoint runs only when the statement did; and the 'dirty' row travels in front of the first
 * statement: that runs only once the row is written.
 *
 * A migration that may have changed the session ends by putting it back as strata opened it
 * (the driver's session_reset_sql), so a migration's USE or SET search_path cannot redirect
 * the next one. "May have" is read off the text (session_words()): the reset costs the
 * server real work on every migration, and most never touch the session.
 * A sqitch script wrapped in its own BEGIN ... COMMIT runs without that wrapper, inside
 * strata's transaction, followed by its verify script.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <strings.h>

#include "checksum.h"
#include "envsub.h"
#include "history.h"
#include "lexer.h"
#include "runner.h"
#include "schema.h"
#include "session.h"
#include "split.h"

/* What a first pass over a script found. */
typedef struct script_shape {
    unsigned flags; /* OR of the STRATA_STMT_* flags of the statements that will run */
    long count;     /* statements in the script */
    int wrapped;    /* STRATA_SCRIPT_OWN_TRANSACTION and the script is BEGIN ... COMMIT (or
                       ROLLBACK): its first and last statements are not run */
} script_shape;

/*
 * The bytes of a script as its first pass read them, so that the second pass (the run
 * after the prescan) does not read the file again. A script longer than SCRIPT_KEEP_MAX is
 * read twice instead: memory stays bounded whatever the file's size.
 */
#define SCRIPT_KEEP_MAX (1 << 20)

typedef struct script_bytes {
    strata_buf buf;
    int complete;         /* buf holds the whole script: the next pass reads it */
    int overflow;         /* the script is too long to keep */
    strata_read_fn inner; /* while recording: the file's reader */
    void *inner_ctx;
} script_bytes;

/* A strata_read_fn that reads through the file's reader and keeps a copy. */
static size_t
tee_read(void *ctx, char *buf, size_t size)
{
    script_bytes *b = ctx;
    size_t n = b->inner(b->inner_ctx, buf, size);
    if (b->overflow)
        return n;
    if (b->buf.len + n > SCRIPT_KEEP_MAX) {
        b->overflow = 1;
        strata_buf_free(&b->buf);
    } else {
        strata_buf_append(&b->buf, buf, n);
    }
    return n;
}

/* One script being run. */
/* The hash chain of a script run at one statement, to go back to when what follows fails. */
typedef struct chain_mark {
    strata_checksum chain;
    char hex[STRATA_CHECKSUM_HEX];
} chain_mark;

typedef struct script_run {
    strata *s;
    const strata_migration *m;
    const strata_script *script;
    script_shape shape;    /* of script */
    long index;            /* 1-based number of the statement being handled in script */
    int verifying;         /* running m->verify: statements are neither counted nor hashed */
    char direction;        /* 'u' or 'd' */
    int dirty_protocol;    /* run outside a transaction with checkpoints */
    int checkpointed;      /* the statement just run carried its own checkpoint */
    int session_words;     /* a statement run may have changed the session (session_words()) */
    long statements;       /* statements run so far */
    strata_checksum chain; /* hash over the statements run (dirty protocol) */
    char chain_hex[STRATA_CHECKSUM_HEX];
    struct batch *batch;           /* statements waiting to be sent, in batched runs */
    unsigned flags;                /* STRATA_RUN_* */
    long skip;                     /* resuming: statements that already ran before the failure */
    const char *expected_hash;     /* resuming: the recorded hash chain over those */
    long skipped_from, skipped_to; /* file lines of the statements skipped */
    script_bytes bytes;            /* of script, kept from its prescan */
    long long ms;      /* the duration recorded: from the start to the end of the last statement */
    int group_open;    /* a transaction holds the statements since group_from */
    int group_partial; /* its rollback could not undo them all (non-transactional tables) */
    long group_from;   /* statements counted when it opened */
    chain_mark group_chain; /* the hash chain then */
    strata_buf start_mark;  /* the SQL writing the 'dirty' row, not sent yet: it goes with the
                               first statement (STRATA_CAP_AUTOCOMMIT_BATCH) or right before
                               it */
    int start_lost;         /* the 'dirty' row could not be written: nothing ran */
    int unrecorded;         /* the last statement ran but its checkpoint was not written */
} script_run;

/* ------------------------------------------------------------------ lexing a script */

/* Splits script with the dialect's lexer and hands each statement to fn. */
static int
each_statement(strata *s, const strata_script *script, script_bytes *kept, strata_each_fn fn,
               void *ctx, strata_error *err)
{
    strata_script_reader *reader = NULL;
    strata_envsub *envsub = NULL;
    strata_read_fn read = strata_script_read;
    void *source;
    strata_memory memory;
    int rc = STRATA_OK;
    if (kept != NULL && kept->complete) { /* read by the pass before: no file this time */
        memory = (strata_memory){kept->buf.data, kept->buf.len};
        read = strata_memory_read;
        source = &memory;
    } else {
        const strata_fs_set *before = strata_session_files(s);
        rc = strata_script_open(script, &reader, err);
        strata_fs_use(before);
        if (rc != STRATA_OK)
            return rc;
        source = reader;
        if (kept != NULL && !kept->overflow) {
            kept->inner = strata_script_read;
            kept->inner_ctx = reader;
            read = tee_read;
            source = kept;
        }
    }
    if (script->flags & STRATA_SCRIPT_ENVSUB) { /* goose ENVSUB ON regions: ${VAR} substituted */
        envsub = strata_envsub_create(read, source);
        if (script->flags & STRATA_SCRIPT_ENVSUB_OPEN)
            strata_envsub_start_inside(envsub);
        read = strata_envsub_read;
        source = envsub;
    }
    strata_envsub *values = NULL;
    if (s->placeholders != NULL) { /* strata.conf's opt-in ${name} placeholders */
        values = strata_envsub_create(read, source);
        strata_envsub_use_values(values, strata_session_placeholder, s);
        read = strata_envsub_read;
        source = values;
    }
    rc = strata_split_script(&s->info, script, read, source, fn, ctx, err);
    strata_envsub_free(values);
    strata_envsub_free(envsub);
    if (reader != NULL)
        strata_script_close(reader);
    if (kept != NULL && reader != NULL && rc == STRATA_OK && !kept->overflow)
        kept->complete = 1;
    return rc;
}

/* What a transaction-control statement does: 'b' begin, 'c' commit, 'r' roll back, 0 when
 * it is not one. */
static char
tx_kind(const strata_stmt *st)
{
    static const struct {
        const char *word;
        char kind;
    } words[] = {{"BEGIN", 'b'}, {"START", 'b'}, {"COMMIT", 'c'}, {"END", 'c'}, {"ROLLBACK", 'r'}};
    if (!(st->flags & STRATA_STMT_TX_CONTROL))
        return 0;
    size_t n = 0;
    while (n < st->len && ((st->text[n] | 0x20) >= 'a' && (st->text[n] | 0x20) <= 'z'))
        n++;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (n == strlen(words[i].word) && strncasecmp(st->text, words[i].word, n) == 0)
            return words[i].kind;
    return 0;
}

typedef struct prescan_state {
    script_shape shape;
    char first; /* tx_kind of the first statement */
    char last;  /* ... of the latest */
    unsigned first_flags;
    unsigned last_flags;
    unsigned inner;    /* OR of the flags of statements 2 .. latest-1 */
    unsigned inner_to; /* OR of the flags of statements 2 .. latest */
} prescan_state;

static int
prescan_one(void *ctx, strata_lexer *lx, const strata_stmt *st, strata_error *err)
{
    (void)lx;
    (void)err;
    prescan_state *p = ctx;
    if (p->shape.count++ == 0) {
        p->first = tx_kind(st);
        p->first_flags = st->flags;
    } else {
        p->inner = p->inner_to;
        p->inner_to |= st->flags;
    }
    p->last = tx_kind(st);
    p->last_flags = st->flags;
    p->shape.flags |= st->flags;
    return STRATA_OK;
}

/* First pass over a script to run: its shape. */
static int
prescan(strata *s, const strata_script *script, script_bytes *kept, script_shape *shape,
        strata_error *err)
{
    prescan_state p = {0};
    int rc = each_statement(s, script, kept, prescan_one, &p, err);
    p.shape.wrapped = (script->flags & STRATA_SCRIPT_OWN_TRANSACTION) && p.shape.count >= 2 &&
                      p.first == 'b' && (p.last == 'c' || p.last == 'r');
    if (p.shape.wrapped)
        p.shape.flags = p.inner;
    *shape = p.shape;
    return rc;
}

/* Whether statement number index of a script of this shape is its own BEGIN or COMMIT. */
static int
is_wrapper(const script_shape *shape, long index)
{
    return shape->wrapped && (index == 1 || index == shape->count);
}

/* ------------------------------------------------------------------ running statements */

/* Rewrites a driver error as "file:line:col: message", keeping SQLSTATE, detail, hint. */
static void
locate_error(const char *path, const strata_stmt *st, strata_error *err)
{
    long line, col;
    strata_stmt_locate(st, err->position, &line, &col);
    strata_error_prefix(err, "%s:%ld:%ld: ", path, line, col);
    if (err->status == STRATA_OK)
        err->status = STRATA_ERROR;
}

static int
run_copy(script_run *r, strata_lexer *lx, const strata_stmt *st, strata_error *err)
{
    const strata_driver *d = r->s->drv;
    if (!STRATA_DRIVER_HAS(d, copy_in))
        return strata_fail(err, STRATA_NOT_SUPPORTED,
                           "%s:%ld:%ld: the %s driver cannot run COPY ... FROM stdin",
                           r->script->path, st->line, st->col, d->name);
    int rc = d->copy_in(r->s->conn, st->text, st->len, strata_lexer_read_copy, lx, err);
    if (rc == STRATA_NOT_FOUND) { /* a missing table fails a migration as any error does */
        rc = STRATA_ERROR;
        err->status = STRATA_ERROR;
    }
    return rc;
}

static int
checkpoint(script_run *r, strata_error *err)
{
    strata_buf sql = {0};
    strata_history_sql_checkpoint(r->s, &sql, r->m->version, r->statements, r->chain_hex);
    int rc = strata_session_exec(r->s, sql.data, err);
    strata_buf_free(&sql);
    if (rc != STRATA_OK)
        strata_error_prefix(err,
                            "cannot record the progress of migration %s in %s: ", r->m->version,
                            r->s->names.migrations);
    return rc;
}

/* Starts the hash chain of statements run: the hash of nothing. */
static void
chain_reset(script_run *r)
{
    strata_checksum_init(&r->chain);
    strata_checksum empty = r->chain;
    strata_checksum_final(&empty, r->chain_hex);
    r->statements = 0;
}

/* Extends the hash chain of statements run with st (r->chain and r->chain_hex). */
static void
chain_add(script_run *r, const strata_stmt *st)
{
    strata_checksum_update(&r->chain, st->text, st->len);
    strata_checksum_update(&r->chain, "\n;\n", 3);
    strata_checksum snapshot = r->chain;
    strata_checksum_final(&snapshot, r->chain_hex);
}

/* Records one statement as run: the count, the hash chain, and under the dirty protocol
 * a checkpoint in the history row (unless it travelled with the statement). */
static int
statement_done(script_run *r, const strata_stmt *st, strata_error *err)
{
    if (r->verifying)
        return STRATA_OK;
    r->statements++;
    if (!r->dirty_protocol)
        return STRATA_OK; /* all or nothing: no checkpoint to resume from, no chain needed */
    if (r->checkpointed) {
        r->checkpointed = 0;
        return STRATA_OK;
    }
    chain_add(r, st);
    int rc = checkpoint(r, err);
    r->unrecorded = rc != STRATA_OK;
    return rc;
}

/* Sends the 'dirty' row on its own, right before the first statement when it cannot take
 * the row along (no STRATA_CAP_AUTOCOMMIT_BATCH, a COPY), or after a script with no
 * statement. */
static int
send_start_mark(script_run *r, strata_error *err)
{
    if (r->start_mark.len == 0)
        return STRATA_OK;
    int rc = strata_exec_script(r->s, r->start_mark.data, err);
    strata_buf_free(&r->start_mark);
    r->start_lost = rc != STRATA_OK;
    return rc;
}

/*
 * Puts the 'dirty' row, when it is not written yet, at the start of the empty sql that
 * will carry the script's first statement: the driver runs the statements of one exec() in
 * order and stops at the first error, so the statement runs only once the row is written,
 * one round trip sooner than when the row is sent alone. Returns the bytes put there.
 */
static size_t
take_start_mark(script_run *r, strata_buf *sql)
{
    if (r->start_mark.len == 0)
        return 0;
    strata_buf_append(sql, r->start_mark.data, r->start_mark.len);
    strata_buf_puts(sql, ";\n");
    strata_buf_free(&r->start_mark);
    return sql->len;
}

/* A row callback: whether the row read says 'dirty'. */
static int
read_dirty(void *ctx, int ncols, const char *const *values)
{
    *(int *)ctx = ncols == 1 && values[0] != NULL && strcmp(values[0], "dirty") == 0;
    return 1;
}

/*
 * After an exec() that opened with the 'dirty' row failed: whether the row was written
 * (the statement then ran, or failed, after it) or the row itself failed (nothing ran), as
 * the history says now. When the history cannot be read, the row counts as written: the
 * record stays the user's to check.
 */
static int
start_mark_written(script_run *r)
{
    strata_error ignored = STRATA_ERROR_INIT;
    strata_buf sql = {0};
    strata_buf_printf(&sql, "SELECT state FROM %s WHERE version = ", r->s->names.migrations);
    strata_session_literal(r->s, &sql, r->m->version);
    int dirty = 0;
    int rc = strata_session_query(r->s, sql.data, read_dirty, &dirty, &ignored);
    strata_buf_free(&sql);
    return rc != STRATA_OK || dirty;
}

/*
 * After an exec() that opened with the 'dirty' row (marked bytes of it) failed: when the
 * row was not written, the error is the row's and nothing ran; returns whether so. Else
 * err's position is made to count from the statement's text.
 */
static int
lost_with_start_mark(script_run *r, size_t marked, strata_error *err)
{
    if (marked == 0)
        return 0;
    if (!start_mark_written(r)) {
        r->start_lost = 1;
        err->position = 0;
        return 1;
    }
    err->position = err->position > (long)marked ? err->position - (long)marked : 0;
    return 0;
}

/* Runs one statement now, in its own exec() (or as COPY). */
static int
run_one(script_run *r, strata_lexer *lx, const strata_stmt *st, strata_error *err)
{
    int rc = send_start_mark(r, err);
    if (rc != STRATA_OK)
        return rc;
    if (st->flags & STRATA_STMT_COPY)
        rc = run_copy(r, lx, st, err);
    else
        rc = strata_session_run(r->s, st->text, st->len, err);
    if (rc != STRATA_OK)
        locate_error(r->script->path, st, err);
    return rc;
}

/* What opens a statement's text when it runs in a transaction of its (or its row's) own. */
#define TX_BEGIN "BEGIN;\n"

/* Makes the position of an error in a text that opened with TX_BEGIN count from after it. */
static void
position_after_begin(strata_error *err)
{
    long n = (long)sizeof(TX_BEGIN) - 1;
    err->position = err->position > n ? err->position - n : 0;
}

static chain_mark
chain_here(const script_run *r)
{
    chain_mark m = {.chain = r->chain};
    memcpy(m.hex, r->chain_hex, sizeof(m.hex));
    return m;
}

static void
chain_back(script_run *r, const chain_mark *m)
{
    r->chain = m->chain;
    memcpy(r->chain_hex, m->hex, sizeof(r->chain_hex));
}

/* Whether st starts with a keyword the driver lists as never committing on its own. */
static int
is_transactional(const script_run *r, const strata_stmt *st)
{
    const char *const *words = r->s->info.transactional_statements;
    if (words == NULL)
        return 0;
    const char *p = st->text, *end = st->text + st->len;
    while (p < end && isspace((unsigned char)*p))
        p++;
    size_t n = 0;
    while (p + n < end && isalpha((unsigned char)p[n]))
        n++;
    for (; *words != NULL; words++)
        if (strlen(*words) == n && n > 0 && strncasecmp(p, *words, n) == 0)
            return 1;
    return 0;
}

/*
 * Rolls back the open row of statements: they count as not run. Returns 0 when the
 * database says the rollback could not undo them all (a table of a non-transactional
 * engine), 1 otherwise.
 */
static int
group_abandon(script_run *r)
{
    strata_error rollback = STRATA_ERROR_INIT;
    if (!r->group_open)
        return 1;
    int undone = r->s->drv->rollback(r->s->conn, &rollback) == STRATA_OK;
    r->statements = r->group_from;
    chain_back(r, &r->group_chain);
    r->group_open = 0;
    r->group_partial = !undone;
    return undone;
}

/* Commits the open row of statements with the checkpoint that records them. */
static int
group_close(script_run *r, strata_error *err)
{
    if (!r->group_open)
        return STRATA_OK;
    strata_buf sql = {0};
    strata_history_sql_checkpoint(r->s, &sql, r->m->version, r->statements, r->chain_hex);
    strata_buf_puts(&sql, ";\nCOMMIT");
    int rc = strata_session_run(r->s, sql.data, sql.len, err);
    strata_buf_free(&sql);
    if (rc != STRATA_OK) {
        group_abandon(r);
        strata_error_prefix(err,
                            "cannot record the progress of migration %s in %s: ", r->m->version,
                            r->s->names.migrations);
        return rc;
    }
    r->group_open = 0;
    return STRATA_OK;
}

/*
 * Runs a statement that never commits on its own inside the transaction of the row of such
 * statements (opened by the first): it is checkpointed when the row is committed. On
 * failure the row rolls back, so the database is as it was before the row's first.
 */
static int
group_add(script_run *r, const strata_stmt *st, strata_error *err)
{
    strata_buf sql = {0};
    size_t marked = take_start_mark(r, &sql);
    if (!r->group_open) {
        strata_buf_puts(&sql, TX_BEGIN);
        r->group_from = r->statements;
        r->group_chain = chain_here(r);
    }
    strata_buf_append(&sql, st->text, st->len);
    int rc = strata_session_run(r->s, sql.data, sql.len, err);
    if (rc != STRATA_OK && !r->group_open)
        position_after_begin(err);
    strata_buf_free(&sql);
    r->group_open = 1;
    if (rc != STRATA_OK) {
        int undone = group_abandon(r);
        if (lost_with_start_mark(r, marked, err))
            return rc;
        if (STRATA_ERROR_HAS(err, unchanged))
            err->unchanged = undone; /* rolled back with the row, unless it could not be */
        locate_error(r->script->path, st, err);
        return rc;
    }
    chain_add(r, st);
    r->checkpointed = 1; /* its checkpoint comes with the row's commit */
    return STRATA_OK;
}

/*
 * Runs one statement of the dirty protocol together with the checkpoint that records it,
 * in one exec() (STRATA_CAP_AUTOCOMMIT_BATCH): the driver stops at the first error, so the
 * checkpoint is written only when the statement ran, as when they are sent one by one.
 * Unless the script manages transactions or holds a statement that cannot run in one
 * (LOCK TABLES), the two go inside BEGIN ... COMMIT: a statement that does not commit on
 * its own (an INSERT) then commits with its checkpoint, at once and in one commit instead
 * of two; one that does (DDL on MySQL) commits as before.
 */
static int
run_with_checkpoint(script_run *r, strata_lexer *lx, const strata_stmt *st, strata_error *err)
{
    int wrap = !(r->shape.flags & (STRATA_STMT_TX_CONTROL | STRATA_STMT_NO_TRANSACTION));
    if (wrap && !r->verifying && !(st->flags & STRATA_STMT_COPY) && is_transactional(r, st))
        return group_add(r, st, err);
    int rc = group_close(r, err);
    if (rc != STRATA_OK)
        return rc;
    if ((st->flags & STRATA_STMT_COPY) || r->verifying)
        return run_one(r, lx, st, err);
    chain_mark before = chain_here(r);
    chain_add(r, st);
    strata_buf sql = {0};
    size_t marked = take_start_mark(r, &sql);
    if (wrap)
        strata_buf_puts(&sql, TX_BEGIN);
    strata_buf_append(&sql, st->text, st->len);
    strata_buf_puts(&sql, "\n;\n"); /* on its own line: the text may end in a -- comment */
    strata_history_sql_checkpoint(r->s, &sql, r->m->version, r->statements + 1, r->chain_hex);
    if (wrap)
        strata_buf_puts(&sql, ";\nCOMMIT");
    rc = strata_session_run(r->s, sql.data, sql.len, err);
    strata_buf_free(&sql);
    if (rc != STRATA_OK) {
        if (wrap) {
            strata_session_rollback(r->s); /* the failed statement's transaction */
            position_after_begin(err);
        }
        chain_back(r, &before);
        if (!lost_with_start_mark(r, marked, err))
            locate_error(r->script->path, st, err);
        return rc;
    }
    r->checkpointed = 1;
    return STRATA_OK;
}

/* How the statements of a script reach the database: one by one, or through a batch. */
typedef int (*statement_fn)(script_run *r, strata_lexer *lx, const strata_stmt *st,
                            strata_error *err);

typedef struct statement_pass {
    script_run *r;
    statement_fn handle;
} statement_pass;

/*
 * Resuming a dirty migration: a statement that already ran is not run again, only hashed;
 * after the last of them the chain must equal the recorded one, or they were edited.
 */
static int
skip_statement(script_run *r, const strata_stmt *st, strata_error *err)
{
    if (r->statements == 0)
        r->skipped_from = st->line;
    r->skipped_to = st->line;
    chain_add(r, st);
    if (++r->statements < r->skip)
        return STRATA_OK;
    if (r->expected_hash != NULL && strcmp(r->chain_hex, r->expected_hash) == 0)
        return STRATA_OK;
    strata_fail(err, STRATA_VALIDATION,
                "%s: the %ld statement(s) that already ran (lines %ld to %ld) were edited "
                "since they ran, so strata cannot tell what the database holds; --resume "
                "refuses",
                r->script->path, r->skip, r->skipped_from, r->skipped_to);
    snprintf(err->hint, sizeof(err->hint),
             "restore those statements as they were, or repair the database by hand and "
             "record it with `strata force %s applied` or `strata force %s rolled-back`",
             r->m->version, r->m->version);
    return STRATA_VALIDATION;
}

/*
 * True when the text holds "set", "discard" or "use" in any letter case, anywhere (words,
 * names, comments): what every statement that changes session state spells (SET, RESET,
 * set_config(), DISCARD, USE). Over-approximate on purpose: a false alarm costs one reset.
 */
static int
session_words(const char *text, size_t len)
{
    for (size_t i = 0; i + 3 <= len; i++) {
        char a = (char)(text[i] | 0x20), b = (char)(text[i + 1] | 0x20),
             c = (char)(text[i + 2] | 0x20);
        if ((a == 's' && b == 'e' && c == 't') || (a == 'u' && b == 's' && c == 'e'))
            return 1;
        if (a == 'd' && b == 'i' && c == 's' && i + 7 <= len &&
            strncasecmp(text + i, "discard", 7) == 0)
            return 1;
    }
    return 0;
}

static int
run_statement(void *ctx, strata_lexer *lx, const strata_stmt *st, strata_error *err)
{
    statement_pass *p = ctx;
    script_run *r = p->r;
    r->session_words = r->session_words || session_words(st->text, st->len);
    if (is_wrapper(&r->shape, ++r->index))
        return STRATA_OK;
    if (!r->verifying && r->statements < r->skip)
        return skip_statement(r, st, err);
    if (strata_cancelled()) /* a signal: stop before this statement, as the protocol allows */
        return strata_fail(err, STRATA_INTERRUPTED,
                           "interrupted during migration %s, before statement %ld (%s:%ld)",
                           r->m->version, r->statements + 1, r->script->path, st->line);
    strata_event ev = {.type = STRATA_EVENT_STATEMENT,
                       .direction = r->direction,
                       .version = r->m->version,
                       .name = r->m->name,
                       .file = r->script->path,
                       .text = st->text,
                       .line = st->line,
                       .statements = r->statements};
    strata_session_emit(r->s, &ev);
    int rc = p->handle(r, lx, st, err);
    return rc == STRATA_OK ? statement_done(r, st, err) : rc;
}

static int
run_statements(script_run *r, statement_fn handle, strata_error *err)
{
    statement_pass p = {.r = r, .handle = handle};
    chain_reset(r);
    r->index = 0;
    return each_statement(r->s, r->script, &r->bytes, run_statement, &p, err);
}

/*
 * After an up script with a verify script (sqitch): runs the verify script's statements
 * the same way, in the same transaction when there is one. They are not counted: a failing
 * verify fails the migration, and `up --resume` runs it again.
 */
static int
run_verify(script_run *r, statement_fn handle, strata_error *err)
{
    if (r->direction != 'u' || r->m->verify == NULL)
        return STRATA_OK;
    const strata_script *main_script = r->script;
    script_shape main_shape = r->shape;
    int rc = prescan(r->s, r->m->verify, NULL, &r->shape, err);
    r->script = r->m->verify;
    r->verifying = 1;
    r->index = 0;
    statement_pass p = {.r = r, .handle = handle};
    if (rc == STRATA_OK)
        rc = each_statement(r->s, r->script, NULL, run_statement, &p, err);
    r->verifying = 0;
    if (rc == STRATA_OK) { /* an error keeps pointing at the verify script */
        r->script = main_script;
        r->shape = main_shape;
    }
    return rc;
}

/* Writes into sql what puts the session back as strata opened it (may be nothing). */
static void
session_reset_sql(strata *s, strata_buf *sql)
{
    if (!STRATA_DRIVER_HAS(s->drv, session_reset_sql))
        return;
    char small[512];
    size_t n = s->drv->session_reset_sql(s->conn, small, sizeof(small));
    if (n < sizeof(small)) {
        strata_buf_append(sql, small, n);
        return;
    }
    char *big = strata_xmalloc(n + 1);
    s->drv->session_reset_sql(s->conn, big, n + 1);
    strata_buf_append(sql, big, n);
    free(big);
}

/* Puts the session back as strata opened it, now, when the migration may have changed it. */
static int
reset_session(script_run *r, strata_error *err)
{
    strata_buf sql = {0};
    if (r->session_words)
        session_reset_sql(r->s, &sql);
    int rc = sql.len > 0 ? strata_exec_script(r->s, sql.data, err) : STRATA_OK;
    strata_buf_free(&sql);
    if (rc != STRATA_OK)
        strata_error_prefix(err, "cannot restore the session after migration %s: ", r->m->version);
    return rc;
}

/* The statements of the script, its verify script, and the session reset. */
static int
run_script_body(script_run *r, statement_fn handle, strata_error *err)
{
    int rc = run_statements(r, handle, err);
    if (rc == STRATA_OK)
        rc = run_verify(r, handle, err);
    return rc;
}

typedef struct print_pass {
    strata *s;
    const strata_migration *m;
    const strata_script *script;
    char direction;
} print_pass;

static int
print_statement(void *ctx, strata_lexer *lx, const strata_stmt *st, strata_error *err)
{
    print_pass *p = ctx;
    strata_event ev = {.type = STRATA_EVENT_SQL,
                       .direction = p->direction,
                       .version = p->m->version,
                       .name = p->m->name,
                       .file = p->script->path,
                       .text = st->text,
                       .line = st->line};
    strata_session_emit(p->s, &ev);
    return STRATA_OK;
}

/* --dry-run: hands every statement to the caller as an SQL event. */
int
strata_print_script(strata *s, const strata_migration *m, char direction, strata_error *err)
{
    print_pass p = {
        .s = s, .m = m, .direction = direction, .script = direction == 'u' ? &m->up : &m->down};
    return each_statement(s, p.script, NULL, print_statement, &p, err);
}

/* ------------------------------------------------------------------ one migration */

static void
emit(strata *s, strata_event_type type, const script_run *r, long long ms)
{
    strata_event ev = {.type = type,
                       .direction = r->direction,
                       .version = r->m->version,
                       .name = r->m->name,
                       .file = r->script->path,
                       .duration_ms = ms,
                       .statements = r->statements - r->skip,
                       .no_transaction = r->dirty_protocol};
    strata_session_emit(s, &ev);
}

static void
log_failure(script_run *r, const char *started, long long ms, const strata_error *cause)
{
    strata_error ignored = STRATA_ERROR_INIT;
    strata_history_event ev = {.version = r->m->version,
                               .name = r->m->name,
                               .action = r->direction == 'u' ? "up" : "down",
                               .outcome =
                                   cause->status == STRATA_INTERRUPTED ? "interrupted" : "failed",
                               .started_at = started,
                               .duration_ms = ms,
                               .detail = cause->message};
    strata_history_log_event(r->s, &ev, &ignored);
}

/* The history row of the migration being run, in the given state. */
/* path without the migrations folder in front, as the history records it. */
static const char *
relative_path(const strata *s, const char *path)
{
    size_t n = strlen(s->dir);
    if (path == NULL || strncmp(path, s->dir, n) != 0 || path[n] != '/')
        return path;
    return path + n + 1;
}

/* Appends the SQL inserting the history row of the script run, in this state, with
 * statements_hash (may be NULL); a repeatable run again replaces its earlier row. */
static void
insert_sql(const script_run *r, long rank, const char *started, long long ms, const char *state,
           const char *statements_hash, strata_buf *sql)
{
    const strata_migration *m = r->m;
    strata_history_row row = {.version = m->version,
                              .kind =
                                  (r->flags & STRATA_RUN_REPEATABLE) ? "repeatable" : "versioned",
                              .name = m->name,
                              .checksum = (char *)m->up.checksum,
                              .down_checksum = m->down.path ? (char *)m->down.checksum : NULL,
                              .state = (char *)state,
                              .applied_rank = rank};
    strata_history_detail d = {.applied_at = (char *)started,
                               .execution_ms = ms,
                               .applied_by = r->s->whoami,
                               .strata_version = PACKAGE_VERSION,
                               .statements_done = r->statements,
                               .statements_hash = (char *)statements_hash,
                               .script = (char *)relative_path(r->s, m->up.path)};
    if (r->flags & STRATA_RUN_REPLACE) {
        strata_history_sql_delete(r->s, sql, m->version);
        strata_buf_puts(sql, ";\n");
    }
    strata_history_sql_insert(r->s, sql, &row, &d);
}

/* The history statements that record a finished script, appended to sql. */
static void
record_sql(script_run *r, long rank, const char *started, long long ms, strata_buf *sql)
{
    if (r->direction == 'd') {
        strata_history_sql_delete(r->s, sql, r->m->version);
    } else if (r->dirty_protocol) {
        strata_history_sql_finish(r->s, sql, r->m->version, ms, r->statements, r->chain_hex,
                                  r->m->up.checksum);
    } else {
        insert_sql(r, rank, started, ms, "applied", NULL, sql);
    }
}

static int
record(script_run *r, long rank, const char *started, long long ms, strata_error *err)
{
    /* Outside a transaction, statements sent together commit one by one: the row and the
     * event are made one transaction of their own (one commit, not two). */
    int wrap = r->dirty_protocol && (r->s->info.caps & STRATA_CAP_AUTOCOMMIT_BATCH);
    strata_buf sql = {0};
    r->ms = ms;
    if (wrap)
        strata_buf_puts(&sql, "BEGIN;\n");
    record_sql(r, rank, started, ms, &sql);
    strata_buf_puts(&sql, ";\n");
    strata_history_event ev = {.version = r->m->version,
                               .name = r->m->name,
                               .action = r->direction == 'u' ? "up" : "down",
                               .outcome = "ok",
                               .started_at = started,
                               .duration_ms = ms};
    strata_history_sql_event(r->s, &sql, &ev);
    if (wrap)
        strata_buf_puts(&sql, ";\nCOMMIT");
    int rc = strata_exec_together(r->s, sql.data, err);
    strata_buf_free(&sql);
    if (rc != STRATA_OK)
        strata_error_prefix(err, "cannot record migration %s in %s: ", r->m->version,
                            r->s->names.migrations);
    return rc;
}

/*
 * Prepares the mark of the start of a script run without a transaction in r->start_mark:
 * up inserts a 'dirty' row, down turns the applied row 'dirty' (half rolled back) until it
 * is deleted at the end. The mark is sent with the first statement (take_start_mark), or
 * alone right before it (send_start_mark): a run stopped before its first statement leaves
 * no mark.
 */
static void
prepare_start_mark(script_run *r, long rank, const char *started)
{
    strata *s = r->s;
    strata_buf *sql = &r->start_mark;
    if (r->direction == 'd') {
        strata_buf_printf(sql,
                          "UPDATE %s SET state = 'dirty', statements_done = 0, "
                          "statements_hash = NULL WHERE version = ",
                          s->names.migrations);
        strata_session_literal(s, sql, r->m->version);
    } else {
        insert_sql(r, rank, started, 0, "dirty", r->chain_hex, sql);
    }
}

static int
run_in_transaction(script_run *r, long rank, const char *started, long long t0, strata_error *err)
{
    strata *s = r->s;
    int rc = strata_session_begin(s, err);
    if (rc != STRATA_OK)
        return rc;
    rc = run_script_body(r, run_one, err);
    if (rc == STRATA_OK)
        rc = reset_session(r, err);
    if (rc == STRATA_OK)
        rc = record(r, rank, started, strata_now_ms() - t0, err);
    if (rc == STRATA_OK)
        rc = strata_session_commit(s, err);
    if (rc != STRATA_OK) {
        strata_session_rollback(s);
    }
    return rc;
}

/* ------------------------------------------------------------------ batched runs */

/*
 * Drivers with STRATA_CAP_MULTI_STATEMENT get a migration in as few round trips as
 * possible: its statements, history row, event and the BEGIN/COMMIT around them travel
 * together in chunks of about BATCH_LIMIT bytes (one chunk, one round trip, for most
 * migrations). An error the database reports without a position is located by replaying
 * the failed chunk's statements one at a time: the first chunk from a new transaction
 * (it began the transaction), each later one from a savepoint it opens with. The first
 * chunk has none because a savepoint costs the server a subtransaction on every migration.
 */
#define BATCH_LIMIT (1 << 20)

typedef struct batch_entry {
    size_t start; /* offset of the statement in the chunk text */
    size_t len;
    long line;
    long col;
    const char *path; /* of its script */
} batch_entry;

typedef struct batch {
    strata_buf text;
    batch_entry *entries;
    size_t count;
    size_t cap;
    int opened;    /* BEGIN was sent */
    int savepoint; /* the chunk opens with SAVEPOINT strata_chunk (not the first) */
} batch;

static void
batch_open_chunk(batch *b)
{
    strata_buf_reset(&b->text);
    b->count = 0;
    b->savepoint = b->opened;
    strata_buf_puts(&b->text, b->opened ? "SAVEPOINT strata_chunk;\n" : "BEGIN;\n");
    b->opened = 1;
}

static strata_stmt
batch_stmt(const batch *b, size_t i)
{
    const batch_entry *e = &b->entries[i];
    strata_stmt st = {
        .text = b->text.data + e->start, .len = e->len, .line = e->line, .col = e->col};
    return st;
}

/* Runs entry i alone (it is followed by ';' in the text, briefly replaced by a NUL). */
static int
batch_exec_entry(script_run *r, batch *b, size_t i, strata_error *err)
{
    char *end = b->text.data + b->entries[i].start + b->entries[i].len;
    char saved = *end;
    *end = '\0';
    int rc = strata_session_run(r->s, b->text.data + b->entries[i].start, b->entries[i].len, err);
    *end = saved;
    return rc;
}

/* An error came without a position: replay the chunk statement by statement. */
static void
batch_replay(script_run *r, batch *b, strata_error *err)
{
    strata_error replay = STRATA_ERROR_INIT;
    int back = b->savepoint
                   ? strata_session_exec(r->s, "ROLLBACK TO SAVEPOINT strata_chunk", &replay)
                   : strata_session_exec(r->s, "ROLLBACK", &replay);
    if (back == STRATA_OK && !b->savepoint)
        back = strata_session_exec(r->s, "BEGIN", &replay);
    if (back == STRATA_OK) {
        for (size_t i = 0; i < b->count; i++) {
            if (batch_exec_entry(r, b, i, &replay) != STRATA_OK) {
                strata_stmt st = batch_stmt(b, i);
                *err = replay;
                locate_error(b->entries[i].path, &st, err);
                return;
            }
        }
    }
    strata_error_prefix(err, "%s: ", r->script->path);
}

static void
batch_locate(script_run *r, batch *b, strata_error *err)
{
    size_t off = err->position > 0 ? (size_t)err->position - 1 : 0;
    if (err->position <= 0)
        return batch_replay(r, b, err);
    for (size_t i = 0; i < b->count; i++) {
        const batch_entry *e = &b->entries[i];
        if (off >= e->start && off <= e->start + e->len) {
            strata_stmt st = batch_stmt(b, i);
            err->position = (long)(off - e->start) + 1;
            locate_error(e->path, &st, err);
            return;
        }
    }
    strata_error_prefix(err, "%s: ", r->script->path);
}

static int
batch_send(script_run *r, batch *b, strata_error *err)
{
    int rc = strata_session_run(r->s, b->text.data, b->text.len, err);
    if (rc != STRATA_OK)
        batch_locate(r, b, err);
    else
        batch_open_chunk(b);
    return rc;
}

/* statement_fn of batched runs: queue the statement; send when the chunk is full, or when the
 * statement changes how the server reads the ones after it (SET standard_conforming_strings). */
static int
batch_statement(script_run *r, strata_lexer *lx, const strata_stmt *st, strata_error *err)
{
    batch *b = r->batch;
    if (st->flags & STRATA_STMT_COPY) {
        int rc = batch_send(r, b, err); /* what came before, then the COPY on its own */
        return rc == STRATA_OK ? run_one(r, lx, st, err) : rc;
    }
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->entries = strata_xrealloc(b->entries, b->cap * sizeof(*b->entries));
    }
    b->entries[b->count++] = (batch_entry){.start = b->text.len,
                                           .len = st->len,
                                           .line = st->line,
                                           .col = st->col,
                                           .path = r->script->path};
    strata_buf_append(&b->text, st->text, st->len);
    strata_buf_puts(&b->text, "\n;\n"); /* on its own line: the text may end in a -- comment */
    if (b->text.len >= BATCH_LIMIT || (st->flags & STRATA_STMT_SETTING))
        return batch_send(r, b, err);
    return STRATA_OK;
}

/*
 * Sends what is left of the script, then the history row and its event with the commit: the
 * duration recorded is the statements' own, the one `up` prints and `status` shows.
 */
static int
batch_finish(script_run *r, batch *b, long rank, const char *started, long long t0,
             strata_error *err)
{
    size_t before = b->text.len;
    if (r->session_words)
        session_reset_sql(r->s, &b->text);
    if (b->text.len > before)
        strata_buf_puts(&b->text, ";\n");
    int rc = STRATA_OK;
    if (b->count > 0 || b->text.len > before || !b->savepoint)
        rc = batch_send(r, b, err);
    if (rc != STRATA_OK)
        return rc;
    r->ms = strata_now_ms() - t0;
    strata_buf_reset(&b->text);
    record_sql(r, rank, started, r->ms, &b->text);
    strata_buf_puts(&b->text, ";\n");
    strata_history_event ev = {.version = r->m->version,
                               .name = r->m->name,
                               .action = r->direction == 'u' ? "up" : "down",
                               .outcome = "ok",
                               .started_at = started,
                               .duration_ms = r->ms};
    strata_history_sql_event(r->s, &b->text, &ev);
    strata_buf_puts(&b->text, ";\nCOMMIT");
    rc = strata_session_run(r->s, b->text.data, b->text.len, err);
    if (rc != STRATA_OK)
        strata_error_prefix(err, "cannot record migration %s in %s: ", r->m->version,
                            r->s->names.migrations);
    return rc;
}

static int
run_batched(script_run *r, long rank, const char *started, long long t0, strata_error *err)
{
    batch b = {0};
    r->batch = &b;
    batch_open_chunk(&b);
    int rc = run_script_body(r, batch_statement, err);
    if (rc == STRATA_OK)
        rc = batch_finish(r, &b, rank, started, t0, err);
    if (rc != STRATA_OK) {
        strata_session_rollback(r->s);
    }
    strata_buf_free(&b.text);
    free(b.entries);
    r->batch = NULL;
    return rc;
}

static void advise(strata_error *err, const char *fmt, ...) STRATA_PRINTF(2, 3);

/* Sets err's hint to the advice fmt says, after the database's own hint when it gave one. */
static void
advise(strata_error *err, const char *fmt, ...)
{
    char advice[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(advice, sizeof(advice), fmt, ap);
    va_end(ap);
    strata_buf hint = {0};
    if (err->hint[0] != '\0')
        strata_buf_printf(&hint, "%s. Then: ", err->hint);
    strata_buf_puts(&hint, advice);
    snprintf(err->hint, sizeof(err->hint), "%s", hint.data); /* as much as it holds */
    strata_buf_free(&hint);
}

/*
 * The first statement of an up script run without a transaction failed, and the driver
 * knows it changed nothing: the dirty row goes, and the database is as it was before the
 * migration. Returns whether it did (then err's hint says so).
 */
static int
undo_dirty_start(script_run *r, strata_error *err)
{
    strata_error ignored = STRATA_ERROR_INIT;
    strata_buf sql = {0};
    if (r->direction != 'u' || r->statements != 0 || !STRATA_ERROR_HAS(err, unchanged) ||
        !err->unchanged)
        return 0;
    strata_history_sql_delete(r->s, &sql, r->m->version);
    int done = strata_exec_script(r->s, sql.data, &ignored) == STRATA_OK;
    strata_buf_free(&sql);
    if (done)
        advise(err,
               "the first statement of migration %s failed before it changed anything, so the "
               "database is as it was and the migration is still pending; fix the file and run "
               "`strata up` again",
               r->m->version);
    return done;
}

/*
 * A script run without a transaction stopped before its 'dirty' row was written: the row
 * failed (err says why), or the run was stopped before its first statement. Nothing ran:
 * an up migration is still pending, a down one still applied.
 */
static int
not_started(script_run *r, int rc, strata_error *err)
{
    if (r->start_lost)
        strata_error_prefix(err, "cannot record the start of migration %s in %s: ", r->m->version,
                            r->s->names.migrations);
    else if (r->direction == 'u')
        advise(err,
               "migration %s had not started: the database is as it was before it, and it and "
               "the migrations after it are pending; run `strata up` again",
               r->m->version);
    else
        advise(err,
               "the down script of migration %s had not started: the migration is still "
               "applied and the database as it was; run `strata down` again",
               r->m->version);
    strata_buf_free(&r->start_mark);
    return rc;
}

/*
 * A script run without a transaction stopped because the checkpoint of a statement that
 * ran could not be written: the record counts one statement fewer than ran, so --resume
 * would run that statement again. The hint says what is true and what to do.
 */
static int
progress_unrecorded(script_run *r, int rc, strata_error *err)
{
    advise(err,
           "statement %ld of the %s script of migration %s ran, but its record says %ld "
           "statement(s): `strata up --resume` would run statement %ld again. Fix the cause, "
           "then finish the script by hand and run `strata force %s applied`, or undo "
           "statements 1 to %ld by hand and run `strata force %s rolled-back`",
           r->statements, r->direction == 'u' ? "up" : "down", r->m->version, r->statements - 1,
           r->statements, r->m->version, r->statements, r->m->version);
    return rc;
}

static int
run_dirty(script_run *r, long rank, const char *started, long long t0, strata_error *err)
{
    chain_reset(r);
    int together = (r->s->info.caps & STRATA_CAP_AUTOCOMMIT_BATCH) != 0;
    prepare_start_mark(r, rank, started);
    int rc = run_script_body(r, together ? run_with_checkpoint : run_one, err);
    if (rc == STRATA_OK)
        rc = send_start_mark(r, err); /* a script without statements */
    if (rc == STRATA_OK)
        rc = group_close(r, err);
    else
        group_abandon(r); /* an interruption between two statements of a row */
    if (rc == STRATA_OK)
        rc = reset_session(r, err);
    if (rc == STRATA_OK)
        return record(r, rank, started, strata_now_ms() - t0, err);
    if (r->start_lost || r->start_mark.len > 0)
        return not_started(r, rc, err);
    if (r->unrecorded)
        return progress_unrecorded(r, rc, err);
    if (undo_dirty_start(r, err))
        return rc;
    char careful[160] = "";
    if (r->group_partial) /* statements after the checkpoint changed what a rollback keeps */
        snprintf(careful, sizeof(careful),
                 ". Careful: what statements %ld on did to MyISAM/Aria tables stays; undo "
                 "it before --resume",
                 r->statements + 1);
    advise(err,
           "the %s script of migration %s ran outside a transaction and stopped after %ld "
           "statement(s); its record is dirty. Fix the cause and run `strata up --resume` to "
           "continue from statement %ld, or record the truth with `strata force %s applied` "
           "(all its changes are in place) or `strata force %s rolled-back` (none are)%s",
           r->direction == 'u' ? "up" : "down", r->m->version, r->statements, r->statements + 1,
           r->m->version, r->m->version, careful);
    return rc;
}

/* Decides how the script runs, and says so when it cannot run in a transaction. */
static int
choose_protocol(script_run *r, strata_error *err)
{
    int rc = prescan(r->s, r->script, &r->bytes, &r->shape, err);
    if (rc != STRATA_OK)
        return rc;
    unsigned flags = r->shape.flags;
    const char *why = NULL;
    if (r->script->flags & STRATA_SCRIPT_NO_TRANSACTION)
        why = "its file asks for no transaction";
    else if (flags & STRATA_STMT_NO_TRANSACTION)
        why = "it holds a statement that cannot run inside a transaction";
    else if (flags & STRATA_STMT_TX_CONTROL)
        why = "it manages its own transactions";
    else if (!(r->s->info.caps & STRATA_CAP_TRANSACTIONAL_DDL))
        why = "this database commits DDL implicitly";
    r->dirty_protocol = why != NULL;
    if (why != NULL && (r->s->info.caps & STRATA_CAP_TRANSACTIONAL_DDL))
        strata_session_notice(r->s, "migration %s runs outside a transaction: %s", r->m->version,
                              why);
    return STRATA_OK;
}

int
strata_resume_migration(strata *s, const strata_migration *m, const strata_history_row *row,
                        strata_run_item *item, strata_error *err)
{
    script_run r = {.s = s,
                    .m = m,
                    .direction = 'u',
                    .script = &m->up,
                    .dirty_protocol = 1,
                    .skip = row->detail->statements_done, /* a dirty row has its detail */
                    .expected_hash = row->detail->statements_hash};
    char started[32];
    strata_utc_now(started, sizeof(started));
    long long t0 = strata_now_ms();
    strata_session_notice(s, "resuming migration %s at statement %ld", m->version,
                          row->detail->statements_done + 1);
    emit(s, STRATA_EVENT_MIGRATION_START, &r, 0);
    int rc = prescan(s, &m->up, &r.bytes, &r.shape, err);
    if (rc == STRATA_OK)
        rc = run_script_body(&r, run_one, err);
    if (rc == STRATA_OK && r.statements < r.skip)
        rc = strata_fail(err, STRATA_VALIDATION,
                         "%s: the script now has %ld statement(s), but %ld had already run; "
                         "--resume refuses",
                         m->up.path, r.statements, r.skip);
    if (rc == STRATA_OK)
        rc = reset_session(&r, err);
    if (rc == STRATA_OK)
        rc = record(&r, row->applied_rank, started, strata_now_ms() - t0, err);
    long long ms = rc == STRATA_OK ? r.ms : strata_now_ms() - t0;
    emit(s, rc == STRATA_OK ? STRATA_EVENT_MIGRATION_DONE : STRATA_EVENT_MIGRATION_FAILED, &r, ms);
    if (rc != STRATA_OK) {
        strata_session_rollback(s);
        log_failure(&r, started, ms, err);
        goto cleanup;
    }
    item->duration_ms = ms;
    item->statements = r.statements - r.skip;
    item->no_transaction = 1;
cleanup:
    strata_buf_free(&r.bytes.buf);
    return rc;
}

int
strata_run_migration(strata *s, const strata_migration *m, char direction, long rank,
                     unsigned flags, strata_run_item *item, strata_error *err)
{
    script_run r = {.s = s,
                    .m = m,
                    .direction = direction,
                    .script = direction == 'u' ? &m->up : &m->down,
                    .flags = flags};
    char started[32];
    strata_utc_now(started, sizeof(started));
    long long t0 = strata_now_ms();
    int rc = choose_protocol(&r, err);
    if (rc != STRATA_OK)
        goto cleanup;
    emit(s, STRATA_EVENT_MIGRATION_START, &r, 0);
    if (r.dirty_protocol)
        rc = run_dirty(&r, rank, started, t0, err);
    else if (s->info.caps & STRATA_CAP_MULTI_STATEMENT)
        rc = run_batched(&r, rank, started, t0, err);
    else
        rc = run_in_transaction(&r, rank, started, t0, err);
    long long ms = rc == STRATA_OK ? r.ms : strata_now_ms() - t0;
    emit(s, rc == STRATA_OK ? STRATA_EVENT_MIGRATION_DONE : STRATA_EVENT_MIGRATION_FAILED, &r, ms);
    if (rc != STRATA_OK) {
        /* a script with its own BEGIN may have failed inside it: leave no transaction open */
        strata_session_rollback(s);
        if (rc == STRATA_INTERRUPTED && !r.dirty_protocol)
            snprintf(err->hint, sizeof(err->hint),
                     "migration %s was rolled back: the database is as it was before it, and it "
                     "and the migrations after it are pending; run `strata up` again",
                     m->version);
        log_failure(&r, started, ms, err);
        goto cleanup;
    }
    item->duration_ms = ms;
    item->statements = r.statements;
    item->no_transaction = r.dirty_protocol;
cleanup:
    strata_buf_free(&r.bytes.buf);
    strata_buf_free(&r.start_mark);
    return rc;
}
