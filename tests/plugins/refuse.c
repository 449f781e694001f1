/*
 * A test-only plugin whose entry declines to load, as a driver does when its client
 * library cannot start: it logs why and returns NULL.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stddef.h>

#include <strata/driver.h>

STRATA_DRIVER_EXPORT const strata_driver *strata_driver_entry(const strata_host *host);

STRATA_DRIVER_EXPORT const strata_driver *
strata_driver_entry(const strata_host *host)
{
    host->log(STRATA_LOG_ERROR, "refuse: this plugin always declines");
    return NULL;
}
