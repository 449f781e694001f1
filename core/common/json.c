#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "json.h"

/* The length of the well-formed UTF-8 sequence starting at p (2 to 4), or 0 when the bytes
 * there are not one (a stray continuation byte, an overlong form, a surrogate, a truncated
 * sequence, a code point past U+10FFFF). */
static int
utf8_sequence(const unsigned char *p)
{
    int n = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC2 ? 2 : 0;
    if (n == 0 || *p > 0xF4)
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 3 && *p == 0xE0 && p[1] < 0xA0) || (n == 3 && *p == 0xED && p[1] >= 0xA0) ||
        (n == 4 && *p == 0xF0 && p[1] < 0x90) || (n == 4 && *p == 0xF4 && p[1] >= 0x90))
        return 0;
    return n;
}

void
strata_json_string(FILE *out, const char *s)
{
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) { /* copied through only when valid UTF-8: JSON must be */
            int n = utf8_sequence(p);
            if (n == 0) {
                fputs("\ufffd", out); /* U+FFFD for each byte that is not */
                continue;
            }
            fwrite(p, 1, (size_t)n, out);
            p += n - 1;
            continue;
        }
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

void
strata_json_key(FILE *out, int *first, const char *key)
{
    if (!*first)
        fputc(',', out);
    *first = 0;
    strata_json_string(out, key);
    fputc(':', out);
}

void
strata_json_kv_string(FILE *out, int *first, const char *key, const char *value)
{
    strata_json_key(out, first, key);
    strata_json_string(out, value);
}

void
strata_json_kv_int(FILE *out, int *first, const char *key, long long value)
{
    strata_json_key(out, first, key);
    fprintf(out, "%lld", value);
}

void
strata_json_kv_bool(FILE *out, int *first, const char *key, int value)
{
    strata_json_key(out, first, key);
    fputs(value ? "true" : "false", out);
}

void
strata_json_kv_strings(FILE *out, int *first, const char *key, const char *const *items, size_t n)
{
    strata_json_key(out, first, key);
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fputc(',', out);
        strata_json_string(out, items[i]);
    }
    fputc(']', out);
}
