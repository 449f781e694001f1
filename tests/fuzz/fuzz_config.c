/*
 * libFuzzer target: strata.conf (settings.h) from any bytes: the file loads or is refused
 * with a message; a loaded one resolves, and its fleets read.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strata/settings.h>

static const char *
no_env(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "X") == 0 ? "x" : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (path[0] == '\0')
        snprintf(path, sizeof(path), "/tmp/strata-fuzz-config-%ld.conf", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    strata_config *cfg = NULL;
    strata_error err = STRATA_ERROR_INIT;
    if (strata_config_load(path, &cfg, &err) == STRATA_OK) {
        strata_settings_input in = {.getenv = no_env};
        strata_settings *set = NULL;
        if (strata_config_resolve(cfg, &in, &set, &err) == STRATA_OK)
            strata_settings_free(set);
        for (size_t i = 0; i < strata_config_fleet_count(cfg); i++) {
            strata_fleet_entry *e = NULL;
            size_t n = 0;
            if (strata_config_fleet(cfg, strata_config_fleet_name(cfg, i), no_env, NULL, &e, &n,
                                    &err) == STRATA_OK)
                strata_config_fleet_free(e, n);
        }
    }
    strata_config_free(cfg);
    return 0;
}
