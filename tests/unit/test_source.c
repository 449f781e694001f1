/*
 * Unit tests for migrations on disk (DESIGN section 3, docs/formats.md): file names,
 * versions and their order, scanning folders (paired files, sections, goose, rollback/,
 * folder per migration, Flyway and repeatables, dialect variants, annotations,
 * contradictions, bad input), detecting a folder's format, and script checksums.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <nettle/sha2.h>

#include <strata/types.h>

#include "checksum.h"
#include "envsub.h"
#include "listing.h"
#include "names.h"
#include "source.h"
#include "testutil.h"
#include "util.h"
#include "version.h"

#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ================================================================== names */

/* Parses file, which must succeed with these parts (tag NULL: none). */
static void
name_full(const char *file, const char *version, const char *name, const char *tag, char kind,
          int autocommit)
{
    strata_file_name n;
    const char *why = "unset";
    int rc = strata_file_name_parse(file, &n, &why);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NULL(why);
    if (rc != 0) {
        fprintf(stderr, "\n  %s was refused: %s\n", file, why);
        return;
    }
    if (version == NULL) {
        CU_ASSERT_PTR_NULL(n.version);
    } else {
        ASSERT_STR(n.version, version);
    }
    ASSERT_STR(n.name, name);
    if (tag == NULL) {
        CU_ASSERT_PTR_NULL(n.tag);
    } else {
        ASSERT_STR(n.tag, tag);
    }
    CU_ASSERT_EQUAL(n.kind, kind);
    CU_ASSERT_EQUAL(n.autocommit, autocommit);
    strata_file_name_free(&n);
}

static void
name_ok(const char *file, const char *version, const char *name, char kind)
{
    name_full(file, version, name, NULL, kind, 0);
}

/* Parses file, which must be refused with a rule containing needle, and out zeroed. */
static void
name_refused_because(const char *file, const char *needle)
{
    strata_file_name n;
    const char *why = NULL;
    int rc = strata_file_name_parse(file, &n, &why);
    CU_ASSERT_EQUAL(rc, -1);
    if (rc != -1) {
        fprintf(stderr, "\n  %s was accepted\n", file);
        strata_file_name_free(&n);
        return;
    }
    CU_ASSERT_PTR_NULL(n.version);
    CU_ASSERT_PTR_NULL(n.name);
    CU_ASSERT_PTR_NULL(n.tag);
    CU_ASSERT_PTR_NOT_NULL_FATAL(why);
    ASSERT_CONTAINS(why, needle);
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
    name_ok("0001-create-users.up.sql", "0001", "create-users", 'u');
}

static void
test_name_dotted_version(void)
{
    name_ok("1.2.3_x.up.sql", "1.2.3", "x", 'u');
    name_ok("1.2_name.sql", "1.2", "name", 's');
    name_ok("1.10_y.down.sql", "1.10", "y", 'd');
}

/* In-house runners: a V before the version, '.' between version and name. */
static void
test_name_inhouse(void)
{
    name_ok("V0001.Create_Users.up.sql", "0001", "Create_Users", 'u');
    name_ok("V0001.Create_Users.down.sql", "0001", "Create_Users", 'd');
    name_ok("v12_add_index.sql", "12", "add_index", 's');
    name_ok("0001.create_users.up.sql", "0001", "create_users", 'u');
    name_ok("V3-drop.down.sql", "3", "drop", 'd');
}

/* pop and popx: 20-digit versions, dialect tags, .autocommit. */
static void
test_name_pop(void)
{
    name_full("20150100000001000000_networks.postgres.up.sql", "20150100000001000000", "networks",
              "postgres", 'u', 0);
    name_full("20150100000001000000_networks.cockroach.autocommit.up.sql", "20150100000001000000",
              "networks", "cockroach", 'u', 1);
    name_full("20210914134624000001_x.autocommit.down.sql", "20210914134624000001", "x", NULL, 'd',
              1);
    name_full("20190101120000_users.sqlite3.down.sql", "20190101120000", "users", "sqlite3", 'd',
              0);
    name_full("20190101120000_users.up.sql", "20190101120000", "users", NULL, 'u', 0);
    /* a tag's shape is all the parser knows: whether it names a database is decided later */
    name_full("006_index_users.email.up.sql", "006", "index_users", "email", 'u', 0);
}

static void
test_name_flyway(void)
{
    name_full("V1__init.sql", "1", "init", NULL, 'V', 0);
    name_full("V1_2__between.sql", "1.2", "between", NULL, 'V', 0);
    name_full("U1__init.sql", "1", "init", NULL, 'U', 0);
    name_full("R__views.sql", NULL, "views", NULL, 'R', 0);
    name_full("V2__x.postgres.sql", "2", "x", "postgres", 'V', 0);
}

static void
test_name_refused(void)
{
    const char *start = "a migration file name starts with its version";
    name_refused_because("create_users.sql", start);
    name_refused_because("_x.up.sql", start);
    name_refused_because("readme.txt", start);
    name_refused_because(".sql", start);
    name_refused_because("", start);
    name_refused_because("001_create_users.up.txt", start);
    name_refused_because("1..2_x.sql", "each dot of a version stands between two runs of digits");
    name_refused_because("1x_name.sql", "the version must be followed by '_', '-' or '.'");
    name_refused_because("R__.sql", "a repeatable migration R__<name>.sql needs a name");
    name_refused_because("V__x.sql", "in Flyway's V<version>__<name>.sql the version");
    /* 65 digits: more than the history's version column holds */
    name_refused_because("12345678901234567890123456789012345678901234567890123456789012345_x.sql",
                         "a version has at most 64 characters");
}

/* ================================================================== versions */

static int
vok(const char *s)
{
    const char *why = "unset";
    int rc = strata_version_check(s, strlen(s), &why);
    CU_ASSERT_PTR_NULL(why);
    if (rc != 0)
        fprintf(stderr, "\n  version %s was refused: %s\n", s, why);
    return rc == 0;
}

static int
vcmp(const char *a, const char *b)
{
    CU_ASSERT(vok(a));
    CU_ASSERT(vok(b));
    int c = strata_version_cmp(a, b);
    int r = strata_version_cmp(b, a); /* antisymmetric */
    CU_ASSERT_EQUAL(c < 0 ? -1 : c > 0 ? 1 : 0, r < 0 ? 1 : r > 0 ? -1 : 0);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/* The rule the version s breaks, or NULL when it is one. */
static const char *
vrule(const char *s)
{
    const char *why = NULL;
    int rc = strata_version_check(s, strlen(s), &why);
    CU_ASSERT_EQUAL(rc == 0, why == NULL);
    return why;
}

static void
test_version_check_accepts(void)
{
    CU_ASSERT(vok("001"));
    CU_ASSERT(vok("0"));
    CU_ASSERT(vok("1.2.3"));
    CU_ASSERT(vok("20250701132805"));
    CU_ASSERT(vok("20150100000001000000"));           /* 20 digits: pop and popx */
    CU_ASSERT(vok("123456789012345678901234567890")); /* far beyond 64 bits */
    CU_ASSERT(vok("1.2.3.4.5.6.7.8.9.10.11.12"));     /* any number of components */
    CU_ASSERT(vok("1.12345678901234567890"));         /* a 20-digit component */
    /* only the n bytes given are read */
    CU_ASSERT_EQUAL(strata_version_check("12_name", 2, NULL), 0);
}

static void
test_version_check_refused(void)
{
    CU_ASSERT_STRING_EQUAL(vrule(""), "a version needs at least one digit");
    CU_ASSERT_STRING_EQUAL(vrule("a"), "a version holds only digits and dots");
    CU_ASSERT_STRING_EQUAL(vrule("1a"), "a version holds only digits and dots");
    CU_ASSERT_STRING_EQUAL(vrule("-1"), "a version holds only digits and dots");
    CU_ASSERT_STRING_EQUAL(vrule(" 1"), "a version holds only digits and dots");
    CU_ASSERT_STRING_EQUAL(vrule("."), "each dot of a version stands between two runs of digits");
    CU_ASSERT_STRING_EQUAL(vrule("1."), "each dot of a version stands between two runs of digits");
    CU_ASSERT_STRING_EQUAL(vrule(".1"), "each dot of a version stands between two runs of digits");
    CU_ASSERT_STRING_EQUAL(vrule("1..2"),
                           "each dot of a version stands between two runs of digits");
    char longest[STRATA_VERSION_MAX + 2];
    memset(longest, '7', sizeof(longest) - 1);
    longest[STRATA_VERSION_MAX] = '\0';
    CU_ASSERT_PTR_NULL(vrule(longest)); /* 64 characters fit the history */
    longest[STRATA_VERSION_MAX] = '7';
    longest[STRATA_VERSION_MAX + 1] = '\0';
    CU_ASSERT_STRING_EQUAL(vrule(longest),
                           "a version has at most 64 characters (the history's version column)");
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
    CU_ASSERT_EQUAL(vcmp("0", "000"), 0);
    CU_ASSERT_EQUAL(vcmp("0", "1"), -1);
    CU_ASSERT_EQUAL(vcmp("100", "099"), 1);
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
    CU_ASSERT_EQUAL(vcmp("1.0.0.0.0.0.0.0.0.1", "1"), 1);
    CU_ASSERT_EQUAL(vcmp("0.0.1", "0.1"), -1);
}

static void
test_version_cmp_long(void)
{
    CU_ASSERT_EQUAL(vcmp("20250701132805", "20250701132806"), -1);
    CU_ASSERT_EQUAL(vcmp("20250701132805", "20241231235959"), 1);
    CU_ASSERT_EQUAL(vcmp("999", "20250701132805"), -1);
    CU_ASSERT_EQUAL(vcmp("20250701132805", "20250701132805"), 0);
    CU_ASSERT_EQUAL(vcmp("9999999999999999999", "9999999999999999998"), 1);
    /* beyond 64 bits: pop's 14-digit timestamp plus 6-digit sequence */
    CU_ASSERT_EQUAL(vcmp("20150100000001000000", "20150100000001000001"), -1);
    CU_ASSERT_EQUAL(vcmp("20150100000001000000", "9999999999999999999"), 1);
    CU_ASSERT_EQUAL(vcmp("020150100000001000000", "20150100000001000000"), 0);
    CU_ASSERT_EQUAL(vcmp("123456789012345678901234567890", "123456789012345678901234567891"), -1);
    CU_ASSERT_EQUAL(vcmp("1.18446744073709551616", "1.18446744073709551615"), 1);
}

static void
test_version_cmp_not_versions(void)
{
    /* texts that are not versions sort after every version, bytewise among themselves */
    CU_ASSERT(strata_version_cmp("abc", "99999") > 0);
    CU_ASSERT(strata_version_cmp("99999", "abc") < 0);
    CU_ASSERT(strata_version_cmp("abc", "abd") < 0);
    CU_ASSERT(strata_version_cmp("1.", "2") > 0);
    CU_ASSERT_EQUAL(strata_version_cmp("x", "x"), 0);
}

/* ================================================================== scanning */

/* Reads a script's bytes back through strata_script_read (in small pieces); the caller
 * frees the result. NULL when it cannot be opened. */
static char *
script_text(const strata_script *script)
{
    strata_script_reader *r = NULL;
    strata_error err = STRATA_ERROR_INIT;
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

/* Scans dir for dialect (may be NULL), which must succeed. */
static strata_source_set *
scan_dialect_ok(const char *dir, const char *dialect)
{
    strata_source_set *set = (strata_source_set *)0x1;
    strata_error err = STRATA_ERROR_INIT;
    memset(&err, 0, sizeof(err));
    strata_dialect d = {.name = dialect};
    int rc = strata_source_scan(dir, &d, &set, &err);
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

static strata_source_set *
scan_ok(const char *dir)
{
    return scan_dialect_ok(dir, NULL);
}

/* Scans dir for dialect, which must fail with status, leave *out NULL and name each of the
 * needles (NULL-terminated list) in the message. */
static void
scan_dialect_fails(const char *dir, const char *dialect, int status, const char *const *needles)
{
    strata_source_set *set = (strata_source_set *)0x1;
    strata_error err = STRATA_ERROR_INIT;
    memset(&err, 0, sizeof(err));
    strata_dialect d = {.name = dialect};
    int rc = strata_source_scan(dir, &d, &set, &err);
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

static void
scan_fails(const char *dir, int status, const char *const *needles)
{
    scan_dialect_fails(dir, NULL, status, needles);
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

/* Scans dir, which must fail with STRATA_VALIDATION naming the files dir/a and dir/b. */
static void
scan_fails_naming(const char *dir, const char *a, const char *b)
{
    char *pa = pathof(dir, a), *pb = pathof(dir, b);
    const char *needles[] = {pa, pb, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(pa);
    free(pb);
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
            CU_ASSERT_EQUAL(strata_version_cmp(set->items[i].version, versions[i]), 0);
        }
        assert_script(&set->items[4].up, dir, "10_c.up.sql", 1, 0, "SELECT 10;\n");

        /* strata_source_find looks versions up numerically */
        CU_ASSERT_PTR_EQUAL(strata_source_find(set, "010"), &set->items[4]);
        CU_ASSERT_PTR_EQUAL(strata_source_find(set, "1.9.0"), &set->items[1]);
        CU_ASSERT_PTR_NULL(strata_source_find(set, "3"));
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
    tu_write(dir, "3_x.sql",
             "-- migrate:down\nDROP TABLE x;\n-- migrate:up\nCREATE TABLE x (a int);");
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
    const char *text =
        "-- seed data\nINSERT INTO t VALUES (1);\n-- migrate:upgrade is not a marker\n";
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

/* The folder is read from its newest version down: of two broken versions, the error
 * names the higher one's files (docs/formats.md, Contradictions). */
static void
test_scan_error_highest_version_first(void)
{
    char *dir = tu_tempdir();
    char name[64];
    for (int v = 1; v <= 6; v++) {
        snprintf(name, sizeof(name), "%03d_m%d.up.sql", v, v);
        tu_write(dir, name, "SELECT 1;\n");
    }
    tu_write(dir, "002_again.up.sql", "SELECT 2;\n");
    tu_write(dir, "005_again.up.sql", "SELECT 5;\n");
    scan_fails_naming(dir, "005_again.up.sql", "005_m5.up.sql");
    tu_rmtree(dir);
    free(dir);
}

/* A set larger than the steps in which the scan gives back its list of files: every
 * migration in order with its own scripts, a one-file migration's down section sharing
 * its path with the up script. */
static void
test_scan_many_in_order(void)
{
    enum { N = 2600 };
    char *dir = tu_tempdir();
    char name[64], text[64];
    for (int v = 1; v <= N; v++) {
        snprintf(text, sizeof(text), "SELECT %d;\n", v);
        if (v % 100 == 0) {
            snprintf(name, sizeof(name), "%05d_one%d.sql", v, v);
            char body[128];
            snprintf(body, sizeof(body), "-- migrate:up\n%s-- migrate:down\nSELECT -%d;\n", text,
                     v);
            tu_write(dir, name, body);
            continue;
        }
        snprintf(name, sizeof(name), "%05d_m%d.up.sql", v, v);
        tu_write(dir, name, text);
        if (v % 3 != 0) {
            snprintf(name, sizeof(name), "%05d_m%d.down.sql", v, v);
            snprintf(text, sizeof(text), "SELECT -%d;\n", v);
            tu_write(dir, name, text);
        }
    }
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL(set->count, N);
        for (size_t i = 0; i < set->count && i < N; i++) {
            int v = (int)i + 1;
            const strata_migration *m = &set->items[i];
            char want[64];
            snprintf(want, sizeof(want), "%05d", v);
            ASSERT_STR(m->version, want);
            snprintf(text, sizeof(text), "SELECT %d;\n", v);
            if (v % 100 == 0) {
                snprintf(name, sizeof(name), "%05d_one%d.sql", v, v);
                assert_script(&m->up, dir, name, 2, 14, text);
                CU_ASSERT_PTR_EQUAL(m->down.path, m->up.path);
                continue;
            }
            snprintf(name, sizeof(name), "%05d_m%d.up.sql", v, v);
            if (v % 7 == 0) /* reading every script would make the test slow */
                assert_script(&m->up, dir, name, 1, 0, text);
            else
                CU_ASSERT_PTR_NOT_NULL(m->up.path);
            CU_ASSERT_EQUAL(m->down.path != NULL, v % 3 != 0);
        }
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
    scan_fails_naming(dir, "1_a.up.sql", "001_b.up.sql");
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

/* Empty, blank and comment-only scripts are deliberate no-ops, marked empty. */
static void
test_scan_empty_up_is_noop(void)
{
    static const char *bodies[] = {"", "   \n\t\n\n", "\r\n \r\n", "-- nothing for this database\n",
                                   "\n  -- a comment\n\n"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        char *dir = tu_tempdir();
        tu_write(dir, "1_a.up.sql", bodies[i]);
        tu_write(dir, "1_a.down.sql", "SELECT 1;\n");
        tu_write(dir, "2_b.up.sql", "SELECT 2;\n");
        tu_write(dir, "2_b.down.sql", bodies[i]);
        strata_source_set *set = scan_ok(dir);
        if (set != NULL) {
            CU_ASSERT_EQUAL_FATAL(set->count, 2);
            assert_script(&set->items[0].up, dir, "1_a.up.sql", 1, 0, bodies[i]);
            CU_ASSERT_EQUAL(set->items[0].up.empty, 1);
            CU_ASSERT_EQUAL(set->items[0].down.empty, 0);
            CU_ASSERT_EQUAL(set->items[1].up.empty, 0);
            CU_ASSERT_EQUAL(set->items[1].down.empty, 1);
            CU_ASSERT_PTR_NOT_NULL(set->items[1].down.path);
            strata_source_free(set);
        }
        tu_rmtree(dir);
        free(dir);
    }
}

static void
test_scan_empty_up_section_is_noop(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.sql", "-- migrate:up\n\n  \n-- migrate:down\nDROP TABLE t;\n");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 1);
        CU_ASSERT_EQUAL(set->items[0].up.empty, 1);
        CU_ASSERT_EQUAL(set->items[0].down.empty, 0);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

/* A dangling symbolic link or a FIFO named like a migration is an error naming it. */
static void
test_scan_error_odd_entries(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.up.sql", "SELECT 1;\n");
    char *link = pathof(dir, "2_b.up.sql");
    CU_ASSERT_EQUAL_FATAL(symlink("gone.sql", link), 0);
    const char *needles[] = {link, "a symbolic link to nothing", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    unlink(link);
    tu_write(dir, "postgres/.keep", "");
    char *fifo = pathof(dir, "postgres/3_c.up.sql");
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    const char *needles2[] = {"3_c.up.sql", "is a FIFO", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles2);
    free(fifo);
    free(link);
    tu_rmtree(dir);
    free(dir);
}

/* A NUL byte is refused with file:line:col, before anything could run. */
static void
test_scan_error_nul_byte(void)
{
    char *dir = tu_tempdir();
    char *path = pathof(dir, "1_a.up.sql");
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static const char text[] = "SELECT 1;\nINSERT INTO t VALUES ('a\0b');\n";
    fwrite(text, 1, sizeof(text) - 1, f);
    fclose(f);
    char where[4200];
    snprintf(where, sizeof(where), "%s:2:25", path);
    const char *needles[] = {where, "NUL byte", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(path);
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
    tu_write(dir, "1_a.down.sql", "-- caf\xe9\n");        /* Latin-1 é */
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

/* ================================================================== formats */

/* The migration at index i of set, failing the test when there is none. */
static const strata_migration *
item(const strata_source_set *set, size_t i)
{
    CU_ASSERT_FATAL(set != NULL && i < set->count);
    return &set->items[i];
}

/* Asserts version, name, format and applicability of m. */
static void
assert_migration(const strata_migration *m, const char *version, const char *name,
                 const char *format, int applicable)
{
    ASSERT_STR(m->version, version);
    ASSERT_STR(m->name, name);
    ASSERT_STR(m->format, format);
    CU_ASSERT_EQUAL(m->applicable, applicable);
}

/* Reads a script through strata_envsub, one byte at a time; the caller frees the result. */
static char *
envsub_text(const strata_script *script)
{
    strata_script_reader *r = NULL;
    strata_error err = STRATA_ERROR_INIT;
    memset(&err, 0, sizeof(err));
    CU_ASSERT_EQUAL_FATAL(strata_script_open(script, &r, &err), STRATA_OK);
    strata_envsub *e = strata_envsub_create(strata_script_read, r);
    if (script->flags & STRATA_SCRIPT_ENVSUB_OPEN)
        strata_envsub_start_inside(e);
    strata_buf out = {0};
    char c;
    size_t n;
    while ((n = strata_envsub_read(e, &c, 1)) == 1)
        strata_buf_append(&out, &c, 1);
    CU_ASSERT_EQUAL(n, 0);
    strata_envsub_free(e);
    strata_script_close(r);
    return strata_buf_take(&out);
}

static void
test_format_paired_and_sections(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "1_a.down.sql", "SELECT 2;\n");
    tu_write(dir, "2_b.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
    tu_write(dir, "3_c.sql", "-- strata:up\nSELECT 1;\n");
    tu_write(dir, "4_d.sql", "SELECT 1;\n");
    /* a marker-less one file with a down file for the dialect */
    tu_write(dir, "5_e.sql", "SELECT 1;\n");
    tu_write(dir, "5_e.sqlite.down.sql", "SELECT 2;\n");
    /* sections without a down section and a down file for the dialect */
    tu_write(dir, "6_f.sql", "-- migrate:up\nSELECT 1;\n");
    tu_write(dir, "6_f.sqlite.down.sql", "SELECT 2;\n");
    strata_source_set *set = scan_dialect_ok(dir, "sqlite");
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 6);
        assert_migration(item(set, 0), "1", "a", "paired", 1);
        assert_migration(item(set, 1), "2", "b", "sections", 1);
        assert_migration(item(set, 2), "3", "c", "sections", 1);
        assert_migration(item(set, 3), "4", "d", "sections", 1);
        assert_migration(item(set, 4), "5", "e", "paired", 1);
        assert_script(&item(set, 4)->up, dir, "5_e.sql", 1, 0, "SELECT 1;\n");
        assert_script(&item(set, 4)->down, dir, "5_e.sqlite.down.sql", 1, 0, "SELECT 2;\n");
        assert_migration(item(set, 5), "6", "f", "sections", 1);
        assert_script(&item(set, 5)->up, dir, "6_f.sql", 2, 14, "SELECT 1;\n");
        assert_script(&item(set, 5)->down, dir, "6_f.sqlite.down.sql", 1, 0, "SELECT 2;\n");
        CU_ASSERT_EQUAL(set->nrepeatables, 0);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_format_goose(void)
{
    char *dir = tu_tempdir();
    /* ENVSUB opened above the Up marker, closed in the up section; NO TRANSACTION at the
     * very end applies to both sections */
    const char *pre = "-- +goose ENVSUB ON\n-- +goose Up\n";
    const char *up = "-- +goose StatementBegin\n"
                     "CREATE FUNCTION f() RETURNS text AS $$ SELECT '${STRATA_T_GOOSE}' $$;\n"
                     "-- +goose StatementEnd\n"
                     "-- +goose ENVSUB OFF\n\n";
    const char *mid = "-- +goose Down\n";
    const char *down = "DROP FUNCTION f; -- ${STRATA_T_GOOSE}\n-- +goose NO TRANSACTION\n";
    char text[1024];
    snprintf(text, sizeof(text), "%s%s%s%s", pre, up, mid, down);
    tu_write(dir, "20250701132805_func.sql", text);
    /* lower case markers; ENVSUB opened in the up section is still on in the down one */
    tu_write(dir, "20250701132806_second.sql",
             "-- +goose up\nSELECT 1;\n-- +goose envsub on\nSELECT '${STRATA_T_GOOSE}';\n"
             "--   +goose   DOWN  \nSELECT '${STRATA_T_GOOSE:-x}';\n");
    /* goose annotations in a paired file: the same flags */
    tu_write(dir, "20250701132807_paired.up.sql",
             "-- +goose NO TRANSACTION\n-- +goose ENVSUB ON\nSELECT '${STRATA_T_GOOSE}';\n");
    /* a comment-only up section is a recorded no-op */
    tu_write(dir, "20250701132808_noop.sql", "-- +goose Up\n-- nothing\n-- +goose Down\n");
    /* trailing words: not a goose marker, so the file is one up script */
    tu_write(dir, "20250701132809_plain.sql", "-- +goose Up now\nSELECT 1;\n");
    setenv("STRATA_T_GOOSE", "v1", 1);
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 5);
        const strata_migration *m = item(set, 0);
        assert_migration(m, "20250701132805", "func", "goose", 1);
        long long up_off = (long long)strlen(pre);
        long long down_off = up_off + (long long)strlen(up) + (long long)strlen(mid);
        assert_script(&m->up, dir, "20250701132805_func.sql", 3, up_off, up);
        assert_script(&m->down, dir, "20250701132805_func.sql", 9, down_off, down);
        CU_ASSERT_EQUAL(m->up.flags, STRATA_SCRIPT_NO_TRANSACTION | STRATA_SCRIPT_ENVSUB |
                                         STRATA_SCRIPT_ENVSUB_OPEN);
        CU_ASSERT_EQUAL(m->down.flags, STRATA_SCRIPT_NO_TRANSACTION);
        char *got = envsub_text(&m->up);
        ASSERT_CONTAINS(got, "SELECT 'v1' $$;\n-- +goose StatementEnd\n");
        free(got);

        m = item(set, 1);
        assert_migration(m, "20250701132806", "second", "goose", 1);
        CU_ASSERT_EQUAL(m->up.flags, STRATA_SCRIPT_ENVSUB);
        CU_ASSERT_EQUAL(m->down.flags, STRATA_SCRIPT_ENVSUB | STRATA_SCRIPT_ENVSUB_OPEN);
        assert_script(&m->down, dir, "20250701132806_second.sql", 6, 92,
                      "SELECT '${STRATA_T_GOOSE:-x}';\n");
        got = envsub_text(&m->up);
        ASSERT_STR(got, "SELECT 1;\n-- +goose envsub on\nSELECT 'v1';\n");
        free(got);
        got = envsub_text(&m->down);
        ASSERT_STR(got, "SELECT 'v1';\n");
        free(got);

        m = item(set, 2);
        assert_migration(m, "20250701132807", "paired", "paired", 1);
        CU_ASSERT_EQUAL(m->up.flags, STRATA_SCRIPT_NO_TRANSACTION | STRATA_SCRIPT_ENVSUB);

        m = item(set, 3);
        assert_migration(m, "20250701132808", "noop", "goose", 1);
        assert_script(&m->up, dir, "20250701132808_noop.sql", 2, 13, "-- nothing\n");
        assert_script(&m->down, dir, "20250701132808_noop.sql", 4, 39, "");

        m = item(set, 4);
        assert_migration(m, "20250701132809", "plain", "sections", 1);
        assert_script(&m->up, dir, "20250701132809_plain.sql", 1, 0,
                      "-- +goose Up now\nSELECT 1;\n");
        strata_source_free(set);
    }
    unsetenv("STRATA_T_GOOSE");
    tu_rmtree(dir);
    free(dir);
}

static void
test_format_goose_errors(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.sql", "-- +goose NO TRANSACTION\nSELECT 1;\n-- +goose Up\nSELECT 2;\n");
    char *p = pathof(dir, "1_a.sql");
    char where[4200];
    snprintf(where, sizeof(where), "%s:2", p);
    const char *needles[] = {where, "line 3", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(p);
    tu_rmtree(dir);
    free(dir);

    dir = tu_tempdir();
    tu_write(dir, "1_a.sql", "-- +goose Down\nDROP TABLE t;\n");
    p = pathof(dir, "1_a.sql");
    const char *needles2[] = {p, "-- +goose Up", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles2);
    free(p);
    tu_rmtree(dir);
    free(dir);

    dir = tu_tempdir();
    tu_write(dir, "1_a.sql", "-- +goose Up\nSELECT 1;\n-- +goose Down\n-- +goose Up\n");
    p = pathof(dir, "1_a.sql");
    snprintf(where, sizeof(where), "%s:4", p);
    const char *needles3[] = {where, "second", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles3);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void
test_format_rollback_folder(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "001_initial_schema.sql", "CREATE TABLE a (id int);\n");
    tu_write(dir, "002_add_users.sql", "CREATE TABLE users (id int);\n");
    tu_write(dir, "003_no_down.sql", "SELECT 3;\n");
    tu_write(dir, "004_paired_up.up.sql", "SELECT 4;\n");
    tu_write(dir, "rollback/001_rollback.sql", "DROP TABLE a;\n");
    tu_write(dir, "rollback/2-add_users.sql", "-- strata:no-transaction\nDROP TABLE users;\n");
    tu_write(dir, "rollback/004_rollback.sql", "SELECT -4;\n");
    tu_write(dir, "rollback/notes.txt", "not a script\n");
    tu_write(dir, "rollback/.005_hidden.sql", "");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 4);
        const strata_migration *m = item(set, 0);
        assert_migration(m, "001", "initial_schema", "rollback-folder", 1);
        assert_script(&m->up, dir, "001_initial_schema.sql", 1, 0, "CREATE TABLE a (id int);\n");
        assert_script(&m->down, dir, "rollback/001_rollback.sql", 1, 0, "DROP TABLE a;\n");
        m = item(set, 1);
        assert_migration(m, "002", "add_users", "rollback-folder", 1);
        assert_script(&m->down, dir, "rollback/2-add_users.sql", 1, 0,
                      "-- strata:no-transaction\nDROP TABLE users;\n");
        CU_ASSERT_EQUAL(m->down.flags, STRATA_SCRIPT_NO_TRANSACTION);
        CU_ASSERT_EQUAL(m->up.flags, 0);
        m = item(set, 2);
        assert_migration(m, "003", "no_down", "sections", 1);
        CU_ASSERT_PTR_NULL(m->down.path);
        m = item(set, 3);
        assert_migration(m, "004", "paired_up", "rollback-folder", 1);
        assert_script(&m->down, dir, "rollback/004_rollback.sql", 1, 0, "SELECT -4;\n");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_format_rollback_folder_errors(void)
{
    /* a rollback script for a version with no migration */
    char *dir = tu_tempdir();
    tu_write(dir, "001_a.sql", "SELECT 1;\n");
    tu_write(dir, "rollback/001_rollback.sql", "SELECT 1;\n");
    tu_write(dir, "rollback/007_rollback.sql", "SELECT 7;\n");
    char *p = pathof(dir, "rollback/007_rollback.sql");
    const char *needles[] = {p, "no migration 007", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(p);
    tu_rmtree(dir);
    free(dir);

    /* a down section and a rollback script */
    dir = tu_tempdir();
    tu_write(dir, "001_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
    tu_write(dir, "rollback/001_rollback.sql", "SELECT 2;\n");
    char *a = pathof(dir, "001_a.sql"), *b = pathof(dir, "rollback/001_rollback.sql");
    const char *needles2[] = {a, b, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles2);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);

    /* a down file and a rollback script */
    dir = tu_tempdir();
    tu_write(dir, "001_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "001_a.down.sql", "SELECT 2;\n");
    tu_write(dir, "rollback/001_a.sql", "SELECT 2;\n");
    a = pathof(dir, "001_a.down.sql");
    b = pathof(dir, "rollback/001_a.sql");
    const char *needles3[] = {a, b, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles3);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);

    /* names that say nothing about the version, and up scripts, do not belong there */
    dir = tu_tempdir();
    tu_write(dir, "001_a.sql", "SELECT 1;\n");
    tu_write(dir, "rollback/undo_everything.sql", "SELECT 2;\n");
    p = pathof(dir, "rollback/undo_everything.sql");
    const char *needles4[] = {p, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles4);
    free(p);
    tu_rmtree(dir);
    free(dir);

    dir = tu_tempdir();
    tu_write(dir, "001_a.sql", "SELECT 1;\n");
    tu_write(dir, "rollback/001_a.up.sql", "SELECT 2;\n");
    p = pathof(dir, "rollback/001_a.up.sql");
    const char *needles5[] = {p, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles5);
    free(p);
    tu_rmtree(dir);
    free(dir);
}

static void
test_format_folder_per_migration(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "20260101215810_initial_schema/migration.sql", "CREATE TABLE a (id int);\n");
    tu_write(dir, "20260101215810_initial_schema/down.sql", "DROP TABLE a;\n");
    tu_write(dir, "20260102000000_add_index/migration.sql",
             "-- strata:no-transaction\nCREATE INDEX i ON a (id);\n");
    tu_write(dir, "20260102000000_add_index/README.md", "why\n");
    tu_write(dir, "20260102000000_add_index/other.sql", "-- not read\n");
    tu_write(dir, "migration_lock.toml", "provider = \"postgresql\"\n");
    tu_write(dir, "node_modules/x/y.sql", "");
    tu_write(dir, "notes/2026.sql", "");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 2);
        const strata_migration *m = item(set, 0);
        assert_migration(m, "20260101215810", "initial_schema", "folder", 1);
        assert_script(&m->up, dir, "20260101215810_initial_schema/migration.sql", 1, 0,
                      "CREATE TABLE a (id int);\n");
        assert_script(&m->down, dir, "20260101215810_initial_schema/down.sql", 1, 0,
                      "DROP TABLE a;\n");
        m = item(set, 1);
        assert_migration(m, "20260102000000", "add_index", "folder", 1);
        CU_ASSERT_PTR_NULL(m->down.path);
        CU_ASSERT_EQUAL(m->up.flags, STRATA_SCRIPT_NO_TRANSACTION);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);

    /* a VERSION_name folder without migration.sql */
    dir = tu_tempdir();
    tu_write(dir, "20260101215810_initial_schema/migration.sql", "SELECT 1;\n");
    tu_write(dir, "20260103000000_broken/down.sql", "SELECT 1;\n");
    char *p = pathof(dir, "20260103000000_broken");
    const char *needles[] = {p, "migration.sql", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(p);
    tu_rmtree(dir);
    free(dir);

    /* a folder and a file claiming one up script */
    dir = tu_tempdir();
    tu_write(dir, "001_a/migration.sql", "SELECT 1;\n");
    tu_write(dir, "001_a.up.sql", "SELECT 1;\n");
    char *a = pathof(dir, "001_a/migration.sql"), *b = pathof(dir, "001_a.up.sql");
    const char *needles2[] = {a, b, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles2);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);
}

static void
test_name_flyway_refused_by_parse_name(void)
{
    /* a dialect tag is not part of the name */
    name_full("001_x.postgres.up.sql", "001", "x", "postgres", 'u', 0);
    name_full("2_y.sqlite3.sql", "2", "y", "sqlite3", 's', 0);
    name_full("3_z.v2.down.sql", "3", "z", "v2", 'd', 0);
    name_ok("4_w.2.sql", "4", "w.2", 's');
    name_ok("5_u.up.up.sql", "5", "u.up", 'u');
}

static void
test_format_flyway(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "V1__init.sql", "CREATE TABLE a (id int);\n");
    tu_write(dir, "U1__init.sql", "DROP TABLE a;\n");
    tu_write(dir, "V1.2.1__add_email.sql", "ALTER TABLE a ADD email text;\n");
    tu_write(dir, "V1_2__between.sql", "SELECT 12;\n");
    tu_write(dir, "V2__no_undo.sql", "-- strata:no-transaction\nVACUUM;\n");
    tu_write(dir, "V10__ten.sql", "SELECT 10;\n");
    tu_write(dir, "R__views.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;\n");
    tu_write(dir, "R__functions.sql", "-- functions\n");
    /* markers mean nothing in Flyway files */
    tu_write(dir, "V11__markers.sql", "-- migrate:up\nSELECT 11;\n-- migrate:down\nSELECT 0;\n");
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 6);
        const strata_migration *m = item(set, 0);
        assert_migration(m, "1", "init", "flyway", 1);
        assert_script(&m->up, dir, "V1__init.sql", 1, 0, "CREATE TABLE a (id int);\n");
        assert_script(&m->down, dir, "U1__init.sql", 1, 0, "DROP TABLE a;\n");
        m = item(set, 1);
        assert_migration(m, "1.2", "between", "flyway", 1);
        CU_ASSERT_EQUAL(strata_version_cmp(m->version, "1.2.0"), 0);
        assert_script(&m->up, dir, "V1_2__between.sql", 1, 0, "SELECT 12;\n");
        CU_ASSERT_PTR_NULL(m->down.path);
        m = item(set, 2);
        assert_migration(m, "1.2.1", "add_email", "flyway", 1);
        m = item(set, 3);
        assert_migration(m, "2", "no_undo", "flyway", 1);
        CU_ASSERT_EQUAL(m->up.flags, STRATA_SCRIPT_NO_TRANSACTION);
        assert_migration(item(set, 4), "10", "ten", "flyway", 1);
        m = item(set, 5);
        assert_migration(m, "11", "markers", "flyway", 1);
        assert_script(&m->up, dir, "V11__markers.sql", 1, 0,
                      "-- migrate:up\nSELECT 11;\n-- migrate:down\nSELECT 0;\n");
        CU_ASSERT_PTR_NULL(m->down.path);

        CU_ASSERT_EQUAL_FATAL(set->nrepeatables, 2);
        ASSERT_STR(set->repeatables[0].name, "functions");
        assert_script(&set->repeatables[0].script, dir, "R__functions.sql", 1, 0, "-- functions\n");
        ASSERT_STR(set->repeatables[1].name, "views");
        assert_script(&set->repeatables[1].script, dir, "R__views.sql", 1, 0,
                      "CREATE OR REPLACE VIEW v AS SELECT 1;\n");
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_format_flyway_errors(void)
{
    /* one version in two formats */
    char *dir = tu_tempdir();
    tu_write(dir, "001_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "V1__a.sql", "SELECT 1;\n");
    char *a = pathof(dir, "001_a.up.sql"), *b = pathof(dir, "V1__a.sql");
    const char *needles[] = {a, b, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);

    /* V1_2 and V1.2 are one version */
    dir = tu_tempdir();
    tu_write(dir, "V1_2__a.sql", "SELECT 1;\n");
    tu_write(dir, "V1.2__b.sql", "SELECT 1;\n");
    a = pathof(dir, "V1_2__a.sql");
    b = pathof(dir, "V1.2__b.sql");
    const char *needles2[] = {a, b, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles2);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);

    /* an undo without its versioned migration */
    dir = tu_tempdir();
    tu_write(dir, "V1__a.sql", "SELECT 1;\n");
    tu_write(dir, "U3__c.sql", "SELECT 3;\n");
    a = pathof(dir, "U3__c.sql");
    const char *needles3[] = {a, "V3__c.sql", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles3);
    free(a);
    tu_rmtree(dir);
    free(dir);

    /* Flyway-looking names that are not ("V1_x.sql" is an in-house name: version 1) */
    static const char *bad[] = {
        "V__x.sql", "Vx__y.sql", "R1__x.sql", "R__.sql", "V1..2__x.sql",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        dir = tu_tempdir();
        tu_write(dir, bad[i], "SELECT 1;\n");
        a = pathof(dir, bad[i]);
        const char *needles4[] = {a, "not a migration file name", NULL};
        scan_fails(dir, STRATA_VALIDATION, needles4);
        free(a);
        tu_rmtree(dir);
        free(dir);
    }
}

/* ================================================================== dialects */

/* The folder of the dialect tests: see each file's comment. */
static char *
dialect_folder(void)
{
    char *dir = tu_tempdir();
    /* 1: a postgres up beats the neutral one; the neutral down serves every dialect */
    tu_write(dir, "001_a.up.sql", "SELECT 'a neutral';\n");
    tu_write(dir, "001_a.down.sql", "SELECT 'a down';\n");
    tu_write(dir, "001_a.postgres.up.sql", "SELECT 'a postgres';\n");
    /* 2: one-file forms, the postgres one spelled "pg" */
    tu_write(dir, "002_b.sql", "-- migrate:up\nSELECT 'b neutral';\n-- migrate:down\nSELECT 0;\n");
    tu_write(dir, "002_b.pg.sql", "-- +goose Up\nSELECT 'b pg';\n-- +goose Down\nSELECT 1;\n");
    /* 3: MySQL only (and not read elsewhere: not even valid UTF-8) */
    tu_write(dir, "003_c.mysql.up.sql", "SELECT 'c mysql';\n");
    tu_write(dir, "003_c.mariadb.down.sql", "SELECT '\xff';\n");
    /* 4: SQLite only, spelled "sqlite3" */
    tu_write(dir, "004_d.sqlite3.sql", "SELECT 'd sqlite';\n");
    /* 5: a down for PostgreSQL only */
    tu_write(dir, "005_e.up.sql", "SELECT 'e';\n");
    tu_write(dir, "005_e.postgresql.down.sql", "SELECT 'e down postgres';\n");
    /* 6: Flyway with a MariaDB variant */
    tu_write(dir, "V6__f.sql", "SELECT 'f neutral';\n");
    tu_write(dir, "V6__f.mariadb.sql", "SELECT 'f mariadb';\n");
    /* 7: an unknown dialect, compared literally */
    tu_write(dir, "007_g.oracle.up.sql", "SELECT 'g oracle';\n");
    /* 8: a PostgreSQL down beats the down section of the neutral file */
    tu_write(dir, "008_h.sql", "-- strata:up\nSELECT 'h';\n-- strata:down\nSELECT 'h section';\n");
    tu_write(dir, "008_h.postgres.down.sql", "SELECT 'h down postgres';\n");
    /* repeatables */
    tu_write(dir, "R__views.sql", "SELECT 'views neutral';\n");
    tu_write(dir, "R__views.postgres.sql", "SELECT 'views postgres';\n");
    tu_write(dir, "R__mysql_only.mysql.sql", "SELECT 'mysql only';\n");
    return dir;
}

/* The text of a script (NULL when it has no path). */
static char *
text_of(const strata_script *s)
{
    return s->path != NULL ? script_text(s) : NULL;
}

static void
assert_texts(const strata_migration *m, const char *up, const char *down)
{
    char *u = text_of(&m->up), *d = text_of(&m->down);
    ASSERT_STR(u, up);
    ASSERT_STR(d, down);
    free(u);
    free(d);
}

static void
test_dialect_postgres(void)
{
    char *dir = dialect_folder();
    static const char *spellings[] = {"postgres", "postgresql", "pg", "PostgreSQL"};
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        strata_source_set *set = scan_dialect_ok(dir, spellings[i]);
        if (set == NULL)
            continue;
        CU_ASSERT_EQUAL_FATAL(set->count, 8);
        assert_migration(item(set, 0), "001", "a", "paired", 1);
        assert_texts(item(set, 0), "SELECT 'a postgres';\n", "SELECT 'a down';\n");
        assert_migration(item(set, 1), "002", "b", "goose", 1);
        assert_texts(item(set, 1), "SELECT 'b pg';\n", "SELECT 1;\n");
        assert_migration(item(set, 2), "003", "c", "paired", 0);
        CU_ASSERT_PTR_NULL(item(set, 2)->up.path);
        CU_ASSERT_PTR_NULL(item(set, 2)->down.path);
        assert_migration(item(set, 3), "004", "d", "sections", 0);
        CU_ASSERT_PTR_NULL(item(set, 3)->up.path);
        assert_texts(item(set, 4), "SELECT 'e';\n", "SELECT 'e down postgres';\n");
        assert_migration(item(set, 5), "6", "f", "flyway", 1);
        assert_texts(item(set, 5), "SELECT 'f neutral';\n", NULL);
        assert_migration(item(set, 6), "007", "g", "paired", 0);
        assert_migration(item(set, 7), "008", "h", "sections", 1);
        assert_texts(item(set, 7), "SELECT 'h';\n", "SELECT 'h down postgres';\n");
        CU_ASSERT_EQUAL_FATAL(set->nrepeatables, 1);
        ASSERT_STR(set->repeatables[0].name, "views");
        char *t = script_text(&set->repeatables[0].script);
        ASSERT_STR(t, "SELECT 'views postgres';\n");
        free(t);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_dialect_mysql(void)
{
    char *dir = dialect_folder();
    /* the MariaDB down of 003 is not valid UTF-8: fix it for the dialect that reads it */
    tu_write(dir, "003_c.mariadb.down.sql", "SELECT 'c down mariadb';\n");
    static const char *spellings[] = {"mysql", "mariadb"};
    for (size_t i = 0; i < 2; i++) {
        strata_source_set *set = scan_dialect_ok(dir, spellings[i]);
        if (set == NULL)
            continue;
        CU_ASSERT_EQUAL_FATAL(set->count, 8);
        assert_texts(item(set, 0), "SELECT 'a neutral';\n", "SELECT 'a down';\n");
        assert_migration(item(set, 1), "002", "b", "sections", 1);
        assert_texts(item(set, 1), "SELECT 'b neutral';\n", "SELECT 0;\n");
        assert_migration(item(set, 2), "003", "c", "paired", 1);
        assert_texts(item(set, 2), "SELECT 'c mysql';\n", "SELECT 'c down mariadb';\n");
        assert_migration(item(set, 3), "004", "d", "sections", 0);
        assert_texts(item(set, 4), "SELECT 'e';\n", NULL);
        assert_texts(item(set, 5), "SELECT 'f mariadb';\n", NULL);
        CU_ASSERT_EQUAL(item(set, 6)->applicable, 0);
        assert_texts(item(set, 7), "SELECT 'h';\n", "SELECT 'h section';\n");
        CU_ASSERT_EQUAL_FATAL(set->nrepeatables, 2);
        ASSERT_STR(set->repeatables[0].name, "mysql_only");
        ASSERT_STR(set->repeatables[1].name, "views");
        char *t = script_text(&set->repeatables[1].script);
        ASSERT_STR(t, "SELECT 'views neutral';\n");
        free(t);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_dialect_sqlite_and_none(void)
{
    char *dir = dialect_folder();
    static const char *spellings[] = {"sqlite", "sqlite3"};
    for (size_t i = 0; i < 2; i++) {
        strata_source_set *set = scan_dialect_ok(dir, spellings[i]);
        if (set == NULL)
            continue;
        CU_ASSERT_EQUAL_FATAL(set->count, 8);
        assert_texts(item(set, 0), "SELECT 'a neutral';\n", "SELECT 'a down';\n");
        CU_ASSERT_EQUAL(item(set, 2)->applicable, 0);
        assert_migration(item(set, 3), "004", "d", "sections", 1);
        assert_script(&item(set, 3)->up, dir, "004_d.sqlite3.sql", 1, 0, "SELECT 'd sqlite';\n");
        CU_ASSERT_PTR_NULL(item(set, 3)->down.path);
        CU_ASSERT_EQUAL(item(set, 6)->applicable, 0);
        strata_source_free(set);
    }
    /* no dialect: neutral files only */
    strata_source_set *set = scan_ok(dir);
    if (set != NULL) {
        CU_ASSERT_EQUAL_FATAL(set->count, 8);
        static const int applicable[] = {1, 1, 0, 0, 1, 1, 0, 1};
        for (size_t i = 0; i < 8; i++)
            CU_ASSERT_EQUAL(item(set, i)->applicable, applicable[i]);
        assert_texts(item(set, 0), "SELECT 'a neutral';\n", "SELECT 'a down';\n");
        assert_texts(item(set, 4), "SELECT 'e';\n", NULL);
        CU_ASSERT_EQUAL(set->nrepeatables, 1);
        strata_source_free(set);
    }
    /* an unknown dialect matches its own tag only */
    set = scan_dialect_ok(dir, "Oracle");
    if (set != NULL) {
        assert_migration(item(set, 6), "007", "g", "paired", 1);
        assert_texts(item(set, 6), "SELECT 'g oracle';\n", NULL);
        strata_source_free(set);
    }
    tu_rmtree(dir);
    free(dir);
}

static void
test_dialect_duplicates(void)
{
    /* two spellings of one dialect for one version and direction */
    char *dir = tu_tempdir();
    tu_write(dir, "001_a.pg.up.sql", "SELECT 1;\n");
    tu_write(dir, "001_a.postgres.up.sql", "SELECT 1;\n");
    char *a = pathof(dir, "001_a.pg.up.sql"), *b = pathof(dir, "001_a.postgres.up.sql");
    const char *needles[] = {a, b, "postgres", NULL};
    scan_dialect_fails(dir, "sqlite", STRATA_VALIDATION, needles);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);

    /* a one file and a paired up for one dialect */
    dir = tu_tempdir();
    tu_write(dir, "001_a.mysql.sql", "SELECT 1;\n");
    tu_write(dir, "1_b.mariadb.up.sql", "SELECT 1;\n");
    a = pathof(dir, "001_a.mysql.sql");
    b = pathof(dir, "1_b.mariadb.up.sql");
    const char *needles2[] = {a, b, NULL};
    scan_dialect_fails(dir, "postgres", STRATA_VALIDATION, needles2);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);

    /* two repeatables for one dialect */
    dir = tu_tempdir();
    tu_write(dir, "R__v.sqlite.sql", "SELECT 1;\n");
    tu_write(dir, "R__v.sqlite3.sql", "SELECT 1;\n");
    a = pathof(dir, "R__v.sqlite.sql");
    b = pathof(dir, "R__v.sqlite3.sql");
    const char *needles3[] = {a, b, NULL};
    scan_dialect_fails(dir, "sqlite", STRATA_VALIDATION, needles3);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);

    /* a down section and a down file for one dialect */
    dir = tu_tempdir();
    tu_write(dir, "001_a.postgres.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
    tu_write(dir, "001_a.pg.down.sql", "SELECT 2;\n");
    a = pathof(dir, "001_a.postgres.sql");
    b = pathof(dir, "001_a.pg.down.sql");
    const char *needles4[] = {a, b, NULL};
    scan_dialect_fails(dir, "postgres", STRATA_VALIDATION, needles4);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);
}

static void
test_contradictions(void)
{
    /* a file with a down section and a down file */
    char *dir = tu_tempdir();
    tu_write(dir, "001_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
    tu_write(dir, "001_a.down.sql", "SELECT 2;\n");
    char *a = pathof(dir, "001_a.sql"), *b = pathof(dir, "001_a.down.sql");
    const char *needles[] = {a, b, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);

    /* one-file migrations hold their own down script: a down file beside one, with or
     * without markers, is a contradiction */
    static const char *one_files[] = {"SELECT 1;\n", "-- migrate:up\nSELECT 1;\n",
                                      "-- +goose Up\nSELECT 1;\n-- +goose Down\n"};
    static const char *downs[] = {"001_a.down.sql", "U1__a.sql", "1-b.down.sql"};
    for (size_t i = 0; i < 3; i++) {
        dir = tu_tempdir();
        tu_write(dir, "001_a.sql", one_files[i]);
        tu_write(dir, downs[i], "SELECT 2;\n");
        a = pathof(dir, "001_a.sql");
        b = pathof(dir, downs[i]);
        const char *needles1[] = {a, b, "down section", NULL};
        scan_fails(dir, STRATA_VALIDATION, needles1);
        free(a);
        free(b);
        tu_rmtree(dir);
        free(dir);
    }

    /* goose sections and a Flyway undo */
    dir = tu_tempdir();
    tu_write(dir, "001_a.sql", "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n");
    tu_write(dir, "U1__a.sql", "SELECT 2;\n");
    a = pathof(dir, "001_a.sql");
    b = pathof(dir, "U1__a.sql");
    const char *needles2[] = {a, b, NULL};
    scan_fails(dir, STRATA_VALIDATION, needles2);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);

    /* a folder down and a paired down */
    dir = tu_tempdir();
    tu_write(dir, "002_b/migration.sql", "SELECT 1;\n");
    tu_write(dir, "002_b/down.sql", "SELECT 2;\n");
    tu_write(dir, "2_b.down.sql", "SELECT 2;\n");
    a = pathof(dir, "002_b/down.sql");
    b = pathof(dir, "2_b.down.sql");
    const char *needles3[] = {a, b, "numerically", NULL};
    scan_fails(dir, STRATA_VALIDATION, needles3);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);
}

/* ================================================================== detecting the format */

static void
assert_detect(const char *dir, const char *format, int sequential, size_t width)
{
    int seq = -1;
    size_t w = 999;
    const char *got = strata_source_detect_format(dir, &seq, &w);
    ASSERT_STR(got, format);
    CU_ASSERT_EQUAL(seq, sequential);
    CU_ASSERT_EQUAL(w, width);
}

static void
test_detect_format(void)
{
    char *dir = tu_tempdir();
    assert_detect(dir, "paired", 0, 0);
    char *missing = pathof(dir, "missing");
    assert_detect(missing, "paired", 0, 0);
    free(missing);

    tu_write(dir, "001_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "001_a.down.sql", "SELECT 1;\n");
    tu_write(dir, "002_b.up.sql", "SELECT 1;\n");
    tu_write(dir, "README.md", "");
    tu_write(dir, "not a migration.sql", ""); /* skipped, not an error */
    assert_detect(dir, "paired", 1, 3);
    /* one goose file more: a tie, and the newest migration decides */
    tu_write(dir, "003_c.sql", "-- a comment\n-- +goose Up\nSELECT 1;\n");
    tu_write(dir, "004_d.sql", "-- +goose Up\nSELECT 1;\n");
    assert_detect(dir, "goose", 1, 3);
    tu_rmtree(dir);
    free(dir);

    dir = tu_tempdir();
    tu_write(dir, "20250701132805_a.sql", "-- migrate:up\nSELECT 1;\n");
    tu_write(dir, "20250701132806_b.sql", "SELECT 1;\n");
    tu_write(dir, "20250701132807_c.up.sql", "SELECT 1;\n");
    assert_detect(dir, "sections", 0, 14);
    tu_rmtree(dir);
    free(dir);

    dir = tu_tempdir();
    tu_write(dir, "V1__a.sql", "SELECT 1;\n");
    tu_write(dir, "U1__a.sql", "SELECT 1;\n");
    tu_write(dir, "V2__b.sql", "SELECT 1;\n");
    tu_write(dir, "R__v.sql", "SELECT 1;\n");
    tu_write(dir, "3_c.up.sql", "SELECT 1;\n");
    assert_detect(dir, "flyway", 1, 1);
    tu_write(dir, "V2_1__x.sql", "SELECT 1;\n"); /* 2.1: no longer a sequence */
    assert_detect(dir, "flyway", 0, 3);
    tu_rmtree(dir);
    free(dir);

    dir = tu_tempdir();
    tu_write(dir, "20260101215810_a/migration.sql", "SELECT 1;\n");
    tu_write(dir, "20260101215811_b/migration.sql", "SELECT 1;\n");
    tu_write(dir, "20260101215812_broken/down.sql", "SELECT 1;\n"); /* skipped */
    assert_detect(dir, "folder", 0, 14);
    tu_rmtree(dir);
    free(dir);

    dir = tu_tempdir();
    tu_write(dir, "01_a.sql", "SELECT 1;\n");
    tu_write(dir, "02_b.sql", "SELECT 1;\n");
    tu_write(dir, "rollback/01_rollback.sql", "SELECT 1;\n");
    tu_write(dir, "rollback/02_b.sql", "SELECT 1;\n");
    assert_detect(dir, "rollback-folder", 1, 2);
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
    sum("\xEF\xBB\xBF"
        "abc",
        hex);
    ASSERT_STR(hex, SHA256_ABC);
}

static void
test_checksum_crlf_bom_pieces(void)
{
    const char *lf = "CREATE TABLE t (\n  id int\n);\n\nINSERT INTO t VALUES (1);\n";
    const char *crlf = "CREATE TABLE t (\r\n  id int\r\n);\r\n\r\nINSERT INTO t VALUES (1);\r\n";
    const char *bom = "\xEF\xBB\xBF"
                      "CREATE TABLE t (\n  id int\n);\n\nINSERT INTO t VALUES (1);\n";
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
    tu_write(win_dir, "1_a.up.sql",
             "\xEF\xBB\xBF"
             "CREATE TABLE a (id int);\r\n-- done\r\n");
    tu_write(lf_dir, "1_a.down.sql", "DROP TABLE a;\n");
    tu_write(win_dir, "1_a.down.sql",
             "\xEF\xBB\xBF"
             "DROP TABLE a;\r\n");
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
    tu_write(win_dir, "4_d.sql",
             "\xEF\xBB\xBF"
             "CREATE TABLE d (id int);\r\n");

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

/* ------------------------------------------------------------------ listing */

/* The versions a listing hands out, joined by ' ' ("!" for a version that is not plain). */
static char *
listed_versions(strata_listing *l)
{
    strata_buf b = {0};
    strata_listed v;
    int r;
    while ((r = strata_listing_next(l, &v)) != 0) {
        strata_buf_printf(&b, "%s%s", b.len ? " " : "", r == 1 ? v.version : "!");
        if (r == 1 && v.sectioned)
            strata_buf_puts(&b, "s");
        if (r == 1 && v.down == NULL && !v.sectioned)
            strata_buf_puts(&b, "u");
    }
    return strata_buf_take(&b);
}

static void
test_listing_order_and_pairs(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "9_a.up.sql", "SELECT 1;\n");
    tu_write(dir, "9_a.down.sql", "SELECT 1;\n");
    tu_write(dir, "10_b.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\n");
    tu_write(dir, "1.10_c.up.sql", "SELECT 1;\n");
    tu_write(dir, "1.9_d.up.sql", "SELECT 1;\n");
    tu_write(dir, "1.9_d.down.sql", "SELECT 1;\n");
    tu_write(dir, "notes.txt", "not a migration\n");
    strata_listing *l = strata_listing_read(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_EQUAL(strata_listing_count(l), 4);
    char *got = listed_versions(l);
    ASSERT_STR(got, "10s 9 1.10u 1.9"); /* highest first, as numbers */
    free(got);
    strata_listing_free(l);
    tu_write(dir, "9_other.up.sql", "SELECT 2;\n"); /* two up files for 9 */
    tu_write(dir, "11_e.down.sql", "SELECT 1;\n");  /* a down file alone */
    l = strata_listing_read(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    got = listed_versions(l);
    ASSERT_STR(got, "! 10s ! 1.10u 1.9");
    free(got);
    strata_listing_free(l);
    tu_rmtree(dir);
    free(dir);
}

static void
test_listing_gives_up_on_other_layouts(void)
{
    static const char *const others[] = {"V2__flyway.sql",      "R__view.sql",
                                         "2_b.postgres.up.sql", "2_b.email.up.sql",
                                         "not-a-version.sql",   "rollback/1_a.sql",
                                         "2_b/migration.sql",   "seeds/data.sql",
                                         "V2_b.up.sql",         NULL};
    for (const char *const *o = others; *o != NULL; o++) {
        char *dir = tu_tempdir();
        tu_write(dir, "1_a.up.sql", "SELECT 1;\n");
        tu_write(dir, *o, "SELECT 1;\n");
        strata_listing *l = strata_listing_read(dir);
        CU_ASSERT_PTR_NULL(l);
        if (l != NULL)
            fprintf(stderr, "\n  listed a folder holding %s\n", *o);
        strata_listing_free(l);
        tu_rmtree(dir);
        free(dir);
    }
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.up.sql", "SELECT 1;\n");
    char *fifo = strata_path_join(dir, "2_b.up.sql");
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    CU_ASSERT_PTR_NULL(strata_listing_read(dir)); /* the full scan says what is wrong */
    free(fifo);
    tu_rmtree(dir);
    free(dir);
    CU_ASSERT_PTR_NULL(strata_listing_read("/nonexistent/strata/folder"));
}

static void
test_listing_reads_scripts_as_the_scan_does(void)
{
    char *dir = tu_tempdir();
    tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INT);\n");
    tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
    tu_write(dir, "2_b.sql",
             "-- migrate:up\nCREATE TABLE b (id INT);\n-- migrate:down\nDROP TABLE b;\n");
    strata_source_set *set = NULL;
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL_FATAL(strata_source_scan(dir, NULL, &set, &err), STRATA_OK);
    strata_listing *l = strata_listing_read(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    strata_listed v;
    for (size_t i = set->count; i-- > 0;) {
        CU_ASSERT_EQUAL_FATAL(strata_listing_next(l, &v), 1);
        ASSERT_STR(v.version, set->items[i].version);
        strata_script up, down;
        CU_ASSERT_EQUAL_FATAL(strata_listing_scripts(l, NULL, &v, &up, &down), 1);
        ASSERT_STR(up.checksum, set->items[i].up.checksum);
        ASSERT_STR(down.checksum, set->items[i].down.checksum);
        ASSERT_STR(down.path, set->items[i].down.path);
        strata_script_free(&up);
        strata_script_free(&down);
    }
    CU_ASSERT_EQUAL(strata_listing_next(l, &v), 0);
    strata_listing_free(l);
    strata_source_free(set);
    tu_rmtree(dir);
    free(dir);
}

int
main(void)
{
    static const tu_test names[] = {
        {"paired up/down names", test_name_paired},
        {"one-file names", test_name_one_file},
        {"'-' separates version from name", test_name_dash_separator},
        {"dotted versions", test_name_dotted_version},
        {"in-house names (V0001.Name, 0001-name)", test_name_inhouse},
        {"pop and popx names", test_name_pop},
        {"Flyway names", test_name_flyway},
        {"refused names state the rule", test_name_refused},
        {NULL, NULL},
    };
    static const tu_test versions[] = {
        {"parse values", test_version_check_accepts},
        {"parse refusals", test_version_check_refused},
        {"numeric order", test_version_cmp_numeric},
        {"component-wise order", test_version_cmp_components},
        {"timestamps", test_version_cmp_long},
        {"text comparison", test_version_cmp_not_versions},
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
        {"error: the highest broken version is reported", test_scan_error_highest_version_first},
        {"a large set: in order, the list given back as it is read", test_scan_many_in_order},
        {"error: one version in two formats", test_scan_error_duplicate_formats},
        {"error: unparseable name", test_scan_error_bad_name},
        {"empty up file: a no-op", test_scan_empty_up_is_noop},
        {"empty up section: a no-op", test_scan_empty_up_section_is_noop},
        {"error: NUL byte", test_scan_error_nul_byte},
        {"error: dangling link, FIFO", test_scan_error_odd_entries},
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
    static const tu_test formats[] = {
        {"paired, sections, one file with a down file", test_format_paired_and_sections},
        {"goose sections and annotations", test_format_goose},
        {"goose errors", test_format_goose_errors},
        {"rollback folder", test_format_rollback_folder},
        {"rollback folder errors", test_format_rollback_folder_errors},
        {"folder per migration", test_format_folder_per_migration},
        {"Flyway and dialect tags are not parse_name's", test_name_flyway_refused_by_parse_name},
        {"Flyway", test_format_flyway},
        {"Flyway errors", test_format_flyway_errors},
        {"contradictions name both files", test_contradictions},
        {NULL, NULL},
    };
    static const tu_test dialects[] = {
        {"postgres and its spellings", test_dialect_postgres},
        {"mysql and mariadb", test_dialect_mysql},
        {"sqlite, no dialect, unknown dialect", test_dialect_sqlite_and_none},
        {"duplicates within one dialect", test_dialect_duplicates},
        {NULL, NULL},
    };
    static const tu_test detect[] = {
        {"strata_source_detect_format", test_detect_format},
        {NULL, NULL},
    };
    tu_suite("source names", names);
    tu_suite("versions", versions);
    tu_suite("source scan", scan);
    tu_suite("formats", formats);
    tu_suite("dialects", dialects);
    tu_suite("detect format", detect);
    static const tu_test listing[] = {
        {"highest version first, pairs and one files", test_listing_order_and_pairs},
        {"other layouts are left to the full scan", test_listing_gives_up_on_other_layouts},
        {"scripts read as the full scan reads them", test_listing_reads_scripts_as_the_scan_does},
        {NULL, NULL},
    };
    tu_suite("checksums", checksums);
    tu_suite("plain listing", listing);
    return tu_run();
}
