"""Writes docs/reliability.md from what ./run-tests just ran.

Usage: reliability_report.py --rows ROWS.tsv --fuzz FUZZ.out --mode MODE --totals "N M"
                             --versions TEXT --out docs/reliability.md

ROWS.tsv holds the rows the command-line tests recorded with rel_end and rel_skip
(tests/cli/testlib.sh): kind, database, case, result, script, what is expected. FUZZ.out is
the output of tests/fuzz/run-fuzz.sh. MODE is default, sanitize or valgrind: the memory
checker rows of the run's own mode are rewritten, the others kept from the existing file.
"""
import argparse
import datetime
import os
import platform
import re

DATABASES = ("sqlite", "postgres", "mysql")
DB_TITLES = {"sqlite": "SQLite", "postgres": "PostgreSQL", "mysql": "MariaDB"}
KINDS = (
    ("bad-input", "The bad-input catalogue", "tests/cli/test_badinput.sh: each case gives strata "
     "one piece of bad input and checks the exit status, a phrase of the message, and that "
     "the database's schema and rows are exactly as before (dumped with sqlite3, pg_dump and "
     "mariadb-dump); a case whose migration fails may add its `failed` event, nothing else."),
    ("fault", "Faults", "Files strata may not write, a full disk, signals, servers that do not "
     "answer, a failed concurrent index build."),
    ("race", "Races", "Runners started at once on the same database or targets."),
    ("transport", "Transport", "TLS with verified certificates, and the migration lock behind "
     "a connection pooler."),
)
CHECKERS = (
    ("sanitize", "ASan + UBSan", "`./run-tests --sanitize`",
     "the whole suite built with -fsanitize=address,undefined"),
    ("valgrind", "valgrind", "`./run-tests --valgrind`",
     "every CUnit program under valgrind --leak-check=full"),
)


def read_rows(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 5:
                continue
            parts += [""] * (6 - len(parts))
            rows.append(dict(kind=parts[0], db=parts[1], case=parts[2], result=parts[3],
                             script=parts[4], what=parts[5]))
    return rows


def read_fuzz(path):
    found = []
    if not os.path.exists(path):
        return found
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^(\w+)\s+(\d+|\?)\s+(ok|CRASH.*)$", line.strip())
            if m:
                found.append((m.group(1), m.group(2), m.group(3)))
    return found


def kept_checker_rows(path):
    """The memory checker rows of the existing document, by mode."""
    kept = {}
    if not os.path.exists(path):
        return kept
    with open(path, encoding="utf-8") as f:
        for line in f:
            for mode, title, _, _ in CHECKERS:
                if line.startswith("| " + title + " |"):
                    kept[mode] = line.rstrip("\n")
    return kept


def mark(result):
    return {"passed": "passed", "failed": "**FAILED**", "not run": "not run"}.get(result, result)


def case_table(rows):
    """One line per case, a column per database."""
    cases = {}
    order = []
    for r in rows:
        key = (r["case"], r["script"])
        if key not in cases:
            cases[key] = {"what": r["what"], "results": {}}
            order.append(key)
        cases[key]["results"][r["db"]] = r["result"] if r["result"] != "not run" else \
            "not run: " + r["what"]
        if r["result"] != "not run" and r["what"]:
            cases[key]["what"] = r["what"]
    out = ["| case | expected | test | " + " | ".join(DB_TITLES[d] for d in DATABASES) + " |",
           "|---|---|---|" + "---|" * len(DATABASES)]
    for key in order:
        c = cases[key]
        cells = [mark(c["results"][d]) if d in c["results"] else "—" for d in DATABASES]
        what = c["what"].replace("|", "\\|")
        out.append(f"| {key[0]} | {what} | {key[1]} | " + " | ".join(cells) + " |")
    return out


def summary_table(rows):
    out = ["| | " + " | ".join(DB_TITLES[d] for d in DATABASES) + " |",
           "|---|" + "---|" * len(DATABASES)]
    for kind, title, _ in KINDS:
        cells = []
        for d in DATABASES:
            sel = [r for r in rows if r["kind"] == kind and r["db"] == d]
            ran = [r for r in sel if r["result"] != "not run"]
            ok = [r for r in ran if r["result"] == "passed"]
            cell = f"{len(ok)} of {len(ran)} passed" if ran else "—"
            if len(sel) > len(ran):
                cell += f", {len(sel) - len(ran)} not run"
            cells.append(cell)
        out.append(f"| {title.lower()} | " + " | ".join(cells) + " |")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", required=True)
    ap.add_argument("--fuzz", required=True)
    ap.add_argument("--fuzz-seconds", default="10")
    ap.add_argument("--mode", default="default", help="default, or sanitize and/or valgrind")
    ap.add_argument("--totals", default="")
    ap.add_argument("--versions", default="")
    ap.add_argument("--command", default="./run-tests")
    ap.add_argument("--status", default="0", help="./run-tests' exit status so far")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    rows = read_rows(a.rows)
    fuzz = read_fuzz(a.fuzz)
    kept = kept_checker_rows(a.out)
    modes = a.mode.split(",")
    today = datetime.date.today().isoformat()
    passed, failed = (a.totals.split() + ["?", "?"])[:2]
    cores = os.cpu_count()
    distro = ""
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            distro = m.group(1) if m else ""

    md = ["# Reliability", "",
          "What strata does with bad input, faults, races and hostile transports, case by case, "
          "on each database. This file is written by `./run-tests` from the rows its tests "
          "record (`rel_begin` / `rel_end` in tests/cli/testlib.sh); run it to reproduce every "
          "line. Exit statuses are those of [the guide](guide.md#exit-status).", "",
          f"Last run: {today}, `{a.command}` on "
          f"{cores} cores, {distro or platform.system()}; {a.versions}. The whole suite: "
          f"{passed} passed, {failed} failed{'' if a.status == '0' else ' (and a later step failed)'}.", "",
          "## Summary", ""]
    md += summary_table(rows)
    for kind, title, text in KINDS:
        sel = [r for r in rows if r["kind"] == kind]
        md += ["", f"## {title}", "", text, ""]
        if kind == "bad-input":
            cases = {r["case"] for r in sel}
            md += [f"{len(cases)} cases, {len(sel)} runs over the databases.", ""]
        md += case_table(sel) if sel else ["(no rows recorded)"]

    md += ["", "## Memory checkers", "",
           "| checker | command | what runs | last result |", "|---|---|---|---|"]
    for mode, title, command, what in CHECKERS:
        if mode in modes:
            result = f"{passed} passed, {failed} failed ({today})"
            if a.status != "0":
                result = "**FAILED**: " + result
            elif mode == "valgrind":
                result = "every CUnit program clean; " + result
            md.append(f"| {title} | {command} | {what} | {result} |")
        elif mode in kept:
            md.append(kept[mode])
        else:
            md.append(f"| {title} | {command} | {what} | not run yet |")

    md += ["", "## Fuzzing", "",
           f"libFuzzer targets (tests/fuzz/, built with clang and ASan/UBSan), each run for "
           f"{a.fuzz_seconds} s on its seed corpus by this run (`./run-tests --fuzz`: 300 s each); "
           "a crash becomes a regression input in the corpus.", "",
           "| target | executions | result |", "|---|---|---|"]
    for target, runs, result in fuzz:
        md.append(f"| {target} | {runs} | {result} |")
    if not fuzz:
        md.append("| (not run) | | |")
    md.append("")
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
