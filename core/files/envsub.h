/*
 * goose's environment substitution (docs/formats.md, "goose"): a reader filter that
 * replaces ${VAR}, ${VAR:-default} and ${VAR-default} inside the regions of a script
 * between the lines "-- +goose ENVSUB ON" and "-- +goose ENVSUB OFF".
 *
 * Outside the regions every byte passes through unchanged, and so do the marker lines
 * themselves. Inside:
 *   ${VAR}            the value of VAR; an unset VAR becomes "" (as goose does)
 *   ${VAR:-default}   the value of VAR, or default when VAR is unset or empty
 *   ${VAR-default}    the value of VAR, or default when VAR is unset
 * VAR is [A-Za-z_][A-Za-z0-9_]*; default is taken literally up to the first '}' (it is not
 * substituted itself) and may not span lines. Anything else, "$name", "$1", "$$", "${}",
 * an unterminated "${X" or an expression longer than STRATA_ENVSUB_EXPR_MAX bytes, is
 * passed through as it is.
 *
 * The filter streams: memory is bounded by its fixed buffers, the caller's read size and
 * the longest value substituted, never by the script. Checksums are computed over the raw
 * file text, never over this filter's output.
 */
#ifndef STRATA_ENVSUB_H
#define STRATA_ENVSUB_H

#include <stddef.h>

#include <strata/types.h>

/* Longest marker line recognised, and longest ${...} expression substituted, in bytes. */
#define STRATA_ENVSUB_LINE_MAX 256
#define STRATA_ENVSUB_EXPR_MAX 4096

typedef struct strata_envsub strata_envsub;

/*
 * A filter over read(ctx), starting outside any region. read and ctx must outlive the
 * filter; the filter does not close ctx. Never fails (allocation failure aborts). The
 * caller frees the result with strata_envsub_free.
 */
strata_envsub *strata_envsub_create(strata_read_fn read, void *ctx);

/*
 * Makes the filter start inside a region: for a section whose file opened the region above
 * the section's marker (strata_script.flags holds STRATA_SCRIPT_ENVSUB_OPEN). Call it
 * before the first strata_envsub_read.
 */
void strata_envsub_start_inside(strata_envsub *e);

/*
 * A strata_read_fn with the filter as ctx: up to size bytes of substituted text, 0 at the
 * end, (size_t)-1 when the underlying reader failed (and on every call after that).
 * Reads the environment with getenv(): do not change the environment from another thread
 * while reading.
 */
size_t strata_envsub_read(void *envsub, char *buf, size_t size);

/* Looks a name up for strata_envsub_use_values; NULL when it has no value. */
typedef const char *(*strata_envsub_lookup)(void *ctx, const char *name);

/*
 * Placeholder mode (strata.conf's opt-in placeholders): the whole text is substituted, goose
 * markers mean nothing, and values come from lookup(ctx, name) instead of the environment;
 * an unknown ${name} without a default is left as written. Call before the first read.
 */
void strata_envsub_use_values(strata_envsub *e, strata_envsub_lookup lookup, void *ctx);

/* Frees the filter; NULL is a no-op. */
void strata_envsub_free(strata_envsub *e);

/*
 * Whether the line line[0, n) (with or without its newline; a leading UTF-8 BOM and a
 * trailing CR are allowed) is "-- +goose ENVSUB ON" (returns 1), "-- +goose ENVSUB OFF"
 * (returns -1) or neither (0). Case-insensitive, blanks around the words allowed; lines
 * longer than STRATA_ENVSUB_LINE_MAX bytes are never markers. The scanner (source.c) uses
 * this so that it and the filter agree on where regions are.
 */
int strata_envsub_marker(const char *line, size_t n);

#endif
