/* SPDX-License-Identifier: MIT */
/* Reading the backend's pidfile from the runtime directory, which the QEMU
 * user controls: whatever is there must neither hang nor fool root. */
#ifndef HOOK_PIDFILE_H
#define HOOK_PIDFILE_H

#include <glib.h>
#include <sys/types.h>

#include "hook-runtime.h"

#define HOOK_PIDFILE_MAX 32

/*
 * The pid in file name of dir: a regular file (not a symlink, FIFO or
 * device) owned by dir's owner or root, at most HOOK_PIDFILE_MAX bytes,
 * decimal digits and an optional newline. TRUE with *pid 0 when there is
 * no such file.
 */
gboolean hook_pidfile_read(const HookRuntimeDir *dir, const char *name,
                           pid_t *pid, GError **error);

#endif
