/*
 * strata — telling whether a PostgreSQL connection goes through a pooler that shares server
 * sessions between clients (PgBouncer, pgcat, Odyssey ... in transaction or statement mode).
 *
 * Such a pooler hands each transaction (or statement) of a client to whichever server
 * session is free, so nothing tied to the session survives between two statements: a
 * session advisory lock taken by one runner may be found "held" by another one that lands
 * on the same server session, and SET search_path is lost or leaks to another client. A
 * session-mode pool, or a direct connection, gives each client its own server session.
 *
 * The check costs nothing on a direct connection: the server's own view of the connection
 * (its port, the address it was reached at) is read with the first statement of the session
 * and compared with what libpq connected to. Only when they differ (something stands in
 * between: a pooler, a proxy, a forwarded port) does a second connection probe whether two
 * client connections share a server session.
 */
#ifndef STRATA_PG_POOLER_H
#define STRATA_PG_POOLER_H

#include <stddef.h>

#include <libpq-fe.h>

/* The query whose one row pg_pool_facts_row() reads: the server's view of the session. */
#define PG_POOL_FACTS_SQL                                                                          \
    "SELECT pg_catalog.current_setting('port'), "                                                  \
    "pg_catalog.host(pg_catalog.inet_server_addr()), pg_catalog.pg_backend_pid()"

/* The server's view of a session: its port, the address it was reached at ("" over a unix
 * socket) and the server process (backend) serving it. */
typedef struct pg_pool_facts {
    char port[16];
    char addr[64];
    char pid[16];
    int got; /* the row was read */
} pg_pool_facts;

/* The monotonic clock in milliseconds: the driver's waits (the lock, the probe) count on it. */
long long pg_now_ms(void);

/* A strata_row_fn filling the pg_pool_facts ctx from the row of PG_POOL_FACTS_SQL. */
int pg_pool_facts_row(void *ctx, int ncols, const char *const *values);

/* True when the server was reached at another port or address than libpq connected to. */
int pg_pool_suspected(PGconn *pg, const pg_pool_facts *facts);

/* What pg_pool_shared() found. */
enum pg_pool_kind {
    PG_POOL_OWN = 0,    /* each client connection kept a server session of its own */
    PG_POOL_SHARED = 1, /* two client connections shared one, or one moved to another */
    PG_POOL_UNKNOWN = 2 /* the probe could not tell (its connection failed, or waited more
                           than two seconds for a server session) */
};

/*
 * Probes whether pg's client connection shares server sessions with others: opens a second
 * connection with the same keywords and values (NULL-terminated, as PQconnectdbParams()
 * takes them) and compares the backend pids both report over a few rounds. Returns a
 * pg_pool_kind, with what was seen in why (snprintf convention). Call it with no transaction
 * open on pg. Only PG_POOL_OWN allows relying on session state.
 */
int pg_pool_shared(PGconn *pg, const char *const *keys, const char *const *values,
                   const pg_pool_facts *facts, char *why, size_t size);

#endif
