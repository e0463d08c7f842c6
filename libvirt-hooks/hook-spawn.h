/* SPDX-License-Identifier: MIT */
/* Starting a program fully detached from the hook and from libvirt. */
#ifndef HOOK_SPAWN_H
#define HOOK_SPAWN_H

#include <glib.h>
#include <sys/types.h>

typedef struct {
    char **argv;     /* argv[0] is the absolute path to execute */
    char **envp;
    int listen_fd;   /* becomes fd 3 */
    int log_fd;      /* becomes stdout and stderr */
    gboolean set_ids;
    uid_t uid;       /* switched to when set_ids */
    gid_t gid;
} HookSpawn;

/*
 * Forks a child in a new session with stdin from /dev/null, stdout and
 * stderr on log_fd, listen_fd as fd 3 and no other fd open, then executes
 * argv. Exec failures are written to the log and end the child with 127.
 */
pid_t hook_spawn_detached(const HookSpawn *spawn, GError **error);

#endif
