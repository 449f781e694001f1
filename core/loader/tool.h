/*
 * Running external tools for drivers (strata_host.run_tool): see driver.h.
 */
#ifndef STRATA_TOOL_H
#define STRATA_TOOL_H

#include <stddef.h>

#include <strata/types.h>

int strata_tool_run(const char *prog, char *const argv[], const char *secret_name,
                    const char *secret, const char *path, char *text, size_t size, int *wstatus,
                    strata_error *err);

int strata_tool_find(const char *name, char *out, size_t size);

#endif
