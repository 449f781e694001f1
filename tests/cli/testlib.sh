# Shared by the command-line tests (tests/cli/test_*.sh), sourced before they change
# directory. TAP-like lines: "ok - label" and "not ok - label" with the output that explains
# it; `finish` prints the totals and fails the script when anything failed.
#   run CMD...                     runs CMD, keeping its output (stdout and stderr) in $out
#                                  and its exit status in $code
#   expect_code N LABEL            $code is N
#   expect_out TEXT LABEL          $out holds TEXT
#   expect_no TEXT LABEL           $out does not hold TEXT
#   expect_eq ACTUAL EXPECTED LABEL
#   rel_begin; ...checks...; rel_end KIND DB NAME [WHAT]
#                                  records one row of docs/reliability.md: KIND (fault, race,
#                                  bad-input, transport), the database (sqlite, postgres,
#                                  mysql or all), the case's name and what it expects (WHAT,
#                                  optional), passed when no check between the two failed;
#                                  rows go to $STRATA_RELIABILITY_LOG (set by ./run-tests;
#                                  nowhere when unset)

passed=0
failed=0
out=""
code=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
    failed=$((failed + 1))
    echo "not ok - $1"
    printf '%s\n' "$out" | sed 's/^/    # /' | head -30
}
run() { out=$("$@" 2>&1); code=$?; }
expect_code() { [ "$code" -eq "$1" ] && ok "$2 (exit $1)" || not_ok "$2: expected exit $1, got $code"; }
expect_out() { grep -qF -- "$1" <<<"$out" && ok "$2" || not_ok "$2: output lacks '$1'"; }
expect_no() { grep -qF -- "$1" <<<"$out" && not_ok "$2: output shows '$1'" || ok "$2"; }
expect_eq() { # actual expected label; a failure shows the difference (- expected, + actual)
    if [ "$1" = "$2" ]; then ok "$3"; else out=$(diff <(echo "$2") <(echo "$1")); not_ok "$3"; fi
}
finish() {
    echo
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

rel_failed_at=0
rel_begin() { rel_failed_at=$failed; }
rel_end() {
    local result=passed
    [ "$failed" -ne "$rel_failed_at" ] && result=failed
    [ -n "${STRATA_RELIABILITY_LOG:-}" ] &&
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$result" "${0##*/}" "${4:-}" \
            >>"$STRATA_RELIABILITY_LOG"
    return 0
}
rel_skip() { # KIND DB NAME WHY: a case this machine cannot run
    [ -n "${STRATA_RELIABILITY_LOG:-}" ] &&
        printf '%s\t%s\t%s\tnot run\t%s\t%s\n' "$1" "$2" "$3" "${0##*/}" "$4" >>"$STRATA_RELIABILITY_LOG"
    return 0
}

# db_url ADMIN_URL NAME: the URL of database NAME on the server ADMIN_URL names
db_url() {
    local base="${1%%\?*}" query=""
    [ "$base" != "$1" ] && query="?${1#*\?}"
    echo "${base%/*}/$2$query"
}
# my_tool TOOL ARGS...: a MariaDB client program (mariadb, mariadb-dump) on the server
# STRATA_TEST_MYSQL_URL names, as its user
my_tool() {
    local tool="$1" url="${STRATA_TEST_MYSQL_URL:?}" rest user pass hostport
    shift
    rest=${url#*://} user=${rest%%:*} pass=${rest#*:} pass=${pass%%@*}
    hostport=${rest#*@} hostport=${hostport%%/*}
    MYSQL_PWD="$pass" "$tool" --no-defaults -h "${hostport%:*}" -P "${hostport#*:}" -u "$user" "$@"
}
# my_client ARGS...: the mariadb client on that server
my_client() { my_tool mariadb "$@"; }
