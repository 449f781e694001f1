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

#include "guard.h"
#include "names.h"
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
    char max[STRATA_VERSION_MAX + 1]; /* the largest version, "0" when there is none */
} habit;

static void
observe(habit *h, const char *version)
{
    size_t len = strlen(version);
    int plain = strspn(version, "0123456789") == len;
    if (!h->any)
        h->sequential = 1;
    h->any = 1;
    if (!plain || len >= 12)
        h->sequential = 0;
    if (len > h->width)
        h->width = len;
    if (strata_version_cmp(version, h->max) > 0 && len <= STRATA_VERSION_MAX)
        snprintf(h->max, sizeof(h->max), "%s", version);
}

/* v plus one in its last component, as text of any length ("0999" -> "1000", "1.9" -> "1.10");
 * newly allocated. */
static char *
increment(const char *v)
{
    size_t n = strlen(v);
    char *out = strata_xmalloc(n + 3); /* a leading carry digit, a grown component, the NUL */
    out[0] = '0';
    memcpy(out + 1, v, n + 1);
    size_t i = n + 1;
    while (out[i - 1] == '9')
        out[--i] = '0';
    if (out[i - 1] >= '0' && out[i - 1] <= '8') {
        out[i - 1]++;
    } else { /* the carry reached a dot: the component grows by one digit */
        memmove(out + i + 1, out + i, strlen(out + i) + 1);
        out[i] = '1';
    }
    if (out[0] == '0')
        memmove(out, out + 1, strlen(out + 1) + 1);
    return out;
}

static void
read_habit(const char *dir, habit *h)
{
    memset(h, 0, sizeof(*h));
    h->max[0] = '0';
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        strata_file_name n;
        const char *why;
        if (e->d_name[0] == '.' || strata_file_name_parse(e->d_name, &n, &why) != 0)
            continue;
        if (n.version != NULL)
            observe(h, n.version);
        strata_file_name_free(&n);
    }
    closedir(d);
}

/* The next version: a sequence number one above the largest, zero-padded to the folder's
 * width; or the UTC time (YYYYMMDDHHMMSS, padded with zeros to the width of longer
 * timestamp versions such as pop's 20-digit ones), or one above the largest when that is
 * not newer. Newly allocated. */
static char *
next_version(const habit *h, int sequential)
{
    if (sequential) {
        static const char zeros[] =
            "0000000000000000000000000000000000000000000000000000000000000000";
        char *next = increment(h->max);
        size_t want = h->width > 3 ? h->width : 3, len = strlen(next);
        int pad = want > len ? (int)(want - len) : 0;
        char *padded = strata_xasprintf("%.*s%s", pad, zeros, next);
        free(next);
        return padded;
    }
    char stamp[STRATA_VERSION_MAX + 1];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
    size_t width = strlen(h->max);
    if (width > n && strspn(h->max, "0123456789") == width) {
        memset(stamp + n, '0', width - n);
        stamp[width] = '\0';
    }
    if (strata_version_cmp(stamp, h->max) > 0)
        return strata_xstrdup(stamp);
    return increment(h->max);
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

/* ------------------------------------------------------------------ the files to write */

typedef struct file_list {
    char **paths;
    char **texts;
    size_t count;
} file_list;

static void
add_file(file_list *l, const char *dir, char *relative, char *text)
{
    l->paths = strata_xrealloc(l->paths, (l->count + 1) * sizeof(*l->paths));
    l->texts = strata_xrealloc(l->texts, (l->count + 1) * sizeof(*l->texts));
    l->paths[l->count] = strata_path_join(dir, relative);
    l->texts[l->count++] = text;
    free(relative);
}

static void
file_list_free(file_list *l, int keep_paths)
{
    for (size_t i = 0; i < l->count; i++) {
        if (!keep_paths)
            free(l->paths[i]);
        free(l->texts[i]);
    }
    if (!keep_paths)
        free(l->paths);
    free(l->texts);
}

static char *
up_text(const char *version, const char *name, const char *up, const char *down)
{
    if (up == NULL)
        return strata_xasprintf("-- %s %s: write the change here.\n", version, name);
    return strata_xasprintf("%s\n-- %s %s: write the change here.\n\n%s\n-- write here what "
                            "undoes it.\n",
                            up, version, name, down);
}

static char *
down_text(const char *version, const char *name)
{
    return strata_xasprintf("-- %s %s: write here what undoes the up script.\n", version, name);
}

/* ".postgres" for a dialect, "" for none. */
static char *
tag(const char *dialect)
{
    return dialect ? strata_xasprintf(".%s", dialect) : strata_xstrdup("");
}

/* The files of one migration (one dialect variant, or the neutral one when dialect is
 * NULL) in format f. */
static int
plan_one(file_list *l, const char *dir, const char *f, const char *v, const char *n,
         const char *dialect, strata_error *err)
{
    char *t = tag(dialect);
    int rc = STRATA_OK;
    if (strcmp(f, "paired") == 0) {
        add_file(l, dir, strata_xasprintf("%s_%s%s.up.sql", v, n, t), up_text(v, n, NULL, NULL));
        add_file(l, dir, strata_xasprintf("%s_%s%s.down.sql", v, n, t), down_text(v, n));
    } else if (strcmp(f, "sections") == 0) {
        add_file(l, dir, strata_xasprintf("%s_%s%s.sql", v, n, t),
                 up_text(v, n, "-- migrate:up", "-- migrate:down"));
    } else if (strcmp(f, "goose") == 0) {
        add_file(l, dir, strata_xasprintf("%s_%s%s.sql", v, n, t),
                 up_text(v, n, "-- +goose Up", "-- +goose Down"));
    } else if (dialect != NULL) {
        rc = strata_fail(err, STRATA_USAGE,
                         "--dialects works with the paired, sections and goose formats, not %s", f);
    } else if (strcmp(f, "rollback-folder") == 0) {
        add_file(l, dir, strata_xasprintf("%s_%s.sql", v, n), up_text(v, n, NULL, NULL));
        add_file(l, dir, strata_xasprintf("rollback/%s_%s.sql", v, n), down_text(v, n));
    } else if (strcmp(f, "folder") == 0) {
        add_file(l, dir, strata_xasprintf("%s_%s/migration.sql", v, n), up_text(v, n, NULL, NULL));
        add_file(l, dir, strata_xasprintf("%s_%s/down.sql", v, n), down_text(v, n));
    } else if (strcmp(f, "flyway") == 0) {
        add_file(l, dir, strata_xasprintf("V%s__%s.sql", v, n), up_text(v, n, NULL, NULL));
        add_file(l, dir, strata_xasprintf("U%s__%s.sql", v, n), down_text(v, n));
    } else {
        rc = strata_fail(err, STRATA_USAGE,
                         "unknown format '%s'; use paired, sections, goose, rollback-folder, "
                         "folder or flyway",
                         f);
    }
    free(t);
    return rc;
}

static int
plan_files(file_list *l, const char *dir, const char *f, const char *v, const char *n,
           const char *dialects, strata_error *err)
{
    if (dialects == NULL || *dialects == '\0')
        return plan_one(l, dir, f, v, n, NULL, err);
    char *copy = strata_xstrdup(dialects), *save = NULL;
    int rc = STRATA_OK;
    for (char *d = strtok_r(copy, ", ", &save); d != NULL && rc == STRATA_OK;
         d = strtok_r(NULL, ", ", &save)) {
        if (strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(d))
            rc = strata_fail(err, STRATA_USAGE,
                             "'%s' is not a dialect name (a letter, then letters and digits, as "
                             "`strata drivers` shows them)",
                             d);
        else
            rc = plan_one(l, dir, f, v, n, d, err);
    }
    free(copy);
    return rc;
}

/* Creates the parent folder of each file, then each file; removes what it wrote on error. */
static int
write_files(const file_list *l, strata_error *err)
{
    int rc = STRATA_OK;
    size_t done = 0;
    for (; rc == STRATA_OK && done < l->count; done++) {
        char *parent = strata_xstrdup(l->paths[done]);
        char *slash = strrchr(parent, '/');
        if (slash != NULL && slash != parent) {
            *slash = '\0';
            rc = make_dirs(parent, err);
        }
        free(parent);
        if (rc == STRATA_OK)
            rc = write_new_file(l->paths[done], l->texts[done], err);
    }
    if (rc != STRATA_OK)
        for (size_t i = 0; i + 1 < done; i++)
            unlink(l->paths[i]);
    return rc;
}

/* The largest version of dir in any format, else 0; whether versions are sequence numbers. */
static void
directory_habit(const char *dir, habit *h, const char **format)
{
    int sequential = 0;
    size_t width = 0;
    *format = strata_source_detect_format(dir, &sequential, &width);
    read_habit(dir, h);
    strata_source_set *set = NULL;
    strata_error ignored = STRATA_ERROR_INIT;
    if (strata_source_scan(dir, NULL, &set, &ignored) == STRATA_OK) {
        for (size_t i = 0; i < set->count; i++)
            observe(h, set->items[i].version);
        strata_source_free(set);
    }
    h->sequential = h->any && sequential;
    if (width > h->width)
        h->width = width;
}

/* The body of strata_new_files(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_new_files_body(const char *dir, const char *name, const strata_new_options *o,
                      strata_new_result **out, strata_error *err)
{
    *out = NULL;
    strata_error_clear(err);
    char *clean = slug(name ? name : "");
    if (clean == NULL)
        return strata_fail(err, STRATA_USAGE,
                           "'%s' is not a usable migration name; use letters and digits, e.g. "
                           "add_users_email",
                           name ? name : "");
    habit h;
    const char *format;
    directory_habit(dir, &h, &format);
    if (o != NULL && o->format != NULL)
        format = o->format;
    int sequential = o != NULL && o->sequential >= 0 ? o->sequential : h.sequential;
    char *version = next_version(&h, sequential);
    file_list files = {0};
    int rc = plan_files(&files, dir, format, version, clean, o ? o->dialects : NULL, err);
    if (rc == STRATA_OK)
        rc = write_files(&files, err);
    if (rc == STRATA_OK) {
        strata_new_result *r = strata_xcalloc(1, sizeof(*r));
        r->paths = files.paths;
        r->count = files.count;
        r->version = version;
        r->format = strcmp(format, "paired") == 0 ? "paired" : format;
        r->name = clean;
        *out = r;
        version = NULL;
        clean = NULL;
    }
    file_list_free(&files, rc == STRATA_OK);
    free(version);
    free(clean);
    return rc;
}

int
strata_new_files(const char *dir, const char *name, const strata_new_options *o,
                 strata_new_result **out, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_new_files_body(dir, name, o, out, err);
}

void
strata_new_result_free(strata_new_result *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++)
        free(r->paths[i]);
    free(r->paths);
    free(r->version);
    free(r->name);
    free(r);
}

/* The body of strata_new(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_new_body(const char *dir, const char *name, const strata_new_options *o, char **up_path,
                char **down_path, strata_error *err)
{
    strata_new_result *r = NULL;
    *up_path = *down_path = NULL;
    int rc = strata_new_files(dir, name, o, &r, err);
    if (rc == STRATA_OK) {
        *up_path = strata_xstrdup(r->paths[0]);
        *down_path = strata_xstrdup(r->count > 1 ? r->paths[1] : r->paths[0]);
    }
    strata_new_result_free(r);
    return rc;
}

int
strata_new(const char *dir, const char *name, const strata_new_options *o, char **up_path,
           char **down_path, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_new_body(dir, name, o, up_path, down_path, err);
}
