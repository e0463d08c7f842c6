#pragma once

#include <glib.h>
#include <libxml/tree.h>

/* A domain's QEMU binary: <devices><emulator>, NULL when it has none. */
char *pvgpuctl_emulator_of(xmlDoc *doc);

/* Makes path the domain's <devices><emulator> (added when missing). */
gboolean pvgpuctl_emulator_set(xmlDoc *doc, const char *path, GError **error);

/* TRUE when the QEMU at path lists the pvgpu device (`-device help`);
 * else an error naming path and what to do. */
gboolean pvgpuctl_emulator_check(const char *name, const char *path,
                                 GError **error);
