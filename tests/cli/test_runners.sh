#!/usr/bin/env bash
# 32 runners started at once on each database (SQLite, PostgreSQL, MariaDB) with a set of 50
# migrations: every runner exits 0, each migration is applied exactly once, and the event log
# holds exactly one successful up per migration and no failure.
# Needs STRATA_BIN (set by make check), STRATA_TEST_POSTGRES_URL and STRATA_TEST_MYSQL_URL
# (./run-tests starts the servers), sqlite3, psql, mariadb.
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
unset DATABASE_URL STRATA_DIR STRATA_TABLE STRATA_LINT
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-runners-XXXXXX")
pg_admin="${STRATA_TEST_POSTGRES_URL:-}"
my_admin="${STRATA_TEST_MYSQL_URL:-}"
name="runners_$$"
cleanup() {
    [ -n "$pg_admin" ] && psql "$pg_admin" -X -q -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1
    [ -n "$my_admin" ] && my_client -e "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
mkdir m
for i in $(seq -w 1 50); do
    printf 'CREATE TABLE r%s (id INTEGER PRIMARY KEY, v VARCHAR(20));\nINSERT INTO r%s (id, v) VALUES (1, %s);\n' \
        "$i" "$i" "'x'" >"m/0$i.up.sql"
    echo "DROP TABLE r$i;" >"m/0$i.down.sql"
done

# count URL SQL: the single value of a query, with the database's own client
count() {
    case "$1" in
    sqlite:*) sqlite3 "${1#sqlite:}" "$2" ;;
    postgres://*) psql "$1" -X -A -t -c "$2" ;;
    mysql://*) my_client -N -B "$name" -e "$2" ;;
    esac
}

for kind in sqlite postgres mysql; do
    case "$kind" in
    sqlite) url="sqlite:$work/r.db" ;;
    postgres)
        [ -n "$pg_admin" ] || { not_ok "STRATA_TEST_POSTGRES_URL is not set (./run-tests starts a server)"; continue; }
        psql "$pg_admin" -X -q -c "CREATE DATABASE $name" >/dev/null
        url=$(db_url "$pg_admin" "$name")
        ;;
    mysql)
        [ -n "$my_admin" ] || { not_ok "STRATA_TEST_MYSQL_URL is not set (./run-tests starts a server)"; continue; }
        my_client -e "CREATE DATABASE $name"
        url=$(db_url "$my_admin" "$name")
        ;;
    esac
    rel_begin
    pids=()
    for r in $(seq 1 32); do
        "$strata" -d "$url" --dir m up -q >"$kind.$r.out" 2>&1 &
        pids+=($!)
    done
    fails=0
    for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
    out=$(cat "$kind".*.out)
    expect_eq "$fails" "0" "$kind: 32 runners at once all exit 0"
    expect_eq "$(count "$url" "SELECT count(*) FROM strata_migrations WHERE state = 'applied'")" "50" \
        "$kind: the 50 migrations are applied"
    expect_eq "$(count "$url" "SELECT count(*) FROM strata_migrations_events WHERE action = 'up' AND outcome = 'ok'")" "50" \
        "$kind: the event log holds exactly one successful up per migration"
    expect_eq "$(count "$url" "SELECT count(*) FROM strata_migrations_events WHERE outcome <> 'ok'")" "0" \
        "$kind: and no failure"
    expect_eq "$(count "$url" "SELECT count(*) FROM r25")" "1" "$kind: each migration's data is there once"
    rel_end race "$kind" "32 runners at once, 50 migrations" "all exit 0, each migration applied and logged once"
done

finish
