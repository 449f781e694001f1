/*
 * strata — the MySQL and MariaDB driver, on MariaDB Connector/C (or Oracle's libmysqlclient).
 *
 * URL: mysql://user:password@host:port/database (or mariadb://...), the database replaced by
 * strata_connect_options.schema when set (--schema: MySQL's schemas are databases), with
 * optional query parameters ('-' and '_' are interchangeable in their names, case does not
 * matter):
 *   charset=NAME            connection character set (default utf8mb4);
 *   connect_timeout=S       seconds to wait for the server (default: the core's connect
 *                           timeout, else the client library's);
 *   ssl-mode=MODE           DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY; also
 *                           spelled sslmode, or tls=false|preferred|skip-verify|true (default:
 *                           the client library's);
 *   ssl-ca, ssl-capath, ssl-cert, ssl-key, ssl-cipher   TLS files and ciphers;
 *   socket=PATH             unix socket, used when the URL names no host or localhost;
 *   protocol=tcp|socket     how to reach the server: tcp also for localhost (the client
 *                           library otherwise takes localhost to mean its unix socket,
 *                           whatever the port), e.g. for a certificate issued to localhost;
 *   sql_mode=MODES          SET SESSION sql_mode to MODES right after connecting.
 *
 * DDL commits implicitly in MySQL, so the driver does not claim TRANSACTIONAL_DDL: the core
 * runs every migration under its dirty protocol, one statement per exec(). The migration
 * lock is a named server lock (GET_LOCK), held by the session across transactions and
 * released by the server if the connection dies; see md_lock().
 *
 * The session is left as the server configures it (sql_mode included, unless the URL sets
 * it). quote_literal() is mysql_real_escape_string(), which follows the server's own word on
 * NO_BACKSLASH_ESCAPES at each statement; describe() reads sql_mode once, for the lexer.
 *
 * backup() runs mariadb-dump or mysqldump: see the comment above md_backup(). snapshot() reads
 * information_schema (md_snapshot()); scratch_create() and scratch_drop() make and drop
 * strata_scratch_<pid>_<n> databases beside the URL's (md_scratch_create()).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include <strata/driver.h>

#ifdef PACKAGE_VERSION
#define MD_VERSION PACKAGE_VERSION
#else
#define MD_VERSION "0.1.0"
#endif

/* The client library's version, as compiled against. */
#if defined(MARIADB_PACKAGE_VERSION)
#define MD_CLIENT_VERSION MARIADB_PACKAGE_VERSION
#elif defined(LIBMYSQL_VERSION)
#define MD_CLIENT_VERSION LIBMYSQL_VERSION
#elif defined(MYSQL_SERVER_VERSION)
#define MD_CLIENT_VERSION MYSQL_SERVER_VERSION
#else
#define MD_CLIENT_VERSION NULL
#endif

#define MD_DEFAULT_CHARSET "utf8mb4"
#define MD_LOCK_PREFIX "strata:"
#define MD_LOCK_NAME_MAX 64 /* the server's limit on GET_LOCK() names */
#define MD_LOCK_POLL_MS 50
#define MD_SQL_MAX 512 /* the lock statements; names are at most MD_LOCK_NAME_MAX */
#define MD_KNOWN_PARAMS                                                                            \
    "charset, connect_timeout, ssl-mode (or sslmode, tls), ssl-ca, ssl-capath, ssl-cert, "         \
    "ssl-key, ssl-cipher, socket, protocol, sql_mode"

/* The URL's query parameters, by what they set. */
enum md_param_id {
    MD_CHARSET,
    MD_CONNECT_TIMEOUT,
    MD_SSL_MODE,
    MD_SSL_CA,
    MD_SSL_CAPATH,
    MD_SSL_CERT,
    MD_SSL_KEY,
    MD_SSL_CIPHER,
    MD_SOCKET,
    MD_PROTOCOL,
    MD_SQL_MODE,
    MD_NPARAMS
};

static const struct {
    const char *name; /* compared by md_name_eq() */
    enum md_param_id id;
} md_param_names[] = {
    {"charset", MD_CHARSET},       {"connect_timeout", MD_CONNECT_TIMEOUT},
    {"ssl_mode", MD_SSL_MODE},     {"sslmode", MD_SSL_MODE},
    {"tls", MD_SSL_MODE},          {"ssl_ca", MD_SSL_CA},
    {"ssl_capath", MD_SSL_CAPATH}, {"ssl_cert", MD_SSL_CERT},
    {"ssl_key", MD_SSL_KEY},       {"ssl_cipher", MD_SSL_CIPHER},
    {"socket", MD_SOCKET},         {"sql_mode", MD_SQL_MODE},
    {"protocol", MD_PROTOCOL},
};

/* TLS levels, weakest first; MD_TLS_DEFAULT leaves the client library's default. */
enum md_tls {
    MD_TLS_DEFAULT,
    MD_TLS_DISABLED,
    MD_TLS_PREFERRED,
    MD_TLS_REQUIRED,
    MD_TLS_VERIFY_CA,
    MD_TLS_VERIFY_IDENTITY
};

static const struct {
    const char *name; /* compared by md_name_eq() */
    enum md_tls tls;
} md_tls_names[] = {
    {"disabled", MD_TLS_DISABLED},
    {"preferred", MD_TLS_PREFERRED},
    {"required", MD_TLS_REQUIRED},
    {"verify_ca", MD_TLS_VERIFY_CA},
    {"verify_identity", MD_TLS_VERIFY_IDENTITY},
    /* the tls= values of Go's MySQL driver */
    {"false", MD_TLS_DISABLED},
    {"skip_verify", MD_TLS_REQUIRED},
    {"true", MD_TLS_VERIFY_IDENTITY},
};

/* Connection options taken from the URL; strings point into the URL. */
typedef struct md_params {
    const char *value[MD_NPARAMS]; /* as written, by md_param_id; NULL when absent */
    unsigned timeout_s;            /* 0: not given */
    enum md_tls tls;
    unsigned protocol; /* MYSQL_PROTOCOL_TCP or _SOCKET; MYSQL_PROTOCOL_DEFAULT: not given */
} md_params;

struct strata_conn {
    MYSQL *mysql;                         /* owned; mysql_close() */
    char *home;                           /* the database selected at connect, NULL: none; owned */
    char *lock_for;                       /* caller's name of the lock held, NULL if none; owned */
    char lock_name[MD_LOCK_NAME_MAX + 1]; /* its name on the server, valid with lock_for */
    char *saved_zone;                     /* time_zone before utc_timestamps(on); owned */
};

/* The core's services, set by strata_driver_entry(). */
static const strata_host *md_host;

/* ---- errors ---- */

static int md_error(strata_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears *err (when not NULL) and fills status and a printf-style message; returns status. */
static int
md_error(strata_error *err, int status, const char *fmt, ...)
{
    char msg[sizeof(err->message)];
    va_list ap;

    if (err == NULL)
        return status;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    md_host->set_error(err, status, "%s", msg); /* writes no further than err->size */
    return status;
}

/* The last occurrence of needle in s, or NULL. */
static const char *
md_strrstr(const char *s, const char *needle)
{
    const char *found = NULL, *p;

    for (p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
        found = p;
    return found;
}

/*
 * Where the near-text of a syntax error starts on the line [line, line_end) of the text
 * ending at end, or NULL. The server quotes the rest of the statement from the error on,
 * cut to 80 characters with "..." appended when longer; an uncut quote is the statement's
 * tail (less the trailing white space and ';' the server drops), which settles repeats.
 */
static const char *
md_find_near(const char *line, const char *line_end, const char *end, const char *near, size_t nlen)
{
    const char *p;
    int cut = nlen >= 3 && memcmp(near + nlen - 3, "...", 3) == 0;

    if (cut)
        nlen -= 3;
    if (nlen == 0)
        return NULL;
    while (end > line && (isspace((unsigned char)end[-1]) || end[-1] == ';'))
        end--;
    if (!cut && (size_t)(end - line) >= nlen) {
        p = end - nlen;
        if (p < line_end && memcmp(p, near, nlen) == 0)
            return p;
    }
    for (p = line; p < line_end && (size_t)(end - p) >= nlen; p++) {
        if (memcmp(p, near, nlen) == 0)
            return p;
    }
    return NULL;
}

/*
 * The 1-based byte offset in sql[0..len) that a MySQL message "... near 'TEXT' at line N"
 * points at: the near-text when found on line N, else the start of line N; 0 when the
 * message names no line. The server counts lines after dropping leading white space.
 */
static long
md_error_position(const char *msg, const char *sql, size_t len)
{
    const char *at = md_strrstr(msg, " at line "), *near = strstr(msg, " near '");
    const char *end = sql + len, *line = sql, *line_end, *found;
    char *tail;
    long n;

    if (at == NULL || !isdigit((unsigned char)at[9]))
        return 0;
    n = strtol(at + 9, &tail, 10);
    if (*tail != '\0' || n < 1)
        return 0;
    while (line < end && isspace((unsigned char)*line))
        line++;
    for (; n > 1; n--) {
        line = memchr(line, '\n', (size_t)(end - line));
        if (line == NULL)
            return 0;
        line++;
    }
    line_end = memchr(line, '\n', (size_t)(end - line));
    if (line_end == NULL)
        line_end = end;
    if (near != NULL && near + 7 < at && at[-1] == '\'') {
        found = md_find_near(line, line_end, end, near + 7, (size_t)(at - 1 - (near + 7)));
        if (found != NULL)
            line = found;
    }
    return (long)(line - sql) + 1;
}

/*
 * Whether the server refused a statement with this error before it changed anything: it
 * did not parse, or names a table, column, database, key or right that is not there (or
 * already is). A DDL statement that fails later may have done part of its work (MariaDB's
 * DROP TABLE a, b drops a when b is missing), so other codes say nothing.
 */
static int
md_refused_before_running(unsigned code)
{
    static const unsigned codes[] = {
        ER_PARSE_ERROR,
        ER_SYNTAX_ERROR,
        ER_NO_SUCH_TABLE,
        ER_BAD_FIELD_ERROR,
        ER_BAD_DB_ERROR,
        ER_TABLE_EXISTS_ERROR,
        ER_DUP_FIELDNAME,
        ER_DUP_KEYNAME,
        ER_CANT_DROP_FIELD_OR_KEY,
        ER_TABLEACCESS_DENIED_ERROR,
        ER_DBACCESS_DENIED_ERROR,
        ER_EMPTY_QUERY,
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (code == codes[i])
            return 1;
    return 0;
}

/*
 * Fills *err from the connection's last error: code, SQLSTATE, message, and the position
 * inside sql[0..len) when the message gives a line (sql may be NULL). Returns
 * STRATA_NOT_FOUND for a missing table (1146) or database (1049), else STRATA_ERROR.
 */
static int
md_db_error(strata_conn *c, strata_error *err, const char *sql, size_t len)
{
    unsigned code = mysql_errno(c->mysql);
    const char *msg = mysql_error(c->mysql);
    char *p;

    if (msg == NULL || msg[0] == '\0')
        msg = "unknown error from the MySQL client library";
    if (code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST || code == CR_SERVER_LOST_EXTENDED) {
        md_error(err, STRATA_ERROR, "lost the connection to the server (%s)", msg);
        if (err != NULL)
            snprintf(err->hint, sizeof(err->hint),
                     "the server closed the connection (restarted, killed it or timed it "
                     "out); the last statement may or may not have taken effect");
    } else {
        md_error(err, STRATA_ERROR, "%s", msg);
    }
    if (err == NULL)
        return STRATA_ERROR;
    for (p = err->message; (p = strpbrk(p, "\r\n")) != NULL; p++)
        *p = ' '; /* the near-text of a syntax error spans lines; messages are one line */
    err->native_code = (long)code;
    snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", mysql_sqlstate(c->mysql));
    if (sql != NULL)
        err->position = md_error_position(msg, sql, len);
    if (code == ER_NO_SUCH_TABLE || code == ER_BAD_DB_ERROR)
        err->status = STRATA_NOT_FOUND;
    if (STRATA_ERROR_HAS(err, unchanged))
        err->unchanged = md_refused_before_running(code);
    return err->status;
}

/* Rewrites err's message as "what: message" (for connect()). */
static int
md_prefix(strata_error *err, const char *what, int rc)
{
    char msg[sizeof(err->message)];

    if (err == NULL || rc == STRATA_OK)
        return rc;
    memcpy(msg, err->message, sizeof(msg));
    snprintf(err->message, sizeof(err->message), "%s: %.900s", what, msg);
    return rc;
}

/* ---- dialect ---- */

/* Appends ch (snprintf convention): counts it always, stores it while room is left. */
static void
md_put(char *out, size_t size, size_t *n, char ch)
{
    if (*n + 1 < size)
        out[*n] = ch;
    (*n)++;
}

/*
 * Writes in between q quotes, doubling every q inside and, when backslash is set, every
 * backslash (snprintf convention).
 */
static size_t
md_quote(const char *in, char q, int backslash, char *out, size_t size)
{
    size_t n = 0;

    md_put(out, size, &n, q);
    for (; in != NULL && *in != '\0'; in++) {
        if (*in == q || (backslash && *in == '\\'))
            md_put(out, size, &n, *in);
        md_put(out, size, &n, *in);
    }
    md_put(out, size, &n, q);
    if (size > 0)
        out[n < size ? n : size - 1] = '\0';
    return n;
}

/* The length of the well-formed UTF-8 sequence at p (no overlong forms, no surrogates,
 * nothing past U+10FFFF), or 0 when there is none. */
static size_t
md_utf8_length(const unsigned char *p)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n, i;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        n = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        n = 3;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        n = 4;
    else
        return 0;
    if (p[0] == 0xE0)
        lo = 0xA0;
    else if (p[0] == 0xED)
        hi = 0x9F;
    else if (p[0] == 0xF0)
        lo = 0x90;
    else if (p[0] == 0xF4)
        hi = 0x8F;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* True when s is valid UTF-8 (as utf8mb4 stores it), or the connection's character set is
 * no UTF-8 one (then the server judges). */
static int
md_text_ok(strata_conn *c, const char *s)
{
    const char *cs = mysql_character_set_name(c->mysql);
    const unsigned char *p = (const unsigned char *)s;

    if (cs == NULL || strncasecmp(cs, "utf8", 4) != 0)
        return 1;
    while (*p != '\0') {
        size_t n = md_utf8_length(p);
        if (n == 0)
            return 0;
        p += n;
    }
    return 1;
}

/* Backticks, doubled inside; (size_t)-1 for text that is no text in the connection's
 * character set. */
static size_t
md_quote_ident(strata_conn *c, const char *in, char *out, size_t size)
{
    if (!md_text_ok(c, in))
        return (size_t)-1;
    return md_quote(in, '`', 0, out, size);
}

/*
 * The client library's own escaping, which follows the session: backslashes are escaped,
 * unless the server says NO_BACKSLASH_ESCAPES is in effect, when only quotes are doubled.
 */
static size_t
md_quote_literal(strata_conn *c, const char *in, char *out, size_t size)
{
    size_t len = strlen(in);
    char *esc = malloc(2 * len + 3); /* the library's worst case, the quotes, the NUL */
    unsigned long n;
    size_t total;

    if (esc == NULL || !md_text_ok(c, in)) {
        free(esc);
        return (size_t)-1;
    }
    esc[0] = '\'';
    n = mysql_real_escape_string(c->mysql, esc + 1, in, (unsigned long)len);
    if (n == (unsigned long)-1) {
        free(esc);
        return (size_t)-1;
    }
    esc[n + 1] = '\'';
    esc[n + 2] = '\0';
    total = n + 2;
    if (size > 0) {
        size_t k = total < size ? total : size - 1;
        memcpy(out, esc, k);
        out[k] = '\0';
    }
    free(esc);
    return total;
}

/* ---- URL parameters ---- */

/* Compares names case-insensitively, with '-' and '_' alike. */
static int
md_name_eq(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        int ca = *a == '-' ? '_' : tolower((unsigned char)*a);
        int cb = *b == '-' ? '_' : tolower((unsigned char)*b);

        if (ca != cb)
            return 0;
    }
    return *a == *b;
}

static int
md_parse_timeout(const char *value, md_params *p, strata_error *err)
{
    char *end;
    long s;

    errno = 0;
    s = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || s < 0 || s > INT_MAX)
        return md_error(err, STRATA_USAGE,
                        "invalid connect_timeout \"%.40s\" in the URL (seconds, 0 to %d)", value,
                        INT_MAX);
    p->timeout_s = (unsigned)s;
    return STRATA_OK;
}

static int
md_parse_tls(const char *key, const char *value, md_params *p, strata_error *err)
{
    size_t i;

    for (i = 0; i < sizeof(md_tls_names) / sizeof(md_tls_names[0]); i++) {
        if (md_name_eq(value, md_tls_names[i].name)) {
            p->tls = md_tls_names[i].tls;
            return STRATA_OK;
        }
    }
    return md_error(err, STRATA_USAGE,
                    "invalid %s \"%.40s\" in the URL (use DISABLED, PREFERRED, REQUIRED, "
                    "VERIFY_CA or VERIFY_IDENTITY)",
                    key, value);
}

static int
md_parse_protocol(const char *value, md_params *p, strata_error *err)
{
    if (strcasecmp(value, "tcp") == 0)
        p->protocol = MYSQL_PROTOCOL_TCP;
    else if (strcasecmp(value, "socket") == 0)
        p->protocol = MYSQL_PROTOCOL_SOCKET;
    else
        return md_error(err, STRATA_USAGE,
                        "invalid protocol \"%.40s\" in the URL (use tcp or socket)", value);
    return STRATA_OK;
}

/* The id of a known parameter name, or MD_NPARAMS. */
static enum md_param_id
md_param_lookup(const char *key)
{
    size_t i;

    for (i = 0; i < sizeof(md_param_names) / sizeof(md_param_names[0]); i++) {
        if (md_name_eq(key, md_param_names[i].name))
            return md_param_names[i].id;
    }
    return MD_NPARAMS;
}

/*
 * Refuses a TLS file of the URL that cannot be read: Connector/C would only say "TLS/SSL
 * error: No such file or directory", naming neither the file nor the parameter.
 */
static int
md_check_tls_files(const md_params *p, strata_error *err)
{
    static const struct {
        enum md_param_id id;
        const char *name;
    } files[] = {{MD_SSL_CA, "ssl-ca"}, {MD_SSL_CERT, "ssl-cert"}, {MD_SSL_KEY, "ssl-key"}};
    size_t i;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        const char *path = p->value[files[i].id];

        if (path != NULL && access(path, R_OK) != 0)
            return md_error(err, STRATA_USAGE, "cannot read the %s file \"%.300s\" of the URL: %s",
                            files[i].name, path, strerror(errno));
    }
    return STRATA_OK;
}

/* Checks the combinations no single parameter can, and that the TLS files can be read. */
static int
md_check_params(const md_params *p, strata_error *err)
{
    int files = p->value[MD_SSL_CA] || p->value[MD_SSL_CAPATH] || p->value[MD_SSL_CERT] ||
                p->value[MD_SSL_KEY] || p->value[MD_SSL_CIPHER];

    if (p->tls == MD_TLS_DISABLED && files)
        return md_error(err, STRATA_USAGE,
                        "the URL disables TLS (ssl-mode=DISABLED) but gives TLS files or "
                        "ciphers (ssl-ca, ssl-capath, ssl-cert, ssl-key, ssl-cipher)");
    if (p->tls == MD_TLS_VERIFY_CA && !p->value[MD_SSL_CA] && !p->value[MD_SSL_CAPATH])
        return md_error(err, STRATA_USAGE,
                        "ssl-mode=VERIFY_CA needs the certificate authority: add ssl-ca=FILE "
                        "or ssl-capath=DIR to the URL");
    if (p->protocol == MYSQL_PROTOCOL_TCP && p->value[MD_SOCKET] != NULL)
        return md_error(err, STRATA_USAGE,
                        "the URL asks for protocol=tcp but gives a unix socket (socket=)");
    return md_check_tls_files(p, err);
}

static int
md_parse_params(const strata_url *url, md_params *p, strata_error *err)
{
    enum md_param_id id;
    size_t i;
    int rc = STRATA_OK;

    memset(p, 0, sizeof(*p));
    for (i = 0; i < url->nparams && rc == STRATA_OK; i++) {
        const char *key = url->params[i].key ? url->params[i].key : "";
        const char *value = url->params[i].value ? url->params[i].value : "";

        id = md_param_lookup(key);
        if (id == MD_NPARAMS)
            return md_error(err, STRATA_USAGE,
                            "unknown parameter \"%.100s\" in the URL (known: %s)", key,
                            MD_KNOWN_PARAMS);
        if (p->value[id] != NULL)
            return md_error(err, STRATA_USAGE, "parameter \"%.100s\" given twice in the URL", key);
        p->value[id] = value;
        if (id == MD_CONNECT_TIMEOUT)
            rc = md_parse_timeout(value, p, err);
        else if (id == MD_SSL_MODE)
            rc = md_parse_tls(key, value, p, err);
        else if (id == MD_PROTOCOL)
            rc = md_parse_protocol(value, p, err);
    }
    return rc == STRATA_OK ? md_check_params(p, err) : rc;
}

/* ---- connections ---- */

/* The TLS options of p (any that fails makes the result non-zero). */
static int
md_set_tls(MYSQL *m, const md_params *p)
{
    int rc = 0;

    if (p->value[MD_SSL_CA] != NULL)
        rc |= mysql_options(m, MYSQL_OPT_SSL_CA, p->value[MD_SSL_CA]);
    if (p->value[MD_SSL_CAPATH] != NULL)
        rc |= mysql_options(m, MYSQL_OPT_SSL_CAPATH, p->value[MD_SSL_CAPATH]);
    if (p->value[MD_SSL_CERT] != NULL)
        rc |= mysql_options(m, MYSQL_OPT_SSL_CERT, p->value[MD_SSL_CERT]);
    if (p->value[MD_SSL_KEY] != NULL)
        rc |= mysql_options(m, MYSQL_OPT_SSL_KEY, p->value[MD_SSL_KEY]);
    if (p->value[MD_SSL_CIPHER] != NULL)
        rc |= mysql_options(m, MYSQL_OPT_SSL_CIPHER, p->value[MD_SSL_CIPHER]);
    if (p->tls == MD_TLS_DEFAULT)
        return rc;
#ifdef MARIADB_PACKAGE_VERSION
    {
        /*
         * Connector/C: "enforce" asks for TLS but falls back to plain text when the server
         * has none (md_check_tls() refuses that from REQUIRED up); a CA makes OpenSSL check
         * the chain; VERIFY_SERVER_CERT adds the host name (and refuses plain text itself).
         */
        my_bool use = p->tls >= MD_TLS_PREFERRED, verify = p->tls == MD_TLS_VERIFY_IDENTITY;

        rc |= mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &use);
        rc |= mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    }
#else
    {
        /* Oracle's libmysqlclient has the same five modes (not built or tested here). */
        static const unsigned modes[] = {0,
                                         SSL_MODE_DISABLED,
                                         SSL_MODE_PREFERRED,
                                         SSL_MODE_REQUIRED,
                                         SSL_MODE_VERIFY_CA,
                                         SSL_MODE_VERIFY_IDENTITY};

        rc |= mysql_options(m, MYSQL_OPT_SSL_MODE, &modes[p->tls]);
    }
#endif
    return rc;
}

/* True when the core's opts (NULL, or opts->size bytes long) has member. */
#define MD_OPTS_HAS(opts, member)                                                                  \
    ((opts) != NULL &&                                                                             \
     (opts)->size >= offsetof(strata_connect_options, member) + sizeof((opts)->member))

/* Sets the options of p and opts on c->mysql before connecting. */
static int
md_set_options(strata_conn *c, const md_params *p, const strata_connect_options *opts,
               strata_error *err)
{
    const char *charset = p->value[MD_CHARSET] ? p->value[MD_CHARSET] : MD_DEFAULT_CHARSET;
    unsigned timeout_s = p->timeout_s;
    int rc = 0;

    if (p->value[MD_CONNECT_TIMEOUT] == NULL && MD_OPTS_HAS(opts, connect_timeout_ms) &&
        opts->connect_timeout_ms > 0)
        timeout_s = opts->connect_timeout_ms / 1000 >= INT_MAX
                        ? INT_MAX
                        : (unsigned)((opts->connect_timeout_ms + 999) / 1000);
    rc |= mysql_options(c->mysql, MYSQL_SET_CHARSET_NAME, charset);
    if (timeout_s > 0)
        rc |= mysql_options(c->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout_s);
    if (MD_OPTS_HAS(opts, application) && opts->application != NULL)
        rc |=
            mysql_options4(c->mysql, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", opts->application);
    rc |= md_set_tls(c->mysql, p);
    if (p->protocol != MYSQL_PROTOCOL_DEFAULT)
        rc |= mysql_options(c->mysql, MYSQL_OPT_PROTOCOL, &p->protocol);
    if (rc != 0)
        return md_prefix(err, "cannot set the connection options", md_db_error(c, err, NULL, 0));
    return STRATA_OK;
}

/*
 * Explains a TLS handshake refused over the server's certificate, which Connector/C reports
 * in OpenSSL's words ("self-signed certificate in certificate chain") or in words that do not
 * say what failed ("Validation of SSL server certificate failed": the host name check, which
 * comes after the chain's): which check refused it, and which URL parameter to change.
 * Returns rc.
 */
static int
md_tls_refused(strata_conn *c, const char *host, strata_error *err, int rc)
{
    size_t n;

    if (rc == STRATA_OK || err == NULL || mysql_errno(c->mysql) != CR_SSL_CONNECTION_ERROR)
        return rc;
    if (strstr(err->message, "Validation of SSL server certificate failed") != NULL) {
        n = strlen(err->message);
        snprintf(err->message + n, sizeof(err->message) - n,
                 ": the server's certificate is not issued for the host name \"%.200s\"",
                 host != NULL ? host : "localhost");
        snprintf(err->hint, sizeof(err->hint),
                 "ssl-mode=VERIFY_IDENTITY checks that the certificate names the host in the "
                 "URL: connect with a host name the certificate names (for localhost add "
                 "protocol=tcp, or the client library takes the unix socket), or use "
                 "ssl-mode=VERIFY_CA to check the certificate authority only");
    } else if (strstr(err->message, "self-signed") != NULL ||
               strstr(err->message, "issuer") != NULL ||
               strstr(err->message, "verify failed") != NULL) {
        snprintf(err->hint, sizeof(err->hint),
                 "the server's certificate is not signed by a certificate authority strata "
                 "trusts: name the CA certificate that signed it with ssl-ca=/path/to/ca.pem "
                 "(or ssl-capath=DIR) in the URL; without them only the system's certificate "
                 "authorities are trusted");
    }
    return rc;
}

/* Refuses a plain-text connection when the URL requires TLS. */
static int
md_check_tls(strata_conn *c, const md_params *p, strata_error *err)
{
    if (p->tls < MD_TLS_REQUIRED || mysql_get_ssl_cipher(c->mysql) != NULL)
        return STRATA_OK;
    return md_error(err, STRATA_ERROR,
                    "the server does not offer TLS, which ssl-mode=%s in the URL requires",
                    p->value[MD_SSL_MODE]);
}

/* Makes sure the connection speaks the requested character set (SET NAMES otherwise). */
static int
md_check_charset(strata_conn *c, const md_params *p, strata_error *err)
{
    const char *want = p->value[MD_CHARSET] ? p->value[MD_CHARSET] : MD_DEFAULT_CHARSET;
    const char *now = mysql_character_set_name(c->mysql);

    if (now != NULL && strcasecmp(now, want) == 0)
        return STRATA_OK;
    if (mysql_set_character_set(c->mysql, want) != 0)
        return md_prefix(err, "cannot set the character set", md_db_error(c, err, NULL, 0));
    return STRATA_OK;
}

/*
 * USE of the database selected at connect when a migration selected another one. The server
 * reports every change of the current database (session tracking), and the client library
 * keeps it in mysql->db, so this costs no round trip when nothing changed.
 */
static size_t
md_session_reset_sql(strata_conn *c, char *out, size_t size)
{
    const char *now = c->mysql->db;
    size_t n;

    if (c->home == NULL || (now != NULL && strcmp(now, c->home) == 0)) {
        if (size > 0)
            out[0] = '\0';
        return 0;
    }
    n = snprintf(out, size, "USE ");
    return n + md_quote_ident(c, c->home, n < size ? out + n : NULL, n < size ? size - n : 0);
}

/* Closes the connection (the server then drops its locks) and frees c; NULL is a no-op. */
static void
md_close(strata_conn *c)
{
    if (c == NULL)
        return;
    if (c->mysql != NULL)
        mysql_close(c->mysql);
    free(c->lock_for);
    free(c->home);
    free(c->saved_zone);
    free(c);
}

static int md_exec(strata_conn *c, const char *sql, size_t len, strata_error *err);

/* SET SESSION sql_mode from the URL's sql_mode parameter, before describe() reads it. */
static int
md_set_sql_mode(strata_conn *c, const char *mode, strata_error *err)
{
    char quoted[MD_SQL_MAX], sql[MD_SQL_MAX + 32];

    if (md_quote_literal(c, mode, quoted, sizeof(quoted)) >= sizeof(quoted))
        return md_error(err, STRATA_USAGE, "the sql_mode in the URL is too long");
    snprintf(sql, sizeof(sql), "SET SESSION sql_mode = %s", quoted);
    return md_prefix(err, "cannot set sql_mode from the URL", md_exec(c, sql, strlen(sql), err));
}

/*
 * Opens a connection; *out is the caller's until md_close(). Messages never show the
 * password: the core prefixes them with the redacted URL.
 */
static int
md_connect(const strata_url *url, const strata_connect_options *opts, strata_conn **out,
           strata_error *err)
{
    const char *host, *db;
    strata_conn *c = NULL;
    md_params p;
    int rc;

    *out = NULL;
    if (url == NULL)
        return md_error(err, STRATA_USAGE, "no URL to connect to");
    rc = md_parse_params(url, &p, err);
    if (rc != STRATA_OK)
        return rc;
    c = calloc(1, sizeof(*c));
    if (c == NULL || (c->mysql = mysql_init(NULL)) == NULL) {
        rc = md_error(err, STRATA_ERROR, "cannot connect: out of memory");
        goto fail;
    }
    rc = md_set_options(c, &p, opts, err);
    if (rc != STRATA_OK)
        goto fail;
    host = url->host != NULL && url->host[0] != '\0' ? url->host : NULL;
    db = url->database != NULL && url->database[0] != '\0' ? url->database : NULL;
    if (opts != NULL &&
        opts->size >= offsetof(strata_connect_options, schema) + sizeof(opts->schema) &&
        opts->schema != NULL && opts->schema[0] != '\0')
        db = opts->schema; /* a MySQL schema is a database: --schema names the database */
    if (mysql_real_connect(c->mysql, host, url->user, url->password, db,
                           url->port > 0 ? (unsigned)url->port : 0, p.value[MD_SOCKET],
                           CLIENT_MULTI_RESULTS | CLIENT_MULTI_STATEMENTS) == NULL) {
        rc = md_prefix(err, "cannot connect", md_db_error(c, err, NULL, 0));
        rc = md_tls_refused(c, host, err, rc);
        goto fail;
    }
    rc = md_check_tls(c, &p, err);
    if (rc == STRATA_OK)
        rc = md_check_charset(c, &p, err);
    if (rc == STRATA_OK && p.value[MD_SQL_MODE] != NULL)
        rc = md_set_sql_mode(c, p.value[MD_SQL_MODE], err);
    if (rc == STRATA_OK && c->mysql->db != NULL && (c->home = strdup(c->mysql->db)) == NULL)
        rc = md_error(err, STRATA_ERROR, "cannot connect: out of memory");
    if (rc != STRATA_OK)
        goto fail;
    *out = c;
    return STRATA_OK;

fail:
    md_close(c);
    return rc;
}

static size_t
md_server_version(strata_conn *c, char *out, size_t size)
{
    const char *info = mysql_get_server_info(c->mysql), *product = "MySQL";
    int n;

    if (info == NULL)
        info = "";
    if (strstr(info, "MariaDB") != NULL) {
        product = "MariaDB";
        if (strncmp(info, "5.5.5-", 6) == 0) /* the old replication-compatibility prefix */
            info += 6;
    }
    /* "10.11.19-MariaDB-0+deb12u1" -> "MariaDB 10.11.19" */
    n = snprintf(out, size, "%s %.*s", product, (int)strcspn(info, "-"), info);
    return n < 0 ? 0 : (size_t)n;
}

/* ---- statements ---- */

/*
 * Sends sql[0..len) and stores its first result in *res (NULL when it has none): read whole
 * (mysql_store_result), or with stream row by row as the caller fetches (mysql_use_result;
 * then nothing else may run on the connection until *res is freed). A text with no
 * statement (only comments) is not an error.
 */
static int
md_send(strata_conn *c, const char *sql, size_t len, int stream, MYSQL_RES **res, strata_error *err)
{
    *res = NULL;
    if (mysql_real_query(c->mysql, sql, (unsigned long)len) != 0)
        return mysql_errno(c->mysql) == ER_EMPTY_QUERY ? STRATA_OK : md_db_error(c, err, sql, len);
    *res = stream ? mysql_use_result(c->mysql) : mysql_store_result(c->mysql);
    if (*res == NULL && mysql_field_count(c->mysql) != 0)
        return md_db_error(c, err, sql, len);
    return STRATA_OK;
}

/*
 * Reads and frees the results after the first (a CALL sends one per SELECT inside the
 * routine, then its status), so the connection is ready for the next statement. An error
 * raised part-way through a routine arrives here.
 */
static int
md_next_results(strata_conn *c, const char *sql, size_t len, strata_error *err)
{
    MYSQL_RES *res;
    int more;

    while ((more = mysql_next_result(c->mysql)) == 0) {
        res = mysql_store_result(c->mysql);
        if (res != NULL)
            mysql_free_result(res);
        else if (mysql_field_count(c->mysql) != 0)
            return md_db_error(c, err, sql, len);
    }
    return more > 0 ? md_db_error(c, err, sql, len) : STRATA_OK;
}

/* Runs the statement(s) of sql, discarding any rows; stops at the first error. */
static int
md_exec(strata_conn *c, const char *sql, size_t len, strata_error *err)
{
    MYSQL_RES *res;
    int rc = md_send(c, sql, len, 0, &res, err);

    if (rc != STRATA_OK)
        return rc;
    if (res != NULL)
        mysql_free_result(res);
    return md_next_results(c, sql, len, err);
}

/*
 * Runs one statement, handing each row of its first result to fn (NULL for SQL NULL) as it
 * arrives (mysql_use_result): a result of thousands of rows (the history of a long-lived
 * database) is never held whole. Rows fn does not want are read and dropped by
 * mysql_free_result.
 */
static int
md_query(strata_conn *c, const char *sql, strata_row_fn fn, void *ctx, strata_error *err)
{
    size_t len = strlen(sql);
    MYSQL_RES *res;
    MYSQL_ROW row;
    int ncols, rc = md_send(c, sql, len, 1, &res, err);

    if (rc != STRATA_OK)
        return rc;
    if (res != NULL) {
        ncols = (int)mysql_num_fields(res);
        while ((row = mysql_fetch_row(res)) != NULL) {
            if (fn != NULL && fn(ctx, ncols, (const char *const *)row) != 0)
                break;
        }
        if (row == NULL && mysql_errno(c->mysql) != 0) /* the connection failed mid-result */
            rc = md_db_error(c, err, sql, len);
        mysql_free_result(res);
    }
    return rc != STRATA_OK ? rc : md_next_results(c, sql, len, err);
}

/* A row callback keeping the first column of the first row as a number, -1 for NULL. */
static int
md_first_long(void *ctx, int ncols, const char *const *values)
{
    *(long *)ctx = ncols > 0 && values[0] != NULL ? strtol(values[0], NULL, 10) : -1;
    return 1;
}

/*
 * Runs one statement; when value is not NULL, stores there the first column of its first
 * row as a number (-1 for NULL or no row). Serves begin, commit, rollback, lock and unlock.
 */
static int
md_run(strata_conn *c, const char *sql, long *value, strata_error *err)
{
    long ignored;

    if (value == NULL)
        value = &ignored;
    *value = -1;
    return md_query(c, sql, md_first_long, value, err);
}

static int
md_begin(strata_conn *c, strata_error *err)
{
    return md_run(c, "START TRANSACTION", NULL, err);
}

static int
md_commit(strata_conn *c, strata_error *err)
{
    return md_run(c, "COMMIT", NULL, err);
}

/* Row callback of SHOW WARNINGS: notes a 1196 (a rollback that could not undo everything). */
static int
md_incomplete_rollback(void *ctx, int ncols, const char *const *values)
{
    if (ncols >= 2 && values[1] != NULL &&
        (strcmp(values[1], "1196") == 0 || strcmp(values[1], "1751") == 0))
        *(int *)ctx = 1;
    return 0;
}

/*
 * ROLLBACK with no transaction open is a no-op in MySQL. A rollback that could not undo
 * changes to tables of a non-transactional engine (MyISAM, Aria, MEMORY) is an error: the
 * core must not believe the statements it ran are gone.
 */
static int
md_rollback(strata_conn *c, strata_error *err)
{
    int incomplete = 0;
    int rc = md_run(c, "ROLLBACK", NULL, err);
    if (rc != STRATA_OK || mysql_warning_count(c->mysql) == 0)
        return rc;
    md_query(c, "SHOW WARNINGS", md_incomplete_rollback, &incomplete, err);
    if (!incomplete)
        return STRATA_OK;
    md_error(err, STRATA_ERROR,
             "the rollback could not undo changes to tables of a non-transactional engine "
             "(MyISAM, Aria, MEMORY): what ran on them stays");
    return STRATA_ERROR;
}

/* ---- the migration lock ---- */

static long long
md_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
md_sleep_ms(long long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

/* FNV-1a, 64 bits: continues hash h over s. */
static uint64_t
md_fnv1a(uint64_t h, const char *s)
{
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* A row callback copying the first column of the first row into the md_text it gets. */
typedef struct md_text {
    char buf[260]; /* a database name: 64 characters of up to 4 bytes */
} md_text;

static int
md_first_text(void *ctx, int ncols, const char *const *values)
{
    md_text *t = ctx;

    snprintf(t->buf, sizeof(t->buf), "%s", ncols > 0 && values[0] != NULL ? values[0] : "");
    return 1;
}

/*
 * The server's name for the lock: "strata:" home ":" name, home being the database the URL
 * named (where the history lives, whatever a migration's USE did since), or, when that
 * exceeds the server's 64 characters, "strata:" and the hex FNV-1a-64 of it.
 */
static void
md_lock_name(const strata_conn *c, const char *name, char out[MD_LOCK_NAME_MAX + 1])
{
    const char *db = c->home != NULL ? c->home : "";
    uint64_t h;
    int n = snprintf(out, MD_LOCK_NAME_MAX + 1, "%s%s:%s", MD_LOCK_PREFIX, db, name);

    if (n >= 0 && n <= MD_LOCK_NAME_MAX)
        return;
    h = md_fnv1a(md_fnv1a(md_fnv1a(md_fnv1a(0xcbf29ce484222325ULL, MD_LOCK_PREFIX), db), ":"),
                 name);
    snprintf(out, MD_LOCK_NAME_MAX + 1, "%s%016llx", MD_LOCK_PREFIX, (unsigned long long)h);
}

/* Runs SELECT fn('lock_name'args) and stores its value in *value (-1 for NULL). */
static int
md_lock_call(strata_conn *c, const char *fn, const char *lock_name, const char *args, long *value,
             strata_error *err)
{
    char quoted[2 * MD_LOCK_NAME_MAX + 3], sql[MD_SQL_MAX];

    if (md_quote_literal(c, lock_name, quoted, sizeof(quoted)) >= sizeof(quoted))
        return md_error(err, STRATA_ERROR, "cannot quote the lock name %s", lock_name);
    snprintf(sql, sizeof(sql), "SELECT %s(%s%s)", fn, quoted, args);
    return md_run(c, sql, value, err);
}

/* The lock holder as PROCESSLIST shows it; strings "" when unknown. */
typedef struct md_holder {
    char id[24], user[128], host[128], command[32], time[24];
} md_holder;

static int
md_holder_row(void *ctx, int ncols, const char *const *v)
{
    md_holder *h = ctx;

    if (ncols < 5)
        return 1;
    snprintf(h->id, sizeof(h->id), "%s", v[0] ? v[0] : "");
    snprintf(h->user, sizeof(h->user), "%s", v[1] ? v[1] : "");
    snprintf(h->host, sizeof(h->host), "%s", v[2] ? v[2] : "");
    snprintf(h->command, sizeof(h->command), "%s", v[3] ? v[3] : "");
    snprintf(h->time, sizeof(h->time), "%s", v[4] ? v[4] : "");
    return 1;
}

/*
 * Fills err with the timeout, naming the holder: its connection id from IS_USED_LOCK(),
 * then who and since when from PROCESSLIST, which shows others' sessions only to users
 * with the PROCESS privilege (the LEFT JOIN keeps the id without it).
 */
static int
md_lock_timeout(strata_conn *c, const char *lock_name, long timeout_ms, strata_error *err)
{
    char quoted[2 * MD_LOCK_NAME_MAX + 3], sql[MD_SQL_MAX], holder[512];
    md_holder h;

    memset(&h, 0, sizeof(h));
    if (md_quote_literal(c, lock_name, quoted, sizeof(quoted)) >= sizeof(quoted))
        quoted[0] = '\0';
    snprintf(sql, sizeof(sql),
             "SELECT l.id, p.USER, p.HOST, p.COMMAND, p.TIME FROM (SELECT IS_USED_LOCK(%s) AS "
             "id) AS l LEFT JOIN information_schema.PROCESSLIST AS p ON p.ID = l.id",
             quoted);
    md_query(c, sql, md_holder_row, &h, NULL);
    if (h.id[0] == '\0')
        snprintf(holder, sizeof(holder), "another connection");
    else if (h.user[0] == '\0')
        snprintf(holder, sizeof(holder), "connection %s", h.id);
    else
        snprintf(holder, sizeof(holder), "connection %s (user %s from %s, %s for %s s)", h.id,
                 h.user, h.host, strcmp(h.command, "Sleep") == 0 ? "idle" : "running", h.time);
    md_error(err, STRATA_LOCK_TIMEOUT,
             "timed out after %ld ms waiting for the migration lock '%s', held by %s", timeout_ms,
             lock_name, holder);
    if (err != NULL)
        snprintf(err->hint, sizeof(err->hint),
                 "another strata run is migrating this database; wait for it, or raise "
                 "--lock-timeout%s%s%s",
                 h.id[0] ? " (if it is stuck, KILL " : "", h.id, h.id[0] ? " frees the lock)" : "");
    return STRATA_LOCK_TIMEOUT;
}

/* Records the lock taken, so unlock() finds it even after a USE changed DATABASE(). */
static int
md_lock_remember(strata_conn *c, const char *name, const char *lock_name, strata_error *err)
{
    long ignored;

    c->lock_for = strdup(name);
    if (c->lock_for == NULL) {
        md_lock_call(c, "RELEASE_LOCK", lock_name, "", &ignored, NULL);
        return md_error(err, STRATA_ERROR, "cannot take the migration lock: out of memory");
    }
    snprintf(c->lock_name, sizeof(c->lock_name), "%s", lock_name);
    return STRATA_OK;
}

/*
 * Takes the server lock by polling GET_LOCK(name, 0): a session-level lock, outside any
 * transaction, that holds across the run's transactions until unlock() or close(). Taking
 * it again is a no-op (the server would count it twice).
 */
static int
md_lock(strata_conn *c, const char *name, long timeout_ms, strata_error *err)
{
    char lock_name[MD_LOCK_NAME_MAX + 1];
    long long start = md_now_ms(), waited;
    long got;
    int rc;

    if (c->lock_for != NULL) {
        if (strcmp(c->lock_for, name) == 0)
            return STRATA_OK;
        return md_error(err, STRATA_USAGE, "this connection already holds the migration lock '%s'",
                        c->lock_name);
    }
    md_lock_name(c, name, lock_name);
    for (;;) {
        rc = md_lock_call(c, "GET_LOCK", lock_name, ", 0", &got, err);
        if (rc != STRATA_OK)
            return rc;
        if (got == 1)
            return md_lock_remember(c, name, lock_name, err);
        if (got != 0)
            return md_error(err, STRATA_ERROR, "GET_LOCK('%s') failed on the server", lock_name);
        waited = md_now_ms() - start;
        if (timeout_ms >= 0 && waited >= timeout_ms)
            return md_lock_timeout(c, lock_name, timeout_ms, err);
        if (timeout_ms >= 0 && timeout_ms - waited < MD_LOCK_POLL_MS)
            md_sleep_ms(timeout_ms - waited);
        else
            md_sleep_ms(MD_LOCK_POLL_MS);
    }
}

/* Releases the lock; one this connection does not hold (any more) is not an error. */
static int
md_unlock(strata_conn *c, const char *name, strata_error *err)
{
    char lock_name[MD_LOCK_NAME_MAX + 1];
    long released = -1;
    int rc = STRATA_OK;

    if (c->lock_for != NULL && strcmp(c->lock_for, name) == 0)
        snprintf(lock_name, sizeof(lock_name), "%s", c->lock_name);
    else
        md_lock_name(c, name, lock_name);
    rc = md_lock_call(c, "RELEASE_LOCK", lock_name, "", &released, err);
    if (c->lock_for != NULL && strcmp(c->lock_for, name) == 0) {
        free(c->lock_for);
        c->lock_for = NULL;
    }
    if (rc == STRATA_OK && released == 0)
        return md_error(err, STRATA_ERROR,
                        "cannot release the migration lock '%s': another connection holds it",
                        lock_name);
    if (rc == STRATA_OK && released < 0)
        md_host->log(STRATA_LOG_DEBUG, "mysql: the migration lock '%s' was not held", lock_name);
    return rc;
}

/* ---- backup ---- */

#define MD_DUMP_ENV "STRATA_MYSQL_DUMP"
#define MD_DUMP_MISSING                                                                            \
    "mariadb-dump not found (nor mysqldump): install mariadb-client (apt-get install "             \
    "mariadb-client), or mysql-client for MySQL"
#define MD_TOOL_PATH_MAX 4096
#define MD_TOOL_TEXT_MAX 8192 /* how much of the tool's standard error is kept */
#define MD_TOOL_WARN_LINES 5  /* lines of a successful run's standard error logged */
#define MD_DUMP_ARGS 32
#define MD_DUMP_OPTION_MAX 4200 /* "--ssl-ca=" and a path */

/* The dump programs, in the order they are looked for in PATH. */
static const char *const md_dump_names[] = {"mariadb-dump", "mysqldump", NULL};

/* The host's find_program (driver.h): name in PATH, or as given when it holds a '/'. */
static int
md_search_path(const char *name, char *out, size_t size)
{
    if (md_host->size < offsetof(strata_host, find_program) + sizeof(md_host->find_program) ||
        md_host->find_program == NULL)
        return 0;
    return md_host->find_program(name, out, size);
}

/* Finds the dump tool: STRATA_MYSQL_DUMP when set, else mariadb-dump or mysqldump in PATH. */
static int
md_find_dump(char *out, size_t size, strata_error *err)
{
    const char *forced = getenv(MD_DUMP_ENV);
    size_t i;

    if (forced != NULL && forced[0] != '\0') {
        if (md_search_path(forced, out, size))
            return STRATA_OK;
        md_error(err, STRATA_NOT_SUPPORTED, "%s", MD_DUMP_MISSING);
        if (err != NULL)
            snprintf(err->detail, sizeof(err->detail),
                     "%s=%.200s is not an executable file (unset it to search PATH)", MD_DUMP_ENV,
                     forced);
        return STRATA_NOT_SUPPORTED;
    }
    for (i = 0; md_dump_names[i] != NULL; i++) {
        if (md_search_path(md_dump_names[i], out, size))
            return STRATA_OK;
    }
    md_error(err, STRATA_NOT_SUPPORTED, "%s", MD_DUMP_MISSING);
    if (err != NULL)
        snprintf(err->detail, sizeof(err->detail),
                 "searched PATH for mariadb-dump and mysqldump; %s=/path/to/tool names one "
                 "explicitly",
                 MD_DUMP_ENV);
    return STRATA_NOT_SUPPORTED;
}

/* Logs the standard error of a successful run (warnings), a few lines of it. */
static void
md_tool_warnings(char *text)
{
    char *line, *save = NULL;
    int n = 0;

    for (line = strtok_r(text, "\n", &save); line != NULL && n < MD_TOOL_WARN_LINES;
         line = strtok_r(NULL, "\n", &save), n++)
        md_host->log(STRATA_LOG_WARN, "mysql: %s", line);
}

/*
 * The host's run_tool (driver.h): the dump tool without a shell, output written atomically,
 * the password (may be NULL) only in MYSQL_PWD in its environment and redacted from text.
 */
static int
md_run_tool(const char *prog, char *const argv[], const char *password, const char *path,
            char *text, size_t size, int *wstatus, strata_error *err)
{
    if (md_host->size < offsetof(strata_host, run_tool) + sizeof(md_host->run_tool) ||
        md_host->run_tool == NULL)
        return md_error(err, STRATA_NOT_SUPPORTED, "this strata cannot run dump tools: upgrade it");
    return md_host->run_tool(prog, argv, "MYSQL_PWD", password, path, text, size, wstatus, err);
}

/*
 * True when prog is MariaDB's dump tool (its TLS options differ from MySQL's): by the name
 * it resolves to, else by what --version says.
 */
static int
md_dump_is_mariadb(const char *prog)
{
    char *real = realpath(prog, NULL), text[512];
    const char *base, *argv[] = {prog, "--version", NULL};
    int mariadb = 0, wstatus;

    if (real != NULL) {
        base = strrchr(real, '/') != NULL ? strrchr(real, '/') + 1 : real;
        mariadb = strncmp(base, "mariadb", 7) == 0;
        free(real);
    }
    strata_error ignored = STRATA_ERROR_INIT;
    if (!mariadb && md_run_tool(prog, (char *const *)argv, NULL, NULL, text, sizeof(text), &wstatus,
                                &ignored) == STRATA_OK)
        mariadb = strstr(text, "MariaDB") != NULL;
    return mariadb;
}

/* A dump tool's command line: pointers into the URL and into its own option buffers. */
typedef struct md_argv {
    const char *arg[MD_DUMP_ARGS];
    char opt[10][MD_DUMP_OPTION_MAX]; /* "--name=value" options built here */
    int n, nopt;
} md_argv;

static void
md_arg(md_argv *a, const char *arg)
{
    if (a->n < MD_DUMP_ARGS - 1)
        a->arg[a->n++] = arg;
}

/* Adds "--name=value" (value NULL: nothing). */
static void
md_opt(md_argv *a, const char *name, const char *value)
{
    if (value == NULL || a->nopt >= (int)(sizeof(a->opt) / sizeof(a->opt[0])))
        return;
    snprintf(a->opt[a->nopt], sizeof(a->opt[0]), "--%s=%s", name, value);
    md_arg(a, a->opt[a->nopt++]);
}

/* The TLS options of the URL, in the tool's own spelling. */
static void
md_tls_args(md_argv *a, const md_params *p, int mariadb)
{
    static const char *const mysql_modes[] = {NULL,       "DISABLED",  "PREFERRED",
                                              "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"};

    md_opt(a, "ssl-ca", p->value[MD_SSL_CA]);
    md_opt(a, "ssl-capath", p->value[MD_SSL_CAPATH]);
    md_opt(a, "ssl-cert", p->value[MD_SSL_CERT]);
    md_opt(a, "ssl-key", p->value[MD_SSL_KEY]);
    md_opt(a, "ssl-cipher", p->value[MD_SSL_CIPHER]);
    if (p->tls == MD_TLS_DEFAULT)
        return;
    if (!mariadb) {
        md_opt(a, "ssl-mode", mysql_modes[p->tls]);
        return;
    }
    /* as md_set_tls() sets Connector/C, which MariaDB's tools use too */
    if (p->tls == MD_TLS_DISABLED)
        md_arg(a, "--skip-ssl");
    else if (p->tls == MD_TLS_VERIFY_IDENTITY)
        md_arg(a, "--ssl-verify-server-cert");
    else
        md_arg(a, "--ssl");
}

/* Fills a with the tool's command line for the URL's database. */
static void
md_dump_args(md_argv *a, const char *prog, const strata_url *url, const md_params *p, int mariadb)
{
    char port[16];

    a->n = a->nopt = 0;
    md_arg(a, prog);
    md_arg(a, "--no-defaults"); /* only the URL counts, as in connect(): no option files */
    md_arg(a, "--single-transaction");
    md_arg(a, "--routines");
    md_arg(a, "--triggers");
    md_arg(a, "--events");
    md_arg(a, "--no-tablespaces");
    md_opt(a, "default-character-set",
           p->value[MD_CHARSET] != NULL ? p->value[MD_CHARSET] : MD_DEFAULT_CHARSET);
    if (url->host != NULL && url->host[0] != '\0')
        md_opt(a, "host", url->host);
    if (url->port > 0) {
        snprintf(port, sizeof(port), "%d", url->port);
        md_opt(a, "port", port);
    }
    md_opt(a, "socket", p->value[MD_SOCKET]);
    md_opt(a, "protocol", p->value[MD_PROTOCOL]);
    if (url->user != NULL && url->user[0] != '\0')
        md_opt(a, "user", url->user);
    md_tls_args(a, p, mariadb);
    md_arg(a, "--"); /* a database name starting with '-' is not an option */
    md_arg(a, url->database);
    a->arg[a->n] = NULL;
}

/* Drops the tool's "NAME: " prefix (mysqldump, mariadb-dump, or its path) from line. */
static const char *
md_tool_line(const char *line)
{
    const char *colon = strstr(line, ": ");

    if (colon != NULL && (strstr(line, "dump") != NULL && strstr(line, "dump") < colon))
        return colon + 2;
    return line;
}

/* Fills err for a failed run: the first line of standard error, the rest in the detail. */
static int
md_dump_failed(const char *tool, int wstatus, const char *text, strata_error *err)
{
    char line[sizeof(err->message) - 64], *p;
    const char *rest;
    size_t n;

    if (err == NULL)
        return STRATA_ERROR;
    text += strspn(text, " \t\r\n");
    n = strcspn(text, "\n");
    snprintf(line, sizeof(line), "%.*s", (int)n, text);
    rest = text + n;
    if (WIFSIGNALED(wstatus))
        md_error(err, STRATA_ERROR, "%s was killed by signal %d%s%s", tool, WTERMSIG(wstatus),
                 line[0] != '\0' ? ": " : "", md_tool_line(line));
    else if (line[0] != '\0')
        md_error(err, STRATA_ERROR, "%s failed: %s", tool, md_tool_line(line));
    else
        md_error(err, STRATA_ERROR, "%s failed with exit status %d and no message", tool,
                 WEXITSTATUS(wstatus));
    rest += strspn(rest, " \t\r\n");
    snprintf(err->detail, sizeof(err->detail), "%s", rest);
    for (p = err->detail + strlen(err->detail); p > err->detail && strchr(" \t\r\n", p[-1]); p--)
        p[-1] = '\0';
    if (strstr(text, " denied ") != NULL && strstr(text, "when trying to connect") == NULL)
        snprintf(err->hint, sizeof(err->hint),
                 "the dump needs the SELECT, SHOW VIEW, TRIGGER and EVENT privileges on the "
                 "database (and EXECUTE or SELECT on mysql.proc for its routines)");
    return STRATA_ERROR;
}

/*
 * Runs mariadb-dump (else mysqldump) into path.tmp, then renames it over path: a SQL script
 * of the URL's database without CREATE DATABASE or USE, restored with `mariadb DB < FILE`
 * into any database. Options: --single-transaction (a consistent InnoDB snapshot without
 * locking tables), --routines --triggers --events, --no-tablespaces; host, port, socket,
 * user, charset and TLS from the URL; --no-defaults, so no option file adds to the URL, as
 * in connect(). The password only in MYSQL_PWD in the tool's environment. The URL's
 * connect_timeout is not passed (the dump tools have no such option).
 */
static int
md_backup(strata_conn *c, const strata_url *url, const char *path, strata_error *err)
{
    char prog[MD_TOOL_PATH_MAX], text[MD_TOOL_TEXT_MAX];
    const char *tool;
    md_argv *argv = NULL;
    int wstatus = 0, rc;
    md_params p;

    (void)c; /* the tool connects on its own */
    if (url->database == NULL || url->database[0] == '\0')
        return md_error(err, STRATA_USAGE,
                        "the URL names no database to back up (mysql://user@host/DATABASE)");
    rc = md_parse_params(url, &p, err);
    if (rc == STRATA_OK)
        rc = md_find_dump(prog, sizeof(prog), err);
    if (rc != STRATA_OK)
        return rc;
    tool = strrchr(prog, '/') != NULL ? strrchr(prog, '/') + 1 : prog;
    argv = calloc(1, sizeof(*argv));
    if (argv == NULL) {
        rc = md_error(err, STRATA_ERROR, "out of memory");
        goto done;
    }
    md_dump_args(argv, prog, url, &p, p.tls != MD_TLS_DEFAULT && md_dump_is_mariadb(prog));
    rc = md_run_tool(prog, (char *const *)argv->arg, url->password, path, text, sizeof(text),
                     &wstatus, err);
    if (rc == STRATA_OK) {
        if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
            rc = md_dump_failed(tool, wstatus, text, err);
        else
            md_tool_warnings(text);
    }
done:
    free(argv);
    return rc;
}

/* ---- snapshot ---- */

/* Room for a database or table name quoted: each byte doubled at worst, quotes, NUL. */
#define MD_QUOTED_NAME_MAX (2 * sizeof(((md_text *)0)->buf) + 3)

/*
 * A growing text, NUL-terminated once anything was appended. An append that runs out of
 * memory sets oom and drops the rest: the snapshot then fails.
 */
typedef struct md_buf {
    char *s; /* NULL until the first append; owned, md_buf_free() */
    size_t len, cap;
    int oom;
} md_buf;

static void
md_buf_add(md_buf *b, const char *text, size_t n)
{
    char *s;
    size_t cap;

    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        for (cap = b->cap > 0 ? b->cap : 256; cap < b->len + n + 1; cap *= 2)
            ;
        if ((s = realloc(b->s, cap)) == NULL) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, text, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Appends text; NULL appends nothing. */
static void
md_buf_str(md_buf *b, const char *text)
{
    if (text != NULL)
        md_buf_add(b, text, strlen(text));
}

/* Appends text lower-cased (ASCII only: keywords the server spells in capitals). */
static void
md_buf_lower(md_buf *b, const char *text)
{
    for (; text != NULL && *text != '\0'; text++) {
        char ch = (char)tolower((unsigned char)*text);
        md_buf_add(b, &ch, 1);
    }
}

/* Appends text on one line: every run of white space becomes one space, none at its ends. */
static void
md_buf_norm(md_buf *b, const char *text)
{
    int space = 0, any = 0;

    for (; text != NULL && *text != '\0'; text++) {
        if (isspace((unsigned char)*text)) {
            space = 1;
            continue;
        }
        if (space && any)
            md_buf_add(b, " ", 1);
        md_buf_add(b, text, 1);
        space = 0;
        any = 1;
    }
}

/* Appends ", " before every item but the first. */
static void
md_buf_sep(md_buf *b)
{
    if (b->len > 0)
        md_buf_add(b, ", ", 2);
}

static void
md_buf_reset(md_buf *b)
{
    b->len = 0;
    if (b->s != NULL)
        b->s[0] = '\0';
}

static const char *
md_buf_text(const md_buf *b)
{
    return b->s != NULL ? b->s : "";
}

static void
md_buf_free(md_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof(*b));
}

/* What the rows being gathered into one object make (their order puts them together). */
enum md_group_kind {
    MD_GROUP_NONE,
    MD_GROUP_INDEX,   /* the columns of an index, or of the primary key */
    MD_GROUP_FKEY,    /* the column pairs of a foreign key */
    MD_GROUP_ROUTINE, /* the parameters of a function or procedure */
};

/* A state of md_snapshot(): where objects go, and the one being gathered. */
typedef struct md_snap {
    strata_conn *c;
    const char *const *skip; /* tables left out, NULL-terminated; may be NULL */
    strata_object_fn fn;
    void *ctx;
    strata_error *err;
    char home_lit[MD_QUOTED_NAME_MAX];       /* the home database, quoted */
    char home_ident[MD_QUOTED_NAME_MAX + 1]; /* `home`. */
    int has_checks;                          /* information_schema.CHECK_CONSTRAINTS exists */
    int checks_have_table;  /* ... with TABLE_NAME (MariaDB; MySQL joins TABLE_CONSTRAINTS) */
    int has_expressions;    /* STATISTICS.EXPRESSION exists (MySQL 8 functional key parts) */
    int stopped;            /* fn asked to stop */
    md_buf name, def, line; /* the object reported, its definition normalized */
    md_buf seqs;            /* sequence names, each NUL-terminated */
    struct {
        enum md_group_kind kind;
        md_buf table, name; /* of the rows gathered (routines: type and name) */
        md_buf cols, refs;  /* columns; a foreign key's referenced columns */
        md_buf target;      /* a foreign key's referenced table */
        md_buf extra;       /* index: "[unique ]method"; foreign key and routine: definition */
    } g;
} md_snap;

/* True when s->skip names table. */
static int
md_snap_skipped(const md_snap *s, const char *table)
{
    const char *const *p;

    for (p = s->skip; p != NULL && *p != NULL; p++) {
        if (strcmp(*p, table) == 0)
            return 1;
    }
    return 0;
}

/* Whether the snapshot must stop reading rows: fn asked to, or memory ran out. */
static int
md_snap_done(const md_snap *s)
{
    return s->stopped || s->name.oom || s->def.oom || s->line.oom || s->seqs.oom ||
           s->g.table.oom || s->g.name.oom || s->g.cols.oom || s->g.refs.oom || s->g.target.oom ||
           s->g.extra.oom;
}

/* Reports s->name with s->def, normalized to one line; returns md_snap_done(). */
static int
md_snap_emit(md_snap *s, strata_object_kind kind)
{
    md_buf_reset(&s->line);
    md_buf_norm(&s->line, md_buf_text(&s->def));
    if (md_snap_done(s))
        return 1;
    if (s->fn(s->ctx, kind, md_buf_text(&s->name), md_buf_text(&s->line)) != 0)
        s->stopped = 1;
    return s->stopped;
}

/* Starts s->name as "table." and empties s->def. */
static void
md_snap_begin(md_snap *s, const char *table)
{
    md_buf_reset(&s->name);
    md_buf_reset(&s->def);
    if (table != NULL) {
        md_buf_str(&s->name, table);
        md_buf_add(&s->name, ".", 1);
    }
}

/* Reports the object gathered, if any: an index or primary key, a foreign key, a routine. */
static void
md_snap_flush(md_snap *s)
{
    enum md_group_kind kind = s->g.kind;

    s->g.kind = MD_GROUP_NONE;
    if (kind == MD_GROUP_NONE || s->stopped)
        return;
    md_snap_begin(s, kind == MD_GROUP_ROUTINE ? NULL : md_buf_text(&s->g.table));
    if (kind == MD_GROUP_INDEX && strcmp(md_buf_text(&s->g.name), "PRIMARY") == 0) {
        md_buf_str(&s->name, "primary key (");
        md_buf_str(&s->name, md_buf_text(&s->g.cols));
        md_buf_str(&s->name, ")");
        md_snap_emit(s, STRATA_OBJ_CONSTRAINT);
    } else if (kind == MD_GROUP_INDEX) {
        md_buf_str(&s->name, md_buf_text(&s->g.name));
        md_buf_str(&s->def, md_buf_text(&s->g.extra));
        md_buf_str(&s->def, " (");
        md_buf_str(&s->def, md_buf_text(&s->g.cols));
        md_buf_str(&s->def, ")");
        md_snap_emit(s, STRATA_OBJ_INDEX);
    } else if (kind == MD_GROUP_FKEY) {
        md_buf_str(&s->name, "foreign key (");
        md_buf_str(&s->name, md_buf_text(&s->g.cols));
        md_buf_str(&s->name, ") references ");
        md_buf_str(&s->name, md_buf_text(&s->g.target));
        md_buf_str(&s->name, " (");
        md_buf_str(&s->name, md_buf_text(&s->g.refs));
        md_buf_str(&s->name, ")");
        md_buf_str(&s->def, md_buf_text(&s->g.extra));
        md_snap_emit(s, STRATA_OBJ_CONSTRAINT);
    } else {
        md_buf_str(&s->name, md_buf_text(&s->g.name));
        md_buf_str(&s->name, "(");
        md_buf_str(&s->name, md_buf_text(&s->g.cols));
        md_buf_str(&s->name, ")");
        md_buf_str(&s->def, md_buf_text(&s->g.extra));
        md_snap_emit(s, STRATA_OBJ_FUNCTION);
    }
}

/*
 * Whether a row of table and name opens a new object of kind: reports the one gathered so
 * far when it does, and starts the new one empty (1); 0 when the row adds to the current.
 */
static int
md_snap_group(md_snap *s, enum md_group_kind kind, const char *table, const char *name)
{
    if (s->g.kind == kind && strcmp(md_buf_text(&s->g.table), table) == 0 &&
        strcmp(md_buf_text(&s->g.name), name) == 0)
        return 0;
    md_snap_flush(s);
    s->g.kind = kind;
    md_buf_reset(&s->g.table);
    md_buf_reset(&s->g.name);
    md_buf_reset(&s->g.cols);
    md_buf_reset(&s->g.refs);
    md_buf_reset(&s->g.target);
    md_buf_reset(&s->g.extra);
    md_buf_str(&s->g.table, table);
    md_buf_str(&s->g.name, name);
    return 1;
}

/* Every statement but the probe reads the home database: "{db}" stands for its literal. */
#define MD_SNAP_PROBE                                                                              \
    "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "         \
    "'information_schema' AND ((TABLE_NAME = 'CHECK_CONSTRAINTS' AND COLUMN_NAME IN "              \
    "('CHECK_CLAUSE', 'TABLE_NAME')) OR (TABLE_NAME = 'STATISTICS' AND COLUMN_NAME = "             \
    "'EXPRESSION'))"
#define MD_SNAP_TABLE_TYPES "('BASE TABLE', 'SYSTEM VERSIONED')"
#define MD_SNAP_TABLES                                                                             \
    "SELECT TABLE_NAME, TABLE_TYPE, ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = "   \
    "{db} AND (TABLE_TYPE IN " MD_SNAP_TABLE_TYPES " OR TABLE_TYPE = 'SEQUENCE') ORDER BY "        \
    "CAST(TABLE_NAME AS BINARY)"
#define MD_SNAP_COLUMNS                                                                            \
    "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.ORDINAL_POSITION, c.COLUMN_TYPE, c.IS_NULLABLE, "       \
    "c.COLUMN_DEFAULT, c.EXTRA, c.GENERATION_EXPRESSION, c.COLLATION_NAME, t.TABLE_COLLATION "     \
    "FROM information_schema.COLUMNS AS c JOIN information_schema.TABLES AS t ON "                 \
    "t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME WHERE c.TABLE_SCHEMA = "      \
    "{db} AND t.TABLE_TYPE IN " MD_SNAP_TABLE_TYPES " ORDER BY CAST(c.TABLE_NAME AS BINARY), "     \
    "c.ORDINAL_POSITION"
/* The index MySQL makes for a foreign key under the constraint's name serves only it. */
#define MD_SNAP_INDEXES(expression)                                                                \
    "SELECT s.TABLE_NAME, s.INDEX_NAME, s.NON_UNIQUE, s.INDEX_TYPE, s.COLUMN_NAME, s.SUB_PART, "   \
    "s.COLLATION, " expression " FROM information_schema.STATISTICS AS s LEFT JOIN "               \
    "information_schema.REFERENTIAL_CONSTRAINTS AS r ON r.CONSTRAINT_SCHEMA = {db} AND "           \
    "r.TABLE_NAME = s.TABLE_NAME AND r.CONSTRAINT_NAME = s.INDEX_NAME WHERE s.TABLE_SCHEMA = "     \
    "{db} AND r.CONSTRAINT_NAME IS NULL ORDER BY CAST(s.TABLE_NAME AS BINARY), s.INDEX_NAME, "     \
    "s.SEQ_IN_INDEX"
#define MD_SNAP_FKEYS                                                                              \
    "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, "           \
    "k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE FROM "        \
    "information_schema.REFERENTIAL_CONSTRAINTS AS r JOIN information_schema.KEY_COLUMN_USAGE "    \
    "AS k ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA AND k.TABLE_NAME = r.TABLE_NAME AND "       \
    "k.CONSTRAINT_NAME = r.CONSTRAINT_NAME WHERE r.CONSTRAINT_SCHEMA = {db} AND "                  \
    "k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY CAST(k.TABLE_NAME AS BINARY), "                  \
    "k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
/* MariaDB: the check json_valid(`c`) it adds for a JSON column c is the type's, not one. */
#define MD_SNAP_CHECKS_MARIADB                                                                     \
    "SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE "             \
    "CONSTRAINT_SCHEMA = {db} AND CHECK_CLAUSE <> CONCAT('json_valid(`', "                         \
    "REPLACE(CONSTRAINT_NAME, '`', '``'), '`)') ORDER BY CAST(TABLE_NAME AS BINARY), "             \
    "CONSTRAINT_NAME"
#define MD_SNAP_CHECKS_MYSQL                                                                       \
    "SELECT tc.TABLE_NAME, cc.CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS AS tc JOIN "  \
    "information_schema.CHECK_CONSTRAINTS AS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA "   \
    "AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME WHERE tc.CONSTRAINT_SCHEMA = {db} AND "           \
    "tc.CONSTRAINT_TYPE = 'CHECK' ORDER BY CAST(tc.TABLE_NAME AS BINARY), tc.CONSTRAINT_NAME"
#define MD_SNAP_VIEWS                                                                              \
    "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = {db} "  \
    "ORDER BY CAST(TABLE_NAME AS BINARY)"
/* The md5 of a body (between the two) with its white space runs made one space, none at its
 * ends. */
#define MD_SNAP_MD5_OF "MD5(TRIM(REGEXP_REPLACE(COALESCE("
#define MD_SNAP_MD5_END ", ''), '[[:space:]]+', ' ')))"
#define MD_SNAP_TRIGGERS                                                                           \
    "SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, "                 \
    "ACTION_ORIENTATION, " MD_SNAP_MD5_OF "ACTION_STATEMENT" MD_SNAP_MD5_END " FROM "              \
    "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {db} ORDER BY "                            \
    "CAST(EVENT_OBJECT_TABLE AS BINARY), TRIGGER_NAME"
#define MD_SNAP_ROUTINES                                                                           \
    "SELECT r.ROUTINE_TYPE, r.ROUTINE_NAME, r.DTD_IDENTIFIER, r.ROUTINE_BODY, " MD_SNAP_MD5_OF     \
    "r.ROUTINE_DEFINITION" MD_SNAP_MD5_END ", p.PARAMETER_MODE, p.DTD_IDENTIFIER FROM "            \
    "information_schema.ROUTINES AS r LEFT JOIN information_schema.PARAMETERS AS p ON "            \
    "p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = r.SPECIFIC_NAME AND "              \
    "p.ROUTINE_TYPE = r.ROUTINE_TYPE AND p.ORDINAL_POSITION > 0 WHERE r.ROUTINE_SCHEMA = {db} "    \
    "AND r.ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE') ORDER BY r.ROUTINE_TYPE, r.ROUTINE_NAME, "    \
    "p.ORDINAL_POSITION"

/* Which optional information_schema columns the server has. */
static int
md_snap_probe_row(void *ctx, int ncols, const char *const *v)
{
    md_snap *s = ctx;

    if (ncols < 2 || v[0] == NULL || v[1] == NULL)
        return 0;
    if (strcasecmp(v[0], "CHECK_CONSTRAINTS") == 0 && strcasecmp(v[1], "CHECK_CLAUSE") == 0)
        s->has_checks = 1;
    else if (strcasecmp(v[0], "CHECK_CONSTRAINTS") == 0)
        s->checks_have_table = 1;
    else
        s->has_expressions = 1;
    return 0;
}

/* TABLE_NAME, TABLE_TYPE, ENGINE: "engine=InnoDB"; sequences are kept for later. */
static int
md_snap_table_row(void *ctx, int ncols, const char *const *v)
{
    md_snap *s = ctx;

    if (ncols < 3 || v[0] == NULL || md_snap_skipped(s, v[0]))
        return md_snap_done(s);
    if (v[1] != NULL && strcmp(v[1], "SEQUENCE") == 0) {
        md_buf_add(&s->seqs, v[0], strlen(v[0]) + 1);
        return md_snap_done(s);
    }
    md_snap_begin(s, NULL);
    md_buf_str(&s->name, v[0]);
    if (v[2] != NULL) {
        md_buf_str(&s->def, "engine=");
        md_buf_str(&s->def, v[2]);
    }
    if (v[1] != NULL && strcmp(v[1], "SYSTEM VERSIONED") == 0)
        md_buf_str(&s->def, " system versioned");
    return md_snap_emit(s, STRATA_OBJ_TABLE);
}

/* A MariaDB sequence's own row: start, increment, min, max, cache, cycle. */
static int
md_snap_sequence_row(void *ctx, int ncols, const char *const *v)
{
    static const char *const words[] = {"start ", " increment ", " min ", " max ", " cache "};
    md_snap *s = ctx;
    int i;

    if (ncols < 6)
        return 1;
    for (i = 0; i < 5; i++) {
        md_buf_str(&s->def, words[i]);
        md_buf_str(&s->def, v[i] != NULL ? v[i] : "null");
    }
    md_buf_str(&s->def, v[5] != NULL && strcmp(v[5], "0") != 0 ? " cycle" : " no cycle");
    md_snap_emit(s, STRATA_OBJ_SEQUENCE);
    return 1;
}

/*
 * TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA,
 * GENERATION_EXPRESSION, COLLATION_NAME, TABLE_COLLATION: "#N type[ not null][ default x]
 * [ auto_increment][ generated always as (x) stored|virtual][ collate c]". MariaDB renders a
 * NULL default as the text NULL (a string default comes quoted).
 */
static int
md_snap_column_row(void *ctx, int ncols, const char *const *v)
{
    md_snap *s = ctx;
    const char *extra;

    if (ncols < 10 || v[0] == NULL || v[1] == NULL || md_snap_skipped(s, v[0]))
        return md_snap_done(s);
    extra = v[6] != NULL ? v[6] : "";
    md_snap_begin(s, v[0]);
    md_buf_str(&s->name, v[1]);
    md_buf_str(&s->def, "#");
    md_buf_str(&s->def, v[2]);
    md_buf_str(&s->def, " ");
    md_buf_str(&s->def, v[3]);
    if (v[4] != NULL && strcmp(v[4], "NO") == 0)
        md_buf_str(&s->def, " not null");
    if (v[5] != NULL && strcmp(v[5], "NULL") != 0) {
        md_buf_str(&s->def, " default ");
        md_buf_str(&s->def, v[5]);
    }
    if (strstr(extra, "auto_increment") != NULL)
        md_buf_str(&s->def, " auto_increment");
    if (v[7] != NULL && v[7][0] != '\0') {
        md_buf_str(&s->def, " generated always as (");
        md_buf_str(&s->def, v[7]);
        md_buf_str(&s->def, strstr(extra, "STORED") != NULL || strstr(extra, "PERSISTENT") != NULL
                                ? ") stored"
                                : ") virtual");
    }
    if (v[8] != NULL && (v[9] == NULL || strcmp(v[8], v[9]) != 0)) {
        md_buf_str(&s->def, " collate ");
        md_buf_str(&s->def, v[8]);
    }
    return md_snap_emit(s, STRATA_OBJ_COLUMN);
}

/*
 * TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE, COLUMN_NAME, SUB_PART, COLLATION,
 * EXPRESSION, one row per key part: PRIMARY is the constraint "t.primary key (a, b)", any
 * other index "t.name" with "[unique ]btree (a, b(10) desc)".
 */
static int
md_snap_index_row(void *ctx, int ncols, const char *const *v)
{
    md_snap *s = ctx;

    if (ncols < 8 || v[0] == NULL || v[1] == NULL || md_snap_skipped(s, v[0]))
        return md_snap_done(s);
    if (md_snap_group(s, MD_GROUP_INDEX, v[0], v[1])) {
        if (v[2] != NULL && strcmp(v[2], "0") == 0)
            md_buf_str(&s->g.extra, "unique ");
        md_buf_lower(&s->g.extra, v[3] != NULL ? v[3] : "btree");
    }
    md_buf_sep(&s->g.cols);
    if (v[4] != NULL)
        md_buf_str(&s->g.cols, v[4]);
    else
        md_buf_norm(&s->g.cols, v[7]); /* a functional key part (MySQL 8) */
    if (v[5] != NULL) {
        md_buf_str(&s->g.cols, "(");
        md_buf_str(&s->g.cols, v[5]);
        md_buf_str(&s->g.cols, ")");
    }
    if (v[6] != NULL && strcmp(v[6], "D") == 0)
        md_buf_str(&s->g.cols, " desc");
    return md_snap_done(s);
}

/*
 * TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME,
 * REFERENCED_COLUMN_NAME, UPDATE_RULE, DELETE_RULE, one row per column: "t.foreign key (a)
 * references u (b)" (u as schema.u in another database) with "on update x on delete y".
 */
static int
md_snap_fkey_row(void *ctx, int ncols, const char *const *v)
{
    md_snap *s = ctx;

    if (ncols < 8 || v[0] == NULL || v[1] == NULL || md_snap_skipped(s, v[0]))
        return md_snap_done(s);
    if (md_snap_group(s, MD_GROUP_FKEY, v[0], v[1])) {
        if (v[3] != NULL && strcmp(v[3], s->c->home) != 0) {
            md_buf_str(&s->g.target, v[3]);
            md_buf_str(&s->g.target, ".");
        }
        md_buf_str(&s->g.target, v[4]);
        md_buf_str(&s->g.extra, "on update ");
        md_buf_lower(&s->g.extra, v[6] != NULL ? v[6] : "restrict");
        md_buf_str(&s->g.extra, " on delete ");
        md_buf_lower(&s->g.extra, v[7] != NULL ? v[7] : "restrict");
    }
    md_buf_sep(&s->g.cols);
    md_buf_str(&s->g.cols, v[2]);
    md_buf_sep(&s->g.refs);
    md_buf_str(&s->g.refs, v[5]);
    return md_snap_done(s);
}

/* TABLE_NAME, CHECK_CLAUSE: the constraint "t.check (x)", definition "". */
static int
md_snap_check_row(void *ctx, int ncols, const char *const *v)
{
    md_snap *s = ctx;

    if (ncols < 2 || v[0] == NULL || md_snap_skipped(s, v[0]))
        return md_snap_done(s);
    md_snap_begin(s, v[0]);
    md_buf_str(&s->name, "check (");
    md_buf_norm(&s->name, v[1]);
    md_buf_str(&s->name, ")");
    return md_snap_emit(s, STRATA_OBJ_CONSTRAINT);
}

/* TABLE_NAME, VIEW_DEFINITION, with every `home`. qualifier taken out. */
static int
md_snap_view_row(void *ctx, int ncols, const char *const *v)
{
    md_snap *s = ctx;
    size_t qlen = strlen(s->home_ident);
    const char *p, *q;

    if (ncols < 2 || v[0] == NULL)
        return md_snap_done(s);
    md_snap_begin(s, NULL);
    md_buf_str(&s->name, v[0]);
    for (p = v[1] != NULL ? v[1] : ""; (q = strstr(p, s->home_ident)) != NULL; p = q + qlen)
        md_buf_add(&s->def, p, (size_t)(q - p));
    md_buf_str(&s->def, p);
    return md_snap_emit(s, STRATA_OBJ_VIEW);
}

/* EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORIENTATION,
 * the body's md5: "t.name" with "before insert for each row body md5:HEX". */
static int
md_snap_trigger_row(void *ctx, int ncols, const char *const *v)
{
    md_snap *s = ctx;

    if (ncols < 6 || v[0] == NULL || v[1] == NULL || md_snap_skipped(s, v[0]))
        return md_snap_done(s);
    md_snap_begin(s, v[0]);
    md_buf_str(&s->name, v[1]);
    md_buf_lower(&s->def, v[2]);
    md_buf_str(&s->def, " ");
    md_buf_lower(&s->def, v[3]);
    md_buf_str(&s->def, " for each ");
    md_buf_lower(&s->def, v[4] != NULL ? v[4] : "row");
    md_buf_str(&s->def, " body md5:");
    md_buf_str(&s->def, v[5]);
    return md_snap_emit(s, STRATA_OBJ_TRIGGER);
}

/*
 * ROUTINE_TYPE, ROUTINE_NAME, DTD_IDENTIFIER, ROUTINE_BODY, the body's md5, PARAMETER_MODE,
 * the parameter's DTD_IDENTIFIER (NULL without parameters), one row per parameter:
 * "f(int(11), varchar(10))" with "function returns int(11) language sql body md5:HEX", or
 * "p(int(11), out decimal(10,2))" with "procedure language sql body md5:HEX".
 */
static int
md_snap_routine_row(void *ctx, int ncols, const char *const *v)
{
    md_snap *s = ctx;

    if (ncols < 7 || v[0] == NULL || v[1] == NULL)
        return md_snap_done(s);
    if (md_snap_group(s, MD_GROUP_ROUTINE, v[0], v[1])) {
        md_buf_lower(&s->g.extra, v[0]);
        if (v[2] != NULL && strcmp(v[0], "FUNCTION") == 0) {
            md_buf_str(&s->g.extra, " returns ");
            md_buf_str(&s->g.extra, v[2]);
        }
        md_buf_str(&s->g.extra, " language ");
        md_buf_lower(&s->g.extra, v[3] != NULL ? v[3] : "sql");
        md_buf_str(&s->g.extra, " body md5:");
        md_buf_str(&s->g.extra, v[4]);
    }
    if (v[6] != NULL) {
        md_buf_sep(&s->g.cols);
        if (v[5] != NULL && strcmp(v[5], "IN") != 0) {
            md_buf_lower(&s->g.cols, v[5]);
            md_buf_str(&s->g.cols, " ");
        }
        md_buf_str(&s->g.cols, v[6]);
    }
    return md_snap_done(s);
}

/*
 * The statement tmpl with every "{db}" replaced by lit, or NULL when out of memory. The
 * caller owns the result: free() it.
 */
static char *
md_snap_sql(const char *tmpl, const char *lit)
{
    md_buf b = {0};
    const char *p, *q;

    for (p = tmpl; (q = strstr(p, "{db}")) != NULL; p = q + 4) {
        md_buf_add(&b, p, (size_t)(q - p));
        md_buf_str(&b, lit);
    }
    md_buf_str(&b, p);
    if (b.oom) {
        md_buf_free(&b);
        return NULL;
    }
    return b.s;
}

/*
 * Runs sql, handing each row to row, then reports the object still gathered. Any failure is
 * STRATA_ERROR: a table missing from information_schema is no "not found" of the caller's.
 */
static int
md_snap_query(md_snap *s, const char *sql, strata_row_fn row)
{
    int rc = md_query(s->c, sql, row, s, s->err);

    if (rc == STRATA_OK)
        md_snap_flush(s);
    s->g.kind = MD_GROUP_NONE;
    if (rc != STRATA_OK) {
        if (s->err != NULL)
            s->err->status = STRATA_ERROR;
        return md_prefix(s->err, "cannot read the schema", STRATA_ERROR);
    }
    if (md_snap_done(s) && !s->stopped)
        return md_error(s->err, STRATA_ERROR, "cannot read the schema: out of memory");
    return STRATA_OK;
}

/* md_snap_query() of tmpl on the home database. */
static int
md_snap_run(md_snap *s, const char *tmpl, strata_row_fn row)
{
    char *sql = md_snap_sql(tmpl, s->home_lit);
    int rc;

    if (sql == NULL)
        return md_error(s->err, STRATA_ERROR, "cannot read the schema: out of memory");
    rc = md_snap_query(s, sql, row);
    free(sql);
    return rc;
}

/* Reports each MariaDB sequence found by md_snap_table_row(), read from its own table. */
static int
md_snap_sequences(md_snap *s)
{
    char quoted[sizeof(s->home_ident)], sql[3 * sizeof(s->home_ident)];
    const char *p;
    int rc = STRATA_OK;

    for (p = md_buf_text(&s->seqs);
         p < md_buf_text(&s->seqs) + s->seqs.len && rc == STRATA_OK && !s->stopped;
         p += strlen(p) + 1) {
        if (md_quote_ident(s->c, p, quoted, sizeof(quoted)) >= sizeof(quoted))
            return md_error(s->err, STRATA_ERROR, "cannot quote the sequence name %.200s", p);
        snprintf(sql, sizeof(sql),
                 "SELECT start_value, increment, minimum_value, maximum_value, cache_size, "
                 "cycle_option FROM %s%s",
                 s->home_ident, quoted);
        md_snap_begin(s, NULL);
        md_buf_str(&s->name, p);
        rc = md_snap_query(s, sql, md_snap_sequence_row);
    }
    return rc;
}

/*
 * Reports every object of the home database (the one the URL selected, whatever a USE did
 * since) through fn, as docs/writing-a-driver.md specifies: tables (and MariaDB sequences),
 * columns, constraints named by content (primary key, foreign keys, checks; a unique key is
 * an index in MySQL), indexes but PRIMARY and those MySQL made for a foreign key, views,
 * triggers, functions and procedures. Objects of the tables in skip_tables are left out.
 * Reads information_schema only, plus each sequence's own row.
 */
static int
md_snapshot(strata_conn *c, const char *const *skip_tables, strata_object_fn fn, void *ctx,
            strata_error *err)
{
    md_snap s;
    int rc;

    if (c->home == NULL)
        return md_error(err, STRATA_USAGE,
                        "the URL names no database to read the schema of "
                        "(mysql://user@host/DATABASE)");
    memset(&s, 0, sizeof(s));
    s.c = c;
    s.skip = skip_tables;
    s.fn = fn;
    s.ctx = ctx;
    s.err = err;
    if (md_quote_literal(c, c->home, s.home_lit, sizeof(s.home_lit)) >= sizeof(s.home_lit) ||
        md_quote_ident(c, c->home, s.home_ident, sizeof(s.home_ident) - 1) >=
            sizeof(s.home_ident) - 1)
        return md_error(err, STRATA_ERROR, "cannot quote the database name %s", c->home);
    strcat(s.home_ident, ".");
    rc = md_snap_run(&s, MD_SNAP_PROBE, md_snap_probe_row);
    if (rc == STRATA_OK && !s.stopped)
        rc = md_snap_run(&s, MD_SNAP_TABLES, md_snap_table_row);
    if (rc == STRATA_OK && !s.stopped)
        rc = md_snap_sequences(&s);
    if (rc == STRATA_OK && !s.stopped)
        rc = md_snap_run(&s, MD_SNAP_COLUMNS, md_snap_column_row);
    if (rc == STRATA_OK && !s.stopped)
        rc = md_snap_run(
            &s, s.has_expressions ? MD_SNAP_INDEXES("s.EXPRESSION") : MD_SNAP_INDEXES("NULL"),
            md_snap_index_row);
    if (rc == STRATA_OK && !s.stopped)
        rc = md_snap_run(&s, MD_SNAP_FKEYS, md_snap_fkey_row);
    if (rc == STRATA_OK && !s.stopped && s.has_checks)
        rc = md_snap_run(&s, s.checks_have_table ? MD_SNAP_CHECKS_MARIADB : MD_SNAP_CHECKS_MYSQL,
                         md_snap_check_row);
    if (rc == STRATA_OK && !s.stopped)
        rc = md_snap_run(&s, MD_SNAP_VIEWS, md_snap_view_row);
    if (rc == STRATA_OK && !s.stopped)
        rc = md_snap_run(&s, MD_SNAP_TRIGGERS, md_snap_trigger_row);
    if (rc == STRATA_OK && !s.stopped)
        rc = md_snap_run(&s, MD_SNAP_ROUTINES, md_snap_routine_row);
    md_buf_free(&s.name);
    md_buf_free(&s.def);
    md_buf_free(&s.line);
    md_buf_free(&s.seqs);
    md_buf_free(&s.g.table);
    md_buf_free(&s.g.name);
    md_buf_free(&s.g.cols);
    md_buf_free(&s.g.refs);
    md_buf_free(&s.g.target);
    md_buf_free(&s.g.extra);
    return rc;
}

/* ---- scratch databases ---- */

#define MD_SCRATCH_PREFIX "strata_scratch_"
#define MD_SCRATCH_TRIES 100 /* names tried when others exist already */
#define MD_SCRATCH_KILLS 64  /* sessions in a scratch database killed before DROP, at most */

/* A database's default character set and collation; "" when unknown or not plain words. */
typedef struct md_charset {
    char set[65], collation[65];
} md_charset;

/* Copies value into out when it is a plain name ([A-Za-z0-9_]), safe in a statement. */
static void
md_copy_word(char *out, size_t size, const char *value)
{
    if (value != NULL && value[0] != '\0' && strlen(value) < size &&
        strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
            strlen(value))
        snprintf(out, size, "%s", value);
}

static int
md_charset_row(void *ctx, int ncols, const char *const *v)
{
    md_charset *cs = ctx;

    if (ncols >= 2) {
        md_copy_word(cs->set, sizeof(cs->set), v[0]);
        md_copy_word(cs->collation, sizeof(cs->collation), v[1]);
    }
    return 1;
}

/*
 * Creates an empty database strata_scratch_<pid>_<n> with the home database's character
 * set and collation (so tables made without them come out alike), trying the next n while
 * the name is taken (another process, maybe on another host, may share the pid), and
 * writes its name into name_out (snprintf convention; nothing is created when it does not
 * fit).
 */
static int
md_scratch_create(strata_conn *c, char *name_out, size_t size, strata_error *err)
{
    static unsigned counter;
    char lit[MD_QUOTED_NAME_MAX], sql[sizeof(lit) + 256], name[64];
    md_charset cs = {"", ""};
    int i, n, rc;

    if (c->home != NULL) {
        if (md_quote_literal(c, c->home, lit, sizeof(lit)) >= sizeof(lit))
            return md_error(err, STRATA_ERROR, "cannot quote the database name %s", c->home);
        snprintf(sql, sizeof(sql),
                 "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
                 "information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                 lit);
        rc = md_query(c, sql, md_charset_row, &cs, err);
        if (rc != STRATA_OK)
            goto fail;
    }
    for (i = 0; i < MD_SCRATCH_TRIES; i++) {
        n = snprintf(name, sizeof(name), MD_SCRATCH_PREFIX "%ld_%u", (long)getpid(),
                     __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
        if (n < 0 || (size_t)n >= size)
            return md_error(err, STRATA_USAGE,
                            "no room for the scratch database's name (%zu bytes, %d needed)", size,
                            n + 1);
        snprintf(sql, sizeof(sql), "CREATE DATABASE `%s`%s%s%s%s", name,
                 cs.set[0] != '\0' ? " CHARACTER SET " : "", cs.set,
                 cs.collation[0] != '\0' ? " COLLATE " : "", cs.collation);
        rc = md_exec(c, sql, strlen(sql), err);
        if (rc == STRATA_OK) {
            snprintf(name_out, size, "%s", name);
            return STRATA_OK;
        }
        if (mysql_errno(c->mysql) != ER_DB_CREATE_EXISTS)
            goto fail;
    }
    return md_error(err, STRATA_ERROR,
                    "cannot create a scratch database: %d names " MD_SCRATCH_PREFIX
                    "%ld_... exist already",
                    MD_SCRATCH_TRIES, (long)getpid());

fail:
    if (err != NULL)
        err->status = STRATA_ERROR;
    return md_prefix(err, "cannot create a scratch database", STRATA_ERROR);
}

/* The ids of the other sessions whose current database is the one dropped. */
typedef struct md_sessions {
    long id[MD_SCRATCH_KILLS];
    int n;
} md_sessions;

static int
md_session_row(void *ctx, int ncols, const char *const *v)
{
    md_sessions *ss = ctx;

    if (ncols >= 1 && v[0] != NULL && ss->n < MD_SCRATCH_KILLS)
        ss->id[ss->n++] = strtol(v[0], NULL, 10);
    return ss->n >= MD_SCRATCH_KILLS;
}

/*
 * Drops a database md_scratch_create() made; refuses any name not starting
 * "strata_scratch_". A session left in it holds no lock that stops DROP DATABASE unless a
 * transaction of its touched a table: the sessions using it that this account may see and
 * kill are killed first, as PostgreSQL's WITH (FORCE) does (what fails there is ignored).
 */
static int
md_scratch_drop(strata_conn *c, const char *name, strata_error *err)
{
    char quoted[MD_QUOTED_NAME_MAX], lit[sizeof(quoted)], sql[sizeof(lit) + 128];
    md_sessions ss;
    int i, rc;

    if (name == NULL || strncmp(name, MD_SCRATCH_PREFIX, strlen(MD_SCRATCH_PREFIX)) != 0 ||
        name[strlen(MD_SCRATCH_PREFIX)] == '\0')
        return md_error(err, STRATA_USAGE,
                        "refusing to drop the database \"%.200s\": not a scratch database (their "
                        "names start with " MD_SCRATCH_PREFIX ")",
                        name != NULL ? name : "");
    if (md_quote_ident(c, name, quoted, sizeof(quoted)) >= sizeof(quoted) ||
        md_quote_literal(c, name, lit, sizeof(lit)) >= sizeof(lit))
        return md_error(err, STRATA_USAGE, "invalid scratch database name \"%.200s\"", name);
    memset(&ss, 0, sizeof(ss));
    snprintf(sql, sizeof(sql),
             "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> "
             "CONNECTION_ID()",
             lit);
    if (md_query(c, sql, md_session_row, &ss, NULL) == STRATA_OK) {
        for (i = 0; i < ss.n; i++) {
            snprintf(sql, sizeof(sql), "KILL CONNECTION %ld", ss.id[i]);
            md_exec(c, sql, strlen(sql), NULL);
        }
    }
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", quoted);
    rc = md_exec(c, sql, strlen(sql), err);
    if (rc == STRATA_OK)
        return STRATA_OK;
    if (err != NULL)
        err->status = STRATA_ERROR;
    return md_prefix(err, "cannot drop the scratch database", STRATA_ERROR);
}

/* ---- the driver ---- */

static const char *const md_schemes[] = {"mysql", "mariadb", NULL};
static const char *const md_dialect_aliases[] = {"mariadb", NULL};

/* Statements sent together run one by one, each committing on its own, and stop at the
 * first error (CLIENT_MULTI_STATEMENTS): a checkpoint travels with its statement. */
#define MD_CAPS                                                                                    \
    (STRATA_CAP_ADVISORY_LOCK | STRATA_CAP_SCHEMAS | STRATA_CAP_AUTOCOMMIT_BATCH |                 \
     STRATA_CAP_SCRATCH_DB)

/* Whether the session's sql_mode has NO_BACKSLASH_ESCAPES: 1 yes, 0 no, -1 on error. */
static int
md_no_backslash_escapes(strata_conn *c, strata_error *err)
{
    md_text mode = {""};
    int rc = md_query(c, "SELECT @@SESSION.sql_mode", md_first_text, &mode, err);

    if (rc != STRATA_OK)
        return -1;
    return strstr(mode.buf, "NO_BACKSLASH_ESCAPES") != NULL;
}

/*
 * Statements that change how the session's transactions work: a script holding one is not
 * wrapped in BEGIN ... COMMIT with its checkpoints (BEGIN would release LOCK TABLES).
 */
static const char *const md_no_transaction[] = {
    "LOCK TABLES",
    "LOCK TABLE",
    "UNLOCK TABLES",
    "UNLOCK TABLE",
    "SET autocommit",
    "SET SESSION autocommit",
    "SET TRANSACTION",
    "SET SESSION TRANSACTION",
    "XA",
    NULL,
};

/* Statements that never commit implicitly: a row of them runs in one transaction. */
static const char *const md_transactional[] = {"INSERT", "UPDATE", "DELETE", "REPLACE", NULL};

static int
md_describe_offline(strata_describe *out, strata_error *err)
{
    (void)err;
    out->dialect = "mysql";
    out->dialect_aliases = md_dialect_aliases;
    out->caps = MD_CAPS;
    /* the server's default sql_mode has no NO_BACKSLASH_ESCAPES */
    out->lexer_rules = STRATA_LEX_BACKTICKS | STRATA_LEX_HASH_COMMENTS | STRATA_LEX_DELIMITER |
                       STRATA_LEX_BLOCKS | STRATA_LEX_EXEC_COMMENTS | STRATA_LEX_DASH_NEEDS_SPACE |
                       STRATA_LEX_BACKSLASH_ESCAPES;
    out->no_transaction_patterns = md_no_transaction;
    if (out->size >=
        offsetof(strata_describe, transactional_statements) + sizeof(out->transactional_statements))
        out->transactional_statements = md_transactional;
    out->home_schema = "";
    out->types[STRATA_TYPE_STRING] = "VARCHAR({n})";
    out->types[STRATA_TYPE_TEXT] = "TEXT";
    out->types[STRATA_TYPE_INTEGER] = "INT";
    out->types[STRATA_TYPE_BIGINT] = "BIGINT";
    /* DATETIME renders back exactly as written, in no time zone (TIMESTAMP would convert) */
    out->types[STRATA_TYPE_TIMESTAMP] = "DATETIME";
    out->types[STRATA_TYPE_SERIAL] = "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY";
    out->table_options = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
    return STRATA_OK;
}

/* The defaults, refined by the session's sql_mode and the database it landed in. */
static int
md_describe(strata_conn *c, strata_describe *out, strata_error *err)
{
    int nbe = md_no_backslash_escapes(c, err);

    if (nbe < 0)
        return err != NULL ? err->status : STRATA_ERROR;
    int rc = md_describe_offline(out, err);
    if (nbe)
        out->lexer_rules &= ~STRATA_LEX_BACKSLASH_ESCAPES;
    out->home_schema = c->home != NULL ? c->home : "";
    return rc;
}

/*
 * TIMESTAMP columns render in the session's time zone: while on, the session's zone is
 * UTC, and the zone it had is put back when turned off.
 */
static int
md_utc_timestamps(strata_conn *c, int on, strata_error *err)
{
    md_text zone = {""};
    char quoted[2 * sizeof(zone.buf) + 3], sql[sizeof(quoted) + 32];
    int rc;

    if (on && c->saved_zone != NULL)
        return STRATA_OK; /* on already: keep the zone it had before */
    if (on) {
        rc = md_query(c, "SELECT @@SESSION.time_zone", md_first_text, &zone, err);
        if (rc != STRATA_OK)
            return rc;
        if ((c->saved_zone = strdup(zone.buf)) == NULL)
            return md_error(err, STRATA_ERROR, "out of memory");
        return md_exec(c, "SET time_zone = '+00:00'", strlen("SET time_zone = '+00:00'"), err);
    }
    if (c->saved_zone == NULL)
        return STRATA_OK;
    if (md_quote_literal(c, c->saved_zone, quoted, sizeof(quoted)) >= sizeof(quoted))
        return md_error(err, STRATA_ERROR, "cannot quote the time zone %s", c->saved_zone);
    snprintf(sql, sizeof(sql), "SET time_zone = %s", quoted);
    free(c->saved_zone);
    c->saved_zone = NULL;
    return md_exec(c, sql, strlen(sql), err);
}

static const strata_driver md_driver = {
    .abi_version = STRATA_DRIVER_ABI,
    .size = sizeof(strata_driver),
    .name = "mysql",
    .version = MD_VERSION,
    .client_version = MD_CLIENT_VERSION,
    .url_shape = STRATA_URL_SERVER,
    .schemes = md_schemes,
    .dialect = "mysql",
    .dialect_aliases = md_dialect_aliases,
    .caps = MD_CAPS,
    .password_env = "MYSQL_PWD",
    .connect = md_connect,
    .close = md_close,
    .describe = md_describe,
    .server_version = md_server_version,
    .exec = md_exec,
    .query = md_query,
    .begin = md_begin,
    .commit = md_commit,
    .rollback = md_rollback,
    .quote_ident = md_quote_ident,
    .quote_literal = md_quote_literal,
    .lock = md_lock,
    .unlock = md_unlock,
    .session_reset_sql = md_session_reset_sql,
    .utc_timestamps = md_utc_timestamps,
    .backup = md_backup,
    .snapshot = md_snapshot,
    .scratch_create = md_scratch_create,
    .scratch_drop = md_scratch_drop,
    .describe_offline = md_describe_offline,
};

/*
 * The one exported symbol. Initialises the client library once (the loader calls the entry
 * under its lock, so no other thread is in here).
 */
STRATA_DRIVER_EXPORT const strata_driver *
strata_driver_entry(const strata_host *host)
{
    static int library_ready;

    if (host == NULL || host->size < offsetof(strata_host, log) + sizeof(host->log))
        return NULL;
    if (host->abi_version != STRATA_DRIVER_ABI) {
        host->log(STRATA_LOG_ERROR, "mysql: the core speaks driver ABI %u, this driver %u",
                  (unsigned)host->abi_version, (unsigned)STRATA_DRIVER_ABI);
        return NULL;
    }
    if (!library_ready) {
        if (mysql_library_init(0, NULL, NULL) != 0) {
            host->log(STRATA_LOG_ERROR, "mysql: cannot initialise the client library");
            return NULL;
        }
        library_ready = 1;
    }
    md_host = host;
    return &md_driver;
}
