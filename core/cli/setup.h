/*
 * What every command of the strata program does first and last: resolving the settings,
 * opening the session, printing progress events, and reporting errors with exit codes.
 */
#ifndef STRATA_CLI_SETUP_H
#define STRATA_CLI_SETUP_H

#include <strata/settings.h>
#include <strata/strata.h>

#include "options.h"

/*
 * Every setting from flags > environment variables > strata.conf > defaults (settings.h);
 * *out is freed with strata_settings_free.
 */
int cli_resolve(const cli *c, strata_settings **out, strata_error *err);
/* The documented exit code of a strata status. */
int cli_exit_code(int status);
/* The error on standard error; returns its exit code. */
int cli_report_error_text(const cli *c, const strata_error *err);
/* The error on standard error, and with --json also as a strata.error/1 document on
 * standard output; returns its exit code. */
int cli_report_error(const cli *c, const strata_error *err);
/* STRATA_REPORT_* flags of c (--json, colour). */
unsigned cli_report_flags(const cli *c);
/* Fills o from the settings; the caller frees o->placeholders (NULL when off). */
void cli_options_from(cli *c, const strata_settings *set, int read_only, strata_options *o);
/* Opens the session the settings describe (strata_open copies what it keeps). */
int cli_open_with(cli *c, const strata_settings *set, int read_only, strata **s, strata_error *err);
/* Opens the session; read_only: the command only reads, so nothing may be created. *s is
 * closed with strata_close. */
int cli_open_session(cli *c, int read_only, strata **s, strata_error *err);
/* True (after saying so) when the command was given arguments it does not take. */
int cli_no_arguments(const cli *c);
/* From now on SIGINT and SIGTERM ask the library to stop (strata_cancel) instead of killing
 * the process: the command stops at the next statement or migration and reports. */
void cli_stop_on_signals(void);
/* Fills err with status and a printf-style message; returns status. */
int cli_fail(strata_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
