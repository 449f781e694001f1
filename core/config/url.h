/*
 * Connection URLs: parsing, percent-decoding, password redaction (DESIGN section 6).
 */
#ifndef STRATA_URL_H
#define STRATA_URL_H

#include <stddef.h>

#include <strata/driver.h>

/*
 * Parses text, a URL of the given shape (STRATA_URL_SERVER, _FILE or _OPAQUE: the serving
 * driver's), into a newly allocated strata_url (free with strata_url_free):
 *   SERVER  scheme://[user[:password]@][host|[ipv6]][:port][,host[:port]...][/database]
 *           [?key=value&...], user, password, database, keys and values percent-decoded;
 *           several hosts stay one list in host (port 0);
 *   FILE    scheme:path/to.db  scheme:/abs.db  scheme:///abs.db  scheme://rel.db
 *           scheme::memory:, each optionally followed by ?key=value&...;
 *   OPAQUE  scheme:TEXT, TEXT in opaque as written.
 * raw keeps the text, redacted the text with its secrets hidden. On failure returns
 * STRATA_USAGE, leaves *out NULL and fills err with a message that quotes the redacted URL.
 */
int strata_url_parse(const char *text, int shape, strata_url **out, strata_error *err);

/* The scheme of text ("scheme:...") in lower case, written to buf; NULL when text has none
 * or it does not fit. */
const char *strata_url_scheme(const char *text, char *buf, size_t size);

/* Gives url the password (copied; the copy is wiped when url is freed), for a password that
 * came from elsewhere than the URL's text: raw and redacted stay as they were. Returns
 * STRATA_OK, or STRATA_ERROR_NOMEM. */
int strata_url_set_password(strata_url *url, const char *password);

/*
 * The URL text with its database part replaced by database (percent-encoded): the path of a
 * server URL (scheme://auth/DATABASE?query), everything after "scheme:" up to the query of a
 * file URL. Secrets and parameters stay. NULL for an opaque URL. The caller frees it.
 */
char *strata_url_with_database(const char *text, int shape, const char *database);

/* Frees a URL from strata_url_parse; NULL is a no-op. */
void strata_url_free(strata_url *url);

/* Value of the first query parameter named key, or NULL. */
const char *strata_url_param_value(const strata_url *url, const char *key);

/*
 * Writes text with its password (userinfo after ':' and password-like parameters: password,
 * pass, pwd, sslpassword, in a query or, for an opaque URL such as an ODBC connection
 * string, key=value pairs separated by ';') replaced by "***" (snprintf convention). Works on
 * text that does not parse, so error messages about bad URLs never leak a secret.
 */
size_t strata_url_redact(const char *text, char *out, size_t size);

#endif
