/* SPDX-License-Identifier: MIT */
#include "peer-check.h"

#include <errno.h>
#include <gio/gio.h>
#include <sys/socket.h>

gboolean pvgpu_peer_check(int fd, const PvgpuPeerPolicy *policy,
                          gchar **peer, GError **error)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
        len != sizeof(cred)) {
        *peer = g_strdup("an unknown peer");
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "cannot read its credentials (SO_PEERCRED): %s",
                    g_strerror(errno));
        return FALSE;
    }
    *peer = g_strdup_printf("pid %d uid %u", (int)cred.pid,
                            (unsigned)cred.uid);
    if (cred.uid != policy->uid) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "only uid %u is served (--peer-uid)",
                    (unsigned)policy->uid);
        return FALSE;
    }
    return TRUE;
}
