#!/usr/bin/env bash
# Migrations that change the session: a real pg_dump file (schema, data through COPY, the
# \restrict lines of current pg_dump, set_config('search_path', '', false)) applies as one
# migration; SET search_path in one migration does not move the next one; a MySQL file that
# starts with CREATE DATABASE x; USE x; applies, and in every case the history lands in the
# schema or database strata connected to. On PostgreSQL and MariaDB (the servers ./run-tests
# starts; a built driver without its server is a failure).
# Needs STRATA_BIN, STRATA_DRIVER_PATH (set by make check) and STRATA_TEST_POSTGRES_URL /
# STRATA_TEST_MYSQL_URL (set by ./run-tests).
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
drivers="${STRATA_DRIVER_PATH:?set by make check}"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-session-XXXXXX")
pg_admin="${STRATA_TEST_POSTGRES_URL:-}"
my_admin="${STRATA_TEST_MYSQL_URL:-}"
pg_dbs=()
my_dbs=()
cleanup() {
    for db in "${pg_dbs[@]}"; do psql "$pg_admin" -X -q -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
    for db in "${my_dbs[@]}"; do my -e "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
unset DATABASE_URL STRATA_DIR STRATA_TABLE

url_of() { local base="${1%%\?*}"; echo "${base%/*}/$2"; }

# ---------------------------------------------------------------- PostgreSQL
postgres() {
    local sample="strata_sess_$$_sample" target="strata_sess_$$_target" dir="$work/pg"
    pg_dbs+=("$sample" "$target")
    psql "$pg_admin" -X -q -c "CREATE DATABASE $sample" -c "CREATE DATABASE $target" >/dev/null
    local surl turl
    surl=$(url_of "$pg_admin" "$sample")
    turl=$(url_of "$pg_admin" "$target")
    # a sample database with what pg_dump writes in many forms: a sequence, a view, a
    # function body in dollar quotes, an index, a foreign key added after the data, rows
    # holding tabs, backslashes, quotes and semicolons
    psql "$surl" -X -q -v ON_ERROR_STOP=1 <<'EOF' || { out="cannot build the sample"; not_ok "postgres: sample"; return; }
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id serial PRIMARY KEY, name text NOT NULL, note text);
CREATE TABLE shop.orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers (id), total numeric(10,2));
CREATE INDEX orders_customer ON shop.orders (customer_id);
CREATE VIEW shop.big_orders AS SELECT * FROM shop.orders WHERE total > 100;
CREATE FUNCTION shop.order_count(c int) RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM shop.orders WHERE customer_id = c; $$;
INSERT INTO shop.customers (name, note) VALUES ('Ada', E'tab\there; semi'), ('Bob', E'back\\slash ''quoted'''), ('Cy', NULL);
INSERT INTO shop.orders (customer_id, total) VALUES (1, 120.50), (1, 5), (2, 300);
EOF
    mkdir -p "$dir"
    pg_dump --no-owner "$surl" >"$dir/001_sample_dump.up.sql"
    grep -q '^\\restrict ' "$dir/001_sample_dump.up.sql" &&
        ok "postgres: this pg_dump writes \\restrict lines" ||
        ok "postgres: this pg_dump writes no \\restrict line (older than 15.14)"
    echo "CREATE TABLE after_dump (id int);" >"$dir/002_after_dump.up.sql"
    printf 'CREATE SCHEMA elsewhere;\nSET search_path TO elsewhere;\nCREATE TABLE moved (id int);\n' \
        >"$dir/003_search_path.up.sql"
    echo "CREATE TABLE back_home (id int);" >"$dir/004_back_home.up.sql"

    run "$strata" --database "$turl" --dir "$dir" up
    expect_code 0 "postgres: the pg_dump file and the migrations after it apply"
    expect_out "4 migration(s) applied" "postgres: four migrations applied"
    expect_out "up    001 sample_dump" "postgres: the dump is one migration"
    local got want
    want=$(psql "$surl" -X -A -t -c "SELECT id, name, coalesce(note, '~') FROM shop.customers ORDER BY id" \
        -c "SELECT id, customer_id, total FROM shop.orders ORDER BY id" -c "SELECT shop.order_count(1)")
    got=$(psql "$turl" -X -A -t -c "SELECT id, name, coalesce(note, '~') FROM shop.customers ORDER BY id" \
        -c "SELECT id, customer_id, total FROM shop.orders ORDER BY id" -c "SELECT shop.order_count(1)")
    expect_eq "$got" "$want" "postgres: the COPY data and the function arrived intact"
    want=$(pg_dump -s --no-owner -n shop "$surl" | grep -v '^\\\(un\)\?restrict' | grep -v '^-- Dump')
    got=$(pg_dump -s --no-owner -n shop "$turl" | grep -v '^\\\(un\)\?restrict' | grep -v '^-- Dump')
    expect_eq "$got" "$want" "postgres: the schema equals the sample's (pg_dump -s)"
    got=$(psql "$turl" -X -A -t -c "SELECT table_schema || '.' || table_name FROM information_schema.tables
        WHERE table_name IN ('after_dump', 'moved', 'back_home', 'strata_migrations') ORDER BY 1")
    expect_eq "$got" "elsewhere.moved
public.after_dump
public.back_home
public.strata_migrations" "postgres: each migration starts in public, whatever the one before set; the history too"
    got=$(psql "$turl" -X -A -t -c "SELECT count(*) FROM public.strata_migrations WHERE state = 'applied'")
    expect_eq "$got" 4 "postgres: four rows in public.strata_migrations"
    run "$strata" --database "$turl" --dir "$dir" status
    expect_out "4 applied, 0 pending" "postgres: status reads the history back"
}

# ---------------------------------------------------------------- MariaDB
my_user="" my_pass="" my_host="" my_port=""
my() { mariadb --no-defaults -h "$my_host" -P "$my_port" -u "$my_user" -p"$my_pass" "$@"; }

mysql() {
    my_user=$(sed -E 's|^[a-z]+://([^:@]+).*|\1|' <<<"$my_admin")
    my_pass=$(sed -E 's|^[a-z]+://[^:]+:([^@]+)@.*|\1|' <<<"$my_admin")
    local hostport
    hostport=$(sed -E 's|^[a-z]+://[^@]+@([^/]+)/.*|\1|' <<<"$my_admin")
    my_host="${hostport%:*}" my_port="${hostport#*:}"
    local home="strata_sess_$$_home" other="strata_sess_$$_sakila" dir="$work/my"
    my_dbs+=("$home" "$other")
    my -e "CREATE DATABASE $home" || { not_ok "mysql: cannot create a database"; return; }
    local url
    url=$(url_of "$my_admin" "$home")
    mkdir -p "$dir"
    cat >"$dir/001_sample.up.sql" <<EOF
-- as the dumps of sample databases start
CREATE DATABASE $other;
USE $other;
CREATE TABLE actor (actor_id INT PRIMARY KEY, first_name VARCHAR(45) NOT NULL);
INSERT INTO actor VALUES (1, 'PENELOPE'), (2, 'NICK');
EOF
    echo "DROP DATABASE $other;" >"$dir/001_sample.down.sql"
    echo "CREATE TABLE in_home (id INT);" >"$dir/002_in_home.up.sql"
    echo "DROP TABLE in_home;" >"$dir/002_in_home.down.sql"

    run "$strata" --database "$url" --dir "$dir" up
    expect_code 0 "mysql: a file starting with CREATE DATABASE x; USE x; applies"
    expect_out "2 migration(s) applied" "mysql: both migrations applied"
    local got
    got=$(my -N -B -e "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables
        WHERE table_schema IN ('$home', '$other') ORDER BY 1")
    expect_eq "$got" "$home.in_home
$home.strata_migrations
$home.strata_migrations_events
$home.strata_migrations_meta
$other.actor" "mysql: the history and the next migration stay in the database strata connected to"
    got=$(my -N -B -e "SELECT count(*) FROM $other.actor")
    expect_eq "$got" 2 "mysql: the rows went into the other database"
    run "$strata" --database "$url" --dir "$dir" down --all
    expect_code 0 "mysql: down --all"
    got=$(my -N -B -e "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '$other'")
    expect_eq "$got" 0 "mysql: the down script dropped the other database"
}

for kind in postgres mysql; do
    [ -f "$drivers/$kind.so" ] || continue
    admin="$pg_admin"
    [ "$kind" = mysql ] && admin="$my_admin"
    if [ -z "$admin" ]; then
        out="STRATA_TEST_${kind^^}_URL is not set: run ./run-tests, which starts the servers"
        not_ok "$kind server available"
        continue
    fi
    "$kind"
done

finish
