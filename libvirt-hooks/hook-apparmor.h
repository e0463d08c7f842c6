/* SPDX-License-Identifier: MIT */
/*
 * The AppArmor rule that lets one domain's QEMU, and no other, reach its
 * device.sock. <qemu:commandline> is opaque to virt-aa-helper, and its
 * TEMPLATE.qemu knows no per-domain paths, so at prepare (before libvirt
 * creates or reloads the domain's profile) the hook writes the rule into
 * <apparmor>/pvgpu/<uuid> and makes the domain's profile
 * <apparmor>/libvirt/libvirt-<uuid> include it. Only when AppArmor is
 * enabled and libvirt's profile directory exists.
 */
#ifndef HOOK_APPARMOR_H
#define HOOK_APPARMOR_H

#include <glib.h>

#include "hook-domain.h"

#define HOOK_APPARMOR_DIR "/etc/apparmor.d"
#define HOOK_APPARMOR_ENABLED "/sys/module/apparmor/parameters/enabled"

/* AppArmor enabled in the kernel, and libvirt's profiles installed
 * ($PVGPU_APPARMOR_ENABLED and $PVGPU_APPARMOR_DIR for tests). */
gboolean hook_apparmor_in_use(void);

/* Writes the rule and the include (atomically, never through a symlink);
 * creates libvirt-<uuid> from TEMPLATE.qemu as virt-aa-helper does when it
 * does not exist yet, so that libvirt then only reloads it. */
gboolean hook_apparmor_allow(const HookDomain *d, GError **error);

/* Removes the rule file; the include stays harmless ("if exists"). */
gboolean hook_apparmor_revoke(const HookDomain *d, GError **error);

#endif
