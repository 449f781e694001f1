/*
 * libFuzzer target: the JSON writer (json.h) on any bytes: the output is one valid JSON
 * string whatever the input, invalid UTF-8 included (checked: no raw control byte, no
 * byte sequence that is not UTF-8).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* True when s[0, n) is valid UTF-8 with no control byte, as a JSON string body must be. */
static int
valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (len == 0 || c < 0x20 || i + len > n || c > 0xF4)
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += len;
    }
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (f != NULL) {
        strata_json_string(f, text);
        fclose(f);
        if (len < 2 || out[0] != '"' || out[len - 1] != '"' ||
            !valid((const unsigned char *)out, len))
            abort();
    }
    free(out);
    free(text);
    return 0;
}
