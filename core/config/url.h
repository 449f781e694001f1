/*
 * Connection URLs: parsing, percent-decoding, password redaction (DESIGN section 6).
 */
#ifndef STRATA_URL_H
#define STRATA_URL_H

#include <stddef.h>

#include <strata/driver.h>

/*
 * Parses text into a newly allocated strata_url (free with strata_url_free). Accepted:
 *   sqlite:path/to.db  sqlite:/abs.db  sqlite:///abs.db  sqlite://rel.db  sqlite::memory:
 *   (also sqlite3:), each optionally followed by ?key=value&...;
 *   scheme://[user[:password]@][host|[ipv6]][:port][/database][?key=value&...] for every
 *   other scheme, with percent-decoding of user, password, database, keys and values.
 * A file scheme is one whose module is "sqlite" (see strata_url_module). On failure returns
 * STRATA_USAGE, leaves *out NULL and fills err with a message that quotes the redacted URL.
 */
int strata_url_parse(const char *text, strata_url **out, strata_error *err);

/* Frees a URL from strata_url_parse; NULL is a no-op. */
void strata_url_free(strata_url *url);

/* Value of the first query parameter named key, or NULL. */
const char *strata_url_param_value(const strata_url *url, const char *key);

/*
 * Writes text with its password (userinfo after ':' and password-like query parameters:
 * password, pass, pwd, sslpassword) replaced by "***" (snprintf convention). Works on text
 * that does not parse, so error messages about bad URLs never leak a secret.
 */
size_t strata_url_redact(const char *text, char *out, size_t size);

/*
 * Driver module name serving a URL scheme: "postgresql" -> "postgres", "mariadb" ->
 * "mysql", "sqlite3" -> "sqlite", anything else unchanged. Returns NULL when the scheme is
 * not a valid module name ([a-z0-9_]+, at most 64 characters).
 */
const char *strata_url_module(const char *scheme, char *buf, size_t size);

#endif
