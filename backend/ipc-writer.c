/* SPDX-License-Identifier: MIT */
#include "ipc-writer.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <sys/socket.h>

void pvgpu_ipc_writer_init(PvgpuIpcWriter *w, int fd, gsize limit)
{
    w->fd = fd;
    w->queue = g_byte_array_new();
    w->limit = limit;
    w->out_watch = 0;
    w->failed = FALSE;
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
}

gsize pvgpu_ipc_writer_queued(const PvgpuIpcWriter *w)
{
    return w->queue->len;
}

static void flush(PvgpuIpcWriter *w)
{
    while (w->queue->len > 0 && !w->failed) {
        ssize_t n = send(w->fd, w->queue->data, w->queue->len,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                g_debug("write to the device failed: %s", g_strerror(errno));
                w->failed = TRUE;
                g_byte_array_set_size(w->queue, 0);
            }
            return;
        }
        g_byte_array_remove_range(w->queue, 0, (guint)n);
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
