/*
 * A pool of strings that live and die together: copies are carved out of large blocks (no
 * allocation and no malloc header per string), and the few distinct values a column
 * repeats on every row (a state, a user, a program version) are kept once. Made for the
 * texts of thousands of history rows, which otherwise cost more than the rows themselves.
 */
#ifndef STRATA_STRPOOL_H
#define STRATA_STRPOOL_H

#include <stddef.h>

typedef struct strata_strpool strata_strpool;

/* A new, empty pool; the caller frees it, and with it every string it handed out, with
 * strata_strpool_free (NULL is allowed there). */
strata_strpool *strata_strpool_new(void);
void strata_strpool_free(strata_strpool *pool);

/* A NUL-terminated copy of s[0, n), owned by the pool. */
char *strata_strpool_copy(strata_strpool *pool, const char *s, size_t n);
/* strata_strpool_copy of the whole string s. */
char *strata_strpool_dup(strata_strpool *pool, const char *s);

/* The pool's one copy of s: asking again for an equal string returns the same pointer. For
 * values repeated across rows; once STRATA_STRPOOL_SHARED distinct values are kept, further
 * ones are plain copies (looking them up would cost more than it saves). */
#define STRATA_STRPOOL_SHARED 16
char *strata_strpool_share(strata_strpool *pool, const char *s);

#endif
