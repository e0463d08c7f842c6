/* SPDX-License-Identifier: MIT */
/* The user and group QEMU runs as, from libvirt's qemu.conf. */
#ifndef HOOK_OWNER_H
#define HOOK_OWNER_H

#include <glib.h>
#include <sys/types.h>

#define HOOK_QEMU_CONF "/etc/libvirt/qemu.conf"

typedef struct {
    uid_t uid;
    gid_t gid;
} HookOwner;

/*
 * Reads `user = "..."` and `group = "..."` from $PVGPU_QEMU_CONF, else
 * /etc/libvirt/qemu.conf. A missing file or setting means root. Names,
 * "+N" (numeric id) and plain numbers are understood as libvirt does.
 */
gboolean hook_owner_from_qemu_conf(HookOwner *owner, GError **error);

#endif
