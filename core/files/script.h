/*
 * Reading one migration file (DESIGN section 3): a single sequential pass that checks the
 * text (UTF-8, no NUL byte), finds section markers and annotations, and checksums each
 * script; and the readers that later stream a script's bytes to the lexer.
 */
#ifndef STRATA_SCRIPT_H
#define STRATA_SCRIPT_H

#include <stddef.h>

#include <strata/types.h>

#include "source.h"

/* What reading a file found out beyond its scripts. */
typedef struct strata_file_info {
    int saw_marker; /* it has section markers */
    int goose;      /* ... in goose's spelling */
    int liquibase;  /* its first non-blank line says "--liquibase formatted sql" */
} strata_file_info;

/*
 * Reads path once, filling up (and down, for a file that may hold sections: sectioned) with
 * offsets, checksums, flags and the empty mark. For a file of one script only one of up/down
 * is given (the other NULL). info (may be NULL) receives what the file's markers were.
 * Errors (STRATA_VALIDATION) name path:line[:col]: invalid UTF-8, a NUL byte, SQL before the
 * first marker, a second section, no up section. The scripts' paths are newly allocated
 * (freed with the source set).
 */
int strata_script_scan(const char *path, int sectioned, strata_script *up, strata_script *down,
                       strata_file_info *info, strata_error *err);

/* Reads path only up to its first section marker: 2 for goose's spelling, 1 for strata's
 * or dbmate's, 0 when there is none (or it cannot be read). */
int strata_script_peek_markers(const char *path);

/*
 * Checks one line of a script (n bytes, its newline included) of path at file line line:
 * STRATA_OK, or STRATA_VALIDATION naming path:line:col for a NUL byte or invalid UTF-8.
 */
int strata_script_check_line(const char *path, long line, const char *text, size_t n,
                             strata_error *err);

/* True when the line (n bytes) holds no SQL: only blanks, or a -- comment. */
int strata_script_line_is_quiet(const char *text, size_t n);

/*
 * Liquibase changesets. Of a changeset's lines, the down script (rollback set:
 * STRATA_SCRIPT_ROLLBACK_TEXT) is only what its "--rollback " lines and
 * "/ * liquibase rollback ... * /" blocks hold; the up script (STRATA_SCRIPT_CHANGESET) is
 * everything but those and Liquibase's other "--" lines (--comment, --precondition...,
 * --validCheckSum), which Liquibase never sends either. The mask keeps each line's length
 * and newline and blanks the bytes that are not part of the script, so line and column
 * numbers stay those of the file. state is 0 before the first line.
 */
void strata_script_mask_changeset(int *state, char *line, size_t n, int rollback);

#endif
