/* SPDX-License-Identifier: MIT */
/*
 * Who may be the device: the peer of an accepted connection is checked
 * against the uid (SO_PEERCRED) and, when asked for, the LSM label
 * (SO_PEERSEC) of the one QEMU this backend serves.
 */
#ifndef PVGPU_BACKEND_PEER_CHECK_H
#define PVGPU_BACKEND_PEER_CHECK_H

#include <glib.h>
#include <sys/types.h>

typedef struct {
    uid_t uid;          /* the only uid served */
} PvgpuPeerPolicy;

/*
 * Checks the peer of the connected Unix socket fd. *peer gets a name for
 * log lines ("pid 12 uid 0"), also on refusal; the error says why the
 * peer is refused.
 */
gboolean pvgpu_peer_check(int fd, const PvgpuPeerPolicy *policy,
                          gchar **peer, GError **error);

#endif
