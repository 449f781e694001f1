/*
 * `strata new`: writing the files of a new migration in the folder's own habit.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <strata/strata.h>

#include "source.h"
#include "util.h"

/* Lowercase letters, digits and single underscores; NULL when nothing usable is left. */
static char *
slug(const char *name)
{
    char *out = strata_xmalloc(strlen(name) + 1);
    size_t n = 0;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) && c < 0x80)
            out[n++] = (char)tolower(c);
        else if (n > 0 && out[n - 1] != '_')
            out[n++] = '_';
    }
    while (n > 0 && out[n - 1] == '_')
        n--;
    out[n] = '\0';
    if (n == 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* What the directory already does: the largest version and whether versions are short
 * sequence numbers (and how wide). */
typedef struct habit {
    int any;
    int sequential;
    size_t width;
    unsigned long long max;
} habit;

static void
observe(habit *h, const char *version)
{
    size_t len = strlen(version);
    int plain = strspn(version, "0123456789") == len;
    unsigned long long v = strtoull(version, NULL, 10);
    if (!h->any)
        h->sequential = 1;
    h->any = 1;
    if (!plain || len >= 12)
        h->sequential = 0;
    if (len > h->width)
        h->width = len;
    if (v > h->max)
        h->max = v;
}

static void
read_habit(const char *dir, habit *h)
{
    memset(h, 0, sizeof(*h));
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *version, *name, direction;
        if (e->d_name[0] == '.' ||
            strata_source_parse_name(e->d_name, &version, &name, &direction) != 0)
            continue;
        observe(h, version);
        free(version);
        free(name);
    }
    closedir(d);
}

static char *
next_version(const habit *h, int sequential)
{
    if (sequential)
        return strata_xasprintf("%0*llu", (int)(h->width > 3 ? h->width : 3), h->max + 1);
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
    unsigned long long v = strtoull(stamp, NULL, 10);
    if (v <= h->max)
        v = h->max + 1;
    return strata_xasprintf("%llu", v);
}

static int
make_dirs(const char *dir, strata_error *err)
{
    char *copy = strata_xstrdup(dir);
    int rc = STRATA_OK;
    for (char *p = copy + 1; rc == STRATA_OK; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            rc = strata_fail(err, STRATA_ERROR, "cannot create %s: %s", copy, strerror(errno));
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(copy);
    return rc;
}

static int
write_new_file(const char *path, const char *text, strata_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return strata_fail(err, STRATA_ERROR, "cannot create %s: %s", path, strerror(errno));
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n;
    ok = close(fd) == 0 && ok;
    if (!ok)
        return strata_fail(err, STRATA_ERROR, "cannot write %s", path);
    return STRATA_OK;
}

int
strata_new(const char *dir, const char *name, const strata_new_options *o, char **up_path,
           char **down_path, strata_error *err)
{
    *up_path = *down_path = NULL;
    strata_error_clear(err);
    char *clean = slug(name ? name : "");
    if (clean == NULL)
        return strata_fail(err, STRATA_USAGE,
                           "'%s' is not a usable migration name; use "
                           "letters and digits, e.g. add_users_email",
                           name ? name : "");
    int rc = make_dirs(dir, err);
    habit h;
    read_habit(dir, &h);
    int sequential = o != NULL && o->sequential >= 0 ? o->sequential : (h.any && h.sequential);
    char *version = next_version(&h, sequential);
    char *up_file = strata_xasprintf("%s_%s.up.sql", version, clean);
    char *down_file = strata_xasprintf("%s_%s.down.sql", version, clean);
    char *up = strata_path_join(dir, up_file);
    char *down = strata_path_join(dir, down_file);
    char *up_text = strata_xasprintf("-- %s %s: write the change here.\n", version, clean);
    char *down_text =
        strata_xasprintf("-- %s %s: write here what undoes the up script.\n", version, clean);
    if (rc == STRATA_OK)
        rc = write_new_file(up, up_text, err);
    if (rc == STRATA_OK) {
        rc = write_new_file(down, down_text, err);
        if (rc != STRATA_OK)
            unlink(up);
    }
    if (rc == STRATA_OK) {
        *up_path = up;
        *down_path = down;
    } else {
        free(up);
        free(down);
    }
    free(up_text);
    free(down_text);
    free(up_file);
    free(down_file);
    free(version);
    free(clean);
    return rc;
}
