/*
 * Small helpers shared by the core: allocation, growable buffers, errors, clocks, paths.
 *
 * Callers never check strata_xmalloc and friends for NULL: when memory runs out they jump
 * back to the public function that was called (guard.h), which returns STRATA_ERROR_NOMEM;
 * outside any public function they abort.
 */
#ifndef STRATA_UTIL_H
#define STRATA_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#include <strata/types.h>

#define STRATA_HIDDEN __attribute__((visibility("hidden")))
#define STRATA_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Allocate or abort. Returned memory is the caller's, freed with free(). */
void *strata_xmalloc(size_t size);
void *strata_xcalloc(size_t n, size_t size);
void *strata_xrealloc(void *p, size_t size);
char *strata_xstrdup(const char *s);
char *strata_xstrndup(const char *s, size_t n);
/* printf into a new string; the caller frees it. */
char *strata_xasprintf(const char *fmt, ...) STRATA_PRINTF(1, 2);

/* A growable NUL-terminated byte buffer. Zero-initialise; release with strata_buf_free. */
typedef struct strata_buf {
    char *data;
    size_t len;
    size_t cap;
} strata_buf;

void strata_buf_append(strata_buf *b, const char *s, size_t n);
void strata_buf_puts(strata_buf *b, const char *s);
void strata_buf_printf(strata_buf *b, const char *fmt, ...) STRATA_PRINTF(2, 3);
void strata_buf_reset(strata_buf *b);
/* Hands the data to the caller (who frees it) and empties the buffer. */
char *strata_buf_take(strata_buf *b);
void strata_buf_free(strata_buf *b);

/* Clears err and fills status and message. Returns status, for `return strata_fail(...)`. */
int strata_fail(strata_error *err, int status, const char *fmt, ...) STRATA_PRINTF(3, 4);
/* Clears every member of err as far as err->size covers (a size that is no size, from an
 * uninitialised struct, counts as this header's), keeping size. */
void strata_error_clear(strata_error *err);
/* Prefixes err->message with the given text (printf style). */
void strata_error_prefix(strata_error *err, const char *fmt, ...) STRATA_PRINTF(2, 3);

/* A strata_read_fn over text in memory: strata_memory_read(&(strata_memory){text, len}, ...). */
typedef struct strata_memory {
    const char *data;
    size_t left;
} strata_memory;
size_t strata_memory_read(void *ctx, char *buf, size_t size);

/* Milliseconds from a monotonic clock. */
long long strata_now_ms(void);
/* Writes the current UTC time as "YYYY-MM-DD HH:MM:SS" into out (at least 20 bytes). */
void strata_utc_now(char *out, size_t size);
/* "user@host" of the current process, into out. */
void strata_whoami(char *out, size_t size);

/* Overwrites n bytes of a secret, in a way the compiler does not optimise away. */
void strata_wipe(char *secret, size_t n);
/* Overwrites and frees a NUL-terminated secret; NULL is a no-op. */
void strata_wipe_free(char *secret);
/* Writes the start of text into out (size bytes, always terminated) for a message: bytes
 * that are not printable ASCII or valid UTF-8 as \xNN, "..." when cut. */
void strata_text_excerpt(char *out, size_t size, const char *text);

/* Joins dir and name with one '/'; the caller frees the result. */
char *strata_path_join(const char *dir, const char *name);
/* True when s ends with suffix. */
int strata_ends_with(const char *s, const char *suffix);
/* ASCII case-insensitive equality of the first n bytes / of whole strings. */
int strata_strieq(const char *a, const char *b);

#endif
