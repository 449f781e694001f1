/*
 * A test-only plugin the loader must refuse: it exports no strata_driver_entry, only a
 * function with another name.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <strata/driver.h>

STRATA_DRIVER_EXPORT const strata_driver *strata_driver_init(const strata_host *host);

STRATA_DRIVER_EXPORT const strata_driver *
strata_driver_init(const strata_host *host)
{
    (void)host;
    return NULL;
}
