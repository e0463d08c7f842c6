/* SPDX-License-Identifier: MIT */
/*
 * One connection to a QEMU pvgpu device: reads its messages, serves the
 * handshake, runs the ring on doorbells and raises vectors. Everything the
 * connection holds (mapping, resources, descriptors) goes with it.
 */
#ifndef PVGPU_BACKEND_DEVICE_CONN_H
#define PVGPU_BACKEND_DEVICE_CONN_H

#include <glib.h>

#include "counters.h"
#include "engine.h"

typedef struct _PvgpuDeviceConn PvgpuDeviceConn;

/* Called once when the connection ends; the callee frees conn. */
typedef void (*PvgpuDeviceConnClosedFunc)(PvgpuDeviceConn *conn,
                                          gpointer user_data);

/* IRQ messages that may wait for a device that does not read. */
#define PVGPU_IRQ_QUEUE_MESSAGES 64u

/*
 * Takes ownership of the connected socket fd. generation is incremented
 * by every handshake served; counters and config must outlive conn.
 */
PvgpuDeviceConn *pvgpu_device_conn_new(int fd, const PvgpuEngineConfig *config,
                                       PvgpuCounters *counters,
                                       guint64 *generation,
                                       PvgpuDeviceConnClosedFunc closed,
                                       gpointer closed_data);

/* Sends SHUTDOWN (waiting a bounded time for it to leave) and closes. */
void pvgpu_device_conn_shutdown(PvgpuDeviceConn *conn);

/*
 * Whether the device has hung up (closed or shut down its side), seen
 * without reading: input still queued on the socket does not hide it.
 */
gboolean pvgpu_device_conn_peer_gone(const PvgpuDeviceConn *conn);

/* Ends the connection as the device's own disconnect does: closes it and
 * runs the closed callback, which frees conn. */
void pvgpu_device_conn_close(PvgpuDeviceConn *conn, const char *why);

/* Closes without a word to the device and frees everything. */
void pvgpu_device_conn_free(PvgpuDeviceConn *conn);

gboolean pvgpu_device_conn_is_ready(const PvgpuDeviceConn *conn);
guint64 pvgpu_device_conn_get_features(const PvgpuDeviceConn *conn);
guint64 pvgpu_device_conn_get_shmem_size(const PvgpuDeviceConn *conn);
/* NULL before the handshake. */
PvgpuEngine *pvgpu_device_conn_get_engine(PvgpuDeviceConn *conn);

#endif
