/*
 * `strata lint` and the lint gate of `up --lint` (docs/lint.md).
 */
#ifndef STRATA_CLI_LINTCMD_H
#define STRATA_CLI_LINTCMD_H

#include <strata/strata.h>

#include "options.h"

/* strata lint: prints the report; EXIT_VALIDATION when a finding not suppressed is at or
 * above --fail-on (default error). */
int cmd_lint(cli *c);

/* Before up runs: when the lint setting (c->lint_level, from --lint or strata.conf) is on,
 * lints the pending migrations of s and refuses (the findings on standard error,
 * EXIT_VALIDATION) when any is at or above it. EXIT_OK to go on. */
int cli_lint_gate(cli *c, strata *s);

#endif
