/*
 * libFuzzer target: migration file names (names.h) and versions (version.h) from any bytes:
 * a name parses or is refused with a reason; versions compare consistently.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "version.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = malloc(size + 1);
    if (name == NULL)
        return 0;
    memcpy(name, data, size);
    name[size] = '\0';
    strata_file_name n;
    memset(&n, 0, sizeof(n));
    const char *why = NULL;
    if (strata_file_name_parse(name, &n, &why) == 0 && n.version != NULL) {
        /* a parsed version is a version, equal to itself, ordered against another */
        if (strata_version_check(n.version, strlen(n.version), NULL) != 0 ||
            strata_version_cmp(n.version, n.version) != 0)
            abort();
        int a = strata_version_cmp(n.version, "1.10"), b = strata_version_cmp("1.10", n.version);
        if ((a > 0) != (b < 0) || (a == 0) != (b == 0))
            abort();
    }
    strata_file_name_free(&n);
    (void)strata_file_name_version_prefix(name, size);
    free(name);
    return 0;
}
