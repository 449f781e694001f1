/*
 * strata.conf and settings resolution (settings.h, docs/configuration.md).
 *
 * inih does the INI syntax; a reader of our own feeds it one line at a time, which gives
 * every handler call its line number (inih's handler has none in its default build) and
 * makes the dialect independent of how libinih was built: leading blanks are dropped (so
 * an indented line is never a multi-line continuation), a UTF-8 BOM and CRs are removed,
 * and a line longer than inih's buffer is refused instead of split in two.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include <strata/driver.h>
#include <strata/strata.h>
#include <strata/types.h>

#include <strata/settings.h>
#include "guard.h"
#include "url.h"
#include "util.h"

/* inih truncates section names and keys at 49 bytes: longer ones are refused. */
#define CFG_NAME_MAX 48
/* Longest ${NAME} variable name, and largest file read. */
#define CFG_VAR_MAX 128
#define CFG_FILE_MAX (1024 * 1024)
#define CFG_TABLE_MAX 60
/* Room for a problem description, which may quote a whole strata_error message. */
#define CFG_PROBLEM_MAX (sizeof(((strata_error *)0)->message) + 64)

#define PLACEHOLDER_PREFIX "placeholder."

#define DURATION_HELP "a duration like 30s, 500ms, 2m or forever"
#define MALFORMED_LINE "expected key = value, [environment] or a comment starting with # or ;"

/* ------------------------------------------------------------------ the parsed file */

enum cfg_kind {
    KIND_TEXT,     /* any non-empty text */
    KIND_URL,      /* a database URL */
    KIND_TABLE,    /* a history table name */
    KIND_DURATION, /* strata_parse_duration */
    KIND_BOOL,     /* true or false */
    KIND_SEVERITY, /* off, notice, warning or error: 0 to 3 */
    KIND_ANY       /* anything, even empty (placeholder values) */
};

enum cfg_key {
    KEY_URL,
    KEY_DIR,
    KEY_TABLE,
    KEY_SCHEMA,
    KEY_LOCK_TIMEOUT,
    KEY_DRIVER_DIR,
    KEY_OUT_OF_ORDER,
    KEY_PLACEHOLDERS,
    KEY_LINT,
    KEY_DUMP_AFTER_UP,
    KEY_COUNT
};

static const struct {
    const char *name;
    enum cfg_kind kind;
} cfg_keys[KEY_COUNT] = {
    [KEY_URL] = {"url", KIND_URL},
    [KEY_DIR] = {"dir", KIND_TEXT},
    [KEY_TABLE] = {"table", KIND_TABLE},
    [KEY_SCHEMA] = {"schema", KIND_TEXT},
    [KEY_LOCK_TIMEOUT] = {"lock_timeout", KIND_DURATION},
    [KEY_DRIVER_DIR] = {"driver_dir", KIND_TEXT},
    [KEY_OUT_OF_ORDER] = {"allow_out_of_order", KIND_BOOL},
    [KEY_PLACEHOLDERS] = {"placeholders", KIND_BOOL},
    [KEY_LINT] = {"lint", KIND_SEVERITY},
    [KEY_DUMP_AFTER_UP] = {"dump_after_up", KIND_TEXT},
};

#define KEY_LIST                                                                                   \
    "url, dir, table, schema, lock_timeout, driver_dir, allow_out_of_order, placeholders, lint, "  \
    "dump_after_up and placeholder.NAME"

/* A value as written in the file. raw is NULL when the key was not given. */
typedef struct cfg_value {
    char *raw;
    int line;
} cfg_value;

typedef struct cfg_placeholder {
    char *name;
    cfg_value value;
} cfg_placeholder;

typedef struct cfg_env {
    char *name;
    int line; /* of its first [name] */
    cfg_value keys[KEY_COUNT];
    cfg_placeholder *placeholders;
    size_t nplaceholders;
} cfg_env;

/* A [fleet NAME] section: its entries in file order (a key may come many times). */
typedef struct cfg_fleet {
    char *name;
    int line;
    char **keys;
    cfg_value *values;
    size_t count;
} cfg_fleet;

/* The keys a [fleet NAME] section takes. */
static const char *const fleet_keys[] = {"url",           "env",           "targets", "control",
                                         "targets_query", "schemas_query", NULL};

struct strata_config {
    char *path; /* as given, for messages (also when the file was missing) */
    int found;
    cfg_value default_env;
    cfg_env *envs;
    size_t nenvs;
    cfg_fleet *fleets;
    size_t nfleets;
};

static cfg_fleet *
cfg_find_fleet(const strata_config *cfg, const char *name)
{
    for (size_t i = 0; cfg != NULL && i < cfg->nfleets; i++)
        if (strcmp(cfg->fleets[i].name, name) == 0)
            return &cfg->fleets[i];
    return NULL;
}

static cfg_env *
cfg_find_env(const strata_config *cfg, const char *name)
{
    for (size_t i = 0; cfg != NULL && i < cfg->nenvs; i++)
        if (strcmp(cfg->envs[i].name, name) == 0)
            return &cfg->envs[i];
    return NULL;
}

/* Appends "a, b, c" (the environment names) to b, or "no environments". */
static void
cfg_list_envs(const strata_config *cfg, strata_buf *b)
{
    if (cfg == NULL || cfg->nenvs == 0) {
        strata_buf_puts(b, "no environments");
        return;
    }
    for (size_t i = 0; i < cfg->nenvs; i++)
        strata_buf_printf(b, "%s%s", i > 0 ? ", " : "", cfg->envs[i].name);
}

void
strata_config_free(strata_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->nenvs; i++) {
        cfg_env *e = &cfg->envs[i];
        for (int k = 0; k < KEY_COUNT; k++)
            free(e->keys[k].raw);
        for (size_t j = 0; j < e->nplaceholders; j++) {
            free(e->placeholders[j].name);
            free(e->placeholders[j].value.raw);
        }
        free(e->placeholders);
        free(e->name);
    }
    free(cfg->envs);
    for (size_t i = 0; i < cfg->nfleets; i++) {
        cfg_fleet *f = &cfg->fleets[i];
        for (size_t k = 0; k < f->count; k++) {
            free(f->keys[k]);
            free(f->values[k].raw);
        }
        free(f->keys);
        free(f->values);
        free(f->name);
    }
    free(cfg->fleets);
    free(cfg->default_env.raw);
    free(cfg->path);
    free(cfg);
}

const char *
strata_config_path(const strata_config *cfg)
{
    return cfg != NULL && cfg->found ? cfg->path : NULL;
}

size_t
strata_config_env_count(const strata_config *cfg)
{
    return cfg != NULL ? cfg->nenvs : 0;
}

const char *
strata_config_env_name(const strata_config *cfg, size_t i)
{
    return cfg != NULL && i < cfg->nenvs ? cfg->envs[i].name : NULL;
}

/* ------------------------------------------------------------------ values */

/* The environment as settings.h describes it. */
typedef struct cfg_lookup {
    strata_getenv_fn fn;
    void *ctx;
} cfg_lookup;

/* The variable's value, or NULL when unset; "" stays "" (callers decide). */
static const char *
cfg_lookup_raw(const cfg_lookup *lk, const char *name)
{
    return lk->fn != NULL ? lk->fn(lk->ctx, name) : getenv(name);
}

/* The variable's value, or NULL when unset or empty. */
static const char *
cfg_var(const cfg_lookup *lk, const char *name)
{
    const char *v = cfg_lookup_raw(lk, name);
    return v != NULL && *v != '\0' ? v : NULL;
}

static int
given(const char *s)
{
    return s != NULL && *s != '\0';
}

enum subst_result {
    SUBST_OK,
    SUBST_DEFERRED,  /* (no lookup) the value uses variables: only its syntax was checked */
    SUBST_MALFORMED, /* a "${" that starts no ${NAME} or ${NAME:-default} */
    SUBST_UNSET,     /* ${NAME} without default, NAME unset */
    SUBST_EMPTY      /* ${NAME} without default, NAME empty */
};

static int
is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/*
 * Substitutes ${NAME} and ${NAME:-default} in raw into out ("$${" writes "${"). With lk
 * NULL only the syntax is checked and SUBST_DEFERRED returned when a variable is used.
 * On SUBST_UNSET and SUBST_EMPTY, var receives the variable's name. *used is set when
 * raw uses a variable.
 */
static int
cfg_subst(const char *raw, const cfg_lookup *lk, strata_buf *out, char var[CFG_VAR_MAX + 1],
          int *used)
{
    const char *p = raw;
    *used = 0;
    while (*p != '\0') {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            strata_buf_append(out, "${", 2);
            p += 3;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            strata_buf_append(out, p, 1);
            p++;
            continue;
        }
        const char *name = p + 2, *q = name;
        if (!is_name_start(*q))
            return SUBST_MALFORMED;
        while (is_name_char(*q))
            q++;
        size_t n = (size_t)(q - name);
        if (n > CFG_VAR_MAX)
            return SUBST_MALFORMED;
        const char *def = NULL, *end;
        if (q[0] == ':' && q[1] == '-') {
            def = q + 2;
            end = strchr(def, '}');
        } else {
            end = *q == '}' ? q : NULL;
        }
        if (end == NULL)
            return SUBST_MALFORMED;
        *used = 1;
        p = end + 1;
        if (lk == NULL)
            continue;
        memcpy(var, name, n);
        var[n] = '\0';
        const char *v = cfg_lookup_raw(lk, var);
        if (v != NULL && *v != '\0')
            strata_buf_puts(out, v);
        else if (def != NULL)
            strata_buf_append(out, def, (size_t)(end - def));
        else
            return v == NULL ? SUBST_UNSET : SUBST_EMPTY;
    }
    return lk == NULL && *used ? SUBST_DEFERRED : SUBST_OK;
}

static int
valid_table_name(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > CFG_TABLE_MAX)
        return 0;
    for (; *t != '\0'; t++)
        if (!is_name_char(*t))
            return 0;
    return 1;
}

/* Parses a boolean; -1 when text is none. */
static int
parse_bool(const char *text)
{
    static const char *const yes[] = {"true", "yes", "on", "1", NULL};
    static const char *const no[] = {"false", "no", "off", "0", NULL};
    for (int i = 0; yes[i] != NULL; i++) {
        if (strata_strieq(text, yes[i]))
            return 1;
        if (strata_strieq(text, no[i]))
            return 0;
    }
    return -1;
}

/* Parses a lint severity (off 0, notice 1, warning 2, error 3); -1 when text is none. */
static int
parse_severity(const char *text)
{
    static const char *const words[] = {"off", "notice", "warning", "error", NULL};
    for (int i = 0; words[i] != NULL; i++)
        if (strata_strieq(text, words[i]))
            return i;
    return -1;
}

int
strata_parse_duration(const char *text, long *ms)
{
    if (text == NULL)
        return -1;
    if (strcmp(text, "forever") == 0) {
        *ms = -1;
        return 0;
    }
    /* Digits with an optional fraction: strtod alone would take "nan", "1e9" or " 5". */
    const char *p = text;
    size_t digits = strspn(p, "0123456789");
    p += digits;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        digits += frac;
        p += 1 + frac;
    }
    if (digits == 0)
        return -1;
    double v = strtod(text, NULL), scale;
    if (*p == '\0' || strcmp(p, "s") == 0)
        scale = 1000;
    else if (strcmp(p, "ms") == 0)
        scale = 1;
    else if (strcmp(p, "m") == 0)
        scale = 60000;
    else
        return -1;
    if (v * scale >= (double)LONG_MAX)
        return -1;
    *ms = (long)(v * scale);
    return 0;
}

/*
 * Checks value for kind. Returns 0 (with *number for durations and booleans), or -1 with
 * problem filled ("takes ..."), quoting value only when echo is set.
 */
static int
cfg_check(enum cfg_kind kind, const char *value, int echo, long *number, char *problem, size_t size)
{
    char quoted[160] = "";
    if (echo)
        snprintf(quoted, sizeof(quoted), ", not '%.120s'", value);
    *number = 0;
    if (kind == KIND_ANY)
        return 0;
    if (*value == '\0') {
        snprintf(problem, size, "is empty; give a value or remove the line");
        return -1;
    }
    switch (kind) {
    case KIND_URL: {
        /* The rest of the URL is for the driver serving its scheme to check, at connect. */
        char scheme[64];
        if (strata_url_scheme(value, scheme, sizeof(scheme)) != NULL)
            return 0;
        char red[512];
        strata_url_redact(value, red, sizeof(red));
        snprintf(problem, size,
                 "is not usable: '%s' has no scheme; expected SCHEME:PATH for a file database "
                 "or SCHEME://user@host/db for a server (`strata drivers` lists the schemes)",
                 red);
        return -1;
    }
    case KIND_TABLE:
        if (valid_table_name(value))
            return 0;
        snprintf(problem, size,
                 "takes a table name of letters, digits and _ (at most %d characters)%s",
                 CFG_TABLE_MAX, quoted);
        return -1;
    case KIND_DURATION:
        if (strata_parse_duration(value, number) == 0)
            return 0;
        snprintf(problem, size, "takes %s%s", DURATION_HELP, quoted);
        return -1;
    case KIND_BOOL:
        *number = parse_bool(value);
        if (*number >= 0)
            return 0;
        snprintf(problem, size, "takes true or false%s", quoted);
        return -1;
    case KIND_SEVERITY:
        *number = parse_severity(value);
        if (*number >= 0)
            return 0;
        snprintf(problem, size, "takes off, notice, warning or error%s", quoted);
        return -1;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ loading */

typedef struct cfg_parser {
    strata_config *cfg;
    const char *text; /* the whole file */
    size_t len;
    size_t pos;
    int line;         /* of the line last handed to inih */
    int err_line;     /* of the first error we found, 0: none */
    strata_error err; /* that error */
} cfg_parser;

/* Records an error at line unless one was recorded already. Returns 0 for inih. */
static int cfg_error(cfg_parser *p, int line, const char *fmt, ...) STRATA_PRINTF(3, 4);

static int
cfg_error(cfg_parser *p, int line, const char *fmt, ...)
{
    if (p->err_line != 0)
        return 0;
    char text[sizeof(p->err.message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    p->err_line = line;
    strata_fail(&p->err, STRATA_USAGE, "%s:%d: %s", p->cfg->path, line, text);
    return 0;
}

static int
valid_env_name(const char *s, size_t n)
{
    if (n == 0 || n > CFG_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_name_char(s[i]) && s[i] != '-')
            return 0;
    return 1;
}

/* A "[fleet NAME]" header: registers the fleet (once). */
static void
cfg_fleet_section(cfg_parser *p, const char *name, size_t len)
{
    while (len > 0 && *name == ' ')
        name++, len--;
    if (!valid_env_name(name, len)) {
        cfg_error(p, p->line,
                  "'%.*s' cannot name a fleet: use letters, digits, - and _ (at most %d "
                  "characters), as in [fleet tenants]",
                  (int)(len < 64 ? len : 64), name, CFG_NAME_MAX);
        return;
    }
    char *copy = strata_xstrndup(name, len);
    if (cfg_find_fleet(p->cfg, copy) != NULL) {
        free(copy);
        return;
    }
    strata_config *cfg = p->cfg;
    cfg->fleets = strata_xrealloc(cfg->fleets, (cfg->nfleets + 1) * sizeof(*cfg->fleets));
    cfg_fleet *f = &cfg->fleets[cfg->nfleets++];
    memset(f, 0, sizeof(*f));
    f->name = copy;
    f->line = p->line;
}

/* A "[name]" line (without leading blanks): checks the name and registers the environment. */
static void
cfg_section(cfg_parser *p, const char *s, size_t n)
{
    const char *close = memchr(s, ']', n);
    if (close == NULL) {
        cfg_error(p, p->line, "a section header needs a closing ], as in [production]");
        return;
    }
    const char *after = close + 1, *end = s + n;
    while (after < end && (*after == ' ' || *after == '\t'))
        after++;
    if (after < end && *after != ';' && *after != '#') {
        cfg_error(p, p->line, "unexpected text after ]; only a comment (; or #) may follow");
        return;
    }
    const char *name = s + 1;
    size_t len = (size_t)(close - name);
    if (len > 6 && memcmp(name, "fleet ", 6) == 0) {
        cfg_fleet_section(p, name + 6, len - 6);
        return;
    }
    if (!valid_env_name(name, len)) {
        cfg_error(p, p->line,
                  "'%.*s' cannot name an environment: use letters, digits, - and _ (at most "
                  "%d characters)",
                  (int)(len < 64 ? len : 64), name, CFG_NAME_MAX);
        return;
    }
    if (len == strlen("strata") && memcmp(name, "strata", len) == 0)
        return;
    char *copy = strata_xstrndup(name, len);
    if (cfg_find_env(p->cfg, copy) != NULL) {
        free(copy);
        return;
    }
    strata_config *cfg = p->cfg;
    cfg->envs = strata_xrealloc(cfg->envs, (cfg->nenvs + 1) * sizeof(*cfg->envs));
    cfg_env *e = &cfg->envs[cfg->nenvs++];
    memset(e, 0, sizeof(*e));
    e->name = copy;
    e->line = p->line;
}

/* inih's reader: hands over the next line of the file, cleaned up as the top says. */
static char *
cfg_read_line(char *str, int num, void *stream)
{
    cfg_parser *p = stream;
    if (p->pos >= p->len || num < 2)
        return NULL;
    const char *s = p->text + p->pos;
    size_t rest = p->len - p->pos;
    const char *nl = memchr(s, '\n', rest);
    size_t n = nl != NULL ? (size_t)(nl - s) : rest;
    p->pos += nl != NULL ? n + 1 : n;
    p->line++;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (p->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    if (memchr(s, '\0', n) != NULL) {
        cfg_error(p, p->line, "the line holds a NUL byte; the file must be plain text");
        n = 0;
    } else if (num < 3 || n > (size_t)num - 3) {
        cfg_error(p, p->line,
                  "the line is longer than %d characters; put a long value in an environment "
                  "variable and write ${NAME} here",
                  num < 3 ? 0 : num - 3);
        n = 0;
    } else if (n > 0 && *s == '[') {
        cfg_section(p, s, n);
    }
    memcpy(str, s, n);
    str[n] = '\n';
    str[n + 1] = '\0';
    return str;
}

/* Checks a value's ${...} syntax and, when it uses no variable, the value itself. */
static int
cfg_check_literal(cfg_parser *p, const char *where, enum cfg_kind kind, const char *value)
{
    strata_buf b = {0};
    char var[CFG_VAR_MAX + 1];
    int used, rc = cfg_subst(value, NULL, &b, var, &used);
    int ok = 1;
    if (rc == SUBST_MALFORMED) {
        ok = cfg_error(p, p->line,
                       "%s has a malformed ${...}: write ${NAME} or ${NAME:-default} (NAME of "
                       "letters, digits and _), or $${ for a literal ${",
                       where);
    } else if (rc == SUBST_OK) {
        char problem[CFG_PROBLEM_MAX];
        long number;
        if (cfg_check(kind, b.data != NULL ? b.data : "", 1, &number, problem, sizeof(problem)) !=
            0)
            ok = cfg_error(p, p->line, "%s %s", where, problem);
    }
    strata_buf_free(&b);
    return ok;
}

/* Stores value in *slot, refusing a second one for the same key. */
static int
cfg_store(cfg_parser *p, cfg_value *slot, const char *where, const char *value)
{
    if (slot->raw != NULL)
        return cfg_error(p, p->line, "%s is set twice (first on line %d); keep one", where,
                         slot->line);
    slot->raw = strata_xstrdup(value);
    slot->line = p->line;
    return 1;
}

static int
cfg_placeholder_key(cfg_parser *p, cfg_env *e, const char *key, const char *value)
{
    const char *name = key + strlen(PLACEHOLDER_PREFIX);
    int ok = is_name_start(*name);
    for (const char *c = name; ok && *c != '\0'; c++)
        ok = is_name_char(*c);
    if (!ok)
        return cfg_error(p, p->line,
                         "'%s' in [%s]: a placeholder name is a letter or _ followed by "
                         "letters, digits and _, as in placeholder.schema_owner",
                         key, e->name);
    char where[CFG_NAME_MAX * 2 + 8];
    snprintf(where, sizeof(where), "%s.%s", e->name, key);
    cfg_placeholder *ph = NULL;
    for (size_t i = 0; i < e->nplaceholders; i++)
        if (strcmp(e->placeholders[i].name, name) == 0)
            ph = &e->placeholders[i];
    if (ph == NULL) {
        e->placeholders =
            strata_xrealloc(e->placeholders, (e->nplaceholders + 1) * sizeof(*e->placeholders));
        ph = &e->placeholders[e->nplaceholders++];
        ph->name = strata_xstrdup(name);
        ph->value.raw = NULL;
    }
    if (!cfg_store(p, &ph->value, where, value))
        return 0;
    return cfg_check_literal(p, where, KIND_ANY, value);
}

/* A key of a [fleet NAME] section: kept in file order, its ${...} syntax checked. */
static int
cfg_fleet_key(cfg_parser *p, const char *name, const char *key, const char *value)
{
    cfg_fleet *f = cfg_find_fleet(p->cfg, name);
    if (f == NULL)
        return cfg_error(p, p->line, "internal error: section [fleet %s] was not seen", name);
    int known = 0;
    for (const char *const *k = fleet_keys; *k != NULL; k++)
        known |= strcmp(key, *k) == 0;
    if (!known)
        return cfg_error(p, p->line,
                         "unknown key '%s' in [fleet %s]; the keys are url, env, targets, "
                         "control, targets_query and schemas_query",
                         key, name);
    f->keys = strata_xrealloc(f->keys, (f->count + 1) * sizeof(*f->keys));
    f->values = strata_xrealloc(f->values, (f->count + 1) * sizeof(*f->values));
    f->keys[f->count] = strata_xstrdup(key);
    f->values[f->count] = (cfg_value){.raw = strata_xstrdup(value), .line = p->line};
    f->count++;
    char where[CFG_NAME_MAX * 2 + 16];
    snprintf(where, sizeof(where), "fleet %s.%s", name, key);
    return cfg_check_literal(p, where, KIND_ANY, value);
}

/* A key before the first section or in [strata]. */
static int
cfg_top_key(cfg_parser *p, const char *section, const char *key, const char *value)
{
    if (strcmp(key, "default_env") != 0) {
        if (*section != '\0')
            return cfg_error(
                p, p->line, "unknown key '%s' in [strata]; the only key there is default_env", key);
        return cfg_error(p, p->line,
                         "'%s' must be inside an environment section such as [development]; "
                         "only default_env may come before the first section",
                         key);
    }
    if (!cfg_store(p, &p->cfg->default_env, "default_env", value))
        return 0;
    return cfg_check_literal(p, "default_env", KIND_TEXT, value);
}

static int
cfg_handler(void *user, const char *section, const char *key, const char *value)
{
    cfg_parser *p = user;
    if (p->err_line != 0)
        return 1;
    if (*key == '\0')
        return cfg_error(p, p->line, "a value without a key; write key = value");
    if (strpbrk(key, " \t") != NULL) /* "url sqlite:x.db": inih split at the ':' */
        return cfg_error(p, p->line, MALFORMED_LINE);
    if (strlen(key) > CFG_NAME_MAX)
        return cfg_error(p, p->line, "the key is longer than %d characters", CFG_NAME_MAX);
    if (value == NULL)
        value = "";
    if (*section == '\0' || strcmp(section, "strata") == 0)
        return cfg_top_key(p, section, key, value);
    if (strncmp(section, "fleet ", 6) == 0)
        return cfg_fleet_key(p, section + 6 + strspn(section + 6, " "), key, value);
    cfg_env *e = cfg_find_env(p->cfg, section);
    if (e == NULL) /* cfg_section registers every section inih reports */
        return cfg_error(p, p->line, "internal error: section [%s] was not seen", section);
    if (strcmp(key, "default_env") == 0)
        return cfg_error(p, p->line,
                         "default_env goes before the first section or in [strata], not in "
                         "[%s]",
                         e->name);
    if (strncmp(key, PLACEHOLDER_PREFIX, strlen(PLACEHOLDER_PREFIX)) == 0)
        return cfg_placeholder_key(p, e, key, value);
    for (int k = 0; k < KEY_COUNT; k++) {
        if (strcmp(key, cfg_keys[k].name) != 0)
            continue;
        char where[CFG_NAME_MAX * 2 + 8];
        snprintf(where, sizeof(where), "%s.%s", e->name, key);
        if (!cfg_store(p, &e->keys[k], where, value))
            return 0;
        return cfg_check_literal(p, where, cfg_keys[k].kind, value);
    }
    return cfg_error(p, p->line, "unknown key '%s' in [%s]; the keys are " KEY_LIST, key, e->name);
}

/* Reads the whole file into b. Returns 1 when read, 0 when missing, -1 on error. */
static int
cfg_read_file(const char *path, strata_buf *b, strata_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        strata_fail(err, STRATA_ERROR, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b->len <= CFG_FILE_MAX)
        strata_buf_append(b, chunk, n);
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (failed) {
        strata_fail(err, STRATA_ERROR, "cannot read %s: %s", path, strerror(saved));
        return -1;
    }
    if (b->len > CFG_FILE_MAX) {
        strata_fail(err, STRATA_USAGE, "%s is larger than %d bytes; is it the right file?", path,
                    CFG_FILE_MAX);
        return -1;
    }
    return 1;
}

/* Checks what needs the whole file: default_env must name a section. */
static int
cfg_finish(cfg_parser *p)
{
    const cfg_value *d = &p->cfg->default_env;
    if (d->raw == NULL || strstr(d->raw, "${") != NULL || cfg_find_env(p->cfg, d->raw) != NULL)
        return 1;
    strata_buf b = {0};
    cfg_list_envs(p->cfg, &b);
    cfg_error(p, d->line,
              "default_env names '%.64s', which is not a section of this file (it has %s)", d->raw,
              b.data);
    strata_buf_free(&b);
    return 0;
}

/* The body of strata_config_load(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_config_load_body(const char *path, strata_config **out, strata_error *err)
{
    *out = NULL;
    if (path == NULL)
        path = STRATA_CONFIG_FILE;
    strata_config *cfg = strata_xcalloc(1, sizeof(*cfg));
    cfg->path = strata_xstrdup(path);
    strata_buf text = {0};
    int status = STRATA_OK;
    int rc = cfg_read_file(path, &text, err);
    if (rc < 0) {
        status = err->status;
        goto fail;
    }
    cfg->found = rc;
    if (cfg->found) {
        cfg_parser p = {.cfg = cfg, .text = text.data != NULL ? text.data : "", .len = text.len};
        int at = ini_parse_stream(cfg_read_line, &p, cfg_handler, &p);
        if (at != 0 && (p.err_line == 0 || (at > 0 && at < p.err_line))) {
            p.err_line = 0;
            if (at > 0)
                cfg_error(&p, at, MALFORMED_LINE);
            else
                strata_fail(&p.err, STRATA_ERROR, "%s: inih could not parse it (error %d)", path,
                            at);
        }
        if (p.err_line == 0 && at == 0)
            cfg_finish(&p);
        if (p.err_line != 0 || at != 0) {
            *err = p.err;
            status = err->status;
            goto fail;
        }
    }
    strata_buf_free(&text);
    *out = cfg;
    return STRATA_OK;
fail:
    strata_buf_free(&text);
    strata_config_free(cfg);
    return status;
}

int
strata_config_load(const char *path, strata_config **out, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_config_load_body(path, out, err);
}

/* ------------------------------------------------------------------ resolution */

/* Resolved settings and every string they point to. */
typedef struct settings_box {
    strata_settings pub; /* first: strata_settings_free casts back */
    char **owned;
    size_t nowned;
    strata_placeholder *placeholders;
} settings_box;

/* Takes ownership of s (freed with the settings) and returns it. */
static const char *
box_keep(settings_box *b, char *s)
{
    b->owned = strata_xrealloc(b->owned, (b->nowned + 1) * sizeof(*b->owned));
    b->owned[b->nowned++] = s;
    return s;
}

static const char *
box_dup(settings_box *b, const char *s)
{
    return box_keep(b, strata_xstrdup(s));
}

void
strata_settings_free(strata_settings *s)
{
    if (s == NULL)
        return;
    settings_box *b = (settings_box *)s;
    for (size_t i = 0; i < b->nowned; i++)
        strata_wipe_free(b->owned[i]); /* URLs may hold a password: leave no copy behind */
    free(b->owned);
    free(b->placeholders);
    free(b);
}

/* Everything a resolution step needs. */
typedef struct resolver {
    const strata_config *cfg;
    const strata_settings_input *in;
    cfg_lookup lk;
    const cfg_env *env; /* the chosen environment, NULL: none */
    settings_box *box;
    strata_error *err;
} resolver;

/*
 * Substitutes the file value v (of the key called key, whose kind is kind) into *out,
 * owned by the box, and checks it. env_name is NULL for top-level keys.
 */
static int
resolve_file_value(resolver *r, const char *env_name, const char *key, enum cfg_kind kind,
                   const cfg_value *v, const char **out, long *number)
{
    char where[256], var[CFG_VAR_MAX + 1];
    if (env_name != NULL)
        snprintf(where, sizeof(where), "%s.%s in %s:%d", env_name, key, r->cfg->path, v->line);
    else
        snprintf(where, sizeof(where), "%s in %s:%d", key, r->cfg->path, v->line);
    strata_buf b = {0};
    int used, rc = cfg_subst(v->raw, &r->lk, &b, var, &used);
    if (rc == SUBST_UNSET || rc == SUBST_EMPTY) {
        strata_buf_free(&b);
        return strata_fail(r->err, STRATA_USAGE,
                           "%s uses ${%s}, which is %s; export it or give a default with "
                           "${%s:-...}",
                           where, var, rc == SUBST_UNSET ? "not set" : "empty", var);
    }
    if (rc != SUBST_OK) { /* cannot happen: strata_config_load checked the syntax */
        strata_buf_free(&b);
        return strata_fail(r->err, STRATA_USAGE, "%s has a malformed ${...}", where);
    }
    char *value = strata_buf_take(&b);
    if (value == NULL)
        value = strata_xstrdup("");
    box_keep(r->box, value);
    char problem[CFG_PROBLEM_MAX];
    if (cfg_check(kind, value, !used, number, problem, sizeof(problem)) != 0)
        return strata_fail(r->err, STRATA_USAGE, "%s%s %s", where,
                           used ? " (after substituting variables)" : "", problem);
    *out = value;
    return STRATA_OK;
}

static void
set_origin(resolver *r, strata_setting *s, strata_setting_source source, const char *origin)
{
    s->source = source;
    s->origin = box_dup(r->box, origin);
}

static const char *
file_origin(resolver *r, int line)
{
    return box_keep(r->box, strata_xasprintf("%s:%d", r->cfg->path, line));
}

/*
 * One setting: the flag (flag_name names it), else the variable var (may be NULL), else
 * the chosen environment's key, else def (may be NULL). Durations and booleans get their
 * number, and are checked whatever their source; other kinds are checked only from the
 * file (the engine checks flags and variables as before).
 */
static int
resolve_one(resolver *r, strata_setting *s, const char *flag, const char *flag_name,
            const char *var, enum cfg_key key, const char *def)
{
    enum cfg_kind kind = cfg_keys[key].kind;
    const char *v;
    memset(s, 0, sizeof(*s));
    if (flag != NULL && flag[0] == '\0')
        return strata_fail(r->err, STRATA_USAGE,
                           "%s was given an empty value (an unset variable in a script?); give "
                           "a value, or leave %s out to use %s",
                           flag_name, flag_name,
                           var != NULL ? "the environment, strata.conf or the default"
                                       : "strata.conf or the default");
    if (given(flag)) {
        s->value = box_dup(r->box, flag);
        set_origin(r, s, STRATA_FROM_FLAG, flag_name);
    } else if (var != NULL && (v = cfg_var(&r->lk, var)) != NULL) {
        s->value = box_dup(r->box, v);
        set_origin(r, s, STRATA_FROM_ENV, var);
    } else if (r->env != NULL && r->env->keys[key].raw != NULL) {
        const cfg_value *fv = &r->env->keys[key];
        int rc = resolve_file_value(r, r->env->name, cfg_keys[key].name, kind, fv, &s->value,
                                    &s->number);
        if (rc != STRATA_OK)
            return rc;
        s->source = STRATA_FROM_FILE;
        s->origin = file_origin(r, fv->line);
        return STRATA_OK;
    } else {
        s->value = def;
        set_origin(r, s, STRATA_FROM_DEFAULT, "default");
    }
    if (s->value == NULL || (kind != KIND_DURATION && kind != KIND_BOOL && kind != KIND_SEVERITY))
        return STRATA_OK;
    char problem[CFG_PROBLEM_MAX];
    if (cfg_check(kind, s->value, 1, &s->number, problem, sizeof(problem)) != 0)
        return strata_fail(r->err, STRATA_USAGE, "%s %s", s->origin, problem);
    return STRATA_OK;
}

/* Why no environment of that name: the message lists the file's environments. */
static int
unknown_env(resolver *r, const char *name, const char *origin)
{
    const strata_config *cfg = r->cfg;
    if (cfg == NULL || !cfg->found)
        return strata_fail(r->err, STRATA_USAGE,
                           "environment '%.64s' (from %s) needs a project file, but there is "
                           "no %s; create it with a [%.64s] section, or %s %s",
                           name, origin, cfg != NULL ? cfg->path : STRATA_CONFIG_FILE, name,
                           strcmp(origin, "--env") == 0 ? "leave out" : "unset", origin);
    strata_buf b = {0};
    cfg_list_envs(cfg, &b);
    strata_fail(r->err, STRATA_USAGE, "environment '%.64s' (from %s) is not in %s, which has %s%s",
                name, origin, cfg->path, cfg->nenvs > 0 ? "the environments " : "", b.data);
    strata_buf_free(&b);
    return STRATA_USAGE;
}

/* --env, else STRATA_ENV, else default_env, else [development], else none. */
static int
choose_env(resolver *r)
{
    strata_setting *s = &r->box->pub.env;
    const char *name, *v;
    if (given(r->in->env)) {
        name = s->value = box_dup(r->box, r->in->env);
        set_origin(r, s, STRATA_FROM_FLAG, "--env");
    } else if ((v = cfg_var(&r->lk, "STRATA_ENV")) != NULL) {
        name = s->value = box_dup(r->box, v);
        set_origin(r, s, STRATA_FROM_ENV, "STRATA_ENV");
    } else if (r->cfg != NULL && r->cfg->default_env.raw != NULL) {
        const cfg_value *d = &r->cfg->default_env;
        int rc = resolve_file_value(r, NULL, "default_env", KIND_TEXT, d, &s->value, &s->number);
        if (rc != STRATA_OK)
            return rc;
        name = s->value;
        s->source = STRATA_FROM_FILE;
        s->origin =
            box_keep(r->box, strata_xasprintf("default_env in %s:%d", r->cfg->path, d->line));
    } else if (cfg_find_env(r->cfg, "development") != NULL) {
        name = s->value = "development";
        set_origin(r, s, STRATA_FROM_DEFAULT, "default");
    } else {
        set_origin(r, s, STRATA_FROM_DEFAULT, "default");
        return STRATA_OK;
    }
    r->env = cfg_find_env(r->cfg, name);
    return r->env != NULL ? STRATA_OK : unknown_env(r, name, s->origin);
}

/* The placeholders of the chosen environment, when they are on. */
static int
resolve_placeholders(resolver *r)
{
    strata_settings *s = &r->box->pub;
    if (s->placeholders.number != 1 || r->env == NULL || r->env->nplaceholders == 0)
        return STRATA_OK;
    size_t n = r->env->nplaceholders;
    r->box->placeholders = strata_xcalloc(n, sizeof(*r->box->placeholders));
    for (size_t i = 0; i < n; i++) {
        const cfg_placeholder *ph = &r->env->placeholders[i];
        strata_placeholder *out = &r->box->placeholders[i];
        char *key = strata_xasprintf(PLACEHOLDER_PREFIX "%s", ph->name);
        long number;
        int rc =
            resolve_file_value(r, r->env->name, key, KIND_ANY, &ph->value, &out->value, &number);
        free(key);
        if (rc != STRATA_OK)
            return rc;
        out->name = box_dup(r->box, ph->name);
        out->origin = file_origin(r, ph->value.line);
    }
    s->placeholder_list = r->box->placeholders;
    s->nplaceholders = n;
    return STRATA_OK;
}

/* --password-file: the password for the connection, kept apart from the URL (the driver
 * that serves the URL decides where it goes). */
static int
resolve_password(resolver *r)
{
    strata_settings *s = &r->box->pub;
    const char *file = r->in->password_file;
    char *password = NULL;
    if (!given(file))
        return STRATA_OK;
    int rc = strata_password_from_file(file, &password, r->err);
    if (rc != STRATA_OK) {
        strata_error_prefix(r->err, "--password-file: ");
        return rc;
    }
    s->password = box_keep(r->box, password);
    s->password_origin = box_keep(r->box, strata_xasprintf("--password-file %s", file));
    return STRATA_OK;
}

/* The body of strata_config_resolve(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_config_resolve_body(const strata_config *cfg, const strata_settings_input *in,
                           strata_settings **out, strata_error *err)
{
    static const strata_settings_input none;
    *out = NULL;
    if (in == NULL)
        in = &none;
    settings_box *box = strata_xcalloc(1, sizeof(*box));
    resolver r = {.cfg = cfg, .in = in, .lk = {in->getenv, in->getenv_ctx}, .box = box, .err = err};
    strata_settings *s = &box->pub;
    if (strata_config_path(cfg) != NULL)
        s->config_path = box_dup(box, strata_config_path(cfg));
    int rc = choose_env(&r);
    if (rc == STRATA_OK)
        rc = resolve_one(&r, &s->url, in->database, "--database", "DATABASE_URL", KEY_URL,
                         STRATA_DEFAULT_URL);
    if (rc == STRATA_OK)
        rc = resolve_one(&r, &s->dir, in->dir, "--dir", "STRATA_DIR", KEY_DIR, STRATA_DEFAULT_DIR);
    if (rc == STRATA_OK)
        rc = resolve_one(&r, &s->table, in->table, "--table", "STRATA_TABLE", KEY_TABLE,
                         STRATA_DEFAULT_TABLE);
    if (rc == STRATA_OK)
        rc = resolve_one(&r, &s->schema, in->schema, "--schema", "STRATA_SCHEMA", KEY_SCHEMA, NULL);
    if (rc == STRATA_OK)
        rc = resolve_one(&r, &s->driver_dir, in->driver_dir, "--driver-dir", NULL, KEY_DRIVER_DIR,
                         NULL);
    if (rc == STRATA_OK)
        rc = resolve_one(&r, &s->lock_timeout, in->lock_timeout, "--lock-timeout",
                         "STRATA_LOCK_TIMEOUT", KEY_LOCK_TIMEOUT, STRATA_DEFAULT_LOCK_TIMEOUT);
    if (rc == STRATA_OK)
        rc = resolve_one(&r, &s->allow_out_of_order, in->allow_out_of_order ? "true" : NULL,
                         "--allow-out-of-order", NULL, KEY_OUT_OF_ORDER, "false");
    if (rc == STRATA_OK)
        rc = resolve_one(&r, &s->placeholders, NULL, NULL, NULL, KEY_PLACEHOLDERS, "false");
    if (rc == STRATA_OK)
        rc = resolve_one(&r, &s->lint, in->lint, "--lint", "STRATA_LINT", KEY_LINT, "off");
    if (rc == STRATA_OK)
        rc = resolve_one(&r, &s->dump_after_up, NULL, NULL, NULL, KEY_DUMP_AFTER_UP, NULL);
    if (rc == STRATA_OK)
        rc = resolve_placeholders(&r);
    if (rc == STRATA_OK)
        rc = resolve_password(&r);
    if (rc != STRATA_OK) {
        strata_settings_free(s);
        return rc;
    }
    *out = s;
    return STRATA_OK;
}

int
strata_config_resolve(const strata_config *cfg, const strata_settings_input *in,
                      strata_settings **out, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_config_resolve_body(cfg, in, out, err);
}

/* The body of strata_settings_resolve(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_settings_resolve_body(const strata_settings_input *in, strata_settings **out,
                             strata_error *err)
{
    static const strata_settings_input none;
    *out = NULL;
    if (in == NULL)
        in = &none;
    cfg_lookup lk = {in->getenv, in->getenv_ctx};
    const char *path = in->config_path, *named_by = NULL;
    if (given(path))
        named_by = "the configuration file";
    else if ((path = cfg_var(&lk, "STRATA_CONFIG")) != NULL)
        named_by = "STRATA_CONFIG";
    else
        path = STRATA_CONFIG_FILE;
    strata_config *cfg = NULL;
    int rc = strata_config_load(path, &cfg, err);
    if (rc != STRATA_OK)
        return rc;
    if (named_by != NULL && strata_config_path(cfg) == NULL)
        rc = strata_fail(err, STRATA_USAGE, "%s %s does not exist", named_by, path);
    else
        rc = strata_config_resolve(cfg, in, out, err);
    strata_config_free(cfg);
    return rc;
}

int
strata_settings_resolve(const strata_settings_input *in, strata_settings **out, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_settings_resolve_body(in, out, err);
}

/* ------------------------------------------------------------------ printing */

static void
print_setting(FILE *out, const char *label, const strata_setting *s, const char *none)
{
    fprintf(out, "strata: %s %s (%s)\n", label, s->value != NULL ? s->value : none, s->origin);
}

/* The body of strata_settings_print(), which opens the guard (guard.h). */
static void __attribute__((noinline))
strata_settings_print_body(FILE *out, const strata_settings *s)
{
    if (s->config_path != NULL)
        fprintf(out, "strata: config %s\n", s->config_path);
    else
        fprintf(out, "strata: config none\n");
    print_setting(out, "environment", &s->env, "none");
    size_t n = strata_url_redact(s->url.value, NULL, 0);
    char *red = strata_xmalloc(n + 1);
    strata_url_redact(s->url.value, red, n + 1);
    fprintf(out, "strata: database %s (%s%s%s)\n", red, s->url.origin,
            s->password_origin != NULL ? ", password from " : "",
            s->password_origin != NULL ? s->password_origin : "");
    free(red);
    print_setting(out, "dir", &s->dir, "none");
    print_setting(out, "table", &s->table, "none");
    print_setting(out, "schema", &s->schema, "the database's default");
    print_setting(out, "driver_dir", &s->driver_dir, "none");
    print_setting(out, "lock_timeout", &s->lock_timeout, "none");
    print_setting(out, "allow_out_of_order", &s->allow_out_of_order, "false");
    print_setting(out, "placeholders", &s->placeholders, "false");
    print_setting(out, "lint", &s->lint, "off");
    print_setting(out, "dump_after_up", &s->dump_after_up, "none");
    for (size_t i = 0; i < s->nplaceholders; i++)
        fprintf(out, "strata: placeholder %s (%s)\n", s->placeholder_list[i].name,
                s->placeholder_list[i].origin);
}

void
strata_settings_print(FILE *out, const strata_settings *s)
{
    STRATA_GUARD_VOID();
    strata_settings_print_body(out, s);
}

const char *
strata_default_url(void)
{
    return STRATA_DEFAULT_URL;
}

/* ------------------------------------------------------------------ passwords */

/* The body of strata_password_from_file(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_password_from_file_body(const char *path, char **out, strata_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return strata_fail(err, STRATA_ERROR, "cannot open %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    errno = 0;
    ssize_t n = getline(&line, &cap, f);
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (failed || n < 0) {
        if (line != NULL)
            strata_wipe(line, cap);
        free(line);
        if (failed)
            return strata_fail(err, STRATA_ERROR, "cannot read %s: %s", path, strerror(saved));
        return strata_fail(err, STRATA_USAGE, "%s is empty; write the password on its first line",
                           path);
    }
    if (n > 0 && line[n - 1] == '\n')
        n--;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    if (n == 0 || memchr(line, '\0', (size_t)n) != NULL) {
        strata_wipe(line, cap);
        free(line);
        return strata_fail(err, STRATA_USAGE,
                           n == 0 ? "%s has no password on its first line"
                                  : "%s holds a NUL byte; write the password as text on the "
                                    "first line",
                           path);
    }
    line[n] = '\0';
    *out = line;
    return STRATA_OK;
}

int
strata_password_from_file(const char *path, char **out, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_password_from_file_body(path, out, err);
}

size_t
strata_config_fleet_count(const strata_config *cfg)
{
    return cfg != NULL ? cfg->nfleets : 0;
}

const char *
strata_config_fleet_name(const strata_config *cfg, size_t i)
{
    return cfg != NULL && i < cfg->nfleets ? cfg->fleets[i].name : NULL;
}

static int
strata_config_fleet_body(const strata_config *cfg, const char *name, strata_getenv_fn getenv_fn,
                         void *ctx, strata_fleet_entry **out, size_t *count, strata_error *err)
{
    *out = NULL;
    *count = 0;
    const cfg_fleet *f = cfg_find_fleet(cfg, name);
    if (f == NULL) {
        strata_buf b = {0};
        for (size_t i = 0; cfg != NULL && i < cfg->nfleets; i++)
            strata_buf_printf(&b, "%s%s", i ? ", " : "", cfg->fleets[i].name);
        int rc = strata_fail(err, STRATA_USAGE, "no [fleet %s] in %s (%s%s)", name,
                             cfg != NULL && cfg->found ? cfg->path : "strata.conf",
                             b.len ? "its fleets: " : "it has no fleet", b.len ? b.data : "");
        strata_buf_free(&b);
        return rc;
    }
    cfg_lookup lk = {getenv_fn, ctx};
    strata_fleet_entry *e = strata_xcalloc(f->count + 1, sizeof(*e));
    for (size_t i = 0; i < f->count; i++) {
        strata_buf b = {0};
        char var[CFG_VAR_MAX + 1];
        int used, rc = cfg_subst(f->values[i].raw, &lk, &b, var, &used);
        if (rc != SUBST_OK) {
            strata_buf_free(&b);
            strata_config_fleet_free(e, i);
            return strata_fail(err, STRATA_USAGE,
                               "fleet %s.%s in %s:%d uses ${%s}, which is not set; export it "
                               "or give a default with ${%s:-...}",
                               name, f->keys[i], cfg->path, f->values[i].line, var, var);
        }
        e[i].key = strata_xstrdup(f->keys[i]);
        e[i].value = b.data ? strata_buf_take(&b) : strata_xstrdup("");
        e[i].line = f->values[i].line;
    }
    *out = e;
    *count = f->count;
    return STRATA_OK;
}

int
strata_config_fleet(const strata_config *cfg, const char *name, strata_getenv_fn getenv_fn,
                    void *ctx, strata_fleet_entry **out, size_t *count, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_config_fleet_body(cfg, name, getenv_fn, ctx, out, count, err);
}

void
strata_config_fleet_free(strata_fleet_entry *entries, size_t count)
{
    for (size_t i = 0; entries != NULL && i < count; i++) {
        free(entries[i].key);
        free(entries[i].value);
    }
    free(entries);
}

static int
strata_config_expand_body(const char *text, strata_getenv_fn getenv_fn, void *ctx, char **out,
                          strata_error *err)
{
    cfg_lookup lk = {getenv_fn, ctx};
    strata_buf b = {0};
    char var[CFG_VAR_MAX + 1];
    int used, rc = cfg_subst(text, &lk, &b, var, &used);
    *out = NULL;
    if (rc == SUBST_MALFORMED) {
        strata_buf_free(&b);
        return strata_fail(err, STRATA_USAGE,
                           "malformed ${...}: write ${NAME} or ${NAME:-default}, or $${ for a "
                           "literal ${");
    }
    if (rc != SUBST_OK) {
        strata_buf_free(&b);
        return strata_fail(err, STRATA_USAGE,
                           "${%s} is %s; export it or give a default with ${%s:-...}", var,
                           rc == SUBST_UNSET ? "not set" : "empty", var);
    }
    *out = b.data ? strata_buf_take(&b) : strata_xstrdup("");
    return STRATA_OK;
}

int
strata_config_expand(const char *text, strata_getenv_fn getenv_fn, void *ctx, char **out,
                     strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_config_expand_body(text, getenv_fn, ctx, out, err);
}
