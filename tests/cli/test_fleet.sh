#!/usr/bin/env bash
# Fleets (docs/fleet.md): one migration set over 200 SQLite files, 100 PostgreSQL databases,
# 50 MariaDB databases and 500 schemas of one PostgreSQL database, each reaching the head
# exactly once; a migration that fails on 3 chosen targets (--continue, --canary, the default
# stop); shards that cover every target exactly once for N = 1, 3 and 7, and two overlapping
# runs at once; [fleet NAME] with url, env, targets_query and schemas_query; the status
# matrix; SIGINT; a dirty target's recovery hint; passwords redacted.
# Needs STRATA_BIN, STRATA_SRCDIR (set by make check), STRATA_TEST_POSTGRES_URL and
# STRATA_TEST_MYSQL_URL (./run-tests starts the servers), sqlite3, psql, mariadb, python3.
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
src="${STRATA_SRCDIR:?set by make check}"
unset DATABASE_URL STRATA_DIR STRATA_TABLE STRATA_LINT JOB_COMPLETION_INDEX JOB_COMPLETIONS
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-fleet-XXXXXX")
pg_admin="${STRATA_TEST_POSTGRES_URL:-}"
my_admin="${STRATA_TEST_MYSQL_URL:-}"
tag="fl$$"
cleanup() {
    if [ -n "$pg_admin" ]; then
        psql "$pg_admin" -X -A -t -c "SELECT datname FROM pg_database WHERE datname LIKE '${tag}_%'" |
            sed 's/.*/DROP DATABASE IF EXISTS & WITH (FORCE);/' | psql "$pg_admin" -X -q >/dev/null 2>&1
    fi
    if [ -n "$my_admin" ]; then
        my_client -N -B -e "SHOW DATABASES LIKE '${tag}\_%'" | sed 's/.*/DROP DATABASE IF EXISTS `&`;/' |
            my_client >/dev/null 2>&1
    fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
set_dir="$src/migrations"
heads() { # JSON of a fleet status -> "N at 005" lines
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])
from collections import Counter
c = Counter("at " + r["after"] if r["outcome"] == "succeeded" else r["outcome"]
            for r in d["results"])
for k, v in sorted(c.items()):
    print(v, k)' "$1"
}

# ---------------------------------------------------------------- 200 SQLite files
for i in $(seq 1 200); do echo "sqlite:$work/s$i.db"; done >sqlite.txt
printf '# comments and blank lines are skipped\n\n' >>sqlite.txt
run "$strata" --dir "$set_dir" up --targets sqlite.txt --parallel 4 --json
expect_code 0 "sqlite: up over 200 files"
expect_eq "$(heads "$out")" "200 at 005" "sqlite: all 200 reach the head"
once=$(for i in $(seq 1 200); do
    sqlite3 "$work/s$i.db" "SELECT count(*) FROM strata_migrations_events WHERE action = 'up'"
done | sort | uniq -c | sed 's/^ *//')
expect_eq "$once" "200 5" "sqlite: each of the 5 migrations ran exactly once on each file"
run "$strata" --dir "$set_dir" up --targets sqlite.txt --json
expect_eq "$(heads "$out")" "200 at 005" "sqlite: a second run is a no-op everywhere"
run "$strata" --dir "$set_dir" status --targets sqlite.txt
expect_out "200 targets" "status --targets prints the version matrix, identical targets grouped"

# ---------------------------------------------------------------- shards
for n in 1 3 7; do
    all=$(for i in $(seq 1 "$n"); do "$strata" fleet list --targets sqlite.txt --shard "$i/$n" -q; done | sort)
    expect_eq "$(uniq <<<"$all" | wc -l) $(wc -l <<<"$all")" "200 200" \
        "$n shard(s) cover the 200 targets exactly once"
done
run env JOB_COMPLETION_INDEX=2 JOB_COMPLETIONS=7 "$strata" fleet list --targets sqlite.txt -q
expect_eq "$out" "$("$strata" fleet list --targets sqlite.txt --shard 3/7 -q)" \
    "a Kubernetes Indexed Job's JOB_COMPLETION_INDEX=2 of 7 is --shard 3/7"
run "$strata" fleet list --targets sqlite.txt --shard 8/7
expect_code 2 "a shard past N is a usage error"

# two runs at once on overlapping lists: each migration still runs once per target
rel_begin
for i in $(seq 1 60); do echo "sqlite:$work/o$i.db"; done >o_all.txt
head -40 o_all.txt >o_a.txt
tail -40 o_all.txt >o_b.txt
"$strata" --dir "$set_dir" up --targets o_a.txt --parallel 2 >a.out 2>&1 &
"$strata" --dir "$set_dir" up --targets o_b.txt --parallel 2 >b.out 2>&1 &
wait
once=$(for i in $(seq 1 60); do
    sqlite3 "$work/o$i.db" "SELECT count(*) FROM strata_migrations_events WHERE action = 'up'"
done | sort | uniq -c | sed 's/^ *//')
expect_eq "$once" "60 5" "two overlapping runs at once apply each migration once per target"
rel_end race sqlite "two fleet runs at once over overlapping target lists (60 files)" "each migration applied once per target"

# ---------------------------------------------------------------- failures on 3 targets
cp -r "$set_dir" m
chmod -R u+w m
echo 'CREATE TABLE marker (id INTEGER);' >m/006_marker.up.sql
echo 'DROP TABLE marker;' >m/006_marker.down.sql
for i in 7 42 133; do sqlite3 "$work/s$i.db" "CREATE TABLE marker (id INTEGER)"; done
run "$strata" --dir m up --targets sqlite.txt --continue --json
expect_code 1 "a failure on some targets makes the run fail"
failed_targets=$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(" ".join(r["target"].rsplit("/", 1)[1] for r in d["results"] if r["outcome"] == "failed"))' "$out")
expect_eq "$failed_targets" "s7.db s42.db s133.db" "--continue: exactly the 3 chosen targets fail"
expect_eq "$(heads "$out")" "197 at 006
3 failed" "--continue: every other target reaches the head"

for i in $(seq 1 10); do echo "sqlite:$work/c$i.db"; done >canary.txt
sqlite3 "$work/c1.db" "CREATE TABLE marker (id INTEGER)"
run "$strata" --dir m up --targets canary.txt --canary 1 --json
expect_code 1 "a failing canary fails the run"
expect_eq "$(heads "$out")" "1 failed
9 not_started" "--canary 1: the canary fails and no other target starts"
[ ! -e "$work/c2.db" ] && ok "--canary: the targets after it are untouched" ||
    not_ok "--canary: a target after the failed canary was touched"
run "$strata" --dir m up --targets canary.txt --parallel 1 --json
expect_eq "$(heads "$out")" "1 failed
9 not_started" "by default the first failure stops starting targets"
run "$strata" --dir m up --targets canary.txt --parallel 1 --max-failures 1 --continue --json
expect_eq "$(heads "$out")" "9 at 006
1 failed" "--continue finishes what is left"

# a set up would refuse is refused before any target is touched
mkdir bad && cp m/* bad/ && echo 'SELECT 1;' >bad/007_x.sql && printf 'SELECT 1;\n' >bad/007_y.sql
for i in 1 2 3; do echo "sqlite:$work/b$i.db"; done >bad.txt
run "$strata" --dir bad up --targets bad.txt
expect_code 3 "a broken set is refused once"
[ ! -e "$work/b1.db" ] && ok "before any target is touched" || not_ok "a target was touched by a broken set"

# ---------------------------------------------------------------- SIGINT
mkdir slow && cp "$set_dir"/001_* slow/
cat >slow/002_slow.up.sql <<'EOF'
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500000) SELECT count(*) FROM c;
EOF
echo 'SELECT 1;' >slow/002_slow.down.sql
for i in $(seq 1 30); do echo "sqlite:$work/i$i.db"; done >int.txt
"$strata" --dir slow up --targets int.txt --parallel 1 --json >int.out 2>int.err &
pid=$!
for _ in $(seq 100); do [ -e "$work/i2.db" ] && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
code=$?
[ "$code" -ne 0 ] && ok "an interrupted fleet run fails (exit $code)" || not_ok "an interrupted run exits 0"
out=$(cat int.out)
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["stopped"].startswith("interrupted"), d["stopped"]
assert d["not_started"] > 0, d
assert all(r["after"] == "002" for r in d["results"] if r["outcome"] == "succeeded")
assert all(r["error"].startswith("interrupted") for r in d["results"] if r["outcome"] == "failed")
' "$out" && ok "SIGINT: the running target finishes or rolls back, no other starts, the report is printed" ||
    not_ok "SIGINT report"
dirty=$(for i in $(seq 1 30); do
    [ -e "$work/i$i.db" ] && sqlite3 "$work/i$i.db" "SELECT count(*) FROM strata_migrations WHERE state <> 'applied'" 2>/dev/null
done | sort -u)
expect_eq "$dirty" "0" "SIGINT: no target is left dirty"

# ---------------------------------------------------------------- PostgreSQL
if [ -z "$pg_admin" ]; then
    not_ok "STRATA_TEST_POSTGRES_URL is not set (./run-tests starts a server)"
else
    for i in $(seq 1 100); do echo "CREATE DATABASE ${tag}_p$i;"; done >create.sql
    psql "$pg_admin" -X -q -f create.sql >/dev/null
    for i in $(seq 1 100); do db_url "$pg_admin" "${tag}_p$i"; done >pg.txt
    run "$strata" --dir "$set_dir" up --targets pg.txt --parallel 4 --json
    expect_code 0 "postgres: up over 100 databases"
    expect_eq "$(heads "$out")" "100 at 005" "postgres: all 100 reach the head"
    ups=$(for i in $(seq 1 100); do
        psql "$(db_url "$pg_admin" "${tag}_p$i")" -X -A -t -c "SELECT count(*) FROM strata_migrations_events WHERE action = 'up'"
    done | sort | uniq -c | sed 's/^ *//')
    expect_eq "$ups" "100 5" "postgres: each migration ran exactly once on each database"
    run "$strata" fleet list --targets pg.txt
    secret=$(sed -E 's|^[a-z]+://[^:]+:([^@]+)@.*|\1|' <<<"$pg_admin")
    expect_no "$secret" "fleet list never shows a password"
    expect_out "***" "fleet list shows the redacted URLs"

    # 500 schemas of one database, from schemas_query; the control database's targets_query
    psql "$pg_admin" -X -q -c "CREATE DATABASE ${tag}_tenants" >/dev/null
    tenants=$(db_url "$pg_admin" "${tag}_tenants")
    psql "$tenants" -X -q -c "CREATE TABLE tenant_schemas (name text); INSERT INTO tenant_schemas SELECT 't' || g FROM generate_series(1, 500) g; CREATE TABLE tenants (url text, active boolean)"
    for i in 1 2 3; do psql "$tenants" -X -q -c "INSERT INTO tenants VALUES ('$(db_url "$pg_admin" "${tag}_p$i")', true)"; done
    psql "$tenants" -X -q -c "INSERT INTO tenants VALUES ('$(db_url "$pg_admin" "${tag}_p4")', false)"
    cat >strata.conf <<EOF
[development]
url = sqlite:$work/dev.db
dir = $set_dir

[fleet schemas]
url = \${TENANTS_URL}
schemas_query = SELECT name FROM tenant_schemas ORDER BY name

[fleet active]
control = \${TENANTS_URL}
targets_query = SELECT url FROM tenants WHERE active ORDER BY url

[fleet mixed]
env = development
url = sqlite:$work/extra.db
EOF
    export TENANTS_URL="$tenants"
    run "$strata" fleet list --fleet schemas -q
    expect_eq "$(wc -l <<<"$out")" "500" "schemas_query: 500 schema targets"
    run "$strata" up --fleet schemas --parallel 4 --json
    expect_code 0 "postgres: up over 500 schemas of one database"
    expect_eq "$(heads "$out")" "500 at 005" "postgres: all 500 schemas reach the head"
    n=$(psql "$tenants" -X -A -t -c "SELECT count(*) FROM pg_tables WHERE tablename = 'strata_migrations'")
    expect_eq "$n" "500" "each schema has its own history tables"
    ups=$(psql "$tenants" -X -A -t -c "SELECT string_agg(format('SELECT count(*) FROM %I.strata_migrations_events WHERE action = %L', schemaname, 'up'), ' UNION ALL ') FROM pg_tables WHERE tablename = 'strata_migrations_events'" |
        psql "$tenants" -X -A -t | sort | uniq -c | sed 's/^ *//')
    expect_eq "$ups" "500 5" "each migration ran exactly once in each schema"
    n=$(psql "$tenants" -X -A -t -c "SELECT count(DISTINCT schemaname) FROM pg_tables WHERE tablename = 'users'")
    expect_eq "$n" "500" "each schema has its own tables"
    run "$strata" fleet list --fleet active -q
    expect_eq "$(wc -l <<<"$out")" "3" "targets_query: the active tenants' databases"
    run "$strata" status --fleet active
    expect_out "3 targets" "status --fleet groups the identical targets"
    run "$strata" fleet list --fleet mixed -q
    expect_eq "$out" "sqlite:$work/dev.db
sqlite:$work/extra.db" "env = NAME takes that environment's url"
    run "$strata" fleet list --fleet nosuch
    expect_code 2 "an unknown fleet is a usage error"
    expect_out "its fleets: schemas, active, mixed" "the message lists the fleets"
    rm strata.conf
fi

# ---------------------------------------------------------------- MariaDB
if [ -z "$my_admin" ]; then
    not_ok "STRATA_TEST_MYSQL_URL is not set (./run-tests starts a server)"
else
    for i in $(seq 1 50); do echo "CREATE DATABASE ${tag}_m$i;"; done | my_client
    for i in $(seq 1 50); do db_url "$my_admin" "${tag}_m$i"; done >my.txt
    run "$strata" --dir "$set_dir" up --targets my.txt --parallel 4 --json
    expect_code 0 "mariadb: up over 50 databases"
    expect_eq "$(heads "$out")" "50 at 005" "mariadb: all 50 reach the head"
    ups=$(for i in $(seq 1 50); do
        my_client -N -B "${tag}_m$i" -e "SELECT count(*) FROM strata_migrations_events WHERE action = 'up'"
    done | sort | uniq -c | sed 's/^ *//')
    expect_eq "$ups" "50 5" "mariadb: each migration ran exactly once on each database"
    # schema-per-tenant on MariaDB: a schema is a database there
    for i in 1 2 3; do echo "CREATE DATABASE ${tag}_ms$i;"; done | my_client
    my_client "${tag}_m1" -e "CREATE TABLE tenant_schemas (name VARCHAR(64)); INSERT INTO tenant_schemas VALUES ('${tag}_ms1'), ('${tag}_ms2'), ('${tag}_ms3')"
    printf '[fleet myschemas]\nurl = %s\nschemas_query = SELECT name FROM tenant_schemas ORDER BY name\n' \
        "$(db_url "$my_admin" "${tag}_m1")" >strata.conf
    run "$strata" --dir "$set_dir" up --fleet myschemas --json
    expect_eq "$(heads "$out")" "3 at 005" "mariadb: schemas_query targets each schema (database) and all reach the head"
    n=$(my_client -N -B -e "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'users' AND TABLE_SCHEMA LIKE '${tag}\_ms%'")
    expect_eq "$n" "3" "mariadb: each schema has its own tables"
    rm strata.conf
    # a dirty target's recovery command
    mkdir dirty && cp "$set_dir"/* dirty/
    printf 'CREATE TABLE d1 (id INT);\nCREATE TABLE d1 (id INT);\n' >dirty/006_dirty.up.sql
    echo 'DROP TABLE d1;' >dirty/006_dirty.down.sql
    head -2 my.txt >my2.txt
    run "$strata" --dir dirty up --targets my2.txt --continue
    expect_code 1 "mariadb: a migration failing half-way fails its targets"
    expect_out "hint:" "a dirty target's report carries the recovery command"
fi

finish
