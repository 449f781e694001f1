#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "json.h"

void
strata_json_string(FILE *out, const char *s)
{
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
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
