/* SPDX-License-Identifier: MIT */
/* The user and group QEMU runs as, from libvirt's qemu.conf. */
#ifndef HOOK_OWNER_H
#define HOOK_OWNER_H

#include <glib.h>
#include <sys/types.h>

/* What libvirt is built with (-Dqemu_user/-Dqemu_group) and uses when
 * qemu.conf sets no user or group: Debian's, then Fedora's and RHEL's. */
#define HOOK_DEFAULT_QEMU_USER "libvirt-qemu"
#define HOOK_FALLBACK_QEMU_USER "qemu"

typedef struct {
    uid_t uid;
    gid_t gid;
    gboolean root_by_choice; /* qemu.conf names root itself */
} HookOwner;

/*
 * Reads `user = "..."` and `group = "..."` from $PVGPU_QEMU_CONF, else
 * /etc/libvirt/qemu.conf. Names, "+N" (numeric id) and plain numbers are
 * understood as libvirt does. A missing file or setting means libvirt's
 * default: libvirt-qemu, else qemu (user and group; the group falls back to
 * the default user's primary group). Neither existing is an error: root is
 * used only when qemu.conf names it.
 */
gboolean hook_owner_from_qemu_conf(HookOwner *owner, GError **error);

/* A domain's own DAC label ("USER:GROUP", names or "+N", as libvirt reads
 * <seclabel model='dac'><label>): QEMU runs as that, not qemu.conf's user. */
gboolean hook_owner_from_dac_label(HookOwner *owner, const char *label,
                                   GError **error);

#endif
