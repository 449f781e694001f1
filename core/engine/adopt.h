/*
 * strata adopt (adopt.c): taking over a database that golang-migrate, dbmate, goose,
 * Flyway, sqitch or Liquibase migrated, without running a migration again. The entry points are public
 * (strata_adopt in strata.h); this header exposes the pure helpers, for the tests.
 */
#ifndef STRATA_ADOPT_H
#define STRATA_ADOPT_H

#include <stddef.h>

/* The tools strata adopts from, in the order it probes their tables. */
typedef enum strata_adopt_tool {
    STRATA_ADOPT_GOLANG_MIGRATE = 0, /* schema_migrations (version, dirty): one row */
    STRATA_ADOPT_DBMATE,             /* schema_migrations (version): a row per migration */
    STRATA_ADOPT_GOOSE,              /* goose_db_version: a row per apply and per rollback */
    STRATA_ADOPT_FLYWAY,             /* flyway_schema_history: a row per action */
    STRATA_ADOPT_SQITCH,             /* sqitch.changes: a row per deployed change */
    STRATA_ADOPT_LIQUIBASE,          /* DATABASECHANGELOG: a row per changeset run */
    STRATA_ADOPT_TOOLS
} strata_adopt_tool;

/* The tool's name as --from spells it ("golang-migrate", "dbmate", "goose", "flyway",
 * "sqitch", "liquibase"). */
const char *strata_adopt_tool_name(strata_adopt_tool tool);
/* The table the tool keeps its history in (by default; strata reads only that one). */
const char *strata_adopt_tool_table(strata_adopt_tool tool);
/* Parses a tool name, case-insensitively ("migrate" also means golang-migrate). Returns the
 * tool, or -1 when the name is none of them. */
int strata_adopt_tool_parse(const char *name);

/*
 * Converts a timestamp as a database renders it ("2025-07-01 13:28:05",
 * "2025-07-01 13:28:05.123456", "2025-07-01T13:28:05Z", "2025-07-01 13:28:05.1+02",
 * "2025-07-01 13:28:05-07:30") to UTC "YYYY-MM-DD HH:MM:SS" in out (at least 20 bytes).
 * A time without an offset is taken as UTC already. Returns 0, or -1 when in is not such
 * a timestamp (out is then "").
 */
int strata_adopt_utc(const char *in, char *out, size_t size);

/* True when v is a database's rendering of a true boolean: 1, t, true, y, yes, on (any
 * case). NULL is false. */
int strata_adopt_true(const char *v);

#endif
