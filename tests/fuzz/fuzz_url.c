/*
 * libFuzzer target: connection URLs (url.h) from any bytes, in each shape, and redaction:
 * the redacted text of a URL that has a password hides something.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <strata/driver.h>

#include "url.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    static const int shapes[] = {STRATA_URL_SERVER, STRATA_URL_FILE, STRATA_URL_OPAQUE};
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        strata_url *url = NULL;
        strata_error err = STRATA_ERROR_INIT;
        if (strata_url_parse(text, shapes[i], &url, &err) == STRATA_OK) {
            if (url->password != NULL && url->password[0] != '\0' &&
                strstr(url->redacted, "***") == NULL)
                abort(); /* a URL with a password whose redacted text hides nothing */
            (void)strata_url_param_value(url, "sslmode");
            char *other = strata_url_with_database(text, shapes[i], "strata_scratch_1");
            free(other);
        }
        strata_url_free(url);
    }
    char scheme[64], out[256];
    (void)strata_url_scheme(text, scheme, sizeof(scheme));
    (void)strata_url_redact(text, out, sizeof(out));
    free(text);
    return 0;
}
