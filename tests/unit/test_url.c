#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include <strata/driver.h>
#include <strata/types.h>

#include "testutil.h"
#include "url.h"

/*
 * Parses text as a URL of the given shape (STRATA_URL_SERVER, _FILE or _OPAQUE), which must
 * succeed and keep the text as given in raw; returns the URL (free with strata_url_free).
 */
static strata_url *
parse_shape_ok(const char *text, int shape)
{
    strata_url *url = (strata_url *)0x1;
    strata_error err = STRATA_ERROR_INIT;
    int rc;

    rc = strata_url_parse(text, shape, &url, &err);
    CU_ASSERT_EQUAL(rc, STRATA_OK);
    if (rc != STRATA_OK) {
        fprintf(stderr, "\n  unexpected failure for %s: %s\n", text, err.message);
        return NULL;
    }
    CU_ASSERT_PTR_NOT_NULL(url);
    if (url != NULL)
        ASSERT_STR(url->raw, text);
    return url;
}

/* A server URL (scheme://user@host/db) that must parse. */
static strata_url *
parse_ok(const char *text)
{
    return parse_shape_ok(text, STRATA_URL_SERVER);
}

/* A file URL (scheme:path) that must parse. */
static strata_url *
parse_file_ok(const char *text)
{
    return parse_shape_ok(text, STRATA_URL_FILE);
}

/*
 * Parses text as a URL of the given shape, which must fail with STRATA_USAGE, leave the out
 * pointer NULL and fill err, whose size it keeps, with a message holding needle (when not
 * NULL) and none of the secrets (NULL-terminated).
 */
static void
parse_shape_fails(const char *text, int shape, const char *needle, const char *const *secrets)
{
    strata_url *url = (strata_url *)0x1;
    strata_error err = STRATA_ERROR_INIT;
    int rc;

    memset(&err, 'x', sizeof(err));
    err.size = sizeof(err);
    rc = strata_url_parse(text, shape, &url, &err);
    CU_ASSERT_EQUAL(rc, STRATA_USAGE);
    CU_ASSERT_PTR_NULL(url);
    CU_ASSERT_EQUAL(err.status, STRATA_USAGE);
    CU_ASSERT_STRING_EQUAL(err.sqlstate, "");
    CU_ASSERT_STRING_EQUAL(err.detail, "");
    CU_ASSERT_STRING_EQUAL(err.hint, "");
    CU_ASSERT_EQUAL(err.native_code, 0);
    CU_ASSERT_EQUAL(err.position, 0);
    CU_ASSERT_PTR_NOT_NULL(memchr(err.message, '\0', sizeof(err.message)));
    CU_ASSERT_PTR_NULL(strchr(err.message, '\n'));
    if (needle != NULL && strstr(err.message, needle) == NULL) {
        fprintf(stderr, "\n  message for %s lacks \"%s\": %s\n", text, needle, err.message);
        CU_FAIL("message lacks the expected text");
    }
    for (; secrets != NULL && *secrets != NULL; secrets++) {
        if (strstr(err.message, *secrets) != NULL) {
            fprintf(stderr, "\n  message for %s leaks \"%s\": %s\n", text, *secrets, err.message);
            CU_FAIL("message leaks a secret");
        }
    }
    if (rc == STRATA_OK)
        strata_url_free(url);
}

/* A server URL that must be refused; see parse_shape_fails. */
static void
parse_fails(const char *text, const char *needle, const char *const *secrets)
{
    parse_shape_fails(text, STRATA_URL_SERVER, needle, secrets);
}

/* A file URL that must be refused; see parse_shape_fails. */
static void
parse_file_fails(const char *text, const char *needle, const char *const *secrets)
{
    parse_shape_fails(text, STRATA_URL_FILE, needle, secrets);
}

/* Redacts text into a large buffer and checks the result and the returned length. */
static void
redacts_to(const char *text, const char *expected)
{
    char buf[512];
    size_t n = strata_url_redact(text, buf, sizeof(buf));

    CU_ASSERT_STRING_EQUAL(buf, expected);
    CU_ASSERT_EQUAL(n, strlen(expected));
    if (strcmp(buf, expected) != 0)
        fprintf(stderr, "\n  redact(%s) = %s, expected %s\n", text, buf, expected);
}

/* ---- file URLs ---- */

static void
check_file(const char *text, const char *scheme, const char *path)
{
    strata_url *url = parse_file_ok(text);

    if (url == NULL)
        return;
    ASSERT_STR(url->scheme, scheme);
    ASSERT_STR(url->database, path);
    ASSERT_STR(url->host, NULL);
    ASSERT_STR(url->user, NULL);
    ASSERT_STR(url->password, NULL);
    CU_ASSERT_EQUAL(url->port, 0);
    CU_ASSERT_EQUAL(url->nparams, 0);
    ASSERT_STR(url->redacted, text);
    ASSERT_STR(url->opaque, NULL);
    strata_url_free(url);
}

/* The file shape, whatever the scheme: the core names no driver. */
static void
test_file_forms(void)
{
    check_file("sqlite:strata.db", "sqlite", "strata.db");
    check_file("sqlite:dir/strata.db", "sqlite", "dir/strata.db");
    check_file("sqlite:/abs/path.db", "sqlite", "/abs/path.db");
    check_file("sqlite:///abs/path.db", "sqlite", "/abs/path.db");
    check_file("sqlite://rel/path.db", "sqlite", "rel/path.db");
    check_file("sqlite::memory:", "sqlite", ":memory:");
    check_file("sqlite://:memory:", "sqlite", ":memory:");
    check_file("sqlite3:strata.db", "sqlite3", "strata.db");
    check_file("sqlite3:///abs.db", "sqlite3", "/abs.db");
    check_file("sqlite:my%20db%3F.db", "sqlite", "my db?.db");
    /* any driver's scheme: DuckDB, a file database the core knows nothing about */
    check_file("duckdb:///abs/x.db", "duckdb", "/abs/x.db");
    check_file("duckdb:rel/x.db", "duckdb", "rel/x.db");
    check_file("DuckDB::memory:", "duckdb", ":memory:");
    /* in the file shape, what looks like a userinfo is part of the path (redaction, which
     * knows no shapes, still hides what may be a password) */
    strata_url *url = parse_file_ok("duckdb://u:p@h/x.db");
    if (url == NULL)
        return;
    ASSERT_STR(url->database, "u:p@h/x.db");
    ASSERT_STR(url->user, NULL);
    ASSERT_STR(url->password, NULL);
    ASSERT_STR(url->redacted, "duckdb://u:***@h/x.db");
    strata_url_free(url);
    url = parse_file_ok("sqlite:a+b@c.db");
    if (url == NULL)
        return;
    ASSERT_STR(url->database, "a+b@c.db");
    ASSERT_STR(url->user, NULL);
    ASSERT_STR(url->redacted, "sqlite:***@c.db"); /* as "mysql:a+b@c" would be */
    strata_url_free(url);
}

static void
test_file_scheme_case(void)
{
    strata_url *url = parse_file_ok("SQLite3:Data.DB");

    if (url == NULL)
        return;
    ASSERT_STR(url->scheme, "sqlite3");
    ASSERT_STR(url->database, "Data.DB");
    ASSERT_STR(url->redacted, "SQLite3:Data.DB");
    strata_url_free(url);
}

static void
test_file_params(void)
{
    strata_url *url = parse_file_ok("sqlite:///var/db/app.db?mode=ro&cache=shared&journal");

    if (url == NULL)
        return;
    ASSERT_STR(url->database, "/var/db/app.db");
    CU_ASSERT_EQUAL(url->nparams, 3);
    ASSERT_STR(url->params[0].key, "mode");
    ASSERT_STR(url->params[0].value, "ro");
    ASSERT_STR(url->params[1].key, "cache");
    ASSERT_STR(url->params[1].value, "shared");
    ASSERT_STR(url->params[2].key, "journal");
    ASSERT_STR(url->params[2].value, "");
    ASSERT_STR(strata_url_param_value(url, "mode"), "ro");
    ASSERT_STR(strata_url_param_value(url, "journal"), "");
    ASSERT_STR(strata_url_param_value(url, "missing"), NULL);
    strata_url_free(url);

    url = parse_file_ok("sqlite::memory:?cache=shared");
    if (url == NULL)
        return;
    ASSERT_STR(url->database, ":memory:");
    ASSERT_STR(strata_url_param_value(url, "cache"), "shared");
    strata_url_free(url);
}

/* ---- network URLs ---- */

static void
test_net_full(void)
{
    strata_url *url = parse_ok(
        "PostgreSQL://alice:s3cret@db.example.com:6543/app?sslmode=require&application_name=x");

    if (url == NULL)
        return;
    ASSERT_STR(url->scheme, "postgresql");
    ASSERT_STR(url->user, "alice");
    ASSERT_STR(url->password, "s3cret");
    ASSERT_STR(url->host, "db.example.com");
    CU_ASSERT_EQUAL(url->port, 6543);
    ASSERT_STR(url->database, "app");
    CU_ASSERT_EQUAL(url->nparams, 2);
    ASSERT_STR(strata_url_param_value(url, "sslmode"), "require");
    ASSERT_STR(strata_url_param_value(url, "application_name"), "x");
    ASSERT_STR(url->redacted, "PostgreSQL://alice:***@db.example.com:6543/app?sslmode=require&"
                              "application_name=x");
    strata_url_free(url);
}

static void
check_net(const char *text, const char *user, const char *password, const char *host, int port,
          const char *database)
{
    strata_url *url = parse_ok(text);

    if (url == NULL)
        return;
    ASSERT_STR(url->user, user);
    ASSERT_STR(url->password, password);
    ASSERT_STR(url->host, host);
    CU_ASSERT_EQUAL(url->port, port);
    ASSERT_STR(url->database, database);
    strata_url_free(url);
}

static void
test_net_partial(void)
{
    check_net("postgres://", NULL, NULL, NULL, 0, NULL);
    check_net("postgres:///app", NULL, NULL, NULL, 0, "app");
    check_net("postgres://host", NULL, NULL, "host", 0, NULL);
    check_net("postgres://host/", NULL, NULL, "host", 0, NULL);
    check_net("postgres://host:1", NULL, NULL, "host", 1, NULL);
    check_net("postgres://host:65535/db", NULL, NULL, "host", 65535, "db");
    check_net("postgres://:5432/db", NULL, NULL, NULL, 5432, "db");
    check_net("mysql://bob@h", "bob", NULL, "h", 0, NULL);
    check_net("mysql://bob@/db", "bob", NULL, NULL, 0, "db");
    check_net("mysql://bob:@h", "bob", NULL, "h", 0, NULL);
    check_net("mysql://:pw@h", NULL, "pw", "h", 0, NULL);
    check_net("postgres://h/a/b", NULL, NULL, "h", 0, "a/b");
    check_net("postgres://h?sslmode=disable", NULL, NULL, "h", 0, NULL);
    check_net("postgres://h/?x=1", NULL, NULL, "h", 0, NULL);
    check_net("postgres://h:05432/db", NULL, NULL, "h", 5432, "db");
}

static void
test_net_ipv6(void)
{
    strata_url *url;

    check_net("postgres://u@[::1]:5433/db", "u", NULL, "::1", 5433, "db");
    check_net("postgres://[2001:db8::7]/db", NULL, NULL, "2001:db8::7", 0, "db");
    check_net("postgres://[fe80::1%25eth0]:5432", NULL, NULL, "fe80::1%eth0", 5432, NULL);
    url = parse_ok("mysql://u:p@[::ffff:10.0.0.1]:3306/shop?ssl=1");
    if (url == NULL)
        return;
    ASSERT_STR(url->host, "::ffff:10.0.0.1");
    ASSERT_STR(url->password, "p");
    ASSERT_STR(url->redacted, "mysql://u:***@[::ffff:10.0.0.1]:3306/shop?ssl=1");
    strata_url_free(url);
}

static void
test_net_percent(void)
{
    strata_url *url = parse_ok("postgres://a%40b:p%3Aw%2Fd%40x@h%2Dx/my%20db?k%3D=v%26w");

    if (url == NULL)
        return;
    ASSERT_STR(url->user, "a@b");
    ASSERT_STR(url->password, "p:w/d@x");
    ASSERT_STR(url->host, "h-x");
    ASSERT_STR(url->database, "my db");
    ASSERT_STR(strata_url_param_value(url, "k="), "v&w");
    ASSERT_STR(url->redacted, "postgres://a%40b:***@h%2Dx/my%20db?k%3D=v%26w");
    strata_url_free(url);

    /* '+' is a literal plus, lowercase hex works. */
    url = parse_ok("postgres://u+1:a+b%2b@h/d+b?opt=a+b&x=%7e");
    if (url == NULL)
        return;
    ASSERT_STR(url->user, "u+1");
    ASSERT_STR(url->password, "a+b+");
    ASSERT_STR(url->database, "d+b");
    ASSERT_STR(strata_url_param_value(url, "opt"), "a+b");
    ASSERT_STR(strata_url_param_value(url, "x"), "~");
    strata_url_free(url);
}

static void
test_net_last_at(void)
{
    /* The userinfo ends at the last '@' before the path. */
    check_net("mysql://u:se@cr@et@h/db", "u", "se@cr@et", "h", 0, "db");
    check_net("postgres://a@b@h:7/db@x", "a@b", NULL, "h", 7, "db@x");
    /* An unencoded '/' or '?' in a password is still recognised as part of it. */
    check_net("postgres://u:p/w@h/db", "u", "p/w", "h", 0, "db");
    check_net("postgres://u:a?b@h:5/db?x=1", "u", "a?b", "h", 5, "db");
    /* A raw '@' and '/' in a password: the userinfo ends at the '@' before "host/path". */
    check_net("postgres://adv:p@ss/Secret@host/db", "adv", "p@ss/Secret", "host", 0, "db");
    check_net("mysql://u:a/b@c/d@h:3306/db?x=1", "u", "a/b@c/d", "h", 3306, "db");
    redacts_to("postgres://adv:p@ss/Secret@host/db", "postgres://adv:***@host/db");
    /* ...but never changes the meaning of a valid URL. */
    check_net("postgres://h:5432/my@db", NULL, NULL, "h", 5432, "my@db");
    check_net("postgres://h/db?app=a@b", NULL, NULL, "h", 0, "db");
    check_net("postgres://u@h/my@db", "u", NULL, "h", 0, "my@db");
    /* With a password, an '@' left in the path is ambiguous: refused, and nothing of the
     * password shown (p@ss/word may be the password, or ss the host). */
    static const char *const pass[] = {"p@ss", "ss/word", NULL};
    parse_fails("postgres://u:p@ss/word@host", "has an '@' after the host", pass);
    parse_fails("postgres://u:p@ss/word@host", "percent-encode '@' as %40", pass);
    redacts_to("postgres://u:p@ss/word@host", "postgres://***@host");
    redacts_to("postgres://u:p@ss/word@host?sslmode=require",
               "postgres://***@host?sslmode=require");
}

static void
test_net_params(void)
{
    strata_url *url = parse_ok("postgres://h/db?a=1&&b&c=&a=2&d=x=y&");

    if (url == NULL)
        return;
    CU_ASSERT_EQUAL(url->nparams, 5);
    ASSERT_STR(url->params[0].key, "a");
    ASSERT_STR(url->params[0].value, "1");
    ASSERT_STR(url->params[1].key, "b");
    ASSERT_STR(url->params[1].value, "");
    ASSERT_STR(url->params[2].key, "c");
    ASSERT_STR(url->params[2].value, "");
    ASSERT_STR(url->params[3].key, "a");
    ASSERT_STR(url->params[3].value, "2");
    ASSERT_STR(url->params[4].key, "d");
    ASSERT_STR(url->params[4].value, "x=y");
    ASSERT_STR(strata_url_param_value(url, "a"), "1");
    ASSERT_STR(strata_url_param_value(url, "A"), NULL);
    ASSERT_STR(strata_url_param_value(url, NULL), NULL);
    ASSERT_STR(strata_url_param_value(NULL, "a"), NULL);
    strata_url_free(url);

    url = parse_ok("postgres://u:pw@h/db?password=qp&sslmode=verify-full");
    if (url == NULL)
        return;
    ASSERT_STR(strata_url_param_value(url, "password"), "qp");
    ASSERT_STR(url->redacted, "postgres://u:***@h/db?password=***&sslmode=verify-full");
    strata_url_free(url);
}

static void
test_net_other_schemes(void)
{
    strata_url *url = parse_ok("mariadb://root@localhost:3307/test");

    if (url == NULL)
        return;
    ASSERT_STR(url->scheme, "mariadb");
    ASSERT_STR(url->user, "root");
    CU_ASSERT_EQUAL(url->port, 3307);
    strata_url_free(url);
    check_net("my+driver.v2://h/db", NULL, NULL, "h", 0, "db");
}

/* Several hosts stay one list, as written, for the driver to split; the port is 0. */
static void
test_net_several_hosts(void)
{
    strata_url *url = parse_ok("postgres://u@h1:5432,h2:5433/db");

    if (url == NULL)
        return;
    ASSERT_STR(url->user, "u");
    ASSERT_STR(url->host, "h1:5432,h2:5433");
    CU_ASSERT_EQUAL(url->port, 0);
    ASSERT_STR(url->database, "db");
    strata_url_free(url);
    check_net("postgres://u:pw@h1,h2,[::1]:7/db?target_session_attrs=read-write", "u", "pw",
              "h1,h2,[::1]:7", 0, "db");
    check_net("postgres://h1:5432,h2:5433/db", NULL, NULL, "h1:5432,h2:5433", 0, "db");
    redacts_to("postgres://u:secret@h1:5432,h2:5433/db", "postgres://u:***@h1:5432,h2:5433/db");
    /* an '@' in the database name is the database's, as it is with one host */
    check_net("postgres://h:5432/my@db", NULL, NULL, "h", 5432, "my@db");
    url = parse_ok("postgres://h1:5432,h2:5433/my@db");
    if (url == NULL)
        return;
    if (url->user != NULL)
        fprintf(stderr,
                "\n  REGRESSION (core/config/url.c, url_authority/url_bad_hostport): "
                "postgres://h1:5432,h2:5433/my@db parses as user \"%s\", password \"%s\", "
                "host \"%s\"\n",
                url->user, url->password ? url->password : "(null)",
                url->host ? url->host : "(null)");
    ASSERT_STR(url->user, NULL);
    ASSERT_STR(url->password, NULL);
    ASSERT_STR(url->host, "h1:5432,h2:5433");
    ASSERT_STR(url->database, "my@db");
    ASSERT_STR(url->redacted, "postgres://h1:5432,h2:5433/my@db");
    strata_url_free(url);
}

/* raw is the text as given, secrets and case included; redacted hides the secrets. */
static void
test_raw(void)
{
    strata_url *url = parse_ok("PostgreSQL://u:s3cret@H/db?password=x&sslmode=require");

    if (url == NULL)
        return;
    ASSERT_STR(url->raw, "PostgreSQL://u:s3cret@H/db?password=x&sslmode=require");
    ASSERT_STR(url->redacted, "PostgreSQL://u:***@H/db?password=***&sslmode=require");
    ASSERT_STR(url->scheme, "postgresql");
    ASSERT_STR(url->opaque, NULL);
    strata_url_free(url);
}

/* ---- opaque URLs ---- */

/* The text after "scheme:" is the driver's, handed over as written; only redacted. */
static void
test_opaque(void)
{
    static const char odbc[] =
        "odbc:Driver={PostgreSQL Unicode};Server=db;Port=5432;Uid=app;Pwd=s3cret;Database=x";
    strata_url *url = parse_shape_ok(odbc, STRATA_URL_OPAQUE);

    if (url == NULL)
        return;
    ASSERT_STR(url->scheme, "odbc");
    ASSERT_STR(url->opaque,
               "Driver={PostgreSQL Unicode};Server=db;Port=5432;Uid=app;Pwd=s3cret;Database=x");
    ASSERT_STR(url->raw, odbc);
    ASSERT_STR(url->redacted,
               "odbc:Driver={PostgreSQL Unicode};Server=db;Port=5432;Uid=app;Pwd=***;Database=x");
    /* nothing of it is the core's to read */
    ASSERT_STR(url->user, NULL);
    ASSERT_STR(url->password, NULL);
    ASSERT_STR(url->host, NULL);
    ASSERT_STR(url->database, NULL);
    CU_ASSERT_EQUAL(url->port, 0);
    CU_ASSERT_EQUAL(url->nparams, 0);
    strata_url_free(url);

    /* a DSN, text that would be a bad server URL, and nothing at all are all the driver's */
    url = parse_shape_ok("ODBC:DSN=prod", STRATA_URL_OPAQUE);
    if (url != NULL)
        ASSERT_STR(url->opaque, "DSN=prod");
    strata_url_free(url);
    url = parse_shape_ok("odbc://h:notaport/db?x=%zz", STRATA_URL_OPAQUE);
    if (url != NULL)
        ASSERT_STR(url->opaque, "//h:notaport/db?x=%zz");
    strata_url_free(url);
    url = parse_shape_ok("odbc:", STRATA_URL_OPAQUE);
    if (url != NULL)
        ASSERT_STR(url->opaque, "");
    strata_url_free(url);
    /* a scheme is still needed to find the driver */
    parse_shape_fails("DSN=prod;PWD=hunter2", STRATA_URL_OPAQUE, "has no scheme",
                      (const char *const[]){"hunter2", NULL});
}

/* pwd= and password= in ';'-separated ODBC strings, in any case, are hidden. */
static void
test_redact_odbc(void)
{
    char buf[128];

    redacts_to("odbc:Driver=x;Uid=u;Pwd=s3cret", "odbc:Driver=x;Uid=u;Pwd=***");
    redacts_to("odbc:Driver=x;UID=u;PWD=s3cret;Server=h", "odbc:Driver=x;UID=u;PWD=***;Server=h");
    redacts_to("odbc:DSN=prod;pwd=a;PASSWORD=b;", "odbc:DSN=prod;pwd=***;PASSWORD=***;");
    /* the first attribute right after "scheme:" is an attribute like the others */
    strata_url_redact("odbc:Password=s3cret;Uid=u", buf, sizeof(buf));
    if (strstr(buf, "s3cret") != NULL)
        fprintf(stderr,
                "\n  REGRESSION (core/config/url.c, strata_url_redact): the first ODBC attribute "
                "is read with the scheme as its key: odbc:Password=s3cret;Uid=u redacts to %s\n",
                buf);
    redacts_to("odbc:Password=s3cret;Uid=u", "odbc:Password=***;Uid=u");
    redacts_to("odbc:PWD=s3cret", "odbc:PWD=***");
    redacts_to("odbc:Uid=u; Pwd=s3cret ;Server=h", "odbc:Uid=u; Pwd=***;Server=h");
    redacts_to("odbc:DSN=prod;Pwd=", "odbc:DSN=prod;Pwd=");
    redacts_to("odbc:Uid=pwd;Server=password", "odbc:Uid=pwd;Server=password");
}

/*
 * ODBC values in braces may hold ';' (and any value may hold blanks): the whole value is the
 * password, and none of it may show.
 */
static void
test_redact_odbc_braces(void)
{
    static const char *const texts[] = {
        "odbc:Uid=u;Pwd={se;cret};Server=h",
        "odbc:Uid=u;Pwd={se cret};Server=h",
        "odbc:Uid=u;Pwd=se cret;Server=h",
        NULL,
    };
    char buf[256];

    for (size_t i = 0; texts[i] != NULL; i++) {
        strata_url_redact(texts[i], buf, sizeof(buf));
        if (strstr(buf, "cret") != NULL)
            fprintf(stderr,
                    "\n  REGRESSION (core/config/url.c, strata_url_redact/redact_pairs): "
                    "%s redacts to %s\n",
                    texts[i], buf);
        ASSERT_LACKS(buf, "cret");
        ASSERT_CONTAINS(buf, "Server=h");
    }
}

/* ---- schemes ---- */

/* strata_url_scheme, which picks the driver: the scheme of any text, lower case. */
static void
test_scheme(void)
{
    char buf[16], small[4];

    ASSERT_STR(strata_url_scheme("PostgreSQL://h/db", buf, sizeof(buf)), "postgresql");
    CU_ASSERT_PTR_EQUAL(strata_url_scheme("sqlite:x.db", buf, sizeof(buf)), buf);
    ASSERT_STR(buf, "sqlite");
    ASSERT_STR(strata_url_scheme("duckdb:///abs/x.db", buf, sizeof(buf)), "duckdb");
    ASSERT_STR(strata_url_scheme("odbc:DSN=x", buf, sizeof(buf)), "odbc");
    ASSERT_STR(strata_url_scheme("my+driver.v2-x://h", buf, sizeof(buf)), "my+driver.v2-x");
    ASSERT_STR(strata_url_scheme("strata.db", buf, sizeof(buf)), NULL);
    ASSERT_STR(strata_url_scheme(":memory:", buf, sizeof(buf)), NULL);
    ASSERT_STR(strata_url_scheme("1pg://h", buf, sizeof(buf)), NULL);
    ASSERT_STR(strata_url_scheme("", buf, sizeof(buf)), NULL);
    ASSERT_STR(strata_url_scheme(NULL, buf, sizeof(buf)), NULL);
    /* what does not fit is no scheme, never a cut one */
    ASSERT_STR(strata_url_scheme("pg:x", small, sizeof(small)), "pg");
    ASSERT_STR(strata_url_scheme("abc:x", small, sizeof(small)), "abc");
    ASSERT_STR(strata_url_scheme("abcd:x", small, sizeof(small)), NULL);
    ASSERT_STR(strata_url_scheme("sqlite:x", small, sizeof(small)), NULL);
}

/* ---- a password given apart from the URL ---- */

/* strata_url_set_password gives the connection the password; raw and redacted stay. */
static void
test_set_password(void)
{
    strata_url *url = parse_ok("mysql://root@localhost:3306/test");

    if (url == NULL)
        return;
    CU_ASSERT_EQUAL(strata_url_set_password(url, "p@ss:w/rd"), STRATA_OK);
    ASSERT_STR(url->password, "p@ss:w/rd");
    ASSERT_STR(url->user, "root");
    ASSERT_STR(url->raw, "mysql://root@localhost:3306/test");
    ASSERT_STR(url->redacted, "mysql://root@localhost:3306/test");
    /* a second call replaces the first */
    CU_ASSERT_EQUAL(strata_url_set_password(url, "other"), STRATA_OK);
    ASSERT_STR(url->password, "other");
    strata_url_free(url);
}

/* ---- errors ---- */

static void
test_error_no_scheme(void)
{
    static const char *const secrets[] = {"hunter2", NULL};
    strata_url *url = (strata_url *)0x1;
    strata_error err = STRATA_ERROR_INIT;

    parse_fails("strata.db",
                "database URL 'strata.db' has no scheme; expected SCHEME:PATH for a file "
                "database or SCHEME://user@host/db for a server (`strata drivers` lists the "
                "schemes)",
                NULL);
    parse_file_fails("strata.db", "has no scheme", NULL);
    parse_shape_fails("strata.db", STRATA_URL_OPAQUE, "has no scheme", NULL);
    parse_fails("", "database URL '' has no scheme", NULL);
    parse_fails(":memory:", "has no scheme", NULL);
    parse_fails("/abs/path.db", "has no scheme", NULL);
    parse_fails("1pg://h/db", "has no scheme", NULL);
    parse_fails("//u:hunter2@h/db", "'//u:***@h/db' has no scheme", secrets);
    parse_fails("127.0.0.1:5432/db", "has no scheme", NULL);
    parse_fails("host=h password=hunter2", "'host=h password=***' has no scheme", secrets);
    parse_fails("host=h password='hun ter2'", "'host=h password=***' has no scheme", NULL);

    CU_ASSERT_EQUAL(strata_url_parse(NULL, STRATA_URL_SERVER, &url, &err), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(url);
    CU_ASSERT_EQUAL(err.status, STRATA_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no database URL"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "`strata drivers`"));
    /* A NULL err is tolerated. */
    url = (strata_url *)0x1;
    CU_ASSERT_EQUAL(strata_url_parse("nope", STRATA_URL_SERVER, &url, NULL), STRATA_USAGE);
    CU_ASSERT_PTR_NULL(url);
}

static void
test_error_bad_port(void)
{
    static const char *const secrets[] = {"hunter2", NULL};
    static const char *const numeric_secret[] = {"123456", NULL};
    static const char *const bad[] = {
        "postgres://h:0/db",    "postgres://h:65536/db",    "postgres://h:99999999999999999999/db",
        "postgres://h:12a/db",  "postgres://h:-1/db",       "postgres://h:/db",
        "postgres://[::1]:/db", "postgres://[::1]:http/db", NULL};

    for (const char *const *t = bad; *t != NULL; t++)
        parse_fails(*t, "has a port that is not a number from 1 to 65535", NULL);
    parse_fails("postgres://u:hunter2@h:54x32/db", "'postgres://***/db' has a port", secrets);
    /* the user forgot "@host": the password reads as the port and must not be printed */
    parse_fails("postgres://admin:hunter2/db", "a password needs '@host'", secrets);
    parse_fails("postgres://admin:123456/db", "has a port that is not a number", numeric_secret);
    parse_fails("postgres://::1/db", "postgres://[::1]:5432/db", NULL);
}

static void
test_error_bad_escape(void)
{
    static const char *const secrets[] = {"hunter2", "hunter%G1", "%G1", NULL};
    static const char *const qsecrets[] = {"hunter2", "qsecret", NULL};

    parse_fails("postgres://u%G1@h/db", "invalid percent-escape in the user name", NULL);
    parse_fails("postgres://u:hunter2%G1@h/db", "invalid percent-escape in the password", secrets);
    parse_fails("postgres://u:hunter2%4@h/db", "invalid percent-escape in the password", secrets);
    parse_fails("postgres://u:hunter2%@h/db", "invalid percent-escape in the password", secrets);
    parse_fails("postgres://u:hunter2@h%zz/db", "invalid percent-escape in the host", secrets);
    parse_fails("postgres://u:hunter2@h/d%b", "invalid percent-escape in the database name",
                secrets);
    parse_fails("postgres://u:hunter2@h/db%", "invalid percent-escape in the database name",
                secrets);
    parse_fails("postgres://u:hunter2@h/db?k%1=v", "in a query parameter name", secrets);
    parse_fails("postgres://u:hunter2@h/db?password=qsecret%GG",
                "'postgres://u:***@h/db?password=***' has an invalid percent-escape in a "
                "query parameter value",
                qsecrets);
    parse_fails("postgres://h/db%00x", "invalid percent-escape", NULL);
    parse_file_fails("sqlite:bad%2.db", "invalid percent-escape in the file path", NULL);
    parse_file_fails("sqlite:ok.db?mode=%r", "in a query parameter value", NULL);
}

static void
test_error_empty_file_path(void)
{
    parse_file_fails("sqlite:",
                     "database URL 'sqlite:' has an empty file path; expected e.g. "
                     "sqlite:app.db, sqlite:///abs/path.db or sqlite::memory:",
                     NULL);
    parse_file_fails("sqlite://", "empty file path", NULL);
    parse_file_fails("sqlite3:?mode=ro", "empty file path; expected e.g. sqlite3:app.db", NULL);
    parse_file_fails("sqlite://?mode=ro", "empty file path", NULL);
    parse_file_fails("sqlite:?password=hunter2", "'sqlite:?password=***' has an empty file path",
                     (const char *const[]){"hunter2", NULL});
}

/* Examples in messages use the URL's own scheme: the core knows no driver's by heart. */
static void
test_error_names_the_scheme(void)
{
    parse_file_fails("duckdb:",
                     "expected e.g. duckdb:app.db, duckdb:///abs/path.db or "
                     "duckdb::memory:",
                     NULL);
    parse_fails("mysql:host/db",
                "has no '//' after 'mysql:'; expected e.g. "
                "mysql://user@host:port/database",
                NULL);
    parse_fails("mariadb://h:0/db", "expected e.g. mariadb://user:password@host:5432/db", NULL);
    parse_fails("mariadb://h:0/db", "in brackets: mariadb://[::1]:5432/db", NULL);
    parse_fails("cockroach://[::1/db", "e.g. cockroach://[::1]:5432/db", NULL);
    static const char *const not_postgres[] = {"postgres", NULL};
    parse_fails("mysql:host/db", NULL, not_postgres);
    parse_fails("mysql://h:0/db", NULL, not_postgres);
    parse_fails("mysql://[::1/db", NULL, not_postgres);
    parse_file_fails("duckdb:", NULL, (const char *const[]){"sqlite", NULL});
}

static void
test_error_other(void)
{
    static const char *const secrets[] = {"hunter2", NULL};

    parse_fails("postgres:host/db", "has no '//' after 'postgres:'", NULL);
    parse_fails("postgres:u:hunter2@host/db", "'postgres:***@host/db' has no '//'", secrets);
    parse_fails("postgres://u:hunter2@[::1/db", "malformed IPv6 address", secrets);
    parse_fails("postgres://[::1]x:5432/db", "malformed IPv6 address", NULL);
    parse_fails("postgres://h/db?=v", "query parameter without a name", NULL);
    parse_fails("postgres://u:hunter2@h/db?a=1&=v", "query parameter without a name", secrets);
}

static void
test_error_never_leaks(void)
{
    static const char *const bad[] = {
        "postgres://u:TOPSECRET@h:0/db",
        "postgres://u:TOPSECRET@h:abc/db",
        "postgres://u:TOPSECRET%zz@h/db",
        "postgres://u:TOPSECRET@h/d%zz",
        "postgres://u%zz:TOPSECRET@h/db",
        "postgres://u:TOPSECRET@[::1/db",
        "postgres://u:TOPSECRET@h/db?=x",
        "postgres://u:TOP/SECRET@h:0/db",
        "postgres://u:TOP?SECRET@h:0/db",
        "mysql://u:TOP@SE@CRET@h:0/db",
        "mysql://u:TOP:SECRET@h:0/db",
        "postgres:u:TOPSECRET@h/db",
        "u:TOPSECRET@h/db",
        "//u:TOPSECRET@h/db",
        "postgres://h/db?password=TOPSECRET&port=%x",
        "postgres://h/db?PassWord=TOPSECRET&x=%",
        "postgres://h/db?pwd=TOPSECRET&=",
        "postgres://h/db?sslpassword=TOPSECRET&x=%q",
        "postgres://h/db?pass=TOPSECRET&x=%q",
        "postgres://h:0/db?pass%77ord=TOPSECRET",
        "dbname=x password=TOPSECRET",
        "dbname=x password='TOP SECRET'",
        NULL,
    };
    static const char *const bad_files[] = {
        "sqlite:?password=TOPSECRET",
        "sqlite:x%.db?pwd=TOPSECRET",
        NULL,
    };
    static const char *const secrets[] = {"TOPSECRET", "SECRET", "TOP", "CRET", NULL};
    size_t i;

    for (i = 0; bad[i] != NULL; i++)
        parse_fails(bad[i], "database URL '", secrets);
    for (i = 0; bad_files[i] != NULL; i++)
        parse_file_fails(bad_files[i], "database URL '", secrets);
}

/*
 * A failed parse fills err as far as its size covers and keeps the size (types.h: the caller
 * sets size; the library fills it, never beyond size): strata_open() hands the caller's own
 * err down here.
 */
static void
test_error_keeps_size(void)
{
    static const char *const texts[] = {"strata.db", "postgres://h:0/db", NULL};
    strata_url *url = NULL;

    for (size_t i = 0; texts[i] != NULL; i++) {
        strata_error err = STRATA_ERROR_INIT;
        CU_ASSERT_EQUAL(strata_url_parse(texts[i], STRATA_URL_SERVER, &url, &err), STRATA_USAGE);
        if (err.size != sizeof(err))
            fprintf(stderr,
                    "\n  REGRESSION (core/config/url.c, url_fail): parsing %s set err.size to %u "
                    "(memset of the whole struct)\n",
                    texts[i], (unsigned)err.size);
        CU_ASSERT_EQUAL(err.size, sizeof(err));
    }
    strata_error err = STRATA_ERROR_INIT;
    CU_ASSERT_EQUAL(strata_url_parse(NULL, STRATA_URL_FILE, &url, &err), STRATA_USAGE);
    CU_ASSERT_EQUAL(err.size, sizeof(err));
}

/* ---- redaction ---- */

static void
test_redact_userinfo(void)
{
    redacts_to("postgres://alice:s3cret@h:5432/db", "postgres://alice:***@h:5432/db");
    redacts_to("postgres://alice:s3cret@h", "postgres://alice:***@h");
    redacts_to("postgres://alice:p%3Aw%2Fd%40x@h/db", "postgres://alice:***@h/db");
    redacts_to("postgres://:pw@h/db", "postgres://:***@h/db");
    redacts_to("postgres://u:a:b@h/db", "postgres://u:***@h/db");
    redacts_to("postgres://u:p@[::1]:5432/db", "postgres://u:***@[::1]:5432/db");
    redacts_to("postgres://u:p/w@h/db", "postgres://u:***@h/db");
    redacts_to("postgres://u:p?w@h/db?x=1", "postgres://u:***@h/db?x=1");
}

static void
test_redact_query(void)
{
    redacts_to("postgres://h/db?password=x", "postgres://h/db?password=***");
    redacts_to("postgres://h/db?a=1&PASSWORD=x&b=2", "postgres://h/db?a=1&PASSWORD=***&b=2");
    redacts_to("postgres://h/db?pass=x&pwd=y&sslpassword=z&passwd=w",
               "postgres://h/db?pass=***&pwd=***&sslpassword=***&passwd=w");
    redacts_to("postgres://u:p@h/db?sslpassword=k%26ey&sslmode=require",
               "postgres://u:***@h/db?sslpassword=***&sslmode=require");
    redacts_to("postgres://h/db?pass%77ord=x", "postgres://h/db?pass%77ord=***");
    redacts_to("postgres://h/db?password=&password", "postgres://h/db?password=&password");
    redacts_to("sqlite:app.db?password=x", "sqlite:app.db?password=***");
    /* redaction knows no driver's URL shape: what may be a password is hidden, even in what
     * is a file name for a file database */
    redacts_to("sqlite:a:b@c.db", "sqlite:***@c.db");
    redacts_to("postgres://h/db?mypassword=x&password_hint=y",
               "postgres://h/db?mypassword=x&password_hint=y");
}

static void
test_redact_unparseable(void)
{
    redacts_to("postgres://u:secret@", "postgres://u:***@");
    redacts_to("mysql://u:se@cr@et@h/db", "mysql://u:***@h/db");
    redacts_to("postgres://u:secret@h:badport/db", "postgres://u:***@h:badport/db");
    redacts_to("postgres://u:secret@[::1/db", "postgres://u:***@[::1/db");
    redacts_to("postgres:u:secret@h", "postgres:***@h");
    redacts_to("u:secret@h/db", "u:***@h/db");
    redacts_to("//u:secret@h/db", "//u:***@h/db");
    redacts_to("/u:secret@h/db", "/u:***@h/db");
    redacts_to("postgres:/u:secret@h/db", "postgres:***@h/db");
    redacts_to("host=h password=secret port=5", "host=h password=*** port=5");
    redacts_to("host=h password='a \\' b' port=5", "host=h password=*** port=5");
    redacts_to("h/db?password=secret", "h/db?password=***");
    redacts_to("%%%:@@@?&&==", "%%%:***@?&&==");
}

static void
test_redact_unchanged(void)
{
    static const char *const same[] = {
        "postgres://alice@h:5432/db?sslmode=require",
        "postgres://h:5432/my@db",
        "postgres://h/db?app=a@b:c",
        "postgres://u:@h/db",
        "postgres://",
        "sqlite:strata.db",
        "sqlite::memory:",
        "not a url at all",
        "",
        "http://[::1]:80/",
        NULL,
    };
    size_t i;

    for (i = 0; same[i] != NULL; i++)
        redacts_to(same[i], same[i]);
    redacts_to(NULL, "");
}

static void
test_redact_snprintf(void)
{
    const char *text = "postgres://u:secret@h/db";
    const char *full = "postgres://u:***@h/db";
    char buf[64];
    size_t n;

    CU_ASSERT_EQUAL(strata_url_redact(text, NULL, 0), strlen(full));
    memset(buf, 'z', sizeof(buf));
    CU_ASSERT_EQUAL(strata_url_redact(text, buf, 0), strlen(full));
    CU_ASSERT_EQUAL(buf[0], 'z');
    CU_ASSERT_EQUAL(strata_url_redact(text, buf, 1), strlen(full));
    CU_ASSERT_STRING_EQUAL(buf, "");
    CU_ASSERT_EQUAL(buf[1], 'z');
    memset(buf, 'z', sizeof(buf));
    n = strata_url_redact(text, buf, 15);
    CU_ASSERT_EQUAL(n, strlen(full));
    CU_ASSERT_STRING_EQUAL(buf, "postgres://u:*");
    CU_ASSERT_EQUAL(buf[15], 'z');
    n = strata_url_redact(text, buf, strlen(full));
    CU_ASSERT_EQUAL(n, strlen(full));
    CU_ASSERT_EQUAL(strncmp(buf, full, strlen(full) - 1), 0);
    CU_ASSERT_EQUAL(buf[strlen(full) - 1], '\0');
    n = strata_url_redact(text, buf, strlen(full) + 1);
    CU_ASSERT_STRING_EQUAL(buf, full);
}

static void
test_free_null(void)
{
    strata_url_free(NULL);
    CU_PASS("strata_url_free(NULL) returned");
}

static void
test_long_url(void)
{
    char text[4096];
    strata_url *url;
    size_t i, n;

    n = (size_t)snprintf(text, sizeof(text), "postgres://u:pw@h/db?");
    for (i = 0; i < 300; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "k%zu=%%41&", i);
    url = parse_ok(text);
    if (url == NULL)
        return;
    CU_ASSERT_EQUAL(url->nparams, 300);
    ASSERT_STR(strata_url_param_value(url, "k299"), "A");
    ASSERT_STR(url->params[0].key, "k0");
    CU_ASSERT_EQUAL(strncmp(url->redacted, "postgres://u:***@h/db?k0=%41&", 29), 0);
    strata_url_free(url);
}

int
main(void)
{
    static const struct {
        const char *name;
        CU_TestFunc fn;
    } tests[] = {
        {"file URL forms", test_file_forms},
        {"file scheme case", test_file_scheme_case},
        {"file URL parameters", test_file_params},
        {"network URL, every part", test_net_full},
        {"network URL, parts omitted", test_net_partial},
        {"network URL, IPv6 hosts", test_net_ipv6},
        {"network URL, percent-decoding", test_net_percent},
        {"network URL, userinfo ends at last @", test_net_last_at},
        {"network URL, parameters", test_net_params},
        {"network URL, other schemes", test_net_other_schemes},
        {"network URL, several hosts", test_net_several_hosts},
        {"raw is the text as given", test_raw},
        {"opaque URLs", test_opaque},
        {"redact ODBC strings", test_redact_odbc},
        {"redact braced and blank ODBC values", test_redact_odbc_braces},
        {"strata_url_scheme", test_scheme},
        {"strata_url_set_password", test_set_password},
        {"error: no scheme", test_error_no_scheme},
        {"error: bad port", test_error_bad_port},
        {"error: bad percent-escape", test_error_bad_escape},
        {"error: empty file path", test_error_empty_file_path},
        {"error: messages name the URL's scheme", test_error_names_the_scheme},
        {"error: other malformed URLs", test_error_other},
        {"error messages never leak a password", test_error_never_leaks},
        {"a failed parse keeps err.size", test_error_keeps_size},
        {"redact userinfo password", test_redact_userinfo},
        {"redact query passwords", test_redact_query},
        {"redact unparseable text", test_redact_unparseable},
        {"redact leaves other text unchanged", test_redact_unchanged},
        {"redact follows snprintf", test_redact_snprintf},
        {"free NULL", test_free_null},
        {"long URL with many parameters", test_long_url},
    };
    CU_pSuite suite;
    unsigned failed;
    size_t i;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    suite = CU_add_suite("url", NULL, NULL);
    if (suite == NULL)
        goto fail;
    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
        if (CU_add_test(suite, tests[i].name, tests[i].fn) == NULL)
            goto fail;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    if (CU_basic_run_tests() != CUE_SUCCESS)
        goto fail;
    failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed == 0 ? 0 : 1;
fail:
    CU_cleanup_registry();
    return 1;
}
