/* SPDX-License-Identifier: MIT */
#include "hook-pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook-error.h"

#define PID_DIGITS_MAX 10 /* G_MAXINT32 */

static gboolean refuse(GError **error, const char *dir, const char *name,
                       const char *why)
{
    g_set_error(error, HOOK_ERROR, HOOK_EXIT_INTERNAL,
                "refusing the pidfile %s/%s: %s", dir, name, why);
    return FALSE;
}

/* 1 to 10 digits without a leading zero, then nothing or one newline. */
static gboolean parse_pid(const char *text, size_t len, pid_t *pid)
{
    if (len > 0 && text[len - 1] == '\n') {
        len--;
    }
    if (len == 0 || len > PID_DIGITS_MAX || text[0] == '0') {
        return FALSE;
    }
    guint64 value = 0;
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isdigit(text[i])) {
            return FALSE;
        }
        value = value * 10 + (guint64)(text[i] - '0');
    }
    if (value > G_MAXINT32) {
        return FALSE;
    }
    *pid = (pid_t)value;
    return TRUE;
}

static ssize_t read_bounded(int fd, char *buf, size_t size)
{
    size_t len = 0;
    while (len < size) {
        ssize_t n = read(fd, buf + len, size - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    return (ssize_t)len;
}

gboolean hook_pidfile_read(const HookRuntimeDir *dir, const char *name,
                           pid_t *pid, GError **error)
{
    *pid = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = openat(dir->fd, name,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return TRUE;
        }
        return refuse(error, dir->path, name,
                      errno == ELOOP ? "it is a symbolic link"
                                     : g_strerror(errno));
    }
    struct stat st;
    char text[HOOK_PIDFILE_MAX + 1];
    ssize_t len = -1;
    g_autofree char *why = NULL;
    if (fstat(fd, &st) < 0) {
        why = g_strdup(g_strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        why = g_strdup("it is not a regular file");
    } else if (st.st_uid != dir->uid && st.st_uid != 0) {
        why = g_strdup_printf("it belongs to uid %u, not to %u or root",
                              (unsigned)st.st_uid, (unsigned)dir->uid);
    } else if (st.st_size > HOOK_PIDFILE_MAX ||
               (len = read_bounded(fd, text, sizeof(text))) >
                   HOOK_PIDFILE_MAX) {
        why = g_strdup_printf("it is larger than %d bytes", HOOK_PIDFILE_MAX);
    } else if (len < 0) {
        why = g_strdup(g_strerror(errno));
    } else if (!parse_pid(text, (size_t)len, pid)) {
        why = g_strdup("it does not hold a pid");
    }
    close(fd);
    return why == NULL || refuse(error, dir->path, name, why);
}
