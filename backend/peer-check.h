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

/* Longest label accepted, without the terminating NUL. */
#define PVGPU_PEER_LABEL_MAX 4095

typedef struct {
    uid_t uid;          /* the only uid served */
    const char *label;  /* the only LSM label served; NULL: not checked */
} PvgpuPeerPolicy;

/*
 * Checks the peer of the connected Unix socket fd. *peer gets a name for
 * log lines ("pid 12 uid 0"), also on refusal; the error says why the
 * peer is refused.
 */
gboolean pvgpu_peer_check(int fd, const PvgpuPeerPolicy *policy,
                          gchar **peer, GError **error);

/*
 * Whether raw (len bytes as SO_PEERSEC returned them: NUL-terminated or
 * not, possibly with a newline) names expected. An AppArmor label's mode
 * suffix (" (enforce)", " (complain)", ...) is not part of the name; any
 * other label (SELinux context) must equal expected as a whole. Empty,
 * overlong or NUL-holding labels never match; the error says why.
 */
gboolean pvgpu_peer_label_matches(const char *raw, gsize len,
                                  const char *expected, GError **error);

#endif
