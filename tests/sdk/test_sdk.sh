#!/usr/bin/env bash
# The installed SDK is enough for third parties. From a `make install DESTDIR=...` stage:
#  - the ODBC driver builds out of tree from drivers/odbc/ with its own Makefile, using
#    only `pkg-config strata-driver odbc`, installs into the stage's driver directory,
#    passes strata-driver-check over SQLite, PostgreSQL and MariaDB, and applies and rolls
#    back the demo migrations through each with the staged strata;
#  - examples/embed-sqlite builds with `pkg-config strata` and the staged `strata embed`,
#    and migrates its SQLite file at start-up, once.
# Run by ./run-tests from the top of a configured, built tree, with the servers started
# (STRATA_TEST_POSTGRES_URL, STRATA_TEST_MYSQL_URL).
set -u
. tests/cli/testlib.sh

top=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-sdk-XXXXXX")
trap 'rm -rf "$work"' EXIT
stage="$work/stage"

run make install DESTDIR="$stage"
expect_code 0 "make install DESTDIR=stage"
prefix=$(sed -n 's/^prefix=//p' strata.pc)
libdir=$(sed -n 's/^libdir=//p' strata.pc) # ${exec_prefix}/lib, exec_prefix being ${prefix}
libdir=${libdir//\$\{exec_prefix\}/$prefix}
libdir=${libdir//\$\{prefix\}/$prefix}
leftover=$(find "$stage" -name '*.la')
[ -z "$leftover" ] && ok "no libtool .la file is installed" || { out="$leftover"; not_ok "no libtool .la file is installed"; }
for f in include/strata/driver.h include/strata/strata.h include/strata/types.h \
    lib/pkgconfig/strata.pc lib/pkgconfig/strata-driver.pc bin/strata bin/strata-driver-check \
    share/doc/strata/writing-a-driver.md share/man/man7/strata-driver.7; do
    [ -e "$stage$prefix/$f" ] && ok "installed: $f" || { out=$(cd "$stage" && find . | head -50); not_ok "installed: $f"; }
done

# Everything below sees the stage only: pkg-config through its sysroot, the staged programs
# and library, the staged drivers.
export PKG_CONFIG_PATH="$stage$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
export PKG_CONFIG_LIBDIR="$stage$libdir/pkgconfig:/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/lib/pkgconfig:/usr/share/pkgconfig"
export PATH="$stage$prefix/bin:$PATH" LD_LIBRARY_PATH="$stage$libdir"
driverdir="$(pkg-config --variable=driverdir strata-driver)"
case "$driverdir" in "$stage"*) ;; *) driverdir="$stage$driverdir" ;; esac
export STRATA_DRIVER_PATH="$driverdir"
[ "$(command -v strata)" = "$stage$prefix/bin/strata" ] && ok "the staged strata runs" ||
    { out=$(command -v strata); not_ok "the staged strata runs"; }

# ---------------------------------------------------------------- the ODBC driver, out of tree
mkdir -p "$work/odbc"
cp "$top/drivers/odbc/odbc.c" "$top/drivers/odbc/Makefile" "$work/odbc/"
rm -f "$driverdir/odbc.so" # the one the main build installed: this one must replace it
run make -C "$work/odbc"
expect_code 0 "odbc: builds out of tree with pkg-config strata-driver odbc"
# pkg-config's sysroot already puts driverdir in the stage: no DESTDIR on top of it
run make -C "$work/odbc" install
expect_code 0 "odbc: make install into the stage"
odbc_so="$driverdir/odbc.so"
[ -f "$odbc_so" ] && ok "odbc: odbc.so in the staged driver directory" ||
    { out=$(ls -la "$driverdir"); not_ok "odbc: odbc.so in the staged driver directory"; }
run strata drivers --check
expect_code 0 "strata drivers --check: every staged plugin loads"
expect_out "odbc" "strata drivers lists the out-of-tree odbc driver"

# server_parts URL: "user password host port database"
server_parts() {
    sed -E 's|^[a-z]+://([^:]+):([^@]+)@([^:/]+):([0-9]+)/([^?]*).*$|\1 \2 \3 \4 \5|' <<<"$1"
}
urls=("odbc:Driver=SQLite3;Database=$work/odbc.db")
names=(SQLite)
if [ -n "${STRATA_TEST_POSTGRES_URL:-}" ]; then
    read -r u p h port db <<<"$(server_parts "$STRATA_TEST_POSTGRES_URL")"
    urls+=("odbc:Driver=PostgreSQL Unicode;Server=$h;Port=$port;Database=$db;Uid=$u;Pwd=$p")
    names+=(PostgreSQL)
else
    out="no STRATA_TEST_POSTGRES_URL"; not_ok "odbc over PostgreSQL: a server"
fi
if [ -n "${STRATA_TEST_MYSQL_URL:-}" ]; then
    read -r u p h port db <<<"$(server_parts "$STRATA_TEST_MYSQL_URL")"
    urls+=("odbc:Driver=MariaDB Unicode;Server=$h;Port=$port;Database=$db;User=$u;Password=$p")
    names+=(MariaDB)
else
    out="no STRATA_TEST_MYSQL_URL"; not_ok "odbc over MariaDB: a server"
fi
for i in "${!urls[@]}"; do
    n=${names[$i]} url=${urls[$i]}
    run strata-driver-check "$odbc_so" "$url"
    expect_code 0 "odbc over $n: strata-driver-check passes"
    table="sdk_$$_$i"
    run strata --database "$url" --dir "$top/migrations" --table "$table" up
    expect_code 0 "odbc over $n: the demo migrations apply"
    run strata --database "$url" --dir "$top/migrations" --table "$table" status
    expect_out "5 applied, 0 pending" "odbc over $n: status shows them applied"
    run strata --database "$url" --dir "$top/migrations" --table "$table" down --all
    expect_code 0 "odbc over $n: and roll back"
done

# ---------------------------------------------------------------- the embedding example
cp -r "$top/examples/embed-sqlite" "$work/embed"
rm -f "$work/embed/migrations.c" "$work/embed/embed-sqlite"
run make -C "$work/embed"
expect_code 0 "embed-sqlite: builds with pkg-config strata and the staged strata embed"
grep -q 'CREATE TABLE notes' "$work/embed/migrations.c" 2>/dev/null &&
    ok "embed-sqlite: migrations.c holds the migrations" ||
    { out=$(head -20 "$work/embed/migrations.c" 2>&1); not_ok "embed-sqlite: migrations.c holds the migrations"; }
rm -rf "$work/embed/migrations" # nothing on disk: the program must use what it carries
run "$work/embed/embed-sqlite" "$work/notes.db"
expect_code 0 "embed-sqlite: migrates its file at start-up"
expect_out "2 migration(s) applied now, 2 in all, 0 pending" "embed-sqlite: both migrations ran"
run "$work/embed/embed-sqlite" "$work/notes.db"
expect_out "0 migration(s) applied now, 2 in all, 0 pending" "embed-sqlite: a second start applies nothing"
tables=$(sqlite3 "$work/notes.db" "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name)")
expect_eq "$tables" "notes,strata_migrations,strata_migrations_events,strata_migrations_meta,tags" \
    "embed-sqlite: the file holds the schema and the history"
script=$(sqlite3 "$work/notes.db" "SELECT script FROM strata_migrations WHERE version = '001'")
expect_eq "$script" "001_notes.up.sql" "embed-sqlite: the history names the embedded script"

finish
