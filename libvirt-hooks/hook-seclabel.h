/* SPDX-License-Identifier: MIT */
/*
 * What the domain's <seclabel> elements say about how its QEMU runs: the
 * AppArmor profile and the DAC user, which the backend then requires of
 * whoever connects to device.sock (--peer-label, --peer-uid), so that one
 * VM's QEMU cannot pass for another's.
 */
#ifndef HOOK_SECLABEL_H
#define HOOK_SECLABEL_H

#include <glib.h>
#include <libxml/tree.h>

/*
 * The AppArmor profile QEMU will run confined by. doc is the domain XML libvirt gave the hook; qemu_conf the text of
 * qemu.conf (NULL: absent). A live definition names its AppArmor label
 * (<seclabel model='apparmor'><label>); before the start, the label is
 * libvirt-<uuid> when AppArmor is in use, qemu.conf's security_driver
 * (absent means libvirt's default, apparmor where it is in use) names
 * apparmor and the domain does not opt out (<seclabel type='none'>).
 * NULL: QEMU will not be confined, so there is no label to require.
 */
char *hook_seclabel_apparmor(xmlDoc *doc, const char *uuid,
                             gboolean apparmor_in_use, const char *qemu_conf);

/* The DAC label "USER:GROUP" QEMU runs as, when the definition names one (a
 * per-domain static label, or any live one); NULL: qemu.conf's user. */
char *hook_seclabel_dac(xmlDoc *doc);

#endif
