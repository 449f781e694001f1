/*
 * A test-only plugin the loader must refuse: its url_shape is 0, what a driver ported from
 * ABI 1 that forgets the member (new in ABI 2) gets from its designated initializers, and no
 * URL shape. Otherwise it looks valid.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "stubs.h"

static const strata_driver stub_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_driver),
    STUB_IDENTITY_SHAPE("noshape", 0),
    STUB_SLOTS(stub_connect, stub_describe),
};

STUB_DRIVER_ENTRY(stub_driver)
