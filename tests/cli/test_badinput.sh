#!/usr/bin/env bash
# The bad-input catalogue (docs/reliability.md): each case gives strata one piece of bad
# input (a file, a name, a URL, an option, a corrupt history row) on every database it
# applies to, and checks three things: the exit status the guide documents, a phrase of
# the message that says what is wrong, and that the database is exactly as it was (its
# schema and rows, dumped with the database's own tools before and after). A case whose
# migration fails may add its `failed` event to the log, nothing else.
# Needs STRATA_BIN, STRATA_SRCDIR (set by make check), STRATA_TEST_POSTGRES_URL and
# STRATA_TEST_MYSQL_URL (./run-tests starts the servers), sqlite3, psql, pg_dump, mariadb,
# mariadb-dump.
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
pg_admin="${STRATA_TEST_POSTGRES_URL:?start the servers (./run-tests does)}"
my_admin="${STRATA_TEST_MYSQL_URL:?start the servers (./run-tests does)}"
for tool in sqlite3 psql pg_dump mariadb mariadb-dump; do
    command -v "$tool" >/dev/null || { echo "$tool is required"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-badinput-XXXXXX")
name="strata_badinput_$$"
cleanup() {
    psql "$pg_admin" -X -q -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1
    my_client -e "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
unset DATABASE_URL STRATA_DIR STRATA_TABLE STRATA_CONFIG STRATA_ENV STRATA_LINT
export STRATA_CACHE_DIR=off

# The set every case starts from, applied before it: 030 has no down script.
mkdir base
echo 'CREATE TABLE t1 (id INTEGER PRIMARY KEY, label VARCHAR(40) NOT NULL);' >base/010_t1.up.sql
echo 'DROP TABLE t1;' >base/010_t1.down.sql
printf '%s\n' 'CREATE TABLE t2 (id INTEGER PRIMARY KEY, t1_id INTEGER);' \
    "INSERT INTO t2 (id, t1_id) VALUES (1, NULL), (2, NULL);" >base/020_t2.up.sql
echo 'DROP TABLE t2;' >base/020_t2.down.sql
echo 'CREATE INDEX t2_t1 ON t2 (t1_id);' >base/030_index.up.sql

# ---------------------------------------------------------------- each database

db="" url="" # the database of the case: its kind and strata URL
with_password() { # URL PASSWORD: URL with its password replaced
    local scheme=${1%%://*} rest=${1#*://}
    echo "$scheme://${rest%%:*}:$2@${rest#*@}"
}
db_sql() { # runs SQL on the case's database
    case "$db" in
    sqlite) sqlite3 "$work/bad.db" "$1" ;;
    postgres) psql "$url" -X -q -v ON_ERROR_STOP=1 -c "$1" >/dev/null ;;
    mysql) my_client "$name" -e "$1" ;;
    esac
}
db_state() { # the database's schema and rows; without the event log with "nolog"
    local nolog="${1:-}"
    case "$db" in
    sqlite)
        sqlite3 "$work/bad.db" .schema
        for t in $(sqlite3 "$work/bad.db" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"); do
            [ -n "$nolog" ] && [ "$t" = strata_migrations_events ] && continue
            echo "== $t"
            if [ -n "$nolog" ] && [ "$t" = sqlite_sequence ]; then
                sqlite3 "$work/bad.db" "SELECT * FROM sqlite_sequence WHERE name <> 'strata_migrations_events'"
            else
                sqlite3 "$work/bad.db" "SELECT * FROM \"$t\""
            fi
        done
        ;;
    postgres)
        pg_dump -d "$url" --no-owner ${nolog:+--exclude-table-data=strata_migrations_events} |
            grep -v '^--\|^SELECT pg_catalog.setval\|^\\restrict\|^\\unrestrict'
        ;;
    mysql)
        my_tool mariadb-dump --skip-dump-date --skip-comments --skip-extended-insert \
            ${nolog:+--ignore-table=$name.strata_migrations_events} "$name" |
            sed 's/ AUTO_INCREMENT=[0-9]*//'
        ;;
    esac
}
hold_lock() { # a second strata holds the migration lock for 2 s or more (its pid in holder.pid)
    local slow
    case "$db" in
    sqlite) slow="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 12000000) SELECT count(*) FROM c;" ;;
    postgres) slow="SELECT pg_sleep(2);" ;;
    mysql) slow="SELECT SLEEP(2);" ;;
    esac
    mkdir hold && cp "$work"/base/* hold/ && echo "$slow" >hold/040_hold.up.sql
    "$strata" -d "$url" --dir hold up -q >/dev/null 2>&1 &
    echo $! >holder.pid
    sleep 0.5
}
db_reset() { # an empty database with the base set applied
    case "$db" in
    sqlite) rm -f "$work/bad.db" ;;
    postgres) psql "$pg_admin" -X -q -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null ;;
    mysql) my_client -e "DROP DATABASE IF EXISTS $name; CREATE DATABASE $name" ;;
    esac
    "$strata" -d "$url" --dir base up -q || { echo "cannot apply the base set on $db"; exit 1; }
}

# ---------------------------------------------------------------- the catalogue

cases=0 runs=0
# bad ID DATABASES EXIT PHRASE FLAGS SETUP ARGS...
#   DATABASES  all, or a comma list of sqlite, postgres, mysql
#   PHRASE     a phrase the message must hold
#   FLAGS      a comma list, or -: "logs" (a failed event may be logged), "raw" (ARGS
#              given whole: no -d URL --dir m in front), "nopw" (the output must not hold
#              the password "Wr0ng#pw")
#   SETUP      shell run in the case's folder first: m/ is a copy of the base set; db_sql
#              changes the database (the state compared is the one after SETUP)
#   ARGS       strata's arguments; @URL@ is the database's URL, @WRONGPW@ it with a wrong
#              password, @BADPORT@ with port 99999, @NODB@ a database that does not exist; leading NAME=VALUE words
#              are set in strata's environment
# BADINPUT_SHOW=1 prints every case's output.
bad() {
    local id="$1" dbs="$2" want="$3" phrase="$4" flags="$5" setup="$6"
    shift 6
    cases=$((cases + 1))
    local kind
    for kind in sqlite postgres mysql; do
        [ "$dbs" = all ] || [[ ",$dbs," == *",$kind,"* ]] || continue
        bad_on "$kind" "$id" "$want" "$phrase" "$flags" "$setup" "$@"
    done
}
bad_on() {
    local kind="$1" id="$2" want="$3" phrase="$4" flags="$5" setup="$6"
    shift 6
    db="$kind"
    case "$kind" in
    sqlite) url="sqlite:$work/bad.db" ;;
    postgres) url=$(db_url "$pg_admin" "$name") ;;
    mysql) url=$(db_url "$my_admin" "$name") ;;
    esac
    local nodb wrongpw
    nodb=$(db_url "$url" "${name}_missing")
    [ "$kind" = sqlite ] && nodb="sqlite:$work/no/such/folder/missing.db"
    wrongpw=$(with_password "$url" "Wr0ng%23pw")
    [ "$kind" = sqlite ] && wrongpw="$url"
    runs=$((runs + 1))
    rm -rf "$work/case" && mkdir "$work/case" && cp -r "$work/base" "$work/case/m"
    (cd "$work/case" && eval "$setup") || { not_ok "$id on $kind: its setup failed"; return; }
    local nolog=""
    [[ ",$flags," == *",logs,"* ]] && nolog=nolog
    local before after args=() envs=() arg
    before=$(db_state "$nolog")
    [[ ",$flags," == *",raw,"* ]] || args=(-d "$url" --dir m)
    local leading=1
    for arg in "$@"; do
        if [ "$leading" = 1 ] && [[ "$arg" =~ ^[A-Z_]+= ]]; then
            envs+=("$arg")
            continue
        fi
        leading=0
        arg=${arg//@BADPORT@/$(sed 's/:[0-9][0-9]*\//:99999\//' <<<"$url")}
        arg=${arg//@URL@/$url}
        arg=${arg//@WRONGPW@/$wrongpw}
        arg=${arg//@NODB@/$nodb}
        args+=("$arg")
    done
    rel_begin
    out=$(cd "$work/case" && env "${envs[@]}" "$strata" "${args[@]}" 2>&1)
    code=$?
    expect_code "$want" "$id on $kind: strata ${*}"
    expect_out "$phrase" "$id on $kind: the message says '$phrase'"
    [[ ",$flags," == *",nopw,"* ]] && expect_no "Wr0ng" "$id on $kind: no password in the output"
    after=$(db_state "$nolog")
    expect_eq "$after" "$before" "$id on $kind: the database is unchanged"
    rel_end bad-input "$kind" "$id" "exit $want, \"$phrase\""
    [ -n "${BADINPUT_SHOW:-}" ] && printf '%s\n' "$out" | sed 's/^/    | /'
    if [ -f "$work/case/holder.pid" ]; then # the case's lock holder finishes, then goes
        local holder
        holder=$(cat "$work/case/holder.pid")
        while kill -0 "$holder" 2>/dev/null; do sleep 0.1; done
        db_reset
    elif [ "$after" != "$before" ] || [[ "$setup" == *db_sql* ]]; then
        db_reset
    fi
}

run_catalogue() {
    # ---- migration files
    bad nul-byte all 3 "NUL byte" - \
        "printf 'CREATE TABLE t4 (a INTEGER);\\0DROP TABLE t1;\\n' >m/040_nul.up.sql" up
    bad dangling-link all 3 "040_gone.up.sql" - "ln -s nowhere.sql m/040_gone.up.sql" up
    bad fifo all 3 "040_pipe.up.sql" - "mkfifo m/040_pipe.up.sql" up
    bad duplicate-version all 3 "040" - \
        "echo 'CREATE TABLE t4 (a INTEGER);' >m/040_a.up.sql; echo 'CREATE TABLE t5 (a INTEGER);' >m/040_b.up.sql" up
    bad down-without-up all 3 "040_x.down.sql" - "echo 'DROP TABLE t4;' >m/040_x.down.sql" up
    bad unknown-name all 3 "x_040.up.sql: not a migration file name" - "echo 'CREATE TABLE t4 (a INTEGER);' >m/x_040.up.sql" up
    bad unterminated-string all 3 "unterminated" - \
        "printf \"CREATE TABLE t4 (a VARCHAR(9) DEFAULT 'x);\\n\" >m/040_q.up.sql" up
    bad unterminated-comment all 3 "unterminated" - \
        "printf 'CREATE TABLE t4 (a INTEGER);\\n/* never closed\\n' >m/040_c.up.sql" up
    bad unterminated-dollar postgres 3 "unterminated" - \
        "printf 'CREATE FUNCTION f() RETURNS int AS \$\$ SELECT 1;\\n' >m/040_f.up.sql" up
    bad invalid-utf8 all 3 "UTF-8" - \
        "printf 'CREATE TABLE t4 (a INTEGER); -- \\377\\376\\n' >m/040_u.up.sql" up
    bad edited-applied all 3 "020" - "echo '-- edited' >>m/020_t2.up.sql" up
    bad edited-applied-validate all 3 "020" - "echo '-- edited' >>m/020_t2.up.sql" validate
    bad deleted-applied all 3 "--ignore-missing" - "rm m/020_t2.up.sql m/020_t2.down.sql" up
    bad renamed-applied all 3 "020" - "mv m/020_t2.up.sql m/025_t2.up.sql; mv m/020_t2.down.sql m/025_t2.down.sql" up
    bad out-of-order all 3 "015" - "echo 'CREATE TABLE t4 (a INTEGER);' >m/015_t4.up.sql" up
    bad down-without-script all 3 "030" - : down
    bad down-file-gone all 3 "gone" - "rm m/030_index.up.sql m/020_t2.up.sql m/020_t2.down.sql" down --step 2
    bad syntax-error all 1 "040_s.up.sql:1" logs "echo 'CREAT TABLE t4 (a INTEGER);' >m/040_s.up.sql" up
    bad failing-statement sqlite,postgres 1 "040_f.up.sql:2" logs \
        "printf '%s\\n' 'CREATE TABLE t4 (a INTEGER);' 'INSERT INTO no_such_table VALUES (1);' >m/040_f.up.sql" up
    bad failing-first-statement all 1 "040_f.up.sql:1" logs \
        "echo 'INSERT INTO no_such_table VALUES (1);' >m/040_f.up.sql" up
    bad failing-dry-run all 3 "040_q.up.sql" - \
        "printf \"SELECT 'open;\\n\" >m/040_q.up.sql" up --dry-run
    bad missing-folder all 1 "nowhere" raw : -d @URL@ --dir nowhere up
    bad folder-is-a-file all 1 "afile" raw "touch afile" -d @URL@ --dir afile up

    # ---- URLs, configuration, environment
    bad empty-url all 2 "empty" raw : -d "" --dir m up
    bad unknown-scheme all 2 "sqlite" raw : -d "nosuch://x/y" --dir m status
    bad bad-port postgres,mysql 2 "port" raw : -d @BADPORT@ --dir m status
    bad wrong-password postgres,mysql 1 "password" raw,nopw : -d @WRONGPW@ --dir m status
    bad missing-database all 1 "missing" raw : -d @NODB@ --dir m status
    bad unknown-url-parameter all 2 "bogus" raw : -d "@URL@?bogus=1" --dir m status
    bad config-syntax all 2 "bad.conf:1" raw "printf '[env dev\\ndatabase = x\\n' >bad.conf" --config bad.conf --dir m status
    bad config-unknown-key all 2 "unknown key 'datbase'" raw "printf '[development]\\ndatbase = x\\n' >bad.conf" --config bad.conf --dir m status
    bad config-missing all 2 "none.conf" raw : --config none.conf --dir m status
    bad password-file-missing postgres,mysql 1 "no-such-file" raw : --password-file no-such-file -d @URL@ --dir m status
    bad lint-env all 2 "STRATA_LINT" - : STRATA_LINT=bogus up
    bad table-name all 2 "table" - : --table "bad name;" status

    # ---- commands and options
    bad unknown-command all 2 "status" - : stauts
    bad unknown-option all 2 "frobnicate" - : up --frobnicate
    bad option-not-taken all 2 "--step" - : status --step 1
    bad up-to-missing all 3 "035" - : up --to 035
    bad down-to-missing all 3 "035" - : down --to 035
    bad step-negative all 2 "step" - : up --step -1
    bad step-not-a-number all 2 "step" - : down --step x
    bad force-bad-word all 2 "aplied" - : force 020 aplied
    bad force-unknown-version all 2 "099" - : force 099 applied
    bad history-since-word all 2 "yesterday" - : history --since yesterday
    bad history-since-date all 2 "2026-13-45" - : history --since 2026-13-45
    bad history-action all 2 "frob" - : history --action frob
    bad lock-timeout all 2 "lock-timeout" - : --lock-timeout abc up
    bad connect-timeout all 2 "connect-timeout" - : --connect-timeout -5 up
    bad new-empty-name all 2 "name" - : new ""
    bad json-error all 3 '"error"' - "echo '-- edited' >>m/020_t2.up.sql" up --json
    bad lint-format all 2 "weird" - : lint --all --format weird
    bad color-word all 2 "sometimes" - : --color sometimes status
    bad baseline-on-history all 3 "baseline" - : baseline 020
    bad repair-without-yes all 3 "--yes" - "echo '-- edited' >>m/020_t2.up.sql" repair

    # ---- the history tables, corrupted by hand
    bad meta-version-zero all 3 "strata_migrations_meta" - \
        "db_sql \"UPDATE strata_migrations_meta SET meta_value = '0' WHERE meta_key = 'schema_version'\"" status
    bad meta-version-word all 3 "strata_migrations_meta" - \
        "db_sql \"UPDATE strata_migrations_meta SET meta_value = 'abc' WHERE meta_key = 'schema_version'\"" up
    bad meta-version-newer all 1 "newer" - \
        "db_sql \"UPDATE strata_migrations_meta SET meta_value = '99' WHERE meta_key = 'schema_version'\"" validate
    bad state-unknown all 3 "bogus" - \
        "db_sql \"UPDATE strata_migrations SET state = 'bogus' WHERE version = '020'\"" status
    bad checksum-not-sha256 all 3 "history" - \
        "db_sql \"UPDATE strata_migrations SET checksum = 'xyz' WHERE version = '020'\"" validate
    bad dirty-row all 5 "force" - \
        "db_sql \"UPDATE strata_migrations SET state = 'dirty' WHERE version = '030'\"" up
    bad history-column-dropped sqlite,postgres,mysql 1 "strata_migrations" - \
        "db_sql 'ALTER TABLE strata_migrations DROP COLUMN applied_by'" status

    # ---- the lock, held by another run for 2 s
    bad lock-held all 4 "timed out after 300 ms waiting for the migration lock" - \
        "hold_lock; echo 'CREATE TABLE t5 (a INTEGER);' >m/050_t5.up.sql" --lock-timeout 300ms up
}

for db in sqlite postgres mysql; do
    case "$db" in
    sqlite) url="sqlite:$work/bad.db" ;;
    postgres) url=$(db_url "$pg_admin" "$name") ;;
    mysql) url=$(db_url "$my_admin" "$name") ;;
    esac
    db_reset
done
run_catalogue
echo "# $cases cases, $runs runs over the databases"
[ "$cases" -ge 60 ] && ok "the catalogue holds $cases cases (60 at least)" || not_ok "only $cases cases"
finish
