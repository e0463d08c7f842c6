/* SPDX-License-Identifier: MIT */
#include "unix-socket.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static gboolean fill_address(const char *path, struct sockaddr_un *addr,
                             GError **error)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr->sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                    "socket path %s is longer than the %zu bytes a Unix "
                    "socket address holds", path, sizeof(addr->sun_path) - 1);
        return FALSE;
    }
    strcpy(addr->sun_path, path);
    return TRUE;
}

/* Removes path when it is a socket nobody accepts on. */
static gboolean remove_stale(const char *path, const struct sockaddr_un *addr,
                             GError **error)
{
    struct stat st;
    int probe;
    int ret;

    if (lstat(path, &st) < 0) {
        return TRUE; /* nothing there */
    }
    if (!S_ISSOCK(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "%s exists and is not a socket; refusing to replace it",
                    path);
        return FALSE;
    }
    probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a socket: %s", g_strerror(errno));
        return FALSE;
    }
    ret = connect(probe, (const struct sockaddr *)addr, sizeof(*addr));
    close(probe);
    if (ret == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                    "another process is listening on %s", path);
        return FALSE;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot remove the stale socket %s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    g_info("removed the stale socket %s", path);
    return TRUE;
}

int pvgpu_unix_listen(const char *path, PvgpuSocketFile *file, GError **error)
{
    struct sockaddr_un addr;
    struct stat st;
    mode_t old_umask;
    int fd;
    int ret;

    memset(file, 0, sizeof(*file));
    if (!fill_address(path, &addr, error) ||
        !remove_stale(path, &addr, error)) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a socket: %s", g_strerror(errno));
        return -1;
    }
    /* the file is born 0600: no window where others could connect */
    old_umask = umask(0177);
    ret = bind(fd, (const struct sockaddr *)&addr, sizeof(addr));
    umask(old_umask);
    if (ret < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot bind %s: %s", path, g_strerror(errno));
        close(fd);
        return -1;
    }
    if (chmod(path, 0600) < 0 || lstat(path, &st) < 0 ||
        listen(fd, 4) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot listen on %s: %s", path, g_strerror(errno));
        unlink(path);
        close(fd);
        return -1;
    }
    file->path = g_strdup(path);
    file->dev = st.st_dev;
    file->ino = st.st_ino;
    return fd;
}

void pvgpu_socket_file_remove(PvgpuSocketFile *file)
{
    struct stat st;

    if (file->path == NULL) {
        return;
    }
    if (lstat(file->path, &st) == 0 && st.st_dev == file->dev &&
        st.st_ino == file->ino) {
        unlink(file->path);
    }
    g_clear_pointer(&file->path, g_free);
}

gboolean pvgpu_unix_classify_fd(int fd, PvgpuInheritedKind *kind,
                                GError **error)
{
    struct sockaddr_un peer;
    socklen_t len = sizeof(int);
    int type = 0;
    int domain = 0;
    int listening = 0;

    if (fcntl(fd, F_GETFD) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "file descriptor %d is not open", fd);
        return FALSE;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "file descriptor %d is not a socket", fd);
        return FALSE;
    }
    len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
        domain != AF_UNIX || type != SOCK_STREAM) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "file descriptor %d is not a Unix stream socket", fd);
        return FALSE;
    }
    len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 &&
        listening) {
        *kind = PVGPU_INHERITED_LISTENING;
    } else {
        len = sizeof(peer);
        if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                        "file descriptor %d is a Unix socket that neither "
                        "listens nor is connected", fd);
            return FALSE;
        }
        *kind = PVGPU_INHERITED_CONNECTED;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return TRUE;
}
