#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>

#include "guard.h"
#include "util.h"

#define HELD_MAX 4

/* The innermost open guard of this thread, NULL outside the library's public functions. */
static _Thread_local strata_guard *innermost;
/* Mutexes this thread holds across allocations (strata_guard_hold). */
static _Thread_local pthread_mutex_t *held[HELD_MAX];
static _Thread_local int nheld;

void
strata_guard_hold(pthread_mutex_t *m)
{
    pthread_mutex_lock(m);
    if (nheld < HELD_MAX)
        held[nheld++] = m;
}

void
strata_guard_release(pthread_mutex_t *m)
{
    for (int i = nheld - 1; i >= 0; i--) {
        if (held[i] == m) {
            held[i] = held[--nheld];
            break;
        }
    }
    pthread_mutex_unlock(m);
}

/* After a jump: nothing the interrupted code locked stays locked. */
static void
release_all(void)
{
    while (nheld > 0)
        pthread_mutex_unlock(held[--nheld]);
}

jmp_buf *
strata_guard_open(strata_guard *g, strata *s, strata_error *err)
{
    g->session = s;
    g->err = err;
    g->outer = innermost;
    innermost = g;
    return &g->env;
}

void
strata_guard_close(strata_guard *g)
{
    if (innermost == g)
        innermost = g->outer;
}

void
strata_guard_adopt(strata *s)
{
    if (innermost != NULL && innermost->session == NULL)
        innermost->session = s;
}

int
strata_guard_nomem(strata_guard *g)
{
    innermost = g->outer; /* the jump skipped every guard opened inside this one */
    release_all();
    if (g->session != NULL)
        strata_session_abandon(g->session);
    strata_fail(g->err, STRATA_ERROR_NOMEM, "out of memory; the operation was stopped%s",
                g->session != NULL ? " and the database connection closed (what ran in a "
                                     "transaction was rolled back)"
                                   : "");
    return STRATA_ERROR_NOMEM;
}

int
strata_guard_check(const strata *s, strata_error *err)
{
    if (s == NULL || !strata_session_abandoned(s))
        return STRATA_OK;
    return strata_fail(err, STRATA_ERROR_NOMEM,
                       "this session ran out of memory earlier and its connection is closed; "
                       "strata_close() it and open another");
}

void
strata_guard_out_of_memory(size_t size)
{
    if (innermost != NULL)
        longjmp(innermost->env, 1);
    fprintf(stderr, "strata: out of memory allocating %zu bytes\n", size);
    abort();
}
