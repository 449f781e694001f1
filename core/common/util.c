#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <strata/strata.h>

#include "guard.h"
#include "util.h"

static void
out_of_memory(size_t size)
{
    strata_guard_out_of_memory(size);
}

void *
strata_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        out_of_memory(size);
    return p;
}

void *
strata_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory(n * size);
    return p;
}

void *
strata_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (q == NULL)
        out_of_memory(size);
    return q;
}

char *
strata_xstrdup(const char *s)
{
    return strata_xstrndup(s, strlen(s));
}

char *
strata_xstrndup(const char *s, size_t n)
{
    char *p = strata_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* printf into a new string through strata_xmalloc (vasprintf's malloc would not jump). */
static char *
xvasprintf(const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *out = strata_xmalloc(n < 0 ? 1 : (size_t)n + 1);
    if (n < 0)
        out[0] = '\0';
    else
        vsnprintf(out, (size_t)n + 1, fmt, again);
    va_end(again);
    return out;
}

char *
strata_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = xvasprintf(fmt, ap);
    va_end(ap);
    return out;
}

static void
buf_reserve(strata_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = strata_xrealloc(b->data, cap);
    b->cap = cap;
}

void
strata_buf_append(strata_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
strata_buf_puts(strata_buf *b, const char *s)
{
    strata_buf_append(b, s, strlen(s));
}

void
strata_buf_printf(strata_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    strata_buf_puts(b, text);
    free(text);
}

void
strata_buf_reset(strata_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *
strata_buf_take(strata_buf *b)
{
    char *d = b->data ? b->data : strata_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void
strata_buf_free(strata_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
strata_error_clear(strata_error *err)
{
    if (err == NULL)
        return;
    uint32_t size = err->size;
    size_t n = sizeof(*err);
    if (size >= STRATA_ERROR_SIZE_V2 && size < sizeof(*err))
        n = size; /* the caller's header is older: write no further than it knows */
    memset(err, 0, n);
    err->size = n == sizeof(*err) ? (uint32_t)sizeof(*err) : size;
}

void
strata_error_init(strata_error *err)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof(*err));
    err->size = (uint32_t)sizeof(*err);
}

int
strata_fail(strata_error *err, int status, const char *fmt, ...)
{
    if (err == NULL)
        return status;
    strata_error_clear(err);
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return status;
}

void
strata_error_prefix(strata_error *err, const char *fmt, ...)
{
    char prefix[512];
    char old[sizeof(err->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof(old));
    size_t n = strlen(prefix);
    if (n >= sizeof(err->message))
        n = sizeof(err->message) - 1;
    memcpy(err->message, prefix, n);
    size_t rest = strnlen(old, sizeof(old) - 1);
    if (rest > sizeof(err->message) - 1 - n)
        rest = sizeof(err->message) - 1 - n;
    memcpy(err->message + n, old, rest);
    err->message[n + rest] = '\0';
}

long long
strata_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
strata_utc_now(char *out, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

void
strata_whoami(char *out, size_t size)
{
    char host[256] = "localhost";
    const char *user = getenv("USER");
    struct passwd *pw = getpwuid(geteuid());
    if (pw != NULL && pw->pw_name != NULL)
        user = pw->pw_name;
    if (user == NULL)
        user = "unknown";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(out, size, "%s@%s", user, host);
}

char *
strata_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir), m = strlen(name);
    if (n == 0)
        return strata_xstrdup(name);
    size_t slash = dir[n - 1] != '/'; /* called once per file: no printf */
    char *path = strata_xmalloc(n + slash + m + 1);
    memcpy(path, dir, n);
    path[n] = '/';
    memcpy(path + n + slash, name, m + 1);
    return path;
}

int
strata_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int
strata_strieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

void
strata_wipe(char *secret, size_t n)
{
    volatile char *c = secret;
    while (n-- > 0)
        *c++ = '\0';
}

void
strata_wipe_free(char *secret)
{
    if (secret == NULL)
        return;
    strata_wipe(secret, strlen(secret));
    free(secret);
}

/* The length of the well-formed UTF-8 sequence at p (1 to 4; no overlong forms, surrogates
 * or code points past U+10FFFF), or 0 when there is none. */
static size_t
utf8_sequence(const unsigned char *p)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n = p[0] >= 0xC2 && p[0] <= 0xDF   ? 2
               : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
               : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
                                              : 0;
    if (p[0] == 0xE0)
        lo = 0xA0;
    else if (p[0] == 0xED)
        hi = 0x9F;
    else if (p[0] == 0xF0)
        lo = 0x90;
    else if (p[0] == 0xF4)
        hi = 0x8F;
    if (n == 0 || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

void
strata_text_excerpt(char *out, size_t size, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t o = 0;
    if (size < 8) {
        if (size > 0)
            out[0] = '\0';
        return;
    }
    while (*p != '\0') {
        size_t n = *p >= 0x20 && *p < 0x7F ? 1 : *p >= 0x80 ? utf8_sequence(p) : 0;
        size_t need = n > 0 ? n : 4;
        if (o + need + 4 > size) { /* room for "..." and the NUL */
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (n > 0)
            memcpy(out + o, p, n);
        else
            snprintf(out + o, 5, "\\x%02X", *p);
        o += need;
        p += n > 0 ? n : 1;
    }
    out[o] = '\0';
}

size_t
strata_memory_read(void *ctx, char *buf, size_t size)
{
    strata_memory *m = ctx;
    size_t n = size < m->left ? size : m->left;
    memcpy(buf, m->data, n);
    m->data += n;
    m->left -= n;
    return n;
}
