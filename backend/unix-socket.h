/* SPDX-License-Identifier: MIT */
/* Unix stream sockets: listening on a path, and inherited descriptors. */
#ifndef PVGPU_BACKEND_UNIX_SOCKET_H
#define PVGPU_BACKEND_UNIX_SOCKET_H

#include <glib.h>
#include <sys/types.h>

/* A socket file this process created, to remove at exit if still ours. */
typedef struct {
    gchar *path;
    dev_t dev;
    ino_t ino;
} PvgpuSocketFile;

/*
 * Creates a listening socket at path with mode 0600. A stale socket file
 * (nobody accepts on it) is replaced; a live one or any other file is an
 * error. Returns the non-blocking, close-on-exec fd or -1.
 */
int pvgpu_unix_listen(const char *path, PvgpuSocketFile *file, GError **error);

/* Unlinks file->path if it is still the socket we created; frees path. */
void pvgpu_socket_file_remove(PvgpuSocketFile *file);

typedef enum {
    PVGPU_INHERITED_LISTENING,
    PVGPU_INHERITED_CONNECTED,
} PvgpuInheritedKind;

/* Checks that fd is a Unix stream socket that listens or is connected. */
gboolean pvgpu_unix_classify_fd(int fd, PvgpuInheritedKind *kind,
                                GError **error);

#endif
