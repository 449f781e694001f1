#!/usr/bin/env bash
# The core knows no driver by name: outside comments, no file of core/ spells a built-in
# driver's name (sqlite, postgres, mysql, odbc, and their other schemes), except the file
# formats' own vocabulary of database names (core/files/dialects.c: pop's and Liquibase's
# dialect tags) and the lint rules (core/lint/rules.c and core/lint/check_*.c: rules are
# about SQL dialects, and a driver of any name that declares the dialect gets them). Scheme aliases, dialect names, URL shapes and password variables come from
# the drivers. Needs STRATA_SRCDIR (set by make check).
set -u
. "$(dirname "$0")/testlib.sh"

src="${STRATA_SRCDIR:?set by make check}"
vocabulary="core/files/dialects.c core/lint/rules.c $(cd "${STRATA_SRCDIR:?}" && ls core/lint/check_*.c)"

# Prints file:line: text for every name found in code (comments blanked, lines kept).
names_in_code() {
    perl -0777 -ne '
        my $f = $ARGV;
        s{/\*.*?\*/}{ my $c = $&; $c =~ s/[^\n]//g; $c }gse;   # block comments, lines kept
        s{//[^\n"]*$}{}gm;                                     # line comments (not in strings)
        my $n = 0;
        for my $l (split /\n/, $_, -1) {
            $n++;
            print "$f:$n: $l\n" if $l =~ /\b(sqlite3?|postgres(ql)?|mysql|mariadb|odbc)\b/;
        }' "$@"
}

cd "$src" || exit 1
files=$(find core -name '*.[ch]' ! -path core/files/dialects.c ! -path core/lint/rules.c \
    ! -path 'core/lint/check_*.c' | sort)
out=$(names_in_code $files)
[ -z "$out" ] && ok "no driver name in core/ outside comments and $vocabulary" ||
    not_ok "driver names in core/ code"
out=$(names_in_code $vocabulary)
[ -n "$out" ] && ok "the check sees names in code (it finds the format vocabulary's)" ||
    not_ok "the check finds nothing even in $vocabulary: it is broken"

finish
