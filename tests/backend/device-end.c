/* SPDX-License-Identifier: MIT */
#include "device-end.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static gboolean fail_errno(GError **error, const char *what)
{
    int err = errno;

    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "%s: %s",
                what, g_strerror(err));
    return FALSE;
}

/* Whether send() or sendmsg() (named what) sent all len bytes. */
static gboolean sent_all(ssize_t sent, gsize len, const char *what,
                         GError **error)
{
    if (sent < 0) {
        return fail_errno(error, what);
    }
    if ((gsize)sent != len) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "%s sent %zd of %zu bytes", what, sent, len);
        return FALSE;
    }
    return TRUE;
}

gboolean device_memory_init(DeviceMemory *m, guint64 size, GError **error)
{
    m->mem = MAP_FAILED;
    m->memfd = memfd_create("pvgpu-device", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (m->memfd < 0 || ftruncate(m->memfd, (off_t)size) < 0 ||
        fcntl(m->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
        return fail_errno(error, "cannot create the shared memory");
    }
    m->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->memfd,
                  0);
    if (m->mem == MAP_FAILED) {
        return fail_errno(error, "cannot map the shared memory");
    }
    if (pvgpu_layout_compute(size, &m->layout) != PVGPU_CODEC_OK) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%" G_GUINT64_FORMAT " bytes is no valid memory size",
                    size);
        return FALSE;
    }
    m->ctrl = (struct pvgpu_control *)(void *)m->mem;
    pvgpu_control_init(m->ctrl, &m->layout);
    pvgpu_ring_writer_init(&m->writer, m->mem, &m->layout);
    return TRUE;
}

void device_memory_clear(DeviceMemory *m)
{
    if (m->mem != MAP_FAILED && m->mem != NULL) {
        munmap(m->mem, m->layout.shmem_size);
    }
    if (m->memfd >= 0) {
        close(m->memfd);
    }
    m->mem = NULL;
    m->memfd = -1;
}

gboolean device_end_send_with_fds(int sock, const void *buf, gsize len,
                                  const int *fds, guint n_fds,
                                  GError **error)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * DEVICE_END_MAX_FDS)];
    } control;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (n_fds > DEVICE_END_MAX_FDS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%u descriptors are more than %u", n_fds,
                    DEVICE_END_MAX_FDS);
        return FALSE;
    }
    if (n_fds > 0) {
        struct cmsghdr *c;

        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
    }
    return sent_all(sendmsg(sock, &mh, MSG_NOSIGNAL), len, "sendmsg",
                    error);
}

int device_end_encode_handshake(guint8 *buf, guint64 shmem_size,
                                const char *name, guint64 features,
                                guint32 num_fds, gsize *len)
{
    struct pvgpu_handshake_ext ext = {
        .ext_size = sizeof(ext), .magic = PVGPU_HANDSHAKE_EXT_MAGIC,
        .version = PVGPU_PROTOCOL_VERSION, .num_vectors = PVGPU_NUM_VECTORS,
        .features = features, .num_fds = num_fds,
    };

    *len = 0;
    return pvgpu_ipc_encode_handshake(buf, PVGPU_IPC_MAX_MSG_SIZE, shmem_size,
                                      name, &ext, len);
}

gboolean device_end_send_handshake(int sock, guint64 shmem_size, int memfd,
                                   const int *eventfds, GError **error)
{
    int fds[PVGPU_IPC_MAX_FDS] = { memfd };
    guint64 features = PVGPU_FEATURE_SHMEM_FD;
    guint32 num_fds = 1;
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    gsize len;

    if (eventfds != NULL) {
        features |= PVGPU_FEATURE_EVENTFD;
        num_fds = 2 + PVGPU_NUM_VECTORS;
        memcpy(fds + 1, eventfds, sizeof(int) * (1 + PVGPU_NUM_VECTORS));
    }
    if (device_end_encode_handshake(buf, shmem_size, "", features, num_fds,
                                    &len) != PVGPU_CODEC_OK) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "cannot encode the handshake");
        return FALSE;
    }
    return device_end_send_with_fds(sock, buf, len, fds, num_fds, error);
}

gboolean device_end_wait_readable(int fd, gint64 until, GError **error)
{
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        gint64 left = until - g_get_monotonic_time();
        int n;

        if (left <= 0) {
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                "nothing arrived before the deadline");
            return FALSE;
        }
        n = poll(&pfd, 1, (int)MAX(1, left / 1000));
        if (n > 0) {
            return TRUE;
        }
        if (n < 0 && errno != EINTR) {
            return fail_errno(error, "poll");
        }
    }
}

gboolean device_end_read_full(int fd, void *buf, gsize len, gint64 until,
                              GError **error)
{
    gsize got = 0;

    while (got < len) {
        ssize_t n;

        if (!device_end_wait_readable(fd, until, error)) {
            return FALSE;
        }
        n = read(fd, (guint8 *)buf + got, len - got);
        if (n == 0) {
            g_set_error_literal(error, G_IO_ERROR,
                                got == 0 ? G_IO_ERROR_CONNECTION_CLOSED
                                         : G_IO_ERROR_PARTIAL_INPUT,
                                "the backend closed the connection");
            return FALSE;
        }
        if (n < 0 && errno != EINTR && errno != EAGAIN) {
            return fail_errno(error, "read");
        }
        if (n > 0) {
            got += (gsize)n;
        }
    }
    return TRUE;
}

gboolean device_end_recv_msg(int sock, struct pvgpu_msg *msg, gint64 until,
                             GError **error)
{
    guint8 buf[PVGPU_IPC_MAX_MSG_SIZE];
    struct pvgpu_ipc_hdr hdr;
    GError *local = NULL;

    if (!device_end_read_full(sock, buf, sizeof(hdr), until, error)) {
        return FALSE;
    }
    if (pvgpu_ipc_decode_hdr(buf, sizeof(hdr), &hdr) != PVGPU_CODEC_OK) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "the backend sent a malformed message header");
        return FALSE;
    }
    if (hdr.payload_size > 0 &&
        !device_end_read_full(sock, buf + sizeof(hdr), hdr.payload_size,
                              until, &local)) {
        /* EOF after the header is in the middle of the message */
        if (local->code == G_IO_ERROR_CONNECTION_CLOSED) {
            local->code = G_IO_ERROR_PARTIAL_INPUT;
        }
        g_propagate_error(error, local);
        return FALSE;
    }
    if (pvgpu_ipc_decode_payload(&hdr, buf + sizeof(hdr), hdr.payload_size,
                                 msg) != PVGPU_CODEC_OK) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "the backend sent a malformed message");
        return FALSE;
    }
    return TRUE;
}

gboolean device_end_send_empty(int sock, guint32 type, GError **error)
{
    guint8 buf[8];
    gsize len = 0;

    pvgpu_ipc_encode_empty(buf, sizeof(buf), type, &len);
    return sent_all(send(sock, buf, len, MSG_NOSIGNAL), len, "send", error);
}
