/* SPDX-License-Identifier: MIT */
/*
 * Output queue towards the device. Never blocks: what the socket does not
 * take now waits for G_IO_OUT. Droppable messages (IRQ) are refused once
 * the queue holds `limit` bytes, so a device that stops reading costs a
 * bounded amount of memory.
 */
#ifndef PVGPU_BACKEND_IPC_WRITER_H
#define PVGPU_BACKEND_IPC_WRITER_H

#include <glib.h>

typedef struct {
    int fd;
    GByteArray *queue;
    GArray *fds;     /* PvgpuQueuedFd: descriptors riding on queued bytes */
    gsize limit;
    guint out_watch;
    gboolean failed; /* the socket refused a write; the reader sees why */
} PvgpuIpcWriter;

void pvgpu_ipc_writer_init(PvgpuIpcWriter *w, int fd, gsize limit);
void pvgpu_ipc_writer_clear(PvgpuIpcWriter *w);

/* FALSE when a droppable message did not fit in the queue. */
gboolean pvgpu_ipc_writer_send(PvgpuIpcWriter *w, const guint8 *msg,
                               gsize len, gboolean droppable);

/*
 * Queues msg with a duplicate of fd attached to its first byte (SCM_RIGHTS;
 * never dropped). FALSE when fd cannot be duplicated: nothing is queued.
 */
gboolean pvgpu_ipc_writer_send_fd(PvgpuIpcWriter *w, const guint8 *msg,
                                  gsize len, int fd);

/* Waits at most timeout_ms for the queue to drain; TRUE when it did. */
gboolean pvgpu_ipc_writer_drain(PvgpuIpcWriter *w, int timeout_ms);

gsize pvgpu_ipc_writer_queued(const PvgpuIpcWriter *w);

#endif
