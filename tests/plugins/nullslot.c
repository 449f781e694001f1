/*
 * A test-only plugin the loader must refuse: a required slot, connect, is NULL.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "stubs.h"

static const strata_driver stub_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_driver),
    STUB_IDENTITY("nullslot"),
    STUB_SLOTS(NULL, stub_describe),
};

STUB_DRIVER_ENTRY(stub_driver)
