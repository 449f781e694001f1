#!/usr/bin/env bash
# The strata command end to end on real SQLite files: help, drivers, the demo migrations
# up/down/up, status, validate, edited and failing migrations, exit codes, redaction.
# Needs STRATA_BIN, STRATA_SRCDIR, STRATA_TEST_PLUGINS (set by `make check`) and sqlite3.
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
srcdir="${STRATA_SRCDIR:?set by make check}"
plugins="${STRATA_TEST_PLUGINS:?set by make check}"
STRATA_DRIVER_PATH="${STRATA_DRIVER_PATH:?set by make check}"
command -v sqlite3 >/dev/null || { echo "sqlite3 (the client) is required"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-cli-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
unset DATABASE_URL STRATA_DIR STRATA_TABLE

user_schema() { sqlite3 "$1" "SELECT sql FROM sqlite_master WHERE name NOT LIKE 'strata%' AND name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY name"; }

# ---- help
run "$strata" --help
expect_code 0 "strata --help"
expect_out "Usage: strata [global options] COMMAND" "overview shows the usage line"
expect_out "Exit codes:" "overview documents exit codes"
run "$strata" up --help
expect_code 0 "strata up --help"
expect_out "--dry-run" "up --help lists its options"
run "$strata" help down
expect_out "--all" "strata help down"
run python3 "$srcdir/tests/cli/help_options.py" "$srcdir/core/cli/options.c" "$strata"
expect_eq "$out" "" "every command's --help names every option the command takes"
run "$strata"
expect_code 2 "no command is a usage error"
run "$strata" frobnicate
expect_code 2 "unknown command"
expect_out "unknown command 'frobnicate'" "unknown command is named"
expect_no "did you mean" "... with no suggestion when nothing is near"
run "$strata" stauts
expect_code 2 "a mistyped command"
expect_out "did you mean \`strata status\`" "... suggests the nearest command"
run "$strata" status --bogus
expect_code 2 "unknown option"
run "$strata" status --all
expect_code 2 "an option of another command"
run "$strata" --version
expect_out "strata " "--version"

# ---- drivers
run "$strata" drivers
expect_code 0 "strata drivers"
expect_out "sqlite" "the SQLite driver is found from the build tree"
run "$strata" drivers --driver-dir "$plugins"
expect_code 0 "strata drivers lists refused plugins without failing"
expect_out "refused (10)" "the ten broken test plugins are refused"
expect_out "badabi.so: built for driver ABI 99" "a refused plugin is listed with its reason"
expect_out "abi1.so: built for driver ABI 1, which this strata no longer loads" "an ABI-1 plugin is told it is no longer loaded"
expect_out "rebuild it against this strata's driver.h" "... and to rebuild"
expect_out "several.so: required members 'connect', 'describe' are NULL; declares the name 'plural'" "every reason of a refusal, on one line"
expect_out "refuse.so: the refuse driver's entry declined to load: refuse: this plugin always declines" "a declining entry is quoted"
expect_out "badshape.so: url_shape is 4" "a url_shape out of range"
run "$strata" drivers --json
expect_out '"schema":"strata.drivers/1"' "drivers --json"
expect_out '"url_shape":"file"' "drivers --json gives the URL shape"

# ---- drivers --check: a refused plugin on the path fails the run; --json carries the reasons
run env STRATA_DRIVER_PATH="$plugins:$STRATA_DRIVER_PATH" "$strata" drivers --check
expect_code 1 "drivers --check with refused plugins on STRATA_DRIVER_PATH"
expect_out "10 driver plugins refused" "drivers --check counts the refused plugins"
expect_out "abi1.so: built for driver ABI 1" "drivers --check lists the reasons"
run "$strata" drivers --check
expect_code 0 "drivers --check when every plugin found loads"
expect_no "refused" "no plugin refused on the build tree's path"
jsonout=$(env STRATA_DRIVER_PATH="$plugins:$STRATA_DRIVER_PATH" "$strata" drivers --json --check 2>/dev/null)
code=$?
out=$jsonout
expect_code 1 "drivers --json --check with refused plugins"
expect_out '"name":"abi1"' "drivers --json lists the refused plugin"
expect_out '"refused":"built for driver ABI 1, which this strata no longer loads' "drivers --json carries the ABI-1 reason"
expect_out '"refused":"required members '"'"'connect'"'"', '"'"'describe'"'"' are NULL; declares the name '"'"'plural'"'"'' "drivers --json carries every reason of a refusal"
expect_out '"refused":"the refuse driver'"'"'s entry declined to load: refuse: this plugin always declines"' "drivers --json carries the entry's own words"
if command -v python3 >/dev/null; then
    python3 -c 'import json, sys; d = json.load(sys.stdin); r = [x for x in d["drivers"] if x["refused"]]; sys.exit(0 if len(r) == 10 and all(x["version"] is None for x in r) else 1)' <<<"$jsonout" &&
        ok "drivers --json is valid JSON with ten refused plugins" || not_ok "drivers --json is valid JSON with ten refused plugins"
fi

# ---- the demo migrations on the embedded default (sqlite:strata.db, ./migrations)
cp -r "$srcdir/migrations" .
chmod -R u+w migrations
run "$strata" up
expect_code 0 "up on the demo set"
expect_out "5 migration(s) applied" "five demo migrations applied"
[ -f strata.db ] && ok "the default database is ./strata.db" || not_ok "no ./strata.db"
run "$strata" status
expect_code 0 "status"
[ "$(grep -c ' applied ' <<<"$out")" -eq 5 ] && ok "status lists five applied" || not_ok "status lists five applied"
expect_out "5 applied, 0 pending" "status summary"
run "$strata" up
expect_code 0 "a second up"
expect_out "nothing to do" "a second up applies nothing"
run "$strata" status --json
expect_out '"summary":{"applied":5,"pending":0' "status --json summary"

before=$(user_schema strata.db)
run "$strata" down --all
expect_code 0 "down --all"
[ -z "$(user_schema strata.db)" ] && ok "down --all leaves no user table" || not_ok "tables left after down --all"
run "$strata" up
expect_code 0 "up after down --all"
[ "$(user_schema strata.db)" = "$before" ] && ok "down --all then up gives the same schema" || not_ok "schema differs after down --all / up"
run "$strata" down
expect_out "1 migration(s) rolled back" "down rolls back one by default"
run "$strata" up --dry-run
expect_out "CREATE TABLE roles" "--dry-run prints the SQL"
expect_out "nothing was changed" "--dry-run says nothing changed"
run sqlite3 strata.db "SELECT count(*) FROM strata_migrations"
[ "$out" = 4 ] && ok "--dry-run recorded nothing" || not_ok "--dry-run recorded something"
run "$strata" up -q
expect_code 0 "up -q"

# ---- global options before or after the command, env vars
mkdir other
cp migrations/001_* other/
: > other.db # an empty file is an empty database; status creates none
run "$strata" status --database sqlite:other.db --dir other
expect_out "1 pending" "--database and --dir after the command"

# ---- commands that only read create no database
run "$strata" status --database sqlite:absent.db --dir other
expect_code 1 "status on a missing database file"
expect_out "no database file absent.db" "status names the missing file"
[ ! -e absent.db ] && ok "status created no database file" || not_ok "status created absent.db"
run "$strata" validate --database sqlite:absent.db --dir other
[ ! -e absent.db ] && ok "validate created no database file" || not_ok "validate created absent.db"
run "$strata" history --database sqlite:absent.db --dir other
[ ! -e absent.db ] && ok "history created no database file" || not_ok "history created absent.db"
run env DATABASE_URL=sqlite:other.db STRATA_DIR=other "$strata" up
expect_code 0 "DATABASE_URL and STRATA_DIR"
run sqlite3 other.db "SELECT count(*) FROM strata_migrations"
[ "$out" = 1 ] && ok "the environment chose the database" || not_ok "DATABASE_URL ignored"

# ---- an edited applied migration
printf '\n-- edited\n' >> migrations/002_create_api_keys.up.sql
run "$strata" up
expect_code 3 "up refuses an edited migration"
expect_out "migrations/002_create_api_keys.up.sql" "the refusal names the file"
run "$strata" validate
expect_code 3 "validate fails on an edited migration"
expect_out "002_create_api_keys.up.sql: edited after it was applied" "validate names the file"
run "$strata" status
expect_out "modified" "status shows it modified"
run "$strata" validate --json
expect_out '"kind":"modified"' "validate --json"
git_restore() { cp "$srcdir/migrations/002_create_api_keys.up.sql" migrations/; }
git_restore
run "$strata" validate
expect_code 0 "validate passes once the file is restored"

# ---- a failing migration: file:line:col, nothing left behind, exit 1
cat > migrations/006_broken.up.sql <<'SQL'
CREATE TABLE broken_half (id INTEGER);
INSERT INTO broken_half VALUES (1);
INSERT INTO no_such_table VALUES (1);
SQL
run "$strata" up
expect_code 1 "a failing migration"
expect_out "migrations/006_broken.up.sql:3:1:" "the error points at file:line:col"
run sqlite3 strata.db "SELECT count(*) FROM sqlite_master WHERE name='broken_half'"
[ "$out" = 0 ] && ok "the failed migration left nothing behind" || not_ok "broken_half exists"
rm migrations/006_broken.up.sql

# ---- up --resume: a migration outside a transaction fails at its third statement; once
# the cause is fixed it finishes from statement three; editing statement one first refuses
resume_case() { # label URL
    local label="$1" url="$2" dir="resume-$1"
    rm -rf "$dir" && mkdir "$dir"
    printf -- '-- strata:no-transaction\nCREATE TABLE r_one (id INTEGER);\nCREATE TABLE r_two (id INTEGER);\nINSERT INTO r_nowhere VALUES (1);\nCREATE TABLE r_four (id INTEGER);\n' \
        > "$dir/001_resume.up.sql"
    run "$strata" --database "$url" --dir "$dir" --table resume_history up
    expect_code 1 "$label: the third statement fails"
    expect_out "001_resume.up.sql:4:" "$label: the failure points at the third statement's line"
    expect_out "strata up --resume" "$label: the hint offers --resume"
    run "$strata" --database "$url" --dir "$dir" --table resume_history up
    expect_code 5 "$label: a plain up refuses the dirty database"
    sed -i 's/INSERT INTO r_nowhere VALUES (1);/CREATE TABLE r_three (id INTEGER);/' "$dir/001_resume.up.sql"
    run "$strata" --database "$url" --dir "$dir" --table resume_history up --resume
    expect_code 0 "$label: up --resume after fixing the cause"
    expect_out "resuming migration 001 at statement 3" "$label: resumes from statement 3"
    run "$strata" --database "$url" --dir "$dir" --table resume_history validate
    expect_code 0 "$label: validate after the resumed migration"
    printf -- '-- strata:no-transaction\nCREATE TABLE s_one (id INTEGER);\nCREATE TABLE s_two (id INTEGER);\nINSERT INTO s_nowhere VALUES (1);\n' \
        > "$dir/002_again.up.sql"
    run "$strata" --database "$url" --dir "$dir" --table resume_history up
    expect_code 1 "$label: a second migration fails at statement 3"
    sed -i 's/CREATE TABLE s_one (id INTEGER);/CREATE TABLE s_one (id INTEGER, extra INTEGER);/' "$dir/002_again.up.sql"
    run "$strata" --database "$url" --dir "$dir" --table resume_history up --resume
    expect_code 3 "$label: --resume refuses when statement one was edited"
    expect_out "lines 2 to 3) were edited" "$label: the refusal names the statements that ran"
}
resume_case sqlite sqlite:resume.db

# ---- operating commands: status --check, redo, history, mark, validate --require-down, wait
mkdir ops && cp migrations/00[1-3]_* ops/
: > ops.db
run "$strata" --database sqlite:ops.db --dir ops status --check
expect_code 3 "status --check with pending migrations"
expect_out "3 migration(s) pending (--check)" "status --check says how many"
run "$strata" --database sqlite:ops.db --dir ops up
run "$strata" --database sqlite:ops.db --dir ops status --check
expect_code 0 "status --check when up to date"
run "$strata" --database sqlite:ops.db --dir ops redo --step 2
expect_code 0 "redo --step 2"
expect_out "2 migration(s) rolled back" "redo rolls back two"
expect_out "2 migration(s) applied" "redo applies them again"
run "$strata" --database sqlite:ops.db --dir ops history --action down
[ "$(grep -c ' down ' <<<"$out")" -eq 2 ] && ok "history --action down lists the two downs" || not_ok "history --action down"
run "$strata" --database sqlite:ops.db --dir ops history 003 --json
expect_out '"schema":"strata.history/1"' "history --json"
[ "$(grep -o '"action":"up"' <<<"$out" | wc -l)" -eq 2 ] && ok "history VERSION: 003 went up twice" || not_ok "history VERSION"
run "$strata" --database sqlite:ops.db --dir ops history --limit 1
[ "$(grep -c ' up ' <<<"$out")" -eq 1 ] && ok "history --limit 1" || not_ok "history --limit 1"
run "$strata" --database sqlite:ops.db --dir ops history --since 2999-01-01
expect_out "(no events)" "history --since in the future"
run "$strata" --database sqlite:ops.db --dir ops mark 003 rolled-back
expect_code 0 "mark 003 rolled-back"
run "$strata" --database sqlite:ops.db --dir ops history --action force
expect_out "marked rolled back" "the mark is in the event log"
rm ops/002_create_api_keys.down.sql
run "$strata" --database sqlite:ops.db --dir ops validate
expect_code 0 "a migration without a down is a warning"
run "$strata" --database sqlite:ops.db --dir ops validate --require-down
expect_code 3 "validate --require-down fails on it"
mv ops/003_create_security_events.up.sql ops/005_create_security_events.up.sql
mv ops/003_create_security_events.down.sql ops/005_create_security_events.down.sql
: > gap.db
run "$strata" --database sqlite:gap.db --dir ops validate
expect_out "no migration numbered between 002 and 005" "validate warns about a gap in sequence numbers"
run "$strata" --database 'postgres://u:s3cr3t@127.0.0.1:1/x' wait --timeout 600ms
expect_code 1 "wait gives up"
expect_out "gave up after 600 ms" "wait says it gave up"
expect_no "s3cr3t" "wait never prints the password"
run "$strata" wait --timeout 1s
expect_code 0 "wait on a database that accepts connections"

# ---- backups through the command line (tests/cli/test_backup.sh restores them on each database)
mkdir bk && cp migrations/00[1-2]_* bk/
run "$strata" --database sqlite:bk.db --dir bk up
run "$strata" --database sqlite:bk.db --dir bk backup --output bk-copy.db
expect_code 0 "backup --output"
run sqlite3 bk-copy.db "SELECT count(*) FROM strata_migrations"
[ "$out" = 2 ] && ok "the backup holds the history" || not_ok "backup content ($out)"
cp migrations/003_* bk/
run "$strata" --database sqlite:bk.db --dir bk up --backup before-003.db
expect_code 0 "up --backup"
run sqlite3 before-003.db "SELECT count(*) FROM strata_migrations"
[ "$out" = 2 ] && ok "up --backup backed up before applying 003" || not_ok "up --backup content ($out)"
run "$strata" --database sqlite:bk.db --dir bk up --backup x.db --dry-run
expect_code 2 "--backup with --dry-run is a usage error"
run "$strata" --database sqlite:bk.db --dir bk backup
expect_code 2 "backup without --output"

# ---- baseline and repair
mkdir legacy && cp migrations/00[1-5]_* legacy/
run "$strata" --database sqlite:legacy.db --dir legacy baseline 003 --description "built by hand"
expect_code 0 "baseline 003"
expect_out "3 migration(s) recorded" "baseline records 001 to 003 without running them"
run "$strata" --database sqlite:legacy.db --dir legacy status
expect_out "3 applied, 2 pending" "after baseline, 004 and 005 are pending"
run sqlite3 legacy.db "SELECT count(*) FROM sqlite_master WHERE name = 'users'"
[ "$out" = 0 ] && ok "baseline ran no migration" || not_ok "baseline ran a migration"
run "$strata" --database sqlite:legacy.db --dir legacy history --action baseline
expect_out "built by hand" "the baseline event keeps its description"
run "$strata" --database sqlite:legacy.db --dir legacy baseline 005
expect_code 3 "a second baseline is refused"
printf '\n-- a comment added after it ran\n' >> legacy/002_create_api_keys.up.sql
run "$strata" --database sqlite:legacy.db --dir legacy repair
expect_code 3 "repair without --yes lists and asks"
expect_out "legacy/002_create_api_keys.up.sql: checksum" "repair names the edited file"
run "$strata" --database sqlite:legacy.db --dir legacy repair --yes
expect_code 0 "repair --yes"
run "$strata" --database sqlite:legacy.db --dir legacy validate
expect_code 0 "validate passes after repair"
run "$strata" --database sqlite:legacy.db --dir legacy history --action repair
expect_out "002" "the repair is in the event log"

# ---- strata.conf environments and status --all-envs (flags beat the environment, which
# beats the file)
mkdir envs && cp -r migrations envs/ && rm -f envs/migrations/006_*
printf 'default_env = dev\n[dev]\nurl = sqlite:dev.db\n[prod]\nurl = sqlite:prod.db\nlock_timeout = 2m\n' > envs/strata.conf
run env -C envs "$strata" up
expect_code 0 "up on strata.conf's default environment"
[ -f envs/dev.db ] && ok "default_env chose dev.db" || not_ok "default_env ignored"
run env -C envs STRATA_ENV=prod "$strata" up --to 002
[ -f envs/prod.db ] && ok "STRATA_ENV chose prod.db" || not_ok "STRATA_ENV ignored"
: > envs/flag.db
run env -C envs STRATA_ENV=prod "$strata" --database sqlite:flag.db status
expect_code 0 "status with --database and strata.conf"
expect_out "database sqlite:flag.db," "--database beats strata.conf"
run env -C envs DATABASE_URL=sqlite:env.db "$strata" --env prod status
grep -q "sqlite:env.db" <<<"$out" && ok "DATABASE_URL beats strata.conf" || not_ok "DATABASE_URL lost to strata.conf"
run env -C envs DATABASE_URL=sqlite:env.db "$strata" status --all-envs
expect_code 0 "status --all-envs"
grep -qE '^003 .*applied +pending' <<<"$out" && ok "the matrix: 003 applied on dev, pending on prod" || not_ok "the --all-envs matrix"
run env -C envs "$strata" --env nowhere status
expect_code 2 "an unknown environment"
expect_out "dev" "the error lists the environments there are"

# ---- opt-in placeholders from strata.conf
mkdir -p ph/m
printf 'CREATE TABLE ${prefix}_items (id INTEGER);\nCREATE TABLE keep (v VARCHAR(20) DEFAULT '"'"'${other}'"'"');\n' > ph/m/001_x.up.sql
printf '[on]\nurl = sqlite:on.db\ndir = m\nplaceholders = true\nplaceholder.prefix = shop\n[off]\nurl = sqlite:off.db\ndir = m\nplaceholder.prefix = shop\n' > ph/strata.conf
run env -C ph "$strata" --env on up
expect_code 0 "placeholders = true substitutes \${prefix}"
run sqlite3 ph/on.db "SELECT name FROM sqlite_master WHERE name = 'shop_items'"
[ "$out" = shop_items ] && ok "the table got the placeholder's value" || not_ok "no shop_items table"
run sqlite3 ph/on.db "SELECT sql FROM sqlite_master WHERE name = 'keep'"
expect_out "'\${other}'" "an unknown placeholder is left as written"
run env -C ph "$strata" --env off up
expect_code 1 "without placeholders = true the SQL runs as written"

# ---- a progress bar when stderr is a terminal and many migrations run (script(1) gives a pty)
if command -v script >/dev/null; then
    mkdir many
    for i in $(seq -w 1 12); do echo "CREATE TABLE many_$i (id INTEGER);" > "many/0${i}_t$i.up.sql"; done
    run script -qec "$strata --database sqlite:many.db --dir many up" /dev/null
    expect_out "12/12" "a progress bar on a terminal"
    run "$strata" --database sqlite:many2.db --dir many up
    [ "$(grep -c '^up ' <<<"$out")" -eq 12 ] && ok "a line per migration when not on a terminal" || not_ok "lines without a terminal"
fi

# ---- a renamed file (001 -> 1 is the same version): down removes the row it ran for
mkdir renamed && cp migrations/001_create_users.* renamed/
run "$strata" --database sqlite:renamed.db --dir renamed up
expect_code 0 "renamed: up"
mv renamed/001_create_users.up.sql renamed/1_create_users.up.sql
mv renamed/001_create_users.down.sql renamed/1_create_users.down.sql
run "$strata" --database sqlite:renamed.db --dir renamed down
expect_code 0 "renamed: down after 001 became 1"
run sqlite3 renamed.db "SELECT count(*) FROM strata_migrations"
[ "$out" = 0 ] && ok "renamed: the history row is gone" || not_ok "renamed: the row stayed ($out)"

# ---- bad input
run "$strata" --database 'sqlite:x.db?password=hunter2' status
expect_code 2 "an unknown URL option"
expect_no "hunter2" "a password in the URL is never printed"
run "$strata" --database 'postgres://app:s3cret@127.0.0.1:1/app' status
expect_no "s3cret" "a password in a network URL is never printed"
run "$strata" --database 'nosuch://x' status
expect_code 2 "an unknown driver"
expect_out "no driver serves the URL scheme 'nosuch'" "the unknown scheme is named"
expect_out "sqlite (sqlite:, sqlite3:)" "the schemes the drivers found serve are listed"
run "$strata" --database 'strata.db' status
expect_code 2 "a URL without a scheme"
expect_out "\`strata drivers\` lists the schemes" "a URL without a scheme points at strata drivers"
mkdir bad && printf 'CREATE TABLE x (a int);\n' > bad/create_x.sql
run "$strata" --dir bad --database sqlite:bad.db up
expect_code 3 "an unparseable file name"
expect_out "bad/create_x.sql" "the bad name is named"
run "$strata" --lock-timeout soon status
expect_code 2 "a bad --lock-timeout"
run "$strata" new
expect_code 2 "new without a name"
run "$strata" new add_users_email
expect_code 0 "strata new"
expect_out "migrations/006_add_users_email.up.sql" "new follows the folder's sequence numbers"

# ---- the demo migrations up, down to zero and up again on PostgreSQL and MariaDB
# (servers started by ./run-tests; a built driver without its server is a failure)
db_url() { # admin URL, database name -> URL of that database
    local base="${1%%\?*}" query=""
    [ "$base" != "$1" ] && query="?${1#*\?}"
    echo "${base%/*}/$2$query"
}
rm -rf demo && cp -r "$srcdir/migrations" demo && chmod -R u+w demo
export STRATA_DIR=demo
roundtrip() { # label URL password
    local label="$1" url="$2" secret="$3"
    run "$strata" --database "$url" up
    expect_code 0 "$label: up on the demo set"
    expect_out "5 migration(s) applied" "$label: five demo migrations applied"
    expect_no "$secret" "$label: the password is not printed"
    run "$strata" --database "$url" status
    [ "$(grep -c ' applied ' <<<"$out")" -eq 5 ] && ok "$label: status lists five applied" || not_ok "$label: status lists five applied"
    run "$strata" --database "$url" up
    expect_out "nothing to do" "$label: a second up applies nothing"
    run "$strata" --database "$url" down --all
    expect_code 0 "$label: down --all"
    expect_out "5 migration(s) rolled back" "$label: five rolled back"
    run "$strata" --database "$url" status
    expect_out "0 applied, 5 pending" "$label: nothing applied after down --all"
    run "$strata" --database "$url" up
    expect_code 0 "$label: up again"
    run "$strata" --database "$url" validate
    expect_code 0 "$label: validate"
    run "$strata" --database "$url" backup --output "backup-$label.sql"
    expect_code 0 "$label: backup --output"
    [ -s "backup-$label.sql" ] && ok "$label: the dump is written" || not_ok "$label: empty dump"
    expect_no "$secret" "$label: the backup prints no password"
    name2="${url##*/}"
    resume_case "$label" "${url%/*}/${name2%%\?*}"
    # a last statement ending in a -- comment and no ';' (batched on PostgreSQL)
    mkdir -p "tail-$label"
    printf 'CREATE TABLE tail_a (id INTEGER);\nCREATE TABLE tail_b (id INTEGER) -- no semicolon\n' \
        > "tail-$label/001_tail.up.sql"
    run "$strata" --database "$url" --dir "tail-$label" --table tail_history up
    expect_code 0 "$label: a script ending in a comment without ';'"
    expect_out "1 migration(s) applied" "$label: ... is applied whole"
}
for driver in postgres mysql; do
    [ -f "$STRATA_DRIVER_PATH/$driver.so" ] || continue
    if [ "$driver" = postgres ]; then admin="${STRATA_TEST_POSTGRES_URL:-}"; else admin="${STRATA_TEST_MYSQL_URL:-}"; fi
    if [ -z "$admin" ]; then
        out="the $driver driver is built but STRATA_TEST_${driver^^}_URL is not set: run ./run-tests, which starts the servers"
        not_ok "$driver server available"
        continue
    fi
    secret=$(sed -E 's|^[a-z]+://[^:]+:([^@]+)@.*|\1|' <<<"$admin")
    name="strata_cli_$$"
    if [ "$driver" = postgres ]; then
        psql "$admin" -X -q -c "CREATE DATABASE $name" >/dev/null
    else
        hostport=$(sed -E 's|^[a-z]+://[^@]+@([^/]+)/.*|\1|' <<<"$admin")
        mariadb --no-defaults -h "${hostport%:*}" -P "${hostport#*:}" -u strata -p"$secret" -e "CREATE DATABASE $name"
    fi
    roundtrip "$driver" "$(db_url "$admin" "$name")" "$secret"
    # strata.conf: the URL from the file, the password from the environment
    conf_url=$(sed -E "s|^([a-z]+://[^:]+:)[^@]+@|\1\\\${DB_PASSWORD}@|" <<<"$(db_url "$admin" "$name")")
    mkdir -p "conf-$driver" && printf '[development]\nurl = sqlite:dev.db\n\n[production]\nurl = %s\ndir = demo\n' \
        "$conf_url" > "conf-$driver/strata.conf"
    run env -C "conf-$driver" DB_PASSWORD="$secret" STRATA_DIR="$work/demo" "$strata" --env production status
    expect_code 0 "$driver: --env production reads strata.conf"
    expect_out "5 applied" "$driver: ... and reaches the production database"
    expect_no "$secret" "$driver: the password from the environment is not printed"
    run env -C "conf-$driver" "$strata" --env production status
    expect_code 2 "$driver: an unset \${DB_PASSWORD} is refused"
    expect_out "DB_PASSWORD" "$driver: ... naming the variable"
    bad_conf=$(sed -E 's|(@[^:/]+):[0-9]+/|\1:1/|' <<<"$conf_url")
    printf '[production]\nurl = %s\n' "$bad_conf" > "conf-$driver/strata.conf"
    run env -C "conf-$driver" DB_PASSWORD="$secret" "$strata" --env production status
    expect_code 1 "$driver: a refused connection from strata.conf"
    expect_no "$secret" "$driver: the password is not in the connection error"
    bad=$(sed -E 's|(@[^:/]+):[0-9]+/|\1:1/|' <<<"$admin")
    run "$strata" --database "$bad" status
    expect_code 1 "$driver: a refused connection"
    expect_no "$secret" "$driver: the password is not in the connection error"
    expect_out "***" "$driver: the connection error shows the redacted URL"
done

# ---------------------------------------------------------------- what a new user gets wrong
mkdir -p typo/empty typo/set
run "$strata" -d "sqlite:$work/typo/e.db" --dir typo/empty up
expect_code 0 "up over an empty migrations folder"
expect_out "no migrations found in typo/empty" "... warns that it found no migrations"
printf 'CREATE TABLE a (id INTEGER);\n' > typo/set/001_a.up.sql
printf 'DROP TABLE a;\n' > typo/set/001_a.down.sql
printf 'CREATE TABLE b (id INTEGER);\n' > typo/set/002_b.up.sql
printf 'DROP TABLE b;\n' > typo/set/002_b.down.sql
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set up --to 007
expect_code 3 "up --to a version that has no migration fails"
expect_out "--to 007: there is no migration 007" "... naming the version"
expect_out "from 001 to 002" "... and the versions there are"
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set status
expect_out "0 applied" "... before touching anything"
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set up --to 001
expect_code 0 "up --to an existing version"
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set down --to 005
expect_code 3 "down --to a version that has no migration fails"
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set status
expect_out "1 applied" "... and rolls nothing back"
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set down --to 0 --dry-run
expect_code 0 "down --to a version below every migration (--to 0) is no typo"
expect_out "1 migration(s) would be rolled back" "... it would undo everything"
mkdir -p typo/aside && mv typo/set/001_a.* typo/aside/
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set up
expect_code 3 "up stops when an applied migration's file is gone"
expect_out "migration 001 (a) is recorded as applied but its file is gone" "... naming it"
expect_out "--ignore-missing" "... and the override"
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set status
expect_out "002      b     pending" "... before applying anything"
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set up --ignore-missing
expect_code 0 "up --ignore-missing goes on"
expect_out "1 migration(s) applied" "... and applies the pending one"
mv typo/aside/001_a.* typo/set/
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set down --step 1
expect_code 0 "down 002 again"
# --json prints one JSON document, errors included
json_docs() { # json_docs LABEL: standard output of the last command is one JSON document
    local doc
    doc=$("$@" 2>/dev/null)
    if [ "$(grep -c . <<<"$doc")" = 1 ] &&
        { ! command -v python3 >/dev/null || python3 -c 'import json, sys; json.load(sys.stdin)' <<<"$doc"; }; then
        ok "one JSON document: ${*: -3}"
    else
        out=$doc; not_ok "one JSON document: ${*: -3}"
    fi
    out=$doc
}
json_docs "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set up --to 007 --json
expect_out '"schema":"strata.error/1"' "a refused run prints strata.error/1"
expect_out '"code":"validation"' "... with the error's code"
expect_out '"message":"--to 007: there is no migration 007' "... and its message"
json_docs "$strata" -d "nosuch://x" status --json
expect_out '"code":"usage"' "an unknown scheme with --json: code usage"
mkdir -p typo/fails
printf 'CREATE TABLE ok1 (id INTEGER);\n' > typo/fails/001_ok.up.sql
printf 'CREATE TABLE ok2 (id INTEGER);\n\nINSERT INTO nowhere VALUES (1);\n' > typo/fails/002_bad.up.sql
json_docs "$strata" -d "sqlite:$work/typo/f.db" --dir typo/fails up --json
expect_out '"schema":"strata.run/1"' "a run failing part-way prints strata.run/1"
expect_out '"version":"001"' "... listing what was applied"
expect_out '"error":{"code":"error"' "... with the error in the same document"
expect_out '"file":"typo/fails/002_bad.up.sql","line":3,"column":' "... naming file and line"
run "$strata" -d "sqlite:$work/typo/b.db" --dir typo/set baseline 9
expect_code 0 "baseline above every file"
expect_out "baseline 9 is above every migration file (the highest is 002)" "... warns"
run "$strata" -d "sqlite:$work/typo/b2.db" --dir typo/set baseline 001
expect_code 0 "baseline at a file's version"
expect_no "above every migration file" "... does not warn"
run "$strata" -d "sqlite:$work/typo/t.db" --dir typo/set force 001 aplied
expect_code 2 "force with a misspelt state"
expect_out "'aplied' is not a state" "... names the bad word"
expect_out "did you mean applied" "... and suggests the right one"
run "$strata" --dir typo/new new "Add Users!"
expect_code 0 "new with a name that must be rewritten"
expect_out "the name 'Add Users!' is written 'add_users'" "... says how it was written"
expect_out "_add_users.up.sql" "... and writes it so"
run "$strata" --dir typo/new new add_email
expect_no "is written" "a name kept as given gets no note"

# A file name that is not UTF-8 (another encoding's é) is escaped in JSON, never copied
mkdir -p latin1
printf 'CREATE TABLE cafe (id INTEGER);\n' >"latin1/001_caf$(printf '\xe9').up.sql"
run "$strata" -d "sqlite:$work/latin1.db" --dir latin1 up
expect_code 0 "a migration whose name is not UTF-8 applies"
json_doc=$("$strata" -d "sqlite:$work/latin1.db" --dir latin1 status --json)
if python3 -c '
import json, sys
raw = sys.stdin.buffer.read()
raw.decode("utf-8")  # strict: the document is valid UTF-8
d = json.loads(raw)
m = d["migrations"][0]
assert m["name"] == "caf\ufffd" and m["file"].endswith("001_caf\ufffd.up.sql"), m
' <<<"$json_doc"; then
    ok "status --json escapes the invalid byte as U+FFFD: the document is valid UTF-8"
else
    out="$json_doc"
    not_ok "status --json copies an invalid byte through"
fi

# ---- durations agree after --resume: up's line and JSON, status and the event log
mkdir dur
cat >dur/001_slow.up.sql <<'SQL'
-- strata:no-transaction
CREATE TABLE slow (x int);
INSERT INTO missing_yet VALUES (1);
INSERT INTO slow WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT x FROM c;
SQL
echo 'DROP TABLE slow;' >dur/001_slow.down.sql
run "$strata" -d sqlite:dur.db --dir dur up
expect_code 1 "a migration outside a transaction fails half-way"
sqlite3 dur.db 'CREATE TABLE missing_yet (x int)'
run "$strata" -d sqlite:dur.db --dir dur up --resume --json
expect_code 0 "up --resume finishes it"
dur_json=$(sed -n '/^{/p' <<<"$out")
dur_line=$(sed -n 's/^up *001 slow *\([0-9]*\) ms, \([0-9]*\) statement(s).*/\1 \2/p' <<<"$out")
dur_up=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); m=d["migrations"][0]; print(m["duration_ms"], m["statements"]); assert d["total_ms"] >= m["duration_ms"]' "$dur_json")
dur_status=$("$strata" -d sqlite:dur.db --dir dur status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["migrations"][0]["execution_ms"])')
dur_event=$("$strata" -d sqlite:dur.db --dir dur history --json | python3 -c 'import json,sys; print([e["duration_ms"] for e in json.load(sys.stdin)["events"] if e["outcome"] == "ok"][0])')
expect_eq "$dur_line" "$dur_up" "up's line and its JSON give the same duration and the 2 statements this run ran"
expect_eq "${dur_up% *}" "$dur_status" "status shows the duration up printed"
expect_eq "${dur_up% *}" "$dur_event" "the event log records the same duration"
[ "${dur_up% *}" -gt 0 ] && ok "the resumed statements' time is counted (${dur_up% *} ms)" || not_ok "the resumed run took 0 ms"

finish
