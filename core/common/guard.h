/*
 * Running out of memory inside libstrata (DESIGN: the library never aborts). Every public
 * function that can allocate opens a guard first:
 *
 *     int
 *     strata_up(strata *s, ...)
 *     {
 *         STRATA_GUARD(s, err);
 *         ...
 *     }
 *
 * strata_xmalloc() and friends, finding no memory while a guard is open on the thread, jump
 * back to the innermost guard, which returns STRATA_ERROR_NOMEM from that function with err
 * filled. The session s (may be NULL) is given up on: its connection is closed, which rolls
 * back the transaction in flight and frees the driver's lock, so the database is left as a
 * crash would leave it (docs/embedding.md), and every later call on s fails with
 * STRATA_ERROR_NOMEM until strata_close(). What the interrupted call had allocated is lost.
 * Outside any guard (the strata program's own code) running out of memory aborts.
 *
 * Code between a guard and an allocation must leave nothing half-written that a later call
 * would trust; a mutex it holds across allocations it registers with strata_guard_hold(), so
 * that the jump unlocks it.
 */
#ifndef STRATA_GUARD_H
#define STRATA_GUARD_H

#include <pthread.h>
#include <setjmp.h>

#include <strata/strata.h>

typedef struct strata_guard {
    jmp_buf env;
    strata *session;
    strata_error *err;
    struct strata_guard *outer;
} strata_guard;

/* Opens g on this thread for session s (may be NULL); returns g's jump buffer. */
jmp_buf *strata_guard_open(strata_guard *g, strata *s, strata_error *err);
/* Closes g (the cleanup of STRATA_GUARD's variable). */
void strata_guard_close(strata_guard *g);
/* Makes s the session the innermost guard gives up on (strata_open(), whose guard opens
 * before the session exists). */
void strata_guard_adopt(strata *s);
/* After the jump: gives up on the session, fills err, returns STRATA_ERROR_NOMEM. */
int strata_guard_nomem(strata_guard *g);
/* Called by the allocators when memory runs out: jumps to the innermost guard, or aborts. */
void strata_guard_out_of_memory(size_t size) __attribute__((noreturn));
/* Locks m and registers it, so that running out of memory before strata_guard_release()
 * unlocks it; strata_guard_release() unlocks it. At most four at a time per thread. */
void strata_guard_hold(pthread_mutex_t *m);
void strata_guard_release(pthread_mutex_t *m);

/* STRATA_ERROR_NOMEM with err filled when s was given up on earlier, else STRATA_OK. */
int strata_guard_check(const strata *s, strata_error *err);

/* Provided by the session (session.c): closes s's connection for good / says whether it was. */
void strata_session_abandon(strata *s);
int strata_session_abandoned(const strata *s);

/*
 * Opens a guard for the rest of the enclosing function, which returns int (a strata_status).
 * A session given up on earlier makes the function return STRATA_ERROR_NOMEM at once.
 */
#define STRATA_GUARD(s, err)                                                                       \
    strata_guard strata_guard_ __attribute__((cleanup(strata_guard_close)));                       \
    if (setjmp(*strata_guard_open(&strata_guard_, (s), (err))) != 0)                               \
        return strata_guard_nomem(&strata_guard_);                                                 \
    if (strata_guard_check((s), (err)) != STRATA_OK)                                               \
    return STRATA_ERROR_NOMEM

/* The same for a function returning nothing (the reports): it returns early. */
#define STRATA_GUARD_VOID()                                                                        \
    strata_guard strata_guard_ __attribute__((cleanup(strata_guard_close)));                       \
    if (setjmp(*strata_guard_open(&strata_guard_, NULL, NULL)) != 0) {                             \
        strata_guard_nomem(&strata_guard_);                                                        \
        return;                                                                                    \
    }                                                                                              \
    (void)0

#endif
