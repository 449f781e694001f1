#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <string.h>

#include "checksum.h"

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

void
strata_checksum_init(strata_checksum *c)
{
    memset(c, 0, sizeof(*c));
    sha256_init(&c->sha);
}

static void
feed(strata_checksum *c, const char *data, size_t len)
{
    if (len > 0)
        sha256_update(&c->sha, len, (const uint8_t *)data);
}

/* Feeds bytes past the BOM check, turning each CRLF into LF (also across pieces). */
static void
feed_normalized(strata_checksum *c, const char *data, size_t len)
{
    size_t start = 0;
    if (c->pending_cr) {
        c->pending_cr = 0;
        if (len > 0 && data[0] != '\n')
            feed(c, "\r", 1);
    }
    for (size_t i = 0; i < len; i++) {
        if (data[i] != '\r')
            continue;
        feed(c, data + start, i - start);
        start = i + 1;
        if (i + 1 == len)
            c->pending_cr = 1;
        else if (data[i + 1] != '\n')
            feed(c, "\r", 1);
    }
    feed(c, data + start, len - start);
}

/* Holds back the first three bytes until it is known whether they are a BOM. */
void
strata_checksum_update(strata_checksum *c, const char *data, size_t len)
{
    while (c->seen < 3 && len > 0) {
        c->bom[c->seen++] = (unsigned char)*data++;
        len--;
        if (c->seen == 3 && memcmp(c->bom, utf8_bom, 3) != 0)
            feed_normalized(c, (const char *)c->bom, 3);
    }
    feed_normalized(c, data, len);
}

void
strata_checksum_final(strata_checksum *c, char hex[STRATA_CHECKSUM_HEX])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t digest[SHA256_DIGEST_SIZE];
    if (c->seen < 3)
        feed_normalized(c, (const char *)c->bom, c->seen);
    if (c->pending_cr)
        feed(c, "\r", 1);
    sha256_digest(&c->sha, sizeof(digest), digest);
    for (size_t i = 0; i < sizeof(digest); i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

void
strata_checksum_buffer(const char *data, size_t len, char hex[STRATA_CHECKSUM_HEX])
{
    strata_checksum c;
    strata_checksum_init(&c);
    strata_checksum_update(&c, data, len);
    strata_checksum_final(&c, hex);
}
