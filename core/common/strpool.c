#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "strpool.h"
#include "util.h"

/* Bytes of a block; a string longer than a quarter of it gets a block of its own. */
#define BLOCK_SIZE 16384

typedef struct block {
    struct block *next;
    char data[]; /* BLOCK_SIZE bytes, or the length of the one string it holds */
} block;

struct strata_strpool {
    block *blocks; /* the newest first; strings are carved from its free tail */
    size_t used;   /* bytes of blocks->data handed out (BLOCK_SIZE: none free) */
    char *shared[STRATA_STRPOOL_SHARED];
    size_t nshared;
};

strata_strpool *
strata_strpool_new(void)
{
    strata_strpool *pool = strata_xcalloc(1, sizeof(*pool));
    pool->used = BLOCK_SIZE;
    return pool;
}

void
strata_strpool_free(strata_strpool *pool)
{
    if (pool == NULL)
        return;
    while (pool->blocks != NULL) {
        block *b = pool->blocks;
        pool->blocks = b->next;
        free(b);
    }
    free(pool);
}

/* A block of its own for a long string, kept behind the current one (whose free tail stays
 * in use). */
static char *
own_block(strata_strpool *pool, size_t size)
{
    block *b = strata_xmalloc(sizeof(*b) + size);
    if (pool->blocks == NULL) {
        b->next = NULL;
        pool->blocks = b;
        pool->used = BLOCK_SIZE;
    } else {
        b->next = pool->blocks->next;
        pool->blocks->next = b;
    }
    return b->data;
}

char *
strata_strpool_copy(strata_strpool *pool, const char *s, size_t n)
{
    char *at;
    if (n + 1 > BLOCK_SIZE / 4) {
        at = own_block(pool, n + 1);
    } else {
        if (pool->used + n + 1 > BLOCK_SIZE) {
            block *b = strata_xmalloc(sizeof(*b) + BLOCK_SIZE);
            b->next = pool->blocks;
            pool->blocks = b;
            pool->used = 0;
        }
        at = pool->blocks->data + pool->used;
        pool->used += n + 1;
    }
    memcpy(at, s, n);
    at[n] = '\0';
    return at;
}

char *
strata_strpool_dup(strata_strpool *pool, const char *s)
{
    return strata_strpool_copy(pool, s, strlen(s));
}

char *
strata_strpool_share(strata_strpool *pool, const char *s)
{
    for (size_t i = 0; i < pool->nshared; i++)
        if (strcmp(pool->shared[i], s) == 0)
            return pool->shared[i];
    char *copy = strata_strpool_dup(pool, s);
    if (pool->nshared < STRATA_STRPOOL_SHARED)
        pool->shared[pool->nshared++] = copy;
    return copy;
}
