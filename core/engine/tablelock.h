/*
 * The core's migration lock, for drivers that have none of their own (no lock() slot): a
 * row in <table>_lock, inserted to take the lock and deleted to release it. The row names
 * its holder (user@host, host, process id), when it was taken and when the holder last
 * showed it was alive. A holder is stale, and its row is taken over, when it ran on this
 * host and its process is gone, or when it has shown no sign of life for an hour: the
 * holder beats between migrations (docs/writing-a-driver.md).
 */
#ifndef STRATA_TABLELOCK_H
#define STRATA_TABLELOCK_H

#include "session.h"

/* The time after which a holder that has not beaten is taken for dead. */
#define STRATA_TABLE_LOCK_STALE_S 3600

/*
 * Takes the lock named s->lock_name, creating the lock table when it is missing, waiting up
 * to timeout_ms (0: try once, <0: forever). Returns STRATA_OK, STRATA_LOCK_TIMEOUT with a
 * message naming the holder ("held by ..."), or the error that stopped it. Call with no
 * transaction open.
 */
int strata_table_lock_take(strata *s, long timeout_ms, strata_error *err);
/* Deletes this process's row; errors are ignored (a row left behind goes stale). */
void strata_table_lock_release(strata *s);
/* Records that the holder is alive; call with no transaction open. */
void strata_table_lock_beat(strata *s);
/* s gave up on its connection holding the table lock (out of memory): its row may be taken
 * over by this process's later sessions at once. Allocates nothing. */
void strata_table_lock_abandoned(strata *s);

#endif
