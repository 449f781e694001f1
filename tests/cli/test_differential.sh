#!/usr/bin/env bash
# Differential test of the statement splitter against each database's own client.
#
# Cases: every migration set under tests/fixtures (each set is one case per database it
# applies to), and the cases tests/diff/gen_cases writes (scripts of statements that are
# easy to split wrongly, joined with varied whitespace, comments and terminators).
#
#   SQLite boundaries: for every script a SQLite case feeds the sqlite3 shell, plus more
#     generated scripts, tests/diff/sqlite_bounds checks that strata's statement
#     boundaries equal those sqlite3_complete() gives (the sqlite3 shell's rule).
#   Schemas: each case is applied to two fresh databases, by strata (`strata up`) and by
#     the database's own client running the same scripts in the order `strata status
#     --json` gives (`psql -X -v ON_ERROR_STOP=1 -1 -f`, `mariadb <`, `sqlite3 -bail <`);
#     the schemas must then be equal: `pg_dump -s` (strata's tables left out), `mariadb-dump
#     --no-data` with routines, events and triggers (strata's tables ignored, AUTO_INCREMENT
#     counters stripped), and the sqlite3 .schema text (strata's tables left out).
#
# Scripts in sections (dbmate, goose, strata:up) cannot go to a client whole, since the
# down section would run too: the client gets the up section, cut out at the markers, with
# goose ENVSUB's ${VAR:-default} replaced by its default (the variables are unset here).
# A MySQL script whose bodies rely on strata reading them without DELIMITER has the mysql
# client's spelling beside it (a set under tests/fixtures/splitter/mysql-client/, a
# generated NNN.client.sql): the client splits at every delimiter. PostgreSQL scripts
# holding a statement that cannot run in a transaction block run without psql's -1. The
#
# Prints "differential: N cases (sqlite boundaries B, schemas: sqlite S, postgres P, mariadb
# M), D differences". Needs STRATA_BIN, STRATA_SRCDIR, STRATA_BUILDDIR, STRATA_DRIVER_PATH
# (set by make check) and the servers' URLs from ./run-tests.
set -u

strata="${STRATA_BIN:?set by make check}"
srcdir="${STRATA_SRCDIR:?set by make check}"
builddir="${STRATA_BUILDDIR:?set by make check}"
drivers="${STRATA_DRIVER_PATH:?set by make check}"
fixtures="$srcdir/tests/fixtures"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-diff-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
unset DATABASE_URL STRATA_DIR STRATA_TABLE

differences=0
declare -A schema_cases=([sqlite]=0 [postgres]=0 [mysql]=0)
report() { # WHAT DETAIL: one difference
    differences=$((differences + 1))
    echo "not ok - $1"
    printf '%s\n' "$2" | head -30 | sed 's/^/    # /'
}

"$builddir/tests/diff/gen_cases" "$work/gen" || { echo "gen_cases failed"; exit 1; }

# ---- one backend at a time
backend=""
admin=""
secret=""
hostport=""
my() { mariadb --no-defaults --default-character-set=utf8mb4 -h "${hostport%:*}" -P "${hostport#*:}" -u strata -p"$secret" "$@"; }
fresh_db() { # NAME: a new database; prints its URL
    local name="strata_diff_$$_$1"
    case "$backend" in
    sqlite) : >"$work/$name.db" && echo "sqlite:$work/$name.db" ;; # created, as on a server
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
drop_db() { # URL
    case "$backend" in
    sqlite) rm -f "${1#sqlite:}" ;;
    postgres) psql "$admin" -X -q -c "DROP DATABASE IF EXISTS ${1##*/}" >/dev/null 2>&1 ;;
    mysql) my -e "DROP DATABASE IF EXISTS ${1##*/}" >/dev/null 2>&1 ;;
    esac
}
strata_up() { # URL DIR
    "$strata" --database "$1" --dir "$2" up 2>&1
}
client_run() { # URL FILE
    local out single=(-1) rc
    case "$backend" in
    sqlite) sqlite3 -bail "${1#sqlite:}" <"$2" 2>&1 >/dev/null ;;
    postgres)
        grep -qiE 'concurrently|^[[:space:]]*vacuum|strata:no-transaction' "$2" && single=()
        out=$(psql "$1" -X -q -v ON_ERROR_STOP=1 "${single[@]}" -f "$2" 2>&1 >/dev/null)
        rc=$?
        [ "$rc" -ne 0 ] && printf '%s\n' "$out"
        return "$rc"
        ;;
    mysql) my "${1##*/}" <"$2" 2>&1 >/dev/null ;;
    esac
}
schema() { # URL: the schema as the database's own dump tool writes it, strata's tables left out
    case "$backend" in
    sqlite)
        sqlite3 "${1#sqlite:}" "SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL
            AND name NOT LIKE 'strata\_%' ESCAPE '\' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
            ORDER BY rowid"
        ;;
    postgres)
        pg_dump -s --no-owner --no-privileges -T 'public.strata_migrations*' "$1" |
            grep -v -e '^\\restrict ' -e '^\\unrestrict '
        ;;
    mysql)
        local db="${1##*/}"
        mariadb-dump --no-defaults -h "${hostport%:*}" -P "${hostport#*:}" -u strata -p"$secret" \
            --no-data --skip-comments --skip-dump-date --routines --events --triggers \
            --ignore-table="$db.strata_migrations" --ignore-table="$db.strata_migrations_events" \
            --ignore-table="$db.strata_migrations_meta" "$db" | sed -E 's/ AUTO_INCREMENT=[0-9]+//'
        ;;
    esac
}

# The up script of FILE as a client can run it, written to OUT.
client_script() { # FILE OUT
    local marker='^[[:space:]]*--[[:space:]]*(strata:up|migrate:up|\+goose[[:space:]]+up)'
    if is_changelog "$1"; then
        # Liquibase sends neither its own lines nor the other comments (stripComments)
        grep -vE '^[[:space:]]*--' "$1" >"$2"
    elif grep -qiE "$marker" "$1"; then
        awk 'BEGIN { up = 0 }
            tolower($0) ~ /^[ \t]*--[ \t]*(strata:up|migrate:up|\+goose[ \t]+up)/ { up = 1; next }
            tolower($0) ~ /^[ \t]*--[ \t]*(strata:down|migrate:down|\+goose[ \t]+down)/ { up = 0; next }
            up { print }' "$1" | sed -E 's/\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}/\1/g' >"$2"
    else
        cp "$1" "$2"
    fi
}

# Whether FILE is a Liquibase formatted SQL changelog (its first non-blank line says so).
is_changelog() {
    grep -m1 -v '^[[:space:]]*$' "$1" | grep -qiE '^[[:space:]]*--[[:space:]]*liquibase[[:space:]]*formatted'
}

# The scripts strata would run for set DIR, in order, from `strata status --json`; a file
# holding several migrations (a Liquibase changelog) once.
set_files() { # URL DIR
    "$strata" --database "$1" --dir "$2" status --json 2>/dev/null |
        grep -o '"state":"[^"]*","file":"[^"]*"' | grep -v '"state":"not-applicable"' |
        sed -E 's/.*"file":"([^"]*)"/\1/' | uniq
}


# PostgreSQL runs a migration's statements in one round trip when it can; the server then
# reads them joined with ';', which would hide a statement cut in two. A copy of set DIR in
# OUT marked -- strata:no-transaction makes strata send its statements one by one.
one_by_one() { # DIR OUT
    local f
    mkdir -p "$2"
    cp -R "$1/." "$2"
    find "$2" -name '*.sql' -type f | while read -r f; do
        is_changelog "$f" && continue # a changelog's transactions are its attributes' business
        { echo "-- strata:no-transaction"; cat "$f"; } >"$f.tmp" && mv "$f.tmp" "$f"
    done
}
# Applies one case both ways and compares. NAME DIR (the set) CLIENT_FILES...
compare_case() {
    local name="$1" dir="$2" a b out f
    shift 2
    schema_cases[$backend]=$((schema_cases[$backend] + 1))
    a=$(fresh_db "a_${name//[^a-z0-9]/_}") && b=$(fresh_db "b_${name//[^a-z0-9]/_}") ||
        { report "$backend/$name: cannot create databases" ""; return; }
    if ! out=$(strata_up "$a" "$dir"); then
        report "$backend/$name: strata up failed" "$out"
        return
    fi
    for f in "$@"; do
        if ! out=$(client_run "$b" "$f"); then
            report "$backend/$name: the client failed on ${f##*/}" "$out"
            return
        fi
    done
    out=$(diff <(schema "$b") <(schema "$a"))
    if [ -n "$out" ]; then
        report "$backend/$name: the schemas differ (< client, > strata)" "$out"
    else
        drop_db "$a"
        drop_db "$b"
    fi
}

# Every fixture set for this backend, then the generated cases.
run_backend() {
    local set name url files f n client inputs=()
    local sets=("$fixtures"/formats/* "$fixtures"/repeatable "$fixtures"/variants)
    [ -d "$fixtures/splitter/$backend" ] && sets+=("$fixtures/splitter/$backend"/*)
    url=$(fresh_db list) || { report "$backend: cannot create a database" ""; return; }
    for set in "${sets[@]}"; do
        name="${set#"$fixtures"/}"
        mapfile -t files < <(set_files "$url" "$set")
        inputs=()
        n=0
        for f in "${files[@]}"; do
            n=$((n + 1))
            client="$f"
            [ "$backend" = mysql ] && [ -f "$fixtures/splitter/mysql-client/${f#"$fixtures"/splitter/mysql/}" ] &&
                client="$fixtures/splitter/mysql-client/${f#"$fixtures"/splitter/mysql/}"
            mkdir -p "$work/in/$backend/$name"
            client_script "$client" "$work/in/$backend/$name/$(printf '%03d' "$n").sql"
            inputs+=("$work/in/$backend/$name/$(printf '%03d' "$n").sql")
        done
        [ "${#inputs[@]}" -gt 0 ] || { report "$backend/$name: no scripts listed" ""; continue; }
        [ "$backend" = sqlite ] && sqlite_inputs+=("${inputs[@]}")
        if [ "$backend" = postgres ]; then
            one_by_one "$set" "$work/sets/$name"
            set="$work/sets/$name"
        fi
        compare_case "$name" "$set" "${inputs[@]}"
    done
    for set in "$work/gen/$backend"/[0-9]*/; do
        set="${set%/}"
        client="$set/001_case.up.sql"
        [ -f "$set.client.sql" ] && client="$set.client.sql"
        [ "$backend" = sqlite ] && sqlite_inputs+=("$client")
        name="gen-${set##*/}"
        if [ "$backend" = postgres ] && [ $((10#${set##*/} % 2)) -eq 1 ]; then
            one_by_one "$set" "$work/sets/$name" # odd cases one by one, even ones batched
            set="$work/sets/$name"
        fi
        compare_case "$name" "$set" "$client"
    done
}

sqlite_inputs=()
for backend in sqlite postgres mysql; do
    case "$backend" in
    sqlite) admin="" ;;
    postgres) admin="${STRATA_TEST_POSTGRES_URL:-}" ;;
    mysql) admin="${STRATA_TEST_MYSQL_URL:-}" ;;
    esac
    if [ "$backend" != sqlite ]; then
        [ -f "$drivers/$backend.so" ] || continue
        if [ -z "$admin" ]; then
            report "$backend server available" \
                "STRATA_TEST_${backend^^}_URL is not set: run ./run-tests, which starts the servers"
            continue
        fi
        secret=$(sed -E 's|^[a-z]+://[^:]+:([^@]+)@.*|\1|' <<<"$admin")
        hostport=$(sed -E 's|^[a-z]+://[^@]+@([^/]+)/.*|\1|' <<<"$admin")
    fi
    run_backend
done

# ---- SQLite statement boundaries
out=$("$builddir/tests/diff/sqlite_bounds" "${sqlite_inputs[@]}" "$work/gen/sqlite-bounds"/*.sql)
status=$?
bounds=$(sed -nE 's/^sqlite boundaries: ([0-9]+) files.*/\1/p' <<<"$out")
bounds_diff=$(sed -nE 's/^sqlite boundaries: .* ([0-9]+) differences$/\1/p' <<<"$out")
if [ "$status" -ne 0 ] || [ -z "$bounds" ]; then
    report "sqlite boundaries differ from sqlite3_complete()" "$out"
    differences=$((differences + ${bounds_diff:-1} - 1))
fi
tail -1 <<<"$out"

total=$((${bounds:-0} + schema_cases[sqlite] + schema_cases[postgres] + schema_cases[mysql]))
echo "differential: $total cases (sqlite boundaries ${bounds:-0}, schemas: sqlite" \
    "${schema_cases[sqlite]}, postgres ${schema_cases[postgres]}, mariadb" \
    "${schema_cases[mysql]}), $differences differences"
echo "$((total - differences)) passed, $differences failed"
[ "$differences" -eq 0 ]
