/* SPDX-License-Identifier: MIT */
#include "fd-check.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

gboolean pvgpu_fd_check_sealed(int fd, GError **error)
{
    int seals = fcntl(fd, F_GET_SEALS);

    if (seals < 0 && errno != EINVAL) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot read the seals of the shared-memory descriptor: "
                    "%s", g_strerror(errno));
        return FALSE;
    }
    /* EINVAL: a file system without seals, such as a plain file */
    if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "the shared-memory descriptor is not sealed against "
                    "shrinking (F_SEAL_SHRINK), so the peer could truncate "
                    "it under the mapping; it must be a memfd created with "
                    "MFD_ALLOW_SEALING and sealed with F_SEAL_SHRINK and "
                    "F_SEAL_GROW");
        return FALSE;
    }
    return TRUE;
}

gboolean pvgpu_fd_check_eventfd(int fd, const char *what, GError **error)
{
    g_autofree gchar *link = g_strdup_printf("/proc/self/fd/%d", fd);
    g_autoptr(GError) local = NULL;
    g_autofree gchar *target = g_file_read_link(link, &local);

    if (target == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s (%d) cannot be checked: %s", what, fd,
                    local->message);
        return FALSE;
    }
    /* what the kernel names every eventfd's anonymous inode */
    if (strcmp(target, "anon_inode:[eventfd]") != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s is not an eventfd but %s", what, target);
        return FALSE;
    }
    return TRUE;
}
