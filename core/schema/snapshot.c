/*
 * Schema snapshots (docs/schema.md): what a driver's snapshot() reports, put in a stable
 * order, printed as text that reviews well in git or as strata.dump/1 JSON, and compared
 * object by object.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "json.h"
#include "schema.h"
#include "session.h"
#include "util.h"

static const char *const kind_names[] = {
    [STRATA_OBJ_SCHEMA] = "schema",   [STRATA_OBJ_SEQUENCE] = "sequence",
    [STRATA_OBJ_ENUM] = "enum",       [STRATA_OBJ_TABLE] = "table",
    [STRATA_OBJ_COLUMN] = "column",   [STRATA_OBJ_CONSTRAINT] = "constraint",
    [STRATA_OBJ_INDEX] = "index",     [STRATA_OBJ_VIEW] = "view",
    [STRATA_OBJ_TRIGGER] = "trigger", [STRATA_OBJ_FUNCTION] = "function",
    [STRATA_OBJ_DOMAIN] = "domain"};

const char *
strata_schema_kind_name(int kind)
{
    if (kind < 1 || (size_t)kind >= sizeof(kind_names) / sizeof(kind_names[0]) ||
        kind_names[kind] == NULL)
        return "object";
    return kind_names[kind];
}

/* Objects that belong to a table ("t.x"), listed under it. */
static int
table_scoped(int kind)
{
    return kind == STRATA_OBJ_COLUMN || kind == STRATA_OBJ_CONSTRAINT || kind == STRATA_OBJ_INDEX ||
           kind == STRATA_OBJ_TRIGGER;
}

/* Where a kind stands in the dump: types first, then each table with what belongs to it,
 * then views and functions. */
static int
kind_rank(int kind)
{
    switch (kind) {
    case STRATA_OBJ_SCHEMA:
        return 0;
    case STRATA_OBJ_SEQUENCE:
        return 1;
    case STRATA_OBJ_ENUM:
        return 2;
    case STRATA_OBJ_DOMAIN:
        return 3;
    case STRATA_OBJ_TABLE:
        return 4;
    case STRATA_OBJ_COLUMN:
        return 5;
    case STRATA_OBJ_CONSTRAINT:
        return 6;
    case STRATA_OBJ_INDEX:
        return 7;
    case STRATA_OBJ_TRIGGER:
        return 8;
    case STRATA_OBJ_VIEW:
        return 9;
    default:
        return 10;
    }
}

/* ------------------------------------------------------------------ taking one */

static int
collect(void *ctx, strata_object_kind kind, const char *name, const char *definition)
{
    strata_snapshot *snap = ctx;
    if (snap->count % 64 == 0)
        snap->items = strata_xrealloc(snap->items, (snap->count + 64) * sizeof(*snap->items));
    strata_schema_object *o = &snap->items[snap->count++];
    memset(o, 0, sizeof(*o));
    o->kind = (int)kind;
    o->kind_name = strata_schema_kind_name((int)kind);
    o->name = strata_xstrdup(name ? name : "");
    o->definition = strata_xstrdup(definition ? definition : "");
    return 0;
}

/* The table an object of a table belongs to: the longest table name that, followed by a
 * dot, starts its name. Sets o->owner (borrowed from the table object). */
static void
find_owners(strata_snapshot *snap)
{
    for (size_t i = 0; i < snap->count; i++) {
        strata_schema_object *o = &snap->items[i];
        o->owner = o->kind == STRATA_OBJ_TABLE ? o->name : NULL;
        if (!table_scoped(o->kind))
            continue;
        size_t best = 0;
        for (size_t k = 0; k < snap->count; k++) {
            const strata_schema_object *t = &snap->items[k];
            size_t n = strlen(t->name);
            if (t->kind == STRATA_OBJ_TABLE && n > best && strncmp(o->name, t->name, n) == 0 &&
                o->name[n] == '.') {
                best = n;
                o->owner = t->name;
            }
        }
    }
}

/* A column's position, from its definition's "#N". */
static long
position(const strata_schema_object *o)
{
    return o->kind == STRATA_OBJ_COLUMN && o->definition[0] == '#'
               ? strtol(o->definition + 1, NULL, 10)
               : 0;
}

static int
cmp_objects(const void *pa, const void *pb)
{
    const strata_schema_object *a = pa, *b = pb;
    /* tables and what belongs to them, grouped by table */
    int ga = a->owner != NULL, gb = b->owner != NULL;
    int ra = ga ? kind_rank(STRATA_OBJ_TABLE) : kind_rank(a->kind);
    int rb = gb ? kind_rank(STRATA_OBJ_TABLE) : kind_rank(b->kind);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ga && gb) {
        int c = strcmp(a->owner, b->owner);
        if (c != 0)
            return c;
    }
    if (kind_rank(a->kind) != kind_rank(b->kind))
        return kind_rank(a->kind) < kind_rank(b->kind) ? -1 : 1;
    if (position(a) != position(b))
        return position(a) < position(b) ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* The names of strata's own tables, which snapshots leave out; freed by the caller. */
static char **
own_tables(const strata *s)
{
    static const char *const suffixes[] = {"", "_events", "_meta", "_lock"};
    size_t n = sizeof(suffixes) / sizeof(suffixes[0]);
    char **names = strata_xcalloc(n + 1, sizeof(*names));
    for (size_t i = 0; i < n; i++)
        names[i] = strata_xasprintf("%s%s", s->table, suffixes[i]);
    return names;
}

int
strata_session_snapshot(strata *s, strata_snapshot **out, strata_error *err)
{
    *out = NULL;
    if (!STRATA_DRIVER_HAS(s->drv, snapshot))
        return strata_fail(err, STRATA_NOT_SUPPORTED,
                           "the %s driver cannot take schema snapshots (no snapshot member)",
                           s->drv->name);
    strata_snapshot *snap = strata_xcalloc(1, sizeof(*snap));
    snap->dialect = strata_xstrdup(s->info.dialect ? s->info.dialect : s->drv->dialect);
    char **skip = own_tables(s);
    int rc = s->drv->snapshot(s->conn, (const char *const *)skip, collect, snap, err);
    for (char **p = skip; *p != NULL; p++)
        free(*p);
    free(skip);
    if (rc != STRATA_OK) {
        strata_snapshot_free(snap);
        return rc;
    }
    find_owners(snap);
    if (snap->count > 1)
        qsort(snap->items, snap->count, sizeof(*snap->items), cmp_objects);
    *out = snap;
    return STRATA_OK;
}

int
strata_take_snapshot(strata *s, strata_snapshot **out, strata_error *err)
{
    STRATA_GUARD(s, err);
    return strata_session_snapshot(s, out, err);
}

void
strata_snapshot_free(strata_snapshot *snap)
{
    if (snap == NULL)
        return;
    for (size_t i = 0; i < snap->count; i++) {
        free(snap->items[i].name);
        free(snap->items[i].definition);
    }
    free(snap->items);
    free(snap->dialect);
    free(snap);
}

/* ------------------------------------------------------------------ printing */

static void
write_text(FILE *out, const strata_snapshot *snap)
{
    fprintf(out, "-- strata dump: the %s schema, %zu objects (strata dump regenerates it)\n",
            snap->dialect, snap->count);
    for (size_t i = 0; i < snap->count; i++) {
        const strata_schema_object *o = &snap->items[i];
        if (o->kind == STRATA_OBJ_TABLE && i > 0)
            fputc('\n', out);
        fprintf(out, "%s%s %s%s%s\n", table_scoped(o->kind) && o->owner ? "  " : "", o->kind_name,
                o->name, o->definition[0] ? ": " : "", o->definition);
    }
}

static void
write_json(FILE *out, const strata_snapshot *snap)
{
    int first = 1;
    fputc('{', out);
    strata_json_kv_string(out, &first, "schema", "strata.dump/1");
    strata_json_kv_string(out, &first, "dialect", snap->dialect);
    strata_json_key(out, &first, "objects");
    fputc('[', out);
    for (size_t i = 0; i < snap->count; i++) {
        int f = 1;
        fputs(i ? ",{" : "{", out);
        strata_json_kv_string(out, &f, "kind", snap->items[i].kind_name);
        strata_json_kv_string(out, &f, "name", snap->items[i].name);
        strata_json_kv_string(out, &f, "definition", snap->items[i].definition);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

static void
strata_report_snapshot_body(FILE *out, const strata_snapshot *snap, unsigned flags)
{
    if (flags & STRATA_REPORT_JSON)
        write_json(out, snap);
    else
        write_text(out, snap);
}

void
strata_report_snapshot(FILE *out, const strata_snapshot *snap, unsigned flags)
{
    STRATA_GUARD_VOID();
    strata_report_snapshot_body(out, snap, flags);
}

/* ------------------------------------------------------------------ comparing */

/* Identity order: kind, then name (snapshots are sorted otherwise). */
static int
cmp_identity(const void *pa, const void *pb)
{
    const strata_schema_object *a = *(const strata_schema_object *const *)pa,
                               *b = *(const strata_schema_object *const *)pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* Pointers to the objects of snap in identity order; freed by the caller. */
static const strata_schema_object **
by_identity(const strata_snapshot *snap)
{
    const strata_schema_object **v = strata_xcalloc(snap->count + 1, sizeof(*v));
    for (size_t i = 0; i < snap->count; i++)
        v[i] = &snap->items[i];
    if (snap->count > 1)
        qsort(v, snap->count, sizeof(*v), cmp_identity);
    return v;
}

static void
add_change(strata_schema_diff *d, char op, const strata_schema_object *before,
           const strata_schema_object *after)
{
    const strata_schema_object *o = after ? after : before;
    d->items = strata_xrealloc(d->items, (d->count + 1) * sizeof(*d->items));
    strata_schema_change *c = &d->items[d->count++];
    c->op = op;
    c->kind_name = o->kind_name;
    c->name = strata_xstrdup(o->name);
    c->before = before ? strata_xstrdup(before->definition) : NULL;
    c->after = after ? strata_xstrdup(after->definition) : NULL;
}

strata_schema_diff *
strata_schema_compare_body(const strata_snapshot *a, const strata_snapshot *b)
{
    strata_schema_diff *d = strata_xcalloc(1, sizeof(*d));
    const strata_schema_object **x = by_identity(a), **y = by_identity(b);
    size_t i = 0, k = 0;
    while (i < a->count || k < b->count) {
        int c = i == a->count ? 1 : k == b->count ? -1 : cmp_identity(&x[i], &y[k]);
        if (c < 0) {
            add_change(d, '-', x[i++], NULL);
        } else if (c > 0) {
            add_change(d, '+', NULL, y[k++]);
        } else {
            if (strcmp(x[i]->definition, y[k]->definition) != 0)
                add_change(d, '~', x[i], y[k]);
            i++, k++;
        }
    }
    free(x);
    free(y);
    return d;
}

int
strata_schema_compare(const strata_snapshot *a, const strata_snapshot *b, strata_schema_diff **out,
                      strata_error *err)
{
    STRATA_GUARD(NULL, err);
    *out = strata_schema_compare_body(a, b);
    return STRATA_OK;
}

void
strata_schema_diff_free(strata_schema_diff *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].name);
        free(d->items[i].before);
        free(d->items[i].after);
    }
    free(d->items);
    free(d);
}

void
strata_schema_diff_json(FILE *out, const strata_schema_diff *d)
{
    fputc('[', out);
    for (size_t i = 0; i < d->count; i++) {
        const strata_schema_change *c = &d->items[i];
        int f = 1;
        char op[2] = {c->op, '\0'};
        fputs(i ? ",{" : "{", out);
        strata_json_kv_string(out, &f, "change", op);
        strata_json_kv_string(out, &f, "kind", c->kind_name);
        strata_json_kv_string(out, &f, "name", c->name);
        strata_json_kv_string(out, &f, "before", c->before);
        strata_json_kv_string(out, &f, "after", c->after);
        fputc('}', out);
    }
    fputc(']', out);
}

void
strata_schema_diff_text(FILE *out, const strata_schema_diff *d, const char *indent)
{
    for (size_t i = 0; i < d->count; i++) {
        const strata_schema_change *c = &d->items[i];
        if (c->op == '~') {
            fprintf(out, "%s~ %s %s\n%s    before: %s\n%s    after:  %s\n", indent, c->kind_name,
                    c->name, indent, c->before, indent, c->after);
        } else {
            const char *def = c->op == '+' ? c->after : c->before;
            fprintf(out, "%s%c %s %s%s%s\n", indent, c->op, c->kind_name, c->name,
                    def[0] ? ": " : "", def);
        }
    }
}
