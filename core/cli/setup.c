/*
 * What every command of the strata program does first and last: resolving the settings,
 * opening the session, printing progress events, and reporting errors with exit codes.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strata/settings.h>
#include <strata/strata.h>

#include "setup.h"

/* ------------------------------------------------------------------ configuration */

/*
 * Every setting from flags > environment variables > strata.conf > defaults (settings.h);
 * *out is freed with strata_settings_free.
 */
int
cli_resolve(const cli *c, strata_settings **out, strata_error *err)
{
    strata_settings_input in = {.database = c->database,
                                .dir = c->dir,
                                .table = c->table,
                                .schema = c->schema,
                                .driver_dir = c->driver_dir,
                                .lock_timeout = c->lock_timeout,
                                .allow_out_of_order = c->allow_out_of_order,
                                .env = c->env,
                                .password_file = c->password_file,
                                .config_path = c->config,
                                .lint = c->lint};
    int rc = strata_settings_resolve(&in, out, err);
    if (rc == STRATA_OK && c->verbose)
        strata_settings_print(stderr, *out);
    return rc;
}

/* ------------------------------------------------------------------ output */

int
cli_exit_code(int status)
{
    switch (status) {
    case STRATA_OK:
        return EXIT_OK;
    case STRATA_USAGE:
        return EXIT_USAGE;
    case STRATA_VALIDATION:
        return EXIT_VALIDATION;
    case STRATA_LOCK_TIMEOUT:
        return EXIT_LOCK_TIMEOUT;
    case STRATA_DIRTY:
        return EXIT_DIRTY;
    case STRATA_INTERRUPTED:
        return EXIT_INTERRUPTED;
    default:
        return EXIT_FAILURE_;
    }
}

int
cli_report_error_text(const cli *c, const strata_error *err)
{
    const char *red = c->color ? "\033[31m" : "", *reset = c->color ? "\033[0m" : "";
    fprintf(stderr, "strata: %serror%s: %s\n", red, reset, err->message);
    if (err->sqlstate[0] != '\0')
        fprintf(stderr, "  SQLSTATE %s\n", err->sqlstate);
    if (err->detail[0] != '\0')
        fprintf(stderr, "  detail: %s\n", err->detail);
    if (err->hint[0] != '\0')
        fprintf(stderr, "  hint: %s\n", err->hint);
    return cli_exit_code(err->status);
}

/* The error on standard error, and with --json also as a strata.error/1 document on
 * standard output: a --json command always prints one JSON document. */
int
cli_report_error(const cli *c, const strata_error *err)
{
    if (c->json)
        strata_report_error(stdout, err, STRATA_REPORT_JSON);
    return cli_report_error_text(c, err);
}

/* True when the last line of text holds a -- or # comment, so a ';' after it would be
 * swallowed by the comment. */
static int
ends_in_comment(const char *text)
{
    const char *last = strrchr(text, '\n');
    last = last ? last + 1 : text;
    return strstr(last, "--") != NULL || strchr(last, '#') != NULL;
}

/*
 * A progress bar on a terminal when many migrations run: one line redrawn in place
 * instead of a line per migration (which -v brings back).
 */
static struct {
    long total;
    long done;
    int active;
} progress;

static void
progress_draw(const strata_event *ev)
{
    enum { WIDTH = 30 };
    long filled = progress.total ? progress.done * WIDTH / progress.total : WIDTH;
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %ld/%ld %-40.40s", bar, progress.done, progress.total,
            ev->name ? ev->name : "");
    if (progress.done == progress.total)
        fputc('\n', stderr);
    fflush(stderr);
}

static void
print_event(void *ctx, const strata_event *ev)
{
    const cli *c = ctx;
    if (ev->type == STRATA_EVENT_PLAN) {
        progress.total = ev->statements;
        progress.done = 0;
        progress.active = !c->quiet && !c->verbose && ev->statements >= 10 && isatty(STDERR_FILENO);
        return;
    }
    if (progress.active && ev->type == STRATA_EVENT_MIGRATION_DONE) {
        progress.done++;
        progress_draw(ev);
        return;
    }
    if (progress.active && ev->type == STRATA_EVENT_MIGRATION_FAILED) {
        fputc('\n', stderr);
        progress.active = 0;
    }
    const char *dir = ev->direction == 'd' ? "down" : "up";
    switch (ev->type) {
    case STRATA_EVENT_MIGRATION_START:
        if (c->verbose)
            fprintf(stderr, "%-4s  %s %s (%s)...\n", dir, ev->version, ev->name, ev->file);
        break;
    case STRATA_EVENT_MIGRATION_DONE:
        if (!c->quiet)
            fprintf(stderr, "%-4s  %s %s  %lld ms, %ld statement(s)%s\n", dir, ev->version,
                    ev->name, ev->duration_ms, ev->statements,
                    ev->no_transaction ? ", no transaction" : "");
        break;
    case STRATA_EVENT_MIGRATION_FAILED:
        fprintf(stderr, "%-4s  %s %s  FAILED after %lld ms\n", dir, ev->version, ev->name,
                ev->duration_ms);
        break;
    case STRATA_EVENT_SQL:
        /* with --json, stdout carries only the JSON result */
        fprintf(c->json ? stderr : stdout, "-- %s %s %s (%s:%ld)\n%s%s;\n\n", dir, ev->version,
                ev->name, ev->file, ev->line, ev->text, ends_in_comment(ev->text) ? "\n" : "");
        break;
    case STRATA_EVENT_STATEMENT:
        if (c->verbose)
            fprintf(stderr, "      %s:%ld: %.*s%s\n", ev->file, ev->line,
                    (int)strcspn(ev->text, "\n"), ev->text, strchr(ev->text, '\n') ? " ..." : "");
        break;
    case STRATA_EVENT_PLAN:
        break;
    case STRATA_EVENT_NOTICE:
    case STRATA_EVENT_LOCK_WAIT:
        if (!c->quiet)
            fprintf(stderr, "strata: %s\n", ev->text);
        break;
    }
}

unsigned
cli_report_flags(const cli *c)
{
    return (c->json ? STRATA_REPORT_JSON : 0) | (c->color ? STRATA_REPORT_COLOR : 0);
}

/* ------------------------------------------------------------------ sessions */

/* Fills o from the settings; the caller frees o->placeholders (NULL when off). */
void
cli_options_from(cli *c, const strata_settings *set, int read_only, strata_options *o)
{
    strata_options_init(o);
    o->database_url = set->url.value;
    o->password = set->password;
    o->read_only = read_only;
    o->dir = set->dir.value;
    o->table = set->table.value;
    o->schema = set->schema.value;
    o->driver_dir = set->driver_dir.value;
    o->lock_timeout_ms = set->lock_timeout.number;
    o->connect_timeout_ms = c->connect_timeout_ms;
    o->allow_out_of_order = (int)set->allow_out_of_order.number;
    o->on_event = print_event;
    o->event_ctx = c;
    if (set->placeholders.number) { /* opt-in: strata.conf's placeholders = true */
        const char **pairs = calloc(2 * set->nplaceholders + 1, sizeof(*pairs));
        for (size_t i = 0; pairs != NULL && i < set->nplaceholders; i++) {
            pairs[2 * i] = set->placeholder_list[i].name;
            pairs[2 * i + 1] = set->placeholder_list[i].value;
        }
        o->placeholders = pairs;
    }
}

/* Opens the session the settings describe (strata_open copies what it keeps). */
int
cli_open_with(cli *c, const strata_settings *set, int read_only, strata **s, strata_error *err)
{
    strata_options o;
    cli_options_from(c, set, read_only, &o);
    int rc = strata_open(&o, s, err);
    free((void *)o.placeholders);
    return rc;
}

/* Opens the session; read_only: the command only reads, so nothing may be created. */
int
cli_open_session(cli *c, int read_only, strata **s, strata_error *err)
{
    strata_settings *set = NULL;
    *s = NULL;
    int rc = cli_resolve(c, &set, err);
    if (rc == STRATA_OK) {
        static char dump_path[4096]; /* outlives the settings, as c does */
        c->lint_level = set->lint.number;
        c->dump_after_up = NULL;
        if (set->dump_after_up.value != NULL) {
            snprintf(dump_path, sizeof(dump_path), "%s", set->dump_after_up.value);
            c->dump_after_up = dump_path;
        }
    }
    if (rc == STRATA_OK)
        rc = cli_open_with(c, set, read_only, s, err);
    strata_settings_free(set);
    if (rc == STRATA_OK && c->verbose)
        fprintf(stderr, "strata: %s (%s)\n", strata_redacted_url(*s), strata_server_version(*s));
    return rc;
}

int
cli_no_arguments(const cli *c)
{
    if (c->nargs == 0)
        return 0;
    fprintf(stderr, "strata: `%s` takes no argument ('%s' given); see `strata %s --help`\n",
            c->command, c->args[0], c->command);
    return 1;
}

/* Fills err with status and a printf-style message; returns status. */
int
cli_fail(strata_error *err, int status, const char *fmt, ...)
{
    va_list ap;
    strata_error_init(err);
    err->status = status;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return status;
}

static void
on_stop_signal(int sig)
{
    (void)sig;
    strata_cancel();
}

void
cli_stop_on_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
