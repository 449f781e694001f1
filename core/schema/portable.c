/*
 * Comparing schemas across dialects on what is portable (docs/schema.md, verify --also):
 * tables, column names and order, nullability, type families, key, unique and index
 * columns, foreign keys. Each snapshot is projected onto those properties, names folded to
 * lower case, and the projections compared; each difference is described with both
 * dialects' own spellings.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "portable.h"
#include "schema.h"
#include "util.h"

/* The family of a type as a dialect spells it. */
static const char *
type_family(const char *type)
{
    static const struct {
        const char *word;
        const char *family;
    } families[] = {
        {"tinyint(1)", "boolean"}, {"bool", "boolean"},    {"json", "json"},
        {"int", "integer"},        {"serial", "integer"},  {"char", "text"},
        {"text", "text"},          {"clob", "text"},       {"enum", "text"},
        {"uuid", "text"},          {"numeric", "decimal"}, {"decimal", "decimal"},
        {"real", "float"},         {"double", "float"},    {"float", "float"},
        {"timestamp", "time"},     {"datetime", "time"},   {"date", "time"},
        {"time", "time"},          {"interval", "time"},   {"blob", "binary"},
        {"bytea", "binary"},       {"binary", "binary"},
    };
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
        if (strstr(type, families[i].word) != NULL)
            return families[i].family;
    return type[0] ? "other" : "any";
}

static void
fold(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* The column's type: the definition after "#N " up to the first of its clauses. */
static void
column_type(const char *def, char *out, size_t size)
{
    const char *p = def[0] == '#' ? strchr(def, ' ') : def;
    p = p ? p + 1 : def;
    static const char *const clauses[] = {" not null",  " default ", " identity", " auto_increment",
                                          " generated", " collate ", NULL};
    size_t n = strlen(p);
    for (const char *const *c = clauses; *c; c++) {
        const char *at = strstr(p, *c);
        if (at != NULL && (size_t)(at - p) < n)
            n = (size_t)(at - p);
    }
    snprintf(out, size, "%.*s", (int)n, p);
    fold(out);
}

/* "primary key (a, b)" columns of table t, when snap has it: for the not-null rule. */
static int
in_primary_key(const strata_snapshot *snap, const char *table, const char *column)
{
    for (size_t i = 0; i < snap->count; i++) {
        const strata_schema_object *o = &snap->items[i];
        size_t n = strlen(table);
        if (o->kind != STRATA_OBJ_CONSTRAINT || strncmp(o->name, table, n) != 0 ||
            strncmp(o->name + n, ".primary key (", 14) != 0)
            continue;
        const char *cols = o->name + n + 14;
        size_t c = strlen(column);
        for (const char *p = cols; *p && *p != ')';) {
            size_t len = strcspn(p, ",)");
            if (len == c && strncasecmp(p, column, c) == 0)
                return 1;
            p += len;
            p += strspn(p, ", ");
        }
    }
    return 0;
}

static void
add(strata_snapshot *p, int kind, const char *name, const char *def)
{
    p->items = strata_xrealloc(p->items, (p->count + 1) * sizeof(*p->items));
    strata_schema_object *o = &p->items[p->count++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->kind_name = strata_schema_kind_name(kind);
    o->name = strata_xstrdup(name);
    o->definition = strata_xstrdup(def);
    fold(o->name);
}

/* "unique btree (a, b(10)) where x" / "btree (a)": the columns part, "(a, b(10))", into out. */
static void
index_columns(const char *def, char *out, size_t size)
{
    const char *open = strchr(def, '('), *p = open;
    int depth = 0;
    for (; p != NULL && *p != '\0'; p++) {
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        if (depth == 0)
            break;
    }
    if (open == NULL || p == NULL || *p == '\0')
        snprintf(out, size, "%s", def);
    else
        snprintf(out, size, "%.*s", (int)(p + 1 - open), open);
    char *w = out; /* one space after each comma, none elsewhere around them */
    for (const char *r = out; *r; r++)
        if (*r != ' ' || (w > out && w[-1] == ','))
            *w++ = *r == ',' ? ',' : *r;
    *w = '\0';
}

/* The portable projection of snap. */
static strata_snapshot *
project(const strata_snapshot *snap)
{
    strata_snapshot *p = strata_xcalloc(1, sizeof(*p));
    p->dialect = strata_xstrdup(snap->dialect);
    char def[1024], name[2048], type[256];
    for (size_t i = 0; i < snap->count; i++) {
        const strata_schema_object *o = &snap->items[i];
        switch (o->kind) {
        case STRATA_OBJ_TABLE:
            add(p, STRATA_OBJ_TABLE, o->name, "");
            break;
        case STRATA_OBJ_COLUMN: {
            column_type(o->definition, type, sizeof(type));
            const char *dot = strrchr(o->name, '.');
            int not_null = strstr(o->definition, " not null") != NULL ||
                           (o->owner && dot && in_primary_key(snap, o->owner, dot + 1));
            snprintf(def, sizeof(def), "%.*s %s%s", (int)strcspn(o->definition, " "), o->definition,
                     type_family(type), not_null ? " not null" : "");
            add(p, STRATA_OBJ_COLUMN, o->name, def);
            break;
        }
        case STRATA_OBJ_CONSTRAINT:
            if (strstr(o->name, ".check ") == NULL) /* checks are written per dialect */
                add(p, STRATA_OBJ_CONSTRAINT, o->name, "");
            break;
        case STRATA_OBJ_INDEX: {
            int unique = strncmp(o->definition, "unique", 6) == 0;
            char cols[1024];
            index_columns(o->definition, cols, sizeof(cols));
            snprintf(name, sizeof(name), "%.900s.%s %.1000s", o->owner ? o->owner : "",
                     unique ? "unique" : "index", cols);
            add(p, unique ? STRATA_OBJ_CONSTRAINT : STRATA_OBJ_INDEX, name, "");
            break;
        }
        default:
            break; /* views, triggers, functions: written per dialect */
        }
    }
    return p;
}

/* The original definition of name (folded) in snap, for the notes; "" when none. */
static const char *
spelling(const strata_snapshot *snap, const strata_schema_change *c)
{
    char folded[2048];
    for (size_t i = 0; i < snap->count; i++) {
        snprintf(folded, sizeof(folded), "%s", snap->items[i].name);
        fold(folded);
        if (strcmp(folded, c->name) == 0)
            return snap->items[i].definition;
    }
    return "";
}

void
strata_portable_compare(const strata_snapshot *a, const strata_snapshot *b, strata_verify_report *r)
{
    strata_snapshot *pa = project(a), *pb = project(b);
    strata_schema_diff *d = strata_schema_compare_body(pa, pb);
    for (size_t i = 0; i < d->count; i++) {
        const strata_schema_change *c = &d->items[i];
        char *note;
        if (c->op == '~')
            note = strata_xasprintf("%s %s: %s has %s (%s), %s has %s (%s)", c->kind_name, c->name,
                                    a->dialect, c->before, spelling(a, c), b->dialect, c->after,
                                    spelling(b, c));
        else
            note = strata_xasprintf("%s %s: only %s has it", c->kind_name, c->name,
                                    c->op == '-' ? a->dialect : b->dialect);
        r->portability_notes =
            strata_xrealloc(r->portability_notes, (r->nportability + 1) * sizeof(char *));
        r->portability_notes[r->nportability++] = note;
    }
    if (r->portability == NULL) {
        r->portability = d;
    } else {
        strata_schema_diff_free(d);
    }
    strata_snapshot_free(pa);
    strata_snapshot_free(pb);
}
