#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "version.h"

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int
strata_version_check(const char *s, size_t n, const char **why)
{
    const char *rule = NULL;
    if (n == 0)
        rule = "a version needs at least one digit";
    else if (n > STRATA_VERSION_MAX)
        rule = "a version has at most 64 characters (the history's version column)";
    else if (strspn(s, "0123456789.") < n)
        rule = "a version holds only digits and dots";
    else if (s[0] == '.' || s[n - 1] == '.' || memmem(s, n, "..", 2) != NULL)
        rule = "each dot of a version stands between two runs of digits";
    if (why != NULL)
        *why = rule;
    return rule == NULL ? 0 : -1;
}

/* The next component of *p (digits up to a dot or the end) without its leading zeros: sets
 * *start and *len, moves *p past the component and its dot. An exhausted text yields the
 * component 0 (len 0). */
static void
next_component(const char **p, const char **start, size_t *len)
{
    const char *s = *p;
    while (*s == '0' && is_digit(s[1]))
        s++;
    if (*s == '0')
        s++; /* a lone 0 is the empty number, as missing components are */
    const char *e = s;
    while (is_digit(*e))
        e++;
    *start = s;
    *len = (size_t)(e - s);
    *p = *e == '.' ? e + 1 : e;
}

/* Sets *n to the length of s and returns 1 when s is a plain run of digits (the common
 * version shape: "001", "20250701132805"), which needs no further check. */
static int
plain_digits(const char *s, size_t *n)
{
    const char *e = s;
    while (is_digit(*e))
        e++;
    *n = (size_t)(e - s);
    return *e == '\0' && *n > 0 && *n <= STRATA_VERSION_MAX;
}

size_t
strata_version_plain_len(const char *v)
{
    size_t n;
    return plain_digits(v, &n) ? n : 0;
}

/* Digits of a timestamp (20250701132805): a version this long is no sequence number. */
#define SEQUENCE_DIGITS_MAX 11

int
strata_version_is_sequence(const char *v)
{
    size_t n = strata_version_plain_len(v);
    return n > 0 && n <= SEQUENCE_DIGITS_MAX;
}

int
strata_version_gap(const char *lower, const char *higher)
{
    return strtoull(higher, NULL, 10) > strtoull(lower, NULL, 10) + 1;
}

/* Whether the text at s (of length n, scanned up to its first non-digit) is a version. */
static int
is_version(const char *s, size_t n, int plain)
{
    return plain || strata_version_check(s, n + strlen(s + n), NULL) == 0;
}

int
strata_version_cmp(const char *a, const char *b)
{
    size_t na, nb;
    int pa = plain_digits(a, &na), pb = plain_digits(b, &nb);
    if (pa && pb && na == nb) {
        int c = memcmp(a, b, na); /* same length: leading zeros line up */
        return (c > 0) - (c < 0);
    }
    int va = is_version(a, na, pa);
    int vb = is_version(b, nb, pb);
    if (!va || !vb)
        return va != vb ? (va ? -1 : 1) : strcmp(a, b);
    while (*a != '\0' || *b != '\0') {
        const char *x, *y;
        size_t nx, ny;
        next_component(&a, &x, &nx);
        next_component(&b, &y, &ny);
        if (nx != ny)
            return nx < ny ? -1 : 1;
        int c = memcmp(x, y, nx);
        if (c != 0)
            return c < 0 ? -1 : 1;
    }
    return 0;
}
