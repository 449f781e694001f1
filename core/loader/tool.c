/*
 * A host service for drivers: running an external tool (pg_dump, mariadb-dump, ...)
 * without a shell, its output written atomically to a file. Drivers cannot share code with
 * each other, so what their backups have in common lives here, behind strata_host.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"
#include "util.h"

/*
 * Runs prog: stdin from /dev/null, stdout into out_fd (-1: into text with stderr), stderr
 * into text (size bytes, NUL-terminated; the rest dropped). *wstatus: waitpid()'s status.
 */
static int
spawn(const char *prog, char *const argv[], char *const envp[], int out_fd, char *text, size_t size,
      int *wstatus, strata_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    int pipefd[2];
    pid_t pid;
    text[0] = '\0';
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return strata_fail(err, STRATA_ERROR, "cannot run %s: %s", prog, strerror(errno));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd >= 0 ? out_fd : pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&fa, 3); /* the database connection, ... */
#endif
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(&pid, prog, &fa, &attr, argv, envp);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        return strata_fail(err, STRATA_ERROR, "cannot run %s: %s", prog, strerror(rc));
    }
    size_t len = 0;
    char chunk[1024];
    ssize_t n;
    while ((n = read(pipefd[0], chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if ((size_t)n > size - 1 - len)
            n = (ssize_t)(size - 1 - len);
        memcpy(text + len, chunk, (size_t)n);
        len += (size_t)n;
    }
    text[len] = '\0';
    close(pipefd[0]);
    while (waitpid(pid, wstatus, 0) < 0)
        if (errno != EINTR)
            return strata_fail(err, STRATA_ERROR, "cannot wait for %s: %s", prog, strerror(errno));
    return STRATA_OK;
}

/* Creates path + ".tmp" exclusively, mode 0600, open for writing; *tmp is the caller's. */
static int
tmp_open(const char *path, char **tmp, int *fd, strata_error *err)
{
    *tmp = strata_xasprintf("%s.tmp", path);
    *fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (*fd >= 0)
        return STRATA_OK;
    if (errno == EEXIST)
        strata_fail(err, STRATA_ERROR,
                    "%s already exists: another backup to %s is running, or an earlier one was "
                    "interrupted (remove the file if none is running)",
                    *tmp, path);
    else
        strata_fail(err, STRATA_ERROR, "cannot create %s: %s", *tmp, strerror(errno));
    free(*tmp);
    *tmp = NULL;
    return STRATA_ERROR;
}

/* Makes a rename in path's directory durable (best effort). */
static void
sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL   ? strata_xstrdup(".")
                : slash == path ? strata_xstrdup("/")
                                : strata_xstrndup(path, (size_t)(slash - path));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

/* Flushes and closes the complete tmp file, then renames it over path. Closes fd. */
static int
tmp_commit(const char *path, const char *tmp, int fd, strata_error *err)
{
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return strata_fail(err, STRATA_ERROR, "cannot write %s: %s", tmp, strerror(e));
    }
    if (close(fd) != 0)
        return strata_fail(err, STRATA_ERROR, "cannot write %s: %s", tmp, strerror(errno));
    if (rename(tmp, path) != 0)
        return strata_fail(err, STRATA_ERROR, "cannot rename %s to %s: %s", tmp, path,
                           strerror(errno));
    sync_dir(path);
    return STRATA_OK;
}

extern char **environ;

/* Our environment with name=value in place of any name=...; *owned holds that entry. The
 * array and *owned are the caller's (wipe *owned before freeing it). */
static char **
env_with(const char *name, const char *value, char **owned)
{
    size_t n = 0, k = 0, len = name ? strlen(name) : 0;
    while (environ != NULL && environ[n] != NULL)
        n++;
    char **env = strata_xcalloc(n + 2, sizeof(*env));
    for (n = 0; environ != NULL && environ[n] != NULL; n++)
        if (value == NULL || strncmp(environ[n], name, len) != 0 || environ[n][len] != '=')
            env[k++] = environ[n];
    *owned = value != NULL ? strata_xasprintf("%s=%s", name, value) : NULL;
    if (*owned != NULL)
        env[k++] = *owned;
    return env;
}

static void
wipe(char *s)
{
    for (volatile char *p = s; p != NULL && *p != '\0'; p++)
        *p = '\0';
}

/* Replaces every occurrence of secret in text (size bytes) by "***", cutting what overflows. */
static void
redact(char *text, size_t size, const char *secret)
{
    size_t n = secret != NULL ? strlen(secret) : 0;
    if (n == 0 || strstr(text, secret) == NULL)
        return;
    strata_buf b = {0};
    const char *p = text, *hit;
    for (; (hit = strstr(p, secret)) != NULL; p = hit + n) {
        strata_buf_append(&b, p, (size_t)(hit - p));
        strata_buf_puts(&b, "***");
    }
    strata_buf_puts(&b, p);
    snprintf(text, size, "%s", b.data);
    strata_buf_free(&b);
}

/* Runs prog with the secret in its environment, stdout into out_fd; redacts text. */
static int
run_with_secret(const char *prog, char *const argv[], const char *secret_name, const char *secret,
                int out_fd, char *text, size_t size, int *wstatus, strata_error *err)
{
    char *owned = NULL;
    char **envp = env_with(secret_name, secret, &owned);
    int rc = spawn(prog, argv, envp, out_fd, text, size, wstatus, err);
    redact(text, size, secret);
    wipe(owned);
    free(owned);
    free(envp);
    return rc;
}

int
strata_tool_run(const char *prog, char *const argv[], const char *secret_name, const char *secret,
                const char *path, char *text, size_t size, int *wstatus, strata_error *err)
{
    if (path == NULL)
        return run_with_secret(prog, argv, secret_name, secret, -1, text, size, wstatus, err);
    char *tmp = NULL;
    int fd = -1;
    int rc = tmp_open(path, &tmp, &fd, err);
    if (rc == STRATA_OK)
        rc = run_with_secret(prog, argv, secret_name, secret, fd, text, size, wstatus, err);
    if (rc == STRATA_OK && WIFEXITED(*wstatus) && WEXITSTATUS(*wstatus) == 0) {
        rc = tmp_commit(path, tmp, fd, err);
        fd = -1;
        if (rc == STRATA_OK)
            tmp[0] = '\0'; /* renamed: nothing to remove */
    }
    if (fd >= 0)
        close(fd);
    if (tmp != NULL && tmp[0] != '\0')
        unlink(tmp);
    free(tmp);
    return rc;
}

static int
executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int
strata_tool_find(const char *name, char *out, size_t size)
{
    int n;
    if (strchr(name, '/') != NULL) {
        n = snprintf(out, size, "%s", name);
        return n > 0 && (size_t)n < size && executable(out);
    }
    const char *end;
    for (const char *p = getenv("PATH"); p != NULL && *p != '\0';
         p = *end != '\0' ? end + 1 : end) {
        end = p + strcspn(p, ":");
        if (end == p || *p != '/')
            continue; /* empty (the current directory), ".", relative: never searched */
        n = snprintf(out, size, "%.*s/%s", (int)(end - p), p, name);
        if (n > 0 && (size_t)n < size && executable(out))
            return 1;
    }
    return 0;
}
