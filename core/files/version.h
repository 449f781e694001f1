/*
 * Migration versions: digits, optionally dotted ("001", "20250701132805", "1.2.3"),
 * ordered numerically component by component ("1.10" after "1.9", "001" equal to "1").
 */
#ifndef STRATA_VERSION_H
#define STRATA_VERSION_H

#include <stddef.h>
#include <stdint.h>

#define STRATA_VERSION_MAX_PARTS 8

typedef struct strata_version_key {
    uint64_t part[STRATA_VERSION_MAX_PARTS];
    int nparts;
} strata_version_key;

/*
 * Parses the n bytes at s. Returns 0 on success, -1 when they are not a version (empty,
 * a non-digit, an empty component, too many components, a component over 19 digits).
 */
int strata_version_parse(const char *s, size_t n, strata_version_key *out);

/* <0, 0, >0 as a sorts before, equal to, or after b. Missing components count as 0. */
int strata_version_cmp(const strata_version_key *a, const strata_version_key *b);

/* Compares two version strings; unparseable ones sort after every valid one, bytewise. */
int strata_version_cmp_text(const char *a, const char *b);

#endif
