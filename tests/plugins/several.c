/*
 * A test-only plugin with several problems at once: two required members, connect and
 * describe, are NULL, and its name ("plural") differs from its file's stem. The loader must
 * name every one of them in a single refusal, not only the first it finds.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "stubs.h"

static const strata_driver stub_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_driver),
    STUB_IDENTITY("plural"),
    STUB_SLOTS(NULL, NULL),
};

STUB_DRIVER_ENTRY(stub_driver)
