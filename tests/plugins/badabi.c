/*
 * A test-only plugin the loader must refuse: its abi_version is 99. Otherwise it
 * looks valid.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "stubs.h"

static const strata_driver stub_driver = {
    .abi_version = 99,
    .size = sizeof(strata_driver),
    STUB_IDENTITY("badabi"),
    STUB_SLOTS(stub_connect, stub_describe),
};

STUB_DRIVER_ENTRY(stub_driver)
