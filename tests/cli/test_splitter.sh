#!/usr/bin/env bash
# The statement splitter never guesses, end to end on each database: migrations whose
# statements only split right when strata reads them as the database's own client does
# (tests/fixtures/splitter/DATABASE/SET) must apply, in a transaction where the database
# allows one, and leave the data they write intact.
#   SQLite:     a trigger using begin and end as column names (sqlite3_complete decides);
#               a NUL byte is refused with its line and column.
#   PostgreSQL: CREATE RULE ... DO ALSO (a; b), BEGIN ATOMIC bodies, REINDEX ... CONCURRENTLY
#               with options (run without a transaction), SET standard_conforming_strings =
#               off, pg_dump output with \restrict (the fixture and a dump made now); other
#               psql meta-commands are still refused.
#   MariaDB:    trigger and routine bodies without DELIMITER, with begin and end as names;
#               DELIMITER E, LIM, END_PROC, //, $$, ;; each switched back by DELIMITER ;.
# Needs STRATA_BIN, STRATA_SRCDIR, STRATA_DRIVER_PATH (set by make check); the servers'
# URLs come from ./run-tests (STRATA_TEST_POSTGRES_URL, STRATA_TEST_MYSQL_URL).
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
fixtures="${STRATA_SRCDIR:?set by make check}/tests/fixtures/splitter"
drivers="${STRATA_DRIVER_PATH:?set by make check}"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-splitter-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
unset DATABASE_URL STRATA_DIR STRATA_TABLE

# ---- one backend at a time
backend=""
admin=""
secret=""
hostport=""
fresh_db() { # NAME: a database of that name, unique to this run
    local name="strata_split_$$_${1//-/_}"
    case "$backend" in
    sqlite) echo "sqlite:$work/$name.db" ;;
    postgres)
        psql "$admin" -X -q -c "CREATE DATABASE $name" >/dev/null || return 1
        echo "${admin%/*}/$name"
        ;;
    mysql)
        my -e "CREATE DATABASE $name" || return 1
        echo "${admin%/*}/$name"
        ;;
    esac
}
my() { mariadb --no-defaults -h "${hostport%:*}" -P "${hostport#*:}" -u strata -p"$secret" "$@"; }
sql() { # URL SQL: the rows, one per line, columns separated by |
    case "$backend" in
    sqlite) sqlite3 "${1#sqlite:}" "$2" ;;
    postgres) psql "$1" -X -A -t -q -c "$2" ;;
    mysql) my -N -B "${1##*/}" -e "$2" | tr '\t' '|' ;;
    esac
}
# Applies fixture set SET to a fresh database; URL is left in $url. Extra strata options follow.
apply() {
    local set="$1"
    shift
    url=$(fresh_db "$set") || { out=""; not_ok "$backend/$set: cannot create a database"; return 1; }
    run "$strata" --database "$url" --dir "$fixtures/$backend/$set" "$@" up
    expect_code 0 "$backend/$set: up"
}
# The migrations of $url are all applied: none dirty, none pending.
expect_clean() {
    run "$strata" --database "$url" --dir "$1" status
    expect_out " 0 pending" "$backend/${1##*/}: nothing pending"
    expect_no "dirty" "$backend/${1##*/}: nothing dirty"
}

sqlite_cases() {
    local url
    apply triggers || return
    expect_no "outside a transaction" "sqlite/triggers: the trigger migration runs in a transaction"
    expect_clean "$fixtures/sqlite/triggers"
    expect_eq "$(sql "$url" "SELECT id, end, [case] FROM spans ORDER BY id")" \
        "1|2|late;"$'\n'"2|9|early" "sqlite/triggers: the trigger set end and case"
    expect_eq "$(sql "$url" "SELECT msg FROM span_log ORDER BY id")" \
        "span 1 end;"$'\n'"span 2 end;" "sqlite/triggers: the trigger's last statement ran"

    mkdir -p "$work/nul"
    printf 'CREATE TABLE a (x int);\nSELECT 1 \0;\n' >"$work/nul/001_nul.up.sql"
    url=$(fresh_db nul)
    run "$strata" --database "$url" --dir "$work/nul" up
    [ "$code" -ne 0 ] && ok "sqlite/nul: a NUL byte fails the run (exit $code)" ||
        not_ok "sqlite/nul: a NUL byte was accepted"
    expect_out "001_nul.up.sql:2:10" "sqlite/nul: the error names the file, line and column"
    expect_out "NUL" "sqlite/nul: the error says NUL"
    expect_eq "$(sql "$url" "SELECT count(*) FROM sqlite_master WHERE name = 'a'")" "0" \
        "sqlite/nul: nothing of the script ran"
}

postgres_cases() {
    local url dump_url
    apply rule || return
    expect_eq "$(sql "$url" "SELECT note FROM item_log ORDER BY item_id")" \
        "added; logged"$'\n'"added; logged" "postgres/rule: both actions of the rule ran"

    apply atomic || return
    expect_eq "$(sql "$url" "SELECT grade(95) || grade(60) || grade(1), count(*) FROM scores")" \
        "ABC|1" "postgres/atomic: the BEGIN ATOMIC function and procedure work"

    apply reindex || return
    expect_out "migration 002 runs outside a transaction" \
        "postgres/reindex: REINDEX (VERBOSE) INDEX CONCURRENTLY runs without a transaction"
    expect_clean "$fixtures/postgres/reindex"

    apply strings || return
    expect_eq "$(sql "$url" "SELECT body FROM notes ORDER BY id")" \
        "it's; here \\ there"$'\n'"C:\\temp\\" "postgres/strings: the strings hold what psql would store"

    # pg_dump sets search_path to '': the history stays in public all the same
    apply dump || return
    expect_eq "$(sql "$url" "SELECT dumped_count(), string_agg(body, '|' ORDER BY id) FROM dumped")" \
        "3|tab	here; semicolon|back\\slash|it's" "postgres/dump: the pg_dump file with \\restrict applied"

    dump_url=$(fresh_db dumpsrc) || return
    sql "$dump_url" "CREATE TABLE d (id int PRIMARY KEY, v text);
        INSERT INTO d VALUES (1, E'a;b\\\\c'), (2, 'x''y')" >/dev/null
    mkdir -p "$work/livedump"
    pg_dump --no-owner --no-privileges "$dump_url" >"$work/livedump/001_restore.up.sql"
    url=$(fresh_db livedump)
    run "$strata" --database "$url" --dir "$work/livedump" up
    expect_code 0 "postgres/livedump: the output of $(pg_dump --version | head -1) applies"
    expect_eq "$(sql "$url" "SELECT string_agg(v, '|' ORDER BY id) FROM d")" 'a;b\c|x'"'"'y' \
        "postgres/livedump: the data is the dumped data"

    mkdir -p "$work/meta"
    printf 'CREATE TABLE m (x int);\n\\connect other\n' >"$work/meta/001_meta.up.sql"
    url=$(fresh_db meta)
    run "$strata" --database "$url" --dir "$work/meta" up
    expect_code 3 "postgres/meta: another psql meta-command is still refused"
    expect_out "001_meta.up.sql:2:1: psql meta-command \\connect is not SQL" \
        "postgres/meta: the refusal says which and where"
}

mysql_cases() {
    local url
    apply blocks || return
    expect_clean "$fixtures/mysql/blocks"
    expect_eq "$(sql "$url" "SELECT id, begin, end, note FROM spans ORDER BY id")" \
        "1|5|8|late;"$'\n'"2|0|11|early" "mysql/blocks: the triggers and the procedure ran whole"
    expect_eq "$(sql "$url" "SELECT count(*), span_len(1, 4), span_kind(15) FROM span_log")" \
        "2|3|some" "mysql/blocks: the functions work"

    apply delimiters || return
    expect_eq "$(sql "$url" "SELECT group_concat(table_name ORDER BY table_name) FROM
        information_schema.tables WHERE table_schema = DATABASE() AND table_name NOT LIKE 'strata%'")" \
        "after_dollars,after_e,after_end_proc,after_lim,after_semis,after_slashes,lim_t" \
        "mysql/delimiters: every DELIMITER was switched back by DELIMITER ;"
    expect_eq "$(sql "$url" "SELECT group_concat(routine_name ORDER BY routine_name) FROM
        information_schema.routines WHERE routine_schema = DATABASE()")" "d_fn,d_proc,d_proc2" \
        "mysql/delimiters: the routines were created whole"
    sql "$url" "INSERT INTO after_slashes VALUES (0)" >/dev/null
    expect_eq "$(sql "$url" "SELECT a FROM after_slashes")" "2" "mysql/delimiters: the trigger runs"
}

for backend in sqlite postgres mysql; do
    case "$backend" in
    sqlite) admin="" ;;
    postgres) admin="${STRATA_TEST_POSTGRES_URL:-}" ;;
    mysql) admin="${STRATA_TEST_MYSQL_URL:-}" ;;
    esac
    if [ "$backend" != sqlite ]; then
        [ -f "$drivers/$backend.so" ] || continue
        if [ -z "$admin" ]; then
            out="STRATA_TEST_${backend^^}_URL is not set: run ./run-tests, which starts the servers"
            not_ok "$backend server available"
            continue
        fi
        secret=$(sed -E 's|^[a-z]+://[^:]+:([^@]+)@.*|\1|' <<<"$admin")
        hostport=$(sed -E 's|^[a-z]+://[^@]+@([^/]+)/.*|\1|' <<<"$admin")
    fi
    "${backend}_cases"
done

finish
