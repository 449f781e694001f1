#!/usr/bin/env bash
# What a connection speaks is asked of the connection, and the history is written with the
# client library's own quoting: a PostgreSQL session with standard_conforming_strings off
# and a MariaDB session with NO_BACKSLASH_ESCAPES both record names, scripts and error
# details holding quotes and backslashes exactly. Also: libpq multi-host URLs; commands that
# only read create no database file and no history table; passwords given apart from the
# URL go where the driver's URL shape allows.
# Needs STRATA_BIN, STRATA_DRIVER_PATH (set by make check) and STRATA_TEST_POSTGRES_URL /
# STRATA_TEST_MYSQL_URL (set by ./run-tests); a built driver without its server fails.
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
drivers="${STRATA_DRIVER_PATH:?set by make check}"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-conn-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
unset DATABASE_URL STRATA_DIR STRATA_TABLE MYSQL_PWD
pg="${STRATA_TEST_POSTGRES_URL:-}"
my="${STRATA_TEST_MYSQL_URL:-}"
table="conn_$$"

# A migration named with a quote and a backslash, and one that fails with a quote and a
# backslash in the database's error message (its event's detail): a table of that name
# that does not exist, quoted as each dialect quotes identifiers (no escapes inside).
mkdir -p m
printf 'CREATE TABLE conn_%s_t (id INT);\n' "$$" >"m/001_o'brien\\path.up.sql"
printf 'DROP TABLE conn_%s_t;\n' "$$" >"m/001_o'brien\\path.down.sql"
printf 'SELECT * FROM "no\\such'"'"'table";\n' >m/002_fails.postgres.up.sql
printf 'SELECT * FROM `no\\such'"'"'table`;\n' >m/002_fails.mysql.up.sql
printf 'SELECT * FROM "no\\such'"'"'table";\n' >m/002_fails.sqlite.up.sql
name="o'brien\\path"
missing="no\\such'table"

# ---------------------------------------------------------------- PostgreSQL, scs off
if [ -f "$drivers/postgres.so" ] && [ -z "$pg" ]; then
    out="no STRATA_TEST_POSTGRES_URL"; not_ok "postgres: a server to test against"
elif [ -f "$drivers/postgres.so" ]; then
    off="$pg?options=-c%20standard_conforming_strings%3Doff"
    sep='?'; case "$pg" in *\?*) off="$pg&options=-c%20standard_conforming_strings%3Doff" ;; esac
    run psql "$pg" -X -A -t -c "SHOW standard_conforming_strings" -c "SELECT 1"
    run "$strata" --database "$off" --dir m --table "$table" up
    expect_code 1 "postgres, scs off: 001 applies, 002 fails"
    got=$(psql "$pg" -X -A -t -c "SELECT name || '|' || script FROM $table WHERE version = '001'")
    expect_eq "$got" "$name|001_$name.up.sql" "postgres, scs off: name and script recorded exactly"
    got=$(psql "$pg" -X -A -t -c "SELECT detail FROM ${table}_events WHERE version = '002'")
    grep -qF "$missing" <<<"$got" && ok "postgres, scs off: the failure's detail is recorded exactly" ||
        { out="$got"; not_ok "postgres, scs off: the failure's detail is recorded exactly"; }
    run "$strata" --database "$off" --dir m --table "$table" status
    expect_out "001      $name" "postgres, scs off: status reads the name back"
    run "$strata" --database "$off" --dir m --table "$table" down
    expect_code 0 "postgres, scs off: and rolls it back"
    psql "$pg" -X -q -c "DROP TABLE IF EXISTS $table, ${table}_events, ${table}_meta" >/dev/null 2>&1

    # the lexer reads '...' as the session does: with scs off, \' does not end the string
    mkdir -p e
    printf "CREATE TABLE conn_%s_e (v TEXT);\nINSERT INTO conn_%s_e VALUES ('it\\\\'s; here');\n" "$$" "$$" >e/001_escape.up.sql
    run "$strata" --database "$off" --dir e --table "${table}e" up
    expect_code 0 "postgres, scs off: a '...' string with \\' and ; splits as the server reads it"
    got=$(psql "$pg" -X -A -t -c "SELECT v FROM conn_$$_e")
    expect_eq "$got" "it's; here" "postgres, scs off: and stores what the server made of it"
    psql "$pg" -X -q -c "DROP TABLE IF EXISTS conn_$$_e, ${table}e, ${table}e_events, ${table}e_meta" >/dev/null 2>&1

    # libpq multi-host URLs: the first host refuses, the second serves
    multi=$(sed -E 's|@([^:/@]+):([0-9]+)/|@127.0.0.1:1,\1:\2/|' <<<"$pg")
    run "$strata" --database "$multi" --dir m --table "$table" status
    expect_code 0 "postgres: a multi-host URL connects to the host that answers"
    expect_out "127.0.0.1:1," "postgres: messages show the host list"
fi

# ---------------------------------------------------------------- MariaDB, NO_BACKSLASH_ESCAPES
if [ -f "$drivers/mysql.so" ] && [ -z "$my" ]; then
    out="no STRATA_TEST_MYSQL_URL"; not_ok "mysql: a server to test against"
elif [ -f "$drivers/mysql.so" ]; then
    my_user=$(sed -E 's|^[a-z]+://([^:@]+).*|\1|' <<<"$my")
    my_pass=$(sed -E 's|^[a-z]+://[^:]+:([^@]+)@.*|\1|' <<<"$my")
    my_host=$(sed -E 's|^[a-z]+://[^@]+@([^:/]+).*|\1|' <<<"$my")
    my_port=$(sed -E 's|^[a-z]+://[^@]+@[^:]+:([0-9]+).*|\1|' <<<"$my")
    my_db=$(sed -E 's|^[a-z]+://[^/]+/([^?]+).*|\1|' <<<"$my")
    q() { MYSQL_PWD="$my_pass" mariadb --no-defaults -h "$my_host" -P "$my_port" -u "$my_user" -N -B -r "$my_db" -e "$1"; }
    nbe="$my?sql_mode=NO_BACKSLASH_ESCAPES"
    run "$strata" --database "$nbe" --dir m --table "$table" up
    expect_code 1 "mariadb, NO_BACKSLASH_ESCAPES: 001 applies, 002 fails"
    got=$(q "SELECT CONCAT(name, '|', script) FROM $table WHERE version = '001'")
    expect_eq "$got" "$name|001_$name.up.sql" "mariadb, NO_BACKSLASH_ESCAPES: name and script recorded exactly"
    got=$(q "SELECT detail FROM ${table}_events WHERE version = '002'")
    grep -qF "$missing" <<<"$got" && ok "mariadb, NO_BACKSLASH_ESCAPES: the failure's detail is recorded exactly" ||
        { out="$got"; not_ok "mariadb, NO_BACKSLASH_ESCAPES: the failure's detail is recorded exactly"; }
    "$strata" --database "$nbe" --dir m --table "$table" force 002 rolled-back >/dev/null 2>&1 # dirty
    run "$strata" --database "$nbe" --dir m --table "$table" down
    expect_code 0 "mariadb, NO_BACKSLASH_ESCAPES: and rolls it back"
    q "DROP TABLE IF EXISTS $table, ${table}_events, ${table}_meta" >/dev/null 2>&1

    # the driver's password variable: MYSQL_PWD for a URL without a password
    nopw=$(sed -E 's|^([a-z]+://[^:]+):[^@]+@|\1@|' <<<"$my")
    run "$strata" --database "$nopw" --dir m --table "$table" status
    expect_code 1 "mysql: no password, no MYSQL_PWD: refused by the server"
    run env MYSQL_PWD="$my_pass" "$strata" --database "$nopw" --dir m --table "$table" status
    expect_code 0 "mysql: MYSQL_PWD gives the password to a URL without one"
    expect_no "$my_pass" "mysql: the password is never shown"
    printf '%s\n' "$my_pass" >pw
    run "$strata" --database "$nopw" --password-file pw --dir m --table "$table" status
    expect_code 0 "mysql: --password-file gives the password"
    run "$strata" --database "$my" --password-file pw --dir m --table "$table" status
    expect_code 2 "mysql: --password-file with a URL that has one is a usage error"
    expect_out "already has a password" "mysql: and says so"
fi

# ---------------------------------------------------------------- reading creates nothing
for cmd in status validate history "up --dry-run" wait; do
    extra=()
    [ "$cmd" = wait ] && extra=(--timeout 300ms)
    # shellcheck disable=SC2086
    run "$strata" --database "sqlite:$work/typo.db" --dir m $cmd "${extra[@]}"
    [ "$code" -ne 0 ] && [ ! -e "$work/typo.db" ] && ok "sqlite: $cmd on a missing file fails and creates none" ||
        not_ok "sqlite: $cmd on a missing file fails and creates none (exit $code)"
done
expect_out "no database file" "sqlite: the error names the missing file"
"$strata" --database "sqlite:$work/real.db" --dir m --table "$table" up --to 001 >/dev/null 2>&1
sqlite3 "$work/real.db" "DROP TABLE ${table}_events; DROP TABLE ${table}_meta; DROP TABLE $table"
run "$strata" --database "sqlite:$work/real.db" --dir m --table "$table" status
expect_code 0 "sqlite: status on a file without history reads an empty one"
tables=$(sqlite3 "$work/real.db" "SELECT count(*) FROM sqlite_master WHERE name IN ('$table', '${table}_events', '${table}_meta', '${table}_lock')")
expect_eq "$tables" "0" "sqlite: and creates no history table"

run "$strata" --database "sqlite:$work/real.db" --password-file pw --dir m status
expect_code 2 "sqlite: --password-file with a file database is a usage error"
expect_out "takes no password" "sqlite: and says so"

finish
