/*
 * The kit's checks of snapshot, scratch_create and scratch_drop (docs/writing-a-driver.md,
 * "snapshot"): a table of the kit's own is reported with the names and definitions the
 * format asks for, the same way twice, and left out when skipped; a scratch database is
 * made and dropped, and a name that is not a scratch database's is refused.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivercheck.h"

/* What one snapshot said about the kit's table (names starting with prefix). */
typedef struct seen {
    const char *prefix;
    strata_buf text; /* the kit's objects, one line each, in the order reported */
    int table, id_first, v_not_null, primary_key, index, bad_text;
    char table_name[64];
} seen;

static int
collect(void *ctx, strata_object_kind kind, const char *name, const char *definition)
{
    seen *s = ctx;
    if (name == NULL || definition == NULL || strchr(definition, '\n') != NULL ||
        strstr(definition, "  ") != NULL || name[0] == '\0')
        s->bad_text = 1;
    if (name == NULL || definition == NULL)
        return 0;
    if (strncmp(name, s->table_name, strlen(s->table_name)) != 0)
        return 0; /* other tests may change the rest of the database meanwhile */
    strata_buf_printf(&s->text, "%d %s: %s\n", (int)kind, name, definition);
    const char *rest = name + strlen(s->table_name);
    if (kind == STRATA_OBJ_TABLE && rest[0] == '\0')
        s->table = 1;
    else if (kind == STRATA_OBJ_COLUMN && strcmp(rest, ".id") == 0)
        s->id_first = strncmp(definition, "#1 ", 3) == 0;
    else if (kind == STRATA_OBJ_COLUMN && strcmp(rest, ".v") == 0)
        s->v_not_null = strncmp(definition, "#2 ", 3) == 0 && strstr(definition, " not null");
    else if (kind == STRATA_OBJ_CONSTRAINT && strcmp(rest, ".primary key (id)") == 0)
        s->primary_key = 1;
    else if (kind == STRATA_OBJ_INDEX && strncmp(rest, ".", 1) == 0 && strstr(rest, "_v"))
        s->index = strstr(definition, "(v)") != NULL;
    return 0;
}

static int
take(dc *d, const char *const *skip, seen *s, strata_error *err)
{
    memset(&s->text, 0, sizeof(s->text));
    s->table = s->id_first = s->v_not_null = s->primary_key = s->index = s->bad_text = 0;
    return d->drv->snapshot(d->conn, skip, collect, s, err);
}

static void
check_snapshot(dc *d)
{
    if (!STRATA_DRIVER_HAS(d->drv, snapshot)) {
        dc_ok(d, "snapshot", "not provided (strata dump, drift and verify are refused)");
        return;
    }
    strata_error err = STRATA_ERROR_INIT;
    seen s = {.prefix = d->prefix};
    snprintf(s.table_name, sizeof(s.table_name), "%ssnap", d->prefix);
    char *t = dc_ident(d, s.table_name), *iname = NULL, *ix = NULL;
    char *sql = strata_xasprintf("CREATE TABLE %s (id INTEGER NOT NULL PRIMARY KEY, v VARCHAR(20) "
                                 "NOT NULL)",
                                 t);
    int rc = dc_exec(d, sql, &err);
    free(sql);
    iname = strata_xasprintf("%ssnap_v", d->prefix);
    ix = dc_ident(d, iname);
    sql = strata_xasprintf("CREATE INDEX %s ON %s (v)", ix, t);
    if (rc == STRATA_OK)
        rc = dc_exec(d, sql, &err);
    free(sql);
    if (rc != STRATA_OK) {
        dc_fail(d, "snapshot", "cannot create the kit's table: %s", err.message);
        goto cleanup;
    }
    rc = take(d, NULL, &s, &err);
    char *first = strata_buf_take(&s.text);
    dc_check(d, rc == STRATA_OK && s.table && s.id_first && s.v_not_null && s.primary_key,
             "snapshot",
             "reports the table, its columns as \"#N type[ not null]\" and its "
             "primary key as \"primary key (id)\"");
    dc_check(d, rc == STRATA_OK && s.index, "snapshot",
             "reports the index with its columns: \"(v)\" in its definition");
    dc_check(d, rc == STRATA_OK && !s.bad_text, "snapshot",
             "every name is set and every definition is one line without double spaces");
    rc = take(d, NULL, &s, &err);
    char *second = strata_buf_take(&s.text);
    dc_check(d, rc == STRATA_OK && first && second && strcmp(first, second) == 0, "snapshot",
             "the same schema gives the same objects twice");
    const char *skip[] = {s.table_name, NULL};
    rc = take(d, skip, &s, &err);
    strata_buf_free(&s.text);
    dc_check(d, rc == STRATA_OK && !s.table && !s.primary_key && !s.index, "snapshot",
             "a table named in skip_tables is left out, with its columns, keys and indexes");
    free(first);
    free(second);
cleanup:
    free(iname);
    free(ix);
    free(t);
}

static void
check_scratch(dc *d)
{
    if (!STRATA_DRIVER_HAS(d->drv, scratch_create) || !STRATA_DRIVER_HAS(d->drv, scratch_drop)) {
        dc_ok(d, "scratch_create", "not provided (drift and verify need --scratch URL)");
        return;
    }
    strata_error err = STRATA_ERROR_INIT;
    char name[1024] = "";
    int rc = d->drv->scratch_create(d->conn, name, sizeof(name), &err);
    if (rc != STRATA_OK) {
        dc_note(d, "scratch_create", "cannot create a scratch database here: %s", err.message);
        return;
    }
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    dc_check(d, strncmp(base, "strata_scratch_", 15) == 0, "scratch_create",
             "makes a database named strata_scratch_... (\"%s\")", name);
    rc = d->drv->scratch_drop(d->conn, name, &err);
    dc_check(d, rc == STRATA_OK, "scratch_drop", "drops it");
    rc = d->drv->scratch_drop(d->conn, "precious", &err);
    dc_check(d, rc != STRATA_OK, "scratch_drop", "refuses a name that is not a scratch database's");
}

void
dc_check_schema(dc *d)
{
    check_snapshot(d);
    check_scratch(d);
}
