#!/usr/bin/env bash
# SQLite files strata may not write (docs/reliability.md): a read-only file, a writable file
# in a folder that is not (SQLite cannot create its journal), and a full disk (a small tmpfs,
# when the test may mount one). Each gives a clear error that says what to do, and the file
# is left as it was. As root, the permission cases run as nobody (root writes anywhere).
# Needs STRATA_BIN, STRATA_DRIVER_PATH and STRATA_SRCDIR (set by make check), sqlite3.
set -u
. "$(dirname "$0")/testlib.sh"

src="${STRATA_SRCDIR:?set by make check}"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-faults-XXXXXX")
mounted=""
cleanup() {
    [ -n "$mounted" ] && umount "$mounted" 2>/dev/null
    chmod -R u+w "$work" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
cd "$work" || exit 1
unset DATABASE_URL STRATA_DIR STRATA_TABLE
export STRATA_CACHE_DIR=off
# strata and its SQLite driver where any user may run them
mkdir bin drivers
cp "${STRATA_BIN:?}" bin/strata
cp "${STRATA_DRIVER_PATH:?}"/*.so drivers/
export STRATA_DRIVER_PATH="$work/drivers"
strata="$work/bin/strata"
as_user() { # runs a command as an unprivileged user when root, else as is
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
    else
        "$@"
    fi
}
cp -r "$src/migrations" m
chmod -R a+rX "$work"
state() { sqlite3 "$1" .dump | md5sum; }
# the schema and the history, without the event log (a failed run records its event)
schema_and_history() { { sqlite3 "$1" .schema; sqlite3 "$1" 'SELECT * FROM strata_migrations'; } | md5sum; }

# ---------------------------------------------------------------- a read-only file
rel_begin
"$strata" -d "sqlite:$work/ro.db" --dir m up --to 002 -q
chmod 444 ro.db
before=$(state ro.db)
run as_user "$strata" -d "sqlite:$work/ro.db" --dir m up
expect_code 1 "up on a read-only file fails"
expect_out "ro.db is read-only" "it says the file is read-only"
expect_out "?mode=ro" "and suggests ?mode=ro to only read it"
expect_no "line 1" "without blaming a migration's line"
run as_user "$strata" -d "sqlite:$work/ro.db" --dir m status
expect_code 0 "status reads a read-only file"
expect_out "2 applied, 3 pending" "status shows its state"
run as_user "$strata" -d "sqlite:$work/ro.db?mode=ro" --dir m validate
expect_code 0 "?mode=ro reads it too"
expect_eq "$(state ro.db)" "$before" "the read-only file is unchanged"
rel_end fault sqlite "a read-only database file" "exit 1, says read-only, suggests ?mode=ro; reads work"

# ---------------------------------------------------------------- a folder that is not writable
rel_begin
mkdir shut
"$strata" -d "sqlite:$work/shut/w.db" --dir m up --to 002 -q
chmod 666 shut/w.db
chmod 555 shut
before=$(state shut/w.db)
run as_user "$strata" -d "sqlite:$work/shut/w.db" --dir m up
expect_code 1 "up on a writable file in a folder that is not fails"
expect_out "is not writable" "it says the folder is not writable"
expect_out "cannot create the journal" "and that SQLite needs its journal there"
expect_no "line 1" "without blaming a migration's line"
expect_eq "$(state shut/w.db)" "$before" "the file is unchanged"
run as_user "$strata" -d "sqlite:$work/shut/w.db?journal_mode=memory" --dir m up
expect_code 0 "with journal_mode=memory no journal file is needed"
chmod 755 shut
rel_end fault sqlite "a writable file in a folder that is not" "exit 1, says SQLite cannot create its journal"

# ---------------------------------------------------------------- SIGINT during up
# SQLite: the migration running is rolled back, the ones before stay, an event says so
rel_begin
mkdir slow
for i in 1 2 3 4 5 6; do
    printf 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500000) SELECT count(*) FROM c;\nCREATE TABLE t%s (id INTEGER);\n' "$i" >"slow/00${i}_t$i.up.sql"
    printf 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500000) SELECT count(*) FROM c;\nDROP TABLE t%s;\n' "$i" >"slow/00${i}_t$i.down.sql"
done
# interrupt SIGNAL ROWS FILE ARGS...: strata ARGS on int.db with the slow set, in the
# background; SIGNAL once the history holds ROWS rows (5 s at most); code and out (from
# FILE) are the run's
interrupt() {
    local sig=$1 rows=$2 file=$3 pid
    shift 3
    "$strata" -d "sqlite:$work/int.db" --dir slow "$@" >"$file" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        [ -e int.db ] && [ "$(sqlite3 int.db 'SELECT count(*) FROM strata_migrations' 2>/dev/null)" = "$rows" ] && break
        sleep 0.05
    done
    kill -"$sig" "$pid"
    wait "$pid"
    code=$?
    out=$(cat "$file")
}
interrupt INT 1 int.out up
expect_code 130 "SIGINT stops up with exit 130"
expect_out "interrupted" "it says it was interrupted"
expect_out "hint:" "and what state the database is in"
run sqlite3 int.db "SELECT count(*) FROM strata_migrations WHERE state <> 'applied'"
expect_eq "$out" "0" "no migration is left half-applied"
run sqlite3 int.db "SELECT count(*) FROM strata_migrations_events WHERE outcome = 'interrupted'"
expect_eq "$out" "1" "the event log records one interrupted migration"
run "$strata" -d "sqlite:$work/int.db" --dir slow up
expect_code 0 "up again finishes the set"
rel_end fault sqlite "SIGINT during up" "exit 130, the running migration rolled back, an interrupted event"

# SIGTERM during down: the same, the other way
rel_begin
interrupt TERM 5 term.out down --all
expect_code 130 "SIGTERM stops down with exit 130"
expect_out "interrupted" "it says it was interrupted"
run sqlite3 int.db "SELECT count(*) FROM strata_migrations WHERE state <> 'applied'"
expect_eq "$out" "0" "no migration is left half-undone"
run sqlite3 int.db "SELECT count(*) FROM strata_migrations_events WHERE outcome = 'interrupted'"
expect_eq "$out" "2" "the event log records the second interrupted run"
run "$strata" -d "sqlite:$work/int.db" --dir slow down --all
expect_code 0 "down --all again finishes"
rel_end fault sqlite "SIGTERM during down" "exit 130, nothing half-undone, an interrupted event"

# MariaDB: outside a transaction the migration stays dirty at a statement boundary, resumable
my_admin="${STRATA_TEST_MYSQL_URL:-}"
if [ -z "$my_admin" ]; then
    not_ok "STRATA_TEST_MYSQL_URL is not set (./run-tests starts a server)"
else
    rel_begin
    base="${my_admin%%\?*}"
    mkdir myslow
    printf 'SELECT SLEEP(1);\nCREATE TABLE faults_a (id INT);\nCREATE TABLE faults_b (id INT);\n' >myslow/001_slow.up.sql
    printf 'DROP TABLE faults_b;\nDROP TABLE faults_a;\n' >myslow/001_slow.down.sql
    table="faults_$$"
    "$strata" -d "$my_admin" --table "$table" --dir myslow up >myint.out 2>&1 &
    pid=$!
    sleep 0.5
    kill -INT "$pid"
    wait "$pid"
    code=$?
    out=$(cat myint.out)
    expect_code 130 "mariadb: SIGINT stops up with exit 130"
    expect_out "strata up --resume" "mariadb: the hint says how to go on"
    run "$strata" -d "$my_admin" --table "$table" --dir myslow status
    expect_out "dirty" "mariadb: the migration is dirty, at a statement boundary"
    run "$strata" -d "$my_admin" --table "$table" --dir myslow up --resume
    expect_code 0 "mariadb: up --resume finishes it"
    run "$strata" -d "$my_admin" --table "$table" --dir myslow down
    expect_code 0 "mariadb: and down undoes it"
    db=${base##*/}
    my_client "$db" \
        -e "DROP TABLE IF EXISTS ${table}, ${table}_events, ${table}_meta, ${table}_lock"
    rel_end fault mysql "SIGINT during up outside a transaction" "exit 130, dirty at a statement boundary, --resume finishes"

    # a row of INSERTs runs in one transaction with one checkpoint: a failure rolls the row
    # back, and --resume runs it again from its first; on MyISAM the hint says what stays
    for engine in InnoDB MyISAM; do
        rel_begin
        mkdir "rows_$engine"
        printf 'CREATE TABLE faults_rows (id INT PRIMARY KEY) ENGINE=%s;\nINSERT INTO faults_rows VALUES (1);\nINSERT INTO faults_rows VALUES (2);\nINSERT INTO faults_rows VALUES (1);\n' \
            "$engine" >"rows_$engine/001_rows.up.sql"
        echo 'DROP TABLE faults_rows;' >"rows_$engine/001_rows.down.sql"
        run "$strata" -d "$my_admin" --table "$table" --dir "rows_$engine" up
        expect_code 1 "mariadb $engine: the third INSERT of a row fails"
        expect_out "rows_$engine/001_rows.up.sql:4:1: Duplicate entry" "mariadb $engine: the message names it"
        expect_out "stopped after 1 statement(s)" "mariadb $engine: the checkpoint is before the row"
        rows=$(my_client "$db" -N -B -e "SELECT count(*) FROM faults_rows")
        if [ "$engine" = InnoDB ]; then
            expect_eq "$rows" "0" "mariadb InnoDB: the row's INSERTs rolled back"
            expect_no "Careful" "mariadb InnoDB: no warning about what stays"
        else
            expect_eq "$rows" "2" "mariadb MyISAM: its INSERTs stay (no transactions)"
            expect_out "Careful: what statements 2 on did to MyISAM/Aria tables stays" \
                "mariadb MyISAM: the hint says so"
            my_client "$db" \
                -e "DELETE FROM faults_rows"
        fi
        sed -i 's/VALUES (1);$/VALUES (3);/; 2s/VALUES (3)/VALUES (1)/' "rows_$engine/001_rows.up.sql"
        run "$strata" -d "$my_admin" --table "$table" --dir "rows_$engine" up --resume
        expect_code 0 "mariadb $engine: --resume runs the row again"
        rows=$(my_client "$db" -N -B -e "SELECT count(*) FROM faults_rows")
        expect_eq "$rows" "3" "mariadb $engine: each row once"
        run "$strata" -d "$my_admin" --table "$table" --dir "rows_$engine" down
        expect_code 0 "mariadb $engine: down"
        rel_end fault mysql "a row of INSERTs failing on its third ($engine)" "exit 1; the row rolls back with its checkpoint (MyISAM: the hint says what stays); --resume runs it once"
    done
    my_client "$db" \
        -e "DROP TABLE IF EXISTS ${table}, ${table}_events, ${table}_meta, ${table}_lock"
fi

# ---------------------------------------------------------------- a failed CREATE INDEX CONCURRENTLY
pg_admin="${STRATA_TEST_POSTGRES_URL:-}"
if [ -z "$pg_admin" ]; then
    not_ok "STRATA_TEST_POSTGRES_URL is not set (./run-tests starts a server)"
else
    rel_begin
    pgdb="faults_$$"
    psql "$pg_admin" -X -q -c "CREATE DATABASE $pgdb" >/dev/null
    pgbase="${pg_admin%%\?*}"
    pgurl="${pgbase%/*}/$pgdb"
    mkdir conc
    printf 'CREATE TABLE dup (v int);\nINSERT INTO dup VALUES (1), (1);\n' >conc/001_dup.up.sql
    echo 'DROP TABLE dup;' >conc/001_dup.down.sql
    echo 'CREATE UNIQUE INDEX CONCURRENTLY dup_v ON dup (v);' >conc/002_idx.up.sql
    echo 'DROP INDEX CONCURRENTLY dup_v;' >conc/002_idx.down.sql
    run "$strata" -d "$pgurl" --dir conc up
    expect_code 1 "postgres: a failing CREATE UNIQUE INDEX CONCURRENTLY fails the migration"
    expect_out "left the INVALID index dup_v behind: drop it with DROP INDEX CONCURRENTLY dup_v" \
        "postgres: the hint says to drop the INVALID index it left"
    expect_out "strata up --resume" "postgres: and how to go on afterwards"
    psql "$pgurl" -X -q -c "DELETE FROM dup WHERE ctid = (SELECT min(ctid) FROM dup)"
    run "$strata" -d "$pgurl" --dir conc up --resume
    expect_code 1 "postgres: --resume with the INVALID index still there is refused"
    expect_out "the index dup_v is INVALID" "postgres: --resume names the INVALID index"
    psql "$pgurl" -X -q -c "DROP INDEX CONCURRENTLY dup_v"
    run "$strata" -d "$pgurl" --dir conc up --resume
    expect_code 0 "postgres: once it is dropped, --resume builds the index"
    run psql "$pgurl" -X -A -t -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'dup_v'::regclass"
    expect_eq "$out" "t" "postgres: the index is valid"
    psql "$pg_admin" -X -q -c "DROP DATABASE $pgdb WITH (FORCE)" >/dev/null
    rel_end fault postgres "a failed CREATE INDEX CONCURRENTLY" "exit 1, hint names the INVALID index, --resume refuses until it is dropped"
fi

# ---------------------------------------------------------------- servers that do not answer
# A server that accepts the connection and never says a word, and a host no packet reaches:
# both bounded by the connect timeout, with a message that says so.
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >port.txt &
listener=$!
for _ in $(seq 50); do [ -s port.txt ] && break; sleep 0.1; done
port=$(cat port.txt)
for scheme in postgres mysql; do
    rel_begin
    start=$(date +%s)
    run "$strata" -d "$scheme://u:secret@127.0.0.1:$port/db" --connect-timeout 2s status
    took=$(($(date +%s) - start))
    expect_code 1 "$scheme: a server that never answers fails"
    [ "$took" -le 5 ] && ok "$scheme: ... within the connect timeout (${took}s for 2s)" ||
        not_ok "$scheme: waited ${took}s with a 2s connect timeout"
    expect_out "no answer within the connect timeout (2000 ms)" "$scheme: ... and says so"
    expect_no "secret" "$scheme: ... without the password"
    rel_end fault "$scheme" "a server that accepts and never answers" "exit 1 within --connect-timeout, says so"
done
kill "$listener" 2>/dev/null
rel_begin
start=$(date +%s)
run "$strata" -d "postgres://u@192.0.2.1:5432/db" --connect-timeout 2s status
took=$(($(date +%s) - start))
expect_code 1 "an unreachable host fails"
[ "$took" -le 5 ] && ok "... within the connect timeout (${took}s for 2s)" ||
    not_ok "an unreachable host took ${took}s with a 2s connect timeout"
run "$strata" --connect-timeout 0 status
expect_code 2 "--connect-timeout 0 is a usage error"
rel_end fault postgres "an unreachable host" "exit 1 within --connect-timeout"

# ---------------------------------------------------------------- a full disk
mkdir full
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=256k tmpfs "$work/full" 2>/dev/null; then
    mounted="$work/full"
    rel_begin
    mkdir bigset
    cp m/001_* bigset/
    cat >bigset/002_big.up.sql <<'EOF'
CREATE TABLE big (b TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
INSERT INTO big SELECT hex(randomblob(100)) FROM c;
EOF
    echo 'DROP TABLE big;' >bigset/002_big.down.sql
    "$strata" -d "sqlite:$work/full/f.db" --dir bigset up --to 001 -q
    before=$(schema_and_history full/f.db)
    run "$strata" -d "sqlite:$work/full/f.db" --dir bigset up
    expect_code 1 "a migration that fills the disk fails"
    expect_out "bigset/002_big.up.sql:2:1: database or disk is full" \
        "the message names the statement and says the disk is full"
    expect_eq "$(sqlite3 full/f.db 'PRAGMA integrity_check')" "ok" "the file is not corrupt"
    expect_eq "$(schema_and_history full/f.db)" "$before" "the migration left nothing behind"
    run sqlite3 full/f.db "SELECT outcome FROM strata_migrations_events ORDER BY id DESC LIMIT 1"
    expect_eq "$out" "failed" "the event log records the failed run"
    run "$strata" -d "sqlite:$work/full/f.db" --dir bigset status
    expect_out "1 applied, 1 pending" "the history says 002 is pending"
    rel_end fault sqlite "a full disk (256 KiB tmpfs)" "exit 1 naming the statement, file intact, failed event"
else
    echo "# a full disk: cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN); not run"
    rel_skip fault sqlite "a full disk (256 KiB tmpfs)" "cannot mount a tmpfs (not root)"
fi

finish
