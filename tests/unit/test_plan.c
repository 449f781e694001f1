/*
 * Unit tests for planning (core/engine/plan.c): merging the migrations on disk with the
 * history, and choosing what up and down run. Both lists are built by hand; no files,
 * no database.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <strata/strata.h>
#include <strata/types.h>

#include "history.h"
#include "strpool.h"
#include "plan.h"
#include "source.h"
#include "testutil.h"
#include "version.h"

/* ================================================================== fixtures */

static char *
tdup(const char *s)
{
    if (s == NULL)
        return NULL;
    char *d = malloc(strlen(s) + 1);
    strcpy(d, s);
    return d;
}

/* An empty source set for the folder "migrations"; free with strata_source_free. */
static strata_source_set *
files_new(void)
{
    strata_source_set *set = calloc(1, sizeof(*set));
    set->dir = tdup("migrations");
    return set;
}

/*
 * Adds migrations/VERSION_NAME.up.sql (and .down.sql when has_down) with this up
 * checksum. Add in version order: the set is sorted by version.
 */
static void
file_add(strata_source_set *set, const char *version, const char *name, const char *checksum,
         int has_down)
{
    set->items = realloc(set->items, (set->count + 1) * sizeof(*set->items));
    strata_migration *m = &set->items[set->count++];
    memset(m, 0, sizeof(*m));
    char path[256];
    m->version = tdup(version);
    m->name = tdup(name);
    snprintf(path, sizeof(path), "migrations/%s_%s.up.sql", version, name);
    m->up.path = tdup(path);
    m->applicable = 1;
    m->format = "paired";
    m->up.first_line = 1;
    snprintf(m->up.checksum, sizeof(m->up.checksum), "%s", checksum);
    if (has_down) {
        snprintf(path, sizeof(path), "migrations/%s_%s.down.sql", version, name);
        m->down.path = tdup(path);
        m->down.first_line = 1;
        snprintf(m->down.checksum, sizeof(m->down.checksum), "d-%s", checksum);
    }
}

/* An empty history; free with strata_history_free. */
static strata_history *
history_new(void)
{
    return strata_history_new();
}

/* Fills r's texts from the history's pool, as strata_history_load does for texts it does
 * not share with the files (a row read without its detail, as up and down read them). */
static void
pack_row(strata_history *h, strata_history_row *r, const char *version, const char *kind,
         const char *name, const char *checksum, const char *state)
{
    const char *texts[] = {version, kind, name, checksum, state};
    char **slots[] = {&r->version, &r->kind, &r->name, &r->checksum, &r->state};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        *slots[i] = strata_strpool_copy(h->texts, texts[i], strlen(texts[i]));
}

/* Adds a row (in version order: the history is sorted by version). */
static strata_history_row *
row_add(strata_history *h, const char *version, const char *name, const char *checksum,
        const char *state, long rank)
{
    h->rows = realloc(h->rows, (h->count + 1) * sizeof(*h->rows));
    strata_history_row *r = &h->rows[h->count++];
    memset(r, 0, sizeof(*r));
    pack_row(h, r, version, "versioned", name, checksum, state);
    r->applied_rank = rank;
    if (rank > h->max_rank)
        h->max_rank = rank;
    return r;
}

static strata_error
no_error(void)
{
    strata_error err = STRATA_ERROR_INIT;
    memset(&err, 0, sizeof(err));
    return err;
}

/* Asserts the plan holds exactly these versions (NULL-terminated), in this order. */
static void
assert_plan(const strata_plan *p, const char *const *versions)
{
    size_t n = 0;
    while (versions[n] != NULL)
        n++;
    CU_ASSERT_EQUAL(p->count, n);
    int same = p->count == n;
    for (size_t i = 0; same && i < n; i++)
        same = p->items[i] != NULL && strcmp(p->items[i]->version, versions[i]) == 0;
    CU_ASSERT(same);
    if (!same) {
        fprintf(stderr, "\n  plan:");
        for (size_t i = 0; i < p->count; i++)
            fprintf(stderr, " %s", p->items[i] ? p->items[i]->version : "(null)");
        fprintf(stderr, "; expected:");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %s", versions[i]);
        fprintf(stderr, "\n");
    }
}

/* Runs strata_plan_up, which must succeed with these versions. */
static void
up_ok(const strata_merged *m, const char *to, long step, int ooo, const char *const *versions)
{
    strata_error err = no_error();
    strata_plan p;
    int rc = strata_plan_up(m, to, step, ooo, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    if (rc != STRATA_OK) {
        fprintf(stderr, "\n  unexpected failure: %s\n", err.message);
        return;
    }
    assert_plan(&p, versions);
    strata_plan_free(&p);
    CU_ASSERT_PTR_NULL(p.items);
    CU_ASSERT_EQUAL(p.count, 0);
}

/* Runs strata_plan_down, which must succeed with these versions. */
static void
down_ok(const strata_merged *m, const strata_history *h, const char *to, long step, int all,
        const char *const *versions)
{
    strata_error err = no_error();
    strata_plan p;
    int rc = strata_plan_down(m, h, to, step, all, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    if (rc != STRATA_OK) {
        fprintf(stderr, "\n  unexpected failure: %s\n", err.message);
        return;
    }
    assert_plan(&p, versions);
    /* each item comes with its own history row */
    for (size_t i = 0; i < p.count; i++) {
        CU_ASSERT_PTR_NOT_NULL(p.rows[i]);
        if (p.rows[i] != NULL && p.items[i] != NULL)
            CU_ASSERT_EQUAL(strata_version_cmp(p.rows[i]->version, p.items[i]->version), 0);
    }
    strata_plan_free(&p);
}

/* The merged entry for version, or NULL. */
static const strata_plan_entry *
entry(const strata_merged *m, const char *version)
{
    for (size_t i = 0; i < m->count; i++) {
        const strata_plan_entry *e = &m->items[i];
        const char *ev = e->file ? e->file->version : e->row->version;
        if (strata_version_cmp(ev, version) == 0)
            return e;
    }
    return NULL;
}

/* ================================================================== merge */

static void
test_merge_states(void)
{
    strata_source_set *files = files_new();
    file_add(files, "1", "a", "sum1", 1);
    file_add(files, "2", "b", "sum2-edited", 1); /* modified */
    /* 3: applied, file gone */
    file_add(files, "4", "d", "sum4", 1); /* pending, older than 5: out of order */
    file_add(files, "5", "e", "sum5", 1); /* dirty */
    file_add(files, "6", "f", "sum6", 1); /* pending */
    strata_history *h = history_new();
    row_add(h, "1", "a", "sum1", "applied", 1);
    row_add(h, "2", "b", "sum2", "applied", 2);
    row_add(h, "3", "c", "sum3", "applied", 3);
    row_add(h, "5", "e", "sum5", "dirty", 4);

    strata_merged *m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL_FATAL(m->count, 6);
    static const char *versions[] = {"1", "2", "3", "4", "5", "6"};
    static const strata_migration_state states[] = {STRATA_STATE_APPLIED, STRATA_STATE_MODIFIED,
                                                    STRATA_STATE_MISSING, STRATA_STATE_OUT_OF_ORDER,
                                                    STRATA_STATE_DIRTY,   STRATA_STATE_PENDING};
    for (size_t i = 0; i < 6; i++) {
        const strata_plan_entry *e = &m->items[i];
        const char *v = e->file ? e->file->version : e->row ? e->row->version : "(none)";
        CU_ASSERT_STRING_EQUAL(v, versions[i]);
        CU_ASSERT_EQUAL(e->state, states[i]);
        if (e->state != states[i])
            fprintf(stderr, "\n  version %s: state %d, expected %d\n", v, (int)e->state,
                    (int)states[i]);
    }
    /* the entries point into the two lists */
    CU_ASSERT_PTR_EQUAL(m->items[0].file, &files->items[0]);
    CU_ASSERT_PTR_EQUAL(m->items[0].row, &h->rows[0]);
    CU_ASSERT_PTR_EQUAL(m->items[1].file, &files->items[1]);
    CU_ASSERT_PTR_EQUAL(m->items[1].row, &h->rows[1]);
    CU_ASSERT_PTR_NULL(m->items[2].file);
    CU_ASSERT_PTR_EQUAL(m->items[2].row, &h->rows[2]);
    CU_ASSERT_PTR_EQUAL(m->items[3].file, &files->items[2]);
    CU_ASSERT_PTR_NULL(m->items[3].row);
    CU_ASSERT_PTR_EQUAL(m->items[4].file, &files->items[3]);
    CU_ASSERT_PTR_EQUAL(m->items[4].row, &h->rows[3]);
    CU_ASSERT_PTR_EQUAL(m->items[5].file, &files->items[4]);
    CU_ASSERT_PTR_NULL(m->items[5].row);

    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_merge_versions_compare_numerically(void)
{
    /* the file says 001, the history 1; 10 sorts after 9 */
    strata_source_set *files = files_new();
    file_add(files, "001", "a", "sum1", 0);
    file_add(files, "9", "b", "sum9", 0);
    file_add(files, "10", "c", "sum10", 0);
    strata_history *h = history_new();
    row_add(h, "1", "a", "sum1", "applied", 1);
    row_add(h, "9", "b", "sum9", "applied", 2);
    strata_merged *m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL_FATAL(m->count, 3);
    CU_ASSERT_EQUAL(m->items[0].state, STRATA_STATE_APPLIED);
    CU_ASSERT_PTR_EQUAL(m->items[0].file, &files->items[0]);
    CU_ASSERT_PTR_EQUAL(m->items[0].row, &h->rows[0]);
    CU_ASSERT_EQUAL(m->items[1].state, STRATA_STATE_APPLIED);
    CU_ASSERT_EQUAL(m->items[2].state, STRATA_STATE_PENDING);
    CU_ASSERT_PTR_EQUAL(m->items[2].file, &files->items[2]);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_merge_edge_cases(void)
{
    /* nothing at all */
    strata_source_set *files = files_new();
    strata_history *h = history_new();
    strata_merged *m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL(m->count, 0);
    strata_merged_free(m);

    /* files only: every one pending, never out of order */
    file_add(files, "1", "a", "s1", 0);
    file_add(files, "2", "b", "s2", 0);
    m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL_FATAL(m->count, 2);
    CU_ASSERT_EQUAL(m->items[0].state, STRATA_STATE_PENDING);
    CU_ASSERT_EQUAL(m->items[1].state, STRATA_STATE_PENDING);
    strata_merged_free(m);
    strata_source_free(files);

    /* history only: missing, except a dirty row which stays dirty */
    files = files_new();
    row_add(h, "1", "a", "s1", "applied", 1);
    row_add(h, "2", "b", "s2", "dirty", 2);
    m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL_FATAL(m->count, 2);
    CU_ASSERT_EQUAL(m->items[0].state, STRATA_STATE_MISSING);
    CU_ASSERT_PTR_NULL(m->items[0].file);
    CU_ASSERT_EQUAL(m->items[1].state, STRATA_STATE_DIRTY);
    strata_merged_free(m);
    strata_merged_free(NULL);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_merge_out_of_order_uses_highest_version(void)
{
    /* version 3 was applied before 2 (rank order differs); 2 is applied, not late.
     * 4 is pending and newer than everything applied. 1 was never applied: late. */
    strata_source_set *files = files_new();
    file_add(files, "1", "a", "s1", 1);
    file_add(files, "2", "b", "s2", 1);
    file_add(files, "3", "c", "s3", 1);
    file_add(files, "4", "d", "s4", 1);
    strata_history *h = history_new();
    row_add(h, "2", "b", "s2", "applied", 2);
    row_add(h, "3", "c", "s3", "applied", 1);
    strata_merged *m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL_FATAL(m->count, 4);
    CU_ASSERT_EQUAL(entry(m, "1")->state, STRATA_STATE_OUT_OF_ORDER);
    CU_ASSERT_EQUAL(entry(m, "2")->state, STRATA_STATE_APPLIED);
    CU_ASSERT_EQUAL(entry(m, "3")->state, STRATA_STATE_APPLIED);
    CU_ASSERT_EQUAL(entry(m, "4")->state, STRATA_STATE_PENDING);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

/* ================================================================== up */

/* Files 1..5, history with 1 and 2 applied. */
static void
fixture_up(strata_source_set **files, strata_history **h)
{
    *files = files_new();
    file_add(*files, "1", "a", "s1", 1);
    file_add(*files, "2", "b", "s2", 1);
    file_add(*files, "3", "c", "s3", 1);
    file_add(*files, "4", "d", "s4", 1);
    file_add(*files, "10", "e", "s10", 1);
    *h = history_new();
    row_add(*h, "1", "a", "s1", "applied", 1);
    row_add(*h, "2", "b", "s2", "applied", 2);
}

static void
test_up_all_pending(void)
{
    strata_source_set *files;
    strata_history *h;
    fixture_up(&files, &h);
    strata_merged *m = strata_plan_merge(files, h);
    static const char *want[] = {"3", "4", "10", NULL};
    up_ok(m, NULL, 0, 0, want);

    /* the items are the source set's own migrations; up has no rows */
    strata_error err = no_error();
    strata_plan p;
    CU_ASSERT_EQUAL_FATAL(strata_plan_up(m, NULL, 0, 0, &p, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(p.count, 3);
    CU_ASSERT_PTR_EQUAL(p.items[0], &files->items[2]);
    CU_ASSERT_PTR_EQUAL(p.items[1], &files->items[3]);
    CU_ASSERT_PTR_EQUAL(p.items[2], &files->items[4]);
    CU_ASSERT_PTR_NULL(p.rows[0]);
    CU_ASSERT_PTR_NULL(p.rows[2]);
    strata_plan_free(&p);

    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_up_fresh_database(void)
{
    strata_source_set *files;
    strata_history *h;
    fixture_up(&files, &h);
    strata_history *empty = history_new();
    strata_merged *m = strata_plan_merge(files, empty);
    static const char *want[] = {"1", "2", "3", "4", "10", NULL};
    up_ok(m, NULL, 0, 0, want);
    strata_merged_free(m);
    strata_history_free(empty);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_up_nothing_pending(void)
{
    strata_source_set *files = files_new();
    file_add(files, "1", "a", "s1", 0);
    strata_history *h = history_new();
    row_add(h, "1", "a", "s1", "applied", 1);
    strata_merged *m = strata_plan_merge(files, h);
    static const char *want[] = {NULL};
    up_ok(m, NULL, 0, 0, want);
    up_ok(m, "5", 3, 1, want);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_up_to(void)
{
    strata_source_set *files;
    strata_history *h;
    fixture_up(&files, &h);
    strata_merged *m = strata_plan_merge(files, h);
    static const char *to4[] = {"3", "4", NULL};
    static const char *to3[] = {"3", NULL};
    static const char *to9[] = {"3", "4", NULL};
    static const char *none[] = {NULL};
    static const char *all[] = {"3", "4", "10", NULL};
    up_ok(m, "4", 0, 0, to4);
    up_ok(m, "004", 0, 0, to4); /* numeric, not textual */
    up_ok(m, "3.5", 0, 0, to3); /* a version between two files */
    up_ok(m, "9", 0, 0, to9);   /* "10" sorts after "9" */
    up_ok(m, "2", 0, 0, none);  /* already there */
    up_ok(m, "10", 0, 0, all);
    up_ok(m, "99", 0, 0, all);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_up_step(void)
{
    strata_source_set *files;
    strata_history *h;
    fixture_up(&files, &h);
    strata_merged *m = strata_plan_merge(files, h);
    static const char *one[] = {"3", NULL};
    static const char *two[] = {"3", "4", NULL};
    static const char *all[] = {"3", "4", "10", NULL};
    up_ok(m, NULL, 1, 0, one);
    up_ok(m, NULL, 2, 0, two);
    up_ok(m, NULL, 3, 0, all);
    up_ok(m, NULL, 50, 0, all);
    /* both limits: whichever stops first */
    up_ok(m, "10", 2, 0, two);
    up_ok(m, "3", 2, 0, one);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_up_refuses_modified(void)
{
    strata_source_set *files;
    strata_history *h;
    fixture_up(&files, &h);
    h->rows[1].checksum = (char *)"s2-as-it-was-applied";
    strata_merged *m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL(entry(m, "2")->state, STRATA_STATE_MODIFIED);
    strata_error err = no_error();
    strata_plan p;
    memset(&p, 'x', sizeof(p));
    int rc = strata_plan_up(m, NULL, 0, 0, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_VALIDATION);
    CU_ASSERT_EQUAL(err.status, STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "migrations/2_b.up.sql");
    CU_ASSERT_EQUAL(p.count, 0);
    CU_ASSERT_PTR_NULL(p.items);
    CU_ASSERT_PTR_NULL(p.rows);
    /* limits do not hide the edit */
    err = no_error();
    rc = strata_plan_up(m, NULL, 1, 1, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "migrations/2_b.up.sql");
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_up_refuses_dirty(void)
{
    strata_source_set *files;
    strata_history *h;
    fixture_up(&files, &h);
    h->rows[1].state = (char *)"dirty";
    strata_history_detail detail = {.statements_done = 3};
    h->rows[1].detail = &detail;
    strata_merged *m = strata_plan_merge(files, h);
    strata_error err = no_error();
    strata_plan p;
    int rc = strata_plan_up(m, NULL, 0, 0, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_DIRTY);
    CU_ASSERT_EQUAL(err.status, STRATA_DIRTY);
    ASSERT_CONTAINS(err.message, "migrations/2_b.up.sql");
    ASSERT_CONTAINS(err.hint, "strata force");
    ASSERT_CONTAINS(err.hint, "strata force 2 applied");
    ASSERT_CONTAINS(err.hint, "3 statement");
    CU_ASSERT_EQUAL(p.count, 0);
    CU_ASSERT_PTR_NULL(p.items);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_up_refuses_dirty_without_file(void)
{
    strata_source_set *files = files_new();
    file_add(files, "1", "a", "s1", 0);
    strata_history *h = history_new();
    row_add(h, "1", "a", "s1", "applied", 1);
    row_add(h, "7", "gone", "s7", "dirty", 2);
    strata_merged *m = strata_plan_merge(files, h);
    strata_error err = no_error();
    strata_plan p;
    int rc = strata_plan_up(m, NULL, 0, 0, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_DIRTY);
    ASSERT_CONTAINS(err.message, "7");
    ASSERT_CONTAINS(err.hint, "strata force 7");
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_up_out_of_order(void)
{
    /* 1 and 3 applied; 2 (late) and 4 pending */
    strata_source_set *files = files_new();
    file_add(files, "1", "a", "s1", 1);
    file_add(files, "2", "b", "s2", 1);
    file_add(files, "3", "c", "s3", 1);
    file_add(files, "4", "d", "s4", 1);
    strata_history *h = history_new();
    row_add(h, "1", "a", "s1", "applied", 1);
    row_add(h, "3", "c", "s3", "applied", 2);
    strata_merged *m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL(entry(m, "2")->state, STRATA_STATE_OUT_OF_ORDER);

    strata_error err = no_error();
    strata_plan p;
    int rc = strata_plan_up(m, NULL, 0, 0, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "migrations/2_b.up.sql");
    ASSERT_CONTAINS(err.message, "out-of-order");
    CU_ASSERT_EQUAL(p.count, 0);
    CU_ASSERT_PTR_NULL(p.items);

    static const char *all[] = {"2", "4", NULL};
    static const char *one[] = {"2", NULL};
    up_ok(m, NULL, 0, 1, all);
    up_ok(m, NULL, 1, 1, one);
    up_ok(m, "3", 0, 1, one);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_up_missing_file(void)
{
    /* an applied migration whose file is gone stops up (validate-on-migrate), naming the
     * version and the override; with the override up goes on */
    strata_source_set *files = files_new();
    file_add(files, "2", "b", "s2", 0);
    file_add(files, "3", "c", "s3", 0);
    strata_history *h = history_new();
    row_add(h, "1", "a", "s1", "applied", 1);
    row_add(h, "2", "b", "s2", "applied", 2);
    strata_merged *m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL(entry(m, "1")->state, STRATA_STATE_MISSING);
    strata_error err = no_error();
    strata_plan p;
    int rc = strata_plan_up(m, NULL, 0, 0, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "migration 1 (a)");
    ASSERT_CONTAINS(err.message, "--ignore-missing");
    CU_ASSERT_EQUAL(p.count, 0);
    static const char *want[] = {"3", NULL};
    up_ok(m, NULL, 0, STRATA_PLAN_MISSING, want);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

/* ================================================================== down */

/*
 * Files 1..4 with downs; history: 1 (rank 1), 3 (rank 2), 2 (rank 3, run out of order
 * after 3), 4 (rank 4). Newest applied first: 4, 2, 3, 1.
 */
static void
fixture_down(strata_source_set **files, strata_history **h)
{
    *files = files_new();
    file_add(*files, "1", "a", "s1", 1);
    file_add(*files, "2", "b", "s2", 1);
    file_add(*files, "3", "c", "s3", 1);
    file_add(*files, "4", "d", "s4", 1);
    *h = history_new();
    row_add(*h, "1", "a", "s1", "applied", 1);
    row_add(*h, "2", "b", "s2", "applied", 3);
    row_add(*h, "3", "c", "s3", "applied", 2);
    row_add(*h, "4", "d", "s4", "applied", 4);
}

static void
test_down_default_one(void)
{
    strata_source_set *files;
    strata_history *h;
    fixture_down(&files, &h);
    strata_merged *m = strata_plan_merge(files, h);
    static const char *want[] = {"4", NULL};
    down_ok(m, h, NULL, 0, 0, want);

    strata_error err = no_error();
    strata_plan p;
    CU_ASSERT_EQUAL_FATAL(strata_plan_down(m, h, NULL, 0, 0, &p, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(p.count, 1);
    CU_ASSERT_PTR_EQUAL(p.items[0], &files->items[3]);
    CU_ASSERT_PTR_EQUAL(p.rows[0], &h->rows[3]);
    strata_plan_free(&p);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_down_rank_order(void)
{
    /* version 3 was applied before version 2: down undoes 2 first */
    strata_source_set *files;
    strata_history *h;
    fixture_down(&files, &h);
    strata_merged *m = strata_plan_merge(files, h);
    static const char *two[] = {"4", "2", NULL};
    static const char *three[] = {"4", "2", "3", NULL};
    static const char *all[] = {"4", "2", "3", "1", NULL};
    down_ok(m, h, NULL, 2, 0, two);
    down_ok(m, h, NULL, 3, 0, three);
    down_ok(m, h, NULL, 4, 0, all);
    down_ok(m, h, NULL, 99, 0, all);
    down_ok(m, h, NULL, 0, 1, all);
    strata_merged_free(m);
    strata_history_free(h);

    /* without 4: the newest applied is 2, though 3 is the highest version */
    h = history_new();
    row_add(h, "1", "a", "s1", "applied", 1);
    row_add(h, "2", "b", "s2", "applied", 3);
    row_add(h, "3", "c", "s3", "applied", 2);
    m = strata_plan_merge(files, h);
    static const char *one[] = {"2", NULL};
    down_ok(m, h, NULL, 0, 0, one);
    down_ok(m, h, NULL, 1, 0, one);
    strata_error err = no_error();
    strata_plan p;
    CU_ASSERT_EQUAL_FATAL(strata_plan_down(m, h, NULL, 0, 0, &p, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(p.count, 1);
    CU_ASSERT_PTR_EQUAL(p.items[0], &files->items[1]);
    CU_ASSERT_PTR_EQUAL(p.rows[0], &h->rows[1]);
    strata_plan_free(&p);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_down_to(void)
{
    strata_source_set *files;
    strata_history *h;
    fixture_down(&files, &h);
    strata_merged *m = strata_plan_merge(files, h);
    static const char *above1[] = {"4", "2", "3", NULL};
    static const char *above2[] = {"4", "3", NULL};
    static const char *above3[] = {"4", NULL};
    static const char *none[] = {NULL};
    static const char *all[] = {"4", "2", "3", "1", NULL};
    static const char *above1_step2[] = {"4", "2", NULL};
    down_ok(m, h, "1", 0, 0, above1);
    down_ok(m, h, "001", 0, 0, above1);
    down_ok(m, h, "2", 0, 0, above2); /* 2 stays although it was applied after 3 */
    down_ok(m, h, "2.5", 0, 0, above2);
    down_ok(m, h, "3", 0, 0, above3);
    down_ok(m, h, "4", 0, 0, none);
    down_ok(m, h, "10", 0, 0, none);
    down_ok(m, h, "0", 0, 0, all);
    down_ok(m, h, "1", 2, 0, above1_step2); /* to and step: whichever stops first */
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_down_empty_history(void)
{
    strata_source_set *files;
    strata_history *h;
    fixture_down(&files, &h);
    strata_history *empty = history_new();
    strata_merged *m = strata_plan_merge(files, empty);
    static const char *none[] = {NULL};
    down_ok(m, empty, NULL, 0, 0, none);
    down_ok(m, empty, NULL, 0, 1, none);
    down_ok(m, empty, NULL, 5, 0, none);
    strata_merged_free(m);
    strata_history_free(empty);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_down_refuses_no_down_script(void)
{
    strata_source_set *files = files_new();
    file_add(files, "1", "a", "s1", 1);
    file_add(files, "2", "seed", "s2", 0);
    file_add(files, "3", "c", "s3", 1);
    strata_history *h = history_new();
    row_add(h, "1", "a", "s1", "applied", 1);
    row_add(h, "2", "seed", "s2", "applied", 2);
    row_add(h, "3", "c", "s3", "applied", 3);
    strata_merged *m = strata_plan_merge(files, h);

    /* one step only reaches 3, which has a down */
    static const char *one[] = {"3", NULL};
    down_ok(m, h, NULL, 0, 0, one);

    strata_error err = no_error();
    strata_plan p;
    int rc = strata_plan_down(m, h, NULL, 2, 0, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_VALIDATION);
    CU_ASSERT_EQUAL(err.status, STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "migrations/2_seed.up.sql");
    ASSERT_CONTAINS(err.message, "2_seed.down.sql");
    ASSERT_CONTAINS(err.message, "no down");
    CU_ASSERT_EQUAL(p.count, 0);
    CU_ASSERT_PTR_NULL(p.items);
    CU_ASSERT_PTR_NULL(p.rows);

    err = no_error();
    rc = strata_plan_down(m, h, NULL, 0, 1, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "migrations/2_seed.up.sql");
    err = no_error();
    rc = strata_plan_down(m, h, m->items[0].file->version, 0, 0, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "migrations/2_seed.up.sql");
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_down_refuses_missing_file(void)
{
    strata_source_set *files = files_new();
    file_add(files, "1", "a", "s1", 1);
    strata_history *h = history_new();
    row_add(h, "1", "a", "s1", "applied", 1);
    row_add(h, "20250701132805", "add_email", "s2", "applied", 2);
    strata_merged *m = strata_plan_merge(files, h);
    strata_error err = no_error();
    strata_plan p;
    int rc = strata_plan_down(m, h, NULL, 0, 0, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_VALIDATION);
    CU_ASSERT_EQUAL(err.status, STRATA_VALIDATION);
    ASSERT_CONTAINS(err.message, "20250701132805");
    ASSERT_CONTAINS(err.message, "add_email");
    ASSERT_CONTAINS(err.message, "gone");
    CU_ASSERT_EQUAL(p.count, 0);
    CU_ASSERT_PTR_NULL(p.items);

    /* below the missing one, with to, is fine */
    static const char *none[] = {NULL};
    down_ok(m, h, "20250701132805", 0, 0, none);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_down_refuses_dirty(void)
{
    strata_source_set *files;
    strata_history *h;
    fixture_down(&files, &h);
    h->rows[0].state = (char *)"dirty";
    strata_merged *m = strata_plan_merge(files, h);
    strata_error err = no_error();
    strata_plan p;
    int rc = strata_plan_down(m, h, NULL, 0, 0, &p, &err);
    CU_ASSERT_EQUAL(rc, STRATA_DIRTY);
    ASSERT_CONTAINS(err.message, "migrations/1_a.up.sql");
    ASSERT_CONTAINS(err.hint, "strata force 1");
    CU_ASSERT_EQUAL(p.count, 0);
    CU_ASSERT_PTR_NULL(p.items);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
test_dirty_hint(void)
{
    strata_history_detail detail = {.statements_done = 2};
    strata_history_row row;
    memset(&row, 0, sizeof(row));
    row.version = "20250701132805";
    row.name = "add_email";
    row.detail = &detail;
    char hint[512];
    strata_plan_dirty_hint(&row, hint, sizeof(hint));
    ASSERT_CONTAINS(hint, "migration 20250701132805 is dirty");
    ASSERT_CONTAINS(hint, "after 2 statement");
    ASSERT_CONTAINS(hint, "`strata force 20250701132805 applied`");
    ASSERT_CONTAINS(hint, "`strata force 20250701132805 rolled-back`");
    /* truncates safely */
    char small[16];
    strata_plan_dirty_hint(&row, small, sizeof(small));
    CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
}

/* ================================================================== main */

/* A version whose files are only for other dialects is "not applicable": never planned. */
static void
test_not_applicable(void)
{
    strata_source_set *files = files_new();
    file_add(files, "1", "a", "s1", 1);
    file_add(files, "2", "pg_only", "s2", 1);
    file_add(files, "3", "c", "s3", 1);
    strata_migration *na = &files->items[1];
    free(na->up.path);
    na->up.path = NULL;
    na->applicable = 0;
    strata_history *h = history_new();
    row_add(h, "1", "a", "s1", "applied", 1);
    strata_merged *m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL(m->items[1].state, STRATA_STATE_NOT_APPLICABLE);
    CU_ASSERT_EQUAL(m->items[2].state, STRATA_STATE_PENDING);
    strata_error err = no_error();
    strata_plan p;
    CU_ASSERT_EQUAL_FATAL(strata_plan_up(m, NULL, 0, 0, &p, &err), STRATA_OK);
    CU_ASSERT_EQUAL_FATAL(p.count, 1);
    CU_ASSERT_STRING_EQUAL(p.items[0]->version, "3");
    strata_plan_free(&p);
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

static void
repeatable_file(strata_source_set *set, const char *name, const char *checksum)
{
    set->repeatables =
        realloc(set->repeatables, (set->nrepeatables + 1) * sizeof(*set->repeatables));
    strata_repeatable *r = &set->repeatables[set->nrepeatables++];
    memset(r, 0, sizeof(*r));
    r->name = tdup(name);
    char path[256];
    snprintf(path, sizeof(path), "migrations/R__%s.sql", name);
    r->script.path = tdup(path);
    snprintf(r->script.checksum, sizeof(r->script.checksum), "%s", checksum);
}

static void
repeatable_row(strata_history *h, const char *name, const char *checksum, const char *state)
{
    h->repeatables = realloc(h->repeatables, (h->nrepeatables + 1) * sizeof(*h->repeatables));
    strata_history_row *r = &h->repeatables[h->nrepeatables++];
    memset(r, 0, sizeof(*r));
    char *version = strata_history_repeatable_version(name);
    pack_row(h, r, version, "repeatable", name, checksum, state);
    free(version);
}

/* Repeatables pair by name: never run, applied, changed since (outdated), file gone. */
static void
test_repeatables(void)
{
    strata_source_set *files = files_new();
    repeatable_file(files, "a_view", "v1");
    repeatable_file(files, "b_func", "f2");
    repeatable_file(files, "c_new", "n1");
    strata_history *h = history_new();
    repeatable_row(h, "a_view", "v1", "applied");
    repeatable_row(h, "b_func", "f1", "applied");
    repeatable_row(h, "gone", "g1", "applied");
    strata_merged *m = strata_plan_merge(files, h);
    CU_ASSERT_EQUAL_FATAL(m->nreps, 4);
    CU_ASSERT_EQUAL(m->reps[0].state, STRATA_STATE_APPLIED);
    CU_ASSERT_EQUAL(m->reps[1].state, STRATA_STATE_OUTDATED);
    CU_ASSERT_EQUAL(m->reps[2].state, STRATA_STATE_PENDING);
    CU_ASSERT_STRING_EQUAL(m->reps[2].file->name, "c_new");
    CU_ASSERT_EQUAL(m->reps[3].state, STRATA_STATE_MISSING);
    CU_ASSERT_STRING_EQUAL(m->reps[3].row->name, "gone");
    strata_merged_free(m);

    /* a dirty repeatable blocks up like a dirty versioned migration */
    h->repeatables[0].state = (char *)"dirty";
    m = strata_plan_merge(files, h);
    strata_error err = no_error();
    strata_plan p;
    CU_ASSERT_EQUAL(strata_plan_up(m, NULL, 0, 0, &p, &err), STRATA_DIRTY);
    ASSERT_CONTAINS(err.hint, "strata force R__a_view");
    strata_merged_free(m);
    strata_history_free(h);
    strata_source_free(files);
}

int
main(void)
{
    static const tu_test merge[] = {
        {"states", test_merge_states},
        {"versions compare numerically", test_merge_versions_compare_numerically},
        {"empty lists", test_merge_edge_cases},
        {"not applicable to this dialect", test_not_applicable},
        {"repeatables", test_repeatables},
        {"out-of-order against the highest applied version",
         test_merge_out_of_order_uses_highest_version},
        {NULL, NULL},
    };
    static const tu_test up[] = {
        {"all pending in order", test_up_all_pending},
        {"fresh database", test_up_fresh_database},
        {"nothing pending", test_up_nothing_pending},
        {"--to", test_up_to},
        {"--step", test_up_step},
        {"refuses a modified migration", test_up_refuses_modified},
        {"refuses a dirty history", test_up_refuses_dirty},
        {"refuses a dirty row without a file", test_up_refuses_dirty_without_file},
        {"out-of-order refused unless allowed", test_up_out_of_order},
        {"a missing file stops up unless ignored", test_up_missing_file},
        {NULL, NULL},
    };
    static const tu_test down[] = {
        {"default is one", test_down_default_one},
        {"newest applied rank first, --step, --all", test_down_rank_order},
        {"--to", test_down_to},
        {"empty history", test_down_empty_history},
        {"refuses a migration without down", test_down_refuses_no_down_script},
        {"refuses a missing file", test_down_refuses_missing_file},
        {"refuses a dirty history", test_down_refuses_dirty},
        {"dirty hint", test_dirty_hint},
        {NULL, NULL},
    };
    tu_suite("plan merge", merge);
    tu_suite("plan up", up);
    tu_suite("plan down", down);
    return tu_run();
}
