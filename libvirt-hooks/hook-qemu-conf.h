/* SPDX-License-Identifier: MIT */
/* libvirt's qemu.conf, as far as the hook reads it. */
#ifndef HOOK_QEMU_CONF_H
#define HOOK_QEMU_CONF_H

#include <glib.h>

#define HOOK_QEMU_CONF "/etc/libvirt/qemu.conf"

/* $PVGPU_QEMU_CONF, else /etc/libvirt/qemu.conf. */
const char *hook_qemu_conf_path(void);

/* The file's text in *text, NULL when it does not exist (libvirt's
 * defaults then); FALSE when it cannot be read. */
gboolean hook_qemu_conf_read(char **text, GError **error);

/* The last `key = "value"` (or 'value') line, comments allowed after it. */
char *hook_qemu_conf_string(const char *text, const char *key);

/* What follows `key =` on the last such line (a list, say), trimmed. */
char *hook_qemu_conf_raw(const char *text, const char *key);

#endif
