/*
 * A test-only plugin the loader must refuse: its size (16) is smaller than the
 * version-2 struct. Otherwise it looks valid.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "stubs.h"

static const strata_driver stub_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = 16,
    STUB_IDENTITY("small"),
    STUB_SLOTS(stub_connect, stub_describe),
};

STUB_DRIVER_ENTRY(stub_driver)
