/*
 * Helpers shared by the CUnit programs: temporary folders, writing files, and a main()
 * that runs the registered suites verbosely and fails on any failed assertion.
 */
#ifndef STRATA_TESTUTIL_H
#define STRATA_TESTUTIL_H

#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

/* Compares two strings where either may be NULL. */
#define ASSERT_STR(actual, expected)                                                               \
    do {                                                                                           \
        const char *tu_a_ = (actual);                                                              \
        const char *tu_e_ = (expected);                                                            \
        if (tu_e_ == NULL) {                                                                       \
            CU_ASSERT_PTR_NULL(tu_a_);                                                             \
            if (tu_a_ != NULL)                                                                     \
                fprintf(stderr, "\n  line %d: got \"%s\", expected NULL\n", __LINE__, tu_a_);      \
        } else if (tu_a_ == NULL) {                                                                \
            CU_FAIL("expected \"" #expected "\", got NULL");                                       \
        } else {                                                                                   \
            CU_ASSERT_STRING_EQUAL(tu_a_, tu_e_);                                                  \
            if (strcmp(tu_a_, tu_e_) != 0)                                                         \
                fprintf(stderr, "\n  line %d: got \"%s\", expected \"%s\"\n", __LINE__, tu_a_,     \
                        tu_e_);                                                                    \
        }                                                                                          \
    } while (0)

/* Asserts that haystack holds (or, with want 0, does not hold) needle. */
#define ASSERT_HAS(haystack, needle, want)                                                         \
    do {                                                                                           \
        const char *tu_h_ = (haystack);                                                            \
        const char *tu_n_ = (needle);                                                              \
        int tu_ok_ = (tu_h_ != NULL && strstr(tu_h_, tu_n_) != NULL) == (want);                    \
        CU_ASSERT(tu_ok_);                                                                         \
        if (!tu_ok_)                                                                               \
            fprintf(stderr, "\n  line %d: \"%s\" %s \"%s\"\n", __LINE__, tu_h_ ? tu_h_ : "(null)", \
                    (want) ? "does not contain" : "contains", tu_n_);                              \
    } while (0)
#define ASSERT_CONTAINS(h, n) ASSERT_HAS(h, n, 1)
#define ASSERT_LACKS(h, n) ASSERT_HAS(h, n, 0)

/* A new empty folder under $TMPDIR; the caller frees the path (the folder is removed by
 * tu_rmtree). */
char *tu_tempdir(void);
/* Removes a folder and everything in it. */
void tu_rmtree(const char *path);
/* Writes text to dir/name (creating subfolders); aborts the test program on failure. */
void tu_write(const char *dir, const char *name, const char *text);
/* Reads a whole file; the caller frees it. NULL when missing. */
char *tu_read(const char *path);

typedef struct tu_test {
    const char *name;
    CU_TestFunc fn;
} tu_test;

/* Registers one suite of tests (NULL-terminated array). */
void tu_suite(const char *name, const tu_test *tests);
/* Runs every registered suite; returns the process exit code. */
int tu_run(void);

#endif
