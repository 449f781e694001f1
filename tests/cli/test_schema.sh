#!/usr/bin/env bash
# Schema snapshots (docs/schema.md) on SQLite, PostgreSQL and MariaDB: dump (stable bytes,
# the demo set's dumps committed in examples/schema/), validate --dump, dump_after_up,
# drift (a column added by hand, then the same change as a migration), diff, verify (the
# demo set passes; a down that forgets to drop an index is named with that index; --from
# and --to), verify --also across dialects, and scratch databases dropped after a failure
# and after SIGINT.
# Needs STRATA_BIN, STRATA_SRCDIR (set by make check), STRATA_TEST_POSTGRES_URL and
# STRATA_TEST_MYSQL_URL (./run-tests starts the servers), sqlite3, psql, mariadb, python3.
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
src="${STRATA_SRCDIR:?set by make check}"
unset DATABASE_URL STRATA_DIR STRATA_TABLE STRATA_LINT
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-schema-XXXXXX")
export TMPDIR="$work/tmp" # where SQLite scratch files go: checked to be empty at the end
mkdir -p "$TMPDIR"
pg_admin="${STRATA_TEST_POSTGRES_URL:-}"
my_admin="${STRATA_TEST_MYSQL_URL:-}"
tag="schema_$$"
created=()
cleanup() {
    for d in "${created[@]}"; do
        case "$d" in
        pg:*) psql "$pg_admin" -X -q -c "DROP DATABASE IF EXISTS ${d#pg:} WITH (FORCE)" >/dev/null 2>&1 ;;
        my:*) my_client -e "DROP DATABASE IF EXISTS ${d#my:}" >/dev/null 2>&1 ;;
        esac
    done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

# new_db KIND NAME: an empty database; prints its URL
new_db() {
    case "$1" in
    sqlite) echo "sqlite:$work/$2.db" ;;
    postgres)
        psql "$pg_admin" -X -q -c "CREATE DATABASE ${2}_$tag" >/dev/null
        created+=("pg:${2}_$tag")
        db_url "$pg_admin" "${2}_$tag"
        ;;
    mysql)
        my_client -e "CREATE DATABASE ${2}_$tag"
        created+=("my:${2}_$tag")
        db_url "$my_admin" "${2}_$tag"
        ;;
    esac
}
# sql KIND URL: runs the SQL on stdin with the database's own client
sql() {
    case "$1" in
    sqlite) sqlite3 -bail "${2#sqlite:}" ;;
    postgres) psql "$2" -X -q -v ON_ERROR_STOP=1 >/dev/null ;;
    mysql) my_client "$(basename "${2%%\?*}")" ;;
    esac
}
# scratch_left KIND: the scratch databases left behind
scratch_left() {
    case "$1" in
    sqlite) ls "$TMPDIR" | grep strata_scratch_ ;;
    postgres) psql "$pg_admin" -X -A -t -c "SELECT datname FROM pg_database WHERE datname LIKE 'strata\_scratch\_%'" ;;
    mysql) my_client -N -B -e "SHOW DATABASES LIKE 'strata\_scratch\_%'" ;;
    esac
}

# A set whose down forgets to drop an index, and a set to add a column by hand and then by
# migration.
mkdir wrong
printf 'CREATE TABLE items (id INTEGER PRIMARY KEY, label VARCHAR(40));\n' >wrong/001_items.up.sql
echo 'DROP TABLE items;' >wrong/001_items.down.sql
printf 'CREATE INDEX items_label ON items (label);\n' >wrong/002_label_index.up.sql
echo 'SELECT 1;' >wrong/002_label_index.down.sql
printf 'ALTER TABLE items ADD COLUMN price INTEGER;\n' >wrong/003_price.up.sql
echo 'ALTER TABLE items DROP COLUMN price;' >wrong/003_price.down.sql

for kind in sqlite postgres mysql; do
    case "$kind" in
    postgres) [ -n "$pg_admin" ] || { not_ok "STRATA_TEST_POSTGRES_URL is not set (./run-tests starts a server)"; continue; } ;;
    mysql) [ -n "$my_admin" ] || { not_ok "STRATA_TEST_MYSQL_URL is not set (./run-tests starts a server)"; continue; } ;;
    esac
    # ------------------------------------------------------------ dump
    url=$(new_db "$kind" demo)
    run "$strata" -d "$url" --dir "$src/migrations" up
    expect_code 0 "$kind: the demo set applies"
    run "$strata" -d "$url" --dir "$src/migrations" dump
    expect_code 0 "$kind: dump"
    first="$out"
    run "$strata" -d "$url" --dir "$src/migrations" dump
    [ "$out" = "$first" ] && ok "$kind: dump twice gives the same bytes" || not_ok "$kind: dump twice differs"
    expect_no "strata_migrations" "$kind: strata's own tables are left out"
    run diff "$src/examples/schema/demo.$kind.txt" <(printf '%s\n' "$first")
    expect_code 0 "$kind: the dump is examples/schema/demo.$kind.txt, as committed"
    run "$strata" -d "$url" --dir "$src/migrations" dump --json
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["schema"]=="strata.dump/1" and len(d["objects"]) > 20' "$out" &&
        ok "$kind: dump --json is strata.dump/1" || not_ok "$kind: dump --json"
    run "$strata" -d "$url" --dir "$src/migrations" dump --output demo.txt
    run cat demo.txt
    [ "$out" = "$first" ] && ok "$kind: dump --output writes the same text" || not_ok "$kind: dump --output"
    run "$strata" -d "$url" --dir "$src/migrations" validate --dump demo.txt
    expect_code 0 "$kind: validate --dump passes with a fresh dump"

    # ------------------------------------------------------------ drift
    run "$strata" -d "$url" --dir "$src/migrations" drift
    expect_code 0 "$kind: no drift right after up"
    expect_out "no drift" "$kind: drift says so"
    sql "$kind" "$url" <<<"ALTER TABLE users ADD COLUMN nickname VARCHAR(40);"
    run "$strata" -d "$url" --dir "$src/migrations" drift
    expect_code 3 "$kind: a column added by hand is drift"
    expect_out "+ column users.nickname" "$kind: drift shows the column"
    run "$strata" -d "$url" --dir "$src/migrations" validate --dump demo.txt
    expect_code 3 "$kind: validate --dump fails on a stale dump"
    expect_out "demo.txt is stale" "$kind: and says which file"
    cp -r "$src/migrations" m
    chmod -R u+w m
    echo 'ALTER TABLE users ADD COLUMN nickname VARCHAR(40);' >m/006_nickname.up.sql
    echo 'ALTER TABLE users DROP COLUMN nickname;' >m/006_nickname.down.sql
    run "$strata" -d "$url" --dir m force 006 applied
    expect_code 0 "$kind: the hand change recorded as the new migration"
    run "$strata" -d "$url" --dir m drift --json
    expect_code 0 "$kind: no drift once the change is a migration"
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["schema"]=="strata.drift/1" and d["differences"]==0' "$out" &&
        ok "$kind: drift --json" || not_ok "$kind: drift --json"
    rm -rf m

    # ------------------------------------------------------------ diff
    other=$(new_db "$kind" other)
    run "$strata" -d "$other" --dir "$src/migrations" up
    run "$strata" diff "$url" "$other"
    expect_code 3 "$kind: diff of two databases that differ"
    expect_out "- column users.nickname" "$kind: diff shows what only the first has"

    # ------------------------------------------------------------ verify
    run "$strata" -d "$url" --dir "$src/migrations" verify
    expect_code 0 "$kind: the demo set verifies"
    expect_out "verify: 0 problem(s)" "$kind: verify reports no problem"
    run "$strata" -d "$url" --dir wrong verify --json
    expect_code 3 "$kind: a down that forgets an index fails verify"
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])
bad = [i for i in d["items"] if i["problem"]]
assert len(bad) == 1 and bad[0]["version"] == "002", bad
ch = bad[0]["changes"]
assert len(ch) == 1 and ch[0]["kind"] == "index" and ch[0]["name"] == "items.items_label", ch
' "$out" && ok "$kind: verify names exactly migration 002 and index items.items_label" ||
        not_ok "$kind: verify names the migration and the index"
    run "$strata" -d "$url" --dir wrong verify --from 003
    expect_code 0 "$kind: verify --from 003 checks past the wrong down"
    run scratch_left "$kind"
    expect_eq "$out" "" "$kind: no scratch database is left after a failed verify"
done

# ---------------------------------------------------------------- SIGINT
mkdir slow
echo 'CREATE TABLE a (id INTEGER PRIMARY KEY);' >slow/001_a.up.sql
echo 'DROP TABLE a;' >slow/001_a.down.sql
cat >slow/002_slow.up.sql <<'EOF'
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000) SELECT count(*) FROM c;
EOF
echo 'SELECT 1;' >slow/002_slow.down.sql
"$strata" -d "sqlite:$work/slow.db" --dir slow verify >slow.out 2>&1 &
pid=$!
for _ in $(seq 50); do ls "$TMPDIR" | grep -q strata_scratch_ && break; sleep 0.1; done
run scratch_left sqlite
[ -n "$out" ] && ok "the interrupted verify has made its scratch database" ||
    not_ok "verify made no scratch database to interrupt"
kill -INT "$pid"
wait "$pid"
code=$?
[ "$code" -ne 0 ] && ok "an interrupted verify fails (exit $code)" || not_ok "an interrupted verify exits 0"
out=$(cat slow.out)
expect_out "interrupted" "it says it was interrupted"
run scratch_left sqlite
expect_eq "$out" "" "the scratch database is dropped after SIGINT"

# ---------------------------------------------------------------- --scratch URL
run "$strata" -d "sqlite:$work/given.db" --dir wrong verify --to 001 --scratch "sqlite:$work/mine.db"
expect_code 0 "verify on a scratch database the user gives"
[ -f "$work/mine.db" ] && ok "the given scratch database is left in place (strata did not create it)" ||
    not_ok "the given scratch database was removed"
run "$strata" -d "sqlite:$work/given.db" --dir wrong verify --scratch "sqlite:$work/mine.db"
expect_code 2 "a given scratch database that holds tables is refused"
expect_out "is not empty" "the refusal says why"

# ---------------------------------------------------------------- dump_after_up
mkdir conf && cd conf || exit 1
printf '[development]\nurl = sqlite:%s/conf.db\ndir = %s\ndump_after_up = schema.txt\n' "$work" "$src/migrations" >strata.conf
run "$strata" up
expect_code 0 "up with dump_after_up"
[ -f schema.txt ] && cmp -s schema.txt "$src/examples/schema/demo.sqlite.txt" &&
    ok "dump_after_up wrote the schema after up" || not_ok "dump_after_up did not write the dump"
cd "$work" || exit 1

# ---------------------------------------------------------------- verify --also
if [ -n "$pg_admin" ]; then
    run "$strata" -d "sqlite:$work/also.db" --dir "$src/migrations" verify --also "$pg_admin"
    expect_code 0 "the demo set verifies on SQLite and PostgreSQL with nothing unportable"
    expect_no "not portable" "no portability difference is reported for the demo set"
    mkdir port
    echo 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, author VARCHAR(40));' >port/001_notes.up.sql
    echo 'DROP TABLE notes;' >port/001_notes.down.sql
    echo 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, author VARCHAR(40));' >port/001_notes.postgres.up.sql
    echo 'CREATE INDEX notes_author ON notes (author);' >port/002_author.sqlite.up.sql
    echo 'DROP INDEX notes_author;' >port/002_author.sqlite.down.sql
    echo 'SELECT 1;' >port/002_author.postgres.up.sql
    echo 'SELECT 1;' >port/002_author.postgres.down.sql
    run "$strata" -d "sqlite:$work/port.db" --dir port verify --also "$pg_admin"
    expect_code 3 "schemas that differ across dialects fail verify --also"
    expect_out "not portable: column notes.body" "the column nullable on one dialect only is named"
    expect_out "not portable: index notes.index (author): only sqlite has it" "the index missing on PostgreSQL is named"
    run scratch_left postgres
    expect_eq "$out" "" "verify --also drops its PostgreSQL scratch database"
fi
run ls "$TMPDIR"
expect_eq "$out" "" "no SQLite scratch file is left behind"

finish
