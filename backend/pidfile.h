/* SPDX-License-Identifier: MIT */
#ifndef PVGPU_BACKEND_PIDFILE_H
#define PVGPU_BACKEND_PIDFILE_H

#include <glib.h>

/* Writes "PID\n" to path, replacing what was there. */
gboolean pvgpu_pidfile_write(const char *path, GError **error);

/* Removes path if it still names this process. */
void pvgpu_pidfile_remove(const char *path);

#endif
