/* SPDX-License-Identifier: MIT */
#include "ipc-reader.h"

#include <errno.h>
#include <gio/gio.h>
#include <sys/socket.h>
#include <unistd.h>

void pvgpu_ipc_reader_init(PvgpuIpcReader *r)
{
    memset(r, 0, sizeof(*r));
}

void pvgpu_ipc_reader_clear(PvgpuIpcReader *r)
{
    for (guint i = 0; i < r->n_fds; i++) {
        close(r->fds[i]);
    }
    pvgpu_ipc_reader_init(r);
}

/* Takes the descriptors of one recvmsg(); FALSE when there were too many. */
static gboolean collect_fds(PvgpuIpcReader *r, struct msghdr *mh)
{
    gboolean ok = !(mh->msg_flags & MSG_CTRUNC);

    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        gsize n;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (gsize i = 0; i < n; i++) {
            int fd;

            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
            if (r->n_fds < PVGPU_IPC_MAX_FDS) {
                r->fds[r->n_fds++] = fd;
            } else {
                close(fd);
                ok = FALSE;
            }
        }
    }
    return ok;
}

PvgpuIpcReadResult pvgpu_ipc_reader_read(PvgpuIpcReader *r, int sock,
                                         struct pvgpu_msg *msg, int *fds,
                                         guint *n_fds, GError **error)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * PVGPU_IPC_MAX_FDS)];
    } control;

    for (;;) {
        gsize need = r->hdr_done ? sizeof(r->hdr) + r->hdr.payload_size
                                 : sizeof(r->hdr);
        struct iovec iov;
        struct msghdr mh = { 0 };
        ssize_t got;
        int ret;

        if (r->have == need) {
            if (!r->hdr_done) {
                ret = pvgpu_ipc_decode_hdr(r->buf, r->have, &r->hdr);
                if (ret != PVGPU_CODEC_OK) {
                    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                "malformed message header (type %u, payload "
                                "%u bytes): %s", pvgpu_le32_load(r->buf),
                                pvgpu_le32_load(r->buf + 4),
                                pvgpu_codec_strerror(ret));
                    return PVGPU_IPC_READ_ERROR;
                }
                r->hdr_done = TRUE;
                continue;
            }
            ret = pvgpu_ipc_decode_payload(&r->hdr, r->buf + sizeof(r->hdr),
                                           r->hdr.payload_size, msg);
            if (ret != PVGPU_CODEC_OK) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "malformed message of type %u: %s",
                            r->hdr.msg_type, pvgpu_codec_strerror(ret));
                return PVGPU_IPC_READ_ERROR;
            }
            memcpy(fds, r->fds, r->n_fds * sizeof(int));
            *n_fds = r->n_fds;
            r->n_fds = 0;
            pvgpu_ipc_reader_init(r);
            return PVGPU_IPC_READ_MESSAGE;
        }

        /* read no further than this message: its fds must stay with it */
        iov.iov_base = r->buf + r->have;
        iov.iov_len = need - r->have;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        got = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return PVGPU_IPC_READ_AGAIN;
            }
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot read from the device: %s", g_strerror(errno));
            return PVGPU_IPC_READ_ERROR;
        }
        if (!collect_fds(r, &mh)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "the device sent more than %u descriptors with one "
                        "message", PVGPU_IPC_MAX_FDS);
            return PVGPU_IPC_READ_ERROR;
        }
        if (got == 0) {
            if (r->have == 0 && r->n_fds == 0) {
                return PVGPU_IPC_READ_EOF;
            }
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                        "the device closed the connection in the middle of "
                        "a message");
            return PVGPU_IPC_READ_ERROR;
        }
        r->have += (gsize)got;
    }
}
