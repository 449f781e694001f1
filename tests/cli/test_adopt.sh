#!/usr/bin/env bash
# `strata adopt` end to end: for golang-migrate, dbmate, goose, Flyway, sqitch and Liquibase, a database left
# exactly as that tool leaves it after applying two of three migrations (its own table,
# created with its own DDL for that database, and its rows; the two migrations' tables),
# then adopt, up (only the third runs) and validate; and the refusals. On SQLite always, and
# on PostgreSQL and MariaDB when their drivers are built (a built driver without its server
# is a failure). Needs STRATA_BIN, STRATA_SRCDIR, STRATA_DRIVER_PATH (set by `make check`)
# and the sqlite3, psql and mariadb clients for the databases tested.
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
: "${STRATA_SRCDIR:?set by make check}"
STRATA_DRIVER_PATH="${STRATA_DRIVER_PATH:?set by make check}"
export STRATA_DRIVER_PATH
command -v sqlite3 >/dev/null || { echo "sqlite3 (the client) is required"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-adopt-XXXXXX")
created_pg=()
created_my=()
cleanup() {
    for db in "${created_pg[@]}"; do
        psql "$pg_admin" -X -q -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    done
    for db in "${created_my[@]}"; do
        my_client -e "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
unset DATABASE_URL STRATA_DIR STRATA_TABLE

# ---------------------------------------------------------------- databases
pg_admin="${STRATA_TEST_POSTGRES_URL:-}"
my_admin="${STRATA_TEST_MYSQL_URL:-}"
my_host="" my_port="" my_user="" my_pass=""
if [ -n "$my_admin" ]; then
    my_user=$(sed -E 's|^[a-z]+://([^:@]+).*|\1|' <<<"$my_admin")
    my_pass=$(sed -E 's|^[a-z]+://[^:]+:([^@]+)@.*|\1|' <<<"$my_admin")
    hostport=$(sed -E 's|^[a-z]+://[^@]+@([^/]+)/.*|\1|' <<<"$my_admin")
    my_host="${hostport%:*}" my_port="${hostport#*:}"
fi
my_client() { mariadb --no-defaults -h "$my_host" -P "$my_port" -u "$my_user" -p"$my_pass" "$@"; }
db_url() { # admin URL, database name -> URL of that database
    local base="${1%%\?*}" query=""
    [ "$base" != "$1" ] && query="?${1#*\?}"
    echo "${base%/*}/$2$query"
}

# The database under test: $kind (sqlite, postgres, mysql), $target (file, URL or name for
# the client) and $url (for strata). fresh NAME makes a new, empty one.
kind="" target="" url=""
counter=0
fresh() {
    counter=$((counter + 1))
    local name="strata_adopt_$$_${counter}_$1"
    case "$kind" in
    sqlite)
        target="$work/$name.db"
        url="sqlite:$target"
        ;;
    postgres)
        psql "$pg_admin" -X -q -c "CREATE DATABASE $name" >/dev/null || echo "cannot create $name" >&2
        created_pg+=("$name")
        target=$(db_url "$pg_admin" "$name")
        url="$target"
        ;;
    mysql)
        my_client -e "CREATE DATABASE $name" || echo "cannot create $name" >&2
        created_my+=("$name")
        target="$name"
        url=$(db_url "$my_admin" "$name")
        ;;
    esac
}
# sql: runs the SQL on stdin with the database's own client; rows tab-separated, no header.
sql() {
    case "$kind" in
    sqlite) sqlite3 -batch -bail -separator $'\t' "$target" ;;
    postgres) psql "$target" -X -q -v ON_ERROR_STOP=1 -A -t -F $'\t' ;;
    mysql) { echo "SET time_zone = '+00:00';"; cat; } | my_client -N -B "$target" ;;
    esac
}
# Booleans as each tool's driver writes them.
T() { [ "$kind" = postgres ] && echo true || echo 1; }
F() { [ "$kind" = postgres ] && echo false || echo 0; }
history_count() { # rows in strata's history, 0 when the table is not there
    local n
    n=$(echo "SELECT count(*) FROM strata_migrations;" | sql 2>/dev/null) || n=0
    echo "${n:-0}"
}

# ---------------------------------------------------------------- migrations
# Portable SQL: VARCHAR keys, INTEGER.
up1="CREATE TABLE users (id VARCHAR(36) NOT NULL PRIMARY KEY, email VARCHAR(255) NOT NULL);"
down1="DROP TABLE users;"
up2="CREATE TABLE posts (id VARCHAR(36) NOT NULL PRIMARY KEY, user_id VARCHAR(36) NOT NULL, title VARCHAR(200) NOT NULL);"
down2="DROP TABLE posts;"
up3="CREATE TABLE comments (id VARCHAR(36) NOT NULL PRIMARY KEY, post_id VARCHAR(36) NOT NULL, score INTEGER NOT NULL DEFAULT 0);"
down3="DROP TABLE comments;"
names=(create_users create_posts create_comments)
ups=("$up1" "$up2" "$up3")
downs=("$down1" "$down2" "$down3")

# Each tool's file format and versions (as its files spell them and as its table records them).
declare -A file_versions=(
    [golang-migrate]="000001 000002 000003"
    [dbmate]="20240101000001 20240101000002 20240101000003"
    [goose]="00001 00002 00003"
    [flyway]="1 2 3"
)
write_migrations() { # tool dir
    local tool="$1" dir="$2" i=0 v
    rm -rf "$dir" && mkdir -p "$dir"
    for v in ${file_versions[$tool]}; do
        local n="${names[$i]}" u="${ups[$i]}" d="${downs[$i]}"
        case "$tool" in
        golang-migrate)
            printf '%s\n' "$u" >"$dir/${v}_$n.up.sql"
            printf '%s\n' "$d" >"$dir/${v}_$n.down.sql"
            ;;
        dbmate) printf -- '-- migrate:up\n%s\n\n-- migrate:down\n%s\n' "$u" "$d" >"$dir/${v}_$n.sql" ;;
        goose) printf -- '-- +goose Up\n%s\n\n-- +goose Down\n%s\n' "$u" "$d" >"$dir/${v}_$n.sql" ;;
        flyway) printf '%s\n' "$u" >"$dir/V${v}__$n.sql" ;;
        esac
        i=$((i + 1))
    done
}

# ---------------------------------------------------------------- the tools' tables
# Each tool's DDL for its table, as the tool itself creates it on each database.
tool_ddl() { # tool
    case "$1/$kind" in
    golang-migrate/sqlite)
        echo "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);
CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);" ;;
    golang-migrate/postgres)
        echo "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null);" ;;
    golang-migrate/mysql)
        echo "CREATE TABLE IF NOT EXISTS \`schema_migrations\` (version bigint not null primary key, dirty boolean not null);" ;;
    dbmate/sqlite)
        echo "create table if not exists \"schema_migrations\" (version varchar(128) primary key);" ;;
    dbmate/postgres)
        echo "create table if not exists public.schema_migrations (version varchar(128) primary key);" ;;
    dbmate/mysql)
        echo "create table if not exists \`schema_migrations\` (version varchar(128) primary key);" ;;
    goose/sqlite)
        echo "CREATE TABLE goose_db_version (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id INTEGER NOT NULL,
    is_applied INTEGER NOT NULL,
    tstamp TIMESTAMP DEFAULT (datetime('now'))
);" ;;
    goose/postgres | goose/mysql)
        echo "CREATE TABLE goose_db_version (
    id serial NOT NULL,
    version_id bigint NOT NULL,
    is_applied boolean NOT NULL,
    tstamp timestamp NULL default now(),
    PRIMARY KEY(id)
);" ;;
    flyway/sqlite)
        echo "CREATE TABLE \"flyway_schema_history\" (
    \"installed_rank\" INT NOT NULL PRIMARY KEY,
    \"version\" VARCHAR(50),
    \"description\" VARCHAR(200) NOT NULL,
    \"type\" VARCHAR(20) NOT NULL,
    \"script\" VARCHAR(1000) NOT NULL,
    \"checksum\" INT,
    \"installed_by\" VARCHAR(100) NOT NULL,
    \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
    \"execution_time\" INT NOT NULL,
    \"success\" BOOLEAN NOT NULL
);
CREATE INDEX \"flyway_schema_history_s_idx\" ON \"flyway_schema_history\" (\"success\");" ;;
    flyway/postgres)
        echo "CREATE TABLE \"public\".\"flyway_schema_history\" (
    \"installed_rank\" INT NOT NULL,
    \"version\" VARCHAR(50),
    \"description\" VARCHAR(200) NOT NULL,
    \"type\" VARCHAR(20) NOT NULL,
    \"script\" VARCHAR(1000) NOT NULL,
    \"checksum\" INTEGER,
    \"installed_by\" VARCHAR(100) NOT NULL,
    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),
    \"execution_time\" INTEGER NOT NULL,
    \"success\" BOOLEAN NOT NULL
);
ALTER TABLE \"public\".\"flyway_schema_history\" ADD CONSTRAINT \"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\");
CREATE INDEX \"flyway_schema_history_s_idx\" ON \"public\".\"flyway_schema_history\" (\"success\");" ;;
    flyway/mysql)
        echo "CREATE TABLE \`flyway_schema_history\` (
    \`installed_rank\` INT NOT NULL,
    \`version\` VARCHAR(50),
    \`description\` VARCHAR(200) NOT NULL,
    \`type\` VARCHAR(20) NOT NULL,
    \`script\` VARCHAR(1000) NOT NULL,
    \`checksum\` INT,
    \`installed_by\` VARCHAR(100) NOT NULL,
    \`installed_on\` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    \`execution_time\` INT NOT NULL,
    \`success\` BOOL NOT NULL,
    CONSTRAINT \`flyway_schema_history_pk\` PRIMARY KEY (\`installed_rank\`)
) ENGINE=InnoDB;
CREATE INDEX \`flyway_schema_history_s_idx\` ON \`flyway_schema_history\` (\`success\`);" ;;
    esac
}
declare -A tool_table=(
    [golang-migrate]=schema_migrations [dbmate]=schema_migrations
    [goose]=goose_db_version [flyway]=flyway_schema_history
)
t1="2024-03-01 10:00:00"
t2="2024-03-02 11:30:15"
# The rows each tool writes after applying the first two migrations.
tool_rows() { # tool
    case "$1" in
    golang-migrate) echo "INSERT INTO schema_migrations (version, dirty) VALUES (2, $(F));" ;;
    dbmate) echo "insert into schema_migrations (version) values ('20240101000001');
insert into schema_migrations (version) values ('20240101000002');" ;;
    goose) echo "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, $(T));
INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (1, $(T), '$t1');
INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (2, $(T), '$t2');" ;;
    flyway) echo "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success) VALUES (1, '1', 'create users', 'SQL', 'V1__create_users.sql', 1208370140, 'flyway_user', '$t1', 12, $(T));
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success) VALUES (2, '2', 'create posts', 'SQL', 'V2__create_posts.sql', -2037421213, 'flyway_user', '$t2', 34, $(T));" ;;
    esac
}
# The database as the tool leaves it after the first two migrations.
prepare() { # tool
    { printf '%s\n%s\n' "$up1" "$up2"; tool_ddl "$1"; tool_rows "$1"; } | sql
}
tool_dump() { echo "SELECT * FROM ${tool_table[$1]} ORDER BY 1;" | sql; }

# ---------------------------------------------------------------- one database
adopt_tool() { # tool
    local tool="$1" label="$kind/$1" dir="$work/mig-$kind-$1"
    local v1 v2 v3
    read -r v1 v2 v3 <<<"${file_versions[$tool]}"
    write_migrations "$tool" "$dir"
    fresh "${tool//-/_}"
    prepare "$tool"
    local before
    before=$(tool_dump "$tool")

    run "$strata" --database "$url" --dir "$dir" adopt
    expect_code 0 "$label: adopt"
    expect_out "adopted 2 migration(s) from $tool (${tool_table[$tool]}): $v1 create_users, $v2 create_posts" \
        "$label: adopt names what it adopted"
    local by
    by="$(id -un)@$(hostname)"
    [ "$tool" = flyway ] && by="flyway_user"
    local rows expected
    rows=$(echo "SELECT version, kind, name, state, applied_rank, execution_ms, CASE WHEN applied_by = '$by' THEN 'by-ok' ELSE applied_by END, strata_version FROM strata_migrations ORDER BY applied_rank;" | sql)
    local ms1=0 ms2=0
    [ "$tool" = flyway ] && ms1=12 ms2=34
    local sv
    sv=$("$strata" version | sed 's/^strata //')
    expected="$v1	versioned	create_users	applied	1	$ms1	by-ok	$sv
$v2	versioned	create_posts	applied	2	$ms2	by-ok	$sv"
    expect_eq "$rows" "$expected" "$label: two rows recorded as applied, in the tool's order"
    if [ "$tool" = goose ] || [ "$tool" = flyway ]; then
        rows=$(echo "SELECT applied_at FROM strata_migrations ORDER BY applied_rank;" | sql)
        expect_eq "$rows" "$t1
$t2" "$label: applied_at taken from the tool"
    fi
    rows=$(echo "SELECT count(*) FROM strata_migrations WHERE down_checksum IS NOT NULL;" | sql)
    if [ "$tool" = flyway ]; then expect_eq "$rows" 0 "$label: no down checksum (no down scripts)"
    else expect_eq "$rows" 2 "$label: down checksums recorded"; fi
    rows=$(echo "SELECT version, name, action, outcome, detail FROM strata_migrations_events ORDER BY id;" | sql)
    expected="$v1	create_users	adopt	ok	adopted from $tool (${tool_table[$tool]})
$v2	create_posts	adopt	ok	adopted from $tool (${tool_table[$tool]})"
    expect_eq "$rows" "$expected" "$label: one adopt event per migration"
    expect_eq "$(tool_dump "$tool")" "$before" "$label: the ${tool_table[$tool]} table is unchanged"

    run "$strata" --database "$url" --dir "$dir" status
    expect_out "2 applied, 1 pending" "$label: status after adopt"
    run "$strata" --database "$url" --dir "$dir" up
    expect_code 0 "$label: up after adopt"
    expect_out "1 migration(s) applied" "$label: up applies only the third migration"
    rows=$(echo "SELECT count(*) FROM comments;" | sql 2>&1)
    expect_eq "$rows" 0 "$label: the third migration's table exists"
    rows=$(echo "SELECT version, applied_rank FROM strata_migrations ORDER BY applied_rank;" | sql)
    expect_eq "$rows" "$v1	1
$v2	2
$v3	3" "$label: the third migration ranks after the adopted ones"
    run "$strata" --database "$url" --dir "$dir" validate
    expect_code 0 "$label: validate after adopt and up"
    expect_eq "$(tool_dump "$tool")" "$before" "$label: the ${tool_table[$tool]} table is still unchanged"
    run "$strata" --database "$url" --dir "$dir" adopt
    expect_code 3 "$label: a second adopt is refused"
    expect_out "already managed by strata" "$label: the second adopt says why"
}

# A refusal: adopt exits 3, says why, and records nothing.
expect_refusal() { # label expected-text [adopt options...]
    local label="$1" text="$2"
    shift 2
    run "$strata" --database "$url" --dir "$dir" adopt "$@"
    expect_code 3 "$label: refused"
    expect_out "$text" "$label: the refusal says why"
    expect_eq "$(history_count)" 0 "$label: strata's history is left empty"
}

refusals() {
    local dir="$work/mig-$kind-refusals"

    write_migrations golang-migrate "$dir"
    fresh gm_dirty
    { printf '%s\n%s\n' "$up1" "$up2"; tool_ddl golang-migrate; echo "INSERT INTO schema_migrations (version, dirty) VALUES (2, $(T));"; } | sql
    expect_refusal "$kind: golang-migrate dirty" "golang-migrate left version 2 dirty"

    fresh gm_nofile
    { printf '%s\n%s\n' "$up1" "$up2"; tool_ddl golang-migrate; echo "INSERT INTO schema_migrations (version, dirty) VALUES (7, $(F));"; } | sql
    expect_refusal "$kind: golang-migrate version without a file" "golang-migrate recorded version 7 as applied, but"

    write_migrations flyway "$dir"
    fresh fw_failed
    prepare flyway
    echo "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success) VALUES (3, '3', 'create comments', 'SQL', 'V3__create_comments.sql', 1, 'flyway_user', '$t2', 5, $(F));" | sql
    expect_refusal "$kind: Flyway failed migration" "version 3, V3__create_comments.sql (installed_rank 3) has success = false"

    write_migrations dbmate "$dir"
    fresh dbmate_nofile
    prepare dbmate
    echo "insert into schema_migrations (version) values ('20240101000009');" | sql
    expect_refusal "$kind: dbmate version without a file" "dbmate recorded version 20240101000009 as applied, but"

    write_migrations goose "$dir"
    fresh goose_nofile
    prepare goose
    echo "INSERT INTO goose_db_version (version_id, is_applied) VALUES (8, $(T));" | sql
    expect_refusal "$kind: goose version without a file" "goose recorded version 8 as applied, but"

    fresh no_tool
    expect_refusal "$kind: no tool table" "no table of golang-migrate, dbmate, goose, Flyway, sqitch or Liquibase"

    fresh two_tools
    prepare goose
    { tool_ddl flyway; tool_rows flyway; } | sql
    expect_refusal "$kind: two tools' tables" "goose (goose_db_version), flyway (flyway_schema_history); say which one to adopt with --from TOOL"
    run "$strata" --database "$url" --dir "$dir" adopt --from goose
    expect_code 0 "$kind: --from goose picks one of the two"
    expect_out "adopted 2 migration(s) from goose (goose_db_version)" "$kind: --from goose adopts goose's record"

    fresh managed
    prepare goose
    run "$strata" --database "$url" --dir "$dir" force 00001
    expect_code 0 "$kind: strata force, to give strata a history"
    run "$strata" --database "$url" --dir "$dir" adopt
    expect_code 3 "$kind: adopt on a database strata manages"
    expect_out "this database is already managed by strata" "$kind: the refusal says strata manages it"
    expect_eq "$(history_count)" 1 "$kind: strata's history is left as it was"
    rows=$(echo "SELECT count(*) FROM strata_migrations_events WHERE action = 'adopt';" | sql)
    expect_eq "$rows" 0 "$kind: no adopt event"
}

# Flyway and goose records beyond the plain case (SQLite only: the logic is the same on
# every database).
sqlite_extras() {
    local dir="$work/mig-extras" rows
    write_migrations flyway "$dir"
    fresh fw_baseline
    { printf '%s\n%s\n' "$up1" "$up2"; tool_ddl flyway
      echo "INSERT INTO flyway_schema_history VALUES (1, '1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'admin', '$t1', 0, 1);
INSERT INTO flyway_schema_history VALUES (2, '2', 'create posts', 'SQL', 'V2__create_posts.sql', 7, 'admin', '2024-03-02 13:30:15.250+02:00', 8, 1);"; } | sql
    run "$strata" --database "$url" --dir "$dir" adopt --from flyway
    expect_code 0 "flyway baseline: adopt"
    rows=$(echo "SELECT version, applied_rank, applied_at, execution_ms, applied_by FROM strata_migrations ORDER BY applied_rank;" | sql)
    expect_eq "$rows" "1	1	$t1	0	admin
2	2	$t2	8	admin" "flyway baseline: the baseline version counts as applied; offsets become UTC"

    fresh fw_undo
    { printf '%s\n' "$up1"; tool_ddl flyway
      echo "INSERT INTO flyway_schema_history VALUES (1, '1', 'create users', 'SQL', 'V1__create_users.sql', 1, 'admin', '$t1', 3, 1);
INSERT INTO flyway_schema_history VALUES (2, '2', 'create posts', 'SQL', 'V2__create_posts.sql', 2, 'admin', '$t1', 3, 1);
INSERT INTO flyway_schema_history VALUES (3, '2', 'create posts', 'UNDO_SQL', 'U2__create_posts.sql', 3, 'admin', '$t2', 3, 1);"; } | sql
    run "$strata" --database "$url" --dir "$dir" adopt
    expect_code 0 "flyway undo: adopt"
    expect_out "adopted 1 migration(s) from flyway (flyway_schema_history): 1 create_users" "flyway undo: an undone version is not adopted"
    expect_out "2 migration(s) pending" "flyway undo: the undone version is pending"

    write_migrations flyway "$dir"
    printf 'CREATE VIEW active_users AS SELECT id FROM users;\n' >"$dir/R__active_users.sql"
    fresh fw_repeatable
    { printf '%s\n%s\nCREATE VIEW active_users AS SELECT id FROM users;\n' "$up1" "$up2"; tool_ddl flyway
      tool_rows flyway
      echo "INSERT INTO flyway_schema_history VALUES (3, NULL, 'active users', 'SQL', 'R__active_users.sql', 5, 'admin', '$t2', 2, 1);
INSERT INTO flyway_schema_history VALUES (4, NULL, 'gone', 'SQL', 'R__gone.sql', 6, 'admin', '$t2', 2, 1);"; } | sql
    run "$strata" --database "$url" --dir "$dir" adopt
    expect_code 0 "flyway repeatable: adopt"
    expect_out "adopted 3 migration(s) from flyway (flyway_schema_history): 1 create_users, 2 create_posts, R__active_users" \
        "flyway repeatable: the repeatable is adopted"
    expect_out "R__gone.sql (installed_rank 4), but" "flyway repeatable: one without a file is skipped with a notice"
    rows=$(echo "SELECT version, kind, name, applied_rank FROM strata_migrations WHERE kind = 'repeatable';" | sql)
    expect_eq "$rows" "R__active_users	repeatable	active_users	3" "flyway repeatable: recorded as kind repeatable"
    run "$strata" --database "$url" --dir "$dir" up
    expect_out "1 migration(s) applied" "flyway repeatable: up runs only V3, not the adopted repeatable"
    run "$strata" --database "$url" --dir "$dir" validate
    expect_code 0 "flyway repeatable: validate"
    rm "$dir/R__active_users.sql"

    write_migrations goose "$dir"
    fresh goose_down
    { printf '%s\n%s\n' "$up1" "$up2"; tool_ddl goose
      echo "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);
INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (2, 1, '$t2');
INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (1, 1, '$t1');
INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (3, 1, '$t2');
INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (3, 0, '$t2');"; } | sql
    run "$strata" --database "$url" --dir "$dir" adopt --json
    expect_code 0 "goose rolled back: adopt --json"
    expect_out '"schema":"strata.adopt/1","tool":"goose","table":"goose_db_version","adopted":[{"version":"00002","name":"create_posts","repeatable":false,"applied_rank":1' \
        "goose rolled back: JSON, in the order goose applied them"
    expect_out '"pending":1,"skipped":0}' "goose rolled back: the rolled-back version is pending"

    write_migrations dbmate "$dir"
    fresh wrong_from
    prepare golang-migrate
    run "$strata" --database "$url" --dir "$dir" adopt --from dbmate
    expect_code 3 "--from dbmate on golang-migrate's table"
    expect_out "adopt it with --from golang-migrate" "the mix-up is explained"
    run "$strata" --database "$url" --dir "$dir" adopt --from goose
    expect_code 3 "--from goose without goose's table"
    expect_out "no goose table goose_db_version" "the missing table is named"
}

# ---------------------------------------------------------------- sqitch and Liquibase
# Projects rather than versioned files: sqitch's plan, Liquibase's changelog, each holding the
# same three migrations; the tool applied the first two.
write_sqitch() { # dir
    local dir="$1" i n dep
    rm -rf "$dir" && mkdir -p "$dir/deploy" "$dir/revert"
    printf '%%syntax-version=1.0.0\n%%project=adoptee\n\n' >"$dir/sqitch.plan"
    for i in 0 1 2; do
        n="${names[$i]}" dep=""
        [ "$i" -gt 0 ] && dep="[create_users] "
        printf '%s %s2024-03-0%dT10:00:00Z Ada <ada@example.com> # %s\n' "$n" "$dep" $((i + 1)) "$n" \
            >>"$dir/sqitch.plan"
        printf -- '-- Deploy adoptee:%s\nBEGIN;\n%s\nCOMMIT;\n' "$n" "${ups[$i]}" >"$dir/deploy/$n.sql"
        printf -- '-- Revert adoptee:%s\nBEGIN;\n%s\nCOMMIT;\n' "$n" "${downs[$i]}" >"$dir/revert/$n.sql"
    done
}
write_liquibase() { # dir
    local dir="$1" i
    rm -rf "$dir" && mkdir -p "$dir"
    echo "--liquibase formatted sql" >"$dir/changelog.sql"
    for i in 0 1 2; do
        printf '\n--changeset ada:%s\n%s\n--rollback %s\n' "${names[$i]}" "${ups[$i]}" "${downs[$i]}" \
            >>"$dir/changelog.sql"
    done
}
# sqitch's registry as sqitch creates it (the tables strata reads): a schema on PostgreSQL,
# a database of its own on MariaDB, a file beside the database on SQLite.
sqitch_registry() {
    case "$kind" in
    postgres)
        echo "CREATE SCHEMA sqitch;
CREATE TABLE sqitch.projects (project TEXT PRIMARY KEY, uri TEXT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), creator_name TEXT NOT NULL, creator_email TEXT NOT NULL);
CREATE TABLE sqitch.changes (change_id TEXT PRIMARY KEY, script_hash TEXT NULL, change TEXT NOT NULL, project TEXT NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '', committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), committer_name TEXT NOT NULL, committer_email TEXT NOT NULL, planned_at TIMESTAMPTZ NOT NULL, planner_name TEXT NOT NULL, planner_email TEXT NOT NULL, UNIQUE(project, script_hash));" ;;
    mysql)
        echo "CREATE DATABASE sqitch;
CREATE TABLE sqitch.projects (project VARCHAR(255) PRIMARY KEY, uri VARCHAR(255) NULL UNIQUE, created_at DATETIME(6) NOT NULL, creator_name VARCHAR(255) NOT NULL, creator_email VARCHAR(255) NOT NULL) ENGINE=InnoDB;
CREATE TABLE sqitch.changes (change_id VARCHAR(40) PRIMARY KEY, script_hash VARCHAR(40) NULL, \`change\` VARCHAR(255) NOT NULL, project VARCHAR(255) NOT NULL, note TEXT NOT NULL, committed_at DATETIME(6) NOT NULL, committer_name VARCHAR(255) NOT NULL, committer_email VARCHAR(255) NOT NULL, planned_at DATETIME(6) NOT NULL, planner_name VARCHAR(255) NOT NULL, planner_email VARCHAR(255) NOT NULL, UNIQUE(project, script_hash)) ENGINE=InnoDB;" ;;
    sqlite)
        echo "CREATE TABLE projects (project TEXT PRIMARY KEY, uri TEXT NULL UNIQUE, created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f')), creator_name TEXT NOT NULL, creator_email TEXT NOT NULL);
CREATE TABLE changes (change_id TEXT PRIMARY KEY, script_hash TEXT NULL UNIQUE, change TEXT NOT NULL, project TEXT NOT NULL REFERENCES projects(project) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '', committed_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f')), committer_name TEXT NOT NULL, committer_email TEXT NOT NULL, planned_at DATETIME NOT NULL, planner_name TEXT NOT NULL, planner_email TEXT NOT NULL);" ;;
    esac
}
sqitch_rows() { # sqitch.changes rows: two of this project, one of another project's
    local q="change" p="sqitch."
    [ "$kind" = mysql ] && q='`change`'
    [ "$kind" = sqlite ] && p=""
    echo "INSERT INTO ${p}projects (project, creator_name, creator_email, created_at) VALUES ('adoptee', 'Ada', 'ada@example.com', '$t1'), ('other', 'Bob', 'bob@example.com', '$t1');
INSERT INTO ${p}changes (change_id, script_hash, $q, project, note, committed_at, committer_name, committer_email, planned_at, planner_name, planner_email) VALUES
 ('a1', 'h1', 'create_users', 'adoptee', '', '$t1', 'Ada', 'ada@example.com', '$t1', 'Ada', 'ada@example.com'),
 ('a2', 'h2', 'create_posts', 'adoptee', '', '$t2', 'Ada', 'ada@example.com', '$t2', 'Ada', 'ada@example.com'),
 ('b3', 'h3', 'create_comments', 'other', '', '$t2', 'Bob', 'bob@example.com', '$t2', 'Bob', 'bob@example.com');"
}
liquibase_ddl() { # DATABASECHANGELOG as Liquibase creates it (unquoted: lower case on PostgreSQL)
    local dt=DATETIME
    [ "$kind" = postgres ] && dt="TIMESTAMP WITHOUT TIME ZONE"
    echo "CREATE TABLE DATABASECHANGELOG (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL, DATEEXECUTED $dt NOT NULL, ORDEREXECUTED INT NOT NULL, EXECTYPE VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35), DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), TAG VARCHAR(255), LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS VARCHAR(255), DEPLOYMENT_ID VARCHAR(10));
INSERT INTO DATABASECHANGELOG (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, EXECTYPE, MD5SUM, LIQUIBASE, DEPLOYMENT_ID) VALUES
 ('create_users', 'ada', 'db/changelog.sql', '$t1', 1, 'EXECUTED', '9:0a1', '4.25.1', '0001'),
 ('create_posts', 'ada', 'db/changelog.sql', '$t2', 2, 'EXECUTED', '9:0a2', '4.25.1', '0001'),
 ('create_comments', 'ada', 'db/changelog.sql', '$t2', 3, 'FAILED', '9:0a3', '4.25.1', '0001');"
}

# adopt, then up runs only the third; label tool table first-adopted second-adopted
adopt_project() {
    local tool="$1" table="$2" a1="$3" a2="$4" label="$kind/$1" rows
    run "$strata" --database "$url" --dir "$dir" adopt
    expect_code 0 "$label: adopt"
    expect_out "adopted 2 migration(s) from $tool ($table): $a1, $a2" "$label: adopt names what it adopted"
    rows=$(echo "SELECT version, name, applied_rank, applied_at FROM strata_migrations ORDER BY applied_rank;" | sql)
    expect_eq "$rows" "${a1% *}	${a1#* }	1	$t1
${a2% *}	${a2#* }	2	$t2" "$label: recorded in the tool's order, at the tool's times"
    run "$strata" --database "$url" --dir "$dir" up
    expect_code 0 "$label: up after adopt"
    expect_out "1 migration(s) applied" "$label: up applies only the third"
    run "$strata" --database "$url" --dir "$dir" validate
    expect_code 0 "$label: validate after adopt and up"
}

adopt_projects() {
    local dir="$work/sqitch-$kind"
    write_sqitch "$dir"
    if [ "$kind" = sqlite ]; then
        mkdir -p "$work/sq-$kind" && rm -f "$work/sq-$kind"/*.db
        target="$work/sq-$kind/flipr.db" url="sqlite:$target"
        printf '%s\n%s\n' "$up1" "$up2" | sql
        { sqitch_registry; sqitch_rows; } | sqlite3 -batch -bail "$work/sq-$kind/sqitch.db"
    else
        fresh sqitch
        [ "$kind" = mysql ] && my_client -e "DROP DATABASE IF EXISTS sqitch"
        { printf '%s\n%s\n' "$up1" "$up2"; sqitch_registry; sqitch_rows; } | sql
    fi
    adopt_project sqitch sqitch.changes "1 create_users" "2 create_posts"
    [ "$kind" = mysql ] && my_client -e "DROP DATABASE IF EXISTS sqitch"

    dir="$work/liquibase-$kind"
    write_liquibase "$dir"
    fresh liquibase
    { printf '%s\n%s\n' "$up1" "$up2"; liquibase_ddl; } | sql
    adopt_project liquibase DATABASECHANGELOG "1.1 ada:create_users" "1.2 ada:create_posts"
}

# ---------------------------------------------------------------- usage
run "$strata" --help
expect_out "adopt [--from TOOL]" "the overview lists adopt"
run "$strata" adopt --help
expect_code 0 "strata adopt --help"
expect_out "--from TOOL" "adopt --help lists --from"
expect_out "Examples:" "adopt --help has examples"
run "$strata" --database "sqlite:$work/usage.db" adopt --from rails
expect_code 2 "an unknown --from tool"
expect_out "cannot adopt from 'rails'" "the unknown tool is named"
run "$strata" --database "sqlite:$work/usage.db" adopt goose
expect_code 2 "adopt takes no argument"
run "$strata" status --from goose
expect_code 2 "--from belongs to adopt only"

# ---------------------------------------------------------------- SQLite, PostgreSQL, MariaDB
tools=(golang-migrate dbmate goose flyway)
kind=sqlite
for tool in "${tools[@]}"; do adopt_tool "$tool"; done
refusals
sqlite_extras
adopt_projects

for kind in postgres mysql; do
    [ -f "$STRATA_DRIVER_PATH/$kind.so" ] || continue
    if [ "$kind" = postgres ]; then admin="$pg_admin" client=psql; else admin="$my_admin" client=mariadb; fi
    if [ -z "$admin" ]; then
        out="the $kind driver is built but STRATA_TEST_${kind^^}_URL is not set: run ./run-tests, which starts the servers"
        not_ok "$kind server available"
        continue
    fi
    if ! command -v "$client" >/dev/null; then
        out="the $client client is needed to prepare the $kind databases"
        not_ok "$kind client available"
        continue
    fi
    for tool in "${tools[@]}"; do adopt_tool "$tool"; done
    refusals
    adopt_projects
done

finish
