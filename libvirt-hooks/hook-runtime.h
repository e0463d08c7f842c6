/* SPDX-License-Identifier: MIT */
/* The runtime directory of a domain and the device socket inside it. */
#ifndef HOOK_RUNTIME_H
#define HOOK_RUNTIME_H

#include <glib.h>

#include "hook-domain.h"
#include "hook-owner.h"

/* Creates the directory (mode 0750, owned by owner) and its parent. */
gboolean hook_runtime_dir_create(const HookDomain *d, const HookOwner *owner,
                                 GError **error);

/*
 * Removes the files pvgpu puts there and the directory. Missing things are
 * fine; a directory holding other files is left in place (FALSE + error).
 */
gboolean hook_runtime_dir_remove(const HookDomain *d, GError **error);

/* Binds a listening socket at the device socket path (mode 0660, owned by
 * owner), replacing a stale socket file. Returns the fd (close-on-exec). */
int hook_listen_device_socket(const HookDomain *d, const HookOwner *owner,
                              GError **error);

#endif
