/*
 * Helpers shared by the CUnit programs: temporary folders, writing files, and a main()
 * that runs the registered suites verbosely and fails on any failed assertion.
 */
#ifndef STRATA_TESTUTIL_H
#define STRATA_TESTUTIL_H

#include <CUnit/CUnit.h>

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
