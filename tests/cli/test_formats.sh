#!/usr/bin/env bash
# Every migration format read in place: one fixture folder per format (tests/fixtures/
# formats/*) holds the same logical migration set; each must apply, roll back and apply
# again with the same resulting schema as the others, on SQLite, PostgreSQL and MariaDB.
# Also: dialect variants (a variant-only migration applies on its dialect and is "not
# applicable" elsewhere), repeatable migrations (run again when they change), a pop/popx set
# with 20-digit versions, empty scripts and .autocommit, sqitch tags and verify scripts, and
# the warning for a tag that names no database.
# Needs STRATA_BIN, STRATA_SRCDIR, STRATA_DRIVER_PATH (set by make check); the servers'
# URLs come from ./run-tests (STRATA_TEST_POSTGRES_URL, STRATA_TEST_MYSQL_URL).
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
fixtures="${STRATA_SRCDIR:?set by make check}/tests/fixtures"
drivers="${STRATA_DRIVER_PATH:?set by make check}"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-formats-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
unset DATABASE_URL STRATA_DIR STRATA_TABLE

# ---- one backend at a time: fresh_db NAME prints a URL; schema URL prints the user schema
backend=""
admin=""
secret=""
hostport=""
fresh_db() { # NAME: a database of that name, unique to this run
    local name="strata_fmt_$$_${1//-/_}"
    case "$backend" in
    sqlite) : >"$work/$name.db" && echo "sqlite:$work/$name.db" ;; # created, as on a server
    postgres)
        psql "$admin" -X -q -c "CREATE DATABASE $name" >/dev/null || return 1
        echo "${admin%/*}/$name"
        ;;
    mysql)
        mariadb --no-defaults -h "${hostport%:*}" -P "${hostport#*:}" -u strata -p"$secret" \
            -e "CREATE DATABASE $name" || return 1
        echo "${admin%/*}/$name"
        ;;
    esac
}
# The user tables with their columns and indexes, one per line, sorted (strata's own and
# the engine's internal tables left out).
schema() {
    local url="$1"
    case "$backend" in
    sqlite)
        sqlite3 "${url#sqlite:}" "SELECT type || ' ' || name || ': ' || replace(sql, char(10), ' ')
            FROM sqlite_master WHERE name NOT LIKE 'strata%' AND name NOT LIKE 'sqlite_%'
            AND sql IS NOT NULL ORDER BY name"
        ;;
    postgres)
        psql "$url" -X -A -t -q -c "
            SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
            FROM information_schema.columns WHERE table_schema = current_schema()
            AND table_name NOT LIKE 'strata%'
            UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()
            AND tablename NOT LIKE 'strata%' ORDER BY 1"
        ;;
    mysql)
        mariadb --no-defaults -h "${hostport%:*}" -P "${hostport#*:}" -u strata -p"$secret" -N -B \
            -e "SELECT CONCAT(table_name, '.', column_name, ' ', column_type, ' ', is_nullable)
                FROM information_schema.columns WHERE table_schema = DATABASE()
                AND table_name NOT LIKE 'strata%'
                UNION ALL SELECT CONCAT(table_name, ' index ', index_name, ' ', column_name)
                FROM information_schema.statistics WHERE table_schema = DATABASE()
                AND table_name NOT LIKE 'strata%' ORDER BY 1" "${url##*/}"
        ;;
    esac
}

formats() {
    local reference="" after down_schema f url
    for f in paired sections dbmate goose rollback-folder folder flyway pop inhouse-dot inhouse-dash \
        dialect-folders sqitch liquibase; do
        url=$(fresh_db "$f") || { not_ok "$backend/$f: cannot create a database"; continue; }
        run "$strata" --database "$url" --dir "$fixtures/formats/$f" up
        expect_code 0 "$backend/$f: up"
        expect_out "3 migration(s) applied" "$backend/$f: three migrations applied"
        after=$(schema "$url")
        if [ -z "$reference" ]; then
            reference="$after"
            [ -n "$reference" ] && ok "$backend/$f: reference schema" || not_ok "$backend/$f: empty schema"
        else
            [ "$after" = "$reference" ] && ok "$backend/$f: same schema as the paired format" ||
                { out=$(diff <(echo "$reference") <(echo "$after")); not_ok "$backend/$f: schema differs"; }
        fi
        run "$strata" --database "$url" --dir "$fixtures/formats/$f" down --all
        expect_code 0 "$backend/$f: down --all"
        down_schema=$(schema "$url")
        [ -z "$down_schema" ] && ok "$backend/$f: nothing left after down --all" ||
            { out="$down_schema"; not_ok "$backend/$f: objects left after down --all"; }
        run "$strata" --database "$url" --dir "$fixtures/formats/$f" up
        [ "$(schema "$url")" = "$after" ] && ok "$backend/$f: up again gives the same schema" ||
            not_ok "$backend/$f: up again differs"
        run "$strata" --database "$url" --dir "$fixtures/formats/$f" validate
        expect_code 0 "$backend/$f: validate"
    done
}

variants() {
    local url
    url=$(fresh_db variants) || { not_ok "$backend/variants: cannot create a database"; return; }
    run "$strata" --database "$url" --dir "$fixtures/variants" up
    expect_code 0 "$backend/variants: up"
    run "$strata" --database "$url" --dir "$fixtures/variants" status
    if [ "$backend" = postgres ]; then
        expect_out "3 applied, 0 pending" "postgres/variants: the postgres-only migration applies"
    else
        expect_out "2 applied, 0 pending" "$backend/variants: two migrations apply"
        grep -E '^002 .*not-applicable' <<<"$out" >/dev/null &&
            ok "$backend/variants: the postgres-only migration is not applicable" ||
            not_ok "$backend/variants: 002 not shown as not-applicable"
    fi
    run "$strata" --database "$url" --dir "$fixtures/variants" status --json
    if [ "$backend" = mysql ]; then
        expect_out "003_kv.mariadb.up.sql" "mysql/variants: the mariadb spelling of the dialect is used"
    else
        expect_out '003_kv.up.sql"' "$backend/variants: the neutral file is used"
    fi
    run "$strata" --database "$url" --dir "$fixtures/variants" down --all
    expect_code 0 "$backend/variants: down --all"
}

repeatables() {
    local url dir="$work/repeatable-$backend"
    rm -rf "$dir" && cp -r "$fixtures/repeatable" "$dir" && chmod -R u+w "$dir"
    url=$(fresh_db repeatable) || { not_ok "$backend/repeatable: cannot create a database"; return; }
    run "$strata" --database "$url" --dir "$dir" up
    expect_code 0 "$backend/repeatable: up"
    expect_out "2 migration(s) applied" "$backend/repeatable: the versioned and the repeatable ran"
    run "$strata" --database "$url" --dir "$dir" up
    expect_out "nothing to do" "$backend/repeatable: an unchanged repeatable does not run again"
    printf 'DROP VIEW IF EXISTS item_names;\nCREATE VIEW item_names AS SELECT id, name FROM items;\n' \
        > "$dir/R__item_names.sql"
    run "$strata" --database "$url" --dir "$dir" status
    expect_out "outdated" "$backend/repeatable: a changed repeatable is outdated"
    run "$strata" --database "$url" --dir "$dir" up
    expect_out "1 migration(s) applied" "$backend/repeatable: a changed repeatable runs again"
    run "$strata" --database "$url" --dir "$dir" validate
    expect_code 0 "$backend/repeatable: validate"
}

# pop/popx: a 20-digit set with empty and comment-only scripts (no-ops) and .autocommit
# scripts (no transaction) applies, rolls back and applies again.
popx() {
    local url dir="$fixtures/popx"
    url=$(fresh_db pop_states) || { not_ok "$backend/pop: cannot create a database"; return; }
    run "$strata" --database "$url" --dir "$fixtures/formats/pop" status
    grep -E '^20150100000004000000 +zone +not-applicable' <<<"$out" >/dev/null &&
        ok "$backend/pop: a cockroach-only version is not applicable, not an error" ||
        not_ok "$backend/pop: the cockroach-only version is not shown as not-applicable"
    url=$(fresh_db popx) || { not_ok "$backend/popx: cannot create a database"; return; }
    run "$strata" --database "$url" --dir "$dir" up
    expect_code 0 "$backend/popx: up"
    expect_out "5 migration(s) applied" "$backend/popx: five migrations applied, the empty ones included"
    grep -E '^up +20220101000000000003 tune .*0 statement' <<<"$out" >/dev/null &&
        ok "$backend/popx: the empty migration ran as a no-op" ||
        not_ok "$backend/popx: the empty migration was not a 0-statement no-op"
    grep -E '^up +20220101000000000005 seed .*no transaction' <<<"$out" >/dev/null &&
        ok "$backend/popx: the .autocommit script ran without a transaction" ||
        not_ok "$backend/popx: the .autocommit script ran in a transaction"
    if [ "$backend" = postgres ]; then
        grep -E '^up +20220101000000000002 accounts_email .*no transaction' <<<"$out" >/dev/null &&
            ok "postgres/popx: the postgres .autocommit variant ran (CREATE INDEX CONCURRENTLY)" ||
            not_ok "postgres/popx: the postgres .autocommit variant did not run without a transaction"
    fi
    run "$strata" --database "$url" --dir "$dir" status --json
    expect_out '"version":"20220101000000000005"' "$backend/popx: the 20-digit version is recorded as written"
    expect_out '"applied":5' "$backend/popx: status counts five applied"
    run "$strata" --database "$url" --dir "$dir" validate --json
    expect_code 0 "$backend/popx: validate"
    expect_out '"infos":4' "$backend/popx: validate lists the four empty scripts at the info level"
    run "$strata" --database "$url" --dir "$dir" down --all
    expect_code 0 "$backend/popx: down --all"
    expect_out "5 migration(s) rolled back" "$backend/popx: five migrations rolled back"
    [ -z "$(schema "$url")" ] && ok "$backend/popx: nothing left after down --all" ||
        { out=$(schema "$url"); not_ok "$backend/popx: objects left after down --all"; }
    run "$strata" --database "$url" --dir "$dir" up
    expect_out "5 migration(s) applied" "$backend/popx: up again"
}

# sqitch: --to a tag, and a verify script that fails fails its change.
sqitch_extra() {
    local url dir="$work/sqitch-$backend"
    rm -rf "$dir" && cp -r "$fixtures/formats/sqitch" "$dir" && chmod -R u+w "$dir"
    url=$(fresh_db sqitch_extra) || { not_ok "$backend/sqitch: cannot create a database"; return; }
    run "$strata" --database "$url" --dir "$dir" up --to @v1.0
    expect_code 0 "$backend/sqitch: up --to @v1.0"
    expect_out "2 migration(s) applied" "$backend/sqitch: up --to @v1.0 stops at the tag"
    if [ "$backend" != mysql ]; then
        grep -q "no transaction" <<<"$out" &&
            not_ok "$backend/sqitch: a script wrapped in its own BEGIN/COMMIT left the transaction" ||
            ok "$backend/sqitch: sqitch's BEGIN/COMMIT wrapper runs inside strata's transaction"
    fi
    printf 'BEGIN;\nSELECT no_such_column FROM users;\nROLLBACK;\n' >"$dir/verify/nickname.sql"
    run "$strata" --database "$url" --dir "$dir" up
    expect_code 1 "$backend/sqitch: a failing verify fails the change"
    expect_out "verify/nickname.sql:2:" "$backend/sqitch: the error names the verify script and line"
    if [ "$backend" = mysql ]; then
        run "$strata" --database "$url" --dir "$dir" status
        expect_out "dirty" "mysql/sqitch: without transactional DDL the change is left dirty"
    else
        run "$strata" --database "$url" --dir "$dir" status --json
        expect_out '"pending":1' "$backend/sqitch: the change is rolled back with its verify"
        schema "$url" | grep -q nickname && not_ok "$backend/sqitch: the column stayed" ||
            ok "$backend/sqitch: nothing of the failed change is left"
    fi
}

# Liquibase's endDelimiter and splitStatements:false, on each database.
liquibase_attributes() {
    local url dir="$work/liquibase-$backend" body
    mkdir -p "$dir"
    case "$backend" in
    sqlite) body="CREATE TRIGGER t1_count AFTER INSERT ON t1 BEGIN UPDATE t2 SET n = n + 1; END;" ;;
    postgres) body='DO $$ BEGIN INSERT INTO t2 VALUES (0); END $$;' ;;
    mysql) body="CREATE PROCEDURE bump() BEGIN UPDATE t2 SET n = n + 1; SELECT n FROM t2; END" ;;
    esac
    printf '%s\n' "--liquibase formatted sql" "" "--changeset ada:go endDelimiter:GO" \
        "CREATE TABLE t1 (id INTEGER)" "GO" "CREATE TABLE t2 (n INTEGER)" "GO" \
        "--rollback DROP TABLE t2;" "--rollback DROP TABLE t1;" "" \
        "--changeset ada:whole splitStatements:false" "$body" >"$dir/changelog.sql"
    url=$(fresh_db liquibase_attrs) || { not_ok "$backend/liquibase: cannot create a database"; return; }
    run "$strata" --database "$url" --dir "$dir" up
    expect_code 0 "$backend/liquibase: endDelimiter:GO and splitStatements:false apply"
    grep -E '^up +1.1 ada:go .*2 statement' <<<"$out" >/dev/null &&
        ok "$backend/liquibase: GO ends the statements of its changeset" ||
        not_ok "$backend/liquibase: the changeset with endDelimiter:GO did not run as 2 statements"
    grep -E '^up +1.2 ada:whole .*1 statement' <<<"$out" >/dev/null &&
        ok "$backend/liquibase: splitStatements:false sends the changeset whole" ||
        not_ok "$backend/liquibase: the splitStatements:false changeset was split"
}

# A tag-shaped word that names no database stays in the name, with a warning.
tag_warning() {
    local url dir="$work/tags-$backend"
    rm -rf "$dir" && cp -r "$fixtures/formats/paired" "$dir" && chmod -R u+w "$dir"
    printf 'CREATE INDEX users_email ON users (email);\n' >"$dir/6_index_users.email.up.sql"
    url=$(fresh_db tags) || { not_ok "$backend/tags: cannot create a database"; return; }
    run "$strata" --database "$url" --dir "$dir" up
    expect_code 0 "$backend/tags: up"
    expect_out "6_index_users.email.up.sql: '.email' looks like a dialect tag but names no database" \
        "$backend/tags: the warning names the file"
    expect_out "4 migration(s) applied" "$backend/tags: the migration applies to every database"
    printf 'SELECT 1;\n' >"$dir/7x_bad.up.sql"
    run "$strata" --database "$url" --dir "$dir" status
    expect_code 3 "$backend/tags: a bad name stops status"
    expect_out "7x_bad.up.sql: not a migration file name: the version must be followed by '_', '-' or '.'" \
        "$backend/tags: the error states the rule the name broke"
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
    formats
    variants
    repeatables
    popx
    sqitch_extra
    liquibase_attributes
    [ "$backend" = sqlite ] && tag_warning
done

finish
