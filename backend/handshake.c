/* SPDX-License-Identifier: MIT */
#include "handshake.h"
#include "fd-check.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

static void close_fds(int *fds, guint from, guint to)
{
    for (guint i = from; i < to; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

/* Our writes and reads on eventfds must never block the main loop. */
static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags >= 0 && !(flags & O_NONBLOCK)) {
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
}

/*
 * Only memory is mapped: a page fault on a file of FUSE, NFS or the like
 * can wait on another process or the network for ever, and the backend's
 * one thread with it. memfd and /dev/shm are tmpfs.
 */
static gboolean on_memory_fs(int fd, GError **error)
{
    struct statfs sfs;

    if (fstatfs(fd, &sfs) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot inspect the shared-memory descriptor: %s",
                    g_strerror(errno));
        return FALSE;
    }
    if (sfs.f_type != TMPFS_MAGIC && sfs.f_type != HUGETLBFS_MAGIC &&
        sfs.f_type != RAMFS_MAGIC) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "the shared memory is a file on a file system of type "
                    "0x%lx, not a memory file system (memfd, tmpfs such as "
                    "/dev/shm, hugetlbfs)", (unsigned long)sfs.f_type);
        return FALSE;
    }
    return TRUE;
}

static void result_init(PvgpuHandshakeResult *out)
{
    memset(out, 0, sizeof(*out));
    out->doorbell_fd = -1;
    for (guint i = 0; i < PVGPU_NUM_VECTORS; i++) {
        out->vector_fds[i] = -1;
    }
}

void pvgpu_handshake_result_clear(PvgpuHandshakeResult *res)
{
    pvgpu_shmem_unmap(&res->shmem);
    if (res->doorbell_fd >= 0) {
        close(res->doorbell_fd);
    }
    for (guint i = 0; i < PVGPU_NUM_VECTORS; i++) {
        if (res->vector_fds[i] >= 0) {
            close(res->vector_fds[i]);
        }
    }
    result_init(res);
}

gboolean pvgpu_handshake_accept(const struct pvgpu_msg *msg, int *fds,
                                guint n_fds, gboolean allow_shm_name,
                                PvgpuHandshakeResult *out, GError **error)
{
    const struct pvgpu_handshake_ext *ext = &msg->u.handshake.ext;
    gboolean has_ext = msg->u.handshake.has_ext;
    guint64 offered = has_ext ? ext->features : 0;
    guint announced = has_ext ? ext->num_fds : 0;
    guint64 used = 0;
    guint next = 0;

    result_init(out);
    if (has_ext && (ext->version >> 16) != PVGPU_VERSION_MAJOR) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "protocol version %u.%u is not supported (this backend "
                    "speaks %u.x)", ext->version >> 16, ext->version & 0xffff,
                    PVGPU_VERSION_MAJOR);
        goto fail;
    }
    if (n_fds < announced) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "the handshake announced %u descriptors but %u arrived",
                    announced, n_fds);
        goto fail;
    }
    if (n_fds > announced) {
        g_warning("closing %u descriptors the handshake did not announce",
                  n_fds - announced);
        close_fds(fds, announced, n_fds);
    }

    if (offered & PVGPU_FEATURE_SHMEM_FD) {
        if (announced < 1) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "the device offered the shared memory as a "
                        "descriptor but sent none");
            goto fail;
        }
        if (!on_memory_fs(fds[0], error) ||
            !pvgpu_shmem_map_fd(fds[0], msg->u.handshake.shmem_size,
                                &out->shmem, error)) {
            goto fail;
        }
        close_fds(fds, 0, 1);
        next = 1;
        used |= PVGPU_FEATURE_SHMEM_FD;
    } else if (!allow_shm_name) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "the device names its shared memory instead of sending "
                    "it as a sealed descriptor (SHMEM_FD); memory opened by "
                    "name cannot be sealed, so it is refused (start the "
                    "backend with --allow-shm-name to accept it)");
        goto fail;
    } else if (!pvgpu_shmem_map_name(msg->u.handshake.name,
                                     msg->u.handshake.shmem_size,
                                     &out->shmem, error)) {
        goto fail;
    }

    if ((offered & PVGPU_FEATURE_EVENTFD) &&
        ext->num_vectors == PVGPU_NUM_VECTORS &&
        announced - next == 1 + PVGPU_NUM_VECTORS) {
        for (guint i = next; i < announced; i++) {
            if (!pvgpu_fd_check_eventfd(fds[i], i == next
                                                    ? "the doorbell descriptor"
                                                    : "a vector descriptor",
                                        error)) {
                goto fail;
            }
        }
        out->doorbell_fd = fds[next];
        set_nonblocking(fds[next]);
        fds[next++] = -1;
        for (guint v = 0; v < PVGPU_NUM_VECTORS; v++) {
            out->vector_fds[v] = fds[next];
            set_nonblocking(fds[next]);
            fds[next++] = -1;
        }
        used |= PVGPU_FEATURE_EVENTFD;
    } else if (offered & PVGPU_FEATURE_EVENTFD) {
        g_warning("the device offered eventfds with %u vectors and %u "
                  "descriptors for them (want %u and %u); using DOORBELL and "
                  "IRQ messages instead", ext->num_vectors, announced - next,
                  PVGPU_NUM_VECTORS, 1 + PVGPU_NUM_VECTORS);
    }
    if (next < announced) {
        close_fds(fds, next, announced);
    }
    used |= offered & PVGPU_FEATURE_DISPLAY;
    if (used & PVGPU_FEATURE_DISPLAY) {
        used |= offered & (PVGPU_FEATURE_DISPLAY_HINT |
                           PVGPU_FEATURE_DISPLAY_CURSOR);
    }
    out->features = PVGPU_FEATURE_2D | PVGPU_FEATURE_CURSOR | used;
    return TRUE;

fail:
    close_fds(fds, 0, n_fds);
    pvgpu_handshake_result_clear(out);
    return FALSE;
}
