/*
 * Schema snapshots, their comparison, scratch databases, drift and verify (docs/schema.md).
 */
#ifndef STRATA_SCHEMA_H
#define STRATA_SCHEMA_H

#include <stdio.h>

#include <strata/driver.h>
#include <strata/strata.h>

/* "table", "column", ... for a strata_object_kind. */
const char *strata_schema_kind_name(int kind);
/* strata_take_snapshot() without the guard, for the core's own callers. */
int strata_session_snapshot(strata *s, strata_snapshot **out, strata_error *err);
/* strata_schema_compare() without the guard; the diff is newly allocated. */
strata_schema_diff *strata_schema_compare_body(const strata_snapshot *a, const strata_snapshot *b);
/* The changes as a JSON array (members change, kind, name, before, after). */
void strata_schema_diff_json(FILE *out, const strata_schema_diff *d);
/* The changes as text lines ("+ index users.x: ...", "~ column ..." with before and
 * after), each prefixed by indent. */
void strata_schema_diff_text(FILE *out, const strata_schema_diff *d, const char *indent);

/* Options for a session on url (password: one given apart from it, may be NULL) that reads
 * s's migrations as s does (directory, table, placeholders, embedded files); quiet. */
void strata_options_like(const strata *s, const char *url, const char *password, strata_options *o);

/* A scratch database: the session on it, and what to drop at the end. */
typedef struct strata_scratch {
    strata *session; /* on the scratch database */
    char *name;      /* what scratch_create wrote, NULL when the user gave the URL */
    strata *origin;  /* the session it was created through (not owned) */
} strata_scratch;

/*
 * Opens a scratch database beside s's: url when given (it must hold no tables), else one the
 * driver creates. The scratch session reads s's migrations (directory, table, placeholders).
 * *out is released with strata_scratch_close, which drops what was created.
 */
int strata_scratch_open(strata *s, const char *url, strata_scratch **out, strata_error *err);
void strata_scratch_close(strata_scratch *sc);
/* True once strata_cancel() was called (and not yet reset). */
int strata_cancelled(void);
/* Clears the cancel flag, at the start of a long command. */
void strata_cancel_reset(void);

#endif
