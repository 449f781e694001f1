/*
 * Migration versions: digits, optionally dotted ("001", "20250701132805", "1.2.3",
 * "20150100000001000000"), compared as numbers of any length, component by component:
 * leading zeros do not count ("001" equals "1"), "1.10" comes after "1.9", and missing
 * components count as 0 ("1" equals "1.0"). The text is kept as written; only comparisons
 * read it as numbers.
 */
#ifndef STRATA_VERSION_H
#define STRATA_VERSION_H

#include <stddef.h>

/* The longest version the history tables hold (their version column). */
#define STRATA_VERSION_MAX 64

/*
 * Checks the n bytes at s. Returns 0 when they are a version, or -1 with *why (when why is
 * not NULL) set to a static sentence stating the rule they break, e.g. "a version holds
 * only digits and dots".
 */
int strata_version_check(const char *s, size_t n, const char **why);

/*
 * Compares two version texts: <0, 0, >0 as a sorts before, equal to, or after b. Valid
 * versions compare numerically as above; texts that are not versions sort after every
 * version, bytewise among themselves (a history row written by hand stays orderable).
 */
int strata_version_cmp(const char *a, const char *b);

/*
 * The length of v when it is a plain run of digits (the common shape: "001",
 * "20250701132805"), else 0. Two plain versions of the same length compare as their bytes
 * do, so a sort can compute this once per item instead of once per comparison.
 */
size_t strata_version_plain_len(const char *v);

/* Whether v is a sequence number: plain digits, shorter than a timestamp ("001", "42"), the
 * kind of version whose holes validate reports. */
int strata_version_is_sequence(const char *v);

/* Whether the sequence numbers lower and higher leave a number out between them. */
int strata_version_gap(const char *lower, const char *higher);

#endif
