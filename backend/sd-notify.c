/* SPDX-License-Identifier: MIT */
#include "sd-notify.h"

#include <errno.h>
#include <gio/gio.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

gboolean pvgpu_sd_notify(const char *state, GError **error)
{
    const char *path = g_getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    gsize path_len;
    socklen_t addr_len;
    ssize_t sent;
    int fd;

    if (path == NULL || path[0] == '\0') {
        return TRUE;
    }
    path_len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') ||
        path_len >= sizeof(addr.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "NOTIFY_SOCKET=%s is not a socket path", path);
        return FALSE;
    }
    memcpy(addr.sun_path, path, path_len);
    if (path[0] == '@') {
        addr.sun_path[0] = '\0';
    }
    addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len +
                           (path[0] == '/' ? 1 : 0));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a socket: %s", g_strerror(errno));
        return FALSE;
    }
    sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
                  (const struct sockaddr *)&addr, addr_len);
    close(fd);
    if (sent < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot notify %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}
