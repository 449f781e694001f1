#!/usr/bin/env bash
# Backups (strata_backup) restored with each database's own tools. On SQLite always, and on
# PostgreSQL and MariaDB when their drivers are built (a built driver without its server is
# a failure): two migrations applied, a backup, a third migration that changes schema and
# data, then the backup restored into a fresh database (file copy, psql -f, mariadb <) must
# hold exactly the state before the third migration: tables and views, columns, indexes,
# row counts, data, strata's history and events. Then the failures: the password never on
# the tool's command line nor in any error, a missing dump tool, a tool that fails, a stale
# .tmp file.
#
# The round trip goes through the strata command (`up --backup`, `backup --output`); the
# failure cases that need a fake dump tool or PATH use tests/integration/test_backup
# (`test_backup backup URL FILE`). Needs STRATA_BIN,
# STRATA_DRIVER_PATH (set by `make check`) and the sqlite3, psql and mariadb clients for
# the databases tested; the servers come from STRATA_TEST_POSTGRES_URL and
# STRATA_TEST_MYSQL_URL (./run-tests starts them).
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
STRATA_DRIVER_PATH="${STRATA_DRIVER_PATH:?set by make check}"
export STRATA_DRIVER_PATH
helper="$(dirname "$strata")/tests/integration/test_backup"
[ -x "$helper" ] || { echo "$helper is not built (make check builds it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 (the client) is required"; exit 1; }
unset DATABASE_URL STRATA_DIR STRATA_TABLE STRATA_PG_DUMP STRATA_MYSQL_DUMP TEST_BACKUP_PATH

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-backup-XXXXXX")
pg_admin="${STRATA_TEST_POSTGRES_URL:-}"
my_admin="${STRATA_TEST_MYSQL_URL:-}"
created_pg=()
created_my=()
weak_pg="strata_bk_weak_$$"
weak_my="strata_bk_weak_$$"
weak_pass="weak${RANDOM}Secret$$"
cleanup() {
    for db in "${created_pg[@]}"; do
        psql "$pg_admin" -X -q -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    done
    [ -n "$pg_admin" ] && psql "$pg_admin" -X -q -c "DROP ROLE IF EXISTS $weak_pg" >/dev/null 2>&1
    for db in "${created_my[@]}"; do
        my_client -e "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    done
    [ -n "$my_admin" ] && my_client -e "DROP USER IF EXISTS '$weak_my'@'%'" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
mkdir empty

# ---------------------------------------------------------------- databases
my_host="" my_port="" my_user="" my_pass=""
if [ -n "$my_admin" ]; then
    my_user=$(sed -E 's|^[a-z]+://([^:@]+).*|\1|' <<<"$my_admin")
    my_pass=$(sed -E 's|^[a-z]+://[^:]+:([^@]+)@.*|\1|' <<<"$my_admin")
    hostport=$(sed -E 's|^[a-z]+://[^@]+@([^/]+)/.*|\1|' <<<"$my_admin")
    my_host="${hostport%:*}" my_port="${hostport#*:}"
fi
my_client() { MYSQL_PWD="$my_pass" mariadb --no-defaults -h "$my_host" -P "$my_port" -u "$my_user" "$@"; }
db_url() { # admin URL, database name -> URL of that database
    local base="${1%%\?*}" query=""
    [ "$base" != "$1" ] && query="?${1#*\?}"
    echo "${base%/*}/$2$query"
}
secret_of() { sed -E 's|^[a-z]+://[^:]+:([^@]+)@.*|\1|' <<<"$1"; }

# The database under test: $kind, and for a database NAME its URL (for strata) and target
# (file, URL or name for the database's own client).
kind=""
url_of() {
    case "$kind" in
    sqlite) echo "sqlite:$work/$1.db" ;;
    postgres) db_url "$pg_admin" "$1" ;;
    mysql) db_url "$my_admin" "$1" ;;
    esac
}
create_db() {
    case "$kind" in
    sqlite) : ;;
    postgres)
        psql "$pg_admin" -X -q -c "CREATE DATABASE $1" >/dev/null || echo "cannot create $1" >&2
        created_pg+=("$1")
        ;;
    mysql)
        my_client -e "CREATE DATABASE $1" || echo "cannot create $1" >&2
        created_my+=("$1")
        ;;
    esac
}
# sql NAME: runs the SQL on stdin in database NAME with its own client; rows tab-separated.
sql() {
    case "$kind" in
    sqlite) sqlite3 -batch -bail -separator $'\t' "$work/$1.db" ;;
    postgres) psql "$(db_url "$pg_admin" "$1")" -X -q -v ON_ERROR_STOP=1 -A -t -F $'\t' ;;
    mysql) my_client -N -B "$1" ;;
    esac
}
# restore FILE NAME: the backup into the fresh database NAME, with the database's own tools.
restore() {
    case "$kind" in
    sqlite) cp "$1" "$work/$2.db" ;;
    postgres) psql "$(db_url "$pg_admin" "$2")" -X -q -v ON_ERROR_STOP=1 -f "$1" 2>&1 ;;
    mysql) my_client "$2" <"$1" 2>&1 ;;
    esac
}
# state NAME: what a restore must reproduce, as text.
state() {
    local tables columns indexes t
    case "$kind" in
    sqlite)
        tables="SELECT name FROM sqlite_master WHERE type IN ('table', 'view')
                AND name NOT LIKE 'sqlite_%' ORDER BY name;"
        columns="SELECT m.name, p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%'
                 ORDER BY m.name, p.cid;"
        indexes="SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'
                 AND name NOT LIKE 'sqlite_%' ORDER BY name;"
        ;;
    postgres)
        tables="SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'
                ORDER BY 1;"
        columns="SELECT table_name, column_name, data_type, is_nullable
                 FROM information_schema.columns WHERE table_schema = 'public'
                 ORDER BY table_name, ordinal_position;"
        indexes="SELECT tablename, indexname, indexdef FROM pg_indexes
                 WHERE schemaname = 'public' ORDER BY 2;"
        ;;
    mysql)
        tables="SELECT table_name FROM information_schema.tables
                WHERE table_schema = DATABASE() ORDER BY 1;"
        columns="SELECT table_name, column_name, column_type, is_nullable
                 FROM information_schema.columns WHERE table_schema = DATABASE()
                 ORDER BY table_name, ordinal_position;"
        indexes="SELECT table_name, index_name, seq_in_index, column_name
                 FROM information_schema.statistics WHERE table_schema = DATABASE()
                 ORDER BY 1, 2, 3;"
        ;;
    esac
    echo "== tables"
    sql "$1" <<<"$tables"
    echo "== columns"
    sql "$1" <<<"$columns"
    echo "== indexes"
    sql "$1" <<<"$indexes"
    echo "== rows"
    for t in $(sql "$1" <<<"$tables"); do
        printf '%s\t%s\n' "$t" "$(sql "$1" <<<"SELECT count(*) FROM $t;")"
    done
    echo "== data"
    sql "$1" <<<"SELECT id, name FROM items ORDER BY id;"
    echo "== history"
    sql "$1" <<<"SELECT version, name, checksum, state, applied_rank, applied_at, applied_by,
                        execution_ms, statements_done FROM strata_migrations ORDER BY version;"
    echo "== events"
    sql "$1" <<<"SELECT id, version, action, outcome, started_at, performed_by
                 FROM strata_migrations_events ORDER BY id;"
}

# The migrations: the third changes both schema and data.
write_migrations() { # DIR
    mkdir -p "$1"
    cat >"$1/001_items.up.sql" <<'EOF'
CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);
CREATE INDEX items_name ON items (name);
INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'it''s');
EOF
    cat >"$1/002_tags.up.sql" <<'EOF'
CREATE TABLE tags (item INTEGER NOT NULL, tag VARCHAR(20) NOT NULL);
INSERT INTO tags (item, tag) VALUES (1, 'x'), (2, 'y');
CREATE VIEW item_names AS SELECT name FROM items;
EOF
}
write_third() { # DIR
    cat >"$1/003_price.up.sql" <<'EOF'
ALTER TABLE items ADD COLUMN price INTEGER;
UPDATE items SET price = 10;
INSERT INTO items (id, name, price) VALUES (4, 'd', 40);
DROP TABLE tags;
EOF
}

# ---------------------------------------------------------------- the round trip
roundtrip() {
    local src="strata_bk_$$_src_$kind" dst="strata_bk_$$_dst_$kind" dir="$work/$kind/migrations"
    local file="$work/$kind.backup" before after restored mode
    create_db "$src"
    write_migrations "$dir"
    run "$strata" --database "$(url_of "$src")" --dir "$dir" up
    expect_code 0 "$kind: two migrations applied"
    expect_out "2 migration(s) applied" "$kind: ... both of them"
    before=$(state "$src" 2>&1)
    write_third "$dir"
    run "$strata" --database "$(url_of "$src")" --dir "$dir" up --backup "$file"
    expect_code 0 "$kind: up --backup, then the third migration"
    expect_out "1 migration(s) applied" "$kind: ... applied after the backup"
    [ -s "$file" ] && ok "$kind: the backup file is written" || not_ok "$kind: no backup file"
    [ ! -e "$file.tmp" ] && ok "$kind: no .tmp file is left" || not_ok "$kind: $file.tmp left"
    mode=$(stat -c %a "$file" 2>/dev/null)
    expect_eq "$mode" "600" "$kind: the backup is readable by its owner only"
    after=$(state "$src" 2>&1)
    [ "$after" != "$before" ] && ok "$kind: the third migration changed schema and data" ||
        not_ok "$kind: the third migration changed nothing"
    create_db "$dst"
    run restore "$file" "$dst"
    expect_code 0 "$kind: the backup restores with the database's own tools"
    restored=$(state "$dst" 2>&1)
    expect_eq "$restored" "$before" "$kind: the restored database is the state before the third migration"
    grep -q "^items	3$" <<<"$restored" && grep -q "^tags	2$" <<<"$restored" &&
        ok "$kind: ... with the rows of the first two migrations" ||
        { out="$restored"; not_ok "$kind: rows missing from the restored database"; }
    run "$strata" --database "$(url_of "$dst")" --dir "$dir" status
    expect_out "2 applied, 1 pending" "$kind: strata sees the restored history: 003 pending again"

    # a stale .tmp file stops the next backup and leaves the previous one alone
    before=$(cksum <"$file")
    echo interrupted >"$file.tmp"
    run "$strata" --database "$(url_of "$src")" backup --output "$file"
    expect_code 1 "$kind: a stale .tmp file"
    expect_out "$kind.backup.tmp already exists" "$kind: ... is named"
    expect_eq "$(cksum <"$file")" "$before" "$kind: ... and the previous backup is untouched"
    rm -f "$file.tmp"
    run "$strata" --database "$(url_of "$src")" backup --output "$file"
    expect_code 0 "$kind: strata backup --output replaces the previous one"
}

# ---------------------------------------------------------------- passwords and failures
# A fake dump tool records its command line and environment, prints the password on its
# standard error and fails: strata must hand the password through the environment only,
# and redact what the tool prints.
cat >fake-dump <<'EOF'
#!/bin/sh
printf '%s\n' "$0" "$@" >"$FAKE_DIR/args"
env >"$FAKE_DIR/env"
echo "fake-dump: error: cannot work, password ${PGPASSWORD:-}${MYSQL_PWD:-}" >&2
echo "second line" >&2
exit 3
EOF
chmod +x fake-dump

failures() {
    local src="strata_bk_$$_src_$kind" url secret pwvar env_override bad weak file="$work/fail-$kind.backup"
    url=$(url_of "$src")
    secret=$(secret_of "$url")
    if [ "$kind" = postgres ]; then pwvar=PGPASSWORD env_override=STRATA_PG_DUMP; else pwvar=MYSQL_PWD env_override=STRATA_MYSQL_DUMP; fi

    mkdir -p "$work/fake-$kind"
    run env "$env_override=$work/fake-dump" FAKE_DIR="$work/fake-$kind" "$helper" backup "$url" "$file"
    expect_code 1 "$kind: a failing dump tool"
    expect_out "cannot work, password ***" "$kind: ... its error is shown, redacted"
    expect_out "detail: second line" "$kind: ... its next lines are the detail"
    expect_no "$secret" "$kind: ... the password is in no error"
    [ ! -e "$file" ] && [ ! -e "$file.tmp" ] && ok "$kind: ... and leaves no file" ||
        not_ok "$kind: a failed backup left a file"
    if grep -qF -- "$secret" "$work/fake-$kind/args"; then
        out=$(cat "$work/fake-$kind/args"); not_ok "$kind: the password is on the tool's command line"
    else
        ok "$kind: the password is not on the tool's command line"
    fi
    grep -qxF -- "$pwvar=$secret" "$work/fake-$kind/env" && ok "$kind: the tool gets the password in $pwvar" ||
        { out=$(grep -v PWD "$work/fake-$kind/env"); not_ok "$kind: $pwvar not in the tool's environment"; }

    # a real failure of the real tool: a user who can connect but not read everything
    if [ "$kind" = postgres ]; then
        psql "$pg_admin" -X -q -c "CREATE ROLE $weak_pg LOGIN PASSWORD '$weak_pass'" >/dev/null
        weak=$(sed -E "s|//[^@]+@|//$weak_pg:$weak_pass@|" <<<"$url")
    else
        my_client -e "CREATE USER '$weak_my'@'%' IDENTIFIED BY '$weak_pass';
                      GRANT SELECT ON $src.* TO '$weak_my'@'%';"
        weak=$(sed -E "s|//[^@]+@|//$weak_my:$weak_pass@|" <<<"$url")
    fi
    run "$helper" backup "$weak" "$file"
    expect_code 1 "$kind: the dump tool fails for a user without the privileges"
    if [ "$kind" = postgres ]; then
        expect_out "pg_dump failed: " "$kind: ... pg_dump's own error is shown"
        expect_out "permission denied" "$kind: ... saying what was refused"
    else
        expect_out "-dump failed: " "$kind: ... mariadb-dump's own error is shown"
        expect_out " denied to user '$weak_my'" "$kind: ... saying what was refused"
        expect_out "hint: the dump needs the SELECT, SHOW VIEW, TRIGGER and EVENT" "$kind: ... with the privileges it needs"
    fi
    expect_no "$weak_pass" "$kind: ... the password is in no error"
    expect_out "$weak_my:***@" "$kind: ... the URL is redacted"
    [ ! -e "$file" ] && [ ! -e "$file.tmp" ] && ok "$kind: ... and leaves no file" ||
        not_ok "$kind: a failed backup left a file"

    # an unreachable server
    bad=$(sed -E 's|(@[^:/]+):[0-9]+/|\1:1/|' <<<"$url")
    run "$helper" backup "$bad" "$file"
    expect_code 1 "$kind: a refused connection"
    expect_no "$secret" "$kind: ... the password is not in the error"
    expect_out "***" "$kind: ... which shows the redacted URL"

    # pg_dump older than the server: its own message, and what to install
    if [ "$kind" = postgres ]; then
        printf '#!/bin/sh\necho "pg_dump: error: aborting because of server version mismatch" >&2\necho "pg_dump: detail: server version: 99.1; pg_dump version: 15.8" >&2\nexit 1\n' >old-pg-dump
        chmod +x old-pg-dump
        run env STRATA_PG_DUMP="$work/old-pg-dump" "$helper" backup "$url" "$file"
        expect_code 1 "$kind: pg_dump older than the server"
        expect_out "pg_dump failed: aborting because of server version mismatch" "$kind: ... pg_dump's message is the error"
        expect_out "detail: pg_dump: detail: server version: 99.1; pg_dump version: 15.8" "$kind: ... with the versions"
        expect_out "hint: $work/old-pg-dump is older than the server (PostgreSQL " \
            "$kind: ... and the hint says so"
        expect_out "install postgresql-client-" "$kind: ... and names the client to install"
    fi

    # the dump tool is not installed
    if [ "$kind" = postgres ]; then
        run env TEST_BACKUP_PATH="$work/empty" STRATA_PG_DUMP=/nonexistent "$helper" backup "$url" "$file"
        expect_code 5 "$kind: no pg_dump (STRATA_NOT_SUPPORTED)"
        expect_out "pg_dump not found: install postgresql-client (apt-get install postgresql-client)" \
            "$kind: ... says what to install"
        expect_out "STRATA_PG_DUMP=/nonexistent is not an executable file" "$kind: ... and why"
        if ls /usr/lib/postgresql/*/bin/pg_dump >/dev/null 2>&1; then
            run env TEST_BACKUP_PATH="$work/empty" "$helper" backup "$url" "$file"
            expect_code 0 "$kind: pg_dump not in PATH is found in /usr/lib/postgresql/*/bin"
        fi
    else
        run env TEST_BACKUP_PATH="$work/empty" "$helper" backup "$url" "$file"
        expect_code 5 "$kind: no mariadb-dump nor mysqldump (STRATA_NOT_SUPPORTED)"
        expect_out "mariadb-dump not found (nor mysqldump): install mariadb-client (apt-get install mariadb-client)" \
            "$kind: ... says what to install"
    fi
    [ ! -e "$file.tmp" ] && ok "$kind: no .tmp file after the failures" || not_ok "$kind: $file.tmp left"
}

# ---------------------------------------------------------------- SQLite, PostgreSQL, MariaDB
kind=sqlite
roundtrip

for kind in postgres mysql; do
    [ -f "$STRATA_DRIVER_PATH/$kind.so" ] || continue
    if [ "$kind" = postgres ]; then admin="$pg_admin" client=psql; else admin="$my_admin" client=mariadb; fi
    if [ -z "$admin" ]; then
        out="the $kind driver is built but STRATA_TEST_${kind^^}_URL is not set: run ./run-tests, which starts the servers"
        not_ok "$kind server available"
        continue
    fi
    if ! command -v "$client" >/dev/null; then
        out="the $client client is needed to restore the $kind backups"
        not_ok "$kind client available"
        continue
    fi
    roundtrip
    failures
done

finish
