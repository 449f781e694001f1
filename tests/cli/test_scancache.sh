#!/usr/bin/env bash
# The scan cache (core/files/scancache.h): a run over unchanged, settled files takes what it
# knows of them from the cache instead of reading them, and an edited file is still caught:
# an edit that keeps the size and sets the modification time back, an edit made right after
# a run within the file system's timestamp granularity, a file replaced by another. A cache
# that is corrupt, unwritable or switched off changes nothing but speed.
# Needs STRATA_BIN and STRATA_DRIVER_PATH (set by make check).
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-scancache-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
unset DATABASE_URL STRATA_DIR STRATA_TABLE
export STRATA_CACHE_DIR="$work/cache"
db="sqlite:$work/cache.db"
settle=3 # STRATA_SCAN_CACHE_SETTLE (2 s) and one more

mkdir m
for i in 1 2 3; do
    printf 'CREATE TABLE t%s (id INTEGER PRIMARY KEY);\n' "$i" >"m/00${i}_t$i.up.sql"
    printf 'DROP TABLE t%s;\n' "$i" >"m/00${i}_t$i.down.sql"
done
run "$strata" -d "$db" --dir m up
expect_code 0 "up applies three migrations"
cache_file() { ls "$STRATA_CACHE_DIR"/*.scan 2>/dev/null | head -1; }
run cat "$(cache_file)"
expect_no "001_t1.up.sql" "files changed within the last seconds are not remembered"

# ---------------------------------------------------------------- settled files are cached
sleep "$settle"
run "$strata" -d "$db" --dir m status
expect_code 0 "status once the files have settled"
cf=$(cache_file)
[ -n "$cf" ] && ok "the cache has a file for the migrations folder" ||
    { out=$(ls -la "$STRATA_CACHE_DIR" 2>&1); not_ok "the cache has a file for the migrations folder"; }
run cat "$cf"
expect_out "001_t1.up.sql" "the settled up script is remembered"
expect_out "003_t3.down.sql" "the settled down script is remembered"
expect_out "$(cd m && pwd -P)" "the cache names the folder it is for"

# The cache is what the run believes: a remembered checksum changed by hand (the file's
# stat unchanged) makes the file look edited. This shows that the file was not read.
cp "$cf" "$work/cache.bak"
sum=$(awk -F'\t' '$1 == "002_t2.up.sql" { split($11, a, ","); print a[6] }' "$cf")
[ ${#sum} -eq 64 ] && ok "the entry holds the script's SHA-256" || { out=$sum; not_ok "the entry holds the script's SHA-256"; }
sed -i "s/$sum/$(printf '0%.0s' $(seq 64))/" "$cf"
run "$strata" -d "$db" --dir m validate
expect_code 3 "a remembered checksum is trusted while the file's stat is unchanged"
expect_out "002_t2.up.sql" "... and names that file"
cp "$work/cache.bak" "$cf"
run "$strata" -d "$db" --dir m validate
expect_code 0 "validate passes with the cache put back"

# ---------------------------------------------------------------- edits are caught
# same size, modification time set back: the change time still moves
cp -p m/002_t2.up.sql "$work/ref"
printf 'CREATE TABLE t9 (id INTEGER PRIMARY KEY);\n' >m/002_t2.up.sql
touch -r "$work/ref" m/002_t2.up.sql
[ "$(stat -c '%s %Y' m/002_t2.up.sql)" = "$(stat -c '%s %Y' "$work/ref")" ] &&
    ok "the edit keeps size and modification time" || not_ok "the edit keeps size and modification time"
run "$strata" -d "$db" --dir m up
expect_code 3 "up refuses an applied file edited with its size and mtime kept"
expect_out "002_t2.up.sql" "... naming the file"
run "$strata" -d "$db" --dir m validate
expect_code 3 "validate reports it too"
cp -p "$work/ref" m/002_t2.up.sql
touch -r "$work/ref" m/002_t2.up.sql
run "$strata" -d "$db" --dir m validate
expect_code 0 "with the original text back, validate passes"

# an edit right after a run, within the timestamp granularity: a file changed in the last
# seconds is read every time, whatever its stat says
sleep "$settle"
run "$strata" -d "$db" --dir m status # remembers every file again
printf 'CREATE TABLE t4 (id INTEGER PRIMARY KEY);\n' >m/004_t4.up.sql
run "$strata" -d "$db" --dir m up
expect_code 0 "a new migration applies"
cp -p m/004_t4.up.sql "$work/ref4"
printf 'CREATE TABLE t8 (id INTEGER PRIMARY KEY);\n' >m/004_t4.up.sql
touch -r "$work/ref4" m/004_t4.up.sql
run "$strata" -d "$db" --dir m up
expect_code 3 "an edit in the same second as the run before is caught"
expect_out "004_t4.up.sql" "... naming the file"
cp -p "$work/ref4" m/004_t4.up.sql
touch -r "$work/ref4" m/004_t4.up.sql

# a file replaced by another of the same size and times (an editor's save-by-rename)
sleep "$settle"
run "$strata" -d "$db" --dir m status
printf 'CREATE TABLE t7 (id INTEGER PRIMARY KEY);\n' >"$work/other"
touch -r m/001_t1.up.sql "$work/other"
mv "$work/other" m/001_t1.up.sql
run "$strata" -d "$db" --dir m validate
expect_code 3 "a file replaced by rename is caught"
expect_out "001_t1.up.sql" "... naming the file"
printf 'CREATE TABLE t1 (id INTEGER PRIMARY KEY);\n' >m/001_t1.up.sql

# ---------------------------------------------------------------- the set changes
# The cache is read as a stream in the order of the set: a file removed or added in the
# middle costs its own entry only.
sleep "$settle"
run "$strata" -d "$db" --dir m status
mkdir -p "$work/aside"
mv m/003_t3.down.sql "$work/aside/"
printf 'CREATE TABLE t25 (id INTEGER PRIMARY KEY);\n' >m/0025_t25.up.sql
run "$strata" -d "$db" --dir m status
expect_code 0 "status after a file was removed and one added in the middle"
expect_out "0025" "... shows the new migration"
run cat "$(cache_file)"
expect_no "003_t3.down.sql" "the removed file's entry is gone"
expect_no "0025_t25.up.sql" "the added file, just written, is not remembered yet"
expect_out "004_t4.up.sql" "the entries after them are kept"
sleep "$settle"
run "$strata" -d "$db" --dir m status
run cat "$(cache_file)"
expect_out "0025_t25.up.sql" "once settled, the added file is remembered"
expect_out "001_t1.down.sql" "the entries before them are kept"
rm m/0025_t25.up.sql
mv "$work/aside/003_t3.down.sql" m/

# ---------------------------------------------------------------- a cache that cannot help
run "$strata" -d "$db" --dir m validate
expect_code 0 "validate passes with every file as applied"
printf 'not a cache\n' >"$(cache_file)"
run "$strata" -d "$db" --dir m validate
expect_code 0 "a corrupt cache is ignored"
run head -1 "$(cache_file)"
expect_out "strata-scan-cache 1" "... and rewritten"
STRATA_CACHE_DIR=off run "$strata" -d "$db" --dir m validate
expect_code 0 "STRATA_CACHE_DIR=off reads every file"
STRATA_CACHE_DIR="$work/no/such/parent" run "$strata" -d "$db" --dir m validate
expect_code 0 "a cache folder that cannot be made is no error"

finish
