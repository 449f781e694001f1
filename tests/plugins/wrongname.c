/*
 * A test-only plugin the loader must refuse: valid, but its name ("someoneelse")
 * differs from its file's stem.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "stubs.h"

static const strata_driver stub_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_driver),
    STUB_IDENTITY("someoneelse"),
    STUB_SLOTS(stub_connect, stub_describe),
};

STUB_DRIVER_ENTRY(stub_driver)
