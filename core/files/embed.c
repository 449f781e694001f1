/*
 * strata embed: a migrations folder as C source, compiled into a program and read through
 * strata_options.embedded (fs.h).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "guard.h"
#include "source.h"
#include "util.h"

/* Writes byte c inside a C string literal: escaped unless it is printable ASCII that can
 * stand for itself ('?' never does: no trigraph may form). */
static void
write_char(FILE *out, unsigned char c)
{
    if (c == '"' || c == '\\')
        fprintf(out, "\\%c", c);
    else if (c == '?')
        fputs("\\?", out);
    else if (c >= 0x20 && c < 0x7f)
        fputc(c, out);
    else
        fprintf(out, "\\%03o", c); /* three digits: a digit after it stays a digit */
}

/* Writes n bytes of data as the text of C string literals, one per line of the file. */
static void
write_literal(FILE *out, const unsigned char *data, size_t n)
{
    fputs("     \"", out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = data[i];
        if (c == '\n')
            fputs(i + 1 < n ? "\\n\"\n     \"" : "\\n", out);
        else
            write_char(out, c);
    }
    fputs("\"", out);
}

/* Reads the whole file at path (the caller frees *data). */
static int
read_all(const char *path, char **data, size_t *size, strata_error *err)
{
    FILE *f = strata_fs_fopen(path);
    strata_buf b = {0};
    char chunk[8192];
    size_t n;
    if (f == NULL)
        return strata_fail(err, STRATA_ERROR, "cannot open %s: %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        strata_buf_append(&b, chunk, n);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        strata_buf_free(&b);
        return strata_fail(err, STRATA_ERROR, "cannot read %s", path);
    }
    *size = b.len;
    *data = b.data != NULL ? strata_buf_take(&b) : strata_xstrdup("");
    return STRATA_OK;
}

static int
valid_symbol(const char *s)
{
    if (s == NULL || !(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

static int
write_set(FILE *out, const char *dir, const char *symbol, const strata_fs_list *l,
          strata_error *err)
{
    fprintf(out,
            "/* The migrations of %s, compiled in by `strata embed` (strata %s): regenerate it, "
            "do not edit. */\n#include <stddef.h>\n\n#include <strata/strata.h>\n\n"
            "const strata_embedded_file %s[] = {\n",
            dir, PACKAGE_VERSION, symbol);
    for (size_t i = 0; i < l->count; i++) {
        char *path = strata_path_join(dir, l->paths[i]), *data = NULL;
        size_t size = 0;
        int rc = read_all(path, &data, &size, err);
        free(path);
        if (rc != STRATA_OK)
            return rc;
        fputs("    {\"", out);
        for (const char *p = l->paths[i]; *p != '\0'; p++)
            write_char(out, (unsigned char)*p);
        fputs("\",\n", out);
        write_literal(out, (const unsigned char *)data, size);
        fprintf(out, ",\n     %zu},\n", size);
        free(data);
    }
    fputs("    {NULL, NULL, 0},\n};\n", out);
    return ferror(out) ? strata_fail(err, STRATA_ERROR, "cannot write the C source") : STRATA_OK;
}

/* The body of strata_embed(), which opens the guard (guard.h). */
static int __attribute__((noinline))
strata_embed_body(FILE *out, const char *dir, const char *symbol, strata_error *err)
{
    strata_error_clear(err);
    if (!valid_symbol(symbol))
        return strata_fail(err, STRATA_USAGE, "'%s' is no C identifier (letters, digits, _)",
                           symbol ? symbol : "");
    strata_source_set *set = NULL;
    int rc = strata_source_scan(dir, NULL, &set, err); /* what strata refuses is refused */
    strata_source_free(set);
    if (rc != STRATA_OK)
        return rc;
    strata_fs_list l;
    rc = strata_fs_list_files(dir, "", &l, err);
    if (rc == STRATA_OK)
        rc = write_set(out, dir, symbol, &l, err);
    strata_fs_list_free(&l);
    return rc;
}

int
strata_embed(FILE *out, const char *dir, const char *symbol, strata_error *err)
{
    STRATA_GUARD(NULL, err);
    return strata_embed_body(out, dir, symbol, err);
}
