#!/usr/bin/env bash
# strata-driver-check, the conformance kit: every driver built passes it against its
# database (a SQLite file, the PostgreSQL and MariaDB servers ./run-tests starts, and ODBC
# over each of the three), and a sloppy driver fails it, naming the slots it breaks. A
# driver built without its server is a failure, never a skip.
# Needs STRATA_DRIVER_CHECK, STRATA_DRIVER_PATH, STRATA_TEST_SLOPPY (set by make check) and
# STRATA_TEST_POSTGRES_URL / STRATA_TEST_MYSQL_URL (set by ./run-tests).
set -u
. "$(dirname "$0")/testlib.sh"

kit="${STRATA_DRIVER_CHECK:?set by make check}"
drivers="${STRATA_DRIVER_PATH:?set by make check}"
sloppy="${STRATA_TEST_SLOPPY:?set by make check}"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-kit-XXXXXX")
trap 'rm -rf "$work"' EXIT

# passes LABEL DRIVER.so URL: the kit exits 0 with no FAIL line
passes() {
    run "$kit" "$2" "$3"
    expect_code 0 "$1: every check passes"
    expect_no "FAIL" "$1: no check fails"
    expect_out "0 failed" "$1: the summary counts no failure"
}

# server_parts URL: "user password host port database" of a scheme://user:pw@host:port/db URL
server_parts() {
    sed -E 's|^[a-z]+://([^:]+):([^@]+)@([^:/]+):([0-9]+)/([^?]*).*$|\1 \2 \3 \4 \5|' <<<"$1"
}

passes sqlite "$drivers/sqlite.so" "sqlite:$work/kit.db"

pg="${STRATA_TEST_POSTGRES_URL:-}"
my="${STRATA_TEST_MYSQL_URL:-}"
if [ -f "$drivers/postgres.so" ]; then
    [ -n "$pg" ] && passes postgres "$drivers/postgres.so" "$pg" ||
        { out="no STRATA_TEST_POSTGRES_URL"; not_ok "postgres: a server to check against"; }
fi
if [ -f "$drivers/mysql.so" ]; then
    [ -n "$my" ] && passes mysql "$drivers/mysql.so" "$my" ||
        { out="no STRATA_TEST_MYSQL_URL"; not_ok "mysql: a server to check against"; }
fi
if [ -f "$drivers/odbc.so" ]; then
    passes "odbc over SQLite" "$drivers/odbc.so" "odbc:Driver=SQLite3;Database=$work/odbc.db"
    if [ -n "$pg" ]; then
        read -r u p h port db <<<"$(server_parts "$pg")"
        passes "odbc over PostgreSQL" "$drivers/odbc.so" \
            "odbc:Driver=PostgreSQL Unicode;Server=$h;Port=$port;Database=$db;Uid=$u;Pwd=$p"
    else
        out="no STRATA_TEST_POSTGRES_URL"; not_ok "odbc over PostgreSQL: a server"
    fi
    if [ -n "$my" ]; then
        read -r u p h port db <<<"$(server_parts "$my")"
        passes "odbc over MariaDB" "$drivers/odbc.so" \
            "odbc:Driver=MariaDB Unicode;Server=$h;Port=$port;Database=$db;User=$u;Password=$p"
    else
        out="no STRATA_TEST_MYSQL_URL"; not_ok "odbc over MariaDB: a server"
    fi
fi

# A driver that maps a missing table to STRATA_ERROR and does not double quotes in literals
run "$kit" "$sloppy/sloppy.so" "sloppy:$work/sloppy.db"
expect_code 1 "sloppy: the kit fails it"
expect_out "FAIL  query                    a missing table gives STRATA_NOT_FOUND" \
    "sloppy: the failure names query() and the missing-table contract"
expect_out "FAIL  quote_literal" "sloppy: the failure names quote_literal()"

# Bad usage and a plugin strata refuses
run "$kit" "$drivers/sqlite.so"
expect_code 2 "one argument: usage"
run "$kit" "$work/none.so" "sqlite:$work/x.db"
expect_code 2 "a missing plugin file"

finish
