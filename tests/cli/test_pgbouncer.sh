#!/usr/bin/env bash
# The migration lock through PgBouncer, started here on a free loopback port in front of the
# test server, with one database entry in session pooling and one in transaction pooling.
# In each mode 12 runners at once apply 50 migrations: every runner exits 0, each migration
# is applied exactly once, the event log holds one successful up per migration and no
# failure. Session pooling keeps the session advisory lock (no lock table appears, the
# debug log says so); transaction pooling is detected (two client connections share a
# server session) and every runner says it takes the lock table instead. status and down
# work through both; schema= (a session search_path) is refused in transaction mode.
# Needs STRATA_BIN (set by make check), STRATA_TEST_POSTGRES_URL (./run-tests starts the
# server), pgbouncer (apt-get install pgbouncer) and psql; without them it fails.
set -u
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/../servers.sh" # free_port, as_pg_user

strata="${STRATA_BIN:?set by make check}"
unset DATABASE_URL STRATA_DIR STRATA_TABLE STRATA_DEBUG PGPASSWORD
admin="${STRATA_TEST_POSTGRES_URL:-}"
runners=12
migrations=50
dbs="pgb_session_$$ pgb_transaction_$$"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-pgbouncer-XXXXXX")
bouncer_pid=""
cleanup() {
    # pgbouncer itself, not only runuser in front of it (which may outlive a TERM or not pass it on)
    pkill -TERM -f -- "pgbouncer $work/pgbouncer.ini" 2>/dev/null
    [ -n "$bouncer_pid" ] && kill "$bouncer_pid" 2>/dev/null && wait "$bouncer_pid" 2>/dev/null
    for db in $dbs; do
        [ -n "$admin" ] && psql "$admin" -X -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
    done
    rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$admin" ]; then
    out="no STRATA_TEST_POSTGRES_URL (./run-tests starts a server)"; not_ok "a PostgreSQL server"
    finish; exit
fi
if ! command -v pgbouncer >/dev/null; then
    out="pgbouncer not found (apt-get install pgbouncer)"; not_ok "pgbouncer is installed"
    finish; exit
fi

# The admin URL's parts: postgres://USER:PASSWORD@HOST:PORT/DB
rest=${admin#*://} user=${rest%%:*} password=${rest#*:} password=${password%%@*}
hostport=${rest#*@} hostport=${hostport%%/*} pg_host=${hostport%:*} pg_port=${hostport#*:}

# ---------------------------------------------------------------- PgBouncer
chmod 755 "$work"
port=$(free_port) || { not_ok "a free port for pgbouncer"; finish; exit; }
cat >"$work/pgbouncer.ini" <<EOF
[databases]
session = host=$pg_host port=$pg_port dbname=pgb_session_$$ pool_mode=session pool_size=40
transaction = host=$pg_host port=$pg_port dbname=pgb_transaction_$$ pool_mode=transaction pool_size=6

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $work/userlist.txt
logfile = $work/pgbouncer.log
max_client_conn = 200
EOF
printf '"%s" "%s"\n' "$user" "$password" >"$work/userlist.txt"
chmod 600 "$work/userlist.txt"
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pgbouncer.ini" "$work/userlist.txt" && touch "$work/pgbouncer.log" &&
    chown postgres "$work/pgbouncer.log"
for db in $dbs; do psql "$admin" -X -q -c "CREATE DATABASE $db" >/dev/null; done
as_pg_user pgbouncer "$work/pgbouncer.ini" >"$work/pgbouncer.out" 2>&1 &
bouncer_pid=$!
for _ in $(seq 1 50); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
if ! kill -0 "$bouncer_pid" 2>/dev/null; then
    out=$(cat "$work/pgbouncer.out" "$work/pgbouncer.log"); not_ok "pgbouncer starts"
    finish; exit
fi
ok "pgbouncer $(pgbouncer --version | head -1 | awk '{ print $2 }') listens on 127.0.0.1:$port"

cd "$work" || exit 1
mkdir m
for i in $(seq -w 1 $migrations); do
    printf 'CREATE TABLE r%s (id INTEGER PRIMARY KEY, v VARCHAR(20));\nINSERT INTO r%s (id, v) VALUES (1, %s);\n' \
        "$i" "$i" "'x'" >"m/0$i.up.sql"
    echo "DROP TABLE r$i;" >"m/0$i.down.sql"
done

# count MODE SQL: the single value of a query on the mode's database, directly
count() { psql "$(db_url "$admin" "pgb_$1_$$")" -X -A -t -c "$2"; }
notice="a session advisory lock cannot be the migration lock; using the lock table"

for mode in session transaction; do
    url="postgres://$user:$password@127.0.0.1:$port/$mode"

    # ------------------------------------------------------------ the runners
    rel_begin
    pids=()
    for r in $(seq 1 $runners); do
        "$strata" -d "$url" --dir m up >"$mode.$r.out" 2>&1 &
        pids+=($!)
    done
    fails=0 failed_out=""
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" && continue
        fails=$((fails + 1))
        failed_out+="runner $((i + 1)): $(tail -6 "$mode.$((i + 1)).out")"$'\n'
    done
    if [ "$fails" -eq 0 ]; then
        ok "$mode pooling: $runners runners at once all exit 0"
    else
        out=$failed_out
        not_ok "$mode pooling: $runners runners at once all exit 0: $fails failed"
    fi
    out=$(cat "$mode".*.out)
    expect_eq "$(count $mode "SELECT count(*) FROM strata_migrations WHERE state = 'applied'")" "$migrations" \
        "$mode pooling: the $migrations migrations are applied"
    expect_eq "$(count $mode "SELECT count(*) FROM strata_migrations_events WHERE action = 'up' AND outcome = 'ok'")" \
        "$migrations" "$mode pooling: the event log holds exactly one successful up per migration"
    expect_eq "$(count $mode "SELECT count(*) FROM strata_migrations_events WHERE outcome <> 'ok'")" "0" \
        "$mode pooling: and no failure"
    expect_eq "$(count $mode "SELECT count(*) FROM r25")" "1" "$mode pooling: each migration's data is there once"
    expect_eq "$(grep -c "applied in" "$mode".*.out | awk -F: '{ s += $2 } END { print s }')" "1" \
        "$mode pooling: one runner applied them, the others found nothing pending"
    expect_no "$password" "$mode pooling: no output shows the password"
    if [ "$mode" = session ]; then
        expect_no "$notice" "session pooling: no runner leaves the advisory lock"
        expect_eq "$(count $mode "SELECT to_regclass('strata_migrations_lock') IS NULL")" "t" \
            "session pooling: no lock table was created"
    else
        expect_eq "$(grep -l -- "$notice" "$mode".*.out | wc -l)" "$runners" \
            "transaction pooling: every runner says it takes the lock table instead"
        out=$(cat "$mode".*.out) # expect_eq puts its difference there
        expect_out "pooler in transaction or statement mode (two client connections ran on one server session" \
            "transaction pooling: and why"
        expect_eq "$(count $mode "SELECT count(*) FROM strata_migrations_lock")" "0" \
            "transaction pooling: the lock table is left empty"
    fi
    rel_end race postgres "pgbouncer $mode pooling: $runners runners, $migrations migrations" "all exit 0, each migration applied and logged once; transaction mode: the lock table, said"

    # ------------------------------------------------------------ status, down, up
    rel_begin
    run env STRATA_DEBUG=1 "$strata" -d "$url" --dir m status
    expect_code 0 "$mode pooling: status"
    expect_out "$migrations applied, 0 pending" "$mode pooling: status reads the history"
    if [ "$mode" = session ]; then
        expect_out "each client connection kept its own server session; the migration lock is a session advisory lock" \
            "session pooling: the debug log says the advisory lock is kept"
    else
        expect_out "the migration lock is strata's lock table" \
            "transaction pooling: the debug log says the lock table is used"
    fi
    run "$strata" -d "$url" --dir m down --step 5
    expect_code 0 "$mode pooling: down --step 5"
    expect_eq "$(count $mode "SELECT count(*) FROM strata_migrations WHERE state = 'applied'")" "$((migrations - 5))" \
        "$mode pooling: 5 migrations rolled back"
    expect_eq "$(count $mode "SELECT to_regclass('r050') IS NULL")" "t" "$mode pooling: with their tables"
    run "$strata" -d "$url" --dir m up
    expect_code 0 "$mode pooling: up again"
    expect_out "5 migration(s) applied" "$mode pooling: the 5 are applied again"
    expect_no "$password" "$mode pooling: no output shows the password"
    rel_end transport postgres "pgbouncer $mode pooling: status, down and up" "each works through the pooler"
done

# ---------------------------------------------------------------- schema= in transaction mode
rel_begin
run "$strata" -d "postgres://$user:$password@127.0.0.1:$port/transaction?schema=pgb_s" --dir m status
expect_code 2 "transaction pooling: schema= is refused"
expect_out "schema=pgb_s (or --schema) sets the search_path of the session, which does not last: PostgreSQL is reached through a pooler in transaction or statement mode" \
    "transaction pooling: saying why"
expect_out "session-mode pool" "transaction pooling: and what to do"
expect_eq "$(count transaction "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgb_s'")" "0" \
    "transaction pooling: the schema was not created"
expect_no "$password" "transaction pooling: no output shows the password"
rel_end transport postgres "pgbouncer transaction pooling: schema= refused" "exit 2 with a hint (session pool, or ALTER ROLE ... SET search_path)"

rel_begin
run "$strata" -d "postgres://$user:$password@127.0.0.1:$port/session?schema=pgb_s" --dir m status
expect_code 0 "session pooling: schema= works"
expect_eq "$(count session "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgb_s'")" "1" \
    "session pooling: the schema was created"
rel_end transport postgres "pgbouncer session pooling: schema= kept" "the history lands in the schema"

finish
