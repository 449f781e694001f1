#!/usr/bin/env bash
# strata lint (docs/lint.md). Every rule has a fixture per dialect it applies to, under
# tests/lint/DIALECT/RULE/: bad/ must give a finding of RULE (at the line after its
# "-- expect: RULE" comment, when it has one), good/ none of RULE. Then the command itself:
# files, --since in a throwaway git repository, the output formats, --fail-on, lint-ignore,
# the pending migrations of a real database, up --lint and lint = in strata.conf.
# Needs STRATA_BIN, STRATA_SRCDIR and STRATA_DRIVER_PATH (set by make check), python3 and
# git.
set -u
. "$(dirname "$0")/testlib.sh"

strata="${STRATA_BIN:?set by make check}"
src="${STRATA_SRCDIR:?set by make check}"
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-lint-XXXXXX")
trap 'rm -rf "$work"' EXIT # replaced by server_cleanup below
unset DATABASE_URL STRATA_DIR STRATA_TABLE STRATA_LINT

# findings JSON RULE: prints "line suppressed" for each finding of RULE in the strata.lint/1
# document JSON
findings() {
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["schema"] == "strata.lint/1"
for f in d["findings"]:
    if f["rule"] == sys.argv[2]:
        print(f["line"], "suppressed" if f["suppressed"] else "active")' "$1" "$2"
}

# ---------------------------------------------------------------- a fixture per rule
cases=0
for dir in "$src"/tests/lint/*/*/; do
    dialect=$(basename "$(dirname "$dir")")
    rule=$(basename "$dir")
    for kind in bad good; do
        args=()
        [ -f "$dir/$kind.args" ] && read -r -a args <"$dir/$kind.args"
        run "$strata" -d "$dialect:" --dir "$dir/$kind" lint --all --json --fail-on never \
            "${args[@]}"
        if [ "$code" -ne 0 ]; then
            not_ok "$dialect $rule $kind: lint exits $code"
            continue
        fi
        got=$(findings "$out" "$rule" | grep active)
        if [ "$kind" = good ]; then
            [ -z "$got" ] && ok "$dialect $rule: the good case has no finding" ||
                not_ok "$dialect $rule: the good case is flagged at line(s) $got"
            continue
        fi
        marker=$(grep -n -- "-- expect: $rule\$" "$dir/bad/002_case.sql" | cut -d: -f1)
        if [ -n "$marker" ]; then
            want="$((marker + 1)) active"
            grep -qx "$want" <<<"$got" && ok "$dialect $rule: the bad case is flagged at line $((marker + 1))" ||
                not_ok "$dialect $rule: the bad case should be flagged at line $((marker + 1)), got '${got:-nothing}'"
        else
            [ -n "$got" ] && ok "$dialect $rule: the bad case is flagged" ||
                not_ok "$dialect $rule: the bad case has no finding"
        fi
        cases=$((cases + 1))
    done
done
expected_rules=$("$strata" lint --rules | wc -l)
covered=$(ls -d "$src"/tests/lint/*/*/ | xargs -n1 basename | sort -u | wc -l)
expect_eq "$covered" "$expected_rules" "every rule of the catalogue has fixtures"
for r in $("$strata" lint --rules | awk '$3 == "all" {print $1}'); do
    n=$(ls -d "$src"/tests/lint/*/"$r"/ 2>/dev/null | wc -l)
    expect_eq "$n" 3 "$r (every dialect) has fixtures for the three dialects"
done

# ---------------------------------------------------------------- docs/lint.md stays true
for r in $("$strata" lint --rules | awk '{print $1}'); do
    grep -qx "### $r" "$src/docs/lint.md" || { out="no '### $r'"; not_ok "docs/lint.md documents $r"; }
done
ok "docs/lint.md has a section per rule"
# The review table lists exactly what lint finds over migrations/ and tests/fixtures.
review=$(sed -n '/<!-- lint-review:begin -->/,/<!-- lint-review:end -->/p' "$src/docs/lint.md" |
    grep '^| [a-z]* | [^ ]*:[0-9]* |' | awk -F' [|] ' '{print $1 " | " $2 " | " $3}' | sed 's/^| //' | sort)
found=$(cd "$src" && for d in migrations tests/fixtures/formats/* tests/fixtures/repeatable \
    tests/fixtures/popx tests/fixtures/variants tests/fixtures/splitter/*/*; do
    [ -d "$d" ] || continue
    case $d in
    *splitter/postgres*) ds=postgres ;;
    *splitter/mysql*) ds=mysql ;;
    *splitter/sqlite*) ds=sqlite ;;
    *) ds="sqlite postgres mysql" ;;
    esac
    for x in $ds; do
        "$strata" -d "$x:" --dir "$d" lint --all --json --fail-on never | python3 -c '
import json, sys
for f in json.load(sys.stdin)["findings"]:
    print("%s | %s:%d | %s" % (sys.argv[1], f["file"], f["line"], f["rule"]))' "$x"
    done
done | sort)
expect_eq "$found" "$review" "docs/lint.md reviews every finding over migrations/ and tests/fixtures"

# ---------------------------------------------------------------- the command
cd "$work" || exit 1
mkdir m
cat >m/001_users.up.sql <<'EOF'
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
EOF
echo 'DROP TABLE users;' >m/001_users.down.sql
cat >m/002_trim.up.sql <<'EOF'
-- strata:lint-ignore update-without-where every address is normalised, on purpose
UPDATE users SET email = lower(email);
DELETE FROM users;
EOF
echo 'SELECT 1;' >m/002_trim.down.sql
db="sqlite:$work/lint.db"

run "$strata" -d "$db" --dir m lint --all
expect_code 0 "warnings alone pass with the default --fail-on error"
expect_out "m/002_trim.up.sql" "text output names the file"
expect_out "3:1  warning  delete-without-where" "text output gives line:col, severity and rule"
expect_out "DELETE FROM users" "text output shows the statement"
expect_no "update-without-where  UPDATE" "a finding suppressed with a reason is not shown"
expect_out "1 suppressed by lint-ignore" "the summary counts what lint-ignore suppressed"
run "$strata" -d "$db" --dir m lint --all -v
expect_out "lint-ignore: every address is normalised, on purpose" "-v shows the suppression's reason"
expect_out "delete-without-where (warning): DELETE without WHERE deletes every row" \
    "-v explains each rule found"
run "$strata" -d "$db" --dir m lint --all --fail-on warning
expect_code 3 "--fail-on warning fails on a warning"
run "$strata" -d "$db" --dir m lint --all --fail-on sometimes
expect_code 2 "an unknown --fail-on is a usage error"
run "$strata" -d "$db" --dir m lint --all --format xml
expect_code 2 "an unknown --format is a usage error"
[ ! -e "$work/lint.db" ] && ok "lint with --all never opens the database" ||
    not_ok "lint with --all created the database file"

run "$strata" -d "$db" --dir m lint --all --format github
expect_out "::warning file=m/002_trim.up.sql,line=3,col=1,title=delete-without-where::DELETE from users" \
    "--format github writes workflow annotations"
run "$strata" -d "$db" --dir m lint --all --format sarif
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
run = d["runs"][0]
assert d["version"] == "2.1.0"
ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
res = run["results"]
assert [r["ruleId"] for r in res] == ["update-without-where", "delete-without-where"], res
assert res[0]["suppressions"][0]["justification"] == "every address is normalised, on purpose"
assert ids[res[1]["ruleIndex"]] == "delete-without-where"
assert res[1]["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
' "$out" && ok "--format sarif is SARIF 2.1.0 with rules, locations and suppressions" ||
    not_ok "--format sarif"

# files: only the migrations they belong to
run "$strata" -d "$db" --dir m lint m/001_users.down.sql --json
expect_eq "$(findings "$out" delete-without-where)" "" "a named file lints its own migration only"
run "$strata" -d "$db" --dir m lint m/002_trim.up.sql --json
expect_eq "$(findings "$out" delete-without-where)" "3 active" "a named file's migration is linted"
run "$strata" -d "$db" --dir m lint elsewhere.sql
expect_code 2 "a file that is no migration's is a usage error"
expect_out "elsewhere.sql is not a migration script of m" "the message names the file"

# bad suppressions
cat >m/003_bad.up.sql <<'EOF'
-- strata:lint-ignore delete-without-where
DELETE FROM users;
-- strata:lint-ignore no-such-rule,drop-table because
DROP TABLE users;
EOF
echo 'SELECT 1;' >m/003_bad.down.sql
run "$strata" -d "$db" --dir m lint m/003_bad.up.sql --json
expect_eq "$(findings "$out" lint-ignore)" "1 active
3 active" "a lint-ignore without a reason, and one naming an unknown rule, are errors"
expect_eq "$(findings "$out" delete-without-where)" "2 active" \
    "a lint-ignore without a reason suppresses nothing"
expect_eq "$(findings "$out" drop-table)" "4 suppressed" \
    "the known rule of a list is suppressed"
cat >m/003_bad.up.sql <<'EOF'
-- strata:lint-ignore-file delete-without-where a throwaway table
DELETE FROM users;
SELECT 1;
DELETE FROM users;
EOF
run "$strata" -d "$db" --dir m lint m/003_bad.up.sql --json
expect_eq "$(findings "$out" delete-without-where)" "2 suppressed
4 suppressed" "lint-ignore-file covers the whole script"
rm m/003_bad.*

# ---------------------------------------------------------------- --since in a git repository
git_() { git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main "$@"; }
mkdir repo && cd repo && git_ init -q . && mkdir db
cp ../m/001_users.* db/
git_ add -A && git_ commit -qm one
git_ tag base
cp ../m/002_trim.* db/
git_ add -A && git_ commit -qm two
echo 'DELETE FROM users;' >db/003_wipe.up.sql # untracked
echo 'SELECT 1;' >db/003_wipe.down.sql
run "$strata" -d sqlite:x.db --dir db lint --since base --json
expect_eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["migrations"])' "$out")" 2 \
    "--since lints the committed and the untracked migrations, not the older one"
run "$strata" -d sqlite:x.db --dir db lint --since HEAD --json
expect_eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["migrations"])' "$out")" 1 \
    "--since HEAD lints only what is not committed"
echo '-- edited' >>db/001_users.up.sql
run "$strata" -d sqlite:x.db --dir db lint --since HEAD --json
expect_eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["migrations"])' "$out")" 2 \
    "--since sees an unstaged edit"
run "$strata" -d sqlite:x.db --dir db lint --since no-such-rev
expect_code 2 "an unknown revision is a usage error"
expect_out "git knows no such revision" "the message says git does not know it"
cd "$work" || exit 1
run "$strata" -d sqlite:x.db --dir m lint --since HEAD
expect_code 2 "--since outside a git repository is a usage error"
expect_out "m is not in a git repository" "the message says so"

# ---------------------------------------------------------------- a real database's pending set
run "$strata" -d "$db" --dir m lint
expect_code 1 "lint without --all needs the database, which does not exist yet"
expect_out "hint: without --all, --since or files lint reads the database's pending" \
    "the message says how to lint without a database"
run "$strata" -d "$db" --dir m up --to 001
expect_code 0 "apply the first migration"
run "$strata" -d "$db" --dir m lint --json
expect_eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["migrations"])' "$out")" 1 \
    "an applied migration is no longer linted"

# up --lint and lint = in strata.conf refuse before touching the database
run "$strata" -d "$db" --dir m up --lint=warning
expect_code 3 "up --lint=warning refuses a set with a warning"
expect_out "up refused before touching the database" "the refusal says nothing ran"
expect_out "delete-without-where" "the refusal shows the finding"
run "$strata" -d "$db" --dir m status --json
expect_eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["summary"]["pending"])' "$out")" 1 \
    "nothing was applied"
printf '[development]\nurl = %s\ndir = m\nlint = warning\n' "$db" >strata.conf
run "$strata" up
expect_code 3 "lint = warning in strata.conf makes up refuse"
run "$strata" up --lint=off
expect_code 0 "--lint=off overrides strata.conf"
rm strata.conf
run "$strata" -d "$db" --dir m up --lint=loud
expect_code 2 "an unknown --lint severity is a usage error"

# ---------------------------------------------------------------- PostgreSQL and MariaDB
# The pending set of a real server is linted with the dialect its connection describes.
pg_admin="${STRATA_TEST_POSTGRES_URL:-}"
my_admin="${STRATA_TEST_MYSQL_URL:-}"
name="strata_lint_$$"
server_cleanup() {
    [ -n "$pg_admin" ] && psql "$pg_admin" -X -q -c "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1
    [ -n "$my_admin" ] && my_client -e "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1
    rm -rf "$work"
}
trap server_cleanup EXIT
mkdir srv
echo 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(200));' >srv/001_accounts.up.sql
echo 'DROP TABLE accounts;' >srv/001_accounts.down.sql
printf 'CREATE INDEX accounts_email ON accounts (email);\nALTER TABLE accounts CONVERT TO CHARACTER SET utf8mb4;\n' \
    >srv/002_email.up.sql
echo 'DROP INDEX accounts_email;' >srv/002_email.down.sql
for kind in postgres mysql; do
    if [ "$kind" = postgres ]; then
        [ -n "$pg_admin" ] || { not_ok "STRATA_TEST_POSTGRES_URL is not set (./run-tests starts a server)"; continue; }
        psql "$pg_admin" -X -q -c "CREATE DATABASE $name" >/dev/null
        url=$(db_url "$pg_admin" "$name") want=pg-index-concurrently line=1 other=mysql-copy-alter
    else
        [ -n "$my_admin" ] || { not_ok "STRATA_TEST_MYSQL_URL is not set (./run-tests starts a server)"; continue; }
        my_client -e "CREATE DATABASE $name"
        url=$(db_url "$my_admin" "$name") want=mysql-copy-alter line=2 other=pg-index-concurrently
    fi
    run "$strata" -d "$url" --dir srv up --to 001
    expect_code 0 "$kind: the first migration applied"
    run "$strata" -d "$url" --dir srv lint --json
    expect_eq "$(findings "$out" "$want")" "$line active" "$kind: its dialect's rule flags the pending migration"
    expect_eq "$(findings "$out" "$other")" "" "$kind: another dialect's rule does not"
    run "$strata" -d "$url" --dir srv up --lint=warning
    expect_code 3 "$kind: up --lint refuses the pending migration"
    run "$strata" -d "$url" --dir srv status --json
    expect_eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["summary"]["pending"])' "$out")" 1 \
        "$kind: nothing ran"
done

finish
