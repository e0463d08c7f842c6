/* SPDX-License-Identifier: MIT */
/*
 * The runtime directory of a domain (/run/pvgpu/<uuid>/) and the device
 * socket inside it. The directory belongs to the QEMU user, who can put
 * anything there: root works in it only through directory fds, never
 * following a symlink, never by path.
 */
#ifndef HOOK_RUNTIME_H
#define HOOK_RUNTIME_H

#include <glib.h>
#include <sys/types.h>

#include "hook-domain.h"
#include "hook-owner.h"

typedef struct {
    int base_fd; /* /run/pvgpu: root's, writable by root only */
    int fd;      /* /run/pvgpu/<uuid> */
    char *path;  /* of fd, for messages */
    uid_t uid;   /* owner of fd: the backend's files are its (or root's) */
} HookRuntimeDir;

void hook_runtime_dir_free(HookRuntimeDir *dir);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HookRuntimeDir, hook_runtime_dir_free)

/*
 * Creates the directory afresh (and /run/pvgpu if needed), owned by root
 * and 0700 while the device socket is bound in it (0660), then hands the
 * socket and the directory (0750) to owner through the directory fd.
 * *listen_fd: the listening socket, close-on-exec.
 */
HookRuntimeDir *hook_runtime_dir_create(const HookDomain *d,
                                        const HookOwner *owner,
                                        int *listen_fd, GError **error);

/* Opens the directory as it is: TRUE with *dir NULL when it does not
 * exist; a symlink or anything but a directory is an error. */
gboolean hook_runtime_dir_open(const HookDomain *d, HookRuntimeDir **dir,
                               GError **error);

/*
 * Removes the files pvgpu puts there and the directory. Missing things are
 * fine; a directory holding other files is left in place (FALSE + error).
 */
gboolean hook_runtime_dir_remove(const HookDomain *d, GError **error);

#endif
