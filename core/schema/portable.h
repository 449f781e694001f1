/*
 * Comparing two dialects' schemas on what is portable (verify --also, docs/schema.md).
 */
#ifndef STRATA_PORTABLE_H
#define STRATA_PORTABLE_H

#include <strata/strata.h>

/* Adds to r the portable differences between a and b (their own dialects' final schemas):
 * r->portability (the first comparison's changes) and one note per difference. */
void strata_portable_compare(const strata_snapshot *a, const strata_snapshot *b,
                             strata_verify_report *r);

#endif
