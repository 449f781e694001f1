/*
 * Migrations on disk (DESIGN section 3, docs/formats.md): discovering the files of a
 * directory, parsing their names, pairing up and down scripts, and checksumming each script
 * while reading every file exactly once.
 *
 * Formats read:
 *   V_name.up.sql / V_name.down.sql           paired files (golang-migrate)
 *   V_name.sql with -- strata:up / -- strata:down, dbmate's -- migrate:up / -- migrate:down
 *     or goose's -- +goose Up / -- +goose Down
 *   V_name.sql without markers                an up script with no down
 *   V_name.sql + rollback/V_rollback.sql or rollback/V_name.sql    rollback folder
 *   V_name/migration.sql + V_name/down.sql    a folder per migration (Prisma)
 *   V1__name.sql, U1__name.sql, R__name.sql   Flyway (versioned, undo, repeatable)
 *   V_name.<dialect>.up.sql, V_name.<dialect>.sql, V1__name.<dialect>.sql ...
 *                                             dialect variants of any of the file forms
 *   sqitch.plan with deploy/, revert/, verify/ (sqitch.c)
 *   Liquibase formatted SQL changelogs (liquibase.c)
 * '_', '-' or '.' separates the version from the name (Flyway: "__"); names.h has the
 * grammar, dialects.h the dialect tags.
 */
#ifndef STRATA_SOURCE_H
#define STRATA_SOURCE_H

#include <stddef.h>

#include <strata/types.h>

#include "checksum.h"
#include "dialects.h"
#include "version.h"

/* Bits of strata_script.flags (an unsigned char: eight at most). */
#define STRATA_SCRIPT_NO_TRANSACTION                                                               \
    0x01 /* -- strata:no-transaction, transaction:false,                                           \
            -- +goose NO TRANSACTION */
#define STRATA_SCRIPT_ENVSUB                                                                       \
    0x02 /* has goose ENVSUB ON regions: read it through                                           \
            strata_envsub (envsub.h) */
#define STRATA_SCRIPT_ENVSUB_OPEN                                                                  \
    0x04 /* (with ENVSUB) starts inside a region opened above                                      \
            its section marker: call                                                               \
            strata_envsub_start_inside() before reading */
/* Liquibase changesets (script.h): the up script is the changeset without Liquibase's own
 * lines (--rollback, --comment, --precondition..., rollback blocks); the down script is the
 * text of its --rollback lines and rollback blocks. */
#define STRATA_SCRIPT_CHANGESET 0x40
#define STRATA_SCRIPT_ROLLBACK_TEXT 0x08
#define STRATA_SCRIPT_OWN_TRANSACTION                                                              \
    0x10 /* sqitch: the script wraps itself in BEGIN ...                                           \
            COMMIT (or ROLLBACK); strata drops that wrapper                                        \
            and runs the rest in its own transaction */
#define STRATA_SCRIPT_ONE_STATEMENT                                                                \
    0x20 /* Liquibase splitStatements:false: the whole script                                      \
            is one statement */

/* One script: a whole file or one section of it. Its fields are laid out to take 104 bytes
 * (two per migration: every byte here counts ten thousand times in a long history). */
typedef struct strata_script {
    char *path;          /* file path: directory joined with the file name */
    char *delimiter;     /* Liquibase endDelimiter: ends statements instead of ';'; NULL: none */
    long long offset;    /* byte offset of the script in the file */
    long long length;    /* its length in bytes */
    int first_line;      /* file line of the script's first byte (a script starting beyond
                            line 2^31 - 1 is refused by the scan) */
    unsigned char flags; /* STRATA_SCRIPT_* */
    unsigned char empty; /* holds no SQL (blank or -- comment lines only): a deliberate no-op */
    char checksum[STRATA_CHECKSUM_HEX]; /* see checksum.h */
} strata_script;

typedef struct strata_migration {
    char *version;            /* as spelled in the file name; ordered by strata_version_cmp */
    char *name;               /* the part after the separator, without extensions */
    strata_script up;         /* up.path is NULL when !applicable */
    strata_script down;       /* down.path is NULL when the migration has no down */
    strata_script *verify;    /* sqitch: run after up in the same transaction; NULL: none (out
                                 of line: most sets have none, and an inline script costs
                                 every migration 104 bytes) */
    const char *format;       /* static: "paired", "sections", "goose", "rollback-folder",
                                 "folder", "flyway", "pop", "sqitch", "liquibase" */
    unsigned char applicable; /* 0: the version has files only for other dialects */
} strata_migration;

/* A repeatable migration (Flyway R__name.sql): run after the versioned ones, and again
 * whenever its checksum changes. */
typedef struct strata_repeatable {
    char *name; /* the part after "R__", without ".sql" */
    strata_script script;
} strata_repeatable;

/* A named point of a plan (sqitch's @tag): the version of the change it follows. */
typedef struct strata_source_tag {
    char *name; /* with its '@' */
    char *version;
} strata_source_tag;

typedef struct strata_source_set {
    char *dir;
    strata_migration *items; /* sorted by version, ascending */
    size_t count;
    strata_repeatable *repeatables; /* sorted by name */
    size_t nrepeatables;
    char **notes; /* warnings met while reading, each naming its file; shown once per run */
    size_t nnotes;
    strata_source_tag *tags; /* in plan order */
    size_t ntags;
    struct strata_strpool *texts; /* not NULL (a set of migration files): holds the versions,
                                     names and script paths of items and repeatables, each
                                     string without a malloc header of its own; NULL (sqitch,
                                     Liquibase): each is malloc'd */
} strata_source_set;

/*
 * Reads the migrations of dir for dialect (the active driver's names; NULL or a NULL name
 * accepts only dialect-neutral files). A file for this dialect is used instead of the
 * dialect-neutral one for the same version and direction; files for other dialects are
 * ignored, and a version with files only for other dialects becomes a migration with
 * applicable = 0 (no scripts read). A tag that has a dialect's shape but names no database
 * stays part of the name, with a note.
 * Returns STRATA_OK and *out (free with strata_source_free), or STRATA_VALIDATION /
 * STRATA_ERROR with err naming the file (and line) and what to do: unparseable names (the
 * message states the rule broken), duplicate versions, two files claiming one script,
 * non-UTF-8 text or a NUL byte, rollback scripts for unknown versions, migration folders
 * without migration.sql, sqitch plans and Liquibase changelogs that do not parse,
 * unreadable directories.
 */
int strata_source_scan(const char *dir, const strata_dialect *dialect, strata_source_set **out,
                       strata_error *err);
void strata_source_free(strata_source_set *set);

/* Adds a printf-style note to set->notes. */
void strata_source_note(strata_source_set *set, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees the strings of a script (not the script itself). */
void strata_script_free(strata_script *script);

/* The migration with this version (compared as versions: "1" finds "001"), or NULL. */
const strata_migration *strata_source_find(const strata_source_set *set, const char *version);

/*
 * For `strata new`: the format most migrations of dir use ("paired", "sections", "goose",
 * "rollback-folder", "folder" or "flyway"; static), counting each migration once and
 * breaking ties in favour of the newest; "paired" when dir is empty or unreadable. Sets
 * *sequential to 1 when every version is a plain sequence number (digits only, fewer than
 * 12: not a timestamp) and *width to the length of the longest version spelling (0 when
 * there are none). Names it cannot parse are skipped; never fails.
 */
const char *strata_source_detect_format(const char *dir, int *sequential, size_t *width);

/* A reader over one script's bytes; use with strata_script_read as a strata_read_fn. */
typedef struct strata_script_reader strata_script_reader;
/* Opens the script; *out is freed by strata_script_close. */
int strata_script_open(const strata_script *script, strata_script_reader **out, strata_error *err);
size_t strata_script_read(void *reader, char *buf, size_t size);
void strata_script_close(strata_script_reader *reader);

#endif
