/*
 * strata — telling a pooler that shares server sessions from a direct connection: see
 * pooler.h.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "pooler.h"

/* A session pool never shows sharing, a quiet transaction pool shows it in the first round;
 * a busy one can hand the two connections other server sessions round after round (12
 * runners at once through a 6-session pool: 3 rounds once missed it for one of them). */
#define PG_PROBE_ROUNDS 10
#define PG_PROBE_WAIT_MS 2000 /* a probe query waiting longer: the pool is full */
#define PG_PROBE_PID_SQL "SELECT pg_catalog.pg_backend_pid()"

int
pg_pool_facts_row(void *ctx, int ncols, const char *const *values)
{
    pg_pool_facts *f = ctx;

    if (ncols < 3 || f->got)
        return 1;
    f->got = 1;
    snprintf(f->port, sizeof(f->port), "%s", values[0] != NULL ? values[0] : "");
    snprintf(f->addr, sizeof(f->addr), "%s", values[1] != NULL ? values[1] : "");
    snprintf(f->pid, sizeof(f->pid), "%s", values[2] != NULL ? values[2] : "");
    return 1;
}

int
pg_pool_suspected(PGconn *pg, const pg_pool_facts *facts)
{
    const char *port = PQport(pg), *addr = PQhostaddr(pg);
    int client_tcp = addr != NULL && addr[0] != '\0', server_tcp = facts->addr[0] != '\0';

    if (!facts->got)
        return 0;
    if (port != NULL && port[0] != '\0' && strcmp(port, facts->port) != 0)
        return 1;
    if (client_tcp != server_tcp)
        return 1;
    return client_tcp && strcmp(addr, facts->addr) != 0;
}

long long
pg_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the one value of the result of the query sent on pg into out ("" when none). */
static void
pg_probe_value(PGconn *pg, char *out, size_t size)
{
    PGresult *res;

    out[0] = '\0';
    while ((res = PQgetResult(pg)) != NULL) {
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && out[0] == '\0')
            snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
    }
}

/*
 * The backend pid serving pg's next statement, into out; "" when it failed or did not come
 * within PG_PROBE_WAIT_MS (pg is then busy: only PQfinish() it).
 */
static void
pg_probe_pid(PGconn *pg, char *out, size_t size)
{
    long long deadline = pg_now_ms() + PG_PROBE_WAIT_MS, left;
    struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};

    out[0] = '\0';
    if (!PQsendQuery(pg, PG_PROBE_PID_SQL))
        return;
    while (PQisBusy(pg)) {
        left = deadline - pg_now_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0 || !PQconsumeInput(pg))
            return;
    }
    pg_probe_value(pg, out, size);
}

/* The backend pid serving pg's next statement (a blocking query), "" when it failed. */
static void
pg_own_pid(PGconn *pg, char *out, size_t size)
{
    PGresult *res = PQexec(pg, PG_PROBE_PID_SQL);

    out[0] = '\0';
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

/* The rounds of the probe; other is the probe's connection. Returns a pg_pool_kind. */
static int
pg_probe_rounds(PGconn *pg, PGconn *other, const char *pid, char *why, size_t size)
{
    char seen[16], own[16];
    int round;

    for (round = 0; round < PG_PROBE_ROUNDS; round++) {
        pg_probe_pid(other, seen, sizeof(seen));
        if (seen[0] == '\0') {
            snprintf(why, size, "a second connection got no server session within %d ms",
                     PG_PROBE_WAIT_MS);
            return PG_POOL_UNKNOWN;
        }
        if (strcmp(seen, pid) == 0) {
            snprintf(why, size, "two client connections ran on one server session, pid %s", pid);
            return PG_POOL_SHARED;
        }
        pg_own_pid(pg, own, sizeof(own));
        if (strcmp(own, pid) != 0) {
            snprintf(why, size, "one client connection ran on server sessions pid %s and %s", pid,
                     own[0] != '\0' ? own : "(unknown)");
            return PG_POOL_SHARED;
        }
    }
    snprintf(why, size, "each client connection kept its own server session");
    return PG_POOL_OWN;
}

int
pg_pool_shared(PGconn *pg, const char *const *keys, const char *const *values,
               const pg_pool_facts *facts, char *why, size_t size)
{
    PGconn *other = PQconnectdbParams(keys, values, 0); /* finished below */
    int shared;

    if (other == NULL || PQstatus(other) != CONNECTION_OK) {
        const char *text = other != NULL ? PQerrorMessage(other) : "out of memory";
        snprintf(why, size, "a second connection to tell how it pools failed: %.*s",
                 (int)strcspn(text, "\n"), text);
        PQfinish(other);
        return PG_POOL_UNKNOWN;
    }
    shared = pg_probe_rounds(pg, other, facts->pid, why, size);
    PQfinish(other);
    return shared;
}
