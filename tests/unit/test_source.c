/*
 * Unit tests for migrations on disk (DESIGN section 3): file names, versions and their
 * order, scanning folders (paired files, files with sections, annotations, bad input)
 * and script checksums.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <nettle/sha2.h>

#include <strata/types.h>

#include "checksum.h"
#include "source.h"
#include "testutil.h"
#include "version.h"

#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Compares two strings where either may be NULL. */
#define ASSERT_STR(actual, expected)                                                               \
    do {                                                                                           \
        const char *src_a_ = (actual);                                                             \
        const char *src_e_ = (expected);                                                           \
        if (src_e_ == NULL) {                                                                      \
            CU_ASSERT_PTR_NULL(src_a_);                                                            \
        } else if (src_a_ == NULL) {                                                               \
            CU_FAIL("expected \"" #expected "\", got NULL");                                       \
        } else {                                                                                   \
            CU_ASSERT_STRING_EQUAL(src_a_, src_e_);                                                \
            if (strcmp(src_a_, src_e_) != 0)                                                       \
                fprintf(stderr, "\n  got \"%s\", expected \"%s\"\n", src_a_, src_e_);             \
        }                                                                                          \
    } while (0)

/* Asserts that haystack holds needle, printing both when it does not. */
#define ASSERT_CONTAINS(haystack, needle)                                                          \
    do {                                                                                           \
        const char *src_h_ = (haystack);                                                           \
        const char *src_n_ = (needle);                                                             \
        int src_ok_ = src_h_ != NULL && strstr(src_h_, src_n_) != NULL;                            \
        CU_ASSERT(src_ok_);                                                                        \
        if (!src_ok_)                                                                              \
            fprintf(stderr, "\n  \"%s\" does not contain \"%s\"\n", src_h_ ? src_h_ : "(null)",  \
                    src_n_);                                                                       \
    } while (0)

/* ================================================================== names */

/* Parses file, which must succeed with these parts. */
static void
name_ok(const char *file, const char *version, const char *name, char direction)
{
    char *v = (char *)0x1, *n = (char *)0x1;
    char d = 0;
    int rc = strata_source_parse_name(file, &v, &n, &d);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "\n  %s was refused\n", file);
        return;
    }
    ASSERT_STR(v, version);
    ASSERT_STR(n, name);
    CU_ASSERT_EQUAL(d, direction);
    free(v);
    free(n);
}

/* Parses file, which must be refused with both out strings left NULL. */
static void
name_refused(const char *file)
{
    char *v = (char *)0x1, *n = (char *)0x1;
    char d = 0;
    int rc = strata_source_parse_name(file, &v, &n, &d);
    CU_ASSERT_EQUAL(rc, -1);
    if (rc != -1) {
        fprintf(stderr, "\n  %s was accepted\n", file);
        if (v != (char *)0x1)
            free(v);
        if (n != (char *)0x1)
            free(n);
        return;
    }
    CU_ASSERT_PTR_NULL(v);
    CU_ASSERT_PTR_NULL(n);
}

static void
test_name_paired(void)
{
    name_ok("001_create_users.up.sql", "001", "create_users", 'u');
    name_ok("001_create_users.down.sql", "001", "create_users", 'd');
    name_ok("20250701132805_add_email.up.sql", "20250701132805", "add_email", 'u');
    name_ok("3_2fa_codes.down.sql", "3", "2fa_codes", 'd');
}

static void
test_name_one_file(void)
{
    name_ok("20250701132805_init.sql", "20250701132805", "init", 's');
    name_ok("7_seed_data.sql", "7", "seed_data", 's');
}

static void
test_name_dash_separator(void)
{
    name_ok("1-add-index.up.sql", "1", "add-index", 'u');
    name_ok("20250701132805-init.sql", "20250701132805", "init", 's');
    name_ok("002-drop_x.down.sql", "002", "drop_x", 'd');
}

static void
test_name_dotted_version(void)
{
    name_ok("1.2.3_x.up.sql", "1.2.3", "x", 'u');
    name_ok("1.2_name.sql", "1.2", "name", 's');
    name_ok("1.10_y.down.sql", "1.10", "y", 'd');
}

static void
test_name_refused(void)
{
    name_refused("create_users.sql");
    name_refused("V1__x.sql");
    name_refused("_x.up.sql");
    name_refused("readme.txt");
    name_refused("1..2_x.sql");
    name_refused("1x_name.sql");
    name_refused("001_create_users.up.txt");
    name_refused(".sql");
    name_refused("");
}

/* ================================================================== versions */

static strata_version_key
ver(const char *s)
{
    strata_version_key v;
    int rc = strata_version_parse(s, strlen(s), &v);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc != 0)
        fprintf(stderr, "\n  version %s was refused\n", s);
    return v;
}

static int
vcmp(const char *a, const char *b)
{
    strata_version_key x = ver(a), y = ver(b);
    int c = strata_version_cmp(&x, &y);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

static int
vparse_fails(const char *s)
{
    strata_version_key v;
    return strata_version_parse(s, strlen(s), &v) == -1;
}

static void
test_version_parse_values(void)
{
    strata_version_key v = ver("001");
    CU_ASSERT_EQUAL(v.nparts, 1);
    CU_ASSERT_EQUAL(v.part[0], 1);

    v = ver("1.2.3");
    CU_ASSERT_EQUAL(v.nparts, 3);
    CU_ASSERT_EQUAL(v.part[0], 1);
    CU_ASSERT_EQUAL(v.part[1], 2);
    CU_ASSERT_EQUAL(v.part[2], 3);

    v = ver("20250701132805");
    CU_ASSERT_EQUAL(v.nparts, 1);
    CU_ASSERT(v.part[0] == UINT64_C(20250701132805));

    v = ver("9999999999999999999"); /* 19 digits: the longest component */
    CU_ASSERT_EQUAL(v.nparts, 1);
    CU_ASSERT(v.part[0] == UINT64_C(9999999999999999999));

    v = ver("1.2.3.4.5.6.7.8"); /* 8 components: the most allowed */
    CU_ASSERT_EQUAL(v.nparts, STRATA_VERSION_MAX_PARTS);
    CU_ASSERT_EQUAL(v.part[7], 8);

    /* only the n bytes given are read */
    CU_ASSERT_EQUAL(strata_version_parse("12_name", 2, &v), 0);
    CU_ASSERT_EQUAL(v.nparts, 1);
    CU_ASSERT_EQUAL(v.part[0], 12);
}

static void
test_version_parse_refused(void)
{
    CU_ASSERT(vparse_fails(""));
    CU_ASSERT(vparse_fails("."));
    CU_ASSERT(vparse_fails("1."));
    CU_ASSERT(vparse_fails(".1"));
    CU_ASSERT(vparse_fails("1..2"));
    CU_ASSERT(vparse_fails("a"));
    CU_ASSERT(vparse_fails("1a"));
    CU_ASSERT(vparse_fails("-1"));
    CU_ASSERT(vparse_fails(" 1"));
    CU_ASSERT(vparse_fails("1.2.3.4.5.6.7.8.9"));       /* 9 components */
    CU_ASSERT(vparse_fails("10000000000000000000"));    /* 20 digits */
    CU_ASSERT(vparse_fails("00000000000000000001"));    /* 20 digits, even with zeros */
    CU_ASSERT(vparse_fails("1.12345678901234567890"));  /* a 20-digit component */
}

static void
test_version_cmp_numeric(void)
{
    CU_ASSERT_EQUAL(vcmp("2", "10"), -1);
    CU_ASSERT_EQUAL(vcmp("10", "2"), 1);
    CU_ASSERT_EQUAL(vcmp("9", "10"), -1);
    CU_ASSERT_EQUAL(vcmp("001", "1"), 0);
    CU_ASSERT_EQUAL(vcmp("0010", "10"), 0);
    CU_ASSERT_EQUAL(vcmp("002", "10"), -1);
    CU_ASSERT_EQUAL(vcmp("5", "5"), 0);
}

static void
test_version_cmp_components(void)
{
    CU_ASSERT_EQUAL(vcmp("1.9", "1.10"), -1);
    CU_ASSERT_EQUAL(vcmp("1.10", "1.9"), 1);
    CU_ASSERT_EQUAL(vcmp("1.0", "1"), 0);
    CU_ASSERT_EQUAL(vcmp("1", "1.0.0"), 0);
    CU_ASSERT_EQUAL(vcmp("1", "1.0.1"), -1);
    CU_ASSERT_EQUAL(vcmp("1.2.3", "1.3"), -1);
    CU_ASSERT_EQUAL(vcmp("2", "1.99"), 1);
    CU_ASSERT_EQUAL(vcmp("01.02", "1.2"), 0);
}

static void
test_version_cmp_timestamps(void)
{
    CU_ASSERT_EQUAL(vcmp("20250701132805", "20250701132806"), -1);
    CU_ASSERT_EQUAL(vcmp("20250701132805", "20241231235959"), 1);
    CU_ASSERT_EQUAL(vcmp("999", "20250701132805"), -1);
    CU_ASSERT_EQUAL(vcmp("20250701132805", "20250701132805"), 0);
    CU_ASSERT_EQUAL(vcmp("9999999999999999999", "9999999999999999998"), 1);
}

static void
test_version_cmp_text(void)
{
    CU_ASSERT(strata_version_cmp_text("2", "10") < 0);
    CU_ASSERT(strata_version_cmp_text("1.10", "1.9") > 0);
    CU_ASSERT_EQUAL(strata_version_cmp_text("001", "1"), 0);
    /* unparseable sorts after every valid version, bytewise among themselves */
    CU_ASSERT(strata_version_cmp_text("abc", "99999") > 0);
    CU_ASSERT(strata_version_cmp_text("99999", "abc") < 0);
    CU_ASSERT(strata_version_cmp_text("abc", "abd") < 0);
}

/* ================================================================== scanning */

/* Reads a script's bytes back through strata_script_read (in small pieces); the caller
 * frees the result. NULL when it cannot be opened. */
static char *
script_text(const strata_script *script)
{
    strata_script_reader *r = NULL;
    strata_error err;
    memset(&err, 0, sizeof(err));
    if (strata_script_open(script, &r, &err) != STRATA_OK) {
        fprintf(stderr, "\n  cannot open script: %s\n", err.message);
        CU_FAIL("strata_script_open failed");
        return NULL;
    }
    size_t cap = 64, len = 0;
    char *text = malloc(cap);
    for (;;) {
        char piece[7];
        size_t n = strata_script_read(r, piece, sizeof(piece));
        if (n == (size_t)-1) {
            CU_FAIL("strata_script_read failed");
            break;
        }
        if (n == 0)
            break;
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            text = realloc(text, cap);
        }
        memcpy(text + len, piece, n);
        len += n;
    }
    text[len] = '\0';
    strata_script_close(r);
    return text;
}

/* Asserts everything about one script: path, where it starts, its bytes and checksum. */
static void
assert_script(const strata_script *s, const char *dir, const char *file, long first_line,
              long long offset, const char *text)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    ASSERT_STR(s->path, path);
    if (s->path == NULL)
        return;
    CU_ASSERT_EQUAL(s->first_line, first_line);
    CU_ASSERT_EQUAL(s->offset, offset);
    CU_ASSERT_EQUAL(s->length, (long long)strlen(text));
    char *got = script_text(s);
    ASSERT_STR(got, text);
    free(got);
    char sum[STRATA_CHECKSUM_HEX];
    strata_checksum_buffer(text, strlen(text), sum);
    ASSERT_STR(s->checksum, sum);
}

/* Scans dir, which must succeed. */
static strata_source_set *
scan_ok(const char *dir)
{
    strata_source_set *set = (strata_source_set *)0x1;
    strata_error err;
    memset(&err, 0, sizeof(err));
    int rc = strata_source_scan(dir, NULL, &set, &err);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    if (rc != STRATA_OK) {
        fprintf(stderr, "\n  unexpected scan failure: %s\n", err.message);
        return NULL;
    }
    CU_ASSERT_PTR_NOT_NULL(set);
    if (set != NULL)
        ASSERT_STR(set->dir, dir);
    return set;
}

/* Scans dir, which must fail with status, leave *out NULL and name each of the needles
 * (NULL-terminated list) in the message. */
static void
scan_fails(const char *dir, int status, const char *const *needles)
{
    strata_source_set *set = (strata_source_set *)0x1;
    strata_error err;
    memset(&err, 0, sizeof(err));
    int rc = strata_source_scan(dir, NULL, &set, &err);
    CU_ASSERT_EQUAL(rc, status);
    CU_ASSERT_EQUAL(err.status, status);
    if (rc == STRATA_OK) {
        fprintf(stderr, "\n  scan of %s unexpectedly succeeded\n", dir);
        strata_source_free(set);
        return;
    }
    CU_ASSERT_PTR_NULL(set);
    for (const char *const *n = needles; *n != NULL; n++)
        ASSERT_CONTAINS(err.message, *n);
}

/* dir/name as a new string. */
static char *
pathof(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void
test_scan_numeric_order(void)
{
    char *dir = tu_tempdir();
    /* byte order of the names would be 10, 1, 2 */
    tu_write(dir, "10_c.up.sql", "SELECT 10;\n");
    tu_write(dir, "1_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "2_b.up.sql", "SELECT 2;\n");
    tu_write(dir, "1.10_e.up.sql", "SELECT 1.10;\n");
    tu_write(dir, "1.9_d.up.sql", "SELECT 1.9;\n");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        static const char *versions[] = {"1", "1.9", "1.10", "2", "10"};
        static const char *names[] = {"a", "d", "e", "b", "c"};
        CU_ASSERT_EQUAL_FATAL(set->count, 5);
        for (size_t i = 0; i < 5; i++) {
            ASSERT_STR(set->items[i].version, versions[i]);
            ASSERT_STR(set->items[i].name, names[i]);
            CU_ASSERT_PTR_NULL(set->items[i].down.path);
            strata_version_key k = ver(versions[i]);
            CU_ASSERT_EQUAL(strata_version_cmp(&set->items[i].key, &k), 0);
        }
        assert_script(&set->items[4].up, dir, "10_c.up.sql", 1, 0, "SELECT 10;\n");

        /* strata_source_find looks versions up numerically */
        strata_version_key k = ver("010");
        CU_ASSERT_PTR_EQUAL(strata_source_find(set, &k), &set->items[4]);
        k = ver("1.9.0");
        CU_ASSERT_PTR_EQUAL(strata_source_find(set, &k), &set->items[1]);
        k = ver("3");
        CU_ASSERT_PTR_NULL(strata_source_find(set, &k));
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_pairs(void)
{
    char *dir = tu_tempdir();
    const char *up1 = "CREATE TABLE users (id int);\n";
    const char *down1 = "DROP TABLE users;\n";
    const char *up2 = "ALTER TABLE users ADD email text;\nCREATE INDEX i ON users (email);\n";
    tu_write(dir, "001_create_users.up.sql", up1);
    tu_write(dir, "001_create_users.down.sql", down1);
    tu_write(dir, "002_add_email.up.sql", up2);
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 2);
        ASSERT_STR(set->items[0].version, "001");
        ASSERT_STR(set->items[0].name, "create_users");
        assert_script(&set->items[0].up, dir, "001_create_users.up.sql", 1, 0, up1);
        assert_script(&set->items[0].down, dir, "001_create_users.down.sql", 1, 0, down1);
        CU_ASSERT_EQUAL(set->items[0].up.flags, 0);
        CU_ASSERT_EQUAL(set->items[0].down.flags, 0);
        ASSERT_STR(set->items[1].version, "002");
        ASSERT_STR(set->items[1].name, "add_email");
        assert_script(&set->items[1].up, dir, "002_add_email.up.sql", 1, 0, up2);
        CU_ASSERT_PTR_NULL(set->items[1].down.path);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_sections_strata(void)
{
    char *dir = tu_tempdir();
    const char *up = "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n\n";
    const char *down = "DROP TABLE t;\n";
    char text[1024];
    /* comments and blank lines may precede the first marker */
    snprintf(text, sizeof(text), "-- the first table\n\n-- strata:up\n%s-- strata:down\n%s", up,
             down);
    tu_write(dir, "20250701132805_init.sql", text);
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 1);
        const strata_migration *m = &set->items[0];
        ASSERT_STR(m->version, "20250701132805");
        ASSERT_STR(m->name, "init");
        long long up_off = (long long)strlen("-- the first table\n\n-- strata:up\n");
        long long down_off = up_off + (long long)strlen(up) + (long long)strlen("-- strata:down\n");
        assert_script(&m->up, dir, "20250701132805_init.sql", 4, up_off, up);
        assert_script(&m->down, dir, "20250701132805_init.sql", 8, down_off, down);
        CU_ASSERT_EQUAL(m->up.flags, 0);
        CU_ASSERT_EQUAL(m->down.flags, 0);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_sections_dbmate(void)
{
    char *dir = tu_tempdir();
    const char *up = "CREATE TABLE a (x int);\n";
    const char *down = "DROP TABLE a;\n";
    char text[1024];
    snprintf(text, sizeof(text), "-- migrate:up\n%s\n-- migrate:down\n%s", up, down);
    tu_write(dir, "5-dbmate.sql", text);
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 1);
        const strata_migration *m = &set->items[0];
        ASSERT_STR(m->version, "5");
        ASSERT_STR(m->name, "dbmate");
        char up_section[256];
        snprintf(up_section, sizeof(up_section), "%s\n", up); /* the blank line belongs to up */
        assert_script(&m->up, dir, "5-dbmate.sql", 2, 14, up_section);
        long long down_off = 14 + (long long)strlen(up_section) + 16;
        assert_script(&m->down, dir, "5-dbmate.sql", 5, down_off, down);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_sections_down_first_and_no_final_newline(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "3_x.sql", "-- migrate:down\nDROP TABLE x;\n-- migrate:up\nCREATE TABLE x (a int);");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 1);
        assert_script(&set->items[0].down, dir, "3_x.sql", 2, 16, "DROP TABLE x;\n");
        assert_script(&set->items[0].up, dir, "3_x.sql", 4, 16 + 14 + 14,
                      "CREATE TABLE x (a int);");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_markerless_one_file(void)
{
    char *dir = tu_tempdir();
    const char *text = "-- seed data\nINSERT INTO t VALUES (1);\n-- migrate:upgrade is not a marker\n";
    tu_write(dir, "7_seed.sql", text);
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 1);
        ASSERT_STR(set->items[0].version, "7");
        ASSERT_STR(set->items[0].name, "seed");
        assert_script(&set->items[0].up, dir, "7_seed.sql", 1, 0, text);
        CU_ASSERT_PTR_NULL(set->items[0].down.path);
        CU_ASSERT_EQUAL(set->items[0].up.flags, 0);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_no_transaction_paired(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_idx.up.sql",
             "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n");
    tu_write(dir, "1_idx.down.sql", "DROP INDEX i;\n");
    tu_write(dir, "2_vac.up.sql", "VACUUM;\n");
    tu_write(dir, "2_vac.down.sql", "  --   strata:no-transaction\nSELECT 1;\n");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 2);
        CU_ASSERT_EQUAL(set->items[0].up.flags, STRATA_SCRIPT_NO_TRANSACTION);
        CU_ASSERT_EQUAL(set->items[0].down.flags, 0);
        CU_ASSERT_EQUAL(set->items[1].up.flags, 0);
        CU_ASSERT_EQUAL(set->items[1].down.flags, STRATA_SCRIPT_NO_TRANSACTION);
        /* the annotation is a comment and stays part of the script */
        assert_script(&set->items[0].up, dir, "1_idx.up.sql", 1, 0,
                      "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_no_transaction_sections(void)
{
    char *dir = tu_tempdir();
    /* native annotation inside the down section only */
    tu_write(dir, "1_a.sql",
             "-- strata:up\nCREATE INDEX i ON t (a);\n"
             "-- strata:down\n-- strata:no-transaction\nDROP INDEX CONCURRENTLY i;\n");
    /* dbmate's spelling on the up marker only */
    tu_write(dir, "2_b.sql",
             "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY j ON t (b);\n"
             "-- migrate:down\nDROP INDEX j;\n");
    /* dbmate's spelling on the down marker only */
    tu_write(dir, "3_c.sql",
             "-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false\nSELECT 2;\n");
    /* before the first marker: applies to both sections */
    tu_write(dir, "4_d.sql",
             "-- strata:no-transaction\n-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 4);
        CU_ASSERT_EQUAL(set->items[0].up.flags, 0);
        CU_ASSERT_EQUAL(set->items[0].down.flags, STRATA_SCRIPT_NO_TRANSACTION);
        CU_ASSERT_EQUAL(set->items[1].up.flags, STRATA_SCRIPT_NO_TRANSACTION);
        CU_ASSERT_EQUAL(set->items[1].down.flags, 0);
        CU_ASSERT_EQUAL(set->items[2].up.flags, 0);
        CU_ASSERT_EQUAL(set->items[2].down.flags, STRATA_SCRIPT_NO_TRANSACTION);
        CU_ASSERT_EQUAL(set->items[3].up.flags, STRATA_SCRIPT_NO_TRANSACTION);
        CU_ASSERT_EQUAL(set->items[3].down.flags, STRATA_SCRIPT_NO_TRANSACTION);
        /* the marker line with its option is not part of the section */
        assert_script(&set->items[1].up, dir, "2_b.sql", 2, 32,
                      "CREATE INDEX CONCURRENTLY j ON t (b);\n");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_ignores_other_files(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "README.md", "not a migration\n");
    tu_write(dir, "notes.txt", "");
    tu_write(dir, ".hidden.sql", "");
    tu_write(dir, ".2_b.up.sql", "SELECT 2;\n");
    tu_write(dir, "1_a.up.sql.orig", "");
    tu_write(dir, "schema.sql/inner.txt", "a folder whose name ends in .sql\n");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL(set->count, 1);
        if (set->count == 1)
            ASSERT_STR(set->items[0].version, "1");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_empty_directory(void)
{
    char *dir = tu_tempdir();
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL(set->count, 0);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_comment_only_up(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_noop.up.sql", "-- deliberately nothing: kept for history\n");
    tu_write(dir, "2_noop.sql", "-- migrate:up\n-- nothing\n-- migrate:down\n");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 2);
        assert_script(&set->items[0].up, dir, "1_noop.up.sql", 1, 0,
                      "-- deliberately nothing: kept for history\n");
        assert_script(&set->items[1].up, dir, "2_noop.sql", 2, 14, "-- nothing\n");
        /* an empty down section is allowed */
        assert_script(&set->items[1].down, dir, "2_noop.sql", 4, 41, "");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_duplicate_version(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "001_b.up.sql", "SELECT 2;\n");
    char *a = pathof(dir, "1_a.up.sql"), *b = pathof(dir, "001_b.up.sql");
    const char *needles[] = {a, b, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_duplicate_formats(void)
{
    char *dir = tu_tempdir();
    /* a paired up file and a file with sections for one version */
    tu_write(dir, "4_x.up.sql", "SELECT 1;\n");
    tu_write(dir, "4_x.sql", "-- migrate:up\nSELECT 1;\n");
    const char *needles[] = {"/4_x.up.sql", "/4_x.sql", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    tu_rmtree(dir);
    free(dir);

    dir = tu_tempdir();
    /* two downs for one version */
    tu_write(dir, "4_x.up.sql", "SELECT 1;\n");
    tu_write(dir, "4_x.down.sql", "SELECT 1;\n");
    tu_write(dir, "04_y.down.sql", "SELECT 1;\n");
    const char *needles2[] = {"4_x.down.sql", "04_y.down.sql", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles2);
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_bad_name(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "create_users.sql", "SELECT 1;\n");
    char *p = pathof(dir, "create_users.sql");
    const char *needles[] = {p, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_empty_up(void)
{
    static const char *bodies[] = {"", "   \n\t\n\n", "\r\n \r\n"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        char *dir = tu_tempdir();
        tu_write(dir, "1_a.up.sql", bodies[i]);
        tu_write(dir, "1_a.down.sql", "SELECT 1;\n");
        char *p = pathof(dir, "1_a.up.sql");
        const char *needles[] = {p, "empty", NULL};
        scan_fails(dir, STRATA_VALIDATION, needles);
        free(p);
        tu_rmtree(dir);
        free(dir);
    }
}

static void
test_scan_error_empty_up_section(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.sql", "-- migrate:up\n\n  \n-- migrate:down\nDROP TABLE t;\n");
    char *p = pathof(dir, "1_a.sql");
    const char *needles[] = {p, "empty", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_empty_down_is_fine(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "1_a.down.sql", "");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 1);
        assert_script(&set->items[0].down, dir, "1_a.down.sql", 1, 0, "");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_not_utf8(void)
{
    char *dir = tu_tempdir();
    /* 0xFF on line 2, column 9 */
    tu_write(dir, "1_a.up.sql", "SELECT 1;\nSELECT '\xff';\n");
    char *p = pathof(dir, "1_a.up.sql");
    char where[4200];
    snprintf(where, sizeof(where), "%s:2:9", p);
    const char *needles[] = {where, "UTF-8", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(p);
    tu_rmtree(dir);
    free(dir);

    /* Latin-1 text in a down file (and valid UTF-8 in its up file) */
    dir = tu_tempdir();
    tu_write(dir, "1_a.up.sql", "SELECT 'h\xc3\xa9';\n"); /* valid: é */
    tu_write(dir, "1_a.down.sql", "-- caf\xe9\n");         /* Latin-1 é */
    p = pathof(dir, "1_a.down.sql");
    snprintf(where, sizeof(where), "%s:1:7", p);
    const char *needles2[] = {where, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles2);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_down_without_up(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "2_b.down.sql", "SELECT 2;\n");
    char *p = pathof(dir, "2_b.down.sql");
    const char *needles[] = {p, "2_b.up.sql", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_sql_before_marker(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.sql", "-- fine\nSELECT 1;\n-- migrate:up\nSELECT 2;\n");
    char *p = pathof(dir, "1_a.sql");
    char where[4200];
    snprintf(where, sizeof(where), "%s:2", p);
    const char *needles[] = {where, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_second_section(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n");
    char *p = pathof(dir, "1_a.sql");
    char where[4200];
    snprintf(where, sizeof(where), "%s:3", p);
    const char *needles[] = {where, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_down_section_only(void)
{
    /* markers, but no up section: the migration would have no up script */
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.sql", "-- migrate:down\nDROP TABLE t;\n");
    char *p = pathof(dir, "1_a.sql");
    const char *needles[] = {p, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void
test_scan_error_missing_directory(void)
{
    char *dir = tu_tempdir();
    char *missing = pathof(dir, "no-such-folder");
    const char *needles[] = {missing, NULL};
    scan_fails(missing, STRATA_ERROR, needles);
    free(missing);
    tu_rmtree(dir);
    free(dir);
}

/* ================================================================== checksums */

static void
sum(const char *text, char hex[STRATA_CHECKSUM_HEX])
{
    strata_checksum_buffer(text, strlen(text), hex);
}

/* Checksum of text fed one byte at a time. */
static void
sum_bytewise(const char *text, char hex[STRATA_CHECKSUM_HEX])
{
    strata_checksum c;
    strata_checksum_init(&c);
    for (size_t i = 0; text[i] != '\0'; i++)
        strata_checksum_update(&c, text + i, 1);
    strata_checksum_final(&c, hex);
}

static void
test_checksum_known(void)
{
    char hex[STRATA_CHECKSUM_HEX];
    sum("abc", hex);
    ASSERT_STR(hex, SHA256_ABC);
    CU_ASSERT_EQUAL(strlen(hex), 64);
    sum("", hex);
    ASSERT_STR(hex, SHA256_EMPTY);
    sum_bytewise("abc", hex);
    ASSERT_STR(hex, SHA256_ABC);
    /* a BOM alone is nothing */
    sum("\xEF\xBB\xBF", hex);
    ASSERT_STR(hex, SHA256_EMPTY);
    sum("\xEF\xBB\xBF" "abc", hex);
    ASSERT_STR(hex, SHA256_ABC);
}

static void
test_checksum_crlf_bom_pieces(void)
{
    const char *lf = "CREATE TABLE t (\n  id int\n);\n\nINSERT INTO t VALUES (1);\n";
    const char *crlf = "CREATE TABLE t (\r\n  id int\r\n);\r\n\r\nINSERT INTO t VALUES (1);\r\n";
    const char *bom = "\xEF\xBB\xBF" "CREATE TABLE t (\n  id int\n);\n\nINSERT INTO t VALUES (1);\n";
    const char *both = "\xEF\xBB\xBF"
                       "CREATE TABLE t (\r\n  id int\r\n);\r\n\r\nINSERT INTO t VALUES (1);\r\n";
    char want[STRATA_CHECKSUM_HEX], got[STRATA_CHECKSUM_HEX];
    sum(lf, want);
    CU_ASSERT_STRING_NOT_EQUAL(want, SHA256_EMPTY);
    sum(crlf, got);
    ASSERT_STR(got, want);
    sum(bom, got);
    ASSERT_STR(got, want);
    sum(both, got);
    ASSERT_STR(got, want);
    sum_bytewise(lf, got);
    ASSERT_STR(got, want);
    sum_bytewise(crlf, got);
    ASSERT_STR(got, want);
    sum_bytewise(bom, got);
    ASSERT_STR(got, want);
    sum_bytewise(both, got);
    ASSERT_STR(got, want);

    /* every two-piece cut of the BOM+CRLF text gives the same checksum */
    size_t n = strlen(both);
    for (size_t cut = 0; cut <= n; cut++) {
        strata_checksum c;
        strata_checksum_init(&c);
        strata_checksum_update(&c, both, cut);
        strata_checksum_update(&c, both + cut, n - cut);
        strata_checksum_final(&c, got);
        CU_ASSERT_STRING_EQUAL(got, want);
    }
}

/* Plain SHA-256 of text, with no normalisation, straight from Nettle. */
static void
raw_sha256(const char *data, size_t len, char hex[STRATA_CHECKSUM_HEX])
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, (const uint8_t *)data);
    sha256_digest(&ctx, sizeof(digest), digest);
    for (size_t i = 0; i < sizeof(digest); i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/* The checksum of text, whole and byte by byte, must be the plain SHA-256 of expected. */
static void
assert_normalized(const char *text, const char *expected)
{
    char want[STRATA_CHECKSUM_HEX], got[STRATA_CHECKSUM_HEX];
    raw_sha256(expected, strlen(expected), want);
    sum(text, got);
    ASSERT_STR(got, want);
    sum_bytewise(text, got);
    ASSERT_STR(got, want);
}

static void
test_checksum_normalization(void)
{
    assert_normalized("a\r\nb\r\n", "a\nb\n");
    /* a '\r' not followed by '\n' is kept */
    assert_normalized("a\rb\n", "a\rb\n");
    assert_normalized("a\r\r\nb", "a\r\nb");
    assert_normalized("abc\r", "abc\r"); /* at the very end */
    assert_normalized("\r\n", "\n");
    assert_normalized("\r", "\r");
    /* only a leading BOM is dropped */
    assert_normalized("\xEF\xBB\xBF\r\nx", "\nx");
    assert_normalized("a\xEF\xBB\xBF", "a\xEF\xBB\xBF");
    assert_normalized("\xEF\xBB\xBF\xEF\xBB\xBF", "\xEF\xBB\xBF");
    /* texts shorter than a BOM, and partial BOMs, are kept */
    assert_normalized("a", "a");
    assert_normalized("ab", "ab");
    assert_normalized("\xEF\xBB", "\xEF\xBB");
    assert_normalized("\xEF\xBBx", "\xEF\xBBx");

    char lf[STRATA_CHECKSUM_HEX], cr[STRATA_CHECKSUM_HEX];
    sum("a\nb\n", lf);
    sum("a\rb\n", cr);
    CU_ASSERT_STRING_NOT_EQUAL(cr, lf);
    sum("abc\r", cr);
    CU_ASSERT_STRING_NOT_EQUAL(cr, SHA256_ABC);
}

static void
test_checksum_scanned_crlf_bom_twins(void)
{
    char *lf_dir = tu_tempdir(), *win_dir = tu_tempdir();
    tu_write(lf_dir, "1_a.up.sql", "CREATE TABLE a (id int);\n-- done\n");
    tu_write(win_dir, "1_a.up.sql", "\xEF\xBB\xBF" "CREATE TABLE a (id int);\r\n-- done\r\n");
    tu_write(lf_dir, "1_a.down.sql", "DROP TABLE a;\n");
    tu_write(win_dir, "1_a.down.sql", "\xEF\xBB\xBF" "DROP TABLE a;\r\n");
    tu_write(lf_dir, "2_b.sql",
             "-- migrate:up\nCREATE TABLE b (id int);\n\n-- migrate:down\nDROP TABLE b;\n");
    tu_write(win_dir, "2_b.sql",
             "\xEF\xBB\xBF-- migrate:up\r\nCREATE TABLE b (id int);\r\n\r\n-- migrate:down\r\n"
             "DROP TABLE b;\r\n");
    /* markers, but only an up marker, on the BOM line */
    tu_write(lf_dir, "3_c.sql", "-- strata:up\nCREATE TABLE c (id int);\n");
    tu_write(win_dir, "3_c.sql", "\xEF\xBB\xBF-- strata:up\r\nCREATE TABLE c (id int);\r\n");
    /* a marker-less one-file migration */
    tu_write(lf_dir, "4_d.sql", "CREATE TABLE d (id int);\n");
    tu_write(win_dir, "4_d.sql", "\xEF\xBB\xBF" "CREATE TABLE d (id int);\r\n");

    strata_source_set *lf = scan_ok(lf_dir), *win = scan_ok(win_dir);
    if (lf != NULL && win != NULL) {
        CU_ASSERT_EQUAL_FATAL(lf->count, 4);
        CU_ASSERT_EQUAL_FATAL(win->count, 4);
        char want[STRATA_CHECKSUM_HEX];
        sum("CREATE TABLE a (id int);\n-- done\n", want);
        ASSERT_STR(lf->items[0].up.checksum, want);
        for (size_t i = 0; i < 4; i++) {
            ASSERT_STR(win->items[i].up.checksum, lf->items[i].up.checksum);
            CU_ASSERT_EQUAL(win->items[i].up.first_line, lf->items[i].up.first_line);
            if (lf->items[i].down.path != NULL && win->items[i].down.path != NULL)
                ASSERT_STR(win->items[i].down.checksum, lf->items[i].down.checksum);
            CU_ASSERT_EQUAL(win->items[i].down.path == NULL, lf->items[i].down.path == NULL);
        }
        sum("CREATE TABLE b (id int);\n\n", want);
        ASSERT_STR(win->items[1].up.checksum, want);
        sum("CREATE TABLE c (id int);\n", want);
        ASSERT_STR(win->items[2].up.checksum, want);
        /* the sections of the Windows file start after the BOM-prefixed marker line */
        assert_script(&win->items[1].up, win_dir, "2_b.sql", 2, 3 + 15,
                      "CREATE TABLE b (id int);\r\n\r\n");
        assert_script(&win->items[2].up, win_dir, "3_c.sql", 2, 3 + 14,
                      "CREATE TABLE c (id int);\r\n");
    }
    strata_source_free(lf);
    strata_source_free(win);
    tu_rmtree(lf_dir);
    tu_rmtree(win_dir);
    free(lf_dir);
    free(win_dir);
}

/* ================================================================== main */

int
main(void)
{
    static const tu_test names[] = {
        {"paired up/down names", test_name_paired},
        {"one-file names", test_name_one_file},
        {"'-' separates version from name", test_name_dash_separator},
        {"dotted versions", test_name_dotted_version},
        {"refused names", test_name_refused},
        {NULL, NULL},
    };
    static const tu_test versions[] = {
        {"parse values", test_version_parse_values},
        {"parse refusals", test_version_parse_refused},
        {"numeric order", test_version_cmp_numeric},
        {"component-wise order", test_version_cmp_components},
        {"timestamps", test_version_cmp_timestamps},
        {"text comparison", test_version_cmp_text},
        {NULL, NULL},
    };
    static const tu_test scan[] = {
        {"numeric order", test_scan_numeric_order},
        {"paired files", test_scan_pairs},
        {"strata sections", test_scan_sections_strata},
        {"dbmate sections", test_scan_sections_dbmate},
        {"down section first, no final newline",
         test_scan_sections_down_first_and_no_final_newline},
        {"marker-less one file is up-only", test_scan_markerless_one_file},
        {"no-transaction in paired files", test_scan_no_transaction_paired},
        {"no-transaction in sections", test_scan_no_transaction_sections},
        {"other files ignored", test_scan_ignores_other_files},
        {"empty directory", test_scan_empty_directory},
        {"comment-only up accepted", test_scan_comment_only_up},
        {"empty down accepted", test_scan_error_empty_down_is_fine},
        {"error: duplicate version", test_scan_error_duplicate_version},
        {"error: one version in two formats", test_scan_error_duplicate_formats},
        {"error: unparseable name", test_scan_error_bad_name},
        {"error: empty up file", test_scan_error_empty_up},
        {"error: empty up section", test_scan_error_empty_up_section},
        {"error: not UTF-8", test_scan_error_not_utf8},
        {"error: down without up", test_scan_error_down_without_up},
        {"error: SQL before the first marker", test_scan_error_sql_before_marker},
        {"error: second up section", test_scan_error_second_section},
        {"error: down section without up section", test_scan_error_down_section_only},
        {"error: missing directory", test_scan_error_missing_directory},
        {NULL, NULL},
    };
    static const tu_test checksums[] = {
        {"known SHA-256", test_checksum_known},
        {"CRLF, BOM and pieces", test_checksum_crlf_bom_pieces},
        {"CRLF and BOM normalisation, lone CR kept", test_checksum_normalization},
        {"scanned CRLF+BOM twins", test_checksum_scanned_crlf_bom_twins},
        {NULL, NULL},
    };
    tu_suite("source names", names);
    tu_suite("versions", versions);
    tu_suite("source scan", scan);
    tu_suite("checksums", checksums);
    return tu_run();
}
