/*
 * Script checksums: SHA-256 (GNU Nettle) of the script text with a leading UTF-8 BOM
 * dropped and CRLF read as LF, so a checkout on another OS does not look edited.
 * The text is fed in any number of pieces; the result does not depend on how it is cut.
 */
#ifndef STRATA_CHECKSUM_H
#define STRATA_CHECKSUM_H

#include <stddef.h>

#include <nettle/sha2.h>

#define STRATA_CHECKSUM_HEX 65 /* 64 hex digits and a NUL */

typedef struct strata_checksum {
    struct sha256_ctx sha;
    size_t seen;    /* bytes fed so far (to spot the BOM) */
    int pending_cr; /* the previous piece ended in '\r' */
    unsigned char bom[3];
} strata_checksum;

void strata_checksum_init(strata_checksum *c);
void strata_checksum_update(strata_checksum *c, const char *data, size_t len);
/* Finishes and writes 64 lowercase hex digits and a NUL to hex. */
void strata_checksum_final(strata_checksum *c, char hex[STRATA_CHECKSUM_HEX]);
/* One-shot checksum of a buffer. */
void strata_checksum_buffer(const char *data, size_t len, char hex[STRATA_CHECKSUM_HEX]);

#endif
