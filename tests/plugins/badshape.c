/*
 * A test-only plugin the loader must refuse: its url_shape (4) is none of STRATA_URL_SERVER,
 * STRATA_URL_FILE and STRATA_URL_OPAQUE, so the core could not parse its URLs. Otherwise it
 * looks valid.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "stubs.h"

static const strata_driver stub_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_driver),
    STUB_IDENTITY_SHAPE("badshape", STRATA_URL_OPAQUE + 1),
    STUB_SLOTS(stub_connect, stub_describe),
};

STUB_DRIVER_ENTRY(stub_driver)
