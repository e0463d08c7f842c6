/* SPDX-License-Identifier: MIT */
/* Starting, checking and stopping the pvgpu-backend of one domain. */
#ifndef HOOK_BACKEND_H
#define HOOK_BACKEND_H

#include <glib.h>
#include <sys/types.h>

#include "hook-domain.h"

#define HOOK_START_TIMEOUT_MS 3000
#define HOOK_STOP_TIMEOUT_MS 3000

/*
 * Binds a new listening device socket and starts the backend on it,
 * detached, then waits until its pidfile and control socket exist. Stops a
 * stale backend of the domain first. On failure nothing is left running and
 * the runtime directory is removed.
 */
gboolean hook_backend_start(const HookDomain *d, const char *operation,
                            GError **error);

/*
 * TRUE when the pidfile names a live process that is this domain's backend
 * (its /proc/<pid>/exe is the backend binary and its arguments hold our
 * --pidfile, so a reused pid is not). FALSE with an error when the pidfile
 * or the runtime directory is refused (hook-pidfile.h, hook-runtime.h).
 */
gboolean hook_backend_running(const HookDomain *d, pid_t *pid,
                              GError **error);

/* SIGTERM, then SIGKILL after HOOK_STOP_TIMEOUT_MS, through a pidfd; TRUE
 * and nothing done when the backend is not running. */
gboolean hook_backend_stop(const HookDomain *d, GError **error);

#endif
