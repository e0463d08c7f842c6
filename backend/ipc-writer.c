/* SPDX-License-Identifier: MIT */
#include "ipc-writer.h"

#include <errno.h>
#include <glib-unix.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    gsize offset; /* of the byte it rides on, from the queue's head */
    int fd;
} PvgpuQueuedFd;

void pvgpu_ipc_writer_init(PvgpuIpcWriter *w, int fd, gsize limit)
{
    w->fd = fd;
    w->queue = g_byte_array_new();
    w->fds = g_array_new(FALSE, FALSE, sizeof(PvgpuQueuedFd));
    w->limit = limit;
    w->out_watch = 0;
    w->failed = FALSE;
}

static void drop_fds(PvgpuIpcWriter *w)
{
    for (guint i = 0; i < w->fds->len; i++) {
        close(g_array_index(w->fds, PvgpuQueuedFd, i).fd);
    }
    g_array_set_size(w->fds, 0);
}

void pvgpu_ipc_writer_clear(PvgpuIpcWriter *w)
{
    if (w->out_watch != 0) {
        g_source_remove(w->out_watch);
        w->out_watch = 0;
    }
    if (w->queue != NULL) {
        g_byte_array_unref(w->queue);
        w->queue = NULL;
    }
    if (w->fds != NULL) {
        drop_fds(w);
        g_array_unref(w->fds);
        w->fds = NULL;
    }
}

gsize pvgpu_ipc_writer_queued(const PvgpuIpcWriter *w)
{
    return w->queue->len;
}

/* Sends up to len queued bytes, with fd (>= 0) on the first one. */
static ssize_t send_some(PvgpuIpcWriter *w, gsize len, int fd)
{
    struct iovec iov = { .iov_base = w->queue->data, .iov_len = len };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (fd >= 0) {
        struct cmsghdr *cmsg;

        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        cmsg = CMSG_FIRSTHDR(&mh);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    }
    return sendmsg(w->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Takes n sent bytes off the queue; the descriptor of the first went. */
static void consume(PvgpuIpcWriter *w, gsize n, gboolean fd_sent)
{
    if (fd_sent) {
        close(g_array_index(w->fds, PvgpuQueuedFd, 0).fd);
        g_array_remove_index(w->fds, 0);
    }
    for (guint i = 0; i < w->fds->len; i++) {
        g_array_index(w->fds, PvgpuQueuedFd, i).offset -= n;
    }
    g_byte_array_remove_range(w->queue, 0, (guint)n);
}

static void flush(PvgpuIpcWriter *w)
{
    while (w->queue->len > 0 && !w->failed) {
        gsize len = w->queue->len;
        int fd = -1;
        ssize_t n;

        if (w->fds->len > 0) {
            const PvgpuQueuedFd *next = &g_array_index(w->fds,
                                                       PvgpuQueuedFd, 0);
            if (next->offset == 0) {
                fd = next->fd;
                if (w->fds->len > 1) {
                    len = g_array_index(w->fds, PvgpuQueuedFd, 1).offset;
                }
            } else {
                len = next->offset; /* the descriptor goes with its byte */
            }
        }
        n = send_some(w, len, fd);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                g_debug("write to the device failed: %s", g_strerror(errno));
                w->failed = TRUE;
                g_byte_array_set_size(w->queue, 0);
                drop_fds(w);
            }
            return;
        }
        consume(w, (gsize)n, fd >= 0);
    }
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
    PvgpuIpcWriter *w = data;

    (void)fd;
    (void)cond;
    flush(w);
    if (w->queue->len == 0) {
        w->out_watch = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

gboolean pvgpu_ipc_writer_send(PvgpuIpcWriter *w, const guint8 *msg,
                               gsize len, gboolean droppable)
{
    if (w->failed) {
        return !droppable;
    }
    if (droppable && w->queue->len + len > w->limit) {
        return FALSE;
    }
    g_byte_array_append(w->queue, msg, (guint)len);
    flush(w);
    if (w->queue->len > 0 && w->out_watch == 0) {
        w->out_watch = g_unix_fd_add(w->fd, G_IO_OUT, on_writable, w);
    }
    return TRUE;
}

gboolean pvgpu_ipc_writer_send_fd(PvgpuIpcWriter *w, const guint8 *msg,
                                  gsize len, int fd)
{
    PvgpuQueuedFd queued = { .offset = w->queue->len };

    if (w->failed) {
        return TRUE; /* lost with the connection, as every other message */
    }
    queued.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (queued.fd < 0) {
        return FALSE;
    }
    g_array_append_val(w->fds, queued);
    return pvgpu_ipc_writer_send(w, msg, len, FALSE);
}

gboolean pvgpu_ipc_writer_drain(PvgpuIpcWriter *w, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    flush(w);
    while (w->queue->len > 0 && !w->failed) {
        struct pollfd pfd = { .fd = w->fd, .events = POLLOUT };
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;

        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            break;
        }
        flush(w);
    }
    return w->queue->len == 0 && !w->failed;
}
