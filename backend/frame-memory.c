/* SPDX-License-Identifier: MIT */
#include "frame-memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

gboolean pvgpu_frame_memory_alloc(PvgpuFrameMemory *m, gsize size)
{
    int fd = memfd_create("pvgpu-frame", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    void *p;

    if (fd < 0) {
        return FALSE;
    }
    if (size == 0 || ftruncate(fd, (off_t)size) < 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) <
            0) {
        close(fd);
        return FALSE;
    }
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return FALSE;
    }
    m->fd = fd;
    m->pixels = p;
    m->size = size;
    return TRUE;
}

void pvgpu_frame_memory_free(PvgpuFrameMemory *m)
{
    if (m->pixels != NULL) {
        munmap(m->pixels, m->size);
    }
    if (m->fd >= 0) {
        close(m->fd);
    }
    m->fd = -1;
    m->pixels = NULL;
    m->size = 0;
}
