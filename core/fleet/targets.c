/*
 * A fleet's targets (docs/fleet.md): from a file of URLs, or a [fleet NAME] section of
 * strata.conf (URLs, environments, files, a control database's query, a database's
 * schemas); and a deterministic share of them (--shard).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strata/settings.h>

#include "guard.h"
#include "session.h"
#include "url.h"
#include "util.h"

/* "host:port" of a server URL (scheme://[userinfo@]host[:port]/...), else "". */
static char *
server_of(const char *url)
{
    const char *p = strstr(url, "://");
    if (p == NULL)
        return strata_xstrdup("");
    p += 3;
    const char *end = p + strcspn(p, "/?");
    const char *at = NULL;
    for (const char *c = p; c < end; c++)
        if (*c == '@')
            at = c;
    if (at != NULL)
        p = at + 1;
    return strata_xstrndup(p, (size_t)(end - p));
}

/* Adds url (and schema) to f unless it is there already. */
static void
add_target(strata_fleet *f, const char *url, const char *schema)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->items[i].url, url) == 0 && ((schema == NULL && f->items[i].schema == NULL) ||
                                                  (schema != NULL && f->items[i].schema != NULL &&
                                                   strcmp(schema, f->items[i].schema) == 0)))
            return;
    if (f->count % 64 == 0)
        f->items = strata_xrealloc(f->items, (f->count + 64) * sizeof(*f->items));
    strata_fleet_target *t = &f->items[f->count++];
    memset(t, 0, sizeof(*t));
    t->url = strata_xstrdup(url);
    t->schema = schema ? strata_xstrdup(schema) : NULL;
    size_t n = strata_url_redact(url, NULL, 0);
    char *red = strata_xmalloc(n + 1);
    strata_url_redact(url, red, n + 1);
    t->label = schema ? strata_xasprintf("%s schema %s", red, schema) : strata_xstrdup(red);
    free(red);
    t->server = server_of(url);
}

/* The lines of a targets file: one URL each, blank lines and # comments skipped, ${VAR}. */
static int
read_targets_file(strata_fleet *f, const char *path, strata_error *err)
{
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return strata_fail(err, STRATA_USAGE, "cannot read the targets file %s: %s", path,
                           strerror(errno));
    char line[8192];
    long n = 0;
    int rc = STRATA_OK;
    while (rc == STRATA_OK && fgets(line, sizeof(line), in) != NULL) {
        n++;
        char *s = line + strspn(line, " \t");
        s[strcspn(s, "\r\n")] = '\0';
        for (size_t k = strlen(s); k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'); k--)
            s[k - 1] = '\0';
        if (*s == '\0' || *s == '#')
            continue;
        char *url = NULL;
        rc = strata_config_expand(s, NULL, NULL, &url, err);
        if (rc != STRATA_OK)
            strata_error_prefix(err, "%s:%ld: ", path, n);
        else
            add_target(f, url, NULL);
        free(url);
    }
    fclose(in);
    return rc;
}

/* ------------------------------------------------------------------ queries */

typedef struct rows {
    strata_fleet *fleet;
    const char *url; /* schemas: the database they are in; NULL: rows are URLs */
} rows;

static int
take_row(void *ctx, int ncols, const char *const *v)
{
    rows *r = ctx;
    if (ncols < 1 || v[0] == NULL || v[0][0] == '\0')
        return 0;
    if (r->url != NULL)
        add_target(r->fleet, r->url, v[0]);
    else
        add_target(r->fleet, v[0], NULL);
    return 0;
}

/* Runs sql on the database at url, each row's first value a target (or a schema of url). */
static int
query_targets(strata_fleet *f, const strata_options *base, const char *url, const char *sql,
              int schemas, strata_error *err)
{
    strata_options o;
    strata_options_init(&o);
    o.database_url = url;
    o.read_only = 1;
    if (base != NULL) {
        o.driver_dir = base->driver_dir;
        o.password = base->password;
    }
    strata *s = NULL;
    int rc = strata_open(&o, &s, err);
    rows r = {f, schemas ? url : NULL};
    if (rc == STRATA_OK)
        rc = strata_session_query(s, sql, take_row, &r, err);
    if (rc != STRATA_OK)
        strata_error_prefix(err, "%s (%s): ", schemas ? "schemas_query" : "targets_query",
                            s ? strata_redacted_url(s) : "its database");
    strata_close(s);
    return rc;
}

/* ------------------------------------------------------------------ [fleet NAME] */

/* The url of the environment env of config. */
static int
env_url(const strata_config *config, const char *env, char **out, strata_error *err)
{
    strata_settings_input in = {.env = env};
    strata_settings *set = NULL;
    int rc = strata_config_resolve(config, &in, &set, err);
    if (rc == STRATA_OK)
        *out = strata_xstrdup(set->url.value);
    strata_settings_free(set);
    return rc;
}

static int
from_section(strata_fleet *f, const strata_fleet_source *src, strata_error *err)
{
    strata_fleet_entry *e = NULL;
    size_t n = 0;
    int rc = strata_config_fleet(src->config, src->name, NULL, NULL, &e, &n, err);
    const char *control = NULL, *database = NULL;
    for (size_t i = 0; rc == STRATA_OK && i < n; i++) {
        const char *key = e[i].key, *value = e[i].value;
        if (strcmp(key, "url") == 0) {
            add_target(f, value, NULL);
            database = database ? database : value;
        } else if (strcmp(key, "env") == 0) {
            char *url = NULL;
            rc = env_url(src->config, value, &url, err);
            if (rc == STRATA_OK)
                add_target(f, url, NULL);
            free(url);
        } else if (strcmp(key, "targets") == 0) {
            rc = read_targets_file(f, value, err);
        } else if (strcmp(key, "control") == 0) {
            control = value;
        } else if (strcmp(key, "targets_query") == 0) {
            rc = control ? query_targets(f, src->base, control, value, 0, err)
                         : strata_fail(err, STRATA_USAGE,
                                       "[fleet %s] targets_query needs control = URL before it "
                                       "(the database to run it on)",
                                       src->name);
        } else if (strcmp(key, "schemas_query") == 0) {
            rc = database ? query_targets(f, src->base, database, value, 1, err)
                          : strata_fail(err, STRATA_USAGE,
                                        "[fleet %s] schemas_query needs url = URL before it (the "
                                        "database whose schemas are the targets)",
                                        src->name);
            if (rc == STRATA_OK) { /* the database itself is no target: its schemas are */
                for (size_t k = 0; k < f->count; k++)
                    if (f->items[k].schema == NULL && strcmp(f->items[k].url, database) == 0) {
                        strata_fleet_target t = f->items[k];
                        memmove(&f->items[k], &f->items[k + 1],
                                (f->count - k - 1) * sizeof(*f->items));
                        f->count--;
                        free(t.url), free(t.label), free(t.server), free(t.schema);
                        break;
                    }
            }
        }
    }
    strata_config_fleet_free(e, n);
    return rc;
}

static int
strata_fleet_resolve_body(const strata_fleet_source *src, strata_fleet **out, strata_error *err)
{
    *out = NULL;
    if ((src->targets_file == NULL) == (src->name == NULL))
        return strata_fail(err, STRATA_USAGE,
                           "give the fleet with --fleet NAME or --targets FILE "
                           "(one of them)");
    strata_fleet *f = strata_xcalloc(1, sizeof(*f));
    int rc = src->targets_file ? read_targets_file(f, src->targets_file, err)
                               : from_section(f, src, err);
    if (rc == STRATA_OK && f->count == 0)
        rc = strata_fail(err, STRATA_USAGE, "the fleet %s has no target",
                         src->targets_file ? src->targets_file : src->name);
    if (rc != STRATA_OK) {
        strata_fleet_free(f);
        return rc;
    }
    *out = f;
    return STRATA_OK;
}

int
strata_fleet_resolve(const strata_fleet_source *src, strata_fleet **out, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_fleet_resolve_body(src, out, err);
}

void
strata_fleet_free(strata_fleet *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->count; i++) {
        free(f->items[i].url);
        free(f->items[i].schema);
        free(f->items[i].label);
        free(f->items[i].server);
    }
    free(f->items);
    free(f);
}

/* FNV-1a of text: the shard a target belongs to does not depend on the rest of the list. */
static unsigned long long
label_hash(const char *text)
{
    unsigned long long h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

int
strata_fleet_shard(strata_fleet *f, long index, long count, strata_error *err)
{
    if (count < 1 || index < 1 || index > count)
        return strata_fail(err, STRATA_USAGE,
                           "a shard is I/N with 1 <= I <= N (%ld/%ld given), e.g. --shard 2/7",
                           index, count);
    size_t kept = 0;
    for (size_t i = 0; i < f->count; i++) {
        strata_fleet_target *t = &f->items[i];
        if ((long)(label_hash(t->label) % (unsigned long long)count) == index - 1) {
            f->items[kept++] = *t;
        } else {
            free(t->url), free(t->label), free(t->server), free(t->schema);
        }
    }
    f->count = kept;
    return STRATA_OK;
}
