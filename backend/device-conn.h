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
#include "log-limit.h"

typedef struct _PvgpuDeviceConn PvgpuDeviceConn;

/* Called once when the connection ends; the callee frees conn. */
typedef void (*PvgpuDeviceConnClosedFunc)(PvgpuDeviceConn *conn,
                                          gpointer user_data);
/* Called when the device's HANDSHAKE was served (ACK queued). */
typedef void (*PvgpuDeviceConnReadyFunc)(PvgpuDeviceConn *conn,
                                         gpointer user_data);

/* IRQ messages that may wait for a device that does not read. */
#define PVGPU_IRQ_QUEUE_MESSAGES 64u

/* What the connections of one backend share; must outlive them. */
typedef struct {
    const PvgpuEngineConfig *engine;
    PvgpuCounters *counters;
    guint64 *generation;          /* incremented by every handshake served */
    guint handshake_timeout_ms;   /* 0: no limit */
    gboolean allow_shm_name;      /* --allow-shm-name */
    PvgpuLogLimit *log_limit;     /* for lines any peer can cause at will */
    PvgpuDeviceConnClosedFunc closed;
    PvgpuDeviceConnReadyFunc ready; /* may be NULL */
    gpointer user_data;
} PvgpuDeviceConnSetup;

/*
 * Takes ownership of the connected socket fd. peer names the peer in log
 * lines (e.g. "pid 12 uid 0"). Without a complete HANDSHAKE within the
 * timeout the connection closes (one rate-limited line) as on any error.
 */
PvgpuDeviceConn *pvgpu_device_conn_new(int fd,
                                       const PvgpuDeviceConnSetup *setup,
                                       const char *peer);

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
