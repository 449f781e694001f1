#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <strata/driver.h>
#include <strata/types.h>

typedef strata_url_param url_param;

#include "url.h"
#include "util.h"

/*
 * A parsed URL and everything it points to, in one allocation: the public struct first (so
 * strata_url_free can cast back), then the parameter array, then a character arena holding
 * the lowercased scheme, every decoded component and the redacted text.
 */
struct url_box {
    strata_url pub;
    char *next;         /* first free byte of the arena */
    char *limit;        /* one past the arena's last byte */
    char *password;     /* set by strata_url_set_password, else NULL; wiped when freed */
    url_param params[]; /* room for maxparams entries, then the arena */
};

/* Where a URL's userinfo may start, by the URL's shape. */
enum url_shape {
    URL_NET,  /* scheme://... */
    URL_OTHER /* anything else: a file URL, an opaque one, no scheme */
};

/* Text output with the snprintf convention: counts everything, stores what fits. */
struct url_out {
    char *buf;
    size_t size;
    size_t len;
};

/* Query parameter names whose values are secrets. */
static const char *const url_secret_keys[] = {"password", "pass", "pwd", "sslpassword", NULL};

#define URL_MODULE_MAX 64

/* Fills err (when not NULL) with status and the formatted message; returns status. */
static int url_fail(strata_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
url_fail(strata_error *err, int status, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL) {
        strata_error_clear(err); /* keeps err->size */
        err->status = status;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return status;
}

static int
url_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
url_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char
url_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Value of a hex digit, or -1. */
static int
url_hex(char c)
{
    if (url_is_digit(c))
        return c - '0';
    c = url_lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/*
 * Length of the scheme that starts text (a letter, then letters, digits, '+', '-', '.'),
 * excluding its ':'; 0 when text does not start with "scheme:".
 */
static size_t
url_scheme_len(const char *text)
{
    size_t n = 0;

    if (!url_is_alpha(text[0]))
        return 0;
    while (url_is_alpha(text[n]) || url_is_digit(text[n]) || text[n] == '+' || text[n] == '-' ||
           text[n] == '.')
        n++;
    return text[n] == ':' ? n : 0;
}

/* The shape text shows on its own, for redaction: "scheme://..." or anything else. */
static enum url_shape
url_shape_of(const char *text, size_t scheme_len)
{
    if (scheme_len > 0 && strncmp(text + scheme_len + 1, "//", 2) == 0)
        return URL_NET;
    return URL_OTHER;
}

/*
 * Decodes the n bytes at src (%XX escapes; '+' stays '+') into dst, which has room for
 * n + 1 bytes, and NUL-terminates it. Returns -1 on a bad or truncated escape, or on %00,
 * which a C string cannot carry.
 */
static int
url_decode(const char *src, size_t n, char *dst)
{
    size_t i = 0;
    int hi, lo;

    while (i < n) {
        if (src[i] != '%') {
            *dst++ = src[i++];
            continue;
        }
        hi = i + 1 < n ? url_hex(src[i + 1]) : -1;
        lo = i + 2 < n ? url_hex(src[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return -1;
        *dst++ = (char)(hi * 16 + lo);
        i += 3;
    }
    *dst = '\0';
    return 0;
}

/* Last '@' in [p, end), or NULL. */
static const char *
url_last_at(const char *p, const char *end)
{
    const char *at = NULL;

    for (; p < end; p++)
        if (*p == '@')
            at = p;
    return at;
}

/*
 * True when [p, end) cannot be one host[:port] because a ':' outside IPv6 brackets is
 * followed by something other than a non-empty run of digits.
 */
static int
url_bad_one_hostport(const char *p, const char *end)
{
    const char *colon;

    if (p < end && *p == '[') {
        p = memchr(p, ']', (size_t)(end - p));
        if (p == NULL)
            return 0;
    }
    colon = memchr(p, ':', (size_t)(end - p));
    if (colon == NULL)
        return 0;
    if (colon + 1 == end)
        return 1;
    for (p = colon + 1; p < end; p++)
        if (!url_is_digit(*p))
            return 1;
    return 0;
}

/* True when [p, end), a host[:port] or a list of them separated by ',', is none. */
static int
url_bad_hostport(const char *p, const char *end)
{
    const char *comma;

    while ((comma = memchr(p, ',', (size_t)(end - p))) != NULL) {
        if (url_bad_one_hostport(p, comma))
            return 1;
        p = comma + 1;
    }
    return url_bad_one_hostport(p, end);
}

/*
 * Splits the authority that starts at p (just past "//"). Sets *at to the '@' ending the
 * userinfo, or NULL when there is none, and returns the end of the authority: the first
 * '/' or '?' after the userinfo, or the terminating NUL.
 *
 * The userinfo ends at the last '@' before the first '/' or '?'. When that stretch has no
 * '@' and is not a valid host[:port], but an '@' follows, the password evidently holds an
 * unencoded '/' or '?': the userinfo then ends at the last '@' before the first '?' after
 * it. So it does when an '@' after the first '/' is followed by "host/path": the password
 * holds a raw '@' and '/' ("u:p@ss/word@host/db"). The parser and the redactor share this
 * rule, so such a password is neither taken for a host nor printed.
 *
 * *path_at (may be NULL) receives the last '@' left in the path when there is one: with a
 * password in the userinfo, "u:p@ss/word@host" (password "p@ss/word") cannot be told from
 * "u:p@ss/word@host" (host "ss", database "word@host"); the parser refuses it and the
 * redactor hides everything up to that '@'.
 */
static const char *
url_authority(const char *p, const char **at, const char **path_at)
{
    const char *end = p + strcspn(p, "/?");
    const char *found = url_last_at(p, end);
    const char *first, *stop, *last;

    if (found == NULL && url_bad_hostport(p, end)) {
        first = strchr(end, '@');
        if (first != NULL)
            found = url_last_at(first, first + strcspn(first, "?"));
    }
    if (found != NULL)
        end = found + 1 + strcspn(found + 1, "/?");
    stop = end + strcspn(end, "?");
    last = url_last_at(end, stop);
    if (found != NULL && last != NULL && memchr(last + 1, '/', (size_t)(stop - last - 1))) {
        found = last; /* "u:p@ss/word@host/db" */
        end = found + 1 + strcspn(found + 1, "/?");
        last = NULL;
    }
    *at = found;
    if (path_at != NULL)
        *path_at = last;
    return end;
}

/* ---- redaction ---- */

static void
out_put(struct url_out *o, const char *s, size_t n)
{
    size_t room;

    if (o->len + 1 < o->size) {
        room = o->size - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

/* True when the n-byte (possibly percent-encoded) key at k names a secret. */
static int
url_secret_key(const char *k, size_t n)
{
    char key[64];
    size_t i;
    const char *colon = memchr(k, ':', n);

    while (colon != NULL) { /* "odbc:PWD": the scheme is no part of the key */
        n -= (size_t)(colon + 1 - k);
        k = colon + 1;
        colon = memchr(k, ':', n);
    }
    if (n >= sizeof(key))
        return 0;
    if (url_decode(k, n, key) != 0) {
        memcpy(key, k, n);
        key[n] = '\0';
    }
    for (i = 0; url_secret_keys[i] != NULL; i++)
        if (strcasecmp(key, url_secret_keys[i]) == 0)
            return 1;
    return 0;
}

/*
 * Writes text up to the password of its userinfo and "***" for it, when the userinfo
 * starting at start has a non-empty password. The userinfo ends as url_authority says, or,
 * when loose (text that is no URL anyway), at the last '@' before the first '?' after the
 * first '@'. Returns where copying must resume: the '@' ending the userinfo, or text when
 * nothing was written.
 */
static const char *
redact_userinfo(struct url_out *o, const char *text, const char *start, int loose)
{
    const char *at, *colon, *path_at = NULL;

    if (!loose)
        url_authority(start, &at, &path_at);
    else if ((at = strchr(start, '@')) != NULL)
        at = url_last_at(at, at + strcspn(at, "?"));
    if (at == NULL)
        return text;
    colon = memchr(start, ':', (size_t)(at - start));
    if (colon == NULL || colon + 1 == at)
        return text;
    if (path_at != NULL) { /* an ambiguous '@' in the path: hide it all, see url_authority */
        out_put(o, text, (size_t)(start - text));
        out_put(o, "***", 3);
        return path_at;
    }
    out_put(o, text, (size_t)(colon + 1 - text));
    out_put(o, "***", 3);
    return at;
}

/*
 * Length of the key=value pair at s, ending at a character of seps. With quotes, a value
 * opening with '\'' runs to its closing quote (libpq conninfo style, backslash escapes).
 */
static size_t
pair_len(const char *s, const char *seps, int quotes)
{
    size_t n = strcspn(s, seps);
    const char *eq = memchr(s, '=', n);
    const char *p;

    if (!quotes || eq == NULL || eq[1] != '\'')
        return n;
    p = eq + 2;
    while (*p != '\0' && *p != '\'')
        p += (p[0] == '\\' && p[1] != '\0') ? 2 : 1;
    if (*p == '\'')
        p++;
    return (size_t)(p - s) + strcspn(p, seps);
}

/* Copies the pairs of s separated by seps, with non-empty secret values as "***". */
static void
redact_pairs(struct url_out *o, const char *s, const char *seps, int quotes)
{
    size_t n, k;
    const char *eq;

    while (*s != '\0') {
        n = pair_len(s, seps, quotes);
        eq = memchr(s, '=', n);
        if (eq != NULL && eq + 1 < s + n && url_secret_key(s, (size_t)(eq - s))) {
            out_put(o, s, (size_t)(eq + 1 - s));
            out_put(o, "***", 3);
        } else {
            out_put(o, s, n);
        }
        s += n;
        k = strspn(s, seps);
        out_put(o, s, k);
        s += k;
    }
}

/* True when the n-byte key of a connection string (blanks around it allowed) names a secret:
 * any key holding pwd, pass, secret or token. */
static int
conn_secret_key(const char *k, size_t n)
{
    static const char *const parts[] = {"pwd", "pass", "secret", "token", NULL};
    char key[64];
    size_t i;

    while (n > 0 && (*k == ' ' || *k == '\t'))
        k++, n--;
    while (n > 0 && (k[n - 1] == ' ' || k[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof(key))
        return n > 0;
    for (i = 0; i < n; i++)
        key[i] = url_lower(k[i]);
    key[n] = '\0';
    for (i = 0; parts[i] != NULL; i++)
        if (strstr(key, parts[i]) != NULL)
            return 1;
    return 0;
}

/* Length of the value at v of a connection string: up to ';', or a {braced} value with
 * '}}' standing for '}', as SQLDriverConnect reads it. */
static size_t
conn_value_len(const char *v)
{
    const char *p = v + strspn(v, " \t");

    if (*p != '{')
        return strcspn(v, ";");
    for (p++; *p != '\0'; p++) {
        if (*p == '}' && p[1] == '}')
            p++;
        else if (*p == '}')
            return (size_t)(p + 1 - v) + strcspn(p + 1, ";");
    }
    return strlen(v);
}

/* Copies the key=value;... pairs of an ODBC-style connection string, secrets as "***". */
static void
redact_conn_string(struct url_out *o, const char *s)
{
    while (*s != '\0') {
        size_t klen = strcspn(s, "=;");
        if (s[klen] != '=') { /* no value: copy up to and with the ';' */
            out_put(o, s, klen + (s[klen] == ';'));
            s += klen + (s[klen] == ';');
            continue;
        }
        size_t vlen = conn_value_len(s + klen + 1);
        out_put(o, s, klen + 1);
        if (vlen > 0 && conn_secret_key(s, klen))
            out_put(o, "***", 3);
        else
            out_put(o, s + klen + 1, vlen);
        s += klen + 1 + vlen;
        if (*s == ';') {
            out_put(o, ";", 1);
            s++;
        }
    }
}

/* True when rest is a connection string (Driver=...;Pwd=...): a ';' and a '=' before any '@'
 * or '/'. */
static int
is_conn_string(const char *rest)
{
    const char *eq = strchr(rest, '=');

    return strchr(rest, ';') != NULL && eq != NULL && (size_t)(eq - rest) < strcspn(rest, "@/");
}

/* Copies rest, redacting the query parameters after its first '?'. */
static void
redact_query(struct url_out *o, const char *rest)
{
    const char *q = strchr(rest, '?');

    if (q == NULL) {
        out_put(o, rest, strlen(rest));
        return;
    }
    out_put(o, rest, (size_t)(q + 1 - rest));
    redact_pairs(o, q + 1, "&", 0);
}

/*
 * A well-formed URL gets its userinfo password and secret query values hidden. A connection
 * string after the scheme (odbc:Driver=...;Pwd={...}) gets the value of every key holding
 * pwd, pass, secret or token hidden whole, braces and blanks included. Any other text may be
 * a mistyped URL or a libpq conninfo string: a userinfo is looked for loosely
 * from its start (past any leading '/'), and key=value pairs separated by whitespace, '&'
 * or '?' are hidden wherever they are.
 */
size_t
strata_url_redact(const char *text, char *out, size_t size)
{
    struct url_out o = {out, size, 0};
    const char *s = text != NULL ? text : "";
    size_t scheme_len = url_scheme_len(s);
    enum url_shape shape = url_shape_of(s, scheme_len);
    const char *rest = s;

    if (shape == URL_OTHER && scheme_len > 0 && is_conn_string(s + scheme_len + 1)) {
        out_put(&o, s, scheme_len + 1);
        redact_conn_string(&o, s + scheme_len + 1);
        if (size > 0)
            out[o.len < size ? o.len : size - 1] = '\0';
        return o.len;
    }
    if (shape == URL_NET)
        rest = redact_userinfo(&o, s, s + scheme_len + 3, 0);
    else if (shape == URL_OTHER)
        rest = redact_userinfo(&o, s, s + strspn(s, "/"), 1);
    if (shape == URL_OTHER)
        redact_pairs(&o, rest, "&?; \t\r\n", 1);
    else
        redact_query(&o, rest);
    if (size > 0)
        out[o.len < size ? o.len : size - 1] = '\0';
    return o.len;
}

/* ---- schemes ---- */

const char *
strata_url_scheme(const char *text, char *buf, size_t size)
{
    size_t n = text != NULL ? url_scheme_len(text) : 0, i;

    if (n == 0 || n >= size)
        return NULL;
    for (i = 0; i < n; i++)
        buf[i] = url_lower(text[i]);
    buf[n] = '\0';
    return buf;
}

/* ---- parsing ---- */

/*
 * Allocates the box for text: room for up to one parameter per '&' plus one, and an arena
 * big enough for every component (each a disjoint piece of text, never longer decoded, plus
 * its NUL) and the redacted text. Returns NULL when memory runs out.
 */
static struct url_box *
box_new(const char *text)
{
    size_t len = strlen(text);
    size_t maxparams = 1;
    size_t rlen = strata_url_redact(text, NULL, 0);
    size_t arena, i;
    struct url_box *box;

    for (i = 0; i < len; i++)
        if (text[i] == '&')
            maxparams++;
    arena = 2 * (len + 1) + 8 + 2 * maxparams + rlen + 1; /* the raw text too */
    box = calloc(1, sizeof(*box) + maxparams * sizeof(url_param) + arena);
    if (box == NULL)
        return NULL;
    box->next = (char *)(box->params + maxparams);
    box->limit = box->next + arena;
    strata_url_redact(text, box->next, rlen + 1);
    box->pub.redacted = box->next;
    box->next += rlen + 1;
    memcpy(box->next, text, len + 1);
    box->pub.raw = box->next;
    box->next += len + 1;
    box->pub.params = box->params;
    return box;
}

/* Takes n + 1 bytes of the arena; box_new sized it so this cannot run out. */
static char *
box_take(struct url_box *box, size_t n)
{
    char *p = box->next;

    if (n + 1 > (size_t)(box->limit - box->next))
        abort();
    box->next += n + 1;
    return p;
}

/*
 * Decodes the n bytes at s into the arena and points *out at the result ("" when n is 0).
 * On a bad escape fills err, naming what the bytes are but never quoting them.
 */
static int
box_decode(struct url_box *box, const char *s, size_t n, const char *what, const char **out,
           strata_error *err)
{
    char *dst = box_take(box, n);

    if (url_decode(s, n, dst) != 0)
        return url_fail(err, STRATA_USAGE,
                        "database URL '%s' has an invalid percent-escape in %s; write '%%' "
                        "followed by two hex digits other than 00, e.g. %%40 for '@'",
                        box->pub.redacted, what);
    *out = dst;
    return STRATA_OK;
}

/* As box_decode, but an empty result becomes NULL (the component is absent). */
static int
box_decode_opt(struct url_box *box, const char *s, size_t n, const char *what, const char **out,
               strata_error *err)
{
    int rc = box_decode(box, s, n, what, out, err);

    if (rc == STRATA_OK && **out == '\0')
        *out = NULL;
    return rc;
}

/* Adds the n-byte key[=value] pair at s; a pair without '=' gets the value "". */
static int
url_add_param(struct url_box *box, const char *s, size_t n, strata_error *err)
{
    const char *eq = memchr(s, '=', n);
    size_t klen = eq != NULL ? (size_t)(eq - s) : n;
    url_param *param = &box->params[box->pub.nparams];
    int rc;

    if (klen == 0)
        return url_fail(err, STRATA_USAGE,
                        "database URL '%s' has a query parameter without a name; expected "
                        "?key=value&key2=value2",
                        box->pub.redacted);
    rc = box_decode(box, s, klen, "a query parameter name", &param->key, err);
    if (rc != STRATA_OK)
        return rc;
    if (eq == NULL)
        rc = box_decode(box, s, 0, "", &param->value, err);
    else
        rc = box_decode(box, eq + 1, n - klen - 1, "a query parameter value", &param->value, err);
    if (rc == STRATA_OK)
        box->pub.nparams++;
    return rc;
}

/* Parses the query q (past its '?'): pairs separated by '&', empty pairs skipped. */
static int
url_parse_query(struct url_box *box, const char *q, strata_error *err)
{
    size_t n;
    int rc;

    while (*q != '\0') {
        n = strcspn(q, "&");
        if (n > 0) {
            rc = url_add_param(box, q, n, err);
            if (rc != STRATA_OK)
                return rc;
        }
        q += n;
        if (*q == '&')
            q++;
    }
    return STRATA_OK;
}

/* Parses rest (past "scheme:") of a file URL: [//]path[?query]. */
static int
url_parse_file(struct url_box *box, const char *rest, strata_error *err)
{
    const char *q;
    int rc;

    if (strncmp(rest, "//", 2) == 0)
        rest += 2;
    q = rest + strcspn(rest, "?");
    rc = box_decode_opt(box, rest, (size_t)(q - rest), "the file path", &box->pub.database, err);
    if (rc != STRATA_OK)
        return rc;
    if (box->pub.database == NULL)
        return url_fail(err, STRATA_USAGE,
                        "database URL '%s' has an empty file path; expected e.g. "
                        "%s:app.db, %s:///abs/path.db or %s::memory:",
                        box->pub.redacted, box->pub.scheme, box->pub.scheme, box->pub.scheme);
    return *q == '?' ? url_parse_query(box, q + 1, err) : STRATA_OK;
}

/* Parses the userinfo [p, at): user[:password], each decoded, empty ones NULL. */
static int
url_parse_userinfo(struct url_box *box, const char *p, const char *at, strata_error *err)
{
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *user_end = colon != NULL ? colon : at;
    int rc;

    rc = box_decode_opt(box, p, (size_t)(user_end - p), "the user name", &box->pub.user, err);
    if (rc != STRATA_OK || colon == NULL)
        return rc;
    return box_decode_opt(box, colon + 1, (size_t)(at - colon - 1), "the password",
                          &box->pub.password, err);
}

/*
 * A bad port. Neither the port text nor the authority is shown: in "user:secret/db" (no
 * "@host") the password is what reads as the port, and redaction cannot tell.
 */
static int
url_port_fail(struct url_box *box, strata_error *err)
{
    const char *r = box->pub.redacted;
    const char *slashes = strstr(r, "://");
    const char *path = slashes ? strchr(slashes + 3, '/') : NULL;
    int scheme = slashes ? (int)(slashes - r) : 0;
    return url_fail(err, STRATA_USAGE,
                    "database URL '%.*s://***%s' has a port that is not a number from 1 to "
                    "65535; expected e.g. %.*s://user:password@host:5432/db (a password "
                    "needs '@host' after it; an IPv6 address goes in brackets: "
                    "%.*s://[::1]:5432/db)",
                    scheme, r, path ? path : "", scheme, r, scheme, r);
}

/* Parses the n-byte port at p: digits only, 1 to 65535. */
static int
url_parse_port(struct url_box *box, const char *p, size_t n, strata_error *err)
{
    long port = 0;
    size_t i;

    for (i = 0; i < n && url_is_digit(p[i]) && port <= 65535; i++)
        port = port * 10 + (p[i] - '0');
    if (n == 0 || i < n || port < 1 || port > 65535)
        return url_port_fail(box, err);
    box->pub.port = (int)port;
    return STRATA_OK;
}

/* Parses [p, end): host, [ipv6] or nothing, then an optional :port. */
static int
url_parse_hostport(struct url_box *box, const char *p, const char *end, strata_error *err)
{
    const char *host = p, *host_end, *after;
    int rc;

    if (memchr(p, ',', (size_t)(end - p)) != NULL) /* several hosts: the driver splits them */
        return box_decode_opt(box, p, (size_t)(end - p), "the hosts", &box->pub.host, err);
    if (p < end && *p == '[') {
        host = p + 1;
        host_end = memchr(host, ']', (size_t)(end - host));
        if (host_end == NULL || (host_end + 1 < end && host_end[1] != ':'))
            return url_fail(err, STRATA_USAGE,
                            "database URL '%s' has a malformed IPv6 address; expected "
                            "[address] optionally followed by :port, e.g. "
                            "%s://[::1]:5432/db",
                            box->pub.redacted, box->pub.scheme);
        after = host_end + 1;
    } else {
        host_end = memchr(p, ':', (size_t)(end - p));
        if (host_end == NULL)
            host_end = end;
        after = host_end;
    }
    rc = box_decode_opt(box, host, (size_t)(host_end - host), "the host", &box->pub.host, err);
    if (rc != STRATA_OK || after == end)
        return rc;
    return url_parse_port(box, after + 1, (size_t)(end - after - 1), err);
}

/* Parses rest (past "scheme:") of a network URL; see url_authority for the userinfo. */
static int
url_parse_net(struct url_box *box, const char *rest, strata_error *err)
{
    const char *p = rest + 2;
    const char *at, *end, *q;
    int rc = STRATA_OK;

    const char *path_at;
    end = url_authority(p, &at, &path_at);
    if (at != NULL && path_at != NULL && memchr(p, ':', (size_t)(at - p)) != NULL)
        return url_fail(err, STRATA_USAGE,
                        "database URL '%s' has an '@' after the host, so strata cannot tell "
                        "where the password ends; percent-encode '@' as %%40, '/' as %%2F and "
                        "'?' as %%3F in the password (and in the database name)",
                        box->pub.redacted);
    if (at != NULL) {
        rc = url_parse_userinfo(box, p, at, err);
        p = at + 1;
    }
    if (rc == STRATA_OK)
        rc = url_parse_hostport(box, p, end, err);
    if (rc != STRATA_OK)
        return rc;
    q = end + strcspn(end, "?");
    if (*end == '/') {
        rc = box_decode_opt(box, end + 1, (size_t)(q - end - 1), "the database name",
                            &box->pub.database, err);
        if (rc != STRATA_OK)
            return rc;
    }
    return *q == '?' ? url_parse_query(box, q + 1, err) : STRATA_OK;
}

/* Parses the whole of text, a URL of the driver's shape, into box (whose redacted and raw
 * texts are already set). */
static int
url_parse_into(struct url_box *box, const char *text, int shape, strata_error *err)
{
    size_t n = url_scheme_len(text);
    char *scheme;
    size_t i;

    if (n == 0)
        return url_fail(err, STRATA_USAGE,
                        "database URL '%s' has no scheme; expected SCHEME:PATH for a file "
                        "database or SCHEME://user@host/db for a server (`strata drivers` lists "
                        "the schemes)",
                        box->pub.redacted);
    scheme = box_take(box, n);
    for (i = 0; i < n; i++)
        scheme[i] = url_lower(text[i]);
    scheme[n] = '\0';
    box->pub.scheme = scheme;
    if (shape == STRATA_URL_FILE)
        return url_parse_file(box, text + n + 1, err);
    if (shape == STRATA_URL_OPAQUE) {
        box->pub.opaque = box->pub.raw + n + 1;
        return STRATA_OK;
    }
    if (url_shape_of(text, n) == URL_NET)
        return url_parse_net(box, text + n + 1, err);
    return url_fail(err, STRATA_USAGE,
                    "database URL '%s' has no '//' after '%s:'; expected e.g. "
                    "%s://user@host:port/database",
                    box->pub.redacted, scheme, scheme);
}

int
strata_url_parse(const char *text, int shape, strata_url **out, strata_error *err)
{
    struct url_box *box;
    int rc;

    *out = NULL;
    if (text == NULL)
        return url_fail(err, STRATA_USAGE,
                        "no database URL given; expected SCHEME:PATH for a file database or "
                        "SCHEME://user@host/db for a server (`strata drivers` lists the "
                        "schemes)");
    box = box_new(text);
    if (box == NULL)
        return url_fail(err, STRATA_ERROR, "out of memory parsing a database URL");
    rc = url_parse_into(box, text, shape, err);
    if (rc != STRATA_OK) {
        free(box);
        return rc;
    }
    *out = &box->pub;
    return STRATA_OK;
}

/* url is the first member of its url_box, so freeing it frees the whole box. */
void
strata_url_free(strata_url *url)
{
    struct url_box *box = (struct url_box *)(void *)url;

    if (box == NULL)
        return;
    strata_wipe_free(box->password);
    free(box);
}

int
strata_url_set_password(strata_url *url, const char *password)
{
    struct url_box *box = (struct url_box *)(void *)url;
    char *copy = strdup(password);

    if (copy == NULL)
        return STRATA_ERROR_NOMEM;
    strata_wipe_free(box->password);
    box->password = copy;
    box->pub.password = copy;
    return STRATA_OK;
}

const char *
strata_url_param_value(const strata_url *url, const char *key)
{
    size_t i;

    if (url == NULL || key == NULL)
        return NULL;
    for (i = 0; i < url->nparams; i++)
        if (strcmp(url->params[i].key, key) == 0)
            return url->params[i].value;
    return NULL;
}

/* Appends s percent-encoded but for unreserved bytes and '/'. */
static void
append_encoded(strata_buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/", c) != NULL)
            strata_buf_append(b, (const char *)&c, 1);
        else
            strata_buf_printf(b, "%%%02X", c);
    }
}

char *
strata_url_with_database(const char *text, int shape, const char *database)
{
    const char *colon = strchr(text, ':');
    if (colon == NULL || shape == STRATA_URL_OPAQUE)
        return NULL;
    strata_buf b = {0};
    const char *query = strchr(colon, '?');
    if (shape == STRATA_URL_FILE) {
        strata_buf_append(&b, text, (size_t)(colon + 1 - text));
    } else {
        const char *auth = strncmp(colon, "://", 3) == 0 ? colon + 3 : colon + 1;
        const char *end = auth + strcspn(auth, "/?");
        strata_buf_append(&b, text, (size_t)(end - text));
        strata_buf_puts(&b, "/");
    }
    append_encoded(&b, database);
    if (query != NULL)
        strata_buf_puts(&b, query);
    return strata_buf_take(&b);
}
