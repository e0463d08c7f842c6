/* SPDX-License-Identifier: MIT */
/*
 * The QEMU device's end of a backend connection, for the tests and the
 * benchmarks: a sealed memfd holding the shared memory, HANDSHAKE with
 * descriptors, and reading the backend's messages before a deadline.
 * Failures come back as GError so that each caller reports them its way.
 */
#ifndef PVGPU_TESTS_DEVICE_END_H
#define PVGPU_TESTS_DEVICE_END_H

#include <gio/gio.h>

#include "ring-writer.h"

typedef struct {
    int memfd;
    guint8 *mem;
    struct pvgpu_layout layout;
    struct pvgpu_control *ctrl;
    PvgpuRingWriter writer;
} DeviceMemory;

/* A sealed memfd of size bytes, mapped, with an initialised control
 * region and a ring writer at its producer. */
gboolean device_memory_init(DeviceMemory *m, guint64 size, GError **error);
void device_memory_clear(DeviceMemory *m);

/* Most descriptors device_end_send_with_fds() takes: one more than a
 * HANDSHAKE may carry, so that a test can send too many. */
#define DEVICE_END_MAX_FDS (PVGPU_IPC_MAX_FDS + 1)

/* Sends len bytes in one sendmsg() with n_fds descriptors attached. */
gboolean device_end_send_with_fds(int sock, const void *buf, gsize len,
                                  const int *fds, guint n_fds,
                                  GError **error);

/* Encodes HANDSHAKE with the extension into buf (PVGPU_IPC_MAX_MSG_SIZE
 * bytes); returns the codec's result. */
int device_end_encode_handshake(guint8 *buf, guint64 shmem_size,
                                const char *name, guint64 features,
                                guint32 num_fds, gsize *len);

/* Sends HANDSHAKE offering SHMEM_FD with memfd; with eventfds (the
 * doorbell, then one per vector) also EVENTFD. */
gboolean device_end_send_handshake(int sock, guint64 shmem_size, int memfd,
                                   const int *eventfds, GError **error);

/* Waits for fd to become readable; G_IO_ERROR_TIMED_OUT at until (in
 * g_get_monotonic_time() microseconds). */
gboolean device_end_wait_readable(int fd, gint64 until, GError **error);

/* Reads exactly len bytes; G_IO_ERROR_CONNECTION_CLOSED on EOF before the
 * first byte, G_IO_ERROR_PARTIAL_INPUT on EOF after it. */
gboolean device_end_read_full(int fd, void *buf, gsize len, gint64 until,
                              GError **error);

/* Reads and decodes one message; G_IO_ERROR_CONNECTION_CLOSED on EOF
 * before it, G_IO_ERROR_INVALID_DATA when it does not decode. */
gboolean device_end_recv_msg(int sock, struct pvgpu_msg *msg, gint64 until,
                             GError **error);

/* Sends a message without payload (DOORBELL, SHUTDOWN). */
gboolean device_end_send_empty(int sock, guint32 type, GError **error);

#endif
