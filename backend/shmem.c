/* SPDX-License-Identifier: MIT */
#include "shmem.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-check.h"

/* require_seal: the fd came from the peer, which must not be able to
 * shrink it; an object opened by name cannot carry seals at all. */
static gboolean map(int fd, guint64 shmem_size, gboolean require_seal,
                    PvgpuShmem *out, GError **error)
{
    struct stat st;
    void *base;
    int ret;

    memset(out, 0, sizeof(*out));
    ret = pvgpu_layout_compute(shmem_size, &out->layout);
    if (ret != PVGPU_CODEC_OK) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "shared-memory size %" G_GUINT64_FORMAT " refused: %s",
                    shmem_size, pvgpu_codec_strerror(ret));
        return FALSE;
    }
    if (require_seal && !pvgpu_fd_check_sealed(fd, error)) {
        return FALSE;
    }
    if (fstat(fd, &st) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot stat the shared-memory descriptor: %s",
                    g_strerror(errno));
        return FALSE;
    }
    /* a smaller object would fault (SIGBUS) when the guest's offsets reach
     * past its end */
    if (!S_ISREG(st.st_mode) || (guint64)st.st_size != shmem_size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "the shared-memory object has %jd bytes, the handshake "
                    "announced %" G_GUINT64_FORMAT,
                    (intmax_t)st.st_size, shmem_size);
        return FALSE;
    }
    base = mmap(NULL, shmem_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot map %" G_GUINT64_FORMAT " bytes of shared "
                    "memory: %s", shmem_size, g_strerror(errno));
        return FALSE;
    }
    out->base = base;
    return TRUE;
}

gboolean pvgpu_shmem_map_fd(int fd, guint64 shmem_size, PvgpuShmem *out,
                            GError **error)
{
    return map(fd, shmem_size, TRUE, out, error);
}

gboolean pvgpu_shmem_map_name(const char *name, guint64 shmem_size,
                              PvgpuShmem *out, GError **error)
{
    gboolean ok;
    int fd;

    memset(out, 0, sizeof(*out));
    if (name[0] != '/' || name[1] == '\0' || strchr(name + 1, '/') != NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "shared-memory name \"%s\" refused: it must be '/' "
                    "followed by a name without '/'", name);
        return FALSE;
    }
    fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot open shared memory \"%s\": %s", name,
                    g_strerror(errno));
        return FALSE;
    }
    ok = map(fd, shmem_size, FALSE, out, error);
    close(fd);
    if (!ok) {
        g_prefix_error(error, "shared memory \"%s\": ", name);
    }
    return ok;
}

void pvgpu_shmem_unmap(PvgpuShmem *shmem)
{
    if (shmem->base != NULL) {
        munmap(shmem->base, shmem->layout.shmem_size);
    }
    memset(shmem, 0, sizeof(*shmem));
}
