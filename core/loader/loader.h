/*
 * Finding, loading and checking driver plugins (DESIGN section 2).
 *
 * Search order: the caller's driver_dir, each entry of STRATA_DRIVER_PATH, the build tree
 * beside the running program (so ./strata works right after make), then the installed
 * $(pkglibdir)/drivers. Loaded drivers stay loaded for the life of the process; the
 * loader is thread-safe.
 */
#ifndef STRATA_LOADER_H
#define STRATA_LOADER_H

#include <stddef.h>

#include <strata/driver.h>

/* The list of directories searched, in order; free with strata_loader_free_dirs. */
char **strata_loader_dirs(const char *driver_dir, size_t *count);
void strata_loader_free_dirs(char **dirs, size_t count);

/*
 * Loads module (a name of [a-z0-9_]) from the first directory holding <module>.so.
 * Returns STRATA_OK and *out (owned by the loader), or STRATA_USAGE with a message naming
 * every directory searched when there is none, or STRATA_ERROR naming the file and why
 * it was refused.
 */
int strata_loader_load(const char *module, const char *driver_dir, const strata_driver **out,
                       strata_error *err);

/*
 * The driver serving a URL scheme: <scheme>.so when it serves it, else the first driver
 * found (in search order) that lists the scheme among its schemes. Returns STRATA_OK and
 * *out (owned by the loader); STRATA_USAGE naming every driver found and its schemes when
 * none serves it; STRATA_ERROR when <scheme>.so is there but refused, with why.
 */
int strata_loader_for_scheme(const char *scheme, const char *driver_dir, const strata_driver **out,
                             strata_error *err);

/*
 * Loads and checks the plugin at path. Returns the driver (owned by the loader), or NULL
 * with why it was refused written into reason_buf (snprintf-style, always terminated).
 */
const strata_driver *strata_loader_open_file(const char *path, char *reason_buf,
                                             size_t reason_size);

/* The services handed to every driver's entry. */
const strata_host *strata_loader_host(void);

#endif
