/* SPDX-License-Identifier: MIT */
/*
 * Memory for the presented frame: a memfd sealed against shrinking and
 * growing, so that it can be handed to the device (DISPLAY_SCANOUT), which
 * maps it and shows it without a copy and without fear of SIGBUS.
 */
#ifndef PVGPU_BACKEND_FRAME_MEMORY_H
#define PVGPU_BACKEND_FRAME_MEMORY_H

#include <glib.h>

typedef struct {
    int fd;          /* -1 when not allocated */
    guint8 *pixels;  /* mapped read-write, size bytes */
    gsize size;
} PvgpuFrameMemory;

#define PVGPU_FRAME_MEMORY_INIT { .fd = -1, .pixels = NULL, .size = 0 }

/* FALSE (m untouched) when the memfd cannot be made or mapped. */
gboolean pvgpu_frame_memory_alloc(PvgpuFrameMemory *m, gsize size);
/* Safe on an unallocated m; leaves it unallocated. */
void pvgpu_frame_memory_free(PvgpuFrameMemory *m);

#endif
