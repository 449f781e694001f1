#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dialects.h"
#include "names.h"
#include "util.h"
#include "version.h"

static const char *const rule_start =
    "a migration file name starts with its version (digits, optionally dotted, e.g. 001 or "
    "20250701132805; a V before it is allowed), or is V<version>__<name>.sql, "
    "U<version>__<name>.sql or R__<name>.sql in Flyway's style";
static const char *const rule_separator =
    "the version must be followed by '_', '-' or '.' and then the name";
static const char *const rule_flyway_version =
    "in Flyway's V<version>__<name>.sql the version holds digits, with '.' or '_' between them";
static const char *const rule_repeatable = "a repeatable migration R__<name>.sql needs a name";

void
strata_file_name_free(strata_file_name *n)
{
    free(n->version);
    free(n->name);
    free(n->tag);
    memset(n, 0, sizeof(*n));
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Splits the name part s[0, n) into the name, pop's ".autocommit" and a trailing tag. */
static void
split_name(const char *s, size_t n, strata_file_name *out)
{
    static const char autocommit[] = ".autocommit";
    size_t al = sizeof(autocommit) - 1;
    if (n >= al && strncasecmp(s + n - al, autocommit, al) == 0) {
        out->autocommit = 1;
        n -= al;
    } else if (n == al - 1 && strncasecmp(s, autocommit + 1, al - 1) == 0) {
        out->autocommit = 1; /* "1_.autocommit.up.sql": an empty name */
        n = 0;
    }
    size_t dot = n;
    while (dot > 0 && s[dot - 1] != '.')
        dot--;
    if (dot > 0 && strata_dialect_tag_shape(s + dot, n - dot)) {
        out->tag = strata_xstrndup(s + dot, n - dot);
        n = dot - 1;
    }
    out->name = strata_xstrndup(s, n);
}

/* The kind a plain name's extension gives, and the length of its stem. */
static char
plain_kind(const char *file, size_t *stem)
{
    size_t n = strlen(file);
    if (strata_ends_with(file, ".up.sql")) {
        *stem = n - strlen(".up.sql");
        return 'u';
    }
    if (strata_ends_with(file, ".down.sql")) {
        *stem = n - strlen(".down.sql");
        return 'd';
    }
    *stem = n - strlen(".sql");
    return 's';
}

size_t
strata_file_name_version_prefix(const char *s, size_t n)
{
    size_t v = 0;
    while (v < n && (is_digit(s[v]) || s[v] == '.'))
        v++;
    while (v > 0 && s[v - 1] == '.')
        v--; /* "1.name" is version 1, not "1." */
    if (v == 0 || (v < n && s[v] != '_' && s[v] != '-' && s[v] != '.'))
        return 0;
    return strata_version_check(s, v, NULL) == 0 ? v : 0;
}

/* [V]VERSION SEP NAME[.TAG][.autocommit](.up.sql|.down.sql|.sql) */
static int
parse_plain(const char *file, strata_file_name *out, const char **why)
{
    size_t stem, start = 0;
    char kind = plain_kind(file, &stem);
    if ((file[0] == 'V' || file[0] == 'v') && is_digit(file[1]))
        start = 1;
    size_t v = start;
    while (v < stem && (is_digit(file[v]) || file[v] == '.'))
        v++;
    while (v > start && file[v - 1] == '.')
        v--;
    if (v == start) {
        *why = rule_start;
        return -1;
    }
    if (v < stem && file[v] != '_' && file[v] != '-' && file[v] != '.') {
        *why = rule_separator;
        return -1;
    }
    if (strata_version_check(file + start, v - start, why) != 0)
        return -1;
    out->kind = kind;
    out->version = strata_xstrndup(file + start, v - start);
    size_t name_start = v < stem ? v + 1 : v;
    split_name(file + name_start, stem - name_start, out);
    return 0;
}

/* Flyway's V<version>__<name>.sql, U<version>__..., R__<name>.sql. Returns 1 when file is
 * not in Flyway's form at all (then the plain form is tried). */
static int
parse_flyway(const char *file, strata_file_name *out, const char **why)
{
    if (file[0] != 'V' && file[0] != 'U' && file[0] != 'R')
        return 1;
    size_t stem = strlen(file) - strlen(".sql");
    const char *sep = strstr(file + 1, "__");
    if (sep == NULL || (size_t)(sep - file) > stem)
        return 1;
    size_t vlen = (size_t)(sep - file) - 1, name_start = (size_t)(sep - file) + 2;
    if (strspn(file + 1, "0123456789._") < vlen)
        return 1; /* "V0001.Create__Users.up.sql" is not Flyway's */
    if (file[0] == 'R') {
        if (vlen != 0)
            return 1;
        if (name_start >= stem) {
            *why = rule_repeatable;
            return -1;
        }
    } else {
        char *v = strata_xstrndup(file + 1, vlen);
        for (char *p = v; *p; p++)
            if (*p == '_')
                *p = '.';
        if (strata_version_check(v, vlen, NULL) != 0) {
            free(v);
            *why = rule_flyway_version;
            return -1;
        }
        out->version = v;
    }
    out->kind = file[0];
    split_name(file + name_start, stem - name_start, out);
    return 0;
}

int
strata_file_name_parse(const char *file, strata_file_name *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    *why = NULL;
    if (!strata_ends_with(file, ".sql") || strlen(file) == strlen(".sql")) {
        *why = rule_start;
        return -1;
    }
    int rc = parse_flyway(file, out, why);
    if (rc == 1)
        rc = parse_plain(file, out, why);
    if (rc != 0)
        strata_file_name_free(out);
    return rc;
}
