/* SPDX-License-Identifier: MIT */
/* Mapping the device's shared memory (BAR2) into the backend. */
#ifndef PVGPU_BACKEND_SHMEM_H
#define PVGPU_BACKEND_SHMEM_H

#include <glib.h>

#include "pvgpu_codec.h"

typedef struct {
    guint8 *base;               /* NULL when nothing is mapped */
    struct pvgpu_layout layout; /* computed from the size, never read back */
} PvgpuShmem;

/* Maps fd, whose size must equal shmem_size and which must be sealed
 * against shrinking (F_SEAL_SHRINK). Does not close fd. */
gboolean pvgpu_shmem_map_fd(int fd, guint64 shmem_size, PvgpuShmem *out,
                            GError **error);

/* Opens an existing POSIX shared-memory object: "/name", no other '/'.
 * Such objects cannot be sealed (see README.md, Known limitations). */
gboolean pvgpu_shmem_map_name(const char *name, guint64 shmem_size,
                              PvgpuShmem *out, GError **error);

void pvgpu_shmem_unmap(PvgpuShmem *shmem);

#endif
